"""Statuses claim no more than was checked: each verdict on a point whose nature is known in closed form."""

import warnings

import numpy as np
import pyomo.environ as pyo
import pytest

import sharedeq as sq
from sharedeq.markets.clearing import add_market_clearing
from sharedeq.solution import NotConvergedWarning


def _crowded_market():
    """p_i maximises x_i (1 - S)^2 / S, S = x_1 + x_2 <= 1 shared (written as a minimisation).

    At any split of S = 1 both first-order conditions hold with zero multiplier, but moving into the interior
    (the weakly active constraint allows it) raises the payoff: not an equilibrium. The symmetric equilibrium is
    interior: d/dx_1 = (1 - S)(3 S - 1) / (2 S) = 0 at S = 1/3, x = (1/6, 1/6).
    """
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], bounds=(0.01, None), initialize={1: 0.6, 2: 0.4})
    m.c = pyo.Constraint(expr=m.x[1] + m.x[2] <= 1)
    S = m.x[1] + m.x[2]
    p = sq.EquilibriumProblem(m, name="crowded market")
    p.add_agent("p1", -m.x[1] * (1 - S) ** 2 / S, m.x[1])
    p.add_agent("p2", -m.x[2] * (1 - S) ** 2 / S, m.x[2])
    p.add_shared(m.c)
    return p


def test_negative_curvature_along_a_weakly_active_constraint_is_not_an_equilibrium():
    problem = _crowded_market()
    solution = problem.solve(mode="ve", verify=False)
    assert np.isclose(sum(solution.z[:2]), 1.0)  # the trap: a KKT point on S = 1
    solution.verify()
    assert solution.status == "not an equilibrium" and not solution.verified
    text = solution.summary()
    assert text.startswith("KKT POINT, NOT AN EQUILIBRIUM")
    assert "agent 'p1': not a best response: negative curvature" in text and "along x[1] -1" in text
    # the closed form agrees: moving x1 down from the point raises p1's payoff
    x1, x2 = solution.z[:2]
    payoff = lambda a, b: a * (1 - a - b) ** 2 / (a + b)  # noqa: E731
    assert payoff(x1 - 0.05, x2) > payoff(x1, x2) + 1e-4


def test_the_solver_escapes_from_that_point_to_the_interior_equilibrium():
    solution = _crowded_market().solve(mode="ve")
    assert np.allclose(solution.z[:2], 1 / 6, atol=1e-8)
    assert solution.steps["step"].str.startswith("restart from better responses of 'p1', 'p2'").any()
    # one variable each on a bounded interval: interval branch and bound proves each best response global
    assert solution.status == "equilibrium" and solution.summary().startswith("EQUILIBRIUM FOUND")
    assert set(solution.checks["method"].str.split(" [(]", regex=True).str[0]) == {"interval branch and bound"}


def test_an_approximate_kkt_point_far_out_on_an_unbounded_set_is_not_a_best_response():
    # min 1/x on x >= 1 has no minimiser; the solver stops where the gradient -1/x^2 is below tolerance (or below
    # the rounding of x itself), a point that the convexity of 1/x alone would certify
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], initialize=1.0)
    m.x[1].setlb(1)
    problem = sq.EquilibriumProblem(m, name="no best response")
    problem.add_agent("p1", 1 / m.x[1], m.x[1])
    problem.add_agent("p2", (m.x[2] - 1) ** 2, m.x[2])
    solution = problem.solve()
    assert solution.status != "equilibrium"
    assert solution.checks.at["p1", "convexity"] == "convex"
    assert solution.checks.at["p1", "verdict"] == "not a best response"
    x1 = solution.value(m.x[1])
    assert solution.checks.at["p1", "gain"] > 0 and 1 / x1 > solution.checks.at["p1", "gain"] > 1e-7 / x1
    assert solution.checks.at["p2", "verdict"] == "best response (proven)"


