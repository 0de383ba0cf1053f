"""The solving chain: problem -> MCP -> interior point, else relaxed NLP -> Ipopt (tightening loop, polish) -> Solution.

1. :func:`sharedeq.kkt.build_mcp` gathers every agent's KKT conditions.
2. The MCP's Jacobian (:class:`sharedeq.jacobian.MCPJacobian`) and the primal-dual interior-point method on the
   MCP itself (:mod:`sharedeq.interior`): one sparse LU per iteration, ended by the active-set Newton polish.
   It solves monotone MCPs (games of convex agents in variational mode, most generalized-Nash ones, markets) in
   a number of iterations that hardly grows with the size. When it stops without a solution, the chain goes on:
3. :func:`sharedeq.reformulate.relax` relaxes complementarity to ``(z - lb) s <= eps``.
4. Ipopt solves the relaxation for a decreasing sequence of ``eps``, each run warm-started from the last.
5. The polish fixes the active set that the relaxation found and solves the remaining square system, which
   takes the residual from about ``sqrt(eps)`` to machine accuracy: Newton's method with a sparse LU
   (:mod:`sharedeq.newton`) after every relaxation step with ``eps <= newton_from`` (all of them by default; a
   failed attempt costs one sparse factorisation), and Ipopt on the square system as the fallback when Newton
   never succeeds.
6. If the MCP is still unsolved (Ipopt can end every stage at a local infeasibility of the nonconvex relaxed
   NLP: 16 % of random linear-quadratic games with shared constraints did), semismooth Newton on the
   Fischer-Burmeister equations (:mod:`sharedeq.semismooth`) is tried from the best point so far, the start, and
   three seeded random points in the bounds, until one solves it.
7. :class:`sharedeq.solution.Solution` maps the vector back to the user's names and checks every pair.

Every step is recorded (``solution.steps``), so a failure says what was tried.
"""

from __future__ import annotations

import copy
import time

import numpy as np
import pandas as pd

from sharedeq import progress
from sharedeq.backends import get_backend
from sharedeq.errors import ModelError
from sharedeq.interior import interior_point
from sharedeq.jacobian import MCPJacobian
from sharedeq.kkt import build_mcp
from sharedeq.mcp import MCP
from sharedeq.newton import newton_polish
from sharedeq.problem import EquilibriumProblem
from sharedeq.reformulate import relax
from sharedeq.semismooth import natural_residual, restart_points, semismooth_newton
from sharedeq.solution import NOT_AN_EQUILIBRIUM, SCALED_TOL, STRENGTH, Solution

EPS_SCHEDULE = (1e-2, 1e-4, 1e-6, 1e-8, 1e-10)
NEWTON_FROM = 1e-2
#: A converged solve is verified agent by agent (:meth:`Solution.verify`) when the MCP, its dense part and its
#: largest agent are at most this big; call ``solution.verify()`` for larger ones (cost: the MCP's Jacobian, so
#: O(N^2) with N dense rows, a dense eigenproblem of each agent's size, and each agent's certificate).
VERIFY_MAX_PAIRS = 5000
VERIFY_MAX_DENSE_ROWS = 64
VERIFY_MAX_AGENT_VARIABLES = 500
#: ... and certifies globally at most this many agents that are not convex quadratic (each takes milliseconds
#: to a second: an enumeration, a branch and bound, or a multistart); above it they are judged locally.
VERIFY_MAX_CERTIFIED = 200
#: ``method`` of :func:`solve`: the interior-point method, then the relaxation if it fails; or either alone.
METHODS = ("auto", "interior", "relaxation")


