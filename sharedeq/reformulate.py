"""MCP -> NLP: the complementarity system relaxed so that Ipopt can solve it.

Each pair ``F_k(z) _|_ lb_k <= z_k <= ub_k`` becomes, with slacks ``s+ , s- >= 0``,

    F_k(z) - s+_k + s-_k = 0,      (z_k - lb_k) s+_k <= eps,      (ub_k - z_k) s-_k <= eps,

keeping only the slacks whose bound is finite (a free ``z_k`` gives ``F_k(z) = 0``; a fixed one gives no row).
The objective ``sum (z - lb) s+ + (ub - z) s-`` pushes towards exact complementarity, and the relaxation
parameter ``eps`` is tightened by :mod:`sharedeq.solve` (Scholtes' regularisation). For the *polish*, the
active set is fixed: ``z_k`` at its bound where that is closer than ``s_k`` is to zero, otherwise ``s_k = 0``,
which leaves a square system of equations that Ipopt solves to machine accuracy.

Derivatives are assembled by blocks: rows that depend on few variables (stationarity, the
products) compress perfectly in forward mode, the few dense rows (aggregate definitions, shared constraints) in
reverse mode; casadi's Jacobian of the whole arrow-shaped system would cost O(N^2).

When the MCP carries :class:`sharedeq.mcp.Aggregates` (dense sums inside nonlinear operations, written as symbols
``y``), ``y`` joins the NLP's variables with the equations ``y - h(z) = 0``, and ``F`` is used in its lifted form
``F(z, y)``: the Hessian of the Lagrangian stays sparse. ``z``, the pairs and :meth:`RelaxedNLP.dF_dz` (the total
derivative ``dF/dz = F_z + F_y h_z``) are those of the MCP.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import casadi as ca
import numpy as np
import scipy.sparse as sp

from sharedeq.mcp import MCP, sx_take
from sharedeq.mcp import dense_rows as dense_row_mask


@dataclass
class RelaxedNLP:
    """``min f(x)  s.t.  lbg(eps) <= g(x) <= ubg(eps),  lbx <= x <= ubx`` with ``x = [z; s+; s-]``."""

    x: ca.SX
    f: ca.SX
    g: ca.SX
    eps: ca.SX
    jac_g: ca.Function
    hess_lag: ca.Function
    lbx: np.ndarray
    ubx: np.ndarray
    n_equations: int          # rows 0..n_equations-1 are equations (= 0), the rest products (<= eps)
    n_z: int
    plus: np.ndarray          # x-index of s+_k, or -1
    minus: np.ndarray         # x-index of s-_k, or -1
    row_of_pair: np.ndarray   # g-row of pair k's equation (shared within a same_as group), or -1 for fixed z_k
    aggregate_index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))   # x-index of each y
    aggregate_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))    # g-row of y - h(z)
    aggregate_values: ca.Function | None = None                                         # z -> h(z)

    def bounds_g(self, eps: float):
        n_prod = int(self.g.shape[0]) - self.n_equations
        lbg = np.r_[np.zeros(self.n_equations), np.full(n_prod, -np.inf)]
        ubg = np.r_[np.zeros(self.n_equations), np.full(n_prod, eps)]
        return lbg, ubg

    def dF_dz(self, z) -> sp.csr_matrix:
        """``dF/dz`` at ``z`` as a scipy matrix, one row per pair (zero rows for fixed pairs), read off the
        block-assembled Jacobian: row ``row_of_pair[k]`` of the equations is ``F_k - s+_k + s-_k``."""
        x = np.zeros(int(self.x.shape[0]))
        x[: self.n_z] = z
        x = self._with_aggregates(x)
        _, jac = self.jac_g(x, 0.0)
        colind, row = jac.sparsity().get_ccs()
        full = sp.csc_matrix((np.asarray(jac.nonzeros()).ravel(), np.asarray(row), np.asarray(colind)),
                             shape=jac.shape)
        has_row = np.flatnonzero(self.row_of_pair >= 0)
        pick = sp.csr_matrix((np.ones(has_row.size), (has_row, self.row_of_pair[has_row])),
                             shape=(self.n_z, full.shape[0]))
        rows = pick @ full
        J = rows[:, : self.n_z]
        if self.aggregate_index.size:      # F_y h_z, with h_z = -(d(y - h)/dz)
            J = J - rows[:, self.aggregate_index] @ full[self.aggregate_rows][:, : self.n_z]
        return sp.csr_matrix(J)

    def _with_aggregates(self, x: np.ndarray) -> np.ndarray:
        """``x`` with the aggregates at their values ``y = h(z)``."""
        if self.aggregate_index.size:
            x[self.aggregate_index] = np.asarray(self.aggregate_values(x[: self.n_z])).ravel()
        return x

    def start(self, mcp: MCP, z) -> np.ndarray:
        """A point ``[z; s+; s-]`` whose slacks match ``F(z)`` (positive part to s+, negative part to s-)."""
        x = np.zeros(int(self.x.shape[0]))
        x[: self.n_z] = z
        x = self._with_aggregates(x)
        F = mcp.evaluate(z)
        has_plus, has_minus = self.plus >= 0, self.minus >= 0
        x[self.plus[has_plus]] = np.maximum(F[has_plus], 0.0) + 1e-2
        x[self.minus[has_minus]] = np.maximum(-F[has_minus], 0.0) + 1e-2
        return x

    def at_bounds(self, mcp: MCP, x) -> tuple[np.ndarray, np.ndarray]:
        """Pairs read as sitting at their lower / upper bound in ``x``: distance to the bound below the slack."""
        z = x[: self.n_z]
        out = []
        for slack_index, bound in ((self.plus, mcp.lb), (self.minus, mcp.ub)):
            k = np.flatnonzero(slack_index >= 0)
            at = np.zeros(self.n_z, dtype=bool)
            at[k] = np.abs(z[k] - bound[k]) <= x[slack_index[k]]
            out.append(at)
        return out[0], out[1]

    def active_set_bounds(self, mcp: MCP, x):
        """Bounds that fix the active set read off ``x``: a square system for the polish step."""
        lbx, ubx = self.lbx.copy(), self.ubx.copy()
        for slack_index, bound, at in zip((self.plus, self.minus), (mcp.lb, mcp.ub), self.at_bounds(mcp, x),
                                          strict=True):
            k = np.flatnonzero(at)
            lbx[k] = ubx[k] = bound[k]
            free = slack_index[(slack_index >= 0) & ~at]
            lbx[free] = ubx[free] = 0.0
        return lbx, ubx


def relax(mcp: MCP) -> RelaxedNLP:
    """Build the relaxed NLP of ``mcp`` with block-assembled exact derivatives.

    Pairs with the identical function (``mcp.pairs.same_as``: every agent's copy of a shared constraint in
    generalized Nash mode) share one equation row and one slack ``sigma``, with a product ``(z_k - lb_k) sigma``
    each: N copies of the same row would make the equality Jacobian rank-deficient and the NLP degenerate.
    """
    n = mcp.size
    lb, ub = mcp.lb, mcp.ub
    fixed = lb == ub
    leader = mcp.pairs["same_as"].to_numpy() if "same_as" in mcp.pairs else np.arange(n)
    lead = (leader == np.arange(n)) & ~fixed
    member = (leader != np.arange(n)) & ~fixed
    has_plus = np.isfinite(lb) & lead
    has_minus = np.isfinite(ub) & lead
    n_plus, n_minus = int(has_plus.sum()), int(has_minus.sum())
    s_plus = ca.SX.sym("s_plus", n_plus)
    s_minus = ca.SX.sym("s_minus", n_minus)
    plus = np.full(n, -1)
    minus = np.full(n, -1)
    plus[has_plus] = n + np.arange(n_plus)
    minus[has_minus] = n + n_plus + np.arange(n_minus)
    plus[member] = plus[leader[member]]
    minus[member] = minus[leader[member]]
    aggregates = mcp.aggregates
    y = ca.SX(0, 1) if aggregates is None else aggregates.symbols
    n_y = int(y.shape[0])
    x = ca.vertcat(mcp.z, s_plus, s_minus, y)

    idx_plus, idx_minus = np.flatnonzero(has_plus).tolist(), np.flatnonzero(has_minus).tolist()
    residual = ca.SX(mcp.F if aggregates is None else aggregates.lifted)
    if n_plus:
        residual[idx_plus] = residual[idx_plus] - s_plus
    if n_minus:
        residual[idx_minus] = residual[idx_minus] + s_minus
    dense = mcp.pairs["dense"].to_numpy() \
        if aggregates is None else dense_row_mask(aggregates.lifted, ca.vertcat(mcp.z, y))
    # local rows whose dF/dz the MCP knows (polynomials read off their coefficients) first, then the others
    known_rows, known_jacobian, known_linear = (np.zeros(0, dtype=int), None, None) \
        if mcp.polynomial_jacobian is None else mcp.polynomial_jacobian
    known, linear = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    known[known_rows] = True
    linear[known_rows[known_linear]] = True
    known_local = np.flatnonzero(lead & ~dense & known)
    local_rows = np.r_[known_local, np.flatnonzero(lead & ~dense & ~known)].astype(int)
    dense_rows = np.flatnonzero(lead & dense)
    z = mcp.z
    k_plus, k_minus = np.flatnonzero(plus >= 0), np.flatnonzero(minus >= 0)
    products = []
    if k_plus.size:
        products.append((sx_take(z, k_plus) - ca.DM(lb[k_plus])) * sx_take(x, plus[k_plus]))
    if k_minus.size:
        products.append((ca.DM(ub[k_minus]) - sx_take(z, k_minus)) * sx_take(x, minus[k_minus]))
    products = ca.vertcat(*products) if products else ca.SX(0, 1)
    g_local = ca.vertcat(sx_take(residual, local_rows), products)
    g_dense = sx_take(residual, dense_rows)
    if n_y:
        g_dense = ca.vertcat(g_dense, y - aggregates.definitions)
    # row order: local equations, dense equations, products (sx_take, not slices: casadi slices a 1 x 1 matrix
    # into a 1 x 0 one, which vertcat counts as a row, so a lone free pair gave a 2 x 1 g with one structural 0)
    n_loc = len(local_rows)
    equations, product_rows = np.arange(n_loc), np.arange(n_loc, int(g_local.shape[0]))
    g = ca.vertcat(sx_take(g_local, equations), g_dense, sx_take(g_local, product_rows))    # g_dense: then y - h
    f = ca.sum1(products) if products.shape[0] else ca.SX(0)

    eps = ca.SX.sym("eps")
    jac_local = _local_jacobian(x, mcp.F if aggregates is None else aggregates.lifted, n, n_plus + n_minus, n_y,
                                local_rows[known_local.size:], plus, minus, np.r_[k_plus, k_minus],
                                np.r_[plus[k_plus], minus[k_minus]],
                                np.r_[np.ones(k_plus.size), -np.ones(k_minus.size)], np.r_[lb[k_plus], ub[k_minus]])
    if known_local.size:
        position = np.full(n, -1)
        position[known_rows] = np.arange(known_rows.size)
        slack = [(r, plus[k] - n, -1.0) for r, k in enumerate(known_local) if plus[k] >= 0] + \
                [(r, minus[k] - n, 1.0) for r, k in enumerate(known_local) if minus[k] >= 0]
        slack_block = ca.DM.triplet([t[0] for t in slack], [t[1] for t in slack], [t[2] for t in slack],
                                    known_local.size, int(x.shape[0]) - n)
        jac_local = ca.vertcat(ca.horzcat(known_jacobian[position[known_local].tolist(), :], slack_block), jac_local)
    # one reverse sweep per dense row: casadi's Jacobian of the stacked dense rows costs about 4x more (colouring)
    jac_dense = ca.vertcat(*(ca.jacobian(g_dense[i], x) for i in range(g_dense.shape[0]))) if g_dense.shape[0] \
        else ca.SX(0, x.shape[0])
    jac = ca.vertcat(jac_local[:n_loc, :], jac_dense, jac_local[n_loc:, :])
    sigma = ca.SX.sym("lam_f")
    lam_g = ca.SX.sym("lam_g", g.shape[0])
    hess = _lagrangian_hessian(x, g, lam_g, sigma, n, n_plus + n_minus, n_y, np.r_[k_plus, k_minus],
                               np.r_[plus[k_plus], minus[k_minus]], np.r_[np.ones(k_plus.size), -np.ones(k_minus.size)],
                               np.flatnonzero(~linear[local_rows[:known_local.size]]),
                               np.arange(known_local.size, n_loc + int(g_dense.shape[0])))
    jac_g = ca.Function("nlp_jac_g", [x, eps], [g, jac], ["x", "p"], ["g", "jac_g_x"])
    hess_lag = ca.Function("nlp_hess_l", [x, eps, sigma, lam_g], [ca.triu(hess)],
                           ["x", "p", "lam_f", "lam_g"], ["hess_gamma_x_x"])

    row_of_pair = np.full(n, -1)
    row_of_pair[local_rows] = np.arange(n_loc)
    row_of_pair[dense_rows] = n_loc + np.arange(len(dense_rows))
    row_of_pair[member] = row_of_pair[leader[member]]
    lbx = np.r_[lb, np.zeros(n_plus + n_minus), np.full(n_y, -np.inf)]
    ubx = np.r_[ub, np.full(n_plus + n_minus, np.inf), np.full(n_y, np.inf)]
    n_equations = n_loc + len(dense_rows) + n_y
    values = None if aggregates is None else ca.Function("aggregates", [mcp.z], [aggregates.definitions])
    return RelaxedNLP(x, f, g, eps, jac_g, hess_lag, lbx, ubx, n_equations, n, plus, minus, row_of_pair,
                      aggregate_index=n + n_plus + n_minus + np.arange(n_y),
                      aggregate_rows=n_equations - n_y + np.arange(n_y), aggregate_values=values)


def _lagrangian_hessian(x, g, lam_g, sigma, n_z, n_slacks, n_y, product_z, product_slack, product_sign,
                        curved_known, curved_rest) -> ca.SX:
    """Hessian in ``x = [z; s+; s-; y]`` of ``sigma f + lam_g . g``, built in two parts.

    The equations are linear in the slacks, so their curvature lives in the ``(z, y)`` block: ``ca.hessian`` of
    ``lam . g`` over the curved equation rows only (linear rows add nothing), in ``(z, y)`` only. The products
    ``sign_k (z_k - bound_k) s_k`` (objective ``f`` = their sum) are bilinear: ``d2/dz_k ds_k = sign_k (sigma +
    lam_k)``, written down directly (casadi's Hessian over all of ``x`` took 1.04 s, over ``(z, y)`` 0.49 s,
    Fisher 500 x 100).
    """
    n_x = int(x.shape[0])
    n_equations = int(g.shape[0]) - product_z.size
    curved = np.r_[curved_known, curved_rest].astype(int)
    zy = np.r_[np.arange(n_z), n_z + n_slacks + np.arange(n_y)].astype(int)
    hess_zy, _ = ca.hessian(ca.dot(sx_take(lam_g, curved), sx_take(g, curved)), sx_take(x, zy))
    place = ca.DM.triplet(zy.tolist(), list(range(zy.size)), [1.0] * zy.size, n_x, zy.size)
    hess = ca.mtimes(ca.mtimes(place, hess_zy), place.T)
    if product_z.size:
        weight = (sigma + sx_take(lam_g, n_equations + np.arange(product_z.size))) * ca.DM(product_sign)
        rows, cols = np.r_[product_z, product_slack].tolist(), np.r_[product_slack, product_z].tolist()
        hess = hess + ca.SX.triplet(rows, cols, ca.vertcat(weight, weight), n_x, n_x)
    return hess


def _local_jacobian(x, F, n_z, n_slacks, n_y, rows, plus, minus, product_z, product_slack, product_sign,
                    product_bound) -> ca.SX:
    """Jacobian in ``x = [z; s+; s-; y]`` of the local rows ``F_k - s+_k + s-_k`` (``k`` in ``rows``) stacked
    over the products ``sign_i (z_i - bound_i) s_i``.

    Only ``dF/d(z, y)`` needs casadi; the slack columns (``-1``, ``+1``) and the products' derivatives
    (``sign_i s_i`` in ``z_i``, ``sign_i (z_i - bound_i)`` in ``s_i``) are written down directly (casadi's
    colouring of all of ``x`` took 0.71 s where ``(z, y)`` takes 0.49 s, Fisher 500 x 100).
    """
    n_x = int(x.shape[0])
    zy = np.r_[np.arange(n_z), n_z + n_slacks + np.arange(n_y)].astype(int)
    place = ca.DM.triplet(zy.tolist(), list(range(zy.size)), [1.0] * zy.size, n_x, zy.size)
    jac_F = ca.mtimes(ca.jacobian(sx_take(F, rows), sx_take(x, zy)), place.T)
    slack = [(r, plus[k], -1.0) for r, k in enumerate(rows) if plus[k] >= 0] + \
            [(r, minus[k], 1.0) for r, k in enumerate(rows) if minus[k] >= 0]
    jac_F = jac_F + ca.DM.triplet([t[0] for t in slack], [t[1] for t in slack], [t[2] for t in slack],
                                  len(rows), n_x)
    sign = ca.DM(product_sign)
    derivative_z = sign * sx_take(x, product_slack)
    derivative_s = sign * (sx_take(x, product_z) - ca.DM(product_bound))
    n_products = product_z.size
    jac_products = ca.SX.triplet(np.r_[np.arange(n_products), np.arange(n_products)].astype(int).tolist(),
                                 np.r_[product_z, product_slack].astype(int).tolist(),
                                 ca.vertcat(derivative_z, derivative_s), n_products, n_x)
    return ca.vertcat(jac_F, jac_products)
