"""A primal-dual interior-point method on the MCP itself: one sparse LU of ``dF/dz + D`` per iteration.

Each pair ``F_k(z) _|_ lb_k <= z_k <= ub_k`` is written with multipliers ``v_k >= 0`` (lower bound, when finite)
and ``w_k >= 0`` (upper bound, when finite) as

    F(z) - v + w = 0,     (z - lb) v = mu,     (ub - z) w = mu,

and ``mu`` is driven to zero along the central path of complementarity problems (Kojima, Megiddo, Noma and
Yoshise 1991), with Mehrotra's predictor-corrector choice of the target. Eliminating ``v`` and ``w`` from the
Newton equations leaves one system in ``z`` alone, with the MCP's own Jacobian ``J = dF/dz`` plus a positive
diagonal,

    (J + diag(v / (z - lb) + w / (ub - z))) dz = -F(z) + sigma mu (1 / (z - lb) - 1 / (ub - z)),

so an iteration costs one evaluation of ``F`` and ``J`` and one sparse LU, used for both the predictor and the
corrector: no slacks, no Hessian of a Lagrangian, no NLP to build. Free pairs are equations ``F_k = 0``; fixed
pairs (``lb = ub``) stay at their bound. For a monotone MCP (``J`` positive semidefinite: games with convex
agents in variational mode, LCPs with a PSD matrix) the diagonal makes every system nonsingular, and the
number of iterations hardly depends on the size.

Safeguards: the start is Mehrotra's heuristic carried over to the MCP (a full Newton step of the complementarity
equations, then one common shift of all gaps and multipliers that makes them positive and balanced), computed with
the rows that are far larger than the others at the start (constraints shared by many players) scaled down to them;
every step keeps ``z`` strictly inside its bounds (fraction to the boundary), stays in a wide neighbourhood of the
central path (:data:`GAMMA`, :data:`BETA`; the lower bound on the products is dropped once ``mu`` has fallen by
:data:`POLISH_FROM`: near the solution a pair settling at its bound loses its product faster than the mean, and
refusing those full steps made ``mu`` merely halve every iteration) and decreases the merit
``||F - v + w||^2 + ||(z - lb) v||^2 + ||(ub - z) w||^2`` (Armijo); when Mehrotra's corrected direction fails
that, the plain Newton direction towards ``sigma mu`` and then the centring direction are tried.

Once ``mu`` has fallen by :data:`POLISH_FROM`, the active set read off the iterate (a pair sits at a bound where its
distance to the bound is below its multiplier) goes to the active-set Newton polish
(:func:`sharedeq.newton.active_set_newton`), which takes the residual to machine accuracy in a step or two (when its
answer shows the guess wrong, a pair held at a bound with ``F`` of the wrong sign or a free pair past a bound, it is
tried again with those pairs changed, :data:`ACTIVE_SET_CORRECTIONS` times at most), and the method stops as soon as
a point passes the caller's acceptance test. Otherwise it reports why it stopped (no progress, the iteration limit,
a failed line search, a singular system, a non-finite ``F``), and :mod:`sharedeq.solve` falls back to the relaxation
with Ipopt.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from sharedeq.mcp import MCP
from sharedeq.newton import SOLVED, active_set_newton, fill_reducing_order, sparse_lu
from sharedeq.semismooth import natural_residual

#: Armijo constant on the merit, the shortest step before a direction is given up, fraction to the boundary.
ARMIJO, MIN_STEP, TAU = 1e-4, 1e-10, 0.995
#: The wide neighbourhood of the central path: every product ``(z - lb) v``, ``(ub - z) w`` at least ``GAMMA mu``,
#: and ``||F - v + w||_inf`` at most ``BETA ||r0|| / mu0`` times ``mu`` (the infeasibility may not lag behind the
#: complementarity, else the iterates hug the bounds and the steps shrink to nothing).
GAMMA, BETA = 1e-3, 10.0
#: A step shorter than this along Mehrotra's direction sends the method to the more centring directions.
LONG_STEP = 0.1
#: The method gives up when the merit has not fallen by 10 % in 25 iterations (an infeasible or non-monotone MCP:
#: without this stop the fallback started only at the iteration limit).
STALL, STALL_DECREASE = 25, 0.9
#: Diagonal shift, relative to ``max |dF/dz|``, of free pairs that share their function with another pair.
REGULARISATION = 1e-10
#: The active-set Newton polish is tried once ``mu <= POLISH_FROM mu0``, and after a failure again when ``mu`` has
#: fallen by ``POLISH_AGAIN`` (each try costs up to 10 factorisations: Fisher 500 x 100 made 79 for 17 iterations).
POLISH_FROM, POLISH_AGAIN = 1e-3, 0.1
#: After a polish whose active set proved wrong, up to this many more tries with the pairs that showed it changed
#: (a pair held at a bound with ``F`` of the wrong sign by more than ``WRONG_SIGN``, a free pair past a bound).
ACTIVE_SET_CORRECTIONS, WRONG_SIGN = 2, 1e-10
#: Rows whose ``|F|`` at the start exceeds this many times the median do not set the multipliers' scale.
OUTLIER = 100.0
#: Rows whose ``|F|`` at the start exceeds this many times the 90th percentile of the rows' sizes are scaled down
#: for Mehrotra's start (the median instead scaled a 900 among stationarity rows up to 830 in a Fisher market of
#: 1,000 buyers: 95 -> 141 iterations; 100 times it missed a cap of 36 times the median in a 100-firm game).
START_SPREAD = 10.0
#: SuperLU's threshold for preferring the diagonal pivot of ``J + D`` (ordered by :class:`_Factoriser`).
DIAG_PIVOT_THRESH = 0.1


@dataclass
class InteriorResult:
    """Where the interior-point method stopped: the point, why, and the work done.

    ``status``: "converged" (a point passed the acceptance test; ``polished`` says whether it came from the
    active-set Newton polish), or why not: "no progress (...)", "line search failed", "singular Newton system",
    "iteration limit", "F is not finite at the start". ``residual``: the MCP's natural residual at ``z``
    (infinity norm).
    """

    z: np.ndarray
    status: str
    iterations: int
    mu: float
    residual: float
    factorisations: int
    polished: bool
    seconds: float

    @property
    def converged(self) -> bool:
        return self.status == "converged"


class _Iterate:
    """``z`` strictly inside its bounds, multipliers ``v`` (lower), ``w`` (upper), ``F(z)``, and what follows."""

    def __init__(self, box, z, v, w, F):
        self.box, self.z, self.v, self.w, self.F = box, z, v, w, F
        self.s, self.t = box.gaps(z)
        self.comp_l, self.comp_u = self.s * v, self.t * w
        self.r = np.where(box.fixed, 0.0, F - v + w)
        products = np.r_[self.comp_l[box.has_l], self.comp_u[box.has_u]]
        self.mu = float(products.mean()) if products.size else 0.0
        self.min_product = float(products.min()) if products.size else 0.0
        self.infeasibility = float(np.max(np.abs(self.r), initial=0.0))
        # sums of squares by numpy's own reduction: a BLAS dot product of 15,000 entries took 8 ms here (OpenBLAS
        # threads waiting for busy cores) against 20 us
        self.merit = float(np.square(self.r).sum() + np.square(self.comp_l).sum() + np.square(self.comp_u).sum())


class _Box:
    """The bounds of the MCP: which are finite, which pairs are fixed, the distances to them."""

    def __init__(self, mcp: MCP):
        self.lb, self.ub = np.asarray(mcp.lb, float), np.asarray(mcp.ub, float)
        self.fixed = self.lb == self.ub
        self.has_l = np.isfinite(self.lb) & ~self.fixed
        self.has_u = np.isfinite(self.ub) & ~self.fixed
        self.keep = np.flatnonzero(~self.fixed)
        self.lb0 = np.where(self.has_l, self.lb, 0.0)
        self.ub0 = np.where(self.has_u, self.ub, 0.0)
        # free pairs whose function is another pair's too (every agent's multiplier of a shared equality in
        # generalized Nash mode): identical rows of J with no diagonal, so J + D is singular without a shift
        leader = mcp.pairs["same_as"].to_numpy() if "same_as" in mcp.pairs else np.arange(mcp.size)
        self.leaders = np.flatnonzero(leader == np.arange(mcp.size))
        free = ~self.has_l & ~self.has_u & ~self.fixed
        self.duplicate = free & (np.bincount(leader[free], minlength=mcp.size)[leader] > 1)

    def gaps(self, z):
        """``z - lb`` and ``ub - z`` where the bound is finite, 0 elsewhere."""
        return np.where(self.has_l, z - self.lb0, 0.0), np.where(self.has_u, self.ub0 - z, 0.0)

    def inverse_gaps(self, it: _Iterate):
        return (np.where(self.has_l, 1.0 / np.where(self.has_l, it.s, 1.0), 0.0),
                np.where(self.has_u, 1.0 / np.where(self.has_u, it.t, 1.0), 0.0))


def interior_point(mcp: MCP, jacobian, z0=None, accept=None, max_iter: int = 200, log=None) -> InteriorResult:
    """Solve ``mcp`` by the path-following method above from ``z0`` (default ``mcp.z0``).

    jacobian: has ``dF_dz(z)``, a scipy sparse matrix (:class:`sharedeq.jacobian.MCPJacobian`).
    accept: ``(z, natural residual) -> bool``, the test that ends the method (default: residual <= 1e-8).
    log: optional ``(iteration, mu, ||F - v + w||_inf, step length) -> None``, called after every step.
    """
    start = time.perf_counter()
    accept = accept or (lambda z, residual: residual <= 1e-8)
    box = _Box(mcp)
    counts = {"factorisations": 0}
    factorise = _Factoriser(box, counts)

    def finish(z, status, iterations, mu, polished=False, residual=None):
        if residual is None:
            residual = natural_residual(mcp, z, mcp.evaluate(z))
        return InteriorResult(z, status, iterations, mu, float(residual), counts["factorisations"], polished,
                              time.perf_counter() - start)

    z = _plain_start(np.asarray(mcp.z0 if z0 is None else z0, float), box)
    F = mcp.evaluate(z)
    if not np.all(np.isfinite(F)):
        return finish(z, "F is not finite at the start", 0, np.inf, residual=np.inf)
    if not (box.has_l.any() or box.has_u.any()):      # a system of equations: Newton's method alone
        newton = active_set_newton(mcp, jacobian, z, np.zeros(mcp.size, dtype=int), mcp_tol=1.0)
        status = "converged" if accept(newton.z, newton.mcp_residual) else f"no bounds; {newton.status}"
        return finish(newton.z, status, newton.steps, 0.0, True, newton.mcp_residual)
    it = _start(mcp, jacobian, z, F, box, factorise)
    mu0 = it.mu
    hood = _Neighbourhood(min(GAMMA, 0.5 * it.min_product / mu0), BETA * max(it.infeasibility, 1e-12) / mu0)
    merits, polish_below = [], POLISH_FROM * mu0
    for k in range(1, max_iter + 1):
        merits.append(it.merit)
        if k > STALL and it.merit > STALL_DECREASE * merits[-1 - STALL]:
            return finish(it.z, f"no progress (merit down by less than {1 - STALL_DECREASE:.0%} in {STALL} "
                                f"iterations)", k - 1, it.mu)
        residual = natural_residual(mcp, it.z, it.F)
        accepted = accept(it.z, residual)
        if accepted or it.mu <= polish_below:
            polish_below = POLISH_AGAIN * it.mu      # after a failure, the next try once mu has fallen 10x
            side = np.where(it.s < it.v, -1, np.where(it.t < it.w, 1, 0)) * (box.has_l | box.has_u)
            for _ in range(1 + ACTIVE_SET_CORRECTIONS):
                newton = active_set_newton(mcp, jacobian, it.z, side, max_steps=10, mcp_tol=1.0)
                counts["factorisations"] += newton.steps
                polished = np.clip(newton.z, box.lb, box.ub)      # a free pair may end 1e-12 outside its bounds
                F_polished = mcp.evaluate(polished)
                polished_residual = natural_residual(mcp, polished, F_polished)
                if polished_residual <= residual and accept(polished, polished_residual):
                    return finish(polished, "converged", k - 1, it.mu, True, polished_residual)
                if newton.equations != SOLVED or not np.isfinite(polished_residual):
                    break      # the guess was not what failed (a Fisher market's polish hit log(0) and ran 10 steps)
                side, changed = _corrected_side(newton.z, F_polished, side, box)
                if not changed:
                    break
        if accepted:
            return finish(it.z, "converged", k - 1, it.mu, residual=residual)
        lu = factorise(jacobian.dF_dz(it.z), it)
        if lu is None:
            return finish(it.z, "singular Newton system", k - 1, it.mu, residual=residual)
        if it.mu <= POLISH_FROM * mu0:
            hood.gamma = 0.0
        step = _step(mcp, it, box, lu, hood)
        if step is None:
            return finish(it.z, "line search failed", k - 1, it.mu, residual=residual)
        if log is not None:
            log(k, step.mu, step.infeasibility, float(np.max(np.abs(step.z - it.z), initial=0.0)))
        it = step
    return finish(it.z, "iteration limit", max_iter, it.mu)


@dataclass
class _Neighbourhood:
    gamma: float
    ratio: float

    def __contains__(self, it: _Iterate) -> bool:
        return it.min_product >= self.gamma * it.mu and it.infeasibility <= self.ratio * it.mu


class _Factoriser:
    """Sparse LU of ``J + diag(v / (z - lb) + w / (ub - z))`` over the pairs that are not fixed, with one
    fill-reducing ordering (:func:`sharedeq.newton.fill_reducing_order`: dense rows and columns last) computed
    for the structure on the first call and reused by every later one."""

    def __init__(self, box: _Box, counts: dict):
        self.box, self.counts, self.order = box, counts, None

    def __call__(self, J, it: _Iterate):
        inv_s, inv_t = self.box.inverse_gaps(it)
        diag = it.v * inv_s + it.w * inv_t
        if self.box.duplicate.any():
            # a shift of REGULARISATION relative to J: the duplicated rows then ask for equal changes of those
            # multipliers (the system itself is consistent: same row, same right-hand side -F)
            diag = diag + np.where(self.box.duplicate, REGULARISATION * max(1.0, float(abs(J).max())), 0.0)
        keep = self.box.keep
        K = sp.csr_matrix(J)[keep][:, keep] + sp.diags(diag[keep])
        if self.order is None:
            self.order = fill_reducing_order(K)
        self.counts["factorisations"] += 1
        return sparse_lu(K, order=self.order, diag_pivot_thresh=DIAG_PIVOT_THRESH)


def _direction(lu, it: _Iterate, box: _Box, sigma_mu, extra_l=0.0, extra_u=0.0):
    """The Newton direction ``(dz, dv, dw)`` towards products ``sigma_mu`` minus Mehrotra's second-order terms."""
    inv_s, inv_t = box.inverse_gaps(it)
    rhs = -it.F + (sigma_mu - extra_l) * inv_s - (sigma_mu - extra_u) * inv_t
    dz = np.zeros_like(it.z)
    dz[box.keep] = lu.solve(rhs[box.keep])
    dv = np.where(box.has_l, (sigma_mu - extra_l - it.comp_l - it.v * dz) * inv_s, 0.0)
    dw = np.where(box.has_u, (sigma_mu - extra_u - it.comp_u + it.w * dz) * inv_t, 0.0)
    return dz, dv, dw


