"""The second-order (curvature) check: KKT points that are saddles or maxima of an agent's own problem."""

import numpy as np
import pyomo.environ as pyo
import pytest

import sharedeq as sq
from sharedeq.markets import endowment
from sharedeq.verify import DEGENERATE, LOCAL_MIN, SADDLE, second_order_check


def _solve(problem, **kwargs):
    solution = problem.solve(**kwargs)
    assert solution.converged
    return solution


def test_convex_maximiser_at_interior_stationary_point_is_not_an_equilibrium():
    # maximise (x-1)^2 + (y-1)^2 on [0,3]^2 from (1, 1): a KKT point, the minimum of the agent's objective
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], bounds=(0, 3), initialize=1.0)
    problem = sq.EquilibriumProblem(m, name="convex maximiser")
    problem.add_agent("a", (m.x[1] - 1) ** 2 + (m.x[2] - 1) ** 2, m.x, sense="max")
    solution = _solve(problem, verify=False)
    assert np.allclose(solution.z, 1.0)
    # first order only: a KKT point, and the status says no more than that
    assert solution.summary().startswith("KKT POINT, NOT VERIFIED") and not solution.verified
    table = solution.check_second_order()
    assert table.at["a", "verdict"] == SADDLE
    assert table.at["a", "min_eigenvalue"] == pytest.approx(-2.0)
    assert table.at["a", "free_dimension"] == 2
    assert solution.not_best_responses == ["a"]
    text = solution.summary()
    assert text.startswith("KKT POINT, NOT AN EQUILIBRIUM: convex maximiser")
    assert "agent 'a': not a best response: negative curvature (eigenvalue -2)" in text.splitlines()[2]
    assert solution.to_dict()["checks"]["second_order"]["a"]["verdict"] == SADDLE
    assert solution.to_dict()["status"] == "not an equilibrium"
    assert sq.best_response_check(problem, solution).at["a", "gain"] > 1.0  # the expensive check agrees


def _convex_economy():
    return endowment.homogeneous_economy(n=2, m=2, total=2.0, omega=0.5)


def test_endowment_planner_with_convex_utilities_is_flagged():
    # omega = +0.5: u = x^1.5 / 1.5 is convex; the equal split is a KKT point of the planner, not a maximum
    economy = _convex_economy()
    m = endowment._allocation_model(economy, "convex planner", np.tile(economy.total / economy.n, (economy.n, 1)))
    m.welfare = pyo.Objective(expr=sum(m.utility[i] for i in m.I), sense=pyo.maximize)
    m.resource = pyo.Constraint(m.J, rule=lambda m, j: sum(m.x[i, j] for i in m.I) <= economy.total[j - 1])
    problem = sq.EquilibriumProblem(m, name=m.name)
    problem.add_agent("planner", m.welfare, m.x, constraints=m.resource)
    solution = _solve(problem, escapes=0)
    table = solution.check_second_order()
    assert table.at["planner", "verdict"] == SADDLE
    assert table.at["planner", "free_dimension"] == 2  # 4 allocations, 2 binding resource constraints
    assert solution.summary().startswith("KKT POINT, NOT AN EQUILIBRIUM")
    # by default the solve moves on from the saddle, to a corner (all of both goods to one consumer: welfare
    # 2 * 2^1.5 / 1.5, the maximum of a convex function on the allocations); there u'' = 0.5 / sqrt(x) is
    # infinite at the zero allocations, so no second-order verdict, and nothing claims more than that
    moved = _solve(problem)
    assert moved.objective_values["planner"] == pytest.approx(2 * 2 ** 1.5 / 1.5)
    assert moved.status == "undecided" and moved.checks.at["planner", "certificate"] != "improvable"


def test_endowment_competitive_equilibrium_with_convex_utilities_is_flagged(monkeypatch):
    monkeypatch.setattr(endowment, "check_concavity", lambda *args, **kwargs: None)
    problem = endowment.equilibrium_problem(_convex_economy())
    solution = _solve(problem)
    table = solution.check_second_order()
    consumers = [a for a in problem.agent_names if a.startswith("consumer")]
    assert (table.loc[consumers, "verdict"] == SADDLE).all()
    assert "agent 'consumer1': not a best response: negative curvature" in solution.summary()


