"""The ``vjpchain`` command line: ``grad``, ``rules``, ``check`` and ``plot``.

``vjpchain`` alone runs ``vjpchain grad 'exp(sin(sin(x)))' 2.0``. References come from mpmath
and never from the rules under test: the chain's primal is evaluated in mpmath at high
precision and differentiated numerically with ``mpmath.diff``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import mpmath

from . import __version__, rules_table
from .errors import PrimitiveDomainError, VjpchainError
from .expr import ExprError, parse_chain, parse_constant
from .reference import ulp_error
from .rules import Registry, default_registry
from .transforms import val_and_grad

__all__ = ["main", "build_parser", "DEFAULT_EXPR", "DEFAULT_POINT", "REFERENCE_DPS"]

DEFAULT_EXPR = "exp(sin(sin(x)))"
DEFAULT_POINT = 2.0
REFERENCE_DPS = 50
"""Digits of the mpmath reference for float64 results (``--dps N`` uses at least N + 10)."""

_TABLE_REF_DIGITS = 20
_JSON_REF_DIGITS = 30
_PLOT_HINT = "pip install 'vjpchain[plot]'"

_now = time.monotonic  # the clock of the progress display; tests replace it


# --- shared pieces -------------------------------------------------------------------------


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


def _mp_primal(chain: Sequence[Any], registry: Registry) -> Callable[[Any], Any]:
    """The chain's primal, step by step, for mpmath arguments (no derivative rule is used)."""
    steps = [registry.lookup(p) for p in chain]

    def f(t: Any) -> Any:
        for rule in steps:
            t = rule.primal(t) if rule.primal is not None else rule.vjp(t)[0]
        return t

    return f


_MAX_REFERENCE_PREC = 1 << 15


def _reference(f: Callable[[Any], Any], x: float, dps: int) -> Any:
    """``mpmath.diff`` of ``f`` at ``x``, correct to ``dps`` digits; None where not real.

    mpmath's default step is absolute and its precision fixed: at tiny ``x`` the step
    reaches past a domain edge (sqrt near 0), at huge ``x`` it vanishes below the working
    precision (sin'(1e300) came out 0), and where f' is tiny next to f (tanh at 30) the
    difference cancels. So the step shrinks with ``|x| < 1`` and the precision is raised
    until two evaluations agree to ``dps`` digits.
    """
    with mpmath.workdps(dps):
        xm = mpmath.mpf(x)
        if not mpmath.isfinite(xm):
            return None
        prec = mpmath.mp.prec
        mag = 0 if xm == 0 else int(mpmath.mag(xm))
        h = mpmath.ldexp(1, min(mag, 0) - prec - 10)
        work = prec + abs(mag) + 10
        previous = None
        while True:
            try:
                with mpmath.workprec(work):
                    d = mpmath.diff(f, xm, h=h)
            except (ArithmeticError, ValueError, TypeError, VjpchainError):
                return None
            if isinstance(d, mpmath.mpc):
                if d.imag != 0:
                    return None
                d = d.real
            if mpmath.isnan(d):
                return None
            if (previous is not None and d != 0
                    and abs(d - previous) <= abs(d) * mpmath.ldexp(1, -prec - 4)):
                return +d
            if work >= _MAX_REFERENCE_PREC:
                # still 0: f' is below every precision tried (tanh' at 1e5), or exactly 0
                return +d if d == 0 else None
            previous = d
            work = min(2 * work, _MAX_REFERENCE_PREC)


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


def grad_rows(text: str, points: Sequence[float], dps: int | None = None, *,
              rules: Registry | None = None) -> list[GradRow]:
    """Value, derivative, mpmath reference and error of the chain ``text`` at each point.

    Args:
        text: an expression for :func:`vjpchain.expr.parse_chain`.
        points: the inputs.
        dps: None to differentiate in float64 (error in ULPs), else the mpmath digits to
            differentiate at (error relative to the reference).

    Raises:
        ExprError: ``text`` is not an expression.
        VjpchainError: the chain fails at a point (e.g. PrimitiveDomainError).
    """
    registry = rules or default_registry
    chain = parse_chain(text, rules=registry)
    f = _mp_primal(chain, registry)
    ref_dps = REFERENCE_DPS if dps is None else max(REFERENCE_DPS, dps + 10)
    rows = []
    for x in points:
        if dps is None:
            value, derivative = val_and_grad(chain, x, rules=registry)
        else:
            with mpmath.workdps(dps):
                value, derivative = val_and_grad(chain, mpmath.mpf(x), rules=registry)
            if isinstance(value, mpmath.mpc) or isinstance(derivative, mpmath.mpc):
                raise PrimitiveDomainError(
                    f"{text} is not real at x = {x!r} (got {value!r}): the point lies outside "
                    "the real domain of a step (vjpchain.rules_table() lists the domains)")
        reference = _reference(f, x, ref_dps)
        if reference is None:
            error = math.nan
        elif dps is None:
            error = ulp_error(derivative, reference)
        else:
            with mpmath.workdps(ref_dps):
                diff = abs(derivative - reference)
                error = float(diff / abs(reference) if reference != 0 else diff)
        rows.append(GradRow(x, value, derivative, reference, error))
    return rows


