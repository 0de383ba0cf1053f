"""Independent reference solutions for the GAMS replica library (``cases/gams/*.gms``).

Run ``python -m cases.gams.references`` to recompute every reference and rewrite ``references.json``; the
benchmark (``benchmarks/gams_library.py``) and the tests (``tests/test_gams_library.py``) only read the JSON.

Nothing here uses sharedeq or the GAMS reader, except VONTHMCP's verified point (see :func:`vonthmcp`). Each
mixed complementarity problem ``F(z) _|_ lb <= z <= ub`` is the model's equations written again by hand in
numpy and solved by :func:`solve_mcp`: scipy's ``least_squares`` on the Fischer-Burmeister residual, accepted
only if the natural residual ``max |z - mid(lb, ub, z - F(z))|`` is below 1e-9 (1e-7 for PIES, whose rows are
in the thousands). Linear programs use ``scipy.optimize.linprog`` (HiGHS) and its duals; small games have
closed forms derived in the docstrings. Sign convention of the pairs, as in GAMS: a ``=g=`` row
``lhs >= rhs`` is ``F = lhs - rhs``, a ``=l=`` row ``lhs <= rhs`` is ``F = rhs - lhs``.
"""

from __future__ import annotations

import json
import math
import re
from functools import partial
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares, linprog

HERE = Path(__file__).parent
INF = math.inf


# ------------------------------------------------------------------------------------------- MCP solver
def _fischer_burmeister(z, F, lb, ub):
    """Componentwise residual that is zero exactly at a solution of ``F(z) _|_ lb <= z <= ub``.

    ``phi(a, b) = sqrt(a^2 + b^2) - a - b`` vanishes iff ``a, b >= 0`` and ``a b = 0``. A lower bound only:
    ``phi(z - lb, F)``; an upper only: ``-phi(ub - z, -F)``; both: ``phi(z - lb, -phi(ub - z, -F))``
    (Billups' composition); free: ``F``.
    """
    phi = lambda a, b: np.sqrt(a * a + b * b) - a - b  # noqa: E731
    out = F.copy()
    lo, up = np.isfinite(lb), np.isfinite(ub)
    both, lo_only, up_only = lo & up, lo & ~up, up & ~lo
    out[lo_only] = phi(z[lo_only] - lb[lo_only], F[lo_only])
    out[up_only] = -phi(ub[up_only] - z[up_only], -F[up_only])
    out[both] = phi(z[both] - lb[both], -phi(ub[both] - z[both], -F[both]))
    return out


def natural_residual(z, F, lb, ub) -> float:
    """``max |z - mid(lb, ub, z - F)|``: zero exactly at a solution."""
    return float(np.max(np.abs(z - np.clip(z - F, lb, ub)), initial=0.0))


def solve_mcp(F, lb, ub, z0, tol=1e-9):
    """Solve ``F(z) _|_ lb <= z <= ub`` from ``z0``; variables with ``lb == ub`` stay fixed."""
    lb, ub, z0 = (np.asarray(v, dtype=float) for v in (lb, ub, z0))
    free = lb < ub
    base = np.clip(z0, lb, ub)

    def full(x):
        z = base.copy()
        z[free] = x
        return z

    def residual(x):
        z = full(x)
        return _fischer_burmeister(z, F(z), lb, ub)[free]

    x0 = np.clip(base[free], lb[free] + 1e-10, ub[free] - 1e-10)
    fit = least_squares(residual, x0, bounds=(lb[free], ub[free]), xtol=1e-15, ftol=1e-15, gtol=1e-15,
                        max_nfev=20000)
    z = full(fit.x)
    Fz = F(z)
    res = natural_residual(z[free], Fz[free], lb[free], ub[free])
    if not res <= tol:
        raise RuntimeError(f"reference MCP not solved: natural residual {res:.2e}")
    return z, res


def _named(names, z):
    return {name: float(v) for name, v in zip(names, z, strict=True)}


# ------------------------------------------------------------------------------------------- transmcp
TRANSPORT = {
    "plants": ["seattle", "san-diego"], "markets": ["new-york", "chicago", "topeka"],
    "a": [350, 600], "b": [325, 300, 275], "d": [[2.5, 1.7, 1.8], [2.5, 1.8, 1.4]], "f": 90,
}


def transmcp():
    """Dantzig's transport LP by HiGHS: shipments ``x`` and the duals of supply (``w``) and demand (``p``).

    The MCP of TRANSMCP is exactly this LP's KKT system (``profit.x``: reduced cost, ``supply.w``,
    ``fxdemand.p``), so the LP's primal and dual solutions are the MCP's solutions. Seattle and San Diego are
    equally far from New York (2.5), so the LP has a segment of optimal shipments: ``x(seattle,new-york) = t``,
    ``x(san-diego,new-york) = 325 - t`` for any ``t`` in [0, 50]; those two are left out of the reference. The
    other shipments and all prices are unique (for ``0 < t < 50`` neither plant's capacity binds, so ``w = 0``
    and the prices are the delivered costs).
    """
    P, M = TRANSPORT["plants"], TRANSPORT["markets"]
    c = np.array(TRANSPORT["d"]) * TRANSPORT["f"] / 1000
    n = len(P) * len(M)
    A_ub, b_ub = [], []
    for i in range(len(P)):                     # sum_j x(i,j) <= a(i)
        row = np.zeros(n)
        row[i * len(M):(i + 1) * len(M)] = 1
        A_ub.append(row)
        b_ub.append(TRANSPORT["a"][i])
    for j in range(len(M)):                     # -sum_i x(i,j) <= -b(j)
        row = np.zeros(n)
        row[j::len(M)] = -1
        A_ub.append(row)
        b_ub.append(-TRANSPORT["b"][j])
    lp = linprog(c.ravel(), A_ub=np.array(A_ub), b_ub=b_ub, method="highs")
    assert lp.status == 0
    duals = -lp.ineqlin.marginals              # HiGHS: d(objective)/d(b_ub) <= 0 for <= rows
    values = {f"x[{p},{m}]": float(lp.x[i * len(M) + j]) for i, p in enumerate(P) for j, m in enumerate(M)
              if m != "new-york"}
    values |= {f"w[{p}]": float(duals[i]) for i, p in enumerate(P)}
    values |= {f"p[{m}]": float(duals[len(P) + j]) for j, m in enumerate(M)}
    return values, "scipy.optimize.linprog (HiGHS) on the transport LP: shipments and the duals of supply and demand"


# ------------------------------------------------------------------------------------------- scarfmcp
SCARF = {
    "c": ["capeop", "nondurbl", "durable", "capbop", "skillab", "unsklab"],
    "h": ["agent1", "agent2", "agent3", "agent4", "agent5"],
    "s": ["d1", "d2", "n1", "n2", "n3", "cd", "c1", "c2"],
    "e": {"capbop": [3, 0.1, 2, 1, 6], "skillab": [5, 0.1, 6, 0.1, 0.1], "unsklab": [0.1, 7, 0.1, 8, 0.5],
          "durable": [1, 2, 1.5, 1, 2]},
    "d": {"capeop": [4, 0.4, 2, 5, 3], "skillab": [0.2, 0, 0.5, 0, 0], "unsklab": [0, 0.6, 0, 0.2, 0.2],
          "nondurbl": [2, 4, 2, 5, 4], "durable": [3.2, 1, 1.5, 4.5, 2]},
    "esub": [1.2, 1.6, 0.8, 0.5, 0.6],
    # (commodity, sector) -> output - input
    "output": {"nondurbl": {"n1": 6.0, "n2": 8.0, "n3": 7.0}, "durable": {"d1": 4.0, "d2": 3.5},
               "capeop": {"d1": 4.0, "d2": 4.0, "n1": 1.6, "n2": 1.6, "n3": 1.6, "cd": 0.9, "c1": 7.0,
                          "c2": 8.0}},
    "input": {"capbop": {"d1": 5.3, "d2": 5.0, "n1": 2.0, "n2": 2.0, "n3": 2.0, "cd": 1.0, "c1": 4.0, "c2": 5.0},
              "skillab": {"d1": 2.0, "d2": 1.0, "n1": 2.0, "n2": 4.0, "n3": 1.0, "c1": 3.0, "c2": 2.0},
              "unsklab": {"d1": 1.0, "d2": 6.0, "n1": 3.0, "n2": 1.0, "n3": 8.0, "c1": 1.0, "c2": 8.0}},
}


