"""Progressive growing's training step: ClassicGAN at the stage the schedule names for each step.

Before each step the level and alpha go into G, D and the EMA copy (buffers, so checkpoints keep
them), the reals are crossfaded as ProGAN's are, and, with `reset_adam`, both optimisers forget their
moments on the first step of a new level. The objective works at the level's own size: G's fakes and
the reals reach D (and its augmentation and gradient penalties) at 8 px while 8 px trains, not
repeated up to full size, which cost the 8 px level about 40% of its time at 128 px on a CPU. The
level and alpha are reported as statistics, so the progress line and metrics.jsonl show them.
"""
from __future__ import annotations

from typing import Optional

import torch

from ..models.progressive import blend_reals
from .algorithm import Stat
from .classic import ClassicGAN
from .growth import Growth, Stage
from .hooks import Actions, Hook, RunView

STAGE_STATS = (Stat("level", "level", "level", precision=3), Stat("alpha", "alpha", "alpha", precision=4))


class GrowingGAN(ClassicGAN):
    def __init__(self, G, D, *, growth: Growth, reset_adam: bool = False, **kwargs):
        super().__init__(G, D, **kwargs)
        self.growth, self.reset_adam = growth, reset_adam
        self.stage: Stage = growth.at(0)

    @property
    def stats(self) -> tuple[Stat, ...]:
        return super().stats + STAGE_STATS

    def enter(self, step: int) -> Stage:
        """Set every network to the stage of `step` (and reset Adam on the first step of a new level)."""
        self.stage = self.growth.at(step)
        for net in (self.G, self.D, *([self.ema.model] if self.ema else [])):
            net.set_stage(self.stage.level, self.stage.alpha)
        if self.reset_adam and self.stage.level > 0 and step == self.stage.level_start:
            for optimizer in (self.opt_g, self.opt_d):
                optimizer.state.clear()  # ProGAN's reset_opt_for_new_lod: fresh moments for the new level
        return self.stage

    def generate(self, z: torch.Tensor, labels: Optional[torch.Tensor]) -> torch.Tensor:
        return self.G_step(z, labels, native=True)

    def d_input(self, real: torch.Tensor) -> torch.Tensor:
        return blend_reals(real, self.stage.level, self.stage.alpha, self.G.sizes, native=True)

    def step(self, real: torch.Tensor, labels: Optional[torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        stage = self.enter(step)
        stats = super().step(real, labels, step)
        stats["level"] = torch.tensor(float(stage.level))
        stats["alpha"] = torch.tensor(stage.alpha)
        return stats


class GrowthHook(Hook):
    """At the end of every level but the last: a sample grid and the metric of the finished level, then
    a fresh warm-up for the divergence guard and the diagnostics, since a new level starts a new game."""

    name = "growth"

    def __init__(self, growth: Growth):
        self.growth = growth

    def on_step(self, run: RunView, act: Actions) -> None:
        if self.growth.at(run.step).level != self.growth.at(run.step - 1).level:
            act.snapshot()
            act.restart_warmup()
