"""Checking uploaded images before anything trains on them or paints with them.

Every file goes through the decoder training uses (`ganvas.data.decode.decode_file`), so what is
accepted here is what training can read: non-images, truncated files and decompression bombs are
refused, each with a reason that names the file. Counts and sizes are checked before any decoding,
a .zip by its members' unpacked sizes, so a zip bomb is refused without being unpacked.
"""
from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, Optional

from ..config.fields import field_default
from ..config.studio import StudioConfig
from ..errors import GanvasError
from .paths import safe_name

CHECK_SIDE = 16  # decoding at a small size is enough to prove a file is whole; the draft mode keeps it quick
RECORD = ".upload.json"  # in each dataset folder: what was uploaded (hidden, so training passes it over)
_COPY_CHUNK = 1 << 20


@dataclass(frozen=True)
class Limits:
    max_mb: float = field_default(StudioConfig, "max_upload_mb")
    max_files: int = field_default(StudioConfig, "max_upload_files")

    @property
    def max_bytes(self) -> int:
        return int(self.max_mb * 1024 * 1024)


@dataclass
class Checked:
    """What an upload gave: the folder of accepted images (None if none), and what was refused, and why."""

    folder: Optional[Path]
    accepted: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)

    def report(self) -> str:
        """Markdown: the counts, then every refused file with its reason."""
        head = f"**{len(self.accepted)} image(s) accepted**"
        if not self.refused:
            return head + "."
        lines = [f"{head}; **{len(self.refused)} refused**:"]
        lines += [f"- `{name}`: {reason}" for name, reason in self.refused]
        return "\n".join(lines)


@dataclass(frozen=True)
class _Candidate:
    name: str  # what the report shows: the file's name, or ZIP/member
    rel: PurePosixPath  # where an accepted copy goes inside the dataset folder
    size: int
    open: Callable  # () -> a binary file object


def check_image(path: str | Path) -> Optional[str]:
    """None when training's decoder reads `path`; else the reason it is refused."""
    from ..data.decode import decode_file

    path = Path(path)
    try:
        decode_file(path, CHECK_SIDE, "crop")
    except GanvasError as exc:
        text = str(exc)
        return text[len(f"{path}: "):] if text.startswith(f"{path}: ") else text
    except MemoryError:
        return "too large to decode in memory"
    except Exception as exc:  # a malformed file can trip any codec; it must not take the upload down
        return f"cannot be decoded ({type(exc).__name__}: {exc})"
    return None


def accept_dataset(paths: Iterable[str | Path], uploads: Path, limits: Limits = Limits()) -> Checked:
    """Check uploaded files and .zips; copy the images that decode into a new dataset folder."""
    paths = [Path(p) for p in paths]
    name = safe_name(paths[0].stem if len(paths) == 1 else paths[0].parent.name or "upload", "upload")
    folder = uploads / f"data-{name}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"
    with contextlib.ExitStack() as archives:
        candidates, refused = _candidates(paths, archives)
        _enforce(candidates, limits)
        checked = _copy_checked(candidates, folder)
    checked.refused = refused + checked.refused
    if not checked.accepted:
        shutil.rmtree(folder, ignore_errors=True)
        checked.folder = None
        return checked
    record = {"name": name, "images": len(checked.accepted), "refused": checked.refused, "time": time.time()}
    (folder / RECORD).write_text(json.dumps(record))
    return checked


def upload_record(folder: Path) -> dict:
    """What `accept_dataset` noted about a dataset folder: its name and how many images it kept."""
    try:
        return json.loads((folder / RECORD).read_text())
    except (OSError, ValueError):
        return {}


def accept_pictures(paths: Iterable[str | Path], folder: Path, limits: Limits = Limits()) -> Checked:
    """Check single pictures (a stylisation's photo and paintings) and copy those that decode into `folder`."""
    candidates, refused = _candidates([Path(p) for p in paths], None)
    _enforce(candidates, limits)
    checked = _copy_checked(candidates, folder, numbered=True)
    checked.refused = refused + checked.refused
    return checked


