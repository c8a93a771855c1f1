"""Opening a run over several processes: rank 0 opens the run folder; the others follow it and write nothing.

Rank 0 does everything `open_run` does alone (refuse, archive, prepare the data into the cache, write
run.json) and then sends the resolved config to the others, or its error, so they never wait for a
rank that has already given up. The data is then read from the cache: first by local rank 0 of every
other machine (a cache that is not shared is filled once per machine), then, after a barrier, by
everyone else.
"""
from __future__ import annotations

from pathlib import Path

from ..config import TrainConfig
from ..config.fields import from_dict, to_dict
from ..errors import GanvasError, ReportedElsewhere
from ..progress import Callback, silent
from ..runtime import Runtime
from .runfolder import Opened, open_run
from .runlog import NullLog


def open_shared(explicit: dict, *, resume: bool, force: bool, progress: Callback, runtime: Runtime) -> Opened:
    if not runtime.distributed:
        return open_run(explicit, resume=resume, force=force, progress=progress)
    if runtime.is_main:
        return _lead(explicit, resume, force, progress, runtime)
    return _follow(runtime)


def _lead(explicit: dict, resume: bool, force: bool, progress: Callback, runtime: Runtime) -> Opened:
    try:
        opened = open_run(explicit, resume=resume, force=force, progress=progress, world=runtime.world)
    except Exception as exc:
        runtime.broadcast_object({"error": str(exc) if isinstance(exc, GanvasError) else
                                  f"rank 0 could not open the run ({type(exc).__name__}: {exc})"})
        raise
    runtime.broadcast_object({"config": to_dict(opened.config), "resuming": opened.resuming,
                              "changed": opened.changed, "prepared_with": opened.prepared_with,
                              "fingerprint": opened.dataset.fingerprint})
    runtime.barrier()  # every other machine's local rank 0 has read (or filled) its cache
    return opened


def _follow(runtime: Runtime) -> Opened:
    shared = runtime.broadcast_object(None)
    if "error" in shared:
        raise ReportedElsewhere(shared["error"])
    cfg = from_dict(TrainConfig, shared["config"])
    dataset = _read_data(cfg, shared["prepared_with"]) if runtime.local_rank == 0 else None
    runtime.barrier()
    if dataset is None:
        dataset = _read_data(cfg, shared["prepared_with"])
    if dataset.fingerprint != shared["fingerprint"]:
        raise GanvasError(f"{cfg.data}: rank {runtime.rank} sees other images than rank 0; every machine "
                          "needs the same training images")
    return Opened(cfg, dataset, Path(cfg.out), NullLog(Path(cfg.out)), shared["resuming"], shared["changed"],
                  shared["prepared_with"])


def _read_data(cfg: TrainConfig, prepared_with: dict):
    from ..data import prepare

    return prepare(cfg.data, progress=silent, **prepared_with)
