"""Sampling a StyleGAN2 run: truncation in W, the style mixing grid, walks in W, and every other arch's paths."""
import json

import imageio.v3 as iio
import pytest
import torch
from PIL import Image

from ganvas import checkpoint, generate
from ganvas.cli import main
from ganvas.errors import GanvasError
from ganvas.models import ModelSpec, build_generator
from ganvas.models.invoke import generate as invoke, map_latents
from ganvas.models.latent import LatentSampler
from ganvas.wspace import style_mix_grid, walk_in_w

MODERN_TINY = {"width": 4, "max_channels": 8}


def _spec(arch="stylegan2", num_classes=0):
    return ModelSpec(arch, z_dim=8, resolution=16, channels=3, num_classes=num_classes,
                     classes=tuple(f"c{i}" for i in range(num_classes)), options=dict(MODERN_TINY))


def _generator(arch="stylegan2", num_classes=0):
    torch.manual_seed(0)
    g = build_generator(_spec(arch, num_classes)).eval()
    if arch == "stylegan2":
        with torch.no_grad():
            g.mapping.w_avg.normal_()
    return g, _spec(arch, num_classes)


def _run(folder, arch="stylegan2", num_classes=0):
    g, shape = _generator(arch, num_classes)
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"config": {}, "seed": 0}))
    ema = {k: v.clone() for k, v in checkpoint.module_tensors("ema", g).items()}
    tensors = {**checkpoint.module_tensors("G", g), **ema}
    checkpoint.save(folder, 5, tensors, {"model": shape.to_dict(), "config": {}})
    return folder


def test_style_mix_grid_has_sources_on_the_edges_and_their_mixes_inside():
    g, shape = _generator()
    cells, nrow = style_mix_grid(g, shape, 1, 2, n=3)
    assert nrow == 4 and cells.shape == (16, 3, 16, 16) and cells.dtype == torch.uint8
    assert (cells[0] == 255).all()  # the empty corner
    sampler = LatentSampler(8)
    tops = invoke(g, sampler.fixed(3, 2)[0])
    lefts = invoke(g, sampler.fixed(3, 1)[0])
    as_uint8 = lambda x: ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)  # noqa: E731
    assert torch.equal(cells[1:4], as_uint8(tops)) and torch.equal(cells[4], as_uint8(lefts[0]))
    mixed = cells[5]  # A's first image with B's first image's coarse styles: neither source
    assert not torch.equal(mixed, cells[4]) and not torch.equal(mixed, cells[1])


def test_style_mix_needs_a_mapping_network():
    g, shape = _generator("resnet")
    with pytest.raises(GanvasError, match="stylegan2"):
        style_mix_grid(g, shape, 1, 2, n=2)


def test_walk_in_w_passes_through_the_keys_w():
    g, shape = _generator()
    frames = walk_in_w(g, shape, keys=2, frames=3, seed=4)
    assert frames.shape == (6, 3, 16, 16)
    key_z, _ = LatentSampler(8).fixed(2, 4)
    at_keys = invoke(g, map_latents(g, key_z), latent="w")
    assert torch.equal(frames[[0, 3]], ((at_keys.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8))


def test_truncation_zero_is_allowed_in_w_only(tmp_path):
    run = _run(tmp_path / "sg2")
    (path,) = generate.sample(run, n=4, out=tmp_path / "avg.png", grid=True, truncation=0.0)
    with Image.open(path) as img:
        tiles = [img.crop((2 + 18 * i, 2, 18 + 18 * i, 18)).tobytes() for i in range(2)]
    assert tiles[0] == tiles[1]  # psi 0: the average image, whatever z
    other = _run(tmp_path / "resnet", "resnet")
    with pytest.raises(GanvasError, match="positive"):
        generate.sample(other, n=2, out=tmp_path / "x", truncation=0.0)


@pytest.mark.parametrize("arch", ["msg", "stylegan2", "resnet"])
def test_sample_interpolate_and_export_work_for_every_modern_arch(tmp_path, arch):
    run = _run(tmp_path / arch, arch, num_classes=2)
    assert len(generate.sample(run, n=3, out=tmp_path / "s", seed=1, truncation=0.7)) == 3
    walk = generate.interpolate(run, out=tmp_path / "w.gif", keys=2, frames=2)
    assert iio.imread(walk, index=None).shape[:3] == (4, 16, 16)
    assert generate.export(run, format="torchscript").exists()


def test_cli_writes_the_style_mix_grid(tmp_path, capsys):
    run = _run(tmp_path / "run")
    assert main(["sample", str(run), "--style-mix", "3", "4", "--n", "2", "--out", str(tmp_path / "mix")]) == 0
    path = tmp_path / "mix" / "style-mix-3-4.png"
    assert str(path) in capsys.readouterr().out
    with Image.open(path) as img:
        assert img.size == (3 * 18 + 2, 3 * 18 + 2)
