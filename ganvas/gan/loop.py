"""The training loop: budget, logging cadence, samples, checkpoints, recovery, signals."""
from __future__ import annotations

import math
import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import torch

from .. import checkpoint as ckpt
from ..config import TrainConfig
from ..errors import GanvasError
from ..progress import Callback, Progress
from . import state as train_state
from .batches import Batches
from .ema import EMA
from .runlog import RunLog
from .stabilize import DivergenceGuard, SkipD
from .step import Nets, train_step


@dataclass
class Setup:
    """Everything the loop works on, built by ganvas.gan.train."""

    cfg: TrainConfig
    run: Path
    nets: Nets
    ema: Optional[EMA]
    batches: Batches
    device: torch.device
    autocast: Callable
    num_classes: int
    model_info: dict
    fixed_z: torch.Tensor
    fixed_labels: Optional[torch.Tensor]
    real_eval: torch.Tensor
    target_steps: Optional[int]
    progress: Callback
    hooks: list = field(default_factory=list)


@contextmanager
def stop_on_signals(flag: dict):
    """Ctrl-C and SIGTERM ask the loop to stop after the current step and save a checkpoint."""
    def handler(signum, _frame):
        flag["signal"] = signal.Signals(signum).name
    previous = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, handler)
    except ValueError:
        pass  # not the main thread: signals stay with the caller
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


