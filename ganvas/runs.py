"""Reading a finished or running run folder, for the services that use one: sample, evaluate, export.

A run folder is what `ganvas train` writes: `run.json` (config, versions, dataset) and `checkpoints/`
(pairs stored by `ganvas.checkpoint`). Each checkpoint carries the generator's ModelSpec under
"model" (ganvas 0.1 wrote it flat; `ModelSpec.from_dict` reads both), so any run, old or new,
rebuilds its generator without the training code.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import GanvasError

if TYPE_CHECKING:
    import torch

    from .models.spec import ModelSpec

WEIGHTS = ("ema", "raw")  # the EMA of G (what samples use), or G as the optimiser left it


def run_info(run: str | Path) -> dict:
    """run.json as a dict; a one-line GanvasError when `run` is not a readable run folder."""
    if not Path(run).is_dir():
        raise GanvasError(f"{run}: no such run folder; give the --out folder of a `ganvas train` run")
    path = Path(run) / "run.json"
    if not path.is_file():
        raise GanvasError(f"{run}: not a ganvas run folder (no run.json); give the --out folder of `ganvas train`")
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise GanvasError(f"{path}: unreadable ({exc}); the run folder is damaged") from None
    if not isinstance(info, dict):
        raise GanvasError(f"{path}: expected a JSON object; the run folder is damaged")
    return info


def dataset_source(run: str | Path) -> str:
    """The images the run was trained on, as given to `ganvas train`."""
    info = run_info(run)
    try:
        return str(info["dataset"]["source"])
    except (KeyError, TypeError):
        raise GanvasError(f"{Path(run) / 'run.json'}: does not say which dataset the run used; pass --data") from None


def training_config(run: str | Path) -> dict:
    """The config the run was trained with, as stored in run.json (empty when it is not there)."""
    config = run_info(run).get("config")
    return config if isinstance(config, dict) else {}


def load_generator(run: str | Path, which: str = "ema") -> tuple["torch.nn.Module", "ModelSpec"]:
    """The run's newest intact generator on the CPU in eval mode, and the spec it was built from.

    `which` is "ema" (the weights average that samples use; G itself for a run trained without EMA)
    or "raw" (G as the optimiser left it).
    """
    from . import checkpoint
    from .models import build_generator
    from .models.spec import ModelSpec

    if which not in WEIGHTS:
        raise GanvasError(f"--which {which}: choose one of {', '.join(WEIGHTS)}")
    run_info(run)  # a folder that is not a run fails here, with a clearer message than "no checkpoint"
    pair = checkpoint.load_latest(run)
    if pair is None:
        raise GanvasError(f"{run}: has no intact checkpoint yet; train longer or pass --checkpoint-every")
    tensors, info = pair
    where = Path(run) / "checkpoints" / str(info.get("tensors"))
    try:
        spec = ModelSpec.from_dict(info["model"])
        generator = build_generator(spec)
    except (KeyError, TypeError, ValueError) as exc:
        raise GanvasError(f"{where.with_suffix('.json')}: describes no generator ganvas can build "
                          f"({type(exc).__name__}: {exc})") from None
    prefix = "ema" if which == "ema" and any(k.startswith("ema.") for k in tensors) else "G"
    try:
        generator.load_state_dict(checkpoint.module_state(prefix, tensors))
    except RuntimeError as exc:
        problem = str(exc).strip().splitlines()[0] if str(exc).strip() else "mismatched tensors"
        raise GanvasError(f"{where}: its {prefix} weights do not fit the {spec.arch} generator its JSON "
                          f"describes ({problem})") from None
    return generator.eval(), spec
