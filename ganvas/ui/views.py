"""What the pages show, as plain text: status lines, the queue, metrics. No Gradio here, so it is tested alone."""
from __future__ import annotations

import html
import time
from pathlib import Path
from typing import Optional

from . import folders
from .jobs import Job


def duration(seconds: Optional[float]) -> str:
    if seconds is None:
        return "?"
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def job_line(job: Optional[Job], progress: dict, position: int) -> str:
    """One line: the state, where it is, how fast, how long to go."""
    if job is None:
        return "no job yet"
    # The worker's own outcome is news before its process has quite exited and been noticed.
    outcome = (progress.get("outcome") or {}).get("result") if job.state in ("running", "stopping") else None
    state = outcome or job.state
    parts = [f"**{state}**"]
    if state == "running" and progress.get("phase"):
        parts[0] += f" ({progress['phase']})"
    if position:
        parts.append(f"place {position} in the queue")
    step, total = progress.get("step"), progress.get("total")
    if step is not None and job.state != "queued":
        parts.append(f"step {step}" + (f" / {total}" if total else ""))
    values = progress.get("values") or {}
    if "img/s" in values and state in ("running", "stopping"):
        parts.append(f"{values['img/s']:g} img/s")
    if progress.get("eta_s") is not None and state == "running":
        parts.append(f"ETA {duration(progress['eta_s'])}")
    line = " · ".join(parts)
    return line + (f"  \n{job.message}" if job.message else "")


def values_line(progress: dict, skip: tuple = ("img/s",)) -> str:
    values = {k: v for k, v in (progress.get("values") or {}).items() if k not in skip}
    return " · ".join(f"{k} {_number(v)}" for k, v in values.items())


def _number(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def metric_line(records: list[dict]) -> str:
    latest = folders.latest_metric(records)
    if latest is None:
        return "In-loop metric (SWD, lower is better): not measured yet; it runs at each evaluation."
    best = folders.best_metric(Path("."), records)
    return f"In-loop metric: SWD **{latest[1]:.4g}** at step {latest[0]} (best {best:.4g}; lower is better)"


def skipped_text(report: str) -> str:
    if not report:
        return "Training skipped no file."
    lines = report.splitlines()
    return f"Training skipped {len(lines)} file(s):\n" + "\n".join(f"- `{line}`" for line in lines[:200])


def queue_text(jobs: list[Job], kind: str) -> str:
    """The running and waiting jobs of one kind, in the order they will run."""
    mine = [j for j in jobs if j.kind == kind and j.active]
    if not mine:
        return "Queue: empty."
    running = [j for j in mine if j.state != "queued"]
    waiting = [j for j in mine if j.state == "queued"]
    rows = [f"- {Path(j.folder).name}: {j.state}" for j in running]
    rows += [f"- {Path(j.folder).name}: waiting, place {i}" for i, j in enumerate(waiting, 1)]
    return "Queue:\n" + "\n".join(rows)


def run_table(runs: list[folders.RunSummary], jobs: dict[str, Job]) -> list[list]:
    """Rows for the Runs tab: name, status, step, target, best metric, data, last change."""
    rows = []
    for run in runs:
        job = jobs.get(run.name)
        status = job.state if job else ("finished" if run.target and run.step >= run.target else "idle")
        rows.append([run.name, status, run.step, run.target if run.target is not None else "",
                     f"{run.best:.4g}" if run.best is not None else "", Path(run.data).name or run.data,
                     time.strftime("%Y-%m-%d %H:%M", time.localtime(run.updated)) if run.updated else ""])
    return rows


def events_html(events: list[dict], pending: set[tuple]) -> str:
    """The diagnostics events as rows: what was seen, and the lesson's remedy."""
    if not events:
        return "<p>No diagnostics events yet.</p>"
    rows = []
    for event in events:
        key = (event.get("event"), event.get("step"))
        mark = " <em>(remedy queued for the next resume)</em>" if key in pending else ""
        rows.append(f"<tr><td>{html.escape(str(event.get('step', '?')))}</td>"
                    f"<td>{html.escape(str(event.get('event', '?')))}</td>"
                    f"<td>{html.escape(str(event.get('message', '')))}</td>"
                    f"<td>{html.escape(str(event.get('remedy', '')))}{mark}</td></tr>")
    return ("<table class='ganvas-events'><tr><th>step</th><th>event</th><th>what was seen</th>"
            f"<th>remedy</th></tr>{''.join(rows)}</table>")
