"""`ganvas interpolate RUN`: a looping walk through latent space, as a GIF or MP4."""
from __future__ import annotations

import argparse

from .sample import defaults_of


def add_parser(subparsers) -> None:
    from ..api import interpolate

    d = defaults_of(interpolate)
    parser = subparsers.add_parser(
        "interpolate", help="write a looping latent-space walk as a GIF or MP4",
        description="Spherical interpolation through several random latents, back to the first.")
    parser.add_argument("run_dir", metavar="RUN", help="run folder written by `ganvas train`")
    parser.add_argument("--out", default=d["out"], help=f".gif or .mp4 file (default: {d['out']})")
    parser.add_argument("--keys", type=int, default=d["keys"], help=f"latents to pass through (default: {d['keys']})")
    parser.add_argument("--frames", type=int, default=d["frames"],
                        help=f"frames from one latent to the next (default: {d['frames']})")
    parser.add_argument("--seed", type=int, default=d["seed"], help=f"latent seed (default: {d['seed']})")
    parser.add_argument("--fps", type=int, default=d["fps"], help=f"frames per second (default: {d['fps']})")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> None:
    from ..api import interpolate
    from .display import Display

    with Display() as show:
        path = interpolate(args.run_dir, out=args.out, keys=args.keys, frames=args.frames, seed=args.seed,
                           fps=args.fps, progress=show)
    print(path)
