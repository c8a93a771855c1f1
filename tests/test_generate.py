"""Images, PNG files and walks from a generator and its spec."""
import imageio.v3 as iio
import numpy as np
import pytest
import torch
from PIL import Image

from ganvas import generate
from ganvas.device import Placement, cpu_has_bf16
from ganvas.errors import GanvasError
from ganvas.models.invoke import generate as invoke
from ganvas.models.latent import LatentSampler
from ganvas.pixels import to_uint8

from tests.generators import LabelPainter, make_generator, make_run, spec


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
