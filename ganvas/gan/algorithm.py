"""What the loop asks of a training method: named parts, phases, declared statistics, state.

The loop knows time (steps, images seen), cadence and hooks; it knows nothing of G or D. A method
says what it is made of (modules and optimisers by name, so checkpoints capture them generically),
which phases a step runs (a main step for D and G, a lazy regulariser every k steps, ...), and which
statistics it reports, so the loop, the divergence guard, the diagnostics and the plots read them by
declaration rather than by convention.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Protocol

import torch


@dataclass(frozen=True)
class Phase:
    """One part of a training step, run on steps divisible by `every`."""

    name: str
    every: int = 1

    def due(self, step: int) -> bool:
        return step % self.every == 0

    @property
    def lazy(self) -> bool:
        return self.every > 1


@dataclass(frozen=True)
class Stat:
    """A statistic a method reports each step (a 0-dim tensor, averaged over the log interval).

    `role` tells readers what it means: "loss" values are watched by the divergence guard, and
    "d_loss", "g_loss", "d_real", "d_fake", "g_grad_norm" and "augment_p" are the ones the diagnostics,
    the progress line and the plots look for. `label` is how the progress line shows it ("" hides it).
    """

    key: str
    label: str = ""
    role: str = ""
    precision: int = 5


class Algorithm(Protocol):
    modules: dict[str, torch.nn.Module]
    optimizers: dict[str, torch.optim.Optimizer]
    stats: tuple[Stat, ...]

    def phases(self) -> list[Phase]: ...

    def step(self, real: torch.Tensor, labels: Optional[torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        """Run every phase due at `step` on one batch; returns detached stats, without a host sync."""

    def sampling_generator(self) -> torch.nn.Module:
        """The generator samples and metrics are drawn from (the EMA copy where there is one)."""

    def live_generator(self) -> torch.nn.Module:
        """The generator being trained (collapse shows there first)."""

    def learning_rates(self) -> dict[str, float]: ...

    def set_learning_rate(self, name: str, lr: float) -> None: ...

    def state_dict(self) -> dict: ...

    def load_state_dict(self, state: dict) -> None: ...


def mb_ratio(phase_every: int) -> float:
    """StyleGAN2's lazy-regularisation correction: a regulariser run every k steps shares the
    optimiser with the main loss, so LR and betas are scaled by k / (k + 1) to keep the same
    effective step size."""
    return phase_every / (phase_every + 1) if phase_every > 1 else 1.0
