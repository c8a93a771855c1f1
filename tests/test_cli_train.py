"""`ganvas train` end to end, through the same entry point a user types."""
import json

import pytest

from ganvas.cli import main

FAST = ["--resolution", "16", "--width", "8", "--batch-size", "16", "--log-every", "10", "--sample-every", "20",
        "--checkpoint-every", "20", "--eval-samples", "64", "--threads", "1"]


def _train(out, *extra):
    return main(["train", "shapes", "--out", str(out), *FAST, *extra])


def _error_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert err and "Traceback" not in "\n".join(err)
    return err[-1]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run"
    assert _train(out, "--steps", "40") == 0
    return out


def test_a_short_run_writes_everything_a_user_looks_at(run):
    for name in ("run.json", "metrics.jsonl", "losses.png", "skipped.txt"):
        assert (run / name).is_file(), name
    assert sorted(p.name for p in (run / "samples").glob("*.png")) == ["step-0000020.png", "step-0000040.png"]
    info = json.loads((run / "run.json").read_text())
    assert info["config"]["steps"] == 40 and info["dataset"]["n_images"] > 1000
    assert set(info["versions"]) >= {"ganvas", "torch"}
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    losses = [r for r in records if "d_loss" in r]
    assert [r["step"] for r in losses] == [10, 20, 30, 40]
    assert all(r["img_per_s"] > 0 and 0 <= r["d_real"] <= 1 for r in losses)
    assert any("eval" in r for r in records)


def test_a_second_run_in_the_same_folder_is_refused(run, capsys):
    assert _train(run, "--steps", "60") == 2
    assert "--resume" in _error_line(capsys)


def test_resume_continues_to_the_new_target(run, tmp_path, capsys):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    assert _train(copy, "--steps", "60", "--resume") == 0
    records = [json.loads(line) for line in (copy / "metrics.jsonl").read_text().splitlines()]
    assert max(r["step"] for r in records) == 60


def test_help_groups_the_flags_as_the_config_groups_its_fields(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    titles = ["data:", "networks:", "the loop and its stabilisers:", "small data:", "budget:",
              "reproducibility and speed:", "output:"]
    positions = [out.index(t) for t in titles]
    assert positions == sorted(positions)
    assert out.index("\n  --augment ") > out.index("small data:") > out.index("\n  --lr-d ")


def test_resume_refuses_a_changed_architecture(run, capsys):
    assert main(["train", "--out", str(run), "--resume", "--width", "16"]) == 2
    assert "--width" in _error_line(capsys)


def test_force_keeps_the_old_run_beside_the_new(tmp_path, capsys):
    out = tmp_path / "run"
    assert _train(out, "--steps", "20") == 0
    assert _train(out, "--steps", "20", "--force") == 0
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("run.old-")]
    assert len(kept) == 1 and (kept[0] / "run.json").exists()


@pytest.mark.parametrize("args, needle", [
    (["train", "/no/such/folder", "--out", "X"], "/no/such/folder"),
    (["train", "shapes", "--out", "X", "--resolution", "48"], "--resolution"),
    (["train", "shapes", "--out", "X", "--batch-size", "0"], "--batch-size"),
    (["train", "shapes", "--out", "X", "--augment-policy", "blur"], "blur"),
    (["train", "shapes", "--out", "X", "--r1-gamma", "-1"], "--r1-gamma"),
    (["train", "shapes", "--out", "X", "--ada-target", "1.5"], "--ada-target"),
])
def test_user_mistakes_are_one_line_errors(args, needle, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    assert needle in _error_line(capsys)
