"""The tutorial notebooks run top to bottom in a fresh kernel, asserts included, and are
committed with their outputs (``python notebooks/run.py`` saves them)."""

import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NAMES = [path.name for path in NOTEBOOKS]


def test_the_tutorials_are_there():
    assert {"01_four_ways.ipynb", "02_writing_rules.ipynb", "03_forward_and_reverse.ipynb",
            "04_several_variables.ipynb", "05_precision.ipynb", "06_arrays.ipynb",
            "07_long_chains.ipynb"} <= set(NAMES)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_notebook_runs_without_error(path, tmp_path, monkeypatch):
    """Executed in a temporary copy, so the committed outputs stay as they are."""
    copy = tmp_path / path.name
    shutil.copyfile(path, copy)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    # the kernel imports this checkout's vjpchain even when it is not installed
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [
        str(ROOT), os.environ.get("PYTHONPATH")])))
    notebook = nbformat.read(copy, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    # (a failing cell, an assertion included, raises above; this checks every cell ran)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.execution_count is not None for cell in code)
    assert not any(out.output_type == "error" for cell in code for out in cell.outputs)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NAMES)
def test_notebook_is_saved_with_outputs_and_small(path):
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(cell.execution_count is not None for cell in code), (
        f"{path.name} has unexecuted cells: run python notebooks/run.py")
    assert not [out for cell in code for out in cell.outputs if out.output_type == "error"]
    assert notebook.cells[0].cell_type == "markdown"
    assert path.stat().st_size < 300_000
