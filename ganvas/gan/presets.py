"""Defaults that depend on the data: the one place where "auto" becomes a value.

A folder of a few hundred pictures is the common case for "my own images", and the hardest: D
memorises it within minutes. Augmentation that D sees on reals and fakes alike is what the published
small-data recipes share (DiffAugment, ADA), and on 273 icons it cut KID to 0.62x and SWD to 0.54x of
the classic recipe's at equal steps (docs/small-data.md). Built-in sets are large (12,000 images or
more) and keep the classic DCGAN recipe.
"""
from __future__ import annotations

import dataclasses

from ..config import TrainConfig

SMALL_DATA = 5_000  # images; below this a folder counts as small

CLASSIC = {"augment": "none"}
SMALL = {"augment": "diffaugment"}

AUTO_FIELDS = tuple(CLASSIC)


def is_small(n_images: int, builtin: bool) -> bool:
    return not builtin and n_images < SMALL_DATA


def resolve(cfg: TrainConfig, n_images: int, builtin: bool) -> TrainConfig:
    """`cfg` with every field left at "auto" (or None) set for data of this size."""
    preset = SMALL if is_small(n_images, builtin) else CLASSIC
    chosen = {name: preset[name] for name in AUTO_FIELDS if getattr(cfg, name) in (None, "auto")}
    return dataclasses.replace(cfg, **chosen)
