"""`stylize`: load the images, build the objective at each scale, optimise coarse to fine, save."""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence, Union

import torch
from PIL import Image

from ..allocator import reuse_freed_memory
from ..config.style import MODEL_WEIGHTS, StyleConfig
from ..errors import GanvasError
from ..device import autocast, pick_device, use_bf16
from ..io import same_file, save_image
from ..progress import Callback, Progress, silent
from . import color, pyramid, winograd
from .inputs import load_init, load_picture
from .losses import Targets, Weights
from .optimize import Plan, optimise
from .strip import side_by_side
from .vgg import VGGFeatures, load_vgg

ImageLike = Union[str, os.PathLike, Image.Image]
StopCheck = Optional[Callable[[], bool]]
TASK = "stylize"


def stylize(content: ImageLike, style: ImageLike | Sequence[ImageLike], *, progress: Callback = silent,
            should_stop: StopCheck = None, **options) -> Image.Image:
    """Repaint `content` in the style of `style` (one image or several); options are StyleConfig fields.

    `should_stop`, polled after every step (from any thread), ends the run early and returns the image
    as it stands, at the requested size.
    """
    styles = list(style) if isinstance(style, (list, tuple)) else [style]
    config = StyleConfig(**options)
    return paint(content, styles, config, progress, should_stop=should_stop)


def stylize_config(config: StyleConfig, progress: Callback = silent, should_stop: StopCheck = None) -> Path:
    """The CLI's entry: paint with `config`, write `config.out` (and `config.strip`), return the out path.

    A stop through `should_stop` still writes `config.out`, with the image as it stood.
    """
    if not config.content or not config.styles:
        raise GanvasError("stylize: needs a content image and at least one style image")
    inputs = [p for p in (config.content, *config.styles, config.init) if Path(p).exists()]
    out = Path(config.out)
    _check_out(out, inputs)
    if config.strip:
        _check_strip(Path(config.strip), out, inputs)
    save = _intermediate_saver(out, inputs, config.save_every)
    result = paint(config.content, list(config.styles), config, progress, on_save=save, should_stop=should_stop)
    save_image(result, out, inputs=inputs)
    if config.strip:
        save_image(_strip(config, result), config.strip, inputs=inputs)
    return out


def _strip(config: StyleConfig, result: Image.Image) -> Image.Image:
    """photo | style images | result at the result's height, each input at the size the run saw it."""
    photo = load_picture(config.content, config.size, "content")
    paintings = [load_picture(s, round(config.size * config.style_scale), "style") for s in config.styles]
    return side_by_side([photo, *paintings, result], height=result.height)


def _check_out(out: Path, inputs: list, flag: str = "--out") -> None:
    """Refuse a bad --out before minutes of work, not after."""
    if Image.registered_extensions().get(out.suffix.lower()) is None:
        raise GanvasError(f"{out}: unknown image extension; use .png, .jpg or .webp")
    if any(same_file(out, p) or out.resolve() == Path(p).resolve() for p in inputs):
        raise GanvasError(f"{out}: is an input image; choose another {flag} so it is not overwritten")


def _check_strip(strip: Path, out: Path, inputs: list) -> None:
    _check_out(strip, inputs, "--strip")
    if strip.resolve() == out.resolve():
        raise GanvasError(f"{strip}: is also --out; give --strip a path of its own")


def _intermediate_saver(out: Path, inputs: list, every: int):
    if every <= 0:
        return None

    def save(step: int, image: torch.Tensor) -> None:
        if step % every == 0:
            path = out.with_name(f"{out.stem}-{step:05d}{out.suffix}")
            save_image(pyramid.to_pil(image), path, inputs=inputs)

    return save


def paint(content: ImageLike, styles: list, config: StyleConfig, progress: Callback = silent,
          on_save=None, should_stop: StopCheck = None) -> Image.Image:
    _check(config, styles)
    device = pick_device(config.device)
    with _runtime(config):
        photo = pyramid.to_tensor(load_picture(content, config.size, "content")).to(device)
        paintings = [pyramid.to_tensor(load_picture(s, round(config.size * config.style_scale), "style"))
                     for s in styles]
        paintings = [_recolour(p.to(device), photo, config.preserve_color) for p in paintings]
        bf16 = use_bf16(config.precision, device)
        tiles = bf16 and device.type == "cpu"
        if tiles and winograd.kernels_need_building():
            progress(Progress(TASK, "note", message="stylize: compiling the CPU kernels (once per machine, "
                                                     "a few seconds)"))
        net = load_vgg(config.model, config.content_layers + config.style_layers, config.pooling,
                       winograd=tiles).to(device)
        result = _coarse_to_fine(net, photo, paintings, config, bf16, progress, on_save, _latch(should_stop))
        if config.preserve_color == "luminance":
            result = color.recombine(result, photo)
    return pyramid.to_pil(result)


def _check(config: StyleConfig, styles: list) -> None:
    if not styles:
        raise GanvasError("stylize: give at least one style image")
    if config.style_weights is not None and len(config.style_weights) != len(styles):
        raise GanvasError(f"--style-weights: gave {len(config.style_weights)} weights for {len(styles)} style images")
    if config.size < pyramid.MIN_SIDE:
        raise GanvasError(f"--size {config.size}: must be at least {pyramid.MIN_SIDE}")
    if config.style_scale <= 0 or config.steps < 1 or config.history_size < 1:
        raise GanvasError("--style-scale, --steps and --history-size must be positive")


