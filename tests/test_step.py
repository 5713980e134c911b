"""One step: every transform applies a rule the same way (vjpchain.step)."""

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vjpchain as vc
from vjpchain.step import Closure, linearize, pull

# primitives defined on the whole real line, so random chains never leave their domain
_TOTAL = ["sin", "cos", "atan", "tanh", "sigmoid", "neg", "square", "erf", "asinh", "abs",
          vc.scale(0.5), vc.shift(1.0), "softplus", "cbrt"]
_INPUTS = st.sampled_from(["float", "float32", "float64-array", "mpf", "numpy-scalar"])


def _make(kind, v):
    if kind == "float":
        return v
    if kind == "float32":
        return np.array([v, v / 2], np.float32)
    if kind == "float64-array":
        return np.array([v, -v, 0.25])
    if kind == "mpf":
        return mpmath.mpf(v)
    return np.float64(v)


def _same(a, b):
    """Same type, dtype, shape and values (nan equal to nan)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    return bool(a == b or (a != a and b != b))


@settings(max_examples=60, deadline=None)
@given(chain=st.lists(st.sampled_from(_TOTAL), min_size=0, max_size=5), kind=_INPUTS,
       v=st.floats(-3, 3))
def test_compiled_hot_and_interpreted_chains_agree_in_value_type_and_dtype(chain, kind, v):
    x = _make(kind, v)
    rules = vc.default_registry.copy()  # a fresh hot-chain cache
    first = vc.val_and_grad(list(chain), x, rules=rules)
    for _ in range(2):  # the second call onward runs the compiled chain
        again = vc.val_and_grad(list(chain), x, rules=rules)
        assert all(_same(a, b) for a, b in zip(first, again, strict=True)), (first, again)
    compiled = vc.compile_chain(chain, rules=rules)(x)
    assert all(_same(a, b) for a, b in zip(first, compiled, strict=True)), (first, compiled)


def test_neg_of_a_float32_array_keeps_its_type_when_compiled():
    x = np.array([1.0, 2.0], np.float32)
    for _ in range(3):
        y, d = vc.val_and_grad(["neg"], x)
        assert isinstance(d, np.ndarray) and d.dtype == np.float32 and list(d) == [-1, -1]


def _pi_derivative(x, y):
    return mpmath.pi  # a callable constant: a derivative, not a pullback


@pytest.mark.parametrize("mode", ["chain", "compiled", "traced", "dual", "checkpointed"])
def test_a_callable_derivative_is_a_derivative_next_to_a_full_rule(mode):
    rules = vc.default_registry.copy()
    rules.scalar_rule("pix", _pi_derivative, primal=lambda x: x * mpmath.pi)

    @rules.register("twice")
    def twice_rule(x):
        def twice_pullback(y_bar):
            return 2 * y_bar
        return 2 * x, twice_pullback

    chain = ["pix", "twice"]
    x = mpmath.mpf(1)
    expected = 2 * mpmath.pi
    if mode == "chain":
        got = vc.grad(chain, x, rules=rules)
    elif mode == "compiled":
        got = vc.compile_chain(chain, rules=rules)(x)[1]
    elif mode == "traced":
        got = vc.grad(chain, x, rules=rules)
    elif mode == "dual":
        got = vc.jvp(chain, x, mpmath.mpf(1), rules=rules)[1]
    else:
        got = vc.vjp(chain * 3, x, rules=rules, checkpoints=2)[1](mpmath.mpf(1))
        expected = expected**3
    assert abs(got - expected) < 1e-12 * abs(expected)


def test_linearize_tags_pullbacks_and_pull_applies_both():
    sin = vc.default_registry.lookup("sin")
    y, local = linearize(sin, 0.5)
    assert y == math.sin(0.5) and local == math.cos(0.5) and pull(local, 2.0) == 2 * local
    rule = vc.default_registry.copy()
    rule.register("id", lambda x: (x, lambda y_bar: 3 * y_bar))
    y, local = linearize(rule.lookup("id"), 1.0)
    assert type(local) is Closure and pull(local, 2.0) == 6.0


def test_a_bad_full_rule_output_is_a_rule_output_error_everywhere():
    rules = vc.default_registry.copy()
    rules.register("bad", lambda x: (x, None))
    with pytest.raises(vc.RuleOutputError, match=r"chain\[0\]"):
        vc.grad(["bad"], 1.0, rules=rules)
    with pytest.raises(vc.RuleOutputError):
        linearize(rules.lookup("bad"), 1.0)
