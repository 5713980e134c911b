"""parse_chain and parse_function: expressions become chains and functions that compute the
formula they were written from; bad text is an ExprError pointing at the column, never another
exception."""

import builtins
import math

import mpmath
import pytest
from hypothesis import given
from hypothesis import strategies as st

import vjpchain as vc
from vjpchain.expr import (
    MAX_NESTING,
    ExprError,
    ParsedFunction,
    parse_chain,
    parse_constant,
    parse_expression,
    parse_function,
)

# --- structure -------------------------------------------------------------------------------


@pytest.mark.parametrize("text, chain", [
    ("sin,sin,exp", [vc.sin, vc.sin, vc.exp]),
    (" sin , tanh ", [vc.sin, vc.tanh]),
    ("sin", [vc.sin]),
    ("arcsin,logistic", [vc.asin, vc.sigmoid]),
    ("x", []),
    ("exp(sin(sin(x)))", [vc.sin, vc.sin, vc.exp]),
    ("2*sin(x)**3 + 1", [vc.sin, vc.power(3.0), vc.scale(2.0), vc.shift(1.0)]),
    ("-x", [vc.neg]),
    ("+x", []),
    ("3/x", [vc.reciprocal, vc.scale(3.0)]),
    ("x/4", [vc.scale(0.25)]),
    ("2 - x", [vc.neg, vc.shift(2.0)]),
    ("x - 2", [vc.shift(-2.0)]),
    ("x**2.5", [vc.power(2.5)]),
    ("x**-1", [vc.power(-1.0)]),
    ("3**x", [vc.scale(math.log(3)), vc.exp]),
    ("e**x", [vc.exp]),
    ("2**x", [vc.exp2]),
    ("2*3*x", [vc.scale(6.0)]),
    ("(1 + 2) * x", [vc.scale(3.0)]),
    ("2**3**2 * x", [vc.scale(512.0)]),
    ("-x**2", [vc.power(2.0), vc.neg]),
    ("(-x)**2", [vc.neg, vc.power(2.0)]),
    ("x * pi", [vc.scale(math.pi)]),
    ("sin(pi/2) * x", [vc.scale(math.sin(math.pi / 2))]),
    ("1e-3 * x", [vc.scale(1e-3)]),
    ("((((x))))", []),
])
def test_parse_structure(text, chain):
    assert parse_chain(text) == chain


def test_parameters_are_floats():
    """Written 1 or 1.0, a parameter is the float 1.0: shift(1) and shift(1.0) are distinct
    primitives (they print differently), and a chain computes in float64."""
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

    rules.scalar_rule(softsign, lambda x, y: 1 / (1 + abs(x)) ** 2, aliases=("softsign",))
    chain = parse_chain("exp(softsign(x))", rules=rules)
    assert chain == ["softsign", vc.exp]  # the name is a key because aliases says so
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


def assert_points_at(parse, text, column, words):
    """``parse(text)`` fails with an ExprError whose message names the column, shows a caret
    under it and contains ``words``."""
    with pytest.raises(ExprError) as info:
        parse(text)
    message = str(info.value)
    assert words.lower() in message.lower()
    assert info.value.position == column
    assert f"column {column + 1}" in message
    assert caret_column(message) == column


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
    assert_points_at(parse_chain, text, column, words)


@pytest.mark.parametrize("text", ["x*sin(x)", "sin(x) + cos(x)", "x**x", "exp(x)/x", "x - x",
                                  "atan2(x, 1)", "max(x, 0)", "sin,hypot"])
def test_not_a_chain_points_to_parse_function(text):
    with pytest.raises(ExprError, match="read them with vjpchain.expr.parse_function"):
        parse_chain(text)
    if "," not in text or "(" in text:
        assert parse_function(text).names == ("x",)
        assert isinstance(parse_expression(text), ParsedFunction)


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


# --- parse_function: formulas in several variables -------------------------------------------

