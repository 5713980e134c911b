"""Double-double arithmetic: a value carried as an unevaluated sum ``hi + lo`` of two floats.

Every function here works unchanged on Python floats and on float64 NumPy arrays (only
+ - * / are used), which is how one accurate kernel serves both the scalar and the vectorized
path. Error-free transformations after Knuth (two_sum), Dekker and Veltkamp (two_prod via
splitting; Python 3.11 has no fma). See Muller et al., Handbook of Floating-Point Arithmetic,
ch. 4 and 14.

The transcendental helpers at the end (``dd_exp_scaled``, ``dd_expm1``, ``dd_log1p``,
``dd_log`` ...) take the backend namespace ``F`` from ``ops`` and return double-doubles good
to about 2**-66 relative: enough for float64 kernels to round once to within 0.5 ulp plus a
hair, not full double-double accuracy.

Preconditions: two_prod needs |a|, |b| below about 2**995 (the split multiplies by 2**27 + 1)
and a product whose low part does not underflow; kernels scale their arguments with frexp
first. Results are good to about 2**-104 relative.
"""

from __future__ import annotations

import ast
import operator
from typing import Any

from ..mpcontext import at_precision

__all__ = [
    "two_sum", "fast_two_sum", "split", "two_prod", "dd_add", "dd_add_f", "dd_mul",
    "dd_mul_f", "dd_div", "dd_recip", "dd_sqrt", "dd_const",
    "dd_exp_scaled", "dd_exp", "dd_expm1_scaled", "dd_expm1", "dd_log1p", "dd_log",
    "dd_ldexp", "MIN_NORMAL", "MIN_SUBNORMAL",
]

_SPLITTER = 134217729.0  # 2**27 + 1
_RINT_MAGIC = 6755399441055744.0  # 1.5 * 2**52
MIN_NORMAL = 2.2250738585072014e-308
MIN_SUBNORMAL = 5e-324


_CONST_OPS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.Pow: operator.pow,
}


def _context(prec: int) -> Any:
    """A private mpmath context (never mpmath.workprec, which changes the global one)."""
    return at_precision(prec)


def _const_eval(node: ast.AST, ctx: Any) -> Any:
    """Evaluate a constant expression of numbers, mpmath names and + - * / ** (no eval)."""
    if isinstance(node, ast.Expression):
        return _const_eval(node.body, ctx)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return ctx.mpf(str(node.value))  # decimal literal, not its binary rounding
    if isinstance(node, ast.BinOp) and type(node.op) in _CONST_OPS:
        return _CONST_OPS[type(node.op)](_const_eval(node.left, ctx),
                                         _const_eval(node.right, ctx))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_const_eval(node.operand, ctx)
    if isinstance(node, ast.Name):
        return ctx.mpf(getattr(ctx, node.id))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        return getattr(ctx, node.func.id)(*(_const_eval(a, ctx) for a in node.args))
    raise ValueError(f"not a constant expression: {ast.dump(node)}")


def dd_const(value: Any) -> tuple[float, float]:
    """The double-double nearest to ``value``: an mpmath number, or a constant expression
    such as ``"1/log(2)"`` or ``"2/sqrt(pi)"`` (numbers, mpmath functions and constants)."""
    ctx = _context(300)
    if isinstance(value, str):
        x = _const_eval(ast.parse(value, mode="eval"), ctx)
    else:
        if callable(value) and hasattr(value, "func"):
            # a constant such as mpmath.ln2: mpf would evaluate it at the precision of its
            # own (the global) context
            value = value(prec=ctx.prec)
        x = ctx.mpf(value)
    hi = float(x)
    lo = float(x - hi)
    return hi, lo


