"""The networks: a registry of architectures, each built from a ModelSpec.

Every generator maps `(z [N, z_dim], labels [N] or None)` to images in [-1, 1] of shape [N, C, R, R];
every discriminator maps `(images, labels or None)` to raw logits of shape [N] (losses add the sigmoid).
"""
from __future__ import annotations

from typing import Callable, NamedTuple

from torch import nn

from . import dcgan, mlp
from .layers import RESOLUTIONS, init_weights
from .spec import ModelSpec


class Arch(NamedTuple):
    options: type
    generator: Callable[[ModelSpec], nn.Module]
    discriminator: Callable[[ModelSpec], nn.Module]
    summary: str


ARCHS: dict[str, Arch] = {
    "dcgan": Arch(dcgan.Options, dcgan.generator, dcgan.discriminator,
                  "DCGAN: a dense layer, then transposed convolutions; D a strided-conv classifier"),
    "mlp": Arch(mlp.Options, mlp.generator, mlp.discriminator,
                "the fully connected GAN of the original paper, for small images"),
}


def arch(name: str) -> Arch:
    if name not in ARCHS:
        raise ValueError(f"unknown architecture {name!r}; choose one of {', '.join(ARCHS)}")
    return ARCHS[name]


def build_generator(spec: ModelSpec) -> nn.Module:
    """A freshly initialised generator for `spec`."""
    return arch(spec.arch).generator(spec)


def build_discriminator(spec: ModelSpec) -> nn.Module:
    """A freshly initialised discriminator for `spec`."""
    return arch(spec.arch).discriminator(spec)


__all__ = ["ARCHS", "RESOLUTIONS", "ModelSpec", "arch", "build_generator", "build_discriminator", "init_weights"]
