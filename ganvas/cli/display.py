"""Render library progress events in the terminal with rich."""
from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from ..progress import Progress


def _format(values: dict) -> str:
    parts = []
    for key, value in values.items():
        if isinstance(value, float):
            parts.append(f"{key} {value:.4g}")
        else:
            parts.append(f"{key} {value}")
    return "  ".join(parts)


class Display:
    """A progress callback: one bar per task, notes printed above the bars.

    Use as a context manager so the bars are closed even when the job fails.
    """

    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=True, highlight=False)
        self.bar = Bar(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                       TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[info]}"),
                       console=self.console, transient=False, disable=not self.console.is_terminal)
        self.tasks: dict[str, int] = {}

    def __enter__(self) -> "Display":
        self.bar.start()
        return self

    def __exit__(self, *exc) -> None:
        self.bar.stop()

    def __call__(self, event: Progress) -> None:
        if event.kind == "note":
            self.console.print(event.message)
            return
        if event.kind not in ("start", "update", "end"):
            return  # e.g. "sample": for front ends that show images
        task = self.tasks.get(event.task)
        if task is None:
            task = self.bar.add_task(event.task, total=event.total, info="")
            self.tasks[event.task] = task
        self.bar.update(task, completed=event.step, total=event.total, info=_format(event.values))
        if event.kind == "end":
            if event.message:
                self.console.print(event.message)
        elif not self.console.is_terminal and event.values and event.kind == "update":
            # Logs and CI get one plain line per report instead of a redrawn bar.
            total = f"/{event.total}" if event.total else ""
            print(f"{event.task} {event.step}{total}  {_format(event.values)}", file=sys.stderr, flush=True)
