"""Opening a run folder: a new run, a resumed one, or a refusal that protects what is already there."""
from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import TrainConfig
from ..config.archs import AUTO as AUTO_ARCH
from ..config.fields import from_dict, to_dict
from ..device import pick_device
from ..errors import GanvasError
from ..models.layers import RESOLUTIONS
from ..progress import Callback, Progress
from . import growth_fit, presets
from .runlog import RunLog, versions

# What a resume may change: budgets, cadences, speed settings and the lesson's in-flight cures.
RESUMABLE = {"steps", "epochs", "minutes", "lr_g", "lr_d", "skip_d_below", "auto_stabilize", "recover",
             "lr_drop_at", "lr_drop_factor",
             "precision", "device", "threads", "log_every", "sample_every", "checkpoint_every", "eval_every",
             "eval_samples", "tensorboard", "data", "data_root", "out", "compile", "batch_per_rank", "accumulate",
             "dist_timeout"}


@dataclass
class Opened:
    config: TrainConfig
    dataset: Any
    run: Path
    log: RunLog
    resuming: bool
    changed: dict
    prepared_with: dict = dataclasses.field(default_factory=dict)  # prepare()'s arguments, for other ranks


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def validate(cfg: TrainConfig) -> None:
    if cfg.resolution is not None and cfg.resolution not in RESOLUTIONS:
        raise GanvasError(f"--resolution {cfg.resolution}: use one of {', '.join(map(str, RESOLUTIONS))}")
    if cfg.channels not in (None, 1, 3):
        raise GanvasError(f"--channels {cfg.channels}: use 1 (grayscale) or 3 (colour)")
    for name in ("batch_size", "z_dim", "width", "log_every", "sample_every", "checkpoint_every", "accumulate",
                 "dist_timeout", "pl_every"):
        if getattr(cfg, name) is not None and getattr(cfg, name) <= 0:
            raise GanvasError(f"{_flag(name)} {getattr(cfg, name)}: must be positive")
    for name in ("steps", "epochs", "minutes", "batch_per_rank"):
        value = getattr(cfg, name)
        if value is not None and value <= 0:
            raise GanvasError(f"{_flag(name)} {value}: must be positive")
    if not 0 <= cfg.ema < 1:
        raise GanvasError(f"--ema {cfg.ema}: use a decay in [0, 1), e.g. 0.999, or 0 to turn EMA off")
    if not 0 <= cfg.label_smoothing < 0.5:
        raise GanvasError(f"--label-smoothing {cfg.label_smoothing}: use a value in [0, 0.5), e.g. 0.1")
    if cfg.r1_gamma is not None and cfg.r1_gamma < 0:
        raise GanvasError(f"--r1-gamma {cfg.r1_gamma}: use 0 (off) or a positive weight, e.g. 0.1")
    if cfg.r1_every < 1:
        raise GanvasError(f"--r1-every {cfg.r1_every}: use 1 (every step) or more (lazy)")
    if not 0 < cfg.ada_target < 1:
        raise GanvasError(f"--ada-target {cfg.ada_target}: use a value in (0, 1), e.g. 0.6")
    for name in ("beta1", "beta2"):
        value = getattr(cfg, name)
        if value is not None and not 0 <= value < 1:
            raise GanvasError(f"{_flag(name)} {value}: use a value in [0, 1), e.g. 0.5, 0.99 or 0")
    for name in ("lr_g", "lr_d"):
        value = getattr(cfg, name)
        if value is not None and not value > 0:
            raise GanvasError(f"{_flag(name)} {value}: must be positive")
    if cfg.lr_drop_at is not None and not 0 < cfg.lr_drop_at < 1:
        raise GanvasError(f"--lr-drop-at {cfg.lr_drop_at}: use a share of the budget in (0, 1), e.g. 0.8")
    if not 0 < cfg.lr_drop_factor < 1:
        raise GanvasError(f"--lr-drop-factor {cfg.lr_drop_factor}: use a factor in (0, 1), e.g. 0.1")
    if not 0 <= cfg.style_mixing <= 1 or cfg.pl_weight < 0:
        raise GanvasError("--style-mixing is a probability in [0, 1] and --pl-weight at least 0")
    if (cfg.grow_kimg is not None and not cfg.grow_kimg > 0) or any(b < 1 for b in cfg.level_batch):
        raise GanvasError("--grow-kimg must be positive and every --level-batch at least 1")
    if cfg.arch == AUTO_ARCH:
        if cfg.arch_options:
            raise GanvasError("--arch-options: each family has its own; name the family with --arch")
        return  # the family, and so its options, is known once the data is
    from .build import arch_options
    arch_options(cfg)  # a wrong --arch-options key fails here, before anything is written


def _refuse_existing(run: Path, saved: dict) -> None:
    data = saved.get("config", {}).get("data", "?")
    raise GanvasError(f"{run}: already holds a run (trained on {data}); add --resume to continue it, "
                      f"--force to start over (the old run is kept beside it), or choose another --out")


def _archive(run: Path) -> Path:
    kept = run.with_name(f"{run.name}.old-{time.strftime('%Y%m%d-%H%M%S')}")
    run.rename(kept)
    return kept


