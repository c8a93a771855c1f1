"""Reading run folders for the pages: every view is rebuilt from the files, never from page memory.

That is what lets a browser reload, a second tab or a restarted server show the same state: the
loop writes metrics.jsonl, events.jsonl, samples/ and checkpoints/, the worker writes progress.json.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from ..jsonl import read_jsonl
from .jobs import read_json
from .paths import JOB_DIR, STUDIO

_STEP = re.compile(r"step-(\d+)\.(?:png|json)$")


@dataclass
class RunSummary:
    name: str
    path: Path
    step: int
    target: Optional[int]
    best: Optional[float]  # the lowest in-loop SWD so far
    data: str
    updated: float


def run_folders(runs: Path) -> list[Path]:
    """Run folders directly under `runs` (with a run.json, or a studio job still waiting), newest first."""
    if not runs.is_dir():
        return []
    found = [p for p in runs.iterdir() if p.is_dir() and p.name != STUDIO
             and ((p / "run.json").is_file() or (p / JOB_DIR / "job.json").is_file())]
    return sorted(found, key=_updated, reverse=True)


def _updated(run: Path) -> float:
    stamps = [p.stat().st_mtime for p in (run / "run.json", run / "metrics.jsonl", run / "checkpoints",
                                          run / JOB_DIR / "job.json") if p.exists()]
    return max(stamps, default=0.0)


def summary(run: Path) -> RunSummary:
    config = read_json(run / "run.json").get("config") or {}
    return RunSummary(name=run.name, path=run, step=checkpoint_step(run), target=config.get("steps"),
                      best=best_metric(run), data=str(config.get("data", "?")), updated=_updated(run))


def checkpoint_step(run: Path) -> int:
    """The step of the newest checkpoint: where a resume goes on from."""
    steps = [int(m.group(1)) for p in (run / "checkpoints").glob("step-*.json") if (m := _STEP.search(p.name))]
    return max(steps, default=0)


def metric_records(run: Path) -> list[dict]:
    return read_jsonl(run / "metrics.jsonl")


def best_metric(run: Path, records: Optional[list[dict]] = None) -> Optional[float]:
    values = [r["eval"]["swd"] for r in (records if records is not None else metric_records(run))
              if isinstance(r.get("eval"), dict) and "swd" in r["eval"]]
    return min(values) if values else None


def latest_metric(records: list[dict]) -> Optional[tuple[int, float]]:
    evals = [(r["step"], r["eval"]["swd"]) for r in records if isinstance(r.get("eval"), dict) and "swd" in r["eval"]]
    return evals[-1] if evals else None


def live_loss_plot(run: Path, records: list[dict]) -> Optional[Path]:
    """The report's loss figure, redrawn only when the run has logged since: RUN/studio/losses.png.

    The same figure as the report and the loop's losses.png (raw curves behind smoothed ones, so the
    oscillation shows), but current to the last log record rather than the last sample grid.
    """
    if not any("eval" not in r for r in records):
        return None
    path = run / JOB_DIR / "losses.png"
    sources = [p.stat().st_mtime for p in (run / "metrics.jsonl", run / "events.jsonl") if p.exists()]
    if not path.exists() or path.stat().st_mtime < max(sources, default=0):
        from ..plots import plot_losses

        plot_losses(records, path, events(run))
    return path


def sample_grids(run: Path) -> list[tuple[int, Path]]:
    """(step, PNG) of every sample grid the loop wrote, oldest first."""
    grids = [(int(m.group(1)), p) for p in (run / "samples").glob("step-*.png") if (m := _STEP.search(p.name))]
    return sorted(grids)


def events(run: Path) -> list[dict]:
    return read_jsonl(run / "events.jsonl")


def skipped_report(run: Path) -> str:
    """skipped.txt as the loop wrote it: which files training could not use, and why."""
    path = run / "skipped.txt"
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""
