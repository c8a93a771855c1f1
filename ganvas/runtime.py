"""One process or many: rank, world and the few collectives training needs, made once from torchrun's
environment.

`Runtime.from_env()` reads what torchrun (or any elastic launcher) sets: RANK, LOCAL_RANK and
WORLD_SIZE. Without them, or with a world of one, it is a single process and every collective below
returns its input untouched, so a one-process run does exactly what it did before ganvas knew of
ranks. With more, it joins the process group: NCCL on GPUs (device cuda:LOCAL_RANK, with gloo beside
it for the small CPU decisions), gloo on CPUs. The group's timeout bounds every wait: a rank that dies
or hangs ends the whole job instead of leaving the others waiting for ever.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Mapping, Optional

import torch

DEFAULT_TIMEOUT_S = 300.0
# Rank r's random stream starts from seed + r * this prime, so nearby seeds never share a rank's stream.
RANK_SEED_STRIDE = 1_000_003


def launched_rank(environ: Mapping[str, str] = os.environ) -> int:
    """This process's rank as the launcher set it (0 when not launched), without touching torch."""
    return int(environ.get("RANK", "0")) if int(environ.get("WORLD_SIZE", "1")) > 1 else 0


# How gloo and NCCL say that another rank is gone or silent (gloo raises plain RuntimeErrors).
_PEER_LOST = ("Connection closed by peer", "Connection reset by peer", "Timed out waiting", "/gloo/", "NCCL")


def lost_contact(exc: BaseException) -> bool:
    """Whether `exc` is this rank noticing that another rank failed, rather than a failure of its own."""
    import sys

    dist = sys.modules.get("torch.distributed")
    if dist is not None and isinstance(exc, getattr(dist, "DistError", ())):
        return True
    return isinstance(exc, RuntimeError) and any(sign in str(exc) for sign in _PEER_LOST)


def _rank_device(device: str, local_rank: int, rank: int) -> torch.device:
    """cuda:LOCAL_RANK when the run is on GPUs, else the CPU."""
    from .device import pick_device
    from .errors import GanvasError, ReportedElsewhere

    try:
        chosen = pick_device(device)
    except GanvasError as exc:  # the same on every rank: rank 0 says it
        raise (exc if rank == 0 else ReportedElsewhere(str(exc))) from None
    if chosen.type != "cuda":
        return torch.device("cpu")
    if local_rank >= torch.cuda.device_count():
        raise GanvasError(f"local rank {local_rank} has no GPU of its own ({torch.cuda.device_count()} "
                          "visible); start at most one process per GPU, or train on the CPU with --device cpu")
    return torch.device("cuda", local_rank)


@dataclass(frozen=True)
class Runtime:
    rank: int = 0
    local_rank: int = 0
    world: int = 1
    device: Optional[torch.device] = None  # None in one process: the run's --device decides
    backend: str = ""                      # "gloo" or "nccl" when distributed
    owns_group: bool = field(default=False, compare=False)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1

    @classmethod
    def from_env(cls, device: str = "auto", timeout_s: float = DEFAULT_TIMEOUT_S,
                 environ: Mapping[str, str] = os.environ) -> "Runtime":
        world = int(environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls()
        import torch.distributed as dist

        rank = int(environ["RANK"])
        local_rank = int(environ.get("LOCAL_RANK", rank))
        where = _rank_device(device, local_rank, rank)
        cuda = where.type == "cuda"
        owns = not dist.is_initialized()
        if owns:
            if cuda:
                torch.cuda.set_device(where)
            # Decisions and checkpoint gathers are CPU tensors; on GPUs they go through gloo, so a
            # stop flag never waits on the GPU's queue.
            dist.init_process_group("cpu:gloo,cuda:nccl" if cuda else "gloo", timeout=timedelta(seconds=timeout_s),
                                    device_id=where if cuda else None)
        return cls(rank, local_rank, world, where, "nccl" if cuda else "gloo", owns)

    def close(self, together: bool = False) -> None:
        """Leave the process group; `together`: first wait for every rank, so none tears its connections
        down while another still talks on them (gloo's threads abort the process if that happens)."""
        if self.owns_group:
            import torch.distributed as dist

            if dist.is_initialized():
                if together:
                    try:
                        dist.barrier()
                    except Exception:  # a peer already gone: nothing left to wait for
                        pass
                dist.destroy_process_group()

    def __enter__(self) -> "Runtime":
        return self

    def __exit__(self, exc_type, *rest) -> None:
        self.close(together=exc_type is None)

    def rank_seed(self, seed: int) -> int:
        """The seed of this rank's random stream (latents, augmentation); the run's seed in one process."""
        return seed + RANK_SEED_STRIDE * self.rank

    # -- collectives: identities in one process --------------------------------------------------
    def all_reduce_mean(self, tensor: torch.Tensor) -> torch.Tensor:
        if not self.distributed:
            return tensor
        import torch.distributed as dist

        total = tensor.detach().clone()
        dist.all_reduce(total)
        return total / self.world

    def all_reduce_sum(self, tensor: torch.Tensor) -> torch.Tensor:
        if not self.distributed:
            return tensor
        import torch.distributed as dist

        total = tensor.detach().clone()
        dist.all_reduce(total)
        return total

    def all_reduce_max(self, value: int) -> int:
        """The largest of every rank's `value` (an int on the CPU: no GPU sync)."""
        if not self.distributed:
            return value
        import torch.distributed as dist

        flag = torch.tensor([value], dtype=torch.int64)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return int(flag)

    def broadcast_object(self, obj: Any, src: int = 0) -> Any:
        """Rank `src`'s `obj` on every rank (plain data: it is pickled between our own processes)."""
        if not self.distributed:
            return obj
        import torch.distributed as dist

        box = [obj if self.rank == src else None]
        dist.broadcast_object_list(box, src=src, device=torch.device("cpu"))
        return box[0]

    def all_gather_object(self, obj: Any) -> list:
        if not self.distributed:
            return [obj]
        import torch.distributed as dist

        gathered: list = [None] * self.world
        dist.all_gather_object(gathered, obj)
        return gathered

    def barrier(self) -> None:
        # An all-reduce of one CPU number: it works on gloo and beside NCCL alike, and needs no device id.
        self.all_reduce_max(0)

    def error(self, message: str) -> Exception:
        """An error every rank raises together: rank 0 reports it, the others end quietly."""
        from .errors import GanvasError, ReportedElsewhere

        return GanvasError(message) if self.is_main else ReportedElsewhere(message)

    def describe(self) -> str:
        if not self.distributed:
            return "1 process"
        return f"{self.world} processes ({self.backend}, this is rank {self.rank} on {self.device})"


SINGLE = Runtime()
