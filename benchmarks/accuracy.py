"""Per-primitive accuracy table: max and median ULP error of every built-in derivative.

    python benchmarks/accuracy.py [--n 2000] [--seeds 3]

Sweeps each rule's declared domain (sweep_points, several seeds) on the scalar and the NumPy
float64 paths against mpmath at 60 digits; points within 1e-6 relative of a zero of the
derivative are excused, as in the tests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import mpmath  # noqa: E402
import numpy as np  # noqa: E402

from vjpchain import default_registry  # noqa: E402
from vjpchain.domain import sweep_points  # noqa: E402
from vjpchain.reference import excused_near_zero, rule_reference, ulp_error  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    print("| primitive | points | max ulp (float) | max ulp (numpy) | median | tolerance |"
          " worst x |")
    print("|---|---|---|---|---|---|---|")
    for rule in default_registry.rules():
        if rule.derivative is None:
            continue
        exact = rule_reference(rule)
        xs: list[float] = []
        for seed in range(args.seeds):
            xs.extend(sweep_points(rule.domain, n=args.n, seed=seed))
        xs = sorted(set(xs))
        t0 = time.perf_counter()
        scalar = [rule.derivative(x, rule.primal(x)) for x in xs]
        with np.errstate(all="ignore"):
            arr = np.broadcast_to(rule.derivative(np.array(xs), rule.primal(np.array(xs))),
                                  (len(xs),))
        errs_s, errs_a = [], []
        worst = (0.0, 0.0)
        with mpmath.workdps(60):
            for x, s, a in zip(xs, scalar, arr, strict=True):
                ref = exact(mpmath.mpf(x))
                es, ea = ulp_error(s, ref), ulp_error(float(a), ref)
                if max(es, ea) > rule.ulps and excused_near_zero(exact, x):
                    continue
                errs_s.append(es)
                errs_a.append(ea)
                if es > worst[0]:
                    worst = (es, x)
        print(f"| {rule.name} | {len(errs_s)} | {max(errs_s):.3f} | {max(errs_a):.3f} | "
              f"{statistics.median(errs_s):.3f} | {rule.ulps:g} | {worst[1]:.17g} |",
              flush=True)
        del t0


if __name__ == "__main__":
    main()
