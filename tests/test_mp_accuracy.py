"""mpmath numbers keep dps - 1 correct digits: the primal, the derivative and val_and_grad of
every built-in, at mp.dps = 50 and 100 and in a private MPContext, over the whole domain.

Driven by the declarations: each rule's domain (past the ends where only float64 overflows),
its special points, float and mp (zeros of derivatives rounded to the working precision),
and its reference derivative, evaluated at twice the precision plus 32 bits
(:func:`vjpchain.exact.mp_digits`). Hypothesis draws further points with every mantissa bit
set. Then the regressions this sweep found, each against a reference of its own.
"""

import contextlib
import math

import mpmath
import pytest
from hypothesis import given
from hypothesis import strategies as st

import vjpchain
from vjpchain import default_registry
from vjpchain.domain import _mp_in, mp_sweep_points
from vjpchain.domains import real_domain
from vjpchain.exact import correct_digits, evaluate, mp_digits

RULES = [r for r in default_registry.rules() if r.derivative is not None]
DPS = (50, 100)


def _context(dps, private):
    if not private:
        return mpmath.mp
    ctx = mpmath.MPContext()
    ctx.dps = dps
    return ctx


def _check_point(rule, x, dps):
    """The digits of the primal, the derivative and val_and_grad at the mpf ``x``."""
    y, d = vjpchain.val_and_grad([rule.name], x)
    assert (y, d) == (rule.primal(x), rule.derivative(x, rule.primal(x)))
    ctx = type(x).context
    for value in (y, d):
        if isinstance(value, mpmath.ctx_mp_python._mpf):
            assert type(value).context is ctx, (rule.name, x, "computed in another context")
    got_y, got_d = mp_digits(rule, x, derivative=d, primal=y)
    assert got_y >= dps - 1, (rule.name, "primal", x, got_y)
    assert got_d >= dps - 1, (rule.name, "derivative", x, got_d)


@pytest.mark.parametrize(("dps", "private"), [(50, False), (100, True)],
                         ids=["mp-dps50", "private-dps100"])
@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_every_point_keeps_dps_minus_one_digits(rule, dps, private):
    """Swept points keep dps - 1 digits in the primal and the derivative: the declared
    special points, the ends approached to one unit of the precision, magnitudes from
    1e-1000 to 1e1000 (at dps 100 up to 1e400: mpmath's own exp of an integer argument
    above 600 bits, which the reference at twice the precision calls for erf', takes
    seconds there; benchmarks/accuracy_mp.py covers them) and a sample of the float sweep
    with their mantissas filled. mpmath.mp at dps 50, a private context at dps 100; the
    random points below cover the other two."""
    ctx = _context(dps, private)
    with contextlib.ExitStack() as stack:
        if not private:
            stack.enter_context(mpmath.workdps(dps))
        for x in mp_sweep_points(real_domain(rule), ctx, n=4, seed=dps, sample=150):
            if dps < 100 or abs(x) < ctx.mpf("1e400"):
                _check_point(rule, x, dps)


@given(rule=st.sampled_from(RULES), x=st.floats(allow_nan=False, allow_infinity=False),
       bits=st.integers(0, 2 ** 400), dps=st.sampled_from(DPS), private=st.booleans())
def test_random_full_mantissas_keep_dps_minus_one_digits(rule, x, bits, dps, private):
    """Random floats with the rest of the mantissa random too, in either kind of context."""
    ctx = _context(dps, private)
    with mpmath.workdps(dps) if not private else contextlib.nullcontext():
        x = ctx.mpf(x)
        if x:  # every mantissa bit set: a float's 53 bits hide roundings such as x*x's
            mantissa, exponent = ctx.frexp(x)
            tail = ctx.ldexp(bits % 2 ** (ctx.prec - 53), -ctx.prec)
            x = ctx.ldexp(mantissa + ctx.sign(mantissa) * tail, exponent)
        if _mp_in(real_domain(rule), x):
            _check_point(rule, x, dps)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_declared_references_agree_with_numerical_differentiation(rule):
    """The references the sweep trusts, against ctx.diff of the primal at 120 digits."""
    ctx = _context(120, True)
    points = [ctx.mpf(v) for v in ("0.3", "-0.7", "2.5", "12.25") if
              _mp_in(real_domain(rule), ctx.mpf(v))]
    for x in points:
        reference = evaluate(rule.reference, ctx, x)  # mpmath.cos: ctx's own
        numerical = ctx.diff(rule.primal, x)
        # diff's step leaves a few digits of the 120 (more where the function is tiny)
        assert correct_digits(reference, numerical) > 60, (rule.name, x)


