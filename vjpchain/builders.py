"""How the built-ins' generic functions are built: from the functions of math, cmath,
mpmath and NumPy (:func:`standard`), around an accurate float64 kernel (:func:`accurate`,
:class:`Accurate2` for partial derivatives), and the small adapters they need (overflow to
inf, complex through mpmath, NumPy elementwise). The declarations in ``elementary``,
``special`` and ``binary`` use these; the dispatch itself is :mod:`vjpchain.generic`.

The adapters keep the special-value conventions (README, "Conventions") the same on every
type: a nan input gives nan; where a function has no value (a pole, or no limit at an
infinity) a float or an ``mpf`` raises ValueError (the chain reports PrimitiveDomainError)
and NumPy gives inf or nan with NumPy's RuntimeWarning, following ``numpy.errstate``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

import mpmath

from .errors import UnsupportedTypeError
from .float64.ops import FLOAT_OPS
from .generic import MPF, NUMPY, REAL, Generic, Impl, np_ops, number_kind
from .mpcontext import at_precision, context_of, in_context, refined_float

__all__ = ["overflow_to_inf", "numpy_ufunc", "numpy_kernel", "real_kernel", "via_mpc",
           "standard", "accurate", "np_vectorized", "select", "Accurate2", "ratio0",
           "Poles", "at_pole", "no_value", "numpy_warning", "mp_real", "Recheck", "rechecked"]

# A function's poles, as a test on x written with comparisons and arithmetic only, so that
# it runs on a float, an mpf and (elementwise) a float64 array: ``lambda x: x == 0``.
Poles = Callable[[Any], Any]


def at_pole(name: str, x: Any) -> ValueError:
    """The error of a float or mpf at a pole of ``name`` (the chain reports it as
    PrimitiveDomainError with its position)."""
    return ValueError(f"{x!r} is a pole of {name}: it has no value there (a NumPy array "
                      "gives inf or nan, with a RuntimeWarning)")


def no_value(name: str, x: Any) -> ValueError:
    """The error of a float or mpf where ``name`` has no real value and no limit (sin at
    inf, a derivative that would be nan): NumPy gives nan there."""
    return ValueError(f"{name} has no real value at {x!r} (a NumPy array gives nan there, "
                      "with a RuntimeWarning)")


def numpy_warning(kind: Literal["invalid", "divide"], name: str) -> None:
    """Signal a floating-point event in ``name`` as a NumPy ufunc would, following the
    caller's ``numpy.errstate``: ``kind`` is "invalid" (a nan made) or "divide" (a pole)."""
    import numpy as np

    mode = np.geterr()[kind]
    if mode == "ignore":
        return
    message = f"{'invalid value' if kind == 'invalid' else 'divide by zero'} encountered in {name}"
    if mode == "raise":
        raise FloatingPointError(message)
    warnings.warn(message, RuntimeWarning, stacklevel=3)


def _is_nan(x: Any) -> bool:
    return x != x  # type: ignore[no-any-return]


def mp_real(f: Impl, name: str, poles: Poles | None = None) -> Impl:
    """``f`` for mpmath numbers, with the float conventions on a real ``mpf``: nan gives nan
    (``mpmath.acosh(nan)`` is an mpc), a pole raises, and a nan made from a number raises
    (``mpmath.sin(inf)`` is nan where ``math.sin`` raises). Outside a real domain the result
    is still mpmath's mpc. Complex ``mpc`` arguments run ``f`` unchanged."""

    def call(x: Any) -> Any:
        # a function of mpmath's global context (mpmath.sin) runs in the number's own one
        # (Generic.resolve does this for unwrapped functions)
        g = in_context(f, context_of(x))
        if not isinstance(x, MPF):
            return g(x)
        if _is_nan(x):
            return x
        if poles is not None and poles(x):
            raise at_pole(name, x)
        y = g(x)
        if isinstance(y, MPF) and _is_nan(y):
            raise no_value(name, x)
        return y

    call.__name__ = getattr(f, "__name__", name)
    return call


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


