"""The Stylize tab: a photo and paintings in, options from StyleConfig, and the picture as it improves."""
from __future__ import annotations

import re
import secrets
import shutil
import time
from pathlib import Path

import gradio as gr

from ...config import StyleConfig
from ...errors import GanvasError
from .. import views
from ..forms import Form
from ..jobs import read_job, read_progress
from ..studio import Studio
from ..uploads import accept_pictures
from .common import guarded

MAIN = ("style_weights", "size", "steps", "preserve_color", "style_scale")
SNAPSHOTS = 10  # intermediate images written over a run, for the live view
_SNAPSHOT = re.compile(r"result-(\d+)\.png$")


def build(studio: Studio) -> None:
    form = Form(StyleConfig, "style", MAIN, skip=("save_every",))
    with gr.Tab("Stylize", id="stylize"):
        with gr.Row(equal_height=False):
            with gr.Column(scale=5):
                content = gr.File(label="content photo", file_count="single", elem_id="style-content", height=110)
                styles = gr.File(label="style images (one or more; weights below, in the same order)",
                                 file_count="multiple", elem_id="style-styles", height=110)
                form.render()
                with gr.Row():
                    start = gr.Button("Stylize", variant="primary", elem_id="style-start")
                    stop = gr.Button("Stop (keeps the current image)", variant="stop", elem_id="style-stop")
                message = gr.Markdown(elem_id="style-message")
            with gr.Column(scale=6):
                jobs = _jobs(studio)
                watched = gr.Dropdown(label="watching", choices=jobs, value=jobs[0] if jobs else None,
                                      elem_id="style-watch")
                status = gr.Markdown("no stylisation yet", elem_id="style-status")
                queue = gr.Markdown(elem_id="style-queue")
                with gr.Row():
                    current = gr.Image(label="as it improves", type="filepath", interactive=False,
                                       elem_id="style-current", height=300)
                    result = gr.Image(label="result", type="filepath", interactive=False, elem_id="style-result",
                                      height=300, buttons=["download", "fullscreen"])
                download = gr.File(label="download", interactive=False, elem_id="style-download")
        timer, slow_timer = gr.Timer(1.0), gr.Timer(3.0)  # inside the tab: Tabs take only tabs as children
    outputs = [status, queue, current, result, download]
    start.click(guarded(lambda c, s, *v: _start(studio, form, c, s, v), 2), [content, styles, *form.components],
                [message, watched])
    stop.click(guarded(lambda name: (_stop(studio, name),), 1), [watched], [message])
    timer.tick(lambda name: _refresh(studio, name), [watched], outputs, show_progress="hidden", concurrency_limit=None)
    slow_timer.tick(lambda name: _watch_choices(studio, name), [watched], [watched], show_progress="hidden",
                       concurrency_limit=None)


def _jobs(studio: Studio) -> list[str]:
    """Stylisation folders, newest first."""
    return sorted((p.name for p in studio.layout.stylize.iterdir() if p.is_dir()), reverse=True)


def _folder(studio: Studio, name: str) -> Path:
    path = studio.layout.stylize / str(name)
    if not name or path.parent != studio.layout.stylize or not path.is_dir():
        raise GanvasError(f"{name}: not a stylisation of this studio")
    return path


def _watch_choices(studio: Studio, name):
    jobs = _jobs(studio)
    return gr.update(choices=jobs, value=name if name in jobs else (jobs[0] if jobs else None))


def _start(studio: Studio, form: Form, content, styles, values: tuple) -> tuple:
    if not content or not styles:
        raise GanvasError("stylize: upload a content photo and at least one style image")
    options = form.explicit(list(values))
    folder = studio.layout.stylize / f"style-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"
    photo = accept_pictures([content], folder / "content", studio.limits)
    paintings = accept_pictures(styles if isinstance(styles, list) else [styles], folder / "styles", studio.limits)
    refused = photo.refused + paintings.refused
    if refused or not photo.accepted or not paintings.accepted:
        shutil.rmtree(folder, ignore_errors=True)
        raise GanvasError("refused: " + "; ".join(f"{name}: {why}" for name, why in refused))
    steps = options.get("steps", StyleConfig().steps)
    options.update(content=str(folder / "content" / photo.accepted[0]),
                   styles=tuple(str(folder / "styles" / p) for p in paintings.accepted),
                   out=str(folder / "result.png"), save_every=max(1, steps // SNAPSHOTS))
    job = studio.jobs.submit("stylize", folder, {"options": options})
    return f"{folder.name}: {job.state}", gr.update(choices=_jobs(studio), value=folder.name)


def _stop(studio: Studio, name: str) -> str:
    job = studio.job_of(_folder(studio, name))
    if job is None or not job.active:
        return f"{name}: is not running"
    return f"{name}: {studio.jobs.stop(job.id).state}"


def _refresh(studio: Studio, name):
    queue = views.queue_text(studio.jobs.jobs(), "stylize")
    try:
        folder = _folder(studio, name)
    except GanvasError:  # none yet, or removed: this runs every second, so no error toast
        return "no stylisation yet: upload a photo and a style image, then Stylize", queue, None, None, None
    job, progress = read_job(folder), read_progress(folder)
    position = studio.jobs.queue_position(job) if job else 0
    status = f"**{name}** · {views.job_line(job, progress, position)}"
    if views.values_line(progress):
        status += f"  \n{views.values_line(progress)}"
    snapshots = sorted((int(m.group(1)), p) for p in folder.glob("result-*.png") if (m := _SNAPSHOT.search(p.name)))
    final = folder / "result.png"
    done = final if final.exists() else None
    current = str(snapshots[-1][1]) if snapshots else (str(done) if done else None)
    return status, queue, current, str(done) if done else None, str(done) if done else None
