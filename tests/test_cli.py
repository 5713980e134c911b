"""The vjpchain command: numbers agree with the library and with closed forms in mpmath, exit
codes, --help everywhere, check, plot, and python -m vjpchain."""

import json
import math
import operator
import subprocess
import sys
import time
from dataclasses import dataclass, field

import mpmath
import pytest

import vjpchain as vc
from vjpchain import cli, reference
from vjpchain.domains import describe_rule
from vjpchain.reference import ulp_error


def run(capsys, *argv):
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def table(out):
    """The rows of a printed table as lists of cells (header dropped)."""
    lines = out.strip().splitlines()
    return [line.split() for line in lines[1:]]


def seed_derivative(x):
    """d/dx exp(sin(sin(x))) written out by hand, in mpmath."""
    return mpmath.exp(mpmath.sin(mpmath.sin(x))) * mpmath.cos(mpmath.sin(x)) * mpmath.cos(x)


def cubic_derivative(x):
    """d/dx (2 sin(x)**3 + 1) written out by hand, in mpmath."""
    return 6 * mpmath.sin(x) ** 2 * mpmath.cos(x)


# --- grad ------------------------------------------------------------------------------------


def test_no_arguments_runs_the_seed_example(capsys):
    status, out, err = run(capsys)
    assert status == 0 and err == ""
    assert out == run(capsys, "grad", "exp(sin(sin(x)))", "2.0")[1]
    header = out.splitlines()[0].split()
    assert header[0] == "x" and header[-1] == "ulps"
    [[x, value, derivative, ref, ulps]] = table(out)
    expected = vc.val_and_grad([math.sin, math.sin, math.exp], 2.0)
    assert (float(x), float(value), float(derivative)) == (2.0, *expected)
    with mpmath.workdps(60):
        exact = seed_derivative(mpmath.mpf(2))
        assert abs(mpmath.mpf(ref) - exact) < mpmath.mpf(10) ** -19
        assert float(ulps) == pytest.approx(ulp_error(expected[1], exact), abs=0.006)


def test_grad_table_at_several_points(capsys):
    status, out, _ = run(capsys, "grad", "--", "2*sin(x)**3 + 1", "0.5", "1.5", "-pi/4")
    assert status == 0
    rows = table(out)
    chain = [vc.sin, vc.power(3), vc.scale(2), vc.shift(1)]
    assert len(rows) == 3
    for x, (cx, value, derivative, ref, ulps) in zip([0.5, 1.5, -math.pi / 4], rows, strict=True):
        assert float(cx) == x
        assert (float(value), float(derivative)) == vc.val_and_grad(chain, x)
        with mpmath.workdps(60):
            exact = cubic_derivative(mpmath.mpf(x))
            assert abs(mpmath.mpf(ref) / exact - 1) < mpmath.mpf(10) ** -19
            assert float(ulps) == pytest.approx(ulp_error(float(derivative), exact), abs=0.006)


def test_grad_json(capsys):
    status, out, _ = run(capsys, "grad", "2*sin(x)**3 + 1", "0.5", "1.5", "--json")
    assert status == 0
    records = json.loads(out)
    assert [r["x"] for r in records] == [0.5, 1.5]
    chain = [vc.sin, vc.power(3), vc.scale(2), vc.shift(1)]
    for r in records:
        assert set(r) == {"x", "value", "derivative", "reference", "ulps",
                          "reference_unavailable"}
        assert r["reference_unavailable"] is None
        assert all(type(r[k]) is float for k in ("x", "value", "derivative", "ulps"))
        assert isinstance(r["reference"], str)
        assert (r["value"], r["derivative"]) == vc.val_and_grad(chain, r["x"])
        with mpmath.workdps(60):
            exact = cubic_derivative(mpmath.mpf(r["x"]))
            assert abs(mpmath.mpf(r["reference"]) / exact - 1) < mpmath.mpf(10) ** -28
            assert r["ulps"] == pytest.approx(ulp_error(r["derivative"], exact), abs=1e-9)


