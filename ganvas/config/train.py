"""Options of one training run. A run is this object, serialised into run.json."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Optional

from .archs import AUTO as AUTO_ARCH, CHOICES as ARCH_CHOICES, help_text as arch_help
from .fields import opt

DATA, NETWORKS, GROWTH, LOOP, STYLEGAN2, SMALL, BUDGET, SPEED, SCALE, OUTPUT = (
    "data", "networks", "progressive growing", "the loop and its stabilisers", "stylegan2 training", "small data",
    "budget", "reproducibility and speed", "several processes (torchrun, --nproc)", "output")
data_opt = functools.partial(opt, group=DATA)
net_opt = functools.partial(opt, group=NETWORKS)
grow_opt = functools.partial(opt, group=GROWTH)
loop_opt = functools.partial(opt, group=LOOP)
sg2_opt = functools.partial(opt, group=STYLEGAN2)
small_opt = functools.partial(opt, group=SMALL)
budget_opt = functools.partial(opt, group=BUDGET)
speed_opt = functools.partial(opt, group=SPEED)
scale_opt = functools.partial(opt, group=SCALE)
out_opt = functools.partial(opt, group=OUTPUT)


@dataclass
class TrainConfig:
    data: str = data_opt("shapes", "image folder, .zip, or built-in name (shapes, fashion-mnist, mnist)", cli=False)
    out: str = out_opt("runs/ganvas", "run folder: checkpoints, samples, metrics, report", cli=False)
    data_root: Optional[str] = data_opt(None, "where built-in datasets are looked up and downloaded")
    resolution: Optional[int] = data_opt(None, "image size, a power of two from 16 to 256 (built-ins pick their own)")
    channels: Optional[int] = data_opt(None, "1 or 3; by default 1 when every image is grayscale, else 3")
    fit: str = data_opt("crop", "how other aspect ratios become square", choices=("crop", "pad"))
    flip: bool = data_opt(False, "random horizontal flips")
    conditional: bool = data_opt(False, "condition G and D on class labels (subfolders or built-in labels)")

    arch: str = net_opt(AUTO_ARCH, arch_help(), choices=ARCH_CHOICES)
    z_dim: int = net_opt(100, "latent size")
    width: Optional[int] = net_opt(None, "channels next to the image, doubling as resolution halves (DCGAN ngf=ndf; "
                                   "MLP: hidden width / 4) (auto: 64 for dcgan, 32 on folders under 5,000 images, and for mlp; 2048 / resolution for "
                                   "msg, stylegan2 and resnet, 16384 / resolution on a GPU)")
    arch_options: tuple[str, ...] = net_opt((), "options of the chosen --arch as KEY=VALUE ..., e.g. max_channels=128, "
                                            "mapping_layers=8 (stylegan2), blocks=2 (resnet); a wrong key lists "
                                            "the arch's options")
    spectral_norm: bool = net_opt(False, "spectral normalisation on D's layers")

    progressive: bool = grow_opt(False, "grow G and D from 8 px to --resolution, fading each level in (dcgan)")
    grow_kimg: Optional[float] = grow_opt(None, "thousands of images per level's training, and again per fade-in "
                                          "(auto: growing takes half the run, timed on this machine for --minutes)")
    level_batch: tuple[int, ...] = grow_opt((), "batch size per level, 8 px first (missing levels: --batch-size)")
    reset_adam: bool = grow_opt(False, "Adam forgets its moments at each new level (ProGAN does)")

    loss: Optional[str] = loop_opt(None, "GAN loss; rpgan is the relativistic pairing loss, regularised with R1+R2; "
                                   "rahinge the relativistic average hinge (auto: rpgan for resnet, ns otherwise)",
                                   choices=("ns", "minimax", "hinge", "ls", "rpgan", "rahinge"))
    lr_g: Optional[float] = loop_opt(None, "generator learning rate (auto: 2e-4; 3e-3 for msg, 2.5e-3 for stylegan2)")
    lr_d: Optional[float] = loop_opt(None, "discriminator learning rate (auto: as --lr-g)")
    beta1: Optional[float] = loop_opt(None, "Adam beta1 (auto: 0.5; 0 for msg, stylegan2 and resnet)")
    beta2: Optional[float] = loop_opt(None, "Adam beta2 (auto: 0.999; 0.99 for msg, stylegan2 and resnet)")
    label_smoothing: float = loop_opt(0.0, "one-sided: real targets become 1 - this")
    skip_d_below: Optional[float] = loop_opt(None, "skip D's step while its loss is below this")
    ema: float = loop_opt(0.999, "EMA decay of G's weights (0 turns EMA off)")
    recover: bool = loop_opt(True, "on NaN/inf or exploding losses, roll back and halve both LRs")
    auto_stabilize: bool = loop_opt(False, "apply the diagnostics' remedies automatically")
    lr_drop_at: Optional[float] = loop_opt(None, "the lesson's sudden LR drop: once this share of the budget "
                                           "(--steps, --epochs or --minutes) is spent, e.g. 0.8, multiply both "
                                           "learning rates by --lr-drop-factor")
    lr_drop_factor: float = loop_opt(0.1, "what --lr-drop-at multiplies the learning rates by")

    style_mixing: float = sg2_opt(0.9, "probability that a batch switches to a second latent's styles at a "
                                  "random layer")
    pl_weight: float = sg2_opt(2.0, "path-length regularisation weight (0 turns it off)")
    pl_every: int = sg2_opt(4, "lazy regularisation: the path-length penalty every N G steps")

    augment: str = small_opt("auto", "augmentation seen by D on reals and fakes (auto: on for folders of a few "
                             "thousand images or fewer)", choices=("auto", "none", "diffaugment", "ada"))
    augment_policy: tuple[str, ...] = small_opt(("color", "translation", "cutout"), "DiffAugment's operations")
    ada_target: float = small_opt(0.6, "ADA raises p while E[sign(D(real))] is above this")
    ada_kimg: float = small_opt(100.0, "ADA: thousands of images for p to move by 1")
    r1_gamma: Optional[float] = small_opt(None, "R1 gradient penalty on reals (and R2 on fakes with --loss rpgan) "
                                          "(auto: 0 for dcgan and mlp; 0.0002 * resolution^2 / batch for msg and "
                                          "stylegan2, StyleGAN2-ADA's rule; 0.05 * (resolution / 32)^2 for resnet; "
                                          "0 turns it off)")
    r1_every: int = small_opt(16, "lazy regularisation: the penalty every N D steps (1: every step)")

    steps: Optional[int] = budget_opt(None, "total steps the run aims for")
    epochs: Optional[float] = budget_opt(None, "total epochs the run aims for")
    minutes: Optional[float] = budget_opt(None, "stop after this many minutes of training in this process")
    batch_size: Optional[int] = budget_opt(None, "images per step (auto: 32 for dcgan on folders under 5,000 images, "
                                           "64 otherwise)")

    seed: int = speed_opt(0, "random seed")
    deterministic: bool = speed_opt(False, "deterministic kernels, so a run repeats bit for bit")
    precision: str = speed_opt("auto", "bf16 autocast where the CPU/GPU supports it; fp16 scales the losses "
                               "(GPUs without bf16)", choices=("auto", "bf16", "fp16", "fp32"))
    device: str = speed_opt("auto", "cpu, cuda, cuda:N or auto (under torchrun: cuda:LOCAL_RANK)")
    threads: Optional[int] = speed_opt(None, "CPU threads (default: PyTorch's choice)")
    compile: bool = speed_opt(False, "torch.compile G and D (worth it on GPUs; the first steps compile)")

    batch_per_rank: Optional[int] = scale_opt(None, "images per process per step; --batch-size becomes this "
                                              "times the processes (default: --batch-size / processes)")
    accumulate: int = scale_opt(1, "split each process's batch into N passes whose gradients add up before "
                                "the step: less memory, the same batch")
    sync_bn: bool = scale_opt(True, "BatchNorm statistics over every process's images, as in one process")
    dist_timeout: float = scale_opt(300.0, "seconds a process waits for the others before the whole job ends")

    log_every: int = out_opt(50, "steps between metric records and progress syncs")
    sample_every: int = out_opt(500, "steps between sample grids")
    checkpoint_every: int = out_opt(1000, "steps between checkpoints")
    eval_every: int = out_opt(0, "steps between the cheap in-loop metric (0: with each checkpoint)")
    eval_samples: int = out_opt(256, "samples used by the in-loop metric")
    tensorboard: bool = out_opt(True, "write TensorBoard events when tensorboard is installed")
