"""Internet switching model (Kesselman et al.) -- Facchinei & Kanzow test problems A.14 and A.1.

Source
------
F. Facchinei, C. Kanzow, "Generalized Nash equilibrium problems", Ann. Oper. Res. 175 (2010) 177-211, and the
complete test set in F. Facchinei, C. Kanzow, "Penalty methods for the solution of generalized Nash equilibrium
problems (with complete test problems)", technical report, Feb. 2009, problems A.14 and A.1; the model is from
A. Kesselman, S. Leonardi, V. Bonifaci, "Game-theoretic analysis of internet switching with selfish users",
WINE 2005, LNCS 3828, pp. 236-245.

``N = 10`` users each choose a rate ``x_nu`` and minimise::

    theta_nu(x) = -x_nu / S * (1 - S / B),   S = x_1 + ... + x_N,   B = 1,

subject to ``x_nu >= 0.01`` and the shared buffer capacity ``x_1 + ... + x_N <= B`` (A.14).
Variant A.1 (``variant="A.1"``): user 1 instead has ``0.3 <= x_1 <= 0.5`` and is *not* subject to the shared
constraint, which is shared by users 2..N only.

Data provenance: formulas and numbers as stated by FK, cross-checked with public re-implementations on GitHub
(JAX ``gnep_solver`` ``ProblemA14``/``ProblemA1`` classes, and an "Examples" markdown page of a Python GNEP-solver
repository that quotes FK's A.1 text verbatim, including "This variant of the basic problem, described in
Example A.14, gives the first player a privileged status").

Reference answers
-----------------
A.14: x_nu = (N-1) B / N^2 = 0.09 for all nu, shared multiplier 0 (the buffer constraint is slack: S = 0.9).
    Computed here (analytic and MCP, ``tests/reference_solutions.py::internet_switching_reference``); published
    (FK): 0.08999991899425 for every user -- agrees to 1e-7.
A.1: x_1 = 0.3 (its lower bound binds; d theta_1/d x_1 = 0.26951 > 0), x_2..x_10 = 0.0694364155813 (root of
    81 y^2 - 2.6 y - 0.21 = 0), shared multiplier 0 (S = 0.92493). Computed here (analytic and MCP).
    Published (FK): x_1 = 0.29923815223336, x_nu = 0.06951127617805 -- the published x_1 violates its own lower
    bound 0.3 by 7.6e-4 (the published point is the exact equilibrium of users 2..10 *given* that x_1).

Facts worth knowing: every user's problem is convex in its own variable (-x/(x+c) is convex); the equilibrium is
unique in both variants and the shared constraint is inactive, so GNE = VE and all multipliers are 0. The
objective divides by S: keep the lower bounds (0.01) and start away from zero.
"""

from __future__ import annotations

import pyomo.environ as pyo

import sharedeq as sq

REFERENCE = {
    "A.14": {"x": [0.09] * 10, "lam": 0.0},
    "A.1": {"x": [0.3] + [0.0694364155813325] * 9, "lam": 0.0},
}
PUBLISHED = {
    "A.14": [0.08999991899425] * 10,
    "A.1": [0.29923815223336] + [0.06951127617805] * 9,
}


def build_problem(variant="A.14", N=10, B=1.0, variational=False, **kwargs) -> sq.EquilibriumProblem:
    """FK A.14 (default) or A.1 with ``N`` users and buffer ``B``."""
    if variant not in ("A.14", "A.1"):
        raise ValueError("variant must be 'A.14' or 'A.1'")
    m = pyo.ConcreteModel(name="internet_switching")
    m.nu = pyo.RangeSet(1, N)
    m.B = pyo.Param(initialize=float(B))

    def bounds(m, nu):
        if variant == "A.1" and nu == 1:
            return (0.3, 0.5)
        return (0.01, None)

    def init(m, nu):
        return 0.4 if (variant == "A.1" and nu == 1) else 0.05

    m.x = pyo.Var(m.nu, bounds=bounds, initialize=init)
    m.S = pyo.Expression(expr=sum(m.x[nu] for nu in m.nu))
    m.theta = pyo.Expression(m.nu, rule=lambda m, nu: -m.x[nu] / m.S * (1 - m.S / m.B))
    m.capacity = pyo.Constraint(expr=m.S <= m.B)

    p = sq.EquilibriumProblem(m, name=f"internet switching (FK {variant})")
    for nu in m.nu:
        p.add_agent(str(nu), m.theta[nu], m.x[nu], sense="min")
    sharing = [str(nu) for nu in m.nu if not (variant == "A.1" and nu == 1)]
    p.add_shared(m.capacity, agents=sharing, variational=variational)
    return p


if __name__ == "__main__":
    for variant in ("A.14", "A.1"):
        prob = build_problem(variant)
        m = prob.model
        for mode in ("ve", "gne"):
            sol = prob.solve(mode=mode)
            x = [sol.value(m.x[nu]) for nu in m.nu]
            print(f"{variant} mode={mode}: converged={sol.converged} x={[round(v, 8) for v in x]}")
        print(f"    reference x={REFERENCE[variant]['x']}")
        print(sq.best_response_check(prob, sol))
