"""Generators and run folders for the tests of what a trained G makes: images, walks, exports."""
import json
from pathlib import Path

import torch

from ganvas import checkpoint
from ganvas.models import ModelSpec, build_generator

CLASSES = ["circle", "square", "triangle"]
RUN_0_1 = Path(__file__).resolve().parent / "fixtures" / "run-0.1"


def spec(arch="dcgan", num_classes=0, channels=3, resolution=16, **options):
    return ModelSpec(arch, z_dim=8, resolution=resolution, channels=channels, num_classes=num_classes,
                     classes=tuple(CLASSES[:num_classes]), options={"width": 4, **options})


def make_generator(num_classes=0, channels=3, arch="dcgan", resolution=16):
    torch.manual_seed(0)
    shape = spec(arch, num_classes, channels, resolution)
    g = build_generator(shape)
    with torch.no_grad():  # a fresh G paints flat grey; louder weights give images that differ visibly
        for p in g.parameters():
            p.mul_(8)
    return g.eval(), shape


def make_run(folder, num_classes=0):
    """A run folder as the training loop leaves it: run.json and one checkpoint with G and its EMA."""
    g, shape = make_generator(num_classes)
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"config": {}, "seed": 0}))
    ema = {k: v.clone() for k, v in checkpoint.module_tensors("ema", g).items()}
    tensors = {**checkpoint.module_tensors("G", g), **ema}
    checkpoint.save(folder, 5, tensors, {"model": shape.to_dict(), "config": {}})
    return folder, g, shape


class LabelPainter(torch.nn.Module):
    """A conditional generator whose every pixel is its label (scaled into [-1, 1]); it records the labels."""

    def __init__(self, num_classes=3):
        super().__init__()
        self.num_classes, self.seen = num_classes, []

    def forward(self, z, labels=None):
        assert labels is not None and labels.shape == (len(z),)
        self.seen.append(labels.clone())
        level = labels.float() / (self.num_classes - 1) * 2 - 1
        return level[:, None, None, None].expand(-1, 1, 4, 4)
