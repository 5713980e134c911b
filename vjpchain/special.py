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

from .builders import (
    Recheck,
    accurate,
    at_pole,
    mp_real,
    np_vectorized,
    numpy_kernel,
    real_kernel,
    via_mpc,
)
from .domain import Domain
from .elementary import cos, exp, sin
from .errors import UnsupportedTypeError
from .float64 import kern_complex as KC
from .float64 import kern_exp as KE
from .float64 import kern_primal as KP
from .float64 import kern_special as KS
from .generic import MPC, MPF, Generic, array_namespace, at_precision
from .mpcontext import context_of, inctx, refined, refined_float
from .registry import declare

__all__ = ["erf", "erfc", "lgamma", "digamma", "sinc"]

# --- the error function --------------------------------------------------------------------------

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _d_erf(x: Any) -> Any:
    return _TWO_OVER_SQRT_PI * exp(-x * x)


def _exp_exact(w: Any, s: Any) -> Any:
    """exp(s) to ``w``'s precision for an mpf ``s`` of any size: s = n ln2 + r with n ln2
    carried to every bit of s, then 2**n exactly (mpmath's exp, above 600 bits, raises e to
    the integer s instead: seconds at s = -1e2000)."""
    if not w.isfinite(s) or w.frexp(s)[1] < 8:
        return w.exp(s)
    _, e = w.frexp(s)
    v = at_precision(w.prec + int(e) + 16)
    n = int(v.nint(s / v.ln2))
    return w.ldexp(w.exp(v.mpf(s) - n * v.ln2), n)


def _d_erf_mp(x: Any) -> Any:
    c = context_of(x)
    if not isinstance(x, MPF):
        return 2 / c.sqrt(c.pi) * c.exp(-x * x)
    # -x*x exactly (it has twice x's bits; a unary minus would round it): rounded, its
    # relative error 2**-prec would be an absolute error of x*x * 2**-prec in the exponent,
    # log2(x*x) bits of exp(-x*x) lost
    w = at_precision(c.prec + 8)
    return c.mpf(2 / w.sqrt(w.pi) * _exp_exact(w, w.fmul(-x, x, exact=True)))


# past this mpmath's erfc overflows (it squares float(x)); the asymptotic series needs only
# a few terms here (each is below the last by x*x / n > 1e190)
_ERFC_ASYMPTOTIC = 1e100


def _erfc_far(x: Any) -> Any:
    """erfc(x) for x > 1e100: exp(-x*x) / (x sqrt(pi)) * sum (-1)**n (2n-1)!! / (2 x*x)**n,
    with x*x exact (see _d_erf_mp)."""
    c = context_of(x)
    w = at_precision(c.prec + 16)
    square = w.fmul(x, x, exact=True)
    total = term = w.mpf(1)
    n = 0
    tiny = w.ldexp(1, -w.prec)
    while abs(term) > tiny:
        n += 1
        term = -term * (2 * n - 1) / (2 * square)
        total += term
    return c.mpf(_exp_exact(w, w.fneg(square, exact=True)) / (w.mpf(x) * w.sqrt(w.pi))
                 * total)


def _erfc_mp(x: Any) -> Any:
    if isinstance(x, MPF) and abs(x) > _ERFC_ASYMPTOTIC and inctx.isfinite(x):
        return _erfc_far(x) if x > 0 else 2 - _erfc_far(-x)
    return inctx.erfc(x)


erf = Generic("erf", real=math.erf, complex=via_mpc("erf"), mp=mpmath.erf,
              numpy=np_vectorized(math.erf),
              array_names={"torch": "special.erf", "jax": "scipy.special.erf"})
def _erfc_complex(ctx: Any, z: Any) -> Any:
    try:
        return ctx.erfc(z)
    except OverflowError:  # mpmath's series check fails far out (|z| ~ 1e154): erfc ~ 0
        return 1 - ctx.erf(z)


# glibc's erfc is up to 2.25 ulp off for x in 1..27: a double-double kernel on floats and
# float arrays (complex arrays go through mpmath element by element)
erfc = Generic("erfc", real=real_kernel(KP.erfc, name="erfc"), complex=via_mpc(_erfc_complex),
               mp=_erfc_mp, numpy=numpy_kernel(KP.erfc, np_vectorized(math.erfc), name="erfc"),
               array_names={"torch": "special.erfc", "jax": "scipy.special.erfc"})
d_erf = accurate("d_erf", KE.d_erf, _d_erf, mp=_d_erf_mp, complex=KC.d_erf,
                 doc="erf'(x) = 2/sqrt(pi) exp(-x**2)")
