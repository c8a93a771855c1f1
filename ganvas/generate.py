"""Draw from a trained run: sample PNGs, latent walks, exported generators.

Each public function loads the run's EMA generator (`ganvas.runs.load_generator`) and hands it with
its ModelSpec to a helper taking `(G, spec)`, so the helpers work on any generator built by
ganvas.models. Every image is made by `models.invoke.generate` from latents drawn by
`models.latent.LatentSampler`: the same path the training loop's sample grids and the evaluation
take. Torch is imported inside the functions to keep `ganvas --help` quick, since the CLI reads these
signatures for its defaults.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence, Union

from .errors import GanvasError
from .progress import Callback, silent

if TYPE_CHECKING:
    from .device import Placement
    from .models.spec import ModelSpec

EXPORT_FORMATS = ("onnx", "torchscript")
EXPORT_SUFFIX = {"onnx": ".onnx", "torchscript": ".pt"}
VIDEO_SUFFIXES = (".gif", ".mp4")
OTHER_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff")
MARK = "ganvas"  # written into every PNG and GIF we make, so a rerun may replace them and nothing else
FOLDER_MARK = ".ganvas-sample"  # a folder holding this was filled by `ganvas sample`
MAX_COLUMNS = 16

Labels = Optional[Sequence[Union[int, str]]]


def sample(run, n: int = 64, out="samples", grid: bool = False, seed: int = 0,
           truncation: Optional[float] = None, labels: Labels = None,
           style_mix: Optional[Sequence[int]] = None, progress: Callback = silent) -> list[Path]:
    """Write `n` generated images from `run` as PNGs in folder `out`, or one grid PNG when `grid`.

    `out` may also name a .png file when `grid` is set. Conditional runs draw the classes in `labels`
    (names or indices) in turn, every class by default. The same seed gives the same images on the
    same machine; where the hardware has bf16 arithmetic the generator runs in bf16. `style_mix`
    (SEED_A, SEED_B) writes StyleGAN's style mixing grid instead, min(n, 8) images from each seed.
    """
    G, spec, placement = _placed_generator(run)
    if style_mix is not None:
        from .wspace import style_mix_grid

        seed_a, seed_b = _seed_pair(style_mix)
        _check_truncation(truncation, in_w=True)
        cells, nrow = style_mix_grid(G, spec, seed_a, seed_b, n=n, truncation=truncation, placement=placement,
                                     progress=progress)
        return write_samples(cells, out, grid=True, seed=seed_a, nrow=nrow, name=f"style-mix-{seed_a}-{seed_b}.png")
    images = render(G, spec, n=n, seed=seed, truncation=truncation, labels=labels, placement=placement,
                    progress=progress)
    return write_samples(images, out, grid=grid, seed=seed, nrow=class_columns(spec, labels, n))


def interpolate(run, out="walk.gif", keys: int = 6, frames: int = 24, seed: int = 0, fps: int = 24,
                progress: Callback = silent) -> Path:
    """Write a looping spherical walk through `keys` latents, `frames` frames from one to the next.

    The file type follows `out`: .gif, or .mp4 (needs imageio-ffmpeg). Conditional runs walk within
    one class, chosen by the seed.
    """
    out = Path(out)
    check_video_target(out, fps)
    G, spec, placement = _placed_generator(run)
    video = walk(G, spec, keys=keys, frames=frames, seed=seed, placement=placement, progress=progress)
    return write_video(video, out, fps=fps)


def export(run, format: str = "onnx", out=None) -> Path:
    """Write the run's EMA generator as ONNX or TorchScript; by default into RUN/export/."""
    from .runs import load_generator

    if format not in EXPORT_FORMATS:
        raise GanvasError(f"--format {format}: choose one of {', '.join(EXPORT_FORMATS)}")
    G, spec = load_generator(run)
    if out is None:
        path = Path(run) / "export" / f"generator{EXPORT_SUFFIX[format]}"
    else:
        path = Path(out)
        refuse_foreign_file(path)
    return export_generator(G, spec, format, path)


def _placed_generator(run):
    """The run's EMA generator where sampling runs fastest: the GPU if any, bf16 where the hardware has it."""
    from .device import Placement
    from .runs import load_generator

    G, spec = load_generator(run)
    placement = Placement.choose("auto", "auto")
    return placement.place(G), spec, placement


# ---- the work, on any (G, spec) -------------------------------------------------------------------


