"""The prepared dataset every trainer and evaluator reads: one uint8 tensor in memory."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional

import torch

from ..io import atomic_write_bytes


@dataclass
class Dataset:
    """Square uint8 images [N, C, H, W] (C is 1 or 3), with labels when classes are known."""

    images: torch.Tensor
    labels: Optional[torch.Tensor]
    classes: list[str]
    fingerprint: str
    source: str
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.images.shape[0])


def write_skipped_report(dataset: Dataset, path: str | os.PathLike) -> None:
    """skipped.txt: one "file: reason" line per unusable file (empty when none was skipped)."""
    lines = "".join(f"{name}: {reason}\n" for name, reason in dataset.skipped)
    # file names that are not valid UTF-8 (surrogate-escaped by the OS layer) still get a line
    atomic_write_bytes(path, lines.encode("utf-8", errors="backslashreplace"))
