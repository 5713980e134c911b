"""``vjpchain check``: each primitive's derivative against mpmath over its domain, one line per
primitive: one-input primitives with :func:`vjpchain.reference.check_rule`, the families
(power, scale, shift) through representative instances, and the two-input primitives
(mul, pow, atan2...) partial by partial (:mod:`.partials`)."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from ..domains import family_of
from ..families import power, scale, shift
from ..registry import default_registry
from .partials import check_two_inputs
from .progress import Progress

__all__ = ["cmd_check", "REPRESENTATIVES"]

REPRESENTATIVES: dict[str, tuple[Any, ...]] = {
    "power": (power(3), power(0.5), power(-2)),
    "scale": (scale(2.5),),
    "shift": (shift(-1.0),),
}
"""The instances ``vjpchain check`` checks for each built-in family: a positive integer, a
fractional and a negative exponent; a factor; an offset."""


def _targets(names: list[str]) -> list[tuple[str, Any]]:
    """``(label, what to check)`` for each name: a rule, or a family's instances.

    Raises:
        LookupError: a name that is neither a primitive nor a family of the registry.
    """
    registry = default_registry
    families = {r.name: r for r in registry.rules() if family_of(r) is not None}
    targets: list[tuple[str, Any]] = []
    for name in names:
        if name in families:
            instances = REPRESENTATIVES.get(name)
            if not instances:
                raise LookupError(f"{name!r} is a family of primitives with no representative "
                                  "instances to check; check an instance with "
                                  "vjpchain.reference.check_rule")
            targets.extend((repr(p), p) for p in instances)
            continue
        rule = registry.lookup(name)
        targets.append((rule.name, rule if rule.arity == 2 else rule.name))
    return targets


def cmd_check(args: argparse.Namespace) -> int:
    """Run ``vjpchain check``: 0 if every primitive passes, 1 if one fails, 2 for an unknown
    name. Without names it checks every primitive ``vjpchain rules`` lists."""
    from .. import reference

    # looked up at run time: check_rule is public API that reference.py provides
    check_rule = getattr(reference, "check_rule", None)
    if check_rule is None:
        print("vjpchain check: this version of vjpchain has no vjpchain.reference.check_rule",
              file=sys.stderr)
        return 1
    registry = default_registry
    names = args.primitives or [r.name for r in registry.rules()
                                if r.primal is not None or family_of(r) is not None]
    try:
        targets = _targets(names)
    except LookupError as exc:
        print(f"vjpchain check: {exc}", file=sys.stderr)
        return 2
    width = max(len("primitive"), *(len(label) for label, _ in targets))
    header = (f"{'primitive':<{width}}  {'points':>6}  {'max ulps':>9}  {'median':>7}  "
              f"{'worst x':>24}  {'tolerance':>9}  result")
    print(header)
    failed = 0
    with Progress(sys.stderr) as progress:
        for i, (label, target) in enumerate(targets):
            progress.update(f"vjpchain check: {label} ({i + 1}/{len(targets)})")
            try:
                if getattr(target, "arity", 1) == 2:
                    report = check_two_inputs(target, registry, dps=args.dps)
                    points = len(report.judged)
                else:
                    report = check_rule(target, dps=args.dps)
                    points = len(report.rows)
            except Exception as exc:  # a crash in one rule must not hide the other results
                failed += 1
                progress.emit(f"{label:<{width}}  ERROR: {type(exc).__name__}: {exc}")
                continue
            worst_x = report.worst[0] if report.worst else math.nan
            worst = worst_x if isinstance(worst_x, str) else repr(worst_x)
            ok = bool(report.passed)
            failed += not ok
            progress.emit(f"{label:<{width}}  {points:>6}  {report.max_ulps:>9.2f}  "
                          f"{report.median_ulps:>7.2f}  {worst:>24}  "
                          f"{report.tolerance:>9.2f}  {'ok' if ok else 'FAIL'}")
            if args.verbose or not ok:
                progress.emit(str(report))
    print(f"{len(targets) - failed} ok, {failed} failed")
    return 1 if failed else 0
