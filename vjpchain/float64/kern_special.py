"""Accurate float64 kernels for special functions: digamma, trigamma, normalized sinc.

Each kernel takes ``(x, F)`` with ``F`` from ``ops`` and runs on a Python float or a float64
array; the same source serves both. Only + - * / and the exact operations of ``F`` (where,
rint, frexp, ldexp, minimum, abs) are used -- no libm transcendental -- so the scalar and the
NumPy paths give bit-identical results.

Accuracy comes from carrying the parts that cancel in double-double (``dd``; Dekker/Knuth
error-free transformations, Muller et al., Handbook of Floating-Point Arithmetic, ch. 14)
and evaluating only small correction terms in plain double:

* ``_sincospi``: sin(pi x) and cos(pi x) to about 2**-71 relative or better (enough for the
  cancellations in sinc' and in the digamma reflection near their zeros) after an exact
  reduction x = n + m/2 + r, |r| <= 1/4 (x - rint(x) is exact in binary floating point,
  which is why pi*x is never formed before reducing).
* digamma, trigamma: the recurrence psi(x) = psi(x + 1) - 1/x (DLMF 5.5.2) shifts x up to
  [10, 11) in at most ten masked steps, summing the reciprocals in double-double; then
  the asymptotic expansion about x - 1/2, which has only even powers (DLMF 5.11.8
  differentiated: psi(u + 1/2) ~ ln u - sum B_2k(1/2) / (2k u**2k)). Negative x use the
  reflection psi(x) = psi(1 - x) - pi cot(pi x) (DLMF 5.5.4) with 1 - x in double-double.
  Around the positive zero of psi, a Taylor series in x - x0 with x0 in double-double keeps
  the relative accuracy (as Cephes psi.c and Boost digamma_imp_1_2 do with their rational
  forms; our coefficients are psi^(k)(x0)/k! computed with mpmath).
"""

from __future__ import annotations

from typing import Any

from ..mpcontext import at_precision
from .dd import dd_add, dd_const, dd_div, dd_mul, dd_mul_f, fast_two_sum, two_prod, two_sum

__all__ = ["lgamma", "digamma", "trigamma", "sinc", "d_sinc"]

# ---------------------------------------------------------------------------------------
# Constants (double-double pairs are (hi, lo) with hi + lo correct to ~2**-106; generated
# with mpmath at 50 digits, see tests/test_kern_special.py which regenerates and checks them)

_PI = (3.141592653589793, 1.2246467991473532e-16)
_PI2 = (9.869604401089358, 6.265295508739711e-16)
_INV_PI = (0.3183098861837907, -1.9678676675182486e-17)
_EULER = 0.5772156649015329  # gamma
_ZETA2 = 1.6449340668482264  # pi**2 / 6
_TWO_ZETA3 = 2.4041138063191885

# sin(pi r) = r * sum_k SIN[k] r**(2k), SIN[k] = (-1)**k pi**(2k+1) / (2k+1)!  (|r| <= 1/4).
# The first four coefficients are carried in double-double: with v = r*r <= 1/16 the k-th
# term is below 4e-7 of the sum for k >= 4, so the double tail costs < 2**-74 relative.
_SIN_DD = (
    (3.141592653589793, 1.2246467991473532e-16),
    (-5.16771278004997, 2.2665622825789447e-16),
    (2.5501640398773455, -7.931006345326556e-17),
    (-0.5992645293207921, 2.845026112698218e-17),
)
_SIN_TAIL = (0.08214588661112823, -0.0073704309457143504, 0.00046630280576761255,
             -2.1915353447830217e-05, 7.952054001475513e-07, -2.2948428997269873e-08,
             5.392664662608129e-10, -1.0518471716932065e-11)
# cos(pi r) = sum_k COS[k] r**(2k), COS[k] = (-1)**k pi**(2k) / (2k)!; tail below 4e-6.
_COS_DD = (
    (1.0, 0.0),
    (-4.934802200544679, -3.1326477543698557e-16),
    (4.0587121264167685, -2.6602000824298645e-16),
    (-1.3352627688545895, 3.1815237892149862e-18),
)
_COS_TAIL = (0.2353306303588932, -0.02580689139001406, 0.0019295743094039231,
             -0.0001046381049248457, 4.303069587032947e-06, -1.3878952462213771e-07,
             3.604730797462501e-09, -7.700707130601354e-11)

