"""A declaration means the same primitive in every transform (issue: one declaration, one step).

Each test pins a silently wrong answer of the earlier middle floors.
"""

import math

import mpmath
import pytest

import vjpchain as vc


def _square_with_rule_100():
    # a deliberately "wrong" rule: any transform that traces the body instead gives 2x
    return vc.primitive(lambda x: x * x, lambda x, y: 100.0, name="sq100")


def test_a_local_primitive_is_one_step_in_traced_functions_and_dual_numbers():
    p = _square_with_rule_100()
    assert vc.grad([p], 3.0) == 100.0
    assert vc.grad(lambda x: p(x), 3.0) == 100.0
    assert vc.jvp(lambda x: p(x), 3.0, 1.0) == (9.0, 100.0)
    assert vc.derivative(lambda x: p(x), 3.0) == 100.0
    # d2/dx2 (p(x) x) = p''(x) x + 2 p'(x) = 200 by the rule (a traced body would give 18)
    assert vc.hessian(lambda x: p(x) * x, 3.0) == ((200.0,),)
    assert vc.hvp(lambda x: p(x) * x, (3.0,), (1.0,)) == (200.0,)
    assert vc.compile_chain([p])(3.0) == (9.0, 100.0)
    assert vc.vjp([p] * 3, 3.0, checkpoints=2)[1](1.0) == 100.0**3


def test_a_primitive_whose_body_uses_math_works_inside_traced_functions():
    q = vc.primitive(lambda x: math.log1p(x), lambda x, y: 1 / (1 + x), name="mlog1p")
    assert vc.grad(lambda x: 2 * q(x), 1.0) == 1.0
    assert vc.jvp(lambda x: q(x), 1.0, 1.0) == (math.log1p(1.0), 0.5)


def test_a_registered_function_is_its_rule_on_dual_numbers_inside_traced_functions():
    rules = vc.default_registry.copy()

    def cube(x):
        return x * x * x

    rules.scalar_rule(cube, lambda x, y: 7.0)  # wrong on purpose: the rule must win
    assert vc.grad([cube], 2.0, rules=rules) == 7.0
    assert vc.derivative([cube], 2.0, rules=rules) == 7.0
    assert vc.derivative([cube], 2.0, order=2, rules=rules) == 0.0


def test_derivative_uses_the_registry_it_is_given():
    wrong = vc.default_registry.copy()
    wrong.scalar_rule("sin", lambda x, y: 2.0, primal=vc.sin, replace=True)
    assert vc.derivative(["sin"], 0.5, rules=wrong) == 2.0
    assert vc.derivative(lambda x: vc.sin(x), 0.5, rules=wrong) == 2.0
    assert vc.derivative(["sin"], 0.5) == math.cos(0.5)


def test_a_function_named_like_a_builtin_does_not_replace_it():
    rules = vc.default_registry.copy()

    def sin(x):  # a user function that happens to be named sin
        return 3 * x

    rules.scalar_rule(sin, lambda x, y: 3.0, replace=True)
    for key in ("sin", math.sin, vc.sin):
        assert vc.grad([key], 0.5, rules=rules) == math.cos(0.5)
    assert vc.grad([sin], 0.5, rules=rules) == 3.0


def test_two_closures_with_one_name_keep_their_own_rules():
    rules = vc.default_registry.copy()
    made = []
    for k in (2.0, 5.0):
        def f(x, k=k):
            return k * x
        rules.scalar_rule(f, lambda x, y, k=k: k)
        made.append(f)
    assert [vc.grad([f], 1.0, rules=rules) for f in made] == [2.0, 5.0]
    assert "f" not in rules


def test_the_duplicate_rule_hint_names_the_registry_in_use():
    rules = vc.default_registry.copy()
    with pytest.raises(vc.DuplicateRuleError) as info:
        rules.scalar_rule(math.sin, lambda x, y: 2.0)
    assert "default_registry" not in str(info.value) and "registry.copy()" in str(info.value)
    with pytest.raises(vc.DuplicateRuleError, match=r"vjpchain\.default_registry\.copy\(\)"):
        vc.scalar_rule(math.sin, lambda x, y: 2.0)