d_erfc = accurate("d_erfc", KE.d_erfc, lambda x: -_d_erf(x), mp=lambda x: -_d_erf_mp(x),
                  complex=lambda z: -KC.d_erf(z),
                  doc="erfc'(x) = -2/sqrt(pi) exp(-x**2)")

# mpf points where x*x needs more than the working precision (exp(-x*x) is then off by
# x*x's rounding error, relative), and where mpmath's erfc overflows (1e300)
_ERF_MP = ("1000.00000000000000000000000000000000000000000000000000000000000000001",
           "-31622.776601683793319988935444327185337195551393252168268", "1e250",
           "1e300", "-1e300", "1e1000")
def _reference_d_erf(x: Any) -> Any:
    # the textbook formula: at the checks' precision (twice x's bits and more) x*x is exact
    return 2 / inctx.sqrt(context_of(x).pi) * inctx.exp(-x * x)


declare(erf, d_erf, "2/sqrt(pi)*exp(-x**2)", reference=_reference_d_erf,
        domain=Domain(special=(26.5, 27.2, -27.2), mp_special=_ERF_MP))
declare(erfc, d_erfc, "-2/sqrt(pi)*exp(-x**2)", reference=lambda x: -_reference_d_erf(x),
        domain=Domain(special=(26.5, 27.2, -27.2), mp_special=_ERF_MP))

# --- log-gamma and the polygamma functions -------------------------------------------------------


def _gamma_poles(x: Any) -> Any:
    """Whether x is a pole of Gamma: 0, -1, -2, ... (every float below -2**52 is one)."""
    return (x <= 0) & (x % 1 == 0)


def _rounded(exact: Any) -> Any:
    """``exact(ctx, x)`` for an mpmath number x, to the precision of x's own context and
    rounded once (:func:`vjpchain.mpcontext.refined`): mpmath's digamma, loggamma and
    polygammas are only absolutely accurate next to their zeros, so the guard bits rise
    until two precisions agree."""

    def call(x: Any) -> Any:
        own = context_of(x)
        value = refined(exact, x, own.prec)
        return own.mpf(value) if isinstance(value, MPF) else own.mpc(value)

    call.__name__ = getattr(exact, "__name__", "exact")
    return call


def _lgamma_exact(c: Any, x: Any) -> Any:
    # log|Gamma(x)| on the reals (math.lgamma's meaning), the principal log-gamma off them
    return c.re(c.loggamma(x)) if isinstance(x, MPF) else c.loggamma(x)


def _digamma_exact(c: Any, x: Any) -> Any:
    return c.digamma(x)


def _trigamma_exact(c: Any, x: Any) -> Any:
    # c.psi(1, x) takes time linear in |x| on the negative axis; reflect there (DLMF 5.15.6):
    # psi1(x) = pi**2 / sin(pi x)**2 - psi1(1 - x), which cancels by at most 1/6 (psi1 > 0)
    if (x.real if isinstance(x, MPC) else x) < 0:  # complex too: far left is as slow
        return (c.pi / c.sinpi(x)) ** 2 - c.psi(1, 1 - x)
    return c.psi(1, x)


def _tetragamma_exact(c: Any, x: Any) -> Any:
    # the reflection differentiated once more: psi2(x) = psi2(1 - x) - 2 pi**3 cos/sin**3
    # (pi x); it cancels next to the negative zeros of psi2, which refined's guard bits absorb
    if isinstance(x, MPF) and x < 0:
        return c.psi(2, 1 - x) - 2 * c.pi ** 3 * c.cospi(x) / c.sinpi(x) ** 3
    return c.psi(2, x)


def _lgamma_suspect(x: Any, y: Any) -> Any:
    # KS.lgamma's reflection ln(pi/|sin(pi x)|) - lgamma(1 - x) carries an absolute error
    # below 2**-67.6 for -20 < x < 0 (2**-75 of terms of size up to 130, 2**-71 from
    # sin(pi x)): under half an ulp of y wherever |y| >= 2**-13.6, so only the neighbourhoods
    # of lgamma's negative zeros are suspect. Below -20, |y| > 9 (no float is close enough
    # to a pole for |Gamma| to come back up to 1); for x > 0 Taylor series cover 1 and 2.
    return (x < 0.0) & (x > -20.0) & (abs(y) < 2.0 ** -12)


def _digamma_suspect(x: Any, y: Any) -> Any:
    # KS.digamma's reflection psi(1 - x) - pi cot(pi x) carries an absolute error below
    # 2**-70 of its terms (2**-71 from sin and cos(pi x), 2**-75 from the logarithm), whose
    # size is at most 2 |psi(1 - x)| + 6 + |y| < 80 + |y| for |x| < 2**52 (psi(1 - x) <
    # ln(1 - x) < 37): under half an ulp of y wherever |y| >= 2**-9.7, so the neighbourhoods
    # of the negative roots of psi are suspect (about 1e-3 of each unit interval). The
    # positive root has a Taylor series of its own.
    return (x < 0.0) & (abs(y) < 2.0 ** -8)


