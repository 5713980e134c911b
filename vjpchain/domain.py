"""Where a primitive is defined on the reals, and the float64 points that exercise it."""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Domain", "REALS", "sweep_points", "mp_sweep_points"]

_TINY = 5e-324
_HUGE = 1.7976931348623157e308


@dataclass(frozen=True)
class Domain:
    """An interval of the reals, with the points where textbook formulas tend to fail.

    Attributes:
        lo, hi: the ends (may be infinite).
        include_lo, include_hi: whether each finite end is itself in the domain.
        special: extra points worth checking (near singularities, overflow edges).
        excluded: points inside the interval that are not in the domain (poles).
        complex_special: complex points worth checking (the complex sweep adds them).
        mp_special: points for mpmath numbers, as decimal strings read in the number's
            context (so rounded to its precision: a zero of the derivative rounded to 50
            digits is a point no float reaches), or mpmath expressions of ``pi``
            (``"pi/2"``, ``"-3*pi/2"``).
    """

    lo: float = -math.inf
    hi: float = math.inf
    include_lo: bool = False
    include_hi: bool = False
    special: tuple[float, ...] = ()
    excluded: tuple[float, ...] = field(default=())
    excluded_integers_below: float | None = None
    complex_special: tuple[complex, ...] = ()
    mp_special: tuple[str, ...] = ()

    def __contains__(self, x: object) -> bool:
        if not isinstance(x, (int, float)) or math.isnan(x):
            return False
        if x < self.lo or x > self.hi:
            return False
        if x == self.lo and not self.include_lo:
            return False
        if x == self.hi and not self.include_hi:
            return False
        if x in self.excluded:
            return False
        return not (
            self.excluded_integers_below is not None
            and x <= self.excluded_integers_below
            and x == math.floor(x)
        )

    def describe(self) -> str:
        left = "[" if self.include_lo else "("
        right = "]" if self.include_hi else ")"
        text = f"{left}{self.lo:g}, {self.hi:g}{right}"
        if self.excluded_integers_below is not None:
            text += f" except integers <= {self.excluded_integers_below:g}"
        return text


REALS = Domain()


def _edge_points(edge: float, toward: float) -> list[float]:
    """Points approaching a finite edge from inside, from 1e-1 relative down to one ulp."""
    points = []
    scale = max(abs(edge), 1.0) if edge != 0 else 1.0
    direction = 1.0 if toward > edge else -1.0
    if edge == 0:
        for k in range(0, 1075, 7):
            points.append(direction * math.ldexp(1.0, -k))
        points.append(direction * _TINY)
        return points
    for k in range(1, 17):
        points.append(edge + direction * scale * 10.0 ** (-k))
    x = edge
    for _ in range(4):
        x = math.nextafter(x, toward)
        points.append(x)
    return points


