"""Reference features, computed once per set of real images and feature settings, then read from the cache."""
from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np
import torch

from ..io import atomic_write_bytes
from ..progress import Callback, Progress, silent
from ..cache import cache_root
from .features import extract_features
from .inception import Inception

# Bump when the feature pipeline changes in a way that alters numbers, so stale caches are ignored.
PIPELINE_VERSION = 1


def content_digest(images: torch.Tensor) -> str:
    """sha256 of the exact pixels and shape: the cache never mixes two different reference sets."""
    digest = hashlib.sha256(repr(tuple(images.shape)).encode())
    digest.update(images.contiguous().numpy().tobytes())
    return digest.hexdigest()


def reference_key(images: torch.Tensor, inception: Inception, *, resize: str, precision: str) -> dict:
    return {"images": content_digest(images), "weights": inception.sha256, "resize": resize,
            "precision": precision, "pipeline": PIPELINE_VERSION}


def cache_path(key: dict) -> Path:
    name = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:32]
    return cache_root() / "reference" / f"{name}.npz"


def reference_features(images: torch.Tensor, inception: Inception, *, resize: str = "bilinear",
                       precision: str = "fp32", batch_size: int = 50, use_cache: bool = True,
                       progress: Callback = silent) -> np.ndarray:
    """Inception features [N, 2048] of the real images (uint8 [N, C, H, W]), cached on disk.

    FID's mean/covariance and KID's and precision/recall's inputs all derive from these features.
    """
    key = reference_key(images, inception, resize=resize, precision=precision)
    path = cache_path(key)
    if use_cache:
        cached = _load(path, key)
        if cached is not None:
            progress(Progress("reference", "note", message=f"reference features read from {path}"))
            return cached
    feats = extract_features(images, len(images), inception, resize=resize, precision=precision,
                             batch_size=batch_size, task="reference features", progress=progress)
    _save(path, key, feats)
    return feats


def _load(path: Path, key: dict):
    try:
        with np.load(path, allow_pickle=False) as data:
            if json.loads(str(data["key"])) != key:
                return None
            return data["features"]
    except (OSError, ValueError, KeyError):
        # A missing, partial or foreign file is simply recomputed.
        return None


def _save(path: Path, key: dict, feats: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, features=feats, key=np.array(json.dumps(key, sort_keys=True)))
    try:
        atomic_write_bytes(path, buffer.getvalue())
    except OSError:
        pass  # An unwritable cache costs time on the next run, never the result of this one.
