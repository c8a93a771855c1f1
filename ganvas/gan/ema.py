"""An exponential moving average of G's weights: the generator that samples are drawn from."""
from __future__ import annotations

import copy

import torch


class EMA:
    def __init__(self, model: torch.nn.Module, decay: float):
        self.decay = decay
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    def decay_at(self, step: int) -> float:
        # Early on a long average would mostly remember the untrained G, so its horizon grows with
        # the run (about step/10 steps) until it reaches the configured decay.
        return min(self.decay, (1.0 + step) / (10.0 + step))

    @torch.no_grad()
    def update(self, model: torch.nn.Module, step: int) -> None:
        ema_params = list(self.model.parameters())
        torch._foreach_lerp_(ema_params, list(model.parameters()), 1.0 - self.decay_at(step))
        # BatchNorm statistics are copied, not averaged, so eval-mode EMA samples match the live G's.
        for ema_buf, buf in zip(self.model.buffers(), model.buffers()):
            ema_buf.copy_(buf)
