"""Traced functions of several variables: fan-out, binary primitives, control flow, errors."""

import math
import random

import mpmath
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import vjpchain as vc
from vjpchain import exp, grad, log, sin, val_and_grad, vjp


def f_lesson(x1, x2):
    return log(x1 * x2 * (x1 + x2)) / (x1 - x2) ** 2


def test_two_variable_example_against_closed_form():
    y, (g1, g2) = val_and_grad(f_lesson, 2.0, 10.0)
    L = math.log(240.0)
    assert y == pytest.approx(L / 64, rel=1e-15)
    # d/dx1 = (1/x1 + 1/(x1 + x2)) / (x1 - x2)**2 - 2 L / (x1 - x2)**3, and symmetrically
    assert g1 == pytest.approx((1 / 2 + 1 / 12) / 64 + 2 * L / 512, rel=1e-14)
    assert g2 == pytest.approx((1 / 10 + 1 / 12) / 64 - 2 * L / 512, rel=1e-14)


def program(x):
    a = exp(x)
    b = a ** 2
    c = a + b
    d = exp(c)
    e = sin(c)
    return d + e


def program_adjoint(x):
    """The same program's derivative, written by hand in reverse order (a and c fan out)."""
    a = math.exp(x)
    b = a ** 2
    c = a + b
    d = math.exp(c)
    d_bar = e_bar = 1.0
    c_bar = d_bar * d + e_bar * math.cos(c)
    a_bar = c_bar  # from c = a + b
    b_bar = c_bar
    a_bar += b_bar * 2 * a
    return a_bar * a


def test_fan_out_program_against_hand_written_adjoint_and_finite_differences():
    rng = random.Random(0)
    for _ in range(10):
        x = rng.uniform(-10, 3)
        g = grad(program, x)
        assert g == pytest.approx(program_adjoint(x), rel=1e-13)
        h = 1e-6 * max(1.0, abs(x))
        fd = (program(x + h) - program(x - h)) / (2 * h)
        assert g == pytest.approx(fd, rel=1e-6, abs=1e-9)


def test_minitorch_chain_rule_cases():
    # one argument
    assert grad(lambda x: sin(x), 0.3) == math.cos(0.3)
    # two arguments
    assert grad(lambda x, y: x * y, 3.0, 5.0) == (5.0, 3.0)
    # the same argument used twice: the cotangents sum
    assert grad(lambda x: x * x, 3.0) == 6.0
    assert grad(lambda x: sin(x) * sin(x), 0.3) == pytest.approx(math.sin(0.6), rel=1e-15)


def test_argnums_selects_inputs():
    assert grad(f_lesson, 2.0, 10.0, argnums=1) == grad(f_lesson, 2.0, 10.0)[1]
    assert grad(f_lesson, 2.0, 10.0, argnums=(1, 0)) == grad(f_lesson, 2.0, 10.0)[::-1]


def test_control_flow_on_values():
    def relu_ish(x):
        if x > 0:
            return x * x
        return -x

    assert grad(relu_ish, 2.0) == 4.0 and grad(relu_ish, -2.0) == -1.0
    total = lambda x: sum((x * k for k in range(1, 4)), 0.0)  # noqa: E731
    assert grad(total, 1.0) == 6.0


def test_constant_output_has_zero_gradient():
    assert grad(lambda x, y: 3.0, 1.0, 2.0) == (0.0, 0.0)
    assert grad(lambda x, y: x, 1.0, 2.0) == (1.0, 0.0)


