"""``vjpchain rules``: every registered primitive with its derivative and its real domain."""

from __future__ import annotations

import argparse
import sys

from ..domains import describe_rule
from ..registry import default_registry
from .output import table

__all__ = ["cmd_rules"]


def cmd_rules(args: argparse.Namespace) -> int:
    """Run ``vjpchain rules``: one row per rule, sorted by name, with the domain stated as
    :func:`vjpchain.domains.describe_rule` finds it (poles, overflow, the families' and the
    two-input primitives' conditions)."""
    rows = [[r.name, r.formula, describe_rule(r)] for r in default_registry.rules()]
    table(["primitive", "derivative", "domain"], rows, sys.stdout, left=(2,))
    return 0
