"""Bilevel problems (``sq.Bilevel``) against closed forms and a published test problem.

Stackelberg over Cournot (derived here): inverse demand ``P = a - b (qL + sum_i q_i)``, unit cost ``c`` for all.
Given the leader's ``qL``, the ``n`` followers play Cournot: ``q_i = (a - c - b qL) / (b (n + 1))``, so
``P - c = (a - c - b qL) / (n + 1)`` and the leader maximises ``(a - c - b qL) qL / (n + 1)``:
``qL = (a - c) / (2 b)``, ``q_i = (a - c) / (2 b (n + 1))``, profit ``(a - c)^2 / (4 b (n + 1))``.
With a cap ``qL <= K`` below that, ``qL = K`` and ``q_i = (a - c - b K) / (b (n + 1))``.
"""

import pyomo.environ as pyo
import pytest

import sharedeq as sq
from sharedeq.bilevel import Bilevel

A, B, C = 10.0, 1.0, 1.0


def _stackelberg(n, cap=None):
    m = pyo.ConcreteModel()
    m.qL = pyo.Var(bounds=(0, None), initialize=0.0)
    m.q = pyo.Var(range(n), bounds=(0, None), initialize=0.0)
    price = A - B * (m.qL + sum(m.q.values()))
    game = Bilevel(m, name=f"Stackelberg leader over {n} Cournot followers")
    constraints = []
    if cap is not None:
        m.cap = pyo.Constraint(expr=m.qL <= cap)
        constraints = [m.cap]
    game.set_leader((price - C) * m.qL, m.qL, constraints, sense="max")
    for i in range(n):
        game.add_follower(f"firm {i}", -(price - C) * m.q[i], m.q[i])
    return m, game


@pytest.mark.parametrize("n", [1, 2, 3])
def test_stackelberg_leader_over_cournot_followers_matches_the_closed_form(n):
    m, game = _stackelberg(n)
    sol = game.solve()
    assert sol.status == "equilibrium", sol.summary()
    assert sol.extreme_scope == "global"
    assert sol.value(m.qL) == pytest.approx((A - C) / (2 * B), abs=1e-8)
    for i in range(n):
        assert sol.value(m.q[i]) == pytest.approx((A - C) / (2 * B * (n + 1)), abs=1e-8)
    assert sol.extreme_value == pytest.approx((A - C) ** 2 / (4 * B * (n + 1)), abs=1e-8)
    assert (sq.best_response_check(sol.problem, sol)["gain"].abs() < 1e-8).all()


def test_stackelberg_local_method_agrees_and_says_local():
    m, game = _stackelberg(2)
    sol = game.solve(max_nodes=0, starts=3)
    assert sol.status == "equilibrium", sol.summary()
    assert sol.extreme_scope == "local"
    assert sol.value(m.qL) == pytest.approx(4.5, abs=1e-7)
    assert sol.extreme_value == pytest.approx(6.75, abs=1e-7)


def test_leader_constraint_binds():
    m, game = _stackelberg(2, cap=3.0)
    sol = game.solve()
    assert sol.extreme_scope == "global"
    assert sol.value(m.qL) == pytest.approx(3.0, abs=1e-8)
    assert sol.value(m.q[0]) == pytest.approx((A - C - B * 3.0) / (3 * B), abs=1e-8)
    assert sol.extreme_value == pytest.approx((A - C - B * 3.0) / 3 * 3.0, abs=1e-8)