def solve(problem, mode=None, weights=None, backend="casadi", options=None, lift="auto", tol=1e-8,
          eps_schedule=EPS_SCHEDULE, polish=True, newton_from=NEWTON_FROM, verify="auto",
          scaled_tol=SCALED_TOL, escapes=2, verbose=None, method="auto") -> Solution:
    """Compute an equilibrium of ``problem`` (an :class:`~sharedeq.EquilibriumProblem`), or solve an :class:`MCP`.

    mode: "gne" (each agent its own multiplier per shared constraint), "ve" (one shared multiplier), or None
        (per constraint, as declared with ``add_shared(..., variational=...)``).
    weights: Rosen weights, one positive number per agent (agent i's multiplier is lam / r_i); "ve" only.
    backend: "casadi" (Ipopt from casadi's wheel) or "pyomo" (an ``ipopt`` executable via SolverFactory).
    options: Ipopt options passed through (e.g. ``{"max_iter": 500, "print_level": 5}``).
    lift: "auto" lifts shared aggregates into auxiliary variables (sparse); "none" inlines them (dense).
    tol, scaled_tol: the MCP residual (infinity norm of the natural residual) and its scaled form (in the units
        of F, see :meth:`Solution.build`) below which the point counts as a solution of the MCP.
    eps_schedule, polish, newton_from: the relaxation parameters tried in turn; whether to polish; the ``eps``
        from which each relaxed point is polished by Newton's method (0 turns the Newton polish off).
    verify: whether to judge every agent at a converged point (second-order conditions, convexity or a global
        best-response certificate; :meth:`Solution.verify`): True, False, or "auto" (when the MCP has at most
        ``VERIFY_MAX_PAIRS`` pairs, ``VERIFY_MAX_DENSE_ROWS`` dense rows and agents of at most
        ``VERIFY_MAX_AGENT_VARIABLES`` variables). Unverified KKT points say so in their status.
    escapes: at a verified KKT point where some agent can do better, how many times to solve again from those
        agents' better responses (:func:`_escape`).
    method: "auto" (the interior-point method on the MCP, :mod:`sharedeq.interior`, then, if it stops without a
        solution, the relaxation with Ipopt), "interior" (the interior-point method alone) or "relaxation" (Ipopt
        on the relaxed NLP alone; ``options``, ``eps_schedule``, ``polish`` and ``newton_from`` apply to it).
    verbose: progress on stderr (:mod:`sharedeq.progress`): None a bar when stderr is a terminal and the solve
        lasts over a second, 0 none, 1 a bar always, 2 the iteration log on stdout instead (the interior point's
        and Ipopt's). Stages are logged at INFO on the logger "sharedeq" whatever ``verbose`` is.
    """
    if verbose is not None and verbose is not True and verbose >= 2:
        options = {"print_level": 5, **(options or {})}
    if method not in METHODS:
        raise ModelError(f"method must be one of {', '.join(map(repr, METHODS))}, got {method!r}")
    chain = _Chain(backend, options, tol, eps_schedule, polish, newton_from, scaled_tol, method,
                   print_iterations=verbose is not None and verbose is not True and verbose >= 2)
    if isinstance(problem, MCP):
        with progress.run("solve MCP", verbose):
            return chain(None, problem, {"kkt": 0.0}, None, None)
    if not isinstance(problem, EquilibriumProblem):
        raise ModelError(f"solve() takes an EquilibriumProblem or an MCP, got {type(problem).__name__}")
    with progress.run(f"solve {problem.name}", verbose):
        return _solve_problem(problem, mode, weights, lift, verify, escapes, chain)


