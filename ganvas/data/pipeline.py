"""prepare(): any source -> a cached, square uint8 Dataset, with every skipped file accounted for."""
from __future__ import annotations

import os
from typing import Optional

from ..errors import GanvasError
from ..models.layers import RESOLUTIONS
from ..progress import Progress, silent
from . import builtin, cache
from .dataset import Dataset
from .decode import FITS
from .folder import decode_listing
from .sources import list_source
from .tensors import to_channels

# The resolution of a source that names none (built-in sets carry their own); training uses it too.
DEFAULT_RESOLUTION = 64
SPLITS = ("train", "test")
# Each skipped file gets its own note up to this many; the rest are in skipped.txt.
NOTED_SKIPS = 20


def _check_settings(resolution: int, channels: Optional[int], fit: str, split: str) -> None:
    if resolution not in RESOLUTIONS:  # the sizes the networks can make
        *smaller, largest = RESOLUTIONS
        raise GanvasError(f"--resolution {resolution}: must be one of {', '.join(map(str, smaller))} or {largest}")
    if channels not in (None, 1, 3):
        raise GanvasError(f"--channels {channels}: must be 1 (grayscale) or 3 (colour)")
    if fit not in FITS:
        raise GanvasError(f"--fit {fit}: must be one of {', '.join(FITS)}")
    if split not in SPLITS:
        raise GanvasError(f"split {split!r}: must be one of {', '.join(SPLITS)}")


def prepare(source: str, *, resolution: Optional[int] = None, channels: Optional[int] = None,
            fit: str = "crop", data_root: Optional[str] = None, split: str = "train",
            progress=silent) -> Dataset:
    """Load a folder, .zip or built-in name as uint8 [N, C, R, R]; decoded once, then read from the cache.

    Folders and zips ignore `split`: they have one set of images.
    """
    source = str(source)
    usual = builtin.builtin_settings(source)
    resolution = int(resolution or usual.get("resolution", DEFAULT_RESOLUTION))
    channels = int(channels) if channels else None
    _check_settings(resolution, channels, fit, split)
    settings = {"resolution": resolution, "channels": channels, "fit": fit}
    if builtin.is_builtin(source):
        dataset = _prepare_builtin(source, split, data_root, settings, progress)
    else:
        dataset = _prepare_listing(source, settings, progress)
    _report(dataset, progress)
    return dataset


def _prepare_builtin(source: str, split: str, data_root: Optional[str], settings: dict, progress) -> Dataset:
    _note_shadowed_folder(source, progress)
    ident = builtin.identity(source, split, data_root, progress)
    key = cache.cache_key({"builtin": ident, **settings})
    return cache.load_cached(key, source) or _build_builtin(key, source, ident, settings)


def _prepare_listing(source: str, settings: dict, progress) -> Dataset:
    listing = list_source(source)
    if not listing.entries and not listing.broken:
        raise GanvasError(f"{source}: no images found (looked for files Pillow reads: .png, .jpg, "
                          ".webp, ...); point to a folder or .zip that holds images")
    # the source's spelling is part of the key because skipped files are reported in its terms
    ident = {"kind": listing.kind, "source": source, "broken": listing.broken,
             "files": [(e.rel, e.size, e.stamp) for e in listing.entries]}
    if listing.kind == "zip":
        info = listing.root.stat()
        ident["archive"] = (info.st_size, info.st_mtime_ns)
    key = cache.cache_key({"listing": ident, **settings})
    return cache.load_cached(key, source) or _build_listing(key, source, listing, settings, progress)


def _note_shadowed_folder(source: str, progress) -> None:
    if os.path.exists(source):
        progress(Progress("prepare", "note", message=f"using the built-in {source} dataset; pass ./{source} "
                                                      "to use the folder of that name"))


def _build_builtin(key: str, source: str, ident: dict, settings: dict) -> Dataset:
    images, labels = builtin.load(ident, settings["resolution"])
    images = to_channels(images, settings["channels"] or builtin.SETTINGS[source]["channels"])
    classes = list(builtin.CLASSES[source])
    dataset = Dataset(images, labels, classes, cache.fingerprint(images, labels, classes), source, [])
    cache.store(key, dataset)
    return dataset


def _build_listing(key: str, source: str, listing, settings: dict, progress) -> Dataset:
    images, labels, classes, skipped = decode_listing(
        listing, resolution=settings["resolution"], channels=settings["channels"], fit=settings["fit"],
        source=source, progress=progress)
    dataset = Dataset(images, labels, classes, cache.fingerprint(images, labels, classes), source, skipped)
    cache.store(key, dataset)
    return dataset


def _report(dataset: Dataset, progress) -> None:
    for name, reason in dataset.skipped[:NOTED_SKIPS]:
        progress(Progress("prepare", "note", message=f"skipped {name}: {reason}"))
    if len(dataset.skipped) > NOTED_SKIPS:
        progress(Progress("prepare", "note", message=f"... and {len(dataset.skipped) - NOTED_SKIPS} more"))
    summary = f"{len(dataset):,} images from {dataset.source}"
    if dataset.skipped:
        summary += f" ({len(dataset.skipped)} skipped, see skipped.txt)"
    if dataset.classes:
        summary += f", {len(dataset.classes)} classes"
    progress(Progress("prepare", "note", values={"n_images": len(dataset), "skipped": len(dataset.skipped)},
                      message=summary))
