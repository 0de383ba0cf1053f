"""Plain MCPs: written as functions (MCP.from_functions) or as a Pyomo model with pyomo.mpec (mcp_from_pyomo),
solved by the relaxation chain and checked against known solutions."""

import math
from unittest import mock

import casadi as ca
import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.mpec import Complementarity, complements

from cases import river_basin as rb
from sharedeq.errors import ModelError
from sharedeq.mcp import MCP, mcp_from_pyomo
from sharedeq.solve import solve as sharedeq_solve
from tests.test_newton import kojshin

TOL = 1e-8
KOJSHIN_SOLUTIONS = np.array([[1.0, 0.0, 3.0, 0.0], [math.sqrt(6) / 2, 0.0, 0.0, 0.5]])
#: MCPLIB's standard starts for kojshin (kojshin.mod's xinit)
KOJSHIN_STARTS = [(0, 0, 0, 0), (1, 1, 1, 1), (100, 100, 100, 100), (1, 0, 1, 0), (1, 0, 0, 0), (0, 1, 1, 0),
                  (0, 1, 0, 1), (1.25, 0, 0, 0.5)]


def solve(mcp):
    """The solving chain on a plain MCP (``sharedeq.solve``): (z, its MCP residual)."""
    z = sharedeq_solve(mcp, tol=TOL).z
    return z, float(np.abs(mcp.natural_residual(z)).max())


# ---------------------------------------------------------------------------------------------- from functions
def lcp_data():
    """``w = M z + q >= 0 _|_ z >= 0`` built around a chosen solution: ``M`` has a positive definite symmetric
    part (so the solution is unique) and ``q = w* - M z*`` with ``z*, w*`` complementary."""
    n = 6
    M = 4 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1) + 0.5 * (np.eye(n, k=2) - np.eye(n, k=-2))
    z_star = np.array([1.0, 0.0, 2.0, 0.0, 0.5, 0.0])
    w_star = np.array([0.0, 3.0, 0.0, 1.0, 0.0, 2.0])
    return M, w_star - M @ z_star, z_star, w_star


def test_lcp_with_a_known_solution_as_an_sx_expression():
    M, q, z_star, w_star = lcp_data()
    z = ca.SX.sym("z", 6)
    mcp = MCP.from_functions(ca.mtimes(ca.DM(M), z) + q, 0.0, np.inf, z=z, names=[f"z{k}" for k in range(6)])
    assert list(mcp.pairs["kind"]) == ["vi"] * 6 and list(mcp.pairs["equation"]) == [f"F[{k}]" for k in range(6)]
    assert np.allclose(mcp.evaluate(z_star), w_star, atol=1e-14)
    solution, residual = solve(mcp)
    assert residual <= TOL
    assert np.allclose(solution, z_star, atol=1e-8) and np.allclose(M @ solution + q, w_star, atol=1e-8)


def test_box_pairs_from_a_casadi_function():
    """``F(z) = z - c`` on ``[0, 1]``: z = clip(c, 0, 1), F >= 0 at 0, <= 0 at 1; an MX Function is expanded."""
    c = np.array([-1.0, 0.25, 2.0])
    x = ca.MX.sym("x", 3)
    mcp = MCP.from_functions(ca.Function("F", [x], [x - c]), 0.0, 1.0)
    assert mcp.size == 3 and list(mcp.pairs["variable"]) == ["z[0]", "z[1]", "z[2]"]
    solution, residual = solve(mcp)
    assert residual <= TOL and np.allclose(solution, [0.0, 0.25, 1.0], atol=1e-8)


@pytest.mark.parametrize("start", KOJSHIN_STARTS)
def test_kojshin_from_every_mcplib_start(start):
    """Either a known solution within the tolerance, or a residual that says it is not one (never a wrong claim)."""
    mcp = MCP.from_functions(kojshin, 0.0, np.inf, z0=start, names=["x1", "x2", "x3", "x4"])
    solution, residual = solve(mcp)
    distance = np.abs(KOJSHIN_SOLUTIONS - solution).max(axis=1).min()
    if start != (0, 1, 1, 0):     # from here the relaxation finds the wrong active set (see test_newton)
        assert residual <= TOL
    assert (residual <= TOL) == (distance < 1e-6)


