"""How the commands print results: aligned text tables, and the numbers of a table or of
JSON (float64 as repr, mpmath numbers as decimal strings, inf and nan as strings in JSON)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TextIO

import mpmath

__all__ = ["json_float", "table", "numbers", "error_fields"]

_TABLE_REF_DIGITS = 20
_JSON_REF_DIGITS = 30


def json_float(value: float) -> float | str:
    """A float for JSON: non-finite values as the strings "inf", "-inf", "nan"."""
    value = float(value)
    return value if math.isfinite(value) else repr(value)


def table(header: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO,
          left: Sequence[int] = ()) -> None:
    """Print ``header`` and ``rows`` on ``out`` as columns two spaces apart, right-aligned
    except the columns numbered in ``left`` (text reads better left-aligned)."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        cells = [cell.ljust(w) if i in left else cell.rjust(w)
                 for i, (cell, w) in enumerate(zip(row, widths, strict=True))]
        print("  ".join(cells).rstrip(), file=out)


def numbers(dps: int | None, json_out: bool) -> tuple[
        Callable[[Any], Any], Callable[[Any], Any], Callable[[float], Any]]:
    """How a value or derivative, a reference and an error are shown (table or JSON)."""
    if dps is None:
        ref_digits = _JSON_REF_DIGITS if json_out else _TABLE_REF_DIGITS
        num: Callable[[Any], Any] = json_float if json_out else repr
        err: Callable[[float], Any] = json_float if json_out else (lambda e: f"{e:.2f}")
    else:
        ref_digits = dps + 5

        def num(v: Any) -> Any:
            return mpmath.nstr(v, dps)

        err = json_float if json_out else (lambda e: f"{e:.2e}")

    def ref(r: Any) -> Any:
        return (None if json_out else "n/a") if r is None else mpmath.nstr(r, ref_digits)

    return num, ref, err


def error_fields(reference: Any, error: float, dps: int | None,
                 err: Callable[[float], Any]) -> dict[str, Any]:
    """The error keys of a JSON record: ``ulps``, and ``rel_error`` with ``--dps``."""
    if dps is None:
        return {"ulps": None if reference is None else err(error)}
    return {"ulps": None, "rel_error": None if reference is None else err(error)}
