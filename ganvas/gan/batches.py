"""Batches straight from the in-memory uint8 tensor: nothing is decoded after preparation."""
from __future__ import annotations

from typing import Iterator, Optional

import torch


class Batches:
    """Epoch-ordered batches whose order depends only on (seed, epoch), so a resumed run sees the
    same images at the same steps as an uninterrupted one."""

    def __init__(self, images: torch.Tensor, labels: Optional[torch.Tensor], batch_size: int, seed: int,
                 flip: bool, device: torch.device, channels_last: bool):
        if len(images) < batch_size:
            batch_size = len(images)
        self.images, self.labels = images, labels
        self.batch_size, self.seed, self.flip = batch_size, seed, flip
        self.device = device
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.per_epoch = len(images) // batch_size

    @property
    def n_images(self) -> int:
        return len(self.images)

    def state_dict(self) -> dict:
        return {"flip": self.flip}

    def load_state_dict(self, state: dict) -> None:
        # Flips may be switched on mid-run by a remedy, so the checkpoint, not the config, knows.
        self.flip = bool(state["flip"])

    def _order(self, epoch: int) -> torch.Tensor:
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        return torch.randperm(len(self.images), generator=gen)

    def from_step(self, step: int) -> Iterator[tuple[torch.Tensor, Optional[torch.Tensor]]]:
        epoch, offset = divmod(step, self.per_epoch)
        while True:
            order = self._order(epoch)
            for i in range(offset, self.per_epoch):
                idx = order[i * self.batch_size:(i + 1) * self.batch_size]
                yield self._batch(idx, epoch, i)
            epoch, offset = epoch + 1, 0

    def _batch(self, idx: torch.Tensor, epoch: int, i: int):
        x = self.images[idx].to(self.device, non_blocking=True)
        x = x.float().mul_(2.0 / 255.0).sub_(1.0)
        if self.flip:
            gen = torch.Generator().manual_seed((self.seed * 1_000_003 + epoch) * 100_003 + i)
            mask = torch.rand(len(idx), generator=gen) < 0.5
            x[mask.to(x.device)] = x[mask.to(x.device)].flip(-1)
        x = x.contiguous(memory_format=self.memory_format)
        labels = self.labels[idx].to(self.device) if self.labels is not None else None
        return x, labels