def test_from_functions_refuses_bad_input():
    with pytest.raises(ModelError, match="size is unknown"):
        MCP.from_functions(lambda z: [z[0]], 0.0, np.inf)
    with pytest.raises(ModelError, match="sizes disagree: lb has 2, ub has 3"):
        MCP.from_functions(lambda z: [z[0], z[1]], [0, 0], [1, 1, 1])
    with pytest.raises(ModelError, match="has 1 components for 2 variables"):
        MCP.from_functions(lambda z: [z[0]], [0, 0], np.inf)
    with pytest.raises(ModelError, match="x2 has empty bounds"):
        MCP.from_functions(lambda z: [z[0], z[1]], [0, 2], [1, 1], names=["x1", "x2"])
    w = ca.SX.sym("w")
    with pytest.raises(ModelError, match="other than z: w"):
        MCP.from_functions(lambda z: [z[0] * w], [0], np.inf)
    with pytest.raises(ModelError, match="repeat a name"):
        MCP.from_functions(lambda z: [z[0], z[1]], [0, 0], np.inf, names=["a", "a"])


# ---------------------------------------------------------------------------------------------- from Pyomo
def kojshin_model(function_first: bool, start=(0.0, 0.0, 0.0, 0.0)):
    m = pyo.ConcreteModel()
    m.I = pyo.RangeSet(1, 4)
    m.x = pyo.Var(m.I, within=pyo.NonNegativeReals, initialize=dict(zip(range(1, 5), start, strict=True)))
    x = m.x
    F = {1: 3 * x[1] ** 2 + 2 * x[1] * x[2] + 2 * x[2] ** 2 + x[3] + 3 * x[4] - 6,
         2: 2 * x[1] ** 2 + x[1] + x[2] ** 2 + 10 * x[3] + 2 * x[4] - 2,
         3: 3 * x[1] ** 2 + x[1] * x[2] + 2 * x[2] ** 2 + 2 * x[3] + 9 * x[4] - 9,
         4: x[1] ** 2 + 3 * x[2] ** 2 + 2 * x[3] + 3 * x[4] - 3}
    if function_first:
        m.f = Complementarity(m.I, rule=lambda m, j: complements(F[j] >= 0, m.x[j] >= 0))
    else:
        m.f = Complementarity(m.I, rule=lambda m, j: complements(0 <= m.x[j], 0 <= F[j]))
    return m


@pytest.mark.parametrize("function_first", [False, True])
def test_kojshin_written_with_pyomo_mpec_either_way_round(function_first):
    mcp = mcp_from_pyomo(kojshin_model(function_first, start=(1.0, 0.0, 0.0, 0.0)))
    assert list(mcp.pairs["variable"]) == [f"x[{j}]" for j in range(1, 5)]
    assert list(mcp.pairs["equation"]) == [f"f[{j}]" for j in range(1, 5)]
    assert np.array_equal(mcp.lb, np.zeros(4)) and np.isposinf(mcp.ub).all()
    assert np.allclose(mcp.z0, [1.0, 0.0, 0.0, 0.0])
    point = np.array([0.3, 0.7, 1.1, 0.2])
    assert np.allclose(mcp.evaluate(point), kojshin(point), atol=1e-14)
    solution, residual = solve(mcp)
    assert residual <= TOL and np.abs(KOJSHIN_SOLUTIONS - solution).max(axis=1).min() < 1e-8


