"""Generator output as 8-bit pixels: the one quantisation every writer and metric shares."""
from __future__ import annotations

import math
from typing import Optional

import torch
from PIL import Image


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Images in [-1, 1] quantised exactly as saving them to PNG does (uint8 passes through)."""
    if images.dtype == torch.uint8:
        return images
    return ((images.detach().float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).cpu()


def tile(images: torch.Tensor, nrow: Optional[int] = None) -> torch.Tensor:
    """Tile uint8 images [N, C, H, W] into one uint8 image, rows of `nrow` (default: near square)."""
    import torchvision

    nrow = nrow or math.ceil(math.sqrt(len(images)))
    tiled = torchvision.utils.make_grid(images, nrow=nrow, padding=2, pad_value=255)
    return tiled[:1] if images.shape[1] == 1 else tiled  # make_grid repeats gray into three channels


def to_pil(image: torch.Tensor) -> Image.Image:
    """One uint8 [C, H, W] tensor as a Pillow image ("L" or "RGB")."""
    array = image.permute(1, 2, 0).numpy()
    return Image.fromarray(array[:, :, 0], "L") if array.shape[2] == 1 else Image.fromarray(array, "RGB")
