"""Shared by the studio's tests: the stand-in worker's command line, and waiting on a job."""
from __future__ import annotations

import sys
import time
from pathlib import Path

FAKE = [sys.executable, str(Path(__file__).with_name("fake_worker.py"))]


def wait_for(condition, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def state(jobs, job) -> str:
    return jobs.get(job.id).state