def _solve_problem(problem, mode, weights, lift, verify, escapes, chain) -> Solution:
    """:func:`solve` for an equilibrium problem: KKT conditions, the chain, the agents' checks, the diagnosis."""
    progress.stage("KKT conditions")
    timings = {}
    start = time.perf_counter()
    mcp = build_mcp(problem, mode=mode, weights=weights, lift=lift)
    timings["kkt"] = time.perf_counter() - start
    progress.done(f"{mcp.size} pairs")
    solution = chain(problem, mcp, timings, mode, weights)
    if solution.converged and (verify is True or verify == "auto" and _small_enough(problem, mcp)):
        start = time.perf_counter()
        progress.stage("agent checks")
        solution.verify(max_certified=None if verify is True else VERIFY_MAX_CERTIFIED)
        solution.timings["verify"] = time.perf_counter() - start
        progress.done(solution.status)
        for attempt in range(escapes):
            if solution.status != NOT_AN_EQUILIBRIUM:
                break
            # A restart that was not kept leaves the same solution, so the same chain would repeat it exactly; and
            # the interior-point method recentres its start (Mehrotra), so it may not stay near the better
            # responses. In "auto", every restart after the first is the relaxation, which starts where it is told.
            again = chain.using("relaxation") if attempt and chain.method == "auto" else chain
            solution = _escape(problem, mcp, solution,
                               lambda again=again: again(problem, mcp, {"kkt": timings["kkt"]}, mode, weights))
    if not solution.converged:
        from sharedeq.diagnose import diagnose

        progress.stage("diagnosis")
        solution.diagnosis = diagnose(problem, mcp, solution.z)
    return solution


def _escape(problem, mcp, solution, resolve) -> Solution:
    """From a KKT point where some agents can do better, solve again from their better responses.

    Each agent that is not at a best response moves to the better response its certificate found, or a step
    along its direction of negative curvature (10 % of its variables' scale); the others stay. The new solve is
    kept if its status is stronger (its steps follow the old ones in ``solution.steps``), else the old one.
    """
    z0 = solution.z.copy()
    moved = []
    column = {(a, v): k for k, (a, v) in enumerate(zip(mcp.pairs["agent"], mcp.pairs["variable"], strict=True))}
    for name in solution.not_best_responses:
        certificate = (solution.certificates or {}).get(name)
        move = solution.second_order.at[name, "move"] if solution.second_order is not None else None
        if certificate is not None and certificate.response:
            for var, value in certificate.response.items():
                if (name, var) in column:
                    z0[column[name, var]] = value
        elif move:
            cols = np.array(list(move))
            step = 0.1 * max(1.0, float(np.abs(z0[cols]).max()))
            z0[cols] += step * np.array(list(move.values()))
        else:
            continue
        moved.append(name)
    if not moved:
        return solution
    previous = mcp.z0
    mcp.z0 = np.clip(z0, mcp.lb, mcp.ub)
    try:
        retry = resolve()
    finally:
        mcp.z0 = previous
    if retry.converged:
        retry.verify(max_certified=VERIFY_MAX_CERTIFIED)
    label = f"restart from better responses of {', '.join(repr(a) for a in moved)}"
    restart = {"step": label, "ipopt_status": f"was {solution.status}", "iterations": 0, "residual": np.nan,
               "seconds": 0.0}
    if STRENGTH.index(retry.status) >= STRENGTH.index(solution.status):
        return solution
    retry.steps = pd.concat([solution.steps, pd.DataFrame([restart]), retry.steps], ignore_index=True)
    retry.timings["iterations"] = int(retry.steps["iterations"].sum())
    return retry


