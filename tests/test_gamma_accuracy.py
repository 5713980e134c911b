"""lgamma, digamma and trigamma within 1 ulp on float64 (scalar and NumPy) and to the working
precision on mpmath numbers, next to the zeros of lgamma and the roots of psi included.

References: mpmath at rising precision (``mpcontext.refined``), at 256+ bits for floats.
"""

import math
import random

import mpmath
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import vjpchain as vc
from vjpchain import special as S
from vjpchain.exact import ulp_error
from vjpchain.mpcontext import at_precision, refined
from vjpchain.special import DIGAMMA_ROOTS, LGAMMA_ZEROS


def _lgamma_ref(c, x):
    return c.re(c.loggamma(x))


def _digamma_ref(c, x):
    return c.digamma(x)


def _trigamma_ref(c, x):
    if x < 0:  # reflection: psi(1, x) is slow far out on the negative axis
        return (c.pi / c.sinpi(x)) ** 2 - c.psi(1, 1 - x)
    return c.psi(1, x)


REFS = {"lgamma": _lgamma_ref, "digamma": _digamma_ref, "trigamma": _trigamma_ref}


def _exact(name, x):
    return refined(REFS[name], x, 256)


def _worst(name, xs):
    """The largest ulp error of vjpchain.<name> over xs, scalar and NumPy (same bits)."""
    f = getattr(S, name)
    arr = f(np.array(xs))
    worst = (0.0, 0.0)
    for x, a in zip(xs, arr, strict=True):
        y = f(x)
        assert y == a, (name, x, y, a)
        err = ulp_error(y, _exact(name, x))
        worst = max(worst, (err, x))
    return worst


def _around(x0, k=40):
    out, a, b = [x0], x0, x0
    for _ in range(k):
        a, b = math.nextafter(a, math.inf), math.nextafter(b, -math.inf)
        out += [a, b]
    return [x for x in out if not (x <= 0 and x == math.floor(x))]


def _sign_changes(name, x0):
    """Whether the function changes sign (or vanishes) between x0's neighbours."""
    def value(x):  # lgamma is +inf at a pole next door (-17.000000000000004)
        return mpmath.inf if x == math.floor(x) else _exact(name, x)

    lo = value(math.nextafter(x0, -math.inf))
    hi = value(math.nextafter(x0, math.inf))
    return lo * hi <= 0 or _exact(name, x0) == 0


def test_the_declared_roots_are_the_floats_next_to_them():
    assert all(_sign_changes("lgamma", z) for z in LGAMMA_ZEROS)
    assert all(_sign_changes("digamma", r) for r in DIGAMMA_ROOTS)
    # one psi root per unit interval in (-20, 0), one lgamma zero pair per interval in
    # (-18, -2) while it is a float apart from the integer, and 1 and 2
    assert sorted(math.floor(r) for r in DIGAMMA_ROOTS[1:]) == list(range(-20, 0))
    assert len(LGAMMA_ZEROS) == 2 + 2 * 15 + 1


def test_lgamma_within_one_ulp_next_to_its_zeros():
    xs = [x for z in LGAMMA_ZEROS for x in _around(z)]
    err, x = _worst("lgamma", xs)
    assert err < 1.0, (err, x)


def test_digamma_and_lgamma_derivative_within_one_ulp_next_to_the_roots_of_psi():
    xs = [x for r in DIGAMMA_ROOTS for x in _around(r)]
    err, x = _worst("digamma", xs)
    assert err < 1.0, (err, x)
    for x in xs[::7]:
        y, d = vc.val_and_grad(["lgamma"], x)
        assert d == vc.digamma(x) and y == vc.lgamma(x)


def test_trigamma_within_one_ulp_next_to_the_roots_of_psi():
    xs = [x for r in DIGAMMA_ROOTS for x in _around(r, 5)]
    err, x = _worst("trigamma", xs)
    assert err < 1.0, (err, x)


