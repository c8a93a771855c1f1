"""The images a style run starts from: photo, paintings and the initial image, checked and sized."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Union

import torch
from PIL import Image, ImageOps

from ..errors import GanvasError
from ..io import load_image
from . import pyramid
from .demo_images import builtin

ImageLike = Union[str, os.PathLike, Image.Image]


def load_picture(source: ImageLike, long_side: int, role: str) -> Image.Image:
    """RGB image with the given long side. Large files are shrunk while decoding, before any network."""
    if isinstance(source, Image.Image):
        img, name = ImageOps.exif_transpose(source).convert("RGB"), f"{role} image"
        original = img.size
    else:
        img, name = builtin(str(source)), str(source)
        original = img.size if img is not None else None
        if img is None:
            img = load_image(Path(source), mode="RGB", max_side=max(long_side, pyramid.MIN_SIDE))
            with Image.open(source) as header:  # the file's own size, before any shrinking
                original = header.size
    if min(original) < pyramid.MIN_SIDE:
        raise GanvasError(f"{name}: only {original[0]}x{original[1]} px; style transfer needs at least "
                          f"{pyramid.MIN_SIDE} px on the short side")
    return pyramid.resized(img, long_side)


def load_init(init: str, photo: torch.Tensor, seed: int) -> torch.Tensor:
    """The first scale's starting image: the photo, seeded noise, or an image file resized to fit."""
    if init == "content":
        return photo.clone()
    if init == "noise":
        generator = torch.Generator().manual_seed(seed)
        noise = torch.rand(photo.shape, generator=generator) * 255.0
        return noise.to(photo.device)
    h, w = photo.shape[-2:]
    img = load_image(Path(init), mode="RGB", max_side=max(h, w) * 2)
    return pyramid.to_tensor(img.resize((w, h), Image.Resampling.LANCZOS)).to(photo.device)
