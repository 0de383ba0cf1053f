"""Generalized Nash equilibria against the variational one: the VE, the extreme GNEs, the sampled set, welfare.

    comparison = sq.compare(problem, samples=50)
    print(comparison.summary())
    comparison.plot_set(["x[1]", "x[2]"], path="set.png")     # the GNE set projected, VE and extremes marked
    comparison.plot_payoffs(path="payoffs.png")               # each agent's payoff range

Definitions (stated once; the table, the summary and the plots use them):

* payoff of agent ``i``: minus its objective if it minimises, its objective if it maximises (higher is better);
  welfare ``W = sum_i payoff_i`` (minus the total cost when every agent minimises a cost).
* ``W_best`` and ``W_worst``: the largest and smallest welfare among the equilibria found: the welfare extremes
  over the GNE set (:meth:`EquilibriumProblem.extreme`), the agents' extremes, the VE and the samples. They are
  the welfare range of the GNE set when the welfare extremes are global (``scope`` says so); otherwise they
  bound it from inside.
* the loss of welfare ``W`` relative to ``W_best``: ``W_best / W`` when both are positive, ``W / W_best`` when
  both are negative (the ratio of total costs ``C / C_best`` with ``C = -W``), NaN when they differ in sign or
  one is zero. It is at least 1; 1 means no loss.
* price of anarchy: the loss of ``W_worst``, the worst GNE against the best one.
* price of stability: the loss of the best normalised equilibrium found (the VE and the Rosen-weighted samples of
  :func:`sharedeq.gneset.sample_gne`), what selecting a normalised equilibrium can cost against the best GNE.
  The samples see only part of the normalised set, so this is an upper bound on the exact value.

Rows counted as equilibria are those whose status is neither "not an equilibrium" nor "not converged"; the summary
says how many of them are not proven equilibria ("local equilibrium", "undecided", "not verified").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sharedeq.errors import ModelError

#: Statuses of rows that do not count as equilibria.
_REJECTED = ("not an equilibrium", "not converged")
#: Columns of the table before the variables, payoffs and multipliers.
_HEAD = ("kind", "status", "scope", "welfare", "loss")


@dataclass
class Comparison:
    """The result of :func:`compare`; see the module docstring for the definitions.

    ``table`` has one row per equilibrium (index: its label) with ``kind``, ``status``, ``scope`` ("global" or
    "local" for an extreme; empty otherwise), ``welfare``, ``loss`` (relative to ``best_welfare``), then the
    payoffs, variables and multipliers of :func:`sharedeq.gneset.equilibrium_row`; the two rows
    ``samples (min)`` and ``samples (max)`` are column-wise ranges over the sampled equilibria, not equilibria.
    ``extremes`` maps the extremes' labels to their Solutions, ``samples`` is :func:`sharedeq.gneset.sample_gne`'s
    table (with ``welfare``), ``options`` the samples, seed and starts used.
    """

    problem: object
    ve: object
    extremes: dict
    samples: object          # pandas DataFrame (pandas is imported when needed: ``sharedeq --help`` stays fast)
    table: object            # pandas DataFrame
    best_welfare: float
    worst_welfare: float
    price_of_anarchy: float
    price_of_stability: float
    options: dict = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ text
    def summary(self, max_agents=8) -> str:
        """The welfare range, the prices of anarchy and stability, and the table (up to ``max_agents`` payoffs)."""
        import pandas as pd

        t = self.table
        counted = t[~t["kind"].str.startswith("samples") & ~t["status"].isin(_REJECTED)]
        sampled = self.samples["status"].value_counts().to_dict()
        lines = [f"Equilibria of {self.problem.name}: VE {self.ve.status}; {len(self.extremes)} extreme GNEs; "
                 f"{len(self.samples)} samples of the normalised equilibria ({_counts(sampled)})",
                 f"  welfare over the equilibria found: [{self.worst_welfare:.6g}, {self.best_welfare:.6g}] "
                 f"(best welfare extreme {_scope(t, 'best welfare')}, worst {_scope(t, 'worst welfare')}); "
                 f"VE {t.at['VE', 'welfare']:.6g}",
                 f"  price of anarchy {self.price_of_anarchy:.6g} (worst GNE vs best), price of stability "
                 f"{self.price_of_stability:.6g} (best normalised equilibrium found vs best GNE)"]
        for label, bound, beyond in (("best welfare", self.best_welfare, "above"),
                                     ("worst welfare", self.worst_welfare, "below")):
            value = t.at[label, "welfare"]
            if value == value and abs(bound - value) > 1e-9 * max(1.0, abs(value)):
                lines.append(f"  another equilibrium found lies {beyond} the '{label}' extreme ({bound:.6g} against "
                             f"{value:.6g}): that extreme is not the global one")
        statuses = pd.concat([counted["status"], self.samples["status"][~self.samples["status"].isin(_REJECTED)]])
        unproven = statuses[statuses != "equilibrium"].value_counts().to_dict()
        if unproven:
            lines.append(f"  counted but not proven equilibria (the welfare range includes them): {_counts(unproven)}")
        payoffs = [c for c in t.columns if c.startswith("payoff[")]
        shown = t[[*_HEAD, *payoffs[:max_agents]]]
        with pd.option_context("display.width", 120, "display.max_columns", 20, "display.float_format",
                               "{:.6g}".format):
            lines += ["", shown.to_string(na_rep="")]
        if len(payoffs) > max_agents:
            lines.append(f"... and {len(payoffs) - max_agents} more agents (comparison.table)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    # ------------------------------------------------------------------ pictures
    def plot_set(self, variables=None, path=None, ax=None):
        """The equilibria found, projected on two or three variables: samples, the VE (star), the extremes.

        variables: names as in the table (``"x[1]"``) or Pyomo variables; default the first variable of the first
            two agents. path: write the figure there (PNG, SVG, PDF by the suffix). ax: draw into this Axes.
        Returns the matplotlib Figure (shown by notebooks).
        """
        if variables is None:
            variables = [a.variables[0] for a in self.problem.agents[:2]]
        names = [self._column(v) for v in variables]
        if len(names) not in (2, 3):
            raise ModelError(f"plot_set: give two or three variables, got {len(names)}")
        fig, ax = _axes(ax, path, projection="3d" if len(names) == 3 else None)
        samples = self.samples[~self.samples["status"].isin(_REJECTED)]
        ax.scatter(*(samples[n] for n in names), s=12, color="0.6", label=f"normalised equilibria ({len(samples)} "
                   f"samples)")
        extremes = self.table[self.table["kind"] == "extreme GNE"]
        extremes = extremes[~extremes["status"].isin(_REJECTED)]
        ax.scatter(*(extremes[n] for n in names), s=40, marker="^", color="tab:blue", label="extreme GNEs")
        for point, group in extremes.groupby([extremes[n].round(6) for n in names], sort=False):
            ax.text(*point, " " + "\n ".join(group.index), fontsize=7, color="tab:blue", va="top")
        ve = self.table.loc["VE"]
        if ve["status"] not in _REJECTED:
            ax.scatter(*([ve[n]] for n in names), s=160, marker="*", color="tab:red", zorder=3,
                       label="variational equilibrium")
        for axis, name in zip("xyz", names, strict=False):
            getattr(ax, f"set_{axis}label")(name)
        ax.set_title(f"{self.problem.name}: equilibria found", fontsize=10)
        ax.legend(fontsize=7, loc="best")
        return _finish(fig, path)

    def plot_payoffs(self, agents=None, path=None, ax=None):
        """Each agent's payoff range over all equilibria found (line) and over the samples (bar), and at the VE
        (dot). agents: names (default: the first 30). path, ax: as in :meth:`plot_set`."""
        import pandas as pd

        names = list(self.problem.agent_names[:30] if agents is None else [str(a) for a in agents])
        for name in names:
            self.problem.agent(name)
        fig, ax = _axes(ax, path, height=1.5 + 0.3 * len(names))
        t = self.table
        samples = self.samples[~self.samples["status"].isin(_REJECTED)]
        found = pd.concat([t[~t["kind"].str.startswith("samples") & ~t["status"].isin(_REJECTED)], samples])
        for y, name in enumerate(names):
            column = f"payoff[{name}]"
            ax.plot([found[column].min(), found[column].max()], [y, y], color="tab:blue", lw=1,
                    label="all equilibria found" if y == 0 else None)
            if len(samples):
                ax.plot([samples[column].min(), samples[column].max()], [y, y], color="0.5", lw=6, alpha=0.6,
                        solid_capstyle="butt", label="normalised (samples)" if y == 0 else None)
            if t.at["VE", "status"] not in _REJECTED:
                ax.plot([t.at["VE", column]], [y], "o", color="tab:red", label="VE" if y == 0 else None)
        ax.set_yticks(range(len(names)), names)
        ax.set_xlabel("payoff (minus cost for a minimising agent)")
        ax.set_title(f"{self.problem.name}: payoff ranges", fontsize=10)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.6 / len(names)), ncol=3)
        return _finish(fig, path)

    def _column(self, variable) -> str:
        name = variable if isinstance(variable, str) else getattr(variable, "name", str(variable))
        if name not in self.table.columns:
            known = [v.name for a in self.problem.agents for v in a.variables][:6]
            raise ModelError(f"plot_set: {name!r} is not a variable of this problem; its variables include {known}")
        return name


def compare(problem, samples=50, seed=0, starts=8, agents=None, **solve_options) -> Comparison:
    """The VE, each agent's best and worst GNE, the best and worst welfare GNE, and ``samples`` normalised
    equilibria of ``problem``, in one :class:`Comparison` (definitions in the module docstring).

    agents: the agents whose payoff extremes are computed (names; default all). Cost: one VE solve, ``samples``
        weighted VE solves and ``2 len(agents) + 2`` calls of ``problem.extreme(..., starts=starts, seed=seed)``.
    solve_options: passed to every solve and extreme (``tol``, ``options``, ...).

    Every solve and extreme starts from the model's values as they are on entry, and they are left so on return.
    """
    from sharedeq.gneset import sample_gne, values_restored
    from sharedeq.problem import EquilibriumProblem

    if not isinstance(problem, EquilibriumProblem):
        raise ModelError(f"compare() takes a sharedeq.EquilibriumProblem, got {type(problem).__name__}")
    names = list(problem.agent_names) if agents is None else [str(a) for a in agents]
    for name in names:
        problem.agent(name)
    sampled = sample_gne(problem, samples=samples, seed=seed, **solve_options)   # checks the problem too
    with values_restored(problem):
        ve = problem.solve(mode="ve", **solve_options)
    payoffs = {a.name: payoff_expression(a) for a in problem.agents}
    targets = {}
    for name in names:
        targets[f"best for {name}"] = (payoffs[name], "max")
        targets[f"worst for {name}"] = (payoffs[name], "min")
    welfare = sum(payoffs.values())
    targets["best welfare"] = (welfare, "max")
    targets["worst welfare"] = (welfare, "min")
    extremes = {}
    for label, (expr, sense) in targets.items():
        with values_restored(problem):
            extremes[label] = problem.extreme(expr, mode="gne", sense=sense, starts=starts, seed=seed,
                                              **solve_options)
    return _comparison(problem, ve, extremes, sampled, dict(samples=samples, seed=seed, starts=starts))


def _comparison(problem, ve, extremes, sampled, options) -> Comparison:
    """Assemble the table and the welfare measures from the solves."""
    import pandas as pd

    from sharedeq.gneset import equilibrium_row

    payoff_columns = [f"payoff[{a}]" for a in problem.agent_names]
    rows = {"VE": {"kind": "variational equilibrium", "scope": "", **equilibrium_row(ve)}}
    for label, solution in extremes.items():
        scope = getattr(solution, "extreme_scope", "local") if solution.converged else ""
        rows[label] = {"kind": "extreme GNE", "scope": scope, **equilibrium_row(solution)}
    for row in rows.values():
        row["welfare"] = sum(row[c] for c in payoff_columns)          # NaN when the solve failed
    sampled = sampled.assign(welfare=sampled[payoff_columns].sum(axis=1, skipna=False))
    counted = [r["welfare"] for r in rows.values() if r["status"] not in _REJECTED]
    good_samples = sampled[~sampled["status"].isin(_REJECTED)]
    found = pd.Series([*counted, *good_samples["welfare"]], dtype=float)
    best, worst = (float(found.max()), float(found.min())) if len(found) else (math.nan, math.nan)
    ve_counted = [rows["VE"]["welfare"]] if rows["VE"]["status"] not in _REJECTED else []
    normalised = pd.Series([*ve_counted, *good_samples["welfare"]], dtype=float)
    columns = [c for c in rows["VE"] if c not in ("kind", "scope", "status", "residual")]
    status = f"{len(good_samples)} of {len(sampled)} counted"
    for label, values in (("samples (min)", good_samples.reindex(columns=columns).min()),
                          ("samples (max)", good_samples.reindex(columns=columns).max())):
        rows[label] = {**values.to_dict(), "kind": "samples: column range", "scope": "", "status": status}
    for row in rows.values():
        row["loss"] = _loss(row["welfare"], best)
    order = [*_HEAD, *payoff_columns, *(c for c in rows["VE"] if c not in (*_HEAD, *payoff_columns))]
    table = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=order)
    return Comparison(problem, ve, extremes, sampled, table, best, worst, _loss(worst, best),
                      _loss(float(normalised.max()) if len(normalised) else math.nan, best), options)


def payoff_expression(agent):
    """``agent``'s payoff as a Pyomo expression: minus its objective if it minimises, the objective if it maximises
    (the sum over the agents is the welfare that :func:`compare` optimises over the equilibria)."""
    from pyomo.core.base.objective import ObjectiveData

    expr = agent.objective.expr if isinstance(agent.objective, ObjectiveData) else agent.objective
    return expr if agent.sense == "max" else -expr


def _loss(welfare, best) -> float:
    """``best / welfare`` when both are positive, ``welfare / best`` when both are negative, else NaN (>= 1)."""
    if not (math.isfinite(welfare) and math.isfinite(best)):
        return math.nan
    if welfare > 0 and best > 0:
        return best / welfare
    if welfare < 0 and best < 0:
        return welfare / best
    return math.nan


def _scope(table, label) -> str:
    """'global', 'local' or 'failed' for the extreme row ``label``."""
    if table.at[label, "status"] in _REJECTED:
        return f"failed ({table.at[label, 'status']})"
    return table.at[label, "scope"]


def _counts(counts: dict) -> str:
    return ", ".join(f"{n} {status}" for status, n in counts.items())


def _axes(ax, path, projection=None, height=4.5):
    """A new Figure (pyplot's when drawing for a notebook, a detached one when writing a file), or ``ax``'s."""
    if ax is not None:
        return ax.figure, ax
    if path is not None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, height))
    else:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(6, height))
    return fig, fig.add_subplot(projection=projection)


def _finish(fig, path):
    if path is not None:
        fig.savefig(path, dpi=110, bbox_inches="tight")
    return fig


# ---------------------------------------------------------------------- command line
def add_arguments(parser) -> None:
    """The ``sharedeq compare MODEL.py`` options."""
    parser.add_argument("model", help="a Python file defining build_problem(**kwargs)")
    parser.add_argument("--arg", action="append", metavar="KEY=VALUE", help="keyword argument for build_problem")
    parser.add_argument("--samples", type=int, default=50, help="normalised equilibria to sample (default 50)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sampler and of the extremes' starts")
    parser.add_argument("--starts", type=int, default=8, help="starts of each extreme (default 8)")
    parser.add_argument("--agents", help="comma-separated agents whose payoff extremes are computed (default all)")
    parser.add_argument("--csv", metavar="FILE", help="write the table as CSV")
    parser.add_argument("--plot-set", metavar="FILE", help="write the projected equilibrium set (PNG or SVG)")
    parser.add_argument("--variables", help="two or three comma-separated variables for --plot-set")
    parser.add_argument("--plot-payoffs", metavar="FILE", help="write the payoff ranges (PNG or SVG)")


def run_command(args) -> int:
    """Run ``sharedeq compare``: 0 when the VE and every extreme converged, 1 otherwise (2: bad input, raised)."""
    from sharedeq.cli import _kwargs, load_problem

    problem = load_problem(args.model, _kwargs(args.arg))
    agents = None if args.agents is None else [a.strip() for a in args.agents.split(",")]
    comparison = compare(problem, samples=args.samples, seed=args.seed, starts=args.starts, agents=agents)
    print(comparison.summary())
    if args.csv:
        comparison.table.to_csv(args.csv)
        print(f"wrote {args.csv}")
    if args.plot_set:
        variables = None if args.variables is None else [v.strip() for v in args.variables.split(",")]
        comparison.plot_set(variables, path=args.plot_set)
        print(f"wrote {args.plot_set}")
    if args.plot_payoffs:
        comparison.plot_payoffs(path=args.plot_payoffs)
        print(f"wrote {args.plot_payoffs}")
    converged = comparison.ve.converged and all(s.converged for s in comparison.extremes.values())
    return 0 if converged else 1
