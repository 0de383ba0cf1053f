"""Families of generalized Nash equilibria: Rosen-weight sweeps and a sampler of the normalised equilibria.

With shared constraints ``g(x) <= 0`` a generalized Nash equilibrium (GNE) is a point where every agent ``i`` is at
a best response with its *own* multiplier ``lam_i >= 0`` for the shared constraints. The GNEs generally form a
continuum. Rosen's *normalised* equilibria are the GNEs whose multipliers are one common vector scaled per agent,
``lam_i = lam / r_i`` with weights ``r_i > 0`` (``problem.solve(mode="ve", weights=r)``; ``r = 1`` is the
variational equilibrium). Write ``s_i = (1 / r_i) / sum_j (1 / r_j)`` for agent ``i``'s *share* of the price:
``lam_i = (sum_j lam_j) s_i`` for a constraint that every agent shares. The shares lie in the open simplex and,
when the shared price ``lam`` is unique for each weighting, name each normalised equilibrium once.

Which GNEs are normalised (the part of the set these functions reach):

* with one binding shared constraint, every GNE at which every sharing agent's multiplier is positive: given its
  multipliers ``lam_i > 0`` take ``r_i = lam_1 / lam_i``. Only the boundary, where some agent prices the
  constraint at zero, is missed (it is a limit of normalised equilibria as that agent's share tends to 0);
* with several binding shared constraints, only the GNEs whose agents' price vectors are proportional, generally a
  lower-dimensional part of the set;
* when no shared constraint binds, the Nash equilibria of the game without them (all multipliers zero).

The extremes of the whole set (including its boundary) come from :meth:`EquilibriumProblem.extreme`.

For agents whose problems are convex, every normalised equilibrium is a GNE (each agent's KKT conditions with its
own multiplier ``lam / r_i`` are sufficient); every row is verified as :func:`sharedeq.solve` verifies a solve,
and its ``status`` says what was shown.

Each row of the returned tables is one equilibrium: a column per variable (the model's names), ``payoff[a]`` per
agent (higher is better: minus the objective of a minimising agent, the objective of a maximising one),
``<constraint>.m[a]`` per shared constraint and agent (agent ``a``'s multiplier ``lam / r_a``; for an own
constraint ``<constraint>.m`` as in ``solution.multipliers``), the weighting, and the solve's ``status`` and MCP
``residual``. Rows whose solve failed are kept with their status (and NaN values).
"""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd

from sharedeq.errors import ModelError


def rosen_sweep(problem, points=11, agents=None, **solve_options) -> pd.DataFrame:
    """Trace normalised equilibria along one path of Rosen weights per agent in ``agents``.

    On the path of agent ``a``, ``a``'s share of the shared price runs over ``s_a = k / (points + 1)``,
    ``k = 1..points`` (open simplex: shares 0 and 1 are not normalised equilibria), and the other agents split
    the rest equally; weights ``r_i = 1 / s_i``. With two agents one path covers every weighting (the second
    agent's share is ``1 - s_a``), so only the first agent's path is traced. ``agents`` (names; default all)
    limits the paths, which matters for many agents: the sweep costs ``points * len(agents)`` solves.
    Every solve starts from the model's values as they are on entry (so a row does not depend on the rows before
    it), and they are left so on return.

    Columns ``path`` (the agent whose share varies) and ``share`` (its share) come first, then those described in
    the module docstring. ``solve_options`` go to :func:`sharedeq.solve` (``mode`` and ``weights`` are set here).
    """
    names = list(problem.agent_names)
    _check(problem, points, "points", solve_options)
    if agents is None:
        paths = names[:1] if len(names) == 2 else names
    else:
        paths = [str(a) for a in (agents if isinstance(agents, (list, tuple)) else [agents])]
        for a in paths:
            problem.agent(a)                        # a ModelError naming the known agents if unknown
    steps = np.arange(1, points + 1) / (points + 1)
    rows = []
    for path in paths:
        k = names.index(path)
        for t in steps:
            shares = np.full(len(names), (1.0 - t) / (len(names) - 1))
            shares[k] = t
            rows.append({"path": path, "share": float(t), **_weighted_row(problem, shares, solve_options)})
    return pd.DataFrame(rows)


