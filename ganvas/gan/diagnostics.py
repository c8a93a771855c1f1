"""Live diagnostics of the lesson's GAN troubles, read from the metric records the loop already writes.

Every alarm needs its condition to hold for a while (several consecutive records spanning enough steps),
rests for a cooldown after firing, and uses a looser exit threshold than its entry threshold, so the
normal oscillation of a healthy run never trips it. During the warm-up, when a sound run's D wins
outright and G's images look alike, only blatant cases count. A non-finite loss is never normal and
is reported at once.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Optional

from .remedies import ALARMS, action, advice  # noqa: F401  (ALARMS re-exported)

if TYPE_CHECKING:
    import torch


@dataclass
class Event:
    """One detection: what happened at which step, the lesson's advice, and what the loop may apply."""

    step: int
    event: str
    message: str
    remedy: str = ""
    action: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Thresholds:
    # A sound DCGAN run starts with D winning outright (loss ~0.02) and G's images all alike; on the
    # shapes set that lasts 400-600 steps before G catches up, so nothing but divergence is judged before:
    warmup_steps: int = 1000
    warmup_fraction: float = 0.05      # ... and long runs get a proportionally longer start-up
    max_warmup_steps: int = 2500
    # Before the warm-up ends only blatant cases count, so a badly set run is told early:
    early_steps: int = 300
    d_loss_perfect: float = 0.002      # ns/minimax: D right on practically every image (a sound start bottoms out ~0.01)
    diversity_identical: float = 0.002  # fake/real diversity: one image for every z (untrained G's measured 0.008-0.1)
    hold_steps: int = 150              # a condition must last this many steps ...
    hold_records: int = 4              # ... over at least this many records, so one bad batch is ignored
    cooldown_steps: int = 500          # after an alarm, give its remedy time to act before repeating it
    d_loss_low: float = 0.1            # D's loss "near zero" (two BCE terms: 1.39 at equilibrium)
    d_loss_low_ls: float = 0.02        # least squares sits near 0.25 at equilibrium, so "near zero" is lower
    d_loss_exit: float = 2.0           # exit threshold = d_loss_low * this
    separation: float = 0.4            # D(x) - D(G(z)) above this: D tells reals from fakes (hinge margins give ~0.46)
    grad_vanished: float = 0.1         # G's gradient norm below this fraction of its early level is "vanishing"
    diversity_ratio: float = 0.25      # fake diversity below this fraction of real diversity: collapse
    diversity_exit: float = 0.4
    runaway_loss: float = 50.0         # |loss| this large is far outside every loss's normal range
    runaway_records: int = 2
    no_progress_evals: int = 5         # evaluations in a row without a real improvement ...
    no_progress_steps: int = 500       # ... spanning at least this many steps
    min_improvement: float = 0.02      # relative drop that counts as progress (metric noise is ~1%)


class _Persistent:
    """A condition that counts only after it has held for a while, then rests before it may count again."""

    def __init__(self, hold_steps: int, hold_records: int, cooldown_steps: int):
        self.hold_steps, self.hold_records, self.cooldown_steps = hold_steps, hold_records, cooldown_steps
        self.since: Optional[int] = None
        self.records = 0
        self.fired_at: Optional[int] = None
        self.fired_times = 0
        self.alarmed = False

    def update(self, step: int, entering: bool, staying: bool) -> Optional[str]:
        """Return "fire", "clear" (an alarmed condition has ended) or None."""
        holding = staying if self.since is not None else entering
        if not holding:
            cleared = self.alarmed
            self.since, self.records, self.alarmed = None, 0, False
            return "clear" if cleared else None
        if self.since is None:
            self.since, self.records = step, 0
        self.records += 1
        return "fire" if self._due(step) else None

    def _due(self, step: int) -> bool:
        held = step - self.since >= self.hold_steps and self.records >= self.hold_records
        return held and self.rested(step) and self.fire(step)

    def fire(self, step: int) -> bool:
        # Re-arm: a repeat needs the condition to hold for a full window again, as well as the cooldown.
        self.fired_at, self.since, self.records, self.alarmed = step, step, 0, True
        self.fired_times += 1
        return True

    def rested(self, step: int) -> bool:
        return self.fired_at is None or step - self.fired_at >= self.cooldown_steps


