"""Strip outputs and execution counts from notebooks, so git holds only their source.

    python notebooks/strip.py                 # every notebooks/*.ipynb, in place
    python notebooks/strip.py a.ipynb ...     # the named ones
    python notebooks/strip.py --check         # exit 1 (naming them) if any still has outputs

`make notebooks` writes executed copies under outputs/notebooks/ and never touches these files.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent


def is_stripped(nb) -> bool:
    return all(not cell.get("outputs") and cell.get("execution_count") is None
               for cell in nb.cells if cell.cell_type == "code")


def strip(nb):
    """The notebook without outputs, execution counts or per-run metadata (in place; also returned)."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        # Timing and collapse state change on every run and say nothing about the lesson.
        for key in ("execution", "collapsed", "scrolled"):
            cell.metadata.pop(key, None)
    for key in ("widgets", "papermill"):
        nb.metadata.pop(key, None)
    return nb


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [Path(a) for a in argv if a != "--check"] or sorted(HERE.glob("*.ipynb"))
    dirty = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if is_stripped(nb):
            continue
        dirty.append(path)
        if not check:
            nbformat.write(strip(nb), path)
    if check and dirty:
        print("notebooks with outputs (run python notebooks/strip.py): " + ", ".join(map(str, dirty)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
