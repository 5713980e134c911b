"""``main``: run the ``vjpchain`` command and turn its outcome into an exit status."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from ..errors import VjpchainError
from ..expr import ExprError
from .derivatives import UsageError
from .parser import build_parser

__all__ = ["main", "CLOSED_PIPE"]

CLOSED_PIPE = 141
"""The exit status when the reader of the output goes away (``vjpchain check | head -1``):
128 + SIGPIPE, what a shell reports for a Unix tool killed by that signal."""


def _quiet_stdout() -> None:
    """After a closed pipe: send what is left of stdout to devnull, so that flushing it at
    exit raises no second BrokenPipeError (the recipe of Python's signal documentation)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout without a file descriptor
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``vjpchain`` command with ``argv`` (default ``sys.argv[1:]``).

    Returns:
        The exit status: 0 success, 1 a failure (domain error, failed check, missing
        matplotlib), 2 bad usage, a bad expression, or points that do not fit it, and
        :data:`CLOSED_PIPE` (141) when the reader of the output closed it, which ends the
        command quietly, as it ends other Unix tools.
    """
    try:
        return _main(argv)
    except BrokenPipeError:
        _quiet_stdout()
        return CLOSED_PIPE


def _main(argv: Sequence[str] | None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(args_list or ["grad"])
    except SystemExit as exc:  # --help, --version and usage errors
        sys.stdout.flush()
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    try:
        status: int = args.run(args)
    except (ExprError, UsageError) as exc:
        print(f"vjpchain {args.command}: {exc}", file=sys.stderr)
        return 2
    except VjpchainError as exc:
        print(f"vjpchain {args.command}: {exc}", file=sys.stderr)
        return 1
    sys.stdout.flush()  # a closed pipe shows here, inside main, not at exit
    return status
