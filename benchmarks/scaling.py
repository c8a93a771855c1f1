"""Scaling out on one CPU: one process with 2 threads against 2 processes (torchrun, gloo) with 1 thread each.

Each row is `ganvas train` itself, run as a user runs it (`--threads 2`, or `--nproc 2 --threads 1`),
with the same global batch, reading its own img/s records (the median after the first, which holds
the warm-up; start-up and the rendezvous are left out). The rows alternate for ROUNDS rounds and each
keeps its best, so a busy moment on a shared machine hurts none more than the others. The third row
is the second with per-rank BatchNorm statistics: the price of --sync-bn on the CPU.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FULL = {"resolution": 32, "width": 32, "batch": 64, "steps": 60, "log_every": 15, "rounds": 2}
QUICK = {"resolution": 16, "width": 16, "batch": 32, "steps": 40, "log_every": 10, "rounds": 1}
ROWS = (  # name, extra flags
    ("1 process x 2 threads", ["--threads", "2"]),
    ("2 processes x 1 thread", ["--nproc", "2", "--threads", "1"]),
    ("2 processes x 1 thread, --no-sync-bn", ["--nproc", "2", "--threads", "1", "--no-sync-bn"]),
)


def img_per_s(out: Path, flags: list[str], size: dict) -> float:
    never = "1000000"  # sampling, checkpoints and the in-loop metric are placed past the end
    cmd = [sys.executable, "-m", "ganvas", "train", "shapes", "--out", str(out), "--resolution",
           str(size["resolution"]), "--width", str(size["width"]), "--batch-size", str(size["batch"]), "--steps",
           str(size["steps"]), "--log-every", str(size["log_every"]), "--sample-every", never, "--checkpoint-every",
           never, "--eval-every", never, "--no-tensorboard", "--augment", "none", *flags]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return statistics.median([r["img_per_s"] for r in records if "img_per_s" in r][1:])


def run(quick: bool = False) -> list[dict]:
    size = QUICK if quick else FULL
    best = {name: 0.0 for name, _ in ROWS}
    with tempfile.TemporaryDirectory(prefix="ganvas-scaling-") as tmp:
        for round_ in range(size["rounds"]):
            for name, flags in ROWS:
                out = Path(tmp) / f"{round_}-{len(flags)}-{flags[-1]}"
                best[name] = max(best[name], img_per_s(out, flags, size))
    base = best[ROWS[0][0]]
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    note = (f"DCGAN-{size['resolution']} width {size['width']}, batch {size['batch']} in all; "
            f"load average {load} on {os.cpu_count()} cores")
    return [{"name": name, "value": round(value, 1), "unit": "img/s",
             "note": note if i == 0 else f"{value / base:.2f}x one process"} for i, (name, value) in
            enumerate(best.items())]


if __name__ == "__main__":
    from .table import print_table

    print_table("Scaling out on the CPU (torchrun, gloo)", run("--quick" in sys.argv))