def _step(mcp, it: _Iterate, box: _Box, lu, hood):
    """Mehrotra's predictor-corrector step, or a safer direction when it fails the line search; None if all fail."""
    dz, dv, dw = _direction(lu, it, box, 0.0)
    if not np.all(np.isfinite(dz)):
        return None
    alpha = _max_step(it, box, dz, dv, dw, 1.0)
    s, t = box.gaps(it.z + alpha * dz)
    affine = np.r_[(s * (it.v + alpha * dv))[box.has_l], (t * (it.w + alpha * dw))[box.has_u]].mean()
    sigma = min(1.0, (affine / it.mu) ** 3) if it.mu > 0 else 0.0
    directions = (
        lambda: _direction(lu, it, box, sigma * it.mu, np.where(box.has_l, dz * dv, 0.0),
                           np.where(box.has_u, -dz * dw, 0.0)),
        lambda: _direction(lu, it, box, max(sigma, 0.1) * it.mu),
        lambda: _direction(lu, it, box, 0.5 * it.mu),
        lambda: _direction(lu, it, box, it.mu),
    )
    # the first direction that allows a step of at least LONG_STEP; else the one that lowers the merit most. A
    # short step means a gap or multiplier blocks the way (the iterate left the centre): more centring helps.
    best = None
    for direction in directions:
        d = direction()
        if not np.all(np.isfinite(d[0])):
            continue
        found = _line_search(mcp, it, box, d, hood)
        if found is None:
            continue
        new, alpha = found
        if alpha >= LONG_STEP:
            return new
        if best is None or new.merit < best.merit:
            best = new
    return best


