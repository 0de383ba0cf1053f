"""An endowment (exchange) economy: social planner, competitive equilibrium, and the welfare theorems.

``n`` consumers, ``m`` goods; consumer ``i`` owns ``e_ij >= 0`` and has the utility

    u_i(x) = sum_j alpha_ij x_j^(1 + omega_ij) / (1 + omega_ij),     alpha_ij > 0 > omega_ij, omega_ij != -1,

strictly increasing and strictly concave, with marginal utility ``alpha_ij x_j^omega_ij`` (infinite at 0).

* Planner with weights ``lam > 0``: ``max sum_i lam_i u_i(x_i)  s.t.  sum_i x_ij <= E_j`` (``E = sum_i e_i``),
  one agent in sharedeq; the resource multipliers ``q_j`` are shadow prices: ``lam_i alpha_ij x_ij^omega_ij = q_j``.
* Competitive equilibrium: consumer ``i`` solves ``max u_i(x_i)  s.t.  p . x_i <= p . e_i`` (multiplier ``mu_i``,
  marginal utility of income), so ``alpha_ij x_ij^omega_ij = mu_i p_j``: Marshallian demand
  ``x_ij = (mu_i p_j / alpha_ij)^(1/omega_ij)`` with ``mu_i`` set by the budget. Prices clear markets
  (:func:`sharedeq.markets.clearing.add_market_clearing`, numeraire or sum p = 1).
* Welfare theorems (Negishi): with ``lam_i = 1 / mu_i`` the planner's conditions read ``alpha_ij x_ij^omega_ij / mu_i
  = q_j``, which the CE allocation satisfies with ``q = p``. So the planner reproduces the CE allocation and its
  shadow prices equal the CE prices, in the same normalisation (``mu`` scales inversely with ``p``).

The closed forms used as independent references: for each good the planner's ``q_j`` solves
``sum_i (q_j / (lam_i alpha_ij))^(1/omega_ij) = E_j`` and for each consumer ``mu_i`` solves
``sum_j p_j (mu_i p_j / alpha_ij)^(1/omega_ij) = p . e_i``; both left sides are sums of exponentials of
``log q`` (``log mu``) with negative rates, so Newton's method on their logarithm (convex, decreasing)
converges from any start (:func:`solve_log_sum_exp`).

Corrections to the source homework (see docs/endowment-economy.md): ``omega = +0.5`` makes utility
convex (rejected here by :func:`check_concavity`), and its demand ``alpha_j p_j^-omega / sum_k alpha_k p_k^-omega Y``
makes quantities, not spending, add up to income.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from scipy import optimize

from sharedeq.errors import ModelError
from sharedeq.markets.clearing import MarketClearing, add_market_clearing, clearing_table
from sharedeq.problem import EquilibriumProblem

#: The source's heterogeneous 3 x 3 data, with omega's sign corrected to the stated alpha > 0 > omega.
SOURCE_ALPHA_3 = ((1.0, 0.8, 1.2), (1.1, 0.9, 1.3), (0.9, 0.7, 1.1))
SOURCE_OMEGA_3 = ((-0.3, -0.5, -0.7), (-0.4, -0.6, -0.8), (-0.5, -0.4, -0.6))
SOURCE_WEIGHTS_3 = (0.9, 1.1, 1.0)
#: The source's heterogeneous 10 x 10 data (every consumer alike), omega's sign corrected.
SOURCE_ALPHA_10 = (1.0, 0.8, 1.2, 0.9, 1.1, 0.7, 1.3, 0.95, 1.05, 1.15)
SOURCE_OMEGA_10 = (-0.3, -0.4, -0.5, -0.35, -0.45, -0.55, -0.25, -0.6, -0.65, -0.5)
SOURCE_WEIGHTS_10 = (0.9, 1.1, 0.8, 1.2, 1.0, 0.85, 1.15, 0.95, 1.05, 1.0)


@dataclass
class EndowmentEconomy:
    """Parameters as ``(n, m)`` arrays (scalars and rows broadcast): ``alpha``, ``omega``, ``endowment``.

    ``weights`` are the planner's default social weights (equal if None). Concavity is *not* checked here (so
    that the source's convex data can be built and shown to fail); the problem builders call
    :func:`check_concavity`.
    """

    alpha: np.ndarray
    omega: np.ndarray
    endowment: np.ndarray
    weights: np.ndarray | None = None
    name: str = "endowment economy"

    def __post_init__(self):
        self.endowment = np.atleast_2d(np.asarray(self.endowment, dtype=float))
        shape = self.endowment.shape
        self.alpha = np.broadcast_to(np.asarray(self.alpha, dtype=float), shape).copy()
        self.omega = np.broadcast_to(np.asarray(self.omega, dtype=float), shape).copy()
        self.weights = np.ones(shape[0]) if self.weights is None else np.asarray(self.weights, dtype=float)
        if self.weights.shape != (shape[0],) or np.any(self.weights <= 0):
            raise ModelError(f"{self.name}: weights must be {shape[0]} positive numbers, got {self.weights}")
        if np.any(self.endowment < 0) or np.any(self.total <= 0):
            raise ModelError(f"{self.name}: endowments must be >= 0 with a positive total of every good")

    @property
    def n(self) -> int:
        return self.endowment.shape[0]

    @property
    def m(self) -> int:
        return self.endowment.shape[1]

    @property
    def total(self) -> np.ndarray:
        """Aggregate endowment ``E_j = sum_i e_ij``."""
        return self.endowment.sum(axis=0)

    def utility(self, x) -> np.ndarray:
        """``u_i(x_i)`` for every consumer, ``x`` an ``(n, m)`` allocation."""
        return (self.alpha * np.asarray(x) ** (1 + self.omega) / (1 + self.omega)).sum(axis=1)


# ---------------------------------------------------------------------- economies
def homogeneous_economy(n=3, m=3, total=30.0, omega=-0.5) -> EndowmentEconomy:
    """alpha = 1, one omega, equal weights, equal endowments ``total / n``: everybody gets ``total / n``."""
    return EndowmentEconomy(1.0, omega, np.full((n, m), total / n), name=f"homogeneous {n}x{m}")


def source_heterogeneous_economy() -> EndowmentEconomy:
    """The source's 3 x 3 heterogeneous case (omega sign corrected), 30 of each good split equally."""
    return EndowmentEconomy(SOURCE_ALPHA_3, SOURCE_OMEGA_3, np.full((3, 3), 10.0), SOURCE_WEIGHTS_3,
                            name="heterogeneous 3x3 (source data, omega < 0)")


