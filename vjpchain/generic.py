"""Generic functions: one name, the arithmetic picked by the argument's type.

``vjpchain.sin(x)`` runs ``math.sin`` on an int or float, ``cmath.sin`` on a complex,
``mpmath.sin`` on an ``mpf``/``mpc`` (at the current precision, never through float),
``numpy.sin`` elementwise on a NumPy array or scalar (dtype kept), and the library's own
``sin`` on any other array of the Python array API standard (a PyTorch tensor stays a tensor,
a dask array stays lazy; needs ``array-api-compat``, the ``arrays`` extra). Rules are written
with these functions, so one derivative formula serves every number type.

Where composing libm calls loses digits, the float64 path runs an accurate kernel (see
``float64/kern_*.py``) on Python floats and NumPy float64 arrays alike (dask arrays of NumPy chunks
run it chunk by chunk); the other types, PyTorch and JAX float64 tensors included, use a
textbook-stable formula written with the generic functions themselves, within a few ULPs
rather than the kernels' one.
"""

from __future__ import annotations

import cmath
import math
import operator
import sys
from collections.abc import Callable
from typing import Any

import mpmath

from .errors import UnsupportedTypeError
from .float64 import kern_alg as KA
from .float64 import kern_binary as KB
from .float64 import kern_exp as KE
from .float64 import kern_special as KS
from .float64.ops import FLOAT_OPS

__all__ = [
    "Generic", "number_kind",
    "sin", "cos", "tan", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt",
    "cbrt", "sinh", "cosh", "tanh", "asin", "acos", "atan", "asinh", "acosh", "atanh", "erf",
    "erfc", "sigmoid", "softplus", "absolute", "neg", "square", "reciprocal", "lgamma",
    "digamma", "sinc", "sign",
]

Impl = Callable[[Any], Any]

# mpmath's real and complex number types, from any context (mp, or a private MPContext):
# the shared base classes where this mpmath version has them, else the mp context's own.
_mpf: Any = getattr(mpmath.ctx_mp_python, "_mpf", type(mpmath.mpf(1)))
_mpc: Any = getattr(mpmath.ctx_mp_python, "_mpc", type(mpmath.mpc(1)))

# The kinds of number a generic function knows. ARRAY_API: arrays of another library that
# follows the Python array API standard (PyTorch, dask, CuPy, JAX...), run in that library.
REAL, COMPLEX, MP, NUMPY = "real", "complex", "mpmath", "numpy"
ARRAY_API = "array-api"

_numpy_ops: Any = None


def _np_ops() -> Any:
    global _numpy_ops
    if _numpy_ops is None:
        from .float64.ops import NumpyOps

        _numpy_ops = NumpyOps()
    return _numpy_ops


_KINDS: dict[type, str | None] = {float: "real", int: "real", complex: "complex"}


def number_kind(tp: type) -> str | None:
    """Which arithmetic a value of type ``tp`` uses: real, complex, mpmath, numpy, array-api
    (another array API library's arrays, when array-api-compat is installed), or None."""
    try:
        return _KINDS[tp]
    except KeyError:
        kind = _number_kind(tp)
        _KINDS[tp] = kind
        return kind


def _number_kind(tp: type) -> str | None:
    module = tp.__module__
    if module == "numpy" or module.startswith("numpy."):
        import numpy as np

        if issubclass(tp, (np.ndarray, np.generic)):
            return NUMPY
    if issubclass(tp, (_mpf, _mpc)):
        return MP
    if issubclass(tp, bool):
        return None
    if issubclass(tp, (int, float)):
        return REAL
    if issubclass(tp, complex):
        return COMPLEX
    if is_array_api_type(tp) and _compat() is not None:
        return ARRAY_API
    return None


# The array classes array_api_compat.is_array_api_obj knows besides NumPy's (module, class):
# looked up only in modules already imported, so recognizing a type imports no library.
_ARRAY_CLASSES = (("torch", "Tensor"), ("dask.array", "Array"), ("cupy", "ndarray"),
                  ("jax", "Array"), ("jax.core", "Tracer"), ("sparse", "SparseArray"))


def is_array_api_type(tp: type) -> bool:
    """Whether values of type ``tp`` are array API arrays other than NumPy's: the test of
    ``array_api_compat.is_array_api_obj``, made on the type."""
    if tp.__module__.split(".")[0] == "numpy":
        return False  # NumPy keeps its own (accurate) path
    if hasattr(tp, "__array_namespace__"):
        return True
    for module, name in _ARRAY_CLASSES:
        cls = getattr(sys.modules.get(module), name, None)
        if isinstance(cls, type) and issubclass(tp, cls):
            return True
    return False


_compat_module: Any = False


def _compat() -> Any:
    """The array_api_compat module, or None when it is not installed."""
    global _compat_module
    if _compat_module is False:
        try:
            import array_api_compat
        except ImportError:
            _compat_module = None
        else:
            _compat_module = array_api_compat
    return _compat_module


_namespaces: dict[type, Any] = {}


def array_namespace(x: Any) -> Any:
    """The array API namespace of an array of kind array-api (``array_api_compat.torch``
    for a tensor), cached per type."""
    try:
        return _namespaces[type(x)]
    except KeyError:
        xp = _namespaces[type(x)] = _compat().array_namespace(x)
        return xp


