"""Dual numbers: forward mode on any Python function, with rules from the same registry.

``Dual(value, tangent)`` carries a value and its derivative along one direction. Every
primitive applied to it (operators, vjpchain's generic functions, NumPy ufuncs) computes its
output with the rule's primal and the tangent with the rule's derivative, so a primitive
declared once works here too. Values may themselves be dual numbers: nesting gives higher
derivatives, and dual numbers inside a traced function give Hessian-vector products.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from . import generic as G
from ._boxed import ArithmeticByRules
from .registry import Registry, default_registry, refuse_registered_body
from .rule import Rule
from .step import linearize, linearize2, pull

__all__ = ["Dual", "dual_jvp", "new_level", "tangent_at"]


class Dual(ArithmeticByRules):
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
        y, local = linearize(rule, self.value)
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

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method != "__call__" or kwargs:
            return NotImplemented
        rule = self._lookup(ufunc)
        if len(inputs) == 1:
            return self._apply(rule)
        if len(inputs) == 2 and rule.arity == 2:
            return _binary(rule, inputs[0], inputs[1], self.registry)
        return NotImplemented


def _is_const(v: Any) -> bool:
    return not isinstance(v, Dual) and G.number_kind(type(v)) in (G.REAL, G.COMPLEX, G.MP)


def _value(v: Any) -> Any:
    return v.value if isinstance(v, Dual) else v


def _level(v: Any) -> int:
    return v.level if isinstance(v, Dual) else -1


def _binary(rule: Rule, a: Any, b: Any, registry: Registry | None) -> Any:
    if not isinstance(a, Dual) and G.number_kind(type(a)) is None and not hasattr(a, "tape"):
        return NotImplemented
    if not isinstance(b, Dual) and G.number_kind(type(b)) is None and not hasattr(b, "tape"):
        return NotImplemented
    # the dual number of the highest level is the perturbation differentiated here; one of
    # a lower level is a constant (its own tangent belongs to an enclosing differentiation)
    level = max(_level(a), _level(b))
    outer = a if _level(a) == level else b
    da, db = _level(a) == level, _level(b) == level
    va = a.value if da else a
    vb = b.value if db else b
    bodies = (registry or outer.registry or default_registry).plain_bodies()
    if bodies:
        refuse_registered_body(bodies)
    y, partial_a, partial_b = linearize2(rule, va, vb, da, db)
    tangent: Any = None
    if da:
        tangent = a.tangent * partial_a
    if db:
        t = b.tangent * partial_b
        tangent = t if tangent is None else tangent + t
    return Dual(y, tangent, registry or outer.registry, level)


_levels = itertools.count(1)


def new_level() -> int:
    """A level above every level drawn so far (thread-safe: count's next is atomic)."""
    return next(_levels)


def tangent_at(out: Any, level: int) -> Any:
    """The tangent of ``out`` for the perturbation of ``level``: 0 if it does not carry it."""
    if isinstance(out, Dual) and out.level == level:
        return out.tangent
    if isinstance(out, Dual):
        return out * 0
    return _value(out) * 0


def dual_jvp(f: Callable[..., Any], xs: Sequence[Any], x_dots: Sequence[Any], *,
             rules: Registry | None = None) -> tuple[Any, Any]:
    """``(f(*xs), directional derivative along x_dots)`` by forward mode."""
    if len(xs) != len(x_dots):
        raise ValueError(f"jvp needs one tangent per input: got {len(xs)} inputs and "
                         f"{len(x_dots)} tangents")
    level = new_level()
    out = f(*(Dual(x, t, rules, level) for x, t in zip(xs, x_dots, strict=True)))
    if isinstance(out, Dual) and out.level == level:
        return out.value, out.tangent
    return out, tangent_at(out, level)