def two_sum(a: Any, b: Any) -> tuple[Any, Any]:
    """``s + e == a + b`` exactly, with ``s = fl(a + b)`` (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def fast_two_sum(a: Any, b: Any) -> tuple[Any, Any]:
    """As two_sum, when ``|a| >= |b|`` (Dekker)."""
    s = a + b
    return s, b - (s - a)


def split(a: Any) -> tuple[Any, Any]:
    """``a == hi + lo`` with both halves of at most 26 significant bits (Veltkamp)."""
    c = _SPLITTER * a
    hi = c - (c - a)
    return hi, a - hi


def two_prod(a: Any, b: Any) -> tuple[Any, Any]:
    """``p + e == a * b`` exactly, with ``p = fl(a * b)`` (Dekker)."""
    p = a * b
    ah, al = split(a)
    bh, bl = split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def dd_add(ah: Any, al: Any, bh: Any, bl: Any) -> tuple[Any, Any]:
    s, e = two_sum(ah, bh)
    t, f = two_sum(al, bl)
    e = e + t
    s, e = fast_two_sum(s, e)
    e = e + f
    return fast_two_sum(s, e)


def dd_add_f(ah: Any, al: Any, b: Any) -> tuple[Any, Any]:
    s, e = two_sum(ah, b)
    return fast_two_sum(s, e + al)


def dd_mul(ah: Any, al: Any, bh: Any, bl: Any) -> tuple[Any, Any]:
    p, e = two_prod(ah, bh)
    return fast_two_sum(p, e + (ah * bl + al * bh))


def dd_mul_f(ah: Any, al: Any, b: Any) -> tuple[Any, Any]:
    p, e = two_prod(ah, b)
    return fast_two_sum(p, e + al * b)


def dd_div(ah: Any, al: Any, bh: Any, bl: Any) -> tuple[Any, Any]:
    """``(ah + al) / (bh + bl)``; ``bh`` must be nonzero."""
    q = ah / bh
    p, e = two_prod(q, bh)
    r = (((ah - p) - e) + al) - q * bl
    return fast_two_sum(q, r / bh)


def dd_recip(bh: Any, bl: Any) -> tuple[Any, Any]:
    return dd_div(1.0, 0.0, bh, bl)


def dd_sqrt(ah: Any, al: Any, sqrt: Any) -> tuple[Any, Any]:
    """Square root of a positive double-double; ``sqrt`` is the backend's (F.sqrt)."""
    s = sqrt(ah)
    p, e = two_prod(s, s)
    return fast_two_sum(s, (((ah - p) - e) + al) / (2.0 * s))


# --------------------------------------------------------------------------------------------
# exp, expm1, log1p, log of double-double arguments
#
# exp: Tang's table-driven method (P. T. P. Tang, "Table-driven implementation of the
# exponential function in IEEE floating-point arithmetic", ACM TOMS 15(2), 1989), carried in
# double-double. With n = rint(x * 32/ln2), k = floor(n/32), j = n - 32k:
#     exp(x) = 2**k * 2**(j/32) * exp(r),   r = x - n*ln2/32,   |r| <= ln2/64 (about 0.0108).
# The reduction is exact: ln2/32 is split into C1 + C2 + C3 with C1 and C2 of 36 significant
# bits, so for |n| < 2**17 the products n*C1 and n*C2 are exact, x - n*C1 is exact (Sterbenz:
# the two are within a factor of 2 whenever n != 0) and two_sum captures the rest; n*C3 is
# below 2**-60 and its rounding is far under the target. 2**(j/32) comes from a 32-entry
# double-double table built with mpmath at import. On |r| <= 0.0108 the Taylor series of
# expm1(r) needs terms only up to r**8 (the r**9 term is below 2**-77); r + r**2/2 is carried in
# double-double (two_prod gives r**2 exactly) and the tail r**3*(1/6 + ...), which is below
# 2**-22, in plain double, which costs at most about 2**-73 absolute.
# --------------------------------------------------------------------------------------------


def _split_bits(value: Any, bits: int) -> tuple[float, Any]:
    """``value`` rounded to ``bits`` significant bits (as a float), and the exact remainder."""
    ctx = _context(300)
    x = ctx.mpf(value)
    m, e = ctx.frexp(x)
    hi = ctx.ldexp(ctx.nint(ctx.ldexp(m, bits)), e - bits)
    return float(hi), x - hi


def _ln2_over_32_parts() -> tuple[float, float, float]:
    ctx = _context(300)
    c1, rest = _split_bits(ctx.ln2 / 32, 36)
    c2, rest = _split_bits(rest, 36)
    return c1, c2, float(rest)


