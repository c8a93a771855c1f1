"""Latent vectors: seeded draws, the truncation trick, and spherical paths between draws."""
from __future__ import annotations

import math
from typing import Optional, Union

import torch


def latents(n: int, z_dim: int, *, seed: int, truncation: Optional[float] = None) -> torch.Tensor:
    """`n` latents from N(0, I), the same for the same seed on every machine.

    With `truncation` T every value is drawn from the normal truncated to [-T, T] (the BigGAN trick:
    redraw what lies outside). It is sampled exactly by inverting the CDF, so no rejection loop is
    needed however small T is.
    """
    generator = torch.Generator().manual_seed(seed)
    if truncation is None:
        return torch.randn(n, z_dim, generator=generator)
    if not truncation > 0:
        raise ValueError(f"truncation must be positive, got {truncation}")
    edge = 0.5 * math.erfc(truncation / math.sqrt(2.0))  # P(z < -T)
    u = torch.rand(n, z_dim, generator=generator, dtype=torch.float64)
    z = torch.special.ndtri(edge + u * (1.0 - 2.0 * edge))
    return z.clamp_(-truncation, truncation).float()


def slerp(a: torch.Tensor, b: torch.Tensor, t: Union[float, torch.Tensor]) -> torch.Tensor:
    """Spherical interpolation from `a` (t=0) to `b` (t=1) along the last dimension.

    Gaussian latents live near a sphere; a straight line between two of them cuts through the
    low-density middle, which shows up as washed-out frames. Nearly parallel vectors fall back to lerp.
    """
    t = torch.as_tensor(t, dtype=a.dtype)
    if t.dim() > 0:
        t = t.unsqueeze(-1)
    cos = torch.nn.functional.cosine_similarity(a, b, dim=-1).clamp(-1.0, 1.0).unsqueeze(-1)
    omega = torch.arccos(cos)
    sin = torch.sin(omega)
    parallel = sin.abs() < 1e-6
    safe = torch.where(parallel, torch.ones_like(sin), sin)
    spherical = (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / safe
    linear = (1 - t) * a + t * b
    return torch.where(parallel, linear, spherical)


def lerp(a: torch.Tensor, b: torch.Tensor, t: Union[float, torch.Tensor]) -> torch.Tensor:
    """Straight-line interpolation along the last dimension: how StyleGAN walks in W, which is not Gaussian."""
    t = torch.as_tensor(t, dtype=a.dtype)
    return (1 - t.unsqueeze(-1)) * a + t.unsqueeze(-1) * b if t.dim() > 0 else (1 - t) * a + t * b


def interpolation_path(keys: torch.Tensor, frames_per_segment: int, loop: bool = True,
                       spherical: bool = True) -> torch.Tensor:
    """Latents that visit every key in turn, `frames_per_segment` steps from one key to the next.

    With `loop` the path returns to the first key and the result has K * frames_per_segment rows, the
    last of which leads smoothly back into the first; without it, (K - 1) * frames_per_segment + 1 rows
    ending on the last key. `spherical` slerps (for Gaussian z); otherwise the path is straight (for w).
    """
    if keys.dim() != 2 or len(keys) < 2:
        raise ValueError(f"need at least 2 keys as a [K, z_dim] tensor, got shape {list(keys.shape)}")
    if frames_per_segment < 1:
        raise ValueError(f"frames_per_segment must be at least 1, got {frames_per_segment}")
    ends = torch.roll(keys, -1, dims=0) if loop else keys[1:]
    starts = keys if loop else keys[:-1]
    t = torch.arange(frames_per_segment, dtype=keys.dtype) / frames_per_segment
    segments = (slerp if spherical else lerp)(starts[:, None, :], ends[:, None, :], t[None, :])
    path = segments.reshape(-1, keys.shape[1])
    return path if loop else torch.cat([path, keys[-1:]])


class LatentSampler:
    """The one place latents and class labels are drawn, for training, grids, metrics and sampling.

    Training draws from the global RNG, whose state every checkpoint carries, so a resumed run draws
    the same numbers; everything else draws from its own seed and leaves the global RNG alone.
    """

    def __init__(self, z_dim: int, num_classes: int = 0):
        self.z_dim, self.num_classes = z_dim, num_classes

    def draw(self, n: int, device=None) -> tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Training latents and uniformly drawn classes, from the global RNG."""
        z = torch.randn(n, self.z_dim, device=device)
        labels = torch.randint(0, self.num_classes, (n,), device=device) if self.num_classes else None
        return z, labels

    def fixed(self, n: int, seed: int, device=None,
              truncation: Optional[float] = None) -> tuple[torch.Tensor, Optional[torch.Tensor]]:
        """The same `n` latents for the same seed, with every class in turn."""
        z = latents(n, self.z_dim, seed=seed, truncation=truncation).to(device)
        labels = torch.arange(n, device=device) % self.num_classes if self.num_classes else None
        return z, labels
