"""Quality per time of each network family: what each makes of a few hundred icons in the same minutes.

The protocol is benchmarks/smalldata.py's (its scorer, seeds, side-by-side option and memorisation
check), with one row per family at 64 and at 128 px, each on its own CPU recipe (ganvas.gan.presets).
Every row trains MINUTES minutes (GANVAS_BENCH_MINUTES overrides). The "auto" row is whichever family
`--arch auto` picks for this folder: it is the same run as that family's row, so it is scored from
that row rather than trained twice.
"""
from __future__ import annotations

import os
import sys

from . import oxygen, smalldata

ROWS = [  # the first row is the baseline the others are compared with
    ("dcgan", {"arch": "dcgan"}),
    ("dcgan --progressive", {"arch": "dcgan", "progressive": True}),
    ("msg", {"arch": "msg"}),
    ("stylegan2", {"arch": "stylegan2"}),
    ("resnet", {"arch": "resnet"}),
]
RESOLUTIONS = (64, 128)
MINUTES = 15.0
OUTPUT = smalldata.OUTPUT.parent / "archquality"
COLUMNS = ["config", "KID x1e3", f"KID vs {ROWS[0][0]}", "SWD x1e3", "NN ratio", "steps", "img/s"]


def auto_choice(resolution: int) -> str:
    """The family `--arch auto` trains on this benchmark's folder at this size."""
    from ganvas.config import TrainConfig
    from ganvas.gan import presets

    folder, n_images, _ = oxygen.build_folder(*oxygen.at_size(resolution))
    return presets.auto_arch(TrainConfig(data=str(folder), resolution=resolution), n_images, builtin=False)


def with_auto(rows: list[dict], choice: str) -> list[dict]:
    """The table's rows and an "auto" row that repeats the chosen family's numbers under its own name."""
    chosen = [row for row in rows if row["config"] == choice]
    if not chosen:
        raise ValueError(f"--arch auto picks {choice}, which has no row in this table")
    chosen = chosen[0]
    return [*rows, {**chosen, "config": f"auto (picks {choice})"}]


def run(resolution: int, quick: bool = False) -> tuple[list[dict], list[str]]:
    setup = smalldata.Setup(rows=tuple(ROWS), resolution=resolution, output=OUTPUT / f"{resolution}px")
    minutes = float(os.environ.get(smalldata.MINUTES_VARIABLE) or (smalldata.QUICK_MINUTES if quick else MINUTES))
    rows, notes = smalldata.run(quick, setup, minutes)
    choice = auto_choice(resolution)
    return with_auto(rows, choice), [*notes, f"auto: `--arch auto` on this folder trains {choice}"]


def main(quick: bool = False) -> None:
    from .table import print_icon_table

    for resolution in RESOLUTIONS:
        print_icon_table(f"Quality per time by family: Oxygen icons, {resolution} px (CPU)", COLUMNS,
                         lambda: run(resolution, quick))


if __name__ == "__main__":
    main("--quick" in sys.argv)
