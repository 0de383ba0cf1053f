"""VIs with constraints and QVIs through the rest of the pipeline: status, diagnosis, validation, values.

A KKT point of a VI with constraints solves it when its set ``K`` is convex in the VI's own variables (each
``g <= 0`` convex, equalities affine); the status may only say ``EQUILIBRIUM FOUND`` when that is proven. Every
expected number below is derived by hand in the test's docstring.
"""

import math

import numpy as np
import pyomo.environ as pyo
import pytest

import sharedeq as sq
from sharedeq.certify import VI_KKT_POINT, VI_SOLUTION
from sharedeq.diagnose import diagnose
from sharedeq.solution import EQUILIBRIUM, NOT_VERIFIED, UNDECIDED


def solved(problem, **options):
    solution = problem.solve(**options)
    assert solution.converged, solution.message
    return solution


# ------------------------------------------------------------------------------------------ status honesty
def test_a_vi_on_a_polyhedron_is_solved_and_says_so():
    """F(x) = 2x, x >= 0, K = {x1 + x2 >= 6, x2 + x3 >= 9} (GAMS simplevi): the VI of min sum x^2 over K,
    x = (1, 5, 4) with multipliers (2, 8). K is a polyhedron, so the KKT point is the VI's solution."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2, 3], within=pyo.NonNegativeReals, initialize=0.0)
    m.g = pyo.Constraint([1, 2], rule=lambda m, i: m.x[i] + m.x[i + 1] >= (6, 9)[i - 1])
    problem = sq.EquilibriumProblem(m, name="simplevi")
    problem.add_vi([2 * m.x[j] for j in (1, 2, 3)], m.x, constraints=m.g)
    sol = solved(problem)
    assert [sol.value(m.x[j]) for j in (1, 2, 3)] == pytest.approx([1.0, 5.0, 4.0], abs=1e-8)
    assert sol.status == EQUILIBRIUM and sol.summary().startswith("EQUILIBRIUM FOUND")
    assert sol.vi_checks.loc["(vi: x[1], x[2], x[3])"].to_dict() == {
        "convexity": "convex", "verdict": VI_SOLUTION, "reason": "linear constraints"}


def test_a_vi_on_a_convex_curved_set_is_solved():
    """F = (y - 2, 0) over K = {y + z^2 <= 1}, y and z free (GAMS zerofunc): y - 2 + u = 0, 2 u z = 0 give
    u = 1, z = 0, y = 1. y + z^2 is convex, so K is convex and the KKT point solves the VI."""
    m = pyo.ConcreteModel()
    m.y = pyo.Var(initialize=0.0)
    m.z = pyo.Var(initialize=0.5)
    m.g = pyo.Constraint(expr=m.y + m.z ** 2 <= 1)
    problem = sq.EquilibriumProblem(m)
    problem.add_vi([m.y - 2, 0], [m.y, m.z], constraints=m.g)
    sol = solved(problem)
    assert (sol.value(m.y), sol.value(m.z), sol.multiplier(m.g)) == pytest.approx((1.0, 0.0, 1.0), abs=1e-7)
    assert sol.status == EQUILIBRIUM
    assert sol.vi_checks["reason"].tolist() == ["convex constraints g (<=)"]


def outside_the_circle():
    """F(x) = x - a, a = (0.2, 0.1), on K = {x : x1^2 + x2^2 >= 1} (the plane minus the open unit disc).

    F is the gradient of |x - a|^2 / 2, so the KKT points include the point of the circle nearest to a:
    x - a - 2 u x = 0 gives x = a / (1 - 2u), and |x| = 1 gives u = (1 - |a|) / 2 and x = a / |a|. It is no
    solution of the VI: v = -x lies in K and
    F(x)'(v - x) = -2 F(x)'x = -2 (1 - |a|) < 0.
    """
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], initialize=1.0)
    m.outside = pyo.Constraint(expr=m.x[1] ** 2 + m.x[2] ** 2 >= 1)
    problem = sq.EquilibriumProblem(m, name="outside the circle")
    problem.add_vi([m.x[1] - 0.2, m.x[2] - 0.1], m.x, constraints=m.outside)
    return m, problem


def test_a_kkt_point_of_a_vi_on_a_nonconvex_set_is_no_more_than_a_kkt_point():
    m, problem = outside_the_circle()
    sol = solved(problem)
    a = np.array([0.2, 0.1])
    x = np.array([sol.value(m.x[1]), sol.value(m.x[2])])
    assert x == pytest.approx(a / np.linalg.norm(a), abs=1e-7)
    assert sol.multiplier(m.outside) == pytest.approx((1 - np.linalg.norm(a)) / 2, abs=1e-7)
    F = x - a
    assert F @ (-x - x) < -1.0          # the point is not a solution of the VI: the status must not claim one
    assert sol.status == UNDECIDED and not sol.verified
    text = sol.summary()
    assert text.startswith("KKT POINT, EQUILIBRIUM UNDECIDED: outside the circle")
    assert f"(vi: x[1], x[2]): {VI_KKT_POINT}: outside (>=): Hessian eigenvalue -2 < 0" in text
    assert sol.vi_checks.at["(vi: x[1], x[2])", "convexity"] == "unknown"


def test_an_unverified_vi_says_so_and_verify_decides():
    m, problem = outside_the_circle()
    sol = solved(problem, verify=False)
    assert sol.status == NOT_VERIFIED and sol.vi_checks is None
    assert "the check that each VI's set is convex was skipped" in sol.summary()
    sol.verify()
    assert sol.status == UNDECIDED


def test_a_nonconvex_vi_caps_the_status_of_a_game_whose_agents_are_proven():
    """Player p minimises (w - 1)^2 (w = 1, convex); the circle VI beside it is only a KKT point."""
    m, problem = outside_the_circle()
    m.w = pyo.Var(initialize=0.0)
    problem.add_agent("p", (m.w - 1) ** 2, m.w)
    sol = solved(problem)
    assert sol.value(m.w) == pytest.approx(1.0, abs=1e-8)
    assert sol.checks.at["p", "verdict"] == "best response (proven)"
    assert sol.status == UNDECIDED


def shadow_sets_the_curvature():
    """A QVI whose set is convex only because of where its shadow copy s of y sits: F = (y1 - 2, y2), y free,
    K(s) = {y : (s1 - 1/2) y2^2 + y1 <= 1}. With the constraint active and y2 = 0: y1 = 1, u = 2 - y1 = 1, and
    y2 (1 + 2 u (s1 - 1/2)) = 0 holds with y2 = 0. At s = y, s1 - 1/2 = 1/2 > 0: K(y) is convex in y and the KKT
    point solves the QVI. (At the shadow's start value 0 the coefficient would be -1/2: a nonconvex set.)"""
    m = pyo.ConcreteModel()
    m.y = pyo.Var([1, 2], initialize=0.0)
    m.s = pyo.Var([1, 2], initialize=0.0)
    m.k = pyo.Constraint(expr=(m.s[1] - 0.5) * m.y[2] ** 2 + m.y[1] <= 1)
    problem = sq.EquilibriumProblem(m, name="shadow")
    problem.add_qvi([m.y[1] - 2, m.y[2]], m.y, parameter=m.s, constraints=m.k)
    return m, problem


def test_a_qvi_is_judged_with_its_shadow_at_the_point():
    m, problem = shadow_sets_the_curvature()
    sol = solved(problem)
    assert (sol.value(m.y[1]), sol.value(m.y[2]), sol.multiplier(m.k)) == pytest.approx((1.0, 0.0, 1.0), abs=1e-7)
    assert sol.status == EQUILIBRIUM
    assert sol.vi_checks.to_dict("index") == {"(qvi: y[1], y[2])": {
        "convexity": "convex", "verdict": VI_SOLUTION,
        "reason": "convex constraints k (<=), with the shadow copies s[1], s[2] at the point"}}
    m.s[1].value, m.y[1].value = 0.0, 0.0      # another point: there K is not proven convex
    assert sq.vi_checks(problem)["verdict"].tolist() == [VI_KKT_POINT]


def test_a_qvi_on_a_moving_nonconvex_set_is_no_more_than_a_kkt_point():
    """F(y) = y - a, a = (0.2, 0.1), K(s) = {y : y1^2 + y2^2 >= 1 + s1 s2}: KKT y - a = 2 u y, so y = c a with
    c > 0, and on the moving circle c^2 |a|^2 = 1 + c^2 a1 a2: c = 1 / sqrt(0.05 - 0.02)."""
    m = pyo.ConcreteModel()
    m.y = pyo.Var([1, 2], initialize=1.0)
    m.s = pyo.Var([1, 2], initialize=1.0)
    m.k = pyo.Constraint(expr=m.y[1] ** 2 + m.y[2] ** 2 >= 1 + m.s[1] * m.s[2])
    problem = sq.EquilibriumProblem(m)
    problem.add_qvi([m.y[1] - 0.2, m.y[2] - 0.1], m.y, parameter=m.s, constraints=m.k)
    sol = solved(problem)
    c = 1 / math.sqrt(0.03)
    assert [sol.value(m.y[1]), sol.value(m.y[2])] == pytest.approx([0.2 * c, 0.1 * c], abs=1e-7)
    assert sol.status == UNDECIDED
    assert sol.vi_checks["verdict"].tolist() == [VI_KKT_POINT]


# ------------------------------------------------------------------------------------------ QVI shadow values
def test_a_qvis_shadow_copy_reads_and_loads_as_its_variable():
    """The moving-set QVI: F(y) = y - (1, 2), y >= 0, K(x) = {y : y1 + x2/2 <= 1, y2 + x1/2 <= 1}, x the shadow
    of y. Both constraints bind: y1 = 1 - y2/2, y2 = 1 - y1/2, so y = (2/3, 2/3); GAMS sets x.l = y.l."""
    m = pyo.ConcreteModel()
    m.i = pyo.Set(initialize=[1, 2])
    m.y = pyo.Var(m.i, within=pyo.NonNegativeReals, initialize=0.0)
    m.x = pyo.Var(m.i, within=pyo.NonNegativeReals, initialize=0.0)
    m.g = pyo.Constraint(m.i, rule=lambda m, i: m.y[i] + m.x[3 - i] / 2 <= 1)
    problem = sq.EquilibriumProblem(m)
    problem.add_qvi([m.y[1] - 1, m.y[2] - 2], m.y, parameter=m.x, constraints=m.g)
    sol = solved(problem)
    assert [sol.value(m.x[i]) for i in m.i] == pytest.approx([2 / 3, 2 / 3], abs=1e-8)
    assert [m.x[i].value for i in m.i] == pytest.approx([2 / 3, 2 / 3], abs=1e-8)
    assert [sol.multiplier(m.g[i]) for i in m.i] == pytest.approx([1 / 3, 4 / 3], abs=1e-8)


# ------------------------------------------------------------------------------------------ diagnosis
def test_a_vi_whose_function_alone_cannot_vanish_is_not_called_infeasible():
    """F(x) = -1 - x, x >= 0, K = {x <= 1}: F alone is negative on x >= 0, but F + u = 0 at x = 1 with u = 2.
    The diagnosis (what a failed solve reports) must find nothing infeasible; the solve finds the solution."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, None), initialize=0.0)
    m.k = pyo.Constraint(expr=m.x <= 1)
    problem = sq.EquilibriumProblem(m)
    problem.add_vi(-1 - m.x, m.x, constraints=m.k)
    mcp = problem.mcp()
    assert diagnose(problem) == [] and diagnose(problem, mcp, mcp.z0) == []
    sol = solved(problem)
    assert (sol.value(m.x), sol.multiplier(m.k)) == pytest.approx((1.0, 2.0), abs=1e-8)


def test_a_failed_vi_solve_is_not_misdiagnosed_as_infeasible():
    """F(x) = -1 - x < 0 on x >= 0 with K = {x >= -5}: K never binds, F + u = F pushes x up forever, so there is
    no solution and the solve fails; but every constraint can hold, so the diagnosis must not say infeasible
    (read alone, F >= 0 cannot hold: that is not a constraint of the VI)."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, None), initialize=0.0)
    m.k = pyo.Constraint(expr=m.x >= -5)
    problem = sq.EquilibriumProblem(m)
    problem.add_vi(-1 - m.x, m.x, constraints=m.k)
    sol = problem.solve()
    assert not sol.converged
    assert not [f for f in sol.diagnosis if f.kind == "infeasible"]


def test_the_constraints_of_a_vi_are_part_of_the_feasibility_diagnosis():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(initialize=0.0)
    m.k = pyo.Constraint(expr=m.x <= 1)
    m.k2 = pyo.Constraint(expr=m.x >= 3)
    problem = sq.EquilibriumProblem(m)
    problem.add_vi(m.x - 2, m.x, constraints=[m.k, m.k2])
    sol = problem.solve()
    assert not sol.converged
    assert [(f.kind, sorted(f.components), f.amount) for f in sol.diagnosis] == [("infeasible", ["k", "k2"], 2.0)]


def test_a_vi_equation_is_oriented_as_in_the_mcp_when_diagnosed():
    """c: x >= 1 paired with y <= 0 (upper bound only) is F = 1 - x <= 0, i.e. c itself; read the other way
    (x - 1 <= 0) it would contradict x >= 1.5. Player a minimises (x - 1.75)^2 on [1.5, 2]: x = 1.75, and
    F = -0.75 < 0 holds y at its upper bound 0."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(1.5, 2), initialize=1.5)
    m.y = pyo.Var(bounds=(None, 0), initialize=0.0)
    m.c = pyo.Constraint(expr=m.x >= 1)
    problem = sq.EquilibriumProblem(m)
    problem.add_agent("a", (m.x - 1.75) ** 2, m.x)
    problem.add_vi(m.c, m.y)
    assert diagnose(problem) == []
    sol = solved(problem)
    assert (sol.value(m.x), sol.value(m.y)) == pytest.approx((1.75, 0.0), abs=1e-8)


# ------------------------------------------------------------------------------------------ validation
def test_a_kink_in_a_vi_constraint_of_the_vis_own_variable_is_rejected():
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], initialize=0.0)
    m.k = pyo.Constraint(expr=abs(m.x[1]) + m.x[2] <= 1)
    problem = sq.EquilibriumProblem(m)
    problem.add_vi([m.x[1] - 1, m.x[2]], m.x, constraints=m.k)
    with pytest.raises(sq.ModelError, match=r"constraint k \(the vi in x\[1\], x\[2\]\) uses abs\(\) of a variable "
                                            r"the VI controls.*Reformulate: abs\(x\)"):
        problem.mcp()


def test_kinks_in_others_variables_and_in_a_qvis_shadow_are_accepted_but_not_infinite_bounds():
    """abs() of another agent's variable or of a shadow copy is a parameter of the VI's set (never differentiated):
    accepted. w minimises (w - 1)^2: w = 1; F = y - 3 with K(s) = {y + |w| + |s| <= 2}: y = 1/2, u = 5/2 at
    s = y."""
    m = pyo.ConcreteModel()
    m.y = pyo.Var(initialize=0.0)
    m.s = pyo.Var(initialize=0.0)
    m.w = pyo.Var(initialize=0.0)
    m.k = pyo.Constraint(expr=m.y + abs(m.w) + abs(m.s) <= 2)
    problem = sq.EquilibriumProblem(m)
    problem.add_agent("p", (m.w - 1) ** 2, m.w)
    problem.add_qvi(m.y - 3, m.y, parameter=m.s, constraints=m.k)
    sol = solved(problem)
    assert (sol.value(m.w), sol.value(m.y), sol.multiplier(m.k)) == pytest.approx((1.0, 0.5, 2.5), abs=1e-7)
    m.bad = pyo.Constraint(expr=m.y <= float("nan"))
    problem.vi_blocks[0].constraints.append(m.bad)
    with pytest.raises(sq.ModelError, match=r"constraint bad \(the qvi in y\) has a bound that is not a finite number"):
        problem.mcp()


# ------------------------------------------------------------------------------------------ older bugs
def test_a_single_free_vi_pair_solves():
    """y - 1 _|_ y free: y = 1. One equation and no product used to give casadi a 2 x 1 'g' with a structural 0."""
    m = pyo.ConcreteModel()
    m.y = pyo.Var(initialize=0.0)
    problem = sq.EquilibriumProblem(m)
    problem.add_vi(m.y - 1, m.y)
    sol = solved(problem)
    assert sol.value(m.y) == pytest.approx(1.0, abs=1e-10) and sol.status == EQUILIBRIUM


def test_best_response_check_of_a_problem_without_agents_is_an_empty_table():
    m = pyo.ConcreteModel()
    m.y = pyo.Var(bounds=(0, None), initialize=0.0)
    problem = sq.EquilibriumProblem(m)
    problem.add_vi(m.y - 1, m.y)
    table = sq.best_response_check(problem, solved(problem))
    assert table.empty and list(table.columns) == ["objective", "best_response", "gain", "status"]