class _Chain:
    """MCP -> interior point, else relaxed NLP -> Ipopt and polish -> :class:`Solution` (status judged on both
    residuals), with the settings of one :func:`solve` call."""

    def __init__(self, backend, options, tol, eps_schedule, polish, newton_from, scaled_tol, method,
                 print_iterations=False):
        if method != "interior":        # a wrong backend is an error now, not after the interior point
            get_backend(backend).check_available()
        self.backend, self.options, self.tol, self.eps_schedule = backend, options, tol, eps_schedule
        self.polish, self.newton_from, self.scaled_tol, self.method = polish, newton_from, scaled_tol, method
        self.print_iterations = print_iterations

    def using(self, method) -> _Chain:
        """The same settings with another ``method``."""
        other = copy.copy(self)
        other.method = method
        return other

    def __call__(self, problem, mcp, timings, mode, weights) -> Solution:
        timings["reformulate"] = 0.0
        steps = []
        if self.method != "relaxation":      # the relaxation has its own derivatives (RelaxedNLP.dF_dz)
            start = time.perf_counter()
            progress.stage("Jacobian")
            jacobian = MCPJacobian(mcp)
            timings["reformulate"] = time.perf_counter() - start
            start = time.perf_counter()
            progress.stage("interior point")
            result = interior_point(mcp, jacobian, accept=_Acceptance(mcp, jacobian, self.tol, self.scaled_tol),
                                    log=progress.interior_log(self.print_iterations))
            timings["solve"] = time.perf_counter() - start
            progress.done(f"{result.status}, {result.iterations} iterations, MCP residual {result.residual:.1e}")
            steps.append(_interior_step(result))
            if result.converged or self.method == "interior":
                return Solution.build(problem, mcp, result.z, steps, timings, mode=mode, weights=weights, tol=self.tol,
                                      backend="interior point", scaled=scaled_residual(mcp, jacobian, result.z),
                                      scaled_tol=self.scaled_tol)
        start = time.perf_counter()
        progress.stage("reformulation")
        nlp = relax(mcp)
        timings["reformulate"] += time.perf_counter() - start
        accept = _Acceptance(mcp, nlp, self.tol, self.scaled_tol)
        watch = _NewtonWatch(mcp, nlp, accept) if self.polish and self.newton_from > 0 else None
        reported = progress.iteration_watch(watch, nlp.n_equations) if progress.watching() else watch
        engine = get_backend(self.backend)(nlp, _ipopt_options(mcp, self.options), watch=reported)
        start = time.perf_counter()
        more, z = _tighten_and_polish(mcp, nlp, engine, accept, self.eps_schedule, self.polish, self.newton_from,
                                      watch)
        timings["solve"] = timings.get("solve", 0.0) + time.perf_counter() - start
        return Solution.build(problem, mcp, z, steps + more, timings, mode=mode, weights=weights, tol=self.tol,
                              backend=engine.name, scaled=scaled_residual(mcp, nlp, z), scaled_tol=self.scaled_tol)


def _interior_step(result) -> dict:
    """The interior-point method as a row of ``solution.steps`` (its iterations in the iterations column)."""
    status = "converged, polished by Newton" if result.converged and result.polished else result.status
    return {"step": "interior point", "ipopt_status": f"interior: {status}", "iterations": result.iterations,
            "residual": result.residual, "seconds": result.seconds}


def _ipopt_options(mcp, options) -> dict:
    """The user's Ipopt options, plus ``nlp_scaling_method = none`` unless the MCP groups generalized-Nash rows.

    Ipopt's gradient-based scaling divides the relaxation's objective by its largest gradient entry, which at the
    start is the largest slack, ``F(z0)``: ``30 N`` for the cap of an N-firm Cournot game started at zero output.
    The adaptive barrier rule then picks ``mu = 1e-5`` at once, the first step shrinks like ``0.06 / N``, and from
    N of about 6,400 the line search fails and a restoration phase runs to the iteration limit (3,270
    iterations at N = 10,000 against 15 at N = 1,000). Unscaled, the count stays at 17-19 from N = 1,000 to
    100,000. In generalized Nash mode (rows shared by every agent's multiplier) the scaling still pays: without
    it the river game's iterations go from 27 to 52 at N = 1,000, so it is kept there.
    """
    out = dict(options or {})
    generalized_nash = "same_as" in mcp.pairs and bool((mcp.pairs["same_as"].to_numpy() != np.arange(mcp.size)).any())
    if not generalized_nash:
        out.setdefault("nlp_scaling_method", "none")
    return out


