import numpy as np
import pytest

from ganvas.metrics.kid import kid, mmd2_unbiased, polynomial_kernel


def test_kernel_is_the_cubic_polynomial():
    x = np.array([[1.0, 2.0]])
    y = np.array([[3.0, -1.0]])
    assert polynomial_kernel(x, y)[0, 0] == pytest.approx(((1 * 3 + 2 * -1) / 2 + 1) ** 3)


def test_two_samples_of_one_distribution_score_near_zero():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(600, 16)), rng.normal(size=(600, 16))
    mean, std = kid(a, b, subsets=20, subset_size=200, seed=0)
    different, _ = kid(a, rng.normal(0.5, 1.0, size=(600, 16)), subsets=20, subset_size=200, seed=0)
    assert abs(mean) < 0.02 * different
    assert abs(mean) < 3 * std + 1e-3


def test_different_distributions_score_clearly_above_zero():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(300, 16)), rng.normal(0.5, 1.5, size=(300, 16))
    mean, std = kid(a, b, subsets=10, subset_size=100, seed=0)
    assert mean > 5 * std > 0


def test_estimate_is_unbiased_at_tiny_sizes():
    # Averaged over many tiny subsets, the unbiased MMD of one distribution centres on zero.
    rng = np.random.default_rng(2)
    values = [mmd2_unbiased(rng.normal(size=(8, 4)), rng.normal(size=(8, 4))) for _ in range(2000)]
    assert abs(np.mean(values)) < 3 * np.std(values) / np.sqrt(len(values))


def test_subset_size_is_capped_and_seed_repeats():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(40, 8)), rng.normal(size=(30, 8))
    assert kid(a, b, subsets=5, subset_size=1000, seed=7) == kid(a, b, subsets=5, subset_size=1000, seed=7)
    with pytest.raises(ValueError):
        kid(a[:1], b, subsets=2)
