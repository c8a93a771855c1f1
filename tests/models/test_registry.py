import dataclasses

import pytest
import torch

from ganvas.models import ARCHS, arch as arch_of, build_discriminator, build_generator, init_weights

from .specs import spec


@pytest.mark.parametrize("arch", sorted(ARCHS))
@pytest.mark.parametrize("num_classes", [0, 3])
def test_every_registered_arch_builds_from_a_spec_at_16px(arch, num_classes):
    entry = arch_of(arch)
    # Its options default entirely, so a spec without any builds it.
    options = entry.options()
    assert dataclasses.is_dataclass(options)
    shape = spec(arch, z_dim=4, channels=3, num_classes=num_classes)
    g, d = build_generator(shape).eval(), build_discriminator(shape)
    labels = torch.tensor([0, 2]) if num_classes else None
    images = g(torch.randn(2, 4), labels)
    assert images.shape == (2, 3, 16, 16) and d(images, labels).shape == (2,)
    if num_classes:
        with pytest.raises(ValueError, match="labels"):
            g(torch.randn(2, 4))
    summary = entry.summary
    assert isinstance(summary, str) and summary.strip() and "\n" not in summary.strip()


def test_unknown_arch_names_the_choices():
    with pytest.raises(ValueError, match=", ".join(ARCHS)):
        build_generator(spec("no-such-arch"))


@pytest.mark.parametrize("arch", sorted(ARCHS))
def test_an_option_the_arch_lacks_is_refused(arch):
    with pytest.raises(ValueError, match="no option 'depth'"):
        build_generator(spec(arch, depth=3))


@pytest.mark.parametrize("arch", sorted(ARCHS))
def test_discriminator_gives_raw_logits(arch):
    d = build_discriminator(spec(arch, width=2))
    with torch.no_grad():
        for p in d.parameters():
            p.mul_(50)
    logits = d(torch.randn(8, 1, 16, 16))
    assert (logits.abs() > 1).any()  # a sigmoid would keep every value inside (0, 1)


@pytest.mark.parametrize("arch", sorted(ARCHS))
def test_conditional_nets_need_labels_and_use_them(arch):
    shape = spec(arch, z_dim=4, num_classes=3, width=2)
    g, d = build_generator(shape).eval(), build_discriminator(shape)
    z = torch.randn(1, 4).repeat(3, 1)
    images = g(z, torch.tensor([0, 1, 2]))
    assert not torch.allclose(images[0], images[1])
    with pytest.raises(ValueError, match="labels"):
        g(z)
    with pytest.raises(ValueError, match="labels"):
        d(images)
    x = images[:1].repeat(3, 1, 1, 1)
    logits = d(x, torch.tensor([0, 1, 2]))
    assert logits[0] != logits[1]


def test_init_weights_follows_dcgan():
    g = build_generator(spec("dcgan", z_dim=100, resolution=64, channels=3, width=32))
    for p in g.parameters():
        torch.nn.init.constant_(p, 5.0)
    init_weights(g)
    convs = [m for m in g.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    norms = [m for m in g.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert abs(convs[1].weight.std().item() - 0.02) < 0.002 and abs(convs[1].weight.mean().item()) < 0.002
    assert abs(norms[0].weight.mean().item() - 1.0) < 0.01 and abs(norms[0].weight.std().item() - 0.02) < 0.01
    assert all((m.bias == 0).all() for m in norms)


def test_init_weights_reaches_spectral_normed_weights():
    d = build_discriminator(spec("dcgan", width=8, spectral_norm=True))
    conv = d.features[2]
    original = conv.parametrizations.weight.original
    torch.nn.init.constant_(original, 5.0)
    init_weights(d)
    assert original.std().item() == pytest.approx(0.02, abs=0.003)


def _layer_outputs(module: torch.nn.Module, kinds: tuple) -> list[torch.dtype]:
    """Records the output dtype of every layer of `kinds` in `module` as it runs."""
    seen: list[torch.dtype] = []
    for layer in module.modules():
        if isinstance(layer, kinds):
            layer.register_forward_hook(lambda _m, _i, out: seen.append(out.dtype))
    return seen


@pytest.mark.parametrize("arch", sorted(ARCHS))
@pytest.mark.parametrize("spectral_norm", [False, True])
def test_bf16_autocast_and_channels_last_train_step(arch, spectral_norm):
    shape = spec(arch, resolution=32, channels=3, num_classes=2, width=4, spectral_norm=spectral_norm)
    g, d = build_generator(shape), build_discriminator(shape)
    g, d = g.to(memory_format=torch.channels_last), d.to(memory_format=torch.channels_last)
    heavy = (torch.nn.Conv2d, torch.nn.ConvTranspose2d, torch.nn.Linear)
    g_out, d_out = _layer_outputs(g, heavy), _layer_outputs(d, heavy)
    real = torch.rand(4, 3, 32, 32).contiguous(memory_format=torch.channels_last) * 2 - 1
    labels = torch.tensor([0, 1, 1, 0])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        # What training feeds D: MSG-GAN's whole pyramid, every other family's image.
        training_output = getattr(g, "forward_scales", g)
        fake = training_output(torch.randn(4, 8), labels)
        loss = d(real, labels).mean() - d(fake, labels).mean()
    finest = fake[-1] if isinstance(fake, list) else fake
    assert finest.shape == (4, 3, 32, 32)
    # The convolutions and matmuls really ran in bf16 ...
    assert g_out and d_out and set(g_out) == set(d_out) == {torch.bfloat16}
    loss.backward()
    # ... while every gradient reaches the fp32 master weights, finite.
    for p in list(g.parameters()) + list(d.parameters()):
        assert p.grad is not None and p.grad.dtype == torch.float32 and torch.isfinite(p.grad).all()
