"""MSG-GAN: every scale of G gets D's gradient, and D looks at every scale."""
import torch

from ganvas.models import build_discriminator, build_generator
from ganvas.models.blocks import box_down
from ganvas.models.msg import pyramid_of

from .specs import spec


def _pair(num_classes=0, resolution=32):
    torch.manual_seed(0)
    shape = spec("msg", z_dim=8, resolution=resolution, channels=3, num_classes=num_classes, width=4, max_channels=16)
    return build_generator(shape), build_discriminator(shape)


def test_g_emits_every_scale_and_forward_is_the_finest():
    g, _ = _pair()
    z = torch.randn(3, 8)
    scales = g.forward_scales(z)
    assert [s.shape[-1] for s in scales] == [4, 8, 16, 32] == g.sizes
    assert all(s.shape == (3, 3, s.shape[-1], s.shape[-1]) and s.abs().max() <= 1 for s in scales)
    assert torch.equal(g(z), scales[-1])


def test_gradients_reach_every_scales_to_rgb():
    g, d = _pair()
    d(g.forward_scales(torch.randn(4, 8))).mean().backward()
    for to_rgb in g.to_rgbs:
        assert to_rgb.weight.grad is not None and to_rgb.weight.grad.abs().sum() > 0


def test_d_sees_each_scale():
    g, d = _pair()
    with torch.no_grad():
        scales = g.forward_scales(torch.randn(4, 8))
        base = d(scales)
        for k in range(len(scales)):
            changed = list(scales)
            changed[k] = changed[k].flip(-1)  # only this scale differs
            assert not torch.allclose(d(changed), base), f"D ignores the {scales[k].shape[-1]} px image"
    d(scales).sum().backward()
    assert all(block.combine.weight.grad.abs().sum() > 0 for block in d.blocks)


def test_reals_are_averaged_down_to_every_scale_and_d_takes_one_image_too():
    x = torch.rand(2, 3, 16, 16)
    pyramid = pyramid_of(x, [4, 8, 16])
    assert [p.shape[-1] for p in pyramid] == [4, 8, 16]
    assert torch.equal(pyramid[-1], x) and torch.allclose(pyramid[1], box_down(x))
    _, d = _pair(resolution=16)
    with torch.no_grad():
        assert torch.equal(d(x), d(pyramid))


def test_conditional_msg_uses_the_labels_at_every_end():
    g, d = _pair(num_classes=3)
    z = torch.randn(1, 8).repeat(3, 1)
    labels = torch.tensor([0, 1, 2])
    with torch.no_grad():
        images = g.eval()(z, labels)
        assert not torch.allclose(images[0], images[1])
        same = [s[:1].repeat(3, 1, 1, 1) for s in g.forward_scales(z, labels)]
        logits = d(same, labels)
    assert logits[0] != logits[1]  # the projection head
