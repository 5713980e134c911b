"""Accuracy of the algebraic derivative kernels (_kern_alg) at the points that break them.

The registry-driven sweep in test_accuracy covers the domains; these tests add the
adversarial points each kernel was designed for (cancellation next to +-1, squares that
overflow, subnormal results, float64 closest to multiples of pi/2) and check that the scalar
and NumPy paths agree bit for bit.
"""

import math
import random

import mpmath
import numpy as np
import pytest

from vjpchain.domain import Domain, sweep_points
from vjpchain.float64 import kern_alg as K
from vjpchain.float64.ops import FLOAT_OPS, NumpyOps
from vjpchain.reference import REFERENCE_DERIVATIVES, ulp_error

NP_OPS = NumpyOps()
INF = math.inf
_rng = random.Random(2024)


def _neighbours(x, k=4):
    out, lo, hi = [x], x, x
    for _ in range(k):
        lo, hi = math.nextafter(lo, -INF), math.nextafter(hi, INF)
        out += [lo, hi]
    return out


def _near_one():
    pts = _neighbours(1.0, 8) + _neighbours(-1.0, 8)
    pts += [s * (1 - 2.0 ** -k) for k in range(1, 54) for s in (1, -1)]
    return pts + [_rng.uniform(0.999999, 1.0) for _ in range(40)]


def _pi_over_2_multiples():
    pts = []
    with mpmath.workprec(1200):
        for k in (1, 3, 5, 101, 2**20 + 1, 10**6 + 1):
            pts += _neighbours(float(mpmath.mpf(k) * mpmath.pi / 2), 2)
        for e in (60, 200, 500, 900, 1020):
            pts.append(float(mpmath.mpf(_rng.getrandbits(e) | 1) * mpmath.pi / 2))
    # the float64 closest to a multiple of pi/2 (|x mod pi/2| ~ 4.7e-19)
    return pts + [6381956970095103.0 * 2.0**797, 5261692873635770.0 * 2.0**499]


SUBNORMAL_AND_HUGE = [5e-324, 1e-320, 2.0**-1022, 2.0**-1023, 1.7976931348623157e308,
                      1e308, 2.0**511, 2.0**512, 2.0**513, 2.0**-511, 2.0**-512, 2.0**-513]

CASES = {
    "tan": (Domain(), _pi_over_2_multiples() + [_rng.uniform(1.04, 1.05) for _ in range(40)]),
    "log": (Domain(0.0, INF), []),
    "log2": (Domain(0.0, INF), []),
    "log10": (Domain(0.0, INF), []),
    "log1p": (Domain(-1.0, INF), _neighbours(-1.0, 8) + [-1 + 2.0**-k for k in range(1, 54)]),
    "sqrt": (Domain(0.0, INF, True), []),
    "cbrt": (Domain(), [_rng.uniform(-30, 30) for _ in range(40)]),
    "asin": (Domain(-1.0, 1.0, True, True), _near_one()),
    "acos": (Domain(-1.0, 1.0, True, True), _near_one()),
    "atan": (Domain(), [_rng.uniform(1e154, 1e162) for _ in range(40)]
             + [_rng.uniform(1, 2) * 2.0**537 for _ in range(10)]),
    "asinh": (Domain(), [_rng.uniform(1e199, 1e201) for _ in range(20)]),
    "acosh": (Domain(1.0, INF, True), _near_one()
              + [_rng.uniform(1e299, 1e301) for _ in range(20)]),
    "atanh": (Domain(-1.0, 1.0), _near_one()),
    "reciprocal": (Domain(excluded=(0.0,)), [_rng.uniform(1, 2) * 2.0**-512 for _ in range(20)]
                   + [_rng.uniform(1, 2) * 2.0**511 for _ in range(20)]),
}
TOLERANCE = {"tan": 2.0}


def _points(name):
    domain, extra = CASES[name]
    pts = sweep_points(domain, n=150, seed=11) + extra + SUBNORMAL_AND_HUGE
    pts += [-x for x in pts]
    return [x for x in dict.fromkeys(pts) if x in domain]


@pytest.mark.parametrize("name", sorted(CASES))
def test_kernel_within_tolerance_and_paths_identical(name):
    kernel = getattr(K, "d_" + name)
    exact = REFERENCE_DERIVATIVES[name]
    xs = _points(name)
    with np.errstate(all="ignore"):
        array = kernel(np.array(xs), NP_OPS)
    worst = (0.0, 0.0)
    with mpmath.workdps(60):
        for x, a in zip(xs, array, strict=True):
            value = kernel(x, FLOAT_OPS)
            assert value == a or (math.isnan(value) and math.isnan(a)), (name, x, value, a)
            worst = max(worst, (ulp_error(value, exact(mpmath.mpf(x))), x))
    assert worst[0] <= TOLERANCE.get(name, 1.0), (name, worst)


def test_singular_points_give_inf_without_raising():
    f = FLOAT_OPS
    assert K.d_sqrt(0.0, f) == INF and K.d_cbrt(0.0, f) == INF and K.d_cbrt(-0.0, f) == INF
    assert K.d_asin(1.0, f) == INF and K.d_asin(-1.0, f) == INF and K.d_acos(1.0, f) == -INF
    assert K.d_acosh(1.0, f) == INF and K.d_log1p(-1.0, f) == INF
    assert K.d_reciprocal(5e-324, f) == -INF and K.d_log2(5e-324, f) == INF
    assert 0.0 < K.d_atan(2.0**537, f) < 1e-300 and K.d_atan(1e300, f) == 0.0


def test_textbook_failures_are_fixed():
    f = FLOAT_OPS
    x = 1 - 2.0**-53
    # 1/sqrt(1 - x*x) rounds x*x to 1 - 2**-52 and loses the last bit: exact is 2**25.5 * ...
    with mpmath.workdps(60):
        assert ulp_error(K.d_asin(x, f), REFERENCE_DERIVATIVES["asin"](mpmath.mpf(x))) <= 0.5
        # x*x overflows here although 1/(1 + x*x) is a normal float
        assert ulp_error(K.d_atan(1e160, f), REFERENCE_DERIVATIVES["atan"](mpmath.mpf(1e160))) <= 1
        # libm's cos is several ulp off at the hardest float64 for argument reduction
        hard = 6381956970095103.0 * 2.0**797
        assert ulp_error(K.d_tan(hard, f), REFERENCE_DERIVATIVES["tan"](mpmath.mpf(hard))) <= 1
