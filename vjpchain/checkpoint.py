"""Binomial checkpointing (revolve): the pullback of a long chain for a fixed number of states.

Plain :func:`vjpchain.vjp` stores one derivative per step, so its memory grows with the chain.
:func:`checkpointed_vjp` keeps at most ``s`` states (primal values, the input counting as one)
and recomputes the others from the nearest stored one, following the binomial schedule of
Griewank and Walther, which needs the fewest step evaluations for a chain of known length:

    A. Griewank, A. Walther, "Algorithm 799: revolve: an implementation of checkpointing for
    the reverse or adjoint mode of computational differentiation", ACM TOMS 26(1), 19-45
    (2000), doi:10.1145/347837.347846; A. Griewank, A. Walther, "Evaluating Derivatives",
    2nd ed., SIAM 2008, ch. 12; first in A. Griewank, "Achieving logarithmic growth of
    temporal and spatial complexity in reverse automatic differentiation", Optimization
    Methods and Software 1 (1992) 35-54.

With ``beta(c, r) = binomial(c + r, c)`` (the longest chain that ``c`` states reverse when no
step is advanced more than ``r`` times), reversing ``n`` steps from a stored input with ``s``
states takes at least

    t(n, s) = r*n - beta(s + 1, r - 1) = r*n - binomial(s + r, r - 1)

forward step evaluations ("advances", each step is also evaluated once with its derivative),
where ``r`` is the smallest integer with ``beta(s, r) >= n``. Of these, ``n - 1`` are the
forward sweep itself; the remaining ``t(n, s) - (n - 1)`` are recomputations.

The schedule is the recursion ``T(l, c) = min over m of m + T(l - m, c - 1) + T(m, c)``
(advance ``m`` steps and store the state, reverse the part after it with one state fewer, then
the part before it), run as a loop over an explicit stack of stored states: no recursion and
no per-step storage, so chains of any length work. The split ``m`` comes in closed form: any
``m`` with ``beta(c, r - 2) < m <= beta(c, r - 1)`` and ``beta(c - 1, r - 1) < l - m <= beta(c
- 1, r)`` is optimal (the cost is convex in ``m`` and its slopes balance there).
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from math import comb
from typing import Any, NoReturn

from .chain import bad_output, check_input, fail
from .errors import RuleOutputError
from .registry import Registry, registry_of
from .rule import Rule
from .step import advance, check_cotangent, linearize, pull

__all__ = ["checkpointed_vjp", "CheckpointedPullback", "CheckpointStats", "binomial_bound"]


# --- the binomial schedule ------------------------------------------------------------------


def _repetitions(length: int, states: int) -> int:
    """The smallest ``r`` with ``binomial(states + r, r) >= length``."""
    r, reach = 0, 1
    while reach < length:
        r += 1
        reach = reach * (states + r) // r  # beta(c, r) = beta(c, r - 1) * (c + r) / r, exact
    return r


def binomial_bound(n: int, s: int) -> int:
    """``t(n, s) = r*n - binomial(s + r, r - 1)``: the fewest forward step evaluations that
    reverse ``n`` steps with ``s`` stored states (the input's included).

    ``r`` is the smallest integer with ``binomial(s + r, s) >= n`` (Griewank and Walther,
    ACM TOMS 26 (2000) 19-45; "Evaluating Derivatives", ch. 12). It counts the ``n - 1``
    evaluations of the forward sweep; a checkpointed pullback recomputes the other
    ``t(n, s) - (n - 1)``. Each step is also evaluated once more, with its derivative.

    Args:
        n: the number of steps (>= 0).
        s: the number of states that may be stored at once, the input's included (>= 1).

    Returns:
        The minimal number of forward step evaluations (0 for ``n <= 1``).

    Example:
        >>> binomial_bound(10, 1), binomial_bound(10, 3), binomial_bound(10, 9)
        (45, 15, 9)
    """
    if s < 1:
        raise ValueError(f"binomial_bound needs s >= 1 stored state (got {s!r})")
    if n <= 1:
        return 0
    r = _repetitions(n, s)
    return r * n - comb(s + r, r - 1)


def _split(length: int, states: int) -> int:
    """How far to advance before storing the next state, for ``length >= 2`` steps to reverse
    from a stored state with ``states >= 2`` states available (that one included)."""
    r = _repetitions(length, states)
    below = comb(states + r - 2, r - 2) if r >= 2 else 0  # beta(c, r - 2)
    return max(below + 1, length - comb(states - 1 + r, r))  # l - beta(c - 1, r)


# --- the steps ------------------------------------------------------------------------------


class _Step:
    """A chain element resolved to its rule: ``advance(x) -> y`` without the derivative."""

    __slots__ = ("prim", "rule", "advance")

    def __init__(self, prim: Any, rule: Rule) -> None:
        self.prim = prim
        self.rule = rule
        if rule.derivative is not None and rule.primal is not None:
            self.advance: Callable[[Any], Any] = rule.primal
        else:
            self.advance = partial(advance, rule)


def _raise_at(exc: BaseException, i: int, step: _Step | None, prim: Any, x: Any,
              registry: Registry) -> NoReturn:
    """Re-raise ``exc`` from chain[i] the way :func:`vjpchain.vjp` reports it."""
    if isinstance(exc, RuleOutputError):
        if step is not None and getattr(exc, "placed", True) is False:
            raise bad_output(step.rule, exc.rule_output, i, prim, x) from None  # type: ignore[attr-defined]
        raise exc
    err = fail(exc, i, prim, x, registry)
    if err is exc:
        raise exc
    raise err from exc


def _tape(step: _Step, x: Any) -> tuple[Any, Any]:
    """``(y, local)``: the output of ``step`` at ``x`` and its local derivative, or its
    pullback closure for a full rule (:func:`vjpchain.step.linearize`)."""
    return linearize(step.rule, x)


# --- the pullback ---------------------------------------------------------------------------


@dataclass
class CheckpointStats:
    """What a checkpointed pullback spent, in primitive evaluations.

    An evaluation is one primitive applied to one state: an *advance* computes the output
    alone, a *taping* evaluation also its derivative (or pullback). Plain :func:`vjp` makes
    ``length`` taping evaluations and stores them all.

    Attributes:
        length: ``n``, the number of steps.
        checkpoints: ``s``, the most states that may be stored at once (input included).
        peak_checkpoints: the most states that were stored at once, over all sweeps so far.
        forward_evaluations: evaluations in the forward sweep (``n``: ``n - 1`` advances that
            place the first checkpoints, and the last step with its derivative).
        reverse_evaluations: evaluations in each reverse sweep (one entry per pullback call):
            ``n - 1`` tapings plus the recomputations.
        recomputations: the advances in each reverse sweep, made only to rebuild states.
        bound: ``t(n, s)`` (:func:`binomial_bound`), the fewest advances for one reversal;
            the forward sweep plus the first reverse sweep make exactly this many.
        recomputation_bound: ``t(n, s) - (n - 1)``, the fewest recomputations for the first
            reverse sweep; ``recomputations[0]`` equals it.
        repeat_bound: ``t(n - 1, s)``, the recomputations of every later reverse sweep, which
            starts again from the input (the first one used up the forward sweep's states).
    """

    length: int
    checkpoints: int
    peak_checkpoints: int = 0
    forward_evaluations: int = 0
    reverse_evaluations: list[int] = field(default_factory=list)
    recomputations: list[int] = field(default_factory=list)
    bound: int = 0
    recomputation_bound: int = 0
    repeat_bound: int = 0


class CheckpointedPullback:
    """The pullback of a chain that keeps at most ``checkpoints`` states and recomputes the rest.

    ``x_bar = pullback(y_bar)``; call it any number of times. The result equals plain
    ``vjp(chain, x)[1](y_bar)``: the same local derivatives, multiplied in the same order.

    Attributes:
        length: the number of primitives in the chain.
        stats: a :class:`CheckpointStats` with the evaluations spent so far.
    """

    __slots__ = ("_steps", "_x", "_last", "_saved", "_registry", "_lock", "stats", "_output")

    def __init__(self, steps: list[_Step], x: Any, last: Any, saved: list[tuple[int, Any]],
                 registry: Registry, stats: CheckpointStats, output: Any = None) -> None:
        self._output = output  # what a cotangent must look like (check_cotangent)
        self._steps = steps
        self._x = x
        self._last = last  # the last step's derivative or pullback, from the forward sweep
        self._saved: list[tuple[int, Any]] | None = saved
        self._registry = registry
        self._lock = threading.Lock()
        self.stats = stats

    @property
    def length(self) -> int:
        return len(self._steps)

    def __call__(self, y_bar: Any) -> Any:
        check_cotangent(y_bar, self._output)
        n = len(self._steps)
        if n == 0:
            with self._lock:
                self.stats.reverse_evaluations.append(0)
                self.stats.recomputations.append(0)
            return y_bar
        with self._lock:
            # The forward sweep's states serve the first call only: reversing overwrites them.
            stack, self._saved = self._saved, None
        if stack is None:
            stack = [(0, self._x)] if n > 1 else []
        elif stack and stack[-1][0] == n - 1:
            stack.pop()  # x_{n-1} was stored only to evaluate the last step
        last = self._last
        x_bar = pull(last, y_bar)
        x_bar, advances, peak = self._reverse(stack, n - 1, x_bar)
        with self._lock:
            self.stats.reverse_evaluations.append(n - 1 + advances)
            self.stats.recomputations.append(advances)
            self.stats.peak_checkpoints = max(self.stats.peak_checkpoints, peak)
        return x_bar

    def _reverse(self, stack: list[tuple[int, Any]], end: int,
                 x_bar: Any) -> tuple[Any, int, int]:
        """Pull ``x_bar`` back through steps ``end - 1, ..., 0``; ``stack`` holds stored
        ``(position, state)`` pairs, the input's at the bottom. Returns ``(x_bar, advances,
        peak stored states)``."""
        steps = self._steps
        budget = self.stats.checkpoints
        advances = 0
        peak = len(stack)
        i, x = -1, None
        try:
            while end > 0:
                start, x = stack[-1]
                length = end - start
                if length == 1:
                    stack.pop()  # the state is not needed after this step
                    i = start
                elif budget - len(stack) + 1 == 1:
                    # no free slot: advance a working state to the step and drop it after
                    for i in range(start, end - 1):
                        x = steps[i].advance(x)
                    advances += length - 1
                    i = end - 1
                else:
                    stop = start + _split(length, budget - len(stack) + 1)
                    for i in range(start, stop):
                        x = steps[i].advance(x)
                    advances += stop - start
                    stack.append((stop, x))
                    peak = max(peak, len(stack))
                    continue
                local = _tape(steps[i], x)[1]
                # outside the error wrapping, like ChainPullback: a bad cotangent is the caller's
                x_bar = pull(local, x_bar)
                end = i
        except Exception as exc:
            step = steps[i] if i >= 0 else None
            _raise_at(exc, i, step, step.prim if step else None, x, self._registry)
        return x_bar, advances, peak

    def __repr__(self) -> str:
        return (f"<CheckpointedPullback of {len(self._steps)} steps, "
                f"{self.stats.checkpoints} checkpoints>")


def checkpointed_vjp(chain: Iterable[Any], x: Any, checkpoints: int, *,
                     rules: Registry | None = None) -> tuple[Any, CheckpointedPullback]:
    """Like :func:`vjpchain.vjp`, ``y = f_n(...f_1(x))`` with its pullback, but storing at
    most ``checkpoints`` states and recomputing the others (optimal binomial checkpointing).

    The forward sweep evaluates each step once and stores the states where the revolve
    schedule puts them; each pullback call reverses the chain, recomputing missing states
    from the nearest stored one. The input counts as one of the ``checkpoints`` states (the
    Griewank-Walther convention): ``checkpoints=1`` recomputes everything from ``x``
    (quadratic time); ``checkpoints >= n - 1`` recomputes nothing. In between, the first
    reversal recomputes ``binomial_bound(n, s) - (n - 1)`` states, the fewest possible
    (about ``(r - 1) * n``: no state is evaluated more than ``r`` times, ``r`` the smallest
    integer with ``binomial(s + r, s) >= n``); ``pullback.stats`` reports the counts. Later
    calls start again from ``x`` and recompute ``binomial_bound(n - 1, s)`` states.

    The result equals the plain pullback's bit for bit: each step's derivative is recomputed
    from the same state and multiplied in the same order. Steps whose derivative raises where
    the primal does not (rare; not the built-in rules) raise when the pullback runs, with the
    same error and chain position. For mpmath inputs, call the pullback at the precision of
    the forward call to get the same digits: recomputation runs at the current precision.

    Args:
        chain: a sequence of primitives; it is materialized with ``list(chain)`` first.
        x: the input: int, float, complex, mpmath mpf/mpc, or a NumPy array (elementwise).
        checkpoints: ``s >= 1``, the most states (primal values) held at once.
        rules: the registry to use (default: ``vjpchain.default_registry``).

    Returns:
        ``(y, pullback)``; ``pullback`` takes a cotangent (a number, or an array of x's shape).

    Raises:
        ValueError: ``checkpoints`` is less than 1.
        UnknownPrimitiveError: a primitive has no rule.
        PrimitiveDomainError: a primitive failed on its input.
        RuleOutputError: a rule returned something other than ``(y, pullback)``.
        UnsupportedInputError: the input is not a supported number type.

    Example:
        >>> from math import sin, exp
        >>> from vjpchain import vjp
        >>> y, pullback = checkpointed_vjp([sin, sin, exp] * 4, 2.0, checkpoints=3)
        >>> pullback(1.0) == vjp([sin, sin, exp] * 4, 2.0)[1](1.0)
        True
        >>> s = pullback.stats
        >>> s.forward_evaluations, s.recomputations, s.recomputation_bound, s.peak_checkpoints
        (12, [10], 10, 3)
    """
    try:
        if isinstance(checkpoints, bool):
            raise TypeError
        budget = operator.index(checkpoints)
    except TypeError:
        raise TypeError(
            f"checkpoints must be an int, the number of states to store (got {checkpoints!r})"
        ) from None
    if budget < 1:
        raise ValueError(
            f"checkpoints must be at least 1 (got {checkpoints!r}): pass the number of states "
            "to keep, the input included; 1 recomputes every state from the input, "
            "len(chain) - 1 or more recomputes none"
        )
    x = check_input(x)
    registry = registry_of(rules)
    # one reference per step: the chain's elements, replaced in place by their resolved rules
    steps: list[Any] = list(chain)
    n = len(steps)
    stats = CheckpointStats(length=n, checkpoints=budget, forward_evaluations=n,
                            bound=binomial_bound(n, budget),
                            recomputation_bound=binomial_bound(n, budget) - max(n - 1, 0),
                            repeat_bound=binomial_bound(n - 1, budget) if n > 1 else 0)
    if n == 0:
        return x, CheckpointedPullback(steps, x, None, [], registry, stats, x)
    # The forward sweep: the reverse loop's first descent, advancing from the input to the
    # last step and storing states where the schedule says, before any derivative is taken.
    resolved: dict[Any, _Step] = {}
    stack: list[tuple[int, Any]] = [(0, x)]
    stop = _next_checkpoint(0, n, budget, 1)
    i, prim, step, state = -1, None, None, x
    try:
        for i in range(n):
            prim = steps[i]
            step = steps[i] = _resolve(prim, resolved, registry)
            if i < n - 1:
                state = step.advance(state)
                if i + 1 == stop:
                    stack.append((stop, state))
                    stop = _next_checkpoint(stop, n, budget, len(stack))
        assert step is not None
        y, last = _tape(step, state)
    except Exception as exc:
        _raise_at(exc, i, step, prim, state, registry)
    stats.peak_checkpoints = len(stack)
    return y, CheckpointedPullback(steps, x, last, stack, registry, stats, y)


def _next_checkpoint(start: int, n: int, budget: int, stored: int) -> int:
    """Where the forward sweep stores its next state, or -1 when it stores no more."""
    length, free = n - start, budget - stored + 1
    if length <= 1 or free <= 1:
        return -1
    return start + _split(length, free)


def _resolve(prim: Any, resolved: dict[Any, _Step], registry: Registry) -> _Step:
    """The rule of ``prim``, looked up once per distinct primitive."""
    if prim.__hash__ is None:
        registry.lookup(prim)  # raises UnknownPrimitiveError: unhashable
    step = resolved.get(prim)
    if step is None:
        step = resolved[prim] = _Step(prim, registry.lookup(prim))
    return step
