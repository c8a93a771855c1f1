import math

import pytest
import torch

from ganvas.metrics.diversity import batch_diversity


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
