"""An electricity market written the way Pyomo users write models: one block per generator.

Four generators sell into one market with linear inverse demand ``p = a - b G``, ``G`` the total output. Each
generator's block holds its output ``g``, its capacity constraint ``g <= K``, its emissions ``e g`` and its profit

    profit_i = p g_i - (c_i g_i + d_i g_i^2 / 2),

kept as a *deactivated* Objective: the model's one active Objective is the planner's welfare (consumer plus
producer surplus), so the same Pyomo model answers both "what would a planner do" and "what do the generators
do" (Cournot competition). A regulator caps the total emissions, ``sum e_i g_i <= E``: a shared constraint.

``problem.add_agents(m.gen)`` declares the four agents in one call; each takes its block's profit, its variable
and its capacity constraint. In variational mode the emissions cap has one price (a permit price every
generator pays); in generalized-Nash mode every generator prices it on its own.

Data (illustrative, in MW, $/MWh and t/MWh)::

    generator   c    d      K    e
    coal       18  0.020  600  1.00
    gas        30  0.010  500  0.45
    oil        45  0.040  200  0.80
    ccgt       25  0.015  400  0.40      a = 120 $/MWh, b = 0.05 $/MWh per MW

Without the cap the Cournot equilibrium emits 888 t/h; with ``E = 700`` the cap binds and the permit price is
positive (the test derives the variational equilibrium from its active set in closed form).
"""

from __future__ import annotations

import pyomo.environ as pyo

import sharedeq as sq

GENERATORS = {  # name: (c, d, K, e)
    "coal": (18.0, 0.020, 600.0, 1.00),
    "gas": (30.0, 0.010, 500.0, 0.45),
    "oil": (45.0, 0.040, 200.0, 0.80),
    "ccgt": (25.0, 0.015, 400.0, 0.40),
}
A, B = 120.0, 0.05


def generator_block(b, name):
    """One generator: output, capacity, emissions and profit (the profit Objective is deactivated)."""
    c, d, capacity, rate = GENERATORS[name]
    m = b.model()
    b.g = pyo.Var(within=pyo.NonNegativeReals, initialize=0.0, doc="output (MW)")
    b.capacity = pyo.Constraint(expr=b.g <= capacity)
    b.emissions = pyo.Expression(expr=rate * b.g)
    b.profit = pyo.Objective(expr=m.price * b.g - (c * b.g + d * b.g ** 2 / 2), sense=pyo.maximize)
    b.profit.deactivate()


def build_model(emission_cap: float = 700.0) -> pyo.ConcreteModel:
    """The market: generator blocks, the price, the emissions cap and the planner's (active) welfare."""
    m = pyo.ConcreteModel(name="electricity market")
    m.G = pyo.Set(initialize=list(GENERATORS), ordered=True)
    m.total = pyo.Var(initialize=0.0, doc="total output (MW)")
    m.price = pyo.Expression(expr=A - B * m.total)
    m.gen = pyo.Block(m.G, rule=generator_block)
    m.balance = pyo.Constraint(expr=m.total == sum(m.gen[i].g for i in m.G))
    m.emission_cap = pyo.Constraint(expr=sum(m.gen[i].emissions for i in m.G) <= emission_cap)
    m.welfare = pyo.Objective(expr=A * m.total - B * m.total ** 2 / 2 - sum(
        GENERATORS[i][0] * m.gen[i].g + GENERATORS[i][1] * m.gen[i].g ** 2 / 2 for i in m.G), sense=pyo.maximize)
    return m


def build_problem(emission_cap: float = 700.0, mode: str = "ve") -> sq.EquilibriumProblem:
    """Cournot generators with a shared emissions cap; ``total`` is defined by ``balance`` (an implicit pair)."""
    m = build_model(emission_cap)
    market = sq.EquilibriumProblem(m, name="electricity market (one block per generator)")
    market.add_agents(m.gen)
    market.add_implicit(m.total, m.balance)
    market.add_shared(m.emission_cap, variational=(mode == "ve"))
    return market


if __name__ == "__main__":
    print(build_problem().solve().summary())
