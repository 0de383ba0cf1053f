"""Every empinfo keyword beyond agents and VIsol, solved against a solution derived by hand, and written back.

Each model is small enough that its solution follows from its KKT conditions in closed form (derivations in
the docstrings); GAMS EMP library models are named where the example follows one.
"""

import sys

import pyomo.environ as pyo
import pytest

import sharedeq as sq
from cases import scarfmcp
from sharedeq.emp import EmpError, EmpInfo, problem_from_empinfo, resolve_empinfo, to_empinfo
from sharedeq.errors import ModelError


def solved(problem):
    solution = problem.solve()
    assert solution.converged, solution.message
    return solution


def round_trip(model, text):
    """Read ``text``, write it back, read that again: the written text is stable and both problems solve."""
    problem = problem_from_empinfo(model, text)
    written = to_empinfo(problem)
    again = problem_from_empinfo(model, written)
    assert to_empinfo(again) == written
    return problem, again, written


# ------------------------------------------------------------------------------------------ vi with constraints
def simple_vi():
    """GAMS EMP library simplevi: F(x) = 2x, x >= 0, K = {x1 + x2 >= 6, x2 + x3 >= 9}.

    F is the gradient of sum x^2, so the VI is min sum x^2 over K: 2x1 = u1, 2x2 = u1 + u2, 2x3 = u2 with both
    constraints active gives u1 + u2/2 = 6, u1/2 + u2 = 9, so u = (2, 8) and x = (1, 5, 4).
    """
    m = pyo.ConcreteModel()
    m.j = pyo.Set(initialize=[1, 2, 3])
    m.x = pyo.Var(m.j, within=pyo.NonNegativeReals, initialize=0.0)
    m.F = pyo.Constraint(m.j, rule=lambda m, j: 2 * m.x[j] == 0)
    m.g = pyo.Constraint([1, 2], rule=lambda m, i: m.x[i] + m.x[i + 1] >= (6, 9)[i - 1])
    return m


def test_vi_with_constraints_solves_the_vi_not_the_box_mcp():
    m = simple_vi()
    problem, again, written = round_trip(m, "vi F x g")
    assert written == "equilibrium\nvi F x g\n"
    for p in (problem, again):
        sol = solved(p)
        assert [sol.value(m.x[j]) for j in m.j] == pytest.approx([1.0, 5.0, 4.0], abs=1e-8)
        assert [sol.multiplier(m.g[i]) for i in (1, 2)] == pytest.approx([2.0, 8.0], abs=1e-8)


def test_unmatched_equations_of_a_vi_may_come_first_and_dualvar_names_their_multipliers():
    m = simple_vi()
    m.u = pyo.Var([1, 2], within=pyo.NonNegativeReals)
    text = "equilibrium\nvi g(1) F x g(2)\ndualvar u g\n"
    sol = solved(problem_from_empinfo(m, text))
    assert [sol.value(m.u[i]) for i in (1, 2)] == pytest.approx([2.0, 8.0], abs=1e-8)


def zero_function_model():
    """GAMS EMP library zerofunc, made nondegenerate: F_y = y - 2, K = {y + z^2 <= 1}, y and z free; z appears
    in no pair, so it gets the zero function. KKT: y - 2 + u = 0, 2 u z = 0, u >= 0: u = 2 - y > 0 makes the
    constraint active and z = 0, so y = 1, u = 1."""
    m = pyo.ConcreteModel()
    m.y = pyo.Var(initialize=0.0)
    m.z = pyo.Var(initialize=0.5)
    m.Fy = pyo.Constraint(expr=m.y - 2 == 0)
    m.g = pyo.Constraint(expr=m.y + m.z ** 2 <= 1)
    return m


@pytest.mark.parametrize("text", ["vi Fy y g", "vi z Fy y g", "vi Fy y z g"])
def test_unmatched_variables_get_the_zero_function(text):
    m = zero_function_model()
    problem, again, written = round_trip(m, text)
    assert written == "equilibrium\nvi z Fy y g\n"
    for p in (problem, again):
        sol = solved(p)
        assert (sol.value(m.y), sol.value(m.z), sol.multiplier(m.g)) == pytest.approx((1.0, 0.0, 1.0), abs=1e-7)


