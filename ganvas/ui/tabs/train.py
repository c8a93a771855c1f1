"""The Train tab: images in, options from TrainConfig, Start/Stop/Resume, and the run watched live."""
from __future__ import annotations

import time
from pathlib import Path

import gradio as gr

from ...config import TrainConfig
from ...config.fields import field_default
from ...data.builtin import NAMES as BUILTINS
from ...errors import GanvasError
from ...gan.remedies import ALARMS
from .. import folders, remedies, views
from ..forms import Form
from ..jobs import read_job, read_progress
from ..paths import inside, safe_name
from ..studio import Studio
from ..uploads import accept_dataset, upload_record
from .common import guarded, run_choices

# Which TrainConfig fields the form shows up front; every other field is in the advanced fold.
MAIN = ("resolution", "arch", "width", "loss", "steps", "minutes", "batch_size", "augment", "spectral_norm",
        "flip", "threads")
# What Resume takes from the form: the budget and the thread count. Everything else is the run's own.
RESUMED = ("steps", "epochs", "minutes", "threads")
EVENTS_SHOWN = 12


def build(studio: Studio) -> None:
    form = Form(TrainConfig, "train", MAIN)
    with gr.Tab("Train", id="train"):
        with gr.Row(equal_height=False):
            with gr.Column(scale=5):
                files, folder, report, data, name = _data_inputs(studio)
                gr.Markdown("### Options")
                form.render()
                with gr.Row():
                    start = gr.Button("Start", variant="primary", elem_id="train-start")
                    stop = gr.Button("Stop", variant="stop", elem_id="train-stop")
                    resume = gr.Button("Resume", elem_id="train-resume")
                message = gr.Markdown(elem_id="train-message")
            with gr.Column(scale=6):
                live = _live_outputs(studio, message)
        timer = gr.Timer(1.0)  # inside the tab: a Tabs block takes only tabs as children
    watched = live["watched"]
    outputs = [live[k] for k in ("status", "queue", "sample", "losses", "metric", "events", "notes", "skipped")]

    for upload in (files, folder):
        upload.upload(guarded(lambda paths: _upload(studio, paths), 2), [upload], [report, data])
    start.click(guarded(lambda d, n, *v: _start(studio, form, d, n, v), 2), [data, name, *form.components],
                [message, watched])
    stop.click(guarded(lambda run: (_stop(studio, run),), 1), [watched], [message])
    resume.click(guarded(lambda run, *v: (_resume(studio, form, run, v),), 1), [watched, *form.components],
                 [message])
    timer.tick(lambda run: _refresh(studio, run), [watched], outputs, show_progress="hidden",
               concurrency_limit=None)
    watched.change(lambda run: _refresh(studio, run), [watched], outputs, show_progress="hidden")
    live["refresh_choices"].tick(lambda run: (_watch_choices(studio, run), _data_choices(studio, None)),
                                 [watched], [watched, data], show_progress="hidden", concurrency_limit=None)


def _data_inputs(studio: Studio):
    gr.Markdown("### Images")
    with gr.Row():
        files = gr.File(label="drop images or a .zip", file_count="multiple", elem_id="train-files", height=120)
        folder = gr.File(label="or a whole folder", file_count="directory", elem_id="train-folder", height=120)
    report = gr.Markdown(elem_id="upload-report")
    help_text = TrainConfig.__dataclass_fields__["data"].metadata["help"]
    data = gr.Dropdown(label="train on", info=f"{help_text}; uploads appear here once checked",
                       choices=_data_choices(studio, None)["choices"], value=field_default(TrainConfig, "data"),
                       elem_id="train-data")
    name = gr.Textbox(label="run name", placeholder="picked from the images and the time", elem_id="train-name")
    return files, folder, report, data, name


def _live_outputs(studio: Studio, message) -> dict:
    out = {}
    out["watched"] = gr.Dropdown(label="watching run", choices=run_choices(studio), value=_default_watch(studio),
                                 elem_id="train-watch", allow_custom_value=False)
    out["status"] = gr.Markdown("no job yet", elem_id="train-status")
    out["queue"] = gr.Markdown(elem_id="train-queue")
    out["sample"] = gr.Image(label="latest sample grid", type="filepath", interactive=False, elem_id="train-sample",
                             height=300, buttons=["download", "fullscreen"])
    gr.Markdown("#### Losses\nraw (faint) behind smoothed, D's outputs, and the in-loop metric; dashed lines "
                "mark diagnostics events")
    out["losses"] = gr.Image(type="filepath", show_label=False, interactive=False, elem_id="train-losses",
                             height=420)
    out["metric"] = gr.Markdown(elem_id="train-metric")
    gr.Markdown("#### Diagnostics")
    out["events"] = gr.State([])
    _events_view(studio, out["watched"], out["events"], message)
    out["notes"] = gr.Textbox(label="log", lines=5, max_lines=8, interactive=False, elem_id="train-notes")
    out["skipped"] = gr.Markdown(elem_id="train-skipped")
    out["refresh_choices"] = gr.Timer(3.0)
    return out


