"""The training loop: the clock, the cadence, hooks, stop requests and recovery; it knows no networks.

Each step hands one batch to the algorithm, then runs the cadence in a fixed order: log, evaluate,
samples, checkpoint. Evaluating before checkpointing is what lets a resumed run keep its best score.
A rollback moves the clock back to the restored checkpoint and ends that step's cadence, so nothing
is evaluated, drawn or saved twice for the old step.

Over several processes every rank runs this loop in step, and what one rank could decide alone is
agreed first (gan/ranks.py): stops, the records the guard reads, what hooks change on rank 0. Only
rank 0 writes (records, samples, plots, checkpoints); every rank takes part in a save.
"""
from __future__ import annotations

import math
import signal
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Optional

import torch

from .. import checkpoint as ckpt
from ..config import TrainConfig
from ..config.fields import to_dict
from ..device import Placement
from ..errors import GanvasError
from ..models.invoke import generate
from ..plots import plot_losses
from ..progress import Callback, Progress
from ..runtime import SINGLE, Runtime
from . import ranks
from . import state as train_state
from .hooks import Actions, Hook, RunView
from .runlog import RunLog
from .stabilize import DivergenceGuard

FORMAT = 2  # checkpoint layout: named modules, optimisers by parameter name, stateful objects


@contextmanager
def stop_on_signals(loop: "Loop"):
    """Ctrl-C and SIGTERM ask the loop to stop after the current step and save a checkpoint."""
    def handler(signum, _frame):
        loop.stop_reason = loop.stop_reason or signal.Signals(signum).name
    previous = {}
    try:
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, handler)
    except ValueError:
        pass  # not the main thread: the caller stops the run through should_stop
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


