"""NumPy functions on dual numbers: reductions, where, indexing, products, stacking, reshaping.

A dual number holding arrays (value and tangent of the same shape) goes through the NumPy
functions users write functions with. Each supported function computes its output from the
values and its tangent by the function's derivative, written here (the forward counterpart
of ``trace_numpy``); any other NumPy function, and any ufunc method other than a plain call
(``numpy.add.reduce``), applied to a dual number raises an error naming it and listing
these. Only the dual numbers of the highest level among the arguments are differentiated
here; those of lower levels (enclosing differentiations) and traced values are constants to
this one, and they pass through the same NumPy functions, which differentiate them in turn.
Object arrays of dual numbers (``numpy.array([a, 2 * a])``) are gathered into one dual number
of arrays where they meet the library, so they never leak into a result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .errors import PrimitiveDomainError, UnsupportedTypeError, VjpchainError
from .trace_numpy import exclusive_product, reduced_axes

__all__ = ["SUPPORTED", "apply_function", "bilinear", "full_tangent", "gather", "getitem",
           "primal", "reduction", "shape_of"]


def _np() -> Any:
    import numpy as np

    return np


def _is_dual(v: Any) -> bool:
    return getattr(type(v), "__vjpchain_kind__", None) == "dual"


def _is_traced(v: Any) -> bool:
    return hasattr(v, "tape") and hasattr(v, "index")


def _level(v: Any) -> int:
    return v.level if _is_dual(v) else -1  # type: ignore[no-any-return]


def primal(v: Any) -> Any:
    """The plain number or array inside nested dual numbers and traced values."""
    while _is_dual(v) or _is_traced(v):
        v = v.value
    return v


def shape_of(v: Any) -> tuple[int, ...]:
    return tuple(getattr(v, "shape", ()))


def _broadcast(t: Any, shape: tuple[int, ...]) -> Any:
    """``t`` broadcast to ``shape`` as a new array (a box stays a box: its own addition)."""
    np = _np()
    if _is_dual(t) or _is_traced(t):
        return t + np.zeros(shape)
    return np.array(np.broadcast_to(t, shape))


def full_tangent(d: Any) -> Any:
    """The tangent of the dual number ``d`` with its value's shape (a hand-made
    ``Dual(array, 1.0)`` has a scalar tangent: it moves every element alike)."""
    t, shape = d.tangent, shape_of(d.value)
    return t if shape_of(t) == shape else _broadcast(t, shape)


def _zeros(v: Any) -> Any:
    """The tangent of a constant: zeros of its shape."""
    np = _np()
    shape = shape_of(v)
    return np.zeros(shape) if shape else 0.0


def _split(v: Any, level: int) -> tuple[Any, Any]:
    """``(value, tangent)`` of ``v`` for the perturbation of ``level``; the tangent is None
    for a constant (anything else, dual numbers of lower levels included)."""
    if _is_dual(v) and v.level == level:
        return v.value, full_tangent(v)
    return v, None


def _owner(values: Sequence[Any]) -> Any:
    """The dual number of the highest level among ``values``, or None."""
    duals = [v for v in values if _is_dual(v)]
    return max(duals, key=_level) if duals else None


# --- object arrays of dual numbers ---------------------------------------------------------------


def gather(v: Any) -> Any:
    """An object array holding dual numbers (and numbers) as one dual number of arrays;
    anything else as it is."""
    if type(v).__name__ != "ndarray" or v.dtype != object:
        return v
    if not any(_is_dual(e) for e in v.flat):
        return v
    if v.ndim == 0:
        return v[()]
    return _stack_rows(v)


def _stack_rows(v: Any) -> Any:
    # numpy.stack of each row, so every element meets its own kind's stack (no reshape,
    # which traced values do not support)
    np = _np()
    if v.ndim == 1:
        return np.stack(list(v))
    return np.stack([_stack_rows(row) for row in v])


def _gathered(v: Any) -> Any:
    if isinstance(v, (list, tuple)) and any(_is_dual(e) or _holds_dual(e) for e in v):
        return [gather(e) for e in v]
    return gather(v)


def _holds_dual(v: Any) -> bool:
    return type(v).__name__ == "ndarray" and v.dtype == object and any(
        _is_dual(e) for e in v.flat)


# --- reductions ----------------------------------------------------------------------------------


def _folded_product(d: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    """The product along ``axes`` as a sequence of dual multiplications: for values that
    are themselves boxes (nested differentiation), whose derivatives then come from the
    product rule of each step, right at zeros as well."""
    np = _np()
    shape = shape_of(d.value)
    total = None
    for index in np.ndindex(*(shape[a] for a in axes)):
        key: list[Any] = [slice(None)] * len(shape)
        for a, i in zip(axes, index, strict=True):
            key[a] = i
        term = getitem(d, tuple(key))
        total = term if total is None else total * term
    if total is None:  # an empty product
        y = np.prod(d.value, axis=axes, keepdims=keepdims)
        return d.with_parts(y, y * 0)
    if keepdims:
        for a in axes:
            total = np.stack([total], axis=a)
    return total


_REDUCTIONS = ("sum", "mean", "prod", "max", "min")


def reduction(name: str, d: Any, axis: Any = None, keepdims: bool = False,
              **unsupported: Any) -> Any:
    """``numpy.<name>(d, axis, keepdims)`` of a dual number: sum, mean, prod, max, min."""
    np = _np()
    extra = sorted(k for k, v in unsupported.items() if v is not None)
    if extra:
        raise UnsupportedTypeError(
            f"numpy.{name} on a dual number supports axis= and keepdims= only (got {extra})")
    v = d.value
    axes = reduced_axes(axis, len(shape_of(v)))
    if name == "prod" and axes and (_is_dual(v) or _is_traced(v)):
        return _folded_product(d, axes, keepdims)
    t = full_tangent(d)
    y = getattr(np, name)(v, axis=axis, keepdims=keepdims)
    if name in ("sum", "mean") or not axes:  # linear; a reduction over no axes is identity
        return d.with_parts(y, getattr(np, name if name == "mean" else "sum")(
            t, axis=axis, keepdims=keepdims))
    if name == "prod":
        v = np.asarray(v)
        if not v.size:  # an empty product is the constant 1
            return d.with_parts(y, np.sum(t, axis=axis, keepdims=keepdims))
        return d.with_parts(y, np.sum(t * exclusive_product(v, axes), axis=axis,
                                      keepdims=keepdims))
    # max and min: the tangent of the chosen element; ties share it evenly (the library's
    # convention, as vjpchain.maximum), a NaN gets it if it won
    p = np.asarray(primal(v))
    best = getattr(np, name)(p, axis=axis, keepdims=True)
    chosen = p == best
    if p.dtype.kind in "fc":
        chosen = chosen | (np.isnan(p) & np.isnan(best))
    weights = chosen / chosen.sum(axis=axes, keepdims=True)
    return d.with_parts(y, np.sum(t * weights, axis=axis, keepdims=keepdims))


def _reducer(name: str) -> Callable[..., Any]:
    def call(a: Any, axis: Any = None, *args: Any, **kwargs: Any) -> Any:
        if args:
            raise UnsupportedTypeError(
                f"numpy.{name} on a dual number: pass axis= and keepdims= by keyword")
        return reduction(name, a, axis, **kwargs)

    return call


def _average(a: Any, axis: Any = None, weights: Any = None, returned: bool = False,
             keepdims: bool = False) -> Any:
    np = _np()
    if weights is None and not returned:
        return np.mean(a, axis=axis, keepdims=keepdims)
    if returned or shape_of(weights) != shape_of(a):
        raise UnsupportedTypeError(
            "numpy.average on dual numbers supports weights of the input's shape (and no "
            "returned=True); write sum(w * x) / sum(w) for other cases")
    return (np.sum(a * weights, axis=axis, keepdims=keepdims)
            / np.sum(weights, axis=axis, keepdims=keepdims))


# --- where, indexing, products, stacking, shapes -------------------------------------------------


def _where(condition: Any, x: Any = None, y: Any = None) -> Any:
    np = _np()
    c = np.asarray(primal(condition))
    if x is None and y is None:
        return np.where(c)  # indices: constant
    if x is None or y is None:
        raise ValueError("numpy.where takes either one argument or three")
    c = c.astype(bool)
    owner = _owner([x, y])
    if owner is None:  # only the condition was a dual number
        return np.where(c, x, y)
    vx, tx = _split(x, owner.level)
    vy, ty = _split(y, owner.level)
    value = np.where(c, vx, vy)
    tangent = np.where(c, 0.0 if tx is None else tx, 0.0 if ty is None else ty)
    shape = shape_of(value)
    if shape_of(tangent) != shape:
        tangent = _broadcast(tangent, shape)
    return owner.with_parts(value, tangent)


def _constant_index(index: Any) -> Any:
    """An index is constant: dual numbers or traced values in it count by their primal."""
    if isinstance(index, tuple):
        return tuple(primal(i) for i in index)
    return primal(index)


def getitem(d: Any, index: Any) -> Any:
    """``d[index]`` for any NumPy index (ints, slices, arrays, booleans)."""
    index = _constant_index(index)
    return d.with_parts(d.value[index], full_tangent(d)[index])


_BILINEAR = ("dot", "matmul", "inner", "outer", "tensordot")


def bilinear(name: str, a: Any, b: Any, **kwargs: Any) -> Any:
    """``numpy.<name>(a, b)`` for a product linear in each operand (dot, matmul, ``@``,
    inner, outer, tensordot): ``d(a b) = da b + a db``."""
    np = _np()
    func = getattr(np, name)
    if kwargs.get("out") is not None or (set(kwargs) - {"axes", "out"}):
        raise UnsupportedTypeError(
            f"numpy.{name} on dual numbers supports its operands"
            f"{' and axes=' if name == 'tensordot' else ''} only (got "
            f"{sorted(k for k, v in kwargs.items() if v is not None)})")
    kwargs.pop("out", None)
    a, b = gather(a), gather(b)
    owner = _owner([a, b])
    va, ta = _split(a, owner.level)
    vb, tb = _split(b, owner.level)
    try:
        y = func(va, vb, **kwargs)
    except ValueError as exc:
        if isinstance(exc, VjpchainError):
            raise
        raise PrimitiveDomainError(
            f"numpy.{name} failed on operands of shapes {shape_of(va)} and {shape_of(vb)}: "
            f"{exc}") from exc
    tangent = None
    if ta is not None:
        tangent = func(ta, vb, **kwargs)
    if tb is not None:
        t = func(va, tb, **kwargs)
        tangent = t if tangent is None else tangent + t
    return owner.with_parts(y, tangent)


def _joiner(name: str) -> Callable[..., Any]:
    """A linear function of a sequence of arrays (stack, concatenate...): the tangent is the
    same function of the tangents, with zeros for the constant entries."""
    def call(arrays: Any, axis: int = 0, *args: Any, **kwargs: Any) -> Any:
        np = _np()
        if args or any(v is not None for v in kwargs.values()):
            raise UnsupportedTypeError(f"numpy.{name} on dual numbers supports axis= only")
        items = [gather(v) for v in arrays]
        owner = _owner(items)
        func = getattr(np, name)
        parts = [_split(v, owner.level) for v in items]
        value = func([p[0] for p in parts], axis=axis)
        tangent = func([_zeros(v) if t is None else t for v, t in parts], axis=axis)
        return owner.with_parts(value, tangent)

    return call


_JOINERS = ("stack", "concatenate")


def _reshaper(name: str) -> Callable[..., Any]:
    """A linear function of one array with constant parameters (transpose, reshape...): the
    tangent is the same function of the tangent."""
    def call(a: Any, *args: Any, **kwargs: Any) -> Any:
        np = _np()
        if any(_is_dual(v) for v in args) or any(_is_dual(v) for v in kwargs.values()):
            raise UnsupportedTypeError(
                f"numpy.{name} on a dual number: its parameters (axes, shapes) must be "
                "constants")
        if kwargs.get("out") is not None or kwargs.get("dtype") is not None:
            raise UnsupportedTypeError(f"numpy.{name} on a dual number takes no out= or "
                                       "dtype=")
        kwargs = {k: v for k, v in kwargs.items() if k not in ("out", "dtype")}
        func = getattr(np, name)
        return a.with_parts(func(a.value, *args, **kwargs),
                            func(full_tangent(a), *args, **kwargs))

    return call


_RESHAPERS = ("transpose", "reshape", "ravel", "squeeze", "expand_dims", "swapaxes",
              "moveaxis", "cumsum")


def _constant(name: str) -> Callable[..., Any]:
    """Functions of the shape or primal only (numpy.shape, numpy.zeros_like): constants."""
    def call(a: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(_np(), name)(primal(a), *args, **kwargs)

    return call


_CONSTANTS = ("shape", "ndim", "size", "zeros_like", "ones_like", "full_like", "empty_like")


# --- dispatch ------------------------------------------------------------------------------------


SUPPORTED = ("sum", "mean", "prod", "max", "min", "amax", "amin", "average", "where",
             *_BILINEAR, *_JOINERS, *_RESHAPERS, *_CONSTANTS,
             "indexing and slicing", "and the ufuncs of the built-in primitives "
             "(numpy.sin, numpy.exp, numpy.add...)")
_TABLE: dict[Any, Callable[..., Any]] = {}


def _handlers() -> dict[Any, Callable[..., Any]]:
    np = _np()
    table: dict[Any, Callable[..., Any]] = {np.where: _where, np.average: _average}
    for name in _REDUCTIONS:
        table[getattr(np, name)] = _reducer(name)
    for alias, name in (("amax", "max"), ("amin", "min")):
        if hasattr(np, alias):
            table[getattr(np, alias)] = _reducer(name)
    for name in _BILINEAR:
        table[getattr(np, name)] = _bilinear_call(name)
    for name in _JOINERS:
        table[getattr(np, name)] = _joiner(name)
    for name in _RESHAPERS:
        table[getattr(np, name)] = _reshaper(name)
    for name in _CONSTANTS:
        table[getattr(np, name)] = _constant(name)
    return table


def _bilinear_call(name: str) -> Callable[..., Any]:
    def call(a: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
        if args:
            if name != "tensordot" or len(args) > 1:
                raise UnsupportedTypeError(
                    f"numpy.{name} on dual numbers: pass its options by keyword")
            kwargs["axes"] = args[0]
        return bilinear(name, a, b, **kwargs)

    return call


def unsupported(what: str) -> UnsupportedTypeError:
    return UnsupportedTypeError(
        f"{what} is not supported on dual numbers (its derivative is not defined here); "
        f"supported: {', '.join(SUPPORTED)}. Write it with these, or register it as a "
        "primitive")


def apply_function(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``func(*args, **kwargs)`` for a NumPy function given a dual number.

    Example:
        >>> import numpy as np
        >>> from vjpchain import Dual
        >>> x = Dual(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 0.0]))
        >>> np.prod(x), x @ x
        (Dual(np.float64(6.0), np.float64(6.0)), Dual(np.float64(14.0), np.float64(2.0)))
    """
    if not _TABLE:
        _TABLE.update(_handlers())
    handler = _TABLE.get(func)
    if handler is None:
        raise unsupported(f"numpy.{getattr(func, '__name__', repr(func))}")
    args = tuple(_gathered(v) for v in args)
    kwargs = {k: gather(v) for k, v in kwargs.items()}
    return handler(*args, **kwargs)