# ------------------------------------------------------------------------------------------ qvi
def moving_set():
    """A QVI whose set moves with the point: F(y) = y - a, a = (1, 2), y >= 0,
    K(x) = {y : y1 + x2/2 <= 1, y2 + x1/2 <= 1} with x the shadow copy of y.

    As a QVI each y_i is the projection of a_i onto (-inf, 1 - y_j / 2]: both bounds bind (a_i > 1 - y_j/2),
    so y1 = 1 - y2/2, y2 = 1 - y1/2, y = (2/3, 2/3), and u_i = a_i - y_i = (1/3, 4/3). Read as a VI (the
    constraints differentiated in every variable) the answer differs: y = (2/5, 4/5) with only the second
    constraint active (y1 - 1 + u2/2 = 0, y2 - 2 + u2 = 0, y2 + y1/2 = 1 give u2 = 6/5).
    """
    m = pyo.ConcreteModel()
    m.i = pyo.Set(initialize=[1, 2])
    a = {1: 1.0, 2: 2.0}
    m.y = pyo.Var(m.i, within=pyo.NonNegativeReals, initialize=0.0)
    m.x = pyo.Var(m.i, within=pyo.NonNegativeReals, initialize=0.0)
    m.F = pyo.Constraint(m.i, rule=lambda m, i: m.y[i] - a[i] == 0)
    m.g = pyo.Constraint(m.i, rule=lambda m, i: m.y[i] + m.x[3 - i] / 2 <= 1)
    m.gy = pyo.Constraint(m.i, rule=lambda m, i: m.y[i] + m.y[3 - i] / 2 <= 1)
    return m


def test_qvi_differentiates_its_constraints_in_the_variable_only_not_in_the_shadow():
    m = moving_set()
    problem, again, written = round_trip(m, "qvi F y x g")
    assert written == "equilibrium\nqvi F y x g\n"
    for p in (problem, again):
        sol = solved(p)
        assert [sol.value(m.y[i]) for i in m.i] == pytest.approx([2 / 3, 2 / 3], abs=1e-8)
        assert [sol.multiplier(m.g[i]) for i in m.i] == pytest.approx([1 / 3, 4 / 3], abs=1e-8)
    vi = solved(problem_from_empinfo(m, "vi F y gy"))
    assert [vi.value(m.y[i]) for i in m.i] == pytest.approx([0.4, 0.8], abs=1e-8)


def test_a_vi_whose_constraints_hold_other_agents_variables_is_a_qvi_in_them():
    """Player 1 minimises (x1 - 1)^2 / 2; the VI player's set K(x1) = {y : y + x1 / 2 <= 1} with F = y - 2.
    x1 = 1; y = 1 - 1/2 = 1/2 (F < 0 pushes y up to the bound), u = 2 - y = 3/2; the VI constraint is not
    differentiated in x1, so player 1 is unaffected."""
    m = pyo.ConcreteModel()
    m.x1 = pyo.Var(initialize=0.0)
    m.y = pyo.Var(initialize=0.0)
    m.f1 = pyo.Expression(expr=(m.x1 - 1) ** 2 / 2)
    m.F = pyo.Constraint(expr=m.y - 2 == 0)
    m.k = pyo.Constraint(expr=m.y + m.x1 / 2 <= 1)
    problem, again, written = round_trip(m, "equilibrium\nmin f1 x1\nvi F y k\n")
    assert written == "equilibrium\nmin f1 x1\nvi F y k\n"
    sol = solved(again)
    assert (sol.value(m.x1), sol.value(m.y), sol.multiplier(m.k)) == pytest.approx((1.0, 0.5, 1.5), abs=1e-8)


