"""Electricity market with three generating companies -- Facchinei & Kanzow test problem A.15.

Source
------
F. Facchinei, C. Kanzow, "Penalty methods for the solution of generalized Nash equilibrium problems (with complete
test problems)", technical report, Feb. 2009 (SIAM J. Optim. 20 (2010) 2228-2253), Appendix, problem A.15, after
J. Contreras, M. Klusch, J.B. Krawczyk, "Numerical solutions to Nash-Cournot equilibria in coupled constraint
electricity markets", IEEE Trans. Power Systems 19 (2004) 195-206.

Three companies own 1, 2 and 3 power plants. Company ``nu`` chooses the outputs ``x_j`` of its plants and
minimises cost minus revenue at the inverse demand ``p(S) = 378.4 - 2 S`` (S = total output)::

    theta_nu(x) = (2 S - 378.4) * v_nu + sum_{j of nu} (c_j/2 x_j^2 + d_j x_j + e_j),   v_nu = sum_{j of nu} x_j

    plant   owner   c        d      e    upper bound
    1       1       0.04     2.0    0    80
    2       2       0.035    1.75   0    80
    3       2       0.125    1.0    0    50
    4       3       0.0166   3.25   0    55
    5       3       0.05     3.0    0    30
    6       3       0.05     3.0    0    40

with ``0 <= x_j <= upper bound``. As stated by FK, A.15 has **no shared constraint**: it is a standard Nash game
(NEP) with box constraints only. Contreras et al. also study coupled transmission constraints, but their
coefficients are not part of the FK test problem and were not found in the public sources searched, so they
are not modelled.

Data provenance: the table above as transcribed in public re-implementations of the FK test set on GitHub (several
independent ``A15`` / ``ProblemA15`` classes; they agree on every number). Note one of them codes the gradient of
a two-plant company wrongly (``2 x_j`` instead of ``2 v_nu``); the objective, which is what matters here, agrees.

Reference answer
----------------
Nash equilibrium, computed here in two independent ways (``tests/reference_solutions.py::
electricity_contreras_reference``: the MCP of the three KKT systems, and -- A.15 is a potential game because the
inverse demand is linear -- the minimiser of the potential ``sum cost - 378.4 S + S^2 + sum_nu v_nu^2`` with
Ipopt)::

    x = (46.66162197, 32.15403038, 15.00312851, 22.10719034, 12.33958719, 12.33958719)
    theta = (-4398.16007, -4479.75656, -4389.59756)

Published (FK): x = (46.66150692423980, 32.15293850189938, 15.00419467998705, 22.10485810522063,
12.34076570922471, 12.34076570922471). Discrepancy up to 2.3e-3: at the published point every gradient equals
``-1e-5 * x_j`` exactly, i.e. FK report the equilibrium of a slightly regularised problem (a 1e-5 proximal or
Tikhonov term), not of the data as stated. No bound is active at the equilibrium; it is unique (strictly convex
potential).
"""

from __future__ import annotations

import pyomo.environ as pyo

import sharedeq as sq

PLANTS = {  # plant: (owner, c, d, e, upper bound)
    1: (1, 0.04, 2.0, 0.0, 80.0),
    2: (2, 0.035, 1.75, 0.0, 80.0),
    3: (2, 0.125, 1.0, 0.0, 50.0),
    4: (3, 0.0166, 3.25, 0.0, 55.0),
    5: (3, 0.05, 3.0, 0.0, 30.0),
    6: (3, 0.05, 3.0, 0.0, 40.0),
}
REFERENCE = (46.6616219733, 32.1540303759, 15.0031285053, 22.1071903443, 12.3395871943, 12.3395871943)
REFERENCE_OBJECTIVES = (-4398.1600696544, -4479.7565632573, -4389.597561719)
PUBLISHED = (46.66150692423980, 32.15293850189938, 15.00419467998705, 22.10485810522063, 12.34076570922471,
             12.34076570922471)


def build_problem(**kwargs) -> sq.EquilibriumProblem:
    """FK A.15: three companies, six plants, box constraints only."""
    m = pyo.ConcreteModel(name="electricity_contreras")
    m.company = pyo.Set(initialize=[1, 2, 3])
    m.plant = pyo.Set(initialize=sorted(PLANTS))
    m.c = pyo.Param(m.plant, initialize={j: v[1] for j, v in PLANTS.items()})
    m.d = pyo.Param(m.plant, initialize={j: v[2] for j, v in PLANTS.items()})
    m.e = pyo.Param(m.plant, initialize={j: v[3] for j, v in PLANTS.items()})
    m.x = pyo.Var(m.plant, bounds=lambda m, j: (0.0, PLANTS[j][4]), initialize=10.0)
    owned = {nu: [j for j, v in PLANTS.items() if v[0] == nu] for nu in (1, 2, 3)}

    m.S = pyo.Expression(expr=sum(m.x[j] for j in m.plant))
    m.price = pyo.Expression(expr=378.4 - 2 * m.S)
    m.v = pyo.Expression(m.company, rule=lambda m, nu: sum(m.x[j] for j in owned[nu]))
    m.theta = pyo.Expression(m.company, rule=lambda m, nu: -m.price * m.v[nu] + sum(
        0.5 * m.c[j] * m.x[j] ** 2 + m.d[j] * m.x[j] + m.e[j] for j in owned[nu]))

    p = sq.EquilibriumProblem(m, name="FK A.15 electricity market")
    for nu in m.company:
        p.add_agent(f"company{nu}", m.theta[nu], [m.x[j] for j in owned[nu]], sense="min")
    return p


if __name__ == "__main__":
    prob = build_problem()
    m = prob.model
    sol = prob.solve()
    x = [sol.value(m.x[j]) for j in m.plant]
    print(f"converged={sol.converged} x={[round(v, 8) for v in x]}")
    print(f"reference x={REFERENCE}")
    print(sol.objective_values)
    print(sq.best_response_check(prob, sol))
