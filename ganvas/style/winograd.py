"""Winograd F(2x2, 3x3) convolution for the frozen 3x3 kernels of the feature network.

Each 2x2 block of output comes from a 4x4 tile of input through 16 channel products instead of 36,
so the wide, deep VGG layers (most of a style step's arithmetic) need 2.25x fewer multiplications.
The kernels never change, so their transform is computed once; the image gradient is the same
algorithm run with the flipped, transposed kernels. Narrow layers keep the direct convolution,
where the tile transforms would cost more memory traffic than the products save.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# Below this many input channels the direct convolution was faster on every CPU layer measured.
MIN_CHANNELS = 256

_KERNEL_TRANSFORM = torch.tensor([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])


def transform_kernels(weight: torch.Tensor) -> torch.Tensor:
    """[C_out, C_in, 3, 3] -> [16, C_in, C_out]: G w G^T per kernel, ready for a batched matmul."""
    g = _KERNEL_TRANSFORM.to(weight.device, torch.float64)
    u = torch.einsum("ak,oikl,bl->abio", g, weight.double(), g)
    return u.reshape(16, weight.shape[1], weight.shape[0])


def _input_tiles(x: torch.Tensor) -> tuple[torch.Tensor, tuple[int, int, int]]:
    """[N, C, H, W] -> B^T d B for every 4x4 tile at stride 2, as [16, tiles, C]."""
    n, c, h, w = x.shape
    th, tw = (h + 1) // 2, (w + 1) // 2
    padded = F.pad(x.permute(0, 2, 3, 1), (0, 0, 1, 2 * tw + 1 - w, 1, 2 * th + 1 - h))
    rows = [padded[:, k:k + 2 * th:2] for k in range(4)]
    rows = [rows[0] - rows[2], rows[1] + rows[2], rows[2] - rows[1], rows[1] - rows[3]]
    tiles = x.new_empty((16, n * th * tw, c))
    for a, row in enumerate(rows):
        d = [row[:, :, k:k + 2 * tw:2] for k in range(4)]
        out = tiles[4 * a:4 * a + 4].view(4, n, th, tw, c)
        torch.sub(d[0], d[2], out=out[0])
        torch.add(d[1], d[2], out=out[1])
        torch.sub(d[2], d[1], out=out[2])
        torch.sub(d[1], d[3], out=out[3])
    return tiles, (n, th, tw)


def _output_blocks(products: torch.Tensor, grid: tuple[int, int, int], h: int, w: int) -> torch.Tensor:
    """A^T m A for every tile: [16, tiles, C_out] -> [N, C_out, H, W] (channels_last)."""
    n, th, tw = grid
    m = products.view(4, 4, n, th, tw, -1)
    first, second = m[0] + m[1] + m[2], m[1] - m[2] - m[3]
    image = torch.empty((n, products.shape[-1], 2 * th, 2 * tw), dtype=products.dtype,
                        device=products.device, memory_format=torch.channels_last)
    blocks = image.permute(0, 2, 3, 1).view(n, th, 2, tw, 2, -1)
    for i, s in enumerate((first, second)):
        torch.add(s[0] + s[1], s[2], out=blocks[:, :, i, :, 0])
        torch.sub(s[1] - s[2], s[3], out=blocks[:, :, i, :, 1])
    if (2 * th, 2 * tw) == (h, w):
        return image
    # A fresh tensor, not a view: the ReLU that follows works in place.
    return image[:, :, :h, :w].clone(memory_format=torch.channels_last)


def winograd_conv3x3(x: torch.Tensor, kernels: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """A stride-1, padding-1 3x3 convolution of x with pre-transformed `kernels` ([16, C_in, C_out])."""
    tiles, grid = _input_tiles(x.to(kernels.dtype))
    products = torch.bmm(tiles, kernels)
    if bias is not None:
        # Entry (1, 1) of each tile reaches all four outputs with coefficient 1: the bias goes in once.
        products[5] += bias
    return _output_blocks(products, grid, x.shape[2], x.shape[3])


class _FrozenWinograd(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, forward_kernels, backward_kernels, bias):
        ctx.backward_kernels = backward_kernels
        ctx.input_dtype = x.dtype
        return winograd_conv3x3(x, forward_kernels, bias)

    @staticmethod
    def backward(ctx, grad):
        return winograd_conv3x3(grad, ctx.backward_kernels).to(ctx.input_dtype), None, None, None


class WinogradConv3x3(nn.Module):
    """A frozen 3x3, stride-1, padding-1 convolution computed with Winograd tiles in `dtype`."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor, dtype: torch.dtype = torch.bfloat16):
        super().__init__()
        self.in_channels, self.out_channels = weight.shape[1], weight.shape[0]
        self.register_buffer("forward_kernels", transform_kernels(weight).to(dtype))
        adjoint = weight.flip(2, 3).transpose(0, 1)
        self.register_buffer("backward_kernels", transform_kernels(adjoint).to(dtype))
        self.register_buffer("bias", bias.detach().to(dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _FrozenWinograd.apply(x, self.forward_kernels, self.backward_kernels, self.bias)