# ------------------------------------------------------------------------------------------ dualequ, long form
def embedded_complementarity(objective_variable):
    """GAMS EMP library ferris43: min_x (x - y)^2 s.t. g: y >= x + 1 (multiplier lambda), and H: y + lambda = 2
    with y free. The optimiser sets x = y - 1 (g active), stationarity 2(x - y) + lambda = 0 gives lambda = 2,
    so H gives y = 0 and x = -1."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(initialize=0.0)
    m.y = pyo.Var(initialize=0.0)
    m.lam = pyo.Var(within=pyo.NonNegativeReals, initialize=0.0)
    if objective_variable:
        m.obj = pyo.Var()
        m.defobj = pyo.Constraint(expr=m.obj == (m.x - m.y) ** 2)
    else:
        m.obj = pyo.Objective(expr=(m.x - m.y) ** 2)
    m.g = pyo.Constraint(expr=m.y >= m.x + 1)
    m.H = pyo.Constraint(expr=m.y + m.lam == 2)
    return m


def test_dualequ_in_the_long_form_peels_the_equation_and_its_variable_off_the_one_optimiser():
    m = embedded_complementarity(objective_variable=False)
    problem = problem_from_empinfo(m, "dualequ H y\ndualvar lam g\n")
    assert [a.name for a in problem.agents] == ["obj"]
    assert problem.agents[0].variables == [m.x] and problem.agents[0].constraints == [m.g]
    sol = solved(problem)
    assert (sol.value(m.x), sol.value(m.y), sol.value(m.lam)) == pytest.approx((-1.0, 0.0, 2.0), abs=1e-8)
    assert to_empinfo(problem) == "equilibrium\nmin obj x g\ndualequ H y\ndualvar lam g\n"


def test_dualequ_and_vi_in_an_equilibrium_are_the_same_pair():
    m = embedded_complementarity(objective_variable=True)
    for keyword in ("dualequ", "vi"):
        text = f"equilibrium\nmin obj x g defobj\n{keyword} H y\ndualvar lam g\n"
        problem, again, written = round_trip(m, text)
        assert written == text
        sol = solved(again)
        assert (sol.value(m.x), sol.value(m.y), sol.value(m.lam)) == pytest.approx((-1.0, 0.0, 2.0), abs=1e-8)


# ------------------------------------------------------------------------------------------ fixed variables
def test_a_fixed_variables_pair_is_dropped_with_its_equation():
    """F_i = x_i - i with x free; x[2] fixed at 5. Kept, the pair x2 - 2 = 0 would contradict x2 = 5."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2, 3], initialize=0.0)
    m.x[2].fix(5)
    m.F = pyo.Constraint([1, 2, 3], rule=lambda m, i: m.x[i] - i == 0)
    sol = solved(problem_from_empinfo(m, "vi F x"))
    assert [sol.value(m.x[i]) for i in (1, 2, 3)] == [pytest.approx(1.0), 5.0, pytest.approx(3.0)]
    assert "F[2]" not in set(sol.mcp.pairs["equation"])


def test_scarfmcp_empinfo_with_the_fixed_numeraire_income_solves_to_the_published_prices():
    """SCARFMCP's empinfo 'vi mkt p profit y income i': income('agent1') is paired with the fixed numeraire."""
    m = scarfmcp.build_problem("mcp").model
    m.income["agent1"].activate()
    sol = solved(problem_from_empinfo(m, "vi mkt p profit y income i"))
    for good, price in scarfmcp.REFERENCE["p"].items():
        assert sol.value(m.p[good]) == pytest.approx(price, abs=1e-7)


def all_remaining():
    """GAMS test library emp13: z = sum_i (x_i - c_i)^2 with c_i = 1 + i/10, x1 = x2 = 2 fixed, ss(i): x_i =
    x_(i+1) for i = 1, 2. The agent 'min z * objDef ss' owns every variable left: x3 = x2 = 2, x4 = c4 = 1.4."""
    m = pyo.ConcreteModel()
    m.i = pyo.Set(initialize=["i1", "i2", "i3", "i4"], ordered=True)
    c = {f"i{k}": 1 + k / 10 for k in range(1, 5)}
    m.x = pyo.Var(m.i, initialize=0.0)
    m.z = pyo.Var()
    m.objDef = pyo.Constraint(expr=m.z == sum((m.x[i] - c[i]) ** 2 for i in m.i))
    m.ss = pyo.Constraint(["i1", "i2"], rule=lambda m, i: m.x[i] == m.x[m.i.next(i)])
    m.x["i1"].fix(2)
    m.x["i2"].fix(2)
    return m