# (text, its variables, the same formula written once for math and mpmath as module m, points)
FUNCTIONS = [
    ("log(x1*x2*(x1+x2))/(x1-x2)**2", ("x1", "x2"),
     lambda m, x1, x2: m.log(x1 * x2 * (x1 + x2)) / (x1 - x2) ** 2, [(2.0, 10.0), (0.5, 3.0)]),
    ("x*sin(x)", ("x",), lambda m, x: x * m.sin(x), [(1.5,), (-0.25,)]),
    ("x**x", ("x",), lambda m, x: x ** x, [(0.5,), (2.5,)]),
    ("exp(x)/x - x", ("x",), lambda m, x: m.exp(x) / x - x, [(0.75,), (-3.0,)]),
    ("sin(x) + cos(x)", ("x",), lambda m, x: m.sin(x) + m.cos(x), [(1.0,)]),
    ("atan2(y, x)", ("y", "x"), lambda m, y, x: m.atan2(y, x), [(1.0, 2.0), (-3.0, -0.5)]),
    ("hypot(a, b) * tanh(a - b)", ("a", "b"),
     lambda m, a, b: m.hypot(a, b) * m.tanh(a - b), [(3.0, 4.0), (-1.0, 0.5)]),
    ("max(x, y)**2 + min(x, 2*y)", ("x", "y"),
     lambda m, x, y: max(x, y) ** 2 + min(x, 2 * y), [(1.0, 3.0), (2.0, -1.0)]),
    ("alpha**beta / (1 + alpha)", ("alpha", "beta"),
     lambda m, a, b: a ** b / (1 + a), [(1.5, 2.5), (3.0, -0.5)]),
    ("-x_1 * exp(-x_2/2) + sqrt(abs(x_1 - 3))", ("x_1", "x_2"),
     lambda m, a, b: -a * m.exp(-b / 2) + m.sqrt(abs(a - 3)), [(1.0, 2.0)]),
    ("2**x * 3 - 1/y + e*z + pi", ("x", "y", "z"),
     lambda m, x, y, z: 2 ** x * 3 - 1 / y + m.e * z + m.pi, [(0.5, 2.0, -1.0)]),
    ("sigmoid(u*v) * log1p(u**2) - erf(v)", ("u", "v"),
     lambda m, u, v: 1 / (1 + m.exp(-u * v)) * m.log1p(u ** 2) - m.erf(v), [(0.3, -1.2)]),
    ("x - x + y*0", ("x", "y"), lambda m, x, y: x - x + y * 0, [(1.25, 4.0)]),
    ("x1*x2*x3*x4", ("x1", "x2", "x3", "x4"), lambda m, a, b, c, d: a * b * c * d,
     [(1.0, 2.0, 3.0, 4.0)]),
]


def _partials(formula, point):
    """mpmath.diff of the formula along each variable, at 40 digits."""
    with mpmath.workdps(40):
        args = [mpmath.mpf(v) for v in point]
        return [mpmath.diff(lambda t, i=i: formula(mpmath, *args[:i], t, *args[i + 1:]),
                            args[i]) for i in range(len(point))]


@pytest.mark.parametrize("text, names, formula, points", FUNCTIONS)
def test_parsed_function_computes_the_formula(text, names, formula, points):
    """Value as Python computes the formula; gradient by reverse mode as mpmath.diff of the
    formula; forward mode, mpmath and NumPy inputs agree."""
    parsed = parse_function(text)
    assert parsed.names == names and parsed.text == text
    for point in points:
        value = parsed.fn(*point)
        assert value == pytest.approx(formula(math, *point), rel=1e-14, abs=1e-300)
        y, grads = vc.val_and_grad(parsed.fn, *point)
        grads = grads if len(point) > 1 else (grads,)
        assert y == value
        for g, ref in zip(grads, _partials(formula, point), strict=True):
            assert g == pytest.approx(float(ref), rel=1e-13, abs=1e-15)
        for i in range(len(point)):
            tangents = tuple(1.0 if j == i else 0.0 for j in range(len(point)))
            _, dot = vc.jvp(parsed.fn, point, tangents)
            assert dot == pytest.approx(grads[i], rel=1e-13, abs=1e-15)
        with mpmath.workdps(30):
            mp_value = parsed.fn(*[mpmath.mpf(v) for v in point])
            assert isinstance(mp_value, mpmath.mpf)
            assert float(mp_value) == pytest.approx(value, rel=1e-14, abs=1e-300)
    np = pytest.importorskip("numpy")
    columns = [np.array(c) for c in zip(*points, strict=True)]
    values = parsed.fn(*columns)
    assert np.allclose(values, [parsed.fn(*p) for p in points], rtol=1e-15, atol=0)


