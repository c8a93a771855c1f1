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
    assert 1000 <= first.step <= 1200  # D's loss ~0.01 is judged after warm-up, once the condition has held
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
    # practically identical images are blatant, so they are told after the short early window already
    assert 300 <= fired[0].step <= 500 and "diversity" in fired[0].message
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
            assert "--progressive" in event.remedy and "--arch msg" in event.remedy


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


# Records of real runs on the built-in shapes set (DCGAN, width 16, batch 32, log every 20 steps):
# (step, d_loss, d_real, d_fake, g_grad_norm, diversity); the real batch's diversity was 0.342.
REAL_LR_D_100X = [
    (20, 0.119, 0.944, 0.0371, 29.5, 0.00491), (40, 0.00284, 0.999, 0.00152, 57.9, 0.0278),
    (60, 0.00172, 0.999, 0.00117, 106.0, 0.0468), (80, 0.00123, 1.0, 0.00079, 148.0, 0.0505),
    (100, 0.00092, 1.0, 0.00049, 163.0, 0.0517), (120, 0.00059, 1.0, 0.00041, 172.0, 0.0518),
    (140, 0.00074, 1.0, 0.00038, 165.0, 0.0516), (160, 0.00031, 1.0, 0.00021, 167.0, 0.0517),
    (180, 0.00038, 1.0, 0.00021, 166.0, 0.0519), (200, 0.00026, 1.0, 0.00015, 151.0, 0.0515),
    (220, 0.00019, 1.0, 0.00012, 135.0, 0.0504), (240, 0.00018, 1.0, 0.0001, 126.0, 0.0493),
    (260, 0.00016, 1.0, 0.0001, 124.0, 0.0471), (280, 0.00011, 1.0, 6e-05, 114.0, 0.0457),
    (300, 9e-05, 1.0, 5e-05, 108.0, 0.0448), (320, 8e-05, 1.0, 5e-05, 105.0, 0.0438),
    (340, 7e-05, 1.0, 4e-05, 100.0, 0.0432), (360, 6e-05, 1.0, 3e-05, 99.7, 0.042),
    (380, 5e-05, 1.0, 3e-05, 105.0, 0.0414), (400, 7e-05, 1.0, 3e-05, 110.0, 0.0404),
    (420, 5e-05, 1.0, 3e-05, 113.0, 0.0396), (440, 6e-05, 1.0, 3e-05, 115.0, 0.0389),
    (460, 3e-05, 1.0, 2e-05, 110.0, 0.0382), (480, 3e-05, 1.0, 2e-05, 115.0, 0.0376),
    (500, 4e-05, 1.0, 2e-05, 127.0, 0.0367), (520, 3e-05, 1.0, 2e-05, 142.0, 0.0358),
    (540, 3e-05, 1.0, 2e-05, 155.0, 0.0345), (560, 2e-05, 1.0, 1e-05, 137.0, 0.0333),
    (580, 2e-05, 1.0, 1e-05, 125.0, 0.0323), (600, 2e-05, 1.0, 1e-05, 123.0, 0.0312)]
# The default run (width 64, batch 64, log every 50) through its start-up, when D wins outright;
# the real batch's diversity was 0.350.
REAL_DEFAULT_START = [
    (50, 0.3052, 0.8986, 0.1386, 36.89, 0.06011), (100, 0.05412, 0.9756, 0.02632, 43.78, 0.0448),
    (150, 0.02659, 0.9875, 0.01335, 44.04, 0.03695), (200, 0.0154, 0.9929, 0.00799, 43.16, 0.03265),
    (250, 0.01064, 0.9952, 0.00567, 35.85, 0.03666), (300, 0.01643, 0.9923, 0.00829, 35.05, 0.07029)]

