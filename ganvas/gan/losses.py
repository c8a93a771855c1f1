"""The GAN losses on D's raw logits. D learns reals as 1 and fakes as 0; G aims for 1."""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F

LOSSES = ("ns", "minimax", "hinge", "ls", "rpgan")
# Losses whose G term compares each fake with a real (the relativistic pairing GAN of Jolicoeur-Martineau,
# as R3GAN uses it); their callers must pass D's logits on reals to g_loss too.
PAIRED = ("rpgan",)


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
    raise ValueError(f"unknown loss {kind!r}; choose one of {', '.join(LOSSES)}")


def g_loss(fake: torch.Tensor, kind: str = "ns", real: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Generator loss on D's logits for generated images (and for reals, with a paired loss)."""
    fake = fake.float()
    if kind == "rpgan":
        if real is None:
            raise ValueError("the rpgan loss pairs each fake with a real: pass D's logits on reals")
        return F.softplus(-(fake - real.float())).mean()
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
