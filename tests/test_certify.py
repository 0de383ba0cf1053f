"""Convexity proofs and global best-response certificates (sharedeq.certify), against answers derived by hand."""

import math
import random

import casadi as ca
import numpy as np
import pyomo.environ as pyo
import pytest

import sharedeq as sq
from cases.river_basin import build_problem as river_basin
from cases.small_games import ffp
from sharedeq.certify import (
    LIMITS,
    Convexity,
    _branch_and_bound,
    _Program,
    _shape,
    agent_convexity,
    certify,
    certify_agent,
)
from sharedeq.problem import Agent


def concave_at_shared_bound():
    """Agent 2 maximises (x2 - 0.4)^2 on [0, 1] with x1 + x2 <= 0.9 and x1 = 0.3: x2 <= 0.6.

    At x2 = 0.6 the objective increases towards the shared bound (slope 0.4, multiplier 0.4): a KKT point and a
    local maximum with no free direction left, worth 0.04. The far end x2 = 0 is worth 0.16: gain 0.12.
    """
    m = pyo.ConcreteModel()
    m.x1 = pyo.Var(bounds=(0, 1), initialize=0.3)
    m.x2 = pyo.Var(bounds=(0, 1), initialize=0.6)
    m.share = pyo.Constraint(expr=m.x1 + m.x2 <= 0.9)
    problem = sq.EquilibriumProblem(m, name="concave agent at a shared bound")
    problem.add_agent("1", objective=(m.x1 - 0.3) ** 2, variables=m.x1)
    problem.add_agent("2", objective=(m.x2 - 0.4) ** 2, variables=m.x2, sense="max")
    problem.add_shared(m.share)
    return problem


def test_concave_agent_at_shared_bound_is_improvable_by_the_exact_gain():
    problem = concave_at_shared_bound()
    cert = certify_agent(problem, "2")
    assert cert.convexity.verdict == "nonconvex"
    assert "eigenvalue -2" in cert.convexity.reason
    assert cert.verdict == "improvable"
    assert cert.gain == pytest.approx(0.16 - 0.04, abs=1e-12)
    assert cert.response == pytest.approx({"x2": 0.0}, abs=1e-12)
    assert cert.method.startswith("exact QP enumeration")
    assert certify_agent(problem, "1").verdict == "global"


def test_interval_branch_and_bound_finds_the_far_end_of_the_interval():
    """With enumeration switched off, the one-variable branch and bound still finds x2 = 0 (an end point)."""
    cert = certify_agent(concave_at_shared_bound(), "2", max_active_sets=0)
    assert cert.verdict == "improvable"
    assert cert.gain == pytest.approx(0.12, abs=1e-12)
    assert cert.response == {"x2": 0.0}
    assert cert.method.startswith("interval branch and bound")


def test_ffp_agents_are_convex_and_global_at_the_variational_equilibrium():
    problem = ffp("ve")
    solution = problem.solve(mode="ve")
    solution.load()
    assert solution.value(problem.agent("p1").variables[0]) == pytest.approx(0.75, abs=1e-8)
    table = certify(problem)
    assert list(table.index) == ["p1", "p2"]
    assert (table["convexity"] == "convex").all()
    assert (table["verdict"] == "global").all()
    assert (table["method"] == "convex: KKT suffices").all()
    assert table["gain"].isna().all()          # nothing re-solved for a convex agent
    assert table.loc["p1", "reason"] == "quadratic objective, Hessian eigenvalues >= 0; linear constraints"


def test_river_basin_firms_are_convex():
    problem = river_basin("ve")
    problem.solve(mode="ve")
    table = certify(problem)
    assert (table["convexity"] == "convex").all() and (table["verdict"] == "global").all()