def test_nested_forward_mode_keeps_perturbations_apart():
    assert vc.derivative(lambda x: x * vc.derivative(lambda y: x + y, 1.0), 1.0) == 1.0
    # d/dx [x * d/dy (x y)] = d/dx x**2 = 2x
    assert vc.jvp(lambda x: x * vc.jvp(lambda y: x * y, (1.0,), (1.0,))[1], (2.0,), (1.0,)) \
        == (4.0, 4.0)


def test_higher_orders_of_digamma_stay_on_their_level():
    assert vc.derivative(["digamma"], 1.5, order=2) == pytest.approx(
        float(mpmath.psi(2, 1.5)), rel=1e-14)
    assert vc.derivative(["lgamma"], 1.5, order=3) == pytest.approx(
        float(mpmath.psi(2, 1.5)), rel=1e-14)


def test_a_registered_plain_function_called_on_a_traced_value_says_to_call_the_primitive():
    rules = vc.default_registry.copy()

    def mlog1p(x):
        return math.log1p(x)

    rules.scalar_rule(mlog1p, lambda x, y: 1 / (1 + x))
    assert vc.grad([mlog1p], 1.0, rules=rules) == 0.5
    with pytest.raises(TypeError, match="mlog1p has a rule.*vjpchain.primitive"):
        vc.grad(lambda x: mlog1p(x), 1.0, rules=rules)


def test_a_two_input_user_rule_is_one_step_in_traced_functions_and_dual_numbers():
    rules = vc.default_registry.copy()
    # a deliberately odd rule: the partials are not those of the primal's body
    avg = rules.binary_rule("avg", lambda a, b: (a + b) / 2,
                            (lambda a, b, y: 0.25, lambda a, b, y: 0.75))
    assert avg(2.0, 4.0) == 3.0
    assert vc.grad(lambda a, b: avg(a, b), 2.0, 4.0, rules=rules) == (0.25, 0.75)
    assert vc.jvp(lambda a, b: avg(a, b), (2.0, 4.0), (1.0, 1.0), rules=rules) == (3.0, 1.0)
    assert vc.hessian(lambda a, b: avg(a, b) * a, 2.0, 4.0, rules=rules) == (
        (0.5, 0.75), (0.75, 0.0))


def test_scalar_rule_returns_the_primitive_to_call_in_traced_functions():
    rules = vc.default_registry.copy()

    def cube(x):
        return x * x * x

    cube_step = rules.scalar_rule(cube, lambda x, y: 7.0)  # wrong on purpose: the rule wins
    assert cube_step(2.0) == 8.0 and cube_step.rule is rules.lookup(cube)
    assert vc.grad(lambda x: cube_step(x), 2.0, rules=rules) == 7.0
    assert vc.jvp(lambda x: cube_step(x), 2.0, 1.0, rules=rules) == (8.0, 7.0)
    assert vc.hessian(lambda x: cube_step(x) * x, 2.0, rules=rules) == ((14.0,),)


def test_every_builtin_declaration_carries_its_reference_domain_and_keys():
    """A built-in's declaration is the one place that defines it: the check reference, the
    domain, the registry keys of every backend, the box-aware callable."""
    from vjpchain.reference import REFERENCE_DERIVATIVES

    unary = [r for r in vc.default_registry.rules() if r.arity == 1 and r.primal is not None
             and not isinstance(r.primal, vc.Parametric)]
    assert len(unary) == 32
    for rule in unary:
        assert rule.reference is not None, rule.name
        assert REFERENCE_DERIVATIVES[rule.name] is rule.reference
        assert vc.default_registry.lookup(rule.name) is rule
        assert vc.default_registry.lookup(rule.primal) is rule
        # the reference is independent of the rule, and agrees with it mid-domain
        x = next(p for p in (0.3, 1.5, 3.0, -0.4) if p in rule.domain)
        with mpmath.workdps(30):
            ref = rule.reference(mpmath.mpf(x))
        assert abs(vc.grad([rule.name], x) - float(ref)) <= 1e-14 * max(1.0, abs(float(ref)))
    # a backend function of the same name that computes something else is not a key
    assert mpmath.sinc not in vc.default_registry
    assert vc.default_registry.lookup(mpmath.sincpi).name == "sinc"


