"""The KKT assembly of generalized Nash problems: multiplier columns made in blocks, one function per shared row.

In generalized Nash mode a shared constraint gets one multiplier per (sharing agent, side), every one paired with
the same function. The builder creates those columns as one block of symbols and takes their rows by index from the
distinct functions, so the number of casadi calls does not grow with the number of pairs."""

from collections import Counter

import casadi as ca
import numpy as np
import pyomo.environ as pyo

import sharedeq as sq
from benchmarks.generators import generate
from sharedeq import kkt
from sharedeq.jacobian import MCPJacobian


def _ranged_game():
    """Three agents, each minimising (x_i - t_i)^2, sharing ``1 <= x_0 + 2 x_1 + 3 x_2 <= 5``."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(3), initialize=0.5)
    m.cap = pyo.Constraint(expr=pyo.inequality(1.0, m.x[0] + 2 * m.x[1] + 3 * m.x[2], 5.0))
    game = sq.EquilibriumProblem(m)
    target = [1.0, 2.0, 3.0]
    for i in range(3):
        game.add_agent(f"a{i}", objective=(m.x[i] - target[i]) ** 2, variables=m.x[i])
    game.add_shared(m.cap)
    return m, game


def test_ranged_shared_constraint_gives_agent_major_blocks_with_one_function_per_side():
    m, game = _ranged_game()
    mcp = game.mcp(mode="gne")
    pairs = mcp.pairs
    mult = pairs[pairs["kind"] == "multiplier"]
    # agent-major, side-minor; names, agents, sides and bounds per column
    assert list(mult["variable"]) == [f"cap.m[a{i}]{s}" for i in range(3) for s in ("_lo", "_up")]
    assert list(mult["agent"]) == [f"a{i}" for i in range(3) for _ in range(2)]
    assert list(mult["side"]) == [">=", "<="] * 3
    assert set(mult["equation"]) == {"cap"}
    np.testing.assert_array_equal(mcp.lb[mult.index], 0.0)
    np.testing.assert_array_equal(mcp.ub[mult.index], np.inf)
    # every agent's copy of a side leads to the first agent's copy
    lo, up = mult.index[0::2], mult.index[1::2]
    np.testing.assert_array_equal(pairs.loc[lo, "same_as"], lo[0])
    np.testing.assert_array_equal(pairs.loc[up, "same_as"], up[0])
    others = pairs.index.difference(mult.index)
    np.testing.assert_array_equal(pairs.loc[others, "same_as"], others)
    # z is a vector of pure symbols; F at a point: the body (lifted) minus 1 and 5 minus the body
    assert all(mcp.z[k].is_symbolic() for k in range(mcp.size))
    z = np.random.default_rng(1).uniform(0.1, 1.0, mcp.size)
    stat = pairs.index[pairs["kind"] == "stationarity"]
    body = pairs.index[pairs["kind"] == "definition"]
    assert len(body) == 1 and pairs.loc[body[0], "variable"] == "cap.body"
    z[body[0]] = z[stat[0]] + 2 * z[stat[1]] + 3 * z[stat[2]]
    F = mcp.evaluate(z)
    np.testing.assert_allclose(F[lo], z[body[0]] - 1.0, rtol=1e-14)
    np.testing.assert_allclose(F[up], 5.0 - z[body[0]], rtol=1e-14)
    # stationarity of agent i: 2 (x_i - t_i) + a_i (lam_up_i - lam_lo_i), a = (1, 2, 3)
    for i, k in enumerate(stat):
        expected = 2 * (z[k] - (i + 1)) + (i + 1) * (z[up[i]] - z[lo[i]])
        np.testing.assert_allclose(F[k], expected, rtol=1e-13)
    # widths: what the Jacobian says
    J = MCPJacobian(mcp).dF_dz(z).tocsr()
    np.testing.assert_array_equal(pairs["width"].to_numpy(), np.diff(J.indptr))


def test_multiplier_columns_cost_no_casadi_call_each(monkeypatch):
    """Symbols are created once per variable and once per shared constraint (a block), not once per multiplier;
    no casadi call made by the builder takes one argument per pair."""
    n, m = 80, 5
    problem = generate("cournot", n, m=m)
    counts, widest = Counter(), [0]
    real_sym = ca.SX.sym

    def sym(*args, **kwargs):
        counts["SX.sym"] += 1
        return real_sym(*args, **kwargs)

    class Counting:
        def __getattr__(self, name):
            target = getattr(ca, name)
            if not callable(target) or isinstance(target, type):
                return target

            def call(*args, **kwargs):
                counts[name] += 1
                widest[0] = max(widest[0], len(args))
                return target(*args, **kwargs)
            return call

    monkeypatch.setattr(ca.SX, "sym", staticmethod(sym))
    monkeypatch.setattr(kkt, "ca", Counting())
    mcp = kkt.build_mcp(problem, mode="gne")
    monkeypatch.undo()
    multipliers = int((mcp.pairs["kind"] == "multiplier").sum())
    assert multipliers == n * m
    others = mcp.size - multipliers
    assert counts["SX.sym"] <= others + m, counts
    assert widest[0] < multipliers, widest
    expensive = sum(counts[name] for name in ("jacobian", "jacobian_sparsity", "symvar", "substitute", "Function"))
    assert expensive <= 12, counts
