"""NumPy functions on traced values: reductions, where, indexing, dot and matmul, stacking.

A traced value holding an array is differentiated through the NumPy functions users write
loss functions with. Each supported function records one node on the tape whose pullback
is written here (as autograd's ``numpy_vjps`` and JAX's ``jax.numpy`` rules do); any other
NumPy function applied to a traced value raises an error naming it and listing these. Object
arrays of traced values (``np.array([a, 2 * b])``) are turned into one traced array where
they meet the library, so they never leak into a result or lose their derivative.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .errors import UnsupportedTypeError

__all__ = ["SUPPORTED", "reduced_axes", "exclusive_product", "apply_function",
           "from_object_array", "getitem", "matmul", "reshape", "transpose", "reduction"]

Pullback = Callable[[Any], Sequence[Any]]


def _np() -> Any:
    import numpy as np

    return np


def _value(v: Any) -> Any:
    return v.value if hasattr(v, "tape") and hasattr(v, "index") else v


def _is_traced(v: Any, tape: Any) -> bool:
    return getattr(v, "tape", None) is tape and hasattr(v, "index")


def _check_plain(tape: Any, v: Any, name: str) -> None:
    if hasattr(v, "tape") and hasattr(v, "index") and v.tape is not tape:
        raise UnsupportedTypeError(
            f"numpy.{name} got values traced by two different differentiations; nest them "
            "so that each one's values stay inside its own function")


def _record(tape: Any, value: Any, inputs: Sequence[Any], pullback: Pullback) -> Any:
    """A node with the traced ``inputs`` (of this tape) as parents; ``pullback(g)`` gives
    one cotangent per entry of ``inputs`` (None for the constant ones)."""
    return tape.multi(value, inputs, pullback)


# --- object arrays of traced values ------------------------------------------------------------


def from_object_array(tape: Any, array: Any) -> Any:
    """An object array holding traced values (and numbers) as one traced array."""
    np = _np()
    flat = list(array.ravel())
    for v in flat:
        _check_plain(tape, v, "array")
    values = np.array([_value(v) for v in flat]).reshape(array.shape)
    if values.dtype == object:
        raise UnsupportedTypeError(
            "an array of traced values must hold numbers only (got an object array of "
            f"{sorted({type(_value(v)).__name__ for v in flat})})")

    def pullback(g: Any) -> list[Any]:
        g = np.broadcast_to(np.asarray(g), array.shape).ravel()
        return [g[i] for i in range(len(flat))]

    return _record(tape, values, flat, pullback)


def _plain_or_traced(tape: Any, v: Any) -> Any:
    np = _np()
    if isinstance(v, np.ndarray) and v.dtype == object and any(
            _is_traced(e, tape) for e in v.ravel()):
        return from_object_array(tape, v)
    if isinstance(v, (list, tuple)) and any(_is_traced(e, tape) for e in v):
        return from_object_array(tape, np.array(v, dtype=object))
    return v


# --- reductions ----------------------------------------------------------------------------------


def reduced_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """The axes a reduction's ``axis=`` names, non-negative and sorted (shared with
    dual_numpy)."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of bounds for an array of dimension {ndim}")
        out.append(a % ndim)
    return tuple(sorted(set(out)))


def _expand(g: Any, shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool) -> Any:
    """The cotangent of a reduction's output, broadcast back to the input's shape."""
    np = _np()
    g = np.asarray(g)
    if not keepdims:
        g = np.expand_dims(g, axes) if axes else g
    return np.broadcast_to(g, shape)


def exclusive_product(v: Any, axes: tuple[int, ...]) -> Any:
    """The product of the other elements along ``axes``, for each element (no division:
    right where elements are zero)."""
    np = _np()
    rest = [a for a in range(v.ndim) if a not in axes]
    moved = np.transpose(v, rest + list(axes))
    lead = moved.shape[:len(rest)]
    flat = moved.reshape(lead + (-1,))
    ones = np.ones(lead + (1,), dtype=flat.dtype)
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.flip(np.cumprod(np.concatenate(
        [ones, np.flip(flat, axis=-1)[..., :-1]], axis=-1), axis=-1), axis=-1)
    others = (left * right).reshape(moved.shape)
    return np.transpose(others, np.argsort(rest + list(axes)))


_REDUCTIONS = ("sum", "mean", "prod", "max", "min")


