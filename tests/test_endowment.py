"""Endowment economy: planner, competitive equilibrium, Negishi/welfare identities, concavity check, baselines."""

import numpy as np
import pyomo.environ as pyo
import pytest

import sharedeq as sq
from sharedeq.markets import endowment as E
from sharedeq.markets.clearing import add_market_clearing

TOL = 1e-6
ECONOMIES = {
    "homogeneous": E.homogeneous_economy(),
    "heterogeneous": E.source_heterogeneous_economy(),
    "ten": E.source_ten_goods_economy(),
    "random20": E.random_economy(20, 20, seed=3),
}
#: Competitive-equilibrium prices of the 3 x 3 heterogeneous case, good 1 the numeraire (equilibrium_exact).
HETEROGENEOUS_PRICES = (1.0, 0.62222958, 0.59019655)


@pytest.fixture(scope="module", params=list(ECONOMIES))
def welfare(request):
    return E.welfare_check(ECONOMIES[request.param])


def test_homogeneous_planner_gives_everybody_ten_of_everything():
    result = E.solve_planner(ECONOMIES["homogeneous"])
    assert result.solution.converged
    np.testing.assert_allclose(result.allocation, 10.0, atol=1e-8)
    np.testing.assert_allclose(result.shadow_prices, 10.0**-0.5, atol=1e-10)  # q = alpha x^omega
    x, q = E.planner_exact(ECONOMIES["homogeneous"])
    np.testing.assert_allclose(x, 10.0, atol=1e-12)
    np.testing.assert_allclose(q, 10.0**-0.5, atol=1e-12)


@pytest.mark.parametrize("normalization, price", [("numeraire", 1.0), ("simplex", 1 / 3)])
def test_homogeneous_equilibrium(normalization, price):
    result = E.solve_equilibrium(ECONOMIES["homogeneous"], normalization)
    assert result.solution.converged
    np.testing.assert_allclose(result.prices, price, atol=1e-10)
    np.testing.assert_allclose(result.allocation, 10.0, atol=1e-8)


@pytest.mark.parametrize("name", ["heterogeneous", "ten", "random20"])
def test_planner_matches_closed_form(name):
    economy = ECONOMIES[name]
    result = E.solve_planner(economy)
    x, q = E.planner_exact(economy)
    assert result.solution.converged
    assert np.abs(result.allocation - x).max() < TOL
    assert np.abs(result.shadow_prices - q).max() < 1e-9
    assert result.kkt_residual < 1e-8


def test_welfare_theorem_identities(welfare):
    """Negishi weights 1/mu: same allocation, shadow prices = prices, Marshallian demand = CE allocation."""
    assert welfare.equilibrium.solution.converged and welfare.planner.solution.converged
    table = welfare.table()["max |difference|"]
    assert (table < TOL).all(), table.to_string()


def test_equilibrium_matches_independent_reference(welfare):
    ce = welfare.equilibrium
    p, x, mu = E.equilibrium_exact(ce.economy)
    assert np.abs(ce.prices - p).max() < 1e-9
    assert np.abs(ce.allocation - x).max() < TOL
    assert np.abs(ce.income_multipliers - mu).max() < 1e-9
    assert ce.clearing_table()["complementarity"].max() < 1e-8  # the numeraire's market too (Walras' law)


def test_heterogeneous_prices_and_normalisations_agree():
    economy = ECONOMIES["heterogeneous"]
    numeraire = E.solve_equilibrium(economy, "numeraire")
    simplex = E.solve_equilibrium(economy, "simplex")
    np.testing.assert_allclose(numeraire.prices, HETEROGENEOUS_PRICES, atol=1e-8)
    np.testing.assert_allclose(simplex.prices.sum(), 1.0, atol=1e-12)
    np.testing.assert_allclose(simplex.prices, numeraire.prices / numeraire.prices.sum(), atol=1e-9)
    np.testing.assert_allclose(simplex.allocation, numeraire.allocation, atol=1e-8)
    assert abs(simplex.clearing.walras.value) < 1e-9  # the auxiliary t vanishes (Walras' law)
    check = E.welfare_check(economy, "simplex")
    assert (check.table()["max |difference|"] < TOL).all()