# d/dx sinc(x) = x * sum_{k>=1} D[k] x**(2k-2), D[k] = (-1)**k 2k pi**(2k) / (2k+1)!
# (differentiated Taylor series of sin(pi x)/(pi x)); for |x| < 1/4 the terms after the first
# are below 6.2e-2 of it, so only D[1] = -pi**2/3 needs double-double.
_DSINC_1 = (-3.289868133696453, -6.081344700796952e-17)
_DSINC_TAIL = (3.2469697011334144, -1.1445109447325053, 0.2091827825412384,
               -0.023460810354558236, 0.001781145516372852, -9.766223126318933e-05,
               4.049947846619244e-06, -1.3148481279991994e-07, 3.4330769499642866e-09,
               -7.365893777096947e-11)

# ln 2 split so that e * _LN2_HI is exact for |e| < 2**12 (the high part has 40 bits).
_LN2_HI = 0.6931471805592082
_LN2_LO = 7.371002565167799e-13
# ln m for m = frexp mantissa in [1/2, 1) is reduced to the nearer of two centres
# c = 2**(-3/4), 2**(-1/4) (rounded to double; ln c is of the rounded value), split at
# sqrt(1/2), so that |s| = |m - c|/(m + c) <= 0.0865.
_LOG_C = (0.5946035575013605, 0.8408964152537145)
_LOG_LNC = ((-0.519860385419959, 3.238925240678797e-17),
            (-0.17328679513998638, 9.61928934371463e-19))
_SQRT_HALF = 0.7071067811865476
_TWO_THIRDS = (0.6666666666666666, 3.700743415417188e-17)
# 2 atanh(s) = 2s + 2s**3/3 + s**5 * sum_j 2/(2j+1) s**(2j-4), j >= 2; with s*s <= 7.5e-3
# the double tail is below 2e-6 of the result and ten terms leave less than 2**-75.
_ATANH_TAIL = (0.4, 0.2857142857142857, 0.2222222222222222, 0.18181818181818182,
               0.15384615384615385, 0.13333333333333333, 0.11764705882352941,
               0.10526315789473684, 0.09523809523809523, 0.08695652173913043)

# psi(u + 1/2) ~ ln u - sum_k PSI_ASYM[k] u**(-2k), PSI_ASYM[k] = B_2k(1/2) / (2k), and
# psi'(u + 1/2) ~ 1/u + sum_k TRI_ASYM[k] u**(-2k-1), TRI_ASYM[k] = B_2k(1/2)
# (B_2k(1/2) = (2**(1-2k) - 1) B_2k; DLMF 24.4.27 and 5.11.8). For u >= 9.5 the 13th term of
# the digamma series is 2e-21 and the series is still decreasing (its smallest term, near
# k = pi u, is ~1e-26), so the truncation error (the 14th term, 4e-22) is below 2**-70.
_PSI_ASYM = (-0.041666666666666664, 0.007291666666666667, -0.0038442460317460315,
             0.004134114583333333, -0.007560961174242424, 0.021082496875953906,
             -0.08332316080729167, 0.4432462767058728, -3.0539310304476537,
             26.4561616599921, -281.46001071688056, 3607.5101163492773, -54827.58169934402)
_PSI_ASYM_1 = (-0.041666666666666664, -2.3129646346357427e-18)  # -1/24
_TRI_ASYM = (-0.08333333333333333, 0.029166666666666667, -0.023065476190476192,
             0.03307291666666667, -0.07560961174242424, 0.2529899625114469,
             -1.1665242513020833, 7.091940427293965, -54.970758548057766, 529.123233199842,
             -6192.120235771373, 86580.24279238265, -1425517.1241829444)
_SHIFT_TO = 10.0  # the recurrence lifts the argument to at least this
_SHIFT_STEPS = 10  # enough for any argument >= 2**-30 (smaller ones take the series)

# The positive zero x0 of psi in double-double, and psi(x0 + t) = sum_k ROOT[k] t**k with
# ROOT[k] = psi^(k)(x0) / k! (mpmath). Used for |t| < 1/16: the radius of convergence is x0
# (pole at 0), so term k is below (1/23.4)**k of the leading one and 14 terms reach 2**-58.
_ROOT = (1.4616321449683622, 9.549995429965697e-17)
_ROOT_C1 = (0.9676722454476212, -3.387874303038943e-17)
_ROOT_TAIL = (-0.4427631689835921, 0.258499760955651, -0.16394270544240652,
              0.10782405069126237, -0.07219956125645471, 0.04880428816414311,
              -0.03316112647484736, 0.022597648232218104, -0.01542476590494896,
              0.010538791616612175, -0.007204534386356869, 0.004926781395729853,
              -0.003369801655439328)
