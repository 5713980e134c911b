"""Exact values: mpmath references of derivatives, and the error of a float64 result in ULPs.

Every evaluation here runs in a private mpmath context (:mod:`vjpchain.mpcontext`), never
changing the precision of mpmath's global one, which other threads may be using. The checks
built on these are in :mod:`vjpchain.reference`.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import mpmath

from .errors import ReferencePrecisionError, VjpchainError
from .generic import MPC
from .mpcontext import at_precision, context_of, in_context

__all__ = [
    "digits", "evaluate", "ulp_error", "float_ulp", "REFERENCE_DERIVATIVES",
    "reference_derivative", "sweep_ulps", "rule_reference", "excused_near_zero",
    "diff_reference", "diff_estimate", "DiffReference", "reference_for", "float_difference",
    "float_primal_reference", "complex_reference", "complex_ulp_error",
    "complex_sweep_points", "complex_derivative_error",
    "float_primal_reference", "correct_digits", "mp_digits",
    "FLOAT_PRIMAL_REFERENCE", "FLOAT_PRIMAL_RESOLUTION",
]

# Every evaluation here runs in a private context (mpcontext.at_precision): a check never
# changes the precision of mpmath's global context, which other threads may be using.
_WIDE = at_precision(256)
_NARROW = at_precision(128)
_MAX = _WIDE.mpf(1.7976931348623157e308)
# the smallest magnitude that rounds to inf in float64: (2 - 2**-53) * 2**1023
_OVERFLOW = (2 - _WIDE.mpf(2) ** -53) * _WIDE.mpf(2) ** 1023


def digits(dps: int) -> Any:
    """A private mpmath context at ``dps`` decimal digits (mpmath's own conversion)."""
    return at_precision(mpmath.libmp.dps_to_prec(dps))


def evaluate(fn: Callable[[Any], Any], ctx: Any, x: Any) -> Any:
    """``fn(x)`` in the private context ``ctx``: ``fn`` takes its mpmath functions from its
    argument's context (as vjpchain's functions and the declarations' references do) or is a
    function of mpmath's (``mpmath.cos``), which is taken from ``ctx``.

    Raises:
        ReferencePrecisionError: ``fn`` computed in mpmath's global context at a lower
            precision (``mpmath.exp(x)`` inside it): raising the global precision would
            change it under every other thread, so write it with ``x.context.exp(x)`` or
            ``vjpchain.exp(x)``, which follow the argument.
    """
    out = in_context(fn, ctx)(x if context_of(x) is ctx else ctx.convert(x))
    if out is None or isinstance(out, (str, bytes, bool)) or (
            not isinstance(out, (int, float, complex)) and context_of(out) is mpmath.mp
            and not hasattr(out, "_mpf_") and not hasattr(out, "_mpc_")):
        raise TypeError(
            f"the reference {getattr(fn, '__qualname__', fn)!r} returned {out!r} (a "
            f"{type(out).__name__}) at {x!r}: it must return the derivative as an mpmath "
            "number")
    own = context_of(out)
    if (own is not ctx and own is mpmath.mp and own.prec < ctx.prec
            and mpmath.isfinite(out) and out != 0):  # inf, nan and 0 are exact anywhere
        raise ReferencePrecisionError(
            f"the reference {getattr(fn, '__qualname__', fn)!r} computed at mpmath's global "
            f"precision ({own.prec} bits) instead of its argument's ({ctx.prec} bits): it "
            "calls mpmath's module functions (mpmath.exp...). Write it with the argument's "
            "context, x.context.exp(x), or with vjpchain's functions, vjpchain.exp(x), "
            "which follow it; checks never change mpmath's global precision")
    return out


def float_ulp(exact: Any) -> Any:
    """The spacing of float64 numbers at ``exact`` (an mpf): 2**-1074 at subnormals."""
    if exact == 0:
        return mpmath.mpf(2) ** -1074
    _, e = mpmath.frexp(exact)  # exact = m * 2**e, 0.5 <= |m| < 1
    return mpmath.mpf(2) ** (max(int(e) - 1, -1022) - 52)


def ulp_error(computed: float, exact: Any) -> float:
    """``|computed - exact|`` in units of the float64 spacing at ``exact``.

    ``exact`` is an mpmath number at high precision. A computed inf counts as exact when
    the true value rounds to that inf; any other inf or nan counts as an infinite error.
    """
    computed = float(computed)
    if math.isnan(computed):
        return math.inf
    if math.isinf(computed):
        if abs(exact) >= _OVERFLOW and (computed > 0) == (exact > 0):
            return 0.0
        return math.inf
    if abs(exact) >= _OVERFLOW:
        return math.inf
    return float(abs(_WIDE.mpf(computed) - exact) / float_ulp(exact))


class _References(Mapping[str, Callable[[Any], Any]]):
    """The mpmath reference derivative of each built-in primitive, by name: read from the
    declarations (``Rule.reference``), written independently of the rules under test."""

    def _table(self) -> dict[str, Callable[[Any], Any]]:
        from .registry import default_registry

        return {r.name: r.reference for r in default_registry.rules() if r.reference}

    def __getitem__(self, name: str) -> Callable[[Any], Any]:
        return self._table()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


REFERENCE_DERIVATIVES: Mapping[str, Callable[[Any], Any]] = _References()


def reference_derivative(name: str, x: float, dps: int = 60) -> Any:
    """The derivative of the built-in primitive ``name`` at the float ``x``, at ``dps`` digits."""
    return evaluate(REFERENCE_DERIVATIVES[name], digits(dps), x)


def sweep_ulps(
    compute: Callable[[float], float],
    exact: Callable[[Any], Any],
    points: list[float],
    dps: int = 60,
) -> list[tuple[float, float, float, Any]]:
    """``(x, computed, ulps, reference)`` for each point; the reference at ``dps`` digits."""
    rows = []
    ctx = digits(dps)
    for x in points:
        ref = evaluate(exact, ctx, x)
        value = compute(x)
        rows.append((x, value, ulp_error(value, ref), ref))
    return rows


def rule_reference(rule: Any) -> Callable[[Any], Any]:
    """The reference derivative for ``rule``: the closed form for a built-in primitive, else
    ``mpmath.diff`` of the rule's primal evaluated in mpmath (independent of its derivative)."""
    if rule.reference is not None:
        return rule.reference  # type: ignore[no-any-return]
    primal = rule.primal
    if primal is None:
        raise ValueError(f"rule {rule.name!r} has no primal to differentiate numerically")
    return lambda x: context_of(x).diff(primal, x)


def excused_near_zero(exact: Callable[[Any], Any], x: float, rel: float = 1e-6,
                      value: float | None = None) -> bool:
    """True when the derivative changes sign within ``rel`` of ``x`` (relative error there is
    unbounded, so ULP targets do not apply).

    With the computed ``value``, it is excused only when it is also small on the scale the
    derivative takes around ``x`` (the rounding of an input next to a zero of the
    derivative moves it by about 2**-52 / rel of that scale): a rule that gives 1 where the
    derivative is 0 (``abs'(0) = 1``) is a wrong convention, not rounding. At 0 the
    neighbourhood is +-2**-1000.
    """
    ctx = digits(60)
    xm = ctx.mpf(x)
    if x == 0:
        step = ctx.ldexp(1, -1000)
        lo, hi = evaluate(exact, ctx, -step), evaluate(exact, ctx, step)
    else:
        lo, hi = evaluate(exact, ctx, xm * (1 - rel)), evaluate(exact, ctx, xm * (1 + rel))
    if not (mpmath.isfinite(lo) and mpmath.isfinite(hi)):
        return False
    changes = bool(lo == 0 or hi == 0 or (lo > 0) != (hi > 0))
    if not changes or value is None:
        return changes
    if not math.isfinite(value):
        return False
    scale = max(abs(lo), abs(hi))
    return bool(abs(ctx.mpf(value) - evaluate(exact, ctx, xm)) <= ctx.mpf("1e-8") * scale)


_MAX_REFERENCE_PREC = 1 << 15


def diff_reference(f: Callable[[Any], Any], x: float, dps: int = 50) -> Any:
    """``f'(x)`` by ``mpmath.diff`` of an mpmath-evaluated ``f``, correct to ``dps`` digits;
    None where the derivative is not real. See :func:`diff_estimate`."""
    found = diff_estimate(f, x, dps)
    return None if found is None else found[0]


def diff_estimate(f: Callable[[Any], Any], x: float, dps: int = 50) -> tuple[Any, Any] | None:
    """``(f'(x), error bound)`` by central differences of an mpmath-evaluated ``f``,
    extrapolated (Richardson: the step's h**2 error term cancels); None where the derivative
    is not real or ``f`` fails.

    A fixed step cannot serve every function: at tiny ``x`` it reaches past a domain edge
    (sqrt near 0), at huge ``x`` it vanishes below the working precision (sin'(1e300)),
    where f' is tiny next to f (tanh at 30) the difference cancels, and where f changes on
    a scale much finer than x (x**1e50 at 1) it is too coarse. So the step starts scaled to
    ``x`` and shrinks, and the precision grows, until two successive estimates agree to
    ``dps`` digits; their difference is the bound. Past a bounded precision the last
    estimate is returned with that (then larger) bound.
    """
    ctx = digits(dps)
    xm = ctx.mpf(x)
    if not mpmath.isfinite(xm):
        return None
    prec = ctx.prec
    mag = 0 if xm == 0 else int(ctx.mag(xm))
    h = ctx.ldexp(1, min(mag, 0) - prec // 2 - 10)
    work = prec + abs(mag) + prec // 2 + 20
    previous = None
    scale = None
    while True:
        wide = at_precision(work)
        fw, xw, hw = in_context(f, wide), wide.mpf(xm), wide.mpf(h)
        try:
            d = (4 * wide.diff(fw, xw, h=hw / 2) - wide.diff(fw, xw, h=hw)) / 3
        except (ArithmeticError, ValueError, TypeError, VjpchainError):
            return None
        if isinstance(d, MPC):
            if d.imag != 0:
                return None
            d = d.real
        if mpmath.isnan(d):
            return None
        if previous is not None:
            bound = abs(d - previous)
            if bound <= abs(d) * ctx.ldexp(1, -prec - 4) or work >= _MAX_REFERENCE_PREC:
                return ctx.mpf(d), bound
            if scale is None:
                try:  # the size of a derivative on f's own scale, |f(x)| / |x|
                    scale = abs(fw(xw)) / max(abs(xw), wide.ldexp(1, -1074))
                except (ArithmeticError, ValueError, TypeError, VjpchainError):
                    scale = wide.zero
            if bound <= scale * ctx.ldexp(1, -2 * prec):
                # agreement far below f's own scale: a derivative that is 0 or nearly (x**5
                # at 0), whose relative agreement would take the precision to its bound
                return ctx.mpf(d), bound
        previous = d
        # a finer step (the function may change on a finer scale than x), and the bits
        # its difference cancels
        h = h * ctx.ldexp(1, -prec // 4 - 8)
        work = min(2 * work + prec // 4, _MAX_REFERENCE_PREC)


class DiffReference:
    """The reference derivative of a primal that computes in mpmath: :func:`diff_estimate`
    at the precision of the argument's context; ``bound(x)`` is its error bound."""

    def __init__(self, primal: Callable[[Any], Any]) -> None:
        self.primal = primal
        self._bounds: dict[Any, Any] = {}

    def __call__(self, x: Any) -> Any:
        ctx = context_of(x)
        found = diff_estimate(self.primal, x, ctx.dps)
        if found is None:
            return ctx.nan
        if len(self._bounds) > 4096:
            self._bounds.clear()
        self._bounds[float(x)] = found[1]
        return found[0]

    def bound(self, x: float) -> Any:
        return self._bounds.get(float(x), _WIDE.inf)


def _mp_capable(primal: Callable[[Any], Any], x: float) -> bool:
    # whether the primal computes in mpmath, in its argument's context (written with
    # vjpchain's functions); one written with mpmath's module functions computes at the
    # global precision, which a check never raises: the float reference serves it instead
    ctx = digits(30)
    try:
        out = primal(ctx.mpf(x))
    except Exception:
        return False
    return context_of(out) is ctx


def float_primal_reference(primal: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """An 8th-order central difference in mpmath on a primal that only runs on floats.

    The float primal's rounding (about 1e-16 relative) limits this reference to roughly
    1e-11 relative, so ULP figures below about 1e5 are within its noise.
    """

    def reference(x: Any) -> Any:
        return float_difference(primal, float(x))[0]

    def bound(x: float) -> Any:
        return float_difference(primal, float(x))[1]

    reference.bound = bound  # type: ignore[attr-defined]
    return reference


def _difference_at(primal: Callable[[Any], Any], xf: float, h: float) -> tuple[Any, Any]:
    """The 8th-order central difference of the float ``primal`` at ``xf`` with step ``h``,
    and the part of it that can be the rounding of the primal's values (half an ulp of the
    coarsest one, subnormal spacing included, through the weights, over the step)."""
    ctx = _WIDE
    weights = (ctx.mpf(4) / 5, -ctx.mpf(1) / 5, ctx.mpf(4) / 105, -ctx.mpf(1) / 280)
    total = ctx.mpf(0)
    spacing = 0.0  # the coarsest spacing of the values: subnormal values are rounded coarser
    for k, w in enumerate(weights, start=1):
        step = ctx.mpf(k * h)
        if ctx.mpf(xf + k * h) - xf != step or xf - ctx.mpf(xf - k * h) != step:
            # a rounded abscissa makes the nodes uneven: the formula would be off by
            # f' * (rounding) / h, far beyond the noise counted below (sin at 543.695)
            raise ArithmeticError("the step's nodes are not exact floats")
        right = float(primal(xf + k * h))
        left = float(primal(xf - k * h))
        spacing = max(spacing, math.ulp(right), math.ulp(left))
        total += w * (ctx.mpf(right) - ctx.mpf(left))
    noise = sum(abs(w) for w in weights) * ctx.mpf(spacing) / h  # 2 values, half a spacing
    return total / ctx.mpf(h), noise


def float_difference(primal: Callable[[Any], Any], xf: float) -> tuple[Any, Any]:
    """``(estimate, error bound)`` of the derivative of a float primal at ``xf``.

    The step is scaled to the function, not only to x: it shrinks by 4 from 2**-10 max(|x|,
    1) past the step where successive estimates agree best (the truncation error falls as
    the rounding noise grows), skipping steps that reach past a domain edge; the bound is
    their difference plus that noise. Where no step resolves the
    derivative (sin at 1e300, whose period is below the spacing of floats there), the bound
    is inf: no reference at this point.
    """
    # relative (a step past a tiny x leaves its scale) and a power of two, so that the nodes
    # x +- k h are exact floats wherever they can be
    h = math.ldexp(1.0, math.frexp(abs(xf) or 1.0)[1] - 11)
    earlier: list[Any] = []
    best, best_error = _WIDE.mpf(0), _WIDE.inf
    worse = 0
    for _ in range(600):
        if xf + h == xf or h < 1e-300 or worse >= 4:
            break
        try:
            estimate, noise = _difference_at(primal, xf, h)
        except (ArithmeticError, ValueError):  # past a domain edge, or uneven nodes
            earlier.clear()
            h /= 4
            continue
        if len(earlier) >= 2:
            # three successive steps must agree: two garbage estimates can match by chance
            error = abs(estimate - earlier[-1]) + abs(earlier[-1] - earlier[-2]) + noise
            if error < best_error:
                best, best_error, worse = estimate, error, 0
            elif mpmath.isfinite(best_error):
                worse += 1  # past the best step: the noise grows from here on
        earlier.append(estimate)
        h /= 4
    if not best_error <= _WIDE.mpf("1e-6") * abs(best) or not _resolved_at_float_spacing(
            primal, xf, best):
        return best, _WIDE.inf
    return best, best_error


def _resolved_at_float_spacing(primal: Callable[[Any], Any], xf: float, slope: Any) -> bool:
    """Whether the primal's neighbours x +- ulp(x) change as ``slope`` says (within twice,
    plus their rounding). A function that oscillates faster than the floats are spaced
    (sin at 4.6e218) has difference quotients that can agree at every step, by aliasing,
    on a number that is not its derivative; its neighbours jump by O(1) instead."""
    u = math.ulp(xf)
    try:
        right, left = float(primal(xf + u)), float(primal(xf - u))
    except (ArithmeticError, ValueError):
        return True  # at a domain edge: the step sequence above is the only evidence
    if not (math.isfinite(right) and math.isfinite(left)):
        return True
    ctx = _WIDE
    jump = abs(ctx.mpf(right) - ctx.mpf(left))
    allowed = 4 * ctx.mpf(u) * abs(slope) + 4 * ctx.mpf(max(math.ulp(right), math.ulp(left)))
    return bool(jump <= allowed)


FLOAT_PRIMAL_REFERENCE = (
    "8th-order central difference in mpmath on the float primal, with an error bound per "
    "point (errors within it are not resolved); pass reference= (the derivative in mpmath) "
    "or write the primal with vjpchain's functions for a sharper check")
# the floor of the float-primal reference's error bound, relative
FLOAT_PRIMAL_RESOLUTION = 1e-11


def reference_for(rule: Any, probe: float) -> tuple[Callable[[Any], Any], str]:
    if rule.reference is not None:
        return rule.reference, "closed form in mpmath"
    if rule.primal is None:
        raise ValueError(
            f"rule {rule.name!r} was registered in full (no primal); check it with "
            "check_rule(..., reference=...) giving its derivative in mpmath"
        )
    if _mp_capable(rule.primal, probe):
        return DiffReference(rule.primal), "mpmath.diff of the primal in mpmath"
    return (float_primal_reference(rule.primal), FLOAT_PRIMAL_REFERENCE)


# --- complex derivatives ------------------------------------------------------------------------

# how far a reference steps off a branch cut, relative to min(|z|, 1), to the side the
# signed zero of a float64 point on the cut names (mpmath has no signed zeros): far below
# the 2**-53 resolution of the point, far above the reference's own precision
_CUT_STEP = 2.0 ** -160


def complex_reference(rule: Any, z: complex, prec: int = 256) -> Any:
    """The exact derivative of ``rule`` at the complex float ``z``, as an mpc, from the
    declaration's mpmath reference (``Rule.reference``).

    Branch cuts follow cmath's convention with signed zeros: a point on a cut (a zero real or
    imaginary part) gets the derivative of the side its zero's sign names, as ``cmath.asin``
    does for its value; the reference is evaluated ``2**-160 min(|z|, 1)`` off the axis on
    that side. The precision grows with the exponent of ``|z|`` (``tan(1e300j)`` needs
    ``1e300`` reduced modulo pi to 256 bits; acosh(1e-300 - 0j) needs 1 + z to keep z).
    Raises what the reference raises at a singularity (ZeroDivisionError, ValueError), or
    returns an infinite or nan mpc there.
    """
    z = complex(z)
    big = max(abs(z.real), abs(z.imag))
    bits = math.frexp(big)[1] if big and math.isfinite(big) else 0
    # and with the exponent of a tiny |z| (1 + z must keep z, and z's step off a cut)
    ctx = at_precision(prec + abs(bits))
    re, im = ctx.mpf(z.real), ctx.mpf(z.imag)
    assert rule.reference is not None, f"{rule.name} declares no reference"
    at = ctx.mpc(re, im)
    if z.real != 0 and z.imag != 0:
        return evaluate(rule.reference, ctx, at)
    value = evaluate(rule.reference, ctx, at)
    if not (ctx.isfinite(value.real) and ctx.isfinite(value.imag)):
        return value  # a singularity on the axis (asin' at 1) is one: no stepping off it
    step = ctx.mpf(min(big, 1.0) or 1.0) * _CUT_STEP
    off = ctx.mpc(0, step) if z.imag == 0 else ctx.mpc(step, 0)
    if not _across_a_cut(rule, ctx, at - off, at + off):
        return value
    if z.imag == 0:
        im = math.copysign(1.0, z.imag) * step
    if z.real == 0:
        re = math.copysign(1.0, z.real) * step
    return evaluate(rule.reference, ctx, ctx.mpc(re, im))


def _across_a_cut(rule: Any, ctx: Any, a: Any, b: Any) -> bool:
    """Whether mpmath's primal jumps between the close points a and b: a branch cut lies
    between them (elsewhere they differ by about |b - a| |f'|, far below 2**-100 |f|)."""
    try:
        fa, fb = rule.primal(a), rule.primal(b)
    except (ValueError, ZeroDivisionError, ArithmeticError):
        return True
    return bool(abs(fa - fb) > ctx.mpf(2) ** -100 * (abs(fa) + abs(fb)) + 4 * abs(b - a) * (
        1 + abs(fa) + abs(fb)))


def complex_ulp_error(computed: complex, exact: Any) -> float:
    """Normwise error of a complex float result in ULPs: ``|computed - exact|`` over the
    float64 spacing at ``|exact|``. Where a part of ``exact`` overflows float64, a result
    with inf of the same sign in that part counts as exact; any other inf or nan as an
    infinite error."""
    computed = complex(computed)
    parts = ((computed.real, exact.real), (computed.imag, exact.imag))
    if any(abs(e) >= _OVERFLOW for _, e in parts):
        ok = all(math.isinf(c) and (c > 0) == (e > 0) for c, e in parts if abs(e) >= _OVERFLOW)
        return 0.0 if ok else math.inf
    if any(not math.isfinite(c) for c, _ in parts):
        return math.inf
    ctx = _NARROW  # the error needs a few digits; the exact value's rounding to 128 bits
    exact = ctx.mpc(exact)  # is 2**-75 of an ulp
    error = abs(ctx.mpc(computed) - exact)
    return float(error / float_ulp(abs(exact)))


def complex_derivative_error(rule: Any, z: complex, chain: bool = False) -> tuple[float, str]:
    """The normwise error in ULPs of ``rule``'s derivative at the complex float ``z``
    (``rule.derivative(z, rule.primal(z))``, or with ``chain`` the chain path
    ``val_and_grad([rule.name], z)``), and what was computed.

    Where the exact derivative is infinite or undefined, an exception or an inf part counts
    as right (error 0); where it overflows float64, an OverflowError or an inf of the right
    sign does. Any other exception, and a nan, count as an infinite error.
    """
    from .transforms import val_and_grad

    exact, singular = _sided_exact(rule, z.real, z.imag, math.copysign(1.0, z.real),
                                   math.copysign(1.0, z.imag))
    try:
        if chain:
            d = complex(val_and_grad([rule.name], z)[1])
        else:
            d = complex(rule.derivative(z, rule.primal(z)))
    except Exception as e:  # noqa: BLE001 - any exception is a finding
        if singular:
            return 0.0, f"singular: {type(e).__name__}"
        overflow = isinstance(e, OverflowError) or isinstance(e.__cause__, OverflowError)
        if overflow and max(abs(exact.real), abs(exact.imag)) >= _OVERFLOW:
            return 0.0, "overflow: OverflowError"
        return math.inf, f"raised {e!r:.80}"
    if singular:
        if math.isinf(d.real) or math.isinf(d.imag):
            return 0.0, f"singular: {d!r}"
        return math.inf, f"singular, got {d!r}"
    return complex_ulp_error(d, exact), repr(d)


@functools.lru_cache(maxsize=1024)
def _sided_exact(rule: Any, re: float, im: float, re_sign: float,
                 im_sign: float) -> tuple[Any, bool]:
    """(the reference, whether it is infinite or undefined) at complex(re, im); the signs
    are part of the cache key, as -0.0 == 0.0."""
    z = complex(math.copysign(re, re_sign), math.copysign(im, im_sign))
    try:
        exact = complex_reference(rule, z)
    except (ZeroDivisionError, ValueError):
        return None, True
    return exact, not (mpmath.isfinite(exact.real) and mpmath.isfinite(exact.imag))


def complex_sweep_points(n_random: int = 200, seed: int = 0,
                         special: Iterable[complex] = (), decades: int = 30) -> list[complex]:
    """Complex float64 points for an accuracy sweep: magnitudes from 1e-300 to 1e300 at a
    few dozen binades, each on the four half-axes with both signed zeros, just off the axes,
    and in every quadrant; then the points where formulas tend to fail (next to +-1, +-i,
    the poles of tan and sigmoid, 0, the overflow edges of z*z), ``special`` and
    ``n_random`` log-uniform random points. ``decades``: the step between the magnitudes of
    the regular grid (powers of ten)."""
    radii = [10.0 ** k for k in range(-300, 301, decades)]
    radii += [1e-8, 1e-3, 0.1, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 10.0, 30.0, 100.0, 1e4, 1e8,
              1e16, 1.3e154, 1.5e154, 1e200]
    points: list[complex] = []
    for r in radii:
        for s in (1.0, -1.0):
            for t in (0.0, -0.0):
                points += [complex(s * r, t), complex(t, s * r)]
            for off in (1e-20, 1e-8):
                points += [complex(s * r, off * r), complex(s * r, -off * r),
                           complex(off * r, s * r), complex(-off * r, s * r)]
        for angle in (0.3, 0.7854, 1.2, 1.9, 2.6, -0.4, -1.0, -2.2, -2.9):
            points.append(complex(r * math.cos(angle), r * math.sin(angle)))
    hard = [complex(1, 0), complex(-1, 0), complex(0, 1), complex(0, -1)]
    for a in (1.0, -1.0):
        for d in (1e-300, 1e-16, 1e-8, 1e-3):
            for e in (0.0, -0.0, d, -d):
                hard += [complex(a + d, e), complex(a - d, e), complex(e, a + d),
                         complex(e, a - d), complex(a, d), complex(a, -d), complex(d, a),
                         complex(-d, a)]
    for k in (1, -1, 3, 101):
        c = k * math.pi / 2
        hard += [complex(c, 0.0), complex(c, 1e-10), complex(c, 20.0), complex(c, 370.0),
                 complex(0.0, c), complex(1e-10, c), complex(20.0, c), complex(-20.0, c)]
    hard += [complex(0.0, 0.0), complex(-0.0, -0.0), complex(0.0, -0.0), complex(-0.0, 0.0),
             complex(2, 370), complex(0.5, 1e10), complex(0.5, -1e10), complex(-2, 370),
             complex(30, 30), complex(-30, 30), complex(27, 5), complex(5, 27),
             complex(710, 1), complex(-710, 1), complex(745, 0.5), complex(-745, 0.5),
             complex(1e308, 1e308), complex(-1e308, 1e-308)]
    points += hard
    points += [complex(z) for z in special]
    rng = random.Random(seed)
    for _ in range(n_random):
        r = 10.0 ** rng.uniform(-300, 300) if rng.random() < 0.5 else 10.0 ** rng.uniform(-3, 3)
        angle = rng.uniform(-math.pi, math.pi)
        points.append(complex(r * math.cos(angle), r * math.sin(angle)))
    seen: set[tuple[float, float, float, float]] = set()
    unique = []
    for z in points:
        key = (z.real, z.imag, math.copysign(1.0, z.real), math.copysign(1.0, z.imag))
        if key not in seen:
            seen.add(key)
            unique.append(z)
    return unique
# --- mpmath results at their own precision ------------------------------------------------------


def correct_digits(computed: Any, exact: Any) -> float:
    """How many decimal digits of ``exact`` an mpmath result keeps: -log10 of the relative
    error; inf where they are equal (zeros, infinities), -inf for a nan or a wrong zero or
    inf (no digit is right)."""
    if computed == exact:
        return math.inf
    if exact == 0 or not mpmath.isfinite(exact) or not mpmath.isfinite(computed):
        return -math.inf
    ctx = at_precision(max(context_of(exact).prec, context_of(computed).prec) + 16)
    rel = abs((ctx.convert(computed) - ctx.convert(exact)) / ctx.convert(exact))
    return float(-ctx.log10(rel))


def mp_digits(rule: Any, x: Any, derivative: Any = None,
              primal: Any = None) -> tuple[float, float]:
    """``(primal digits, derivative digits)`` of ``rule`` at the mpf ``x``: its result in
    ``x``'s context (``rule.primal(x)`` and ``rule.derivative(x, y)``, or the given values)
    against the primal and the declared reference evaluated at twice the precision plus 32
    bits in a private context (a rounding or a cancellation at ``x``'s precision shows;
    at twice it, it is far below)."""
    if primal is None:
        primal = rule.primal(x)
    if derivative is None:
        derivative = rule.derivative(x, primal)
    wide = at_precision(2 * context_of(x).prec + 32)
    xw = wide.convert(x)
    exact_primal = evaluate(rule.primal, wide, xw)
    exact = evaluate(rule_reference(rule), wide, xw)
    return correct_digits(primal, exact_primal), correct_digits(derivative, exact)
