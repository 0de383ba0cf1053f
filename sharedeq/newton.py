"""Active-set Newton polish: from a relaxed solution to machine accuracy without another Ipopt run.

Once the relaxation has found which pairs sit at a bound, the MCP restricted to that active set is a square
system: ``z_k`` fixed at its bound for the active pairs ``A``, and ``F_I(z) = 0`` for the others ``I``. Newton's
method on it,

    J_II dz_I = -F_I(z),        J = dF/dz (the block-assembled Jacobian of the relaxed NLP's equation rows),

with a backtracking line search on ``||F_I||``, converges quadratically from the ``sqrt(eps)``-accurate relaxed
point. The result is accepted only if the whole MCP's natural residual (including the signs of ``F`` on the
active pairs) is below the tolerance; otherwise (a wrong active set, a singular ``J_II`` as with degenerate LP
agents) the caller falls back to the Ipopt polish.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from sharedeq.mcp import MCP
from sharedeq.reformulate import RelaxedNLP


@dataclass
class NewtonResult:
    z: np.ndarray
    status: str
    steps: int
    seconds: float


def active_set(mcp: MCP, nlp: RelaxedNLP, x: np.ndarray) -> np.ndarray:
    """``-1`` / ``+1`` where pair ``k`` sits at its lower / upper bound (its distance below its slack), else 0."""
    z = x[: nlp.n_z]
    side = np.zeros(nlp.n_z, dtype=int)
    side[mcp.lb == mcp.ub] = -1
    for slack_index, bound, sign in ((nlp.plus, mcp.lb, -1), (nlp.minus, mcp.ub, 1)):
        k = np.flatnonzero(slack_index >= 0)
        at_bound = np.abs(z[k] - bound[k]) <= x[slack_index[k]]
        side[k[at_bound]] = sign
    return side


def newton_polish(mcp: MCP, nlp: RelaxedNLP, x: np.ndarray, max_steps: int = 30, tol: float = 1e-13) -> NewtonResult:
    """Solve ``F_I(z) = 0`` with the active pairs at their bounds, starting from the relaxed point ``x``."""
    start = time.perf_counter()
    side = active_set(mcp, nlp, x)
    z = x[: nlp.n_z].copy()
    z[side < 0] = mcp.lb[side < 0]
    z[side > 0] = mcp.ub[side > 0]
    free = np.flatnonzero(side == 0)
    rows = nlp.row_of_pair[free]
    xs = x.copy()

    def residual(z_):
        return np.asarray(mcp.evaluate(z_))[free]

    F = residual(z)
    norm = np.max(np.abs(F), initial=0.0)
    for step in range(max_steps):
        if norm <= tol * max(1.0, np.max(np.abs(z[free]), initial=1.0)):
            return NewtonResult(z, "newton: converged", step, time.perf_counter() - start)
        xs[: nlp.n_z] = z
        J = _jacobian(nlp, xs)[rows][:, free]
        try:
            dz = spla.splu(J.tocsc()).solve(-F)
        except RuntimeError:
            return NewtonResult(z, "newton: singular Jacobian on the active set", step, time.perf_counter() - start)
        alpha = 1.0
        while alpha > 1e-4:
            trial = z.copy()
            trial[free] += alpha * dz
            F_trial = residual(trial)
            norm_trial = np.max(np.abs(F_trial), initial=0.0)
            if np.isfinite(norm_trial) and norm_trial < norm:
                z, F, norm = trial, F_trial, norm_trial
                break
            alpha /= 2
        else:
            return NewtonResult(z, "newton: no decrease along the Newton direction", step + 1,
                                time.perf_counter() - start)
    return NewtonResult(z, "newton: step limit", max_steps, time.perf_counter() - start)


def _jacobian(nlp: RelaxedNLP, x: np.ndarray) -> sp.csr_matrix:
    """The relaxed NLP's constraint Jacobian at ``x`` as a scipy matrix (its first columns are ``dF/dz``)."""
    _, jac = nlp.jac_g(x, 0.0)
    colind, row = jac.sparsity().get_ccs()
    shape = jac.shape
    matrix = sp.csc_matrix((np.asarray(jac.nonzeros()), np.asarray(row), np.asarray(colind)), shape=shape)
    return matrix[:, : nlp.n_z].tocsr()
