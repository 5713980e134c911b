"""What ``vjpchain grad`` computes: the derivatives of an expression by reverse mode, each
with its mpmath reference (``mpmath.diff``, never the rules under test) and its error."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import PrimitiveDomainError, VjpchainError
from ..exact import diff_reference, digits, ulp_error
from ..expr import ParsedFunction, parse_expression, parse_function
from ..finite import as_function
from ..generic import MPC
from ..mpcontext import context_of
from ..registry import Registry, default_registry
from ..transforms import val_and_grad

__all__ = ["REFERENCE_DPS", "UsageError", "GradRow", "Partial", "GradPoint", "grad_rows",
           "grad_point", "grad_rows_with_variable", "one_variable"]

REFERENCE_DPS = 50
"""Digits of the mpmath reference for float64 results (``--dps N`` uses at least N + 10)."""


class UsageError(VjpchainError, ValueError):
    """The points given do not fit the expression (a variable without a value, or a value
    for a name the expression does not use); the command exits with status 2."""


@dataclass
class GradRow:
    """One point of ``vjpchain grad``: the error is in ULPs (float64) or relative (--dps)."""

    x: float
    value: Any
    derivative: Any
    reference: Any
    error: float


def one_variable(text: str, registry: Registry,
                 plot: bool = False) -> tuple[str, Any, Callable[[Any], Any]]:
    """``(variable, what val_and_grad differentiates, primal for mpmath)`` of an expression
    of one variable: a chain, or a function that uses its variable more than once."""
    parsed = parse_expression(text, rules=registry)
    if isinstance(parsed, ParsedFunction):
        if len(parsed.names) != 1:
            advice = ("plot draws functions of one variable: give the others values in the "
                      "expression" if plot else "give its point as "
                      f"{' '.join(n + '=VALUE' for n in parsed.names)}")
            raise UsageError(f"{text!r} is a function of {len(parsed.names)} variables "
                             f"({', '.join(parsed.names)}): {advice}")
        return parsed.names[0], parsed.fn, parsed.fn
    return "x", parsed, as_function(parsed, rules=registry)


def _error(derivative: Any, reference: Any, dps: int | None, ref_dps: int) -> float:
    """ULPs of a float64 derivative, or the relative error of an mpmath one (nan: no
    reference)."""
    if reference is None:
        return math.nan
    if dps is None:
        return ulp_error(derivative, reference)
    ctx = digits(ref_dps)
    diff = abs(ctx.convert(derivative) - reference)
    return float(diff / abs(reference) if reference != 0 else diff)


def _not_real(text: str, where: str, value: Any) -> PrimitiveDomainError:
    return PrimitiveDomainError(
        f"{text} is not real at {where} (got {value!r}): the point lies outside the real "
        "domain of a step (vjpchain.rules_table() lists the domains)")


def _ref_dps(dps: int | None) -> int:
    return REFERENCE_DPS if dps is None else max(REFERENCE_DPS, dps + 10)


def grad_rows_with_variable(text: str, points: Sequence[float], dps: int | None,
                            registry: Registry) -> tuple[str, list[GradRow]]:
    """:func:`grad_rows` with the name of the expression's variable (``x`` for a chain)."""
    name, target, f = one_variable(text, registry)
    ref_dps = _ref_dps(dps)
    rows = []
    for x in points:
        if dps is None:
            value, derivative = val_and_grad(target, x, rules=registry)
        else:
            value, derivative = val_and_grad(target, digits(dps).mpf(x), rules=registry)
            if isinstance(value, MPC) or isinstance(derivative, MPC):
                raise _not_real(text, f"{name} = {x!r}", value)
        reference = diff_reference(f, x, ref_dps)
        rows.append(GradRow(x, value, derivative, reference,
                            _error(derivative, reference, dps, ref_dps)))
    return name, rows