def scarfmcp():
    """Scarf's economy: prices ``p``, activities ``y``, incomes ``i`` with ``i(agent1)`` fixed at its start."""
    C, H, S = SCARF["c"], SCARF["h"], SCARF["s"]
    e = np.array([SCARF["e"].get(c, [0] * 5) for c in C], dtype=float)
    d = np.array([SCARF["d"].get(c, [0] * 5) for c in C], dtype=float)
    alpha = d / d.sum(axis=0)
    esub = np.array(SCARF["esub"])
    a = np.zeros((len(C), len(S)))
    for kind, sign in (("output", 1), ("input", -1)):
        for c, row in SCARF[kind].items():
            for s, v in row.items():
                a[C.index(c), S.index(s)] += sign * v
    nc, ns = len(C), len(S)

    def F(z):
        p, y, inc = z[:nc], z[nc:nc + ns], z[nc + ns:]
        demand = np.zeros(nc)
        for h in range(len(H)):
            s_h = esub[h]
            if s_h != 1:
                demand += inc[h] / np.sum(alpha[:, h] * p ** (1 - s_h)) * alpha[:, h] * (1 / p) ** s_h
            else:
                demand += inc[h] * alpha[:, h] / p
        mkt = a @ y + e.sum(axis=1) - demand
        profit = -(a.T @ p)
        income = inc - e.T @ p
        return np.concatenate([mkt, profit, income])

    inc0 = e.sum(axis=0)                         # p.l = 1
    lb = np.concatenate([np.where(alpha.max(axis=1) > 0, 1e-5, 0.0), np.zeros(ns), np.zeros(len(H))])
    ub = np.full(nc + ns + len(H), INF)
    lb[nc + ns], ub[nc + ns] = inc0[0], inc0[0]
    z0 = np.concatenate([np.ones(nc), np.ones(ns), inc0])
    z, res = solve_mcp(F, lb, ub, z0)
    names = [f"p[{c}]" for c in C] + [f"y[{s}]" for s in S] + [f"i[{h}]" for h in H]
    return _named(names, z), f"scipy least_squares (Fischer-Burmeister) on the MCP written in numpy; residual {res:.1e}"


def _aligned_table(text: str) -> dict:
    """A GAMS table block as ``{(row, column): value}``, read by column position (a number belongs to the
    header label whose last character is nearest to its own); ``+`` lines start a new block of columns."""
    values, header = {}, []
    for line in text.splitlines():
        if not line.strip():
            continue
        tokens = [(m.group(), m.end()) for m in re.finditer(r"\S+", line)]
        if tokens[0][0] == "+" or not header:
            header = [(label, end) for label, end in tokens if label != "+"]
            continue
        row = line[:header[0][1] - len(header[0][0])].replace(" ", "")
        for token, end in tokens:
            if line.index(token) >= len(row) and re.fullmatch(r"[-+.\d]+", token) and line[:end].strip() != row:
                column = min(header, key=lambda h: abs(h[1] - end))[0]
                values[row, column] = float(token)
    return values


def _hansen_data():
    """HANSMCP's activity analysis table, from the ``Table data`` block of ``hansmcp.gms`` read by column."""
    text = (HERE / "hansmcp.gms").read_text()
    block = text[text.index("Table data(*,c,s)"):]
    block = block[block.index("\n") + 1:block.index(";")]
    return _aligned_table(block)


def hansmcp():
    """Hansen's economy: the same equations as SCARFMCP (Cobb-Douglas demand for all four consumers), agric's
    price fixed at 1. Terms with a zero demand share are left out, as GAMS drops zero coefficients."""
    C = ["agric", "food", "textiles", "hserv", "entert", "houseop", "capeop", "steel", "coal", "lumber",
         "housbop", "capbop", "labor", "exchange"]
    H = ["agent1", "agent2", "agent3", "agent4"]
    S = [f"dom{k}" for k in range(1, 13)] + [f"imp{k}" for k in range(1, 8)] + [f"exp{k}" for k in range(1, 8)]
    e = np.zeros((len(C), len(H)))
    for c, row in {"housbop": [2, 0.4, 0, 0.8], "capbop": [3, 2, 0, 7.5], "labor": [0.6, 0.8, 1, 0.6]}.items():
        e[C.index(c)] = row
    d = np.zeros((len(C), len(H)))
    for c, row in {"agric": [0.1, 0.2, 0.3, 0.1], "food": [0.2] * 4, "textiles": [0.1, 0.1, 0.3, 0.1],
                   "hserv": [0.1] * 4, "entert": [0.1] * 4, "houseop": [0.3, 0.1, 0, 0.1],
                   "capeop": [0.1, 0.2, 0, 0.3]}.items():
        d[C.index(c)] = row
    alpha = d / d.sum(axis=0)
    a = np.zeros((len(C), len(S)))
    for (row, s), value in _hansen_data().items():
        kind, c = row.split(".")
        a[C.index(c), S.index(s)] += value if kind == "output" else -value
    nc, ns = len(C), len(S)

    def F(z):
        p, y, inc = z[:nc], z[nc:nc + ns], z[nc + ns:]
        demand = np.array([sum(inc[h] * alpha[c, h] / p[c] for h in range(len(H)) if alpha[c, h] > 0)
                           for c in range(nc)])
        return np.concatenate([a @ y + e.sum(axis=1) - demand, -(a.T @ p), inc - e.T @ p])

    lb = np.concatenate([np.where(alpha.max(axis=1) > 0, 1e-5, 0.0), np.zeros(ns), np.zeros(len(H))])
    ub = np.full(nc + ns + len(H), INF)
    lb[0] = ub[0] = 1.0
    z, res = solve_mcp(F, lb, ub, np.ones(nc + ns + len(H)))
    names = [f"p[{c}]" for c in C] + [f"y[{s}]" for s in S] + [f"i[{h}]" for h in H]
    return _named(names, z), ("scipy least_squares (Fischer-Burmeister) on the MCP written in numpy (the activity "
                              f"table read by column from the replica's text); residual {res:.1e}")


def spatequ():
    """SPATEQU's complementarity model: demand Qd and supply Qs (free, given by the linear functions), prices
    P >= 0 paired with each region's balance, shipments X(r,rr,c) >= 0 (none from a region to itself) paired
    with the no-arbitrage condition P(r,c) + TCost(r,rr,c) >= P(rr,c). As published, the demand and supply
    functions multiply each region's own price by the sum of its coefficients over commodities."""
    alpha_d = np.array([[200, 300], [100, 200], [160, 250.0]])
    beta_d = np.array([[[-10, 1], [1, -10]], [[-5, 1], [1, -20]], [[-8, 1], [1, -10.0]]])     # (r, c, cc)
    alpha_s = np.array([[-50, -60]] * 3, dtype=float)
    beta_s = np.array([[[10, 0.5], [0.5, 15]], [[20, 0.5], [0.5, 25]], [[10, 0.5], [0.5, 15.0]]])
    tcost = np.array([[[0, 0], [2, 3], [2, 3]], [[2, 3], [0, 0], [1, 2]], [[2, 3], [1, 2], [0, 0.0]]])  # (r, rr, c)
    R, C = ["Reg1", "Reg2", "Reg3"], ["Com1", "Com2"]

    def F(z):
        qd, qs, p, x = z[0:6].reshape(3, 2), z[6:12].reshape(3, 2), z[12:18].reshape(3, 2), z[18:].reshape(3, 3, 2)
        dem = alpha_d + beta_d.sum(axis=2) * p - qd
        sup = alpha_s + beta_s.sum(axis=2) * p - qs
        balance = qs + x.sum(axis=0) - x.sum(axis=1) - qd
        no_arbitrage = p[:, None, :] + tcost - p[None, :, :]
        return np.concatenate([dem.ravel(), sup.ravel(), balance.ravel(), no_arbitrage.ravel()])

    lb = np.concatenate([np.full(12, -INF), np.zeros(6 + 18)])
    ub = np.full(36, INF)
    for r in range(3):
        for c in range(2):
            lb[18 + (r * 3 + r) * 2 + c] = ub[18 + (r * 3 + r) * 2 + c] = 0.0
    z0 = np.concatenate([np.full(12, 100.0), np.full(6, 10.0), np.zeros(18)])
    z, res = solve_mcp(F, lb, ub, z0)
    names = ([f"Qd[{r},{c}]" for r in R for c in C] + [f"Qs[{r},{c}]" for r in R for c in C]
             + [f"P[{r},{c}]" for r in R for c in C] + [f"X[{r},{rr},{c}]" for r in R for rr in R for c in C])
    return _named(names, z), f"scipy least_squares (Fischer-Burmeister) on the MCP written in numpy; residual {res:.1e}"


