"""vjp, val_and_grad, grad and jvp over chains: values, shapes, number types, long chains."""



import math
import threading

import mpmath
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import vjpchain as vc
from vjpchain import grad, jvp, val_and_grad, vjp

SEED_CHAIN = [math.sin, math.sin, math.exp]


def test_seed_example_to_the_last_digit():
    assert val_and_grad(SEED_CHAIN, 2.0) == (2.2013533791690376, -0.562752038662712)


def test_seed_example_by_every_key():
    """The same chain named by generic functions, strings, numpy and mpmath functions."""
    for chain in ([vc.sin, vc.sin, vc.exp], ["sin", "sin", "exp"],
                  [np.sin, mpmath.sin, np.exp]):
        assert val_and_grad(chain, 2.0) == (2.2013533791690376, -0.562752038662712)


def test_pullback_is_reusable_and_linear():
    y, pullback = vjp(SEED_CHAIN, 2.0)
    assert pullback(1.0) == pullback(1.0) == -0.562752038662712
    assert pullback(2.0) == 2 * pullback(1.0)
    assert pullback(0.0) == 0.0
    for ct in (1.0, -3.0, 0.5):
        # equal up to the rounding of multiplying in a different order
        np.testing.assert_array_max_ulp(pullback(ct), ct * pullback(1.0), maxulp=2)


def test_a_cotangent_of_the_wrong_shape_or_type_is_refused():
    """A scalar output's pullback does not broadcast an array cotangent (that silently
    computed something else), and None or a string is not a cotangent."""
    _, pullback = vjp(SEED_CHAIN, 2.0)
    for bad in (np.ones(3), None, "1.0", True):
        with pytest.raises(vc.CotangentError, match="cotangent"):
            pullback(bad)
    _, array_pullback = vjp(SEED_CHAIN, np.linspace(0, 1, 4))
    with pytest.raises(vc.CotangentError, match=r"shape \(3,\).*shape \(4,\)"):
        array_pullback(np.ones(3))
    assert array_pullback(np.ones(4)).shape == (4,)
    assert array_pullback(2.0).shape == (4,)  # a number scales every element alike
    _, checkpointed = vjp(SEED_CHAIN * 3, 2.0, checkpoints=2)
    with pytest.raises(vc.CotangentError):
        checkpointed(np.ones(2))
    _, traced = vjp(lambda a, b: a * b, 2.0, 3.0)
    with pytest.raises(vc.CotangentError):
        traced(None)


def test_pullback_of_array_input_takes_array_cotangent():
    x = np.linspace(-2, 2, 7)
    y, pullback = vjp(SEED_CHAIN, x)
    ct = np.arange(7.0)
    np.testing.assert_array_max_ulp(pullback(ct), ct * pullback(np.ones(7)), maxulp=2)


def test_grad_and_jvp_agree_with_vjp():
    assert grad(SEED_CHAIN, 2.0) == -0.562752038662712
    assert jvp(SEED_CHAIN, 2.0, 1.0) == (2.2013533791690376, -0.562752038662712)
    assert jvp(SEED_CHAIN, 2.0, 3.0)[1] == pytest.approx(3 * -0.562752038662712, rel=1e-15)


def test_empty_chain_is_identity():
    assert val_and_grad([], 2.5) == (2.5, 1.0)
    y, pullback = vjp([], 2.5)
    assert (y, pullback(7.0)) == (2.5, 7.0)
    assert jvp([], 2.5, 3.0) == (2.5, 3.0)
    x = np.arange(3.0)
    y, g = val_and_grad([], x)
    np.testing.assert_array_equal(y, x)
    np.testing.assert_array_equal(g, np.ones(3))


def test_int_input_gives_floats():
    y, g = val_and_grad(SEED_CHAIN, 2)
    assert type(y) is float and type(g) is float
    assert (y, g) == val_and_grad(SEED_CHAIN, 2.0)


def test_chain_may_be_any_iterable():
    assert val_and_grad(iter(SEED_CHAIN), 2.0) == val_and_grad(tuple(SEED_CHAIN), 2.0)


