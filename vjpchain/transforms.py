"""Transforms over chains: vjp, val_and_grad, grad (reverse mode) and jvp (forward mode).

The primal pass stores one item per step: for a primitive declared by its derivative, the
local derivative itself (a number or an array, which the garbage collector never scans);
for a rule given in full, its pullback closure. The reverse pass multiplies the cotangent
through these in reverse order, in a flat loop: no recursion, any chain length.
"""

from __future__ import annotations

import math
import types
from collections.abc import Iterable, Sequence
from typing import Any

from . import generic as G
from .dual import Dual, dual_jvp, new_level, tangent_at
from .errors import (
    LeakedTracerError,
    PrimitiveDomainError,
    RuleOutputError,
    UnknownPrimitiveError,
    UnsupportedInputError,
    UnsupportedTypeError,
    VjpchainError,
)
from .registry import Parametric, Registry, Rule, X, Y, default_registry, primitive_name
from .step import Closure, checked_pullback
from .trace import Traced, trace_vjp

__all__ = ["vjp", "val_and_grad", "grad", "jvp", "derivative", "hvp", "hessian", "ChainPullback"]


class ChainPullback:
    """The pullback of a whole chain: ``x_bar = pullback(y_bar)``; call it any number of times.

    Attributes:
        length: the number of primitives in the chain.
    """

    __slots__ = ("_steps", "_plain")

    def __init__(self, steps: list[Any], plain: bool) -> None:
        self._steps = steps
        self._plain = plain

    @property
    def length(self) -> int:
        return len(self._steps)

    def __call__(self, y_bar: Any) -> Any:
        x_bar = y_bar
        if self._plain:
            for d in reversed(self._steps):
                x_bar = x_bar * d
        else:
            for d in reversed(self._steps):
                x_bar = d.pullback(x_bar) if type(d) is Closure else x_bar * d
        return x_bar

    def gradient(self, one: Any) -> Any:
        """``self(one)`` for the cotangent 1: the first product 1 * d is exact, so it is
        skipped (one array multiplication fewer for arrays); ``one`` fixes the type of an
        empty chain's result."""
        steps = self._steps
        if not self._plain or not steps:
            return self(one)
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


def _check_input(x: Any) -> Any:
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
        raise UnsupportedInputError(
            f"cannot differentiate at {x!r}: a chain's input must be an int, float, complex, "
            "mpmath mpf/mpc, a NumPy array or scalar, or an array API array (PyTorch, "
            f"dask...) (got {type(x).__name__}); convert it explicitly"
        )
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


def _fail(exc: BaseException, i: int, prim: Any, x: Any,
          registry: Registry) -> BaseException:
    """Turn an error raised at chain[i] into one that says where and what to do."""
    where = f"chain[{i}] ({primitive_name(prim)}, input {x!r})"
    if isinstance(exc, UnknownPrimitiveError):
        if getattr(prim, "__hash__", None) is None or not str(exc).startswith("no rule"):
            return UnknownPrimitiveError(f"at chain[{i}] (input {x!r}): {exc}")
        return UnknownPrimitiveError(
            registry._unknown_message(prim, f" at chain[{i}] (input {x!r})"))
    if isinstance(exc, UnsupportedTypeError):
        return UnsupportedInputError(
            f"at {where}: {exc}. The value reaching this step has type {type(x).__name__}"
        )
    if isinstance(exc, (ValueError, ArithmeticError)) and not isinstance(exc, VjpchainError):
        return PrimitiveDomainError(
            f"{primitive_name(prim)} failed at {where}: {exc or type(exc).__name__}. Check "
            "that the values reaching "
            "this step lie in its domain (vjpchain.rules_table() lists the domains)"
        )
    exc.add_note(f"while evaluating {where}")
    return exc


def _where(i: int, prim: Any, x: Any) -> str:
    return f" at chain[{i}] ({primitive_name(prim)}, input {x!r})"


def _bad_output(rule: Rule, out: Any, i: int, prim: Any, x: Any) -> RuleOutputError:
    try:
        checked_pullback(rule, out, _where(i, prim, x))
    except RuleOutputError as exc:
        return exc
    raise AssertionError("not a bad output")  # pragma: no cover


_FULL = 3  # a rule given in full: its pullback is stored


def _spec(registry: Registry, prim: Any, tp: type, unchecked: bool) -> tuple[Any, Any, int]:
    """How chain element ``prim`` runs on a value of type ``tp``: (primal, derivative, mode)
    with the generic functions resolved, or (None, rule, _FULL) for a rule given in full."""
    rule = registry.lookup(prim)
    if rule.derivative is None:
        return None, rule, _FULL
    return rule.specialize(tp, unchecked)


