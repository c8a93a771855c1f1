"""Options of one training run. A run is this object, serialised into run.json."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .fields import opt


@dataclass
class TrainConfig:
    # what to learn from
    data: str = opt("shapes", "image folder, .zip, or built-in name (shapes, fashion-mnist, mnist)", cli=False)
    out: str = opt("runs/ganvas", "run folder: checkpoints, samples, metrics, report", cli=False)
    data_root: Optional[str] = opt(None, "where built-in datasets are looked up and downloaded")
    resolution: Optional[int] = opt(None, "image size, a power of two from 16 to 256 (built-ins pick their own)")
    channels: Optional[int] = opt(None, "1 or 3; by default 1 when every image is grayscale, else 3")
    fit: str = opt("crop", "how other aspect ratios become square", choices=("crop", "pad"))
    flip: bool = opt(False, "random horizontal flips")
    conditional: bool = opt(False, "condition G and D on class labels (subfolders or built-in labels)")

    # the networks
    arch: str = opt("dcgan", "network family", choices=("dcgan", "mlp"))
    z_dim: int = opt(100, "latent size")
    width: int = opt(64, "base channel count (DCGAN ngf=ndf) or hidden width / 4 (MLP)")
    spectral_norm: bool = opt(False, "spectral normalisation on D's layers")

    # the lesson's loop and its stabilisers
    loss: str = opt("ns", "GAN loss", choices=("ns", "minimax", "hinge", "ls"))
    lr_g: float = opt(2e-4, "generator learning rate")
    lr_d: float = opt(2e-4, "discriminator learning rate")
    beta1: float = opt(0.5, "Adam beta1")
    beta2: float = opt(0.999, "Adam beta2")
    label_smoothing: float = opt(0.0, "one-sided: real targets become 1 - this")
    skip_d_below: Optional[float] = opt(None, "skip D's step while its loss is below this")
    ema: float = opt(0.999, "EMA decay of G's weights (0 turns EMA off)")
    recover: bool = opt(True, "on NaN/inf or exploding losses, roll back and halve both LRs")
    auto_stabilize: bool = opt(False, "apply the diagnostics' remedies automatically")

    # budget
    steps: Optional[int] = opt(None, "total steps the run aims for")
    epochs: Optional[float] = opt(None, "total epochs the run aims for")
    minutes: Optional[float] = opt(None, "stop after this many minutes of training in this process")
    batch_size: int = opt(64, "images per step")

    # reproducibility and speed
    seed: int = opt(0, "random seed")
    deterministic: bool = opt(False, "deterministic kernels, so a run repeats bit for bit")
    precision: str = opt("auto", "bf16 autocast where the CPU/GPU supports it", choices=("auto", "bf16", "fp32"))
    device: str = opt("auto", "cpu, cuda, cuda:N or auto")
    threads: Optional[int] = opt(None, "CPU threads (default: PyTorch's choice)")

    # what the run writes
    log_every: int = opt(50, "steps between metric records and progress syncs")
    sample_every: int = opt(500, "steps between sample grids")
    checkpoint_every: int = opt(1000, "steps between checkpoints")
    eval_every: int = opt(0, "steps between the cheap in-loop metric (0: with each checkpoint)")
    eval_samples: int = opt(256, "samples used by the in-loop metric")
    tensorboard: bool = opt(True, "write TensorBoard events when tensorboard is installed")