def test_a_plain_variable_objective_is_certified():
    # a minimises u subject to u >= y (its only constraint); b minimises (y - 2)^2: y = 2, u = 2, multiplier 1
    m = pyo.ConcreteModel()
    m.u = pyo.Var(initialize=0.0)
    m.y = pyo.Var(initialize=0.0)
    m.c = pyo.Constraint(expr=m.u >= m.y)
    problem = sq.EquilibriumProblem(m, name="plain variable objective")
    problem.add_agent("a", m.u, [m.u], constraints=[m.c])
    problem.add_agent("b", (m.y - 2) ** 2, m.y)
    solution = problem.solve()
    assert solution.verified and solution.value(m.u) == pytest.approx(2.0) and solution.value(m.y) == 2.0
    assert solution.multiplier(m.c) == pytest.approx(1.0)


def test_the_interior_equilibrium_of_the_same_game_is_verified():
    problem = _crowded_market()
    problem.model.x[1].value = problem.model.x[2].value = 0.2
    solution = problem.solve(mode="ve")
    assert np.allclose(solution.z[:2], 1 / 6, atol=1e-8)
    assert solution.status in ("equilibrium", "local equilibrium")
    assert set(solution.checks["second_order"]) == {"local min (positive definite)"}


def _ffp():
    """Facchinei, Fischer and Piccialli: f1 = (x1 - 1)^2, f2 = (x2 - 1/2)^2, shared x1 + x2 <= 1; VE (3/4, 1/4)."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], initialize=0.0)
    m.share = pyo.Constraint(expr=m.x[1] + m.x[2] <= 1)
    problem = sq.EquilibriumProblem(m, name="FFP")
    problem.add_agent("p1", (m.x[1] - 1) ** 2, m.x[1])
    problem.add_agent("p2", (m.x[2] - 0.5) ** 2, m.x[2])
    problem.add_shared(m.share)
    return problem


def _scarf_by_hand():
    """Scarf's 1960 economy written by hand (three Leontief LP consumers, numeraire p1 = 1), started at x = 0."""
    n = 3
    m = pyo.ConcreteModel()
    m.I = pyo.RangeSet(n)
    nxt = {i: i % n + 1 for i in m.I}
    m.p = pyo.Var(m.I, domain=pyo.NonNegativeReals, initialize=1.0)
    m.x = pyo.Var(m.I, m.I, domain=pyo.NonNegativeReals, initialize=0.0)
    m.u = pyo.Var(m.I, initialize=0.0)
    m.utility = pyo.Expression(m.I, rule=lambda m, i: m.u[i])
    m.own = pyo.Constraint(m.I, rule=lambda m, i: m.u[i] <= m.x[i, i])
    m.next = pyo.Constraint(m.I, rule=lambda m, i: m.u[i] <= m.x[i, nxt[i]])
    m.budget = pyo.Constraint(m.I, rule=lambda m, i: sum(m.p[j] * m.x[i, j] for j in m.I) <= m.p[i])
    p = sq.EquilibriumProblem(m, name="Scarf by hand")
    for i in m.I:
        p.add_agent(f"c{i}", m.utility[i], [m.u[i], *(m.x[i, j] for j in m.I)],
                    constraints=[m.own[i], m.next[i], m.budget[i]], sense="max")
    add_market_clearing(p, m.p, {j: 1 - sum(m.x[i, j] for i in m.I) for j in m.I}, "numeraire")
    return p


def test_boundary_point_with_exploding_multipliers_is_not_accepted():
    # Scarf's economy has no equilibrium with a zero price; every equilibrium has p = (1, 1, 1) here
    problem = _scarf_by_hand()
    solution = problem.solve()
    p = np.array([pyo.value(problem.model.p[j]) for j in problem.model.I])
    if solution.converged:
        assert np.allclose(p, 1.0, atol=1e-6), f"accepted a point that is no equilibrium: p = {p}"
    else:
        assert solution.summary().startswith("NOT CONVERGED")
        if solution.residual <= solution.tol:
            assert solution.scaled_residual > 1e-3 and "scaled residual" in solution.message


def test_scaled_residual_is_small_at_true_equilibria():
    from cases.river_basin import build_problem

    solution = build_problem().solve(mode="ve")
    assert solution.converged and solution.scaled_residual < 1e-9


