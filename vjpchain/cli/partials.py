"""``vjpchain check`` for two-input primitives (mul, pow, atan2...): each partial derivative
over a grid of points against an mpmath reference of the primal differentiated in that
argument, the other fixed (:func:`.bounded.derivative_reference`, in private contexts; never
the rule's own partials)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import VjpchainError
from ..exact import ulp_error
from ..mpcontext import context_of
from ..registry import Registry
from ..transforms import grad
from .bounded import derivative_reference

__all__ = ["GRID", "PartialRow", "TwoInputReport", "check_two_inputs"]

GRID = (-1e6, -7.25, -2.0, -1.0, -0.3, 0.0, 1e-5, 0.3, 1.0, 2.0, 3.0, 7.25, 1e6)
"""The values each input takes: both signs, zero, tiny and huge magnitudes, integers (pow
of a negative base), and every pair, so ties (maximum, minimum) and the origin are in."""


@dataclass
class PartialRow:
    """One partial derivative at one point: ``wrt`` is "a" or "b"; an excused row (outside
    the primal's or the partial's domain, or without a reference) is not judged."""

    a: float
    b: float
    wrt: str
    value: float
    reference: Any
    ulps: float
    excused: bool = False
    note: str = ""


@dataclass
class TwoInputReport:
    """The partials of a two-input primitive against mpmath, read like
    :class:`vjpchain.reference.RuleReport` (``passed``, ``max_ulps``, ``median_ulps``,
    ``worst``, ``tolerance``, ``rows``)."""

    name: str
    tolerance: float
    rows: list[PartialRow] = field(default_factory=list)

    @property
    def judged(self) -> list[PartialRow]:
        return [r for r in self.rows if not r.excused]

    @property
    def passed(self) -> bool:
        return bool(self.judged) and all(r.ulps <= self.tolerance for r in self.judged)

    @property
    def max_ulps(self) -> float:
        return max((r.ulps for r in self.judged), default=math.nan)

    @property
    def median_ulps(self) -> float:
        return statistics.median(r.ulps for r in self.judged) if self.judged else math.nan

    @property
    def worst(self) -> tuple[Any, ...] | None:
        """``("(a, b) d/da", value, reference, ulps)`` of the worst judged row."""
        if not self.judged:
            return None
        r = max(self.judged, key=lambda r: r.ulps)
        return (f"({r.a!r}, {r.b!r}) d/d{r.wrt}", r.value, r.reference, r.ulps)

    def __str__(self) -> str:
        lines = [f"{'a':>12}  {'b':>12}  {'':>4}  {'derivative':>24}  {'reference':>26}  "
                 f"{'ulps':>9}"]
        shown = sorted(self.judged, key=lambda r: -r.ulps)[:10]
        for r in shown:
            ref = "none" if r.reference is None else context_of(r.reference).nstr(
                r.reference, 20)
            lines.append(f"{r.a!r:>12}  {r.b!r:>12}  d/d{r.wrt}  {r.value!r:>24}  {ref:>26}  "
                         f"{r.ulps:9.3g}")
        excused: dict[str, int] = {}
        for r in self.rows:
            if r.excused:
                excused[r.note] = excused.get(r.note, 0) + 1
        note = "".join(f", {n} excused ({why})" for why, n in sorted(excused.items()))
        verdict = "ok" if self.passed else ("FAIL" if self.judged else "INCONCLUSIVE")
        lines.append(f"{self.name}: {len(self.judged)} partials checked, max "
                     f"{self.max_ulps:.3g} ulp, median {self.median_ulps:.3g} ulp, tolerance "
                     f"{self.tolerance:g}{note}: {verdict} [reference: central differences "
                     "of the primal in mpmath, step scaled to the function]")
        return "\n".join(lines)


def _primal_fine(primal: Any, a: float, b: float) -> str:
    """"" where the float primal has a finite value at (a, b), else why not."""
    try:
        y = primal(a, b)
    except (ValueError, ArithmeticError, VjpchainError) as exc:
        return f"outside the primal's domain ({type(exc).__name__})"
    if not math.isfinite(y):
        return "the primal overflows" if math.isinf(y) else "the primal is nan"
    return ""


def _partial_functions(primal: Any, a: float, b: float,
                       wrt: str) -> tuple[Callable[[Any], Any], Callable[[Any], Any], float]:
    """``(primal in mpmath along the input wrt, the same for grad, the point on it)``."""
    if wrt == "a":
        return (lambda t: primal(t, context_of(t).mpf(b))), (lambda t: primal(t, b)), a
    return (lambda t: primal(context_of(t).mpf(a), t)), (lambda t: primal(a, t)), b


def check_two_inputs(rule: Any, registry: Registry, dps: int = 50,
                     grid: tuple[float, ...] = GRID) -> TwoInputReport:
    """Each partial derivative of the two-input ``rule`` at every pair of ``grid``, as the
    library computes it (``grad`` of the primitive with the other input a constant),
    against the mpmath reference of its primal differentiated in that input.

    A point where the primal raises or overflows, or where the partial raises and mpmath
    finds no real derivative either (pow's d/db at a < 0), is excused, not judged; so is a
    point without a reference (a partial that does not exist, such as atan2's at the
    origin, where the convention gives 0).
    """
    primal = rule.primal
    report = TwoInputReport(rule.name, rule.ulps)
    for a in grid:
        for b in grid:
            outside = _primal_fine(primal, a, b)
            for wrt in ("a", "b"):
                if outside:
                    report.rows.append(PartialRow(a, b, wrt, math.nan, None, math.nan, True,
                                                  outside))
                    continue
                along, traced, x = _partial_functions(primal, a, b, wrt)
                reference, why = derivative_reference(along, x, dps)
                try:
                    value = float(grad(traced, x, rules=registry))
                except (ValueError, ArithmeticError, VjpchainError) as exc:
                    if reference is None:  # no real derivative here: outside the domain
                        report.rows.append(PartialRow(a, b, wrt, math.nan, None, math.nan,
                                                      True, "outside the partial's domain"))
                    else:
                        report.rows.append(PartialRow(a, b, wrt, math.nan, reference,
                                                      math.inf, False, f"raised {exc!r}"))
                    continue
                if reference is None:
                    report.rows.append(PartialRow(a, b, wrt, value, None, math.nan, True,
                                                  "no reference"))
                    continue
                report.rows.append(PartialRow(a, b, wrt, value, reference,
                                              ulp_error(value, reference)))
    return report