class Recheck(NamedTuple):
    """Where a fast float64 result cannot be trusted, and what replaces it there.

    The accurate phase of Ziv's strategy, with mpmath as its engine: ``suspect(x, y)`` flags
    the arguments whose fast result ``y`` may be more than 1 ulp off (next to a zero of the
    function, where a libm's argument reduction or a kernel's formula cancels); there
    ``exact(ctx, x)``, the function in mpmath in the context it is given, is evaluated at
    rising precision and rounded once (:func:`vjpchain.mpcontext.refined_float`).
    ``suspect`` uses comparisons and arithmetic only, so it runs on a float and,
    elementwise, on a float64 array; it should flag few points (each costs ~50 us).
    ``screen(y)``, optional, is a cheaper necessary condition on the result alone (its
    magnitude is small): on an array it runs first, and ``suspect`` only where it holds
    anywhere, so that a whole-array check costs two passes instead of five.
    """

    suspect: Callable[[Any, Any], Any]
    exact: Callable[[Any, Any], Any]
    screen: Callable[[Any], Any] | None = None


try:
    from . import _accel  # type: ignore[attr-defined]
except ImportError:  # built without a compiler: the pure-Python twins run, same bits
    _accel = None


def rechecked(fast: Impl, recheck: Recheck, name: str = "") -> Impl:
    """``fast`` on a float, with :class:`Recheck`'s accurate phase where it is suspect.

    Where the optional C accelerator has ``name`` (libm's function and the same suspect
    test, in C), that is returned instead, with the accurate phase registered as its slow
    path: the same bits, without a Python frame around the libm call."""
    suspect, exact = recheck.suspect, recheck.exact
    twin = getattr(_accel, name, None) if name else None
    if twin is not None:
        _accel.set_slow(name, lambda x: refined_float(exact, x))
        return twin  # type: ignore[no-any-return]

    def call(x: Any) -> Any:
        y = fast(x)
        if suspect(x, y):
            return refined_float(exact, x)
        return y

    call.__name__ = getattr(fast, "__name__", "f")
    return call


def _recheck_array(a64: Any, out: Any, recheck: Recheck) -> Any:
    """``out`` (the fast result on the float64 array ``a64``) with the suspect elements
    recomputed by the accurate phase. With a screen, the full suspect test runs only on the
    few elements the screen lets through."""
    import numpy as np

    out = np.asarray(out)
    # a fresh result (a ufunc's or a kernel's) is fixed in place; a view or a broadcast one
    # is copied first
    owned = out.base is None and out.flags.writeable and out.shape == np.shape(a64)
    original = out
    a64, out = np.broadcast_arrays(a64, out)
    with np.errstate(all="ignore"):
        if recheck.screen is not None:
            where = np.flatnonzero(recheck.screen(out))
            if where.size == 0:
                return out
        else:
            where = np.arange(out.size)
        xs, ys = a64.reshape(-1)[where], out.reshape(-1)[where]
        hit = np.asarray(recheck.suspect(xs, ys), dtype=bool) & np.isfinite(xs)
    if not hit.any():
        return out
    out = original if owned else np.array(out, dtype=np.float64)
    flat = out.reshape(-1)
    flat[where[hit]] = [refined_float(recheck.exact, float(v)) for v in xs[hit]]
    return out


def numpy_ufunc(name: str, recheck: Recheck | None = None) -> Impl:
    """NumPy's ufunc ``name``; float32 and float16 compute in float64 and round once (their
    own ufunc loops are up to 2 of their ulps off), and ``recheck`` fixes suspect points."""

    def call(x: Any) -> Any:
        import numpy as np

        ufunc = getattr(np, name)
        dtype = getattr(x, "dtype", None)
        if dtype is None or dtype.kind != "f" or dtype.itemsize > 8:
            return ufunc(x)  # complex, long double, object: the ufunc as it is
        a64 = np.asarray(x, dtype=np.float64)
        out = ufunc(a64)
        if recheck is not None:
            out = _recheck_array(a64, out, recheck)
        if dtype.itemsize < 8:
            out = np.asarray(out).astype(dtype)
        return out if isinstance(x, np.ndarray) else np.asarray(out)[()]

    call.__name__ = name
    return call


