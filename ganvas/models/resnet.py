"""A lean residual GAN in the manner of R3GAN (Huang et al., 2025): no normalisation, no tricks.

Both nets are stacks of inverted-bottleneck residual blocks, x + 1x1(act(grouped 3x3(act(1x1(x))))), the
last 1x1 of every block zero-initialised and the others He-initialised scaled by L^(-1/4) for L blocks
(Fix-up), so the untrained net is close to its skip path and trains without normalisation layers.
Resampling is the [1, 3, 3, 1] filter (bilinear); channels change with 1x1 convs beside it. G starts
from a learned 4x4 basis scaled per channel by a linear map of z and ends with a 1x1 to RGB (no tanh:
outside training the image is clamped); D ends with a depthwise 4x4 conv over its 4x4 features and a
linear (projection) head. It is meant for the relativistic pairing loss with R1 + R2 (--loss rpgan).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import channel_plan, downsample, start_generator, upsample
from .layers import LabelConcat, ProjectionHead, check_resolution, maybe_spectral_norm
from .spec import ModelSpec, options_of

LRELU_SLOPE = 0.2


@dataclass(frozen=True)
class Options:
    width: int = 32             # channels next to the image
    max_channels: int = 256     # cap as resolution halves
    blocks: int = 1             # residual blocks per resolution (R3GAN uses 2)
    expansion: int = 2          # inverted bottleneck: the 3x3 works on expansion x channels
    # Channels per group of the 3x3 (0: a dense 3x3). At 64 px, width 32, 16 images on one CPU thread,
    # groups of 16 cut G+D's MACs 4.8x and a training pass took 2.1x (bf16) to 3.7x (fp32) less time.
    group_size: int = 16
    spectral_norm: bool = False  # on D's layers


def _act(x: torch.Tensor) -> torch.Tensor:
    return F.leaky_relu(x, LRELU_SLOPE)


def _he(conv: nn.Conv2d, scale: float = 1.0) -> nn.Conv2d:
    fan_in = conv.weight[0].numel()
    gain = math.sqrt(2.0 / (1.0 + LRELU_SLOPE ** 2))
    nn.init.normal_(conv.weight, 0.0, scale * gain / math.sqrt(fan_in))
    if conv.bias is not None:
        nn.init.zeros_(conv.bias)
    return conv


class ResidualBlock(nn.Module):
    def __init__(self, c: int, o: Options, total_blocks: int, sn: bool = False):
        super().__init__()
        hidden = c * o.expansion
        groups = max(1, hidden // o.group_size) if o.group_size else 1
        fixup = total_blocks ** -0.25
        self.expand = maybe_spectral_norm(_he(nn.Conv2d(c, hidden, 1), fixup), sn)
        self.spatial = maybe_spectral_norm(_he(nn.Conv2d(hidden, hidden, 3, padding=1, groups=groups), fixup), sn)
        project = nn.Conv2d(hidden, c, 1, bias=False)
        if sn:  # spectral norm divides by the weight's largest singular value, so it cannot start at zero
            _he(project, fixup)
        else:
            nn.init.zeros_(project.weight)  # the block starts as the identity
        self.project = maybe_spectral_norm(project, sn)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.project(_act(self.spatial(_act(self.expand(x)))))


def _channel_change(c_in: int, c_out: int, sn: bool) -> nn.Module:
    return maybe_spectral_norm(_he(nn.Conv2d(c_in, c_out, 1)), sn) if c_in != c_out else nn.Identity()


class Generator(nn.Module):
    def __init__(self, spec: ModelSpec, o: Options):
        super().__init__()
        plan = start_generator(self, spec, o.width, o.max_channels)
        total = len(plan) * o.blocks
        self.condition = LabelConcat(spec.num_classes)
        self.basis = nn.Parameter(torch.randn(plan[4], 4, 4))
        self.project = nn.Linear(spec.z_dim + self.condition.extra_dim, plan[4])
        self.changes = nn.ModuleList(_channel_change(plan[size // 2], plan[size], False) for size in plan if size > 4)
        self.stages = nn.ModuleList(nn.Sequential(*(ResidualBlock(plan[size], o, total) for _ in range(o.blocks)))
                                    for size in plan)
        self.to_rgb = nn.Conv2d(plan[spec.resolution], spec.channels, 1)

    def forward(self, z: torch.Tensor, labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        x = self.basis[None] * self.project(self.condition(z, labels))[:, :, None, None]
        x = self.stages[0](x)
        for change, stage in zip(self.changes, self.stages[1:]):
            x = stage(upsample(change(x)))
        image = self.to_rgb(x)
        return image if self.training else image.clamp(-1.0, 1.0)


class Discriminator(nn.Module):
    def __init__(self, spec: ModelSpec, o: Options):
        super().__init__()
        check_resolution(spec.resolution)
        self.resolution, self.channels, self.num_classes = spec.resolution, spec.channels, spec.num_classes
        plan, sn = channel_plan(spec.resolution, o.width, o.max_channels), o.spectral_norm
        sizes = sorted(plan, reverse=True)
        total = len(plan) * o.blocks
        self.from_rgb = maybe_spectral_norm(_he(nn.Conv2d(spec.channels, plan[sizes[0]], 1)), sn)
        self.stages = nn.ModuleList(nn.Sequential(*(ResidualBlock(plan[size], o, total, sn) for _ in range(o.blocks)))
                                    for size in sizes)
        self.changes = nn.ModuleList(_channel_change(plan[size], plan[size // 2], sn) for size in sizes[:-1])
        c = plan[4]
        self.basis = maybe_spectral_norm(_he(nn.Conv2d(c, c, 4, groups=c, bias=False)), sn)  # 4x4 -> 1x1
        self.head = ProjectionHead(c, spec.num_classes, sn)

    def forward(self, x: torch.Tensor, labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        x = _act(self.from_rgb(x))
        for stage, change in zip(self.stages, self.changes):
            x = change(downsample(stage(x)))
        h = self.basis(self.stages[-1](x)).flatten(1)
        return self.head(h, h, labels)


def generator(spec: ModelSpec) -> Generator:
    return Generator(spec, options_of(Options, spec))


def discriminator(spec: ModelSpec) -> Discriminator:
    return Discriminator(spec, options_of(Options, spec))
