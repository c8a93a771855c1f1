"""The real worker under the job manager: a 16 px run stopped with a checkpoint and resumed with a remedy
the user queued, and a stylisation stopped early that keeps its image."""
from __future__ import annotations

import json

import pytest

from ganvas.ui import folders, remedies
from ganvas.ui.jobs import JobManager, read_progress
from ganvas.ui.paths import Layout
from tests.ui.images import picture
from tests.ui.helpers import state, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]
TINY = dict(resolution=16, width=8, batch_size=8, threads=1, log_every=5, sample_every=20, checkpoint_every=20,
            eval_every=1000, eval_samples=16, tensorboard=False, steps=5000)


@pytest.fixture
def jobs(tmp_path):
    manager = JobManager(Layout.at(tmp_path / "runs"), poll_s=0.1).start()
    yield manager
    manager.shutdown(timeout=60)


def test_stop_checkpoints_and_resume_applies_the_queued_remedy(jobs, tmp_path):
    data = tmp_path / "blobs"
    for i in range(16):
        picture(data / f"{i}.png", seed=i)
    run = jobs.layout.runs / "blobs"
    job = jobs.submit("train", run, {"options": {**TINY, "data": str(data), "out": str(run)}, "resume": False})
    wait_for(lambda: read_progress(run).get("step", 0) >= 20, timeout=120, what="20 steps")
    jobs.stop(job.id)
    wait_for(lambda: state(jobs, job) == "stopped", timeout=60, what="the stop")
    stopped_at = folders.checkpoint_step(run)
    assert stopped_at >= 20 and stopped_at == read_progress(run)["step"]

    alarm = {"step": stopped_at, "event": "d_overpowering", "message": "D wins", "remedy": "lower D's LR",
             "action": None}
    with open(run / "events.jsonl", "a") as fh:
        fh.write(json.dumps(alarm) + "\n")
    assert "lr_d_factor 0.5" in remedies.queue(run, alarm, [alarm])
    lr_before = folders.metric_records(run)[-1]["lr_d"]

    resumed = jobs.submit("train", run, {"options": {"out": str(run), "steps": stopped_at + 10}, "resume": True})
    wait_for(lambda: state(jobs, resumed) == "finished", timeout=120, what="the resumed run to finish")
    applied = [e for e in folders.events(run) if e["event"] == "remedy"]
    assert applied and applied[0]["step"] == stopped_at + 1 and applied[0]["action"]["lr_d_factor"] == 0.5
    assert folders.metric_records(run)[-1]["lr_d"] == pytest.approx(lr_before * 0.5)
    assert remedies.pending(run) == [] and not (run / "studio" / "remedies.applying.json").exists()
    assert any(f"from step {stopped_at}" in note for note in read_progress(run)["notes"])


def test_a_stopped_stylisation_keeps_the_image_it_had(jobs, tmp_path):
    folder = jobs.layout.stylize / "s"
    content, style = picture(tmp_path / "photo.png", seed=1, size=(48, 36)), picture(tmp_path / "art.png", seed=2, size=(40, 40))
    options = {"content": str(content), "styles": [str(style)], "out": str(folder / "result.png"), "size": 32,
               "min_scale": 32, "steps": 2000, "threads": 1, "save_every": 1}
    job = jobs.submit("stylize", folder, {"options": options})
    wait_for(lambda: read_progress(folder).get("step", 0) >= 2, timeout=120, what="a few steps")
    jobs.stop(job.id)
    wait_for(lambda: state(jobs, job) == "stopped", timeout=60, what="the stop")
    assert (folder / "result.png").exists() and read_progress(folder)["step"] < 2000
