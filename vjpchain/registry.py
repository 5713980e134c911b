"""The rule registry: each primitive maps to a rule ``x -> (y, pullback)``, declared once.

A primitive is named by any of its keys: the library's generic function (``vjpchain.sin``),
the functions of ``math``, ``cmath``, ``numpy`` and ``mpmath`` that compute it, or its name
(``"sin"``). Whatever key a chain uses, the input's type picks the arithmetic.

Most primitives are declared by their derivative alone (:meth:`Registry.scalar_rule`); the
pullback, the pushforward, the box-aware callable and every registry key come from that one
declaration. The built-ins go through the same path (:func:`declare`), by family, in
``elementary``, ``special``, ``binary`` and ``families``.
"""

from __future__ import annotations

import cmath
import math
import sys
import threading
import types
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, overload

import mpmath

from . import generic as G
from .domain import REALS, Domain
from .errors import DuplicateRuleError, UnknownPrimitiveError, UnsupportedTypeError
from .rule import (
    OUTPUT,
    XY,
    BinaryPrimitive,
    Derivative,
    Parametric,
    Primitive,
    Rule,
    RuleFn,
    X,
    Y,
    plain_parameter,
    primitive,
    primitive_name,
    rule_from_derivative,
    two_input_vjp,
    user_rule,
)
from .step import advance

__all__ = [
    "Registry", "default_registry", "register", "scalar_rule", "unregister", "binary_rule",
    "declare", "registry_of", "refuse_registered_body",
    # what a rule is (vjpchain.rule), re-exported: the names users reach through here
    "Rule", "OUTPUT", "primitive", "Primitive", "BinaryPrimitive", "Parametric",
    "plain_parameter", "primitive_name", "X", "Y", "XY",
]

F = TypeVar("F", bound=Callable[..., Any])

# --- the registry -----------------------------------------------------------------------------

_PLAIN_BODIES = "plain bodies"  # a key of Registry.derived
_LIBRARY_MODULES = ("vjpchain", "mpmath", "numpy", "scipy")


def refuse_registered_body(bodies: dict[Any, str]) -> None:
    """Raise if a registered plain function's body is running on a box (a traced value or
    dual number): its rule would be bypassed and its body differentiated instead, a
    silently different answer. Called where boxes record an operation, with the registry's
    :meth:`Registry.plain_bodies`; looks a few frames up, past the box's own machinery."""
    frame: Any = sys._getframe(2)
    for _ in range(10):
        if frame is None:
            return
        name = bodies.get(frame.f_code)
        if name is not None:
            raise UnsupportedTypeError(
                f"{name} has a rule in this registry, but the plain function was called on "
                "a traced value or dual number, so its body ran instead of its rule. Call "
                "the primitive that scalar_rule (or vjpchain.primitive) returned, inside the "
                "function you differentiate, or use the registered function as a chain step")
        frame = frame.f_back

