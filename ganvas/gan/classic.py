"""The lesson's GAN method: D learns reals (1) against fakes (0), then G learns through a frozen D.

Around that core, each step may augment what D sees (the same differentiable transform on reals and
fakes, in D's step and in G's), skip D's update while its loss is low, add a gradient penalty (R1 on
reals, and R2 on fakes for the relativistic pairing loss) every step or lazily every k steps, and
keep an EMA of G. With none of these switched on it is the plain DCGAN step, number for number.

Over several ranks (`parallel`) D's and G's own losses go through DDP, and G's step through the plain D;
skip-D and ADA decide on values summed over the ranks. `passes` > 1 splits the batch into passes whose
gradients add up before each optimiser step (gradient accumulation): each pass of a D or G phase runs
its forward and backward together, as DDP requires, so G's phase draws its fakes again from the same
latents. With one pass, one rank and fp32 nothing of this adds an operation.

Families that train differently override a few small methods rather than the step: what G makes for
the objective (`generate`: MSG-GAN's pyramid, StyleGAN2's mixed styles), what D is shown of the reals
(`d_input`) and how it is augmented (`seen`), and a G regulariser after G's step (`g_regularize`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import torch

from .algorithm import Phase, Stat, mb_ratio
from .ema import EMA
from .losses import PAIRED, TWO_SIDED_PENALTY, d_loss, g_loss
from .parallel import Parallel, compiled
from .regularize import gradient_penalty
from .lossscale import LossScale
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


@dataclass
class Pass:
    """One slice of a step's batch: reals, latents and the fakes drawn from them."""

    real: torch.Tensor
    labels: Optional[torch.Tensor]
    z: torch.Tensor
    fake_labels: Optional[torch.Tensor]
    fake: Optional[torch.Tensor] = None


