"""Progressive growing's phase length fitted to the budget when --grow-kimg is left to ganvas."""
import json
import math

import pytest

from ganvas.gan import growth_fit
from ganvas.gan.growth import Growth
from ganvas.gan.train import train

from .helpers import TINY_RUN


def _growing_steps(growth: Growth) -> int:
    """Steps before the last level trains alone (its fade-in over)."""
    step = 0
    while not (growth.at(step).level == growth.levels - 1 and growth.at(step).alpha == 1.0):
        step += 1
    return step


def test_every_phase_before_the_last_level_trains_alone_is_counted():
    assert growth_fit.growing_levels(1) == [0]
    assert growth_fit.growing_levels(2) == [0, 1]
    assert growth_fit.growing_levels(5) == [0, 1, 1, 2, 2, 3, 3, 4]


@pytest.mark.parametrize("batches,steps", [((64,) * 5, 10_000), ((128, 64, 32, 16), 3_000), ((16, 8), 40)])
def test_a_step_budget_grows_for_half_its_steps(batches, steps):
    kimg = growth_fit.kimg_for_steps(batches, steps)
    growth = Growth.plan(len(batches), kimg, batches[-1], batches)
    phases = len(growth_fit.growing_levels(len(batches)))
    # Each phase rounds its steps up, so growing may run over by up to one step per phase.
    assert steps / 2 - phases <= _growing_steps(growth) <= steps / 2 + phases


def test_a_time_budget_grows_for_half_its_seconds_at_the_measured_cost():
    per_image = [0.0002, 0.0005, 0.002, 0.008]
    kimg = growth_fit.kimg_for_seconds(per_image, 900)
    images = kimg * 1000
    seconds = images * (per_image[0] + 2 * per_image[1] + 2 * per_image[2] + per_image[3])
    assert seconds == pytest.approx(450, rel=0.01)


def test_a_long_budget_grows_no_slower_than_progan_and_a_tiny_one_still_grows():
    assert growth_fit.kimg_for_seconds([1e-5] * 5, 3600 * 24 * 7) == growth_fit.MAX_KIMG
    assert growth_fit.kimg_for_seconds([10.0] * 3, 1) == 0.001  # one image per phase


def test_a_run_without_grow_kimg_records_its_fitted_schedule_and_resumes_with_it(tmp_path):
    run = tmp_path / "run"
    notes = []
    train(out=str(run), progressive=True, level_batch=(16, 8), steps=40, progress=notes.append, **TINY_RUN)
    kimg = json.loads((run / "run.json").read_text())["config"]["grow_kimg"]
    assert kimg == growth_fit.kimg_for_steps((16, 8), 40)
    assert any("images per phase" in (n.message or "") for n in notes)
    train(out=str(run), resume=True, steps=44, **TINY_RUN)  # a longer budget on resume keeps the schedule
    assert json.loads((run / "run.json").read_text())["config"]["grow_kimg"] == kimg


def test_a_minutes_budget_is_timed_at_every_level_and_an_explicit_value_is_kept(tmp_path):
    notes = []
    train(out=str(tmp_path / "timed"), progressive=True, minutes=0.02, progress=notes.append,
          **dict(TINY_RUN, checkpoint_every=10_000))
    kimg = json.loads((tmp_path / "timed" / "run.json").read_text())["config"]["grow_kimg"]
    assert 0 < kimg <= growth_fit.MAX_KIMG and math.isfinite(kimg)
    assert any("ms per image at 8 px" in (n.message or "") for n in notes)
    train(out=str(tmp_path / "given"), progressive=True, grow_kimg=0.3, steps=2, **TINY_RUN)
    assert json.loads((tmp_path / "given" / "run.json").read_text())["config"]["grow_kimg"] == 0.3
