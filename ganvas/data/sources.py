"""Which files of a folder or .zip are images: recursive, quiet about hidden files and symlink loops."""
from __future__ import annotations

import errno
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Optional

from PIL import Image

from ..errors import GanvasError

# Members bigger than this are refused before extraction: no real training image is this large.
MAX_MEMBER_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class Entry:
    """One candidate image: `rel` is its posix path inside the source, `name` what reports show."""

    rel: str
    name: str
    size: int
    stamp: str  # mtime_ns for files, CRC for zip members: what says the content changed


@dataclass
class Listing:
    kind: str  # "folder" or "zip"
    root: Path
    entries: list[Entry]
    broken: list[tuple[str, str]]  # found but unusable before decoding (dangling links, oversize members)

    def location(self, entry: Entry) -> str:
        """Filesystem path (folder) or member name (zip) of an entry."""
        return str(self.root / entry.rel) if self.kind == "folder" else entry.rel


def image_extensions() -> frozenset[str]:
    """Extensions of every format Pillow can open (not merely save)."""
    Image.init()
    return frozenset(ext for ext, fmt in Image.registered_extensions().items() if fmt in Image.OPEN)


def _hidden(parts: tuple[str, ...]) -> bool:
    return any(part.startswith(".") or part == "__MACOSX" for part in parts)


def list_source(source: str) -> Listing:
    """Enumerate the images of a folder (recursively) or a .zip, sorted by path."""
    root = Path(os.path.expanduser(source))
    if root.is_dir():
        return _list_folder(root, source)
    if root.is_file() and zipfile.is_zipfile(root):
        return _list_zip(root, source)
    if root.is_file():
        raise GanvasError(f"{source}: is neither a folder nor a .zip of images; pass a folder, a .zip "
                          "or a built-in name (shapes, fashion-mnist, mnist)")
    raise GanvasError(f"{source}: no such folder, .zip or built-in dataset "
                      "(built-ins: shapes, fashion-mnist, mnist)")


def _list_folder(root: Path, source: str) -> Listing:
    extensions = image_extensions()
    entries, broken = [], []
    seen_dirs: set[tuple[int, int]] = set()
    for folder, dirnames, filenames in os.walk(root, followlinks=True):
        here = Path(folder)
        identity = _dir_identity(here)
        # A symlink back up the tree would make the walk endless; each real folder is read once.
        if identity is None or identity in seen_dirs:
            dirnames[:] = []
            continue
        seen_dirs.add(identity)
        dirnames[:] = sorted(d for d in dirnames if not _hidden((d,)))
        for filename in sorted(filenames):
            if _hidden((filename,)) or Path(filename).suffix.lower() not in extensions:
                continue
            path = here / filename
            rel = path.relative_to(root).as_posix()
            shown = os.path.join(source, rel)
            info = _file_stat(path)
            if info == "ignore":
                continue
            if info is None:
                broken.append((shown, "broken symbolic link"))
                continue
            entries.append(Entry(rel=rel, name=shown, size=info.st_size, stamp=str(info.st_mtime_ns)))
    entries.sort(key=lambda e: e.rel)
    return Listing("folder", root, entries, broken)


def _dir_identity(path: Path) -> Optional[tuple[int, int]]:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _file_stat(path: Path):
    try:
        info = path.stat()
    except OSError as exc:
        return "ignore" if exc.errno == errno.ELOOP else None  # a symlink cycle: ignored quietly
    return info if stat.S_ISREG(info.st_mode) else "ignore"


def _list_zip(root: Path, source: str) -> Listing:
    extensions = image_extensions()
    entries, broken = [], []
    try:
        with zipfile.ZipFile(root) as archive:
            members = archive.infolist()
    except (OSError, zipfile.BadZipFile) as exc:
        raise GanvasError(f"{source}: unreadable .zip ({exc}); re-create the archive") from None
    for info in members:
        rel = PurePosixPath(info.filename)
        if info.is_dir() or _hidden(rel.parts) or rel.suffix.lower() not in extensions:
            continue
        shown = f"{source}:{info.filename}"
        if info.file_size > MAX_MEMBER_BYTES:
            broken.append((shown, f"too large ({info.file_size:,} bytes uncompressed)"))
            continue
        entries.append(Entry(rel=info.filename, name=shown, size=info.file_size, stamp=f"{info.CRC:08x}"))
    entries.sort(key=lambda e: e.rel)
    return Listing("zip", root, entries, broken)


def class_names(rels: list[str]) -> Optional[list[str]]:
    """Class of each path from its immediate subfolder, or None when the layout has no classes.

    Folders that every path shares (a zip's single top folder, say) are not classes. Classes need at
    least two subfolders with images and no loose images beside them.
    """
    split = [PurePosixPath(rel).parts for rel in rels]
    common = 0
    while split and all(len(p) > common + 1 for p in split) and len({p[common] for p in split}) == 1:
        common += 1
    if not split or any(len(p) <= common + 1 for p in split):
        return None
    labels = [p[common] for p in split]
    return labels if len(set(labels)) >= 2 else None