class Generic:
    """A function of one number whose implementation is chosen by the argument's type.

    Args:
        name: the primitive's name (``"sin"``).
        real: implementation for int and float arguments (returns a float).
        complex: implementation for Python complex arguments.
        mp: implementation for mpmath ``mpf`` and ``mpc`` arguments.
        numpy: implementation for NumPy arrays and scalars.
        array_api: for other array API arrays when the standard and the library have no
            function of this name: a formula in generic functions (default: ``formula``).

    Other array API arrays (a PyTorch tensor, a dask array) run, in order of preference: the
    standard's function of this name in the array's namespace, the library's own (a small
    table: ``torch.special.erf``), NumPy's implementation chunk by chunk for a dask array
    of NumPy chunks (lazily), then the formula; else UnsupportedTypeError.
    """

    __slots__ = ("__name__", "__qualname__", "_doc", "_impls", "_cache", "formula",
                 "array_formula", "__weakref__")

    def __init__(
        self,
        name: str,
        *,
        real: Impl | None = None,
        complex: Impl | None = None,
        mp: Impl | None = None,
        numpy: Impl | None = None,
        array_api: Impl | None = None,
        doc: str = "",
    ) -> None:
        self.__name__ = name
        self.__qualname__ = name
        self._doc = doc or f"{name}(x) for float, complex, mpmath and array arguments."
        self._impls: dict[str, Impl | None] = {
            REAL: real, COMPLEX: complex, MP: mp, NUMPY: numpy,
            ARRAY_API: _array_api_dispatch(self),
        }
        self.array_formula = array_api
        self._cache: dict[type, Impl] = {}
        # for a helper written as a formula of other generic functions (a derivative that
        # needs care), that formula: traced and dual numbers evaluate it step by step
        self.formula: Impl | None = None

    def __call__(self, x: Any) -> Any:
        try:
            impl = self._cache[type(x)]
        except KeyError:
            impl = self.resolve(type(x))
        return impl(x)

    def resolve(self, tp: type, unchecked: bool = False) -> Impl:
        """The implementation used for arguments of type ``tp`` (raises TypeError if none).

        With ``unchecked``, a float implementation that returns inf on overflow is given as
        the bare ``math`` function, which raises OverflowError instead: the interpreter and
        compiled chains run those and redo the pass with the checked ones only on overflow.
        """
        if unchecked:
            impl = self.resolve(tp)
            return getattr(impl, "unchecked", impl)  # type: ignore[no-any-return]
        apply = getattr(tp, "__vjpchain_apply__", None)
        if apply is not None:
            # traced and dual numbers (higher layers) say themselves how to apply a function
            impl = _bind_apply(apply, self)
            self._cache[tp] = impl
            return impl
        kind = number_kind(tp)
        found = self._impls.get(kind) if kind else None
        if found is None:
            what = f"{kind} arguments" if kind else f"arguments of type {tp.__qualname__}"
            raise UnsupportedTypeError(
                f"vjpchain.{self.__name__} is not defined for {what}; supported: int, float,"
                " complex, mpmath mpf/mpc, NumPy arrays and array API arrays (PyTorch, dask..."
                " with array-api-compat installed); convert the value explicitly"
            )
        self._cache[tp] = found
        return found

    @property
    def doc(self) -> str:
        return self._doc

    def __repr__(self) -> str:
        return f"vjpchain.{self.__name__}"

    def __reduce__(self) -> str:
        return self.__name__


def _bind_apply(apply: Callable[[Any, Any], Any], generic: Any) -> Impl:
    def call(x: Any) -> Any:
        return apply(generic, x)

    return call


# --- arrays of other array API libraries -------------------------------------------------------

# vjpchain's names of the standard's elementwise functions (the standard spells most the same)
_STANDARD_NAMES = {
    name: name for name in (
        "sin", "cos", "tan", "exp", "expm1", "log", "log2", "log10", "log1p", "sqrt", "sinh",
        "cosh", "tanh", "asin", "acos", "atan", "asinh", "acosh", "atanh", "abs", "square",
        "sign")
} | {"neg": "negative"}


def _torch_function(name: str) -> Impl | None:
    import torch

    special = torch.special
    table: dict[str, Impl] = {
        "exp2": torch.exp2, "erf": special.erf, "erfc": special.erfc,
        "lgamma": special.gammaln, "digamma": special.digamma, "sinc": special.sinc,
        "sigmoid": special.expit, "reciprocal": torch.reciprocal,
    }  # not polygamma(1, x) for trigamma: its float64 error reaches 5e-10 (_trigamma_array)
    return table.get(name)


def _jax_function(name: str) -> Impl | None:
    import jax

    table: dict[str, Impl] = {
        "exp2": jax.numpy.exp2, "cbrt": jax.numpy.cbrt, "erf": jax.scipy.special.erf,
        "erfc": jax.scipy.special.erfc, "lgamma": jax.scipy.special.gammaln,
        "digamma": jax.scipy.special.digamma, "sinc": jax.numpy.sinc,
        "sigmoid": jax.nn.sigmoid, "reciprocal": jax.numpy.reciprocal,
    }
    return table.get(name)


# the library's own functions for names the standard lacks, by the array type's top module
_LIBRARY_FUNCTIONS: dict[str, Callable[[str], Impl | None]] = {
    "torch": _torch_function, "jax": _jax_function, "jaxlib": _jax_function,
}


