"""Diagnostics remedies the user picks in the studio, kept in the run folder until the next resume.

events.jsonl carries an action only where --auto-stabilize applied it, so the action of an alarm is
asked of the lesson's table (`ganvas.gan.remedies.action`), the same one the diagnostics use,
counting earlier alarms of the same kind so repeats escalate as they would have in the loop. The
worker applies the queued actions through the training hooks' `Actions.apply` at the first resumed step.
"""
from __future__ import annotations

from pathlib import Path

from ..gan.remedies import ALARMS, action
from .jobs import read_json, write_json
from .paths import JOB_DIR

PENDING = "remedies.json"  # the worker claims it by renaming it when a resume starts


def suggested_action(event: dict, events: list[dict], config: dict) -> dict:
    if event.get("action"):
        return dict(event["action"])
    name = event.get("event")
    if name not in ALARMS:
        return {}
    times = sum(1 for e in events if e.get("event") == name and e.get("step", 0) <= event.get("step", 0))
    return action(name, config, max(1, times))


def pending(run: Path) -> list[dict]:
    return read_json(run / JOB_DIR / PENDING).get("remedies", [])


def pending_keys(run: Path) -> set[tuple]:
    return {(r.get("event"), r.get("step")) for r in pending(run)}


def queue(run: Path, event: dict, events: list[dict]) -> str:
    """Add one event's remedy to the run's queue; returns what the page tells the user."""
    config = read_json(run / "run.json").get("config") or {}
    act = suggested_action(event, events, config)
    if not act:
        return f"{event.get('event')}: has no remedy the loop can apply"
    remedies = [r for r in pending(run) if (r.get("event"), r.get("step")) != (event.get("event"), event.get("step"))]
    remedies.append({"event": event.get("event"), "step": event.get("step"), "action": act})
    write_json(run / JOB_DIR / PENDING, {"remedies": remedies})
    shown = ", ".join(f"{k} {v}" for k, v in act.items())
    return f"Queued for the next Resume of {run.name}: {shown}"
