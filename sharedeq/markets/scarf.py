"""Scarf's example: two three-good excess-demand maps, their regularisation, homotopy and tatonnement.

Two maps are kept side by side, because the source article mixes them up:

* ``article_excess_demand``, the article's map, with r_i = p_i^a / (p_i^a + p_{i+1}^a) (indices mod n):
      F_i(p) = r_{i-1} - r_i.
  It sums to zero and is homogeneous of degree 0, but it is **not** a Walrasian excess demand:
      p . F(p) = sum_i r_i (p_{i+1} - p_i)  (a = 1: -1/2 sum_i (p_{i+1} - p_i)^2 / (p_i + p_{i+1}) <= 0),
  which is zero only at equal prices. Under tatonnement it converges (see ``tatonnement``).

* ``scarf_excess_demand``, Scarf's (1960) economy: consumer i owns one unit of good i and has Leontief
  utility min(x_i, x_{i+1}). With budget p . x = p_i the demand is x_i = x_{i+1} = p_i / (p_i + p_{i+1})
  (``scarf_consumer_demand``), so excess demand (demand minus supply, supply 1 of each good) is
      F_i(p) = p_{i-1} / (p_{i-1} + p_i) - p_{i+1} / (p_i + p_{i+1}).
  It satisfies Walras' law p . F(p) = 0 and is homogeneous of degree 0, but sum_i F_i != 0.

Both have their only equilibrium ray at equal prices. The article regularises with the auxiliary term
G_i(x) = s F_i(x) + (sum_j x_j - 1), s = +1 or -1 (``regularised``): summing (article map) or pricing
(Walras' law, Scarf's map) the equations G = 0 forces sum x = 1 and F = 0, so the root is (1/3, 1/3, 1/3).

``scarf_economy_problem`` writes Scarf's economy itself as an equilibrium problem, without the closed form:
consumer i is an agent with the linear program

    max u_i   s.t.  own_i: u_i <= x_ii,  next_i: u_i <= x_{i,i+1},  budget_i: p . x_i <= p_i,  x_i >= 0,

(u_i free, prices not its variables), and prices clear the markets ``1 - sum_i x_ij _|_ p_j >= 0`` with
``add_market_clearing``. Every equilibrium price is positive (a zero price leaves a consumer with no income
facing free goods, or over-demands a neighbour's good). For odd n the equilibrium is unique, equal prices with
x_ii = x_{i,i+1} = 1/2; for even n, F = 0 iff p_{i-1} = p_{i+1}, so every p = (a, b, a, b, ...) is one.
The MCP also has *asymptotic* solutions at the boundary: along p = (e^2, e, 1), e -> 0, the natural residual
tends to 0 (the goods in excess supply are nearly free, the budget multipliers 1/(p_i + p_{i+1}) blow up), but
the limit is no equilibrium. The builder therefore starts at the consumers' own demand at the starting prices,
and ``ScarfEconomyResult.verified`` re-checks the answer scale-free against the closed form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from scipy.integrate import solve_ivp

from sharedeq.errors import ModelError
from sharedeq.homotopy import HomotopyResult, fixed_point_homotopy, positive_orthant
from sharedeq.markets.clearing import MarketClearing, add_market_clearing, clearing_table
from sharedeq.problem import EquilibriumProblem

ARTICLE_START = (0.5, 0.3, 0.2)


def _share_to_next(p: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """r_i = p_i^a / (p_i^a + p_{i+1}^a), indices mod n."""
    q = np.asarray(p, dtype=float) ** alpha
    return q / (q + np.roll(q, -1))


def article_excess_demand(p, alpha: float = 1.0) -> np.ndarray:
    """The article's map F_i = r_{i-1} - r_i (sums to zero, degree-0 homogeneous, p . F != 0)."""
    r = _share_to_next(p, alpha)
    return np.roll(r, 1) - r


def scarf_consumer_demand(p) -> np.ndarray:
    """Demand matrix D[i, j] of consumer i for good j: D[i, i] = D[i, i+1] = p_i / (p_i + p_{i+1}).

    Leontief utility min(x_i, x_{i+1}) is maximised with x_i = x_{i+1} = y and nothing else; the budget
    (p_i + p_{i+1}) y = p_i (the value of one unit of good i) gives y.
    """
    p = np.asarray(p, dtype=float)
    n = p.size
    y = _share_to_next(p)
    demand = np.zeros((n, n))
    demand[np.arange(n), np.arange(n)] = y
    demand[np.arange(n), (np.arange(n) + 1) % n] = y
    return demand


def scarf_endowment(n: int = 3) -> np.ndarray:
    """Endowment matrix: consumer i owns one unit of good i."""
    return np.eye(n)