@pytest.mark.parametrize("shift, point, accepted", [(-1e3, 1e-4 + 1e-18, True), (1.0, 1e-10, False)])
def test_scaled_residual_scales_only_the_distance_to_a_bound(shift, point, accepted):
    """F(z) = 1e7 z + shift _|_ z >= 0, whose column in dF/dz is 1e7. With shift = -1e3 the solution 1e-4 is
    strictly inside: near it the residual r = F(z) = 1e-11 is already in F's units and is accepted. With shift =
    1 the solution is the bound 0: at z = 1e-10 the residual r = z - 0 = 1e-10 is in z's units, 1e-3 in F's, and
    is rejected, though both are below tol = 1e-8."""
    from sharedeq.jacobian import MCPJacobian
    from sharedeq.solve import scaled_residual

    mcp = sq.MCP.from_functions(lambda z: 1e7 * z[0] + shift, lb=0.0, ub=np.inf, z0=[point])
    z = np.array([point])
    assert abs(mcp.natural_residual(z)[0]) <= 1e-8
    value, pair, column = scaled_residual(mcp, MCPJacobian(mcp), z)
    assert (value <= 1e-6) is accepted
    assert column == (1.0 if accepted else pytest.approx(1e7))


def test_unverified_and_undecided_points_say_so():
    # an LP agent: maximise x1 + x2 subject to x1 + x2 <= 1; every point of the face is a best response
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], bounds=(0, None), initialize=0.3)
    m.cap = pyo.Constraint(expr=m.x[1] + m.x[2] <= 1)
    problem = sq.EquilibriumProblem(m, name="linear")
    problem.add_agent("a", m.x[1] + m.x[2], m.x, constraints=m.cap, sense="max")
    solution = problem.solve(verify=False)
    assert solution.converged and solution.status == "not verified"
    assert solution.summary().startswith("KKT POINT, NOT VERIFIED") and "solution.verify()" in solution.summary()
    solution.verify(certify=False)  # flat along the face: the second-order check alone decides nothing
    assert solution.status == "undecided" and solution.summary().startswith("KKT POINT, EQUILIBRIUM UNDECIDED")
    solution.verify()  # linear, so convex: the KKT point is a best response
    assert solution.status == "equilibrium" and solution.checks.at["a", "convexity"] == "convex"
    assert solution.value(m.x[1]) + solution.value(m.x[2]) == pytest.approx(1.0)


def test_values_of_a_solve_that_did_not_converge_come_with_a_warning():
    problem = _ffp()
    m = problem.model
    m.low = pyo.Constraint(expr=m.x[1] >= 2)  # with the shared x1 + x2 <= 1 and x2 >= 0: no feasible point
    m.x[2].setlb(0)
    problem.agent("p1").constraints.append(m.low)
    solution = problem.solve(mode="ve")
    assert not solution.converged
    with pytest.warns(NotConvergedWarning, match="did not converge"):
        solution.value(m.x[1])
    lines = solution.summary().splitlines()
    assert lines[0].startswith("NOT CONVERGED") and lines[1].startswith("  best MCP residual")
    assert lines[2].startswith("  diagnosis: constraints low, share")
    assert lines[3].startswith("  tried: interior point, relax")
    assert all(len(line) < 200 for line in lines[:4])


def test_a_plain_mcp_can_be_solved():
    problem = _ffp()
    solution = sq.solve(problem.mcp(mode="ve"))
    assert solution.status == "solved" and solution.summary().startswith("MCP SOLVED")
    assert np.allclose(solution.z, [0.75, 0.25, 0.5], atol=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert solution.to_dict()["status"] == "solved"


def test_convex_quadratic_agents_are_certified_from_the_mcp_and_others_within_a_cost_cap():
    from cases.river_basin import build_problem

    river = build_problem().solve(mode="ve")
    assert river.verified
    assert set(river.certificates[a].convexity.reason for a in river.problem.agent_names) == {
        "quadratic objective and affine constraints in its variables; Hessian eigenvalues >= 0"}
    market = _crowded_market()
    market.model.x[1].value = market.model.x[2].value = 0.2
    solution = market.solve(mode="ve", verify=False)
    solution.verify(max_certified=1)  # two agents need a certificate (not quadratic): over the cap, none is run
    assert solution.status == "local equilibrium" and solution.certificates == {}
    assert "exceed the automatic limit; solution.verify() runs them" in solution.summary()
    solution.verify()
    assert solution.status == "equilibrium"