def test_million_primitive_chain():
    """No recursion anywhere: a chain of 10**6 primitives, reverse equal to forward mode."""
    chain = [math.sin, math.cos] * 500_000
    y, pullback = vjp(chain, 0.5)
    assert pullback.length == 1_000_000
    g = pullback(1.0)
    y2, g2 = jvp(chain, 0.5, 1.0)
    assert y == y2
    assert g == pytest.approx(g2, rel=1e-9)
    # sin(cos(...)) settles on a fixed point with a nonzero, finite derivative product
    assert math.isfinite(g)


def test_reverse_equals_product_of_local_derivatives():
    chain = [math.tanh, math.atan, math.exp]
    x = 0.3
    a = math.tanh(x)
    b = math.atan(a)
    expected = math.exp(b) * (1 / (1 + a * a)) * (1 / math.cosh(x) ** 2)
    assert grad(chain, x) == pytest.approx(expected, rel=1e-15)


def test_concurrent_vjp_with_different_registries():
    """vjp is re-entrant: threads using different registries for the same name never mix."""
    regs = []
    for k in range(4):
        r = vc.default_registry.copy()
        r.scalar_rule("f", lambda x, y, k=k: k + 1.0, primal=lambda x, k=k: (k + 1.0) * x)
        regs.append(r)
    errors = []

    def work(k):
        for _ in range(2000):
            y, g = val_and_grad(["f", "sin", "f"], 0.25, rules=regs[k])
            s = k + 1.0
            if g != pytest.approx(s * math.cos(s * 0.25) * s, rel=1e-15):
                errors.append((k, g))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# --- number types --------------------------------------------------------------------------

def test_mpmath_input_keeps_precision(mp50):
    x = mpmath.mpf(2)
    y, g = val_and_grad(SEED_CHAIN, x)
    assert isinstance(y, mpmath.mpf) and isinstance(g, mpmath.mpf)
    ref = mpmath.diff(lambda t: mpmath.exp(mpmath.sin(mpmath.sin(t))), x)
    assert abs(g - ref) < mpmath.mpf(10) ** -45 * abs(ref)
    assert abs(y - mpmath.exp(mpmath.sin(mpmath.sin(x)))) < mpmath.mpf(10) ** -48


def test_complex_is_holomorphic_derivative():
    z = 0.7 + 0.4j
    y, g = val_and_grad(SEED_CHAIN, z)
    with mpmath.workdps(30):
        ref = mpmath.diff(lambda t: mpmath.exp(mpmath.sin(mpmath.sin(t))), mpmath.mpc(z))
    assert abs(g - complex(ref)) < 1e-14 * abs(ref)
    # pullback convention: x_bar = y_bar * f'(z), no conjugation (as JAX)
    _, pullback = vjp(SEED_CHAIN, z)
    assert pullback(1j) == 1j * g


def test_numpy_dtype_kept():
    for dtype in (np.float32, np.float64):
        x = np.linspace(0, 3, 5, dtype=dtype)
        y, g = val_and_grad(SEED_CHAIN, x)
        assert y.dtype == dtype and g.dtype == dtype and g.shape == x.shape
    y, g = val_and_grad(SEED_CHAIN, np.float32(2.0))
    assert isinstance(g, np.float32)


def test_numpy_array_equals_loop_over_scalars():
    chain = [np.sin, np.tanh, "sigmoid", "atan", np.exp]
    x = np.linspace(-5, 5, 101)
    y, g = val_and_grad(chain, x)
    for xi, yi, gi in zip(x, y, g, strict=True):
        ys, gs = val_and_grad(chain, float(xi))
        np.testing.assert_array_max_ulp(yi, ys, maxulp=2)
        np.testing.assert_array_max_ulp(gi, gs, maxulp=4)


def test_numpy_follows_numpy_conventions():
    """Outside the domain NumPy gives nan with a RuntimeWarning, not an exception."""
    with pytest.warns(RuntimeWarning):
        y, g = val_and_grad([np.log], np.array([1.0, -1.0]))
    assert y[0] == 0.0 and math.isnan(y[1])


SAFE = [vc.sin, vc.cos, vc.tanh, vc.atan, vc.sigmoid, vc.erf, vc.asinh, vc.sinc,
        vc.scale(0.5), vc.shift(0.25), vc.square, vc.softplus]


