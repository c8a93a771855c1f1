"""The training core reproduces the plain DCGAN loop of ganvas 0.1 number for number.

The reference below is that loop written out the way 0.1 ran it: seed, build G then D, an EMA copy,
two Adams, then per batch one D step on reals and detached fakes and one G step through a frozen D.
"""
import copy

import torch

from ganvas.data import prepare
from ganvas.gan.batches import Batches
from ganvas.gan.ema import EMA
from ganvas.gan.losses import d_loss, g_loss
from ganvas.gan.train import train
from ganvas.models import ModelSpec, build_discriminator, build_generator
from ganvas import checkpoint as ckpt

STEPS, BATCH, SEED = 200, 16, 3


def _reference_weights() -> dict:
    data = prepare("shapes", resolution=16)
    saved_threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(SEED)
        spec = ModelSpec("dcgan", z_dim=100, resolution=16, channels=int(data.images.shape[1]),
                         options={"width": 8, "spectral_norm": False})
        G, D = build_generator(spec), build_discriminator(spec)
        G, D = G.to(memory_format=torch.channels_last), D.to(memory_format=torch.channels_last)
        ema = EMA(G, 0.999)
        opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
        batches = Batches(data.images, None, BATCH, SEED, False, torch.device("cpu"), True).from_step(0)
        for step in range(STEPS):
            real, _ = next(batches)
            fake = G(torch.randn(BATCH, 100))
            loss = d_loss(D(real), D(fake.detach()))
            opt_d.zero_grad(set_to_none=True)
            loss.backward()
            opt_d.step()
            D.requires_grad_(False)
            loss = g_loss(D(fake))
            opt_g.zero_grad(set_to_none=True)
            loss.backward()
            opt_g.step()
            D.requires_grad_(True)
            ema.update(G, step)
    finally:
        torch.set_num_threads(saved_threads)
    return {**_prefixed("G", G), **_prefixed("D", D), **_prefixed("ema", ema.model)}


def _prefixed(prefix, module):
    return {f"{prefix}.{k}": copy.deepcopy(v) for k, v in module.state_dict().items()}


def test_the_classic_algorithm_is_bit_identical_to_the_plain_dcgan_loop(tmp_path):
    train(out=str(tmp_path / "run"), data="shapes", resolution=16, width=8, batch_size=BATCH, steps=STEPS,
          seed=SEED, deterministic=True, precision="fp32", threads=1, tensorboard=False, augment="none",
          r1_gamma=0.0, log_every=50, checkpoint_every=100)
    tensors, info = ckpt.load_latest(tmp_path / "run")
    assert info["step"] == STEPS
    expected = _reference_weights()
    assert set(expected) <= set(tensors)
    different = [k for k, v in expected.items() if not torch.equal(v, tensors[k])]
    assert not different, different[:5]
