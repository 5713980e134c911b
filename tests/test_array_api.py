"""Arrays of other array API libraries (PyTorch, dask) run in their own library, elementwise.

Skipped when array-api-compat is missing; each library's tests are skipped without it.
"""

import math

import mpmath
import numpy as np
import pytest

import vjpchain as vc
from vjpchain import generic as G
from vjpchain import special as S
from vjpchain.errors import UnsupportedInputError

pytest.importorskip("array_api_compat")


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


@pytest.fixture
def dask():
    pytest.importorskip("dask.array")
    import dask

    return dask


SEED_CHAIN = [vc.sin, vc.sin, vc.exp]
SMOOTH_CHAIN = [vc.tanh, vc.sigmoid, vc.log1p]


def _torch_reference(torch, chain, x):
    """Value and derivative of the chain by torch's own autograd."""
    fns = {vc.sin: torch.sin, vc.exp: torch.exp, vc.tanh: torch.tanh,
           vc.sigmoid: torch.sigmoid, vc.log1p: torch.log1p}
    xr = x.detach().clone().requires_grad_(True)
    y = xr
    for f in chain:
        y = fns[f](y)
    (g,) = torch.autograd.grad(y.sum(), xr)
    return y.detach(), g


def _assert_close(torch, a, b, rtol):
    assert type(a) is torch.Tensor and a.dtype == b.dtype and a.shape == b.shape
    torch.testing.assert_close(a, b, rtol=rtol, atol=0.0)


@pytest.mark.parametrize("chain", [SEED_CHAIN, SMOOTH_CHAIN], ids=["sin,sin,exp",
                                                                  "tanh,sigmoid,log1p"])
def test_torch_tensor_in_tensor_out_matches_torch_autograd(torch, chain):
    """Values and derivatives equal torch's autograd within 1e-12 relative, on the first
    (interpreted) call and on later (compiled hot chain) calls."""
    x = torch.linspace(-2.0, 2.0, 101, dtype=torch.float64)
    y_ref, g_ref = _torch_reference(torch, chain, x)
    for _ in range(3):
        y, g = vc.val_and_grad(list(chain), x)
        _assert_close(torch, y, y_ref, 1e-12)
        _assert_close(torch, g, g_ref, 1e-12)


def test_torch_float32_stays_float32(torch):
    x = torch.linspace(-2.0, 2.0, 11, dtype=torch.float32)
    for chain in (SEED_CHAIN, SMOOTH_CHAIN, [vc.erf, vc.softplus, vc.scale(2.0)]):
        for _ in range(3):
            y, g = vc.val_and_grad(list(chain), x)
            assert y.dtype == g.dtype == torch.float32
    y_ref, g_ref = _torch_reference(torch, SMOOTH_CHAIN, x)
    y, g = vc.val_and_grad(list(SMOOTH_CHAIN), x)
    _assert_close(torch, y, y_ref, 1e-6)
    _assert_close(torch, g, g_ref, 1e-5)


def test_torch_runs_on_torch_kernels(torch):
    """Functions of the standard come from the namespace, others from torch.special; both
    agree with the NumPy path to double precision."""
    x = np.linspace(0.1, 3.0, 30)
    t = torch.from_numpy(x)
    for name in ("sin", "asin", "erf", "erfc", "lgamma", "digamma", "sinc", "sigmoid",
                 "softplus", "exp2", "reciprocal", "neg", "abs", "sign"):
        f = getattr(G, name if name != "abs" else "absolute")
        arg, arg_np = (t / 4, x / 4) if name == "asin" else (t, x)
        out = f(arg)
        assert type(out) is torch.Tensor and out.dtype == torch.float64, name
        # atol: torch's lgamma is not correctly rounded near its root at 1
        np.testing.assert_allclose(out.numpy(), f(arg_np), rtol=1e-13, atol=1e-15,
                                   err_msg=name)