_ROOT_RADIUS = 0.0625

# log|Gamma|: ln(pi), ln(2 pi)/2 and Euler's gamma in double-double; the Stirling series
# lgamma(u) ~ (u - 1/2) ln u - u + ln(2 pi)/2 + sum_k STIRLING[k] u**(1-2k),
# STIRLING[k] = B_2k / (2k (2k - 1)) (DLMF 5.11.1). For u >= 10 the 13th term is 2e-22, the
# series still decreasing, so the truncation error is below 2**-70 of lgamma(u) >= 12.8.
_LN_PI = dd_const("log(pi)")
_HALF_LN_2PI = dd_const("log(2*pi)/2")


def _lgamma_series() -> tuple[tuple[float, ...], tuple[float, ...], tuple[float, ...]]:
    """Stirling coefficients, and the Taylor coefficients of lgamma about 1 and 2:
    lgamma(1 + t) = -gamma t + sum_{k>=2} (-1)**k zeta(k)/k t**k and
    lgamma(2 + t) = (1 - gamma) t + sum_{k>=2} (-1)**k (zeta(k) - 1)/k t**k (DLMF 5.7.3)."""
    c = at_precision(300)
    stirling = tuple(float(c.bernoulli(2 * k) / (2 * k * (2 * k - 1))) for k in range(1, 14))
    at1 = tuple(float((-1) ** k * c.zeta(k) / k) for k in range(2, 26))
    at2 = tuple(float((-1) ** k * (c.zeta(k) - 1) / k) for k in range(2, 26))
    return stirling, at1, at2


_STIRLING, _LG_AT1, _LG_AT2 = _lgamma_series()
_STIRLING_1 = dd_const("1/12")
_LG1_C1 = dd_const("-euler")
_LG1_C2 = dd_const("zeta(2)/2")
_LG2_C1 = dd_const("1 - euler")
_LG2_C2 = dd_const("(zeta(2) - 1)/2")
# |t| <= 1/8 about 1 and 2: term k of the series is below 8**(1-k) of the first (about 1) and
# 16**(1-k)/2 (about 2), so 25 terms reach 2**-70; outside these windows |lgamma| >= 0.049,
# and the general path's absolute error (2**-68 of about 45) is then below 2**-58 of it.
_LG_RADIUS = 0.125

_TINY = 2.0 ** -30  # below this, psi and psi' are given by their Laurent series at 0
_SPLIT = 134217729.0  # 2**27 + 1, Veltkamp


# ---------------------------------------------------------------------------------------
# helpers


def _horner(coeffs: tuple[float, ...], v: Any) -> Any:
    acc = coeffs[-1]
    for c in reversed(coeffs[:-1]):
        acc = c + v * acc
    return acc


def _any(mask: Any) -> bool:
    """Whether any element of a comparison result is true (a bool, or a NumPy bool array).

    Only bounds the number of loop passes; masked steps keep the results independent of it.
    """
    return bool(mask.any()) if hasattr(mask, "any") else bool(mask)


def _horner_dd(dd_coeffs: tuple[tuple[float, float], ...], vh: Any, vl: Any,
               th: Any) -> tuple[Any, Any]:
    """Continue a Horner evaluation from the double th in double-double: t <- c + v t.

    Inlined Dekker product (v is split once) and a fast two-sum, valid because every
    coefficient here exceeds |v t| (the series decrease); error about 2**-100 relative.
    """
    c = _SPLIT * vh
    v1 = c - (c - vh)
    v2 = vh - v1
    tl = 0.0 * th
    for ch, cl in reversed(dd_coeffs):
        c = _SPLIT * th
        t1 = c - (c - th)
        t2 = th - t1
        p = vh * th
        e = (((v1 * t1 - p) + v1 * t2 + v2 * t1) + v2 * t2) + (vh * tl + vl * th)
        s = ch + p
        lo = ((p - (s - ch)) + e) + cl
        th = s + lo
        tl = lo - (th - s)
    return th, tl