_BLOCK = 16384  # elements: a kernel's dozens of temporaries then stay in the CPU cache


def _in_blocks(kernel: Callable[[Any, Any], Any], a64: Any) -> Any:
    """``kernel`` on a float64 array, block by block: on a whole large array each of its
    elementwise steps allocates a fresh array the size of the input (page faults, cache
    misses), which costs about twice the arithmetic."""
    import numpy as np

    ops = np_ops()
    if a64.size <= _BLOCK:
        return kernel(a64, ops)
    flat = a64.reshape(-1)
    out = np.empty_like(flat)
    for start in range(0, flat.size, _BLOCK):
        out[start:start + _BLOCK] = kernel(flat[start:start + _BLOCK], ops)
    return out.reshape(a64.shape)


def numpy_kernel(kernel: Callable[[Any, Any], Any], formula: Impl | None,
                 poles: Poles | None = None, name: str = "",
                 recheck: Recheck | None = None) -> Impl:
    """Run a float64 kernel elementwise; float32/16 compute in float64 and round back.

    Where the kernel makes a nan from a number, or the argument is one of ``poles``, NumPy's
    RuntimeWarning ("invalid value", "divide by zero") is given, as a ufunc would."""
    name = name or kernel.__name__

    def call(x: Any) -> Any:
        import numpy as np

        a = np.asarray(x)
        dtype = a.dtype
        if dtype.kind == "c" or (dtype.kind == "f" and dtype.itemsize > 8):
            if formula is None:
                raise UnsupportedTypeError(f"{kernel.__name__} has no {dtype} implementation")
            return formula(x)
        a64 = a.astype(np.float64)
        with np.errstate(all="ignore"):
            out = _in_blocks(kernel, a64)
            pole: Any = False if poles is None else poles(a64)
        if recheck is not None:
            out = _recheck_array(np.where(pole, np.nan, a64), out, recheck)
        if np.any(pole):
            numpy_warning("divide", name)
        made_nan = np.isnan(out)
        if made_nan.any() and (made_nan & ~np.isnan(a64) & ~pole).any():
            numpy_warning("invalid", name)
        if dtype.kind == "f":
            out = out.astype(dtype)
        if isinstance(x, np.ndarray):
            return out
        return out[()]

    return call


def _exp_tables() -> tuple[Any, ...]:
    """The constants of dd's exp reduction (and tanh's threshold), as the C twin of the tanh
    kernel takes them: the very floats of the Python code, never retyped."""
    from .float64 import dd, kern_primal

    return (dd._INV_LN2_32, dd._LN2_32_C1, dd._LN2_32_NEG_C2, dd._LN2_32_C3, dd._RINT_MAGIC,
            dd._SPLITTER, dd._EXP_XMAX, kern_primal._TINY, [t[0] for t in dd._EXP_TABLE],
            [t[1] for t in dd._EXP_TABLE], list(dd._INV_FACT))


def real_kernel(kernel: Callable[[Any, Any], Any], poles: Poles | None = None,
                name: str = "", recheck: Recheck | None = None, twin: str = "") -> Impl:
    """Run a float64 kernel on a float: a pole, or a nan made from a number, raises
    ValueError (as ``math`` does), where the NumPy path gives inf or nan.

    ``twin``: the name of the kernel's C twin in the optional accelerator (the same
    operations in the same order, so the same bits), returned instead where it is built; it
    takes ``float(x)`` too, and calls this Python function back on a nan made from a number,
    which raises. Only for a kernel without ``poles`` or ``recheck``."""
    name = name or kernel.__name__
    accelerated = getattr(_accel, twin, None) if twin else None
    if accelerated is not None and poles is None and recheck is None:
        _accel.set_exp_tables(*_exp_tables())
        _accel.set_slow(twin, real_kernel(kernel, poles, name, recheck))
        return accelerated  # type: ignore[no-any-return]

    def call(x: Any) -> Any:
        x = float(x)
        if poles is not None and poles(x):
            raise at_pole(name, x)
        y = kernel(x, FLOAT_OPS)
        if y != y and x == x:
            raise no_value(name, x)
        if recheck is not None and recheck.suspect(x, y):
            return refined_float(recheck.exact, x)
        return y

    call.__name__ = kernel.__name__
    return call


