"""DCGAN (Radford et al., 2016) at any power-of-two resolution from 16 to 256.

Channel plan: the layer next to the image has `width` channels and each halving of resolution doubles
that, capped at 8 * width. At resolution 64 this is exactly the classic DCGAN-64 (ngf = ndf = width:
G 8w-4w-2w-w-C, D C-w-2w-4w-8w-1); above 64 the extra layers stay at 8 * width, so DCGAN-256 at
width 64 tops out at 512 channels instead of 2048 and stays trainable on a CPU.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import torch
from torch import nn

from . import progressive
from .spec import ModelSpec, options_of
from .layers import LabelConcat, ProjectionHead, check_resolution, init_weights, maybe_spectral_norm

CHANNEL_CAP = 8  # in multiples of `width`


def channel_plan(resolution: int, width: int) -> list[int]:
    """Feature channels at sizes 4, 8, ..., resolution / 2 (G's order; D walks it backwards)."""
    check_resolution(resolution)
    steps = int(math.log2(resolution)) - 2
    return [width * min(2 ** (steps - 1 - i), CHANNEL_CAP) for i in range(steps)]


class Generator(nn.Module):
    def __init__(self, z_dim: int, resolution: int, channels: int, width: int, num_classes: int = 0):
        super().__init__()
        self.z_dim, self.resolution, self.channels, self.num_classes = z_dim, resolution, channels, num_classes
        plan = channel_plan(resolution, width)
        self.condition = LabelConcat(num_classes)
        # A 4x4 transposed conv on a 1x1 input is the classic's dense "project and reshape" layer.
        layers: list[nn.Module] = [nn.ConvTranspose2d(z_dim + self.condition.extra_dim, plan[0], 4, 1, 0, bias=False),
                                   nn.BatchNorm2d(plan[0]), nn.ReLU(True)]
        for c_in, c_out in zip(plan, plan[1:]):
            layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(plan[-1], channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        x = self.condition(z, labels)
        return self.net(x[:, :, None, None])


class Discriminator(nn.Module):
    def __init__(self, resolution: int, channels: int, width: int, num_classes: int = 0, spectral_norm: bool = False):
        super().__init__()
        self.resolution, self.channels, self.num_classes = resolution, channels, num_classes
        plan = channel_plan(resolution, width)[::-1]
        sn = spectral_norm
        # Spectral norm replaces BatchNorm, so those convs get their bias back.
        layers: list[nn.Module] = [maybe_spectral_norm(nn.Conv2d(channels, plan[0], 4, 2, 1, bias=sn), sn),
                                   nn.LeakyReLU(0.2, True)]
        for c_in, c_out in zip(plan, plan[1:]):
            layers.append(maybe_spectral_norm(nn.Conv2d(c_in, c_out, 4, 2, 1, bias=sn), sn))
            if not sn:
                layers.append(nn.BatchNorm2d(c_out))
            layers.append(nn.LeakyReLU(0.2, True))
        self.features = nn.Sequential(*layers)
        final = maybe_spectral_norm(nn.Conv2d(plan[-1], 1, 4, 1, 0, bias=False), sn)
        self.head = ProjectionHead(plan[-1], num_classes, sn, linear=final)

    def forward(self, x: torch.Tensor, labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        h = self.features(x)
        pooled = h.sum((2, 3)) if self.num_classes else h
        return self.head(h, pooled, labels)


def build_generator(*, z_dim: int, resolution: int, channels: int, width: int, num_classes: int = 0) -> Generator:
    g = Generator(z_dim, resolution, channels, width, num_classes)
    init_weights(g)
    return g


def build_discriminator(*, resolution: int, channels: int, width: int, num_classes: int = 0,
                        spectral_norm: bool = False) -> Discriminator:
    d = Discriminator(resolution, channels, width, num_classes, spectral_norm)
    init_weights(d)
    return d


@dataclass(frozen=True)
class Options:
    width: int = 64            # base channel count: ngf = ndf
    spectral_norm: bool = False  # on D's layers
    progressive: bool = False  # grown from 8 px to this network (models/progressive.py)


def generator(spec: ModelSpec) -> nn.Module:
    o = options_of(Options, spec)
    build = progressive.build_generator if o.progressive else build_generator
    return build(z_dim=spec.z_dim, resolution=spec.resolution, channels=spec.channels, width=o.width,
                 num_classes=spec.num_classes)


def discriminator(spec: ModelSpec) -> nn.Module:
    o = options_of(Options, spec)
    build = progressive.build_discriminator if o.progressive else build_discriminator
    return build(resolution=spec.resolution, channels=spec.channels, width=o.width,
                 num_classes=spec.num_classes, spectral_norm=o.spectral_norm)
