"""High-precision references: mpmath derivatives and the error of a float64 result in ULPs."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import mpmath

from .domain import sweep_points
from .errors import ReferencePrecisionError, VjpchainError
from .generic import MPC
from .mpcontext import at_precision, context_of, in_context
from .registry import registry_of
from .step import advance

__all__ = [
    "ulp_error", "float_ulp", "REFERENCE_DERIVATIVES", "reference_derivative", "sweep_ulps",
    "rule_reference", "excused_near_zero", "check_rule", "diff_reference",
    "assert_rule_accurate", "check_chain",
    "RuleReport", "ChainReport", "CheckRow", "StepRow",
]

# Every evaluation here runs in a private context (mpcontext.at_precision): a check never
# changes the precision of mpmath's global context, which other threads may be using.
_WIDE = at_precision(256)
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
    def passed(self) -> bool:
        return not self.failures

    def table(self, limit: int = 10) -> str:
        """The worst ``limit`` points as a text table, with a summary line."""
        lines = [f"{'x':>24}  {'derivative':>24}  {'reference':>24}  {'ulps':>9}"]
        for r in sorted(self._counted(), key=lambda row: -row.ulps)[:limit]:
            ref = mpmath.nstr(r.reference, 17) if r.reference is not None else "-"
            note = f"  {r.note}" if r.note else ""
            lines.append(f"{r.x!r:>24}  {r.value!r:>24}  {ref:>24}  {r.ulps:9.3g}{note}")
        lines.append(self.summary())
        return "\n".join(lines)

    def summary(self) -> str:
        verdict = "ok" if self.passed else f"FAIL ({len(self.failures)} points)"
        reasons: dict[str, int] = {}
        for r in self.rows:
            if r.excused:
                why = ("next to zeros of the derivative" if not r.note else
                       "within the reference's resolution" if "resolution" in r.note else
                       "without a reference" if "reference" in r.note else
                       "outside the primal's domain or overflowing")
                reasons[why] = reasons.get(why, 0) + 1
        note = "".join(f", {n} excused {why}" for why, n in reasons.items())
        resolved = [r.resolution for r in self.rows if r.resolution > self.tolerance]
        if resolved:
            note += (f"; the reference resolves only about {statistics.median(resolved):.2g} "
                     "ulp at most points (pass reference= for a sharper check)")
        return (f"{self.name}: {len(self.rows)} points, max {self.max_ulps:.3g} ulp, median "
                f"{self.median_ulps:.3g} ulp, tolerance {self.tolerance:g}{note}: {verdict}"
                f" [reference: {self.reference_kind}]")

    def __str__(self) -> str:
        return self.table()


_MAX_REFERENCE_PREC = 1 << 15


def diff_reference(f: Callable[[Any], Any], x: float, dps: int = 50) -> Any:
    """``f'(x)`` by ``mpmath.diff`` of an mpmath-evaluated ``f``, correct to ``dps`` digits;
    None where the derivative is not real.

    mpmath's default step is absolute and its precision fixed: at tiny ``x`` the step
    reaches past a domain edge (sqrt near 0), at huge ``x`` it vanishes below the working
    precision (sin'(1e300) comes out 0), and where f' is tiny next to f (tanh at 30, softsign
    at 1e30) the difference cancels. So the step shrinks with ``|x| < 1``, the precision
    grows with ``|x|``, and it is raised until two evaluations agree to ``dps`` digits.
    """
    ctx = digits(dps)
    xm = ctx.mpf(x)
    if not mpmath.isfinite(xm):
        return None
    prec = ctx.prec
    mag = 0 if xm == 0 else int(ctx.mag(xm))
    h = ctx.ldexp(1, min(mag, 0) - prec - 10)
    work = prec + abs(mag) + 10
    previous = None
    while True:
        wide = at_precision(work)
        try:
            d = wide.diff(in_context(f, wide), wide.mpf(xm), h=h)
        except (ArithmeticError, ValueError, TypeError, VjpchainError):
            return None
        if isinstance(d, MPC):
            if d.imag != 0:
                return None
            d = d.real
        if mpmath.isnan(d):
            return None
        if (previous is not None and d != 0
                and abs(d - previous) <= abs(d) * ctx.ldexp(1, -prec - 4)):
            return ctx.mpf(d)
        if work >= _MAX_REFERENCE_PREC:
            return ctx.mpf(d) if d == 0 else None
        previous = d
        work = min(2 * work, _MAX_REFERENCE_PREC)


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


def _float_primal_reference(primal: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """An 8th-order central difference in mpmath on a primal that only runs on floats.

    The float primal's rounding (about 1e-16 relative) limits this reference to roughly
    1e-11 relative, so ULP figures below about 1e5 are within its noise.
    """

    def reference(x: Any) -> Any:
        return _float_difference(primal, float(x))[0]

    return reference


def _difference_at(primal: Callable[[Any], Any], xf: float, h: float) -> tuple[Any, Any]:
    """The 8th-order central difference of the float ``primal`` at ``xf`` with step ``h``,
    and the part of it that can be the rounding of the primal's values (half an ulp of the
    largest one, through the weights, over the step)."""
    ctx = _WIDE
    weights = (ctx.mpf(4) / 5, -ctx.mpf(1) / 5, ctx.mpf(4) / 105, -ctx.mpf(1) / 280)
    total = ctx.mpf(0)
    largest = ctx.mpf(0)
    for k, w in enumerate(weights, start=1):
        right = ctx.mpf(float(primal(xf + k * h)))
        left = ctx.mpf(float(primal(xf - k * h)))
        largest = max(largest, abs(right), abs(left))
        total += w * (right - left)
    noise = 2 * sum(abs(w) for w in weights) * largest * ctx.mpf(2) ** -53 / h
    return total / ctx.mpf(h), noise


def _float_difference(primal: Callable[[Any], Any], xf: float) -> tuple[Any, Any]:
    """``(estimate, error bound)`` of the derivative of a float primal at ``xf``.

    The step is scaled to the function, not only to x: it shrinks by 4 from 2**-10 max(|x|,
    1) past the step where successive estimates agree best (the truncation error falls as
    the rounding noise grows), skipping steps that reach past a domain edge; the bound is
    their difference plus that noise. Where no step resolves the
    derivative (sin at 1e300, whose period is below the spacing of floats there), the bound
    is inf: no reference at this point.
    """
    h = 2.0 ** -10 * max(abs(xf), 1.0)
    earlier: list[Any] = []
    best, best_error = _WIDE.mpf(0), _WIDE.inf
    worse = 0
    for _ in range(600):
        if xf + h == xf or h < 1e-300 or worse >= 4:
            break
        try:
            estimate, noise = _difference_at(primal, xf, h)
        except (ArithmeticError, ValueError):  # the step reaches past a domain edge
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
    if not best_error <= _WIDE.mpf("1e-6") * abs(best):
        return best, _WIDE.inf
    return best, best_error


FLOAT_PRIMAL_REFERENCE = (
    "8th-order central difference in mpmath on the float primal, with an error bound per "
    "point (errors within it are not resolved); pass reference= (the derivative in mpmath) "
    "or write the primal with vjpchain's functions for a sharper check")
# the floor of the float-primal reference's error bound, relative
_FLOAT_PRIMAL_RESOLUTION = 1e-11


def _reference_for(rule: Any, probe: float) -> tuple[Callable[[Any], Any], str]:
    if rule.reference is not None:
        return rule.reference, "closed form in mpmath"
    if rule.primal is None:
        raise ValueError(
            f"rule {rule.name!r} was registered in full (no primal); check it with "
            "check_rule(..., reference=...) giving its derivative in mpmath"
        )
    if _mp_capable(rule.primal, probe):
        primal = rule.primal

        def by_diff(x: Any) -> Any:
            ctx = context_of(x)
            d = diff_reference(primal, x, ctx.dps)
            return ctx.nan if d is None else d

        return by_diff, "mpmath.diff of the primal in mpmath"
    return (_float_primal_reference(rule.primal), FLOAT_PRIMAL_REFERENCE)


def check_rule(primitive: Any, points: Iterable[float] | None = None, *, rules: Any = None,
               dps: int = 50, ulps: float | None = None,
               reference: Callable[[Any], Any] | None = None, n: int = 200) -> RuleReport:
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

    Example:
        >>> report = check_rule("tanh")
        >>> report.passed, report.max_ulps <= 1
        (True, True)
    """
    from .transforms import grad

    registry = registry_of(rules)
    rule = registry.lookup(primitive)
    xs = list(points) if points is not None else sweep_points(rule.domain, n=n, seed=7)
    if reference is not None:
        exact, kind = reference, "given reference"
    else:
        exact, kind = _reference_for(rule, next((x for x in xs if 0.1 < abs(x) < 10), 0.5))
    tolerance = ulps if ulps is not None else rule.ulps
    resolution = _FLOAT_PRIMAL_RESOLUTION if kind is FLOAT_PRIMAL_REFERENCE else 0.0
    ctx = digits(dps)
    rows = []
    for x in xs:
        try:
            value = grad([primitive], x, rules=registry)
        except (ArithmeticError, ValueError) as exc:
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
        if isinstance(ref, MPC) or ref is None or mpmath.isnan(ref):
            rows.append(CheckRow(x, value, None, math.nan, True, "no real reference"))
            continue
        err = ulp_error(value, ref)
        bound = tolerance
        if resolution and mpmath.isfinite(ref):
            # the float-primal reference resolves the derivative only so far (twice its
            # estimated error, and never below 1e-11 relative)
            error = _float_difference(rule.primal, x)[1]  # type: ignore[arg-type]
            if not mpmath.isfinite(error):
                rows.append(CheckRow(x, value, None, math.nan, True,
                                     "no reference here: the float primal cannot resolve "
                                     "the derivative at this x"))
                continue
            bound = max(tolerance, float((2 * error + resolution * abs(ref))
                                         / float_ulp(ref)))
        if err <= tolerance:
            excused, note = False, ""
        elif err <= bound:
            excused, note = True, "within the reference's resolution"
        else:
            excused = excused_near_zero(exact, x, value=value)
            note = ""
        rows.append(CheckRow(x, value, ref, err, excused, note, bound if resolution else 0.0))
    return RuleReport(rule.name, rows, ulps if ulps is not None else rule.ulps, kind)


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
                     f"{mpmath.nstr(self.reference, 17)}, error {self.ulps:.3g} ulp")
        lines.append(self.diagnosis)
        return "\n".join(lines)


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
    prims = list(chain)
    ruleset = [registry.lookup(p) for p in prims]
    xs, ys, ds = [], [], []
    t = float(x)
    for p in prims:
        y, pullback = vjp([p], t, rules=registry)
        xs.append(t)
        ys.append(y)
        ds.append(pullback(1.0))
        t = y
    value, pullback = vjp(prims, float(x), rules=registry)
    derivative = pullback(1.0)
    refs = []
    ctx = digits(dps)
    exact_x = ctx.mpf(x)
    exact_d = []
    exact_dd_own = []
    for i, rule in enumerate(ruleset):
        exact_fn, _ = _reference_for(rule, xs[i] if xs[i] else 0.5)
        exact_d.append(evaluate(exact_fn, ctx, exact_x))
        exact_dd_own.append(evaluate(exact_fn, ctx, xs[i]))
        refs.append(exact_x)
        exact_x = advance(rule, exact_x)
        refs[-1] = exact_x
    total = ctx.fprod(exact_d) if exact_d else ctx.mpf(1)
    rows = []
    cot_float = 1.0
    cot_exact = ctx.mpf(1)
    cots: list[tuple[float, Any]] = []
    for i in reversed(range(len(ruleset))):
        cot_float = cot_float * ds[i]
        cot_exact = cot_exact * exact_d[i]
        cots.append((cot_float, cot_exact))
    cots.reverse()
    for i, rule in enumerate(ruleset):
        rows.append(StepRow(i, rule.name, xs[i], ys[i], ds[i], ulp_error(ys[i], refs[i]),
                            ulp_error(ds[i], exact_dd_own[i]), ulp_error(ds[i], exact_d[i]),
                            ulp_error(cots[i][0], cots[i][1])))
    err = ulp_error(derivative, total)
    culprit, diagnosis = _diagnose(rows, ruleset, err)
    return ChainReport(float(x), value, derivative, total, err, rows, culprit, diagnosis)


def _diagnose(rows: list[StepRow], ruleset: list[Any], err: float) -> tuple[int | None, str]:
    for r in rows:
        if math.isinf(r.derivative) or math.isinf(r.y):
            return r.index, f"step {r.index} ({r.name}) overflows at input {r.x!r}"
        if math.isnan(r.derivative) or math.isnan(r.y):
            return r.index, f"step {r.index} ({r.name}) gives nan (0 * inf or a domain edge)"
    bad_rules = [r for r, rule in zip(rows, ruleset, strict=True)
                 if r.rule_ulps > max(rule.ulps, 4)]
    if bad_rules:
        r = max(bad_rules, key=lambda row: row.rule_ulps)
        return r.index, (f"step {r.index} ({r.name}): the rule itself is off by "
                         f"{r.rule_ulps:.3g} ulp at its input {r.x!r}")
    if err <= 8 * max(len(rows), 1):
        return None, f"accurate: {err:.3g} ulp over {len(rows)} steps"
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
