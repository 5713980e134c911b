"""Traced functions: run a Python function on traced values, record a flat tape, pull back.

A traced value wraps a primal (float, complex, mpmath number, NumPy array, or a dual
number) and its position on a tape. Every primitive applied to it, through an operator, a
vjpchain generic function or a NumPy ufunc, appends one node: the indices of its inputs and
its local partial derivatives, evaluated with the same rules that chains use. The reverse
pass walks the tape backwards once, adding cotangents where a value was used more than once
(fan-out), with no recursion. A chain is the special case where each node's only input is the
node before it; both run each primitive through the registry the same way (``Rule.partials``
for two inputs, ``Rule.derivative`` or the full ``Rule.vjp`` for one).
"""

from __future__ import annotations

import linecache
import re
import sys
import types
from collections.abc import Callable, Sequence
from typing import Any

from . import generic as G
from . import trace_numpy as TN
from ._boxed import ArithmeticByRules, ArrayMethods, add_elementwise_methods
from .dual import new_level
from .errors import (
    LeakedTracerError,
    PrimitiveDomainError,
    UnsupportedTypeError,
    VjpchainError,
)
from .registry import Registry, refuse_registered_body, registry_of
from .rule import Rule
from .step import Closure, check_cotangent, linearize, linearize2

__all__ = ["Traced", "Tape", "trace_vjp"]

_MATH_CALL = re.compile(r"\b(math|cmath)\.(\w+)\s*\(")


_MULTI = -2  # the parent1 entry of a node with any number of parents (see Tape.multi)


class _Multi:
    __slots__ = ("parents", "pullback", "shape")

    def __init__(self, parents: list[int], pullback: Any, shape: Any) -> None:
        self.parents, self.pullback, self.shape = parents, pullback, shape


