"""The fully connected GAN (Goodfellow et al., 2014): the simplest case, dense layers only.

Hidden sizes scale with `width`: G uses 4w, 8w, 16w and D mirrors them (16w, 8w, 4w), so the default
width 64 gives the familiar 256-512-1024. Cost grows with resolution^2 * 16w per net, so keep this
architecture to small images (it is meant for 16-64 px; 128 and 256 work at a small width).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
from torch import nn

from .spec import ModelSpec, options_of
from .layers import LabelConcat, ProjectionHead, check_resolution, init_weights, maybe_spectral_norm

HIDDEN = (4, 8, 16)  # in multiples of `width`


class Generator(nn.Module):
    def __init__(self, z_dim: int, resolution: int, channels: int, width: int, num_classes: int = 0):
        super().__init__()
        self.z_dim, self.resolution, self.channels, self.num_classes = z_dim, resolution, channels, num_classes
        self.condition = LabelConcat(num_classes)
        sizes = [z_dim + self.condition.extra_dim] + [width * k for k in HIDDEN]
        layers: list[nn.Module] = []
        for n_in, n_out in zip(sizes, sizes[1:]):
            layers += [nn.Linear(n_in, n_out), nn.LeakyReLU(0.2, True)]
        layers += [nn.Linear(sizes[-1], channels * resolution * resolution), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        flat = self.net(self.condition(z, labels))
        return flat.view(-1, self.channels, self.resolution, self.resolution)


class Discriminator(nn.Module):
    def __init__(self, resolution: int, channels: int, width: int, num_classes: int = 0, spectral_norm: bool = False):
        super().__init__()
        self.resolution, self.channels, self.num_classes = resolution, channels, num_classes
        sizes = [channels * resolution * resolution] + [width * k for k in reversed(HIDDEN)]
        layers: list[nn.Module] = []
        for n_in, n_out in zip(sizes, sizes[1:]):
            layers += [maybe_spectral_norm(nn.Linear(n_in, n_out), spectral_norm), nn.LeakyReLU(0.2, True)]
        self.features = nn.Sequential(*layers)
        self.head = ProjectionHead(sizes[-1], num_classes, spectral_norm)

    def forward(self, x: torch.Tensor, labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        h = self.features(x.flatten(1))
        return self.head(h, h, labels)


def build_generator(*, z_dim: int, resolution: int, channels: int, width: int, num_classes: int = 0) -> Generator:
    check_resolution(resolution)
    g = Generator(z_dim, resolution, channels, width, num_classes)
    init_weights(g)
    return g


def build_discriminator(*, resolution: int, channels: int, width: int, num_classes: int = 0,
                        spectral_norm: bool = False) -> Discriminator:
    check_resolution(resolution)
    d = Discriminator(resolution, channels, width, num_classes, spectral_norm)
    init_weights(d)
    return d


@dataclass(frozen=True)
class Options:
    width: int = 64            # hidden width / 4
    spectral_norm: bool = False  # on D's layers


def generator(spec: ModelSpec) -> Generator:
    o = options_of(Options, spec)
    return build_generator(z_dim=spec.z_dim, resolution=spec.resolution, channels=spec.channels, width=o.width,
                           num_classes=spec.num_classes)


def discriminator(spec: ModelSpec) -> Discriminator:
    o = options_of(Options, spec)
    return build_discriminator(resolution=spec.resolution, channels=spec.channels, width=o.width,
                               num_classes=spec.num_classes, spectral_norm=o.spectral_norm)
