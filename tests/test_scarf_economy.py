"""Scarf's 1960 economy as an equilibrium problem: Leontief consumers as LP agents plus market clearing."""

import json
from pathlib import Path

import numpy as np
import pytest

import sharedeq as sq
from sharedeq.cli import main
from sharedeq.markets.scarf import (
    scarf_consumer_demand,
    scarf_economy_problem,
    scarf_excess_demand,
    solve_scarf_economy,
)

STARTS = [None, (0.5, 0.3, 0.2), (0.1, 0.2, 0.7), (0.6, 0.35, 0.05), (0.98, 0.01, 0.01)]


@pytest.mark.parametrize("normalization", ["simplex", "numeraire"])
@pytest.mark.parametrize("start", STARTS, ids=str)
def test_equal_prices_from_several_starts(normalization, start):
    result = solve_scarf_economy(3, normalization, prices=start)
    assert result.solution.converged, result.solution.message
    scale = 1 / 3 if normalization == "simplex" else 1.0
    np.testing.assert_allclose(result.prices, scale, atol=1e-6)
    half = np.array([[0.5, 0.5, 0], [0, 0.5, 0.5], [0.5, 0, 0.5]])
    np.testing.assert_allclose(result.allocation, half, atol=1e-6)
    np.testing.assert_allclose(result.utilities, 0.5, atol=1e-6)
    np.testing.assert_allclose(result.income_multipliers, 1 / (2 * scale), rtol=1e-6)  # mu_i = 1/(p_i + p_i+1)
    assert result.verified()


@pytest.mark.parametrize("normalization", ["simplex", "numeraire"])
def test_every_agent_is_optimal_and_markets_clear(normalization):
    result = solve_scarf_economy(3, normalization, prices=(0.5, 0.3, 0.2))
    problem, solution = result.problem, result.solution
    assert solution.residual < 1e-8
    assert solution.residuals.to_numpy().max() < 1e-8
    assert sq.kkt_check(problem, solution).to_numpy().max() < 1e-8
    gains = sq.best_response_check(problem, solution)["gain"]
    assert gains.abs().max() < 1e-7
    clearing = result.tables()["clearing"]
    assert clearing["complementarity"].max() < 1e-8
    assert clearing["excess supply"].abs().max() < 1e-8


def test_consistent_with_the_closed_form_demand():
    result = solve_scarf_economy(3, prices=(0.1, 0.2, 0.7))
    np.testing.assert_allclose(scarf_excess_demand(result.prices), 0, atol=1e-9)
    np.testing.assert_allclose(result.allocation, scarf_consumer_demand(result.prices), atol=1e-9)
    np.testing.assert_allclose(result.allocation @ result.prices, result.prices, atol=1e-9)  # budgets bind
    assert result.demand_gap < 1e-9


def test_odd_n_gives_equal_prices_even_n_a_family():
    """F = 0 iff p_{i-1} = p_{i+1}: unique for odd n, any (a, b, a, b) for even n."""
    five = solve_scarf_economy(5, prices=(0.4, 0.1, 0.2, 0.2, 0.1))
    assert five.verified()
    np.testing.assert_allclose(five.prices, 0.2, atol=1e-8)
    four = solve_scarf_economy(4, prices=(0.4, 0.1, 0.3, 0.2))
    assert four.verified()
    p = four.prices
    np.testing.assert_allclose(p[[0, 1]], p[[2, 3]], atol=1e-8)
    np.testing.assert_allclose(scarf_excess_demand([0.3, 0.2, 0.3, 0.2]), 0, atol=1e-15)


def test_the_model_is_written_as_lp_agents_with_clearing():
    problem = scarf_economy_problem(3)
    assert problem.agent_names == ("consumer1", "consumer2", "consumer3")
    mcp = problem.mcp()
    assert mcp.size == 3 * (4 + 3) + 3 + 1  # per consumer u, x_i1..3 and 3 multipliers; 3 prices; walras t


def test_boundary_points_pass_the_mcp_tolerance_but_are_no_equilibrium():
    """At p = (e^2, e, 1), x = demand(p), every KKT condition holds exactly except clearing, whose natural
    residual max_j |min(p_j, z_j)| is about e; yet good 2 is in excess supply by about 1 (so ``verified``
    checks the closed-form F as well)."""
    e = 1e-9
    p = np.array([e**2, e, 1.0])
    z = -scarf_excess_demand(p)  # excess supply
    assert np.abs(np.minimum(p, z)).max() < 2 * e
    assert z[1] > 1 - 3 * e


def test_bad_arguments():
    with pytest.raises(sq.ModelError, match="n must be an integer >= 3"):
        scarf_economy_problem(2)
    with pytest.raises(sq.ModelError, match="positive"):
        scarf_economy_problem(3, prices=(1, 0, 1))
    for normalization in ("sum", None):
        with pytest.raises(sq.ModelError, match="price level must be fixed"):
            scarf_economy_problem(3, normalization=normalization)


def test_cli_solves_the_case_file(tmp_path, capsys):
    case = str(Path(__file__).resolve().parents[1] / "cases" / "scarf.py")
    out = tmp_path / "scarf.json"
    assert main(["solve", case, "--check", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("EQUILIBRIUM FOUND: Scarf 1960 economy, n = 3") and "Best-response check" in text
    data = json.loads(out.read_text())
    assert data["status"] == "equilibrium" and data["residual"] < 1e-8
    assert data["variables"]["p[2]"]["value"] == pytest.approx(1 / 3, abs=1e-8)
    assert data["variables"]["x[3,1]"]["value"] == pytest.approx(0.5, abs=1e-8)
    assert main(["solve", case, "--arg", "n=5", "--arg", "normalization=numeraire"]) == 0
    assert "n = 5" in capsys.readouterr().out