class Tape:
    """The Wengert list of one traced evaluation: per node, up to two parents and partials.

    A partial is a number or array (the local derivative), or, for a rule given in full, its
    pullback closure.
    """

    __slots__ = ("registry", "parent1", "partial1", "parent2", "partial2", "closed",
                 "bodies", "level")

    def __init__(self, registry: Registry, level: int = 0) -> None:
        self.registry = registry
        # drawn from the same counter as dual numbers' levels as the differentiation starts:
        # a dual number of a lower level meeting this tape's values belongs to an enclosing
        # forward-mode differentiation (see dual._check_meets_traced)
        self.level = level
        self.bodies = registry.plain_bodies()  # refused on the tape: see node
        self.closed = False  # set when the traced function has returned
        self.parent1: list[int] = []
        self.partial1: list[Any] = []
        self.parent2: list[int] = []
        self.partial2: list[Any] = []

    def __len__(self) -> int:
        return len(self.parent1)

    def node(self, value: Any, p1: int = -1, d1: Any = None, p2: int = -1,
             d2: Any = None) -> Traced:
        if self.closed:
            raise LeakedTracerError(
                "a traced value was used after its differentiation ended (it leaked out of "
                "the traced function, through a global, a closure or a container), so its "
                "derivative would be lost. Compute with it inside the function you "
                "differentiate, or return it from that function"
            )
        if self.bodies:
            refuse_registered_body(self.bodies)
        self.parent1.append(p1)
        self.partial1.append(d1)
        self.parent2.append(p2)
        self.partial2.append(d2)
        return Traced(value, self, len(self.parent1) - 1)

    def multi(self, value: Any, inputs: Sequence[Any], pullback: Any) -> Traced:
        """A node of any number of parents (a NumPy reduction, a stack, a product): its
        ``pullback(g)`` gives one cotangent per entry of ``inputs``, whose traced entries
        (of this tape) are the parents."""
        parents = [v.index if isinstance(v, Traced) and v.tape is self else -1 for v in inputs]
        return self.node(value, _MULTI, _Multi(parents, pullback, getattr(value, "shape", ())))

    # recording
    def unary(self, rule: Rule, t: Traced) -> Traced:
        x = t.value
        try:
            y, local = linearize(rule, x)
        except (ValueError, ArithmeticError, TypeError) as exc:
            raise self._domain_error(rule, (x,), exc) from exc
        return self.node(y, t.index, local)

    def binary(self, rule: Rule, a: Any, b: Any) -> Traced:
        ta, tb = isinstance(a, Traced) and a.tape is self, isinstance(b, Traced) and b.tape is self
        va = a.value if ta else a
        vb = b.value if tb else b
        try:
            y, da, db = linearize2(rule, va, vb, ta, tb)
        except (ValueError, ArithmeticError, TypeError) as exc:
            raise self._domain_error(rule, (va, vb), exc) from exc
        if ta and tb:
            return self.node(y, a.index, da, b.index, db)
        if ta:
            return self.node(y, a.index, da)
        return self.node(y, b.index, db)

    def _domain_error(self, rule: Rule, inputs: tuple[Any, ...],
                      exc: BaseException) -> Exception:
        if isinstance(exc, VjpchainError):
            return exc
        shown = ", ".join(repr(v) for v in inputs)
        if isinstance(exc, TypeError):
            return UnsupportedTypeError(
                f"{rule.name} cannot compute at operation {len(self)} of the traced function "
                f"(inputs {shown}): {exc}. Convert the values (e.g. to float64 or to "
                "mpmath.mpf/mpc) or use a primitive that supports them")
        return PrimitiveDomainError(
            f"{rule.name} failed at operation {len(self)} of the traced function (inputs "
            f"{shown}): {exc}. Check that the values reaching it lie in its domain"
        )

    # the reverse pass
    def pullback(self, output: int, y_bar: Any, inputs: Sequence[int]) -> list[Any]:
        """Cotangents of the ``inputs`` nodes, given ``y_bar`` for the ``output`` node."""
        adjoint: list[Any] = [None] * (output + 1)
        adjoint[output] = y_bar
        p1, d1, p2, d2 = self.parent1, self.partial1, self.parent2, self.partial2
        for i in range(output, -1, -1):
            a = adjoint[i]
            if a is None:
                continue
            j = p1[i]
            if j == _MULTI:
                node = d1[i]
                for k, c in zip(node.parents, node.pullback(_unbroadcast_to(a, node.shape)),
                                strict=True):
                    if k >= 0 and c is not None:
                        adjoint[k] = c if adjoint[k] is None else adjoint[k] + c
            elif j >= 0:
                d = d1[i]
                c = d.pullback(a) if type(d) is Closure else a * d
                adjoint[j] = c if adjoint[j] is None else adjoint[j] + c
                j = p2[i]
                if j >= 0:
                    d = d2[i]
                    c = a * d
                    adjoint[j] = c if adjoint[j] is None else adjoint[j] + c
        return [adjoint[i] if i <= output else None for i in inputs]


def _unbroadcast(ct: Any, like: Any) -> Any:
    """Sum a cotangent over the axes along which ``like`` was broadcast."""
    target = getattr(like, "shape", ())
    if getattr(ct, "shape", ()) == target:
        return ct
    ct = _unbroadcast_to(ct, target)
    if target:
        return ct
    return type(like)(ct[()]) if type(like) in (float, complex) else ct[()]


def _unbroadcast_to(ct: Any, target: tuple[int, ...]) -> Any:
    if getattr(ct, "shape", ()) == target:
        return ct
    import numpy as np

    ct = np.asarray(ct)
    while ct.ndim > len(target):
        ct = ct.sum(axis=0)
    for axis, n in enumerate(target):
        if n == 1 and ct.shape[axis] != 1:
            ct = ct.sum(axis=axis, keepdims=True)
    return ct


def _registered_caller(registry: Registry) -> str | None:
    """The name of a registered plain function whose body is running on a traced value."""
    codes = {getattr(k, "__code__", None): k for k in registry.keys()
             if isinstance(k, types.FunctionType)}
    frame: Any = sys._getframe(2)
    for _ in range(64):
        if frame is None:
            return None
        if frame.f_code in codes:
            return getattr(codes[frame.f_code], "__qualname__", "?")
        frame = frame.f_back
    return None


