"""What a rule is: ``Rule`` (how one primitive is differentiated), the primitives that carry
their rule (``Primitive``, ``BinaryPrimitive``, the ``Parametric`` families), and how a rule
is made from a derivative (:func:`user_rule`): the one path built-ins and users' declarations
share. The mapping from keys to rules is :mod:`vjpchain.registry`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import generic as G
from .domain import REALS, Domain
from .step import by_derivative, linearize, pull

__all__ = [
    "Rule", "OUTPUT", "primitive", "Primitive", "BinaryPrimitive", "Parametric",
    "plain_parameter", "primitive_name", "user_rule", "rule_from_derivative", "two_input_vjp",
    "Pullback", "RuleFn", "Derivative", "X", "Y", "XY",
]

Pullback = Callable[[Any], Any]
X, Y, XY = 0, 1, 2  # how a specialized derivative is called (see Rule.specialize)
RuleFn = Callable[[Any], "tuple[Any, Pullback]"]
Derivative = Callable[[Any, Any], Any]


def primitive_name(primitive: Any) -> str:
    """A readable name for a chain element: ``math.sin``, ``numpy.arcsin``, ``power(3)``."""
    if isinstance(primitive, str):
        return repr(primitive)
    if isinstance(primitive, (G.Generic, Parametric, Primitive)):
        return repr(primitive)
    name = getattr(primitive, "__name__", None)
    if name is None:
        return repr(primitive)
    module = getattr(primitive, "__module__", None)
    if module is None and type(primitive).__name__ == "ufunc":
        module = "numpy"
    if module and module.startswith("mpmath"):
        module = "mpmath"
    if module == "builtins":
        return name
    return f"{module}.{name}" if module else name


@dataclass(frozen=True, eq=False)
class Rule:
    """How to differentiate one primitive.

    Attributes:
        name: the primitive's canonical name.
        vjp: ``x -> (y, pullback)``; ``pullback(y_bar) -> x_bar``.
        primal: ``x -> y`` when the rule was declared from a derivative, else None.
        derivative: ``(x, y) -> dy/dx`` when declared from a derivative, else None. The
            interpreter then stores only this number per step (no closure).
        formula: the derivative as an expression in ``x`` (Python syntax, ``"cos(x)"``);
            empty when unknown.
        primal_formula: the primal as an expression in ``x`` (``"sin(x)"``).
        domain: where the primitive is defined on the reals, for checks.
        ulps: the accuracy promised for the float64 derivative (max error in ULPs).
        keys: every key the rule is registered under.
        arity: 1 for the primitives of chains; 2 for the binary primitives of traced
            functions, which give ``partials``: one ``(a, b, y) -> dy/d(input)`` per input.
        reference: the derivative written in mpmath, independently of ``derivative``, for
            the accuracy checks (:func:`vjpchain.reference.check_rule`); None: checks use
            ``mpmath.diff`` of the primal.
        sympy: ``{name: (sympy, x) -> expression in x}`` for the names in this rule's
            formulas that sympy does not know (``sigmoid``), for
            :func:`vjpchain.symbolic.sympy_derivative`.
    """

    name: str
    vjp: RuleFn
    primal: Callable[..., Any] | None = None
    derivative: Derivative | None = None
    formula: str = ""
    domain: Domain = REALS
    ulps: float = 1.0
    keys: tuple[Any, ...] = field(default=())
    primal_formula: str = ""
    arity: int = 1
    partials: tuple[Callable[[Any, Any, Any], Any], ...] = ()
    derivative_of_x: Any = None
    derivative_is_output: bool = False
    reference: Callable[[Any], Any] | None = None
    sympy: dict[str, Callable[[Any, Any], Any]] | None = None
    _specialized: dict[Any, tuple[Any, Any, int]] = field(default_factory=dict, repr=False)

    def specialize(self, tp: type, unchecked: bool = False) -> tuple[Any, Any, int]:
        """``(primal, derivative, mode)`` for inputs of type ``tp``, with the generic
        functions resolved to that type's implementation (``math.sin`` for a float), so the
        interpreter and compiled chains skip the dispatch. ``mode`` is ``X`` (derivative of
        x alone), ``Y`` (the derivative is the output) or ``XY`` (``derivative(x, y)``).
        ``unchecked``: see :meth:`Generic.resolve` (the primal may raise OverflowError)."""
        try:
            return self._specialized[tp, unchecked]
        except KeyError:
            pass
        primal = self.primal
        if isinstance(primal, G.Generic):
            primal = primal.resolve(tp, unchecked)
        spec: tuple[Any, Any, int]
        if self.derivative_is_output:
            spec = (primal, None, Y)
        elif isinstance(self.derivative_of_x, G.Generic):
            spec = (primal, self.derivative_of_x.resolve(tp), X)
        else:
            spec = (primal, self.derivative, XY)
        if len(self._specialized) < 64:
            self._specialized[tp, unchecked] = spec
        return spec

    def __call__(self, x: Any) -> tuple[Any, Pullback]:
        return self.vjp(x)

    def jvp(self, x: Any, x_dot: Any) -> tuple[Any, Any]:
        """``(y, y_dot)``: the pushforward of ``x_dot``.

        Primitives act elementwise, so their Jacobian is diagonal and the pushforward is the
        same multiplication as the pullback.
        """
        y, local = linearize(self, x)
        return y, pull(local, x_dot)


def rule_from_derivative(name: str, primal: Callable[[Any], Any],
                          derivative: Derivative) -> RuleFn:
    def rule(x: Any) -> tuple[Any, Pullback]:
        y, d = by_derivative(name, primal, derivative, x)

        def pullback(y_bar: Any) -> Any:
            return y_bar * d

        pullback.__qualname__ = f"{name}_pullback"
        return y, pullback

    rule.__qualname__ = rule.__name__ = f"{name}_rule"
    return rule


# --- primitives that are not plain functions -------------------------------------------------


class Parametric:
    """A primitive with parameters, such as ``power(3)``; equal parameters of equal types,
    equal primitive.

    Its rule is built from its own ``__call__`` and ``derivative(x, y)``, which subclasses
    define; the family is known to a registry through its class (``register(MyFamily, ...)``
    makes ``MyFamily(...)`` usable with that registry, ``unregister(MyFamily)`` removes it).
    """

    __slots__ = ()
    formula: str = ""

    def params(self) -> tuple[Any, ...]:
        raise NotImplementedError

    def derivative(self, x: Any, y: Any) -> Any:
        raise NotImplementedError

    def __call__(self, x: Any) -> Any:
        raise NotImplementedError

    def cache_key(self) -> tuple[Any, ...]:
        """The class and the parameters with their types: scale(1), scale(1.0), scale(1+0j)
        and scale(mpf(1)) compute in different arithmetic, so they are different primitives
        (and caches keyed by primitive must not mix them)."""
        return (type(self), tuple((type(p), p) for p in self.params()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Parametric) and other.cache_key() == self.cache_key()

    def __hash__(self) -> int:
        return hash(self.cache_key())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(repr(p) for p in self.params())})"

    def formulas(self) -> tuple[str, str]:
        """``(primal, derivative)`` as expressions in ``x`` with the parameters filled in."""
        return f"{self!r}(x)", ""


def plain_parameter(value: Any) -> Any:
    """A parameter as the user wrote it; numbers are checked so errors surface early."""
    if isinstance(value, bool) or G.number_kind(type(value)) is None:
        raise TypeError(f"a primitive parameter must be a number (got {value!r})")
    return value

class Primitive:
    """A primitive that carries its own rule, usable in any chain without registering it.

    Made by :func:`primitive` and :meth:`Registry.scalar_rule`. On a traced value or dual
    number it is one step, by the rule the registry in use gives its key (``key``: the
    registered function, or the primitive itself), else by its own ``rule``; so a chain
    ``[p]`` and a traced ``p(x)`` always agree. Its body is never traced.
    """

    __slots__ = ("__name__", "_fn", "rule", "key", "__weakref__")

    def __init__(self, name: str, fn: Callable[[Any], Any], rule: Rule,
                 key: Any = None) -> None:
        self.__name__ = name
        self._fn = fn
        self.rule = rule
        self.key = self if key is None else key

    def __call__(self, x: Any) -> Any:
        apply = getattr(type(x), "__vjpchain_apply__", None)
        if apply is not None:
            return apply(self, x)  # the box looks this primitive up in its registry
        return self.rule.primal(x)  # type: ignore[misc]

    formula = None  # what boxes fall back to without a rule: a Primitive always has one

    def __repr__(self) -> str:
        return f"primitive({self.__name__})"


def primitive(fn: Callable[[Any], Any], derivative: Derivative, *, name: str | None = None,
              formula: str = "", domain: Domain = REALS) -> Primitive:
    """A local primitive from a function and its derivative; no registry is touched.

    Args:
        fn: the primal, ``x -> y``.
        derivative: ``(x, y) -> dy/dx``, written with vjpchain's generic functions so that
            it works on every number type.
        name: a name for errors and listings (default: ``fn.__name__``).

    Example:
        >>> from vjpchain import primitive, val_and_grad, sin
        >>> softsign = primitive(lambda x: x / (1 + abs(x)),
        ...                      lambda x, y: 1 / (1 + abs(x)) ** 2, name="softsign")
        >>> val_and_grad([softsign, sin], 1.0)
        (0.479425538604203, 0.2193956404725932)
    """
    if not callable(fn) or not callable(derivative):
        raise TypeError(
            f"primitive(fn, derivative) needs two functions, x -> y and (x, y) -> dy/dx (got "
            f"{fn!r} and {derivative!r}; for a constant derivative c write lambda x, y: c)")
    label: str = name or getattr(fn, "__name__", None) or "primitive"
    made = Primitive(label, fn, None)  # type: ignore[arg-type]
    made.rule = user_rule(label, fn, derivative, formula=formula, domain=domain)
    return made


class _Output:
    """Marks a derivative equal to the primal output (exp' = exp)."""

    def __repr__(self) -> str:
        return "OUTPUT"


OUTPUT: Any = _Output()


def user_rule(label: str, fn: Callable[[Any], Any], derivative: Any, **options: Any) -> Rule:
    """The rule of a primitive declared from its derivative: built-ins and users' alike.

    ``derivative`` is ``(x, y) -> dy/dx``, a generic function of x alone (``vjpchain.cos``:
    then the interpreter calls its float implementation directly), or ``OUTPUT`` (the
    derivative is the primal's output). The primal applied to a traced value or dual number
    (a Traced holding Duals, in hvp) is this primitive again, one step by its rule: the body
    of ``fn`` is never traced. Generic functions and parametric primitives are box-aware
    already."""
    options.setdefault("primal_formula", f"{label}(x)")
    of_x = derivative if isinstance(derivative, G.Generic) else None
    full: Derivative
    if derivative is OUTPUT:
        def from_output(x: Any, y: Any) -> Any:
            return y
        full = from_output
        options["derivative_is_output"] = True
    elif of_x is not None:
        def from_x(x: Any, y: Any) -> Any:
            return of_x(x)
        full = from_x
        options["derivative_of_x"] = of_x
    else:
        full = derivative
    if isinstance(fn, (G.Generic, Parametric, Primitive)):
        return Rule(label, rule_from_derivative(label, fn, full), primal=fn,
                    derivative=full, **options)
    unboxed = fn
    this: list[Rule] = []

    def primal(x: Any) -> Any:
        apply = getattr(type(x), "__vjpchain_apply__", None)
        if apply is not None:
            return apply(this[0], x)  # a box applies a Rule as itself (Registry.lookup)
        return unboxed(x)

    primal.__name__ = primal.__qualname__ = label
    rule = Rule(label, rule_from_derivative(label, primal, full), primal=primal,
                derivative=full, **options)
    this.append(rule)
    return rule


class BinaryPrimitive:
    """A primitive of two inputs: its primal on numbers, one step by its rule on traced
    values and dual numbers. Made by :meth:`Registry.binary_rule`."""

    __slots__ = ("__name__", "rule")

    def __init__(self, rule: Rule) -> None:
        self.__name__ = rule.name
        self.rule = rule

    def __call__(self, a: Any, b: Any) -> Any:
        return self.rule.primal(a, b)  # type: ignore[call-arg, misc]

    def __repr__(self) -> str:
        return f"binary_rule({self.__name__})"



def two_input_vjp(name: str) -> RuleFn:
    def binary_rule(x: Any) -> tuple[Any, Pullback]:
        raise TypeError(
            f"{name} takes two inputs, so it cannot be a step of a chain; differentiate a "
            "traced function instead: vjpchain.grad(lambda a, b: ..., a, b)"
        )

    return binary_rule
