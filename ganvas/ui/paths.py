"""Where the studio keeps things, and the one check that decides whether a path may be served.

Everything the studio writes lives under the runs folder: run folders at its top, and the studio's
own area in RUNS/.studio (uploads, stylisations). The web server serves files from these roots
only; the check resolves symbolic links first, so a link inside a run folder cannot reach out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable, Optional

STUDIO = ".studio"
JOB_DIR = "studio"  # inside each job's folder (a run, a stylisation): job.json, progress.json, worker.log
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Layout:
    runs: Path

    @classmethod
    def at(cls, runs: str | Path) -> "Layout":
        layout = cls(Path(runs).expanduser().resolve())
        for folder in (layout.runs, layout.uploads, layout.incoming, layout.stylize):
            folder.mkdir(parents=True, exist_ok=True)
        return layout

    @property
    def studio(self) -> Path:
        return self.runs / STUDIO

    @property
    def uploads(self) -> Path:
        """The upload area: checked datasets and stylisation inputs."""
        return self.studio / "uploads"

    @property
    def incoming(self) -> Path:
        """Where the web framework parks files while they upload, before they are checked."""
        return self.uploads / "incoming"

    @property
    def stylize(self) -> Path:
        return self.studio / "stylize"

    @property
    def served_roots(self) -> tuple[Path, ...]:
        return (self.runs, self.uploads)

    def run_folder(self, name: str) -> Path:
        return self.runs / safe_name(name)


def safe_name(name: str, fallback: str = "run") -> str:
    """One path component made of letters, digits, dot, dash and underscore, never hidden."""
    cleaned = _UNSAFE.sub("-", name).strip(".-") or fallback
    return cleaned[:80]


def inside(path: Path, roots: Iterable[Path]) -> Optional[Path]:
    """`path` with links resolved, if it lies inside one of `roots`; else None."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    for root in roots:
        try:
            real.relative_to(root.resolve())
            return real
        except ValueError:
            continue
    return None


def resolve_request(requested: str, roots: tuple[Path, ...]) -> Optional[Path]:
    """The file a URL path names, relative to the first root, or None when it must be refused.

    Absolute paths, drive letters, backslashes and any ".." segment are refused as written, before
    resolution: a request that tries to climb is refused even where it would land inside.
    """
    if not requested or "\x00" in requested or "\\" in requested or re.match(r"^[A-Za-z]:", requested):
        return None
    parts = PurePosixPath(requested).parts
    if requested.startswith("/") or any(part in ("..", "") for part in parts):
        return None
    found = inside(roots[0].joinpath(*parts), roots)
    return found if found is not None and found.is_file() else None
