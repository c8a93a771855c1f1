"""The lesson's step as an algorithm: D on reals and fakes, G through a frozen D, and its options."""
import torch

from ganvas.gan.classic import set_frozen
from tests.gan.helpers import classic, copies, reals, unchanged


def test_d_is_frozen_during_g_step_and_thawed_after():
    algo = classic()
    seen = []
    algo.D.register_forward_hook(lambda m, i, o: seen.append([p.requires_grad for p in m.parameters()]))
    algo.step(reals(), None, 0)
    assert len(seen) == 3  # reals, fakes for D's step; fakes for G's step
    assert all(all(flags) for flags in seen[:2])
    assert not any(seen[2])
    assert all(p.requires_grad for p in algo.D.parameters())


def test_a_skipped_d_step_leaves_d_untouched_even_though_its_optimiser_has_momentum():
    algo = classic(skip_d_below=10.0)
    algo.step(reals(), None, 0)  # no memory yet: D trains and Adam gains momentum
    before = copies(algo.D)
    g_before = copies(algo.G)
    algo.step(reals(seed=2), None, 1)
    assert algo.skip.skipped == 1
    assert unchanged(before, algo.D)
    assert not unchanged(g_before, algo.G)


def test_both_networks_learn_and_the_declared_stats_are_reported():
    algo = classic()
    g_before, d_before = copies(algo.G), copies(algo.D)
    stats = algo.step(reals(), None, 0)
    assert not unchanged(g_before, algo.G) and not unchanged(d_before, algo.D)
    assert set(stats) == {s.key for s in algo.stats}
    assert 0 <= stats["d_real"] <= 1 and stats["g_grad_norm"] > 0


def test_lazy_penalty_is_its_own_phase_with_stylegan2s_lr_and_beta_correction():
    algo = classic(r1_gamma=1.0, r1_every=4, lr_d=1e-3, betas=(0.0, 0.99))
    assert [p.name for p in algo.phases()] == ["D_main", "D_reg", "G_main"]
    group = algo.opt_d.param_groups[0]
    assert abs(group["lr"] - 1e-3 * 4 / 5) < 1e-12 and abs(group["betas"][1] - 0.99 ** 0.8) < 1e-12
    assert abs(algo.learning_rates()["D"] - 1e-3) < 1e-12
    with_penalty = algo.step(reals(), None, 0)
    without = algo.step(reals(), None, 1)
    assert "penalty" in with_penalty and with_penalty["penalty"] > 0 and "penalty" not in without


def test_an_every_step_penalty_joins_ds_main_loss():
    algo = classic(r1_gamma=1.0, r1_every=1)
    assert [p.name for p in algo.phases()] == ["D_main", "G_main"]
    assert algo.step(reals(), None, 0)["penalty"] > 0


def test_rpgan_pairs_fakes_with_reals_and_penalises_both():
    algo = classic(loss="rpgan", r1_gamma=1.0, r1_every=1)
    r1_only = classic(loss="ns", r1_gamma=1.0, r1_every=1)
    both = algo.step(reals(), None, 0)["penalty"]
    real_only = r1_only.step(reals(), None, 0)["penalty"]
    assert both > real_only > 0


def test_augmentation_reaches_d_in_both_steps_and_its_p_is_reported():
    algo = classic(augment="ada")
    algo.augment.load_state_dict({**algo.augment.state_dict(), "p": torch.tensor(0.5)})
    seen = []
    algo.D.register_forward_pre_hook(lambda m, args: seen.append(args[0].detach().clone()))
    batch = reals()
    torch.manual_seed(3)
    stats = algo.step(batch, None, 0)
    assert not torch.equal(seen[0], batch)  # D's step saw augmented reals
    assert stats["augment_p"] == algo.augment.p
    assert "augment_p" in {s.key for s in algo.stats}


def test_learning_rates_are_set_by_name():
    algo = classic()
    algo.set_learning_rate("D", 5e-5)
    assert algo.learning_rates() == {"G": 2e-4, "D": 5e-5}


def test_set_frozen_round_trip():
    algo = classic()
    set_frozen(algo.D, True)
    assert not any(p.requires_grad for p in algo.D.parameters())
    set_frozen(algo.D, False)
    assert all(p.requires_grad for p in algo.D.parameters())
