"""Binomial checkpointing against plain vjp: peak memory, time and recomputations.

    python benchmarks/checkpoint.py            # 10**4 steps over 10**4 points; 10**6 floats
    python benchmarks/checkpoint.py --quick    # 10**3 steps over 10**4 points; 10**5 floats

Two workloads, chains of (sin, cos, exp, log1p, tanh) repeating (values stay in [-1, 3]):
(a) over a 10**4-point float64 array (all states: 80 KB * n), (b) over one float. Each runs
plain ``vjpchain.vjp`` and ``checkpointed_vjp`` with s = 10, 30, 100 stored states: the time
of the forward sweep and of one pullback call (every time also as a ratio to plain vjp in the
same run), the peak memory of both (tracemalloc, in a separate run so that tracing does not
slow the timed one) and what is held between them, and the recomputations in the reverse
sweep against the binomial bound t(n, s) - (n - 1).
"""

from __future__ import annotations

import argparse
import gc
import math
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

import vjpchain as vc  # noqa: E402
from vjpchain.checkpoint import binomial_bound, checkpointed_vjp  # noqa: E402

PATTERN = [math.sin, math.cos, math.exp, math.log1p, math.tanh]
CHECKPOINTS = (10, 30, 100)


def make_vjp(s: int | None) -> Callable[[list[Any], Any], tuple[Any, Any]]:
    if s is None:
        return lambda chain, x: vc.vjp(chain, x)
    return lambda chain, x: checkpointed_vjp(chain, x, s)


def timed(chain: list[Any], x: Any, s: int | None, y_bar: Any,
          repeat: int) -> dict[str, Any]:
    """Seconds (the fastest of ``repeat`` runs) for the forward sweep and one pullback call
    on a fresh pullback; the results and the stats."""
    run = make_vjp(s)
    forward = reverse = math.inf
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        y, pullback = run(chain, x)
        t1 = time.perf_counter()
        x_bar = pullback(y_bar)
        t2 = time.perf_counter()
        forward, reverse = min(forward, t1 - t0), min(reverse, t2 - t1)
    return {"forward": forward, "reverse": reverse, "y": y, "x_bar": x_bar,
            "stats": getattr(pullback, "stats", None)}


def traced(chain: list[Any], x: Any, s: int | None, y_bar: Any) -> dict[str, float]:
    """Bytes: peak over the forward sweep and one pullback call; held in between."""
    run = make_vjp(s)
    gc.collect()
    tracemalloc.start()
    try:
        y, pullback = run(chain, x)
        held = tracemalloc.get_traced_memory()[0]
        pullback(y_bar)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del y, pullback
    return {"peak": peak, "held": held}


def same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return bool(np.array_equal(a, b))
    return bool(a == b)


def workload(name: str, chain: list[Any], x: Any, y_bar: Any,
             repeat: int) -> list[dict[str, Any]]:
    n = len(chain)
    rows = []
    base: dict[str, Any] = {}
    timed(chain[:1000], x, None, y_bar, 1)  # warm up (first calls, allocator), untimed
    for s in (None, *CHECKPOINTS):
        t = timed(chain, x, s, y_bar, repeat)
        if s is None:
            base = t
            finite = np.all(np.isfinite(t["y"])) and np.all(np.isfinite(t["x_bar"]))
            if not finite:
                raise SystemExit(f"{name}: the chain left the finite floats; pick another x")
        m = traced(chain, x, s, y_bar)
        stats = t["stats"]
        rows.append({
            "workload": name, "n": n, "s": "plain vjp" if s is None else str(s),
            "forward": t["forward"], "reverse": t["reverse"],
            "total": t["forward"] + t["reverse"],
            "base_forward": base["forward"], "base_reverse": base["reverse"],
            "base_total": base["forward"] + base["reverse"],
            "peak": m["peak"], "held": m["held"],
            "recomputations": stats.recomputations[0] if stats else 0,
            "bound": binomial_bound(n, s) - (n - 1) if s else 0,
            "same": same(t["y"], base["y"]) and same(t["x_bar"], base["x_bar"]),
        })
        print(f"  done: {name}, s = {rows[-1]['s']}", file=sys.stderr, flush=True)
    return rows


def mb(n_bytes: float) -> str:
    return f"{n_bytes / 1e6:.2f}" if n_bytes < 1e7 else f"{n_bytes / 1e6:.0f}"


def table(rows: list[dict[str, Any]]) -> str:
    head = ["workload", "n", "s", "forward s (x plain)", "pullback s (x plain)",
            "total s (x plain)", "peak MB", "held MB", "recomputations", "bound t(n,s)-(n-1)",
            "= plain"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        def ratio(key: str, r: dict[str, Any] = r) -> str:
            base = r["base_" + key]
            return f"{r[key]:.3f} ({r[key] / base:.2f}x)"
        lines.append("| " + " | ".join([
            r["workload"], f"{r['n']:,}", r["s"], ratio("forward"), ratio("reverse"),
            ratio("total"), mb(r["peak"]), mb(r["held"]), f"{r['recomputations']:,}",
            f"{r['bound']:,}", "yes" if r["same"] else "NO",
        ]) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="10**3 array steps and 10**5 float steps")
    parser.add_argument("--repeat", type=int, default=None,
                        help="timed runs per figure, the fastest kept (default 1, quick 3)")
    args = parser.parse_args()
    repeat = args.repeat or (3 if args.quick else 1)
    n_array, n_float = (10**3, 10**5) if args.quick else (10**4, 10**6)
    points = 10**4
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, "
          f"vjpchain {vc.__version__}{' (--quick)' if args.quick else ''}, "
          f"fastest of {repeat} timed run(s)\n")
    rows = workload(f"array[{points:,}]", (PATTERN * (n_array // 5))[:n_array],
                    np.linspace(-1.0, 1.0, points), np.ones(points), repeat)
    rows += workload("float", (PATTERN * (n_float // 5))[:n_float], 0.5, 1.0, repeat)
    print(table(rows))
    print("\nforward: the vjp / checkpointed_vjp call; pullback: one call of the pullback; "
          "peak: tracemalloc peak over both; held: memory held between them. Recomputations: "
          "evaluations in the pullback that only rebuild states (beyond one per step); "
          "'= plain': y and x_bar bit for bit equal to plain vjp's.")


if __name__ == "__main__":
    main()
