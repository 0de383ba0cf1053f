"""Reference answers for the cases in ``cases/``, computed independently of ``sharedeq``.

Nothing here imports ``sharedeq`` or Pyomo: every problem is written out again by hand in numpy (and, for the
potential games, casadi/Ipopt), from the same published data the case modules use. Two independent techniques are
used where possible:

* :func:`solve_mcp` -- the KKT system of the equilibrium, written by hand as a mixed complementarity problem
  ``F(z) _|_ lb <= z <= ub`` and solved with a box Fischer-Burmeister reformulation (Billups 1995) and
  ``scipy.optimize.least_squares`` (Levenberg-Marquardt). The result is accepted only if the *natural residual*
  ``||z - mid(lb, ub, z - F(z))||_inf`` is tiny.
* for potential games (linear inverse demand Cournot models), the variational equilibrium is the minimiser of the
  potential over the joint feasible set; that convex program is solved with casadi + Ipopt.

Where a published solution exists the case docstrings and ``docs/reference-numbers.md`` quote it next to the
numbers computed here. Every function returns plain dicts of floats/numpy arrays.

Multiplier sign convention (as in sharedeq): Lagrangian ``f + lam' g`` with ``g(x) <= 0`` and ``lam >= 0``.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import least_squares

# ---------------------------------------------------------------------------------------------------------------
# generic MCP machinery (numpy / scipy only)
# ---------------------------------------------------------------------------------------------------------------


def _fb(a, b):
    """Fischer-Burmeister function: zero iff a >= 0, b >= 0, a*b = 0."""
    return a + b - np.sqrt(a * a + b * b)


def natural_residual(F, z, lb, ub) -> np.ndarray:
    """``z - mid(lb, ub, z - F(z))``: zero exactly at a solution of ``F(z) _|_ lb <= z <= ub``."""
    z = np.asarray(z, float)
    return z - np.clip(z - F(z), lb, ub)


def solve_mcp(F, lb, ub, z0, tol=1e-10, max_nfev=20000):
    """Solve ``F(z) _|_ lb <= z <= ub`` (box Fischer-Burmeister + Levenberg-Marquardt).

    Returns ``(z, natural_residual_inf_norm)``; raises ``RuntimeError`` if the residual exceeds ``tol``.
    """
    lb = np.asarray(lb, float)
    ub = np.asarray(ub, float)
    lo_f, up_f = np.isfinite(lb), np.isfinite(ub)

    def phi(z):
        f = F(z)
        out = f.copy()
        only_lo = lo_f & ~up_f
        only_up = up_f & ~lo_f
        both = lo_f & up_f
        out[only_lo] = _fb(z[only_lo] - lb[only_lo], f[only_lo])
        out[only_up] = -_fb(ub[only_up] - z[only_up], -f[only_up])
        out[both] = _fb(z[both] - lb[both], -_fb(ub[both] - z[both], -f[both]))
        return out

    z0 = np.asarray(z0, float)
    res = least_squares(phi, z0, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=max_nfev,
                        x_scale="jac")
    z = res.x
    r = float(np.max(np.abs(natural_residual(F, z, lb, ub))))
    if not r <= tol:
        raise RuntimeError(f"solve_mcp: natural residual {r:.3e} > {tol:g} ({res.message})")
    return z, r


def _ipopt_qp(f, x, g=None, lbx=None, ubx=None, lbg=None, ubg=None, x0=None):
    """Minimise a casadi expression with Ipopt; returns (x, lam_g, lam_x). Only used for potential games."""
    import casadi as ca

    nlp = {"x": x, "f": f}
    if g is not None:
        nlp["g"] = g
    opts = {"print_time": 0, "ipopt.print_level": 0, "ipopt.sb": "yes", "ipopt.tol": 1e-12,
            "ipopt.constr_viol_tol": 1e-12}
    solver = ca.nlpsol("potential", "ipopt", nlp, opts)
    args = {"x0": x0 if x0 is not None else np.zeros(x.shape[0])}
    if lbx is not None:
        args["lbx"] = lbx
    if ubx is not None:
        args["ubx"] = ubx
    if g is not None:
        args["lbg"] = lbg
        args["ubg"] = ubg
    sol = solver(**args)
    if not solver.stats()["success"]:
        raise RuntimeError(f"Ipopt failed: {solver.stats()['return_status']}")
    return (np.asarray(sol["x"]).ravel(), np.asarray(sol["lam_g"]).ravel(), np.asarray(sol["lam_x"]).ravel())


# ---------------------------------------------------------------------------------------------------------------
# Facchinei & Kanzow A.14: internet switching (Kesselman et al.)
# ---------------------------------------------------------------------------------------------------------------


def internet_switching_grad(x, B=1.0):
    """d theta_nu / d x_nu for theta_nu = -x_nu/S * (1 - S/B), S = sum(x)."""
    S = x.sum()
    return -(S - x) / S**2 + 1.0 / B


def internet_switching_reference(N=10, B=1.0, lower=0.01):
    """Variational (and generalized Nash) equilibrium of FK A.14.

    KKT (VE, one multiplier ``lam`` for sum(x) <= B):  grad_nu + lam _|_ x_nu >= lower,  B - sum(x) _|_ lam >= 0.
    Analytic check: the symmetric interior solution x_nu = (N-1) B / N^2 with lam = 0.
    """
    def F(z):
        x, lam = z[:N], z[N]
        return np.r_[internet_switching_grad(x, B) + lam, B - x.sum()]

    lb = np.r_[np.full(N, lower), 0.0]
    ub = np.full(N + 1, np.inf)
    z, r = solve_mcp(F, lb, ub, np.r_[np.full(N, 0.05), 0.1])
    analytic = (N - 1) * B / N**2
    assert np.allclose(z[:N], analytic, atol=1e-8), (z, analytic)
    return {"x": z[:N], "lam": z[N], "analytic_x": analytic, "residual": r}


def internet_switching_a1_reference(N=10, B=1.0, lower=0.01, x1_bounds=(0.3, 0.5)):
    """FK A.1 (variant of A.14): player 1 has 0.3 <= x1 <= 0.5 and does *not* share sum(x) <= B; players
    2..N share it and have x >= 0.01. KKT: grad_1 _|_ x1 in [0.3, 0.5]; grad_nu + lam _|_ x_nu >= 0.01 (nu >= 2);
    B - sum(x) _|_ lam >= 0. Analytic check: x1 = 0.3 (lower bound binds), the others y solve
    81 y^2 - 2.6 y - 0.21 = 0 (for N = 10, B = 1), lam = 0."""
    def F(z):
        x, lam = z[:N], z[N]
        g = internet_switching_grad(x, B)
        g[1:] += lam
        return np.r_[g, B - x.sum()]

    lb = np.r_[x1_bounds[0], np.full(N - 1, lower), 0.0]
    ub = np.r_[x1_bounds[1], np.full(N, np.inf)]
    z, r = solve_mcp(F, lb, ub, np.r_[0.4, np.full(N - 1, 0.05), 0.1])
    out = {"x": z[:N], "lam": z[N], "residual": r}
    if N == 10 and B == 1.0 and tuple(x1_bounds) == (0.3, 0.5):
        y = (2.6 + np.sqrt(2.6**2 + 4 * 81 * 0.21)) / 162
        assert abs(z[0] - 0.3) < 1e-9 and np.allclose(z[1:N], y, atol=1e-9), (z, y)
        out["analytic_others"] = y
    return out


# ---------------------------------------------------------------------------------------------------------------
# Facchinei & Kanzow A.15: electricity market (Contreras, Klusch & Krawczyk)
# ---------------------------------------------------------------------------------------------------------------

A15_OWNER = np.array([0, 1, 1, 2, 2, 2])  # plant -> company (1 plant, 2 plants, 3 plants)
A15_C = np.array([0.04, 0.035, 0.125, 0.0166, 0.05, 0.05])  # quadratic cost coefficient (cost = c/2 x^2 + d x + e)
A15_D = np.array([2.0, 1.75, 1.0, 3.25, 3.0, 3.0])
A15_E = np.zeros(6)
A15_UB = np.array([80.0, 80.0, 50.0, 55.0, 30.0, 40.0])
A15_PRICE_INTERCEPT = 378.4  # inverse demand p(S) = 378.4 - 2 S
A15_PRICE_SLOPE = 2.0


def electricity_contreras_grad(x):
    """d theta_nu / d x_j for plant j of company nu, theta_nu = (2 S - 378.4) v_nu + sum_j cost_j(x_j)."""
    S = x.sum()
    v = np.bincount(A15_OWNER, weights=x, minlength=3)
    return A15_PRICE_SLOPE * v[A15_OWNER] + (A15_PRICE_SLOPE * S - A15_PRICE_INTERCEPT) + A15_C * x + A15_D


def electricity_contreras_objectives(x):
    S = x.sum()
    v = np.bincount(A15_OWNER, weights=x, minlength=3)
    cost = np.bincount(A15_OWNER, weights=0.5 * A15_C * x**2 + A15_D * x + A15_E, minlength=3)
    return (A15_PRICE_SLOPE * S - A15_PRICE_INTERCEPT) * v + cost


def electricity_contreras_reference():
    """Nash equilibrium of FK A.15 (a NEP: box constraints only).

    Two independent computations: (1) the MCP ``grad _|_ 0 <= x <= ub``; (2) the game is a potential game
    (linear inverse demand), potential ``P = sum cost - 378.4 S + S^2 + sum_nu v_nu^2``, minimised with Ipopt.
    """
    import casadi as ca

    z, r = solve_mcp(electricity_contreras_grad, np.zeros(6), A15_UB, np.full(6, 10.0))
    x = ca.SX.sym("x", 6)
    S = ca.sum1(x)
    v = [x[0], x[1] + x[2], x[3] + x[4] + x[5]]
    P = (sum(0.5 * A15_C[j] * x[j] ** 2 + A15_D[j] * x[j] for j in range(6)) - A15_PRICE_INTERCEPT * S + S**2
         + sum(vi**2 for vi in v))
    xp, _, _ = _ipopt_qp(P, x, lbx=np.zeros(6), ubx=A15_UB, x0=np.full(6, 10.0))
    assert np.allclose(z, xp, atol=1e-6), (z, xp)
    return {"x": z, "x_potential": xp, "objectives": electricity_contreras_objectives(z), "residual": r}


# ---------------------------------------------------------------------------------------------------------------
# Facchinei & Kanzow A.16: 5-firm Cournot (Murphy, Sherali & Soyster data) with shared cap sum(x) <= P
# ---------------------------------------------------------------------------------------------------------------

A16_C = np.array([10.0, 8.0, 6.0, 4.0, 2.0])
A16_K = np.full(5, 5.0)
A16_BETA = np.array([1.2, 1.1, 1.0, 0.9, 0.8])
A16_GAMMA = 1.1


def cournot_shared_cap_grad(x):
    """d theta_i / d x_i for theta_i = c x + b/(b+1) K^(-1/b) x^((b+1)/b) - 5000^(1/g) S^(-1/g) x."""
    S = x.sum()
    p = 5000.0 ** (1 / A16_GAMMA) * S ** (-1 / A16_GAMMA)
    dp = -(1 / A16_GAMMA) * p / S
    xx = np.maximum(x, 0.0)
    return A16_C + A16_K ** (-1 / A16_BETA) * xx ** (1 / A16_BETA) - p - x * dp


def cournot_shared_cap_objectives(x):
    S = x.sum()
    p = 5000.0 ** (1 / A16_GAMMA) * S ** (-1 / A16_GAMMA)
    b = A16_BETA
    return A16_C * x + b / (b + 1) * A16_K ** (-1 / b) * x ** ((b + 1) / b) - p * x


def cournot_shared_cap_reference(P=75.0):
    """Variational equilibrium of FK A.16 for cap ``P`` (``P=None``: the game without the cap).

    MCP: grad_i + lam _|_ x_i >= 0,  P - sum(x) _|_ lam >= 0.
    """
    if P is None:
        z, r = solve_mcp(cournot_shared_cap_grad, np.zeros(5), np.full(5, np.inf), np.full(5, 40.0))
        return {"x": z, "lam": 0.0, "total": z.sum(), "residual": r}

    def F(z):
        x, lam = z[:5], z[5]
        return np.r_[cournot_shared_cap_grad(x) + lam, P - x.sum()]

    z, r = solve_mcp(F, np.zeros(6), np.full(6, np.inf), np.r_[np.full(5, P / 5), 1.0])
    return {"x": z[:5], "lam": z[5], "total": z[:5].sum(), "residual": r}


def cournot_shared_cap_is_gne(x, P, tol=1e-6) -> bool:
    """Membership test for the (continuum) generalized Nash equilibrium set of FK A.16.

    With own multipliers lam_i >= 0: x is a GNE iff x >= 0, sum(x) <= P, and for each i either
    (sum(x) < P and grad_i _|_ x_i >= 0) or (sum(x) = P and lam_i = -grad_i >= 0 when x_i > 0, any lam_i >= 0
    with grad_i + lam_i >= 0 when x_i = 0).
    """
    x = np.asarray(x, float)
    g = cournot_shared_cap_grad(x)
    if np.any(x < -tol) or x.sum() > P + tol:
        return False
    if x.sum() < P - tol:
        return bool(np.max(np.abs(natural_residual(lambda _z: g, x, 0.0, np.inf))) <= tol)
    pos = x > tol
    return bool(np.all(g[pos] <= tol))  # lam_i = -g_i >= 0 for producing firms; idle firms take lam_i large


# ---------------------------------------------------------------------------------------------------------------
# MCPLIB 'nash' (Harker 1988; Murphy, Sherali & Soyster data): 10-firm Nash-Cournot
# ---------------------------------------------------------------------------------------------------------------

NASH10_C = np.array([5.0, 3.0, 8.0, 5.0, 1.0, 3.0, 7.0, 4.0, 6.0, 3.0])
NASH10_BETA = np.array([1.2, 1.0, 0.9, 0.6, 1.5, 1.0, 0.7, 1.1, 0.95, 0.75])
NASH10_L = np.full(10, 10.0)
NASH10_GAMMA = 1.2
# the four starting points of the MCPLIB/AMPL data file (columns)
NASH10_STARTS = np.array([
    [1, 10, 1.0, 7], [1, 10, 1.2, 4], [1, 10, 1.4, 3], [1, 10, 1.6, 1], [1, 10, 1.8, 18],
    [1, 10, 2.1, 4], [1, 10, 2.3, 1], [1, 10, 2.5, 6], [1, 10, 2.7, 3], [1, 10, 2.9, 2]], float).T


def emp_nash_cournot_grad(q):
    """MCPLIB 'nash' function feas(i) = c + (L q)^(1/beta) - p(Q) - q p'(Q), p(Q) = (5000/Q)^(1/gamma)."""
    Q = q.sum()
    p = (5000.0 / Q) ** (1 / NASH10_GAMMA)
    qq = np.maximum(q, 0.0)
    return NASH10_C + (NASH10_L * qq) ** (1 / NASH10_BETA) - p + q * (1 / NASH10_GAMMA) * p / Q


