"""Live diagnostics of the lesson's GAN troubles, read from the metric records the loop already writes.

Every alarm needs its condition to hold for a while (several consecutive records spanning enough steps),
rests for a cooldown after firing, and uses a looser exit threshold than its entry threshold, so the
normal oscillation of a healthy run never trips it. A non-finite loss is never normal and is reported at once.

A sound run starts with D winning outright and G's images looking alike, until G catches up. That
start-up, the warm-up, is over as soon as G has caught up (D no longer wins outright for a few records),
or at `max_warmup_steps` at the latest, so its length follows the run. During it the conditions are
timed but only blatant cases are told: a practically perfect D (by its own loss or by G's), G's
gradients gone, identical images. A D that still wins when the warm-up ends has held its lead
throughout, and is told then.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field
from typing import Optional

from .remedies import SMALL_DATASET, action, advice


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
    # The warm-up is over once G has caught up: D, having won outright, no longer does for a few records.
    # Sound runs on shapes (32 px) catch up at steps 275-375, with D's loss jumping 20-50x within a record.
    catch_up_records: int = 2
    # Nothing but divergence is judged before this step, while D is still learning the task at all:
    early_steps: int = 100
    # ... and a trouble is named by this step at the latest: the warm-up ends here even without a catch-up.
    max_warmup_steps: int = 500
    d_loss_perfect: float = 0.002      # ns/minimax: D right on practically every image (a sound start bottoms out ~0.01)
    diversity_identical: float = 0.002  # fake/real diversity: one image for every z (untrained G's measured 0.008-0.1)
    hold_steps: int = 150              # a condition must last this many steps ...
    hold_records: int = 4              # ... over at least this many records, so one bad batch is ignored
    cooldown_steps: int = 500          # after an alarm, give its remedy time to act before repeating it
    d_loss_low: float = 0.1            # D's loss "near zero" (two BCE terms: 1.39 at equilibrium)
    d_loss_low_ls: float = 0.02        # least squares sits near 0.25 at equilibrium, so "near zero" is lower
    d_loss_exit: float = 2.0           # exit threshold = d_loss_low * this
    separation: float = 0.4            # D(x) - D(G(z)) above this: D tells reals from fakes (hinge margins give ~0.46)
    # The non-saturating G loss is -log D(G(z)), judged by its median over a few records (one batch swings
    # it by 2-3): above this D gives G's images practically no chance. With D's learning rate far too high
    # D's own loss jumps about while G's stays at 10-23; a sound start-up's peaks at 7.5-8.8, and once G
    # has caught up it stays below 7.7.
    g_loss_perfect: float = 10.0
    g_loss_exit: float = 8.0
    g_loss_records: int = 4
    blatant_records: int = 2           # a blatant case must show in this many records in a row
    grad_vanished: float = 0.1         # G's gradient norm below this fraction of its early level is "vanishing"
    early_grad_records: int = 5        # the records whose median is G's early gradient level
    diversity_ratio: float = 0.25      # fake diversity below this fraction of real diversity: collapse
    diversity_exit: float = 0.4
    runaway_loss: float = 50.0         # |loss| this large is far outside every loss's normal range
    runaway_records: int = 2
    no_progress_evals: int = 5         # evaluations in a row without a real improvement ...
    no_progress_steps: int = 500       # ... spanning at least this many steps
    min_improvement: float = 0.02      # relative drop that counts as progress (metric noise is ~1%)


# The latest step at which the default diagnostics start judging a run by the ordinary thresholds.
MAX_WARMUP_STEPS = Thresholds().max_warmup_steps


class _Persistent:
    """A condition that counts only after it has held for a while, then rests before it may count again."""

    def __init__(self, hold_steps: int, hold_records: int, cooldown_steps: int):
        self.hold_steps, self.hold_records, self.cooldown_steps = hold_steps, hold_records, cooldown_steps
        self.since: Optional[int] = None
        self.records = 0
        self.fired_at: Optional[int] = None
        self.fired_times = 0
        self.alarmed = False

    @property
    def holding(self) -> bool:
        return self.since is not None

    def update(self, step: int, entering: bool, staying: bool, may_fire: bool = True) -> Optional[str]:
        """Return "fire", "clear" (an alarmed condition has ended) or None.

        With `may_fire` false the condition is still timed, so it fires as soon as it may if it has
        held long enough by then."""
        holding = staying if self.since is not None else entering
        if not holding:
            cleared = self.alarmed
            self.since, self.records, self.alarmed = None, 0, False
            return "clear" if cleared else None
        if self.since is None:
            self.since, self.records = step, 0
        self.records += 1
        return "fire" if may_fire and self._due(step) else None

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

    def state_dict(self) -> dict:
        return {"since": self.since, "records": self.records, "fired_at": self.fired_at,
                "fired_times": self.fired_times, "alarmed": self.alarmed}

    def load_state_dict(self, state: dict) -> None:
        self.since, self.records = state["since"], state["records"]
        self.fired_at, self.fired_times, self.alarmed = state["fired_at"], state["fired_times"], state["alarmed"]


class _WarmUp:
    """The start-up of a run, over once G has shown it is catching up (D won outright and, for a few
    records in a row, no longer does) or at the latest step allowed."""

    def __init__(self, t: Thresholds):
        self.t = t
        self.d_won = False
        self.released_records = 0
        self.ended_at: Optional[int] = None

    @property
    def active(self) -> bool:
        return self.ended_at is None

    def reach(self, step: int) -> None:
        if self.active and step >= self.t.max_warmup_steps:
            self.ended_at = step

    def see(self, step: int, d_winning: bool) -> None:
        """Take whether D wins outright at this record."""
        if not self.active:
            return
        self.released_records = self.released_records + 1 if self.d_won and not d_winning else 0
        self.d_won = self.d_won or d_winning
        if self.released_records >= self.t.catch_up_records:
            self.ended_at = step

    def state_dict(self) -> dict:
        return {"d_won": self.d_won, "released_records": self.released_records, "ended_at": self.ended_at}

    def load_state_dict(self, state: dict) -> None:
        self.d_won, self.released_records = state["d_won"], state["released_records"]
        self.ended_at = state["ended_at"]


class _EvalTrack:
    """The best value of one evaluated metric so far, and how long it has not improved."""

    def __init__(self, value: float, step: int):
        self.best, self.best_step, self.since = value, step, 0
        self.alarm = _Persistent(0, 1, 0)

    def state_dict(self) -> dict:
        return {"best": self.best, "best_step": self.best_step, "since": self.since,
                "alarm": self.alarm.state_dict()}

    @classmethod
    def from_state_dict(cls, state: dict) -> "_EvalTrack":
        track = cls(state["best"], state["best_step"])
        track.since = state["since"]
        track.alarm.load_state_dict(state["alarm"])
        return track


def _finite(value) -> Optional[float]:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


class Diagnostics:
    """Watch a run's records; `observe` and `observe_eval` return the events each one triggers.

    `n_images` is the dataset's size, when known: small datasets get augmentation among the remedies."""

    def __init__(self, config: dict, thresholds: Thresholds = Thresholds(), *, n_images: Optional[int] = None):
        self.config = dict(config or {})
        self.n_images = n_images
        self.t = thresholds
        self.d_low = thresholds.d_loss_low_ls if self.config.get("loss") == "ls" else thresholds.d_loss_low
        # Hinge and least-squares losses reach exactly 0 in sound runs, so only BCE losses have a "perfect D" tier.
        loss = self.config.get("loss", "ns")
        self.d_perfect = thresholds.d_loss_perfect if loss in ("ns", "minimax") else None
        # Only the non-saturating G loss reads as D's confidence on G's images (-log D(G(z))).
        self.g_perfect = thresholds.g_loss_perfect if loss == "ns" else None
        t = thresholds
        self.warmup = _WarmUp(t)
        self.overpowering = _Persistent(t.hold_steps, t.hold_records, t.cooldown_steps)
        self.collapse = _Persistent(t.hold_steps, t.hold_records, t.cooldown_steps)
        self.runaway = _Persistent(0, t.runaway_records, t.cooldown_steps)
        self.nonfinite = _Persistent(0, 1, t.cooldown_steps)
        self.blatant_run = 0  # records in a row in which D's lead was no start-up
        self.recent_g_losses: list[float] = []
        self.early_grads: list[float] = []
        self.peak_diversity: Optional[float] = None
        self.evals: dict[str, _EvalTrack] = {}

    @property
    def warmup_ended_at(self) -> Optional[int]:
        """The step at which the start-up was over and the ordinary thresholds took over (None: not yet)."""
        return self.warmup.ended_at

    # ----- named state, so that a resumed run judges exactly as an uninterrupted one -----------------
    def state_dict(self) -> dict:
        """Everything observed so far, as plain JSON values (floats survive json.dumps exactly)."""
        return {"warmup": self.warmup.state_dict(), "overpowering": self.overpowering.state_dict(),
                "collapse": self.collapse.state_dict(), "runaway": self.runaway.state_dict(),
                "nonfinite": self.nonfinite.state_dict(), "blatant_run": self.blatant_run,
                "recent_g_losses": list(self.recent_g_losses), "early_grads": list(self.early_grads), "peak_diversity": self.peak_diversity,
                "evals": {name: track.state_dict() for name, track in self.evals.items()}}

    def load_state_dict(self, state: dict) -> None:
        self.warmup.load_state_dict(state["warmup"])
        for name in ("overpowering", "collapse", "runaway", "nonfinite"):
            getattr(self, name).load_state_dict(state[name])
        self.blatant_run = state["blatant_run"]
        self.recent_g_losses = [float(g) for g in state["recent_g_losses"]]
        self.early_grads = [float(g) for g in state["early_grads"]]
        self.peak_diversity = state["peak_diversity"]
        self.evals = {name: _EvalTrack.from_state_dict(track) for name, track in state["evals"].items()}

    # ----- per log interval -----------------------------------------------------------------------
    def observe(self, record: dict) -> list[Event]:
        step = int(record.get("step", 0))
        events = self._divergence(step, record)
        grad = _finite(record.get("g_grad_norm"))
        if grad is not None and len(self.early_grads) < self.t.early_grad_records:
            self.early_grads.append(grad)
        g_loss = _finite(record.get("g_loss"))
        if g_loss is not None:
            self.recent_g_losses = (self.recent_g_losses + [g_loss])[-self.t.g_loss_records:]
        if step < self.t.early_steps:
            return events
        self.warmup.reach(step)
        warming_up = self.warmup.active
        events += self._overpowering(step, record, grad, warming_up)
        self.warmup.see(step, d_winning=self.overpowering.holding)
        events += self._collapse(step, record, warming_up)
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

    def _overpowering(self, step: int, record: dict, grad: Optional[float], warming_up: bool) -> list[Event]:
        d_loss = _finite(record.get("d_loss"))
        if d_loss is None:
            return []
        d_real, d_fake = _finite(record.get("d_real")), _finite(record.get("d_fake"))
        g_loss = statistics.median(self.recent_g_losses) if self.recent_g_losses else None
        entering, staying = self._d_wins(d_loss, g_loss, d_real, d_fake)
        blatant = self._no_start_up(d_loss, g_loss, grad)
        self.blatant_run = self.blatant_run + 1 if blatant else 0
        # In the warm-up D winning is the normal start-up: it is timed, but told only once it is no start-up.
        may_fire = not warming_up or self.blatant_run >= self.t.blatant_records
        state = self.overpowering.update(step, entering, staying, may_fire)
        if state == "clear":
            return [self._recovered(step, "d_overpowering", f"D's loss is back to {d_loss:.3g}")]
        if state != "fire":
            return []
        message = self._overpowering_message(d_loss, g_loss, d_real, d_fake, grad, record)
        return [self._alarm(step, "d_overpowering", message, self.overpowering)]

    def _d_wins(self, d_loss: float, g_loss: Optional[float], d_real: Optional[float],
                d_fake: Optional[float]) -> tuple[bool, bool]:
        """Whether D wins outright, by its own loss or by G's: (entering, staying)."""
        t = self.t
        gap = None if d_real is None or d_fake is None else d_real - d_fake
        enter = d_loss < self.d_low and (gap is None or gap > t.separation)
        stay = d_loss < self.d_low * t.d_loss_exit and (gap is None or gap > t.separation * 0.75)
        if self.g_perfect is not None and g_loss is not None:
            enter = enter or g_loss > self.g_perfect
            stay = stay or g_loss > t.g_loss_exit
        return enter, stay

    def _no_start_up(self, d_loss: float, g_loss: Optional[float], grad: Optional[float]) -> bool:
        """Evidence that D's lead is no start-up: D practically perfect by its loss or G's, or G's
        gradients gone."""
        baseline = self._early_grad()
        vanished = grad is not None and bool(baseline) and grad < self.t.grad_vanished * baseline
        perfect_d = self.d_perfect is not None and d_loss < self.d_perfect
        hopeless_g = self.g_perfect is not None and g_loss is not None and g_loss > self.g_perfect
        return vanished or perfect_d or hopeless_g

    def _overpowering_message(self, d_loss: float, g_loss: Optional[float], d_real: Optional[float],
                              d_fake: Optional[float], grad: Optional[float], record: dict) -> str:
        parts = [f"D is overpowering G: D's loss {d_loss:.3g}" + ("" if g_loss is None else f", G's {g_loss:.3g}")
                 + f" for {self.t.hold_steps}+ steps"]
        if d_real is not None and d_fake is not None:
            parts.append(f"D(x) {d_real:.2f} vs D(G(z)) {d_fake:.2f}")
        baseline = self._early_grad()
        if grad is not None and baseline and grad < self.t.grad_vanished * baseline:
            parts.append(f"G's gradients are vanishing (norm {grad:.3g}, {100 * grad / baseline:.0f}% of "
                         "its early level)")
        lr_g, lr_d = _finite(record.get("lr_g")), _finite(record.get("lr_d"))
        if lr_g and lr_d and lr_d / lr_g >= 3:
            parts.append(f"D's learning rate is {lr_d / lr_g:.3g}x G's")
        if self.n_images is not None and self.n_images < SMALL_DATASET:
            parts.append(f"only {self.n_images} training images, which D can learn by heart")
        return "; ".join(parts)

    def _early_grad(self) -> Optional[float]:
        return sorted(self.early_grads)[len(self.early_grads) // 2] if self.early_grads else None

    def _collapse(self, step: int, record: dict, warming_up: bool) -> list[Event]:
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
        enter, exit_ = ((self.t.diversity_identical, 2 * self.t.diversity_identical) if warming_up
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
            self.evals[name] = _EvalTrack(value, step)
            return []
        if value < track.best - self.t.min_improvement * abs(track.best):
            improved_from = track.best
            track.best, track.best_step, track.since = value, step, 0
            if track.alarm.alarmed:
                track.alarm.alarmed = False
                return [self._recovered(step, "no_progress", f"{name} improved to {value:.4g} "
                                        f"(from {improved_from:.4g})")]
            return []
        track.since += 1
        stalled_steps = step - track.best_step
        if track.since < self.t.no_progress_evals or stalled_steps < self.t.no_progress_steps:
            return []
        track.since = 0  # a repeat needs another full window without progress
        track.best_step = step
        track.alarm.fire(step)
        message = (f"no progress: {name} has not improved on {track.best:.4g} for {stalled_steps} steps "
                   f"({self.t.no_progress_evals}+ evaluations; now {value:.4g})")
        return [self._alarm(step, "no_progress", message, track.alarm)]

    # ----- events ---------------------------------------------------------------------------------
    def _alarm(self, step: int, name: str, message: str, tracker: _Persistent) -> Event:
        return Event(step, name, message, advice(name, self.config),
                     action(name, self.config, tracker.fired_times, self.n_images))

    @staticmethod
    def _recovered(step: int, name: str, detail: str) -> Event:
        return Event(step, "recovered", f"{name} cleared: {detail}", "", {})
