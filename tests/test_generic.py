"""Generic functions pick the arithmetic from the argument's type and never lose precision."""

import cmath
import fractions
import math

import mpmath
import numpy as np
import pytest

import vjpchain as vc
from vjpchain import UnsupportedTypeError


def test_dispatch_by_type():
    assert vc.sin(2.0) == math.sin(2.0) and type(vc.sin(2)) is float
    assert vc.sin(2j) == cmath.sin(2j)
    with mpmath.workdps(60):
        assert vc.sin(mpmath.mpf(2)) == mpmath.sin(mpmath.mpf(2))
        assert isinstance(vc.exp(mpmath.mpc(1, 1)), mpmath.mpc)
    a = np.linspace(0, 1, 4, dtype=np.float32)
    assert vc.sin(a).dtype == np.float32
    assert isinstance(vc.sin(np.float32(1)), np.float32)


def test_unsupported_types_raise_clear_type_error():
    for bad in ("2.0", fractions.Fraction(1, 3), None, [1.0]):
        with pytest.raises(UnsupportedTypeError, match="supported: int, float"):
            vc.sin(bad)
    with pytest.raises(TypeError, match="complex"):
        vc.absolute(1 + 1j)


def test_overflow_gives_inf_like_ieee():
    assert vc.exp(1000.0) == math.inf
    assert vc.sinh(-1000.0) == -math.inf
    assert vc.exp2(1024.5) == math.inf


def test_domain_errors_still_raise_for_floats():
    with pytest.raises(ValueError):
        vc.log(-1.0)


def test_real_cube_root_of_negative_mpf():
    with mpmath.workdps(30):
        assert vc.cbrt(mpmath.mpf(-27)) == -3


def test_lgamma_is_log_abs_gamma_on_the_reals():
    # log|Gamma(-2.5)| = log(15/(8 sqrt(pi))), correctly rounded; math.lgamma is 75 ulps off
    assert vc.lgamma(-2.5) == -0.056243716497674054
    with mpmath.workdps(30):
        v = vc.lgamma(mpmath.mpf("-2.5"))
        assert isinstance(v, mpmath.mpf)
        assert abs(v - mpmath.log(abs(mpmath.gamma(mpmath.mpf("-2.5"))))) < mpmath.mpf(10) ** -28


def test_derivative_kernels_handle_every_type():
    """The accurate kernels' generic wrappers serve float, arrays, complex and mpmath."""
    for d, x in [(vc.elementary.d_tanh, 0.5), (vc.elementary.d_asin, 0.5), (vc.special.d_erf, 0.5),
                 (vc.special.trigamma, 2.5), (vc.special.d_sinc, 0.3)]:
        f = d(x)
        assert isinstance(f, float)
        np.testing.assert_allclose(d(np.array([x])), [f], rtol=1e-15)
        with mpmath.workdps(30):
            assert abs(d(mpmath.mpf(x)) - f) < 1e-14
        assert abs(d(complex(x, 0)) - f) < 1e-14
