"""Finite-difference derivatives: forward, central, high-order central, complex step.

Each takes a function of one number (or a chain) and a point. Default steps balance the
truncation error of the stencil against the rounding error of float64 evaluation
(Press et al., Numerical Recipes, sec. 5.7): h ~ eps**(1/2) for forward differences,
eps**(1/3) for central, eps**(1/(k+1)) for a stencil of order k. Near a domain edge the
stencils are one-sided so that no evaluation leaves the domain.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .domain import REALS, Domain

__all__ = [
    "forward_difference", "central_difference", "central_difference_high", "complex_step",
    "error_curve", "as_function",
]

_EPS = 2.0 ** -52

# central stencils: offsets 1..m and their weights (antisymmetric), order 2m
_CENTRAL = {
    2: (1 / 2,),
    4: (2 / 3, -1 / 12),
    6: (3 / 4, -3 / 20, 1 / 60),
    8: (4 / 5, -1 / 5, 4 / 105, -1 / 280),
}
# one-sided (forward) stencils: weights at offsets 0..k, order k
_ONE_SIDED = {
    1: (-1.0, 1.0),
    2: (-3 / 2, 2.0, -1 / 2),
    4: (-25 / 12, 4.0, -3.0, 4 / 3, -1 / 4),
}


def as_function(f: Callable[[Any], Any] | Iterable[Any], rules: Any = None) -> Callable[[Any], Any]:
    """A chain (a list of primitives) as the function it computes; a callable as itself."""
    if callable(f):
        return f
    from .registry import registry_of

    return registry_of(rules).function(f)


def _step(x: float, power: float, h: float | None) -> float:
    """The step: ``h`` as given (checked), else eps**power * max(|x|, 1) rounded to the step
    actually taken, ``(x + h) - x``, so that the default stencil's points are exact."""
    if h is not None:
        _check_step(x, h)
        return h
    return _taken(x, _EPS ** power * max(abs(x), 1.0))


def _taken(x: float, h: float) -> float:
    taken = (x + h) - x
    if taken == 0:
        raise ValueError(f"no default step fits at x={x!r}: it is below the float spacing "
                         "there; give h")
    return taken


def _check_step(x: float, h: float) -> None:
    if isinstance(h, bool) or not isinstance(h, (int, float)) or not (0 < h < math.inf):
        raise ValueError(f"the step h must be a positive finite number (got {h!r})")
    if x + h == x:
        raise ValueError(f"step h={h!r} is below the float spacing at x={x!r} (x + h == x); "
                         "use a larger h")


def _fits(domain: Domain, x: float, h: float, m: int) -> tuple[bool, bool]:
    """Whether x - m h and x + m h both lie in the domain."""
    return (x - m * h) in domain, (x + m * h) in domain


def forward_difference(f: Any, x: float, h: float | None = None, *,
                       domain: Domain = REALS) -> float:
    """(f(x + h) - f(x)) / h, first order, computed as written with the ``h`` given.

    Without ``h`` the step is sqrt(eps) * max(|x|, 1), rounded so that x + h is exact. Where
    x + h leaves the domain it is the backward difference (f(x) - f(x - h)) / h.

    Example:
        >>> import math
        >>> forward_difference([math.sin, math.sin, math.exp], 2.0, 1e-8)
        -0.5627520671680486

    Raises:
        ValueError: ``h`` is not a positive finite number, or x + h == x (below the float
            spacing at x).
    """
    fn = as_function(f)
    h = _step(x, 1 / 2, h)
    if (x + h) not in domain:
        return (fn(x) - fn(x - h)) / h
    return (fn(x + h) - fn(x)) / h


def central_difference(f: Any, x: float, h: float | None = None, *,
                       domain: Domain = REALS) -> float:
    """(f(x + h) - f(x - h)) / 2h, second order, with the ``h`` given; the default step and
    the stencil next to a domain edge are :func:`central_difference_high`'s."""
    return central_difference_high(f, x, h, order=2, domain=domain)


def central_difference_high(f: Any, x: float, h: float | None = None, *, order: int = 4,
                            domain: Domain = REALS) -> float:
    """Central stencil of order 2, 4, 6 or 8, sum_k w_k (f(x + k h) - f(x - k h)) / h with the
    ``h`` given; one-sided of order up to 4, sum_j w_j f(x + j h) / h, next to a domain edge
    (where the symmetric stencil would leave the domain; with -h where only x - j h fits).

    Without ``h`` the step is eps**(1/(order + 1)) times max(|x|, 1) (or the distance to a
    near domain edge), rounded so that x + h is exact.

    Raises:
        ValueError: ``order`` is not 2, 4, 6 or 8; ``h`` is not a positive finite number,
            or x + h == x.
    """
    if order not in _CENTRAL:
        raise ValueError(f"order must be one of {sorted(_CENTRAL)} (got {order!r})")
    fn = as_function(f)
    m = order // 2
    if h is None:
        # eps**(1/(k+1)) balances truncation against rounding; the factor (measured on
        # smooth test functions) accounts for the growing weights of wider stencils
        h = _step(x, 1 / (order + 1), None) * (0.5 if order == 2 else 0.25)
        # close to a domain edge, scale the step by the distance to it rather than by |x|:
        # the function varies on that scale there (sqrt near 0, acosh near 1)
        gap = min(abs(x - domain.lo), abs(domain.hi - x))
        if 0 < gap < (m + 1) * h:
            h = gap * _EPS ** (1 / (order + 1))
        h = _taken(x, h)
    else:
        _check_step(x, h)
    left_ok, right_ok = _fits(domain, x, h, m)
    if left_ok and right_ok:
        total = 0.0
        for k, w in enumerate(_CENTRAL[order], start=1):
            total += w * (fn(x + k * h) - fn(x - k * h))
        return total / h
    k = min(order, 4)
    weights = _ONE_SIDED[k if k in _ONE_SIDED else 2]
    direction = 1.0 if right_ok or (x + len(weights) * h) in domain else -1.0
    hs = direction * h
    return sum(w * fn(x + j * hs) for j, w in enumerate(weights)) / hs


def complex_step(f: Any, x: float, h: float = 1e-200) -> float:
    """Im(f(x + i s)) / s with the step s = h * max(|x|, 1) (``h`` is relative to x): no
    subtractive cancellation, so the step can be tiny and the result is accurate to rounding
    (Squire and Trapp, SIAM Review 1998). ``f`` must accept complex arguments and be
    real-analytic at x (vjpchain's generic functions are)."""
    fn = as_function(f)
    h = h * max(abs(x), 1.0)
    return float(fn(complex(x, h)).imag / h)


def error_curve(f: Any, x: float, exact: float, steps: Sequence[float] | None = None, *,
                method: str = "central") -> list[tuple[float, float]]:
    """``(h, |approximation - exact|)`` over steps from 1 down to 1e-16: the V-shaped curve
    where truncation error falls as h shrinks until rounding error takes over."""
    methods: dict[str, Callable[..., float]] = {
        "forward": forward_difference, "central": central_difference,
        "central4": lambda g, t, h: central_difference_high(g, t, h, order=4),
        "complex": complex_step,
    }
    if method not in methods:
        raise ValueError(f"method must be one of {sorted(methods)} (got {method!r})")
    if steps is None:
        steps = [10.0 ** (-k / 4) for k in range(0, 65)]
    fn = as_function(f)
    out = []
    for h in steps:
        if method != "complex" and (x + h) - x == 0:
            continue  # below the float spacing at x: no such step exists
        approx = methods[method](fn, x, h)
        out.append((h, abs(approx - exact) if math.isfinite(approx) else math.inf))
    return out
