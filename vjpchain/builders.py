"""How the built-ins' generic functions are built: from the functions of math, cmath,
mpmath and NumPy (:func:`standard`), around an accurate float64 kernel (:func:`accurate`,
:class:`Accurate2` for partial derivatives), and the small adapters they need (overflow to
inf, complex through mpmath, NumPy elementwise). The declarations in ``elementary``,
``special`` and ``binary`` use these; the dispatch itself is :mod:`vjpchain.generic`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import mpmath

from .errors import UnsupportedTypeError
from .float64.ops import FLOAT_OPS
from .generic import NUMPY, REAL, Generic, Impl, np_ops, number_kind
from .mpcontext import at_precision

__all__ = ["overflow_to_inf", "numpy_ufunc", "numpy_kernel", "real_kernel", "via_mpc",
           "standard", "accurate", "np_vectorized", "select", "Accurate2", "ratio0"]


def overflow_to_inf(f: Impl, odd: bool = False) -> Impl:
    """``f`` from math, returning a signed inf on overflow (IEEE, as NumPy and mpmath do)."""

    def g(x: Any) -> float:
        try:
            return f(x)
        except OverflowError:
            return math.copysign(math.inf, x) if odd else math.inf

    g.__name__ = getattr(f, "__name__", "f")
    g.unchecked = f  # type: ignore[attr-defined]  # raises OverflowError; see Generic.resolve
    return g


def numpy_ufunc(name: str) -> Impl:
    def call(x: Any) -> Any:
        import numpy as np

        return getattr(np, name)(x)

    call.__name__ = name
    return call


def numpy_kernel(kernel: Callable[[Any, Any], Any], formula: Impl | None) -> Impl:
    """Run a float64 kernel elementwise; float32/16 compute in float64 and round back."""

    def call(x: Any) -> Any:
        import numpy as np

        a = np.asarray(x)
        dtype = a.dtype
        if dtype.kind == "c" or (dtype.kind == "f" and dtype.itemsize > 8):
            if formula is None:
                raise UnsupportedTypeError(f"{kernel.__name__} has no {dtype} implementation")
            return formula(x)
        with np.errstate(all="ignore"):
            out = kernel(a.astype(np.float64), np_ops())
        if dtype.kind == "f":
            out = out.astype(dtype)
        if isinstance(x, np.ndarray):
            return out
        return out[()]

    return call


def real_kernel(kernel: Callable[[Any, Any], Any]) -> Impl:
    def call(x: Any) -> Any:
        return kernel(float(x), FLOAT_OPS)

    call.__name__ = kernel.__name__
    return call


def via_mpc(f: str | Callable[[Any, Any], Any]) -> Impl:
    """A complex implementation through mpmath at double precision (cmath lacks it).

    ``f`` names an mpmath function (a method of every context, such as ``"expm1"``), or is a
    function ``(ctx, z)`` of a context and an mpc. It runs in a private 53-bit context:
    mpmath.workprec would set the global context's precision, under other threads too.
    """
    name = f if isinstance(f, str) else None

    def call(z: complex) -> complex:
        ctx = at_precision(53)
        if name is not None:
            return complex(getattr(ctx, name)(ctx.mpc(z)))
        return complex(f(ctx, ctx.mpc(z)))  # type: ignore[operator]

    return call


def standard(name: str, math_f: Impl | None, cmath_f: Impl | None, mp_f: Impl,
             np_name: str | None = None, odd: bool = False, doc: str = "",
             overflows: bool = False, array_names: dict[str, str] | None = None) -> Generic:
    """A generic function from the functions of math, cmath, mpmath and a NumPy ufunc
    (``np_name``, default ``name``); other array API arrays use the standard's function of
    the same name unless ``array_names`` says otherwise. ``overflows``: math raises
    OverflowError where IEEE gives a (signed, if ``odd``) inf, which is returned instead."""
    return Generic(
        name,
        real=overflow_to_inf(math_f, odd) if math_f and overflows else math_f,
        complex=cmath_f,
        mp=mp_f,
        numpy=numpy_ufunc(np_name or name),
        array_names={"standard": name} if array_names is None else array_names,
        doc=doc,
    )


def accurate(name: str, kernel: Callable[[Any, Any], Any], formula: Impl | None,
             mp: Impl | None = None, doc: str = "",
             array_names: dict[str, str] | None = None) -> Generic:
    """A generic function whose float64 path is an accurate kernel and others a formula.

    ``formula`` (written with generic functions, double-precision constants) serves complex
    numbers and complex arrays; ``mp`` (default: ``formula``) serves mpmath numbers and must
    take its constants from mpmath so that no precision is lost.
    """
    generic = Generic(
        name,
        real=real_kernel(kernel),
        complex=formula,
        mp=mp or formula,
        numpy=numpy_kernel(kernel, formula),
        array_names=array_names,
        doc=doc,
    )
    generic.formula = formula
    return generic


def np_vectorized(f: Impl) -> Impl:
    """Elementwise through a float function, for NumPy real arrays (no ufunc exists)."""

    def call(x: Any) -> Any:
        import numpy as np

        a = np.asarray(x)
        if a.dtype.kind == "c":
            out = np.vectorize(lambda v: complex(f(mpmath.mpc(v))), otypes=[complex])(a)
        else:
            out = np.vectorize(lambda v: f(float(v)), otypes=[np.float64])(a)
            if a.dtype.kind == "f":
                out = out.astype(a.dtype)
        return out if isinstance(x, np.ndarray) else out[()]

    return call


def select(cond: Any, a: Any, b: Any) -> Any:
    """``a`` where ``cond`` holds, else ``b``: elementwise for arrays, plain for numbers."""
    if hasattr(cond, "shape"):
        import numpy as np

        return np.where(cond, a, b)
    return a if cond else b


# --- partial derivatives of the functions of two numbers ---------------------------------------


class Accurate2:
    """A partial derivative of a function of two numbers, as :func:`accurate` for one.

    Int and float arguments run ``kernel`` on Python floats; NumPy real arrays and scalars
    (any mix with Python numbers, broadcast) run it on float64 arrays, float32 and float16
    rounded back at the end; everything else (complex, mpmath, long double, traced and dual
    numbers) evaluates ``formula``, written with generic functions so that it keeps mpmath's
    working precision and can itself be differentiated.
    """

    __slots__ = ("__name__", "__qualname__", "kernel", "formula", "doc")

    def __init__(self, name: str, kernel: Callable[[Any, Any, Any], Any],
                 formula: Callable[[Any, Any], Any], doc: str = "") -> None:
        self.__name__ = self.__qualname__ = name
        self.kernel = kernel
        self.formula = formula
        self.doc = doc

    def __call__(self, a: Any, b: Any) -> Any:
        ka, kb = number_kind(type(a)), number_kind(type(b))
        if ka == REAL and kb == REAL:
            return self.kernel(float(a), float(b), FLOAT_OPS)
        if NUMPY in (ka, kb) and ka in (REAL, NUMPY) and kb in (REAL, NUMPY):
            return self._numpy(a, b)
        return self.formula(a, b)

    def _numpy(self, a: Any, b: Any) -> Any:
        import numpy as np

        dtype = np.result_type(a, b)  # Python numbers are weak: float32 + 1.5 stays float32
        if dtype.kind == "c" or (dtype.kind == "f" and dtype.itemsize > 8) or dtype.kind == "O":
            return self.formula(a, b)
        aa, bb = np.broadcast_arrays(np.asarray(a, dtype=np.float64),
                                     np.asarray(b, dtype=np.float64))
        with np.errstate(all="ignore"):
            out = self.kernel(aa, bb, np_ops())
        if dtype.kind == "f":
            out = out.astype(dtype)
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            return out
        return out[()]

    def __repr__(self) -> str:
        return f"vjpchain.{self.__name__}"


def ratio0(a: Any, b: Any) -> Any:
    """a / b, and 0 where b is 0 (the subgradient convention of hypot at the origin)."""
    zero = b == 0
    return select(zero, 0.0, a / select(zero, 1.0, b))
