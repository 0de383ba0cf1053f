"""The source homework's methods as baselines for the endowment economy, against sharedeq.

* :func:`adam_planner`: the homework's Adam on its penalised planner objective, in numpy (same update as
  ``torch.optim.Adam``, same softplus parametrisation, same penalty, same start ``U(0, 1)``):

      min_z  -sum_i lam_i u_i(softplus(z_i)) + penalty * sum_j max(sum_i softplus(z_ij) - E_j, 0)^2.

  Its implied shadow prices are the penalty's gradient ``2 * penalty * max(sum_i x_ij - E_j, 0)``.
* :func:`fsolve_equilibrium`: ``scipy.optimize.fsolve`` from ``p = 1`` (as the homework) on the *correct*
  excess demand (Marshallian demand, budgets ``p . x_i = p . e_i``) of the ``m - 1`` non-numeraire goods.

Accuracy is measured against exact answers computed without sharedeq (:func:`planner_exact`,
:func:`equilibrium_exact`) and by the KKT natural residual of the same conditions for every method.
Run ``python -m benchmarks.endowment_baselines`` for the comparison table.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import fsolve
from scipy.special import expit

from sharedeq.markets.endowment import (
    demand,
    equilibrium_exact,
    equilibrium_kkt_residual,
    excess_demand,
    homogeneous_economy,
    planner_exact,
    planner_kkt_residual,
    random_economy,
    solve_equilibrium,
    solve_planner,
    source_heterogeneous_economy,
    source_ten_goods_economy,
)
from sharedeq.progress import track

#: The homework's Adam settings: (lr, iterations) for homogeneous and heterogeneous agents.
SOURCE_ADAM = {"homogeneous": (0.01, 1000), "heterogeneous": (0.001, 10000)}


@dataclass
class BaselineResult:
    """One method's answer: allocation, prices, seconds, max |x - x_exact|, max |p - p_exact|, KKT residual."""

    method: str
    allocation: np.ndarray
    prices: np.ndarray
    seconds: float
    allocation_error: float
    price_error: float
    kkt_residual: float
    note: str = ""


def adam_planner(economy, lr=0.01, iterations=1000, penalty=1000, seed=42) -> BaselineResult:
    """The homework's Adam (betas 0.9, 0.999, eps 1e-8) on the penalised softplus planner objective."""
    lam, alpha, omega, total = economy.weights, economy.alpha, economy.omega, economy.total
    start = time.perf_counter()
    z = np.random.default_rng(seed).random((economy.n, economy.m))
    first, second = np.zeros_like(z), np.zeros_like(z)
    for t in range(1, iterations + 1):
        x = np.logaddexp(0.0, z)
        over = np.maximum(x.sum(axis=0) - total, 0.0)
        grad = (-lam[:, None] * alpha * x**omega + 2 * penalty * over[None, :]) * expit(z)
        first = 0.9 * first + 0.1 * grad
        second = 0.999 * second + 0.001 * grad**2
        z -= lr / (1 - 0.9**t) * first / (np.sqrt(second / (1 - 0.999**t)) + 1e-8)
    x = np.logaddexp(0.0, z)
    prices = 2 * penalty * np.maximum(x.sum(axis=0) - total, 0.0)
    seconds = time.perf_counter() - start
    x_exact, q_exact = planner_exact(economy)
    return BaselineResult(f"Adam (lr={lr:g}, {iterations} it.)", x, prices, seconds, _err(x, x_exact),
                          _err(prices, q_exact), planner_kkt_residual(economy, lam, x, prices))


def fsolve_equilibrium(economy) -> BaselineResult:
    """``fsolve`` on ``z_j(p) = 0`` for ``j >= 2`` with ``p_1 = 1`` (numeraire), from ``p = 1``."""
    start = time.perf_counter()

    def prices(rest):
        return np.r_[1.0, rest]

    with np.errstate(invalid="ignore"):  # steps to negative prices give NaN demand; fsolve then gives up
        rest, _, flag, message = fsolve(lambda r: excess_demand(economy, prices(r))[1:], np.ones(economy.m - 1),
                                        full_output=True)
        p = prices(rest)
        x, mu = demand(economy, p)
    seconds = time.perf_counter() - start
    p_exact, x_exact, _ = equilibrium_exact(economy)
    return BaselineResult("fsolve (numeraire)", x, p, seconds, _err(x, x_exact), _err(p, p_exact),
                          equilibrium_kkt_residual(economy, p, x, mu),
                          "" if flag == 1 else f"fsolve ier={flag}: {message.split(',')[0].strip()}")


def sharedeq_planner(economy) -> BaselineResult:
    """sharedeq: the planner as one agent, shadow prices from the resource multipliers."""
    start = time.perf_counter()
    result = solve_planner(economy)
    seconds = time.perf_counter() - start
    x_exact, q_exact = planner_exact(economy)
    return BaselineResult("sharedeq planner", result.allocation, result.shadow_prices, seconds,
                          _err(result.allocation, x_exact), _err(result.shadow_prices, q_exact),
                          result.kkt_residual, result.solution.status)


def sharedeq_equilibrium(economy) -> BaselineResult:
    """sharedeq: consumers as agents, prices by market clearing with numeraire good 1."""
    start = time.perf_counter()
    result = solve_equilibrium(economy)
    seconds = time.perf_counter() - start
    p_exact, x_exact, _ = equilibrium_exact(economy)
    return BaselineResult("sharedeq CE", result.allocation, result.prices, seconds,
                          _err(result.allocation, x_exact), _err(result.prices, p_exact), result.kkt_residual,
                          result.solution.status)


def _err(a, b) -> float:
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


def cases(large=100) -> list[tuple[str, object, str]]:
    """(label, economy, which Adam settings of the homework apply)."""
    return [("3x3 homogeneous", homogeneous_economy(), "homogeneous"),
            ("3x3 heterogeneous", source_heterogeneous_economy(), "heterogeneous"),
            ("10x10 heterogeneous", source_ten_goods_economy(), "heterogeneous"),
            (f"{large}x{large} random (seed 7)", random_economy(large, large, seed=7), "heterogeneous")]


#: The methods compared, in order: (problem, method(economy, which Adam settings apply)).
METHODS = (("planner", lambda economy, kind: adam_planner(economy, *SOURCE_ADAM[kind])),
           ("planner", lambda economy, kind: sharedeq_planner(economy)),
           ("equilibrium", lambda economy, kind: fsolve_equilibrium(economy)),
           ("equilibrium", lambda economy, kind: sharedeq_equilibrium(economy)))


def comparison(large=100) -> pd.DataFrame:
    """Every method on every case: problem, method, errors against the exact answer, KKT residual, seconds."""
    rows = []
    runs = [(label, economy, kind, problem, method) for label, economy, kind in cases(large)
            for problem, method in METHODS]
    for label, economy, kind, problem, method in track(runs, "endowment baselines", unit="run",
                                                       label=lambda run: f"{run[0]}, {run[3]}"):
        result = method(economy, kind)
        rows.append({"case": label, "problem": problem, "method": result.method,
                     "max|x - exact|": result.allocation_error, "max|p - exact|": result.price_error,
                     "KKT residual": result.kkt_residual, "seconds": result.seconds, "note": result.note})
    return pd.DataFrame(rows)


def main(argv=None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Endowment economy: the homework's methods versus sharedeq")
    parser.add_argument("--large", type=int, default=100, help="size of the large random case (n = m)")
    args = parser.parse_args(argv)
    with pd.option_context("display.width", 160, "display.float_format", "{:.3g}".format):
        print(comparison(args.large).to_string(index=False))


if __name__ == "__main__":
    main()