def _line_search(mcp, it: _Iterate, box: _Box, d, hood):
    """Backtrack from the longest interior step until the merit decreases (Armijo) inside the neighbourhood:
    ``(new iterate, step length)`` or None."""
    dz, dv, dw = d
    alpha = _max_step(it, box, dz, dv, dw, max(TAU, 1.0 - it.mu))
    while alpha >= MIN_STEP:
        z = it.z + alpha * dz
        z[box.fixed] = box.lb[box.fixed]
        F = mcp.evaluate(z)
        if np.all(np.isfinite(F)):
            new = _Iterate(box, z, it.v + alpha * dv, it.w + alpha * dw, F)
            if new.merit <= (1 - ARMIJO * alpha) * it.merit and new in hood:
                return new, alpha
        alpha /= 2
    return None


def _max_step(it: _Iterate, box: _Box, dz, dv, dw, tau) -> float:
    """The longest step in [0, 1] that keeps ``z - lb, ub - z, v, w`` at least ``1 - tau`` of their values."""
    alpha = 1.0
    for value, change, where in ((it.s, dz, box.has_l), (it.t, -dz, box.has_u), (it.v, dv, box.has_l),
                                 (it.w, dw, box.has_u)):
        shrink = where & (change < 0)
        if shrink.any():
            alpha = min(alpha, float(np.min(-tau * value[shrink] / change[shrink])))
    return alpha