def _run(chain: Iterable[Any], x: Any, registry: Registry, steps: list[Any] | None,
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
    fast = registry._specs(tp, unchecked)
    try:
        for i, prim in enumerate(chain):
            try:
                primal, derivative, mode = fast[prim]
            except KeyError:
                primal, derivative, mode = _spec(registry, prim, tp, unchecked)
                if _holds_no_user_data(prim) or prim in registry._table:
                    fast[prim] = primal, derivative, mode
            except TypeError:  # unhashable: let lookup explain
                primal, derivative, mode = _spec(registry, prim, tp, unchecked)
            if mode == _FULL:
                y, pullback = checked_pullback(derivative, derivative.vjp(x),
                                               _where(i, prim, x))
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
                if append is None:
                    x_dot = x_dot * d
                else:
                    append(d)
            x = y
            if type(x) is not tp:
                tp = type(x)
                fast = registry._specs(tp, unchecked)
    except RuleOutputError:
        raise
    except Exception as exc:
        if unchecked and isinstance(exc, OverflowError):
            if steps is not None:
                steps.clear()
            return _run(chain, x0, registry, steps, x_dot0, unchecked=False)
        if i < 0:
            raise
        err = _fail(exc, i, prim, x, registry)
        if err is exc:
            raise
        raise err from exc
    return x, x_dot, plain


def _is_chain(f: Any, registry: Registry) -> bool:
    """A chain is a sequence of primitives; a callable is a traced function unless it is
    itself a registered primitive (then it is the chain of that one step), and a name is
    the chain of that one step too."""
    if not callable(f) or isinstance(f, str):
        return True
    return f in registry


def _as_chain(f: Any) -> Any:
    """A chain given as one primitive (a function or a name) as the list of that step."""
    return [f] if callable(f) or isinstance(f, str) else f


def vjp(f: Any, *xs: Any, rules: Registry | None = None,
        checkpoints: int | None = None) -> tuple[Any, Any]:
    """Run ``f`` forward and return its output with its pullback (reverse mode).

    ``f`` is a chain (a sequence of primitives: ``[sin, sin, exp]`` is ``exp(sin(sin(x)))``;
    the empty chain is the identity) or a Python function of one or more inputs, which is
    traced. For a chain, ``pullback(y_bar) = y_bar * f_n'(.) * ... * f_1'(x)``, accumulated
    from the output back to the input; for a function of several inputs it returns one
    cotangent per input, as a tuple.

    Args:
        f: a chain, or a function of ``len(xs)`` numbers or arrays.
        xs: the inputs: int, float, complex, mpmath mpf/mpc, NumPy arrays, or arrays of
            another array API library (a PyTorch tensor, a dask array), elementwise.
        rules: the registry to use (default: ``vjpchain.default_registry``).
        checkpoints: for a chain, keep at most this many intermediate states and recompute
            the others in the reverse pass on the optimal binomial schedule (revolve); see
            :func:`vjpchain.checkpoint.checkpointed_vjp`. Memory then stays bounded for long
            chains over large arrays.

    Returns:
        ``(y, pullback)``; ``pullback`` takes a cotangent (a number, or an array of y's shape).

    Raises:
        UnknownPrimitiveError: a primitive has no rule.
        PrimitiveDomainError: a primitive failed on its input (e.g. log of a negative float).
        RuleOutputError: a rule returned something other than ``(y, pullback)``.
        UnsupportedInputError: the input is not a supported number type.

    Example:
        >>> from math import sin, exp
        >>> y, pullback = vjp([sin, sin, exp], 2.0)
        >>> y, pullback(1.0)
        (2.2013533791690376, -0.562752038662712)
        >>> from vjpchain import log
        >>> y, pullback = vjp(lambda a, b: a * log(b), 3.0, 2.0)
        >>> pullback(1.0)
        (0.6931471805599453, 1.5)
    """
    registry = rules or default_registry
    if _is_chain(f, registry):
        if len(xs) != 1:
            raise TypeError(f"a chain takes one input (got {len(xs)}); for several inputs "
                            "differentiate a function: vjp(lambda a, b: ..., a, b)")
        chain = _as_chain(f)
        if checkpoints is not None:
            from .checkpoint import checkpointed_vjp

            return checkpointed_vjp(chain, xs[0], checkpoints, rules=registry)
        x = _check_input(xs[0])
        steps: list[Any] = []
        y, _, plain = _run(chain, x, registry, steps)
        return y, ChainPullback(steps, plain)
    if not xs:
        raise TypeError("vjp(f, *xs) needs at least one input")
    if checkpoints is not None:
        raise TypeError("checkpoints= applies to chains; a traced function keeps its tape")
    y, traced_pullback = trace_vjp(f, [_check_input(x) for x in xs], rules=registry)
    if len(xs) == 1:
        return y, lambda y_bar: traced_pullback(y_bar)[0]
    return y, traced_pullback


def _one_like(x: Any) -> Any:
    if type(x) is float:
        return 1.0
    kind = G.number_kind(type(x))
    if kind == G.NUMPY:
        import numpy as np

        return np.ones_like(x)
    if kind == G.MP:
        import mpmath

        return mpmath.mpf(1)
    if kind == G.COMPLEX:
        return 1 + 0j
    if kind == G.ARRAY_API:
        return G.array_namespace(x).ones_like(x)
    if getattr(type(x), "__vjpchain_kind__", None) == "dual":
        return 1.0
    return 1.0


_HOT_CHAIN_MAX = 32  # chains up to this length are compiled once they are called again
_HOT_AFTER = 2


def _hot_chain(registry: Registry, chain: list[Any]) -> Any:
    """The compiled form of a short chain that val_and_grad has seen before, else None.

    The first call of a chain is interpreted; from the second on it runs as straight-line
    code (compile_chain), which gives the same floats bit for bit without the interpreter's
    per-step work. The cache lives in the registry and is cleared when a rule changes.
    """
    try:
        key = tuple(chain)
        hot = registry._compiled.get(key)
    except TypeError:  # an unhashable element: the interpreter explains
        return None
    if hot is not None:
        return hot
    if not all(_holds_no_user_data(p) or p in registry._table for p in chain):
        return None  # a cache must not keep a user's closures (and what they capture) alive
    seen = registry._seen.get(key, 0) + 1
    if seen < _HOT_AFTER:
        if len(registry._seen) > 4096:
            registry._seen.clear()
        registry._seen[key] = seen
        return None
    from .compiled import compile_chain

    generation = registry.generation
    try:
        hot = compile_chain(chain, rules=registry)
    except Exception:  # unknown primitives and the like: the interpreter explains
        return None
    with registry._lock:
        if registry.generation != generation:
            return None  # a rule changed while compiling: this code may be stale
        if len(registry._compiled) > 256:
            registry._compiled.clear()
        registry._compiled[key] = hot
    return hot


def _holds_no_user_data(element: Any) -> bool:
    """Whether a chain element may be a key of the hot-chain cache: a name, a generic or
    builtin function, or a parametric step with plain number parameters."""
    if type(element) is str or isinstance(element, G.Generic) or isinstance(
            element, types.BuiltinFunctionType) or type(element).__name__ == "ufunc":
        return True
    if isinstance(element, Parametric):
        return all(G.number_kind(type(v)) in (G.REAL, G.COMPLEX, G.MP) for v in element.params())
    return False


def val_and_grad(f: Any, *xs: Any, argnums: int | Sequence[int] | None = None,
                 rules: Registry | None = None) -> tuple[Any, Any]:
    """The value of ``f`` and its derivative (gradient) at ``xs``, by reverse mode.

    For a chain or a one-input function: ``(y, dy/dx)``; for an array ``x`` both are arrays
    (the function applied elementwise and its derivative at each point); for complex ``x``
    the derivative is the complex derivative f'(z). For a function of several inputs the
    gradient is a tuple with one entry per input, or per index in ``argnums`` (an int gives
    a single entry, as in JAX): ``val_and_grad(f, x1, x2, argnums=1)``.

    Example:
        >>> from math import sin, exp
        >>> val_and_grad([sin, sin, exp], 2.0)
        (2.2013533791690376, -0.562752038662712)
        >>> from vjpchain import log
        >>> val_and_grad(lambda x1, x2: log(x1 * x2 * (x1 + x2)) / (x1 - x2) ** 2, 2.0, 10.0)
        (0.08563498317721861, (0.030523329127637985, -0.01854416246097132))
    """
    if type(f) is list and len(xs) == 1 and argnums is None:
        # the common case, without the layers of vjp
        registry = rules or default_registry
        if len(f) <= _HOT_CHAIN_MAX:
            compiled = _hot_chain(registry, f)
            if compiled is not None:
                try:
                    return compiled(xs[0])  # type: ignore[no-any-return]
                except Exception:  # noqa: S110 - the interpreter reports it with its position
                    pass
        steps: list[Any] = []
        y, _, plain = _run(f, _check_input(xs[0]), registry, steps)
        return y, ChainPullback(steps, plain).gradient(_one_like(y))
    y, pullback = vjp(f, *xs, rules=rules)
    one = _one_like(y)
    grads = pullback.gradient(one) if type(pullback) is ChainPullback else pullback(one)
    if argnums is None:
        return y, grads
    all_grads = grads if len(xs) > 1 else (grads,)
    if isinstance(argnums, int):
        return y, all_grads[argnums]
    return y, tuple(all_grads[i] for i in argnums)


def grad(f: Any, *xs: Any, argnums: int | Sequence[int] | None = None,
         rules: Registry | None = None) -> Any:
    """The derivative of ``f`` at ``xs`` (see :func:`val_and_grad`).

    Example:
        >>> grad(["sin", "sin", "exp"], 2.0)
        -0.562752038662712
    """
    return val_and_grad(f, *xs, argnums=argnums, rules=rules)[1]


def jvp(f: Any, x: Any, x_dot: Any, *, rules: Registry | None = None) -> tuple[Any, Any]:
    """Forward mode: the output and the pushforward ``y_dot = f'(x) * x_dot``.

    For a chain, stores nothing: memory does not grow with the chain's length. For a
    function of several inputs pass tuples: ``jvp(f, (x1, x2), (x1_dot, x2_dot))``; it runs
    on dual numbers.

    Example:
        >>> from math import sin, exp
        >>> jvp([sin, sin, exp], 2.0, 1.0)
        (2.2013533791690376, -0.562752038662712)
        >>> jvp(lambda a, b: a * b, (3.0, 2.0), (1.0, 0.0))
        (6.0, 2.0)
    """
    registry = rules or default_registry
    if _is_chain(f, registry):
        chain = _as_chain(f)
        y, y_dot, _ = _run(chain, _check_input(x), registry, None, x_dot)
        return y, y_dot
    xs = tuple(x) if isinstance(x, (tuple, list)) else (x,)
    x_dots = tuple(x_dot) if isinstance(x_dot, (tuple, list)) else (x_dot,)
    return dual_jvp(f, [_check_input(v) for v in xs], x_dots, rules=rules)


def _lift(x: Any, levels: list[int], registry: Registry) -> Any:
    """x as a nest of dual numbers, one level of forward mode per derivative order
    (``levels`` innermost first, increasing), each with direction 1."""
    if not levels:
        return x
    inner = levels[:-1]
    return Dual(_lift(x, inner, registry), _lift_const(1.0, inner, registry), registry,
                levels[-1])


def _lift_const(c: Any, levels: list[int], registry: Registry) -> Any:
    if not levels:
        return c
    inner = levels[:-1]
    return Dual(_lift_const(c, inner, registry), _lift_const(0.0, inner, registry), registry,
                levels[-1])


def derivative(f: Any, x: Any, order: int = 1, *, rules: Registry | None = None) -> Any:
    """The ``order``-th derivative of a chain or a one-input function at ``x``.

    Nested forward mode: ``order`` levels of dual numbers, each primitive's derivative
    formula differentiated by its own rules again, so the cost grows as ``2**order``; meant
    for small orders.

    Example:
        >>> derivative(["sin"], 0.5, order=3)   # -cos(0.5)
        -0.8775825618903728
    """
    if order < 0 or int(order) != order:
        raise ValueError(f"order must be a whole number >= 0 (got {order!r})")
    registry = rules or default_registry
    fn = registry.function(_as_chain(f)) if _is_chain(f, registry) else f
    levels = [new_level() for _ in range(order)]
    out = fn(_lift(_check_input(x), levels, registry))
    for level in reversed(levels):
        out = tangent_at(out, level)
    return out


def hvp(f: Any, xs: Sequence[Any], vs: Sequence[Any], *,
        rules: Registry | None = None) -> tuple[Any, ...]:
    """Hessian-vector product ``H(xs) @ vs`` by forward over reverse mode: the gradient is
    computed on dual numbers whose tangents are ``vs``.

    Example:
        >>> hvp(lambda a, b: a * a * b, (3.0, 2.0), (1.0, 0.0))   # [[2b, 2a], [2a, 0]] @ e1
        (4.0, 6.0)
    """
    if len(xs) != len(vs):
        raise ValueError(f"hvp needs one direction per input: {len(xs)} inputs, {len(vs)} "
                         "directions")
    level = new_level()
    duals = [Dual(_check_input(x), v, rules, level) for x, v in zip(xs, vs, strict=True)]
    y, pullback = vjp(f, *duals, rules=rules)
    grads = pullback(1.0)
    grads = grads if isinstance(grads, tuple) else (grads,)
    return tuple(tangent_at(g, level) for g in grads)


def hessian(f: Any, *xs: Any, rules: Registry | None = None) -> tuple[tuple[Any, ...], ...]:
    """The Hessian matrix of a scalar function of scalars, as a tuple of rows.

    Example:
        >>> hessian(lambda a, b: a * a * b, 3.0, 2.0)
        ((4.0, 6.0), (6.0, 0.0))
    """
    n = len(xs)
    columns = [hvp(f, xs, tuple(1.0 if i == j else 0.0 for i in range(n)), rules=rules)
               for j in range(n)]
    return tuple(tuple(columns[j][i] for j in range(n)) for i in range(n))
