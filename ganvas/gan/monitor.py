"""Watching a run: the lesson's troubles detected live, with the cheap metric at each evaluation."""
from __future__ import annotations

from typing import Optional

import torch

from ..config import TrainConfig
from ..config.fields import to_dict
from ..metrics.diversity import batch_diversity
from .diagnostics import Diagnostics
from .hooks import Actions, Hook, RunView

EVAL_SEED_OFFSET = 3


class Monitor(Hook):
    """Diagnostics over every record, SWD at every evaluation; remedies applied under --auto-stabilize."""

    name = "monitor"

    def __init__(self, cfg: TrainConfig, real_eval: torch.Tensor, n_images: int):
        self.config, self.n_images = to_dict(cfg), n_images
        self.diagnostics = Diagnostics(self.config, n_images=n_images)
        self.origin = 0  # the step the diagnostics' warm-up counts from (a new level restarts it)
        self.real_diversity = float(batch_diversity(real_eval[:64]))
        self.best: Optional[float] = None

    def on_log(self, run: RunView, record: dict, act: Actions) -> None:
        # The live G, not the EMA: collapse shows in the network being trained first.
        fakes = run.sample(*run.fixed_latents, live=True)
        record["diversity"] = round(float(batch_diversity(fakes)), 5)
        record["real_diversity"] = round(self.real_diversity, 5)
        for event in self.diagnostics.observe(dict(record, step=record["step"] - self.origin)):
            self._handle(run, act, event)

    def on_eval(self, run: RunView, act: Actions) -> None:
        from ..metrics.swd import swd

        cfg = run.config
        fakes = run.sample(*run.latent_sampler.fixed(cfg.eval_samples, cfg.seed + EVAL_SEED_OFFSET))
        value = float(swd(run.real_eval.to(fakes.device), fakes, seed=cfg.seed))
        act.metric({"step": run.step, "eval": {"swd": round(value, 6)}})
        for event in self.diagnostics.observe_eval(run.step - self.origin, "swd", value):
            self._handle(run, act, event)
        self.best = value if self.best is None else min(self.best, value)

    def _handle(self, run: RunView, act: Actions, event) -> None:
        applied = run.config.auto_stabilize and bool(event.action)
        done = act.apply(event.action) if applied else []
        message = event.message + (f"; applied: {', '.join(done)}" if done else "")
        act.event(event.event, message, event.remedy, event.action if applied else None)

    def restart_warmup(self, step: int) -> None:
        """Progressive growing's next level: the diagnostics start afresh, warm-up included."""
        self.diagnostics = Diagnostics(self.config, n_images=self.n_images)
        self.origin = step

    def state_dict(self) -> dict:
        return {"best_swd": self.best, "diagnostics": self.diagnostics.state_dict(), "origin": self.origin}

    def load_state_dict(self, state: dict) -> None:
        self.best = state.get("best_swd")
        self.origin = int(state.get("origin", 0))
        self.diagnostics.load_state_dict(state["diagnostics"])
