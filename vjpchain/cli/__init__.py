"""The ``vjpchain`` command line: ``grad``, ``rules``, ``check`` and ``plot``.

``vjpchain`` alone runs ``vjpchain grad 'exp(sin(sin(x)))' 2.0``. ``grad`` also takes
functions of several variables, with the point written ``NAME=VALUE``:
``vjpchain grad 'log(x1*x2*(x1+x2))/(x1-x2)**2' x1=2 x2=10``. References come from mpmath and
never from the rules under test: the expression is evaluated in mpmath at high precision and
differentiated numerically (one variable at a time) with a step scaled to the function,
bounded in precision and time (:mod:`.bounded`); where there is no reference the output says
why.

The modules: :mod:`.app` (``main`` and the exit statuses), :mod:`.parser` (the argparse
setup), :mod:`.derivatives` (what ``grad`` computes), :mod:`.bounded` (its references),
:mod:`.domains` (the domains ``rules`` and the errors state), :mod:`.output` (tables and JSON
numbers), and one module per command: :mod:`.grad`, :mod:`.rules`, :mod:`.check` (with
:mod:`.progress`, its progress display) and :mod:`.plot`.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable

from . import progress
from .app import main
from .derivatives import (
    REFERENCE_DPS,
    BoundExceededError,
    GradPoint,
    GradRow,
    Partial,
    UsageError,
    grad_point,
    grad_rows,
)
from .grad import DEFAULT_EXPR, DEFAULT_POINT
from .parser import build_parser

__all__ = ["main", "build_parser", "grad_rows", "grad_point", "GradRow", "GradPoint", "Partial",
           "UsageError", "BoundExceededError", "DEFAULT_EXPR", "DEFAULT_POINT",
           "REFERENCE_DPS"]


class _CliModule(types.ModuleType):
    """``vjpchain.cli`` keeps the names the single-module cli.py had for the progress
    display's settings: ``cli._PROGRESS_DELAY`` and ``cli._now`` read and set
    :data:`.progress.PROGRESS_DELAY` and :func:`.progress.now` (tests shorten the delay with
    ``monkeypatch.setattr(cli, "_PROGRESS_DELAY", ...)``)."""

    @property
    def _PROGRESS_DELAY(self) -> float:
        return progress.PROGRESS_DELAY

    @_PROGRESS_DELAY.setter
    def _PROGRESS_DELAY(self, value: float) -> None:
        progress.PROGRESS_DELAY = value

    @property
    def _now(self) -> Callable[[], float]:
        return progress.now

    @_now.setter
    def _now(self, value: Callable[[], float]) -> None:
        progress.now = value


sys.modules[__name__].__class__ = _CliModule