def transmcp(price_responsive: bool):
    """GAMS model library's transmcp (Dantzig's transport problem as an MCP), written as Pyomo users write MCPs."""
    m = pyo.ConcreteModel()
    m.I = pyo.Set(initialize=["seattle", "san-diego"])
    m.J = pyo.Set(initialize=["new-york", "chicago", "topeka"])
    m.a = pyo.Param(m.I, initialize={"seattle": 350, "san-diego": 600})
    m.b = pyo.Param(m.J, initialize={"new-york": 325, "chicago": 300, "topeka": 275})
    distance = {("seattle", "new-york"): 2.5, ("seattle", "chicago"): 1.7, ("seattle", "topeka"): 1.8,
                ("san-diego", "new-york"): 2.5, ("san-diego", "chicago"): 1.8, ("san-diego", "topeka"): 1.4}
    m.c = pyo.Param(m.I, m.J, initialize={k: 90 * d / 1000 for k, d in distance.items()})
    m.esub = pyo.Param(m.J, initialize={"new-york": 1.5, "chicago": 1.2, "topeka": 2.0})
    m.w = pyo.Var(m.I, within=pyo.NonNegativeReals)
    m.p = pyo.Var(m.J, within=pyo.NonNegativeReals, initialize=1.0)
    m.x = pyo.Var(m.I, m.J, within=pyo.NonNegativeReals)
    m.profit = Complementarity(m.I, m.J, rule=lambda m, i, j: complements(m.w[i] + m.c[i, j] >= m.p[j], m.x[i, j]))
    m.supply = Complementarity(m.I, rule=lambda m, i: complements(m.a[i] >= sum(m.x[i, j] for j in m.J), m.w[i]))
    if price_responsive:
        m.demand = Complementarity(m.J, rule=lambda m, j: complements(
            sum(m.x[i, j] for i in m.I) >= m.b[j] * m.p[j] ** -m.esub[j], m.p[j]))
    else:
        m.demand = Complementarity(m.J, rule=lambda m, j: complements(sum(m.x[i, j] for i in m.I) >= m.b[j], m.p[j]))
    return m


def test_transmcp_fixed_demand_gives_the_transport_lp_and_its_duals():
    """fixedqty: the transport LP's optimum (cost 153.675 k$) and its unique duals p = (0.225, 0.153, 0.126),
    w = 0 (published with GAMS's transport model)."""
    m = transmcp(price_responsive=False)
    mcp = mcp_from_pyomo(m)
    assert mcp.size == 11 and set(mcp.pairs["kind"]) == {"vi"}
    assert "x[seattle,new-york]" in set(mcp.pairs["variable"]) and "supply[san-diego]" in set(mcp.pairs["equation"])
    solution, residual = solve(mcp)
    assert residual <= TOL
    value = dict(zip(mcp.pairs["variable"], solution, strict=True))
    x = {(i, j): value[f"x[{i},{j}]"] for i in m.I for j in m.J}
    assert sum(pyo.value(m.c[k]) * x[k] for k in x) == pytest.approx(153.675, abs=1e-6)
    assert [value[f"p[{j}]"] for j in m.J] == pytest.approx([0.225, 0.153, 0.126], abs=1e-8)
    assert [value[f"w[{i}]"] for i in m.I] == pytest.approx([0.0, 0.0], abs=1e-8)
    for j in m.J:
        assert sum(x[i, j] for i in m.I) == pytest.approx(pyo.value(m.b[j]), abs=1e-6)
    for i in m.I:
        assert sum(x[i, j] for j in m.J) <= pyo.value(m.a[i]) + 1e-6
    assert min(x.values()) >= -1e-9