def test_binary_primitives_and_their_conventions():
    assert grad(lambda a, b: vc.maximum(a, b), 2.0, 1.0) == (1.0, 0.0)
    assert grad(lambda a, b: vc.maximum(a, b), 1.0, 1.0) == (0.5, 0.5)  # a tie: split evenly
    assert grad(lambda a, b: vc.minimum(a, b), 1.0, 2.0) == (1.0, 0.0)
    assert grad(lambda a: abs(a), 0.0) == 0.0  # sign(0) = 0
    assert grad(lambda a, b: vc.hypot(a, b), 0.0, 0.0) == (0.0, 0.0)
    assert grad(lambda a, b: vc.hypot(a, b), 3e300, 4e300) == pytest.approx((0.6, 0.8), rel=1e-15)
    for y, x in [(1.0, 1.0), (1.0, -1.0), (-1.0, -1.0), (-1.0, 1.0), (1e300, 1e-300)]:
        gy, gx = grad(lambda a, b: vc.atan2(a, b), y, x)
        with mpmath.workdps(40):
            r2 = mpmath.mpf(x) ** 2 + mpmath.mpf(y) ** 2
            assert gy == pytest.approx(float(x / r2), rel=1e-15, abs=1e-320)
            assert gx == pytest.approx(float(-y / r2), rel=1e-15, abs=1e-320)


def test_pow_with_both_sides_traced():
    g = grad(lambda a, b: a ** b, 2.0, 3.0)
    assert g == (12.0, pytest.approx(8 * math.log(2.0), rel=1e-15))
    with pytest.raises(vc.PrimitiveDomainError, match="log"):
        grad(lambda a, b: a ** b, -2.0, 3.0)
    assert grad(lambda a: a ** 3, -2.0) == 12.0  # a constant exponent needs no log


def test_numpy_ufuncs_and_broadcasting():
    x = np.linspace(0.1, 2, 5)
    y, (gw, gx) = val_and_grad(lambda w, x: np.sin(w * x) + w, 0.7, x)
    np.testing.assert_allclose(y, np.sin(0.7 * x) + 0.7)
    np.testing.assert_allclose(gx, 0.7 * np.cos(0.7 * x), rtol=1e-15)
    # w was broadcast against the array: its cotangent sums over the elements
    assert isinstance(gw, float)
    assert gw == pytest.approx(float(np.sum(x * np.cos(0.7 * x) + 1)), rel=1e-14)


def test_math_function_on_traced_value_names_the_generic():
    def uses_math(x):
        return math.sin(x)

    with pytest.raises(TypeError, match=r"math\.sin .*vjpchain\.sin"):
        grad(uses_math, 1.0)


def test_million_operation_program():
    def long_program(x):
        for _ in range(500_000):
            x = sin(x) * 1.0001
        return x

    y, pullback = vjp(long_program, 0.5)
    g = pullback(1.0)
    g_fwd = vc.jvp(long_program, (0.5,), (1.0,))[1]
    assert g == pytest.approx(g_fwd, rel=1e-9)


def test_mpmath_inputs_at_50_digits():
    with mpmath.workdps(50):
        x1, x2 = mpmath.mpf(2), mpmath.mpf(10)
        y, (g1, g2) = val_and_grad(f_lesson, x1, x2)
        F = lambda a, b: mpmath.log(a * b * (a + b)) / (a - b) ** 2  # noqa: E731
        assert abs(g1 - mpmath.diff(F, (x1, x2), (1, 0))) < mpmath.mpf(10) ** -45
        assert abs(g2 - mpmath.diff(F, (x1, x2), (0, 1))) < mpmath.mpf(10) ** -45


BINARY = [lambda a, b: a * b, lambda a, b: a / b, lambda a, b: a + b, lambda a, b: a - b,
          lambda a, b: vc.hypot(a, b), lambda a, b: vc.atan2(a, b)]
UNARY = [vc.sin, vc.cos, vc.tanh, vc.atan, vc.exp, vc.sigmoid, vc.asinh]


def _mp(fn):
    return lambda *v: fn(*v)


