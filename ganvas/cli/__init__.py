"""The `ganvas` command: parse flags, call the library, render progress, map errors to exit codes."""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Callable

from ..errors import GanvasError, ReportedElsewhere

# Each command lives in its own module with `add_parser(subparsers)`; the parser it adds sets `run`.
COMMANDS = ("train", "sample", "interpolate", "export", "evaluate", "report", "stylize", "ui")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ganvas", description="Train GANs on your own images; stylise your photos.")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").add_parser(sub)
    return parser


def _version() -> str:
    from .. import __version__

    return f"ganvas {__version__}"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    return report_errors(args.command, lambda: args.run(args))


def report_errors(command: str, call: Callable[[], object]) -> int:
    """Run `call` and turn what goes wrong into an exit code and at most one line for the user.

    A GanvasError is its line (exit 2). In a process of a multi-process job, a rank that only noticed
    another rank's failure says so in one line (exit 3), and any other exception is written where
    torchrun reads the job's root cause, then raised as usual.
    """
    if "TORCHELASTIC_ERROR_FILE" in os.environ:
        from torch.distributed.elastic.multiprocessing.errors import record

        return record(_reported)(command, call)
    return _reported(command, call)


def _reported(command: str, call: Callable[[], object]) -> int:
    try:
        code = call()
    except ReportedElsewhere:
        return 2  # rank 0 prints it
    except GanvasError as exc:
        print(f"ganvas {command}: error: {_rank_prefix(always=False)}{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"ganvas {command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        from ..launch import LOST_CONTACT
        from ..runtime import lost_contact

        if not lost_contact(exc):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"ganvas {command}: {_rank_prefix(always=True)}stopped: another process failed or stopped "
              f"answering ({first[:160]})", file=sys.stderr)
        _leave_broken_group(LOST_CONTACT)
        return LOST_CONTACT
    return code if isinstance(code, int) else 0


def _leave_broken_group(code: int) -> None:
    """Exit now, in a launched worker, skipping the interpreter's teardown: gloo's threads may still hold
    the lost peer's connection, and freeing them at exit can abort the process, which would hide this
    rank's exit code (the launcher's clue to who failed first). The checkpoints are already on disk."""
    if os.environ.get("TORCHELASTIC_RUN_ID"):  # set by the launcher; an in-process caller gets the code back
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _rank_prefix(always: bool) -> str:
    """"rank R: " in a multi-process run (for rank 0 only when `always`), else nothing."""
    from ..runtime import launched_rank

    rank = launched_rank()
    return f"rank {rank}: " if int(os.environ.get("WORLD_SIZE", "1")) > 1 and (always or rank) else ""


if __name__ == "__main__":
    sys.exit(main())
