"""A stand-in feature network: fast and deterministic."""
from __future__ import annotations

import json
from pathlib import Path

import torch
from PIL import Image

import ganvas.runs
from ganvas.metrics.inception import Inception
from ganvas.models import ModelSpec


class TinyFeatures(torch.nn.Module):
    """Pools 299 px images to 8x8 and projects them to 64 features; counts the images it sees.

    Fewer features than Inception's 2048 keep FID's eigen-decompositions cheap in tests.
    """

    def __init__(self):
        super().__init__()
        self.project = torch.nn.Linear(3 * 8 * 8, 64)
        torch.nn.init.normal_(self.project.weight, generator=torch.Generator().manual_seed(0))
        self.seen = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        assert x.shape[1:] == (3, 299, 299)
        self.seen += len(x)
        return self.project(torch.nn.functional.adaptive_avg_pool2d(x, 8).flatten(1))


def tiny_inception() -> Inception:
    return Inception(net=TinyFeatures().eval(), path=Path("tiny.pt"), sha256="0" * 64)


class Stripes(torch.nn.Module):
    """A generator of 16 px grayscale gradients whose brightness follows z[0]."""

    def forward(self, z, labels=None):
        return torch.tanh(z[:, :1, None, None].expand(-1, 1, 16, 16) + torch.linspace(-1, 1, 16))


def fake_run(tmp_path: Path, monkeypatch) -> Path:
    """A run folder trained on 24 random 16 px images, whose generator is `Stripes`."""
    data = tmp_path / "images"
    data.mkdir()
    pixels = torch.randint(0, 256, (24, 16, 16), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    for i, image in enumerate(pixels):
        Image.fromarray(image.numpy()).save(data / f"{i}.png")
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"dataset": {"source": str(data)}}))
    spec = ModelSpec("stripes", z_dim=4, resolution=16, channels=1)
    monkeypatch.setattr(ganvas.runs, "load_generator", lambda run, which="ema": (Stripes(), spec))
    return run
