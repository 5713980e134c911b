"""The float64 kernels of _kern_special (digamma, trigamma, sinc, sinc') against mpmath.

Target: at most 1 ULP wherever the true value is a normal float64 (gradual underflow below),
outside 1e-6 relative of a zero of the function; scalar and NumPy paths bit-identical.
"""

import math

import mpmath
import numpy as np
import pytest

from vjpchain.domain import Domain, sweep_points
from vjpchain.float64 import kern_special as K
from vjpchain.float64.ops import FLOAT_OPS, NumpyOps
from vjpchain.reference import excused_near_zero, ulp_error

NP = NumpyOps()
ROOT = 1.4616321449683622


def _trigamma_ref(x):
    # mpmath.psi(1, x) is very slow for large negative x; the reflection is exact math and
    # cancels by at most a factor ~1.2 (psi' > 0 has no real zeros)
    if x < 0:
        with mpmath.extradps(20):
            return mpmath.pi**2 / mpmath.sinpi(x) ** 2 - mpmath.psi(1, 1 - x)
    return mpmath.psi(1, x)


def _sinc_ref(x):
    return mpmath.mpf(1) if x == 0 else mpmath.sinpi(x) / (mpmath.pi * x)


def _d_sinc_ref(x):
    if x == 0:
        return mpmath.mpf(0)
    # cos(pi x) pi x - sin(pi x) cancels like x**3 near 0: add digits accordingly
    with mpmath.extradps(2 * max(0, -int(mpmath.log10(abs(x)))) + 10):
        t = mpmath.pi * x
        return (mpmath.cospi(x) * t - mpmath.sinpi(x)) / (t * x)


POLES = Domain(excluded_integers_below=0.0, special=(ROOT, -0.5040830082644554, -1.0, -2.0))
CASES = {
    "digamma": (K.digamma, mpmath.digamma, POLES),
    "trigamma": (K.trigamma, _trigamma_ref, POLES),
    "sinc": (K.sinc, _sinc_ref, Domain(special=(0.0, 0.5, 1.0, 1.5, 2.5))),
    "d_sinc": (K.d_sinc, _d_sinc_ref, Domain(special=(0.0, 0.5, 1.0, 1.5, 2.5, 1.4303))),
}


def _check(name, xs, ulps=1.0):
    kernel, ref, domain = CASES[name]
    xs = [x for x in xs if x in domain]
    with np.errstate(all="ignore"):
        arr = kernel(np.array(xs, dtype=np.float64), NP)
    bad = []
    with mpmath.workdps(60):
        for x, a in zip(xs, arr, strict=True):
            s = kernel(x, FLOAT_OPS)
            assert s == a or (math.isnan(s) and math.isnan(a)), (name, x, s, a)
            err = ulp_error(s, ref(mpmath.mpf(x)))
            if err > ulps and not excused_near_zero(ref, x):
                bad.append((x, s, err))
    worst = max(bad, key=lambda b: b[2]) if bad else None
    assert not bad, f"{name}: {len(bad)} points over {ulps} ulp, worst {worst}"


def _around(x0, rels=(1.0001e-6, 1e-5, 1e-3, 0.1)):
    return [x0 * (1 + s * r) for r in rels for s in (1, -1)]


def _ulps_around(x, k=3):
    out, a, b = [x], x, x
    for _ in range(k):
        a, b = math.nextafter(a, math.inf), math.nextafter(b, -math.inf)
        out += [a, b]
    return out


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("seed", [0, 1])
def test_sweep_within_one_ulp(name, seed):
    _check(name, sweep_points(CASES[name][2], n=300, seed=seed))


def test_digamma_next_to_its_zeros_and_poles():
    xs = []
    for n in range(12):
        with mpmath.workdps(40):  # the zero of psi in (-n-1, -n)
            x0 = float(mpmath.findroot(mpmath.digamma, (-n - mpmath.mpf(0.99), -n - 0.01),
                                       solver="illinois"))
        xs += _around(x0)
    xs += _ulps_around(ROOT, 6) + _around(ROOT, (1e-12, 1e-9, 1e-6, 1e-3, 0.04, 0.05))
    xs += _ulps_around(ROOT + 0.0625) + _ulps_around(ROOT - 0.0625)
    for n in (1.0, 2.0, 7.0, 1e6, 2.0**51, 2.0**52 - 1):
        xs += _ulps_around(-n)[1:] + [-n + 1e-9, -n - 1e-9, -n + 0.5, -n - 0.25]
    xs += _ulps_around(2.0**-30) + _ulps_around(-(2.0**-30)) + _ulps_around(10.0)
    xs += [5e-324, -5e-324, 1e-310, 1.7976931348623157e308, 1e300, -(2.0**52) + 0.5]
    _check("digamma", xs)
    _check("trigamma", xs)


def test_sinc_next_to_the_zeros_of_its_derivative_and_at_half_integers():
    xs = []
    for k in (1, 2, 3, 7, 20, 1000, 10**6):
        with mpmath.workdps(40):  # the zero of sinc' in (k, k + 1/2)
            x0 = float(mpmath.findroot(
                lambda x: mpmath.sinpi(x) - mpmath.pi * x * mpmath.cospi(x),
                (k + mpmath.mpf(0.01), k + mpmath.mpf(0.5)), solver="illinois"))
        xs += _around(x0) + _around(-x0)
    xs += [k + 0.5 for k in range(40)] + [2.0**j + 0.5 for j in range(1, 52)]
    for x in (0.25, 2.0**52, 2.0**53, 2.0**-900, 2.0**-1022, 1e308):
        xs += _ulps_around(x) + _ulps_around(-x)
    _check("sinc", xs)
    _check("d_sinc", xs)


def test_edges_do_not_raise():
    for x in (0.0, -0.0, -1.0, -3.0, 5e-324, 1.7976931348623157e308):
        assert not math.isnan(K.sinc(x, FLOAT_OPS))
        assert not math.isnan(K.d_sinc(x, FLOAT_OPS))
        K.digamma(x, FLOAT_OPS)
        K.trigamma(x, FLOAT_OPS)
    assert K.digamma(0.0, FLOAT_OPS) == -math.inf
    assert K.trigamma(-2.0, FLOAT_OPS) == math.inf
    assert K.d_sinc(0.0, FLOAT_OPS) == 0.0
    assert K.d_sinc(1.7976931348623157e308, FLOAT_OPS) == 1 / 1.7976931348623157e308


def test_constants_match_mpmath():
    with mpmath.workdps(50):
        def dd(v):
            return float(v), float(v - float(v))

        assert K._ROOT == dd(mpmath.findroot(mpmath.digamma, 1.46))
        assert K._ROOT_C1 == dd(mpmath.psi(1, mpmath.findroot(mpmath.digamma, 1.46)))
        assert K._PI == dd(mpmath.pi)
        for k, c in enumerate(K._SIN_DD):
            assert c == dd((-1) ** k * mpmath.pi ** (2 * k + 1) / mpmath.factorial(2 * k + 1))
        for k, c in enumerate(K._COS_DD):
            assert c == dd((-1) ** k * mpmath.pi ** (2 * k) / mpmath.factorial(2 * k))
        for k, c in enumerate(K._PSI_ASYM, start=1):
            assert c == float(mpmath.bernpoly(2 * k, 0.5) / (2 * k))
        for (ch, cl), c in zip(K._LOG_LNC, K._LOG_C, strict=True):
            assert (ch, cl) == dd(mpmath.log(c))