@pytest.mark.parametrize("text", ["equilibrium\n  min z * objDef ss\n", "min z x('i3') x('i4') objDef *"])
def test_a_bare_star_takes_every_remaining_variable_or_equation(text):
    m = all_remaining()
    problem = problem_from_empinfo(m, text)
    assert problem.agents[0].variables == [m.x["i3"], m.x["i4"]]
    assert set(problem.agents[0].constraints) == {m.objDef, m.ss["i1"], m.ss["i2"]}
    sol = solved(problem)
    assert [sol.value(m.x[i]) for i in m.i] == pytest.approx([2, 2, 2, 1.4], abs=1e-8)


# ------------------------------------------------------------------------------------------ signs and flips
def test_an_inequality_is_oriented_by_its_variables_bound_whichever_side_pyomo_keeps():
    """'2x >= x + 3' paired with x >= 0 means 2x - x - 3 >= 0 _|_ x >= 0: x = 3 (x = 0 would violate it).
    Pyomo stores it as x + 3 - 2x <= 0; the orientation comes from x's bound, not from Pyomo's storage. Likewise
    '-n >= 4' with n <= 0 gives n = -4 (n = 0 would violate it)."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(within=pyo.NonNegativeReals, initialize=0.0)
    m.c = pyo.Constraint(expr=2 * m.x >= m.x + 3)
    m.n = pyo.Var(bounds=(None, 0), initialize=0.0)
    m.d = pyo.Constraint(expr=-m.n >= 4)            # with n <= 0: F = 4 + n <= 0 exactly when it holds
    sol = solved(problem_from_empinfo(m, "vi c x d n"))
    assert (sol.value(m.x), sol.value(m.n)) == pytest.approx((3.0, -4.0), abs=1e-8)


def test_the_flip_operator_negates_an_equality_function_and_leaves_an_inequality_alone():
    """F = x + 1 _|_ 0 <= x <= 5 gives x = 0 (F > 0 at the lower bound); -F < 0 everywhere gives x = 5."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 5), initialize=2.0)
    m.F = pyo.Constraint(expr=m.x + 1 == 0)
    assert solved(problem_from_empinfo(m, "vi F x")).value(m.x) == pytest.approx(0.0, abs=1e-8)
    problem, again, written = round_trip(m, "vi -F x")
    assert written == "equilibrium\nvi -F x\n"
    assert solved(again).value(m.x) == pytest.approx(5.0, abs=1e-8)


