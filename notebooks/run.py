"""Execute the tutorial notebooks in place and save their outputs: python notebooks/run.py.

Each notebook runs top to bottom in a fresh ``python3`` kernel (nbclient), with its folder
as the working directory; the outputs, plots included, are written back into the .ipynb
file. Give file names to run only those: ``python notebooks/run.py 01_four_ways.ipynb``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent


def execute(path: Path) -> None:
    """Run ``path`` in a fresh kernel and save it with its outputs."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,  # no timestamps in the saved file: reruns diff cleanly
    )
    client.execute()
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)
    nbformat.write(notebook, path)


def merge_streams(outputs: list) -> list:
    """Join consecutive prints to the same stream into one output, as a reader sees them;
    how the kernel happened to split them in chunks then never shows up in a diff."""
    merged: list = []
    for output in outputs:
        last = merged[-1] if merged else None
        if (output.output_type == "stream" and last is not None
                and last.output_type == "stream" and last.name == output.name):
            last.text += output.text
        else:
            merged.append(output)
    return merged


def main(names: list[str]) -> None:
    # the kernel's default (inline) backend embeds each figure as a PNG; Agg would drop them
    os.environ.pop("MPLBACKEND", None)
    paths = [HERE / name for name in names] or sorted(HERE.glob("*.ipynb"))
    for path in paths:
        start = time.perf_counter()
        execute(path)
        size = path.stat().st_size / 1024
        print(f"{path.name}: {time.perf_counter() - start:.1f} s, {size:.0f} KB")


if __name__ == "__main__":
    main(sys.argv[1:])