def test_grad_dps_evaluates_the_chain_in_mpmath(capsys):
    status, out, _ = run(capsys, "grad", "exp(sin(sin(x)))", "2", "--dps", "30", "--json")
    assert status == 0
    [r] = json.loads(out)
    assert r["ulps"] is None and isinstance(r["rel_error"], float)
    with mpmath.workdps(30):
        value, derivative = vc.val_and_grad([vc.sin, vc.sin, vc.exp], mpmath.mpf(2))
        assert r["value"] == mpmath.nstr(value, 30)
        assert r["derivative"] == mpmath.nstr(derivative, 30)
    with mpmath.workdps(60):
        exact = seed_derivative(mpmath.mpf(2))
        assert abs(mpmath.mpf(r["reference"]) / exact - 1) < mpmath.mpf(10) ** -33
        assert r["rel_error"] == pytest.approx(float(abs(derivative / exact - 1)), rel=0.01)
    assert r["rel_error"] < 1e-28
    status, out, _ = run(capsys, "grad", "exp(sin(sin(x)))", "2", "--dps", "30")
    assert status == 0 and out.splitlines()[0].split()[-2:] == ["rel.", "error"]
    assert table(out)[0][2] == r["derivative"]


def test_reference_does_not_use_the_rules():
    """A wrong rule in the registry shows up as a large error, not as agreement."""
    rules = vc.default_registry.copy()
    rules.scalar_rule("sin", lambda x, y: 1.01 * vc.cos(x), primal=vc.sin, replace=True)
    [row] = cli.grad_rows("sin(x)", [0.5], rules=rules)
    assert row.derivative == 1.01 * math.cos(0.5)
    assert row.error > 1e12


@pytest.mark.parametrize("x, exact", [
    (1e300, lambda t: mpmath.cos(t)),            # mpmath.diff's default step vanishes here
    (-1e-300, lambda t: mpmath.cos(t)),
    (30.0, lambda t: mpmath.sech(t) ** 2),       # f' tiny next to f: cancellation
])
def test_reference_is_accurate_far_from_one(x, exact):
    prim = vc.sin if x != 30.0 else vc.tanh
    with mpmath.workdps(70):
        want = exact(mpmath.mpf(x))
        got = reference.diff_reference(prim, x, 50)
        assert abs(got / want - 1) < mpmath.mpf(10) ** -45


def test_reference_is_unavailable_where_the_derivative_is_infinite(capsys):
    """sqrt'(0) is inf: no finite reference, and the output says so under the table."""
    status, out, _ = run(capsys, "grad", "sqrt(x)", "0", "4")
    assert status == 0
    lines = out.splitlines()
    rows = [line.split() for line in lines[1:3]]
    assert rows[0][3] == "unavailable" and rows[0][4] == "n/a"
    assert float(rows[1][2]) == 0.25 and float(rows[1][4]) == 0.0
    assert lines[3] == ("reference unavailable at x = 0.0 (the float64 derivative is inf, not "
                        "finite)")


def test_reference_is_bounded_where_the_value_overflows(capsys):
    """exp(exp(exp(10))) overflows float64: no reference (it ran over 20 s raising mpmath's
    precision to 32768 bits), and at 1e300 no RecursionError from inside mpmath."""
    for x in ("10", "1e300"):
        start = time.monotonic()
        status, out, err = run(capsys, "grad", "exp(exp(exp(x)))", x)
        assert time.monotonic() - start < 2, x
        assert status == 0 and err == ""
        assert f"reference unavailable at x = {float(x)!r} (f = inf: the value overflows " \
            "float64)" in out
    # a function (x used twice) is probed in mpmath for a pole, within a second
    start = time.monotonic()
    status, out, _ = run(capsys, "grad", "x*exp(exp(exp(x)))", "20")
    assert status == 0 and "reference unavailable" in out
    assert time.monotonic() - start < 4
    assert mpmath.mp.prec == 53  # mpmath's global context is left alone


def test_reference_is_bounded_at_dps(capsys):
    status, out, err = run(capsys, "grad", "exp(exp(exp(x)))", "20", "--dps", "30")
    assert status == 1 and out == ""
    assert "takes more than" in err and "try fewer digits" in err


def test_reference_is_bounded_in_a_fresh_process():
    """The command as a user runs it: well under 5 s, exit 0, no traceback."""
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "vjpchain", "grad", "exp(exp(exp(x)))", "10",
                           "1e300"], capture_output=True, text=True, timeout=20, check=False)
    assert time.monotonic() - start < 5
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.count("reference unavailable") == 2