def _mp_chain(chain):
    def f(t):
        for p in chain:
            t = vc.default_registry.lookup(p).primal(t)
        return t
    return f


chains = st.lists(st.sampled_from(SAFE), min_size=1, max_size=6)


@given(chain=chains, x=st.floats(-3, 3))
def test_random_chains_float_against_mpmath(chain, x):
    """vjp and jvp agree with each other and with mpmath.diff of the mpmath-evaluated chain."""
    y, g = val_and_grad(chain, x)
    y2, g2 = jvp(chain, x, 1.0)
    assert y == y2
    assert g == pytest.approx(g2, rel=1e-13, abs=1e-300)
    # the reference differentiates each step exactly at the float value reaching it (the
    # chain's own rounding of its primal values is conditioning, not a rule's error: sin
    # of x**8 near a zero of cos turns 1e-16 in x**8 into 1e-12 in the derivative)
    ref, t = mpmath.mpf(1), x
    with mpmath.workdps(40):
        for p in chain:
            ref *= mpmath.diff(_mp_chain([p]), mpmath.mpf(t))
            t = val_and_grad([p], t)[0]
    assert abs(g - float(ref)) <= 1e-12 * max(abs(float(ref)), 1e-3)


@given(chain=chains, x=st.floats(-2, 2))
def test_random_chains_mpmath_45_digits(chain, x):
    with mpmath.workdps(50):
        xm = mpmath.mpf(x)
        y, g = val_and_grad(chain, xm)
        assert isinstance(g, mpmath.mpf)
    # the reference gets 20 more digits, so that its own error (mpmath.diff loses a few
    # digits when the derivative is large) does not count against the 50-digit result; it
    # differentiates each step at the 50-digit value reaching it, since the rounding of the
    # primal values is the chain's conditioning (sin of x**32 near a zero of cos), not a
    # rule's error
    ts = [xm]
    with mpmath.workdps(50):
        for p in chain[:-1]:
            ts.append(val_and_grad([p], ts[-1])[0])
    with mpmath.workdps(70):
        ref = mpmath.fprod(mpmath.diff(_mp_chain([p]), t) for p, t in zip(chain, ts, strict=True))
        assert abs(g - ref) <= mpmath.mpf(10) ** -45 * max(abs(ref), 1)
    with mpmath.workdps(50):
        assert jvp(chain, xm, mpmath.mpf(1))[1] == g or abs(
            jvp(chain, xm, mpmath.mpf(1))[1] - g) < mpmath.mpf(10) ** -48 * max(abs(g), 1)


HOLO = [vc.sin, vc.cos, vc.exp, vc.tanh, vc.scale(0.5), vc.shift(0.25), vc.square, vc.sigmoid]


@given(chain=st.lists(st.sampled_from(HOLO), min_size=1, max_size=5),
       re=st.floats(-1, 1), im=st.floats(-1, 1))
def test_random_chains_complex_against_mpmath(chain, re, im):
    z = complex(re, im)
    try:
        y, g = val_and_grad(chain, z)
    except vc.PrimitiveDomainError:  # cmath overflows (exp of exp of exp of 1)
        assume(False)
    # exp of exp of exp... reaches 1e6 and beyond, where sin's argument alone carries a
    # rounding error of 1e-10 that the derivative amplifies: keep to well-conditioned chains
    assume(abs(y) < 1e3 and abs(g) < 1e6)
    with mpmath.workdps(30):
        ref = complex(mpmath.diff(_mp_chain(chain), mpmath.mpc(z)))
    assert abs(g - ref) <= 1e-11 * max(abs(ref), 1e-3)


@given(chain=chains, xs=st.lists(st.floats(-3, 3), min_size=1, max_size=20))
def test_random_chains_arrays_match_scalars(chain, xs):
    """An array runs the same chain as a loop over its elements. NumPy's ufuncs (np.arcsinh,
    np.sin...) may round differently from the C library's by an ulp, and a step near a zero
    of its output or derivative (cos near pi/2) amplifies that, so values and derivatives
    agree to that rounding times the chain's conditioning."""
    x = np.array(xs)
    y, g = val_and_grad(chain, x)
    for xi, yi, gi in zip(xs, y, g, strict=True):
        ys, gs = val_and_grad(chain, xi)
        assert yi == pytest.approx(ys, rel=1e-13, abs=1e-15)
        assert gi == pytest.approx(gs, rel=1e-12, abs=1e-15)


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


