"""Bad input gets a clear error in the user's names; a failed solve says so first."""

import pyomo.environ as pyo
import pytest

import sharedeq as sq
from cases import river_basin as rb


def _two_player_model():
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2, 3], bounds=(0, 10))
    m.cap = pyo.Constraint(expr=m.x[1] + m.x[2] <= 1)
    return m


def test_variable_owned_by_two_agents():
    m = _two_player_model()
    p = sq.EquilibriumProblem(m)
    p.add_agent("a", objective=(m.x[1] - 1) ** 2, variables=[m.x[1], m.x[2]])
    p.add_agent("b", objective=(m.x[2] - 1) ** 2, variables=m.x[2])
    with pytest.raises(sq.ModelError, match=r"x\[2\] is controlled by agent 'a' and by agent 'b'"):
        p.solve()


def test_unowned_free_variable_in_an_objective():
    m = _two_player_model()
    p = sq.EquilibriumProblem(m)
    p.add_agent("a", objective=(m.x[1] - m.x[3]) ** 2, variables=m.x[1])
    with pytest.raises(sq.ModelError, match=r"x\[3\] appears in the objective of agent 'a' but no agent controls it"):
        p.solve()


def test_unowned_variable_in_a_shared_constraint_and_fixing_it_helps():
    m = _two_player_model()
    m.cap2 = pyo.Constraint(expr=m.x[1] + m.x[3] <= 2)
    p = sq.EquilibriumProblem(m)
    p.add_agent("a", objective=(m.x[1] - 1) ** 2, variables=m.x[1])
    p.add_shared(m.cap2)
    with pytest.raises(sq.ModelError, match=r"x\[3\] appears in shared constraint cap2"):
        p.solve()
    m.x[3].fix(0.5)              # a fixed variable is a parameter
    sol = p.solve()
    assert sol.converged and sol.value(m.x[1]) == pytest.approx(1.0, abs=1e-8)


def test_agent_without_objective_or_with_two():
    m = _two_player_model()
    m.o = pyo.Objective([1, 2], rule=lambda m, i: m.x[i] ** 2)
    p = sq.EquilibriumProblem(m)
    with pytest.raises(sq.ModelError, match="agent 'a' has no objective"):
        p.add_agent("a", objective=None, variables=m.x[1])
    with pytest.raises(sq.ModelError, match=r"agent 'a' has 2 objectives \(o\[1\], o\[2\]\)"):
        p.add_agent("a", objective=m.o, variables=m.x[1])
    m.b = pyo.Block()
    m.b.y = pyo.Var()
    with pytest.raises(sq.ModelError, match=r"agent 'b' \(block b\) has no Objective; pass objective="):
        p.add_agent_block(m.b)


def test_unknown_mode_and_bad_rosen_weights():
    p = rb.build_problem("ve")
    with pytest.raises(sq.ModelError, match="unknown mode 'nash'"):
        p.solve(mode="nash")
    with pytest.raises(sq.ModelError, match="got 2 numbers for 3 agents"):
        p.solve(mode="ve", weights=[1, 2])
    with pytest.raises(sq.ModelError, match="must be positive"):
        p.solve(mode="ve", weights=[1, 0, 2])
    with pytest.raises(sq.ModelError, match="need mode='ve'"):
        p.solve(mode="gne", weights=[1, 2, 3])


def test_expression_the_backend_cannot_translate():
    m = _two_player_model()
    m.ext = pyo.ExternalFunction(library="libnothing.so", function="f")
    p = sq.EquilibriumProblem(m)
    p.add_agent("a", objective=m.ext(m.x[1]), variables=m.x[1])
    with pytest.raises(sq.ModelError, match="cannot differentiate the external function"):
        p.solve()


def test_integer_variables_are_rejected():
    m = pyo.ConcreteModel()
    m.n = pyo.Var(domain=pyo.Integers)
    p = sq.EquilibriumProblem(m)
    p.add_agent("a", objective=m.n ** 2, variables=m.n)
    with pytest.raises(sq.ModelError, match="n is not continuous"):
        p.solve()


def test_shared_constraint_with_unknown_agent_and_wrong_types():
    m = _two_player_model()
    p = sq.EquilibriumProblem(m)
    p.add_agent("a", objective=m.x[1] ** 2, variables=m.x[1])
    with pytest.raises(sq.ModelError, match=r"unknown agent\(s\) \['zz'\]"):
        p.add_shared(m.cap, agents=["zz"])
    with pytest.raises(sq.ModelError, match="expected Pyomo constraints, got"):
        p.add_shared(m.x)
    with pytest.raises(sq.ModelError, match="agent 'a' is declared twice"):
        p.add_agent("a", objective=m.x[2] ** 2, variables=m.x[2])


def infeasible_game():
    """Two agents whose shared equality cannot be met within their bounds: no equilibrium exists."""
    m = pyo.ConcreteModel(name="infeasible")
    m.x = pyo.Var([1, 2], bounds=(0, 1))
    m.total = pyo.Constraint(expr=m.x[1] + m.x[2] == 5)
    p = sq.EquilibriumProblem(m, name="infeasible")
    p.add_agent("a", objective=(m.x[1] - 0.2) ** 2, variables=m.x[1])
    p.add_agent("b", objective=(m.x[2] - 0.2) ** 2, variables=m.x[2])
    p.add_shared(m.total, variational=True)
    return p, m


def test_solve_that_cannot_converge_says_so_first():
    p, m = infeasible_game()
    sol = p.solve(options={"max_iter": 200})
    assert not sol.converged and sol.status == "not converged"
    assert sol.summary().startswith("NOT CONVERGED")
    assert "What was tried" in sol.summary() and "relax eps=" in sol.summary()
    assert sol.summary().splitlines()[3].startswith("  tried: interior point, relax")
    assert [f.kind for f in sol.diagnosis] == ["infeasible"] and "total" in sol.diagnosis[0].components
    assert sol.residual > 1.0
    assert m.x[1].value is None           # a failed solve is not loaded into the model