def indefinite_qp(point):
    """Agent 'a': f = y1 y2 - y1^2 + y2^2 / 2 + z y2 with z = -1/4 (agent 'b'), 0 <= y <= 1, y1 + 2 y2 <= 2.

    Hessian [[-2, 1], [1, 1]] (determinant -3: indefinite). Over the polytope (vertices (0,0), (1,0), (1,1/2),
    (0,1)): edge y1 = 0 gives y2^2/2 - y2/4, least -1/32 at y2 = 1/4; edge y2 = 0 gives -y1^2, least -1 at
    (1, 0); edge y1 = 1 gives y2^2/2 + 3/4 y2 - 1, least -1 at (1, 0); edge y1 + 2 y2 = 2 is concave in y2,
    least -1/2 at (1, 1/2); the interior stationary point (1/12, 1/6) is a saddle worth -1/48.
    Global minimum: -1 at the vertex (1, 0).
    """
    m = pyo.ConcreteModel()
    m.y = pyo.Var([1, 2], bounds=(0, 1))
    m.z = pyo.Var(initialize=-0.25)
    m.cut = pyo.Constraint(expr=m.y[1] + 2 * m.y[2] <= 2)
    problem = sq.EquilibriumProblem(m)
    problem.add_agent("a", objective=m.y[1] * m.y[2] - m.y[1] ** 2 + 0.5 * m.y[2] ** 2 + m.z * m.y[2],
                      variables=m.y, constraints=m.cut)
    problem.add_agent("b", objective=(m.z + 0.25) ** 2, variables=m.z)
    m.y[1].value, m.y[2].value = point
    return problem


def test_indefinite_qp_agent_global_minimum_at_a_vertex():
    # (0, 1/4) is a strict local minimum (KKT with y1 at its bound, curvature +1 along y2) worth -1/32
    cert = certify_agent(indefinite_qp((0.0, 0.25)), "a")
    assert cert.convexity.verdict == "nonconvex"
    assert cert.verdict == "improvable"
    assert cert.gain == pytest.approx(-1 / 32 + 1, abs=1e-12)
    assert cert.response == pytest.approx({"y[1]": 1.0, "y[2]": 0.0}, abs=1e-12)
    assert cert.method == "exact QP enumeration (14 active sets)"   # (1 + z)(1 + 2z)^2 = 1 + 5z + 8z^2 + ...
    # at the vertex itself the enumeration proves it global
    at_vertex = certify_agent(indefinite_qp((1.0, 0.0)), "a")
    assert at_vertex.verdict == "global" and at_vertex.gain == pytest.approx(0.0, abs=1e-12)


def test_enumeration_agrees_with_a_dense_grid_on_random_indefinite_qps():
    """Independent check: the exact minimum is never above a 401 x 401 grid's, and within its resolution."""
    rng = np.random.default_rng(3)
    for _ in range(5):
        Q = rng.normal(size=(2, 2))
        Q = Q + Q.T
        c, a = rng.normal(size=2), rng.uniform(0.2, 1.0, size=2)
        m = pyo.ConcreteModel()
        m.y = pyo.Var([0, 1], bounds=(-1, 1), initialize=0.0)
        m.cap = pyo.Constraint(expr=a[0] * m.y[0] + a[1] * m.y[1] <= 0.5)
        problem = sq.EquilibriumProblem(m)
        f = sum(0.5 * Q[i, j] * m.y[i] * m.y[j] for i in range(2) for j in range(2)) + c[0] * m.y[0] + c[1] * m.y[1]
        problem.add_agent("q", objective=f, variables=m.y, constraints=m.cap)
        cert = certify_agent(problem, "q", tol=1e-12)
        g = np.linspace(-1, 1, 401)
        Y0, Y1 = np.meshgrid(g, g)
        F = 0.5 * (Q[0, 0] * Y0 ** 2 + 2 * Q[0, 1] * Y0 * Y1 + Q[1, 1] * Y1 ** 2) + c[0] * Y0 + c[1] * Y1
        grid_best = F[a[0] * Y0 + a[1] * Y1 <= 0.5].min()
        exact_best = 0.0 - cert.gain if cert.verdict == "improvable" else 0.0
        assert exact_best <= grid_best + 1e-12
        assert exact_best >= grid_best - 0.05
        if cert.verdict == "improvable":
            y = cert.response
            value = 0.5 * (Q[0, 0] * y["y[0]"] ** 2 + 2 * Q[0, 1] * y["y[0]"] * y["y[1]"] + Q[1, 1] * y["y[1]"] ** 2)
            assert value + c[0] * y["y[0]"] + c[1] * y["y[1]"] == pytest.approx(exact_best, abs=1e-10)


