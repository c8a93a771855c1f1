"""`train()`: from a source of images to a run folder with checkpoints, samples and metrics."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Optional

from ..config import TrainConfig
from ..progress import Callback, Progress, silent
from .runfolder import open_run


def train(config: Optional[TrainConfig] = None, *, resume: bool = False, force: bool = False,
          progress: Callback = silent, **options: Any) -> dict:
    """Train a GAN. Give a TrainConfig, or its fields as keyword arguments (`data`, `out`, `steps`, ...).

    resume continues the run folder to its target; force starts a new run in a folder that holds
    another one. Returns a summary: the final step and why the run stopped.
    """
    from .build import build_setup
    from .loop import Loop

    explicit = dict(options)
    if config is not None:
        explicit = {**_non_default(config), **explicit}
    opened = open_run(explicit, resume=resume, force=force, progress=progress)
    setup = build_setup(opened.config, opened.dataset, opened.run, progress)
    loop = Loop(setup, opened.log, start_step=0)
    if opened.resuming:
        step = loop.restore_latest()
        _apply_changed_lrs(setup, opened.changed)
        opened.log.rewind(step)
        progress(Progress("train", "note", step, message=f"resuming {opened.run} from step {step}"))
    else:
        loop.save()  # a step-0 checkpoint, so even the first divergence has something to roll back to
    return loop.run()


def _non_default(config: TrainConfig) -> dict:
    defaults = TrainConfig()
    return {f.name: getattr(config, f.name) for f in dataclasses.fields(TrainConfig)
            if getattr(config, f.name) != getattr(defaults, f.name) or f.name in ("data", "out")}


def _apply_changed_lrs(setup, changed: dict) -> None:
    # Dropping the LR of a run that will not converge is one of the lesson's cures, so a resume
    # may change it; everything else that shapes the run must match (checked in runfolder).
    from .state import set_lr

    if "lr_g" in changed:
        set_lr(setup.nets.opt_g, changed["lr_g"])
    if "lr_d" in changed:
        set_lr(setup.nets.opt_d, changed["lr_d"])
