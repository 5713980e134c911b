"""Accurate float64 kernels for algebraic derivatives: tan', log*', sqrt', cbrt', inverse trig.

Each kernel takes ``(x, F)`` with ``F`` from ``_ops`` and runs on a Python float or a float64
array; the same source serves both paths and gives bit-identical results.

How the kernels stay within 1 ulp. A textbook form such as ``1 / sqrt(1 - x*x)`` rounds
several times, and each rounding is amplified twice over: by cancellation (``1 - x*x`` next
to 1 keeps only the few bits of ``x*x`` that survived its own rounding) and by significand
ratios (half an ulp of an operand whose significand is near 1 is a full ulp of a result whose
significand is near 2). So every kernel here

1. scales its argument by a power of two (``frexp``/``ldexp``, exact) so that the significand
   is in about [0.25, 2), where the double-double helpers of ``_dd`` are exact (no overflow
   in the Veltkamp split, no underflow in the low half of a product);
2. evaluates the formula on the scaled significand in double-double: squares are exact
   (``two_prod``), differences of exact quantities are exact (``two_sum``), and a rounded
   libm root is corrected by its exact residual (``x - s*s``, ``m - c**3``), so the value
   carries about 100 good bits;
3. rounds once, when the double-double is collapsed to its leading float, and undoes the
   scaling with one final ``ldexp``.

The leading float of a normalized double-double is the correctly rounded value except
within about 2**-100 relative of a rounding tie, so normal results are within 0.5 ulp.
Where the result is subnormal the final ``ldexp`` rounds a second time; the first rounding
is 2**-53 relative, a tiny fraction of a subnormal ulp, so the total stays below 1 ulp.
An overflow in that ``ldexp`` gives inf exactly when the correctly rounded value is inf,
because the significand it scales is already correctly rounded.

Guards: where a formula divides by something that is exactly zero at a point of the domain
(sqrt' at 0, asin' at +-1, ...), the zero is swapped for 1 before the arithmetic (both
branches of ``F.where`` are evaluated, and the scalar path must not raise) and the limit is
selected at the end.
"""

from __future__ import annotations

import math
from typing import Any

from ._dd import dd_add_f, dd_const, dd_div, dd_mul_f, dd_sqrt, fast_two_sum, two_prod, two_sum

__all__ = [
    "d_tan", "d_log", "d_log2", "d_log10", "d_log1p", "d_sqrt", "d_cbrt", "d_asin", "d_acos",
    "d_atan", "d_asinh", "d_acosh", "d_atanh", "d_reciprocal",
]

# 1/ln 2 and 1/ln 10 as double-doubles: the rounded float alone is 0.5 ulp off already,
# and the division by x would add another rounding on top.
_INV_LN2_HI, _INV_LN2_LO = dd_const("1/log(2)")
_INV_LN10_HI, _INV_LN10_LO = dd_const("1/log(10)")
_NAN = math.nan


# ----------------------------------------------------------------------------------------
# private double-double helpers


def _one_minus_square(a: Any) -> tuple[Any, Any]:
    """``1 - a*a`` as a double-double, exact to about 2**-104 relative for ``|a| <= 1``.

    ``a*a`` is split exactly into ``ph + pl``; ``1 - ph`` is exact for ``ph >= 1/2``
    (Sterbenz) and in any case captured exactly by two_sum, so the cancellation next to
    ``|a| = 1`` costs nothing. For tiny ``a`` the square may underflow, which only perturbs
    bits far below the leading 1.
    """
    ph, pl = two_prod(a, a)
    return dd_add_f(-ph, -pl, 1.0)


def _rsqrt_dd(dh: Any, dl: Any, F: Any) -> Any:
    """The float nearest ``1 / sqrt(dh + dl)`` for a positive, moderately scaled double-double.

    dd_sqrt corrects the libm root by its exact residual, dd_div corrects the quotient by
    its exact residual; the single rounding happens in the final fast_two_sum of dd_div.
    """
    sh, sl = dd_sqrt(dh, dl, F.sqrt)
    return dd_div(1.0, 0.0, sh, sl)[0]