def _array_api_dispatch(generic: Generic) -> Impl:
    """The implementation of ``generic`` for array API arrays: found on the first call for
    each array type (the namespace needs a value, not only its type), then called directly."""
    found: dict[type, Impl] = {}

    def call(x: Any) -> Any:
        try:
            impl = found[type(x)]
        except KeyError:
            impl = found[type(x)] = _array_api_function(generic, x)
        return impl(x)

    call.__name__ = generic.__name__
    return call


def _array_api_function(generic: Generic, x: Any) -> Impl:
    name = generic.__name__
    xp = array_namespace(x)
    standard = _STANDARD_NAMES.get(name)
    if standard is not None and getattr(xp, standard, None) is not None:
        return getattr(xp, standard)  # type: ignore[no-any-return]
    library = type(x).__module__.split(".")[0]
    own = _LIBRARY_FUNCTIONS.get(library)
    impl = own(name) if own is not None else None
    if impl is not None:
        return impl
    numpy_impl = generic._impls.get(NUMPY)
    if library == "dask" and numpy_impl is not None and _numpy_chunks(x):
        return _by_chunks(name, numpy_impl)
    formula = generic.array_formula or generic.formula
    if formula is not None:
        return formula
    raise UnsupportedTypeError(
        f"vjpchain.{name} is not defined for {library} arrays: the array API standard has no "
        f"{name} and vjpchain knows no {library} function for it. Convert the value (to "
        f"NumPy, say), or use a chain without {name}"
    )


def _numpy_chunks(x: Any) -> bool:
    return type(getattr(x, "_meta", None)).__name__ == "ndarray"


def _by_chunks(name: str, numpy_impl: Impl) -> Impl:
    """A NumPy implementation run lazily on each chunk of a dask array (its accurate
    kernels included): the graph grows, nothing is computed."""
    from dask.base import tokenize

    def call(x: Any) -> Any:
        # named from the input's name: dask would otherwise hash the function by pickling
        # it, and pickling the mpmath functions in its closure breaks mpmath's constants
        return x.map_blocks(numpy_impl, name=f"vjpchain-{name}-{tokenize(x.name)}")

    call.__name__ = getattr(numpy_impl, "__name__", "f")
    return call


def _is_complex(x: Any) -> bool:
    return bool(array_namespace(x).isdtype(x.dtype, "complex floating"))


class Generic2:
    """A function of two numbers; the arithmetic is picked by the richer argument's kind
    (numpy over mpmath over complex over real; traced and dual numbers say themselves)."""

    __slots__ = ("__name__", "__qualname__", "_impls", "_cache", "__weakref__")

    def __init__(self, name: str, *, real: Callable[[Any, Any], Any] | None = None,
                 complex: Callable[[Any, Any], Any] | None = None,
                 mp: Callable[[Any, Any], Any] | None = None,
                 numpy: Callable[[Any, Any], Any] | None = None) -> None:
        self.__name__ = name
        self.__qualname__ = name
        self._impls = {REAL: real, COMPLEX: complex, MP: mp, NUMPY: numpy,
                       ARRAY_API: _array_api2(name)}
        # the implementation for a pair of plain number types, found once (as Generic does)
        self._cache: dict[tuple[type, type], Callable[[Any, Any], Any]] = {}

    def __call__(self, a: Any, b: Any) -> Any:
        try:
            return self._cache[type(a), type(b)](a, b)
        except KeyError:
            pass
        for v in (a, b):
            apply = getattr(type(v), "__vjpchain_apply2__", None)
            if apply is not None:
                return apply(self, a, b)
        ka, kb = number_kind(type(a)), number_kind(type(b))
        if ka is None or kb is None:
            bad = a if ka is None else b
            raise UnsupportedTypeError(
                f"vjpchain.{self.__name__} is not defined for arguments of type "
                f"{type(bad).__qualname__}; supported: int, float, complex, mpmath mpf/mpc "
                "and NumPy arrays"
            )
        kind = max(ka, kb, key=_RANK.__getitem__)
        impl = self._impls.get(kind)
        if impl is None:
            raise UnsupportedTypeError(f"vjpchain.{self.__name__} is not defined for {kind} "
                                       "arguments")
        if len(self._cache) < 64:
            self._cache[type(a), type(b)] = impl
        return impl(a, b)

    def __repr__(self) -> str:
        return f"vjpchain.{self.__name__}"

    def __reduce__(self) -> str:
        return self.__name__


_RANK = {REAL: 0, COMPLEX: 1, MP: 2, NUMPY: 3, ARRAY_API: 4}

_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "truediv": operator.truediv, "pow": operator.pow,
}


def _array_api2(name: str) -> Callable[[Any, Any], Any]:
    """A function of two numbers on array API arrays: the operator, else the standard's
    function of that name (atan2, hypot, maximum, minimum) in the array's namespace."""
    op = _OPERATORS.get(name)
    if op is not None:
        return op

    def call(a: Any, b: Any) -> Any:
        array = a if number_kind(type(a)) == ARRAY_API else b
        f = getattr(array_namespace(array), name, None)
        if f is None:
            raise UnsupportedTypeError(f"vjpchain.{name} is not defined for "
                                       f"{type(array).__module__.split('.')[0]} arrays")
        return f(a, b)

    call.__name__ = name
    return call


# --- building blocks --------------------------------------------------------------------


def _overflow_to_inf(f: Impl, odd: bool = False) -> Impl:
    """``f`` from math, returning a signed inf on overflow (IEEE, as NumPy and mpmath do)."""

    def g(x: Any) -> float:
        try:
            return f(x)
        except OverflowError:
            return math.copysign(math.inf, x) if odd else math.inf

    g.__name__ = getattr(f, "__name__", "f")
    g.unchecked = f  # type: ignore[attr-defined]  # raises OverflowError; see Generic.resolve
    return g