def test_numpy_functions_are_found_by_the_names_their_declarations_give():
    np = pytest.importorskip("numpy")
    registry = vc.default_registry
    for fn, name in [(np.arcsin, "asin"), (np.absolute, "abs"), (np.negative, "neg"),
                     (np.sinc, "sinc"), (np.true_divide, "truediv"), (np.power, "pow"),
                     (np.arctan2, "atan2"), (np.maximum, "maximum")]:
        assert registry.lookup(fn).name == name
    assert np.logaddexp not in registry  # no declaration names it


def test_a_users_declaration_carries_its_reference_and_sympy_meaning_everywhere():
    from vjpchain.reference import check_rule
    from vjpchain.symbolic import sympy_derivative

    rules = vc.default_registry.copy()
    calls = []

    def reference(x):
        calls.append(x)
        return 1 / (1 + abs(x)) ** 2

    softsign = rules.scalar_rule("softsign", lambda x, y: 1 / (1 + abs(x)) ** 2,
                                 primal=lambda x: x / (1 + abs(x)), reference=reference,
                                 formula="1/(1 + abs(x))**2",
                                 sympy={"softsign": lambda sp, x: x / (1 + sp.Abs(x))})
    report = check_rule("softsign", [0.5, -2.0, 1e10], rules=rules)
    assert report.passed and len(calls) == 3
    assert report.reference_kind == "closed form in mpmath"
    assert softsign.rule.reference is reference
    sympy = pytest.importorskip("sympy")
    x = sympy.Symbol("x", real=True)
    got = sympy_derivative(["softsign", "sin"], rules=rules)
    want = sympy.diff(sympy.sin(x / (1 + sympy.Abs(x))), x)
    assert sympy.simplify(got.subs(x, 0.7) - want.subs(x, 0.7)) == 0


def test_a_registered_plain_function_called_on_a_box_is_an_error_not_its_traced_body():
    """Its body is traceable (x * x gives 6 at 3), so without the check the rule (7) would
    be silently bypassed in traced functions and dual numbers."""
    rules = vc.default_registry.copy()

    def q(x):
        return x * x

    q_primitive = rules.scalar_rule(q, lambda x, y: 7.0)
    assert vc.grad([q], 3.0, rules=rules) == 7.0
    assert vc.grad(lambda x: q_primitive(x), 3.0, rules=rules) == 7.0
    for transform in (lambda f: vc.grad(f, 3.0, rules=rules),
                      lambda f: vc.jvp(f, 3.0, 1.0, rules=rules),
                      lambda f: vc.derivative(f, 3.0, rules=rules),
                      lambda f: vc.hessian(f, 3.0, rules=rules)):
        with pytest.raises(vc.UnsupportedTypeError, match="q has a rule in this registry"):
            transform(lambda x: 2 * q(x))
    # a registry where q is not registered traces its body, as any Python function
    assert vc.grad(lambda x: q(x), 3.0) == 6.0


def test_the_registry_in_use_wins_over_the_rule_a_primitive_was_made_with():
    p = _square_with_rule_100()
    rules = vc.default_registry.copy()
    rules.scalar_rule(p, lambda x, y: 5.0, primal=lambda x: x * x)
    for value in (vc.grad([p], 3.0, rules=rules), vc.grad(lambda x: p(x), 3.0, rules=rules),
                  vc.derivative(lambda x: p(x), 3.0, rules=rules),
                  vc.jvp(lambda x: p(x), 3.0, 1.0, rules=rules)[1],
                  vc.vjp([p, p], 3.0, rules=rules, checkpoints=1)[1](1.0) ** 0.5):
        assert value == 5.0
    assert vc.grad(lambda x: p(x), 3.0) == 100.0  # elsewhere: the primitive's own rule


def test_a_replaced_rule_reaches_the_primitive_scalar_rule_returned():
    rules = vc.default_registry.copy()

    def q(x):
        return x * x

    q_primitive = rules.scalar_rule(q, lambda x, y: 7.0)
    rules.scalar_rule(q, lambda x, y: 8.0, replace=True)
    assert vc.grad([q], 3.0, rules=rules) == 8.0
    assert vc.grad([q_primitive], 3.0, rules=rules) == 8.0
    assert vc.grad(lambda x: q_primitive(x), 3.0, rules=rules) == 8.0
