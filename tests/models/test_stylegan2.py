"""StyleGAN2's generator: modulation and demodulation, the mapping network, truncation in W, noise."""
import pytest
import torch
import torch.nn.functional as F

from ganvas.models import build_generator
from ganvas.models.blocks import EqualConv2d, EqualLinear
from ganvas.models.modconv import modulated_conv

from .specs import spec


def _generator(num_classes=0, resolution=16):
    torch.manual_seed(0)
    return build_generator(spec("stylegan2", z_dim=8, resolution=resolution, channels=3, num_classes=num_classes,
                                width=4, max_channels=16, w_dim=16))


@pytest.mark.parametrize("form", ["scaled", "grouped"])
def test_unit_styles_without_demodulation_are_the_plain_conv(form):
    torch.manual_seed(0)
    conv = EqualConv2d(6, 5, 3, bias=False)
    x = torch.randn(3, 6, 7, 7)
    expected = F.conv2d(x, conv.weight / (6 * 9) ** 0.5, padding=1)
    got = modulated_conv(conv, x, torch.ones(3, 6), demodulate=False, form=form)
    assert torch.allclose(got, expected, atol=1e-6)


def test_both_forms_agree_with_demodulation_and_in_the_backward_pass():
    torch.manual_seed(1)
    conv = EqualConv2d(8, 6, 3, bias=False)
    x, styles = torch.randn(4, 8, 6, 6, requires_grad=True), torch.randn(4, 8, requires_grad=True)
    outs, grads = [], []
    for form in ("scaled", "grouped"):
        y = modulated_conv(conv, x, styles, form=form)
        outs.append(y)
        grads.append(torch.autograd.grad((y * y.detach().sin()).sum(), [x, styles]))
    assert torch.allclose(outs[0], outs[1], atol=1e-5)
    assert all(torch.allclose(a, b, atol=1e-4) for a, b in zip(*grads))


def test_demodulated_output_has_unit_expected_variance():
    torch.manual_seed(2)
    conv = EqualConv2d(32, 16, 3, bias=False)
    with torch.no_grad():
        conv.weight.mul_(torch.rand(16, 1, 1, 1) * 5)  # uneven output channels: demodulation evens them out
        x = torch.randn(256, 32, 10, 10)
        y = modulated_conv(conv, x, torch.rand(256, 32) * 3 + 0.1)
    interior = y[:, :, 1:-1, 1:-1]  # the zero-padded border sees fewer inputs
    variance = interior.transpose(0, 1).flatten(1).var(dim=1)
    assert torch.allclose(variance, torch.ones(16), atol=0.06), variance


def test_mapping_layers_learn_at_one_hundredth_of_the_rate():
    layer = EqualLinear(64, 32, lr_mul=0.01)
    assert layer.weight.std().item() == pytest.approx(100, rel=0.1)  # stored large, used small
    assert (layer.weight * layer.weight_gain).std().item() == pytest.approx(1 / 8, rel=0.1)
    layer(torch.randn(16, 64)).sum().backward()
    plain = EqualLinear(64, 32)
    plain(torch.randn(16, 64)).sum().backward()
    assert layer.weight.grad.abs().mean() < 0.02 * plain.weight.grad.abs().mean()


def test_w_avg_moves_only_when_tracked():
    g = _generator()
    z = torch.randn(32, 8)
    g.mapping(z)
    assert torch.equal(g.mapping.w_avg, torch.zeros(16))
    w = g.mapping(z, track=True)
    assert torch.allclose(g.mapping.w_avg, 0.005 * w.mean(0), atol=1e-6)


def test_psi_zero_gives_the_average_image_for_every_z():
    g = _generator().eval()
    with torch.no_grad():
        g.mapping.w_avg.normal_()
        images = g(torch.randn(5, 8), truncation=0.0)
        average = g(g.mapping.w_avg[None], latent="w")
    assert torch.allclose(images, average.expand_as(images), atol=1e-6)


def test_psi_one_is_no_truncation_and_psi_half_is_halfway_in_w():
    g = _generator().eval()
    z = torch.randn(3, 8)
    with torch.no_grad():
        g.mapping.w_avg.normal_()
        assert torch.allclose(g(z, truncation=1.0), g(z), atol=1e-5)
        w = g.mapping(z)
        halfway = g.mapping.w_avg + 0.5 * (w - g.mapping.w_avg)
        assert torch.allclose(g(z, truncation=0.5), g(halfway, latent="w"), atol=1e-6)


def test_const_noise_makes_sampling_deterministic_and_random_noise_does_not():
    g = _generator()
    with torch.no_grad():
        for layer in g.synthesis.modules():
            if hasattr(layer, "noise_strength"):
                layer.noise_strength.fill_(1.0)
        z = torch.randn(3, 8)
        g.eval()
        first, second = g(z), g(z)
        assert torch.equal(first, second) and torch.equal(first, g(z, noise="const"))
        assert not torch.allclose(g(z, noise="random"), g(z, noise="random"))
        assert not torch.allclose(g(z, noise="none"), first)
        g.train()  # training draws its noise afresh
        assert not torch.allclose(g(z), g(z))


def test_every_layer_reads_its_own_w_and_the_image_sums_every_scale():
    g = _generator(resolution=32).eval()
    assert g.synthesis.layer_resolution == [4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32]
    ws = g.per_layer(g.mapping(torch.randn(2, 8)))
    with torch.no_grad():
        base = g(ws, latent="w")
        coarse_changed = ws.clone()
        coarse_changed[:, 1] = 0  # the 4 px to-RGB's style alone
        assert not torch.allclose(g(coarse_changed, latent="w"), base)  # skip output: it reaches the image


def test_conditional_mapping_needs_and_uses_labels():
    g = _generator(num_classes=3).eval()
    z = torch.randn(1, 8).repeat(3, 1)
    with torch.no_grad():
        images = g(z, torch.tensor([0, 1, 2]))
    assert not torch.allclose(images[0], images[1])
    with pytest.raises(ValueError, match="labels"):
        g(z)
