"""``vjpchain plot``: an image of f and f' over a range, optionally with the error of f'
against mpmath in ULPs (needs matplotlib)."""

from __future__ import annotations

import argparse
import math
import sys

from ..errors import VjpchainError
from ..exact import ulp_error
from ..registry import default_registry
from ..transforms import val_and_grad
from .derivatives import REFERENCE_DPS, chain_problem, one_variable, reference_or_reason

__all__ = ["PLOT_HINT", "cmd_plot"]

PLOT_HINT = "pip install 'vjpchain[plot]'"


def cmd_plot(args: argparse.Namespace) -> int:
    """Run ``vjpchain plot``."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        print(f"vjpchain plot needs matplotlib, which is not installed: {PLOT_HINT}",
              file=sys.stderr)
        return 1
    registry = default_registry
    name, target, f_mp = one_variable(args.expr, registry, plot=True)
    lo, hi = args.range
    n = args.points
    xs = [lo + (hi - lo) * i / (n - 1) for i in range(n)]
    values, derivatives, errors = [], [], []
    outside = unresolved = 0
    for x in xs:
        try:
            value, derivative = val_and_grad(target, x, rules=registry)
        except (VjpchainError, ValueError, ArithmeticError):
            value = derivative = math.nan
        if math.isnan(value) or (math.isinf(value) and isinstance(target, list) and chain_problem(
                args.expr, f"{name} = {x!r}", target, x, registry) is not None):
            outside += 1  # outside the domain, or at a pole: a NaN leaves a gap in the curve
            value = derivative = math.nan
        values.append(value)
        derivatives.append(derivative)
        if args.error:
            ref = None
            if not math.isnan(value):
                ref, _ = reference_or_reason(f_mp, x, value, derivative, name)
                unresolved += ref is None
            # a log axis cannot show 0: exact derivatives are drawn at 0.01 ULP
            errors.append(math.nan if ref is None else max(ulp_error(derivative, ref), 0.01))
    if outside == n:
        print(f"vjpchain plot: {args.expr} is defined nowhere on [{lo!r}, {hi!r}]; "
              "choose a range inside its domain (vjpchain rules lists the domains)",
              file=sys.stderr)
        return 1
    fig = Figure(figsize=(7, 6.5 if args.error else 4.5), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 1, sharex=True) if args.error else [fig.subplots()]
    top = axes[0]
    top.plot(xs, values, label=f"f({name})")
    top.plot(xs, derivatives, label=f"f'({name})")
    top.set_title(f"f({name}) = {args.expr}")
    top.legend()
    top.grid(True, alpha=0.3)
    if args.error:
        bottom = axes[1]
        bottom.plot(xs, errors, ".", markersize=3, color="C3")
        bottom.set_yscale("log")
        bottom.set_ylabel("error of f' (ULPs)")
        bottom.set_title(f"against mpmath at {REFERENCE_DPS} digits (0 drawn at 0.01)",
                         fontsize="small")
        bottom.grid(True, which="both", alpha=0.3)
    axes[-1].set_xlabel(name)
    try:
        fig.savefig(args.output)
    except (OSError, ValueError) as exc:
        print(f"vjpchain plot: cannot write {args.output!r}: {exc}", file=sys.stderr)
        return 1
    notes = []
    if outside:
        notes.append(f"{outside} outside the domain of {args.expr}, not drawn")
    if unresolved:
        notes.append(f"{unresolved} without a reference (overflow, or beyond its bounds), no "
                     "error drawn")
    print(f"wrote {args.output} ({n} points on [{lo!r}, {hi!r}]"
          f"{''.join('; ' + note for note in notes)})")
    return 0