# --- the regressions ------------------------------------------------------------------------


def _sinc_prime_exact(x, prec):
    c = mpmath.MPContext()
    c.prec = prec
    x = c.convert(x)
    return c.diff(lambda t: c.sincpi(t), x)


@pytest.mark.parametrize("dps", DPS)
@pytest.mark.parametrize("k0", [1.4303, 2.4590, 3.4709, -100.4990])
def test_sinc_prime_at_its_roots_rounded_to_the_precision(dps, k0):
    """sinc' (cos(pi x) - sinc(x))/x at a root of tan(pi x) = pi x rounded to dps digits kept
    7 digits at dps 50: the guard bits grew only for small x."""
    ctx = _context(dps, True)
    wide = _context(3 * dps, True)
    root = wide.findroot(lambda t: wide.sinpi(t) - wide.pi * t * wide.cospi(t), k0)
    x = ctx.mpf(root)
    got = vjpchain.val_and_grad(["sinc"], x)[1]
    assert correct_digits(got, _sinc_prime_exact(x, 12 * ctx.prec)) >= dps - 1


@pytest.mark.parametrize("dps", DPS)
@pytest.mark.parametrize("name", ["erf", "erfc"])
def test_erf_prime_far_out_with_a_full_mantissa(dps, name):
    """exp(-x*x) with x*x rounded kept 45.5 digits at x near 1000 (dps 50)."""
    ctx = _context(dps, True)
    sign = 1 if name == "erf" else -1
    for x in (ctx.mpf(1000) + ctx.mpf(1) / 3, ctx.mpf("-31622.7766016837933199889354443"),
              ctx.mpf("5.77942441762e+209")):
        wide = _context(4 * dps, True)
        xw = wide.convert(x)
        exact = sign * 2 / wide.sqrt(wide.pi) * wide.exp(-xw * xw)
        assert correct_digits(vjpchain.val_and_grad([name], x)[1], exact) >= dps - 1


@pytest.mark.parametrize("dps", DPS)
def test_erfc_where_mpmath_overflows(dps):
    """erfc(1e300) is exp(-1e600) / (1e300 sqrt(pi)) (1 - 1/(2e600) + ...): representable as
    an mpf, where mpmath's erfc raises OverflowError (which read as a domain error)."""
    ctx = _context(dps, True)
    x = ctx.mpf("1e300")
    y, d = vjpchain.val_and_grad(["erfc"], x)
    wide = _context(3 * dps, True)
    xw = wide.convert(x)
    exact = wide.exp(-xw * xw) / (xw * wide.sqrt(wide.pi)) * (1 - 1 / (2 * xw * xw))
    assert correct_digits(y, exact) >= dps - 1
    assert correct_digits(d, -2 / wide.sqrt(wide.pi) * wide.exp(-xw * xw)) >= dps - 1
    assert vjpchain.erfc(-x) == 2
    # the asymptotic series takes over from mpmath's erfc seamlessly
    for e in (101, 120, 150):
        x = ctx.mpf(10) ** e * ctx.mpf("1.2345")
        assert correct_digits(vjpchain.erfc(x), ctx.erfc(x)) >= dps - 1


@pytest.mark.parametrize("dps", DPS)
def test_acosh_next_to_one(dps):
    """mpmath's acosh, log(x + sqrt(x*x - 1)), kept 30 digits of 50 at 1 + 2**-100."""
    ctx = _context(dps, True)
    wide = _context(3 * dps, True)
    for k in (10, 100, ctx.prec - 1):
        x = 1 + ctx.ldexp(1, -k)
        t = wide.convert(x) - 1
        exact = wide.log1p(t + wide.sqrt(t * (t + 2)))
        assert correct_digits(vjpchain.acosh(x), exact) >= dps - 1


@pytest.mark.parametrize("dps", DPS)
def test_exp2_of_a_large_argument(dps):
    """mpmath's power(2, x) kept 7 digits of 50 at x = 2.6e47 (too few guard bits for
    x ln 2); the scaling by 2**floor(x) is exact."""
    ctx = _context(dps, True)
    x = ctx.mpf("2.63981728478e+47") + ctx.mpf(1) / 7
    n = int(ctx.floor(x))
    wide = _context(3 * dps, True)
    exact = wide.ldexp(wide.power(2, wide.convert(x) - n), n)
    y, d = vjpchain.val_and_grad(["exp2"], x)
    assert correct_digits(y, exact) >= dps - 1
    assert correct_digits(d, wide.ln2 * exact) >= dps - 1
    assert math.isinf(correct_digits(vjpchain.exp2(ctx.mpf(-3)), ctx.mpf(1) / 8))