def source_ten_goods_economy() -> EndowmentEconomy:
    """The source's 10 x 10 heterogeneous case (omega sign corrected), 30 of each good split equally."""
    return EndowmentEconomy(SOURCE_ALPHA_10, SOURCE_OMEGA_10, np.full((10, 10), 3.0), SOURCE_WEIGHTS_10,
                            name="heterogeneous 10x10 (source data, omega < 0)")


def random_economy(n, m, seed=0) -> EndowmentEconomy:
    """Seeded: alpha ~ U(0.5, 1.5), omega ~ U(-0.9, -0.2), endowments ~ U(1, 10), weights ~ U(0.5, 1.5)."""
    rng = np.random.default_rng(seed)
    return EndowmentEconomy(rng.uniform(0.5, 1.5, (n, m)), rng.uniform(-0.9, -0.2, (n, m)),
                            rng.uniform(1.0, 10.0, (n, m)), rng.uniform(0.5, 1.5, n),
                            name=f"random {n}x{m} (seed {seed})")


def check_concavity(economy, agent=None) -> None:
    """Raise :class:`ModelError` unless every utility is strictly concave and increasing.

    ``alpha x^(1+omega) / (1+omega)`` has second derivative ``alpha omega x^(omega-1)``: concave iff
    ``alpha omega < 0``; with ``alpha > 0`` (increasing) that is ``omega < 0``, and ``omega = -1`` is undefined.
    ``agent`` names the agent whose objective contains the utilities (default: consumer ``i``).
    """
    for label, bad, why in (
        ("alpha", economy.alpha <= 0, "alpha must be > 0 (utility increasing)"),
        ("omega", economy.omega >= 0, "omega >= 0 makes x^(1+omega)/(1+omega) convex (omega > 0) or linear "
                                      "(omega = 0): a first-order point is then no maximum"),
        ("omega", economy.omega == -1, "omega = -1 divides by zero (its limit is log x)"),
    ):
        if np.any(bad):
            i, j = (int(k) for k in np.argwhere(bad)[0])
            value = getattr(economy, label)[i, j]
            who = agent or consumer_name(i)
            raise ModelError(f"{economy.name}: agent '{who}' has a non-concave objective: {label} = {value:g} for "
                             f"consumer {i + 1}, good {j + 1} ({label}[{i}, {j}]); {why}. The source homework's "
                             f"omega = +0.5 is such a case; use alpha > 0 > omega, e.g. omega = -0.5")