def scaled_residual(mcp, jacobian, z) -> tuple[float, int, float]:
    """The natural residual ``r`` in the units of ``F``: ``max_k |r_k| c_k`` with ``c_k = max(1, |dF/dz_k|_inf)``
    where ``r_k`` is a distance of ``z_k`` to a bound (the pair is at or past it), ``c_k = 1`` where ``r_k = F_k``
    (already in the units of F); (value, its pair, its ``c_k``).

    jacobian: has ``dF_dz(z)`` (:class:`~sharedeq.jacobian.MCPJacobian` or the relaxed NLP)."""
    if not mcp.size:
        return 0.0, -1, 1.0
    F = mcp.evaluate(z)
    r = mcp.natural_residual(z, F)
    if not np.all(np.isfinite(r)):
        return float("inf"), int(np.argmax(~np.isfinite(r))), float("inf")
    J = jacobian.dF_dz(z)
    column = np.maximum(1.0, np.asarray(abs(J).max(axis=0).todense()).ravel())
    column[np.isnan(column)] = np.inf          # an undefined derivative (sqrt at 0): no scale can be trusted
    # a pair strictly inside its bounds has r = F: scaling it again by its column (Fisher, 3,000 buyers: a demand of
    # 1.3e-4 with F = 5.7e-12 and a column of 2.6e6) rejected points that solve the MCP to 1e-11
    column[r == F] = 1.0
    scaled = np.zeros_like(r)                  # a pair that holds exactly needs no scale
    off = r != 0
    scaled[off] = np.abs(r[off]) * column[off]
    k = int(np.argmax(scaled))
    return float(scaled[k]), k, float(column[k])


def _small_enough(problem, mcp) -> bool:
    return mcp.size <= VERIFY_MAX_PAIRS and int(mcp.pairs["dense"].sum()) <= VERIFY_MAX_DENSE_ROWS and \
        max((len(a.variables) for a in problem.agents), default=0) <= VERIFY_MAX_AGENT_VARIABLES


class _Acceptance:
    """The test a point must pass to end the solve: MCP residual at most ``tol`` and scaled residual (in the units
    of F, :func:`scaled_residual`) at most ``scaled_tol``; the second is only computed when the first holds."""

    def __init__(self, mcp, jacobian, tol, scaled_tol):
        self.mcp, self.jacobian, self.tol, self.scaled_tol = mcp, jacobian, tol, scaled_tol

    def __call__(self, z, residual=None) -> bool:
        residual = _residual(self.mcp, z) if residual is None else residual
        return residual <= self.tol and scaled_residual(self.mcp, self.jacobian, z)[0] <= self.scaled_tol


class _NewtonWatch:
    """Called at every Ipopt iteration: once the relaxed equations hold to ``feasibility``, try the Newton polish
    (then every ``every`` iterations while it fails); stop Ipopt as soon as it solves the MCP.

    In generalized Nash mode this saves most of the iterations (the relaxed NLP is degenerate and Ipopt's last
    iterations are slow), and elsewhere it ends a stage as soon as its active set is the right one.
    """

    def __init__(self, mcp, nlp, accept: _Acceptance, feasibility=1e-6, every=5):
        self.mcp, self.nlp, self.accept, self.feasibility, self.every = mcp, nlp, accept, feasibility, every
        self.iteration, self.next_try, self.tries, self.found = 0, 0, 0, None

    def __call__(self, x, g) -> bool:
        self.iteration += 1
        if self.found is not None:
            return True
        if self.iteration < self.next_try or \
                np.max(np.abs(g[: self.nlp.n_equations]), initial=0.0) > self.feasibility:
            return False
        self.tries += 1
        newton = newton_polish(self.mcp, self.nlp, x, mcp_tol=self.accept.tol)
        if self.accept(newton.z, newton.mcp_residual):
            self.found = {**_newton_step(f"newton polish (during Ipopt iteration {self.iteration})", newton,
                                         newton.mcp_residual), "x": np.r_[newton.z, x[self.mcp.size:]]}
            return True
        self.next_try = self.iteration + self.every
        return False


