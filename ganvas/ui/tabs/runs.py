"""The Runs tab: every run folder with its status, step and best metric; one opened with its report."""
from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import quote

import gradio as gr

from ... import api
from ...errors import GanvasError
from .. import folders, views
from ..studio import Studio
from .common import guarded, run_choices

HEADERS = ["run", "status", "step", "target", "best SWD", "data", "updated"]
MAX_GRIDS = 24


def build(studio: Studio) -> None:
    with gr.Tab("Runs", id="runs") as tab:
        refresh = gr.Button("Refresh", size="sm", elem_id="runs-refresh")
        table = gr.Dataframe(headers=HEADERS, value=_rows(studio), interactive=False, elem_id="runs-table",
                             wrap=True)
        with gr.Row():
            chosen = gr.Dropdown(label="open a run", choices=run_choices(studio), value=None, elem_id="runs-open")
            open_button = gr.Button("Open", variant="primary", scale=0, elem_id="runs-open-button")
        message = gr.Markdown(elem_id="runs-message")
        grids = gr.Gallery(label="sample grids over time", columns=8, height=220, elem_id="runs-grids",
                           object_fit="contain")
        report = gr.HTML(elem_id="runs-report")
    for trigger in (refresh.click, tab.select):
        trigger(lambda: (_rows(studio), gr.update(choices=run_choices(studio))), None, [table, chosen],
                show_progress="hidden")
    open_button.click(guarded(lambda name: _open(studio, name), 3), [chosen], [message, grids, report])


def _rows(studio: Studio) -> list[list]:
    runs = [folders.summary(p) for p in folders.run_folders(studio.layout.runs)]
    jobs = {Path(j.folder).name: j for j in studio.jobs.jobs("train")}
    return views.run_table(runs, jobs) or [[""] * len(HEADERS)]


def _open(studio: Studio, name: str) -> tuple:
    run = studio.run_path(name)
    if not (run / "run.json").exists():
        raise GanvasError(f"{name}: has not started yet; its report appears once it trains")
    page = _fresh_report(run)
    grids = folders.sample_grids(run)
    shown = grids[:: max(1, len(grids) // MAX_GRIDS)][-MAX_GRIDS:] if grids else []
    if grids and shown[-1] != grids[-1]:
        shown.append(grids[-1])
    gallery = [(str(path), f"step {step}") for step, path in shown]
    rel = quote(f"{run.name}/{page.name}")
    # A sandboxed frame: the report is ganvas's own page, but it runs nothing and reaches nothing.
    frame = (f'<iframe title="report of {html.escape(run.name)}" sandbox src="/files/{rel}?v={page.stat().st_mtime_ns}" '
             'style="width:100%;height:900px;border:1px solid #ddd;background:#fff"></iframe>')
    return f"Report of **{run.name}**: [open in its own page](/files/{rel})", gallery, frame


def _fresh_report(run: Path) -> Path:
    """report.html, rewritten when the run has written anything since."""
    page = run / "report.html"
    sources = [run / n for n in ("metrics.jsonl", "events.jsonl", "samples", "run.json")]
    newest = max((p.stat().st_mtime for p in sources if p.exists()), default=0)
    if not page.exists() or page.stat().st_mtime < newest:
        api.report(run)
    return page