def test_a_flipped_constraint_of_an_optimiser_is_the_same_constraint():
    """GAMS EMP test emp10: flipping an agent's equation (-supply) leaves the solution unchanged: min x + y
    s.t. x + y >= 3, x - y == 1: x = 2, y = 1 either way."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(initialize=0.0)
    m.y = pyo.Var(initialize=0.0)
    m.cost = pyo.Expression(expr=m.x + m.y)
    m.supply = pyo.Constraint(expr=m.x + m.y >= 3)
    m.link = pyo.Constraint(expr=m.x - m.y == 1)
    for text in ("min cost x y supply link", "min cost x y -supply -link"):
        sol = solved(problem_from_empinfo(m, text))
        assert (sol.value(m.x), sol.value(m.y)) == pytest.approx((2.0, 1.0), abs=1e-8)


# ------------------------------------------------------------------------------------------ wildcards, sharedequ
def test_wildcard_indices_quoted_or_not_select_a_slice():
    m = pyo.ConcreteModel()
    m.i = pyo.Set(initialize=["1", "2"])
    m.x = pyo.Var(m.i, m.i, initialize=0.0)
    m.obj = pyo.Expression(m.i, rule=lambda m, i: sum((m.x[i, j] - 1) ** 2 for j in m.i))
    m.consi = pyo.Constraint(m.i, m.i, rule=lambda m, i, j: m.x[i, j] <= 0.5)
    for star in ("*", "'*'", '"*"'):
        text = f"min obj('1') x('1',{star}) consi('1',{star})\nmin obj('2') x('2',{star}) consi('2',{star})"
        spec = resolve_empinfo(m, text)
        assert spec.agents[0].variables == [m.x["1", "1"], m.x["1", "2"]]
        assert spec.agents[1].constraints == [m.consi["2", "1"], m.consi["2", "2"]]
    with pytest.raises(EmpError, match="'x\\('3',\\*\\)' matches no element of 'x'") as info:
        resolve_empinfo(m, "min obj('1') x('3',*)")
    assert (info.value.line, info.value.col) == (1, 14)


def test_sharedequ_declares_a_shared_equation_priced_by_each_agent():
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], bounds=(0, 10), initialize=0.0)
    m.f = pyo.Expression([1, 2], rule=lambda m, i: (m.x[i] - (1, 0.5)[i - 1]) ** 2)
    m.share = pyo.Constraint(expr=m.x[1] + m.x[2] <= 1)
    text = "equilibrium\nsharedequ share\nmin f(1) x(1) share\nmin f(2) x(2) share\n"
    problem = problem_from_empinfo(m, text)
    assert [(s.agents, s.variational) for s in problem.shared] == [(("1", "2"), False)]
    sol = solved(problem)
    x1, x2 = sol.value(m.x[1]), sol.value(m.x[2])
    assert x1 + x2 == pytest.approx(1.0, abs=1e-8) and 0.5 - 1e-8 <= x1 <= 1 + 1e-8   # the GNE segment
    visol = solved(problem_from_empinfo(m, text.replace("sharedequ", "VIsol")))
    assert (visol.value(m.x[1]), visol.value(m.x[2])) == pytest.approx((0.75, 0.25), abs=1e-8)


# ------------------------------------------------------------------------------------------ bilevel
def stackelberg():
    """Leader min (x - 1)^2 + (y - 2)^2 over x >= 0; follower min (y - x)^2 over y >= 0, so y = x and the
    leader minimises (x - 1)^2 + (x - 2)^2: x = y = 3/2, leader objective 1/2."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(within=pyo.NonNegativeReals, initialize=0.0)
    m.y = pyo.Var(within=pyo.NonNegativeReals, initialize=0.0)
    m.upper = pyo.Objective(expr=(m.x - 1) ** 2 + (m.y - 2) ** 2)
    m.lower = pyo.Expression(expr=(m.y - m.x) ** 2)
    return m


def test_bilevel_resolves_the_leader_from_the_model_and_the_followers_from_the_empinfo():
    m = stackelberg()
    spec = resolve_empinfo(m, "bilevel x\nmin lower y\n")
    assert spec.bilevel.objective is m.upper and spec.bilevel.variables == [m.x]
    assert [a.variables for a in spec.agents] == [[m.y]]


def test_bilevel_without_sharedeq_bilevel_says_so(monkeypatch):
    monkeypatch.setitem(sys.modules, "sharedeq.bilevel", None)
    with pytest.raises(EmpError, match="bilevel needs sharedeq.Bilevel"):
        problem_from_empinfo(stackelberg(), "bilevel x\nmin lower y\n")


def test_bilevel_solves_to_the_stackelberg_point():
    pytest.importorskip("sharedeq.bilevel", reason="sharedeq.Bilevel is not in this tree")
    m = stackelberg()
    bilevel = problem_from_empinfo(m, "bilevel x\nmin lower y\n")
    assert to_empinfo(bilevel) == "bilevel x\nmin lower y\n"
    sol = problem_from_empinfo(m, to_empinfo(bilevel)).solve(starts=2)
    assert (sol.value(m.x), sol.value(m.y)) == pytest.approx((1.5, 1.5), abs=1e-6)
    assert sol.extreme_value == pytest.approx(0.5, abs=1e-8)


