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
        local = np.flatnonzero(~dense & ~known)
        dense_list = np.flatnonzero(dense & ~known)
        blocks = []
        if known_rows.size:
            blocks.append(ca.horzcat(known_jacobian, ca.SX(known_rows.size, self.n_y)))
        if local.size:
            blocks.append(ca.jacobian(sx_take(F, local), zy))
        # dense rows whose columns do not overlap share one reverse sweep (a market's clearing rows, each over its
        # own good's columns: one casadi call instead of one per row)
        groups = disjoint_row_groups(F, dense_list, zy)
        differentiate = RowJacobians(zy, len(groups))
        blocks += [differentiate(sx_take(F, group)) for group in groups]
        dense_list = np.concatenate(groups) if groups else dense_list
        rows = np.r_[known_rows, local, dense_list].astype(int)
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
        position = position[order]
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

