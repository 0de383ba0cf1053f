"""The river basin model declared by its GAMS empinfo text, solved: the published equilibrium comes back."""

import numpy as np
import pyomo.environ as pyo

import sharedeq as sq
from cases import river_basin as rb
from sharedeq.emp import EmpInfo, problem_from_empinfo, to_empinfo

EMPINFO = """\
equilibrium
VIsol cons
min obj('1') x('1') objdef('1') cons
min obj('2') x('2') objdef('2') cons
min obj('3') x('3') objdef('3') cons
"""


def gams_model():
    """The GAMS model's names: Variables obj(i), Positive Variables x(i), Equations objdef(i), cons(m)."""
    m = pyo.ConcreteModel()
    m.i = pyo.Set(initialize=rb.FIRMS)
    m.m = pyo.Set(initialize=rb.STATIONS)
    m.obj = pyo.Var(m.i)
    m.x = pyo.Var(m.i, within=pyo.NonNegativeReals, initialize=1.0)
    m.objdef = pyo.Constraint(m.i, rule=lambda m, i: m.obj[i] == (rb.C[1, i] + rb.C[2, i] * m.x[i]) * m.x[i]
                              - (rb.D1 - rb.D2 * sum(m.x[j] for j in m.i)) * m.x[i])
    m.cons = pyo.Constraint(m.m, rule=lambda m, s: sum(rb.U[i, s] * rb.E[i] * m.x[i] for i in m.i) <= rb.K[s])
    return m


def assert_variational_equilibrium(problem, sol):
    m = problem.model
    assert sol.converged, sol.message
    np.testing.assert_allclose([sol.value(m.x[i]) for i in m.i], [rb.VE_OUTPUT[i] for i in m.i], atol=1e-4)
    np.testing.assert_allclose([sol.multiplier(m.cons[s]) for s in m.m], [rb.VE_MULTIPLIERS[s] for s in m.m],
                               atol=1e-4)


def test_visol_empinfo_gives_the_published_variational_equilibrium():
    problem = problem_from_empinfo(gams_model(), EMPINFO, name="river basin")
    assert_variational_equilibrium(problem, problem.solve())


def test_without_visol_each_agent_prices_the_limits_and_is_at_a_best_response():
    problem = problem_from_empinfo(gams_model(), EMPINFO.replace("VIsol cons\n", ""))
    sol = problem.solve()
    assert sol.converged, sol.message
    m = problem.model
    assert all(pyo.value(m.cons[s].body) <= rb.K[s] + 1e-8 for s in m.m)
    assert (sq.best_response_check(problem, sol)["gain"].abs() < 1e-7).all()
    assert_variational_equilibrium(problem, problem.solve(mode="ve"))


def test_builder_and_round_trip_solve_to_the_same_equilibrium():
    m = gams_model()
    info = EmpInfo(m).equilibrium().visol(m.cons)
    for i in m.i:
        info.min(m.obj[i], m.x[i], m.objdef[i], m.cons)
    built = info.problem()
    assert_variational_equilibrium(built, built.solve())
    again = problem_from_empinfo(m, to_empinfo(built))
    assert_variational_equilibrium(again, again.solve())
