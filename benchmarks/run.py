"""vjpchain benchmarks: every figure is a ratio to a baseline measured in the same run.

    python benchmarks/run.py            # all workloads, medians over repetitions
    python benchmarks/run.py --quick    # fewer repetitions and no 10**6 chain

W1  val_and_grad([sin, sin, exp], 2.0) per call, against the hand-written closed form.
W2  chains of n primitives (sin, cos, exp, log1p, tanh repeating): time per primitive of
    val_and_grad against the closed-form derivative of the same pattern evaluated in a
    loop, and the bytes the pullback holds per stored step (tracemalloc).
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import vjpchain as vc  # noqa: E402


def median_time(fn: Callable[[], object], number: int, repeat: int) -> float:
    """Median seconds per call over ``repeat`` runs of ``number`` calls."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)


def closed_form_w1(x: float = 2.0) -> tuple[float, float]:
    s = math.sin(x)
    y = math.exp(math.sin(s))
    return y, y * math.cos(s) * math.cos(x)


def w1(repeat: int) -> dict[str, float]:
    chain = [math.sin, math.sin, math.exp]
    base = median_time(closed_form_w1, 20000, repeat)
    ours = median_time(lambda: vc.val_and_grad(chain, 2.0), 20000, repeat)
    return {"closed form (ns)": base * 1e9, "val_and_grad (ns)": ours * 1e9,
            "ratio": ours / base}


PATTERN = [math.sin, math.cos, math.exp, math.log1p, math.tanh]


def closed_form_pattern(n: int, x: float) -> tuple[float, float]:
    """The same chain's value and derivative, hand-written with textbook derivatives."""
    d = 1.0
    for i in range(n):
        k = i % 5
        if k == 0:
            d *= math.cos(x)
            x = math.sin(x)
        elif k == 1:
            d *= -math.sin(x)
            x = math.cos(x)
        elif k == 2:
            x = math.exp(x)
            d *= x
        elif k == 3:
            d *= 1.0 / (1.0 + x)
            x = math.log1p(x)
        else:
            t = math.tanh(x)
            d *= 1.0 - t * t
            x = t
    return x, d


def w2(sizes: list[int], repeat: int) -> list[dict[str, float]]:
    rows = []
    for n in sizes:
        chain = (PATTERN * (n // 5 + 1))[:n]
        number = max(1, 20000 // n)
        reps = repeat if n < 10**6 else 3
        base = median_time(lambda n=n: closed_form_pattern(n, 0.5), number, reps)
        ours = median_time(lambda c=chain: vc.val_and_grad(c, 0.5), number, reps)
        gc.collect()
        tracemalloc.start()
        y, pullback = vc.vjp(chain, 0.5)
        held, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        del y, pullback
        rows.append({"n": n, "closed form (ns/prim)": base / n * 1e9,
                     "val_and_grad (ns/prim)": ours / n * 1e9, "ratio": ours / base,
                     "bytes/step": held / n})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeat = 3 if args.quick else 7
    sizes = [10, 1000, 100000] if args.quick else [10, 1000, 100000, 1000000]
    print(f"python {sys.version.split()[0]}, vjpchain {vc.__version__}")
    r = w1(repeat)
    print("\nW1 scalar: val_and_grad([sin, sin, exp], 2.0)")
    print(f"  closed form {r['closed form (ns)']:.0f} ns, val_and_grad "
          f"{r['val_and_grad (ns)']:.0f} ns, ratio {r['ratio']:.2f}x")
    print("\nW2 deep chains (sin, cos, exp, log1p, tanh repeating), val_and_grad")
    print(f"  {'n':>8} {'closed ns/prim':>15} {'ours ns/prim':>13} {'ratio':>7} {'bytes/step':>11}")
    for row in w2(sizes, repeat):
        print(f"  {row['n']:>8} {row['closed form (ns/prim)']:>15.0f} "
              f"{row['val_and_grad (ns/prim)']:>13.0f} {row['ratio']:>7.2f} "
              f"{row['bytes/step']:>11.1f}")


if __name__ == "__main__":
    main()
