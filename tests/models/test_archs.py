"""The modern families (msg, stylegan2, resnet): shapes at every resolution, sizes, and each one's essentials."""
import pytest
import torch

from ganvas.models import RESOLUTIONS, build_discriminator, build_generator
from ganvas.models.blocks import MinibatchStd, channel_plan, downsample, upsample

from .specs import spec

MODERN = ("msg", "stylegan2", "resnet")
# The default CPU models at 64 px, 3 channels, z_dim 100 (their sizes are in docs/architectures.md). A
# change here changes the shape of every run trained with the defaults.
DEFAULT_64PX_PARAMETERS = {"msg": (2_767_215, 3_557_409), "stylegan2": (2_667_768, 3_511_585),
                           "resnet": (898_499, 873_153)}


def n_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("arch", MODERN)
@pytest.mark.parametrize("resolution", RESOLUTIONS)
def test_output_shapes_at_every_resolution(arch, resolution):
    torch.manual_seed(0)
    shape = spec(arch, z_dim=8, resolution=resolution, channels=3, width=2, max_channels=8)
    g, d = build_generator(shape).eval(), build_discriminator(shape)
    with torch.no_grad():
        images = g(torch.randn(2, 8))
        logits = d(images)
    assert images.shape == (2, 3, resolution, resolution)
    assert images.min() >= -1 and images.max() <= 1  # the generator contract, outside training
    assert logits.shape == (2,) and torch.isfinite(logits).all()
    assert n_params(g) > 0 and n_params(d) > 0


@pytest.mark.parametrize("arch", MODERN)
def test_default_parameter_counts_at_64px(arch):
    shape = spec(arch, z_dim=100, resolution=64, channels=3)
    assert (n_params(build_generator(shape)), n_params(build_discriminator(shape))) == DEFAULT_64PX_PARAMETERS[arch]


def test_channel_plan_doubles_towards_4px_up_to_the_cap():
    assert channel_plan(64, 32, 256) == {4: 256, 8: 256, 16: 128, 32: 64, 64: 32}
    assert channel_plan(16, 128, 256) == {4: 256, 8: 256, 16: 128}


def test_resampling_is_the_1331_filter_and_keeps_constants():
    x = torch.ones(1, 2, 8, 8)
    assert torch.allclose(upsample(x), torch.ones(1, 2, 16, 16))
    inner = downsample(x)[..., 1:-1, 1:-1]  # the border is zero-padded, as StyleGAN2's upfirdn2d
    assert inner.shape == (1, 2, 2, 2) and torch.allclose(inner, torch.ones_like(inner))
    impulse = torch.zeros(1, 1, 8, 8)
    impulse[..., 3, 3] = 64.0
    out = downsample(impulse)[0, 0]
    # Per axis the pixel reaches two outputs with taps 3/8 and 1/8 of the [1, 3, 3, 1] / 8 filter.
    assert torch.allclose(out[1:3, 1:3], torch.tensor([[9.0, 3.0], [3.0, 1.0]]))
    assert out.sum() == 16.0


def test_minibatch_stddev_adds_the_spread_of_each_group():
    x = torch.randn(8, 3, 4, 4)
    out = MinibatchStd(4)(x)
    assert out.shape == (8, 4, 4, 4)
    first_group = x[0::2]  # images 0, 2, 4, 6 form a group (reshape [group, n / group, ...])
    expected = first_group.var(0, unbiased=False).add(1e-8).sqrt().mean()
    assert torch.allclose(out[0, 3], expected.expand(4, 4), atol=1e-6)
    assert MinibatchStd(4)(torch.randn(3, 2, 4, 4)).shape == (3, 3, 4, 4)  # a batch of 3: groups of 3


@pytest.mark.parametrize("arch", MODERN)
def test_discriminators_have_no_normalisation_layers(arch):
    d = build_discriminator(spec(arch, width=4))
    norms = (torch.nn.BatchNorm2d, torch.nn.InstanceNorm2d, torch.nn.GroupNorm, torch.nn.LayerNorm)
    assert not any(isinstance(m, norms) for m in d.modules())