def _scaled_one_plus_square(x: Any, F: Any) -> tuple[Any, Any, Any]:
    """``(dh, dl, k)`` with ``1 + x*x == 2**(2k) * (dh + dl)`` to about 2**-104 relative.

    ``x*x`` overflows for ``|x| > 2**512`` although ``1/(1 + x*x)`` is still a normal or
    subnormal float up to ``|x| ~ 2**537``, so the square is formed on the significand:
    with ``k = max(exponent of x, 0)``, ``1 + x*x = 4**k * (4**-k + m*m)`` where
    ``m = |x| * 2**-k`` is in [0.5, 1) for ``|x| >= 0.5`` and is ``|x|`` itself below
    (then ``k = 0`` and the formula is the plain one). ``4**-k`` may underflow for huge
    ``x``; it is then far below the last bit of ``m*m`` anyway.
    """
    _, e = F.frexp(x)
    k = F.maximum(e, 0.0)
    m = F.ldexp(abs(x), -k)
    ph, pl = two_prod(m, m)
    dh, dl = dd_add_f(ph, pl, F.ldexp(1.0, -2.0 * k))
    return dh, dl, k


# ----------------------------------------------------------------------------------------
# kernels


def d_tan(x: Any, F: Any) -> Any:
    c = F.cos(x)
    return 1.0 / (c * c)


def d_log(x: Any, F: Any) -> Any:
    # One IEEE division is already correctly rounded, subnormal and overflowing results
    # included (1/x overflows to inf exactly when the true value does).
    return F.div0(1.0, x)


def _const_over(ch: float, cl: float, x: Any, F: Any) -> Any:
    """``(ch + cl) / x`` rounded once, for ``x != 0`` (x = 0 gives a signed inf).

    ``x = m * 2**e`` with ``m`` in [0.5, 1): the double-double quotient by ``m`` never
    over- or underflows, and ``2**-e`` is applied last. A subnormal ``x`` would make
    ``1/x`` overflow inside a one-step division, and a huge ``x`` would make the residual
    product of dd_div underflow; scaling avoids both.
    """
    m, e = F.frexp(x)
    zero = x == 0.0
    q = dd_div(ch, cl, F.where(zero, 1.0, m), 0.0)[0]
    return F.where(zero, F.copysign(F.inf, x), F.ldexp(q, -e))


def d_log2(x: Any, F: Any) -> Any:
    return _const_over(_INV_LN2_HI, _INV_LN2_LO, x, F)


def d_log10(x: Any, F: Any) -> Any:
    return _const_over(_INV_LN10_HI, _INV_LN10_LO, x, F)


def d_log1p(x: Any, F: Any) -> Any:
    # 1 + x is formed exactly as s + t (two_sum): next to x = -1 the rounded 1 + x would be
    # the whole error, and for huge x the dropped 1 is what t keeps. Then scale s + t to
    # [0.5, 1) (t scales exactly, or underflows far below the last bit) and divide in dd.
    s, t = two_sum(1.0, x)
    m, e = F.frexp(s)
    zero = s == 0.0
    q = dd_div(1.0, 0.0, F.where(zero, 1.0, m), F.ldexp(t, -e))[0]
    return F.where(zero, F.inf, F.ldexp(q, -e))


def d_sqrt(x: Any, F: Any) -> Any:
    # x = m * 4**k with m in [0.25, 2), so 1/(2 sqrt x) = 2**-k * 0.5 / sqrt(m): the root is
    # corrected by the exact residual m - s*s and the quotient by its exact residual, and
    # subnormal x is as good as any other (frexp normalizes it).
    m, e = F.frexp(x)
    k = F.rint(0.5 * e)
    zero = x == 0.0
    m = F.where(zero, 1.0, F.ldexp(m, e - 2.0 * k))
    sh, sl = dd_sqrt(m, 0.0, F.sqrt)
    q = dd_div(0.5, 0.0, sh, sl)[0]
    return F.where(zero, F.inf, F.ldexp(q, -k))


