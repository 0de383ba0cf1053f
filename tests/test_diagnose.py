"""diagnose(): why a solve found no equilibrium, in the model's names.

Each broken game is solved first (it must end not converged), then diagnosed at the solver's last point. The
expected numbers are derived by hand in each test's docstring.
"""

import importlib
import math

import numpy as np
import pyomo.environ as pyo
import pytest

import sharedeq as sq
from sharedeq.diagnose import diagnose

diagnose_module = importlib.import_module("sharedeq.diagnose")  # sharedeq.diagnose is the function


def _solve_and_diagnose(problem, **kwargs):
    solution = _solve_not_converged(problem, **kwargs)
    return diagnose(problem, solution.mcp, solution.z)


def _solve_not_converged(problem, **kwargs):
    solution = problem.solve(**kwargs)
    assert solution.converged is False
    return solution


def _of_kind(findings, kind):
    return [f for f in findings if f.kind == kind]


def test_own_constraints_that_contradict_name_the_agent():
    """x[1] >= 2 and x[1] <= 1, both p1's own: least total violation 1 (any x[1] in [1, 2])."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], initialize=0.0)
    m.lo = pyo.Constraint(expr=m.x[1] >= 2)
    m.hi = pyo.Constraint(expr=m.x[1] <= 1)
    problem = sq.EquilibriumProblem(m)
    problem.add_agent("p1", objective=(m.x[1] - m.x[2]) ** 2, variables=m.x[1], constraints=[m.lo, m.hi])
    problem.add_agent("p2", objective=(m.x[2] - 1) ** 2, variables=m.x[2])
    findings = _solve_and_diagnose(problem)
    infeasible = _of_kind(findings, "infeasible")
    agent = [f for f in infeasible if "p1" in f.components]
    assert len(agent) == 1 and set(agent[0].components) == {"p1", "lo", "hi"}
    assert "agent 'p1'" in agent[0].message and agent[0].amount == pytest.approx(1.0, abs=1e-7)
    joint = [f for f in infeasible if "p1" not in f.components]
    assert len(joint) == 1 and set(joint[0].components) == {"lo", "hi"}
    assert joint[0].amount == pytest.approx(1.0, abs=1e-7)
    assert not _of_kind(findings, "unbounded")


def test_shared_constraints_that_contradict_with_bounds_give_the_irreducible_subset():
    """cap: x1 + x2 <= 1, demand: x1 + 2 x2 >= 4, x >= 0 (other: x1 - x2 <= 10 is harmless).

    With x1 >= 0, demand and cap force x2 >= 3 and x1 <= 1 - x2 <= -2: infeasible. Dropping x1 >= 0 allows
    (-2, 3); dropping cap allows (0, 2); dropping demand allows (0, 0); x2 >= 0 and other are not needed. So the
    only irreducible infeasible subset is {cap, demand, x[1] >= 0}. Least total violation: with x1 = 0, x2 = t
    it is max(t - 1, 0) + max(4 - 2 t, 0), smallest (1) at t = 2; x1 > 0 only adds to cap's violation.
    """
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], bounds=(0, None), initialize=0.0)
    m.cap = pyo.Constraint(expr=m.x[1] + m.x[2] <= 1)
    m.demand = pyo.Constraint(expr=m.x[1] + 2 * m.x[2] >= 4)
    m.other = pyo.Constraint(expr=m.x[1] - m.x[2] <= 10)
    problem = sq.EquilibriumProblem(m)
    problem.add_agent("p1", objective=(m.x[1] - 1) ** 2, variables=m.x[1])
    problem.add_agent("p2", objective=(m.x[2] - 1) ** 2, variables=m.x[2])
    problem.add_shared([m.cap, m.demand, m.other])
    for mode in ("ve", "gne"):
        findings = _solve_and_diagnose(problem, mode=mode)
        (infeasible,) = _of_kind(findings, "infeasible")
        assert sorted(infeasible.components) == ["cap", "demand", "x[1] >= 0"]
        assert infeasible.amount == pytest.approx(1.0, abs=1e-7)
        assert "constraints cap, demand with the bound x[1] >= 0 cannot hold together" in infeasible.message
        assert not _of_kind(findings, "unbounded")


def test_linear_objectives_without_bounds_name_agent_variable_and_direction():
    """p1 minimises -x[1] with x[1] free (-> +inf); p2 maximises -x[2] with x[2] <= 3 (-> -inf).

    In the box |x - c| <= B (1 + |c|) around the solver's last point c the best objective is -(c + B (1 + |c|))
    for p1 and -(c - B (1 + |c|)) for p2 (in its own, maximising sense).
    """
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2, 3], initialize=0.0)
    m.x[2].setub(3)
    problem = sq.EquilibriumProblem(m)
    problem.add_agent("p1", objective=-m.x[1] + m.x[3], variables=m.x[1])
    problem.add_agent("p2", objective=-m.x[2], variables=m.x[2], sense="max")
    problem.add_agent("p3", objective=(m.x[3] - 1) ** 2, variables=m.x[3])
    solution = _solve_not_converged(problem)
    findings = diagnose(problem, solution.mcp, solution.z)
    unbounded = {f.components[0]: f for f in _of_kind(findings, "unbounded")}
    assert set(unbounded) == {"p1", "p2"}
    assert unbounded["p1"].components == ["p1", "x[1]"] and "x[1] -> +inf lowers" in unbounded["p1"].message
    assert unbounded["p2"].components == ["p2", "x[2]"] and "x[2] -> -inf raises" in unbounded["p2"].message
    point = {id(v): float(z) for z, v in zip(solution.z, solution.mcp.pyomo_vars, strict=True)}
    c1, c2 = point[id(m.x[1])], point[id(m.x[2])]
    big = diagnose_module.BOXES[1]
    assert unbounded["p1"].amount == pytest.approx(-(c1 + big * (1 + abs(c1))), rel=1e-7)
    assert unbounded["p2"].amount == pytest.approx(-(c2 - big * (1 + abs(c2))), rel=1e-7)
    assert not _of_kind(findings, "infeasible")


def test_concave_agent_on_an_unbounded_set():
    """p1 minimises -x1^2 + x1 x2 over x1 >= 1: no KKT point (-2 x1 + x2 >= 0 fails for x1 >= 1 at x2 = 1)."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], initialize=1.0)
    m.x[1].setlb(1)
    problem = sq.EquilibriumProblem(m)
    problem.add_agent("p1", objective=-m.x[1] ** 2 + m.x[1] * m.x[2], variables=m.x[1])
    problem.add_agent("p2", objective=(m.x[2] - 1) ** 2, variables=m.x[2])
    findings = _solve_and_diagnose(problem)
    (unbounded,) = _of_kind(findings, "unbounded")
    assert unbounded.components == ["p1", "x[1]"] and "x[1] -> +inf" in unbounded.message
    assert unbounded.amount < -1e14
    assert not _of_kind(findings, "infeasible")


