"""Errors name the chain position, the primitive and the input, and say what to do."""

import math

import mpmath
import numpy as np
import pytest

import vjpchain as vc
from vjpchain import (
    PrimitiveDomainError,
    RuleOutputError,
    UnknownPrimitiveError,
    UnsupportedInputError,
    val_and_grad,
    vjp,
)


def test_unknown_primitive_says_where_and_how_to_register():
    with pytest.raises(UnknownPrimitiveError) as info:
        val_and_grad([math.sin, math.sin, math.gamma], 3.5)
    msg = str(info.value)
    assert "math.gamma" in msg and "chain[2]" in msg and "input" in msg
    assert "vjpchain.register(math.gamma" in msg
    assert isinstance(info.value, LookupError)


def test_unknown_name_suggests_a_close_one():
    with pytest.raises(UnknownPrimitiveError, match="Did you mean 'sigmoid'"):
        val_and_grad(["sigmod"], 1.0)


def test_unhashable_chain_element():
    with pytest.raises(UnknownPrimitiveError, match="not hashable"):
        val_and_grad([[1, 2]], 1.0)


def test_domain_error_keeps_cause_and_position():
    with pytest.raises(PrimitiveDomainError) as info:
        val_and_grad([math.cos, math.log, math.exp], math.pi)  # log(-1.0)
    msg = str(info.value)
    assert "chain[1]" in msg and "math.log" in msg and "-1.0" in msg and "domain" in msg
    assert isinstance(info.value.__cause__, ValueError)
    assert isinstance(info.value, ValueError)


def test_division_by_zero_is_a_domain_error():
    with pytest.raises(PrimitiveDomainError, match="reciprocal"):
        val_and_grad(["reciprocal"], 0.0)


def test_mpf_input_shows_as_mpf_in_errors():
    with mpmath.workdps(20), pytest.raises(UnknownPrimitiveError, match=r"mpf\('2.5'\)"):
        val_and_grad(["nope"], mpmath.mpf("2.5"))


def test_rule_returning_wrong_shape_is_a_type_error_naming_the_rule():
    mine = vc.default_registry.copy()
    mine.register("bad", lambda x: x * 2)
    mine.register("bad3", lambda x: (x, None))
    for name in ("bad", "bad3"):
        with pytest.raises(RuleOutputError) as info:
            vjp(["sin", name], 1.0, rules=mine)
        msg = str(info.value)
        assert f"rule {name!r}" in msg and "chain[1]" in msg and "(output, pullback)" in msg
        with pytest.raises(RuleOutputError):
            vc.jvp(["sin", name], 1.0, 1.0, rules=mine)


def test_unsupported_input_type():
    for bad in ("2.0", None, True):
        with pytest.raises(UnsupportedInputError, match="must be an int, float, complex"):
            val_and_grad([math.sin], bad)
    # a list or tuple is one input: say how to pass several, or an array
    for bad in ([2.0], (2.0, 10.0)):
        with pytest.raises(UnsupportedInputError, match=r"grad\(f, \*xs\).*numpy.array"):
            val_and_grad([math.sin], bad)


def test_unsupported_type_midway_names_the_step():
    """abs has no complex form (not holomorphic); the error says where the chain stopped."""
    with pytest.raises(UnsupportedInputError) as info:
        val_and_grad(["sin", "abs"], 1 + 1j)
    assert "chain[1]" in str(info.value) and "complex" in str(info.value)


def test_error_inside_user_rule_gets_a_note():
    mine = vc.default_registry.copy()

    def broken_rule(x):
        raise KeyError("oops")

    mine.register("broken", broken_rule)
    with pytest.raises(KeyError) as info:
        vjp(["sin", "broken"], 1.0, rules=mine)
    assert any("chain[1]" in note for note in info.value.__notes__)


def test_numpy_domain_gives_nan_and_warning_not_error():
    with pytest.warns(RuntimeWarning):
        y, g = val_and_grad([np.sqrt], np.array([4.0, -1.0]))
    assert y[0] == 2.0 and math.isnan(y[1]) and g[0] == 0.25
