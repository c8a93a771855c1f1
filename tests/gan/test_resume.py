"""Exact resume: a run killed with SIGKILL and resumed ends bit-identical to an uninterrupted one."""
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from ganvas import checkpoint as ckpt

TINY = ["--resolution", "16", "--width", "8", "--batch-size", "16", "--deterministic", "--precision", "fp32",
        "--checkpoint-every", "100", "--log-every", "25", "--sample-every", "100", "--steps", "600",
        "--threads", "1", "--no-tensorboard"]


def _train(out, *extra, wait=True):
    cmd = [sys.executable, "-m", "ganvas", "train", "shapes", "--out", str(out), *TINY, *extra]
    if wait:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_for(path, proc, timeout=120):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, "training ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)


@pytest.mark.slow
def test_sigkill_then_resume_is_bit_identical(tmp_path):
    whole = _train(tmp_path / "whole")
    assert whole.returncode == 0, whole.stderr

    proc = _train(tmp_path / "killed", wait=False)
    _wait_for(tmp_path / "killed" / "checkpoints" / "step-0000200.json", proc)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    _, info = ckpt.load_latest(tmp_path / "killed")
    assert 200 <= info["step"] < 600

    resumed = _train(tmp_path / "killed", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    a, info_a = ckpt.load_latest(tmp_path / "whole")
    b, info_b = ckpt.load_latest(tmp_path / "killed")
    assert info_a["step"] == info_b["step"] == 600
    weights = [k for k in a if k.split(".")[0] in ("G", "D", "ema", "opt_g", "opt_d")]
    assert weights and set(weights) <= set(b)
    for key in weights:
        assert torch.equal(a[key], b[key]), key
