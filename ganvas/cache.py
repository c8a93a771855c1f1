"""Where ganvas keeps what it can rebuild: prepared datasets, dequantised and downloaded weights,
reference statistics."""
from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """$GANVAS_CACHE, else $XDG_CACHE_HOME/ganvas, else ~/.cache/ganvas (created only when written)."""
    configured = os.environ.get("GANVAS_CACHE")
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "ganvas"
