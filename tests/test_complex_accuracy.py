"""Complex derivatives f'(z) of every holomorphic declaration, in normwise ULPs against its
mpmath reference at 256+ bits, with no excused points.

Driven by the registry: every one-input rule whose primal has a complex path is swept
(``vjpchain.exact.complex_sweep_points`` with the declaration's complex special points), on
the rule's derivative and on the chain path. On a branch cut the reference is taken on the
side the signed zero names, cmath's convention; where the exact derivative is infinite or
undefined an exception or an inf counts as right, a nan never does.
"""

import cmath
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vjpchain import default_registry, val_and_grad
from vjpchain.exact import (
    complex_derivative_error,
    complex_reference,
    complex_sweep_points,
)
from vjpchain.mpcontext import at_precision

TOLERANCE = 4.0  # ulp of |f'(z)|, normwise


def _holomorphic_rules():
    rules = []
    for rule in default_registry.rules():
        if rule.derivative is None or rule.arity != 1:
            continue
        try:
            rule.primal(0.25 + 0.5j)
        except TypeError:  # UnsupportedTypeError: abs has no complex form
            continue
        rules.append(rule)
    return rules


RULES = _holomorphic_rules()


def _over(rule, points, chain=False):
    bad = []
    for z in points:
        err, got = complex_derivative_error(rule, z, chain=chain)
        if err > TOLERANCE:
            bad.append((z, err, got))
    return bad


def test_the_sweep_covers_the_holomorphic_primitives():
    names = {r.name for r in RULES}
    assert names >= {"sin", "cos", "tan", "exp", "exp2", "expm1", "log", "log2", "log10",
                     "log1p", "sqrt", "cbrt", "sinh", "cosh", "tanh", "asin", "acos", "atan",
                     "asinh", "acosh", "atanh", "sigmoid", "softplus", "erf", "erfc", "sinc",
                     "lgamma", "digamma", "reciprocal", "square", "neg"}
    assert "abs" not in names
    for rule in RULES:
        assert rule.reference is not None, f"{rule.name} declares no reference"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_complex_derivative_within_4_ulp_over_sweep(rule):
    # a quarter of benchmarks/accuracy_complex.py's sweep (which runs all of it): the
    # magnitudes every 150 decades, the hard points, the declaration's special points
    points = complex_sweep_points(n_random=15, seed=1, decades=150,
                                  special=rule.domain.complex_special)[::4]
    bad = _over(rule, points)
    assert not bad, f"{rule.name}: {len(bad)} of {len(points)} points over {TOLERANCE} ulp, " \
                    f"worst {max(bad, key=lambda b: b[1])}"
    # the chain path stores the same derivative: checked on every third point
    bad = _over(rule, points[::3], chain=True)
    assert not bad, f"{rule.name} (chain): worst {max(bad, key=lambda b: b[1])}"


_ANGLE = st.floats(-math.pi, math.pi)
_EXPONENT = st.one_of(st.floats(-300, 300), st.floats(-3, 3))


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(RULES), _EXPONENT, _ANGLE)
def test_complex_derivative_within_4_ulp_at_random_points(rule, exponent, angle):
    r = 10.0 ** exponent
    z = complex(r * math.cos(angle), r * math.sin(angle))
    err, got = complex_derivative_error(rule, z)
    assert err <= TOLERANCE, (rule.name, z, err, got)


# --- the known failures of the textbook formulas, each a regression case ------------------------

REGRESSIONS = [
    # branch cuts with signed zeros: 1 - z and z + 1 turned -0.0 into +0.0
    *[(name, complex(s * 2.0, t)) for name in ("asin", "acos", "atanh")
      for s in (1, -1) for t in (0.0, -0.0)],
    *[(name, complex(t, s * 2.0)) for name in ("asinh", "atan")
      for s in (1, -1) for t in (0.0, -0.0)],
    *[("acosh", complex(x, t)) for x in (-2.0, 0.5) for t in (0.0, -0.0)],
    ("cbrt", complex(-8.0, -0.0)), ("sqrt", complex(-4.0, -0.0)),
    # large |z|: z*z overflowed
    ("asin", complex(1.5e154, 1e154)), ("asinh", complex(1e200, -3e199)),
    ("atan", complex(1.5e154, 0.0)), ("atan", complex(1e160, 1e160)),
    ("atanh", complex(1e200, 1.0)), ("acosh", complex(1e300, -1e300)),
    # tan, tanh far from the real (imaginary) axis: cos overflowed, 1 + tan**2 cancels
    ("tan", complex(2.0, 370.0)), ("tan", complex(0.5, 1e10)), ("tan", complex(0.5, -1e10)),
    ("tanh", complex(370.0, 2.0)), ("tanh", complex(1e10, 0.5)),
    # near +-i: 1 + z*z cancelled
    ("atan", complex(1e-9, 1.0)), ("atan", complex(0.0, 1.0 + 2.0 ** -30)),
    ("asinh", complex(1e-9, 1.0)), ("asinh", complex(0.0, -(1.0 + 2.0 ** -30))),
    # erf: z*z rounded before exp
    ("erf", complex(27.0, 5.0)), ("erf", complex(3.0, 26.0)), ("erfc", complex(-20.0, 25.0)),
    ("erf", complex(1e200, 1e200)),
    # exp2: z ln 2 rounded (a phase error of |Im z| ulp)
    ("exp2", complex(3.0, 1e10)), ("exp2", complex(0.0, 1e300)), ("exp2", complex(1024.3, 0.1)),
    # sigmoid and softplus: exp(-z) overflowed; 1 + exp(-z) cancels next to i pi
    ("sigmoid", complex(-800.0, 1.0)), ("softplus", complex(800.0, 1.0)),
    ("sigmoid", complex(1e-8, math.pi)), ("softplus", complex(-1e-8, -math.pi)),
    # 1/z lost a subnormal quotient at the top of the range
    ("log", complex(1e308, 1e308)), ("log1p", complex(1e308, 1e308)),
    # on acosh's cut next to 0 (the reference needs 1 + z to keep z)
    ("acosh", complex(1e-300, -0.0)), ("acosh", complex(-1e-300, 0.0)),
    # trigamma by mpmath's recurrence took time linear in |z|
    ("digamma", complex(-1e300, 1e-300)), ("digamma", complex(-1e6 - 0.5, 1.0)),
]


