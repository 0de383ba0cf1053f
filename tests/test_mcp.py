"""The MCP is inspectable: sizes, provenance of each pair, pyomo.mpec export; its residual is exact."""

import io

import numpy as np
import pyomo.environ as pyo
from pyomo.mpec import Complementarity

from cases import river_basin as rb


def test_pairs_carry_provenance_in_the_users_names():
    mcp = rb.build_problem("ve").mcp(mode="ve")
    assert mcp.size == 6
    pairs = mcp.pairs.set_index("variable")
    assert pairs.loc["x[2]", "kind"] == "stationarity" and pairs.loc["x[2]", "agent"] == "2"
    assert pairs.loc["cons[1].m", "kind"] == "multiplier" and pairs.loc["cons[1].m", "equation"] == "cons[1]"
    assert pairs.loc["total", "kind"] == "definition"
    assert list(mcp.lb[:3]) == [0.0, 0.0, 0.0] and np.isposinf(mcp.ub[:3]).all()   # bounds, not constraints
    gne = rb.build_problem("gne").mcp(mode="gne")
    assert sorted(gne.pairs.query("kind == 'multiplier'")["variable"]) == sorted(
        f"cons[{s}].m[{i}]" for s in (1, 2) for i in (1, 2, 3))
    assert "3 stationarity, 6 multiplier" in gne.summary()


def test_stationarity_rows_are_the_derivatives_of_each_agents_lagrangian():
    """F at a point equals hand-derived KKT expressions of the river basin."""
    mcp = rb.build_problem("ve").mcp(mode="ve")
    x = np.array([3.0, 4.0, 5.0])
    lam = np.array([0.2, 0.7])
    values = {"x[1]": x[0], "x[2]": x[1], "x[3]": x[2], "total": x.sum(), "cons[1].m": lam[0], "cons[2].m": lam[1]}
    assert sorted(mcp.pairs["variable"]) == sorted(values)
    z = np.array([values[name] for name in mcp.pairs["variable"]])
    row = {name: k for k, name in enumerate(mcp.pairs["variable"])}
    F = mcp.evaluate(z)
    for k, i in enumerate(rb.FIRMS):
        expected = rb.C[1, i] + 2 * rb.C[2, i] * x[k] - rb.D1 + rb.D2 * x.sum() + rb.D2 * x[k] \
            + sum(lam[s - 1] * rb.U[i, s] * rb.E[i] for s in rb.STATIONS)
        assert abs(F[row[f"x[{i}]"]] - expected) < 1e-12
    for s in rb.STATIONS:
        assert abs(F[row[f"cons[{s}].m"]] - (rb.K[s] - sum(rb.U[i, s] * rb.E[i] * x[i - 1] for i in rb.FIRMS))) < 1e-12


def test_export_to_pyomo_mpec_complementarity():
    mcp = rb.build_problem("gne").mcp(mode="gne")
    model = mcp.to_pyomo()
    comps = list(model.component_data_objects(Complementarity))
    assert len(comps) == mcp.size
    buf = io.StringIO()
    model.pairs.pprint(ostream=buf)
    text = buf.getvalue()
    assert "cons[1].m[2]" in text and "x[3]" in text
    # the exported expressions evaluate to the same F
    z = np.linspace(0.5, 2.0, mcp.size)
    for k, label in enumerate(mcp.pairs["variable"]):
        model.z[label].value = z[k]
    pyo.TransformationFactory("mpec.simple_nonlinear").apply_to(model)
    F = mcp.evaluate(z)
    for k, label in enumerate(mcp.pairs["variable"]):
        body = model.pairs[label].c.body
        assert abs(abs(pyo.value(body)) - abs(F[k])) < 1e-10


def test_natural_residual_is_zero_exactly_at_the_solution():
    problem = rb.build_problem("ve")
    sol = problem.solve(mode="ve")
    assert np.abs(sol.mcp.natural_residual(sol.z)).max() < 1e-8
    bumped = sol.z.copy()
    bumped[0] += 1e-3
    assert np.abs(sol.mcp.natural_residual(bumped)).max() > 1e-5