class Loop:
    """Runs one algorithm over the data until its budget, a stop request or a fatal divergence."""

    RESUMABLE_STOPS = ("SIGINT", "SIGTERM", "stop requested", "time budget")

    def __init__(self, *, algorithm, data, log: RunLog, cfg: TrainConfig, run: Path, spec, placement: Placement,
                 sampler, fixed_latents, real_eval: torch.Tensor, target_steps: Optional[int],
                 hooks: list[Hook], progress: Callback, should_stop: Optional[Callable[[], bool]] = None,
                 runtime: Runtime = SINGLE):
        self.algorithm, self.data, self.log, self.cfg, self.run = algorithm, data, log, cfg, run
        self.spec, self.placement, self.sampler = spec, placement, sampler
        self.fixed_latents, self.real_eval, self.target_steps = fixed_latents, real_eval, target_steps
        self.hooks, self.progress, self.should_stop = hooks, progress, should_stop
        self.runtime = runtime
        self.view, self.actions = RunView(self), Actions(self, record=runtime.distributed)
        # Rank 0 alone holds the hooks; the others must know whether a step ends with a hook's changes.
        self.step_hooks = runtime.broadcast_object(any(type(h).on_step is not Hook.on_step for h in hooks))
        self.guard = DivergenceGuard()
        self.step = self.nimg = self.last_save = 0
        self.sums: dict[str, torch.Tensor] = {}
        self.counts: dict[str, int] = {}
        self.stop_reason: Optional[str] = None
        self.started = time.monotonic()

    # -- the loop itself -------------------------------------------------------------------------
    def run_to_end(self) -> dict:
        self.started = time.monotonic()
        deadline = self.started + self.cfg.minutes * 60 if self.cfg.minutes else math.inf
        self.progress(Progress("train", "start", self.step, self.target_steps))
        self.tick = (time.perf_counter(), self.nimg)
        batches = self.data.from_step(self.step)
        with stop_on_signals(self):
            while not self._done(deadline):
                real, labels = next(batches)
                self._accumulate(self.algorithm.step(real, labels, self.step))
                self.step += 1
                self.nimg += len(real) * self.runtime.world
                if self.step_hooks:
                    self._call_hooks(lambda hook: hook.on_step(self.view, self.actions))
                if not self._cadence():
                    batches = self.data.from_step(self.step)
        return self._finish()

    def _done(self, deadline: float) -> bool:
        if self.stop_reason is None and self.should_stop is not None and self.should_stop():
            self.stop_reason = "stop requested"
        if self.stop_reason is None and time.monotonic() >= deadline:
            self.stop_reason = "time budget"
        if self.runtime.distributed:
            self.stop_reason = ranks.agree_on_stop(self.runtime, self.stop_reason)
        if self.stop_reason is None and self.target_steps is not None and self.step >= self.target_steps:
            self.stop_reason = "target reached"
        return self.stop_reason is not None

    def budget_used(self) -> float:
        """The share of the budget spent, 0 to 1: steps of the target, or this process's --minutes, whichever
        is further along."""
        used = self.step / self.target_steps if self.target_steps else 0.0
        if self.cfg.minutes:
            used = max(used, (time.monotonic() - self.started) / (self.cfg.minutes * 60))
        return min(used, 1.0)

    def _call_hooks(self, call: Callable[[Hook], None]) -> None:
        for hook in self.hooks:  # empty off rank 0
            call(hook)
        if self.runtime.distributed:
            self.actions.share(self.runtime)

    def _finish(self) -> dict:
        """What the cadence left out at the last step: a record (only for a run that is over), a grid and
        a checkpoint. A run that will resume keeps its partial sums in the checkpoint instead of logging
        them, so its records, and every decision made from them, match an uninterrupted run's."""
        if self.counts and self.stop_reason not in self.RESUMABLE_STOPS:
            self._log()
        if self.step % self.cfg.sample_every:
            self.samples()
        if self.step != self.last_save:
            self.save()
        hint = "; continue with --resume" if self.stop_reason in self.RESUMABLE_STOPS else ""
        self.progress(Progress("train", "end", self.step, self.target_steps,
                               message=f"stopped at step {self.step} ({self.stop_reason}); run folder: {self.run}{hint}"))
        return {"step": self.step, "nimg": self.nimg, "reason": self.stop_reason,
                "skipped_d": self.algorithm.skip.skipped}

    def _accumulate(self, stats: dict[str, torch.Tensor]) -> None:
        for key, value in stats.items():
            self.sums[key] = self.sums[key] + value if key in self.sums else value.clone()
            self.counts[key] = self.counts.get(key, 0) + 1

    # -- what happens every N steps --------------------------------------------------------------
    def _cadence(self) -> bool:
        """Log, evaluate, draw samples, checkpoint; False when a rollback moved the clock back."""
        cfg, step = self.cfg, self.step
        if step % cfg.log_every == 0 and not self._log():
            return False
        if step % (cfg.eval_every or cfg.checkpoint_every) == 0:
            self._call_hooks(lambda hook: hook.on_eval(self.view, self.actions))
        if step % cfg.sample_every == 0:
            self.samples()
        if step % cfg.checkpoint_every == 0:
            self.save()
        return True

    def _means(self) -> dict[str, float]:
        if self.runtime.distributed:
            means = ranks.mean_over_ranks(self.runtime, self.sums, self.counts, self.placement.device)
        else:
            means = {k: float(v) / self.counts[k] for k, v in self.sums.items()}
        self.sums, self.counts = {}, {}
        return means

    def _log(self) -> bool:
        means = self._means()
        now = time.perf_counter()
        (t0, nimg0), self.tick = self.tick, (now, self.nimg)
        if self.guard.diverged([means[s.key] for s in self.algorithm.stats if s.role == "loss" and s.key in means]):
            self.recover(means)
            return False
        stats = {s.key: s for s in self.algorithm.stats}
        rates = self.algorithm.learning_rates()
        record = {"step": self.step, "nimg": self.nimg, "epoch": round(self.step / self.data.per_epoch, 3),
                  "time": time.time(),
                  "img_per_s": round((self.nimg - nimg0) / max(now - t0, 1e-9), 1),
                  **{k: round(v, stats[k].precision if k in stats else 5) for k, v in means.items()},
                  **{f"lr_{name.lower()}": lr for name, lr in rates.items()},
                  "skipped_d": self.algorithm.skip.skipped}
        self._call_hooks(lambda hook: hook.on_log(self.view, record, self.actions))
        self.log.metric(record)
        shown = {"img/s": record["img_per_s"],
                 **{s.label: record[s.key] for s in self.algorithm.stats if s.label and s.key in record}}
        if self.algorithm.skip.active:
            shown["skipped D"] = self.algorithm.skip.skipped
        self.progress(Progress("train", "update", self.step, self.target_steps, values=shown))
        return True

    def restart_warmup(self) -> None:
        self.guard.reset()
        for hook in self.hooks:
            restart = getattr(hook, "restart_warmup", None)
            if restart is not None:
                restart(self.step)

    def snapshot(self) -> None:
        if self.step % (self.cfg.eval_every or self.cfg.checkpoint_every):
            for hook in self.hooks:
                hook.on_eval(self.view, self.actions)
        if self.step % self.cfg.sample_every:
            self.samples()

    def generate(self, z: torch.Tensor, labels: Optional[torch.Tensor], *, live: bool = False) -> torch.Tensor:
        G = self.algorithm.live_generator() if live else self.algorithm.sampling_generator()
        return generate(G, z, labels, placement=self.placement)

    def samples(self) -> None:
        if not self.runtime.is_main:
            return
        path = self.log.sample_grid(self.generate(*self.fixed_latents), self.step)
        if self.log.records:
            plot_losses(self.log.records, self.run / "losses.png", self.log.events())
        self.progress(Progress("train", "sample", self.step, self.target_steps, values={"path": str(path)}))

    # -- checkpoints and recovery ----------------------------------------------------------------
    def stateful(self) -> dict:
        objects = {"algorithm": self.algorithm, "guard": self.guard, "data": self.data, "loop": _PartialSums(self)}
        objects.update({f"hook.{hook.name}": hook for hook in self.hooks})
        return objects

    def save(self) -> None:
        """Every rank calls it (a collective when distributed); rank 0 writes."""
        everyone = None
        if self.runtime.distributed:
            everyone = ranks.gather_for_save(self.runtime, self.algorithm.modules, self.sums, self.step)
        if self.runtime.is_main:
            self._write_checkpoint(everyone)
        self.last_save = self.step

    def _write_checkpoint(self, everyone: Optional[list[dict]]) -> None:
        rng = train_state.rank_rng_tensors([r["rng"] for r in everyone]) if everyone else None
        tensors, info = train_state.capture(self.algorithm.modules, self.algorithm.optimizers, self.stateful(), rng)
        if everyone:
            info["state"]["loop"]["by_rank"] = [r["sums"] for r in everyone]
        info.update(format=FORMAT, model=self.spec.to_dict(), config=to_dict(self.cfg),
                    clock={"step": self.step, "nimg": self.nimg}, processes=self.runtime.world)
        ckpt.save(self.run, self.step, tensors, info)

    def restore_latest(self) -> int:
        self.runtime.barrier()  # rank 0's last save is on disk before any rank reads
        pair = ckpt.load_latest(self.run)
        if pair is None:
            return self.step
        tensors, info = pair
        if info.get("format") != FORMAT:
            raise GanvasError(f"{self.run}: its checkpoints were written by ganvas 0.1; they still sample, "
                              f"but training cannot resume them; start a new run with another --out or --force")
        distributed = self.runtime.distributed
        train_state.restore(self.algorithm.modules, self.algorithm.optimizers, self.stateful(), tensors, info,
                            restore_rng=not distributed)
        if distributed and not train_state.restore_rank_rng(tensors, self.runtime.rank, self.runtime.device):
            torch.manual_seed(self.runtime.rank_seed(self.cfg.seed) + int(info["clock"]["step"]))
        self.step, self.nimg = int(info["clock"]["step"]), int(info["clock"]["nimg"])
        self.last_save = self.step
        return self.step

    def recover(self, means: dict) -> None:
        """Roll back to the last good checkpoint and halve both learning rates."""
        bad_step = self.step
        losses = ", ".join(f"{s.label or s.key} {means[s.key]:.3g}" for s in self.algorithm.stats
                           if s.role == "loss" and s.key in means)
        if not self.cfg.recover:
            raise self.runtime.error(f"losses diverged at step {bad_step} ({losses}); lower --lr-g/--lr-d, or "
                                     "leave --recover on to roll back automatically")
        rates = self.algorithm.learning_rates()
        step = self.restore_latest()
        for name, lr in rates.items():
            self.algorithm.set_learning_rate(name, 0.5 * lr)
        self.log.rewind(step)
        self.guard.reset()
        self.tick = (time.perf_counter(), self.nimg)
        self.event("rollback", f"losses diverged at step {bad_step} ({losses}); rolled back to step {step} "
                   "and halved both learning rates", "a lower learning rate often brings convergence",
                   {"lr_g_factor": 0.5, "lr_d_factor": 0.5})
        self.save()

    def event(self, name: str, message: str, remedy: str = "", action: Optional[dict] = None) -> None:
        self.log.event({"step": self.step, "event": name, "message": message, "remedy": remedy, "action": action})
        self.progress(Progress("train", "note", self.step, message=f"[step {self.step}] {name}: {message}"))


class _PartialSums:
    """The statistics summed since the last record, so a stop between records loses none of them."""

    def __init__(self, loop: Loop):
        self.loop = loop

    def state_dict(self) -> dict:
        # A multi-process save adds "by_rank": every rank's own sums, which each takes back on resume.
        return {"sums": {k: float(v) for k, v in self.loop.sums.items()}, "counts": dict(self.loop.counts)}

    def load_state_dict(self, state: dict) -> None:
        runtime = self.loop.runtime
        sums = state["sums"]
        if runtime.distributed and len(state.get("by_rank", ())) == runtime.world:
            sums = state["by_rank"][runtime.rank]
        self.loop.sums = {k: torch.tensor(v, dtype=torch.float32) for k, v in sums.items()}
        self.loop.counts = {k: int(n) for k, n in state["counts"].items()}
