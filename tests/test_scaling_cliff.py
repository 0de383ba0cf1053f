"""Issue 10's Cournot cliff: Ipopt's iteration count must not depend on the number of firms.

``f_i = c_i q_i + q_i^2 / 2 - q_i (100 - Q / N)``, one shared cap ``sum q <= 30 N``, everyone starting at 0.
At the start the cap's pair has ``F = 30 N`` against a zero multiplier, so its slack starts at ``30 N``. With
Ipopt's gradient-based scaling the objective was divided by that slack, the adaptive barrier rule picked
mu = 1e-5 at the first iteration, the first step shrank like 0.06 / N and from N of about 6,400 on fell below
the filter's margin (1e-5): a restoration phase of 3,000 iterations. The relaxation now runs unscaled
when no rows are grouped for generalized Nash mode (sharedeq.solve._ipopt_options).
"""

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

import sharedeq as sq


def _cournot(n):
    cost = np.linspace(10.0, 20.0, n)
    m = pyo.ConcreteModel()
    m.i = pyo.RangeSet(n)
    m.q = pyo.Var(m.i, domain=pyo.NonNegativeReals, initialize=0.0)
    total = LinearExpression(constant=0.0, linear_coefs=[1.0] * n, linear_vars=list(m.q.values()))
    m.Q = pyo.Expression(expr=total)
    m.cap = pyo.Constraint(expr=total <= 30 * n)
    game = sq.EquilibriumProblem(m, name=f"cournot {n}")
    for i in m.i:
        game.add_agent(str(i), objective=cost[i - 1] * m.q[i] + m.q[i] ** 2 / 2 - m.q[i] * (100 - m.Q / n),
                       variables=m.q[i])
    game.add_shared(m.cap)
    return game, m, cost


def test_cournot_past_the_old_cliff_converges_in_few_iterations_to_the_closed_form():
    """N = 8,000, variational: the cap binds, ``lam = 70 - mean(c) - 30 (1 + 1/N)`` and
    ``q_i = (70 - c_i - lam) / (1 + 1/N)`` (all positive). Before the fix: hundreds of Ipopt iterations."""
    n = 8000
    game, m, cost = _cournot(n)
    solution = game.solve(mode="ve", verify=False)
    assert solution.converged
    assert solution.steps["iterations"].sum() <= 30
    lam = 70 - cost.mean() - 30 * (1 + 1 / n)
    assert abs(solution.multiplier(m.cap) - lam) < 1e-6
    q = np.array([solution.value(m.q[i]) for i in m.i])
    assert np.allclose(q, (70 - cost - lam) / (1 + 1 / n), atol=1e-6)
    assert abs(q.sum() - 30 * n) < 1e-5 * n
