import pytest
import torch

from ganvas.models import ARCHS, build_discriminator, build_generator, init_weights


def test_every_registered_arch_builds_both_nets():
    assert set(ARCHS) == {"dcgan", "mlp"}
    for arch in ARCHS:
        g = build_generator(arch, z_dim=4, resolution=16, channels=1, width=2)
        d = build_discriminator(arch, resolution=16, channels=1, width=2)
        assert d(g(torch.randn(2, 4))).shape == (2,)


def test_unknown_arch_names_the_choices():
    with pytest.raises(ValueError, match="dcgan, mlp"):
        build_generator("stylegan", z_dim=4, resolution=16, channels=1, width=2)


@pytest.mark.parametrize("arch", sorted(ARCHS))
def test_discriminator_gives_raw_logits(arch):
    d = build_discriminator(arch, resolution=16, channels=1, width=2)
    with torch.no_grad():
        for p in d.parameters():
            p.mul_(50)
    logits = d(torch.randn(8, 1, 16, 16))
    assert (logits.abs() > 1).any()  # a sigmoid would keep every value inside (0, 1)


@pytest.mark.parametrize("arch", sorted(ARCHS))
def test_conditional_nets_need_labels_and_use_them(arch):
    g = build_generator(arch, z_dim=4, resolution=16, channels=1, width=2, num_classes=3).eval()
    d = build_discriminator(arch, resolution=16, channels=1, width=2, num_classes=3)
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
    g = build_generator("dcgan", z_dim=100, resolution=64, channels=3, width=32)
    for p in g.parameters():
        torch.nn.init.constant_(p, 5.0)
    init_weights(g)
    convs = [m for m in g.modules() if isinstance(m, torch.nn.ConvTranspose2d)]
    norms = [m for m in g.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert abs(convs[1].weight.std().item() - 0.02) < 0.002 and abs(convs[1].weight.mean().item()) < 0.002
    assert abs(norms[0].weight.mean().item() - 1.0) < 0.01 and abs(norms[0].weight.std().item() - 0.02) < 0.01
    assert all((m.bias == 0).all() for m in norms)


def test_init_weights_reaches_spectral_normed_weights():
    d = build_discriminator("dcgan", resolution=16, channels=1, width=8, spectral_norm=True)
    conv = d.features[2]
    original = conv.parametrizations.weight.original
    torch.nn.init.constant_(original, 5.0)
    init_weights(d)
    assert original.std().item() == pytest.approx(0.02, abs=0.003)


@pytest.mark.parametrize("arch", sorted(ARCHS))
@pytest.mark.parametrize("spectral_norm", [False, True])
def test_bf16_autocast_and_channels_last_train_step(arch, spectral_norm):
    g = build_generator(arch, z_dim=8, resolution=32, channels=3, width=4, num_classes=2)
    d = build_discriminator(arch, resolution=32, channels=3, width=4, num_classes=2, spectral_norm=spectral_norm)
    g, d = g.to(memory_format=torch.channels_last), d.to(memory_format=torch.channels_last)
    real = torch.rand(4, 3, 32, 32).contiguous(memory_format=torch.channels_last) * 2 - 1
    labels = torch.tensor([0, 1, 1, 0])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        fake = g(torch.randn(4, 8), labels)
        loss = d(real, labels).mean() - d(fake, labels).mean()
    assert fake.shape == (4, 3, 32, 32)
    loss.backward()
    grads = [p.grad for p in list(g.parameters()) + list(d.parameters())]
    assert all(gr is not None and torch.isfinite(gr).all() for gr in grads)
    assert all(p.dtype == torch.float32 for p in d.parameters())
