"""Closed-form derivatives of chains, built from the primitives' own declarations."""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Iterable
from typing import Any

from .chain import as_chain
from .registry import Registry, registry_of

__all__ = ["derivative_expression", "primal_expression", "sympy_derivative", "MAX_TEXT",
           "MAX_SYMPY_STEPS"]

MAX_TEXT = 1_000_000
"""Characters of a closed-form expression, at most."""

MAX_SYMPY_STEPS = 100
"""Steps of a chain :func:`sympy_derivative` takes, at most: sympy prints, substitutes and
evaluates recursively, one level of Python recursion (several frames) per level of nesting,
so a deeper expression would fail with a RecursionError wherever it is used."""

_MAX_CONSTANT_BITS = 4096  # a constant in a formula: 2**4096 (1234 digits) at most

_X = re.compile(r"\bx\b")
_ATOM = re.compile(r"^(x|[A-Za-z_][A-Za-z_0-9]*\(.*\)|[0-9.]+)$")


def _is_atom(text: str) -> bool:
    """Whether ``text`` needs no parentheses as an operand: x, a number, or one call."""
    if not _ATOM.match(text):
        return False
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and ch == ")" and i != len(text) - 1:
            return False  # f(x) + g(x) is not one call
    return True


def _too_large(i: int, why: str) -> ValueError:
    return ValueError(
        f"the closed form grows past {MAX_TEXT} characters at chain[{i}] ({why}); use vjp "
        "or val_and_grad for values, or a shorter chain")


class _Nested:
    """An expression in x built by substituting it into one template after another.

    A template that uses x once adds text on the left and on the right of what it wraps,
    so those pieces are kept in two lists and joined once: each step costs the length of
    its own template, not of the whole expression (building a chain's expression is linear
    in its length). A template that uses x several times copies the expression; each such
    step at least doubles the text, so few happen before :data:`MAX_TEXT`.
    """

    def __init__(self) -> None:
        self.left: list[str] = []  # innermost first
        self.right: list[str] = []
        self.core = "x"
        self.size = 1
        self.atom = True  # whether the expression needs no parentheses as an operand
        self._text: str | None = "x"

    def text(self) -> str:
        if self._text is None:
            self._text = "".join(reversed(self.left)) + self.core + "".join(self.right)
        return self._text

    def size_in(self, template: str) -> int:
        """The length of ``template`` with this expression substituted, without building it."""
        n = len(_X.findall(template))
        return len(template) + n * (self.size + (0 if self.atom else 2) - 1)

    def substitute(self, template: str) -> str:
        """``template`` with x replaced by this expression (parenthesized where needed)."""
        if not _X.search(template):
            return template
        inner = self.text()
        wrapped = inner if self.atom else f"({inner})"
        out = []
        last = 0
        for m in _X.finditer(template):
            start, end = m.start(), m.end()
            alone = template[start - 1:start] == "(" and template[end:end + 1] == ")"
            out.append(template[last:m.start()])
            out.append(inner if alone else wrapped)  # a whole call argument: no parentheses
            last = m.end()
        out.append(template[last:])
        return "".join(out)

    def wrap(self, template: str) -> None:
        """Become ``template`` with x replaced by this expression."""
        matches = list(_X.finditer(template))
        atom = self.atom if template == "x" else _is_atom(template)
        if len(matches) == 1:
            m = matches[0]
            before, after = template[:m.start()], template[m.end():]
            if not self.atom and not (before.endswith("(") and after.startswith(")")):
                before, after = before + "(", ")" + after
            self.left.append(before)
            self.right.append(after)
            self.size += len(before) + len(after)
            self._text = None
        else:
            self.core = self.substitute(template)
            self.left, self.right = [], []
            self.size = len(self.core)
            self._text = self.core
        self.atom = atom


def _factor(text: str) -> str:
    return text if _is_atom(text) or re.fullmatch(r"[^+\- ]+", text) else f"({text})"


