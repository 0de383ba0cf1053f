"""Two small public GNEPs with known answers (published values), used as cases and in tests.

* Facchinei, Fischer and Piccialli (2007): ``f1 = (x1 - 1)^2``, ``f2 = (x2 - 1/2)^2``, shared ``x1 + x2 <= 1``.
  Variational equilibrium (0.75, 0.25) with multiplier 0.5; the generalized Nash equilibria are
  ``x1 in [1/2, 1], x2 = 1 - x1``. With Rosen weights ``r`` the shared multiplier is ``1 / (1/r1 + 1/r2)`` and
  ``x_i = x_i^0 - lam / (2 r_i)`` (derived from the two stationarity conditions and the active constraint).
* Harker (1991): ``f1 = x1^2 + 8/3 x1 x2 - 34 x1``, ``f2 = x2^2 + 5/4 x1 x2 - 24.25 x2``, shared
  ``x1 + x2 <= 15``, ``0 <= x <= 10``. Variational equilibrium (5, 9) (the constraint is inactive there).
"""

import pyomo.environ as pyo

import sharedeq as sq


def ffp(mode="ve") -> sq.EquilibriumProblem:
    """Facchinei-Fischer-Piccialli, each player written as a Pyomo block with its own Objective."""
    m = pyo.ConcreteModel(name="Facchinei-Fischer-Piccialli")
    m.p1 = pyo.Block()
    m.p1.x = pyo.Var(initialize=0.0)
    m.p1.f = pyo.Objective(expr=(m.p1.x - 1) ** 2)
    m.p2 = pyo.Block()
    m.p2.x = pyo.Var(initialize=0.0)
    m.p2.f = pyo.Objective(expr=(m.p2.x - 0.5) ** 2)
    m.share = pyo.Constraint(expr=m.p1.x + m.p2.x <= 1)
    problem = sq.EquilibriumProblem(m, name=m.name)
    problem.add_agent_block(m.p1)
    problem.add_agent_block(m.p2)
    problem.add_shared(m.share, variational=(mode == "ve"))
    return problem


def harker(mode="ve") -> sq.EquilibriumProblem:
    """Harker's game with objective expressions passed directly."""
    m = pyo.ConcreteModel(name="Harker")
    m.x = pyo.Var([1, 2], bounds=(0, 10), initialize=0.0)
    m.cap = pyo.Constraint(expr=m.x[1] + m.x[2] <= 15)
    problem = sq.EquilibriumProblem(m, name=m.name)
    problem.add_agent("1", objective=m.x[1] ** 2 + 8 / 3 * m.x[1] * m.x[2] - 34 * m.x[1], variables=m.x[1])
    problem.add_agent("2", objective=m.x[2] ** 2 + 5 / 4 * m.x[1] * m.x[2] - 24.25 * m.x[2], variables=m.x[2])
    problem.add_shared(m.cap, variational=(mode == "ve"))
    return problem


def build_problem(game="ffp", mode="ve") -> sq.EquilibriumProblem:
    return {"ffp": ffp, "harker": harker}[game](mode)


if __name__ == "__main__":
    for game in ("ffp", "harker"):
        for mode in ("ve", "gne"):
            print(build_problem(game, mode).solve(mode=mode).summary(), end="\n\n")