def test_transmcp_price_responsive_demand_is_an_equilibrium():
    """equilqty: zero profit on every used route, no route with profit, demand b p^-esub met exactly where p > 0."""
    m = transmcp(price_responsive=True)
    mcp = mcp_from_pyomo(m)
    solution, residual = solve(mcp)
    assert residual <= TOL
    value = dict(zip(mcp.pairs["variable"], solution, strict=True))
    w, p = {i: value[f"w[{i}]"] for i in m.I}, {j: value[f"p[{j}]"] for j in m.J}
    x = {(i, j): value[f"x[{i},{j}]"] for i in m.I for j in m.J}
    for (i, j), shipped in x.items():
        margin = w[i] + pyo.value(m.c[i, j]) - p[j]
        assert margin >= -1e-8 and shipped >= -1e-8 and abs(margin * shipped) < 1e-6
    for j in m.J:
        assert p[j] > 0.1
        demand = pyo.value(m.b[j]) * p[j] ** -pyo.value(m.esub[j])
        assert sum(x[i, j] for i in m.I) == pytest.approx(demand, rel=1e-8)
    for i in m.I:
        slack = pyo.value(m.a[i]) - sum(x[i, j] for j in m.J)
        assert slack >= -1e-6 and w[i] >= -1e-9 and abs(slack * w[i]) < 1e-6


def test_every_written_form_of_a_pair():
    """Equation with a free variable, a box, an upper bound, each against its closed-form solution."""
    m = pyo.ConcreteModel()
    m.y = pyo.Var(initialize=5.0)
    m.b = pyo.Var(bounds=(-10, 10))
    m.u = pyo.Var()
    m.v = pyo.Var(within=pyo.NonNegativeReals)
    m.eq = Complementarity(expr=complements(2 * m.y == 3, m.y))                 # y = 1.5
    m.box = Complementarity(expr=complements(pyo.inequality(0, m.b, 1), m.b - 4))  # b - 4 <= 0 at b = 1
    m.up = Complementarity(expr=complements(m.u <= 2, m.u - 5 <= 0))           # u = 2, where u - 5 < 0
    m.pos = Complementarity(expr=complements(m.v + m.y >= 2, m.v))             # v + 1.5 >= 2 at v = 0.5
    mcp = mcp_from_pyomo(m)
    assert list(mcp.pairs["variable"]) == ["y", "b", "u", "v"]
    assert list(mcp.lb) == [-np.inf, 0.0, -np.inf, 0.0] and list(mcp.ub) == [np.inf, 1.0, 2.0, np.inf]
    assert mcp.z0[0] == 5.0
    solution, residual = solve(mcp)
    assert residual <= TOL
    assert np.allclose(solution, [1.5, 1.0, 2.0, 0.5], atol=1e-8)


def test_round_trip_through_to_pyomo():
    """MCP.to_pyomo writes every bound type; reading it back gives the same F, bounds and names."""
    mcp = rb.build_problem("gne").mcp(mode="gne")
    model = mcp.to_pyomo()
    back = mcp_from_pyomo(model)
    assert list(back.pairs["variable"]) == [model.z[label].name for label in mcp.pairs["variable"]]
    assert np.array_equal(back.lb, mcp.lb) and np.array_equal(back.ub, mcp.ub)
    z = np.linspace(0.5, 2.0, mcp.size)
    assert np.allclose(back.evaluate(z), mcp.evaluate(z), atol=1e-12)


