"""Declaration traps and bad data are caught before the solve, with messages in the user's names."""

import math

import pyomo.environ as pyo
import pytest
from pyomo.core.expr.numeric_expr import MaxExpression, MinExpression

import sharedeq as sq
from sharedeq.validate import validate


def _ffp(shared_first=False):
    """Facchinei, Fischer and Piccialli: f1 = (x1 - 1)^2, f2 = (x2 - 1/2)^2, x1 + x2 <= 1."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], initialize=0.0)
    m.share = pyo.Constraint(expr=m.x[1] + m.x[2] <= 1)
    p = sq.EquilibriumProblem(m, name="ffp")
    p.add_agent("p1", objective=(m.x[1] - 1) ** 2, variables=m.x[1])
    if shared_first:
        p.add_shared(m.share)
    p.add_agent("p2", objective=(m.x[2] - 0.5) ** 2, variables=m.x[2])
    if not shared_first:
        p.add_shared(m.share)
    return m, p


# ---------------------------------------------------------------------- declaration traps
@pytest.mark.parametrize("declared, given", [(pyo.maximize, "min"), (pyo.minimize, "max")])
def test_sense_that_contradicts_the_objective_is_refused(declared, given):
    m = pyo.ConcreteModel()
    m.x = pyo.Var()
    m.profit = pyo.Objective(expr=-(m.x - 1) ** 2, sense=declared)
    p = sq.EquilibriumProblem(m)
    declared_word = "maximize" if declared == pyo.maximize else "minimize"
    with pytest.raises(sq.ModelError, match=rf"agent 'a': sense='{given}' contradicts Objective profit, which is "
                                            rf"declared to {declared_word}"):
        p.add_agent("a", objective=m.profit, variables=m.x, sense=given)


def test_sense_agreeing_with_the_objective_or_given_for_an_expression_is_accepted():
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2])
    m.profit = pyo.Objective(expr=-(m.x[1] - 1) ** 2, sense=pyo.maximize)
    p = sq.EquilibriumProblem(m)
    p.add_agent("a", objective=m.profit, variables=m.x[1], sense="max")
    p.add_agent("b", objective=-(m.x[2] - 2) ** 2, variables=m.x[2], sense="max")
    sol = p.solve()
    assert sol.converged
    assert sol.value(m.x[1]) == pytest.approx(1.0, abs=1e-8) and sol.value(m.x[2]) == pytest.approx(2.0, abs=1e-8)


def test_shared_with_all_agents_includes_agents_declared_later():
    m, p = _ffp(shared_first=True)
    assert p.shared[0].agents == ("p1", "p2")
    assert [s.constraint.name for s in p.shared_of("p2")] == ["share"]
    sol = p.solve(mode="ve")
    assert sol.converged
    assert sol.value(m.x[1]) == pytest.approx(0.75, abs=1e-8)
    assert sol.value(m.x[2]) == pytest.approx(0.25, abs=1e-8)
    multipliers = sol.multipliers.set_index("constraint")["multiplier"]
    assert multipliers["share"] == pytest.approx(0.5, abs=1e-8)
    assert sq.kkt_check(p, sol).to_numpy().max() < 1e-8


def test_explicit_agent_list_is_kept_and_widened_by_a_second_declaration():
    m, p = _ffp()
    m.extra = pyo.Constraint(expr=m.x[1] <= 0.9)
    p.add_shared(m.extra, agents=["p1"])
    assert p.shared[-1].agents == ("p1",)
    p.add_shared(m.extra)                   # now every agent
    assert p.shared[-1].agents == ("p1", "p2")
    with pytest.raises(sq.ModelError, match=r"agents=\[\] shares the constraint with nobody"):
        p.add_shared(m.extra, agents=[])


def test_objective_that_ignores_the_agents_variables_is_refused():
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2, 3])
    m.cost = pyo.Expression(expr=(m.x[1] - 1) ** 2)
    p = sq.EquilibriumProblem(m)
    p.add_agent("p1", objective=m.cost, variables=m.x[1])
    p.add_agent("p2", objective=m.cost + m.x[1], variables=[m.x[2], m.x[3]])
    with pytest.raises(sq.ModelError, match=r"agent 'p2': its objective .* does not depend on any of its variables "
                                            r"x\[2\], x\[3\]"):
        p.solve()


def test_objective_dependence_counts_through_named_expressions_and_objdef():
    """p1 reaches x[1] only through a named Expression, p2 only through the definition of its objective variable."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2])
    m.obj2 = pyo.Var()
    m.inner = pyo.Expression(expr=(m.x[1] - 1) ** 2)
    m.outer = pyo.Expression(expr=m.inner + 0.0 * m.x[2])
    m.objdef = pyo.Constraint(expr=m.obj2 == (m.x[2] - 3) ** 2 + m.x[1])
    p = sq.EquilibriumProblem(m)
    p.add_agent("p1", objective=m.outer, variables=m.x[1])
    p.add_agent("p2", objective=m.obj2, variables=m.x[2], constraints=m.objdef)
    sol = p.solve()
    assert sol.converged
    assert sol.value(m.x[1]) == pytest.approx(1.0, abs=1e-8) and sol.value(m.x[2]) == pytest.approx(3.0, abs=1e-8)
    m.objdef2 = pyo.Constraint(expr=m.obj2 == m.x[1] ** 2)
    q = sq.EquilibriumProblem(m)
    q.add_agent("p1", objective=m.outer, variables=m.x[1])
    q.add_agent("p2", objective=m.obj2, variables=m.x[2], constraints=m.objdef2)
    with pytest.raises(sq.ModelError, match=r"agent 'p2': its objective variable obj2 \(through its definition "
                                            r"objdef2\) does not depend on any of its variables x\[2\]"):
        q.solve()