@pytest.mark.parametrize("mode", ["ve", "gne"])
def test_river_basin_agents_are_local_minima(mode):
    from cases.river_basin import build_problem

    problem = build_problem(mode)
    solution = _solve(problem, mode=mode)
    table = second_order_check(problem, solution)
    assert list(table.index) == ["1", "2", "3"]
    assert (table["verdict"] == LOCAL_MIN).all()
    solution.check_second_order()
    assert solution.summary().startswith("EQUILIBRIUM FOUND") and "Agent checks" in solution.summary()
    assert (solution.checks["convexity"] == "convex").all() and solution.verified


def test_river_basin_with_rosen_weights():
    from cases.river_basin import build_problem

    problem = build_problem("ve")
    solution = _solve(problem, mode="ve", weights=[1, 2, 3])
    assert (solution.check_second_order()["verdict"] == LOCAL_MIN).all()


def test_lp_agent_is_degenerate():
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], domain=pyo.NonNegativeReals, initialize=0.5)
    m.demand = pyo.Constraint(expr=m.x[1] + m.x[2] >= 1)
    problem = sq.EquilibriumProblem(m, name="LP")
    problem.add_agent("lp", m.x[1] + m.x[2], m.x, constraints=m.demand)
    table = _solve(problem).check_second_order()
    assert table.at["lp", "verdict"] == DEGENERATE
    assert table.at["lp", "min_eigenvalue"] == pytest.approx(0.0, abs=1e-9)


def test_indefinite_hessian_positive_on_the_tangent_space_of_an_equality():
    # min x^2 - y^2 s.t. y = 1: the Hessian diag(2, -2) is indefinite, but on {d : d_y = 0} it is 2 > 0
    m = pyo.ConcreteModel()
    m.x = pyo.Var(initialize=0.3)
    m.y = pyo.Var(initialize=0.5)
    m.fix_y = pyo.Constraint(expr=m.y == 1)
    problem = sq.EquilibriumProblem(m, name="projection")
    problem.add_agent("a", m.x ** 2 - m.y ** 2, [m.x, m.y], constraints=m.fix_y)
    table = _solve(problem).check_second_order()
    assert table.at["a", "verdict"] == LOCAL_MIN
    assert table.at["a", "free_dimension"] == 1
    assert table.at["a", "min_eigenvalue"] == pytest.approx(2.0)


def test_indefinite_hessian_positive_on_an_active_shared_inequality():
    # min -x y s.t. the shared x + y <= 2 (multiplier 1): Hessian [[0, -1], [-1, 0]], indefinite; on the unit
    # tangent d = (1, -1) / sqrt(2) it is 1 > 0
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], bounds=(0.5, 10), initialize=0.8)  # 0.5: away from the saddle at the origin
    m.budget = pyo.Constraint(expr=m.x[1] + m.x[2] <= 2)
    problem = sq.EquilibriumProblem(m, name="product")
    problem.add_agent("a", -m.x[1] * m.x[2], m.x)
    problem.add_shared(m.budget)
    solution = _solve(problem, mode="ve")
    assert np.allclose(solution.z[:2], 1.0)
    table = solution.check_second_order()
    assert table.at["a", "verdict"] == LOCAL_MIN
    assert table.at["a", "min_eigenvalue"] == pytest.approx(1.0)


def test_objective_variable_and_implicit_variable_go_through_the_chain_rule():
    # y = 2 x (implicit); agent maximises obj = y^2 - x^2 (GAMS objdef): 3 x^2, convex, so x = 0 is a minimum
    m = pyo.ConcreteModel()
    m.x = pyo.Var(initialize=0.0)
    m.y = pyo.Var(initialize=0.0)
    m.obj = pyo.Var(initialize=0.0)
    m.ydef = pyo.Constraint(expr=m.y == 2 * m.x)
    m.objdef = pyo.Constraint(expr=m.obj == m.y ** 2 - m.x ** 2)
    problem = sq.EquilibriumProblem(m, name="chain")
    problem.add_agent("a", m.obj, [m.x, m.obj], constraints=m.objdef, sense="max")
    problem.add_implicit(m.y, m.ydef)
    table = _solve(problem).check_second_order()
    assert table.at["a", "verdict"] == SADDLE
    assert table.at["a", "min_eigenvalue"] == pytest.approx(-6.0)  # minimisation form: -(8 - 2)
