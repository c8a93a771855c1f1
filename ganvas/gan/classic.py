"""The lesson's GAN method: D learns reals (1) against fakes (0), then G learns through a frozen D.

Around that core, each step may augment what D sees (the same differentiable transform on reals and
fakes, in D's step and in G's), skip D's update while its loss is low, add a gradient penalty (R1 on
reals, and R2 on fakes for the relativistic pairing loss) every step or lazily every k steps, and
keep an EMA of G. With none of these switched on it is the plain DCGAN step, number for number.

Families that train differently override a few small methods rather than the step: what G makes for
the objective (`generate`: MSG-GAN's pyramid, StyleGAN2's mixed styles), what D is shown of the reals
(`d_input`) and how it is augmented (`seen`), and a G regulariser after G's step (`g_regularize`).
"""
from __future__ import annotations

from typing import Callable, Optional

import torch

from .algorithm import Phase, Stat, mb_ratio
from .ema import EMA
from .losses import PAIRED, TWO_SIDED_PENALTY, d_loss, g_loss
from .regularize import gradient_penalty
from .stabilize import SkipD

BASE_STATS = (Stat("d_loss", "D", "loss"), Stat("g_loss", "G", "loss"), Stat("d_real", "D(x)", "d_real"),
              Stat("d_fake", "D(G(z))", "d_fake"), Stat("g_grad_norm", "", "g_grad_norm"))
PENALTY_STAT = Stat("penalty", "R1", "penalty", precision=6)
AUGMENT_STAT = Stat("augment_p", "p", "augment_p", precision=4)


def set_frozen(module: torch.nn.Module, frozen: bool) -> None:
    # Switching requires_grad (not just leaving D out of G's optimiser) means no gradient is even
    # computed for D's weights during G's step, so nothing leaks into D's next update.
    for p in module.parameters():
        p.requires_grad_(not frozen)


def grad_norm(module: torch.nn.Module) -> torch.Tensor:
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    if not grads:
        return torch.zeros(())
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))


