"""Linear Fisher markets: the Eisenberg-Gale program, the DPSV flow algorithm, the max-flow certificate.

A linear Fisher market has buyers i = 1..n with budgets e_i > 0 and goods j = 1..m with supplies s_j > 0;
buyer i gets utility u_ij >= 0 per unit of good j.  Prices p > 0 are *equilibrium prices* when there is an
allocation x >= 0 with

* market clearing: sum_i x_ij = s_j for every good j,
* budget exhaustion: sum_j p_j x_ij = e_i for every buyer i,
* optimal bundles: x_ij > 0 only if u_ij / p_j = alpha_i := max_k u_ik / p_k (maximum bang per buck, MBB).

Three ways to compute them are provided, plus an exact check:

* :func:`fisher_problem` writes the market itself as a sharedeq equilibrium problem: buyer i is an agent with
  the LP  max u_i . x_i  s.t.  p . x_i <= e_i,  x_i >= 0  (the prices are not its variables), and the markets
  clear by  s_j - sum_i x_ij >= 0 _|_ p_j >= 0.  Money budgets fix the price level (no normalisation);
  :func:`solve_fisher_equilibrium` solves it with :meth:`sharedeq.EquilibriumProblem.solve`.
* :func:`eisenberg_gale` solves the Eisenberg-Gale program with Ipopt; the prices are the multipliers of
  the supply constraints (its KKT conditions are exactly the three conditions above), optionally polished
  onto the equality graph they imply and certified by max flow.
* :func:`dpsv` is the combinatorial primal-dual algorithm of Devanur, Papadimitriou, Saberi and Vazirani
  (J. ACM 55(5), 2008) in exact rational arithmetic.
* :func:`max_flow_certificate` checks the characterisation used by DPSV: p is an equilibrium iff in the
  equality network N(p) both ({s}, rest) and (rest, {t}) are minimum cuts.
"""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

import casadi as ca
import networkx as nx
import numpy as np
import pandas as pd
import pyomo.environ as pyo
import scipy.sparse as sp
from scipy.sparse import csgraph

from sharedeq.markets.clearing import add_market_clearing
from sharedeq.problem import EquilibriumProblem

__all__ = [
    "DPSVError",
    "EquilibriumResiduals",
    "FisherMarket",
    "FisherResult",
    "FisherTables",
    "FlowCertificate",
    "dpsv",
    "eisenberg_gale",
    "equilibrium_residuals",
    "fisher_problem",
    "fisher_tables",
    "max_flow_certificate",
    "solve_fisher_equilibrium",
]


# ---------------------------------------------------------------------------------------------------------
# The market
# ---------------------------------------------------------------------------------------------------------


def _numeric_array(name: str, values, ndim: int) -> np.ndarray:
    """Numbers as an int/float array, or an object array when they include Fractions."""
    arr = np.asarray(values)
    if arr.dtype == object:
        bad = next((v for v in arr.flat if not isinstance(v, numbers.Real) or isinstance(v, bool)), None)
        if bad is not None:
            raise TypeError(f"{name} must contain real numbers, found {bad!r} ({type(bad).__name__})")
    elif arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must contain real numbers, got an array of dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    return arr


def _first_bad(name: str, arr: np.ndarray, ok: np.ndarray, need: str) -> None:
    """Raise naming the first entry of ``arr`` where ``ok`` is False."""
    bad = np.argwhere(~np.asarray(ok, dtype=bool))
    if len(bad):
        idx = tuple(int(k) for k in bad[0])
        raise ValueError(f"{name}[{', '.join(map(str, idx))}] = {arr[idx]} must be {need}")


def _finite(arr: np.ndarray) -> np.ndarray:
    return np.asarray((arr == arr) & (np.abs(arr) != np.inf), dtype=bool)


def _exact(v) -> Fraction:
    """A number as a Fraction with Python-int parts (floats convert exactly, numpy ints lose their width)."""
    if isinstance(v, numbers.Rational):
        return Fraction(int(v.numerator), int(v.denominator))
    return Fraction(float(v))


_to_fractions = np.vectorize(_exact, otypes=[object])


