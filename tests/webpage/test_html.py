import base64
import json
import re

import pytest

from ganvas.errors import GanvasError
from ganvas.webpage import MAX_SAMPLE_GRIDS, report


def _page(run, **kwargs):
    path = report(run, **kwargs)
    return path, path.read_text(encoding="utf-8")


def test_report_has_every_section_and_is_self_contained(run_folder):
    path, page = _page(run_folder)
    assert path == run_folder / "report.html"
    for anchor in ("overview", "config", "losses", "metrics", "samples", "diagnostics", "final-metrics"):
        assert f'<section id="{anchor}">' in page
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "http://" not in page and "https://" not in page
    assert "<link" not in page and "<script" not in page  # event text is escaped, not run
    assert "&lt;script&gt;" in page


def test_report_inlines_decodable_images(run_folder):
    _, page = _page(run_folder)
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    # loss curves + one metric chart + a bounded, spread set of sample grids
    assert len(images) == 2 + MAX_SAMPLE_GRIDS
    assert all(base64.b64decode(data).startswith(b"\x89PNG") for data in images)
    steps = [int(s) for s in re.findall(r"<figcaption>step (\d+)</figcaption>", page)]
    assert steps[0] == 0 and steps[-1] == 2000 and steps == sorted(steps)


def test_report_shows_config_events_and_final_metrics_with_protocol(run_folder):
    _, page = _page(run_folder)
    assert "lr_d" in page and "shapes" in page
    assert "d_overpowering" in page and "Give D a lower learning rate" in page and "recovered" in page
    assert "lr_d_factor" in page  # the applied action
    assert "warm-up" not in page  # the run went past it, so no caveat
    assert "23.4" in page and "InceptionV3 (TF 2015-12-05)" in page and "bilinear" in page
    assert "deadbeef" in page and "Protocol" in page


def test_report_accepts_flat_evaluation_json_and_out_path(run_folder, tmp_path):
    (run_folder / "evaluation.json").write_text(json.dumps({"fid": 12.5, "protocol": {"resize": "bicubic"}}))
    path, page = _page(run_folder, out=tmp_path / "elsewhere" / "r.html")
    assert path == tmp_path / "elsewhere" / "r.html"
    assert "12.5" in page and "bicubic" in page
    assert not (run_folder / "report.html").exists()


def test_report_of_a_fresh_run_says_what_is_missing(run_folder):
    for name in ("metrics.jsonl", "events.jsonl", "evaluation.json"):
        (run_folder / name).unlink()
    for png in (run_folder / "samples").glob("*.png"):
        png.unlink()
    _, page = _page(run_folder)
    assert "No training records yet" in page and "No sample grids yet" in page
    assert "No alarms" in page and "ganvas evaluate" in page
    assert "warm-up (until G catches up with D, 500 steps at most)" in page
    assert "data:image" not in page


def test_report_notes_torn_lines_and_bad_images(run_folder):
    with open(run_folder / "metrics.jsonl", "a") as fh:
        fh.write('{"step": 2050, "d_lo')
    (run_folder / "samples" / "step-0002100.png").write_bytes(b"not a png")
    notes = []
    _page(run_folder, progress=notes.append)
    messages = [n.message for n in notes if n.kind == "note"]
    assert any("metrics.jsonl" in m and "1 unreadable" in m for m in messages)
    assert any("step-0002100.png" in m for m in messages)


def test_missing_run_or_run_json_is_one_line_error(tmp_path, run_folder):
    with pytest.raises(GanvasError, match="no such run folder") as exc:
        report(tmp_path / "nope")
    assert "\n" not in str(exc.value)
    (run_folder / "run.json").unlink()
    with pytest.raises(GanvasError, match="no run.json"):
        report(run_folder)


def test_damaged_run_json_and_non_html_out_are_refused(run_folder):
    with pytest.raises(GanvasError, match="--out"):
        report(run_folder, out=run_folder / "run.json")
    (run_folder / "run.json").write_text("{not json")
    with pytest.raises(GanvasError, match="run.json: unreadable"):
        report(run_folder)


def test_timeline_says_when_remedies_were_not_applied(run_folder):
    events = [{"step": 900, "event": "mode_collapse", "message": "m", "remedy": "r", "action": None}]
    (run_folder / "events.jsonl").write_text(json.dumps(events[0]) + "\n")
    _, page = _page(run_folder)
    assert "--auto-stabilize was off" in page


def test_a_scheduled_lr_drop_is_a_change_not_an_alarm(run_folder):
    with open(run_folder / "events.jsonl", "a") as fh:
        fh.write(json.dumps({"step": 1600, "event": "lr_drop", "message": "80% of the budget spent: learning "
                             "rates x0.1", "remedy": "", "action": None}) + "\n")
    _, page = _page(run_folder)
    assert "1 alarm(s), 1 recovery(ies), 1 scheduled change(s)" in page
    assert "80% of the budget spent" in page
