"""`evaluate()`: generate N images from a run, compare them with real ones, report every number
beside the protocol that produced it, and save the results in the run folder.

This is the service around the pure scoring of `ganvas.metrics.score.evaluate_images`: it reads the
run (`ganvas.runs`), prepares the reference images the way training framed them, runs the generator
through `models.invoke.generate` and writes evaluation.json.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

from .config.evaluate import EvalConfig, merged
from .errors import GanvasError
from .progress import Callback, silent

if TYPE_CHECKING:
    import torch

    from .device import Placement
    from .models.spec import ModelSpec


def evaluate(run: str | Path, *, data: Optional[str] = None, metrics=None, n: Optional[int] = None,
             seed: Optional[int] = None, json_path: Optional[str] = None, inception: Optional[str] = None,
             config: Optional[EvalConfig] = None, progress: Callback = silent) -> dict:
    """Score the run's generator against real images; returns {"run", "metrics", "protocol"}.

    Keyword arguments override the matching fields of `config` (EvalConfig defaults otherwise).
    The results are also written to RUN/evaluation.json, and to `json_path` when given.
    """
    from .device import Placement, pick_device, threads
    from .metrics.inception import resolve_weights
    from .metrics.score import INCEPTION_METRICS, evaluate_images
    from .runs import load_generator

    config = merged(config, run=str(run), data=data, metrics=metrics, n=n, seed=seed, json=json_path,
                    inception=inception)
    names = config.metric_list()
    _check_counts(config)
    if config.inception is not None and set(names) & set(INCEPTION_METRICS):
        resolve_weights(config.inception)  # a wrong path fails now, not after minutes of generating
    device = pick_device(config.device)
    with threads(config.threads):
        G, spec = load_generator(config.run, which=config.which)
        real, reference = _reference_images(config, spec, progress)
        # The generator runs in fp32, so a score measures the weights, not the arithmetic.
        placement = Placement(device, False)
        fake = latent_source(placement.place(G), spec, seed=config.seed, n=config.n, placement=placement)
        classes = ", every class in turn" if spec.num_classes else ""
        generator = f"{config.which} weights of {config.run}, latents from seed {config.seed}{classes}"
        results = evaluate_images(fake, real, config=config, metrics=names, reference=reference,
                                  generator=generator, device=device, progress=progress)
    results = {"run": str(config.run), **results}
    write_results(results, Path(config.run) / "evaluation.json")
    if config.json:
        write_results(results, Path(config.json))
        results["json"] = str(config.json)
    return results


def latent_source(G: "torch.nn.Module", spec: "ModelSpec", *, seed: int, n: int,
                  placement: Optional["Placement"] = None) -> Callable[[int], "torch.Tensor"]:
    """fn(count) -> the next `count` of `n` generated images in [-1, 1], the same for the same seed."""
    from .models.invoke import generate
    from .models.latent import LatentSampler

    z, labels = LatentSampler(spec.z_dim, spec.num_classes).fixed(n, seed)
    drawn = 0

    def draw(count: int) -> "torch.Tensor":
        nonlocal drawn
        part = slice(drawn, drawn + count)
        drawn += count
        return generate(G, z[part], None if labels is None else labels[part], placement=placement)

    return draw


def _reference_images(config: EvalConfig, spec: "ModelSpec", progress: Callback) -> tuple["torch.Tensor", str]:
    """The real images to compare with, at the generator's resolution and channels, and their description."""
    import torch

    from .data import prepare
    from .data.builtin import is_builtin
    from .runs import dataset_source, training_config

    source = config.data or dataset_source(config.run)
    split = config.split if is_builtin(source) else "train"
    trained = training_config(config.run)
    # The reference goes through the same framing as the training images did.
    dataset = prepare(source, resolution=spec.resolution, channels=spec.channels,
                      fit=trained.get("fit", "crop"), data_root=config.data_root or trained.get("data_root"),
                      split=split, progress=progress)
    count = min(config.n_real or config.n, len(dataset))
    images = dataset.images
    if count < len(dataset):
        pick = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(config.seed))[:count]
        images = images[pick.sort().values]
    where = f"{split} split, " if is_builtin(source) else ""
    return images, f"{source} ({where}{count} of {len(dataset)} images, fingerprint {dataset.fingerprint[:12]})"


def write_results(results: dict, path: Path) -> None:
    from .io import atomic_write_bytes

    try:
        atomic_write_bytes(path, (json.dumps(results, indent=1) + "\n").encode("utf-8"))
    except OSError as exc:
        raise GanvasError(f"--json {path}: cannot write ({exc.strerror or exc})") from exc


def _check_counts(config: EvalConfig) -> None:
    if config.n < 2:
        raise GanvasError(f"--n {config.n}: need at least 2 generated images (FID wants thousands)")
    if config.n_real is not None and config.n_real < 2:
        raise GanvasError(f"--n-real {config.n_real}: need at least 2 reference images")
    if config.batch_size < 1:
        raise GanvasError(f"--batch-size {config.batch_size}: must be at least 1")
