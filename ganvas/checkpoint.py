"""Checkpoints: tensors in safetensors, everything else in JSON, written so a kill never loses one.

A checkpoint is a pair `checkpoints/step-NNNNNNN.safetensors` + `.json`. The tensor file is written
first; the JSON, which records the tensor file's sha256, is the commit marker. Loading takes the newest
pair whose hash matches, so a kill in the middle of a save falls back to the previous good one.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Optional

import torch
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


def _read_pair(meta_path: Path) -> Optional[tuple[dict, dict]]:
    try:
        info = json.loads(meta_path.read_text())
        blob = (meta_path.parent / info["tensors"]).read_bytes()
    except (OSError, ValueError, KeyError):
        return None
    if hashlib.sha256(blob).hexdigest() != info.get("sha256"):
        return None
    return load_tensors(blob), info


def load_latest(run: str | Path) -> Optional[tuple[dict, dict]]:
    """The newest intact checkpoint as (tensors, info), or None when the run has none."""
    for meta_path in sorted(_folder(run).glob("step-*.json"), reverse=True):
        pair = _read_pair(meta_path)
        if pair is not None:
            return pair
    return None


def module_tensors(prefix: str, module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {f"{prefix}.{k}": v for k, v in module.state_dict().items()}


def module_state(prefix: str, tensors: dict) -> dict[str, torch.Tensor]:
    return {k[len(prefix) + 1:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}


def load_generator(run: str | Path, which: str = "ema") -> tuple[torch.nn.Module, dict]:
    """The run's generator in eval mode, and what it needs: z_dim, num_classes, channels, resolution, classes."""
    from .models import build_generator

    run = Path(run)
    if not (run / "run.json").exists():
        raise GanvasError(f"{run}: not a ganvas run folder (no run.json); give the --out folder of `ganvas train`")
    pair = load_latest(run)
    if pair is None:
        raise GanvasError(f"{run}: has no intact checkpoint yet; train longer or pass --checkpoint-every")
    tensors, info = pair
    meta = dict(info["model"], config=info.get("config", {}))
    gen = build_generator(meta["arch"], z_dim=meta["z_dim"], resolution=meta["resolution"],
                          channels=meta["channels"], width=meta["width"], num_classes=meta["num_classes"])
    prefix = "ema" if which == "ema" and any(k.startswith("ema.") for k in tensors) else "G"
    gen.load_state_dict(module_state(prefix, tensors))
    return gen.eval(), meta
