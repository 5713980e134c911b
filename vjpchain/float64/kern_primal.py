"""Accurate float64 kernels for primal values where libm is more than 1 ulp off: cbrt, tanh,
atanh and erfc (sinh and cosh are ``kern_exp.d_cosh`` and ``kern_exp.d_sinh``).

glibc 2.36 is up to 2.9 ulp off for cbrt, 2.25 for erfc (x in 1..27), 1.8 for tanh and
1.5 for atanh, and NumPy's ufuncs call it (or SIMD code of similar accuracy) too. Each
kernel takes ``(x, F)`` with ``F`` from ``ops`` and runs on a Python float or a float64 array;
as in the other kernel modules, the formula is evaluated in double-double and rounded once,
so the results are within 0.5 ulp plus a few 2**-12 ulp.
"""

from __future__ import annotations

from typing import Any

from ..mpcontext import at_precision
from .dd import (
    dd_add,
    dd_add_f,
    dd_div,
    dd_exp_scaled,
    dd_expm1_scaled,
    dd_ldexp,
    dd_log,
    dd_log1p,
    dd_mul,
    dd_mul_f,
    dd_sqrt,
    two_prod,
    two_sum,
)

__all__ = ["cbrt", "tanh", "atanh", "erfc", "log10", "acosh"]

_SPLITTER = 134217729.0  # 2**27 + 1, Veltkamp
_NAN = float("nan")
_TINY = 2.0 ** -27  # tanh(x) and atanh(x) round to x below (|x**3/3| < ulp(x)/4)


def _keep_nan(x: Any, res: Any, F: Any) -> Any:
    return F.where(x == x, res, x)


# ---- cbrt ---------------------------------------------------------------------------------
#
# One Newton step on libm's root c (within ~1 ulp): cbrt(x) = c + (x - c**3) / (3 c**2) up to
# a relative (x - c**3)**2 / x**2 ~ 2**-104. The residual x - c**3 must be exact, because it is
# the difference of two numbers agreeing to 52 bits: c*c = ph + pl exactly (Dekker), then
# (ph + pl)*c = th + tl to ~2**-104 relative, and x - th is exact (Sterbenz). The correction,
# about an ulp of c, needs only a few correct bits; c + correction rounds once. The products
# stay exact when |x| is in [2**-600, 2**600]; outside, x is scaled by 2**(+-603) first, and
# the root back by 2**(-+201) (exact: the result is a normal float for every x).

_SCALE_DOWN, _ROOT_DOWN = 2.0 ** -603, 2.0 ** 201
_SCALE_UP, _ROOT_UP = 2.0 ** 603, 2.0 ** -201


def cbrt(x: Any, F: Any) -> Any:
    a = abs(x)
    big = a > 2.0 ** 600
    small = a < 2.0 ** -600
    scale = F.where(big, _SCALE_DOWN, F.where(small, _SCALE_UP, 1.0))
    m = a * scale
    c = F.cbrt(m)
    # c*c = ph + pl, then (ph + pl)*c = th + tl (Dekker products, splits written out)
    s = _SPLITTER * c
    ch = s - (s - c)
    cl = c - ch
    ph = c * c
    pl = ((ch * ch - ph) + 2.0 * (ch * cl)) + cl * cl
    s = _SPLITTER * ph
    hh = s - (s - ph)
    hl = ph - hh
    th = ph * c
    tl = (((hh * ch - th) + hh * cl + hl * ch) + hl * cl) + pl * c
    regular = (m > 0.0) & (m < F.inf)  # 0, inf and nan are their own cube roots
    y = c + ((m - th) - tl) / (3.0 * F.where(regular, ph, 1.0))
    y = y * F.where(big, _ROOT_DOWN, F.where(small, _ROOT_UP, 1.0))
    return F.where(regular, F.copysign(y, x), x)


# ---- tanh ---------------------------------------------------------------------------------
#
# tanh|x| = E / (E + 2) with E = expm1(2|x|) >= 0: no subtraction, and expm1 in double-double
# is accurate relative to itself (about 2**-66) however small |x| is; the quotient's relative
# error is at most E's. E = I * 2**k1 (dd_expm1_scaled), so E/(E + 2) = I / (I + 2**(1 - k1)).
# Past |x| = 19.06 the result rounds to 1; the argument is clamped at 20 (tanh(20) rounds to 1
# too), which also keeps inf finite-safe. Below 2**-27 the result is x itself.


def tanh(x: Any, F: Any) -> Any:
    a = F.minimum(abs(x), 20.0)
    ih, il, k1 = dd_expm1_scaled(2.0 * a, 0.0, F)
    dh, dl = two_sum(ih, F.ldexp(2.0, -k1))
    regular = a >= _TINY  # also keeps I + 2**(1 - k1) away from 0 (x = 0 gives 0/2 anyway)
    q = dd_div(ih, il, dh, dl + il)[0]
    return _keep_nan(x, F.copysign(F.where(regular, q, a), x), F)


