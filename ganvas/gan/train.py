"""`train()`: from a source of images to a run folder with checkpoints, samples and metrics."""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Iterable, Optional

from ..config import TrainConfig
from ..config.fields import field_default
from ..device import process_scope
from ..progress import Callback, Progress, silent
from ..runtime import Runtime
from .hooks import Hook
from .ranks_open import open_shared


def train(config: Optional[TrainConfig] = None, *, resume: bool = False, force: bool = False,
          hooks: Iterable[Hook] = (), should_stop: Optional[Callable[[], bool]] = None,
          progress: Callback = silent, **options: Any) -> dict:
    """Train a GAN. Give a TrainConfig, or its fields as keyword arguments (`data`, `out`, `steps`, ...).

    resume continues the run folder to its target; force starts a new run in a folder that holds
    another one. `hooks` watch the run (see ganvas.gan.hooks); `should_stop`, polled after every step
    (from any thread), ends the run cleanly with a checkpoint that --resume continues. Returns a
    summary: the final step and why the run stopped.

    Launched by torchrun (or `ganvas train --nproc N`), every process calls this; they train as one
    run, rank 0 alone writes the run folder and reports progress, and hooks run on rank 0.
    """
    explicit = dict(options)
    if config is not None:
        explicit = {**_non_default(config), **explicit}
    timeout = explicit.get("dist_timeout", field_default(TrainConfig, "dist_timeout"))
    with Runtime.from_env(explicit.get("device", "auto"), timeout) as runtime:
        progress = progress if runtime.is_main else silent
        opened = open_shared(explicit, resume=resume, force=force, progress=progress, runtime=runtime)
        return _train(opened, runtime, progress, tuple(hooks), should_stop)


def _train(opened, runtime: Runtime, progress: Callback, hooks: tuple, should_stop) -> dict:
    from .build import build_loop

    cfg = opened.config
    with process_scope(thread_count=cfg.threads, deterministic=cfg.deterministic, seed=cfg.seed):
        loop = build_loop(cfg, opened.dataset, opened.run, opened.log, progress, hooks=hooks,
                          should_stop=should_stop, runtime=runtime)
        if opened.resuming:
            step = loop.restore_latest()
            _apply_resumed_changes(loop, opened.changed)
            opened.log.rewind(step)
            progress(Progress("train", "note", step, message=f"resuming {opened.run} from step {step}"))
        else:
            loop.save()  # a step-0 checkpoint, so even the first divergence has something to roll back to
        return loop.run_to_end()


def _non_default(config: TrainConfig) -> dict:
    defaults = TrainConfig()
    return {f.name: getattr(config, f.name) for f in dataclasses.fields(TrainConfig)
            if getattr(config, f.name) != getattr(defaults, f.name) or f.name in ("data", "out")}


def _apply_resumed_changes(loop, changed: dict) -> None:
    # The checkpoint restores the state the run had; what the user changed on resuming (the lesson's
    # sudden LR drop, a skip threshold) must win over it. Budgets and cadences are read from the config.
    for key, name in (("lr_g", "G"), ("lr_d", "D")):
        if key in changed:
            loop.algorithm.set_learning_rate(name, changed[key])
    if "skip_d_below" in changed:
        loop.algorithm.skip.threshold = changed["skip_d_below"]
