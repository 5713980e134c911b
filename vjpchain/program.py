"""Running a formula: the flat postfix program that :func:`vjpchain.expr.parse_function`
compiles a formula into, evaluated by one loop over its instructions (no recursion, no eval),
on every number type vjpchain differentiates."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import generic as G
from .binary import pow as generic_pow
from .errors import PrimitiveDomainError, UnknownPrimitiveError, VjpchainError
from .step import advance

__all__ = ["ParsedFunction", "program", "unary_function", "binary_function", "OPERATORS",
           "VAR", "CONSTANT", "UNARY", "BINARY", "shown"]

# the instructions of a postfix program: (opcode, payload, where it was written)
VAR, CONSTANT, UNARY, BINARY = range(4)


def pow_(a: Any, b: Any) -> Any:
    """a ** b; on two real floats math.pow, with inf on overflow (as the chain's power)."""
    if G.number_kind(type(a)) == G.REAL and G.number_kind(type(b)) == G.REAL:
        return generic_pow(a, b)
    return a ** b


OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "**": pow_,
}


def unary_function(element: Any, rule: Any) -> Callable[[Any], Any]:
    """The callable for a registered one-input primitive: a generic function as it is (it
    picks the arithmetic by type); any other primal, with traced and dual values routed to
    their own registry's rule."""
    if isinstance(element, G.Generic):
        return element  # type: ignore[no-any-return]

    def call(x: Any) -> Any:
        apply = getattr(type(x), "__vjpchain_apply__", None)
        if apply is not None:
            try:
                return apply(element, x)
            except AttributeError:  # the differentiation's registry has no rule for it
                raise UnknownPrimitiveError(
                    f"no rule for {rule.name!r} in the registry of this differentiation; "
                    "pass the same rules=... to the transform as to parse_function") from None
        return advance(rule, x)

    return call


def binary_function(element: Any, rule: Any) -> Callable[[Any, Any], Any]:
    if isinstance(element, G.Generic2):
        return element  # type: ignore[no-any-return]

    def call(a: Any, b: Any) -> Any:
        for v in (a, b):
            apply = getattr(type(v), "__vjpchain_apply2__", None)
            if apply is not None:
                return apply(element, a, b)
        return rule.primal(a, b)

    return call


def shown(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def program(code: list[tuple[int, Any, str]], names: tuple[str, ...],
             text: str) -> Callable[..., Any]:
    n = len(names)
    program = tuple(code)

    def fn(*args: Any) -> Any:
        if len(args) != n:
            raise TypeError(f"{text!r} is a function of {n} variable{'s' * (n != 1)} "
                            f"({', '.join(names)}), called with {len(args)} value"
                            f"{'s' * (len(args) != 1)}")
        stack: list[Any] = []
        push = stack.append
        for opcode, payload, where in program:
            if opcode == VAR:
                push(args[payload])
            elif opcode == CONSTANT:
                push(payload)
            elif opcode == UNARY:
                x = stack[-1]
                try:
                    stack[-1] = payload(x)
                except PrimitiveDomainError as exc:  # raised by a rule: say where, too
                    raise PrimitiveDomainError(f"{where} of {text!r}: {exc}") from exc
                except VjpchainError:
                    raise
                except (ValueError, ArithmeticError) as exc:
                    raise domain_error(where, (x,), exc, text) from exc
            else:
                b = stack.pop()
                a = stack[-1]
                try:
                    stack[-1] = payload(a, b)
                except PrimitiveDomainError as exc:  # raised by a rule: say where, too
                    raise PrimitiveDomainError(f"{where} of {text!r}: {exc}") from exc
                except VjpchainError:
                    raise
                except (ValueError, ArithmeticError) as exc:
                    raise domain_error(where, (a, b), exc, text) from exc
        return stack[-1]

    fn.__name__ = fn.__qualname__ = "parsed_function"
    fn.__doc__ = f"{text} as a function of ({', '.join(names)})."
    return fn


def domain_error(where: str, inputs: tuple[Any, ...], exc: BaseException,
                  text: str) -> PrimitiveDomainError:
    return PrimitiveDomainError(
        f"{where} of {text!r} failed on {', '.join(shown(v) for v in inputs)} ({exc}). "
        "Check that the values reaching it lie in its domain (vjpchain.rules_table() lists "
        "the domains)")


@dataclass(frozen=True)
class ParsedFunction:
    """A formula read by :func:`parse_function`.

    Attributes:
        names: the variables, in the order of their first appearance in the text; ``fn``
            takes one value per name, in this order.
        fn: the function. It runs on floats, mpmath numbers, NumPy arrays and vjpchain's
            traced and dual values, through vjpchain's generic functions and the Python
            operators, so every transform differentiates it.
        text: the text it was read from.
    """

    names: tuple[str, ...]
    fn: Callable[..., Any] = field(repr=False, compare=False)
    text: str

    def __call__(self, *args: Any) -> Any:
        return self.fn(*args)
