"""The chain interpreter's input checks: what a chain may be differentiated at."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import vjpchain as vc


@given(st.lists(st.integers(-2**53, 2**53), min_size=1, max_size=5),
       st.sampled_from([np.int8, np.int32, np.int64, np.uint16, np.uint64]))
def test_integer_arrays_run_in_float64_like_python_ints(values, dtype):
    info = np.iinfo(dtype)
    values = [min(max(v, info.min), info.max) for v in values]
    x = np.array(values, dtype=dtype)
    y, d = vc.val_and_grad(["square"], x)
    assert y.dtype == np.float64 and d.dtype == np.float64
    # no integer wraparound: exactly the float64 computation
    for xi, yi, di in zip(values, y, d, strict=True):
        assert yi == float(xi) * float(xi) and di == 2.0 * float(xi)


def test_an_integer_without_an_exact_float64_is_refused():
    # 2**32 squared wrapped to 0 in int64 arithmetic before
    y, d = vc.val_and_grad(["square"], np.array([2**32]))
    assert y[0] == 2.0**64 and d[0] == 2.0**33
    with pytest.raises(vc.UnsupportedInputError, match="no exact float64"):
        vc.grad(["sin"], np.array([2**62 + 1], dtype=np.int64))
    assert vc.grad(["neg"], np.array([2**62], dtype=np.int64))[0] == -1.0  # exact: allowed
    assert vc.grad(["sin"], np.int64(3)) == math.cos(3.0)


@pytest.mark.parametrize("bad", [np.bool_(True), np.array([True, False]),
                                 np.matrix([[1.0, 2.0]]), np.array([1.0], dtype=object),
                                 np.array(["1.0"]), np.array(["2026-01-01"], "datetime64[D]")],
                         ids=["bool_", "bool array", "matrix", "object", "str", "datetime"])
def test_numpy_inputs_without_elementwise_float_meaning_are_refused(bad):
    for f in (["sin"], lambda x: x * x):
        with pytest.raises(vc.UnsupportedInputError, match="cannot differentiate"):
            vc.val_and_grad(f, bad)
    with pytest.raises(vc.UnsupportedInputError):
        vc.jvp(["sin"], bad, 1.0)


def test_the_matrix_refusal_prevents_a_matrix_product_in_the_reverse_pass():
    m = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(vc.UnsupportedInputError, match="np.asarray"):
        vc.vjp(["sin", "exp"], m)
    y, d = vc.val_and_grad(["sin", "exp"], np.asarray(m))
    np.testing.assert_allclose(d, np.exp(np.sin(np.asarray(m))) * np.cos(np.asarray(m)))


def test_the_interpreters_step_cache_stays_bounded_under_ever_new_parameters():
    from vjpchain.chain import _SPECS_MAX, specs

    rules = vc.default_registry.copy()
    for c in range(_SPECS_MAX + 500):
        vc.val_and_grad([vc.scale(float(c)), "sin"], 0.5, rules=rules)
    assert len(specs(rules, float, True)) <= _SPECS_MAX


@pytest.mark.parametrize("value", [2**53 + 1, -(2**53 + 1), 2**63 - 1])
def test_an_integer_without_an_exact_float64_is_refused_in_arrays_and_numpy_scalars(value):
    for x in (np.array([value]), np.int64(value)):
        with pytest.raises(vc.UnsupportedInputError, match="no exact float64"):
            vc.val_and_grad([vc.shift(0.0)], x)
    assert vc.val_and_grad([vc.shift(0.0)], np.array([2**53 + 2]))[0][0] == 2.0**53 + 2


@pytest.mark.parametrize("name", ["digamma", "lgamma", "sinc", "erf", "erfc", "cbrt"])
@pytest.mark.parametrize("x", [np.array([0.3], dtype=np.longdouble), np.longdouble(0.3),
                               np.array([0.3 + 0.1j])])
def test_a_primitive_without_arithmetic_for_a_dtype_says_so_with_its_place(name, x):
    """The right answer or a documented error naming the step and the dtype: never a raw
    TypeError from inside NumPy or mpmath."""
    try:
        y, g = vc.val_and_grad(["sin", name], x)
    except vc.UnsupportedInputError as exc:
        assert "chain[1]" in str(exc) and str(x.dtype) in str(exc)
    else:
        assert np.asarray(g).dtype == x.dtype
    function = getattr(vc, name)
    try:
        g = vc.grad(lambda t: (function(t) * 2.0).sum(), x)
    except vc.UnsupportedTypeError as exc:
        assert name in str(exc) and "traced function" in str(exc)
    else:
        assert np.asarray(g).dtype == x.dtype


def test_a_derivative_that_is_not_a_number_or_has_another_shape_is_named():
    as_text = vc.primitive(lambda x: x, lambda x, y: "d", name="as_text")
    four = vc.primitive(lambda x: x, lambda x, y: np.ones(4), name="four")
    with pytest.raises(vc.RuleOutputError, match=r"chain\[0\] is 'd'"):
        vc.grad([as_text], 1.0)
    with pytest.raises(vc.RuleOutputError, match=r"chain\[1\] has shape \(4,\)"):
        vc.grad(["sin", four], 1.0)
    with pytest.raises(vc.RuleOutputError, match=r"chain\[1\] has shape \(4,\)"):
        vc.grad(["sin", four], np.ones(3))
    with pytest.raises(vc.RuleOutputError, match=r"chain\[1\] has shape \(4,\)"):
        vc.vjp(["sin", four], 1.0)[1](1.0)


def test_a_primal_that_changes_the_shape_is_refused():
    five = vc.primitive(lambda x: np.ones(5), lambda x, y: 1.0, name="five")
    with pytest.raises(vc.RuleOutputError, match=r"output has shape \(5,\) but its input"):
        vc.grad([five], np.ones(3))


def test_a_primal_returning_text_is_refused_in_every_transform():
    as_text = vc.primitive(lambda x: "s", lambda x, y: 1.0, name="as_text")
    for transform in (lambda: vc.grad([as_text], 1.0),
                      lambda: vc.grad(lambda a: as_text(a), 1.0),
                      lambda: vc.derivative([as_text], 1.0),
                      lambda: vc.jvp(lambda a: as_text(a), 1.0, 1.0),
                      lambda: vc.compile_chain([as_text])(1.0)):
        with pytest.raises(vc.RuleOutputError, match="'s'"):
            transform()


def test_an_unordered_chain_is_refused_everywhere():
    from vjpchain.reference import check_chain

    for transform in (lambda: vc.compile_chain({"sin", "exp"}),
                      lambda: check_chain({"sin", "exp"}, 1.0),
                      lambda: vc.grad({"sin", "exp"}, 1.0)):
        with pytest.raises(TypeError, match="ordered"):
            transform()


@pytest.mark.parametrize("dtype", [bool, object, "U1"])
def test_a_cotangent_array_of_non_numbers_is_refused(dtype):
    _, pullback = vc.vjp(["sin"], np.ones(3))
    with pytest.raises(vc.CotangentError, match="dtype"):
        pullback(np.ones(3).astype(dtype))
    _, traced_pullback = vc.vjp(lambda a: vc.sin(a) * 2, np.ones(3))
    with pytest.raises(vc.CotangentError, match="dtype"):
        traced_pullback(np.ones(3).astype(dtype))