# The default run on Fashion-MNIST (width 64, batch 64, log every 20); the real batch's diversity was 0.291.
REAL_DEFAULT_FASHION = [
    (20, 0.569, 0.859, 0.276, 37.6, 0.0262), (40, 0.3, 0.88, 0.12, 42.7, 0.0648), (60, 0.422, 0.853, 0.149, 42.8, 0.12),
    (80, 0.597, 0.798, 0.217, 32.2, 0.175), (100, 0.434, 0.839, 0.166, 20.9, 0.173), (120, 0.32, 0.86, 0.128, 23.8, 0.192),
    (140, 0.334, 0.863, 0.137, 22.7, 0.21), (160, 0.265, 0.887, 0.109, 19.0, 0.223), (180, 0.22, 0.905, 0.0943, 17.8, 0.246),
    (200, 0.461, 0.846, 0.154, 18.3, 0.234), (220, 0.153, 0.93, 0.0678, 23.4, 0.24), (240, 0.329, 0.872, 0.124, 24.0, 0.245),
    (260, 0.265, 0.89, 0.106, 17.3, 0.252), (280, 0.217, 0.908, 0.0897, 16.2, 0.266), (300, 0.25, 0.895, 0.102, 16.7, 0.276),
    (320, 0.26, 0.893, 0.105, 16.6, 0.277), (340, 0.453, 0.853, 0.133, 18.3, 0.293), (360, 0.298, 0.883, 0.122, 18.9, 0.292),
    (380, 0.243, 0.897, 0.102, 19.5, 0.297), (400, 0.459, 0.869, 0.137, 16.4, 0.313), (420, 0.507, 0.83, 0.162, 15.7, 0.291),
    (440, 0.238, 0.892, 0.102, 14.7, 0.308), (460, 0.424, 0.857, 0.155, 13.8, 0.297), (480, 0.357, 0.856, 0.128, 13.8, 0.284),
    (500, 0.273, 0.891, 0.118, 13.4, 0.299), (520, 0.293, 0.874, 0.113, 13.7, 0.303), (540, 0.233, 0.898, 0.0994, 13.9, 0.317),
    (560, 0.421, 0.849, 0.149, 13.1, 0.324), (580, 0.387, 0.855, 0.143, 13.5, 0.323), (600, 0.285, 0.88, 0.119, 13.9, 0.305)]


def _real_records(rows, real_diversity, lr_g, lr_d):
    return [{"step": step, "d_loss": d_loss, "g_loss": 5.0, "d_real": d_real, "d_fake": d_fake,
             "g_grad_norm": grad, "lr_g": lr_g, "lr_d": lr_d, "skipped_d": 0, "diversity": diversity,
             "real_diversity": real_diversity} for step, d_loss, d_real, d_fake, grad, diversity in rows]


def test_real_run_with_d_learning_100x_faster_is_told_early():
    records = _real_records(REAL_LR_D_100X, 0.342, 2e-5, 2e-3)
    fired = alarms(run_stream(Diagnostics(dict(CONFIG, lr_g=2e-5, lr_d=2e-3, steps=600)), records))
    assert [(e.step, e.event) for e in fired] == [(460, "d_overpowering")]
    assert "100x" in fired[0].message


def test_real_default_fashion_run_is_quiet():
    records = _real_records(REAL_DEFAULT_FASHION, 0.291, 2e-4, 2e-4)
    assert run_stream(Diagnostics(dict(CONFIG, data="fashion-mnist", steps=600)), records) == []


def test_real_default_start_up_is_not_an_alarm_even_when_it_lasts_longer():
    rows = list(REAL_DEFAULT_START)
    # Stretch the deepest part of the measured start-up (D's loss ~0.01) over the whole early window.
    rows += [(step, 0.0106, 0.9952, 0.00567, 35.85, 0.03666) for step in range(350, 1000, 50)]
    records = _real_records(rows, 0.350, 2e-4, 2e-4)
    assert alarms(run_stream(Diagnostics(CONFIG), records)) == []


@pytest.mark.slow
def test_real_training_with_d_learning_100x_faster_fires_d_overpowering(tmp_path, monkeypatch):
    from ganvas.gan.train import train

    monkeypatch.setenv("GANVAS_CACHE", str(tmp_path / "cache"))
    run = tmp_path / "run"
    train(data="shapes", out=str(run), steps=470, width=16, batch_size=32, lr_g=2e-5, lr_d=2e-3, log_every=10,
          sample_every=470, checkpoint_every=470, tensorboard=False, threads=1)
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
    fired = [e for e in events if e["event"] in ALARMS]
    assert fired and fired[0]["event"] == "d_overpowering" and 300 < fired[0]["step"] <= 470
    assert "100x" in fired[0]["message"] and fired[0]["remedy"]
