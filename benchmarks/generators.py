"""Seeded, scalable equilibrium problems on Pyomo models, each built in O(N) time.

Every family is a :class:`Family`: ``model(n, m, seed, inline)`` builds the Pyomo model, ``annotate(model)``
declares agents and shared constraints (the two are timed separately by the runner; ``endowment``'s builder,
from :mod:`sharedeq.markets.endowment`, does both at once), ``reference`` (where one
exists) returns an answer computed without sharedeq. :func:`generate` does both steps and returns the
:class:`sharedeq.EquilibriumProblem`.

Families (``n`` agents, ``m`` shared constraints or goods):

* ``river``: the river-basin pollution game of ``cases/river_basin.py`` with ``n`` firms and ``m`` monitoring
  stations. Every objective depends on total output through the named Expression ``total``; ``inline=True``
  writes the sum into each objective instead (one unnamed expression object shared by all objectives, so the
  Pyomo build stays O(N) while translation sees N copies: the naive, dense formulation).
* ``cournot``: ``n`` firms with the isoelastic inverse demand and power costs of Facchinei-Kanzow A.16
  (``cases/cournot_shared_cap.py``), a shared capacity cap and ``m - 1`` shared emission caps; named
  Expressions ``S`` (total output) and ``price``.
* ``cournot_linear``: issue 10's Cournot game, ``f_i = c_i q_i + q_i^2 / 2 - q_i (100 - Q / n)`` with
  ``c_i ~ U[10, 20]`` (seeded), one shared cap ``Q <= 30 n``, every ``q_i`` starting at 0; ``Q`` a named
  Expression. The cap binds; the variational equilibrium is ``lam = 70 - mean(c) - 30 (1 + 1/n)``,
  ``q_i = (70 - c_i - lam) / (1 + 1/n)`` (reference).
* ``transport``: a network game of another shape, with no aggregate and no dense row. ``n`` carriers on a ring;
  carrier ``i`` ships ``x_i >= 0`` at the local price ``a_i - (x_{i-1} + 2 x_i + x_{i+1}) / 4`` and cost
  ``c_i x_i + x_i^2 / 2``; the link between neighbours ``i`` and ``i + 1`` carries ``x_i + x_{i+1} <= K_i``,
  shared by those two carriers only (``m`` is ignored).
* ``endowment``: the ``n x m`` endowment economy's social planner from :mod:`sharedeq.markets.endowment`
  (``planner_problem(random_economy(n, m, seed))``: one agent with ``n * m`` variables and ``m`` resource
  constraints; reference ``planner_exact``).
* ``households``: the same kind of planner split into ``n`` agents: household ``i`` maximises the Cobb-Douglas
  utility ``sum_j a_ij log x_ij``, the resource constraints (consumption of each good <= total endowment) are
  shared. In variational mode this is the utilitarian planner whose shared multipliers are the prices,
  ``p_j = sum_i a_ij / W_j`` in closed form.
* ``fisher``: a linear Fisher market (:meth:`sharedeq.markets.fisher.FisherMarket.random`) as a game: buyer
  ``i`` maximises ``e_i log(sum_j u_ij x_ij)``, the supplies are shared; in variational mode these are the
  Eisenberg-Gale KKT conditions, so the shared multipliers are the equilibrium prices
  (reference: :func:`sharedeq.markets.fisher.eisenberg_gale`).

Pyomo sums are built as ``LinearExpression`` objects from lists of monomials (O(N)), never as nested sums.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

import sharedeq as sq


@dataclass(frozen=True)
class Family:
    """A scalable benchmark family: model builder, annotation, optional sharedeq-free reference."""

    model: Callable
    annotate: Callable
    reference: Callable | None = None
    description: str = ""


def linear_sum(coefs, variables) -> LinearExpression:
    """``sum_k coefs[k] * variables[k]`` as one flat ``LinearExpression`` (O(len) to build)."""
    return LinearExpression([MonomialTermExpression((float(c), v)) for c, v in zip(coefs, variables, strict=True)])


def generate(family: str, n: int, m: int = 10, seed: int = 0, inline: bool = False) -> sq.EquilibriumProblem:
    """The annotated problem of ``family`` with ``n`` agents and ``m`` shared constraints (or goods)."""
    fam = _family(family)
    return fam.annotate(fam.model(n, m, seed, inline))


def _family(name: str) -> Family:
    if name not in FAMILIES:
        raise KeyError(f"unknown benchmark family {name!r}; choose from {sorted(FAMILIES)}")
    return FAMILIES[name]


def _annotate_single_variable_agents(model, name, shared) -> sq.EquilibriumProblem:
    """One agent per index of ``model.x`` with objective ``model.cost[i]``; ``shared`` shared by all."""
    problem = sq.EquilibriumProblem(model, name=name)
    for i in model.i:
        problem.add_agent(str(i), objective=model.cost[i], variables=model.x[i])
    problem.add_shared(shared)
    return problem


# ---------------------------------------------------------------------------------------------------------------
# (a) river basin
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RiverData:
    """Firm ``i`` pays ``(c1_i + c2_i x_i) x_i``, earns ``(d1 - d2 total) x_i``; station limits ``u' (e x) <= K``."""

    c1: np.ndarray
    c2: np.ndarray
    e: np.ndarray
    u: np.ndarray  # n x m
    d1: float
    d2: float
    K: np.ndarray


