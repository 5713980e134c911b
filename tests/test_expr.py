"""parse_chain: expressions become chains that compute the same function; bad text is an
ExprError pointing at the column, never another exception."""

import builtins
import math

import mpmath
import pytest
from hypothesis import given
from hypothesis import strategies as st

import vjpchain as vc
from vjpchain.expr import MAX_NESTING, ExprError, parse_chain, parse_constant

# --- structure -------------------------------------------------------------------------------


@pytest.mark.parametrize("text, chain", [
    ("sin,sin,exp", [vc.sin, vc.sin, vc.exp]),
    (" sin , tanh ", [vc.sin, vc.tanh]),
    ("sin", [vc.sin]),
    ("arcsin,logistic", [vc.asin, vc.sigmoid]),
    ("x", []),
    ("exp(sin(sin(x)))", [vc.sin, vc.sin, vc.exp]),
    ("2*sin(x)**3 + 1", [vc.sin, vc.power(3), vc.scale(2), vc.shift(1)]),
    ("-x", [vc.neg]),
    ("+x", []),
    ("3/x", [vc.reciprocal, vc.scale(3)]),
    ("x/4", [vc.scale(0.25)]),
    ("2 - x", [vc.neg, vc.shift(2)]),
    ("x - 2", [vc.shift(-2)]),
    ("x**2.5", [vc.power(2.5)]),
    ("x**-1", [vc.power(-1)]),
    ("3**x", [vc.scale(math.log(3)), vc.exp]),
    ("e**x", [vc.exp]),
    ("2**x", [vc.exp2]),
    ("2*3*x", [vc.scale(6)]),
    ("(1 + 2) * x", [vc.scale(3)]),
    ("2**3**2 * x", [vc.scale(512)]),
    ("-x**2", [vc.power(2), vc.neg]),
    ("(-x)**2", [vc.neg, vc.power(2)]),
    ("x * pi", [vc.scale(math.pi)]),
    ("sin(pi/2) * x", [vc.scale(math.sin(math.pi / 2))]),
    ("1e-3 * x", [vc.scale(1e-3)]),
    ("((((x))))", []),
])
def test_parse_structure(text, chain):
    assert parse_chain(text) == chain


def test_parameters_are_floats():
    """shift(1) == shift(1.0), but the registry names the bound rule after the first seen."""
    for step in parse_chain("-(2*sin(x)**3 + 1)/4 - 1"):
        if isinstance(step, vc.Parametric):
            assert all(type(p) is float for p in step.params())


# --- each parse computes the formula it was written from ------------------------------------

# (text, the same formula written once for both math and mpmath as module m, points)
FORMULAS = [
    ("exp(sin(sin(x)))", lambda m, x: m.exp(m.sin(m.sin(x))), [-2.0, 0.3, 2.0]),
    ("sin,sin,exp", lambda m, x: m.exp(m.sin(m.sin(x))), [0.7]),
    ("2*sin(x)**3 + 1", lambda m, x: 2 * m.sin(x) ** 3 + 1, [0.5, 1.5, -1.0]),
    ("-x", lambda m, x: -x, [1.5]),
    ("3/x", lambda m, x: 3 / x, [0.25, -7.0]),
    ("x/3", lambda m, x: x / 3, [1.0, 10.0]),
    ("5 - tanh(x)", lambda m, x: 5 - m.tanh(x), [0.2, -3.0]),
    ("log(x)**0.5", lambda m, x: m.log(x) ** 0.5, [2.0, 30.0]),
    ("3**x", lambda m, x: 3 ** x, [0.5, -2.0]),
    ("2**cos(x)", lambda m, x: 2 ** m.cos(x), [1.0]),
    ("e**(x/2)", lambda m, x: m.e ** (x / 2), [1.0, 3.0]),
    ("2*3*x + 4", lambda m, x: 2 * 3 * x + 4, [1.25]),
    ("-(sqrt(x) - 1)/pi", lambda m, x: -(m.sqrt(x) - 1) / m.pi, [0.5, 9.0]),
    ("1/(1 + exp(-x))", lambda m, x: 1 / (1 + m.exp(-x)), [-1.0, 0.0, 2.0]),
    ("atan(x**2 * 0.5) - 1e-3", lambda m, x: m.atan(x ** 2 * 0.5) - 1e-3, [0.5, 3.0]),
    ("cosh(-x)**-2", lambda m, x: m.cosh(-x) ** -2, [0.75]),
    ("log1p(exp(2*x))", lambda m, x: m.log1p(m.exp(2 * x)), [-1.0, 0.5]),
]


@pytest.mark.parametrize("text, formula, points", FORMULAS)
def test_parsed_chain_computes_the_formula(text, formula, points):
    """Value as Python computes the formula; derivative as mpmath.diff of the formula."""
    chain = parse_chain(text)
    for x in points:
        y, d = vc.val_and_grad(chain, x)
        assert y == pytest.approx(formula(math, x), rel=1e-14, abs=1e-300)
        with mpmath.workdps(40):
            ref = mpmath.diff(lambda t: formula(mpmath, t), mpmath.mpf(x))
        assert d == pytest.approx(float(ref), rel=1e-13, abs=1e-300)


def test_rules_argument_names_a_users_primitive():
    rules = vc.default_registry.copy()

    def softsign(x):
        return x / (1 + abs(x))

    rules.scalar_rule(softsign, lambda x, y: 1 / (1 + abs(x)) ** 2)
    chain = parse_chain("exp(softsign(x))", rules=rules)
    assert chain == [softsign, vc.exp]
    assert vc.val_and_grad(chain, 3.0, rules=rules) == pytest.approx(
        (math.exp(0.75), math.exp(0.75) / 16))
    with pytest.raises(ExprError, match="unknown name 'softsign'"):
        parse_chain("exp(softsign(x))")


