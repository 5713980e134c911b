"""checkpointed_vjp: the plain pullback's result bit for bit, with the binomial bound's cost."""

import gc
import math
import threading
import tracemalloc
from collections import deque
from functools import cache

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import vjpchain as vc
from vjpchain import PrimitiveDomainError, RuleOutputError, UnknownPrimitiveError, vjp
from vjpchain.checkpoint import binomial_bound, checkpointed_vjp

PATTERN = [math.sin, math.cos, math.exp, math.log1p, math.tanh]


def pattern(n):
    """A tame chain of n steps: values stay in [-1, 3] from any input in [-1, 1]."""
    return (PATTERN * (n // len(PATTERN) + 1))[:n]


# --- the bound ------------------------------------------------------------------------------


def fewest_advances(n, s):
    """Exhaustive search over every schedule (0-1 BFS): the fewest forward step evaluations
    that reverse n steps holding at most s stored states plus one working state.

    A configuration is (stored positions, working position, steps left to reverse). Moves:
    advance the working state one step (cost 1), store it, drop a stored state, copy a
    stored state into the working one, or reverse step end-1 from a working x_{end-1}.
    """
    start = (frozenset({0}), 0, n)
    best = {start: 0}
    queue = deque([(0, start)])
    while queue:
        cost, state = queue.popleft()
        if cost > best[state]:
            continue
        stored, work, end = state
        if end == 0:
            return cost
        moves = [(0, (stored, p, end)) for p in stored]
        moves += [(0, (stored - {p}, work, end)) for p in stored]
        if work is not None:
            if work < end - 1:
                moves.append((1, (stored, work + 1, end)))
            if work not in stored and len(stored) < s:
                moves.append((0, (stored | {work}, work, end)))
            if work == end - 1:
                moves.append((0, (frozenset(p for p in stored if p < work), None, work)))
        for step_cost, nxt in moves:
            total = cost + step_cost
            if total < best.get(nxt, math.inf):
                best[nxt] = total
                if step_cost:
                    queue.append((total, nxt))
                else:
                    queue.appendleft((total, nxt))
    raise AssertionError("unreachable: storing nothing but the input always works")


@cache
def fewest_by_splitting(length, states):
    """Griewank's recursion, minimised over every split: advance m, store, reverse the rest
    with one state fewer, then the first m steps."""
    if length <= 1:
        return 0
    if states == 1:
        return length * (length - 1) // 2
    return min(m + fewest_by_splitting(length - m, states - 1) + fewest_by_splitting(m, states)
               for m in range(1, length))


def test_bound_equals_exhaustive_search_over_all_schedules():
    for n in range(0, 8):
        for s in range(1, 5):
            assert binomial_bound(n, s) == fewest_advances(n, s), (n, s)


def test_bound_equals_best_split_recursion():
    for n in range(0, 120):
        for s in range(1, 12):
            assert binomial_bound(n, s) == fewest_by_splitting(n, s), (n, s)


def test_bound_limits():
    """s = 1: every state from the input, n(n-1)/2; s >= n - 1: the forward sweep alone."""
    for n in (2, 10, 1000):
        assert binomial_bound(n, 1) == n * (n - 1) // 2
        assert binomial_bound(n, n - 1) == binomial_bound(n, 10 * n) == n - 1
    # r = 2 exactly when n <= binomial(s + 2, 2): every step advanced at most twice
    assert binomial_bound(10, 3) == 2 * 10 - math.comb(5, 1)
    with pytest.raises(ValueError, match="s >= 1"):
        binomial_bound(5, 0)


TABLE = [(1, 1), (2, 1), (7, 1), (50, 1), (2, 5), (5, 4), (6, 5), (40, 39), (40, 100),
         (10, 2), (10, 3), (11, 3), (100, 2), (100, 3), (100, 5), (1000, 4), (1000, 10),
         (2001, 10), (3003, 10), (3004, 10), (5000, 30)]


@pytest.mark.parametrize(("n", "s"), TABLE)
def test_recomputations_equal_the_bound(n, s):
    chain = pattern(n)
    y, pullback = checkpointed_vjp(chain, 0.5, s)
    stats = pullback.stats
    assert stats.forward_evaluations == n and stats.bound == binomial_bound(n, s)
    assert stats.recomputation_bound == binomial_bound(n, s) - (n - 1)
    pullback(1.0)
    pullback(1.0)
    first, later = stats.recomputations
    assert first == stats.recomputation_bound
    # the forward sweep's advances and the first reversal's recomputations: t(n, s) in all
    assert (n - 1) + first == binomial_bound(n, s)
    assert later == stats.repeat_bound == binomial_bound(n - 1, s)
    assert stats.reverse_evaluations == [n - 1 + first, n - 1 + later]
    assert stats.peak_checkpoints <= s
    if s >= n - 1:
        assert first == 0
    if s == 1:
        assert first == (n - 1) * (n - 2) // 2


def test_uses_all_checkpoints_when_short_of_memory():
    _, pullback = checkpointed_vjp(pattern(1000), 0.5, 10)
    assert pullback.stats.peak_checkpoints == 10


# --- same numbers as the plain pullback -----------------------------------------------------


def _sincube_rule(x):
    """A full rule (no derivative declared): its pullback closure is replayed."""
    s, c = vc.sin(x), vc.cos(x)

    def sincube_pullback(y_bar):
        return y_bar * (3 * s * s * c)

    return s * s * s, sincube_pullback


MINE = vc.default_registry.copy()
MINE.register("sincube", _sincube_rule)

STEPS = [math.sin, math.cos, math.tanh, math.atan, np.sin, "sigmoid", "erf", vc.softplus,
         vc.scale(0.5), vc.shift(1.0), "sincube"]


def same(a, b):
    """Equal to the last bit (and of the same type)."""
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and np.array_equal(a, b)
    return type(a) is type(b) and a == b


@given(chain=st.lists(st.sampled_from(STEPS), max_size=40),
       x=st.floats(-3, 3), s=st.integers(1, 45),
       y_bars=st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=3))
def test_equals_plain_pullback_bit_for_bit(chain, x, s, y_bars):
    y, pullback = checkpointed_vjp(chain, x, s, rules=MINE)
    y0, pullback0 = vjp(chain, x, rules=MINE)
    assert same(y, y0)
    for y_bar in y_bars:
        assert same(pullback(y_bar), pullback0(y_bar))
    assert pullback.stats.peak_checkpoints <= s


def test_array_chain_of_a_thousand_steps():
    x = np.linspace(-1.0, 1.0, 1000)
    chain = pattern(1000)
    y, pullback = checkpointed_vjp(chain, x, 10)
    y0, pullback0 = vjp(chain, x)
    assert same(y, y0) and np.isfinite(y).all()
    ones, ramp = np.ones_like(x), np.linspace(0.0, 2.0, 1000)
    assert same(pullback(ones), pullback0(ones))
    assert same(pullback(ramp), pullback0(ramp))
    assert same(pullback(3.0), pullback0(3.0))  # a number cotangent broadcasts as in vjp


def test_mpmath_and_complex_inputs():
    chain = pattern(60)
    with mpmath.workdps(40):
        x = mpmath.mpf("0.25")
        y, pullback = checkpointed_vjp(chain, x, 4)
        y0, pullback0 = vjp(chain, x)
        assert same(y, y0) and same(pullback(mpmath.mpf(1)), pullback0(mpmath.mpf(1)))
    z = 0.3 + 0.2j
    y, pullback = checkpointed_vjp(chain, z, 3)
    y0, pullback0 = vjp(chain, z)
    assert same(y, y0) and same(pullback(1 + 0j), pullback0(1 + 0j))


def test_long_float_chain():
    """10**5 steps in 10 states: no recursion, the bound met, the plain result reproduced."""
    n = 100_000
    chain = pattern(n)
    y, pullback = checkpointed_vjp(chain, 0.5, 10)
    y0, pullback0 = vjp(chain, 0.5)
    assert same(y, y0)
    assert same(pullback(1.0), pullback0(1.0))
    assert pullback.stats.recomputations == [pullback.stats.recomputation_bound]
    assert pullback.stats.peak_checkpoints == 10


def test_short_chains_and_iterables():
    assert checkpointed_vjp([], 2.5, 1)[0] == 2.5
    assert checkpointed_vjp([], 2.5, 1)[1](7.0) == 7.0
    y, pullback = checkpointed_vjp(iter([math.exp]), 1, 1)  # int input becomes a float
    assert (y, pullback(1.0), pullback(2.0)) == (math.e, math.e, 2 * math.e)
    assert pullback.length == 1 and "1 steps" in repr(pullback)
    y, pullback = checkpointed_vjp((math.sin, math.sin, math.exp), 2.0, 1)
    assert (y, pullback(1.0)) == (2.2013533791690376, -0.562752038662712)


# --- memory -------------------------------------------------------------------------------------


def _peak_bytes(fn):
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_within_the_checkpoints():
    """2000 steps over 10**4 float64 points: all states would take 160 MB; 10 take 0.8 MB."""
    n, points, s = 2000, 10_000, 10
    state_bytes = points * 8
    x = np.linspace(-1.0, 1.0, points)
    cheap = [math.sin, math.cos, math.exp]  # tanh's and log1p's accurate kernels are slow
    chain = (cheap * n)[:n]
    # a derivative kernel may use several array temporaries
    one_step = max(_peak_bytes(lambda f=f: vjp([f], x + 1.0)[1](x)) for f in cheap)
    gc.collect()
    tracemalloc.start()
    try:
        y, pullback = checkpointed_vjp(chain, x, s)
        _, forward_peak = tracemalloc.get_traced_memory()
        del y
        tracemalloc.reset_peak()
        x_bar = pullback(np.ones(points))
        _, reverse_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert np.isfinite(x_bar).all()
    assert pullback.stats.peak_checkpoints == s
    # s stored states; the cotangents, the working state, the last step's derivative, and one
    # step's own temporaries
    for peak in (forward_peak, reverse_peak):
        assert peak < (s + 8) * state_bytes + one_step
        assert peak < 160e6 / 20


# --- errors -------------------------------------------------------------------------------------


def test_checkpoints_must_be_a_positive_int():
    with pytest.raises(ValueError, match="at least 1.*pass the number of states"):
        checkpointed_vjp([math.sin], 1.0, 0)
    for bad in (2.0, "3", True, None):
        with pytest.raises(TypeError, match="checkpoints must be an int"):
            checkpointed_vjp([math.sin], 1.0, bad)


def _message(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value)


@pytest.mark.parametrize(("chain", "x"), [
    ([math.cos, math.log, math.exp], math.pi),
    ([math.sin] * 30 + [vc.shift(-5.0), math.log, math.exp], 1.0),
    ([math.sin, math.gamma], 1.0),
    ([math.sin, [1, 2]], 1.0),
    (["sin", "bad"], 1.0),
    (["sin", "abs"], 1 + 1j),
])
def test_errors_are_those_of_vjp(chain, x):
    """Same type and message, naming the same chain position, whatever the checkpoints."""
    rules = vc.default_registry.copy()
    rules.register("bad", lambda x: x * 2)
    expected = _message(lambda: vjp(chain, x, rules=rules))
    for s in (1, 3, 100):
        assert _message(lambda s=s: checkpointed_vjp(chain, x, s, rules=rules)) == expected


def test_error_raised_by_a_derivative_alone_surfaces_in_the_pullback():
    rules = vc.default_registry.copy()
    rules.scalar_rule("ident", lambda x, y: 1.0 / x, primal=lambda x: x)
    chain = ["sin", "ident", "exp", "exp"]
    expected = _message(lambda: vjp(chain, 0.0, rules=rules))
    assert expected[0] is PrimitiveDomainError and "chain[1]" in expected[1]
    for s in (1, 2, 4):
        y, pullback = checkpointed_vjp(chain, 0.0, s, rules=rules)
        assert _message(lambda p=pullback: p(1.0)) == expected


def test_error_classes_are_the_library_ones():
    with pytest.raises(UnknownPrimitiveError, match="chain.1."):
        checkpointed_vjp([math.sin, math.gamma], 1.0, 2)
    rules = vc.default_registry.copy()
    rules.register("bad3", lambda x: (x, None))
    with pytest.raises(RuleOutputError, match="chain.2."):
        checkpointed_vjp(["sin", "cos", "bad3"], 1.0, 2, rules=rules)


def test_pullback_shared_between_threads():
    """The first call takes the forward sweep's states; concurrent calls start from x."""
    chain = pattern(3000)
    _, pullback0 = vjp(chain, 0.5)
    expected = pullback0(1.0)
    _, pullback = checkpointed_vjp(chain, 0.5, 6)
    results = []
    threads = [threading.Thread(target=lambda: results.append(pullback(1.0)))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 4
    stats = pullback.stats
    assert sorted(stats.recomputations) == sorted(
        [stats.recomputation_bound] + [stats.repeat_bound] * 3)
