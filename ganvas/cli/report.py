"""`ganvas report RUN [--out FILE]`: one self-contained HTML page about a training run."""
from __future__ import annotations

import argparse

from .display import Display


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "report", help="write one self-contained HTML page about a run",
        description="Write one HTML page (no external URLs) with a run's config, loss curves, metrics over "
                    "time, sample grids, diagnostics timeline and final metrics with their protocol.")
    parser.add_argument("run_dir", metavar="RUN", help="run folder written by `ganvas train`")
    parser.add_argument("--out", default=None, help="HTML file to write (default: RUN/report.html)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> None:
    # Imported here so `ganvas --help` stays quick and other commands don't pay for matplotlib.
    from ..api import report

    with Display() as show:
        path = report(args.run_dir, out=args.out, progress=show)
    print(path)