class Loop:
    def __init__(self, s: Setup, log: RunLog, start_step: int):
        self.s, self.log, self.step = s, log, start_step
        self.skip = SkipD(s.cfg.skip_d_below)
        self.guard = DivergenceGuard()
        self.sums: dict[str, torch.Tensor] = {}
        self.count = 0
        self.last_d_loss: Optional[float] = None
        self.last_save = start_step
        self.stop: dict = {}

    # -- the loop itself -------------------------------------------------------------------------
    def run(self) -> dict:
        s, cfg = self.s, self.s.cfg
        deadline = time.monotonic() + cfg.minutes * 60 if cfg.minutes else math.inf
        s.progress(Progress("train", "start", self.step, s.target_steps))
        self.tick = (time.perf_counter(), self.step)
        batches = s.batches.from_step(self.step)
        with stop_on_signals(self.stop):
            while not self._done(deadline):
                real, real_labels = next(batches)
                self._one_step(real, real_labels)
                self.step += 1
                self._cadence()
                if self.stop.get("rolled_back"):
                    batches = s.batches.from_step(self.step)
                    self.stop.pop("rolled_back")
        self._finish()
        reason = self.stop.get("signal") or ("time budget" if time.monotonic() >= deadline else "target reached")
        hint = "; continue with --resume" if "signal" in self.stop else ""
        s.progress(Progress("train", "end", self.step, s.target_steps,
                            message=f"stopped at step {self.step} ({reason}); run folder: {s.run}{hint}"))
        return {"step": self.step, "reason": reason, "skipped_d": self.skip.skipped}

    def _finish(self) -> None:
        """Whatever the cadence left out at the last step: a record, a grid and a checkpoint."""
        if self.count:
            self._log()
        if self.step % self.s.cfg.sample_every:
            self.samples()
        if self.step != self.last_save:
            self.save()

    def _done(self, deadline: float) -> bool:
        target = self.s.target_steps
        return ("signal" in self.stop or (target is not None and self.step >= target)
                or time.monotonic() >= deadline)

    def _one_step(self, real: torch.Tensor, real_labels: Optional[torch.Tensor]) -> None:
        s, cfg = self.s, self.s.cfg
        n = len(real)
        z = torch.randn(n, cfg.z_dim, device=s.device)
        fake_labels = torch.randint(0, s.num_classes, (n,), device=s.device) if s.num_classes else None
        skip = self.skip.should_skip(self.last_d_loss)
        stats = train_step(s.nets, real, real_labels, z, fake_labels, loss=cfg.loss,
                           smoothing=cfg.label_smoothing, skip_d=skip, autocast=s.autocast())
        if s.ema is not None:
            s.ema.update(s.nets.G, self.step)
        if self.skip.active:
            self.last_d_loss = float(stats["d_loss"])
        for key, value in stats.items():
            self.sums[key] = self.sums[key] + value if key in self.sums else value.clone()
        self.count += 1

    # -- what happens every N steps --------------------------------------------------------------
    def _cadence(self) -> None:
        cfg, step = self.s.cfg, self.step
        if step % cfg.log_every == 0:
            self._log()
        if step % (cfg.eval_every or cfg.checkpoint_every) == 0:
            for hook in self.s.hooks:
                hook.on_eval(self)
        if step % cfg.sample_every == 0:
            self.samples()
        if step % cfg.checkpoint_every == 0:
            self.save()

    def _log(self) -> None:
        s = self.s
        means = {k: float(v) / self.count for k, v in self.sums.items()}
        self.sums, self.count = {}, 0
        now = time.perf_counter()
        t0, step0 = self.tick
        self.tick = (now, self.step)
        if self.guard.diverged(means["d_loss"], means["g_loss"]):
            self.recover(means)
            return
        record = {"step": self.step, "epoch": round(self.step / s.batches.per_epoch, 3), "time": time.time(),
                  "img_per_s": round((self.step - step0) * s.batches.batch_size / max(now - t0, 1e-9), 1),
                  **{k: round(v, 5) for k, v in means.items()},
                  "lr_g": train_state.current_lr(s.nets.opt_g), "lr_d": train_state.current_lr(s.nets.opt_d),
                  "skipped_d": self.skip.skipped}
        for hook in s.hooks:
            hook.on_log(self, record)
        self.log.metric(record)
        shown = {"img/s": record["img_per_s"], "D": record["d_loss"], "G": record["g_loss"],
                 "D(x)": record["d_real"], "D(G(z))": record["d_fake"]}
        if self.skip.active:
            shown["skipped D"] = self.skip.skipped
        s.progress(Progress("train", "update", self.step, s.target_steps, values=shown))

    @torch.no_grad()
    def generate(self, z: torch.Tensor, labels: Optional[torch.Tensor]) -> torch.Tensor:
        gen = self.s.ema.model if self.s.ema is not None else self.s.nets.G
        was_training = gen.training
        gen.eval()
        try:
            with self.s.autocast():
                return gen(z, labels).float()
        finally:
            gen.train(was_training)

    def samples(self) -> None:
        from ..report.plots import plot_losses

        self.log.sample_grid(self.generate(self.s.fixed_z, self.s.fixed_labels), self.step)
        if self.log.records:
            plot_losses(self.log.records, self.s.run / "losses.png")

    # -- checkpoints and recovery ----------------------------------------------------------------
    def save(self) -> None:
        info = {"model": self.s.model_info, "config": _config_dict(self.s.cfg), "skipped_d": self.skip.skipped,
                "skip_d_below": self.skip.threshold, "flip": self.s.batches.flip}
        for hook in self.s.hooks:
            info.update(hook.state())
        tensors, info = train_state.capture(self.s.nets, self.s.ema, self.step, info)
        ckpt.save(self.s.run, self.step, tensors, info)
        self.last_save = self.step

    def restore_latest(self) -> int:
        pair = ckpt.load_latest(self.s.run)
        if pair is None:
            return self.step
        tensors, info = pair
        self.step = train_state.restore(self.s.nets, self.s.ema, tensors, info)
        self.skip.skipped = int(info.get("skipped_d", 0))
        self.skip.threshold = info.get("skip_d_below", self.skip.threshold)
        self.s.batches.flip = info.get("flip", self.s.batches.flip)
        for hook in self.s.hooks:
            hook.load_state(info)
        self.last_save = self.step
        return self.step

    def recover(self, means: dict) -> None:
        """Roll back to the last good checkpoint and halve both learning rates."""
        bad_step = self.step
        if not self.s.cfg.recover:
            raise GanvasError(f"losses diverged at step {bad_step} (D {means['d_loss']:.3g}, G {means['g_loss']:.3g}); "
                              f"lower --lr-g/--lr-d, or leave --recover on to roll back automatically")
        lr_g, lr_d = (train_state.current_lr(o) for o in (self.s.nets.opt_g, self.s.nets.opt_d))
        step = self.restore_latest()
        train_state.set_lr(self.s.nets.opt_g, 0.5 * lr_g)
        train_state.set_lr(self.s.nets.opt_d, 0.5 * lr_d)
        self.log.rewind(step)
        self.guard.reset()
        self.last_d_loss = None
        self.sums, self.count = {}, 0
        self.stop["rolled_back"] = True
        self.tick = (time.perf_counter(), step)
        message = (f"losses diverged at step {bad_step} (D {means['d_loss']:.3g}, G {means['g_loss']:.3g}); "
                   f"rolled back to step {step} and halved both learning rates")
        self.event("rollback", message, "a lower learning rate often brings convergence",
                   {"lr_g_factor": 0.5, "lr_d_factor": 0.5})
        self.save()

    def event(self, name: str, message: str, remedy: str = "", action: Optional[dict] = None) -> None:
        self.log.event({"step": self.step, "event": name, "message": message, "remedy": remedy, "action": action})
        self.s.progress(Progress("train", "note", self.step, message=f"[step {self.step}] {name}: {message}"))


def _config_dict(cfg: TrainConfig) -> dict:
    from ..config.fields import to_dict

    return to_dict(cfg)