def _float_error(registry: Registry | None = None) -> TypeError:
    """The error for a traced value that meets float(): usually math.sin(x) in f."""
    name = _registered_caller(registry) if registry is not None else None
    if name is not None:
        return TypeError(
            f"{name} has a rule in this registry, but the plain function was called on a "
            "traced value, so its body ran instead of its rule. Call the primitive itself: "
            "make it with vjpchain.primitive(fn, derivative) and call that in the function "
            "you differentiate (or use the registered function as a chain step)"
        )
    frame = sys._getframe(2)
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno)
    m = _MATH_CALL.search(line)
    if m:
        module, name = m.groups()
        return TypeError(
            f"{module}.{name} was called on a traced value in {frame.f_code.co_name!r} (line "
            f"{frame.f_lineno}); {module} converts to float and would drop the derivative. "
            f"Use vjpchain.{name} (or numpy.{name}) inside functions you differentiate"
        )
    return TypeError(
        "a traced value was converted to float, which would drop its derivative; inside a "
        "differentiated function use vjpchain's functions (vjpchain.sin...) or NumPy ufuncs, "
        "not math.* or float()"
    )


class Traced(ArithmeticByRules, ArrayMethods):
    """A value on a tape. Operators, generic functions and NumPy ufuncs record onto it;
    comparisons and truth tests read the primal, so ordinary control flow works."""

    __slots__ = ("value", "tape", "index")
    __array_priority__ = 1000

    def __init__(self, value: Any, tape: Tape, index: int) -> None:
        self.value = value
        self.tape = tape
        self.index = index

    def __repr__(self) -> str:
        return f"Traced({self.value!r})"

    # how generic functions apply to traced values (see Generic.resolve)
    @staticmethod
    def __vjpchain_apply__(generic: Any, t: Traced) -> Any:
        tape = t.tape
        try:
            rule = tape.registry.lookup(generic)
        except LookupError:
            if generic.formula is not None:
                return generic.formula(t)
            raise
        return tape.unary(rule, t)

    @staticmethod
    def __vjpchain_apply2__(generic: Any, a: Any, b: Any) -> Any:
        tape = a.tape if isinstance(a, Traced) else b.tape
        return tape.binary(tape.registry.lookup(generic), a, b)

    def _unary(self, key: Any) -> Traced:
        return self.tape.unary(self.tape.registry.lookup(key), self)

    def _binary(self, name: str, a: Any, b: Any) -> Any:
        for v in (a, b):
            if not isinstance(v, Traced) and G.number_kind(type(v)) is None:
                return NotImplemented
        return self.tape.binary(self.tape.registry.lookup(name), a, b)

    def _is_constant(self, v: Any) -> bool:
        return not isinstance(v, Traced) and _is_number(v)



    def __float__(self) -> float:
        raise _float_error(self.tape.registry)

    def __complex__(self) -> complex:
        raise _float_error(self.tape.registry)

    def __index__(self) -> int:
        raise _float_error(self.tape.registry)

    # NumPy ufuncs on traced values record the matching primitive
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        name = getattr(ufunc, "__name__", repr(ufunc))
        if method != "__call__" or kwargs:
            what = f"numpy.{name}.{method}" if method != "__call__" else f"numpy.{name}"
            raise UnsupportedTypeError(
                f"{what}{' with ' + ', '.join(sorted(kwargs)) if kwargs else ''} is not "
                f"supported on traced values; call numpy.{name}(x) plainly, or use the "
                f"supported NumPy functions: {', '.join(TN.SUPPORTED)}")
        tape = self.tape
        inputs = tuple(TN.from_object_array(tape, v) if _holds_traced(v, tape) else v
                       for v in inputs)
        if name == "matmul" and len(inputs) == 2:  # a ufunc since NumPy 2
            return TN.matmul(tape, *inputs)
        rule = tape.registry.lookup(ufunc)
        if len(inputs) == 1:
            return tape.unary(rule, inputs[0])
        if len(inputs) == 2 and rule.arity == 2:
            return tape.binary(rule, *inputs)
        raise UnsupportedTypeError(f"numpy.{name} of {len(inputs)} inputs is not supported "
                                   "on traced values")

    # other NumPy functions: the supported ones record a node, the others say so
    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return TN.apply_function(self.tape, func, args, kwargs)

    def __getitem__(self, index: Any) -> Traced:
        return TN.getitem(self.tape, self, index)  # type: ignore[no-any-return]

    def __matmul__(self, other: Any) -> Any:
        return TN.matmul(self.tape, self, TN_plain(self.tape, other))

    def __rmatmul__(self, other: Any) -> Any:
        return TN.matmul(self.tape, TN_plain(self.tape, other), self)

    def __len__(self) -> int:
        return len(self.value)

    @property
    def shape(self) -> Any:
        return getattr(self.value, "shape", ())

    box_name = "a traced value"
    carries = "derivative"

    @classmethod
    def supported(cls) -> tuple[str, ...]:
        return TN.SUPPORTED


