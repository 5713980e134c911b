"""``vjpchain check``: each primitive's derivative against mpmath over its domain
(:func:`vjpchain.reference.check_rule`), one line per primitive."""

from __future__ import annotations

import argparse
import math
import sys

from ..registry import default_registry
from .progress import Progress

__all__ = ["cmd_check"]


def cmd_check(args: argparse.Namespace) -> int:
    """Run ``vjpchain check``: 0 if every primitive passes, 1 if one fails, 2 for an unknown
    name."""
    from .. import reference

    # looked up at run time: check_rule is public API that reference.py provides
    check_rule = getattr(reference, "check_rule", None)
    if check_rule is None:
        print("vjpchain check: this version of vjpchain has no vjpchain.reference.check_rule",
              file=sys.stderr)
        return 1
    registry = default_registry
    if args.primitives:
        names = []
        for name in args.primitives:
            try:
                names.append(registry.lookup(name).name)
            except LookupError as exc:
                print(f"vjpchain check: {exc}", file=sys.stderr)
                return 2
    else:
        names = [r.name for r in registry.rules() if r.primal is not None and r.arity == 1]
    width = max(len("primitive"), *(len(n) for n in names))
    header = (f"{'primitive':<{width}}  {'points':>6}  {'max ulps':>9}  {'median':>7}  "
              f"{'worst x':>24}  {'tolerance':>9}  result")
    print(header)
    failed = 0
    with Progress(sys.stderr) as progress:
        for i, name in enumerate(names):
            progress.update(f"vjpchain check: {name} ({i + 1}/{len(names)})")
            try:
                report = check_rule(name, dps=args.dps)
            except Exception as exc:  # a crash in one rule must not hide the other results
                failed += 1
                progress.emit(f"{name:<{width}}  ERROR: {type(exc).__name__}: {exc}")
                continue
            worst_x = report.worst[0] if report.worst else math.nan
            ok = bool(report.passed)
            failed += not ok
            progress.emit(f"{name:<{width}}  {len(report.rows):>6}  {report.max_ulps:>9.2f}  "
                          f"{report.median_ulps:>7.2f}  {worst_x!r:>24}  "
                          f"{report.tolerance:>9.2f}  {'ok' if ok else 'FAIL'}")
            if args.verbose or not ok:
                progress.emit(str(report))
    print(f"{len(names) - failed} ok, {failed} failed")
    return 1 if failed else 0
