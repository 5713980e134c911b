"""The chain interpreter: the primal pass over a chain and its pullback.

The primal pass stores one item per step: for a primitive declared by its derivative, the
local derivative itself (a number or an array, which the garbage collector never scans);
for a rule given in full, its pullback closure (tagged :class:`step.Closure`). The reverse
pass multiplies the cotangent through these in reverse order, in a flat loop: no recursion,
any chain length. Compiled and checkpointed chains build on the same pieces.
"""

from __future__ import annotations

import math
import types
from collections.abc import Iterable
from typing import Any

from . import generic as G
from .errors import (
    LeakedTracerError,
    PrimitiveDomainError,
    RuleOutputError,
    UnknownPrimitiveError,
    UnsupportedInputError,
    UnsupportedTypeError,
    VjpchainError,
)
from .registry import Registry
from .rule import Parametric, Rule, X, Y, primitive_name
from .step import Closure, check_cotangent, checked_pullback, is_value
from .trace import Traced

__all__ = ["ChainPullback", "as_chain", "check_output", "run", "check_input", "one_like", "fail",
           "bad_output", "none_derivative", "holds_no_user_data", "specs"]


class ChainPullback:
    """The pullback of a whole chain: ``x_bar = pullback(y_bar)``; call it any number of times.

    Attributes:
        length: the number of primitives in the chain.
    """

    __slots__ = ("_steps", "_plain", "_output")

    def __init__(self, steps: list[Any], plain: bool, output: Any = None) -> None:
        self._steps = steps
        self._plain = plain
        self._output = output  # what a cotangent must look like (check_cotangent)

    @property
    def length(self) -> int:
        return len(self._steps)

    def __call__(self, y_bar: Any) -> Any:
        x_bar = self._pull(check_cotangent(y_bar, self._output))
        if type(x_bar) is not float:
            self._check_shape(x_bar, self._output)
        return x_bar

    def _pull(self, y_bar: Any) -> Any:
        x_bar = y_bar
        try:
            if self._plain:
                for d in reversed(self._steps):
                    x_bar = x_bar * d
            else:
                for d in reversed(self._steps):
                    x_bar = d.pullback(x_bar) if type(d) is Closure else x_bar * d
        except (TypeError, ValueError):
            self._refuse_bad_derivatives()
            self._check_shapes(self._output)
            raise
        return x_bar

    def _refuse_bad_derivatives(self) -> None:
        """Name the step whose stored derivative is not a number or array (a rule's
        derivative returned a str, say), after the reverse pass failed on it."""
        for i, d in enumerate(self._steps):
            if type(d) is not Closure and not is_value(d):
                raise RuleOutputError(
                    f"the derivative of chain[{i}] is {d!r} (a {type(d).__name__}), not a "
                    "number or array: the rule's derivative (x, y) -> dy/dx returned it")

    def _check_shape(self, x_bar: Any, like: Any) -> None:
        """Primitives act elementwise, so the gradient has the output's shape: a derivative
        of another shape (an array at a scalar point, say) would broadcast silently."""
        shape = getattr(x_bar, "shape", ())
        if shape == getattr(like, "shape", ()):
            return
        self._check_shapes(like)
        raise RuleOutputError(
            f"the gradient has shape {tuple(shape)} but the chain's values have shape "
            f"{tuple(getattr(like, 'shape', ()))}: a step's pullback changed the shape")

    def _check_shapes(self, like: Any) -> None:
        for i, d in enumerate(self._steps):
            if getattr(d, "shape", ()) not in ((), getattr(like, "shape", ())):
                raise RuleOutputError(
                    f"the derivative of chain[{i}] has shape {tuple(d.shape)} but the values "
                    f"of the chain have shape {tuple(getattr(like, 'shape', ()))}: a "
                    "primitive acts elementwise, so its derivative must have its input's "
                    "shape (or be a number)")

    def gradient(self, one: Any) -> Any:
        """``self(one)`` for the cotangent 1: the first product 1 * d is exact, so it is
        skipped (one array multiplication fewer for arrays); ``one`` fixes the type of an
        empty chain's result."""
        try:
            x_bar = self._gradient(one)
        except (TypeError, ValueError):
            self._refuse_bad_derivatives()
            self._check_shapes(one)
            raise
        if type(x_bar) is not float:
            self._check_shape(x_bar, one)
        return x_bar

    def _gradient(self, one: Any) -> Any:
        steps = self._steps
        if not self._plain or not steps:
            return self._pull(one)
        x_bar = steps[-1]
        if type(x_bar) is not type(one) or (
                type(one) is not float
                and getattr(x_bar, "shape", None) != getattr(one, "shape", None)):
            x_bar = one * x_bar  # a constant derivative (neg, scale): take the input's type
        k = len(steps) - 2
        if k >= 0:
            x_bar = x_bar * steps[k]
            k -= 1
            if k >= 0 and type(x_bar).__name__ == "ndarray" and x_bar.ndim:
                # the product is a fresh array of the full shape: multiply into it in place
                # (the same values, one allocation instead of one per step)
                while k >= 0:
                    x_bar *= steps[k]
                    k -= 1
        while k >= 0:
            x_bar = x_bar * steps[k]
            k -= 1
        return x_bar

    def __repr__(self) -> str:
        return f"<ChainPullback of {len(self._steps)} steps>"


