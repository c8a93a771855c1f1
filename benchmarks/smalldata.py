"""Small-data quality: what each training recipe makes of a few hundred images in the same minutes.

Protocol:
- data: the Oxygen icon folder of benchmarks/oxygen.py (about 270 icons at 64 px; ganvas composites
  their transparency onto white).
- each entry of ROWS: `ganvas.train` for MINUTES minutes (QUICK_MINUTES with --quick; the environment
  variable GANVAS_BENCH_MINUTES overrides both), seed 0, no TensorBoard, its own run folder
  outputs/bench/smalldata/<row>/, replaced on every run. GANVAS_BENCH_SIDE_BY_SIDE=2 trains two rows at
  once, one thread each, which halves the wall time on two cores. Options this ganvas does not have are dropped,
  and the table says which.
- scores, against the training images (all a small-data user has), from the run's EMA generator:
  KID (ganvas.metrics.kid, unbiased, on the Inception pool3 features ganvas's evaluation uses, fp32,
  bilinear resize), SWD (ganvas.metrics.swd at evaluation settings) and the NN ratio of
  benchmarks/memorisation.py in the same Inception features.
- N generated images per row: max(2 x training images, 500); with --quick, as many as the training
  images, because Inception runs at only a few images per second on two cores.
- each row's first 64 images (the same latents for every row) are saved as grid.png in its run folder.
The cost of each recipe per training step is benchmarks/stepcost.py.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import statistics
import sys
import time
from pathlib import Path

import torch

from ganvas.config import EvalConfig, TrainConfig

from . import oxygen
from .memorisation import nn_ratio

CLASSIC = {"width": 64, "batch_size": 64, "r1_gamma": 0.0, "beta1": 0.5}  # 0.1's recipe apart from augmentation
ROWS = [  # name, ganvas.train options; the first row is the baseline the others are compared with
    ("0.1 defaults", {**CLASSIC, "augment": "none"}),
    ("DiffAugment", {**CLASSIC, "augment": "diffaugment", "augment_policy": ("color", "translation", "cutout")}),
    ("ADA", {**CLASSIC, "augment": "ada", "ada_target": 0.6}),
    ("width 32, no augmentation", {**CLASSIC, "width": 32, "augment": "none"}),
    ("DiffAugment, width 32, batch 64", {**CLASSIC, "width": 32, "augment": "diffaugment"}),
    ("new defaults", {}),
]
MINUTES = 10.0
QUICK_MINUTES = 1.0
MINUTES_VARIABLE = "GANVAS_BENCH_MINUTES"
SIDE_BY_SIDE_VARIABLE = "GANVAS_BENCH_SIDE_BY_SIDE"
SEED = 0
RESOLUTION = 64
MIN_GENERATED = 500
GRID = 64
OUTPUT = Path(__file__).resolve().parents[1] / "outputs" / "bench" / "smalldata"
TITLE = "Small-data quality: Oxygen icons, 64 px (CPU)"
VERSUS = f"KID vs {ROWS[0][0]}"
COLUMNS = ["config", "KID x1e3", VERSUS, "SWD x1e3", "NN ratio", "steps", "img/s"]


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def supported_options(options: dict) -> tuple[dict, list[str]]:
    """The options this ganvas's TrainConfig knows, and the names of those it does not."""
    known = {field.name for field in dataclasses.fields(TrainConfig)}
    return {k: v for k, v in options.items() if k in known}, sorted(set(options) - known)


def dropped_note(rows=ROWS) -> str:
    dropped = {name: supported_options(options)[1] for name, options in rows}
    listed = "; ".join(f"{name}: {', '.join(keys)}" for name, keys in dropped.items() if keys)
    return f"options this ganvas lacks, dropped: {listed}" if listed else "every row's options were applied"


def minutes_per_row(quick: bool) -> float:
    return float(os.environ.get(MINUTES_VARIABLE) or (QUICK_MINUTES if quick else MINUTES))


def say(message: str) -> None:
    # Progress goes to stderr, so `make bench > tables.txt` keeps only the tables.
    print(f"smalldata: {message}", file=sys.stderr, flush=True)


