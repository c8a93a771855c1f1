"""The modern families resume bit-identically after SIGKILL, killed in the middle of their lazy intervals."""
import os
import signal

import pytest

from ganvas import checkpoint as ckpt

from .test_resume import _assert_same_state, _train, _wait_for

# Killed after step 10: between lazy R1 steps (every 16) and, for StyleGAN2, path-length steps (every 4);
# MSG-GAN with DiffAugment and R1 replays its pyramid augmentation.
CASES = {
    "stylegan2": ["--arch", "stylegan2", "--r1-gamma", "0.5", "--batch-size", "8"],
    "msg": ["--arch", "msg", "--augment", "diffaugment", "--r1-gamma", "0.5", "--batch-size", "8"],
    "resnet": ["--arch", "resnet", "--batch-size", "8"],
}
STEPS, EVERY, KILL_AFTER = 30, 10, 10


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_sigkill_mid_interval_then_resume_is_bit_identical(tmp_path, case):
    flags = CASES[case]
    whole = _train(tmp_path / "whole", flags, STEPS, EVERY)
    assert whole.returncode == 0, whole.stderr

    proc = _train(tmp_path / "killed", flags, STEPS, EVERY, wait=False)
    _wait_for(tmp_path / "killed" / "checkpoints" / f"step-{KILL_AFTER:07d}.json", proc)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    _, info = ckpt.load_latest(tmp_path / "killed")
    assert KILL_AFTER <= info["step"] < STEPS  # 10 or 20: never on a lazy R1 step, 10 not on a PL step

    resumed = _train(tmp_path / "killed", flags + ["--resume"], STEPS, EVERY)
    assert resumed.returncode == 0, resumed.stderr
    _assert_same_state(tmp_path / "whole", tmp_path / "killed")
