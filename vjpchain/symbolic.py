"""Closed-form derivatives of chains, built from the primitives' own declarations."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .registry import Registry, registry_of

__all__ = ["derivative_expression", "primal_expression", "sympy_derivative"]

_X = re.compile(r"\bx\b")
_ATOM = re.compile(r"^(x|[A-Za-z_][A-Za-z_0-9]*\(.*\)|[0-9.]+)$")


_ALONE = re.compile(r"(?<=\()x(?=\))")


def _substitute(template: str, inner: str) -> str:
    """``template`` with the variable x replaced by ``inner`` (parenthesized when needed)."""
    wrapped = inner if _is_atom(inner) else f"({inner})"
    marker = "\0"
    text = _ALONE.sub(marker, template)  # a whole call argument needs no extra parentheses
    return _X.sub(lambda _: wrapped, text).replace(marker, inner)


def _is_atom(text: str) -> bool:
    if not _ATOM.match(text):
        return False
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and ch == ")" and i != len(text) - 1:
            return False  # f(x) + g(x) is not one call
    return True


def _factor(text: str) -> str:
    return text if _is_atom(text) or re.fullmatch(r"[^+\- ]+", text) else f"({text})"


def primal_expression(chain: Iterable[Any], *, rules: Registry | None = None) -> str:
    """The chain as one expression in x: ``[sin, sin, exp]`` -> ``exp(sin(sin(x)))``."""
    registry = registry_of(rules)
    expr = "x"
    for i, prim in enumerate(chain):
        rule = registry.lookup(prim)
        expr = _substitute(rule.primal_formula or f"{rule.name}(x)", expr)
        _bounded(len(expr), i)
    return expr


MAX_TEXT = 1_000_000  # characters of a closed-form expression, at most


def _bounded(size: int, i: int) -> None:
    if size > MAX_TEXT:
        raise ValueError(
            f"the closed form grows past {MAX_TEXT} characters at chain[{i}] (a chain's "
            "expression nests every earlier step, so its text grows with the square of the "
            "length); use vjp or val_and_grad for values, or a shorter chain")


def derivative_expression(chain: Iterable[Any], *, rules: Registry | None = None) -> str:
    """The chain rule written out, outermost factor first.

    Each factor is the primitive's declared derivative at its input; a primitive declared
    without a formula appears as a named placeholder such as ``softsign'(x)``.

    Example:
        >>> from math import sin, exp
        >>> derivative_expression([sin, sin, exp])
        'exp(sin(sin(x))) * cos(sin(x)) * cos(x)'
    """
    registry = registry_of(rules)
    factors = []
    expr = "x"
    total = 0
    for i, prim in enumerate(chain):
        rule = registry.lookup(prim)
        formula = rule.formula or f"{rule.name}'(x)"
        factor = _substitute(formula, expr)
        if factor != "1":
            factors.append(_factor(factor))
            total += len(factors[-1]) + 3
        expr = _substitute(rule.primal_formula or f"{rule.name}(x)", expr)
        _bounded(total + len(expr), i)
    if not factors:
        return "1"
    return " * ".join(reversed(factors))


def _sympy_namespace(sympy: Any, x: Any, registry: Registry) -> dict[str, Any]:
    """sympy's meaning of every name in the formulas: sympy's own functions, plus the names
    the declarations give (``Rule.sympy``: sigmoid, log1p...)."""
    namespace: dict[str, Any] = {"x": x, "pi": sympy.pi, "abs": sympy.Abs}
    for rule in registry.rules():
        for name, body in (rule.sympy or {}).items():
            namespace[name] = sympy.Lambda(x, body(sympy, x))
    return namespace


def sympy_derivative(chain: Iterable[Any], *, rules: Registry | None = None) -> Any:
    """The derivative as a sympy expression in the symbol ``x`` (needs the optional sympy).

    Raises:
        ImportError: sympy is not installed (``pip install 'vjpchain[symbolic]'``).
        ValueError: a primitive has no formula, so no closed form exists here.
    """
    try:
        import sympy
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "sympy_derivative needs sympy: pip install 'vjpchain[symbolic]'"
        ) from exc
    text = derivative_expression(chain, rules=rules)
    if "'" in text:
        raise ValueError(f"no closed form: a primitive has no declared formula ({text})")
    x = sympy.Symbol("x", real=True)
    return _to_sympy(text, sympy, _sympy_namespace(sympy, x, registry_of(rules)))


def _to_sympy(text: str, sympy: Any, namespace: dict[str, Any]) -> Any:
    """The sympy expression of a formula, built node by node from its syntax tree: numbers,
    names, + - * / **, and calls of known functions. Nothing is evaluated as Python (a
    ``formula=`` string is data, not code; sympy.sympify would eval it)."""
    import ast

    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"the formula {text!r} is not an expression in x: {exc.msg}") from None
    operators = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
                 ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
                 ast.Pow: lambda a, b: a ** b}

    def build(node: ast.AST) -> Any:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return sympy.Rational(node.value) if type(node.value) is int else sympy.Float(
                repr(node.value))
        if isinstance(node, ast.Name):
            if node.id in namespace:
                return namespace[node.id]
            found = getattr(sympy.functions, node.id, None)  # sympy's functions, no others
            if callable(found):
                return found
            raise ValueError(f"the formula {text!r} names {node.id!r}, which is neither x nor "
                             "a function sympy or a declaration knows")
        if isinstance(node, ast.BinOp) and type(node.op) in operators:
            return operators[type(node.op)](build(node.left), build(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = build(node.operand)
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.Call) and not node.keywords:
            return build(node.func)(*(build(a) for a in node.args))
        raise ValueError(f"the formula {text!r} holds {ast.dump(node)[:40]}..., which is not "
                         "part of an expression in x (numbers, x, + - * / **, function calls)")

    return build(tree.body)