def emp_nash_cournot_profits(q):
    Q = q.sum()
    p = (5000.0 / Q) ** (1 / NASH10_GAMMA)
    b = NASH10_BETA
    cost = NASH10_C * q + b / (b + 1) * NASH10_L ** (1 / b) * q ** ((b + 1) / b)
    return p * q - cost


def emp_nash_cournot_reference():
    """Nash equilibrium of MCPLIB 'nash' from each of its four published starting points (all must agree)."""
    sols = []
    for z0 in NASH10_STARTS:
        z, r = solve_mcp(emp_nash_cournot_grad, np.zeros(10), np.full(10, np.inf), z0)
        sols.append(z)
    sols = np.array(sols)
    assert np.max(np.ptp(sols, axis=0)) < 1e-7, sols
    q = sols[0]
    Q = q.sum()
    return {"q": q, "Q": Q, "price": (5000.0 / Q) ** (1 / NASH10_GAMMA), "profit": emp_nash_cournot_profits(q),
            "residual": float(np.max(np.abs(natural_residual(emp_nash_cournot_grad, q, 0.0, np.inf))))}


# ---------------------------------------------------------------------------------------------------------------
# sharedc (GAMS EMP manual structure) -- instance 'harker': Harker (1991), 2 players, x1 + x2 <= 15
# ---------------------------------------------------------------------------------------------------------------


