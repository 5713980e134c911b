"""The public transforms: vjp, val_and_grad, grad (reverse mode), jvp (forward mode),
derivative, hvp and hessian, over chains and traced functions.

Each picks the layer that does the work: the chain interpreter (``chain``), compiled chains
(``compiled``, which val_and_grad uses for short chains it has seen before), checkpointed
chains (``checkpoint``), traced functions (``trace``) or dual numbers (``dual``).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

from .chain import ChainPullback, as_chain, check_input, check_output, one_like, run
from .checkpoint import checkpointed_vjp
from .compiled import HOT_CHAIN_MAX, hot_chain
from .dual import Dual, dual_jvp, new_level, tangent_at
from .registry import Registry, registry_of
from .step import check_cotangent
from .trace import trace_vjp

__all__ = ["vjp", "val_and_grad", "grad", "jvp", "derivative", "hvp", "hessian", "ChainPullback"]


def _is_chain(f: Any, registry: Registry) -> bool:
    """A chain is a sequence of primitives; a callable is a traced function unless it is
    itself a registered primitive (then it is the chain of that one step), and a name is
    the chain of that one step too."""
    if not callable(f) or isinstance(f, str):
        return True
    return f in registry


def _select(grads: Any, argnums: int | Sequence[int], n: int) -> Any:
    """The gradients of the inputs ``argnums`` picks (an int: one entry, as in JAX)."""
    if not isinstance(argnums, bool) and hasattr(argnums, "__index__"):
        argnums = operator.index(argnums)  # numpy.int64(1) names an input as 1 does
    picks: tuple[Any, ...]
    try:
        picks = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    except TypeError:
        picks = (argnums,)  # reported below
    for i in picks:
        if isinstance(i, bool) or not hasattr(i, "__index__") or not -n <= i < n:
            raise ValueError(
                f"argnums={argnums!r} does not name inputs of a function of {n} input"
                f"{'s' if n != 1 else ''}: give indices from 0 to {n - 1}")
    all_grads = grads if n > 1 else (grads,)
    if isinstance(argnums, int):
        return all_grads[argnums]
    return tuple(all_grads[operator.index(i)] for i in picks)


def _tangent(x_dot: Any, x: Any, what: str = "tangent") -> Any:
    """The tangent of ``x``, checked (a number or an array of x's shape) and, for an array
    ``x``, given x's shape: the pushforward of a linear function then has the input's shape
    (``jvp(lambda t: 2 * t, xs, 1.0)`` is an array, not 2.0)."""
    check_cotangent(x_dot, x, what, "input")
    shape = getattr(x, "shape", ())
    if shape and getattr(x_dot, "shape", ()) != shape:
        return one_like(x) * x_dot
    return x_dot


def _check_order(order: Any) -> int:
    if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= _MAX_ORDER:
        raise ValueError(
            f"order must be a whole number from 0 to {_MAX_ORDER} (got {order!r}): nested "
            f"forward mode costs about 4**order operations per primitive (order 10 of a "
            "four-step chain takes about 2 s, each order more about 4 times as long)")
    return order


# nested dual numbers grow about 4x per order (order 12 of [sin, exp, tanh, log1p]: 24 s); a
# bound that finishes in seconds, until Taylor mode replaces the nesting
_MAX_ORDER = 10


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
    registry = registry_of(rules)
    if _is_chain(f, registry):
        if len(xs) != 1:
            raise TypeError(f"a chain takes one input (got {len(xs)}); for several inputs "
                            "differentiate a function: vjp(lambda a, b: ..., a, b)")
        chain = as_chain(f)
        if checkpoints is not None:
            return checkpointed_vjp(chain, xs[0], checkpoints, rules=registry)
        x = check_input(xs[0])
        steps: list[Any] = []
        y, _, plain = run(chain, x, registry, steps)
        return check_output(y), ChainPullback(steps, plain, y)
    if not xs:
        raise TypeError("vjp(f, *xs) needs at least one input")
    if checkpoints is not None:
        raise TypeError("checkpoints= applies to chains; a traced function keeps its tape")
    y, traced_pullback = trace_vjp(f, [check_input(x) for x in xs],
                                   rules=registry)
    if len(xs) == 1:
        return y, lambda y_bar: traced_pullback(y_bar)[0]
    return y, traced_pullback


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
        registry = registry_of(rules)
        if len(f) <= HOT_CHAIN_MAX:
            compiled = hot_chain(registry, f)
            if compiled is not None:
                try:
                    return compiled(xs[0])  # type: ignore[no-any-return]
                except Exception:  # noqa: S110 - the interpreter reports it with its position
                    pass
        steps: list[Any] = []
        y, _, plain = run(f, check_input(xs[0]), registry, steps)
        return check_output(y), ChainPullback(steps, plain).gradient(one_like(y))
    y, pullback = vjp(f, *xs, rules=rules)
    one = one_like(y)
    grads = pullback.gradient(one) if type(pullback) is ChainPullback else pullback(one)
    if argnums is None:
        return y, grads
    return y, _select(grads, argnums, len(xs))


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
    registry = registry_of(rules)
    if _is_chain(f, registry):
        chain = as_chain(f)
        x = check_input(x)
        y, y_dot, _ = run(chain, x, registry, None, _tangent(x_dot, x))
        return check_output(y), y_dot
    xs = tuple(x) if isinstance(x, (tuple, list)) else (x,)
    x_dots = tuple(x_dot) if isinstance(x_dot, (tuple, list)) else (x_dot,)
    if len(xs) != len(x_dots):
        raise ValueError(f"jvp needs one tangent per input: {len(xs)} inputs, {len(x_dots)} "
                         "tangents")
    inputs = [check_input(v) for v in xs]
    return dual_jvp(f, inputs, tuple(_tangent(t, v) for t, v in zip(x_dots, inputs,
                                                                     strict=True)),
                    rules=rules)


def _lift(x: Any, levels: list[int], registry: Registry) -> Any:
    """x as a nest of dual numbers, one level of forward mode per derivative order
    (``levels`` innermost first, increasing), each with direction ones of x's shape (the
    derivative of an elementwise function at each point)."""
    if not levels:
        return x
    inner = levels[:-1]
    one = one_like(x)
    return Dual(_lift(x, inner, registry), _lift_const(one, inner, registry), registry,
                levels[-1])


def _lift_const(c: Any, levels: list[int], registry: Registry) -> Any:
    if not levels:
        return c
    inner = levels[:-1]
    return Dual(_lift_const(c, inner, registry), _lift_const(c * 0, inner, registry), registry,
                levels[-1])


def derivative(f: Any, x: Any, order: int = 1, *, rules: Registry | None = None) -> Any:
    """The ``order``-th derivative of a chain or a one-input function at ``x``.

    Nested forward mode: ``order`` levels of dual numbers, each primitive's derivative
    formula differentiated by its own rules again, so the cost grows as ``2**order``; meant
    for small orders. For an array ``x`` every level's direction is ones of x's shape: an
    elementwise function gives its derivative at each point, and the result has the shape
    of f's output.

    Example:
        >>> derivative(["sin"], 0.5, order=3)   # -cos(0.5)
        -0.8775825618903728
    """
    order = _check_order(order)
    registry = registry_of(rules)
    fn = registry.function(as_chain(f)) if _is_chain(f, registry) else f
    levels = [new_level() for _ in range(order)]
    out = fn(_lift(check_input(x), levels, registry))
    for level in reversed(levels):
        out = tangent_at(out, level)
    return out


def hvp(f: Any, xs: Sequence[Any], vs: Sequence[Any], *,
        rules: Registry | None = None) -> tuple[Any, ...]:
    """Hessian-vector product ``H(xs) @ vs`` by reverse over forward mode: the gradient of
    the directional derivative ``x -> f'(x) vs``, which runs on dual numbers holding traced
    values.

    Each direction is a number or an array of its input's shape; the result has one entry
    per input, of that input's shape.

    Raises:
        CotangentError: a direction is not a number or array of its input's shape.

    Example:
        >>> hvp(lambda a, b: a * a * b, (3.0, 2.0), (1.0, 0.0))   # [[2b, 2a], [2a, 0]] @ e1
        (4.0, 6.0)
    """
    if len(xs) != len(vs):
        raise ValueError(f"hvp needs one direction per input: {len(xs)} inputs, {len(vs)} "
                         "directions")
    if not xs:
        raise TypeError("hvp(f, xs, vs) needs at least one input")
    inputs = [check_input(x) for x in xs]
    directions = [_tangent(v, x, "direction") for v, x in zip(vs, inputs, strict=True)]
    level = new_level()

    def directional_derivative(*traced: Any) -> Any:
        out = f(*(Dual(x, v, rules, level) for x, v in zip(traced, directions, strict=True)))
        return tangent_at(out, level)

    _, pullback = vjp(directional_derivative, *inputs, rules=rules)
    grads = pullback(1.0)
    return grads if isinstance(grads, tuple) else (grads,)


def hessian(f: Any, *xs: Any, rules: Registry | None = None) -> tuple[tuple[Any, ...], ...]:
    """The Hessian of a scalar function, as a tuple of rows of blocks: ``H[i][j]`` holds the
    second derivatives in inputs ``i`` and ``j``, a number for scalar inputs and an array of
    shape ``shape(x_i) + shape(x_j)`` otherwise (one Hessian-vector product per element).

    Example:
        >>> hessian(lambda a, b: a * a * b, 3.0, 2.0)
        ((4.0, 6.0), (6.0, 0.0))
    """
    inputs = [check_input(x) for x in xs]
    n = len(inputs)
    blocks: list[list[Any]] = [[None] * n for _ in range(n)]
    for j, x in enumerate(inputs):
        shape = tuple(getattr(x, "shape", ()))
        if not shape:
            column = hvp(f, inputs, tuple(1.0 if i == j else 0.0 for i in range(n)),
                         rules=rules)
            for i in range(n):
                blocks[i][j] = column[i]
            continue
        import numpy as np

        columns = []
        for k in np.ndindex(*shape):
            e = np.zeros(shape, dtype=np.result_type(x.dtype, float))
            e[k] = 1
            columns.append(hvp(f, inputs, tuple(e if i == j else 0.0 for i in range(n)),
                               rules=rules))
        for i in range(n):
            rows = tuple(getattr(inputs[i], "shape", ()))
            blocks[i][j] = np.stack([c[i] for c in columns], axis=-1).reshape(rows + shape)
    return tuple(tuple(row) for row in blocks)
