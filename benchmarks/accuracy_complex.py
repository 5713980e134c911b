"""Per-primitive complex accuracy table: max normwise ULP error of f'(z) for every holomorphic
built-in, on the rule's derivative and on the chain path, over a complex sweep.

    python benchmarks/accuracy_complex.py [--random 400] [--seed 0] [--jobs 2]

The sweep (vjpchain.exact.complex_sweep_points, plus each declaration's complex special
points) covers magnitudes 1e-300..1e300 on and off the axes with signed zeros, every
quadrant, and the points next to +-1, +-i and the poles. The reference is the declaration's
mpmath derivative at 256+ bits, on a branch cut on the side the signed zero names (cmath's
convention). Error: |computed - exact| / ulp(|exact|). Where the exact derivative is
infinite or undefined ("singular"), an exception or an inf part is accepted; a nan is not.
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from vjpchain import default_registry  # noqa: E402
from vjpchain.exact import complex_derivative_error, complex_sweep_points  # noqa: E402

TOLERANCE = 4.0
POINT_SECONDS = 20  # a point that takes longer counts as a failure (a hang)


def _timeout(signum, frame):
    raise TimeoutError


signal.signal(signal.SIGALRM, _timeout)


def holomorphic_rules() -> list:
    """Every one-input declaration whose primal has a complex path (the registry decides)."""
    out = []
    for rule in default_registry.rules():
        if rule.derivative is None or rule.arity != 1 or rule.reference is None:
            continue
        try:
            rule.primal(0.25 + 0.5j)
        except Exception:
            continue
        out.append(rule)
    return out


def sweep_rule(args: tuple[str, int, int]) -> dict:
    name, n_random, seed = args
    rule = default_registry.lookup(name)
    points = complex_sweep_points(n_random, seed, rule.domain.complex_special)
    row = {"name": name, "points": len(points), "over": 0}
    for path in ("derivative", "chain"):
        worst, worst_z, worst_what = 0.0, None, ""
        for z in points:
            signal.alarm(POINT_SECONDS)
            try:
                err, what = complex_derivative_error(rule, z, chain=path == "chain")
            except TimeoutError:
                err, what = math.inf, f"took over {POINT_SECONDS} s"
            finally:
                signal.alarm(0)
            if err > TOLERANCE and path == "derivative":
                row["over"] += 1
            if err > worst or worst_z is None:
                worst, worst_z, worst_what = err, z, what
        row[path] = (worst, worst_z, worst_what)
    return row


def fmt(err: float) -> str:
    return "inf" if math.isinf(err) else f"{err:.3g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--random", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    names = [r.name for r in holomorphic_rules() if not args.only or r.name in args.only]
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(sweep_rule, [(n, args.random, args.seed) for n in names]))
    print("| primitive | points | max ulp f'(z) | max ulp chain | points over 4 ulp |"
          " worst z | got |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        err, z, what = row["derivative"]
        print(f"| {row['name']} | {row['points']} | {fmt(err)} | {fmt(row['chain'][0])} |"
              f" {row['over']} | {z!r} | {what} |")


if __name__ == "__main__":
    main()