def test_unbounded_nonconvex_agent_has_infinite_gain():
    """min -(u - 1)^2 + v u over u >= 0 with v = 0: at u = 1 (a stationary maximum) the gain is unbounded."""
    m = pyo.ConcreteModel()
    m.u = pyo.Var(bounds=(0, None), initialize=1.0)
    m.v = pyo.Var(initialize=0.0)
    problem = sq.EquilibriumProblem(m)
    problem.add_agent("u", objective=-(m.u - 1) ** 2 + m.v * m.u, variables=m.u)
    problem.add_agent("v", objective=m.v ** 2, variables=m.v)
    cert = certify_agent(problem, "u")
    assert cert.verdict == "improvable" and cert.gain == math.inf
    assert "unbounded" in cert.method
    assert cert.response["u"] >= 0 and -(cert.response["u"] - 1) ** 2 <= -1    # feasible, better by >= 1


def test_unbounded_feasible_set_without_a_descent_ray_is_not_claimed_global():
    """min -y1^2 + y2^2 over y1 in [0, 1], y2 free: (1, 0) is the global minimum, but the feasible set is
    unbounded and only its box |y - y*| <= R was enumerated, so the verdict stays 'unproven'."""
    m = pyo.ConcreteModel()
    m.y = pyo.Var([1, 2], initialize=0.0)
    m.y[1].setlb(0)
    m.y[1].setub(1)
    m.y[1].value = 1.0
    problem = sq.EquilibriumProblem(m)
    problem.add_agent("a", objective=-m.y[1] ** 2 + m.y[2] ** 2, variables=m.y)
    cert = certify_agent(problem, "a")
    assert cert.verdict == "unproven" and cert.gain == pytest.approx(0.0, abs=1e-12)
    assert "feasible set unbounded" in cert.method
    m.y[1].value = 0.0      # from (0, 0) the box does contain the better vertex (1, 0)
    cert = certify_agent(problem, "a")
    assert cert.verdict == "improvable" and cert.gain == pytest.approx(1.0, abs=1e-12)


def cubic(point, lower=-2.5, upper=3.0):
    """Agent 'c' minimises x^3 - 3 x + w on [lower, upper] (w = 1/2 belongs to agent 'w'): local minimum x = 1
    (value -2 + w); x = -2.5 is worth -15.625 + 7.5 + w = -8.125 + w; on [-1.5, 3], f(-1.5) = 1.125 + w, so
    x = 1 is the global minimum there."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(lower, upper), initialize=point)
    m.w = pyo.Var(initialize=0.5)
    problem = sq.EquilibriumProblem(m)
    problem.add_agent("c", objective=m.x ** 3 - 3 * m.x + m.w, variables=m.x)
    problem.add_agent("w", objective=(m.w - 0.5) ** 2, variables=m.w)
    return problem


def test_nonlinear_one_variable_agent_is_decided_by_branch_and_bound():
    cert = certify_agent(cubic(1.0), "c")
    assert cert.convexity.verdict == "unknown"
    assert cert.verdict == "improvable"
    assert cert.gain == pytest.approx(-2 + 8.125, abs=1e-12)
    assert cert.response == {"x": -2.5}
    proven = certify_agent(cubic(1.0, lower=-1.5), "c")
    assert proven.verdict == "global" and proven.gain == 0.0
    assert proven.method.startswith("interval branch and bound (")


def test_branch_and_bound_on_an_unbounded_interval():
    """No upper bound: the interval is split at fast-growing distances until f' > 0 on the tail [M, inf), which is
    then dropped (f >= f(M) there). From x = 1 the far end -2.5 wins; on [-1.5, inf) x = 1 is proven global."""
    cert = certify_agent(cubic(1.0, upper=None), "c")
    assert cert.method.startswith("interval branch and bound")
    assert cert.verdict == "improvable"
    assert cert.gain == pytest.approx(6.125, abs=1e-12)
    assert cert.response == {"x": -2.5}
    assert certify_agent(cubic(1.0, lower=-1.5, upper=None), "c").verdict == "global"


def test_multistart_never_claims_global():
    """Two variables, x = (1, 0) is the global minimum of x1^3 - 3 x1 + x2^2 on [-1.5, 3] x [-1, 1]; a
    multistart can only say 'unproven'."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], bounds=lambda m, i: (-1.5, 3) if i == 1 else (-1, 1), initialize={1: 1.0, 2: 0.0})
    problem = sq.EquilibriumProblem(m)
    problem.add_agent("c", objective=m.x[1] ** 3 - 3 * m.x[1] + m.x[2] ** 2, variables=m.x)
    cert = certify_agent(problem, "c")
    assert cert.method.startswith("multistart")
    assert cert.verdict == "unproven"
    assert 0.0 <= cert.gain <= 1e-9


