"""The solving chain: problem -> MCP -> relaxed NLP -> Ipopt (tightening loop, polish) -> Solution.

1. :func:`sharedeq.kkt.build_mcp` gathers every agent's KKT conditions.
2. :func:`sharedeq.reformulate.relax` relaxes complementarity to ``(z - lb) s <= eps``.
3. Ipopt solves the relaxation for a decreasing sequence of ``eps``, each run warm-started from the last.
4. The polish fixes the active set that the relaxation found and solves the remaining square system, which
   takes the residual from about ``sqrt(eps)`` to machine accuracy: Newton's method with a sparse LU
   (:mod:`sharedeq.newton`) after every relaxation step with ``eps <= newton_from`` (all of them by default; a
   failed attempt costs one sparse factorisation), and Ipopt on the square system as the fallback when Newton
   never succeeds.
5. :class:`sharedeq.solution.Solution` maps the vector back to the user's names and checks every pair.

Every step is recorded (``solution.steps``), so a failure says what was tried.
"""

from __future__ import annotations

import time

import numpy as np

from sharedeq.backends import get_backend
from sharedeq.kkt import build_mcp
from sharedeq.newton import newton_polish
from sharedeq.reformulate import relax
from sharedeq.solution import Solution

EPS_SCHEDULE = (1e-2, 1e-4, 1e-6, 1e-8, 1e-10)
NEWTON_FROM = 1e-2
#: A converged solve is checked for second-order sufficiency (a KKT point of a non-concave agent is not a best
#: response) when the MCP, its dense part and its largest agent are at most this big; call
#: ``solution.check_second_order()`` for larger ones (cost: the MCP's Jacobian, so O(N^2) with N dense rows,
#: plus a dense eigenproblem of each agent's size).
SECOND_ORDER_MAX_PAIRS = 5000
SECOND_ORDER_MAX_DENSE_ROWS = 64
SECOND_ORDER_MAX_AGENT_VARIABLES = 500


def solve(problem, mode=None, weights=None, backend="casadi", options=None, lift="auto", tol=1e-8,
          eps_schedule=EPS_SCHEDULE, polish=True, newton_from=NEWTON_FROM) -> Solution:
    """Compute an equilibrium of ``problem``.

    mode: "gne" (each agent its own multiplier per shared constraint), "ve" (one shared multiplier), or None
        (per constraint, as declared with ``add_shared(..., variational=...)``).
    weights: Rosen weights, one positive number per agent (agent i's multiplier is lam / r_i); "ve" only.
    backend: "casadi" (Ipopt from casadi's wheel) or "pyomo" (an ``ipopt`` executable via SolverFactory).
    options: Ipopt options passed through (e.g. ``{"max_iter": 500, "print_level": 5}``).
    lift: "auto" lifts shared aggregates into auxiliary variables (sparse); "none" inlines them (dense).
    tol: the MCP residual (infinity norm of the natural residual) below which the solve counts as converged.
    eps_schedule, polish, newton_from: the relaxation parameters tried in turn; whether to polish; the ``eps``
        from which each relaxed point is polished by Newton's method (0 turns the Newton polish off).
    """
    timings = {}
    start = time.perf_counter()
    mcp = build_mcp(problem, mode=mode, weights=weights, lift=lift)
    timings["kkt"] = time.perf_counter() - start
    start = time.perf_counter()
    nlp = relax(mcp)
    timings["reformulate"] = time.perf_counter() - start
    watch = _NewtonWatch(mcp, nlp, tol) if polish and newton_from > 0 else None
    engine = get_backend(backend)(nlp, options, watch=watch)
    start = time.perf_counter()
    steps, z = _tighten_and_polish(mcp, nlp, engine, tol, eps_schedule, polish, newton_from, watch)
    timings["solve"] = time.perf_counter() - start
    solution = Solution.build(problem, mcp, z, steps, timings, mode=mode, weights=weights, tol=tol,
                              backend=engine.name)
    if solution.converged and mcp.size <= SECOND_ORDER_MAX_PAIRS and \
            int(mcp.pairs["dense"].sum()) <= SECOND_ORDER_MAX_DENSE_ROWS and \
            max((len(a.variables) for a in problem.agents), default=0) <= SECOND_ORDER_MAX_AGENT_VARIABLES:
        start = time.perf_counter()
        solution.check_second_order()
        solution.timings["second_order"] = time.perf_counter() - start
    return solution


