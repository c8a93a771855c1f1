"""Divergence recovery: NaN losses roll the run back to its last checkpoint and halve both LRs."""
import json

import pytest
import torch

from ganvas.errors import GanvasError

import ganvas.gan.loop as loop_module
from ganvas.gan.train import train

TINY = dict(data="shapes", resolution=16, width=8, batch_size=16, log_every=10, sample_every=1000,
            checkpoint_every=20, eval_every=1000, tensorboard=False, threads=1)


def test_nan_losses_roll_back_and_halve_the_learning_rates(tmp_path, monkeypatch):
    real_step = loop_module.train_step
    calls = {"n": 0}

    def poisoned(*args, **kwargs):
        calls["n"] += 1
        stats = real_step(*args, **kwargs)
        if calls["n"] == 35:  # once, between the checkpoints at 20 and 40
            stats["d_loss"] = torch.tensor(float("nan"))
        return stats

    monkeypatch.setattr(loop_module, "train_step", poisoned)
    summary = train(out=str(tmp_path / "run"), steps=60, lr_g=2e-4, lr_d=4e-4, **TINY)
    assert summary["step"] == 60

    events = [json.loads(line) for line in (tmp_path / "run" / "events.jsonl").read_text().splitlines()]
    rollbacks = [e for e in events if e["event"] == "rollback"]
    assert len(rollbacks) == 1 and "rolled back to step 20" in rollbacks[0]["message"]
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    losses = [r for r in records if "lr_g" in r]
    assert [r["step"] for r in losses] == [10, 20, 30, 40, 50, 60]  # the diverged interval was not logged
    assert losses[-1]["lr_g"] == 1e-4 and losses[-1]["lr_d"] == 2e-4
    assert all(r["d_loss"] == r["d_loss"] for r in losses)  # no NaN left in the log
    assert all(r["img_per_s"] > 0 for r in losses)


def test_recovery_can_be_turned_off(tmp_path, monkeypatch):
    real_step = loop_module.train_step

    def poisoned(*args, **kwargs):
        stats = real_step(*args, **kwargs)
        stats["g_loss"] = torch.tensor(float("inf"))
        return stats

    monkeypatch.setattr(loop_module, "train_step", poisoned)
    with pytest.raises(GanvasError, match="diverged at step 10"):
        train(out=str(tmp_path / "run"), steps=20, recover=False, **TINY)
