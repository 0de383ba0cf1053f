"""Active-set Newton polish: from a relaxed solution to machine accuracy without another Ipopt run.

Once the relaxation has found which pairs sit at a bound, the MCP restricted to that active set is a system of
equations: ``z_k`` fixed at its bound for the active pairs ``A``, and ``F_I(z) = 0`` for the others ``I`` (one
row per group of identical functions). Each step is the minimum-norm solution of the linearisation,

    min ||dz_I||  s.t.  J_II dz_I = -F_I(z),     from  [[I, J'], [J, -delta I]] [dz; w] = [0; -F]

(``J = dF/dz``, the relaxed NLP's block-assembled Jacobian; ``delta = 1e-14``), with a backtracking line search
on ``||F_I||``. For a square nonsingular ``J_II`` this is Newton's method; in generalized Nash mode the system is
underdetermined (an agent's multipliers for several active shared constraints are not unique, the equilibria form
a manifold) and the minimum-norm step still converges quadratically to a point of it.

Solving the active-set equations is not solving the MCP: with a wrong active set the result violates a bound or
the sign of ``F`` on an active pair. :class:`NewtonResult` therefore reports both, the outcome on the equations
and the MCP's natural residual, and its status says which was achieved.

Every LU goes through :func:`sparse_lu`, which never hands SuperLU a structurally singular matrix (a column with
no pivot candidate): SuperLU then reads uninitialised memory, which prints BLAS errors ("On entry to DGEMV
parameter number 2 had an illegal value") or kills the process (segmentation fault, "double free").
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.sparse.csgraph import structural_rank

from sharedeq.mcp import MCP
from sharedeq.reformulate import RelaxedNLP

#: SuperLU's threshold pivoting that prefers the diagonal, applied to the matrix symmetrically permuted by
#: :func:`fill_reducing_order`. scipy's defaults (COLAMD, partial pivoting) fill in 10x more and take 60x longer on
#: a 60 x 60 exchange economy's Jacobian (1.06 s against 0.016 s, same accuracy).
DIAG_PIVOT_THRESH = 0.01

#: Outcomes on the active-set equations ``F_I(z) = 0`` (:attr:`NewtonResult.equations`).
SOLVED, SINGULAR, STALLED, STEP_LIMIT, NOT_FINITE = (
    "solved", "singular", "no further decrease", "step limit", "not finite")


@dataclass
class NewtonResult:
    """A Newton polish: the point ``z``, what it achieved on the active-set equations and on the MCP.

    ``equations``: one of ``SOLVED`` (``||F_I||_inf <= tol max(1, ||z||_inf)``), ``SINGULAR`` (no step could be
    computed), ``STALLED`` (the line search found no decrease), ``STEP_LIMIT``, ``NOT_FINITE`` (F or its Jacobian
    has a NaN or infinite entry); ``equations_residual = ||F_I(z)||_inf``. ``mcp_residual`` is the infinity norm
    of the MCP's natural residual ``z - mid(lb, ub, z - F(z))`` (inf if it is not finite), ``worst`` the pair
    where it is largest, and ``solved`` says whether it is at most ``mcp_tol``. ``wrong_active_set``: the
    natural residual exceeds ``mcp_tol`` on a pair held at a bound (``F`` has the wrong sign there) or a free
    pair left its bounds.
    """

    z: np.ndarray
    equations: str
    equations_residual: float
    mcp_residual: float
    worst: str
    wrong_active_set: bool
    mcp_tol: float
    steps: int
    seconds: float

    @property
    def solved(self) -> bool:
        return self.mcp_residual <= self.mcp_tol

    @property
    def status(self) -> str:
        """What was achieved, in words (the ``ipopt_status`` column of ``solution.steps``)."""
        if self.solved:
            return "newton: MCP solved"
        mcp = f"the MCP residual is {self.mcp_residual:.1e} at {self.worst}"
        if self.equations == SOLVED:
            why = " (wrong active set)" if self.wrong_active_set else ""
            return f"newton: solved the active-set equations, but {mcp}{why}"
        if self.equations == NOT_FINITE:
            return f"newton: F or its Jacobian is not finite; {mcp}"
        if self.equations == SINGULAR:
            return f"newton: singular active-set system; {mcp}"
        return f"newton: active-set equations at {self.equations_residual:.1e} ({self.equations}); {mcp}"


def active_set(mcp: MCP, nlp: RelaxedNLP, x: np.ndarray) -> np.ndarray:
    """``-1`` / ``+1`` where pair ``k`` sits at its lower / upper bound (:meth:`RelaxedNLP.at_bounds`), else 0."""
    at_lower, at_upper = nlp.at_bounds(mcp, x)
    side = np.zeros(nlp.n_z, dtype=int)
    side[(mcp.lb == mcp.ub) | at_lower] = -1
    side[at_upper] = 1
    return side


def newton_polish(mcp: MCP, nlp: RelaxedNLP, x: np.ndarray, max_steps: int = 30, tol: float = 1e-14,
                  delta: float = 1e-14, mcp_tol: float = 1e-8) -> NewtonResult:
    """Solve ``F_I(z) = 0`` with the active pairs at their bounds, starting from the relaxed point ``x``; judge
    the result by the MCP's natural residual against ``mcp_tol``."""
    return active_set_newton(mcp, nlp, x[: nlp.n_z], active_set(mcp, nlp, x), max_steps, tol, delta, mcp_tol)


