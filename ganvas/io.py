"""Reading and writing images: every mode Pillow knows, clear one-line errors, nothing overwritten.

Every file ganvas writes goes through `atomic_write_bytes` or `atomic_path`, so a crash or a kill never
leaves half a file under the final name.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
import warnings
from pathlib import Path
from typing import Iterable, Iterator, Optional

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import GanvasError

GRAY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}


def _open_checked(path: Path) -> Image.Image:
    if not path.exists():
        raise GanvasError(f"{path}: no such file")
    if path.is_dir():
        raise GanvasError(f"{path}: is a folder, not an image")
    if path.stat().st_size == 0:
        raise GanvasError(f"{path}: empty file")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its two bomb limits; a bomb is refused at either.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise GanvasError(f"{path}: too many pixels (decompression-bomb guard)") from None
    except UnidentifiedImageError:
        raise GanvasError(f"{path}: not an image Pillow can read") from None
    except OSError as exc:
        raise GanvasError(f"{path}: cannot be read ({exc})") from None


def _high_bit_depth_to_8bit(img: Image.Image) -> Image.Image:
    # Pillow's convert("L") clips 16-bit values instead of scaling them, so scale here.
    arr = np.asarray(img, dtype=np.float64)
    top = 65535.0 if img.mode.startswith("I;16") or arr.max() > 255 else 255.0
    if img.mode == "F" and arr.max() <= 1.0:
        top = 1.0
    return Image.fromarray(np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")


def _flatten(img: Image.Image, background: tuple) -> Image.Image:
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        return _high_bit_depth_to_8bit(img)
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        base = Image.new("RGBA", rgba.size, tuple(background) + (255,))
        flat = Image.alpha_composite(base, rgba).convert("RGB")
        return flat.convert("L") if img.mode in ("LA", "La") else flat
    if img.mode == "1":
        return img.convert("L")
    if img.mode not in ("L", "RGB"):
        return img.convert("RGB")
    return img


def load_image(path: str | os.PathLike, *, mode: Optional[str] = "RGB", max_side: Optional[int] = None,
               background: tuple = (255, 255, 255)) -> Image.Image:
    """Decode an image upright and flattened to "L" or "RGB".

    mode=None keeps grayscale sources grayscale. max_side shrinks large images while decoding, so a
    huge photo never reaches full size in memory.
    """
    path = Path(path)
    img = _open_checked(path)
    try:
        if max_side and max(img.size) > 2 * max_side:
            img.draft(img.mode if img.mode in ("L", "RGB") else None, (max_side, max_side))
        img.load()
        img = ImageOps.exif_transpose(img)
        img = _flatten(img, background)
    except GanvasError:
        raise
    except (OSError, SyntaxError, ValueError) as exc:
        raise GanvasError(f"{path}: truncated or corrupt image ({exc})") from None
    if max_side and max(img.size) > max_side:
        img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    if mode is not None and img.mode != mode:
        img = img.convert(mode)
    return img


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    a, b = Path(a), Path(b)
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write through a temp file, fsync and rename, so a crash never leaves half a file."""
    # The ".tmp" ending lets folders that are pruned (checkpoints/) find the leftovers of a kill.
    with atomic_path(path, suffix=".tmp") as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: Optional[str] = None) -> Iterator[Path]:
    """A temporary file name beside `path`, for writers that want a name rather than bytes.

    What the block writes there is fsynced and renamed onto `path` when the block ends without an
    error; on an error (or a kill) the final name is untouched and the temporary file is removed.
    `suffix` is the temporary file's ending (default: `path`'s own, which some writers read).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                               suffix=path.suffix if suffix is None else suffix)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; outputs should read like any other
        _fsync_file(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save_image(img: Image.Image, path: str | os.PathLike, *, inputs: Iterable[str | os.PathLike] = ()) -> Path:
    """Save atomically, creating folders, and refuse to overwrite any of `inputs`."""
    path = Path(path)
    for source in inputs:
        if same_file(path, source) or path.resolve() == Path(source).resolve():
            raise GanvasError(f"{path}: is an input image; choose another --out so it is not overwritten")
    fmt = Image.registered_extensions().get(path.suffix.lower())
    if fmt is None:
        raise GanvasError(f"{path}: unknown image extension; use .png, .jpg or .webp")
    import io as _bytes_io

    buffer = _bytes_io.BytesIO()
    img.save(buffer, format=fmt)
    atomic_write_bytes(path, buffer.getvalue())
    return path
