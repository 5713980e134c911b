"""Accurate float64 kernels for special functions: digamma, trigamma, normalized sinc.

Each kernel takes ``(x, F)`` with ``F`` from ``_ops`` and runs on a Python float or a float64
array. PLACEHOLDER: simple forms, to be replaced by the accurate ones.
"""

from __future__ import annotations

import math
from typing import Any

import mpmath


def digamma(x: Any, F: Any) -> Any:
    if isinstance(x, float):
        return float(mpmath.digamma(x))
    return F.np.vectorize(lambda v: float(mpmath.digamma(v)), otypes=[float])(x)


def trigamma(x: Any, F: Any) -> Any:
    if isinstance(x, float):
        return float(mpmath.psi(1, x))
    return F.np.vectorize(lambda v: float(mpmath.psi(1, v)), otypes=[float])(x)


def sinc(x: Any, F: Any) -> Any:
    t = math.pi * x
    return F.where(x == 0, 1.0, F.sin(t) / F.where(x == 0, 1.0, t))


def d_sinc(x: Any, F: Any) -> Any:
    t = math.pi * x
    safe = F.where(x == 0, 1.0, x)
    return F.where(x == 0, 0.0, (F.cos(t) - sinc(x, F)) / safe)
