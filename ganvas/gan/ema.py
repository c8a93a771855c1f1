"""An exponential moving average of G's weights: the generator that samples are drawn from."""
from __future__ import annotations

import copy

import torch


class EMA:
    def __init__(self, model: torch.nn.Module, decay: float):
        self.decay = decay
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        ema_params = list(self.model.parameters())
        torch._foreach_lerp_(ema_params, list(model.parameters()), 1.0 - self.decay)
        # BatchNorm statistics are copied, not averaged, so eval-mode EMA samples match the live G's.
        for ema_buf, buf in zip(self.model.buffers(), model.buffers()):
            ema_buf.copy_(buf)