@pytest.mark.parametrize(("name", "z"), REGRESSIONS, ids=lambda v: repr(v))
def test_complex_derivative_regression(name, z):
    rule = default_registry.lookup(name)
    for chain in (False, True):
        err, got = complex_derivative_error(rule, z, chain=chain)
        assert err <= TOLERANCE, (name, z, "chain" if chain else "derivative", err, got)


CUT_POINTS = [complex(s * r, t) for r in (0.5, 2.0, 1e10) for s in (1, -1)
              for t in (0.0, -0.0)]
CUT_POINTS += [complex(t, s * r) for r in (0.5, 2.0, 1e10) for s in (1, -1)
               for t in (0.0, -0.0)]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_the_reference_takes_the_side_of_the_primal_on_a_cut(rule):
    """The sided reference's convention is the primal's: at points on the axes, with either
    signed zero, the complex primal equals mpmath's value just off the axis on that side."""
    ctx = at_precision(128)
    step = 2.0 ** -100
    for z in CUT_POINTS:
        try:
            y = complex(rule.primal(z))
        except (ValueError, OverflowError, ZeroDivisionError):
            continue
        w = complex(z.real or math.copysign(step, z.real), z.imag or math.copysign(step, z.imag))
        exact = complex(rule.primal(ctx.mpc(w.real, w.imag)))
        # (where the value is 0 on the axis, it is about the step just off it)
        assert abs(y - exact) <= 1e-12 * abs(exact) + 1e-25, (rule.name, z, y, exact)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_the_complex_reference_agrees_with_mpmath_diff(rule):
    """The declared references are closed forms; checked against numerical
    differentiation of the mpmath primal off the cuts (independent of the formulas)."""
    ctx = at_precision(256)
    for z in (0.3 + 0.4j, -1.7 + 0.6j, 2.5 - 1.2j, -0.4 - 2.2j):
        exact = complex_reference(rule, z)
        w = ctx.mpc(z)
        diff = ctx.diff(lambda v: rule.primal(v), w)
        assert abs(diff - exact) <= ctx.mpf(10) ** -50 * abs(exact), (rule.name, z)


def test_branch_cut_derivative_is_the_side_cmath_takes():
    """asin at 2 - 0j: cmath.asin takes the lower side, and so does the derivative."""
    z = complex(2.0, -0.0)
    assert cmath.asin(z).imag < 0
    d = val_and_grad(["asin"], z)[1]
    # below the cut, asin'(2 - i eps) = 1 / sqrt(1 - (2 - i eps)**2) -> -i / sqrt(3)
    assert d.imag < 0 and abs(d - (-1j / math.sqrt(3))) < 1e-15
    assert val_and_grad(["asin"], complex(2.0, 0.0))[1].imag > 0


def test_tan_and_tanh_prime_within_4_ulp_across_the_strip_next_to_the_real_axis():
    """|Im z| < 1 with |tan z| >= 1/2: 1/cos(z)**2 from cmath.cos's parts was up to 7.0 ulp
    off (at -5.2557 + 0.1207j); the double-double form keeps it within 4."""
    import random

    ctx = at_precision(300)
    rng = random.Random(21)
    worst = 0.0
    for _ in range(1500):
        z = complex(rng.uniform(-20, 20), rng.uniform(-0.999, 0.999))
        for name, w in (("tan", z), ("tanh", complex(-z.imag, z.real))):
            exact = 1 / ctx.cos(ctx.mpc(z)) ** 2  # tanh'(w) = sec(-iw)**2 = tan'(z)
            got = val_and_grad([name], w)[1]
            err = float(abs(ctx.mpc(got) - exact) / ctx.mpf(math.ulp(float(abs(exact)))))
            worst = max(worst, err)
    assert worst <= 4.0, worst