def scarf_excess_demand(p) -> np.ndarray:
    """Scarf's economy: F_i = p_{i-1}/(p_{i-1}+p_i) - p_{i+1}/(p_i+p_{i+1}) = total demand - supply."""
    r = _share_to_next(p)
    return np.roll(r, 1) + r - 1


EXCESS_DEMANDS: dict[str, Callable] = {"article": article_excess_demand, "scarf": scarf_excess_demand}


def regularised(F: Callable, sign: float = 1.0) -> Callable:
    """G(x) = sign * F(x) + (sum_j x_j - 1), the article's auxiliary-term regularisation."""

    def G(x):
        x = np.asarray(x, dtype=float)
        return sign * F(x) + (x.sum() - 1.0)

    return G


def scarf_homotopy(market: str = "article", sign: float = 1.0, x0=ARTICLE_START, **options) -> HomotopyResult:
    """Fixed-point homotopy t G(x) + (1 - t)(x - x0) on G = sign * F + (sum x - 1), kept in x > 0.

    `market` is ``'article'`` or ``'scarf'``; `options` go to ``follow_path`` (the domain defaults to the
    positive orthant, where prices live). With the article's map and sign = +1 from (0.5, 0.3, 0.2) the path
    leaves the orthant: x_3 reaches 0 at t = 1/6, x = (5/8, 3/8, 0) (along the path sum x = 1, and at x_3 = 0
    the third equation reads t - (1 - t) 0.2 = 0); continued outside, it turns back at t ~ 0.16979,
    x ~ (0.6484, 0.4205, -0.0689); after that t decreases without bound while x tends to
    (2.378, 2.775, -4.153), the root of G(x) = x - x0 that the homotopy approaches as t -> -infinity.
    """
    options.setdefault("domain", positive_orthant)
    return fixed_point_homotopy(regularised(EXCESS_DEMANDS[market], sign), x0, **options)


def homotopy_summary(result: HomotopyResult) -> dict:
    """One table row: status, steps, turning points, largest t, end point and its distance to equal prices."""
    return {
        "status": result.status,
        "steps": result.steps,
        "turning points": result.turning_points,
        "max t": result.t_max,
        "t": result.t,
        "x": _format_vector(result.x),
        "|x - 1/3|": float(np.linalg.norm(result.x - 1 / 3)),
        "exit point (x, t)": "" if result.exit_point is None else _format_vector(result.exit_point),
    }


def _format_vector(v) -> str:
    return "(" + ", ".join(f"{c:.6g}" for c in v) + ")"


def distance_to_equilibrium(p) -> np.ndarray:
    """Euclidean distance of p / sum(p) to equal prices (1/n, ..., 1/n); works row-wise on a 2-D array."""
    p = np.atleast_2d(np.asarray(p, dtype=float))
    normalised = p / p.sum(axis=1, keepdims=True)
    return np.linalg.norm(normalised - 1.0 / p.shape[1], axis=1)


def invariants(p) -> dict[str, np.ndarray]:
    """Candidate conserved quantities of tatonnement: sum p, sum p^2, prod p (row-wise on a 2-D array).

    Scarf's map conserves sum p^2 (d/dt = 2 p . F = 0, Walras' law) and prod p (d/dt log prod p =
    sum F_i / p_i, which telescopes to 0); the article's map conserves sum p (sum F = 0).
    """
    p = np.atleast_2d(np.asarray(p, dtype=float))
    return {"sum p": p.sum(axis=1), "sum p^2": (p**2).sum(axis=1), "prod p": p.prod(axis=1)}


