"""Generic functions: one name, the arithmetic picked by the argument's type.

This module is the machinery; the generic functions themselves are declared with their
rules, by family (``elementary``, ``special``, ``binary``). ``vjpchain.sin(x)`` runs
``math.sin`` on an int or float, ``cmath.sin`` on a complex, ``mpmath.sin`` on an
``mpf``/``mpc`` (never through float), ``numpy.sin`` elementwise on a NumPy array or scalar
(dtype kept), and the array's own library on any other array of the Python array API standard
(a PyTorch tensor stays a tensor, a dask array stays lazy; needs ``array-api-compat``, the
``arrays`` extra). Rules are written with these functions, so one derivative formula serves
every number type.

Where composing libm calls loses digits, the float64 path runs an accurate kernel (see
``float64/kern_*.py``) on Python floats and NumPy float64 arrays alike (dask arrays of NumPy
chunks run it chunk by chunk); the other types, PyTorch and JAX float64 tensors included, use
a textbook-stable formula written with the generic functions themselves, within a few ULPs
rather than the kernels' one.
"""

from __future__ import annotations

import importlib
import operator
import sys
from collections.abc import Callable
from typing import Any

import mpmath

from .errors import UnsupportedTypeError
from .mpcontext import at_precision, context_of, in_context, inctx

__all__ = [
    "Generic", "Generic2", "number_kind", "is_array_api_type", "array_namespace",
    "REAL", "COMPLEX", "MP", "NUMPY", "ARRAY_API", "MPF", "MPC",
    "at_precision", "context_of", "inctx", "np_ops", "is_complex_array", "unbox",
]

Impl = Callable[[Any], Any]

# mpmath's real and complex number types, from any context (mp, or a private MPContext):
# the shared base classes where this mpmath version has them, else the mp context's own.
MPF: Any = getattr(mpmath.ctx_mp_python, "_mpf", type(mpmath.mpf(1)))
MPC: Any = getattr(mpmath.ctx_mp_python, "_mpc", type(mpmath.mpc(1)))

# The kinds of number a generic function knows. ARRAY_API: arrays of another library that
# follows the Python array API standard (PyTorch, dask, CuPy, JAX...), run in that library.
REAL, COMPLEX, MP, NUMPY = "real", "complex", "mpmath", "numpy"
ARRAY_API = "array-api"

_numpy_ops: Any = None


def np_ops() -> Any:
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
    if issubclass(tp, (MPF, MPC)):
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
        array_names: where other array API libraries have this function, as attribute
            paths: ``"standard"`` in the array's namespace (``"negative"`` for neg), or the
            library's top module (``"torch": "special.erf"``, ``"jax": "scipy.special.erf"``).
        array_formula: for other array API arrays without such a function: a formula in
            generic functions (default: ``formula``).

    Other array API arrays (a PyTorch tensor, a dask array) run, in order of preference:
    NumPy's implementation chunk by chunk for a dask array of NumPy chunks (lazily; the same
    bits as a NumPy array), the standard's function in the array's namespace, the library's
    own, then the formula; else UnsupportedTypeError.
    """

    __slots__ = ("__name__", "__qualname__", "_doc", "_impls", "_cache", "formula",
                 "array_formula", "array_names", "__weakref__")

    def __init__(
        self,
        name: str,
        *,
        real: Impl | None = None,
        complex: Impl | None = None,
        mp: Impl | None = None,
        numpy: Impl | None = None,
        array_names: dict[str, str] | None = None,
        array_formula: Impl | None = None,
        doc: str = "",
    ) -> None:
        self.__name__ = name
        self.__qualname__ = name
        self._doc = doc or f"{name}(x) for float, complex, mpmath and array arguments."
        self._impls: dict[str, Impl | None] = {
            REAL: real, COMPLEX: complex, MP: mp, NUMPY: numpy,
            ARRAY_API: _array_api_dispatch(self),
        }
        self.array_names = dict(array_names or {})
        self.array_formula = array_formula
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
        if kind == MP:
            # a private context's numbers compute in that context, at its precision
            found = in_context(found, getattr(tp, "context", mpmath.mp))
        if len(self._cache) < 256:
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

# the top module whose names a Generic's ``array_names`` give, for an array's top module
_LIBRARY_ALIASES = {"jaxlib": "jax"}


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
    library = type(x).__module__.split(".")[0]
    numpy_impl = generic._impls.get(NUMPY)
    if library == "dask" and numpy_impl is not None and _numpy_chunks(x):
        # before dask's own function (da.tanh runs np.tanh): the NumPy path's accurate
        # kernels, so a dask array gets the bits a NumPy array gets
        return _by_chunks(name, numpy_impl)
    xp = array_namespace(x)
    standard = generic.array_names.get("standard")
    if standard is not None and getattr(xp, standard, None) is not None:
        return getattr(xp, standard)  # type: ignore[no-any-return]
    top = _LIBRARY_ALIASES.get(library, library)
    own = generic.array_names.get(top)
    if own is not None:
        module, _, attribute = f"{top}.{own}".rpartition(".")
        return getattr(importlib.import_module(module), attribute)  # type: ignore[no-any-return]
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


def is_complex_array(x: Any) -> bool:
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
        if kind == MP:
            impl = in_context(impl, context_of(a, b))
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


def unbox(x: Any) -> Any:
    """The number inside a traced value or dual number (for piecewise-constant formulas)."""
    return x.value if hasattr(type(x), "__vjpchain_apply__") else x