def test_branch_and_bound_on_nonsmooth_objectives():
    """-|x - 1/2| on [0, 1]: the end points are the global minima (-1/2); floor(-x) is 0 at x = 0 and -1 on
    (0, 1]. Neither has a derivative to lean on; the ranges alone decide, and floor's flat slope is not taken
    for monotonicity."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 1), initialize=0.0)
    problem = sq.EquilibriumProblem(m)
    problem.add_agent("v", objective=-abs(m.x - 0.5), variables=m.x)
    assert certify_agent(problem, "v").verdict == "global"
    m.x.value = 0.5
    cert = certify_agent(problem, "v")
    assert cert.verdict == "improvable" and cert.gain == pytest.approx(0.5, abs=1e-12)
    steps = sq.EquilibriumProblem(m)
    steps.add_agent("s", objective=pyo.floor(-m.x), variables=m.x)
    m.x.value = 0.0
    cert = certify_agent(steps, "s")
    assert cert.verdict == "improvable" and cert.gain == pytest.approx(1.0)
    assert -math.floor(-cert.response["x"]) == 1


def test_curvature_rules_prove_convexity_of_nonquadratic_agents():
    m = pyo.ConcreteModel()
    m.w = pyo.Var([1, 2], bounds=(0.1, 5), initialize=1.0)
    m.k = pyo.Constraint(expr=pyo.log(m.w[1]) + pyo.sqrt(m.w[2]) >= 0.5)
    m.q = pyo.Constraint(expr=pyo.exp(m.w[1]) + m.w[2] ** 2 <= 30)
    problem = sq.EquilibriumProblem(m)
    problem.add_agent("e", objective=pyo.exp(m.w[1]) - pyo.log(m.w[2]) + 1 / m.w[1] + abs(m.w[1] - m.w[2]),
                      variables=m.w, constraints=[m.k, m.q])
    convexity = agent_convexity(problem, "e")
    assert convexity.verdict == "convex"
    assert convexity.reason == "objective convex by curvature rules; convex constraints k (>=), q (<=)"
    # the same functions the other way round are not convex: no claim
    m.k2 = pyo.Constraint(expr=pyo.log(m.w[1]) <= 1)
    concave = sq.EquilibriumProblem(m)
    concave.add_agent("e", objective=-abs(m.w[1] - m.w[2]), variables=m.w, constraints=m.k2)
    convexity = agent_convexity(concave, "e")
    assert convexity.verdict == "unknown"
    assert "objective" in convexity.reason and "k2 (<=)" in convexity.reason


def test_quadratic_constraint_with_negative_curvature_is_named():
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], bounds=(0, 3), initialize=1.0)
    m.hyper = pyo.Constraint(expr=m.x[1] * m.x[2] >= 1)
    m.ball = pyo.Constraint(expr=m.x[1] ** 2 + m.x[2] ** 2 <= 9)
    problem = sq.EquilibriumProblem(m)
    problem.add_agent("p", objective=m.x[1] + m.x[2], variables=m.x, constraints=[m.hyper, m.ball])
    convexity = agent_convexity(problem, "p")
    assert convexity.verdict == "nonconvex"
    assert convexity.reason == "hyper (>=): Hessian eigenvalue -1 < 0"


def test_negative_curvature_off_the_affine_set_does_not_count():
    """f = x1^2 - x2^2 with x1 - x2 = 0 (own equality): on the feasible line f = 0, a convex program."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], initialize=0.0)
    m.line = pyo.Constraint(expr=m.x[1] == m.x[2])
    problem = sq.EquilibriumProblem(m)
    problem.add_agent("p", objective=m.x[1] ** 2 - m.x[2] ** 2, variables=m.x, constraints=m.line)
    assert agent_convexity(problem, "p").verdict == "convex"


