"""Pieces shared by every architecture: optional spectral norm, class conditioning, DCGAN init."""
from __future__ import annotations

from typing import Optional

import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

# One-hot labels carry all a class can say; a learned embedding of that size (capped for huge label sets)
# is the same information in a form G can reshape.
MAX_LABEL_DIM = 64

RESOLUTIONS = (16, 32, 64, 128, 256)


def check_resolution(resolution: int) -> None:
    if resolution not in RESOLUTIONS:
        raise ValueError(f"resolution must be one of {', '.join(map(str, RESOLUTIONS))}, got {resolution}")


def label_dim(num_classes: int) -> int:
    return min(num_classes, MAX_LABEL_DIM)


def maybe_spectral_norm(module: nn.Module, enabled: bool) -> nn.Module:
    return _spectral_norm(module) if enabled else module


class LabelConcat(nn.Module):
    """Conditional G input: z joined with a learned class embedding (Mirza & Osindero's cGAN)."""

    def __init__(self, num_classes: int):
        super().__init__()
        self.num_classes = num_classes
        self.embed = nn.Embedding(num_classes, label_dim(num_classes)) if num_classes > 0 else None

    @property
    def extra_dim(self) -> int:
        return self.embed.embedding_dim if self.embed is not None else 0

    def forward(self, z: torch.Tensor, labels: Optional[torch.Tensor]) -> torch.Tensor:
        if self.embed is None:
            return z
        check_labels(labels, self.num_classes, z.shape[0])
        return torch.cat([z, self.embed(labels).to(z.dtype)], dim=1)


class ProjectionHead(nn.Module):
    """D's output: a linear logit plus, when conditional, <class embedding, features>.

    This is the projection discriminator (Miyato & Koyama, 2018): the class enters as an inner product
    with D's pooled features rather than as extra input channels.
    """

    def __init__(self, features: int, num_classes: int, spectral_norm: bool, linear: Optional[nn.Module] = None):
        super().__init__()
        self.num_classes = num_classes
        self.linear = linear if linear is not None else maybe_spectral_norm(nn.Linear(features, 1), spectral_norm)
        self.embed = None
        if num_classes > 0:
            self.embed = maybe_spectral_norm(nn.Embedding(num_classes, features), spectral_norm)

    def forward(self, logit_input: torch.Tensor, pooled: torch.Tensor, labels: Optional[torch.Tensor]) -> torch.Tensor:
        logit = self.linear(logit_input).flatten(1).sum(1)
        if self.embed is None:
            return logit
        check_labels(labels, self.num_classes, pooled.shape[0])
        return logit + (self.embed(labels).to(pooled.dtype) * pooled).sum(1)


def check_labels(labels: Optional[torch.Tensor], num_classes: int, n) -> None:
    # Callers pass `x.shape[0]`, not `len(x)`: len() must return a Python int, which pins an exported
    # graph's batch size to the example's.
    if labels is None:
        raise ValueError(f"this network is conditional on {num_classes} classes: pass labels")
    if labels.shape != (n,):
        raise ValueError(f"labels must have shape [{n}], got {list(labels.shape)}")


def _weight_of(module: nn.Module) -> torch.Tensor:
    # A spectrally normalised layer computes `weight` on the fly; the stored tensor is `original`.
    if parametrize.is_parametrized(module, "weight"):
        return module.parametrizations.weight.original
    return module.weight


@torch.no_grad()
def init_weights(module: nn.Module) -> None:
    """DCGAN initialisation (Radford et al.): conv/linear weights N(0, 0.02), BN scale N(1, 0.02), biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)):
            nn.init.normal_(_weight_of(m), 0.0, 0.02)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
    for m in module.modules():
        if isinstance(m, LabelConcat) and m.embed is not None:
            # G's class code sits beside z ~ N(0, 1); at 0.02 scale G would start out ignoring it.
            nn.init.normal_(m.embed.weight, 0.0, 1.0)
