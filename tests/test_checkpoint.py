import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import torch

from ganvas import checkpoint as ckpt


def _tensors(value):
    return {"G.w": torch.full((64, 64), float(value)), "rng.cpu": torch.get_rng_state()}


def test_round_trip_and_pruning(tmp_path):
    for step in (10, 20, 30):
        ckpt.save(tmp_path, step, _tensors(step), {"note": step})
    tensors, info = ckpt.load_latest(tmp_path)
    assert info["step"] == 30 and info["note"] == 30
    assert torch.equal(tensors["G.w"], _tensors(30)["G.w"])
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == [
        "step-0000020.json", "step-0000020.safetensors", "step-0000030.json", "step-0000030.safetensors"]


def test_a_damaged_newest_checkpoint_falls_back_to_the_previous(tmp_path):
    ckpt.save(tmp_path, 1, _tensors(1), {})
    ckpt.save(tmp_path, 2, _tensors(2), {})
    newest = tmp_path / "checkpoints" / "step-0000002.safetensors"
    newest.write_bytes(newest.read_bytes()[:100])
    _, info = ckpt.load_latest(tmp_path)
    assert info["step"] == 1


def test_no_checkpoint_is_none(tmp_path):
    assert ckpt.load_latest(tmp_path) is None


def test_optimizer_state_round_trip():
    param = torch.nn.Parameter(torch.randn(3))
    opt = torch.optim.Adam([param], lr=0.1)
    param.sum().backward()
    opt.step()
    tensors, info = ckpt.flatten_optimizer("opt", opt.state_dict())
    import json

    info = json.loads(json.dumps(info))
    restored = ckpt.unflatten_optimizer("opt", tensors, info)
    fresh = torch.optim.Adam([torch.nn.Parameter(param.detach().clone())], lr=0.5)
    fresh.load_state_dict(restored)
    assert fresh.param_groups[0]["lr"] == 0.1
    assert torch.equal(fresh.state[fresh.param_groups[0]["params"][0]]["exp_avg"], opt.state[param]["exp_avg"])


SAVER = textwrap.dedent("""
    import sys, torch
    from ganvas import checkpoint as ckpt
    run = sys.argv[1]
    big = torch.randn(2_000_000)
    step = 0
    while True:
        step += 1
        ckpt.save(run, step, {"G.w": big, "G.step": torch.tensor([step])}, {"value": step})
        print(step, flush=True)
""")


@pytest.mark.parametrize("delay", [0.05, 0.13, 0.31])
def test_a_kill_during_saving_always_leaves_a_loadable_checkpoint(tmp_path, delay):
    proc = subprocess.Popen([sys.executable, "-c", SAVER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "1"  # one checkpoint exists; now kill mid-stream
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    tensors, info = ckpt.load_latest(tmp_path)
    assert info["value"] >= 1
    assert int(tensors["G.step"]) == info["value"]  # tensors and JSON belong to the same save
    assert tensors["G.w"].shape == (2_000_000,)
    leftovers = [p.name for p in (tmp_path / "checkpoints").iterdir() if not p.name.startswith("step-")]
    assert all(name.endswith(".tmp") for name in leftovers)
