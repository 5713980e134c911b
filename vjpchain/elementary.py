"""The elementary built-in primitives, one declaration each: trigonometric, exponential,
logarithmic, hyperbolic and their inverses, roots, powers, and the activations built on exp.

A declaration names everything about its primitive: the generic function (its primal in each
arithmetic, the accurate float64 kernel where there is one), its derivative, the formulas for
listings, its domain, special points and ULP tolerance for the checks, an mpmath reference
derivative written independently of the rule, and the sympy meaning of any name sympy lacks.
The numerics themselves live in ``float64/``.
"""

from __future__ import annotations

import builtins
import cmath
import math
import operator
from typing import Any

import mpmath

from .builders import Recheck, accurate, numpy_ufunc, standard, via_mpc
from .domain import Domain
from .float64 import kern_alg as KA
from .float64 import kern_complex as KC
from .float64 import kern_exp as KE
from .float64 import kern_primal as KP
from .generic import MPF, Generic, is_complex_array, unbox
from .mpcontext import at_precision, context_of, inctx
from .registry import OUTPUT, declare

__all__ = [
    "sin", "cos", "tan", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt",
    "cbrt", "sinh", "cosh", "tanh", "asin", "acos", "atan", "asinh", "acosh", "atanh",
    "sigmoid", "softplus", "absolute", "sign", "neg", "square", "reciprocal",
]

_MAX_EXP = 709.782712893384  # log(max float)
_COSH_MAX = 710.4758600739439  # cosh and sinh overflow beyond
_EXP2_DERIV_MAX = 1024.5287663729448  # ln2 * 2**x overflows beyond
_HALF_PI = math.pi / 2
_LN2, _LN10 = math.log(2.0), math.log(10.0)


def over(a: Any, b: Any) -> Any:
    """a / b, with mpmath's exact zero at a domain edge giving a signed inf (as floats do:
    sqrt'(0), asin'(1)) instead of ZeroDivisionError."""
    if isinstance(b, MPF) and b == 0:
        return context_of(b).inf if a > 0 else -context_of(b).inf
    return a / b


# --- roots ---------------------------------------------------------------------------------------


def _cbrt_mp(x: Any) -> Any:
    # the real cube root for real x (mpmath.cbrt gives the principal, complex, root of x < 0)
    if isinstance(x, MPF) and x < 0:
        return -inctx.cbrt(-x)
    return inctx.cbrt(x)


sqrt = standard("sqrt", math.sqrt, cmath.sqrt, mpmath.sqrt)
# glibc's cbrt (and the ufunc, which calls it on most machines) is up to 2.9 ulp off
cbrt = standard("cbrt", math.cbrt, via_mpc("cbrt"), _cbrt_mp, kernel=KP.cbrt,
                array_names={"standard": "cbrt", "jax": "numpy.cbrt"},
                doc="cbrt(x): the real cube root of a real x; the principal root of a complex.")

d_sqrt = accurate("d_sqrt", KA.d_sqrt, lambda x: over(1, 2 * sqrt(x)),
                  doc="sqrt'(x) = 1 / (2 sqrt(x))")
d_cbrt = accurate("d_cbrt", KA.d_cbrt, lambda x: over(1, 3 * cbrt(x) ** 2),
                  doc="cbrt'(x) = 1 / (3 cbrt(x)**2)")

declare(sqrt, d_sqrt, "1/(2*sqrt(x))", domain=Domain(0.0, include_lo=True),
        reference=lambda x: 1 / (2 * inctx.sqrt(x)) if x else context_of(x).inf)
declare(cbrt, d_cbrt, "1/(3*cbrt(x)**2)",
        reference=lambda x: 1 / (3 * _cbrt_mp(x) ** 2) if x else context_of(x).inf,
        sympy={"cbrt": lambda sp, x: sp.real_root(x, 3)})

# --- trigonometric ------------------------------------------------------------------------------

# glibc's sin, cos and tan (and NumPy's, which are the same) reduce the argument to about
# 2**-94 absolute: at floats next to a multiple of pi/2 (6.5e20, 4.6e131, Muller's
# 6381956970095103 * 2**797 ~ 5.3e255) a result near 0 is off by up to thousands of ulps.
# Where the result is at least 2**-20 in size (tan: at most 2**20) that error is below
# 2**-17 ulp, so the libm value stands; below, it is recomputed in mpmath, which reduces
# exactly. |x| < 3 reaches no multiple of pi/2 but 0 and +-pi/2, where no reduction cancels
# (sin(1e-300) is 1e-300), so those stay with libm except near +-pi/2.
_TRIG_SMALL, _TRIG_LARGE = 2.0 ** -20, 2.0 ** 20