def bard():
    """Bard (1988), as in the ReSHOP test bard-851: the leader min objout = (x - 1)^2 + 2 y1^2 - 2x over x >= 0
    (defout), the follower min objin = (2 y1 - 4)^2 + (2 y2 - 1)^2 + x y1 over y >= 0 (defin) subject to e1..e4.

    The follower is strictly convex, so its answer y(x) is unique. The leader's optimum lies where e1
    (4x + 5y1 <= 12) and e3 (y1 >= x - 1, with y2 = 0) meet: x = 17/9, y = (8/9, 0), objout = -38/27; for
    larger x the follower has no feasible point (:func:`bard_follower` checks this, and a grid over the feasible
    x finds nothing better)."""
    m = pyo.ConcreteModel()
    m.x, m.y1, m.y2 = (pyo.Var(within=pyo.NonNegativeReals, initialize=0.0) for _ in range(3))
    m.objout, m.objin = pyo.Var(initialize=0.0), pyo.Var(initialize=0.0)
    m.defout = pyo.Constraint(expr=m.objout == (m.x - 1) ** 2 + 2 * m.y1 ** 2 - 2 * m.x)
    m.defin = pyo.Constraint(expr=m.objin == (2 * m.y1 - 4) ** 2 + (2 * m.y2 - 1) ** 2 + m.x * m.y1)
    m.e1 = pyo.Constraint(expr=4 * m.x + 5 * m.y1 + 4 * m.y2 <= 12)
    m.e2 = pyo.Constraint(expr=-4 * m.x - 5 * m.y1 + 4 * m.y2 <= -4)
    m.e3 = pyo.Constraint(expr=4 * m.x - 4 * m.y1 + 5 * m.y2 <= 4)
    m.e4 = pyo.Constraint(expr=-4 * m.x + 4 * m.y1 + 5 * m.y2 <= 4)
    m.bard_objective = pyo.Objective(expr=m.objout)           # GAMS 'solve bard using emp minimizing objout'
    return m


BARD_EMPINFO = "bilevel x\nmin objin y1 y2 defin e1 e2 e3 e4\n"


def bard_follower(x):
    """The follower's best response at ``x`` by scipy (SLSQP on its strictly convex QP), or None if infeasible."""
    from scipy.optimize import minimize

    rows = [(-4 * x + 12, (-5, -4)), (4 * x - 4, (5, -4)), (-4 * x + 4, (4, -5)), (4 * x + 4, (-4, -5))]
    cons = [{"type": "ineq", "fun": lambda y, c=c, a=a: c + a[0] * y[0] + a[1] * y[1]} for c, a in rows]
    res = minimize(lambda y: (2 * y[0] - 4) ** 2 + (2 * y[1] - 1) ** 2 + x * y[0], [0.5, 0.1], method="SLSQP",
                   bounds=[(0, None), (0, None)], constraints=cons, options={"ftol": 1e-12})
    return res.x if res.success and min(c["fun"](res.x) for c in cons) > -1e-9 else None


def test_bilevel_leader_owns_every_equation_and_variable_no_follower_claims():
    """GAMS's rule: the upper level gets the model's equations that no follower lists (defout) and the
    variables left over in them and in its objective (objout, which the solve's objective names)."""
    m = bard()
    spec = resolve_empinfo(m, BARD_EMPINFO)
    assert spec.bilevel.constraints == [m.defout]
    assert spec.bilevel.variables == [m.x, m.objout]
    assert [a.variables for a in spec.agents] == [[m.y1, m.y2]]      # objin is eliminated through defin