def consumer_name(i) -> str:
    """Agent name of consumer ``i`` (0-based array index, 1-based name)."""
    return f"consumer{i + 1}"


# ---------------------------------------------------------------------- Pyomo models
def _allocation_model(economy, name, start) -> pyo.ConcreteModel:
    """Goods ``J = 1..m``, consumers ``I = 1..n``, allocations ``x[i, j] >= 0`` and utilities ``utility[i]``."""
    m = pyo.ConcreteModel(name=name)
    m.I = pyo.RangeSet(economy.n)
    m.J = pyo.RangeSet(economy.m)
    m.x = pyo.Var(m.I, m.J, domain=pyo.NonNegativeReals, initialize=lambda m, i, j: start[i - 1, j - 1])
    a, w = economy.alpha, economy.omega

    def utility(m, i):
        return sum(a[i - 1, j - 1] / (1 + w[i - 1, j - 1]) * m.x[i, j] ** (1 + w[i - 1, j - 1]) for j in m.J)

    m.utility = pyo.Expression(m.I, rule=utility)
    return m


def planner_problem(economy, weights=None) -> EquilibriumProblem:
    """One agent, ``planner``: max ``sum_i lam_i utility[i]`` over ``x`` s.t. ``resource[j]: sum_i x[i, j] <= E_j``."""
    check_concavity(economy, agent="planner")
    lam = economy.weights if weights is None else np.asarray(weights, dtype=float)
    if lam.shape != (economy.n,) or np.any(lam <= 0):
        raise ModelError(f"planner weights must be {economy.n} positive numbers, got {lam}")
    m = _allocation_model(economy, f"planner: {economy.name}", np.tile(economy.total / economy.n, (economy.n, 1)))
    m.welfare = pyo.Objective(expr=sum(lam[i - 1] * m.utility[i] for i in m.I), sense=pyo.maximize)
    m.resource = pyo.Constraint(m.J, rule=lambda m, j: sum(m.x[i, j] for i in m.I) <= economy.total[j - 1])
    problem = EquilibriumProblem(m, name=m.name)
    problem.add_agent("planner", m.welfare, m.x, constraints=m.resource)
    return problem


def equilibrium_problem(economy, normalization="numeraire", numeraire=1) -> EquilibriumProblem:
    """Consumers maximise ``utility[i]`` s.t. ``budget[i]: p . x_i <= p . e_i``; prices ``p[j]`` clear markets.

    ``numeraire`` is a good's 1-based index (``normalization="numeraire"`` only).
    """
    return _equilibrium_problem(economy, normalization, numeraire)[0]