_NAN = float("nan")
_EXP_XMAX = 2800.0  # |n| <= 2800*32/ln2 < 2**17, which keeps n*C1 and n*C2 exact
_INV_LN2_32 = float(32 / _context(53).ln2)
_LN2_32_C1, _LN2_32_C2, _LN2_32_C3 = _ln2_over_32_parts()
_LN2_32_NEG_C2 = -_LN2_32_C2
_EXP_TABLE = [dd_const(_context(300).mpf(2) ** (_context(300).mpf(j) / 32)) for j in range(32)]
_EXP_TABLE_NP: dict[int, tuple[Any, Any]] = {}
_INV_FACT = [float(1 / _context(53).factorial(i)) for i in range(9)]  # 1/i!, rounded


def _table_lookup(j: Any, F: Any) -> tuple[Any, Any]:
    """Row ``j`` (a float in 0..31, or an array of them) of the 2**(j/32) table."""
    np = getattr(F, "np", None)
    if np is None:  # dispatch on the backend, not on a value
        return _EXP_TABLE[int(j)]
    cached = _EXP_TABLE_NP.get(id(np))
    if cached is None:
        cached = (np.array([t[0] for t in _EXP_TABLE]), np.array([t[1] for t in _EXP_TABLE]))
        _EXP_TABLE_NP[id(np)] = cached
    idx = np.asarray(j).astype(np.intp)
    return cached[0][idx], cached[1][idx]


def _exp_reduced(x: Any, xl: Any, F: Any) -> tuple[Any, Any, Any, Any, Any]:
    """``_exp_parts`` for a finite ``|x| <= 2800``, without the argument checks.

    The error-free transformations are written out inline: this is the inner loop of every
    kernel, and on the scalar path a Python call costs as much as a dozen float operations.
    """
    # rint by adding and subtracting 1.5 * 2**52 (exact for |v| < 2**51, ties to even as
    # rint; here |v| < 2**17): on a float, F.rint costs as much as this whole reduction
    n = (x * _INV_LN2_32 + _RINT_MAGIC) - _RINT_MAGIC
    # floor(n/32) for an integer n: (n - 15.5)/32 lies within 31/64 of it, so rint finds it
    k = ((n - 15.5) * 0.03125 + _RINT_MAGIC) - _RINT_MAGIC
    a = x - n * _LN2_32_C1  # exact
    b = n * _LN2_32_NEG_C2  # exact
    s = a + b  # two_sum(a, b)
    bb = s - a
    t = (a - (s - bb)) + (b - bb)
    b = t + (xl - n * _LN2_32_C3)
    rh = s + b  # two_sum(s, b)
    bb = rh - s
    rl = (s - (rh - bb)) + (b - bb)
    c = _SPLITTER * rh  # rh*rh == ph + pl exactly (Veltkamp split, Dekker product)
    hh = c - (c - rh)
    hl = rh - hh
    ph = rh * rh
    pl = ((hh * hh - ph) + 2.0 * (hh * hl)) + hl * hl
    f = _INV_FACT
    tail = (ph * rh) * (f[3] + rh * (f[4] + rh * (f[5] + rh * (f[6] + rh * (f[7] + rh * f[8])))))
    # r + r**2/2 with r = rh + rl: rh + rh**2/2 exactly, then rl + rh*rl (+ rl**2/2, negligible)
    q = 0.5 * ph
    s = rh + q  # fast_two_sum(rh, q): |rh| >= rh**2/2
    e = q - (s - rh)
    low = e + (rl + (rh * rl + (0.5 * pl + tail)))
    eh = s + low
    el = low - (eh - s)
    th, tl = _table_lookup(n - 32.0 * k, F)
    return th, tl, eh, el, k


def _exp_parts(xh: Any, xl: Any, F: Any) -> tuple[Any, Any, Any, Any, Any]:
    """``(th, tl, eh, el, k)`` with ``exp(xh + xl) = 2**k * (th + tl) * (1 + eh + el)``.

    ``th + tl = 2**(j/32)`` and ``eh + el = expm1(r)`` with ``|r| <= ln2/64``; ``eh + el`` has a
    relative error near 2**-68 however small ``r`` is (it is the whole of expm1 when n = 0).
    Arguments beyond +-2800 act as +-2800 (the result over- or underflows any float64 product
    either way); a nan ``xh`` acts as 0 (the caller restores nan).
    """
    x = F.where(xh == xh, xh, 0.0)
    x = F.minimum(F.maximum(x, -_EXP_XMAX), _EXP_XMAX)
    xl = F.where(abs(xh) <= _EXP_XMAX, xl, 0.0)
    return _exp_reduced(x, xl, F)


