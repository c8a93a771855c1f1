"""Images -> Inception features, in batches, with a named resize filter and arithmetic."""
from __future__ import annotations

import contextlib
from typing import Callable, Iterator, Union

import numpy as np
import torch
import torch.nn.functional as F

from ..pixels import to_uint8
from ..progress import Callback, Progress, silent
from .inception import INPUT_SIZE, Inception

# The filter is part of the protocol: published FIDs move by several percent with it alone.
RESIZE_FILTERS = {
    "bilinear": "bilinear to 299 px (torch, half-pixel centres, antialiased when shrinking), on 8-bit values",
    "bicubic": "bicubic to 299 px (torch, half-pixel centres, antialiased when shrinking), on 8-bit values",
}

# A source of images: a tensor [N, C, H, W] (uint8, or float in [-1, 1]) or a function that returns
# the next `count` images as such a tensor.
ImageSource = Union[torch.Tensor, Callable[[int], torch.Tensor]]


def iter_batches(source: ImageSource, count: int, batch_size: int) -> Iterator[torch.Tensor]:
    """`count` uint8 images from `source`, `batch_size` at a time."""
    for start in range(0, count, batch_size):
        size = min(batch_size, count - start)
        batch = source[start:start + size] if torch.is_tensor(source) else source(size)
        if len(batch) != size:
            raise ValueError(f"image source gave {len(batch)} images, expected {size}")
        yield to_uint8(batch)


def inception_input(batch: torch.Tensor, resize: str) -> torch.Tensor:
    """uint8 [B, 1|3, H, W] -> float [B, 3, 299, 299] scaled as the TF graph expects, (x - 128) / 128."""
    x = batch.float()
    if x.shape[1] == 1:
        x = x.expand(-1, 3, -1, -1)
    if x.shape[-2:] != (INPUT_SIZE, INPUT_SIZE):
        x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode=resize, align_corners=False, antialias=True)
        x = x.clamp(0, 255)  # bicubic overshoots
    return (x / 128.0 - 1.0).contiguous(memory_format=torch.channels_last)


def _arithmetic(precision: str, device: torch.device):
    if precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def extract_features(source: ImageSource, count: int, inception: Inception, *, resize: str = "bilinear",
                     precision: str = "fp32", batch_size: int = 50, task: str = "features",
                     progress: Callback = silent) -> np.ndarray:
    """float32 features [count, D] (D = 2048 for Inception) of `count` images drawn from `source`."""
    if resize not in RESIZE_FILTERS:
        raise ValueError(f"unknown resize filter {resize!r}; choose from {', '.join(RESIZE_FILTERS)}")
    device = next(iter(inception.net.parameters()), torch.zeros(())).device
    chunks, done = [], 0
    progress(Progress(task, "start", 0, count))
    with torch.inference_mode(), _arithmetic(precision, device):
        for batch in iter_batches(source, count, batch_size):
            feats = inception.net(inception_input(batch.to(device), resize))
            chunks.append(feats.reshape(len(batch), -1).float().cpu().numpy())
            done += len(batch)
            progress(Progress(task, "update", done, count))
    progress(Progress(task, "end", done, count))
    return np.concatenate(chunks)
