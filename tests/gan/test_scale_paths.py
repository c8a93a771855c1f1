"""What a bigger machine turns on, exercised on the CPU: gradient accumulation, fp16 with a loss scale,
torch.compile."""
import contextlib

import torch

from ganvas import checkpoint as ckpt
from ganvas.gan.augment import AugmentPipe
from ganvas.gan.classic import ClassicGAN
from ganvas.gan.train import train
from ganvas.models import ModelSpec, build_discriminator, build_generator

from .helpers import TINY_RUN


class _Given:
    def __init__(self, z):
        self.z = z

    def draw(self, n, device=None):
        return self.z, None


def _mlp(passes, z):
    torch.manual_seed(0)
    spec = ModelSpec("mlp", z_dim=8, resolution=16, channels=1, options={"width": 8})
    return ClassicGAN(build_generator(spec), build_discriminator(spec), augment=AugmentPipe("none"),
                      sampler=_Given(z), autocast=contextlib.nullcontext, ema_decay=0.0, passes=passes)


def test_accumulated_passes_give_the_gradients_of_the_whole_batch():
    gen = torch.Generator().manual_seed(1)
    real, z = torch.rand(8, 1, 16, 16, generator=gen) * 2 - 1, torch.randn(8, 8, generator=gen)
    whole, split = _mlp(1, z), _mlp(4, z)
    stats_whole, stats_split = whole.step(real, None, 0), split.step(real, None, 0)
    for a, b in zip([*whole.G.parameters(), *whole.D.parameters()], [*split.G.parameters(), *split.D.parameters()]):
        assert torch.allclose(a.grad, b.grad, rtol=1e-4, atol=1e-6)
    assert torch.allclose(stats_whole["d_loss"], stats_split["d_loss"], rtol=1e-5)


def test_fp16_trains_with_a_loss_scale_that_checkpoints_carry(tmp_path):
    summary = train(out=str(tmp_path / "run"), **{**TINY_RUN, "precision": "fp16", "checkpoint_every": 6}, steps=6)
    assert summary["step"] == 6
    tensors, info = ckpt.load_latest(tmp_path / "run")
    assert set(info["state"]["algorithm"]["loss_scale"]) == {"G", "D"}
    assert all(torch.isfinite(t).all() for k, t in tensors.items() if k.startswith("G."))


def test_compile_wraps_what_the_phases_call(tmp_path, monkeypatch):
    compiled = []
    monkeypatch.setattr(torch, "compile", lambda module, **kw: compiled.append(type(module).__name__) or module)
    train(out=str(tmp_path / "run"), **TINY_RUN, steps=2, compile=True)
    assert sorted(compiled) == ["Discriminator", "Discriminator", "Generator"]
