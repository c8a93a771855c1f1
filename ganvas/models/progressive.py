"""Progressive growing (Karras et al., 2018) for the DCGAN family: every block built up front, the
current level and fade-in alpha held as buffers, so optimisers, EMA and checkpoints see one network.

Level 0 draws 8x8 images; level L draws 8 * 2^L. While a level fades in (alpha < 1), G's image is
lerp(upsample(to_rgb_old(x_old)), to_rgb_new(block_new(x_old)), alpha) and D's features are
lerp(from_rgb_old(downsample(image)), block_new(from_rgb_new(image)), alpha), as in ProGAN. G always
returns a full-resolution image (the current level upsampled by pixel repetition), and D averages its
input down to the current level, so every consumer sees the usual shapes and D reads back exactly
what G drew.

Each level's to-RGB and from-RGB is DCGAN's own outer layer, a 4x4 stride-2 (transposed) conv between
the image and features at half its size, so the last level is DCGAN at that resolution, layer for
layer: growing changes the schedule, not the network it ends with. ProGAN's 1x1 heads on
full-size features were tried first: 128 px features cost more than the whole 64 px network, and
in 15 minutes on a CPU at 128 px KID came out 198 against 174 for these heads (DCGAN 155).
"""
from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import channel_plan
from .layers import LabelConcat, ProjectionHead, check_resolution, init_weights, maybe_spectral_norm

START = 8  # the first level's size


