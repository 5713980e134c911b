"""Float64 derivatives of every registered primitive, in ULPs against mpmath at 60 digits.

Driven by the registry: each rule's declared domain and tolerance, so a new primitive gets
this test with no new test code. Both the scalar path and the NumPy path are checked.
"""

import math

import mpmath
import numpy as np
import pytest

from vjpchain import default_registry
from vjpchain.domain import sweep_points
from vjpchain.reference import excused_near_zero, rule_reference, ulp_error

RULES = [r for r in default_registry.rules() if r.derivative is not None]


def _derivative(rule, x):
    return rule.derivative(x, rule.primal(x))


def _failures(rule, xs, values):
    exact = rule_reference(rule)
    bad = []
    with mpmath.workdps(60):
        for x, v in zip(xs, values, strict=True):
            err = ulp_error(float(v), exact(mpmath.mpf(x)))
            if err > rule.ulps and not excused_near_zero(exact, x):
                bad.append((x, float(v), err))
    return bad


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_float_derivative_within_tolerance_over_domain(rule):
    xs = sweep_points(rule.domain, n=250, seed=1)
    values = [_derivative(rule, x) for x in xs]
    bad = _failures(rule, xs, values)
    assert not bad, f"{rule.name}: {len(bad)} points over {rule.ulps} ulp, worst " \
                    f"{max(bad, key=lambda b: b[2])}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_numpy_derivative_within_tolerance_over_domain(rule):
    xs = sweep_points(rule.domain, n=250, seed=2)
    with np.errstate(all="ignore"):
        values = np.broadcast_to(_derivative(rule, np.array(xs)), (len(xs),))
    bad = _failures(rule, xs, values)
    assert not bad, f"{rule.name}: {len(bad)} points over {rule.ulps} ulp, worst " \
                    f"{max(bad, key=lambda b: b[2])}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_mpmath_derivative_to_working_precision(rule):
    """At 50 digits the derivative agrees with the reference to at least 45 digits."""
    xs = [x for x in sweep_points(rule.domain, n=8, seed=3) if 1e-30 < abs(x) < 1e30][:12]
    exact = rule_reference(rule)
    for x in xs:
        with mpmath.workdps(50):
            xm = mpmath.mpf(x)
            got = _derivative(rule, xm)
        with mpmath.workdps(80):
            ref = exact(mpmath.mpf(x))
            if ref == 0:
                continue
            rel = abs((got - ref) / ref)
        assert rel < mpmath.mpf(10) ** -45, (rule.name, x, got, ref)


def test_the_tanh_tail_is_not_flushed():
    """The textbook 1 - tanh(x)**2 is 0.0 at x = 20; the true value is 1.7e-17."""
    rule = default_registry.lookup("tanh")
    assert _derivative(rule, 20.0) == pytest.approx(1.6993417021166355e-17, rel=1e-15)
    assert 0 < _derivative(rule, 370.0) < 1e-300
    assert math.isfinite(_derivative(rule, 1e308))
