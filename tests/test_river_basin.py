"""The river-basin game against the published variational equilibrium, and GNE points checked agent by agent."""

import numpy as np
import pyomo.environ as pyo
import pytest

import sharedeq as sq
from cases import river_basin as rb


def _x(solution, problem):
    return np.array([solution.value(problem.model.x[i]) for i in rb.FIRMS])


def test_variational_equilibrium_matches_published_numbers():
    problem = rb.build_problem("ve")
    sol = problem.solve(mode="ve")
    assert sol.converged, sol.message
    assert sol.residual < 1e-8
    np.testing.assert_allclose(_x(sol, problem), [rb.VE_OUTPUT[i] for i in rb.FIRMS], atol=1e-4)
    lam = [sol.multiplier(problem.model.cons[s]) for s in rb.STATIONS]
    np.testing.assert_allclose(lam, [rb.VE_MULTIPLIERS[s] for s in rb.STATIONS], atol=1e-4)
    assert (sol.residuals.max() < 1e-8).all()


def test_variational_equilibrium_passes_independent_kkt_and_best_response_checks():
    problem = rb.build_problem("ve")
    sol = problem.solve(mode="ve")
    assert (sq.kkt_check(problem, sol).max() < 1e-8).all()
    br = sq.best_response_check(problem, sol)
    assert (br["gain"].abs() < 1e-7).all(), br


def test_generalized_nash_point_satisfies_every_agents_kkt_with_its_own_multipliers():
    problem = rb.build_problem("gne")
    sol = problem.solve(mode="gne")
    assert sol.converged, sol.message
    table = sol.multipliers
    assert set(table["agent"]) == {"1", "2", "3"}        # one multiplier per agent and station
    assert len(table) == 6
    assert (table["multiplier"] >= -1e-10).all()
    assert (sq.kkt_check(problem, sol).max() < 1e-8).all()
    assert (sq.best_response_check(problem, sol)["gain"].abs() < 1e-7).all()
    m = problem.model
    for s in rb.STATIONS:   # feasibility of the shared limits, checked on the model itself
        assert pyo.value(m.cons[s].body) <= rb.K[s] + 1e-8


def test_gams_style_objective_variables_give_the_same_equilibrium():
    """``min obj(i) x(i) objdef(i) cons`` as the GAMS text writes it: objective variables and defining equations."""
    m = pyo.ConcreteModel()
    m.i = pyo.Set(initialize=rb.FIRMS)
    m.m = pyo.Set(initialize=rb.STATIONS)
    m.obj = pyo.Var(m.i)
    m.x = pyo.Var(m.i, domain=pyo.NonNegativeReals)
    m.objdef = pyo.Constraint(m.i, rule=lambda m, i: m.obj[i] == (rb.C[1, i] + rb.C[2, i] * m.x[i]) * m.x[i]
                              - (rb.D1 - rb.D2 * sum(m.x[j] for j in m.i)) * m.x[i])
    m.cons = pyo.Constraint(m.m, rule=lambda m, s: sum(rb.U[i, s] * rb.E[i] * m.x[i] for i in m.i) <= rb.K[s])
    problem = sq.EquilibriumProblem(m, name="river basin, GAMS style")
    for i in m.i:
        problem.add_agent(i, objective=m.obj[i], variables=m.x[i], constraints=m.objdef[i])
    problem.add_shared(m.cons, variational=True)
    sol = problem.solve()
    assert sol.converged
    np.testing.assert_allclose([sol.value(m.x[i]) for i in m.i], [rb.VE_OUTPUT[i] for i in m.i], atol=1e-4)
    # the objective variables are reported and loaded with the objective values
    np.testing.assert_allclose([m.obj[i].value for i in m.i], sol.objective_values.to_numpy(), rtol=1e-12)
    assert (sq.kkt_check(problem, sol).max() < 1e-8).all()


def test_maximising_agents_are_negated_once():
    """Profit maximisers give the same equilibrium as cost minimisers; objectives reported in their own sense."""
    base = rb.build_model()
    problem = sq.EquilibriumProblem(base)
    for i in base.i:
        problem.add_agent(i, objective=-base.cost[i].expr, variables=base.x[i], sense="max")
    problem.add_shared(base.cons, variational=True)
    sol = problem.solve()
    np.testing.assert_allclose(_x(sol, problem), [rb.VE_OUTPUT[i] for i in rb.FIRMS], atol=1e-4)
    assert (sol.objective_values > 0).all()       # profits
    assert (sq.kkt_check(problem, sol).max() < 1e-8).all()


@pytest.mark.parametrize("weights", [(1, 2, 3), (2.0, 1.0, 0.5)])
def test_rosen_weights_scale_each_agents_multiplier(weights):
    problem = rb.build_problem("ve")
    sol = problem.solve(mode="ve", weights=weights)
    assert sol.converged
    # agent i's KKT system holds with multiplier lam / r_i (kkt_check applies the weights independently)
    assert (sq.kkt_check(problem, sol).max() < 1e-8).all()
    assert (sq.best_response_check(problem, sol)["gain"].abs() < 1e-7).all()


def test_sparse_and_dense_formulations_agree():
    a = rb.build_problem("ve").solve(mode="ve", lift="auto")
    b = rb.build_problem("ve").solve(mode="ve", lift="none")
    assert a.mcp.pairs["kind"].eq("definition").sum() == 1 and b.mcp.pairs["kind"].eq("definition").sum() == 0
    np.testing.assert_allclose(a.z[:3], b.z[:3], atol=1e-8)
