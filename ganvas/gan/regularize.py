"""Gradient penalties on D: R1 on reals (Mescheder et al. 2018) and R2, its twin on fakes.

Both penalise the squared norm of D's gradient with respect to its input, which keeps D from
sharpening around the few images of a small dataset and makes the non-saturating game converge
locally. The penalty needs a second backward pass through D, so trainers usually apply it lazily,
every k steps with k times the weight (StyleGAN2's lazy regularisation).
"""
from __future__ import annotations

from typing import Callable, Optional

import torch


def gradient_penalty(D: torch.nn.Module, images: torch.Tensor, labels: Optional[torch.Tensor],
                     transform: Callable[[torch.Tensor], torch.Tensor], autocast: Callable) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean over the batch of ||d D(transform(x)) / d x||^2, D's logits on those images).

    `transform` is the augmentation D sees, so the penalty is taken where D actually looks, as ADA does.
    """
    x = images.detach().requires_grad_(True)
    with autocast():
        logits = D(transform(x), labels)
    (grad,) = torch.autograd.grad(logits.float().sum(), x, create_graph=True)
    return grad.float().square().sum(dim=[1, 2, 3]).mean(), logits
