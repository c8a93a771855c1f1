import json
import math

import numpy as np
import pytest
import torch

from ganvas.metrics.diagnostics import Diagnostics, Event, Thresholds, batch_diversity
from ganvas.metrics.remedies import ALARMS

ACTION_KEYS = {"lr_d_factor", "lr_g_factor", "skip_d_below", "flip"}
CONFIG = {"data": "shapes", "loss": "ns", "lr_g": 2e-4, "lr_d": 2e-4, "steps": 5000, "resolution": 32,
          "flip": False, "skip_d_below": None}


def healthy_stream(seed=0, steps=5000, every=50):
    """Records like a sound DCGAN run: D and G losses oscillating around each other, with noise,
    a D that wins outright for the first hundreds of steps, and a few single-record spikes."""
    rng = np.random.default_rng(seed)
    records = []
    for i, step in enumerate(range(0, steps + 1, every)):
        phase = step / 300
        d_loss = 1.2 + 0.3 * math.sin(phase) + rng.normal(0, 0.12)
        g_loss = 0.9 + 0.35 * math.sin(phase + math.pi) + rng.normal(0, 0.12)
        d_real = 0.6 + 0.08 * math.sin(phase) + rng.normal(0, 0.03)
        d_fake = 0.4 - 0.08 * math.sin(phase) + rng.normal(0, 0.03)
        diversity = 0.2 + rng.normal(0, 0.02)
        if step < 700:  # start-up, as measured on shapes: D wins outright, G's images all look alike
            d_loss = 0.015 + 0.3 * step / 700 + abs(rng.normal(0, 0.01))
            d_real, d_fake, diversity = 0.99 - 0.2 * step / 700, 0.01 + 0.2 * step / 700, 0.035
        if i % 23 == 11:  # a lone bad batch
            d_loss, d_real, d_fake = 0.05, 0.96, 0.04
        records.append({"step": step, "d_loss": d_loss, "g_loss": g_loss, "d_real": d_real, "d_fake": d_fake,
                        "g_grad_norm": abs(2.0 + rng.normal(0, 0.5)), "lr_g": 2e-4, "lr_d": 2e-4,
                        "skipped_d": 0, "diversity": diversity, "real_diversity": 0.3 + rng.normal(0, 0.02)})
    return records


def healthy_evals(seed=0, steps=5000, every=500):
    rng = np.random.default_rng(seed + 1)
    return [(s, 0.05 + 0.5 * math.exp(-s / 2000) * (1 + rng.normal(0, 0.01))) for s in range(every, steps + 1, every)]


def run_stream(diag, records, evals=()):
    events = []
    evals = list(evals)
    for record in records:
        events += diag.observe(record)
        while evals and evals[0][0] <= record["step"]:
            step, value = evals.pop(0)
            events += diag.observe_eval(step, "swd", value)
    return events


def alarms(events):
    return [e for e in events if e.event in ALARMS]


@pytest.mark.parametrize("seed", range(5))
def test_healthy_oscillating_run_raises_no_alarm(seed):
    events = run_stream(Diagnostics(CONFIG), healthy_stream(seed), healthy_evals(seed))
    assert events == []


def test_d_overpowering_fires_when_d_learns_far_faster():
    rng = np.random.default_rng(1)
    records = []
    for step in range(0, 3001, 50):
        fade = math.exp(-step / 150)
        records.append({"step": step, "d_loss": 1.3 * fade + abs(rng.normal(0, 0.005)),
                        "g_loss": 0.7 + 6 * (1 - fade), "d_real": 0.5 + 0.49 * (1 - fade),
                        "d_fake": 0.5 - 0.49 * (1 - fade), "g_grad_norm": 2 * fade + 1e-3, "lr_g": 2e-4,
                        "lr_d": 2e-2, "skipped_d": 0, "diversity": 0.2, "real_diversity": 0.3})
    events = run_stream(Diagnostics(dict(CONFIG, lr_d=2e-2, steps=3000)), records)
    fired = alarms(events)
    assert fired and {e.event for e in fired} == {"d_overpowering"}
    first = fired[0]
    assert 1000 <= first.step <= 1200  # after warm-up, as soon as the condition has held
    assert "100x" in first.message and "gradient" in first.message
    assert first.action["lr_d_factor"] < 1 and first.action["skip_d_below"] > 0
    assert "learning rate" in first.remedy and "skip" in first.remedy
    # the condition persisted for 2000 steps: cooldown (500) bounds the repeats, and they escalate
    assert 2 <= len(fired) <= 4
    assert all(b.step - a.step >= 500 for a, b in zip(fired, fired[1:]))
    assert fired[1].action.get("flip") is True


def test_constant_generator_is_mode_collapse():
    rng = np.random.default_rng(2)
    records = [dict(r, diversity=abs(rng.normal(0, 1e-4))) for r in healthy_stream(2, steps=2000)]
    fired = alarms(run_stream(Diagnostics(CONFIG), records))
    assert [e.event for e in fired] == ["mode_collapse"] * len(fired) and len(fired) >= 1
    assert fired[0].step >= 1000 and "diversity" in fired[0].message
    assert fired[0].action == {"lr_g_factor": 0.5}


def test_collapse_without_real_batches_uses_gs_own_earlier_diversity():
    records = [dict(r, real_diversity=None, diversity=0.2 if r["step"] < 2000 else 0.01)
               for r in healthy_stream(3, steps=3000)]
    fired = alarms(run_stream(Diagnostics(CONFIG), records))
    assert [e.event for e in fired][:1] == ["mode_collapse"] and fired[0].step >= 2000
    assert "earlier level" in fired[0].message


