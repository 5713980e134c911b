"""Accurate float64 partial derivatives of the binary primitives: a/b, a**b, hypot, atan2.

Each kernel takes ``(a, b, F)`` with ``F`` from ``ops`` and runs on Python floats or on
broadcast float64 arrays with the same arithmetic. Only ``d_pow_exponent`` uses a libm seed
(log, inside dd_log), so the others give bit-identical results on both paths.

The recipe is the one of ``kern_alg``: split each argument into significand and exponent
(``frexp``, exact), do the arithmetic on significands in [0.25, 4) in double-double, where
squares and products are exact and nothing overflows or underflows, and round once, in the
final ``dd_ldexp``, which also puts the exponent back (rounding gradually into the
subnormals, and overflowing to inf exactly when the correctly rounded value does).

Why not the textbook forms: ``-(a/b)/b`` rounds twice, and each half-ulp error can be doubled
by a significand ratio (up to 1.5 ulp in all); ``b*b`` in ``-a/(b*b)`` or ``a*a + b*b``
overflows past 1e154 and underflows below 1e-154 while the partial itself is a normal float;
``a**b * log(a)`` rounds three times and ``a**b`` overflows on its own (a = 0.5, b = -1030)
while the product is finite.
"""

from __future__ import annotations

from typing import Any

from .dd import (
    dd_add,
    dd_div,
    dd_exp_scaled,
    dd_ldexp,
    dd_log,
    dd_mul,
    dd_mul_f,
    dd_sqrt,
    two_prod,
)

__all__ = ["d_div_denominator", "d_pow_exponent", "d_hypot", "d_atan2_y", "d_atan2_x"]

_NAN = float("nan")
_B_CLAMP = 2.0 ** 990  # keeps two_prod's Veltkamp split of b finite (see d_pow_exponent)


def d_div_denominator(a: Any, b: Any, F: Any) -> Any:
    """d(a/b)/db = -a/b**2 = -(ma/mb**2) * 2**(ea - 2 eb) with a = ma 2**ea, b = mb 2**eb.

    mb**2 is exact as a double-double (two_prod), the quotient carries ~100 bits, and the
    exponent is applied once at the end: -1e-300/1e-300**2 comes out as -1/1e-300 although
    1e-300**2 is 0 in floats. Zero, infinite and nan arguments take the IEEE value of
    -a/(b*b) (b = 0 gives a signed inf, 0/0 a nan).
    """
    regular = F.isfinite(a) & F.isfinite(b) & (b != 0.0)
    ma, ea = F.frexp(F.where(regular, a, 1.0))
    mb, eb = F.frexp(F.where(regular, b, 1.0))
    sh, sl = two_prod(mb, mb)
    qh, ql = dd_div(ma, 0.0, sh, sl)
    res = dd_ldexp(-qh, -ql, ea - 2.0 * eb, F)
    return F.where(regular, res, F.div0(-a, b * b))


def d_pow_exponent(a: Any, b: Any, F: Any) -> Any:
    """d(a**b)/db = a**b * log(a) = exp(b log a) * log(a), for a > 0.

    log a from dd_log (relative 2**-66), b log a as a double-double, exp in scaled form
    (M * 2**k never overflows) and log a split by frexp, so the only rounding is the final
    one: the result is finite exactly when the true value is, even where a**b alone over- or
    underflows. The exponent t = b log a is off by |t| 2**-66 at most, under 0.1 ulp of the
    result wherever that is a nonzero float (|t| < 790). Next to a = 1, log a keeps its full
    relative accuracy, so (1 + 2**-52)**1e18 * log(1 + 2**-52) is right too.

    |b| beyond 2**990 is clamped (two_prod splits b): there |t| >= 2**937 unless a == 1, so the
    result over- or underflows either way, and at a == 1 it is 0 for every b, inf included.
    Edges (limits of a**b log a): a = 0 gives 0 for b > 0 and -inf for b <= 0; a = inf gives
    0 for b < 0 and inf for b >= 0; a < 0 or a nan argument gives nan.
    """
    regular = (a > 0.0) & (a < F.inf) & (b == b)
    x = F.where(regular, a, 2.0)
    lh, ll = dd_log(x, 0.0, F)
    bc = F.minimum(F.maximum(F.where(regular, b, 0.0), -_B_CLAMP), _B_CLAMP)
    th, tl = dd_mul_f(lh, ll, bc)
    mh, ml, k = dd_exp_scaled(th, tl, F)
    # log a in [2**-53, 745] or exactly 0 (a == 1): scale it so the product stays in range
    lm, le = F.frexp(lh)
    ph, pl = dd_mul(mh, ml, lm, F.ldexp(ll, -le))
    res = dd_ldexp(ph, pl, k + le, F)
    edge = F.where(a == 0.0, F.where(b > 0.0, 0.0, -F.inf),
                   F.where(b < 0.0, 0.0, F.inf))
    edge = F.where(((a == 0.0) | (a == F.inf)) & (b == b), edge, _NAN)
    return F.where(regular, res, edge)


