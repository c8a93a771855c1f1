import math

from ganvas.gan.stabilize import DivergenceGuard, SkipD


def test_skip_d_only_below_threshold_and_counts():
    rule = SkipD(0.2)
    decisions = [rule.should_skip(x) for x in (None, 0.5, 0.1, 0.19, 0.3)]
    assert decisions == [False, False, True, True, False]
    assert rule.skipped == 2


def test_skip_d_off_by_default():
    rule = SkipD(None)
    assert not rule.active and not rule.should_skip(0.0) and rule.skipped == 0


def test_divergence_guard_flags_nan_inf_and_runaway_losses():
    guard = DivergenceGuard()
    for d, g in [(1.3, 0.8), (1.1, 1.2), (0.9, 1.5)] * 5:
        assert not guard.diverged(d, g)
    assert guard.diverged(math.nan, 1.0)
    assert guard.diverged(1.0, math.inf)
    assert guard.diverged(2.0, 400.0)


def test_divergence_guard_tolerates_the_oscillation_of_a_healthy_run():
    guard = DivergenceGuard()
    losses = [(0.6 + 0.4 * math.sin(i / 3), 2.0 + 1.5 * math.cos(i / 5)) for i in range(200)]
    assert not any(guard.diverged(d, g) for d, g in losses)
