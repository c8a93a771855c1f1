"""`--nproc N`: the same command again in N processes on this machine, through PyTorch's elastic launcher.

This is what `torchrun --standalone --nproc-per-node N -m ganvas ...` does, called in-process, so the
workers get the environment torchrun gives them (RANK, LOCAL_RANK, WORLD_SIZE, a rendezvous on a free
port) and torchrun's failure handling: when one worker fails, the agent stops the others. What this
adds is the one line that says which rank failed first and why, instead of the agent's report.
"""
from __future__ import annotations

import logging
import os
import signal
from typing import Optional

# Exit codes of a ganvas worker: a user error (printed by the worker), and a rank that stopped because
# another one failed (it printed one line too). Anything else is the rank that failed first.
USER_ERROR, LOST_CONTACT, INTERRUPTED = 2, 3, 130


def without_nproc(argv: list[str]) -> list[str]:
    """`argv` less its --nproc flag, so the workers run the command itself."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--nproc":
            skip = True
        elif not arg.startswith("--nproc="):
            out.append(arg)
    return out


def launch(nproc: int, program: list[str]) -> tuple[int, Optional[str]]:
    """Run `python <program>` (e.g. ["-m", "ganvas", "train", ...]) in `nproc` local processes.

    Returns (exit code, one line about the failure or None). Each process gets an equal share of the
    CPU threads unless OMP_NUM_THREADS says otherwise.
    """
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import get_args_parser, run

    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    _quiet_agent()
    args = get_args_parser().parse_args(["--standalone", "--nproc-per-node", str(nproc), "--max-restarts", "0",
                                         *program])
    try:
        run(args)
    except ChildFailedError as exc:
        return describe(exc.failures)
    except SignalException:  # Ctrl-C or SIGTERM: the agent passed it on, and the workers saved and stopped
        return INTERRUPTED, None
    return 0, None


def _quiet_agent() -> None:
    """The agent logs every signal and exit code it handles; the command's own lines say what matters."""
    for name in list(logging.Logger.manager.loggerDict):
        if name.startswith("torch.distributed.elastic") or name.startswith("torch.distributed.launcher"):
            logging.getLogger(name).setLevel(logging.CRITICAL)


def describe(failures: dict) -> tuple[int, Optional[str]]:
    """The exit code and line for a failed job: the root cause, not the ranks it took down with it.

    A rank that crashed comes first; then a user error (the worker has printed it); then a rank killed
    by a signal of its own (the OOM killer's SIGKILL, a SIGSEGV); last one that the agent stopped with
    SIGTERM, which it sends the survivors of a failure.
    """
    codes = {rank: failure.exitcode for rank, failure in failures.items()}
    crashed = [rank for rank, code in codes.items() if code > 0 and code not in (USER_ERROR, LOST_CONTACT)]
    signalled = [rank for rank, code in codes.items() if code < 0]
    if crashed:
        rank = min(crashed)
    elif USER_ERROR in codes.values():
        return USER_ERROR, None
    elif signalled:
        rank = min(signalled, key=lambda r: (codes[r] == -signal.SIGTERM, r))
    else:
        return LOST_CONTACT, None
    failure = failures[rank]
    if failure.exitcode < 0:
        name = signal.Signals(-failure.exitcode).name
        silent = LOST_CONTACT in codes.values()
        why = f"stopped answering, then was ended by {name}" if silent else f"killed by {name}"
    elif failure.error_file_data:  # written by the worker's `record`: "Type: message"
        message = failure.message.get("message", "") if isinstance(failure.message, dict) else failure.message
        why = (str(message).strip().splitlines() or [f"exit code {failure.exitcode}"])[0]
    else:
        why = f"exit code {failure.exitcode}"
    return 1, f"rank {rank} failed ({why}); the other processes were stopped"
