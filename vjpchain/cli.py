"""The ``vjpchain`` command line: ``grad``, ``rules``, ``check`` and ``plot``.

``vjpchain`` alone runs ``vjpchain grad 'exp(sin(sin(x)))' 2.0``. ``grad`` also takes
functions of several variables, with the point written ``NAME=VALUE``:
``vjpchain grad 'log(x1*x2*(x1+x2))/(x1-x2)**2' x1=2 x2=10``. References come from mpmath and
never from the rules under test: the expression is evaluated in mpmath at high precision and
differentiated numerically (one variable at a time) with ``mpmath.diff``.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import mpmath

from . import __version__, rules_table
from .errors import PrimitiveDomainError, VjpchainError
from .expr import ExprError, ParsedFunction, parse_constant, parse_expression, parse_function
from .finite import as_function
from .reference import diff_reference, ulp_error
from .registry import Registry, default_registry
from .transforms import val_and_grad

__all__ = ["main", "build_parser", "grad_rows", "grad_point", "GradRow", "GradPoint", "Partial",
           "UsageError", "DEFAULT_EXPR", "DEFAULT_POINT", "REFERENCE_DPS"]

DEFAULT_EXPR = "exp(sin(sin(x)))"
DEFAULT_POINT = 2.0
REFERENCE_DPS = 50
"""Digits of the mpmath reference for float64 results (``--dps N`` uses at least N + 10)."""

_TABLE_REF_DIGITS = 20
_JSON_REF_DIGITS = 30
_PLOT_HINT = "pip install 'vjpchain[plot]'"

_now = time.monotonic  # the clock of the progress display; tests replace it


# --- shared pieces -------------------------------------------------------------------------


class UsageError(VjpchainError, ValueError):
    """The points given do not fit the expression (a variable without a value, or a value
    for a name the expression does not use); the command exits with status 2."""


def _point(text: str) -> float:
    """A point given on the command line: a float, or a constant expression such as pi/4."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return parse_constant(text)
    except ExprError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}\n{exc}") from None


_ASSIGNMENT = re.compile(r"\s*([A-Za-z_][A-Za-z_0-9]*)\s*=(.*)", re.DOTALL)


def _point_arg(text: str) -> float | tuple[str, float]:
    """A point of ``grad``: a number, or ``NAME=VALUE`` for a variable of a function."""
    m = _ASSIGNMENT.fullmatch(text)
    if m is None:
        return _point(text)
    name, value = m.groups()
    try:
        return name, _point(value)
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"the value of {name}: {exc}") from None


def _range(text: str) -> tuple[float, float]:
    lo_text, sep, hi_text = text.partition(":")
    if not sep or ":" in hi_text:
        raise argparse.ArgumentTypeError(f"expected A:B such as -3:3 or 0:pi (got {text!r})")
    lo, hi = _point(lo_text), _point(hi_text)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise argparse.ArgumentTypeError(f"expected finite A < B (got {lo!r}:{hi!r})")
    return lo, hi


def _positive_int(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer (got {text!r})") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected at least {minimum} (got {value})")
        return value

    return parse


def _json_float(value: float) -> float | str:
    """A float for JSON: non-finite values as the strings "inf", "-inf", "nan"."""
    value = float(value)
    return value if math.isfinite(value) else repr(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)).rstrip(),
              file=out)


# --- grad ----------------------------------------------------------------------------------


@dataclass
class GradRow:
    """One point of ``vjpchain grad``: the error is in ULPs (float64) or relative (--dps)."""

    x: float
    value: Any
    derivative: Any
    reference: Any
    error: float


def _one_variable(text: str, registry: Registry,
                  plot: bool = False) -> tuple[str, Any, Callable[[Any], Any]]:
    """``(variable, what val_and_grad differentiates, primal for mpmath)`` of an expression
    of one variable: a chain, or a function that uses its variable more than once."""
    parsed = parse_expression(text, rules=registry)
    if isinstance(parsed, ParsedFunction):
        if len(parsed.names) != 1:
            advice = ("plot draws functions of one variable: give the others values in the "
                      "expression" if plot else "give its point as "
                      f"{' '.join(n + '=VALUE' for n in parsed.names)}")
            raise UsageError(f"{text!r} is a function of {len(parsed.names)} variables "
                             f"({', '.join(parsed.names)}): {advice}")
        return parsed.names[0], parsed.fn, parsed.fn
    return "x", parsed, as_function(parsed, rules=registry)