def test_reference_step_is_scaled_to_the_function(capsys):
    """x**1e50 at 1 has the exact derivative 1e50 (the reference was off by 2.8e-9, 1.4e7
    ULP); sin(1e300 x) at 1 is 1e300 cos(1e300) (the reference was off by 262 digits)."""
    ctx = mpmath.MPContext()
    ctx.prec = 1500
    for text, exact in (("x**1e50", ctx.mpf(1e50)),
                        ("sin(x*1e300)", ctx.mpf(1e300) * ctx.cos(ctx.mpf(1e300)))):
        [row] = cli.grad_rows(text, [1.0])
        assert abs(ctx.convert(row.reference) / exact - 1) < ctx.mpf(10) ** -45, text
        assert row.error <= 0.5, text
    status, out, _ = run(capsys, "grad", "x**1e50", "1")
    assert status == 0 and table(out)[0][-1] == "0.00"


def test_pole_is_a_domain_error(capsys):
    """digamma at -2 and 0 printed nan or -inf with a bogus reference and exit 0."""
    for x in ("-2", "0"):
        status, out, err = run(capsys, "grad", "digamma(x)", x)
        assert status == 1 and out == ""
        assert f"digamma(x) is not defined at x = {float(x)!r}" in err and "pole" in err
    status, _, err = run(capsys, "grad", "x + digamma(x)", "0")
    assert status == 1 and "x + digamma(x) is not defined at x = 0.0" in err
    # a rule that returns -inf or nan at a declared pole, as digamma's used to
    mine = vc.default_registry.copy()
    mine.scalar_rule("psi0", lambda x, y: 1.0,
                     primal=lambda x: -math.inf if x == 0 else (math.nan if x < 0 else x),
                     domain=vc.Domain(excluded_integers_below=0.0))
    for x in (0.0, -2.0):
        with pytest.raises(vc.PrimitiveDomainError, match="psi0 is not defined at"):
            cli.grad_rows("psi0(x)", [x], rules=mine)
    with pytest.raises(vc.PrimitiveDomainError, match="nan"):
        cli.grad_rows("psi0(x)", [-2.5], rules=mine)
    with pytest.raises(vc.PrimitiveDomainError, match="evaluates to nan"):
        cli.grad_rows("exp(x) - exp(x)", [1000.0])


def test_errors_speak_the_users_terms(capsys):
    status, _, err = run(capsys, "grad", "log(x)", "-1")
    assert status == 1
    assert err.startswith("vjpchain grad: log(x) is not defined at x = -1.0: log is not "
                          "defined at -1.0")
    assert "the domain of log is x > 0" in err and "chain[" not in err
    status, _, err = run(capsys, "grad", "2*log(sin(x))**2", "4")
    assert status == 1 and "chain[" not in err
    assert f"log is not defined at sin(x) = {math.sin(4.0)!r}" in err
    status, _, err = run(capsys, "grad", "x**-1", "0")
    assert "power(-1.0) is not defined at 0.0" in err and "x != 0" in err
    status, _, err = run(capsys, "grad", "sin(exp(x))", "1000")
    assert "exp(x) = inf, which overflowed float64" in err


def test_negative_points_as_written(capsys):
    """-inf, -pi/4 and -1e300 are points, not unknown options."""
    status, out, err = run(capsys, "grad", "exp(x)", "1", "-inf", "-pi/4", "-1e300", "-2")
    assert status == 0, err
    assert [float(r[0]) for r in table(out)[:5]] == [1.0, -math.inf, -math.pi / 4, -1e300,
                                                    -2.0]
    assert "reference unavailable at x = -inf (x = -inf is not finite)" in out
    status, _, err = run(capsys, "grad", "sin(x)", "1", "-inf")
    assert status == 1 and "sin(x) is not defined at x = -inf" in err
    assert run(capsys, "grad", "sin(x)", "-v")[0] == 2  # still an unknown option


def test_bad_expression_exits_2_with_a_caret(capsys):
    status, out, err = run(capsys, "grad", "exp(sni(x))", "1")
    assert status == 2 and out == ""
    assert "unknown name 'sni'" in err and "\n        ^" in err


