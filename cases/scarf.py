"""Scarf's example (seed 001): the article's homotopy, checked, and tatonnement on both maps.

The article's excess-demand map is not Scarf's economy (see ``sharedeq.markets.scarf``). This case runs the
fixed-point homotopy t G(x) + (1 - t)(x - x0), x0 = (0.5, 0.3, 0.2), on
  * the article's G = F + (sum x - 1): the path leaves the positive orthant at t = 1/6 (x_3 = 0), before
    reaching t = 1, and, continued outside, turns back at t ~ 0.1698;
  * G = -F + (sum x - 1) with the article's F, and G = F + (sum x - 1) with Scarf's F: both reach
    (1/3, 1/3, 1/3);
and simulates tatonnement dp/dt = F(p): it converges for the article's map and cycles for Scarf's economy
(sum p^2 and prod p conserved).

Run: ``python cases/scarf.py [--plot scarf.png]``.
"""

from __future__ import annotations

import argparse

import pandas as pd

from sharedeq.markets.scarf import (
    ARTICLE_START,
    EXCESS_DEMANDS,
    Tatonnement,
    homotopy_summary,
    plot_tatonnement,
    scarf_homotopy,
    tatonnement,
)

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


# Scarf's economy as an equilibrium problem with sharedeq's agents (Leontief consumers as small LPs plus
# market clearing) belongs here; it is added together with the agent layer.


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", metavar="PATH", help="write the tatonnement orbits on the simplex as a PNG")
    args = parser.parse_args(argv)
    with pd.option_context("display.width", 200, "display.max_columns", None, "display.max_colwidth", 60):
        print("Fixed-point homotopy from x0 = (0.5, 0.3, 0.2), kept in the positive orthant\n")
        print(homotopy_table().to_string(), "\n")
        print("The article's path continued outside the orthant (it turns back in t)\n")
        print(outside_orthant_table().to_string(), "\n")
        runs = tatonnement_runs()
        print(
            "Tatonnement dp/dt = F(p): distance of p / sum p to equal prices, relative drift of invariants\n"
        )
        print(tatonnement_table(runs).to_string())
    if args.plot:
        plot_tatonnement(runs, args.plot)
        print(f"\nplot written to {args.plot}")


if __name__ == "__main__":
    main()
