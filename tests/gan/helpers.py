"""Small builders shared by the training-core tests: tiny networks, a tiny ClassicGAN, tiny runs."""
from __future__ import annotations

import contextlib

import torch

from ganvas.gan.augment import AugmentPipe
from ganvas.gan.classic import ClassicGAN
from ganvas.models import ModelSpec, build_discriminator, build_generator
from ganvas.models.latent import LatentSampler

TINY_RUN = dict(data="shapes", resolution=16, width=8, batch_size=16, log_every=10, sample_every=1000,
                checkpoint_every=20, eval_every=1000, tensorboard=False, threads=1, deterministic=True,
                precision="fp32")


def spec(arch="dcgan", channels=1, resolution=16, num_classes=0, **options) -> ModelSpec:
    return ModelSpec(arch=arch, z_dim=8, resolution=resolution, channels=channels, num_classes=num_classes,
                     options={"width": 8, **options})


def classic(seed=0, augment="none", **kwargs) -> ClassicGAN:
    torch.manual_seed(seed)
    s = spec()
    G, D = build_generator(s), build_discriminator(s)
    return ClassicGAN(G, D, augment=AugmentPipe(augment), sampler=LatentSampler(s.z_dim),
                      autocast=contextlib.nullcontext, **kwargs)


def reals(n=4, channels=1, size=16, seed=1) -> torch.Tensor:
    return torch.rand(n, channels, size, size, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def copies(module: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in module.parameters()]


def unchanged(before: list[torch.Tensor], module: torch.nn.Module) -> bool:
    return all(torch.equal(a, p) for a, p in zip(before, module.parameters()))
