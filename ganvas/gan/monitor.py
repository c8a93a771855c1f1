"""Watching a run: the lesson's troubles detected live, a cheap metric, and the best weights by it."""
from __future__ import annotations

import json
from typing import Optional

import torch
from safetensors.torch import save as save_tensors

from ..config import TrainConfig
from ..config.fields import to_dict
from ..io import atomic_write_bytes
from .hooks import Hook
from .state import current_lr, set_lr


class Monitor(Hook):
    def __init__(self, cfg: TrainConfig, setup):
        from ..metrics.diagnostics import Diagnostics, batch_diversity

        self.cfg = cfg
        self.diagnostics = Diagnostics(to_dict(cfg))
        self.batch_diversity = batch_diversity
        n = min(len(setup.real_eval), len(setup.fixed_z))
        self.real_diversity = float(batch_diversity(setup.real_eval[:n]))
        self.best: Optional[float] = None

    def on_log(self, loop, record: dict) -> None:
        fakes = self._live_fakes(loop)
        record["diversity"] = round(float(self.batch_diversity(fakes)), 5)
        record["real_diversity"] = round(self.real_diversity, 5)
        for event in self.diagnostics.observe(record):
            self._handle(loop, event)

    @torch.no_grad()
    def _live_fakes(self, loop) -> torch.Tensor:
        # The live G, not the EMA: collapse shows in the network being trained first.
        G = loop.s.nets.G
        G.eval()
        try:
            with loop.s.autocast():
                return G(loop.s.fixed_z, loop.s.fixed_labels).float()
        finally:
            G.train()

    def on_eval(self, loop) -> None:
        from ..metrics.swd import swd

        fakes = torch.cat([loop.generate(z, labels) for z, labels in _latent_batches(loop)])
        value = float(swd(loop.s.real_eval.to(fakes.device), fakes, seed=self.cfg.seed))
        loop.log.metric({"step": loop.step, "eval": {"swd": round(value, 6)}})
        for event in self.diagnostics.observe_eval(loop.step, "swd", value):
            self._handle(loop, event)
        if self.best is None or value < self.best:
            self.best = value
            self._save_best(loop, value)

    def _save_best(self, loop, value: float) -> None:
        gen = loop.s.ema.model if loop.s.ema is not None else loop.s.nets.G
        tensors = {f"G.{k}": v.detach().contiguous().cpu() for k, v in gen.state_dict().items()}
        meta = {"step": str(loop.step), "swd": str(value), "model": json.dumps(loop.s.model_info)}
        atomic_write_bytes(loop.s.run / "best.safetensors", save_tensors(tensors, metadata=meta))

    def _handle(self, loop, event) -> None:
        applied = self.cfg.auto_stabilize and bool(event.action)
        message = event.message + (f"; applied {event.action}" if applied else "")
        loop.event(event.event, message, event.remedy, event.action if applied else None)
        if applied:
            apply_action(loop, event.action)

    def state(self) -> dict:
        return {"best_swd": self.best}

    def load_state(self, info: dict) -> None:
        self.best = info.get("best_swd")


def _latent_batches(loop):
    n, z_dim, device = loop.s.cfg.eval_samples, loop.s.cfg.z_dim, loop.s.device
    gen = torch.Generator().manual_seed(loop.s.cfg.seed + 3)
    z = torch.randn(n, z_dim, generator=gen).to(device)
    labels = (torch.arange(n, device=device) % loop.s.num_classes) if loop.s.num_classes else None
    for start in range(0, n, 128):
        yield z[start:start + 128], None if labels is None else labels[start:start + 128]


def apply_action(loop, action: dict) -> None:
    """Apply a diagnostics remedy: the keys are the ones Diagnostics promises."""
    nets = loop.s.nets
    if "lr_d_factor" in action:
        set_lr(nets.opt_d, current_lr(nets.opt_d) * action["lr_d_factor"])
    if "lr_g_factor" in action:
        set_lr(nets.opt_g, current_lr(nets.opt_g) * action["lr_g_factor"])
    if "skip_d_below" in action:
        loop.skip.threshold = float(action["skip_d_below"])
    if action.get("flip"):
        loop.s.batches.flip = True