_LGAMMA_RECHECK = Recheck(_lgamma_suspect, _lgamma_exact)


def _lgamma_element(v: Any) -> Any:
    """lgamma of one element of a complex or long double array (no float64 kernel)."""
    if isinstance(v, (complex, MPC)):
        return complex(at_precision(53).loggamma(v))
    return lgamma(float(v))


def _tetragamma_float(x: Any) -> Any:
    if _gamma_poles(x):
        raise at_pole("tetragamma", x)
    return refined_float(_tetragamma_exact, x)  # private contexts: mp stays untouched


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


def _reference_digamma(x: Any) -> Any:
    # mpmath's digamma is accurate only absolutely next to its roots: rising precision
    return refined(_digamma_exact, x, context_of(x).prec)


def _reference_trigamma(x: Any) -> Any:
    return refined(_trigamma_exact, x, context_of(x).prec)


lgamma = Generic("lgamma", real=real_kernel(KS.lgamma, _gamma_poles, "lgamma", _LGAMMA_RECHECK),
                 complex=via_mpc("loggamma"),
                 mp=mp_real(_rounded(_lgamma_exact), "lgamma", _gamma_poles),
                 numpy=numpy_kernel(KS.lgamma, np_vectorized(_lgamma_element), _gamma_poles,
                                    "lgamma", _LGAMMA_RECHECK),
                 array_names={"torch": "special.gammaln", "jax": "scipy.special.gammaln"},
                 doc="lgamma(x) = log|Gamma(x)| (math.lgamma's meaning).")
digamma = accurate("digamma", KS.digamma, via_mpc("digamma"), mp=_rounded(_digamma_exact),
                   poles=_gamma_poles, recheck=Recheck(_digamma_suspect, _digamma_exact),
                   array_names={"torch": "special.digamma", "jax": "scipy.special.digamma"},
                   doc="digamma(x) = d/dx lgamma(x).")
digamma.formula = None  # a registered primitive: its rule applies
trigamma = accurate("trigamma", KS.trigamma, via_mpc(lambda ctx, z: ctx.psi(1, z)),
                    complex=KC.trigamma,
                    mp=_rounded(_trigamma_exact), poles=_gamma_poles,
                    doc="trigamma(x) = digamma'(x)")
trigamma.formula = _trigamma_formula
trigamma.array_formula = _trigamma_array
tetragamma = Generic("tetragamma", real=_tetragamma_float,
                     mp=mp_real(_rounded(_tetragamma_exact), "tetragamma", _gamma_poles),
                     complex=via_mpc(lambda ctx, z: ctx.psi(2, z)),
                     numpy=np_vectorized(_tetragamma_float),
                     doc="tetragamma(x) = trigamma'(x) (through mpmath: for dual numbers)")

# the zeros of lgamma and the roots of psi in (-20, 3], as floats (tests/test_gamma_accuracy.py
# recomputes them): where the reflection formulas cancel
LGAMMA_ZEROS = (1.0, 2.0, -2.4570247382208006, -2.7476826467274127, -3.14358088834998,
                -3.955294284858598, -4.039361839740537, -4.991544640560048,
                -5.0082181683225935, -5.998607480080875, -6.001385294453155,
                -6.999801507890638, -7.000198333407325, -7.999975197095821,
                -8.000024800270682, -8.999997244250977, -9.000002755714823,
                -9.99999972442663, -10.000000275573013, -10.99999997494789,
                -11.000000025052106, -11.999999997912324, -12.000000002087676,
                -12.99999999983941, -13.00000000016059, -13.99999999998853,
                -14.00000000001147, -14.999999999999236, -15.000000000000764,
                -15.999999999999952, -16.000000000000046, -16.999999999999996,
                -17.000000000000004)
DIGAMMA_ROOTS = (1.4616321449683622, -0.5040830082644554, -1.5734984731623904,
                 -2.6107208684441447, -3.635293366436901, -4.653237761743142,
                 -5.6671624415568855, -6.678418213073427, -7.687788325031626,
                 -8.695764163816401, -9.702672540001863, -10.708740838254144,
                 -11.714133061228955, -12.718971025749207, -13.723347457363827,
                 -14.727334416018529, -15.730988906332882, -16.734356723955734,
                 -17.73747515997759, -18.7403749447801, -19.74308167259022)

