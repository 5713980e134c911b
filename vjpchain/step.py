"""One step: the one way to apply a rule to a value, shared by every transform.

A rule applied to a primal ``x`` gives the output ``y`` and a *local*: the local derivative
(a number or an array) for a rule declared by its derivative, or a :class:`Closure` holding
the pullback of a rule given in full. Primitives act elementwise, so their Jacobian is
diagonal and the same local serves the pullback (reverse mode) and the pushforward (forward
mode): :func:`pull`. A derivative value may itself be callable (``mpmath.pi`` is), so the
two are told apart by the tag, never by ``callable``.
"""

from __future__ import annotations

from typing import Any

from . import generic as G
from .errors import CotangentError, RuleOutputError

__all__ = ["Closure", "advance", "by_derivative", "checked_pullback", "linearize", "linearize2",
           "pull", "check_cotangent", "is_value"]


class Closure:
    """The tag of a stored pullback: ``Closure(pullback)``; ``pull`` calls it."""

    __slots__ = ("pullback",)

    def __init__(self, pullback: Any) -> None:
        self.pullback = pullback

    def __repr__(self) -> str:
        return f"Closure({getattr(self.pullback, '__qualname__', self.pullback)!r})"


def checked_pullback(rule: Any, out: Any, where: str = "") -> Any:
    """``(y, pullback)`` from a full rule's output, or RuleOutputError saying what was got."""
    if type(out) is not tuple or len(out) != 2 or not callable(out[1]):
        err = RuleOutputError(
            f"rule {rule.name!r}{where} must return a pair (output, pullback) with a callable "
            f"pullback, but returned {out!r}. Return y, pullback where pullback(y_bar) -> "
            "x_bar, or declare the rule with vjpchain.scalar_rule(primitive, derivative)"
        )
        # what a caller needs to say where, if ``where`` could not: see chain.bad_output
        err.rule_output, err.placed = out, bool(where)  # type: ignore[attr-defined]
        raise err
    return out


def linearize(rule: Any, x: Any) -> tuple[Any, Any]:
    """``(y, local)``: the rule's output at ``x`` and its local derivative (or Closure)."""
    derivative = rule.derivative
    if derivative is not None and rule.primal is not None:
        return by_derivative(rule.name, rule.primal, derivative, x)
    y, pullback = checked_pullback(rule, rule.vjp(x))
    return y, Closure(pullback)


def by_derivative(name: str, primal: Any, derivative: Any, x: Any) -> tuple[Any, Any]:
    """``(y, dy/dx)`` of a primitive declared by its derivative ``(x, y) -> dy/dx``."""
    y = primal(x)
    if not is_value(y):
        raise RuleOutputError(
            f"the primal of {name!r} returned {y!r} (a {type(y).__name__}) at input {x!r}, "
            "not a number or array; a primitive must return one")
    d = derivative(x, y)
    if not is_value(d):
        missing = " (is a return statement missing?)" if d is None else ""
        raise RuleOutputError(
            f"the derivative of {name!r} returned {d!r} at input {x!r}; a derivative "
            f"(x, y) -> dy/dx must return a number or array{missing}")
    return y, d


def is_value(v: Any) -> bool:
    """Whether ``v`` can be a primal or derivative: a number or array of a supported kind,
    or a traced or dual number (never a str, None or a container)."""
    tp = type(v)
    return tp is float or G.number_kind(tp) is not None or hasattr(tp, "__vjpchain_apply__")


def linearize2(rule: Any, a: Any, b: Any, want_a: bool = True,
               want_b: bool = True) -> tuple[Any, Any, Any]:
    """``(y, dy/da, dy/db)`` of a two-input rule at ``(a, b)``; a partial the caller does not
    want (its input is a constant) is None and never evaluated: it may be undefined there
    (``pow``'s partial in the exponent at a negative base)."""
    y = rule.primal(a, b)
    return (y, rule.partials[0](a, b, y) if want_a else None,
            rule.partials[1](a, b, y) if want_b else None)


def advance(rule: Any, x: Any) -> Any:
    """The rule's output at ``x`` alone (no derivative is evaluated where it can be avoided)."""
    if rule.primal is not None:
        return rule.primal(x)
    return checked_pullback(rule, rule.vjp(x))[0]


def pull(local: Any, v: Any) -> Any:
    """``v`` times the local Jacobian: a cotangent pulled back or a tangent pushed forward."""
    if type(local) is Closure:
        return local.pullback(v)
    return v * local


def check_cotangent(y_bar: Any, y: Any, what: str = "cotangent", of: str = "output") -> Any:
    """``y_bar`` if it can be the cotangent of the output ``y``, else CotangentError.

    A cotangent is a number or array (or a traced or dual number, in nested
    differentiation), never a bool or None; an array cotangent has ``y``'s shape exactly
    (no silent broadcasting, as in JAX), while a plain number is accepted for any output
    (it scales every element alike).
    """
    tp = type(y_bar)
    if tp is float:
        return y_bar
    kind = G.number_kind(tp)
    if kind is None and not hasattr(tp, "__vjpchain_apply__"):
        raise CotangentError(
            f"the {what} must be a number or array like the {of} {_describe(y)}, but "
            f"got {y_bar!r} (a {tp.__name__}); pass e.g. 1.0 for the derivative itself")
    dtype = getattr(y_bar, "dtype", None)
    if dtype is not None and getattr(dtype, "kind", "f") not in "iufc":
        raise CotangentError(
            f"the {what} is an array of dtype {dtype}, but it must hold numbers like the "
            f"{of} {_describe(y)}; pass a float array")
    shape = getattr(y_bar, "shape", None)
    if shape is not None and shape != () and shape != getattr(y, "shape", ()):
        raise CotangentError(
            f"the {what} has shape {tuple(shape)} but the {of} is {_describe(y)}; give an "
            f"array of the {of}'s shape {tuple(getattr(y, 'shape', ()))} (or a "
            "number, which scales every element alike)")
    return y_bar


def _describe(y: Any) -> str:
    shape = getattr(y, "shape", None)
    if shape is None or shape == ():
        return f"{type(y).__name__} {y!r}" if shape is None else f"{type(y).__name__} scalar"
    return f"{type(y).__name__} of shape {tuple(shape)}"
