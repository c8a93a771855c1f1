"""Gradient penalties on D: R1 on reals (Mescheder et al. 2018) and R2, its twin on fakes.

Both penalise the squared norm of D's gradient with respect to its input, which keeps D from
sharpening around the few images of a small dataset and makes the non-saturating game converge
locally. The penalty needs a second backward pass through D, so trainers usually apply it lazily,
every k steps with k times the weight (StyleGAN2's lazy regularisation).
"""
from __future__ import annotations

from typing import Callable, Optional

import torch


def gradient_penalty(D: torch.nn.Module, images, labels: Optional[torch.Tensor],
                     transform: Callable, autocast: Callable) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean over the batch of ||d D(transform(x)) / d x||^2, D's logits on those images).

    `transform` is the augmentation D sees, so the penalty is taken where D actually looks, as ADA does.
    `images` may be a list (MSG-GAN's pyramid): the gradient is then taken with respect to every scale
    D is shown, and the squared norms add up.
    """
    pyramid = not torch.is_tensor(images)
    inputs = [x.detach().requires_grad_(True) for x in (images if pyramid else [images])]
    with autocast():
        logits = D(transform(inputs if pyramid else inputs[0]), labels)
    grads = torch.autograd.grad(logits.float().sum(), inputs, create_graph=True)
    return sum(g.float().square().sum(dim=[1, 2, 3]) for g in grads).mean(), logits
