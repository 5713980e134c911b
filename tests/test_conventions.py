"""The special-value conventions (README, "Conventions") hold on every number type.

At nan, +-inf, +-0.0 and the poles, a Python float, a NumPy float64 array, a NumPy scalar
and an mpmath mpf give the same value and derivative, or differ only as documented: a scalar
raises PrimitiveDomainError where NumPy gives nan or inf with a RuntimeWarning, an mpf
outside a real domain is an mpc, and an mpf has one zero. The sweep is driven by the
registry, so a new primitive is checked with no new test code.
"""

import math
import warnings

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vjpchain as vc
from vjpchain import PrimitiveDomainError

NAN, INF = math.nan, math.inf
SPECIAL = (NAN, INF, -INF, 0.0, -0.0)

# the parametric families, by instances that cover their kinds of parameter
FAMILIES = {
    "power": (vc.power(2.0), vc.power(3.0), vc.power(0.5), vc.power(-1.0), vc.power(-2.5)),
    "scale": (vc.scale(2.0), vc.scale(-0.5)),
    "shift": (vc.shift(1.0), vc.shift(-3.0)),
}


def _steps():
    steps = []
    for rule in vc.default_registry.rules():
        if rule.arity != 1:
            continue
        if rule.name in FAMILIES:
            steps += [(f"{rule.name}({step.params()[0]})", step) for step in FAMILIES[rule.name]]
        else:
            assert isinstance(rule.primal, vc.Generic), (
                f"{rule.name} looks parametric: add instances of it to FAMILIES")
            steps.append((rule.name, rule.name))
    return steps


STEPS = _steps()
# the power family (families.py) still disagrees: power(p) for non-integer p at -inf gives
# (inf, nan) on a float (C's pow) but nan on a NumPy array and an mpc on an mpf, and its mpf
# derivative raises at 0 for 0 < p < 1 where a float gives inf
KNOWN_GAPS = {"power(0.5)": "families.py: power(0.5) at -inf and its mpf derivative at 0",
              "power(-2.5)": "families.py: power(-2.5) at -inf"}
CHECKED = [(label, step) for label, step in STEPS if label not in KNOWN_GAPS]

# where each primitive has a pole (no value: float and mpf raise, NumPy gives inf or nan)
POLES = {
    "log": (0.0, -0.0), "log2": (0.0, -0.0), "log10": (0.0, -0.0), "log1p": (-1.0,),
    "atanh": (1.0, -1.0), "reciprocal": (0.0, -0.0),
    "lgamma": (0.0, -0.0, -1.0, -2.0, -7.0, -2.0**60),
    "digamma": (0.0, -0.0, -1.0, -2.0, -7.0, -2.0**60),
}
# derivatives that are constants: kept at a nan input (as JAX and PyTorch do)
CONSTANT_DERIVATIVE = {"neg": -1.0, "scale(2.0)": 2.0, "scale(-0.5)": -0.5, "shift(1.0)": 1.0,
                       "shift(-3.0)": 1.0}

RAISES = "raises"


