"""One studio job in its own process: `python -m ganvas.ui.worker JOB_FOLDER/studio`.

It reads job.json, runs the job through the public API (`ganvas.api.train` or `stylize_to_file`, as
the CLI does) and writes what happens to progress.json: live values a few times a second at most, a
heartbeat every two seconds, and at the end the outcome. It stops when the `stop` file appears or on
SIGTERM/SIGINT: a training run then saves a checkpoint that Resume continues, and a stylisation writes
the image as it stands.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Callable

from ..errors import GanvasError
from ..gan.hooks import Hook
from ..progress import Progress
from .jobs import FAILED, FINISHED, STOPPED, read_json, write_json
from .remedies import PENDING

HEARTBEAT_S = 2.0
WRITE_EVERY_S = 0.5  # updates come every log_every steps; more writes than this only cost disk time
MAX_NOTES = 40
APPLYING = "remedies.applying.json"


class Reporter:
    """The progress callback: keeps the job's live state and writes it to progress.json."""

    def __init__(self, path: Path):
        self.path = path
        self.lock = threading.Lock()
        now = time.time()
        self.state = {"pid": os.getpid(), "started": now, "heartbeat": now, "phase": "starting", "step": 0,
                      "total": None, "values": {}, "rate": None, "eta_s": None, "notes": [], "sample": None,
                      "outcome": None}
        self._mark: tuple[float, int] | None = None
        self._written = 0.0
        self._write()

    def __call__(self, event: Progress) -> None:
        with self.lock:
            self._apply(event)
            if event.kind != "update" or time.monotonic() - self._written >= WRITE_EVERY_S:
                self._write()

    def _apply(self, event: Progress) -> None:
        s = self.state
        if event.task == "prepare":
            s.update(phase="preparing the images", step=event.step, total=event.total)
            return
        if event.kind == "note" or (event.kind == "end" and event.message):
            s["notes"] = [*s["notes"], event.message][-MAX_NOTES:]
        if event.kind == "start":
            s.update(phase="training" if event.task == "train" else "painting", total=event.total)
            self._mark = (time.monotonic(), event.step)
        if event.kind in ("start", "update", "sample", "end"):
            s["step"] = event.step
            s["total"] = event.total if event.total is not None else s["total"]
        if event.kind == "update":
            s["values"] = dict(event.values)
            self._rate(event.step)
        if event.kind == "sample":
            s["sample"] = event.values.get("path")

    def _rate(self, step: int) -> None:
        # The average since this process's loop started: steady, and free of the data preparation time.
        if self._mark is None:
            return
        elapsed, done = time.monotonic() - self._mark[0], step - self._mark[1]
        if elapsed > 0 and done > 0:
            rate = done / elapsed
            total = self.state["total"]
            self.state.update(rate=round(rate, 3), eta_s=round((total - step) / rate, 1) if total else None)

    def beat(self) -> None:
        with self.lock:
            self.state["heartbeat"] = time.time()
            self._write()

    def finish(self, result: str, message: str) -> None:
        with self.lock:
            self.state.update(outcome={"result": result, "message": message}, phase=result, eta_s=None)
            self._write()

    def _write(self) -> None:
        self.state["heartbeat"] = time.time()
        write_json(self.path, self.state)
        self._written = time.monotonic()


class StopFlag:
    """should_stop for the library: the manager's stop file, or a signal to this process."""

    def __init__(self, path: Path):
        self.path = path
        self.signalled = False

    def __call__(self) -> bool:
        return self.signalled or self.path.exists()

    def on_signal(self, _signum, _frame) -> None:
        self.signalled = True


class PendingRemedies(Hook):
    """The diagnostics remedies the user chose in the studio, applied once, at the first resumed step."""

    name = "studio-remedies"

    def __init__(self, remedies: list[dict], applied: Callable[[], None]):
        self.remedies, self.applied = remedies, applied

    def on_step(self, run, act) -> None:
        if not self.remedies:
            return
        for remedy in self.remedies:
            done = act.apply(remedy["action"])
            act.event("remedy", f"applied on resuming, for the {remedy.get('event', '?')} alarm at step "
                      f"{remedy.get('step', '?')}: {', '.join(done) or 'nothing to change'}", "", remedy["action"])
        self.remedies = []
        self.applied()


def _pending_remedies(studio: Path) -> list[Hook]:
    # Claimed by a rename, so a remedy added while this run goes on waits for the next resume.
    pending, claimed = studio / PENDING, studio / APPLYING
    if pending.exists():
        os.replace(pending, claimed)
    remedies = read_json(claimed).get("remedies", [])
    return [PendingRemedies(remedies, lambda: claimed.unlink(missing_ok=True))] if remedies else []


def _tuples(options: dict) -> dict:
    """JSON turned the configs' tuples into lists; a list would read as a changed value on resume."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in options.items()}


def run_train(spec: dict, studio: Path, report: Reporter, stop: StopFlag) -> tuple[str, str]:
    from .. import api

    resume = bool(spec.get("resume"))
    hooks = _pending_remedies(studio) if resume else []
    summary = api.train(resume=resume, hooks=hooks, should_stop=stop, progress=report, **_tuples(spec["options"]))
    reason = summary.get("reason")
    return (FINISHED if reason == "target reached" else STOPPED), f"stopped at step {summary['step']} ({reason})"


def run_stylize(spec: dict, studio: Path, report: Reporter, stop: StopFlag) -> tuple[str, str]:
    from .. import api
    from ..config import StyleConfig

    config = StyleConfig(**_tuples(spec["options"]))
    path = api.stylize_to_file(config, progress=report, should_stop=stop)
    return (STOPPED if stop() else FINISHED), str(path)


RUNNERS = {"train": run_train, "stylize": run_stylize}


def _heartbeat(report: Reporter) -> None:
    while True:
        time.sleep(HEARTBEAT_S)
        report.beat()


def main(argv: list[str] | None = None) -> int:
    studio = Path((argv if argv is not None else sys.argv[1:])[0])
    job = read_json(studio / "job.json")
    report = Reporter(studio / "progress.json")
    stop = StopFlag(studio / "stop")
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, stop.on_signal)
    threading.Thread(target=_heartbeat, args=(report,), daemon=True).start()
    try:
        result, message = RUNNERS[job["kind"]](job["spec"], studio, report, stop)
    except GanvasError as exc:
        report.finish(FAILED, str(exc))
        return 2
    except Exception as exc:  # the page shows the reason; the log keeps the traceback
        traceback.print_exc()
        report.finish(FAILED, f"{type(exc).__name__}: {exc}")
        return 1
    report.finish(result, message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
