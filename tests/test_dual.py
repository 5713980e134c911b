"""Dual numbers, forward mode on functions, higher derivatives and Hessians."""



import math

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import vjpchain as vc
from vjpchain import Dual, derivative, hessian, hvp, jvp


def test_dual_arithmetic_uses_the_rules():
    d = vc.sin(Dual(0.5, 1.0))
    assert (d.value, d.tangent) == (math.sin(0.5), math.cos(0.5))
    e = Dual(2.0, 1.0) * Dual(3.0, 0.0) + 1.0
    assert (e.value, e.tangent) == (7.0, 3.0)
    t = vc.tanh(Dual(20.0, 1.0))  # the accurate tanh' reaches dual numbers too
    assert t.tangent == vc.grad(["tanh"], 20.0)
    n = np.exp(Dual(1.0, 2.0))  # NumPy ufuncs
    assert n.tangent == pytest.approx(2 * math.e, rel=1e-15)


def test_jvp_of_function_matches_reverse_mode():
    f = lambda a, b: vc.log(a * b * (a + b)) / (a - b) ** 2  # noqa: E731
    y, tangent = jvp(f, (2.0, 10.0), (0.3, -0.7))
    g1, g2 = vc.grad(f, 2.0, 10.0)
    assert tangent == pytest.approx(0.3 * g1 - 0.7 * g2, rel=1e-14)
    assert y == vc.val_and_grad(f, 2.0, 10.0)[0]


def test_dual_over_mpmath_and_arrays():
    with mpmath.workdps(50):
        d = vc.exp(Dual(mpmath.mpf(1), mpmath.mpf(1)))
        assert abs(d.tangent - mpmath.e) < mpmath.mpf(10) ** -48
    x = np.linspace(0, 1, 4)
    d = vc.sin(Dual(x, np.ones(4)))
    np.testing.assert_array_equal(d.tangent, np.cos(x))


CHAINS = [["sin"], ["sin", "sin", "exp"], ["tanh", "exp"], ["atan", "sigmoid"],
          ["erf", "square"], ["log1p", "sqrt"]]


@given(k=st.sampled_from(range(len(CHAINS))), order=st.integers(1, 4), x=st.floats(0.1, 1.5))
def test_higher_derivatives_of_chains_against_mpmath(k, order, x):
    chain = CHAINS[k]
    got = derivative(chain, x, order=order)

    def f(t):
        for name in chain:
            t = vc.default_registry.lookup(name).primal(t)
        return t

    with mpmath.workdps(40):
        ref = mpmath.diff(f, mpmath.mpf(x), order)
    assert abs(got - float(ref)) <= 1e-12 * max(1.0, abs(float(ref)))


def test_derivative_order_zero_and_functions():
    assert derivative(["sin"], 0.5, order=0) == math.sin(0.5)
    assert derivative(lambda x: x ** 5, 2.0, order=3) == pytest.approx(240.0, rel=1e-15)
    with pytest.raises(ValueError, match="order"):
        derivative(["sin"], 0.5, order=-1)


def test_hessian_against_mpmath_mixed_partials():
    f = lambda a, b: vc.log(a * b * (a + b)) / (a - b) ** 2  # noqa: E731
    H = hessian(f, 2.0, 10.0)
    F = lambda a, b: mpmath.log(a * b * (a + b)) / (a - b) ** 2  # noqa: E731
    with mpmath.workdps(40):
        ref = [[mpmath.diff(F, (2, 10), (2, 0)), mpmath.diff(F, (2, 10), (1, 1))],
               [mpmath.diff(F, (2, 10), (1, 1)), mpmath.diff(F, (2, 10), (0, 2))]]
    for i in range(2):
        for j in range(2):
            assert H[i][j] == pytest.approx(float(ref[i][j]), rel=1e-13)
    assert H[0][1] == H[1][0]


def test_hvp_is_hessian_times_vector():
    f = lambda a, b, c: vc.sin(a * b) + c * c * a  # noqa: E731
    xs = (0.3, 0.7, 1.1)
    H = hessian(f, *xs)
    v = (1.0, -2.0, 0.5)
    hv = hvp(f, xs, v)
    for i in range(3):
        assert hv[i] == pytest.approx(sum(H[i][j] * v[j] for j in range(3)), rel=1e-14)


def test_hessian_at_50_digits():
    with mpmath.workdps(50):
        H = hessian(lambda a, b: vc.exp(a * b), mpmath.mpf(1), mpmath.mpf(2))
        e2 = mpmath.exp(2)
        assert abs(H[0][0] - 4 * e2) < mpmath.mpf(10) ** -45
        assert abs(H[0][1] - 3 * e2) < mpmath.mpf(10) ** -45