def harker_grad(x):
    return np.array([2 * x[0] + 8 / 3 * x[1] - 34.0, 2 * x[1] + 5 / 4 * x[0] - 24.25])


def harker_objectives(x):
    return np.array([x[0] ** 2 + 8 / 3 * x[0] * x[1] - 34 * x[0], x[1] ** 2 + 5 / 4 * x[0] * x[1] - 24.25 * x[1]])


def sharedc_harker_reference(weights=(1.0, 1.0)):
    """Variational equilibrium (Rosen weights r: agent i's multiplier lam/r_i) of Harker's game.

    MCP: grad_i + lam/r_i _|_ 0 <= x_i <= 10,  15 - x1 - x2 _|_ lam >= 0.
    With equal weights the answer is (5, 9), lam = 0 (the shared constraint is slack there).
    """
    r = np.asarray(weights, float)

    def F(z):
        x, lam = z[:2], z[2]
        return np.r_[harker_grad(x) + lam / r, 15.0 - x.sum()]

    z, res = solve_mcp(F, np.zeros(3), np.array([10.0, 10.0, np.inf]), np.array([1.0, 1.0, 0.0]))
    return {"x": z[:2], "lam": z[2], "residual": res}


def harker_gne_set(t):
    """The GNE set of Harker's game is {(5, 9)} U {(t, 15 - t): 9 <= t <= 10}; multipliers on the segment."""
    t = float(t)
    if not 9.0 <= t <= 10.0:
        raise ValueError("t must lie in [9, 10]")
    lam1 = -6.0 + 2.0 * t / 3.0 if t < 10 else 0.0  # at t = 10 player 1 also sits on x1 <= 10 (split not unique)
    lam2 = -5.75 + 0.75 * t
    return {"x": np.array([t, 15.0 - t]), "lam": np.array([lam1, lam2])}


