"""Exact resume: a run killed with SIGKILL and resumed ends bit-identical to an uninterrupted one,
with every stateful option and every modern family switched on in turn."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from ganvas import checkpoint as ckpt

TINY = ["--resolution", "16", "--width", "8", "--batch-size", "16", "--deterministic", "--precision", "fp32",
        "--log-every", "25", "--sample-every", "100", "--threads", "1", "--no-tensorboard"]

# name: (extra flags, total steps, checkpoint interval, step after which the kill happens)
CASES = {
    "plain": ([], 400, 100, 200),
    "skip-d": (["--skip-d-below", "1.2"], 400, 100, 200),
    "lr-drop": (["--lr-drop-at", "0.3"], 400, 100, 200),  # dropped at step 125, before the kill
    "ada": (["--augment", "ada", "--ada-kimg", "2"], 400, 100, 200),
    "diffaugment+r1": (["--augment", "diffaugment", "--r1-gamma", "1", "--r1-every", "4"], 400, 100, 200),
    "rpgan": (["--loss", "rpgan", "--r1-gamma", "0.5", "--r1-every", "1"], 300, 100, 100),
    # D with 20x G's learning rate overpowers G at once; the diagnostics act on it after the kill.
    "auto-stabilize": (["--auto-stabilize", "--lr-d", "2e-3", "--lr-g", "1e-4", "--beta1", "0.5"], 900, 150, 450),
    # The modern families, killed after step 10: between lazy R1 steps (every 16) and, for StyleGAN2, between
    # path-length steps (every 4); MSG-GAN with DiffAugment and R1 replays its pyramid augmentation.
    "stylegan2": (["--arch", "stylegan2", "--r1-gamma", "0.5", "--batch-size", "8"], 30, 10, 10),
    "msg": (["--arch", "msg", "--augment", "diffaugment", "--r1-gamma", "0.5", "--batch-size", "8"], 30, 10, 10),
    "resnet": (["--arch", "resnet", "--batch-size", "8"], 30, 10, 10),
}


def _train(out, flags, steps, every, wait=True):
    cmd = [sys.executable, "-m", "ganvas", "train", "shapes", "--out", str(out), *TINY, "--steps", str(steps),
           "--checkpoint-every", str(every), *flags]
    if wait:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_for(path, proc, timeout=300):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, "training ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)


def _assert_same_state(a_run, b_run):
    a, info_a = ckpt.load_latest(a_run)
    b, info_b = ckpt.load_latest(b_run)
    assert info_a["step"] == info_b["step"]
    assert set(a) == set(b)
    different = [k for k in a if not torch.equal(a[k], b[k])]
    assert not different, different[:5]
    assert info_a["state"] == info_b["state"]


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_sigkill_then_resume_is_bit_identical(tmp_path, case):
    flags, steps, every, kill_after = CASES[case]
    whole = _train(tmp_path / "whole", flags, steps, every)
    assert whole.returncode == 0, whole.stderr

    proc = _train(tmp_path / "killed", flags, steps, every, wait=False)
    _wait_for(tmp_path / "killed" / "checkpoints" / f"step-{kill_after:07d}.json", proc)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    _, info = ckpt.load_latest(tmp_path / "killed")
    assert kill_after <= info["step"] < steps

    resumed = _train(tmp_path / "killed", flags + ["--resume"], steps, every)
    assert resumed.returncode == 0, resumed.stderr
    _assert_same_state(tmp_path / "whole", tmp_path / "killed")
    if case == "auto-stabilize":
        events = [json.loads(x) for x in (tmp_path / "whole" / "events.jsonl").read_text().splitlines()]
        acted = [e for e in events if e.get("action") and e["step"] > info["step"]]
        assert acted, "the diagnostics must act after the kill point for this case to test anything"


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_with_a_checkpoint_and_the_resumed_run_matches(tmp_path):
    flags, steps, every = [], 300, 100
    whole = _train(tmp_path / "whole", flags, steps, every)
    assert whole.returncode == 0, whole.stderr
    cmd = [sys.executable, "-m", "ganvas", "train", "shapes", "--out", str(tmp_path / "stopped"), *TINY,
           "--steps", str(steps), "--checkpoint-every", str(every)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(tmp_path / "stopped" / "checkpoints" / "step-0000100.json", proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    said = " ".join(err.split())  # the terminal renderer wraps long lines
    assert proc.returncode == 0 and "(SIGINT)" in said and "continue with --resume" in said
    _, info = ckpt.load_latest(tmp_path / "stopped")
    assert 100 <= info["step"] < steps
    resumed = _train(tmp_path / "stopped", ["--resume"], steps, every)
    assert resumed.returncode == 0, resumed.stderr
    _assert_same_state(tmp_path / "whole", tmp_path / "stopped")


POISONED = """
import sys, torch
from ganvas.gan.classic import ClassicGAN
from ganvas.cli import main

real_step, done = ClassicGAN.step, set()

def poisoned(self, real, labels, step):
    stats = real_step(self, real, labels, step)
    if step == 135 and step not in done:  # once: the record at 150 diverges and rolls back to 100
        done.add(step)
        stats["d_loss"] = torch.tensor(float("nan"))
    return stats

ClassicGAN.step = poisoned
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
def test_a_run_that_rolled_back_resumes_bit_identically(tmp_path):
    script = tmp_path / "poisoned.py"
    script.write_text(POISONED)
    args = ["train", "shapes", *TINY, "--steps", "300", "--checkpoint-every", "100"]
    whole = subprocess.run([sys.executable, str(script), *args, "--out", str(tmp_path / "whole")],
                           capture_output=True, text=True, timeout=600)
    assert whole.returncode == 0, whole.stderr
    events = [json.loads(x) for x in (tmp_path / "whole" / "events.jsonl").read_text().splitlines()]
    assert [e["event"] for e in events if e["event"] == "rollback"] == ["rollback"]

    proc = subprocess.Popen([sys.executable, str(script), *args, "--out", str(tmp_path / "killed")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for(tmp_path / "killed" / "checkpoints" / "step-0000200.json", proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    resumed = _train(tmp_path / "killed", ["--resume"], 300, 100)
    assert resumed.returncode == 0, resumed.stderr
    _assert_same_state(tmp_path / "whole", tmp_path / "killed")
