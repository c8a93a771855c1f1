"""StyleGAN2's training method: its phases, style mixing, path length and the state checkpoints carry."""
import contextlib

import pytest
import torch

from ganvas.gan.augment import AugmentPipe
from ganvas.gan.stylegan import StyleGAN2Method, mix_styles
from ganvas.models import ModelSpec, build_discriminator, build_generator
from ganvas.models.latent import LatentSampler

from .helpers import copies, reals, unchanged


def _method(**kwargs):
    torch.manual_seed(0)
    shape = ModelSpec("stylegan2", z_dim=8, resolution=16, channels=1,
                      options={"width": 4, "max_channels": 8, "w_dim": 8})
    G, D = build_generator(shape), build_discriminator(shape)
    return StyleGAN2Method(G, D, augment=AugmentPipe("none"), sampler=LatentSampler(8),
                           autocast=contextlib.nullcontext, **{"r1_gamma": 1.0, "betas": (0.0, 0.99), **kwargs})


def test_phases_and_the_lazy_corrections():
    method = _method()
    assert [(p.name, p.every) for p in method.phases()] == [("D_main", 1), ("D_reg", 16), ("G_main", 1), ("G_reg", 4)]
    assert method.ratio == {"G": 0.8, "D": 16 / 17}
    assert method.opt_g.param_groups[0]["betas"][1] == pytest.approx(0.99 ** 0.8)
    assert "path_length" in method.modules and any(s.key == "path_length" for s in method.stats)
    assert [p.name for p in _method(pl_weight=0.0).phases()] == ["D_main", "D_reg", "G_main"]


def test_path_length_runs_on_its_steps_and_moves_its_running_mean():
    method = _method()
    stats = method.step(reals(4), None, 1)
    assert "path_length" not in stats and float(method.pl_mean.mean) == 0.0
    stats = method.step(reals(4), None, 4)
    assert "path_length" in stats and torch.isfinite(stats["path_length"])
    assert float(method.pl_mean.mean) > 0.0


def test_path_length_step_changes_only_g():
    method = _method(r1_gamma=0.0)
    before_d = copies(method.D)
    before_g = copies(method.G)
    method.g_regularize(4, step=0)
    assert unchanged(before_d, method.D) and not unchanged(before_g, method.G)


def test_the_training_step_tracks_w_avg_and_samples_do_not():
    method = _method()
    method.step(reals(4), None, 1)
    tracked = method.G.mapping.w_avg.clone()
    assert tracked.abs().sum() > 0
    with torch.no_grad():
        method.G.eval()(torch.randn(4, 8))
    assert torch.equal(method.G.mapping.w_avg, tracked)
    method.ema.update(method.G, 1)
    assert torch.equal(method.ema.model.mapping.w_avg, tracked)  # the sampler truncates towards the same w_avg


def test_style_mixing_switches_once_for_the_whole_batch():
    a, b = torch.zeros(5, 6, 3), torch.ones(5, 6, 3)
    torch.manual_seed(0)
    mixed = mix_styles(a, b, 1.0)
    switched = mixed[0, :, 0]
    cutoff = int((switched == 0).sum())
    assert 1 <= cutoff < 6 and torch.equal(switched, (torch.arange(6) >= cutoff).float())
    assert torch.equal(mixed, mixed[:1].expand_as(mixed))
    assert torch.equal(mix_styles(a, b, 0.0), a)