def _sin_suspect(x: Any, y: Any) -> Any:
    return (abs(y) < _TRIG_SMALL) & (abs(x) > 3.0)


def _cos_suspect(x: Any, y: Any) -> Any:
    return abs(y) < _TRIG_SMALL


def _tan_suspect(x: Any, y: Any) -> Any:
    return ((abs(y) < _TRIG_SMALL) & (abs(x) > 3.0)) | (abs(y) > _TRIG_LARGE)


def _small(y: Any) -> Any:
    # two comparisons, not abs(y) < s: on an array, abs allocates a float64 array the size
    # of y (page faults cost more than the comparisons), a comparison a bool one
    return (y < _TRIG_SMALL) & (y > -_TRIG_SMALL)


sin = standard("sin", math.sin, cmath.sin, mpmath.sin,
               recheck=Recheck(_sin_suspect, lambda c, x: c.sin(x), _small))
cos = standard("cos", math.cos, cmath.cos, mpmath.cos,
               recheck=Recheck(_cos_suspect, lambda c, x: c.cos(x), _small))
tan = standard("tan", math.tan, cmath.tan, mpmath.tan,
               recheck=Recheck(_tan_suspect, lambda c, x: c.tan(x)))


def _d_tan(x: Any) -> Any:
    return 1 / cos(x) ** 2


d_tan = accurate("d_tan", KA.d_tan, _d_tan, complex=KC.d_tan, doc="tan'(x) = 1 / cos(x)**2")

# floats next to a multiple of pi/2 where glibc's sin, cos or tan is 5 to 2800 ulps off (found
# per binade from the continued fraction of 2**e / (pi/2); the last is Muller's worst case
# for argument reduction, 6381956970095103 * 2**797), with their negatives
_NEAR_PIO2 = (
    137487618987421.45, 6.505414335327716e+20, 6.93903236595911e+27, 5.233098936635114e+34,
    4.577471654008661e+41, 2.4543579181664426e+76, 4.62131014986481e+131,
    4.981445676155533e+138, 3.581482996737412e+152, 2.6357822212390815e+166,
    1.4394937594080705e+173, 2.013953561945353e+180, 9.624763034611419e+207,
    6.778874782198688e+290, 4.661574920075094e+304, 5.319372648326541e+255)
_TRIG_SPECIAL = _NEAR_PIO2 + tuple(-x for x in _NEAR_PIO2) + (_HALF_PI, -_HALF_PI, 3 * _HALF_PI)
# multiples of pi/2 rounded to an mpf's precision: zeros of sin, cos and their derivatives
_PI_MULTIPLES = ("pi/2", "-pi/2", "pi", "-pi", "3*pi/2", "2*pi", "-7*pi/2",
                 "100000000000000000001*pi/2", "-1000000000000000000000*pi")
_TRIG = Domain(special=_TRIG_SPECIAL, mp_special=_PI_MULTIPLES)

declare(sin, cos, "cos(x)", reference=mpmath.cos, domain=_TRIG)
declare(cos, lambda x, y: -sin(x), "-sin(x)", reference=lambda x: -inctx.sin(x), domain=_TRIG)
declare(tan, d_tan, "1/cos(x)**2", ulps=2.0, reference=lambda x: inctx.sec(x) ** 2,
        domain=Domain(special=_TRIG_SPECIAL + (1e22,), mp_special=_PI_MULTIPLES))

asin = standard("asin", math.asin, cmath.asin, mpmath.asin, "arcsin")
acos = standard("acos", math.acos, cmath.acos, mpmath.acos, "arccos")
atan = standard("atan", math.atan, cmath.atan, mpmath.atan, "arctan")


def _d_asin(x: Any) -> Any:
    return over(1, sqrt((1 - x) * (1 + x)))  # (1 - x)(1 + x), not 1 - x*x: no cancellation


def _d_acos(x: Any) -> Any:
    return over(-1, sqrt((1 - x) * (1 + x)))


def _d_atan(x: Any) -> Any:
    return 1 / (1 + x * x)