def sweep_points(domain: Domain, n: int = 400, seed: int = 0) -> list[float]:
    """Float64 points covering ``domain``: log-spaced magnitudes, random mantissas, edges.

    Covers subnormals up to the largest float where the domain reaches them, both signs,
    both ends approached to within one ulp, 0 and +-1, every binade between about 1e-3 and
    1e3 densely, and the declared special points.
    """
    rng = random.Random(seed)
    lo = max(domain.lo, -_HUGE)
    hi = min(domain.hi, _HUGE)
    points: list[float] = []
    # log-uniform magnitudes over the whole exponent range, both signs
    for _ in range(n):
        e = rng.uniform(-1074.0, 1024.0)
        mag = math.ldexp(rng.uniform(0.5, 1.0), int(e))
        for sign in (1.0, -1.0):
            x = sign * mag
            if lo <= x <= hi:
                points.append(x)
    # uniform over the finite part of the interval (mid-range behaviour)
    a, b = max(lo, -50.0), min(hi, 50.0)
    if a < b:
        points.extend(rng.uniform(a, b) for _ in range(n // 2))
    # the ends, from inside
    if math.isfinite(domain.lo):
        points.extend(_edge_points(domain.lo, hi))
    if math.isfinite(domain.hi):
        points.extend(_edge_points(domain.hi, lo))
    if lo <= 0.0 <= hi:
        points.extend(_edge_points(0.0, 1.0) if hi > 0 else [])
        points.extend(_edge_points(0.0, -1.0) if lo < 0 else [])
    for s in domain.special:
        points.append(s)
        points.append(math.nextafter(s, math.inf))
        points.append(math.nextafter(s, -math.inf))
    # every binade from 2**-10 to 2**10 (about 1e-3 to 1e3), several points each: the
    # range most inputs live in, densely enough that a rule wrong on a sub-interval shows
    for k in range(-10, 10):
        for _ in range(6):
            mag = math.ldexp(rng.uniform(1.0, 2.0), k)
            points.extend((mag, -mag))
        points.extend((math.ldexp(1.0, k), -math.ldexp(1.0, k)))
    points.extend((0.0, -0.0, _TINY, -_TINY, 2.2250738585072014e-308, 1.0, -1.0, _HUGE,
                   -_HUGE))
    seen: set[tuple[float, float]] = set()
    out = []
    for x in points:
        key = (x, math.copysign(1.0, x))  # -0.0 is a point of its own (signed zeros)
        if x in domain and key not in seen:
            seen.add(key)
            out.append(x)
    return out


def _mp_in(domain: Domain, x: Any) -> bool:
    """``x in domain`` for an mpf (whose magnitude may be beyond any float)."""
    if x != x or x < domain.lo or x > domain.hi:
        return False
    if (x == domain.lo and not domain.include_lo) or (x == domain.hi and not domain.include_hi):
        return False
    if any(x == e for e in domain.excluded):
        return False
    below = domain.excluded_integers_below
    return not (below is not None and x <= below and x == int(x))


_PI_MULTIPLE = re.compile(r"(-?)(\d*)\*?pi(?:/(\d+))?")


def _mp_special(ctx: Any, text: str) -> Any:
    """A special point in ``ctx``: a decimal string, or a rational multiple of pi
    ("-3*pi/2"), rounded once to the context's precision."""
    multiple = _PI_MULTIPLE.fullmatch(text)
    if multiple is None:
        return ctx.mpf(text)
    sign, factor, divisor = multiple.groups()
    q = int(f"{sign}{factor or 1}") * ctx.pi
    return q / int(divisor) if divisor else q


def mp_sweep_points(domain: Domain, ctx: Any, n: int = 100, seed: int = 0,
                    sample: int | None = None) -> list[Any]:
    """Points of ``domain`` as mpf numbers of ``ctx``, for checks at its precision.

    :func:`sweep_points` (exact as mpf), each also with its mantissa filled to the
    context's precision with random bits (a float's 53 bits hide roundings such as x*x's),
    magnitudes past any float (1e-1000 to 1e1000), the finite ends approached from inside
    to within one unit of the context's precision, and the declared special points, float
    and mp (read in ``ctx``: rounded to its precision). ``domain``'s ends are taken as they
    are: pass the interval an mpf has (past where float64 overflows) for the mp domain.
    ``sample``: keep only that many of the float sweep's points (a seeded random choice);
    the others are all kept.
    """
    rng = random.Random(seed)
    prec = ctx.prec
    floats = sweep_points(domain, n, seed)
    if sample is not None and sample < len(floats):
        floats = rng.sample(floats, sample)
    points = [ctx.mpf(x) for x in floats]
    filled = []
    for x in points:
        if x and ctx.isfinite(x):
            mantissa, exponent = ctx.frexp(x)
            bits = ctx.ldexp(rng.getrandbits(prec - 53), -prec)
            filled.append(ctx.ldexp(mantissa + ctx.sign(mantissa) * bits, exponent))
    points += filled
    for e in (-1000, -400, -300, -100, -30, 30, 100, 300, 400, 1000):
        mag = ctx.mpf(10) ** e * (1 + ctx.mpf(rng.random()))
        points += [mag, -mag]
    for end, inward in ((domain.lo, 1), (domain.hi, -1)):
        if ctx.isinf(end):
            continue
        end = ctx.mpf(end)
        scale = max(abs(end), 1) if end else ctx.mpf(1)
        for k in range(1, int(prec * 0.30103) + 3):
            points.append(end + inward * scale * ctx.mpf(10) ** -k)
        unit = ctx.ldexp(1, -prec) * scale if end else ctx.ldexp(1, -prec)
        points += [end + inward * unit * j for j in (1, 2, 3)]
        if end == int(end) and end:  # 1 - 2**-prec, the largest mpf below an integer end
            points.append(end + inward * ctx.ldexp(abs(end), -prec - 1))
    points += [ctx.mpf(s) for s in domain.special]
    points += [_mp_special(ctx, s) for s in domain.mp_special]
    seen = set()
    out = []
    for x in points:
        x = +x  # rounded to the context's precision
        if _mp_in(domain, x) and x not in seen:
            seen.add(x)
            out.append(x)
    return out
