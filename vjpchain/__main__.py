"""``python -m vjpchain``: value and derivative of exp(sin(sin(x))) with the mpmath reference."""

from __future__ import annotations

import argparse
import math
import sys

import mpmath

from . import val_and_grad
from .reference import ulp_error


def main(argv: list[str] | None = None) -> int:
    """Print f(x), f'(x) and the 50-digit mpmath reference for f = exp(sin(sin(x)))."""
    parser = argparse.ArgumentParser(
        prog="vjpchain",
        description="Differentiate the built-in example exp(sin(sin(x))) by reverse mode "
        "and compare with mpmath at 50 digits.",
    )
    parser.add_argument("x", nargs="*", type=float, default=[2.0], help="points (default 2.0)")
    args = parser.parse_args(argv)
    chain = [math.sin, math.sin, math.exp]
    print(f"{'x':>8}  {'f(x)':>22}  {'df/dx':>22}  {'mpmath reference':>24}  {'ulps':>5}")
    for x in args.x:
        value, derivative = val_and_grad(chain, x)
        with mpmath.workdps(50):
            ref = mpmath.diff(lambda t: mpmath.exp(mpmath.sin(mpmath.sin(t))), mpmath.mpf(x))
            err = ulp_error(derivative, ref)
            print(f"{x:>8g}  {value!r:>22}  {derivative!r:>22}  {mpmath.nstr(ref, 20):>24}"
                  f"  {err:5.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
