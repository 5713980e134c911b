"""NumPy functions on dual numbers: forward mode (jvp, derivative) and reverse over forward
mode (hvp, hessian) through reductions, where, indexing, products, stacking and reshaping.

Tangents are compared with reverse mode on the same function (an independent
implementation: trace_numpy), with central finite differences (smooth functions only) and
with closed forms; unsupported NumPy functions must raise, never give a silently wrong value.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vjpchain as vc

X3 = np.array([1.0, 2.0, 3.0])


def _central(f, x, v, h=1e-6):
    return (f(x + h * v) - f(x - h * v)) / (2 * h)


# --- the examples of issue 10 that were silently wrong or raised raw errors ----------------------


def test_reductions_and_where_give_the_value_and_tangent_of_the_function():
    y, t = vc.jvp(lambda x: np.mean(x * x), X3, np.ones(3))
    assert y == pytest.approx(14 / 3) and t == pytest.approx(4.0)
    assert vc.jvp(lambda x: np.where(x > 1, x, 2 * x).sum(), X3, np.ones(3)) == (7.0, 4.0)
    assert vc.derivative(lambda a: np.where(a > 1, a, 2 * a), 0.5) == 2.0
    assert vc.jvp(np.sum, X3, np.ones(3)) == (6.0, 3.0)
    assert vc.jvp(np.prod, X3, np.ones(3)) == (6.0, 2 * 3 + 1 * 3 + 1 * 2)
    assert vc.jvp(np.max, X3, np.array([0.0, 0.0, 5.0])) == (3.0, 5.0)
    assert vc.jvp(lambda x: x @ x, X3, np.ones(3)) == (14.0, 12.0)
    assert vc.jvp(lambda x: x[0], X3, np.array([7.0, 0.0, 0.0])) == (1.0, 7.0)


def test_hvp_and_hessian_of_numpy_functions():
    (hv,) = vc.hvp(lambda x: np.mean(x ** 3), (X3,), (np.ones(3),))
    np.testing.assert_allclose(hv, [2.0, 4.0, 6.0], rtol=1e-15)  # 6 x v / 3
    ((h,),) = vc.hessian(lambda x: x @ x, X3)
    np.testing.assert_array_equal(h, 2 * np.eye(3))
    ((h,),) = vc.hessian(lambda x: np.sum(np.sin(x)), X3)
    np.testing.assert_allclose(h, np.diag(-np.sin(X3)), rtol=1e-15)


def test_a_stack_of_dual_scalars_is_one_dual_number_of_float_arrays():
    y, t = vc.jvp(lambda a: np.stack([a, 2 * a]), 1.0, 1.0)
    assert y.dtype == np.float64 and t.dtype == np.float64
    assert y.tolist() == [1.0, 2.0] and t.tolist() == [1.0, 2.0]
    y, t = vc.jvp(lambda a: np.array([a * a, 2.0, 3 * a]), 2.0, 1.0)  # an object array
    assert y.dtype == t.dtype == np.float64
    assert y.tolist() == [4.0, 2.0, 6.0] and t.tolist() == [4.0, 0.0, 3.0]
    y, t = vc.jvp(lambda a: np.array([[a, 1.0], [2.0, a * a]]) @ np.ones(2), 3.0, 1.0)
    assert y.tolist() == [4.0, 11.0] and t.tolist() == [1.0, 6.0]


def test_the_tangent_has_the_shape_of_the_function_output():
    np.testing.assert_array_equal(vc.derivative(lambda t: 2 * t, X3), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(vc.derivative([vc.scale(2.0)], X3), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(vc.derivative(lambda t: t ** 3, X3, order=2), 6 * X3)
    y, t = vc.jvp(lambda a: a + np.ones(3), 1.0, 1.0)  # a scalar broadcast by a constant
    assert t.tolist() == [1.0, 1.0, 1.0]


# --- properties: forward mode against reverse mode and finite differences -------------------------


def _ops(rng, m, n):
    """Maps from an (m, n) array to an (m, n) array through the supported functions, each
    smooth at random points (max and min have no ties there)."""
    w, v = rng.normal(size=(n, n)) / n, rng.normal(size=(m, m)) / m
    return {
        "sin": np.sin,
        "tanh": np.tanh,
        "square": lambda x: 0.5 * x * x,
        "where": lambda x: np.where(x > 0, x, np.sin(x)),  # C1 at 0: fine for differences
        "sum": lambda x: x * np.sum(x, axis=0, keepdims=True) * 0.3,
        "mean": lambda x: x + np.mean(x, axis=1, keepdims=True),
        "max": lambda x: x + x.max(axis=1, keepdims=True),
        "min": lambda x: x * np.min(x, axis=0, keepdims=True),
        "prod": lambda x: x + np.prod(np.tanh(x), axis=1, keepdims=True),
        "matmul": lambda x: x @ w,
        "dot": lambda x: np.dot(v, x),
        "slice": lambda x: x[::-1] * 0.5 + x,
        "index": lambda x: x * x[0, -1],
        "stack": lambda x: np.stack([x, np.exp(-x * x)]).sum(axis=0),
    }


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(0, 2**32 - 1),
       st.lists(st.sampled_from(sorted(_ops(np.random.default_rng(0), 1, 1))), min_size=1,
                max_size=4))
def test_jvp_of_random_compositions_against_reverse_mode_and_differences(m, n, seed, names):
    rng = np.random.default_rng(seed)
    ops = _ops(rng, m, n)
    x, v, u = (rng.uniform(-1.5, 1.5, (m, n)) for _ in range(3))

    def g(x):  # array to array
        for name in names:
            x = ops[name](x)
        return x

    def f(x):  # array to scalar
        return np.sum(g(x) * u)

    y, t = vc.jvp(f, x, v)
    assert y == pytest.approx(f(x), rel=1e-13, abs=1e-13)  # the primal is f's
    reverse = np.sum(vc.grad(f, x) * v)
    assert t == pytest.approx(reverse, rel=1e-10, abs=1e-12)
    assert t == pytest.approx(_central(f, x, v), rel=1e-5, abs=1e-7)
    # an array output: <u, J v> by forward mode equals <J^T u, v> by reverse mode
    y_arr, t_arr = vc.jvp(g, x, v)
    assert t_arr.shape == y_arr.shape == (m, n)
    _, pullback = vc.vjp(g, x)
    assert np.sum(u * t_arr) == pytest.approx(np.sum(pullback(u) * v), rel=1e-10, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(0, 2**32 - 1),
       st.lists(st.sampled_from(sorted(_ops(np.random.default_rng(0), 1, 1))), min_size=1,
                max_size=3))
def test_hvp_of_random_compositions_against_differences_of_the_gradient(m, n, seed, names):
    rng = np.random.default_rng(seed)
    ops = _ops(rng, m, n)
    x, v, u = (rng.uniform(-1.5, 1.5, (m, n)) for _ in range(3))

    def f(x):
        for name in names:
            x = ops[name](x)
        return np.sum(x * u)

    (hv,) = vc.hvp(f, (x,), (v,))
    assert hv.shape == x.shape
    reference = _central(lambda z: vc.grad(f, z), x, v, h=1e-5)
    np.testing.assert_allclose(hv, reference, rtol=1e-5, atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3), st.integers(1, 4), st.integers(0, 2**32 - 1),
       st.sampled_from(["sum", "mean", "prod", "max", "min"]),
       st.sampled_from([None, 0, 1, -1, (0, 1)]), st.booleans())
def test_reductions_with_axis_against_reverse_mode(rows, cols, seed, name, axis, keepdims):
    rng = np.random.default_rng(seed)
    x, v = rng.uniform(0.5, 2.0, (rows, cols)), rng.normal(size=(rows, cols))
    reduce = getattr(np, name)

    def f(x):
        return np.sum(np.sin(reduce(x, axis=axis, keepdims=keepdims)) * 1.5)

    t = vc.jvp(f, x, v)[1]
    assert t == pytest.approx(np.sum(vc.grad(f, x) * v), rel=1e-12, abs=1e-14)
    t_method = vc.jvp(lambda x: np.sum(np.sin(getattr(x, name)(axis=axis, keepdims=keepdims))
                                       * 1.5), x, v)[1]
    assert t_method == t
    y, t_arr = vc.jvp(lambda x: reduce(x, axis=axis, keepdims=keepdims), x, v)
    assert np.shape(t_arr) == np.shape(y) == np.shape(reduce(x, axis=axis, keepdims=keepdims))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**32 - 1),
       st.sampled_from(["2x2", "2x1", "1x2", "1x1"]),
       st.sampled_from(["matmul", "dot", "@", "inner", "outer", "tensordot"]))
def test_products_are_bilinear(n, k, m, seed, shapes, how):
    rng = np.random.default_rng(seed)
    a_shape = (n, k) if shapes[0] == "2" else (k,)
    b_shape = (k, m) if shapes[2] == "2" else (k,)
    if how == "inner":
        b_shape = b_shape[::-1]  # inner contracts the last axes
    a, b, da, db = (rng.normal(size=s) for s in (a_shape, b_shape, a_shape, b_shape))
    product = {"matmul": np.matmul, "dot": np.dot, "@": lambda p, q: p @ q,
               "inner": np.inner, "outer": np.outer,
               "tensordot": lambda p, q: np.tensordot(p, q, axes=1)}[how]
    y, t = vc.jvp(product, (a, b), (da, db))
    np.testing.assert_allclose(y, product(a, b), rtol=1e-15)
    np.testing.assert_allclose(t, product(da, b) + product(a, db), rtol=1e-13, atol=1e-14)
    # a constant operand contributes no tangent
    np.testing.assert_allclose(vc.jvp(lambda p: product(p, b), a, da)[1], product(da, b),
                               rtol=1e-15)


def test_reshaping_and_joining_against_finite_differences():
    rng = np.random.default_rng(1)
    x, v = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    for f in (lambda x: np.sum(np.sin(x.T) * np.arange(6.0).reshape(3, 2)),
              lambda x: np.sum(np.reshape(x, (3, 2))[0] ** 2),
              lambda x: np.sum(np.ravel(x) * np.arange(6.0)),
              lambda x: np.sum(np.cumsum(x, axis=1) ** 2),
              lambda x: np.sum(np.concatenate([x, x ** 2], axis=0)[1:] ** 2),
              lambda x: np.sum(np.moveaxis(np.expand_dims(x, 0), 0, -1)[..., 0] * x),
              lambda x: np.sum(np.squeeze(np.swapaxes(x[:, :1], 0, 1)) ** 3),
              lambda x: np.average(x ** 2, axis=1, weights=np.arange(1.0, 7.0).reshape(2, 3)
                                   ).sum(),
              lambda x: np.sum(x * np.average(x, axis=0)) + sum(r.sum() for r in x)):
        assert vc.jvp(f, x, v)[1] == pytest.approx(_central(f, x, v), rel=1e-7, abs=1e-9)


# --- ties, zeros, levels -------------------------------------------------------------------------


def test_max_splits_ties_and_prod_is_right_at_zeros():
    e = np.eye(3)
    assert [vc.jvp(np.max, np.array([2.0, 3.0, 3.0]), d)[1] for d in e] == [0.0, 0.5, 0.5]
    assert vc.jvp(lambda x: x.min(axis=1), np.array([[1.0, 1.0], [4.0, 2.0]]),
                  np.ones((2, 2)))[1].tolist() == [1.0, 1.0]
    # the product of the others, without dividing by a zero element
    assert [vc.jvp(np.prod, np.array([2.0, 0.0, 3.0]), d)[1] for d in e] == [0.0, 6.0, 0.0]
    assert [vc.jvp(np.prod, np.array([0.0, 0.0, 3.0]), d)[1] for d in e] == [0.0, 0.0, 0.0]
    # second derivatives too: the Hessian of x0 x1 x2 at a zero
    ((h,),) = vc.hessian(np.prod, np.array([0.0, 2.0, 3.0]))
    np.testing.assert_array_equal(h, [[0.0, 3.0, 2.0], [3.0, 0.0, 0.0], [2.0, 0.0, 0.0]])
    assert vc.derivative(lambda x: np.prod(x, keepdims=True), np.array([0.0, 0.0, 2.0]),
                         order=2).tolist() == [2 * (0.0 * 1 + 1 * 2 + 0.0 * 1)]


def test_higher_derivatives_and_hessians_against_closed_forms():
    x = np.array([0.3, -0.8, 1.7])
    np.testing.assert_allclose(
        vc.derivative(lambda t: np.where(t > 0, t ** 3, np.sin(t)), x, order=2),
        np.where(x > 0, 6 * x, -np.sin(x)), rtol=1e-14)
    assert vc.derivative(lambda a: np.prod(np.stack([a, a * a, 3.0])), 2.0, order=3) == 18.0
    assert vc.derivative(lambda a: (np.stack([a, a]) @ np.stack([a, 1.0])), 2.0,
                         order=2) == pytest.approx(2.0)  # a*a + a
    # log-sum-exp: diag(p) - p p^T with p = softmax(x)
    ((h,),) = vc.hessian(lambda x: np.log(np.sum(np.exp(x))), x)
    p = np.exp(x) / np.sum(np.exp(x))
    np.testing.assert_allclose(h, np.diag(p) - np.outer(p, p), rtol=1e-13, atol=1e-15)
    a = np.array([[1.0, 2.0, 0.0], [0.5, -1.0, 3.0], [0.0, 1.0, 2.0]])
    ((h,),) = vc.hessian(lambda x: x @ a @ x, x)
    np.testing.assert_allclose(h, a + a.T, rtol=1e-15)
    # blocks of mixed inputs: f = c * sum(x^2)
    (h_cc, h_cx), (h_xc, h_xx) = vc.hessian(lambda c, x: c * np.sum(x * x), 2.0, x)
    assert h_cc == 0.0
    np.testing.assert_allclose(h_cx, 2 * x, rtol=1e-15)
    np.testing.assert_allclose(h_xc, 2 * x, rtol=1e-15)
    np.testing.assert_allclose(h_xx, 4.0 * np.eye(3), rtol=1e-15)


def test_a_lower_level_dual_number_is_a_constant_inside_numpy_functions():
    # d/da of (d/db sum(a * b * x)) = sum(x): the inner derivative's dual numbers (level of
    # b) meet the outer one's (level of a) inside np.sum and np.where
    x = np.array([1.0, 2.0, 4.0])

    def inner(a):
        return vc.derivative(lambda b: np.sum(np.where(x > 1, a * b * x, a * x)), 1.0)

    assert vc.derivative(inner, 3.0) == pytest.approx(6.0)
    assert vc.jvp(lambda a: vc.jvp(lambda b: np.dot(a * x, b * x), 1.0, 1.0)[1], 2.0,
                  1.0) == (42.0, 21.0)


# --- what is not supported says so --------------------------------------------------------------


@pytest.mark.parametrize("f", [
    lambda x: np.cumprod(x).sum(), lambda x: np.sort(x)[0], lambda x: np.add.reduce(x),
    lambda x: np.add.accumulate(x)[0], lambda x: np.multiply.outer(x, x).sum(),
    lambda x: np.exp(x, out=np.empty(3)).sum(), lambda x: np.sum(x, where=x > 0),
    lambda x: np.max(x, initial=0.0), lambda x: np.average(x, weights=[1.0, 2.0]),
    lambda x: np.dot(x, x, out=np.empty(())),
], ids=["cumprod", "sort", "reduce", "accumulate", "outer", "out", "where", "initial",
        "weights", "dot-out"])
def test_an_unsupported_numpy_function_says_so(f):
    with pytest.raises(vc.UnsupportedTypeError, match="not supported|supports") as info:
        vc.jvp(f, X3, np.ones(3))
    assert "numpy." in str(info.value)


def test_an_unsupported_function_lists_what_is_supported():
    with pytest.raises(vc.UnsupportedTypeError, match=r"numpy\.sort .*supported: sum, mean"):
        vc.jvp(np.sort, X3, np.ones(3))


def test_a_dual_array_turned_into_a_numpy_array_is_refused():
    with pytest.raises(vc.UnsupportedTypeError, match="numpy.stack"):
        vc.jvp(lambda x: np.asarray(x).sum(), X3, np.ones(3))
    with pytest.raises(vc.UnsupportedTypeError, match="numpy.stack"):
        vc.jvp(lambda x: np.array([x, x]).sum(), X3, np.ones(3))


def test_bad_shapes_in_a_product_are_a_documented_error():
    with pytest.raises(vc.PrimitiveDomainError, match=r"numpy\.matmul .*\(3,\) and \(2,\)"):
        vc.jvp(lambda x: x @ np.ones(2), X3, np.ones(3))


def test_empty_products_and_tuple_outputs():
    assert vc.jvp(np.prod, np.zeros(0), np.zeros(0)) == (1.0, 0.0)
    assert vc.jvp(lambda x: (np.sum(x), x[1]), X3, np.ones(3)) == ((6.0, 2.0), (3.0, 1.0))
    with pytest.raises(vc.UnsupportedTypeError, match="must return a number or array"):
        vc.jvp(lambda x: str(x), 1.0, 1.0)


def test_an_attribute_a_dual_number_lacks_says_what_is_supported():
    with pytest.raises(AttributeError, match="a dual number has no .astype.*drop the tangent"):
        vc.jvp(lambda a: a.astype(float).sum(), np.ones(3), np.ones(3))