def _error(derivative: Any, reference: Any, dps: int | None, ref_dps: int) -> float:
    """ULPs of a float64 derivative, or the relative error of an mpmath one (nan: no
    reference)."""
    if reference is None:
        return math.nan
    if dps is None:
        return ulp_error(derivative, reference)
    with mpmath.workdps(ref_dps):
        diff = abs(derivative - reference)
        return float(diff / abs(reference) if reference != 0 else diff)


def _not_real(text: str, where: str, value: Any) -> PrimitiveDomainError:
    return PrimitiveDomainError(
        f"{text} is not real at {where} (got {value!r}): the point lies outside the real "
        "domain of a step (vjpchain.rules_table() lists the domains)")


def _ref_dps(dps: int | None) -> int:
    return REFERENCE_DPS if dps is None else max(REFERENCE_DPS, dps + 10)


def _grad_rows(text: str, points: Sequence[float], dps: int | None,
               registry: Registry) -> tuple[str, list[GradRow]]:
    name, target, f = _one_variable(text, registry)
    ref_dps = _ref_dps(dps)
    rows = []
    for x in points:
        if dps is None:
            value, derivative = val_and_grad(target, x, rules=registry)
        else:
            with mpmath.workdps(dps):
                value, derivative = val_and_grad(target, mpmath.mpf(x), rules=registry)
            if isinstance(value, mpmath.mpc) or isinstance(derivative, mpmath.mpc):
                raise _not_real(text, f"{name} = {x!r}", value)
        reference = diff_reference(f, x, ref_dps)
        rows.append(GradRow(x, value, derivative, reference,
                            _error(derivative, reference, dps, ref_dps)))
    return name, rows


def grad_rows(text: str, points: Sequence[float], dps: int | None = None, *,
              rules: Registry | None = None) -> list[GradRow]:
    """Value, derivative, mpmath reference and error of ``text`` at each point.

    Args:
        text: an expression of one variable: a chain for
            :func:`vjpchain.expr.parse_chain`, or a formula that uses its variable more
            than once (``'x*sin(x)'``, read by :func:`vjpchain.expr.parse_function`).
        points: the inputs.
        dps: None to differentiate in float64 (error in ULPs), else the mpmath digits to
            differentiate at (error relative to the reference).

    Raises:
        ExprError: ``text`` is not an expression.
        UsageError: ``text`` has several variables (see :func:`grad_point`).
        VjpchainError: the expression fails at a point (e.g. PrimitiveDomainError).
    """
    return _grad_rows(text, points, dps, rules or default_registry)[1]


@dataclass
class Partial:
    """One partial derivative of ``vjpchain grad`` at a point of several variables."""

    variable: str
    x: float
    derivative: Any
    reference: Any
    error: float


@dataclass
class GradPoint:
    """The value of a function at a point and its partial derivatives, in the order of the
    function's variables."""

    point: dict[str, float]
    value: Any
    partials: list[Partial]


def _along(fn: Callable[..., Any], xs: Sequence[float], i: int) -> Callable[[Any], Any]:
    """``fn`` as a function of its ``i``-th input, the others fixed at ``xs``, in mpmath."""

    def f(t: Any) -> Any:
        return fn(*[t if j == i else mpmath.mpf(x) for j, x in enumerate(xs)])

    return f