def test_bilevel_bard_solves_to_the_published_point():
    pytest.importorskip("sharedeq.bilevel", reason="sharedeq.Bilevel is not in this tree")
    m = bard()
    bilevel = problem_from_empinfo(m, BARD_EMPINFO)
    written = to_empinfo(bilevel)
    assert written == "bilevel x objout\nmin objin y1 y2 defin e1 e2 e3 e4\n"
    assert to_empinfo(problem_from_empinfo(m, written)) == written
    sol = bilevel.solve(starts=2)
    assert sol.converged, sol.message
    assert [sol.value(v) for v in (m.x, m.y1, m.y2)] == pytest.approx([17 / 9, 8 / 9, 0.0], abs=1e-6)
    assert sol.extreme_value == pytest.approx(-38 / 27, abs=1e-8)
    assert m.objout.value == pytest.approx(-38 / 27, abs=1e-8)
    assert bard_follower(17 / 9) == pytest.approx([8 / 9, 0.0], abs=1e-6)
    assert bard_follower(17 / 9 + 0.01) is None                        # beyond x = 17/9 the follower has no y
    grid = [(x, bard_follower(x)) for x in [17 / 9 * k / 40 for k in range(41)]]
    values = [(x - 1) ** 2 + 2 * y[0] ** 2 - 2 * x for x, y in grid if y is not None]
    assert min(values) >= -38 / 27 - 1e-6 and values[-1] == pytest.approx(-38 / 27, abs=1e-6)


# ------------------------------------------------------------------------------------------ objective variables
def simpequil2():
    """GAMS EMP library simpequil2: an agent max x s.t. x + y <= 1 (x >= 0) and a VI that makes -3x + y = 0.5
    with y free. The agent's best response is x = 1 - y, so -3(1 - y) + y = 0.5: y = 7/8, x = 1/8."""
    m = pyo.ConcreteModel()
    m.y = pyo.Var(initialize=0.0)
    m.x = pyo.Var(within=pyo.NonNegativeReals, initialize=0.0)
    m.optcons = pyo.Constraint(expr=m.x + m.y <= 1)
    m.vicons = pyo.Constraint(expr=-3 * m.x + m.y == 0.5)
    return m


def test_an_objective_variable_no_equation_defines_is_the_agents_decision_variable():
    """JAMS's rule (simpequil2, 'max x optcons'): the agent owns its objective variable; when none of its
    equalities defines it, it is a variable the agent chooses."""
    m = simpequil2()
    text = "equilibrium\nmax x optcons\nvi vicons y\n"
    spec = resolve_empinfo(m, text)
    assert [a.variables for a in spec.agents] == [[m.x]]
    problem, again, written = round_trip(m, text)
    assert written == text
    for p in (problem, again):
        sol = solved(p)
        assert (sol.value(m.x), sol.value(m.y)) == pytest.approx((1 / 8, 7 / 8), abs=1e-8)


def test_an_undefined_objective_variable_joins_the_listed_variables():
    """An epigraph: min t over (t, x) s.t. t >= (x - 3)^2 + 1 and t >= 2 - x; at x = 3 the first holds with
    equality and the second is slack (t = 1 > -1), and no smaller t is feasible: x = 3, t = 1."""
    m = pyo.ConcreteModel()
    m.t, m.x = pyo.Var(initialize=5.0), pyo.Var(initialize=0.0)
    m.curve = pyo.Constraint(expr=m.t >= (m.x - 3) ** 2 + 1)
    m.line = pyo.Constraint(expr=m.t >= 2 - m.x)
    spec = resolve_empinfo(m, "equilibrium\nmin t x curve line\n")
    assert [a.variables for a in spec.agents] == [[m.t, m.x]]
    sol = solved(problem_from_empinfo(m, "equilibrium\nmin t x curve line\n"))
    assert (sol.value(m.x), sol.value(m.t)) == pytest.approx((3.0, 1.0), abs=1e-6)


def test_an_objective_variable_defined_by_its_equation_is_still_eliminated():
    m = simpequil2()
    m.u = pyo.Var()
    m.defu = pyo.Constraint(expr=m.u == m.x)
    spec = resolve_empinfo(m, "equilibrium\nmax u x defu optcons\nvi vicons y\n")
    assert [a.variables for a in spec.agents] == [[m.x]]
    with pytest.raises(EmpError, match="controls no variables"):
        resolve_empinfo(m, "equilibrium\nmax u defu optcons\nvi vicons y\n")
    with pytest.raises(EmpError, match="'u' is defined by 'defu', which no statement lists"):
        resolve_empinfo(m, "equilibrium\nmax u x optcons\nvi vicons y\n")