def _reference_d_asin(x: Any) -> Any:
    # also the principal branch's for complex x: sqrt((1 - x)(1 + x)) has asin's cuts
    return 1 / inctx.sqrt((1 - x) * (1 + x)) if x != 1 and x != -1 else context_of(x).inf


d_asin = accurate("d_asin", KA.d_asin, _d_asin, complex=KC.d_asin,
                  doc="asin'(x) = 1 / sqrt(1 - x**2)")
d_acos = accurate("d_acos", KA.d_acos, _d_acos, complex=KC.d_acos,
                  doc="acos'(x) = -1 / sqrt(1 - x**2)")
d_atan = accurate("d_atan", KA.d_atan, _d_atan, complex=KC.d_atan,
                  doc="atan'(x) = 1 / (1 + x**2)")

declare(asin, d_asin, "1/sqrt(1 - x**2)", aliases=("arcsin",), reference=_reference_d_asin,
        domain=Domain(-1.0, 1.0, True, True))
declare(acos, d_acos, "-1/sqrt(1 - x**2)", aliases=("arccos",),
        reference=lambda x: -_reference_d_asin(x), domain=Domain(-1.0, 1.0, True, True))
declare(atan, d_atan, "1/(1 + x**2)", aliases=("arctan",),
        reference=lambda x: 1 / (1 + x * x), domain=Domain(special=(1.34e154, 1e160, 2e161)))

# --- exponential and logarithmic ----------------------------------------------------------------

exp = standard("exp", math.exp, cmath.exp, mpmath.exp, overflows=True)
expm1 = standard("expm1", math.expm1, via_mpc("expm1"), mpmath.expm1, overflows=True)
def _exp2_mp(x: Any) -> Any:
    # 2**x = 2**(x - n) * 2**n, n = floor(x), the scaling exact: mpmath's power(2, x) is
    # exp(x ln 2) with too few guard bits for a large x (7 digits of 50 at x = 2.6e47)
    if isinstance(x, MPF) and abs(x) >= 1 and inctx.isfinite(x):
        n = inctx.floor(x)
        return inctx.ldexp(inctx.power(2, x - n), int(n))
    return inctx.power(2, x)


def _reference_d_exp2(x: Any) -> Any:
    # ln 2 * exp(x ln 2), with x ln 2 carried to every bit of x (mpmath's power loses them)
    c = context_of(x)
    _, e = c.frexp(abs(x)) if x else (0, 0)  # abs: a complex x too
    w = at_precision(c.prec + max(0, int(e)) + 16)
    return c.mpmathify(w.ln2 * w.exp(w.mpmathify(x) * w.ln2))


exp2 = standard("exp2", math.exp2, KC.exp2, _exp2_mp, overflows=True,
                array_names={"standard": "exp2", "torch": "exp2"})


def _d_exp2(x: Any) -> Any:
    return _LN2 * exp2(x)


d_exp2 = accurate("d_exp2", KE.d_exp2, _d_exp2, mp=lambda x: context_of(x).ln2 * _exp2_mp(x),
                  complex=KC.d_exp2,
                  doc="exp2'(x) = ln 2 * 2**x")

declare(exp, OUTPUT, "exp(x)", reference=mpmath.exp,
        domain=Domain(hi=_MAX_EXP, include_hi=True))
declare(exp2, d_exp2, "log(2)*2**x", reference=_reference_d_exp2,
        sympy={"exp2": lambda sp, x: 2 ** x},
        domain=Domain(hi=_EXP2_DERIV_MAX, special=(1024.5, 1024.0, 1023.99, -1074.0, -1022.5)))
declare(expm1, exp, "exp(x)", reference=mpmath.exp,
        sympy={"expm1": lambda sp, x: sp.exp(x) - 1},
        domain=Domain(hi=_MAX_EXP, include_hi=True, special=(-40.0, -745.0)))

# poles (math raises, NumPy gives -inf, and a real mpf raises as a float does)


def _at_zero(x: Any) -> Any:
    return x == 0


def _at_minus_one(x: Any) -> Any:
    return x == -1


def _at_plus_minus_one(x: Any) -> Any:
    return (x == 1) | (x == -1)


log = standard("log", math.log, cmath.log, mpmath.log, poles=_at_zero)
log2 = standard("log2", math.log2, lambda z: cmath.log(z) / _LN2, lambda x: inctx.log(x, 2),
                poles=_at_zero)
log10 = standard("log10", math.log10, cmath.log10, mpmath.log10, poles=_at_zero,
                 kernel=KP.log10)  # glibc's is up to 1.02 ulp off
