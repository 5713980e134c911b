"""What traced values and dual numbers share: comparisons by value, operators by rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .families import power, scale, shift


def unbox(v: Any) -> Any:
    """The value inside a traced value or dual number; anything else as it is."""
    return v.value if isinstance(v, ComparesByValue) else v


class ComparesByValue:
    """Comparisons and truth of a boxed number read its primal value, so ordinary Python
    control flow (``if x > 0``) works on traced values and dual numbers. A box is mutable
    bookkeeping around a number, so it is not hashable."""

    __slots__ = ()
    value: Any

    def __lt__(self, other: Any) -> Any:
        return self.value < unbox(other)

    def __le__(self, other: Any) -> Any:
        return self.value <= unbox(other)

    def __gt__(self, other: Any) -> Any:
        return self.value > unbox(other)

    def __ge__(self, other: Any) -> Any:
        return self.value >= unbox(other)

    def __eq__(self, other: object) -> Any:
        return self.value == unbox(other)

    def __ne__(self, other: object) -> Any:
        return self.value != unbox(other)

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        return bool(self.value)


class ArithmeticByRules(ComparesByValue):
    """The operators of a boxed number, each one primitive from the registry.

    A constant on one side makes a one-input step (``x + 2`` is ``shift(2)``, ``x * 2`` is
    ``scale(2)``, ``x ** 2`` is ``power(2)``); otherwise the two-input primitive of that
    name. Subclasses say what a constant is and how to apply a step or a pair.
    """

    __slots__ = ()

    def _is_constant(self, v: Any) -> bool:
        raise NotImplementedError

    def _unary(self, key: Any) -> Any:
        raise NotImplementedError

    def _binary(self, name: str, a: Any, b: Any) -> Any:
        raise NotImplementedError

    def __add__(self, other: Any) -> Any:
        if self._is_constant(other):
            return self._unary(shift(other))
        return self._binary("add", self, other)

    def __radd__(self, other: Any) -> Any:
        if self._is_constant(other):
            return self._unary(shift(other))
        return self._binary("add", other, self)

    def __sub__(self, other: Any) -> Any:
        if self._is_constant(other):
            return self._unary(shift(-other))
        return self._binary("sub", self, other)

    def __rsub__(self, other: Any) -> Any:
        return self._binary("sub", other, self)

    def __mul__(self, other: Any) -> Any:
        if self._is_constant(other):
            return self._unary(scale(other))
        return self._binary("mul", self, other)

    def __rmul__(self, other: Any) -> Any:
        if self._is_constant(other):
            return self._unary(scale(other))
        return self._binary("mul", other, self)

    def __truediv__(self, other: Any) -> Any:
        return self._binary("truediv", self, other)

    def __rtruediv__(self, other: Any) -> Any:
        return self._binary("truediv", other, self)

    def __pow__(self, other: Any) -> Any:
        if self._is_constant(other):
            return self._unary(power(other))
        return self._binary("pow", self, other)

    def __rpow__(self, other: Any) -> Any:
        return self._binary("pow", other, self)

    def __neg__(self) -> Any:
        return self._unary("neg")

    def __pos__(self) -> Any:
        return self

    def __abs__(self) -> Any:
        return self._unary("abs")

    # x % c and x // c, for a constant c: piecewise, with derivative 1 and 0 between the
    # jumps (as in NumPy's and PyTorch's autodiff); the jump points themselves are measure
    # zero. A boxed divisor has no such rule here: say so instead of a bare TypeError.
    def __mod__(self, other: Any) -> Any:
        if not self._is_constant(other):
            raise _piecewise_error("%")
        return self - (self.value - self.value % other)

    def __floordiv__(self, other: Any) -> Any:
        if not self._is_constant(other):
            raise _piecewise_error("//")
        return self.value // other  # piecewise constant: derivative 0

    def __rmod__(self, other: Any) -> Any:
        raise _piecewise_error("%")

    def __rfloordiv__(self, other: Any) -> Any:
        raise _piecewise_error("//")

    def __divmod__(self, other: Any) -> Any:
        return self // other, self % other


def _piecewise_error(op: str) -> Exception:
    from .errors import UnsupportedTypeError

    return UnsupportedTypeError(
        f"a {op} b with a differentiated divisor b is not supported (it is piecewise in b); "
        f"x {op} c with a constant c works (derivative {'1' if op == '%' else '0'} between "
        "the jumps)")


class ArrayMethods:
    """The array methods of a boxed array (a traced value or dual number holding an array):
    each is the NumPy function of that name, which the box's ``__array_function__`` records,
    so a method and its function never differ. Subclasses give ``shape`` and, for the error
    of a missing attribute, ``box_name``, ``carries`` and ``supported()``."""

    __slots__ = ()
    box_name = "a boxed value"
    carries = "derivative"

    @classmethod
    def supported(cls) -> tuple[str, ...]:
        raise NotImplementedError

    @property
    def shape(self) -> tuple[int, ...]:
        raise NotImplementedError

    def sum(self, axis: Any = None, keepdims: bool = False) -> Any:
        return _np().sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Any:
        return _np().mean(self, axis=axis, keepdims=keepdims)

    def prod(self, axis: Any = None, keepdims: bool = False) -> Any:
        return _np().prod(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Any:
        return _np().max(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Any:
        return _np().min(self, axis=axis, keepdims=keepdims)

    def dot(self, other: Any) -> Any:
        return _np().dot(self, other)

    def transpose(self, *axes: Any) -> Any:
        return _np().transpose(self, None if not axes else axes[0] if len(axes) == 1 else axes)

    @property
    def T(self) -> Any:  # noqa: N802 - NumPy's name
        return _np().transpose(self)

    def reshape(self, *shape: Any) -> Any:
        return _np().reshape(self, shape[0] if len(shape) == 1 else shape)

    def ravel(self) -> Any:
        return _np().ravel(self)

    def flatten(self) -> Any:
        return _np().ravel(self)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        n = 1
        for k in self.shape:
            n *= k
        return n

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self)))  # type: ignore[index]

    def __getattr__(self, name: str) -> Any:
        # only for attributes the box lacks: say so (an AttributeError still, so that
        # hasattr() probes by NumPy and others keep working)
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(
            f"{self.box_name} has no {name!r}: {name} is not differentiated here (astype, "
            f"tolist, item and the like would drop the {self.carries}). Supported: "
            f"{', '.join(self.supported())}, indexing, @, .T, reshape, ravel")


def _np() -> Any:
    import numpy as np

    return np


# the ufuncs NumPy applies to an object array element by element, by calling the method of
# the same name on each element
ELEMENTWISE_UFUNCS = (
    "sin", "cos", "tan", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt",
    "cbrt", "sinh", "cosh", "tanh", "arcsin", "arccos", "arctan", "arcsinh", "arccosh",
    "arctanh", "absolute", "negative", "square", "reciprocal")


def add_elementwise_methods(cls: type, apply: Callable[[Any, str], Any]) -> None:
    """Give ``cls`` a method per name in :data:`ELEMENTWISE_UFUNCS`: ``apply(self, key)``
    with ``key`` the registry key ``"numpy.NAME"`` (traced values record a step, dual
    numbers push their tangent)."""
    for name in ELEMENTWISE_UFUNCS:
        def method(self: Any, _key: str = f"numpy.{name}") -> Any:
            return apply(self, _key)

        method.__name__ = method.__qualname__ = name
        setattr(cls, name, method)
