"""Double-double exp, expm1, log1p and log against mpmath, on both backends."""

import math

import mpmath
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vjpchain.float64.dd import (
    dd_exp,
    dd_exp_scaled,
    dd_expm1,
    dd_expm1_scaled,
    dd_log,
    dd_log1p,
)
from vjpchain.float64.ops import FLOAT_OPS

# The helpers promise about 2**-66; a result rounded to plain double is off by up to 2**-53.
TOL = 2.0 ** -62


def rel_err(hi, lo, exact, scale_exp=0):
    with mpmath.workdps(50):
        value = (mpmath.mpf(hi) + mpmath.mpf(lo)) * mpmath.mpf(2) ** int(scale_exp)
        return float(abs(value - exact) / abs(exact))


def dd_args(lo_bound, hi_bound):
    """A double-double (hi, lo) with hi in the range and |lo| <= ulp(hi)/2."""
    return st.tuples(
        st.floats(lo_bound, hi_bound, allow_nan=False, allow_infinity=False),
        st.floats(-0.5, 0.5),
    ).map(lambda t: (t[0], t[1] * (math.ulp(t[0]) if t[0] else 0.0)))


def mp_dd(hi, lo):
    return mpmath.mpf(hi) + mpmath.mpf(lo)


@given(dd_args(-2000.0, 2000.0))
def test_exp_scaled_matches_mpmath(x):
    mh, ml, k = dd_exp_scaled(*x, FLOAT_OPS)
    assert 0.98 < mh < 1.99 and k == int(k)
    with mpmath.workdps(50):
        assert rel_err(mh, ml, mpmath.exp(mp_dd(*x)), k) < TOL


@pytest.mark.parametrize("x", [0.0, 1e-300, -1e-300, 5e-324, 0.0108, -0.0108, 0.3466, 709.78,
                               -745.1, 2000.0, -2000.0, 2.0 ** -30])
def test_exp_scaled_edges(x):
    mh, ml, k = dd_exp_scaled(x, 0.0, FLOAT_OPS)
    with mpmath.workdps(50):
        assert rel_err(mh, ml, mpmath.exp(x), k) < TOL


def test_exp_over_and_underflow_without_raising():
    assert dd_exp(710.0, 0.0, FLOAT_OPS)[0] == math.inf
    assert dd_exp(-746.0, 0.0, FLOAT_OPS)[0] == 0.0
    assert dd_exp(1e308, 0.0, FLOAT_OPS)[0] == math.inf
    assert dd_exp(-math.inf, 0.0, FLOAT_OPS)[0] == 0.0
    # just below the overflow threshold the unscaled value is still finite and accurate
    hi, lo = dd_exp(709.78, 0.0, FLOAT_OPS)
    with mpmath.workdps(50):
        assert rel_err(hi, lo, mpmath.exp(709.78)) < TOL


@given(st.one_of(dd_args(-700.0, 700.0), dd_args(-0.05, 0.05)))
def test_expm1_matches_mpmath(x):
    hi, lo = dd_expm1(*x, FLOAT_OPS)
    with mpmath.workdps(50):
        exact = mpmath.expm1(mp_dd(*x))
        if exact == 0:
            assert hi == 0.0
        else:
            assert rel_err(hi, lo, exact) < TOL


@given(st.integers(-1070, -1), st.floats(0.5, 1.0), st.sampled_from([1.0, -1.0]))
def test_expm1_keeps_relative_accuracy_for_tiny_arguments(e, m, sign):
    x = sign * math.ldexp(m, e)
    hi, lo = dd_expm1(x, 0.0, FLOAT_OPS)
    with mpmath.workdps(50):
        assert rel_err(hi, lo, mpmath.expm1(x)) < TOL


def test_expm1_scaled_does_not_overflow():
    ih, il, k1 = dd_expm1_scaled(710.4, 0.0, FLOAT_OPS)
    assert math.isfinite(ih) and k1 > 1000
    with mpmath.workdps(50):
        assert rel_err(ih, il, mpmath.expm1(710.4), k1) < TOL


@given(st.one_of(dd_args(-0.999999, 1e6), dd_args(-1e-10, 1e-10),
                 st.floats(1e6, 1.7e308).map(lambda v: (v, 0.0))))
def test_log1p_matches_mpmath(x):
    hi, lo = dd_log1p(*x, FLOAT_OPS)
    with mpmath.workdps(50):
        exact = mpmath.log1p(mp_dd(*x))
        if exact == 0:
            assert hi == 0.0
        else:
            assert rel_err(hi, lo, exact) < TOL


