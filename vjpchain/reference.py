"""High-precision references: mpmath derivatives and the error of a float64 result in ULPs."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import mpmath

__all__ = ["ulp_error", "float_ulp", "REFERENCE_DERIVATIVES", "reference_derivative"]

_MAX = mpmath.mpf(1.7976931348623157e308)
# the smallest magnitude that rounds to inf in float64: (2 - 2**-53) * 2**1023
_OVERFLOW = (2 - mpmath.mpf(2) ** -53) * mpmath.mpf(2) ** 1023


def float_ulp(exact: Any) -> Any:
    """The spacing of float64 numbers at ``exact`` (an mpf): 2**-1074 at subnormals."""
    if exact == 0:
        return mpmath.mpf(2) ** -1074
    _, e = mpmath.frexp(exact)  # exact = m * 2**e, 0.5 <= |m| < 1
    return mpmath.mpf(2) ** (max(int(e) - 1, -1022) - 52)


def ulp_error(computed: float, exact: Any) -> float:
    """``|computed - exact|`` in units of the float64 spacing at ``exact``.

    ``exact`` is an mpmath number at high precision. A computed inf counts as exact when
    the true value rounds to that inf; any other inf or nan counts as an infinite error.
    """
    computed = float(computed)
    with mpmath.workprec(256):
        if math.isnan(computed):
            return math.inf
        if math.isinf(computed):
            if abs(exact) >= _OVERFLOW and (computed > 0) == (exact > 0):
                return 0.0
            return math.inf
        if abs(exact) >= _OVERFLOW:
            return math.inf
        return float(abs(mpmath.mpf(computed) - exact) / float_ulp(exact))


def _sinc_derivative(x: Any) -> Any:
    if x == 0:
        return mpmath.mpf(0)
    t = mpmath.pi * x
    return (mpmath.cospi(x) * t - mpmath.sinpi(x)) / (t * x)


# Closed-form derivatives in mpmath, written independently of the rules under test.
REFERENCE_DERIVATIVES: dict[str, Callable[[Any], Any]] = {
    "sin": mpmath.cos,
    "cos": lambda x: -mpmath.sin(x),
    "tan": lambda x: mpmath.sec(x) ** 2,
    "exp": mpmath.exp,
    "exp2": lambda x: mpmath.ln2 * mpmath.power(2, x),
    "expm1": mpmath.exp,
    "log": lambda x: 1 / x,
    "log2": lambda x: 1 / (x * mpmath.ln2),
    "log10": lambda x: 1 / (x * mpmath.ln10),
    "log1p": lambda x: 1 / (1 + x),
    "sqrt": lambda x: 1 / (2 * mpmath.sqrt(x)) if x else mpmath.inf,
    "cbrt": lambda x: 1 / (3 * mpmath.cbrt(abs(x)) ** 2) if x else mpmath.inf,
    "sinh": mpmath.cosh,
    "cosh": mpmath.sinh,
    "tanh": lambda x: mpmath.sech(x) ** 2,
    "asin": lambda x: 1 / mpmath.sqrt((1 - x) * (1 + x)) if abs(x) != 1 else mpmath.inf,
    "acos": lambda x: -1 / mpmath.sqrt((1 - x) * (1 + x)) if abs(x) != 1 else -mpmath.inf,
    "atan": lambda x: 1 / (1 + x * x),
    "asinh": lambda x: 1 / mpmath.sqrt(1 + x * x),
    "acosh": lambda x: 1 / mpmath.sqrt((x - 1) * (x + 1)) if x != 1 else mpmath.inf,
    "atanh": lambda x: 1 / ((1 - x) * (1 + x)),
    "erf": lambda x: 2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-x * x),
    "erfc": lambda x: -2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-x * x),
    "sigmoid": lambda x: mpmath.exp(-x) / (1 + mpmath.exp(-x)) ** 2,
    "softplus": lambda x: 1 / (1 + mpmath.exp(-x)),
    "abs": lambda x: mpmath.sign(x),
    "neg": lambda x: mpmath.mpf(-1),
    "square": lambda x: 2 * x,
    "reciprocal": lambda x: -1 / (x * x),
    "lgamma": mpmath.digamma,
    "digamma": lambda x: mpmath.psi(1, x),
    "sinc": _sinc_derivative,
}


def reference_derivative(name: str, x: float, dps: int = 60) -> Any:
    """The derivative of the built-in primitive ``name`` at the float ``x``, at ``dps`` digits."""
    with mpmath.workdps(dps):
        return REFERENCE_DERIVATIVES[name](mpmath.mpf(x))


def sweep_ulps(
    compute: Callable[[float], float],
    exact: Callable[[Any], Any],
    points: list[float],
    dps: int = 60,
) -> list[tuple[float, float, float, Any]]:
    """``(x, computed, ulps, reference)`` for each point; the reference at ``dps`` digits."""
    rows = []
    with mpmath.workdps(dps):
        for x in points:
            ref = exact(mpmath.mpf(x))
            value = compute(x)
            rows.append((x, value, ulp_error(value, ref), ref))
    return rows
