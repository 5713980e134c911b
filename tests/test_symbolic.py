"""Closed-form derivative expressions, checked numerically (sympy when installed)."""

import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

import vjpchain as vc
from vjpchain.symbolic import derivative_expression, primal_expression, sympy_derivative


def test_seed_expression():
    assert derivative_expression([math.sin, math.sin, math.exp]) == \
        "exp(sin(sin(x))) * cos(sin(x)) * cos(x)"
    assert primal_expression([math.sin, math.sin, math.exp]) == "exp(sin(sin(x)))"
    assert derivative_expression([]) == "1"


def test_placeholder_for_primitive_without_formula():
    mine = vc.default_registry.copy()
    mine.scalar_rule("softsign", lambda x, y: 1 / (1 + abs(x)) ** 2,
                     primal=lambda x: x / (1 + abs(x)))
    assert derivative_expression(["softsign", "exp"], rules=mine) == \
        "exp(softsign(x)) * softsign'(x)"


NAMES = ["sin", "cos", "tan", "exp", "exp2", "expm1", "log1p", "sqrt", "sinh", "cosh", "tanh",
         "atan", "asinh", "erf", "erfc", "sigmoid", "softplus", "neg", "square", "sinc",
         "lgamma", "digamma"]


def test_sympy_expression_matches_numeric_derivative():
    sympy = pytest.importorskip("sympy")
    rng = random.Random(5)
    x = sympy.Symbol("x", real=True)
    for _ in range(25):
        chain = [rng.choice(NAMES) for _ in range(rng.randint(1, 3))]
        chain.insert(0, vc.scale(0.3))
        chain.append(vc.shift(0.1))
        point = rng.uniform(0.2, 1.5)
        try:
            expected = vc.grad(chain, point)
        except vc.PrimitiveDomainError:
            continue
        expr = sympy_derivative(chain)
        got = float(expr.subs(x, point).evalf(30))
        assert got == pytest.approx(expected, rel=1e-10, abs=1e-300), (chain, str(expr))


def test_a_formula_is_data_not_code():
    """sympy.sympify evaluates its text: code in a formula= string ran. The formula is now
    read as an expression tree, and anything else is refused."""
    pytest.importorskip("sympy")
    ran = []
    rules = vc.default_registry.copy()
    rules.scalar_rule("evil", lambda x, y: 1.0, primal=lambda x: x,
                      formula="ran.append(1) or x.__class__")
    with pytest.raises(ValueError, match="not part of an expression"):
        sympy_derivative(["evil"], rules=rules)
    rules.scalar_rule("lam", lambda x, y: 1.0, primal=lambda x: x,
                      formula="(lambda: 0)()")
    with pytest.raises(ValueError):
        sympy_derivative(["lam"], rules=rules)
    rules.scalar_rule("unknown", lambda x, y: 1.0, primal=lambda x: x, formula="eval(x)")
    with pytest.raises(ValueError, match="names 'eval'"):
        sympy_derivative(["unknown"], rules=rules)
    assert not ran


def test_closed_forms_are_bounded_in_size():
    from vjpchain.symbolic import MAX_TEXT

    with pytest.raises(ValueError, match="grows past"):
        derivative_expression(["sin"] * 10_000)
    assert len(derivative_expression(["sin"] * 100)) < MAX_TEXT


def test_primal_expression_is_linear_and_bounded():
    """8,000 steps took 18.6 s (each step rescanned the whole text); now linear, and bounded
    like derivative_expression."""
    import time

    from vjpchain.symbolic import MAX_TEXT

    start = time.monotonic()
    text = primal_expression(["sin"] * 8000)
    assert time.monotonic() - start < 1
    assert text == "sin(" * 8000 + "x" + ")" * 8000
    with pytest.raises(ValueError, match="grows past"):
        primal_expression(["sin"] * (MAX_TEXT // 4))
    assert primal_expression(["square", vc.shift(1.0), "sigmoid", vc.scale(2.0)]) == \
        "2.0*sigmoid((x**2) + 1.0)"
    start = time.monotonic()
    with pytest.raises(ValueError, match="grows past"):
        derivative_expression([vc.shift(1.0)] * 200_000)
    assert time.monotonic() - start < 5


def test_sympy_refuses_what_it_cannot_hold():
    """["sin"]*200 raised a raw RecursionError, and '2**2**2**2**2*x' a ValueError about
    integer string conversion: each is a clear ValueError now."""
    pytest.importorskip("sympy")
    from vjpchain.symbolic import MAX_SYMPY_STEPS

    with pytest.raises(ValueError, match=f"at most {MAX_SYMPY_STEPS} steps"):
        sympy_derivative(["sin"] * 200)
    deep = sympy_derivative(["sin"] * MAX_SYMPY_STEPS)
    assert len(str(deep)) > 0  # sympy can print what it gets
    rules = vc.default_registry.copy()
    rules.scalar_rule("big", lambda x, y: 1.0, primal=lambda x: x, formula="2**2**2**2**2*x")
    with pytest.raises(ValueError, match="holds the constant 2 \\*\\* 2"):
        sympy_derivative(["big"], rules=rules)
    rules.scalar_rule("huge", lambda x, y: 1.0, primal=lambda x: x,
                      formula="2**2**2**2**2**2*x")  # 2**(2**65536): never computed
    with pytest.raises(ValueError, match="holds the constant"):
        sympy_derivative(["huge"], rules=rules)
    rules.scalar_rule("small", lambda x, y: 1.0, primal=lambda x: x, formula="2**-3*x")
    assert str(sympy_derivative(["sin", "small"], rules=rules)) == "sin(x)*cos(x)/8"


def _substituted(template, inner):
    """The substitution written plainly (quadratic over a chain): x in the template becomes
    inner, parenthesized unless inner is one atom or x is a whole call argument."""
    import re

    atom = re.fullmatch(r"x|[A-Za-z_][A-Za-z_0-9]*\(.*\)|[0-9.]+", inner) and not any(
        depth == 0 and i != len(inner) - 1
        for i, depth in enumerate(_depths(inner)) if inner[i] == ")")
    wrapped = inner if atom else f"({inner})"
    text = re.sub(r"(?<=\()x(?=\))", "\0", template)
    return re.sub(r"\bx\b", lambda _: wrapped, text).replace("\0", inner)


def _depths(text):
    depth, out = 0, []
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        out.append(depth)
    return out


STEPS = ["sin", "exp", "square", "neg", "reciprocal", "sigmoid", "sqrt", vc.shift(1.0),
         vc.scale(2.0), vc.power(3), vc.power(-0.5), "twice"]


@given(st.lists(st.sampled_from(STEPS), max_size=8))
def test_primal_expression_substitutes_step_by_step(chain):
    """The linear construction gives the text that substituting each step's template in
    turn gives, templates that use x twice included."""
    rules = vc.default_registry.copy()
    rules.scalar_rule("twice", lambda x, y: 1.0, primal=lambda x: x * vc.exp(x),
                      primal_formula="x*exp(x)", formula="(1 + x)*exp(x)")
    expected = "x"
    for prim in chain:
        rule = rules.lookup(prim)
        expected = _substituted(rule.primal_formula or f"{rule.name}(x)", expected)
    assert primal_expression(chain, rules=rules) == expected


def test_an_unordered_chain_is_refused():
    from vjpchain.symbolic import derivative_expression, primal_expression

    for build in (derivative_expression, primal_expression):
        with pytest.raises(TypeError, match="ordered"):
            build({"sin", "exp"})
