import json

import pytest

from ganvas.cli import main

from .fakes import fake_run


def _one_line_error(capsys, argv, *needles):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    for needle in needles:
        assert needle in err
    return err


def test_a_folder_that_is_not_a_run(tmp_path, capsys):
    _one_line_error(capsys, ["evaluate", str(tmp_path), "--metrics", "swd"], "run.json")


def test_a_run_without_checkpoints(tmp_path, capsys):
    (tmp_path / "run.json").write_text(json.dumps({"dataset": {"source": "shapes"}}))
    _one_line_error(capsys, ["evaluate", str(tmp_path), "--metrics", "swd"], "checkpoint")


def test_an_unknown_metric(tmp_path, capsys):
    _one_line_error(capsys, ["evaluate", str(tmp_path), "--metrics", "fid,is"], "--metrics", "is")


def test_a_missing_inception_file(tmp_path, capsys):
    _one_line_error(capsys, ["evaluate", str(tmp_path), "--inception", str(tmp_path / "none.pt")],
                    "--inception", "none.pt")


@pytest.mark.parametrize("flag,value", [("--n", "1"), ("--n-real", "0"), ("--batch-size", "0")])
def test_counts_that_cannot_work(tmp_path, capsys, flag, value):
    _one_line_error(capsys, ["evaluate", str(tmp_path), flag, value], flag)


def test_an_unknown_device(tmp_path, capsys):
    (tmp_path / "run.json").write_text("{}")
    _one_line_error(capsys, ["evaluate", str(tmp_path), "--device", "tpu9"], "--device")


def test_a_good_run_prints_numbers_and_protocol(tmp_path, monkeypatch, capsys):
    run = fake_run(tmp_path, monkeypatch)
    out = tmp_path / "scores.json"
    assert main(["evaluate", str(run), "--metrics", "swd", "--n", "16", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    for needle in ("swd", "protocol", "n_generated", "seed", "reference"):
        assert needle in printed
    assert json.loads(out.read_text())["protocol"]["n_generated"] == 16


def test_json_naming_the_runs_own_file_is_reported_once(tmp_path, monkeypatch, capsys):
    run = fake_run(tmp_path, monkeypatch)
    assert main(["evaluate", str(run), "--metrics", "swd", "--n", "16", "--json", str(run / "evaluation.json")]) == 0
    printed = "".join(capsys.readouterr().out.split())  # rich folds long paths anywhere, mid-word too
    assert printed.count("evaluation.json") == 1 and "savedto" in printed