# ------------------------------------------------------------------------------------------- two3mcp
def two3mcp():
    """Shoven-Whalley 2x2x2 economy, reference case (no taxes), labor's price fixed at 1."""
    F_, S_, H_ = ["labor", "capital"], ["mfrs", "nonmfrs"], ["rich", "poor"]
    sigmac = np.array([1.5, 0.75])
    alpha = np.array([[0.5, 0.3], [0.5, 0.7]])            # (s, h)
    e = np.array([[0.0, 60.0], [25.0, 0.0]])              # (f, h)
    phi = np.array([1.5, 2.0])
    delta = np.array([[0.6, 0.7], [0.4, 0.3]])            # (f, s)
    sigma = np.array([2.0, 0.5])

    def F(z):
        W, P, Y, inc = z[0:2], z[2:4], z[4:6], z[6:8]
        unit = np.array([np.sum(delta[:, s] ** sigma[s] * W ** (1 - sigma[s])) ** (1 / (1 - sigma[s])) / phi[s]
                         for s in range(2)])
        demand_f = np.array([sum(Y[s] * phi[s] ** (sigma[s] - 1) * (delta[f, s] * unit[s] / W[f]) ** sigma[s]
                                 for s in range(2)) for f in range(2)])
        fmkt = e.sum(axis=1) - demand_f
        cmkt = Y - np.array([sum(inc[h] / np.sum(alpha[:, h] * P ** (1 - sigmac[h])) * alpha[s, h]
                                 * (1 / P[s]) ** sigmac[h] for h in range(2)) for s in range(2)])
        profit = unit - P
        income = inc - e.T @ W
        return np.concatenate([fmkt, cmkt, profit, income])

    lb = np.array([1, 1e-4, 1e-4, 1e-4, 0, 0, 0, 0.0])
    ub = np.array([1, INF, INF, INF, INF, INF, INF, INF])
    z0 = np.array([1, 1, 1, 1, 10, 10, 25, 60.0])
    z, res = solve_mcp(F, lb, ub, z0)
    names = [f"W[{f}]" for f in F_] + [f"P[{s}]" for s in S_] + [f"Y[{s}]" for s in S_] + [f"I[{h}]" for h in H_]
    return _named(names, z), f"scipy least_squares (Fischer-Burmeister) on the MCP written in numpy; residual {res:.1e}"


# ------------------------------------------------------------------------------------------- wallmcp
def wallmcp():
    """Six equations in six free unknowns, solved as a square system (``F = lhs - rhs``)."""
    def F(z):
        ba, so4, baoh, oh, hso4, h = z
        return np.array([ba * so4 - 1, baoh / ba / oh - 4.8, hso4 / so4 / h - 0.98, h * oh - 1,
                         ba + 1e-7 * baoh - so4 - 1e-5 * hso4,
                         2 * ba + 1e-7 * baoh + 1e-2 * h - 2 * so4 - 1e-5 * hso4 - 1e-2 * oh])

    z, res = solve_mcp(F, np.full(6, -INF), np.full(6, INF), np.ones(6))
    return _named(["ba", "so4", "baoh", "oh", "hso4", "h"], z), \
        f"scipy least_squares on the six equations written in numpy; residual {res:.1e}"


# ------------------------------------------------------------------------------------------- vonthmcp
def vonthmcp():
    """Von Thunen economy: 12 rings x 4 crops, the worker's wage fixed at 1. NOT an independent solve: the
    Fischer-Burmeister least squares does not converge on this degenerate MCP (most outputs and rents sit at
    their bounds with zero slack) even from a start rounded to two digits. The reference is the point sharedeq
    finds from the GAMS file, accepted only if the MCP written here in numpy holds there (natural residual
    below 1e-9): it certifies that the point solves the published equations, not that it is the only
    solution."""
    R, C = [f"r{k}" for k in range(1, 13)], ["wheat", "rice", "corn", "barley"]
    nr, nc = len(R), len(C)
    d = 5 * (2 * np.arange(1, nr + 1) - 1.0)
    area = 2 * 3.1415 * d
    phi = np.array([1, 2, 3, 4.0])
    beta = np.array([0.9, 0.7, 0.5, 0.3])
    t = np.array([0.015, 0.006, 0.004, 0.01])
    alpha = {"worker": np.array([0.2, 0.3, 0.1, 0.3]), "owner": np.array([0.3, 0.3, 0.2, 0.2]),
             "porter": np.array([0.6, 0.2, 0.1, 0.1])}
    leisure_porter = 0.0
    ltot, trns = 30.0, 20.0
    n = 2 * nr * nc + 2 * nr + 2 + nc
    sl = {"cst": slice(0, nr * nc), "y": slice(nr * nc, 2 * nr * nc), "ip": slice(2 * nr * nc, 2 * nr * nc + nr),
          "pk": slice(2 * nr * nc + nr, 2 * nr * nc + 2 * nr)}
    iwp, iwl, ip0 = 2 * nr * nc + 2 * nr, 2 * nr * nc + 2 * nr + 1, 2 * nr * nc + 2 * nr + 2

    def F(z):
        cst, y = z[sl["cst"]].reshape(nr, nc), z[sl["y"]].reshape(nr, nc)
        ip, pk, wp, wl, p = z[sl["ip"]], z[sl["pk"]], z[iwp], z[iwl], z[ip0:]
        def_cst = phi * cst - (wl / beta) ** beta * (pk[:, None] / (1 - beta)) ** (1 - beta)
        prf_y = cst + np.outer(d, t) * wp - p
        pkbnd = pk - 1e-4 * wl
        mkt_k = area - ip - (y * (1 - beta) * cst).sum(axis=1) / pk
        mkt_t = trns - np.sum(np.outer(d, t) * y)
        mkt_l = wl * ltot - np.sum(y * beta * cst) - leisure_porter * ltot
        mkt_g = p * y.sum(axis=0) - (alpha["porter"] * trns * wp + alpha["worker"] * ltot * wl
                                     + alpha["owner"] * np.sum(pk * (area - ip)))
        return np.concatenate([def_cst.ravel(), prf_y.ravel(), pkbnd, mkt_k, [mkt_t, mkt_l], mkt_g])

    lb = np.zeros(n)
    lb[sl["pk"]] = 0.001
    lb[ip0:] = 0.1
    ub = np.full(n, INF)
    lb[iwl] = ub[iwl] = 1.0
    z = _sharedeq_point("vonthmcp.gms", names := [f"cst[{r},{c}]" for r in R for c in C]
                        + [f"y[{r},{c}]" for r in R for c in C] + [f"ip[{r}]" for r in R] + [f"pk[{r}]" for r in R]
                        + ["wp", "wl"] + [f"p[{c}]" for c in C])
    res = natural_residual(z, F(z), lb, ub)
    if not res <= 1e-9:
        raise RuntimeError(f"sharedeq's point does not solve the numpy MCP: natural residual {res:.2e}")
    return _named(names, z), ("sharedeq's solution of the GAMS file, verified in numpy: natural residual of the "
                              f"MCP written by hand {res:.1e} (uniqueness not established)")


def _sharedeq_point(file, names):
    """The values of ``names`` at the solution sharedeq finds for ``file`` (only for :func:`vonthmcp`)."""
    import pyomo.environ as pyo

    import sharedeq

    gams = sharedeq.read_gams(HERE / file)
    solution = gams.solve()
    solution.load()
    values = {v.name: v.value for v in gams.model.component_data_objects(pyo.Var)}
    return np.array([values[name] for name in names])


# ------------------------------------------------------------------------------------------- oligomcp
OLIGOPOLY = {"c": [10, 8, 6, 4, 2], "l": [5, 5, 5, 5, 5], "beta": [1.2, 1.1, 1.0, 0.9, 0.8]}


def _oligopoly_solution():
    c, l, beta = (np.array(OLIGOPOLY[k], dtype=float) for k in ("c", "l", "beta"))

    def F(z):
        p, q = z[0], z[1:]
        return np.concatenate([[q.sum() - 5000 * p ** -1.1], c + (q / l) ** (1 / beta) - p + q * p ** 2.1 / 5500])

    q0 = np.full(5, 10.0)
    z0 = np.concatenate([[(5000 / q0.sum()) ** (1 / 1.1)], q0])
    return solve_mcp(F, np.array([1e-6, 0, 0, 0, 0, 0]), np.full(6, INF), z0)


def oligomcp():
    """Murphy-Sherali-Soyster oligopoly: the price and five firms' outputs."""
    z, res = _oligopoly_solution()
    return _named(["p"] + [f"q[f{k}]" for k in range(1, 6)], z), \
        f"scipy least_squares (Fischer-Burmeister) on the MCP written in numpy; residual {res:.1e}"


def josephy():
    """Closed form, checked in numpy. At x = (sqrt(6)/2, 0, 0, 1/2): F1 = 3 (3/2) + 3/2 - 6 = 0 and
    F4 = 3/2 + 3/2 - 3 = 0 with x1, x4 > 0; F3 = 9/2 + 9/2 - 9 = 0 with x3 = 0 (degenerate); F2 = 3 +
    sqrt(6)/2 + 1 - 2 > 0 with x2 = 0."""
    z = np.array([math.sqrt(6) / 2, 0.0, 0.0, 0.5])

    def F(z):
        x1, x2, x3, x4 = z
        return np.array([3 * x1 ** 2 + 2 * x1 * x2 + 2 * x2 ** 2 + x3 + 3 * x4 - 6,
                         2 * x1 ** 2 + x1 + x2 ** 2 + 10 * x3 + 2 * x4 - 2,
                         3 * x1 ** 2 + x1 * x2 + 2 * x2 ** 2 + 2 * x3 + 9 * x4 - 9,
                         x1 ** 2 + 3 * x2 ** 2 + 2 * x3 + 3 * x4 - 3])

    res = natural_residual(z, F(z), np.zeros(4), np.full(4, INF))
    assert res < 1e-14
    return _named([f"x[{k}]" for k in range(1, 5)], z), \
        f"closed form x = (sqrt(6)/2, 0, 0, 1/2) (natural residual {res:.0e} in numpy)"


