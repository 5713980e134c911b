"""Double-double arithmetic: a value carried as an unevaluated sum ``hi + lo`` of two floats.

Every function here works unchanged on Python floats and on float64 NumPy arrays (only
+ - * / are used), which is how one accurate kernel serves both the scalar and the vectorized
path. Error-free transformations after Knuth (two_sum), Dekker and Veltkamp (two_prod via
splitting; Python 3.11 has no fma). See Muller et al., Handbook of Floating-Point Arithmetic,
ch. 4 and 14.

Preconditions: two_prod needs |a|, |b| below about 2**995 (the split multiplies by 2**27 + 1)
and a product whose low part does not underflow; kernels scale their arguments with frexp
first. Results are good to about 2**-104 relative.
"""

from __future__ import annotations

import ast
import operator
from typing import Any

import mpmath

__all__ = [
    "two_sum", "fast_two_sum", "split", "two_prod", "dd_add", "dd_add_f", "dd_mul",
    "dd_mul_f", "dd_div", "dd_recip", "dd_sqrt", "dd_const",
]

_SPLITTER = 134217729.0  # 2**27 + 1


_CONST_OPS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.Pow: operator.pow,
}


def _const_eval(node: ast.AST) -> Any:
    """Evaluate a constant expression of numbers, mpmath names and + - * / ** (no eval)."""
    if isinstance(node, ast.Expression):
        return _const_eval(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return mpmath.mpf(str(node.value))  # decimal literal, not its binary rounding
    if isinstance(node, ast.BinOp) and type(node.op) in _CONST_OPS:
        return _CONST_OPS[type(node.op)](_const_eval(node.left), _const_eval(node.right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_const_eval(node.operand)
    if isinstance(node, ast.Name):
        return mpmath.mpf(getattr(mpmath, node.id))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        return getattr(mpmath, node.func.id)(*(_const_eval(a) for a in node.args))
    raise ValueError(f"not a constant expression: {ast.dump(node)}")


def dd_const(value: Any) -> tuple[float, float]:
    """The double-double nearest to ``value``: an mpmath number, or a constant expression
    such as ``"1/log(2)"`` or ``"2/sqrt(pi)"`` (numbers, mpmath functions and constants)."""
    with mpmath.workprec(300):
        if isinstance(value, str):
            x = _const_eval(ast.parse(value, mode="eval"))
        else:
            x = mpmath.mpf(value)
        hi = float(x)
        lo = float(x - hi)
    return hi, lo


def two_sum(a: Any, b: Any) -> tuple[Any, Any]:
    """``s + e == a + b`` exactly, with ``s = fl(a + b)`` (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def fast_two_sum(a: Any, b: Any) -> tuple[Any, Any]:
    """As two_sum, when ``|a| >= |b|`` (Dekker)."""
    s = a + b
    return s, b - (s - a)


def split(a: Any) -> tuple[Any, Any]:
    """``a == hi + lo`` with both halves of at most 26 significant bits (Veltkamp)."""
    c = _SPLITTER * a
    hi = c - (c - a)
    return hi, a - hi


def two_prod(a: Any, b: Any) -> tuple[Any, Any]:
    """``p + e == a * b`` exactly, with ``p = fl(a * b)`` (Dekker)."""
    p = a * b
    ah, al = split(a)
    bh, bl = split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def dd_add(ah: Any, al: Any, bh: Any, bl: Any) -> tuple[Any, Any]:
    s, e = two_sum(ah, bh)
    t, f = two_sum(al, bl)
    e = e + t
    s, e = fast_two_sum(s, e)
    e = e + f
    return fast_two_sum(s, e)


def dd_add_f(ah: Any, al: Any, b: Any) -> tuple[Any, Any]:
    s, e = two_sum(ah, b)
    return fast_two_sum(s, e + al)


def dd_mul(ah: Any, al: Any, bh: Any, bl: Any) -> tuple[Any, Any]:
    p, e = two_prod(ah, bh)
    return fast_two_sum(p, e + (ah * bl + al * bh))


def dd_mul_f(ah: Any, al: Any, b: Any) -> tuple[Any, Any]:
    p, e = two_prod(ah, b)
    return fast_two_sum(p, e + al * b)


def dd_div(ah: Any, al: Any, bh: Any, bl: Any) -> tuple[Any, Any]:
    """``(ah + al) / (bh + bl)``; ``bh`` must be nonzero."""
    q = ah / bh
    p, e = two_prod(q, bh)
    r = (((ah - p) - e) + al) - q * bl
    return fast_two_sum(q, r / bh)


def dd_recip(bh: Any, bl: Any) -> tuple[Any, Any]:
    return dd_div(1.0, 0.0, bh, bl)


def dd_sqrt(ah: Any, al: Any, sqrt: Any) -> tuple[Any, Any]:
    """Square root of a positive double-double; ``sqrt`` is the backend's (F.sqrt)."""
    s = sqrt(ah)
    p, e = two_prod(s, s)
    return fast_two_sum(s, (((ah - p) - e) + al) / (2.0 * s))