log1p = standard("log1p", math.log1p, via_mpc("log1p"), mpmath.log1p, poles=_at_minus_one)

d_log = accurate("d_log", KA.d_log, lambda x: over(1, x), complex=KC.d_log, doc="log'(x) = 1 / x")
d_log2 = accurate("d_log2", KA.d_log2, lambda x: 1 / (x * _LN2),
                  mp=lambda x: over(1, x * context_of(x).ln2), doc="log2'(x) = 1 / (x ln 2)")
d_log10 = accurate("d_log10", KA.d_log10, lambda x: 1 / (x * _LN10), complex=KC.d_log10,
                   mp=lambda x: over(1, x * context_of(x).ln10), doc="log10'(x) = 1 / (x ln 10)")
d_log1p = accurate("d_log1p", KA.d_log1p, lambda x: 1 / (1 + x), complex=KC.d_log1p,
                  doc="log1p'(x) = 1 / (1 + x)")

declare(log, d_log, "1/x", reference=lambda x: 1 / x, domain=Domain(0.0))
declare(log2, d_log2, "1/(x*log(2))", reference=lambda x: 1 / (x * context_of(x).ln2),
        sympy={"log2": lambda sp, x: sp.log(x, 2)}, domain=Domain(0.0))
declare(log10, d_log10, "1/(x*log(10))", reference=lambda x: 1 / (x * context_of(x).ln10),
        sympy={"log10": lambda sp, x: sp.log(x, 10)}, domain=Domain(0.0))
declare(log1p, d_log1p, "1/(1 + x)", reference=lambda x: 1 / (1 + x),
        sympy={"log1p": lambda sp, x: sp.log(1 + x)}, domain=Domain(-1.0))

# --- hyperbolic ----------------------------------------------------------------------------------

# glibc's sinh and cosh are up to 1.7 ulp off, tanh 1.8 (NumPy's tanh 1.15 here): the
# kernels of cosh' (sinh) and sinh' (cosh) and a tanh kernel, in double-double
sinh = standard("sinh", math.sinh, cmath.sinh, mpmath.sinh, odd=True, overflows=True,
                kernel=KE.d_cosh)
cosh = standard("cosh", math.cosh, cmath.cosh, mpmath.cosh, overflows=True, kernel=KE.d_sinh)
tanh = standard("tanh", math.tanh, cmath.tanh, mpmath.tanh, kernel=KP.tanh, twin="tanh")

d_sinh = accurate("d_sinh", KE.d_sinh, cosh, doc="sinh'(x) = cosh(x)")
d_cosh = accurate("d_cosh", KE.d_cosh, sinh, doc="cosh'(x) = sinh(x)")
d_tanh = accurate("d_tanh", KE.d_tanh, lambda x: 1 / cosh(x) ** 2, complex=KC.d_tanh,
                  doc="tanh'(x) = sech(x)**2")

declare(sinh, d_sinh, "cosh(x)", reference=mpmath.cosh,
        domain=Domain(-_COSH_MAX, _COSH_MAX, True, True))
declare(cosh, d_cosh, "sinh(x)", reference=mpmath.sinh,
        domain=Domain(-_COSH_MAX, _COSH_MAX, True, True))
declare(tanh, d_tanh, "sech(x)**2", reference=lambda x: inctx.sech(x) ** 2,
        domain=Domain(special=(19.0, 20.0, 355.0, 372.0)))

asinh = standard("asinh", math.asinh, cmath.asinh, mpmath.asinh, "arcsinh")
def _acosh_mp(x: Any) -> Any:
    # mpmath's log(x + sqrt(x*x - 1)) loses bits next to 1 (30 digits of 50 at 1 + 2**-100);
    # with t = x - 1, exact there, log1p(t + sqrt(t (t + 2))) does not (from 2 on nothing
    # cancels: mpmath's is used, at less than half the cost)
    if isinstance(x, MPF) and 1 <= x < 2:
        c = context_of(x)
        w = at_precision(c.prec + 10)
        t = w.mpf(x) - 1
        return c.mpf(w.log1p(t + w.sqrt(t * (t + 2))))
    return inctx.acosh(x)


acosh = standard("acosh", math.acosh, cmath.acosh, _acosh_mp, "arccosh",
                 kernel=KP.acosh)  # glibc's is up to 1.14 ulp off
