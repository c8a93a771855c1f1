import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from ganvas import checkpoint as ckpt
from ganvas.errors import GanvasError


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


# ---- damaged pairs: passed over, or one line naming the file; never a traceback, never code run ----


class _Marker:
    """Unpickling this creates the file `path`: proof that a pickle was loaded and its code run."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def _replace_tensors(run, step, blob: bytes) -> Path:
    """Put `blob` where a pair's tensors are and update the JSON's sha256 to match, as an attacker would."""
    import hashlib
    import json

    meta = run / "checkpoints" / f"step-{step:07d}.json"
    info = json.loads(meta.read_text())
    (run / "checkpoints" / info["tensors"]).write_bytes(blob)
    info["sha256"] = hashlib.sha256(blob).hexdigest()
    meta.write_text(json.dumps(info))
    return run / "checkpoints" / info["tensors"]


def test_a_pickle_with_a_matching_hash_as_the_newest_pair_falls_back(tmp_path):
    import pickle

    ckpt.save(tmp_path, 1, _tensors(1), {})
    ckpt.save(tmp_path, 2, _tensors(2), {})
    _replace_tensors(tmp_path, 2, pickle.dumps({"G.w": torch.zeros(3)}))
    tensors, info = ckpt.load_latest(tmp_path)
    assert info["step"] == 1 and torch.equal(tensors["G.w"], _tensors(1)["G.w"])


def test_a_pickle_as_the_only_pair_is_one_line_naming_the_file(tmp_path):
    import pickle

    ckpt.save(tmp_path, 3, _tensors(3), {})
    bad = _replace_tensors(tmp_path, 3, pickle.dumps([1, 2, 3]))
    with pytest.raises(GanvasError) as caught:
        ckpt.load_latest(tmp_path)
    message = str(caught.value)
    assert str(bad) in message and "not a safetensors file" in message and "\n" not in message


def test_when_every_pair_is_damaged_the_newest_is_named(tmp_path):
    ckpt.save(tmp_path, 1, _tensors(1), {})
    ckpt.save(tmp_path, 2, _tensors(2), {})
    for step in (1, 2):
        path = tmp_path / "checkpoints" / f"step-{step:07d}.safetensors"
        path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(GanvasError, match=r"step-0000002\.safetensors: does not match the sha256.*1 older"):
        ckpt.load_latest(tmp_path)


@pytest.mark.parametrize("record", [
    "not json {",
    "[1, 2]",
    '{"tensors": 7, "sha256": "00"}',
    '{"tensors": null}',
    '{"tensors": "../../elsewhere.safetensors", "sha256": "00"}',
    '{"tensors": "/etc/hostname", "sha256": "00"}',
    '{"tensors": "step-0000002.safetensors", "sha256": ["not", "a", "string"]}',
    '{"tensors": "missing.safetensors", "sha256": "00"}',
])
def test_a_broken_record_is_passed_over_and_named_when_alone(tmp_path, record):
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    (folder / "step-0000002.json").write_text(record)
    with pytest.raises(GanvasError, match=r"step-0000002\.(json|safetensors)|missing\.safetensors") as caught:
        ckpt.load_latest(tmp_path)
    assert "\n" not in str(caught.value)
    ckpt.save(tmp_path, 1, _tensors(1), {})
    assert ckpt.load_latest(tmp_path)[1]["step"] == 1


def test_no_code_ever_runs_from_a_checkpoint(tmp_path, capsys):
    import json
    import pickle

    from ganvas.cli import main
    from ganvas.runs import load_generator

    marker = tmp_path / "code-ran"
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"config": {}}))
    ckpt.save(run, 1, _tensors(1), {"model": {"arch": "dcgan", "z_dim": 8, "resolution": 16, "channels": 1}})
    payload = pickle.dumps({"G.w": _Marker(marker)})
    pickle.loads(pickle.dumps(_Marker(tmp_path / "control"))).close()  # the payload is live: unpickling runs it
    assert (tmp_path / "control").exists()
    _replace_tensors(run, 1, payload)
    with pytest.raises(GanvasError):
        ckpt.load_latest(run)
    with pytest.raises(GanvasError):
        load_generator(run)
    assert main(["sample", str(run), "--n", "2", "--out", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err.strip()
    assert "not a safetensors file" in err and "Traceback" not in err and len(err.splitlines()) == 1
    assert not marker.exists()