def river_data(n: int, m: int = 10, seed: int = 0) -> RiverData:
    """Data drawn around the 3-firm case; ``d2 = 0.03 / n`` and the limits ``K`` scale with ``n``.

    ``K_m`` is a fraction (0.7 to 1.2, the first one 0.7) of station ``m``'s load at the unconstrained Nash
    equilibrium, so the tightest limits bind and most firms still produce.
    """
    rng = np.random.default_rng(seed)
    c1 = rng.uniform(0.08, 0.17, n)
    c2 = rng.uniform(0.01, 0.05, n)
    e = rng.uniform(0.25, 0.75, n)
    u = rng.uniform(3.75, 6.5, (n, m))
    d1, d2 = 3.0, 0.03 / n
    a, b = 2 * c2 + d2, d1 - c1
    total = np.sum(b / a) / (1 + d2 * np.sum(1 / a))
    x_nash = np.maximum((b - d2 * total) / a, 0.0)
    frac = rng.uniform(0.7, 1.2, m)
    frac[0] = 0.7
    return RiverData(c1, c2, e, u, d1, d2, frac * ((u * e[:, None]).T @ x_nash))


def river_model(n: int, m: int = 10, seed: int = 0, inline: bool = False) -> pyo.ConcreteModel:
    """Outputs ``x[i] >= 0``, objectives ``cost[i]``, shared station limits ``cons[s]``."""
    d = river_data(n, m, seed)
    model = pyo.ConcreteModel(name=f"river basin n={n} m={m}")
    model.i = pyo.RangeSet(n)
    model.s = pyo.RangeSet(m)
    model.x = pyo.Var(model.i, domain=pyo.NonNegativeReals, initialize=1.0)
    xs = list(model.x.values())
    if inline:
        total = linear_sum(np.ones(n), xs)
    else:
        model.total = pyo.Expression(expr=linear_sum(np.ones(n), xs))
        total = model.total

    def cost(model, i):
        k = i - 1
        return (d.c1[k] + d.c2[k] * model.x[i]) * model.x[i] - (d.d1 - d.d2 * total) * model.x[i]

    model.cost = pyo.Objective(model.i, rule=cost)
    load = d.u * d.e[:, None]
    model.cons = pyo.Constraint(model.s, rule=lambda model, s: linear_sum(load[:, s - 1], xs) <= d.K[s - 1])
    return model


def river_annotate(model) -> sq.EquilibriumProblem:
    return _annotate_single_variable_agents(model, model.name, model.cons)


# ---------------------------------------------------------------------------------------------------------------
# (b) Cournot oligopoly with shared caps
# ---------------------------------------------------------------------------------------------------------------
GAMMA = 1.1


@dataclass(frozen=True)
class CournotData:
    """Firm costs ``c x + b/(b+1) K^(-1/b) x^((b+1)/b)``, price ``(A / S)^(1/gamma)``, caps ``E x <= cap``."""

    c: np.ndarray
    K: np.ndarray
    beta: np.ndarray
    A: float
    E: np.ndarray  # m x n; row 0 is all ones (capacity)
    cap: np.ndarray


def _competitive_output(d_c, d_K, d_beta, A) -> np.ndarray:
    """Price-taking outputs ``x_i = K_i (p - c_i)^beta_i`` at the price where supply meets demand (bisection)."""
    lo, hi = float(d_c.min()), float(d_c.max()) + 1e4
    for _ in range(200):
        p = 0.5 * (lo + hi)
        supply = np.sum(d_K * np.maximum(p - d_c, 0.0) ** d_beta)
        lo, hi = (lo, p) if supply > A * p ** (-GAMMA) else (p, hi)
    return d_K * np.maximum(p - d_c, 0.0) ** d_beta


