"""Reading expressions from text, without eval: chains and functions of several variables.

:func:`parse_chain` reads a chain. Two forms are accepted. A comma-separated list of
primitive names is the chain itself. A formula in the variable ``x`` uses ``x`` once, inside
nested calls of registered primitives, numbers, ``pi``, ``e``, parentheses, unary ``-`` and
``+ - * / **`` with a constant on one side; each operator with a constant becomes a
one-input step (``shift``, ``scale``, ``power``, ...), and constant subexpressions are folded.

:func:`parse_function` reads a formula in any number of variables (``x*sin(x)``,
``log(x1*x2)/(x1 - x2)**2``, ``atan2(y, x)``) into a Python function that runs on every
number type vjpchain differentiates (floats, mpmath numbers, NumPy arrays, traced and dual
values). :func:`parse_expression` gives a chain where the text describes one, else a function.

Both use one tokenizer and one recursive descent, whose depth is bounded by
:data:`MAX_NESTING`; a function is compiled to a flat postfix program, evaluated by a loop.
"""

from __future__ import annotations

import difflib
import math
import operator
import re
import sys
from dataclasses import dataclass
from typing import Any, NamedTuple

from .errors import VjpchainError
from .families import power, scale, shift
from .program import (
    BINARY,
    CONSTANT,
    OPERATORS,
    UNARY,
    VAR,
    ParsedFunction,
    binary_function,
    program,
    unary_function,
)
from .registry import Registry, registry_of
from .step import advance

__all__ = ["ExprError", "ParsedFunction", "parse_chain", "parse_function", "parse_expression",
           "parse_constant", "MAX_NESTING"]

MAX_NESTING = 100
"""The deepest nesting of parentheses, calls, unary signs and ``**`` exponents accepted."""

