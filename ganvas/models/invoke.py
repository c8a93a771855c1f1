"""The one way to run a generator outside its training step: grids, metrics, sampling, export checks.

It owns what every caller would otherwise repeat: the network's placement and precision, eval mode
(restored afterwards), batching, and keeping the global RNG untouched, so drawing a sample grid in
the middle of a run can never change the random numbers the run draws next.
"""
from __future__ import annotations

import inspect
import itertools
from typing import Optional

import torch

from ..device import Placement
from ..progress import Callback, Progress

BATCH = 64


def generate(G: torch.nn.Module, z: torch.Tensor, labels: Optional[torch.Tensor] = None, *,
             placement: Optional[Placement] = None, batch: int = BATCH, progress: Optional[Callback] = None,
             task: str = "sample", **sampling) -> torch.Tensor:
    """Images in [-1, 1] as float32 on the CPU, [N, C, R, R].

    `placement` defaults to wherever G already is, in fp32. Extra keyword arguments (`noise`,
    `truncation`, ...) go to generators that take them.
    """
    placement = placement or Placement(_device_of(G), False)
    total, chunks = len(z), []
    _report(progress, task, "start", 0, total)
    was_training = G.training
    G.eval()
    try:
        with torch.no_grad(), _rng_untouched(placement.device):
            for start in range(0, total, batch):
                chunks.append(_one_batch(G, z[start:start + batch],
                                         None if labels is None else labels[start:start + batch],
                                         placement, sampling))
                _report(progress, task, "update", min(start + batch, total), total)
    finally:
        G.train(was_training)
    _report(progress, task, "end", total, total)
    return torch.cat(chunks) if chunks else torch.empty(0)


def map_latents(G: torch.nn.Module, z: torch.Tensor, labels: Optional[torch.Tensor] = None, *,
                placement: Optional[Placement] = None) -> torch.Tensor:
    """G's intermediate latents w = G.mapping(z, labels), float32 on the CPU, for generators that have a
    mapping network (those whose forward takes `latent`, e.g. StyleGAN2): walks and style mixing work in W.
    Eval mode, no gradient, the global RNG untouched, as `generate`."""
    placement = placement or Placement(_device_of(G), False)
    was_training = G.training
    G.eval()
    try:
        with torch.no_grad(), _rng_untouched(placement.device), placement.autocast():
            labels = labels.to(placement.device) if labels is not None else None
            return G.mapping(z.to(placement.device), labels).float().cpu()
    finally:
        G.train(was_training)


def takes_option(G: torch.nn.Module, name: str) -> bool:
    """Whether G's forward takes the sampling option `name` (e.g. `truncation`) as a keyword of its own."""
    try:
        parameter = inspect.signature(G.forward).parameters.get(name)
    except (TypeError, ValueError):
        return False
    return parameter is not None and parameter.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                        inspect.Parameter.KEYWORD_ONLY)


def _device_of(G: torch.nn.Module) -> torch.device:
    for tensor in itertools.chain(G.parameters(), G.buffers()):
        return tensor.device
    return torch.device("cpu")


def _one_batch(G, z, labels, placement: Placement, sampling: dict) -> torch.Tensor:
    z = z.to(placement.device)
    labels = labels.to(placement.device) if labels is not None else None
    with placement.autocast():
        images = G(z, labels, **sampling)
    return images.float().cpu().contiguous()


def _rng_untouched(device: torch.device):
    return torch.random.fork_rng(devices=[device] if device.type == "cuda" else [])


def _report(progress: Optional[Callback], task: str, kind: str, step: int, total: int) -> None:
    if progress is not None:
        progress(Progress(task, kind, step, total))
