"""Complex derivative kernels for Python complex numbers, where the textbook formula loses
digits, overflows, or crosses a branch cut to the wrong side.

Each takes and returns a Python complex. The conventions are cmath's: on a branch cut (a
real or imaginary part that is a signed zero) the derivative is that of the side the
primal takes, so terms such as ``1 - z`` are formed part by part, keeping the zero's sign
(``1 - complex(2.0, -0.0)`` is ``-1 + 0j`` in Python: the sign is lost). Large arguments are
scaled or reformulated so nothing overflows where the derivative is finite.
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Callable
from typing import Any

from . import kern_exp as KE
from .dd import dd_add, dd_div, dd_mul, two_prod, two_sum
from .ops import FLOAT_OPS

__all__ = ["d_asin", "d_acos", "d_asinh", "d_acosh", "d_atan", "d_atanh", "d_tan", "d_tanh",
           "d_erf", "d_sigmoid", "sigmoid", "softplus", "one_minus", "one_plus", "exp2",
           "d_exp2", "trigamma", "d_reciprocal", "d_log10",
           "d_log", "d_log1p"]

_BIG = 2.0 ** 1000  # beyond this a product of two parts of that size may overflow
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def one_minus(z: complex) -> complex:
    """1 - z with the sign of a zero imaginary part kept (negated, as for -z)."""
    return complex(1.0 - z.real, -z.imag)


def one_plus(z: complex) -> complex:
    """1 + z with the sign of a zero imaginary part kept."""
    return complex(1.0 + z.real, z.imag)


def _times_i(z: complex) -> complex:
    return complex(-z.imag, z.real)


def _recip_sqrt_product(a: complex, b: complex) -> complex:
    """1 / (sqrt(a) sqrt(b)), the principal roots, without overflow for huge a and b."""
    if max(abs(a.real), abs(a.imag), abs(b.real), abs(b.imag)) > _BIG:
        # sqrt(a/16) sqrt(b/16) = sqrt(a) sqrt(b) / 16: divisions by 16 are exact up here
        s = cmath.sqrt(a / 16) * cmath.sqrt(b / 16)
        return (1 / s) / 16
    return 1 / (cmath.sqrt(a) * cmath.sqrt(b))


def _recip_product(a: complex, b: complex) -> complex:
    """1 / (a b) as (1/a)(1/b): no overflow of a b for huge a and b (1/(a b) is then tiny
    but may still be a subnormal)."""
    return (1 / a) * (1 / b)


def d_asin(z: complex) -> complex:
    """asin'(z) = 1 / (sqrt(1 - z) sqrt(1 + z)): the factored form keeps asin's cuts and
    their sides, and does not cancel near +-1 as 1 - z*z does."""
    return _recip_sqrt_product(one_minus(z), one_plus(z))


def d_acos(z: complex) -> complex:
    return -d_asin(z)


def d_asinh(z: complex) -> complex:
    """asinh'(z) = 1 / (sqrt(1 + iz) sqrt(1 - iz)): no cancellation near +-i."""
    iz = _times_i(z)
    return _recip_sqrt_product(one_plus(iz), one_minus(iz))


def d_acosh(z: complex) -> complex:
    """acosh'(z) = 1 / (sqrt(z - 1) sqrt(z + 1)), the principal branch's derivative."""
    return _recip_sqrt_product(complex(z.real - 1.0, z.imag), one_plus(z))


def d_atan(z: complex) -> complex:
    """atan'(z) = 1 / ((1 + iz)(1 - iz)): no cancellation near +-i, no overflow of z*z."""
    iz = _times_i(z)
    return _recip_product(one_plus(iz), one_minus(iz))


def d_atanh(z: complex) -> complex:
    """atanh'(z) = 1 / ((1 - z)(1 + z))."""
    return _recip_product(one_minus(z), one_plus(z))


def d_tan(z: complex) -> complex:
    """tan'(z) = 1 / cos(z)**2 (1 + tan(z)**2 where |tan z| < 1/2); for |Im z| >= 1 as
    4q / (1 + q)**2 with q = exp(2iz) (or exp(-2iz): the one with |q| < 1), which neither
    overflows (cos does past |Im z| = 710) nor cancels (1 + tan(z)**2 does as
    tan(z) -> +-i)."""
    x, y = z.real, z.imag
    if abs(y) < 1.0:
        t = cmath.tan(z)
        if abs(t) < 0.5:  # 1 + t**2 is within [0.75, 1.25] of 1 in norm: no cancellation
            return 1 + t * t
        return _sec2_strip(x, y)
    q = cmath.exp(complex(-2.0 * abs(y), math.copysign(2.0, y) * x))
    p = 1 + q
    return 4 * (q / p) / p


