"""sin, cos and tan (primal and derivative) within 1 ulp next to multiples of pi/2.

glibc's (and NumPy's) sin, cos and tan reduce the argument to about 2**-94 absolute, so at a
float next to a multiple of pi/2 a result near 0 was off by up to 2845 ulps (sin' = cos
was 8 ulps at Muller's 5.3e255). vjpchain rechecks such results in mpmath at rising
precision (``builders.Recheck``, ``mpcontext.refined``); the optional C accelerator
(``vjpchain._accel``) must give the same bits as the pure-Python code it replaces.
"""

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vjpchain as vc
from vjpchain import builders, elementary
from vjpchain.exact import ulp_error
from vjpchain.mpcontext import at_precision, refined, refined_float

WIDE = at_precision(2200)  # reduces any float64 exactly (its exponent is at most 1023)
HARD = [s * x for x in elementary._NEAR_PIO2 for s in (1.0, -1.0)]
FUNCS = {"sin": (vc.sin, WIDE.sin), "cos": (vc.cos, WIDE.cos), "tan": (vc.tan, WIDE.tan)}


def _err(f, g, x):
    return ulp_error(f(x), g(WIDE.mpf(x)))


@pytest.mark.parametrize("name", FUNCS)
def test_the_hard_floats_are_within_one_ulp_scalar_and_numpy(name):
    f, g = FUNCS[name]
    scalar = [_err(f, g, x) for x in HARD]
    array = f(np.array(HARD))
    vector = [ulp_error(float(v), g(WIDE.mpf(x))) for x, v in zip(HARD, array, strict=True)]
    assert max(scalar) <= 0.5 + 2**-10, (name, max(scalar))
    assert max(vector) <= 0.5 + 2**-10, (name, max(vector))


def test_libm_was_wrong_there_so_the_points_test_something():
    """The special points are hard: glibc's cos is thousands of ulps off at some of them."""
    worst = max(ulp_error(math.cos(x), WIDE.cos(WIDE.mpf(x))) for x in HARD)
    worst_sin = max(ulp_error(math.sin(x), WIDE.sin(WIDE.mpf(x))) for x in HARD)
    assert max(worst, worst_sin) > 100


def test_the_derivatives_of_sin_and_cos_at_mullers_worst_case():
    x = 6381956970095103 * 2.0**797
    exact_cos = WIDE.cos(WIDE.mpf(x))
    _, dsin = vc.val_and_grad(["sin"], x)
    assert ulp_error(dsin, exact_cos) <= 0.5
    y, dcos = vc.val_and_grad(["cos"], x)
    assert ulp_error(y, exact_cos) <= 0.5
    assert ulp_error(dcos, -WIDE.sin(WIDE.mpf(x))) <= 0.5
    # the compiled chain runs the same step
    assert vc.compile_chain(["sin"])(x)[1] == dsin


@settings(max_examples=150, deadline=None)
@given(k=st.integers(1, 2**62), offset=st.integers(-3, 3),
       name=st.sampled_from(sorted(FUNCS)))
def test_floats_next_to_any_multiple_of_half_pi(k, offset, name):
    """The float nearest k pi/2, and its neighbours: sin, cos, tan within 1 ulp."""
    x = float(k * WIDE.pi / 2)
    for _ in range(abs(offset)):
        x = math.nextafter(x, math.copysign(math.inf, offset))
    f, g = FUNCS[name]
    assert _err(f, g, x) <= 1.0


def _python_twin(name):
    """The pure-Python function the accelerator replaces: libm plus the same recheck."""
    recheck = {"sin": elementary._sin_suspect, "cos": elementary._cos_suspect,
               "tan": elementary._tan_suspect}[name]
    exact = {"sin": lambda c, x: c.sin(x), "cos": lambda c, x: c.cos(x),
             "tan": lambda c, x: c.tan(x)}[name]
    return builders.rechecked(getattr(math, name), builders.Recheck(recheck, exact))


@pytest.mark.skipif(builders._accel is None, reason="the C accelerator is not built")
@pytest.mark.parametrize("name", FUNCS)
def test_the_c_accelerator_gives_the_bits_of_the_python_code(name):
    rng = random.Random(4)
    points = HARD + [math.pi / 2, -math.pi / 2, 0.0, -0.0, 1e-300, 5e-324, 1.5, 3.0, 3.1,
                     math.nan, 1e308, -1e308]
    points += [math.ldexp(rng.random(), rng.randint(-60, 1024)) * rng.choice((1, -1))
               for _ in range(3000)]
    accelerated = getattr(vc, name).resolve(float)
    assert accelerated is getattr(builders._accel, name)
    python = _python_twin(name)
    for x in points:
        a, b = accelerated(x), python(x)
        assert (a == b and math.copysign(1, a) == math.copysign(1, b)) or (a != a and b != b), x
    for bad in (math.inf, -math.inf):
        with pytest.raises(ValueError):
            accelerated(bad)
        with pytest.raises(ValueError):
            python(bad)
    assert accelerated(3) == python(3)  # an int, as math.sin takes one
    with pytest.raises(TypeError):
        accelerated("1.0")


def test_refined_survives_cancellation_and_rounds_once():
    """refined raises its precision until two agree: cos at Muller's worst case needs ~60
    guard bits over the 64 asked for; exp(-x*x) at x = 1000.1 needs x*x exact."""
    x = 6381956970095103 * 2.0**797
    assert refined_float(lambda c, v: c.cos(v), x) == float(WIDE.cos(WIDE.mpf(x)))
    value = refined(lambda c, v: c.exp(-v * v), 1000.1, 200)
    exact = WIDE.exp(-WIDE.mpf(1000.1) ** 2)
    assert abs(value - exact) <= abs(exact) * WIDE.ldexp(1, -200)
    assert refined(lambda c, v: v - v, 1.0, 64) == 0


def test_without_the_accelerator_the_python_twins_give_the_same_answers():
    """An install without a compiler has no vjpchain._accel: the pure-Python code runs."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['vjpchain._accel'] = None\n"
        "import vjpchain as vc, math\n"
        "from vjpchain import builders\n"
        "assert builders._accel is None\n"
        "assert vc.sin.resolve(float) is not math.sin\n"
        "x = 6381956970095103 * 2.0**797\n"
        "print(repr(vc.val_and_grad(['sin', 'cos', 'tan'], x)))\n"
        "print(repr(vc.val_and_grad(['sin', 'sin', 'exp'], 2.0)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    x = 6381956970095103 * 2.0**797
    assert out[0] == repr(vc.val_and_grad(["sin", "cos", "tan"], x))
    assert out[1] == repr((2.2013533791690376, -0.562752038662712))