def grad_rows(text: str, points: Sequence[float], dps: int | None = None, *,
              rules: Registry | None = None) -> list[GradRow]:
    """Value, derivative, mpmath reference and error of ``text`` at each point.

    Args:
        text: an expression of one variable: a chain for
            :func:`vjpchain.expr.parse_chain`, or a formula that uses its variable more
            than once (``'x*sin(x)'``, read by :func:`vjpchain.expr.parse_function`).
        points: the inputs.
        dps: None to differentiate in float64 (error in ULPs), else the mpmath digits to
            differentiate at (error relative to the reference).

    Raises:
        ExprError: ``text`` is not an expression.
        UsageError: ``text`` has several variables (see :func:`grad_point`).
        VjpchainError: the expression fails at a point (e.g. PrimitiveDomainError).
    """
    return grad_rows_with_variable(text, points, dps, rules or default_registry)[1]


@dataclass
class Partial:
    """One partial derivative of ``vjpchain grad`` at a point of several variables."""

    variable: str
    x: float
    derivative: Any
    reference: Any
    error: float


@dataclass
class GradPoint:
    """The value of a function at a point and its partial derivatives, in the order of the
    function's variables."""

    point: dict[str, float]
    value: Any
    partials: list[Partial]


def _along(fn: Callable[..., Any], xs: Sequence[float], i: int) -> Callable[[Any], Any]:
    """``fn`` as a function of its ``i``-th input, the others fixed at ``xs``, in mpmath."""

    def f(t: Any) -> Any:
        return fn(*[t if j == i else context_of(t).mpf(x) for j, x in enumerate(xs)])

    return f


def grad_point(text: str, point: Mapping[str, float], dps: int | None = None, *,
               rules: Registry | None = None) -> GradPoint:
    """The value and every partial derivative of the function ``text`` at ``point``, each
    partial with its mpmath reference and error.

    The reference does not use the rules: the formula is evaluated in mpmath (vjpchain's
    generic functions run mpmath's own on mpmath numbers) and differentiated along one
    variable at a time with ``mpmath.diff``, the other variables fixed.

    Args:
        text: a formula for :func:`vjpchain.expr.parse_function`.
        point: one value per variable of the formula, by name.
        dps: as for :func:`grad_rows`.

    Raises:
        ExprError: ``text`` is not a formula.
        UsageError: a variable has no value, a name is not a variable of the formula, or
            the formula has no variable.
        VjpchainError: the function fails at the point (e.g. PrimitiveDomainError).
    """
    registry = rules or default_registry
    parsed = parse_function(text, rules=registry)
    names = parsed.names
    if not names:
        raise UsageError(f"{text!r} uses no variable: give a function such as 'x*sin(x)' or "
                         "'x1*x2'")
    missing = [n for n in names if n not in point]
    extra = [n for n in point if n not in names]
    if missing or extra:
        problems = []
        if missing:
            problems.append(f"no value for {', '.join(missing)}")
        if extra:
            problems.append(f"{', '.join(extra)} {'is' if len(extra) == 1 else 'are'} not "
                            f"{'a variable' if len(extra) == 1 else 'variables'} of it")
        raise UsageError(f"{text!r} has the variables {', '.join(names)}: "
                         f"{'; '.join(problems)}. Give one value each: "
                         f"{' '.join(n + '=VALUE' for n in names)}")
    xs = [float(point[n]) for n in names]
    if dps is None:
        value, grads = val_and_grad(parsed.fn, *xs, rules=registry)
    else:
        ctx = digits(dps)
        value, grads = val_and_grad(parsed.fn, *[ctx.mpf(x) for x in xs], rules=registry)
    grads = grads if len(xs) > 1 else (grads,)
    if dps is not None and any(isinstance(v, MPC) for v in (value, *grads)):
        where = ", ".join(f"{n} = {x!r}" for n, x in zip(names, xs, strict=True))
        raise _not_real(text, where, value)
    ref_dps = _ref_dps(dps)
    partials = []
    for i, (name, x, derivative) in enumerate(zip(names, xs, grads, strict=True)):
        reference = diff_reference(_along(parsed.fn, xs, i), x, ref_dps)
        partials.append(Partial(name, x, derivative, reference,
                                _error(derivative, reference, dps, ref_dps)))
    return GradPoint(dict(zip(names, xs, strict=True)), value, partials)
