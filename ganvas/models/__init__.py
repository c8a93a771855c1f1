"""The networks: a registry of architectures, each a generator and a discriminator builder.

Every generator maps `(z [N, z_dim], labels [N] or None)` to images in [-1, 1] of shape [N, C, R, R];
every discriminator maps `(images, labels or None)` to raw logits of shape [N] (losses add the sigmoid).
"""
from __future__ import annotations

from typing import Callable, NamedTuple

from torch import nn

from . import dcgan, mlp
from .layers import RESOLUTIONS, init_weights


class Arch(NamedTuple):
    generator: Callable[..., nn.Module]
    discriminator: Callable[..., nn.Module]


ARCHS: dict[str, Arch] = {
    "dcgan": Arch(dcgan.build_generator, dcgan.build_discriminator),
    "mlp": Arch(mlp.build_generator, mlp.build_discriminator),
}


def _arch(name: str) -> Arch:
    if name not in ARCHS:
        raise ValueError(f"unknown architecture {name!r}; choose one of {', '.join(ARCHS)}")
    return ARCHS[name]


def build_generator(arch: str, *, z_dim: int, resolution: int, channels: int, width: int,
                    num_classes: int = 0) -> nn.Module:
    """A freshly initialised generator (DCGAN init)."""
    return _arch(arch).generator(z_dim=z_dim, resolution=resolution, channels=channels, width=width,
                                 num_classes=num_classes)


def build_discriminator(arch: str, *, resolution: int, channels: int, width: int, num_classes: int = 0,
                        spectral_norm: bool = False) -> nn.Module:
    """A freshly initialised discriminator (DCGAN init)."""
    return _arch(arch).discriminator(resolution=resolution, channels=channels, width=width,
                                     num_classes=num_classes, spectral_norm=spectral_norm)


__all__ = ["ARCHS", "RESOLUTIONS", "build_generator", "build_discriminator", "init_weights"]
