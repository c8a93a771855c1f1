"""Build the loop's working parts from a config and a prepared dataset."""
from __future__ import annotations

import functools
import math
from pathlib import Path

import torch

from ..config import TrainConfig
from ..errors import GanvasError
from ..progress import Callback, Progress
from .batches import Batches
from .ema import EMA
from .loop import Setup
from ..device import autocast, pick_device, set_determinism, use_bf16
from .step import Nets

DEFAULT_STEPS = 10_000


def model_info(cfg: TrainConfig, classes: list[str]) -> dict:
    num_classes = len(classes) if cfg.conditional else 0
    return {"arch": cfg.arch, "z_dim": cfg.z_dim, "resolution": cfg.resolution, "channels": cfg.channels,
            "width": cfg.width, "num_classes": num_classes, "classes": list(classes) if num_classes else [],
            "spectral_norm": cfg.spectral_norm}


def build_nets(cfg: TrainConfig, info: dict, device: torch.device, channels_last: bool) -> Nets:
    from ..models import build_discriminator, build_generator

    try:
        G = build_generator(cfg.arch, z_dim=cfg.z_dim, resolution=cfg.resolution, channels=cfg.channels,
                            width=cfg.width, num_classes=info["num_classes"])
        D = build_discriminator(cfg.arch, resolution=cfg.resolution, channels=cfg.channels, width=cfg.width,
                                num_classes=info["num_classes"], spectral_norm=cfg.spectral_norm)
    except ValueError as exc:
        raise GanvasError(f"--arch {cfg.arch}: {exc}") from None
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    G.to(device, memory_format=memory_format).train()
    D.to(device, memory_format=memory_format).train()
    betas = (cfg.beta1, cfg.beta2)
    return Nets(G, D, torch.optim.Adam(G.parameters(), lr=cfg.lr_g, betas=betas),
                torch.optim.Adam(D.parameters(), lr=cfg.lr_d, betas=betas))


def target_steps(cfg: TrainConfig, per_epoch: int):
    if cfg.steps is not None:
        return cfg.steps
    if cfg.epochs is not None:
        return math.ceil(cfg.epochs * per_epoch)
    return None if cfg.minutes else DEFAULT_STEPS


def _fixed_latents(cfg: TrainConfig, num_classes: int, device: torch.device):
    gen = torch.Generator().manual_seed(cfg.seed + 1)
    z = torch.randn(64, cfg.z_dim, generator=gen).to(device)
    labels = torch.arange(64, device=device) % num_classes if num_classes else None
    return z, labels


def _real_eval(images: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed + 2)
    idx = torch.randperm(len(images), generator=gen)[:n]
    return images[idx].float().div(127.5).sub(1.0)


def build_setup(cfg: TrainConfig, dataset, run: Path, progress: Callback) -> Setup:
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    set_determinism(cfg.deterministic, cfg.seed)
    device = pick_device(cfg.device)
    bf16 = use_bf16(cfg.precision, device)
    channels_last = device.type == "cpu" or bf16
    info = model_info(cfg, dataset.classes)
    nets = build_nets(cfg, info, device, channels_last)
    ema = EMA(nets.G, cfg.ema) if cfg.ema > 0 else None
    batches = Batches(dataset.images, dataset.labels if info["num_classes"] else None, cfg.batch_size, cfg.seed,
                      cfg.flip, device, channels_last)
    fixed_z, fixed_labels = _fixed_latents(cfg, info["num_classes"], device)
    progress(Progress("train", "note", message=f"{cfg.arch} {cfg.resolution}px x{cfg.channels} on {device}, "
                      f"{'bf16 autocast' if bf16 else 'fp32'}, batch {batches.batch_size}"))
    setup = Setup(cfg=cfg, run=run, nets=nets, ema=ema, batches=batches, device=device,
                  autocast=functools.partial(autocast, device, bf16), num_classes=info["num_classes"],
                  model_info=info, fixed_z=fixed_z, fixed_labels=fixed_labels,
                  real_eval=_real_eval(dataset.images, cfg.eval_samples, cfg.seed),
                  target_steps=target_steps(cfg, batches.per_epoch), progress=progress)
    setup.hooks = _hooks(cfg, setup)
    return setup


def _hooks(cfg: TrainConfig, setup: Setup) -> list:
    from .monitor import Monitor
    from .tensorboard import tensorboard_hook

    hooks = [Monitor(cfg, setup)]
    board = tensorboard_hook(cfg, setup.run)
    if board is not None:
        hooks.append(board)
    return hooks
