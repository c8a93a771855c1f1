"""StyleGAN2's training step: ClassicGAN (non-saturating loss, lazy R1 as the D_reg phase) plus style
mixing in G's objective and lazy path-length regularisation as a G_reg phase.

Style mixing: with probability `style_mixing` a batch switches, at one random layer, from the styles of
its own latents to those of a second draw, so no layer can rely on its neighbours' styles. Path
length: every `pl_every` steps, on half a batch, the Jacobian of the image with respect to w, probed
by random image-space noise, is pulled towards its running mean, weighted by the interval (the lazy
form) with G's Adam corrected by mb_ratio. That running mean is a buffer of its own module, so
checkpoints carry it. Every random draw comes from the global RNG, which checkpoints carry too.

Over several ranks both G phases call G through one DDP wrapper around `MixedStyles` (mapping, mixing
and synthesis in one forward), the path-length mean moves by the mean over the ranks so every rank keeps
the same one, and the penalty carries a zero-weighted use of the images: its graph skips the to-RGB
biases, and DDP's reducer waits for every parameter. That zero term is there in one process too, as in
StyleGAN2's own code, so Adam steps the same parameters with one rank or many.
"""
from __future__ import annotations

import math
from typing import Optional

import torch

from .algorithm import Phase, Stat, mb_ratio
from .classic import ClassicGAN

PL_STAT = Stat("path_length", "PL", "path_length", precision=5)
PL_DECAY, PL_BATCH_SHRINK = 0.01, 2


class PathLengthMean(torch.nn.Module):
    """The running mean of the path lengths (StyleGAN2's pl_mean), as a buffer."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.zeros([]))


def mix_styles(ws: torch.Tensor, other: torch.Tensor, probability: float) -> torch.Tensor:
    """[N, L, w_dim] styles that switch to `other` from one random layer on, for the whole batch, with
    `probability`; drawn on the device, so there is no host sync."""
    layers = ws.shape[1]
    cutoff = torch.randint(1, layers, (), device=ws.device)
    cutoff = torch.where(torch.rand((), device=ws.device) < probability, cutoff, torch.full_like(cutoff, layers))
    later = torch.arange(layers, device=ws.device) >= cutoff
    return torch.where(later[None, :, None], other, ws)


class MixedStyles(torch.nn.Module):
    """G as its training phases call it: latents to (mixed) per-layer styles to images, both returned,
    since the path length differentiates the images with respect to the styles."""

    def __init__(self, G: torch.nn.Module, mixing: float, noise: str = "random"):
        super().__init__()
        self.G, self.mixing, self.noise = G, mixing, noise

    def forward(self, z: torch.Tensor, labels: Optional[torch.Tensor], *, track: bool):
        G = self.G
        ws = G.per_layer(G.mapping(z, labels, track=track))
        if self.mixing > 0:
            other = G.per_layer(G.mapping(torch.randn_like(z), labels))
            ws = mix_styles(ws, other, self.mixing)
        return G.synthesis(ws, self.noise), ws


class StyleGAN2Method(ClassicGAN):
    def __init__(self, G, D, *, style_mixing: float = 0.9, pl_weight: float = 2.0, pl_every: int = 4, **kwargs):
        self.style_mixing, self.pl_weight = style_mixing, pl_weight
        self.pl_phase = Phase("G_reg", max(1, pl_every)) if pl_weight > 0 else None
        super().__init__(G, D, **kwargs)
        self.pl_mean = PathLengthMean().to(next(G.parameters()).device)
        self.modules["path_length"] = self.pl_mean

    def g_ratio(self) -> float:
        return mb_ratio(self.pl_phase.every) if self.pl_phase is not None and self.pl_phase.lazy else 1.0

    @property
    def stats(self) -> tuple[Stat, ...]:
        return super().stats + ((PL_STAT,) if self.pl_phase else ())

    def phases(self) -> list[Phase]:
        return super().phases() + ([self.pl_phase] if self.pl_phase else [])

    def g_forward(self, G: torch.nn.Module) -> torch.nn.Module:
        return MixedStyles(G, self.style_mixing)

    def generate(self, z: torch.Tensor, labels: Optional[torch.Tensor]) -> torch.Tensor:
        images, _ = self.G_step(z, labels, track=True)
        return images

    def g_regularize(self, n: int, step: int) -> dict[str, torch.Tensor]:
        if self.pl_phase is None or not self.pl_phase.due(step):
            return {}
        penalty, images = self._path_length_penalty(max(1, n // PL_BATCH_SHRINK))
        self.opt_g.zero_grad(set_to_none=True)
        self.par.touch_all(penalty * self.pl_weight * self.pl_phase.every, images).backward()
        self.opt_g.step()
        return {"path_length": penalty.detach()}

    def _path_length_penalty(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(the penalty, the images it was taken on)."""
        device = self.pl_mean.mean.device
        z, fake_labels = self.sampler.draw(n, device)
        with self.autocast():
            images, ws = self.G_step(z, fake_labels, track=False)
        probe = torch.randn_like(images) / math.sqrt(images.shape[2] * images.shape[3])
        (grad,) = torch.autograd.grad((images.float() * probe.float()).sum(), ws, create_graph=True)
        lengths = grad.float().square().sum(2).mean(1).sqrt()
        with torch.no_grad():
            self.pl_mean.mean.copy_(self.pl_mean.mean.lerp(self.par.mean(lengths.mean()), PL_DECAY))
        return (lengths - self.pl_mean.mean).square().mean(), images
