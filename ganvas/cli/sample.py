"""`ganvas sample RUN`: write generated images as PNG files."""
from __future__ import annotations

import argparse
import inspect


def defaults_of(function) -> dict:
    """The keyword defaults of a library function, so the CLI never holds a second copy."""
    return {name: p.default for name, p in inspect.signature(function).parameters.items()
            if p.default is not inspect.Parameter.empty}


def add_parser(subparsers) -> None:
    from ..api import sample

    d = defaults_of(sample)
    parser = subparsers.add_parser(
        "sample", help="write generated images from a run as PNG files",
        description="Draw images from a run's EMA generator. Same seed, same images.")
    parser.add_argument("run_dir", metavar="RUN", help="run folder written by `ganvas train`")
    parser.add_argument("--n", type=int, default=d["n"], metavar="N", help=f"how many images (default: {d['n']})")
    parser.add_argument("--out", default=d["out"], help=f"output folder, or a .png file with --grid (default: {d['out']})")
    parser.add_argument("--grid", action="store_true", default=d["grid"], help="one grid image instead of one file each")
    parser.add_argument("--seed", type=int, default=d["seed"], metavar="S", help=f"latent seed (default: {d['seed']})")
    parser.add_argument("--truncation", type=float, default=d["truncation"], metavar="T",
                        help="truncation trick: redraw latent values beyond +-T; for stylegan2 runs, psi in W "
                             "(w_avg + T (w - w_avg); 0 gives the average image); lower is cleaner but less varied "
                             f"(default: {d['truncation']})")
    parser.add_argument("--style-mix", nargs=2, type=int, default=d["style_mix"], metavar=("SEED_A", "SEED_B"),
                        help="stylegan2 runs: write the style mixing grid instead, seed B's images with their coarse "
                             "styles given to seed A's (min(N, 8) from each)")
    parser.add_argument("--label", dest="labels", action="append", default=d["labels"], metavar="CLASS",
                        help="conditional runs: class name or index to draw (repeat for several; "
                             "default: every class in turn)")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> None:
    from ..api import sample
    from .display import Display

    with Display() as show:
        paths = sample(args.run_dir, n=args.n, out=args.out, grid=args.grid, seed=args.seed,
                       truncation=args.truncation, labels=args.labels, style_mix=args.style_mix, progress=show)
    if len(paths) == 1:
        print(paths[0])
    else:
        print(f"wrote {len(paths)} images to {paths[0].parent}" if paths else "wrote nothing")