def test_bard_example_5_1_1_published_solution():
    """Bard (1998), Practical Bilevel Optimization, Example 5.1.1; BASBLib problem b_1998_01 (Paulavicius and
    Adjiman's test library, github.com/basblsolver/BASBLib): ``min_x x - 4y`` with ``y`` in ``argmin_y {y :
    -x - y <= -3, -2x + y <= 0, 2x + y <= 12, 3x - 2y <= 4, y >= 0}``, ``x >= 0``. Published optimum ``F* = -12``
    at ``(x*, y*) = (4, 4)``, follower objective ``f* = 4``."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, None), initialize=0.0)
    m.y = pyo.Var(bounds=(0, None), initialize=0.0)
    m.c1 = pyo.Constraint(expr=-m.x - m.y <= -3)
    m.c2 = pyo.Constraint(expr=-2 * m.x + m.y <= 0)
    m.c3 = pyo.Constraint(expr=2 * m.x + m.y <= 12)
    m.c4 = pyo.Constraint(expr=3 * m.x - 2 * m.y <= 4)
    game = Bilevel(m, name="Bard 5.1.1")
    game.set_leader(m.x - 4 * m.y, m.x)
    game.add_follower("follower", m.y, m.y, [m.c1, m.c2, m.c3, m.c4])
    sol = game.solve()
    assert sol.status == "equilibrium", sol.summary()
    assert sol.extreme_scope == "global"
    assert sol.extreme_value == pytest.approx(-12.0, abs=1e-8)
    assert (sol.value(m.x), sol.value(m.y)) == (pytest.approx(4.0, abs=1e-8), pytest.approx(4.0, abs=1e-8))
    assert sol.objective_values["follower"] == pytest.approx(4.0, abs=1e-8)


def test_shared_constraint_among_followers_leader_picks_its_preferred_equilibrium():
    """Followers of the README game share ``x1 + x2 <= t``; the leader sets ``t`` in [0, 1] and minimises
    ``t/4 - x2``. Given ``t <= 1`` the generalized Nash set is ``x1 + x2 = t``, ``x1 <= 1``, ``x2 <= 1/2``
    (a player below its target is held back by the shared limit), so ``x2 = 1/2`` is available at every ``t``
    (optimistic: the leader gets it) and the optimum is ``t = 0``, ``x = (-1/2, 1/2)``, value ``-1/2``."""
    m = pyo.ConcreteModel()
    m.t = pyo.Var(bounds=(0, 1), initialize=0.5)
    m.x = pyo.Var([1, 2], initialize=0.0)
    m.share = pyo.Constraint(expr=m.x[1] + m.x[2] <= m.t)
    game = Bilevel(m)
    game.set_leader(m.t / 4 - m.x[2], m.t)
    game.add_follower("p1", (m.x[1] - 1) ** 2, m.x[1])
    game.add_follower("p2", (m.x[2] - 0.5) ** 2, m.x[2])
    game.add_shared(m.share)
    sol = game.solve()
    assert sol.status == "equilibrium", sol.summary()
    assert sol.extreme_scope == "global"
    assert sol.extreme_value == pytest.approx(-0.5, abs=1e-8)
    assert [sol.value(m.t), sol.value(m.x[1]), sol.value(m.x[2])] == pytest.approx([0.0, -0.5, 0.5], abs=1e-8)
    assert sol.multiplier(m.share, "p1") == pytest.approx(3.0, abs=1e-8)      # 2 (1 - x1)


def test_bad_declarations_are_refused_in_the_models_names():
    m, game = _stackelberg(1)
    with pytest.raises(sq.ModelError, match="qL is a variable of the leader and of follower 'qL firm'"):
        game.add_follower("qL firm", -m.qL, m.qL)
        game.solve()
    empty = Bilevel(pyo.ConcreteModel(), name="empty")
    with pytest.raises(sq.ModelError, match="no leader"):
        empty.solve()
    m.profit = pyo.Objective(expr=m.qL, sense=pyo.maximize)
    with pytest.raises(sq.ModelError, match="contradicts Objective profit"):
        game.set_leader(m.profit, m.qL, sense="min")


def test_leader_constraints_no_equilibrium_can_meet_are_proven_infeasible():
    """The follower's best response to ``qL`` in [0, 10] is ``q = max(0, (9 - qL) / 2)``, so ``qL + q <= 10``:
    a leader constraint ``qL + q >= 30`` holds at no equilibrium."""
    m = pyo.ConcreteModel()
    m.qL = pyo.Var(bounds=(0, 10), initialize=0.0)
    m.q = pyo.Var(bounds=(0, None), initialize=0.0)
    m.demand = pyo.Constraint(expr=m.qL + m.q >= 30)
    price = A - B * (m.qL + m.q)
    game = Bilevel(m, name="impossible")
    game.set_leader((price - C) * m.qL, m.qL, [m.demand], sense="max")
    game.add_follower("firm", -(price - C) * m.q, m.q)
    sol = game.solve()
    assert not sol.converged
    assert sol.status == "not converged"
    assert "no equilibrium satisfies the side constraints (proven" in sol.summary()
