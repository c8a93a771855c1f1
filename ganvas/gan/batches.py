"""Batches straight from the in-memory uint8 tensor: nothing is decoded after preparation."""
from __future__ import annotations

from typing import Iterator, Optional

import torch


class Batches:
    """Epoch-ordered batches whose order depends only on (seed, epoch), so a resumed run sees the
    same images at the same steps as an uninterrupted one.

    Over several ranks, step i's batch is the same global slice of the same order, and rank r takes
    every world-th image of it from position r (the shard order[r::world], step by step). So the
    ranks together see what one process would, the replay-by-step property survives, and a resume
    with another world size still sees the same images at the same steps.
    """

    def __init__(self, images: torch.Tensor, labels: Optional[torch.Tensor], batch_size: int, seed: int,
                 flip: bool, device: torch.device, channels_last: bool, rank: int = 0, world: int = 1):
        if len(images) < batch_size:
            batch_size = len(images) - len(images) % world
        self.images, self.labels = images, labels
        self.batch_size, self.seed, self.flip = batch_size, seed, flip  # batch_size: all ranks together
        self.rank, self.world = rank, world
        self.device = device
        # uint8 batches cross to a GPU from page-locked memory, without the host waiting for the copy.
        self.pin = device.type == "cuda"
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.per_epoch = len(images) // batch_size

    @property
    def rank_batch(self) -> int:
        """Images per step on this rank."""
        return self.batch_size // self.world

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

    def _mine(self, t: torch.Tensor) -> torch.Tensor:
        return t[self.rank::self.world] if self.world > 1 else t

    def _to_device(self, t: torch.Tensor) -> torch.Tensor:
        return (t.pin_memory() if self.pin else t).to(self.device, non_blocking=True)

    def _batch(self, idx: torch.Tensor, epoch: int, i: int):
        mask = None
        if self.flip:  # drawn for the whole global batch, so each image flips as it would in one process
            gen = torch.Generator().manual_seed((self.seed * 1_000_003 + epoch) * 100_003 + i)
            mask = self._mine(torch.rand(len(idx), generator=gen) < 0.5)
        idx = self._mine(idx)
        x = self._to_device(self.images[idx])
        x = x.float().mul_(2.0 / 255.0).sub_(1.0)
        if mask is not None:  # a select, not boolean indexing, which would wait for the GPU
            x = torch.where(mask.to(x.device).view(-1, 1, 1, 1), x.flip(-1), x)
        x = x.contiguous(memory_format=self.memory_format)
        labels = self._to_device(self.labels[idx]) if self.labels is not None else None
        return x, labels
