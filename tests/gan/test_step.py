import contextlib

import torch

from ganvas.gan.step import Nets, set_frozen, train_step
from ganvas.models import build_discriminator, build_generator


def _nets(seed=0):
    torch.manual_seed(seed)
    G = build_generator("dcgan", z_dim=8, resolution=16, channels=1, width=8)
    D = build_discriminator("dcgan", resolution=16, channels=1, width=8)
    return Nets(G, D, torch.optim.Adam(G.parameters(), 1e-3), torch.optim.Adam(D.parameters(), 1e-3))


def _step(nets, skip_d=False):
    real = torch.rand(4, 1, 16, 16) * 2 - 1
    z = torch.randn(4, 8)
    return train_step(nets, real, None, z, None, loss="ns", smoothing=0.0, skip_d=skip_d,
                      autocast=contextlib.nullcontext())


def test_d_is_frozen_during_g_step_and_thawed_after():
    nets = _nets()
    seen = []
    nets.D.register_forward_hook(lambda m, i, o: seen.append([p.requires_grad for p in m.parameters()]))
    _step(nets)
    assert len(seen) == 3  # reals, fakes for D's step; fakes for G's step
    assert all(all(flags) for flags in seen[:2])
    assert not any(seen[2])
    assert all(p.requires_grad for p in nets.D.parameters())


def test_g_step_leaves_no_gradient_in_d():
    nets = _nets()
    for p in nets.D.parameters():
        p.grad = torch.zeros_like(p)
    before = [p.detach().clone() for p in nets.D.parameters()]
    _step(nets, skip_d=True)
    assert all(torch.count_nonzero(p.grad) == 0 for p in nets.D.parameters())
    assert all(torch.equal(a, p) for a, p in zip(before, nets.D.parameters()))


def test_both_networks_learn_in_one_step():
    nets = _nets()
    g_before = [p.detach().clone() for p in nets.G.parameters()]
    d_before = [p.detach().clone() for p in nets.D.parameters()]
    stats = _step(nets)
    assert any(not torch.equal(a, p) for a, p in zip(g_before, nets.G.parameters()))
    assert any(not torch.equal(a, p) for a, p in zip(d_before, nets.D.parameters()))
    assert set(stats) == {"d_loss", "g_loss", "d_real", "d_fake", "g_grad_norm"}
    assert 0 <= stats["d_real"] <= 1 and stats["g_grad_norm"] > 0


def test_set_frozen_round_trip():
    nets = _nets()
    set_frozen(nets.D, True)
    assert not any(p.requires_grad for p in nets.D.parameters())
    set_frozen(nets.D, False)
    assert all(p.requires_grad for p in nets.D.parameters())
