"""What ``vjpchain grad`` computes: the derivatives of an expression by reverse mode, each
with its mpmath reference (``mpmath.diff``, never the rules under test) and its error."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..domains import describe_instance, is_pole
from ..errors import PrimitiveDomainError, VjpchainError
from ..exact import digits, ulp_error
from ..expr import ParsedFunction, parse_expression, parse_function
from ..finite import as_function
from ..generic import MPC
from ..mpcontext import context_of
from ..registry import Registry, default_registry
from ..symbolic import primal_expression
from ..transforms import val_and_grad
from .bounded import SECONDS, OutOfTime, derivative_reference, time_limit

__all__ = ["REFERENCE_DPS", "UsageError", "BoundExceededError", "GradRow", "Partial",
           "GradPoint", "grad_rows", "grad_point", "grad_rows_with_variable", "one_variable",
           "reference_or_reason", "chain_problem"]

REFERENCE_DPS = 50
"""Digits of the mpmath reference for float64 results (``--dps N`` uses at least N + 10)."""


class UsageError(VjpchainError, ValueError):
    """The points given do not fit the expression (a variable without a value, or a value
    for a name the expression does not use); the command exits with status 2."""


class BoundExceededError(VjpchainError, RuntimeError):
    """Computing the expression at ``--dps`` digits took longer than its bound (a value of
    astronomical size, such as exp(exp(exp(20)))); the command exits with status 1."""


@dataclass
class GradRow:
    """One point of ``vjpchain grad``: the error is in ULPs (float64) or relative (--dps);
    without a reference (None) the error is nan and ``note`` says why."""

    x: float
    value: Any
    derivative: Any
    reference: Any
    error: float
    note: str = ""


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
        "domain of a step (vjpchain rules lists the domains)")


def _ref_dps(dps: int | None) -> int:
    return REFERENCE_DPS if dps is None else max(REFERENCE_DPS, dps + 10)


# --- where an expression is not defined, in the user's terms ---------------------------------


def _step_value(rule: Any, x: float) -> Any:
    return rule.primal(x) if rule.primal is not None else rule.vjp(x)[0]


def chain_problem(text: str, where: str, chain: Sequence[Any], x: float,
                   registry: Registry) -> PrimitiveDomainError | None:
    """The first step of ``chain`` that is not defined at the value reaching it (an error,
    a pole the declaration excludes, or nan), said in terms of the expression; None if every
    step is defined there (an infinite value is then an overflow)."""
    v: Any = x
    for i, prim in enumerate(chain):
        rule = registry.lookup(prim)
        cause = ""
        if isinstance(v, float) and math.isfinite(v) and rule.arity == 1 and \
                is_pole(rule.domain, v):
            cause = "a pole"
        else:
            try:
                out = _step_value(rule, v)
            except (ValueError, ArithmeticError, VjpchainError) as exc:
                cause = str(exc) or type(exc).__name__
            else:
                if isinstance(out, float) and math.isnan(out) and not math.isnan(v):
                    cause = "its value is nan"
        if cause:
            at = repr(v)
            if i:
                try:
                    inner = primal_expression(chain[:i], rules=registry)
                except ValueError:
                    inner = ""
                at = (f"{inner} = {v!r}" if 0 < len(inner) <= 80 else
                      f"{v!r} (the value of its first {i} steps)")
                if isinstance(v, float) and math.isinf(v):
                    at += ", which overflowed float64"
            return PrimitiveDomainError(
                f"{text} is not defined at {where}: {rule.name} is not defined at {at} "
                f"({cause}); the domain of {rule.name} is {describe_instance(prim, rule)}")
        v = out
    return None


def _in_user_terms(text: str, where: str, target: Any, x: float | None, exc: Exception,
                   registry: Registry) -> PrimitiveDomainError:
    """A domain error of the library, said in terms of the expression and the point."""
    if isinstance(target, list) and x is not None:
        found = chain_problem(text, where, target, x, registry)
        if found is not None:
            return found
    return PrimitiveDomainError(f"{text} is not defined at {where}: {exc}")


def _mp_probe(fn: Callable[..., Any], xs: Sequence[float]) -> str:
    """Why mpmath finds no value of ``fn`` at ``xs`` ("" if it finds one, or cannot tell
    within a second)."""
    ctx = digits(20)
    with time_limit(1.0) as armed:
        if not armed:  # no timer: an astronomically large value could take any time
            return ""
        try:
            y = fn(*[ctx.mpf(x) for x in xs])
        except OutOfTime:
            return ""
        except (ValueError, ZeroDivisionError) as exc:
            return f"mpmath finds no value there ({exc})"
        except Exception:  # noqa: BLE001 - anything else: no verdict
            return ""
    if isinstance(y, MPC) and y.imag != 0:
        return "its value is not real there"
    y = y.real if isinstance(y, MPC) else y
    if context_of(y).isinf(y):
        return "its value is infinite there (a pole)"
    return ""


def _check_defined(text: str, where: str, target: Any, fn: Callable[..., Any],
                   xs: Sequence[float], value: Any, registry: Registry) -> None:
    """Raise PrimitiveDomainError where the float64 value says the point is outside the
    domain: nan, or an infinite value at a pole (not an overflow)."""
    value = float(value)
    if math.isfinite(value):
        return
    if any(math.isnan(x) for x in xs):
        raise PrimitiveDomainError(f"{text} is not defined at {where}: give a number")
    if isinstance(target, list):
        found = chain_problem(text, where, target, xs[0], registry)
        if found is not None:
            raise found
    elif math.isinf(value):
        why = _mp_probe(fn, xs)
        if why:
            raise PrimitiveDomainError(f"{text} is not defined at {where}: {why}")
    if math.isnan(value):
        raise PrimitiveDomainError(
            f"{text} has no float64 value at {where}: it evaluates to nan there (a step of "
            "it is at a pole or outside its domain, or overflows into inf - inf or 0 * inf; "
            "vjpchain rules lists the domains)")


def reference_or_reason(f: Callable[[Any], Any], x: float, value: Any, derivative: Any,
                        name: str = "x", ref_dps: int = REFERENCE_DPS) -> tuple[Any, str]:
    """The mpmath reference of a float64 derivative, or None and why there is none: the
    point, the value or the derivative is not finite, or the reference would need more than
    its bound of precision or time (:mod:`.bounded`)."""
    if not math.isfinite(x):
        return None, f"{name} = {x!r} is not finite"
    if not math.isfinite(value):
        return None, f"f = {float(value)!r}: the value overflows float64"
    if not math.isfinite(derivative):
        return None, f"the float64 derivative is {float(derivative)!r}, not finite"
    return derivative_reference(f, x, ref_dps)


def _mp_values(target: Any, xs: Sequence[float], dps: int, text: str, where: str,
               registry: Registry) -> tuple[Any, Any]:
    """``val_and_grad`` at ``dps`` digits, bounded in time where a timer is available."""
    ctx = digits(dps)
    seconds = SECONDS + dps / 1000
    try:
        with time_limit(seconds):
            return val_and_grad(target, *[ctx.mpf(x) for x in xs], rules=registry)
    except OutOfTime:
        raise BoundExceededError(
            f"computing {text} at {where} to {dps} digits takes more than {seconds:g} s (a "
            "value of astronomical size?); try fewer digits, or float64 without --dps"
        ) from None
    except RecursionError:
        raise BoundExceededError(
            f"mpmath cannot compute {text} at {where} (recursion too deep: a value of "
            "astronomical size?)") from None


def grad_rows_with_variable(text: str, points: Sequence[float], dps: int | None,
                            registry: Registry) -> tuple[str, list[GradRow]]:
    """:func:`grad_rows` with the name of the expression's variable (``x`` for a chain)."""
    name, target, f = one_variable(text, registry)
    ref_dps = _ref_dps(dps)
    rows = []
    for x in points:
        where = f"{name} = {x!r}"
        try:
            if dps is None:
                value, derivative = val_and_grad(target, x, rules=registry)
            else:
                value, derivative = _mp_values(target, [x], dps, text, where, registry)
        except PrimitiveDomainError as exc:
            raise _in_user_terms(text, where, target, x, exc, registry) from exc
        if isinstance(value, MPC) or isinstance(derivative, MPC):
            raise _not_real(text, where, value)
        _check_defined(text, where, target, f, [x], value, registry)
        if dps is None:
            reference, note = reference_or_reason(f, x, value, derivative, name, ref_dps)
        else:
            reference, note = derivative_reference(f, x, ref_dps)
        rows.append(GradRow(x, value, derivative, reference,
                            _error(derivative, reference, dps, ref_dps), note))
    return name, rows


