"""The scheduled sudden LR drop: once, at its share of the budget, kept through resume and rollback."""
import json
from pathlib import Path

import pytest

from ganvas import checkpoint as ckpt
from ganvas.config import TrainConfig
from ganvas.errors import GanvasError
from ganvas.gan.lrdrop import LrDrop
from ganvas.gan.runfolder import validate
from ganvas.gan.train import train
from tests.gan.helpers import TINY_RUN

LR = 2e-4


def _records(run: Path) -> list[dict]:
    return [r for r in map(json.loads, (run / "metrics.jsonl").read_text().splitlines()) if "lr_g" in r]


def _events(run: Path) -> list[dict]:
    path = run / "events.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def test_both_learning_rates_drop_once_when_the_share_of_steps_is_spent(tmp_path):
    run = tmp_path / "run"
    train(out=str(run), steps=40, lr_drop_at=0.5, lr_drop_factor=0.1, **TINY_RUN)
    rates = {r["step"]: (r["lr_g"], r["lr_d"]) for r in _records(run)}
    assert rates[10] == (LR, LR)
    assert rates[20] == rates[40] == pytest.approx((LR * 0.1, LR * 0.1))
    assert [(e["event"], e["step"]) for e in _events(run)] == [("lr_drop", 20)]
    assert ckpt.load_latest(run)[1]["state"]["hook.lrdrop"] == {"dropped_at": 20}


def test_a_minutes_budget_drops_partway_through(tmp_path):
    run = tmp_path / "run"
    summary = train(out=str(run), minutes=0.05, lr_drop_at=0.5, **TINY_RUN)
    drops = [e["step"] for e in _events(run) if e["event"] == "lr_drop"]
    assert len(drops) == 1 and 0 < drops[0] < summary["step"]
    assert _records(run)[-1]["lr_g"] == pytest.approx(LR * 0.1)


def test_a_drop_asked_for_on_resuming_takes_effect(tmp_path):
    run = tmp_path / "run"
    train(out=str(run), steps=20, **TINY_RUN)
    train(out=str(run), resume=True, steps=40, lr_drop_at=0.75, lr_drop_factor=0.5, **TINY_RUN)
    rates = {r["step"]: r["lr_d"] for r in _records(run)}
    assert rates[20] == LR and rates[30] == pytest.approx(LR * 0.5) and rates[40] == pytest.approx(LR * 0.5)


def test_a_rollback_to_before_the_drop_does_not_drop_again():
    hook = LrDrop(0.5, 0.1)
    hook.dropped_at = 300
    hook.load_state_dict({"dropped_at": None})  # the checkpoint of step 200, restored by a rollback
    assert hook.dropped_at == 300
    fresh = LrDrop(0.5, 0.1)
    fresh.load_state_dict({"dropped_at": 300})  # a resumed run
    assert fresh.dropped_at == 300


@pytest.mark.parametrize("field, value", [("lr_drop_at", 1.0), ("lr_drop_at", 0.0), ("lr_drop_factor", 1.5),
                                          ("lr_drop_factor", 0.0)])
def test_a_drop_outside_its_range_is_refused_by_name(field, value):
    with pytest.raises(GanvasError, match="--" + field.replace("_", "-")):
        validate(TrainConfig(**{field: value}))
