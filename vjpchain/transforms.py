"""Transforms over chains: vjp, val_and_grad, grad (reverse mode) and jvp (forward mode).

The primal pass stores one item per step: for a primitive declared by its derivative, the
local derivative itself (a number or an array, which the garbage collector never scans);
for a rule given in full, its pullback closure. The reverse pass multiplies the cotangent
through these in reverse order, in a flat loop: no recursion, any chain length.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import generic as G
from .errors import (
    PrimitiveDomainError,
    RuleOutputError,
    UnknownPrimitiveError,
    UnsupportedInputError,
    UnsupportedTypeError,
    VjpchainError,
)
from .rules import Registry, Rule, default_registry, primitive_name

__all__ = ["vjp", "val_and_grad", "grad", "jvp", "ChainPullback"]


class ChainPullback:
    """The pullback of a whole chain: ``x_bar = pullback(y_bar)``; call it any number of times.

    Attributes:
        length: the number of primitives in the chain.
    """

    __slots__ = ("_steps", "_plain")

    def __init__(self, steps: list[Any], plain: bool) -> None:
        self._steps = steps
        self._plain = plain

    @property
    def length(self) -> int:
        return len(self._steps)

    def __call__(self, y_bar: Any) -> Any:
        x_bar = y_bar
        if self._plain:
            for d in reversed(self._steps):
                x_bar = x_bar * d
        else:
            for d in reversed(self._steps):
                x_bar = d(x_bar) if callable(d) else x_bar * d
        return x_bar

    def __repr__(self) -> str:
        return f"<ChainPullback of {len(self._steps)} steps>"


def _check_input(x: Any) -> Any:
    kind = G.number_kind(type(x))
    if kind is None:
        raise UnsupportedInputError(
            f"cannot differentiate at {x!r}: a chain's input must be an int, float, complex, "
            f"mpmath mpf/mpc or a NumPy array or scalar (got {type(x).__name__}); "
            "convert it explicitly"
        )
    if kind == G.REAL and type(x) is not float:
        return float(x)
    return x


def _fail(exc: BaseException, i: int, prim: Any, x: Any,
          registry: Registry) -> BaseException:
    """Turn an error raised at chain[i] into one that says where and what to do."""
    where = f"chain[{i}] ({primitive_name(prim)}, input {x!r})"
    if isinstance(exc, UnknownPrimitiveError):
        if getattr(prim, "__hash__", None) is None:
            return UnknownPrimitiveError(f"at chain[{i}] (input {x!r}): {exc}")
        return UnknownPrimitiveError(
            registry._unknown_message(prim, f" at chain[{i}] (input {x!r})"))
    if isinstance(exc, UnsupportedTypeError):
        return UnsupportedInputError(
            f"at {where}: {exc}. The value reaching this step has type {type(x).__name__}"
        )
    if isinstance(exc, (ValueError, ArithmeticError)) and not isinstance(exc, VjpchainError):
        return PrimitiveDomainError(
            f"{primitive_name(prim)} failed at {where}: {exc}. Check that the values reaching "
            "this step lie in its domain (vjpchain.rules_table() lists the domains)"
        )
    exc.add_note(f"while evaluating {where}")
    return exc


def _bad_output(rule: Rule, out: Any, i: int, prim: Any, x: Any) -> RuleOutputError:
    return RuleOutputError(
        f"rule {rule.name!r} at chain[{i}] ({primitive_name(prim)}, input {x!r}) must return "
        f"a pair (output, pullback) with a callable pullback, but returned {out!r}. "
        "Return y, pullback where pullback(y_bar) -> x_bar, or declare the rule with "
        "vjpchain.scalar_rule(primitive, derivative)"
    )


def _run(chain: Iterable[Any], x: Any, registry: Registry, steps: list[Any] | None,
         x_dot: Any = None) -> tuple[Any, Any, bool]:
    """The primal pass. With ``steps``, store each step's derivative or pullback (reverse
    mode); without, push the tangent ``x_dot`` through as it goes (forward mode).

    Returns ``(y, y_dot, plain)``; ``plain`` is False once a step stored a closure.
    """
    table = registry._table
    plain = True
    i = -1
    prim: Any = None
    try:
        for i, prim in enumerate(chain):
            rule = table.get(prim) if prim.__hash__ is not None else None
            if rule is None:
                rule = registry.lookup(prim)
            derivative = rule.derivative
            if derivative is not None:
                y = rule.primal(x)  # type: ignore[misc]
                d = derivative(x, y)
                if steps is None:
                    x_dot = x_dot * d
                else:
                    steps.append(d)
            else:
                out = rule.vjp(x)
                if type(out) is not tuple or len(out) != 2 or not callable(out[1]):
                    raise _bad_output(rule, out, i, prim, x)
                y, pullback = out
                if steps is None:
                    x_dot = pullback(x_dot)
                else:
                    steps.append(pullback)
                    plain = False
            x = y
    except RuleOutputError:
        raise
    except Exception as exc:
        if i < 0:
            raise
        err = _fail(exc, i, prim, x, registry)
        if err is exc:
            raise
        raise err from exc
    return x, x_dot, plain


def vjp(chain: Iterable[Any], x: Any, *,
        rules: Registry | None = None) -> tuple[Any, ChainPullback]:
    """Run ``chain`` on ``x`` and return the output with the chain's pullback.

    ``y = f_n(...f_2(f_1(x)))`` and ``pullback(y_bar) = y_bar * f_n'(.) * ... * f_1'(x)``,
    accumulated from the output back to the input.

    Args:
        chain: a sequence of primitives (functions, names or parametric primitives); the
            empty chain is the identity.
        x: the input: int, float, complex, mpmath mpf/mpc, or a NumPy array (elementwise).
        rules: the registry to use (default: ``vjpchain.default_registry``).

    Returns:
        ``(y, pullback)``; ``pullback`` takes a cotangent (a number, or an array of x's shape).

    Raises:
        UnknownPrimitiveError: a primitive has no rule.
        PrimitiveDomainError: a primitive failed on its input (e.g. log of a negative float).
        RuleOutputError: a rule returned something other than ``(y, pullback)``.
        UnsupportedInputError: the input is not a supported number type.

    Example:
        >>> from math import sin, exp
        >>> y, pullback = vjp([sin, sin, exp], 2.0)
        >>> y, pullback(1.0)
        (2.2013533791690376, -0.562752038662712)
    """
    x = _check_input(x)
    steps: list[Any] = []
    y, _, plain = _run(chain, x, rules or default_registry, steps)
    return y, ChainPullback(steps, plain)


def _one_like(x: Any) -> Any:
    kind = G.number_kind(type(x))
    if kind == G.NUMPY:
        import numpy as np

        return np.ones_like(x)
    if kind == G.MP:
        import mpmath

        return mpmath.mpf(1)
    if kind == G.COMPLEX:
        return 1 + 0j
    return 1.0


def val_and_grad(chain: Iterable[Any], x: Any, *,
                 rules: Registry | None = None) -> tuple[Any, Any]:
    """The chain's value and derivative at ``x``, by reverse mode.

    For an array ``x`` both are arrays: the chain applied elementwise and its derivative at
    each point. For complex ``x`` the derivative is the complex derivative f'(z).

    Example:
        >>> from math import sin, exp
        >>> val_and_grad([sin, sin, exp], 2.0)
        (2.2013533791690376, -0.562752038662712)
    """
    y, pullback = vjp(chain, x, rules=rules)
    return y, pullback(_one_like(y))


def grad(chain: Iterable[Any], x: Any, *, rules: Registry | None = None) -> Any:
    """The chain's derivative at ``x`` (see :func:`val_and_grad`).

    Example:
        >>> grad(["sin", "sin", "exp"], 2.0)
        -0.562752038662712
    """
    return val_and_grad(chain, x, rules=rules)[1]


def jvp(chain: Iterable[Any], x: Any, x_dot: Any, *,
        rules: Registry | None = None) -> tuple[Any, Any]:
    """Forward mode: the output and the pushforward ``y_dot = f'(x) * x_dot``.

    Stores nothing: memory does not grow with the chain's length.

    Example:
        >>> from math import sin, exp
        >>> jvp([sin, sin, exp], 2.0, 1.0)
        (2.2013533791690376, -0.562752038662712)
    """
    y, y_dot, _ = _run(chain, _check_input(x), rules or default_registry, None, x_dot)
    return y, y_dot
