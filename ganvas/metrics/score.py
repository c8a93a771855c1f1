"""`evaluate_images()`: score generated images against real ones, every number beside the protocol
that produced it. Pure scoring: no run folders, checkpoints or datasets (those are `ganvas.evaluation`)."""
from __future__ import annotations

from typing import Optional

import numpy as np
import torch

from ..config.evaluate import EvalConfig, merged
from ..errors import GanvasError
from ..progress import Callback, Progress, silent
from .features import ImageSource, extract_features, iter_batches, to_uint8
from .fid import fid_from_features
from .inception import Inception, load_inception
from .kid import kid
from .prdc import precision_recall
from .protocol import SWD_DIRECTIONS, SWD_IMAGES, SWD_PATCHES, build_protocol
from .reference import reference_features
from .swd import swd_levels

INCEPTION_METRICS = ("fid", "kid", "pr")


def evaluate_images(fake: ImageSource, real: torch.Tensor, *, config: Optional[EvalConfig] = None,
                    metrics=None, reference: str = "given images", generator: Optional[str] = None,
                    device: str | torch.device = "cpu", progress: Callback = silent) -> dict:
    """The core: `config.n` images from `fake` (tensor or `fn(count)`, uint8 or [-1, 1]) against the
    uint8 tensor `real`. Returns {"metrics": {name: {"value", ...}}, "protocol": {...}}."""
    config = merged(config, metrics=metrics)
    names = config.metric_list()
    n = config.n
    if torch.is_tensor(fake) and len(fake) < n:
        raise GanvasError(f"--n {n}: only {len(fake)} generated images were given")
    real = to_uint8(real)
    net = load_inception(config.inception, device, progress) if set(names) & set(INCEPTION_METRICS) else None
    swd_count = min(n, len(real), SWD_IMAGES)
    fake_feats, kept = _generated(fake, n, net, config, keep=swd_count if "swd" in names else 0,
                                  progress=progress)
    scores: dict = {}
    if net is not None:
        real_feats = reference_features(real, net, resize=config.resize, precision=config.precision,
                                        batch_size=config.batch_size, use_cache=config.cache, progress=progress)
        scores.update(_feature_scores(names, real_feats, fake_feats, config, progress))
    if "swd" in names:
        scores["swd"] = _swd_score(real, kept, config.seed, progress)
    # Without a feature network only SWD's images are generated.
    n_generated = n if net is not None else len(kept)
    protocol = build_protocol(metrics=names, n_generated=n_generated, n_reference=len(real), reference=reference,
                              seed=config.seed, inception=net, resize=config.resize, precision=config.precision,
                              kid_subsets=config.kid_subsets,
                              kid_subset_size=min(config.kid_subset_size, n, len(real)),
                              pr_k=config.pr_k, swd_images=swd_count, generator=generator)
    return {"metrics": scores, "protocol": protocol}


def _generated(fake: ImageSource, n: int, net: Optional[Inception], config: EvalConfig, *, keep: int,
               progress: Callback) -> tuple[Optional[np.ndarray], torch.Tensor]:
    """Features of n generated images, and the first `keep` of them as uint8 for SWD."""
    kept: list[torch.Tensor] = []
    drawn = [0]

    def tee(count: int) -> torch.Tensor:
        start = drawn[0]
        batch = to_uint8(fake[start:start + count] if torch.is_tensor(fake) else fake(count))
        drawn[0] += len(batch)
        if start < keep:
            kept.append(batch[:keep - start])
        return batch

    if net is None:
        images = torch.cat(list(iter_batches(tee, keep, config.batch_size))) if keep else torch.empty(0)
        return None, images
    feats = extract_features(tee, n, net, resize=config.resize, precision=config.precision,
                             batch_size=config.batch_size, task="generated features", progress=progress)
    return feats, torch.cat(kept) if kept else torch.empty(0)


def _feature_scores(names, real_feats: np.ndarray, fake_feats: np.ndarray, config: EvalConfig,
                    progress: Callback) -> dict:
    scores: dict = {}
    if "fid" in names:
        progress(Progress("metrics", "note", message="computing FID"))
        scores["fid"] = {"value": fid_from_features(real_feats, fake_feats)}
    if "kid" in names:
        progress(Progress("metrics", "note", message="computing KID"))
        size = min(config.kid_subset_size, len(real_feats), len(fake_feats))
        mean, std = kid(real_feats, fake_feats, subsets=config.kid_subsets, subset_size=size, seed=config.seed)
        scores["kid"] = {"value": mean, "std": std, "subsets": config.kid_subsets, "subset_size": size}
    if "pr" in names:
        progress(Progress("metrics", "note", message="computing precision and recall"))
        precision, recall = precision_recall(real_feats, fake_feats, k=config.pr_k)
        scores["precision"] = {"value": precision, "k": config.pr_k}
        scores["recall"] = {"value": recall, "k": config.pr_k}
    return scores


def _swd_score(real: torch.Tensor, fake: torch.Tensor, seed: int, progress: Callback) -> dict:
    progress(Progress("metrics", "note", message="computing SWD"))
    if real.shape[1:] != fake.shape[1:]:
        raise GanvasError(f"SWD: generated images are {tuple(fake.shape[1:])} but the reference images are "
                          f"{tuple(real.shape[1:])}; give --data images at the run's resolution and channels")
    pick = torch.randperm(len(real), generator=torch.Generator().manual_seed(seed))[:len(fake)].sort().values
    levels = swd_levels(real[pick], fake, seed=seed,
                        patches_per_image=SWD_PATCHES, directions=SWD_DIRECTIONS)
    return {"value": sum(levels.values()) / len(levels), "levels": {str(k): v for k, v in levels.items()},
            "images": len(fake)}
