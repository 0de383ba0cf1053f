"""Scarf's example: the article's map versus Scarf's 1960 economy (see shared seeds README)."""

import numpy as np
import pytest
from scipy.optimize import linprog

from sharedeq.markets.scarf import (
    article_excess_demand,
    homotopy_summary,
    plot_tatonnement,
    scarf_consumer_demand,
    scarf_endowment,
    scarf_excess_demand,
    scarf_homotopy,
    tatonnement,
)

RNG = np.random.default_rng(1960)
PRICES = RNG.uniform(0.05, 2.0, size=(20, 3))
EQUAL = np.full(3, 1 / 3)


def test_article_homotopy_leaves_the_positive_orthant_at_t_one_sixth():
    """G = F + (sum x - 1) from (0.5, 0.3, 0.2): x_3 hits 0 at t = 1/6, x = (5/8, 3/8, 0), far from 1/3."""
    result = scarf_homotopy("article", 1.0)
    assert result.status == "left_domain"
    assert result.t == pytest.approx(1 / 6, abs=1e-8)
    np.testing.assert_allclose(result.x, [5 / 8, 3 / 8, 0.0], atol=1e-8)
    assert result.exit_point[2] < 0


def test_article_homotopy_turns_back_outside_the_orthant():
    result = scarf_homotopy("article", 1.0, domain=None, max_steps=30)
    assert result.turning_points == 1
    assert 0.1695 < result.t_max < 0.1698  # turning point at t ~ 0.169787, x_3 ~ -0.0689
    assert result.t < result.t_max and result.status == "max_steps"


@pytest.mark.parametrize("market, sign", [("article", -1.0), ("scarf", 1.0)])
def test_homotopy_reaches_equal_prices(market, sign):
    result = scarf_homotopy(market, sign)
    assert result.status == "reached", result.message
    np.testing.assert_allclose(result.x, EQUAL, atol=1e-8)
    assert homotopy_summary(result)["|x - 1/3|"] < 1e-8


def test_scarf_map_is_demand_minus_supply_of_leontief_consumers():
    for p in PRICES:
        demand = scarf_consumer_demand(p)
        np.testing.assert_allclose(demand @ p, p * scarf_endowment().diagonal(), rtol=1e-12)  # budgets bind
        excess = demand.sum(axis=0) - scarf_endowment().sum(axis=0)
        np.testing.assert_allclose(scarf_excess_demand(p), excess, atol=1e-14)


def test_leontief_demand_matches_a_linear_program():
    """Consumer 0: max u s.t. u <= x_0, u <= x_1, p.x <= p_0, x >= 0 (variables x_0, x_1, x_2, u)."""
    p = PRICES[0]
    result = linprog(
        c=[0, 0, 0, -1],
        A_ub=[[-1, 0, 0, 1], [0, -1, 0, 1], [*p, 0]],
        b_ub=[0, 0, p[0]],
        bounds=[(0, None)] * 4,
    )
    np.testing.assert_allclose(result.x[:3], scarf_consumer_demand(p)[0], atol=1e-9)


def test_scarf_map_walras_law_and_homogeneity():
    for p in PRICES:
        F = scarf_excess_demand(p)
        assert abs(p @ F) < 1e-14
        np.testing.assert_allclose(scarf_excess_demand(3.7 * p), F, atol=1e-14)
    assert max(abs(scarf_excess_demand(p).sum()) for p in PRICES) > 1e-2  # but sum F != 0


def test_article_map_sums_to_zero_but_violates_walras_law():
    """The seed's map is not a Walrasian excess demand: p.F = -1/2 sum (p_{i+1} - p_i)^2 / (p_i + p_{i+1})."""
    for p in PRICES:
        F = article_excess_demand(p)
        assert abs(F.sum()) < 1e-14
        np.testing.assert_allclose(article_excess_demand(0.2 * p), F, atol=1e-14)
        d, s = np.roll(p, -1) - p, np.roll(p, -1) + p
        assert p @ F == pytest.approx(-0.5 * np.sum(d**2 / s), abs=1e-14)
        assert p @ F < -1e-6
    np.testing.assert_allclose(article_excess_demand(EQUAL), 0, atol=1e-15)


def test_tatonnement_cycles_for_scarf_and_converges_for_the_article():
    p0 = (0.5, 0.3, 0.2)
    scarf = tatonnement(scarf_excess_demand, p0, t_final=30, n_points=301)
    d = scarf.distance
    assert d[150:].min() > 0.9 * d[0]
    assert scarf.drift("sum p^2") < 1e-6 and scarf.drift("prod p") < 1e-6
    article = tatonnement(article_excess_demand, p0, t_final=30, n_points=301)
    assert article.distance[-1] < 1e-6 * article.distance[0]
    assert article.drift("sum p") < 1e-12


def test_plot_writes_png(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "orbits.png"
    orbits = {"scarf": tatonnement(scarf_excess_demand, (0.5, 0.3, 0.2), t_final=5, n_points=51)}
    plot_tatonnement(orbits, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