def test_a_variable_as_a_plain_linear_objective():
    """Agent 1: min u s.t. u >= (x1 - 1)^2 + x1 x2 over (u, x1); agent 2: min (x2 - x1)^2 over x2.

    Agent 1's stationarity: dL/du = 1 - mu = 0 (mu = 1), dL/dx1 = 2 (x1 - 1) + x2 = 0; agent 2: x2 = x1. So
    x1 = x2 = 2/3, u = 1/9 + 4/9 = 5/9, and the epigraph multiplier is 1.
    """
    m = pyo.ConcreteModel()
    m.u = pyo.Var()
    m.x = pyo.Var([1, 2], initialize=0.0)
    m.epigraph = pyo.Constraint(expr=m.u >= (m.x[1] - 1) ** 2 + m.x[1] * m.x[2])
    p = sq.EquilibriumProblem(m)
    p.add_agent("a", objective=m.u, variables=[m.u, m.x[1]], constraints=m.epigraph)
    p.add_agent("b", objective=(m.x[2] - m.x[1]) ** 2, variables=m.x[2])
    sol = p.solve()
    assert sol.converged
    assert sol.value(m.x[1]) == pytest.approx(2 / 3, abs=1e-7)
    assert sol.value(m.x[2]) == pytest.approx(2 / 3, abs=1e-7)
    assert sol.value(m.u) == pytest.approx(5 / 9, abs=1e-7)
    multipliers = sol.multipliers.set_index("constraint")["multiplier"]
    assert multipliers["epigraph"] == pytest.approx(1.0, abs=1e-7)
    assert sq.kkt_check(p, sol).to_numpy().max() < 1e-7
    assert sq.best_response_check(p, sol)["gain"].abs().max() < 1e-7


def test_objective_variable_neither_owned_nor_defined_is_refused():
    m = pyo.ConcreteModel()
    m.u = pyo.Var()
    m.x = pyo.Var()
    m.c = pyo.Constraint(expr=m.u >= m.x ** 2)
    p = sq.EquilibriumProblem(m)
    p.add_agent("a", objective=m.u, variables=m.x, constraints=m.c)
    with pytest.raises(sq.ModelError, match=r"agent 'a': objective variable u is not one of its variables and no "
                                            r"equality among its constraints defines it"):
        p.solve()


