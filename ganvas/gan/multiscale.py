"""MSG-GAN's training step: ClassicGAN with D shown whole pyramids instead of single images.

G's objective image is its pyramid (`forward_scales`, one image per scale); the reals are averaged down
to every scale the same way; augmentation draws once per image and applies alike at every scale; R1
(or R1 + R2) takes the gradient with respect to every scale D sees. Everything else, the phases, the
losses, EMA and skip-D, is ClassicGAN's.
"""
from __future__ import annotations

from typing import Optional

import torch

from ..models.msg import pyramid_of
from .classic import ClassicGAN
from .pyramid_augment import augment_pyramid


class MultiScaleGAN(ClassicGAN):
    def generate(self, z: torch.Tensor, labels: Optional[torch.Tensor]) -> list[torch.Tensor]:
        return self.G_step(z, labels, scales=True)

    def d_input(self, real: torch.Tensor) -> list[torch.Tensor]:
        return pyramid_of(real, self.G.sizes)

    def seen(self, scales: list[torch.Tensor]) -> list[torch.Tensor]:
        return augment_pyramid(self.augment, scales)

    def detached(self, scales: list[torch.Tensor]) -> list[torch.Tensor]:
        return [x.detach() for x in scales]
