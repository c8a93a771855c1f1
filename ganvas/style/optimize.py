"""Optimise one image at one scale: L-BFGS (one evaluation per step) or Adam, kept inside 0..255.

The iterate is projected back onto the valid pixel range after every step, so the image that is
optimised is the image that is saved; clamping only at save time would throw away much of the style.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import torch

from ..device import autocast
from .losses import Targets, Weights, objective
from .vgg import VGGFeatures

StepHook = Callable[[int, dict[str, float], torch.Tensor], None]


@dataclass
class Plan:
    optimizer: str = "lbfgs"
    steps: int = 300
    lr: Optional[float] = None
    history_size: int = 10
    bf16: bool = False


def evaluate(net: VGGFeatures, image: torch.Tensor, targets: Targets, weights: Weights,
             bf16: bool) -> dict[str, torch.Tensor]:
    with autocast(image.device, bf16):
        features = net(image)
    return objective(features, image, targets, weights)


def make_optimizer(image: torch.Tensor, plan: Plan) -> torch.optim.Optimizer:
    if plan.optimizer == "lbfgs":
        return torch.optim.LBFGS([image], lr=plan.lr or 1.0, max_iter=1, history_size=plan.history_size,
                                 tolerance_grad=0.0, tolerance_change=0.0)
    return torch.optim.Adam([image], lr=plan.lr or 2.0)


def optimise(net: VGGFeatures, start: torch.Tensor, targets: Targets, weights: Weights, plan: Plan,
             on_step: StepHook, should_stop: Optional[Callable[[], bool]] = None) -> torch.Tensor:
    """Run `plan.steps` steps from `start`; `on_step(step, loss parts, image)` sees every step.

    `should_stop`, polled after every step, ends the run early with the image as it stands.
    """
    image = start.detach().clone().contiguous().requires_grad_(True)
    optimizer = make_optimizer(image, plan)
    last: dict[str, torch.Tensor] = {}

    def closure() -> torch.Tensor:
        optimizer.zero_grad(set_to_none=True)
        parts = evaluate(net, image, targets, weights, plan.bf16)
        parts["loss"].backward()
        last.clear()
        last.update({k: v.detach() for k, v in parts.items()})
        return parts["loss"]

    for step in range(1, plan.steps + 1):
        optimizer.step(closure)
        with torch.no_grad():
            image.clamp_(0.0, 255.0)
        on_step(step, {k: float(v) for k, v in last.items()}, image)
        if should_stop is not None and should_stop():
            break
    return image.detach()
