"""Structure that makes large games tractable: O(N) Jacobians, lifted aggregates, grouped GNE pairs."""

import numpy as np

import sharedeq as sq
from benchmarks.generators import generate
from sharedeq.reformulate import relax


def _nnz_per_agent(n, mode):
    mcp = generate("river", n, m=4, seed=3).mcp(mode=mode)
    return mcp.jacobian_nnz() / n


def test_mcp_jacobian_grows_linearly_in_both_modes():
    """Every objective depends on total output, yet nonzeros per agent stay constant as N doubles."""
    for mode in ("ve", "gne"):
        small, large = _nnz_per_agent(100, mode), _nnz_per_agent(200, mode)
        assert abs(large - small) < 0.1 * small, (mode, small, large)


def test_inner_aggregate_used_only_through_a_lifted_price_is_lifted_too():
    """Cournot-type: S appears only inside price; inlining it would make every stationarity row dense."""
    import pyomo.environ as pyo

    n = 120
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(n), bounds=(0, None), initialize=1.0)
    m.S = pyo.Expression(expr=sum(m.x[i] for i in range(n)))
    m.price = pyo.Expression(expr=100 - 0.5 * m.S)
    game = sq.EquilibriumProblem(m)
    for i in range(n):
        game.add_agent(i, objective=(1 + 0.01 * i) * m.x[i] - m.price * m.x[i], variables=m.x[i])
    mcp = game.mcp()
    assert set(mcp.pairs.loc[mcp.lifted, "variable"]) == {"S", "price"}
    assert int(mcp.pairs["dense"].sum()) <= 2            # the two definitions, not the n stationarity rows
    solution = game.solve()
    assert solution.converged
    # symmetric closed form: x_i = (100 - c_i - 0.5 S) / 0.5, S = sum of them
    c = 1 + 0.01 * np.arange(n)
    S = (np.sum(100 - c) / 0.5) / (1 + n)
    np.testing.assert_allclose([solution.value(m.x[i]) for i in range(n)], (100 - c - 0.5 * S) / 0.5, rtol=1e-8)


def test_generalized_nash_copies_of_a_shared_constraint_share_one_row_and_slack():
    n, m = 30, 4
    mcp = generate("river", n, m=m, seed=3).mcp(mode="gne")
    multipliers = mcp.pairs[mcp.pairs["kind"] == "multiplier"]
    assert len(multipliers) == n * m
    assert multipliers["same_as"].nunique() == m
    nlp = relax(mcp)
    assert nlp.n_equations == mcp.size - (n - 1) * m
    leaders = multipliers["same_as"].to_numpy()
    np.testing.assert_array_equal(nlp.plus[multipliers.index], nlp.plus[leaders])