def _sec2_strip(x: float, y: float) -> complex:
    """1 / cos(z)**2 for |Im z| < 1, as conj(c)**2 / |c|**4 with c = cos z = a + bi, all in
    double-double: a = cos x cosh y and b = -sin x sinh y are exact products of parts within
    half an ulp (cosh and sinh from the accurate kernels), so the result's normwise error is
    about twice theirs plus one rounding (3.3 ulp at worst on 20,000 random points of the
    strip; cmath.cos's parts and rounded products gave 7.0)."""
    ch, sh = KE.d_sinh(y, FLOAT_OPS), KE.d_cosh(y, FLOAT_OPS)  # cosh y, sinh y
    ah, al = two_prod(math.cos(x), ch)
    bh, bl = two_prod(-math.sin(x), sh)
    a2h, a2l = dd_mul(ah, al, ah, al)
    b2h, b2l = dd_mul(bh, bl, bh, bl)
    nh, nl = dd_add(a2h, a2l, b2h, b2l)  # |c|**2
    n2h, n2l = dd_mul(nh, nl, nh, nl)
    rh, rl = dd_add(a2h, a2l, -b2h, -b2l)  # Re conj(c)**2 = a**2 - b**2
    ih, il = dd_mul(ah, al, bh, bl)  # Im conj(c)**2 = -2ab
    re = dd_div(rh, rl, n2h, n2l)
    im = dd_div(-2.0 * ih, -2.0 * il, n2h, n2l)
    return complex(re[0] + re[1], im[0] + im[1])


def d_tanh(z: complex) -> complex:
    """tanh'(z) = sech(z)**2 = tan'(iz)."""
    return d_tan(_times_i(z))


def _exp_minus_square(z: complex) -> complex:
    """exp(-z*z) with z*z exact as a pair of double-doubles (two_prod): a rounded z*z
    carries an absolute error of ulp(|z|**2), which exp turns into a relative one."""
    x, y = z.real, z.imag
    if max(abs(x), abs(y)) > 2.0 ** 500:
        return _exp_minus_square_mp(z)
    xx, xx_lo = two_prod(x, x)
    yy, yy_lo = two_prod(y, y)
    xy, xy_lo = two_prod(x, y)
    # Re z*z = (xx - yy) + (xx_lo - yy_lo): the low parts are tiny beside the high ones
    re, re_lo = two_sum(xx, -yy)
    re_lo += xx_lo - yy_lo
    # exp(-(re + re_lo) - 2i(xy + xy_lo)): each factor by cmath, the low one close to 1
    return (cmath.exp(complex(-re, -2.0 * xy)) * cmath.exp(complex(-re_lo, -2.0 * xy_lo)))


def _exp_minus_square_mp(z: complex) -> complex:
    from ..mpcontext import at_precision

    ctx = at_precision(128)  # z*z of two 53-bit parts is exact at 106 bits
    w = ctx.mpc(z)
    return complex(ctx.exp(-(w * w)))


def d_erf(z: complex) -> complex:
    """erf'(z) = 2/sqrt(pi) exp(-z*z), z*z kept exact."""
    try:
        w = _exp_minus_square(z)
    except OverflowError:
        w = _exp_minus_square_mp(z)
    out = complex(_TWO_OVER_SQRT_PI * w.real, _TWO_OVER_SQRT_PI * w.imag)
    if not (math.isfinite(out.real) and math.isfinite(out.imag)):
        raise OverflowError(f"erf'({z!r}) overflows, as cmath.exp does")
    return out


def _logistic_density(w: complex) -> complex:
    """e / (1 + e)**2 with e = exp(-w), Re w >= 0 (so |e| <= 1: nothing overflows)."""
    e = cmath.exp(-w)
    p = 1 + e
    if abs(p) < 0.5:  # near a pole, w = i pi (2k + 1): 1 + e cancels
        return _near_logistic_pole(w, lambda ctx, e: e / (1 + e) ** 2)
    return (e / p) / p


def _near_logistic_pole(w: complex, f: Callable[[Any, Any], Any]) -> complex:
    """f(e) with e = exp(-w) in mpmath, with as many guard bits as 1 + e cancels."""
    from ..mpcontext import at_precision

    prec = 96
    while True:
        ctx = at_precision(prec)
        e = ctx.exp(-ctx.mpc(w))
        p = 1 + e
        if p != 0 and -ctx.mag(p) < prec - 80 or prec > 4000:
            return complex(f(ctx, e))
        prec *= 2


def d_sigmoid(z: complex) -> complex:
    """sigmoid'(z) = e / (1 + e)**2 with e = exp(-z); even, so taken at the one of z, -z
    with a nonnegative real part, where exp does not overflow."""
    return _logistic_density(z if z.real >= 0 else -z)


