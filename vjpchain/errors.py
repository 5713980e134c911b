"""The exceptions vjpchain raises; each message says where, what, what was got, what to do."""

from __future__ import annotations

__all__ = [
    "VjpchainError", "UnknownPrimitiveError", "DuplicateRuleError", "PrimitiveDomainError",
    "RuleOutputError", "UnsupportedInputError", "UnsupportedTypeError", "LeakedTracerError",
    "CotangentError",
]


class VjpchainError(Exception):
    """Base class of the errors raised by vjpchain itself."""


class UnknownPrimitiveError(VjpchainError, LookupError):
    """A chain names a primitive that has no rule in the registry in use."""


class DuplicateRuleError(VjpchainError, ValueError):
    """A rule is registered for a primitive that already has one (pass replace=True)."""


class PrimitiveDomainError(VjpchainError, ValueError):
    """A primitive failed on its input (outside its domain); the original error is the cause."""


class RuleOutputError(VjpchainError, TypeError):
    """A rule did not return the pair ``(output, pullback)``."""


class UnsupportedTypeError(VjpchainError, TypeError):
    """A generic function was given a value of a type it has no arithmetic for."""


class UnsupportedInputError(UnsupportedTypeError):
    """A chain was given an input (or produced a value) of an unsupported type."""


class LeakedTracerError(VjpchainError, RuntimeError):
    """A traced value was used after the differentiation that made it had ended."""


class CotangentError(VjpchainError, TypeError, ValueError):
    """A pullback was given a cotangent of the wrong type or shape for the output."""


class ReferencePrecisionError(VjpchainError, ValueError):
    """A reference derivative computed at mpmath's global precision instead of its
    argument's (it calls ``mpmath.exp`` where ``x.context.exp`` or ``vjpchain.exp`` is
    needed); checks never raise the global precision."""
