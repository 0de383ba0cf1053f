"""Semismooth Newton on the Fischer-Burmeister reformulation of an MCP: the fallback when the relaxation fails.

With ``phi(a, b) = a + b - sqrt(a^2 + b^2)``, zero exactly when ``a >= 0, b >= 0, a b = 0``, every pair
``F_k(z) _|_ l_k <= z_k <= u_k`` becomes one equation ``Phi_k(z) = 0`` (Billups' form for a box):

    l, u finite:   phi(z - l, -phi(u - z, -F))        l finite only:  phi(z - l, F)
    u finite only: phi(u - z, -F)                     free:           F            fixed (l = u):  z - l

The merit function ``Psi = ||Phi||^2 / 2`` is continuously differentiable, and for a monotone (more generally
P0) MCP its stationary points are solutions, so the damped method below converges globally there (De Luca,
Facchinei and Kanzow, Math. Programming 75, 1996). Each step solves ``H d = -Phi`` with ``H = D_z + D_F J`` an
element of the generalized Jacobian (``J = dF/dz``), by a sparse LU; when ``H`` is singular (generalized Nash
mode: the multipliers are not unique) the Levenberg-Marquardt step ``min ||H d + Phi||^2 + mu ||d||^2`` with
``mu = ||Phi||`` replaces it, and when the step is not a direction of sufficient descent, the steepest descent
direction ``-H' Phi`` does. An Armijo line search on ``Psi`` accepts the step. The solve stops when the MCP's
natural residual is below the tolerance, or reports why it did not (a stationary point of ``Psi`` that is not a
solution, the iteration limit, a failed line search).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from sharedeq.mcp import MCP
from sharedeq.newton import sparse_lu
from sharedeq.reformulate import RelaxedNLP

#: Armijo constant, backtracking factor, and the descent test ``grad' d <= -RHO ||d||^P`` of De Luca et al.
ARMIJO, BACKTRACK, RHO, P = 1e-4, 0.5, 1e-8, 2.1


@dataclass
class SemismoothResult:
    z: np.ndarray
    status: str
    iterations: int
    residual: float
    seconds: float


def fischer_burmeister(a, b):
    """``phi(a, b) = a + b - sqrt(a^2 + b^2)`` and its partial derivatives (an element of the generalized
    gradient at ``a = b = 0``), componentwise."""
    r = np.hypot(a, b)
    safe = np.where(r > 0, r, 1.0)
    da = np.where(r > 0, 1 - a / safe, 1 - 1 / np.sqrt(2))
    db = np.where(r > 0, 1 - b / safe, 1 - 1 / np.sqrt(2))
    return a + b - r, da, db


class FischerBurmeister:
    """``Phi(z)`` and the diagonal scalings ``D_z, D_F`` of its generalized Jacobian ``D_z + D_F J`` for ``mcp``."""

    def __init__(self, mcp: MCP):
        lb, ub = mcp.lb, mcp.ub
        self.mcp = mcp
        self.fixed = lb == ub
        has_lb, has_ub = np.isfinite(lb) & ~self.fixed, np.isfinite(ub) & ~self.fixed
        self.box = has_lb & has_ub
        self.lower = has_lb & ~has_ub
        self.upper = has_ub & ~has_lb
        self.free = ~has_lb & ~has_ub & ~self.fixed

    def __call__(self, z, F):
        lb, ub = self.mcp.lb, self.mcp.ub
        phi, d_z, d_F = np.zeros_like(z), np.zeros_like(z), np.zeros_like(z)
        k = self.fixed
        phi[k], d_z[k] = z[k] - lb[k], 1.0
        k = self.free
        phi[k], d_F[k] = F[k], 1.0
        k = self.lower
        phi[k], d_z[k], d_F[k] = fischer_burmeister(z[k] - lb[k], F[k])
        k = self.upper
        value, da, db = fischer_burmeister(ub[k] - z[k], -F[k])
        phi[k], d_z[k], d_F[k] = value, -da, -db
        k = self.box
        inner, ia, ib = fischer_burmeister(ub[k] - z[k], -F[k])
        value, oa, ob = fischer_burmeister(z[k] - lb[k], -inner)
        phi[k], d_z[k], d_F[k] = value, oa + ob * ia, ob * ib
        return phi, d_z, d_F


def semismooth_newton(mcp: MCP, nlp: RelaxedNLP, z0: np.ndarray, tol: float = 1e-8, max_iter: int = 100,
                      max_seconds: float = 30.0, stall_window: int = 25, divergence: float = 1e12
                      ) -> SemismoothResult:
    """Damped semismooth Newton on ``Phi(z) = 0`` from ``z0`` (module docstring), until the natural residual
    (:func:`natural_residual`) is at most ``tol``. It gives up when ``Psi`` has not halved in ``stall_window``
    iterations (crawling along steepest descent towards a stationary point that is not a solution), when
    ``||z||_inf`` grows by a factor ``divergence`` (no solution: an infeasible constraint's multiplier or an
    unbounded agent's variable running away), or at ``max_iter`` / ``max_seconds``. Returns the best point seen."""
    start = time.perf_counter()
    fb = FischerBurmeister(mcp)
    z = np.asarray(z0, float).copy()
    F = mcp.evaluate(z)
    phi, d_z, d_F = fb(z, F)
    psi = 0.5 * phi @ phi
    merit_history = [psi]
    best_z, best_res = z, natural_residual(mcp, z, F)
    too_large = divergence * max(1.0, np.max(np.abs(z), initial=0.0))
    status, iteration = ("MCP solved at the start", 0) if best_res <= tol else (f"iteration limit ({max_iter})", 0)
    while best_res > tol and iteration < max_iter:
        iteration += 1
        if not np.isfinite(psi):
            status = "F is not finite"
            break
        H = (sp.diags(d_z) + sp.diags(d_F) @ nlp.dF_dz(z)).tocsc()
        grad = H.T @ phi
        if np.max(np.abs(grad), initial=0.0) <= 1e-14 * max(1.0, psi):
            status = "stuck at a stationary point of the merit function that is not a solution"
            break
        d = _direction(H, phi)
        if d is None or not np.all(np.isfinite(d)) or grad @ d > -RHO * np.linalg.norm(d) ** P:
            d = -grad
        accepted = _armijo(mcp, fb, z, d, psi, grad @ d)
        if accepted is None:
            status = "line search failed (no decrease of the merit function)"
            break
        z, F, phi, d_z, d_F, psi = accepted
        merit_history.append(psi)
        residual = natural_residual(mcp, z, F)
        if residual < best_res:
            best_z, best_res = z, residual
        if best_res <= tol:
            status = f"MCP solved in {iteration} iterations"
        elif np.max(np.abs(z)) > too_large:
            status = f"diverging (|z| = {np.max(np.abs(z)):.1e}: no solution near this start)"
            break
        elif iteration >= stall_window and psi > 0.5 * merit_history[-stall_window - 1]:
            status = f"stalled (merit {psi:.1e} not halved in {stall_window} iterations)"
            break
        elif time.perf_counter() - start > max_seconds:
            status = f"time limit ({max_seconds:g} s)"
            break
    return SemismoothResult(best_z, f"semismooth: {status}", iteration, best_res, time.perf_counter() - start)


def _armijo(mcp, fb, z, d, psi, slope):
    """Backtracking along ``d`` until ``Psi(z + t d) <= Psi(z) + ARMIJO t slope``; the new ``(z, F, Phi, D_z, D_F,
    Psi)``, or None when ``t`` falls below 1e-12."""
    t = 1.0
    while t > 1e-12:
        trial = z + t * d
        F = mcp.evaluate(trial)
        phi, d_z, d_F = fb(trial, F)
        psi_trial = 0.5 * phi @ phi
        if np.isfinite(psi_trial) and psi_trial <= psi + ARMIJO * t * slope:
            return trial, F, phi, d_z, d_F, psi_trial
        t *= BACKTRACK
    return None


def natural_residual(mcp: MCP, z, F) -> float:
    """``||z - mid(l, u, z - F)||_inf``, computed as ``||mid(z - u, F, z - l)||_inf`` (the same vector): the
    first form rounds to zero when ``|z_k|`` is so large that ``F_k`` is below its last digit (a multiplier
    driven to 1e16 by an infeasible constraint would look complementary to a violated one)."""
    r = mcp.natural_residual(z, F)
    return float(np.max(np.abs(r), initial=0.0)) if np.all(np.isfinite(r)) else np.inf


def _direction(H: sp.csc_matrix, phi: np.ndarray):
    """The Newton step ``H d = -phi`` by a sparse LU (:func:`sharedeq.newton.sparse_lu`, which refuses a singular
    ``H``), else the Levenberg-Marquardt step with ``mu = ||phi||`` from its augmented system
    ``[[I, H], [H', -mu I]] [r; d] = [-phi; 0]`` (nonsingular for ``mu > 0``); None if that fails too."""
    n = H.shape[0]
    lu = sparse_lu(H)
    if lu is not None:
        d = lu.solve(-phi)
        if np.all(np.isfinite(d)):
            return d
    mu = max(float(np.linalg.norm(phi)), 1e-12)
    lu = sparse_lu(sp.bmat([[sp.identity(n), H], [H.T, -mu * sp.identity(n)]], format="csc"))
    return None if lu is None else lu.solve(np.r_[-phi, np.zeros(n)])[n:]


def restart_points(mcp: MCP, z_best: np.ndarray, n_random: int = 3, seed: int = 0):
    """The starts of the fallback, as ``(label, z)``: the best point so far, the user's start projected into the
    bounds, then ``n_random`` seeded uniform points in the box (a one-sided or free component is drawn within
    ``max(1, 2 |z_best_k|)`` of its finite bound, or of zero)."""
    yield "best point so far", np.asarray(z_best, float)
    yield "initial point", np.clip(mcp.z0, mcp.lb, mcp.ub)
    width = np.maximum(1.0, 2 * np.abs(z_best))
    low = np.where(np.isfinite(mcp.lb), mcp.lb, np.where(np.isfinite(mcp.ub), mcp.ub - width, -width / 2))
    high = np.where(np.isfinite(mcp.ub), mcp.ub, low + width)
    rng = np.random.default_rng(seed)
    for k in range(n_random):
        yield f"random point {k + 1}", rng.uniform(low, high)