def test_gams_objective_variable_and_implicit_variables():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 2), initialize=1.0)
    m.obj = pyo.Var(initialize=0.0)
    m.objdef = pyo.Constraint(expr=m.obj == (m.x - 1) ** 2)
    problem = sq.EquilibriumProblem(m)
    problem.add_agent("g", objective=m.obj, variables=[m.x, m.obj], constraints=m.objdef, sense="max")
    cert = certify_agent(problem, "g")           # maximise (x - 1)^2 on [0, 2] from x = 1: gain 1
    assert cert.verdict == "improvable" and cert.gain == pytest.approx(1.0, abs=1e-12)
    assert set(cert.response) == {"x"}

    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], bounds=(0, 2), initialize=0.5)
    m.y = pyo.Var(initialize=1.0)
    m.ydef = pyo.Constraint(expr=m.y == m.x[1] + m.x[2])
    problem = sq.EquilibriumProblem(m)
    problem.add_agent("1", objective=(m.y - 1) ** 2 + m.x[1], variables=m.x[1])
    problem.add_agent("2", objective=-(m.y - 1) ** 2, variables=m.x[2])
    problem.add_implicit(m.y, m.ydef)
    table = certify(problem)
    assert table.loc["1", "convexity"] == "convex"
    # agent 2 maximises (y - 1)^2 with y = 0.5 + x2, x2 in [0, 2]: best y = 2.5, gain 1.5^2
    assert table.loc["2", "verdict"] == "improvable"
    assert table.loc["2", "gain"] == pytest.approx(2.25, abs=1e-12)
    assert table.loc["2", "response"] == pytest.approx({"x[2]": 2.0, "y": 2.5}, abs=1e-12)


def test_bad_input_is_a_model_error_in_the_users_names():
    problem = indefinite_qp((0.0, 0.25))
    problem.model.z.value = None
    with pytest.raises(sq.ModelError, match=r"z has no value"):
        certify_agent(problem, "a")
    with pytest.raises(sq.ModelError, match="unknown certify limit"):
        certify_agent(indefinite_qp((0.0, 0.25)), "a", max_sets=3)
    with pytest.raises(sq.ModelError, match="no agent named 'c'"):
        certify(indefinite_qp((0.0, 0.25)), agents=["c"])