def test_torch_derivatives_of_the_registry(torch):
    """Every primitive that torch can run gives the NumPy path's derivative."""
    x = np.linspace(0.2, 0.9, 15)
    for name in ("tan", "exp2", "expm1", "log", "log2", "log10", "sqrt", "sinh", "cosh",
                 "asin", "acos", "atan", "asinh", "atanh", "erf", "erfc", "sigmoid",
                 "softplus", "square", "reciprocal", "lgamma", "digamma", "neg"):
        y, g = vc.val_and_grad([name], torch.from_numpy(x))
        y_np, g_np = vc.val_and_grad([name], x)
        np.testing.assert_allclose(y.numpy(), y_np, rtol=1e-13, err_msg=name)
        np.testing.assert_allclose(g.numpy(), g_np, rtol=1e-12, err_msg=name)
    # trigamma (digamma's derivative) by vjpchain's series, not torch.special.polygamma
    # (whose float64 error reaches 5e-10): 2 ULPs for x > 0, the reflection below
    x = np.concatenate([np.linspace(0.01, 40.0, 200), -np.linspace(0.01, 9.9, 50)])
    np.testing.assert_allclose(S.trigamma(torch.from_numpy(x)).numpy(), S.trigamma(x),
                               rtol=1e-10)
    x = np.linspace(0.2, 0.9, 15)
    y, g = vc.val_and_grad(["acosh"], torch.from_numpy(x + 1.5))
    np.testing.assert_allclose(g.numpy(), vc.grad(["acosh"], x + 1.5), rtol=1e-12)


def test_torch_stable_formulas_do_not_overflow(torch):
    """softplus and sigmoid' far out: no inf or nan where exp(-x) overflows."""
    x = torch.tensor([-800.0, -40.0, 0.0, 40.0, 800.0], dtype=torch.float64)
    y, g = vc.val_and_grad(["softplus"], x)
    y_np, g_np = vc.val_and_grad(["softplus"], x.numpy())
    np.testing.assert_allclose(y.numpy(), y_np, rtol=1e-15)
    np.testing.assert_allclose(g.numpy(), g_np, rtol=1e-15)
    y, g = vc.val_and_grad(["sigmoid"], x)
    np.testing.assert_allclose(g.numpy(), vc.grad(["sigmoid"], x.numpy()), rtol=1e-14)


def test_torch_unsupported_function_names_function_and_library(torch):
    x = torch.linspace(-2.0, 2.0, 5, dtype=torch.float64)
    with pytest.raises(UnsupportedInputError, match=r"chain\[1\].*cbrt.*torch"):
        vc.val_and_grad([vc.sin, vc.cbrt], x)
    with pytest.raises(TypeError, match="sinc is not defined for torch arrays"):
        vc.val_and_grad(["sinc"], x)  # sinc itself runs; its derivative has no torch form


def test_torch_other_transforms(torch):
    """The empty chain, parametric primitives, jvp, vjp and traced functions keep tensors."""
    x = torch.linspace(-1.0, 1.0, 5, dtype=torch.float64)
    y, g = vc.val_and_grad([], x)
    assert y is x and torch.equal(g, torch.ones_like(x))
    y, g = vc.val_and_grad([vc.scale(2.0), vc.power(3), "neg"], x)
    torch.testing.assert_close(g, -24 * x * x)
    y, y_dot = vc.jvp([vc.sin, vc.exp], x, torch.ones_like(x))
    torch.testing.assert_close(y_dot, torch.cos(x) * torch.exp(torch.sin(x)))
    y, pullback = vc.vjp(SEED_CHAIN, x)
    torch.testing.assert_close(pullback(torch.ones_like(x)), vc.grad(SEED_CHAIN, x))
    y, g = vc.val_and_grad(lambda a: a * vc.sin(a), x)
    torch.testing.assert_close(g, torch.sin(x) + x * torch.cos(x))


def test_compiled_chain_for_tensors(torch):
    f = vc.compile_chain(SEED_CHAIN)
    x = torch.linspace(-2.0, 2.0, 9, dtype=torch.float64)
    y, g = f(x)
    assert type(g) is torch.Tensor
    torch.testing.assert_close(g, vc.grad(SEED_CHAIN, x), rtol=0.0, atol=0.0)
    assert "g *= d1" in f.source_for(torch.Tensor)