def sizes_of(resolution: int) -> list[int]:
    """The size of every level: 8, 16, ..., resolution."""
    return [START * 2 ** k for k in range(int(math.log2(resolution // START)) + 1)]


def plan_of(resolution: int, width: int) -> dict[int, int]:
    """DCGAN's channels at sizes 4 to resolution / 2: width next to the image's head, doubling to 8 * width."""
    return channel_plan(resolution // 2, width, 8 * width)


class _Staged(nn.Module):
    """The level and fade-in alpha, as buffers (so checkpoints and the EMA copy carry them).

    forward reads a Python copy of them: reading a buffer would make every GPU forward wait for the
    device, and an exporter cannot trace a branch on a tensor's value. Loading a state dict refreshes it.
    """

    def _stage_buffers(self, levels: int) -> None:
        self.levels = levels
        self.register_buffer("level", torch.tensor(levels - 1))
        self.register_buffer("alpha", torch.tensor(1.0))
        self._stage = (levels - 1, 1.0)
        self.register_load_state_dict_post_hook(lambda module, _keys: module._read_stage())

    def _read_stage(self) -> None:
        self._stage = (int(self.level), float(self.alpha))

    def set_stage(self, level: int, alpha: float) -> None:
        if not 0 <= level < self.levels or not 0.0 <= alpha <= 1.0:
            raise ValueError(f"level must be in [0, {self.levels}) and alpha in [0, 1], got {level}, {alpha}")
        self.level.fill_(level)
        self.alpha.fill_(alpha)
        self._stage = (int(level), float(alpha))

    def stage(self) -> tuple[int, float]:
        return self._stage


class ProgressiveGenerator(_Staged):
    def __init__(self, z_dim: int, resolution: int, channels: int, width: int, num_classes: int = 0):
        super().__init__()
        check_resolution(resolution)
        self.z_dim, self.resolution, self.channels, self.num_classes = z_dim, resolution, channels, num_classes
        self.sizes, plan = sizes_of(resolution), plan_of(resolution, width)
        self.condition = LabelConcat(num_classes)
        self.first = nn.Sequential(nn.ConvTranspose2d(z_dim + self.condition.extra_dim, plan[4], 4, 1, 0, bias=False),
                                   nn.BatchNorm2d(plan[4]), nn.ReLU(True))
        # Level L's block takes features from a quarter of its size to half; its to-RGB, half to full.
        self.blocks = nn.ModuleList(nn.Sequential(
            nn.ConvTranspose2d(plan[s // 4], plan[s // 2], 4, 2, 1, bias=False), nn.BatchNorm2d(plan[s // 2]),
            nn.ReLU(True)) for s in self.sizes[1:])
        self.to_rgbs = nn.ModuleList(
            nn.ConvTranspose2d(plan[s // 2], channels, 4, 2, 1, bias=False) for s in self.sizes)
        self._stage_buffers(len(self.sizes))

    def forward(self, z: torch.Tensor, labels: Optional[torch.Tensor] = None, *, native: bool = False) -> torch.Tensor:
        """Full-size images (the level's repeated up), or with `native` the level's own size, which is
        what training shows D: no work is spent on pixels the level does not draw."""
        level, alpha = self.stage()
        x = coarser = self.first(self.condition(z, labels)[:, :, None, None])
        for block in self.blocks[:level]:
            coarser, x = x, block(x)
        new = torch.tanh(self.to_rgbs[level](x))
        if level > 0 and alpha < 1.0:
            old = F.interpolate(torch.tanh(self.to_rgbs[level - 1](coarser)), scale_factor=2.0, mode="nearest")
            new = torch.lerp(old, new, alpha)
        return new if native else _repeat_to(new, self.resolution)


class ProgressiveDiscriminator(_Staged):
    def __init__(self, resolution: int, channels: int, width: int, num_classes: int = 0, spectral_norm: bool = False):
        super().__init__()
        check_resolution(resolution)
        self.resolution, self.channels, self.num_classes = resolution, channels, num_classes
        self.sizes, plan, sn = sizes_of(resolution), plan_of(resolution, width), spectral_norm
        self.from_rgbs = nn.ModuleList(nn.Sequential(
            maybe_spectral_norm(nn.Conv2d(channels, plan[s // 2], 4, 2, 1, bias=sn), sn), nn.LeakyReLU(0.2, True))
            for s in self.sizes)
        self.blocks = nn.ModuleList(nn.Sequential(
            maybe_spectral_norm(nn.Conv2d(plan[s // 2], plan[s // 4], 4, 2, 1, bias=sn), sn),
            *([] if sn else [nn.BatchNorm2d(plan[s // 4])]), nn.LeakyReLU(0.2, True)) for s in self.sizes[1:])
        final = maybe_spectral_norm(nn.Conv2d(plan[4], 1, 4, 1, 0, bias=False), sn)
        self.head = ProjectionHead(plan[4], num_classes, sn, linear=final)
        self._stage_buffers(len(self.sizes))

    def forward(self, x: torch.Tensor, labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        level, alpha = self.stage()
        image = _average_to(x, self.sizes[level])
        h, below = self.from_rgbs[level](image), list(self.blocks[:level])
        if level > 0 and alpha < 1.0:
            h = torch.lerp(self.from_rgbs[level - 1](F.avg_pool2d(image, 2)), below.pop()(h), alpha)
        for block in reversed(below):
            h = block(h)
        pooled = h.sum((2, 3)) if self.num_classes else h
        return self.head(h, pooled, labels)


def _repeat_to(image: torch.Tensor, size: int) -> torch.Tensor:
    factor = size // image.shape[-1]
    return image if factor == 1 else F.interpolate(image, scale_factor=float(factor), mode="nearest")


def _average_to(image: torch.Tensor, size: int) -> torch.Tensor:
    factor = image.shape[-1] // size
    return image if factor == 1 else F.avg_pool2d(image, factor)


def blend_reals(real: torch.Tensor, level: int, alpha: float, sizes: list[int], *, native: bool = False) -> torch.Tensor:
    """The reals as D should see them at this stage: averaged to the level, crossfaded with their coarser
    copy while the level fades in (ProGAN's process_reals), and repeated back to full size (or, with
    `native`, left at the level's size)."""
    image = _average_to(real, sizes[level])
    if level > 0 and alpha < 1.0:
        coarse = F.interpolate(F.avg_pool2d(image, 2), scale_factor=2.0, mode="nearest")
        image = torch.lerp(coarse, image, alpha)
    return image if native else _repeat_to(image, real.shape[-1])


def build_generator(*, z_dim: int, resolution: int, channels: int, width: int, num_classes: int = 0):
    g = ProgressiveGenerator(z_dim, resolution, channels, width, num_classes)
    init_weights(g)
    return g


def build_discriminator(*, resolution: int, channels: int, width: int, num_classes: int = 0,
                        spectral_norm: bool = False):
    d = ProgressiveDiscriminator(resolution, channels, width, num_classes, spectral_norm)
    init_weights(d)
    return d
