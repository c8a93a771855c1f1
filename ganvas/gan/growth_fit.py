"""How long each phase of progressive growing lasts when --grow-kimg is left to ganvas: fitted to the budget.

ProGAN gives every phase the same number of images (600k or more), a schedule made for days on GPUs.
A fixed count cannot suit both a 15-minute CPU run and a day on a GPU: at 20k images per phase a
128 px run sees 160k images before its last level trains alone, more than 15 minutes on two cores
give. So the phases are fitted to the run: everything up to the end of the last fade-in takes
GROWING_SHARE of the budget, and the full resolution trains alone for the rest.

A --minutes budget is measured: a few training steps at every level, on this machine, before the run
starts (a small level costs more per pixel than a large one, so pixel counts would mislead). A --steps or --epochs
budget is counted in steps, with no timing, so such a run plans the same on every machine. Either
way the value is written into run.json as --grow-kimg, so a resumed run replays the same schedule.
"""
from __future__ import annotations

import dataclasses
import time

from ..config import TrainConfig
from ..device import Placement, process_scope
from ..progress import Callback, Progress
from .growth import Growth

GROWING_SHARE = 0.5
MAX_KIMG = 600.0  # ProGAN's own phase length: a long budget grows at the paper's pace, not slower
TIMED_STEPS = 2  # per level, after one untimed step that builds the level's kernels and buffers


def growing_levels(levels: int) -> list[int]:
    """The level of every phase before the last level trains alone: 8 px's training, then each later
    level's fade-in and training, and the last level's fade-in."""
    phases = [0]
    for level in range(1, levels):
        phases += [level] if level == levels - 1 else [level, level]
    return phases


def kimg_for_steps(batches: tuple[int, ...], steps: int) -> float:
    """Phase length (thousands of images) that makes growing take GROWING_SHARE of `steps`."""
    steps_per_image = sum(1.0 / batches[level] for level in growing_levels(len(batches)))
    return _clamped(GROWING_SHARE * steps / steps_per_image)


def kimg_for_seconds(seconds_per_image: list[float], seconds: float) -> float:
    """Phase length (thousands of images) that makes growing take GROWING_SHARE of `seconds`."""
    cost = sum(seconds_per_image[level] for level in growing_levels(len(seconds_per_image)))
    return _clamped(GROWING_SHARE * seconds / cost)


def _clamped(images: float) -> float:
    return min(MAX_KIMG, max(1, round(images)) / 1000)


def measure(cfg: TrainConfig, dataset) -> list[float]:
    """Seconds per training image at every level (in its fade-in, the dearer half), on throwaway networks.

    The algorithm is the run's own (augmentation, penalties and EMA included), each level at its own
    batch size, under the run's thread count; the run itself starts afterwards from its own seed.
    """
    from ..models.latent import LatentSampler
    from .build import build_algorithm, growth_of, model_spec
    from .growth import GrowingBatches

    placement = Placement.choose(cfg.device, cfg.precision)
    cfg = dataclasses.replace(cfg, grow_kimg=max(_batches(cfg)) / 1000)  # every phase one step long
    probe = growth_of(cfg)
    with process_scope(thread_count=cfg.threads, deterministic=cfg.deterministic, seed=cfg.seed):
        spec = model_spec(cfg, dataset.classes)
        algorithm = build_algorithm(cfg, spec, placement, LatentSampler(spec.z_dim, spec.num_classes))
        labels = dataset.labels if spec.num_classes else None
        data = GrowingBatches(dataset.images, labels, probe, cfg.seed, cfg.flip, placement.device,
                              placement.channels_last)
        return [_seconds_per_image(algorithm, data, _first_step(probe, level)) for level in range(probe.levels)]


def _batches(cfg: TrainConfig) -> tuple[int, ...]:
    """Each level's batch size: the run's own plan, whatever its phase length."""
    from .build import growth_of
    return growth_of(dataclasses.replace(cfg, grow_kimg=1.0)).batches


def _first_step(growth: Growth, level: int) -> int:
    step = 0
    while growth.at(step).level < level:
        step += 1
    return step


def _seconds_per_image(algorithm, data, step: int) -> float:
    real, labels = next(data.from_step(step))
    algorithm.step(real, labels, step)  # untimed: the first pass at a new size builds its kernels
    start = time.perf_counter()
    for _ in range(TIMED_STEPS):
        stats = algorithm.step(real, labels, step)
    float(stats["d_loss"])  # on a GPU, wait for the work queued above
    return (time.perf_counter() - start) / (TIMED_STEPS * len(real))


def fit(cfg: TrainConfig, dataset, progress: Callback, world: int = 1) -> TrainConfig:
    """`cfg` with --grow-kimg set, if it was left to ganvas (a new run's config, before run.json).

    Over several processes rank 0 times one process alone, and the ranks then share each batch."""
    from ..models.progressive import START
    from .build import target_steps

    if not cfg.progressive or cfg.grow_kimg is not None:
        return cfg
    if cfg.minutes:
        per_image = [seconds / world for seconds in measure(cfg, dataset)]
        kimg = kimg_for_seconds(per_image, cfg.minutes * 60)
        basis = (f"--minutes {cfg.minutes:g}; measured {per_image[0] * 1e3:.2f} ms per image at {START} px, "
                 f"{per_image[-1] * 1e3:.2f} at {cfg.resolution} px")
    else:
        batches = _batches(cfg)
        steps = target_steps(cfg, max(1, len(dataset) // max(batches)))
        kimg = kimg_for_steps(batches, steps)
        basis = f"{steps} steps"
    progress(Progress("train", "note", message=f"progressive growing: {kimg * 1000:.0f} images per phase, so "
                      f"growing takes about {GROWING_SHARE:.0%} of the run ({basis}); --grow-kimg sets it"))
    return dataclasses.replace(cfg, grow_kimg=kimg)
