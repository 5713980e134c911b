"""vjpchain: reverse-mode automatic differentiation of chains, built on a rule registry.

>>> from math import sin, exp
>>> from vjpchain import val_and_grad
>>> val_and_grad([sin, sin, exp], 2.0)
(2.2013533791690376, -0.562752038662712)
"""

from __future__ import annotations

from .checkpoint import CheckpointedPullback, CheckpointStats, binomial_bound, checkpointed_vjp
from .compiled import CompiledChain, compile_chain
from .domain import Domain
from .dual import Dual
from .errors import (
    DuplicateRuleError,
    LeakedTracerError,
    PrimitiveDomainError,
    RuleOutputError,
    UnknownPrimitiveError,
    UnsupportedInputError,
    UnsupportedTypeError,
    VjpchainError,
)
from .generic import (
    Generic,
    absolute,
    acos,
    acosh,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    cbrt,
    cos,
    cosh,
    digamma,
    erf,
    erfc,
    exp,
    exp2,
    expm1,
    hypot,
    lgamma,
    log,
    log1p,
    log2,
    log10,
    maximum,
    minimum,
    neg,
    reciprocal,
    sigmoid,
    sign,
    sin,
    sinc,
    sinh,
    softplus,
    sqrt,
    square,
    tan,
    tanh,
)
from .rules import (
    BinaryPrimitive,
    Parametric,
    Primitive,
    Registry,
    Rule,
    default_registry,
    power,
    primitive,
    register,
    scalar_rule,
    scale,
    shift,
    unregister,
)
from .transforms import (
    ChainPullback,
    derivative,
    grad,
    hessian,
    hvp,
    jvp,
    val_and_grad,
    vjp,
)

__version__ = "0.1.0"


def rules_table(rules: Registry | None = None) -> list[tuple[str, str, str]]:
    """``(name, derivative formula, domain)`` for every rule, sorted by name."""
    registry = rules or default_registry
    return [(r.name, r.formula, r.domain.describe()) for r in registry.rules()]


__all__ = [
    "vjp", "val_and_grad", "grad", "jvp", "ChainPullback", "derivative", "hvp", "hessian",
    "Dual", "atan2", "hypot", "maximum", "minimum", "compile_chain", "CompiledChain",
    "checkpointed_vjp", "CheckpointedPullback", "CheckpointStats", "binomial_bound",
    "Registry", "Rule", "default_registry", "register", "scalar_rule", "unregister",
    "primitive", "Primitive", "BinaryPrimitive", "Parametric", "power", "scale", "shift", "Domain",
    "Generic", "rules_table",
    "VjpchainError", "UnknownPrimitiveError", "DuplicateRuleError", "PrimitiveDomainError",
    "RuleOutputError", "UnsupportedInputError", "UnsupportedTypeError", "LeakedTracerError",
    "sin", "cos", "tan", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt",
    "cbrt", "sinh", "cosh", "tanh", "asin", "acos", "atan", "asinh", "acosh", "atanh", "erf",
    "erfc", "sigmoid", "softplus", "absolute", "sign", "neg", "square", "reciprocal",
    "lgamma", "digamma", "sinc",
]