def _tighten_and_polish(mcp, nlp, engine, accept: _Acceptance, eps_schedule, polish, newton_from, watch=None):
    """The relaxation ladder with Newton polishes, the Ipopt polish, then the semismooth fallback, each only while
    no point has passed ``accept``; returns the steps taken and the best point (smallest MCP residual)."""
    n = mcp.size
    x = nlp.start(mcp, mcp.z0)
    lam_x = lam_g = None
    steps = []
    best_x, best_res = x, _residual(mcp, x[:n])
    done = accept(best_x[:n], best_res)
    for eps in eps_schedule:
        if done:
            break
        stage = "relax" if lam_x is None else "warm"
        progress.stage(f"relax eps={eps:g}")
        raw = engine.solve(stage, x, nlp.lbx, nlp.ubx, eps, lam_x, lam_g)
        res = _residual(mcp, raw.x[:n])
        steps.append(_step(f"relax eps={eps:g}", raw, res))
        progress.done(f"{raw.status}, {raw.iterations} iterations, MCP residual {res:.1e}")
        if watch is not None and watch.found is not None:
            found = watch.found
            steps.append({k: v for k, v in found.items() if k != "x"})
            return steps, found["x"][:n]
        if np.isfinite(res):
            x, lam_x, lam_g = raw.x, raw.lam_x, raw.lam_g
            if res < best_res:
                best_x, best_res = raw.x, res
                done = accept(best_x[:n], best_res)
        if not done and polish and eps <= newton_from and np.isfinite(res):
            newton = newton_polish(mcp, nlp, raw.x, mcp_tol=accept.tol)
            res = newton.mcp_residual
            steps.append(_newton_step("newton polish (active set fixed)", newton, res))
            if res < best_res:
                best_x, best_res = np.r_[newton.z, raw.x[n:]], res
                done = accept(best_x[:n], best_res)
    if polish and not done:
        lbx, ubx = nlp.active_set_bounds(mcp, best_x)
        x0 = np.clip(best_x, lbx, ubx)
        progress.stage("polish (active set fixed)")
        raw = engine.solve("polish", x0, lbx, ubx, 1.0, None, None)
        res = _residual(mcp, raw.x[:n])
        steps.append(_step("polish (active set fixed)", raw, res))
        if res < best_res:
            best_x, best_res = raw.x, res
            done = accept(best_x[:n], best_res)
    best_z = best_x[:n]
    if not done:
        best_z = _semismooth_fallback(mcp, nlp, best_z, accept, steps)
    return steps, best_z


def _semismooth_fallback(mcp, nlp, z_best, accept: _Acceptance, steps):
    """Semismooth Newton on the Fischer-Burmeister equations (:mod:`sharedeq.semismooth`) from each of
    :func:`~sharedeq.semismooth.restart_points` until one solves the MCP; one row of ``steps`` per start.

    Its iterates may leave the bounds (the Fischer-Burmeister equations hold only at the solution), so each end
    point is projected onto them before it is judged."""
    best_res = _residual(mcp, z_best)
    for label, z0 in restart_points(mcp, z_best):
        progress.stage(f"semismooth Newton from the {label}")
        result = semismooth_newton(mcp, nlp, z0, accept.tol)
        z = np.clip(result.z, mcp.lb, mcp.ub)
        residual = _residual(mcp, z)
        steps.append({"step": f"semismooth Newton from the {label}", "ipopt_status": result.status,
                      "iterations": 0, "residual": residual, "seconds": result.seconds})
        if residual < best_res:
            z_best, best_res = z, residual
            if accept(z_best, best_res):
                break
    return z_best


def _residual(mcp, z) -> float:
    return natural_residual(mcp, z, mcp.evaluate(z))


def _newton_step(name, newton, residual) -> dict:
    """A Newton polish as a row of ``solution.steps`` (no Ipopt iterations; its status in the status column)."""
    return {"step": name, "ipopt_status": newton.status, "iterations": 0, "residual": residual,
            "seconds": newton.seconds}


def _step(name, raw, residual) -> dict:
    return {"step": name, "ipopt_status": raw.status, "iterations": raw.iterations, "residual": residual,
            "seconds": raw.seconds}