def test_x_used_twice_is_a_function_of_one_variable(capsys):
    """x*sin(x) is no chain: it is read as a function, and shown as a chain would be."""
    status, out, err = run(capsys, "grad", "x*sin(x)", "1.5", "-0.5")
    assert status == 0 and err == ""
    assert out.splitlines()[0].split() == ["x", "f(x)", "f'(x)", "mpmath", "reference", "ulps"]
    rows = table(out)
    assert len(rows) == 2
    for x, (cx, value, derivative, ref, ulps) in zip([1.5, -0.5], rows, strict=True):
        assert float(cx) == x
        assert (float(value), float(derivative)) == vc.val_and_grad(lambda t: t * vc.sin(t), x)
        with mpmath.workdps(60):
            exact = mpmath.diff(lambda t: t * mpmath.sin(t), mpmath.mpf(x))
            assert abs(mpmath.mpf(ref) / exact - 1) < mpmath.mpf(10) ** -19
            assert float(ulps) == pytest.approx(ulp_error(float(derivative), exact), abs=0.006)
    status, out, _ = run(capsys, "grad", "y*sin(y)", "1.5")
    assert status == 0 and out.splitlines()[0].split()[:3] == ["y", "f(y)", "f'(y)"]
    status, out, _ = run(capsys, "grad", "x*sin(x)", "1.5", "--json")
    [r] = json.loads(out)
    assert set(r) == {"x", "value", "derivative", "reference", "ulps", "reference_unavailable"}
    assert (r["value"], r["derivative"]) == vc.val_and_grad(lambda t: t * vc.sin(t), 1.5)


def test_x_used_twice_at_dps(capsys):
    status, out, _ = run(capsys, "grad", "x*sin(x)", "1.5", "--dps", "30", "--json")
    assert status == 0
    [r] = json.loads(out)
    with mpmath.workdps(30):
        value, derivative = vc.val_and_grad(lambda t: t * vc.sin(t), mpmath.mpf(1.5))
        assert r["derivative"] == mpmath.nstr(derivative, 30)
    assert r["rel_error"] < 1e-28


def test_grad_rows_reads_functions_of_one_variable():
    [row] = cli.grad_rows("exp(x)/x - x", [0.75])
    assert (row.value, row.derivative) == vc.val_and_grad(lambda t: vc.exp(t) / t - t, 0.75)
    with mpmath.workdps(60):
        exact = mpmath.exp(0.75) * (0.75 - 1) / mpmath.mpf(0.75) ** 2 - 1
        assert abs(row.reference / exact - 1) < mpmath.mpf(10) ** -45
    with pytest.raises(cli.UsageError, match="x1=VALUE x2=VALUE"):
        cli.grad_rows("x1*x2", [1.0])


# --- grad of several variables ---------------------------------------------------------------

SEVERAL = "log(x1*x2*(x1+x2))/(x1-x2)**2"


def several(x1, x2):
    return vc.log(x1 * x2 * (x1 + x2)) / (x1 - x2) ** 2


def several_partials(x1, x2):
    """mpmath.diff of the formula along x1 and along x2, at 60 digits."""
    with mpmath.workdps(60):
        def f(a, b):
            return mpmath.log(a * b * (a + b)) / (a - b) ** 2

        a, b = mpmath.mpf(x1), mpmath.mpf(x2)
        return mpmath.diff(f, (a, b), (1, 0)), mpmath.diff(f, (a, b), (0, 1))


def test_grad_of_several_variables_table(capsys):
    status, out, err = run(capsys, "grad", SEVERAL, "x1=2", "x2=10")
    assert status == 0 and err == ""
    lines = out.splitlines()
    value, (d1, d2) = vc.val_and_grad(several, 2.0, 10.0)
    assert lines[0] == f"f(x1=2.0, x2=10.0) = {value!r}"
    assert lines[1].split() == ["variable", "value", "df/dvar", "mpmath", "reference", "ulps"]
    rows = [line.split() for line in lines[2:]]
    assert [r[:2] for r in rows] == [["x1", "2.0"], ["x2", "10.0"]]
    for (_, _, derivative, ref, ulps), mine, exact in zip(rows, (d1, d2),
                                                          several_partials(2.0, 10.0),
                                                          strict=True):
        assert float(derivative) == mine
        with mpmath.workdps(60):
            assert abs(mpmath.mpf(ref) / exact - 1) < mpmath.mpf(10) ** -19
            assert float(ulps) == pytest.approx(ulp_error(mine, exact), abs=0.006)


def test_grad_of_several_variables_json(capsys):
    status, out, _ = run(capsys, "grad", SEVERAL, "x2=pi", "x1=0.5", "--json")
    assert status == 0
    record = json.loads(out)
    assert set(record) == {"point", "value", "partials"}
    assert record["point"] == {"x1": 0.5, "x2": math.pi}
    assert list(record["point"]) == ["x1", "x2"]  # the expression's order
    value, grads = vc.val_and_grad(several, 0.5, math.pi)
    assert record["value"] == value
    assert [p["variable"] for p in record["partials"]] == ["x1", "x2"]
    for p, mine, exact in zip(record["partials"], grads, several_partials(0.5, math.pi),
                              strict=True):
        assert set(p) == {"variable", "derivative", "reference", "ulps",
                          "reference_unavailable"}
        assert p["derivative"] == mine and isinstance(p["reference"], str)
        with mpmath.workdps(60):
            assert abs(mpmath.mpf(p["reference"]) / exact - 1) < mpmath.mpf(10) ** -28
            assert p["ulps"] == pytest.approx(ulp_error(mine, exact), abs=1e-9)