# ------------------------------------------------------------------------------------------- Markusen
def smallmcp():
    """The benchmark replicates itself: every price 1, X = Y = 100, W = I = 200 (checked by the residual)."""
    z = np.array([200, 100, 100, 1, 1, 1, 1, 1, 200.0])      # W X Y PL PK PX PY PW I

    def F(z):
        W, X, Y, PL, PK, PX, PY, PW, I = z
        return np.array([PX ** 0.5 * PY ** 0.5 - PW, PL ** 0.25 * PK ** 0.75 - PX, PL ** 0.75 * PK ** 0.25 - PY,
                         100 - 0.25 * (PK / PL) ** 0.75 * X - 0.75 * (PK / PL) ** 0.25 * Y,
                         100 - 0.75 * (PL / PK) ** 0.25 * X - 0.25 * (PL / PK) ** 0.75 * Y,
                         X - 0.5 * W * PW / PX, Y - 0.5 * W * PW / PY, W - I / PW, I - 100 * PL - 100 * PK])

    lb, ub = np.zeros(9), np.full(9, INF)
    lb[7] = ub[7] = 1
    res = natural_residual(z, F(z), lb, ub)
    assert res < 1e-12
    names = ["W", "X", "Y", "PL", "PK", "PX", "PY", "PW", "I"]
    return _named(names, z), "closed form: the benchmark social accounting matrix (natural residual 0 in numpy)"


def markusen_m51(markup=None):
    """M51 monopoly, solved in numpy from a start off the benchmark (X = Y = W = 1, PX = 1.25, ...); ``markup``
    fixes MARKUP (0: marginal-cost pricing, the model's second solve)."""
    sigma, endows, endowl = 9.0, 88.0, 92.0
    A = 0.5 ** (1 / (1 - sigma))

    def F(z):
        X, Y, W, PX, PY, PU, PW, PZ, CONS, ENTRE, SHAREX, MARKUP = z
        agg = (PX / 1.25) ** (1 - sigma) + PY ** (1 - sigma)
        return np.array([
            (PW ** 0.4) * (PZ ** 0.6) - PX * (1 - MARKUP),                               # PRICEX.X
            (PW ** 0.6) * (PZ ** 0.4) - PY,                                              # PRICEY.Y
            A * agg ** (1 / (1 - sigma)) - PU,                                           # PRICEW.W
            X * 80 - A * (PX / 1.25) ** (-sigma) * agg ** (sigma / (1 - sigma)) * W * 200 / 1.25,   # DX.PX
            Y * 100 - A * PY ** (-sigma) * agg ** (sigma / (1 - sigma)) * W * 200,                  # DY.PY
            W * 200 - (CONS + ENTRE) / PU,                                               # DW.PU
            endowl - 0.6 * PW ** -0.4 * PZ ** 0.4 * Y * 100 - 0.4 * PW ** -0.6 * PZ ** 0.6 * X * 80,  # UNLAB.PW
            endows - 0.4 * PW ** 0.6 * PZ ** -0.6 * Y * 100 - 0.6 * PW ** 0.4 * PZ ** -0.4 * X * 80,  # SKLAB.PZ
            CONS - PZ * endows - PW * endowl,                                            # ICONS.CONS
            ENTRE - MARKUP * PX * X * 80,                                                # IENTRE.ENTRE
            SHAREX - 80 * PX * X / (80 * PX * X + 100 * PY * Y),                         # SHX.SHAREX
            MARKUP - 1 / (sigma - (sigma - 1) * SHAREX)])                                # MK.MARKUP

    lb, ub = np.zeros(12), np.full(12, INF)
    lb[4] = ub[4] = 1
    if markup is not None:
        lb[11] = ub[11] = markup
    z0 = np.array([1.1, 0.9, 1.05, 1.2, 1, 1.02, 0.97, 1.03, 170, 25, 0.45, 0.25])
    z, res = solve_mcp(F, lb, ub, z0)
    names = ["X", "Y", "W", "PX", "PY", "PU", "PW", "PZ", "CONS", "ENTRE", "SHAREX", "MARKUP"]
    return _named(names, z), f"scipy least_squares (Fischer-Burmeister) on the MCP written in numpy; residual {res:.1e}"


def markusen_m53(endow=1.0):
    """M53 Cournot oligopoly with free entry (benchmark N = 5 firms, markup 1/N), solved from a shifted start;
    ``endow`` scales both endowments (2: the model's second solve)."""
    def F(z):
        X, Y, W, N, PX, PY, PU, PF, PZ, PW, CONS, ENTRE, MARKUP = z
        return np.array([
            (PW ** 0.4) * (PZ ** 0.6) - PX * (1 - MARKUP),                          # PRICEX.X
            (PW ** 0.6) * (PZ ** 0.4) - PY,                                         # PRICEY.Y
            ((PX / 1.25) ** 0.5) * (PY ** 0.5) - PU,                                # PRICEW.W
            (PW ** 0.4) * (PZ ** 0.6) - PF,                                         # PRICEF.N
            X * 80 - 0.5 * CONS / PX,                                               # DX.PX
            Y * 100 - 0.5 * CONS / PY,                                              # DY.PY
            W * 200 - CONS / PU,                                                    # DW.PU
            N * 4 - ENTRE / PF,                                                     # DF.PF
            100 * endow - 0.4 * PW ** 0.6 * PZ ** -0.6 * Y * 100 - 0.6 * PW ** 0.4 * PZ ** -0.4 * X * 80
            - 0.6 * PW ** 0.4 * PZ ** -0.4 * N * 4,                                 # SKLAB.PZ
            100 * endow - 0.6 * PW ** -0.4 * PZ ** 0.4 * Y * 100 - 0.4 * PW ** -0.6 * PZ ** 0.6 * X * 80
            - 0.4 * PW ** -0.6 * PZ ** 0.6 * N * 4,                                 # UNLAB.PW
            CONS - PZ * 100 * endow - PW * 100 * endow,                             # ICONS.CONS
            ENTRE - MARKUP * PX * X * 80,                                           # IENTRE.ENTRE
            MARKUP * N - 1])                                                        # MK.MARKUP

    lb, ub = np.zeros(13), np.full(13, INF)
    lb[5] = ub[5] = 1
    z0 = np.array([1.1, 0.9, 1.05, 4.5, 1.2, 1, 1.02, 1.03, 0.97, 1.02, 190, 18, 0.22])
    z, res = solve_mcp(F, lb, ub, z0)
    names = ["X", "Y", "W", "N", "PX", "PY", "PU", "PF", "PZ", "PW", "CONS", "ENTRE", "MARKUP"]
    return _named(names, z), f"scipy least_squares (Fischer-Burmeister) on the MCP written in numpy; residual {res:.1e}"


def markusen_m62(endowment=100.0):
    """M62 monopolistic competition (EP = 5, FC = 20) with both endowments ``endowment`` (100: the benchmark,
    200: the model's second solve)."""
    ep, fc, endows, endowl = 5.0, 20.0, endowment, endowment

    def F(z):
        X, Y, W, N, PX, PY, PU, PZ, PW, E, CONS = z
        return np.array([
            (PW ** 0.4) * (PZ ** 0.6) - PX * (1 - 1 / ep),                          # PRICEX.X
            (PW ** 0.6) * (PZ ** 0.4) - PY,                                         # PRICEY.Y
            (E ** 0.5) * (PY ** 0.5) - PU,                                          # PRICEW.W
            fc * (ep - 1) - X * 80,                                                 # ZEROP.N
            X * 80 - PX ** (-ep) * E ** (ep - 1) * CONS / 2,                        # DX.PX
            Y * 100 - CONS / (2 * PY),                                              # DY.PY
            200 * W - 1.25 ** 0.5 * CONS / PU,                                      # DW.PU
            endows - 0.4 * PW ** 0.6 * PZ ** -0.6 * Y * 100 - 0.6 * PW ** 0.4 * PZ ** -0.4 * N * X * 80
            - 0.6 * PW ** 0.4 * PZ ** -0.4 * N * fc,                                # SKLAB.PZ
            endowl - 0.6 * PW ** -0.4 * PZ ** 0.4 * Y * 100 - 0.4 * PW ** -0.6 * PZ ** 0.6 * N * X * 80
            - 0.4 * PW ** -0.6 * PZ ** 0.6 * N * fc,                                # UNLAB.PW
            E - (N * PX ** (1 - ep)) ** (1 / (1 - ep)),                             # INDEX.E
            CONS - PZ * endows - PW * endowl])                                      # INCOME.CONS

    lb, ub = np.zeros(11), np.full(11, INF)
    lb[5] = ub[5] = 1
    z0 = np.array([1, 1, 1, 1, 1.25, 1, 1.25 ** 0.5, 1, 1, 1.25, 200])
    z, res = solve_mcp(F, lb, ub, z0)
    names = ["X", "Y", "W", "N", "PX", "PY", "PU", "PZ", "PW", "E", "CONS"]
    return _named(names, z), f"scipy least_squares (Fischer-Burmeister) on the MCP written in numpy; residual {res:.1e}"