def harker_is_gne(x, tol=1e-6) -> bool:
    x = np.asarray(x, float)
    if np.allclose(x, [5.0, 9.0], atol=tol):
        return True
    return bool(abs(x.sum() - 15.0) <= tol and 9.0 - tol <= x[0] <= 10.0 + tol)


# ---------------------------------------------------------------------------------------------------------------
# sharedc -- instance 'coal': coal market with a shared coal-yard limit (Gabriel et al. 2013, Sec. 3.4.3;
# GAMS test library emp25 data): 3 firms x 2 technologies, sum x <= L = 60000
# ---------------------------------------------------------------------------------------------------------------

COAL_C = np.array([[0.55, 0.81], [0.62, 1.25], [0.78, 1.35]])
COAL_K = np.array([[21000.0, 16000.0], [17000.0, 22000.0], [18000.0, 14000.0]])
COAL_ALPHA = 2.5
COAL_BETA = 0.0000166666667  # as typed in the GAMS sources (about 1/60000)
COAL_L = 60000.0


def coal_grad(x):
    """x has shape (3, 2); d theta_i / d x_ib = C_ib - alpha + beta S + beta v_i."""
    S = x.sum()
    v = x.sum(axis=1, keepdims=True)
    return COAL_C - COAL_ALPHA + COAL_BETA * S + COAL_BETA * v


