"""Extensions of the loop: they watch the run through a read-only view and act only through `Actions`.

A hook may add keys to a log record, act at eval time or after any step, and keep state through
`state_dict`/`load_state_dict` (plain JSON), which every checkpoint carries. It never draws from the
global RNG (the view's sampling leaves it untouched), so a resumed run replays the same numbers.

Over several processes hooks run on rank 0 only (they watch and write). What they change in the run
goes through `Actions`, which notes each change; the loop sends the notes to the other ranks, which
make the same changes, so every rank trains with the same learning rates, thresholds and augmentation.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import torch

if TYPE_CHECKING:
    from ..config import TrainConfig


class Hook:
    @property
    def name(self) -> str:
        """The key of this hook's state in checkpoints; distinct for every hook of a run."""
        return type(self).__name__.lower()

    def on_step(self, run: "RunView", act: "Actions") -> None:
        pass

    def on_log(self, run: "RunView", record: dict, act: "Actions") -> None:
        pass

    def on_eval(self, run: "RunView", act: "Actions") -> None:
        pass

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class RunView:
    """What a hook may read: the clock, the config, the data, the records so far, and samples."""

    def __init__(self, loop: Any):
        self._loop = loop

    @property
    def step(self) -> int:
        return self._loop.step

    @property
    def nimg(self) -> int:
        return self._loop.nimg

    @property
    def budget_used(self) -> float:
        """0 to 1: how far the run is through its steps, epochs or this process's --minutes."""
        return self._loop.budget_used()

    @property
    def config(self) -> "TrainConfig":
        return self._loop.cfg

    @property
    def run(self) -> Path:
        return self._loop.run

    @property
    def n_images(self) -> int:
        return self._loop.data.n_images

    @property
    def records(self) -> tuple:
        return tuple(self._loop.log.records)

    @property
    def learning_rates(self) -> dict:
        return dict(self._loop.algorithm.learning_rates())

    @property
    def fixed_latents(self) -> tuple[torch.Tensor, Optional[torch.Tensor]]:
        return self._loop.fixed_latents

    @property
    def real_eval(self) -> torch.Tensor:
        return self._loop.real_eval

    @property
    def latent_sampler(self):
        return self._loop.sampler

    def sample(self, z: torch.Tensor, labels: Optional[torch.Tensor] = None, *, live: bool = False) -> torch.Tensor:
        """Images in [-1, 1] on the CPU from the sampling (EMA) generator, or the live one."""
        return self._loop.generate(z, labels, live=live)


class Actions:
    """The only way a hook changes a run. Each method is one of the lesson's in-flight cures, or output."""

    def __init__(self, loop: Any, record: bool = False):
        self._loop, self._record = loop, record
        self.journal: list[tuple[str, tuple]] = []  # the changes made since the ranks last agreed

    def _note(self, name: str, *args) -> None:
        if self._record:  # only over several ranks, where `share` empties it
            self.journal.append((name, args))

    def scale_lr(self, name: str, factor: float) -> None:
        self._note("scale_lr", name, factor)
        algo = self._loop.algorithm
        algo.set_learning_rate(name, algo.learning_rates()[name] * factor)

    def set_skip_d_below(self, threshold: Optional[float]) -> None:
        self._note("set_skip_d_below", threshold)
        self._loop.algorithm.skip.threshold = threshold

    def set_flip(self, on: bool) -> None:
        self._note("set_flip", on)
        self._loop.data.flip = on

    def augment_more(self) -> str:
        self._note("augment_more")
        return self._loop.algorithm.augment.augment_more()

    def apply(self, action: dict) -> list[str]:
        """Apply a diagnostics remedy (the keys gan.remedies promises); returns what changed, in words."""
        done = []
        for key, name in (("lr_d_factor", "D"), ("lr_g_factor", "G")):
            if key in action:
                self.scale_lr(name, action[key])
                done.append(f"{name}'s learning rate x{action[key]:g}")
        if "skip_d_below" in action:
            self.set_skip_d_below(float(action["skip_d_below"]))
            done.append(f"skip D below {action['skip_d_below']:g}")
        if action.get("flip"):
            self.set_flip(True)
            done.append("flips on")
        if action.get("augment_more"):
            done.append(self.augment_more())
        return done

    def restart_warmup(self) -> None:
        """A new phase of training (progressive growing's next level): the divergence guard forgets its
        window, and hooks with a warm-up of their own (`restart_warmup(step)`, the diagnostics) restart it."""
        self._note("restart_warmup")  # every rank's guard reads the same records, so all must forget them
        self._loop.restart_warmup()

    def snapshot(self) -> None:
        """A sample grid and the in-loop metric now, unless the cadence draws them at this step anyway."""
        self._loop.snapshot()

    def metric(self, record: dict) -> None:
        self._loop.log.metric(record)

    def event(self, name: str, message: str, remedy: str = "", action: Optional[dict] = None) -> None:
        self._loop.event(name, message, remedy, action)

    def request_stop(self, reason: str) -> None:
        self._note("request_stop", reason)
        self._loop.stop_reason = self._loop.stop_reason or reason

    def share(self, runtime) -> None:
        """Make rank 0's changes on every other rank too (a collective: every rank calls it)."""
        journal = runtime.broadcast_object(self.journal if runtime.is_main else None)
        self.journal = []
        if not runtime.is_main:
            for name, args in journal:
                getattr(self, name)(*args)
            self.journal = []  # what was replayed is not sent on again