def reduction(name: str, tape: Any, a: Any, axis: Any = None, keepdims: bool = False,
              **unsupported: Any) -> Any:
    """``numpy.<name>(a, axis, keepdims)`` of a traced array: sum, mean, prod, max, min."""
    np = _np()
    extra = {k: v for k, v in unsupported.items() if v is not None and k != "dtype"}
    if extra or unsupported.get("dtype") is not None:
        raise UnsupportedTypeError(
            f"numpy.{name} on a traced value supports axis= and keepdims= only (got "
            f"{sorted(k for k, v in unsupported.items() if v is not None)})")
    v = np.asarray(_value(a))
    axes = reduced_axes(axis, v.ndim)
    y = getattr(np, name)(v, axis=axis, keepdims=keepdims)
    shape = v.shape

    def pullback(g: Any) -> list[Any]:
        ge = _expand(g, shape, axes, keepdims)
        if name == "sum":
            return [np.array(ge)]
        if name == "mean":
            count = int(np.prod([shape[i] for i in axes])) if axes else 1
            return [ge / count]
        if name == "prod":
            return [ge * exclusive_product(v, axes)]
        # max and min: split among ties (autograd's convention), NaN gets it if it won
        best = np.asarray(getattr(np, name)(v, axis=axis, keepdims=True))
        chosen = (v == best) | (np.isnan(v) & np.isnan(best))
        count = chosen.sum(axis=axes, keepdims=True) if axes else np.ones_like(best)
        return [ge * chosen / count]

    return _record(tape, y, [a], pullback)


# --- where, indexing, products, stacking ---------------------------------------------------------


def _unbroadcast(ct: Any, shape: tuple[int, ...]) -> Any:
    np = _np()
    ct = np.asarray(ct)
    while ct.ndim > len(shape):
        ct = ct.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and ct.shape[axis] != 1:
            ct = ct.sum(axis=axis, keepdims=True)
    return ct


def where(tape: Any, cond: Any, a: Any, b: Any) -> Any:
    np = _np()
    c = np.asarray(_value(cond), dtype=bool)
    va, vb = _value(a), _value(b)
    y = np.where(c, va, vb)

    def pullback(g: Any) -> list[Any]:
        g = np.broadcast_to(np.asarray(g), y.shape)
        zero = np.zeros((), dtype=g.dtype)
        return [None, _unbroadcast(np.where(c, g, zero), np.shape(va)),
                _unbroadcast(np.where(c, zero, g), np.shape(vb))]

    return _record(tape, y, [cond, a, b], pullback)


def getitem(tape: Any, a: Any, index: Any) -> Any:
    """``a[index]`` for any NumPy index (ints, slices, arrays, booleans); the index is
    constant."""
    np = _np()
    if isinstance(index, tuple):
        index = tuple(_value(i) for i in index)
    v = np.asarray(_value(a))
    y = v[index]

    def pullback(g: Any) -> list[Any]:
        ct = np.zeros(v.shape, dtype=np.result_type(v.dtype, np.asarray(g).dtype))
        np.add.at(ct, index, np.broadcast_to(np.asarray(g), np.shape(y)))
        return [ct]

    return _record(tape, y, [a], pullback)


def matmul(tape: Any, a: Any, b: Any, name: str = "matmul") -> Any:
    """``a @ b`` (``numpy.dot``, ``numpy.matmul``) for 1-d and 2-d operands."""
    np = _np()
    va, vb = np.asarray(_value(a)), np.asarray(_value(b))
    if va.ndim == 0 or vb.ndim == 0:
        if name == "matmul":
            raise ValueError("matmul: an operand is a scalar; use * for scaling")
        return a * b  # numpy.dot of a scalar is the elementwise product
    if va.ndim > 2 or vb.ndim > 2:
        raise UnsupportedTypeError(
            f"numpy.{name} on traced values supports 1-d and 2-d operands (got "
            f"{va.ndim}-d and {vb.ndim}-d)")
    y = np.matmul(va, vb)

    def pullback(g: Any) -> list[Any]:
        g = np.asarray(g)
        if va.ndim == 1 and vb.ndim == 1:
            return [g * vb, g * va]
        if va.ndim == 2 and vb.ndim == 1:
            return [np.outer(g, vb), va.T @ g]
        if va.ndim == 1:
            return [vb @ g, np.outer(va, g)]
        return [g @ vb.T, va.T @ g]

    return _record(tape, y, [a, b], pullback)


def reshape(tape: Any, a: Any, shape: Any = -1, order: str = "C") -> Any:
    """``a.reshape(shape)`` (``ravel`` and ``flatten``: ``shape=-1``): the same numbers in
    another shape; the pullback reshapes the cotangent back."""
    np = _np()
    if order != "C":
        raise UnsupportedTypeError("reshape of a traced value supports order='C' only")
    v = np.asarray(_value(a))
    y = v.reshape(shape)
    return _record(tape, y, [a], lambda g: [np.reshape(np.asarray(g), v.shape)])