def side_by_side() -> int:
    """Rows trained at once, each on one thread (GANVAS_BENCH_SIDE_BY_SIDE; 1 by default: one row at a
    time on every thread). Every row still gets the same minutes under the same conditions."""
    return max(1, int(os.environ.get(SIDE_BY_SIDE_VARIABLE) or 1))


@dataclasses.dataclass(frozen=True)
class Setup:
    """What one table trains on: its rows, the icons' size and where its runs go."""
    rows: tuple = tuple(ROWS)
    resolution: int = RESOLUTION
    output: Path = OUTPUT


def train_rows(setup: Setup, folder: Path, minutes: float) -> dict[str, tuple[Path, dict]]:
    workers = side_by_side()
    if workers == 1:
        return {name: train_row(setup, name, options, folder, minutes) for name, options in setup.rows}
    import concurrent.futures
    import multiprocessing

    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {name: pool.submit(train_row, setup, name, {**options, "threads": 1}, folder, minutes)
                   for name, options in setup.rows}
        return {name: future.result() for name, future in futures.items()}


def train_row(setup: Setup, name: str, options: dict, folder: Path, minutes: float) -> tuple[Path, dict]:
    """Train one row into its own run folder; returns the folder and ganvas's summary."""
    from ganvas import train

    run = setup.output / slug(name)
    if run.exists():
        shutil.rmtree(run)  # force=True alone would keep the old run beside it, one per rerun
    kept, dropped = supported_options(options)
    say(f"training {name!r} for {minutes:g} min" + (f" (dropped: {', '.join(dropped)})" if dropped else ""))
    summary = train(data=str(folder), out=str(run), resolution=setup.resolution, seed=SEED, minutes=minutes,
                    tensorboard=False, force=True, **kept)
    return run, summary


def median_img_per_s(run: Path) -> float:
    """Steady training speed: the median of the run's records, so the few intervals that also saved a
    checkpoint or a sample grid do not set it."""
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    speeds = [r["img_per_s"] for r in records if "img_per_s" in r]
    return statistics.median(speeds) if speeds else float("nan")


def generate(run: Path, n: int, seed: int = SEED) -> torch.Tensor:
    """n uint8 images from the run's EMA generator. The one place that knows where ganvas keeps these
    helpers, which may move."""
    from ganvas.generate import render
    from ganvas.runs import load_generator

    G, spec = load_generator(run, which="ema")
    return render(G, spec, n=n, seed=seed)


def save_grid(images: torch.Tensor, path: Path) -> None:
    from ganvas.pixels import tile, to_pil

    to_pil(tile(images[:GRID], nrow=8)).save(path)


class Scorer:
    """KID, SWD and NN ratio against one fixed set of training images; Inception is loaded once."""

    def __init__(self, real: torch.Tensor):
        from ganvas.metrics.inception import load_inception
        from ganvas.metrics.reference import reference_features

        self.protocol = EvalConfig()
        self.real = real
        self.net = load_inception()
        self.real_features = reference_features(real, self.net, resize=self.protocol.resize,
                                                precision=self.protocol.precision)

    def kid_subset_size(self, n_generated: int) -> int:
        return min(self.protocol.kid_subset_size, len(self.real), n_generated)

    def __call__(self, fake: torch.Tensor) -> dict:
        from ganvas.metrics.features import extract_features
        from ganvas.metrics.kid import kid
        from ganvas.metrics.protocol import SWD_DIRECTIONS, SWD_PATCHES
        from ganvas.metrics.swd import swd_levels

        features = extract_features(fake, len(fake), self.net, resize=self.protocol.resize,
                                    precision=self.protocol.precision, task="generated features")
        kid_mean, kid_std = kid(self.real_features, features, subsets=self.protocol.kid_subsets,
                                subset_size=self.kid_subset_size(len(fake)), seed=SEED)
        levels = swd_levels(self.real, fake, seed=SEED, patches_per_image=SWD_PATCHES, directions=SWD_DIRECTIONS)
        return {"kid": kid_mean, "kid_std": kid_std, "swd": sum(levels.values()) / len(levels),
                "nn_ratio": nn_ratio(features, self.real_features)}


def generated_count(n_training: int, quick: bool) -> int:
    return n_training if quick else max(2 * n_training, MIN_GENERATED)