def test_bounded_below_objective_without_minimiser_is_not_called_unbounded():
    """1/x1 over x1 >= 1 has infimum 0, never attained: no equilibrium, but the agent is not unbounded.

    (The solve stops where 1/x1^2 < tol, near x1 = 6e4, and reports that point as converged; diagnosed there and
    at the start, p1 is not called unbounded.)
    """
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], initialize=1.0)
    m.x[1].setlb(1)
    problem = sq.EquilibriumProblem(m)
    problem.add_agent("p1", objective=1 / m.x[1] + 0 * m.x[2], variables=m.x[1])
    problem.add_agent("p2", objective=(m.x[2] - 1) ** 2, variables=m.x[2])
    solution = problem.solve()
    for findings in (diagnose(problem), diagnose(problem, solution.mcp, solution.z)):
        assert not _of_kind(findings, "unbounded") and not _of_kind(findings, "infeasible")


@pytest.mark.parametrize("mode", ["ve", "gne"])
def test_feasible_bounded_problem_has_no_infeasible_or_unbounded_finding(mode):
    from cases import river_basin

    problem = river_basin.build_problem(mode)
    solution = problem.solve(mode=mode)
    assert solution.converged
    for args in ((solution.mcp, solution.z), ()):
        findings = diagnose(problem, *args)
        assert not [f for f in findings if f.kind in ("infeasible", "unbounded", "diverging", "nonfinite")]