def _sincospi_reduced(r: Any) -> tuple[Any, Any, Any, Any]:
    """sin(pi r) / r and cos(pi r) in double-double for an exact |r| <= 1/4.

    Plain Taylor series (the reduced range makes them converge fast); the low-order
    coefficients in double-double, the rest in double (see _SIN_DD / _COS_DD).
    """
    vh, vl = two_prod(r, r)
    sh, sl = _horner_dd(_SIN_DD, vh, vl, _horner(_SIN_TAIL, vh))
    ch, cl = _horner_dd(_COS_DD, vh, vl, _horner(_COS_TAIL, vh))
    return sh, sl, ch, cl


def _sincospi(x: Any, F: Any) -> tuple[Any, Any, Any, Any, Any, Any]:
    """sin(pi x) and cos(pi x) in double-double, for any finite x, and sin(pi r)/r.

    x = n + m/2 + r with n = rint(x), m = rint(2 (x - n)) in {-1, 0, 1}, |r| <= 1/4; both
    subtractions are exact (Sterbenz), so no error enters before the series. For |x| >= 2**52
    x is an integer and r = 0. The parity of n is n - 2 rint(n/2), which cannot overflow.
    """
    n = F.rint(x)
    r1 = x - n
    m = F.rint(2.0 * r1)
    r = r1 - 0.5 * m
    ph, pl, ch, cl = _sincospi_reduced(r)
    sh, sl = dd_mul_f(ph, pl, r)
    sign = 1.0 - 2.0 * abs(n - 2.0 * F.rint(0.5 * n))  # (-1)**n
    # a quarter turn: sin(pi(r + m/2)) = m cos(pi r), cos(pi(r + m/2)) = -m sin(pi r)
    on_axis = m == 0.0
    s_h = F.where(on_axis, sh, m * ch) * sign
    s_l = F.where(on_axis, sl, m * cl) * sign
    c_h = F.where(on_axis, ch, -m * sh) * sign
    c_l = F.where(on_axis, cl, -m * sl) * sign
    return s_h, s_l, c_h, c_l, ph, pl


def _recip(yh: Any, yl: Any) -> tuple[Any, Any]:
    """1 / (yh + yl) in double-double (one Newton step on the rounded quotient)."""
    q = 1.0 / yh
    p, e = two_prod(q, yh)
    return q, q * (((1.0 - p) - e) - q * yl)


def _log_dd(uh: Any, ul: Any, F: Any) -> tuple[Any, Any]:
    """ln(uh + ul) in double-double for finite uh >= 2; about 2**-75 relative.

    uh = 2**e * m exactly (frexp), m in [1/2, 1); then ln m = ln c + 2 atanh(s)
    with s = (m - c)/(m + c) for the nearer of two centres c (Muller, Elementary Functions:
    Algorithms and Implementation, ch. 6: table-based reduction, here a two-entry table).
    m - c is exact (Sterbenz); 2s and 2s**3/3 are carried in double-double, the rest of the
    atanh series in double.
    """
    m, e = F.frexp(uh)
    low = m < _SQRT_HALF
    c = F.where(low, _LOG_C[0], _LOG_C[1])
    lch = F.where(low, _LOG_LNC[0][0], _LOG_LNC[1][0])
    lcl = F.where(low, _LOG_LNC[0][1], _LOG_LNC[1][1])
    f = m - c  # exact
    dh, dl = two_sum(m, c)
    sh = f / dh
    p, pe = two_prod(sh, dh)
    sl = (((f - p) - pe) - sh * dl) / dh
    s2h, s2l = two_prod(sh, sh)
    s2l = s2l + 2.0 * sh * sl
    s3h, s3l = dd_mul(s2h, s2l, sh, sl)
    t3h, t3l = dd_mul(s3h, s3l, _TWO_THIRDS[0], _TWO_THIRDS[1])
    t3l = t3l + s3h * s2h * _horner(_ATANH_TAIL, s2h)
    ah, al = two_sum(e * _LN2_HI, lch)
    al = al + (lcl + e * _LN2_LO + ul / uh)
    ah, al = dd_add(ah, al, 2.0 * sh, 2.0 * sl)
    return dd_add(ah, al, t3h, t3l)