class Registry:
    """A mapping from primitives to rules. Copy it to extend it without touching others.

    Example:
        >>> from vjpchain import Registry, default_registry, val_and_grad
        >>> mine = default_registry.copy()
        >>> @mine.scalar_rule(primal=lambda x: x / (1 + abs(x)))
        ... def softsign(x, y):
        ...     return 1 / (1 + abs(x)) ** 2
        >>> val_and_grad(["softsign"], 1.0, rules=mine)
        (0.5, 0.25)
    """

    def __init__(self) -> None:
        self._table: dict[Any, Rule] = {}
        self._families: dict[type, Rule] = {}
        self._bound: dict[Any, Rule] = {}
        self._lock = threading.Lock()
        # what other layers derive from the rules (the interpreter's specialized steps, the
        # compiled hot chains), each under its own key: replaced by a fresh dict whenever a
        # rule is added or removed, so nothing derived outlives the rules it came from
        self.derived: dict[Any, Any] = {}
        # bumped whenever a rule is added or removed: derived caches filled by a reader that
        # started before a change are discarded instead of stored
        self.generation = 0

    # reading
    def lookup(self, primitive: Any) -> Rule:
        """The rule for ``primitive``; raises UnknownPrimitiveError if there is none."""
        try:
            return self._table[primitive]
        except KeyError:
            pass
        except TypeError:
            raise UnknownPrimitiveError(
                f"{primitive!r} (a {type(primitive).__name__}) cannot name a primitive: it is "
                "not hashable. Use a function, a primitive name such as 'sin', or "
                "vjpchain.primitive(fn, derivative)"
            ) from None
        rule = self._lookup_slow(primitive)
        if rule is None:
            raise UnknownPrimitiveError(self.unknown_message(primitive))
        return rule

    def _lookup_slow(self, primitive: Any) -> Rule | None:
        if isinstance(primitive, Rule):
            return primitive
        if isinstance(primitive, type) and primitive in self._families:
            raise UnknownPrimitiveError(
                f"{primitive.__name__} is a family of primitives: put an instance with its "
                f"parameters in the chain, e.g. {primitive.__name__}(2)")
        family = self._families.get(type(primitive))
        if family is not None:
            return self._bind(family, primitive)
        if isinstance(primitive, Primitive):
            # the registry's entry for the registered function wins over the rule the
            # primitive was made with (it may have been replaced since, or differ here)
            key = primitive.key
            found = self._table.get(key) if key is not primitive else None
            return found if found is not None else primitive.rule
        if type(primitive).__name__ == "ufunc" or (
            getattr(primitive, "__module__", None) or ""
        ).startswith("numpy"):
            # NumPy is never imported to name its functions: a declaration lists their names
            # as "numpy.arcsin" keys (see declare), found here on first use
            name = getattr(primitive, "__name__", "")
            found = self._table.get(f"numpy.{name}") if name else None
            if found is not None and callable(primitive):
                with self._lock:
                    self._table[primitive] = found
                return found
        return None

    def _bind(self, family: Rule, primitive: Parametric) -> Rule:
        key = primitive
        try:
            return self._bound[key]
        except KeyError:
            pass
        name = repr(primitive)
        primal_text, formula = primitive.formulas()
        rule = Rule(name, rule_from_derivative(name, primitive, primitive.derivative),
                    primal=primitive, derivative=primitive.derivative, formula=formula,
                    domain=family.domain, ulps=family.ulps, keys=(primitive,),
                    primal_formula=primal_text)
        with self._lock:
            if self._families.get(type(primitive)) is family:
                if len(self._bound) > 4096:
                    self._bound.clear()
                self._bound[key] = rule
        return rule

    def unknown_message(self, primitive: Any, where: str = "") -> str:
        """The error text for a primitive without a rule: what to register, where."""
        name = primitive_name(primitive)
        hint = ""
        if isinstance(primitive, str):
            close = [k for k in list(self._table) if isinstance(k, str) and k[:3] == primitive[:3]]
            if close:
                hint = f" Did you mean {sorted(close)[0]!r}?"
        return (
            f"no rule for {name}{where}.{hint} Register one with "
            f"vjpchain.register({name}, rule) or vjpchain.scalar_rule({name}, derivative), "
            "or pass rules=... (see vjpchain.rules_table() for the known primitives)"
        )

    def is_key(self, primitive: Any) -> bool:
        """Whether ``primitive`` is itself a key of this registry (not only resolvable to a
        rule, as a parametric step or a primitive carrying its rule is)."""
        try:
            return primitive in self._table
        except TypeError:
            return False

    def keys(self) -> list[Any]:
        """Every key of the table (a snapshot: safe while another thread registers)."""
        return list(self._table)

    def plain_bodies(self) -> dict[Any, str]:
        """``{code object: name}`` of the users' plain Python functions that are keys here.

        Such a function's body must not run on a traced value or dual number: its rule
        would be silently bypassed (see :func:`refuse_registered_body`). Cached until the
        rules change; empty for the default registry, so its users pay nothing."""
        derived = self.derived
        try:
            return derived[_PLAIN_BODIES]  # type: ignore[no-any-return]
        except KeyError:
            pass
        bodies = {}
        for key in self.keys():
            if isinstance(key, types.FunctionType) and not (
                    getattr(key, "__module__", None) or "").startswith(_LIBRARY_MODULES):
                bodies[key.__code__] = key.__qualname__
        derived[_PLAIN_BODIES] = bodies
        return bodies

    def __contains__(self, primitive: object) -> bool:
        try:
            self.lookup(primitive)
        except LookupError:
            return False
        return True

    def __getitem__(self, primitive: Any) -> Rule:
        return self.lookup(primitive)

    def rules(self) -> list[Rule]:
        """Every distinct rule, sorted by name (families included)."""
        seen: dict[int, Rule] = {}
        for rule in list(self._table.values()) + list(self._families.values()):
            seen.setdefault(id(rule), rule)
        return sorted(seen.values(), key=lambda r: r.name)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules())

    def __len__(self) -> int:
        return len(self.rules())

    def __bool__(self) -> bool:
        # a registry is always a registry, even an empty one: ``rules or default`` must not
        # count (and sort) the rules on every call
        return True

    def function(self, chain: Any) -> Callable[[Any], Any]:
        """The function a chain computes (its primals, no derivatives), for any input type:
        a reference to evaluate in mpmath, or a function to nest dual numbers through."""
        steps = [self.lookup(p) for p in ([chain] if callable(chain) or isinstance(chain, str)
                                          else chain)]

        def chain_function(x: Any) -> Any:
            for rule in steps:
                x = advance(rule, x)
            return x

        return chain_function

    def copy(self) -> Registry:
        """An independent registry with the same rules."""
        new = Registry()
        new._table = dict(self._table)
        new._families = dict(self._families)
        return new

    # writing
    def _keys_for(self, primitive: Any, name: str, aliases: tuple[Any, ...]) -> tuple[Any, ...]:
        # an object is a key for itself and its explicit aliases only: its __name__ is not
        # (two closures named f, or a user function named sin, must not share a rule)
        keys = [primitive, *aliases]
        out = []
        for key in keys:
            if key not in out:
                out.append(key)
        return tuple(out)

    def _add(self, rule: Rule, replace: bool) -> Rule:
        with self._lock:
            for key in rule.keys:
                existing = (self._families.get(key) if isinstance(key, type)
                            and issubclass(key, Parametric) else self._table.get(key))
                if existing is not None and not replace:
                    source = ("vjpchain.default_registry" if self is default_registry
                              else "this registry")
                    raise DuplicateRuleError(
                        f"{primitive_name(key)} already has a rule ({existing.name}); pass "
                        "replace=True to override it, or register on a copy of "
                        f"{source}: rules = {source.replace('this ', '')}.copy()"
                    )
            for key in rule.keys:
                if isinstance(key, type) and issubclass(key, Parametric):
                    self._families[key] = rule
                else:
                    old = self._table.get(key)
                    if old is not None and old is not rule:
                        # replacing a primitive replaces it under all its names
                        # (math.tanh, numpy.tanh, "tanh"...), not just the one given
                        for other in [k for k, r in self._table.items() if r is old]:
                            self._table[other] = rule
                    self._table[key] = rule
            self._changed()
        return rule

    def _changed(self) -> None:
        """Forget everything derived from the rules (caller holds the lock)."""
        self._bound.clear()
        self.derived = {}
        self.generation += 1

    def _drop(self, rule: Rule) -> None:
        for key in [k for k, r in self._table.items() if r is rule]:
            del self._table[key]

    def register(self, primitive: Any, rule: RuleFn | None = None, *, name: str | None = None,
                 aliases: tuple[Any, ...] = (), replace: bool = False,
                 domain: Domain = REALS, ulps: float = 1.0, formula: str = "") -> Any:
        """Register ``rule(x) -> (y, pullback)`` for ``primitive``; a decorator without ``rule``.

        Args:
            primitive: the key a chain uses (a function, a name, a Parametric class).
            rule: ``x -> (y, pullback)`` with ``pullback(y_bar) -> x_bar``.
            name: the canonical name (default: the primitive's ``__name__`` or string).
            aliases: more keys for the same rule (``numpy.arcsin`` for ``asin``...).
            replace: allow replacing an existing rule.

        Returns:
            The rule function, so that the decorator form keeps the name bound.

        Raises:
            DuplicateRuleError: a key already has a rule and ``replace`` is False.
        """
        if rule is None:
            def decorate(fn: F) -> F:
                self.register(primitive, fn, name=name, aliases=aliases, replace=replace,
                              domain=domain, ulps=ulps, formula=formula)
                return fn
            return decorate
        if not callable(rule):
            raise TypeError(f"a rule must be callable x -> (y, pullback) (got {rule!r})")
        label = name or _default_name(primitive)
        self._add(Rule(label, rule, formula=formula, domain=domain, ulps=ulps,
                       keys=self._keys_for(primitive, label, aliases),
                       primal_formula=f"{label}(x)"), replace)
        return rule

    @overload
    def scalar_rule(self, primitive: Any, derivative: Derivative, *, primal: Any = ...,
                    name: str | None = ..., aliases: tuple[Any, ...] = ..., replace: bool = ...,
                    domain: Domain = ..., ulps: float = ..., formula: str = ...,
                    primal_formula: str = ..., reference: Callable[[Any], Any] | None = ...,
                    sympy: dict[str, Callable[[Any, Any], Any]] | None = ...) -> Primitive: ...

    @overload
    def scalar_rule(self, primitive: Any = ..., derivative: None = ..., *, primal: Any = ...,
                    name: str | None = ..., aliases: tuple[Any, ...] = ..., replace: bool = ...,
                    domain: Domain = ..., ulps: float = ..., formula: str = ...,
                    primal_formula: str = ..., reference: Callable[[Any], Any] | None = ...,
                    sympy: dict[str, Callable[[Any, Any], Any]] | None = ...
                    ) -> Callable[[Derivative], Derivative]: ...

    def scalar_rule(self, primitive: Any = None, derivative: Derivative | None = None, *,
                    primal: Any = None, name: str | None = None,
                    aliases: tuple[Any, ...] = (), replace: bool = False,
                    domain: Domain = REALS, ulps: float = 1.0, formula: str = "",
                    primal_formula: str = "",
                    reference: Callable[[Any], Any] | None = None,
                    sympy: dict[str, Callable[[Any, Any], Any]] | None = None) -> Any:
        """Register a primitive from its derivative ``(x, y) -> dy/dx`` alone.

        The pullback (``y_bar * dy/dx``) and the pushforward come from it, and the
        interpreter stores a single number per step instead of a closure. Write the
        derivative with vjpchain's generic functions (``vjpchain.cos``...) so that it works on
        floats, complex numbers, mpmath numbers and arrays alike; ``y`` is the primal output.

        As a decorator, ``primitive`` may be omitted: the decorated function's name is used
        (then ``primal`` is required).

        Returns the primitive as a callable (a :class:`Primitive`, its rule as ``.rule``):
        call it inside traced functions and on dual numbers, where it is one step by this
        rule; the plain function's body would be traced instead.

        Args:
            primitive: the key a chain uses; called as the primal unless ``primal`` is given.
            derivative: ``(x, y) -> dy/dx``.
            primal: ``x -> y`` when ``primitive`` is not itself callable (e.g. a name).
            formula: the derivative as text for listings (default: the function's name).
            primal_formula: the primal as text, ``"1/x"`` (default ``"name(x)"``).
            domain, ulps: where the primitive is defined and the accuracy it promises, for
                the checks (:func:`vjpchain.reference.check_rule`).
            reference: the derivative written in mpmath, ``x -> dy/dx``, for the checks
                (default: ``mpmath.diff`` of the primal).
            sympy: ``{name: (sympy, x) -> expression}`` for names in the formulas that
                sympy does not know, for :func:`vjpchain.symbolic.sympy_derivative`.

        Example:
            >>> import vjpchain
            >>> rules = vjpchain.default_registry.copy()
            >>> def softsign(x):
            ...     return x / (1 + abs(x))
            >>> _ = rules.scalar_rule(softsign, lambda x, y: 1 / (1 + abs(x)) ** 2)
            >>> vjpchain.val_and_grad([softsign, vjpchain.exp], 3.0, rules=rules)
            (2.117000016612675, 0.13231250103829217)
        """
        if derivative is None:
            def decorate(fn: Derivative) -> Derivative:
                key = primitive if primitive is not None else fn.__name__
                self.scalar_rule(key, fn, primal=primal, name=name or fn.__name__,
                                 aliases=aliases, replace=replace, domain=domain, ulps=ulps,
                                 formula=formula, primal_formula=primal_formula,
                                 reference=reference, sympy=sympy)
                return fn
            return decorate
        if derivative is not OUTPUT and not callable(derivative):
            raise TypeError(
                f"scalar_rule({primitive!r}, {derivative!r}): the derivative must be a function "
                "(x, y) -> dy/dx (for a constant c write lambda x, y: c)")
        fn = primal if primal is not None else primitive
        if not callable(fn) or isinstance(fn, str):
            raise TypeError(
                f"scalar_rule({primitive!r}, ...) needs primal=...: the primitive is not "
                "callable, so give the function x -> y explicitly"
            )
        label = name or _default_name(primitive)
        rule = user_rule(label, fn, derivative, formula=formula, domain=domain, ulps=ulps,
                          keys=self._keys_for(primitive, label, aliases),
                          primal_formula=primal_formula or f"{label}(x)",
                          reference=reference, sympy=sympy)
        # the box-aware callable: call it inside traced functions (one step by this rule)
        return Primitive(label, fn, self._add(rule, replace), key=primitive)

    def binary_rule(self, primitive: Any, primal: Callable[[Any, Any], Any],
                    partials: tuple[Callable[[Any, Any, Any], Any],
                                    Callable[[Any, Any, Any], Any]],
                    *, name: str | None = None, formulas: tuple[str, str] = ("", ""),
                    aliases: tuple[Any, ...] = (), replace: bool = False) -> BinaryPrimitive:
        """Register a primitive of two inputs by its partial derivatives, and return it as a
        function of two inputs to call in traced functions and on dual numbers, where it is
        one step by its rule (its rule as ``.rule``).

        Args:
            primitive: the key (e.g. ``operator.mul`` or ``"mul"``).
            primal: ``(a, b) -> y``.
            partials: ``(dy/da, dy/db)``, each ``(a, b, y) -> value``; only the ones an input
                needs are evaluated, so a partial may raise where it is undefined.
            formulas: the partials as expressions in ``a`` and ``b``, for listings.

        Example:
            >>> import vjpchain
            >>> mine = vjpchain.default_registry.copy()
            >>> avg = mine.binary_rule("avg", lambda a, b: (a + b) / 2,
            ...                        (lambda a, b, y: 0.5, lambda a, b, y: 0.5))
            >>> avg(2.0, 4.0), vjpchain.grad(lambda a, b: avg(a, b) * a, 2.0, 4.0, rules=mine)
            (3.0, (4.0, 1.0))
        """
        label = name or _default_name(primitive)
        this: list[Rule] = []
        boxed_primal: Callable[[Any, Any], Any]
        if isinstance(primal, G.Generic2):
            boxed_primal = primal  # box-aware already
        else:
            unboxed = primal

            def boxed_primal(a: Any, b: Any) -> Any:
                # dual numbers inside a traced value (hvp) take this rule too, not the body
                for v in (a, b):
                    apply = getattr(type(v), "__vjpchain_apply2__", None)
                    if apply is not None:
                        return apply(this[0], a, b)
                return unboxed(a, b)

        rule = Rule(label, two_input_vjp(label), primal=boxed_primal, formula=", ".join(formulas),
                    keys=self._keys_for(primitive, label, aliases), arity=2,
                    partials=partials, primal_formula=f"{label}(a, b)")
        this.append(rule)
        return BinaryPrimitive(self._add(rule, replace))

    def unregister(self, primitive: Any) -> Rule:
        """Remove the rule of ``primitive`` under all its keys and return it."""
        if isinstance(primitive, type) and primitive in self._families:
            with self._lock:
                family = self._families.pop(primitive)
                self._changed()
            return family
        rule = self.lookup(primitive)
        with self._lock:
            self._drop(rule)
            for key in [k for k, r in self._families.items() if r is rule]:
                del self._families[key]
            self._changed()
        return rule


