"""Where ganvas keeps downloaded weights and computed reference statistics."""
from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """$GANVAS_CACHE if set, else ~/.cache/ganvas (not created until something is written)."""
    custom = os.environ.get("GANVAS_CACHE")
    return Path(custom).expanduser() if custom else Path.home() / ".cache" / "ganvas"