def _numpy_ufunc(name: str) -> Impl:
    def call(x: Any) -> Any:
        import numpy as np

        return getattr(np, name)(x)

    call.__name__ = name
    return call


def _numpy_kernel(kernel: Callable[[Any, Any], Any], formula: Impl | None) -> Impl:
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
            out = kernel(a.astype(np.float64), _np_ops())
        if dtype.kind == "f":
            out = out.astype(dtype)
        if isinstance(x, np.ndarray):
            return out
        return out[()]

    return call


def _real_kernel(kernel: Callable[[Any, Any], Any]) -> Impl:
    def call(x: Any) -> Any:
        return kernel(float(x), FLOAT_OPS)

    call.__name__ = kernel.__name__
    return call


def _via_mpc(f: str | Callable[[Any, Any], Any]) -> Impl:
    """A complex implementation through mpmath at double precision (cmath lacks it).

    ``f`` names an mpmath function (a method of every context, such as ``"expm1"``), or is a
    function ``(ctx, z)`` of a context and an mpc. It runs in a private 53-bit context:
    mpmath.workprec would set the global context's precision, under other threads too.
    """
    name = f if isinstance(f, str) else None

    def call(z: complex) -> complex:
        ctx = _at_precision(53)
        if name is not None:
            return complex(getattr(ctx, name)(ctx.mpc(z)))
        return complex(f(ctx, ctx.mpc(z)))  # type: ignore[operator]

    return call


def _standard(name: str, math_f: Impl | None, cmath_f: Impl | None, mp_f: Impl,
              np_name: str | None = None, odd: bool = False, doc: str = "",
              overflows: bool = False) -> Generic:
    return Generic(
        name,
        real=_overflow_to_inf(math_f, odd) if math_f and overflows else math_f,
        complex=cmath_f,
        mp=mp_f,
        numpy=_numpy_ufunc(np_name or name),
        doc=doc,
    )


def _accurate(name: str, kernel: Callable[[Any, Any], Any], formula: Impl | None,
              mp: Impl | None = None, doc: str = "") -> Generic:
    """A generic function whose float64 path is an accurate kernel and others a formula.

    ``formula`` (written with generic functions, double-precision constants) serves complex
    numbers and complex arrays; ``mp`` (default: ``formula``) serves mpmath numbers and must
    take its constants from mpmath so that no precision is lost.
    """
    generic = Generic(
        name,
        real=_real_kernel(kernel),
        complex=formula,
        mp=mp or formula,
        numpy=_numpy_kernel(kernel, formula),
        doc=doc,
    )
    generic.formula = formula
    return generic


# --- primal functions ---------------------------------------------------------------------

sin = _standard("sin", math.sin, cmath.sin, mpmath.sin)
cos = _standard("cos", math.cos, cmath.cos, mpmath.cos)
tan = _standard("tan", math.tan, cmath.tan, mpmath.tan)
exp = _standard("exp", math.exp, cmath.exp, mpmath.exp, overflows=True)
expm1 = _standard("expm1", math.expm1, None, mpmath.expm1, overflows=True)
expm1._impls[COMPLEX] = _via_mpc("expm1")
log = _standard("log", math.log, cmath.log, mpmath.log)
log2 = _standard("log2", math.log2, lambda z: cmath.log(z) / math.log(2.0),
                 lambda x: mpmath.log(x, 2))
log10 = _standard("log10", math.log10, cmath.log10, mpmath.log10)
log1p = _standard("log1p", math.log1p, _via_mpc("log1p"), mpmath.log1p)
sqrt = _standard("sqrt", math.sqrt, cmath.sqrt, mpmath.sqrt)
def _cbrt_mp(x: Any) -> Any:
    # the real cube root for real x (mpmath.cbrt gives the principal, complex, root of x < 0)
    if isinstance(x, _mpf) and x < 0:
        return -mpmath.cbrt(-x)
    return mpmath.cbrt(x)


cbrt = _standard("cbrt", math.cbrt, _via_mpc("cbrt"), _cbrt_mp,
                 doc="cbrt(x): the real cube root of a real x; the principal root of a complex.")
sinh = _standard("sinh", math.sinh, cmath.sinh, mpmath.sinh, odd=True, overflows=True)
cosh = _standard("cosh", math.cosh, cmath.cosh, mpmath.cosh, overflows=True)
tanh = _standard("tanh", math.tanh, cmath.tanh, mpmath.tanh)
asin = _standard("asin", math.asin, cmath.asin, mpmath.asin, "arcsin")
acos = _standard("acos", math.acos, cmath.acos, mpmath.acos, "arccos")
atan = _standard("atan", math.atan, cmath.atan, mpmath.atan, "arctan")
asinh = _standard("asinh", math.asinh, cmath.asinh, mpmath.asinh, "arcsinh")
acosh = _standard("acosh", math.acosh, cmath.acosh, mpmath.acosh, "arccosh")
atanh = _standard("atanh", math.atanh, cmath.atanh, mpmath.atanh, "arctanh")


def _exp2_mp(x: Any) -> Any:
    return mpmath.power(2, x)


exp2 = _standard("exp2", math.exp2, lambda z: cmath.exp(z * math.log(2.0)), _exp2_mp,
                 overflows=True)


