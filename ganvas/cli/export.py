"""`ganvas export RUN`: the generator as ONNX or TorchScript, for use outside ganvas."""
from __future__ import annotations

import argparse

from .sample import defaults_of


def add_parser(subparsers) -> None:
    from ..api import export
    from ..generate import EXPORT_FORMATS

    d = defaults_of(export)
    parser = subparsers.add_parser(
        "export", help="write a run's generator as ONNX or TorchScript",
        description="The exported model maps latents (and labels, for conditional runs) to images in [-1, 1].")
    parser.add_argument("run_dir", metavar="RUN", help="run folder written by `ganvas train`")
    parser.add_argument("--format", default=d["format"], choices=EXPORT_FORMATS,
                        help=f"file format (default: {d['format']})")
    parser.add_argument("--out", default=d["out"], help="output file (default: RUN/export/generator.<ext>)")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> None:
    from ..api import export

    print(export(args.run_dir, format=args.format, out=args.out))