@dataclass(frozen=True, eq=False)
class FisherMarket:
    """Linear Fisher market: utilities U (n x m, u_ij >= 0), budgets e (n, > 0), supplies s (m, > 0).

    Every buyer must like some good and every good must be liked by some buyer (otherwise equilibrium
    prices are not all positive).  Lists, numpy arrays and Fractions are accepted; Fractions are kept
    (object arrays) so that :func:`dpsv` and :func:`equilibrium_residuals` can work exactly.
    """

    utilities: np.ndarray
    budgets: np.ndarray
    supplies: np.ndarray | None = None

    def __post_init__(self):
        U = _numeric_array("U", self.utilities, 2)
        n, m = U.shape
        if n == 0 or m == 0:
            raise ValueError(f"U needs at least one buyer (row) and one good (column), got shape {U.shape}")
        e = _numeric_array("budgets", self.budgets, 1)
        s = _numeric_array("supplies", np.ones(m, dtype=int) if self.supplies is None else self.supplies, 1)
        for name, arr, size, what in (("budgets", e, n, "buyer (row of U)"), ("supplies", s, m, "good")):
            if arr.shape != (size,):
                raise ValueError(f"{name} has shape {arr.shape}, expected ({size},): one per {what}")
        _first_bad("U", U, _finite(U) & np.asarray(U >= 0, dtype=bool), "a finite nonnegative number")
        _first_bad("budgets", e, _finite(e) & np.asarray(e > 0, dtype=bool), "a finite positive number")
        _first_bad("supplies", s, _finite(s) & np.asarray(s > 0, dtype=bool), "a finite positive number")
        liked = np.asarray(U > 0, dtype=bool)
        if not liked.any(axis=1).all():
            i = np.flatnonzero(~liked.any(axis=1))[0]
            raise ValueError(f"buyer {i} likes no good: U[{i}, :] is all zero")
        if not liked.any(axis=0).all():
            j = np.flatnonzero(~liked.any(axis=0))[0]
            raise ValueError(f"good {j} is liked by no buyer: U[:, {j}] is all zero (its price would be 0)")
        object.__setattr__(self, "utilities", U)
        object.__setattr__(self, "budgets", e)
        object.__setattr__(self, "supplies", s)

    @property
    def n_buyers(self) -> int:
        return self.utilities.shape[0]

    @property
    def n_goods(self) -> int:
        return self.utilities.shape[1]

    def exact(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(U, e, s) as object arrays of Fractions."""
        return _to_fractions(self.utilities), _to_fractions(self.budgets), _to_fractions(self.supplies)

    def floats(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(U, e, s) as float arrays."""
        return tuple(np.asarray(a, dtype=float) for a in (self.utilities, self.budgets, self.supplies))

    @classmethod
    def random(
        cls,
        n_buyers: int,
        n_goods: int,
        seed=None,
        density: float = 0.5,
        max_utility: int = 10,
        max_budget: int = 10,
        max_supply: int = 1,
    ) -> FisherMarket:
        """Seeded market with integer data: u_ij in {1..max_utility} with probability ``density``, else 0;
        e_i in {1..max_budget}; s_j in {1..max_supply}.  A zero row or column gets one positive entry."""
        if not 0 < density <= 1:
            raise ValueError(f"density must be in (0, 1], got {density}")
        rng = np.random.default_rng(seed)
        shape = (n_buyers, n_goods)
        U = rng.integers(1, max_utility + 1, shape) * (rng.random(shape) < density)
        rows = np.flatnonzero(U.sum(axis=1) == 0)
        U[rows, rng.integers(n_goods, size=rows.size)] = rng.integers(1, max_utility + 1, rows.size)
        cols = np.flatnonzero(U.sum(axis=0) == 0)
        U[rng.integers(n_buyers, size=cols.size), cols] = rng.integers(1, max_utility + 1, cols.size)
        budgets = rng.integers(1, max_budget + 1, n_buyers)
        return cls(U, budgets, rng.integers(1, max_supply + 1, n_goods))


# ---------------------------------------------------------------------------------------------------------
# Equilibrium conditions and results
# ---------------------------------------------------------------------------------------------------------


def _is_exact(*arrays) -> bool:
    """True when every entry is rational (ints, Fractions): then residuals are computed exactly."""
    for a in arrays:
        arr = np.asarray(a)
        if arr.dtype.kind in "iu":
            continue
        if arr.dtype != object or not all(isinstance(v, numbers.Rational) for v in arr.flat):
            return False
    return True


def _data(market: FisherMarket, *values) -> tuple:
    """Market data and ``values`` as Fraction arrays if all are rational, else as float arrays."""
    if _is_exact(market.utilities, market.budgets, market.supplies, *values):
        return (*market.exact(), *(_to_fractions(np.asarray(v)) for v in values))
    return (*market.floats(), *(np.asarray(v, dtype=float) for v in values))


def _check_prices(prices: np.ndarray, m: int) -> None:
    if prices.shape != (m,):
        raise ValueError(f"prices has shape {prices.shape}, expected ({m},): one per good")
    _first_bad("prices", prices, np.asarray(prices > 0, dtype=bool), "positive")


@dataclass(frozen=True)
class EquilibriumResiduals:
    """Relative violations of the equilibrium conditions (all 0 exactly at an equilibrium).

    clearing = max_j |sum_i x_ij - s_j| / s_j;  budget = max_i |sum_j p_j x_ij - e_i| / e_i;
    mbb = max_i sum_j p_j x_ij (1 - u_ij / (p_j alpha_i)) / e_i, the share of utility buyer i loses by
    spending on goods that are not maximum bang per buck.  Together they are the KKT conditions of EG.
    """

    clearing: numbers.Real
    budget: numbers.Real
    mbb: numbers.Real

    @property
    def max(self) -> numbers.Real:
        return max(self.clearing, self.budget, self.mbb)


def equilibrium_residuals(market: FisherMarket, prices, allocation) -> EquilibriumResiduals:
    """Residuals of the equilibrium conditions for prices p (m,) and allocation x (n x m).

    Exact (Fractions) when p and x are rational, floats otherwise.
    """
    U, e, s, p, x = _data(market, prices, allocation)
    _check_prices(p, market.n_goods)
    if x.shape != U.shape:
        raise ValueError(f"allocation has shape {x.shape}, expected {U.shape} (buyers x goods)")
    money = x * p
    bang = U / p
    alpha = bang.max(axis=1)
    off_mbb = (money * (1 - bang / alpha[:, None])).sum(axis=1)
    return EquilibriumResiduals(
        clearing=np.max(np.abs(x.sum(axis=0) - s) / s),
        budget=np.max(np.abs(money.sum(axis=1) - e) / e),
        mbb=np.max(off_mbb / e),
    )


@dataclass(frozen=True, eq=False)
class FisherResult:
    """Equilibrium prices p (m,), allocation x (n x m) and diagnostics of one solve.

    ``iterations`` counts Ipopt iterations (EG, sharedeq) or price-raising steps (DPSV); ``phases`` counts DPSV
    phases; ``solution`` is the :class:`sharedeq.Solution` of :func:`solve_fisher_equilibrium` (else None).
    """

    market: FisherMarket
    method: str
    prices: np.ndarray
    allocation: np.ndarray
    residuals: EquilibriumResiduals
    iterations: int
    time: float
    status: str
    success: bool
    phases: int = 0
    solution: object = None

    @property
    def utilities(self) -> np.ndarray:
        """u_i(x_i) = sum_j u_ij x_ij."""
        return (self.market.utilities * self.allocation).sum(axis=1)

    @property
    def spending(self) -> np.ndarray:
        """sum_j p_j x_ij per buyer."""
        return (self.allocation * self.prices).sum(axis=1)

    def tables(self) -> FisherTables:
        return fisher_tables(self.market, self.prices, self.allocation)


# ---------------------------------------------------------------------------------------------------------
# Eisenberg-Gale with Ipopt
# ---------------------------------------------------------------------------------------------------------


def eisenberg_gale(
    market: FisherMarket,
    *,
    tol: float = 1e-10,
    max_iter: int = 1000,
    polish: bool = True,
    ipopt_options: dict | None = None,
) -> FisherResult:
    """Solve the Eisenberg-Gale program with casadi's bundled Ipopt.

    max sum_i e_i log t_i  s.t.  t_i = sum_j u_ij x_ij,  sum_i x_ij <= s_j,  x >= 0,
    with one variable x_ij per u_ij > 0 (sparse, built from constant sparse matrices in casadi MX).  The
    auxiliary utilities t keep the Hessian of the Lagrangian diagonal.  Prices are the multipliers of the
    supply rows.  ``tol`` is passed to Ipopt's tol, constr_viol_tol, dual_inf_tol and compl_inf_tol.

    Accuracy: the residuals reach about ``tol``.  At a degenerate equilibrium (a buyer has an MBB edge to a
    good it buys none of) interior-point iterates approach it like sqrt(mu), so the multipliers can be off
    by ~1e-5 (relative) at tol=1e-10 although the residuals are ~1e-10.  ``polish`` therefore snaps them to
    the prices implied by their near-MBB graph and, if max flow certifies those (relative tolerance 1e-9),
    returns them with a max-flow allocation (status says so); otherwise the Ipopt point is kept.
    """
    start = time.perf_counter()
    U, e, s = market.floats()
    n, m = U.shape
    buyer, good = np.nonzero(U)
    k = buyer.size
    util = sp.csc_matrix((U[buyer, good], (buyer, np.arange(k))), shape=(n, k))  # t = util @ x
    supply = sp.csc_matrix((np.ones(k), (good, np.arange(k))), shape=(m, k))  # sold = supply @ x
    x, t = ca.MX.sym("x", k), ca.MX.sym("t", n)
    nlp = {
        "x": ca.vertcat(x, t),
        "f": -ca.dot(ca.DM(e), ca.log(t)),
        "g": ca.vertcat(ca.mtimes(ca.DM(supply), x), ca.mtimes(ca.DM(util), x) - t),
    }
    options = {f"ipopt.{name}": tol for name in ("tol", "constr_viol_tol", "compl_inf_tol", "dual_inf_tol")}
    # bound_relax_factor=0: Ipopt must not relax x >= 0, else projecting x back at the end breaks clearing
    options.update({"ipopt.max_iter": max_iter, "ipopt.bound_relax_factor": 0.0, "ipopt.print_level": 0,
                    "ipopt.sb": "yes"}, print_time=False)
    solver = ca.nlpsol("eisenberg_gale", "ipopt", nlp, {**options, **(ipopt_options or {})})
    x0 = s[good] / np.bincount(good, minlength=m)[good]  # split every supply evenly among its admirers
    sol = solver(
        x0=np.concatenate([x0, util @ x0]),
        lbx=0,
        lbg=np.concatenate([np.full(m, -np.inf), np.zeros(n)]),
        ubg=np.concatenate([s, np.zeros(n)]),
    )
    stats = solver.stats()
    prices = np.asarray(sol["lam_g"]).ravel()[:m]
    allocation = np.zeros((n, m))
    allocation[buyer, good] = np.asarray(sol["x"]).ravel()[:k]
    status = stats["return_status"]
    polished = _polish(U, e, s, prices) if polish else None
    if polished is not None:
        (prices, allocation), status = polished, f"{status}; polished and certified by max flow"
    elif polish:
        status = f"{status}; polish not certified, Ipopt point kept"
    return FisherResult(
        market=market,
        method="eisenberg_gale",
        prices=prices,
        allocation=allocation,
        residuals=equilibrium_residuals(market, prices, allocation),
        iterations=int(stats["iter_count"]),
        time=time.perf_counter() - start,
        status=status,
        success=bool(stats["success"]) or polished is not None,
    )


# ---------------------------------------------------------------------------------------------------------
# The market as a sharedeq equilibrium problem
# ---------------------------------------------------------------------------------------------------------


def fisher_problem(market: FisherMarket) -> EquilibriumProblem:
    """The linear Fisher market as an equilibrium problem: buyers are LP agents, prices clear the markets.

    Model (0-based indices as in ``market``): ``x[i, j] >= 0`` for every ``u_ij > 0``, ``p[j] >= 0``,
    ``utility[i] = sum_j u_ij x[i, j]``, ``budget[i]: sum_j p[j] x[i, j] <= e_i``, ``excess[j] = s_j - sum_i
    x[i, j]``.  Agent ``buyer<i>`` maximises ``utility[i]`` over its ``x[i, :]`` subject to ``budget[i]``;
    its KKT conditions are ``mu_i p_j - u_ij >= 0 _|_ x_ij >= 0`` and ``e_i - p . x_i >= 0 _|_ mu_i >= 0``,
    so ``mu_i = alpha_i`` (bang per buck) and money goes only to MBB goods.  Markets clear by
    ``excess[j] _|_ p[j] >= 0`` without a normalisation (:func:`add_market_clearing` with ``None``): budgets
    in money are not homogeneous in ``p``, and ``sum_j p_j s_j = sum_i e_i`` fixes the level.

    Start: each buyer spends ``e_i u_ij / sum_k u_ik`` on good ``j``; ``p_j`` = money spent on ``j`` / ``s_j``
    and ``x_ij`` = spending / ``p_j``, so budgets bind and markets clear and only the MBB conditions are off.
    """
    U, e, s = market.floats()
    n, m = U.shape
    buyer, good = np.nonzero(U)
    spend = np.zeros((n, m))
    spend[buyer, good] = e[buyer] * U[buyer, good] / U.sum(axis=1)[buyer]
    p0 = spend.sum(axis=0) / s
    x0 = spend / p0
    goods_of = [g.tolist() for g in np.split(good, np.cumsum(np.bincount(buyer, minlength=n))[:-1])]
    by_good = np.argsort(good, kind="stable")
    buyers_of = [b.tolist() for b in np.split(buyer[by_good], np.cumsum(np.bincount(good, minlength=m))[:-1])]
    model = pyo.ConcreteModel(name=f"linear Fisher market, {n} buyers x {m} goods")
    model.I, model.J = pyo.RangeSet(0, n - 1), pyo.RangeSet(0, m - 1)
    model.pairs = pyo.Set(initialize=list(zip(buyer.tolist(), good.tolist(), strict=True)), dimen=2, ordered=True)
    model.x = pyo.Var(model.pairs, domain=pyo.NonNegativeReals, initialize=lambda _, i, j: x0[i, j])
    model.p = pyo.Var(model.J, domain=pyo.NonNegativeReals, initialize=lambda _, j: p0[j])
    model.utility = pyo.Expression(model.I, rule=lambda mo, i: sum(U[i, j] * mo.x[i, j] for j in goods_of[i]))
    model.budget = pyo.Constraint(model.I, rule=lambda mo, i: sum(mo.p[j] * mo.x[i, j] for j in goods_of[i]) <= e[i])
    model.excess = pyo.Expression(model.J, rule=lambda mo, j: s[j] - sum(mo.x[i, j] for i in buyers_of[j]))
    problem = EquilibriumProblem(model, name=model.name)
    for i in model.I:
        problem.add_agent(f"buyer{i}", model.utility[i], [model.x[i, j] for j in goods_of[i]],
                          constraints=model.budget[i], sense="max")
    add_market_clearing(problem, model.p, model.excess, normalization=None)
    return problem


def solve_fisher_equilibrium(market: FisherMarket, **solve_options) -> FisherResult:
    """Build :func:`fisher_problem` and solve it (``solve_options`` go to :meth:`EquilibriumProblem.solve`).

    Prices are the values of ``p``; the budget multipliers are the buyers' bang per buck ``alpha_i``.
    """
    start = time.perf_counter()
    problem = fisher_problem(market)
    solution = problem.solve(**solve_options)
    model = problem.model
    prices = np.array([solution.value(model.p[j]) for j in model.J])
    allocation = np.zeros((market.n_buyers, market.n_goods))
    for (i, j), var in model.x.items():
        allocation[i, j] = solution.value(var)
    return FisherResult(
        market=market,
        method="sharedeq",
        prices=prices,
        allocation=allocation,
        # p = 0 is possible only off equilibrium (unconverged); the residuals need p > 0
        residuals=equilibrium_residuals(market, np.maximum(prices, np.finfo(float).tiny), allocation),
        iterations=solution.iterations,
        time=time.perf_counter() - start,
        status=solution.message,
        success=bool(solution.converged),
        solution=solution,
    )


# ---------------------------------------------------------------------------------------------------------
# Equality networks and max flow
#
# networkx's max-flow routines are exact with Fraction capacities (they only add, subtract and compare;
# an edge without a capacity is infinite and becomes 3 x the sum of the finite capacities, still a
# Fraction), so they serve both the exact DPSV algorithm and float certificates.  preflow_push is about
# 10x faster than edmonds_karp on a 1000 x 500 market.  Nodes: "s", "t", ("g", j) for goods and
# ("b", i) for buyers; money flows s -> good -> buyer -> t.
# ---------------------------------------------------------------------------------------------------------


def _equality_edges(U: np.ndarray, p: np.ndarray, tol=0) -> list[tuple[int, int]]:
    """Edges (j, i) with u_ij > 0 and u_ij / p_j >= (1 - tol) alpha_i, alpha_i = max_k u_ik / p_k."""
    bang = U / p
    alpha = bang.max(axis=1)
    mask = np.asarray((U > 0) & (bang >= alpha[:, None] * (1 - tol)), dtype=bool)
    return [(int(j), int(i)) for i, j in np.argwhere(mask)]


def _max_flow(good_cap: dict, buyer_cap: dict, edges) -> nx.DiGraph:
    """Residual network of a max flow: s -> j (good_cap[j]), j -> i (infinite), i -> t (buyer_cap[i])."""
    G = nx.DiGraph()
    G.add_nodes_from(["s", "t"])
    G.add_edges_from(("s", ("g", j), {"capacity": c}) for j, c in good_cap.items())
    G.add_edges_from((("b", i), "t", {"capacity": c}) for i, c in buyer_cap.items())
    G.add_edges_from((("g", j), ("b", i)) for j, i in edges)
    return nx.flow.preflow_push(G, "s", "t")


def _residual_side(R: nx.DiGraph, root: str, slack=0) -> set:
    """Nodes reachable from s (root="s") or reaching t (root="t") along residual capacity > slack."""
    forward = root == "s"
    seen, stack = {root}, [root]
    while stack:
        v = stack.pop()
        for w in R.successors(v) if forward else R.predecessors(v):
            a, b = (v, w) if forward else (w, v)
            if w not in seen and R[a][b]["capacity"] - R[a][b]["flow"] > slack:
                seen.add(w)
                stack.append(w)
    return seen


def _edge_flows(R: nx.DiGraph, edges) -> dict:
    return {(j, i): R[("g", j)][("b", i)]["flow"] for j, i in edges}


# ---------------------------------------------------------------------------------------------------------
# DPSV
# ---------------------------------------------------------------------------------------------------------


class DPSVError(RuntimeError):
    """The DPSV iteration limit was reached."""


def _levelled(money: dict, total) -> dict:
    """c_i = max(0, m_i - D) with D >= 0 chosen so that sum_i c_i = total (needs total <= sum_i m_i)."""
    levels = sorted(money.values(), reverse=True)
    acc = 0
    for k, level in enumerate(levels, 1):
        acc += level
        cut = (acc - total) / k
        if k == len(levels) or cut >= levels[k]:
            break
    return {i: max(level - cut, 0) for i, level in money.items()}


def _balanced_flow(goods: set, buyers: set, edges: list, p: dict, money) -> dict:
    """Max flow in N(p) restricted to goods/buyers minimising ||surplus||_2 (DPSV Sec. 6; notes Sec. 3.3).

    Lower all buyer capacities by a common D until sum_i c_i = p(A); if (rest, {t}) is then a min cut the
    max flow is balanced, else split along the maximal min cut (S, T) and recurse on both sides with the
    original capacities (edges from T-goods to S-buyers carry no flow and are dropped).
    """
    if not goods:
        return {}
    levelled = _levelled({i: money[i] for i in buyers}, sum(p[j] for j in goods))
    R = _max_flow({j: p[j] for j in goods}, levelled, edges)
    sink_side = _residual_side(R, "t")
    if sink_side == {"t"}:
        return _edge_flows(R, edges)
    flows = {}
    for inside in (False, True):
        part_goods = {j for j in goods if (("g", j) in sink_side) == inside}
        part_buyers = {i for i in buyers if (("b", i) in sink_side) == inside}
        part_edges = [(j, i) for j, i in edges if j in part_goods and i in part_buyers]
        flows.update(_balanced_flow(part_goods, part_buyers, part_edges, p, money))
    return flows


def _surplus(money, flows: dict) -> list:
    """gamma_i = m_i - (money buyer i spends in the flow)."""
    spent = [0] * len(money)
    for (_, i), f in flows.items():
        spent[i] += f
    return [m_i - f_i for m_i, f_i in zip(money, spent, strict=True)]


def _tight_factor(J: set, I: set, edges: list, p: dict, money) -> Fraction:
    """x* = min over nonempty S in J of m(Gamma(S) & I) / p(S): raising p_J by x* makes a subset tight.

    Start from x = m(I) / p(J); while the min cut of the network with capacities x p_j is not ({s}, rest),
    its source-side goods S satisfy m(Gamma(S)) < x p(S), so set x = m(Gamma(S)) / p(S) (strictly smaller).
    """
    sub = [(j, i) for j, i in edges if j in J and i in I]
    x = sum(money[i] for i in I) / sum(p[j] for j in J)
    while True:
        R = _max_flow({j: x * p[j] for j in J}, {i: money[i] for i in I}, sub)
        if R.graph["flow_value"] == x * sum(p[j] for j in J):
            return x
        S = {j for j in J if ("g", j) in _residual_side(R, "s")}
        x = sum(money[i] for i in {i for j, i in sub if j in S}) / sum(p[j] for j in S)


def _edge_factor(U: np.ndarray, p: dict, I: set, J: set):
    """Smallest x making a new MBB edge (i, j), i in I, j not in J, once p_J -> x p_J (None if none)."""
    m = U.shape[1]
    alpha = {i: max(U[i, j] / p[j] for j in range(m)) for i in I}
    factors = [alpha[i] * p[j] / U[i, j] for i in I for j in range(m) if j not in J and U[i, j] > 0]
    return min(factors, default=None)


def _initial_prices(U: np.ndarray, e: np.ndarray) -> dict:
    """Start from p_j = min_i e_i / m, compute alpha_i there, and set p_j = max_i u_ij / alpha_i.

    The second step only lowers goods without an MBB buyer (for the others it is p_j) and gives each of
    them one.  Then p(A) <= min_i e_i and every good has an edge, so p(S) <= m(Gamma(S)) for all S.
    """
    m = U.shape[1]
    alpha = (U / (min(e) / m)).max(axis=1)
    return dict(enumerate((U / alpha[:, None]).max(axis=0)))


def _reaching(I: set, edges: list, flows: dict) -> set:
    """Buyers with a path to I in the residual graph of the goods-buyers part (b -> j if f_jb > 0, j -> i)."""
    reach, grew = set(I), True
    while grew:
        goods = {j for j, i in edges if i in reach}
        new = {i for (j, i), f in flows.items() if f > 0 and j in goods} - reach
        reach |= new
        grew = bool(new)
    return reach


def _balanced_state(U: np.ndarray, e: np.ndarray, p: dict) -> tuple[list, dict, list]:
    """Equality edges of N(p), a balanced flow in it, and the buyers' surpluses."""
    n, m = U.shape
    edges = _equality_edges(U, np.array([p[j] for j in range(m)], dtype=object))
    flows = _balanced_flow(set(range(m)), set(range(n)), edges, p, e)
    return edges, flows, _surplus(e, flows)


def dpsv(market: FisherMarket, *, max_iterations: int = 100_000) -> FisherResult:
    """Equilibrium of a linear Fisher market by the DPSV primal-dual algorithm, exactly (Fractions).

    Goods are first rescaled to unit supply (u_ij s_j, price p_j s_j).  Invariant: ({s}, rest) is a min cut
    of the equality network N(p), i.e. p(S) <= m(Gamma(S)) for every set S of goods, so prices never exceed
    the equilibrium.  Each phase computes a balanced flow, takes the buyers I of maximum surplus and their
    goods J = Gamma(I), and raises p_J by the largest common factor x until a subset of J goes tight (the
    phase ends) or a new MBB edge (i in I, j outside J) appears; then a new balanced flow is computed, I
    grows by every buyer that reaches I in the residual graph, and the raise continues.  It stops when all
    surpluses are 0, i.e. (rest, {t}) is a min cut too; money flows f_ij give x_ij = f_ij / p_j.

    This is the balanced-flow version of the paper (polynomially many phases); the equality graph is
    recomputed from the current prices after every raise instead of being updated edge by edge.
    """
    start = time.perf_counter()
    U0, e, s = market.exact()
    U = U0 * s  # unit supplies
    n, m = U.shape
    p = _initial_prices(U, e)
    edges, flows, surplus = _balanced_state(U, e, p)
    phases = iterations = 0
    I = None  # buyers whose goods are being raised; None between phases
    while max(surplus) > 0:
        if I is None:
            phases += 1
            I = {i for i in range(n) if surplus[i] == max(surplus)}
        iterations += 1
        if iterations > max_iterations:
            raise DPSVError(f"dpsv did not finish in {max_iterations} price raises")
        J = {j for j, i in edges if i in I}
        x_tight, x_edge = _tight_factor(J, I, edges, p, e), _edge_factor(U, p, I, J)
        x = x_tight if x_edge is None else min(x_tight, x_edge)
        p.update({j: x * p[j] for j in J})
        edges, flows, surplus = _balanced_state(U, e, p)
        I = None if x == x_tight else _reaching(I, edges, flows)
    prices = np.array([p[j] / s[j] for j in range(m)], dtype=object)
    allocation = np.full((n, m), Fraction(0), dtype=object)
    for (j, i), f in flows.items():
        allocation[i, j] = f / p[j] * s[j]
    return FisherResult(
        market=market,
        method="dpsv",
        prices=prices,
        allocation=allocation,
        residuals=equilibrium_residuals(market, prices, allocation),
        iterations=iterations,
        time=time.perf_counter() - start,
        status="exact equilibrium",
        success=True,
        phases=phases,
    )


# ---------------------------------------------------------------------------------------------------------
# Max-flow certificate
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlowCertificate:
    """Outcome of the max-flow test: max flow in N(p) against the cuts ({s}, rest) and (rest, {t})."""

    is_equilibrium: bool
    max_flow: numbers.Real
    source_cut: numbers.Real  # sum_j p_j s_j, the value of all goods
    sink_cut: numbers.Real  # sum_i e_i, all the money
    reason: str


def max_flow_certificate(market: FisherMarket, prices, *, tol: float = 1e-7) -> FlowCertificate:
    """Test prices p by the max-flow characterisation (DPSV Lemma; notes Lemma 3).

    N(p): s -> good j with capacity p_j s_j, j -> i on MBB edges (infinite), buyer i -> t with capacity e_i.
    p is an equilibrium iff max flow = sum_j p_j s_j = sum_i e_i.  Exact when p and the market data are
    rational; otherwise an edge is MBB when u_ij / p_j >= (1 - tol) alpha_i and flows and cuts are compared
    with relative tolerance tol.
    """
    U, e, s, p = _data(market, prices)
    _check_prices(p, market.n_goods)
    slack = 0 if p.dtype == object else tol
    edges, R = _flow_network(U, e, s, p, slack)
    flow, source, sink = R.graph["flow_value"], sum(p * s), sum(e)
    reasons = []
    if flow < source * (1 - slack):
        over = sorted(j for j in range(len(p)) if ("g", j) in _residual_side(R, "s", slack * source))
        reasons.append(f"goods {over} are overpriced: max flow {flow} < value of goods {source}, so "
                       "({s}, rest) is not a minimum cut (their buyers cannot afford them)")
    if flow < sink * (1 - slack):
        surplus = _surplus(e, _edge_flows(R, edges))
        left = [i for i, g in enumerate(surplus) if g > slack * e[i]]
        reasons.append(f"buyers {left} cannot spend all their money: max flow {flow} < total budget {sink}, "
                       "so (rest, {t}) is not a minimum cut (the goods they want are underpriced)")
    ok = not reasons
    if ok:
        reasons.append(f"max flow {flow} = value of goods {source} = total budget {sink}: "
                       "({s}, rest) and (rest, {t}) are both minimum cuts")
    return FlowCertificate(ok, flow, source, sink, "; ".join(reasons))


def _flow_network(U, e, s, p, tol) -> tuple[list, nx.DiGraph]:
    """Equality edges of N(p) (relative tolerance tol) and the residual network of a max flow in N(p)."""
    edges = _equality_edges(U, p, tol)
    return edges, _max_flow(dict(enumerate(p * s)), dict(enumerate(e)), edges)


def _snap_prices(U, e, s, p, tol) -> np.ndarray:
    """Prices implied by the near-MBB graph of p (edges u_ij / p_j >= (1 - tol) alpha_i).

    Along its edges p_k / p_j = u_ik / u_ij, which fixes the price ratios in each connected component C;
    at equilibrium money stays inside C, which fixes the scale: sum_{j in C} p_j s_j = sum_{i in C} e_i.
    Goods are nodes 0..m-1 and buyers m..m+n-1; a component without buyers gets price 0.
    """
    n, m = U.shape
    goods, buyers = np.array(_equality_edges(U, p, tol)).T
    graph = sp.coo_matrix((np.ones(goods.size), (goods, m + buyers)), shape=(m + n, m + n))
    _, label = csgraph.connected_components(graph, directed=False)
    snapped, alpha = np.ones(m), np.ones(n)
    for root in np.unique(label, return_index=True)[1]:  # lowest node of each component: a good
        order, parent = csgraph.breadth_first_order(graph, root, directed=False)
        for v in order[1:]:
            if v < m:
                snapped[v] = U[parent[v] - m, v] / alpha[parent[v] - m]
            else:
                alpha[v - m] = U[v - m, parent[v]] / snapped[parent[v]]
        in_goods, in_buyers = order[order < m], order[order >= m] - m
        snapped[in_goods] *= e[in_buyers].sum() / (snapped[in_goods] * s[in_goods]).sum()
    return snapped


def _polish(U, e, s, p, snap_tol: float = 1e-4, tol: float = 1e-9):
    """(prices, allocation) snapped from p and certified by max flow (x_ij = f_ij / p_j), or None."""
    q = _snap_prices(U, e, s, p, snap_tol)
    if not (q > 0).all():
        return None
    edges, R = _flow_network(U, e, s, q, tol)
    if R.graph["flow_value"] < (1 - tol) * max((q * s).sum(), e.sum()):
        return None
    allocation = np.zeros(U.shape)
    for (j, i), f in _edge_flows(R, edges).items():
        allocation[i, j] = f / q[j]
    return q, allocation


# ---------------------------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------------------------


class FisherTables(NamedTuple):
    prices: pd.DataFrame  # per good: price, supply, sold
    allocation: pd.DataFrame  # buyers x goods: x_ij
    spending: pd.DataFrame  # buyers x goods: p_j x_ij, then spent, budget, utility


def fisher_tables(market: FisherMarket, prices, allocation) -> FisherTables:
    """Prices, allocation and spending as pandas tables (Fractions are kept and print as 4/3)."""
    p, x = np.asarray(prices), np.asarray(allocation)
    goods = [f"good {j}" for j in range(market.n_goods)]
    buyers = [f"buyer {i}" for i in range(market.n_buyers)]
    money = pd.DataFrame(x * p, index=buyers, columns=goods)
    money["spent"] = (x * p).sum(axis=1)
    money["budget"] = market.budgets
    money["utility"] = (market.utilities * x).sum(axis=1)
    return FisherTables(
        prices=pd.DataFrame({"price": p, "supply": market.supplies, "sold": x.sum(axis=0)}, index=goods),
        allocation=pd.DataFrame(x, index=buyers, columns=goods),
        spending=money,
    )
