"""The few non-arithmetic operations float64 kernels need, for Python floats and NumPy arrays.

An accurate kernel is written once, against ``F`` (one of the two namespaces below), and
runs on a Python ``float`` or elementwise on a ``float64`` array. Arithmetic (+ - * /) needs
no wrapper; everything else a kernel calls goes through ``F`` so that the scalar path never
raises where the array path would return inf, and the array path never branches in Python.

Rules a kernel keeps: no Python ``if`` on a value (use ``F.where``; both branches are
evaluated, so each must be finite-safe), no division by a value that can be exactly zero
inside the domain (use ``F.div0``), and the libm seeds (``F.exp``, ``F.log`` ...) only on
arguments where they cannot overflow.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["FloatOps", "NumpyOps", "FLOAT_OPS"]


class FloatOps:
    """Kernel operations on Python floats (``math`` underneath)."""

    inf = math.inf

    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Any:
        return a if cond else b

    @staticmethod
    def rint(x: float) -> float:
        """Round to the nearest integer (ties to even), as a float."""
        return float(round(x)) if math.isfinite(x) else x

    @staticmethod
    def ldexp(m: float, e: Any) -> float:
        """``m * 2**e`` rounded once; overflows to a signed inf instead of raising."""
        try:
            return math.ldexp(m, int(e))
        except OverflowError:
            return math.copysign(math.inf, m)

    @staticmethod
    def frexp(x: float) -> tuple[float, float]:
        m, e = math.frexp(x)
        return m, float(e)

    @staticmethod
    def div0(a: float, b: float) -> float:
        """``a / b`` with IEEE semantics for ``b == 0`` (signed inf, or nan for 0/0)."""
        try:
            return a / b
        except ZeroDivisionError:
            if a == 0 or math.isnan(a):
                return math.nan
            return math.copysign(math.inf, a) * math.copysign(1.0, b)

    @staticmethod
    def copysign(a: float, b: float) -> float:
        return math.copysign(a, b)

    @staticmethod
    def isfinite(x: float) -> bool:
        return math.isfinite(x)

    @staticmethod
    def maximum(a: float, b: float) -> float:
        return a if a > b else b

    @staticmethod
    def minimum(a: float, b: float) -> float:
        return a if a < b else b

    # libm seeds: callers keep the arguments in range
    sqrt = staticmethod(math.sqrt)
    cbrt = staticmethod(math.cbrt)
    exp = staticmethod(math.exp)
    expm1 = staticmethod(math.expm1)
    log = staticmethod(math.log)
    log1p = staticmethod(math.log1p)
    sin = staticmethod(math.sin)
    cos = staticmethod(math.cos)
    tan = staticmethod(math.tan)
    atan = staticmethod(math.atan)
    tanh = staticmethod(math.tanh)
    cosh = staticmethod(math.cosh)
    sinh = staticmethod(math.sinh)
    erf = staticmethod(math.erf)
    erfc = staticmethod(math.erfc)


FLOAT_OPS = FloatOps()


class NumpyOps:
    """Kernel operations on float64 NumPy arrays (elementwise, no Python branching)."""

    def __init__(self) -> None:
        import numpy as np

        self.np = np
        self.inf = np.inf
        self.where = np.where
        self.rint = np.rint
        self.copysign = np.copysign
        self.isfinite = np.isfinite
        self.maximum = np.maximum
        self.minimum = np.minimum
        for name in ("sqrt", "cbrt", "exp", "expm1", "log", "log1p", "sin", "cos", "tan",
                     "tanh", "cosh", "sinh"):
            setattr(self, name, getattr(np, name))
        self.atan = np.arctan

    def ldexp(self, m: Any, e: Any) -> Any:
        np = self.np
        return np.ldexp(m, np.clip(np.nan_to_num(e), -4000, 4000).astype(np.int64))

    def frexp(self, x: Any) -> tuple[Any, Any]:
        m, e = self.np.frexp(x)
        return m, e.astype(self.np.float64)

    def div0(self, a: Any, b: Any) -> Any:
        return a / b

    def erf(self, x: Any) -> Any:  # pragma: no cover - only if a kernel seeds from erf
        raise NotImplementedError("NumPy has no erf; kernels must not seed from it")

    erfc = erf