def _corrected_side(z, F, side, box: _Box):
    """The active set after a polish that missed: a pair held at a bound where ``F`` came out with the wrong sign
    is freed, a free pair that left its bounds is held at the one it crossed; ``(side, whether any changed)``."""
    held_wrong = ((side < 0) & (F < -WRONG_SIGN)) | ((side > 0) & (F > WRONG_SIGN))
    below = (side == 0) & box.has_l & (z < box.lb - WRONG_SIGN)
    above = (side == 0) & box.has_u & (z > box.ub + WRONG_SIGN)
    new = np.where(held_wrong, 0, np.where(below, -1, np.where(above, 1, side)))
    return new, bool((new != side).any())


def _start(mcp, jacobian, z, F, box: _Box, factorise) -> _Iterate:
    """The first iterate: Mehrotra's start (:func:`_mehrotra_start`) computed on the rows brought to one scale
    (:class:`_RowScaled`), its multipliers then taken back to the rows' own scale; the plain start (multipliers
    ``max(F, 0) + 1e-2 scale``) when Mehrotra's cannot be had."""
    rows = _start_row_scale(F, box)
    scaled = _RowScaled(mcp, jacobian, rows)
    F_scaled = rows * F
    scale = _multiplier_scale(F_scaled, box)
    v = np.where(box.has_l, np.maximum(F_scaled, 0.0) + 1e-2 * scale, 0.0)
    w = np.where(box.has_u, np.maximum(-F_scaled, 0.0) + 1e-2 * scale, 0.0)
    plain = _Iterate(box, z, v, w, F_scaled)
    it = _mehrotra_start(scaled, scaled, plain, box, factorise) or plain
    return _Iterate(box, it.z, it.v / rows, it.w / rows, it.F / rows)


