"""Accurate float64 kernels built on exp: exp2', sinh', cosh', tanh', sigmoid, softplus, erf'.

Each kernel takes ``(x, F)`` with ``F`` from ``ops`` and runs on a Python float or a float64
array with the same arithmetic on both paths. Where a kernel uses no libm seed (all but
softplus and d_power), the two paths give bit-identical results. Where a kernel does use one,
they differ only when NumPy's and libm's log/log1p disagree and the true value lies within
about 2**-12 ulp of a rounding midpoint.

Why double-double: a libm exp seed is good to about 0.5 ulp and the final rounding adds
another 0.5 ulp, so a kernel built on one seed can be off by about 1.5 ulp. Here every
exponential is carried as a double-double in scaled form, ``(mh + ml) * 2**k`` from
``_dd.dd_exp_scaled`` (relative error about 2**-66 or better), the rest of the formula is
done in double-double, and the result is rounded once at the end (``dd_ldexp``, which also
rounds subnormal results once). That gives at most 0.5 ulp plus a few 2**-12 ulp. The scaled
form keeps the mantissas from overflowing before the end: cosh(710.47) and
ln2 * 2**1024.5 come out finite.

Each formula avoids subtracting nearly equal quantities and needs no range switch: sinh
uses expm1 (all terms positive), sech**2 and the logistic density use u/(1 + u)**2 with
u = exp(-|x|), and softplus uses log1p of u <= 1.
"""

from __future__ import annotations

from typing import Any

import mpmath

from .dd import (
    dd_add,
    dd_const,
    dd_div,
    dd_exp_scaled,
    dd_expm1_scaled,
    dd_ldexp,
    dd_log,
    dd_log1p,
    dd_mul,
    dd_mul_f,
    dd_recip,
    fast_two_sum,
    two_prod,
    two_sum,
)

_LN2 = dd_const(mpmath.ln2)
_TWO_OVER_SQRT_PI = dd_const("2/sqrt(pi)")
_CLAMP = 4096.0  # beyond this every kernel here has long over- or underflowed
_NAN = float("nan")


def _keep_nan(x: Any, res: Any, F: Any) -> Any:
    """``res``, but nan where ``x`` is nan (the dd helpers treat a nan argument as 0)."""
    return F.where(x == x, res, x)


def _one_plus_u(mh: Any, ml: Any, k: Any, F: Any) -> tuple[Any, Any]:
    """``1 + u`` as a double-double, for ``u = (mh + ml) * 2**k <= 1``.

    Unscaling u may drop bits of its low part into the subnormal range, but then u is below
    2**-1000 and invisible next to 1.
    """
    sh, sl = two_sum(1.0, F.ldexp(mh, k))
    return fast_two_sum(sh, sl + F.ldexp(ml, k))


def sigmoid(x: Any, F: Any) -> Any:
    """1/(1 + exp(-x)): 1/(1 + u) for x >= 0 and u/(1 + u) for x < 0, with u = exp(-|x|).

    In u/(1 + u) the numerator u stays scaled, so the tail towards -inf is exact down to the
    subnormals, where the final ldexp rounds gradually.
    """
    mh, ml, k = dd_exp_scaled(-abs(x), 0.0, F)
    sh, sl = _one_plus_u(mh, ml, k, F)
    pos = x >= 0.0
    qh, ql = dd_div(F.where(pos, 1.0, mh), F.where(pos, 0.0, ml), sh, sl)
    return _keep_nan(x, dd_ldexp(qh, ql, F.where(pos, 0.0, k), F), F)


def softplus(x: Any, F: Any) -> Any:
    """log(1 + exp(x)) = max(x, 0) + log1p(u), u = exp(-|x|) in (0, 1].

    For x >= 0 the two terms are both positive, no cancellation. For x < 0 the result is
    log1p(u) itself, which tends to u; written as u * (log1p(u)/u) with u kept scaled, so the
    result stays accurate into the subnormals (unscaled, u would lose its low bits there).
    """
    xs = F.where(abs(x) < _CLAMP, x, F.copysign(_CLAMP, x))
    mh, ml, k = dd_exp_scaled(-abs(xs), 0.0, F)
    uh, ul = F.ldexp(mh, k), F.ldexp(ml, k)
    lh, ll = dd_log1p(uh, ul, F)
    # x >= 0: x + log1p(u)
    sh, sl = two_sum(x, lh)
    pos_res = sh + (sl + ll)
    # x < 0: u * (log1p(u)/u); the ratio is 1 where u has underflowed to 0
    nz = uh > 0.0
    rh, rl = dd_div(F.where(nz, lh, 1.0), F.where(nz, ll, 0.0),
                    F.where(nz, uh, 1.0), F.where(nz, ul, 0.0))
    ph, pl = dd_mul(mh, ml, rh, rl)
    res = F.where(x >= 0.0, pos_res, dd_ldexp(ph, pl, k, F))
    res = F.where(x == F.inf, x, res)
    return _keep_nan(x, res, F)


