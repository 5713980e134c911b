"""The argument parser of ``vjpchain``: its subcommands, their options and help, and the
argument types that read points, ranges and counts from the command line."""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable
from typing import Any

from .. import __version__
from ..expr import ExprError, parse_constant
from .check import cmd_check
from .derivatives import REFERENCE_DPS
from .grad import DEFAULT_EXPR, DEFAULT_POINT, cmd_grad
from .plot import PLOT_HINT, cmd_plot
from .rules import cmd_rules

__all__ = ["build_parser"]


# --- argument types ------------------------------------------------------------------------


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


# --- the parser ----------------------------------------------------------------------------


def _is_value(text: str) -> bool:
    """Whether an argument that starts with '-' is a value (a number such as -inf or -pi/4,
    or a range such as -6:6), not an option."""
    for read in (_point, _range):
        try:
            read(text)
        except argparse.ArgumentTypeError:
            continue
        return True
    return False


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that takes negative values as written: ``grad 'sin(x)' 1 -inf``
    and ``plot ... --range -6:6``. argparse reads an argument that starts with '-' as an
    option unless it looks like a plain negative number (-2, -.5), so -inf, -pi/4 and -6:6
    would be refused as unknown options; here any argument that is not an option of the
    parser and reads as a point or a range is a value. Subparsers are of this class too."""

    def _parse_optional(self, arg_string: str) -> Any:
        if (arg_string.startswith("-") and arg_string not in self._option_string_actions
                and _is_value(arg_string)):
            return None  # a positional argument, or the value of the option before it
        return super()._parse_optional(arg_string)

_EXPR_HELP = ("a chain 'sin,sin,exp' or a formula, e.g. 'exp(sin(sin(x)))', 'x*sin(x)', "
              "'2*sin(x)**3 + 1' (quote it for the shell)")
_DASH_NOTE = ("Points may be negative as written (vjpchain grad 'sin(x)' -pi/4 -inf); an "
              "expression that starts with '-' must follow '--': vjpchain grad -- '-x' -pi")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``vjpchain`` command (``prog`` is always ``vjpchain``)."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
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
    grad.set_defaults(run=cmd_grad)

    rules = sub.add_parser("rules", help="the registered primitives",
                           description="Every registered primitive with its derivative "
                                       "formula and its domain on the reals.")
    rules.set_defaults(run=cmd_rules)

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
    check.set_defaults(run=cmd_check)

    plot = sub.add_parser(
        "plot", formatter_class=formatter, help="plot f and f' (needs matplotlib)",
        description="Plot f and f' over a range; with --error also the error of f' against "
                    f"mpmath in ULPs. Needs matplotlib: {PLOT_HINT}",
        epilog="examples:\n  vjpchain plot 'tanh(x)' --range -25:25 -o tanh.png --error\n"
               "  vjpchain plot 'exp(sin(sin(x)))' --range 0:2*pi -o f.png\n"
               "Points outside the domain of the expression are not drawn; the command says "
               "how many.")
    plot.add_argument("expr", metavar="EXPR", help=_EXPR_HELP)
    plot.add_argument("--range", type=_range, required=True, metavar="A:B",
                      help="the interval of x, e.g. 0:pi or -3:3")
    plot.add_argument("-o", "--output", required=True, metavar="FILE.png",
                      help="the image to write")
    plot.add_argument("--error", action="store_true",
                      help="add the error of f' against mpmath in ULPs (log scale)")
    plot.add_argument("--points", type=_positive_int(2), default=400, metavar="N",
                      help="number of points (default 400)")
    plot.set_defaults(run=cmd_plot)
    return parser
