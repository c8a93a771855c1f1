"""MSG-GAN's training step: D is shown pyramids, augmented alike at every scale, penalised at every scale."""
import contextlib

import torch

from ganvas.gan.augment import AugmentPipe
from ganvas.gan.multiscale import MultiScaleGAN
from ganvas.gan.pyramid_augment import augment_pyramid
from ganvas.gan.regularize import gradient_penalty
from ganvas.models import ModelSpec, build_discriminator, build_generator
from ganvas.models.blocks import box_down
from ganvas.models.latent import LatentSampler
from ganvas.models.msg import pyramid_of

from .helpers import reals


def _method(augment="none", **kwargs):
    torch.manual_seed(0)
    shape = ModelSpec("msg", z_dim=8, resolution=16, channels=1, options={"width": 4, "max_channels": 16})
    G, D = build_generator(shape), build_discriminator(shape)
    return MultiScaleGAN(G, D, augment=AugmentPipe(augment), sampler=LatentSampler(8),
                         autocast=contextlib.nullcontext, **kwargs)


def test_every_d_call_gets_a_whole_pyramid():
    method = _method(r1_gamma=1.0, r1_every=1, loss="rahinge")
    seen = []
    method.D.register_forward_pre_hook(lambda _m, args: seen.append([x.shape[-1] for x in args[0]]))
    stats = method.step(reals(8), None, 0)
    assert seen and all(sizes == [4, 8, 16] for sizes in seen)
    assert all(torch.isfinite(v) for v in stats.values())


def test_the_penalty_takes_every_scale():
    method = _method()
    pyramid = pyramid_of(reals(4), [4, 8, 16])
    penalty, _ = gradient_penalty(method.D, pyramid, None, lambda xs: xs, contextlib.nullcontext)
    single = sum(gradient_penalty(lambda x, _l: method.D([*pyramid[:k], x, *pyramid[k + 1:]]), pyramid[k], None,
                                  lambda x: x, contextlib.nullcontext)[0] for k in range(3))
    assert torch.allclose(penalty, single, rtol=1e-5)


def _commutes_with_averaging(pipe: AugmentPipe, seed=0):
    fine = reals(4, channels=3, size=16)
    pyramid = pyramid_of(fine, [4, 8, 16])
    torch.manual_seed(seed)
    out = augment_pyramid(pipe, pyramid)
    return all(torch.allclose(out[k], box_down(out[k + 1]), atol=1e-5) for k in range(2))


def test_colour_is_the_same_draw_at_every_scale():
    assert _commutes_with_averaging(AugmentPipe("diffaugment", policy=("color",)))
    assert _commutes_with_averaging(AugmentPipe("ada", p=1.0, ops=("brightness", "contrast", "saturation", "hue")))


def test_geometry_is_the_same_draw_at_every_scale():
    assert _commutes_with_averaging(AugmentPipe("ada", p=1.0, ops=("xflip", "rot90")))


def test_the_rng_moves_as_much_as_one_image_needs_whatever_the_scales():
    pipe = AugmentPipe("diffaugment", policy=("color",))
    torch.manual_seed(3)
    augment_pyramid(pipe, pyramid_of(reals(4, 3), [4, 8, 16]))
    after_pyramid = torch.rand(1)
    torch.manual_seed(3)
    pipe(reals(4, 3))
    assert torch.equal(after_pyramid, torch.rand(1))


def test_a_pipe_that_is_off_passes_the_pyramid_through():
    pyramid = pyramid_of(reals(2), [4, 8, 16])
    assert all(a is b for a, b in zip(augment_pyramid(AugmentPipe("none"), pyramid), pyramid))
