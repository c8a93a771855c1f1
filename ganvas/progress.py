"""Progress events: library code reports through a callback and never prints."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional


@dataclass
class Progress:
    """One progress report.

    `task` names the job ("train", "stylize", "prepare", ...). `kind` is "start", "update",
    "note" (a line worth showing the user: a warning, a detection, a path) or "end".
    """

    task: str
    kind: str = "update"
    step: int = 0
    total: Optional[int] = None
    values: dict = field(default_factory=dict)
    message: str = ""


Callback = Callable[[Progress], None]


def silent(_: Progress) -> None:
    """The default callback: library calls from Python stay quiet unless asked."""