def _equilibrium_problem(economy, normalization, numeraire) -> tuple[EquilibriumProblem, MarketClearing]:
    check_concavity(economy)
    e = economy.endowment
    m = _allocation_model(economy, f"competitive equilibrium: {economy.name}", e)
    m.p = pyo.Var(m.J, domain=pyo.NonNegativeReals)
    m.budget = pyo.Constraint(m.I, rule=lambda m, i: sum(m.p[j] * m.x[i, j] for j in m.J)
                              <= sum(m.p[j] * e[i - 1, j - 1] for j in m.J))
    m.excess = pyo.Expression(m.J, rule=lambda m, j: economy.total[j - 1] - sum(m.x[i, j] for i in m.I))
    problem = EquilibriumProblem(m, name=m.name)
    for i in m.I:
        problem.add_agent(consumer_name(i - 1), m.utility[i], [m.x[i, j] for j in m.J], constraints=m.budget[i],
                          sense="max")
    clearing = add_market_clearing(problem, m.p, m.excess, normalization,
                                   numeraire if normalization == "numeraire" else None)
    return problem, clearing


# ---------------------------------------------------------------------- solving and reading results
def _matrix(solution, var, n, m) -> np.ndarray:
    return np.array([[solution.value(var[i, j]) for j in range(1, m + 1)] for i in range(1, n + 1)])


@dataclass
class PlannerResult:
    """A solved planner problem: allocation ``x`` (n, m) and shadow prices ``q`` (m) = resource multipliers."""

    economy: EndowmentEconomy
    weights: np.ndarray
    problem: EquilibriumProblem
    solution: object
    allocation: np.ndarray = field(init=False)
    shadow_prices: np.ndarray = field(init=False)

    def __post_init__(self):
        m = self.problem.model
        self.allocation = _matrix(self.solution, m.x, self.economy.n, self.economy.m)
        self.shadow_prices = np.array([self.solution.multiplier(m.resource[j]) for j in m.J])

    @property
    def kkt_residual(self) -> float:
        return planner_kkt_residual(self.economy, self.weights, self.allocation, self.shadow_prices)


@dataclass
class EquilibriumResult:
    """A solved competitive equilibrium: prices ``p``, allocation ``x``, marginal utilities of income ``mu``."""

    economy: EndowmentEconomy
    problem: EquilibriumProblem
    clearing: MarketClearing
    solution: object
    prices: np.ndarray = field(init=False)
    allocation: np.ndarray = field(init=False)
    income_multipliers: np.ndarray = field(init=False)

    def __post_init__(self):
        m = self.problem.model
        self.prices = np.array([self.solution.value(m.p[j]) for j in m.J])
        self.allocation = _matrix(self.solution, m.x, self.economy.n, self.economy.m)
        self.income_multipliers = np.array([self.solution.multiplier(m.budget[i]) for i in m.I])

    @property
    def negishi_weights(self) -> np.ndarray:
        """``lam_i = 1 / mu_i``: the planner weights that reproduce this equilibrium."""
        return 1.0 / self.income_multipliers

    @property
    def kkt_residual(self) -> float:
        return equilibrium_kkt_residual(self.economy, self.prices, self.allocation, self.income_multipliers)

    def clearing_table(self) -> pd.DataFrame:
        return clearing_table(self.clearing)


def solve_planner(economy, weights=None, **solve_options) -> PlannerResult:
    """Build and solve the planner problem (``solve_options`` go to :meth:`EquilibriumProblem.solve`)."""
    lam = economy.weights if weights is None else np.asarray(weights, dtype=float)
    problem = planner_problem(economy, lam)
    return PlannerResult(economy, lam, problem, problem.solve(**solve_options))


def solve_equilibrium(economy, normalization="numeraire", numeraire=1, **solve_options) -> EquilibriumResult:
    """Build and solve the competitive equilibrium."""
    problem, clearing = _equilibrium_problem(economy, normalization, numeraire)
    return EquilibriumResult(economy, problem, clearing, problem.solve(**solve_options))


