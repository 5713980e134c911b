"""The library never changes mpmath's global context (mpmath.mp).

mpmath.workprec and its relatives set the precision of the global context for as long as they
run, which spoils whatever another thread computes with mpf at that moment. Extra (or double)
precision comes from private contexts instead.
"""

from __future__ import annotations

import sys
import threading

import mpmath
import pytest

import vjpchain
from vjpchain import elementary as E
from vjpchain import special as S
from vjpchain.float64.dd import dd_const

Z = 0.3 + 0.2j

# primitives whose complex path goes through mpmath, with a point for each
COMPLEX_PATHS = [
    (E.expm1, Z), (E.log1p, Z), (E.cbrt, Z), (S.erf, Z), (S.erfc, Z), (S.lgamma, 1.3 + 0.2j),
    (S.digamma, 1.3 + 0.2j), (S.sinc, Z), (S.trigamma, 1.3 + 0.2j), (S.d_sinc, Z),
    (S.d_sinc, 1e-5 + 1e-6j), (S.d_sinc, 0j), (S.tetragamma, 1.3 + 0.2j),
]
COMPLEX_GRADS = ["expm1", "log1p", "cbrt", "erf", "erfc", "lgamma", "digamma", "sinc"]


def _spoiled_by(work) -> tuple[object, list[object], int]:
    """Run ``work`` over and over in another thread (it never sets a precision itself) while
    this one computes grad(["sin", "exp"], mpf(2)) 400 times at 50 digits: the first result,
    all of them, and mp.dps afterwards. Errors in the other thread are raised here."""
    stop = threading.Event()
    errors: list[BaseException] = []

    def other_thread() -> None:
        try:
            while not stop.is_set():
                work()
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    saved_prec = mpmath.mp.prec
    saved_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so that a race shows up
    worker = threading.Thread(target=other_thread, daemon=True)
    try:
        mpmath.mp.dps = 50
        x = mpmath.mpf(2)
        first = vjpchain.grad(["sin", "exp"], x)
        worker.start()
        results = [vjpchain.grad(["sin", "exp"], x) for _ in range(400)]
        dps_after = mpmath.mp.dps
    finally:
        stop.set()
        worker.join(timeout=30)
        sys.setswitchinterval(saved_interval)
        mpmath.mp.prec = saved_prec
    assert not errors, errors
    return first, results, dps_after


def test_complex_paths_do_not_spoil_another_threads_precision():
    def complex_paths() -> None:
        for name in COMPLEX_GRADS:
            vjpchain.grad([name], Z)
        for f, z in COMPLEX_PATHS:
            f(z)
        S.tetragamma(1.5)

    first, results, dps_after = _spoiled_by(complex_paths)
    bad = sum(r != first for r in results)
    assert bad == 0, f"{bad} of 400 results spoiled at 50 digits by another thread"
    assert dps_after == 50
    with mpmath.workdps(50):
        assert first == mpmath.cos(2) * mpmath.exp(mpmath.sin(2))


def _forbidden(*args, **kwargs):
    raise AssertionError("the global mpmath context's precision was changed")


@pytest.mark.parametrize("dps", [15, 40])
def test_no_global_precision_change(monkeypatch, dps):
    for name in ("workprec", "workdps", "extraprec", "extradps"):
        monkeypatch.setattr(mpmath, name, _forbidden)
        monkeypatch.setattr(mpmath.mp, name, _forbidden)
    saved = mpmath.mp.prec
    try:
        mpmath.mp.dps = dps
        prec = mpmath.mp.prec
        for f, z in COMPLEX_PATHS:
            value = f(z)
            assert isinstance(value, complex), (f, z)
            assert mpmath.mp.prec == prec, (f, z)
        assert isinstance(S.tetragamma(1.5), float)
        assert mpmath.mp.prec == prec
        for name in COMPLEX_GRADS:
            vjpchain.grad([name], Z)
            assert mpmath.mp.prec == prec, name
        # double-doubles come from a private 300-bit context, global constants included
        assert dd_const(mpmath.ln2) == dd_const("log(2)")
        assert dd_const(mpmath.ln2)[1] == 2.3190468138462996e-17
        assert mpmath.mp.prec == prec
    finally:
        mpmath.mp.prec = saved


def test_complex_paths_are_double_precision_whatever_the_global_precision():
    # computed at 53 bits in a private context: the global precision plays no part
    saved = mpmath.mp.prec
    try:
        at_default = [f(z) for f, z in COMPLEX_PATHS] + [S.tetragamma(1.5)]
        mpmath.mp.dps = 60
        assert [f(z) for f, z in COMPLEX_PATHS] + [S.tetragamma(1.5)] == at_default
    finally:
        mpmath.mp.prec = saved
    ctx = mpmath.MPContext()
    ctx.prec = 53
    assert at_default[0] == complex(ctx.expm1(ctx.mpc(Z)))
    assert at_default[-1] == -0.82879664423432  # psi(2, 3/2) = 16 - 14 zeta(3)


def test_checks_and_references_do_not_spoil_another_threads_precision():
    """check_rule, check_chain and diff_reference work at 200+ bits in private contexts."""
    from vjpchain.reference import check_chain, check_rule, diff_reference

    def checks() -> None:
        check_rule("tanh", [0.5, 20.0])
        check_rule(vjpchain.primitive(lambda x: x * vjpchain.exp(x),
                                      lambda x, y: (1 + x) * vjpchain.exp(x)), [0.5])
        check_chain(["sin", "exp"], 2.0)
        diff_reference(vjpchain.sin, 1.0, 80)

    first, results, dps_after = _spoiled_by(checks)
    assert sum(r != first for r in results) == 0
    assert dps_after == 50


@pytest.mark.parametrize("name", ["sin", "erf", "sinc", "lgamma", "exp2", "log2", "sigmoid",
                                  "softplus", "digamma", "cbrt", "atanh", "tan"])
def test_an_mpf_of_a_private_context_is_computed_at_that_contexts_precision(name):
    ctx = mpmath.MPContext()
    ctx.prec = 300
    x = ctx.mpf(3) / 7
    value, derivative = vjpchain.val_and_grad([name], x)
    with mpmath.workprec(300):  # the test's own reference, in the global context
        value_ref, derivative_ref = vjpchain.val_and_grad([name], mpmath.mpf(3) / 7)
    assert mpmath.mp.prec == 53
    assert type(value).context is ctx and type(derivative).context is ctx
    assert abs(value - value_ref) <= abs(value_ref) * mpmath.ldexp(1, -290)
    assert abs(derivative - derivative_ref) <= abs(derivative_ref) * mpmath.ldexp(1, -290)


def test_a_reference_in_the_global_context_is_refused_not_raised():
    from vjpchain.reference import check_rule

    with pytest.raises(vjpchain.ReferencePrecisionError, match="x.context.exp"):
        check_rule("exp", [1.0], reference=lambda x: mpmath.exp(x))
    report = check_rule("exp", [1.0, 2.0], reference=lambda x: x.context.exp(x))
    assert report.passed and report.max_ulps <= 0.5
    report = check_rule("exp", [1.0, 2.0], reference=vjpchain.exp)  # follows the context
    assert report.passed and report.max_ulps <= 0.5
    assert mpmath.mp.prec == 53