def table_row(name: str, result: dict, baseline: dict, versus: str = VERSUS) -> dict:
    ratio = f"{result['kid'] / baseline['kid']:.2f}x" if baseline["kid"] > 0 else "n/a (baseline KID <= 0)"
    return {"config": name, "KID x1e3": f"{result['kid'] * 1e3:.2f} ± {result['kid_std'] * 1e3:.2f}",
            versus: ratio, "SWD x1e3": f"{result['swd'] * 1e3:.1f}",
            "NN ratio": f"{result['nn_ratio']:.3f}", "steps": result["steps"], "img/s": f"{result['img_per_s']:.1f}"}


def run(quick: bool = False, setup: Setup = Setup(), minutes: float | None = None) -> tuple[list[dict], list[str]]:
    """Train and score every row; returns the table's rows and its notes."""
    from ganvas.data import prepare

    folder, _, duplicates = oxygen.build_folder(*oxygen.at_size(setup.resolution))
    real = prepare(str(folder), resolution=setup.resolution).images
    n_generated = generated_count(len(real), quick)
    minutes = minutes or minutes_per_row(quick)
    say(f"{len(real)} training icons in {folder}; loading Inception")
    scorer = Scorer(real)
    results = {}
    started = time.perf_counter()
    setup.output.mkdir(parents=True, exist_ok=True)
    trained = train_rows(setup, folder, minutes)
    for name, options in setup.rows:
        run_folder, summary = trained[name]
        say(f"scoring {name!r} on {n_generated} generated images")
        fake = generate(run_folder, n_generated)
        save_grid(fake, run_folder / "grid.png")
        results[name] = {**scorer(fake), "steps": summary["step"], "img_per_s": median_img_per_s(run_folder),
                         "run": str(run_folder), "options": supported_options(options)[0],
                         "dropped": supported_options(options)[1],
                         "seconds since the start": round(time.perf_counter() - started, 1)}
    write_results(setup.output, results, minutes, n_generated, len(real))
    baseline = results[setup.rows[0][0]]
    versus = f"KID vs {setup.rows[0][0]}"
    rows = [table_row(name, result, baseline, versus) for name, result in results.items()]
    return rows, notes(setup, minutes, n_generated, len(real), duplicates, scorer.kid_subset_size(n_generated))


def notes(setup: Setup, minutes: float, n_generated: int, n_training: int, duplicates: int,
          kid_subset: int) -> list[str]:
    protocol = EvalConfig()
    return [
        f"each row: ganvas.train for {minutes:g} min at {setup.resolution} px, seed {SEED}; steps and img/s are "
        "what it reached (img/s: median of its records)" + (f"; {side_by_side()} rows at a time, one thread each"
                                                     if side_by_side() > 1 else ""),
        f"data: {n_training} Oxygen icons ({', '.join(oxygen.CATEGORIES)}; {duplicates} near-duplicates left out), "
        "transparency composited onto white by ganvas",
        f"scored from the EMA generator: N = {n_generated} generated images against the {n_training} training images",
        f"KID: unbiased MMD^2 x1e3 ± std over {protocol.kid_subsets} subsets of {kid_subset}, Inception pool3 "
        f"({protocol.precision}, {protocol.resize}); {VERSUS}: lower is better",
        "SWD: ganvas.metrics.swd at evaluation settings, mean over pyramid levels, x1e3",
        "NN ratio: mean Inception distance generated -> nearest training image, over training -> nearest other "
        "training image; ~0: copies, ~1: as novel as the data",
        dropped_note(setup.rows),
        f"grids and runs: {setup.output}/<row>/grid.png; numbers: {setup.output}/results.json",
    ]


def write_results(output: Path, results: dict, minutes: float, n_generated: int, n_training: int) -> None:
    record = {"minutes": minutes, "n_generated": n_generated, "n_training": n_training, "rows": results}
    (output / "results.json").write_text(json.dumps(record, indent=1, default=list) + "\n")


def main(quick: bool = False) -> None:
    from .table import print_icon_table

    print_icon_table(TITLE, COLUMNS, lambda: run(quick))


if __name__ == "__main__":
    main("--quick" in sys.argv)
