"""Compiled chains: straight-line Python generated from the primitives' declarations.

``compile_chain([sin, sin, exp])`` returns a function ``x -> (y, dy/dx)`` whose body is the
chain unrolled: each step's primal and local derivative, then the reverse product, with the
generic functions already resolved for the input's type (``math.sin`` for a float). It
computes exactly what the interpreter computes, in the same order, so the results agree bit
for bit; only the interpreter's per-step bookkeeping is gone. ``.source`` shows the code, a
derivative program a learner can read.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable
from typing import Any

from . import generic as G
from .chain import (
    ChainPullback,
    as_chain,
    check_input,
    check_output,
    holds_no_user_data,
    one_like,
    run,
)
from .registry import Registry, registry_of
from .rule import XY, Y

__all__ = ["compile_chain", "CompiledChain"]

_FULL = -1


def _ident(text: str, taken: dict[str, Any], value: Any) -> str:
    """A readable, unique Python name for ``value`` in the generated namespace."""
    base = re.sub(r"\W", "_", text).strip("_") or "f"
    if base[0].isdigit() or keyword.iskeyword(base):
        base = f"f_{base}"
    name = base
    k = 2
    while name in taken and taken[name] is not value:
        name = f"{base}_{k}"
        k += 1
    taken[name] = value
    return name


MAX_STEPS = 20_000  # the longest chain compile_chain generates code for


class CompiledChain:
    """A chain compiled to straight-line code; call it as ``y, dy_dx = compiled(x)``.

    One variant is generated per input type on first use (float, mpf, ndarray...).

    Attributes:
        length: the number of primitives.
    """

    def __init__(self, chain: Iterable[Any], rules: Registry | None = None) -> None:
        self._registry = registry_of(rules)
        self._chain = list(chain)
        if len(self._chain) > MAX_STEPS:
            raise ValueError(
                f"compile_chain makes straight-line code of a few KB per step, so it takes "
                f"chains of at most {MAX_STEPS} steps (got {len(self._chain)}); a longer chain "
                "runs as fast per step in val_and_grad's interpreter, and in bounded memory "
                "with vjp(chain, x, checkpoints=...)")
        self._rules = [self._registry.lookup(p) for p in self._chain]
        self._variants: dict[type, Any] = {}
        self._sources: dict[type, str] = {}
        self.length = len(self._chain)

    def __call__(self, x: Any) -> tuple[Any, Any]:
        try:
            fn = self._variants[type(x)]
        except KeyError:
            return self._call_other(x)
        return fn(x)  # type: ignore[no-any-return]

    def _interpret(self, x: Any) -> tuple[Any, Any]:
        """The interpreter's val_and_grad for this chain (no compiled fast path)."""
        steps: list[Any] = []
        y, _, plain = run(self._chain, check_input(x), self._registry, steps)
        return check_output(y), ChainPullback(steps, plain).gradient(one_like(y))

    def _call_other(self, x: Any) -> tuple[Any, Any]:
        x = check_input(x)
        fn = self._variants.get(type(x))
        if fn is None:
            try:
                fn = self._build(type(x))
            except Exception:  # no implementation for this type: the interpreter says where
                return self._interpret(x)
        return fn(x)  # type: ignore[no-any-return]

    def float_function(self) -> Any:
        """The generated function for floats itself, without the dispatch on the input's
        type: the fastest way to call a compiled chain on floats."""
        return self._variants.get(float) or self._build(float)

    @property
    def source(self) -> str:
        """The generated code for float inputs."""
        return self.source_for(float)

    def source_for(self, tp: type) -> str:
        """The generated code for inputs of type ``tp``."""
        if tp not in self._sources:
            self._build(tp)
        return self._sources[tp]

    def _build(self, tp: type, unchecked: bool = True) -> Any:
        namespace: dict[str, Any] = {}
        lines = ["def compiled_chain(x0):"]
        # for arrays the reverse product multiplies in place once it owns a fresh array
        # (libraries whose arrays are immutable, JAX or dask, rebind instead: same values)
        array = G.number_kind(tp) in (G.NUMPY, G.ARRAY_API)
        # anything unusual (an error, a step whose output changes type) goes back to the
        # interpreter, which gives the same numbers or the error with its chain position
        namespace["interpret"] = self._interpret
        namespace["T"] = tp
        if unchecked and tp is float:
            # math functions raise OverflowError where vjpchain's give inf: on overflow
            # (rare) run the variant built with the checked functions
            namespace["checked"] = self._build(tp, unchecked=False)
            namespace["other_types"] = self._call_other
            lines.append("  if type(x0) is not float:")
            lines.append("    return other_types(x0)")
        else:
            unchecked = False
        lines.append("  try:")
        indent = "    "
        derivatives: list[tuple[str, int]] = []
        x = "x0"
        for i, rule in enumerate(self._rules):
            out = f"x{i + 1}"
            lines.append(f"{indent}# chain[{i}]: {rule.name}, derivative {rule.formula or '?'}")
            if rule.derivative is None:
                fn = _ident(f"{rule.name}_rule", namespace, rule.vjp)
                lines.append(f"{indent}{out}, pullback{i + 1} = {fn}({x})")
                derivatives.append((f"pullback{i + 1}", _FULL))
            else:
                primal, derivative, mode = rule.specialize(tp, unchecked)
                p = _ident(getattr(primal, "__name__", rule.name) if isinstance(
                    rule.primal, G.Generic) else rule.name, namespace, primal)
                lines.append(f"{indent}{out} = {p}({x})")
                if mode == Y:
                    lines.append(f"{indent}d{i + 1} = {out}")
                else:
                    label = getattr(derivative, "__name__", "") if mode != XY else ""
                    if not label or label == "<lambda>" or mode == XY:
                        label = f"{rule.name}_derivative"
                    d = _ident(label, namespace, derivative)
                    args = f"{x}, {out}" if mode == XY else x
                    lines.append(f"{indent}d{i + 1} = {d}({args})")
                derivatives.append((f"d{i + 1}", mode))
            if rule.derivative is None or not isinstance(rule.primal, G.Generic):
                # a user's function or a parametric step may return another type (an mpf
                # scale turns floats into mpf): the code below was specialized for T
                lines.append(f"{indent}if type({out}) is not T:")
                lines.append(f"{indent}    return interpret(x0)")
            x = out
        lines.append(f"{indent}# reverse pass: the cotangent 1 times each local derivative, "
                     "last first")
        if not derivatives:
            lines.append(f"{indent}return x0, one_like({x})")
            namespace["one_like"] = _one_like_for(tp)
        else:
            name, mode = derivatives[-1]
            if mode == _FULL:
                namespace["one_like"] = _one_like_for(tp)
                lines.append(f"{indent}g = {name}(one_like({x}))")
            elif mode == XY or tp is not float:
                # a constant derivative (scale, neg) takes the output's type and shape, as
                # in the interpreter (ChainPullback.gradient)
                namespace["as_cotangent"] = _as_cotangent
                lines.append(f"{indent}g = as_cotangent({name}, {x})")
            else:
                lines.append(f"{indent}g = {name}")
            fresh = False  # whether g is an array this function made (safe to update)
            for name, mode in reversed(derivatives[:-1]):
                if mode == _FULL:
                    lines.append(f"{indent}g = {name}(g)")
                    fresh = False
                elif fresh and array:
                    lines.append(f"{indent}g *= {name}")
                else:
                    lines.append(f"{indent}g = g * {name}")
                    fresh = True
            lines.append(f"{indent}return {x}, g")
        if unchecked:
            lines.append("  except OverflowError:")
            lines.append("    return checked(x0)")
        lines.append("  except Exception:")
        lines.append("    return interpret(x0)")
        source = "\n".join(lines) + "\n"
        code = compile(source, f"<compiled chain of {len(self._rules)} steps>", "exec")
        exec(code, namespace)  # noqa: S102 - our own generated code, names bound above
        fn = namespace["compiled_chain"]
        if unchecked or tp is not float:
            self._variants[tp] = fn
            self._sources[tp] = source
        return fn

    def __repr__(self) -> str:
        return f"<compiled chain of {self.length} steps>"


