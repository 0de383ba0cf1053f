"""Exporting the MCP: a GAMS model file (one =n= equation and variable per pair) and an AMPL .nl file."""

import math
import re

import casadi as ca
import numpy as np
import pyomo.environ as pyo
import pytest

import sharedeq as sq
from cases import river_basin as rb
from sharedeq.mcp import sx_to_gams, wrap_gams


def river_mcp(mode="ve"):
    return rb.build_problem(mode).mcp(mode=mode)


def nonlinear_mcp():
    """Exercise the walker on every operation a GAMS writer has to spell: powers, exp, log, sqrt, division."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], bounds=(0.5, 5), initialize=1.0)
    m.y = pyo.Var(initialize=0.3)
    m.c = pyo.Constraint(expr=m.x[1] + m.x[2] <= 4)
    game = sq.EquilibriumProblem(m, name="nonlinear")
    game.add_agent("a", objective=(m.x[1] - 2) ** 4 + m.x[1] ** 5 + pyo.exp(0.1 * m.x[1] * m.x[2])
                   + m.x[1] * pyo.log(m.x[1]) / m.x[2], variables=m.x[1])
    game.add_agent("b", objective=pyo.sqrt(m.x[2] + 1) * -1 + m.x[2] ** 2.5 / 3 + abs(m.y) * m.x[2],
                   variables=m.x[2])
    game.add_agent("c", objective=(m.y - 0.1 * m.x[1]) ** 2, variables=m.y)
    game.add_shared(m.c)
    return game.mcp(mode="ve")


GAMS_FUNCTIONS = {
    "power": np.power, "rPower": np.power, "sqr": np.square, "exp": np.exp, "log": np.log, "sqrt": np.sqrt,
    "abs": np.abs, "sin": np.sin, "cos": np.cos, "tan": np.tan, "tanh": np.tanh, "min": min, "max": max,
    "sign": np.sign,
}


def gams_equations(text):
    """``{equation: expression}`` from the ``name.. expr =n= 0;`` statements of a GAMS file."""
    body = " ".join(line for line in text.splitlines() if not line.startswith("*"))
    return dict(re.findall(r"(\w+)\.\.\s*(.*?)\s*=n=\s*0\s*;", body))


def evaluate_gams(text, names, z):
    """Evaluate each F_k as written in GAMS: the syntax used is Python's once names are bound."""
    namespace = {**GAMS_FUNCTIONS, **{var: float(value) for (var, _), value in zip(names, z, strict=True)}}
    equations = gams_equations(text)
    return np.array([eval(equations[eq], {"__builtins__": {}}, namespace) for _, eq in names])


def check_well_formed(text, mcp):
    lines = text.splitlines()
    assert all(len(line) < 255 for line in lines)
    assert text.count("(") == text.count(")")
    assert [line for line in lines if line.strip()][-1] == "Solve sharedeq_mcp using mcp;"
    names = mcp.gams_names()
    assert len(names) == mcp.size
    identifiers = [n.lower() for pair in names for n in pair]
    assert len(set(identifiers)) == len(identifiers)
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,62}", n) for n in identifiers)
    equations = gams_equations(text)
    assert list(equations) == [eq for _, eq in names]
    model = re.search(r"Model sharedeq_mcp /(.*?)/;", " ".join(lines), flags=re.S).group(1)
    assert [p.strip() for p in model.split(",")] == [f"{eq}.{var}" for var, eq in names]
    for (var, _), label in zip(names, mcp.pairs["variable"], strict=True):
        assert f"* {var} / F_" in text and label in text
    return names


@pytest.mark.parametrize("mode", ["ve", "gne"])
def test_river_basin_gams_file_has_every_pair_and_the_same_F(tmp_path, mode):
    mcp = river_mcp(mode)
    path = tmp_path / "river.gms"
    text = mcp.to_gams(path)
    assert path.read_text() == text
    names = check_well_formed(text, mcp)
    assert "Positive Variables" in text and "x_1.l = 1;" in text
    rng = np.random.default_rng(0)
    for _ in range(3):
        z = rng.uniform(0.1, 30.0, mcp.size)
        np.testing.assert_allclose(evaluate_gams(text, names, z), mcp.evaluate(z), rtol=1e-12, atol=1e-12)


def test_nonlinear_operations_and_bounds_round_trip():
    mcp = nonlinear_mcp()
    text = mcp.to_gams()
    names = check_well_formed(text, mcp)
    for word in ("sqr(", "exp(", "log(", "sqrt(", "rPower(", "abs("):
        assert word in text
    assert "x_1.lo = 0.5;" in text and "x_1.up = 5;" in text
    z = np.linspace(0.7, 1.9, mcp.size)
    np.testing.assert_allclose(evaluate_gams(text, names, z), mcp.evaluate(z), rtol=1e-12)


