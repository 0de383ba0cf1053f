"""Draw the pictures of docs/gallery.md into docs/gallery/ (PNG).

Run from the repository root: ``python docs/gallery/make_gallery.py`` (all pictures, about 15 s) or
``python docs/gallery/make_gallery.py scaling tatonnement`` (some of them). Needs matplotlib
(``pip install -e ".[docs]"``). Every picture is computed here, except the benchmark chart, which reads the
committed results in ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))          # the benchmarks package lives in the repository, not in the install

import sharedeq as sq  # noqa: E402
from sharedeq.markets import scarf  # noqa: E402


def _figure(width=8.0, height=3.6, columns=1) -> tuple[Figure, list]:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, [fig.add_subplot(1, columns, k + 1) for k in range(columns)]


def _save(fig: Figure, name: str) -> None:
    path = OUT / f"{name}.png"
    fig.savefig(path, dpi=90)
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KiB)")


# ---------------------------------------------------------------------- Scarf: homotopy paths
def homotopy() -> None:
    """The fixed-point homotopy t G(x) + (1 - t)(x - x0) on three regularised maps, x_i against t."""
    runs = [("article's map, G = F + (sum x - 1)", scarf.scarf_homotopy("article", 1.0)),
            ("article's map, G = -F + (sum x - 1)", scarf.scarf_homotopy("article", -1.0)),
            ("Scarf's map, G = F + (sum x - 1)", scarf.scarf_homotopy("scarf", 1.0))]
    outside = scarf.scarf_homotopy("article", 1.0, domain=None, max_steps=30)
    fig, axes = _figure(10, 3.4, columns=3)
    for ax, (title, result) in zip(axes, runs, strict=True):
        ax.set_prop_cycle(color=["tab:blue", "tab:orange", "tab:green"])
        x, t = result.path[:, :-1], result.path[:, -1]
        for i in range(x.shape[1]):
            ax.plot(t, x[:, i], marker=".", markersize=4, linewidth=1, label=f"$x_{i + 1}$")
        ax.axhline(0, color="grey", linewidth=0.6)
        ax.set_xlabel("t")
        ax.set_title(f"{title}\nstatus {result.status!r} at t = {result.t:.3g}", fontsize=9)
    axes[0].set_prop_cycle(color=["tab:blue", "tab:orange", "tab:green"])
    for i in range(3):
        axes[0].plot(outside.path[:, -1], outside.path[:, i], linestyle="--", linewidth=0.8)
    axes[0].annotate(f"continued outside x >= 0 (dashed):\nturning point at t = {outside.t_max:.4f}",
                     (outside.t_max, 0), xytext=(-1.75, -2.6), fontsize=8, arrowprops={"arrowstyle": "->"})
    axes[0].set_ylabel("x")
    axes[0].legend(fontsize=8, loc="upper left")
    _save(fig, "homotopy")


# ---------------------------------------------------------------------- Scarf: tatonnement
def tatonnement() -> None:
    """Tatonnement dp/dt = F(p) from the article's start for both maps (the library's own plot)."""
    start = scarf.ARTICLE_START
    orbits = {"article's map (converges)": scarf.tatonnement(scarf.article_excess_demand, start),
              "Scarf's economy (closed orbit)": scarf.tatonnement(scarf.scarf_excess_demand, start)}
    path = OUT / "tatonnement.png"
    scarf.plot_tatonnement(orbits, path)
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KiB)")


# ---------------------------------------------------------------------- convergence history of a solve
@contextmanager
def _captured_stdout(path: str):
    """Redirect file descriptor 1 (where Ipopt prints) to ``path``."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(path, "w") as target:
        os.dup2(target.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


IPOPT_ROW = re.compile(r"^\s*(\d+)r?\s+(\S+)\s+(\S+)\s+\S+\s+\S+", flags=re.M)


def _ipopt_iterations(problem, **options):
    """Solve with Ipopt's iteration log on; return the solution and, per Ipopt iteration over all runs,
    the relaxation's objective (sum of complementarity products) and primal infeasibility."""
    with tempfile.TemporaryDirectory() as folder:
        log = os.path.join(folder, "ipopt.log")
        with _captured_stdout(log):
            solution = problem.solve(options={"print_level": 5}, verify=False, **options)
        rows = IPOPT_ROW.findall(Path(log).read_text())
    history = np.array([[float(objective), float(infeasibility)] for _, objective, infeasibility in rows])
    return solution, history


def convergence() -> None:
    """River game, N = 300, generalized Nash: the default chain against the eps ladder without the Newton polish."""
    from benchmarks.generators import generate

    fig, (left, right) = _figure(10, 3.8, columns=2)
    runs = [("newton_from=0: eps ladder, then Ipopt polish", {"newton_from": 0}, "tab:orange", 1),
            ("default: Newton polish tried inside Ipopt", {}, "tab:blue", 2)]
    for label, options, color, order in runs:
        solution, history = _ipopt_iterations(generate("river", 300), mode="gne", **options)
        assert solution.converged, solution.message
        left.semilogy(np.maximum(history[:, 0], 1e-17), "-o", color=color, markersize=2 * order, linewidth=order,
                      label=label, zorder=order)
        steps = solution.steps
        iterations = np.cumsum(steps["iterations"].to_numpy())
        right.semilogy(iterations, steps["residual"].clip(lower=1e-17), "-o", color=color, label=label,
                       zorder=order)
        for k, (x, y, step) in enumerate(zip(iterations, steps["residual"], steps["step"], strict=True)):
            short = re.sub(r" \(.*\)", "", step).replace("relax ", "")
            right.annotate(short, (x, y), fontsize=6, xytext=(4, 4 if k % 2 else -9), textcoords="offset points")
    right.axhline(1e-8, color="grey", linestyle=":", linewidth=1)
    right.annotate("tol = 1e-8", (0.01, 1e-8), xycoords=("axes fraction", "data"), xytext=(0, 3),
                   textcoords="offset points", fontsize=7, color="grey")
    left.set(xlabel="Ipopt iteration (the stages one after another)",
             ylabel="sum of complementarity products", title="Inside Ipopt: the relaxation's objective")
    right.set(xlabel="Ipopt iterations so far", ylabel="MCP residual after the step",
              title="solution.steps: the residual after each stage")
    left.legend(fontsize=7)
    right.legend(fontsize=7, loc="upper right")
    fig.suptitle("River-basin game, 300 firms, 10 shared limits, generalized Nash (3,000 own multipliers)",
                 fontsize=10)
    _save(fig, "convergence")


# ---------------------------------------------------------------------- benchmark scaling
def scaling() -> None:
    """Time against the number of agents, from benchmarks/results/river_{ve,gne}.json and the baselines."""
    results = ROOT / "benchmarks" / "results"
    fig, (left, right) = _figure(10, 3.8, columns=2)
    parts = (("pipeline", "-", "total"), ("solve", "--", "Ipopt + polish"), ("kkt", ":", "KKT build"))
    for mode, marker, color in (("ve", "o", "tab:blue"), ("gne", "s", "tab:red")):
        rows = [r for r in json.loads((results / f"river_{mode}.json").read_text()) if r["converged"]]
        n = np.array([r["size"] for r in rows])
        for key, style, label in parts:
            left.loglog(n, [r[key] for r in rows], style, marker=marker, color=color,
                        markersize=5 if key == "pipeline" else 3, linewidth=1.5 if key == "pipeline" else 0.8,
                        label=f"{mode}: {label}")
    reference = np.array([1e3, 1e5])
    left.loglog(reference, 2e-3 * reference, color="grey", linewidth=0.6, label="proportional to N")
    left.set(xlabel="agents N (river game, 10 shared limits)", ylabel="seconds",
             title="sharedeq from N = 1,000 to 100,000")
    left.legend(fontsize=7, ncol=2)
    rows = json.loads((results / "river_ve_baselines.json").read_text())
    for variant, marker, label in (("sharedeq", "o", "sharedeq (aggregates lifted)"),
                                   ("naive", "x", "aggregates inlined (dense)")):
        mine = [r for r in rows if r["variant"] == variant and r["converged"]]
        right.loglog([r["size"] for r in mine], [r["pipeline"] for r in mine], marker=marker, label=label)
    right.set_xticks([250, 500, 1000], labels=["250", "500", "1,000"])
    right.minorticks_off()
    right.set(xlabel="agents N", ylabel="seconds", title="Lifting the shared aggregate (river game, mode ve)")
    right.legend(fontsize=7)
    _save(fig, "scaling")


# ---------------------------------------------------------------------- the set of generalized Nash equilibria
def gne_set() -> None:
    """The equilibria that ``sq.compare`` finds, on a game whose GNE set is known and on the river basin."""
    import importlib.util

    import pyomo.environ as pyo

    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], initialize=0.0)
    m.share = pyo.Constraint(expr=m.x[1] + m.x[2] <= 1)
    game = sq.EquilibriumProblem(m, name="two players, one shared unit")
    game.add_agent("p1", objective=(m.x[1] - 1) ** 2, variables=m.x[1])
    game.add_agent("p2", objective=(m.x[2] - 0.5) ** 2, variables=m.x[2])
    game.add_shared(m.share)
    spec = importlib.util.spec_from_file_location("river_basin", ROOT / "cases" / "river_basin.py")
    river_basin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(river_basin)

    fig, (left, right) = _figure(10, 4.4, columns=2)
    left.plot([0.5, 1.0], [0.5, 0.0], color="tab:green", linewidth=8, alpha=0.3,
              label="every GNE: x1 in [1/2, 1], x2 = 1 - x1")
    sq.compare(game, samples=20).plot_set(["x[1]", "x[2]"], ax=left)
    left.set(xlim=(0.4, 1.1), ylim=(-0.1, 0.6), aspect="equal")
    sq.compare(river_basin.build_problem(), samples=30).plot_set(["x[1]", "x[2]"], ax=right)
    _save(fig, "gne_set")


PICTURES = {"homotopy": homotopy, "tatonnement": tatonnement, "convergence": convergence, "scaling": scaling,
            "gne_set": gne_set}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pictures", nargs="*", help=f"some of {', '.join(PICTURES)} (default: all)")
    names = parser.parse_args(argv).pictures or list(PICTURES)
    unknown = [name for name in names if name not in PICTURES]
    if unknown:
        parser.error(f"unknown picture(s) {', '.join(unknown)}; choose from {', '.join(PICTURES)}")
    for name in names:
        PICTURES[name]()


if __name__ == "__main__":
    main()