def _np_vectorized(f: Impl) -> Impl:
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


def _lgamma_mp(x: Any) -> Any:
    # log|Gamma(x)| on the reals (math.lgamma's meaning), the principal log-gamma off them
    if isinstance(x, _mpf):
        return mpmath.re(mpmath.loggamma(x))
    return mpmath.loggamma(x)


erf = Generic("erf", real=math.erf, complex=_via_mpc("erf"), mp=mpmath.erf,
              numpy=_np_vectorized(math.erf))
erfc = Generic("erfc", real=math.erfc, complex=_via_mpc("erfc"), mp=mpmath.erfc,
               numpy=_np_vectorized(math.erfc))
lgamma = Generic("lgamma", real=_overflow_to_inf(math.lgamma), complex=_via_mpc("loggamma"),
                 mp=_lgamma_mp, numpy=_np_vectorized(_overflow_to_inf(math.lgamma)))


def _sigmoid_formula(x: Any) -> Any:
    return 1 / (1 + exp(-x))


def _softplus_formula(x: Any) -> Any:
    return log1p(exp(x))


def _softplus_mp(x: Any) -> Any:
    # log(1 + e^x) = x + log1p(e^-x) keeps full precision for large positive x
    if isinstance(x, _mpf) and x > 0:
        return x + mpmath.log1p(mpmath.exp(-x))
    return mpmath.log1p(mpmath.exp(x))


sigmoid = _accurate("sigmoid", KE.sigmoid, _sigmoid_formula, mp=lambda x: 1 / (1 + mpmath.exp(-x)),
                    doc="sigmoid(x) = 1 / (1 + exp(-x)), the logistic function.")
softplus = _accurate("softplus", KE.softplus, _softplus_formula, mp=_softplus_mp,
                     doc="softplus(x) = log(1 + exp(x)).")
digamma = _accurate("digamma", KS.digamma, _via_mpc("digamma"), mp=mpmath.digamma,
                    doc="digamma(x) = d/dx lgamma(x).")
sinc = _accurate("sinc", KS.sinc, _via_mpc("sincpi"), mp=mpmath.sincpi,
                 doc="sinc(x) = sin(pi x) / (pi x), normalized (numpy.sinc's meaning).")


def _neg(x: Any) -> Any:
    return -x


def _square(x: Any) -> Any:
    return x * x


def _reciprocal_real(x: Any) -> float:
    return 1.0 / x


def _reciprocal_np(x: Any) -> Any:
    import numpy as np

    a = np.asarray(x)
    one = np.ones((), dtype=a.dtype if a.dtype.kind in "fc" else np.float64)
    return np.divide(one, x)


def _abs_real(x: Any) -> float:
    return abs(float(x))


def _sign_real(x: Any) -> float:
    return 0.0 if x == 0 else math.copysign(1.0, x)


absolute = Generic("abs", real=_abs_real, mp=mpmath.fabs, numpy=_numpy_ufunc("abs"),
                   doc="|x| for real arguments (not holomorphic, so no complex form).")
sign = Generic("sign", real=_sign_real, mp=mpmath.sign, numpy=_numpy_ufunc("sign"),
               doc="sign(x): -1, 0 or 1 (0 at 0).")
minus_one = Generic("minus_one", real=lambda x: -1.0, complex=lambda z: -1.0,
                    mp=lambda x: -mpmath.mpf(1), numpy=lambda a: -1.0,
                    doc="the constant -1 in the argument's arithmetic (neg's derivative)")
minus_one.formula = lambda x: x * 0 - 1  # traced and dual numbers: a zero derivative
neg = Generic("neg", real=lambda x: -float(x), complex=_neg, mp=_neg,
              numpy=_numpy_ufunc("negative"), doc="-x")
square = Generic("square", real=lambda x: float(x) * float(x), complex=_square, mp=_square,
                 numpy=_numpy_ufunc("square"), doc="x * x")
reciprocal = Generic("reciprocal", real=_reciprocal_real, complex=lambda z: 1 / z,
                     mp=lambda x: 1 / x, numpy=_reciprocal_np, array_api=lambda x: 1 / x,
                     doc="1 / x")


def _softplus_array(x: Any) -> Any:
    # max(x, 0) + log1p(exp(-|x|)): no overflow for large x, where log1p(exp(x)) gives inf
    if _is_complex(x):
        return _softplus_formula(x)
    a = absolute(x)
    return (x + a) * 0.5 + log1p(exp(-a))


softplus.array_formula = _softplus_array


# --- derivatives that need care --------------------------------------------------------------
# Each pairs an accurate float64 kernel with a stable formula for the other number types. The
# formulas avoid cancellation too (1 - x*x is written (1 - x)(1 + x)), so that mpmath results
# keep the working precision.

_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _d_exp2(x: Any) -> Any:
    return _LN2 * exp2(x)


def _d_exp2_mp(x: Any) -> Any:
    return mpmath.ln2 * mpmath.power(2, x)


def _d_tan(x: Any) -> Any:
    return 1 / cos(x) ** 2


def _d_tanh(x: Any) -> Any:
    return 1 / cosh(x) ** 2


def _d_sigmoid(x: Any) -> Any:
    e = exp(-x)
    return e / (1 + e) ** 2


def _d_erf(x: Any) -> Any:
    return _TWO_OVER_SQRT_PI * exp(-x * x)


def _d_erf_mp(x: Any) -> Any:
    return 2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-x * x)