def _shift(yh: Any, yl: Any, squares: bool, F: Any) -> tuple[Any, Any, Any, Any]:
    """Lift y = yh + yl to [10, 11) by y -> y + 1, summing 1/y (or 1/y**2) in double-double.

    Masked steps (a step adds 0 once y >= 10), at most _SHIFT_STEPS of them; the loop stops
    early once no element needs a step, so a scalar pays only for the steps it takes.
    The reciprocal is the rounded quotient plus one Newton correction with an exact residual
    (Dekker product inlined); the terms decrease, so the running sum takes a fast two-sum.
    """
    Sh = 0.0 * yh
    Sl = 0.0 * yh
    for _ in range(_SHIFT_STEPS):
        need = yh < _SHIFT_TO
        if not _any(need):
            break
        k = F.where(need, 1.0, 0.0)
        yc = F.minimum(yh, 16.0)
        q = 1.0 / yc
        p = q * yc
        c = _SPLIT * q
        q1 = c - (c - q)
        q2 = q - q1
        c = _SPLIT * yc
        y1 = c - (c - yc)
        y2 = yc - y1
        e = ((q1 * y1 - p) + q1 * y2 + q2 * y1) + q2 * y2
        ql = q * (((1.0 - p) - e) - q * yl)
        if squares:  # 1/y**2 = (q + ql)**2, Dekker square of q
            p = q * q
            e = ((q1 * q1 - p) + 2.0 * q1 * q2) + q2 * q2
            q, ql = p, e + 2.0 * q * ql
        q = k * q
        s = Sh + q
        Sl = Sl + ((q - (s - Sh)) + k * ql)
        Sh = s
        s = yh + k
        b = s - yh
        yl = yl + ((yh - (s - b)) + (k - b))
        yh = s
    yh, yl = fast_two_sum(yh, yl)
    Sh, Sl = fast_two_sum(Sh, Sl)
    return yh, yl, Sh, Sl


# ---------------------------------------------------------------------------------------
# log|Gamma|


def _taylor_at(t: Any, c1: tuple[float, float], c2: tuple[float, float],
               tail: tuple[float, ...]) -> Any:
    """t (c1 + t (c2 + t R(t))) with c1, c2 in double-double, R's coefficients in double:
    t R(t) is below 0.06 of c2 for |t| <= 1/8, so its rounding costs under 2**-57."""
    ah, al = two_sum(c2[0], t * _horner(tail, t))
    ah, al = dd_mul_f(ah, al + c2[1], t)
    ah, al = dd_add(c1[0], c1[1], ah, al)
    ah, al = dd_mul_f(ah, al, t)
    return ah + al


def _lgamma_above_10(uh: Any, ul: Any, F: Any) -> tuple[Any, Any, Any]:
    """Stirling's series for lgamma(uh + ul), uh >= 10, in double-double: (hi, lo, k) with
    the value (hi + lo) 2**k. Above 2**900 the products are formed scaled by 2**-200 (k =
    200), where u - 1/2 = u and the series is below 2**-900; the caller's ldexp overflows to
    inf past lgamma's largest finite argument, 2.55e305."""
    huge = uh > 2.0 ** 900
    sc = F.where(huge, 2.0 ** -200, 1.0)
    Lh, Ll = _log_dd(uh, ul, F)
    ah, al = two_sum(uh, -0.5)
    ah, al = fast_two_sum(ah, al + ul)
    th, tl = dd_mul(ah * sc, al * sc, Lh, Ll)
    th, tl = dd_add(th, tl, -uh * sc, -ul * sc)
    # 1/(12 u) in double-double, the rest of the series (below 2.8e-6) in double
    rh, rl = _recip(F.minimum(uh, 2.0 ** 500), ul)
    w = rh * rh
    bh, bl = dd_mul(rh, rl, _STIRLING_1[0], _STIRLING_1[1])
    bl = bl + rh * (w * _horner(_STIRLING[1:], w))
    bh, bl = dd_add(_HALF_LN_2PI[0], _HALF_LN_2PI[1], bh, bl)
    th, tl = dd_add(th, tl, bh * sc, bl * sc)
    return th, tl, F.where(huge, 200.0, 0.0)


