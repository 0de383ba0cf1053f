"""Endowment economy (a homework exercise, corrected): social planner, competitive equilibrium, welfare theorem.

``n`` consumers, ``m`` goods, ``u_i(x) = sum_j alpha_ij x_j^(1+omega_ij) / (1+omega_ij)`` with
``alpha > 0 > omega``. The planner maximises ``sum_i lam_i u_i`` subject to ``sum_i x_ij <= E_j``; in the
competitive equilibrium each consumer maximises ``u_i`` subject to ``p . x_i <= p . e_i`` and prices clear the
markets (numeraire good 1, or sum p = 1). With Negishi weights ``lam_i = 1 / mu_i`` (``mu_i`` the budget
multiplier) the planner reproduces the equilibrium allocation and its shadow prices equal the prices.
Model and builders: :mod:`sharedeq.markets.endowment`; the docs page is ``docs/endowment-economy.md``.

Economies: ``homogeneous`` (alpha = 1, omega = -0.5, 30 of each good, 3 x 3: everybody gets 10 of everything),
``heterogeneous`` (the homework's 3 x 3 data with omega's sign corrected), ``ten`` (its 10 x 10 data),
``random`` (seeded, ``size`` x ``size``).

Run: ``python cases/endowment_economy.py --economy heterogeneous`` or
``sharedeq solve cases/endowment_economy.py --arg economy='"ten"' --arg problem='"planner"'``.
``--arg omega=0.5`` (the homework's sign) is refused with a ModelError naming the agent and the parameter.
"""

import pandas as pd

import sharedeq as sq
from sharedeq import progress
from sharedeq.markets import endowment as E
from sharedeq.solution import fit_table

ECONOMIES = ("homogeneous", "heterogeneous", "ten", "random")


def make_economy(economy="heterogeneous", size=100, seed=0, omega=-0.5) -> E.EndowmentEconomy:
    """One of :data:`ECONOMIES`; ``omega`` applies to ``homogeneous``, ``size`` and ``seed`` to ``random``."""
    if economy == "homogeneous":
        return E.homogeneous_economy(omega=omega)
    if economy == "heterogeneous":
        return E.source_heterogeneous_economy()
    if economy == "ten":
        return E.source_ten_goods_economy()
    if economy == "random":
        return E.random_economy(size, size, seed)
    raise sq.ModelError(f"unknown economy {economy!r}; choose one of {ECONOMIES}")


def build_problem(problem="equilibrium", economy="heterogeneous", size=100, seed=0, omega=-0.5,
                  normalization="numeraire", numeraire=1) -> sq.EquilibriumProblem:
    """The competitive equilibrium (default) or the planner (``problem="planner"``, the economy's weights)."""
    eco = make_economy(economy, size, seed, omega)
    if problem == "planner":
        return E.planner_problem(eco)
    if problem == "equilibrium":
        return E.equilibrium_problem(eco, normalization, numeraire)
    raise sq.ModelError(f"problem must be 'equilibrium' or 'planner', got {problem!r}")


def _frame(matrix, rows="consumer", columns="good") -> pd.DataFrame:
    return pd.DataFrame(matrix, index=[f"{rows} {i + 1}" for i in range(matrix.shape[0])],
                        columns=[f"{columns} {j + 1}" for j in range(matrix.shape[1])])


def report(eco, normalization="numeraire") -> str:
    """Planner (economy's weights), competitive equilibrium, clearing, KKT residuals and the welfare check; tables
    and lists cut to the terminal's width (the full numbers: the objects that E.solve_planner and E.welfare_check
    return)."""
    with progress.run(f"{eco.name}") as run:
        run.stage("planner")
        planner = E.solve_planner(eco)
        run.stage("competitive equilibrium and the planner with Negishi weights")
        check = E.welfare_check(eco, normalization)
        ce = check.equilibrium
        run.stage("KKT residuals re-derived with Pyomo")
        kkt = sq.kkt_check(ce.problem, ce.solution)
    whole = "all: .allocation of E.solve_planner(eco), E.welfare_check(eco).equilibrium"
    lines = [f"{eco.name}: n = {eco.n} consumers, m = {eco.m} goods", "",
             f"Planner (weights {_numbers(eco.weights, 4)})", f"  {planner.solution.message}",
             fit_table(_frame(planner.allocation), whole=whole),
             f"shadow prices q: {_numbers(planner.shadow_prices)}", "",
             f"Competitive equilibrium ({normalization})", f"  {ce.solution.message}",
             f"prices p: {_numbers(ce.prices)}",
             f"marginal utilities of income mu: {_numbers(ce.income_multipliers)}",
             fit_table(_frame(ce.allocation), whole=whole), "", "Market clearing", fit_table(ce.clearing_table()), "",
             "KKT residuals of the equilibrium, re-derived with Pyomo (sharedeq.kkt_check)", fit_table(kkt), "",
             "Welfare theorem: planner with Negishi weights 1/mu versus the equilibrium", fit_table(check.table())]
    return "\n".join(lines)


def _numbers(values, digits=8, shown=5) -> str:
    """``[a, b, ...]`` rounded; a long list as its first ``shown`` numbers and how many there are."""
    values = [round(float(v), digits) for v in values]
    if len(values) <= shown:
        return str(values)
    return f"[{', '.join(map(str, values[:shown]))}, ... ({len(values)} in all)]"


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--economy", choices=ECONOMIES, default="heterogeneous")
    parser.add_argument("--size", type=int, default=100, help="n = m for --economy random")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--normalization", choices=["numeraire", "simplex"], default="numeraire")
    args = parser.parse_args()
    with pd.option_context("display.width", 160, "display.float_format", "{:.6g}".format):
        print(report(make_economy(args.economy, args.size, args.seed), args.normalization))
