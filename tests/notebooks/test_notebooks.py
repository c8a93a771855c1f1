"""The lesson notebooks: committed without outputs, and every cell runs (QUICK = True) and asserts what it shows."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
NAMES = ("01-gan-on-your-own-images.ipynb", "02-style-transfer.ipynb")


def _tool(name: str):
    """notebooks/NAME.py as a module (notebooks/ is a folder of files, not a package)."""
    spec = importlib.util.spec_from_file_location(f"notebook_{name}", NOTEBOOKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_lesson_notebooks_are_there():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebooks_have_no_outputs_or_execution_counts(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
             and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert not dirty, f"{name}: cells {dirty} have outputs; run python notebooks/strip.py"


@pytest.mark.parametrize("name", NAMES)
def test_each_notebook_has_one_quick_switch_near_the_top(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert first.source.startswith("QUICK = True")
    full = _tool("execute").set_quick(nb, False)
    code = "".join(c.source for c in full.cells if c.cell_type == "code")
    assert first.source.startswith("QUICK = False") and "QUICK = True" not in code


def test_strip_removes_outputs_and_counts(tmp_path):
    strip = _tool("strip")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nb.cells[0].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)]
    nb.cells[0].execution_count = 1
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)
    assert strip.main([str(path), "--check"]) == 1
    assert strip.main([str(path)]) == 0
    assert strip.is_stripped(nbformat.read(path, as_version=4)) and strip.main([str(path), "--check"]) == 0


@pytest.mark.slow
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_quick_without_errors(name, tmp_path, monkeypatch):
    # The kernel is this Python's `python3`, started with the repository root as its working folder and
    # on PYTHONPATH, so it imports this checkout's ganvas; GANVAS_CACHE is the session's (tests/conftest.py).
    # One thread, as the suite's other training runs use: on a busy CI machine two threads of one process
    # wait for each other at every operation, and the notebooks' tiny networks gain little from a second.
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    path = NOTEBOOKS / name
    before = path.read_bytes()
    nb, seconds = _tool("execute").execute(path, quick=True, out_dir=tmp_path / "executed", work=tmp_path / "work")
    errors = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])
              if out.output_type == "error"]
    assert not errors
    assert all(cell.execution_count for cell in nb.cells if cell.cell_type == "code")
    assert path.read_bytes() == before  # the committed notebook is only read
    print(f"{name}: {seconds:.0f} s")