def test_higher_derivatives_of_sinc_digamma_abs():
    with mpmath.workdps(30):
        d2_sinc = float(mpmath.diff(mpmath.sincpi, 0.3, 2))
        psi2 = float(mpmath.psi(2, 0.3))
    assert vc.derivative(["sinc"], 0.3, order=2) == pytest.approx(d2_sinc, rel=1e-13)
    assert vc.derivative(["digamma"], 0.3, order=2) == pytest.approx(psi2, rel=1e-13)
    assert vc.derivative(["abs"], 0.3, order=2) == 0.0


def test_a_hand_made_dual_meeting_a_traced_value_is_refused():
    # it used to give (Dual(Traced(6.0), Traced(3.0)), 0.0): the gradient lost the dual
    for f in (lambda x: Dual(2.0, 1.0) * x, lambda x: x * Dual(2.0, 1.0),
              lambda x: np.multiply(Dual(2.0, 1.0), x)):
        with pytest.raises(vc.UnsupportedTypeError, match="made outside the differentiated"):
            vc.val_and_grad(f, 3.0)
    # passed as an input, it is differentiated through (forward over reverse mode)
    assert vc.grad(lambda x, d: d * x, 3.0, Dual(2.0, 1.0), argnums=0).tangent == 1.0


def test_a_dual_of_an_enclosing_derivative_captured_by_a_gradient_is_refused():
    # d/dx of d/dy (x y^2) at y=2 is 2y = 4; capturing x gave 0.0 silently
    with pytest.raises(vc.UnsupportedTypeError, match="enclosing forward-mode"):
        derivative(lambda x: vc.grad(lambda y: x * y * y, 2.0), 1.0)
    with pytest.raises(vc.UnsupportedTypeError, match="enclosing forward-mode"):
        jvp(lambda x: vc.grad(lambda y: y * x, 2.0), 1.0, 1.0)
    assert derivative(lambda x: vc.grad(lambda y, a: a * y * y, 2.0, x, argnums=0), 1.0) == 4.0
    assert derivative(lambda x: vc.grad(lambda y: y ** 3, x), 2.0) == 12.0


def test_a_gradient_of_a_jvp_nests_and_a_traced_value_may_not_swallow_the_dual():
    # d/dx of (d/dt t x t at t=1) = d/dx 2x = 2: the inner dual number holds traced values
    assert vc.grad(lambda x: jvp(lambda t: t * x * t, 1.0, 1.0)[1], 2.0) == 2.0
    assert vc.grad(lambda x: jvp(lambda t: np.multiply(t, x), 1.0, 1.0)[1], 2.0) == 1.0
    # with the traced value first, NumPy asks the traced value, which recorded the dual
    # number as a constant (it gave Dual(0.0, 0.0)); that is refused
    with pytest.raises(vc.UnsupportedTypeError, match="recorded an operation on a dual"):
        vc.grad(lambda x: jvp(lambda t: np.multiply(x, t), 1.0, 1.0)[1], 2.0)


def test_hvp_checks_its_directions_and_keeps_the_input_shapes():
    x = np.array([1.0, 2.0, 3.0])
    with pytest.raises(vc.CotangentError, match="direction must be a number or array"):
        hvp(lambda a: a * a, (3.0,), (None,))
    with pytest.raises(vc.CotangentError, match=r"direction has shape \(2,\)"):
        hvp(lambda a: np.sum(a * a), (x,), (np.ones(2),))
    (h,) = hvp(lambda a: 2 * np.sum(a), (x,), (np.ones(3),))  # linear: zeros of x's shape
    assert h.shape == (3,) and not h.any()
    assert hvp(lambda a, b: 2 * a + b, (1.0, 2.0), (1.0, 1.0)) == (0.0, 0.0)
    (h,) = hvp(lambda a: np.sum(a ** 3), (x,), (1.0,))  # a number direction: every element
    np.testing.assert_array_equal(h, 6 * x)


def test_ufunc_methods_and_keywords_on_dual_numbers_say_what_is_supported():
    d = Dual(np.array([1.0, 2.0]), np.ones(2))
    for call, what in ((lambda: np.add.reduce(d), "numpy.add.reduce"),
                       (lambda: np.multiply.outer(d, d), "numpy.multiply.outer"),
                       (lambda: np.sin(d, out=np.empty(2)), "numpy.sin with out")):
        with pytest.raises(vc.UnsupportedTypeError, match=what + ".*supported: sum"):
            call()