def grad_point(text: str, point: Mapping[str, float], dps: int | None = None, *,
               rules: Registry | None = None) -> GradPoint:
    """The value and every partial derivative of the function ``text`` at ``point``, each
    partial with its mpmath reference and error.

    The reference does not use the rules: the formula is evaluated in mpmath (vjpchain's
    generic functions run mpmath's own on mpmath numbers) and differentiated along one
    variable at a time with ``mpmath.diff``, the other variables fixed.

    Args:
        text: a formula for :func:`vjpchain.expr.parse_function`.
        point: one value per variable of the formula, by name.
        dps: as for :func:`grad_rows`.

    Raises:
        ExprError: ``text`` is not a formula.
        UsageError: a variable has no value, a name is not a variable of the formula, or
            the formula has no variable.
        VjpchainError: the function fails at the point (e.g. PrimitiveDomainError).
    """
    registry = rules or default_registry
    parsed = parse_function(text, rules=registry)
    names = parsed.names
    if not names:
        raise UsageError(f"{text!r} uses no variable: give a function such as 'x*sin(x)' or "
                         "'x1*x2'")
    missing = [n for n in names if n not in point]
    extra = [n for n in point if n not in names]
    if missing or extra:
        problems = []
        if missing:
            problems.append(f"no value for {', '.join(missing)}")
        if extra:
            problems.append(f"{', '.join(extra)} {'is' if len(extra) == 1 else 'are'} not "
                            f"{'a variable' if len(extra) == 1 else 'variables'} of it")
        raise UsageError(f"{text!r} has the variables {', '.join(names)}: "
                         f"{'; '.join(problems)}. Give one value each: "
                         f"{' '.join(n + '=VALUE' for n in names)}")
    xs = [float(point[n]) for n in names]
    if dps is None:
        value, grads = val_and_grad(parsed.fn, *xs, rules=registry)
    else:
        with mpmath.workdps(dps):
            value, grads = val_and_grad(parsed.fn, *[mpmath.mpf(x) for x in xs],
                                        rules=registry)
    grads = grads if len(xs) > 1 else (grads,)
    if dps is not None and any(isinstance(v, mpmath.mpc) for v in (value, *grads)):
        where = ", ".join(f"{n} = {x!r}" for n, x in zip(names, xs, strict=True))
        raise _not_real(text, where, value)
    ref_dps = _ref_dps(dps)
    partials = []
    for i, (name, x, derivative) in enumerate(zip(names, xs, grads, strict=True)):
        reference = diff_reference(_along(parsed.fn, xs, i), x, ref_dps)
        partials.append(Partial(name, x, derivative, reference,
                                _error(derivative, reference, dps, ref_dps)))
    return GradPoint(dict(zip(names, xs, strict=True)), value, partials)


def _numbers(dps: int | None, json_out: bool) -> tuple[
        Callable[[Any], Any], Callable[[Any], Any], Callable[[float], Any]]:
    """How a value or derivative, a reference and an error are shown (table or JSON)."""
    if dps is None:
        ref_digits = _JSON_REF_DIGITS if json_out else _TABLE_REF_DIGITS
        num: Callable[[Any], Any] = _json_float if json_out else repr
        err: Callable[[float], Any] = _json_float if json_out else (lambda e: f"{e:.2f}")
    else:
        ref_digits = dps + 5

        def num(v: Any) -> Any:
            return mpmath.nstr(v, dps)

        err = _json_float if json_out else (lambda e: f"{e:.2e}")

    def ref(r: Any) -> Any:
        return (None if json_out else "n/a") if r is None else mpmath.nstr(r, ref_digits)

    return num, ref, err


def _error_fields(reference: Any, error: float, dps: int | None,
                  err: Callable[[float], Any]) -> dict[str, Any]:
    if dps is None:
        return {"ulps": None if reference is None else err(error)}
    return {"ulps": None, "rel_error": None if reference is None else err(error)}


def _named_point(text: str, named: Sequence[tuple[str, float]]) -> dict[str, float]:
    point: dict[str, float] = {}
    twice = []
    for name, value in named:
        if name in point and name not in twice:
            twice.append(name)
        point[name] = value
    if twice:
        raise UsageError(f"{', '.join(twice)} {'is' if len(twice) == 1 else 'are'} given more "
                         f"than once; give each variable of {text!r} one value")
    return point


def _cmd_grad(args: argparse.Namespace) -> int:
    text = DEFAULT_EXPR if args.expr is None else args.expr
    points = args.x or [DEFAULT_POINT]
    named = [p for p in points if isinstance(p, tuple)]
    if named and len(named) != len(points):
        raise UsageError("give the point either as numbers (a function of one variable, one "
                         "row per number) or as NAME=VALUE for every variable, not both")
    if named:
        return _grad_named(text, _named_point(text, named), args)
    name, rows = _grad_rows(text, points, args.dps, default_registry)
    out = sys.stdout
    num, ref, err = _numbers(args.dps, args.json)
    if args.json:
        records = [{"x": _json_float(r.x), "value": num(r.value),
                    "derivative": num(r.derivative), "reference": ref(r.reference),
                    **_error_fields(r.reference, r.error, args.dps, err)} for r in rows]
        print(json.dumps(records, indent=2), file=out)
        return 0
    header = [name, f"f({name})", f"f'({name})", "mpmath reference",
              "ulps" if args.dps is None else "rel. error"]
    cells = [[repr(r.x), num(r.value), num(r.derivative), ref(r.reference),
              "n/a" if r.reference is None else err(r.error)] for r in rows]
    _table(header, cells, out)
    return 0


