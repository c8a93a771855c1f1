"""The job manager without a browser: start, stop, queue, resume behind a stopping job, restart recovery.

The workers here are tests/ui/fake_worker.py, which speaks the same files as the real worker in a few
milliseconds; test_worker.py runs the real one.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from ganvas.errors import GanvasError
from ganvas.ui.jobs import JobManager, read_job, read_progress
from ganvas.ui.paths import Layout
from tests.ui.helpers import FAKE, state, wait_for



@pytest.fixture
def layout(tmp_path) -> Layout:
    return Layout.at(tmp_path / "runs")


def manager(layout: Layout, **slots) -> JobManager:
    return JobManager(layout, slots, command=FAKE, poll_s=0.05).start()


def test_a_job_runs_to_its_end_and_its_state_is_read_back_from_its_folder(layout):
    jobs = manager(layout)
    try:
        job = jobs.submit("train", layout.runs / "a", {"ticks": 3})
        wait_for(lambda: state(jobs, job) == "finished", what="the job to finish")
        on_disk = read_job(layout.runs / "a")
        assert on_disk.state == "finished" and on_disk.message == "done" and on_disk.ended
        assert read_progress(layout.runs / "a")["outcome"]["result"] == "finished"
    finally:
        jobs.shutdown(timeout=5)


def test_stop_ends_a_running_job_and_cancels_a_queued_one(layout):
    jobs = manager(layout)
    try:
        running = jobs.submit("train", layout.runs / "a", {})
        waiting = jobs.submit("train", layout.runs / "b", {})
        wait_for(lambda: state(jobs, running) == "running", what="the first job to start")
        assert state(jobs, waiting) == "queued" and jobs.queue_position(jobs.get(waiting.id)) == 1
        jobs.stop(waiting.id)
        jobs.stop(running.id)
        wait_for(lambda: state(jobs, running) == "stopped", what="the running job to stop")
        assert state(jobs, waiting) == "cancelled"
        assert read_job(layout.runs / "b").state == "cancelled"
    finally:
        jobs.shutdown(timeout=5)


def test_one_job_per_kind_runs_at_a_time_and_the_rest_wait_in_order(layout):
    jobs = manager(layout)
    try:
        first, second, third = (jobs.submit("train", layout.runs / n, {}) for n in "abc")
        paint = jobs.submit("stylize", layout.stylize / "s", {})
        wait_for(lambda: state(jobs, first) == "running" and state(jobs, paint) == "running",
                 what="one job of each kind to run")
        assert [jobs.queue_position(jobs.get(j.id)) for j in (first, second, third)] == [0, 1, 2]
        jobs.stop(first.id)
        wait_for(lambda: state(jobs, second) == "running", what="the next job to start")
        assert state(jobs, third) == "queued" and jobs.queue_position(jobs.get(third.id)) == 1
    finally:
        jobs.shutdown(timeout=5)


def test_resume_waits_for_its_runs_stopping_job_and_a_second_job_is_refused(layout):
    jobs = manager(layout)
    try:
        run = layout.runs / "a"
        job = jobs.submit("train", run, {"ticks": 100000, "tick_s": 0.01})
        wait_for(lambda: state(jobs, job) == "running", what="the job to start")
        with pytest.raises(GanvasError, match="already has a running job"):
            jobs.submit("train", run, {})
        jobs.stop(job.id)
        resumed = jobs.submit("train", run, {"ticks": 2, "resume": True})
        wait_for(lambda: state(jobs, resumed) == "finished", what="the resumed job")
        assert state(jobs, job) == "stopped"
        # job.json holds the newest job of the folder, whichever ended last
        assert read_job(run).id == resumed.id and read_job(run).spec["resume"] is True
    finally:
        jobs.shutdown(timeout=5)


def test_a_worker_that_dies_without_an_outcome_is_failed_with_its_log(layout):
    jobs = manager(layout)
    try:
        job = jobs.submit("train", layout.runs / "a", {"ticks": 1, "crash": True})
        wait_for(lambda: state(jobs, job) == "failed", what="the failure")
        assert "exit code 3" in jobs.get(job.id).message and "crashing on purpose" in jobs.get(job.id).message
    finally:
        jobs.shutdown(timeout=5)


def abandon(jobs: JobManager) -> None:
    """What a killed server leaves: its supervisor gone, its workers still running."""
    jobs._closing = True
    jobs._wake.set()
    jobs._thread.join(timeout=5)


def test_a_restarted_server_adopts_live_workers_requeues_waiting_jobs_and_marks_dead_ones(layout):
    old = manager(layout)
    alive = old.submit("train", layout.runs / "alive", {})
    waiting = old.submit("train", layout.runs / "waiting", {"ticks": 2})
    wait_for(lambda: state(old, alive) == "running" and read_progress(alive.folder).get("pid"),
             what="the first job to start")
    abandon(old)
    dead = _dead_job(layout)

    new = manager(layout)
    try:
        assert state(new, alive) == "running", "a live worker is adopted"
        assert state(new, dead) == "interrupted" and "Resume" in new.get(dead.id).message
        assert state(new, waiting) == "queued"
        new.stop(alive.id)
        wait_for(lambda: state(new, alive) == "stopped", what="the adopted job to stop")
        wait_for(lambda: state(new, waiting) == "finished", what="the waiting job to run after it")
    finally:
        new.shutdown(timeout=5)
        for proc in old._procs.values():
            proc.wait(timeout=5)


def _dead_job(layout: Layout):
    """A job.json that says running, for a worker that is long gone."""
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    folder = layout.runs / "dead" / "studio"
    folder.mkdir(parents=True)
    job = {"id": "train-dead", "kind": "train", "folder": str(folder.parent), "spec": {}, "state": "running",
           "created": time.time() - 60, "started": time.time() - 60, "pid": int(gone.stdout)}
    (folder / "job.json").write_text(json.dumps(job))
    (folder / "progress.json").write_text(json.dumps({"pid": job["pid"], "heartbeat": time.time() - 60}))
    return read_job(folder.parent)


def test_shutdown_stops_running_jobs_and_keeps_queued_ones_for_the_next_start(layout):
    jobs = manager(layout)
    running = jobs.submit("train", layout.runs / "a", {})
    waiting = jobs.submit("train", layout.runs / "b", {})
    wait_for(lambda: state(jobs, running) == "running", what="the job to start")
    jobs.shutdown(timeout=10)
    assert read_job(layout.runs / "a").state == "stopped"
    assert read_job(layout.runs / "b").state == "queued"
    with pytest.raises(GanvasError, match="shutting down"):
        jobs.submit("train", layout.runs / "c", {})
    again = JobManager(layout, command=FAKE)
    again.recover()  # what the next start reads, before its supervisor launches anything
    assert waiting.id in {j.id for j in again.jobs() if j.state == "queued"}