# ---------------------------------------------------------------------- bad input that used to crash
def test_bounds_in_the_wrong_order():
    m, p = _ffp()
    m.x[2].setlb(3.0)
    m.x[2].setub(1.0)
    with pytest.raises(sq.ModelError, match=r"variable x\[2\] has lower bound 3.0 > upper bound 1.0"):
        p.solve()


def test_agent_whose_variables_are_all_fixed():
    m, p = _ffp()
    m.x[2].fix(0.2)
    with pytest.raises(sq.ModelError, match=r"agent 'p2': every variable it controls is fixed \(x\[2\]\)"):
        p.solve()


def test_empty_problem():
    p = sq.EquilibriumProblem(pyo.ConcreteModel(), name="nothing")
    with pytest.raises(sq.ModelError, match="problem 'nothing' is empty: declare agents"):
        p.solve()
    with pytest.raises(sq.ModelError, match="is empty"):
        p.mcp()


def test_nonfinite_mutable_param_is_named():
    m, p = _ffp()
    m.price = pyo.Param(initialize=1.0, mutable=True)
    m.cap = pyo.Constraint(expr=m.price * m.x[1] <= 2)
    p.agent("p1").constraints.append(m.cap)
    m.price = float("nan")
    with pytest.raises(sq.ModelError, match=r"Param price = nan appears in constraint cap \(agent 'p1'\)"):
        p.solve()


def test_nonfinite_immutable_param_is_found_through_the_model():
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2])
    m.target = pyo.Param([1, 2], initialize={1: 1.0, 2: float("inf")}, within=pyo.Any)
    p = sq.EquilibriumProblem(m)
    for i in (1, 2):
        p.add_agent(f"p{i}", objective=(m.x[i] - m.target[i]) ** 2, variables=m.x[i])
    with pytest.raises(sq.ModelError, match=r"the objective of agent 'p2' contains the number -?inf \(Params with "
                                            r"such values: target\[2\] = inf\)"):
        p.solve()


def test_nonfinite_bound_start_value_and_constraint_bound():
    m, p = _ffp()
    m.x[1].setub(float("nan"))
    m.x[2].value = float("inf")
    m.limit = pyo.Param(initialize=1.0, mutable=True)
    m.cap = pyo.Constraint(expr=m.x[1] <= m.limit)
    p.agent("p1").constraints.append(m.cap)
    m.limit = float("nan")
    with pytest.raises(sq.ModelError) as err:
        p.solve()
    lines = str(err.value).splitlines()
    assert lines[0] == "3 problems in 'ffp':"
    assert lines[1].startswith("  - variable x[1] has a bound that is not a finite number (lower none, upper nan)")
    assert lines[2].startswith("  - variable x[2] starts at inf (x[2].value)")
    assert lines[3].startswith("  - constraint cap (agent 'p1') has a bound that is not a finite number "
                               "(lower none, upper limit)")


def test_fixed_variable_with_a_nonfinite_value():
    m, p = _ffp()
    m.y = pyo.Var()
    m.y.fix(float("nan"))
    m.cap = pyo.Constraint(expr=m.x[1] + m.y <= 2)
    p.add_shared(m.cap)
    with pytest.raises(sq.ModelError, match=r"variable y is fixed at nan"):
        p.solve()


@pytest.mark.parametrize("bad", [math.inf, math.nan, "two"])
def test_rosen_weights_must_be_finite_positive_numbers(bad):
    m, p = _ffp()
    with pytest.raises(sq.ModelError, match=r"Rosen weights must be positive finite numbers; got \{'p2'"):
        p.solve(mode="ve", weights=[1.0, bad])