def coal_objectives(x):
    S = x.sum()
    return (COAL_C * x).sum(axis=1) - (COAL_ALPHA - COAL_BETA * S) * x.sum(axis=1)


def sharedc_coal_reference(L=COAL_L):
    """VE of the coal-yard game (``L=None``: the plain Cournot game without the yard limit).

    (1) MCP: grad + lam _|_ 0 <= x <= K, L - sum x _|_ lam >= 0.  (2) Potential game: the VE minimises
    P = sum C x - alpha S + beta/2 (S^2 + sum_i v_i^2) over {0 <= x <= K, S <= L} (casadi + Ipopt).
    """
    import casadi as ca

    lb = np.zeros(7)
    Lc = np.inf if L is None else float(L)

    def F(z):
        x, lam = z[:6].reshape(3, 2), z[6]
        if L is None:
            return np.r_[coal_grad(x).ravel(), 0.0 * lam + 1.0]  # lam pinned at 0
        return np.r_[(coal_grad(x) + lam).ravel(), Lc - x.sum()]

    # scale: quantities are O(1e4); solve in thousands of tons and scale back
    def Fs(zs):
        z = zs.copy()
        z[:6] *= 1e3
        out = F(z)
        out[6] /= 1e3
        return out

    zs, r = solve_mcp(Fs, lb, np.r_[COAL_K.ravel() / 1e3, np.inf], np.r_[np.full(6, 5.0), 0.0])
    x = zs[:6].reshape(3, 2) * 1e3
    lam = zs[6]
    xs = ca.SX.sym("x", 6)
    X = ca.reshape(xs, 2, 3).T  # row-major (i, b)
    S = ca.sum1(xs)
    v = [X[i, 0] + X[i, 1] for i in range(3)]
    Pot = (sum(COAL_C[i, b] * X[i, b] for i in range(3) for b in range(2)) - COAL_ALPHA * S
           + COAL_BETA / 2 * (S**2 + sum(vi**2 for vi in v)))
    if L is None:
        xp, _, _ = _ipopt_qp(Pot, xs, lbx=np.zeros(6), ubx=COAL_K.ravel(), x0=np.full(6, 5000.0))
        lam_p = 0.0
    else:
        xp, lg, _ = _ipopt_qp(Pot, xs, g=S, lbx=np.zeros(6), ubx=COAL_K.ravel(), lbg=-np.inf, ubg=Lc,
                              x0=np.full(6, 5000.0))
        lam_p = float(lg[0])
    assert np.allclose(x.ravel(), xp, atol=1e-3), (x, xp)
    assert abs(lam - lam_p) < 1e-7, (lam, lam_p)
    S = x.sum()
    return {"x": x, "lam": lam if L is not None else 0.0, "total": S, "price": COAL_ALPHA - COAL_BETA * S,
            "objectives": coal_objectives(x), "residual": r}


