"""Reading a chain from text: ``'sin,sin,exp'`` or ``'exp(sin(sin(x)))'``, without eval.

Two forms are accepted. A comma-separated list of primitive names is the chain itself. A
formula in the variable ``x`` uses ``x`` once, inside nested calls of registered primitives,
numbers, ``pi``, ``e``, parentheses, unary ``-`` and ``+ - * / **`` with a constant on one
side; each operator with a constant becomes a one-input step (``shift``, ``scale``,
``power``, ...), and constant subexpressions are folded. The parser is a tokenizer plus a
recursive descent whose depth is bounded by :data:`MAX_NESTING`.
"""

from __future__ import annotations

import difflib
import math
import re
import sys
from dataclasses import dataclass
from typing import Any, NamedTuple

from .errors import VjpchainError
from .rules import Registry, default_registry, power, scale, shift

__all__ = ["ExprError", "parse_chain", "parse_constant", "MAX_NESTING"]

MAX_NESTING = 100
"""The deepest nesting of parentheses, calls, unary signs and ``**`` exponents accepted."""

ALLOWED = (
    "An expression is a comma-separated chain of primitive names ('sin,sin,exp') or a "
    "formula that uses x once ('exp(sin(sin(x)))', '2*sin(x)**3 + 1'): registered "
    "primitives called on one argument, numbers (2, 0.5, 1e-3), pi, e, parentheses, "
    "unary -, and + - * / ** with a constant on one side."
)
TRACED = (
    "Expressions that use x more than once come with traced functions; write it as a chain "
    "of one-input steps."
)
_CONSTANTS = {"pi": math.pi, "e": math.e}
_VARIABLE = "x"
_EXCERPT = 72  # characters of the text shown around an error


class ExprError(VjpchainError, ValueError):
    """Text that does not describe a chain; the message shows where, with a caret.

    Attributes:
        text: the text that was parsed.
        position: the 0-based index of the offending character (None: the whole text).
        reason: the problem alone, without the excerpt and the advice.
    """

    def __init__(self, reason: str, text: str, position: int | None, advice: str = "") -> None:
        self.text = text
        self.position = position
        self.reason = reason
        super().__init__(_format(reason, text, position, advice))


