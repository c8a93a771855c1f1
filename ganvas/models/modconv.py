"""StyleGAN2's modulated convolution: a per-image style scales the weights' input channels, and weight
demodulation rescales each output channel back to unit expected variance.

Two forms compute the same thing:
- "grouped": build every image's own weights and run one grouped conv over the batch (StyleGAN2's
  fused_modconv). One big conv, but the weights are rebuilt per image.
- "scaled": scale the activations by the style, run the ordinary shared conv, scale the output by the
  demodulation coefficients. The conv is the plain one oneDNN is fastest at.
On a CPU "scaled" measured faster at every size tried, forward plus backward, one thread, 16 images:
1.0-1.3x at 32-64 channels and 32-64 px in fp32, 1.7-3x in bf16, 2-15x at 128-256 channels and 8-16 px
(the grouped conv's per-image weights dominate there). So CPUs use "scaled"; CUDA uses "grouped", as
StyleGAN2 does at small batches. Both are tested against each other.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import EqualConv2d, EqualLinear, upsample

DEMOD_EPS = 1e-8


def demod_coefficients(weight: torch.Tensor, styles: torch.Tensor) -> torch.Tensor:
    """1 / sqrt(sum over inputs and taps of (w * s)^2), per image and output channel: [N, C_out].

    Elementwise in fp32 rather than a matmul, so autocast leaves it at full precision.
    """
    w2 = weight.float().square().sum(dim=(2, 3))  # [C_out, C_in]
    return torch.rsqrt((styles.float().square()[:, None, :] * w2[None]).sum(dim=2) + DEMOD_EPS)


def modulated_conv(conv: EqualConv2d, x: torch.Tensor, styles: torch.Tensor, *, demodulate: bool = True,
                   form: str | None = None) -> torch.Tensor:
    """conv applied with per-image input-channel scales `styles` [N, C_in]; `form` None picks by device."""
    form = form or ("grouped" if x.device.type == "cuda" else "scaled")
    weight = conv.weight * conv.scale
    if form == "scaled":
        y = conv(x * styles.to(x.dtype)[:, :, None, None])
        if demodulate:
            y = y * demod_coefficients(weight, styles).to(y.dtype)[:, :, None, None]
        return y
    n, c_in, h, w = x.shape
    per_image = weight[None] * styles[:, None, :, None, None].to(weight.dtype)  # [N, C_out, C_in, k, k]
    if demodulate:
        per_image = per_image * demod_coefficients(weight, styles)[:, :, None, None, None].to(weight.dtype)
    per_image = per_image.reshape(-1, c_in, *weight.shape[2:])
    y = F.conv2d(x.reshape(1, n * c_in, h, w), per_image.to(x.dtype), padding=conv.padding, groups=n)
    return y.reshape(n, -1, h, w)


class StyleConv(nn.Module):
    """Modulated 3x3 conv, then per-pixel noise with a learned strength, a bias and leaky ReLU."""

    def __init__(self, c_in: int, c_out: int, w_dim: int, resolution: int, up: bool = False):
        super().__init__()
        self.up = up  # 2x bilinear (the [1, 3, 3, 1] filter) before the conv
        self.affine = EqualLinear(w_dim, c_in, bias_init=1.0)  # styles start at 1: the plain conv
        self.conv = EqualConv2d(c_in, c_out, 3, bias=False)
        self.bias = nn.Parameter(torch.zeros(c_out))
        self.noise_strength = nn.Parameter(torch.zeros([]))
        # Sampling uses this fixed map ('const'), so the same latent always gives the same image.
        self.register_buffer("noise_const", torch.randn(1, 1, resolution, resolution))

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise: str) -> torch.Tensor:
        if self.up:
            x = upsample(x)
        y = modulated_conv(self.conv, x, self.affine(w))
        if noise == "random":  # from the global RNG, which checkpoints carry
            y = y + torch.randn(len(y), 1, *y.shape[2:], device=y.device, dtype=y.dtype) * self.noise_strength
        elif noise == "const":
            y = y + (self.noise_const * self.noise_strength).to(y.dtype)
        elif noise != "none":
            raise ValueError(f"noise must be 'random', 'const' or 'none', got {noise!r}")
        return F.leaky_relu(y + self.bias.to(y.dtype)[:, None, None], 0.2) * 2 ** 0.5


class ToRGB(nn.Module):
    """Modulated 1x1 conv to image channels, without demodulation (the colours keep their scale)."""

    def __init__(self, c_in: int, channels: int, w_dim: int):
        super().__init__()
        self.affine = EqualLinear(w_dim, c_in, bias_init=1.0)
        self.conv = EqualConv2d(c_in, channels, 1, bias=True)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return modulated_conv(self.conv, x, self.affine(w), demodulate=False, form="scaled")
