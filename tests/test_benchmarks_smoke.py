"""Smoke tests of the benchmark families and runner at small sizes (the scaling runs live in benchmarks/)."""

import numpy as np
import pytest

import sharedeq as sq
from benchmarks.generators import FAMILIES, generate, river_data
from benchmarks.runner import RunSpec, format_report, free_pairs, growth_table, main_table, measure, run_isolated

SIZES = (20, 40)


def _agent_values(solution, problem) -> np.ndarray:
    return np.array([solution.value(v) for a in problem.agents for v in a.variables])


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("n", SIZES)
def test_family_solves_in_ve_mode(family, n):
    problem = generate(family, n, m=5, seed=1)
    solution = problem.solve(mode="ve")
    assert solution.converged, solution.message
    assert solution.residual < 1e-6
    reference = FAMILIES[family].reference
    if reference is not None:
        prices = solution.multipliers["multiplier"].to_numpy()
        np.testing.assert_allclose(prices, reference(n, 5, 1)["prices"], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("family", ["river", "cournot", "cournot_linear", "transport"])
def test_family_solves_in_gne_mode(family):
    problem = generate(family, 20, m=3, seed=2)
    solution = problem.solve(mode="gne")
    assert solution.converged, solution.message
    assert sq.kkt_check(problem, solution).to_numpy().max() < 1e-6


def test_river_equilibrium_is_interior_ish():
    """Most firms produce and at least one station limit binds (the instances are not degenerate)."""
    problem = generate("river", 40, m=10, seed=0)
    solution = problem.solve(mode="ve")
    outputs = _agent_values(solution, problem)
    assert (outputs > 1e-6).mean() > 0.8
    assert (solution.multipliers["multiplier"] > 1e-6).sum() >= 1
    assert river_data(40, 10, 0).d2 == pytest.approx(0.03 / 40)


@pytest.mark.parametrize("n", SIZES)
def test_sparse_and_dense_give_the_same_variational_equilibrium(n):
    sparse_problem = generate("river", n, m=10, seed=3)
    dense_problem = generate("river", n, m=10, seed=3, inline=True)
    sparse = sparse_problem.solve(mode="ve", lift="auto")
    dense = dense_problem.solve(mode="ve", lift="none")
    assert sparse.converged and dense.converged
    assert sparse.mcp.size == dense.mcp.size + 1  # the lifted total
    np.testing.assert_allclose(_agent_values(sparse, sparse_problem), _agent_values(dense, dense_problem),
                               atol=1e-6)
    np.testing.assert_allclose(sparse.multipliers["multiplier"], dense.multipliers["multiplier"], atol=1e-6)


@pytest.mark.parametrize("n", SIZES)
def test_sparse_and_dense_both_give_generalized_nash_equilibria(n):
    """GNE form a continuum: compare instead that both points pass the independent KKT check."""
    for inline, lift in ((False, "auto"), (True, "none")):
        problem = generate("river", n, m=10, seed=3, inline=inline)
        solution = problem.solve(mode="gne", lift=lift)
        assert solution.converged, solution.message
        assert sq.kkt_check(problem, solution).to_numpy().max() < 1e-6


def test_runner_measures_in_process_and_in_a_subprocess():
    results = [measure(RunSpec("river", n, "ve", 3, 0)) for n in (20, 40)]
    results.append(measure(RunSpec("river", 20, "ve", 3, 0, "naive")))
    results.append(measure(RunSpec("river", 20, "ve", 3, 0, "mpec_nlp")))
    results.append(measure(RunSpec("river", 20, "ve", 3, 0, "relaxation")))
    for r in results[:3] + results[4:]:
        assert r["converged"] and r["residual"] < 1e-6 and r["total"] > r["kkt"] > 0
    assert results[3]["export"] > 0 and results[3]["status"]
    assert results[4]["method"] == "relaxation" and results[4]["ipopt_s"] > 0 and results[4]["iterations"] > 0
    for r in results[:2]:           # the floor: one LU of the final Newton matrix x iterations + build
        assert r["method"] in ("interior point", "relaxation") and r["iterations"] >= 1
        assert r["lu_s"] > 0 and r["floor_s"] >= r["lu_s"] * r["iterations"] and r["floor_ratio"] > 0
        assert r["floor_s"] == pytest.approx(r["lu_s"] * r["iterations"] + r["build"] + r["annotate"])
    growth = growth_table(results)
    assert list(growth["from"]) == [20] and growth["per_doubling"].iloc[0] > 0
    table = main_table(results)
    for column in ("iters", "method", "derivs", "verify", "lu_s", "floor_s", "floor_ratio", "relax_ratio",
                   "naive_total_ratio"):
        assert column in table, column
    assert (table[["lu_s", "floor_s", "floor_ratio"]] > 0).all().all()
    assert table["relax_ratio"].iloc[0] > 0 and np.isnan(table["relax_ratio"].iloc[1])   # relaxation at n=20 only
    report = format_report("river", "ve", results)
    assert "KKT time growth" in report and "baselines" in report and "floor_ratio" in report
    assert "relax_total_s" in report
    isolated = run_isolated(RunSpec("cournot", 20, "ve", 2, 0), timeout=120)
    assert isolated["converged"] and isolated["peak_mib"] > 0 and isolated["floor_ratio"] > 0


def test_free_pairs_ignore_infinite_bounds_and_points_at_a_bound():
    lb = np.array([-np.inf, 0.0, 0.0, 1.0, -np.inf])
    ub = np.array([np.inf, np.inf, 2.0, 1.0, 5.0])
    z = np.array([3.0, 1e-12, 2.0 - 1e-10, 1.0, 4.0])
    assert list(free_pairs(z, lb, ub)) == [0, 4]