def test_models_it_cannot_read_are_refused_by_name():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(within=pyo.NonNegativeReals)
    m.y = pyo.Var(within=pyo.NonNegativeReals)
    m.cc = Complementarity(expr=complements(m.x + m.y >= 0, m.x * m.y >= 1))
    with pytest.raises(ModelError, match="complementarity cc: neither side is a single variable"):
        mcp_from_pyomo(m)

    m.cc.deactivate()
    m.c1 = Complementarity(expr=complements(m.x >= 0, m.y + 1 >= 0))
    with pytest.raises(ModelError, match="y appears in complementarity c1 but no condition pairs it"):
        mcp_from_pyomo(m)

    m.c2 = Complementarity(expr=complements(m.x >= 0, m.x - 1 >= 0))
    with pytest.raises(ModelError, match="x is the variable of two complementarity conditions: c1 and c2"):
        mcp_from_pyomo(m)

    m.c2.deactivate()
    m.c3 = Complementarity(expr=complements(m.x + 1 == 0, m.y))
    with pytest.raises(ModelError, match="c3 asks for .* but y has bounds"):
        mcp_from_pyomo(m)

    m.c3.deactivate()
    m.c4 = Complementarity(expr=complements(pyo.inequality(0, m.x + 1, 1), m.y))
    with pytest.raises(ModelError, match="c4: a ranged function side"):
        mcp_from_pyomo(m)

    m.c4.deactivate()
    m.z = pyo.Var(bounds=(0, 3))
    m.c5 = Complementarity(expr=complements(m.z >= 0, m.x + m.z >= 0))
    m.c6 = Complementarity(expr=complements(m.y >= 0, m.y - 1 >= 0))
    with pytest.raises(ModelError, match="c5 pairs a one-sided condition .* z, which then needs exactly one"):
        mcp_from_pyomo(m)

    m.c5.deactivate()
    m.c7 = Complementarity(expr=complements(m.z, m.z - 1))
    m.stray = pyo.Constraint(expr=m.x + m.y <= 4)
    with pytest.raises(ModelError, match="constraint stray is not part of a complementarity pair"):
        mcp_from_pyomo(m)

    with pytest.raises(ModelError, match="no active pyomo.mpec Complementarity"):
        mcp_from_pyomo(pyo.ConcreteModel())


def test_the_classmethod_reads_the_same_model():
    mcp = MCP.from_pyomo(kojshin_model(True))
    assert mcp.size == 4 and list(mcp.pairs["equation"]) == [f"f[{j}]" for j in range(1, 5)]


# ---------------------------------------------------------------------------------------------- polynomial rows
def _translated(model):
    """The MCP with every row through the translator (the path before sparse matrices), for comparison."""
    from sharedeq import mcp as mcp_module

    read = mcp_module._mpec_function
    with mock.patch.object(mcp_module, "_mpec_function", lambda *args: read(*args, polynomial=False, lift=False)):
        return mcp_from_pyomo(model)


def _same_function(a, b, points):
    """``F`` and ``dF/dz`` of two MCPs agree to 1e-12 (relative) at ``points``; returns the largest gap."""
    jac_a = ca.Function("J", [a.z], [ca.jacobian(a.F, a.z)])
    jac_b = ca.Function("J", [b.z], [ca.jacobian(b.F, b.z)])
    gap = 0.0
    for z in points:
        fa, fb = a.evaluate(z), b.evaluate(z)
        ja, jb = jac_a(z).full(), jac_b(z).full()
        gap = max(gap, np.abs(fa - fb).max() / max(1.0, np.abs(fb).max()),
                  np.abs(ja - jb).max() / max(1.0, np.abs(jb).max()))
    assert gap <= 1e-12
    return gap


def test_a_sparse_lcp_is_read_as_its_matrix():
    """``0 <= z _|_ M z + q >= 0`` written row by row in Pyomo: F is exactly M z + q, dF/dz is M, the same
    function as the translator's, and the solve finds the unique solution (M's symmetric part is D > 0)."""
    from benchmarks.mcplib import lcp_data, random_lcp

    n = 300
    M, q = lcp_data(n, seed=3)
    model = random_lcp(n, seed=3)
    mcp = mcp_from_pyomo(model)
    rng = np.random.default_rng(0)
    points = [rng.uniform(0, 2, n) for _ in range(3)]
    for z in points:
        assert np.allclose(mcp.evaluate(z), M @ z + q, rtol=1e-13, atol=1e-13)
    jac = ca.Function("J", [mcp.z], [ca.jacobian(mcp.F, mcp.z)])(points[0]).full()
    assert np.array_equal(jac != 0, M.toarray() != 0) and np.allclose(jac, M.toarray(), rtol=0, atol=1e-15)
    _same_function(mcp, _translated(model), points)
    _relaxation_derivatives_are_exact(mcp, points)
    z, residual = solve(mcp)
    w = M @ z + q
    assert residual <= TOL and z.min() >= -1e-10 and w.min() >= -1e-8 and abs(z @ w) <= 1e-6


