"""The built-in primitives of two inputs, one declaration each: the arithmetic operators,
pow, atan2, hypot, maximum and minimum, for traced functions.

Each declares its generic primal (the arithmetic picked by the richer argument), its two
partial derivatives (accurate float64 kernels from ``float64/kern_binary.py`` where the
textbook formula loses digits) and their formulas. Their mpmath references live with the
tests (``tests/test_binary_accuracy.py``), where every binary declaration must have one.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import mpmath

from .builders import Accurate2, ratio0, select
from .elementary import absolute, log
from .float64 import kern_binary as KB
from .float64 import kern_exp as KE
from .generic import COMPLEX, REAL, Generic2, number_kind
from .mpcontext import inctx
from .registry import binary_rule

__all__ = ["add", "sub", "mul", "truediv", "pow", "atan2", "hypot", "maximum", "minimum"]


def _pow_real(a: Any, b: Any) -> float:
    try:
        return math.pow(a, b)
    except OverflowError:
        return math.inf if a > 0 or float(b) % 2 == 0 else -math.inf


def _np2(name: str) -> Any:
    def call(a: Any, b: Any) -> Any:
        import numpy as np

        return getattr(np, name)(a, b)

    call.__name__ = name
    return call


# as numpy.maximum: nan propagates from either argument (a comparison alone would give
# maximum(nan, 1.0) = 1.0 but maximum(1.0, nan) = nan), and a tie gives b (the sign of zero
# in maximum(-0.0, 0.0) is NumPy's)
def _max_scalar(a: Any, b: Any) -> Any:
    return a if a > b or a != a else b


def _min_scalar(a: Any, b: Any) -> Any:
    return a if a < b or a != a else b


def _operator(name: str, op: Any) -> Generic2:
    return Generic2(name, real=op, complex=op, mp=op, numpy=op)


add = _operator("add", operator.add)
sub = _operator("sub", operator.sub)
mul = _operator("mul", operator.mul)
truediv = _operator("truediv", operator.truediv)
pow = Generic2("pow", real=_pow_real, complex=operator.pow, mp=mpmath.power,  # noqa: A001
               numpy=_np2("power"))
atan2 = Generic2("atan2", real=math.atan2, mp=mpmath.atan2, numpy=_np2("arctan2"))
hypot = Generic2("hypot", real=math.hypot, mp=lambda a, b: inctx.hypot(a, b),
                 numpy=_np2("hypot"))
maximum = Generic2("maximum", real=_max_scalar, mp=_max_scalar, numpy=_np2("maximum"))
minimum = Generic2("minimum", real=_min_scalar, mp=_min_scalar, numpy=_np2("minimum"))

# --- partial derivatives that need care ---------------------------------------------------------


def _sum_of_squares(a: Any, b: Any) -> tuple[Any, Any, Any]:
    """``(s, r, zero)``: a**2 + b**2 = s**2 * r, scaled by the larger magnitude so that
    double-precision squares do not overflow; at the origin ``zero`` holds and s = r = 1."""
    s = maximum(absolute(a) if number_kind(type(a)) != COMPLEX else a,
                absolute(b) if number_kind(type(b)) != COMPLEX else b)
    zero = s == 0
    s = select(zero, 1.0, s)
    r = (a / s) ** 2 + (b / s) ** 2
    return s, select(zero, 1.0, r), zero


def _d_atan2_y(a: Any, b: Any) -> Any:
    s, r, zero = _sum_of_squares(a, b)
    return select(zero, 0.0, (b / s) / r / s)


def _d_atan2_x(a: Any, b: Any) -> Any:
    s, r, zero = _sum_of_squares(a, b)
    return select(zero, 0.0, -(a / s) / r / s)


d_div_denominator = Accurate2("d_div_denominator", KB.d_div_denominator,
                              lambda a, b: -(a / b) / b, doc="d(a/b)/db = -a / b**2")
d_pow_base = Accurate2("d_pow_base", KE.d_power, lambda a, b: b * pow(a, b - 1),
                       doc="d(a**b)/da = b * a**(b - 1)")
d_pow_exponent = Accurate2("d_pow_exponent", KB.d_pow_exponent,
                           lambda a, b: pow(a, b) * log(a),
                           doc="d(a**b)/db = a**b * log(a), for a > 0")
d_hypot = Accurate2("d_hypot", KB.d_hypot, lambda a, b: ratio0(a, hypot(a, b)),
                    doc="d hypot(a, b)/da = a / hypot(a, b) (0 at the origin); d/db is "
                        "d_hypot(b, a)")
d_atan2_y = Accurate2("d_atan2_y", KB.d_atan2_y, _d_atan2_y,
                      doc="d atan2(y, x)/dy = x / (x**2 + y**2) (0 at the origin)")
d_atan2_x = Accurate2("d_atan2_x", KB.d_atan2_x, _d_atan2_x,
                      doc="d atan2(y, x)/dx = -y / (x**2 + y**2) (0 at the origin)")


def _d_pow_exponent(a: Any, b: Any, y: Any) -> Any:
    if number_kind(type(a)) == REAL and a <= 0:
        if a == 0 and b > 0:
            return 0.0  # a**b -> 0 faster than log(a) -> -inf
        raise ValueError(
            f"the derivative of a**b with respect to b needs log(a), which is not real for "
            f"a = {a!r}; if b does not vary, keep it a constant (not a traced input)"
        )
    return d_pow_exponent(a, b)


# the partials: 1 to the larger, 1/2 each at a tie, and nan to both where either argument is
# nan (unordered: neither comparison holds), as the value is
def _d_max(a: Any, b: Any, y: Any) -> Any:
    return select(a > b, 1.0, select(a == b, 0.5, select(a < b, 0.0, math.nan)))


def _d_min(a: Any, b: Any, y: Any) -> Any:
    return select(a < b, 1.0, select(a == b, 0.5, select(a > b, 0.0, math.nan)))


def _one(a: Any, b: Any, y: Any) -> Any:
    return 1.0


# --- the declarations --------------------------------------------------------------------------

binary_rule(add, add, (_one, _one), formulas=("1", "1"),
            aliases=(operator.add, "add", "numpy.add"))
binary_rule(sub, sub, (_one, lambda a, b, y: -1.0), formulas=("1", "-1"),
            aliases=(operator.sub, "sub", "subtract", "numpy.subtract"))
binary_rule(mul, mul, (lambda a, b, y: b, lambda a, b, y: a), formulas=("b", "a"),
            aliases=(operator.mul, "mul", "multiply", "numpy.multiply"))
# 1/b rounds once; the other partials run accurate float64 kernels (float64.kern_binary)
binary_rule(truediv, truediv,
            (lambda a, b, y: 1 / b, lambda a, b, y: d_div_denominator(a, b)),
            formulas=("1/b", "-a/b**2"),
            aliases=(operator.truediv, "truediv", "divide", "numpy.divide",
                     "numpy.true_divide"))
binary_rule(pow, pow, (lambda a, b, y: d_pow_base(a, b), _d_pow_exponent),
            formulas=("b*a**(b - 1)", "a**b*log(a)"),
            aliases=(operator.pow, math.pow, "pow", "power_", "numpy.power"))
binary_rule(atan2, atan2, (lambda a, b, y: d_atan2_y(a, b), lambda a, b, y: d_atan2_x(a, b)),
            formulas=("b/(a**2 + b**2)", "-a/(a**2 + b**2)"),
            aliases=(math.atan2, mpmath.atan2, "atan2", "arctan2", "numpy.arctan2"))
binary_rule(hypot, hypot, (lambda a, b, y: d_hypot(a, b), lambda a, b, y: d_hypot(b, a)),
            formulas=("a/hypot(a, b)", "b/hypot(a, b)"),
            aliases=(math.hypot, mpmath.hypot, "hypot", "numpy.hypot"))
binary_rule(maximum, maximum, (_d_max, lambda a, b, y: _d_max(b, a, y)),
            formulas=("1 if a > b, 1/2 at a tie", "1 if b > a, 1/2 at a tie"),
            aliases=("maximum", "max", "numpy.maximum"))
binary_rule(minimum, minimum, (_d_min, lambda a, b, y: _d_min(b, a, y)),
            formulas=("1 if a < b, 1/2 at a tie", "1 if b < a, 1/2 at a tie"),
            aliases=("minimum", "min", "numpy.minimum"))