def d_cbrt(x: Any, F: Any) -> Any:
    # |x| = m * 8**k with m in [0.25, 2). With c the libm cube root of m, the exact root is
    # c* = c + d/(3c^2) + O(d^2) where d = m - c^3 (formed in dd; m - c^3 is exact by
    # Sterbenz once c^3 is split). Because c*^3 = m, 1/(3 c*^2) = c*/(3m): one dd division
    # instead of squaring the corrected root and dividing again. Finally 2**-2k.
    m, e = F.frexp(abs(x))
    k = F.rint(e / 3.0)
    zero = x == 0.0
    m = F.where(zero, 1.0, F.ldexp(m, e - 3.0 * k))
    c = F.cbrt(m)
    ph, pl = two_prod(c, c)
    th, tl = dd_mul_f(ph, pl, c)
    ch, cl = fast_two_sum(c, ((m - th) - tl) / (3.0 * ph))
    bh, bl = two_prod(3.0, m)
    q = dd_div(ch, cl, bh, bl)[0]
    return F.where(zero, F.inf, F.ldexp(q, -2.0 * k))


def d_asin(x: Any, F: Any) -> Any:
    # 1 - x^2 in dd (exact cancellation next to +-1), then a dd reciprocal square root.
    # At |x| = 1 the value is inf; beyond it (outside the domain) nan, without raising.
    uh, ul = _one_minus_square(x)
    pos = uh > 0.0
    r = _rsqrt_dd(F.where(pos, uh, 1.0), F.where(pos, ul, 0.0), F)
    return F.where(pos, r, F.where(uh == 0.0, F.inf, _NAN))


def d_acos(x: Any, F: Any) -> Any:
    return -d_asin(x, F)


def d_atan(x: Any, F: Any) -> Any:
    dh, dl, k = _scaled_one_plus_square(x, F)
    return F.ldexp(dd_div(1.0, 0.0, dh, dl)[0], -2.0 * k)


def d_asinh(x: Any, F: Any) -> Any:
    dh, dl, k = _scaled_one_plus_square(x, F)
    return F.ldexp(_rsqrt_dd(dh, dl, F), -k)


def d_acosh(x: Any, F: Any) -> Any:
    # x = m * 2**k with m in [0.5, 1), k >= 1: x^2 - 1 = 4**k (m*m - 4**-k). m*m is exact in
    # dd and 4**-k <= 1/4 is subtracted exactly (Sterbenz next to x = 1, where m*m ~ 1/4),
    # so the cancellation at x -> 1 is free, and x ~ 1e300 never squares a huge number.
    m, k = F.frexp(x)
    ph, pl = two_prod(m, m)
    dh, dl = dd_add_f(ph, pl, -F.ldexp(1.0, -2.0 * k))
    pos = dh > 0.0
    r = F.ldexp(_rsqrt_dd(F.where(pos, dh, 1.0), F.where(pos, dl, 0.0), F), -k)
    return F.where(pos, r, F.where(dh == 0.0, F.inf, _NAN))


def d_atanh(x: Any, F: Any) -> Any:
    # 1 - x^2 in dd, then one dd division; +-1 (the domain's open ends) give inf.
    uh, ul = _one_minus_square(x)
    zero = uh == 0.0
    q = dd_div(1.0, 0.0, F.where(zero, 1.0, uh), ul)[0]
    return F.where(zero, F.inf, q)


def d_reciprocal(x: Any, F: Any) -> Any:
    # -1/x^2 = -4**-e / (m*m) with x = m * 2**e: m*m is exact in dd and in [1/4, 1), so
    # neither the square (overflow at |x| > 2**512, underflow of its low half) nor the
    # quotient can misbehave; the final ldexp overflows to -inf or underflows gradually
    # exactly where the true value does.
    m, e = F.frexp(x)
    zero = x == 0.0
    ph, pl = two_prod(m, m)
    q = dd_div(-1.0, 0.0, F.where(zero, 1.0, ph), pl)[0]
    return F.where(zero, -F.inf, F.ldexp(q, -2.0 * e))