def _random_points(seed, n):
    rng = random.Random(seed)
    pts = [rng.uniform(-20, 0) for _ in range(n)]
    pts += [-math.exp(rng.uniform(math.log(20), math.log(4e15))) for _ in range(n // 4)]
    pts += [rng.uniform(0, 4) for _ in range(n // 2)]
    pts += [math.exp(rng.uniform(-700, 700)) for _ in range(n // 4)]
    return [x for x in pts if not (x <= 0 and x == math.floor(x))]


def test_random_points_within_one_ulp_on_the_whole_axis():
    xs = _random_points(11, 600)
    for name in ("lgamma", "digamma", "trigamma"):
        err, x = _worst(name, xs if name != "trigamma" else xs[::3])
        assert err < 1.0, (name, err, x)


@settings(max_examples=150, deadline=None)
@given(st.floats(-1e3, 0.0, exclude_max=True))
def test_negative_axis_within_one_ulp(x):
    if x == math.floor(x):
        return
    for name in ("lgamma", "digamma"):
        assert ulp_error(getattr(S, name)(x), _exact(name, x)) < 1.0, (name, x)


def test_lgamma_edges():
    assert vc.lgamma(1.0) == 0.0 and vc.lgamma(2.0) == 0.0
    assert vc.lgamma(2.55e305) < math.inf and vc.lgamma(2.6e305) == math.inf
    assert vc.lgamma(5e-324) == float(_exact("lgamma", 5e-324))
    assert vc.lgamma(-1e-300) == float(_exact("lgamma", -1e-300))
    assert vc.lgamma(-4503599627370495.5) == float(_exact("lgamma", -4503599627370495.5))


# --- mpmath numbers ---------------------------------------------------------------------------


def _digits(got, ref):
    if ref == 0:
        return math.inf if got == 0 else 0.0
    rel = abs((got - ref) / ref)
    return math.inf if rel == 0 else -float(mpmath.log10(rel))


def _mp_points(ctx):
    """Hard points at the context's precision: the roots of psi and zeros of lgamma rounded
    to it, points next to 1 and 2, negative and far-out arguments."""
    hi = at_precision(ctx.prec + 80)
    psi_roots = [hi.findroot(hi.digamma, r) for r in DIGAMMA_ROOTS[:4]]
    zeros = [hi.findroot(lambda t: hi.re(hi.loggamma(t)), z) for z in LGAMMA_ZEROS[2:6]]
    eps = ctx.mpf(10) ** (-ctx.dps // 2)
    pts = [ctx.mpf(v) for v in psi_roots + zeros]
    pts += [1 + eps, 2 - eps, ctx.mpf("0.3"), ctx.mpf("-7.25"), ctx.mpf(-1e6) - 0.5,
            ctx.mpf("1e30")]
    return pts


def _check_mp(ctx):
    # lgamma, digamma, trigamma and their derivatives (lgamma' = digamma, psi' = trigamma,
    # trigamma' = tetragamma), each at least dps - 1 digits
    def tetragamma_ref(c, x):
        if x < 0:
            return c.psi(2, 1 - x) - 2 * c.pi ** 3 * c.cospi(x) / c.sinpi(x) ** 3
        return c.psi(2, x)

    functions = [("lgamma", _lgamma_ref), ("digamma", _digamma_ref),
                 ("trigamma", _trigamma_ref), ("tetragamma", tetragamma_ref)]
    for x in _mp_points(ctx):
        for name, ref in functions:
            got = getattr(S, name)(x)
            assert type(got) is type(x), (name, x)
            exact = refined(ref, x, ctx.prec + 64)
            assert _digits(got, exact) >= ctx.dps - 1, (name, x, got, exact)
        y, d = vc.val_and_grad(["lgamma"], x)
        assert d == vc.digamma(x)


def test_mpmath_to_working_precision_at_dps_50_and_100_roots_included():
    for dps in (50, 100):
        with mpmath.workdps(dps):  # the test sets mp's precision; the library never does
            _check_mp(mpmath.mp)
        ctx = mpmath.MPContext()
        ctx.dps = dps
        _check_mp(ctx)
    assert mpmath.mp.dps == 15


def test_trigamma_far_out_on_the_negative_axis_uses_the_reflection():
    """psi(1, x) takes time linear in |x| for x < 0 (2 s at -1e6 - 1/2); through the
    reflection these finish in milliseconds (no timing asserted: they would not finish)."""
    for x in (mpmath.mpf(-1e6) - 0.5, mpmath.mpf(-1e15) - 0.5, mpmath.mpf(-1e15) - 0.25):
        y, d = vc.val_and_grad(["digamma"], x)
        assert d == S.trigamma(x)
        # psi1(x) = pi**2 / sin(pi x)**2 - psi1(1 - x), psi1(1 - x) ~ 1/(1 - x)
        expected = mpmath.pi ** 2 / mpmath.sinpi(x) ** 2 - 1 / (1 - x)
        assert abs(d - expected) < 1e-12 * abs(d)
        assert abs(S.tetragamma(x)) < 1e3