def test_quadratic_and_mixed_rows():
    """Quadratic rows (products and squares, parameters, fixed variables), a component whose first row is
    nonlinear and one whose later row is, a long dense row: F and dF/dz equal the translator's and numpy's."""
    m = pyo.ConcreteModel()
    m.I = pyo.RangeSet(0, 99)
    m.x = pyo.Var(m.I, bounds=(0, None), initialize=lambda m, i: 0.1 * i)
    m.a = pyo.Param(initialize=2.0, mutable=True)
    m.fixed = pyo.Var(initialize=3.0)
    m.fixed.fix()
    m.quad = Complementarity(range(0, 40), rule=lambda m, i: complements(
        m.x[i] >= 0, m.a * m.x[i] ** 2 + m.x[i] * m.x[(i + 1) % 100] - m.fixed * m.x[i] + 1 >= 0))
    m.mixed = Complementarity(range(40, 60), rule=lambda m, i: complements(
        m.x[i] >= 0, (pyo.exp(m.x[i]) if i == 50 else m.x[i] - 0.5 * m.x[i - 1]) >= 0))
    m.first_nonlinear = Complementarity(range(60, 70), rule=lambda m, i: complements(
        m.x[i] >= 0, (m.x[i] ** 3 if i == 60 else 2 * m.x[i] + m.x[0]) >= 0))
    m.dense = Complementarity(range(70, 100), rule=lambda m, i: complements(
        m.x[i] >= 0, sum(m.x[j] for j in m.I) / (1 + (i == 70)) + m.x[i] ** 2 - 1 >= 0))

    def numpy_F(x):
        F = np.empty(100)
        i = np.arange(40)
        F[i] = 2 * x[i] ** 2 + x[i] * x[(i + 1) % 100] - 3 * x[i] + 1
        i = np.arange(40, 60)
        F[i] = x[i] - 0.5 * x[i - 1]
        F[50] = np.exp(x[50])
        F[60:70] = 2 * x[60:70] + x[0]
        F[60] = x[60] ** 3
        F[70:100] = x.sum() + x[70:100] ** 2 - 1
        F[70] = x.sum() / 2 + x[70] ** 2 - 1
        return F

    from sharedeq.translate import Translator

    translate = Translator.__call__
    with mock.patch.object(Translator, "__call__", autospec=True, side_effect=translate) as translated:
        mcp = mcp_from_pyomo(m)
    # through the translator: mixed[50..59] (after its first nonlinear row), first_nonlinear, dense (> 64 terms)
    assert translated.call_count == 10 + 10 + 30
    points = [np.random.default_rng(k).uniform(0, 2, 100) for k in range(3)]
    for z in points:
        assert np.allclose(mcp.evaluate(z), numpy_F(z), rtol=1e-14, atol=1e-14)
    _same_function(mcp, _translated(m), points)
    _relaxation_derivatives_are_exact(mcp, points)


def _relaxation_derivatives_are_exact(mcp, points):
    """The relaxation's Jacobian (polynomial rows from their coefficients) and Hessian of the Lagrangian (linear
    rows left out) equal casadi's derivatives of its own g and Lagrangian, at ``points`` with random slacks and
    multipliers."""
    from sharedeq.reformulate import relax

    nlp = relax(mcp)
    assert mcp.polynomial_jacobian is not None
    lam_g = ca.SX.sym("lam_g", nlp.g.shape[0])
    reference = ca.Function("ref", [nlp.x, lam_g], [ca.jacobian(nlp.g, nlp.x),
                                                     ca.triu(ca.hessian(0.5 * nlp.f + ca.dot(lam_g, nlp.g), nlp.x)[0])])
    rng = np.random.default_rng(4)
    for z in points:
        x = rng.uniform(0, 1, nlp.x.shape[0])
        x[: mcp.size] = z
        lam = rng.uniform(-1, 1, nlp.g.shape[0])
        jac, hess = (m.full() for m in reference(x, lam))
        assert np.abs(nlp.jac_g(x, 0.0)[1].full() - jac).max() <= 1e-12 * max(1.0, np.abs(jac).max())
        assert np.abs(nlp.hess_lag(x, 0.0, 0.5, lam).full() - hess).max() <= 1e-12 * max(1.0, np.abs(hess).max())


