"""Agents declared as Pyomo blocks: the block's (possibly deactivated) Objective, ``objective=``, indexed blocks
in one call, and the electricity market of cases/electricity_blocks.py against its closed form."""

import numpy as np
import pyomo.environ as pyo
import pytest

import sharedeq as sq
from cases.electricity_blocks import GENERATORS, A, B, build_model, build_problem


def _cournot_blocks(deactivate=True):
    m = pyo.ConcreteModel()
    m.N = pyo.RangeSet(3)
    m.gen = pyo.Block(m.N)
    for i in m.N:
        m.gen[i].g = pyo.Var(bounds=(0, 40), initialize=0)
    m.price = pyo.Expression(expr=100 - sum(m.gen[i].g for i in m.N))
    for i in m.N:
        b = m.gen[i]
        b.profit = pyo.Objective(expr=(m.price - (10 + 5 * i)) * b.g, sense=pyo.maximize)
        b.revenue = pyo.Expression(expr=m.price * b.g)
        if deactivate:
            b.profit.deactivate()
    m.welfare = pyo.Objective(expr=sum(m.gen[i].g for i in m.N))
    return m


def test_indexed_block_in_one_call_takes_each_deactivated_objective():
    m = _cournot_blocks()
    game = sq.EquilibriumProblem(m)
    agents = game.add_agents(m.gen)
    assert [a.name for a in agents] == ["gen[1]", "gen[2]", "gen[3]"]
    solution = game.solve()
    assert solution.verified
    # Cournot with p = 100 - Q and costs c = 15, 20, 25: q_i = (100 - 4 c_i + sum c) / 4
    for i, c in zip(m.N, (15, 20, 25), strict=True):
        assert solution.value(m.gen[i].g) == pytest.approx((100 - 4 * c + 60) / 4, abs=1e-8)


def test_objective_override_by_name_and_by_function():
    m = _cournot_blocks(deactivate=False)
    assert sq.EquilibriumProblem(m).add_agent_block(m.gen[1]).objective is m.gen[1].profit   # the active one
    m.gen[1].profit.deactivate()
    m.gen[1].other = pyo.Objective(expr=m.gen[1].g)
    m.gen[1].other.deactivate()
    with pytest.raises(sq.ModelError, match=r"2 Objectives \(gen\[1\]\.profit \(deactivated\), gen\[1\]\.other"):
        sq.EquilibriumProblem(m).add_agent_block(m.gen[1])
    game = sq.EquilibriumProblem(m)
    game.add_agent_block(m.gen[1], objective="profit")
    game.add_agents([m.gen[2], m.gen[3]], objective=lambda b: b.profit)
    assert game.solve().value(m.gen[1].g) == pytest.approx(25.0, abs=1e-8)
    with pytest.raises(sq.ModelError, match=r"block gen\[2\] has no component named 'gain'"):
        sq.EquilibriumProblem(m).add_agent_block(m.gen[2], objective="gain")
    with pytest.raises(sq.ModelError, match="use add_agents"):
        sq.EquilibriumProblem(m).add_agent_block(m.gen)
    with pytest.raises(sq.ModelError, match="expected Pyomo blocks, got 3"):
        sq.EquilibriumProblem(m).add_agents([m.gen[2], 3])
    with pytest.raises(sq.ModelError, match="add_agent_block: expected a Pyomo block, got 3"):
        sq.EquilibriumProblem(m).add_agent_block(3)
    with pytest.raises(sq.ModelError, match="no blocks given"):
        sq.EquilibriumProblem(m).add_agents([])


def _closed_form_ve(cap):
    """Active set {ccgt at capacity, emission cap binding, the others interior}: stationarity
    ``a - b G - b g_i - c_i - d_i g_i - lam e_i = 0`` for the interior ones, ``g_ccgt = K``, ``sum e g = E``."""
    names = ["coal", "gas", "oil"]
    k_ccgt = GENERATORS["ccgt"][2]
    n = len(names)
    M, r = np.zeros((n + 1, n + 1)), np.zeros(n + 1)
    for row, name in enumerate(names):
        c, d, _, e = GENERATORS[name]
        M[row, :n] = B
        M[row, row] += B + d
        M[row, n] = e
        r[row] = A - c - B * k_ccgt
    M[n, :n] = [GENERATORS[name][3] for name in names]
    r[n] = cap - GENERATORS["ccgt"][3] * k_ccgt
    sol = np.linalg.solve(M, r)
    g = dict(zip(names, sol[:n], strict=True)) | {"ccgt": k_ccgt}
    return g, sol[n]


def test_electricity_market_matches_its_closed_form():
    market = build_problem(emission_cap=700.0, mode="ve")
    solution = market.solve()
    assert solution.verified
    m = market.model
    g, lam = _closed_form_ve(700.0)
    total = sum(g.values())
    c, d, k, e = GENERATORS["ccgt"]
    mu_ccgt = A - B * total - B * k - c - d * k - lam * e
    assert lam > 0 and mu_ccgt > 0 and all(0 < g[i] < GENERATORS[i][2] for i in ("coal", "gas", "oil"))
    for name, value in g.items():
        assert solution.value(m.gen[name].g) == pytest.approx(value, rel=1e-9)
    assert solution.multiplier(m.emission_cap) == pytest.approx(lam, rel=1e-9)
    assert solution.multiplier(m.gen["ccgt"].capacity) == pytest.approx(mu_ccgt, rel=1e-9)


def test_generalized_nash_mode_and_the_planner_on_the_same_model():
    market = build_problem(emission_cap=700.0, mode="gne")
    gne = market.solve()
    assert gne.verified
    m = market.model
    emissions = sum(GENERATORS[i][3] * gne.value(v) for i, v in ((i, m.gen[i].g) for i in GENERATORS))
    assert emissions == pytest.approx(700.0, abs=1e-7)

    planner_model = build_model(700.0)
    planner = sq.EquilibriumProblem(planner_model, name="planner")
    gens = [planner_model.gen[i] for i in GENERATORS]
    planner.add_agent("planner", planner_model.welfare, [b.g for b in gens],
                      [b.capacity for b in gens] + [planner_model.emission_cap])
    planner.add_implicit(planner_model.total, planner_model.balance)
    best = planner.solve()
    assert best.verified
    price = A - B * best.value(planner_model.total)
    lam = best.multiplier(planner_model.emission_cap)
    assert lam > 0
    for name, (c, d, _, e) in GENERATORS.items():    # marginal-cost pricing: p = c + d g + lam e + capacity rent
        gi = best.value(planner_model.gen[name].g)   # where the generator runs; p <= that cost where it does not
        cost = c + d * gi + lam * e + best.multiplier(planner_model.gen[name].capacity)
        assert (price == pytest.approx(cost, abs=1e-7)) if gi > 1e-9 else price <= cost
    assert best.value(planner_model.gen["oil"].g) == pytest.approx(0.0, abs=1e-10)  # the planner shuts oil down
