"""Decode a listed folder or .zip into one uint8 tensor, in two worker processes when it pays."""
from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from typing import Iterator, Optional

import numpy as np
import torch

from ..errors import GanvasError
from ..progress import Progress, silent
from . import decode
from .sources import Listing, class_names
from .tensors import to_channels

# Below this many files a pool's start-up costs more than it saves.
POOL_THRESHOLD = 256
CHUNK = 64


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _worker_count(n_files: int) -> int:
    if n_files < POOL_THRESHOLD:
        return 1
    return max(1, min(2, os.cpu_count() or 1))


def _decode_all(listing: Listing, resolution: int, fit: str) -> Iterator[list]:
    locations = [listing.location(e) for e in listing.entries]
    if listing.kind == "zip":
        job = partial(decode.decode_members, str(listing.root), resolution=resolution, fit=fit)
    else:
        job = partial(decode.decode_files, resolution=resolution, fit=fit)
    chunks = _chunks(locations, CHUNK)
    workers = _worker_count(len(locations))
    if workers == 1:
        yield from map(job, chunks)
        return
    # On Linux, fork shares the already-imported modules, so workers start in milliseconds; elsewhere
    # fork is unsafe (macOS) or missing (Windows), so the platform's default is kept.
    method = "fork" if sys.platform.startswith("linux") else None
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
        yield from pool.map(job, chunks)


def decode_listing(listing: Listing, *, resolution: int, channels: Optional[int], fit: str,
                   source: str, progress=silent):
    """-> (images uint8 [N, C, R, R], labels or None, classes, skipped) for the usable files."""
    arrays: list[np.ndarray] = []
    used: list[str] = []
    skipped = list(listing.broken)
    total = len(listing.entries)
    progress(Progress("prepare", "start", 0, total, message=f"decoding {total:,} files from {source}"))
    done = 0
    for results in _decode_all(listing, resolution, fit):
        for (array, reason), entry in zip(results, listing.entries[done:done + len(results)]):
            if array is None:
                skipped.append((entry.name, reason))
            else:
                arrays.append(array)
                used.append(entry.rel)
        done += len(results)
        progress(Progress("prepare", "update", done, total))
    progress(Progress("prepare", "end", done, total))
    if not arrays:
        example = f"; e.g. {skipped[0][0]}: {skipped[0][1]}" if skipped else ""
        raise GanvasError(f"{source}: none of its {len(skipped)} image files could be used{example}")
    images = _stack(arrays, channels)
    labels, classes = _labels(used)
    return images, labels, classes, skipped


def _stack(arrays: list[np.ndarray], channels: Optional[int]) -> torch.Tensor:
    all_gray = all(a.ndim == 2 for a in arrays)
    if all_gray:
        stacked = torch.from_numpy(np.stack(arrays)[:, None])
    else:
        rgb = [np.repeat(a[:, :, None], 3, axis=2) if a.ndim == 2 else a for a in arrays]
        stacked = torch.from_numpy(np.stack(rgb)).permute(0, 3, 1, 2).contiguous()
    return to_channels(stacked, channels or stacked.shape[1])


def _labels(rels: list[str]) -> tuple[Optional[torch.Tensor], list[str]]:
    names = class_names(rels)
    if names is None:
        return None, []
    classes = sorted(set(names))
    index = {name: i for i, name in enumerate(classes)}
    return torch.tensor([index[n] for n in names], dtype=torch.int64), classes