def cournot_data(n: int, m: int = 10, seed: int = 0) -> CournotData:
    """FK A.16 data ranges; demand scales with ``n``; caps 0.7 (capacity) and 0.7 to 1.1 of competitive use."""
    rng = np.random.default_rng(seed)
    c = rng.uniform(2.0, 10.0, n)
    K = rng.uniform(4.5, 5.5, n)
    beta = rng.uniform(0.8, 1.2, n)
    A = 5000.0 * n / 5
    E = np.vstack([np.ones(n), rng.uniform(0.5, 1.5, (max(m, 1) - 1, n))])
    x_comp = _competitive_output(c, K, beta, A)
    frac = np.r_[0.7, rng.uniform(0.7, 1.1, max(m, 1) - 1)]
    return CournotData(c, K, beta, A, E, frac * (E @ x_comp))


def cournot_model(n: int, m: int = 10, seed: int = 0, inline: bool = False) -> pyo.ConcreteModel:
    """Outputs ``x[i] >= 0``, named ``S`` and ``price`` (inlined if ``inline``), objectives, shared ``cap[k]``."""
    d = cournot_data(n, m, seed)
    model = pyo.ConcreteModel(name=f"cournot n={n} m={m}")
    model.i = pyo.RangeSet(n)
    model.k = pyo.RangeSet(len(d.cap))
    model.x = pyo.Var(model.i, domain=pyo.NonNegativeReals, initialize=float(d.cap[0] / n))
    xs = list(model.x.values())
    S = linear_sum(np.ones(n), xs)
    price = d.A ** (1 / GAMMA) * S ** (-1 / GAMMA)
    if not inline:
        model.S = pyo.Expression(expr=S)
        model.price = pyo.Expression(expr=d.A ** (1 / GAMMA) * model.S ** (-1 / GAMMA))
        S, price = model.S, model.price

    def cost(model, i):
        k, x = i - 1, model.x[i]
        b = d.beta[k]
        return d.c[k] * x + b / (b + 1) * d.K[k] ** (-1 / b) * x ** ((b + 1) / b) - price * x

    model.cost = pyo.Objective(model.i, rule=cost)
    # the capacity cap is written with S, as in cases/cournot_shared_cap.py: S then has two consumers (price and
    # the cap) and is lifted. If S appeared in price alone, only price would be lifted and d price / d x, which
    # contains the whole sum S, would make every stationarity row dense (O(N^2); see benchmarks/RESULTS.md).
    model.cap = pyo.Constraint(model.k, rule=lambda model, k: (S if k == 1 else linear_sum(d.E[k - 1], xs))
                               <= d.cap[k - 1])
    return model


def cournot_annotate(model) -> sq.EquilibriumProblem:
    return _annotate_single_variable_agents(model, model.name, model.cap)


