"""Checks of rules and chains against high-precision references: :func:`check_rule`,
:func:`assert_rule_accurate` and :func:`check_chain`, with their reports. The references
themselves (and ``ulp_error``) are in :mod:`vjpchain.exact`, re-exported here."""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import mpmath

from . import generic as G
from .chain import as_chain
from .domain import sweep_points
from .errors import (
    ReferencePrecisionError,
    UnknownPrimitiveError,
    UnsupportedInputError,
    VjpchainError,
)
from .exact import (
    FLOAT_PRIMAL_REFERENCE,
    FLOAT_PRIMAL_RESOLUTION,
    REFERENCE_DERIVATIVES,
    diff_reference,
    digits,
    evaluate,
    excused_near_zero,
    float_ulp,
    reference_derivative,
    reference_for,
    rule_reference,
    sweep_ulps,
    ulp_error,
)
from .generic import MPC, MPF
from .registry import registry_of
from .step import advance

__all__ = [
    "check_rule", "assert_rule_accurate", "check_chain",
    "RuleReport", "ChainReport", "CheckRow", "StepRow",
    # the references (vjpchain.exact), re-exported
    "ulp_error", "float_ulp", "REFERENCE_DERIVATIVES", "reference_derivative", "sweep_ulps",
    "rule_reference", "excused_near_zero", "diff_reference",
]


# --- checks of rules and chains ---------------------------------------------------------------


@dataclass(frozen=True)
class CheckRow:
    """One point of a rule check: the float derivative, the reference, the error in ULPs."""

    x: float
    value: float
    reference: Any
    ulps: float
    excused: bool = False
    note: str = ""
    resolution: float = 0.0  # the error (ULPs) the reference itself can have here


@dataclass
class RuleReport:
    """The result of :func:`check_rule`: per-point errors and their summary.

    Attributes:
        name: the primitive's name.
        rows: one :class:`CheckRow` per point.
        tolerance: the ULP bound the rule promises (``Rule.ulps``) or the one asked for.
        reference_kind: how the reference was computed, and its limits.
    """

    name: str
    rows: list[CheckRow]
    tolerance: float
    reference_kind: str
    seed: int | None = None  # of the drawn part of the sweep: check_rule(..., seed=seed)

    def _counted(self) -> list[CheckRow]:
        return [r for r in self.rows if not r.excused]

    @property
    def max_ulps(self) -> float:
        return max((r.ulps for r in self._counted()), default=0.0)

    @property
    def median_ulps(self) -> float:
        counted = self._counted()
        return statistics.median(r.ulps for r in counted) if counted else 0.0

    @property
    def worst(self) -> tuple[float, float, Any, float] | None:
        counted = self._counted()
        if not counted:
            return None
        r = max(counted, key=lambda row: row.ulps)
        return r.x, r.value, r.reference, r.ulps

    @property
    def failures(self) -> list[CheckRow]:
        return [r for r in self._counted() if r.ulps > self.tolerance]

    @property
    def unresolved(self) -> list[CheckRow]:
        """Points the reference could not judge: none there, or too coarse there."""
        return [r for r in self.rows if r.excused and (
            r.note.startswith("no reference") or "resolution" in r.note)]

    @property
    def verdict(self) -> str:
        """``ok``, ``FAIL`` or ``INCONCLUSIVE`` (see :func:`check_rule`)."""
        if self.failures:
            return "FAIL"
        judged, unresolved = len(self._counted()), len(self.unresolved)
        if judged == 0 or unresolved > (judged + unresolved) / 10:
            return "INCONCLUSIVE"
        return "ok"

    @property
    def passed(self) -> bool:
        return self.verdict == "ok"

    def table(self, limit: int = 10) -> str:
        """The worst ``limit`` points as a text table, with a summary line."""
        lines = [f"{'x':>24}  {'derivative':>24}  {'reference':>24}  {'ulps':>9}"]
        for r in sorted(self._counted(), key=lambda row: -row.ulps)[:limit]:
            ref = _shown(r.reference) if r.reference is not None else "-"
            note = f"  {r.note}" if r.note else ""
            lines.append(f"{r.x!r:>24}  {r.value!r:>24}  {ref:>24}  {r.ulps:9.3g}{note}")
        lines.append(self.summary())
        return "\n".join(lines)

    def summary(self) -> str:
        verdict = self.verdict
        if verdict == "FAIL":
            verdict = f"FAIL ({len(self.failures)} points)"
        elif verdict == "INCONCLUSIVE":
            verdict = (f"INCONCLUSIVE ({len(self.unresolved)} of {len(self.rows)} points "
                       "beyond the reference; pass reference=, the derivative in mpmath)")
        reasons: dict[str, int] = {}
        for r in self.rows:
            if r.excused:
                why = ("next to zeros of the derivative" if r.note.startswith("next to") else
                       "within the reference's resolution" if "resolution" in r.note else
                       "without a reference" if "reference" in r.note else
                       "outside the primal's domain or overflowing")
                reasons[why] = reasons.get(why, 0) + 1
        note = "".join(f", {n} excused {why}" for why, n in reasons.items())
        resolved = [r.resolution for r in self.rows if r.resolution > self.tolerance]
        if resolved:
            note += (f"; the reference resolves only about {statistics.median(resolved):.2g} "
                     "ulp at most points (pass reference= for a sharper check)")
        near_zero = sum(1 for r in self.failures if r.note.startswith("next to"))
        if near_zero:
            note += (f"; {near_zero} of the failures are next to a zero of the derivative, "
                     "where a formula that cancels loses relative accuracy (excuse_zeros="
                     "True accepts that)")
        if self.seed is not None and verdict != "ok":
            note += f"; seed {self.seed}"
        return (f"{self.name}: {len(self.rows)} points, max {self.max_ulps:.3g} ulp, median "
                f"{self.median_ulps:.3g} ulp, tolerance {self.tolerance:g}{note}: {verdict}"
                f" [reference: {self.reference_kind}]")

    def __str__(self) -> str:
        return self.table()


