"""The C twin of the float64 tanh kernel (``vjpchain._accel.tanh``) gives the bits of the
pure-Python kernel (``kern_primal.tanh`` run by ``builders.real_kernel``) on every float.

The twin performs the same IEEE operations in the same order, with the constants handed over
from dd.py at import; these tests compare the two bit for bit on 200k+ points (every binade,
both signs, subnormals, signed zeros, each threshold of the kernel and of its exp reduction,
nan, infinities, huge values), check the caller's view (argument conversion, errors), and
the accuracy of the result against mpmath at 200 bits.
"""

import math
import random
import struct
import subprocess
import sys

import mpmath
import pytest

import vjpchain as vc
from vjpchain import builders
from vjpchain.exact import ulp_error
from vjpchain.float64 import dd
from vjpchain.float64 import kern_primal as KP
from vjpchain.float64.ops import FLOAT_OPS

TWIN = getattr(builders._accel, "tanh", None)
needs_twin = pytest.mark.skipif(TWIN is None, reason="the C accelerator is not built")
PYTHON = builders.real_kernel(KP.tanh, name="tanh")  # the float path without the twin


def _bits(x: float) -> bytes:
    return struct.pack("<d", x)


def _float(bits: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


def _around(x: float, steps: int) -> list[float]:
    """``x`` and its ``steps`` float neighbours on each side."""
    out = [x]
    up = down = x
    for _ in range(steps):
        up = math.nextafter(up, math.inf)
        down = math.nextafter(down, -math.inf)
        out += [up, down]
    return out


def _points() -> list[float]:
    rng = random.Random(20261207)
    pts: list[float] = []
    # every binade, both signs (subnormals included: ldexp of a random mantissa below 2**-1022)
    pts += [math.copysign(math.ldexp(rng.random(), rng.randint(-1074, 1024)),
                          rng.choice((1.0, -1.0))) for _ in range(60_000)]
    # uniformly random bit patterns (nans with payloads, infinities and huge values too)
    pts += [_float(rng.getrandbits(64)) for _ in range(30_000)]
    # where tanh is neither x nor 1: |x| in 2**-30 .. 2**5, densely
    pts += [math.copysign(math.ldexp(1.0 + rng.random(), rng.randint(-30, 4)),
                          rng.choice((1.0, -1.0))) for _ in range(60_000)]
    pts += [rng.uniform(-22.0, 22.0) for _ in range(20_000)]
    # subnormals, zeros, the smallest and largest floats
    pts += [_float(rng.getrandbits(52)) for _ in range(2_000)]
    pts += [0.0, -0.0, 5e-324, -5e-324, dd.MIN_NORMAL, -dd.MIN_NORMAL, sys.float_info.max,
            -sys.float_info.max, 1e308, -1e308, 1e300, 2800.0, 2801.0, 1e5]
    # the kernel's thresholds: 2**-27 (below: x itself), 19.06 (rounds to 1 from there), the
    # clamp at 20, n = 0 of the reduction (2|x| < ln2/64), and where 1/ln2*32*2|x| crosses a
    # half-integer, which changes n, j and k (2|x| <= 40: n <= 1847)
    edges = [KP._TINY, 19.0, 19.0625, 20.0, 21.0, math.log(2) / 128, 1.0, 0.5, 2.0]
    edges += [(m + 0.5) / dd._INV_LN2_32 / 2 for m in range(1850)]
    edges += [m / dd._INV_LN2_32 / 2 for m in range(0, 1850, 32)]
    for e in edges:
        for v in _around(e, 8):
            pts += [v, -v]
    pts += [rng.uniform(18.9, 21.1) for _ in range(20_000)]
    pts += [math.ldexp(1.0 + rng.random() * 2**-20, -28) * s for s in (1, -1)
            for _ in range(2_000)]
    # nans of both signs with payloads, infinities
    pts += [math.nan, -math.nan, _float(0x7FF8000000000001), _float(0xFFF8DEADBEEF0000),
            math.inf, -math.inf]
    return pts


@needs_twin
def test_the_float_path_of_tanh_is_the_twin():
    assert vc.tanh.resolve(float) is TWIN
    assert vc.tanh.resolve(int) is TWIN


@needs_twin
def test_the_twin_holds_the_very_constants_of_the_python_code():
    got = builders._accel.get_exp_tables()
    want = builders._exp_tables()
    assert len(got) == len(want) == 11
    for g, w in zip(got, want, strict=True):
        if isinstance(w, list):
            assert [v.hex() for v in g] == [v.hex() for v in w]
        else:
            assert g.hex() == w.hex()
    assert want[0] == dd._INV_LN2_32 and want[7] == KP._TINY
    assert want[8][5] == dd._EXP_TABLE[5][0] and want[9][31] == dd._EXP_TABLE[31][1]


@needs_twin
def test_the_twin_gives_the_bits_of_the_python_kernel():
    pts = _points()
    assert len(pts) >= 200_000
    bad = []
    for x in pts:
        a, b = TWIN(x), PYTHON(x)
        if _bits(a) != _bits(b) or _bits(b) != _bits(KP.tanh(x, FLOAT_OPS)):
            bad.append((x.hex(), a.hex(), b.hex()))
    assert not bad, (len(bad), bad[:10])


@needs_twin
def test_special_values():
    for x, y in [(0.0, 0.0), (-0.0, -0.0), (math.inf, 1.0), (-math.inf, -1.0),
                 (1e308, 1.0), (-1e308, -1.0), (25.0, 1.0), (5e-324, 5e-324),
                 (KP._TINY, KP._TINY)]:
        assert _bits(TWIN(x)) == _bits(y) == _bits(PYTHON(x)), x
    for x in (math.nan, -math.nan, _float(0x7FF8000000000001)):
        assert _bits(TWIN(x)) == _bits(x) == _bits(PYTHON(x))


class _HasFloat:
    def __float__(self) -> float:
        return 0.25


class _OwnFloat(float):
    def __float__(self) -> float:
        return 0.5


@needs_twin
def test_the_caller_sees_what_the_python_path_gives():
    """Arguments are taken with float(x), as real_kernel does, errors included."""
    for x in (3, -2, True, 10**300, _HasFloat(), _OwnFloat(0.1), "0.75"):
        assert _bits(TWIN(x)) == _bits(PYTHON(x)), x
    for bad, error in ((10**400, OverflowError), (None, TypeError), ("x", ValueError)):
        with pytest.raises(error):
            TWIN(bad)
        with pytest.raises(error):
            PYTHON(bad)


@needs_twin
def test_chains_run_the_twin_with_the_same_values():
    chain = ["sin", "tanh", "exp", "tanh"]
    y, g = vc.val_and_grad(chain, 0.3)
    x1 = vc.sin(0.3)
    assert vc.tanh(x1) == PYTHON(x1)
    assert vc.compile_chain(chain)(0.3) == (y, g)


def test_within_half_an_ulp_of_mpmath():
    ctx = mpmath.MPContext()
    ctx.prec = 200
    rng = random.Random(7)
    pts = [math.copysign(math.ldexp(1.0 + rng.random(), rng.randint(-30, 4)),
                         rng.choice((1.0, -1.0))) for _ in range(3000)]
    pts += [rng.uniform(-20.0, 20.0) for _ in range(1000)]
    pts += _around(KP._TINY, 20) + _around(19.0625, 20)
    worst = max((ulp_error(vc.tanh(x), ctx.tanh(ctx.mpf(x))), x) for x in pts)
    assert worst[0] <= 0.5 + 2**-10, worst


def test_without_the_accelerator_tanh_runs_the_python_kernel():
    code = (
        "import sys; sys.modules['vjpchain._accel'] = None\n"
        "import vjpchain as vc\n"
        "from vjpchain import builders\n"
        "assert builders._accel is None\n"
        "assert not isinstance(vc.tanh.resolve(float), type(len))\n"
        "print(repr([vc.tanh(x).hex() for x in (0.3, -1e-9, 19.5, 3.0)]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == repr([vc.tanh(x).hex() for x in (0.3, -1e-9, 19.5, 3.0)])
