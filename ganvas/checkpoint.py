"""Checkpoints: tensors in safetensors, everything else in JSON, written so a kill never loses one.

A checkpoint is a pair `checkpoints/step-NNNNNNN.safetensors` + `.json`. The tensor file is written
first; the JSON, which records the tensor file's sha256, is the commit marker. Loading takes the newest
pair whose hash matches and whose tensors safetensors reads, so a kill in the middle of a save (or a
damaged or replaced file) falls back to the previous good one. Nothing in a checkpoint is ever
unpickled or run: the tensors are raw bytes with a JSON header, the rest is plain JSON.

This module stores pairs of anything; what a GAN run keeps in them is read by `ganvas.runs`.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Optional

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from .errors import GanvasError
from .io import atomic_write_bytes

KEEP = 2


def _folder(run: str | Path) -> Path:
    return Path(run) / "checkpoints"


def flatten_optimizer(prefix: str, state_dict: dict) -> tuple[dict, dict]:
    """Split an optimizer state_dict into tensors (for safetensors) and JSON-safe rest."""
    tensors, scalars = {}, {}
    for index, slots in state_dict["state"].items():
        for name, value in slots.items():
            key = f"{prefix}.{index}.{name}"
            if torch.is_tensor(value):
                tensors[key] = value
            else:
                scalars[key] = value
    return tensors, {"param_groups": state_dict["param_groups"], "scalars": scalars}


def unflatten_optimizer(prefix: str, tensors: dict, info: dict) -> dict:
    state: dict[int, dict] = {}
    for key, value in list(tensors.items()) + list(info["scalars"].items()):
        if not key.startswith(prefix + "."):
            continue
        index, name = key[len(prefix) + 1:].split(".", 1)
        state.setdefault(int(index), {})[name] = value
    return {"state": state, "param_groups": info["param_groups"]}


def save(run: str | Path, step: int, tensors: dict[str, torch.Tensor], info: dict[str, Any]) -> Path:
    """Write one checkpoint atomically and prune all but the newest KEEP."""
    folder = _folder(run)
    folder.mkdir(parents=True, exist_ok=True)
    blob = save_tensors({k: v.detach().contiguous().cpu() for k, v in tensors.items()})
    name = f"step-{step:07d}"
    atomic_write_bytes(folder / f"{name}.safetensors", blob)
    record = dict(info, step=step, tensors=f"{name}.safetensors", sha256=hashlib.sha256(blob).hexdigest())
    atomic_write_bytes(folder / f"{name}.json", json.dumps(record, indent=1).encode())
    _prune(folder)
    return folder / f"{name}.json"


def _prune(folder: Path) -> None:
    for stale in sorted(folder.glob("step-*.json"))[:-KEEP]:
        stale.with_suffix(".safetensors").unlink(missing_ok=True)
        stale.unlink(missing_ok=True)
    for orphan in folder.glob(".*.tmp"):
        orphan.unlink(missing_ok=True)


class Damaged(Exception):
    """One checkpoint pair that cannot be used; the message names the file and the problem."""


def _read_pair(meta_path: Path) -> tuple[dict, dict]:
    """(tensors, info) of one pair, or Damaged saying which file is wrong and how."""
    try:
        info = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise Damaged(f"{meta_path}: unreadable ({_why(exc)})") from None
    if not isinstance(info, dict):
        raise Damaged(f"{meta_path}: not a checkpoint record (a JSON {type(info).__name__}, not an object)")
    name, digest = info.get("tensors"), info.get("sha256")
    # The tensor file is named, never located: a record cannot point outside its own folder.
    if not isinstance(name, str) or not name or Path(name).name != name or name.startswith("."):
        raise Damaged(f"{meta_path}: names no tensor file beside it (\"tensors\": {json.dumps(name)})")
    if not isinstance(digest, str):
        raise Damaged(f"{meta_path}: records no sha256 of its tensor file")
    tensor_path = meta_path.parent / name
    try:
        blob = tensor_path.read_bytes()
    except OSError as exc:
        raise Damaged(f"{tensor_path}: unreadable ({_why(exc)})") from None
    if hashlib.sha256(blob).hexdigest() != digest:
        raise Damaged(f"{tensor_path}: does not match the sha256 in {meta_path.name} (truncated or changed)")
    try:
        tensors = load_tensors(blob)
    except (SafetensorError, ValueError, TypeError, OverflowError) as exc:
        raise Damaged(f"{tensor_path}: not a safetensors file ({_why(exc)})") from None
    return tensors, info


def _why(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text.splitlines()[0] if text.strip() else type(exc).__name__


def load_latest(run: str | Path) -> Optional[tuple[dict, dict]]:
    """The newest intact checkpoint as (tensors, info), or None when the run has none.

    A damaged pair is passed over for the one before it. When every pair is damaged this raises a
    GanvasError naming the newest one and its problem, rather than starting over silently.
    """
    problems = []
    for meta_path in sorted(_folder(run).glob("step-*.json"), reverse=True):
        try:
            return _read_pair(meta_path)
        except Damaged as exc:
            problems.append(str(exc))
    if not problems:
        return None
    others = f" (and {len(problems) - 1} older checkpoint(s) are damaged too)" if len(problems) > 1 else ""
    raise GanvasError(f"{problems[0]}{others}; no intact checkpoint is left to load")


def module_tensors(prefix: str, module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {f"{prefix}.{k}": v for k, v in module.state_dict().items()}


def module_state(prefix: str, tensors: dict) -> dict[str, torch.Tensor]:
    return {k[len(prefix) + 1:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}
