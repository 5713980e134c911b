"""vjpchain benchmarks: every figure is a ratio to a baseline measured in the same run.

    python benchmarks/run.py            # all workloads; peers when installed (bench extra)
    python benchmarks/run.py --quick    # fewer repetitions, no 10**6 chain

Each timing is the median over repetitions, and the baseline of each row (the hand-written
closed form) is timed interleaved with it, so a noisy machine moves both together.

W1  val_and_grad([sin, sin, exp], 2.0) per call, against the closed form in plain Python.
W2  chains of n primitives, time per primitive and bytes per stored step: the pattern
    sin, cos, exp, log1p, tanh (accurate double-double kernels for log1p' and tanh') and the
    pattern sin, cos (libm derivatives only), against the textbook closed form in a loop.
W3  val_and_grad over 10**6 float64 points, against the closed-form NumPy expression.
W4  the traced f(x1, x2) = log(x1 x2 (x1 + x2)) / (x1 - x2)**2, value and both partials.
Peers (JAX, PyTorch, HIPS autograd) run the same workloads when installed.
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import vjpchain as vc  # noqa: E402


def _per_call(fn: Callable[[], object], number: int) -> float:
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def ratio(fn: Callable[[], object], base: Callable[[], object], number: int,
          repeat: int) -> tuple[float, float, float]:
    """(median seconds of fn, median seconds of base, median of the per-round ratios),
    the two timed alternately round by round."""
    fn()
    base()
    ours, theirs, ratios = [], [], []
    for _ in range(repeat):
        b = _per_call(base, number)
        a = _per_call(fn, number)
        ours.append(a)
        theirs.append(b)
        ratios.append(a / b)
    return statistics.median(ours), statistics.median(theirs), statistics.median(ratios)


def closed_w1(x: float = 2.0) -> tuple[float, float]:
    s = math.sin(x)
    y = math.exp(math.sin(s))
    return y, y * math.cos(s) * math.cos(x)


def peers_w1() -> dict[str, Callable[[], object]]:
    out: dict[str, Callable[[], object]] = {}
    try:
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)
        f = jax.value_and_grad(lambda x: jnp.exp(jnp.sin(jnp.sin(x))))
        jf = jax.jit(f)
        xj = jnp.float64(2.0)
        out["JAX jit"] = lambda: [v.block_until_ready() for v in jf(xj)]
        out["JAX eager"] = lambda: [v.block_until_ready() for v in f(xj)]
    except ImportError:
        pass
    try:
        import torch

        def torch_call() -> object:
            x = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
            y = torch.exp(torch.sin(torch.sin(x)))
            (g,) = torch.autograd.grad(y, x)
            return y.item(), g.item()

        out["PyTorch"] = torch_call
    except ImportError:
        pass
    try:
        import autograd
        import autograd.numpy as anp

        af = autograd.value_and_grad(lambda x: anp.exp(anp.sin(anp.sin(x))))
        out["HIPS autograd"] = lambda: af(2.0)
    except ImportError:
        pass
    return out


def w1(repeat: int) -> list[tuple[str, float, float]]:
    chain = [math.sin, math.sin, math.exp]
    compiled = vc.compile_chain(chain)
    rows = []
    for name, fn, number in [("vjpchain val_and_grad", lambda: vc.val_and_grad(chain, 2.0), 20000),
                             ("vjpchain compile_chain", lambda: compiled(2.0), 50000)]:
        a, b, r = ratio(fn, closed_w1, number, repeat)
        rows.append((name, a, r))
    for name, fn in peers_w1().items():
        a, b, r = ratio(fn, closed_w1, 200, max(3, repeat // 2))
        rows.append((name, a, r))
    return [("closed form (baseline)", _per_call(closed_w1, 50000), 1.0), *rows]


PATTERNS: dict[str, list[Any]] = {
    "sin,cos,exp,log1p,tanh": [math.sin, math.cos, math.exp, math.log1p, math.tanh],
    "sin,cos": [math.sin, math.cos],
}


def closed_pattern(pattern: str, n: int, x: float) -> tuple[float, float]:
    """The chain's value and derivative, hand-written with textbook derivatives."""
    d = 1.0
    if pattern == "sin,cos":
        for i in range(n):
            if i % 2 == 0:
                d *= math.cos(x)
                x = math.sin(x)
            else:
                d *= -math.sin(x)
                x = math.cos(x)
        return x, d
    for i in range(n):
        k = i % 5
        if k == 0:
            d *= math.cos(x)
            x = math.sin(x)
        elif k == 1:
            d *= -math.sin(x)
            x = math.cos(x)
        elif k == 2:
            x = math.exp(x)
            d *= x
        elif k == 3:
            d *= 1.0 / (1.0 + x)
            x = math.log1p(x)
        else:
            t = math.tanh(x)
            d *= 1.0 - t * t
            x = t
    return x, d


def bytes_per_step(chain: list[Any], x: Any) -> float:
    gc.collect()
    tracemalloc.start()
    y, pullback = vc.vjp(chain, x)
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del y, pullback
    return held / max(len(chain), 1)


