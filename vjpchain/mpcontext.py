"""mpmath contexts without global state: private contexts, and the context a number lives in.

mpmath's module functions (``mpmath.exp``) compute in the global context ``mpmath.mp`` at
its precision; ``mpmath.workdps`` changes that precision for every thread at once. The
library never does. Extra precision comes from a private ``MPContext`` (:func:`at_precision`),
and mpmath code of the library takes its functions and constants from the context of its
argument (:func:`context_of`, :data:`inctx`), so an ``mpf`` of a private context is computed
at that context's precision, and a check at 256 bits leaves ``mpmath.mp`` alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import mpmath

__all__ = ["at_precision", "context_of", "in_context", "inctx", "refined", "refined_float"]

_local = threading.local()


def at_precision(prec: int) -> Any:
    """A private mpmath context at ``prec`` bits, one per thread and precision.

    Not shared between threads: mpmath functions raise and restore their context's
    precision internally, so a context shared by two threads could be left at a wrong one.
    """
    contexts = getattr(_local, "contexts", None)
    if contexts is None:
        contexts = _local.contexts = {}
    ctx = contexts.get(prec)
    if ctx is None:
        if len(contexts) > 64:
            contexts.clear()
        ctx = mpmath.MPContext()
        ctx.prec = prec
        contexts[prec] = ctx
    return ctx


def context_of(*values: Any) -> Any:
    """The context of the first mpmath number among ``values``; else ``mpmath.mp``."""
    for value in values:
        ctx = getattr(type(value), "context", None)
        if ctx is not None:
            return ctx
    return mpmath.mp


# which function of the global context each module-level mpmath function is (by identity)
_names: dict[int, str] = {}
for _name in dir(mpmath.mp):
    _value = getattr(mpmath, _name, None)
    if callable(_value) and not isinstance(_value, type):
        _names.setdefault(id(_value), _name)


def in_context(fn: Any, ctx: Any) -> Any:
    """``fn`` as it computes in ``ctx``: a function of mpmath's global context (``mpmath.sin``)
    becomes the same function of ``ctx``; any other function is returned as it is (the
    library's own are written with :data:`inctx` and follow their argument's context)."""
    if ctx is mpmath.mp:
        return fn
    name = _names.get(id(fn))
    return getattr(ctx, name) if name is not None else fn


class _InContext:
    """``inctx.exp(x)``: mpmath's ``exp`` in the context of its arguments' numbers."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            return getattr(context_of(*args), name)(*args)

        call.__name__ = call.__qualname__ = name
        setattr(self, name, call)
        return call


inctx: Any = _InContext()


# Rising precision (Ziv's strategy with mpmath as the accurate phase) ---------------------------

_FIRST_GUARD = 24
_MAX_GUARD = 1 << 14  # past ~16k guard bits the result is taken as it stands


def refined(fn: Callable[[Any, Any], Any], x: Any, bits: int) -> Any:
    """``fn(ctx, x)`` to ``bits`` correct bits, in a private context of rising precision.

    ``fn`` computes in the context it is given (``lambda c, x: c.cos(x)``). It is evaluated
    with ``bits + g`` bits for g = 24, 48, 96, ... until two successive results agree to
    ``bits + 2`` bits relative (or are both zero); cancellation near a zero of the function
    (cos at the float nearest a multiple of pi/2, digamma near its roots, exp(-x*x) with a
    rounded x*x) costs guard bits, not correctness. Agreement of two precisions is the test
    mpmath itself uses; it is not a proof, but a cancellation that fools it would have to
    lose the same bits at both precisions. Returns an mpf (or mpc) of the last context.
    """
    guard = _FIRST_GUARD
    previous = None
    while True:
        ctx = at_precision(bits + guard)
        value = fn(ctx, ctx.mpmathify(x))
        if previous is not None:
            if value == previous or guard >= _MAX_GUARD:
                return value
            if value != 0 and abs(value - previous) <= abs(value) * ctx.ldexp(1, -bits - 2):
                return value
        previous = value
        guard *= 2


def refined_float(fn: Callable[[Any, Any], Any], x: float) -> float:
    """``fn(ctx, x)`` rounded once to the nearest float64 (:func:`refined` to 64 bits: the
    nearest float, barring a tie within 2**-64 of its ulp)."""
    return float(refined(fn, x, 64))