def lgamma(x: Any, F: Any) -> Any:
    """log|Gamma(x)| for real x; +inf at the poles 0, -1, -2, ..., nan at -inf.

    * x > 0: lgamma(x) = lgamma(x + N) - ln(x (x + 1) ... (x + N - 1)) (DLMF 5.5.1) with
      x + N >= 10 and the product in double-double, then Stirling's series; absolute error
      about 2**-68 of the two terms (at most ~45), so relative 2**-58 wherever |lgamma| >=
      0.049, which holds outside |x - 1|, |x - 2| < 1/8; there, Taylor series about 1 and 2
      (their zeros) keep the relative accuracy.
    * x < 0: the reflection lgamma(x) = ln(pi) - ln|sin(pi x)| - lgamma(1 - x) (DLMF 5.5.3)
      with 1 - x in double-double and sin(pi x) from the exact reduction of ``_sincospi``;
      the terms cancel next to lgamma's negative zeros, where the caller rechecks
      (absolute error about 2**-68 of ln(pi/|sin|) + lgamma(1 - x)).
    * |x| < 2**-30: lgamma(x) = -ln|x| - gamma x + zeta(2)/2 x**2 (DLMF 5.7.3).
    """
    ax = abs(x)
    neg = x < 0.0
    tiny = ax < _TINY
    # y = x, or 1 - x in double-double; lift y to [10, 11) multiplying the factors into P
    yh, yl = two_sum(F.where(neg, 1.0, 0.0), F.where(tiny, _SHIFT_TO, ax))
    Ph = 1.0 + 0.0 * yh
    Pl = 0.0 * yh
    for _ in range(_SHIFT_STEPS):
        need = yh < _SHIFT_TO
        if not _any(need):
            break
        nh, nl = dd_mul(Ph, Pl, F.minimum(yh, 16.0), yl)
        Ph = F.where(need, nh, Ph)
        Pl = F.where(need, nl, Pl)
        s, e = two_sum(yh, F.where(need, 1.0, 0.0))
        yh, yl = fast_two_sum(s, e + yl)
    Th, Tl, k = _lgamma_above_10(yh, yl, F)
    Lh, Ll = _log_dd(Ph, Pl, F)
    Gh, Gl = dd_add(Th, Tl, -Lh, -Ll)  # lgamma(y) (P = 1 wherever k > 0)
    out = F.where(k > 0.0, F.ldexp(Th + Tl, k), Gh + Gl)

    if _any(neg):  # (bounds the work only: the masked result is the same without it)
        sh, sl, _, _, _, _ = _sincospi(F.where(neg & ~tiny, x, 0.5), F)
        pole = sh == 0.0
        flip = F.where(sh < 0.0, -1.0, 1.0)
        Sh, Sl = _log_dd(F.where(pole, 1.0, flip * sh), flip * sl, F)
        Rh, Rl = dd_add(_LN_PI[0], _LN_PI[1], -Sh, -Sl)
        Rh, Rl = dd_add(Rh, Rl, -Gh, -Gl)
        out = F.where(neg, F.where(pole, F.inf, Rh + Rl), out)

    if _any(tiny):
        Sh, Sl = _log_dd(F.where(tiny & (x != 0.0), ax, 1.0), 0.0, F)
        small = _EULER * x - _LG1_C2[0] * (x * x)
        out = F.where(tiny, F.where(x == 0.0, F.inf, -Sh - (Sl + small)), out)

    near1 = abs(x - 1.0) < _LG_RADIUS
    if _any(near1):
        t = F.where(near1, x - 1.0, 0.0)  # exact (Sterbenz)
        out = F.where(near1, _taylor_at(t, _LG1_C1, _LG1_C2, _LG_AT1[1:]), out)
    near2 = abs(x - 2.0) < _LG_RADIUS
    if _any(near2):
        t = F.where(near2, x - 2.0, 0.0)
        out = F.where(near2, _taylor_at(t, _LG2_C1, _LG2_C2, _LG_AT2[1:]), out)
    return F.where(x == F.inf, F.inf, out)


# ---------------------------------------------------------------------------------------
# digamma