def test_grad_of_several_variables_at_dps(capsys):
    status, out, _ = run(capsys, "grad", SEVERAL, "x1=2", "x2=10", "--dps", "30", "--json")
    assert status == 0
    record = json.loads(out)
    with mpmath.workdps(30):
        value, grads = vc.val_and_grad(several, mpmath.mpf(2), mpmath.mpf(10))
        assert record["value"] == mpmath.nstr(value, 30)
    for p, mine, exact in zip(record["partials"], grads, several_partials(2.0, 10.0),
                              strict=True):
        assert p["ulps"] is None and p["derivative"] == mpmath.nstr(mine, 30)
        with mpmath.workdps(60):
            assert abs(mpmath.mpf(p["reference"]) / exact - 1) < mpmath.mpf(10) ** -33
        assert p["rel_error"] < 1e-28
    status, out, _ = run(capsys, "grad", SEVERAL, "x1=2", "x2=10", "--dps", "30")
    assert status == 0 and out.splitlines()[1].split()[-2:] == ["rel.", "error"]


def test_grad_of_two_input_primitives(capsys):
    status, out, _ = run(capsys, "grad", "atan2(y, x) * hypot(x, y)", "x=1", "y=-2", "--json")
    assert status == 0
    record = json.loads(out)
    assert [p["variable"] for p in record["partials"]] == ["y", "x"]
    value, grads = vc.val_and_grad(lambda y, x: vc.atan2(y, x) * vc.hypot(x, y), -2.0, 1.0)
    assert record["value"] == value
    assert [p["derivative"] for p in record["partials"]] == list(grads)
    assert all(p["ulps"] < 4 for p in record["partials"])


@pytest.mark.parametrize("points, words", [
    (["x1=2"], ["no value for x2", "x1=VALUE x2=VALUE"]),
    (["x1=2", "x2=3", "x3=1"], ["x3 is not a variable"]),
    (["x1=2", "y=3", "z=1"], ["no value for x2", "y, z are not variables"]),
    (["x1=2", "x2=3", "x1=4"], ["x1 is given more than once"]),
    (["x1=2", "5"], ["not both"]),
    (["2", "10"], ["2 variables (x1, x2)", "x1=VALUE x2=VALUE"]),
    ([], ["2 variables (x1, x2)"]),
])
def test_points_that_do_not_fit_exit_2(capsys, points, words):
    status, out, err = run(capsys, "grad", SEVERAL, *points)
    assert status == 2 and out == ""
    for w in words:
        assert w in err


def test_bad_named_values_exit_2(capsys):
    status, _, err = run(capsys, "grad", SEVERAL, "x1=two", "x2=1")
    assert status == 2 and "the value of x1" in err
    status, _, err = run(capsys, "grad", "2 + 3", "x=1")
    assert status == 2 and "uses no variable" in err


def test_several_variables_outside_the_domain_exit_1(capsys):
    status, out, err = run(capsys, "grad", SEVERAL, "x1=3", "x2=3")
    assert status == 1 and out == ""
    assert "'/' at column 19" in err
    status, _, err = run(capsys, "grad", SEVERAL, "x1=-3", "x2=5", "--dps", "20")
    assert status == 1 and "not real" in err


def test_one_variable_named(capsys):
    status, out, _ = run(capsys, "grad", "sin(x)", "x=1")
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == f"f(x=1.0) = {math.sin(1.0)!r}"
    [[name, x, derivative, _, _]] = [line.split() for line in lines[2:]]
    assert (name, float(x), float(derivative)) == ("x", 1.0, vc.grad(vc.sin, 1.0))


def test_domain_error_exits_1(capsys):
    status, out, err = run(capsys, "grad", "log(x)", "-1")
    assert status == 1 and out == ""
    assert "log" in err and "domain" in err
    status, _, err = run(capsys, "grad", "log(x)", "-1", "--dps", "20")
    assert status == 1 and "not real" in err


def test_bad_point_and_bad_option_exit_2(capsys):
    assert run(capsys, "grad", "sin(x)", "two")[0] == 2
    assert run(capsys, "grad", "sin(x)", "1", "--dps", "0")[0] == 2
    assert run(capsys, "frobnicate")[0] == 2


