"""``vjpchain rules``: every registered primitive with its derivative and its domain."""

from __future__ import annotations

import argparse
import sys

from .. import rules_table
from .output import table

__all__ = ["cmd_rules"]


def cmd_rules(args: argparse.Namespace) -> int:
    """Run ``vjpchain rules``."""
    table(["primitive", "derivative", "domain"], [list(row) for row in rules_table()],
          sys.stdout)
    return 0