def cournot_linear_costs(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(10.0, 20.0, n)


def cournot_linear_model(n: int, m: int = 10, seed: int = 0, inline: bool = False) -> pyo.ConcreteModel:
    """Outputs ``q[i] >= 0`` from 0, ``Q`` the named total (inlined if ``inline``), objectives ``cost[i]``,
    the shared cap ``cap`` (one row whatever ``m``)."""
    c = cournot_linear_costs(n, seed)
    model = pyo.ConcreteModel(name=f"cournot_linear n={n}")
    model.i = pyo.RangeSet(n)
    model.x = pyo.Var(model.i, domain=pyo.NonNegativeReals, initialize=0.0)
    total = linear_sum(np.ones(n), list(model.x.values()))
    if not inline:
        model.Q = pyo.Expression(expr=total)
        total = model.Q
    model.cost = pyo.Objective(model.i, rule=lambda model, i: c[i - 1] * model.x[i] + model.x[i] ** 2 / 2
                               - model.x[i] * (100 - total / n))
    model.cap = pyo.Constraint(expr=total <= 30.0 * n)
    return model


def cournot_linear_annotate(model) -> sq.EquilibriumProblem:
    return _annotate_single_variable_agents(model, model.name, model.cap)


def cournot_linear_reference(n: int, m: int = 10, seed: int = 0) -> dict:
    """The variational equilibrium in closed form (the cap binds, every firm produces)."""
    c = cournot_linear_costs(n, seed)
    lam = 70.0 - c.mean() - 30.0 * (1 + 1 / n)
    return {"x": (70.0 - c - lam) / (1 + 1 / n), "prices": np.array([lam])}


def transport_model(n: int, m: int = 10, seed: int = 0, inline: bool = False) -> pyo.ConcreteModel:
    """Shipments ``x[i] >= 0`` on a ring of ``n`` carriers, objectives ``cost[i]``, shared ``link[i]`` between
    carriers ``i`` and ``i + 1`` (``inline`` has no effect: there is no aggregate)."""
    rng = np.random.default_rng(seed)
    a, c = rng.uniform(60.0, 100.0, n), rng.uniform(5.0, 15.0, n)
    K = rng.uniform(20.0, 40.0, n)
    model = pyo.ConcreteModel(name=f"transport ring n={n}")
    model.i = pyo.RangeSet(n)
    model.x = pyo.Var(model.i, domain=pyo.NonNegativeReals, initialize=0.0)

    def neighbour(i, step):
        return model.x[(i - 1 + step) % n + 1]

    model.cost = pyo.Objective(model.i, rule=lambda model, i: c[i - 1] * model.x[i] + model.x[i] ** 2 / 2 - model.x[i]
                               * (a[i - 1] - (neighbour(i, -1) + 2 * model.x[i] + neighbour(i, 1)) / 4))
    model.link = pyo.Constraint(model.i, rule=lambda model, i: model.x[i] + neighbour(i, 1) <= K[i - 1])
    return model


def transport_annotate(model) -> sq.EquilibriumProblem:
    """Carrier ``i`` shares ``link[i-1]`` and ``link[i]``, the two links it uses, with its neighbours."""
    n = len(model.i)
    problem = sq.EquilibriumProblem(model, name=model.name)
    for i in model.i:
        problem.add_agent(str(i), objective=model.cost[i], variables=model.x[i])
    for i in model.i:
        problem.add_shared(model.link[i], agents=[str(i), str(i % n + 1)])
    return problem


# ---------------------------------------------------------------------------------------------------------------
# (c) endowment economy: the planner of sharedeq.markets.endowment, and the same planner split into households
# ---------------------------------------------------------------------------------------------------------------
def endowment_model(n: int, m: int = 10, seed: int = 0, inline: bool = False):
    """``planner_problem(random_economy(n, m, seed))``: one agent, ``n * m`` variables, ``m`` resource rows.

    The helper module builds and annotates in one call, so for this family the runner's ``build`` includes the
    (trivial, one agent) annotation.
    """
    from sharedeq.markets.endowment import planner_problem, random_economy

    return planner_problem(random_economy(n, m, seed))


def endowment_annotate(problem) -> sq.EquilibriumProblem:
    return problem


def endowment_reference(n: int, m: int = 10, seed: int = 0) -> dict:
    """The planner's optimum and shadow prices from :func:`sharedeq.markets.endowment.planner_exact`."""
    from sharedeq.markets.endowment import planner_exact, random_economy

    x, q = planner_exact(random_economy(n, m, seed))
    return {"prices": q, "x": x}


@dataclass(frozen=True)
class HouseholdData:
    """Cobb-Douglas weights ``a`` (n x m, rows sum to 1) and endowments ``w`` (n x m)."""

    a: np.ndarray
    w: np.ndarray


def household_data(n: int, m: int = 10, seed: int = 0) -> HouseholdData:
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 1.5, (n, m))
    return HouseholdData(a / a.sum(axis=1, keepdims=True), rng.uniform(0.5, 1.5, (n, m)))


def households_model(n: int, m: int = 10, seed: int = 0, inline: bool = False) -> pyo.ConcreteModel:
    """Consumption ``x[i, j] >= 0``, utilities ``utility[i]`` (maximised), shared ``resource[j]``."""
    d = household_data(n, m, seed)
    W = d.w.sum(axis=0)
    model = pyo.ConcreteModel(name=f"households n={n} m={m}")
    model.i = pyo.RangeSet(n)
    model.j = pyo.RangeSet(m)
    model.x = pyo.Var(model.i, model.j, domain=pyo.NonNegativeReals,
                      initialize=lambda model, i, j: float(W[j - 1] / n))

    def utility(model, i):
        return sum(d.a[i - 1, j - 1] * pyo.log(model.x[i, j]) for j in model.j)

    model.utility = pyo.Objective(model.i, rule=utility, sense=pyo.maximize)
    model.resource = pyo.Constraint(
        model.j, rule=lambda model, j: linear_sum(np.ones(n), [model.x[i, j] for i in model.i]) <= W[j - 1])
    return model