# glibc's atanh is up to 1.5 ulp off
atanh = standard("atanh", math.atanh, cmath.atanh, mpmath.atanh, "arctanh",
                 poles=_at_plus_minus_one, kernel=KP.atanh)

d_asinh = accurate("d_asinh", KA.d_asinh, lambda x: 1 / sqrt(1 + x * x), complex=KC.d_asinh,
                   doc="asinh'(x) = 1 / sqrt(1 + x**2)")
# the principal branch's derivative; sqrt(x - 1) * sqrt(x + 1), not sqrt(x*x - 1)
d_acosh = accurate("d_acosh", KA.d_acosh, lambda x: over(1, sqrt(x - 1) * sqrt(x + 1)),
                   complex=KC.d_acosh,
                   doc="acosh'(x) = 1 / sqrt(x**2 - 1)")
d_atanh = accurate("d_atanh", KA.d_atanh, lambda x: over(1, (1 - x) * (1 + x)),
                   complex=KC.d_atanh,
                   doc="atanh'(x) = 1 / (1 - x**2)")

declare(asinh, d_asinh, "1/sqrt(1 + x**2)", aliases=("arcsinh",),
        reference=lambda x: 1 / inctx.sqrt(1 + x * x),
        domain=Domain(special=(1e200, -1e200, 1.34e154)))
declare(acosh, d_acosh, "1/sqrt(x**2 - 1)", aliases=("arccosh",),
        # sqrt(x - 1) sqrt(x + 1), not sqrt(x*x - 1): the principal branch's for complex x
        reference=lambda x: (1 / (inctx.sqrt(x - 1) * inctx.sqrt(x + 1)) if x != 1 and x != -1
                             else context_of(x).inf),
        domain=Domain(1.0, include_lo=True, special=(1e300,)))
declare(atanh, d_atanh, "1/(1 - x**2)", aliases=("arctanh",),
        reference=lambda x: 1 / ((1 - x) * (1 + x)), domain=Domain(-1.0, 1.0))

# --- activations built on exp --------------------------------------------------------------------


def _sigmoid_formula(x: Any) -> Any:
    return 1 / (1 + exp(-x))


def _sigmoid_mp(x: Any) -> Any:
    return 1 / (1 + inctx.exp(-x))


def _softplus_formula(x: Any) -> Any:
    return log1p(exp(x))


def _softplus_mp(x: Any) -> Any:
    # log(1 + e^x) = x + log1p(e^-x) keeps full precision for large positive x
    if isinstance(x, MPF) and x > 0:
        return x + inctx.log1p(inctx.exp(-x))
    return inctx.log1p(inctx.exp(x))


def _d_sigmoid(x: Any) -> Any:
    e = exp(-x)
    return e / (1 + e) ** 2


def _d_sigmoid_mp(x: Any) -> Any:
    # sigmoid' is even: exp(-|x|) keeps a real x = -inf from giving inf/inf
    return _d_sigmoid(inctx.fabs(x) if isinstance(x, MPF) else x)


sigmoid = accurate("sigmoid", KE.sigmoid, _sigmoid_formula, mp=_sigmoid_mp, complex=KC.sigmoid,
                   array_names={"torch": "special.expit", "jax": "nn.sigmoid"},
                   doc="sigmoid(x) = 1 / (1 + exp(-x)), the logistic function.")
softplus = accurate("softplus", KE.softplus, _softplus_formula, mp=_softplus_mp,
                    complex=KC.softplus,
                    doc="softplus(x) = log(1 + exp(x)).")
d_sigmoid = accurate("d_sigmoid", KE.d_sigmoid, _d_sigmoid, mp=_d_sigmoid_mp,
                     complex=KC.d_sigmoid,
                     doc="sigmoid'(x) = sigmoid(x) * (1 - sigmoid(x))")
d_softplus = accurate("d_softplus", KE.d_softplus, _sigmoid_formula, mp=_sigmoid_mp,
                      complex=KC.sigmoid,
                      doc="softplus'(x) = sigmoid(x)")


def _softplus_array(x: Any) -> Any:
    # max(x, 0) + log1p(exp(-|x|)): no overflow for large x, where log1p(exp(x)) gives inf
    if is_complex_array(x):
        return _softplus_formula(x)
    a = absolute(x)
    return (x + a) * 0.5 + log1p(exp(-a))