class _NewtonWatch:
    """Called at every Ipopt iteration: once the relaxed equations hold to ``feasibility``, try the Newton polish
    (then every ``every`` iterations while it fails); stop Ipopt as soon as it solves the MCP.

    In generalized Nash mode this saves most of the iterations (the relaxed NLP is degenerate and Ipopt's last
    iterations are slow), and elsewhere it ends a stage as soon as its active set is the right one.
    """

    def __init__(self, mcp, nlp, tol, feasibility=1e-6, every=5):
        self.mcp, self.nlp, self.tol, self.feasibility, self.every = mcp, nlp, tol, feasibility, every
        self.iteration, self.next_try, self.tries, self.found = 0, 0, 0, None

    def __call__(self, x, g) -> bool:
        self.iteration += 1
        if self.found is not None:
            return True
        if self.iteration < self.next_try or \
                np.max(np.abs(g[: self.nlp.n_equations]), initial=0.0) > self.feasibility:
            return False
        self.tries += 1
        newton = newton_polish(self.mcp, self.nlp, x)
        residual = _residual(self.mcp, newton.z)
        if residual <= self.tol:
            self.found = {**_newton_step(f"newton polish (during Ipopt iteration {self.iteration})", newton,
                                         residual), "x": np.r_[newton.z, x[self.mcp.size:]]}
            return True
        self.next_try = self.iteration + self.every
        return False


def _tighten_and_polish(mcp, nlp, engine, tol, eps_schedule, polish, newton_from, watch=None):
    n = mcp.size
    x = nlp.start(mcp, mcp.z0)
    lam_x = lam_g = None
    steps = []
    best_x, best_res = x, _residual(mcp, x[:n])
    for eps in eps_schedule:
        stage = "relax" if lam_x is None else "warm"
        raw = engine.solve(stage, x, nlp.lbx, nlp.ubx, eps, lam_x, lam_g)
        res = _residual(mcp, raw.x[:n])
        steps.append(_step(f"relax eps={eps:g}", raw, res))
        if watch is not None and watch.found is not None:
            found = watch.found
            steps.append({k: v for k, v in found.items() if k != "x"})
            return steps, found["x"][:n]
        if np.isfinite(res):
            x, lam_x, lam_g = raw.x, raw.lam_x, raw.lam_g
            if res < best_res:
                best_x, best_res = raw.x, res
        if best_res > tol and polish and eps <= newton_from and np.isfinite(res):
            newton = newton_polish(mcp, nlp, raw.x)
            res = _residual(mcp, newton.z)
            steps.append(_newton_step("newton polish (active set fixed)", newton, res))
            if res < best_res:
                best_x, best_res = np.r_[newton.z, raw.x[n:]], res
        if best_res <= tol:
            break
    if polish and best_res > tol:
        lbx, ubx = nlp.active_set_bounds(mcp, best_x)
        x0 = np.clip(best_x, lbx, ubx)
        raw = engine.solve("polish", x0, lbx, ubx, 1.0, None, None)
        res = _residual(mcp, raw.x[:n])
        steps.append(_step("polish (active set fixed)", raw, res))
        if res < best_res:
            best_x, best_res = raw.x, res
    return steps, best_x[:n]


def _residual(mcp, z) -> float:
    r = mcp.natural_residual(z)
    return float(np.max(np.abs(r))) if r.size else 0.0


def _newton_step(name, newton, residual) -> dict:
    """A Newton polish as a row of ``solution.steps`` (no Ipopt iterations; its status in the status column)."""
    return {"step": name, "ipopt_status": newton.status, "iterations": 0, "residual": residual,
            "seconds": newton.seconds}


def _step(name, raw, residual) -> dict:
    return {"step": name, "ipopt_status": raw.status, "iterations": raw.iterations, "residual": residual,
            "seconds": raw.seconds}
