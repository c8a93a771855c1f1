"""Build a run's working parts from a config and a prepared dataset: spec, networks, method, loop."""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Callable, Optional

import torch

from ..config import TrainConfig
from ..device import Placement
from ..errors import GanvasError
from ..models import ModelSpec, arch as arch_of, build_discriminator, build_generator
from ..models.spec import parse_options
from ..models.latent import LatentSampler
from ..progress import Callback, Progress
from ..runtime import SINGLE, Runtime
from .augment import AugmentPipe
from .batches import Batches
from .classic import ClassicGAN
from .hooks import Hook
from .loop import Loop
from .parallel import Parallel
from .runlog import RunLog

DEFAULT_STEPS = 10_000
FIXED_SEED_OFFSET, REAL_EVAL_SEED_OFFSET = 1, 2


def arch_options(cfg: TrainConfig) -> dict:
    """Every option of the arch's own dataclass, spelled out (so a later change of a default never
    changes what a checkpoint rebuilds): --width, --spectral-norm and --arch-options over the defaults."""
    try:
        family = arch_of(cfg.arch).options
        given = parse_options(family, cfg.arch_options, cfg.arch)
    except ValueError as exc:
        raise GanvasError(f"--arch {cfg.arch} --arch-options: {exc}") from None
    known = {f.name for f in dataclasses.fields(family)}
    if cfg.spectral_norm and "spectral_norm" not in known:
        raise GanvasError(f"--spectral-norm: --arch {cfg.arch} has no spectral-norm option")
    if "progressive" in given:
        raise GanvasError("--arch-options progressive: use --progressive, which also sets the schedule")
    if cfg.progressive and "progressive" not in known:
        raise GanvasError(f"--progressive: grows the dcgan family; --arch {cfg.arch} has MSG-GAN's or its "
                          "own answer to high resolution")
    shared = {"width": cfg.width, "spectral_norm": cfg.spectral_norm, "progressive": cfg.progressive or None}
    given = {**{k: v for k, v in shared.items() if k in known and v is not None}, **given}
    return dataclasses.asdict(family(**given))


def model_spec(cfg: TrainConfig, classes: list[str]) -> ModelSpec:
    num_classes = len(classes) if cfg.conditional else 0
    return ModelSpec(arch=cfg.arch, z_dim=cfg.z_dim, resolution=cfg.resolution, channels=cfg.channels,
                     num_classes=num_classes, classes=tuple(classes) if num_classes else (),
                     options=arch_options(cfg))


def build_networks(spec: ModelSpec, placement: Placement) -> tuple[torch.nn.Module, torch.nn.Module]:
    try:
        G, D = build_generator(spec), build_discriminator(spec)
    except ValueError as exc:
        raise GanvasError(f"--arch {spec.arch}: {exc}") from None
    return placement.place(G).train(), placement.place(D).train()


def build_augment(cfg: TrainConfig) -> AugmentPipe:
    try:
        return AugmentPipe(cfg.augment, tuple(cfg.augment_policy), target=cfg.ada_target, ada_kimg=cfg.ada_kimg)
    except ValueError as exc:
        raise GanvasError(f"--augment {cfg.augment}: {exc}") from None


def build_algorithm(cfg: TrainConfig, spec: ModelSpec, placement: Placement, sampler: LatentSampler,
                    runtime: Runtime = SINGLE) -> ClassicGAN:
    """ClassicGAN, or the family's own variant of it: MSG-GAN's pyramids, StyleGAN2's mixing and path length."""
    growing = bool(spec.options.get("progressive"))
    G, D = build_networks(spec, placement)
    common = dict(augment=build_augment(cfg).to(placement.device), sampler=sampler,
                  autocast=placement.autocast, loss=cfg.loss, lr_g=cfg.lr_g, lr_d=cfg.lr_d,
                  betas=(cfg.beta1, cfg.beta2), label_smoothing=cfg.label_smoothing, r1_gamma=cfg.r1_gamma,
                  r1_every=cfg.r1_every, ema_decay=cfg.ema, skip_d_below=cfg.skip_d_below,
                  parallel=Parallel(runtime, sync_bn=cfg.sync_bn, partial_graph=growing), passes=cfg.accumulate,
                  fp16=placement.fp16, compile=cfg.compile)
    if spec.arch == "msg":
        from .multiscale import MultiScaleGAN
        return MultiScaleGAN(G, D, **common)
    if growing:
        from .growing import GrowingGAN
        return GrowingGAN(G, D, growth=growth_of(cfg), reset_adam=cfg.reset_adam, **common)
    if spec.arch == "stylegan2":
        from .stylegan import StyleGAN2Method
        return StyleGAN2Method(G, D, style_mixing=cfg.style_mixing, pl_weight=cfg.pl_weight,
                               pl_every=cfg.pl_every, **common)
    return ClassicGAN(G, D, **common)


