"""One training step of the lesson's loop: D learns reals vs fakes, then G learns through a frozen D."""
from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Optional

import torch

from .losses import d_loss, g_loss


@dataclass
class Nets:
    G: torch.nn.Module
    D: torch.nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer


def set_frozen(module: torch.nn.Module, frozen: bool) -> None:
    # Switching requires_grad (not just leaving D out of G's optimiser) means no gradient is even
    # computed for D's weights during G's step, so nothing leaks into D's next update.
    for p in module.parameters():
        p.requires_grad_(not frozen)


def grad_norm(module: torch.nn.Module) -> torch.Tensor:
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    if not grads:
        return torch.zeros(())
    return torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))


def train_step(nets: Nets, real: torch.Tensor, real_labels: Optional[torch.Tensor], z: torch.Tensor,
               fake_labels: Optional[torch.Tensor], *, loss: str, smoothing: float, skip_d: bool,
               autocast: AbstractContextManager) -> dict[str, torch.Tensor]:
    """Run one D step (unless skipped) and one G step; return detached statistics, no host sync."""
    G, D = nets.G, nets.D
    with autocast:
        fake = G(z, fake_labels)
    with torch.set_grad_enabled(not skip_d), autocast:
        real_logits = D(real, real_labels)
        fake_logits = D(fake.detach(), fake_labels)
    loss_d = d_loss(real_logits, fake_logits, loss, smoothing)
    if not skip_d:
        nets.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        nets.opt_d.step()

    set_frozen(D, True)
    try:
        with autocast:
            gen_logits = D(fake, fake_labels)
        loss_g = g_loss(gen_logits, loss)
        nets.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        g_norm = grad_norm(G)
        nets.opt_g.step()
    finally:
        set_frozen(D, False)
    return {
        "d_loss": loss_d.detach(),
        "g_loss": loss_g.detach(),
        "d_real": torch.sigmoid(real_logits.detach().float()).mean(),
        "d_fake": torch.sigmoid(fake_logits.detach().float()).mean(),
        "g_grad_norm": g_norm.detach(),
    }
