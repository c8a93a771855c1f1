import json
import math
import shutil
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
import torch
from PIL import Image

from ganvas import checkpoint, generate
from ganvas.cli import main
from ganvas.device import Placement, cpu_has_bf16
from ganvas.errors import GanvasError
from ganvas.models import ModelSpec, build_generator
from ganvas.models.export import META_FILE
from ganvas.models.invoke import generate as invoke
from ganvas.models.latent import LatentSampler
from ganvas.pixels import to_uint8

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


# ---- images from (G, meta) ------------------------------------------------------------------------


def test_render_gives_bytes_repeatable_per_seed():
    g, meta = make_generator()
    a = generate.render(g, meta, n=70, seed=1)
    assert a.shape == (70, 3, 16, 16) and a.dtype == torch.uint8
    assert torch.equal(a, generate.render(g, meta, n=70, seed=1))
    assert not torch.equal(a, generate.render(g, meta, n=70, seed=2))
    assert a.float().std() > 10


def test_render_reports_progress_to_the_total():
    g, meta = make_generator()
    events = []
    generate.render(g, meta, n=70, seed=0, progress=events.append)
    assert [e.kind for e in events] == ["start", "update", "update", "end"]
    assert events[-1].step == events[-1].total == 70


def test_conditional_render_cycles_classes_and_takes_names():
    g, meta = make_generator(num_classes=3)
    assert generate.label_tensor(None, meta, 7).tolist() == [0, 1, 2, 0, 1, 2, 0]
    assert generate.label_tensor(["triangle", "0"], meta, 3).tolist() == [2, 0, 2]
    one = generate.render(g, meta, n=4, seed=0, labels=["square"])
    assert one.shape == (4, 3, 16, 16)
    with pytest.raises(GanvasError, match="--label hexagon.*circle, square, triangle"):
        generate.render(g, meta, n=2, seed=0, labels=["hexagon"])


def test_labels_for_an_unconditional_run_are_refused():
    g, meta = make_generator()
    with pytest.raises(GanvasError, match="--label"):
        generate.render(g, meta, n=2, seed=0, labels=[1])


@pytest.mark.parametrize("bad", [0, -0.5])
def test_bad_truncation_and_count_are_one_line_errors(bad):
    g, meta = make_generator()
    with pytest.raises(GanvasError, match="--truncation"):
        generate.render(g, meta, n=2, seed=0, truncation=bad)
    with pytest.raises(GanvasError, match="--n 0"):
        generate.render(g, meta, n=0, seed=0)


class Truncating(torch.nn.Module):
    """A generator that truncates by itself (as a StyleGAN does in W); it records what it was given."""

    def __init__(self):
        super().__init__()
        self.given = []

    def forward(self, z, labels=None, *, truncation=None):
        self.given.append((z.clone(), truncation))
        return torch.zeros(len(z), 1, 4, 4)


def test_a_generator_that_truncates_itself_gets_plain_latents_and_the_value():
    g = Truncating()
    generate.render(g, spec(), n=50, seed=0, truncation=0.5)
    (z, truncation), = g.given
    assert truncation == 0.5 and z.abs().max() > 1  # not clipped in z space
    assert torch.equal(z, LatentSampler(8).fixed(50, seed=0)[0])


def test_truncation_makes_images_closer_to_the_average():
    g, meta = make_generator()
    spread = lambda x: x.float().std(0).mean()  # noqa: E731
    plain = generate.render(g, meta, n=64, seed=0)
    tight = generate.render(g, meta, n=64, seed=0, truncation=0.2)
    assert spread(tight) < spread(plain)


def test_bf16_images_stay_close_to_fp32():
    g, meta = make_generator()
    fp32 = generate.render(g, meta, n=16, seed=0)
    bf16 = generate.render(g, meta, n=16, seed=0, placement=Placement(torch.device("cpu"), True))
    assert (fp32.float() - bf16.float()).abs().mean() < 4  # of 255 levels


def test_sample_runs_where_the_hardware_is_fastest(tmp_path, monkeypatch):
    import ganvas.models.invoke

    run, _, _ = make_run(tmp_path / "run")
    used = []
    real_generate = ganvas.models.invoke.generate

    def recording(G, z, labels=None, *, placement=None, **kw):
        used.append((placement, next(G.parameters())))
        return real_generate(G, z, labels, placement=placement, **kw)

    monkeypatch.setattr(ganvas.models.invoke, "generate", recording)
    generate.sample(run, n=3, out=tmp_path / "s")
    generate.interpolate(run, out=tmp_path / "w.gif", keys=2, frames=2)
    assert len(used) == 2
    for placement, weight in used:
        assert placement == Placement.choose("auto", "auto")
        assert weight.device.type == placement.device.type
        if placement.device.type == "cpu":
            assert placement.bf16 == cpu_has_bf16()


