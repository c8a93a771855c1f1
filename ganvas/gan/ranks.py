"""What the ranks of a multi-process run agree on each step or save, so that none goes its own way.

A stop (a signal, should_stop, the deadline) may reach one rank only: the ranks agree through one
all-reduced number per step, on the CPU, and on the rare step that stops they take rank 0's reason.
Records are means over the ranks, from one all-reduce of every statistic, so the divergence guard
and the diagnostics see the same numbers everywhere. A save gathers every rank's random state and
partial sums for rank 0 to write, and checks that the ranks still hold the same weights.
"""
from __future__ import annotations

import hashlib
from typing import Mapping, Optional

import torch

from ..runtime import Runtime
from . import state as train_state

# The stops a rank may reach on its own, numbered for the all-reduce (0: no stop; one more: a hook's).
LOCAL_STOPS = ("SIGINT", "SIGTERM", "stop requested", "time budget")


def agree_on_stop(runtime: Runtime, mine: Optional[str]) -> Optional[str]:
    code = LOCAL_STOPS.index(mine) + 1 if mine in LOCAL_STOPS else (len(LOCAL_STOPS) + 1 if mine else 0)
    agreed = runtime.all_reduce_max(code)
    if not agreed:
        return None
    fallback = LOCAL_STOPS[agreed - 1] if agreed <= len(LOCAL_STOPS) else "stop requested"
    # What a stop does (log a last record or keep partial sums) depends on why: one reason for all.
    return runtime.broadcast_object(mine or fallback)


def mean_over_ranks(runtime: Runtime, sums: Mapping[str, torch.Tensor], counts: Mapping[str, int],
                    device: torch.device) -> dict[str, float]:
    keys = sorted(sums)
    stacked = torch.stack([sums[k].float().to(device) for k in keys])
    return {k: total / counts[k] for k, total in zip(keys, runtime.all_reduce_mean(stacked).tolist())}


def weights_digest(modules: Mapping[str, torch.nn.Module]) -> str:
    """A hash of what must be equal on every rank: the parameters, and the augmentation's p (buffers
    such as per-rank BatchNorm statistics or ADA's running tally may differ)."""
    digest = hashlib.sha256()
    for _, module in sorted(modules.items()):
        for tensor in [*module.parameters(), *([module.p] if hasattr(module, "p") else [])]:
            digest.update(tensor.detach().float().cpu().numpy().tobytes())
    return digest.hexdigest()


def gather_for_save(runtime: Runtime, modules: Mapping[str, torch.nn.Module], sums: Mapping[str, torch.Tensor],
                    step: int) -> list[dict]:
    """Every rank's random state, partial sums and weights' digest, on every rank (a collective)."""
    mine = {"rng": train_state.rank_rng(runtime.device), "digest": weights_digest(modules),
            "sums": {k: float(v) for k, v in sums.items()}}
    ranks = runtime.all_gather_object(mine)
    differ = [r for r, theirs in enumerate(ranks) if theirs["digest"] != ranks[0]["digest"]]
    if differ:
        raise runtime.error(f"at step {step} rank {differ[0]} holds other weights than rank 0: the ranks have "
                            "diverged (a bug worth reporting, with the run's run.json)")
    return ranks