def _times_table(th: Any, tl: Any, eh: Any, el: Any) -> tuple[Any, Any, Any, Any]:
    """``(mh, ml, bh, bl)``: ``T*(1 + E)`` and ``T*E`` as double-doubles (``|T*E| < 0.022``)."""
    bh, bl = dd_mul(th, tl, eh, el)
    mh = th + bh  # fast_two_sum: th >= 1 > |bh|
    ml = (bh - (mh - th)) + (tl + bl)
    h = mh + ml
    return h, ml - (h - mh), bh, bl


def dd_exp_scaled(xh: Any, xl: Any, F: Any) -> tuple[Any, Any, Any]:
    """``(mh, ml, k)`` with ``exp(xh + xl) == (mh + ml) * 2**k``, ``0.98 < mh < 1.99``.

    ``k`` is a float holding an integer; the scaled form never overflows, so a kernel can
    multiply further factors in before a single final ``F.ldexp``. Relative error below 2**-72.
    ``|xh| > 2800`` acts as +-2800, a nan ``xh`` as 0: handle inf/nan inputs in the caller.
    """
    th, tl, eh, el, k = _exp_parts(xh, xl, F)
    mh, ml, _, _ = _times_table(th, tl, eh, el)
    return mh, ml, k


def dd_exp(xh: Any, xl: Any, F: Any) -> tuple[Any, Any]:
    """``exp(xh + xl)`` as a double-double (overflows to inf, underflows to 0)."""
    mh, ml, k = dd_exp_scaled(xh, xl, F)
    return F.ldexp(mh, k), F.ldexp(ml, k)


def dd_expm1_scaled(xh: Any, xl: Any, F: Any) -> tuple[Any, Any, Any]:
    """``(ih, il, k1)`` with ``expm1(xh + xl) == (ih + il) * 2**k1``, ``k1 >= 0`` a float.

    Accurate relative to expm1 itself (about 2**-66) for every argument, including tiny ones.
    Written as expm1(x) = 2**k1 * ((A - 2**-k1) + A*E) with A = 2**(k - k1) * 2**(j/32),
    E = expm1(r) and k1 = max(k, 0): nothing overflows, and the subtraction of 2**-k1 is exact
    in double-double. Where it could cancel (x near 0) the reduction has n = 0, so A == 1 and
    the difference is exactly E; elsewhere |x| >= ln2/64 and the cancellation is at most ~100x.
    """
    th, tl, eh, el, k = _exp_parts(xh, xl, F)
    k1 = F.maximum(k, 0.0)
    k2 = k - k1
    ah, al = F.ldexp(th, k2), F.ldexp(tl, k2)
    bh, bl = dd_mul(ah, al, eh, el)
    sh, sl = two_sum(ah, -F.ldexp(1.0, -k1))
    ih, il = dd_add(sh, sl + al, bh, bl)
    return ih, il, k1


def dd_expm1(xh: Any, xl: Any, F: Any) -> tuple[Any, Any]:
    """``expm1(xh + xl)`` as a double-double (overflows to inf)."""
    ih, il, k1 = dd_expm1_scaled(xh, xl, F)
    return F.ldexp(ih, k1), F.ldexp(il, k1)