def via_mpc(f: str | Callable[[Any, Any], Any], prec: int = 53,
            overflow_raises: bool = False) -> Impl:
    """A complex implementation through mpmath at double precision (cmath lacks it).

    ``f`` names an mpmath function (a method of every context, such as ``"expm1"``), or is a
    function ``(ctx, z)`` of a context and an mpc. It runs in a private ``prec``-bit context
    (more than 53 for guard bits, rounded once at the end): mpmath.workprec would set the
    global context's precision, under other threads too. ``overflow_raises``: a result beyond
    float64 raises OverflowError (as cmath.exp does) instead of becoming inf.

    The functions are real on the real axis, f(conj z) = conj f(z), with any branch cut on
    it; mpmath has no signed zeros, so a -0.0 imaginary part is taken as cmath does: the
    value on the lower side, conj f(conj z) (``log1p(-3 - 0j)`` has imaginary part -pi).
    """
    name = f if isinstance(f, str) else None

    def call(z: complex) -> complex:
        if z.imag == 0 and math.copysign(1.0, z.imag) < 0:
            return on_upper_side(z.conjugate()).conjugate()
        return on_upper_side(z)

    def on_upper_side(z: complex) -> complex:
        ctx = at_precision(prec)
        if name is not None:
            w = getattr(ctx, name)(ctx.mpc(z))
        else:
            w = f(ctx, ctx.mpc(z))  # type: ignore[operator]
        out = complex(_to_float(ctx, ctx.re(w)), _to_float(ctx, ctx.im(w)))
        finite = math.isfinite(out.real) and math.isfinite(out.imag)
        if overflow_raises and ctx.isfinite(w) and not finite:
            raise OverflowError(f"{getattr(f, '__name__', f)} overflows at {z!r}, as cmath "
                                "raises for exp")
        return out

    return call


def _to_float(ctx: Any, v: Any) -> float:
    """float(v), and a signed 0.0 far below the subnormals (mpmath's conversion raises
    OverflowError on an exponent that large)."""
    if v and ctx.isfinite(v) and ctx.mag(v) < -1100:
        return math.copysign(0.0, float(ctx.sign(v)))
    return float(v)


def standard(name: str, math_f: Impl | None, cmath_f: Impl | None, mp_f: Impl,
             np_name: str | None = None, odd: bool = False, doc: str = "",
             overflows: bool = False, array_names: dict[str, str] | None = None,
             poles: Poles | None = None, recheck: Recheck | None = None,
             kernel: Callable[[Any, Any], Any] | None = None, twin: str = "") -> Generic:
    """A generic function from the functions of math, cmath, mpmath and a NumPy ufunc
    (``np_name``, default ``name``); other array API arrays use the standard's function of
    the same name unless ``array_names`` says otherwise. ``overflows``: math raises
    OverflowError where IEEE gives a (signed, if ``odd``) inf, which is returned instead.
    ``poles``: where math raises and the ufunc gives inf, a real mpf raises too (mpmath
    would give inf). ``recheck``: where the libm result may be more than 1 ulp off, it is
    recomputed (:class:`Recheck`) on floats and float arrays alike. ``kernel``: where libm
    (and so the ufunc) is more than 1 ulp off, an accurate float64 kernel replaces both on
    floats and real float arrays (as in :func:`accurate`; ``math_f`` is then unused); complex
    and long double arrays keep the ufunc. ``twin``: the kernel's C twin on floats, where
    the accelerator is built (:func:`real_kernel`)."""
    numpy = numpy_ufunc(np_name or name, recheck)
    if kernel is not None:
        return Generic(
            name,
            real=real_kernel(kernel, poles, name, twin=twin),
            complex=cmath_f,
            mp=mp_real(mp_f, name, poles),
            numpy=numpy_kernel(kernel, numpy, poles, name),
            array_names={"standard": name} if array_names is None else array_names,
            doc=doc,
        )
    real = overflow_to_inf(math_f, odd) if math_f and overflows else math_f
    if real is not None and recheck is not None:
        unchecked = getattr(real, "unchecked", None)
        if unchecked is not None:  # overflows: the C twins do not say so
            real = rechecked(real, recheck)
            real.unchecked = rechecked(unchecked, recheck)  # type: ignore[attr-defined]
        else:
            real = rechecked(real, recheck, getattr(math_f, "__name__", ""))
    return Generic(
        name,
        real=real,
        complex=cmath_f,
        mp=mp_real(mp_f, name, poles),
        numpy=numpy,
        array_names={"standard": name} if array_names is None else array_names,
        doc=doc,
    )


