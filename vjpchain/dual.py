"""Dual numbers: forward mode on any Python function, with rules from the same registry.

``Dual(value, tangent)`` carries a value and its derivative along one direction. Every
primitive applied to it (operators, vjpchain's generic functions, NumPy ufuncs) computes its
output with the rule's primal and the tangent with the rule's derivative, so a primitive
declared once works here too. Values may themselves be dual numbers: nesting gives higher
derivatives, and dual numbers inside a traced function give Hessian-vector products.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from . import generic as G
from ._boxed import ArithmeticByRules
from .rules import Registry, Rule, default_registry
from .step import linearize, pull

__all__ = ["Dual"]


class Dual(ArithmeticByRules):
    """``value + tangent * eps`` with ``eps**2 = 0``.

    Example:
        >>> from vjpchain import Dual, sin
        >>> sin(Dual(0.0, 1.0))
        Dual(0.0, 1.0)
    """

    __slots__ = ("value", "tangent", "registry")
    __vjpchain_kind__ = "dual"
    __array_priority__ = 1001

    def __init__(self, value: Any, tangent: Any = 0.0, registry: Registry | None = None) -> None:
        self.value = value
        self.tangent = tangent
        self.registry = registry

    def __repr__(self) -> str:
        return f"Dual({self.value!r}, {self.tangent!r})"

    def _rules(self) -> Registry:
        return self.registry or default_registry

    def _apply(self, rule: Rule) -> Dual:
        y, local = linearize(rule, self.value)
        return Dual(y, pull(local, self.tangent), self.registry)

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


def _binary(rule: Rule, a: Any, b: Any, registry: Registry | None) -> Any:
    if not isinstance(a, Dual) and G.number_kind(type(a)) is None and not hasattr(a, "tape"):
        return NotImplemented
    if not isinstance(b, Dual) and G.number_kind(type(b)) is None and not hasattr(b, "tape"):
        return NotImplemented
    va, vb = _value(a), _value(b)
    y = rule.primal(va, vb)  # type: ignore[call-arg, misc]
    tangent: Any = None
    if isinstance(a, Dual):
        tangent = a.tangent * rule.partials[0](va, vb, y)
    if isinstance(b, Dual):
        t = b.tangent * rule.partials[1](va, vb, y)
        tangent = t if tangent is None else tangent + t
    return Dual(y, tangent, registry)


def dual_jvp(f: Callable[..., Any], xs: Sequence[Any], x_dots: Sequence[Any], *,
             rules: Registry | None = None) -> tuple[Any, Any]:
    """``(f(*xs), directional derivative along x_dots)`` by forward mode."""
    if len(xs) != len(x_dots):
        raise ValueError(f"jvp needs one tangent per input: got {len(xs)} inputs and "
                         f"{len(x_dots)} tangents")
    out = f(*(Dual(x, t, rules) for x, t in zip(xs, x_dots, strict=True)))
    if isinstance(out, Dual):
        return out.value, out.tangent
    return out, _value(out) * 0