def test_never_calls_eval_or_exec(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    for text, _, _ in FORMULAS:
        parse_chain(text)
    with pytest.raises(ExprError):
        parse_chain("__import__('os').system('true')")


def test_parse_constant():
    assert parse_constant("pi/4") == math.pi / 4
    assert parse_constant("-1e-3") == -1e-3
    assert parse_constant("2**10 - sin(0)") == 1024.0
    with pytest.raises(ExprError, match="not a function of x"):
        parse_constant("sin(x)")


# --- errors ----------------------------------------------------------------------------------


def caret_column(message):
    """The 0-based column the caret points at, relative to the echoed text."""
    lines = message.splitlines()
    caret = next(i for i, line in enumerate(lines) if line.strip() == "^")
    return lines[caret].index("^") - lines[caret - 1].index(lines[caret - 1].strip()[0])


@pytest.mark.parametrize("text, column, words", [
    ("exp(sni(x))", 4, "unknown name 'sni'"),
    ("x^2", 1, "use ** for powers"),
    ("2x", 1, "write multiplication explicitly"),
    ("exp(sin(x)", 3, "never closed"),
    ("sin(x))", 6, "unmatched ')'"),
    ("sin(x, 2)", 5, "takes one argument"),
    ("sin,,exp", 4, "empty"),
    ("sin, x", 5, "'x' is not a primitive"),
    ("sin,exp(x)", 4, "one primitive name"),
    ("1/0*x", 1, "division by zero"),
    ("x/0", 1, "division by zero"),
    ("(-2)**x", 4, "positive base"),
    ("log(-1)*x", 0, "cannot be computed"),
    ("sin + 1", 0, "call it on an argument"),
    ("x(2)", 0, "not a function"),
    ("sin(", 4, "ends too early"),
    ("2 * $", 4, "unexpected character '$'"),
    ("1e999 * x", 0, "not a finite number"),
    ("9**9**9 * x", 1, "cannot be computed"),
])
def test_error_points_at_the_column(text, column, words):
    with pytest.raises(ExprError) as info:
        parse_chain(text)
    message = str(info.value)
    assert words.lower() in message.lower()
    assert info.value.position == column
    assert f"column {column + 1}" in message
    assert caret_column(message) == column


@pytest.mark.parametrize("text", ["x*sin(x)", "sin(x) + cos(x)", "x**x", "exp(x)/x", "x - x"])
def test_x_used_twice_asks_for_traced_functions(text):
    with pytest.raises(ExprError, match="more than once come with traced functions"):
        parse_chain(text)


def test_unknown_name_lists_close_matches_first():
    with pytest.raises(ExprError) as info:
        parse_chain("tnah(x)")
    message = str(info.value)
    assert message.index("tanh") < message.index("abs")
    assert "Registered primitives" in message and "sqrt" in message


@pytest.mark.parametrize("text", ["", "   ", "pi", "2 + 3"])
def test_empty_or_constant_is_an_error(text):
    with pytest.raises(ExprError):
        parse_chain(text)


def test_nesting_is_capped_with_a_clear_error():
    ok = "sin(" * (MAX_NESTING - 1) + "x" + ")" * (MAX_NESTING - 1)
    assert len(parse_chain(ok)) == MAX_NESTING - 1
    assert parse_chain("-" * (MAX_NESTING - 1) + "x") == [vc.neg] * (MAX_NESTING - 1)
    for deep in ["(" * 5000 + "x" + ")" * 5000, "-" * 5000 + "x", "x" + "**2" * 5000,
                 "sin(" * (MAX_NESTING + 1) + "x" + ")" * (MAX_NESTING + 1)]:
        with pytest.raises(ExprError, match=f"deeper than {MAX_NESTING} levels"):
            parse_chain(deep)


def test_huge_numbers_are_errors_not_crashes():
    for text in ["1" * 5000 + "*x", "10**400*x", "2**2**2**2**2*x"]:
        with pytest.raises(ExprError):
            parse_chain(text)


def test_long_text_error_shows_an_excerpt():
    text = "sin(" * 30 + "y" + ")" * 30
    with pytest.raises(ExprError) as info:
        parse_chain(text)
    assert info.value.position == 120
    assert "..." in str(info.value) and len(str(info.value).splitlines()[1]) < 90


def test_expr_error_is_a_value_error():
    assert issubclass(ExprError, ValueError) and issubclass(ExprError, vc.VjpchainError)


# --- any text: a list or an ExprError --------------------------------------------------------

GRAMMAR = st.lists(
    st.sampled_from(list("x0123456789.eE+-*/() ,^") + ["sin", "exp", "pi", "**", "log("]),
    max_size=30,
).map("".join)


@given(text=st.one_of(st.text(max_size=60), GRAMMAR))
def test_any_text_gives_a_chain_or_expr_error(text):
    try:
        chain = parse_chain(text)
    except ExprError as exc:
        assert exc.text == text
        assert exc.position is None or 0 <= exc.position <= len(text)
        return
    assert isinstance(chain, list)


@given(text=GRAMMAR.map(lambda s: "(" + s + ")*x"))
def test_grammar_text_with_x_evaluates_or_errors(text):
    """Whatever parses runs: the chain is made of known primitives."""
    try:
        chain = parse_chain(text)
    except ExprError:
        return
    for step in chain:
        assert step in vc.default_registry
