"""Float64 derivatives of every declared primitive, in ULPs against its mpmath reference.

Driven by the declarations: each rule carries its reference derivative (``Rule.reference``),
its domain with special points (``Rule.domain``) and its tolerance (``Rule.ulps``), so a new
primitive gets these tests with no new test code. The float64 sweep is the public checker,
:func:`vjpchain.reference.check_rule`, run once per declaration as a user's own test suite
would call it; the NumPy path and mpmath arithmetic are checked against the same references.
"""

import math

import mpmath
import numpy as np
import pytest

from vjpchain import Parametric, default_registry, power, scale, shift
from vjpchain.domain import sweep_points
from vjpchain.exact import digits, evaluate
from vjpchain.generic import MPF
from vjpchain.reference import check_rule, ulp_error

# every unary declaration with a derivative: the built-ins
RULES = [r for r in default_registry.rules() if r.derivative is not None]
# the parametric families are declared by their class; each instance is a primitive
FAMILIES = {key for r in default_registry.rules() for key in r.keys
            if isinstance(key, type) and issubclass(key, Parametric)}
FAMILY_INSTANCES = [power(3), power(3.0), power(2), power(0.5), power(-1.5),
                    scale(2.5), scale(-3.0), shift(1.0), shift(-0.5)]

# the sweep: sweep_points' magnitudes per sign (about 900-1600 points a rule, edges,
# subnormals, every binade from 1e-3 to 1e3 and the declared special points included),
# against references at 60 digits
SWEEP_N = 400
REFERENCE_DPS = 60


def _derivative(rule, x):
    return rule.derivative(x, rule.primal(x))


def _declared_reference(rule):
    assert rule.reference is not None, f"{rule.name} declares no mpmath reference derivative"
    return rule.reference


def test_the_sweep_covers_every_declaration_and_family():
    assert len(RULES) >= 32
    assert {type(p) for p in FAMILY_INSTANCES} == FAMILIES
    for rule in RULES:
        _declared_reference(rule)


@pytest.mark.parametrize(
    "primitive", [r.name for r in RULES] + FAMILY_INSTANCES, ids=str)
def test_float_derivative_within_tolerance_over_domain(primitive):
    report = check_rule(primitive, dps=REFERENCE_DPS, n=SWEEP_N)
    assert report.passed, report.table()
    # a check that excused its points would pass vacuously
    checked = [row for row in report.rows if not row.excused]
    assert len(checked) >= 0.95 * len(report.rows) > 0, report.table()


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_numpy_derivative_within_tolerance_over_domain(rule):
    xs = sweep_points(rule.domain, n=250, seed=2)
    with np.errstate(all="ignore"):
        values = np.broadcast_to(_derivative(rule, np.array(xs)), (len(xs),))
    exact = _declared_reference(rule)
    bad = []
    with mpmath.workdps(REFERENCE_DPS):
        for x, v in zip(xs, values, strict=True):
            err = ulp_error(float(v), exact(mpmath.mpf(x)))
            if err > rule.ulps:  # nothing excused, next to zeros of the derivative neither
                bad.append((x, float(v), err))
    assert not bad, f"{rule.name}: {len(bad)} points over {rule.ulps} ulp, worst " \
                    f"{max(bad, key=lambda b: b[2])}"


_F32_MAX = float(np.finfo(np.float32).max)


def _ulps32(computed, exact):
    """|computed - exact| in float32 spacings at exact (subnormal spacing below normal)."""
    _, e = mpmath.frexp(exact)
    return float(abs(mpmath.mpf(float(computed)) - exact) / mpmath.ldexp(1, max(e - 24, -149)))


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_float32_derivative_within_one_float32_ulp(rule):
    """float32 arrays compute in float64 and round once (NumPy's own float32 exp made exp'
    and expm1' 2 float32 ulps off)."""
    x32 = np.array([x for x in sweep_points(rule.domain, n=200, seed=5) if abs(x) <= _F32_MAX],
                   dtype=np.float32)
    with np.errstate(all="ignore"):
        values = np.broadcast_to(_derivative(rule, x32), x32.shape)
    if rule.name not in ("neg", "abs", "square"):  # constants or x-linear: dtype of a number
        assert values.dtype == np.float32, rule.name
    ctx = digits(REFERENCE_DPS)
    bad = []
    for x, v in zip(x32.tolist(), values.tolist(), strict=True):
        try:
            ref = evaluate(rule.reference, ctx, x)
        except (ArithmeticError, ValueError):
            continue
        if not isinstance(ref, MPF) or not mpmath.isfinite(ref) or abs(ref) > _F32_MAX:
            continue
        if ref == 0:
            ok = v == 0
        else:
            ok = math.isfinite(v) and _ulps32(v, ref) <= 1.0
        if not ok:
            bad.append((x, v))
    assert not bad, f"{rule.name}: {len(bad)} float32 points over 1 ulp: {bad[:5]}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_mpmath_derivative_to_working_precision(rule):
    """At 50 digits the derivative agrees with the reference to at least 49 digits (the
    whole sweep at dps 50 and 100 is tests/test_mp_accuracy.py; this one keeps the gamma
    family, which that sweep leaves to its own work for now)."""
    xs = [x for x in sweep_points(rule.domain, n=8, seed=3) if 1e-30 < abs(x) < 1e30][:12]
    exact = _declared_reference(rule)
    for x in xs:
        with mpmath.workdps(50):
            xm = mpmath.mpf(x)
            got = _derivative(rule, xm)
        with mpmath.workdps(80):
            ref = exact(mpmath.mpf(x))
            if ref == 0:
                continue
            rel = abs((got - ref) / ref)
        assert rel < mpmath.mpf(10) ** -49, (rule.name, x, got, ref)


def test_the_tanh_tail_is_not_flushed():
    """The textbook 1 - tanh(x)**2 is 0.0 at x = 20; the true value is 1.7e-17."""
    rule = default_registry.lookup("tanh")
    assert _derivative(rule, 20.0) == pytest.approx(1.6993417021166355e-17, rel=1e-15)
    assert 0 < _derivative(rule, 370.0) < 1e-300
    assert math.isfinite(_derivative(rule, 1e308))


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_each_declared_reference_is_the_derivative_of_the_primal(rule):
    """The references the sweeps trust are checked themselves: each declared mpmath
    derivative agrees with mpmath's numerical differentiation of the primal in mpmath (at
    points inside the domain, away from its edges), to 30 digits at 60."""
    from vjpchain.mpcontext import at_precision

    ctx = at_precision(200)
    points = [x for x in sweep_points(rule.domain, n=6, seed=9)
              if 1e-3 < abs(x) < 30 and rule.domain.lo + 0.01 < x < rule.domain.hi - 0.01
              and x % 1 != 0][:8]
    assert points, rule.name
    for x in points:
        xm = ctx.mpf(x)
        declared = evaluate(rule.reference, ctx, x)  # in ctx, as the sweeps evaluate it
        numeric = ctx.diff(rule.primal, xm)
        assert abs(declared - numeric) <= abs(declared) * ctx.mpf(10) ** -30 + \
            ctx.mpf(10) ** -40, (rule.name, x, declared, numeric)
