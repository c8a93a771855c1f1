"""What each small-data recipe costs per training step, as % of the 0.1-defaults step.

Protocol: the rows of benchmarks/smalldata.py, plus R1 alone, each trained for STEPS steps (QUICK_STEPS
with --quick) on the same Oxygen icons at 64 px, seed 0, with sampling, checkpoints and the in-loop
metric moved past the end. A step's time is read from ganvas's own img/s records, LOG_EVERY steps
each, leaving out the first record (it holds the warm-up). The rows run one after another, so a busy
moment on a shared machine lands on whichever row is running: rerun before trusting a few %.
"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

from . import oxygen
from .smalldata import RESOLUTION, ROWS, SEED, dropped_note, say, slug, supported_options

# R1 costs the same at any positive gamma (one extra backward through D), so 1.0 stands for all.
STEP_ROWS = ROWS + [("R1 alone", {"augment": "none", "r1_gamma": 1.0, "beta1": 0.5})]
STEPS = 30
QUICK_STEPS = 20
LOG_EVERY = 10
NEVER = 10**9
TITLE = "Small-data recipes: cost of a training step (CPU)"
COLUMNS = ["config", "ms/step", "% of 0.1 defaults"]


def ms_per_step(name: str, options: dict, folder: Path, steps: int, scratch: Path) -> float:
    from ganvas import train

    kept, _ = supported_options(options)
    out = scratch / slug(name)
    train(data=str(folder), out=str(out), resolution=RESOLUTION, seed=SEED, steps=steps, log_every=LOG_EVERY,
          sample_every=NEVER, checkpoint_every=NEVER, eval_every=NEVER, tensorboard=False, **kept)
    config = json.loads((out / "run.json").read_text())["config"]
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line.strip()]
    speeds = [r["img_per_s"] for r in records if "img_per_s" in r][1:]
    return 1000.0 * config["batch_size"] / statistics.median(speeds)


def run(quick: bool = False) -> tuple[list[dict], list[str]]:
    folder, _, _ = oxygen.build_folder()
    steps = QUICK_STEPS if quick else STEPS
    timings = {}
    with tempfile.TemporaryDirectory(prefix="ganvas-stepcost-") as tmp:
        for name, options in STEP_ROWS:
            say(f"timing {steps} steps of {name!r}")
            timings[name] = ms_per_step(name, options, folder, steps, Path(tmp))
    baseline = timings[STEP_ROWS[0][0]]
    rows = [{"config": name, "ms/step": f"{ms:.0f}", "% of 0.1 defaults": f"{100 * ms / baseline:.0f}%"}
            for name, ms in timings.items()]
    notes = [f"{steps} steps per row at {RESOLUTION} px on the Oxygen icons; median of {LOG_EVERY}-step records "
             "after the first; sampling, checkpoints and the in-loop metric excluded",
             "ADA's cost grows with its augmentation probability p, which starts at 0: this is its early-run floor",
             dropped_note(STEP_ROWS)]
    return rows, notes


def main(quick: bool = False) -> None:
    from .table import print_icon_table

    print_icon_table(TITLE, COLUMNS, lambda: run(quick))


if __name__ == "__main__":
    main("--quick" in sys.argv)
