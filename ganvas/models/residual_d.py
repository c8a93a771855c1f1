"""StyleGAN2's residual discriminator, narrow: from-RGB, residual blocks down to 4x4, minibatch-stddev.

Each block is conv 3x3 at its size, then [1, 3, 3, 1] downsampling and conv 3x3 at half size, beside
a downsampled 1x1 skip; the sum is scaled by sqrt(1/2) to keep its variance. The epilogue at 4x4 adds
the minibatch-stddev channel, then conv 3x3, a dense layer and the (projection) head. Equalised LR
throughout, or spectral norm in its place.
"""
from __future__ import annotations

import math
from typing import Optional

import torch
from torch import nn

from .blocks import EqualConv2d, EqualLinear, MinibatchStd, downsample, lrelu
from .layers import ProjectionHead, maybe_spectral_norm
from .spec import ModelSpec


def conv(c_in: int, c_out: int, kernel: int, sn: bool, **kwargs) -> nn.Module:
    return maybe_spectral_norm(EqualConv2d(c_in, c_out, kernel, equalized=not sn, **kwargs), sn)


def dense(n_in: int, n_out: int, sn: bool) -> nn.Module:
    return maybe_spectral_norm(EqualLinear(n_in, n_out, equalized=not sn), sn)


class DBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, sn: bool):
        super().__init__()
        self.conv0 = conv(c_in, c_in, 3, sn)
        self.conv1 = conv(c_in, c_out, 3, sn)
        self.skip = conv(c_in, c_out, 1, sn, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = self.skip(downsample(x))
        x = lrelu(self.conv1(downsample(lrelu(self.conv0(x)))))
        return (x + skip) * math.sqrt(0.5)


class Epilogue(nn.Module):
    """4x4 features -> minibatch-stddev -> conv -> dense -> logit (plus the class projection)."""

    def __init__(self, c: int, num_classes: int, mbstd_group: int, sn: bool):
        super().__init__()
        self.mbstd = MinibatchStd(mbstd_group)
        self.conv = conv(c + 1, c, 3, sn)
        self.fc = dense(c * 16, c, sn)
        self.head = ProjectionHead(c, num_classes, sn, linear=dense(c, 1, sn))

    def forward(self, x: torch.Tensor, labels: Optional[torch.Tensor]) -> torch.Tensor:
        x = lrelu(self.conv(self.mbstd(x)))
        h = lrelu(self.fc(x.flatten(1)))
        return self.head(h, h, labels)


class ResidualDiscriminator(nn.Module):
    def __init__(self, spec: ModelSpec, plan: dict[int, int], *, mbstd_group: int = 4, spectral_norm: bool = False):
        super().__init__()
        self.resolution, self.channels, self.num_classes = spec.resolution, spec.channels, spec.num_classes
        sn, sizes = spectral_norm, sorted(plan, reverse=True)
        self.from_rgb = conv(spec.channels, plan[sizes[0]], 1, sn)
        self.blocks = nn.Sequential(*(DBlock(plan[size], plan[size // 2], sn) for size in sizes[:-1]))
        self.epilogue = Epilogue(plan[4], spec.num_classes, mbstd_group, sn)

    def forward(self, x: torch.Tensor, labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        return self.epilogue(self.blocks(lrelu(self.from_rgb(x))), labels)
