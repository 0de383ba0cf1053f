"""River-basin pollution game (Haurie and Krawczyk 1997; Krawczyk and Uryasev 2000), as in the GAMS EMP docs.

Three firms along a river choose outputs ``x_i >= 0``. Firm ``i`` earns ``(d1 - d2 * sum_j x_j) x_i`` and pays
``(c1_i + c2_i x_i) x_i``; it minimises cost minus revenue. Two monitoring stations limit the pollution that
reaches them, ``sum_i u_im e_i x_i <= K_m``: constraints that every firm shares.

Published answer (variational equilibrium, one shared price per station; Krawczyk and Uryasev 2000, GNE R
package): x = (21.1448, 16.0279, 2.7260), multipliers (0.5744, 0). In generalized Nash mode (each firm prices
the stations itself) the equilibria form a continuum; any point returned must satisfy every firm's KKT
conditions with its own multipliers.

Data from the GAMS EMP manual: ``K(m) = 100``, ``d1 = 3``, ``d2 = 0.01``,
``e = (0.5, 0.25, 0.75)``, ``c``, ``u`` as below.

Run: ``python cases/river_basin.py --mode ve`` or ``sharedeq solve cases/river_basin.py --mode gne``.
"""

import pyomo.environ as pyo

import sharedeq as sq

FIRMS = (1, 2, 3)
STATIONS = (1, 2)
K = {1: 100.0, 2: 100.0}
D1, D2 = 3.0, 0.01
E = {1: 0.5, 2: 0.25, 3: 0.75}
C = {(1, 1): 0.10, (1, 2): 0.12, (1, 3): 0.15, (2, 1): 0.01, (2, 2): 0.05, (2, 3): 0.01}
U = {(1, 1): 6.5, (1, 2): 4.583, (2, 1): 5.0, (2, 2): 6.25, (3, 1): 5.5, (3, 2): 3.75}

#: The published variational equilibrium (Krawczyk and Uryasev 2000).
VE_OUTPUT = {1: 21.1448, 2: 16.0279, 3: 2.7260}
VE_MULTIPLIERS = {1: 0.5744, 2: 0.0}


def build_model(limit: float | None = None) -> pyo.ConcreteModel:
    """The Pyomo model: outputs ``x``, each firm's cost as an Objective, the two shared limits ``cons`` (both
    ``limit`` when given, else the published ``K``)."""
    limits = dict(K) if limit is None else {s: float(limit) for s in STATIONS}
    m = pyo.ConcreteModel(name="river basin")
    m.i = pyo.Set(initialize=FIRMS)
    m.m = pyo.Set(initialize=STATIONS)
    m.x = pyo.Var(m.i, domain=pyo.NonNegativeReals, initialize=1.0)
    m.total = pyo.Expression(expr=sum(m.x[j] for j in m.i))

    def cost(m, i):
        return (C[1, i] + C[2, i] * m.x[i]) * m.x[i] - (D1 - D2 * m.total) * m.x[i]

    m.cost = pyo.Objective(m.i, rule=cost)
    m.cons = pyo.Constraint(m.m, rule=lambda m, s: sum(U[i, s] * E[i] * m.x[i] for i in m.i) <= limits[s])
    return m


def build_problem(mode="ve", K: float | None = None) -> sq.EquilibriumProblem:
    """Three firms, each minimising its cost over its own output, sharing both pollution limits (``K``: both
    limits, for sweeps such as ``sharedeq sweep cases/river_basin.py --grid K=50:150:21``)."""
    m = build_model(limit=K)
    problem = sq.EquilibriumProblem(m, name="river basin")
    for i in m.i:
        problem.add_agent(str(i), objective=m.cost[i], variables=m.x[i])
    problem.add_shared(m.cons, variational=(mode == "ve"))
    return problem


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["ve", "gne"], default="ve")
    args = parser.parse_args()
    problem = build_problem(args.mode)
    solution = problem.solve(mode=args.mode)
    print(solution.summary())
    print()
    print(sq.best_response_check(problem, solution).to_string())
