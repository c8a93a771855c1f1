"""The Create tab: a sample grid and a latent walk from a run, through `ganvas.api` as the CLI draws them."""
from __future__ import annotations

from pathlib import Path

import gradio as gr

from ... import api
from ...cli.sample import defaults_of
from ...errors import GanvasError
from ..jobs import read_json
from ..paths import JOB_DIR
from ..studio import Studio
from .common import guarded, run_choices

# Generators with per-layer styles that two latents can share out (`ganvas sample --style-mix`).
MIXING_ARCHS: tuple[str, ...] = ("stylegan2",)


def build(studio: Studio) -> None:
    sample, walk = defaults_of(api.sample), defaults_of(api.interpolate)
    with gr.Tab("Create", id="create") as tab:
        runs = run_choices(studio)
        run = gr.Dropdown(label="run", choices=runs, value=runs[0] if runs else None, elem_id="create-run",
                          info="its newest checkpoint's EMA generator draws the images")
        gr.Markdown("### Sample grid")
        with gr.Row():
            n = gr.Number(sample["n"], label="images", precision=0, elem_id="create-n")
            seed = gr.Number(sample["seed"], label="seed", precision=0, elem_id="create-seed",
                             info="same seed, same images")
            truncation = gr.Number(sample["truncation"], label="truncation", elem_id="create-truncation",
                                   info="redraw latent values beyond ±T: lower is cleaner, less varied; 0: off")
        grid_button = gr.Button("Sample a grid", variant="primary", elem_id="create-sample")
        with gr.Row():
            grid = gr.Image(label="grid", type="filepath", interactive=False, elem_id="create-grid", height=320,
                            buttons=["download", "fullscreen"])
            grid_file = gr.File(label="download PNG", interactive=False, elem_id="create-grid-file")
        gr.Markdown("### Latent walk")
        with gr.Row():
            keys = gr.Number(walk["keys"], label="key latents", precision=0, elem_id="create-keys")
            frames = gr.Number(walk["frames"], label="frames between keys", precision=0, elem_id="create-frames")
            fps = gr.Number(walk["fps"], label="frames per second", precision=0, elem_id="create-fps")
        walk_button = gr.Button("Walk", variant="primary", elem_id="create-walk-button")
        with gr.Row():
            gif = gr.Image(label="walk", type="filepath", interactive=False, elem_id="create-walk", height=320)
            gif_file = gr.File(label="download GIF", interactive=False, elem_id="create-walk-file")
        gr.Markdown("### Style mixing")
        mixing = gr.Markdown(_mixing_note(studio, run.value), elem_id="create-mixing")
        with gr.Row():
            seed_a = gr.Number(1, label="seed A (colours, detail)", precision=0, elem_id="create-seed-a")
            seed_b = gr.Number(2, label="seed B (coarse styles: pose, shape)", precision=0, elem_id="create-seed-b")
            mix_n = gr.Number(4, label="images per seed", precision=0, elem_id="create-mix-n")
        mix_button = gr.Button("Mix styles", elem_id="create-mix-button")
        with gr.Row():
            mix = gr.Image(label="mixing grid", type="filepath", interactive=False, elem_id="create-mix", height=320)
            mix_file = gr.File(label="download PNG", interactive=False, elem_id="create-mix-file")
        message = gr.Markdown(elem_id="create-message")
    tab.select(lambda name: gr.update(choices=run_choices(studio), value=name or _newest(studio)), [run], [run],
               show_progress="hidden")
    run.change(lambda name: _mixing_note(studio, name), [run], [mixing], show_progress="hidden")
    grid_button.click(guarded(lambda *a: _grid(studio, *a), 3), [run, n, seed, truncation],
                      [message, grid, grid_file], concurrency_limit=1)
    walk_button.click(guarded(lambda *a: _walk(studio, *a), 3), [run, keys, frames, fps, seed],
                      [message, gif, gif_file], concurrency_limit=1)
    mix_button.click(guarded(lambda *a: _mix(studio, *a), 3), [run, seed_a, seed_b, mix_n],
                     [message, mix, mix_file], concurrency_limit=1)


def _newest(studio: Studio):
    runs = run_choices(studio)
    return runs[0] if runs else None


def _out_folder(studio: Studio, name: str) -> Path:
    run = studio.run_path(name)
    if not (run / "checkpoints").is_dir():
        raise GanvasError(f"{name}: has no checkpoint yet; train it first")
    folder = run / JOB_DIR / "create"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _grid(studio: Studio, name, n, seed, truncation) -> tuple:
    folder = _out_folder(studio, name)
    seed, n = int(seed or 0), int(n or 1)
    tail = f"-t{truncation:g}" if truncation else ""
    out = folder / f"grid-seed{seed}{tail}.png"
    [path] = api.sample(studio.run_path(name), n=n, out=out, grid=True, seed=seed, truncation=truncation or None)
    return f"{n} images from {name}, seed {seed}", str(path), str(path)


def _walk(studio: Studio, name, keys, frames, fps, seed) -> tuple:
    folder = _out_folder(studio, name)
    seed = int(seed or 0)
    out = folder / f"walk-seed{seed}.gif"
    path = api.interpolate(studio.run_path(name), out=out, keys=int(keys or 2), frames=int(frames or 1),
                           seed=seed, fps=int(fps or 1))
    return f"a walk through {int(keys or 2)} latents of {name}, seed {seed}", str(path), str(path)


def _mix(studio: Studio, name, seed_a, seed_b, n) -> tuple:
    folder = _out_folder(studio, name)
    seed_a, seed_b, n = int(seed_a or 0), int(seed_b or 0), int(n or 1)
    [path] = api.sample(studio.run_path(name), n=n, out=folder, style_mix=(seed_a, seed_b))
    return f"{name}: seed {seed_a}'s images with seed {seed_b}'s coarse styles", str(path), str(path)


def _mixing_note(studio: Studio, name) -> str:
    if not name:
        return "Choose a run."
    try:
        arch = (read_json(studio.run_path(name) / "run.json").get("config") or {}).get("arch", "?")
    except GanvasError:
        return "Choose a run."
    if arch in MIXING_ARCHS:
        return ("Seed B's images along the top, seed A's down the left; each cell is A's image with B's styles "
                "up to 8x8 (pose and shape), as `ganvas sample --style-mix` draws it.")
    return (f"Not available for this run: style mixing swaps the per-layer styles of two latents, which needs a "
            f"style-based generator; this run's `{arch}` generator takes one latent at its input.")
