"""Finite differences: accuracy of each stencil, one-sided near edges, the error curve."""

import math

import mpmath
import pytest
from hypothesis import given
from hypothesis import strategies as st

import vjpchain as vc
from vjpchain.finite import (
    as_function,
    central_difference,
    central_difference_high,
    complex_step,
    error_curve,
    forward_difference,
)

CHAIN = [math.sin, math.sin, math.exp]


def seed_function(t):
    return math.exp(math.sin(math.sin(t)))


def exact(x):
    with mpmath.workdps(40):
        return float(mpmath.diff(lambda t: mpmath.exp(mpmath.sin(mpmath.sin(t))), x))


@given(st.floats(-4, 4))
def test_stencils_reach_their_expected_accuracy(x):
    d = exact(x)
    scale = max(abs(d), 1.0)
    assert abs(forward_difference(CHAIN, x) - d) < 1e-6 * scale
    assert abs(central_difference(CHAIN, x) - d) < 1e-9 * scale
    assert abs(central_difference_high(CHAIN, x, order=4) - d) < 1e-11 * scale
    assert abs(central_difference_high(CHAIN, x, order=8) - d) < 1e-12 * scale
    # complex step has no cancellation: only the complex functions' own roundings remain
    assert abs(complex_step(CHAIN, x) - d) <= 4 * math.ulp(scale)


def test_one_sided_next_to_a_domain_edge():
    sqrt_domain = vc.default_registry.lookup("sqrt").domain
    for x in (1e-300, 1e-12, 0.5):
        d = 0.5 / math.sqrt(x)
        assert central_difference([math.sqrt], x, domain=sqrt_domain) == pytest.approx(d, rel=1e-8)
    acosh_domain = vc.default_registry.lookup("acosh").domain
    x = 1 + 2.0 ** -30
    approx = central_difference_high([math.acosh], x, order=4, domain=acosh_domain)
    assert approx == pytest.approx(1 / math.sqrt(x * x - 1), rel=1e-6)


def test_error_curve_is_v_shaped():
    d = exact(2.0)
    curve = error_curve(CHAIN, 2.0, d, method="central")
    errors = [e for _, e in curve]
    best = errors.index(min(errors))
    assert 0 < best < len(errors) - 1
    assert errors[0] > 100 * errors[best] and errors[-1] > 100 * errors[best]
    assert 1e-7 < curve[best][0] < 1e-3  # near eps**(1/3) = 6e-6


def test_bad_arguments():
    with pytest.raises(ValueError, match="order"):
        central_difference_high(CHAIN, 1.0, order=3)
    with pytest.raises(ValueError, match="method"):
        error_curve(CHAIN, 1.0, 0.0, method="nope")


def test_as_function_runs_a_chain():
    assert as_function(CHAIN)(2.0) == vc.val_and_grad(CHAIN, 2.0)[0]


def test_forward_difference_is_its_formula():
    """It divided by (x + h) - x instead of h: -0.562752070588158 at h = 1e-8, where the
    seed's (f(x + h) - f(x)) / h is -0.5627520671680486."""
    f = seed_function
    assert forward_difference(CHAIN, 2.0, 1e-8) == -0.5627520671680486
    assert forward_difference(f, 2.0, 1e-8) == (f(2.0 + 1e-8) - f(2.0)) / 1e-8
    # next to the domain's upper edge: the backward difference, also as written
    edge = vc.Domain(hi=2.0, include_hi=True)
    assert forward_difference(f, 2.0, 1e-8, domain=edge) == (f(2.0) - f(2.0 - 1e-8)) / 1e-8


@given(st.floats(-4, 4), st.floats(1e-9, 1e-2))
def test_central_stencils_are_their_formulas(x, h):
    f = seed_function
    assert central_difference(f, x, h) == 0.5 * (f(x + h) - f(x - h)) / h
    w1, w2 = 2 / 3, -1 / 12
    expected = (w1 * (f(x + h) - f(x - h)) + w2 * (f(x + 2 * h) - f(x - 2 * h))) / h
    assert central_difference_high(f, x, h, order=4) == expected


def test_bad_steps_are_refused():
    for h in (0.0, -1e-8, math.inf, math.nan):
        with pytest.raises(ValueError, match="positive finite"):
            forward_difference(CHAIN, 1.0, h)
    with pytest.raises(ValueError, match="below the float spacing"):
        central_difference(CHAIN, 1e10, 1e-12)
