"""TensorBoard event files, written when tensorboard is installed and the run asks for them."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from ..config import TrainConfig
from .hooks import Hook


class TensorBoard(Hook):
    name = "tensorboard"

    def __init__(self, writer):
        self.writer = writer

    def on_log(self, run, record: dict, act) -> None:
        for key, value in record.items():
            if key not in ("step", "time") and isinstance(value, (int, float)) and not isinstance(value, bool):
                self.writer.add_scalar(key, value, record["step"])
        self.writer.flush()


def tensorboard_hook(cfg: TrainConfig, run: Path) -> Optional[TensorBoard]:
    if not cfg.tensorboard:
        return None
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return TensorBoard(SummaryWriter(log_dir=str(run / "tensorboard")))