def coal_is_gne(x, L=COAL_L, tol=1e-6) -> bool:
    """Membership test for the GNE set of the coal-yard game (own multiplier lam_i >= 0 per firm).

    Firm i's KKT: grad_ib + lam_i _|_ 0 <= x_ib <= K_ib, lam_i _|_ L - S >= 0. For S = L, lam_i is free in the
    interval on which all of firm i's pairs hold; x is a GNE iff that interval meets [0, inf) for every firm.
    """
    x = np.asarray(x, float).reshape(3, 2)
    if np.any(x < -tol) or np.any(x > COAL_K + tol * COAL_K) or x.sum() > L * (1 + 1e-12) + tol:
        return False
    g = coal_grad(x)
    slack = L - x.sum() > tol * L
    for i in range(3):
        lo, hi = 0.0, (0.0 if slack else np.inf)
        for b in range(2):
            at_lo = x[i, b] <= tol * COAL_K[i, b]
            at_up = x[i, b] >= COAL_K[i, b] * (1 - tol)
            if at_lo:                   # need g + lam >= 0
                lo = max(lo, -g[i, b])
            elif at_up:                 # need g + lam <= 0
                hi = min(hi, -g[i, b])
            else:                       # need g + lam = 0
                lo, hi = max(lo, -g[i, b]), min(hi, -g[i, b])
        if lo > hi + 1e-9:
            return False
    return True


