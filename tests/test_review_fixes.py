"""Regressions from the review of the first version: each test names the behaviour it pins."""

import math
import threading
import time

import mpmath
import pytest

import vjpchain as vc
from vjpchain import compiled as compiled_module


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


def test_replace_takes_over_every_name_of_the_primitive():
    wrong = vc.default_registry.copy()
    wrong.scalar_rule("tanh", lambda x, y: 1 - y * y, primal=vc.tanh, replace=True)
    for key in ("tanh", math.tanh, vc.tanh):
        assert vc.grad([key], 20.0, rules=wrong) == 0.0  # the replacement, under every key
    assert vc.grad(lambda x: vc.tanh(x), 20.0, rules=wrong) == 0.0


def test_two_lambdas_do_not_collide_by_name():
    r = vc.default_registry.copy()
    f = lambda x: x + 1  # noqa: E731
    g = lambda x: 2 * x  # noqa: E731
    r.scalar_rule(f, lambda x, y: 1.0)
    r.scalar_rule(g, lambda x, y: 2.0)
    assert vc.grad([f, g], 1.0, rules=r) == 2.0


def test_a_family_class_is_not_a_chain_step():
    with pytest.raises(vc.UnknownPrimitiveError, match="power.*parameters"):
        vc.grad([vc.power], 2.0)
    mine = vc.default_registry.copy()
    mine.unregister(vc.power)
    with pytest.raises(vc.UnknownPrimitiveError):
        vc.grad([vc.power(2)], 2.0, rules=mine)


def test_higher_derivatives_of_sinc_digamma_abs():
    with mpmath.workdps(30):
        d2_sinc = float(mpmath.diff(mpmath.sincpi, 0.3, 2))
        psi2 = float(mpmath.psi(2, 0.3))
    assert vc.derivative(["sinc"], 0.3, order=2) == pytest.approx(d2_sinc, rel=1e-13)
    assert vc.derivative(["digamma"], 0.3, order=2) == pytest.approx(psi2, rel=1e-13)
    assert vc.derivative(["abs"], 0.3, order=2) == 0.0


def test_ints_without_an_exact_float_are_refused():
    with pytest.raises(vc.UnsupportedInputError, match="mpmath.mpf"):
        vc.val_and_grad(["square"], 2**53 + 1)
    with pytest.raises(vc.UnsupportedInputError):
        vc.grad(["sin"], 10**400)
    assert vc.val_and_grad(["square"], 2**52 + 1)[1] == 2.0 * (2**52 + 1)


def test_mpf_domain_edges_give_inf_like_floats():
    with mpmath.workdps(30):
        assert vc.grad(["sqrt"], mpmath.mpf(0)) == mpmath.inf
        assert vc.grad(["acos"], mpmath.mpf(1)) == -mpmath.inf
    assert vc.grad(["sqrt"], 0.0) == math.inf


def test_a_single_name_is_a_chain_of_one_step():
    assert vc.grad("sin", 2.0) == vc.grad(["sin"], 2.0) == math.cos(2.0)
    assert vc.derivative("sin", 2.0) == math.cos(2.0)


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