# ---------------------------------------------------------------------- nonsmooth functions
def test_abs_in_an_indexed_constraint_is_named_with_a_reformulation():
    m, p = _ffp()
    m.cap = pyo.Constraint([1, 2], rule=lambda m, k: abs(m.x[1]) <= k if k == 2 else m.x[1] <= 5)
    p.add_shared(m.cap)
    with pytest.raises(sq.ModelError, match=r"shared constraint cap\[2\] uses abs\(\).*split x = xp - xn"):
        p.solve()


def test_max_min_expr_if_and_floor_are_each_reported():
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2, 3, 4])
    m.obj = pyo.Objective(expr=MaxExpression((m.x[1], 1 - m.x[1])) ** 2)
    m.low = pyo.Expression(expr=MinExpression((m.x[2], 0.5)))
    m.c = pyo.Constraint(expr=pyo.Expr_if(IF=m.x[3] >= 0, THEN=m.x[3], ELSE=-m.x[3]) <= 1)
    m.d = pyo.Constraint(expr=pyo.floor(m.x[4]) + m.x[4] <= 3)
    p = sq.EquilibriumProblem(m, name="kinks")
    p.add_agent("a", objective=m.obj, variables=m.x[1])
    p.add_agent("b", objective=(m.low - 1) ** 2 + m.x[2] ** 2, variables=m.x[2])
    p.add_agent("c", objective=m.x[3] ** 2, variables=m.x[3], constraints=m.c)
    p.add_agent("d", objective=m.x[4] ** 2, variables=m.x[4], constraints=m.d)
    with pytest.raises(sq.ModelError) as err:
        p.solve()
    text = str(err.value)
    assert text.startswith("4 problems in 'kinks':")
    assert "objective obj (agent 'a') uses max() of a variable it controls; it is not differentiable" in text
    assert "auxiliary variable t >= a, t >= b" in text
    assert "Expression low, used in the objective of agent 'b', uses min() of a variable it controls" in text
    assert "constraint c (agent 'c') uses Expr_if()" in text
    assert "constraint d (agent 'd') uses floor()" in text


def test_nonsmooth_function_of_another_agents_variable_is_accepted():
    """Agent b differentiates only in x: abs(y) is a parameter of its problem. a: y = -1/2; b: x = |y| = 1/2."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(initialize=0.0)
    m.y = pyo.Var(initialize=-1.0)
    p = sq.EquilibriumProblem(m)
    p.add_agent("a", objective=(m.y + 0.5) ** 2, variables=m.y)
    p.add_agent("b", objective=(m.x - abs(m.y)) ** 2, variables=m.x)
    sol = p.solve()
    assert sol.converged
    assert sol.value(m.y) == pytest.approx(-0.5, abs=1e-8) and sol.value(m.x) == pytest.approx(0.5, abs=1e-8)


def test_nonsmooth_function_of_data_only_is_accepted():
    """abs() of a Param or a fixed variable is a number: nothing to differentiate."""
    m, p = _ffp()
    m.shift = pyo.Param(initialize=-0.5, mutable=True)
    m.y = pyo.Var()
    m.y.fix(-0.25)
    m.cap = pyo.Constraint(expr=m.x[1] + abs(m.shift) + abs(m.y) <= 1.75)
    p.add_shared(m.cap)
    validate(p)
    sol = p.solve(mode="ve")
    assert sol.converged and sol.value(m.x[1]) == pytest.approx(0.75, abs=1e-8)


def test_many_problems_are_counted_beyond_the_listed_ones():
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(30), bounds=(1, 0))
    p = sq.EquilibriumProblem(m, name="many")
    for i in range(30):
        p.add_agent(str(i), objective=(m.x[i] - 1) ** 2, variables=m.x[i])
    with pytest.raises(sq.ModelError) as err:
        validate(p)
    lines = str(err.value).splitlines()
    assert lines[0] == "30 problems in 'many':" and len(lines) == 22 and lines[-1] == "  ... and 10 more"
