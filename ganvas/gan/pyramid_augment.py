"""Augmenting MSG-GAN's pyramid: one transform per image, applied alike at every scale.

D compares the scales of an image with each other, so an independent draw per scale would teach it
that the scales of every image disagree. Each op therefore draws once, for the finest scale, and is
applied at every scale: colour ops with the same per-image factors (their draws do not depend on the
size, so replaying the RNG state gives the same numbers), shifts and ADA's geometry in proportion to
the size, cutout as the finest scale's mask averaged down. The RNG ends where one draw leaves it, so
resumes replay exactly.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch
import torch.nn.functional as F

from .augment import (COLOUR_OPS, GEOMETRIC_OPS, POLICIES, SHIFT_RATIO, AugmentPipe, _diff_color, _gate,
                      _geometry, _recolour, _square_mask, _warp)


def augment_pyramid(pipe: AugmentPipe, scales: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """`scales` (coarsest first, each half the next) through `pipe`, with one draw per image for all."""
    if not pipe.active:
        return list(scales)
    ys = [x.float() for x in scales]
    if pipe.mode == "diffaugment":
        for name in (name for name in POLICIES if name in pipe.policy):
            ys = _DIFFAUGMENT[name](ys)
    else:
        ys = _ada(pipe, ys)
    return [y.to(dtype=x.dtype, memory_format=_layout(x)) for x, y in zip(scales, ys)]


def _layout(x: torch.Tensor) -> torch.memory_format:
    return torch.channels_last if x.is_contiguous(memory_format=torch.channels_last) else torch.contiguous_format


def _replayed(op: Callable[[torch.Tensor], torch.Tensor], ys: list[torch.Tensor]) -> list[torch.Tensor]:
    """op at every scale from the same RNG state: ops whose draws depend only on the batch size."""
    device = ys[0].device
    cuda = device.type == "cuda"
    start = torch.cuda.get_rng_state(device) if cuda else torch.get_rng_state()
    out = []
    for y in ys:
        if cuda:
            torch.cuda.set_rng_state(start, device)
        else:
            torch.set_rng_state(start)
        out.append(op(y))
    return out


def _shift(x: torch.Tensor, dy: torch.Tensor, dx: torch.Tensor, pad_h: int, pad_w: int) -> torch.Tensor:
    """Each image moved by whole pixels (dy, dx: [N], at most the pads); what moves in from outside is
    zero (mid grey). One gather from the padded batch, as augment.py's translation does."""
    n, c, h, w = x.shape
    rows = torch.arange(h, device=x.device).view(1, h, 1) + dy.view(n, 1, 1) + pad_h
    cols = torch.arange(w, device=x.device).view(1, 1, w) + dx.view(n, 1, 1) + pad_w
    index = (rows * (w + 2 * pad_w) + cols).view(n, 1, h * w).expand(n, c, h * w)
    padded = F.pad(x, (pad_w, pad_w, pad_h, pad_h)).flatten(2)
    return padded.gather(2, index).view(n, c, h, w)


def _translation(ys: list[torch.Tensor]) -> list[torch.Tensor]:
    finest = ys[-1]
    n, _, h, w = finest.shape
    reach_h, reach_w = int(h * SHIFT_RATIO + 0.5), int(w * SHIFT_RATIO + 0.5)
    dy = torch.randint(-reach_h, reach_h + 1, (n,), device=finest.device)
    dx = torch.randint(-reach_w, reach_w + 1, (n,), device=finest.device)
    out = []
    for y in ys:
        fy, fx = h // y.shape[2], w // y.shape[3]
        out.append(_shift(y, torch.round(dy / fy).long(), torch.round(dx / fx).long(),
                          reach_h // fy + 1, reach_w // fx + 1))
    return out


def _cutout(ys: list[torch.Tensor], gate=None) -> list[torch.Tensor]:
    finest = ys[-1]
    n, _, h, w = finest.shape
    gate = torch.ones(n, device=finest.device) if gate is None else gate
    keep = _square_mask(torch.ones(n, 1, h, w, device=finest.device), gate)
    return [y * F.adaptive_avg_pool2d(keep, y.shape[2:]) for y in ys]


_DIFFAUGMENT = {
    "color": lambda ys: _replayed(_diff_color, ys),
    "translation": _translation,
    "cutout": _cutout,
}


def _ada(pipe: AugmentPipe, ys: list[torch.Tensor]) -> list[torch.Tensor]:
    finest = ys[-1]
    if any(op in pipe.ops for op in GEOMETRIC_OPS):
        inverse = _geometry(finest, pipe.p, pipe.ops)  # in the finest scale's pixels
        ys = [_warp(y, _in_pixels_of(inverse, finest.shape[-1] // y.shape[-1])) for y in ys]
    if any(op in pipe.ops for op in COLOUR_OPS):
        ys = _replayed(lambda y: _recolour(y, pipe.p, pipe.ops), ys)
    if "cutout" in pipe.ops:
        ys = _cutout(ys, _gate(len(finest), pipe.p, finest.device))
    return ys


def _in_pixels_of(inverse: torch.Tensor, factor: int) -> torch.Tensor:
    """A map in the finest scale's centred pixel units, for an image `factor` times smaller: only the
    translation changes."""
    if factor == 1:
        return inverse
    scaled = inverse.clone()
    scaled[:, :2, 2] = scaled[:, :2, 2] / factor
    return scaled