@pytest.mark.parametrize("command", ["grad", "rules", "check", "plot"])
def test_every_subcommand_has_help(capsys, command):
    status, out, _ = run(capsys, command, "--help")
    assert status == 0
    assert out.startswith(f"usage: vjpchain {command}")


def test_top_level_help_lists_the_commands(capsys):
    status, out, _ = run(capsys, "--help")
    assert status == 0
    assert all(c in out for c in ("grad", "rules", "check", "plot"))


# --- rules -----------------------------------------------------------------------------------


def test_rules_lists_every_primitive(capsys):
    status, out, _ = run(capsys, "rules")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].split() == ["primitive", "derivative", "domain"]
    for rule in vc.default_registry.rules():
        assert any(line.split()[0] == rule.name and rule.formula in line
                   and line.rstrip().endswith(describe_rule(rule)) for line in lines[1:]), rule


def rules_domains(capsys):
    status, out, _ = run(capsys, "rules")
    assert status == 0
    return {line.split()[0]: line for line in out.splitlines()[1:]}


def test_rules_shows_the_real_domains(capsys):
    """Each domain `rules` states is what the library does: power takes -2 for an integer p
    and refuses 0 for a negative one, pow(-1, 0.5) is a domain error, reciprocal raises
    only at 0, exp overflows (inf, not an error) past 709.78, digamma has its poles."""
    rows = rules_domains(capsys)
    assert "x != 0 (integer p < 0)" in rows["power"] and "all x (integer p >= 0)" in rows["power"]
    assert vc.grad([vc.power(3)], -2.0) == 12.0
    for p, x in ((-2, 0.0), (0.5, -1.0), (-0.5, 0.0)):
        with pytest.raises(vc.PrimitiveDomainError):
            vc.grad([vc.power(p)], x)
    assert vc.grad([vc.power(0.5)], 0.0) == math.inf  # x >= 0 for 0 < p: 0 is in
    assert rows["reciprocal"].rstrip().endswith("x != 0")
    with pytest.raises(vc.PrimitiveDomainError):
        vc.grad(["reciprocal"], 0.0)
    assert vc.grad(["reciprocal"], -1e-150) == -1e300
    assert "a < 0 only with a constant integer b" in rows["pow"]
    with pytest.raises(vc.PrimitiveDomainError):
        vc.grad(lambda a, b: a ** b, -1.0, 0.5)
    assert vc.grad(lambda a: a ** 3.0, -1.0) == 3.0
    assert rows["truediv"].rstrip().endswith("b != 0")
    assert "(-inf, inf); float64 overflows past 709.783" in rows["exp"]
    assert vc.val_and_grad(["exp"], 710.0) == (math.inf, math.inf)
    assert rows["log"].rstrip().endswith("x > 0") and "[-1, 1]" in rows["asin"]
    assert "except integers <= 0" in rows["digamma"]


# --- check -----------------------------------------------------------------------------------


@dataclass
class FakeReport:
    name: str
    max_ulps: float
    passed: bool
    tolerance: float = 1.0
    median_ulps: float = 0.25
    rows: list = field(default_factory=lambda: [0] * 7)

    @property
    def worst(self):
        return (0.125, 1.0, mpmath.mpf(1), self.max_ulps)

    def __str__(self):
        return f"full report of {self.name}"


def fake_check_rule(failing=(), delay=0.0):
    calls = []

    def check_rule(primitive, points=None, *, rules=None, dps=50):
        calls.append((primitive, dps))
        time.sleep(delay)
        bad = primitive in failing
        return FakeReport(primitive, 3.5 if bad else 0.5, not bad)

    return check_rule, calls


def test_check_every_builtin(capsys, monkeypatch):
    """`check` without names checks every primitive `rules` lists: one-input ones with
    check_rule, the families through instances, the two-input ones partial by partial."""
    check_rule, calls = fake_check_rule()
    monkeypatch.setattr(reference, "check_rule", check_rule, raising=False)
    status, out, _ = run(capsys, "check")
    assert status == 0
    rules = vc.default_registry.rules()
    unary = [r.name for r in rules if r.primal is not None and r.arity == 1]
    assert [p for p, _ in calls if isinstance(p, str)] == unary
    instances = [p for p, _ in calls if not isinstance(p, str)]
    assert instances == [vc.power(3), vc.power(0.5), vc.power(-2), vc.scale(2.5), vc.shift(-1.0)]
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:-1]}
    two = [r.name for r in rules if r.arity == 2]
    assert set(two) == {"add", "sub", "mul", "truediv", "pow", "atan2", "hypot", "maximum",
                        "minimum"}
    assert set(rows) == set(unary) | set(two) | {repr(p) for p in instances}
    assert rows["sin"] == ["sin", "7", "0.50", "0.25", "0.125", "1.00", "ok"]
    assert rows["power(0.5)"][-1] == "ok"
    for name in two:  # checked for real, against mpmath
        assert rows[name][-1] == "ok" and int(rows[name][1]) > 100, rows[name]


