"""Dense small MCPs from MCPLIB as a benchmark family: ``python -m benchmarks.mcplib [MODEL ...] [--repeat R]``.

The models are MCPLIB's (S.P. Dirkse and M.C. Ferris, "MCPLIB: a collection of nonlinear mixed complementarity
problems", Optim. Methods Softw. 5 (1995) 319-345), written here as Pyomo builders after the AMPL/Pyomo ports in
Pyomo's model libraries (``pyomo-model-libraries/mcplib``, Copyright (c) 2008-2025 National Technology and
Engineering Solutions of Sandia, LLC, 3-clause BSD License). Those ports do not run as published (a syntax error
in ``ehl_kost.py``, ``choi.py`` declares the prices a Param), so each builder follows the AMPL model text
(``ehl_kost.mod``, ``choi.mod`` with ``choi.dat``, ``kojshin.mod``, ``obstacle.mod``).

Each model is solved as a plain MCP (``sharedeq.mcp_from_pyomo`` then ``sharedeq.solve``) twice in the same
run: with the default method (``method="auto"``: the interior-point method on the MCP, the relaxation with
Ipopt only as its fallback), which is timed end to end, and, on a freshly built and translated copy, with
``method="relaxation"`` (the previous default chain), whose Ipopt time is the baseline. The table prints, in
seconds, for the default solve: ``build`` (Pyomo model), ``translate`` (``mcp_from_pyomo``: Pyomo -> casadi),
``derivs`` (``timings['reformulate']``: ``dF/dz``, plus the relaxed NLP if the relaxation ran), ``solve``
(``timings['solve']``: interior point and Newton polish, plus any Ipopt), ``method`` (``interior point`` or
``relaxation``), ``iters`` (``solution.iterations``: all steps), the MCP residual both from sharedeq's ``F``
and from an independent numpy ``F`` (the same formula written without Pyomo or casadi), ``other`` (the rest
of ``sharedeq.solve``: verification, ``Solution.build``), ``total`` (build to solution); for the relaxation
solve: ``ipopt`` (the ``seconds`` of its Ipopt steps, those named ``relax ...`` and ``polish ...``: wall time
inside Ipopt's ``solve`` calls as casadi reports it, callbacks such as the Newton polish tried during Ipopt
included), ``ipopt_iters`` and ``ipopt_status``; then ``ratio`` = default end to end / ipopt (issue 10's
target: at most 2) and ``ratio_no_build`` = (default end to end - Pyomo build) / ipopt.

``ehl_kost`` comes in two writings of the same function: ``ehl_kost`` builds each film thickness ``H(x_{i+1/2})``
(a dense sum over the grid) and each flux once and lets the neighbouring rows share the Pyomo objects (the
natural Python writing), ``ehl_kost_literal`` rebuilds them in every row as the AMPL text does (four dense sums
a row, no Pyomo object shared).
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.mpec import Complementarity, complements

from sharedeq.progress import echo, track

# ---------------------------------------------------------------------------------------------- ehl_kost
EHL = {"N": 100, "xa": -3.0, "xf": 2.0, "alpha": 2.832, "lam": 6.057, "k0": 1.6}


def _ehl_grid(N: int):
    """Grid step, trapezoid weights ``w_l`` (1/2 at the ends) and the kernel ``(l - s) dx log(|l - s| dx)``."""
    dx = (EHL["xf"] - EHL["xa"]) / N
    w = np.ones(N + 1)
    w[[0, N]] = 0.5

    def kernel(l, s):
        return w[l] * (l - s) * dx * math.log(abs(l - s) * dx)

    return dx, w, kernel


def ehl_kost(N: int = EHL["N"], literal: bool = False) -> pyo.ConcreteModel:
    """Kostreva's elasto-hydrodynamic lubrication problem (MCPLIB ``ehl_kost``): ``N + 1`` pairs, dense rows.

    Pressures ``p_1..p_N >= 0`` on the grid ``x_i = xa + i dx`` and the free constant ``k``. With ``p_0 =
    p_{N+1} = 0`` and ``dp_l = p_{l+1} - p_{l-1}`` (``p_{N+1}`` and ``p_0`` read as 0 only where MCPLIB has
    them), the film thickness at the half-point ``s = j + 1/2`` is

        H_j = (xa + s dx)^2 + k + 1 + (1/pi) sum_{l=0..N} w_l (l - s) dx log(|l - s| dx) dp_l,

    the flux ``Q_j = H_j^3 (p_{j+1} - p_j) / exp(alpha (p_{j+1} + p_j) / 2)`` and the pairs are

        1 - (2 dx / pi) sum_i w_i p_i = 0                                          _|_ k free,
        (lam / dx) (H_i - H_{i-1}) - (Q_i - Q_{i-1}) / dx^2 >= 0                     _|_ p_i >= 0.

    ``literal=False`` builds each ``H_j`` and ``Q_j`` once (shared by rows ``j`` and ``j + 1``),
    ``literal=True`` writes them out again in every row, as ``ehl_kost.mod`` does.
    """
    dx, w, kernel = _ehl_grid(N)
    xa, alpha, lam = EHL["xa"], EHL["alpha"], EHL["lam"]
    m = pyo.ConcreteModel(name="ehl_kost" + ("_literal" if literal else ""))
    m.I = pyo.RangeSet(1, N)
    m.k = pyo.Var(initialize=EHL["k0"])
    m.p = pyo.Var(m.I, within=pyo.NonNegativeReals,
                  initialize=lambda m, i: max(0.0, 1 - abs((xa + 1 + i * dx) / 2)))

    def p(i):
        return m.p[i] if 1 <= i <= N else 0.0

    def dp(l):
        return (m.p[l + 1] if l < N else 0) - (m.p[l - 1] if l > 1 else 0)

    def thickness(j):
        s = j + 0.5
        return (xa + s * dx) ** 2 + m.k + 1 + 1 / math.pi * sum(kernel(l, s) * dp(l) for l in range(N + 1))

    def flux(j, H):
        return H ** 3 * (p(j + 1) - p(j)) / pyo.exp(alpha * (p(j + 1) + p(j)) * 0.5)

    m.psum = Complementarity(expr=complements(m.k, 1 - dx * 2 / math.pi * sum(w[i] * m.p[i] for i in m.I) == 0))
    if literal:
        def row(j):
            return (lam / dx) * (thickness(j) - thickness(j - 1)) - (flux(j, thickness(j)) -
                                                                       flux(j - 1, thickness(j - 1))) / dx ** 2
    else:
        H = [thickness(j) for j in range(N + 1)]
        Q = [flux(j, H[j]) for j in range(N + 1)]

        def row(j):
            return (lam / dx) * (H[j] - H[j - 1]) - (Q[j] - Q[j - 1]) / dx ** 2
    m.reynolds = Complementarity(m.I, rule=lambda m, i: complements(m.p[i] >= 0, row(i) >= 0))
    return m


def ehl_kost_numpy(z: np.ndarray, N: int = EHL["N"]) -> np.ndarray:
    """``F`` of :func:`ehl_kost` in numpy at ``z = (k, p_1..p_N)`` (the pairs' order in ``mcp_from_pyomo``)."""
    dx, w, _ = _ehl_grid(N)
    xa, alpha, lam = EHL["xa"], EHL["alpha"], EHL["lam"]
    k, p = z[0], np.r_[0.0, z[1:], 0.0]                     # p[0] .. p[N+1]
    ls = np.arange(N + 1)
    dp = np.where(ls < N, p[np.minimum(ls + 1, N + 1)], 0) - np.where(ls > 1, p[np.maximum(ls - 1, 0)], 0)
    s = ls + 0.5                                            # half-points j + 1/2, j = 0..N
    dist = ls[None, :] - s[:, None]
    K = w[None, :] * dist * dx * np.log(np.abs(dist) * dx)
    H = (xa + s * dx) ** 2 + k + 1 + K @ dp / math.pi
    Q = H ** 3 * (p[1:] - p[:-1]) / np.exp(alpha * (p[1:] + p[:-1]) * 0.5)
    rows = (lam / dx) * (H[1:] - H[:-1]) - (Q[1:] - Q[:-1]) / dx ** 2
    return np.r_[1 - dx * 2 / math.pi * np.dot(w[1:], z[1:]), rows]


# ---------------------------------------------------------------------------------------------- choi
CHOI_INGREDIENTS = ("asp", "asub", "caff", "aing")
#: brand j's amount of each ingredient
CHOI_X = np.array([
    [0, 0.5, 0, 0], [0.4, 0, 0.032, 0], [0, 0.5, 0, 0], [0.325, 0, 0, 0.15], [0.325, 0, 0, 0],
    [0.324, 0, 0, 0.1], [0.421, 0, 0.032, 0.075], [0.5, 0, 0, 0.1], [0, 0.5, 0, 0], [0.25, 0.25, 0.065, 0],
    [0, 0.5, 0, 0], [0, 0.5, 0, 0], [0, 0.325, 0, 0], [0.227, 0.194, 0, 0.075]])
#: subject i's preferred amount of each ingredient
CHOI_Y = np.array([
    [0, 0.0835, 0, 0.0331], [0, 0.543, 0.0075, 0.0204], [0, 0.4889, 0.0055, 0], [0.479, 0.0568, 0, 0.0725],
    [0.3202, 0, 0.0013, 0], [0, 0.1395, 0, 0], [0, 0.4805, 0, 0], [0.0649, 0.3759, 0.0022, 0],
    [0, 0.3834, 0, 0], [0.3431, 0.0908, 0, 0.0695], [0.0484, 0.3229, 0.0351, 0], [0.2696, 0.0741, 0.0005, 0.111],
    [0.4348, 0.0276, 0.0013, 0.0605], [0.2634, 0, 0.0022, 0], [0.3163, 0.0581, 0, 0], [0.0859, 0.0488, 0, 0.1355],
    [0.3197, 0.032, 0.0424, 0.063], [0.1872, 0.7724, 0, 0.0186], [0.4398, 0.0235, 0.023, 0.0765],
    [0, 0.196, 0, 0.0604], [0.0242, 0.5938, 0.0016, 0.0002], [0.0016, 0.5157, 0.0399, 0.0079],
    [0.2584, 0.0761, 0.0024, 0.0065], [0, 0.5171, 0, 0], [0.1094, 0.1291, 0, 0.0934], [0.0153, 0.2855, 0, 0],
    [0.1851, 0.0874, 0.0322, 0.0903], [0.1289, 0.262, 0.1226, 0], [0.0472, 0.2513, 0.0059, 0],
    [0.2752, 0.0199, 0.0003, 0.0224]])
CHOI_V = np.array([15.13539, 4.62777, 2.21225, 0, 0, 10.58941, 5.0178, 3.51912, 9.10098, 0, 10.53417, 0, 0, 0, 0,
                   7.46487, 0.64571, 4.8654, 0.53507, 5.31825, 6.86056, 5.69439, 0, 5.98602, 14.47467, 13.5548,
                   13.01291, 22.7317, 5.13727, 0.07553])
CHOI_B = np.array([-4.42859, -2.04758, -1.82057, -3.22572, -2.13139, -2.75795, -1.97219, -2.79767, -3.17282,
                   -2.22797, -5.16751, -4.40669, -3.08085, -3.46886, -2.66754, -4.11384, -1.83466, -3.56241,
                   -2.31347, -2.28169, -4.38702, -1.85474, -2.75502, -2.61935, -2.65956, -2.95081, -2.50123,
                   -3.65221, -2.87451, -2.78712])
CHOI_C = np.array([0.4, 0.1328, 0.4, 0.1275, 0.0975, 0.1172, 0.1541, 0.17, 0.4, 0.301, 0.4, 0.4, 0.26, 0.2383])
CHOI_W0 = np.array([3.86546, 1, 1, 4.07059, 2.95369, 1.52444, 1, 3.03524, 3.06484, 2.60511, 7.67621, 7.52461,
                    5.39522, 5.77346, 3.28809, 4.94403, 2.07788, 1, 3.91686, 1.98819, 5.20269, 1, 4.7539, 2.34962,
                    1, 1, 1, 1.96784, 3.41328, 5.10606])
CHOI_CHI, CHOI_K = 3.0, 1.0
CHOI_FIXED_BRAND = 8        # choi.dat fixes p_8 = 0.199 (p_lo = p_up)


def _choi_data():
    """``w_i = -chi w0_i`` and ``DU_ij = -chi (v_i |x_j - y_i|^2 + b_i)`` (choi.mod)."""
    w = -CHOI_CHI * CHOI_W0
    dist = ((CHOI_X[None, :, :] - CHOI_Y[:, None, :]) ** 2).sum(axis=2)
    DU = -CHOI_CHI * (CHOI_V[:, None] * dist + CHOI_B[:, None])
    lo = CHOI_C.copy()
    lo[CHOI_FIXED_BRAND - 1] = 0.199
    up = np.full(len(CHOI_C), np.inf)
    up[CHOI_FIXED_BRAND - 1] = 0.199
    return w, DU, lo, up


def choi() -> pyo.ConcreteModel:
    """Choi, DeSarbo and Harker's pharmaceutical pricing game (MCPLIB ``choi``): 14 brands, 30 consumers.

    With the logit utilities ``u_ij = exp(w_i p_j + DU_ij)`` and ``S_i = K + sum_j u_ij``, brand ``j``'s marginal
    profit condition is

        -(1/M) sum_i (u_ij / S_i) (1 + (p_j - c_j) w_i (S_i - u_ij) / S_i) _|_ p_lo_j <= p_j <= p_up_j,

    with ``p_lo = c`` and ``p_up = inf`` except brand 8, fixed at 0.199. Every row depends on every price.
    ``S_i`` and ``S_i - u_ij`` are rebuilt in each row, as ``choi.mod`` writes them.
    """
    w, DU, lo, up = _choi_data()
    M, N = DU.shape
    m = pyo.ConcreteModel(name="choi")
    m.J = pyo.RangeSet(1, N)
    m.p = pyo.Var(m.J, bounds=lambda m, j: (lo[j - 1], None if np.isinf(up[j - 1]) else up[j - 1]),
                  initialize=lambda m, j: float(np.clip(CHOI_C[j - 1] + 0.01, lo[j - 1], up[j - 1])))

    def u(i, j):
        return pyo.exp(float(w[i]) * m.p[j + 1] + float(DU[i, j]))

    def rule(m, jj):
        j = jj - 1
        terms = []
        for i in range(M):
            total = CHOI_K + sum(u(i, k) for k in range(N))
            others = CHOI_K + sum(u(i, k) for k in range(N) if k != j)
            terms.append(u(i, j) / total * (1 + (m.p[jj] - CHOI_C[j]) * float(w[i]) * others / total))
        return complements(pyo.inequality(lo[j], m.p[jj], up[j] if np.isfinite(up[j]) else None),
                           (-1 / M) * sum(terms))

    m.mprofit = Complementarity(m.J, rule=rule)
    return m


def choi_numpy(p: np.ndarray) -> np.ndarray:
    """``F`` of :func:`choi` in numpy."""
    w, DU, _, _ = _choi_data()
    M = DU.shape[0]
    u = np.exp(w[:, None] * p[None, :] + DU)                # u[i, j]
    S = CHOI_K + u.sum(axis=1, keepdims=True)
    return (-1 / M) * (u / S * (1 + (p[None, :] - CHOI_C[None, :]) * w[:, None] * (S - u) / S)).sum(axis=0)


# ---------------------------------------------------------------------------------------------- kojshin
def kojshin_numpy(x: np.ndarray) -> np.ndarray:
    """``F`` of :func:`kojshin` (kojshin.mod)."""
    x1, x2, x3, x4 = x
    return np.array([3 * x1 ** 2 + 2 * x1 * x2 + 2 * x2 ** 2 + x3 + 3 * x4 - 6,
                     2 * x1 ** 2 + x1 + x2 ** 2 + 10 * x3 + 2 * x4 - 2,
                     3 * x1 ** 2 + x1 * x2 + 2 * x2 ** 2 + 2 * x3 + 9 * x4 - 9,
                     x1 ** 2 + 3 * x2 ** 2 + 2 * x3 + 3 * x4 - 3])


def kojshin(x0=(1.0, 1.0, 1.0, 1.0)) -> pyo.ConcreteModel:
    """Kojima and Shindo's NCP ``F(x) _|_ x >= 0`` (MCPLIB ``kojshin``, second start): two solutions,
    ``(1, 0, 3, 0)`` and ``(sqrt(6)/2, 0, 0, 1/2)``."""
    m = pyo.ConcreteModel(name="kojshin")
    m.R = pyo.RangeSet(1, 4)
    m.x = pyo.Var(m.R, within=pyo.NonNegativeReals, initialize=lambda m, i: x0[i - 1])
    x1, x2, x3, x4 = (m.x[i] for i in m.R)
    rows = [3 * x1 ** 2 + 2 * x1 * x2 + 2 * x2 ** 2 + x3 + 3 * x4 - 6,
            2 * x1 ** 2 + x1 + x2 ** 2 + 10 * x3 + 2 * x4 - 2,
            3 * x1 ** 2 + x1 * x2 + 2 * x2 ** 2 + 2 * x3 + 9 * x4 - 9,
            x1 ** 2 + 3 * x2 ** 2 + 2 * x3 + 3 * x4 - 3]
    m.f = Complementarity(m.R, rule=lambda m, i: complements(m.x[i] >= 0, rows[i - 1] >= 0))
    return m


# ---------------------------------------------------------------------------------------------- obstacle
def obstacle(n: int = 20) -> pyo.ConcreteModel:
    """A membrane over obstacles (MCPLIB ``obstacle``, Ciarlet): ``n x n`` interior points, a linear MCP.

    ``(dy/dx)(2 v_ij - v_{i+1,j} - v_{i-1,j}) + (dx/dy)(2 v_ij - v_{i,j+1} - v_{i,j-1}) - c dx dy
    _|_ lb_ij <= v_ij <= ub_ij``, with ``v = 0`` on the boundary, ``lb = (sin(9.2 x) sin(9.3 y))^3`` and
    ``ub = (sin(9.2 x) sin(9.3 y))^2 + 0.2``. Linear rows: the case for Pyomo's linear representation.
    """
    d = 1.0 / (n + 1)
    m = pyo.ConcreteModel(name=f"obstacle_{n}")
    m.G = pyo.RangeSet(1, n)

    def shape(i, j):
        return math.sin(9.2 * d * i) * math.sin(9.3 * d * j)

    m.v = pyo.Var(m.G, m.G, bounds=lambda m, i, j: (shape(i, j) ** 3, shape(i, j) ** 2 + 0.2),
                  initialize=lambda m, i, j: max(0.0, shape(i, j) ** 3))

    def v(i, j):
        return m.v[i, j] if 1 <= i <= n and 1 <= j <= n else 0.0

    def rule(m, i, j):
        f = (2 * v(i, j) - v(i + 1, j) - v(i - 1, j)) + (2 * v(i, j) - v(i, j + 1) - v(i, j - 1)) - d * d
        return complements(pyo.inequality(m.v[i, j].lb, m.v[i, j], m.v[i, j].ub), f)

    m.dv = Complementarity(m.G, m.G, rule=rule)
    return m


def obstacle_numpy(z: np.ndarray, n: int = 20) -> np.ndarray:
    V = np.zeros((n + 2, n + 2))
    V[1:-1, 1:-1] = z.reshape(n, n)
    d = 1.0 / (n + 1)
    lap = 4 * V[1:-1, 1:-1] - V[2:, 1:-1] - V[:-2, 1:-1] - V[1:-1, 2:] - V[1:-1, :-2]
    return (lap - d * d).ravel()


# ---------------------------------------------------------------------------------------------- a large LCP
def lcp_data(n: int, per_row: int = 5, seed: int = 0, band: int = 20):
    """A random sparse strongly monotone LCP ``0 <= z _|_ M z + q >= 0``: ``M = D + R - R^T`` with ``D``
    diagonal in [1, 2] and ``R`` random with ``per_row`` entries a row within ``band`` of the diagonal, so
    ``M``'s symmetric part is ``D`` (positive definite: the solution is unique); ``q`` standard normal. (Banded,
    as models with local coupling are: entries anywhere make the factorisation inside Ipopt fill in, 0.5 s an
    iteration at n = 2,000, which would measure MUMPS and not sharedeq.)"""
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    rows = np.repeat(np.arange(n), per_row)
    cols = np.clip(rows + rng.integers(-band, band + 1, rows.size), 0, n - 1)
    R = sp.csr_matrix((rng.uniform(-1, 1, rows.size), (rows, cols)), shape=(n, n))
    M = (sp.diags(rng.uniform(1, 2, n)) + R - R.T).tocsr()
    M.sum_duplicates()
    return M, rng.standard_normal(n)


def random_lcp(n: int = 10_000, per_row: int = 5, seed: int = 0) -> pyo.ConcreteModel:
    """:func:`lcp_data` as a Pyomo model: ``complements(z[i] >= 0, sum_j M_ij z[j] + q_i >= 0)``, ``n`` pairs
    (the shape of a machine-generated MCP: one linear row per pair, no shared subexpression)."""
    M, q = lcp_data(n, per_row, seed)
    m = pyo.ConcreteModel(name=f"lcp_{n}")
    m.I = pyo.RangeSet(0, n - 1)
    m.z = pyo.Var(m.I, within=pyo.NonNegativeReals, initialize=0.0)

    def rule(m, i):
        lo, hi = M.indptr[i], M.indptr[i + 1]
        row = sum(float(c) * m.z[int(j)] for c, j in zip(M.data[lo:hi], M.indices[lo:hi], strict=True))
        return complements(m.z[i] >= 0, row + float(q[i]) >= 0)

    m.lcp = Complementarity(m.I, rule=rule)
    return m


def lcp_numpy(z: np.ndarray, n: int = 10_000) -> np.ndarray:
    """``F`` of :func:`random_lcp`: ``M z + q``."""
    M, q = lcp_data(n)
    return M @ z + q


# ---------------------------------------------------------------------------------------------- the family
#: name -> (builder, numpy F of the MCP's z in mcp_from_pyomo's order)
MODELS = {
    "ehl_kost": (ehl_kost, ehl_kost_numpy),
    "ehl_kost_literal": (lambda: ehl_kost(literal=True), ehl_kost_numpy),
    "choi": (choi, choi_numpy),
    "kojshin": (kojshin, kojshin_numpy),
    "obstacle": (obstacle, obstacle_numpy),
    "lcp_10000": (random_lcp, lcp_numpy),
}


def natural_residual(F: np.ndarray, z: np.ndarray, lb: np.ndarray, ub: np.ndarray) -> float:
    """``|z - mid(lb, ub, z - F)|_inf``."""
    return float(np.abs(z - np.clip(z - F, lb, ub)).max())


def ipopt_seconds(steps) -> float:
    """Seconds of the Ipopt runs among a Solution's ``steps``: rows named ``relax ...`` (the relaxation ladder)
    or ``polish ...`` (Ipopt's polish with the active set fixed); the Newton polishes and semismooth restarts
    outside Ipopt are not counted."""
    if "seconds" not in steps or "step" not in steps:
        return float("nan")
    ipopt = steps["step"].astype(str).str.startswith(("relax", "polish"))
    return float(steps.loc[ipopt, "seconds"].sum())


def run(name: str) -> dict:
    """Build, translate and solve one model with the default method (timed end to end), then a fresh copy with
    ``method="relaxation"`` for the Ipopt baseline; the row of the table."""
    import sharedeq as sq
    import sharedeq.solve  # noqa: F401  (imported before the clock starts: the first model would pay for it)

    builder, numpy_F = MODELS[name]
    start = time.perf_counter()
    model = builder()
    built = time.perf_counter()
    mcp = sq.mcp_from_pyomo(model)
    translated = time.perf_counter()
    solution = sq.solve(mcp)
    end = time.perf_counter()
    timings = solution.timings
    z = np.asarray(solution.z, float)
    row = {"model": name, "pairs": mcp.size, "build": built - start, "translate": translated - built,
           "derivs": timings.get("reformulate", np.nan), "solve": timings.get("solve", np.nan),
           "method": solution.method, "iters": int(solution.iterations),
           "residual": float(np.abs(mcp.natural_residual(z)).max()),
           "numpy_residual": natural_residual(numpy_F(z), z, mcp.lb, mcp.ub),
           "other": (end - translated) - timings.get("reformulate", 0.0) - timings.get("solve", 0.0),
           "total": end - start, "status": solution.status}
    baseline = sq.solve(sq.mcp_from_pyomo(builder()), method="relaxation")     # a fresh copy: no shared state
    ipopt = ipopt_seconds(baseline.steps)
    row.update({"ipopt": ipopt, "ipopt_iters": int(baseline.iterations), "ipopt_status": baseline.status,
                "ratio": row["total"] / ipopt if ipopt > 0 else float("nan"),
                "ratio_no_build": (row["total"] - row["build"]) / ipopt if ipopt > 0 else float("nan")})
    return row


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mcplib", description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=list(MODELS), help=f"any of {', '.join(MODELS)}")
    parser.add_argument("--repeat", type=int, default=1, help="runs per model (median of each column)")
    args = parser.parse_args(argv)
    unknown = [m for m in args.models if m not in MODELS]
    if unknown:
        parser.error(f"unknown models {unknown}; choose from {list(MODELS)}")
    rows = []
    for name in track(args.models, "MCPLIB models", unit="model"):
        runs = [run(name) for _ in range(args.repeat)]
        row = {key: (statistics.median(r[key] for r in runs) if isinstance(runs[0][key], float) else runs[0][key])
               for key in runs[0]}
        rows.append(row)
        echo(f"  {name}: {row['status']}, total {row['total']:.2f} s")
    table = pd.DataFrame(rows)
    formats = {key: "{:.3f}".format for key in ("build", "translate", "derivs", "solve", "ipopt", "other", "total")}
    formats.update({"residual": "{:.1e}".format, "numpy_residual": "{:.1e}".format, "ratio": "{:.2f}".format,
                    "ratio_no_build": "{:.2f}".format})
    print(table.to_string(index=False, formatters=formats))


if __name__ == "__main__":
    main()
