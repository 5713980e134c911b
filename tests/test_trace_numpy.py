"""NumPy inside differentiated functions: reductions, where, indexing, products, stacking.

Gradients are compared with central finite differences (an independent reference, smooth
functions only) and with closed forms; unsupported NumPy functions must raise, never give a
silently wrong value.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vjpchain as vc


def _numeric_gradient(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        g[i] = (f(up) - f(down)) / (2 * h)
    return g


def _check(f, x, rtol=1e-6, atol=1e-8):
    value, g = vc.val_and_grad(f, x)
    assert np.shape(g) == np.shape(x)
    # the traced value is f's, up to the last bits of its primitives: vjpchain.tanh is within
    # 0.5 ulp where np.tanh may be 1 ulp further off, which a sum that cancels shows
    # absolutely (terms of size ~1, a result of ~1e-3)
    np.testing.assert_allclose(value, f(x), rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(g, _numeric_gradient(f, x), rtol=rtol, atol=atol)


def test_the_pytorch_tutorial_example():
    # out = (3 * (x + 2)**2).mean() on a 2x2 array of ones: x.grad = 4.5 everywhere
    g = vc.grad(lambda x: (3 * (x + 2) ** 2).mean(), np.ones((2, 2)))
    assert g.shape == (2, 2) and np.all(g == 4.5)


def test_the_examples_that_were_silently_wrong():
    x = np.array([1.0, 2.0, 3.0])
    y, g = vc.val_and_grad(lambda x: np.mean(x * x), x)
    assert y == pytest.approx(14 / 3) and np.allclose(g, [2 / 3, 4 / 3, 2])
    assert np.allclose(vc.grad(lambda x: np.average(x * x), x), [2 / 3, 4 / 3, 2])
    assert np.allclose(vc.grad(lambda x: np.dot(x, x), x), 2 * x)
    # where picks the branch per element: its derivative is not zero
    assert np.allclose(vc.grad(lambda x: np.where(x > 1, x, 2 * x).sum(),
                               np.array([0.5, 2.0])), [2.0, 1.0])
    # an array built from traced scalars keeps the derivative
    assert vc.grad(lambda a: np.array([2 * a]).sum(), 3.0) == 2.0
    y, g = vc.val_and_grad(lambda a: np.array([2 * a, a * a]), 3.0)
    assert np.allclose(y, [6.0, 9.0]) and g == 8.0  # the cotangent ones: 2 + 2a
    assert vc.grad(lambda x: x.sum() + x[0] * x[1] + x @ x, np.array([2.0, 3.0])).tolist() \
        == [1 + 3 + 4, 1 + 2 + 6]


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 3), st.integers(1, 4), st.integers(0, 2**32 - 1),
       st.sampled_from(["sum", "mean", "prod", "max", "min"]),
       st.sampled_from([None, 0, 1, -1, (0, 1)]), st.booleans())
def test_reductions_with_axis_against_finite_differences(rows, cols, seed, name, axis,
                                                         keepdims):
    x = np.random.default_rng(seed).uniform(0.5, 2.0, (rows, cols))  # distinct: max is smooth
    reduce = getattr(np, name)

    def f(x):
        return (np.sin(reduce(x, axis=axis, keepdims=keepdims)) * 1.5).sum()

    _check(f, x)
    method = getattr  # the array methods of the same names give the same gradient
    g_method = vc.grad(lambda x: np.sin(method(x, name)(axis=axis, keepdims=keepdims)).sum()
                       * 1.5, x)
    np.testing.assert_allclose(g_method, vc.grad(f, x), rtol=1e-15)


def test_prod_is_right_at_zeros_and_max_splits_ties():
    # the product of the others, without dividing by a zero element
    assert vc.grad(np.prod, np.array([2.0, 0.0, 3.0])).tolist() == [0.0, 6.0, 0.0]
    assert vc.grad(np.prod, np.array([0.0, 0.0, 3.0])).tolist() == [0.0, 0.0, 0.0]
    # a tie shares the derivative (autograd's convention; vjpchain.maximum gives 1/2 too)
    assert vc.grad(np.max, np.array([2.0, 3.0, 3.0])).tolist() == [0.0, 0.5, 0.5]
    assert vc.grad(lambda x: x.min(axis=1).sum(),
                   np.array([[1.0, 1.0], [4.0, 2.0]])).tolist() == [[0.5, 0.5], [0.0, 1.0]]


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(0, 2**32 - 1),
       st.sampled_from(["2x2", "2x1", "1x2", "1x1"]), st.sampled_from(["matmul", "dot", "@"]))
def test_matmul_and_dot_against_finite_differences(n, k, m, seed, shapes, how):
    rng = np.random.default_rng(seed)
    a_shape = (n, k) if shapes[0] == "2" else (k,)
    b_shape = (k, m) if shapes[2] == "2" else (k,)
    a, b = rng.normal(size=a_shape), rng.normal(size=b_shape)
    product = {"matmul": np.matmul, "dot": np.dot, "@": lambda u, v: u @ v}[how]
    w = rng.normal(size=np.shape(a @ b))
    _check(lambda a: np.sum(np.tanh(product(a, b)) * w), a)
    _check(lambda b: np.sum(np.tanh(product(a, b)) * w), b)
    ga, gb = vc.grad(lambda a, b: np.sum(product(a, b) * w), a, b)
    np.testing.assert_allclose(gb, _numeric_gradient(lambda b: np.sum((a @ b) * w), b),
                               rtol=1e-6, atol=1e-8)
    assert ga.shape == a.shape


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 5), st.integers(0, 2**32 - 1))
def test_indexing_slicing_where_and_stack_against_finite_differences(n, seed):
    x = np.random.default_rng(seed).uniform(-2, 2, n)
    _check(lambda x: np.sum(x[1:] * x[:-1]) + x[-1] ** 3 + np.sum(x[[0, 0, 1]]), x)
    _check(lambda x: np.sum(np.where(x > 0, np.exp(x), x * x)), x)
    _check(lambda x: np.sum(np.stack([x, np.sin(x)], axis=1)[:, 1] * x), x)
    _check(lambda x: sum(v * v for v in x), x)  # iteration gives the elements
    _check(lambda x: np.sum(x[x > 0] ** 2), x)  # a boolean mask is a constant index


def test_an_unsupported_numpy_function_says_so_and_lists_what_is_supported():
    x = np.ones(3)
    for f in (lambda x: np.cumsum(x).sum(), lambda x: np.sort(x)[0],
              lambda x: np.add.reduce(x), lambda x: np.exp(x, out=np.empty(3)),
              lambda x: np.sum(x, where=x > 0)):
        with pytest.raises(vc.UnsupportedTypeError, match="not supported|supports") as info:
            vc.grad(f, x)
        assert "numpy." in str(info.value)


def test_no_object_array_of_traced_values_reaches_a_result():
    y, g = vc.val_and_grad(lambda a, b: np.array([a * b, a + b]).sum(), 2.0, 5.0)
    assert isinstance(y, float | np.floating) and g == (6.0, 3.0)
    y, g = vc.val_and_grad(lambda a: np.array([[a, 2.0], [3.0, a * a]]), 3.0)
    assert y.dtype == np.float64 and y.tolist() == [[3.0, 2.0], [3.0, 9.0]]
    assert g == 1.0 + 6.0


def test_a_reduction_feeding_an_elementwise_product_gets_the_summed_cotangent():
    # s = sum(x) is a scalar node whose cotangent arrives with x's shape (fan-out)
    x = np.array([1.0, 2.0, 4.0])
    _check(lambda x: np.sum(np.sum(x) * x), x)
    _check(lambda x: np.sum(np.mean(x, axis=0, keepdims=True) * np.log(x)), x)
    assert math.isclose(vc.grad(lambda x: np.sum(x) ** 2, x).tolist()[0], 14.0)


def _central(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


@pytest.mark.parametrize("f", [
    lambda a: (a.T @ np.arange(2.0)).sum(),
    lambda a: (np.transpose(a) * np.arange(6.0).reshape(3, 2)).sum(),
    lambda a: (a.reshape(3, 2)[0] * np.array([1.0, 2.0])).sum(),
    lambda a: (a.reshape((6,)) ** 2).sum(),
    lambda a: (np.reshape(a, (3, 2)) @ np.ones(2)).prod(),
    lambda a: (a.ravel() * np.arange(6.0)).sum() + (a.flatten() ** 3).mean(),
    lambda a: (np.ravel(a) * vc.sin(a.transpose().ravel())).sum(),
])
def test_shape_operations_differentiate(f):
    x = np.arange(6.0).reshape(2, 3) / 7 + 0.5
    assert np.allclose(vc.grad(f, x), _central(f, x), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("f, match", [
    (lambda a: a.astype(float).sum(), "no 'astype'"),
    (lambda a: a.tolist(), "no 'tolist'"),
    (lambda a: np.dot(a[0], a[0], out=None), "does not take these arguments"),
])
def test_other_array_attributes_and_arguments_are_clear_errors(f, match):
    with pytest.raises((AttributeError, vc.UnsupportedTypeError), match=match):
        vc.grad(f, np.ones((2, 3)))