def test_sx_to_gams_spells_casadi_operations():
    z = ca.SX.sym("z", 2)
    F = ca.vertcat(z[0] ** 3, ca.fmax(z[0], z[1]) - ca.exp(-z[1]) / ca.sin(z[0]), z[1] ** z[0], -(z[0] - z[1]),
                   ca.constpow(z[0], 7), 3 - (z[0] * (z[1] / z[0])), ca.fabs(z[0] - 2 * z[1]) ** 0.5)
    texts = sx_to_gams(F, z, ["a", "b"])
    assert texts[3] == "-(a - b)" and texts[4] == "a * sqr(a * sqr(a))" and "rPower(b, a)" in texts
    point = np.array([0.7, 1.3])
    namespace = {**GAMS_FUNCTIONS, "a": point[0], "b": point[1]}
    expected = np.asarray(ca.Function("F", [z], [F])(point)).ravel()
    np.testing.assert_allclose([eval(t, {"__builtins__": {}}, namespace) for t in texts], expected, rtol=1e-14)


def test_long_expressions_are_wrapped_at_blanks():
    n = 60
    m = pyo.ConcreteModel()
    m.i = pyo.RangeSet(n)
    m.x = pyo.Var(m.i, bounds=(0, None), initialize=1.0)
    m.cap = pyo.Constraint(expr=sum((k % 7 + 1.123456789) * m.x[k] for k in m.i) <= 1000)
    game = sq.EquilibriumProblem(m, name="long")
    for k in m.i:
        game.add_agent(f"p{k}", objective=(m.x[k] - k) ** 2, variables=m.x[k])
    game.add_shared(m.cap)
    mcp = game.mcp(mode="ve")
    text = mcp.to_gams()
    names = check_well_formed(text, mcp)
    assert max(len(line) for line in text.splitlines()) > 150  # wrapped, not short by luck
    z = np.linspace(0.0, 2.0, mcp.size)
    np.testing.assert_allclose(evaluate_gams(text, names, z), mcp.evaluate(z), rtol=1e-12)


def test_wrap_breaks_only_at_blanks():
    words = [f"x{k}" for k in range(200)]
    lines = wrap_gams(" + ".join(words), width=50)
    assert all(len(line) <= 50 for line in lines)
    assert " ".join(line.strip() for line in lines) == " + ".join(words)


def test_names_are_sanitised_and_unique():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(["a b", "a-b", "sum"], initialize=0.0)
    game = sq.EquilibriumProblem(m)
    for k in m.x:
        game.add_agent(k, objective=(m.x[k] - 1) ** 2, variables=m.x[k])
    mcp = game.mcp()
    check_well_formed(mcp.to_gams(), mcp)


def nl_header(path):
    lines = path.read_text().splitlines()
    assert re.fullmatch(r"g3 \d+ \d+ \d+.*", lines[0])
    n_vars, n_cons, n_objs, n_ranges, n_eqns = map(int, lines[1].split("#")[0].split()[:5])
    nlc, nlo, cc_lin, cc_nonlin = map(int, lines[2].split("#")[0].split()[:4])
    return dict(vars=n_vars, cons=n_cons, eqns=n_eqns, cc=cc_lin + cc_nonlin, nonlinear=nlc, lines=lines)


@pytest.mark.parametrize("build", [river_mcp, nonlinear_mcp], ids=["river", "nonlinear"])
def test_nl_file_has_one_complementarity_per_bounded_pair(tmp_path, build):
    mcp = build()
    path = mcp.to_nl(tmp_path / "m.nl", symbolic_solver_labels=True)
    header = nl_header(path)
    bounded = int(np.sum(np.isfinite(mcp.lb) | np.isfinite(mcp.ub)))
    free = mcp.size - bounded
    assert header["cc"] == bounded
    # Pyomo's mpec.nl adds one variable v = F_k(z) per complementarity pair
    assert header["vars"] == mcp.size + bounded
    assert header["cons"] == 2 * bounded + free
    assert header["eqns"] == bounded + free
    lines = header["lines"]
    start = next(n for n, line in enumerate(lines) if line.split("\t")[0].strip() == "r") + 1
    rows = lines[start:start + header["cons"]]
    assert sum(row.startswith("5 ") for row in rows) == bounded
    # the .col file names the columns: the complemented ones are the bounded pairs' variables
    columns = path.with_suffix(".col").read_text().splitlines()
    complemented = {columns[int(row.split()[2]) - 1] for row in rows if row.startswith("5 ")}
    labels = [label for k, label in enumerate(mcp.pairs["variable"])
              if np.isfinite(mcp.lb[k]) or np.isfinite(mcp.ub[k])]
    assert len(complemented) == bounded
    assert all(any(label in column for column in complemented) for label in labels)


def test_nl_keeps_the_nonlinear_rows(tmp_path):
    header = nl_header(nonlinear_mcp().to_nl(tmp_path / "n.nl"))
    assert header["nonlinear"] > 0 and not math.isnan(header["nonlinear"])