def primal_expression(chain: Iterable[Any], *, rules: Registry | None = None) -> str:
    """The chain as one expression in x: ``[sin, sin, exp]`` -> ``exp(sin(sin(x)))``.

    Built in time linear in the length of the chain.

    Example:
        >>> from math import sin, exp
        >>> primal_expression([sin, sin, exp])
        'exp(sin(sin(x)))'

    Raises:
        UnknownPrimitiveError: a step has no rule.
        ValueError: the expression would be longer than :data:`MAX_TEXT` characters.
    """
    chain = as_chain(chain)  # a set has no order: refused
    registry = registry_of(rules)
    expr = _Nested()
    for i, prim in enumerate(chain):
        rule = registry.lookup(prim)
        template = rule.primal_formula or f"{rule.name}(x)"
        if expr.size_in(template) > MAX_TEXT:
            raise _too_large(i, "each step wraps the expression of the steps before it")
        expr.wrap(template)
    return expr.text()


def derivative_expression(chain: Iterable[Any], *, rules: Registry | None = None) -> str:
    """The chain rule written out, outermost factor first.

    Each factor is the primitive's declared derivative at its input; a primitive declared
    without a formula appears as a named placeholder such as ``softsign'(x)``.

    Example:
        >>> from math import sin, exp
        >>> derivative_expression([sin, sin, exp])
        'exp(sin(sin(x))) * cos(sin(x)) * cos(x)'

    Raises:
        UnknownPrimitiveError: a step has no rule.
        ValueError: the expression would be longer than :data:`MAX_TEXT` characters (each
            factor repeats the expression inside it, so the text grows with the square of
            the chain's length).
    """
    chain = as_chain(chain)  # a set has no order: refused
    registry = registry_of(rules)
    factors = []
    expr = _Nested()
    total = 0
    for i, prim in enumerate(chain):
        rule = registry.lookup(prim)
        formula = rule.formula or f"{rule.name}'(x)"
        template = rule.primal_formula or f"{rule.name}(x)"
        if total + expr.size_in(formula) + 3 + expr.size_in(template) > MAX_TEXT:
            # checked before the text is built: bounded work
            raise _too_large(i, "each factor repeats the expression inside it, so the text "
                                "grows with the square of the chain's length")
        factor = expr.substitute(formula)
        if factor != "1":
            factors.append(_factor(factor))
            total += len(factors[-1]) + 3
        expr.wrap(template)
    if not factors:
        return "1"
    return " * ".join(reversed(factors))


def _sympy_namespace(sympy: Any, x: Any, registry: Registry) -> dict[str, Any]:
    """sympy's meaning of every name in the formulas: sympy's own functions, plus the names
    the declarations give (``Rule.sympy``: sigmoid, log1p...)."""
    namespace: dict[str, Any] = {"pi": sympy.pi, "abs": sympy.Abs}
    for rule in registry.rules():
        for name, body in (rule.sympy or {}).items():
            namespace[name] = sympy.Lambda(x, body(sympy, x))
    return namespace


def sympy_derivative(chain: Iterable[Any], *, rules: Registry | None = None) -> Any:
    """The derivative as a sympy expression in the symbol ``x`` (needs the optional sympy).

    Built step by step from each declaration's formulas (read as expression trees, never
    evaluated as Python), substituting sympy expressions rather than text.

    Example:
        >>> from math import sin, exp
        >>> sympy_derivative([sin, sin, exp])
        exp(sin(sin(x)))*cos(x)*cos(sin(x))

    Raises:
        ImportError: sympy is not installed (``pip install 'vjpchain[symbolic]'``).
        UnknownPrimitiveError: a step has no rule.
        ValueError: a primitive has no formula, so no closed form exists here; a formula
            is not an expression in x or holds a constant over 2**4096; or the chain has
            more than :data:`MAX_SYMPY_STEPS` steps (sympy recurses once per level of
            nesting: use :func:`derivative_expression` for the text, or ``vjp`` for values).
    """
    chain = as_chain(chain)  # a set has no order: refused
    try:
        import sympy
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "sympy_derivative needs sympy: pip install 'vjpchain[symbolic]'"
        ) from exc
    registry = registry_of(rules)
    steps = list(chain)
    if len(steps) > MAX_SYMPY_STEPS:
        raise ValueError(
            f"sympy_derivative takes chains of at most {MAX_SYMPY_STEPS} steps (got "
            f"{len(steps)}): sympy prints, substitutes and evaluates recursively, one level "
            "of Python recursion per level of nesting, so a deeper expression fails with a "
            "RecursionError wherever it is used. Use derivative_expression for the text, or "
            "vjp / val_and_grad for values")
    rules_of = [registry.lookup(prim) for prim in steps]
    missing = [r.name for r in rules_of if not r.formula]
    if missing:
        raise ValueError(f"no closed form: {', '.join(dict.fromkeys(missing))} "
                         f"{'has' if len(missing) == 1 else 'have'} no declared formula")
    x = sympy.Symbol("x", real=True)
    namespace = _sympy_namespace(sympy, x, registry)
    inner = x
    factors = []
    for i, rule in enumerate(rules_of):
        if i:  # the input of this step: the previous step's primal at its input
            previous = rules_of[i - 1]
            inner = _to_sympy(previous.primal_formula or f"{previous.name}(x)", sympy,
                              namespace, inner)
        factors.append(_to_sympy(rule.formula, sympy, namespace, inner))
    return sympy.Mul(*reversed(factors))


