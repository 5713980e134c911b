"""Per-primitive accuracy of mpmath numbers: the fewest correct digits of the primal and of
the derivative of every built-in, at mp.dps = 50 and 100.

    python benchmarks/accuracy_mp.py [--n 100] [--seeds 1] [--worst]

Points: :func:`vjpchain.domain.mp_sweep_points` over each rule's real domain (past the
float64 overflow ends), with the declared special points; each result is checked against
the primal and the declared reference derivative at twice the precision plus 32 bits
(:func:`vjpchain.exact.mp_digits`). The goal is dps - 1 digits everywhere (49 and 99).
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import mpmath  # noqa: E402

from vjpchain import default_registry  # noqa: E402
from vjpchain.domain import mp_sweep_points  # noqa: E402
from vjpchain.domains import real_domain  # noqa: E402
from vjpchain.exact import mp_digits  # noqa: E402


def worst(rule, dps: int, n: int, seeds: int) -> tuple[float, Any, float, Any, float]:
    ctx = mpmath.MPContext()
    ctx.dps = dps
    low_p = low_d = math.inf
    at_p = at_d = None
    for seed in range(seeds):
        for x in mp_sweep_points(real_domain(rule), ctx, n=n, seed=seed):
            signal.alarm(60)  # digamma far out on the negative axis takes minutes
            try:
                p, d = mp_digits(rule, x)
            except (ValueError, ArithmeticError, TimeoutError) as error:
                p = d = -math.inf
                signal.alarm(0)
                print(f"  {rule.name} at {mpmath.nstr(x, 8)}: {error!r}"[:200], file=sys.stderr)
            signal.alarm(0)
            if p < low_p:
                low_p, at_p = p, x
            if d < low_d:
                low_d, at_d = d, x
    return low_p, at_p, low_d, at_d, 0.0


def _timeout(signum: int, frame: Any) -> None:
    raise TimeoutError("over 60 s")


def main() -> None:
    signal.signal(signal.SIGALRM, _timeout)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--only", default="", help="comma-separated names")
    parser.add_argument("--skip", default="", help="comma-separated names")
    parser.add_argument("--worst", action="store_true", help="show the worst points")
    args = parser.parse_args()
    print("| primitive | primal, dps 50 | derivative, dps 50 | primal, dps 100 |"
          " derivative, dps 100 | seconds |")
    print("|---|---|---|---|---|---|")
    for rule in default_registry.rules():
        if rule.derivative is None or (args.only and rule.name not in args.only.split(",")) or (
                rule.name in args.skip.split(",")):
            continue
        t0 = time.perf_counter()
        cells = []
        notes = []
        for dps in (50, 100):
            low_p, at_p, low_d, at_d, _ = worst(rule, dps, args.n, args.seeds)
            cells += [f"{min(low_p, 999):.1f}", f"{min(low_d, 999):.1f}"]
            notes.append(f"dps {dps}: primal at {mpmath.nstr(at_p, 12)}, "
                         f"derivative at {mpmath.nstr(at_d, 12)}")
        seconds = time.perf_counter() - t0
        print(f"| {rule.name} | {' | '.join(cells)} | {seconds:.1f} |", flush=True)
        if args.worst:
            print(f"<!-- {rule.name}: {'; '.join(notes)} -->", flush=True)


if __name__ == "__main__":
    main()
