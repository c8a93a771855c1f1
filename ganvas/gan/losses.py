"""The GAN losses on D's raw logits. D learns reals as 1 and fakes as 0; G aims for 1."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F

LOSSES = ("ns", "minimax", "hinge", "ls", "rpgan", "rahinge")
# Losses whose G term compares fakes with reals, so callers must pass D's logits on reals to g_loss too:
# the relativistic pairing GAN (Jolicoeur-Martineau, as R3GAN uses it) and the relativistic average
# hinge (BMSG-GAN's default).
PAIRED = ("rpgan", "rahinge")
# Losses whose gradient penalty is R1 on reals plus R2 on fakes (R3GAN's recipe), not R1 alone.
TWO_SIDED_PENALTY = ("rpgan",)


def d_loss(real: torch.Tensor, fake: torch.Tensor, kind: str = "ns", smoothing: float = 0.0) -> torch.Tensor:
    """Discriminator loss. `smoothing` is one-sided: only the real target moves, to 1 - smoothing."""
    real, fake = real.float(), fake.float()
    target = 1.0 - smoothing
    if kind in ("ns", "minimax"):
        return (F.binary_cross_entropy_with_logits(real, torch.full_like(real, target))
                + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))
    if kind == "hinge":
        return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()
    if kind == "ls":
        return 0.5 * ((real - target).pow(2).mean() + fake.pow(2).mean())
    if kind == "rpgan":
        return F.softplus(-(real - fake)).mean()
    if kind == "rahinge":  # each side judged against the other side's mean
        return F.relu(1.0 - (real - fake.mean())).mean() + F.relu(1.0 + (fake - real.mean())).mean()
    raise ValueError(f"unknown loss {kind!r}; choose one of {', '.join(LOSSES)}")


def g_loss(fake: torch.Tensor, kind: str = "ns", real: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Generator loss on D's logits for generated images (and for reals, with a paired loss)."""
    fake = fake.float()
    if kind in PAIRED:
        if real is None:
            raise ValueError(f"the {kind} loss compares fakes with reals: pass D's logits on reals")
        real = real.float()
        if kind == "rpgan":
            return F.softplus(-(fake - real)).mean()
        return F.relu(1.0 + (real - fake.mean())).mean() + F.relu(1.0 - (fake - real.mean())).mean()
    if kind == "ns":
        return F.softplus(-fake).mean()
    if kind == "minimax":
        # The original objective, minimise log(1 - D(G(z))): it saturates when D wins, as the lesson warns.
        return -F.softplus(fake).mean()
    if kind == "hinge":
        return -fake.mean()
    if kind == "ls":
        return 0.5 * (fake - 1.0).pow(2).mean()
    raise ValueError(f"unknown loss {kind!r}; choose one of {', '.join(LOSSES)}")