def test_curvature_claims_hold_numerically_on_random_expressions():
    """Soundness of the curvature rules: every convex (concave) claim on a box is checked by Jensen's inequality
    at random pairs of points, and every claimed range against the sampled values."""
    rng = random.Random(0)
    x = ca.SX.sym("x", 2)
    lb, ub = np.array([-1.0, 0.5]), np.array([2.0, 3.0])

    def expr(depth):
        if depth == 0 or rng.random() < 0.2:
            return rng.choice([x[0], x[1], ca.SX(rng.uniform(-2, 2))])
        a, k = expr(depth - 1), rng.randrange(12)
        unary = [ca.exp, ca.log, ca.sqrt, ca.fabs, lambda e: -e, lambda e: 1 / e,
                 lambda e: e ** rng.choice([2, 3, 0.5, 1.5, -1, 4]), lambda e: e * rng.uniform(-2, 2)]
        binary = [lambda p, q: p + q, lambda p, q: p * q, ca.fmax, ca.fmin]
        return unary[k](a) if k < len(unary) else binary[k - len(unary)](a, expr(depth - 1))

    claims = 0
    sample = np.random.default_rng(0)
    for _ in range(400):
        fn = ca.Function("f", [x], [expr(4)])
        shape = _shape(fn, lb, ub)
        if not (shape.convex or shape.concave):
            continue
        claims += 1
        p, q, t = sample.uniform(lb, ub, (100, 2)), sample.uniform(lb, ub, (100, 2)), sample.uniform(0, 1, 100)
        values = [np.array(fn.map(100)(pts.T)).ravel() for pts in (t[:, None] * p + (1 - t[:, None]) * q, p, q)]
        mid, chord = values[0], t * values[1] + (1 - t) * values[2]
        ok = np.isfinite(mid) & np.isfinite(chord)
        slack = 1e-7 * (1 + np.abs(chord[ok]))
        if shape.convex:
            assert (mid[ok] <= chord[ok] + slack).all(), fn
        if shape.concave:
            assert (mid[ok] >= chord[ok] - slack).all(), fn
        seen = values[1][np.isfinite(values[1])]
        assert (seen >= shape.lo - 1e-9 * (1 + abs(shape.lo))).all() and (seen <= shape.hi + 1e-9 * (1 + abs(
            shape.hi))).all(), fn
    assert claims > 100


def test_branch_and_bound_agrees_with_a_dense_grid_on_random_one_variable_functions():
    """Soundness of 'global' and of the best response claimed, on random smooth and nonsmooth functions of one
    variable (a 20001-point grid can only overestimate the minimum, so it never beats a true certificate)."""
    rng = random.Random(1)
    x = ca.SX.sym("x", 1)

    def expr(depth):
        if depth == 0 or rng.random() < 0.25:
            return rng.choice([x[0], x[0], ca.SX(rng.uniform(-2, 2))])
        a, k = expr(depth - 1), rng.randrange(10)
        ops = [lambda: a + expr(depth - 1), lambda: a * expr(depth - 1), lambda: ca.exp(a / 3), lambda: ca.sin(2 * a),
               lambda: a ** rng.choice([2, 3]), lambda: ca.fabs(a), lambda: ca.fmax(a, expr(depth - 1)),
               lambda: a / (1 + expr(depth - 1) ** 2), lambda: ca.cos(a), lambda: ca.atan(3 * a)]
        return ops[k]()

    verdicts = []
    for trial in range(40):
        e = expr(4)
        lo, hi = sorted((rng.uniform(-3, 3), rng.uniform(-3, 3)))
        fn = ca.Function("f", [x], [e])
        grid = np.linspace(lo, hi, 20001)
        values = np.array(fn.map(grid.size)(grid[None, :])).ravel()
        if not ca.depends_on(e, x) or hi - lo < 0.1 or not np.isfinite(values).all():
            continue
        point = grid[np.argmin(values)] if trial % 2 else rng.uniform(lo, hi)
        program = _Program(["x"], x, e, [], [], np.array([lo]), np.array([hi]), np.array([point]), [])
        f_star = float(fn(point))
        threshold = 1e-7 * max(1.0, abs(f_star))
        cert = _branch_and_bound(Agent("a", None, "min", [], []), program, Convexity("unknown", ""), f_star,
                                 threshold, dict(LIMITS))
        verdicts.append(cert.verdict)
        if cert.verdict == "global":
            assert values.min() >= f_star - threshold - 1e-12, e
        if cert.verdict == "improvable":
            best = float(fn(cert.response["x"]))
            assert lo <= cert.response["x"] <= hi and f_star - best == pytest.approx(cert.gain, abs=1e-12)
            if "stopped" not in cert.method and "unresolved" not in cert.method:
                assert values.min() >= best - threshold - 1e-9, e
    assert verdicts.count("global") >= 5 and verdicts.count("improvable") >= 5