def active_set_newton(mcp: MCP, jacobian, z: np.ndarray, side: np.ndarray, max_steps: int = 30,
                      tol: float = 1e-14, delta: float = 1e-14, mcp_tol: float = 1e-8) -> NewtonResult:
    """Newton's method on ``F_I(z) = 0`` with the pairs where ``side`` is -1 / +1 held at their lower / upper
    bound; ``jacobian`` has ``dF_dz(z)`` (:class:`~sharedeq.jacobian.MCPJacobian` or the relaxed NLP)."""
    start = time.perf_counter()
    z = np.array(z, dtype=float)
    side = np.where(mcp.lb == mcp.ub, -1, side)
    z[side < 0] = mcp.lb[side < 0]
    z[side > 0] = mcp.ub[side > 0]
    free = np.flatnonzero(side == 0)
    leader = mcp.pairs["same_as"].to_numpy() if "same_as" in mcp.pairs else np.arange(mcp.size)
    _, first = np.unique(leader[free], return_index=True)    # identical functions once
    pairs = free[first]

    def residual(z_):
        return np.asarray(mcp.evaluate(z_))[pairs]

    def result(outcome, steps):
        return _result(mcp, z, side, outcome, norm, mcp_tol, steps, time.perf_counter() - start)

    F = residual(z)
    norm = _max_abs(F)
    for step in range(max_steps):
        if not np.isfinite(norm):
            return result(NOT_FINITE, step)
        if norm <= tol * max(1.0, np.max(np.abs(z), initial=1.0)):
            return result(SOLVED, step)
        J = jacobian.dF_dz(z)[pairs][:, free].tocsc()
        if not np.all(np.isfinite(J.data)):
            return result(NOT_FINITE, step)
        dz = _step(J, F, delta)
        if dz is None:
            return result(SINGULAR, step)
        alpha = 1.0
        while alpha > 1e-4:
            trial = z.copy()
            trial[free] += alpha * dz
            F_trial = residual(trial)
            norm_trial = _max_abs(F_trial)
            if norm_trial < norm:
                z, F, norm = trial, F_trial, norm_trial
                break
            alpha /= 2
        else:
            return result(STALLED, step + 1)
    return result(SOLVED if norm <= tol * max(1.0, np.max(np.abs(z), initial=1.0)) else STEP_LIMIT, max_steps)


def sparse_lu(A: sp.spmatrix, order=None, diag_pivot_thresh: float = DIAG_PIVOT_THRESH):
    """SuperLU factors of the square matrix ``A``, symmetrically permuted by ``order`` (default: the
    :func:`fill_reducing_order` of ``A``), as a :class:`PermutedLU`; or None when ``A`` has a NaN or infinite
    entry, is structurally singular, or is numerically singular.

    Structural singularity (no perfect matching between rows and columns of the stored pattern) is checked with
    :func:`scipy.sparse.csgraph.structural_rank` before SuperLU sees the matrix: on such a matrix SuperLU
    meets a column with no pivot candidate and reads uninitialised memory (valgrind: ``dcolumn_bmod``,
    ``dcopy_to_ucol``), which prints "On entry to DGEMV parameter number 2 had an illegal value" or crashes.
    A structurally nonsingular matrix always leaves a candidate, and a zero one only raises "exactly singular".
    """
    A = sp.csc_matrix(A)
    n_rows, n_cols = A.shape
    if n_rows != n_cols or n_rows == 0 or not np.all(np.isfinite(A.data)) or structural_rank(A) < n_rows:
        return None
    order = fill_reducing_order(A) if order is None else order
    try:
        lu = spla.splu(A[order][:, order].tocsc(), permc_spec="NATURAL", diag_pivot_thresh=diag_pivot_thresh)
    except RuntimeError:
        return None
    return PermutedLU(lu, order)