def _start_row_scale(F, box: _Box) -> np.ndarray:
    """Per row, 1, or for a row whose ``|F|`` at the start is more than :data:`START_SPREAD` times the 90th
    percentile of the distinct rows' (a constraint shared by N players, ``sum_i e_i x_i <= K``, is N times a
    player's own row) the factor that brings it to the largest of the others. Mehrotra's start shifts all gaps
    by one amount and all multipliers by another, taken from sums over every pair: left at its own scale, such a
    row set every player's multiplier (185,000 for rows of size 3 in a 10,000-firm river game) and the first 4
    steps were shorter than 1 %, 11 at 100,000 firms."""
    found = _typical_row_size(F, box, lambda size: np.quantile(size, 0.9), START_SPREAD)
    if found is None:
        return np.ones(F.size)
    largest, limit = found
    typical = max(largest, 1.0)
    magnitude = np.abs(F)
    outlier = np.isfinite(magnitude) & (magnitude > max(limit, typical))
    return np.where(outlier, typical / np.where(outlier, magnitude, 1.0), 1.0)


class _RowScaled:
    """``D F(z)`` and ``D dF/dz`` for a positive diagonal ``D``: the same complementarity conditions (a positive
    multiple of a row keeps its sign), with the rows at another scale."""

    def __init__(self, mcp: MCP, jacobian, rows: np.ndarray):
        self.mcp, self.jacobian, self.rows = mcp, jacobian, rows

    def evaluate(self, z):
        return self.rows * self.mcp.evaluate(z)

    def dF_dz(self, z):
        return sp.diags(self.rows) @ sp.csr_matrix(self.jacobian.dF_dz(z))