# ------------------------------------------------------------------------------------------ api errors
def test_add_vi_rejects_mismatched_lists_in_the_users_names():
    m = simple_vi()
    problem = sq.EquilibriumProblem(m)
    with pytest.raises(ModelError, match="vi: 2 functions for 3 variables"):
        problem.add_vi([m.F[1], m.F[2]], m.x)


def test_the_builder_writes_the_new_keywords_as_gams_put_statements_would():
    m = moving_set()
    emp = EmpInfo(m).qvi(m.F, m.y, m.x, m.g)
    assert str(emp) == "qvi F y x g\n"
    assert [solved(emp.problem()).value(m.y[i]) for i in m.i] == pytest.approx([2 / 3, 2 / 3], abs=1e-8)
    e = embedded_complementarity(objective_variable=True)
    text = str(EmpInfo(e).equilibrium().min(e.obj, e.x, e.g, e.defobj).dualequ(e.H, e.y).dualvar(e.lam, e.g))
    assert text == "equilibrium\nmin obj x g defobj\ndualequ H y\ndualvar lam g\n"
    assert str(EmpInfo(e).sharedequ(e.g).bilevel(e.x).vi("-H", e.y)) == "sharedequ g\nbilevel x\nvi -H y\n"


def test_the_gams_manuals_qvi_example():
    """GAMS EMP manual, "Quasi-Variational Inequalities": F(y) = A y - b with A = [[2, 8/3], [5/4, 2]],
    b = (100/3, 22.5), K(x) = {0 <= y <= 11 : y1 + x2 <= 15, y2 + x1 <= 20}, x the shadow of y. Player 2 is
    interior, y2 = (22.5 - 5/4 y1) / 2; player 1's unconstrained response (100/3 - 8/3 y2) / 2 and its bound
    15 - y2 both equal y1 only at y1 = 10: y = (10, 5), where F = 0 and both multipliers are 0."""
    m = pyo.ConcreteModel()
    m.i = pyo.Set(initialize=[1, 2])
    A = {(1, 1): 2, (1, 2): 8 / 3, (2, 1): 5 / 4, (2, 2): 2}
    b = {1: 100 / 3, 2: 22.5}
    rhs = {1: 15, 2: 20}
    m.y = pyo.Var(m.i, bounds=(0, 11), initialize=0.0)
    m.x = pyo.Var(m.i, bounds=(0, 11), initialize=0.0)
    m.F = pyo.Constraint(m.i, rule=lambda m, i: sum(A[i, j] * m.y[j] for j in m.i) - b[i] == 0)
    m.g = pyo.Constraint(m.i, rule=lambda m, i: m.y[i] + m.x[3 - i] <= rhs[i])
    sol = solved(problem_from_empinfo(m, "qvi F y x g"))
    assert [sol.value(m.y[i]) for i in m.i] == pytest.approx([10.0, 5.0], abs=1e-7)
    assert [sol.multiplier(m.g[i]) for i in m.i] == pytest.approx([0.0, 0.0], abs=1e-7)


def test_add_vi_pairs_two_components_by_index_not_by_order():
    """F[k] = y[k] - k over the keys (2, 1) against y over (1, 2): y = (1, 2) only if paired by key."""
    m = pyo.ConcreteModel()
    m.y = pyo.Var([1, 2], initialize=0.0)
    m.F = pyo.Expression([2, 1], rule=lambda m, k: m.y[k] - k)
    problem = sq.EquilibriumProblem(m)
    problem.add_vi(m.F, m.y)
    assert [pair.function is m.F[k] for pair, k in zip(problem.vi_pairs, (1, 2), strict=True)] == [True, True]
    sol = solved(problem)
    assert (sol.value(m.y[1]), sol.value(m.y[2])) == pytest.approx((1.0, 2.0), abs=1e-8)
