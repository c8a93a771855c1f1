"""`ganvas.train` as a library call: budgets, stop requests from a thread, resume that honours what
changed, hooks that act through the actions API, and process state given back afterwards."""
import json
import shutil
import threading
from pathlib import Path

import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from ganvas import checkpoint as ckpt
from ganvas.errors import GanvasError
from ganvas.gan.hooks import Hook
from ganvas.gan.train import train
from tests.gan.helpers import TINY_RUN

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _records(run):
    return [json.loads(x) for x in (Path(run) / "metrics.jsonl").read_text().splitlines()]


def test_a_stop_requested_from_another_thread_leaves_a_checkpoint_that_resumes_exactly(tmp_path):
    train(out=str(tmp_path / "whole"), steps=80, **TINY_RUN)

    class StopAt(Hook):
        def __init__(self):
            self.reached = threading.Event()

        def on_step(self, run, act):
            if run.step == 33:
                self.reached.set()

    hook, stop = StopAt(), threading.Event()
    result = {}

    def worker():
        result.update(train(out=str(tmp_path / "stopped"), steps=80, hooks=[hook], should_stop=stop.is_set,
                            **TINY_RUN))

    thread = threading.Thread(target=worker)
    thread.start()
    assert hook.reached.wait(120)
    stop.set()
    thread.join(120)
    assert result["reason"] == "stop requested" and 33 <= result["step"] < 80
    _, info = ckpt.load_latest(tmp_path / "stopped")
    assert info["step"] == result["step"]

    train(out=str(tmp_path / "stopped"), resume=True, **TINY_RUN)
    a, _ = ckpt.load_latest(tmp_path / "whole")
    b, _ = ckpt.load_latest(tmp_path / "stopped")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert [r["step"] for r in _records(tmp_path / "whole")] == [r["step"] for r in _records(tmp_path / "stopped")]


def test_the_epochs_budget_stops_at_its_step(tmp_path):
    summary = train(out=str(tmp_path / "run"), epochs=0.02, **TINY_RUN)
    per_epoch = 12_000 // 16
    assert summary["step"] == -(-int(0.02 * per_epoch * 1000) // 1000) and summary["reason"] == "target reached"


def test_the_minutes_budget_stops_in_time_and_says_so(tmp_path):
    summary = train(out=str(tmp_path / "run"), minutes=0.03, steps=100_000, **TINY_RUN)
    assert summary["reason"] == "time budget" and 0 < summary["step"] < 100_000


def test_resume_honours_a_new_skip_threshold_and_learning_rate(tmp_path):
    train(out=str(tmp_path / "run"), steps=20, **TINY_RUN)
    train(out=str(tmp_path / "run"), resume=True, steps=40, lr_d=5e-5, skip_d_below=10.0, **TINY_RUN)
    last = _records(tmp_path / "run")[-1]
    assert last["lr_d"] == 5e-5 and last["skipped_d"] >= 19
    _, info = ckpt.load_latest(tmp_path / "run")
    assert info["state"]["algorithm"]["skip_d"]["threshold"] == 10.0


def test_skip_d_in_the_loop_keeps_d_where_it_was(tmp_path):
    train(out=str(tmp_path / "run"), steps=30, skip_d_below=100.0, **dict(TINY_RUN, checkpoint_every=1))
    pairs = sorted((tmp_path / "run" / "checkpoints").glob("step-*.json"))
    assert [p.stem for p in pairs] == ["step-0000029", "step-0000030"]
    before, after = (load_file(str(p.with_suffix(".safetensors"))) for p in pairs)
    # BatchNorm's running statistics follow every forward pass; D's learned weights must not move.
    weights = [k for k in after if k.startswith("D.") and "running" not in k and "num_batches" not in k]
    assert weights and all(torch.equal(before[k], after[k]) for k in weights)
    assert not all(torch.equal(before[k], after[k]) for k in after if k.startswith("G."))
    assert json.loads(pairs[1].read_text())["state"]["algorithm"]["skip_d"]["skipped"] == 29


def test_conditional_training_runs_end_to_end_on_class_folders(tmp_path):
    data = tmp_path / "classes"
    for name, colour in (("red", (220, 20, 20)), ("blue", (20, 20, 220))):
        (data / name).mkdir(parents=True)
        for i in range(12):
            Image.new("RGB", (20, 20), tuple(min(255, c + 3 * i) for c in colour)).save(data / name / f"{i}.png")
    options = dict(TINY_RUN, data=str(data), batch_size=8)
    train(out=str(tmp_path / "run"), steps=20, conditional=True, **options)
    _, info = ckpt.load_latest(tmp_path / "run")
    assert info["model"]["num_classes"] == 2 and info["model"]["classes"] == ["blue", "red"]
    assert any(k.startswith("D.") and "embed" in k for k in ckpt.load_latest(tmp_path / "run")[0])


def test_a_hook_sees_every_step_and_acts_only_through_actions(tmp_path):
    class Halve(Hook):
        def __init__(self):
            self.steps = []

        def on_step(self, run, act):
            self.steps.append(run.step)
            if run.step == 5:
                act.scale_lr("G", 0.5)

        def state_dict(self):
            return {"seen": len(self.steps)}

    hook = Halve()
    train(out=str(tmp_path / "run"), steps=10, hooks=[hook], **TINY_RUN)
    assert hook.steps == list(range(1, 11))
    assert _records(tmp_path / "run")[-1]["lr_g"] == 1e-4
    assert ckpt.load_latest(tmp_path / "run")[1]["state"]["hook.halve"] == {"seen": 10}


def test_train_gives_back_the_callers_threads_determinism_and_random_stream(tmp_path):
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    train(out=str(tmp_path / "run"), steps=5, **dict(TINY_RUN, threads=max(1, threads - 1) if threads > 1 else 2))
    assert torch.get_num_threads() == threads
    assert torch.are_deterministic_algorithms_enabled() == deterministic
    assert torch.equal(torch.rand(3), expected)


def test_resuming_a_run_of_ganvas_0_1_says_how_in_one_line(tmp_path):
    run = tmp_path / "old"
    shutil.copytree(FIXTURES / "run-0.1", run)
    with pytest.raises(GanvasError, match="ganvas 0.1.*cannot resume"):
        train(out=str(run), resume=True, steps=40, data="shapes", threads=1, tensorboard=False)