def outcome(step, x):
    """``(value, derivative, runtime_warnings)`` of ``val_and_grad([step], x)``, or
    ``(RAISES, error, warnings)`` when it raises PrimitiveDomainError."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            y, d = vc.val_and_grad([step], x)
        except PrimitiveDomainError as exc:
            y, d = RAISES, exc
    return y, d, [w for w in caught if issubclass(w.category, RuntimeWarning)]


def same_float(a, b):
    """Equal floats, nan equal to nan, and the sign of zero (and of inf) counted."""
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def same_number(m, f):
    """An mpf equal to a float (mpmath has no signed zero), nan equal to nan."""
    assert isinstance(m, mpmath.mpf), f"expected a real mpf, got {m!r}"
    if mpmath.isnan(m) or math.isnan(f):
        return bool(mpmath.isnan(m)) and math.isnan(f)
    return float(m) == f


def check_point(label, step, x):
    where = f"{label} at {x!r}"
    fy, fd, _ = outcome(step, x)
    ay, ad, array_warnings = outcome(step, np.array([x]))
    sy, sd, _ = outcome(step, np.float64(x))
    my, md, _ = outcome(step, mpmath.mpf(x))
    # a NumPy scalar behaves as a one-element array
    assert sy is not RAISES, f"{where}: a NumPy scalar raised {sd}"
    assert same_float(sy, ay[0]) and same_float(sd, ad[0]), f"{where}: scalar {sy, sd} vs {ay, ad}"
    if fy is RAISES:
        assert not np.isfinite(ay[0]), f"{where}: float raises, NumPy gave {ay[0]!r}"
        assert array_warnings, f"{where}: NumPy gave {ay[0]!r} without a RuntimeWarning"
        assert my is RAISES or isinstance(my, mpmath.mpc), f"{where}: mpf gave {my!r}"
        if x in POLES.get(label, ()):
            assert my is RAISES, f"{where}: a pole, mpf gave {my!r}"
        return
    assert same_float(ay[0], fy) and same_float(ad[0], fd), (
        f"{where}: float {fy!r}, {fd!r} but NumPy {ay[0]!r}, {ad[0]!r}")
    assert not array_warnings, f"{where}: NumPy warned {array_warnings[0].message}"
    assert my is not RAISES, f"{where}: float gives {fy!r}, mpf raised {md}"
    assert same_number(my, fy) and same_number(md, fd), (
        f"{where}: float {fy!r}, {fd!r} but mpf {my!r}, {md!r}")
    if math.isnan(x):
        assert math.isnan(fy), f"{where}: value {fy!r}"
        assert same_float(fd, CONSTANT_DERIVATIVE.get(label, NAN)), f"{where}: derivative {fd!r}"
    else:
        assert not math.isnan(fd), f"{where}: a scalar made a nan derivative from a number"


@pytest.mark.parametrize("label, step", [
    pytest.param(label, step, id=label, marks=[pytest.mark.xfail(reason=KNOWN_GAPS[label])]
                 if label in KNOWN_GAPS else []) for label, step in STEPS])
def test_special_values_agree_on_float_numpy_and_mpmath(label, step):
    """nan, +-inf, +-0.0 and the primitive's poles: the same value and derivative on every
    type, or the documented difference (scalar raises, NumPy inf/nan with a warning)."""
    for x in SPECIAL + POLES.get(label, ()):
        check_point(label, step, x)


def test_every_pole_is_a_pole_of_a_registered_primitive():
    names = {label for label, _ in STEPS}
    assert set(POLES) <= names


def _close(a, b):
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
        return same_float(a, b) or (a == b == 0)
    return math.isclose(a, b, rel_tol=1e-15, abs_tol=1e-300)  # numpy.cbrt is 2 ulp off


_ANY_FLOAT = st.one_of(st.floats(), st.sampled_from(SPECIAL + (1.0, -1.0, -2.0, 0.5)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(x=_ANY_FLOAT)
def test_float_and_numpy_agree_on_every_primitive(x):
    """Anywhere: where the float succeeds NumPy gives the same value and derivative (libm
    and NumPy's own functions may differ by an ulp); where it raises, NumPy gives nan or
    inf with a RuntimeWarning, and a scalar never makes a nan from a number."""
    for label, step in CHECKED:
        fy, fd, _ = outcome(step, x)
        ay, ad, array_warnings = outcome(step, np.array([x]))
        if fy is RAISES:
            assert not np.isfinite(ay[0]) and array_warnings, f"{label} at {x!r}: {ay[0]!r}"
            continue
        assert _close(ay[0], fy) and _close(ad[0], fd), (
            f"{label} at {x!r}: float {fy!r}, {fd!r} but NumPy {ay[0]!r}, {ad[0]!r}")
        if not math.isnan(x):
            assert not math.isnan(fy) and not math.isnan(fd), f"{label} at {x!r}: {fy}, {fd}"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(x=st.one_of(st.floats(-30.0, 30.0), st.sampled_from((-3.0, -1.0, 0.0, 1.0, 2.0))))
def test_float_and_mpf_raise_at_the_same_points(x):
    """A float raises exactly where an mpf raises or leaves the reals (mpc); elsewhere
    the two agree to rounding."""
    for label, step in CHECKED:
        fy, fd, _ = outcome(step, x)
        my, md, _ = outcome(step, mpmath.mpf(x))
        if fy is RAISES:
            assert my is RAISES or isinstance(my, mpmath.mpc), f"{label} at {x!r}: {my!r}"
            continue
        assert my is not RAISES and isinstance(my, mpmath.mpf), f"{label} at {x!r}: {md}"
        for f, m in ((fy, my), (fd, md)):
            assert math.isclose(f, float(m), rel_tol=1e-12, abs_tol=1e-14) or same_float(
                f, float(m)), f"{label} at {x!r}: float {fy!r}, {fd!r}, mpf {my!r}, {md!r}"


# --- abs at nan and 0 ------------------------------------------------------------------------


@pytest.mark.parametrize("convert", [float, np.float64, lambda v: np.array([v]), mpmath.mpf],
                         ids=["float", "numpy scalar", "numpy array", "mpf"])
def test_abs_derivative_is_nan_at_nan_and_zero_at_zero(convert):
    assert math.isnan(float(np.ravel(vc.grad(["abs"], convert(NAN)))[0]))
    assert float(np.ravel(vc.grad(["abs"], convert(0.0)))[0]) == 0.0
    assert math.isnan(float(np.ravel(vc.grad(lambda t: abs(t), convert(NAN)))[0]))


# --- maximum and minimum --------------------------------------------------------------------

_TYPES = [("float", float), ("numpy scalar", np.float64), ("numpy array", lambda v: np.array([v])),
          ("mpf", mpmath.mpf)]
_PAIR_VALUES = st.one_of(st.sampled_from((NAN, INF, -INF, 0.0, -0.0, 1.0, -1.0, 2.5)),
                         st.floats())


def _first(v):
    return float(np.ravel(np.asarray(v, dtype=object))[0])


@settings(max_examples=60, deadline=None)
@given(a=_PAIR_VALUES, b=_PAIR_VALUES)
def test_maximum_and_minimum_propagate_nan_as_numpy_does(a, b):
    """Value as numpy.maximum/minimum on every type, in either order; partials 1 to the
    winner, 1/2 each at a tie, nan to both where either argument is nan."""
    for f, np_f, wins in ((vc.maximum, np.maximum, lambda p, q: p > q),
                          (vc.minimum, np.minimum, lambda p, q: p < q)):
        expected = float(np_f(a, b))
        if math.isnan(a) or math.isnan(b):
            partials = (NAN, NAN)
        elif a == b:
            partials = (0.5, 0.5)
        else:
            partials = (1.0, 0.0) if wins(a, b) else (0.0, 1.0)
        for kind, convert in _TYPES:
            for g in (f, lambda p, q, np_f=np_f: np_f(p, q)) if kind != "mpf" else (f,):
                y, (da, db) = vc.val_and_grad(lambda p, q, g=g: g(p, q), convert(a), convert(b))
                where = f"{f.__name__}({a!r}, {b!r}) on {kind}"
                assert (same_float(_first(y), expected) if kind != "mpf"
                        else _close(_first(y), expected)), f"{where}: {y!r}"
                assert same_float(_first(da), partials[0]), f"{where}: {da!r}"
                assert same_float(_first(db), partials[1]), f"{where}: {db!r}"


def test_maximum_of_nan_and_one_is_nan_in_both_orders():
    """The audit's case: maximum(nan, 1.0) was 1.0 on floats and mpf, nan on NumPy."""
    for kind, convert in _TYPES:
        for a, b in ((NAN, 1.0), (1.0, NAN)):
            y, (da, db) = vc.val_and_grad(lambda p, q: vc.maximum(p, q), convert(a), convert(b))
            assert math.isnan(_first(y)) and math.isnan(_first(da)) and math.isnan(_first(db)), (
                kind, a, b, y, da, db)
    assert math.isnan(vc.jvp(lambda p: vc.minimum(p, 1.0), NAN, 1.0)[1])


# --- lgamma and digamma at their poles and at infinity ----------------------------------------


@settings(max_examples=30, deadline=None)
@given(n=st.one_of(st.integers(1, 2**53), st.sampled_from((1, 2, 3, 10, 171, 2**52))))
def test_gamma_poles_raise_on_scalars_and_give_ieee_values_on_numpy(n):
    x = -float(n)
    for name in ("lgamma", "digamma"):
        for v in (x, mpmath.mpf(x)):
            with pytest.raises(PrimitiveDomainError, match="pole"):
                vc.val_and_grad([name], v)
        with pytest.raises(PrimitiveDomainError, match="pole"):
            vc.grad(lambda t, name=name: getattr(vc, name)(t), x)
    y, d, caught = outcome("lgamma", np.array([x, 1.5]))
    # lgamma(1.5) = ln(sqrt(pi)/2), correctly rounded (math.lgamma(1.5) is 2 ulps off)
    assert y[0] == INF and math.isnan(d[0]) and y[1] == -0.12078223763524522
    assert "divide by zero encountered in lgamma" in str(caught[0].message)
    y, d, caught = outcome("digamma", np.array([x, 1.5]))
    assert math.isnan(y[0]) and d[0] == INF  # psi is -+inf on either side, psi' +inf on both
    assert "divide by zero encountered in digamma" in str(caught[0].message)


def test_gamma_at_zero_follows_the_sign_of_zero_on_numpy():
    with pytest.warns(RuntimeWarning):
        y, d = vc.val_and_grad(["digamma"], np.array([0.0, -0.0]))
    assert list(y) == [-INF, INF] and list(d) == [INF, INF]
    with pytest.warns(RuntimeWarning):
        y, d = vc.val_and_grad(["lgamma"], np.array([0.0, -0.0]))
    assert list(y) == [INF, INF] and list(d) == [-INF, INF]
    for x in (0.0, -0.0, mpmath.mpf(0)):
        with pytest.raises(PrimitiveDomainError, match="pole of lgamma"):
            vc.grad(["lgamma"], x)


def test_gamma_functions_at_infinity_are_their_limits():
    assert vc.val_and_grad(["digamma"], INF) == (INF, 0.0)
    assert vc.val_and_grad(["lgamma"], INF) == (INF, INF)
    assert vc.val_and_grad(["digamma"], mpmath.mpf(INF)) == (INF, 0)
    assert vc.val_and_grad(["lgamma"], mpmath.mpf(INF)) == (INF, INF)
    y, d = vc.val_and_grad(["digamma"], np.array([INF]))
    assert (y[0], d[0]) == (INF, 0.0)
    # at -inf they have no limit (math.lgamma says inf, scipy's gammaln -inf)
    for name in ("lgamma", "digamma"):
        for x in (-INF, mpmath.mpf(-INF)):
            with pytest.raises(PrimitiveDomainError, match="no real value"):
                vc.val_and_grad([name], x)
        with pytest.warns(RuntimeWarning, match="invalid value"):
            assert np.isnan(vc.val_and_grad([name], np.array([-INF]))[0][0])


def test_derivative_at_a_pole_is_a_value_error_naming_the_pole():
    """Nested forward mode reports the pole (PrimitiveDomainError once dual numbers wrap
    domain errors as chains and traced functions do)."""
    with pytest.raises(vc.PrimitiveDomainError, match="pole of lgamma"):
        vc.derivative(["lgamma"], -2.0)


def test_numpy_warnings_follow_errstate():
    with np.errstate(divide="raise"), pytest.raises(PrimitiveDomainError, match="divide"):
        vc.val_and_grad(["digamma"], np.array([-2.0]))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")
        y, _ = vc.val_and_grad(["lgamma"], np.array([-2.0, -INF]))
    assert y[0] == INF and math.isnan(y[1])
