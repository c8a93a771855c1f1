"""idx files (MNIST's format): find them locally, or download them with checksum checks, and read them."""
from __future__ import annotations

import gzip
import hashlib
import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import GanvasError
from ..progress import Progress, silent
from ..cache import cache_root
from ..io import atomic_path

# Where Debian's dataset-* packages put their files.
SYSTEM_ROOT = Path("/usr/share/datasets")
TIMEOUT_S = 30
_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


@dataclass(frozen=True)
class IdxSet:
    """A published idx dataset: file names per split, official mirrors and their MD5 sums."""

    name: str
    mirrors: tuple[str, ...]
    md5: dict  # archive file name -> MD5 published with the dataset
    splits: dict  # "train"/"test" -> (images archive name, labels archive name)
    debian_package: Optional[str] = None


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an idx file (gzipped or not) into an array of its declared type and shape."""
    path = Path(path)
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as fh:
            data = fh.read()
    except (OSError, EOFError) as exc:
        raise GanvasError(f"{path}: cannot be read ({exc}); delete it so it is fetched again") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _DTYPES:
        raise GanvasError(f"{path}: not an idx file (bad magic number); delete it so it is fetched again")
    ndim = data[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_DTYPES[data[2]])
    if len(data) != header + int(np.prod(shape)) * dtype.itemsize:
        raise GanvasError(f"{path}: idx file is truncated or padded (shape {shape}); delete it so it is "
                          "fetched again")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)


def search_dirs(name: str, data_root: Optional[str]) -> list[Path]:
    """Where idx files are looked for, in order: --data-root, $GANVAS_DATA, the cache, Debian's place."""
    roots = [Path(p).expanduser() for p in (data_root, os.environ.get("GANVAS_DATA")) if p]
    roots.append(cache_root())
    dirs = [d for root in roots for d in (root / name, root)]
    dirs.append(SYSTEM_ROOT / name)
    return dirs


def _find(filename: str, dirs: list[Path]) -> Optional[Path]:
    plain = filename[:-3] if filename.endswith(".gz") else filename
    for folder in dirs:
        for candidate in (folder / filename, folder / plain):
            if candidate.is_file():
                return candidate
    return None


def download_dir(name: str, data_root: Optional[str]) -> Path:
    root = data_root or os.environ.get("GANVAS_DATA")
    return (Path(root).expanduser() if root else cache_root()) / name


def _open_url(url: str):
    # The one place that touches the network; tests replace it.
    return urllib.request.urlopen(url, timeout=TIMEOUT_S)


def download(url: str, dest: Path, md5: str) -> Path:
    """Stream `url` to `dest`, refusing (and deleting) anything whose MD5 differs from the published one."""
    digest = hashlib.md5(usedforsecurity=False)
    with atomic_path(dest, suffix=".part") as tmp:
        with open(tmp, "wb") as out, _open_url(url) as response:
            while block := response.read(1 << 20):
                digest.update(block)
                out.write(block)
        if digest.hexdigest() != md5:
            raise GanvasError(f"{url}: checksum mismatch (md5 {digest.hexdigest()}, expected {md5}); "
                              "the download was discarded, try again or fetch the file by hand")
    return dest


def _fetch(spec: IdxSet, filename: str, data_root: Optional[str], dirs: list[Path], progress) -> Path:
    dest = download_dir(spec.name, data_root) / filename
    failures = []
    for mirror in spec.mirrors:
        url = mirror + filename
        progress(Progress("prepare", "note", message=f"downloading {url}"))
        try:
            return download(url, dest, spec.md5[filename])
        except GanvasError:
            raise
        except Exception as exc:  # any network or disk failure: try the next mirror
            failures.append(f"{url} ({getattr(exc, 'reason', None) or exc})")
    looked = ", ".join(str(d) for d in dirs)
    apt = f", or on Debian/Ubuntu `apt install {spec.debian_package}`" if spec.debian_package else ""
    raise GanvasError(
        f"{spec.name}: {filename} not found in {looked} and download failed: {'; '.join(failures)}; "
        f"put the idx files in one of those folders (or pass --data-root DIR){apt}")


def locate(spec: IdxSet, split: str, data_root: Optional[str], progress=silent) -> tuple[Path, Path]:
    """Paths of the images and labels files of a split, downloading them when nowhere to be found."""
    dirs = search_dirs(spec.name, data_root)
    found = []
    for filename in spec.splits[split]:
        path = _find(filename, dirs)
        found.append(path if path is not None else _fetch(spec, filename, data_root, dirs, progress))
    return found[0], found[1]


def load_split(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images [N, H, W] and int64 labels [N], checked against each other."""
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise GanvasError(f"{images_path}: expected uint8 images [N, H, W], found {images.dtype} {images.shape}")
    if labels.ndim != 1 or len(labels) != len(images):
        raise GanvasError(f"{labels_path}: {labels.shape[0] if labels.ndim else 0} labels for "
                          f"{len(images)} images in {images_path}; the two files do not belong together")
    return images, labels.astype(np.int64)
