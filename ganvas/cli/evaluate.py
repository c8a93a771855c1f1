"""`ganvas evaluate RUN`: score a trained generator with FID, KID, precision/recall and SWD."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..config.evaluate import EvalConfig
from .args import add_config_flags, config_from_args


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate", help="score a run: FID, KID, precision/recall, SWD, each with its protocol",
        description="Generate N images from a run and compare them with reference images. "
                    "Every number is printed beside the protocol that produced it.")
    # `run` is taken by the command's callback, so the folder goes to `run_dir`.
    parser.add_argument("run_dir", metavar="RUN", help="run folder written by `ganvas train`")
    add_config_flags(parser, EvalConfig)
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> None:
    from ..api import evaluate
    from .display import Display

    config = config_from_args(EvalConfig, args, run=args.run_dir)
    with Display() as show:
        results = evaluate(config.run, config=config, progress=show)
    print_results(results)


def print_results(results: dict) -> None:
    """One table of numbers, then the protocol every number depends on."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"ganvas evaluate {results.get('run', '')}".strip())
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("detail")
    for name, entry in results["metrics"].items():
        table.add_row(name, f"{entry['value']:.4g}", _detail(entry))
    protocol = Table(title="protocol", show_header=False)
    protocol.add_column("setting")
    protocol.add_column("value")
    for key, value in results["protocol"].items():
        protocol.add_row(key, str(value))
    console = Console(highlight=False)
    console.print(table)
    console.print(protocol)
    saved = [Path(results["run"]) / "evaluation.json"] if results.get("run") else []
    saved += [Path(results["json"])] if results.get("json") else []
    saved = list({path.resolve(): path for path in saved}.values())  # --json may name the run's own file
    if saved:
        console.print(f"saved to {' and '.join(map(str, saved))}")


def _detail(entry: dict) -> str:
    parts = []
    for key, value in entry.items():
        if key == "value":
            continue
        if isinstance(value, dict):
            value = " ".join(f"{k}:{v:.4g}" for k, v in value.items())
        elif isinstance(value, float):
            value = f"{value:.3g}"
        parts.append(f"{key} {value}")
    return ", ".join(parts)
