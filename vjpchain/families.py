"""The built-in families of primitives with parameters: ``power(p)``, ``scale(a)``,
``shift(b)``. A family is registered by its class; each instance is a primitive whose rule
comes from its own ``__call__`` and ``derivative`` (see :class:`rule.Parametric`)."""

from __future__ import annotations

import math
from typing import Any

from .domain import REALS, Domain
from .errors import UnsupportedTypeError
from .float64.kern_exp import d_power as d_power_kernel
from .float64.ops import FLOAT_OPS
from .generic import MP, NUMPY, REAL, np_ops, number_kind
from .mpcontext import context_of, inctx
from .registry import default_registry
from .rule import Parametric, Pullback, plain_parameter

__all__ = ["power", "scale", "shift"]


class power(Parametric):  # noqa: N801 - reads as the function it stands for
    """``power(p)``: x -> x**p (real p: math.pow semantics on floats)."""

    __slots__ = ("p",)
    formula = "p * x**(p - 1)"

    def __init__(self, p: Any) -> None:
        self.p = plain_parameter(p)

    def params(self) -> tuple[Any, ...]:
        return (self.p,)

    def __call__(self, x: Any) -> Any:
        kind = number_kind(type(x))
        if kind == REAL:
            try:
                return math.pow(x, self.p)
            except OverflowError:
                return math.inf if x > 0 or float(self.p) % 2 == 0 else -math.inf
        if kind == MP:
            return inctx.power(x, self.p)
        if kind is None and not hasattr(type(x), "__vjpchain_apply__"):
            raise UnsupportedTypeError(
                f"power({self.p!r}) is not defined for arguments of type {type(x).__name__}")
        return x ** self.p

    def formulas(self) -> tuple[str, str]:
        p = self.p
        return f"x**{p!r}", f"{p!r}*x**({p!r} - 1)"

    def derivative(self, x: Any, y: Any) -> Any:
        p = self.p
        if p == 0:
            return x * 0
        if p == 2:
            return 2 * x  # exact: no need for the general kernel
        kind = number_kind(type(x))
        if kind == REAL:
            return d_power_kernel(float(x), float(p), FLOAT_OPS)
        if kind == NUMPY:
            import numpy as np

            a = np.asarray(x)
            if a.dtype.kind == "f" and a.dtype.itemsize <= 8:
                with np.errstate(all="ignore"):
                    out = d_power_kernel(a.astype(np.float64), float(p), np_ops())
                out = out.astype(a.dtype)
                return out if isinstance(x, np.ndarray) else out[()]
        if kind == MP:
            return p * inctx.power(x, p - 1)
        return p * x ** (p - 1)


class scale(Parametric):  # noqa: N801
    """``scale(a)``: x -> a * x."""

    __slots__ = ("a",)
    formula = "a"

    def __init__(self, a: Any) -> None:
        self.a = plain_parameter(a)

    def params(self) -> tuple[Any, ...]:
        return (self.a,)

    def __call__(self, x: Any) -> Any:
        return self.a * x

    def formulas(self) -> tuple[str, str]:
        return f"{self.a!r}*x", repr(self.a)

    def derivative(self, x: Any, y: Any) -> Any:
        if type(x) is not float and number_kind(type(x)) == MP:
            return context_of(x).mpmathify(self.a)  # exact, in the input's arithmetic
        return self.a


class shift(Parametric):  # noqa: N801
    """``shift(b)``: x -> x + b."""

    __slots__ = ("b",)
    formula = "1"

    def __init__(self, b: Any) -> None:
        self.b = plain_parameter(b)

    def params(self) -> tuple[Any, ...]:
        return (self.b,)

    def __call__(self, x: Any) -> Any:
        return x + self.b

    def formulas(self) -> tuple[str, str]:
        return f"x + {self.b!r}", "1"

    def derivative(self, x: Any, y: Any) -> Any:
        if type(x) is not float and number_kind(type(x)) == MP:
            return context_of(x).mpf(1)
        return 1.0


def _needs_parameters(name: str) -> Any:
    def family_rule(x: Any) -> tuple[Any, Pullback]:
        raise TypeError(f"{name} needs parameters: use {name}(...) in the chain")

    return family_rule


def _declare_family(cls: type[Parametric], domain: Domain = REALS) -> None:
    default_registry.register(cls, _needs_parameters(cls.__name__), formula=cls.formula,
                              domain=domain)


_declare_family(power, Domain(0.0))
_declare_family(scale)
_declare_family(shift)