def _candidates(paths: list[Path], archives: Optional[contextlib.ExitStack]
                ) -> tuple[list[_Candidate], list[tuple[str, str]]]:
    """Image files, and the images inside .zips when `archives` (which closes them) is given."""
    from ..data.sources import image_extensions

    extensions = image_extensions()
    found, refused = [], []
    for path in paths:
        if archives is not None and path.suffix.lower() == ".zip":
            more, bad = _zip_candidates(path, extensions, archives)
            found += more
            refused += bad
        elif path.suffix.lower() in extensions:
            found.append(_Candidate(path.name, PurePosixPath(safe_name(path.name, "image")),
                                    path.stat().st_size, lambda p=path: open(p, "rb")))
        elif not _hidden(path.name):
            refused.append((path.name, f"not an image file type ({path.suffix or 'no extension'})"))
    return found, refused


def _zip_candidates(path: Path, extensions: frozenset, archives: contextlib.ExitStack
                    ) -> tuple[list[_Candidate], list[tuple[str, str]]]:
    try:
        archive = archives.enter_context(zipfile.ZipFile(path))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        return [], [(path.name, f"not a readable .zip ({exc})")]
    found, refused = [], []
    for member in members:
        inner = PurePosixPath(member.filename)
        if member.is_dir() or any(_hidden(part) for part in inner.parts):
            continue  # folders, and the hidden files training ignores too
        name = f"{path.name}/{member.filename}"
        if inner.suffix.lower() not in extensions:
            refused.append((name, f"not an image file type ({inner.suffix or 'no extension'})"))
            continue
        # Member names may hold "../" or absolute parts; only cleaned components are kept.
        rel = PurePosixPath(*[safe_name(p, "x") for p in inner.parts if p not in ("", ".", "..", "/")])
        found.append(_Candidate(name, rel, member.file_size, lambda a=archive, m=member: a.open(m)))
    return found, refused


def _hidden(name: str) -> bool:
    return name.startswith(".") or name == "__MACOSX"


def _enforce(candidates: list[_Candidate], limits: Limits) -> None:
    if len(candidates) > limits.max_files:
        raise GanvasError(f"upload: {len(candidates)} images, more than the limit of {limits.max_files} "
                          f"(--max-upload-files)")
    total = sum(c.size for c in candidates)
    if total > limits.max_bytes:
        raise GanvasError(f"upload: {total / 2**20:.1f} MB of images (unpacked), more than the limit of "
                          f"{limits.max_mb:g} MB (--max-upload-mb)")


def _copy_checked(candidates: list[_Candidate], folder: Path, numbered: bool = False) -> Checked:
    checked = Checked(folder)
    used: set[PurePosixPath] = set()
    for index, candidate in enumerate(candidates):
        rel = PurePosixPath(f"{index}{candidate.rel.suffix.lower()}") if numbered else _unique(candidate.rel, used)
        target = folder.joinpath(*rel.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            _copy_bounded(candidate, target)
        except (OSError, zipfile.BadZipFile, RuntimeError, EOFError) as exc:
            checked.refused.append((candidate.name, f"cannot be read ({exc})"))
            target.unlink(missing_ok=True)
            continue
        reason = check_image(target)
        if reason is None:
            checked.accepted.append(str(rel))
        else:
            checked.refused.append((candidate.name, reason))
            target.unlink(missing_ok=True)
    return checked


def _copy_bounded(candidate: _Candidate, target: Path) -> None:
    """Copy no more than the size that was counted against the limit, whatever the source claims."""
    left = candidate.size
    with candidate.open() as src, open(target, "wb") as dst:
        while left > 0:
            chunk = src.read(min(_COPY_CHUNK, left))
            if not chunk:
                break
            dst.write(chunk)
            left -= len(chunk)


def _unique(rel: PurePosixPath, used: set[PurePosixPath]) -> PurePosixPath:
    candidate, n = rel, 1
    while candidate in used:
        candidate = rel.with_name(f"{rel.stem}-{n}{rel.suffix}")
        n += 1
    used.add(candidate)
    return candidate
