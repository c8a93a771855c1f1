import numpy as np
import pytest
import scipy.linalg

from ganvas.metrics.fid import fid_from_features, frechet_distance, gaussian_stats, trace_sqrt_product


def test_one_dimensional_closed_form():
    # (0 - 2)^2 + 1 + 4 - 2 * sqrt(1 * 4) = 5
    assert frechet_distance([0.0], [[1.0]], [2.0], [[4.0]]) == pytest.approx(5.0)


def test_diagonal_covariances_sum_per_dimension():
    rng = np.random.default_rng(1)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    var1, var2 = rng.uniform(0.5, 3, 6), rng.uniform(0.5, 3, 6)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(var1) - np.sqrt(var2)) ** 2)
    assert frechet_distance(mu1, np.diag(var1), mu2, np.diag(var2)) == pytest.approx(expected, rel=1e-10)


def test_rotation_leaves_the_distance_unchanged():
    rng = np.random.default_rng(2)
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    var1, var2 = rng.uniform(0.5, 3, 5), rng.uniform(0.5, 3, 5)
    mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
    plain = frechet_distance(mu1, np.diag(var1), mu2, np.diag(var2))
    rotated = frechet_distance(q @ mu1, q @ np.diag(var1) @ q.T, q @ mu2, q @ np.diag(var2) @ q.T)
    assert rotated == pytest.approx(plain, rel=1e-9)


def test_trace_term_matches_a_general_sqrtm_for_non_commuting_covariances():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(8, 8)), rng.normal(size=(8, 8))
    s1, s2 = a @ a.T + 0.1 * np.eye(8), b @ b.T + 0.1 * np.eye(8)
    reference = np.trace(scipy.linalg.sqrtm(s1 @ s2)).real
    assert trace_sqrt_product(s1, s2) == pytest.approx(reference, rel=1e-8)


def test_identical_statistics_give_zero_even_when_singular():
    rng = np.random.default_rng(4)
    feats = rng.normal(size=(10, 32))  # fewer samples than dimensions: a singular covariance
    mu, sigma = gaussian_stats(feats)
    assert frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0.0, abs=1e-8)


def test_samples_estimate_the_closed_form():
    rng = np.random.default_rng(5)
    real = rng.normal(0.0, 1.0, size=(20000, 3))
    fake = rng.normal(1.0, 2.0, size=(20000, 3))
    # per dimension: 1 + (1 - 2)^2 = 2
    assert fid_from_features(real, fake) == pytest.approx(6.0, rel=0.05)


def test_mismatched_shapes_are_refused():
    with pytest.raises(ValueError):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))
    with pytest.raises(ValueError):
        gaussian_stats(np.zeros((1, 4)))


@pytest.mark.parametrize("n_real,n_fake", [(10, 12), (40, 40), (200, 150)])
def test_few_samples_shortcut_agrees_with_the_covariance_route(n_real, n_fake):
    rng = np.random.default_rng(6)
    real, fake = rng.normal(size=(n_real, 64)), rng.normal(0.3, 1.2, size=(n_fake, 64))
    direct = frechet_distance(*gaussian_stats(real), *gaussian_stats(fake))
    # rank-deficient covariances cost the eigen route a few digits (square roots of round-off)
    assert fid_from_features(real, fake) == pytest.approx(direct, rel=1e-7)