@given(seed=st.integers(0, 10**6), a=st.floats(0.2, 2), b=st.floats(2.5, 4))
def test_random_programs_against_mpmath(seed, a, b):
    """Random programs over two inputs with fan-out: gradient against mpmath.diff."""
    rng = random.Random(seed)
    ops = [(rng.randrange(len(BINARY)), rng.randrange(len(UNARY)), rng.random() < 0.5)
           for _ in range(rng.randint(1, 5))]

    def prog(u, v):
        values = [u, v]
        for bi, ui, which in ops:
            p, q = values[-1], values[-2] if which else values[0]
            values.append(UNARY[ui](BINARY[bi](p, q)))
        return values[-1]

    # exp of a large intermediate overflows to inf in float64 (then inf * 0 = nan in the
    # reverse pass, or cos(inf) fails) where mpmath has no overflow: such programs compare
    # nothing
    try:
        g = grad(prog, a, b)
    except vc.PrimitiveDomainError:
        assume(False)
    assume(all(math.isfinite(gi) for gi in g))
    with mpmath.workdps(40):
        ref = [mpmath.diff(prog, (mpmath.mpf(a), mpmath.mpf(b)), o) for o in ((1, 0), (0, 1))]
    # next to a singularity (a quotient by a value near 0) neither side means much
    assume(all(abs(r) < 1e6 for r in ref))
    # the program's own conditioning: how far the float gradient moves when the inputs move
    # by a rounding error; the error allowed is that times a margin, plus 1e-11 relative
    g_moved = grad(prog, a * (1 + 2.0 ** -52), b * (1 - 2.0 ** -52))
    for gi, gm, ri in zip(g, g_moved, ref, strict=True):
        allowed = 1e-11 * max(1.0, abs(float(ri))) + 64 * abs(gm - gi)
        assert abs(gi - float(ri)) <= allowed


def test_complex_inputs_give_holomorphic_partials():
    """Traced functions of complex inputs: partials are the complex derivatives, as for
    chains (x_bar = y_bar * df/dz, no conjugation)."""
    z1, z2 = 0.3 + 0.2j, 1.1 - 0.4j
    g1, g2 = grad(lambda a, b: vc.exp(a * b) + a * a, z1, z2)
    assert abs(g1 - (z2 * np.exp(z1 * z2) + 2 * z1)) < 1e-15 * 4
    assert abs(g2 - (z1 * np.exp(z1 * z2))) < 1e-15 * 4


def test_a_leaked_traced_value_is_an_error_not_a_silent_result():
    import vjpchain as vc

    leak = []

    def f(x):
        leak.append(x)
        return x * x

    assert vc.grad(f, 3.0) == 6.0
    with pytest.raises(vc.LeakedTracerError, match="after its differentiation ended"):
        vc.grad(lambda y: y * leak[0], 2.0)
    with pytest.raises(vc.LeakedTracerError):
        leak[0] + 1.0
    with pytest.raises(vc.LeakedTracerError):
        vc.grad(lambda y: leak[0], 2.0)
    with pytest.raises(vc.LeakedTracerError):
        vc.grad(["sin"], leak[0])


def test_mod_and_floordiv_by_a_constant_differentiate_between_the_jumps():
    """x % c has derivative 1 and x // c derivative 0 away from the jumps (checked against
    central differences); a differentiated divisor is a clear error, not a bare TypeError."""
    import numpy as np

    def f(x):
        return (x % 2.0) * x + (x // 3.0) * x

    for x in (0.7, 5.5, -3.25):
        h = 1e-6
        assert vc.grad(f, x) == pytest.approx((f(x + h) - f(x - h)) / (2 * h), rel=1e-6)
        assert vc.derivative(f, x) == pytest.approx(vc.grad(f, x), rel=1e-12)
    xs = np.array([0.7, 5.5])
    assert np.allclose(vc.grad(lambda a: f(a).sum(), xs), [vc.grad(f, 0.7), vc.grad(f, 5.5)])
    with pytest.raises(vc.UnsupportedTypeError, match="divisor"):
        vc.grad(lambda a, b: a % b, 5.0, 2.0)
    with pytest.raises(vc.UnsupportedTypeError, match="divisor"):
        vc.grad(lambda a: 7.0 // a, 2.0)
