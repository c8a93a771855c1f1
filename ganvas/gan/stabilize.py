"""The lesson's cures that act inside the loop: skipping D while it wins, and recovering from divergence."""
from __future__ import annotations

import math
from collections import deque
from typing import Optional


class SkipD:
    """Skip D's update while its latest loss is below a threshold (off when the threshold is None)."""

    def __init__(self, threshold: Optional[float]):
        self.threshold = threshold
        self.skipped = 0

    @property
    def active(self) -> bool:
        return self.threshold is not None

    def should_skip(self, last_d_loss: Optional[float]) -> bool:
        skip = self.active and last_d_loss is not None and last_d_loss < self.threshold
        self.skipped += int(skip)
        return skip


class DivergenceGuard:
    """Flags non-finite losses, and losses that run away from their recent typical size."""

    def __init__(self, window: int = 20, factor: float = 25.0, floor: float = 50.0):
        self.history: deque[float] = deque(maxlen=window)
        self.factor, self.floor = factor, floor

    def diverged(self, d_loss: float, g_loss: float) -> bool:
        if not (math.isfinite(d_loss) and math.isfinite(g_loss)):
            return True
        size = abs(d_loss) + abs(g_loss)
        typical = sorted(self.history)[len(self.history) // 2] if self.history else None
        self.history.append(size)
        return typical is not None and size > max(self.floor, self.factor * typical)

    def reset(self) -> None:
        self.history.clear()
