"""Layers the modern families share: equalised learning rate, resampling, pixel norm, minibatch-stddev.

The equalised layers subclass nn.Conv2d / nn.Linear, so everything that looks for those (autocast
checks, spectral norm, init, the cost counter) finds them. Resampling uses StyleGAN2's and R3GAN's
[1, 3, 3, 1] filter: upsampling as 2x bilinear interpolation (the same filter, in one fused op),
downsampling as a fixed depthwise conv.
"""
from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F
from torch import nn

LRELU_GAIN = math.sqrt(2.0)  # keeps the activations' scale through leaky ReLU(0.2), as He init does


class EqualConv2d(nn.Conv2d):
    """A conv whose weights are stored as N(0, 1) and scaled by 1/sqrt(fan_in) at run time (ProGAN).

    Every layer then learns at the same speed under Adam whatever its fan-in. `equalized=False` is a
    plain conv (He-initialised), used under spectral norm, which sets the scale itself.
    """

    def __init__(self, c_in: int, c_out: int, kernel: int, *, bias: bool = True, groups: int = 1,
                 equalized: bool = True, padding: int | None = None, stride: int = 1):
        super().__init__(c_in, c_out, kernel, stride=stride, padding=kernel // 2 if padding is None else padding,
                         groups=groups, bias=bias)
        fan_in = (c_in // groups) * kernel * kernel
        self.scale = 1.0 / math.sqrt(fan_in) if equalized else 1.0
        with torch.no_grad():
            self.weight.normal_(0.0, 1.0 if equalized else 1.0 / math.sqrt(fan_in))
            if bias:
                self.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = self.weight * self.scale if self.scale != 1.0 else self.weight
        return self._conv_forward(x, weight, self.bias)


class EqualLinear(nn.Linear):
    """A dense layer with equalised LR; `lr_mul` slows it further (StyleGAN's mapping network uses 0.01)."""

    def __init__(self, n_in: int, n_out: int, *, bias: bool = True, bias_init: float = 0.0, lr_mul: float = 1.0,
                 equalized: bool = True):
        super().__init__(n_in, n_out, bias=bias)
        self.weight_gain = (lr_mul / math.sqrt(n_in)) if equalized else lr_mul
        self.bias_gain = lr_mul
        with torch.no_grad():
            self.weight.normal_(0.0, (1.0 / lr_mul) if equalized else 1.0 / (math.sqrt(n_in) * lr_mul))
            if bias:
                self.bias.fill_(bias_init / lr_mul)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bias = self.bias * self.bias_gain if self.bias is not None and self.bias_gain != 1.0 else self.bias
        return F.linear(x, self.weight * self.weight_gain, bias)


def lrelu(x: torch.Tensor, gain: float = LRELU_GAIN) -> torch.Tensor:
    return F.leaky_relu(x, 0.2) * gain


def pixel_norm(x: torch.Tensor, dim: int = 1, eps: float = 1e-8) -> torch.Tensor:
    """Each feature vector scaled to unit mean square (ProGAN's PixelNorm; StyleGAN's z normalisation)."""
    return x * torch.rsqrt(x.float().square().mean(dim=dim, keepdim=True) + eps).to(x.dtype)


def upsample(x: torch.Tensor) -> torch.Tensor:
    """2x up with the [1, 3, 3, 1] filter (bilinear, half-pixel centres)."""
    return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)


@functools.lru_cache(maxsize=None)
def _fir_kernel(device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    # Made once per device and dtype, so a GPU step copies no filter from the host.
    taps = torch.tensor([1.0, 3.0, 3.0, 1.0])
    return ((taps[:, None] * taps[None, :]) / taps.sum() ** 2).to(device, dtype)


def downsample(x: torch.Tensor) -> torch.Tensor:
    """2x down with the [1, 3, 3, 1] filter, zero-padded as StyleGAN2's upfirdn2d is. A depthwise conv:
    antialiased bilinear interpolation is the same filter but has no bf16 kernel on the CPU."""
    c = x.shape[1]
    return F.conv2d(x, _fir_kernel(x.device, x.dtype).expand(c, 1, 4, 4), stride=2, padding=1, groups=c)


def box_down(x: torch.Tensor) -> torch.Tensor:
    """2x down by averaging each 2x2 block: how MSG-GAN and ProGAN make low-resolution reals."""
    return F.avg_pool2d(x, 2)


class MinibatchStd(nn.Module):
    """Appends the batch's feature spread as one extra channel (ProGAN), so D sees variety, not just images.

    Groups of `group` images (fewer when the batch does not divide) each get the mean over features of
    the per-feature standard deviation within the group.
    """

    def __init__(self, group: int = 4):
        super().__init__()
        self.group = group

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        g = group_size(n, self.group)
        y = x.float().reshape(g, n // g, c, h, w)
        y = (y.var(dim=0, unbiased=False) + 1e-8).sqrt().mean(dim=(1, 2, 3))  # [n // g]
        y = y.reshape(1, n // g, 1, 1, 1).expand(g, n // g, 1, h, w).reshape(n, 1, h, w)
        return torch.cat([x, y.to(x.dtype)], dim=1)


def group_size(n: int, wanted: int) -> int:
    """The largest group size up to `wanted` that divides the batch."""
    for g in range(min(wanted, n), 0, -1):
        if n % g == 0:
            return g
    return 1


def channel_plan(resolution: int, width: int, max_channels: int) -> dict[int, int]:
    """Channels at every size from 4 to `resolution`: `width` next to the image, doubling at each halving,
    capped at `max_channels` (StyleGAN's min(channel_base / res, channel_max) with channel_base = width * res)."""
    sizes = [2 ** k for k in range(2, int(math.log2(resolution)) + 1)]
    return {size: min(width * resolution // size, max_channels) for size in sizes}


def start_generator(G: nn.Module, spec, width: int, max_channels: int) -> dict[int, int]:
    """A modern family's generator preamble: refuse a size it cannot build, record the fields that
    sampling, export and the loop read from any G, and return its channel plan."""
    from .layers import check_resolution

    check_resolution(spec.resolution)
    G.z_dim, G.resolution, G.channels, G.num_classes = spec.z_dim, spec.resolution, spec.channels, spec.num_classes
    return channel_plan(spec.resolution, width, max_channels)
