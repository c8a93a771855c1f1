"""Progressive growing in training: the schedule, its batches, Adam resets, and what a run records."""
import json
import os
import signal

import pytest
import torch

from ganvas import checkpoint as ckpt
from ganvas.errors import GanvasError
from ganvas.gan.growth import Growth, GrowingBatches
from ganvas.gan.train import train

from .helpers import TINY_RUN
from .test_resume import _assert_same_state, _train, _wait_for

# 16 px: level 0 (8 px) for 160 images at batch 16 (10 steps); level 1 fades in at batch 8 over steps 10-29.
GROWTH = Growth.plan(2, 0.16, 99, (16, 8))


def test_levels_train_then_fade_in_over_the_images_seen():
    stages = [GROWTH.at(step) for step in range(45)]
    assert [s.level for s in stages] == [0] * 10 + [1] * 35
    assert all(s.alpha == 1.0 for s in stages[:10]) and all(s.alpha == 1.0 for s in stages[30:])
    assert [s.alpha for s in stages[10:30]] == [k / 20 for k in range(20)]
    assert {s.batch for s in stages[:10]} == {16} and {s.batch for s in stages[10:]} == {8}
    assert stages[25].level_start == 10 and stages[3].level_start == 0
    assert GROWTH.images_before(10) == 160 and GROWTH.images_before(13) == 184


def test_three_levels_and_default_batches():
    growth = Growth.plan(3, 0.1, 32)
    assert growth.batches == (32, 32, 32)
    levels = [growth.at(step).level for step in range(0, 40)]
    assert levels == [0] * 4 + [1] * 8 + [2] * 28  # ceil(100 / 32) = 4 steps per phase


def test_batches_are_located_by_the_step_alone():
    images = torch.randint(0, 255, (37, 1, 16, 16), dtype=torch.uint8)
    data = GrowingBatches(images, None, GROWTH, seed=1, flip=True, device=torch.device("cpu"), channels_last=False)
    stream = data.from_step(0)
    first = [next(stream)[0] for _ in range(14)]
    assert [len(b) for b in first] == [16] * 10 + [8] * 4
    resumed = data.from_step(8)
    assert all(torch.equal(next(resumed)[0], first[k]) for k in range(8, 14))


def test_a_growing_run_records_level_and_alpha_and_resets_adam(tmp_path):
    run = tmp_path / "run"
    train(out=str(run), progressive=True, grow_kimg=0.16, level_batch=(16, 8), reset_adam=True, steps=14,
          **dict(TINY_RUN, log_every=5, checkpoint_every=14, sample_every=100))
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    logged = [(r["step"], r["level"], r["alpha"]) for r in records if "level" in r]
    assert logged[:2] == [(5, 0.0, 1.0), (10, 0.0, 1.0)]
    assert logged[-1][:2] == (14, 1.0) and 0 < logged[-1][2] < 1  # steps 10-13 fade in
    evals = [r["step"] for r in records if "eval" in r]
    assert 10 in evals and (run / "samples" / "step-0000010.png").exists()  # the finished level's snapshot
    tensors, info = ckpt.load_latest(run)
    assert info["state"]["hook.monitor"]["origin"] == 10  # the diagnostics' warm-up restarted with level 1
    assert int(tensors["G.level"]) == 1 and 0 < float(tensors["ema.alpha"]) < 1
    steps = {k: v for k, v in tensors.items() if k.startswith("opt_g.") and k.endswith(".step")}
    assert steps and all(int(v) == 4 for v in steps.values())  # Adam restarted at step 10


def test_only_the_dcgan_family_grows(tmp_path):
    with pytest.raises(GanvasError, match="--progressive"):
        train(out=str(tmp_path / "run"), arch="stylegan2", progressive=True, steps=2, **TINY_RUN)


@pytest.mark.slow
def test_sigkill_mid_fade_then_resume_is_bit_identical(tmp_path):
    flags = ["--progressive", "--grow-kimg", "0.16", "--level-batch", "16", "8", "--reset-adam"]
    whole = _train(tmp_path / "whole", flags, 40, 10)
    assert whole.returncode == 0, whole.stderr
    proc = _train(tmp_path / "killed", flags, 40, 10, wait=False)
    _wait_for(tmp_path / "killed" / "checkpoints" / "step-0000020.json", proc)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    tensors, info = ckpt.load_latest(tmp_path / "killed")
    assert 20 <= info["step"] < 40
    resumed = _train(tmp_path / "killed", flags + ["--resume"], 40, 10)
    assert resumed.returncode == 0, resumed.stderr
    _assert_same_state(tmp_path / "whole", tmp_path / "killed")


def test_d_and_its_augmentation_see_each_level_at_its_own_size():
    import contextlib

    from ganvas.gan.augment import AugmentPipe
    from ganvas.gan.growing import GrowingGAN
    from ganvas.models import ModelSpec, build_discriminator, build_generator

    class Fixed:
        def draw(self, n, device=None):
            return torch.randn(n, 8), None

    spec = ModelSpec("dcgan", z_dim=8, resolution=32, channels=3, options={"width": 8, "progressive": True})
    growth = Growth.plan(3, 0.008, 4)  # two steps per phase: 8 px, 16 px fading in, ...
    algo = GrowingGAN(build_generator(spec), build_discriminator(spec), augment=AugmentPipe("diffaugment"),
                      sampler=Fixed(), autocast=contextlib.nullcontext, growth=growth, ema_decay=0.0)
    seen = []
    algo.D.register_forward_pre_hook(lambda module, args: seen.append(args[0].shape[-1]))
    real = torch.rand(4, 3, 32, 32) * 2 - 1
    sizes = []
    for step in (0, 2, 8):
        seen.clear()
        algo.step(real, None, step)
        assert len(set(seen)) == 1  # reals and fakes alike
        sizes.append(seen[0])
    assert sizes == [8, 16, 32]
