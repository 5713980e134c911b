"""Accurate float64 kernels built on exp: exp2', sinh', cosh', tanh', sigmoid, softplus, erf'.

Each kernel takes ``(x, F)`` with ``F`` from ``_ops`` and runs on a Python float or a float64
array. PLACEHOLDER: textbook forms, to be replaced by the accurate ones.
"""

from __future__ import annotations

import math
from typing import Any

_LN2 = math.log(2.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def sigmoid(x: Any, F: Any) -> Any:
    u = F.exp(-abs(x))
    return F.where(x >= 0, 1.0 / (1.0 + u), u / (1.0 + u))


def softplus(x: Any, F: Any) -> Any:
    return F.maximum(x, 0.0) + F.log1p(F.exp(-abs(x)))


def d_exp2(x: Any, F: Any) -> Any:
    n = F.rint(x)
    return F.ldexp(F.exp((x - n) * _LN2) * _LN2, n)


def d_sinh(x: Any, F: Any) -> Any:
    return F.cosh(x)


def d_cosh(x: Any, F: Any) -> Any:
    return F.sinh(x)


def d_tanh(x: Any, F: Any) -> Any:
    u = F.exp(-2.0 * abs(x))
    return 4.0 * u / ((1.0 + u) * (1.0 + u))


def d_sigmoid(x: Any, F: Any) -> Any:
    u = F.exp(-abs(x))
    return u / ((1.0 + u) * (1.0 + u))


def d_softplus(x: Any, F: Any) -> Any:
    return sigmoid(x, F)


def d_erf(x: Any, F: Any) -> Any:
    return _TWO_OVER_SQRT_PI * F.exp(-x * x)


def d_erfc(x: Any, F: Any) -> Any:
    return -d_erf(x, F)


def d_power(x: Any, p: float, F: Any) -> Any:
    """p * x**(p - 1) for real p (x > 0, or any x when p is an integer)."""
    return p * x ** (p - 1.0)
