"""Draw from a trained run: sample PNGs, latent walks, exported generators."""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence, Union

from .errors import GanvasError
from .progress import Callback, silent

EXPORT_FORMATS = ("onnx", "torchscript")


def sample(run, n: int = 64, out="samples", grid: bool = False, seed: int = 0,
           truncation: Optional[float] = None, labels: Optional[Sequence[Union[int, str]]] = None,
           progress: Callback = silent) -> list[Path]:
    """Write `n` generated images from `run` as PNGs in folder `out` (one grid PNG when `grid`)."""
    raise GanvasError("sample: not available yet")


def interpolate(run, out="walk.gif", keys: int = 6, frames: int = 24, seed: int = 0, fps: int = 24,
                progress: Callback = silent) -> Path:
    """Write a looping spherical walk through `keys` latents, `frames` frames between each two."""
    raise GanvasError("interpolate: not available yet")


def export(run, format: str = "onnx", out=None) -> Path:
    """Write the run's generator as ONNX or TorchScript."""
    raise GanvasError("export: not available yet")