def _to_sympy(text: str, sympy: Any, namespace: dict[str, Any], x: Any) -> Any:
    """The sympy expression of a formula with the sympy expression ``x`` for x, built node
    by node from its syntax tree: numbers, names, + - * / **, and calls of known functions.
    Nothing is evaluated as Python (a ``formula=`` string is data, not code; sympy.sympify
    would eval it), and no constant grows past 2**4096."""
    shown = repr(text) if len(text) <= 80 else repr(text[:77]) + "..."
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"the formula {shown} is not an expression in x: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError) as exc:  # e.g. a 5000-digit literal
        raise ValueError(f"the formula {shown} cannot be read: {str(exc)[:120]}") from None
    operators = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
                 ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
                 ast.Pow: lambda a, b: a ** b}

    def too_big(what: str) -> ValueError:
        return ValueError(f"the formula {shown} holds the constant {what}, over 2**"
                          f"{_MAX_CONSTANT_BITS} in magnitude (sympy would compute every "
                          "digit of it): keep the formula's constants below that")

    def bits(value: Any) -> float:
        """log2 of a sympy number's magnitude, without building it as a decimal string."""
        if value.is_Integer or value.is_Rational:
            return float(max(abs(int(value.p)).bit_length(), abs(int(value.q)).bit_length()))
        try:
            magnitude = abs(float(value))
        except (TypeError, ValueError, OverflowError):
            return math.inf
        return math.log2(magnitude) if magnitude > 1 else 0.0

    def build(node: ast.AST) -> Any:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            if type(node.value) is int:
                if node.value.bit_length() > _MAX_CONSTANT_BITS:
                    raise too_big(f"of {node.value.bit_length()} bits")
                return sympy.Integer(node.value)
            return sympy.Float(repr(node.value))
        if isinstance(node, ast.Name):
            if node.id == "x":
                return x
            if node.id in namespace:
                return namespace[node.id]
            found = getattr(sympy.functions, node.id, None)  # sympy's functions, no others
            if callable(found):
                return found
            raise ValueError(f"the formula {shown} names {node.id!r}, which is neither x nor "
                             "a function sympy or a declaration knows")
        if isinstance(node, ast.BinOp) and type(node.op) in operators:
            left, right = build(node.left), build(node.right)
            if isinstance(node.op, ast.Pow) and getattr(left, "is_Number", False) and \
                    getattr(right, "is_Number", False):
                # estimate a number's power before sympy computes it: 2**2**2**2**2**2
                # would have 2**65536 bits
                if bits(right) > 64 or abs(float(right)) * bits(left) > _MAX_CONSTANT_BITS:
                    raise too_big(ast.unparse(node))
            out = operators[type(node.op)](left, right)
            if getattr(out, "is_Number", False) and bits(out) > _MAX_CONSTANT_BITS:
                raise too_big(ast.unparse(node))
            return out
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = build(node.operand)
            return -inner if isinstance(node.op, ast.USub) else inner
        if isinstance(node, ast.Call) and not node.keywords:
            return build(node.func)(*(build(a) for a in node.args))
        raise ValueError(f"the formula {shown} holds {ast.dump(node)[:40]}..., which is not "
                         "part of an expression in x (numbers, x, + - * / **, function calls)")

    try:
        return build(tree.body)
    except RecursionError:
        raise ValueError(f"the formula {shown} nests too deeply to build") from None
