"""The command line's mpmath references, bounded in precision and time.

A reference derivative is a central difference (f(x + h) - f(x - h)) / 2h evaluated in a
private mpmath context (:func:`vjpchain.mpcontext.at_precision`; mpmath's global context is
never touched). The step is scaled to the function, not only to x: it starts at
2**-(p/2) |x| for a target of p bits and shrinks until two successive estimates agree to p
bits, so a function that varies fast (x**1e50, sin(1e300 x)) gets the small step it needs;
the working precision covers the step and the cancellation of each difference, measured.
Past :data:`MAX_BITS` bits of working precision, or :data:`SECONDS` of time, there is no
reference and the reason says why.
"""

from __future__ import annotations

import math
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import mpmath

from ..errors import VjpchainError
from ..exact import digits, evaluate
from ..generic import MPC
from ..mpcontext import at_precision

__all__ = ["MAX_BITS", "MAX_STEP_BITS", "SECONDS", "OutOfTime", "time_limit",
           "derivative_reference", "max_bits"]

MAX_BITS = 1 << 14
"""Working precision of a reference, at most (bits), beyond 4 times its target."""

MAX_STEP_BITS = 2400
"""How far below |x| the step may shrink, at most, beyond half the target (bits): past the
whole exponent range of float64 twice over, a function of a float that has not settled is
not differentiable there (atan2 at the origin)."""

SECONDS = 2.0
"""Time for one reference, at most (where a timer is available: the main thread on POSIX)."""


def max_bits(target: int) -> int:
    """The working precision a reference of ``target`` bits may use."""
    return MAX_BITS + 4 * target


class OutOfTime(BaseException):  # noqa: N818 - like KeyboardInterrupt, not an error
    """Raised by :func:`time_limit` when the time is up. A BaseException, like
    KeyboardInterrupt, so that no ``except Exception`` on the way turns it into an error of
    the computation it interrupts."""


_used: set[int] = set()  # the precisions of the private contexts a reference has used


@contextmanager
def time_limit(seconds: float) -> Iterator[bool]:
    """Raise :class:`OutOfTime` in this thread after ``seconds``; yields whether the limit is
    armed (it needs SIGALRM, the main thread, and no alarm of someone else's in use).

    An interrupted mpmath computation may leave a private context at a raised precision;
    the contexts a reference used are set back afterwards.
    """
    usable = (hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread()
              and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None)
              and signal.getitimer(signal.ITIMER_REAL)[0] == 0)
    if not usable:
        yield False
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise OutOfTime

    previous = signal.signal(signal.SIGALRM, on_alarm)
    _used.clear()
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield True
    except OutOfTime:
        for prec in _used:  # an interrupted mpmath function may not have restored them
            at_precision(prec).prec = prec
        raise
    finally:
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:
            signal.signal(signal.SIGALRM, previous)


def _real(value: Any) -> Any | None:
    if isinstance(value, MPC):
        return value.real if value.imag == 0 else None
    return value


_TOO_BIG = "too big a step"


def _central(f: Callable[[Any], Any], x: float, e: int, target: int,
             limit: int) -> tuple[Any | None, str]:
    """The central difference at step 2**-e |x| (2**-e at 0), with at least ``target``
    correct bits of the difference; or None and why not (:data:`_TOO_BIG`: the values at
    x +- h are beyond 2**limit, so the step is too big for the function)."""
    wp = target + e + 64  # x +- h exact: x has 53 bits, h sits e bits below it
    for _ in range(4):
        wp = -(-wp // 64) * 64  # few distinct precisions: at_precision keeps their contexts
        if wp > limit:
            return None, f"it needs more than {limit} bits"
        ctx = at_precision(wp)
        _used.add(wp)
        xm = ctx.mpf(x)
        h = ctx.ldexp(abs(xm) if x != 0 else ctx.mpf(1), -e)
        try:
            right, left = _real(evaluate(f, ctx, xm + h)), _real(evaluate(f, ctx, xm - h))
        except (ValueError, ArithmeticError, TypeError, VjpchainError) as exc:
            return None, f"mpmath cannot evaluate the function next to x ({exc})"
        if right is None or left is None:
            return None, "the function is not real next to x"
        if not (mpmath.isfinite(right) and mpmath.isfinite(left)):
            return None, "the function is not finite next to x"
        largest = max(abs(right), abs(left))
        if largest != 0 and int(ctx.mag(largest)) > limit:
            return None, _TOO_BIG
        diff = right - left
        if diff == 0:
            if largest == 0 or wp >= 2 * (target + e + 64):
                return ctx.mpf(0), ""  # equal at twice the precision: f' = 0 to this step
            wp *= 2
            continue
        loss = int(ctx.mag(largest)) - int(ctx.mag(diff))  # bits cancelled in the difference
        if wp - max(loss, 0) >= target + 32:
            return diff / (2 * h), ""
        wp = target + e + 64 + loss
    return None, f"the difference cancels beyond {limit} bits"


def derivative_reference(f: Callable[[Any], Any], x: float, dps: int) -> tuple[Any | None, str]:
    """``(f'(x) correct to dps digits, "")``, or ``(None, why there is none)``.

    ``f`` is evaluated on mpmath numbers of private contexts (vjpchain's functions follow
    their argument's context). Bounded: at most :func:`max_bits` bits of working precision
    and, where a timer is available, :data:`SECONDS` seconds.
    """
    if not math.isfinite(x):
        return None, f"x = {x!r} is not a finite point"
    out = digits(dps)
    target = out.prec
    limit = max_bits(target)
    try:
        with time_limit(SECONDS):
            compare = at_precision(target + 64)  # estimates come at different precisions
            _used.add(target + 64)
            try:
                y = _real(evaluate(f, compare, compare.mpf(x)))
            except (ValueError, ArithmeticError, TypeError, VjpchainError) as exc:
                return None, f"mpmath cannot evaluate the function at x ({exc})"
            if y is None or not mpmath.isfinite(y):
                return None, f"the function is {'not real' if y is None else y} at x"
            if y != 0 and abs(int(compare.mag(y))) > limit:
                return None, f"its value is beyond 2**{limit}"
            e = target // 2 + 16
            previous = None
            while True:
                d, why = _central(f, x, e, target, limit)
                if d is None and why != _TOO_BIG:
                    return None, why
                if d is not None:
                    d = compare.convert(d)
                    if previous is not None and abs(d - previous) <= abs(d) * compare.ldexp(
                            1, -target - 2):
                        return out.convert(d), ""
                previous = d
                e += target // 2 + 16
                if target + e + 64 > limit or e > target // 2 + MAX_STEP_BITS:
                    return None, (f"the difference quotients do not settle with steps down "
                                  f"to 2**-{e - target // 2 - 16} |x| within {limit} bits")
    except OutOfTime:
        return None, f"it takes more than {SECONDS:g} s"
    except RecursionError:
        return None, "mpmath cannot evaluate the function there (recursion too deep)"