def markusen_m52():
    """M52 monopoly with fixed costs (12 skilled, 8 unskilled), solved in numpy from a start off the benchmark."""
    sigma = 9.0
    A = 0.5 ** (1 / (1 - sigma))

    def F(z):
        X, Y, W, PX, PY, PU, PW, PZ, CONS, SHAREX, MARKUP = z
        agg = (PX / 1.25) ** (1 - sigma) + PY ** (1 - sigma)
        return np.array([
            (PW ** 0.4) * (PZ ** 0.6) - PX * (1 - MARKUP),                               # PRICEX.X
            (PW ** 0.6) * (PZ ** 0.4) - PY,                                              # PRICEY.Y
            A * agg ** (1 / (1 - sigma)) - PU,                                           # PRICEW.W
            X * 80 - A * (PX / 1.25) ** (-sigma) * agg ** (sigma / (1 - sigma)) * W * 200 / 1.25,   # DX.PX
            Y * 100 - A * PY ** (-sigma) * agg ** (sigma / (1 - sigma)) * W * 200,                  # DY.PY
            W * 200 - CONS / PU,                                                         # DW.PU
            100 - 0.6 * PW ** -0.4 * PZ ** 0.4 * Y * 100 - 0.4 * PW ** -0.6 * PZ ** 0.6 * X * 80 - 8,  # UNLAB.PW
            100 - 0.4 * PW ** 0.6 * PZ ** -0.6 * Y * 100 - 0.6 * PW ** 0.4 * PZ ** -0.4 * X * 80 - 12,  # SKLAB.PZ
            CONS - PZ * 100 - PW * 100 - MARKUP * PX * X * 80 + PZ * 12 + PW * 8,       # ICONS.CONS
            SHAREX - 80 * PX * X / (80 * PX * X + 100 * PY * Y),                         # SHX.SHAREX
            MARKUP - 1 / (sigma - (sigma - 1) * SHAREX)])                                # MK.MARKUP

    lb, ub = np.zeros(11), np.full(11, INF)
    lb[4] = ub[4] = 1
    z0 = np.array([1.1, 0.9, 1.05, 1.2, 1, 1.02, 0.97, 1.03, 190, 0.45, 0.25])
    z, res = solve_mcp(F, lb, ub, z0)
    names = ["X", "Y", "W", "PX", "PY", "PU", "PW", "PZ", "CONS", "SHAREX", "MARKUP"]
    return _named(names, z), f"scipy least_squares (Fischer-Burmeister) on the MCP written in numpy; residual {res:.1e}"


def markusen_m61(endowment=100.0):
    """M61 external economies of scale (B = 0.2) with both endowments ``endowment`` (100: benchmark, 200: the
    model's second solve), solved in numpy from a start off the benchmark."""
    b = 0.2

    def F(z):
        X, Y, W, PX, PY, PU, PW, PZ, CONS = z
        return np.array([
            (PW ** 0.4) * (PZ ** 0.6) / X ** b - PX,                                     # PRICEX.X
            (PW ** 0.6) * (PZ ** 0.4) - PY,                                              # PRICEY.Y
            PX ** 0.5 * PY ** 0.5 - PU,                                                  # PRICEW.W
            X * 100 - CONS / (2 * PX),                                                   # DX.PX
            Y * 100 - CONS / (2 * PY),                                                   # DY.PY
            200 * W - CONS / PU,                                                         # DW.PU
            endowment - 0.6 * PW ** -0.4 * PZ ** 0.4 * Y * 100
            - 0.4 * PW ** -0.6 * PZ ** 0.6 * X ** (1 - b) * 100,                         # UNLAB.PW
            endowment - 0.4 * PW ** 0.6 * PZ ** -0.6 * Y * 100
            - 0.6 * PW ** 0.4 * PZ ** -0.4 * X ** (1 - b) * 100,                         # SKLAB.PZ
            CONS - PZ * endowment - PW * endowment])                                     # INCOME.CONS

    lb, ub = np.full(9, 1e-8), np.full(9, INF)
    lb[4] = ub[4] = 1
    z0 = np.array([1.1, 0.9, 1.05, 0.95, 1, 1.02, 0.97, 1.03, 190]) * (endowment / 100) ** np.array(
        [1, 1, 1, 0, 0, 0, 0, 0, 1])
    z, res = solve_mcp(F, lb, ub, z0)
    names = ["X", "Y", "W", "PX", "PY", "PU", "PW", "PZ", "CONS"]
    return _named(names, z), f"scipy least_squares (Fischer-Burmeister) on the MCP written in numpy; residual {res:.1e}"


M54_NAMES = ["XI", "XII", "XIJ", "XJ", "XJJ", "XJI", "YI", "YJ", "WFI", "WFJ", "NI", "NJ", "PXDI", "PXDJ", "PXI",
             "PXJ", "PY", "PUI", "PUJ", "PFI", "PFJ", "ZI", "ZJ", "WI", "WJ", "CONSI", "CONSJ", "ENTI", "ENTJ",
             "MARKII", "MARKIJ", "MARKJJ", "MARKJI"]


def markusen_m54(tc=0.15):
    """M54 two-country Cournot oligopoly with free entry and iceberg trade cost ``tc`` on exports of X (0.15:
    the model's second solve), solved in numpy from the benchmark levels. Row k is the function paired with
    variable k (``M54_NAMES``). Lower bounds 1e-8 instead of 0 keep the divisions finite; no variable is near
    its bound at the solution."""
    def F(z):
        (XI, XII, XIJ, XJ, XJJ, XJI, YI, YJ, WFI, WFJ, NI, NJ, PXDI, PXDJ, PXI, PXJ, PY, PUI, PUJ, PFI, PFJ,
         ZI, ZJ, WI, WJ, CONSI, CONSJ, ENTI, ENTJ, MARKII, MARKIJ, MARKJJ, MARKJI) = z
        ci, cj = WI ** 0.4 * ZI ** 0.6, WJ ** 0.4 * ZJ ** 0.6          # unit cost of X and of fixed costs
        xi_out, xj_out = XII + XIJ * (1 + tc), XJJ + XJI * (1 + tc)
        return np.array([
            ci - PXDI, PXDI - PXI * (1 - MARKII), PXDI * (1 + tc) - PXJ * (1 - MARKIJ),
            cj - PXDJ, PXDJ - PXJ * (1 - MARKJJ), PXDJ * (1 + tc) - PXI * (1 - MARKJI),
            WI ** 0.6 * ZI ** 0.4 - PY, WJ ** 0.6 * ZJ ** 0.4 - PY,
            (PXI / 1.25) ** 0.5 * PY ** 0.5 - PUI, (PXJ / 1.25) ** 0.5 * PY ** 0.5 - PUJ,
            ci - PFI, cj - PFJ,
            XII * 40 + XIJ * 40 * (1 + tc) - XI * 80, XJJ * 40 + XJI * 40 * (1 + tc) - XJ * 80,
            XII * 40 + XJI * 40 - 0.5 * CONSI / PXI, XJJ * 40 + XIJ * 40 - 0.5 * CONSJ / PXJ,
            (YI + YJ) * 100 - 0.5 * (CONSI + CONSJ) / PY,
            WFI * 200 - CONSI / PUI, WFJ * 200 - CONSJ / PUJ,
            NI * 8 - ENTI / PFI, NJ * 8 - ENTJ / PFJ,
            100 - 0.4 * WI ** 0.6 * ZI ** -0.6 * YI * 100 - 0.6 * WI ** 0.4 * ZI ** -0.4 * (xi_out * 40 + NI * 8),
            100 - 0.4 * WJ ** 0.6 * ZJ ** -0.6 * YJ * 100 - 0.6 * WJ ** 0.4 * ZJ ** -0.4 * (xj_out * 40 + NJ * 8),
            100 - 0.6 * WI ** -0.4 * ZI ** 0.4 * YI * 100 - 0.4 * WI ** -0.6 * ZI ** 0.6 * (xi_out * 40 + NI * 8),
            100 - 0.6 * WJ ** -0.4 * ZJ ** 0.4 * YJ * 100 - 0.4 * WJ ** -0.6 * ZJ ** 0.6 * (xj_out * 40 + NJ * 8),
            CONSI - ZI * 100 - WI * 100, CONSJ - ZJ * 100 - WJ * 100,
            ENTI - MARKII * PXI * XII * 40 - MARKIJ * PXJ * XIJ * 40,
            ENTJ - MARKJJ * PXJ * XJJ * 40 - MARKJI * PXI * XJI * 40,
            MARKII - XII / (NI * (XII + XJI)), MARKIJ - XIJ / (NI * (XIJ + XJJ)),
            MARKJJ - XJJ / (NJ * (XIJ + XJJ)), MARKJI - XJI / (NJ * (XII + XJI))])

    start = {name: 1.0 for name in M54_NAMES} | {"CONSI": 200, "CONSJ": 200, "ENTI": 20, "ENTJ": 20, "NI": 2.5,
                                                 "NJ": 2.5, "PXI": 1.25, "PXJ": 1.25, "MARKII": 0.2,
                                                 "MARKIJ": 0.2, "MARKJJ": 0.2, "MARKJI": 0.2}
    lb, ub = np.full(33, 1e-8), np.full(33, INF)
    k = M54_NAMES.index("PY")
    lb[k] = ub[k] = 1.0
    z, res = solve_mcp(F, lb, ub, np.array([start[name] for name in M54_NAMES], dtype=float))
    return _named(M54_NAMES, z), ("scipy least_squares (Fischer-Burmeister) on the MCP written in numpy; "
                                  f"residual {res:.1e}")