def d_exp2(x: Any, F: Any) -> Any:
    """ln2 * 2**x = ln2 * exp(x*ln2), with x*ln2 formed exactly-enough as a double-double.

    x*ln2_hi is exact via two_prod, so the argument carries no rounding error (a rounded
    x*ln2 near x = 1000 would be off by up to 2**-44 absolute, i.e. ~500 ulp in the result).
    Finite up to x just below 1024.5288 (the ln2 factor is applied before the final ldexp).
    """
    xs = F.where(abs(x) < _CLAMP, x, F.copysign(_CLAMP, x))
    ah, al = two_prod(xs, _LN2[0])
    mh, ml, k = dd_exp_scaled(ah, al + xs * _LN2[1], F)
    ph, pl = dd_mul(mh, ml, _LN2[0], _LN2[1])
    return _keep_nan(x, dd_ldexp(ph, pl, k, F), F)


def d_sinh(x: Any, F: Any) -> Any:
    """cosh(x) = 2**(k-1) * (M + 2**(-2k)/M) with exp(|x|) = M * 2**k.

    Both terms positive (no cancellation); the scaled form is finite up to |x| = 710.4758...
    where cosh(x) itself reaches the largest float.
    """
    a = F.minimum(abs(x), _CLAMP)
    mh, ml, k = dd_exp_scaled(a, 0.0, F)
    ih, il = dd_recip(mh, ml)
    sh, _ = dd_add(mh, ml, F.ldexp(ih, -2.0 * k), F.ldexp(il, -2.0 * k))
    return _keep_nan(x, F.ldexp(sh, k - 1.0), F)


def d_cosh(x: Any, F: Any) -> Any:
    """sinh(x) = (E + E/(1 + E))/2 with E = expm1(|x|) >= 0, sign restored at the end.

    The usual (exp(x) - exp(-x))/2 cancels as x -> 0; the expm1 form adds two non-negative
    terms, and expm1 is accurate relative to itself. With E = I * 2**k1 (dd_expm1_scaled):
    sinh = 2**(k1-1) * (I + 2**-k1 * I/(I + 2**-k1)), which never overflows before the end.
    """
    a = F.minimum(abs(x), _CLAMP)
    ih, il, k1 = dd_expm1_scaled(a, 0.0, F)
    c = F.ldexp(1.0, -k1)
    dh, dl = two_sum(ih, c)
    qh, ql = dd_div(ih, il, dh, dl + il)
    sh, _ = dd_add(ih, il, qh * c, ql * c)
    return _keep_nan(x, F.copysign(F.ldexp(sh, k1 - 1.0), x), F)


def _logistic_density(a: Any, extra: float, F: Any) -> Any:
    """``2**extra * u/(1 + u)**2`` with ``u = exp(-a)``, ``a >= 0`` (clamped, nan-free)."""
    mh, ml, k = dd_exp_scaled(-a, 0.0, F)
    sh, sl = _one_plus_u(mh, ml, k, F)
    qh, ql = dd_mul(sh, sl, sh, sl)
    rh, rl = dd_div(mh, ml, qh, ql)
    return dd_ldexp(rh, rl, k + extra, F)


def d_tanh(x: Any, F: Any) -> Any:
    """sech(x)**2 = 4u/(1 + u)**2 with u = exp(-2|x|).

    1 - tanh(x)**2 cancels completely once tanh rounds to 1 (|x| > 19); this form has no
    subtraction, and u kept scaled carries the result down through the subnormals (|x| ~ 373).
    """
    a = F.minimum(abs(x), _CLAMP)
    return _keep_nan(x, _logistic_density(2.0 * a, 2.0, F), F)


