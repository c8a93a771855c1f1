"""`ganvas train --nproc 2` end to end on CPU: one writer, SIGKILL of the whole job then --resume ends
bit-identical to an uninterrupted 2-process run, and a resume with another number of processes."""
import json
import os
import shutil
import signal
import time

import pytest
import torch

from ganvas import checkpoint as ckpt

from .helpers import TINY, ganvas

pytestmark = pytest.mark.slow

# Flips, skip-D and ADA make every rank-dependent piece of state matter: the shard's flips, the averaged
# D loss, ADA's summed tally; records every 30 steps and checkpoints every 40 leave partial sums to carry.
FLAGS = [*TINY, "--steps", "100", "--log-every", "30", "--sample-every", "50", "--checkpoint-every", "40",
         "--eval-samples", "64", "--flip", "--skip-d-below", "1.2", "--augment", "ada", "--ada-kimg", "1"]
KILL_AFTER = 40


def _train(out, *extra, wait=True):
    return ganvas("train", "shapes", "--out", out, *FLAGS, *extra, wait=wait)


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    out = tmp_path_factory.mktemp("whole") / "run"
    job = _train(out, "--nproc", "2")
    assert job.returncode == 0, job.stderr[-4000:]
    return out, job


def _layout(run):
    return sorted(str(p.relative_to(run)) for p in run.rglob("*") if p.is_file())


def test_only_rank_0_writes_the_run_folder(whole, tmp_path):
    run, job = whole
    single = tmp_path / "single"
    alone = _train(single)
    assert alone.returncode == 0, alone.stderr[-4000:]
    assert _layout(run) == _layout(single)
    assert sorted(p.name for p in run.parent.iterdir()) == ["run"]  # nothing beside it either
    info = json.loads((run / "run.json").read_text())
    assert info["processes"] == 2 and info["config"]["batch_size"] == 16
    assert "batch 16 = 2 processes x 8 (--batch-size / processes)" in " ".join(job.stderr.split())
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if "d_loss" in r] == [30, 60, 90, 100]


def test_a_second_job_in_the_same_folder_is_refused_in_one_line(whole):
    run, _ = whole
    job = _train(run, "--nproc", "2")
    assert job.returncode == 2
    lines = [line for line in job.stderr.splitlines() if "error" in line]
    assert len(lines) == 1 and "--resume" in lines[0], job.stderr[-2000:]


def test_sigkill_of_the_job_then_resume_is_bit_identical(whole, tmp_path):
    run, _ = whole
    killed = tmp_path / "killed"
    job = _train(killed, "--nproc", "2", wait=False)
    marker = killed / "checkpoints" / f"step-{KILL_AFTER:07d}.json"
    deadline = time.monotonic() + 240
    while not marker.exists():
        assert job.poll() is None, "training ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(job.pid, signal.SIGKILL)  # the launcher and both workers at once
    job.wait()
    _, info = ckpt.load_latest(killed)
    assert KILL_AFTER <= info["step"] < 100
    assert {f"rng.cpu.rank{r}" for r in (0, 1)} <= set(ckpt.load_latest(killed)[0])

    resumed = _train(killed, "--nproc", "2", "--resume")
    assert resumed.returncode == 0, resumed.stderr[-4000:]
    a, info_a = ckpt.load_latest(run)
    b, info_b = ckpt.load_latest(killed)
    assert info_a["step"] == info_b["step"] == 100
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert set(a) == set(b) and not different, different[:5]
    assert info_a["state"] == info_b["state"]


def test_a_resume_with_another_number_of_processes_goes_on_and_says_it_is_not_bit_identical(whole, tmp_path):
    run, _ = whole
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    job = ganvas("train", "--out", copy, "--resume", "--steps", "120")  # one process now
    assert job.returncode == 0, job.stderr[-3000:]
    said = " ".join(job.stderr.split())
    assert "trained with 2 process(es) and resumes with 1" in said and "not bit for bit" in said
    tensors, info = ckpt.load_latest(copy)
    assert info["step"] == 120 and info["processes"] == 1 and "rng.cpu" in tensors


def test_a_growing_run_trains_over_two_processes_through_every_level(tmp_path):
    # 8 px for 2 steps, 16 px fading in over steps 2-3, then alone: the level change is journaled to rank 1.
    out = tmp_path / "grown"
    job = ganvas("train", "shapes", "--out", out, *TINY, "--steps", "8", "--log-every", "2", "--progressive",
                 "--grow-kimg", "0.032", "--nproc", "2")
    assert job.returncode == 0, job.stderr[-4000:]
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [(r["step"], r["level"]) for r in records if "level" in r] == [(2, 0), (4, 1), (6, 1), (8, 1)]
    tensors, info = ckpt.load_latest(out)
    assert info["step"] == 8 and int(tensors["G.level"]) == 1 and float(tensors["G.alpha"]) == 1.0


def test_stylegan2_trains_over_two_processes_and_resumes_bit_identical(tmp_path):
    # Path length every 2 steps and lazy R1 every 4 (both through DDP), style mixing and random noise on.
    flags = [*TINY, "--arch", "stylegan2", "--pl-every", "2", "--r1-every", "4", "--log-every", "3",
             "--sample-every", "6", "--eval-samples", "32", "--nproc", "2"]
    whole, split = tmp_path / "whole", tmp_path / "split"
    for out, steps in ((whole, "9"), (split, "5")):
        job = ganvas("train", "shapes", "--out", out, *flags, "--steps", steps)
        assert job.returncode == 0, job.stderr[-4000:]
    resumed = ganvas("train", "--out", split, "--resume", "--steps", "9", "--nproc", "2")
    assert resumed.returncode == 0, resumed.stderr[-4000:]
    a, info_a = ckpt.load_latest(whole)
    b, info_b = ckpt.load_latest(split)
    assert info_a["step"] == info_b["step"] == 9 and info_b["processes"] == 2
    assert float(a["path_length.mean"]) > 0.0
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert set(a) == set(b) and not different, different[:5]