def sample_gne(problem, samples=50, seed=0, **solve_options) -> pd.DataFrame:
    """Sample the normalised equilibria: price shares drawn uniformly from the simplex, one weighted VE each.

    The shares ``s`` are drawn from the flat Dirichlet distribution (seeded by ``seed``), and each sample is the
    variational equilibrium with Rosen weights ``r_i = 1 / s_i``, so the agents' multipliers of a shared
    constraint are proportional to their shares. What part of the GNE set this reaches is stated in the
    module docstring: with one binding shared constraint, all of it but its boundary (where some agent's
    multiplier is zero). The draw is uniform in the shares, not in the variables: where the equilibrium moves
    quickly with the shares the samples are sparse (in the two-player game of the README, ``x1 = 1 - s1/2``,
    so the samples are uniform on the segment).

    Columns ``sample`` and ``shares`` (a tuple in the order of ``problem.agent_names``) come first, then those
    described in the module docstring. Every solve starts from the model's values as they are on entry, and they
    are left so on return. ``solve_options`` go to :func:`sharedeq.solve`.
    """
    _check(problem, samples, "samples", solve_options)
    rng = np.random.default_rng(seed)
    draws = rng.dirichlet(np.ones(len(problem.agents)), size=samples)
    rows = []
    for k, shares in enumerate(draws):
        shares = np.maximum(shares, 1e-12)          # a share that underflows to 0 has no finite Rosen weight
        rows.append({"sample": k, "shares": tuple(float(s) for s in shares),
                     **_weighted_row(problem, shares, solve_options)})
    return pd.DataFrame(rows)


def equilibrium_row(solution) -> dict:
    """One table row for a solve of ``solution.problem``: variables, payoffs, per-agent multipliers, status.

    A variational solve's shared multiplier ``lam`` (one per constraint side) becomes agent ``a``'s multiplier
    ``lam / r_a`` under the name that generalized Nash mode gives it (``share.m[p1]``), so rows of either mode
    line up. A solve that did not converge gives NaN values (its point is not an equilibrium) with its status.
    """
    problem = solution.problem
    variables = solution.variables
    variables = variables[variables["agent"] != "(definition)"]
    row = dict(zip(variables["variable"], variables["value"].astype(float), strict=True))
    objectives = solution.objective_values
    for agent in problem.agents:
        value = float(objectives[agent.name])
        row[f"payoff[{agent.name}]"] = value if agent.sense == "max" else 0.0 - value   # no -0.0
    weights = problem.rosen_weights(solution.weights if solution.mode == "ve" else None)
    sharing = {s.constraint.name: s.agents for s in problem.shared}
    for m in solution.multipliers.itertuples():
        if m.agent != "(shared)":
            row[m.name] = float(m.multiplier)
            continue
        suffix = m.name[-3:] if m.name.endswith(("_lo", "_up")) else ""
        for agent in sharing.get(m.constraint, ()):
            row[f"{m.constraint}.m[{agent}]{suffix}"] = float(m.multiplier) / weights[agent]
    if not solution.converged:
        row = dict.fromkeys(row, np.nan)
    row["status"] = solution.status
    row["residual"] = float(solution.residual)
    return row


def _weighted_row(problem, shares, solve_options) -> dict:
    """The row of the VE with Rosen weights ``1 / shares``, solved from the model's current values (kept)."""
    weights = [float(w) for w in 1.0 / np.asarray(shares)]
    with values_restored(problem):
        return equilibrium_row(problem.solve(mode="ve", weights=weights, **solve_options))


def _check(problem, count, what, solve_options) -> None:
    from sharedeq.problem import EquilibriumProblem

    if not isinstance(problem, EquilibriumProblem):
        raise ModelError(f"expected a sharedeq.EquilibriumProblem, got {type(problem).__name__}")
    if not problem.shared:
        raise ModelError(f"problem '{problem.name}' has no shared constraints: its generalized Nash equilibria are "
                         f"its Nash equilibria, and Rosen weights have nothing to scale; use problem.solve()")
    if len(problem.agents) < 2:
        raise ModelError(f"problem '{problem.name}' has one agent: its equilibria are that agent's optima")
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise ModelError(f"{what} must be a positive whole number, got {count!r}")
    clash = sorted({"mode", "weights"} & set(solve_options))
    if clash:
        raise ModelError(f"{', '.join(clash)}: set by the sweep (variational mode, Rosen weights from the shares); "
                         f"do not pass them")


@contextlib.contextmanager
def values_restored(problem):
    """Put the model's variable values back as they were on exit (each converged solve loads its point)."""
    import pyomo.environ as pyo

    saved = [(v, v.value) for v in problem.model.component_data_objects(pyo.Var, descend_into=True)]
    try:
        yield
    finally:
        for var, value in saved:
            var.set_value(value, skip_validation=True)
