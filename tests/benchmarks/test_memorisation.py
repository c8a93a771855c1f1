"""The NN ratio on random features: copies score ~0, fresh draws ~1, far-off ones more."""
import numpy as np
import pytest

from benchmarks.memorisation import nearest_distances, nn_ratio


def features(n: int, seed: int, shift: float = 0.0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, 64)) + shift


def test_copies_score_zero():
    training = features(200, 0)
    assert nn_ratio(training[::2], training) == pytest.approx(0.0, abs=1e-6)


def test_slightly_perturbed_copies_score_near_zero():
    training = features(200, 0)
    assert nn_ratio(training + 0.01 * features(200, 1), training) < 0.05


def test_fresh_draws_of_the_same_distribution_score_about_one():
    assert 0.9 < nn_ratio(features(500, 1), features(200, 0)) < 1.1


def test_unrelated_features_score_above_one():
    assert nn_ratio(features(500, 1, shift=1.0), features(200, 0)) > 1.2


def test_leave_one_out_ignores_the_query_itself():
    points = np.array([[0.0], [1.0], [3.0]])
    assert nearest_distances(points, points, leave_one_out=True).tolist() == [1.0, 1.0, 2.0]


def test_duplicates_only_training_set_is_refused():
    with pytest.raises(ValueError):
        nn_ratio(np.zeros((3, 4)), np.zeros((5, 4)))