def _over(a: Any, b: Any) -> Any:
    """a / b, with mpmath's exact zero at a domain edge giving a signed inf (as floats do:
    sqrt'(0), asin'(1)) instead of ZeroDivisionError."""
    if isinstance(b, _mpf) and b == 0:
        return mpmath.inf if a > 0 else -mpmath.inf
    return a / b


def _d_log(x: Any) -> Any:
    return _over(1, x)


def _d_log2_mp(x: Any) -> Any:
    return _over(1, x * mpmath.ln2)


def _d_log10_mp(x: Any) -> Any:
    return _over(1, x * mpmath.ln10)


def _d_log1p(x: Any) -> Any:
    return 1 / (1 + x)


def _d_sqrt(x: Any) -> Any:
    return _over(1, 2 * sqrt(x))


def _d_cbrt(x: Any) -> Any:
    return _over(1, 3 * cbrt(x) ** 2)


def _d_asin(x: Any) -> Any:
    return _over(1, sqrt((1 - x) * (1 + x)))


def _d_acos(x: Any) -> Any:
    return _over(-1, sqrt((1 - x) * (1 + x)))


def _d_atan(x: Any) -> Any:
    return 1 / (1 + x * x)


def _d_asinh(x: Any) -> Any:
    return 1 / sqrt(1 + x * x)


def _d_acosh(x: Any) -> Any:
    # the principal branch's derivative; sqrt(x - 1) * sqrt(x + 1), not sqrt(x*x - 1)
    return _over(1, sqrt(x - 1) * sqrt(x + 1))


def _d_atanh(x: Any) -> Any:
    return _over(1, (1 - x) * (1 + x))


def _d_reciprocal(x: Any) -> Any:
    return -1 / (x * x)


_private_contexts: dict[int, Any] = {}


def _at_precision(prec: int) -> Any:
    """A private mpmath context at ``prec`` bits: extra precision without touching mp.

    One per thread (``_private_contexts`` maps a thread's id to its own cache): mpmath
    functions raise and restore their context's precision internally, so threads sharing one
    context would leave it at a wrong precision. A context is set up in full before it is
    published.
    """
    import threading  # cached in sys.modules: cheap

    tid = threading.get_ident()
    cache = _private_contexts.get(tid)
    if cache is None:
        cache = {}
        if len(_private_contexts) > 64:
            _private_contexts.clear()
        _private_contexts[tid] = cache
    ctx = cache.get(prec)
    if ctx is None:
        ctx = mpmath.MPContext()
        ctx.prec = prec
        if len(cache) > 64:
            cache.clear()
        cache[prec] = ctx
    return ctx


def _d_sinc_mp(x: Any) -> Any:
    if x == 0:
        return x * 0
    # cos(pi x) - sinc(x) cancels about 2 log2(1/|x|) bits as x -> 0: carry them as guard bits
    # in a private context (mpmath.workprec would change the global context under threads)
    _, e = mpmath.frexp(abs(x))
    ctx = _at_precision(mpmath.mp.prec + 2 * max(0, -int(e)) + 16)
    xe = ctx.mpmathify(x)
    return mpmath.mpmathify((ctx.cospi(xe) - ctx.sincpi(xe)) / xe)


def _trigamma_mp(x: Any) -> Any:
    return mpmath.psi(1, x)


d_tan = _accurate("d_tan", KA.d_tan, _d_tan, doc="tan'(x) = 1 / cos(x)**2")
d_exp2 = _accurate("d_exp2", KE.d_exp2, _d_exp2, mp=_d_exp2_mp, doc="exp2'(x) = ln 2 * 2**x")
d_sinh = _accurate("d_sinh", KE.d_sinh, cosh, doc="sinh'(x) = cosh(x)")
d_cosh = _accurate("d_cosh", KE.d_cosh, sinh, doc="cosh'(x) = sinh(x)")
d_tanh = _accurate("d_tanh", KE.d_tanh, _d_tanh, doc="tanh'(x) = sech(x)**2")
d_sigmoid = _accurate("d_sigmoid", KE.d_sigmoid, _d_sigmoid,
                      doc="sigmoid'(x) = sigmoid(x) * (1 - sigmoid(x))")
d_softplus = _accurate("d_softplus", KE.d_softplus, _sigmoid_formula,
                       mp=lambda x: 1 / (1 + mpmath.exp(-x)), doc="softplus'(x) = sigmoid(x)")
d_erf = _accurate("d_erf", KE.d_erf, _d_erf, mp=_d_erf_mp, doc="erf'(x) = 2/sqrt(pi) exp(-x**2)")
d_erfc = _accurate("d_erfc", KE.d_erfc, lambda x: -_d_erf(x), mp=lambda x: -_d_erf_mp(x),
                   doc="erfc'(x) = -2/sqrt(pi) exp(-x**2)")
d_log = _accurate("d_log", KA.d_log, _d_log, doc="log'(x) = 1 / x")
d_log2 = _accurate("d_log2", KA.d_log2, lambda x: 1 / (x * _LN2), mp=_d_log2_mp,
                   doc="log2'(x) = 1 / (x ln 2)")
d_log10 = _accurate("d_log10", KA.d_log10, lambda x: 1 / (x * _LN10), mp=_d_log10_mp,
                    doc="log10'(x) = 1 / (x ln 10)")