def _resumed_config(run: Path, saved: dict, explicit: dict) -> tuple[TrainConfig, dict]:
    base = from_dict(TrainConfig, saved["config"])
    changed = {k: v for k, v in explicit.items() if getattr(base, k) != v}
    fixed = sorted(set(changed) - RESUMABLE)
    if fixed:
        name = fixed[0]
        raise GanvasError(f"{run}: was trained with {_flag(name)} {getattr(base, name)}; resume with the same "
                          f"value, or start a new run with another --out")
    return dataclasses.replace(base, **changed), changed


def _inside(child: Path, parent: Path) -> bool:
    try:
        child.resolve().relative_to(parent.resolve())
        return True
    except ValueError:
        return False


def split_batch(cfg: TrainConfig, world: int, saved: Any, progress: Callback) -> TrainConfig:
    """The global batch for `world` processes: --batch-per-rank times the processes for a new run; on a
    resume, the run's own batch, split anew when the number of processes changed."""
    trained_with = int(saved.get("processes", 1)) if saved else world
    if saved and trained_with != world:
        progress(Progress("train", "note", message=f"this run was trained with {trained_with} process(es) and "
                          f"resumes with {world}: the same batch of {cfg.batch_size} and data order, but not bit "
                          "for bit (each process's random stream starts anew)"))
        if cfg.batch_per_rank is not None:
            cfg = dataclasses.replace(cfg, batch_per_rank=cfg.batch_size // world)
    elif cfg.batch_per_rank is not None:
        total = cfg.batch_per_rank * world
        if saved and total != cfg.batch_size:
            raise GanvasError(f"--batch-per-rank {cfg.batch_per_rank}: with {world} process(es) that is a batch of "
                              f"{total}, but {cfg.out} was trained with {cfg.batch_size}; resume without it")
        cfg = dataclasses.replace(cfg, batch_size=total)
    if cfg.batch_size % world:
        raise GanvasError(f"--batch-size {cfg.batch_size}: does not split over {world} processes; use a multiple "
                          f"of {world}, or --batch-per-rank")
    uneven = [b for b in cfg.level_batch if b % world]
    if uneven:
        raise GanvasError(f"--level-batch {uneven[0]}: does not split over {world} processes; give each level a "
                          f"multiple of {world}")
    if (cfg.batch_size // world) % cfg.accumulate:
        raise GanvasError(f"--accumulate {cfg.accumulate}: each process's batch of {cfg.batch_size // world} "
                          "does not split into that many equal passes")
    return cfg


def open_run(explicit: dict, *, resume: bool, force: bool, progress: Callback, world: int = 1) -> Opened:
    from ..data import DEFAULT_RESOLUTION, builtin_settings, prepare, write_skipped_report

    cfg = TrainConfig(**explicit)
    run = Path(cfg.out)
    saved_path = run / "run.json"
    saved = json.loads(saved_path.read_text()) if saved_path.exists() else None
    resuming = bool(resume and saved)
    changed: dict = {}
    if resuming:
        cfg, changed = _resumed_config(run, saved, explicit)
    elif saved and not force:
        _refuse_existing(run, saved)
    elif saved:
        kept = _archive(run)
        progress(Progress("train", "note", message=f"the previous run in {run} was moved to {kept}"))
    elif resume:
        progress(Progress("train", "note", message=f"nothing to resume in {run}; starting a new run"))
    validate(cfg)
    if Path(cfg.data).is_dir() and _inside(run, Path(cfg.data)):
        raise GanvasError(f"--out {run}: is inside the training images {cfg.data}; choose a folder outside it")

    preset = builtin_settings(cfg.data)
    cfg = dataclasses.replace(cfg, resolution=cfg.resolution or preset.get("resolution", DEFAULT_RESOLUTION),
                              channels=cfg.channels or preset.get("channels"))
    prepared_with = dict(resolution=cfg.resolution, channels=cfg.channels, fit=cfg.fit, data_root=cfg.data_root)
    dataset = prepare(cfg.data, progress=progress, **prepared_with)
    cfg = dataclasses.replace(cfg, channels=int(dataset.images.shape[1]))
    family_was_auto = cfg.arch == AUTO_ARCH
    cfg = presets.resolve(cfg, len(dataset), builtin=bool(preset), gpu=pick_device(cfg.device).type == "cuda")
    cfg = split_batch(cfg, world, saved if resuming else None, progress)  # the batch may be auto until here
    if family_was_auto:  # validate checked a named family's options; the chosen one's are checked here
        from .build import arch_options
        arch_options(cfg)
    if resuming and saved["dataset"]["fingerprint"] != dataset.fingerprint:
        raise GanvasError(f"{cfg.data}: differs from the images {run} was trained on; resume with the same "
                          f"images, or add --force to start a new run")
    if cfg.conditional and not dataset.classes:
        raise GanvasError(f"--conditional: {cfg.data} has no classes; put images in one subfolder per class")
    if not resuming:
        cfg = growth_fit.fit(cfg, dataset, progress, world)  # before run.json, so a resume replays the same schedule

    run.mkdir(parents=True, exist_ok=True)
    write_skipped_report(dataset, run / "skipped.txt")
    log = RunLog(run)
    log.write_run_json({"config": to_dict(cfg), "versions": versions(), "seed": cfg.seed, "processes": world,
                        "dataset": {"source": cfg.data, "fingerprint": dataset.fingerprint,
                                    "n_images": len(dataset), "channels": cfg.channels,
                                    "resolution": cfg.resolution, "classes": list(dataset.classes)}})
    return Opened(cfg, dataset, run, log, resuming, changed, prepared_with)
