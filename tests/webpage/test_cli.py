from ganvas.cli import main


def test_cli_report_prints_the_path(run_folder, tmp_path, capsys):
    out = tmp_path / "page.html"
    assert main(["report", str(run_folder), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert out.read_text().startswith("<!DOCTYPE html>")


def test_cli_report_missing_run_is_exit_code_2_with_one_line(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ganvas report: error:") and "nope" in err and "\n" not in err