d_log1p = _accurate("d_log1p", KA.d_log1p, _d_log1p, doc="log1p'(x) = 1 / (1 + x)")
d_sqrt = _accurate("d_sqrt", KA.d_sqrt, _d_sqrt, doc="sqrt'(x) = 1 / (2 sqrt(x))")
d_cbrt = _accurate("d_cbrt", KA.d_cbrt, _d_cbrt, doc="cbrt'(x) = 1 / (3 cbrt(x)**2)")
d_asin = _accurate("d_asin", KA.d_asin, _d_asin, doc="asin'(x) = 1 / sqrt(1 - x**2)")
d_acos = _accurate("d_acos", KA.d_acos, _d_acos, doc="acos'(x) = -1 / sqrt(1 - x**2)")
d_atan = _accurate("d_atan", KA.d_atan, _d_atan, doc="atan'(x) = 1 / (1 + x**2)")
d_asinh = _accurate("d_asinh", KA.d_asinh, _d_asinh, doc="asinh'(x) = 1 / sqrt(1 + x**2)")
d_acosh = _accurate("d_acosh", KA.d_acosh, _d_acosh, doc="acosh'(x) = 1 / sqrt(x**2 - 1)")
d_atanh = _accurate("d_atanh", KA.d_atanh, _d_atanh, doc="atanh'(x) = 1 / (1 - x**2)")
d_reciprocal = _accurate("d_reciprocal", KA.d_reciprocal, _d_reciprocal,
                         doc="reciprocal'(x) = -1 / x**2")
trigamma = _accurate("trigamma", KS.trigamma, _via_mpc(lambda ctx, z: ctx.psi(1, z)),
                     mp=_trigamma_mp, doc="trigamma(x) = digamma'(x)")
d_sinc = _accurate(
    "d_sinc", KS.d_sinc,
    # _d_sinc_mp in the private 53-bit context ctx: c carries its guard bits, x is z in c
    _via_mpc(lambda ctx, z: z * 0 if z == 0 else (
        (c := _at_precision(ctx.prec + 2 * max(0, -int(ctx.frexp(abs(z))[1])) + 16))
        .cospi(x := c.mpmathify(z)) - c.sincpi(x)) / x),
    mp=_d_sinc_mp, doc="sinc'(x) = (cos(pi x) - sinc(x)) / x")


# Bernoulli-number coefficients of trigamma's asymptotic series in 1/z (z >= 10: the first
# omitted term is below 1e-17 relative)
_TRIGAMMA_SERIES = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)


def _trigamma_array(x: Any) -> Any:
    """trigamma for real arrays: the recurrence up to z = x + 10, then the asymptotic
    series; reflection, pi**2 / sin(pi x)**2 - trigamma(1 - x), for x < 0."""
    xp = array_namespace(x)
    negative = x < 0
    x = xp.where(negative, 1 - x, x)
    total = x * 0
    for k in range(10):
        total = total + 1 / ((x + k) * (x + k))
    z = x + 10
    w = 1 / (z * z)
    series = x * 0
    for c in reversed(_TRIGAMMA_SERIES):
        series = (series + c) * w
    total = total + (1 + (1 / (2 * z) + series)) / z
    reflected = (math.pi / sin(math.pi * x)) ** 2 - total
    return xp.where(negative, reflected, total)


def _d_sigmoid_array(x: Any) -> Any:
    # sigmoid' is even: with e = exp(-|x|) <= 1 nothing overflows (exp(-x) does for x < -709)
    if _is_complex(x):
        return _d_sigmoid(x)
    e = exp(-absolute(x))
    return e / (1 + e) ** 2


d_sigmoid.array_formula = _d_sigmoid_array
trigamma.array_formula = _trigamma_array
def _unbox(x: Any) -> Any:
    return x.value if hasattr(type(x), "__vjpchain_apply__") else x


def _sign_formula(x: Any) -> Any:
    # piecewise constant: 0 * x carries a zero derivative through traced and dual numbers
    return x * 0 + sign(_unbox(x))


def _tetragamma_float(x: Any) -> Any:
    return float(_at_precision(80).psi(2, x))  # a private context: mp stays untouched


tetragamma = Generic("tetragamma", real=_tetragamma_float, mp=lambda x: mpmath.psi(2, x),
                     complex=_via_mpc(lambda ctx, z: ctx.psi(2, z)),
                     numpy=_np_vectorized(_tetragamma_float),
                     doc="tetragamma(x) = trigamma'(x) (through mpmath: for dual numbers)")


def _trigamma_formula(x: Any) -> Any:
    # dual numbers only: trigamma(v + t eps) = trigamma(v) + t tetragamma(v) eps
    if not hasattr(x, "tangent"):
        raise UnsupportedTypeError(
            f"trigamma of a {type(x).__name__} is not supported: its derivative is needed "
            "only for second derivatives of digamma, which dual numbers provide")
    return x.with_parts(trigamma(x.value), x.tangent * tetragamma(x.value))


def _d_sinc_formula(x: Any) -> Any:
    # traced and dual numbers (second derivatives of sinc); at exactly 0 this is 0/0, so
    # other array types keep their clear error instead
    if not hasattr(type(x), "__vjpchain_apply__"):
        raise UnsupportedTypeError(
            f"sinc is not defined for {type(x).__module__.split('.')[0]} arrays here: its "
            "derivative has no form for them (vjpchain.sinc itself runs)")
    return (cos(math.pi * x) - sinc(x)) / x


