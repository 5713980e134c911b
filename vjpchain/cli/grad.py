"""``vjpchain grad``: a table (or JSON) of f, f' and the mpmath reference, one row per point
of a function of one variable, or one row per partial derivative at a ``NAME=VALUE`` point."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from ..registry import default_registry
from .derivatives import UsageError, grad_point, grad_rows_with_variable
from .output import error_fields, json_float, numbers, table

__all__ = ["DEFAULT_EXPR", "DEFAULT_POINT", "cmd_grad"]

DEFAULT_EXPR = "exp(sin(sin(x)))"
DEFAULT_POINT = 2.0


def _named_point(text: str, named: Sequence[tuple[str, float]]) -> dict[str, float]:
    point: dict[str, float] = {}
    twice = []
    for name, value in named:
        if name in point and name not in twice:
            twice.append(name)
        point[name] = value
    if twice:
        raise UsageError(f"{', '.join(twice)} {'is' if len(twice) == 1 else 'are'} given more "
                         f"than once; give each variable of {text!r} one value")
    return point


def cmd_grad(args: argparse.Namespace) -> int:
    """Run ``vjpchain grad``."""
    text = DEFAULT_EXPR if args.expr is None else args.expr
    points = args.x or [DEFAULT_POINT]
    named = [p for p in points if isinstance(p, tuple)]
    if named and len(named) != len(points):
        raise UsageError("give the point either as numbers (a function of one variable, one "
                         "row per number) or as NAME=VALUE for every variable, not both")
    if named:
        return _grad_named(text, _named_point(text, named), args)
    name, rows = grad_rows_with_variable(text, points, args.dps, default_registry)
    out = sys.stdout
    num, ref, err = numbers(args.dps, args.json)
    if args.json:
        records = [{"x": json_float(r.x), "value": num(r.value),
                    "derivative": num(r.derivative), "reference": ref(r.reference),
                    **error_fields(r.reference, r.error, args.dps, err),
                    "reference_unavailable": r.note or None} for r in rows]
        print(json.dumps(records, indent=2), file=out)
        return 0
    header = [name, f"f({name})", f"f'({name})", "mpmath reference",
              "ulps" if args.dps is None else "rel. error"]
    cells = [[repr(r.x), num(r.value), num(r.derivative),
              "unavailable" if r.reference is None else ref(r.reference),
              "n/a" if r.reference is None else err(r.error)] for r in rows]
    table(header, cells, out)
    for r in rows:
        if r.reference is None:
            print(f"reference unavailable at {name} = {r.x!r} ({r.note})", file=out)
    return 0


def _grad_named(text: str, point: dict[str, float], args: argparse.Namespace) -> int:
    result = grad_point(text, point, args.dps)
    out = sys.stdout
    num, ref, err = numbers(args.dps, args.json)
    if args.json:
        record = {
            "point": {n: json_float(x) for n, x in result.point.items()},
            "value": num(result.value),
            "partials": [{"variable": p.variable, "derivative": num(p.derivative),
                          "reference": ref(p.reference),
                          **error_fields(p.reference, p.error, args.dps, err),
                          "reference_unavailable": p.note or None}
                         for p in result.partials],
        }
        print(json.dumps(record, indent=2), file=out)
        return 0
    at = ", ".join(f"{n}={x!r}" for n, x in result.point.items())
    print(f"f({at}) = {num(result.value)}", file=out)
    header = ["variable", "value", "df/dvar", "mpmath reference",
              "ulps" if args.dps is None else "rel. error"]
    cells = [[p.variable, repr(p.x), num(p.derivative),
              "unavailable" if p.reference is None else ref(p.reference),
              "n/a" if p.reference is None else err(p.error)] for p in result.partials]
    table(header, cells, out)
    for p in result.partials:
        if p.reference is None:
            print(f"reference unavailable for d/d{p.variable} ({p.note})", file=out)
    return 0