def _as_cotangent(d: Any, y: Any) -> Any:
    if type(d) is type(y) and getattr(d, "shape", None) == getattr(y, "shape", None):
        return d
    return one_like(y) * d


def _one_like_for(tp: type) -> Any:
    return one_like  # it dispatches on the value itself


def compile_chain(chain: Iterable[Any], *, rules: Registry | None = None) -> Any:
    """Compile a chain to a function ``x -> (y, dy/dx)`` of straight-line code.

    Equal to ``val_and_grad(chain, x)`` bit for bit on floats; faster, since the per-step
    lookups are done once, when the code is generated. The function returned is the float
    variant itself (other input types are sent to variants generated for them on first
    use); its attributes ``source`` (the code), ``source_for(type)``, ``length`` and
    ``compiled`` (the :class:`CompiledChain`) describe it.

    Example:
        >>> from math import sin, exp
        >>> f = compile_chain([sin, sin, exp])
        >>> f(2.0)
        (2.2013533791690376, -0.562752038662712)
        >>> print(f.source)
        def compiled_chain(x0):
          if type(x0) is not float:
            return other_types(x0)
          try:
            # chain[0]: sin, derivative cos(x)
            x1 = sin(x0)
            d1 = cos(x0)
            # chain[1]: sin, derivative cos(x)
            x2 = sin(x1)
            d2 = cos(x1)
            # chain[2]: exp, derivative exp(x)
            x3 = exp(x2)
            d3 = x3
            # reverse pass: the cotangent 1 times each local derivative, last first
            g = d3
            g = g * d2
            g = g * d1
            return x3, g
          except OverflowError:
            return checked(x0)
          except Exception:
            return interpret(x0)
        <BLANKLINE>
        >>> compile_chain([exp, exp])(10.0)   # overflows to inf, as in the interpreter
        (inf, inf)
    """
    compiled = CompiledChain(as_chain(chain), rules)
    fn = compiled.float_function()
    fn.source = compiled.source
    fn.source_for = compiled.source_for
    fn.length = compiled.length
    fn.compiled = compiled
    return fn


