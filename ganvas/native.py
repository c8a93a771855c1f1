"""Small C kernels shipped as source, compiled on first use into the cache folder and loaded with ctypes.

Building them needs only a C compiler (no Python or PyTorch headers) and takes a few seconds, once per
source, compiler and CPU: they are built for the CPU they run on (-march=native), and the cache key
includes its feature flags, so a cache folder shared between different machines stays safe. Where there
is no compiler, or the build fails, `load` returns None once, with a warning, and callers use their
PyTorch version of the same maths.
"""
from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import platform
import shutil
import subprocess
import warnings
from pathlib import Path

from .cache import cache_root
from .io import atomic_path

FLAGS = ("-O3", "-march=native", "-shared", "-fPIC", "-fopenmp", "-fno-math-errno")


def _compiler() -> str | None:
    return os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")


@functools.cache
def load(source: Path) -> ctypes.CDLL | None:
    """The shared library built from `source` (cached per source, compiler and machine), or None."""
    cc = _compiler()
    if cc is None:
        return _unavailable(source, "no C compiler found (set CC)")
    try:
        library = _build(source, cc)
        return ctypes.CDLL(str(library))
    except (OSError, subprocess.SubprocessError) as error:
        return _unavailable(source, str(error).strip().splitlines()[-1] if str(error).strip() else repr(error))


def needs_build(source: Path) -> bool:
    """Whether `load(source)` will compile first (a pause of seconds worth telling the user about)."""
    cc = _compiler()
    try:
        return cc is not None and not _target(source, cc).exists()
    except (OSError, subprocess.SubprocessError):
        return False


@functools.cache
def _version(cc: str) -> bytes:
    return subprocess.run([cc, "--version"], capture_output=True, check=True, timeout=60).stdout


def _target(source: Path, cc: str) -> Path:
    key = hashlib.sha256(b"\0".join([source.read_bytes(), _version(cc), " ".join(FLAGS).encode(),
                                     _cpu_features().encode()])).hexdigest()[:16]
    return cache_root() / "native" / f"{source.stem}-{key}.so"


def _build(source: Path, cc: str) -> Path:
    target = _target(source, cc)
    if target.exists():
        return target
    # Built beside the target and renamed into place, so a concurrent or interrupted build never
    # leaves a half-written library under the final name.
    with atomic_path(target) as partial:
        result = subprocess.run([cc, *FLAGS, str(source), "-o", str(partial)], capture_output=True, text=True,
                                timeout=300)
        if result.returncode != 0:
            raise subprocess.SubprocessError(f"{source.name}: {cc} failed: {result.stderr.strip()}")
    return target


def _cpu_features() -> str:
    """The CPU's instruction-set flags (Linux), else what the platform module knows."""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith(("flags", "Features")):
                    return line
    except OSError:
        pass
    return f"{platform.machine()} {platform.processor()}"


def _unavailable(source: Path, why: str) -> None:
    warnings.warn(f"ganvas: {source.name} not built ({why}); using the slower PyTorch path", RuntimeWarning,
                  stacklevel=3)
    return None
