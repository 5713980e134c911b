"""Float64 primal values of every built-in, in ULPs against mpmath at 200 bits.

``val_and_grad`` returns y as well as y': y must be within 1 ulp too. Driven by the registry:
each unary rule's primal over ``sweep_points`` of its domain (edges, subnormals, every binade
from 1e-3 to 1e3, the declared special points), on floats and on a float64 array, against
the same primal called on an mpf of a private 200-bit context. Then dense sweeps over the
hard regions of the primitives whose libm value was more than 1 ulp off (cbrt, tanh, sinh,
cosh, atanh, erfc), and their special values.
"""

import math
import random

import numpy as np
import pytest

import vjpchain
from vjpchain import default_registry
from vjpchain.domain import sweep_points
from vjpchain.exact import evaluate, ulp_error
from vjpchain.generic import MPF
from vjpchain.mpcontext import at_precision

CTX = at_precision(200)
SKIP: set[str] = set()  # none: lgamma has its own kernel (tests/test_gamma_accuracy.py)
RULES = [r for r in default_registry.rules()
         if r.arity == 1 and r.derivative is not None and r.name not in SKIP]


def _exact(f, x):
    """``f(x)`` in the 200-bit context, or None where it has no finite real value."""
    try:
        y = evaluate(f, CTX, x)
    except (ArithmeticError, ValueError):
        return None
    return y if isinstance(y, MPF) and CTX.isfinite(y) else None


def _worst(f, xs):
    """The largest error in ulps of ``f`` over the floats ``xs``, on floats and on one
    float64 array, and where it is."""
    with np.errstate(all="ignore"):
        on_array = f(np.array(xs)).tolist()
    worst = (0.0, None, "")
    for x, y_array in zip(xs, on_array, strict=True):
        try:
            y = f(x)
        except (ArithmeticError, ValueError):
            continue  # a pole: the float path refuses it, as the chain does
        exact = _exact(f, x)
        if exact is None:
            continue
        for path, value in (("float", y), ("NumPy", y_array)):
            err = ulp_error(value, exact)
            if err > worst[0]:
                worst = (err, x, path)
    return worst


def test_the_sweep_covers_the_unary_built_ins():
    assert len(RULES) >= 30
    assert {"cbrt", "tanh", "sinh", "cosh", "atanh", "erfc", "erf", "exp"} <= {
        r.name for r in RULES}


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_primal_within_one_ulp_over_domain(rule):
    err, x, path = _worst(rule.primal, sweep_points(rule.domain, n=300, seed=0))
    assert err <= 1.0, f"{rule.name}: {err:.3f} ulp at {x!r} ({path} path)"


def _log_uniform(rng, lo_exp, hi_exp, n, signed=True):
    out = []
    for _ in range(n):
        x = math.ldexp(rng.uniform(1.0, 2.0), rng.randint(lo_exp, hi_exp))
        out.append(-x if signed and rng.random() < 0.5 else x)
    return out


def _uniform(rng, lo, hi, n):
    return [rng.uniform(lo, hi) for _ in range(n)]


def _near(points, steps=3):
    """Each point and its float neighbours, ``steps`` on each side."""
    out = []
    for p in points:
        lo = hi = p
        out.append(p)
        for _ in range(steps):
            lo, hi = math.nextafter(lo, -math.inf), math.nextafter(hi, math.inf)
            out.extend((lo, hi))
    return out


def _hard_points(name):
    rng = random.Random(20260517)
    if name == "cbrt":
        # every binade, subnormals, and both sides of the kernel's rescaling at 2**+-600
        return (_log_uniform(rng, -1074, 1023, 700) + _uniform(rng, -10.0, 10.0, 300)
                + _near([2.0 ** 600, -(2.0 ** 600), 2.0 ** -600, 5e-324, 1.7976931348623157e308]))
    if name == "tanh":
        # glibc's worst region is |x| in 0.1..5; the kernel's switches at 2**-27 and 20
        return (_uniform(rng, -5.0, 5.0, 600) + _log_uniform(rng, -35, 4, 300)
                + _uniform(rng, 5.0, 19.5, 100) + _near([2.0 ** -27, 19.0615, 20.0]))
    if name in ("sinh", "cosh"):
        edge = 710.4758600739439  # both overflow just beyond
        return (_uniform(rng, -8.0, 8.0, 500) + _uniform(rng, -edge, edge, 300)
                + _log_uniform(rng, -40, 2, 200) + _near([edge, -edge, 709.78]))
    if name == "atanh":
        one = [1.0 - math.ldexp(1.0, -k) for k in range(1, 54)]
        return (_uniform(rng, -1.0, 1.0, 600) + _log_uniform(rng, -35, -1, 300)
                + _near([math.nextafter(1.0, 0.0), 2.0 ** -27]) + one + [-v for v in one])
    if name == "erfc":
        # glibc's bad range 1..27, the subnormal tail from 26.55, every boundary of the
        # kernel's erfcx table (j/2 + 1/4), and the negative side 1 + erf(|x|)
        bounds = [j * 0.5 + 0.25 for j in range(55)]
        return (_uniform(rng, 0.0, 27.3, 900) + _uniform(rng, 26.5, 27.3, 150)
                + _uniform(rng, -6.5, 0.0, 300) + _log_uniform(rng, -40, -1, 100)
                + _near(bounds, 1) + _near([27.2, 26.55, 27.5], 2))
    raise AssertionError(name)