def test_nan_loss_is_divergence_at_once_even_in_warm_up_and_not_repeated_every_record():
    records = healthy_stream(4, steps=600)
    for r in records:
        if r["step"] >= 100:
            r["g_loss"] = float("nan")
    fired = alarms(run_stream(Diagnostics(CONFIG), records))
    assert fired[0].event == "divergence" and fired[0].step == 100
    assert "g_loss" in fired[0].message
    assert fired[0].action == {"lr_d_factor": 0.5, "lr_g_factor": 0.5}
    assert len([e for e in fired if e.event == "divergence"]) == 2  # steps 100 and 600: cooldown of 500


def test_runaway_losses_are_divergence():
    records = healthy_stream(5, steps=1000)
    for r in records:
        if r["step"] >= 700:
            r["d_loss"] = 80.0 * (r["step"] - 650)
    fired = alarms(run_stream(Diagnostics(CONFIG), records))
    assert fired and fired[0].event == "divergence" and fired[0].step == 750
    assert "ran away" in fired[0].message


def test_flat_eval_metric_is_no_progress_and_improvement_clears_it():
    diag = Diagnostics(CONFIG)
    rng = np.random.default_rng(6)
    events = []
    for step in range(500, 5001, 500):
        events += diag.observe_eval(step, "swd", 0.3 * (1 + rng.normal(0, 0.005)))
    fired = alarms(events)
    assert fired and fired[0].event == "no_progress" and fired[0].step == 3000
    assert "swd" in fired[0].message and fired[0].action["lr_g_factor"] < 1
    recovered = diag.observe_eval(5500, "swd", 0.1)
    assert [e.event for e in recovered] == ["recovered"]
    assert "no_progress" in recovered[0].message


def test_flicker_around_the_threshold_does_not_fire():
    records = healthy_stream(7, steps=3000)
    for i, r in enumerate(records):
        if i % 2 == 0:
            r.update(d_loss=0.03, d_real=0.98, d_fake=0.02)
    assert alarms(run_stream(Diagnostics(CONFIG), records)) == []


def test_recovery_is_reported_after_an_alarm_clears():
    records = healthy_stream(8, steps=3000)
    for r in records:
        if 1500 <= r["step"] < 2000:
            r.update(d_loss=0.02, d_real=0.99, d_fake=0.01)
    events = run_stream(Diagnostics(CONFIG), records)
    names = [e.event for e in events]
    assert names == ["d_overpowering", "recovered"]
    assert events[1].step == 2000 and events[1].action == {}


def test_events_serialise_and_actions_use_only_loop_keys():
    records = healthy_stream(9, steps=2000)
    for r in records:
        r.update(d_loss=0.01, d_real=0.99, d_fake=0.01, diversity=1e-5)
        r["g_loss"] = float("inf") if r["step"] == 1500 else r["g_loss"]
    diag = Diagnostics(dict(CONFIG, resolution=128))
    events = run_stream(diag, records, [(s, 1.0) for s in range(100, 2001, 100)])
    assert {e.event for e in alarms(events)} == set(ALARMS)
    for event in events:
        data = json.loads(json.dumps(event.to_dict()))
        assert set(data) == {"step", "event", "message", "remedy", "action"}
        assert set(event.action) <= ACTION_KEYS
        if event.event in ALARMS:
            assert "progressive growing" in event.remedy


def test_flip_is_never_suggested_for_digits():
    diag = Diagnostics(dict(CONFIG, data="mnist"))
    events = []
    for step in range(500, 20001, 500):
        events += diag.observe_eval(step, "swd", 0.3)
    assert len(alarms(events)) >= 2 and not any(e.action.get("flip") for e in events)


def test_custom_thresholds_are_honoured():
    records = healthy_stream(10, steps=2000)
    strict = Thresholds(diversity_ratio=0.9, diversity_exit=0.95)
    assert [e.event for e in alarms(run_stream(Diagnostics(CONFIG, strict), records))][:1] == ["mode_collapse"]


def test_event_is_a_plain_dataclass():
    event = Event(3, "divergence", "m", "r", {"lr_g_factor": 0.5})
    assert event.to_dict() == {"step": 3, "event": "divergence", "message": "m", "remedy": "r",
                               "action": {"lr_g_factor": 0.5}}


def test_batch_diversity_sees_repeats_that_pairwise_distance_misses():
    gen = torch.Generator().manual_seed(0)
    varied = torch.rand(32, 3, 32, 32, generator=gen) * 2 - 1
    four_modes = varied[:4].repeat(8, 1, 1, 1)
    constant = varied[:1].repeat(32, 1, 1, 1)
    assert batch_diversity(varied) > 0.1
    assert batch_diversity(four_modes) == pytest.approx(0.0, abs=1e-4)
    assert batch_diversity(constant) == pytest.approx(0.0, abs=1e-4)
    assert math.isnan(batch_diversity(varied[:1]))


def test_batch_diversity_does_not_grow_with_resolution():
    gen = torch.Generator().manual_seed(1)
    small = torch.rand(16, 1, 16, 16, generator=gen)
    large = torch.nn.functional.interpolate(small, scale_factor=8, mode="nearest")
    assert batch_diversity(large) == pytest.approx(batch_diversity(small), rel=1e-4)