def _finite(value) -> Optional[float]:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def warmup_steps(config: dict, thresholds: Thresholds = Thresholds()) -> int:
    """Steps before which only divergence and blatant cases are judged, for a run with this config."""
    planned = (config or {}).get("steps") or 0
    return min(max(thresholds.warmup_steps, int(thresholds.warmup_fraction * planned)), thresholds.max_warmup_steps)


class Diagnostics:
    """Watch a run's records; `observe` and `observe_eval` return the events each one triggers."""

    def __init__(self, config: dict, thresholds: Thresholds = Thresholds()):
        self.config = dict(config or {})
        self.t = thresholds
        self.warmup = warmup_steps(self.config, thresholds)
        self.d_low = thresholds.d_loss_low_ls if self.config.get("loss") == "ls" else thresholds.d_loss_low
        # Hinge and least-squares losses reach exactly 0 in sound runs, so only BCE losses have a "perfect D" tier.
        self.d_perfect = thresholds.d_loss_perfect if self.config.get("loss", "ns") in ("ns", "minimax") else None
        t = thresholds
        self.overpowering = _Persistent(t.hold_steps, t.hold_records, t.cooldown_steps)
        self.collapse = _Persistent(t.hold_steps, t.hold_records, t.cooldown_steps)
        self.runaway = _Persistent(0, t.runaway_records, t.cooldown_steps)
        self.nonfinite = _Persistent(0, 1, t.cooldown_steps)
        self.early_grads: list[float] = []
        self.peak_diversity: Optional[float] = None
        self.evals: dict[str, dict] = {}

    # ----- per log interval -----------------------------------------------------------------------
    def observe(self, record: dict) -> list[Event]:
        step = int(record.get("step", 0))
        events = self._divergence(step, record)
        grad = _finite(record.get("g_grad_norm"))
        if grad is not None and len(self.early_grads) < 5:
            self.early_grads.append(grad)
        if step < min(self.t.early_steps, self.warmup):
            return events
        blatant_only = step < self.warmup
        events += self._overpowering(step, record, grad, blatant_only)
        events += self._collapse(step, record, blatant_only)
        return events

    def _divergence(self, step: int, record: dict) -> list[Event]:
        keys = ("d_loss", "g_loss", "g_grad_norm")
        bad = [k for k in keys if record.get(k) is not None and not math.isfinite(float(record[k]))]
        if bad:
            if not self.nonfinite.rested(step):
                return []
            self.nonfinite.fire(step)
            return [self._alarm(step, "divergence", f"{', '.join(bad)} became NaN/inf: the run diverged",
                                self.nonfinite)]
        losses = [abs(float(record[k])) for k in ("d_loss", "g_loss") if record.get(k) is not None]
        runaway = bool(losses) and max(losses) > self.t.runaway_loss
        if self.runaway.update(step, runaway, runaway) == "fire":
            return [self._alarm(step, "divergence", f"losses ran away (|loss| {max(losses):.3g} > "
                                f"{self.t.runaway_loss:g} for {self.t.runaway_records} records)", self.runaway)]
        return []

    def _overpowering(self, step: int, record: dict, grad: Optional[float], blatant_only: bool) -> list[Event]:
        d_loss = _finite(record.get("d_loss"))
        low = self.d_perfect if blatant_only else self.d_low
        if d_loss is None or low is None:
            return []
        d_real, d_fake = _finite(record.get("d_real")), _finite(record.get("d_fake"))
        gap = None if d_real is None or d_fake is None else d_real - d_fake
        entering = d_loss < low and (gap is None or gap > self.t.separation)
        staying = d_loss < low * self.t.d_loss_exit and (gap is None or gap > self.t.separation * 0.75)
        state = self.overpowering.update(step, entering, staying)
        if state == "clear":
            return [self._recovered(step, "d_overpowering", f"D's loss is back to {d_loss:.3g}")]
        if state != "fire":
            return []
        parts = [f"D is overpowering G: D's loss {d_loss:.3g} for {self.t.hold_steps}+ steps"]
        if gap is not None:
            parts.append(f"D(x) {d_real:.2f} vs D(G(z)) {d_fake:.2f}")
        baseline = sorted(self.early_grads)[len(self.early_grads) // 2] if self.early_grads else None
        if grad is not None and baseline and grad < self.t.grad_vanished * baseline:
            parts.append(f"G's gradients are vanishing (norm {grad:.3g}, {100 * grad / baseline:.0f}% of "
                         "its early level)")
        lr_g, lr_d = _finite(record.get("lr_g")), _finite(record.get("lr_d"))
        if lr_g and lr_d and lr_d / lr_g >= 3:
            parts.append(f"D's learning rate is {lr_d / lr_g:.3g}x G's")
        return [self._alarm(step, "d_overpowering", "; ".join(parts), self.overpowering)]

    def _collapse(self, step: int, record: dict, blatant_only: bool) -> list[Event]:
        fake = _finite(record.get("diversity"))
        if fake is None:
            return []
        real = _finite(record.get("real_diversity"))
        # Without real batches to compare with, G's own best diversity so far is the yardstick.
        reference = real if real else self.peak_diversity
        self.peak_diversity = max(fake, self.peak_diversity or 0.0)
        if not reference:
            return []
        ratio = fake / reference
        yardstick = "real images'" if real else "its own earlier level"
        enter, exit_ = ((self.t.diversity_identical, 2 * self.t.diversity_identical) if blatant_only
                        else (self.t.diversity_ratio, self.t.diversity_exit))
        state = self.collapse.update(step, ratio < enter, ratio < exit_)
        if state == "clear":
            return [self._recovered(step, "mode_collapse", f"sample diversity is back to {ratio:.0%} of {yardstick}")]
        if state != "fire":
            return []
        message = (f"mode collapse: the fixed-latent samples' diversity {fake:.3g} is {ratio:.0%} of "
                   f"{yardstick} ({reference:.3g}) for {self.t.hold_steps}+ steps; G makes few distinct images")
        return [self._alarm(step, "mode_collapse", message, self.collapse)]

    # ----- per evaluation of the cheap metric (lower is better) ------------------------------------
    def observe_eval(self, step: int, name: str, value: float) -> list[Event]:
        value = _finite(value)
        if value is None:
            return []
        track = self.evals.get(name)
        if track is None:
            self.evals[name] = {"best": value, "best_step": step, "since": 0, "alarm": _Persistent(0, 1, 0)}
            return []
        if value < track["best"] - self.t.min_improvement * abs(track["best"]):
            improved_from = track["best"]
            track.update(best=min(value, track["best"]), best_step=step, since=0)
            if track["alarm"].alarmed:
                track["alarm"].alarmed = False
                return [self._recovered(step, "no_progress", f"{name} improved to {value:.4g} "
                                        f"(from {improved_from:.4g})")]
            return []
        track["since"] += 1
        stalled_steps = step - track["best_step"]
        if track["since"] < self.t.no_progress_evals or stalled_steps < self.t.no_progress_steps:
            return []
        track["since"] = 0  # a repeat needs another full window without progress
        track["best_step"] = step
        track["alarm"].fire(step)
        message = (f"no progress: {name} has not improved on {track['best']:.4g} for {stalled_steps} steps "
                   f"({self.t.no_progress_evals}+ evaluations; now {value:.4g})")
        return [self._alarm(step, "no_progress", message, track["alarm"])]

    # ----- events ---------------------------------------------------------------------------------
    def _alarm(self, step: int, name: str, message: str, tracker: _Persistent) -> Event:
        return Event(step, name, message, advice(name, self.config), action(name, self.config, tracker.fired_times))

    @staticmethod
    def _recovered(step: int, name: str, detail: str) -> Event:
        return Event(step, "recovered", f"{name} cleared: {detail}", "", {})


def batch_diversity(images: torch.Tensor, size: int = 16) -> float:
    """How different a batch's images are: mean distance from each image to its nearest other image.

    Images are averaged down to at most `size` x `size` first, so the measure is cheap and looks at
    layout rather than pixel noise; distances are RMS per value, so they don't grow with resolution.
    Nearest-neighbour distance (not mean pairwise distance) drops to ~0 as soon as G repeats itself,
    even when the few images it still makes differ from one another. Compare batches of equal size.
    Returns NaN for fewer than two images.
    """
    import torch  # here, so that reading a run's diagnostics (e.g. for the report) needs no torch
    import torch.nn.functional as F

    if images.ndim != 4 or len(images) < 2:
        return float("nan")
    x = images.detach().float()
    if x.shape[-1] > size or x.shape[-2] > size:
        x = F.adaptive_avg_pool2d(x, (min(size, x.shape[-2]), min(size, x.shape[-1])))
    flat = x.flatten(1)
    with torch.no_grad():
        dist = torch.cdist(flat, flat)
        dist.fill_diagonal_(float("inf"))
    return float(dist.min(dim=1).values.mean() / math.sqrt(flat.shape[1]))