# ---- PNG files ------------------------------------------------------------------------------------


def test_one_png_per_image(tmp_path):
    g, meta = make_generator(channels=1)
    images = generate.render(g, meta, n=5, seed=0)
    paths = generate.write_samples(images, tmp_path / "out", grid=False, seed=3)
    assert len(paths) == 5 and len(set(paths)) == 5
    with Image.open(paths[2]) as img:
        assert img.size == (16, 16) and img.mode == "L"
        assert torch.equal(torch.from_numpy(np.array(img)), images[2, 0])


def test_grid_tiles_every_image(tmp_path):
    g, meta = make_generator()
    images = generate.render(g, meta, n=10, seed=0)
    (path,) = generate.write_samples(images, tmp_path / "grid", grid=True, seed=0)
    cols, rows = 4, 3  # ceil(sqrt(10)) columns
    with Image.open(path) as img:
        assert img.mode == "RGB" and img.size == (cols * 18 + 2, rows * 18 + 2)
        tile = torch.from_numpy(np.array(img)[2 + 18:2 + 18 + 16, 2:18]).permute(2, 0, 1)
    assert torch.equal(tile, images[cols])


def test_grid_as_a_named_png(tmp_path):
    g, meta = make_generator()
    images = generate.render(g, meta, n=4, seed=0)
    target = tmp_path / "grid.png"
    assert generate.write_samples(images, target, grid=True, seed=0) == [target]
    generate.write_samples(images, target, grid=True, seed=1)  # our own file may be replaced
    mine = tmp_path / "mine.png"
    Image.new("RGB", (4, 4)).save(mine)
    before = mine.read_bytes()
    with pytest.raises(GanvasError, match="did not write"):
        generate.write_samples(images, mine, grid=True, seed=0)
    assert mine.read_bytes() == before


def test_a_folder_of_other_files_is_never_written_into(tmp_path):
    g, meta = make_generator()
    images = generate.render(g, meta, n=2, seed=0)
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "holiday.png").write_bytes(b"precious")
    with pytest.raises(GanvasError, match="did not write"):
        generate.write_samples(images, folder, grid=False, seed=0)
    assert sorted(p.name for p in folder.iterdir()) == ["holiday.png"]


def test_rerunning_into_our_own_folder_is_allowed(tmp_path):
    g, meta = make_generator()
    images = generate.render(g, meta, n=2, seed=0)
    first = generate.write_samples(images, tmp_path / "s", grid=False, seed=0)
    second = generate.write_samples(images, tmp_path / "s", grid=False, seed=0)
    assert first == second and all(p.exists() for p in second)


def test_out_that_is_a_file_or_a_jpeg_is_refused(tmp_path):
    g, meta = make_generator()
    images = generate.render(g, meta, n=1, seed=0)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(GanvasError, match="is a file"):
        generate.write_samples(images, tmp_path / "notes.txt", grid=False, seed=0)
    with pytest.raises(GanvasError, match="PNG"):
        generate.write_samples(images, tmp_path / "grid.jpg", grid=True, seed=0)


# ---- walks ----------------------------------------------------------------------------------------


def test_gif_has_one_frame_per_step_and_loops(tmp_path):
    g, meta = make_generator()
    frames = generate.walk(g, meta, keys=3, frames=5, seed=0)
    assert frames.shape == (15, 3, 16, 16)
    path = generate.write_video(frames, tmp_path / "walk.gif", fps=10)
    stack = iio.imread(path, index=None)
    assert stack.shape[:3] == (15, 16, 16)
    assert iio.immeta(path)["loop"] == 0
    generate.write_video(frames, path, fps=10)  # a rerun replaces our own GIF


def test_mp4_when_imageio_ffmpeg_is_installed(tmp_path):
    pytest.importorskip("imageio_ffmpeg", reason="MP4 output is the optional extra ganvas[video]")
    g, meta = make_generator(channels=1)
    path = generate.write_video(generate.walk(g, meta, keys=2, frames=4, seed=0), tmp_path / "walk.mp4", fps=8)
    import imageio.v2 as imageio

    with imageio.get_reader(str(path), format="FFMPEG") as reader:
        assert sum(1 for _ in reader) == 8
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_walk_passes_through_the_key_images():
    g, meta = make_generator()
    frames = generate.walk(g, meta, keys=4, frames=3, seed=7)
    key_latents, _ = LatentSampler(8).fixed(4, seed=7)
    assert torch.equal(frames[::3], to_uint8(invoke(g, key_latents)))


