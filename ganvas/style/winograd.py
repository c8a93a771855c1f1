"""Winograd F(m x m, 3 x 3) convolution for the frozen 3x3 kernels of the feature network.

Each m x m block of output comes from an (m+2) x (m+2) tile of input through (m+2)^2 channel products
instead of 9 m^2: 4 per output pixel at m = 2, 2.8 at m = 3, 2.25 at m = 4, against 9 for the direct
convolution. Larger tiles amplify bf16 rounding. On VGG19 features of a photo, relative error of a
layer's output / image gradient: direct bf16 0.2% / 0.3%, m = 2 0.3% / 0.55%, m = 3 0.4% / 1.1%,
m = 4 0.8% / 3.2%. m = 3 is the default: per step, its loss curve stays within ~1.5% of m = 2's
while m = 4 ends ~10% higher. The kernels never change, so their transform is computed once; the
image gradient is the same algorithm run with the flipped, transposed kernels.

The tile transforms are memory-bound: in bf16 on the CPU they run as one C pass each way
(winograd_tiles.c), a few rows of tiles at a time; the PyTorch version is the reference and the fallback.
"""
from __future__ import annotations

import ctypes
import functools
import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .. import native

# Narrowest layers (input channels) where tiles beat the direct bf16 convolution on the CPU: with the C
# transforms every VGG layer but the first; the PyTorch ones need several times the memory traffic.
MIN_CHANNELS_NATIVE, MIN_CHANNELS_TORCH = 64, 256
# The interpolation points of each tile size, besides infinity; small integers keep the transforms
# exact in fp32 and their error growth low.
_POINTS = {2: (0, 1, -1), 3: (0, 1, -1, -2), 4: (0, 1, -1, 2, -2)}
TILE_SIZES = tuple(_POINTS)
TILE = 3
_SOURCE = Path(__file__).with_name("winograd_tiles.c")