@dataclass
class Tatonnement:
    """A tatonnement trajectory: `prices[k]` is p(times[k])."""

    times: np.ndarray
    prices: np.ndarray

    @property
    def distance(self) -> np.ndarray:
        """Distance of the normalised prices to equal prices along the trajectory."""
        return distance_to_equilibrium(self.prices)

    def drift(self, name: str) -> float:
        """Largest change of invariant `name` along the trajectory, relative to its initial value."""
        values = invariants(self.prices)[name]
        return float(np.max(np.abs(values - values[0])) / abs(values[0]))

    def summary(self) -> dict:
        """One table row: distance to equal prices at start, end and its minimum over the second half,
        and the relative drift of each invariant."""
        d = self.distance
        row = {
            "T": float(self.times[-1]),
            "dist start": d[0],
            "dist end": d[-1],
            "min dist (2nd half)": float(d[d.size // 2 :].min()),
        }
        row.update({f"drift {name}": self.drift(name) for name in invariants(self.prices[:1])})
        return row


def tatonnement(
    F: Callable, p0, t_final: float = 50.0, n_points: int = 501, rtol: float = 1e-10
) -> Tatonnement:
    """Integrate the price adjustment dp/dt = F(p) from p0 over [0, t_final] (scipy DOP853).

    No projection is applied: each map keeps its own invariants (see ``invariants``), and the simplex
    picture uses p / sum(p). For the article's map sum p is constant and d/dt |p|^2 = 2 p . F(p) < 0
    away from equal prices, so |p|^2 is a Lyapunov function and prices converge to equal prices. For
    Scarf's economy |p|^2 and prod p are both constant: orbits are closed curves around equal prices.
    """
    times = np.linspace(0.0, t_final, n_points)
    solution = solve_ivp(
        lambda _, p: F(p),
        (0.0, t_final),
        np.asarray(p0, dtype=float),
        method="DOP853",
        t_eval=times,
        rtol=rtol,
        atol=rtol * 1e-2,
    )
    if not solution.success:
        raise RuntimeError(f"tatonnement integration failed: {solution.message}")
    return Tatonnement(times=solution.t, prices=solution.y.T)


def _simplex_xy(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Plane coordinates of p / sum(p) in the triangle e_1 = (0, 0), e_2 = (1, 0), e_3 = (1/2, sqrt(3)/2)."""
    w = np.atleast_2d(p) / np.atleast_2d(p).sum(axis=1, keepdims=True)
    return w[:, 1] + 0.5 * w[:, 2], np.sqrt(3) / 2 * w[:, 2]


def plot_tatonnement(orbits: dict[str, Tatonnement], path) -> None:
    """Draw tatonnement orbits (three goods) on the price simplex and save a PNG to `path`.

    Needs matplotlib (optional dependency); draws with the Agg canvas, no pyplot state is touched.
    """
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as err:
        raise ImportError("plot_tatonnement needs matplotlib: pip install 'sharedeq[plot]'") from err
    fig = Figure(figsize=(6, 5.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    corners = np.eye(3)[[0, 1, 2, 0]]
    ax.plot(*_simplex_xy(corners), color="black", linewidth=0.8)
    for label, xy in zip(("$p_1$", "$p_2$", "$p_3$"), zip(*_simplex_xy(np.eye(3)), strict=True), strict=True):
        ax.annotate(label, xy, textcoords="offset points", xytext=(0, 6), ha="center")
    for name, orbit in orbits.items():
        x, y = _simplex_xy(orbit.prices)
        (line,) = ax.plot(x, y, linewidth=1.2, label=name)
        ax.plot(x[0], y[0], "o", color=line.get_color())
    ax.plot(*_simplex_xy(np.ones(3)), "k*", markersize=10, label="equilibrium (1/3, 1/3, 1/3)")
    ax.set_aspect("equal")
    ax.axis("off")
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title("Tatonnement dp/dt = F(p) on the price simplex")
    fig.savefig(path, dpi=120)


# ---------------------------------------------------------------------- Scarf's economy as an equilibrium problem
def _economy_start(n: int, prices, normalization: str) -> np.ndarray:
    """Starting prices in the normalisation's scale (sum 1, or p_1 = 1); equal prices by default."""
    p = np.ones(n) if prices is None else np.asarray(prices, dtype=float)
    if p.shape != (n,) or not np.all(np.isfinite(p)) or np.any(p <= 0):
        raise ModelError(f"Scarf economy: starting prices must be {n} positive numbers, got {prices}")
    return p / (p.sum() if normalization == "simplex" else p[0])


def _scarf_economy(n, normalization, prices) -> tuple[EquilibriumProblem, MarketClearing]:
    if not isinstance(n, int) or n < 3:
        raise ModelError(f"Scarf economy: n must be an integer >= 3 (goods = consumers), got {n!r}")
    if normalization not in ("simplex", "numeraire"):
        raise ModelError(f"Scarf economy: normalization must be 'simplex' or 'numeraire' (budgets p . x_i <= p_i "
                         f"are homogeneous in p, so the price level must be fixed), got {normalization!r}")
    p0 = _economy_start(n, prices, normalization)
    demand = scarf_consumer_demand(p0)  # start at the consumers' own choices at p0 (see the module docstring)
    m = pyo.ConcreteModel(name="scarf_economy")
    m.I = pyo.RangeSet(n)
    nxt = {i: i % n + 1 for i in m.I}
    m.p = pyo.Var(m.I, domain=pyo.NonNegativeReals, initialize=lambda m, j: p0[j - 1])
    m.x = pyo.Var(m.I, m.I, domain=pyo.NonNegativeReals, initialize=lambda m, i, j: demand[i - 1, j - 1])
    m.u = pyo.Var(m.I, initialize=lambda m, i: demand[i - 1, i - 1])
    m.utility = pyo.Expression(m.I, rule=lambda m, i: m.u[i])
    m.own = pyo.Constraint(m.I, rule=lambda m, i: m.u[i] <= m.x[i, i])
    m.next = pyo.Constraint(m.I, rule=lambda m, i: m.u[i] <= m.x[i, nxt[i]])
    m.budget = pyo.Constraint(m.I, rule=lambda m, i: sum(m.p[j] * m.x[i, j] for j in m.I) <= m.p[i])
    m.excess = pyo.Expression(m.I, rule=lambda m, j: 1 - sum(m.x[i, j] for i in m.I))
    problem = EquilibriumProblem(m, name=f"Scarf 1960 economy, n = {n}")
    for i in m.I:
        problem.add_agent(f"consumer{i}", m.utility[i], [m.u[i], *(m.x[i, j] for j in m.I)],
                          constraints=[m.own[i], m.next[i], m.budget[i]], sense="max")
    clearing = add_market_clearing(problem, m.p, m.excess, normalization,
                                   1 if normalization == "numeraire" else None)
    return problem, clearing


def scarf_economy_problem(n: int = 3, normalization: str = "simplex", prices=None) -> EquilibriumProblem:
    """Scarf's economy: consumer i maximises u_i <= x_ii, x_{i,i+1} s.t. p . x_i <= p_i; prices clear markets.

    normalization: ``"simplex"`` (sum p = 1) or ``"numeraire"`` (p_1 = 1). prices: starting prices (any
    positive vector, rescaled; default equal), with allocations started at the Leontief demand at them.
    """
    return _scarf_economy(n, normalization, prices)[0]


@dataclass
class ScarfEconomyResult:
    """A solved Scarf economy: prices p, allocation x (consumer i, good j), utilities u, budget multipliers."""

    problem: EquilibriumProblem
    clearing: MarketClearing
    solution: object
    prices: np.ndarray = field(init=False)
    allocation: np.ndarray = field(init=False)
    utilities: np.ndarray = field(init=False)
    income_multipliers: np.ndarray = field(init=False)

    def __post_init__(self):
        m, value = self.problem.model, self.solution.value
        self.prices = np.array([value(m.p[j]) for j in m.I])
        self.allocation = np.array([[value(m.x[i, j]) for j in m.I] for i in m.I])
        self.utilities = np.array([value(m.u[i]) for i in m.I])
        self.income_multipliers = np.array([self.solution.multiplier(m.budget[i]) for i in m.I])

    @property
    def n(self) -> int:
        return self.prices.size

    @property
    def normalised_prices(self) -> np.ndarray:
        """p / sum p."""
        return self.prices / self.prices.sum()

    @property
    def excess_demand(self) -> np.ndarray:
        """Scarf's closed-form excess demand F(p) (``scarf_excess_demand``) at the solution's prices."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return scarf_excess_demand(self.prices)

    @property
    def demand_gap(self) -> float:
        """max |x - Leontief demand at p|: the agents' LP choices against the closed form."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return float(np.max(np.abs(self.allocation - scarf_consumer_demand(self.prices))))

    def verified(self, tol: float = 1e-6) -> bool:
        """Converged MCP and, scale-free, F(p) = 0 and x = demand(p) to ``tol`` (NaN at zero prices fails)."""
        return bool(self.solution.converged and np.max(np.abs(self.excess_demand)) <= tol
                    and self.demand_gap <= tol)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Prices, allocations, consumers (utility, income, spending, budget multiplier), clearing, residuals."""
        goods = [f"good {j}" for j in range(1, self.n + 1)]
        consumers = [f"consumer{i}" for i in range(1, self.n + 1)]
        prices = pd.DataFrame({"price": self.prices, "p / sum p": self.normalised_prices,
                               "closed-form excess demand F(p)": self.excess_demand}, index=goods)
        allocation = pd.DataFrame(self.allocation, index=consumers, columns=goods)
        agents = pd.DataFrame({"utility": self.utilities, "income p_i": self.prices,
                               "spending p . x_i": self.allocation @ self.prices,
                               "budget multiplier": self.income_multipliers}, index=consumers)
        self.solution.load()
        return {"prices": prices, "allocation": allocation, "consumers": agents,
                "clearing": clearing_table(self.clearing), "residuals": self.solution.residuals}


def solve_scarf_economy(n: int = 3, normalization: str = "simplex", prices=None, **solve_options) -> ScarfEconomyResult:
    """Build and solve Scarf's economy (``solve_options`` go to :meth:`EquilibriumProblem.solve`)."""
    problem, clearing = _scarf_economy(n, normalization, prices)
    return ScarfEconomyResult(problem, clearing, problem.solve(**solve_options))
