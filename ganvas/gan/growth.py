"""Progressive growing's schedule, and the batches it asks for: both pure functions of the step.

Level 0 (8 px) trains for `grow_kimg` thousand images; every later level first fades in over that
many images (alpha rising linearly with the images seen) and then trains at alpha 1 for as many; the
last level trains on until the run's budget. Each level has its own batch size, so a level's phases
last ceil(images / batch) steps. Because the stage, the batch size and the position in the data are
all computed from the step, a run resumed anywhere, mid-fade included, replays exactly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator, Optional

import torch

from .batches import Batches


@dataclass(frozen=True)
class Stage:
    level: int
    alpha: float
    batch: int
    level_start: int  # the first step of this level (its fade-in, or step 0 for level 0)


@dataclass(frozen=True)
class Growth:
    levels: int
    grow_images: int
    batches: tuple[int, ...]  # one per level

    @classmethod
    def plan(cls, levels: int, grow_kimg: float, batch_size: int, level_batch: tuple[int, ...] = ()) -> "Growth":
        batches = tuple(level_batch[:levels]) + (batch_size,) * max(0, levels - len(level_batch))
        return cls(levels, max(1, round(grow_kimg * 1000)), batches)

    def phase_steps(self, level: int) -> int:
        return math.ceil(self.grow_images / self.batches[level])

    def _phases(self) -> Iterator[tuple[int, bool, int, int]]:
        """(level, fading, first step, length) of every phase in order; the last one never ends."""
        start = 0
        for level in range(self.levels):
            for fading in ((False,) if level == 0 else (True, False)):
                last = level == self.levels - 1 and not fading
                length = math.inf if last else self.phase_steps(level)
                yield level, fading, start, length
                start += length

    def at(self, step: int) -> Stage:
        level_start = 0
        for level, fading, start, length in self._phases():
            if fading:
                level_start = start
            if step < start + length:
                alpha = (step - start) / length if fading else 1.0
                return Stage(level, alpha, self.batches[level], level_start if level else 0)
        raise AssertionError("the last phase never ends")

    def images_before(self, step: int) -> int:
        """Images drawn by the steps before `step`."""
        total = 0
        for level, _fading, start, length in self._phases():
            steps = min(step, start + length) - start
            if steps <= 0:
                break
            total += int(steps) * self.batches[level]
        return total


class GrowingBatches(Batches):
    """Batches of each level's size from one endless epoch-ordered stream of images, located by the step."""

    def __init__(self, images: torch.Tensor, labels: Optional[torch.Tensor], growth: Growth, seed: int, flip: bool,
                 device: torch.device, channels_last: bool, rank: int = 0, world: int = 1):
        super().__init__(images, labels, max(growth.batches), seed, flip, device, channels_last, rank, world)
        self.growth = growth

    def from_step(self, step: int):
        position = self.growth.images_before(step)
        while True:
            size = min(self.growth.at(step).batch, len(self.images) - len(self.images) % self.world)
            epoch, offset = divmod(position, len(self.images))
            idx = self._positions(epoch, offset, size)
            yield self._batch(idx, epoch, offset)
            position, step = position + size, step + 1

    def _positions(self, epoch: int, offset: int, size: int) -> torch.Tensor:
        idx = self._order(epoch)[offset:offset + size]
        if len(idx) < size:  # the batch runs into the next epoch's order
            idx = torch.cat([idx, self._order(epoch + 1)[:size - len(idx)]])
        return idx