def test_check_works_for_every_primitive_rules_lists(capsys, monkeypatch):
    """`check mul` and `check power` failed: two-input primitives are checked partial by
    partial against mpmath, families through representative instances (checked for real
    by test_check_passes_on_every_builtin_primitive)."""
    check_rule, calls = fake_check_rule()
    monkeypatch.setattr(reference, "check_rule", check_rule, raising=False)
    status, out, err = run(capsys, "check", "mul", "power", "pow", "atan2", "scale", "shift")
    assert status == 0, out + err
    assert calls == [(vc.power(3), 50), (vc.power(0.5), 50), (vc.power(-2), 50),
                     (vc.scale(2.5), 50), (vc.shift(-1.0), 50)]
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:-1]}
    assert set(rows) == {"mul", "power(3)", "power(0.5)", "power(-2)", "pow", "atan2",
                         "scale(2.5)", "shift(-1.0)"}
    assert all(row[-1] == "ok" for row in rows.values())
    assert out.splitlines()[-1] == "8 ok, 0 failed"


def test_two_input_check_catches_wrong_partials():
    from vjpchain.cli.partials import check_two_inputs

    mine = vc.default_registry.copy()
    mine.binary_rule("badmul", operator.mul, (lambda a, b, y: b, lambda a, b, y: 1.000001 * a))
    mine.binary_rule("kinkmul", operator.mul,
                     (lambda a, b, y: b if a != 2.0 else b + 1, lambda a, b, y: a))
    for name in ("badmul", "kinkmul"):
        report = check_two_inputs(mine.lookup(name), mine)
        assert not report.passed, name
        assert "FAIL" in str(report)
    report = check_two_inputs(mine.lookup("mul"), mine)
    assert report.passed and report.max_ulps == 0