def as_chain(f: Any) -> Any:
    """A chain given as one primitive (a function or a name) as the list of that step; an
    unordered collection or anything that is not a sequence is refused."""
    if callable(f) or isinstance(f, str):
        return [f]
    if isinstance(f, (set, frozenset, dict)):
        raise TypeError(
            f"a chain must be ordered (a list or tuple of primitives), not a "
            f"{type(f).__name__}: the order of the steps is the order of composition")
    if not hasattr(f, "__iter__"):
        raise TypeError(
            f"cannot differentiate {f!r} (a {type(f).__name__}): f must be a chain (a list of "
            "primitives such as [sin, exp]) or a Python function of the inputs")
    return f


def check_output(y: Any) -> Any:
    """A chain's output must be a number or array: a primal that returned, say, a str
    would otherwise give a derivative for a value that is not one."""
    tp = type(y)
    if tp is float or G.number_kind(tp) is not None or hasattr(tp, "__vjpchain_apply__") or (
            getattr(tp, "__vjpchain_kind__", None) == "dual"):
        return y
    raise RuleOutputError(
        f"the chain's output is {y!r} (a {tp.__name__}), not a number or array: a primal in "
        "the chain returned it; each primitive must return a number or array")


def check_input(x: Any) -> Any:
    tp = type(x)
    if tp is float:
        return x
    kind = G.number_kind(tp)
    if kind is None and getattr(tp, "__vjpchain_kind__", None) == "dual":
        return x
    if kind is None:
        if isinstance(x, Traced) and x.tape.closed:
            raise LeakedTracerError(
                f"cannot differentiate at {x!r}: it is a traced value whose differentiation "
                "has ended (it leaked out of a traced function); pass a number or array")
        if G.is_array_api_type(tp):
            raise UnsupportedInputError(
                f"cannot differentiate at a {tp.__module__}.{tp.__qualname__}: arrays of "
                "array API libraries other than NumPy need array-api-compat; install it "
                "with pip install 'vjpchain[arrays]'"
            )
        if isinstance(x, (tuple, list)):
            raise UnsupportedInputError(
                f"cannot differentiate at the {type(x).__name__} {x!r}: an input is one number "
                "or array; for a function of several inputs pass them separately, "
                "grad(f, *xs), and for an array input pass numpy.array(...)")
        raise UnsupportedInputError(
            f"cannot differentiate at {x!r}: a chain's input must be an int, float, complex, "
            "mpmath mpf/mpc, a NumPy array or scalar, or an array API array (PyTorch, "
            f"dask...) (got {type(x).__name__}); convert it explicitly"
        )
    if kind == G.NUMPY:
        return _numpy_input(x)
    if kind == G.REAL and type(x) is not float:
        try:
            converted = float(x)
        except OverflowError:
            converted = math.inf
        if converted != x:
            raise UnsupportedInputError(
                f"the int {x!r} has no exact float64 value, and an int input runs in float64; "
                "pass mpmath.mpf(x) to keep every digit, or float(x) to accept the rounding"
            )
        return converted
    return x


_EXACT_INT = 2**53  # every integer up to this magnitude is a float64


