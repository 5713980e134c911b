"""The registry: keys, registration forms, duplicates, copies, parametric and local primitives."""



import builtins
import cmath
import math
import operator

import mpmath
import numpy as np
import pytest

import vjpchain as vc
from vjpchain import (
    DuplicateRuleError,
    Registry,
    UnknownPrimitiveError,
    default_registry,
    power,
    primitive,
    scale,
    shift,
    val_and_grad,
)

BUILTINS = ["sin", "cos", "tan", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p",
            "sqrt", "cbrt", "sinh", "cosh", "tanh", "asin", "acos", "atan", "asinh", "acosh",
            "atanh", "erf", "erfc", "sigmoid", "softplus", "abs", "neg", "square", "reciprocal",
            "lgamma", "digamma", "sinc"]


def softsign(x):
    return x / (1 + abs(x))


def d_softsign(x, y):
    return 1 / (1 + abs(x)) ** 2


def test_every_builtin_is_registered_by_name_and_generic():
    for name in BUILTINS:
        rule = default_registry.lookup(name)
        assert rule.name == name
        assert default_registry.lookup(rule.primal) is rule
    for family in ("power", "scale", "shift"):
        assert any(r.name == family for r in default_registry.rules())


@pytest.mark.parametrize("key,name", [
    (math.sin, "sin"), (cmath.sin, "sin"), (np.sin, "sin"), (mpmath.sin, "sin"),
    (np.arcsin, "asin"), ("arcsin", "asin"), (np.arctanh, "atanh"), (math.lgamma, "lgamma"),
    (np.abs, "abs"), (builtins.abs, "abs"), (operator.neg, "neg"), (np.negative, "neg"),
    (np.square, "square"), (np.reciprocal, "reciprocal"), (np.sinc, "sinc"),
    (mpmath.sincpi, "sinc"), (np.cbrt, "cbrt"), (np.exp2, "exp2"), (np.log1p, "log1p"),
    (mpmath.digamma, "digamma"), (math.erfc, "erfc"), ("logistic", "sigmoid"),
])
def test_keys_from_every_namespace(key, name):
    assert default_registry.lookup(key).name == name


def test_mpmath_sinc_is_not_normalized_so_not_an_alias():
    """mpmath.sinc is sin(x)/x; only mpmath.sincpi means the normalized sinc."""
    assert mpmath.sinc not in default_registry


def test_scalar_rule_on_a_copy_leaves_default_untouched():
    mine = default_registry.copy()
    mine.scalar_rule(softsign, d_softsign)
    y, g = val_and_grad([softsign, math.exp], 3.0, rules=mine)
    assert y == pytest.approx(math.exp(0.75), rel=1e-15)
    assert g == pytest.approx(math.exp(0.75) / 16, rel=1e-15)
    assert softsign not in default_registry
    with pytest.raises(UnknownPrimitiveError):
        val_and_grad([softsign], 3.0)


def test_user_primitive_works_on_every_number_type():
    mine = default_registry.copy()
    mine.scalar_rule(softsign, d_softsign)
    with mpmath.workdps(40):
        g = vc.grad([softsign, "sin"], mpmath.mpf("0.5"), rules=mine)
        ref = mpmath.diff(lambda t: mpmath.sin(t / (1 + abs(t))), mpmath.mpf("0.5"))
        assert abs(g - ref) < mpmath.mpf(10) ** -35
    x = np.linspace(-2, 2, 9)
    ga = vc.grad([softsign, "sin"], x, rules=mine)
    np.testing.assert_allclose(ga, [vc.grad([softsign, "sin"], float(v), rules=mine) for v in x],
                               rtol=1e-15)


def test_decorator_forms():
    mine = Registry()

    @mine.scalar_rule(primal=lambda x: x * x * x)
    def cube(x, y):
        return 3 * x * x

    @mine.register("twice")
    def twice_rule(x):
        def twice_pullback(y_bar):
            return 2 * y_bar
        return 2 * x, twice_pullback

    assert twice_rule.__name__ == "twice_rule"  # the decorator returns the rule
    assert val_and_grad(["cube", "twice"], 2.0, rules=mine) == (16.0, 24.0)
    assert vc.jvp(["cube", "twice"], 2.0, 1.0, rules=mine) == (16.0, 24.0)


def test_full_rule_with_closure_mixes_with_scalar_rules():
    mine = default_registry.copy()

    def softsign_rule(x):
        s = 1 + abs(x)

        def softsign_pullback(y_bar):
            return y_bar / (s * s)
        return x / s, softsign_pullback

    mine.register(softsign, softsign_rule)
    y, pullback = vc.vjp(["sin", softsign, "exp"], 0.7, rules=mine)
    a = math.sin(0.7)
    expected = math.exp(a / (1 + a)) / (1 + a) ** 2 * math.cos(0.7)
    assert pullback(1.0) == pytest.approx(expected, rel=1e-15)


def test_duplicate_registration_is_an_error_unless_replace():
    mine = default_registry.copy()
    with pytest.raises(DuplicateRuleError, match="replace=True"):
        mine.scalar_rule(math.sin, lambda x, y: 2.0)
    mine.scalar_rule(math.sin, lambda x, y: 2.0, replace=True, name="sin2")
    assert vc.grad([math.sin], 0.3, rules=mine) == 2.0
    # replacing one key drops the old rule's other keys, so no half-old state remains
    assert vc.grad(["cos"], 0.3, rules=mine) == -math.sin(0.3)