def growth_of(cfg: TrainConfig):
    from ..models.progressive import sizes_of
    from .growth import Growth

    return Growth.plan(len(sizes_of(cfg.resolution)), cfg.grow_kimg, cfg.batch_size, cfg.level_batch)


def batches_of(cfg: TrainConfig, dataset, labelled: bool, placement: Placement, runtime: Runtime) -> Batches:
    labels = dataset.labels if labelled else None
    if cfg.progressive:
        from .growth import GrowingBatches
        return GrowingBatches(dataset.images, labels, growth_of(cfg), cfg.seed, cfg.flip, placement.device,
                              placement.channels_last, runtime.rank, runtime.world)
    return Batches(dataset.images, labels, cfg.batch_size, cfg.seed, cfg.flip, placement.device,
                   placement.channels_last, runtime.rank, runtime.world)


def target_steps(cfg: TrainConfig, per_epoch: int) -> Optional[int]:
    if cfg.steps is not None:
        return cfg.steps
    if cfg.epochs is not None:
        return math.ceil(cfg.epochs * per_epoch)
    return None if cfg.minutes else DEFAULT_STEPS


def _real_eval(images: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed + REAL_EVAL_SEED_OFFSET)
    idx = torch.randperm(len(images), generator=gen)[:n]
    return images[idx].float().div(127.5).sub(1.0)


def build_loop(cfg: TrainConfig, dataset, run: Path, log: RunLog, progress: Callback, *,
               hooks: tuple[Hook, ...] = (), should_stop: Optional[Callable[[], bool]] = None,
               runtime: Runtime = SINGLE) -> Loop:
    placement = Placement.choose(cfg.device, cfg.precision, where=runtime.device)
    spec = model_spec(cfg, dataset.classes)
    sampler = LatentSampler(spec.z_dim, spec.num_classes)
    algorithm = build_algorithm(cfg, spec, placement, sampler, runtime)  # the same weights on every rank
    if runtime.distributed:
        torch.manual_seed(runtime.rank_seed(cfg.seed))  # from here on each rank draws its own latents
    data = batches_of(cfg, dataset, bool(spec.num_classes), placement, runtime)
    progress(Progress("train", "note", message=f"{cfg.arch} {cfg.resolution}px x{cfg.channels} on "
                      f"{placement.describe()}, {_batch_words(cfg, data, runtime)}, {len(dataset)} images, "
                      f"augment {cfg.augment}, R1 {cfg.r1_gamma:g}"))
    real_eval = _real_eval(dataset.images, cfg.eval_samples, cfg.seed)
    # Hooks watch and write, so they live on rank 0 alone; their changes reach the others (Actions.share).
    every_hook = [*_standard_hooks(cfg, run, real_eval, len(dataset)), *hooks] if runtime.is_main else []
    _check_hook_names(every_hook)
    return Loop(algorithm=algorithm, data=data, log=log, cfg=cfg, run=run, spec=spec, placement=placement,
                sampler=sampler, fixed_latents=sampler.fixed(64, cfg.seed + FIXED_SEED_OFFSET, placement.device),
                real_eval=real_eval, target_steps=target_steps(cfg, data.per_epoch), hooks=every_hook,
                progress=progress, should_stop=should_stop, runtime=runtime)


def _batch_words(cfg: TrainConfig, data: Batches, runtime: Runtime) -> str:
    passes = f" in {cfg.accumulate} passes of {data.rank_batch // cfg.accumulate}" if cfg.accumulate > 1 else ""
    if not runtime.distributed:
        return f"batch {data.batch_size}{passes}"
    source = "--batch-per-rank" if cfg.batch_per_rank is not None else "--batch-size / processes"
    return (f"batch {data.batch_size} = {runtime.world} processes x {data.rank_batch} ({source}){passes}, "
            f"{runtime.backend}")


def _standard_hooks(cfg: TrainConfig, run: Path, real_eval: torch.Tensor, n_images: int) -> list[Hook]:
    from .monitor import Monitor
    from .tensorboard import tensorboard_hook

    hooks: list[Hook] = [Monitor(cfg, real_eval, n_images)]
    if cfg.progressive:
        from .growing import GrowthHook
        hooks.append(GrowthHook(growth_of(cfg)))
    if cfg.lr_drop_at is not None:
        from .lrdrop import LrDrop
        hooks.append(LrDrop(cfg.lr_drop_at, cfg.lr_drop_factor))
    board = tensorboard_hook(cfg, run)
    if board is not None:
        hooks.append(board)
    return hooks


def _check_hook_names(hooks: list[Hook]) -> None:
    names = [hook.name for hook in hooks]
    if len(set(names)) != len(names):
        raise GanvasError(f"hooks need distinct names to keep their state apart; got {', '.join(names)}")
