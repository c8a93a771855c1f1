"""MSG-GAN (Karnewar & Wang, 2019): multi-scale gradients, so every scale of G learns from D at once.

G is a ProGAN-style stack (pixel norm, equalised LR, two 3x3 convs per resolution) with a 1x1 to-RGB
after every block; `forward_scales` returns the whole pyramid, coarsest first, and `forward` only the
finest image, so sampling, metrics and export see an ordinary generator.

D takes the pyramid (or builds it from one image by 2x2 averaging, as the reals are built). At each
scale the image of that size joins D's features as in the paper's code: the raw RGB channels are
concatenated to the features and a 1x1 conv mixes them back to the block's width. That costs one 1x1
per scale, whereas BMSG-GAN's from-RGB-then-concatenate widens the input of every following 3x3 conv
(the expensive layer on a CPU). Minibatch-stddev opens D's last block.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Union

import torch
from torch import nn

from .blocks import (EqualConv2d, EqualLinear, MinibatchStd, box_down, channel_plan, lrelu, pixel_norm, start_generator,
                     upsample)
from .layers import LabelConcat, ProjectionHead, check_resolution, maybe_spectral_norm
from .spec import ModelSpec, options_of

Pyramid = Union[torch.Tensor, Sequence[torch.Tensor]]


@dataclass(frozen=True)
class Options:
    width: int = 32             # channels next to the image
    max_channels: int = 256     # cap as resolution halves
    mbstd_group: int = 4
    spectral_norm: bool = False  # on D's layers (replaces equalised LR there)


def pyramid_of(images: torch.Tensor, sizes: Sequence[int]) -> list[torch.Tensor]:
    """The image at every size in `sizes` (coarsest first), by repeated 2x2 averaging."""
    scales = [images]
    while scales[-1].shape[-1] > sizes[0]:
        scales.append(box_down(scales[-1]))
    return scales[::-1]


class Generator(nn.Module):
    def __init__(self, spec: ModelSpec, o: Options):
        super().__init__()
        plan = start_generator(self, spec, o.width, o.max_channels)
        self.sizes = list(plan)
        self.condition = LabelConcat(spec.num_classes)
        self.dense = EqualLinear(spec.z_dim + self.condition.extra_dim, plan[4] * 16)
        self.convs = nn.ModuleList([EqualConv2d(plan[4], plan[4], 3)])
        for size in self.sizes[1:]:
            self.convs.extend([EqualConv2d(plan[size // 2], plan[size], 3), EqualConv2d(plan[size], plan[size], 3)])
        self.to_rgbs = nn.ModuleList(EqualConv2d(plan[size], spec.channels, 1) for size in self.sizes)

    def _features(self, z: torch.Tensor, labels: Optional[torch.Tensor]):
        """Yields the features after each resolution's block, coarsest first."""
        x = self.condition(pixel_norm(z), labels)
        x = pixel_norm(lrelu(self.dense(x)).view(-1, self.dense.out_features // 16, 4, 4))  # traces any batch
        x = pixel_norm(lrelu(self.convs[0](x)))
        yield x
        for index in range(1, len(self.sizes)):
            x = upsample(x)
            x = pixel_norm(lrelu(self.convs[2 * index - 1](x)))
            x = pixel_norm(lrelu(self.convs[2 * index](x)))
            yield x

    def forward_scales(self, z: torch.Tensor, labels: Optional[torch.Tensor] = None) -> list[torch.Tensor]:
        """Images at every size from 4 to the resolution, coarsest first, each in [-1, 1]."""
        return [torch.tanh(rgb(x)) for rgb, x in zip(self.to_rgbs, self._features(z, labels))]

    def forward(self, z: torch.Tensor, labels: Optional[torch.Tensor] = None, scales: bool = False):
        # `scales` reaches the pyramid through forward itself, the one method a DDP wrapper runs.
        if scales:
            return self.forward_scales(z, labels)
        *_, finest = self._features(z, labels)
        return torch.tanh(self.to_rgbs[-1](finest))


def _conv(c_in: int, c_out: int, kernel: int, sn: bool, **kwargs) -> nn.Module:
    return maybe_spectral_norm(EqualConv2d(c_in, c_out, kernel, equalized=not sn, **kwargs), sn)


class DBlock(nn.Module):
    """Mix in the image of this size (except at the finest, where it is D's input), two 3x3, halve."""

    def __init__(self, c_in: int, c_out: int, channels: int, first: bool, sn: bool):
        super().__init__()
        self.combine = _conv(channels if first else c_in + channels, c_in, 1, sn)
        self.first = first
        self.conv0, self.conv1 = _conv(c_in, c_in, 3, sn), _conv(c_in, c_out, 3, sn)

    def forward(self, x: Optional[torch.Tensor], image: torch.Tensor) -> torch.Tensor:
        x = lrelu(self.combine(image if self.first else torch.cat([x, image.to(x.dtype)], dim=1)))
        return box_down(lrelu(self.conv1(lrelu(self.conv0(x)))))


class Discriminator(nn.Module):
    def __init__(self, spec: ModelSpec, o: Options):
        super().__init__()
        check_resolution(spec.resolution)
        self.resolution, self.channels, self.num_classes = spec.resolution, spec.channels, spec.num_classes
        plan, sn = channel_plan(spec.resolution, o.width, o.max_channels), o.spectral_norm
        self.sizes = list(plan)
        finest_first = self.sizes[::-1]
        self.blocks = nn.ModuleList(DBlock(plan[size], plan[size // 2], spec.channels, size == spec.resolution, sn)
                                    for size in finest_first[:-1])
        c = plan[4]
        self.combine = _conv(c + spec.channels, c, 1, sn)
        self.mbstd = MinibatchStd(o.mbstd_group)
        self.conv = _conv(c + 1, c, 3, sn)
        self.conv4 = _conv(c, c, 4, sn, padding=0)  # 4x4 -> 1x1
        linear = maybe_spectral_norm(EqualLinear(c, 1, equalized=not sn), sn)
        self.head = ProjectionHead(c, spec.num_classes, sn, linear=linear)

    def forward(self, images: Pyramid, labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Logits [N] for a pyramid of images (coarsest first), or for the finest image alone."""
        scales = pyramid_of(images, self.sizes) if torch.is_tensor(images) else list(images)
        if [s.shape[-1] for s in scales] != self.sizes:
            raise ValueError(f"D expects images of sizes {self.sizes}, got {[s.shape[-1] for s in scales]}")
        x = None
        for block, image in zip(self.blocks, scales[::-1]):
            x = block(x, image)
        x = lrelu(self.combine(torch.cat([x, scales[0].to(x.dtype)], dim=1)))
        x = lrelu(self.conv(self.mbstd(x)))
        h = lrelu(self.conv4(x)).flatten(1)
        return self.head(h, h, labels)


def generator(spec: ModelSpec) -> Generator:
    return Generator(spec, options_of(Options, spec))


def discriminator(spec: ModelSpec) -> Discriminator:
    return Discriminator(spec, options_of(Options, spec))
