"""vjpchain on array API arrays: every figure is a ratio to the closed form in the same library.

    python benchmarks/arrays.py            # rows for the libraries installed
    python benchmarks/arrays.py --quick    # fewer repetitions

W3 (torch)  val_and_grad([sin, sin, exp], x) on a PyTorch tensor of 10**6 float64 points,
            against torch.exp(torch.sin(torch.sin(x))) and its hand-written derivative
            y * cos(sin(x)) * cos(x); target: at most 1.2x.
W3 (dask)   the same chain on a dask array of 10**7 float64 points in chunks of 10**6:
            building the lazy graph and computing value and derivative together, against
            the closed form written with dask.array on the same array.

Timings are medians over rounds in which ours and the baseline alternate (benchmarks/run.py's
``ratio``), so a noisy machine moves both together.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import ratio  # noqa: E402

import vjpchain as vc  # noqa: E402

Row = tuple[str, str, float, float, float]  # workload, implementation, ours, base, ratio


def w3_torch(repeat: int) -> list[Row]:
    import torch

    x = torch.linspace(-5.0, 5.0, 10**6, dtype=torch.float64)
    chain = [vc.sin, vc.sin, vc.exp]

    def closed() -> object:
        s = torch.sin(x)
        y = torch.exp(torch.sin(s))
        return y, y * torch.cos(s) * torch.cos(x)

    y, g = vc.val_and_grad(chain, x)
    y0, g0 = closed()
    _check(type(y) is torch.Tensor and torch.allclose(y, y0, rtol=1e-15)
           and torch.equal(g, g0), "torch results differ from the closed form")
    a, b, r = ratio(lambda: vc.val_and_grad(chain, x), closed, 5, repeat)
    return [("W3 torch, 10**6 float64", "vjpchain val_and_grad", a, b, r)]


def w3_dask(repeat: int) -> list[Row]:
    import dask
    import dask.array as da
    import numpy as np

    x = da.from_array(np.linspace(-5.0, 5.0, 10**7), chunks=10**6)
    chain = [vc.sin, vc.sin, vc.exp]

    def ours() -> object:
        return dask.compute(*vc.val_and_grad(chain, x))

    def closed() -> object:
        s = da.sin(x)
        y = da.exp(da.sin(s))
        return dask.compute(y, y * da.cos(s) * da.cos(x))

    (y, g), (y0, g0) = ours(), closed()
    _check(np.array_equal(y, y0) and np.array_equal(g, g0),
           "dask results differ from the closed form")
    a, b, r = ratio(ours, closed, 1, repeat)
    return [("W3 dask, 10**7 float64 in 10 chunks", "vjpchain val_and_grad + compute",
             a, b, r)]


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise SystemExit(message)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeat = 5 if args.quick else 15
    rows: list[Row] = []
    workloads: list[Callable[[int], list[Row]]] = [w3_torch, w3_dask]
    for workload in workloads:
        try:
            rows += workload(repeat)
        except ImportError as exc:
            print(f"skipped {workload.__name__}: {exc}")
    versions = _versions()
    print(f"python {sys.version.split()[0]}, vjpchain {vc.__version__}, {versions}\n")
    print("| workload | implementation | time | closed form | ratio |")
    print("|---|---|---|---|---|")
    for workload_name, name, a, b, r in rows:
        print(f"| {workload_name} | {name} | {a * 1e3:.1f} ms | {b * 1e3:.1f} ms | {r:.3f}x |")


def _versions() -> str:
    out = []
    for name in ("torch", "dask", "array_api_compat"):
        try:
            module: Any = __import__(name)
        except ImportError:
            continue
        out.append(f"{name} {module.__version__}")
    return ", ".join(out)


if __name__ == "__main__":
    main()