M63_NAMES = ["WFI", "WFJ", "YI", "YJ", "XII", "XJI", "XJJ", "XIJ", "PY", "NI", "NJ", "PI", "PJ", "PUI", "PUJ",
             "ZI", "ZJ", "WI", "WJ", "EI", "EJ", "MI", "MJ"]


def markusen_m63(tc=1.15, endow_i=150.0, endow_j=50.0):
    """M63 two-country monopolistic competition (EP = 5, FC = 20) with trade cost factor ``tc`` and both of
    country i's (j's) endowments ``endow_i`` (``endow_j``); the defaults are the model's fifth solve. Solved in
    numpy from the benchmark levels; row k is the function paired with variable k (``M63_NAMES``). Lower bounds
    1e-8 instead of 0 keep the divisions finite."""
    ep, fc = 5.0, 20.0
    k_welfare = (2 ** (1 / (1 - ep)) * 1.25) ** 0.5

    def F(z):
        (WFI, WFJ, YI, YJ, XII, XJI, XJJ, XIJ, PY, NI, NJ, PI, PJ, PUI, PUJ, ZI, ZJ, WI, WJ, EI, EJ, MI, MJ) = z
        firm_i, firm_j = NI * ((XII + XIJ) * 40 + fc), NJ * ((XJJ + XJI) * 40 + fc)
        return np.array([
            200 * WFI - k_welfare * MI / (1.025 * PUI), 200 * WFJ - k_welfare * MJ / (1.025 * PUJ),
            WI ** 0.6 * ZI ** 0.4 - PY, WJ ** 0.6 * ZJ ** 0.4 - PY,
            XII * 40 - PI ** -ep * EI ** (ep - 1) * MI / 2, XJI * 40 / tc - (PJ * tc) ** -ep * EI ** (ep - 1) * MI / 2,
            XJJ * 40 - PJ ** -ep * EJ ** (ep - 1) * MJ / 2, XIJ * 40 / tc - (PI * tc) ** -ep * EJ ** (ep - 1) * MJ / 2,
            (YI + YJ) * 100 - MI / (2 * PY) - MJ / (2 * PY),
            fc * (ep - 1) - (XII + XIJ) * 40, fc * (ep - 1) - (XJJ + XJI) * 40,
            WI ** 0.4 * ZI ** 0.6 - PI * (1 - 1 / ep), WJ ** 0.4 * ZJ ** 0.6 - PJ * (1 - 1 / ep),
            EI ** 0.5 * PY ** 0.5 / 1.025 - PUI, EJ ** 0.5 * PY ** 0.5 / 1.025 - PUJ,
            endow_i - 0.4 * WI ** 0.6 * ZI ** -0.6 * YI * 100 - 0.6 * WI ** 0.4 * ZI ** -0.4 * firm_i,
            endow_j - 0.4 * WJ ** 0.6 * ZJ ** -0.6 * YJ * 100 - 0.6 * WJ ** 0.4 * ZJ ** -0.4 * firm_j,
            endow_i - 0.6 * WI ** -0.4 * ZI ** 0.4 * YI * 100 - 0.4 * WI ** -0.6 * ZI ** 0.6 * firm_i,
            endow_j - 0.6 * WJ ** -0.4 * ZJ ** 0.4 * YJ * 100 - 0.4 * WJ ** -0.6 * ZJ ** 0.6 * firm_j,
            EI - (NI * PI ** (1 - ep) + NJ * (PJ * tc) ** (1 - ep)) ** (1 / (1 - ep)),
            EJ - (NI * (PI * tc) ** (1 - ep) + NJ * PJ ** (1 - ep)) ** (1 / (1 - ep)),
            MI - ZI * endow_i - WI * endow_i, MJ - ZJ * endow_j - WJ * endow_j])

    start = {name: 1.0 for name in M63_NAMES} | {"PUI": 1.25 ** 0.5, "PUJ": 1.25 ** 0.5, "MI": 200, "MJ": 200,
                                                 "PI": 1.25, "PJ": 1.25}
    lb, ub = np.full(23, 1e-8), np.full(23, INF)
    k = M63_NAMES.index("PY")
    lb[k] = ub[k] = 1.0
    z, res = solve_mcp(F, lb, ub, np.array([start[name] for name in M63_NAMES], dtype=float))
    return _named(M63_NAMES, z), ("scipy least_squares (Fischer-Burmeister) on the MCP written in numpy; "
                                  f"residual {res:.1e}")


# ------------------------------------------------------------------------------------------- EMP models
def simpequil2():
    """Closed form. The agent's best response to y is x = 1 - y (optcons binds, x >= 0, price 1); the VI row
    -3 x + y = 0.5 then gives 4 x = 0.5: x = 1/8, y = 7/8."""
    return {"x": 0.125, "y": 0.875}, "closed form: x = 1 - y and y = 0.5 + 3 x give x = 1/8, y = 7/8"


def harker_gnep():
    """Closed form. Both players' unconstrained first-order conditions, 2 x1 + 8/3 x2 = 34 and
    2 x2 + 5/4 x1 = 24.25, hold at (5, 9), inside the box, with x1 + x2 = 14 < 15: the shared constraint is
    slack and its price 0. The game's VI map has Jacobian [[2, 8/3], [5/4, 2]] whose symmetric part is
    positive definite (4 > (23/12)^2), so the variational equilibrium is unique."""
    return {"x[1]": 5.0, "x[2]": 9.0}, "closed form: the unconstrained Nash point (5, 9) is feasible; VE unique"


RIVER = {"K": [100.0, 100.0], "d1": 3.0, "d2": 0.01, "e": [0.5, 0.25, 0.75],
         "c": [[0.1, 0.12, 0.15], [0.01, 0.05, 0.01]], "u": [[6.5, 4.583], [5.0, 6.25], [5.5, 3.75]]}


def river_basin():
    """Variational equilibrium of the river basin game: each firm's stationarity with the common prices mu(m)."""
    K, d1, d2, e = np.array(RIVER["K"]), RIVER["d1"], RIVER["d2"], np.array(RIVER["e"])
    c, u = np.array(RIVER["c"]), np.array(RIVER["u"])

    def F(z):
        x, mu = z[:3], z[3:]
        grad = c[0] + 2 * c[1] * x - d1 + d2 * x.sum() + d2 * x
        return np.concatenate([grad + (u * e[:, None]) @ mu, K - (u * e[:, None]).T @ x])

    z, res = solve_mcp(F, np.zeros(5), np.full(5, INF), np.array([10, 10, 10, 0.1, 0.1]))
    return _named(["x[1]", "x[2]", "x[3]"], z[:3]), \
        f"scipy least_squares (Fischer-Burmeister) on the VE's KKT system written in numpy; residual {res:.1e}"


def cournot_nash():
    """The firms' first-order conditions are OLIGOMCP's: the same outputs."""
    z, res = _oligopoly_solution()
    return _named([f"q[f{k}]" for k in range(1, 6)], z[1:]), \
        f"the OLIGOMCP reference (scipy least_squares on its MCP; residual {res:.1e})"


def mopec_mathiesen():
    """The consumer's KKT conditions plus the market VI, with x >= 1, p >= 1 and p(2) = 1 as in the model.

    Variables x(1..3) >= 1, the budget multiplier lam >= 0, y >= 0, p(1..3) >= 1 (p(2) fixed):
    -s(i)/x(i) + lam p(i) _|_ x(i); p.b - p.x _|_ lam; -A.p _|_ y; b + A y - x _|_ p.
    """
    s, b, A = np.array([0.9, 0.1, 0.0]), np.array([0.0, 5.0, 3.0]), np.array([1.0, -1.0, -1.0])

    def F(z):
        x, lam, y, p = z[0:3], z[3], z[4], z[5:8]
        return np.concatenate([-s / x + lam * p, [p @ b - p @ x, -(A @ p)], b + A * y - x])

    lb = np.array([1, 1, 1, 0, 0, 1, 1, 1.0])
    ub = np.array([INF, INF, INF, INF, INF, INF, 1, INF])
    z, res = solve_mcp(F, lb, ub, np.array([2, 2, 1, 0.1, 1, 3, 1, 3.0]))
    names = ["x[1]", "x[2]", "x[3]", "lam", "y", "p[1]", "p[2]", "p[3]"]
    values = _named(names, z)
    values.pop("lam")                        # the budget's multiplier has no name in the GAMS model
    return values, f"scipy least_squares (Fischer-Burmeister) on the consumer's KKT and the VI; residual {res:.1e}"