def accurate(name: str, kernel: Callable[[Any, Any], Any], formula: Impl | None,
             mp: Impl | None = None, doc: str = "",
             array_names: dict[str, str] | None = None, poles: Poles | None = None,
             recheck: Recheck | None = None,
             complex: Impl | None = None) -> Generic:
    """A generic function whose float64 path is an accurate kernel and others a formula.

    ``formula`` (written with generic functions, double-precision constants) serves complex
    arrays, and Python complex numbers unless ``complex`` (an accurate kernel for them, from
    ``float64/kern_complex.py``) is given; ``mp`` (default: ``formula``) serves mpmath
    numbers and must take its constants from mpmath so that no precision is lost. At
    ``poles`` a float or real mpf raises, a NumPy array keeps the kernel's inf or nan (with a
    RuntimeWarning). ``recheck``: where the kernel's result may be more than 1 ulp off (next
    to a zero of the function, where its formula cancels), the accurate phase of
    :class:`Recheck`.
    """
    mp_impl = mp or formula
    generic = Generic(
        name,
        real=real_kernel(kernel, poles, name, recheck),
        complex=complex or formula,
        mp=None if mp_impl is None else mp_real(mp_impl, name, poles),
        numpy=numpy_kernel(kernel, formula, poles, name, recheck),
        array_names=array_names,
        doc=doc,
    )
    generic.formula = formula
    return generic


def np_vectorized(f: Impl, poles: Poles | None = None, name: str = "") -> Impl:
    """Elementwise through a float function, for NumPy real arrays (no ufunc exists).

    Where ``f`` raises ValueError or ArithmeticError (no value) the element is nan, at
    ``poles`` inf (lgamma's IEEE value), each with NumPy's RuntimeWarning, as a ufunc does.
    """
    name = name or getattr(f, "__name__", "f")

    def call(x: Any) -> Any:
        import numpy as np

        a = np.asarray(x)
        if a.dtype.kind == "c":
            out = np.vectorize(lambda v: complex(f(mpmath.mpc(v))), otypes=[complex])(a)
            return out if isinstance(x, np.ndarray) else out[()]
        a64 = a.astype(np.float64)
        failed = [False]

        def element(v: float) -> float:
            try:
                return f(v)  # type: ignore[no-any-return]
            except (ValueError, ArithmeticError):
                failed[0] = True
                return math.nan

        pole: Any = False
        if poles is not None:
            with np.errstate(all="ignore"):
                pole = poles(a64)
        with np.errstate(all="ignore"):  # the events are reported below, once, by name
            out = np.vectorize(lambda v: element(float(v)), otypes=[np.float64])(
                np.where(pole, 1.0, a64))
        if np.any(pole):
            out = np.where(pole, np.inf, out)
            numpy_warning("divide", name)
        if failed[0]:
            numpy_warning("invalid", name)
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
