"""Float64 partial derivatives of every binary primitive, in ULPs against mpmath at 60 digits.

Driven by the registry: each binary rule's partials are swept over pairs from its domain
(log-uniform magnitudes from the subnormals to 1e308, both signs where allowed, pairs of
close magnitude, near ties, every quadrant for atan2, a near 1 with huge b for pow) on the
scalar path and the NumPy path, against closed forms written here independently of the
library. A new binary primitive fails ``test_every_binary_rule_has_a_reference`` until it
gets a reference and a domain below.
"""

import math
import random
import timeit

import mpmath
import numpy as np
import pytest

import vjpchain as vc
from vjpchain import binary as B
from vjpchain import default_registry
from vjpchain.reference import ulp_error

INF = math.inf
TOLERANCE = 1.0
N_RANDOM = 700
RULES = {r.name: r for r in default_registry.rules() if r.arity == 2}
mpf = mpmath.mpf


# --- references: closed forms in mpmath ---------------------------------------------------------


def _pow_da(a, b):
    return b * mpmath.power(a, b - 1)


def _pow_db(a, b):
    # a**b log a; past |b log a| = 2000 every float64 result has over- or underflowed, and
    # mpmath would spend its time on exponents of a thousand digits
    t = b * mpmath.log(a)
    t = max(min(t, mpf(2000)), mpf(-2000))
    return mpmath.exp(t) * mpmath.log(a)


def _tie(a, b, lo, eq):
    return mpf(1) if lo else (mpf(0.5) if eq else mpf(0))


REFERENCES = {
    "add": (lambda a, b: mpf(1), lambda a, b: mpf(1)),
    "sub": (lambda a, b: mpf(1), lambda a, b: mpf(-1)),
    "mul": (lambda a, b: b, lambda a, b: a),
    "truediv": (lambda a, b: 1 / b, lambda a, b: -a / (b * b)),
    "pow": (_pow_da, _pow_db),
    "atan2": (lambda a, b: b / (a * a + b * b), lambda a, b: -a / (a * a + b * b)),
    "hypot": (lambda a, b: a / mpmath.sqrt(a * a + b * b),
              lambda a, b: b / mpmath.sqrt(a * a + b * b)),
    "maximum": (lambda a, b: _tie(a, b, a > b, a == b), lambda a, b: _tie(a, b, b > a, a == b)),
    "minimum": (lambda a, b: _tie(a, b, a < b, a == b), lambda a, b: _tie(a, b, b < a, a == b)),
}


# --- points -------------------------------------------------------------------------------------

_EXTREMES = [5e-324, 1e-320, 2.0**-1022, 1e-300, 1e-160, 2.0**-511, 1e-20, 0.75, 1.0, 1.5,
             1e20, 2.0**511, 1e160, 1e300, 1.7976931348623157e308]


def _log_uniform(rng, lo=-1074.0, hi=1024.0):
    return math.ldexp(rng.uniform(0.5, 1.0), int(rng.uniform(lo, hi)))


def _close(rng, x, spread):
    """A float within a factor 2**spread of x, random significand (capped at the largest)."""
    m, e = math.frexp(x)
    e = min(max(e + int(rng.uniform(-spread, spread)), -1073), 1024)  # nonzero, finite
    return min(math.ldexp(rng.uniform(0.5, 1.0), e), 1.7976931348623157e308)


def _general_pairs(seed, signs=True, zero_b=True):
    """Pairs over the whole plane: independent magnitudes, close magnitudes, near ties, the
    extremes crossed with each other; both signs on both sides when ``signs``."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(N_RANDOM):
        a = _log_uniform(rng)
        b = _log_uniform(rng) if rng.random() < 0.4 else _close(rng, a, rng.choice((2, 30, 70)))
        pairs.append((a, b))
    for _ in range(60):
        b = _log_uniform(rng)
        for k in (-53, -52, -50, -30, 0):
            pairs.append((b * (1 + 2.0**k) if k else b, b))
        pairs.append((math.nextafter(b, INF), b))
    pairs += [(a, b) for a in _EXTREMES for b in _EXTREMES]
    pairs += [(0.0, b) for b in _EXTREMES] + [(b, 0.0) for b in _EXTREMES if zero_b]
    if signs:
        pairs = [(sa * a, sb * b) for (a, b) in pairs for sa, sb in
                 [((1, 1), (1, -1), (-1, 1), (-1, -1))[rng.randrange(4)]]]
        pairs += [(-a, b) for a, b in pairs[:200]] + [(a, -b) for a, b in pairs[200:400]]
    return pairs


def _pow_pairs(seed):
    """a > 0; b chosen so that b log a covers the finite range and beyond, a next to 1 with
    b up to 1e300, and plain log-uniform b (mostly over- or underflowing results)."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(N_RANDOM):
        a = _log_uniform(rng)
        if a == 1.0:
            continue
        t = rng.uniform(-800.0, 760.0)
        pairs.append((a, t / math.log(a)))
    near_one = [1 + k * 2.0**-52 for k in (1, 2, 3, 1000)] + [1 - k * 2.0**-53 for k in (1, 2, 7)]
    near_one += [1 + rng.uniform(-1e-8, 1e-8) for _ in range(40)]
    for a in near_one:
        if a == 1.0:
            continue
        for t in (-760.0, -700.0, -1.0, -1e-10, 1e-10, 1.0, 300.0, 709.0, 709.9, 760.0):
            pairs.append((a, t / math.log(a)))
        pairs += [(a, s * b) for b in (1e20, 1e300, 1.7976931348623157e308) for s in (1, -1)]
    for _ in range(300):
        pairs.append((_log_uniform(rng), rng.choice((1, -1)) * _log_uniform(rng)))
    pairs += [(1.0, b) for b in (1e-300, 2.0, 1e300)] + [(0.5, -1024.3), (0.5, -1030.0)]
    pairs += [(a, b) for a in _EXTREMES for b in (0.5, 2.0, -3.0, 1e-10)]
    return pairs


