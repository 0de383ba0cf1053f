"""``dF/dz`` of an MCP as one casadi Function, assembled by blocks so that its construction stays linear.

Rows that depend on few variables are differentiated together in forward mode (they compress perfectly),
each dense or unusually wide row alone in reverse mode (one sweep each: casadi's Jacobian of an arrow-shaped
matrix costs O(N^2) by colouring), and rows that are polynomials of degree <= 2 (``MCP.polynomial_jacobian``) are read
off their coefficients. When the MCP carries :class:`~sharedeq.mcp.Aggregates` (dense sums written as symbols
``y = h(z)``), the blocks are taken in ``(z, y)`` and the total derivative ``F_z + F_y h_z`` is formed in
scipy. This is all the interior-point method (:mod:`sharedeq.interior`), the Newton polish and the scaled
residual need: no slacks, no Hessian.
"""

from __future__ import annotations

import casadi as ca
import numpy as np
import scipy.sparse as sp

from sharedeq.mcp import (
    MCP,
    BufferedFunction,
    RowJacobians,
    dense_rows,
    disjoint_row_groups,
    jacobian_in_columns,
    row_widths,
    sx_take,
    wide_rows,
)


class MCPJacobian:
    """``dF_dz(z)``: the MCP's Jacobian at ``z`` (scipy CSR, ``mcp.size`` square), from one casadi Function of
    the rows of ``F`` (lifted form when there are aggregates) in ``(z, y)``, built once; ``y`` empty without
    aggregates."""

    def __init__(self, mcp: MCP):
        n = mcp.size
        self.n = n
        aggregates = mcp.aggregates
        y = ca.SX(0, 1) if aggregates is None else aggregates.symbols
        self.n_y = int(y.shape[0])
        zy = ca.vertcat(mcp.z, y)
        F = mcp.F if aggregates is None else aggregates.lifted
        if aggregates is None and "width" in mcp.pairs:
            width = mcp.pairs["width"].to_numpy()
            dense = mcp.pairs["dense"].to_numpy().astype(bool)
        else:
            width = row_widths(F, zy)
            dense = dense_rows(F, zy, width)
        dense = dense | wide_rows(width)      # differentiated apart from the local rows, as the dense ones
        known_rows, known_jacobian = (np.zeros(0, dtype=int), None) if mcp.polynomial_jacobian is None \
            else mcp.polynomial_jacobian[:2]
        known = np.zeros(n, dtype=bool)
        known[known_rows] = True
        # a row whose function is identical to an earlier one (every agent's copy of a shared constraint in
        # generalized Nash mode: 300,000 of 330,011 rows of a 30,000-firm Cournot game) is not differentiated again:
        # its entries are the first one's
        leader = mcp.pairs["same_as"].to_numpy().astype(int) if "same_as" in mcp.pairs else np.arange(n)
        known |= leader != np.arange(n)
        local = np.flatnonzero(~dense & ~known)
        dense_list = np.flatnonzero(dense & ~known)
        blocks = []
        if known_rows.size:
            blocks.append(ca.horzcat(known_jacobian, ca.SX(known_rows.size, self.n_y)))
        weighted = np.zeros(0, dtype=int)
        if aggregates is None and mcp.weight_derivatives is not None:
            covered = np.zeros(n, dtype=bool)
            covered[mcp.weight_derivatives[0]] = True
            weighted, local = local[covered[local]], local[~covered[local]]
        if local.size:
            blocks.append(ca.jacobian(sx_take(F, local), zy))
        if weighted.size:
            blocks.append(_weighted_rows_jacobian(mcp, weighted))
        # dense rows whose columns do not overlap share one reverse sweep (a market's clearing rows, each over its
        # own good's columns: one casadi call instead of one per row)
        groups = disjoint_row_groups(F, dense_list, zy)
        differentiate = RowJacobians(zy, len(groups))
        blocks += [differentiate(sx_take(F, group)) for group in groups]
        dense_list = np.concatenate(groups) if groups else dense_list
        rows = np.r_[known_rows, local, weighted, dense_list].astype(int)
        J = ca.vertcat(*blocks) if blocks else ca.SX(0, n + self.n_y)
        outputs = [J]
        if aggregates is not None:
            definitions = aggregates.definitions
            outputs.append(ca.vertcat(*(ca.jacobian(definitions[i], mcp.z) for i in range(self.n_y))))
            outputs.append(definitions)
        function = ca.Function("dF_dz", [mcp.z, y], outputs)
        self._evaluate = BufferedFunction(function)
        self._definitions = None if aggregates is None else \
            BufferedFunction(ca.Function("h", [mcp.z], [ca.densify(aggregates.definitions)]))
        # where each of casadi's nonzeros (column-major, rows in block order) goes in the CSR matrix of dF/dz
        colind, row = J.sparsity().get_ccs()
        position = sp.csc_matrix((np.arange(J.nnz(), dtype=float) + 1, np.asarray(row), np.asarray(colind)),
                                 shape=J.shape).tocsr()
        order = np.empty(n, dtype=int)
        order[rows] = np.arange(rows.size)
        position = position[order[leader]]
        self._pattern = (position.indices, position.indptr, position.shape)
        self._take = position.data.astype(np.int64) - 1
        self._h_z = function.sparsity_out(1) if aggregates is not None else None

    def dF_dz(self, z) -> sp.csr_matrix:
        """The total derivative ``dF/dz`` at ``z``, one row per pair in the MCP's order."""
        z = np.asarray(z, float)
        y = np.zeros(self.n_y) if self._definitions is None else self._definitions(z)[0].copy()
        values = self._evaluate(z, y)
        indices, indptr, shape = self._pattern
        J = sp.csr_matrix((values[0][self._take], indices, indptr), shape=shape)
        if self.n_y:
            colind, row = self._h_z.get_ccs()
            h_z = sp.csc_matrix((values[1].copy(), np.asarray(row), np.asarray(colind)), shape=self._h_z.shape)
            J = J[:, : self.n] + J[:, self.n:] @ h_z
        return sp.csr_matrix(J)


def _weighted_rows_jacobian(mcp: MCP, rows: np.ndarray) -> ca.SX:
    """``dF/dz`` of stationarity ``rows``: differentiated w.r.t. every column but the multipliers that weight their
    terms, whose entries are known (:attr:`MCP.weight_derivatives`). Each weight column touches every row of the
    agents that price its constraint, so in a forward colouring it would cost one sweep over all rows of them (a
    shared constraint in variational mode: one sweep over every row; 13 sweeps for the rows of a 10,000-firm
    Cournot game in generalized Nash mode)."""
    n = mcp.size
    _, w_rows, w_cols, w_values, weight_columns = mcp.weight_derivatives
    others = np.setdiff1d(np.arange(n), weight_columns)
    differentiated = jacobian_in_columns(sx_take(mcp.F, rows), mcp.z, others)
    position = np.full(n, -1)
    position[rows] = np.arange(rows.size)
    mine = np.flatnonzero(position[w_rows] >= 0)
    # the known entries, repeated ones added up, in casadi's column-major order of nonzeros
    key = w_cols[mine].astype(np.int64) * rows.size + position[w_rows[mine]]
    unique, entry = np.unique(key, return_inverse=True)
    summing = ca.DM(ca.Sparsity.triplet(unique.size, mine.size, entry.tolist(), list(range(mine.size))), 1.0)
    known = ca.SX(ca.Sparsity.triplet(rows.size, n, (unique % rows.size).tolist(), (unique // rows.size).tolist()),
                  ca.mtimes(summing, sx_take(w_values, mine)))
    return differentiated + known