def _cmd_grad(args: argparse.Namespace) -> int:
    text = DEFAULT_EXPR if args.expr is None else args.expr
    points = args.x or [DEFAULT_POINT]
    rows = grad_rows(text, points, args.dps)
    out = sys.stdout
    if args.json:
        records = []
        for r in rows:
            ref = None
            if r.reference is not None:
                ref = mpmath.nstr(r.reference, _JSON_REF_DIGITS if args.dps is None
                                  else args.dps + 5)
            record: dict[str, Any] = {"x": _json_float(r.x)}
            if args.dps is None:
                record |= {"value": _json_float(r.value),
                           "derivative": _json_float(r.derivative),
                           "reference": ref,
                           "ulps": None if ref is None else _json_float(r.error)}
            else:
                record |= {"value": mpmath.nstr(r.value, args.dps),
                           "derivative": mpmath.nstr(r.derivative, args.dps),
                           "reference": ref, "ulps": None,
                           "rel_error": None if ref is None else _json_float(r.error)}
            records.append(record)
        print(json.dumps(records, indent=2), file=out)
        return 0
    if args.dps is None:
        header = ["x", "f(x)", "f'(x)", "mpmath reference", "ulps"]
        cells = [[repr(r.x), repr(r.value), repr(r.derivative),
                  "n/a" if r.reference is None else mpmath.nstr(r.reference, _TABLE_REF_DIGITS),
                  "n/a" if r.reference is None else f"{r.error:.2f}"] for r in rows]
    else:
        header = ["x", "f(x)", "f'(x)", "mpmath reference", "rel. error"]
        cells = [[repr(r.x), mpmath.nstr(r.value, args.dps), mpmath.nstr(r.derivative, args.dps),
                  "n/a" if r.reference is None else mpmath.nstr(r.reference, args.dps + 5),
                  "n/a" if r.reference is None else f"{r.error:.2e}"] for r in rows]
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
        names = [r.name for r in registry.rules() if r.primal is not None]
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
    chain = parse_chain(args.expr, rules=registry)
    lo, hi = args.range
    n = args.points
    xs = [lo + (hi - lo) * i / (n - 1) for i in range(n)]
    values, derivatives, errors = [], [], []
    f = _mp_primal(chain, registry) if args.error else None
    for x in xs:
        try:
            value, derivative = val_and_grad(chain, x, rules=registry)
        except VjpchainError:
            value = derivative = math.nan
        values.append(value)
        derivatives.append(derivative)
        if f is not None:
            ref = None if math.isnan(derivative) else _reference(f, x, REFERENCE_DPS)
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
    top.plot(xs, values, label="f(x)")
    top.plot(xs, derivatives, label="f'(x)")
    top.set_title(f"f(x) = {args.expr}")
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
    axes[-1].set_xlabel("x")
    try:
        fig.savefig(args.output)
    except (OSError, ValueError) as exc:
        print(f"vjpchain plot: cannot write {args.output!r}: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.output} ({n} points on [{lo!r}, {hi!r}])")
    return 0


# --- the parser ----------------------------------------------------------------------------

_EXPR_HELP = ("a chain 'sin,sin,exp' or a formula in x using x once, e.g. 'exp(sin(sin(x)))',"
              " '2*sin(x)**3 + 1' (quote it for the shell)")
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
                    f"mpmath.diff of the chain evaluated in mpmath at {REFERENCE_DPS} digits.",
        epilog="examples:\n  vjpchain grad 'exp(sin(sin(x)))' 2.0\n"
               "  vjpchain grad '2*sin(x)**3 + 1' 0.5 1.5 --json\n"
               "  vjpchain grad sin,tanh pi/4 --dps 30\n" + _DASH_NOTE)
    grad.add_argument("expr", nargs="?", metavar="EXPR",
                      help=_EXPR_HELP + f" (default {DEFAULT_EXPR!r})")
    grad.add_argument("x", nargs="*", type=_point, metavar="X",
                      help=f"points: numbers or constants such as pi/4 (default {DEFAULT_POINT})")
    grad.add_argument("--dps", type=_positive_int(1), metavar="N",
                      help="differentiate in mpmath at N digits instead of float64; the error "
                           "column is then relative to the reference")
    grad.add_argument("--json", action="store_true",
                      help="print a JSON list of {x, value, derivative, reference, ulps} "
                           "(mpmath numbers as decimal strings; inf and nan as strings)")
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
        matplotlib), 2 bad usage or a bad expression.
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(args_list or ["grad"])
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    try:
        status: int = args.run(args)
    except ExprError as exc:
        print(f"vjpchain {args.command}: {exc}", file=sys.stderr)
        return 2
    except VjpchainError as exc:
        print(f"vjpchain {args.command}: {exc}", file=sys.stderr)
        return 1
    return status
