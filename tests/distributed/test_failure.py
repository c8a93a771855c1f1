"""A rank that fails ends the whole job within the timeout, with one line naming it; nothing hangs, and the
last checkpoint stays intact. What reaches one rank only is acted on by all: a signal stops them at the
same step, with a checkpoint; a NaN loss rolls them all back."""
import json
import subprocess
import sys
import time

import pytest

from ganvas import checkpoint as ckpt

from .helpers import HERE, REPO, env

pytestmark = pytest.mark.slow

LAUNCH = ("import sys; from ganvas.launch import launch; code, line = launch(2, sys.argv[1:]); print(line); "
          "sys.exit(code)")


def _job(out, how, after, *more, **extra_env):
    start = time.monotonic()
    job = subprocess.run([sys.executable, "-c", LAUNCH, str(HERE / "worker_rank1.py"), str(out), how, str(after),
                          *map(str, more)],
                         cwd=REPO, env={**env(), **extra_env}, capture_output=True, text=True, timeout=180)
    return job, time.monotonic() - start


def _intact(out, step):
    tensors, info = ckpt.load_latest(out)
    assert info["step"] == step and "rng.cpu.rank1" in tensors
    assert not list((out / "checkpoints").glob(".*.tmp"))


def test_a_rank_that_raises_ends_the_job_with_one_line(tmp_path):
    job, took = _job(tmp_path / "run", "raise", 25)
    assert job.returncode == 1
    assert job.stdout.strip().splitlines()[-1] == (
        "rank 1 failed (RuntimeError: injected failure on rank 1); the other processes were stopped")
    assert "rank 0: stopped: another process failed or stopped answering" in job.stderr
    assert took < 120
    _intact(tmp_path / "run", 20)


def test_a_rank_that_stops_answering_ends_the_job_after_the_timeout(tmp_path):
    # Rank 0 gives up on rank 1 after --dist-timeout; the agent then stops rank 1. The timeout covers
    # every wait, so it leaves room for a loaded machine's slow step or checkpoint before the hang.
    job, took = _job(tmp_path / "run", "hang", 25, TEST_DIST_TIMEOUT="10")
    assert job.returncode == 1
    assert "rank 0: stopped: another process failed or stopped answering" in job.stderr
    assert job.stdout.strip().splitlines()[-1] == ("rank 1 failed (stopped answering, then was ended by SIGTERM); "
                                                   "the other processes were stopped")
    assert took < 60
    _intact(tmp_path / "run", 20)


def test_a_sigterm_to_one_rank_stops_every_rank_at_the_same_step_with_a_checkpoint(tmp_path):
    job, _ = _job(tmp_path / "run", "signal", 25)
    assert job.returncode == 0, job.stderr[-3000:]  # rank 0 went no further: it would have lost rank 1
    _intact(tmp_path / "run", 25)  # a stop's checkpoint, between the every-20-steps ones


def test_a_nan_loss_on_one_rank_rolls_every_rank_back(tmp_path):
    job, _ = _job(tmp_path / "run", "nan", 25, 40)
    assert job.returncode == 0, job.stderr[-3000:]  # had one rank alone rolled back, the ranks would differ
    events = [json.loads(line) for line in (tmp_path / "run" / "events.jsonl").read_text().splitlines()]
    rollbacks = [e for e in events if e["event"] == "rollback"]
    assert len(rollbacks) == 1 and "rolled back to step 20" in rollbacks[0]["message"]
    tensors, info = ckpt.load_latest(tmp_path / "run")
    assert info["step"] == 40
    assert info["optimizers"]["opt_g"]["param_groups"][0]["lr"] == 1e-4  # halved, on rank 0 as on rank 1
