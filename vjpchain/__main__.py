"""``python -m vjpchain`` and the ``vjpchain`` console script; the commands live in cli/."""

from __future__ import annotations

import sys

from .cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