def _d_sigmoid_array(x: Any) -> Any:
    # sigmoid' is even: with e = exp(-|x|) <= 1 nothing overflows (exp(-x) does for x < -709)
    if is_complex_array(x):
        return _d_sigmoid(x)
    e = exp(-absolute(x))
    return e / (1 + e) ** 2


softplus.array_formula = _softplus_array
d_sigmoid.array_formula = _d_sigmoid_array

declare(sigmoid, d_sigmoid, "sigmoid(x)*(1 - sigmoid(x))", aliases=("logistic", "expit"),
        reference=lambda x: inctx.exp(-x) / (1 + inctx.exp(-x)) ** 2,
        sympy={"sigmoid": lambda sp, x: 1 / (1 + sp.exp(-x))},
        domain=Domain(special=(-745.0, 40.0, 710.0)))
declare(softplus, d_softplus, "sigmoid(x)", reference=_sigmoid_mp,
        sympy={"softplus": lambda sp, x: sp.log(1 + sp.exp(x)),
                     "sigmoid": lambda sp, x: 1 / (1 + sp.exp(-x))},
        domain=Domain(special=(-745.0, 37.0, 710.0)))

# --- sign, negation, square, reciprocal ----------------------------------------------------------


def _neg(x: Any) -> Any:
    return -x


def _square(x: Any) -> Any:
    return x * x


def _reciprocal_np(x: Any) -> Any:
    import numpy as np

    a = np.asarray(x)
    one = np.ones((), dtype=a.dtype if a.dtype.kind in "fc" else np.float64)
    return np.divide(one, x)


def _sign_real(x: Any) -> float:
    # nan gives nan, as numpy.sign and mpmath.sign do (so abs'(nan) is nan on every type)
    return 0.0 if x == 0 else math.copysign(1.0, x) if x == x else math.nan


def _sign_formula(x: Any) -> Any:
    # piecewise constant: 0 * x carries a zero derivative through traced and dual numbers
    return x * 0 + sign(unbox(x))


absolute = Generic("abs", real=lambda x: abs(float(x)), mp=mpmath.fabs,
                   numpy=numpy_ufunc("abs"), array_names={"standard": "abs"},
                   doc="|x| for real arguments (not holomorphic, so no complex form).")
sign = Generic("sign", real=_sign_real, mp=mpmath.sign, numpy=numpy_ufunc("sign"),
               array_names={"standard": "sign"}, doc="sign(x): -1, 0 or 1 (0 at 0).")
sign.formula = _sign_formula
minus_one = Generic("minus_one", real=lambda x: -1.0, complex=lambda z: -1.0,
                    mp=lambda x: -context_of(x).mpf(1), numpy=lambda a: -1.0,
                    doc="the constant -1 in the argument's arithmetic (neg's derivative)")
minus_one.formula = lambda x: x * 0 - 1  # traced and dual numbers: a zero derivative
neg = Generic("neg", real=lambda x: -float(x), complex=_neg, mp=_neg,
              numpy=numpy_ufunc("negative"), array_names={"standard": "negative"}, doc="-x")
square = Generic("square", real=lambda x: float(x) * float(x), complex=_square, mp=_square,
                 numpy=numpy_ufunc("square"), array_names={"standard": "square"}, doc="x * x")
reciprocal = Generic("reciprocal", real=lambda x: 1.0 / x, complex=lambda z: 1 / z,
                     mp=lambda x: 1 / x, numpy=_reciprocal_np, array_formula=lambda x: 1 / x,
                     array_names={"torch": "reciprocal", "jax": "numpy.reciprocal"},
                     doc="1 / x")
d_reciprocal = accurate("d_reciprocal", KA.d_reciprocal, lambda x: -1 / (x * x),
                        complex=KC.d_reciprocal,
                        doc="reciprocal'(x) = -1 / x**2")

declare(absolute, sign, "sign(x)", reference=mpmath.sign,
        aliases=(builtins.abs, operator.abs, "absolute", mpmath.fabs, math.fabs))
declare(neg, minus_one, "-1", aliases=(operator.neg, "negative"), primal_formula="-x",
        reference=lambda x: context_of(x).mpf(-1))
declare(square, lambda x, y: 2 * x, "2*x", primal_formula="x**2", reference=lambda x: 2 * x)
declare(reciprocal, d_reciprocal, "-1/x**2", primal_formula="1/x",
        reference=lambda x: -1 / (x * x), domain=Domain(excluded=(0.0,)))
