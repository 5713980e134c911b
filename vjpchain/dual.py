"""Dual numbers: forward mode on any Python function, with rules from the same registry.

``Dual(value, tangent)`` carries a value and its derivative along one direction. Every
primitive applied to it (operators, vjpchain's generic functions, NumPy ufuncs) computes its
output with the rule's primal and the tangent with the rule's derivative, so a primitive
declared once works here too; NumPy functions (reductions, where, indexing, products,
stacking) are differentiated by ``dual_numpy``. Values may themselves be dual numbers:
nesting gives higher derivatives, and dual numbers holding traced values give
Hessian-vector products (reverse over forward mode). A dual number made by hand, or of an
enclosing differentiation, that meets a value traced by a gradient taken inside it is
refused: the gradient would silently miss its tangent.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from . import dual_numpy as DN
from . import generic as G
from ._boxed import ArithmeticByRules, ArrayMethods, add_elementwise_methods
from .errors import PrimitiveDomainError, UnsupportedTypeError, VjpchainError
from .registry import Registry, default_registry, refuse_registered_body
from .rule import Rule
from .step import linearize, linearize2, pull

__all__ = ["Dual", "dual_jvp", "new_level", "tangent_at"]


class Dual(ArithmeticByRules, ArrayMethods):
    """``value + tangent * eps`` with ``eps**2 = 0``.

    Example:
        >>> from vjpchain import Dual, sin
        >>> sin(Dual(0.0, 1.0))
        Dual(0.0, 1.0)
    """

    __slots__ = ("value", "tangent", "registry", "level")
    __vjpchain_kind__ = "dual"
    __array_priority__ = 1001

    def __init__(self, value: Any, tangent: Any = 0.0, registry: Registry | None = None,
                 level: int = 0) -> None:
        self.value = value
        self.tangent = tangent
        self.registry = registry
        # which differentiation this perturbation belongs to: each transform draws a new,
        # higher level, so a dual number of a lower level is a constant to it (no
        # perturbation confusion in nested forward mode); hand-made duals share level 0
        self.level = level

    def __repr__(self) -> str:
        return f"Dual({self.value!r}, {self.tangent!r})"

    def with_parts(self, value: Any, tangent: Any) -> Dual:
        """A dual number of the same level and registry with the given parts."""
        return Dual(value, tangent, self.registry, self.level)

    def _rules(self) -> Registry:
        return self.registry or default_registry

    def _apply(self, rule: Rule) -> Dual:
        bodies = self._rules().plain_bodies()
        if bodies:
            refuse_registered_body(bodies)
        try:
            y, local = linearize(rule, self.value)
        except (ValueError, ArithmeticError) as exc:
            raise _domain_error(rule, (self.value,), exc) from exc
        return Dual(y, pull(local, self.tangent), self.registry, self.level)

    @staticmethod
    def __vjpchain_apply__(generic: Any, d: Dual) -> Any:
        try:
            rule = d._rules().lookup(generic)
        except LookupError:
            if generic.formula is not None:
                return generic.formula(d)
            raise
        return d._apply(rule)

    @staticmethod
    def __vjpchain_apply2__(generic: Any, a: Any, b: Any) -> Any:
        owner = a if isinstance(a, Dual) else b
        return _binary(owner._rules().lookup(generic), a, b, owner.registry)

    def _lookup(self, key: Any) -> Rule:
        return self._rules().lookup(key)

    # the operators (ArithmeticByRules) apply the registry's rules through these
    def _is_constant(self, v: Any) -> bool:
        return _is_const(v)

    def _unary(self, key: Any) -> Dual:
        return self._apply(self._lookup(key))

    def _binary(self, name: str, a: Any, b: Any) -> Any:
        return _binary(self._lookup(name), a, b, self.registry)

    def __float__(self) -> float:
        raise TypeError(
            "a dual number was converted to float, which would drop its tangent; use "
            "vjpchain's functions (vjpchain.sin...) or NumPy ufuncs, not math.* or float()"
        )

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        # numpy.array([a, 2 * a]) of scalar dual numbers is an object array (gathered into
        # one dual number where it meets the library); a dual number of arrays would lose
        # its tangent in numpy.asarray, so that is refused
        if DN.shape_of(self.value):
            raise UnsupportedTypeError(
                f"a dual number holding an array of shape {DN.shape_of(self.value)} was "
                "converted to a NumPy array (numpy.asarray or numpy.array), which would drop "
                "its tangent; use numpy.stack to combine dual numbers, and the supported "
                "NumPy functions on them. (NumPy functions on a traced value holding dual "
                "numbers do this: forward mode over reverse mode, jvp or derivative of a "
                "grad, is not supported through NumPy functions; vjpchain.hvp and "
                "vjpchain.hessian run reverse over forward mode and support them)")
        import numpy as np

        box = np.empty((), dtype=object)
        box[()] = self
        return box

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        name = getattr(ufunc, "__name__", repr(ufunc))
        if method != "__call__" or kwargs:
            what = f"numpy.{name}.{method}" if method != "__call__" else f"numpy.{name}"
            raise DN.unsupported(
                f"{what}{' with ' + ', '.join(sorted(kwargs)) if kwargs else ''}")
        inputs = tuple(DN.gather(v) for v in inputs)
        if name == "matmul" and len(inputs) == 2:  # a ufunc since NumPy 2
            _check_traced_operands(inputs, {})
            return DN.bilinear("matmul", *inputs)
        rule = self._lookup(ufunc)
        if len(inputs) == 1:
            return _unary_dual(rule, inputs[0])
        if len(inputs) == 2 and rule.arity == 2:
            return _binary(rule, inputs[0], inputs[1], self.registry)
        raise UnsupportedTypeError(f"numpy.{name} of {len(inputs)} inputs is not supported "
                                   "on dual numbers")

    # other NumPy functions: the supported ones differentiate, the others say so
    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        _check_traced_operands(args, kwargs)
        return DN.apply_function(func, args, kwargs)

    def __getitem__(self, index: Any) -> Dual:
        return DN.getitem(self, index)  # type: ignore[no-any-return]

    def __matmul__(self, other: Any) -> Any:
        _check_traced_operands((self, other), {})
        return DN.bilinear("matmul", self, other)

    def __rmatmul__(self, other: Any) -> Any:
        _check_traced_operands((other, self), {})
        return DN.bilinear("matmul", other, self)

    def __len__(self) -> int:
        return len(self.value)

    @property
    def shape(self) -> tuple[int, ...]:
        return DN.shape_of(self.value)  # type: ignore[no-any-return]

    box_name = "a dual number"
    carries = "tangent"

    @classmethod
    def supported(cls) -> tuple[str, ...]:
        return DN.SUPPORTED


add_elementwise_methods(Dual, lambda d, key: d._apply(d._lookup(key)))


def _unary_dual(rule: Rule, d: Any) -> Any:
    if isinstance(d, Dual):
        return d._apply(rule)
    return NotImplemented


def _is_const(v: Any) -> bool:
    return not isinstance(v, Dual) and G.number_kind(type(v)) in (G.REAL, G.COMPLEX, G.MP)


def _value(v: Any) -> Any:
    return v.value if isinstance(v, Dual) else v


def _level(v: Any) -> int:
    return v.level if isinstance(v, Dual) else -1


def _binary(rule: Rule, a: Any, b: Any, registry: Registry | None) -> Any:
    kind_a, kind_b = G.number_kind(type(a)), G.number_kind(type(b))
    if kind_a is None and not isinstance(a, Dual) and not hasattr(a, "tape"):
        return NotImplemented
    if kind_b is None and not isinstance(b, Dual) and not hasattr(b, "tape"):
        return NotImplemented
    if kind_a == G.NUMPY:
        a = DN.gather(a)  # an object array of dual numbers as one dual number
    if kind_b == G.NUMPY:
        b = DN.gather(b)
    # the dual number of the highest level is the perturbation differentiated here; one of
    # a lower level is a constant (its own tangent belongs to an enclosing differentiation)
    level = max(_level(a), _level(b))
    outer = a if _level(a) == level else b
    if kind_a is None and not isinstance(a, Dual):
        _check_meets_traced(outer, a)
    if kind_b is None and not isinstance(b, Dual):
        _check_meets_traced(outer, b)
    da, db = _level(a) == level, _level(b) == level
    va = a.value if da else a
    vb = b.value if db else b
    bodies = (registry or outer.registry or default_registry).plain_bodies()
    if bodies:
        refuse_registered_body(bodies)
    try:
        y, partial_a, partial_b = linearize2(rule, va, vb, da, db)
    except (ValueError, ArithmeticError) as exc:
        raise _domain_error(rule, (va, vb), exc) from exc
    tangent: Any = None
    if da:
        tangent = a.tangent * partial_a
    if db:
        t = b.tangent * partial_b
        tangent = t if tangent is None else tangent + t
    shape = getattr(y, "shape", ())
    if shape != getattr(tangent, "shape", ()):
        # a constant array broadcast a scalar dual number: its tangent moves every element
        tangent = DN.full_tangent(Dual(y, tangent))
    return Dual(y, tangent, registry or outer.registry, level)


_levels = itertools.count(1)


def new_level() -> int:
    """A level above every level drawn so far (thread-safe: count's next is atomic)."""
    return next(_levels)


def _check_meets_traced(d: Any, traced: Any) -> None:
    """Refuse a dual number meeting a traced value when the traced value's differentiation
    runs inside the dual number's (or the dual number was made by hand): treating the traced
    value as a constant of the dual number would hide its tangent from the gradient."""
    if not isinstance(d, Dual):
        return
    if d.level == 0:
        raise UnsupportedTypeError(
            f"a dual number made outside the differentiated function ({d!r}, made with "
            "vjpchain.Dual) met a traced value inside it; its tangent would not reach the "
            "gradient, which would silently miss it. Pass it to the function as an input "
            "(vjpchain.grad(lambda x, d: d * x, 3.0, Dual(2.0, 1.0), argnums=0)), or let "
            "vjpchain.jvp or vjpchain.derivative make the dual numbers")
    _check_not_captured(traced, d.level)
    # the level the traced value's differentiation drew as it started (Tape.level): a dual
    # number of a lower one belongs to an enclosing forward-mode differentiation
    opened = getattr(getattr(traced, "tape", None), "level", None)
    if opened is not None and d.level < opened:
        raise UnsupportedTypeError(
            "a dual number of an enclosing forward-mode differentiation (jvp, derivative) "
            "met a value traced by a reverse-mode one (grad, vjp) taken inside it, through a "
            "variable the inner function captured; its tangent would not reach the "
            "gradient. Pass that variable to the inner function as an input "
            "(vjpchain.grad(lambda y, a: a * y * y, y, a, argnums=0)), or use "
            "vjpchain.hvp or vjpchain.hessian for second derivatives")


def _check_not_captured(traced: Any, level: int) -> None:
    """Refuse a traced value holding a dual number of ``level`` or higher: a traced value of
    an enclosing gradient recorded an operation on a dual number of a forward-mode
    differentiation taken inside it, as a constant, so that dual number's tangent is lost."""
    v = traced
    while isinstance(v, Dual) or hasattr(v, "tape"):
        if isinstance(v, Dual) and v.level >= level:
            raise UnsupportedTypeError(
                f"a value traced by a gradient (grad, vjp) recorded an operation on a dual "
                f"number of a forward-mode differentiation (jvp, derivative) taken inside it "
                f"({traced!r}), as a constant, so its tangent would be lost. This happens "
                "when a NumPy ufunc or function is given the traced value before the dual "
                "number (numpy.multiply(x, t)); use the operator (x * t), or pass the dual "
                "number first")
        v = v.value


def _check_traced_operands(args: Any, kwargs: dict[str, Any]) -> None:
    """_check_meets_traced for the operands of a NumPy function (entries of sequences too)."""
    flat: list[Any] = []
    for v in (*args, *kwargs.values()):
        flat.extend(v if isinstance(v, (list, tuple)) else (v,))
    traced = [v for v in flat if not isinstance(v, Dual) and hasattr(v, "tape")]
    if traced:
        duals = [v for v in flat if isinstance(v, Dual)]
        owner = max(duals, key=_level) if duals else None
        for t in traced:
            _check_meets_traced(owner, t)


def tangent_at(out: Any, level: int) -> Any:
    """The tangent of ``out`` for the perturbation of ``level`` (with the output's shape):
    0 if it does not carry it."""
    out = DN.gather(out)
    if isinstance(out, Dual) and out.level == level:
        return DN.full_tangent(out)
    if isinstance(out, (tuple, list)):
        return tuple(tangent_at(v, level) for v in out)
    if hasattr(out, "tape"):
        _check_not_captured(out, level)
    if isinstance(out, Dual) or hasattr(out, "tape"):
        return out * 0
    if G.number_kind(type(out)) is None:
        raise UnsupportedTypeError(
            f"the differentiated function must return a number or array, or a tuple of them "
            f"(got {type(out).__name__} {out!r}); return the values to differentiate")
    return out * 0


def dual_jvp(f: Callable[..., Any], xs: Sequence[Any], x_dots: Sequence[Any], *,
             rules: Registry | None = None) -> tuple[Any, Any]:
    """``(f(*xs), directional derivative along x_dots)`` by forward mode."""
    if len(xs) != len(x_dots):
        raise ValueError(f"jvp needs one tangent per input: got {len(xs)} inputs and "
                         f"{len(x_dots)} tangents")
    level = new_level()
    out = f(*(Dual(x, t, rules, level) for x, t in zip(xs, x_dots, strict=True)))
    return _value_at(out, level), tangent_at(out, level)


def _value_at(out: Any, level: int) -> Any:
    """The value of ``out`` for the perturbation of ``level`` (entry by entry in a tuple)."""
    out = DN.gather(out)
    if isinstance(out, Dual) and out.level == level:
        return out.value
    if isinstance(out, (tuple, list)):
        return tuple(_value_at(v, level) for v in out)
    return out


def _domain_error(rule: Rule, inputs: tuple[Any, ...], exc: BaseException) -> Exception:
    """A primitive failing on a dual number's value: the same PrimitiveDomainError as in
    chains and traced functions (the library's own errors pass as they are)."""
    if isinstance(exc, VjpchainError):
        return exc
    shown = ", ".join(repr(v) for v in inputs)
    return PrimitiveDomainError(
        f"{rule.name} failed in forward mode at {shown}: {exc}. Check that the values "
        "reaching it lie in its domain (vjpchain.rules_table() lists the domains)")