def _grad_named(text: str, point: dict[str, float], args: argparse.Namespace) -> int:
    result = grad_point(text, point, args.dps)
    out = sys.stdout
    num, ref, err = _numbers(args.dps, args.json)
    if args.json:
        record = {
            "point": {n: _json_float(x) for n, x in result.point.items()},
            "value": num(result.value),
            "partials": [{"variable": p.variable, "derivative": num(p.derivative),
                          "reference": ref(p.reference),
                          **_error_fields(p.reference, p.error, args.dps, err)}
                         for p in result.partials],
        }
        print(json.dumps(record, indent=2), file=out)
        return 0
    at = ", ".join(f"{n}={x!r}" for n, x in result.point.items())
    print(f"f({at}) = {num(result.value)}", file=out)
    header = ["variable", "value", "df/dvar", "mpmath reference",
              "ulps" if args.dps is None else "rel. error"]
    cells = [[p.variable, repr(p.x), num(p.derivative), ref(p.reference),
              "n/a" if p.reference is None else err(p.error)] for p in result.partials]
    _table(header, cells, out)
    return 0


# --- rules ---------------------------------------------------------------------------------


def _cmd_rules(args: argparse.Namespace) -> int:
    _table(["primitive", "derivative", "domain"], [list(row) for row in rules_table()],
           sys.stdout)
    return 0


# --- check ---------------------------------------------------------------------------------


_PROGRESS_DELAY = 1.0  # seconds before progress appears; tests shorten it


class _Progress:
    """Progress on stderr once the command has run longer than a second.

    A daemon thread writes it, so that a single slow primitive shows progress too: on a
    terminal one line rewritten in place, elsewhere one line per primitive.
    """

    def __init__(self, stream: TextIO, delay: float | None = None) -> None:
        self.stream = stream
        self.delay = _PROGRESS_DELAY if delay is None else delay
        self.start = _now()
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.text = ""
        self.written = ""
        self.shown = False
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="vjpchain-progress", daemon=True)

    def __enter__(self) -> _Progress:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.thread.join()
        self.clear()

    def update(self, text: str) -> None:
        with self.lock:
            self.text = text
        self.tick()

    def _run(self) -> None:
        while not self.stopped.wait(min(0.25, max(self.delay / 4, 0.01))):
            self.tick()

    def tick(self) -> None:
        """Write the current text if the delay has passed and there is something new."""
        with self.lock:
            elapsed = _now() - self.start
            if elapsed <= self.delay or not self.text or self.stopped.is_set():
                return
            if self.tty:
                self.stream.write(f"\r\x1b[K{self.text} ({elapsed:.0f} s)")
            elif self.text != self.written:
                self.stream.write(f"{self.text} ({elapsed:.0f} s)\n")
            else:
                return
            self.stream.flush()
            self.written = self.text
            self.shown = True

    def clear(self) -> None:
        """Erase the progress line on a terminal."""
        with self.lock:
            self._clear()

    def _clear(self) -> None:
        if self.shown and self.tty:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
        self.shown = False

    def emit(self, line: str) -> None:
        """Print a result line on stdout, with no progress line in the way."""
        with self.lock:
            self._clear()
            print(line, flush=True)


def _cmd_check(args: argparse.Namespace) -> int:
    from . import reference

    # looked up at run time: check_rule is public API that reference.py provides
    check_rule = getattr(reference, "check_rule", None)
    if check_rule is None:
        print("vjpchain check: this version of vjpchain has no vjpchain.reference.check_rule",
              file=sys.stderr)
        return 1
    registry = default_registry
    if args.primitives:
        names = []
        for name in args.primitives:
            try:
                names.append(registry.lookup(name).name)
            except LookupError as exc:
                print(f"vjpchain check: {exc}", file=sys.stderr)
                return 2
    else:
        names = [r.name for r in registry.rules() if r.primal is not None and r.arity == 1]
    width = max(len("primitive"), *(len(n) for n in names))
    header = (f"{'primitive':<{width}}  {'points':>6}  {'max ulps':>9}  {'median':>7}  "
              f"{'worst x':>24}  {'tolerance':>9}  result")
    print(header)
    failed = 0
    with _Progress(sys.stderr) as progress:
        for i, name in enumerate(names):
            progress.update(f"vjpchain check: {name} ({i + 1}/{len(names)})")
            try:
                report = check_rule(name, dps=args.dps)
            except Exception as exc:  # a crash in one rule must not hide the other results
                failed += 1
                progress.emit(f"{name:<{width}}  ERROR: {type(exc).__name__}: {exc}")
                continue
            worst_x = report.worst[0] if report.worst else math.nan
            ok = bool(report.passed)
            failed += not ok
            progress.emit(f"{name:<{width}}  {len(report.rows):>6}  {report.max_ulps:>9.2f}  "
                          f"{report.median_ulps:>7.2f}  {worst_x!r:>24}  "
                          f"{report.tolerance:>9.2f}  {'ok' if ok else 'FAIL'}")
            if args.verbose or not ok:
                progress.emit(str(report))
    print(f"{len(names) - failed} ok, {failed} failed")
    return 1 if failed else 0


