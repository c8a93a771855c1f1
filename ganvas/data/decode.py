"""One image file -> one square uint8 array, by centre crop or resize-and-pad."""
from __future__ import annotations

import math
import os
import tempfile
import warnings
import zipfile
from pathlib import Path
from typing import Optional

import numpy as np
from PIL import Image

from ..errors import GanvasError
from ..io import load_image

FITS = ("crop", "pad")

# (array or None, reason or None): arrays are [R, R] for grayscale files and [R, R, 3] for colour.
Decoded = tuple[Optional[np.ndarray], Optional[str]]


def _aspect(path: Path) -> Optional[float]:
    """Long side / short side from the header alone, or None when the header is unreadable."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as img:
                w, h = img.size
    except Exception:  # load_image gives the proper reason right after
        return None
    return max(w, h) / max(1, min(w, h))


def _decode_budget(path: Path, resolution: int, fit: str) -> Optional[int]:
    # Decode at no more than the size the fit needs: JPEG draft mode then skips most of the work on
    # big photos (measured 2x faster than decoding at twice the size), and both resizes antialias.
    aspect = _aspect(path)
    if aspect is None:
        return None
    needed = resolution if fit == "pad" else math.ceil(resolution * aspect)
    return needed


def fit_square(img: Image.Image, resolution: int, fit: str) -> Image.Image:
    """Centre-crop then resize, or resize the longer side then pad with black."""
    w, h = img.size
    if fit == "crop":
        side = min(w, h)
        left, top = (w - side) / 2, (h - side) / 2
        return img.resize((resolution, resolution), Image.Resampling.LANCZOS,
                          box=(left, top, left + side, top + side))
    scale = resolution / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    canvas = Image.new(img.mode, (resolution, resolution), 0)
    canvas.paste(img.resize(size, Image.Resampling.LANCZOS),
                 ((resolution - size[0]) // 2, (resolution - size[1]) // 2))
    return canvas


def decode_file(path: str | os.PathLike, resolution: int, fit: str) -> np.ndarray:
    """Decode upright and flattened (grayscale stays grayscale); raises GanvasError when unusable."""
    path = Path(path)
    img = load_image(path, mode=None, max_side=_decode_budget(path, resolution, fit))
    return np.asarray(fit_square(img, resolution, fit), dtype=np.uint8)


def _reason(exc: GanvasError, path: Path) -> str:
    # load_image names the file first; the report names it separately, so keep only the reason.
    text = str(exc)
    prefix = f"{path}: "
    return text[len(prefix):] if text.startswith(prefix) else text


def _decode_or_reason(path: Path, resolution: int, fit: str) -> Decoded:
    try:
        return decode_file(path, resolution, fit), None
    except GanvasError as exc:
        return None, _reason(exc, path)
    except MemoryError:
        return None, "too large to decode in memory"
    except Exception as exc:  # a malformed file can trip any codec; it must not stop the others
        return None, f"cannot be decoded ({type(exc).__name__}: {exc})"


def decode_files(paths: list[str], resolution: int, fit: str) -> list[Decoded]:
    """Decode files of a folder; the unit of work a worker process receives."""
    return [_decode_or_reason(Path(p), resolution, fit) for p in paths]


def decode_members(archive: str, members: list[str], resolution: int, fit: str) -> list[Decoded]:
    """Decode members of a .zip, each through a private temporary file so load_image sees a path."""
    results = []
    with zipfile.ZipFile(archive) as zf, tempfile.TemporaryDirectory(prefix="ganvas-zip-") as tmp:
        for index, member in enumerate(members):
            path = Path(tmp) / f"{index}{Path(member).suffix}"
            try:
                path.write_bytes(zf.read(member))
            except (OSError, zipfile.BadZipFile, RuntimeError, EOFError) as exc:
                results.append((None, f"cannot be read from the .zip ({exc})"))
                continue
            results.append(_decode_or_reason(path, resolution, fit))
            path.unlink()
    return results