def _pow_negative_base_pairs(seed):
    """a < 0 with integer b: only d/da is real there."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(250):
        a = -_log_uniform(rng, -40, 40)
        b = float(rng.randint(-60, 60))
        pairs.append((a, b))
    pairs += [(-1.0 - 2.0**-52, float(2**k)) for k in range(40, 56)]
    pairs += [(-0.5, 1074.0), (-2.0, 1025.0), (-2.0, 1024.0), (-3.0, 2.0**60)]
    return pairs


def _domain_pairs(name, seed):
    """``{label: (indices of the partials defined there, pairs)}``."""
    if name == "pow":
        return {"a>0": ((0, 1), _pow_pairs(seed)),
                "a<0": ((0,), _pow_negative_base_pairs(seed))}
    if name == "truediv":
        return {"b!=0": ((0, 1), _general_pairs(seed, zero_b=False))}
    return {"plane": ((0, 1), _general_pairs(seed))}


# --- the sweep ----------------------------------------------------------------------------------


def _sign_changes_near(ref, a, b, rel=1e-6):
    """True when the partial has a zero within ``rel`` of (a, b) (ULPs mean nothing there)."""
    values = [ref(mpf(a) * (1 + s * rel), mpf(b)) for s in (-1, 1)]
    values += [ref(mpf(a), mpf(b) * (1 + s * rel)) for s in (-1, 1)]
    values = [v for v in values if mpmath.isfinite(v)]
    return any(v == 0 for v in values) or len({v > 0 for v in values}) > 1


def _errors(name, index, pairs, values):
    ref = REFERENCES[name][index]
    out = []
    with mpmath.workdps(60):
        for (a, b), v in zip(pairs, values, strict=True):
            exact = ref(mpf(a), mpf(b))
            err = ulp_error(float(v), exact)
            if err > TOLERANCE and _sign_changes_near(ref, a, b):
                err = 0.0
            out.append((err, a, b, float(v)))
    return out


def _scalar_values(rule, index, pairs):
    return [rule.partials[index](a, b, rule.primal(a, b)) for a, b in pairs]


def _numpy_values(rule, index, pairs):
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    with np.errstate(all="ignore"):
        y = rule.primal(a, b)
        return np.broadcast_to(rule.partials[index](a, b, y), a.shape)


CASES = [(name, index, which) for name in sorted(RULES)
         for which, (indices, _) in _domain_pairs(name, 0).items() for index in indices]


def test_every_binary_rule_has_a_reference():
    assert set(RULES) <= set(REFERENCES), set(RULES) - set(REFERENCES)


_RESULTS = {}


def _sweep(name, index, which):
    key = name, index, which
    if key not in _RESULTS:
        rule = RULES[name]
        pairs = _domain_pairs(name, 7)[which][1]
        scalar = _scalar_values(rule, index, pairs)
        vector = _numpy_values(rule, index, pairs)
        _RESULTS[key] = (pairs, scalar, vector, _errors(name, index, pairs, scalar),
                         _errors(name, index, pairs, vector))
    return _RESULTS[key]


@pytest.mark.parametrize("name, index, which", CASES)
def test_partials_within_one_ulp_on_both_paths(name, index, which):
    pairs, scalar, vector, err_s, err_v = _sweep(name, index, which)
    worst_s, worst_v = max(err_s), max(err_v)
    assert worst_s[0] <= TOLERANCE, f"{name} d/d{'ab'[index]} scalar: worst {worst_s}"
    assert worst_v[0] <= TOLERANCE, f"{name} d/d{'ab'[index]} numpy: worst {worst_v}"


@pytest.mark.parametrize("name, index, which",
                         [c for c in CASES if c[0] in ("truediv", "hypot", "atan2")])
def test_kernels_without_libm_seeds_agree_bit_for_bit(name, index, which):
    """No libm call but the correctly rounded sqrt: the scalar and array paths are one."""
    _, scalar, vector, _, _ = _sweep(name, index, which)
    assert np.array_equal(np.array(scalar, dtype=float), vector, equal_nan=True)


# --- edges --------------------------------------------------------------------------------------


def test_origin_gives_the_zero_subgradient():
    for f in (B.d_hypot, B.d_atan2_y, B.d_atan2_x):
        for a, b in ((0.0, 0.0), (-0.0, 0.0), (0.0, -0.0)):
            assert f(a, b) == 0.0
            assert f(np.array([a]), np.array([b]))[0] == 0.0
    assert vc.grad(lambda a, b: vc.atan2(a, b), 0.0, 0.0) == (0.0, 0.0)


def test_limits_at_infinity_and_nan_propagation():
    assert B.d_hypot(INF, 3.0) == 1.0 and B.d_hypot(-INF, 3.0) == -1.0
    assert B.d_hypot(3.0, INF) == 0.0 and math.isnan(B.d_hypot(INF, INF))
    assert B.d_atan2_y(INF, 1.0) == 0.0 and B.d_atan2_x(INF, INF) == 0.0
    assert B.d_div_denominator(2.0, INF) == 0.0 and B.d_div_denominator(2.0, 0.0) == -INF
    assert B.d_pow_exponent(0.0, 2.0) == 0.0 and B.d_pow_exponent(0.0, -1.0) == -INF
    assert B.d_pow_exponent(INF, -1.0) == 0.0 and B.d_pow_exponent(INF, 0.5) == INF
    assert B.d_pow_exponent(1.0, INF) == 0.0 and B.d_pow_exponent(2.0, INF) == INF
    assert B.d_pow_exponent(0.5, INF) == 0.0 and B.d_pow_exponent(0.5, -INF) == -INF
    for f in (B.d_hypot, B.d_atan2_y, B.d_atan2_x, B.d_div_denominator, B.d_pow_exponent):
        assert math.isnan(f(math.nan, 1.0)) and math.isnan(f(1.0, math.nan))


def test_results_overflow_exactly_when_the_true_value_does():
    # -a/b**2 right at the largest float, and one ulp beyond
    big = 1.7976931348623157e308
    assert B.d_div_denominator(-big, 1.0) == big
    assert B.d_div_denominator(-big, math.nextafter(1.0, 0.0)) == INF
    # 2**1023.6 * log 2 is finite although 2**1023.6... is not far from overflow
    assert math.isfinite(B.d_pow_exponent(2.0, 1024.4)) and B.d_pow_exponent(2.0, 1024.6) == INF
    assert math.isfinite(B.d_pow_exponent(0.5, -1024.3))  # 0.5**-1024.3 alone overflows


def test_reduced_precision_arrays_round_back():
    a = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    for f in (B.d_hypot, B.d_atan2_y, B.d_atan2_x, B.d_div_denominator, B.d_pow_exponent,
              B.d_pow_base):
        out = f(a, 1.5)
        assert out.dtype == np.float32
        assert np.array_equal(out, f(a.astype(np.float64), 1.5).astype(np.float32))
    assert isinstance(B.d_hypot(np.float32(3), np.float32(4)), np.float32)
    assert B.d_hypot(np.array([3, 0]), 4).dtype == np.float64  # integers compute in float64


def test_other_number_types_use_the_formula():
    with mpmath.workdps(50):
        a, b = mpf(2) / 3, mpf(7) / 5
        got = [B.d_div_denominator(a, b), B.d_pow_exponent(a, b), B.d_hypot(a, b),
               B.d_atan2_y(a, b), B.d_atan2_x(a, b)]
    with mpmath.workdps(80):
        a, b = mpf(2) / 3, mpf(7) / 5
        want = [-a / b**2, a**b * mpmath.log(a), a / mpmath.hypot(a, b), b / (a**2 + b**2),
                -a / (a**2 + b**2)]
        for g, w in zip(got, want, strict=True):
            assert abs(g - w) < abs(w) * mpf(10) ** -45
    assert B.d_div_denominator(1 + 1j, 2j) == pytest.approx(-(1 + 1j) / (2j) ** 2)


def test_scalar_calls_are_fast_enough():
    """A loose guard (the report quotes the measured figures): under 100 us per call."""
    for f, args in ((B.d_div_denominator, (1.5, 3.0)), (B.d_pow_exponent, (1.5, 3.0)),
                    (B.d_hypot, (1.5, 3.0)), (B.d_atan2_x, (1.5, 3.0))):
        per_call = min(timeit.repeat(lambda f=f, args=args: f(*args), number=200, repeat=3))
        assert per_call / 200 < 1e-4
