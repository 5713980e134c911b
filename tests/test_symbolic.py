"""Closed-form derivative expressions, checked numerically (sympy when installed)."""

import math
import random

import pytest

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