declare(lgamma, digamma, "digamma(x)", aliases=("gammaln",), reference=_reference_digamma,
        sympy={"lgamma": lambda sp, x: sp.loggamma(x)},
        domain=Domain(excluded_integers_below=0.0, special=DIGAMMA_ROOTS + LGAMMA_ZEROS))
declare(digamma, trigamma, "trigamma(x)", aliases=("psi",), reference=_reference_trigamma,
        sympy={"trigamma": lambda sp, x: sp.polygamma(1, x)},
        domain=Domain(excluded_integers_below=0.0,
                      special=DIGAMMA_ROOTS + (-1e6 - 0.5, -1e15 - 0.5)))

# --- the normalized sinc -------------------------------------------------------------------------


def _d_sinc_mp(x: Any) -> Any:
    if x == 0 or inctx.isinf(x):
        return x * 0 if x == 0 else context_of(x).zero  # the limit at +-inf is 0
    # cos(pi x) - sinc(x) cancels about 2 log2(1/|x|) bits as x -> 0: carry them as guard bits
    # in a private context (mpmath.workprec would change the global context under threads)
    own = context_of(x)
    _, e = own.frexp(abs(x))
    guard = 2 * max(0, -int(e)) + 16
    ctx = at_precision(own.prec + guard)
    xe = ctx.mpmathify(x)
    a, b = ctx.cospi(xe), ctx.sincpi(xe)
    if abs(a - b) < max(abs(a), abs(b)) * ctx.ldexp(1, 10 - guard):
        # next to a zero of sinc' (1.4303, 2.4590, ...) the difference cancels more bits
        # than the guard holds: rising precision
        return own.mpf(refined(_d_sinc_exact, x, own.prec + 4))
    return own.mpf((a - b) / xe)


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


_SINC_PRIME_ZEROS = (1.4302966531242027, 2.459024032956761, 3.47088972434702,
                     4.477408583432515, 10.49034444429462, 100.49899182227605,
                     1000.4998987294448)
# zeros of sinc' (tan(pi x) = pi x) to 112 digits, read in an mpf's context: rounded to its
# precision, where cos(pi x) - sinc(x) cancels about as many bits as the context has
_SINC_ROOTS = tuple(sign + root for sign in ("", "-") for root in (
    "1.430296653124202757772198445458548368922031531701193929953629437593394396862923631"
    "110395304287109122190565710626",
    "2.459024032956761379445469032586820514947289799138588663566704806947457217673507656"
    "485726350965703728957618847132",
    "3.470889724347019771401076802334263864369069209200571720174772157645796416664890993"
    "890242811759321227466451456788",
    "100.4989918222760498186055384614995487875052819746625700309770745967356529444554400"
    "873339129869869372191596566437"))

sinc = accurate("sinc", KS.sinc, via_mpc("sincpi"), mp=mpmath.sincpi,
                array_names={"torch": "special.sinc", "jax": "numpy.sinc"},
                doc="sinc(x) = sin(pi x) / (pi x), normalized (numpy.sinc's meaning).")
sinc.formula = None  # a registered primitive: its rule applies
def _d_sinc_suspect(x: Any, y: Any) -> Any:
    # the kernel's cos(pi x) - sinc(x) carries ~2**-70 of the larger term; it cancels only
    # where both are about |sinc(x)| <= 1/(pi |x|), so a result off by more than 2**-55 of
    # itself has |y| x**2 < 2**-15 / pi (next to the zeros of sinc', 1.4303, 2.4590, ...)
    return (abs(y) * (x * x) < 1e-5) & (abs(x) >= 0.25)


def _d_sinc_exact(c: Any, x: Any) -> Any:
    return (c.cospi(x) - c.sincpi(x)) / x


d_sinc = accurate("d_sinc", KS.d_sinc, via_mpc(_d_sinc_complex, overflow_raises=True),
                  mp=_d_sinc_mp, recheck=Recheck(_d_sinc_suspect, _d_sinc_exact),
                  doc="sinc'(x) = (cos(pi x) - sinc(x)) / x")
d_sinc.formula = _d_sinc_formula

declare(sinc, d_sinc, "(cos(pi*x) - sinc(x))/x", aliases=(mpmath.sincpi,),
        not_the_same=(mpmath.sinc,),  # unnormalized: sin(x)/x
        reference=_reference_d_sinc,
        sympy={"sinc": lambda sp, x: sp.sin(sp.pi * x) / (sp.pi * x)},  # normalized
        # with the floats nearest zeros of sinc' (tan(pi x) = pi x), where its formula cancels
        domain=Domain(special=(1e15 + 0.5, 4503599627370495.5, 1e-8) + _SINC_PRIME_ZEROS
                      + tuple(-x for x in _SINC_PRIME_ZEROS), mp_special=_SINC_ROOTS))