def _scaled_sum_of_squares(a: Any, b: Any, F: Any) -> tuple[Any, Any, Any, Any]:
    """``(sh, sl, e, regular)`` with ``a**2 + b**2 == 4**e * (sh + sl)``, ``sh`` in [0.25, 2].

    Both arguments are scaled by 2**-e, e the exponent of the larger, so the larger is in
    [0.5, 1) and the squares are exact. Scaling the smaller may round it (it underflows when
    the two are more than ~2**1000 apart); the change is below 2**-1074 next to a sum of at
    least 0.25, far beyond the last bit. ``regular``: both finite and not both zero; elsewhere
    the values are harmless placeholders.
    """
    big = F.maximum(abs(a), abs(b))
    regular = F.isfinite(a) & F.isfinite(b) & (big > 0.0)
    _, e = F.frexp(F.where(regular, big, 1.0))
    as_ = F.ldexp(F.where(regular, a, 1.0), -e)
    bs = F.ldexp(F.where(regular, b, 0.0), -e)
    ah, al = two_prod(as_, as_)
    bh, bl = two_prod(bs, bs)
    sh, sl = dd_add(ah, al, bh, bl)
    return sh, sl, e, regular


def _edge(n: Any, a: Any, b: Any, at_inf: Any, F: Any) -> Any:
    """The value of a partial with numerator ``n`` where ``_scaled_sum_of_squares`` is not
    regular: 0 at the origin (a subgradient), ``at_inf`` with an infinite argument, nan with
    a nan one."""
    res = F.where(F.isfinite(a) & F.isfinite(b), F.copysign(0.0, n), at_inf)
    return F.where((a == a) & (b == b), res, _NAN)


def _over_hypot(n: Any, a: Any, b: Any, F: Any) -> Any:
    """``n / hypot(a, b)`` with ``n`` one of ``a``, ``b``: mn / sqrt(S) * 2**(en - e), where
    n = mn 2**en exactly (its own frexp, so a subnormal numerator loses nothing to the scaling
    of ``_scaled_sum_of_squares``) and sqrt(S) is corrected by its residual (dd_sqrt)."""
    sh, sl, e, regular = _scaled_sum_of_squares(a, b, F)
    rh, rl = dd_sqrt(sh, sl, F.sqrt)
    mn, en = F.frexp(F.where(regular, n, 1.0))
    qh, ql = dd_div(mn, 0.0, rh, rl)
    res = dd_ldexp(qh, ql, en - e, F)
    # an infinite numerator against a finite other argument: +-1; two infinities: no limit
    other_finite = F.isfinite(a) | F.isfinite(b)
    at_inf = F.where(F.isfinite(n), F.copysign(0.0, n),
                     F.where(other_finite, F.copysign(1.0, n), _NAN))
    return F.where(regular, res, _edge(n, a, b, at_inf, F))


def _over_sum_of_squares(n: Any, a: Any, b: Any, F: Any) -> Any:
    """``n / (a**2 + b**2)`` with ``n`` one of ``a``, ``b``: mn / S * 2**(en - 2e).

    The quotient is in (0.25, 4) and carries ~100 bits; the one rounding is in the final
    ldexp. With an infinite argument the limit is 0 (|n| / (a**2 + b**2) <= 1 / |n|).
    """
    sh, sl, e, regular = _scaled_sum_of_squares(a, b, F)
    mn, en = F.frexp(F.where(regular, n, 1.0))
    qh, ql = dd_div(mn, 0.0, sh, sl)
    res = dd_ldexp(qh, ql, en - 2.0 * e, F)
    return F.where(regular, res, _edge(n, a, b, F.copysign(0.0, n), F))


def d_hypot(a: Any, b: Any, F: Any) -> Any:
    """d hypot(a, b)/da = a / hypot(a, b); 0 at the origin (a subgradient). The partial in b
    is ``d_hypot(b, a)``."""
    return _over_hypot(a, a, b, F)


def d_atan2_y(a: Any, b: Any, F: Any) -> Any:
    """d atan2(a, b)/da = b / (a**2 + b**2) (a is y, b is x, as math.atan2); 0 at the origin."""
    return _over_sum_of_squares(b, a, b, F)


def d_atan2_x(a: Any, b: Any, F: Any) -> Any:
    """d atan2(a, b)/db = -a / (a**2 + b**2); 0 at the origin."""
    return -_over_sum_of_squares(a, a, b, F)
