"""`report`: one self-contained HTML page about a run; images are inlined, nothing is fetched from outside."""
from __future__ import annotations

import base64
import html
import io
import json
import os
import re
from pathlib import Path
from typing import Any, Optional

from PIL import Image

from .errors import GanvasError
from .gan.diagnostics import MAX_WARMUP_STEPS
from .gan.remedies import ALARMS, SCHEDULED
from .io import atomic_write_bytes
from .jsonl import scan_jsonl
from .progress import Callback, Progress, silent
from .runs import run_info
from . import plots

MAX_SAMPLE_GRIDS = 8      # enough to see a run develop; the page stays a few MB at most
MAX_GRID_SIDE = 512       # px; sample grids are shrunk to this before inlining
_STEP_PNG = re.compile(r"step-(\d+)\.png$")

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;max-width:1100px;
padding:0 1em;color:#222;line-height:1.4}
h1{margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;margin:.5em 0;font-size:.92em}
td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
.muted{color:#777}.grids{display:flex;flex-wrap:wrap;gap:1em}
figure{margin:0}figcaption{text-align:center;font-size:.85em;color:#555}
img{max-width:100%;image-rendering:pixelated}.grids img{width:240px}
.ev-mode_collapse{color:#7b2d8e}.ev-d_overpowering{color:#b22}.ev-divergence{color:#000;font-weight:bold}
.ev-no_progress{color:#666}.ev-recovered{color:#282}
"""


def report(run: str | os.PathLike, out: Optional[str | os.PathLike] = None, progress: Callback = silent) -> Path:
    """Write one HTML page about the run folder `run` (default RUN/report.html) and return its path."""
    run = Path(run)
    info = run_info(run)
    path = _out_path(run, out)
    records, bad_metrics = scan_jsonl(run / "metrics.jsonl")
    events, bad_events = scan_jsonl(run / "events.jsonl")
    for name, bad in (("metrics.jsonl", bad_metrics), ("events.jsonl", bad_events)):
        if bad:
            progress(Progress("report", "note", message=f"{run / name}: skipped {bad} unreadable line(s)"))
    sections = [
        _overview(run, info, records, events),
        _config(info),
        _losses(records, events),
        _metrics_over_time(records),
        _samples(run, progress),
        _timeline(events, info, records),
        _final_metrics(run, progress),
    ]
    page = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>ganvas report: {_e(run.resolve().name)}</title><style>{_CSS}</style></head><body>\n"
            + "\n".join(sections) + "\n</body></html>\n")
    atomic_write_bytes(path, page.encode("utf-8"))
    return path


# ----- reading the run folder ---------------------------------------------------------------------
def _out_path(run: Path, out: Optional[str | os.PathLike]) -> Path:
    if out is None:
        return run / "report.html"
    out = Path(out)
    if out.is_dir():
        return out / "report.html"
    # Requiring .html also guarantees the page can never overwrite one of the run's own files.
    if out.suffix.lower() not in (".html", ".htm"):
        raise GanvasError(f"--out {out}: the report is an HTML page; give a file name ending in .html")
    return out


# ----- small HTML helpers -------------------------------------------------------------------------
def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _table(rows: list[tuple], header: Optional[tuple] = None) -> str:
    head = "<tr>" + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr>" if header else ""
    body = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in rows)
    return f"<table>{head}{body}</table>"


def _cell(value: Any) -> str:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return f"<td class=\"num\">{_e(_fmt(value))}</td>" if number else f"<td>{_e(_fmt(value))}</td>"


def _img(png: bytes, alt: str) -> str:
    return f"<img alt=\"{_e(alt)}\" src=\"data:image/png;base64,{base64.b64encode(png).decode('ascii')}\">"


def _section(anchor: str, title: str, body: str) -> str:
    return f"<section id=\"{anchor}\"><h2>{_e(title)}</h2>\n{body}\n</section>"


# ----- the sections -------------------------------------------------------------------------------
def _overview(run: Path, info: dict, records: list[dict], events: list[dict]) -> str:
    train = plots.train_records(records)
    last = train[-1] if train else {}
    dataset = info.get("dataset") or {}
    recoveries = sum(e.get("event") == "recovered" for e in events)
    scheduled = sum(e.get("event") in SCHEDULED for e in events)
    planned = f", {scheduled} scheduled change(s)" if scheduled else ""
    rows = [("run folder", str(run.resolve())), ("dataset", dataset.get("source", "?")),
            ("images", dataset.get("n_images", "?")),
            ("resolution x channels", f"{dataset.get('resolution', '?')} x {dataset.get('channels', '?')}"),
            ("seed", info.get("seed", "?")), ("steps reached", last.get("step", 0)),
            ("epoch", last.get("epoch", "?")), ("wall time (s)", _elapsed(train)),
            ("images / s (last interval)", last.get("img_per_s", "?")),
            ("diagnostic events", f"{len(events) - recoveries - scheduled} alarm(s), {recoveries} recovery(ies)"
                                  f"{planned}")]
    versions = info.get("versions") or {}
    if versions:
        rows.append(("versions", ", ".join(f"{k} {v}" for k, v in versions.items())))
    title = f"<h1>ganvas run report: {_e(run.resolve().name)}</h1>"
    return title + _section("overview", "Overview", _table(rows))


def _elapsed(train: list[dict]) -> Any:
    times = [r["time"] for r in train if isinstance(r.get("time"), (int, float))]
    return round(times[-1] - times[0], 1) if len(times) > 1 else "?"


def _config(info: dict) -> str:
    config = info.get("config") or {}
    if not config:
        return _section("config", "Config", "<p class=\"muted\">run.json holds no config.</p>")
    rows = [(key, "None" if value is None else value) for key, value in config.items()]
    return _section("config", "Config", _table(rows, ("option", "value")))


def _losses(records: list[dict], events: list[dict]) -> str:
    if not plots.train_records(records):
        return _section("losses", "Loss curves", "<p class=\"muted\">No training records yet.</p>")
    note = ("<p>D's and G's losses oscillate against each other in a healthy run; the trend, not the level, "
            "matters. Dashed lines mark diagnostic events.</p>")
    return _section("losses", "Loss curves", note + _img(plots.losses_png(records, events), "loss curves"))


def _metrics_over_time(records: list[dict]) -> str:
    series = plots.eval_series(records)
    if not series:
        return _section("metrics", "Metrics over time",
                        "<p class=\"muted\">No in-loop evaluations recorded (see eval_every).</p>")
    parts = []
    for name, (steps, values) in sorted(series.items()):
        best = min(range(len(values)), key=values.__getitem__)
        parts.append(f"<figure>{_img(plots.metric_png(records, name), name)}<figcaption>{_e(name)}: "
                     f"last {values[-1]:.4g} at step {steps[-1]}, best {values[best]:.4g} at step "
                     f"{steps[best]} (lower is better)</figcaption></figure>")
    return _section("metrics", "Metrics over time", "<div class=\"grids\">" + "".join(parts) + "</div>")


def _sample_files(run: Path) -> list[tuple[int, Path]]:
    found = []
    for path in (run / "samples").glob("step-*.png"):
        match = _STEP_PNG.search(path.name)
        if match:
            found.append((int(match.group(1)), path))
    found.sort()
    if len(found) <= MAX_SAMPLE_GRIDS:
        return found
    # Spread the picks over the run, always keeping the first and the last grid.
    last = len(found) - 1
    picks = sorted({round(i * last / (MAX_SAMPLE_GRIDS - 1)) for i in range(MAX_SAMPLE_GRIDS)})
    return [found[i] for i in picks]


def _grid_png(path: Path) -> bytes:
    with Image.open(path) as img:
        img.load()
        if max(img.size) > MAX_GRID_SIDE:
            img.thumbnail((MAX_GRID_SIDE, MAX_GRID_SIDE), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        img.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _samples(run: Path, progress: Callback) -> str:
    figures = []
    for step, path in _sample_files(run):
        try:
            png = _grid_png(path)
        except (OSError, ValueError) as exc:
            progress(Progress("report", "note", message=f"{path}: skipped, not a readable image ({exc})"))
            continue
        figures.append(f"<figure>{_img(png, f'samples at step {step}')}<figcaption>step {step}</figcaption></figure>")
    if not figures:
        return _section("samples", "Samples over time", "<p class=\"muted\">No sample grids yet.</p>")
    note = "<p>The same fixed latents at each step, so the grids show how G's output developed.</p>"
    return _section("samples", "Samples over time", note + "<div class=\"grids\">" + "".join(figures) + "</div>")


def _timeline(events: list[dict], info: dict, records: list[dict]) -> str:
    if not events:
        text = ("<p>No alarms: no mode collapse, D overpowering, divergence or stalled progress "
                "was detected.</p>")
        reached = max((r.get("step", 0) for r in plots.train_records(records)), default=0)
        if reached < MAX_WARMUP_STEPS:
            text += (f"<p class=\"muted\">The run ended at step {reached}, perhaps inside the diagnostics' "
                     f"warm-up (until G catches up with D, {MAX_WARMUP_STEPS} steps at most), when D winning "
                     "outright and G's images looking alike are normal: only divergence and blatant cases "
                     "(a practically perfect D, identical images) were judged.</p>")
        return _section("diagnostics", "Diagnostics timeline", text)
    auto = bool((info.get("config") or {}).get("auto_stabilize"))
    rows = []
    for event in sorted(events, key=lambda e: e.get("step", 0)):
        name = str(event.get("event", "?"))
        action = event.get("action") or {}
        unapplied = "" if auto or name not in ALARMS else "no (--auto-stabilize was off)"
        rows.append(f"<tr><td class=\"num\">{_e(event.get('step', '?'))}</td>"
                    f"<td class=\"ev-{_e(re.sub(r'[^a-z_]', '', name))}\">{_e(name)}</td>"
                    f"<td>{_e(event.get('message', ''))}</td><td>{_e(event.get('remedy', ''))}</td>"
                    f"<td>{_e(_fmt(action)) if action else unapplied}</td></tr>")
    head = "<tr><th>step</th><th>event</th><th>what was seen</th><th>remedy</th><th>applied</th></tr>"
    return _section("diagnostics", "Diagnostics timeline", f"<table>{head}{''.join(rows)}</table>")


def _final_metrics(run: Path, progress: Callback) -> str:
    path = run / "evaluation.json"
    if not path.is_file():
        return _section("final-metrics", "Final metrics", "<p class=\"muted\">Not evaluated yet: run "
                        f"<code>ganvas evaluate {_e(run)} --json {_e(path)}</code>.</p>")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        progress(Progress("report", "note", message=f"{path}: skipped, not valid JSON ({exc})"))
        return _section("final-metrics", "Final metrics", f"<p class=\"muted\">{_e(path.name)} is not valid JSON.</p>")
    if not isinstance(data, dict):
        data = {}
    protocol = data.get("protocol") or {}
    metrics = data.get("metrics") if isinstance(data.get("metrics"), dict) else {
        k: v for k, v in data.items() if k not in ("protocol", "run", "json")}
    rows = []
    for name, entry in metrics.items():
        if isinstance(entry, dict):
            value = entry.get("value", "")
            detail = ", ".join(f"{k}: {_fmt(v)}" for k, v in entry.items() if k != "value")
        else:
            value, detail = entry, ""
        rows.append((name, value, detail))
    body = _table(rows, ("metric", "value", "detail")) if rows else "<p class=\"muted\">No metrics listed.</p>"
    if isinstance(protocol, dict) and protocol:
        body += "<h3>Protocol</h3><p>Numbers are comparable only under the same protocol.</p>"
        body += _table([(k, v) for k, v in protocol.items()], ("setting", "value"))
    return _section("final-metrics", "Final metrics", body)
