"""vjpchain: reverse-mode automatic differentiation of chains, built on a rule registry.

>>> from math import sin, exp
>>> from vjpchain import val_and_grad
>>> val_and_grad([sin, sin, exp], 2.0)
(2.2013533791690376, -0.562752038662712)
"""

from __future__ import annotations

from . import elementary, special
from .binary import atan2, hypot, maximum, minimum
from .checkpoint import CheckpointedPullback, CheckpointStats, binomial_bound, checkpointed_vjp
from .compiled import CompiledChain, compile_chain
from .domain import Domain
from .domains import describe_rule
from .dual import Dual
from .elementary import *  # noqa: F403 - the elementary built-ins (their __all__)
from .errors import (
    CotangentError,
    DuplicateRuleError,
    LeakedTracerError,
    PrimitiveDomainError,
    ReferencePrecisionError,
    RuleOutputError,
    UnknownPrimitiveError,
    UnsupportedInputError,
    UnsupportedTypeError,
    VjpchainError,
)
from .families import power, scale, shift
from .generic import Generic
from .registry import (
    BinaryPrimitive,
    Parametric,
    Primitive,
    Registry,
    Rule,
    default_registry,
    primitive,
    register,
    registry_of,
    scalar_rule,
    unregister,
)
from .special import *  # noqa: F403 - the special-function built-ins (their __all__)
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
    registry = registry_of(rules)
    return [(r.name, r.formula, describe_rule(r)) for r in registry.rules()]


__all__ = [
    "vjp", "val_and_grad", "grad", "jvp", "ChainPullback", "derivative", "hvp", "hessian",
    "Dual", "atan2", "hypot", "maximum", "minimum", "compile_chain", "CompiledChain",
    "checkpointed_vjp", "CheckpointedPullback", "CheckpointStats", "binomial_bound",
    "Registry", "Rule", "default_registry", "register", "scalar_rule", "unregister",
    "primitive", "Primitive", "BinaryPrimitive", "Parametric", "power", "scale", "shift", "Domain",
    "Generic", "rules_table",
    "VjpchainError", "UnknownPrimitiveError", "DuplicateRuleError", "PrimitiveDomainError",
    "RuleOutputError", "UnsupportedInputError", "UnsupportedTypeError", "LeakedTracerError",
    "CotangentError",
    "ReferencePrecisionError",
]
__all__ += elementary.__all__
__all__ += special.__all__
