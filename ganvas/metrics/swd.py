"""Sliced Wasserstein distance between Laplacian-pyramid patches (Karras et al., ProGAN, 2018).

Each image becomes a Laplacian pyramid down to 16 px. From every level, random 7x7 patches are
taken from both sets, normalised per channel, and compared by the 1-D Wasserstein distance along
random directions. Fine levels see texture and edges, the coarsest sees colour and layout.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

MIN_RES = 16
PATCH = 7
# Directions are projected a chunk at a time to bound memory with many patches.
DIRECTION_CHUNK = 128
_BINOMIAL = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16


def _blur_down(x: torch.Tensor) -> torch.Tensor:
    """Binomial 5-tap blur and 2x decimation, one axis at a time.

    Weighted sums of strided slices: depthwise conv2d is many times slower on CPU for this.
    """
    taps = _BINOMIAL.tolist()
    x = F.pad(x, (2, 2, 2, 2), mode="reflect")
    h, w = x.shape[-2] - 4, x.shape[-1] - 4
    x = sum(t * x[..., :, k:k + w:2] for k, t in enumerate(taps))
    return sum(t * x[..., k:k + h:2, :] for k, t in enumerate(taps))


def laplacian_pyramid(images: torch.Tensor, min_res: int = MIN_RES) -> list[torch.Tensor]:
    """Band-pass levels from finest to coarsest; the last level is the low-pass residual."""
    levels, current = [], images
    while min(current.shape[-2:]) // 2 >= min_res:
        smaller = _blur_down(current)
        up = F.interpolate(smaller, size=current.shape[-2:], mode="bilinear", align_corners=False)
        levels.append(current - up)
        current = smaller
    levels.append(current)
    return levels


def _positions(shape: torch.Size, count: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    n, _, h, w = shape
    return (torch.randint(0, h - PATCH + 1, (n, count), generator=gen),
            torch.randint(0, w - PATCH + 1, (n, count), generator=gen))


def _patches(level: torch.Tensor, ys: torch.Tensor, xs: torch.Tensor) -> torch.Tensor:
    """PATCH x PATCH descriptors at the given corners, flattened to [N*count, C*PATCH*PATCH]."""
    n, c, h, w = level.shape
    count = ys.shape[1]
    offsets = torch.arange(PATCH)
    rows = (ys[..., None] + offsets)[..., :, None].expand(n, count, PATCH, PATCH)
    cols = (xs[..., None] + offsets)[..., None, :].expand(n, count, PATCH, PATCH)
    flat = level.reshape(n, c, h * w)
    index = (rows * w + cols).reshape(n, 1, -1).expand(n, c, -1)
    picked = flat.gather(2, index).reshape(n, c, count, PATCH * PATCH)
    return picked.permute(0, 2, 1, 3).reshape(n * count, c * PATCH * PATCH)


def _normalise(a: torch.Tensor, b: torch.Tensor, channels: int) -> tuple[torch.Tensor, torch.Tensor]:
    # One shared per-channel scale keeps the distance blind to the dataset's overall contrast but,
    # unlike normalising each set by itself, still sees a generator whose contrast or colour is off.
    both = torch.cat([a, b]).reshape(-1, channels, PATCH * PATCH)
    mean = both.mean(dim=(0, 2)).repeat_interleave(PATCH * PATCH)
    std = both.std(dim=(0, 2)).clamp_min(1e-8).repeat_interleave(PATCH * PATCH)
    return (a - mean) / std, (b - mean) / std


def sliced_wasserstein(a: torch.Tensor, b: torch.Tensor, directions: int, gen: torch.Generator) -> float:
    """Mean over random unit directions of the 1-D Wasserstein-1 distance of the projections."""
    total = 0.0
    for start in range(0, directions, DIRECTION_CHUNK):
        dirs = torch.randn(a.shape[1], min(DIRECTION_CHUNK, directions - start), generator=gen, dtype=a.dtype)
        dirs = dirs / dirs.norm(dim=0, keepdim=True)
        # NumPy sorts rows several times faster than torch.sort on CPU.
        proj_a = np.sort((a @ dirs).T.numpy(), axis=1)
        proj_b = np.sort((b @ dirs).T.numpy(), axis=1)
        total += float(np.abs(proj_a - proj_b).mean(axis=1).sum())
    return total / directions


def _check(a: torch.Tensor, b: torch.Tensor) -> None:
    if a.ndim != 4 or b.ndim != 4 or a.shape[1:] != b.shape[1:]:
        raise ValueError(f"SWD needs two image batches [N,C,H,W] of one shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    if min(a.shape[-2:]) < MIN_RES:
        raise ValueError(f"SWD needs images of at least {MIN_RES} px, got {tuple(a.shape[-2:])}")


def _subsample(images: torch.Tensor, n: int, gen: torch.Generator) -> torch.Tensor:
    if len(images) != n:
        images = images[torch.randperm(len(images), generator=gen)[:n].sort().values]
    if images.dtype == torch.uint8:
        return images.float() / 127.5 - 1  # 8-bit images on the generator's [-1, 1] scale
    return images.float()


def swd_levels(a: torch.Tensor, b: torch.Tensor, *, seed: int = 0, patches_per_image: int = 128,
               directions: int = 512) -> dict[int, float]:
    """SWD per pyramid level, keyed by the level's resolution; a, b are [N,C,H,W] images in [-1, 1]
    (or uint8).

    The larger set is subsampled so both sides contribute as many patches. Both sides share the
    random patch corners, so identical sets score exactly 0.
    """
    _check(a, b)
    gen = torch.Generator().manual_seed(seed)
    n = min(len(a), len(b))
    a, b = _subsample(a, n, gen), _subsample(b, n, gen)
    channels = a.shape[1]
    result = {}
    for level_a, level_b in zip(laplacian_pyramid(a), laplacian_pyramid(b)):
        ys, xs = _positions(level_a.shape, patches_per_image, gen)
        desc_a, desc_b = _normalise(_patches(level_a, ys, xs), _patches(level_b, ys, xs), channels)
        result[level_a.shape[-1]] = sliced_wasserstein(desc_a, desc_b, directions, gen)
    return result


def swd(a: torch.Tensor, b: torch.Tensor, *, seed: int = 0, patches_per_image: int = 32,
        directions: int = 128) -> float:
    """One cheap SWD number: the mean over pyramid levels, sized for a check every few hundred steps."""
    with torch.no_grad():
        levels = swd_levels(a.detach().cpu(), b.detach().cpu(), seed=seed,
                            patches_per_image=patches_per_image, directions=directions)
    return sum(levels.values()) / len(levels)
