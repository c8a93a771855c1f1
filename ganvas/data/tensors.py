"""Whole-tensor conversions of uint8 image batches: channels, padding, resizing."""
from __future__ import annotations

import torch
import torch.nn.functional as F

# ITU-R 601 weights, the ones Pillow uses for RGB -> L, so folders and tensors agree.
_LUMA = (299, 587, 114)


def to_channels(images: torch.Tensor, channels: int) -> torch.Tensor:
    """uint8 [N, C, H, W] with C in {1, 3} -> the requested channel count."""
    have = images.shape[1]
    if have == channels:
        return images
    if channels == 3:
        return images.expand(-1, 3, -1, -1).contiguous()
    weights = torch.tensor(_LUMA, dtype=torch.int32).view(1, 3, 1, 1)
    luma = (images.to(torch.int32) * weights).sum(dim=1, keepdim=True)
    return ((luma + 500) // 1000).to(torch.uint8)


def pad_square(images: torch.Tensor, size: int) -> torch.Tensor:
    """Centre [N, C, h, w] on a black size x size canvas."""
    h, w = images.shape[-2:]
    top, left = (size - h) // 2, (size - w) // 2
    return F.pad(images, (left, size - w - left, top, size - h - top))


def resize_square(images: torch.Tensor, size: int, chunk: int = 4096) -> torch.Tensor:
    """Antialiased bilinear resize of a uint8 batch, in chunks to bound memory."""
    if images.shape[-1] == size and images.shape[-2] == size:
        return images
    out = torch.empty((images.shape[0], images.shape[1], size, size), dtype=torch.uint8)
    for start in range(0, images.shape[0], chunk):
        part = images[start:start + chunk].float()
        scaled = F.interpolate(part, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        out[start:start + chunk] = scaled.round_().clamp_(0, 255).to(torch.uint8)
    return out
