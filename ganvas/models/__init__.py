"""The networks: a registry of architectures, each built from a ModelSpec.

Every generator maps `(z [N, z_dim], labels [N] or None)` to images in [-1, 1] of shape [N, C, R, R];
every discriminator maps `(images, labels or None)` to raw logits of shape [N] (losses add the sigmoid).
MSG-GAN's generator also has `forward_scales` (its image at every scale, for the training objective),
and its discriminator takes that pyramid as well as a single image.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

from torch import nn

from ..config.archs import SUMMARIES
from . import dcgan, mlp, msg, resnet, stylegan2
from .layers import RESOLUTIONS, init_weights
from .spec import ModelSpec


class Arch(NamedTuple):
    options: type
    generator: Callable[[ModelSpec], nn.Module]
    discriminator: Callable[[ModelSpec], nn.Module]
    summary: str


_FAMILIES = {"dcgan": dcgan, "mlp": mlp, "msg": msg, "stylegan2": stylegan2, "resnet": resnet}
ARCHS: dict[str, Arch] = {name: Arch(family.Options, family.generator, family.discriminator, SUMMARIES[name])
                          for name, family in _FAMILIES.items()}
assert tuple(ARCHS) == tuple(SUMMARIES), "ganvas.config.archs and the registry must name the same families"


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
