import numpy as np
import pytest
import torch

from ganvas.metrics.prdc import knn_radii, precision_recall


def _cloud(rng, centre, n=200, dim=8):
    return rng.normal(size=(n, dim)) + centre


def test_identical_sets_have_full_precision_and_recall():
    rng = np.random.default_rng(0)
    real = _cloud(rng, 0.0)
    assert precision_recall(real, real.copy(), k=3) == (1.0, 1.0)


def test_disjoint_sets_have_neither():
    rng = np.random.default_rng(1)
    assert precision_recall(_cloud(rng, 0.0), _cloud(rng, 100.0), k=3) == (0.0, 0.0)


def test_generating_one_of_two_modes_keeps_precision_and_halves_recall():
    rng = np.random.default_rng(2)
    real = np.concatenate([_cloud(rng, 0.0), _cloud(rng, 50.0)])
    fake = real[:200]  # only the first mode: a subset of the real points
    precision, recall = precision_recall(real, fake, k=3)
    assert precision == 1.0
    assert recall == pytest.approx(0.5, abs=0.02)


def test_radius_is_the_kth_other_point():
    points = torch.tensor([[0.0], [1.0], [3.0], [6.0]], dtype=torch.float64)
    # squared distances to the 2nd nearest other point
    assert knn_radii(points, 2).tolist() == [9.0, 4.0, 9.0, 25.0]
    with pytest.raises(ValueError):
        knn_radii(points, 4)
