import pytest
import torch
from torch import nn

from ganvas.models import RESOLUTIONS, build_discriminator, build_generator

from .specs import spec


@pytest.mark.parametrize("resolution", RESOLUTIONS)
@pytest.mark.parametrize("num_classes", [0, 4])
def test_shapes_and_ranges_at_every_resolution(resolution, num_classes):
    shape = spec("mlp", resolution=resolution, num_classes=num_classes, width=1)
    g, d = build_generator(shape), build_discriminator(shape)
    labels = torch.tensor([3, 0, 1]) if num_classes else None
    images = g(torch.randn(3, 8) * 20, labels)
    assert images.shape == (3, 1, resolution, resolution)
    assert images.min() >= -1 and images.max() <= 1
    assert d(images, labels).shape == (3,)


def test_width_scales_hidden_layers():
    g = build_generator(spec("mlp", z_dim=100, resolution=32, channels=1, width=64))
    assert [m.out_features for m in g.modules() if isinstance(m, nn.Linear)] == [256, 512, 1024, 32 * 32]
    d = build_discriminator(spec("mlp", resolution=32, channels=1, width=64))
    assert [m.out_features for m in d.modules() if isinstance(m, nn.Linear)] == [1024, 512, 256, 1]
    assert all(isinstance(m, nn.LeakyReLU) for m in list(g.net)[1:-2:2])


def test_spectral_norm_on_every_linear_layer():
    d = build_discriminator(spec("mlp", resolution=16, channels=3, width=2, num_classes=3, spectral_norm=True))
    linears = [m for m in d.modules() if isinstance(m, (nn.Linear, nn.Embedding))]
    assert len(linears) == 5
    assert all("weight" in m.parametrizations for m in linears)


def test_unsupported_resolution_is_refused():
    with pytest.raises(ValueError, match="resolution"):
        build_generator(spec("mlp", z_dim=8, resolution=28, channels=1, width=1))