@pytest.mark.parametrize("seed", [4, 5])
def test_conditional_walk_keeps_one_class(seed):
    g = LabelPainter(num_classes=3)
    meta = spec(num_classes=3)
    frames = generate.walk(g, meta, keys=3, frames=40, seed=seed)  # 120 frames: two batches
    assert frames.shape == (120, 1, 4, 4) and len(g.seen) == 2
    labels = torch.cat(g.seen)
    assert labels.tolist() == [seed % 3] * 120
    assert len(frames.unique()) == 1  # every frame painted with that one class


def test_conditional_samples_take_every_class_in_turn():
    g = LabelPainter(num_classes=3)
    generate.render(g, spec(num_classes=3), n=7, seed=0)
    assert torch.cat(g.seen).tolist() == [0, 1, 2, 0, 1, 2, 0]


def test_walk_arguments_are_checked():
    g, meta = make_generator()
    with pytest.raises(GanvasError, match="--keys 1"):
        generate.walk(g, meta, keys=1, frames=4, seed=0)
    with pytest.raises(GanvasError, match="--frames 0"):
        generate.walk(g, meta, keys=2, frames=0, seed=0)


def test_video_targets_are_checked(tmp_path, monkeypatch):
    with pytest.raises(GanvasError, match=r"\.gif or \.mp4"):
        generate.check_video_target(tmp_path / "walk.avi")
    with pytest.raises(GanvasError, match="--fps 0"):
        generate.check_video_target(tmp_path / "walk.gif", fps=0)
    foreign = tmp_path / "cat.gif"
    Image.new("L", (4, 4)).save(foreign)
    with pytest.raises(GanvasError, match="did not write"):
        generate.check_video_target(foreign)
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "imageio_ffmpeg" else real_find_spec(name, *a))
    with pytest.raises(GanvasError, match=r"ganvas\[video\].*\.gif"):
        generate.check_video_target(tmp_path / "walk.mp4")


# ---- export ---------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:`torch.jit.load` is deprecated:FutureWarning")
@pytest.mark.parametrize("arch", ["dcgan", "mlp"])
@pytest.mark.parametrize("num_classes", [0, 3])
def test_torchscript_round_trip(tmp_path, arch, num_classes):
    g, meta = make_generator(num_classes, arch=arch)
    path = generate.export_generator(g, meta, "torchscript", tmp_path / "g.pt")
    extra = {META_FILE: ""}
    loaded = torch.jit.load(str(path), _extra_files=extra)
    assert json.loads(extra[META_FILE])["z_dim"] == 8
    z = torch.randn(5, 8)  # another batch size than the one traced
    labels = torch.tensor([2, 0, 1, 1, 0]) if num_classes else None
    with torch.no_grad():
        expected = g(z, labels)
        got = loaded(z, labels) if num_classes else loaded(z)
    assert torch.allclose(got, expected, atol=1e-6)


def test_export_leaves_the_callers_generator_alone(tmp_path):
    g, meta = make_generator()
    g = g.train().to(memory_format=torch.channels_last)
    generate.export_generator(g, meta, "torchscript", tmp_path / "g.pt")
    assert g.training
    assert g.net[0].weight.is_contiguous(memory_format=torch.channels_last)


def test_onnx_without_its_package_is_a_one_line_error(tmp_path, monkeypatch):
    import importlib.util

    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    g, meta = make_generator()
    with pytest.raises(GanvasError, match=r"pip install ganvas\[onnx\]"):
        generate.export_generator(g, meta, "onnx", tmp_path / "g.onnx")
    assert not (tmp_path / "g.onnx").exists()


def test_onnx_export_when_installed(tmp_path):
    onnx = pytest.importorskip("onnx", reason="ONNX export is the optional extra ganvas[onnx]")
    pytest.importorskip("onnxscript")
    g, meta = make_generator(num_classes=3)
    path = generate.export_generator(g, meta, "onnx", tmp_path / "g.onnx")
    model = onnx.load(str(path))
    onnx.checker.check_model(model)
    assert [i.name for i in model.graph.input] == ["z", "labels"]


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