def test_parse_function_matches_the_traced_python_function():
    """The same numbers, bit for bit, as the function written in Python."""
    parsed = parse_function("log(x1*x2*(x1+x2))/(x1-x2)**2")
    by_hand = vc.val_and_grad(lambda x1, x2: vc.log(x1 * x2 * (x1 + x2)) / (x1 - x2) ** 2,
                              2.0, 10.0)
    assert vc.val_and_grad(parsed.fn, 2.0, 10.0) == by_hand
    assert parsed(2.0, 10.0) == by_hand[0]
    assert vc.hessian(parsed.fn, 2.0, 10.0) == vc.hessian(
        lambda x1, x2: vc.log(x1 * x2 * (x1 + x2)) / (x1 - x2) ** 2, 2.0, 10.0)


def test_variables_and_constants():
    assert parse_function("e*x + pi").names == ("x",)
    assert parse_function("y + x + y*x").names == ("y", "x")
    assert parse_function("exp2(t)").names == ("t",)
    constant = parse_function("2*3 + sin(0)")
    assert constant.names == () and constant.fn() == 6.0
    with pytest.raises(TypeError, match="function of 2 variables"):
        parse_function("x*y").fn(1.0)


def test_long_formulas_do_not_recurse():
    """A long flat sum is a deep tree; the parser loops and the program is flat."""
    n = 3000
    parsed = parse_function("+".join(["x*y"] * n))
    assert vc.val_and_grad(parsed.fn, 2.0, 3.0) == (6.0 * n, (3.0 * n, 2.0 * n))
    ok = "sin(" * (MAX_NESTING - 1) + "x*y" + ")" * (MAX_NESTING - 1)
    assert parse_function(ok).names == ("x", "y")
    for deep in ["(" * 5000 + "x*y" + ")" * 5000, "-" * 5000 + "y", "x" + "**y" * 5000,
                 "atan2(" * (MAX_NESTING + 1) + "x" + ", y)" * (MAX_NESTING + 1)]:
        with pytest.raises(ExprError, match=f"deeper than {MAX_NESTING} levels"):
            parse_function(deep)


def test_domain_errors_name_the_operation():
    f = parse_function("x + log(x - y)")
    with pytest.raises(vc.PrimitiveDomainError, match=r"log\(\.\.\.\) at column 5"):
        f.fn(1.0, 2.0)
    with pytest.raises(vc.PrimitiveDomainError, match="at column 5"):
        vc.val_and_grad(f.fn, 1.0, 2.0)
    with pytest.raises(vc.PrimitiveDomainError, match="'/' at column 2"):
        parse_function("x/y").fn(1.0, 0.0)
    with mpmath.workdps(20):  # mpmath continues into the complex plane, as the chain does
        assert isinstance(f.fn(mpmath.mpf(1), mpmath.mpf(2)), mpmath.mpc)


def test_parse_function_with_a_users_primitive():
    rules = vc.default_registry.copy()

    def softsign(x):
        return x / (1 + abs(x))

    rules.scalar_rule(softsign, lambda x, y: 1 / (1 + abs(x)) ** 2, aliases=("softsign",))
    parsed = parse_function("softsign(x) * y", rules=rules)
    assert parsed.names == ("x", "y")
    y, (dx, dy) = vc.val_and_grad(parsed.fn, 3.0, 2.0, rules=rules)
    assert (y, dx, dy) == pytest.approx((1.5, 2 / 16, 0.75))
    with mpmath.workdps(30):
        assert parsed.fn(mpmath.mpf(3), mpmath.mpf(2)) == mpmath.mpf(3) / 2
    with pytest.raises(ExprError, match="unknown name 'softsign'"):
        parse_function("softsign(x) * y")


