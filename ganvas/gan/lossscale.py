"""Loss scaling for fp16: its small gradients underflow to zero unless the loss is scaled up first.

bf16 and fp32 need none, and then `LossScale` is a plain backward and optimiser step. With fp16 it is
PyTorch's GradScaler, one per optimiser (D's and G's losses differ by orders of magnitude). A step
whose gradients overflowed is skipped on every rank alike, since DDP has already made the gradients
equal. The scale is state: checkpoints carry it.
"""
from __future__ import annotations

from typing import Optional

import torch


class LossScale:
    def __init__(self, device: torch.device, enabled: bool):
        self.scaler: Optional[torch.amp.GradScaler] = torch.amp.GradScaler(device.type) if enabled else None

    @property
    def enabled(self) -> bool:
        return self.scaler is not None

    def backward(self, loss: torch.Tensor) -> None:
        (self.scaler.scale(loss) if self.scaler is not None else loss).backward()

    def unscale(self, optimizer: torch.optim.Optimizer) -> None:
        """True gradients before they are read (G's gradient norm); a no-op without scaling."""
        if self.scaler is not None:
            self.scaler.unscale_(optimizer)

    def step(self, optimizer: torch.optim.Optimizer) -> None:
        if self.scaler is None:
            optimizer.step()
            return
        self.scaler.step(optimizer)
        self.scaler.update()

    def state_dict(self) -> dict:
        return self.scaler.state_dict() if self.scaler is not None else {}

    def load_state_dict(self, state: dict) -> None:
        if self.scaler is not None and state:
            self.scaler.load_state_dict(state)
