"""`ganvas train SOURCE --out RUN`: flags come from TrainConfig."""
from __future__ import annotations

import argparse
import os

from ..config import TrainConfig, archs
from ..config.fields import field_default
from .args import add_config_flags


def add_parser(sub) -> None:
    # Raw description and epilog: the architectures' table keeps one line per family.
    parser = sub.add_parser("train", help="train a GAN on a folder, a .zip or a built-in dataset",
                            description="Train a GAN. Stop any time with Ctrl-C; continue with --resume.",
                            epilog=archs.table(), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", nargs="?", default=None,
                        help="image folder, .zip, or built-in name: shapes, fashion-mnist, mnist "
                             f"(default: {field_default(TrainConfig, 'data')}, or the run's own when resuming)")
    parser.add_argument("--out", default=field_default(TrainConfig, "out"), help="run folder (default: %(default)s)")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out to its target")
    parser.add_argument("--force", action="store_true",
                        help="start a new run even if --out holds another (the old one is kept beside it)")
    parser.add_argument("--nproc", type=int, default=None, metavar="N",
                        help="train in N processes on this machine (one per GPU, or CPU groups), through "
                             "torchrun; the same as `torchrun --nproc-per-node N -m ganvas train ...`")
    add_config_flags(parser, TrainConfig)
    parser.set_defaults(run=run)


def run(args) -> int:
    if args.nproc is not None and args.nproc > 1 and "WORLD_SIZE" not in os.environ:
        return _relaunch(args)
    from ..api import train
    from ..progress import silent
    from ..runtime import launched_rank
    from .display import Display

    names = {"data", "out"} | set(TrainConfig.__dataclass_fields__)
    options = {k: v for k, v in vars(args).items() if k in names and v is not None}
    options = {k: tuple(v) if isinstance(v, list) else v for k, v in options.items()}
    if launched_rank() != 0:  # rank 0 alone reports progress
        train(resume=args.resume, force=args.force, progress=silent, **options)
        return 0
    with Display() as show:
        train(resume=args.resume, force=args.force, progress=show, **options)
    return 0


def _relaunch(args) -> int:
    """Run this command in --nproc processes; one line on stderr when they failed (the workers print
    their own user errors)."""
    import sys

    from ..launch import INTERRUPTED, USER_ERROR, launch, without_nproc

    code, line = launch(args.nproc, ["-m", "ganvas", *without_nproc(args.argv)])
    if code == INTERRUPTED:
        print(f"ganvas train: interrupted; continue with --resume (run folder {args.out})", file=sys.stderr)
    elif code and code != USER_ERROR:
        print(f"ganvas train: error: {line or 'a process stopped answering'}; the run folder {args.out} keeps its "
              "last checkpoint: continue with --resume", file=sys.stderr)
    return code
