"""How different a batch's images are from one another: a cheap, label-free sign of mode collapse."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def batch_diversity(images: torch.Tensor, size: int = 16) -> float:
    """Mean distance from each image to its nearest other image.

    Images are averaged down to at most `size` x `size` first, so the measure is cheap and looks at
    layout rather than pixel noise; distances are RMS per value, so they don't grow with resolution.
    Nearest-neighbour distance (not mean pairwise distance) drops to ~0 as soon as G repeats itself,
    even when the few images it still makes differ from one another. Compare batches of equal size.
    Returns NaN for fewer than two images.
    """
    if images.ndim != 4 or len(images) < 2:
        return float("nan")
    x = images.detach().float()
    if x.shape[-1] > size or x.shape[-2] > size:
        x = F.adaptive_avg_pool2d(x, (min(size, x.shape[-2]), min(size, x.shape[-1])))
    flat = x.flatten(1)
    with torch.no_grad():
        dist = torch.cdist(flat, flat)
        dist.fill_diagonal_(float("inf"))
    return float(dist.min(dim=1).values.mean() / math.sqrt(flat.shape[1]))