# ---- atanh --------------------------------------------------------------------------------
#
# atanh|x| = log1p(q) / 2 with q = 2|x| / (1 - |x|): 1 - |x| is exact in double-double
# (two_sum), so next to 1 nothing cancels, and dd_log1p is accurate relative to itself
# (about 2**-66) for every q > 0, tiny q included. At +-1 the value is +-inf (the poles; a
# float raises before the kernel runs), beyond nan.


def atanh(x: Any, F: Any) -> Any:
    a = abs(x)
    inside = a < 1.0
    b = F.where(inside, a, 0.5)
    dh, dl = two_sum(1.0, -b)
    qh, ql = dd_div(2.0 * b, 0.0, dh, dl)
    lh, ll = dd_log1p(qh, ql, F)
    y = F.where(a >= _TINY, 0.5 * (lh + ll), a)
    y = F.where(inside, y, F.where(a == 1.0, F.inf, _NAN))
    return _keep_nan(x, F.copysign(y, x), F)


# ---- erfc ---------------------------------------------------------------------------------
#
# erfc(a) = exp(-a*a) * erfcx(a) for a = |x|, and erfc(-a) = 2 - erfc(a).
#
# exp(-a*a): a*a = sh + sl exactly (Dekker), then the double-double exp of kern_exp's erf'
# (a rounded a*a would cost a relative error up to a**2 * 2**-53: hundreds of ulps at a = 27).
#
# erfcx(a) = exp(a*a) erfc(a), the scaled complementary error function, is smooth and slowly
# varying (entire, ~ 1/(a sqrt(pi)) for large a). It is a Taylor polynomial in t = a - c about
# the nearest centre c = j/2 (j = 0 .. 55, |t| <= 1/4; a - c is exact by Sterbenz). The
# coefficients come from the differential equation erfcx' = 2 a erfcx - 2/sqrt(pi): with
# erfcx(c + t) = sum y_k t**k, (k + 1) y_(k+1) = 2c y_k + 2 y_(k-1) (minus 2/sqrt(pi) for
# k = 0), started from one mpmath value of erfcx(c) at 256 bits (the recurrence amplifies its
# error by at most (2c**2)**k / k!, about 2**118 at k = 15, c = 27.5: the coefficients keep
# ~130 bits). Each row is cut where the remaining terms are below 2**-62 of y_0 at |t| = 1/4
# (21 terms at c = 0, 10 at c = 27.5). The table is built on first use (~70 ms), not at import.
#
# Evaluation: y_2 + t y_3 + ... in double (its rounding is multiplied by t**2 <= 1/16 relative
# to y_0, and y_2 t**2 / y_0 <= 1/16, so it costs < 2**-57), then y_1 + t*(...) and
# y_0 + t*(...) in double-double with y_0, y_1 as double-doubles: erfcx to ~2**-57 relative,
# so erfc within 0.5 + 2**-4 ulp. erfc(a) is subnormal from a = 26.55 (dd_ldexp rounds it
# once) and below half the smallest subnormal from 27.23: a is clamped at 27.5.

_ERFC_CLAMP = 27.5
_ERFCX_ROWS: list[tuple[float, ...]] = []
_ERFCX_NP: dict[int, Any] = {}


def _erfcx_taylor(c: float, ctx: Any) -> tuple[float, ...]:
    """(y0 hi, y0 lo, y1 hi, y1 lo, y2, y3, ...) of erfcx(c + t) = sum y_k t**k."""
    cm = ctx.mpf(c)
    ys = [ctx.erfc(cm) * ctx.exp(cm * cm)]
    ys.append(2 * cm * ys[0] - 2 / ctx.sqrt(ctx.pi))
    bound = ys[0] * ctx.mpf(2) ** -62
    k = 1
    while True:
        ys.append((2 * cm * ys[k] + 2 * ys[k - 1]) / (k + 1))
        k += 1
        # the terms decrease at least geometrically: stop when two in a row are negligible
        if abs(ys[k]) * 0.25 ** k < bound and abs(ys[k - 1]) * 0.25 ** (k - 1) < bound:
            break
    y0h, y1h = float(ys[0]), float(ys[1])
    return (y0h, float(ys[0] - y0h), y1h, float(ys[1] - y1h), *(float(v) for v in ys[2:]))


def _erfcx_rows() -> list[tuple[float, ...]]:
    if not _ERFCX_ROWS:
        ctx = at_precision(256)  # a private context: mpmath's global one stays untouched
        _ERFCX_ROWS.extend(_erfcx_taylor(j * 0.5, ctx)
                           for j in range(int(2 * _ERFC_CLAMP) + 1))
    return _ERFCX_ROWS


