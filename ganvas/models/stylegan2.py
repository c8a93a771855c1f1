"""A StyleGAN2 generator (Karras et al., 2020) narrow enough for a CPU, with its residual D.

Mapping: z normalised to unit mean square (and, when conditional, a normalised class embedding beside
it), then `mapping_layers` dense layers at 1/100 of the learning rate; the average w is tracked for
truncation. Synthesis: a learned 4x4 constant; at every resolution modulated 3x3 convs with weight
demodulation and per-pixel noise; a to-RGB at each resolution whose images are upsampled and summed
(the 'skip' generator). Channels follow `blocks.channel_plan`: `width` next to the image, doubling per
halving, capped at `max_channels`. Each modulated layer reads its own w, so style mixing and truncation
work per layer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
from torch import nn

from .blocks import EqualLinear, channel_plan, lrelu, pixel_norm, start_generator, upsample
from .layers import check_labels, label_dim
from .modconv import StyleConv, ToRGB
from .residual_d import ResidualDiscriminator
from .spec import ModelSpec, options_of

W_AVG_BETA = 0.995
COARSE_UP_TO = 8  # style mixing grids take the layers up to 8x8 from the second image: pose and shape


@dataclass(frozen=True)
class Options:
    width: int = 32             # channels next to the image
    max_channels: int = 256     # cap as resolution halves
    w_dim: int = 128            # size of w and of the mapping network's layers
    mapping_layers: int = 2     # StyleGAN2-ADA's --cfg=auto uses 2; the paper 8
    mbstd_group: int = 4        # D's minibatch-stddev group
    spectral_norm: bool = False  # on D's layers (replaces equalised LR there)


class Mapping(nn.Module):
    def __init__(self, z_dim: int, w_dim: int, num_classes: int, layers: int, lr_mul: float = 0.01):
        super().__init__()
        self.num_classes = num_classes
        self.embed = nn.Embedding(num_classes, label_dim(num_classes)) if num_classes else None
        if self.embed is not None:
            nn.init.normal_(self.embed.weight)
        sizes = [z_dim + (label_dim(num_classes) if num_classes else 0)] + [w_dim] * layers
        self.fcs = nn.ModuleList(EqualLinear(a, b, lr_mul=lr_mul) for a, b in zip(sizes, sizes[1:]))
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def forward(self, z: torch.Tensor, labels: Optional[torch.Tensor] = None, *, track: bool = False) -> torch.Tensor:
        x = pixel_norm(z)
        if self.embed is not None:
            check_labels(labels, self.num_classes, z.shape[0])
            x = torch.cat([x, pixel_norm(self.embed(labels).to(x.dtype))], dim=1)
        for fc in self.fcs:
            x = lrelu(fc(x))
        if track:  # only the training step's draws move the average, never a sample or a regulariser
            with torch.no_grad():
                self.w_avg.copy_(x.detach().float().mean(0).lerp(self.w_avg, W_AVG_BETA))
        return x


class Synthesis(nn.Module):
    def __init__(self, resolution: int, channels: int, w_dim: int, plan: dict[int, int]):
        super().__init__()
        self.const = nn.Parameter(torch.randn(plan[4], 4, 4))
        self.blocks, self.to_rgbs = nn.ModuleList(), nn.ModuleList()
        self.layer_resolution: list[int] = []  # the resolution each w index drives
        for size in plan:
            if size == 4:
                convs = [StyleConv(plan[4], plan[4], w_dim, 4)]
            else:  # the first conv of a block works at the new, doubled size
                convs = [StyleConv(plan[size // 2], plan[size], w_dim, size, up=True),
                         StyleConv(plan[size], plan[size], w_dim, size)]
            self.blocks.append(nn.ModuleList(convs))
            self.to_rgbs.append(ToRGB(plan[size], channels, w_dim))
            self.layer_resolution += [size] * (len(convs) + 1)

    @property
    def num_ws(self) -> int:
        return len(self.layer_resolution)

    def forward(self, ws: torch.Tensor, noise: str) -> torch.Tensor:
        x = self.const[None].expand(ws.shape[0], -1, -1, -1).to(ws.dtype)  # shape[0], not len(): traces any batch
        image, index = None, 0
        for convs, to_rgb in zip(self.blocks, self.to_rgbs):
            for conv in convs:
                x = conv(x, ws[:, index], noise)
                index += 1
            rgb = to_rgb(x, ws[:, index])
            index += 1
            image = rgb if image is None else upsample(image) + rgb
        return image


class Generator(nn.Module):
    def __init__(self, spec: ModelSpec, o: Options):
        super().__init__()
        plan = start_generator(self, spec, o.width, o.max_channels)
        self.mapping = Mapping(spec.z_dim, o.w_dim, spec.num_classes, o.mapping_layers)
        self.synthesis = Synthesis(spec.resolution, spec.channels, o.w_dim, plan)

    @property
    def num_ws(self) -> int:
        return self.synthesis.num_ws

    def per_layer(self, ws: torch.Tensor) -> torch.Tensor:
        """[N, w_dim] (one w for all layers) or [N, num_ws, w_dim] -> [N, num_ws, w_dim]."""
        return ws[:, None].expand(-1, self.num_ws, -1) if ws.dim() == 2 else ws

    def truncate(self, ws: torch.Tensor, psi: float) -> torch.Tensor:
        """The truncation trick in W: w_avg + psi (w - w_avg); psi 0 is the average image."""
        w_avg = self.mapping.w_avg.to(ws.dtype)
        return w_avg + psi * (ws - w_avg)

    def forward(self, z: torch.Tensor, labels: Optional[torch.Tensor] = None, truncation: Optional[float] = None,
                noise: Optional[str] = None, latent: str = "z") -> torch.Tensor:
        """Images from latents z ([N, z_dim]), or from w (`latent="w"`: [N, w_dim] or [N, num_ws, w_dim]).

        `noise` is 'random', 'const' or 'none'; by default random while training, 'const' otherwise,
        so a sample depends on its latent alone. Outside training the image is clamped to [-1, 1].
        """
        ws = self.mapping(z, labels) if latent == "z" else z
        ws = self.per_layer(ws)
        if truncation is not None:
            ws = self.truncate(ws, truncation)
        image = self.synthesis(ws, noise or ("random" if self.training else "const"))
        return image if self.training else image.clamp(-1.0, 1.0)


def generator(spec: ModelSpec) -> Generator:
    return Generator(spec, options_of(Options, spec))


def discriminator(spec: ModelSpec) -> ResidualDiscriminator:
    o = options_of(Options, spec)
    return ResidualDiscriminator(spec, channel_plan(spec.resolution, o.width, o.max_channels),
                                 mbstd_group=o.mbstd_group, spectral_norm=o.spectral_norm)
