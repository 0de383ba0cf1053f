"""Regenerate the pictures and numbers of docs/gne-vs-ve.md (from the repository root):

    python docs/img/make_gne_figures.py            # the pictures, and the summaries the page quotes
    python docs/img/make_gne_figures.py --cost     # the cost table: Cournot N = 100 and river N = 1,000

For each game, :func:`sharedeq.compare` (the VE, every agent's best and worst GNE, the welfare extremes, 50 sampled
normalised equilibria), then the projected set and the payoff ranges as ``docs/img/gne_<game>_set.png`` and
``docs/img/gne_<game>_payoffs.png``. The cost table times each piece on the benchmark generators' games, in CPU
seconds (single-threaded solves; wall time on a loaded machine is larger) and wall seconds.
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import sharedeq as sq  # noqa: E402
from benchmarks.generators import generate  # noqa: E402
from cases import cournot_shared_cap, river_basin, small_games  # noqa: E402
from sharedeq.compare import payoff_expression  # noqa: E402
from sharedeq.gneset import rosen_sweep, sample_gne  # noqa: E402

GAMES = {                      # name: (problem, variables projected in the set picture)
    "ffp": (small_games.ffp, ["p1.x", "p2.x"]),
    "river": (river_basin.build_problem, ["x[1]", "x[2]", "x[3]"]),
    "cournot": (lambda: cournot_shared_cap.build_problem(P=75.0), ["x[1]", "x[3]", "x[5]"]),
}
#: (family, agents N, shared constraints M, samples and sweep points timed, starts of each extreme)
COST_CASES = (("cournot", 100, 1, 5, 8), ("river", 1000, 10, 3, 1))


def figures() -> None:
    for name, (build, variables) in GAMES.items():
        start = time.perf_counter()
        comparison = sq.compare(build(), samples=50, seed=0)
        seconds = time.perf_counter() - start
        comparison.plot_set(variables, path=ROOT / "docs" / "img" / f"gne_{name}_set.png")
        comparison.plot_payoffs(path=ROOT / "docs" / "img" / f"gne_{name}_payoffs.png")
        print(f"== {name} ({seconds:.1f} s)\n{comparison.summary()}\n", flush=True)


def _timed(function, *args, **kwargs):
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    return result, time.process_time() - cpu, time.perf_counter() - wall


def cost() -> None:
    """One line per piece: CPU and wall seconds per call, and the statuses."""
    for family, n, m, count, starts in COST_CASES:
        problem = generate(family, n, m)
        print(f"== {family} N={n} M={m}", flush=True)
        solution, cpu, wall = _timed(problem.solve, mode="ve")
        print(f"  VE solve: {cpu:.2f} s CPU, {wall:.2f} s wall; {solution.status}", flush=True)
        for label, table, cpu, wall in (
                (f"sample_gne, {count} samples", *_timed(sample_gne, problem, samples=count)),
                (f"rosen_sweep, {count} points on one path",
                 *_timed(rosen_sweep, problem, points=count, agents=[problem.agent_names[0]]))):
            print(f"  {label}: {cpu / count:.2f} s CPU, {wall / count:.2f} s wall per equilibrium; "
                  f"{table['status'].value_counts().to_dict()}", flush=True)
        payoffs = [payoff_expression(a) for a in problem.agents]
        for label, objective in (("max welfare", sum(payoffs)), ("max payoff of agent 1", payoffs[0])):
            e, cpu, wall = _timed(problem.extreme, objective, sense="max", starts=starts)
            print(f"  extreme, {label}, starts={starts}: {cpu:.2f} s CPU, {wall:.2f} s wall; {e.status}, "
                  f"scope {e.extreme_scope}, {len(e.mcp.pairs)} pairs", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cost", action="store_true", help="print the cost table instead of drawing")
    cost() if parser.parse_args().cost else figures()
