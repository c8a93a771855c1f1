"""The lesson's cures that act inside the loop: skipping D while it wins, and recovering from divergence.

Both keep memory across steps, and both hand it to checkpoints (`state_dict`), so a resumed run makes
the same decisions as one that never stopped.
"""
from __future__ import annotations

import math
from collections import deque
from typing import Callable, Optional

import torch


class SkipD:
    """Skip D's update while its latest loss is below a threshold (off when the threshold is None).

    Over several ranks `reduce` averages the loss first, so every rank makes the same choice: a rank
    that skipped alone would leave the others waiting in D's gradient all-reduce.
    """

    def __init__(self, threshold: Optional[float], reduce: Optional[Callable[[torch.Tensor], torch.Tensor]] = None):
        self.threshold, self.reduce = threshold, reduce
        self.skipped = 0
        self.last_loss: Optional[float] = None

    @property
    def active(self) -> bool:
        return self.threshold is not None

    def should_skip(self) -> bool:
        skip = self.active and self.last_loss is not None and self.last_loss < self.threshold
        self.skipped += int(skip)
        return skip

    def remember(self, d_loss: torch.Tensor) -> None:
        # Reading the loss is a host sync, so it only happens while skipping is on.
        if self.active:
            self.last_loss = float(self.reduce(d_loss) if self.reduce is not None else d_loss)

    def state_dict(self) -> dict:
        return {"threshold": self.threshold, "skipped": self.skipped, "last_loss": self.last_loss}

    def load_state_dict(self, state: dict) -> None:
        self.threshold, self.skipped, self.last_loss = state["threshold"], state["skipped"], state["last_loss"]


class DivergenceGuard:
    """Flags non-finite losses, and losses that run away from their recent typical size."""

    def __init__(self, window: int = 20, factor: float = 25.0, floor: float = 50.0):
        self.history: deque[float] = deque(maxlen=window)
        self.factor, self.floor = factor, floor

    def diverged(self, losses: list[float]) -> bool:
        if not all(math.isfinite(v) for v in losses):
            return True
        size = sum(abs(v) for v in losses)
        typical = sorted(self.history)[len(self.history) // 2] if self.history else None
        self.history.append(size)
        return typical is not None and size > max(self.floor, self.factor * typical)

    def reset(self) -> None:
        self.history.clear()

    def state_dict(self) -> dict:
        return {"history": list(self.history)}

    def load_state_dict(self, state: dict) -> None:
        self.history = deque(state["history"], maxlen=self.history.maxlen)
