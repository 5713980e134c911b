"""Per-primitive accuracy table of every built-in: derivative and primal, float64 scalar,
NumPy float64 and NumPy float32, in ULPs against mpmath at 200 bits.

    python benchmarks/accuracy.py [--n 2000] [--seeds 3] [--only sin cos]

Sweeps each rule's declared domain (``sweep_points``: log-uniform magnitudes over the whole
exponent range, subnormals, both edges to within an ulp, every binade from 1e-3 to 1e3, and
the declaration's special points: the hard cases of its kernels), several seeds. Nothing is
excused: points next to zeros of the derivative count like any other. "CR" is the share of
points whose result is the float nearest the exact value (error <= 0.5 ulp). float32 errors
are in float32 ulps, over the same points rounded to float32 (within its range).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from vjpchain import default_registry  # noqa: E402
from vjpchain.domain import sweep_points  # noqa: E402
from vjpchain.exact import evaluate, ulp_error  # noqa: E402
from vjpchain.generic import MPF  # noqa: E402
from vjpchain.mpcontext import at_precision  # noqa: E402

CTX = at_precision(200)
_F32_MAX = float(np.finfo(np.float32).max)


def _ulp32(exact: Any) -> float:
    """The float32 spacing at ``exact`` (subnormal spacing below the normal range)."""
    a = abs(exact)
    if a == 0:
        return 2.0 ** -149
    _, e = CTX.frexp(a)  # a = m 2**e, 0.5 <= m < 1
    return 2.0 ** max(int(e) - 24, -149)


def _err32(computed: Any, exact: Any) -> float:
    c = float(computed)
    if math.isnan(c):
        return math.inf
    if math.isinf(c) or abs(exact) > _F32_MAX:
        return 0.0 if math.isinf(c) and abs(exact) > _F32_MAX and (c > 0) == (exact > 0) \
            else math.inf
    return float(abs(CTX.mpf(c) - exact) / _ulp32(exact))


def _real_reference(fn: Any, x: float) -> Any:
    """``fn`` at ``x`` in the 200-bit context; None where it has no finite real value."""
    try:
        ref = evaluate(fn, CTX, x)
    except (ArithmeticError, ValueError):
        return None
    if not isinstance(ref, MPF) or not CTX.isfinite(ref):
        return None
    return ref


class Column:
    """Max error and share correctly rounded of one quantity over a sweep."""

    def __init__(self) -> None:
        self.errors: list[float] = []
        self.max = 0.0
        self.worst_x = math.nan

    def add(self, x: float, err: float) -> None:
        if err > self.max or math.isnan(self.worst_x):
            self.max, self.worst_x = max(err, self.max), x
        self.errors.append(err)

    def cr(self) -> str:
        if not self.errors:
            return "-"
        share = sum(e <= 0.5 for e in self.errors) / len(self.errors)
        return f"{100 * share:.2f}%"


def measure(rule: Any, n: int, seeds: int) -> dict[str, Any]:
    xs: list[float] = []
    for seed in range(seeds):
        xs.extend(sweep_points(rule.domain, n=n, seed=seed))
    xs = sorted(set(xs))
    d, p, dnp, d32, p32 = Column(), Column(), Column(), Column(), Column()
    derivative_ref = rule.reference
    with np.errstate(all="ignore"):
        arr = np.array(xs)
        y_np = rule.primal(arr)
        d_np = np.broadcast_to(rule.derivative(arr, y_np), arr.shape)
        x32 = np.array([x for x in xs if abs(x) <= _F32_MAX], dtype=np.float32)
        y32 = np.broadcast_to(rule.primal(x32), x32.shape)
        d32v = np.broadcast_to(rule.derivative(x32, rule.primal(x32)), x32.shape)
    for i, x in enumerate(xs):
        try:
            y = rule.primal(x)
            dv = rule.derivative(x, y)
        except (ArithmeticError, ValueError):
            continue  # outside the primal's float domain (a pole), as the chain refuses
        ref = _real_reference(derivative_ref, x)
        if ref is not None:
            d.add(x, ulp_error(dv, ref))
            dnp.add(x, ulp_error(float(d_np[i]), ref))
        pref = _real_reference(rule.primal, x)
        if pref is not None:
            p.add(x, ulp_error(y, pref))
    for i, x in enumerate(x32.tolist()):
        ref = _real_reference(derivative_ref, x)
        if ref is not None and abs(ref) <= _F32_MAX:
            d32.add(x, _err32(d32v[i], ref))
        pref = _real_reference(rule.primal, x)
        if pref is not None and abs(pref) <= _F32_MAX:
            p32.add(x, _err32(y32[i], pref))
    return {"points": len(d.errors), "d": d, "p": p, "dnp": dnp, "d32": d32, "p32": p32}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=None, help="primitive names")
    args = parser.parse_args()
    print("| primitive | points | f' max ulp | f' CR | f max ulp | f CR | NumPy f' max ulp |"
          " float32 f' max | float32 f max | tolerance | worst x (f') |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    t0 = time.perf_counter()
    for rule in default_registry.rules():
        if rule.derivative is None or rule.arity != 1 or rule.reference is None:
            continue
        if args.only and rule.name not in args.only:
            continue
        m = measure(rule, args.n, args.seeds)
        d, p = m["d"], m["p"]
        print(f"| {rule.name} | {m['points']} | {d.max:.3f} | {d.cr()} | {p.max:.3f} | "
              f"{p.cr()} | {m['dnp'].max:.3f} | {m['d32'].max:.3f} | {m['p32'].max:.3f} | "
              f"{rule.ulps:g} | {d.worst_x:.17g} |", flush=True)
    print(f"\n({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