# ---------------------------------------------------------------------------------------------------------------
# GAMS model library SCARFMCP (SEQ=132): Scarf's activity analysis example
# ---------------------------------------------------------------------------------------------------------------

SCARF_GOODS = ["capeop", "nondurbl", "durable", "capbop", "skillab", "unsklab"]
SCARF_AGENTS = ["agent1", "agent2", "agent3", "agent4", "agent5"]
SCARF_SECTORS = ["d1", "d2", "n1", "n2", "n3", "cd", "c1", "c2"]
# endowments e(c, h)
SCARF_E = np.array([
    [0, 0, 0, 0, 0],              # capeop
    [0, 0, 0, 0, 0],              # nondurbl
    [1, 2, 1.5, 1, 2],            # durable
    [3, 0.1, 2, 1, 6],            # capbop
    [5, 0.1, 6, 0.1, 0.1],        # skillab
    [0.1, 7, 0.1, 8, 0.5],        # unsklab
], float)
# reference demands d(c, h)
SCARF_D = np.array([
    [4, 0.4, 2, 5, 3],            # capeop
    [2, 4, 2, 5, 4],              # nondurbl
    [3.2, 1, 1.5, 4.5, 2],        # durable
    [0, 0, 0, 0, 0],              # capbop
    [0.2, 0, 0.5, 0, 0],          # skillab
    [0, 0.6, 0, 0.2, 0.2],        # unsklab
], float)
SCARF_ESUB = np.array([1.2, 1.6, 0.8, 0.5, 0.6])
# activity analysis matrix data("output"/"input", c, s)
_SCARF_OUT = np.array([
    [4.0, 4.0, 1.6, 1.6, 1.6, 0.9, 7.0, 8.0],   # capeop
    [0, 0, 6.0, 8.0, 7.0, 0, 0, 0],             # nondurbl
    [4.0, 3.5, 0, 0, 0, 0, 0, 0],               # durable
    [0] * 8,                                    # capbop
    [0] * 8,                                    # skillab
    [0] * 8,                                    # unsklab
], float)
_SCARF_IN = np.array([
    [0] * 8,                                    # capeop
    [0] * 8,                                    # nondurbl
    [0] * 8,                                    # durable
    [5.3, 5.0, 2.0, 2.0, 2.0, 1.0, 4.0, 5.0],   # capbop
    [2.0, 1.0, 2.0, 4.0, 1.0, 0, 3.0, 2.0],     # skillab
    [1.0, 6.0, 3.0, 1.0, 8.0, 0, 1.0, 8.0],     # unsklab
], float)
SCARF_A = _SCARF_OUT - _SCARF_IN
SCARF_ALPHA = SCARF_D / SCARF_D.sum(axis=0, keepdims=True)
SCARF_PLO = np.where(SCARF_ALPHA.max(axis=1) > 0, 1e-5, 0.0)  # p.lo(c) = 0.00001$(smax(h, alpha(c,h)) gt eps)


