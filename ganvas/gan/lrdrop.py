"""The lesson's sudden learning-rate drop, on a schedule: once a set share of the budget is spent, both
learning rates are multiplied by one factor, once.

A GAN's losses oscillate rather than settle; a lower learning rate late in a run shrinks the orbit, so
the weights (and their EMA) come to rest nearer the centre of it.
"""
from __future__ import annotations

from typing import Optional

from .hooks import Actions, Hook, RunView
from .remedies import LR_DROP


class LrDrop(Hook):
    def __init__(self, at: float, factor: float):
        self.at, self.factor = at, factor
        self.dropped_at: Optional[int] = None  # the step of the drop

    def on_log(self, run: RunView, record: dict, act: Actions) -> None:
        if self.dropped_at is not None or run.budget_used < self.at:
            return
        self.dropped_at = run.step
        for name in run.learning_rates:
            act.scale_lr(name, self.factor)
        record.update({f"lr_{name.lower()}": lr for name, lr in run.learning_rates.items()})
        act.event(LR_DROP, f"{self.at:.0%} of the budget spent: learning rates x{self.factor:g}")

    def state_dict(self) -> dict:
        return {"dropped_at": self.dropped_at}

    def load_state_dict(self, state: dict) -> None:
        # Sticky: a rollback to before the drop keeps the dropped rates (it halves the rates it had), so
        # dropping again would lower them twice.
        if self.dropped_at is None:
            self.dropped_at = state.get("dropped_at")
