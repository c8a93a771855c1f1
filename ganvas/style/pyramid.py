"""Coarse-to-fine sizes, and moving images between them."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from PIL import Image

from ..errors import GanvasError

MIN_SIDE = 32


def auto_scales(size: int, min_scale: int) -> tuple[int, ...]:
    """Long sides from about `min_scale` doubling up to `size`, e.g. 2048 -> (256, 512, 1024, 2048)."""
    scales = [size]
    while scales[0] // 2 >= min_scale:
        scales.insert(0, scales[0] // 2)
    return tuple(scales)


def check_scales(scales: tuple[int, ...], size: int) -> tuple[int, ...]:
    if any(s < MIN_SIDE for s in scales):
        raise GanvasError(f"--scales: every size must be at least {MIN_SIDE} px")
    if list(scales) != sorted(scales):
        raise GanvasError("--scales: list the sizes from coarse to fine, e.g. --scales 256 512")
    if scales[-1] != size:
        return tuple(s for s in scales if s < size) + (size,)
    return tuple(scales)


def fit_long_side(width: int, height: int, long_side: int) -> tuple[int, int]:
    """(w, h) with the given long side and the original aspect ratio."""
    scale = long_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def long_side_for_short(width: int, height: int, short: int) -> int:
    """The long side at which this aspect ratio has the given short side."""
    return -(-short * max(width, height) // min(width, height))


def to_tensor(img: Image.Image) -> torch.Tensor:
    """PIL RGB -> float [1,3,H,W] in 0..255."""
    data = torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8)
    return data.view(img.height, img.width, 3).permute(2, 0, 1).unsqueeze(0).float().contiguous()


def to_pil(image: torch.Tensor) -> Image.Image:
    array = image.detach()[0].clamp(0, 255).round().to(torch.uint8).permute(1, 2, 0).contiguous()
    return Image.fromarray(array.cpu().numpy(), "RGB")


def resized(img: Image.Image, long_side: int) -> Image.Image:
    size = fit_long_side(img.width, img.height, long_side)
    if size == img.size:
        return img
    return img.resize(size, Image.Resampling.LANCZOS)


def upsample(image: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """The previous scale's result, stretched to start the next scale."""
    return F.interpolate(image, size=(height, width), mode="bicubic", align_corners=False).clamp(0, 255)


def resize_tensor(image: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Antialiased resize of a 0..255 image; a no-op at the same size."""
    if tuple(image.shape[-2:]) == (height, width):
        return image
    return F.interpolate(image, size=(height, width), mode="bicubic", align_corners=False,
                         antialias=True).clamp(0, 255)
