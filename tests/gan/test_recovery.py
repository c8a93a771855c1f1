"""Divergence recovery: NaN losses roll the run back to its last checkpoint and halve both LRs."""
import json

import pytest
import torch

from ganvas.errors import GanvasError
from ganvas.gan.classic import ClassicGAN
from ganvas.gan.train import train
from tests.gan.helpers import TINY_RUN


def _poison(monkeypatch, at_steps, key="d_loss", value=float("nan"), once=True):
    real_step = ClassicGAN.step
    done = set()

    def poisoned(self, real, labels, step):
        stats = real_step(self, real, labels, step)
        if step in at_steps and not (once and step in done):
            done.add(step)
            stats[key] = torch.tensor(value)
        return stats

    monkeypatch.setattr(ClassicGAN, "step", poisoned)


def _jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_nan_losses_roll_back_and_halve_the_learning_rates(tmp_path, monkeypatch):
    _poison(monkeypatch, {35})  # once, between the checkpoints at 20 and 40
    summary = train(out=str(tmp_path / "run"), steps=60, lr_g=2e-4, lr_d=4e-4, **TINY_RUN)
    assert summary["step"] == 60

    rollbacks = [e for e in _jsonl(tmp_path / "run" / "events.jsonl") if e["event"] == "rollback"]
    assert len(rollbacks) == 1 and "rolled back to step 20" in rollbacks[0]["message"]
    losses = [r for r in _jsonl(tmp_path / "run" / "metrics.jsonl") if "lr_g" in r]
    assert [r["step"] for r in losses] == [10, 20, 30, 40, 50, 60]  # the diverged interval was not logged
    assert losses[-1]["lr_g"] == 1e-4 and losses[-1]["lr_d"] == 2e-4
    assert all(r["d_loss"] == r["d_loss"] for r in losses)  # no NaN left in the log
    assert all(r["img_per_s"] > 0 for r in losses)


def test_a_rollback_on_a_cadence_step_repeats_no_evaluation_grid_or_checkpoint(tmp_path, monkeypatch):
    saves, grids = [], []
    import ganvas.gan.loop as loop_module

    real_save, real_samples = loop_module.Loop.save, loop_module.Loop.samples
    monkeypatch.setattr(loop_module.Loop, "save", lambda self: (saves.append(self.step), real_save(self))[1])
    monkeypatch.setattr(loop_module.Loop, "samples", lambda self: (grids.append(self.step), real_samples(self))[1])
    _poison(monkeypatch, {39})  # the record at step 40 diverges: 40 is also an eval, grid and checkpoint step
    options = dict(TINY_RUN, eval_every=20, sample_every=20)
    train(out=str(tmp_path / "run"), steps=60, **options)
    evals = [r["step"] for r in _jsonl(tmp_path / "run" / "metrics.jsonl") if "eval" in r]
    assert evals == [20, 40, 60]
    assert grids == [20, 40, 60]
    assert saves == [0, 20, 20, 40, 60]  # the rollback re-saves the step it returned to, with the halved LRs


def test_recovery_can_be_turned_off(tmp_path, monkeypatch):
    _poison(monkeypatch, set(range(100)), key="g_loss", value=float("inf"), once=False)
    with pytest.raises(GanvasError, match="diverged at step 10"):
        train(out=str(tmp_path / "run"), steps=20, recover=False, **TINY_RUN)