# --- plot ----------------------------------------------------------------------------------


def _cmd_plot(args: argparse.Namespace) -> int:
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        print(f"vjpchain plot needs matplotlib, which is not installed: {_PLOT_HINT}",
              file=sys.stderr)
        return 1
    registry = default_registry
    name, target, f_mp = _one_variable(args.expr, registry, plot=True)
    lo, hi = args.range
    n = args.points
    xs = [lo + (hi - lo) * i / (n - 1) for i in range(n)]
    values, derivatives, errors = [], [], []
    f = f_mp if args.error else None
    for x in xs:
        try:
            value, derivative = val_and_grad(target, x, rules=registry)
        except VjpchainError:
            value = derivative = math.nan
        values.append(value)
        derivatives.append(derivative)
        if f is not None:
            ref = None if math.isnan(derivative) else diff_reference(f, x, REFERENCE_DPS)
            # a log axis cannot show 0: exact derivatives are drawn at 0.01 ULP
            errors.append(math.nan if ref is None else max(ulp_error(derivative, ref), 0.01))
    if all(math.isnan(v) for v in values):
        print(f"vjpchain plot: {args.expr} is defined nowhere on [{lo!r}, {hi!r}]; "
              "choose a range inside its domain (vjpchain rules lists the domains)",
              file=sys.stderr)
        return 1
    fig = Figure(figsize=(7, 6.5 if args.error else 4.5), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(2, 1, sharex=True) if args.error else [fig.subplots()]
    top = axes[0]
    top.plot(xs, values, label=f"f({name})")
    top.plot(xs, derivatives, label=f"f'({name})")
    top.set_title(f"f({name}) = {args.expr}")
    top.legend()
    top.grid(True, alpha=0.3)
    if args.error:
        bottom = axes[1]
        bottom.plot(xs, errors, ".", markersize=3, color="C3")
        bottom.set_yscale("log")
        bottom.set_ylabel("error of f' (ULPs)")
        bottom.set_title(f"against mpmath.diff at {REFERENCE_DPS} digits (0 drawn at 0.01)",
                         fontsize="small")
        bottom.grid(True, which="both", alpha=0.3)
    axes[-1].set_xlabel(name)
    try:
        fig.savefig(args.output)
    except (OSError, ValueError) as exc:
        print(f"vjpchain plot: cannot write {args.output!r}: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.output} ({n} points on [{lo!r}, {hi!r}])")
    return 0


# --- the parser ----------------------------------------------------------------------------

_EXPR_HELP = ("a chain 'sin,sin,exp' or a formula, e.g. 'exp(sin(sin(x)))', 'x*sin(x)', "
              "'2*sin(x)**3 + 1' (quote it for the shell)")
_DASH_NOTE = ("An expression or point that starts with '-' must follow '--': "
              "vjpchain grad -- '-x' -pi")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``vjpchain`` command (``prog`` is always ``vjpchain``)."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="vjpchain", formatter_class=formatter,
        description="Reverse-mode derivatives of chains, checked against mpmath.",
        epilog="Without a command: vjpchain grad 'exp(sin(sin(x)))' 2.0\n"
               "Each command has --help.")
    parser.add_argument("--version", action="version", version=f"vjpchain {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    grad = sub.add_parser(
        "grad", formatter_class=formatter, help="f(x), f'(x) and the mpmath reference",
        description="Differentiate EXPR at each X by reverse mode and compare f'(x) with "
                    "mpmath.diff of the expression evaluated in mpmath at "
                    f"{REFERENCE_DPS} digits. For a function of several variables give the "
                    "point as NAME=VALUE, one per variable: the output is f there and each "
                    "partial derivative with its reference.",
        epilog="examples:\n  vjpchain grad 'exp(sin(sin(x)))' 2.0\n"
               "  vjpchain grad '2*sin(x)**3 + 1' 0.5 1.5 --json\n"
               "  vjpchain grad 'x*sin(x)' 1.5\n"
               "  vjpchain grad 'log(x1*x2*(x1+x2))/(x1-x2)**2' x1=2 x2=10\n"
               "  vjpchain grad 'atan2(y, x)' x=1 y=pi --json\n"
               "  vjpchain grad sin,tanh pi/4 --dps 30\n" + _DASH_NOTE)
    grad.add_argument("expr", nargs="?", metavar="EXPR",
                      help=_EXPR_HELP + "; with NAME=VALUE points a formula in any variables "
                      f"(default {DEFAULT_EXPR!r})")
    grad.add_argument("x", nargs="*", type=_point_arg, metavar="X",
                      help="points: numbers or constants such as pi/4 (default "
                           f"{DEFAULT_POINT}), or NAME=VALUE for each variable of a function "
                           "of several variables (x1=2 x2=pi/4)")
    grad.add_argument("--dps", type=_positive_int(1), metavar="N",
                      help="differentiate in mpmath at N digits instead of float64; the error "
                           "column is then relative to the reference")
    grad.add_argument("--json", action="store_true",
                      help="print a JSON list of {x, value, derivative, reference, ulps}, "
                           "or with NAME=VALUE points an object {point, value, partials: "
                           "[{variable, derivative, reference, ulps}]} (mpmath numbers as "
                           "decimal strings; inf and nan as strings)")
    grad.set_defaults(run=_cmd_grad)

    rules = sub.add_parser("rules", help="the registered primitives",
                           description="Every registered primitive with its derivative "
                                       "formula and its domain on the reals.")
    rules.set_defaults(run=_cmd_rules)

    check = sub.add_parser(
        "check", formatter_class=formatter, help="check rules against mpmath",
        description="Check each primitive's derivative against mpmath over its domain "
                    "(vjpchain.reference.check_rule) and print one line per primitive. "
                    "Exits 1 if any fails.",
        epilog="examples:\n  vjpchain check\n  vjpchain check sin tanh -v")
    check.add_argument("primitives", nargs="*", metavar="PRIMITIVE",
                       help="primitive names (default: every built-in primitive)")
    check.add_argument("--dps", type=_positive_int(20), default=50, metavar="N",
                       help="digits of the mpmath reference (default 50)")
    check.add_argument("-v", "--verbose", action="store_true",
                       help="print each primitive's full report (always for failures)")
    check.set_defaults(run=_cmd_check)

    plot = sub.add_parser(
        "plot", formatter_class=formatter, help="plot f and f' (needs matplotlib)",
        description="Plot f and f' over a range; with --error also the error of f' against "
                    f"mpmath in ULPs. Needs matplotlib: {_PLOT_HINT}",
        epilog="examples:\n  vjpchain plot 'tanh(x)' --range=-25:25 -o tanh.png --error\n"
               "  vjpchain plot 'exp(sin(sin(x)))' --range 0:2*pi -o f.png\n"
               "A range that starts with '-' needs '=': --range=-3:3")
    plot.add_argument("expr", metavar="EXPR", help=_EXPR_HELP)
    plot.add_argument("--range", type=_range, required=True, metavar="A:B",
                      help="the interval of x, e.g. 0:pi or =-3:3")
    plot.add_argument("-o", "--output", required=True, metavar="FILE.png",
                      help="the image to write")
    plot.add_argument("--error", action="store_true",
                      help="add the error of f' against mpmath in ULPs (log scale)")
    plot.add_argument("--points", type=_positive_int(2), default=400, metavar="N",
                      help="number of points (default 400)")
    plot.set_defaults(run=_cmd_plot)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``vjpchain`` command with ``argv`` (default ``sys.argv[1:]``).

    Returns:
        The exit status: 0 success, 1 a failure (domain error, failed check, missing
        matplotlib), 2 bad usage, a bad expression, or points that do not fit it.
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(args_list or ["grad"])
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    try:
        status: int = args.run(args)
    except (ExprError, UsageError) as exc:
        print(f"vjpchain {args.command}: {exc}", file=sys.stderr)
        return 2
    except VjpchainError as exc:
        print(f"vjpchain {args.command}: {exc}", file=sys.stderr)
        return 1
    return status
