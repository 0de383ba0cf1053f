"""Scarf's example: the article's homotopy, checked, and tatonnement on both maps.

The article's excess-demand map is not Scarf's economy (see ``sharedeq.markets.scarf``). This case runs the
fixed-point homotopy t G(x) + (1 - t)(x - x0), x0 = (0.5, 0.3, 0.2), on
  * the article's G = F + (sum x - 1): the path leaves the positive orthant at t = 1/6 (x_3 = 0), before
    reaching t = 1, and, continued outside, turns back at t ~ 0.1698;
  * G = -F + (sum x - 1) with the article's F, and G = F + (sum x - 1) with Scarf's F: both reach
    (1/3, 1/3, 1/3);
simulates tatonnement dp/dt = F(p): it converges for the article's map and cycles for Scarf's economy
(sum p^2 and prod p conserved); and solves Scarf's 1960 economy itself as an equilibrium problem (consumers as
Leontief LP agents, prices clearing the markets; ``sharedeq.markets.scarf.scarf_economy_problem``).

Run: ``python cases/scarf.py [--plot out/scarf.png] [--n 3] [--normalization simplex|numeraire]``,
``python cases/scarf.py --sweep`` (robustness of the economy's formulation over 96 starts, a few minutes), or
``sharedeq solve cases/scarf.py --check [--arg n=5] [--arg normalization='"numeraire"']`` for the economy.
Docs: ``docs/scarf.md``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

import sharedeq as sq
from sharedeq.markets.scarf import (
    ARTICLE_START,
    EXCESS_DEMANDS,
    Tatonnement,
    homotopy_summary,
    plot_tatonnement,
    scarf_consumer_demand,
    scarf_economy_problem,
    scarf_excess_demand,
    scarf_homotopy,
    solve_scarf_economy,
    tatonnement,
)
from sharedeq.progress import track

HOMOTOPY_RUNS = {
    "article F, G = F + (sum x - 1)": ("article", 1.0),
    "article F, G = -F + (sum x - 1)": ("article", -1.0),
    "Scarf 1960 F, G = F + (sum x - 1)": ("scarf", 1.0),
}

TATONNEMENT_STARTS = [ARTICLE_START, (0.4, 0.35, 0.25), (0.36, 0.34, 0.30)]


def homotopy_table(x0=ARTICLE_START) -> pd.DataFrame:
    """One row per homotopy variant, each followed in the positive orthant from x0."""
    rows = {
        name: homotopy_summary(scarf_homotopy(market, sign, x0))
        for name, (market, sign) in HOMOTOPY_RUNS.items()
    }
    return pd.DataFrame.from_dict(rows, orient="index")


def outside_orthant_table(x0=ARTICLE_START) -> pd.DataFrame:
    """The article's path continued without the orthant constraint, to show where it turns back."""
    result = scarf_homotopy("article", 1.0, x0, domain=None, max_steps=60)
    return pd.DataFrame.from_dict({"article F, no domain": homotopy_summary(result)}, orient="index")


def tatonnement_runs(t_final: float = 60.0) -> dict[str, Tatonnement]:
    """Tatonnement for each map from each start in TATONNEMENT_STARTS."""
    return {
        f"{market} from {start}": tatonnement(F, start, t_final)
        for market, F in EXCESS_DEMANDS.items()
        for start in TATONNEMENT_STARTS
    }


def tatonnement_table(runs: dict[str, Tatonnement]) -> pd.DataFrame:
    """One row per trajectory: distances to equal prices and drift of the invariants."""
    return pd.DataFrame.from_dict({name: run.summary() for name, run in runs.items()}, orient="index")


def build_problem(n=3, normalization="simplex", prices=None) -> sq.EquilibriumProblem:
    """Scarf's 1960 economy: n Leontief consumers as LP agents, markets cleared (for ``sharedeq solve``)."""
    return scarf_economy_problem(n, normalization, prices)


def economy_report(n=3, normalization="simplex", prices=ARTICLE_START) -> str:
    """Solve the economy from `prices` and print its tables and the checks that do not trust the solver."""
    result = solve_scarf_economy(n, normalization, prices)
    tables = result.tables()
    check = sq.kkt_check(result.problem, result.solution)
    gains = sq.best_response_check(result.problem, result.solution)
    lines = [f"{result.problem.name} ({normalization}), started at p = {prices}: {result.solution.message}",
             f"verified against the closed form (F(p) = 0, x = demand(p), 1e-6): {result.verified()}; "
             f"max |F(p)| {abs(result.excess_demand).max():.1e}, max |x - demand(p)| {result.demand_gap:.1e}", ""]
    for title, key in (("Prices", "prices"), ("Allocations x[i, j] (consumer i, good j)", "allocation"),
                       ("Consumers", "consumers"), ("Market clearing", "clearing"),
                       ("MCP residuals by agent", "residuals")):
        lines += [title, tables[key].to_string(), ""]
    lines += ["KKT residuals re-derived with Pyomo (sharedeq.kkt_check)", check.to_string(), "",
              "Best responses (gain = improvement an agent could make alone)", gains.to_string()]
    return "\n".join(lines)