def grad_rows(text: str, points: Sequence[float], dps: int | None = None, *,
              rules: Registry | None = None) -> list[GradRow]:
    """Value, derivative, mpmath reference and error of ``text`` at each point.

    The reference (:func:`.bounded.derivative_reference`) never uses the rules: the
    expression is evaluated in mpmath and differentiated numerically with a step scaled to
    the function, bounded in precision and time; where there is none (the value overflows
    float64, the derivative is not finite, or the bound is reached) it is None and the
    row's ``note`` says why.

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
        PrimitiveDomainError: a point is outside the expression's domain (a step raises,
            is at a pole, or gives nan), said in terms of the expression and the point.
        BoundExceededError: with ``dps``, the computation takes longer than its bound.
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
    note: str = ""


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
    variable at a time, the others fixed, as :func:`grad_rows` does (bounded; None with a
    ``note`` where there is none).

    Args:
        text: a formula for :func:`vjpchain.expr.parse_function`.
        point: one value per variable of the formula, by name.
        dps: as for :func:`grad_rows`.

    Raises:
        ExprError: ``text`` is not a formula.
        UsageError: a variable has no value, a name is not a variable of the formula, or
            the formula has no variable.
        PrimitiveDomainError: the point is outside the function's domain.
        BoundExceededError: with ``dps``, the computation takes longer than its bound.
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
    where = ", ".join(f"{n} = {x!r}" for n, x in zip(names, xs, strict=True))
    try:
        if dps is None:
            value, grads = val_and_grad(parsed.fn, *xs, rules=registry)
        else:
            value, grads = _mp_values(parsed.fn, xs, dps, text, where, registry)
    except PrimitiveDomainError as exc:
        raise _in_user_terms(text, where, parsed.fn, None, exc, registry) from exc
    grads = grads if len(xs) > 1 else (grads,)
    if dps is not None and any(isinstance(v, MPC) for v in (value, *grads)):
        raise _not_real(text, where, value)
    _check_defined(text, where, parsed.fn, parsed.fn, xs, value, registry)
    ref_dps = _ref_dps(dps)
    partials = []
    for i, (name, x, derivative) in enumerate(zip(names, xs, grads, strict=True)):
        along = _along(parsed.fn, xs, i)
        if dps is None:
            reference, note = reference_or_reason(along, x, value, derivative, name, ref_dps)
            if any(not math.isfinite(v) for v in xs):
                reference, note = None, "the point is not finite"
        else:
            reference, note = derivative_reference(along, x, ref_dps)
        partials.append(Partial(name, x, derivative, reference,
                                _error(derivative, reference, dps, ref_dps), note))
    return GradPoint(dict(zip(names, xs, strict=True)), value, partials)