def render(G, spec: "ModelSpec", *, n: int, seed: int, truncation: Optional[float] = None, labels: Labels = None,
           placement: Optional["Placement"] = None, progress: Callback = silent):
    """`n` images as a uint8 tensor [N, C, H, W]; the same seed gives the same images.

    `truncation` T keeps latents near the average: generators whose forward takes `truncation` apply
    it themselves (a StyleGAN truncates in W); for the rest the latents are drawn from the normal
    truncated to [-T, T].
    """
    from .models.invoke import generate, takes_option
    from .models.latent import LatentSampler
    from .pixels import to_uint8

    if n < 1:
        raise GanvasError(f"--n {n}: ask for at least one image")
    in_generator = truncation is not None and takes_option(G, "truncation")
    _check_truncation(truncation, in_w=in_generator)
    z, every_class = LatentSampler(spec.z_dim, spec.num_classes).fixed(
        n, seed, truncation=None if in_generator else truncation)
    chosen = label_tensor(labels, spec, n) if labels else every_class
    sampling = {"truncation": truncation} if in_generator else {}
    return to_uint8(generate(G, z, chosen, placement=placement, progress=progress, task="sample", **sampling))


def walk(G, spec: "ModelSpec", *, keys: int, frames: int, seed: int, placement: Optional["Placement"] = None,
         progress: Callback = silent):
    """The frames of a looping slerp walk, uint8 [keys * frames, C, H, W]."""
    import torch

    from .models.invoke import generate
    from .models.latent import LatentSampler, interpolation_path
    from .pixels import to_uint8

    if keys < 2:
        raise GanvasError(f"--keys {keys}: a walk needs at least 2 latents")
    if frames < 1:
        raise GanvasError(f"--frames {frames}: use at least 1 frame between latents")
    from .wspace import has_w, walk_in_w

    if has_w(G):  # a StyleGAN walks in W, where its styles live
        return walk_in_w(G, spec, keys=keys, frames=frames, seed=seed, placement=placement, progress=progress)
    key_latents, _ = LatentSampler(spec.z_dim, spec.num_classes).fixed(keys, seed)
    path = interpolation_path(key_latents, frames, loop=True)
    # A class change mid-walk would be a jump cut, so the whole walk keeps one class.
    one_class = torch.full((len(path),), seed % spec.num_classes, dtype=torch.long) if spec.num_classes else None
    return to_uint8(generate(G, path, one_class, placement=placement, progress=progress, task="interpolate"))


def _check_truncation(truncation: Optional[float], *, in_w: bool) -> None:
    # In W, psi 0 is meaningful (the average image); a truncated normal needs a positive bound.
    if truncation is not None and not (truncation > 0 or (in_w and truncation == 0)):
        raise GanvasError(f"--truncation {truncation}: use a positive value such as 0.7, or leave it out")


def _seed_pair(seeds: Sequence[int]) -> tuple[int, int]:
    if len(seeds) != 2:
        raise GanvasError(f"--style-mix takes two seeds, SEED_A SEED_B; got {len(seeds)}")
    return int(seeds[0]), int(seeds[1])


def label_tensor(labels: Labels, spec: "ModelSpec", n: int):
    """Class indices for `n` images: the given classes in turn, or every class in turn."""
    import torch

    num_classes = spec.num_classes
    if not num_classes:
        if labels:
            raise GanvasError("--label: this run was not trained with --conditional, so it has no classes")
        return None
    names = list(spec.classes)
    chosen = [_class_index(label, names, num_classes) for label in labels] if labels else list(range(num_classes))
    return torch.tensor(chosen, dtype=torch.long).repeat(math.ceil(n / len(chosen)))[:n]


def _class_index(label: Union[int, str], names: list, num_classes: int) -> int:
    if isinstance(label, str) and label in names:
        return names.index(label)
    if str(label).isdigit() and int(label) < num_classes:
        return int(label)
    known = ", ".join(names) if names else f"0..{num_classes - 1}"
    raise GanvasError(f"--label {label}: not a class of this run; choose from {known}")


# ---- writing, never over a file ganvas did not make ----------------------------------------------


