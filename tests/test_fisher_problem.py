"""The linear Fisher market as a sharedeq problem (b), against Eisenberg-Gale (a), DPSV (c) and max flow (d)."""

from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest

import sharedeq as sq
from benchmarks import fisher_methods
from sharedeq.cli import main as cli_main
from sharedeq.markets import (
    FisherMarket,
    dpsv,
    eisenberg_gale,
    equilibrium_residuals,
    fisher_problem,
    max_flow_certificate,
    solve_fisher_equilibrium,
)
from sharedeq.markets.clearing import add_market_clearing, clearing_table

CASE = str(Path(__file__).resolve().parents[1] / "cases" / "fisher_market.py")
TWO_BY_TWO = FisherMarket([[2, 1], [1, 2]], [1, 3])  # published prices (4/3, 8/3)


def assert_equilibrium(result, tol=1e-8):
    """sharedeq's own checks (MCP residual, every buyer's KKT re-derived with Pyomo) and the market conditions."""
    solution = result.solution
    assert result.success and solution.converged, solution.message
    assert solution.residual < tol
    assert sq.kkt_check(solution.problem, solution).to_numpy().max() < tol
    assert solution.residuals.to_numpy().max() < tol
    assert result.residuals.max < tol  # markets clear, budgets spent, money only on MBB goods


def test_two_by_two():
    result = solve_fisher_equilibrium(TWO_BY_TWO)
    assert_equilibrium(result)
    np.testing.assert_allclose(result.prices, [4 / 3, 8 / 3], atol=1e-6)
    np.testing.assert_allclose(result.allocation, [[0.75, 0], [0.25, 1]], atol=1e-6)
    model = result.solution.problem.model
    # budget multipliers are the bang per buck: buyer 0 gets 2 per 4/3, buyer 1 gets 2 per 8/3
    np.testing.assert_allclose([result.solution.multiplier(model.budget[i]) for i in model.I], [1.5, 0.75], atol=1e-6)


@pytest.mark.parametrize("n, m, seed", [(5, 3, 0), (5, 3, 1), (8, 6, 2), (8, 6, 3), (20, 10, 4)])
def test_random_markets_agree(n, m, seed):
    market = FisherMarket.random(n, m, seed, max_supply=3)
    shared = solve_fisher_equilibrium(market)
    assert_equilibrium(shared)
    exact = np.asarray(dpsv(market).prices, dtype=float)
    np.testing.assert_allclose(shared.prices, exact, rtol=1e-6)
    np.testing.assert_allclose(eisenberg_gale(market).prices, exact, rtol=1e-6)
    certificate = max_flow_certificate(market, shared.prices)
    assert certificate.is_equilibrium, certificate.reason
    assert equilibrium_residuals(market, shared.prices, shared.allocation).max < 1e-8


def test_model_names_and_naive_start():
    """One agent per buyer owning x[i, :], prices as vi variables; it also solves from p = 1, x = 0."""
    market = FisherMarket.random(8, 6, 5)
    problem = fisher_problem(market)
    assert list(problem.agent_names) == [f"buyer{i}" for i in range(8)]
    model = problem.model
    for var in model.p.values():
        var.set_value(1.0)
    for var in model.x.values():
        var.set_value(0.0)
    solution = problem.solve()
    assert solution.converged, solution.message
    prices = [solution.value(model.p[j]) for j in model.J]
    np.testing.assert_allclose(prices, np.asarray(dpsv(market).prices, dtype=float), rtol=1e-6)


def test_clearing_without_normalization():
    """``normalization=None``: every market paired with its price, none fixed, none dropped."""
    m = pyo.ConcreteModel()
    m.p = pyo.Var([1, 2])
    problem = sq.EquilibriumProblem(m)
    clearing = add_market_clearing(problem, m.p, {1: m.p[1] - 2, 2: m.p[2] - 3}, normalization=None)
    assert clearing.normalization is None and clearing.walras is None and clearing.numeraire is None
    assert len(problem.vi_pairs) == 2 and not any(v.fixed for v in m.p.values())
    assert all(v.lb == 0 for v in m.p.values())
    with pytest.raises(sq.ModelError, match="only used with"):
        add_market_clearing(problem, m.p, {1: 1, 2: 1}, normalization=None, numeraire=1)
    solution = problem.solve()
    assert solution.converged
    np.testing.assert_allclose(clearing_table(clearing)["price"], [2, 3], atol=1e-8)


def test_case_runs_from_the_command_line(capsys):
    assert cli_main(["solve", CASE]) == 0
    assert capsys.readouterr().out.startswith("EQUILIBRIUM FOUND")
    assert cli_main(["solve", CASE, "--arg", 'market="random"', "--arg", "buyers=6", "--arg", "goods=4"]) == 0
    assert "buyer5" in capsys.readouterr().out


def test_case_report(capsys):
    import runpy

    runpy.run_path(CASE, run_name="fisher_case")["main"](["--market", "2x2"])
    out = capsys.readouterr().out
    assert "(d) max-flow certificate of the (b) prices: EQUILIBRIUM" in out


def test_benchmark_smoke(capsys):
    fisher_methods.main(["--sizes", "6x4", "--sharedeq", "6x4", "--dpsv", "6x4", "--repeat", "1"])
    out = capsys.readouterr().out
    for method in ("eisenberg_gale", "sharedeq", "dpsv"):
        assert method in out