def _numpy_input(x: Any) -> Any:
    """A NumPy input as it is differentiated: floating and complex arrays as they are,
    integer arrays converted to float64 like a Python int (refused where a value has no
    exact float64), and the rest refused: bool, object, string and date arrays, and
    np.matrix (whose * is a matrix product, which would make the reverse pass wrong)."""
    import numpy as np

    if isinstance(x, np.matrix):
        raise UnsupportedInputError(
            "cannot differentiate at an np.matrix: its * is the matrix product, not the "
            "elementwise one a chain uses; pass np.asarray(x)")
    dtype = x.dtype
    if dtype.kind in "fc":
        return x
    if dtype.kind in "iu":
        out = x.astype(np.float64)
        big = np.abs(out) >= _EXACT_INT  # 2**53 + 1 rounds down to 2**53: check it too
        if big.any():
            for value in np.asarray(x)[np.asarray(big)].ravel():
                if int(float(value)) != int(value):
                    raise UnsupportedInputError(
                        f"the {dtype} value {int(value)} has no exact float64 value, and an "
                        "integer input runs in float64; convert the array explicitly "
                        "(x.astype(float) accepts the rounding)")
        return out
    what = {"b": "a boolean", "O": "an object", "U": "a string", "S": "a bytes",
            "M": "a datetime", "m": "a timedelta"}.get(dtype.kind, f"a {dtype}")
    raise UnsupportedInputError(
        f"cannot differentiate at {what} NumPy {'array' if x.ndim else 'value'} ({x!r}): "
        "the input must be a floating, complex or integer array; convert it explicitly, "
        "e.g. x.astype(float)")


def fail(exc: BaseException, i: int, prim: Any, x: Any,
          registry: Registry) -> BaseException:
    """Turn an error raised at chain[i] into one that says where and what to do."""
    place = f"chain[{i}] ({primitive_name(prim)}, input {x!r})"
    if isinstance(exc, UnknownPrimitiveError):
        if getattr(prim, "__hash__", None) is None or not str(exc).startswith("no rule"):
            return UnknownPrimitiveError(f"at chain[{i}] (input {x!r}): {exc}")
        return UnknownPrimitiveError(
            registry.unknown_message(prim, f" at chain[{i}] (input {x!r})"))
    if isinstance(exc, UnsupportedTypeError):
        return UnsupportedInputError(
            f"at {place}: {exc}. The value reaching this step has type {type(x).__name__}"
        )
    if isinstance(exc, (ValueError, ArithmeticError)) and not isinstance(exc, VjpchainError):
        return PrimitiveDomainError(
            f"{primitive_name(prim)} failed at {place}: {exc or type(exc).__name__}. Check "
            "that the values reaching "
            "this step lie in its domain (vjpchain.rules_table() lists the domains)"
        )
    if isinstance(exc, TypeError) and not isinstance(exc, VjpchainError):
        # the primitive has no arithmetic for what reached it (a long double or complex
        # array where only float64 is implemented, say): say so, where, instead of a raw
        # error from inside NumPy or mpmath
        return UnsupportedInputError(
            f"{primitive_name(prim)} cannot compute on the value reaching {place}: {exc}. "
            f"The value has type {_describe(x)}; convert it (e.g. to float64 or to "
            "mpmath.mpf/mpc) or use a primitive that supports it")
    exc.add_note(f"while evaluating {place}")
    return exc


def _describe(x: Any) -> str:
    dtype = getattr(x, "dtype", None)
    return f"{type(x).__name__} of dtype {dtype}" if dtype is not None else type(x).__name__


def where(i: int, prim: Any, x: Any) -> str:
    return f" at chain[{i}] ({primitive_name(prim)}, input {x!r})"


def none_derivative(prim: Any, place: str) -> RuleOutputError:
    """The error for a derivative that returned None (a missing return, usually)."""
    return RuleOutputError(
        f"the derivative of {primitive_name(prim)}{place} returned None; a derivative "
        "(x, y) -> dy/dx must return a number or array (is a return statement missing?)")


def bad_output(rule: Rule, out: Any, i: int, prim: Any, x: Any) -> RuleOutputError:
    try:
        checked_pullback(rule, out, where(i, prim, x))
    except RuleOutputError as exc:
        return exc
    raise AssertionError("not a bad output")  # pragma: no cover


_FULL = 3  # a rule given in full: its pullback is stored
# entries in one specialized-step table: parametric steps are keys by their parameters, so a
# program making scale(c) for ever new c would otherwise grow the table without end
_SPECS_MAX = 4096


def spec(registry: Registry, prim: Any, tp: type, unchecked: bool) -> tuple[Any, Any, int]:
    """How chain element ``prim`` runs on a value of type ``tp``: (primal, derivative, mode)
    with the generic functions resolved, or (None, rule, _FULL) for a rule given in full."""
    rule = registry.lookup(prim)
    if rule.derivative is None:
        return None, rule, _FULL
    return rule.specialize(tp, unchecked)


