"""Charts of a run's metric records: the loss curves written during training, and metrics for the report.

Figures are built on matplotlib's object API with the Agg canvas, never pyplot, so plotting keeps no
global state, needs no display and is safe beside other work in the same process.
"""
from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import Iterable, Optional

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .io import atomic_write_bytes

MAX_POINTS = 2000  # more points than pixels only costs time
_EVENT_COLOURS = {"mode_collapse": "tab:purple", "d_overpowering": "tab:red", "divergence": "black",
                  "no_progress": "tab:gray", "rollback": "tab:brown", "recovered": "tab:green",
                  "lr_drop": "tab:blue"}


def train_records(records: Iterable[dict]) -> list[dict]:
    """The per-interval training records (eval records carry an "eval" dict instead of losses)."""
    return [r for r in records if "eval" not in r and "step" in r]


def eval_series(records: Iterable[dict]) -> dict[str, tuple[list[int], list[float]]]:
    """{metric: (steps, values)} from records like {"step": 1000, "eval": {"swd": 0.12}}."""
    series: dict[str, tuple[list[int], list[float]]] = {}
    for record in records:
        for name, value in (record.get("eval") or {}).items():
            if isinstance(value, (int, float)):
                steps, values = series.setdefault(name, ([], []))
                steps.append(record.get("step", 0))
                values.append(float(value))
    return series


def _column(records: list[dict], key: str) -> tuple[list[int], list[float]]:
    steps, values = [], []
    for record in records:
        value = record.get(key)
        if isinstance(value, (int, float)) and value is not True and value is not False:
            steps.append(record["step"])
            values.append(float(value) if math.isfinite(value) else math.nan)
    return steps, values


def _thin(steps: list, values: list) -> tuple[list, list]:
    stride = max(1, math.ceil(len(steps) / MAX_POINTS))
    return steps[::stride], values[::stride]


def _smooth(values: list[float], width: int) -> list[float]:
    """Trailing moving average that skips NaNs, so the trend shows through the oscillation."""
    out, window = [], []
    for value in values:
        window.append(value)
        if len(window) > width:
            window.pop(0)
        finite = [v for v in window if math.isfinite(v)]
        out.append(sum(finite) / len(finite) if finite else math.nan)
    return out


def _curves(ax, records: list[dict], keys: dict[str, str], smooth: bool, legend: str = "upper right") -> bool:
    drawn = False
    for key, label in keys.items():
        steps, values = _thin(*_column(records, key))
        if not steps:
            continue
        if smooth and len(values) > 20:
            line, = ax.plot(steps, values, linewidth=0.7, alpha=0.35)
            ax.plot(steps, _smooth(values, max(3, len(values) // 25)), color=line.get_color(), linewidth=1.6,
                    label=label)
        else:
            ax.plot(steps, values, linewidth=1.2, label=label)
        drawn = True
    if drawn:
        ax.legend(loc=legend, fontsize=8, frameon=False)
    return drawn


def _mark_events(axes, events: Iterable[dict]) -> None:
    for event in events:
        name, step = str(event.get("event", "?")), event.get("step", 0)
        colour = _EVENT_COLOURS.get(name, "tab:olive")
        for ax in axes:
            ax.axvline(step, color=colour, linewidth=0.9, linestyle="--", alpha=0.8)
        axes[0].annotate(name, (step, 1), xycoords=("data", "axes fraction"), rotation=90, fontsize=7,
                         color=colour, ha="right", va="top", xytext=(-2, -2), textcoords="offset points")


def _eval_panel(ax, series: dict[str, tuple[list[int], list[float]]]) -> None:
    for name, (steps, values) in sorted(series.items()):
        ax.plot(steps, values, marker="o", markersize=3, linewidth=1.2, label=name)
    every = [v for _, values in series.values() for v in values if math.isfinite(v)]
    # Metrics of different kinds differ by orders of magnitude; a log axis keeps each readable.
    if len(series) > 1 and every and min(every) > 0 and max(every) / min(every) > 20:
        ax.set_yscale("log")
    ax.set_ylabel("eval (lower is better)")
    ax.legend(loc="upper right", fontsize=8, frameon=False)


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def losses_png(records: list[dict], events: Iterable[dict] = ()) -> bytes:
    """PNG bytes: D and G losses, D(x) and D(G(z)) (with ADA's p when augmenting), and eval metrics."""
    train = train_records(records)
    series = eval_series(records)
    panels = 3 if series else 2
    fig = Figure(figsize=(8, 2.4 * panels), layout="constrained")
    axes = fig.subplots(panels, 1, sharex=True, squeeze=False)[:, 0]
    if not _curves(axes[0], train, {"d_loss": "D loss", "g_loss": "G loss"}, smooth=True):
        axes[0].text(0.5, 0.5, "no loss records yet", ha="center", va="center", transform=axes[0].transAxes)
    axes[0].set_ylabel("loss")
    # D(x) lives near the top and D(G(z)) near the bottom, so the middle is the free place for a legend.
    # ADA's p shares the 0..1 axis: it rises exactly when D(x) runs away from D(G(z)).
    _curves(axes[1], train, {"d_real": "D(x)", "d_fake": "D(G(z))", "augment_p": "augment p"}, smooth=True,
            legend="center right")
    axes[1].set_ylabel("D's output, p")
    axes[1].set_ylim(-0.02, 1.02)
    if series:
        _eval_panel(axes[2], series)
    _mark_events(axes, events)
    axes[-1].set_xlabel("step")
    return _png(fig)


def metric_png(records: list[dict], key: str, label: Optional[str] = None) -> bytes:
    """PNG bytes: one metric over step, from eval records ("eval": {key: ...}) or training records."""
    series = eval_series(records)
    steps, values = series[key] if key in series else _thin(*_column(train_records(records), key))
    fig = Figure(figsize=(5, 2.6), layout="constrained")
    ax = fig.subplots()
    ax.plot(steps, values, marker="o" if len(steps) <= 50 else None, markersize=3, linewidth=1.2)
    ax.set_xlabel("step")
    ax.set_ylabel(label or key)
    ax.set_title(label or key, fontsize=10)
    return _png(fig)


def plot_losses(records: list[dict], path: str | os.PathLike, events: Iterable[dict] = ()) -> Path:
    """Write the loss curves (see `losses_png`) to `path` atomically; `events` are drawn as markers."""
    path = Path(path)
    atomic_write_bytes(path, losses_png(records, events))
    return path