@contextlib.contextmanager
def _runtime(config: StyleConfig) -> Iterator[None]:
    """Seed, determinism, thread count and allocator reuse for this call only."""
    threads = torch.get_num_threads()
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    try:
        torch.manual_seed(config.seed)
        if config.threads:
            torch.set_num_threads(config.threads)
        if config.deterministic:
            torch.use_deterministic_algorithms(True, warn_only=True)
        with reuse_freed_memory():
            yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(was_deterministic)


def _recolour(painting: torch.Tensor, photo: torch.Tensor, mode: str | None) -> torch.Tensor:
    if mode == "histogram":
        return color.match_histogram(painting, photo)
    if mode == "luminance":
        return color.match_luminance(painting, photo)
    return painting


def loss_weights(config: StyleConfig) -> Weights:
    tuned = MODEL_WEIGHTS[config.model]
    pick = lambda name: tuned[name] if getattr(config, name) is None else getattr(config, name)  # noqa: E731
    return Weights(content=pick("content_weight"), style=pick("style_weight"), tv=pick("tv_weight"))


def style_mix(config: StyleConfig, count: int) -> list[float]:
    weights = config.style_weights or (1.0,) * count
    total = sum(weights)
    if total <= 0 or any(w < 0 for w in weights):
        raise GanvasError("--style-weights: use non-negative numbers that do not all equal zero")
    return [w / total for w in weights]


def scales_for(config: StyleConfig) -> tuple[int, ...]:
    if config.scales:
        return pyramid.check_scales(tuple(config.scales), config.size)
    return pyramid.auto_scales(config.size, config.min_scale)


def build_targets(net: VGGFeatures, photo: torch.Tensor, paintings: list[torch.Tensor], config: StyleConfig,
                  bf16: bool) -> Targets:
    """Content features and style Grams at one scale: computed once, then only compared against."""
    from .losses import gram

    long_side = max(photo.shape[-2:])
    with torch.no_grad(), autocast(photo.device, bf16):
        content = {k: v.float() for k, v in net(photo).items() if k in config.content_layers}
        grams = []
        for painting in paintings:
            h, w = painting.shape[-2:]
            side = max(pyramid.long_side_for_short(w, h, pyramid.MIN_SIDE), round(long_side * config.style_scale))
            sized = pyramid.resize_tensor(painting, *pyramid.fit_long_side(w, h, side)[::-1])
            features = net(sized)
            grams.append({k: gram(features[k]) for k in config.style_layers})
    return Targets(content=content, grams=grams, style_weights=style_mix(config, len(paintings)))


def _latch(should_stop: StopCheck) -> Callable[[], bool]:
    """A stop check that stays true once it has been true, so every scale after a stop sees it."""
    stopped = False

    def check() -> bool:
        nonlocal stopped
        stopped = stopped or (should_stop is not None and bool(should_stop()))
        return stopped

    return check


def _coarse_to_fine(net, photo, paintings, config, bf16, progress, on_save, stopped) -> torch.Tensor:
    h, w = photo.shape[-2:]
    # Deep layers need a few pixels left after four poolings; coarser scales than that are skipped.
    smallest = pyramid.long_side_for_short(w, h, pyramid.MIN_SIDE // 2)
    scales = tuple(s for s in scales_for(config) if s >= smallest) or (config.size,)
    if config.size < smallest:
        raise GanvasError(f"--size {config.size}: too small for a {w}x{h} photo; use at least {smallest}")
    steps = [config.coarse_steps] * (len(scales) - 1) + [config.steps]
    total, done, image = sum(steps), 0, None
    reached = [0]  # the last step taken, which a stop leaves short of the total
    weights = loss_weights(config)
    luminance_only = config.preserve_color == "luminance"
    progress(Progress(TASK, "start", 0, total, message=f"scales {', '.join(map(str, scales))} px"))
    for side, count in zip(scales, steps):
        h, w = photo.shape[-2:]
        size_hw = pyramid.fit_long_side(w, h, side)[::-1]
        scaled_photo = pyramid.resize_tensor(photo, *size_hw)
        if luminance_only:
            scaled_photo = color.luminance(scaled_photo)
        targets = build_targets(net, scaled_photo, paintings, config, bf16)
        if image is None:
            image = load_init(config.init, scaled_photo, config.seed)
            if luminance_only:
                image = color.luminance(image)
        else:
            image = pyramid.upsample(image, *size_hw)
        plan = Plan(config.optimizer, count, config.lr, config.history_size, bf16)
        image = optimise(net, image, targets, weights, plan,
                         _reporter(progress, done, total, side, on_save, reached), should_stop=stopped)
        done += count
        del targets
        if stopped():
            # A stop at a coarse scale still returns an image of the size asked for.
            final_hw = pyramid.fit_long_side(w, h, scales[-1])[::-1]
            if tuple(image.shape[-2:]) != tuple(final_hw):
                image = pyramid.upsample(image, *final_hw)
            progress(Progress(TASK, "note", message="stylize: stopped; keeping the current image"))
            break
    progress(Progress(TASK, "end", reached[0], total))
    return image


def _reporter(progress: Callback, done: int, total: int, side: int, on_save, reached: list):
    def on_step(step: int, parts: dict, image: torch.Tensor) -> None:
        overall = reached[0] = done + step
        if step == 1 or overall % 10 == 0 or overall == total:
            progress(Progress(TASK, "update", overall, total, {"px": side, **parts}))
        if on_save is not None:
            on_save(overall, image)

    return on_step