def test_polynomial_rows_refuse_bad_input_by_name():
    """An unpaired variable in a linear or quadratic row, a fixed variable without a value: the same errors as
    the translator gives, in the model's names."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], bounds=(0, None))
    m.stray = pyo.Var()
    m.c = Complementarity([1, 2], rule=lambda m, i: complements(m.x[i] >= 0, m.x[i] + 2 * m.stray + 1 >= 0))
    with pytest.raises(ModelError, match=r"complementarity c\[1\]: stray appears in complementarity c\[1\] but no"):
        mcp_from_pyomo(m)
    m.c.deactivate()
    m.d = Complementarity([1, 2], rule=lambda m, i: complements(m.x[i] >= 0, m.x[i] * m.stray + 1 >= 0))
    with pytest.raises(ModelError, match=r"complementarity d\[1\]: stray appears"):
        mcp_from_pyomo(m)
    m.d.deactivate()
    m.stray.fix(None)
    m.e = Complementarity([1, 2], rule=lambda m, i: complements(m.x[i] >= 0, m.x[i] + m.stray >= 0))
    with pytest.raises(ModelError, match=r"stray in complementarity e\[1\] is fixed but has no value"):
        mcp_from_pyomo(m)


# ---------------------------------------------------------------------------------------------- dense aggregates
def test_ehl_kost_film_thickness_is_lifted_in_the_relaxation_only():
    """MCPLIB's ehl_kost (N = 30): each film thickness H_j, a sum over the whole grid, is cubed in rows j and j+1.
    The translator lifts the N + 1 sums into symbols for the relaxation; the MCP's F and dF/dz are the
    translator's without lifting (to 1e-12) and numpy's; the relaxation's total derivative dF/dz is F's
    Jacobian; the Hessian of its Lagrangian is sparse (180 structural nonzeros against 526); the solve agrees with
    the numpy F."""
    from benchmarks.mcplib import ehl_kost, ehl_kost_numpy
    from sharedeq.reformulate import relax

    N = 30
    model = ehl_kost(N)
    mcp, plain = mcp_from_pyomo(model), _translated(model)
    assert mcp.aggregates is not None and mcp.aggregates.symbols.shape == (N + 1, 1) and plain.aggregates is None
    rng = np.random.default_rng(2)
    points = [np.clip(mcp.z0 + rng.uniform(0, 0.3, mcp.size), mcp.lb, mcp.ub) for _ in range(3)]
    _same_function(mcp, plain, points)
    aggregates = mcp.aggregates
    lifted = ca.Function("lifted", [mcp.z], [ca.substitute(aggregates.lifted, aggregates.symbols,
                                                           aggregates.definitions)])
    jacobian = ca.Function("J", [mcp.z], [ca.jacobian(mcp.F, mcp.z)])
    nlp, plain_nlp = relax(mcp), relax(plain)
    for z in points:
        scale = np.abs(ehl_kost_numpy(z, N)).max()
        assert np.abs(mcp.evaluate(z) - ehl_kost_numpy(z, N)).max() <= 1e-12 * scale
        assert np.abs(np.asarray(lifted(z)).ravel() - mcp.evaluate(z)).max() <= 1e-12 * scale
        J = jacobian(z).full()
        assert np.abs(nlp.dF_dz(z).toarray() - J).max() <= 1e-12 * np.abs(J).max()
    assert nlp.hess_lag.sparsity_out(0).nnz() == 180 and plain_nlp.hess_lag.sparsity_out(0).nnz() == 526
    z, residual = solve(mcp)
    assert z.shape == (N + 1,) and residual <= TOL
    assert np.abs(np.clip(z - ehl_kost_numpy(z, N), mcp.lb, mcp.ub) - z).max() <= TOL