def digamma(x: Any, F: Any) -> Any:
    """psi(x) = Gamma'(x)/Gamma(x), for real x other than 0, -1, -2, ..."""
    ax = abs(x)
    neg = x < 0.0
    tiny = ax < _TINY

    # |x| < 2**-30: psi(x) = -1/x - gamma + zeta(2) x - ... (DLMF 5.7.4). Written for
    # x = mu 2**e so that 1/mu can be formed in double-double without overflow, then scaled.
    mu, e = F.frexp(x)
    e = F.minimum(e, -29.0)
    qh, ql = _recip(F.where(x == 0.0, 0.5, mu), 0.0)  # x = 0 is a pole: -1/x below
    pe = F.ldexp(1.0, e)  # 2**e, exact: e >= -1073
    small = -ql - _EULER * pe + (_ZETA2 * mu * pe) * pe
    tiny_val = F.ldexp(small - qh, -e)

    # y = x for x > 0, y = 1 - x (double-double) for x < 0; lift y, asymptotic series.
    yh, yl = two_sum(F.where(neg, 1.0, 0.0), F.where(tiny, _SHIFT_TO, ax))
    yh, yl, Sh, Sl = _shift(yh, yl, False, F)
    uh, ul = two_sum(yh, -0.5)
    ul = ul + yl
    Lh, Ll = _log_dd(uh, ul, F)
    # the first term of the series, w/24 with w = u**-2 <= 0.011, in double-double; the rest
    # is below 1e-6 and double suffices. (Above 2**500 the terms vanish; clamp to keep the
    # Newton step of _recip finite.)
    rh, rl = _recip(F.minimum(uh, 2.0 ** 500), ul)
    wh, wl = two_prod(rh, rh)
    wl = wl + 2.0 * rh * rl
    b1h, b1l = dd_mul(wh, wl, _PSI_ASYM_1[0], _PSI_ASYM_1[1])
    b1l = b1l + wh * (wh * _horner(_PSI_ASYM[1:], wh))
    Ph, Pl = dd_add(Lh, Ll, -b1h, -b1l)
    Ph, Pl = dd_add(Ph, Pl, -Sh, -Sl)

    # reflection: psi(x) = psi(1 - x) - pi cot(pi x); x is not an integer here
    sh, sl, ch, cl, _, _ = _sincospi(F.where(tiny, 0.5, F.where(neg, x, 0.5)), F)
    pole = sh == 0.0  # only at the excluded non-positive integers: the value is nan
    kh, kl = dd_div(ch, cl, F.where(pole, 1.0, sh), sl)
    kh, kl = dd_mul(kh, kl, _PI[0], _PI[1])
    Rh, Rl = dd_add(Ph, Pl, -kh, -kl)
    Rh = F.where(neg, F.where(pole, F.inf - F.inf, Rh), Ph)
    Rl = F.where(neg, Rl, Pl)

    # near the positive zero x0: psi = t (c1 + t Q(t)), t = x - x0 in double-double
    near = abs(x - _ROOT[0]) < _ROOT_RADIUS
    th, tl = two_sum(F.where(near, x - _ROOT[0], 0.0), -_ROOT[1])
    lead_h, lead_l = two_sum(_ROOT_C1[0], th * _horner(_ROOT_TAIL, th))
    lead_l = lead_l + _ROOT_C1[1]
    zh, zl = dd_mul(th, tl, lead_h, lead_l)

    out = F.where(near, zh + zl, Rh + Rl)
    out = F.where(tiny, tiny_val, out)
    # psi(x) ~ ln x -> inf; at -inf there is no limit (nan)
    out = F.where(x == F.inf, F.inf, out)
    return F.where(x == 0.0, F.div0(-1.0, x), out)


# ---------------------------------------------------------------------------------------
# trigamma


