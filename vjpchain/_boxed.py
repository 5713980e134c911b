"""What traced values and dual numbers share: they compare and test true by their value."""

from __future__ import annotations

from typing import Any


def unbox(v: Any) -> Any:
    """The value inside a traced value or dual number; anything else as it is."""
    return v.value if isinstance(v, ComparesByValue) else v


class ComparesByValue:
    """Comparisons and truth of a boxed number read its primal value, so ordinary Python
    control flow (``if x > 0``) works on traced values and dual numbers. A box is mutable
    bookkeeping around a number, so it is not hashable."""

    __slots__ = ()
    value: Any

    def __lt__(self, other: Any) -> Any:
        return self.value < unbox(other)

    def __le__(self, other: Any) -> Any:
        return self.value <= unbox(other)

    def __gt__(self, other: Any) -> Any:
        return self.value > unbox(other)

    def __ge__(self, other: Any) -> Any:
        return self.value >= unbox(other)

    def __eq__(self, other: object) -> Any:
        return self.value == unbox(other)

    def __ne__(self, other: object) -> Any:
        return self.value != unbox(other)

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        return bool(self.value)
