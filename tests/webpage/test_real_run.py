"""End to end: a short real training run is diagnosed quietly and reported on one page."""
import json
import re

import pytest

from ganvas.gan.remedies import ALARMS
from ganvas.webpage import report


@pytest.mark.slow
def test_short_healthy_run_raises_no_alarm_and_reports(tmp_path, monkeypatch):
    from ganvas.gan.train import train

    monkeypatch.setenv("GANVAS_CACHE", str(tmp_path / "cache"))
    run = tmp_path / "run"
    # Default loss, learning rates and architecture, made small so the test stays quick.
    train(data="shapes", out=str(run), steps=120, width=16, batch_size=32, log_every=20, sample_every=60,
          checkpoint_every=120, tensorboard=False, threads=1)
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert any(r.get("diversity") is not None for r in records)
    events_path = run / "events.jsonl"
    events = [json.loads(line) for line in events_path.read_text().splitlines()] if events_path.exists() else []
    assert [e for e in events if e["event"] in ALARMS] == []

    page = report(run).read_text()
    assert len(re.findall(r'src="data:image/png;base64,', page)) >= 3  # losses, samples, swd
    assert "No alarms" in page and "https://" not in page
