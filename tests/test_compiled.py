"""Compiled chains equal the interpreter bit for bit, on every number type."""

import math
import threading
import time

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import vjpchain as vc
from vjpchain import compile_chain, val_and_grad
from vjpchain import compiled as compiled_module

PRIMS = [vc.sin, vc.cos, vc.tanh, vc.atan, vc.sigmoid, vc.erf, vc.asinh, vc.exp, vc.log1p,
         vc.softplus, vc.sinc, vc.square, vc.neg, vc.scale(0.5), vc.shift(0.25),
         vc.power(3), math.sin, "cbrt"]


@given(chain=st.lists(st.sampled_from(PRIMS), max_size=8), x=st.floats(-3, 3))
def test_bit_for_bit_equal_to_interpreter(chain, x):
    try:
        expected = val_and_grad(chain, x)
    except vc.PrimitiveDomainError:
        return
    got = compile_chain(chain)(x)
    # the same floats, nan included (0 * inf at a singular point is nan on both sides)
    assert [repr(v) for v in got] == [repr(v) for v in expected]


def test_other_number_types():
    chain = [math.sin, math.sin, math.exp]
    f = compile_chain(chain)
    x = np.linspace(-1, 1, 5)
    y, g = f(x)
    ye, ge = val_and_grad(chain, x)
    np.testing.assert_array_equal(y, ye)
    np.testing.assert_array_equal(g, ge)
    with mpmath.workdps(40):
        assert f(mpmath.mpf(2)) == val_and_grad(chain, mpmath.mpf(2))
    assert f(2) == val_and_grad(chain, 2.0)
    assert f(1 + 1j) == val_and_grad(chain, 1 + 1j)


def test_falls_back_to_a_user_rule_without_declaration():
    rules = vc.default_registry.copy()

    def softsign_rule(x):
        s = 1 + abs(x)

        def softsign_pullback(y_bar):
            return y_bar / (s * s)

        return x / s, softsign_pullback

    rules.register("softsign", softsign_rule)
    chain = ["sin", "softsign", "exp"]
    f = compile_chain(chain, rules=rules)
    assert f(0.7) == val_and_grad(chain, 0.7, rules=rules)
    assert "softsign_rule(x1)" in f.source and "pullback2" in f.source


def test_overflow_matches_interpreter():
    f = compile_chain(["exp", "exp"])
    assert f(10.0) == val_and_grad(["exp", "exp"], 10.0) == (math.inf, math.inf)


def test_source_reads_as_a_derivative_program():
    src = compile_chain(["tanh", "log1p"]).source
    assert "x1 = tanh(x0)" in src and "d1 = d_tanh(x0)" in src
    assert "# chain[1]: log1p, derivative 1/(1 + x)" in src
    assert compile_chain([]).length == 0
    assert compile_chain([])(3.0) == (3.0, 1.0)


def test_the_hot_chain_cache_keeps_no_user_data_alive():
    import gc
    import weakref

    import numpy as np

    import vjpchain as vc

    refs = []
    for _ in range(50):
        data = np.ones(1000)
        refs.append(weakref.ref(data))
        step = vc.primitive(lambda x, data=data: x * data[0], lambda x, y: 1.0)
        for _ in range(3):  # enough calls to be compiled if it were cached
            assert vc.val_and_grad([step, "sin"], 0.5) == vc.val_and_grad(["sin"], 0.5)
        del data, step
    gc.collect()
    assert sum(r() is not None for r in refs) == 0


def test_parametric_steps_with_equal_values_of_other_types_do_not_share_caches():
    for _ in range(3):  # the third call runs the hot (compiled) chain
        assert vc.val_and_grad([vc.scale(1)], 2.0) == (2.0, 1.0)
        assert vc.val_and_grad([vc.scale(1 + 0j)], 2.0) == (2 + 0j, 1 + 0j)
    with mpmath.workdps(30):
        y, _ = vc.vjp([vc.scale(mpmath.mpf(3))], 1.0)
        assert isinstance(y, mpmath.mpf)
    assert type(vc.vjp([vc.scale(3)], 1.0)[0]) is float
    assert vc.scale(1) != vc.scale(1.0) and vc.power(2) == vc.power(2)


def test_compiled_chain_follows_a_step_that_changes_the_type():
    with mpmath.workdps(30):
        chain = [vc.scale(mpmath.mpf(3)), "exp"]
        results = [vc.val_and_grad(chain, 1.0) for _ in range(3)]
        assert all(isinstance(v, mpmath.mpf) for r in results for v in r)
        assert results[0] == results[1] == results[2]
    chain = [vc.scale(1j), "sin", "exp"]
    assert vc.compile_chain(chain)(1.0) == vc.val_and_grad(chain, 1.0)


def test_compiled_chain_errors_name_the_position():
    with pytest.raises(vc.PrimitiveDomainError, match=r"chain\[0\]"):
        vc.compile_chain(["log"])(-3.0)
    with pytest.raises(vc.UnsupportedInputError, match=r"chain\[1\]"):
        vc.compile_chain(["sin", "abs"])(1 + 1j)


def test_rule_replaced_while_a_chain_compiles_is_not_cached(monkeypatch):
    r = vc.default_registry.copy()
    r.scalar_rule("f", lambda x, y: 1.0, primal=lambda x: x)
    real = compiled_module.compile_chain

    def slow_compile(*args, **kwargs):
        time.sleep(0.2)
        return real(*args, **kwargs)

    monkeypatch.setattr(compiled_module, "compile_chain", slow_compile)
    vc.val_and_grad(["f"], 1.0, rules=r)  # seen once; the next call compiles
    t = threading.Thread(target=vc.val_and_grad, args=(["f"], 1.0), kwargs={"rules": r})
    t.start()
    time.sleep(0.05)
    r.scalar_rule("f", lambda x, y: 2.0, primal=lambda x: 2 * x, replace=True)
    t.join()
    assert vc.val_and_grad(["f"], 1.0, rules=r) == (2.0, 2.0)
    assert vc.val_and_grad(["f"], 1.0, rules=r) == (2.0, 2.0)


def test_a_chain_too_long_to_compile_is_refused_with_advice():
    from vjpchain.compiled import MAX_STEPS

    with pytest.raises(ValueError, match="at most .* checkpoints"):
        compile_chain(["sin"] * (MAX_STEPS + 1))
    assert compile_chain(["sin"] * 100)(0.5)[0] == val_and_grad(["sin"] * 100, 0.5)[0]