def run(chain: Iterable[Any], x: Any, registry: Registry, steps: list[Any] | None,
         x_dot: Any = None, unchecked: bool = True) -> tuple[Any, Any, bool]:
    """The primal pass. With ``steps``, store each step's derivative or pullback (reverse
    mode); without, push the tangent ``x_dot`` through as it goes (forward mode).

    Each rule is specialized to the type of the value reaching it (``Rule.specialize``:
    ``math.sin`` and ``math.cos`` for a float) and cached per registry and type, so the loop
    makes one dictionary lookup per step and calls the implementations directly.

    The float implementations run unchecked (``math.exp`` raises OverflowError where the
    generic ``exp`` returns inf); on an overflow the pass is redone with the checked ones,
    so the common case pays nothing for IEEE overflow semantics.

    Returns ``(y, y_dot, plain)``; ``plain`` is False once a step stored a closure.
    """
    if unchecked and not isinstance(chain, (list, tuple)):
        chain = list(chain)  # it may be run twice
    x0, x_dot0 = x, x_dot
    plain = True
    i = -1
    prim: Any = None
    append = steps.append if steps is not None else None
    tp = type(x)
    fast = specs(registry, tp, unchecked)
    try:
        for i, prim in enumerate(chain):
            try:
                primal, derivative, mode = fast[prim]
            except KeyError:
                primal, derivative, mode = spec(registry, prim, tp, unchecked)
                if (holds_no_user_data(prim) or registry.is_key(prim)) and len(fast) < _SPECS_MAX:
                    fast[prim] = primal, derivative, mode
            except TypeError:  # unhashable: let lookup explain
                primal, derivative, mode = spec(registry, prim, tp, unchecked)
            if mode == _FULL:
                y, pullback = checked_pullback(derivative, derivative.vjp(x),
                                               where(i, prim, x))
                if append is None:
                    x_dot = pullback(x_dot)
                else:
                    append(Closure(pullback))
                    plain = False
            else:
                y = primal(x)
                if mode == X:
                    d = derivative(x)
                elif mode == Y:
                    d = y
                else:
                    d = derivative(x, y)
                    if d is None:
                        raise none_derivative(prim, where(i, prim, x))
                if append is None:
                    x_dot = x_dot * d
                else:
                    append(d)
            x = y
            if type(x) is not tp:
                tp = type(x)
                fast = specs(registry, tp, unchecked)
    except RuleOutputError:
        raise
    except Exception as exc:
        if unchecked and isinstance(exc, OverflowError):
            if steps is not None:
                steps.clear()
            return run(chain, x0, registry, steps, x_dot0, unchecked=False)
        if i < 0:
            raise
        err = fail(exc, i, prim, x, registry)
        if err is exc:
            raise
        raise err from exc
    if getattr(x, "shape", ()) != getattr(x0, "shape", ()):
        raise RuleOutputError(
            f"the chain's output has shape {tuple(getattr(x, 'shape', ()))} but its input "
            f"{tuple(getattr(x0, 'shape', ()))}: a primal in the chain changed the shape, "
            "and primitives act elementwise (use a traced function for reductions)")
    return x, x_dot, plain


def one_like(x: Any) -> Any:
    if type(x) is float:
        return 1.0
    kind = G.number_kind(type(x))
    if kind == G.NUMPY:
        import numpy as np

        return np.ones_like(x)
    if kind == G.MP:
        return G.context_of(x).mpf(1)  # a private context's number keeps its precision
    if kind == G.COMPLEX:
        return 1 + 0j
    if kind == G.ARRAY_API:
        return G.array_namespace(x).ones_like(x)
    if getattr(type(x), "__vjpchain_kind__", None) == "dual":
        return 1.0
    return 1.0


def holds_no_user_data(element: Any) -> bool:
    """Whether a chain element may be a key of the hot-chain cache: a name, a generic or
    builtin function, or a parametric step with plain number parameters."""
    if type(element) is str or isinstance(element, G.Generic) or isinstance(
            element, types.BuiltinFunctionType) or type(element).__name__ == "ufunc":
        return True
    if isinstance(element, Parametric):
        return all(G.number_kind(type(v)) in (G.REAL, G.COMPLEX, G.MP) for v in element.params())
    return False


def specs(registry: Registry, tp: type, unchecked: bool) -> dict[Any, Any]:
    """The interpreter's cache for inputs of type ``tp``: chain element -> specialized step
    (see :func:`run`). It lives in ``registry.derived``, which every change of a rule
    replaces, so a rule changed mid-run never leaves a stale step behind."""
    derived = registry.derived
    key = (specs, tp, unchecked)
    try:
        return derived[key]  # type: ignore[no-any-return]
    except KeyError:
        table: dict[Any, Any] = {}
        derived[key] = table
        return table
