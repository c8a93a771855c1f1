"""Launching 2-process jobs from tests: torchrun on CPU (gloo), one thread per process, this tree's ganvas."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

TINY = ["--resolution", "16", "--width", "8", "--batch-size", "16", "--deterministic", "--precision", "fp32",
        "--threads", "1", "--no-tensorboard", "--dist-timeout", "60"]


def env() -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}


def torchrun(script: str, *args: str, nproc: int = 2, timeout: float = 240, extra_env: dict | None = None):
    """`torchrun --standalone --nproc-per-node N tests/distributed/<script> args`, as a user would run it."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(nproc),
           str(HERE / script), *map(str, args)]
    return subprocess.run(cmd, cwd=REPO, env={**env(), **(extra_env or {})}, capture_output=True, text=True,
                          timeout=timeout)


def ganvas(*args: str, wait: bool = True, timeout: float = 240):
    """`python -m ganvas ...` from this tree (with --nproc among `args` for a multi-process run)."""
    cmd = [sys.executable, "-m", "ganvas", *map(str, args)]
    if wait:
        return subprocess.run(cmd, cwd=REPO, env=env(), capture_output=True, text=True, timeout=timeout)
    # Its own session, so the whole job (launcher and workers) can be killed at once.
    return subprocess.Popen(cmd, cwd=REPO, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
