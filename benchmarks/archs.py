"""What each architecture costs on this machine: GMAC per image and training images per second.

Protocol: every family at its CPU defaults (width from ganvas.gan.presets, the small-folder recipe:
DiffAugment, lazy R1, and for StyleGAN2 style mixing and path length), 3 channels, z_dim 100, at 64 and
128 px (16 and 32 with --quick). MACs are counted by PyTorch's FLOP counter over one forward (convs and
matmuls; MACs = FLOPs / 2), per image. Training speed runs the family's own algorithm on random
images in [-1, 1]: one warm-up step, then STEPS timed steps of BATCH images (the lazy phases land at
their usual rate only over long runs, so read ms/step as a typical step plus its share of them).
The rows run one after another; on a shared machine rerun before trusting a few %.
"""
from __future__ import annotations

import sys
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from ganvas.config import TrainConfig
from ganvas.device import Placement
from ganvas.gan import presets
from ganvas.gan.build import build_algorithm, model_spec
from ganvas.models.latent import LatentSampler

ARCHS = ("dcgan", "msg", "stylegan2", "resnet")
RESOLUTIONS, QUICK_RESOLUTIONS = (64, 128), (16, 32)
BATCH, STEPS, QUICK_STEPS = 16, 6, 2
SMALL_FOLDER = 300  # images: the presets' small-data recipe
TITLE = "Architectures: cost per image and training speed (CPU)"
COLUMNS = ["arch", "px", "width", "G params", "D params", "G GMAC/img", "D GMAC/img", "train img/s", "ms/step"]


def config(arch: str, resolution: int) -> TrainConfig:
    cfg = TrainConfig(arch=arch, resolution=resolution, channels=3, batch_size=BATCH, precision="auto")
    return presets.resolve(cfg, SMALL_FOLDER, builtin=False)


def gmac_per_image(module: torch.nn.Module, *inputs) -> float:
    with FlopCounterMode(display=False) as counter:
        module(*inputs)
    return counter.get_total_flops() / 2 / 1e9 / len(inputs[0])


def one_row(arch: str, resolution: int, steps: int) -> dict:
    cfg = config(arch, resolution)
    spec = model_spec(cfg, [])
    placement = Placement.choose("cpu", cfg.precision)
    torch.manual_seed(0)
    method = build_algorithm(cfg, spec, placement, LatentSampler(spec.z_dim))
    G, D = method.G, method.D
    z = torch.randn(2, spec.z_dim)
    g_macs = gmac_per_image(G.eval(), z)
    d_macs = gmac_per_image(D, torch.rand(2, 3, resolution, resolution) * 2 - 1)
    G.train()
    real = (torch.rand(BATCH, 3, resolution, resolution) * 2 - 1).contiguous(memory_format=placement.memory_format)
    method.step(real, None, 1)  # warm-up: oneDNN picks its kernels
    start = time.perf_counter()
    for step in range(2, 2 + steps):
        method.step(real, None, step)
    seconds = (time.perf_counter() - start) / steps
    count = lambda m: f"{sum(p.numel() for p in m.parameters()) / 1e6:.2f}M"  # noqa: E731
    return {"arch": arch, "px": resolution, "width": cfg.width, "G params": count(G), "D params": count(D),
            "G GMAC/img": round(g_macs, 3), "D GMAC/img": round(d_macs, 3),
            "train img/s": round(BATCH / seconds, 1), "ms/step": round(1000 * seconds)}


def run(quick: bool = False) -> tuple[list[dict], list[str]]:
    resolutions = QUICK_RESOLUTIONS if quick else RESOLUTIONS
    steps = QUICK_STEPS if quick else STEPS
    rows = []
    for resolution in resolutions:
        for arch in ARCHS:
            print(f"timing {arch} at {resolution} px", file=sys.stderr, flush=True)
            rows.append(one_row(arch, resolution, steps))
    placement = Placement.choose("cpu", "auto")
    notes = [f"batch {BATCH}, {steps} timed steps after one warm-up, {placement.describe()}, "
             f"{torch.get_num_threads()} threads; the small-folder recipe of each family (DiffAugment, lazy R1, ...)",
             "GMAC/img: one forward pass (PyTorch's FLOP counter / 2); a training image costs about "
             "3 G + 9 D forwards' worth, plus the lazy regularisers"]
    return rows, notes


def main(quick: bool = False) -> None:
    from .table import print_columns

    rows, notes = run(quick)
    print_columns(TITLE, COLUMNS, rows, notes)


if __name__ == "__main__":
    main("--quick" in sys.argv)
