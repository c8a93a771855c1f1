"""The forms come from the config dataclasses, as the CLI's flags do; the views read run folders back."""
from __future__ import annotations

import dataclasses
import json

import pytest

from ganvas.config import StyleConfig, TrainConfig
from ganvas.errors import GanvasError
from ganvas.ui import folders, remedies, views
from ganvas.ui.forms import NONE_CHOICE, field_specs, parse
from ganvas.ui.jobs import Job


def test_every_flag_of_train_is_a_form_field_with_the_same_default_help_and_choices():
    specs = {s.name: s for s in field_specs(TrainConfig)}
    flags = [f for f in dataclasses.fields(TrainConfig) if f.metadata.get("cli", True)]
    assert list(specs) == [f.name for f in flags]
    for f in flags:
        default = f.default_factory() if f.default is dataclasses.MISSING else f.default
        assert specs[f.name].default == default and specs[f.name].help in specs[f.name].info
        assert specs[f.name].choices == tuple(f.metadata.get("choices") or ())
    assert "data" not in specs and "out" not in specs  # the page asks for these its own way
    assert {specs["flip"].kind, specs["steps"].kind, specs["lr_g"].kind, specs["augment_policy"].kind} == {
        "bool", "int", "float", "list"}


def test_form_values_parse_to_the_fields_types_and_empty_means_not_set():
    specs = {s.name: s for s in field_specs(TrainConfig)}
    style = {s.name: s for s in field_specs(StyleConfig)}
    assert parse(specs["steps"], "40") == 40 and parse(specs["steps"], "") is None
    assert parse(specs["lr_g"], 0.001) == 0.001 and parse(specs["z_dim"], None) == 100
    assert parse(specs["augment_policy"], "color, cutout") == ("color", "cutout")
    assert parse(style["style_weights"], "1 0.5") == (1.0, 0.5) and parse(style["style_weights"], " ") is None
    assert parse(style["preserve_color"], NONE_CHOICE) is None and parse(specs["fit"], "pad") == "pad"
    with pytest.raises(GanvasError, match="steps"):
        parse(specs["steps"], "4.5")
    with pytest.raises(GanvasError, match="lr g"):
        parse(specs["lr_g"], "fast")


def test_the_status_line_shows_step_speed_and_eta():
    job = Job(id="j", kind="train", folder="/r/a", spec={}, state="running")
    line = views.job_line(job, {"phase": "training", "step": 120, "total": 3000, "values": {"img/s": 850.0},
                                "eta_s": 80}, 0)
    assert line == "**running** (training) · step 120 / 3000 · 850 img/s · ETA 1 min 20 s"
    queued = Job(id="k", kind="train", folder="/r/b", spec={}, state="queued")
    assert "place 2 in the queue" in views.job_line(queued, {}, 2)
    assert views.queue_text([job, queued], "train") == "Queue:\n- a: running\n- b: waiting, place 1"


def test_run_folders_read_back_steps_grids_losses_and_the_best_metric(tmp_path):
    run = tmp_path / "a"
    (run / "checkpoints").mkdir(parents=True)
    (run / "samples").mkdir()
    (run / "run.json").write_text(json.dumps({"config": {"steps": 40, "data": "/x/blobs"}}))
    for step in (20, 40):
        (run / "checkpoints" / f"step-{step:07d}.json").write_text("{}")
        (run / "samples" / f"step-{step:07d}.png").write_bytes(b"")
    records = [{"step": 20, "d_loss": 1.2, "g_loss": 0.8}, {"step": 20, "eval": {"swd": 0.9}},
               {"step": 40, "d_loss": 1.1, "g_loss": 0.9}, {"step": 40, "eval": {"swd": 1.1}}]
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    summary = folders.summary(run)
    assert (summary.step, summary.target, summary.best) == (40, 40, 0.9)
    assert [s for s, _ in folders.sample_grids(run)] == [20, 40]
    plot = folders.live_loss_plot(run, records)
    assert plot == run / "studio" / "losses.png" and plot.stat().st_size > 1000
    drawn = plot.stat().st_mtime_ns
    assert folders.live_loss_plot(run, records).stat().st_mtime_ns == drawn  # nothing new logged: not redrawn
    assert "SWD **1.1** at step 40 (best 0.9" in views.metric_line(records)
    assert views.run_table([summary], {})[0][:5] == ["a", "finished", 40, 40, "0.9"]


def test_a_remedy_is_the_lessons_action_and_repeats_escalate(tmp_path):
    run = tmp_path / "a"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"config": {"data": "/x/blobs", "flip": False}}))
    first = {"step": 100, "event": "d_overpowering", "action": None}
    second = {"step": 300, "event": "d_overpowering", "action": None}
    assert remedies.suggested_action(first, [first, second], {}) == {"lr_d_factor": 0.5, "skip_d_below": 0.3}
    assert remedies.suggested_action(second, [first, second], {})["flip"] is True
    assert remedies.suggested_action({"event": "recovered"}, [], {}) == {}
    assert "Queued" in remedies.queue(run, first, [first])
    assert "Queued" in remedies.queue(run, first, [first])  # twice: still one entry
    assert remedies.pending_keys(run) == {("d_overpowering", 100)} and len(remedies.pending(run)) == 1