def test_parse_function_never_calls_eval_or_exec(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    for text, _, _, points in FUNCTIONS:
        parse_function(text).fn(*points[0])
    with pytest.raises(ExprError):
        parse_function("__import__('os').system('true')")


@pytest.mark.parametrize("text, column, words", [
    ("x^y", 1, "use ** for powers"),
    ("x1 $ x2", 3, "unexpected character '$'"),
    ("sni(x)*y", 0, "unknown name 'sni'"),
    ("atan2(y)", 7, "atan2(...) takes two arguments"),
    ("atan2(y, x, 1)", 10, "atan2(...) takes two arguments"),
    ("hypot(x)", 7, "takes two arguments"),
    ("max(x)", 5, "takes two arguments"),
    ("sin(x, y)", 5, "sin(...) takes one argument"),
    ("x*x(2)", 2, "'x' is not a function"),
    ("sin + y", 0, "'sin' is a primitive"),
    ("y/0", 1, "division by zero"),
    ("2x", 1, "write multiplication explicitly"),
    ("x y", 2, "write multiplication explicitly"),
    ("atan2(y, x", 5, "never closed"),
    ("x*y)", 3, "unmatched ')'"),
    ("x*y, 2", 3, "a comma outside the arguments of a call"),
    ("x*", 2, "ends too early"),
    ("x * 1e999", 4, "not a finite number"),
    ("log(-1) + x", 0, "cannot be computed"),
    ("atan2(0, 0) + hypot(1.5e308, 1.5e308) * x", 14, "not a finite number"),
])
def test_function_error_points_at_the_column(text, column, words):
    assert_points_at(parse_function, text, column, words)


def test_function_unknown_name_suggests_and_explains_variables():
    with pytest.raises(ExprError) as info:
        parse_function("x * tnah(y)")
    message = str(info.value)
    assert message.index("tanh") < message.index("abs")
    assert "Any other name is a variable" in message


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_function_is_an_error(text):
    with pytest.raises(ExprError, match="empty"):
        parse_function(text)


def test_parse_expression_prefers_chains():
    assert parse_expression("exp(sin(x))") == [vc.sin, vc.exp]
    assert parse_expression("sin,exp") == [vc.sin, vc.exp]
    assert parse_expression("y*sin(y)").names == ("y",)
    assert parse_expression("log(x1)*x2").names == ("x1", "x2")
    with pytest.raises(ExprError, match="a step of the chain is empty"):
        parse_expression("sin,,exp")
    with pytest.raises(ExprError, match="does not use x"):
        parse_expression("pi")
    with pytest.raises(ExprError, match="never closed"):
        parse_expression("x*sin(x")


# --- any text: a ParsedFunction or an ExprError ----------------------------------------------

FUNCTION_GRAMMAR = st.lists(
    st.sampled_from(list("xy0123456789.eE+-*/() ,^") + [
        "sin", "exp", "log(", "pi", "**", "x1", "alpha", "atan2(", "hypot(", "max(", "sqrt(",
        "abs(", ", "]),
    max_size=30,
).map("".join)


@given(text=st.one_of(st.text(max_size=60), FUNCTION_GRAMMAR))
def test_any_text_gives_a_function_or_expr_error(text):
    try:
        parsed = parse_function(text)
    except ExprError as exc:
        assert exc.text == text
        assert exc.position is None or 0 <= exc.position <= len(text)
        return
    assert isinstance(parsed, ParsedFunction) and parsed.text == text
    assert len(set(parsed.names)) == len(parsed.names)
    assert all(n.isidentifier() and n not in ("pi", "e") for n in parsed.names)


@given(text=FUNCTION_GRAMMAR, point=st.floats(-3, 3))
def test_parsed_functions_evaluate_or_raise_domain_errors(text, point):
    """Whatever parses runs on floats and traced values: a number, or a PrimitiveDomainError."""
    try:
        parsed = parse_function(text)
    except ExprError:
        return
    args = [point + k for k in range(len(parsed.names))]
    runs = [lambda: parsed.fn(*args)]
    if args:
        runs.append(lambda: vc.val_and_grad(parsed.fn, *args))
    for run in runs:
        try:
            out = run()
        except vc.PrimitiveDomainError:
            continue
        value = out[0] if isinstance(out, tuple) else out
        assert vc.generic.number_kind(type(value)) is not None, out



def test_a_long_formula_reads_into_its_chain():
    """200,000 additions (reading took over 15 s when each step copied the chain so far;
    now linear: the figure is in benchmarks/README.md)."""
    from vjpchain.expr import parse_chain

    chain = parse_chain("x" + "+1" * 200_000)
    assert len(chain) == 200_000 and chain[-1] == vc.shift(1.0)