@given(st.integers(1, 53), st.floats(0.0, 1.0, exclude_max=True))
def test_log1p_near_minus_one(e, m):
    x = -1.0 + math.ldexp(1.0 + m, -e)  # exact: -1 + multiples of 2**-53
    if x <= -1.0:
        return
    hi, lo = dd_log1p(x, 0.0, FLOAT_OPS)
    if x == 0.0:  # e = 1 and m near 1 reach 0, where the relative error is 0 / 0
        assert (hi, lo) == (0.0, 0.0)
        return
    with mpmath.workdps(50):
        assert rel_err(hi, lo, mpmath.log1p(x)) < TOL


def test_log1p_uses_the_low_part():
    # f = 2**-60 + 2**-120: a helper that dropped or rounded away the low part would be off
    # by 2**-60 relative
    f = (2.0 ** -60, 2.0 ** -120)
    hi, lo = dd_log1p(*f, FLOAT_OPS)
    with mpmath.workdps(60):
        assert rel_err(hi, lo, mpmath.log1p(mp_dd(*f))) < 2.0 ** -80


def test_log1p_specials():
    assert dd_log1p(-1.0, 0.0, FLOAT_OPS)[0] == -math.inf
    assert math.isnan(dd_log1p(-2.0, 0.0, FLOAT_OPS)[0])
    assert dd_log1p(math.inf, 0.0, FLOAT_OPS)[0] == math.inf
    assert math.isnan(dd_log1p(math.nan, 0.0, FLOAT_OPS)[0])


@given(st.integers(-1074, 1023), st.floats(0.5, 1.0, exclude_max=True))
def test_log_matches_mpmath_over_all_binades(e, m):
    x = math.ldexp(m, e)
    if x == 0.0:
        return
    hi, lo = dd_log(x, 0.0, FLOAT_OPS)
    with mpmath.workdps(50):
        exact = mpmath.log(x)
        if exact == 0:
            assert hi == 0.0
        else:
            assert rel_err(hi, lo, exact) < TOL


@given(dd_args(0.5, 2.0))
def test_log_near_one_with_low_part(x):
    hi, lo = dd_log(*x, FLOAT_OPS)
    # the low part may lie up to 2**-1074 below hi: the reference needs the bits to see it
    with mpmath.workprec(2200):
        exact = mpmath.log(mp_dd(*x))
        if exact == 0:
            assert hi == 0.0
        else:
            assert rel_err(hi, lo, exact) < TOL


def test_log_one_ulp_from_one():
    for x in (math.nextafter(1.0, 2.0), math.nextafter(1.0, 0.0)):
        hi, lo = dd_log(x, 0.0, FLOAT_OPS)
        with mpmath.workdps(50):
            assert rel_err(hi, lo, mpmath.log(x)) < TOL
    assert dd_log(1.0, 2.0 ** -80, FLOAT_OPS)[0] == 2.0 ** -80


def test_log_specials():
    assert dd_log(0.0, 0.0, FLOAT_OPS)[0] == -math.inf
    assert math.isnan(dd_log(-1.0, 0.0, FLOAT_OPS)[0])
    assert dd_log(math.inf, 0.0, FLOAT_OPS)[0] == math.inf
    assert dd_log(5e-324, 0.0, FLOAT_OPS)[0] == pytest.approx(-744.4400719213812, rel=1e-16)


def test_numpy_path_agrees_with_scalar_path():
    """exp and expm1 use no libm, so they are bit-identical; log and log1p start from the
    backend's libm seed, which may differ by an ulp, and agree to the helpers' accuracy."""
    np = pytest.importorskip("numpy")
    from vjpchain.float64.ops import NumpyOps

    F = NumpyOps()
    rng = np.random.default_rng(5)
    xs = np.concatenate([rng.uniform(-745, 709, 300), rng.uniform(-0.02, 0.02, 100),
                         np.ldexp(rng.uniform(0.5, 1, 100), rng.integers(-1074, 1024, 100)),
                         [0.0, -1.0, math.inf, -math.inf, math.nan]])
    lows = rng.uniform(-0.5, 0.5, xs.size) * np.where(np.isfinite(xs), np.spacing(xs), 0.0)
    cases = [(dd_exp_scaled, xs, True), (dd_expm1, np.minimum(xs, 700.0), True),
             (dd_log1p, xs, False), (dd_log, xs, False)]
    with np.errstate(all="ignore"):
        for fn, arg, exact in cases:
            out = fn(arg, lows, F)
            for i, (x, xl) in enumerate(zip(arg.tolist(), lows.tolist(), strict=True)):
                ref = fn(x, xl, FLOAT_OPS)
                got = [float(part[i]) for part in out]
                if exact or not math.isfinite(ref[0]) or ref[0] == 0.0:
                    for g, r in zip(got, ref, strict=True):
                        assert g == r or (math.isnan(g) and math.isnan(r)), (fn, x)
                else:
                    diff = abs((got[0] - ref[0]) + (got[1] - ref[1]))
                    assert diff <= TOL * abs(ref[0]), (fn, x)
