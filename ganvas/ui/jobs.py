"""The studio's jobs: training runs and stylisations, each in its own worker process, queued per kind.

Why processes rather than threads: a job sets process-wide state for its whole run (PyTorch's
thread count, its global RNG, deterministic kernels), so a training and a stylisation side by side in
one process would change each other's random numbers and thread counts. A worker process also keeps
the web server answering while a step holds the GIL, outlives a closed page, and is found still
running by a server that was killed and started again.

Every job has a folder (the run folder for training, RUNS/.studio/stylize/ID for a stylisation)
whose studio/ subfolder holds:
  job.json       written by the manager only: kind, spec, state, times, pid
  progress.json  written by the worker only: live values, a heartbeat, and at the end its outcome
  stop           made by the manager to ask the worker to stop (training checkpoints first)
  worker.log     the worker's output
One writer per file, so nothing needs a lock across processes, and a browser reload, a second tab or
a restarted server reads a job's state back from its folder.
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

from ..errors import GanvasError
from .paths import JOB_DIR, Layout

QUEUED, RUNNING, STOPPING = "queued", "running", "stopping"
FINISHED, STOPPED, FAILED, CANCELLED, INTERRUPTED = "finished", "stopped", "failed", "cancelled", "interrupted"
ACTIVE = (QUEUED, RUNNING, STOPPING)
KINDS = ("train", "stylize")
STALE_S = 20.0  # a worker writes a heartbeat every 2 s; this much silence means it is gone
LOG_TAIL = 1500


@dataclass
class Job:
    id: str
    kind: str
    folder: str
    spec: dict
    state: str = QUEUED
    created: float = field(default_factory=time.time)
    started: Optional[float] = None
    ended: Optional[float] = None
    pid: Optional[int] = None
    message: str = ""

    @property
    def studio(self) -> Path:
        return Path(self.folder) / JOB_DIR

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    def to_dict(self) -> dict:
        return asdict(self)


def read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_job(folder: str | Path) -> Optional[Job]:
    data = read_json(Path(folder) / JOB_DIR / "job.json")
    try:
        return Job(**{k: data[k] for k in Job.__dataclass_fields__ if k in data})
    except TypeError:
        return None


def read_progress(folder: str | Path) -> dict:
    return read_json(Path(folder) / JOB_DIR / "progress.json")


def write_json(path: Path, data: dict) -> None:
    from ..io import atomic_write_bytes

    atomic_write_bytes(path, json.dumps(data, indent=1).encode())


class JobManager:
    """Starts queued jobs as slots free up, watches them, and stops them cleanly; safe from any thread."""

    def __init__(self, layout: Layout, slots: Optional[dict] = None, command: Optional[list] = None,
                 poll_s: float = 0.5):
        self.layout = layout
        self.slots = {**{kind: 1 for kind in KINDS}, **(slots or {})}
        self.command = list(command or [sys.executable, "-m", "ganvas.ui.worker"])
        self.poll_s = poll_s
        self._jobs: dict[str, Job] = {}
        self._procs: dict[str, subprocess.Popen] = {}
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._closing = False
        self._thread: Optional[threading.Thread] = None

    # -- life of the manager ---------------------------------------------------------------------
    def start(self) -> "JobManager":
        self.recover()
        self._thread = threading.Thread(target=self._supervise, name="ganvas-jobs", daemon=True)
        self._thread.start()
        return self

    def recover(self) -> None:
        """Read every job folder: queued jobs wait again, live workers are adopted, dead ones marked."""
        with self._lock:
            for path in self._job_files():
                job = read_job(path.parent.parent)
                if job is None or job.id in self._jobs:
                    continue
                if job.state in (RUNNING, STOPPING) and not self._alive(job):
                    self._set(job, INTERRUPTED, "the studio stopped while this job ran; Resume continues it "
                              "from its last checkpoint" if job.kind == "train" else "the studio stopped "
                              "while this job ran")
                self._jobs[job.id] = job
        self._wake.set()

    def shutdown(self, timeout: float = 60.0) -> None:
        """Ask every running job to stop (training saves a checkpoint), wait for them, then end the rest."""
        with self._lock:
            self._closing = True
            for job in self._jobs.values():
                if job.state in (RUNNING, STOPPING):
                    self._request_stop(job)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._running():
            self.tick()
            time.sleep(0.1)
        with self._lock:
            for job_id, proc in list(self._procs.items()):
                proc.kill()
                proc.wait()
            self.tick()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- what the pages ask for ------------------------------------------------------------------
    def submit(self, kind: str, folder: str | Path, spec: dict) -> Job:
        if kind not in KINDS:
            raise ValueError(kind)
        folder = str(Path(folder).resolve())
        with self._lock:
            if self._closing:
                raise GanvasError("the studio is shutting down; start the job after it restarts")
            busy = self.job_for(folder)
            # A job that is stopping will be gone in a moment: the new one waits for it in the queue.
            if busy is not None and busy.state in (QUEUED, RUNNING):
                raise GanvasError(f"{Path(folder).name}: already has a {busy.state} job; stop it first")
            job = Job(id=f"{kind}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}", kind=kind,
                      folder=folder, spec=spec)
            job.studio.mkdir(parents=True, exist_ok=True)
            self._jobs[job.id] = job
            self._save(job)
        self._wake.set()
        return job

    def stop(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs[job_id]
            if job.state == QUEUED:
                self._set(job, CANCELLED, "cancelled before it started")
            elif job.state == RUNNING:
                self._request_stop(job)
            return job

    def jobs(self, kind: Optional[str] = None) -> list[Job]:
        with self._lock:
            found = [Job(**job.to_dict()) for job in self._jobs.values() if kind in (None, job.kind)]
        return sorted(found, key=lambda j: j.created)

    def get(self, job_id: str) -> Optional[Job]:
        with self._lock:
            job = self._jobs.get(job_id)
            return Job(**job.to_dict()) if job else None

    def job_for(self, folder: str | Path) -> Optional[Job]:
        """The newest job of a folder."""
        folder = str(Path(folder).resolve())
        with self._lock:
            mine = [j for j in self._jobs.values() if j.folder == folder]
        return Job(**max(mine, key=lambda j: j.created).to_dict()) if mine else None

    def queue_position(self, job: Job) -> int:
        """1 for the next queued job of its kind, 2 for the one after; 0 when not queued."""
        if job.state != QUEUED:
            return 0
        waiting = [j for j in self.jobs(job.kind) if j.state == QUEUED]
        return 1 + [j.id for j in waiting].index(job.id) if job.id in [j.id for j in waiting] else 0

    # -- supervision -----------------------------------------------------------------------------
    def tick(self) -> None:
        """One pass: notice workers that ended, then start queued jobs where a slot is free."""
        with self._lock:
            for job in list(self._jobs.values()):
                if job.state in (RUNNING, STOPPING):
                    self._reap(job)
            if self._closing:
                return
            for kind in KINDS:
                busy = [j for j in self._jobs.values() if j.state in (RUNNING, STOPPING)]
                free = self.slots[kind] - sum(1 for j in busy if j.kind == kind)
                waiting = sorted((j for j in self._jobs.values() if j.kind == kind and j.state == QUEUED),
                                 key=lambda j: j.created)
                # Never two jobs on one folder at once: a resume waits for its run's stopping job.
                ready = [j for j in waiting if all(b.folder != j.folder for b in busy)]
                for job in ready[:max(0, free)]:
                    self._launch(job)

    def _supervise(self) -> None:
        while not self._closing:
            try:
                self.tick()
            except Exception as exc:  # the supervisor must outlive one bad job folder
                print(f"ganvas ui: job supervisor: {type(exc).__name__}: {exc}", file=sys.stderr)
            self._wake.wait(self.poll_s)
            self._wake.clear()

    def _launch(self, job: Job) -> None:
        for stale in ("progress.json", "stop"):  # the previous job's, now that it is over
            (job.studio / stale).unlink(missing_ok=True)
        env = dict(os.environ)
        # The worker imports the same ganvas as this server, installed or not.
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        with open(job.studio / "worker.log", "ab") as log:
            proc = subprocess.Popen([*self.command, str(job.studio)], stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=env)
        self._procs[job.id] = proc
        job.pid, job.started, job.ended = proc.pid, time.time(), None
        self._set(job, RUNNING, "")

    def _reap(self, job: Job) -> None:
        proc = self._procs.get(job.id)
        if proc is not None:
            code = proc.poll()
            if code is None:
                return
            del self._procs[job.id]
        elif self._alive(job):
            return  # adopted after a restart: no handle to wait on, so the heartbeat says whether it lives
        else:
            code = None
        outcome = read_progress(job.folder).get("outcome") or {}
        job.pid, job.ended = None, time.time()
        if outcome.get("result") in (FINISHED, STOPPED, FAILED):
            self._set(job, outcome["result"], str(outcome.get("message", "")))
        else:
            self._set(job, FAILED, f"the worker ended without a result (exit code {code}): {self._log_tail(job)}")

    def _alive(self, job: Job) -> bool:
        progress = read_progress(job.folder)
        if progress.get("outcome"):
            return False  # the worker has said how it ended; it exits right after
        beat = progress.get("heartbeat") or job.started or 0
        if time.time() - beat > STALE_S:
            return False
        pid = progress.get("pid") or job.pid
        if not pid:
            return False
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except (PermissionError, OSError):
            pass  # exists but is not ours to signal, or the platform cannot tell: trust the heartbeat
        return True

    def _running(self) -> bool:
        with self._lock:
            return any(j.state in (RUNNING, STOPPING) for j in self._jobs.values())

    def _request_stop(self, job: Job) -> None:
        (job.studio / "stop").touch()
        self._set(job, STOPPING, "stopping: the run saves a checkpoint first" if job.kind == "train" else
                  "stopping: the current image is kept")

    def _set(self, job: Job, state: str, message: str) -> None:
        job.state, job.message = state, message
        if state not in ACTIVE and job.ended is None:
            job.ended = time.time()
        self._save(job)

    def _save(self, job: Job) -> None:
        # job.json describes a folder's newest job; an older one ending later must not write over it.
        mine = [j for j in self._jobs.values() if j.folder == job.folder] or [job]
        if max(mine, key=lambda j: j.created).id == job.id:
            write_json(job.studio / "job.json", job.to_dict())

    def _job_files(self) -> list[Path]:
        runs = self.layout.runs.glob(f"*/{JOB_DIR}/job.json")
        styles = self.layout.stylize.glob(f"*/{JOB_DIR}/job.json")
        return sorted([*runs, *styles])

    @staticmethod
    def _log_tail(job: Job) -> str:
        try:
            text = (job.studio / "worker.log").read_text(errors="replace")
        except OSError:
            return "no log"
        return text[-LOG_TAIL:].strip() or "no output"