def pies():
    """PIES: the LP's KKT system with the demand-row duals p entering the demand, written in numpy.

    Variables: c(6), o(4), ct(4), ot(4), lt(4), ht(4) (shipments, bounds as in the model), p(6) >= 0.1 (the
    duals of dembal), the free multipliers of the four balances (2 each) and the resource duals (2, >= 0).
    Stationarity of min cost - p.dembal - lam.balances - mu.ruse for each shipment, then the rows.
    """
    comod, users = ["C", "L", "H"], ["1", "2"]
    ccost = np.array([[5, 6, 8], [4, 5, 7.0]])
    ocost = np.array([[1, 1.5], [1.25, 1.5]])
    ctcost = np.array([[1, 2.5], [0.75, 2.75]])
    otcost = np.array([[2, 3], [4, 2.0]])
    rcost = np.array([6.5, 5.0])
    ltcost = np.array([[1, 1.2], [1, 1.5]])
    htcost = np.array([[1, 1.2], [1, 1.5]])
    cmax = np.array([[300, 300, 400], [200, 300, 600.0]])
    omax = np.array([[1100, 1200], [1300, 1100.0]])
    cruse = np.array([[[1, 5, 10], [1, 5, 6]], [[1, 2, 3], [1, 4, 5]]], dtype=float)   # (R, creg, ctyp)
    oruse = np.array([[[0, 10], [0, 15]], [[0, 4], [0, 2]]], dtype=float)             # (R, oreg, otyp)
    rmax = np.array([35000, 12000.0])
    outL, outH = np.array([0.6, 0.5]), np.array([0.4, 0.5])
    q0, p0 = np.array([1000, 1200, 1000.0]), np.array([12, 16, 12.0])
    esub = np.array([[-0.75, 0.1, 0.2], [0.1, -0.5, 0.2], [0.2, 0.1, -0.5]])
    sizes = {"c": 6, "o": 4, "ct": 4, "ot": 4, "lt": 4, "ht": 4, "p": 6, "lc": 2, "lo": 2, "ll": 2, "lh": 2, "mu": 2}
    offsets, k = {}, 0
    for name, size in sizes.items():
        offsets[name] = slice(k, k + size)
        k += size
    n = k

    def F(z):
        v = {name: z[sl] for name, sl in offsets.items()}
        c, o = v["c"].reshape(2, 3), v["o"].reshape(2, 2)
        ct, ot, lt, ht = (v[name].reshape(2, 2) for name in ("ct", "ot", "lt", "ht"))
        p = v["p"].reshape(3, 2)                                     # (comod, users)
        lc, lo, ll, lh, mu = v["lc"], v["lo"], v["ll"], v["lh"], v["mu"]
        demand = q0[:, None] * np.prod((p[None, :, :] / p0[None, :, None]) ** esub[:, :, None], axis=1)
        supply = np.stack([ct.sum(axis=0), lt.sum(axis=0), ht.sum(axis=0)])
        return np.concatenate([
            (ccost - lc[:, None] + np.einsum("r,rct->ct", mu, cruse)).ravel(),
            (ocost - lo[:, None] + np.einsum("r,rot->ot", mu, oruse)).ravel(),
            (ctcost - p[0][None, :] + lc[:, None]).ravel(),
            (otcost + rcost[None, :] + lo[:, None] - outL[None, :] * ll[None, :] - outH[None, :] * lh[None, :]).ravel(),
            (ltcost - p[1][None, :] + ll[:, None]).ravel(),
            (htcost - p[2][None, :] + lh[:, None]).ravel(),
            (supply - demand).ravel(),
            c.sum(axis=1) - ct.sum(axis=1),
            o.sum(axis=1) - ot.sum(axis=1),
            ot.sum(axis=0) * outL - lt.sum(axis=1),
            ot.sum(axis=0) * outH - ht.sum(axis=1),
            rmax - np.einsum("rct,ct->r", cruse, c) - np.einsum("rot,ot->r", oruse, o)])

    lb, ub = np.zeros(n), np.full(n, INF)
    ub[offsets["c"]], ub[offsets["o"]] = cmax.ravel(), omax.ravel()
    lb[offsets["p"]] = 0.1
    for name in ("lc", "lo", "ll", "lh"):
        lb[offsets[name]] = -INF
    z0 = np.zeros(n)
    z0[offsets["c"]] = [300, 300, 400, 200, 300, 600]
    z0[offsets["o"]] = [1100, 1000, 1300, 1000]
    z0[offsets["ct"]] = [0, 828, 1016, 84]
    z0[offsets["ot"]] = [2075, 0, 0, 2358]
    z0[offsets["lt"]] = [22, 1223, 1179, 0]
    z0[offsets["ht"]] = [0, 830, 998, 180]
    z0[offsets["p"]] = [11.7, 13.7, 15.8, 16.0, 11.9, 12.4]
    z0[offsets["lc"]] = z0[offsets["lo"]] = z0[offsets["ll"]] = z0[offsets["lh"]] = 1
    z0[offsets["mu"]] = 1
    z, res = solve_mcp(F, lb, ub, z0, tol=1e-7)
    p = z[offsets["p"]].reshape(3, 2)
    values = {f"p[{k},{u}]": float(p[i, j]) for i, k in enumerate(comod) for j, u in enumerate(users)}
    return values, ("scipy least_squares (Fischer-Burmeister) on the LP's KKT system with p in the demand; "
                    f"residual {res:.1e}")


def bard_bilevel():
    """Closed form, checked numerically. On the follower's feasible set with y2 = 0 the constraints e1
    (4 x + 5 y1 <= 12) and e3 (y1 >= x - 1) meet at x = 17/9, y1 = 8/9, where the follower's best response
    sits on that vertex and the leader's objective is -38/27; a grid over x in [0, 3] with SLSQP for the
    follower, refined by a bounded scalar search, finds the same point (Bard 1988 reports it too)."""
    return {"x": 17 / 9, "y1": 8 / 9, "y2": 0.0}, \
        "closed form x = 17/9, y = (8/9, 0), confirmed by a grid search over x with the follower solved by SLSQP"


def braess():
    """Beckmann's program of the four-road network: by symmetry each road carries half the demand, 3, and both
    paths cost 50 + 3 + 10 * 3 = 83 (Wardrop: equal costs on used paths)."""
    return {f"Flow[{i},{j}]": 3.0 for i, j in (("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"))}, \
        "closed form: symmetric split 3/3, both path costs 83"


def braess_new_road():
    """Closed form. With the road c -> b (10 + flow) the three paths a-b-d, a-c-d, a-c-b-d carry 2 each: road
    flows a-b 2, a-c 4, b-d 4, c-d 2, c-b 2, and every path takes 92 (a-c-b-d: 40 + 12 + 40)."""
    flows = {("a", "b"): 2, ("a", "c"): 4, ("b", "d"): 4, ("c", "d"): 2, ("c", "b"): 2}
    return {f"Flow[{i},{j}]": float(v) for (i, j), v in flows.items()}, \
        "closed form: three paths with 2 each, all costing 92 (Braess's paradox)"


def transmcp_flex():
    """At the reference prices pbar (the fixed-demand equilibrium prices) the calibrated demand equals b, so the
    fixed-demand equilibrium solves this MCP too; the prices and the unique shipments are transmcp's."""
    values, _ = transmcp()
    return values, "transmcp's reference (linprog duals): the calibrated demand replicates the fixed-demand equilibrium"


def nash_dynamic():
    """Closed form (published with the model). Given x(a2,1) = 1/2, agent a1's costs separate: 7 x(a1,0) = 6 and
    x(a1,1) + 3/2 - 4 = 0, so x(a1,0) = 6/7 and x(a1,1) = 5/2 >= x(a1,0); given x(a1,1) = 5/2, agent a2's
    condition x(a2,1) + 5/2 - 3 = 0 gives 1/2 >= 0."""
    return {"x[a1,0]": 6 / 7, "x[a1,1]": 2.5, "x[a2,1]": 0.5}, \
        "closed form (the solution published with the model, rederived from both agents' first-order conditions)"


def nash_dynamic_others():
    """The game has two more equilibria (the source publishes one). Agent a2's best response is x(a2,1) =
    max(0, 3 - x(a1,1)). Agent a1's is x(a1,0) = 6/7, x(a1,1) = 4 - 3 x(a2,1) while that is >= 6/7 (x(a2,1) <=
    22/21), else x(a1,0) = x(a1,1) = (10 - 3 x(a2,1)) / 8. Fixed points: x(a2,1) = 1/2 (the published one);
    x(a2,1) = 0 with x(a1,1) = 4 (a2's constraint binds, multiplier 1); and, on the binding branch, x = (1 + 3 x)
    / 8, so x(a1,0) = x(a1,1) = 1/5, x(a2,1) = 14/5 > 22/21."""
    return [{"x[a1,0]": 6 / 7, "x[a1,1]": 4.0, "x[a2,1]": 0.0}, {"x[a1,0]": 0.2, "x[a1,1]": 0.2, "x[a2,1]": 2.8}]


# ------------------------------------------------------------------------------------------- the library
GAMSLIB = "https://www.gams.com/latest/gamslib_ml/libhtml/gamslib_{}.html"
INDEX_COPY = "GitHub code index (a copy whose repository the index does not name)"
RESHOP = {"repository": "xhub/reshop", "commit": "43ce685d3c859adf18e5a6fcd98b24dabd75d486"}
MPSGE_JL = {"repository": "julia-mpsge/MPSGE.jl", "commit": "ff9113f6b04c60f036f38bb79b7b01d17634c711"}

