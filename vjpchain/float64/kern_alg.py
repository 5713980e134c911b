"""Accurate float64 kernels for algebraic derivatives: tan', log*', sqrt', cbrt', inverse trig.

Each kernel takes ``(x, F)`` with ``F`` from ``ops`` and runs on a Python float or a float64
array; the same source serves both paths and gives bit-identical results.

How the kernels stay within 1 ulp. A textbook form such as ``1 / sqrt(1 - x*x)`` rounds
several times, and each rounding is amplified twice over: by cancellation (``1 - x*x`` next
to 1 keeps only the few bits of ``x*x`` that survived its own rounding) and by significand
ratios (half an ulp of an operand whose significand is near 1 is a full ulp of a result whose
significand is near 2). So every kernel here

1. scales its argument by a power of two (``frexp``/``ldexp``, exact) so that the significand
   is in about [0.25, 2), where the double-double helpers of ``dd`` are exact (no overflow
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
(to 53 bits) is at most a quarter of a subnormal ulp, so the total stays within 0.75 ulp.
An overflow in that ``ldexp`` gives inf exactly when the correctly rounded value is inf,
because the significand it scales is already correctly rounded.

Guards: where a formula divides by something that is exactly zero at a point of the domain
(sqrt' at 0, asin' at +-1, ...), the zero is swapped for 1 before the arithmetic (both
branches of ``F.where`` are evaluated, and the scalar path must not raise) and the limit is
selected at the end. At an infinite argument the result is the derivative's limit (0 for
sqrt' at inf, -0.0 for reciprocal'), at -0.0 the derivative at 0 (log' is +inf at both
zeros), as the README's "Conventions" say.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import mpmath

from .dd import (
    dd_add,
    dd_add_f,
    dd_const,
    dd_div,
    dd_mul,
    dd_mul_f,
    dd_sqrt,
    fast_two_sum,
    two_prod,
    two_sum,
)

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


# ---- tan' = 1/cos(x)^2 ----------------------------------------------------------------
#
# Why not 1/cos(x)**2 from libm: even a correctly rounded cos is half an ulp off, the square
# doubles that, and a cos whose significand is just above 1 gives a result whose significand
# is just below 2, doubling it again: 2 ulp, 2.5 with the final rounding. Worse, glibc's
# own reduction of huge arguments is only good to about 2**-110 absolute, so cos(x) is several
# ulp off where x is within ~1e-19 of an odd multiple of pi/2 (x = 6381956970095103 * 2**797).
# So the kernel does its own exact reduction (Payne-Hanek) and a double-double evaluation.
#
# Reduction. 1/cos^2 has period pi, so only y = |x| * 2/pi modulo 2 is needed. Write
# |x| = M * 2**s with s = max(exponent - 53, 0): M = |x| below 2**53, else M is the integer
# significand. Table row _PH_ROWS[s] holds (2**s * 2/pi) mod 2 as four floats (~212 bits);
# M times it is y modulo 2, because M * (2**s * 2/pi - row) is an even integer. Each product
# M * u_i is split exactly by two_prod, the integer parts are peeled off exactly with rint,
# and the remaining fraction G = y - n (|G| <= 1/2 + tiny, parity of n kept) is summed by a
# cascade of two_sums (Ogita-Rump-Oishi Sum2): its error is ~2**-104 times the largest
# summand, and when G is small (x close to a multiple of pi/2) those summands are themselves
# below ~2**-50, so even at the ~2**-61 worst-case distance of a float64 from a multiple of
# pi/2 the reduced argument r = G * pi/2 keeps ~90 good bits. (Below |x| ~ 2**-969 the low
# halves of the products underflow; r is then inexact but 1 + r^2 rounds to 1 regardless.)
#
# Evaluation. With w = r^2 and csc^2 r = 1/w + g(w), g(w) = 1/3 + w/15 + 2w^2/189 + ...
# (the Laurent series; its radius pi^2 in w is far beyond w <= pi^2/16), N = 1 + w*g:
#   n odd:  1/cos^2 x = 1/sin^2 r = N / w
#   n even: 1/cos^2 x = 1/cos^2 r = 1/(1 - sin^2 r) = N / (N - w)
# N - w >= 0.62 never cancels; for odd n, w >= ~2**-122 (no float64 is closer to an odd
# multiple of pi/2), so N / w neither underflows nor overflows; for even n a tiny or
# underflowed w just gives N / (N - w) = 1. 1 + w/3 is carried in dd; the tail
# w^2 * h(w) <= 0.03 is a plain-float Horner whose ~2**-57 absolute error is what keeps the
# result at ~0.55 ulp rather than 0.5.

_PIO2_HI, _PIO2_LO = dd_const("pi/2")
_THIRD_HI, _THIRD_LO = dd_const("1/3")
_PH_MAX_S = 1024 - 53  # largest s = exponent - 53 of a finite float64


def _csc2_tail_coefficients(count: int) -> tuple[float, ...]:
    """Coefficients c_2, c_3, ... of h(w) = (csc^2 r - 1/r^2 - 1/3) / r^2 in powers of w = r^2.

    c_k = (-1)**(k+1) * (2k - 1) * 4**k * B_2k / (2k)!; c_2 = 1/15, c_3 = 2/189. Terms up
    to k = 17 bring the truncation below 2**-60 for r^2 <= pi^2/16.
    """
    ctx = mpmath.MPContext()  # private: mpmath.workprec would set the global mp's precision
    ctx.prec = 200
    return tuple(
        float((-1) ** (k + 1) * (2 * k - 1) * ctx.mpf(4) ** k * ctx.bernoulli(2 * k)
              / ctx.factorial(2 * k))
        for k in range(2, 2 + count)
    )


_CSC2_TAIL = _csc2_tail_coefficients(16)[::-1]  # highest power first, for Horner


_SPLITTER = 134217729.0  # 2**27 + 1, Veltkamp
_RINT_MAGIC = 6755399441055744.0  # 1.5 * 2**52: (v + it) - it rounds |v| < 2**51 to an integer


def _payne_hanek_table() -> list[tuple[float, ...]]:
    """Row s: (2**s * 2/pi) mod 2 for s = 0 .. 971 as four floats u1..u4 (~212 bits).

    Stored as (u1, u1_hi, u1_lo, u2, u2_hi, u2_lo, u3, u3_hi, u3_lo, u4): the Veltkamp halves
    of the first three are precomputed so that each exact product M * u_i in d_tan splits
    only M, once.
    """
    frac_bits = _PH_MAX_S + 320
    ctx = mpmath.MPContext()  # private, and fresh: this may run in any thread, on first use
    ctx.prec = frac_bits + 64
    two_over_pi = int(ctx.floor(2 / ctx.pi * ctx.mpf(2) ** frac_bits))
    modulus = 2 << frac_bits
    rows = []
    for s in range(_PH_MAX_S + 1):
        rem = Fraction((two_over_pi << s) % modulus, 1 << frac_bits)
        row: list[float] = []
        for i in range(4):
            part = float(rem)
            rem -= Fraction(part)
            row.append(part)
            if i < 3:
                c = _SPLITTER * part
                hi = c - (c - part)
                row += [hi, part - hi]
        rows.append(tuple(row))
    return rows


_PH_ROWS: list[tuple[float, ...]] = []  # built on first use (~25 ms), not at import
_PH_ARRAY: Any = None


def _ph_row(s: Any, F: Any) -> tuple[Any, ...]:
    """The floats of table row s (s a float, or a float array on the NumPy path).

    A table lookup is the one operation _ops does not provide; it is done here on whatever
    the backend is (a list index for a float, a fancy index for an array). Out-of-table s
    (only from inf/nan input, whose result is nan anyway) is clipped.
    """
    if not _PH_ROWS:
        _PH_ROWS.extend(_payne_hanek_table())
    np = getattr(F, "np", None)
    if np is None:
        return _PH_ROWS[min(max(int(s), 0), _PH_MAX_S) if s == s else 0]
    global _PH_ARRAY
    if _PH_ARRAY is None:
        _PH_ARRAY = np.array(_PH_ROWS, dtype=np.float64)
    rows = _PH_ARRAY[np.clip(np.nan_to_num(s), 0, _PH_MAX_S).astype(np.intp)]
    return tuple(rows[..., i] for i in range(rows.shape[-1]))


def d_tan(x: Any, F: Any) -> Any:
    a = abs(x)
    _, e = F.frexp(a)
    s = F.maximum(e - 53.0, 0.0)
    big_m = F.ldexp(a, -s)
    u1, u1h, u1l, u2, u2h, u2l, u3, u3h, u3l, u4 = _ph_row(s, F)
    # exact products M * u_i = p_i + q_i (Dekker, with the u halves from the table)
    c = _SPLITTER * big_m
    mh = c - (c - big_m)
    ml = big_m - mh
    p1 = big_m * u1
    q1 = ((mh * u1h - p1) + mh * u1l + ml * u1h) + ml * u1l
    p2 = big_m * u2
    q2 = ((mh * u2h - p2) + mh * u2l + ml * u2h) + ml * u2l
    p3 = big_m * u3
    q3 = ((mh * u3h - p3) + mh * u3l + ml * u3h) + ml * u3l
    p4 = big_m * u4
    # peel off integers exactly: p1 modulo 2 (p1 < 2**54), then the integer parts of the
    # running sum; n1 + n2 is n modulo 2
    # (|s1|, |s2| <= 3: the add-and-subtract rounding trick is an exact rint there)
    p1 = p1 - 2.0 * F.rint(0.5 * p1)
    s1, t1 = two_sum(p1, q1)
    n1 = (s1 + _RINT_MAGIC) - _RINT_MAGIC
    s2, t2 = two_sum(s1 - n1, p2)
    n2 = (s2 + _RINT_MAGIC) - _RINT_MAGIC
    # G = (s2 - n2) + t1 + t2 + q2 + p3 + q3 + p4 by a cascade of error-free sums
    g, c = two_sum(s2 - n2, t1)
    g, d = two_sum(g, t2)
    c = c + d
    g, d = two_sum(g, q2)
    c = c + d
    g, d = two_sum(g, p3)
    c = c + d
    c = c + (q3 + p4)
    gh, gl = fast_two_sum(g, c)
    n = 0.5 * (n1 + n2)
    odd = n != (n + _RINT_MAGIC) - _RINT_MAGIC
    # w = (G pi/2)^2 in dd
    rh, rl = dd_mul(gh, gl, _PIO2_HI, _PIO2_LO)
    wh, wl = dd_mul(rh, rl, rh, rl)
    h = _CSC2_TAIL[0]
    for coef in _CSC2_TAIL[1:]:
        h = h * wh + coef
    th, tl = dd_mul(wh, wl, _THIRD_HI, _THIRD_LO)
    th, tl = dd_add_f(th, tl, wh * wh * h)
    nh, nl = dd_add_f(th, tl, 1.0)
    eh, el = dd_add(nh, nl, -wh, -wl)
    return dd_div(nh, nl, F.where(odd, wh, eh), F.where(odd, wl, el))[0]


def d_log(x: Any, F: Any) -> Any:
    # One IEEE division is already correctly rounded, subnormal and overflowing results
    # included (1/x overflows to inf exactly when the true value does). x + 0.0 is x except
    # that -0.0 becomes +0.0: log' at either zero is the limit from the domain side, +inf.
    return F.div0(1.0, x + 0.0)


def _const_over(ch: float, cl: float, x: Any, F: Any) -> Any:
    """``(ch + cl) / x`` rounded once, for ``x > 0``; +inf at either zero, 0 at +inf.

    ``x = m * 2**e`` with ``m`` in [0.5, 1): the double-double quotient by ``m`` never
    over- or underflows, and ``2**-e`` is applied last. A subnormal ``x`` would make
    ``1/x`` overflow inside a one-step division, and a huge ``x`` would make the residual
    product of dd_div underflow; scaling avoids both.
    """
    m, e = F.frexp(x)
    zero = x == 0.0
    q = dd_div(ch, cl, F.where(zero, 1.0, m), 0.0)[0]
    return F.where(zero, F.inf, F.where(x == F.inf, 0.0, F.ldexp(q, -e)))


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
    return F.where(zero, F.inf, F.where(x == F.inf, 0.0, F.ldexp(q, -e)))


def d_sqrt(x: Any, F: Any) -> Any:
    # x = m * 4**k with m in [0.25, 2), so 1/(2 sqrt x) = 2**-k * 0.5 / sqrt(m): the root is
    # corrected by the exact residual m - s*s and the quotient by its exact residual, and
    # subnormal x is as good as any other (frexp normalizes it).
    # x = 0 gives inf; x < 0 (outside the domain) nan rather than a ValueError.
    m, e = F.frexp(x)
    k = F.rint(0.5 * e)
    pos = x > 0.0
    m = F.where(pos, F.ldexp(m, e - 2.0 * k), 1.0)
    sh, sl = dd_sqrt(m, 0.0, F.sqrt)
    q = dd_div(0.5, 0.0, sh, sl)[0]
    return F.where(x == F.inf, 0.0,
                   F.where(pos, F.ldexp(q, -k), F.where(x == 0.0, F.inf, _NAN)))


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
    return F.where(zero, F.inf, F.where(abs(x) == F.inf, 0.0, F.ldexp(q, -2.0 * k)))


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
    return F.where(abs(x) == F.inf, 0.0, F.ldexp(dd_div(1.0, 0.0, dh, dl)[0], -2.0 * k))


def d_asinh(x: Any, F: Any) -> Any:
    dh, dl, k = _scaled_one_plus_square(x, F)
    return F.where(abs(x) == F.inf, 0.0, F.ldexp(_rsqrt_dd(dh, dl, F), -k))


def d_acosh(x: Any, F: Any) -> Any:
    # x = m * 2**k with m in [0.5, 1), k >= 1: x^2 - 1 = 4**k (m*m - 4**-k). m*m is exact in
    # dd and 4**-k <= 1/4 is subtracted exactly (Sterbenz next to x = 1, where m*m ~ 1/4),
    # so the cancellation at x -> 1 is free, and x ~ 1e300 never squares a huge number.
    m, k = F.frexp(x)
    ph, pl = two_prod(m, m)
    dh, dl = dd_add_f(ph, pl, -F.ldexp(1.0, -2.0 * k))
    pos = dh > 0.0
    r = F.ldexp(_rsqrt_dd(F.where(pos, dh, 1.0), F.where(pos, dl, 0.0), F), -k)
    return F.where(x == F.inf, 0.0, F.where(pos, r, F.where(dh == 0.0, F.inf, _NAN)))


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
    return F.where(zero, -F.inf, F.where(abs(x) == F.inf, -0.0, F.ldexp(q, -2.0 * e)))
