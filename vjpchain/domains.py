"""Where each primitive is defined on the reals, as ``rules_table``, ``vjpchain rules`` and
the errors of ``vjpchain grad`` state it: read from the declarations (the interval, its
excluded points and integers), with the primal probed past each finite end to tell the end
of the real domain (log at 0) from where float64 overflows (exp past 709.78), and written
out for the families and the two-input primitives, whose domains the declarations cannot
express."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from .domain import Domain
from .rule import Parametric

__all__ = ["describe_rule", "describe_instance", "family_of", "is_pole", "real_domain"]

# the families' domains depend on their parameters (power(3) takes -2, power(0.5) does not)
_FAMILIES = {
    "power": "depends on p: all x (integer p >= 0), x != 0 (integer p < 0), x >= 0 "
             "(other p > 0), x > 0 (other p < 0)",
    "scale": "(-inf, inf)",
    "shift": "(-inf, inf)",
}

# two-input primitives: where both partial derivatives are defined
_TWO_INPUTS = {
    "add": "all (a, b)",
    "sub": "all (a, b)",
    "mul": "all (a, b)",
    "truediv": "b != 0",
    "pow": "a > 0; a = 0 with b > 0; a < 0 only with a constant integer b (d/db is not "
           "real there)",
    "atan2": "all (a, b); both partials 0 at (0, 0) by convention",
    "hypot": "all (a, b); both partials 0 at (0, 0) by convention",
    "maximum": "all (a, b); 1/2 each at a tie by convention",
    "minimum": "all (a, b); 1/2 each at a tie by convention",
}


def family_of(rule: Any) -> type[Parametric] | None:
    """The family class a rule is registered for (``power`` for the rule of ``power``)."""
    for key in rule.keys:
        if isinstance(key, type) and issubclass(key, Parametric):
            return key
    return None


def is_pole(domain: Domain, x: float) -> bool:
    """Whether ``x`` lies inside the declared interval but is excluded from it (a pole, such
    as 0 for reciprocal or the integers <= 0 for digamma)."""
    return domain.lo < x < domain.hi and x not in domain


def _number(v: float) -> str:
    return f"{v:g}"


def _interval(d: Domain) -> str:
    if d.lo == -math.inf and d.hi == math.inf:
        return "(-inf, inf)"
    if d.hi == math.inf:
        return f"x {'>=' if d.include_lo else '>'} {_number(d.lo)}"
    if d.lo == -math.inf:
        return f"x {'<=' if d.include_hi else '<'} {_number(d.hi)}"
    return (f"{'[' if d.include_lo else '('}{_number(d.lo)}, {_number(d.hi)}"
            f"{']' if d.include_hi else ')'}")


def _overflows(primal: Any, x: float) -> bool:
    """Whether the float primal is +-inf at ``x`` (an overflow, not a domain error)."""
    try:
        y = primal(x)
    except (ValueError, ArithmeticError, TypeError):
        return False
    return isinstance(y, float) and math.isinf(y)


def _overflow_ends(rule: Any) -> tuple[bool, bool]:
    """Whether each finite end of the declared interval is only where float64 overflows
    (the primal is +-inf just past it), not an end of the real domain (log at 0)."""
    d: Domain = rule.domain
    primal = rule.primal
    low = (primal is not None and math.isfinite(d.lo)
           and _overflows(primal, d.lo - max(1.0, abs(d.lo))))
    high = (primal is not None and math.isfinite(d.hi)
            and _overflows(primal, d.hi + max(1.0, abs(d.hi))))
    return low, high


def real_domain(rule: Any) -> Domain:
    """The declared domain with the ends where only float64 overflows taken away: where an
    mpf, whose exponent is unbounded, has the primitive (exp on all the reals)."""
    d: Domain = rule.domain
    low, high = _overflow_ends(rule)
    return replace(d, lo=-math.inf if low else d.lo, hi=math.inf if high else d.hi,
                   include_lo=d.include_lo and not low, include_hi=d.include_hi and not high)


def _unary(rule: Any) -> str:
    d: Domain = rule.domain
    low, high = _overflow_ends(rule)
    real = real_domain(rule)
    text = _interval(real)
    points = [p for p in d.excluded if real.lo < p < real.hi]
    if points:
        unequal = " and ".join(f"x != {_number(p)}" for p in points)
        text = unequal if text == "(-inf, inf)" else f"{text}, {unequal}"
    if d.excluded_integers_below is not None:
        text += f" except integers <= {_number(d.excluded_integers_below)}"
    if low and high:
        text += f"; float64 overflows outside {_interval(d)}"
    elif high:
        text += f"; float64 overflows past {_number(d.hi)}"
    elif low:
        text += f"; float64 overflows below {_number(d.lo)}"
    return text


def describe_rule(rule: Any) -> str:
    """The real domain of a registered rule, as ``vjpchain rules`` shows it."""
    family = family_of(rule)
    if family is not None:
        return _FAMILIES.get(family.__name__, f"{_unary(rule)} (declared for the family; an "
                                              "instance may differ)")
    if rule.arity == 2:
        return _TWO_INPUTS.get(rule.name, "not declared (a two-input rule)")
    return _unary(rule)


def describe_instance(primitive: Any, rule: Any) -> str:
    """The real domain of one step of a chain: a family's instance with its parameters
    (``power(-1.0)``: x != 0), else :func:`describe_rule`."""
    from .families import power

    if isinstance(primitive, power):
        p = float(primitive.p)
        if p.is_integer():
            return "(-inf, inf)" if p >= 0 else "x != 0"
        return "x >= 0" if p > 0 else "x > 0"
    if isinstance(primitive, Parametric) and type(primitive).__name__ in ("scale", "shift"):
        return "(-inf, inf)"
    return describe_rule(rule)