class ClassicGAN:
    """One D step (plus an optional penalty phase) and one G step per batch."""

    def __init__(self, G: torch.nn.Module, D: torch.nn.Module, *, augment: torch.nn.Module, sampler,
                 autocast: Callable, loss: str = "ns", lr_g: float = 2e-4, lr_d: float = 2e-4,
                 betas: tuple[float, float] = (0.5, 0.999), label_smoothing: float = 0.0,
                 r1_gamma: float = 0.0, r1_every: int = 16, ema_decay: float = 0.999,
                 skip_d_below: Optional[float] = None):
        self.G, self.D, self.augment, self.sampler, self.autocast = G, D, augment, sampler, autocast
        self.loss, self.smoothing, self.gamma = loss, label_smoothing, r1_gamma
        self.penalty_phase = Phase("D_reg", max(1, r1_every)) if r1_gamma > 0 else None
        lazy = self.penalty_phase is not None and self.penalty_phase.lazy
        self.ratio = {"G": self.g_ratio(), "D": mb_ratio(self.penalty_phase.every) if lazy else 1.0}
        self.opt_g = _adam(G, lr_g, betas, self.ratio["G"])
        self.opt_d = _adam(D, lr_d, betas, self.ratio["D"])
        self.ema = EMA(G, ema_decay) if ema_decay > 0 else None
        self.skip = SkipD(skip_d_below)
        self.modules = {"G": G, "D": D, "augment": augment, **({"ema": self.ema.model} if self.ema else {})}
        self.optimizers = {"opt_g": self.opt_g, "opt_d": self.opt_d}

    # -- what the loop reads ------------------------------------------------------------------------
    @property
    def stats(self) -> tuple[Stat, ...]:
        extra = (PENALTY_STAT,) if self.penalty_phase else ()
        return BASE_STATS + extra + ((AUGMENT_STAT,) if self.augment.mode != "none" else ())

    def phases(self) -> list[Phase]:
        lazy_penalty = [self.penalty_phase] if self.penalty_phase and self.penalty_phase.lazy else []
        return [Phase("D_main"), *lazy_penalty, Phase("G_main")]

    def sampling_generator(self) -> torch.nn.Module:
        return self.ema.model if self.ema is not None else self.G

    def live_generator(self) -> torch.nn.Module:
        return self.G

    def learning_rates(self) -> dict[str, float]:
        return {"G": _lr(self.opt_g) / self.ratio["G"], "D": _lr(self.opt_d) / self.ratio["D"]}

    def set_learning_rate(self, name: str, lr: float) -> None:
        optimizer = {"G": self.opt_g, "D": self.opt_d}[name]
        for group in optimizer.param_groups:
            group["lr"] = lr * self.ratio[name]

    def state_dict(self) -> dict:
        return {"skip_d": self.skip.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.skip.load_state_dict(state["skip_d"])

    # -- what a family may change --------------------------------------------------------------------
    def g_ratio(self) -> float:
        """G's lazy-regularisation correction (mb_ratio); 1 without a lazy G regulariser."""
        return 1.0

    def generate(self, z: torch.Tensor, labels: Optional[torch.Tensor]):
        """What G makes for the objective: whatever D takes as its input."""
        return self.G(z, labels)

    def d_input(self, real: torch.Tensor):
        """The reals in the form D takes."""
        return real

    def seen(self, images):
        """What D sees of its input: the augmentation, on reals and fakes alike."""
        return self.augment(images)

    def detached(self, fake):
        return fake.detach()

    def g_regularize(self, n: int, step: int) -> dict[str, torch.Tensor]:
        """A G regulariser run after G's step (StyleGAN2's path length); none here."""
        return {}

    # -- one step -----------------------------------------------------------------------------------
    def step(self, real: torch.Tensor, labels: Optional[torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        n = len(real)
        z, fake_labels = self.sampler.draw(n, real.device)
        skip = self.skip.should_skip()
        with self.autocast():
            fake = self.generate(z, fake_labels)
        real = self.d_input(real)
        stats = self._d_main(real, labels, fake, fake_labels, skip, n)
        if not skip and self.penalty_phase is not None and self.penalty_phase.lazy and self.penalty_phase.due(step):
            stats["penalty"] = self._d_penalty_step(real, labels, fake, fake_labels)
        stats.update(self._g_main(real, labels, fake, fake_labels))
        stats.update(self.g_regularize(n, step))
        if self.ema is not None:
            self.ema.update(self.G, step)
        self.skip.remember(stats["d_loss"])
        if self.augment.mode != "none":
            stats["augment_p"] = self.augment.p.detach().clone()
        return stats

    def _d_main(self, real, labels, fake, fake_labels, skip: bool, n: int) -> dict[str, torch.Tensor]:
        with torch.set_grad_enabled(not skip), self.autocast():
            real_logits = self.D(self.seen(real), labels)
            fake_logits = self.D(self.seen(self.detached(fake)), fake_labels)
        loss = d_loss(real_logits, fake_logits, self.loss, self.smoothing)
        self.augment.observe(real_logits.detach())
        self.augment.adjust(n)
        stats = {}
        if not skip:
            total = loss
            if self.penalty_phase is not None and not self.penalty_phase.lazy:
                penalty = self._penalty(real, labels, fake, fake_labels)
                total = loss + 0.5 * self.gamma * penalty
                stats["penalty"] = penalty.detach()
            self.opt_d.zero_grad(set_to_none=True)
            total.backward()
            self.opt_d.step()
        stats.update(d_loss=loss.detach(), d_real=torch.sigmoid(real_logits.detach().float()).mean(),
                     d_fake=torch.sigmoid(fake_logits.detach().float()).mean())
        return stats

    def _penalty(self, real, labels, fake, fake_labels) -> torch.Tensor:
        penalty, _ = gradient_penalty(self.D, real, labels, self.seen, self.autocast)
        if self.loss in TWO_SIDED_PENALTY:
            fake_penalty, _ = gradient_penalty(self.D, fake, fake_labels, self.seen, self.autocast)
            penalty = penalty + fake_penalty
        return penalty

    def _d_penalty_step(self, real, labels, fake, fake_labels) -> torch.Tensor:
        # Lazy: every k steps, with k times the weight, as its own optimiser step (StyleGAN2's Dreg).
        penalty = self._penalty(real, labels, fake, fake_labels)
        self.opt_d.zero_grad(set_to_none=True)
        (0.5 * self.gamma * self.penalty_phase.every * penalty).backward()
        self.opt_d.step()
        return penalty.detach()

    def _g_main(self, real, labels, fake, fake_labels) -> dict[str, torch.Tensor]:
        set_frozen(self.D, True)
        try:
            with self.autocast():
                gen_logits = self.D(self.seen(fake), fake_labels)
            paired = self._real_reference(real, labels) if self.loss in PAIRED else None
            loss = g_loss(gen_logits, self.loss, paired)
            self.opt_g.zero_grad(set_to_none=True)
            loss.backward()
            norm = grad_norm(self.G)
            self.opt_g.step()
        finally:
            set_frozen(self.D, False)
        return {"g_loss": loss.detach(), "g_grad_norm": norm.detach()}

    def _real_reference(self, real, labels) -> torch.Tensor:
        # The pairing compares each fake with a real as D sees it now; no gradient flows into D here.
        with torch.no_grad(), self.autocast():
            return self.D(self.seen(real), labels)


def _adam(module: torch.nn.Module, lr: float, betas: tuple[float, float], ratio: float) -> torch.optim.Adam:
    return torch.optim.Adam(module.parameters(), lr=lr * ratio, betas=(betas[0] ** ratio, betas[1] ** ratio))


def _lr(optimizer: torch.optim.Optimizer) -> float:
    return float(optimizer.param_groups[0]["lr"])