def test_other_numeraire():
    result = E.solve_equilibrium(ECONOMIES["heterogeneous"], numeraire=3)
    np.testing.assert_allclose(result.prices, np.array(HETEROGENEOUS_PRICES) / HETEROGENEOUS_PRICES[2], atol=1e-7)


def test_marshallian_demand_spends_income_and_satisfies_walras():
    economy = ECONOMIES["random20"]
    rng = np.random.default_rng(0)
    for p in rng.uniform(0.2, 3.0, size=(5, economy.m)):
        x, mu = E.demand(economy, p)
        np.testing.assert_allclose(x @ p, economy.endowment @ p, rtol=1e-12)  # spending, not quantities
        np.testing.assert_allclose(economy.alpha * x**economy.omega, mu[:, None] * p[None, :], rtol=1e-10)
        assert abs(p @ E.excess_demand(economy, p)) < 1e-9 * (p @ economy.total)
        np.testing.assert_allclose(E.excess_demand(economy, 7 * p), E.excess_demand(economy, p), atol=1e-9)


@pytest.mark.parametrize("builder, agent", [(E.planner_problem, "planner"), (E.equilibrium_problem, "consumer2")])
def test_convex_utility_is_reported(builder, agent):
    omega = np.full((3, 3), -0.5)
    omega[1, 2] = 0.5  # the homework's sign
    economy = E.EndowmentEconomy(1.0, omega, np.full((3, 3), 10.0))
    with pytest.raises(sq.ModelError, match=rf"agent '{agent}'.*omega = 0\.5.*consumer 2, good 3"):
        builder(economy)


@pytest.mark.parametrize("alpha, omega, word", [(1.0, -1.0, "omega = -1"), (-1.0, -0.5, "alpha")])
def test_other_bad_parameters_are_reported(alpha, omega, word):
    with pytest.raises(sq.ModelError, match=word):
        E.check_concavity(E.EndowmentEconomy(alpha, omega, np.ones((2, 2))))


def test_market_clearing_rejects_bad_arguments():
    m = pyo.ConcreteModel()
    m.p = pyo.Var([1, 2])
    problem = sq.EquilibriumProblem(m)
    excess = {1: 1 - m.p[1], 2: 1 - m.p[2]}
    with pytest.raises(sq.ModelError, match="normalization"):
        add_market_clearing(problem, m.p, excess, normalization="sum")
    with pytest.raises(sq.ModelError, match="only used with"):
        add_market_clearing(problem, m.p, excess, normalization="simplex", numeraire=1)
    with pytest.raises(sq.ModelError, match="not a good"):
        add_market_clearing(problem, m.p, excess, numeraire=3)
    with pytest.raises(sq.ModelError, match="no excess supply"):
        add_market_clearing(problem, m.p, {1: excess[1]})


def test_case_module_builds_the_competitive_equilibrium():
    from cases.endowment_economy import build_problem

    problem = build_problem()
    assert problem.agent_names == ("consumer1", "consumer2", "consumer3")
    solution = problem.solve()
    assert solution.converged
    assert sq.kkt_check(problem, solution).to_numpy().max() < 1e-8
    np.testing.assert_allclose([solution.value(problem.model.p[j]) for j in (1, 2, 3)], HETEROGENEOUS_PRICES,
                               atol=1e-8)


def test_baselines():
    from benchmarks.endowment_baselines import adam_planner, fsolve_equilibrium

    adam = adam_planner(ECONOMIES["homogeneous"])  # the homework's settings: far from converged
    assert adam.allocation_error > 0.1 and adam.kkt_residual > 0.1
    fsolve = fsolve_equilibrium(ECONOMIES["heterogeneous"])
    assert fsolve.price_error < 1e-8 and fsolve.kkt_residual < 1e-8
