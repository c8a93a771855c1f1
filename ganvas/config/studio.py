"""Options of the studio (`ganvas ui`): the one home of its defaults, shared by the CLI and Python."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .fields import opt


@dataclass
class StudioConfig:
    host: str = opt("127.0.0.1", "address to listen on; only this machine can reach the default")
    port: int = opt(7860, "port to listen on")
    runs: str = opt("runs", "folder of run folders; the studio keeps its uploads and stylisations in RUNS/.studio")
    auth: Optional[str] = opt(None, "USER:PASS: ask for this login before showing anything", flag="--auth")
    max_upload_mb: float = opt(200.0, "largest upload in MB, per file and per batch (a .zip counts unpacked)")
    max_upload_files: int = opt(2000, "most images in one upload (a .zip's members count one by one)")
    train_slots: int = opt(1, "training jobs that run at once; more wait in the queue")
    stylize_slots: int = opt(1, "stylisations that run at once; more wait in the queue")
    open_browser: bool = opt(False, "open the studio in the default browser once it is serving", flag="--open")