def dd_log1p(xh: Any, xl: Any, F: Any) -> tuple[Any, Any]:
    """``log1p(xh + xl)`` as a double-double, relative error about 2**-66, for ``xh > -1``.

    One Newton step on the libm seed y0 = log1p(xh): log1p(f) = y0 + log1p(c) with
    c = ((1 + f) - exp(y0)) / exp(y0), and log1p(c) = c - c**2/2 to within c**3 (c ~ 2**-52).
    The numerator is formed from the pieces of ``_exp_parts`` as
    (2**-k1 - A) + f*2**-k1 - A*E (A, E, k1 as in dd_expm1_scaled): when y0 is small A == 1
    and it reduces to f - expm1(y0), exact relative to f; when f is near -1, 1 - A and f are
    exact and exp(y0) is tiny, so the absolute error is tiny too. f is added as a
    double-double of its own: folding it into the low part of 1 + f would round away its low
    bits when f is small. ``xh == -1`` gives -inf, ``xh < -1`` nan, ``xh == inf`` inf.
    """
    ok = (xh > -1.0) & (xh < F.inf)
    f = F.where(ok, xh, 0.0)
    fl = F.where(ok, xl, 0.0)
    y0 = F.log1p(f)
    th, tl, eh, el, k = _exp_reduced(y0, 0.0, F)  # -38 < y0 < 710
    k1 = F.maximum(k, 0.0)
    k2 = k - k1
    ah, al = F.ldexp(th, k2), F.ldexp(tl, k2)
    bh, bl = dd_mul(ah, al, eh, el)
    c = F.ldexp(1.0, -k1)
    gh, gl = F.ldexp(f, -k1), F.ldexp(fl, -k1)
    sh, sl = two_sum(c, -ah)
    nh, nl = dd_add(sh, sl - al, gh, gl)
    nh, nl = dd_add(nh, nl, -bh, -bl)
    corr = (nh + nl) / ((c + gh) + gl)  # over (1 + f)*2**-k1, which is exp(y0)*2**-k1 nearly
    yh, yl = fast_two_sum(y0, corr - 0.5 * corr * corr)
    bad = F.where(xh == -1.0, -F.inf, F.where(xh == F.inf, F.inf, _NAN))
    return F.where(ok, yh, bad), F.where(ok, yl, 0.0)


def dd_log(xh: Any, xl: Any, F: Any) -> tuple[Any, Any]:
    """``log(xh + xl)`` for ``xh > 0`` as a double-double, relative error about 2**-66.

    One Newton step on the libm seed y0 = log(xh): log(x) = y0 + log1p(c) with
    c = (x - exp(y0))/exp(y0), log1p(c) = c - c**2/2 to within c**3. With
    exp(y0) = 2**k * T * (1 + E) from ``_exp_parts``, the numerator is taken in units of 2**k:
    x*2**-k - T is exact (Sterbenz: x*2**-k is within 2% of T), and subtracting T*E in
    double-double leaves N accurate relative to itself. Near x = 1 the reduction has T == 1,
    so N = (x - 1) - expm1(y0) keeps full relative accuracy of log(x) as it goes to 0;
    elsewhere |log(x)| >= ln2/64 and an absolute error of 2**-100 in N is harmless. Works for
    subnormal x (the 2**-k scaling is exact). ``xh == 0`` gives -inf, ``xh < 0`` nan,
    ``xh == inf`` inf.
    """
    ok = (xh > 0.0) & (xh < F.inf)
    x = F.where(ok, xh, 1.0)
    xl = F.where(ok, xl, 0.0)
    y0 = F.log(x)
    th, tl, eh, el, k = _exp_reduced(y0, 0.0, F)  # |y0| < 745
    bh, bl = dd_mul(th, tl, eh, el)
    x2 = F.ldexp(x, -k)
    sh, sl = two_sum(x2 - th, F.ldexp(xl, -k) - tl)
    nh, nl = dd_add(sh, sl, -bh, -bl)
    corr = (nh + nl) / x2
    # the c**2/2 term goes into the low part: next to x = 1, y0 is 0 and corr is the whole
    # result, so folding the term into corr first would round it away
    yh, yl = fast_two_sum(y0, corr)
    yh, yl = fast_two_sum(yh, yl - 0.5 * corr * corr)
    bad = F.where(xh == 0.0, -F.inf, F.where(xh == F.inf, F.inf, _NAN))
    return F.where(ok, yh, bad), F.where(ok, yl, 0.0)


def dd_ldexp(h: Any, l: Any, k: Any, F: Any) -> Any:
    """``(h + l) * 2**k`` rounded once, also when the result is subnormal.

    ``F.ldexp(h, k)`` alone rounds h a second time onto the coarser subnormal grid, which can
    add up to a quarter ulp to the half ulp already spent on rounding h. Here the rounding
    remainder of that ldexp (exact: scaling the result back by 2**-k is exact) plus ``l`` is
    compared with half a subnormal step, 2**(-1075 - k) in h's units, and the result moved by
    one step when the true value lies beyond the midpoint. Normal results are left alone.
    """
    r = F.ldexp(h, k)
    d = (h - F.ldexp(r, -k)) + l
    fix = (abs(r) < MIN_NORMAL) & (abs(d) > F.ldexp(0.5, -1074.0 - k))
    return F.where(fix, r + F.copysign(MIN_SUBNORMAL, d), r)
