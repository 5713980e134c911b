"""``main``: run the ``vjpchain`` command and turn its outcome into an exit status."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ..errors import VjpchainError
from ..expr import ExprError
from .derivatives import UsageError
from .parser import build_parser

__all__ = ["main"]


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