def _erfcx_coefficients(a: Any, F: Any) -> tuple[Any, tuple[Any, ...]]:
    """(t, row): t = a - c for the nearest centre c, and the Taylor row of erfcx about c
    (for an array: one array per coefficient, rows padded with zeros)."""
    rows = _erfcx_rows()
    np = getattr(F, "np", None)
    if np is None:  # dispatch on the backend, not on a value
        j = int(a * 2.0 + 0.5)
        return a - 0.5 * j, rows[j]
    table = _ERFCX_NP.get(id(np))
    if table is None:
        width = max(len(r) for r in rows)
        table = np.array([r + (0.0,) * (width - len(r)) for r in rows])
        _ERFCX_NP[id(np)] = table
    j = (a * 2.0 + 0.5).astype(np.intp)
    return a - 0.5 * j, tuple(np.take(table, j, axis=0).T)  # one gather; columns are views


def erfc(x: Any, F: Any) -> Any:
    a = F.minimum(abs(x), _ERFC_CLAMP)
    a = F.where(a == a, a, 0.0)  # nan (restored at the end) takes the row of 0
    t, row = _erfcx_coefficients(a, F)
    s = row[-1]
    for coefficient in row[-2:3:-1]:
        s = coefficient + t * s
    uh, ul = dd_add_f(row[2], row[3], t * s)
    uh, ul = dd_mul_f(uh, ul, t)
    rh, rl = dd_add(row[0], row[1], uh, ul)
    sh, sl = two_prod(a, a)
    mh, ml, k = dd_exp_scaled(-sh, -sl, F)
    ph, pl = dd_mul(mh, ml, rh, rl)
    positive = dd_ldexp(ph, pl, k, F)
    # 2 - erfc(a): the subtraction is exact in double-double; erfc(a) < 2**-60 only adds
    # bits far below the last one of a result in [1, 2]
    nh, nl = two_sum(2.0, -F.ldexp(ph, k))
    negative = nh + (nl - F.ldexp(pl, k))
    return _keep_nan(x, F.where(x < 0.0, negative, positive), F)



# ---- log10 ---------------------------------------------------------------------------------
#
# glibc's log10 is up to 1.02 ulp off (near 4.6e307, in this library's sweep). log(x) in
# double-double (relative error about 2**-66, also next to x = 1, where it goes to 0) times
# 1/ln 10 in double-double, rounded once: an exact power of ten gives its exponent exactly,
# since the double-double product is within 2**-60 of it. 0 gives -inf, x < 0 nan, inf inf
# (a float raises at 0 and below before the kernel runs).

_C = at_precision(200)
_INV_LN10_HI = float(1 / _C.ln10)
_INV_LN10_LO = float(1 / _C.ln10 - _INV_LN10_HI)


def log10(x: Any, F: Any) -> Any:
    lh, ll = dd_log(x, 0.0, F)
    finite = abs(lh) < F.inf
    ph, pl = dd_mul(F.where(finite, lh, 1.0), F.where(finite, ll, 0.0),
                    _INV_LN10_HI, _INV_LN10_LO)
    return F.where(finite, ph + pl, lh)


# ---- acosh ---------------------------------------------------------------------------------
#
# glibc's acosh is up to 1.14 ulp off. With t = x - 1 (exact for x in [1, 2**28]: x and 1 are
# multiples of ulp(x), and so is their difference, which is smaller than x),
# acosh(x) = log1p(t + sqrt(t (t + 2))), all in double-double: t (t + 2) = t**2 + 2t to
# ~2**-106 (two_prod, then 2t added in double-double), its square root to ~2**-104
# (dd_sqrt), and dd_log1p is accurate relative to itself for every argument, tiny ones
# next to x = 1 included. Past 2**28,
# acosh(x) = log(2x) - 1/(4 x**2) + ..., and the correction is below 2**-58 relative: log(x)
# + ln 2 in double-double, rounded once. x < 1 gives nan (a float raises before the kernel).

_LN2_HI = float(_C.ln2)
_LN2_LO = float(_C.ln2 - _LN2_HI)
_ACOSH_BIG = 2.0 ** 28


def acosh(x: Any, F: Any) -> Any:
    inside = (x > 1.0) & (x < _ACOSH_BIG)  # at 1 exactly, dd_sqrt would divide 0 by 0
    a = F.where(inside, x, 1.5)
    t = a - 1.0  # exact: a < 2**28
    qh, ql = two_prod(t, t)  # t (t + 2) = t**2 + 2t: t + 2 itself would round for small t
    ph, pl = dd_add_f(qh, ql, 2.0 * t)
    rh, rl = dd_sqrt(ph, pl, F.sqrt)
    sh, sl = dd_add_f(rh, rl, t)
    yh, yl = dd_log1p(sh, sl, F)
    near = yh + yl
    big = (x >= _ACOSH_BIG) & (x < F.inf)
    b = F.where(big, x, 2.0)
    lh, ll = dd_log(b, 0.0, F)
    gh, gl = dd_add(lh, ll, _LN2_HI, _LN2_LO)
    far = gh + gl
    out = F.where(inside, near, F.where(big, far, F.where(x == F.inf, F.inf, _NAN)))
    out = F.where(x == 1.0, 0.0, out)
    return F.where(x == x, out, x)