def d_sigmoid(x: Any, F: Any) -> Any:
    """sigmoid(x)*(1 - sigmoid(x)) = u/(1 + u)**2 with u = exp(-|x|) (even in x)."""
    a = F.minimum(abs(x), _CLAMP)
    return _keep_nan(x, _logistic_density(a, 0.0, F), F)


def d_softplus(x: Any, F: Any) -> Any:
    return sigmoid(x, F)


def d_erf(x: Any, F: Any) -> Any:
    """2/sqrt(pi) * exp(-x*x), with x*x exact (two_prod) as the double-double argument.

    A rounded x*x carries an absolute error up to ulp(x*x)/2, about 2**-44 at |x| = 27, which
    exp turns into a relative error of the same size: hundreds of ulp. The exact square and
    the double-double exp avoid that; the result underflows gradually past |x| ~ 26.6.
    """
    a = F.minimum(abs(x), 64.0)  # exp(-4096) is far below the subnormals; keeps two_prod finite
    sh, sl = two_prod(a, a)
    mh, ml, k = dd_exp_scaled(-sh, -sl, F)
    ph, pl = dd_mul(mh, ml, _TWO_OVER_SQRT_PI[0], _TWO_OVER_SQRT_PI[1])
    return _keep_nan(x, dd_ldexp(ph, pl, k, F), F)


def d_erfc(x: Any, F: Any) -> Any:
    return -d_erf(x, F)


_P_CLAMP = 2.0 ** 990  # beyond this |p - 1| only matters for whether (p-1)*log|x| is 0


def d_power(x: Any, p: Any, F: Any) -> Any:
    """p * x**(p - 1) for real p (x > 0, or any x when p is an integer).

    Computed as p * exp((p - 1) * log|x|) with (p - 1) formed exactly as a double-double (it
    is inexact in double once |p| > 2**53), log|x| from dd_log (relative 2**-66, so the
    exponent t = (p-1)*log|x| is off by at most |t| * 2**-66, under 2**-55 wherever the
    result is a finite nonzero float), exp in scaled form, and p's own exponent applied in the
    final ldexp, so x**(p - 1) may overflow or underflow on its own while p * x**(p - 1) is
    still finite. The sign is negative for x < 0 with p - 1 odd, that is for p even.
    """
    ax = abs(x)
    regular = (ax > 0.0) & (ax < F.inf)
    lh, ll = dd_log(F.where(regular, ax, 1.0), 0.0, F)
    pf = F.where(F.isfinite(p), p, 2.0)
    qh, ql = two_sum(pf, -1.0)
    # |p - 1| >= 2**990 makes |t| astronomically large unless log|x| == 0; clamping keeps
    # two_prod's split finite without changing any result
    big = abs(qh) > _P_CLAMP
    qh = F.where(big, F.copysign(_P_CLAMP, qh), qh)
    ql = F.where(big, 0.0, ql)
    th, tl = dd_mul(qh, ql, lh, ll)
    mh, ml, k = dd_exp_scaled(th, tl, F)
    pm, pe = F.frexp(pf)
    rh, rl = dd_mul_f(mh, ml, pm)
    res = dd_ldexp(rh, rl, k + pe, F)
    # x = 0 or inf: |x|**(p-1) is 0, 1 or inf by the sign of p - 1; 1 exactly when p == 1
    at_zero = F.where(p > 1.0, 0.0, F.where(p < 1.0, F.inf, 1.0))
    at_inf = F.where(p > 1.0, F.inf, F.where(p < 1.0, 0.0, 1.0))
    res = F.where(regular, res, F.where(ax == 0.0, at_zero, at_inf) * p)
    # sign: negative base (including -0.0) with an even integer p; non-integer p there is nan
    integer = F.rint(pf) == pf
    even = integer & (F.rint(0.5 * pf) == 0.5 * pf)
    negative = F.copysign(1.0, x) < 0.0
    res = F.where(negative & even, -res, res)
    res = F.where(negative & (F.rint(pf) != pf) & (ax > 0.0), _NAN, res)
    res = F.where(p == 0.0, 0.0, res)  # d/dx x**0 = 0, also at x = 0 and x = inf
    res = F.where(F.isfinite(p), res, _NAN)
    return _keep_nan(x, res, F)