# --- the hot-chain cache of val_and_grad ---------------------------------------------------------

HOT_CHAIN_MAX = 32  # chains up to this length are compiled once they are called again
_HOT_AFTER = 2
_COMPILED, _SEEN = "compiled hot chains", "chains seen"  # keys in registry.derived


def hot_chain(registry: Registry, chain: list[Any]) -> Any:
    """The compiled form of a short chain that val_and_grad has seen before, else None.

    The first call of a chain is interpreted; from the second on it runs as straight-line
    code (compile_chain), which gives the same floats bit for bit without the interpreter's
    per-step work. The cache is this layer's, kept in ``registry.derived`` (replaced when a
    rule changes), bounded, and keyed only by chains of static elements (names, generic and
    builtin functions, registered keys, parametric steps with number parameters), so it
    keeps no user data alive.
    """
    try:
        key = tuple(chain)
        derived = registry.derived
        compiled = derived.get(_COMPILED)
        hot = compiled.get(key) if compiled is not None else None
    except TypeError:  # an unhashable element: the interpreter explains
        return None
    if hot is not None:
        return hot
    if not all(holds_no_user_data(p) or registry.is_key(p) for p in chain):
        return None  # a cache must not keep a user's closures (and what they capture) alive
    seen_table = derived.setdefault(_SEEN, {})
    seen = seen_table.get(key, 0) + 1
    if seen < _HOT_AFTER:
        if len(seen_table) > 4096:
            seen_table.clear()
        seen_table[key] = seen
        return None
    try:
        hot = compile_chain(chain, rules=registry)
    except Exception:  # unknown primitives and the like: the interpreter explains
        return None
    compiled = derived.setdefault(_COMPILED, {})
    if len(compiled) > 256:
        compiled.clear()
    compiled[key] = hot  # into the dict of the rules it was compiled from (see above)
    return hot