def test_number_kind_of_arrays(torch):
    assert G.number_kind(torch.Tensor) == G.ARRAY_API
    assert G.number_kind(np.ndarray) == G.NUMPY  # NumPy keeps its accurate kernels
    assert not G.is_array_api_type(np.ndarray)


def test_dask_array_stays_lazy_and_matches_numpy(dask):
    """Nothing is computed until the user computes (any compute inside would raise); the
    computed result equals the NumPy path's, whose accurate kernels run chunk by chunk."""
    import dask.array as da

    x_np = np.linspace(-3.0, 3.0, 1001)
    x = da.from_array(x_np, chunks=100)

    def no_compute(*args, **kwargs):
        raise AssertionError("vjpchain computed a dask array")

    for chain in (SEED_CHAIN, [vc.tanh, vc.sigmoid, vc.softplus, vc.erf, vc.cbrt, vc.sinc]):
        for _ in range(3):  # interpreted, then compiled
            with dask.config.set(scheduler=no_compute):
                y, g = vc.val_and_grad(list(chain), x)
            assert isinstance(y, da.Array) and isinstance(g, da.Array)
            assert y.dtype == g.dtype == np.float64 and y.chunks == x.chunks
            y_np, g_np = vc.val_and_grad(list(chain), x_np)
            y_c, g_c = dask.compute(y, g)
            np.testing.assert_array_equal(y_c, y_np)
            np.testing.assert_allclose(g_c, g_np, rtol=1e-15, atol=0.0)


def test_dask_leaves_mpmath_working(dask):
    """Chunked NumPy implementations are named, not hashed by dask: hashing pickles the
    mpmath functions in their closures, which broke mpmath's constants."""
    import dask.array as da

    x = da.from_array(np.linspace(0.5, 1.0, 8), chunks=4)
    dask.compute(*vc.val_and_grad([vc.sinc, vc.digamma], x))
    assert float(mpmath.ln2 * 2) == 2 * math.log(2.0)


def test_dask_float32_kept(dask):
    import dask.array as da

    x = da.from_array(np.linspace(-1.0, 1.0, 10, dtype=np.float32), chunks=5)
    y, g = vc.val_and_grad([vc.tanh, vc.erf], x)
    assert y.dtype == g.dtype == np.float32
    assert g.compute().dtype == np.float32


def test_missing_array_api_compat_is_explained(monkeypatch, torch):
    """Without array-api-compat a tensor is an unsupported input, and the error says what
    to install."""
    monkeypatch.setattr(G, "_compat_module", None)
    monkeypatch.setattr(G, "_KINDS", {float: "real", int: "real", complex: "complex"})
    with pytest.raises(UnsupportedInputError, match=r"vjpchain\[arrays\]"):
        vc.val_and_grad([vc.sin], torch.ones(3))


def test_math_is_untouched():
    assert vc.val_and_grad(SEED_CHAIN, 2.0) == (2.2013533791690376, -0.562752038662712)
    assert math.isclose(vc.grad([vc.sigmoid], 0.0), 0.25)


def test_jax_array_runs_in_jax():
    """Any array with __array_namespace__ works: a JAX array stays a JAX array (float32,
    JAX's default), erf and sigmoid come from jax.scipy and jax.nn."""
    jnp = pytest.importorskip("jax.numpy")
    x_np = np.linspace(-1.0, 1.0, 7, dtype=np.float32)
    chain = [vc.sin, vc.erf, vc.sigmoid, vc.tanh]
    for _ in range(3):
        y, g = vc.val_and_grad(chain, jnp.asarray(x_np))
        assert type(y) is type(jnp.asarray(x_np)) and g.dtype == np.float32
        y_np, g_np = vc.val_and_grad(chain, x_np)
        np.testing.assert_allclose(np.asarray(y), y_np, rtol=1e-6)
        np.testing.assert_allclose(np.asarray(g), g_np, rtol=1e-5)
