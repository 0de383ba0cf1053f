"""Draw docs/img/sweep_river.png for docs/sweeps.md: ``python docs/img/make_sweep_plots.py`` (about a minute).

The river basin (cases/river_basin.py) with both station limits set to K, for K = 50 ... 150: the variational
equilibrium and the point a generalized Nash solve returns (``sq.sweep`` on local Dask workers), and the range
of each firm's output over the whole GNE set (``problem.extreme``, min and max, proven global).
"""

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import sharedeq as sq  # noqa: E402
from cases.river_basin import build_problem  # noqa: E402

FIRMS = (1, 2, 3)
COLOURS = {1: "tab:blue", 2: "tab:orange", 3: "tab:green"}


def river(K=100.0, mode="ve"):
    """The river basin with both stations' pollution limits set to K."""
    problem = build_problem(mode)
    for station in problem.model.cons.values():
        station.set_value(station.body <= K)
    return problem


def output_ranges(limits):
    """Per K and firm, the smallest and largest output over the GNE set, and whether both are proven global."""
    rows = []
    for K in limits:
        for i in FIRMS:
            ends = []
            for sense in ("min", "max"):
                problem = river(K, "gne")
                best = problem.extreme(problem.model.x[i], mode="gne", sense=sense)
                ends.append(best)
            rows.append({"K": K, "firm": i, "low": ends[0].extreme_value, "high": ends[1].extreme_value,
                         "global": all(e.extreme_scope == "global" and e.verified for e in ends)})
    import pandas as pd

    return pd.DataFrame(rows)


def main():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    limits = np.linspace(50, 150, 21)
    table = sq.sweep(river, {"K": limits}, mode=["ve", "gne"])
    assert table["converged"].all(), table[~table["converged"]]
    ranges = output_ranges(limits)
    print(f"GNE output ranges proven global at {int(ranges['global'].sum())} of {len(ranges)} (K, firm) pairs")
    ve, gne = table[table["mode"] == "ve"], table[table["mode"] == "gne"]

    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.6), dpi=100)
    for i in FIRMS:
        band = ranges[ranges["firm"] == i]
        left.fill_between(band["K"], band["low"], band["high"], color=COLOURS[i], alpha=0.15, linewidth=0)
        left.plot(ve["K"], ve[f"x[{i}]"], color=COLOURS[i], label=f"firm {i}: VE")
        left.plot(gne["K"], gne[f"x[{i}]"], "o", color=COLOURS[i], markersize=3.5, label=f"firm {i}: a GNE")
    left.set(xlabel="station limit K", ylabel="output x_i",
             title="Outputs: VE (lines), GNE found (dots), GNE range (bands)")
    left.legend(fontsize=7, ncol=3, loc="upper left")
    right.plot(ve["K"], ve["cons[1].m"], color="black", label="VE: one price")
    for i in FIRMS:
        right.plot(gne["K"], gne[f"cons[1].m[{i}]"], "o", color=COLOURS[i], markersize=3.5,
                   label=f"GNE found: firm {i}'s price")
    right.set(xlabel="station limit K", ylabel="multiplier of cons[1]", title="Price of station 1's limit")
    right.legend(fontsize=7)
    for axis in (left, right):
        axis.title.set_fontsize(9)
        axis.grid(alpha=0.3)
    fig.tight_layout()
    out = ROOT / "docs" / "img" / "sweep_river.png"
    fig.savefig(out)
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