def sigmoid(z: complex) -> complex:
    """1 / (1 + exp(-z)); as exp(z) / (1 + exp(z)) for Re z < 0, where exp(-z) overflows."""
    w = z if z.real >= 0 else -z
    e = cmath.exp(-w)
    p = 1 + e
    if abs(p) < 0.5:  # near a pole, w = i pi (2k + 1): 1 + e cancels
        s = _near_logistic_pole(w, lambda ctx, e: 1 / (1 + e))
    else:
        s = 1 / p
    # sigmoid(-w) = 1 - sigmoid(w) = e sigmoid(w)
    return s if z.real >= 0 else e * s


def softplus(z: complex) -> complex:
    """log(1 + exp(z)); as z + log(1 + exp(-z)) for Re z > 0, where exp(z) overflows."""
    if z.real > 0:
        return z + _log1p(cmath.exp(-z))
    return _log1p(cmath.exp(z))


def _log1p(w: complex) -> complex:
    from ..mpcontext import at_precision

    ctx = at_precision(53)
    return complex(ctx.log1p(ctx.mpc(w)))


_LN2 = math.log(2.0)
_LN2_LO = 2.3190468138462996e-17  # ln 2 - _LN2, so that _LN2 + _LN2_LO is ln 2 to 107 bits


def exp2(z: complex) -> complex:
    """2**z = 2**x (cos + i sin)(y ln 2), with y ln 2 as a double-double: cmath.exp(z ln 2)
    rounds z ln 2, an absolute phase error of |y| ulp(1)."""
    x, y = z.real, z.imag
    if not abs(y) < 2.0 ** 40:  # the phase needs more of ln 2 than a double-double holds
        from ..mpcontext import at_precision

        bits = math.frexp(y)[1] if math.isfinite(y) else 0
        ctx = at_precision(64 + bits)
        return complex(ctx.power(2, ctx.mpc(z)))
    phase, phase_lo = two_prod(y, _LN2)
    phase_lo += y * _LN2_LO
    turn = cmath.exp(complex(0.0, phase)) * cmath.exp(complex(0.0, phase_lo))
    if x > 1000.0:  # 2**x overflows before 2**x cos(phase) may: scale, inf past max (IEEE)
        m = math.exp2(x - 64.0)
        return complex(_ldexp(m * turn.real, 64), _ldexp(m * turn.imag, 64))
    m = math.exp2(x)
    return complex(m * turn.real, m * turn.imag)


def _ldexp(v: float, k: int) -> float:
    try:
        return math.ldexp(v, k)
    except OverflowError:
        return math.copysign(math.inf, v)


def d_exp2(z: complex) -> complex:
    """exp2'(z) = ln 2 * 2**z."""
    if z.real > 1000.0:  # 2**x may overflow where ln 2 * 2**x does not: scale by 2**-64
        w = exp2(complex(z.real - 64.0, z.imag))
        return complex(_ldexp(_LN2 * w.real, 64), _ldexp(_LN2 * w.imag, 64))
    w = exp2(z)
    return complex(_LN2 * w.real, _LN2 * w.imag)


def trigamma(z: complex) -> complex:
    """psi'(z), through mpmath with guard bits; for Re z < 0 by reflection,
    psi'(z) = pi**2 / sin(pi z)**2 - psi'(1 - z): mpmath's own recurrence takes time
    linear in |z| there."""
    from ..mpcontext import at_precision

    ctx = at_precision(64)
    w = ctx.mpc(z)
    if z.real < 0:
        return complex((ctx.pi / ctx.sinpi(w)) ** 2 - ctx.psi(1, 1 - w))
    return complex(ctx.psi(1, w))


def d_reciprocal(z: complex) -> complex:
    """reciprocal'(z) = -(1/z)**2: z*z underflows to 0 (a ZeroDivisionError) for
    |z| < 1e-162, where 1/z**2 is finite or a clean inf."""
    w = 1 / z
    if max(abs(w.real), abs(w.imag)) > 2.0 ** 512:
        raise OverflowError(f"reciprocal'({z!r}) = -1/z**2 overflows")
    return -(w * w)


_LN10 = math.log(10.0)


def d_log10(z: complex) -> complex:
    """log10'(z) = 1 / (z ln 10), with z / 16 where z ln 10 overflows."""
    if max(abs(z.real), abs(z.imag)) > _BIG:
        return (1 / ((z / 16) * _LN10)) / 16
    return 1 / (z * _LN10)


def _recip(w: complex) -> complex:
    """1 / w; with w / 16 where |w| is near the top of the range, and Python's division
    loses a subnormal quotient to 0 (1 / (1e308 + 1e308j))."""
    if max(abs(w.real), abs(w.imag)) > _BIG:
        return (1 / (w / 16)) / 16
    return 1 / w


def d_log(z: complex) -> complex:
    """log'(z) = 1 / z."""
    return _recip(z)


def d_log1p(z: complex) -> complex:
    """log1p'(z) = 1 / (1 + z)."""
    return _recip(one_plus(z))