def test_closed_pipe_ends_quietly():
    """`vjpchain check -v | head -1` printed a BrokenPipeError traceback and exited 1."""
    proc = subprocess.Popen([sys.executable, "-m", "vjpchain", "check", "sin", "cos", "tan"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().startswith("primitive")
    proc.stdout.close()  # the reader goes away, as head does
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=60) in (0, 141)
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_closed_pipe_in_process(monkeypatch):
    class ClosedPipe:
        def write(self, text):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert cli.main(["rules"]) == 141


def test_check_named_primitives_and_failure(capsys, monkeypatch):
    check_rule, calls = fake_check_rule(failing=("tanh",))
    monkeypatch.setattr(reference, "check_rule", check_rule, raising=False)
    status, out, _ = run(capsys, "check", "sin", "tanh", "arcsin", "--dps", "60")
    assert status == 1
    assert calls == [("sin", 60), ("tanh", 60), ("asin", 60)]
    lines = out.splitlines()
    assert lines[2].split()[-1] == "FAIL" and lines[2].split()[2] == "3.50"
    assert "full report of tanh" in out and "full report of sin" not in out
    assert lines[-1] == "2 ok, 1 failed"


def test_check_unknown_primitive_exits_2(capsys, monkeypatch):
    check_rule, calls = fake_check_rule()
    monkeypatch.setattr(reference, "check_rule", check_rule, raising=False)
    status, _, err = run(capsys, "check", "sine")
    assert status == 2 and calls == [] and "sine" in err


def test_check_crash_in_one_rule_is_reported(capsys, monkeypatch):
    def check_rule(primitive, points=None, *, rules=None, dps=50):
        if primitive == "sin":
            raise RuntimeError("boom")
        return FakeReport(primitive, 0.5, True)

    monkeypatch.setattr(reference, "check_rule", check_rule, raising=False)
    status, out, _ = run(capsys, "check", "sin", "cos")
    assert status == 1 and "ERROR: RuntimeError: boom" in out and "cos" in out


def test_check_shows_progress_only_when_slow(capsys, monkeypatch):
    check_rule, _ = fake_check_rule()
    monkeypatch.setattr(reference, "check_rule", check_rule, raising=False)
    status, _, err = run(capsys, "check", "sin", "cos")
    assert status == 0 and err == ""
    check_rule, _ = fake_check_rule(delay=0.3)
    monkeypatch.setattr(reference, "check_rule", check_rule, raising=False)
    monkeypatch.setattr(cli, "_PROGRESS_DELAY", 0.05)
    status, _, err = run(capsys, "check", "sin", "cos")
    assert status == 0
    assert "vjpchain check: sin (1/2)" in err and "vjpchain check: cos (2/2)" in err


def test_check_without_check_rule_says_so(capsys, monkeypatch):
    monkeypatch.delattr(reference, "check_rule", raising=False)
    status, _, err = run(capsys, "check", "sin")
    assert status == 1 and "check_rule" in err


# --- plot ------------------------------------------------------------------------------------


def test_plot_writes_a_png(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "f.png"
    status, out, err = run(capsys, "plot", "exp(sin(sin(x)))", "--range", "0:pi", "-o",
                           str(path), "--error", "--points", "50")
    assert status == 0, err
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(path) in out


def test_plot_a_function_of_one_variable(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "f.png"
    status, _, err = run(capsys, "plot", "x*sin(x)", "--range", "0:3", "-o", str(path),
                         "--error", "--points", "20")
    assert status == 0, err
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    status, _, err = run(capsys, "plot", "x*y", "--range", "0:3", "-o", str(path))
    assert status == 2 and "functions of one variable" in err


def test_plot_range_must_be_valid(capsys, tmp_path):
    path = str(tmp_path / "f.png")
    assert run(capsys, "plot", "sin(x)", "--range", "3:1", "-o", path)[0] == 2
    assert run(capsys, "plot", "sin(x)", "--range", "1", "-o", path)[0] == 2


def test_plot_range_may_start_with_minus(capsys, tmp_path):
    """--range -6:6 as written (argparse took -6:6 for an option), and the points dropped
    outside the domain are counted."""
    pytest.importorskip("matplotlib")
    path = tmp_path / "f.png"
    status, out, err = run(capsys, "plot", "sin(x)", "--range", "-6:6", "-o", str(path),
                           "--points", "12")
    assert status == 0, err
    assert out.strip() == f"wrote {path} (12 points on [-6.0, 6.0])"
    status, out, err = run(capsys, "plot", "log(x)", "--range", "-6:6", "-o", str(path),
                           "--points", "12")
    assert status == 0, err
    assert out.strip() == (f"wrote {path} (12 points on [-6.0, 6.0]; 6 outside the domain "
                           "of log(x), not drawn)")


def test_plot_outside_the_domain_exits_1(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    status, _, err = run(capsys, "plot", "log(x)", "--range=-3:-1", "-o",
                         str(tmp_path / "f.png"))
    assert status == 1 and "defined nowhere" in err


def test_plot_without_matplotlib_names_the_extra(capsys, monkeypatch, tmp_path):
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)
    path = tmp_path / "f.png"
    status, _, err = run(capsys, "plot", "sin(x)", "--range", "0:1", "-o", str(path))
    assert status == 1
    assert "pip install 'vjpchain[plot]'" in err
    assert not path.exists()


# --- python -m vjpchain ----------------------------------------------------------------------


def test_python_m_vjpchain_is_the_command(capsys):
    done = subprocess.run(
        [sys.executable, "-m", "vjpchain", "grad", "exp(sin(sin(x)))", "2.0"],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == run(capsys, "grad", "exp(sin(sin(x)))", "2.0")[1]
    done = subprocess.run([sys.executable, "-m", "vjpchain", "grad", "x1*x2", "x1=3", "x2=4"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "f(x1=3.0, x2=4.0) = 12.0"
    done = subprocess.run([sys.executable, "-m", "vjpchain", "grad", "x1*x2", "x1=3"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and "no value for x2" in done.stderr


def test_check_passes_on_every_builtin_primitive(capsys):
    """`vjpchain check` with no names checks every primitive `rules` lists and exits 0."""
    assert cli.main(["check"]) == 0
    out = capsys.readouterr().out
    for name in ("tanh", "lgamma", "sinc", "erfc", "acosh", "mul", "pow", "atan2", "hypot",
                 "maximum", "power(3)", "power(0.5)", "power(-2)", "scale(2.5)", "shift(-1.0)"):
        assert any(line.split()[0] == name and line.rstrip().endswith("ok")
                   for line in out.splitlines()), name
    assert "0 failed" in out
