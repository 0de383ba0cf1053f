"""Linear Fisher market: buyers with money budgets, prices that clear the markets, four ways.

Buyer ``i`` has budget ``e_i`` and utility ``sum_j u_ij x_ij``; good ``j`` has supply ``s_j``. Prices ``p`` are
equilibrium prices when every buyer spends all its money on goods of maximum bang per buck ``u_ij / p_j`` and
every good is sold. Computed by (a) the Eisenberg-Gale program, (b) the market as a sharedeq equilibrium problem
(buyers are LP agents, ``s_j - sum_i x_ij _|_ p_j >= 0``), (c) the DPSV flow algorithm in exact arithmetic, and
checked by (d) the max-flow certificate. Model and methods: :mod:`sharedeq.markets.fisher`; the docs page is
``docs/fisher-markets.md``.

Markets: ``2x2`` (utilities [[2, 1], [1, 2]], budgets (1, 3), unit supplies: prices (4/3, 8/3)) and ``random``
(``FisherMarket.random(buyers, goods, seed, density)``).

Run: ``python cases/fisher_market.py --market random --buyers 8 --goods 6 --seed 1`` or
``sharedeq solve cases/fisher_market.py --arg market='"random"' --arg buyers=20``.
"""

import numpy as np
import pandas as pd

import sharedeq as sq
from sharedeq.markets import fisher as F

MARKETS = ("2x2", "random")


def make_market(market="2x2", buyers=8, goods=6, seed=0, density=0.5) -> F.FisherMarket:
    """One of :data:`MARKETS`; ``buyers``, ``goods``, ``seed`` and ``density`` apply to ``random``."""
    if market == "2x2":
        return F.FisherMarket([[2, 1], [1, 2]], [1, 3])
    if market == "random":
        return F.FisherMarket.random(buyers, goods, seed, density=density)
    raise sq.ModelError(f"unknown market {market!r}; choose one of {MARKETS}")


def build_problem(market="2x2", buyers=8, goods=6, seed=0, density=0.5) -> sq.EquilibriumProblem:
    """The market as a sharedeq equilibrium problem (:func:`sharedeq.markets.fisher.fisher_problem`)."""
    return F.fisher_problem(make_market(market, buyers, goods, seed, density))


def report(market: F.FisherMarket) -> str:
    """Prices by (a), (b), (c); the (b) allocation and spending; residuals; KKT check; the certificate."""
    shared = F.solve_fisher_equilibrium(market)
    results = [F.eisenberg_gale(market), shared, F.dpsv(market)]
    labels = ["(a) eisenberg_gale", "(b) sharedeq", "(c) dpsv (exact)"]
    prices = pd.DataFrame({label: np.asarray(r.prices, dtype=float) for label, r in zip(labels, results, strict=True)},
                          index=[f"good {j}" for j in range(market.n_goods)])
    exact = results[2].prices
    methods = pd.DataFrame([{"method": label, "status": r.status, "iterations": r.iterations,
                             "seconds": r.time, "clearing": float(r.residuals.clearing),
                             "budget": float(r.residuals.budget), "mbb": float(r.residuals.mbb),
                             "max |p - dpsv|": float(np.max(np.abs(np.asarray(r.prices - exact, dtype=float))))}
                            for label, r in zip(labels, results, strict=True)]).set_index("method")
    tables = shared.tables()
    certificate = F.max_flow_certificate(market, shared.prices)
    lines = [f"Linear Fisher market: {market.n_buyers} buyers, {market.n_goods} goods", "",
             "Prices", prices.to_string(), "",
             "Methods (residuals relative: clearing, budget, money spent off maximum bang per buck)",
             methods.to_string(), "",
             f"(b) sharedeq: {shared.solution.message}", "Allocation x_ij", tables.allocation.to_string(), "",
             "Spending p_j x_ij", tables.spending.to_string(), "",
             "KKT residuals of every buyer, re-derived with Pyomo (sharedeq.kkt_check)",
             sq.kkt_check(shared.solution.problem, shared.solution).to_string(), "",
             f"(d) max-flow certificate of the (b) prices: "
             f"{'EQUILIBRIUM' if certificate.is_equilibrium else 'NOT an equilibrium'}: {certificate.reason}"]
    return "\n".join(lines)


def main(argv=None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--market", choices=MARKETS, default="2x2")
    parser.add_argument("--buyers", type=int, default=8)
    parser.add_argument("--goods", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--density", type=float, default=0.5)
    args = parser.parse_args(argv)
    with pd.option_context("display.width", 160, "display.max_columns", 30, "display.float_format", "{:.6g}".format):
        print(report(make_market(args.market, args.buyers, args.goods, args.seed, args.density)))


if __name__ == "__main__":
    main()