def transpose(tape: Any, a: Any, axes: Any = None) -> Any:
    """``a.T`` (``numpy.transpose``): the pullback transposes the cotangent back."""
    np = _np()
    v = np.asarray(_value(a))
    y = np.transpose(v, axes)
    back = None if axes is None else np.argsort(axes)
    return _record(tape, y, [a], lambda g: [np.transpose(np.asarray(g), back)])


def stack(tape: Any, arrays: Sequence[Any], axis: int = 0, **unsupported: Any) -> Any:
    np = _np()
    if any(v is not None for v in unsupported.values()):
        raise UnsupportedTypeError("numpy.stack on traced values supports axis= only")
    items = list(arrays)
    values = [np.asarray(_value(v)) for v in items]
    y = np.stack(values, axis=axis)

    def pullback(g: Any) -> list[Any]:
        g = np.broadcast_to(np.asarray(g), y.shape)
        return [np.take(g, i, axis=axis) for i in range(len(items))]

    return _record(tape, y, items, pullback)


# --- dispatch ------------------------------------------------------------------------------------


def _handlers() -> dict[Any, Callable[..., Any]]:
    np = _np()
    table: dict[Any, Callable[..., Any]] = {
        np.where: where, np.dot: lambda tape, a, b: matmul(tape, a, b, "dot"),
        np.matmul: matmul, np.stack: stack,
        np.average: _average, np.reshape: reshape, np.ravel: reshape,
        np.transpose: transpose,
    }
    for name in _REDUCTIONS:
        table[getattr(np, name)] = _reducer(name)
    for alias, name in (("amax", "max"), ("amin", "min")):
        if hasattr(np, alias):
            table[getattr(np, alias)] = _reducer(name)
    return table


def _reducer(name: str) -> Callable[..., Any]:
    def call(tape: Any, a: Any, axis: Any = None, *args: Any, **kwargs: Any) -> Any:
        if args:
            raise UnsupportedTypeError(
                f"numpy.{name} on a traced value: pass axis= and keepdims= by keyword")
        return reduction(name, tape, a, axis, **kwargs)

    return call


def _average(tape: Any, a: Any, axis: Any = None, weights: Any = None,
             returned: bool = False, keepdims: bool = False) -> Any:
    if weights is None and not returned:
        return reduction("mean", tape, a, axis, keepdims)
    np = _np()
    shape = np.shape(_value(a))
    if returned or _is_traced(weights, tape) or np.shape(weights) != shape:
        raise UnsupportedTypeError(
            "numpy.average on traced values supports constant weights of the input's shape "
            "(and no returned=True); write sum(w * x) / sum(w) for other cases")
    w = np.asarray(weights)
    return reduction("sum", tape, a * w, axis, keepdims) / np.sum(w, axis=axis,
                                                                 keepdims=keepdims)


SUPPORTED = ("sum", "mean", "prod", "max", "min", "amax", "amin", "average", "where",
             "dot", "matmul", "stack", "reshape", "ravel", "transpose",
             "and the ufuncs of the built-in primitives (numpy.sin, numpy.exp, numpy.add...)")
_TABLE: dict[Any, Callable[..., Any]] = {}


def apply_function(tape: Any, func: Any, args: tuple[Any, ...],
                   kwargs: dict[str, Any]) -> Any:
    """``func(*args, **kwargs)`` for a NumPy function given a traced value."""
    if not _TABLE:
        _TABLE.update(_handlers())
    handler = _TABLE.get(func)
    name = getattr(func, "__name__", repr(func))
    if handler is None:
        raise UnsupportedTypeError(
            f"numpy.{name} is not supported on traced values (its derivative is not "
            f"defined here); supported: {', '.join(SUPPORTED)}. Write it with these, or "
            "register it as a primitive")
    args = tuple(_plain_or_traced(tape, v) for v in args)
    if func is _np().stack:
        args = (list(args[0]),) + args[1:]
    try:
        return handler(tape, *args, **kwargs)
    except TypeError as exc:  # an argument the traced form does not take (out=, dtype=...)
        if isinstance(exc, UnsupportedTypeError):
            raise
        raise UnsupportedTypeError(
            f"numpy.{name} on traced values does not take these arguments ({exc}); call "
            f"it with the array arguments and axis=/keepdims= only") from None
