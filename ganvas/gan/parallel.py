"""How G and D train over several ranks: PyTorch's DDP on the forwards whose gradients must be averaged.

The method keeps the plain modules (checkpoints, EMA, sampling and G's step through a frozen D use
them) and calls the wrapped ones only where D's or G's own loss is backpropagated. G's step goes
through the plain D, so D's reducer never waits for gradients that a frozen D does not produce. In
one process `wrap` returns the module itself and nothing here adds work, a collective or a random draw.
"""
from __future__ import annotations

import contextlib
from typing import Optional

import torch
from torch import nn

from ..runtime import SINGLE, Runtime
from .syncbn import has_batchnorm, sync_batchnorm


class Parallel:
    def __init__(self, runtime: Runtime = SINGLE, *, sync_bn: bool = True, partial_graph: bool = False):
        # partial_graph: some parameters get no gradient at some steps (a growing network's levels not yet
        # built), so DDP must look for them each step instead of waiting for gradients that never come.
        self.runtime, self.sync_bn, self.partial_graph = runtime, sync_bn, partial_graph

    @property
    def world(self) -> int:
        return self.runtime.world

    @property
    def distributed(self) -> bool:
        return self.runtime.distributed

    def prepare(self, module: nn.Module) -> nn.Module:
        """Before the optimiser is made: BatchNorm becomes synchronised over the ranks (when asked)."""
        if self.distributed and self.sync_bn and has_batchnorm(module):
            return sync_batchnorm(module, self.runtime.device)
        return module

    def wrap(self, module: nn.Module) -> nn.Module:
        if not self.distributed:
            return module
        from torch.nn.parallel import DistributedDataParallel as DDP

        cuda = self.runtime.device.type == "cuda"
        # Synchronised BatchNorm keeps the running statistics equal on every rank already; per-rank
        # BatchNorm takes rank 0's at each forward, so sampling and checkpoints see one set.
        return DDP(module, device_ids=[self.runtime.local_rank] if cuda else None,
                   forward_sync_buffers=not (self.sync_bn and has_batchnorm(module)),
                   find_unused_parameters=self.partial_graph)

    def pass_of(self, wrapped: nn.Module, last: bool):
        """Inside a pass that is not the last of an accumulated step, DDP only adds up gradients locally;
        the last pass averages them over the ranks."""
        if last or not self.distributed:
            return contextlib.nullcontext()
        return wrapped.no_sync()

    def mean(self, tensor: torch.Tensor) -> torch.Tensor:
        return self.runtime.all_reduce_mean(tensor)

    def sum(self, tensor: torch.Tensor) -> torch.Tensor:
        return self.runtime.all_reduce_sum(tensor)

    def touch_all(self, loss: torch.Tensor, logits: Optional[torch.Tensor]) -> torch.Tensor:
        """`loss`, plus a zero-weighted use of D's logits: a gradient penalty's graph skips the biases (they
        do not move D's input gradient), and DDP's reducer waits for every parameter. Done in one process
        too (as StyleGAN2's own R1 step does), so Adam steps the same parameters with one rank or many."""
        if logits is None:
            return loss
        return loss + 0.0 * logits.float().sum()


def compiled(module: nn.Module, on: bool) -> nn.Module:
    """`torch.compile(module)` when asked: on GPUs it fuses the small ops of these nets' layers."""
    return torch.compile(module) if on else module