def _events_view(studio: Studio, watched, events_state, message) -> None:
    @gr.render(inputs=[watched, events_state])
    def show(run_name, events):
        try:
            run = studio.run_path(run_name)
        except GanvasError:
            run = None
        if run is None or not events:
            gr.Markdown("No diagnostics events yet.", elem_id="train-events-empty")
            return
        queued = remedies.pending_keys(run)
        for index, event in enumerate(events[-EVENTS_SHOWN:]):
            with gr.Row(equal_height=True):
                gr.HTML(views.events_html([event], queued))
                if event.get("event") in ALARMS:
                    button = gr.Button("apply on next resume", size="sm", scale=0, elem_id=f"train-remedy-{index}")
                    button.click(guarded(lambda e=event: (remedies.queue(run, e, events),), 1), None, [message])


def _data_choices(studio: Studio, selected) -> dict:
    """Built-in sets first, then every checked upload, newest first."""
    uploads = sorted((p for p in studio.layout.uploads.glob("data-*") if p.is_dir()), key=_uploaded, reverse=True)
    choices = [(f"{name} (built-in)", name) for name in BUILTINS]
    choices += [(_upload_label(p), str(p)) for p in uploads]
    return gr.update(choices=choices, value=selected) if selected else gr.update(choices=choices)


def _uploaded(folder: Path) -> float:
    return upload_record(folder).get("time", 0.0)


def _upload_label(folder: Path) -> str:
    record = upload_record(folder)
    when = time.strftime("%d %b %H:%M", time.localtime(record.get("time", 0)))
    return f"upload {record.get('name', folder.name)}: {record.get('images', '?')} images, {when}"


def _upload(studio: Studio, paths) -> tuple:
    if not paths:
        return "", gr.skip()
    checked = accept_dataset(paths if isinstance(paths, list) else [paths], studio.layout.uploads, studio.limits)
    if checked.folder is None:
        return f"**Nothing to train on:** no file was an image training can read.\n\n{checked.report()}", gr.skip()
    return checked.report(), _data_choices(studio, str(checked.folder))


def _check_data(studio: Studio, data: str) -> str:
    if data in BUILTINS:
        return data
    if data and inside(Path(data), (studio.layout.uploads,)) is not None and Path(data).is_dir():
        return data
    raise GanvasError(f"{data}: not a built-in set or a checked upload; upload the images again")


def _start(studio: Studio, form: Form, data: str, name: str, values: tuple) -> tuple:
    data = _check_data(studio, data)
    stem = data if data in BUILTINS else upload_record(Path(data)).get("name", "upload")
    run = studio.layout.run_folder(safe_name(name) if name else f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}")
    if (run / "run.json").exists():
        raise GanvasError(f"{run.name}: already holds a run; pick another name, or Resume it")
    options = {**form.explicit(list(values)), "data": data, "out": str(run)}
    job = studio.jobs.submit("train", run, {"options": options, "resume": False})
    return f"{run.name}: {job.state}", gr.update(choices=run_choices(studio), value=run.name)


def _stop(studio: Studio, run_name: str) -> str:
    job = studio.job_of(studio.run_path(run_name))
    if job is None or not job.active:
        return f"{run_name}: no job is running"
    job = studio.jobs.stop(job.id)
    return f"{run_name}: {job.state}"


def _resume(studio: Studio, form: Form, run_name: str, values: tuple) -> str:
    run = studio.run_path(run_name)
    if not (run / "run.json").exists():
        raise GanvasError(f"{run_name}: has nothing to resume yet")
    explicit = form.explicit(list(values))
    options = {"out": str(run), **{k: explicit[k] for k in RESUMED if k in explicit}}
    job = studio.jobs.submit("train", run, {"options": options, "resume": True})
    queued = len(remedies.pending(run))
    return f"{run_name}: {job.state}" + (f"; {queued} remedy(ies) apply at the first step" if queued else "")


def _default_watch(studio: Studio):
    """The run a fresh page watches: the one training now, else the newest."""
    active = [j for j in studio.jobs.jobs("train") if j.active]
    if active:
        return Path(active[-1].folder).name
    runs = folders.run_folders(studio.layout.runs)
    return runs[0].name if runs else None


def _watch_choices(studio: Studio, run_name):
    choices = run_choices(studio)
    value = run_name if run_name in choices else _default_watch(studio)
    return gr.update(choices=choices, value=value)


def _refresh(studio: Studio, run_name):
    """Everything the live column shows, read back from the run folder."""
    queue = views.queue_text(studio.jobs.jobs(), "train")
    nothing = ("no run yet: upload images or pick a built-in set, then Start", queue, None, None, "", [], "", "")
    try:
        run = studio.run_path(run_name)
    except GanvasError:  # none chosen yet, or its folder was removed: this runs every second, so no error toast
        return nothing
    job, progress = read_job(run), read_progress(run)
    position = studio.jobs.queue_position(job) if job else 0
    status = f"**{run.name}** · {views.job_line(job, progress, position)}"
    if views.values_line(progress):
        status += f"  \n{views.values_line(progress)}"
    records = folders.metric_records(run)
    losses = folders.live_loss_plot(run, records)
    grids = folders.sample_grids(run)
    sample = str(grids[-1][1]) if grids else None
    notes = "\n".join(progress.get("notes") or [])
    skipped = views.skipped_text(folders.skipped_report(run)) if (run / "skipped.txt").exists() else ""
    return (status, queue, sample, losses and str(losses), views.metric_line(records), folders.events(run), notes,
            skipped)