ALLOWED = (
    "An expression is a comma-separated chain of primitive names ('sin,sin,exp') or a "
    "formula that uses x once ('exp(sin(sin(x)))', '2*sin(x)**3 + 1'): registered "
    "primitives called on one argument, numbers (2, 0.5, 1e-3), pi, e, parentheses, "
    "unary -, and + - * / ** with a constant on one side."
)
FUNCTION_ALLOWED = (
    "A function is a formula in one or more variables ('x*sin(x)', "
    "'log(x1*x2*(x1 + x2))/(x1 - x2)**2', 'atan2(y, x)'): variables (any name that is not "
    "a primitive), numbers (2, 0.5, 1e-3), pi, e, parentheses, unary -, + - * / **, and "
    "registered primitives called on one argument (two for atan2, hypot, max and min)."
)
TRACED = (
    "Expressions that use x more than once, several variables, or the two-input primitives "
    "(atan2, hypot, max, min) are functions, not chains: read them with "
    "vjpchain.expr.parse_function (vjpchain grad does so itself)."
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


def _tokenize(text: str, allowed: str = ALLOWED) -> list[_Token]:
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
            hint = _HINTS.get(ch, allowed)
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


@dataclass
class _Code:
    """A function of the variables, as a postfix program (see :class:`_FunctionParser`)."""

    code: list[tuple[int, Any, str]]


_Value = _Const | _Chain | _Code


def _then(steps: list[Any], *more: Any) -> _Chain:
    """The chain ``steps`` followed by ``more``: appended in place (each parsed value is
    used once), so reading a formula of n operations takes time linear in n."""
    steps.extend(more)
    return _Chain(steps)


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
    unary := (-|+) unary | atom [** unary];
    atom := number | name | name(sum [, sum]) | (sum).

    This class reads chains; :class:`_FunctionParser` overrides the hooks that build values
    (``is_variable``, ``variable``, ``negate``, ``binary``, ``call``, ``arity``).
    """

    allowed = ALLOWED
    operand = "a number, x, a call or '('"
    completion = "a number, x, a call or a parenthesis"

    def __init__(self, text: str, registry: Registry) -> None:
        self.text = text
        self.registry = registry
        self.names = _names(registry)
        self.tokens = _tokenize(text, self.allowed)
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

    def error(self, reason: str, pos: int | None, advice: str | None = None) -> ExprError:
        return ExprError(reason, self.text, pos, self.allowed if advice is None else advice)

    def unknown_advice(self) -> str:
        return ("also x (the variable), pi and e. Register a new one with vjpchain.scalar_rule "
                "and pass rules=...")

    def unknown(self, tok: _Token) -> ExprError:
        known = sorted(self.names)
        close = difflib.get_close_matches(tok.text.lower(), known, n=4, cutoff=0.5)
        rest = [k for k in known if k not in close]
        advice = f"Did you mean {', '.join(close)}? " if close else ""
        advice += (f"Registered primitives: {', '.join(rest if close else known)}; "
                   + self.unknown_advice())
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

    # hooks: how a chain is built
    def is_variable(self, name: str, called: bool) -> bool:
        return name == _VARIABLE

    def variable(self, tok: _Token) -> _Value:
        return _Chain([])

    def arity(self, tok: _Token, element: Any) -> int:
        if self.registry.lookup(element).arity != 1:
            raise self.error(f"{tok.text} takes two inputs, so it cannot be a step of a chain",
                             tok.pos, TRACED)
        return 1

    def negate(self, tok: _Token, operand: _Value) -> _Value:
        if isinstance(operand, _Const):
            return _Const(-operand.value)
        assert isinstance(operand, _Chain)
        return _then(operand.steps, self.builtin("neg", tok))

    # grammar
    def parse(self) -> list[Any]:
        kinds = [t.kind for t in self.tokens]
        if kinds == ["end"]:
            raise self.error("the expression is empty", None)
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
        assert isinstance(value, _Chain)
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
            element = self.element(first)
            self.arity(first, element)
            chain.append(element)
        return chain

    def trailing(self) -> ExprError:
        tok = self.tok
        if tok.kind == ")":
            return self.error("unmatched ')'", tok.pos, "Remove it or add the matching '('")
        if tok.kind in ("num", "name", "("):
            return self.error(f"expected an operator before {tok.text!r}", tok.pos,
                              "Write multiplication explicitly: 2*x, not 2x or 2 x")
        if tok.kind == ",":
            return self.error("a comma outside the arguments of a call", tok.pos,
                              "Commas separate the steps of a chain ('sin,exp', with no "
                              "formula) or the two arguments of atan2(y, x), hypot, max, min")
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
                return self.negate(tok, operand)
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
            if tok.text in _CONSTANTS or self.is_variable(tok.text, called):
                if called:
                    raise self.error(f"{tok.text!r} is not a function", tok.pos,
                                     f"Write multiplication explicitly: {tok.text}*(...)")
                if tok.text in _CONSTANTS:
                    return _Const(_CONSTANTS[tok.text])
                return self.variable(tok)
            element = self.element(tok)
            if not called:
                raise self.error(f"{tok.text!r} is a primitive: call it on an argument",
                                 tok.pos, self.call_advice(tok.text))
            arity = self.arity(tok, element)
            paren = self.advance()
            args = [self.sum()]
            while len(args) < arity and self.tok.kind == ",":
                self.advance()
                args.append(self.sum())
            if self.tok.kind == "," or (len(args) < arity and self.tok.kind == ")"):
                takes = "two arguments" if arity == 2 else "one argument"
                raise self.error(f"{tok.text}(...) takes {takes}", self.tok.pos,
                                 self.arity_advice(tok.text, arity))
            self.close(paren)
            return self.call(tok, element, args)
        if tok.kind == "end":
            raise self.error("the expression ends too early", tok.pos,
                             f"Complete it with {self.completion}")
        raise self.error(f"expected {self.operand} but got {tok.text!r}", tok.pos)

    def call_advice(self, name: str) -> str:
        return f"Write {name}(x), or a chain 'sin,{name}'"

    def arity_advice(self, name: str, arity: int) -> str:
        return "Primitives take a single input x"

    def close(self, opening: _Token) -> None:
        tok = self.tok
        if tok.kind == ")":
            self.advance()
            return
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

    def fold_call(self, tok: _Token, element: Any, args: list[_Const]) -> _Const:
        """A call on constants, computed now."""
        rule = self.registry.lookup(element)
        xs = [float(a.value) for a in args]
        shown = f"{tok.text}({', '.join(repr(x) for x in xs)})"
        try:
            if rule.arity == 2:
                y = rule.primal(*xs)  # type: ignore[misc]
            else:
                y = advance(rule, xs[0])
        except Exception as exc:  # user-registered primals may raise anything
            raise self.error(f"{shown} cannot be computed ({exc})", tok.pos,
                             "Check the argument lies in the primitive's domain "
                             "(vjpchain.rules_table() lists the domains)") from exc
        return self.const(y, tok, shown)

    def call(self, tok: _Token, element: Any, args: list[_Value]) -> _Value:
        [argument] = args
        if isinstance(argument, _Chain):
            return _then(argument.steps, element)
        assert isinstance(argument, _Const)
        return self.fold_call(tok, element, [argument])

    def binary(self, op: _Token, left: _Value, right: _Value) -> _Value:
        sym = op.text
        if isinstance(left, _Const) and isinstance(right, _Const):
            return self.fold(op, left.value, right.value)
        if isinstance(left, _Chain) and isinstance(right, _Chain):
            raise self.error(f"both sides of {sym} depend on x", op.pos, TRACED)
        # parameters are float64, as the chain computes: the chain of '2*x' is [scale(2.0)]
        # whether 2 or 2.0 was written (scale(2) and scale(2.0) are distinct primitives)
        if isinstance(left, _Chain):
            assert isinstance(right, _Const)
            chain, c = left.steps, float(right.value)
            if sym == "+":
                return _then(chain, shift(c))
            if sym == "-":
                return _then(chain, shift(self.fold(op, 0, c, "-").value))
            if sym == "*":
                return _then(chain, scale(c))
            if sym == "/":
                if c == 0:
                    raise self.error("division by zero", op.pos, "Divide by a nonzero constant")
                return _then(chain, scale(self.fold(op, 1, c).value))
            return _then(chain, power(c))
        assert isinstance(left, _Const) and isinstance(right, _Chain)
        chain, c = right.steps, float(left.value)
        if sym == "+":
            return _then(chain, shift(c))
        if sym == "-":
            return _then(chain, self.builtin("neg", op), shift(c))
        if sym == "*":
            return _then(chain, scale(c))
        if sym == "/":
            return _then(chain, self.builtin("reciprocal", op), scale(c))
        if c <= 0:
            raise self.error(f"{c!r}**x needs a positive base", op.pos,
                             "c**x is exp(x*log(c)), defined for c > 0")
        if c == math.e:
            return _then(chain, self.builtin("exp", op))
        if c == 2 and "exp2" in self.names:
            return _then(chain, self.names["exp2"])
        return _then(chain, scale(math.log(c)), self.builtin("exp", op))

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


# --- functions of several variables ----------------------------------------------------------

class _FunctionParser(_Parser):
    """Reads a formula in any number of variables into a postfix program.

    A value is a folded constant (:class:`_Const`) or a :class:`_Code`: instructions that
    push a variable or a constant, or replace the top one or two stack entries by a
    function of them. Operands are emitted before their operator, so appending the right
    operand's program to the left one's builds the program in one pass with no recursion.
    """

    allowed = FUNCTION_ALLOWED
    operand = "a number, a variable, a call or '('"
    completion = "a number, a variable, a call or a parenthesis"

    def __init__(self, text: str, registry: Registry) -> None:
        super().__init__(text, registry)
        self.variables: dict[str, int] = {}

    def unknown_advice(self) -> str:
        return ("also pi and e. Any other name is a variable, and a variable is not called: "
                "write multiplication explicitly, y*(...). Register a new primitive with "
                "vjpchain.scalar_rule and pass rules=...")

    def call_advice(self, name: str) -> str:
        return f"Write {name}(x); a variable cannot have the name of a primitive"

    def arity_advice(self, name: str, arity: int) -> str:
        if arity == 2:
            return f"Write {name}(a, b)"
        return "Only two-input primitives (atan2, hypot, max, min) take two arguments"

    def is_variable(self, name: str, called: bool) -> bool:
        return name not in self.names and (not called or name in self.variables)

    def variable(self, tok: _Token) -> _Value:
        index = self.variables.setdefault(tok.text, len(self.variables))
        return _Code([(VAR, index, tok.text)])

    def arity(self, tok: _Token, element: Any) -> int:
        return 2 if self.registry.lookup(element).arity == 2 else 1

    def emit(self, operands: list[_Value], instruction: tuple[int, Any, str]) -> _Code:
        code: list[tuple[int, Any, str]] = []
        for v in operands:
            if isinstance(v, _Code):
                if code:
                    code.extend(v.code)
                else:
                    code = v.code  # each value is used once: its program can be extended
            else:
                assert isinstance(v, _Const)
                code.append((CONSTANT, float(v.value), ""))
        code.append(instruction)
        return _Code(code)

    def negate(self, tok: _Token, operand: _Value) -> _Value:
        if isinstance(operand, _Const):
            return _Const(-operand.value)
        return self.emit([operand], (UNARY, operator.neg, f"'-' at column {tok.pos + 1}"))

    def call(self, tok: _Token, element: Any, args: list[_Value]) -> _Value:
        consts = [a for a in args if isinstance(a, _Const)]
        if len(consts) == len(args):
            return self.fold_call(tok, element, consts)
        rule = self.registry.lookup(element)
        where = f"{tok.text}(...) at column {tok.pos + 1}"
        if len(args) == 2:
            return self.emit(args, (BINARY, binary_function(element, rule), where))
        return self.emit(args, (UNARY, unary_function(element, rule), where))

    def binary(self, op: _Token, left: _Value, right: _Value) -> _Value:
        if isinstance(left, _Const) and isinstance(right, _Const):
            return self.fold(op, left.value, right.value)
        if op.text == "/" and isinstance(right, _Const) and right.value == 0:
            raise self.error("division by zero", op.pos, "Divide by a nonzero constant")
        return self.emit([left, right], (BINARY, OPERATORS[op.text],
                                         f"'{op.text}' at column {op.pos + 1}"))

    def parse_function(self) -> ParsedFunction:
        if self.tok.kind == "end":
            raise self.error("the expression is empty", None)
        value = self.sum()
        if self.tok.kind != "end":
            raise self.trailing()
        names = tuple(self.variables)
        if isinstance(value, _Const):
            code = [(CONSTANT, float(value.value), "")]
        else:
            assert isinstance(value, _Code)
            code = value.code
        return ParsedFunction(names, program(code, names, self.text), self.text)


# --- entry points ----------------------------------------------------------------------------


def parse_chain(text: str, *, rules: Registry | None = None) -> list[Any]:
    """The chain of primitives that ``text`` describes, for :func:`vjpchain.val_and_grad`.

    ``'sin,sin,exp'`` lists the steps; ``'exp(sin(sin(x)))'`` composes them. Operators with a
    constant side become parametric steps: ``c + f`` shift(c), ``c * f`` scale(c), ``f / c``
    scale(1/c), ``f ** c`` power(c), ``-f`` neg, ``c - f`` [neg, shift(c)], ``c / f``
    [reciprocal, scale(c)], ``c ** f`` [scale(log c), exp] (``e ** f`` is exp, ``2 ** f``
    exp2). Nothing is evaluated with ``eval``. An expression that uses ``x`` more than once
    is not a chain: :func:`parse_function` reads it.

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
    return _Parser(text, registry_of(rules)).parse()


def parse_function(text: str, *, rules: Registry | None = None) -> ParsedFunction:
    """The function of one or more variables that the formula ``text`` describes.

    Variables are the names that are neither registered primitives nor ``pi`` and ``e``
    (``x``, ``x1``, ``y``, ``alpha``...); they may appear any number of times, on both sides
    of an operator. Calls take one argument, except the registered two-input primitives:
    ``atan2(y, x)``, ``hypot``, ``maximum``/``max``, ``minimum``/``min``. Numbers are
    float64 and constant subexpressions are folded, as in :func:`parse_chain`. Nothing is
    evaluated with ``eval``: the formula becomes a postfix program run by a loop.

    Args:
        text: the formula.
        rules: the registry whose names may be used (default: ``vjpchain.default_registry``).

    Returns:
        A :class:`ParsedFunction`: ``names`` and the function ``fn(*values)``. Where an
        operation fails on floats (log of a negative number), ``fn`` raises
        PrimitiveDomainError naming the operation and its column.

    Raises:
        ExprError: the text is not such a formula; the message points at the column.

    Example:
        >>> from vjpchain import val_and_grad
        >>> f = parse_function('log(x1*x2*(x1 + x2))/(x1 - x2)**2')
        >>> f.names
        ('x1', 'x2')
        >>> val_and_grad(f.fn, 2.0, 10.0)
        (0.08563498317721861, (0.030523329127637985, -0.01854416246097132))
        >>> parse_function('atan2(y, x) * hypot(x, y)').names
        ('y', 'x')
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_function needs a str (got {type(text).__name__})")
    return _FunctionParser(text, registry_of(rules)).parse_function()


def parse_expression(text: str, *,
                     rules: Registry | None = None) -> list[Any] | ParsedFunction:
    """A chain where ``text`` describes one (:func:`parse_chain`), else a function of its
    variables (:func:`parse_function`); what ``vjpchain grad`` accepts.

    Raises:
        ExprError: neither reads the text. The error is the chain's for a comma-separated
            list or a formula without variables, else the function's.

    Example:
        >>> parse_expression('exp(sin(x))')
        [vjpchain.sin, vjpchain.exp]
        >>> parse_expression('x*sin(x)').names
        ('x',)
    """
    registry = registry_of(rules)
    try:
        return parse_chain(text, rules=registry)
    except ExprError as chain_error:
        tokens = _tokenize(text)  # the chain parser got past the tokenizer
        depth = 0
        for t in tokens:
            depth += (t.kind == "(") - (t.kind == ")")
            if t.kind == "," and depth == 0:
                raise  # a list of steps: the chain's error says what is wrong
        parsed = parse_function(text, rules=registry)
        if not parsed.names:
            raise chain_error from None
        return parsed


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
    parser = _Parser(text, registry_of(rules))
    if parser.tokens[0].kind == "end":
        raise parser.error("the expression is empty", None, "Give a number such as 2.5")
    value = parser.sum()
    if parser.tok.kind != "end":
        raise parser.trailing()
    if not isinstance(value, _Const):
        raise parser.error("a point must be a constant, not a function of x", None,
                           "Give a number such as 2.5 or pi/4")
    return float(value.value)