def trigamma(x: Any, F: Any) -> Any:
    """psi'(x), for real x other than 0, -1, -2, ..."""
    ax = abs(x)
    neg = x < 0.0
    tiny = ax < _TINY

    # |x| < 2**-30: psi'(x) = 1/x**2 + zeta(2) - 2 zeta(3) x + ... (DLMF 5.15.1 with 5.7.4)
    mu, e = F.frexp(x)
    e = F.minimum(e, -29.0)
    qh, ql = _recip(F.where(x == 0.0, 0.5, mu), 0.0)  # x = 0 is a pole: inf below
    q2h, q2l = two_prod(qh, qh)
    q2l = q2l + 2.0 * qh * ql
    small = q2l + F.ldexp(_ZETA2, 2.0 * e) - F.ldexp(_TWO_ZETA3 * mu, 3.0 * e)
    tiny_val = F.ldexp(q2h + small, -2.0 * e)

    # psi'(x) = psi'(x + N) + sum 1/(x + k)**2 (x > 0), and for x < 0 the reflection
    # psi'(x) = pi**2 / sin(pi x)**2 - psi'(1 - x) (DLMF 5.15.6)
    yh, yl = two_sum(F.where(neg, 1.0, 0.0), F.where(tiny, _SHIFT_TO, ax))
    yh, yl, Sh, Sl = _shift(yh, yl, True, F)
    uh, ul = two_sum(yh, -0.5)
    ul = ul + yl
    # asymptotic: psi'(u + 1/2) = (1/u) (1 + sum TRI_ASYM[k] u**(-2k)); for u > 2**500 the
    # correction is below 2**-1000 and 1/u is formed directly (the Newton step would overflow)
    huge = uh > 2.0 ** 500
    rh, rl = _recip(F.where(huge, 1.0, uh), ul)
    w = 1.0 / (uh * uh)
    rl = rl + rh * (w * _horner(_TRI_ASYM, w))
    Ah, Al = dd_add(rh, rl, Sh, Sl)

    sh, sl, _, _, _, _ = _sincospi(F.where(tiny, 0.5, F.where(neg, x, 0.5)), F)
    s2h, s2l = dd_mul(sh, sl, sh, sl)
    pole = s2h == 0.0  # only at the excluded non-positive integers
    ch, cl = dd_div(_PI2[0], _PI2[1], F.where(pole, 1.0, s2h), s2l)
    Rh, Rl = dd_add(ch, cl, -Ah, -Al)

    out = F.where(neg, F.where(pole, F.inf, Rh + Rl), Ah + Al)
    out = F.where(huge, 1.0 / uh, F.where(x == F.inf, 0.0, out))
    return F.where(x == 0.0, F.inf, F.where(tiny, tiny_val, out))


# ---------------------------------------------------------------------------------------
# sinc(x) = sin(pi x) / (pi x) and its derivative


def sinc(x: Any, F: Any) -> Any:
    """Normalized sinc, sin(pi x)/(pi x), with sinc(0) = 1."""
    ax = abs(x)
    small = ax <= 0.25
    # |x| <= 1/4: the reduction leaves r = x, and sin(pi x)/x is the series itself
    sh, sl, _, _, ph, pl = _sincospi(x, F)
    sm_h, sm_l = dd_mul(ph, pl, _INV_PI[0], _INV_PI[1])
    # otherwise sin(pi x) / (pi x), both double-double; for |x| >= 2**52 sin(pi x) = 0
    xc = F.where(small | (ax >= 2.0 ** 52), 1.0, x)
    th, tl = dd_mul_f(_PI[0], _PI[1], xc)
    qh, ql = dd_div(sh, sl, th, tl)
    return F.where(small, sm_h + sm_l, F.where(ax >= 2.0 ** 52, 0.0, qh + ql))


def d_sinc(x: Any, F: Any) -> Any:
    """d/dx sinc(x) = (cos(pi x) - sinc(x)) / x, with value 0 at x = 0."""
    ax = abs(x)
    small = ax < 0.25
    big = ax >= 2.0 ** 52

    # |x| < 1/4: x * D(x**2) (see _DSINC_*). Arguments below 2**-900 are scaled up by 2**600
    # so that the double-double product does not underflow, then scaled back (one rounding
    # into the subnormals).
    xs = F.where(small, x, 0.0)
    scale = F.where(ax < 2.0 ** -900, 600.0, 0.0)
    xs = F.ldexp(xs, scale)
    v = x * x
    dh, dl = two_sum(_DSINC_1[0], v * _horner(_DSINC_TAIL, v))
    dl = dl + _DSINC_1[1]
    ph, pl = dd_mul_f(dh, dl, xs)
    small_val = F.ldexp(ph + pl, -scale)

    # otherwise (cos(pi x) - sin(pi x)/(pi x)) / x in double-double: the difference cancels
    # near the zeros of sinc' (tan(pi x) = pi x), which is why both terms carry ~2**-71.
    # For |x| >= 2**52, x is an integer: sin(pi x) = 0 and the value is cos(pi x)/x = +-1/x.
    xc = F.where(small | big, 1.0, x)
    sh, sl, ch, cl, _, _ = _sincospi(F.where(big, x, xc), F)
    th, tl = dd_mul_f(_PI[0], _PI[1], xc)
    qh, ql = dd_div(sh, sl, th, tl)
    nh, nl = dd_add(ch, cl, -qh, -ql)
    rh, rl = dd_div(nh, nl, xc, 0.0)
    # at +-inf the limit is 0 (a bounded numerator over x); ch / x would be nan
    return F.where(small, small_val, F.where(abs(x) == F.inf, 0.0,
                                             F.where(big, ch / F.where(big, x, 1.0), rh + rl)))