def write_samples(images, out, *, grid: bool, seed: int, nrow: Optional[int] = None,
                  name: Optional[str] = None) -> list[Path]:
    """PNG files from uint8 images: one grid, or one file per image in folder `out`."""
    from .pixels import tile, to_pil

    out = Path(out)
    if out.suffix.lower() in OTHER_IMAGE_SUFFIXES:
        raise GanvasError(f"--out {out}: samples are written as PNG; name a folder, or a .png with --grid")
    if grid and out.suffix.lower() == ".png":
        refuse_foreign_file(out)
        return [_save_png(to_pil(tile(images, nrow)), out)]
    claim_folder(out)
    if grid:
        return [_save_png(to_pil(tile(images, nrow)), out / (name or f"grid-seed{seed}.png"))]
    return [_save_png(to_pil(image), out / f"seed{seed}-{i:05d}.png") for i, image in enumerate(images)]


def class_columns(spec: "ModelSpec", labels: Labels, n: int) -> Optional[int]:
    """With every class in turn, one grid column per class puts each class in its own column."""
    num_classes = spec.num_classes
    return num_classes if num_classes and labels is None and num_classes <= min(n, MAX_COLUMNS) else None


def _save_png(img, path: Path) -> Path:
    import io

    from PIL.PngImagePlugin import PngInfo

    from .io import atomic_write_bytes

    info = PngInfo()
    info.add_text("Software", MARK)
    buffer = io.BytesIO()
    img.save(buffer, format="PNG", pnginfo=info)
    atomic_write_bytes(path, buffer.getvalue())
    return path


def claim_folder(out: Path) -> None:
    """Make `out` ours, or refuse: a folder of someone else's files is never written into."""
    if out.exists() and not out.is_dir():
        raise GanvasError(f"{out}: is a file; --out takes a folder (or a .png with --grid)")
    if out.is_dir() and any(out.iterdir()) and not (out / FOLDER_MARK).exists():
        raise GanvasError(f"{out}: holds files ganvas did not write; choose a new or empty --out folder")
    out.mkdir(parents=True, exist_ok=True)
    (out / FOLDER_MARK).write_text("written by ganvas sample; files here may be replaced by the next run\n")


def is_ganvas_file(path: Path) -> bool:
    """Whether `path` is a PNG or GIF that ganvas wrote (it carries our mark)."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            return img.info.get("Software") == MARK or img.info.get("comment") in (MARK, MARK.encode())
    except (OSError, ValueError):
        return False


def refuse_foreign_file(path: Path) -> None:
    if path.is_dir():
        raise GanvasError(f"{path}: is a folder; --out takes a file name here")
    if path.exists() and not is_ganvas_file(path):
        raise GanvasError(f"{path}: exists and ganvas did not write it; remove it or choose another --out")


def check_video_target(out: Path, fps: int = 1) -> None:
    """Fail before any work when the walk cannot be written."""
    import importlib.util

    if fps < 1:
        raise GanvasError(f"--fps {fps}: use at least 1 frame per second")
    if out.suffix.lower() not in VIDEO_SUFFIXES:
        raise GanvasError(f"--out {out}: use a .gif or .mp4 file name")
    if out.suffix.lower() == ".mp4" and importlib.util.find_spec("imageio_ffmpeg") is None:
        raise GanvasError(f"--out {out}: MP4 needs imageio-ffmpeg (`pip install ganvas[video]`), or write a .gif")
    refuse_foreign_file(out)


def write_video(frames, out: Path, *, fps: int) -> Path:
    """A looping GIF or an MP4 from uint8 frames [F, C, H, W], written atomically."""
    import imageio.v3 as iio

    from .io import atomic_write_bytes

    check_video_target(out, fps)
    array = frames.permute(0, 2, 3, 1).numpy()
    if out.suffix.lower() == ".gif":
        gray = array.shape[3] == 1
        data = iio.imwrite("<bytes>", array[..., 0] if gray else array, extension=".gif",
                           duration=round(1000 / fps), loop=0, comment=MARK)
        atomic_write_bytes(out, data)
        return out
    return _write_mp4(array, out, fps)


def _write_mp4(array, out: Path, fps: int) -> Path:
    import imageio.v2 as imageio
    import numpy as np

    from .io import atomic_path

    if array.shape[3] == 1:
        array = np.repeat(array, 3, axis=3)
    with atomic_path(out) as tmp:
        imageio.mimwrite(tmp, list(array), fps=fps, format="FFMPEG", macro_block_size=16)
    return out


def export_generator(G, spec: "ModelSpec", format: str, path: Path) -> Path:
    from .models.export import to_onnx, to_torchscript

    return (to_onnx if format == "onnx" else to_torchscript)(G, spec, path)
