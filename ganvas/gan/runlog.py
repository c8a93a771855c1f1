"""What a training run writes beside its checkpoints: run.json, metrics.jsonl, events.jsonl, samples."""
from __future__ import annotations

import io
import json
import platform
from pathlib import Path
from typing import Any

import torch

from ..io import atomic_write_bytes
from ..jsonl import read_jsonl
from ..pixels import tile, to_pil, to_uint8


def versions() -> dict[str, str]:
    import numpy
    import PIL
    import torchvision

    from .. import __version__

    return {"ganvas": __version__, "torch": torch.__version__, "torchvision": torchvision.__version__,
            "numpy": numpy.__version__, "pillow": PIL.__version__, "python": platform.python_version()}


class RunLog:
    def __init__(self, run: Path):
        self.run = run
        self.metrics_path = run / "metrics.jsonl"
        self.events_path = run / "events.jsonl"
        self.records: list[dict] = read_jsonl(self.metrics_path)

    def write_run_json(self, info: dict[str, Any]) -> None:
        atomic_write_bytes(self.run / "run.json", json.dumps(info, indent=1).encode())

    def rewind(self, step: int) -> None:
        """Forget records written after `step`, the checkpoint a resumed or rolled-back run goes on from."""
        self.records = [r for r in self.records if r.get("step", 0) <= step]
        self._rewrite(self.metrics_path, self.records)
        events = [e for e in read_jsonl(self.events_path) if e.get("step", 0) <= step]
        self._rewrite(self.events_path, events)

    @staticmethod
    def _rewrite(path: Path, records: list[dict]) -> None:
        if path.exists():
            atomic_write_bytes(path, "".join(json.dumps(r) + "\n" for r in records).encode())

    def metric(self, record: dict) -> None:
        self.records.append(record)
        self._append(self.metrics_path, record)

    def event(self, record: dict) -> None:
        self._append(self.events_path, record)

    def events(self) -> list[dict]:
        return read_jsonl(self.events_path)

    @staticmethod
    def _append(path: Path, record: dict) -> None:
        with open(path, "a") as fh:
            fh.write(json.dumps(record) + "\n")

    def sample_grid(self, images: torch.Tensor, step: int) -> Path:
        path = self.run / "samples" / f"step-{step:07d}.png"
        save_grid(images, path)
        return path


def save_grid(images: torch.Tensor, path: Path) -> None:
    """Save images in [-1, 1] as one PNG grid, atomically."""
    buffer = io.BytesIO()
    to_pil(tile(to_uint8(images))).save(buffer, format="PNG")
    atomic_write_bytes(path, buffer.getvalue())


class NullLog(RunLog):
    """The run log of a rank other than 0: it keeps the records in memory and writes nothing, so only one
    process ever writes the run folder."""

    def __init__(self, run: Path):
        self.run = run
        self.metrics_path = run / "metrics.jsonl"
        self.events_path = run / "events.jsonl"
        self.records = []

    def write_run_json(self, info: dict[str, Any]) -> None:
        pass

    def rewind(self, step: int) -> None:
        self.records = [r for r in self.records if r.get("step", 0) <= step]

    def metric(self, record: dict) -> None:
        self.records.append(record)

    def event(self, record: dict) -> None:
        pass

    def events(self) -> list[dict]:
        return []

    def sample_grid(self, images: torch.Tensor, step: int) -> Path:
        return self.run / "samples" / f"step-{step:07d}.png"
