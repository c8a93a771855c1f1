import json
import math

import torch

from ganvas.gan.stabilize import DivergenceGuard, SkipD


def _decide(rule, loss):
    skip = rule.should_skip()
    rule.remember(torch.tensor(loss))
    return skip


def test_skip_d_decides_on_the_previous_loss_and_counts():
    rule = SkipD(0.2)
    decisions = [_decide(rule, x) for x in (0.5, 0.1, 0.19, 0.3, 0.1)]
    assert decisions == [False, False, True, True, False]
    assert rule.skipped == 2


def test_skip_d_off_by_default_and_never_reads_the_loss():
    rule = SkipD(None)
    assert not rule.active and not _decide(rule, 0.0) and rule.skipped == 0 and rule.last_loss is None


def test_skip_d_memory_survives_a_json_round_trip():
    rule = SkipD(0.2)
    _decide(rule, 0.1)
    copy = SkipD(None)
    copy.load_state_dict(json.loads(json.dumps(rule.state_dict())))
    assert copy.should_skip() and copy.threshold == 0.2


def test_divergence_guard_window_survives_a_json_round_trip():
    a, b = DivergenceGuard(), DivergenceGuard()
    for d, g in [(1.3, 0.8), (1.1, 1.2), (0.9, 1.5)] * 3:
        a.diverged([d, g])
    b.load_state_dict(json.loads(json.dumps(a.state_dict())))
    assert [a.diverged([2.0, 60.0]) for _ in range(2)] == [b.diverged([2.0, 60.0]) for _ in range(2)]


def test_divergence_guard_flags_nan_inf_and_runaway_losses():
    guard = DivergenceGuard()
    for d, g in [(1.3, 0.8), (1.1, 1.2), (0.9, 1.5)] * 5:
        assert not guard.diverged([d, g])
    assert guard.diverged([math.nan, 1.0])
    assert guard.diverged([1.0, math.inf])
    assert guard.diverged([2.0, 400.0])


def test_divergence_guard_tolerates_the_oscillation_of_a_healthy_run():
    guard = DivergenceGuard()
    losses = [(0.6 + 0.4 * math.sin(i / 3), 2.0 + 1.5 * math.cos(i / 5)) for i in range(200)]
    assert not any(guard.diverged([d, g]) for d, g in losses)
