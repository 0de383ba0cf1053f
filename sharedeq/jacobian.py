"""``dF/dz`` of an MCP as one casadi Function, assembled by blocks so that its construction stays linear.

Rows that depend on few variables are differentiated together in forward mode (they compress perfectly),
each dense row alone in reverse mode (one sweep each: casadi's Jacobian of an arrow-shaped matrix costs
O(N^2) by colouring), and rows that are polynomials of degree <= 2 (``MCP.polynomial_jacobian``) are read
off their coefficients. When the MCP carries :class:`~sharedeq.mcp.Aggregates` (dense sums written as symbols
``y = h(z)``), the blocks are taken in ``(z, y)`` and the total derivative ``F_z + F_y h_z`` is formed in
scipy. This is all the interior-point method (:mod:`sharedeq.interior`), the Newton polish and the scaled
residual need: no slacks, no Hessian.
"""

from __future__ import annotations

import casadi as ca
import numpy as np
import scipy.sparse as sp

from sharedeq.mcp import MCP, dense_rows, sx_take


class MCPJacobian:
    """``z -> dF/dz`` (scipy CSR, ``mcp.size`` square) for ``mcp``; ``blocks`` as SX for reuse by the relaxation.

    ``blocks`` is ``(rows, J)``: ``J`` the SX Jacobian in ``(z, y)`` of the rows ``rows`` of ``F`` (lifted form
    when there are aggregates), in that order; ``y`` empty without aggregates.
    """

    def __init__(self, mcp: MCP):
        n = mcp.size
        self.n = n
        aggregates = mcp.aggregates
        y = ca.SX(0, 1) if aggregates is None else aggregates.symbols
        self.n_y = int(y.shape[0])
        zy = ca.vertcat(mcp.z, y)
        F = mcp.F if aggregates is None else aggregates.lifted
        dense = mcp.pairs["dense"].to_numpy().astype(bool) if aggregates is None else dense_rows(F, zy)
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
        blocks += [ca.jacobian(F[int(k)], zy) for k in dense_list]
        self.rows = np.r_[known_rows, local, dense_list].astype(int)
        J = ca.vertcat(*blocks) if blocks else ca.SX(0, n + self.n_y)
        self.blocks = (self.rows, J)
        outputs = [J]
        if aggregates is not None:
            definitions = aggregates.definitions
            outputs.append(ca.vertcat(*(ca.jacobian(definitions[i], mcp.z) for i in range(self.n_y))))
            outputs.append(definitions)
        self._function = ca.Function("dF_dz", [mcp.z, y], outputs)
        self._definitions = None if aggregates is None else ca.Function("h", [mcp.z], [aggregates.definitions])

    def dF_dz(self, z) -> sp.csr_matrix:
        """The total derivative ``dF/dz`` at ``z``, one row per pair in the MCP's order."""
        z = np.asarray(z, float)
        y = np.zeros(self.n_y) if self._definitions is None else np.asarray(self._definitions(z)).ravel()
        out = self._function(z, y)
        if self._definitions is None:
            out = [out]
        J = _to_scipy(out[0])
        order = np.empty(self.n, dtype=int)
        order[self.rows] = np.arange(self.rows.size)
        J = J[order]
        if self.n_y:
            J = J[:, : self.n] + J[:, self.n:] @ _to_scipy(out[1])
        return sp.csr_matrix(J)

    __call__ = dF_dz


def _to_scipy(matrix: ca.DM) -> sp.csr_matrix:
    colind, row = matrix.sparsity().get_ccs()
    return sp.csc_matrix((np.asarray(matrix.nonzeros()).ravel(), np.asarray(row), np.asarray(colind)),
                         shape=matrix.shape).tocsr()