# ---------------------------------------------------------------------- closed forms (numpy)
def solve_log_sum_exp(a, b, target, tol=1e-15, max_iter=100) -> np.ndarray:
    """Per row ``r``: the ``s`` with ``sum_k exp(a[r, k] + b[r, k] s) = target[r]``, all ``b < 0``.

    Newton on ``g(s) = log sum_k exp(a + b s) - log target``, which is convex and decreasing with slope in
    ``[min b, max b]``: after the first step the iterates increase monotonically to the root.
    """
    a, b = np.atleast_2d(a), np.atleast_2d(b)
    s = np.zeros(a.shape[0])
    log_target = np.log(target)
    for _ in range(max_iter):
        c = a + b * s[:, None]
        top = c.max(axis=1, keepdims=True)
        w = np.exp(c - top)
        total = w.sum(axis=1)
        step = (top[:, 0] + np.log(total) - log_target) / ((w * b).sum(axis=1) / total)
        s -= step
        if np.max(np.abs(step)) <= tol * max(1.0, np.max(np.abs(s))):
            break
    return s


def planner_exact(economy, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """The planner's optimum ``(x, q)`` from ``x_ij = (q_j / (lam_i alpha_ij))^(1/omega_ij)``, ``sum_i x_ij = E_j``."""
    check_concavity(economy, agent="planner")
    lam = economy.weights if weights is None else np.asarray(weights, dtype=float)
    b = 1.0 / economy.omega.T                                       # (m, n): good j, consumer i
    a = -np.log(lam[None, :] * economy.alpha.T) * b
    log_q = solve_log_sum_exp(a, b, economy.total)
    q = np.exp(log_q)
    return (q[None, :] / (lam[:, None] * economy.alpha)) ** (1.0 / economy.omega), q


def marshallian_demand(economy, prices, mu) -> np.ndarray:
    """``x_ij = (mu_i p_j / alpha_ij)^(1/omega_ij)``, from ``alpha_ij x_ij^omega_ij = mu_i p_j``."""
    prices, mu = np.asarray(prices, dtype=float), np.asarray(mu, dtype=float)
    return (mu[:, None] * prices[None, :] / economy.alpha) ** (1.0 / economy.omega)


def demand(economy, prices) -> tuple[np.ndarray, np.ndarray]:
    """Marshallian demand ``(x, mu)`` at ``prices > 0``: ``mu_i`` solves ``p . x_i(mu_i) = p . e_i``."""
    check_concavity(economy)
    p = np.asarray(prices, dtype=float)
    b = 1.0 / economy.omega
    a = np.log(p)[None, :] + (np.log(p)[None, :] - np.log(economy.alpha)) * b
    mu = np.exp(solve_log_sum_exp(a, b, economy.endowment @ p))
    return marshallian_demand(economy, p, mu), mu


def excess_demand(economy, prices) -> np.ndarray:
    """``z_j(p) = sum_i x_ij(p) - E_j`` with the correct Marshallian demand (Walras: ``p . z(p) = 0``)."""
    return demand(economy, prices)[0].sum(axis=0) - economy.total


def equilibrium_exact(economy, numeraire=1, tol=1e-12) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reference competitive equilibrium ``(p, x, mu)`` with ``p[numeraire] = 1`` (1-based), without sharedeq.

    Powell's hybrid method (``scipy.optimize.root``, tight tolerances) on the ``m - 1`` excess demands of the
    non-numeraire goods in ``log p``, started at the planner's shadow prices; raises unless every market clears
    to ``tol`` relative to the aggregate endowment.
    """
    k = numeraire - 1
    keep = np.arange(economy.m) != k

    def prices(log_p):
        p = np.ones(economy.m)
        p[keep] = np.exp(log_p)
        return p

    q = planner_exact(economy)[1]
    out = optimize.root(lambda s: excess_demand(economy, prices(s))[keep] / economy.total[keep],
                        np.log(q[keep] / q[k]), method="hybr", options={"xtol": 1e-15})
    p = prices(out.x)
    worst = np.max(np.abs(excess_demand(economy, p)) / economy.total)
    if worst > tol:
        raise ArithmeticError(f"{economy.name}: reference equilibrium not found (relative excess demand "
                              f"{worst:.1e}; {out.message})")
    x, mu = demand(economy, p)
    return p, x, mu


# ---------------------------------------------------------------------- residuals (independent of sharedeq)
def planner_kkt_residual(economy, weights, x, q) -> float:
    """Natural residual of the planner's KKT system at ``(x, q)``.

    ``q_j - lam_i alpha_ij x_ij^omega_ij _|_ x_ij >= 0`` and ``E_j - sum_i x_ij _|_ q_j >= 0``.
    """
    x, q = np.asarray(x, dtype=float), np.asarray(q, dtype=float)
    marginal = np.asarray(weights)[:, None] * economy.alpha * np.maximum(x, 1e-300) ** economy.omega
    stationarity = np.abs(np.minimum(x, q[None, :] - marginal))
    resource = np.abs(np.minimum(q, economy.total - x.sum(axis=0)))
    return float(max(stationarity.max(), resource.max()))


def equilibrium_kkt_residual(economy, prices, x, mu) -> float:
    """Natural residual of every consumer's KKT conditions and of market clearing at ``(p, x, mu)``.

    ``mu_i p_j - alpha_ij x_ij^omega_ij _|_ x_ij >= 0``, ``p . (e_i - x_i) _|_ mu_i >= 0``,
    ``E_j - sum_i x_ij _|_ p_j >= 0`` (every market, the numeraire's included).
    """
    p, x, mu = (np.asarray(v, dtype=float) for v in (prices, x, mu))
    marginal = economy.alpha * np.maximum(x, 1e-300) ** economy.omega
    stationarity = np.abs(np.minimum(x, mu[:, None] * p[None, :] - marginal))
    budget = np.abs(np.minimum(mu, (economy.endowment - x) @ p))
    market = np.abs(np.minimum(p, economy.total - x.sum(axis=0)))
    return float(max(stationarity.max(), budget.max(), market.max()))


# ---------------------------------------------------------------------- welfare theorems
@dataclass
class WelfareCheck:
    """A competitive equilibrium and the planner with its Negishi weights ``lam_i = 1 / mu_i``."""

    equilibrium: EquilibriumResult
    planner: PlannerResult

    def table(self) -> pd.DataFrame:
        """Largest absolute differences of the identities the welfare theorems predict (all ~0)."""
        ce, pl = self.equilibrium, self.planner
        marshall = marshallian_demand(ce.economy, ce.prices, ce.income_multipliers)
        rows = {
            "allocation: planner(Negishi) - CE": np.abs(pl.allocation - ce.allocation).max(),
            "prices: planner shadow - CE": np.abs(pl.shadow_prices - ce.prices).max(),
            "Marshallian (mu p / alpha)^(1/omega) - CE x": np.abs(marshall - ce.allocation).max(),
            "budget: p . x_i - p . e_i": np.abs((ce.allocation - ce.economy.endowment) @ ce.prices).max(),
            "CE KKT residual": ce.kkt_residual,
            "planner KKT residual": pl.kkt_residual,
        }
        return pd.DataFrame({"max |difference|": rows}).rename_axis("identity")


def welfare_check(economy, normalization="numeraire", numeraire=1, **solve_options) -> WelfareCheck:
    """Solve the CE, then the planner with ``lam = 1 / mu``; compare allocations and prices."""
    ce = solve_equilibrium(economy, normalization, numeraire, **solve_options)
    return WelfareCheck(ce, solve_planner(economy, ce.negishi_weights, **solve_options))
