"""The whole training state as checkpoint tensors + JSON, and back: exact resume depends on this."""
from __future__ import annotations

from typing import Any, Optional

import torch

from .. import checkpoint as ckpt
from .ema import EMA
from .step import Nets


def capture(nets: Nets, ema: Optional[EMA], step: int, info: dict[str, Any]) -> tuple[dict, dict]:
    tensors = {**ckpt.module_tensors("G", nets.G), **ckpt.module_tensors("D", nets.D)}
    if ema is not None:
        tensors.update(ckpt.module_tensors("ema", ema.model))
    opt_g, opt_g_info = ckpt.flatten_optimizer("opt_g", nets.opt_g.state_dict())
    opt_d, opt_d_info = ckpt.flatten_optimizer("opt_d", nets.opt_d.state_dict())
    tensors.update(opt_g)
    tensors.update(opt_d)
    tensors["rng.cpu"] = torch.get_rng_state()
    if torch.cuda.is_available():
        for i, state in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng.cuda{i}"] = state
    return tensors, dict(info, step=step, opt_g=opt_g_info, opt_d=opt_d_info)


def restore(nets: Nets, ema: Optional[EMA], tensors: dict, info: dict) -> int:
    """Load a checkpoint into live objects; returns its step."""
    nets.G.load_state_dict(ckpt.module_state("G", tensors))
    nets.D.load_state_dict(ckpt.module_state("D", tensors))
    if ema is not None:
        ema.model.load_state_dict(ckpt.module_state("ema", tensors))
    nets.opt_g.load_state_dict(ckpt.unflatten_optimizer("opt_g", tensors, info["opt_g"]))
    nets.opt_d.load_state_dict(ckpt.unflatten_optimizer("opt_d", tensors, info["opt_d"]))
    torch.set_rng_state(tensors["rng.cpu"])
    cuda_states = [tensors[k] for k in sorted(tensors) if k.startswith("rng.cuda")]
    if cuda_states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda_states[: torch.cuda.device_count()])
    return int(info["step"])


def scale_lr(optimizer: torch.optim.Optimizer, factor: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] *= factor


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


def current_lr(optimizer: torch.optim.Optimizer) -> float:
    return float(optimizer.param_groups[0]["lr"])
