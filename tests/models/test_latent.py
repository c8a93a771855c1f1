import math

import pytest
import torch

from ganvas.models.latent import LatentSampler, interpolation_path, latents, slerp


def test_latents_repeat_per_seed_and_differ_across_seeds():
    a, b, c = latents(8, 16, seed=3), latents(8, 16, seed=3), latents(8, 16, seed=4)
    assert a.shape == (8, 16) and torch.equal(a, b) and not torch.equal(a, c)


def test_plain_latents_are_standard_normal():
    z = latents(4000, 32, seed=0)
    assert abs(z.mean().item()) < 0.02 and abs(z.std().item() - 1) < 0.02


@pytest.mark.parametrize("bound", [0.05, 0.7, 2.0])
def test_truncation_bound_is_respected(bound):
    z = latents(500, 64, seed=1, truncation=bound)
    assert z.abs().max().item() <= bound
    assert z.abs().max().item() > 0.9 * bound  # the whole interval is used, not a shrunken one


def test_truncated_values_follow_the_truncated_normal():
    bound = 1.0
    z = latents(20000, 10, seed=2, truncation=bound)
    # variance of N(0,1) truncated to [-1, 1]: 1 - 2 phi(1) / (2 Phi(1) - 1)
    phi = math.exp(-0.5) / math.sqrt(2 * math.pi)
    mass = math.erf(bound / math.sqrt(2))
    assert z.var().item() == pytest.approx(1 - 2 * phi / mass, rel=0.02)


def test_non_positive_truncation_is_refused():
    with pytest.raises(ValueError, match="truncation"):
        latents(2, 2, seed=0, truncation=0)


def test_slerp_hits_its_endpoints():
    a, b = torch.randn(5, 12), torch.randn(5, 12)
    assert torch.allclose(slerp(a, b, 0.0), a, atol=1e-5)
    assert torch.allclose(slerp(a, b, 1.0), b, atol=1e-5)


def test_slerp_keeps_unit_vectors_on_the_sphere():
    a = torch.nn.functional.normalize(torch.randn(3, 50), dim=-1)
    b = torch.nn.functional.normalize(torch.randn(3, 50), dim=-1)
    for t in torch.linspace(0, 1, 9):
        assert torch.allclose(slerp(a, b, t).norm(dim=-1), torch.ones(3), atol=1e-5)
    halfway = slerp(a, b, 0.5)
    # the midpoint is equally far from both ends
    assert torch.allclose((halfway - a).norm(dim=-1), (halfway - b).norm(dim=-1), atol=1e-5)


def test_slerp_of_parallel_vectors_stays_finite():
    a = torch.ones(1, 4)
    out = slerp(a, 2 * a, 0.5)
    assert torch.isfinite(out).all() and torch.allclose(out, 1.5 * a)


def test_looping_path_visits_every_key_and_closes():
    keys = torch.randn(5, 8)
    path = interpolation_path(keys, frames_per_segment=6)
    assert path.shape == (30, 8)
    assert torch.allclose(path[::6], keys, atol=1e-5)
    # looping is the open path back to the first key, minus that repeated final frame
    closed = interpolation_path(torch.cat([keys, keys[:1]]), frames_per_segment=6, loop=False)
    assert torch.allclose(path, closed[:-1], atol=1e-6)


def test_open_path_ends_on_the_last_key():
    keys = torch.randn(3, 4)
    path = interpolation_path(keys, frames_per_segment=4, loop=False)
    assert path.shape == (9, 4) and torch.allclose(path[-1], keys[-1])


def test_path_needs_two_keys():
    with pytest.raises(ValueError, match="2 keys"):
        interpolation_path(torch.randn(1, 4), 3)


def test_the_sampler_draws_training_latents_from_the_global_rng():
    sampler = LatentSampler(6, num_classes=4)
    torch.manual_seed(5)
    z, labels = sampler.draw(300)
    torch.manual_seed(5)
    again, same_labels = sampler.draw(300)
    assert z.shape == (300, 6) and torch.equal(z, again) and torch.equal(labels, same_labels)
    assert set(labels.tolist()) == {0, 1, 2, 3}
    assert LatentSampler(6).draw(3)[1] is None


def test_fixed_latents_leave_the_global_rng_alone_and_cycle_the_classes():
    sampler = LatentSampler(5, num_classes=3)
    torch.manual_seed(1)
    expected_next = torch.rand(4)
    torch.manual_seed(1)
    z, labels = sampler.fixed(7, seed=9)
    assert torch.equal(torch.rand(4), expected_next)
    assert torch.equal(z, latents(7, 5, seed=9)) and labels.tolist() == [0, 1, 2, 0, 1, 2, 0]
    tight, _ = sampler.fixed(7, seed=9, truncation=0.5)
    assert tight.abs().max() <= 0.5
    assert LatentSampler(5).fixed(2, seed=0)[1] is None