class PermutedLU:
    """Solves ``A x = b`` from the LU of ``A[order][:, order]``."""

    def __init__(self, lu, order):
        self.lu, self.order = lu, order

    def solve(self, b):
        x = np.empty_like(b, dtype=float)
        x[self.order] = self.lu.solve(np.asarray(b, dtype=float)[self.order])
        return x


def fill_reducing_order(A: sp.spmatrix) -> np.ndarray:
    """Minimum degree on the pattern of ``A + A'`` without its dense rows and columns, which come last.

    The dense rows and columns (aggregates, shared constraints, prices: more than ``max(64, 4 sqrt(n))``
    entries) then fill only the border (a Schur complement in all but name). SuperLU's own minimum degree on the
    whole pattern spends most of its time on the dense nodes (0.8 s at river N = 10,000 against 0.01 s for the
    factorisation; 0.3-0.5 s per active-set system of a 10,000-firm Cournot game), and COLAMD fills in 5-10x more
    where every agent's multipliers are columns of their own (generalized Nash mode: 0.24 s against 0.01 s at
    river N = 1,000; Fisher markets: 0.3 s against 0.006 s at 1,000 buyers).
    """
    A = sp.csr_matrix(A)
    n = A.shape[0]
    pattern = (abs(A) + abs(A).T).tocsr()
    dense = np.diff(pattern.indptr) > max(64, 4 * np.sqrt(n))
    rest = np.flatnonzero(~dense)
    if not rest.size:
        return np.arange(n)
    sub = pattern[rest][:, rest]
    sub.data[:] = 1.0
    # a strongly diagonally dominant matrix of that pattern: SuperLU orders it and factorises it without pivoting
    lu = spla.splu((sub + sp.identity(rest.size) * (n + 1.0)).tocsc(), permc_spec="MMD_AT_PLUS_A",
                   diag_pivot_thresh=0.0)
    return np.r_[rest[np.argsort(lu.perm_c)], np.flatnonzero(dense)].astype(int)


def _step(J: sp.csc_matrix, F: np.ndarray, delta: float):
    """The Newton step ``J dz = -F``: an LU of ``J`` when it is square and nonsingular, else the minimum-norm
    step from the augmented system (quasi-definite, so structurally and numerically nonsingular for
    ``delta > 0``); None when both fail or give a non-finite step."""
    n_rows, n_free = J.shape
    if n_rows == n_free:
        lu = sparse_lu(J)
        dz = lu.solve(-F) if lu is not None else None
        if dz is not None and np.all(np.isfinite(dz)):
            return dz
    system = sp.bmat([[sp.identity(n_free), J.T], [J, -delta * sp.identity(n_rows)]], format="csc")
    lu = sparse_lu(system)
    if lu is None:
        return None
    dz = lu.solve(np.r_[np.zeros(n_free), -F])[:n_free]
    return dz if np.all(np.isfinite(dz)) else None


def _max_abs(v: np.ndarray) -> float:
    """``||v||_inf``, or inf when an entry is NaN or infinite."""
    return float(np.max(np.abs(v), initial=0.0)) if np.all(np.isfinite(v)) else np.inf


def _result(mcp, z, side, equations, equations_residual, mcp_tol, steps, seconds) -> NewtonResult:
    """The :class:`NewtonResult` of ``z``: its natural residual, worst pair and whether the active set is wrong."""
    r = np.abs(mcp.natural_residual(z))
    if not r.size:
        return NewtonResult(z, equations, equations_residual, 0.0, "-", False, mcp_tol, steps, seconds)
    finite = np.isfinite(r)
    k = int(np.argmax(r)) if finite.all() else int(np.argmin(finite))
    outside = (z < mcp.lb - mcp_tol) | (z > mcp.ub + mcp_tol)
    wrong = bool(np.any((r > mcp_tol) & ((side != 0) | outside)))
    return NewtonResult(z, equations, equations_residual, float(r[k]) if finite.all() else np.inf,
                        str(mcp.pairs["variable"].iloc[k]), wrong, mcp_tol, steps, seconds)