def test_misused_arguments_get_clear_errors_not_guesses():
    f2 = lambda a, b: a * b  # noqa: E731
    cases = [
        (lambda: grad(f2, 1.0, 2.0, argnums=5), ValueError, "argnums=5"),
        (lambda: grad(f2, 1.0, 2.0, argnums=(0, 2)), ValueError, "argnums"),
        (lambda: grad(3, 1.0), TypeError, "must be a chain"),
        (lambda: grad(None, 1.0), TypeError, "must be a chain"),
        (lambda: grad(["sin"], 1.0, rules={}), TypeError, "must be a vjpchain.Registry"),
        (lambda: grad(["sin"], 1.0, rules={"sin": 1}), TypeError, "Registry"),
        (lambda: jvp(["sin"], 1.0, 1.0, rules={}), TypeError, "Registry"),
        (lambda: grad({"sin", "exp"}, 1.0), TypeError, "ordered"),
        (lambda: vc.derivative(["sin"], 1.0, order=2.0), ValueError, "whole number"),
        (lambda: vc.derivative(["sin"], 1.0, order=math.inf), ValueError, "whole number"),
        (lambda: vc.derivative(["sin"], 1.0, order=1100), ValueError, "4\\*\\*order"),
        (lambda: grad(f2, (2.0, 10.0)), vc.UnsupportedInputError, "grad\\(f, \\*xs\\)"),
        (lambda: grad([vc.primitive(lambda x: "s", lambda x, y: 1.0)], 1.0),
         vc.RuleOutputError, "not a number or array"),
        (lambda: vc.default_registry.copy().scalar_rule("c3", 3.0, primal=lambda x: x),
         TypeError, "must be a function"),
        (lambda: vc.primitive(lambda x: x, 3.0), TypeError, "two functions"),
        (lambda: grad([vc.primitive(lambda x: x, lambda x, y: None, name="nil")], 1.0),
         vc.RuleOutputError, r"nil.*chain\[0\].*returned None"),
        (lambda: grad(lambda x: vc.primitive(lambda x: x, lambda x, y: None)(x), 1.0),
         vc.RuleOutputError, "returned None"),
        (lambda: jvp(["neg"], np.ones(3), np.ones(2)), vc.CotangentError, "tangent"),
        (lambda: jvp(lambda a, b: a * b, (1.0, 2.0), (1.0,)), ValueError, "one tangent"),
    ]
    for call, error, match in cases:
        with pytest.raises(error, match=match):
            call()
    # the argnums that are right still work, negative ones included (as in JAX)
    assert grad(f2, 2.0, 3.0, argnums=-1) == 2.0


def test_a_linear_functions_tangent_has_the_inputs_shape():
    xs = np.linspace(0, 1, 3)
    for f in (lambda t: 2 * t, ["neg"], [vc.scale(2.0)]):
        y, y_dot = jvp(f, xs, 1.0)
        assert isinstance(y_dot, np.ndarray) and y_dot.shape == xs.shape
    assert jvp(lambda t: 2 * t, xs, 1.0)[1].tolist() == [2.0, 2.0, 2.0]
    assert jvp(lambda t: 2 * t, 1.5, 1.0) == (3.0, 2.0)  # a scalar stays a scalar


def test_argnums_accepts_numpy_integers_and_refuses_non_integers():
    def f2(a, b):
        return a * b

    assert grad(f2, 2.0, 3.0, argnums=np.int64(1)) == 2.0
    assert grad(f2, 2.0, 3.0, argnums=[np.int64(0), 1]) == (3.0, 2.0)
    for bad in (1.0, True, "1"):
        with pytest.raises(ValueError, match="argnums"):
            grad(f2, 2.0, 3.0, argnums=bad)


def test_an_order_that_would_run_for_minutes_is_refused():
    with pytest.raises(ValueError, match="4\\*\\*order"):
        vc.derivative(["sin"], 1.0, order=16)
    assert vc.derivative(["sin"], 1.0, order=10) == pytest.approx(-math.sin(1.0), rel=1e-12)