def test_unregister_removes_every_key():
    mine = default_registry.copy()
    rule = mine.unregister("tanh")
    assert rule.name == "tanh"
    for key in (math.tanh, np.tanh, "tanh", vc.tanh, mpmath.tanh):
        assert key not in mine
    assert math.tanh in default_registry


def test_parametric_primitives():
    assert power(3) == power(3) and power(3) != power(2) and hash(power(3)) == hash(power(3))
    assert val_and_grad([power(3)], 2.0) == (8.0, 12.0)
    assert val_and_grad([scale(2.5)], 2.0) == (5.0, 2.5)
    assert val_and_grad([shift(-1.0)], 2.0) == (1.0, 1.0)
    y, g = val_and_grad([power(0.5), scale(2.0), shift(1.0)], 9.0)
    assert (y, g) == (7.0, pytest.approx(1 / 3, rel=1e-15))
    with mpmath.workdps(50):
        y, g = val_and_grad([power(mpmath.mpf(1) / 3)], mpmath.mpf(8))
        assert abs(g - mpmath.mpf(1) / 12) < mpmath.mpf(10) ** -48
    with pytest.raises(TypeError, match="must be a number"):
        power("3")


def test_family_can_be_redefined_on_a_copy():
    mine = default_registry.copy()

    class cube_root_power(vc.Parametric):  # noqa: N801
        __slots__ = ("p",)

        def __init__(self, p):
            self.p = p

        def params(self):
            return (self.p,)

        def __call__(self, x):
            return x ** self.p

        def derivative(self, x, y):
            return self.p * x ** (self.p - 1)

    mine.register(cube_root_power, lambda x: (x, lambda y_bar: y_bar))
    assert val_and_grad([cube_root_power(2)], 3.0, rules=mine) == (9.0, 6.0)


def test_local_primitive_needs_no_registry():
    sp = primitive(softsign, d_softsign, name="softsign")
    empty = Registry()
    assert val_and_grad([sp], 1.0, rules=empty) == (0.5, 0.25)
    assert repr(sp) == "primitive(softsign)"


def test_rules_table_lists_every_primitive_with_formula_and_domain():
    rows = {name: (formula, domain) for name, formula, domain in vc.rules_table()}
    for name in BUILTINS + ["power", "scale", "shift"]:
        assert name in rows and rows[name][0]
    assert rows["tanh"][0] == "sech(x)**2"
    assert rows["log"][1] == "x > 0"


def test_registry_reads_never_raise_while_another_thread_registers():
    import sys
    import threading

    rules = vc.default_registry.copy()
    stop = threading.Event()
    errors = []

    def writer():
        k = 0
        while not stop.is_set():
            name = f"tmp{k % 50}"
            try:
                rules.scalar_rule(name, lambda x, y: 1.0, primal=lambda x: x)
                rules.unregister(name)
            except Exception as exc:  # noqa: BLE001 - collected and reported below
                errors.append(exc)
            k += 1

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for _ in range(300):
            assert vc.grad(["sin", "exp"], 0.5, rules=rules) == vc.grad(["sin", "exp"], 0.5)
            assert len(rules.rules()) >= 40 and "sin" in rules
            with pytest.raises(vc.UnknownPrimitiveError):
                rules.lookup("tmpx")  # the message scans the names: never a RuntimeError
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(old)
    assert errors == []


def test_replace_takes_over_every_name_of_the_primitive():
    wrong = vc.default_registry.copy()
    wrong.scalar_rule("tanh", lambda x, y: 1 - y * y, primal=vc.tanh, replace=True)
    for key in ("tanh", math.tanh, vc.tanh):
        assert vc.grad([key], 20.0, rules=wrong) == 0.0  # the replacement, under every key
    assert vc.grad(lambda x: vc.tanh(x), 20.0, rules=wrong) == 0.0


def test_two_lambdas_do_not_collide_by_name():
    r = vc.default_registry.copy()
    f = lambda x: x + 1  # noqa: E731
    g = lambda x: 2 * x  # noqa: E731
    r.scalar_rule(f, lambda x, y: 1.0)
    r.scalar_rule(g, lambda x, y: 2.0)
    assert vc.grad([f, g], 1.0, rules=r) == 2.0


def test_a_family_class_is_not_a_chain_step():
    with pytest.raises(vc.UnknownPrimitiveError, match="power.*parameters"):
        vc.grad([vc.power], 2.0)
    mine = vc.default_registry.copy()
    mine.unregister(vc.power)
    with pytest.raises(vc.UnknownPrimitiveError):
        vc.grad([vc.power(2)], 2.0, rules=mine)


def test_rules_table_states_the_real_domains():
    """power is defined at -2 for p = 3 and reciprocal is not at 0: the table says so (it
    listed (0, inf) and (-inf, inf))."""
    table = {name: domain for name, _, domain in vc.rules_table()}
    assert "depends on p" in table["power"]
    assert table["reciprocal"] == "x != 0"
    assert table["log"] == "x > 0"