def _markusen(function, model: str, note: str) -> dict:
    """A Markusen teaching model read from MPSGE.jl's copy (chapter from the model's number: M51 -> 05)."""
    return dict(kind="mcp", function=function,
                published=f"J. R. Markusen, Extending the Theory of Trade (teaching model {model})",
                read_from=MPSGE_JL | {"path": f"examples/Markusen_Examples/Chapter_0{model[1]}/{model}-MCP.gms"},
                tol=1e-6, note=note)


LIBRARY = {
    "transmcp": dict(kind="mcp", function=transmcp, published=GAMSLIB.format("transmcp"),
                     read_from={"where": INDEX_COPY}, tol=1e-6,
                     note="first solve (fixed quantities); x(., new-york) not unique, left out"),
    "transmcp_flex": dict(kind="mcp", function=transmcp_flex, published=GAMSLIB.format("transmcp"),
                          read_from={"where": INDEX_COPY}, tol=1e-6,
                          note="model equilqty with pbar given as data; x(., new-york) not unique, left out"),
    "scarfmcp": dict(kind="mcp", function=scarfmcp, published=GAMSLIB.format("scarfmcp"),
                     read_from={"repository": "MonicaCT/SalariesBolivia", "path": "scarfmcp.gms",
                                "commit": "8dbcfb08f35988b8bc5ebae79ad326d8c20a0809"}, tol=1e-6),
    "hansmcp": dict(kind="mcp", function=hansmcp, published=GAMSLIB.format("hansmcp"),
                    read_from={"where": INDEX_COPY}, tol=1e-6),
    "spatequ": dict(kind="mcp", function=spatequ, published=GAMSLIB.format("spatequ"),
                    read_from={"where": INDEX_COPY}, tol=1e-6, note="its MCP model (the fourth solve) on its own"),
    "two3mcp": dict(kind="mcp", function=two3mcp, published=GAMSLIB.format("two3mcp"),
                    read_from={"where": INDEX_COPY}, tol=1e-6, note="first solve (the reference case)"),
    "wallmcp": dict(kind="mcp", function=wallmcp, published=GAMSLIB.format("wallmcp"),
                    read_from={"where": INDEX_COPY}, tol=1e-6),
    "vonthmcp": dict(kind="mcp", function=vonthmcp, published=GAMSLIB.format("vonthmcp"),
                     read_from={"where": INDEX_COPY}, tol=1e-5),
    "oligomcp": dict(kind="mcp", function=oligomcp, published=GAMSLIB.format("oligomcp"),
                     read_from={"where": INDEX_COPY}, tol=1e-6),
    "josephy": dict(kind="mcp", function=josephy,
                    published="MCPLIB josephy (Josephy 1979; Dirkse and Ferris 1995)",
                    read_from={"where": "written for sharedeq from the MCPLIB problem's functions"}, tol=1e-6),
    "smallmcp": dict(kind="mcp", function=smallmcp, published="J. R. Markusen's MPSGE/MCP teaching models",
                     read_from=MPSGE_JL | {"path": "examples/Compare_Julia_to_GAMS/small/smallmcp.gms"}, tol=1e-6),
    "markusen_m51": _markusen(markusen_m51, "M51", "first solve (the benchmark)"),
    "markusen_m53": _markusen(markusen_m53, "M53", "first solve (the benchmark)"),
    "markusen_m62": _markusen(markusen_m62, "M62", "first solve (the benchmark)"),
    "markusen_m51_mc": _markusen(partial(markusen_m51, markup=0.0), "M51", "second solve (MARKUP fixed at 0)"),
    "markusen_m52": _markusen(markusen_m52, "M52", "first solve (the benchmark)"),
    "markusen_m53_double": _markusen(partial(markusen_m53, endow=2.0), "M53", "second solve (ENDOW = 2)"),
    "markusen_m61": _markusen(markusen_m61, "M61", "first solve (the benchmark)"),
    "markusen_m61_double": _markusen(partial(markusen_m61, endowment=200.0), "M61",
                                     "second solve (ENDOWS = ENDOWL = 200)"),
    "markusen_m62_double": _markusen(partial(markusen_m62, endowment=200.0), "M62",
                                     "second solve (ENDOWS = ENDOWL = 200)"),
    "markusen_m54_tc": _markusen(markusen_m54, "M54", "second solve (TC = 0.15) from the benchmark levels"),
    "markusen_m63_home": _markusen(markusen_m63, "M63",
                                   "fifth solve (TC = 1.15, endowments 150 and 50) from the benchmark"),
    "simpequil2": dict(kind="emp", function=simpequil2, published="GAMS EMP library SIMPEQUIL2 (SEQ=63)",
                       read_from=RESHOP | {"path": "test/gams/empinterp/simpequil_space_comments.gms"}, tol=1e-6),
    "mopec_mathiesen": dict(kind="emp", function=mopec_mathiesen,
                            published="Mathiesen, Mathematical Programming 37 (1987); MOPEC by Y. Kim (2016)",
                            read_from=RESHOP | {"path": "test/gams/equilibrium/mopec_mathiesen.gms"}, tol=1e-6,
                            note="first solve; the budget's multiplier is not compared"),
    "pies": dict(kind="emp", function=pies, published="GAMS EMP library PIES (SEQ=56); MCPLIB pies",
                 read_from=RESHOP | {"path": "test/gams/dualvar/pies.gms"}, tol=1e-5,
                 note="first solve; prices compared (the LP's shipments are not unique)"),
    "harker_gnep": dict(kind="emp", function=harker_gnep,
                        published="Harker, European Journal of Operational Research 54 (1991)",
                        read_from={"where": "written for sharedeq from the paper (EMP manual style)"}, tol=1e-6),
    "river_basin": dict(kind="emp", function=river_basin,
                        published="GAMS EMP manual, river basin model (Haurie and Krawczyk 1997)",
                        read_from={"where": "the EMP manual's text, as quoted in docs/coming-from-gams.md"}, tol=1e-5),
    "cournot_nash": dict(kind="emp", function=cournot_nash,
                         published="OLIGOMCP's market (Murphy, Sherali and Soyster 1982) as an EMP Nash game",
                         read_from={"where": "written for sharedeq from the OLIGOMCP data"}, tol=1e-5),
    "bard_bilevel": dict(kind="emp", function=bard_bilevel,
                         published="Bard, Mathematical Programming 40 (1988); EMP 'bilevel'",
                         read_from=RESHOP | {"path": "test/gams/bilevel/bard-851.gms"}, tol=1e-5,
                         note="first solve"),
    "braess": dict(kind="nlp", function=braess, published="Braess network, Princeton library (GAMS World)",
                   read_from={"repository": "GAMS-dev/gamsworld",
                              "path": "PrincetonLib/Traffic Equilibrium/Indexed_models/braess.gms",
                              "commit": "3d680c4d2d6a2932f89f27ba91a7907872e851d7"}, tol=1e-5,
                   note="first solve (before the new road)"),
    "braess_new_road": dict(kind="nlp", function=braess_new_road,
                            published="Braess network, Princeton library (GAMS World)",
                            read_from={"repository": "GAMS-dev/gamsworld",
                                       "path": "PrincetonLib/Traffic Equilibrium/Indexed_models/braess.gms",
                                       "commit": "3d680c4d2d6a2932f89f27ba91a7907872e851d7"}, tol=1e-5,
                            note="second solve (with the new road) as a model of its own"),
    "nash_dynamic": dict(kind="emp", function=nash_dynamic, published="ReSHOP test nash_emb (O. Huber, J. Shen)",
                         read_from=RESHOP | {"path": "test/gams/embcode_reshop/nash_emb.gms"}, tol=1e-6,
                         note="agents given as a classic empinfo instead of ReSHOP embedded code",
                         others=nash_dynamic_others),
}


def main(names=None) -> None:
    """Recompute the references of ``names`` (default: all; about three minutes, PIES and VONTHMCP are slow)
    and write them into ``references.json``, keeping the other models' entries."""
    path = HERE / "references.json"
    out = json.loads(path.read_text()) if path.exists() else {}
    for name in names or LIBRARY:
        entry = LIBRARY[name]
        values, method = entry["function"]()
        function = getattr(entry["function"], "func", entry["function"])
        doc = " ".join((function.__doc__ or "").split())
        out[name] = {"file": f"{name}.gms", "kind": entry["kind"], "published": entry["published"],
                     "read_from": entry["read_from"], "method": method, "derivation": doc, "tol": entry["tol"],
                     "note": entry.get("note", ""), "reference": values}
        if "others" in entry:       # a game with several equilibria: any of them passes
            out[name]["other_equilibria"] = entry["others"]()
            out[name]["other_derivation"] = " ".join(entry["others"].__doc__.split())
        print(f"{name:18s} {method}")
    path.write_text(json.dumps({name: out[name] for name in LIBRARY if name in out}, indent=1) + "\n")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