def households_annotate(model) -> sq.EquilibriumProblem:
    problem = sq.EquilibriumProblem(model, name=model.name)
    for i in model.i:
        problem.add_agent(str(i), objective=model.utility[i], variables=[model.x[i, j] for j in model.j])
    problem.add_shared(model.resource)
    return problem


def households_reference(n: int, m: int = 10, seed: int = 0) -> dict:
    """Variational equilibrium = utilitarian planner, in closed form: ``p_j = sum_i a_ij / W_j``, ``x = a / p``."""
    d = household_data(n, m, seed)
    p = d.a.sum(axis=0) / d.w.sum(axis=0)
    return {"prices": p, "x": d.a / p}


# ---------------------------------------------------------------------------------------------------------------
# (d) linear Fisher market
# ---------------------------------------------------------------------------------------------------------------
def fisher_market(n: int, m: int = 10, seed: int = 0):
    """``FisherMarket.random(n, m, seed)`` with density 0.5 (integer utilities, budgets, supplies)."""
    from sharedeq.markets.fisher import FisherMarket

    return FisherMarket.random(n, m, seed=seed, density=0.5)


def fisher_model(n: int, m: int = 10, seed: int = 0, inline: bool = False) -> pyo.ConcreteModel:
    """Allocations ``x[i, j] >= 0`` for ``u_ij > 0``, objectives ``utility[i]`` (max), shared ``supply[j]``."""
    U, e, s = fisher_market(n, m, seed).floats()
    buyer, good = np.nonzero(U)
    model = pyo.ConcreteModel(name=f"fisher market n={n} m={m}")
    model.i = pyo.RangeSet(n)
    model.j = pyo.RangeSet(m)
    model.pairs = pyo.Set(initialize=list(zip((buyer + 1).tolist(), (good + 1).tolist(), strict=True)), dimen=2)
    share = s[good] / np.bincount(good, minlength=m)[good]
    start = dict(zip(model.pairs, share.tolist(), strict=True))
    model.x = pyo.Var(model.pairs, domain=pyo.NonNegativeReals, initialize=start)
    xs = list(model.x.values())
    rows = np.split(np.arange(buyer.size), np.flatnonzero(np.diff(buyer)) + 1)
    model.owned = {i + 1: [xs[k] for k in rows[i]] for i in range(n)}
    model.utility = pyo.Objective(
        model.i, sense=pyo.maximize,
        rule=lambda model, i: e[i - 1] * pyo.log(linear_sum(U[i - 1, good[rows[i - 1]]], model.owned[i])))
    by_good = [np.flatnonzero(good == j) for j in range(m)]
    model.supply = pyo.Constraint(
        model.j, rule=lambda model, j: linear_sum(np.ones(by_good[j - 1].size),
                                                  [xs[k] for k in by_good[j - 1]]) <= s[j - 1])
    return model


def fisher_annotate(model) -> sq.EquilibriumProblem:
    problem = sq.EquilibriumProblem(model, name=model.name)
    for i in model.i:
        problem.add_agent(str(i), objective=model.utility[i], variables=model.owned[i])
    problem.add_shared(model.supply)
    return problem


def fisher_reference(n: int, m: int = 10, seed: int = 0) -> dict:
    """Equilibrium prices from the Eisenberg-Gale program (:func:`sharedeq.markets.fisher.eisenberg_gale`)."""
    from sharedeq.markets.fisher import eisenberg_gale

    result = eisenberg_gale(fisher_market(n, m, seed))
    return {"prices": result.prices, "x": result.allocation, "success": result.success}


FAMILIES: dict[str, Family] = {
    "river": Family(river_model, river_annotate, None, "river-basin pollution game, n firms, m stations"),
    "cournot": Family(cournot_model, cournot_annotate, None, "Cournot (FK A.16 type), n firms, m shared caps"),
    "cournot_linear": Family(cournot_linear_model, cournot_linear_annotate, cournot_linear_reference,
                             "Cournot with linear demand and one shared cap, n firms, all starting at 0"),
    "transport": Family(transport_model, transport_annotate, None,
                        "carriers on a ring, each link shared by its two neighbours (no dense row)"),
    "endowment": Family(endowment_model, endowment_annotate, endowment_reference,
                        "endowment economy planner (sharedeq.markets.endowment), n consumers, m goods"),
    "households": Family(households_model, households_annotate, households_reference,
                         "the planner split into n Cobb-Douglas households sharing m resources"),
    "fisher": Family(fisher_model, fisher_annotate, fisher_reference, "linear Fisher market, n buyers, m goods"),
}