def _multiplier_scale(F, box: _Box) -> float:
    """The scale of the start's bound multipliers: 1 % of the largest ``|F|`` among the distinct rows, leaving out
    rows more than :data:`OUTLIER` times the median (a capacity of 30 N in an N-firm game: taken as the scale, it
    made every firm's first step shrink like 1 / N, 13, 27 and 39 iterations at N = 1e3, 1e4, 1e5), at least 1."""
    found = _typical_row_size(F, box, np.median, OUTLIER)
    return 1.0 if found is None else max(1.0, 1e-2 * found[0])


def _typical_row_size(F, box: _Box, reference, spread: float):
    """``(largest |F| among the distinct rows not above the limit, the limit)`` with the limit ``spread`` times
    ``reference`` of those sizes (their median, a quantile); None when no row is finite."""
    size = np.abs(F[box.leaders])
    size = size[np.isfinite(size)]
    if not size.size:
        return None
    limit = spread * max(float(reference(size)), 1e-300)
    return float(size[size <= limit].max(initial=0.0)), limit


def _plain_start(z0, box: _Box) -> np.ndarray:
    """``z0`` moved strictly inside its bounds (by 1e-2 of its scale, at most a third of the box)."""
    z = np.clip(z0, box.lb, box.ub)
    push = 1e-2 * np.maximum(1.0, np.abs(z))
    width = box.ub - box.lb
    room = np.where(np.isfinite(width), np.minimum(push, width / 3), push)
    z = np.where(box.has_l, np.maximum(z, box.lb + room), z)
    z = np.where(box.has_u, np.minimum(z, box.ub - room), z)
    z[box.fixed] = box.lb[box.fixed]
    return z


def _mehrotra_start(mcp, jacobian, it: _Iterate, box: _Box, factorise: _Factoriser):
    """Mehrotra's starting point carried over to the MCP, or None when it cannot be had.

    From the plain start, take the full Newton step of ``F - v + w = 0, (z - lb) v = 0, (ub - z) w = 0``, then
    shift every gap (distance of ``z`` to its bound; the nearer one for a box, which stays 1 % inside) and every
    multiplier by one common amount each: first enough to make them all positive, then half the mean product
    over the mean of the other side, so that the products are large and balanced.
    """
    lu = factorise(jacobian.dF_dz(it.z), it)
    if lu is None:
        return None
    dz, dv, dw = _direction(lu, it, box, 0.0)
    if not np.all(np.isfinite(dz)):
        return None
    z1, v1, w1 = it.z + dz, it.v + dv, it.w + dw
    s1, t1 = box.gaps(z1)
    both = box.has_l & box.has_u
    use_lower = box.has_l & ~(both & (t1 < s1))
    use_upper = box.has_u & ~use_lower
    bounded = use_lower | use_upper
    gap = np.where(use_lower, s1, t1)[bounded]
    multiplier = np.where(use_lower, v1, w1)[bounded]
    gap = gap + max(-1.5 * float(gap.min()), 0.0)
    multiplier = multiplier + max(-1.5 * float(multiplier.min()), 0.0)
    product = float((gap * multiplier).sum())
    gap = gap + max(0.5 * product / max(float(multiplier.sum()), 1e-300), 1e-8)
    shift = max(0.5 * product / max(float(gap.sum()), 1e-300), 1e-8)
    multiplier = multiplier + shift
    z = z1.copy()
    lower, upper = np.flatnonzero(use_lower), np.flatnonzero(use_upper)
    position = np.full(z.size, -1)
    position[bounded] = np.arange(int(bounded.sum()))
    z[lower] = box.lb[lower] + gap[position[lower]]
    z[upper] = box.ub[upper] - gap[position[upper]]
    if both.any():
        width = box.ub[both] - box.lb[both]
        z[both] = np.clip(z[both], box.lb[both] + 0.01 * width, box.ub[both] - 0.01 * width)
    z[box.fixed] = box.lb[box.fixed]
    v = np.where(box.has_l, np.maximum(v1, 0.0) + shift, 0.0)
    w = np.where(box.has_u, np.maximum(w1, 0.0) + shift, 0.0)
    v[lower], w[upper] = multiplier[position[lower]], multiplier[position[upper]]
    F = mcp.evaluate(z)
    if not np.all(np.isfinite(F)):
        return None
    return _Iterate(box, z, v, w, F)