def _default_name(primitive: Any) -> str:
    if isinstance(primitive, str):
        return primitive
    if isinstance(primitive, type):
        return primitive.__name__
    return getattr(primitive, "__name__", None) or repr(primitive)


default_registry = Registry()


def registry_of(rules: Any) -> Registry:
    """The registry a ``rules=`` argument names: None is the default registry; anything but
    a Registry (a dict, say) is refused rather than silently ignored."""
    if rules is None:
        return default_registry
    if isinstance(rules, Registry):
        return rules
    raise TypeError(
        f"rules= must be a vjpchain.Registry (got a {type(rules).__name__}); make one with "
        "rules = vjpchain.default_registry.copy() and add rules with rules.scalar_rule(...) "
        "or rules.register(...)")


def register(primitive: Any, rule: RuleFn | None = None, **options: Any) -> Any:
    """:meth:`Registry.register` on the default registry."""
    return default_registry.register(primitive, rule, **options)


def scalar_rule(primitive: Any = None, derivative: Derivative | None = None,
                **options: Any) -> Any:
    """:meth:`Registry.scalar_rule` on the default registry."""
    return default_registry.scalar_rule(primitive, derivative, **options)


def unregister(primitive: Any) -> Rule:
    """:meth:`Registry.unregister` on the default registry."""
    return default_registry.unregister(primitive)



