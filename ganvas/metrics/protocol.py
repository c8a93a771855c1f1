"""The settings a number depends on, reported beside it: two FIDs compare only under one protocol."""
from __future__ import annotations

import platform
from typing import Optional

import torch

from .. import __version__
from .features import RESIZE_FILTERS
from .inception import NAME, Inception

# Evaluation-time SWD settings (the in-loop `swd()` uses fewer patches and directions for speed).
SWD_IMAGES = 4096
SWD_PATCHES = 16
SWD_DIRECTIONS = 512


def swd_description(images: int) -> str:
    return (f"Laplacian pyramid to 16 px, {SWD_PATCHES} 7x7 patches per image per level from {images} images "
            f"per side, {SWD_DIRECTIONS} random directions, patches normalised by the joint per-channel "
            "mean/std; value is the mean over levels")


def build_protocol(*, metrics: tuple[str, ...], n_generated: int, n_reference: int, reference: str,
                   seed: int, inception: Optional[Inception], resize: str, precision: str,
                   kid_subsets: int, kid_subset_size: int, pr_k: int, swd_images: int,
                   generator: Optional[str] = None) -> dict:
    protocol: dict = {}
    if generator:
        protocol["generator"] = generator
    protocol.update(n_generated=n_generated, n_reference=n_reference, reference=reference, seed=seed)
    if inception is not None:
        protocol["feature_network"] = NAME
        protocol["weights"] = inception.path.name
        protocol["weights_sha256"] = inception.sha256 + ("" if inception.standard else " (not the standard file)")
        protocol["resize"] = RESIZE_FILTERS[resize]
        protocol["precision"] = precision
        protocol["generated_images"] = "quantised to 8 bits before the feature network, like saved PNGs"
    if "kid" in metrics:
        protocol["kid"] = (f"unbiased MMD^2, cubic polynomial kernel (x.y/d + 1)^3, {kid_subsets} subsets of "
                           f"{kid_subset_size}")
    if "pr" in metrics:
        protocol["precision_recall"] = f"k-NN manifolds (Kynkäänniemi et al. 2019), k={pr_k}, on Inception features"
    if "swd" in metrics:
        protocol["swd"] = swd_description(swd_images)
    protocol["software"] = f"ganvas {__version__}, torch {torch.__version__}, python {platform.python_version()}"
    return protocol