def w2(sizes: list[int], repeat: int) -> list[tuple[str, int, float, float, float]]:
    rows = []
    for pattern, prims in PATTERNS.items():
        for n in sizes:
            chain = (prims * (n // len(prims) + 1))[:n]
            number = max(1, 20000 // n)
            reps = repeat if n < 10**6 else 3
            a, b, r = ratio(lambda c=chain: vc.val_and_grad(c, 0.5),
                            lambda n=n, p=pattern: closed_pattern(p, n, 0.5), number, reps)
            rows.append((pattern, n, a / n, r, bytes_per_step(chain, 0.5)))
    return rows


def w2_peers(n: int) -> list[tuple[str, float, float]]:
    """Per-primitive time of the peers on the sin,cos chain of length n, as a ratio."""
    out = []
    base = statistics.median(_per_call(lambda: closed_pattern("sin,cos", n, 0.5), 1)
                             for _ in range(3)) / n
    try:
        import torch

        def torch_chain() -> object:
            x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
            y = x
            for i in range(n):
                y = torch.sin(y) if i % 2 == 0 else torch.cos(y)
            (g,) = torch.autograd.grad(y, x)
            return g.item()

        t = statistics.median(_per_call(torch_chain, 1) for _ in range(3)) / n
        out.append(("PyTorch", t, t / base))
    except ImportError:
        pass
    try:
        import autograd
        import autograd.numpy as anp

        def f(x: Any) -> Any:
            for i in range(n):
                x = anp.sin(x) if i % 2 == 0 else anp.cos(x)
            return x

        ag = autograd.value_and_grad(f)
        t = statistics.median(_per_call(lambda: ag(0.5), 1) for _ in range(3)) / n
        out.append(("HIPS autograd", t, t / base))
    except ImportError:
        pass
    return out


def w3(repeat: int) -> list[tuple[str, float, float]]:
    import numpy as np

    x = np.linspace(-5.0, 5.0, 10**6)
    chain = [np.sin, np.sin, np.exp]
    compiled = vc.compile_chain(chain)

    def closed() -> object:
        s = np.sin(x)
        y = np.exp(np.sin(s))
        return y, y * np.cos(s) * np.cos(x)

    rows = [("closed-form NumPy (baseline)", _per_call(closed, 3), 1.0)]
    for name, fn in [("vjpchain val_and_grad", lambda: vc.val_and_grad(chain, x)),
                     ("vjpchain compile_chain", lambda: compiled(x))]:
        a, b, r = ratio(fn, closed, 3, repeat)
        rows.append((name, a, r))
    return rows


def w4(repeat: int) -> list[tuple[str, float, float]]:
    log = vc.log

    def f(x1: Any, x2: Any) -> Any:
        return log(x1 * x2 * (x1 + x2)) / (x1 - x2) ** 2

    def closed(x1: float = 2.0, x2: float = 10.0) -> tuple[float, tuple[float, float]]:
        s = x1 + x2
        d = x1 - x2
        L = math.log(x1 * x2 * s)
        d2 = d * d
        return L / d2, ((1 / x1 + 1 / s) / d2 - 2 * L / (d2 * d),
                        (1 / x2 + 1 / s) / d2 + 2 * L / (d2 * d))

    a, b, r = ratio(lambda: vc.val_and_grad(f, 2.0, 10.0), closed, 2000, repeat)
    return [("closed form (baseline)", b, 1.0), ("vjpchain val_and_grad (traced)", a, r)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeat = 5 if args.quick else 11
    sizes = [10, 1000, 100000] if args.quick else [10, 1000, 100000, 1000000]
    print(f"python {sys.version.split()[0]}, vjpchain {vc.__version__}\n")
    print("W1 scalar chain exp(sin(sin(2.0))), value and derivative per call\n")
    print("| implementation | time per call | ratio to closed form |\n|---|---|---|")
    for name, t, r in w1(repeat):
        print(f"| {name} | {t * 1e9:.0f} ns | {r:.2f}x |")
    print("\nW2 deep chains, val_and_grad: time per primitive and memory per stored step\n")
    print("| pattern | n | time per primitive | ratio to closed form | bytes per step |")
    print("|---|---|---|---|---|")
    for pattern, n, t, r, b in w2(sizes, repeat):
        print(f"| {pattern} | {n} | {t * 1e9:.0f} ns | {r:.2f}x | {b:.1f} |")
    for n in ([1000] if args.quick else [1000, 100000]):
        for name, t, r in w2_peers(n):
            print(f"| sin,cos ({name}) | {n} | {t * 1e9:.0f} ns | {r:.1f}x | - |")
    try:
        rows3 = w3(max(3, repeat // 2))
    except ImportError:
        rows3 = []
    if rows3:
        print("\nW3 arrays: [sin, sin, exp] over 10**6 float64 points\n")
        print("| implementation | time | ratio to closed form |\n|---|---|---|")
        for name, t, r in rows3:
            print(f"| {name} | {t * 1e3:.1f} ms | {r:.3f}x |")
    print("\nW4 traced f(x1, x2) = log(x1 x2 (x1 + x2)) / (x1 - x2)**2 at (2, 10)\n")
    print("| implementation | time per call | ratio to closed form |\n|---|---|---|")
    for name, t, r in w4(repeat):
        print(f"| {name} | {t * 1e6:.2f} µs | {r:.1f}x |")


if __name__ == "__main__":
    main()
