"""sample, interpolate and export from run folders, through the library and the CLI."""
import json
import math
import shutil

import imageio.v3 as iio
import pytest
import torch
from PIL import Image

from ganvas import generate
from ganvas.cli import main
from ganvas.models.export import META_FILE

from tests.generators import RUN_0_1, make_run


# ---- from a run folder ----------------------------------------------------------------------------


def test_sample_interpolate_export_from_a_run(tmp_path):
    run, g, meta = make_run(tmp_path / "run", num_classes=3)
    paths = generate.sample(run, n=6, out=tmp_path / "samples", seed=2)
    assert len(paths) == 6
    (grid,) = generate.sample(run, n=6, out=tmp_path / "grid.png", grid=True)
    with Image.open(grid) as img:
        assert img.size == (3 * 18 + 2, 2 * 18 + 2)  # one column per class
    walk = generate.interpolate(run, out=tmp_path / "walk.gif", keys=2, frames=3)
    assert iio.imread(walk, index=None).shape[0] == 6
    exported = generate.export(run, format="torchscript")
    assert exported == run / "export" / "generator.pt" and exported.exists()


@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:FutureWarning")
def test_a_ganvas_0_1_run_folder_still_samples(tmp_path):
    run = tmp_path / "legacy"
    shutil.copytree(RUN_0_1, run)
    before = {p.name: p.read_bytes() for p in (run / "checkpoints").iterdir()}
    paths = generate.sample(run, n=5, out=tmp_path / "samples", seed=1)
    with Image.open(paths[0]) as img:
        assert len(paths) == 5 and img.size == (16, 16) and img.mode == "RGB"
    walk = generate.interpolate(run, out=tmp_path / "walk.gif", keys=2, frames=3)
    assert iio.imread(walk, index=None).shape[:3] == (6, 16, 16)
    exported = generate.export(run, format="torchscript")
    extra = {META_FILE: ""}
    loaded = torch.jit.load(str(exported), _extra_files=extra)
    meta = json.loads(extra[META_FILE])
    assert meta["z_dim"] == 8 and meta["resolution"] == 16 and meta["width"] == 4
    with torch.no_grad():
        assert loaded(torch.randn(3, 8)).shape == (3, 3, 16, 16)
    assert {p.name: p.read_bytes() for p in (run / "checkpoints").iterdir()} == before  # read, never written


def test_cli_commands_print_their_outputs(tmp_path, capsys):
    run, _, _ = make_run(tmp_path / "run")
    assert main(["sample", str(run), "--n", "4", "--out", str(tmp_path / "s"), "--grid", "--seed", "1",
                 "--truncation", "0.8"]) == 0
    assert (tmp_path / "s" / "grid-seed1.png").exists()
    assert main(["interpolate", str(run), "--out", str(tmp_path / "w.gif"), "--keys", "2", "--frames", "2"]) == 0
    assert main(["export", str(run), "--format", "torchscript", "--out", str(tmp_path / "g.pt")]) == 0
    out = capsys.readouterr().out
    assert "grid-seed1.png" in out and "w.gif" in out and "g.pt" in out


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert main(["sample", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err.strip()
    assert "nowhere" in err and "\n" not in err
    run, _, _ = make_run(tmp_path / "run")
    assert main(["interpolate", str(run), "--out", str(tmp_path / "w.avi")]) == 2
    assert ".gif or .mp4" in capsys.readouterr().err


def test_cli_defaults_come_from_the_library():
    from ganvas.cli import build_parser

    args = build_parser().parse_args(["sample", "RUN"])
    import inspect

    signature = inspect.signature(generate.sample).parameters
    assert args.n == signature["n"].default and args.out == signature["out"].default
    walk_args = build_parser().parse_args(["interpolate", "RUN"])
    assert walk_args.frames == inspect.signature(generate.interpolate).parameters["frames"].default


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:FutureWarning")
def test_after_real_training(tmp_path):
    from ganvas.gan.train import train

    run = tmp_path / "run"
    train(data="shapes", out=str(run), steps=2, resolution=16, width=4, batch_size=8, z_dim=8,
          tensorboard=False, checkpoint_every=1)
    assert main(["sample", str(run), "--n", "9", "--out", str(tmp_path / "s"), "--grid"]) == 0
    assert main(["interpolate", str(run), "--out", str(tmp_path / "w.gif"), "--keys", "3", "--frames", "2"]) == 0
    assert iio.imread(tmp_path / "w.gif", index=None).shape[0] <= 6
    assert main(["export", str(run), "--format", "torchscript"]) == 0
    assert (run / "export" / "generator.pt").exists()
    with torch.no_grad():
        images = torch.jit.load(str(run / "export" / "generator.pt"))(torch.randn(2, 8))
    assert images.shape == (2, 3, 16, 16) and math.isfinite(float(images.sum()))
