"""Run the notebooks and keep executed copies, with their outputs, for reading.

    python notebooks/execute.py                        # both notebooks, QUICK = True as committed
    python notebooks/execute.py --full                 # QUICK = False: the full-quality lessons
    python notebooks/execute.py --out DIR 02-style-transfer.ipynb

The copies go to outputs/notebooks/ (or --out); the committed notebooks are only read. Each runs in a
fresh `python3` kernel of this Python, with the repository root as its working folder and on its
PYTHONPATH, so it uses this checkout's ganvas. A cell that raises (every lesson cell asserts what it
shows) stops the run: the copy is still written, up to the failing cell, and the exit status is 1.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path
from typing import Optional

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NOTEBOOKS = tuple(sorted(p.name for p in HERE.glob("*.ipynb")))
QUICK_LINE = re.compile(r"^QUICK = True\b", re.MULTILINE)  # the switch, with or without a comment after it


def set_quick(nb, quick: bool):
    """The notebook with its `QUICK = True` line as asked; every notebook must have exactly one."""
    found = [c for c in nb.cells if c.cell_type == "code" for _ in QUICK_LINE.finditer(c.source)]
    if len(found) != 1:
        raise ValueError(f"expected one line starting 'QUICK = True' in the code cells, found {len(found)}")
    if not quick:
        found[0].source = QUICK_LINE.sub("QUICK = False", found[0].source)
    return nb


def execute(path: Path, *, quick: bool = True, out_dir: Optional[Path] = None, work: Optional[Path] = None,
            timeout: int = 1800, log=None) -> tuple[object, float]:
    """Execute one notebook in a fresh kernel; returns (the executed notebook, wall seconds).

    `work` is where the notebook writes its runs and pictures (its default: outputs/notebooks/work).
    With `out_dir` the executed copy is written there, also when a cell fails (then the error is raised).
    `log`, a text stream, gets one line per code cell with its time.
    """
    path = Path(path)
    nb = set_quick(nbformat.read(path, as_version=4), quick)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])])
    if work is not None:
        env["GANVAS_NOTEBOOK_WORK"] = str(Path(work).resolve())
    start = time.perf_counter()
    last = [start]

    def cell_done(cell, cell_index, **_):
        now = time.perf_counter()
        if log is not None and cell.cell_type == "code":
            print(f"  {path.name} cell {cell_index + 1}/{len(nb.cells)}: {now - last[0]:.1f} s", file=log, flush=True)
        last[0] = now

    client = NotebookClient(nb, kernel_name="python3", timeout=timeout, on_cell_complete=cell_done,
                            resources={"metadata": {"path": str(ROOT)}})
    try:
        client.execute(env=env)
    finally:
        seconds = time.perf_counter() - start
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, out_dir / path.name)
    return nb, seconds


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"notebooks in notebooks/ (default: {', '.join(NOTEBOOKS)})")
    parser.add_argument("--out", type=Path, default=ROOT / "outputs" / "notebooks", help="where the copies go")
    parser.add_argument("--full", action="store_true", help="QUICK = False: the full-quality version")
    args = parser.parse_args(argv)
    failed = 0
    for name in args.names or NOTEBOOKS:
        path = HERE / Path(name).name
        try:
            _, seconds = execute(path, quick=not args.full, out_dir=args.out, work=args.out / "work",
                                 log=sys.stderr)
        except CellExecutionError as exc:
            failed += 1
            print(f"{path.name}: failed (executed copy in {args.out / path.name})\n{exc}", file=sys.stderr)
            continue
        print(f"{path.name}: {seconds:.0f} s -> {args.out / path.name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
