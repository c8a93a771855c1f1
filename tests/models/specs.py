"""A short way to write a ModelSpec in tests."""
from __future__ import annotations

from ganvas.models import ModelSpec


def spec(arch: str = "dcgan", *, z_dim: int = 8, resolution: int = 16, channels: int = 1, num_classes: int = 0,
         **options) -> ModelSpec:
    """A spec for `arch`; keyword arguments other than the shape are the arch's options (width, ...)."""
    return ModelSpec(arch, z_dim=z_dim, resolution=resolution, channels=channels, num_classes=num_classes,
                     classes=tuple(f"class{i}" for i in range(num_classes)), options=options)