def binary_rule(primitive: Any, primal: Callable[[Any, Any], Any],
                partials: tuple[Callable[[Any, Any, Any], Any], Callable[[Any, Any, Any], Any]],
                **options: Any) -> BinaryPrimitive:
    """:meth:`Registry.binary_rule` on the default registry."""
    return default_registry.binary_rule(primitive, primal, partials, **options)


def declare(primal: G.Generic, derivative: Any, formula: str, *,
            aliases: tuple[Any, ...] = (), numpy: tuple[str, ...] | None = None,
            not_the_same: tuple[Any, ...] = (), **options: Any) -> Primitive:
    """Declare a built-in primitive on the default registry: :meth:`Registry.scalar_rule`
    with the keys every backend gives it. ``derivative`` is a generic function of x
    (``vjpchain.cos``), ``OUTPUT`` (the derivative is the primal's output), or
    ``(x, y) -> dy/dx``; ``options`` are scalar_rule's (domain, ulps, reference, sympy...).

    Its keys: the generic function, its name, ``aliases``, the functions of the same name in
    math, cmath and mpmath (except those in ``not_the_same``: a function of the same name
    that computes something else), and ``"numpy.<name>"`` for each ufunc name (``numpy``, default:
    the primitive's name and its string aliases), by which the functions of NumPy (and the
    ufuncs of SciPy: ``scipy.special.expit``) are found without importing NumPy.
    """
    name = primal.__name__
    keys: list[Any] = [name, *aliases]
    for module in (math, cmath, mpmath):
        fn = getattr(module, name, None)
        if fn is not None and fn not in keys and fn not in not_the_same:
            keys.append(fn)
    names = numpy if numpy is not None else (name, *(a for a in aliases if isinstance(a, str)))
    keys += [f"numpy.{ufunc}" for ufunc in names]
    return default_registry.scalar_rule(primal, derivative, name=name, aliases=tuple(keys),
                                        formula=formula, **options)
