"""The one reader of the run folder's JSON-lines logs (metrics.jsonl, events.jsonl).

Training appends one record per line; a kill mid-append leaves at most one torn last line, and a
damaged or hand-edited file may hold lines that are not records. Those are skipped and counted,
never fatal: everything else in the file is still good.
"""
from __future__ import annotations

import json
import os
from pathlib import Path


def scan_jsonl(path: str | os.PathLike) -> tuple[list[dict], int]:
    """The records (JSON objects) of a JSON-lines file, and how many non-blank lines were not one.

    A missing file has no records.
    """
    path = Path(path)
    if not path.is_file():
        return [], 0
    records, bad = [], 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            bad += 1
            continue
        if isinstance(record, dict):
            records.append(record)
        else:
            bad += 1
    return records, bad


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    """The records of a JSON-lines file; unreadable lines are skipped (see `scan_jsonl` to count them)."""
    return scan_jsonl(path)[0]