sign.formula = _sign_formula
trigamma.formula = _trigamma_formula
d_sinc.formula = _d_sinc_formula
digamma.formula = None  # a registered primitive: its rule applies
sinc.formula = None


# --- functions of two numbers ----------------------------------------------------------------


def _pow_real(a: Any, b: Any) -> float:
    try:
        return math.pow(a, b)
    except OverflowError:
        return math.inf if a > 0 or float(b) % 2 == 0 else -math.inf


def _np2(name: str) -> Callable[[Any, Any], Any]:
    def call(a: Any, b: Any) -> Any:
        import numpy as np

        return getattr(np, name)(a, b)

    call.__name__ = name
    return call


def _max_scalar(a: Any, b: Any) -> Any:
    return a if a >= b else b


def _min_scalar(a: Any, b: Any) -> Any:
    return a if a <= b else b


def _hypot_mp(a: Any, b: Any) -> Any:
    return mpmath.hypot(a, b)


add = Generic2("add", real=operator.add, complex=operator.add, mp=operator.add,
               numpy=operator.add)
sub = Generic2("sub", real=operator.sub, complex=operator.sub, mp=operator.sub,
               numpy=operator.sub)
mul = Generic2("mul", real=operator.mul, complex=operator.mul, mp=operator.mul,
               numpy=operator.mul)
truediv = Generic2("truediv", real=operator.truediv, complex=operator.truediv,
                   mp=operator.truediv, numpy=operator.truediv)
pow = Generic2("pow", real=_pow_real, complex=operator.pow, mp=mpmath.power,  # noqa: A001
               numpy=_np2("power"))
atan2 = Generic2("atan2", real=math.atan2, mp=mpmath.atan2, numpy=_np2("arctan2"))
hypot = Generic2("hypot", real=math.hypot, mp=_hypot_mp, numpy=_np2("hypot"))
maximum = Generic2("maximum", real=_max_scalar, mp=_max_scalar, numpy=_np2("maximum"))
minimum = Generic2("minimum", real=_min_scalar, mp=_min_scalar, numpy=_np2("minimum"))


def select(cond: Any, a: Any, b: Any) -> Any:
    """``a`` where ``cond`` holds, else ``b``: elementwise for arrays, plain for numbers."""
    if hasattr(cond, "shape"):
        import numpy as np

        return np.where(cond, a, b)
    return a if cond else b


# --- partial derivatives of the functions of two numbers ---------------------------------------


class Accurate2:
    """A partial derivative of a function of two numbers, as :func:`_accurate` for one.

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
            out = self.kernel(aa, bb, _np_ops())
        if dtype.kind == "f":
            out = out.astype(dtype)
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            return out
        return out[()]

    def __repr__(self) -> str:
        return f"vjpchain.{self.__name__}"


def _sum_of_squares(a: Any, b: Any) -> tuple[Any, Any, Any]:
    """``(s, r, zero)``: a**2 + b**2 = s**2 * r, scaled by the larger magnitude so that
    double-precision squares do not overflow; at the origin ``zero`` holds and s = r = 1."""
    s = maximum(absolute(a) if number_kind(type(a)) != COMPLEX else a,
                absolute(b) if number_kind(type(b)) != COMPLEX else b)
    zero = s == 0
    s = select(zero, 1.0, s)
    r = (a / s) ** 2 + (b / s) ** 2
    return s, select(zero, 1.0, r), zero


def _d_div_denominator(a: Any, b: Any) -> Any:
    return -(a / b) / b


def _d_pow_base(a: Any, b: Any) -> Any:
    return b * pow(a, b - 1)


def _d_pow_exponent(a: Any, b: Any) -> Any:
    return pow(a, b) * log(a)


def _d_hypot(a: Any, b: Any) -> Any:
    return ratio0(a, hypot(a, b))


def _d_atan2_y(a: Any, b: Any) -> Any:
    s, r, zero = _sum_of_squares(a, b)
    return select(zero, 0.0, (b / s) / r / s)


def _d_atan2_x(a: Any, b: Any) -> Any:
    s, r, zero = _sum_of_squares(a, b)
    return select(zero, 0.0, -(a / s) / r / s)


d_div_denominator = Accurate2("d_div_denominator", KB.d_div_denominator, _d_div_denominator,
                              doc="d(a/b)/db = -a / b**2")
d_pow_base = Accurate2("d_pow_base", KE.d_power, _d_pow_base,
                       doc="d(a**b)/da = b * a**(b - 1)")
d_pow_exponent = Accurate2("d_pow_exponent", KB.d_pow_exponent, _d_pow_exponent,
                           doc="d(a**b)/db = a**b * log(a), for a > 0")
d_hypot = Accurate2("d_hypot", KB.d_hypot, _d_hypot,
                    doc="d hypot(a, b)/da = a / hypot(a, b) (0 at the origin); d/db is "
                        "d_hypot(b, a)")
d_atan2_y = Accurate2("d_atan2_y", KB.d_atan2_y, _d_atan2_y,
                      doc="d atan2(y, x)/dy = x / (x**2 + y**2) (0 at the origin)")
d_atan2_x = Accurate2("d_atan2_x", KB.d_atan2_x, _d_atan2_x,
                      doc="d atan2(y, x)/dx = -y / (x**2 + y**2) (0 at the origin)")


def ratio0(a: Any, b: Any) -> Any:
    """a / b, and 0 where b is 0 (the subgradient convention of hypot at the origin)."""
    zero = b == 0
    return select(zero, 0.0, a / select(zero, 1.0, b))
