"""BatchNorm whose statistics cover every rank's batch, so N ranks of B/N images normalise as one batch of B.

With per-rank statistics a DCGAN's BatchNorm layers would see B/N images each: a different (noisier)
normalisation than the one-process run, and a different G and D. On GPUs this is PyTorch's
SyncBatchNorm. That one refuses CPU tensors, so CPU ranks (gloo) use `CpuSyncBatchNorm` below: the
same statistics through a differentiable collective, so the backward pass is synchronised too. Both
keep BatchNorm2d's parameter and buffer names, so checkpoints move freely between world sizes.
"""
from __future__ import annotations

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn


def _world() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


class _SumOverRanks(torch.autograd.Function):
    """The sum of every rank's tensor; its gradient is the sum of every rank's gradient of that sum."""

    @staticmethod
    def forward(ctx, tensor: torch.Tensor) -> torch.Tensor:
        total = tensor.clone()
        dist.all_reduce(total)
        return total

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        total = grad.contiguous().clone()
        dist.all_reduce(total)
        return total


class CpuSyncBatchNorm(nn.BatchNorm2d):
    """BatchNorm2d with the batch mean and variance taken over every rank: one collective a layer forward
    (and one backward), like PyTorch's own."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or _world() == 1:
            return super().forward(x)
        xf = x.float()
        n, mean, var = _global_moments(xf)
        self._track(mean.detach(), var.detach(), n)
        y = (xf - mean.view(1, -1, 1, 1)) * torch.rsqrt(var + self.eps).view(1, -1, 1, 1)
        if self.affine:
            y = y * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)
        return y.to(x.dtype)

    @torch.no_grad()
    def _track(self, mean: torch.Tensor, var: torch.Tensor, n: float) -> None:
        if not self.track_running_stats:
            return
        self.num_batches_tracked.add_(1)
        factor = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
        # Running variance is the unbiased one, as BatchNorm keeps it.
        self.running_mean.lerp_(mean, factor)
        self.running_var.lerp_(var * (n / max(n - 1.0, 1.0)), factor)


def _global_moments(x: torch.Tensor) -> tuple[float, torch.Tensor, torch.Tensor]:
    """(count, mean, biased variance) per channel over every rank's batch.

    Each rank contributes its own count, mean and sum of squared deviations in its row of a [world, 2C+1]
    table; one summed all-reduce fills the table (an all-gather whose gradient is one all-reduce too), and
    Chan's formula combines the rows exactly, without the cancellation of E[x^2] - E[x]^2.
    """
    dims, channels = [0, 2, 3], x.shape[1]
    count = x.numel() / channels
    mean = x.mean(dims)
    m2 = (x - mean.view(1, -1, 1, 1)).square().sum(dims)
    world, rank = dist.get_world_size(), dist.get_rank()
    row = torch.cat([torch.tensor([count], dtype=x.dtype), mean, m2])
    table = _SumOverRanks.apply(F.pad(row.view(1, -1), (0, 0, rank, world - rank - 1)))
    counts, means, m2s = table[:, :1], table[:, 1:1 + channels], table[:, 1 + channels:]
    n = float(counts.detach().sum())
    total_mean = (counts * means).sum(0) / n
    total_m2 = (m2s + counts * (means - total_mean).square()).sum(0)
    return n, total_mean, total_m2 / n


def _convert_cpu(module: nn.Module) -> nn.Module:
    if type(module) is nn.BatchNorm2d:
        synced = CpuSyncBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                                  module.track_running_stats)
        synced.load_state_dict(module.state_dict())
        synced.train(module.training)
        return synced.to(next(iter(module.state_dict().values())).device)
    for name, child in module.named_children():
        module.add_module(name, _convert_cpu(child))
    return module


def has_batchnorm(module: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


def sync_batchnorm(module: nn.Module, device: torch.device) -> nn.Module:
    """`module` with every BatchNorm synchronised over the ranks (PyTorch's own on GPUs)."""
    if device.type == "cuda":
        return nn.SyncBatchNorm.convert_sync_batchnorm(module)
    return _convert_cpu(module)

