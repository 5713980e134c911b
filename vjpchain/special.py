"""The special-function built-in primitives, one declaration each: erf, erfc, lgamma,
digamma and the normalized sinc, with the polygamma helpers their derivatives need.

As in ``elementary``, each declaration names its primal, derivative, formulas, domain,
special points, tolerance, mpmath reference and sympy meaning; the float64 kernels are in
``float64/kern_exp.py`` and ``float64/kern_special.py``.
"""

from __future__ import annotations

import math
from typing import Any

import mpmath

from .builders import accurate, at_pole, mp_real, no_value, np_vectorized, via_mpc
from .domain import Domain
from .elementary import cos, exp, sin
from .errors import UnsupportedTypeError
from .float64 import kern_complex as KC
from .float64 import kern_exp as KE
from .float64 import kern_special as KS
from .generic import MPF, Generic, array_namespace, at_precision
from .mpcontext import context_of, inctx
from .registry import declare

__all__ = ["erf", "erfc", "lgamma", "digamma", "sinc"]

# --- the error function --------------------------------------------------------------------------

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _d_erf(x: Any) -> Any:
    return _TWO_OVER_SQRT_PI * exp(-x * x)


def _d_erf_mp(x: Any) -> Any:
    c = context_of(x)
    return 2 / c.sqrt(c.pi) * c.exp(-x * x)


erf = Generic("erf", real=math.erf, complex=via_mpc("erf"), mp=mpmath.erf,
              numpy=np_vectorized(math.erf),
              array_names={"torch": "special.erf", "jax": "scipy.special.erf"})
def _erfc_complex(ctx: Any, z: Any) -> Any:
    try:
        return ctx.erfc(z)
    except OverflowError:  # mpmath's series check fails far out (|z| ~ 1e154): erfc ~ 0
        return 1 - ctx.erf(z)


erfc = Generic("erfc", real=math.erfc, complex=via_mpc(_erfc_complex), mp=mpmath.erfc,
               numpy=np_vectorized(math.erfc),
               array_names={"torch": "special.erfc", "jax": "scipy.special.erfc"})
d_erf = accurate("d_erf", KE.d_erf, _d_erf, mp=_d_erf_mp, complex=KC.d_erf,
                 doc="erf'(x) = 2/sqrt(pi) exp(-x**2)")
d_erfc = accurate("d_erfc", KE.d_erfc, lambda x: -_d_erf(x), mp=lambda x: -_d_erf_mp(x),
                  complex=lambda z: -KC.d_erf(z),
                  doc="erfc'(x) = -2/sqrt(pi) exp(-x**2)")

declare(erf, d_erf, "2/sqrt(pi)*exp(-x**2)", reference=_d_erf_mp,
        domain=Domain(special=(26.5, 27.2, -27.2)))
declare(erfc, d_erfc, "-2/sqrt(pi)*exp(-x**2)", reference=lambda x: -_d_erf_mp(x),
        domain=Domain(special=(26.5, 27.2, -27.2)))

# --- log-gamma and the polygamma functions -------------------------------------------------------


def _gamma_poles(x: Any) -> Any:
    """Whether x is a pole of Gamma: 0, -1, -2, ... (every float below -2**52 is one)."""
    return (x <= 0) & (x % 1 == 0)


def _lgamma_real(x: Any) -> float:
    """math.lgamma with the conventions: inf on overflow, a ValueError naming the pole, and
    none at -inf, where log|Gamma| has no limit (math.lgamma gives inf, scipy -inf)."""
    if x == -math.inf:
        raise no_value("lgamma", x)
    try:
        return math.lgamma(x)
    except OverflowError:
        return math.inf
    except ValueError:
        raise at_pole("lgamma", x) from None


def _lgamma_mp(x: Any) -> Any:
    # log|Gamma(x)| on the reals (math.lgamma's meaning), the principal log-gamma off them
    if isinstance(x, MPF):
        return inctx.re(inctx.loggamma(x))
    return inctx.loggamma(x)


def _tetragamma_float(x: Any) -> Any:
    if _gamma_poles(x):
        raise at_pole("tetragamma", x)
    return float(at_precision(80).psi(2, x))  # a private context: mp stays untouched


def _trigamma_formula(x: Any) -> Any:
    # dual numbers only: trigamma(v + t eps) = trigamma(v) + t tetragamma(v) eps
    if not hasattr(x, "tangent"):
        raise UnsupportedTypeError(
            f"trigamma of a {type(x).__name__} is not supported: its derivative is needed "
            "only for second derivatives of digamma, which dual numbers provide")
    return x.with_parts(trigamma(x.value), x.tangent * tetragamma(x.value))


# Bernoulli-number coefficients of trigamma's asymptotic series in 1/z (z >= 10: the first
# omitted term is below 1e-17 relative)
_TRIGAMMA_SERIES = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)


def _trigamma_array(x: Any) -> Any:
    """trigamma for real arrays of other libraries: the recurrence up to z = x + 10, then
    the asymptotic series; reflection, pi**2 / sin(pi x)**2 - trigamma(1 - x), for x < 0.
    (Not torch.special.polygamma(1, x): its float64 error reaches 5e-10.)"""
    xp = array_namespace(x)
    negative = x < 0
    x = xp.where(negative, 1 - x, x)
    total = x * 0
    for k in range(10):
        total = total + 1 / ((x + k) * (x + k))
    z = x + 10
    w = 1 / (z * z)
    series = x * 0
    for c in reversed(_TRIGAMMA_SERIES):
        series = (series + c) * w
    total = total + (1 + (1 / (2 * z) + series)) / z
    reflected = (math.pi / sin(math.pi * x)) ** 2 - total
    return xp.where(negative, reflected, total)


