"""Decode once: prepared datasets live as safetensors + JSON under the cache root."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Optional

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save

from ..cache import cache_root
from ..io import atomic_write_bytes
from .dataset import Dataset

# Bump when decoding or generation changes, so stale tensors are never reused.
FORMAT_VERSION = 1


def cache_key(parts: dict) -> str:
    """A digest of everything that determines the prepared tensor."""
    blob = json.dumps({"format": FORMAT_VERSION, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def fingerprint(images: torch.Tensor, labels: Optional[torch.Tensor], classes: list[str]) -> str:
    """A digest of the prepared content itself, equal on every machine that prepares the same data."""
    digest = hashlib.sha256()
    digest.update(json.dumps({"shape": list(images.shape), "classes": classes}).encode("utf-8"))
    digest.update(images.contiguous().numpy().tobytes())
    if labels is not None:
        digest.update(labels.contiguous().numpy().tobytes())
    return digest.hexdigest()


def _paths(key: str) -> tuple[Path, Path]:
    folder = cache_root() / "prepared"
    return folder / f"{key}.safetensors", folder / f"{key}.json"


def load_cached(key: str, source: str) -> Optional[Dataset]:
    """The cached dataset for `key`, or None when absent or unreadable (it is then rebuilt)."""
    tensors_path, meta_path = _paths(key)
    if not (tensors_path.exists() and meta_path.exists()):
        return None
    try:
        meta = json.loads(meta_path.read_text("utf-8"))
        tensors = load_file(str(tensors_path))
        images = tensors["images"]
        labels = tensors.get("labels")
        skipped = [(str(name), str(reason)) for name, reason in meta["skipped"]]
        return Dataset(images=images, labels=labels, classes=list(meta["classes"]),
                       fingerprint=str(meta["fingerprint"]), source=source, skipped=skipped)
    except (OSError, ValueError, KeyError, TypeError, SafetensorError):
        return None


def store(key: str, dataset: Dataset) -> None:
    """Write tensors first and the JSON last, each atomically, so a half-written entry is never read."""
    tensors_path, meta_path = _paths(key)
    tensors = {"images": dataset.images.contiguous()}
    if dataset.labels is not None:
        tensors["labels"] = dataset.labels.contiguous()
    atomic_write_bytes(tensors_path, save(tensors))
    meta = {"fingerprint": dataset.fingerprint, "classes": dataset.classes, "skipped": dataset.skipped,
            "source": dataset.source, "n_images": len(dataset)}
    atomic_write_bytes(meta_path, json.dumps(meta, indent=1).encode("utf-8"))
