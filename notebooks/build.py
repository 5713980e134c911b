"""Write the tutorial notebooks' cells (without outputs): python notebooks/build.py [names].

The .ipynb files are the artifacts; this script is their source. After changing a cell here,
run ``python notebooks/build.py && python notebooks/run.py`` to rewrite the notebooks and save
fresh outputs. Each notebook is a list of cells: ``md(...)`` for prose, ``code(...)`` for code.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

# every figure: small, so that the saved notebooks stay small
FIG = "figsize=(6, 3.5), dpi=80"


def md(text: str) -> nbformat.NotebookNode:
    return new_markdown_cell(textwrap.dedent(text).strip())


def code(text: str) -> nbformat.NotebookNode:
    return new_code_cell(textwrap.dedent(text).strip().replace("FIG", FIG))


FOUR_WAYS = [
    md("""
    # Four ways to differentiate exp(sin(sin(x)))

    This notebook computes one derivative, of f(x) = exp(sin(sin(x))) at x = 2, in four
    ways: by evaluating f (the *primal*), by writing out the chain rule (a *closed form*),
    by *finite differences*, and by *reverse-mode automatic differentiation* with
    `vjpchain.vjp`. You will see why finite differences can never reach machine precision,
    and check that automatic differentiation does, against a 50-digit reference.
    """),
    code("""
    import math

    import matplotlib.pyplot as plt
    import mpmath
    import sympy

    import vjpchain as vc
    from vjpchain.finite import central_difference, complex_step, error_curve, forward_difference
    from vjpchain.reference import ulp_error
    from vjpchain.symbolic import derivative_expression, primal_expression, sympy_derivative
    """),
    md("""
    ## 1. The primal

    In vjpchain a function is a *chain*: a list of primitives applied left to right. The
    chain `[sin, sin, exp]` is exp(sin(sin(x))).
    """),
    code("""
    chain = [math.sin, math.sin, math.exp]
    x = 2.0
    y = math.exp(math.sin(math.sin(x)))
    print(primal_expression(chain), "at x = 2:", y)
    assert vc.val_and_grad(chain, x)[0] == y
    """),
    md("""
    ## 2. The closed form

    The chain rule multiplies the derivative of each step, taken at that step's input:

    f'(x) = exp(sin(sin x)) · cos(sin x) · cos x.

    vjpchain can write this out for you from the derivative each primitive declares, and
    sympy agrees with the hand-written version.
    """),
    code("""
    print(derivative_expression(chain))
    closed = math.exp(math.sin(math.sin(x))) * math.cos(math.sin(x)) * math.cos(x)
    print("closed form at x = 2:", closed)

    t = sympy.Symbol("x", real=True)
    by_hand = sympy.diff(sympy.exp(sympy.sin(sympy.sin(t))), t)
    assert sympy.simplify(sympy_derivative(chain) - by_hand) == 0
    """),
    md("""
    ## 3. Finite differences

    A derivative is a limit of difference quotients, so take a small step h:

    * forward: (f(x + h) − f(x)) / h, truncation error about h;
    * central: (f(x + h) − f(x − h)) / 2h, truncation error about h²;
    * complex step: Im f(x + ih) / h, which subtracts nothing.

    The catch is rounding. f(x + h) and f(x) agree in more and more leading digits as h
    shrinks, and subtracting them cancels those digits: the rounding error grows like
    ε/h (ε ≈ 2.2e-16). Plotting the error against h shows both effects, a V on log-log
    axes. The complex step has no subtraction, so its error only falls.
    """),
    code("""
    curves = {m: error_curve(chain, x, closed, method=m) for m in ("forward", "central", "complex")}
    floor = 1e-18  # an error of exactly 0 cannot be drawn on a log axis: draw it here

    fig, ax = plt.subplots(FIG)
    for method, points in curves.items():
        ax.loglog([h for h, _ in points], [max(e, floor) for _, e in points], ".-",
                  ms=3, label=method)
    ax.axhline(math.ulp(closed), color="gray", ls=":", label="1 ulp of f'(2)")
    ax.set(xlabel="step h", ylabel="|error|", title="finite-difference error at x = 2")
    ax.legend()
    plt.show()
    """),
    code("""
    for method, points in curves.items():
        h, error = min(points, key=lambda p: p[1])
        print(f"{method:>8}: best error {error:.1e} at h = {h:.1e}")

    best = {m: min(e for _, e in points) for m, points in curves.items()}
    assert best["forward"] > 1e-9   # forward differences stall near sqrt(eps) ~ 1e-8
    assert best["central"] < 1e-10  # central ones do better, near eps**(2/3)
    assert best["complex"] <= math.ulp(closed)
    """),
    md("""
    The forward difference never gets past about 8 correct digits; the central one reaches
    11 to 13, but only at a step you would have to know in advance. The library's defaults
    pick that step from the rule of thumb h ≈ ε^(1/2) (forward) or ε^(1/3) (central).
    The complex step is exact here, but it needs a function that accepts complex numbers.

    ## 4. Reverse mode: `vjp`

    `vc.vjp` runs the chain once, keeping each step's local derivative, and returns the
    output y with a *pullback*: a function from a cotangent ȳ (how much the final
    output matters) to x̄ = ȳ · f'(x). The pullback can be called any number of times, and
    it is linear in ȳ.
    """),
    code("""
    y, pullback = vc.vjp(chain, x)
    for y_bar in (1.0, 2.0, -0.5, 10.0):
        print(f"pullback({y_bar}) = {pullback(y_bar)!r}")

    x_bar = pullback(1.0)
    assert pullback(2.0) == 2 * x_bar and pullback(-0.5) == -0.5 * x_bar  # exact: powers of 2
    assert math.isclose(pullback(10.0), 10 * x_bar, rel_tol=4 * 2.0**-53)
    """),
    md("""
    ## Which answers are right?

    Compare each answer with a reference computed by mpmath at 50 significant digits
    (`mpmath.diff`, which knows nothing of vjpchain), and measure the error in ULPs, units
    in the last place of a float64: 0.5 ULP is the best a float can do.
    """),
    code("""
    with mpmath.workdps(50):
        reference = mpmath.diff(lambda t: mpmath.exp(mpmath.sin(mpmath.sin(t))), mpmath.mpf(x))
        answers = {
            "forward difference": forward_difference(chain, x),
            "central difference": central_difference(chain, x),
            "complex step": complex_step(chain, x),
            "closed form": closed,
            "vjp": x_bar,
        }
        errors = {name: ulp_error(value, reference) for name, value in answers.items()}
    print(f"{'reference':>18}  {mpmath.nstr(reference, 20)}")
    for name, value in answers.items():
        print(f"{name:>18}  {value!r:<22} {errors[name]:10.3g} ulp")

    assert abs(x_bar - closed) <= 2 * math.ulp(closed)
    assert errors["vjp"] <= 1 and errors["closed form"] <= 1
    assert errors["forward difference"] > 1e6 and errors["central difference"] > 1e3
    """),
    md("""
    Reverse mode gives the closed form's number, to the last bit, without anyone writing
    the closed form: each primitive knows its own derivative, and the chain rule is applied
    by multiplying them. Finite differences lose half (forward) or a third (central) of the
    digits.
    """),
]


WRITING_RULES = [
    md("""
    # Writing rules

    A *rule* tells vjpchain how to differentiate one primitive. This notebook shows what a
    rule is (the output and a pullback closure), how it relates to the forward/backward
    classes with a context object used by minitorch and PyTorch, how to add a primitive of
    your own in three ways, and how to check it against a 50-digit reference. It ends with
    a wrong rule that finite-difference checks cannot catch.
    """),
    code("""
    import math

    import mpmath

    import vjpchain as vc
    from vjpchain.finite import central_difference
    from vjpchain.reference import assert_rule_accurate, check_rule
    """),
    md("""
    ## A rule returns the output and a pullback

    Called at x, a rule returns y = f(x) and a *pullback*, the function ȳ ↦ ȳ · f'(x).
    Here is the built-in rule for sin:
    """),
    code("""
    sin_rule = vc.default_registry["sin"]
    y, sin_pullback = sin_rule(2.0)
    print("derivative formula:", sin_rule.formula)
    print("y =", y, " pullback(1) =", sin_pullback(1.0), " pullback(3) =", sin_pullback(3.0))
    assert y == math.sin(2.0) and sin_pullback(1.0) == math.cos(2.0)
    """),
    md("""
    ## The same job with a context object

    minitorch (and PyTorch's `torch.autograd.Function`) write a primitive as a class with
    two static methods: `forward(ctx, x)` computes the output and saves what the backward
    pass will need in a context object `ctx`; `backward(ctx, d_out)` reads it back and
    returns the input's cotangent. (We call the cotangent `y_bar`.)
    """),
    code("""
    class Context:
        \"\"\"What forward saves for backward.\"\"\"

        def __init__(self):
            self.saved_values = ()

        def save_for_backward(self, *values):
            self.saved_values = values


    class Sin:
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return math.sin(x)

        @staticmethod
        def backward(ctx, y_bar):
            (x,) = ctx.saved_values
            return y_bar * math.cos(x)


    ctx = Context()
    y = Sin.forward(ctx, 2.0)
    x_bar = Sin.backward(ctx, 1.0)
    print(y, x_bar, ctx.saved_values)
    """),
    md("""
    A closure does the same job with less ceremony: the pullback is defined inside the
    rule, so it *captures* the rule's local variables. Python builds the context object
    for you, a fresh one on every call, so two calls can never overwrite each other's
    saved values.
    """),
    code("""
    def sin_rule_by_hand(x):
        y = math.sin(x)

        def sin_pullback(y_bar):
            return y_bar * math.cos(x)  # x is captured from the enclosing call

        return y, sin_pullback


    y2, pullback = sin_rule_by_hand(2.0)
    print("saved in the closure:", [cell.cell_contents for cell in pullback.__closure__])
    assert (y2, pullback(1.0)) == (y, x_bar)
    """),
    md("""
    ## A primitive of your own: softsign

    softsign(x) = x / (1 + |x|), with derivative 1 / (1 + |x|)².

    **In full.** Register a rule on a *copy* of the default registry, so nothing else
    changes. The full form is for rules whose pullback shares work with the primal: here
    s = 1 + |x| serves both. We write the derivative as (1/s)² rather than 1/s²,
    because s² overflows for |x| > 1.3e154.
    """),
    code("""
    def softsign(x):
        return x / (1 + abs(x))


    full = vc.default_registry.copy()


    @full.register(softsign)
    def softsign_rule(x):
        s = 1 + abs(x)
        derivative = (1 / s) ** 2

        def softsign_pullback(y_bar):
            return y_bar * derivative

        return x / s, softsign_pullback


    print(vc.val_and_grad([softsign, math.exp], 3.0, rules=full))
    """),
    md("""
    **Derivative only.** Most primitives need nothing more than dy/dx as a function of the
    input x and the output y. `scalar_rule` builds the pullback (and forward mode's
    pushforward) from it. Written with operations that work on every number type (`abs`,
    arithmetic, `vc.exp`...), the same rule serves floats, complex numbers, mpmath numbers
    and NumPy arrays.

    **A local primitive.** `vc.primitive` bundles the function with its derivative; it
    works in any chain, with no registry at all.
    """),
    code("""
    def softsign_derivative(x, y):
        return (1 / (1 + abs(x))) ** 2


    short = vc.default_registry.copy()
    short.scalar_rule(softsign, softsign_derivative)
    local = vc.primitive(softsign, softsign_derivative, name="softsign")

    derivatives = {
        "register (full)": vc.grad([softsign, math.exp], 3.0, rules=full),
        "scalar_rule": vc.grad([softsign, math.exp], 3.0, rules=short),
        "primitive": vc.grad([local, math.exp], 3.0),
    }
    for how, value in derivatives.items():
        print(f"{how:>16}: {value!r}")
    assert len(set(derivatives.values())) == 1
    assert softsign not in vc.default_registry  # we only ever changed copies

    with mpmath.workdps(30):
        print("at 30 digits:", vc.grad([local], mpmath.mpf(3)))  # exactly 1/16
    """),
    md("""
    ## Checking a rule

    `check_rule` computes the float64 derivative over a sweep of the whole domain (small,
    large, huge and subnormal inputs, both signs) and compares each with a reference
    computed by mpmath at 50 digits, in ULPs. A full-form rule has no separate primal
    to differentiate, so it needs the reference spelled out in mpmath. (For the other two
    forms the default reference is `mpmath.diff` of the primal, but its fixed absolute step
    loses this derivative for |x| > 1e27, where f' is 1e-54 of f or less; so we pass the
    closed form to all three.)

    Our formula rounds twice (1 + |x| and the division) and then squares, so it can be
    off by up to about 2 ULPs: we ask for 3.
    """),
    code("""
    def softsign_reference(x):  # x is an mpmath number; evaluated at 50 digits
        return 1 / (1 + abs(x)) ** 2


    reports = [
        check_rule(softsign, rules=full, reference=softsign_reference, ulps=3),
        check_rule(softsign, rules=short, reference=softsign_reference, ulps=3),
        check_rule(local, reference=softsign_reference, ulps=3),
    ]
    print(reports[1].table(5))
    assert all(report.passed for report in reports)
    assert reports[1].max_ulps < 3 and len(reports[1].rows) > 500
    """),
    md("""
    In a test suite, `assert_rule_accurate` runs the same check and fails with that table.
    The sweep is what catches a derivative that overflows: the textbook 1 / (1 + |x|)²
    squares a number that can exceed 1e154.
    """),
    code("""
    assert_rule_accurate(local, ulps=3, reference=softsign_reference)

    textbook = vc.default_registry.copy()
    textbook.scalar_rule(softsign, lambda x, y: 1 / (1 + abs(x)) ** 2)
    try:
        print(check_rule(softsign, rules=textbook, reference=softsign_reference).summary())
    except (ArithmeticError, ValueError) as error:  # the overflow, however it is reported
        print(type(error).__name__, error)
    """),
    md("""
    ## What a wrong rule looks like

    A textbook identity gives tanh'(x) = 1 − tanh(x)² = 1 − y·y. It is right in the
    middle of the range, but for x > 19 tanh(x) rounds to 1.0 and the rule returns 0.0,
    while the true derivative at 20 is 1.7e-17: every digit is wrong.

    The checks that JAX's `check_grads`, PyTorch's `gradcheck` and similar tools run
    compare the rule with float finite differences. Those subtract two values of tanh that
    are both 1.0, get 0.0 too, and the wrong rule passes. Here is that check with
    `gradcheck`'s default tolerances (atol 1e-5, rtol 1e-3) on x = -30, -29.9, ..., 30:
    """),
    code("""
    wrong = vc.default_registry.copy()
    wrong.scalar_rule("tanh", lambda x, y: 1 - y * y, primal=vc.tanh, replace=True)


    def passes_finite_difference_check(rules, atol=1e-5, rtol=1e-3):
        for x in [k / 10 for k in range(-300, 301)]:
            numeric = central_difference([math.tanh], x)
            analytic = vc.grad(["tanh"], x, rules=rules)
            if abs(analytic - numeric) > atol + rtol * abs(numeric):
                return False
        return True


    print("at x = 20: central difference", central_difference([math.tanh], 20.0),
          " wrong rule", vc.grad(["tanh"], 20.0, rules=wrong),
          " vjpchain", vc.grad(["tanh"], 20.0))
    print("the wrong rule passes the finite-difference check:",
          passes_finite_difference_check(wrong))
    assert passes_finite_difference_check(wrong)
    """),
    md("""
    `check_rule` compares with the exact derivative instead, so the tails show up at once:
    """),
    code("""
    report = check_rule("tanh", rules=wrong)
    print(report.table(6))
    assert not report.passed and report.max_ulps > 1e15
    assert check_rule("tanh").passed  # the built-in rule: within 1 ULP everywhere
    """),
    md("""
    ## Summary

    * A rule is `x -> (y, pullback)`; the closure plays the part of minitorch's `ctx`.
    * `registry.register` for the full form, `registry.scalar_rule` for a derivative
      `(x, y) -> dy/dx`, `vc.primitive` for a local primitive; register on a copy.
    * Check rules against an exact reference over the whole domain, not against finite
      differences: those miss errors smaller than their own (about 1e-10 here).
    """),
]


FORWARD_AND_REVERSE = [
    md("""
    # Forward and reverse mode

    `vjp` (reverse mode) and `jvp` (forward mode) compute the same derivatives in
    opposite directions. This notebook checks that they agree, measures what reverse mode
    stores and forward mode does not, builds forward mode by hand from *dual numbers*, and
    explains when each mode is the cheaper one.
    """),
    code("""
    import gc
    import math
    import tracemalloc

    import matplotlib.pyplot as plt
    import numpy as np

    import vjpchain as vc
    """),
    md("""
    ## Same numbers, opposite order

    For a chain f = f₃ ∘ f₂ ∘ f₁ the derivative is a product of local derivatives.
    Forward mode pushes a tangent ẋ from input to output, ((ẋ · f₁') · f₂') · f₃';
    reverse mode pulls a cotangent ȳ from output to input, ((ȳ · f₃') · f₂') · f₁'.
    Same factors, multiplied in a different order: the results agree up to rounding.
    """),
    code("""
    chain = [math.sin, math.sin, math.exp]
    for x in (0.5, 2.0, -3.0, 10.0):
        y_rev, pullback = vc.vjp(chain, x)
        y_fwd, y_dot = vc.jvp(chain, x, 1.0)
        print(f"x = {x:5}: vjp {pullback(1.0)!r:>22}   jvp {y_dot!r:>22}")
        assert y_rev == y_fwd
        assert abs(pullback(1.0) - y_dot) <= 2 * math.ulp(y_dot)
    """),
    md("""
    ## Memory: reverse mode stores, forward mode does not

    Reverse mode cannot start until the output is known, so `vjp` first runs the chain
    forward and keeps every step's local derivative for the pullback. `jvp` multiplies as
    it goes and keeps nothing. `tracemalloc` measures what each leaves allocated
    (`vjp`: held by the pullback) and the peak during the call (`jvp`). The kernel's own
    threads allocate now and then too, so we keep the smallest of three measurements.
    """),
    code("""
    def allocated(run, *args):
        \"\"\"(result, bytes still allocated after run(*args), peak bytes during the call).\"\"\"
        measures = []
        for _ in range(3):
            result = None  # free the previous result before measuring again
            gc.collect()
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
            result = run(*args)
            current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            measures.append((current - base, peak - base))
        return result, min(m[0] for m in measures), min(m[1] for m in measures)


    lengths = [1_000, 10_000, 30_000, 100_000]
    held_by_vjp, peak_of_jvp = [], []
    for n in lengths:
        long_chain = [math.sin] * n
        (y, pullback), held, _ = allocated(vc.vjp, long_chain, 1.0)
        (y_fwd, y_dot), _, peak = allocated(vc.jvp, long_chain, 1.0, 1.0)
        held_by_vjp.append(held)
        peak_of_jvp.append(peak)
        print(f"n = {n:>7}: vjp holds {held / 1e6:5.2f} MB ({held / n:.0f} B/step),"
              f" jvp peak {peak / 1e3:.1f} KB;  derivative {pullback(1.0):.6e} vs {y_dot:.6e}")
        assert math.isclose(pullback(1.0), y_dot, rel_tol=1e-12)
        del pullback

    # at least a float per step
    assert all(held >= 16 * n for held, n in zip(held_by_vjp, lengths, strict=True))
    assert max(peak_of_jvp) < 16_000  # a few hundred bytes, whatever the length
    """),
    code("""
    fig, ax = plt.subplots(FIG)
    ax.plot(lengths, np.array(held_by_vjp) / 1e6, "o-", label="vjp (held by the pullback)")
    ax.plot(lengths, np.array(peak_of_jvp) / 1e6, "s-", label="jvp (peak)")
    ax.set(xlabel="chain length n", ylabel="memory (MB)", title="what each mode stores")
    ax.legend()
    plt.show()
    """),
    md("""
    ## Dual numbers: forward mode by hand

    A dual number a + b·ε has ε² = 0. Put x + 1·ε into a function, and Taylor's
    theorem stops after the first-order term: f(x + ε) = f(x) + f'(x)·ε. So a dual
    number carries a value and its derivative together, and each operation updates both:
    the product rule falls out of (a + bε)(c + dε) = ac + (ad + bc)ε. This is what
    `jvp` does, with the tangent in the ε slot.
    """),
    code("""
    class Dual:
        \"\"\"value + tangent * eps, with eps**2 = 0.\"\"\"

        def __init__(self, value, tangent=0.0):
            self.value, self.tangent = value, tangent

        def __add__(self, other):
            other = other if isinstance(other, Dual) else Dual(other)
            return Dual(self.value + other.value, self.tangent + other.tangent)

        def __mul__(self, other):
            other = other if isinstance(other, Dual) else Dual(other)
            return Dual(self.value * other.value,
                        self.value * other.tangent + self.tangent * other.value)

        __radd__, __rmul__ = __add__, __mul__

        def __repr__(self):
            return f"Dual({self.value!r}, {self.tangent!r})"


    def dual_sin(u):
        return Dual(math.sin(u.value), math.cos(u.value) * u.tangent)


    def dual_exp(u):
        y = math.exp(u.value)
        return Dual(y, y * u.tangent)


    for x in (0.5, 2.0, -3.0):
        by_hand = dual_exp(dual_sin(dual_sin(Dual(x, 1.0))))
        y, y_dot = vc.jvp(chain, x, 1.0)
        print(by_hand, " jvp:", (y, y_dot))
        assert by_hand.value == y and abs(by_hand.tangent - y_dot) <= math.ulp(y_dot)

    # the product rule at work: d/dx (2 x**3 + 1) = 6 x**2
    u = Dual(1.5, 1.0)
    cubic = 2 * u * u * u + 1
    print(cubic, vc.jvp([vc.power(3), vc.scale(2.0), vc.shift(1.0)], 1.5, 1.0))
    assert (cubic.value, cubic.tangent) == vc.jvp([vc.power(3), vc.scale(2.0), vc.shift(1.0)],
                                                  1.5, 1.0)
    """),
    md("""
    ## When is each mode cheaper?

    For f from n inputs to m outputs the derivative is an m × n Jacobian J.
    One forward pass (a `jvp`) gives J·ẋ, one column for a unit ẋ; one reverse pass
    (a `vjp`) gives ȳ·J, one row. The whole Jacobian costs n forward passes or
    m reverse passes:

    | shape | example | forward passes | reverse passes |
    |---|---|---|---|
    | n ≫ m = 1 | a loss of many parameters | n | **1** |
    | n = 1 ≪ m | a curve x ↦ (many outputs) | **1** | m |
    | n = m = 1 | a chain of scalar primitives | 1 | 1 |

    That is why training neural networks uses reverse mode, and pays for it in memory.
    With the dual numbers above, the gradient of f(a, b, c) = a·b·c + a takes one
    forward pass per input, each seeding a different tangent:
    """),
    code("""
    def f(a, b, c):
        return a * b * c + a


    point = (2.0, 3.0, 5.0)
    gradient = []
    for i in range(3):  # one forward pass per input
        duals = [Dual(v, 1.0 if j == i else 0.0) for j, v in enumerate(point)]
        gradient.append(f(*duals).tangent)
    print("gradient by 3 forward passes:", gradient)
    assert gradient == [3.0 * 5.0 + 1.0, 2.0 * 5.0, 2.0 * 3.0]
    """),
    md("""
    A chain of primitives has one input and one output, so each mode needs exactly one
    pass. That stays true for a NumPy array input: the primitives act elementwise, the
    Jacobian is diagonal, and one pass with a tangent (or cotangent) of ones gives every
    diagonal entry at once.
    """),
    code("""
    xs = np.linspace(0.0, 3.0, 7)
    _, forward = vc.jvp(chain, xs, np.ones_like(xs))
    _, reverse = vc.val_and_grad(chain, xs)
    print(forward)
    print(reverse)
    assert np.allclose(forward, reverse, rtol=4e-16, atol=0)
    """),
]


PRECISION = [
    md("""
    # Precision

    Floats have 53 bits, about 16 digits. This notebook runs one chain at 50 digits with
    mpmath to check a derivative to 45+ digits, shows a textbook formula losing *all* its
    digits in float64 (tanh' in the tails), and uses `check_chain` to find which step of a
    chain loses accuracy.
    """),
    code("""
    import math

    import matplotlib.pyplot as plt
    import mpmath
    import numpy as np

    import vjpchain as vc
    from vjpchain.reference import check_chain, ulp_error
    """),
    md("""
    ## The same chain at 16 and at 50 digits

    The chain does not change; the input's type picks the arithmetic. An `mpmath.mpf`
    input runs every step (and every derivative) in mpmath at the working precision set
    by `mpmath.workdps`. We compare with `mpmath.diff`, a numerical derivative that knows
    nothing of vjpchain's rules.
    """),
    code("""
    chain = [math.sin, math.sin, math.exp]
    y64, d64 = vc.val_and_grad(chain, 2.0)

    with mpmath.workdps(50):
        y50, d50 = vc.val_and_grad(chain, mpmath.mpf(2))
        reference = mpmath.diff(lambda t: mpmath.exp(mpmath.sin(mpmath.sin(t))), mpmath.mpf(2))
        digits = float(-mpmath.log10(abs(d50 - reference) / abs(reference)))
        float_error = ulp_error(d64, reference)
        print("float64  ", repr(d64))
        print("50 digits", d50)  # inside workdps: an mpf prints at the working precision
        print("mpmath   ", reference)

    print(f"agreement: {digits:.1f} digits; the float64 derivative is {float_error:.2f} ulp off")
    assert isinstance(d50, mpmath.mpf) and digits >= 45
    assert float_error <= 1
    """),
    md("""
    ## Where textbook formulas lose accuracy: the tails of tanh

    tanh'(x) = 1 − tanh(x)². In float64, tanh(x) is rounded to within 1.1e-16 of the
    truth; once 1 − tanh(x)² is not much bigger than that, the subtraction cancels
    whatever is left. The error grows like e^(2x) ULPs, and from x ≈ 19 on tanh(x) rounds
    to 1.0 and the formula returns 0. vjpchain's rule computes sech(x)² without the
    subtraction. Below: the error of each against a 50-digit reference for x in [0, 400]
    (errors of exactly 0 are drawn at 1e-3; past x ≈ 373 the true value rounds to 0, so
    0 is right there).
    """),
    code("""
    xs = np.linspace(0.0, 400.0, 801)
    textbook, library = [], []
    with mpmath.workdps(50):
        for x in map(float, xs):
            exact = mpmath.sech(mpmath.mpf(x)) ** 2
            textbook.append(ulp_error(1 - math.tanh(x) ** 2, exact))
            library.append(ulp_error(vc.grad(["tanh"], x), exact))
    textbook, library = np.array(textbook), np.array(library)

    fig, ax = plt.subplots(FIG)
    ax.semilogy(xs, np.maximum(textbook, 1e-3), label="1 - tanh(x)**2")
    ax.semilogy(xs, np.maximum(library, 1e-3), label="vjpchain")
    ax.axhline(1.0, color="gray", ls=":", label="1 ulp")
    ax.set(xlabel="x", ylabel="error (ulp)", title="derivative of tanh in float64")
    ax.legend()
    plt.show()
    """),
    code("""
    print(f"max error: textbook {textbook.max():.3g} ulp, vjpchain {library.max():.3g} ulp")
    assert library.max() <= 1
    assert textbook.max() > 1e15
    tail = (xs >= 20) & (xs <= 370)
    assert all(1 - math.tanh(x) ** 2 == 0.0 for x in xs[tail])
    """),
    md("""
    ## Finding the step that loses accuracy: `check_chain`

    Take f(x) = sqrt(x² − 1) near x = 1, as the chain `["square", shift(-1.0), "sqrt"]`.
    Every rule here is accurate, yet the derivative comes out with only a few correct
    digits. `check_chain` reruns the chain exactly in mpmath and compares, step by step,
    the float primal (`primal ulp`), the rule at its own float input (`rule ulp`), the
    rule at the exact input (`local ulp`) and the accumulated cotangent.
    """),
    code("""
    report = check_chain(["square", vc.shift(-1.0), "sqrt"], 1 + 2.0**-30)
    print(report)
    assert report.culprit == 1 and report.ulps > 1e5
    assert max(step.rule_ulps for step in report.steps) <= 1
    """),
    md("""
    x² = 1 + 2⁻²⁹ + 2⁻⁶⁰ does not fit in 53 bits, and rounding drops the 2⁻⁶⁰: an error
    of under half an ULP of x². Subtracting 1 leaves 2⁻²⁹ ≈ 1.9e-9, next to which the
    dropped bit is a relative error of 2⁻³¹ ≈ 5e-10: two million ULPs.
    Every rule is within 1 ULP at its own input (`rule ulp`); the damage is in the
    primal, at step 1, and sqrt's steep derivative near 0 passes it on. The cure is in
    the formula (compute x² − 1 as (x − 1)(x + 1)), not in the rules.

    A wrong rule shows up differently: its `rule ulp` is huge. Here is the textbook tanh
    rule in a copied registry, inside log(tanh(2x)) at x = 10:
    """),
    code("""
    wrong = vc.default_registry.copy()
    wrong.scalar_rule("tanh", lambda x, y: 1 - y * y, primal=vc.tanh, replace=True)
    tail_chain = [vc.scale(2.0), "tanh", "log"]

    bad = check_chain(tail_chain, 10.0, rules=wrong)
    good = check_chain(tail_chain, 10.0)
    print(bad, good, sep="\\n\\n")
    assert bad.culprit == 1 and bad.steps[1].rule_ulps > 1e15
    assert good.culprit is None and good.ulps <= 1
    """),
]


ARRAYS = [
    md("""
    # Arrays

    A chain differentiates a NumPy array elementwise, in one call: here f and f' over a
    grid, the error of f' at every point against mpmath in ULPs, and float32 arrays,
    which stay float32.
    """),
    code("""
    import math

    import matplotlib.pyplot as plt
    import mpmath
    import numpy as np

    import vjpchain as vc
    from vjpchain.reference import ulp_error
    """),
    md("""
    ## f and f' on a grid, in one call

    The chain is the same as for a float; an array input makes every step run the NumPy
    version of the primitive (`math.sin` in a chain means *sin*, whatever the input).
    """),
    code("""
    chain = [math.sin, math.sin, math.exp]
    xs = np.linspace(-6.0, 6.0, 1201)
    y, dy = vc.val_and_grad(chain, xs)
    print(type(dy).__name__, dy.dtype, dy.shape)

    fig, ax = plt.subplots(FIG)
    ax.plot(xs, y, label="f(x) = exp(sin(sin(x)))")
    ax.plot(xs, dy, label="f'(x)")
    ax.axhline(0.0, color="gray", lw=0.5)
    ax.set(xlabel="x", title="one call to val_and_grad")
    ax.legend()
    plt.show()

    assert dy.shape == xs.shape and dy.dtype == np.float64
    assert np.array_equal(vc.val_and_grad([np.sin, np.sin, np.exp], xs)[1], dy)  # any name
    scalar = [vc.grad(chain, float(x)) for x in xs[::100]]
    assert np.allclose(scalar, dy[::100], rtol=4e-16, atol=0)  # same as one point at a time
    """),
    md("""
    ## The error at every point

    Compare each derivative with the closed form evaluated by mpmath at 50 digits at the
    same float input.
    """),
    code("""
    def exact_derivative(t):
        return mpmath.exp(mpmath.sin(mpmath.sin(t))) * mpmath.cos(mpmath.sin(t)) * mpmath.cos(t)


    with mpmath.workdps(50):
        exact = [exact_derivative(mpmath.mpf(float(x))) for x in xs]
        errors = np.array([ulp_error(d, e) for d, e in zip(dy, exact, strict=True)])

    fig, ax = plt.subplots(FIG)
    ax.plot(xs, errors, ".", ms=2)
    ax.set(xlabel="x", ylabel="error (ulp)", title="f' in float64 against mpmath")
    plt.show()

    print(f"max {errors.max():.2f} ulp, median {np.median(errors):.2f} ulp")
    assert errors.max() <= 8 and np.median(errors) <= 1
    """),
    md("""
    Each point's derivative is a product of three rounded factors, so a few ULPs is what
    floating point allows. The float derivative never loses digits to cancellation here:
    the factors are multiplied, never subtracted.

    ## float32 in, float32 out

    A float32 array gives float32 results. The error is then measured in float32 ULPs
    (2⁻²³ ≈ 1.2e-7 relative, against 2⁻⁵² for float64).
    """),
    code("""
    x32 = xs.astype(np.float32)
    y32, dy32 = vc.val_and_grad(chain, x32)
    print(y32.dtype, dy32.dtype)
    assert y32.dtype == np.float32 and dy32.dtype == np.float32

    with mpmath.workdps(50):
        exact32 = np.array([float(exact_derivative(mpmath.mpf(float(x)))) for x in x32])
    spacing32 = np.spacing(np.abs(exact32).astype(np.float32)).astype(np.float64)
    errors32 = np.abs(dy32.astype(np.float64) - exact32) / spacing32

    fig, ax = plt.subplots(FIG)
    ax.plot(xs, errors32, ".", ms=2)
    ax.set(xlabel="x", ylabel="error (float32 ulp)", title="f' in float32 against mpmath")
    plt.show()

    print(f"max {errors32.max():.2f} float32 ulp, median {np.median(errors32):.2f}")
    assert errors32.max() <= 8
    assert math.isclose(float(dy32[800]), float(dy[800]), rel_tol=8 * 2.0**-23)
    """),
]


NOTEBOOKS = {
    "01_four_ways.ipynb": FOUR_WAYS,
    "02_writing_rules.ipynb": WRITING_RULES,
    "03_forward_and_reverse.ipynb": FORWARD_AND_REVERSE,
    "05_precision.ipynb": PRECISION,
    "06_arrays.ipynb": ARRAYS,
}


def build(name: str) -> None:
    notebook = new_notebook(cells=NOTEBOOKS[name])
    for i, cell in enumerate(notebook.cells):
        cell.id = f"cell-{i:02d}"  # stable ids: rebuilding changes nothing that was not edited
    notebook.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3", "language": "python",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    nbformat.validate(notebook)
    nbformat.write(notebook, HERE / name)
    print(f"wrote {name} ({len(notebook.cells)} cells)")


def main(names: list[str]) -> None:
    for name in names or list(NOTEBOOKS):
        build(name)


if __name__ == "__main__":
    main(sys.argv[1:])