def _reference_trigamma(x: Any) -> Any:
    # inctx.psi(1, x) is very slow far out on the negative axis; reflect there:
    # psi1(x) + psi1(1 - x) = pi**2 / sin(pi x)**2
    if inctx.re(x) < 0:
        return (context_of(x).pi / inctx.sinpi(x)) ** 2 - inctx.psi(1, 1 - x)
    return inctx.psi(1, x)


lgamma = Generic("lgamma", real=_lgamma_real, complex=via_mpc("loggamma"),
                 mp=mp_real(_lgamma_mp, "lgamma", _gamma_poles),
                 numpy=np_vectorized(_lgamma_real, _gamma_poles, "lgamma"),
                 array_names={"torch": "special.gammaln", "jax": "scipy.special.gammaln"})
digamma = accurate("digamma", KS.digamma, via_mpc("digamma"), mp=mpmath.digamma,
                   poles=_gamma_poles,
                   array_names={"torch": "special.digamma", "jax": "scipy.special.digamma"},
                   doc="digamma(x) = d/dx lgamma(x).")
digamma.formula = None  # a registered primitive: its rule applies
trigamma = accurate("trigamma", KS.trigamma, via_mpc(lambda ctx, z: ctx.psi(1, z)),
                    complex=KC.trigamma,
                    mp=lambda x: inctx.psi(1, x), poles=_gamma_poles,
                    doc="trigamma(x) = digamma'(x)")
trigamma.formula = _trigamma_formula
trigamma.array_formula = _trigamma_array
tetragamma = Generic("tetragamma", real=_tetragamma_float,
                     mp=mp_real(lambda x: inctx.psi(2, x), "tetragamma", _gamma_poles),
                     complex=via_mpc(lambda ctx, z: ctx.psi(2, z)),
                     numpy=np_vectorized(_tetragamma_float),
                     doc="tetragamma(x) = trigamma'(x) (through mpmath: for dual numbers)")

declare(lgamma, digamma, "digamma(x)", aliases=("gammaln",), reference=mpmath.digamma,
        sympy={"lgamma": lambda sp, x: sp.loggamma(x)},
        domain=Domain(excluded_integers_below=0.0))
declare(digamma, trigamma, "trigamma(x)", aliases=("psi",), reference=_reference_trigamma,
        sympy={"trigamma": lambda sp, x: sp.polygamma(1, x)},
        domain=Domain(excluded_integers_below=0.0))

# --- the normalized sinc -------------------------------------------------------------------------


def _d_sinc_mp(x: Any) -> Any:
    if x == 0 or inctx.isinf(x):
        return x * 0 if x == 0 else context_of(x).zero  # the limit at +-inf is 0
    # cos(pi x) - sinc(x) cancels about 2 log2(1/|x|) bits as x -> 0: carry them as guard bits
    # in a private context (mpmath.workprec would change the global context under threads)
    own = context_of(x)
    _, e = own.frexp(abs(x))
    ctx = at_precision(own.prec + 2 * max(0, -int(e)) + 16)
    xe = ctx.mpmathify(x)
    return own.mpmathify((ctx.cospi(xe) - ctx.sincpi(xe)) / xe)


def _d_sinc_complex(ctx: Any, z: Any) -> Any:
    # _d_sinc_mp in the private 53-bit context ctx: c carries the guard bits
    if z == 0:
        return z * 0
    c = at_precision(ctx.prec + 2 * max(0, -int(ctx.frexp(abs(z))[1])) + 16)
    x = c.mpmathify(z)
    return (c.cospi(x) - c.sincpi(x)) / x


def _d_sinc_formula(x: Any) -> Any:
    # traced and dual numbers (second derivatives of sinc); at exactly 0 this is 0/0, so
    # other array types keep their clear error instead
    if not hasattr(type(x), "__vjpchain_apply__"):
        raise UnsupportedTypeError(
            f"sinc is not defined for {type(x).__module__.split('.')[0]} arrays here: its "
            "derivative has no form for them (vjpchain.sinc itself runs)")
    return (cos(math.pi * x) - sinc(x)) / x


def _reference_d_sinc(x: Any) -> Any:
    own = context_of(x)
    if x == 0:
        return own.mpf(0)
    # t cos t - sin t ~ -t**3/3 cancels about 2 log2(1/|t|) bits: carry them as guard bits,
    # in a context of its own at the caller's precision
    _, e = own.frexp(abs(x))
    c = at_precision(own.prec + 2 * max(0, -int(e)) + 40)
    xe = c.mpmathify(x)
    t = c.pi * xe
    return own.mpmathify((c.cospi(xe) * t - c.sinpi(xe)) / (t * xe))


sinc = accurate("sinc", KS.sinc, via_mpc("sincpi"), mp=mpmath.sincpi,
                array_names={"torch": "special.sinc", "jax": "numpy.sinc"},
                doc="sinc(x) = sin(pi x) / (pi x), normalized (numpy.sinc's meaning).")
sinc.formula = None  # a registered primitive: its rule applies
d_sinc = accurate("d_sinc", KS.d_sinc, via_mpc(_d_sinc_complex, overflow_raises=True),
                  mp=_d_sinc_mp,
                  doc="sinc'(x) = (cos(pi x) - sinc(x)) / x")
d_sinc.formula = _d_sinc_formula

declare(sinc, d_sinc, "(cos(pi*x) - sinc(x))/x", aliases=(mpmath.sincpi,),
        not_the_same=(mpmath.sinc,),  # unnormalized: sin(x)/x
        reference=_reference_d_sinc,
        sympy={"sinc": lambda sp, x: sp.sin(sp.pi * x) / (sp.pi * x)},  # normalized
        domain=Domain(special=(1e15 + 0.5, 4503599627370495.5, 1e-8)))
