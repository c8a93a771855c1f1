"""`evaluate()`: generate N images from a run, compare them with real ones, report every number
beside the protocol that produced it."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import torch

from ..config.evaluate import EvalConfig
from ..device import pick_device
from ..errors import GanvasError
from ..io import atomic_write_bytes
from ..progress import Callback, Progress, silent
from .features import ImageSource, extract_features, iter_batches, to_uint8
from .fid import fid_from_features
from .inception import Inception, load_inception, resolve_weights
from .kid import kid
from .prdc import precision_recall
from .protocol import SWD_DIRECTIONS, SWD_IMAGES, SWD_PATCHES, build_protocol
from .reference import reference_features
from .swd import swd_levels

INCEPTION_METRICS = ("fid", "kid", "pr")


def evaluate(run: str | Path, *, data: Optional[str] = None, metrics=None, n: Optional[int] = None,
             seed: Optional[int] = None, json_path: Optional[str] = None, inception: Optional[str] = None,
             config: Optional[EvalConfig] = None, progress: Callback = silent) -> dict:
    """Score the run's generator against real images; returns {"run", "metrics", "protocol"}.

    Keyword arguments override the matching fields of `config` (EvalConfig defaults otherwise).
    The results are also written to RUN/evaluation.json, and to `json_path` when given.
    """
    from ..checkpoint import load_generator

    config = _merge(config, run=str(run), data=data, metrics=metrics, n=n, seed=seed, json=json_path,
                    inception=inception)
    names = config.metric_list()
    _check_counts(config)
    if config.inception is not None and set(names) & set(INCEPTION_METRICS):
        resolve_weights(config.inception)  # a wrong path fails now, not after minutes of generating
    device = pick_device(config.device)
    with _threads(config.threads):
        G, meta = load_generator(config.run, which=config.which)
        real, reference = _reference_images(config, meta, progress)
        fake = latent_source(G.to(device), meta, seed=config.seed, device=device)
        generator = f"{config.which} weights of {config.run}"
        results = evaluate_images(fake, real, config=config, metrics=names, reference=reference,
                                  generator=generator, device=device, progress=progress)
    results = {"run": str(config.run), **results}
    write_results(results, Path(config.run) / "evaluation.json")
    if config.json:
        write_results(results, Path(config.json))
        results["json"] = str(config.json)
    return results


def evaluate_images(fake: ImageSource, real: torch.Tensor, *, config: Optional[EvalConfig] = None,
                    metrics=None, reference: str = "given images", generator: Optional[str] = None,
                    device: str | torch.device = "cpu", progress: Callback = silent) -> dict:
    """The core: `config.n` images from `fake` (tensor or `fn(count)`, uint8 or [-1, 1]) against the
    uint8 tensor `real`. Returns {"metrics": {name: {"value", ...}}, "protocol": {...}}."""
    config = _merge(config, metrics=metrics)
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


def latent_source(G: torch.nn.Module, meta: dict, *, seed: int, device) -> Callable[[int], torch.Tensor]:
    """fn(count) -> the next `count` generated images in [-1, 1], the same for the same seed."""
    gen = torch.Generator().manual_seed(seed)
    classes = int(meta.get("num_classes") or 0)

    def draw(count: int) -> torch.Tensor:
        z = torch.randn(count, int(meta["z_dim"]), generator=gen)
        labels = torch.randint(classes, (count,), generator=gen).to(device) if classes else None
        with torch.inference_mode():
            return G(z.to(device), labels).float().cpu()

    return draw


def _reference_images(config: EvalConfig, meta: dict, progress: Callback) -> tuple[torch.Tensor, str]:
    """The real images to compare with, at the generator's resolution and channels, and their description."""
    from ..data import prepare
    from ..data.builtin import is_builtin

    source = config.data or _run_source(config.run)
    split = config.split if is_builtin(source) else "train"
    trained = meta.get("config") or {}
    # The reference goes through the same framing as the training images did.
    dataset = prepare(source, resolution=int(meta["resolution"]), channels=int(meta["channels"]),
                      fit=trained.get("fit", "crop"), data_root=config.data_root or trained.get("data_root"),
                      split=split, progress=progress)
    count = min(config.n_real or config.n, len(dataset))
    images = dataset.images
    if count < len(dataset):
        pick = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(config.seed))[:count]
        images = images[pick.sort().values]
    where = f"{split} split, " if is_builtin(source) else ""
    return images, f"{source} ({where}{count} of {len(dataset)} images, fingerprint {dataset.fingerprint[:12]})"


def _run_source(run: str) -> str:
    path = Path(run) / "run.json"
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return str(info["dataset"]["source"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise GanvasError(f"{path}: cannot tell which dataset the run used ({type(exc).__name__}); "
                          "pass --data") from exc


def write_results(results: dict, path: Path) -> None:
    try:
        atomic_write_bytes(path, (json.dumps(results, indent=1) + "\n").encode("utf-8"))
    except OSError as exc:
        raise GanvasError(f"--json {path}: cannot write ({exc.strerror or exc})") from exc


def _merge(config: Optional[EvalConfig], **given) -> EvalConfig:
    config = config or EvalConfig()
    changes = {k: v for k, v in given.items() if v is not None}
    if isinstance(changes.get("metrics"), (tuple, list)):
        changes["metrics"] = ",".join(changes["metrics"])
    return dataclasses.replace(config, **changes)


def _check_counts(config: EvalConfig) -> None:
    if config.n < 2:
        raise GanvasError(f"--n {config.n}: need at least 2 generated images (FID wants thousands)")
    if config.n_real is not None and config.n_real < 2:
        raise GanvasError(f"--n-real {config.n_real}: need at least 2 reference images")
    if config.batch_size < 1:
        raise GanvasError(f"--batch-size {config.batch_size}: must be at least 1")


class _threads:
    """Use `count` CPU threads inside the block, then restore the previous setting."""

    def __init__(self, count: Optional[int]):
        self.count, self.before = count, torch.get_num_threads()

    def __enter__(self):
        if self.count:
            torch.set_num_threads(self.count)

    def __exit__(self, *exc):
        torch.set_num_threads(self.before)