def test_nonlinear_infeasibility_is_reported_as_evidence():
    """x1^2 + x2^2 <= 1 and x1 + x2 >= 3: at radius r <= 1 the least violation is 3 - sqrt(2) r, so 3 - sqrt(2);
    beyond, (r^2 - 1) + 3 - sqrt(2) r grows (derivative 2 r - sqrt(2) > 0)."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], initialize=0.5)
    m.disk = pyo.Constraint(expr=m.x[1] ** 2 + m.x[2] ** 2 <= 1)
    m.line = pyo.Constraint(expr=m.x[1] + m.x[2] >= 3)
    problem = sq.EquilibriumProblem(m)
    problem.add_agent("p1", objective=(m.x[1] - 1) ** 2, variables=m.x[1])
    problem.add_agent("p2", objective=(m.x[2] - 1) ** 2, variables=m.x[2])
    problem.add_shared([m.disk, m.line])
    findings = _solve_and_diagnose(problem, mode="ve")
    (infeasible,) = _of_kind(findings, "infeasible")
    assert infeasible.amount == pytest.approx(3 - math.sqrt(2), abs=1e-6)
    assert infeasible.components == ["line"]
    assert "evidence, not proof" in infeasible.message


def test_huge_and_nonfinite_components_of_the_point():
    """A multiplier of 1e12 is diverging (named by its constraint); a NaN variable is nonfinite."""
    from cases import river_basin

    problem = river_basin.build_problem("ve")
    solution = problem.solve(mode="ve")
    mcp, z = solution.mcp, np.array(solution.z)
    k = int(np.flatnonzero(mcp.pairs["variable"] == "cons[1].m")[0])
    z[k] = 1.3e12
    (diverging,) = _of_kind(diagnose(problem, mcp, z), "diverging")
    assert diverging.components == ["cons[1]"] and diverging.amount == 1.3e12
    assert "the multiplier of cons[1]" in diverging.message
    z = np.array(solution.z)
    z[int(np.flatnonzero(mcp.pairs["variable"] == "x[2]")[0])] = np.nan
    (nonfinite,) = _of_kind(diagnose(problem, mcp, z), "nonfinite")
    assert nonfinite.components == ["x[2]"] and "x[2] of agent '2'" in nonfinite.message


def test_a_point_of_the_wrong_size_is_a_model_error():
    from cases import river_basin

    problem = river_basin.build_problem("ve")
    mcp = problem.mcp(mode="ve")
    with pytest.raises(sq.ModelError, match="z has shape"):
        diagnose(problem, mcp, np.zeros(mcp.size + 1))


def test_limits_say_what_was_not_checked(monkeypatch):
    from cases import river_basin

    problem = river_basin.build_problem("ve")
    monkeypatch.setattr(diagnose_module, "MAX_AGENT_SOLVES", 1)
    (incomplete,) = _of_kind(diagnose(problem), "incomplete")
    assert "unboundedness of 2 agent(s)" in incomplete.message
    findings = diagnose(problem, time_limit=0.0)
    assert {f.kind for f in findings} == {"incomplete"}
    assert any("feasibility phase" in f.message for f in findings)


def test_vi_pair_whose_function_cannot_have_the_right_sign():
    """F(y) = 2 - y _|_ y >= 3: F >= 0 needs y <= 2, so the pair has no solution ({vi[0], y >= 3})."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(initialize=0.0)
    m.y = pyo.Var(bounds=(3, None), initialize=3.0)
    problem = sq.EquilibriumProblem(m)
    problem.add_agent("p1", objective=(m.x - m.y) ** 2, variables=m.x)
    problem.add_vi(2 - m.y, m.y)
    findings = _solve_and_diagnose(problem)
    (infeasible,) = _of_kind(findings, "infeasible")
    assert infeasible.components == ["vi[0]", "y >= 3"] and infeasible.amount == pytest.approx(1.0, abs=1e-7)


def test_irreducible_subset_leaves_out_rows_that_do_not_take_part():
    """A chain x1 >= 1, x[k+1] >= x[k] + 1 (k < 4), x4 <= 2 needs x4 >= 4: infeasible by 2, and only as a whole;
    the distractors (x1 + x4 <= 100, x2 >= -5 and the bounds x <= 50) take no part."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2, 3, 4], bounds=(None, 50), initialize=0.0)
    m.start = pyo.Constraint(expr=m.x[1] >= 1)
    m.step = pyo.Constraint([1, 2, 3], rule=lambda m, k: m.x[k + 1] >= m.x[k] + 1)
    m.end = pyo.Constraint(expr=m.x[4] <= 2)
    m.total = pyo.Constraint(expr=m.x[1] + m.x[4] <= 100)
    m.floor = pyo.Constraint(expr=m.x[2] >= -5)
    problem = sq.EquilibriumProblem(m)
    for k in (1, 2, 3, 4):
        problem.add_agent(f"p{k}", objective=(m.x[k] - k) ** 2, variables=m.x[k])
    problem.add_shared([m.start, m.step, m.end, m.total, m.floor])
    (infeasible,) = _of_kind(_solve_and_diagnose(problem, mode="ve"), "infeasible")
    assert sorted(infeasible.components) == ["end", "start", "step[1]", "step[2]", "step[3]"]
    assert infeasible.amount == pytest.approx(2.0, abs=1e-7)
