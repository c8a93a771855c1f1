"""GAN training and sampling speed: ganvas against a plain fp32 PyTorch loop of the same networks, one run.

The plain loop is the textbook DCGAN step (BCE, fp32, NCHW, batches from an in-memory float tensor);
ganvas is `ganvas.train` itself, EMA and bookkeeping included, reading its own img/s records. The two
alternate and each keeps its best round, so a busy moment on the machine hurts neither more.
Sampling times the path `ganvas sample` takes (`models.invoke.generate` with the placement it
chooses) against a plain fp32 NCHW forward of the same generator.
"""
from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from ganvas.device import Placement
from ganvas.gan.train import train
from ganvas.models import ModelSpec, build_discriminator, build_generator
from ganvas.models.invoke import generate
from ganvas.models.latent import LatentSampler

CASES = (  # name, resolution, channels, batch, width
    ("DCGAN-64", 64, 3, 64, 64),
    ("DCGAN-32", 32, 1, 64, 64),
)


def dcgan(resolution: int, channels: int, width: int) -> ModelSpec:
    return ModelSpec("dcgan", z_dim=100, resolution=resolution, channels=channels, options={"width": width})


def plain_loop_img_per_s(resolution: int, channels: int, batch: int, width: int, steps: int) -> float:
    torch.manual_seed(0)
    spec = dcgan(resolution, channels, width)
    G, D = build_generator(spec), build_discriminator(spec)  # both DCGAN-initialised already
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    data = torch.rand(batch * 8, channels, resolution, resolution) * 2 - 1
    ones, zeros = torch.ones(batch), torch.zeros(batch)
    warmup = 3
    for i in range(steps + warmup):
        if i == warmup:
            start = time.perf_counter()
        real = data[(i % 8) * batch:(i % 8 + 1) * batch]
        fake = G(torch.randn(batch, 100))
        opt_d.zero_grad()
        loss_d = F.binary_cross_entropy_with_logits(D(real), ones) + \
            F.binary_cross_entropy_with_logits(D(fake.detach()), zeros)
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad()
        F.binary_cross_entropy_with_logits(D(fake), ones).backward()
        opt_g.step()
    return steps * batch / (time.perf_counter() - start)


def ganvas_img_per_s(resolution: int, channels: int, batch: int, width: int, steps: int, folder: Path,
                     precision: str = "auto") -> float:
    out = folder / f"run-{resolution}-{precision}-{time.monotonic_ns()}"
    log_every = max(steps // 2, 1)
    # Sampling, checkpoints and the eval metric are placed past the end: this times the training steps.
    train(data="shapes", out=str(out), resolution=resolution, channels=channels, batch_size=batch, width=width,
          steps=2 * log_every, log_every=log_every, sample_every=10**9, checkpoint_every=10**9,
          eval_every=10**9, tensorboard=False, precision=precision)
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return [r for r in records if "img_per_s" in r][-1]["img_per_s"]


def plain_sampling_img_per_s(resolution: int, channels: int, width: int, n: int = 512) -> float:
    """The textbook forward: fp32, NCHW, batches of 64, under no_grad."""
    G = build_generator(dcgan(resolution, channels, width)).eval()
    z = torch.randn(n, 100)
    with torch.no_grad():
        G(z[:64])
        start = time.perf_counter()
        for chunk in z.split(64):
            G(chunk)
    return n / (time.perf_counter() - start)


def ganvas_sampling_img_per_s(resolution: int, channels: int, width: int, n: int = 512) -> tuple[float, str]:
    """`ganvas sample`'s path on the CPU: the placement it chooses, then `invoke.generate`; and that placement."""
    spec = dcgan(resolution, channels, width)
    placement = Placement.choose("cpu", "auto")
    G = placement.place(build_generator(spec))
    z, labels = LatentSampler(spec.z_dim, spec.num_classes).fixed(n, seed=0)
    generate(G, z[:64], None, placement=placement)
    start = time.perf_counter()
    generate(G, z, labels, placement=placement)
    return n / (time.perf_counter() - start), placement.describe()


def run(quick: bool = False) -> list[dict]:
    rounds, steps = (1, 10) if quick else (2, 40)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, res, ch, batch, width in CASES:
            plain, ours = 0.0, 0.0
            for _ in range(rounds):
                plain = max(plain, plain_loop_img_per_s(res, ch, batch, width, steps))
                ours = max(ours, ganvas_img_per_s(res, ch, batch, width, steps, Path(tmp)))
            rows.append({"name": f"{name} train, plain fp32 loop", "value": round(plain, 1), "unit": "img/s",
                         "note": f"width {width}, batch {batch}, {ch} channel(s)"})
            rows.append({"name": f"{name} train, ganvas", "value": round(ours, 1), "unit": "img/s",
                         "note": f"{ours / plain:.2f}x the plain loop (target >= 2.5x)"})
        for name, res, ch, _, width in CASES:
            plain = plain_sampling_img_per_s(res, ch, width)
            ours, where = ganvas_sampling_img_per_s(res, ch, width)
            rows.append({"name": f"{name} sampling, ganvas", "value": round(ours, 1), "unit": "img/s",
                         "note": f"{where}; plain fp32 forward: {plain:.1f} img/s ({ours / plain:.2f}x)"})
    return rows


if __name__ == "__main__":
    from .table import print_table

    print_table("GAN training and sampling (CPU)", run())
