"""`make bench`: every benchmark table, measured in one run on this machine."""
from __future__ import annotations

import argparse

from . import archquality, archs, gan, machine, scaling, smalldata, stepcost, style
from .table import print_table


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="fewer steps, smaller images: a smoke run")
    parser.add_argument("--only", choices=("gan", "scaling", "style", "smalldata", "stepcost", "archs",
                                           "archquality"),
                        help="run one benchmark (smalldata: its quality table and its step-cost table)")
    args = parser.parse_args()
    print(machine.describe())
    if args.only in (None, "gan"):
        print_table("GAN training and sampling (CPU)", gan.run(args.quick))
    if args.only in (None, "scaling"):
        print_table("Scaling out on the CPU: processes against threads (torchrun, gloo)", scaling.run(args.quick))
    if args.only in (None, "style"):
        print_table("Style transfer (CPU)", style.run(args.quick))
    if args.only in (None, "smalldata"):
        smalldata.main(args.quick)
    if args.only in (None, "smalldata", "stepcost"):
        stepcost.main(args.quick)
    if args.only in (None, "archs"):
        archs.main(args.quick)
    if args.only in (None, "archquality"):
        archquality.main(args.quick)


if __name__ == "__main__":
    main()