@pytest.mark.parametrize("name", ["cbrt", "tanh", "sinh", "cosh", "atanh", "erfc"])
def test_primal_within_one_ulp_in_hard_regions(name):
    f = getattr(vjpchain, name)
    err, x, path = _worst(f, _hard_points(name))
    assert err <= 1.0, f"{name}: {err:.3f} ulp at {x!r} ({path} path)"


@pytest.mark.parametrize("name", ["cbrt", "tanh", "sinh", "cosh", "atanh", "erfc"])
def test_float_and_array_paths_agree_bit_for_bit(name):
    # one kernel source: the array path gives the same bits as the float path
    f = getattr(vjpchain, name)
    xs = [x for x in _hard_points(name) if not (name == "atanh" and abs(x) >= 1)]
    with np.errstate(all="ignore"):
        on_array = f(np.array(xs)).tolist()
    assert on_array == [f(x) for x in xs]


SPECIAL_VALUES = [
    ("cbrt", 0.0, 0.0), ("cbrt", -0.0, -0.0), ("cbrt", math.inf, math.inf),
    ("cbrt", -math.inf, -math.inf), ("cbrt", -8.0, -2.0),
    ("cbrt", 5e-324, 1.7031839360032603e-108),
    ("tanh", -0.0, -0.0), ("tanh", math.inf, 1.0), ("tanh", -math.inf, -1.0),
    ("tanh", 5e-324, 5e-324), ("tanh", -25.0, -1.0),
    ("sinh", -0.0, -0.0), ("sinh", 1000.0, math.inf), ("sinh", -1000.0, -math.inf),
    ("sinh", -math.inf, -math.inf), ("cosh", -0.0, 1.0), ("cosh", -1000.0, math.inf),
    ("cosh", -math.inf, math.inf),
    ("atanh", -0.0, -0.0), ("atanh", 5e-324, 5e-324),
    ("erfc", 0.0, 1.0), ("erfc", -0.0, 1.0), ("erfc", math.inf, 0.0), ("erfc", -math.inf, 2.0),
    ("erfc", 30.0, 0.0), ("erfc", -30.0, 2.0), ("erfc", 5e-324, 1.0),
]


@pytest.mark.parametrize(("name", "x", "expected"), SPECIAL_VALUES)
def test_special_values(name, x, expected):
    f = getattr(vjpchain, name)
    for y in (f(x), float(f(np.array([x]))[0])):
        assert y == expected and math.copysign(1.0, y) == math.copysign(1.0, expected)


@pytest.mark.parametrize("name", ["cbrt", "tanh", "sinh", "cosh", "atanh", "erfc"])
def test_nan_gives_nan(name):
    f = getattr(vjpchain, name)
    assert math.isnan(f(math.nan))
    assert np.isnan(f(np.array([math.nan]))).all()


def test_atanh_outside_its_domain():
    # a float raises (at the poles and beyond); an array gives inf and nan with NumPy's warnings
    for x in (1.0, -1.0, 2.0, -math.inf):
        with pytest.raises(ValueError):
            vjpchain.atanh(x)
    with np.errstate(all="ignore"):
        y = vjpchain.atanh(np.array([1.0, -1.0, 2.0, -math.inf]))
    assert y[0] == math.inf and y[1] == -math.inf and np.isnan(y[2:]).all()
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        vjpchain.atanh(np.array([1.0]))
    with pytest.warns(RuntimeWarning, match="invalid value"):
        vjpchain.atanh(np.array([2.0]))


def test_float32_rounds_once_from_float64():
    x = np.array([0.3, 1.7, -2.5, 12.0], dtype=np.float32)
    for name in ("cbrt", "tanh", "sinh", "cosh", "erfc"):
        y = getattr(vjpchain, name)(x)
        assert y.dtype == np.float32
        assert y.tolist() == [np.float32(getattr(vjpchain, name)(float(v))) for v in x]


def test_log10_and_acosh_primals_within_half_an_ulp_where_glibc_was_not():
    """glibc's log10 was 1.02 ulp off near 4.6e307 and its acosh 1.14 ulp; next to x = 1,
    acosh's t (t + 2) must not round t + 2 (0.97 ulp at 1 + 7 * 2**-52 before that fix)."""
    ctx = at_precision(200)
    rng = random.Random(12)
    logs = [math.ldexp(rng.random() + 0.5, rng.randint(-1074, 1023)) for _ in range(3000)]
    logs += [4.5819141529320119e+307, 10.0, 1e22, 1e-300, 5e-324, 1.0 + 2**-52, 1.0 - 2**-53]
    acoshs = [1 + k * 2.0**-52 for k in range(1, 400)]
    acoshs += [1 + math.ldexp(rng.random(), rng.randint(-60, 1022)) for _ in range(3000)]
    acoshs += [2.0**28, 2.0**28 - 2**-24, 4.5819141529320119e+307]
    for f, g, xs in ((vjpchain.log10, ctx.log10, logs), (vjpchain.acosh, ctx.acosh, acoshs)):
        xs = [x for x in xs if math.isfinite(x)]
        worst = max(ulp_error(f(x), g(ctx.mpf(x))) for x in xs)
        assert worst <= 0.5 + 2**-10, (f, worst)
        assert np.array_equal(f(np.array(xs)), np.array([f(x) for x in xs]))
    assert vjpchain.log10(1000.0) == 3.0 and vjpchain.acosh(1.0) == 0.0