@functools.cache
def transforms(m: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(B^T [n, n], G [n, 3], A^T [m, n]) in float64 for F(m, 3), n = m + 2 (Toom-Cook construction)."""
    points, n = _POINTS[m], m + 2
    bt = torch.zeros(n, n, dtype=torch.float64)
    g = torch.zeros(n, 3, dtype=torch.float64)
    at = torch.zeros(m, n, dtype=torch.float64)
    for i, a in enumerate(points):
        others = [p for p in points if p != a]
        bt[i, : n - 1] = torch.tensor(_poly_from_roots(others), dtype=torch.float64)
        g[i] = torch.tensor([a ** k for k in range(3)], dtype=torch.float64) / math.prod(a - p for p in others)
        at[:, i] = torch.tensor([a ** j for j in range(m)], dtype=torch.float64)
    bt[n - 1] = torch.tensor(_poly_from_roots(points), dtype=torch.float64)
    g[n - 1, 2] = at[m - 1, n - 1] = 1.0
    return bt, g, at


def _poly_from_roots(roots) -> list[float]:
    """Coefficients, lowest power first, of the product of (x - root)."""
    coefficients = [1.0]
    for root in roots:
        shifted = [0.0] + coefficients
        coefficients = [s - root * c for s, c in zip(shifted, coefficients + [0.0])]
    return coefficients


def transform_kernels(weight: torch.Tensor, m: int = TILE) -> torch.Tensor:
    """[C_out, C_in, 3, 3] -> [n * n, C_in, C_out]: G w G^T per kernel, ready for a batched matmul."""
    g = transforms(m)[1].to(weight.device)
    u = torch.einsum("ak,oikl,bl->abio", g, weight.double(), g)
    return u.reshape((m + 2) ** 2, weight.shape[1], weight.shape[0])


def _tile_of(kernels: torch.Tensor) -> int:
    return math.isqrt(kernels.shape[0]) - 2


def winograd_conv3x3(x: torch.Tensor, kernels: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """A stride-1, padding-1 3x3 convolution of x with pre-transformed `kernels` ([n * n, C_in, C_out])."""
    x, m = x.to(kernels.dtype), _tile_of(kernels)
    if kernels.dtype == torch.bfloat16 and x.device.type == "cpu" and _kernels() is not None:
        return _native_conv3x3(x, kernels, bias, m)
    tiles, grid = _input_tiles(x, m)
    image = _output_image(torch.bmm(tiles, kernels), grid, m, x.shape[2], x.shape[3])
    if bias is not None:
        image += bias.view(1, -1, 1, 1)
    return image


def min_channels() -> int:
    """The narrowest layer (input channels) worth computing with Winograd tiles on this machine."""
    return MIN_CHANNELS_NATIVE if _kernels() is not None else MIN_CHANNELS_TORCH


def kernels_need_building() -> bool:
    """True before the first tiled run on a machine, which pauses a few seconds to compile the transforms."""
    return native.needs_build(_SOURCE)


def _kernels() -> ctypes.CDLL | None:
    library = native.load(_SOURCE)
    if library is not None and library.winograd_input_tiles.argtypes is None:
        library.winograd_input_tiles.argtypes = [ctypes.c_void_p] * 2 + [ctypes.c_long] * 7
        library.winograd_output_image.argtypes = [ctypes.c_void_p] * 3 + [ctypes.c_long] * 7
    return library


# Tiles and products go through buffers of at most this many bytes, a few rows of tiles at a time:
# large enough for full-speed matmuls, small enough that a 2048-px image adds no gigabytes.
_CHUNK_BYTES = 16 << 20


def _native_conv3x3(x: torch.Tensor, kernels: torch.Tensor, bias: torch.Tensor | None, m: int) -> torch.Tensor:
    library, threads, entries = _kernels(), torch.get_num_threads(), (m + 2) ** 2
    n, c, h, w = x.shape
    c_out, tile_rows, tile_cols = kernels.shape[-1], n * -(-h // m), -(-w // m)
    pixels = x.permute(0, 2, 3, 1).contiguous()
    image = torch.empty((n, c_out, h, w), dtype=x.dtype, memory_format=torch.channels_last)
    # Held in a name, not just as a pointer, so that a converted copy outlives the C calls.
    bias = None if bias is None else bias.to(x.dtype).contiguous()
    bias_ptr = None if bias is None else bias.data_ptr()
    chunk = max(1, min(tile_rows, _CHUNK_BYTES // (entries * tile_cols * max(c, c_out) * x.element_size())))
    tile_buffer = x.new_empty(entries * chunk * tile_cols * c)
    product_buffer = x.new_empty(entries * chunk * tile_cols * c_out)
    for first in range(0, tile_rows, chunk):
        rows = min(chunk, tile_rows - first)
        count = rows * tile_cols
        tiles = tile_buffer[:entries * count * c].view(entries, count, c)
        products = product_buffer[:entries * count * c_out].view(entries, count, c_out)
        failed = library.winograd_input_tiles(pixels.data_ptr(), tiles.data_ptr(), m, h, w, c, first, rows, threads)
        torch.bmm(tiles, kernels, out=products)
        failed |= library.winograd_output_image(products.data_ptr(), image.data_ptr(), bias_ptr, m, h, w, c_out,
                                                first, rows, threads)
        if failed:
            raise ValueError(f"winograd_tiles.c has no F({m}x{m}, 3x3) transforms")
    return image


def _input_tiles(x: torch.Tensor, m: int) -> tuple[torch.Tensor, tuple[int, int, int]]:
    """[N, C, H, W] -> B^T d B for every (m+2)^2 tile at stride m, as [(m+2)^2, tiles, C] (PyTorch path)."""
    n, c, h, w = x.shape
    th, tw = -(-h // m), -(-w // m)
    padded = F.pad(x.permute(0, 2, 3, 1), (0, 0, 1, m * tw + 1 - w, 1, m * th + 1 - h))
    windows = padded.unfold(1, m + 2, m).unfold(2, m + 2, m)  # [N, TH, TW, C, n, n]
    bt = transforms(m)[0].to(x.device, x.dtype)
    tiles = torch.einsum("ar,ijkcrs,bs->abijkc", bt, windows, bt)
    return tiles.reshape((m + 2) ** 2, n * th * tw, c), (n, th, tw)


def _output_image(products: torch.Tensor, grid: tuple[int, int, int], m: int, h: int, w: int) -> torch.Tensor:
    """A^T M A for every tile: [(m+2)^2, tiles, C_out] -> [N, C_out, H, W] (channels_last; PyTorch path)."""
    n, th, tw = grid
    at = transforms(m)[2].to(products.device, products.dtype)
    tiles = products.view(m + 2, m + 2, n, th, tw, -1)
    blocks = torch.einsum("pa,abijkc,qb->ijpkqc", at, tiles, at)  # [N, TH, m, TW, m, C]
    image = blocks.reshape(n, th * m, tw * m, -1)[:, :h, :w].permute(0, 3, 1, 2)
    # A fresh tensor, not a view: the ReLU that follows works in place.
    return image.clone(memory_format=torch.channels_last)


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
    """A frozen 3x3, stride-1, padding-1 convolution computed with F(m x m, 3x3) tiles in `dtype`."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor, dtype: torch.dtype = torch.bfloat16, m: int = TILE):
        super().__init__()
        self.in_channels, self.out_channels, self.m = weight.shape[1], weight.shape[0], m
        self.register_buffer("forward_kernels", transform_kernels(weight, m).to(dtype))
        adjoint = weight.flip(2, 3).transpose(0, 1)
        self.register_buffer("backward_kernels", transform_kernels(adjoint, m).to(dtype))
        self.register_buffer("bias", bias.detach().to(dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _FrozenWinograd.apply(x, self.forward_kernels, self.backward_kernels, self.bias)