def check_rule(primitive: Any, points: Iterable[float] | None = None, *, rules: Any = None,
               dps: int = 50, ulps: float | None = None,
               reference: Callable[[Any], Any] | None = None, n: int = 200,
               seed: int | None = None, excuse_zeros: bool = False) -> RuleReport:
    """Check a primitive's float64 derivative against an independent mpmath reference.

    The reference is the closed form for a built-in primitive, else ``mpmath.diff`` of the
    primal evaluated in mpmath at ``dps`` digits; for a primal that only runs on floats, a
    high-order finite difference in mpmath (see :attr:`RuleReport.reference_kind`). It never
    uses the rule's own derivative. The derivative checked is the one the library computes,
    ``grad([primitive], x)``.

    Args:
        primitive: any key of the rule (function, name, parametric primitive).
        points: float64 points; default: a sweep of the rule's declared domain, tails,
            edges and subnormals included.
        dps: digits for the reference.
        ulps: the tolerance (default: the rule's declared ``ulps``).
        reference: a derivative written in mpmath, to use instead of the default.
        n: the size of the sweep.
        seed: the default sweep is a fixed part (the same points every time) and a drawn
            part, from ``seed`` (default: a fresh one, shown in the report, so that a
            failure seen once can be reproduced with ``seed=``).
        excuse_zeros: next to a zero of the derivative a formula that cancels (``1 - y*y``,
            ``cos(pi x) - sinc(x)``) loses its relative accuracy; the built-ins do not, and
            by default such a point is judged like any other (its row says it is next to a
            zero). ``True`` excuses it, for a rule meant to be accurate only in absolute terms
            there.

    The verdict is ``ok``, ``FAIL``, or ``INCONCLUSIVE`` when the reference could not judge
    the rule: no point could be checked, or more than a tenth of them were beyond the
    reference's resolution (a float-only primal in the tails; pass ``reference=``).

    Example:
        >>> report = check_rule("tanh")
        >>> report.passed, report.max_ulps <= 1
        (True, True)
    """
    from .transforms import grad

    registry = registry_of(rules)
    rule = _one_input_rule(registry, primitive)
    _check_arguments(ulps, dps, n)
    drawn = random.randrange(2**32) if seed is None else seed
    if points is not None:
        xs = [_point(x) for x in points]
    else:
        fixed = sweep_points(rule.domain, n=n, seed=7)
        known = {(x, math.copysign(1.0, x)) for x in fixed}
        xs = fixed + [x for x in sweep_points(rule.domain, n=max(n // 4, 8), seed=drawn)
                      if (x, math.copysign(1.0, x)) not in known]
    if reference is not None:
        exact, kind = reference, "given reference"
    else:
        exact, kind = reference_for(rule, next((x for x in xs if 0.1 < abs(x) < 10), 0.5))
    tolerance = ulps if ulps is not None else rule.ulps
    resolution = FLOAT_PRIMAL_RESOLUTION if kind is FLOAT_PRIMAL_REFERENCE else 0.0
    # the reference's own error bound at a point, where it has one (a difference quotient)
    bound_of = getattr(exact, "bound", None)
    ctx = digits(dps)
    rows = []
    for x in xs:
        try:
            value = grad([primitive], x, rules=registry)
        except (ArithmeticError, ValueError, VjpchainError) as exc:
            outside = _outside_primal(rule, x)
            if outside:  # not a point of the rule: reported, never counted as its failure
                rows.append(CheckRow(x, math.nan, None, math.nan, True, outside))
            else:  # an exception where the primal is fine is a failure of the rule
                rows.append(CheckRow(x, math.nan, None, math.inf, False, f"raised {exc!r}"))
            continue
        try:
            ref = evaluate(exact, ctx, x)
        except ReferencePrecisionError:
            raise
        except (ArithmeticError, ValueError) as exc:
            # the reference's own evaluation (a difference reaching past a domain edge)
            rows.append(CheckRow(x, value, None, math.nan, True,
                                 f"no reference here ({exc})"))
            continue
        if not isinstance(ref, (int, float, MPF, MPC)) or isinstance(ref, bool):
            raise TypeError(
                f"the reference returned {ref!r} (a {type(ref).__name__}) at {x!r}: it must "
                "return the derivative as an mpmath number")
        if isinstance(ref, MPC) or mpmath.isnan(ref):
            rows.append(CheckRow(x, value, None, math.nan, True, "no real reference"))
            continue
        err = ulp_error(value, ref)
        bound = tolerance
        if bound_of is not None and mpmath.isfinite(ref) and (resolution or err > tolerance):
            # a difference-quotient reference resolves the derivative only so far (twice
            # its estimated error; a float-only primal's never below 1e-11 relative)
            error = bound_of(x)
            if not mpmath.isfinite(error):
                rows.append(CheckRow(x, value, None, math.nan, True,
                                     "no reference here: the float primal cannot resolve "
                                     "the derivative at this x"))
                continue
            bound = max(tolerance, float((2 * error + resolution * abs(ref))
                                         / float_ulp(ref)))
            if not resolution and float(error) <= float_ulp(ref) * tolerance:
                bound = tolerance  # the reference is sharper than the tolerance here
        if err <= tolerance:
            excused, note = False, ""
        elif err <= bound:
            excused, note = True, "within the reference's resolution"
        elif excused_near_zero(exact, x, value=value):
            excused, note = excuse_zeros, "next to a zero of the derivative"
        else:
            excused, note = False, ""
        rows.append(CheckRow(x, value, ref, err, excused, note, bound if resolution else 0.0))
    return RuleReport(rule.name, rows, ulps if ulps is not None else rule.ulps, kind,
                      None if points is not None else drawn)


def _point(x: Any) -> float:
    """A check point: a real number, as a float (a str or complex point is refused)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)) and G.number_kind(
            type(x)) not in (G.REAL, G.NUMPY):
        raise TypeError(f"check points must be real numbers (got {x!r}, a "
                        f"{type(x).__name__})")
    if getattr(x, "ndim", 0) != 0:
        raise TypeError(f"a check point is one real number (got an array of shape "
                        f"{x.shape}); check the points one at a time")
    return float(x)


def _one_input_rule(registry: Any, primitive: Any) -> Any:
    """The rule check_rule checks; a two-input rule or a family is a clear error."""
    from .rule import Parametric

    if isinstance(primitive, str):
        family = next((f for f in registry.rules() if f.name == primitive and any(
            isinstance(k, type) and issubclass(k, Parametric) for k in f.keys)), None)
        if family is not None:
            raise UnknownPrimitiveError(
                f"{primitive!r} is a family of primitives: check an instance with its "
                f"parameters, e.g. check_rule(vjpchain.{primitive}(3))")
    rule = registry.lookup(primitive)
    if rule.arity != 1:
        raise UnsupportedInputError(
            f"check_rule checks one-input primitives; {rule.name} takes two inputs. Check "
            f"its partial derivatives with the command line, vjpchain check {rule.name}, "
            "or check_rule on one-input functions of it")
    return rule


def _check_arguments(ulps: Any, dps: Any, n: Any) -> None:
    if ulps is not None and not (isinstance(ulps, (int, float)) and not isinstance(
            ulps, bool) and 0 <= ulps < math.inf):
        raise ValueError(f"ulps must be a number >= 0 (got {ulps!r}): the tolerance in ULPs")
    if isinstance(dps, bool) or not isinstance(dps, int) or dps < 20:
        raise ValueError(f"dps must be a whole number of digits >= 20 (got {dps!r}): the "
                         "reference must be far more precise than float64")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a whole number >= 1 (got {n!r}): the sweep's size")


def _outside_primal(rule: Any, x: float) -> str:
    """Why ``x`` is not a point of the rule's primal in float64 ("" when it is): it raises
    there (outside its domain) or overflows."""
    if rule.primal is None:
        return ""
    try:
        y = rule.primal(x)
    except OverflowError:
        return "the primal overflows here"
    except (ArithmeticError, ValueError) as exc:
        return f"outside the primal's domain ({exc})"
    try:
        finite = math.isfinite(complex(y).real) and math.isfinite(complex(y).imag)
    except (TypeError, ValueError):
        return ""
    return "" if finite else "the primal overflows here"


def assert_rule_accurate(primitive: Any, ulps: float | None = None, **options: Any) -> RuleReport:
    """Fail with a readable table when ``check_rule`` finds points beyond ``ulps``.

    For users' own test suites: ``assert_rule_accurate(softsign, ulps=2, rules=mine)``.

    Raises:
        AssertionError: with the worst points and the summary.
    """
    report = check_rule(primitive, ulps=ulps, **options)
    if report.verdict == "INCONCLUSIVE":
        raise AssertionError(f"derivative of {report.name} could not be checked: the reference "
                             f"cannot judge it at too many points\n{report.table()}")
    if not report.passed:
        raise AssertionError(f"derivative of {report.name} is not accurate:\n{report.table()}")
    return report


@dataclass(frozen=True)
class StepRow:
    """One step of :func:`check_chain`.

    ``primal_ulps``: the float output of this step against the exact output of the exact
    chain so far. ``rule_ulps``: the step's float derivative against the exact derivative at
    the same float input (the rule's own error). ``local_ulps``: against the exact derivative
    at the exact input (including the error carried in from earlier steps).
    ``cotangent_ulps``: the reverse-accumulated cotangent at this step's input against exact.
    """

    index: int
    name: str
    x: float
    y: float
    derivative: float
    primal_ulps: float
    rule_ulps: float
    local_ulps: float
    cotangent_ulps: float
    reference_ulps: float = 0.0  # how finely the rule's reference resolves at its input


@dataclass
class ChainReport:
    """The result of :func:`check_chain`: the end-to-end error and where it arose."""

    x: float
    value: float
    derivative: float
    reference: Any
    ulps: float
    steps: list[StepRow]
    culprit: int | None
    diagnosis: str

    def __str__(self) -> str:
        lines = [f"{'#':>3} {'step':>10} {'input':>24} {'primal ulp':>11} {'rule ulp':>9}"
                 f" {'local ulp':>10} {'cotangent ulp':>14}"]
        for s in self.steps:
            lines.append(f"{s.index:>3} {s.name:>10} {s.x!r:>24} {s.primal_ulps:11.3g} "
                         f"{s.rule_ulps:9.3g} {s.local_ulps:10.3g} {s.cotangent_ulps:14.3g}")
        lines.append(f"derivative {self.derivative!r}, reference "
                     f"{_shown(self.reference)}, error {self.ulps:.3g} ulp")
        lines.append(self.diagnosis)
        return "\n".join(lines)


def _shown(value: Any) -> str:
    """An exact value in 17 digits, quickly even far beyond float64's range (mpmath's own
    formatting of a number near 2**(2**2000) takes minutes)."""
    if value is None:
        return "unavailable"
    if isinstance(value, MPF) and mpmath.isfinite(value) and value != 0 and abs(
            int(mpmath.mag(value))) > 4000:
        mantissa, exponent = mpmath.frexp(value)
        return f"{float(mantissa)!r}*2**{int(exponent)}"
    return str(mpmath.nstr(value, 17))


def check_chain(chain: Iterable[Any], x: float, *, rules: Any = None,
                dps: int = 50) -> ChainReport:
    """Check a chain's float64 derivative at ``x`` and attribute the error to its steps.

    The chain runs in float64 (as vjp does) and again exactly in mpmath; each step's primal,
    local derivative and accumulated cotangent are compared, and the report names the step
    where accuracy is lost: a rule that is inaccurate at its own input, an ill-conditioned
    step that amplifies earlier rounding (cancellation), an overflow, or 0 * inf.
    """
    from .transforms import vjp

    registry = registry_of(rules)
    prims = list(as_chain(chain))
    x = _point(x)
    ruleset = [registry.lookup(p) for p in prims]
    xs, ys, ds = [], [], []
    t = x
    for p in prims:
        y, pullback = vjp([p], t, rules=registry)
        xs.append(t)
        ys.append(y)
        ds.append(pullback(1.0))
        t = y
    value, pullback = vjp(prims, x, rules=registry)
    derivative = pullback(1.0)
    ctx = digits(dps)
    exact_x = ctx.mpf(x)
    refs: list[Any] = []  # the exact output of each step (None: beyond the reference)
    exact_d: list[Any] = []  # the exact derivative at the exact input
    exact_dd_own: list[Any] = []  # ... at the float input
    own_bounds: list[float] = []  # ... and the ulps its reference resolves there
    beyond = ""
    for i, rule in enumerate(ruleset):
        if not beyond and exact_x is not None and ctx.isfinite(exact_x) and (
                exact_x != 0 and ctx.mag(exact_x) > _EXACT_MAG):
            # exact values past 2**2048 cannot feed another step in bounded time (exp of
            # exp(22026) has a 9,566-digit exponent): no reference from here on
            beyond = (f"reference unavailable from step {i} on: its exact input is about "
                      f"2**{int(ctx.mag(exact_x))}, far beyond float64")
        exact_fn, _ = reference_for(rule, xs[i] if xs[i] else 0.5)
        exact_dd_own.append(_or_none(lambda: evaluate(exact_fn, ctx, xs[i])))  # noqa: B023
        bound_of = getattr(exact_fn, "bound", None)
        own = exact_dd_own[-1]
        own_bounds.append(float(bound_of(xs[i]) / float_ulp(own))
                          if bound_of is not None and own is not None and ctx.isfinite(own)
                          and own != 0 else 0.0)
        if beyond or exact_x is None:
            exact_d.append(None)
            refs.append(None)
            exact_x = None
            continue
        exact_d.append(_or_none(lambda: evaluate(exact_fn, ctx, exact_x)))  # noqa: B023
        exact_x = _or_none(lambda: advance(rule, exact_x))  # noqa: B023
        refs.append(exact_x)
    known = [d for d in exact_d if d is not None]
    total = ctx.fprod(known) if len(known) == len(exact_d) else None
    rows = []
    cot_float = 1.0
    cot_exact: Any = ctx.mpf(1)
    cots: list[tuple[float, Any]] = []
    for i in reversed(range(len(ruleset))):
        cot_float = cot_float * ds[i]
        cot_exact = None if cot_exact is None or exact_d[i] is None else cot_exact * exact_d[i]
        cots.append((cot_float, cot_exact))
    cots.reverse()
    for i, rule in enumerate(ruleset):
        rows.append(StepRow(i, rule.name, xs[i], ys[i], ds[i], _ulps(ys[i], refs[i]),
                            _ulps(ds[i], exact_dd_own[i]), _ulps(ds[i], exact_d[i]),
                            _ulps(cots[i][0], cots[i][1]), own_bounds[i]))
    err = _ulps(derivative, total)
    culprit, diagnosis = _diagnose(rows, ruleset, err)
    if total is None and culprit is None:
        diagnosis = beyond or "reference unavailable: an exact step has no real value"
    return ChainReport(x, value, derivative, total, err, rows, culprit, diagnosis)


_EXACT_MAG = 2048  # the largest exact magnitude (in bits) a further step is evaluated at


def _or_none(compute: Callable[[], Any]) -> Any:
    """The exact value, or None where it has none (a pole, a complex or nan result)."""
    try:
        out = compute()
    except (ArithmeticError, ValueError, VjpchainError):
        return None
    if isinstance(out, MPC) or (isinstance(out, MPF) and mpmath.isnan(out)):
        return None
    return out


def _ulps(computed: float, exact: Any) -> float:
    return math.nan if exact is None else ulp_error(computed, exact)


def _diagnose(rows: list[StepRow], ruleset: list[Any], err: float) -> tuple[int | None, str]:
    for r in rows:
        if math.isinf(r.derivative) or math.isinf(r.y):
            return r.index, f"step {r.index} ({r.name}) overflows at input {r.x!r}"
        if math.isnan(r.derivative) or math.isnan(r.y):
            return r.index, f"step {r.index} ({r.name}) gives nan (0 * inf or a domain edge)"
    bad_rules = [r for r, rule in zip(rows, ruleset, strict=True)
                 if r.rule_ulps > max(rule.ulps, 4, 2 * r.reference_ulps)]
    if bad_rules:
        r = max(bad_rules, key=lambda row: row.rule_ulps)
        return r.index, (f"step {r.index} ({r.name}): the rule itself is off by "
                         f"{r.rule_ulps:.3g} ulp at its input {r.x!r}")
    if err <= 8 * max(len(rows), 1):
        return None, f"accurate: {err:.3g} ulp over {len(rows)} steps"
    resolution = 2 * sum(r.reference_ulps for r in rows)
    if err <= resolution:
        return None, (f"{err:.3g} ulp over {len(rows)} steps, within what the references "
                      f"resolve (about {resolution:.3g} ulp: pass rules whose references are "
                      "closed forms for a sharper check)")
    # where did the primal lose its digits? (a subtraction of nearly equal values, usually)
    growth = []
    for j, row in enumerate(rows):
        before = rows[j - 1].primal_ulps if j else 0.0
        growth.append((row.primal_ulps / max(before, 0.5), row))
    ratio, lossy = max(growth, key=lambda g: g[0])
    sensitive = max(rows, key=lambda row: row.local_ulps - row.rule_ulps)
    if ratio > 1e3:
        return lossy.index, (f"step {lossy.index} ({lossy.name}) cancels: its output carries "
                             f"{lossy.primal_ulps:.3g} ulp of earlier rounding; step "
                             f"{sensitive.index} ({sensitive.name})'s derivative turns that "
                             f"into {sensitive.local_ulps:.3g} ulp")
    if sensitive.local_ulps - sensitive.rule_ulps > 1:
        return sensitive.index, (
            f"step {sensitive.index} ({sensitive.name}): the derivative is ill-conditioned "
            f"at its input {sensitive.x!r}; rounding from earlier steps grows to "
            f"{sensitive.local_ulps:.3g} ulp here")
    return None, f"{err:.3g} ulp accumulated over {len(rows)} steps, no single culprit"