class ClassicGAN:
    """One D step (plus an optional penalty phase) and one G step per batch."""

    def __init__(self, G: torch.nn.Module, D: torch.nn.Module, *, augment: torch.nn.Module, sampler,
                 autocast: Callable, loss: str = "ns", lr_g: float = 2e-4, lr_d: float = 2e-4,
                 betas: tuple[float, float] = (0.5, 0.999), label_smoothing: float = 0.0,
                 r1_gamma: float = 0.0, r1_every: int = 16, ema_decay: float = 0.999,
                 skip_d_below: Optional[float] = None, parallel: Optional[Parallel] = None, passes: int = 1,
                 fp16: bool = False, compile: bool = False):
        self.par = parallel or Parallel()
        G, D = self.par.prepare(G), self.par.prepare(D)
        self.G, self.D, self.augment, self.sampler, self.autocast = G, D, augment, sampler, autocast
        self.loss, self.smoothing, self.gamma = loss, label_smoothing, r1_gamma
        self.passes = max(1, passes)
        self.penalty_phase = Phase("D_reg", max(1, r1_every)) if r1_gamma > 0 else None
        lazy = self.penalty_phase is not None and self.penalty_phase.lazy
        self.ratio = {"G": self.g_ratio(), "D": mb_ratio(self.penalty_phase.every) if lazy else 1.0}
        device = next(G.parameters()).device
        self.opt_g = _adam(G, lr_g, betas, self.ratio["G"])
        self.opt_d = _adam(D, lr_d, betas, self.ratio["D"])
        self.scale = {"G": LossScale(device, fp16), "D": LossScale(device, fp16)}
        self.ema = EMA(G, ema_decay) if ema_decay > 0 else None
        self.skip = SkipD(skip_d_below, reduce=self.par.mean if self.par.distributed else None)
        # What the phases call: DDP (and torch.compile) where a module's own loss is backpropagated, the
        # plain D where G learns through it frozen.
        self.G_step = compiled(self.par.wrap(self.g_forward(G)), compile)
        self.D_step = compiled(self.par.wrap(D), compile)
        self.D_frozen = compiled(D, compile)
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
        state = {"skip_d": self.skip.state_dict()}
        if self.scale["D"].enabled:
            state["loss_scale"] = {name: scale.state_dict() for name, scale in self.scale.items()}
        return state

    def load_state_dict(self, state: dict) -> None:
        self.skip.load_state_dict(state["skip_d"])
        for name, saved in state.get("loss_scale", {}).items():
            self.scale[name].load_state_dict(saved)

    # -- what a family may change --------------------------------------------------------------------
    def g_ratio(self) -> float:
        """G's lazy-regularisation correction (mb_ratio); 1 without a lazy G regulariser."""
        return 1.0

    def g_forward(self, G: torch.nn.Module) -> torch.nn.Module:
        """The module G's own phases call: G itself, or a family's forward around it that one DDP wrapper
        can see whole (StyleGAN2's mapping, mixing and synthesis)."""
        return G

    def generate(self, z: torch.Tensor, labels: Optional[torch.Tensor]):
        """What G makes for the objective: whatever D takes as its input."""
        return self.G_step(z, labels)

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
        passes = self._passes(self.d_input(real), labels, z, fake_labels)
        stats = self._d_main(passes, skip, n)
        if not skip and self.penalty_phase is not None and self.penalty_phase.lazy and self.penalty_phase.due(step):
            stats["penalty"] = self._d_penalty_step(passes)
        stats.update(self._g_main(passes))
        stats.update(self.g_regularize(n, step))
        if self.ema is not None:
            self.ema.update(self.G, step)
        self.skip.remember(stats["d_loss"])
        if self.augment.mode != "none":
            stats["augment_p"] = self.augment.p.detach().clone()
        return stats

    def _passes(self, real, labels, z, fake_labels) -> list[Pass]:
        if self.passes == 1:
            with self.autocast():
                fake = self.generate(z, fake_labels)  # its graph is kept for G's phase
            return [Pass(real, labels, z, fake_labels, fake)]
        parts = [_chunks(t, self.passes) for t in (real, labels, z, fake_labels)]
        passes = [Pass(*slices) for slices in zip(*parts)]
        for p in passes:
            with torch.no_grad(), self.autocast():
                p.fake = self.generate(p.z, p.fake_labels)
        return passes

    def _share(self, loss: torch.Tensor) -> torch.Tensor:
        # Each pass holds 1/passes of the batch: scaled so, the summed gradients are the batch mean's.
        return loss / self.passes if self.passes > 1 else loss

    def _d_main(self, passes: list[Pass], skip: bool, batch: int) -> dict[str, torch.Tensor]:
        if not skip:
            self.opt_d.zero_grad(set_to_none=True)
        parts = []
        for i, p in enumerate(passes):
            last = i == len(passes) - 1
            with self.par.pass_of(self.D_step, last):
                with torch.set_grad_enabled(not skip), self.autocast():
                    real_logits = self.D_step(self.seen(p.real), p.labels)
                    fake_logits = self.D_step(self.seen(self.detached(p.fake)), p.fake_labels)
                loss = d_loss(real_logits, fake_logits, self.loss, self.smoothing)
                self.augment.observe(real_logits.detach())
                if last:
                    self.augment.adjust(batch * self.par.world, reduce=self.par.sum if self.par.distributed else None)
                part = {}
                if not skip:
                    total = loss
                    if self.penalty_phase is not None and not self.penalty_phase.lazy:
                        penalty, _ = self._penalty(p)
                        total = loss + 0.5 * self.gamma * penalty
                        part["penalty"] = penalty.detach()
                    self.scale["D"].backward(self._share(total))
            part.update(d_loss=loss.detach(), d_real=torch.sigmoid(real_logits.detach().float()).mean(),
                        d_fake=torch.sigmoid(fake_logits.detach().float()).mean())
            parts.append(part)
        if not skip:
            self.scale["D"].step(self.opt_d)
        return _mean_of(parts)

    def _penalty(self, p: Pass) -> tuple[torch.Tensor, torch.Tensor]:
        penalty, logits = gradient_penalty(self.D_step, p.real, p.labels, self.seen, self.autocast)
        if self.loss in TWO_SIDED_PENALTY:
            fake_penalty, _ = gradient_penalty(self.D_step, p.fake, p.fake_labels, self.seen, self.autocast)
            penalty = penalty + fake_penalty
        return penalty, logits

    def _d_penalty_step(self, passes: list[Pass]) -> torch.Tensor:
        # Lazy: every k steps, with k times the weight, as its own optimiser step (StyleGAN2's Dreg).
        self.opt_d.zero_grad(set_to_none=True)
        penalties = []
        for i, p in enumerate(passes):
            with self.par.pass_of(self.D_step, i == len(passes) - 1):
                penalty, logits = self._penalty(p)
                weighted = 0.5 * self.gamma * self.penalty_phase.every * penalty
                self.scale["D"].backward(self._share(self.par.touch_all(weighted, logits)))
            penalties.append(penalty.detach())
        self.scale["D"].step(self.opt_d)
        return penalties[0] if len(penalties) == 1 else torch.stack(penalties).mean()

    def _g_main(self, passes: list[Pass]) -> dict[str, torch.Tensor]:
        set_frozen(self.D, True)
        try:
            self.opt_g.zero_grad(set_to_none=True)
            losses = []
            for i, p in enumerate(passes):
                with self.par.pass_of(self.G_step, i == len(passes) - 1):
                    if self.passes == 1:
                        fake = p.fake
                    else:
                        with self.autocast():
                            fake = self.generate(p.z, p.fake_labels)
                    with self.autocast():
                        gen_logits = self.D_frozen(self.seen(fake), p.fake_labels)
                    paired = self._real_reference(p) if self.loss in PAIRED else None
                    loss = g_loss(gen_logits, self.loss, paired)
                    self.scale["G"].backward(self._share(loss))
                losses.append(loss.detach())
            self.scale["G"].unscale(self.opt_g)
            norm = grad_norm(self.G)
            self.scale["G"].step(self.opt_g)
        finally:
            set_frozen(self.D, False)
        loss = losses[0] if len(losses) == 1 else torch.stack(losses).mean()
        return {"g_loss": loss, "g_grad_norm": norm.detach()}

    def _real_reference(self, p: Pass) -> torch.Tensor:
        # The pairing compares each fake with a real as D sees it now; no gradient flows into D here.
        with torch.no_grad(), self.autocast():
            return self.D_frozen(self.seen(p.real), p.labels)


def _chunks(tensor, n: int) -> list:
    """n slices of a batch; a pyramid (a list of scales) is sliced scale by scale."""
    if tensor is None:
        return [None] * n
    if isinstance(tensor, (list, tuple)):
        return [list(scales) for scales in zip(*(t.chunk(n) for t in tensor))]
    return list(tensor.chunk(n))


def _mean_of(parts: list[dict]) -> dict[str, torch.Tensor]:
    if len(parts) == 1:
        return parts[0]
    return {key: torch.stack([part[key] for part in parts]).mean() for key in parts[0]}


def _adam(module: torch.nn.Module, lr: float, betas: tuple[float, float], ratio: float) -> torch.optim.Adam:
    # On GPUs the fused kernel is one launch for every parameter, and it takes fp16's loss scale
    # without reading it back to the host.
    fused = {"fused": True} if next(module.parameters()).is_cuda else {}
    return torch.optim.Adam(module.parameters(), lr=lr * ratio, betas=(betas[0] ** ratio, betas[1] ** ratio), **fused)


def _lr(optimizer: torch.optim.Optimizer) -> float:
    return float(optimizer.param_groups[0]["lr"])