def scarf_demand(p, inc):
    """CES demand of each consumer: x(c,h) = inc_h alpha_ch p_c^(-s_h) / sum_c' alpha_c'h p_c'^(1-s_h)."""
    pp = np.maximum(p, 1e-12)[:, None]
    s = SCARF_ESUB[None, :]
    denom = (SCARF_ALPHA * pp ** (1 - s)).sum(axis=0, keepdims=True)
    with np.errstate(divide="ignore"):
        dem = np.where(SCARF_ALPHA > 0, inc[None, :] * SCARF_ALPHA * pp ** (-s) / denom, 0.0)
    return dem


def scarf_functions(p, y, inc):
    """The three GAMS equation blocks, each in ``=g=`` form (function >= 0 at a solution)."""
    mkt = SCARF_A @ y + SCARF_E.sum(axis=1) - scarf_demand(p, inc).sum(axis=1)
    profit = -(SCARF_A.T @ p)
    income = inc - SCARF_E.T @ p
    return mkt, profit, income


def scarfmcp_reference():
    """Solution of SCARFMCP: p(c) _|_ mkt, y(s) _|_ profit, i(h) _|_ income, i('agent1') fixed at its level
    at p = 1 (sum of agent1's endowments = 9.1), which fixes the price level (numeraire)."""
    inc1 = SCARF_E[:, 0].sum()
    n_c, n_s, n_h = 6, 8, 5

    def F(z):
        p, y, inc_rest = z[:n_c], z[n_c:n_c + n_s], z[n_c + n_s:]
        inc = np.r_[inc1, inc_rest]
        mkt, profit, income = scarf_functions(p, y, inc)
        return np.r_[mkt, profit, income[1:]]

    lb = np.r_[SCARF_PLO, np.zeros(n_s), np.zeros(n_h - 1)]
    ub = np.full(lb.size, np.inf)
    z0 = np.r_[np.ones(n_c), np.ones(n_s), SCARF_E[:, 1:].sum(axis=0)]
    z, r = solve_mcp(F, lb, ub, z0)
    p, y, inc = z[:n_c], z[n_c:n_c + n_s], np.r_[inc1, z[n_c + n_s:]]
    mkt, profit, income = scarf_functions(p, y, inc)
    def named(keys, values):
        return dict(zip(keys, (float(v) for v in values), strict=True))

    return {"p": named(SCARF_GOODS, p), "y": named(SCARF_SECTORS, y), "i": named(SCARF_AGENTS, inc),
            "mkt": named(SCARF_GOODS, mkt), "profit": named(SCARF_SECTORS, profit), "residual": r}


# ---------------------------------------------------------------------------------------------------------------


def all_references() -> dict:
    """Every reference answer, keyed by case name (a few seconds)."""
    out = {
        "internet_switching": internet_switching_reference(),
        "internet_switching_a1": internet_switching_a1_reference(),
        "electricity_contreras": electricity_contreras_reference(),
        "cournot_shared_cap": {P: cournot_shared_cap_reference(P) for P in (75.0, 100.0, 150.0, 200.0)},
        "cournot_no_cap": cournot_shared_cap_reference(None),
        "emp_nash_cournot": emp_nash_cournot_reference(),
        "sharedc_harker": sharedc_harker_reference(),
        "sharedc_coal": sharedc_coal_reference(),
        "sharedc_coal_no_limit": sharedc_coal_reference(None),
        "scarfmcp": scarfmcp_reference(),
    }
    return out


if __name__ == "__main__":  # pragma: no cover - prints the table used in docs/reference-numbers.md
    np.set_printoptions(precision=10, suppress=True, linewidth=150)
    for name, ref in all_references().items():
        print(f"== {name}")
        if name == "cournot_shared_cap":
            for P, r in ref.items():
                print(f"  P={P:g}: x={r['x']} sum={r['total']:.10f} lam={r['lam']:.10f} res={r['residual']:.1e}")
            continue
        for k, v in ref.items():
            print(f"  {k}: {v}")