def _holds_traced(v: Any, tape: Tape) -> bool:
    return type(v).__name__ == "ndarray" and v.dtype == object and any(
        isinstance(e, Traced) and e.tape is tape for e in v.ravel())


def TN_plain(tape: Tape, v: Any) -> Any:  # noqa: N802
    """``v`` as an operand of a traced NumPy operation (object arrays of traced values
    become one traced array)."""
    return TN.from_object_array(tape, v) if _holds_traced(v, tape) else v


add_elementwise_methods(Traced, lambda t, key: t.tape.unary(t.tape.registry.lookup(key), t))


def _is_number(v: Any) -> bool:
    return G.number_kind(type(v)) in (G.REAL, G.COMPLEX, G.MP)


def _zero_like(x: Any) -> Any:
    if hasattr(x, "shape") and getattr(x, "shape", ()) != ():
        import numpy as np

        return np.zeros_like(x)
    return x * 0


def trace_vjp(f: Callable[..., Any], xs: Sequence[Any], *,
              rules: Registry | None = None) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    """Trace ``f(*xs)`` and return its output with a pullback giving one cotangent per input.

    Raises:
        TypeError: ``f`` returned something that is not a number or array.
    """
    tape = Tape(registry_of(rules), new_level())
    inputs = [tape.node(x) for x in xs]
    try:
        out = f(*inputs)
    finally:
        tape.closed = True
    if _holds_traced(out, tape):
        tape.closed = False
        out = TN.from_object_array(tape, out)  # np.array([a, 2 * b]) keeps its derivative
        tape.closed = True
    if isinstance(out, Traced) and out.tape is tape:
        y, index = out.value, out.index
    elif isinstance(out, Traced) and out.tape.closed:
        raise LeakedTracerError(
            "the differentiated function returned a traced value of an earlier "
            "differentiation that had already ended (it leaked through a global or a "
            "closure); compute the result from this function's own inputs")
    elif isinstance(out, Traced):
        raise TypeError("f returned a value traced by another (outer) differentiation")
    elif G.number_kind(type(out)) is not None or hasattr(type(out), "__vjpchain_kind__"):
        y, index = out, -1  # does not depend on the inputs
    else:
        raise UnsupportedTypeError(
            f"the differentiated function must return one number or array (got "
            f"{type(out).__name__}); return a single value"
        )
    ids = [t.index for t in inputs]

    def traced_pullback(y_bar: Any) -> tuple[Any, ...]:
        check_cotangent(y_bar, y)
        if index < 0:
            return tuple(_zero_like(x) for x in xs)
        cts = tape.pullback(index, y_bar, ids)
        return tuple(_zero_like(x) if ct is None else _unbroadcast(ct, x)
                     for ct, x in zip(cts, xs, strict=True))

    traced_pullback.tape = tape  # type: ignore[attr-defined]
    return y, traced_pullback
