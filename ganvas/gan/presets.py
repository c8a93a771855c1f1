"""Defaults that depend on the data and the architecture: the one place where "auto" becomes a value.

A folder of a few hundred pictures is the common case for "my own images", and the hardest: D
memorises it within minutes. Augmentation that D sees on reals and fakes alike is what the published
small-data recipes share (DiffAugment, ADA), and a DCGAN of half the width trains 3.5 times the
steps in the same minutes; together, in 10 minutes on 273 icons, they cut KID to 0.60x and SWD to
0.43x of the classic recipe's (docs/small-data.md). Built-in sets are large (12,000 images or more)
and keep the classic DCGAN recipe.

Each modern family then brings its own paper's recipe (docs/architectures.md): Adam (0, 0.99) with
one learning rate for G and D, and its loss and R1 weight. Their width is StyleGAN's channel base
over the resolution: 2048 on a CPU (32 channels next to a 64 px image), the paper's 16384 (up to 512
channels) on a GPU.
"""
from __future__ import annotations

import dataclasses

from ..config import TrainConfig
from ..config.archs import AUTO as AUTO_ARCH, NAMES as ARCH_FAMILIES

SMALL_DATA = 5_000  # images; below this a folder counts as small

CLASSIC = {"augment": "none", "r1_gamma": 0.0, "beta1": 0.5}
SMALL = {"augment": "diffaugment", "r1_gamma": 0.0, "beta1": 0.5}
# What DCGAN and the MLP have always used; the modern families override some of it.
BASE = {"loss": "ns", "lr_g": 2e-4, "beta2": 0.999}

ARCH_RECIPES = {
    # MSG-GAN's code: Adam (0, 0.99), 0.003 for G and D; the loss is the one docs/architectures.md measured better.
    "msg": {"loss": "ns", "lr_g": 3e-3, "beta1": 0.0, "beta2": 0.99},
    # StyleGAN2-ADA's auto config: non-saturating loss with lazy R1, lr 0.0025, Adam (0, 0.99).
    "stylegan2": {"loss": "ns", "lr_g": 2.5e-3, "beta1": 0.0, "beta2": 0.99},
    # R3GAN: RpGAN with R1 + R2, Adam beta1 0 and its starting lr 2e-4 and beta2 0.9 -> 0.99 (its end value).
    "resnet": {"loss": "rpgan", "lr_g": 2e-4, "beta1": 0.0, "beta2": 0.99},
}
CPU_CHANNEL_BASE, GPU_CHANNEL_BASE, GPU_MAX_CHANNELS = 2048, 16384, 512
CLASSIC_WIDTH = 64
# A few hundred images need far fewer channels than 60,000 do; at a quarter of the cost per step,
# the same minutes buy four times the steps. Half the batch then buys twice the steps again, which on
# a few hundred images is worth more than the cleaner gradient of a larger one (docs/small-data.md).
SMALL_DCGAN_WIDTH, SMALL_DCGAN_BATCH = 32, 32
CLASSIC_BATCH = 64

AUTO_FIELDS = ("augment", "r1_gamma", "beta1", "beta2", "loss", "lr_g", "lr_d", "width", "batch_size")


def is_small(n_images: int, builtin: bool) -> bool:
    return not builtin and n_images < SMALL_DATA


def r1_rule(arch: str, resolution: int, batch: int, small_value: float) -> float:
    """The R1 weight a family's paper uses at this size (docs/architectures.md)."""
    if arch == "resnet":  # R3GAN's CIFAR-10 value at 32 px, grown with the pixel count (0.2 at 64 px, its FFHQ-64 end)
        return 0.05 * (resolution / 32) ** 2
    return max(0.0002 * resolution ** 2 / batch, small_value)  # StyleGAN2-ADA's heuristic


def recipe(cfg: TrainConfig, n_images: int, builtin: bool, gpu: bool) -> dict:
    """Every auto field's value for this run, before the user's own choices."""
    chosen = {**BASE, **(SMALL if is_small(n_images, builtin) else CLASSIC)}
    narrow = cfg.arch == "dcgan" and is_small(n_images, builtin)
    chosen["batch_size"] = SMALL_DCGAN_BATCH if narrow else CLASSIC_BATCH
    if cfg.arch in ARCH_RECIPES:
        chosen.update(ARCH_RECIPES[cfg.arch])
        batch = cfg.batch_size or chosen["batch_size"]
        chosen["r1_gamma"] = r1_rule(cfg.arch, cfg.resolution, batch, chosen["r1_gamma"])
        base = GPU_CHANNEL_BASE if gpu else CPU_CHANNEL_BASE
        chosen["width"] = max(1, min(base // cfg.resolution, GPU_MAX_CHANNELS))
    else:
        chosen["width"] = SMALL_DCGAN_WIDTH if narrow else CLASSIC_WIDTH
    chosen["lr_d"] = cfg.lr_g if cfg.lr_g is not None else chosen["lr_g"]
    return chosen


def auto_arch(cfg: TrainConfig, n_images: int, builtin: bool) -> str:
    """The family `--arch auto` trains on this data (docs/architectures.md, "Which family for which data").

    Every equal-time measurement so far picks DCGAN: in 10 minutes on 273 icons at 64 px, one CPU
    thread each, its small-data recipe reached KID 0.118 against 0.217 for msg, 0.280 for resnet and
    0.315 for stylegan2, which cost 11-16 times more per image and trained barely 150 steps. At 128 px in
    15 minutes DCGAN stays the best too: KID 0.206 against 0.208 for msg (whose SWD is 4.7 times worse),
    0.274 for resnet, 0.339 for stylegan2 and 0.364 for a growing DCGAN. The built-in sets keep the
    recipe measured on them. What is not measured yet (256 px, GPUs) keeps DCGAN too, until a
    measurement says otherwise. A rule that picks another family must keep DCGAN
    for `--progressive`, the one family that grows.
    """
    return "dcgan"


def resolve(cfg: TrainConfig, n_images: int, builtin: bool, gpu: bool = False) -> TrainConfig:
    """`cfg` with every field left at "auto" (or None) set for data of this size and this architecture.

    On a GPU the modern families also get the paper's channel cap, unless --arch-options sets one.
    """
    if cfg.arch == AUTO_ARCH:
        cfg = dataclasses.replace(cfg, arch=auto_arch(cfg, n_images, builtin))
    preset = recipe(cfg, n_images, builtin, gpu)
    chosen = {name: preset[name] for name in AUTO_FIELDS if getattr(cfg, name) in (None, "auto")}
    options = cfg.arch_options
    if gpu and cfg.arch in ARCH_RECIPES and not any(o.startswith("max_channels=") for o in options):
        options = (*options, f"max_channels={GPU_MAX_CHANNELS}")
    return dataclasses.replace(cfg, arch_options=options, **chosen)
