"""The `ganvas` command: parse flags, call the library, render progress, map errors to exit codes."""
from __future__ import annotations

import argparse
import importlib
import sys

from ..errors import GanvasError

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
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except GanvasError as exc:
        print(f"ganvas {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"ganvas {args.command}: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