SWEEP_VARIANTS = {  # name: (lower bound of u, allocation start: None = the builder's demand at p0)
    "u >= 0, x = 0, u = 0": (0.0, "zero"),
    "u >= 0, x = endowment, u = 0": (0.0, "endowment"),
    "u >= 0, x = demand at p0, u = y": (0.0, None),
    "u free, x = 0, u = 0": (None, "zero"),
    "u free, x = endowment, u = 0": (None, "endowment"),
    "u free, x = demand at p0, u = y (the builder)": (None, None),
}


def sweep_starts(sizes=(3, 4, 5, 7), count=12, seed=0) -> list[tuple[int, str, np.ndarray]]:
    """(n, normalization, p0): per size and normalisation one start near a corner, the rest uniform."""
    rng = np.random.default_rng(seed)
    return [(n, norm, rng.dirichlet(np.ones(n)) if k else np.r_[0.98, np.full(n - 1, 0.02 / (n - 1))])
            for n in sizes for norm in ("simplex", "numeraire") for k in range(count)]


def sweep_table(starts=None, tol=1e-6) -> pd.DataFrame:
    """Per formulation/start variant: MCP solves not converged, and converged ones with F(p) != 0 or
    x != demand(p) beyond `tol` ("spurious": boundary points with a tiny absolute residual)."""
    starts = sweep_starts() if starts is None else starts
    rows = {name: {"solves": len(starts), "not converged": 0, "spurious": 0, "seconds": 0.0}
            for name in SWEEP_VARIANTS}
    runs = [(name, start) for name in SWEEP_VARIANTS for start in starts]
    for name, (n, norm, p0) in track(runs, "Scarf sweep", unit="solve",
                                      label=lambda run: f"{run[0]}; n = {run[1][0]}, {run[1][1]}"):
        u_lb, x_start = SWEEP_VARIANTS[name]
        clock = time.perf_counter()
        problem = scarf_economy_problem(n, norm, p0)
        m = problem.model
        for i in m.I:
            m.u[i].setlb(u_lb)
            if x_start is not None:
                m.u[i].set_value(0.0)
                for j in m.I:
                    m.x[i, j].set_value(1.0 if x_start == "endowment" and i == j else 0.0)
        solution = problem.solve()
        if solution.converged:
            p = np.array([solution.value(m.p[j]) for j in m.I])
            x = np.array([[solution.value(m.x[i, j]) for j in m.I] for i in m.I])
            with np.errstate(invalid="ignore", divide="ignore"):
                ok = max(np.abs(scarf_excess_demand(p)).max(), np.abs(x - scarf_consumer_demand(p)).max()) <= tol
            rows[name]["spurious"] += not ok
        else:
            rows[name]["not converged"] += 1
        rows[name]["seconds"] += time.perf_counter() - clock
    return pd.DataFrame.from_dict(rows, orient="index")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", metavar="PATH", help="write the tatonnement orbits on the simplex as a PNG")
    parser.add_argument("--n", type=int, default=3, help="goods = consumers in the 1960 economy (>= 3)")
    parser.add_argument("--normalization", choices=["simplex", "numeraire"], default="simplex")
    parser.add_argument("--sweep", action="store_true",
                        help="only the robustness sweep of the economy's formulations and starts (minutes)")
    args = parser.parse_args(argv)
    if args.sweep:
        print(sweep_table().to_string(float_format="{:.1f}".format))
        return
    with pd.option_context("display.width", 200, "display.max_columns", None, "display.max_colwidth", 60):
        print("Fixed-point homotopy from x0 = (0.5, 0.3, 0.2), kept in the positive orthant\n")
        print(homotopy_table().to_string(), "\n")
        print("The article's path continued outside the orthant (it turns back in t)\n")
        print(outside_orthant_table().to_string(), "\n")
        runs = tatonnement_runs()
        print(
            "Tatonnement dp/dt = F(p): distance of p / sum p to equal prices, relative drift of invariants\n"
        )
        print(tatonnement_table(runs).to_string(), "\n")
    with pd.option_context("display.width", 200, "display.float_format", "{:.6g}".format):
        start = ARTICLE_START if args.n == 3 else None
        print("Scarf's 1960 economy as an equilibrium problem (Leontief consumers as LP agents)\n")
        print(economy_report(args.n, args.normalization, start))
    if args.plot:
        Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
        plot_tatonnement(runs, args.plot)
        print(f"\nplot written to {args.plot}")


if __name__ == "__main__":
    main()
