import pytest
import torch
from torch import nn

from ganvas.models import RESOLUTIONS, build_discriminator, build_generator
from ganvas.models.dcgan import channel_plan

from .specs import spec


def n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def classic_dcgan64(nz=100, nc=3, ngf=64, ndf=64):
    """The DCGAN-64 of the paper's reference implementation, written out layer by layer."""
    g = nn.Sequential(
        nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
        nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
        nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh())
    d = nn.Sequential(
        nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 4), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 8), nn.LeakyReLU(0.2, True),
        nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False))
    return g, d


def test_width_64_at_64px_is_the_classic_dcgan():
    classic_g, classic_d = classic_dcgan64()
    g = build_generator(spec("dcgan", z_dim=100, resolution=64, channels=3, width=64))
    d = build_discriminator(spec("dcgan", resolution=64, channels=3, width=64))
    assert n_params(g) == n_params(classic_g) == 3_576_704
    assert n_params(d) == n_params(classic_d) == 2_765_568
    shapes = lambda m: [tuple(p.shape) for p in m.parameters()]  # noqa: E731
    assert shapes(g) == shapes(classic_g)
    assert shapes(d) == shapes(classic_d)


def test_classic_weights_load_and_give_the_same_images():
    classic_g, _ = classic_dcgan64(nz=16, ngf=8, ndf=8)
    g = build_generator(spec("dcgan", z_dim=16, resolution=64, channels=3, width=8)).eval()
    with torch.no_grad():
        for ours, theirs in zip(g.parameters(), classic_g.parameters()):
            theirs.copy_(ours)
    classic_g.eval()
    z = torch.randn(2, 16)
    assert torch.allclose(g(z), classic_g(z[:, :, None, None]), atol=1e-6)


@pytest.mark.parametrize("resolution", RESOLUTIONS)
@pytest.mark.parametrize("num_classes", [0, 3])
def test_shapes_and_ranges_at_every_resolution(resolution, num_classes):
    shape = spec("dcgan", resolution=resolution, channels=3, num_classes=num_classes, width=4)
    g, d = build_generator(shape), build_discriminator(shape)
    labels = torch.tensor([0, 2]) if num_classes else None
    images = g(torch.randn(2, 8) * 20, labels)
    assert images.shape == (2, 3, resolution, resolution)
    assert images.min() >= -1 and images.max() <= 1
    assert d(images, labels).shape == (2,)


def test_channels_are_capped_at_eight_times_width():
    assert channel_plan(64, 64) == [512, 256, 128, 64]
    assert channel_plan(256, 64) == [512, 512, 512, 256, 128, 64]
    assert channel_plan(16, 32) == [64, 32]


@pytest.mark.parametrize("resolution", [8, 28, 48, 512])
def test_unsupported_resolution_is_refused(resolution):
    with pytest.raises(ValueError, match="resolution"):
        build_generator(spec("dcgan", z_dim=8, resolution=resolution, channels=1, width=4))
    with pytest.raises(ValueError, match="resolution"):
        build_discriminator(spec("dcgan", resolution=resolution, channels=1, width=4))


def test_spectral_norm_replaces_batchnorm_in_d():
    d = build_discriminator(spec("dcgan", resolution=32, channels=1, width=4, num_classes=2, spectral_norm=True))
    convs = [m for m in d.modules() if isinstance(m, nn.Conv2d)]
    assert convs and all(hasattr(m, "parametrizations") and "weight" in m.parametrizations for m in convs)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in d.modules())
    plain = build_discriminator(spec("dcgan", resolution=32, channels=1, width=4))
    assert any(isinstance(m, nn.BatchNorm2d) for m in plain.modules())
    assert not any(hasattr(m, "parametrizations") for m in plain.modules())


def test_spectral_norm_bounds_each_layer():
    d = build_discriminator(spec("dcgan", resolution=16, channels=1, width=4, spectral_norm=True)).train()
    for _ in range(20):  # power iteration converges as D runs
        d(torch.randn(4, 1, 16, 16))
    d.eval()
    for m in d.modules():
        if isinstance(m, nn.Conv2d):
            sigma = torch.linalg.matrix_norm(m.weight.detach().flatten(1), ord=2).item()
            assert sigma == pytest.approx(1.0, abs=0.05)


def test_first_d_layer_has_no_batchnorm():
    d = build_discriminator(spec("dcgan", resolution=64, channels=3, width=8))
    layers = list(d.features)
    assert isinstance(layers[0], nn.Conv2d) and isinstance(layers[1], nn.LeakyReLU)
    assert isinstance(layers[3], nn.BatchNorm2d)