def _format(reason: str, text: str, position: int | None, advice: str) -> str:
    shown = "".join(ch if ch.isprintable() else " " for ch in text)
    if position is None:
        head = f"cannot read {text!r}: {reason}"
        return f"{head}. {advice}".rstrip() if advice else head
    start = 0
    if len(shown) > _EXCERPT:
        start = max(0, min(position - _EXCERPT // 2, len(shown) - _EXCERPT))
    prefix = "..." if start > 0 else ""
    suffix = "..." if start + _EXCERPT < len(shown) else ""
    line = prefix + shown[start:start + _EXCERPT] + suffix
    caret = " " * (len(prefix) + position - start) + "^"
    message = f"at column {position + 1}: {reason}\n    {line}\n    {caret}"
    return f"{message}\n{advice}" if advice else message


# --- tokens --------------------------------------------------------------------------------


class _Token(NamedTuple):
    kind: str  # "num", "name", "op", "(", ")", ",", "end"
    text: str
    pos: int


_NUMBER = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_SPACE = " \t\n\r"
_HINTS = {
    "^": "use ** for powers (x**2, not x^2)",
    "[": "use parentheses ( ) for grouping",
    "]": "use parentheses ( ) for grouping",
    "{": "use parentheses ( ) for grouping",
    "}": "use parentheses ( ) for grouping",
    "=": "give an expression, not an equation or assignment",
    ";": "separate chain steps with commas",
}


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _SPACE:
            i += 1
            continue
        m = _NUMBER.match(text, i) if ch in "0123456789." else None
        if m is not None:
            tokens.append(_Token("num", m.group(), i))
            i = m.end()
            continue
        m = _NAME.match(text, i)
        if m is not None:
            tokens.append(_Token("name", m.group(), i))
            i = m.end()
            continue
        if text.startswith("**", i):
            tokens.append(_Token("op", "**", i))
            i += 2
            continue
        if ch in "+-*/":
            tokens.append(_Token("op", ch, i))
        elif ch in "(),":
            tokens.append(_Token(ch, ch, i))
        else:
            hint = _HINTS.get(ch, ALLOWED)
            raise ExprError(f"unexpected character {ch!r}", text, i, hint[0].upper() + hint[1:])
        i += 1
    tokens.append(_Token("end", "", n))
    return tokens


# --- values: a constant, or a chain applied to x ---------------------------------------------


@dataclass
class _Const:
    value: int | float


@dataclass
class _Chain:
    steps: list[Any]


_Value = _Const | _Chain


def _names(registry: Registry) -> dict[str, Any]:
    """Every string key of the registry, mapped to the chain element that stands for it."""
    names: dict[str, Any] = {}
    for rule in registry.rules():
        element: Any = None
        primal = rule.primal
        if primal is not None:
            try:
                if registry.lookup(primal) is rule:
                    element = primal
            except (LookupError, TypeError):
                element = None
        for key in rule.keys:
            if isinstance(key, str):
                names[key] = element if element is not None else key
    return names


class _Parser:
    """Recursive descent: sum := term (+|- term)*; term := unary (*|/ unary)*;
    unary := (-|+) unary | atom [** unary]; atom := number | name | name(sum) | (sum)."""

    def __init__(self, text: str, registry: Registry) -> None:
        self.text = text
        self.registry = registry
        self.names = _names(registry)
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0

    # helpers
    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def advance(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def error(self, reason: str, pos: int | None, advice: str = ALLOWED) -> ExprError:
        return ExprError(reason, self.text, pos, advice)

    def unknown(self, tok: _Token) -> ExprError:
        known = sorted(self.names)
        close = difflib.get_close_matches(tok.text.lower(), known, n=4, cutoff=0.5)
        rest = [k for k in known if k not in close]
        advice = f"Did you mean {', '.join(close)}? " if close else ""
        advice += (f"Registered primitives: {', '.join(rest if close else known)}; also x "
                   "(the variable), pi and e. Register a new one with vjpchain.scalar_rule "
                   "and pass rules=...")
        return self.error(f"unknown name {tok.text!r}", tok.pos, advice)

    def element(self, tok: _Token) -> Any:
        try:
            return self.names[tok.text]
        except KeyError:
            raise self.unknown(tok) from None

    def builtin(self, name: str, tok: _Token) -> Any:
        """A primitive this parser emits itself (neg, reciprocal, exp, exp2)."""
        if name not in self.names:
            raise self.error(f"{tok.text!r} needs the primitive {name!r}, which the registry "
                             "in use does not have", tok.pos, "Register it or use "
                             "vjpchain.default_registry")
        return self.names[name]

    def const(self, value: Any, tok: _Token, what: str) -> _Const:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(f"{what} is not a real number (got {value!r})", tok.pos,
                             "Constants must be real and finite")
        if isinstance(value, int):
            if abs(value) > sys.float_info.max:
                raise self.error(f"{what} overflows float64", tok.pos,
                                 "Constants must be finite float64 numbers")
            return _Const(value)
        value = float(value)
        if not math.isfinite(value):
            raise self.error(f"{what} is {value!r}, not a finite number", tok.pos,
                             "Constants must be finite float64 numbers")
        return _Const(value)

    # grammar
    def parse(self) -> list[Any]:
        kinds = [t.kind for t in self.tokens]
        if kinds == ["end"]:
            raise self.error("the expression is empty", None, ALLOWED)
        depth = 0
        for t in self.tokens:
            depth += (t.kind == "(") - (t.kind == ")")
            if t.kind == "," and depth == 0:
                return self.parse_list()
        if kinds == ["name", "end"] and self.tokens[0].text not in (_VARIABLE, *_CONSTANTS):
            return self.parse_list()
        value = self.sum()
        if self.tok.kind != "end":
            raise self.trailing()
        if isinstance(value, _Const):
            raise self.error("the expression does not use x", None,
                             "A chain is a function of x: write e.g. 'sin(x)'")
        return value.steps

    def parse_list(self) -> list[Any]:
        chain: list[Any] = []
        pieces: list[list[_Token]] = [[]]
        commas: list[_Token] = []
        for t in self.tokens[:-1]:
            if t.kind == ",":
                pieces.append([])
                commas.append(t)
            else:
                pieces[-1].append(t)
        advice = ("In a comma-separated chain each step is one primitive name ('sin,sin,exp');"
                  " for a formula in x write 'exp(sin(sin(x)))' without commas")
        for k, piece in enumerate(pieces):
            if not piece:
                pos = commas[k].pos if k < len(commas) else commas[-1].pos
                raise self.error("a step of the chain is empty", pos, advice)
            first = piece[0]
            if len(piece) > 1 or first.kind != "name":
                raise self.error(f"expected a primitive name, got {first.text!r}", first.pos,
                                 advice)
            if first.text == _VARIABLE or first.text in _CONSTANTS:
                raise self.error(f"{first.text!r} is not a primitive", first.pos, advice)
            chain.append(self.element(first))
        return chain

    def trailing(self) -> ExprError:
        tok = self.tok
        if tok.kind == ")":
            return self.error("unmatched ')'", tok.pos, "Remove it or add the matching '('")
        if tok.kind in ("num", "name", "("):
            return self.error(f"expected an operator before {tok.text!r}", tok.pos,
                              "Write multiplication explicitly: 2*x, not 2x or 2 x")
        return self.error(f"unexpected {tok.text!r}", tok.pos)

    def sum(self) -> _Value:
        left = self.term()
        while self.tok.kind == "op" and self.tok.text in "+-":
            op = self.advance()
            left = self.binary(op, left, self.term())
        return left

    def term(self) -> _Value:
        left = self.unary()
        while self.tok.kind == "op" and self.tok.text in ("*", "/"):
            op = self.advance()
            left = self.binary(op, left, self.unary())
        return left

    def unary(self) -> _Value:
        tok = self.tok
        if self.depth >= MAX_NESTING:
            raise self.error(f"the expression nests deeper than {MAX_NESTING} levels",
                             tok.pos, "Count parentheses, calls, unary signs and ** "
                             "exponents; simplify, or write a comma-separated chain")
        self.depth += 1
        try:
            if tok.kind == "op" and tok.text in "+-":
                self.advance()
                operand = self.unary()
                if tok.text == "+":
                    return operand
                if isinstance(operand, _Const):
                    return _Const(-operand.value)
                return _Chain([*operand.steps, self.builtin("neg", tok)])
            base = self.atom()
            if self.tok.kind == "op" and self.tok.text == "**":
                op = self.advance()
                return self.binary(op, base, self.unary())
            return base
        finally:
            self.depth -= 1

    def atom(self) -> _Value:
        tok = self.tok
        if tok.kind == "num":
            self.advance()
            return self.number(tok)
        if tok.kind == "(":
            self.advance()
            inner = self.sum()
            self.close(tok)
            return inner
        if tok.kind == "name":
            self.advance()
            called = self.tok.kind == "("
            if tok.text == _VARIABLE or tok.text in _CONSTANTS:
                if called:
                    raise self.error(f"{tok.text!r} is not a function", tok.pos,
                                     "Write multiplication explicitly: x*(...)")
                if tok.text == _VARIABLE:
                    return _Chain([])
                return _Const(_CONSTANTS[tok.text])
            element = self.element(tok)
            if not called:
                raise self.error(f"{tok.text!r} is a primitive: call it on an argument",
                                 tok.pos, f"Write {tok.text}(x), or a chain 'sin,{tok.text}'")
            paren = self.advance()
            argument = self.sum()
            self.close(paren, f"{tok.text}(...) takes one argument")
            return self.call(tok, element, argument)
        if tok.kind == "end":
            raise self.error("the expression ends too early", tok.pos,
                             "Complete it with a number, x, a call or a parenthesis")
        raise self.error(f"expected a number, x, a call or '(' but got {tok.text!r}", tok.pos)

    def close(self, opening: _Token, comma: str = "") -> None:
        tok = self.tok
        if tok.kind == ")":
            self.advance()
            return
        if tok.kind == "," and comma:
            raise self.error(comma, tok.pos, "Primitives take a single input x")
        if tok.kind == "end":
            raise self.error("'(' is never closed", opening.pos, "Add the matching ')'")
        raise self.trailing()

    def number(self, tok: _Token) -> _Const:
        try:
            value: int | float = (float(tok.text) if any(c in tok.text for c in ".eE")
                                  else int(tok.text))
        except ValueError:
            raise self.error(f"the number {tok.text[:20]!r}... has too many digits", tok.pos,
                             "Write it with an exponent, e.g. 1e300") from None
        return self.const(value, tok, f"the number {tok.text!r}")

    def call(self, tok: _Token, element: Any, argument: _Value) -> _Value:
        if isinstance(argument, _Chain):
            return _Chain([*argument.steps, element])
        rule = self.registry.lookup(element)
        x = float(argument.value)
        try:
            y = rule.primal(x) if rule.primal is not None else rule.vjp(x)[0]
        except Exception as exc:  # user-registered primals may raise anything
            raise self.error(f"{tok.text}({x!r}) cannot be computed ({exc})", tok.pos,
                             "Check the argument lies in the primitive's domain "
                             "(vjpchain.rules_table() lists the domains)") from exc
        return self.const(y, tok, f"{tok.text}({x!r})")

    def binary(self, op: _Token, left: _Value, right: _Value) -> _Value:
        sym = op.text
        if isinstance(left, _Const) and isinstance(right, _Const):
            return self.fold(op, left.value, right.value)
        if isinstance(left, _Chain) and isinstance(right, _Chain):
            raise self.error(f"both sides of {sym} depend on x", op.pos, TRACED)
        # parameters are float64, as the chain computes: shift(1) and shift(1.0) are equal
        # primitives, and a registry names a parametric rule after the first one it sees
        if isinstance(left, _Chain):
            chain, c = left.steps, float(right.value)  # type: ignore[union-attr]
            if sym == "+":
                return _Chain([*chain, shift(c)])
            if sym == "-":
                return _Chain([*chain, shift(self.fold(op, 0, c, "-").value)])
            if sym == "*":
                return _Chain([*chain, scale(c)])
            if sym == "/":
                if c == 0:
                    raise self.error("division by zero", op.pos, "Divide by a nonzero constant")
                return _Chain([*chain, scale(self.fold(op, 1, c).value)])
            return _Chain([*chain, power(c)])
        chain, c = right.steps, float(left.value)  # type: ignore[union-attr]
        if sym == "+":
            return _Chain([*chain, shift(c)])
        if sym == "-":
            return _Chain([*chain, self.builtin("neg", op), shift(c)])
        if sym == "*":
            return _Chain([*chain, scale(c)])
        if sym == "/":
            return _Chain([*chain, self.builtin("reciprocal", op), scale(c)])
        if c <= 0:
            raise self.error(f"{c!r}**x needs a positive base", op.pos,
                             "c**x is exp(x*log(c)), defined for c > 0")
        if c == math.e:
            return _Chain([*chain, self.builtin("exp", op)])
        if c == 2 and "exp2" in self.names:
            return _Chain([*chain, self.names["exp2"]])
        return _Chain([*chain, scale(math.log(c)), self.builtin("exp", op)])

    def fold(self, op: _Token, a: int | float, b: int | float, sym: str = "") -> _Const:
        sym = sym or op.text
        try:
            if sym == "+":
                value: int | float = a + b
            elif sym == "-":
                value = a - b
            elif sym == "*":
                value = a * b
            elif sym == "/":
                value = a / b
            elif (isinstance(a, int) and isinstance(b, int) and b >= 0
                  and abs(a).bit_length() * b <= 2100):
                value = a ** b
            else:
                value = math.pow(a, b)
        except (ArithmeticError, ValueError) as exc:
            raise self.error(f"{a!r} {sym} {b!r} cannot be computed ({exc})", op.pos,
                             "Constants must be finite real numbers") from None
        return self.const(value, op, f"{a!r} {sym} {b!r}")


def parse_chain(text: str, *, rules: Registry | None = None) -> list[Any]:
    """The chain of primitives that ``text`` describes, for :func:`vjpchain.val_and_grad`.

    ``'sin,sin,exp'`` lists the steps; ``'exp(sin(sin(x)))'`` composes them. Operators with a
    constant side become parametric steps: ``c + f`` shift(c), ``c * f`` scale(c), ``f / c``
    scale(1/c), ``f ** c`` power(c), ``-f`` neg, ``c - f`` [neg, shift(c)], ``c / f``
    [reciprocal, scale(c)], ``c ** f`` [scale(log c), exp] (``e ** f`` is exp, ``2 ** f``
    exp2). Nothing is evaluated with ``eval``.

    Args:
        text: the expression.
        rules: the registry whose names may be used (default: ``vjpchain.default_registry``).

    Returns:
        The chain, a list of primitives (registry keys and parametric primitives).

    Raises:
        ExprError: the text is not such an expression; the message points at the column.

    Example:
        >>> from vjpchain import val_and_grad
        >>> parse_chain('2*sin(x)**3 + 1')
        [vjpchain.sin, power(3.0), scale(2.0), shift(1.0)]
        >>> val_and_grad(parse_chain('sin,sin,exp'), 2.0)
        (2.2013533791690376, -0.562752038662712)
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_chain needs a str (got {type(text).__name__})")
    return _Parser(text, rules or default_registry).parse()


def parse_constant(text: str, *, rules: Registry | None = None) -> float:
    """The value of a constant expression such as ``'pi/4'`` or ``'-1e-3'``, as a float.

    Raises:
        ExprError: the text is not a constant expression.

    Example:
        >>> parse_constant('pi/4') == __import__('math').pi / 4
        True
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_constant needs a str (got {type(text).__name__})")
    parser = _Parser(text, rules or default_registry)
    if parser.tokens[0].kind == "end":
        raise parser.error("the expression is empty", None, "Give a number such as 2.5")
    value = parser.sum()
    if parser.tok.kind != "end":
        raise parser.trailing()
    if isinstance(value, _Chain):
        raise parser.error("a point must be a constant, not a function of x", None,
                           "Give a number such as 2.5 or pi/4")
    return float(value.value)
