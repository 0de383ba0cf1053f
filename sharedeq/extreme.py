"""Extreme equilibria: optimise a quantity over the set of equilibria, a mathematical program with equilibrium
constraints (MPEC).

In generalized Nash mode the equilibria form a set, and :func:`sharedeq.solve` returns one point of it. This
module answers "how far does it reach": for a Pyomo expression ``phi`` (a payoff, total welfare, one variable, a
price via :func:`multiplier`)

    max (or min)  phi(z)   s.t.   F(z) _|_ lb <= z <= ub         (every agent's KKT system, ``problem.mcp(mode)``)
                                  c_lo <= c(z) <= c_up           (side constraints: a bilevel leader's)

Two methods, tried in this order:

* **Global** (linear-quadratic problems with at most :data:`GLOBAL_MAX_PAIRS` complementarity pairs): ``F`` and
  ``c`` affine, ``phi`` quadratic. Branch and bound over the pairs: a node fixes some pairs to one side
  (``z_k`` at its bound, or ``F_k = 0``) and relaxes the rest (``z`` in its bounds, ``F`` of the right sign); on
  the affine set of the node's equations the relaxation is a QP, solved by HiGHS when its reduced Hessian is
  positive semidefinite, or by enumerating the vertices of its polyhedron when it is negative semidefinite (a
  concave objective: its minimum is at a vertex); either bounds the node. Otherwise the node is only checked for
  feasibility (an LP) and split. A relaxed solution that is complementary is feasible for the MPEC; every piece
  (all pairs fixed) is reached or pruned. When the search finishes within :data:`GLOBAL_MAX_NODES` nodes and the
  objective was convex or concave on every piece it reached, the value is the global extreme over the KKT
  points, which are the equilibria when every agent is convex (checked: the solution's status must be
  ``equilibrium``): ``extreme_scope = "global"``. An indefinite piece ends the search (scope "local").
* **Local** (anything else): Scholtes' regularisation, the relaxation of :mod:`sharedeq.reformulate` with the
  user's objective: ``min +-phi`` s.t. ``F(z) = s+ - s-``, ``(z - lb) s+ <= eps``, ``(ub - z) s- <= eps`` for
  ``eps = 1e-2 ... 1e-8`` (warm-started), then the active set is fixed and ``phi`` is optimised over that piece
  (an NLP with the piece's equations), then each pair that is at its bound with a zero function (biactive) is
  moved to its other piece while that improves ``phi`` (a local search over neighbouring pieces), then Newton's
  method cleans the point up. From ``starts`` points (the model's values, then seeded random points in the
  bounds); the best point that passes every check wins. The MPEC is nonconvex (complementarity constraints),
  so this is a local extreme: ``extreme_scope = "local"``.

Either way the answer is a :class:`ExtremeSolution`, the :class:`~sharedeq.solution.Solution` that
:func:`sharedeq.solve` builds (status, residuals, agent checks), plus ``extreme_value`` and ``extreme_scope``.
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from dataclasses import dataclass

import casadi as ca
import numpy as np
import pyomo.environ as pyo
import scipy.linalg
from pyomo.core.base.constraint import ConstraintData
from pyomo.core.base.objective import ObjectiveData
from pyomo.core.base.var import VarData

from sharedeq.backends.base import RawResult
from sharedeq.backends.casadi_ipopt import POLISH_OPTIONS, RELAX_OPTIONS, WARM_OPTIONS, run_nlpsol
from sharedeq.errors import ModelError
from sharedeq.kkt import build_mcp
from sharedeq.newton import newton_polish
from sharedeq.reformulate import relax
from sharedeq.solution import EQUILIBRIUM, NOT_AN_EQUILIBRIUM, NOT_CONVERGED, SCALED_TOL, STRENGTH, Solution
from sharedeq.solve import (
    VERIFY_MAX_AGENT_VARIABLES,
    VERIFY_MAX_CERTIFIED,
    VERIFY_MAX_DENSE_ROWS,
    VERIFY_MAX_PAIRS,
    scaled_residual,
)
from sharedeq.translate import Translator

#: The branch and bound is tried on linear-quadratic MPECs with at most this many complementarity pairs ...
GLOBAL_MAX_PAIRS = 60
#: ... and gives up (the local method takes over) after this many nodes.
GLOBAL_MAX_NODES = 4000
#: A node whose objective is concave on its piece is bounded by enumerating the vertices of its polytope, when
#: there are at most this many candidates (choices of constraint sides).
VERTEX_LIMIT = 20000
#: The relaxation parameters of the local method, each run warm-started from the last.
MPEC_EPS = (1e-2, 1e-4, 1e-6, 1e-8)
#: A complementarity pair counts as holding in the branch and bound when its natural residual is below this.
PAIR_TOL = 1e-9
#: Ipopt settings of the relaxation steps on top of the equilibrium solver's: the monotone barrier update takes
#: 97 iterations where the adaptive one takes 564 (river basin, N = 100, generalized Nash, max x[1]).
MPEC_OPTIONS = {"mu_strategy": "monotone"}
#: A piece's optimum counts only when it solves the MCP to this (Newton's method then takes it to ``tol``).
PIECE_TOL = 1e-6
SENSES = {"max": -1.0, "maximize": -1.0, pyo.maximize: -1.0, "min": 1.0, "minimize": 1.0, pyo.minimize: 1.0}


# ---------------------------------------------------------------------- naming a multiplier
@dataclass(frozen=True)
class _MultiplierRef:
    constraint: ConstraintData
    agent: str | None
    side: str | None


_MULTIPLIERS: dict[int, tuple[VarData, _MultiplierRef]] = {}


def multiplier(constraint, agent=None, side=None):
    """A constraint's multiplier, for use in the objective of :func:`extreme` (or a bilevel leader's).

    Returns a Pyomo variable that stands for the multiplier; combine it with the model's variables as usual
    (``extreme(problem, multiplier(m.cap, "p1"))``, ``price * m.x[1]``). Sign convention: that of
    :class:`~sharedeq.solution.Solution` (an active inequality has a nonnegative multiplier).

    agent: whose multiplier, for a constraint that several agents share in generalized Nash mode (each has its
        own); in variational mode agent ``i``'s multiplier is ``lam / r_i`` (Rosen weights), and without
        ``agent`` the common ``lam``.
    side: ``"<="`` or ``">="`` for a ranged constraint (it has one multiplier per side).
    """
    if not isinstance(constraint, ConstraintData):
        if isinstance(constraint, pyo.Constraint) and not constraint.is_indexed():
            constraint = constraint[None]
        else:
            raise ModelError(f"multiplier(): expected one Pyomo constraint (an element such as cons[1]), got "
                             f"{getattr(constraint, 'name', repr(constraint))}")
    if side not in (None, "<=", ">="):
        raise ModelError(f"multiplier({constraint.name}): side must be '<=' or '>=', got {side!r}")
    label = f"{constraint.name}.m" + (f"[{agent}]" if agent is not None else "") + (f"({side})" if side else "")
    var = pyo.Var(name=label)
    var.construct()
    _MULTIPLIERS[id(var)] = (var, _MultiplierRef(constraint, None if agent is None else str(agent), side))
    return var


# ---------------------------------------------------------------------- the answer
@dataclass
class ExtremeSolution(Solution):
    """A :class:`~sharedeq.solution.Solution` at an extreme equilibrium.

    ``extreme_value``: the objective at the point (in the user's sense); ``extreme_scope``: "global" (proven by
    the branch and bound, every agent convex) or "local"; ``extreme_method``: how it was found and what that
    guarantees, in words.
    """

    extreme_value: float = float("nan")
    extreme_scope: str = "local"
    extreme_method: str = ""
    extreme_sense: str = "max"

    def explanation(self) -> list[str]:
        lines = super().explanation()
        if self.status != NOT_CONVERGED:
            lines.insert(1, f"extreme ({self.extreme_sense}, {self.extreme_scope}): {self.extreme_value:.10g}; "
                            f"{self.extreme_method}")
        return lines

    def to_dict(self) -> dict:
        out = super().to_dict()
        out["extreme"] = {"value": self.extreme_value, "scope": self.extreme_scope, "sense": self.extreme_sense,
                          "method": self.extreme_method}
        return out


# ---------------------------------------------------------------------- the MPEC
@dataclass
class _MPEC:
    """``min sign * phi(z)  s.t.  F(z) _|_ lb <= z <= ub,  c_lo <= c(z) <= c_up`` with the relaxed NLP of the MCP."""

    mcp: object
    nlp: object
    phi: ca.SX
    sign: float
    side: ca.SX
    side_lo: np.ndarray
    side_up: np.ndarray

    def value(self, z) -> float:
        return float(ca.Function("phi", [self.mcp.z], [self.phi])(z))

    def side_violation(self, z) -> float:
        if not self.side.shape[0]:
            return 0.0
        c = np.asarray(ca.Function("c", [self.mcp.z], [self.side])(z)).ravel()
        return float(np.max(np.maximum(self.side_lo - c, c - self.side_up), initial=0.0))


def extreme(problem, objective, mode="gne", sense="max", starts=8, seed=0, *, weights=None, tol=1e-8,
            scaled_tol=SCALED_TOL, options=None, lift="auto", verify="auto", max_nodes=GLOBAL_MAX_NODES,
            constraints=()) -> ExtremeSolution:
    """The equilibrium of ``problem`` at which ``objective`` is largest (``sense="max"``) or smallest.

    objective: a Pyomo expression, variable, named Expression or Objective in the model's variables, the
        agents' objective variables, and multipliers named with :func:`multiplier`.
    mode, weights: which equilibria, as in :func:`sharedeq.solve` ("gne": the generalized Nash set; "ve": the
        variational equilibria; None: as declared).
    starts, seed: the local method's number of starts and the seed of their random points.
    tol, scaled_tol, options, lift, verify: as in :func:`sharedeq.solve` (``options`` go to Ipopt).
    max_nodes: the branch and bound's node limit before the local method takes over.
    constraints: side constraints on the point (Pyomo constraints in the same variables), such as a bilevel
        leader's.

    Returns an :class:`ExtremeSolution`; the module docstring gives the method and what "global" and "local"
    guarantee. Raises :class:`ModelError` when the objective is unbounded over a linear-quadratic problem's
    equilibria, or names something that is not in the problem.
    """
    if sense not in SENSES:
        raise ModelError(f"extreme(): sense must be 'max' or 'min', got {sense!r}")
    if not isinstance(starts, int) or starts < 1:
        raise ModelError(f"extreme(): starts must be a positive integer, got {starts!r}")
    sense_word = "max" if SENSES[sense] < 0 else "min"
    timings = {}
    begin = time.perf_counter()
    mcp = build_mcp(problem, mode=mode, weights=weights, lift=lift)
    timings["kkt"] = time.perf_counter() - begin
    begin = time.perf_counter()
    mpec = _mpec(problem, mcp, weights, mode, objective, SENSES[sense], constraints)
    timings["reformulate"] = time.perf_counter() - begin
    begin = time.perf_counter()
    steps, candidates, scope, method = [], [], "local", ""
    search = _branch_and_bound(mpec, max_nodes) if _is_linear_quadratic(mpec) else None
    if search is not None:
        steps.append({"step": "branch and bound over the complementarity pairs", "ipopt_status": search.status,
                      "iterations": 0, "residual": np.nan, "seconds": search.seconds})
        if search.status == "unbounded":
            raise ModelError(f"extreme(): the objective is unbounded {'above' if sense_word == 'max' else 'below'} "
                             f"over the equilibria of '{problem.name}' (mode {mode})")
        if search.status in ("optimal", "infeasible"):
            scope = "global"
            method = f"branch and bound over {search.nodes} nodes, the objective convex or concave on every piece"
            if search.z is not None:
                candidates.append(_refine(mpec, search.z, options, tol, steps))
    if scope != "global":
        method = (f"local: Scholtes relaxation, best of {starts} starts (seed {seed}); the MPEC is nonconvex, "
                  f"so another equilibrium may do better" +
                  ("" if search is None else f" (branch and bound: {search.status} after {search.nodes} nodes)"))
        found = _local_runs(mpec, starts, seed, options, tol, steps,
                            extra=None if search is None else search.z)
        candidates.extend(found)
    timings["solve"] = time.perf_counter() - begin
    solution = _best_verified(problem, mpec, candidates, steps, timings, mode, weights, tol, scaled_tol, verify)
    if scope == "global" and candidates and not solution.converged:       # HiGHS's point failed the checks
        scope = "local"
        method = (f"local: Scholtes relaxation from the branch and bound's point (which failed the checks) and "
                  f"{starts} starts (seed {seed}); the MPEC is nonconvex, so another equilibrium may do better")
        found = _local_runs(mpec, starts, seed, options, tol, steps, extra=search.z)
        timings["solve"] = time.perf_counter() - begin
        solution = _best_verified(problem, mpec, found, steps, timings, mode, weights, tol, scaled_tol, verify)
    solution.extreme_sense = sense_word
    if solution.converged:
        solution.extreme_value = mpec.value(solution.z)
        if scope == "global" and solution.status != EQUILIBRIUM:
            scope = "local"
            method += ("; some agent is not shown convex, so the search covered KKT points, which may include "
                       "points that are not equilibria")
    elif scope == "global" and not candidates:
        solution.message = (f"no equilibrium satisfies the side constraints (proven by branch and bound over "
                            f"{search.nodes} nodes)" if mpec.side.shape[0] else
                            f"the KKT system has no solution (proven by branch and bound over {search.nodes} nodes)")
    solution.extreme_scope, solution.extreme_method = scope, method
    return solution


# ---------------------------------------------------------------------- building the MPEC
def _mpec(problem, mcp, weights, mode, objective, sign, constraints) -> _MPEC:
    column = {id(v): k for k, v in enumerate(mcp.pyomo_vars) if v is not None}
    objective_vars = {id(var): f for var, f in mcp.outputs.get("objective_vars", {}).values()}
    rosen = problem.rosen_weights(weights) if weights is not None else {}

    def variable(var):
        k = column.get(id(var))
        if k is not None:
            return mcp.z[k]
        if id(var) in objective_vars:
            return objective_vars[id(var)]
        if id(var) in _MULTIPLIERS:
            return _multiplier_column(mcp, _MULTIPLIERS[id(var)][1], rosen, mode)
        if var.fixed:
            if var.value is None:
                raise ModelError(f"{var.name} is fixed but has no value ({context[0]})")
            return float(var.value)
        raise ModelError(f"{var.name} appears in {context[0]} but is not a variable of '{problem.name}' (no agent, "
                         f"pair or definition has it); fix it, or pick a variable of the problem")

    context = ["the objective of extreme()"]
    translate = Translator(variable, lambda expr, body: body)
    if isinstance(objective, ConstraintData | pyo.Constraint):
        raise ModelError(f"extreme(): {objective.name} is a constraint; for its multiplier pass "
                         f"sharedeq.extreme.multiplier({objective.name}, agent)")
    expr = objective.expr if isinstance(objective, ObjectiveData) else objective
    if isinstance(objective, pyo.Objective) and not objective.is_indexed():
        expr = objective.expr
    phi = translate(expr)
    if not isinstance(phi, ca.SX):
        raise ModelError(f"extreme(): the objective {objective} is a constant; it must depend on the problem's "
                         f"variables")
    rows, lo, up = [], [], []
    for con in _constraints(constraints):
        context[0] = f"side constraint {con.name}"
        body = translate(con.body)
        rows.append(ca.SX(body) if not isinstance(body, ca.SX) else body)
        lo.append(-np.inf if con.lb is None else float(con.lb))
        up.append(np.inf if con.ub is None else float(con.ub))
    side = ca.vertcat(*rows) if rows else ca.SX(0, 1)
    return _MPEC(mcp, relax(mcp), phi, sign, side, np.array(lo), np.array(up))


def _constraints(constraints) -> list[ConstraintData]:
    out = []
    items = [constraints] if isinstance(constraints, ConstraintData | pyo.Constraint) else list(constraints)
    for item in items:
        if isinstance(item, ConstraintData):
            out.append(item)
        elif isinstance(item, pyo.Constraint):
            out.extend(item.values())
        else:
            raise ModelError(f"side constraints: expected Pyomo constraints, got {getattr(item, 'name', item)!r}")
    return out


def _multiplier_column(mcp, ref: _MultiplierRef, rosen, mode):
    """The MCP column of ``ref``'s multiplier (divided by the agent's Rosen weight for a common multiplier)."""
    pairs = mcp.pairs
    rows = pairs[(pairs["kind"] == "multiplier") & (pairs["equation"] == ref.constraint.name)]
    if ref.side is not None:
        rows = rows[rows["side"] == ref.side]
    elif rows["side"].nunique() > 1:
        raise ModelError(f"{ref.constraint.name} is ranged: it has a multiplier per side; pass side='<=' or '>='")
    if rows.empty:
        raise ModelError(f"{ref.constraint.name} has no multiplier in this problem: it is not a constraint of any "
                         f"agent, nor shared")
    own = rows[rows["agent"] == ref.agent] if ref.agent is not None else rows[rows["agent"].isna()]
    if len(own) == 1:
        return mcp.z[int(own.index[0])]
    common = rows[rows["agent"].isna()]
    if ref.agent is not None and len(common) == 1:          # variational: agent i's multiplier is lam / r_i
        return mcp.z[int(common.index[0])] / rosen.get(ref.agent, 1.0)
    agents = sorted(str(a) for a in rows["agent"].dropna().unique())
    if ref.agent is None:
        if len(agents) == 1:
            return mcp.z[int(rows.index[0])]
        raise ModelError(f"{ref.constraint.name} has one multiplier per agent in mode {mode!r} (agents "
                         f"{agents}): pass agent=...")
    raise ModelError(f"{ref.constraint.name} has no multiplier of agent '{ref.agent}'; its agents are {agents}")


def _is_linear_quadratic(mpec: _MPEC) -> bool:
    """``F`` and the side constraints affine, ``phi`` quadratic, few enough complementarity pairs."""
    z = mpec.mcp.z
    if int(np.sum(_complementarity_pairs(mpec.mcp))) > GLOBAL_MAX_PAIRS:
        return False
    if ca.depends_on(ca.jacobian(mpec.mcp.F, z), z):
        return False
    if mpec.side.shape[0] and ca.depends_on(ca.jacobian(mpec.side, z), z):
        return False
    return not ca.depends_on(ca.hessian(mpec.phi, z)[0], z)


def _complementarity_pairs(mcp) -> np.ndarray:
    """Pairs with a finite bound below or above that is not also the other (the ones a piece must decide)."""
    return (np.isfinite(mcp.lb) | np.isfinite(mcp.ub)) & (mcp.lb < mcp.ub)


# ---------------------------------------------------------------------- global: branch and bound
@dataclass
class _Search:
    status: str          # optimal | infeasible | unbounded | node limit | nonconvex piece
    z: np.ndarray | None
    nodes: int
    seconds: float


LOWER, UPPER, INNER = 1, 2, 3


class _LinearQuadratic:
    """The MPEC's data as matrices: ``F = M z + q``, ``phi = 0.5 z'Hz + c'z + c0`` (times ``sign``), ``c(z) = A z
    + a``; and the QP of a node, solved by HiGHS through casadi's ``conic`` interface."""

    def __init__(self, mpec: _MPEC):
        mcp = mpec.mcp
        z, n = mcp.z, mcp.size
        zero = np.zeros(n)
        dense = lambda e, x: np.asarray(ca.Function("e", [z], [e])(x), dtype=float)  # noqa: E731
        self.M = dense(ca.jacobian(mcp.F, z), zero).reshape(n, n)
        self.q = dense(mcp.F, zero).ravel()
        objective = mpec.sign * mpec.phi
        self.H = dense(ca.hessian(objective, z)[0], zero).reshape(n, n)
        self.c = dense(ca.gradient(objective, z), zero).ravel()
        m = int(mpec.side.shape[0])
        self.A = dense(ca.jacobian(mpec.side, z), zero).reshape(m, n) if m else np.zeros((0, n))
        self.a = dense(mpec.side, zero).ravel() if m else np.zeros(0)
        self.side_lo, self.side_up = mpec.side_lo, mpec.side_up
        self.lb, self.ub = mcp.lb, mcp.ub
        self.n = n
        trivial = ~np.any(self.M, axis=1) & (self.q == 0)       # F identically 0: any z in the bounds holds
        self.decide = np.flatnonzero(_complementarity_pairs(mcp) & ~trivial)
        self.free = np.flatnonzero(~np.isfinite(mcp.lb) & ~np.isfinite(mcp.ub))
        self.fixed = np.flatnonzero(mcp.lb == mcp.ub)
        self._solvers = {}

    def node_rows(self, state):
        """Equalities ``E z = e`` and inequalities ``lo <= G z + g0 <= up`` of the node ``state`` (pair -> side)."""
        eq_rows, eq_rhs = [self.M[self.free]], [-self.q[self.free]]
        unit = np.eye(self.n)
        fixed = list(self.fixed) + [k for k, s in state.items() if s in (LOWER, UPPER)]
        if fixed:
            eq_rows.append(unit[fixed])
            eq_rhs.append(np.array([self.lb[k] if state.get(k) != UPPER else self.ub[k] for k in fixed]))
        inner = [k for k, s in state.items() if s == INNER]
        if inner:
            eq_rows.append(self.M[inner])
            eq_rhs.append(-self.q[inner])
        G, g0, lo, up = [unit, self.A], [np.zeros(self.n), self.a], [self.lb, self.side_lo], [self.ub, self.side_up]
        for k in self.decide:
            s = state.get(k, 0)
            finite_lb, finite_ub = np.isfinite(self.lb[k]), np.isfinite(self.ub[k])
            if s == LOWER or (s == 0 and finite_lb and not finite_ub):
                G.append(self.M[[k]]), g0.append(self.q[[k]]), lo.append([0.0]), up.append([np.inf])
            elif s == UPPER or (s == 0 and finite_ub and not finite_lb):
                G.append(self.M[[k]]), g0.append(self.q[[k]]), lo.append([-np.inf]), up.append([0.0])
        return (np.vstack(eq_rows), np.concatenate(eq_rhs), np.vstack(G), np.concatenate(g0),
                np.concatenate(lo), np.concatenate(up))

    def solve_node(self, state):
        """``(status, z, bound)`` of the node's relaxation: status 'ok', 'infeasible', 'unbounded' or 'nonconvex'
        (reduced Hessian indefinite: only feasibility was checked, ``bound = -inf``)."""
        E, e, G, g0, lo, up = self.node_rows(state)
        if E.shape[0]:
            z_p, *_ = np.linalg.lstsq(E, e, rcond=None)
            if np.max(np.abs(E @ z_p - e)) > 1e-9 * max(1.0, np.max(np.abs(e))):
                return "infeasible", None, np.inf
            N = scipy.linalg.null_space(E, rcond=1e-12)
        else:
            z_p, N = np.zeros(self.n), np.eye(self.n)
        H_r = N.T @ self.H @ N
        convex = not H_r.size or np.min(np.linalg.eigvalsh(H_r)) >= -1e-9 * max(1.0, np.max(np.abs(H_r)))
        g_r = N.T @ (self.H @ z_p + self.c)
        rows_const = G @ z_p + g0
        keep = np.isfinite(lo) | np.isfinite(up)
        A_r, lo_r, up_r = G[keep] @ N, (lo - rows_const)[keep], (up - rows_const)[keep]
        slack = 1e-9 * np.maximum(1.0, np.abs(lo_r))
        if N.shape[1] == 0:
            feasible = np.all(lo_r <= slack) and np.all(up_r >= -slack)
            return ("ok", z_p, self._objective(z_p)) if feasible else ("infeasible", None, np.inf)
        hessian = H_r if convex else np.zeros_like(H_r)
        linear = g_r if convex else np.zeros_like(g_r)
        status, w = self._qp(hessian, linear, A_r, lo_r, up_r)
        if status == "infeasible":
            return "infeasible", None, np.inf
        if not convex:
            concave = np.max(np.linalg.eigvalsh(H_r)) <= 1e-9 * max(1.0, np.max(np.abs(H_r)))
            w = self._concave_minimum(H_r, g_r, A_r, lo_r, up_r) if concave else None
            if w is None:
                return "nonconvex", None, -np.inf
            z = z_p + N @ w
            return "ok", z, self._objective(z)
        if status == "unbounded":
            return "unbounded", None, -np.inf
        z = z_p + N @ w
        return "ok", z, self._objective(z)

    def _concave_minimum(self, H, g, A, lo, up):
        """The minimiser of the concave ``f(w) = 0.5 w'Hw + g'w`` over the polyhedron ``P = {lo <= A w <= up}``,
        or None when it cannot be shown to be bounded or there are too many vertices to enumerate.

        ``f`` is bounded below on ``P`` when along every direction ``r`` of its recession cone ``H r = 0`` and
        ``g'r >= 0`` (checked by LPs on the cone within a unit box); then ``f`` is constant along the lineality
        space of ``P`` (the null space of ``A``), which is projected out, and the minimum is at a vertex: the best
        of every choice of constraint sides as equations whose solution satisfies the rest, at most
        :data:`VERTEX_LIMIT` choices."""
        d = H.shape[0]
        eigenvalues, vectors = np.linalg.eigh(H)
        curved = vectors[:, eigenvalues < -1e-9 * max(1.0, np.max(np.abs(eigenvalues)))]
        cone_lo = np.where(np.isfinite(lo), 0.0, -np.inf)
        cone_up = np.where(np.isfinite(up), 0.0, np.inf)
        cone = np.vstack([A, np.eye(d)])
        bounds_lo, bounds_up = np.r_[cone_lo, -np.ones(d)], np.r_[cone_up, np.ones(d)]
        for direction in [g, *curved.T, *(-curved.T)]:
            status, r = self._qp(np.zeros((d, d)), direction, cone, bounds_lo, bounds_up)
            if status != "ok" or direction @ r < -1e-9:
                return None
        Q = scipy.linalg.orth(A.T) if A.size else np.zeros((d, 0))      # the complement of the lineality space
        k = Q.shape[1]
        B = A @ Q
        sides = [(B[i], b) for i in range(B.shape[0]) for b in (lo[i], up[i]) if np.isfinite(b)]
        if k == 0 or math.comb(len(sides), k) > VERTEX_LIMIT:
            return None
        choices = np.array(list(itertools.combinations(range(len(sides)), k)), dtype=int)
        rows = np.array([row for row, _ in sides])[choices]                  # (choices, k, k), all at once
        rhs = np.array([b for _, b in sides])[choices]
        regular = np.linalg.cond(rows) < 1e12
        if not regular.any():
            return None
        W = np.linalg.solve(rows[regular], rhs[regular][..., None])[..., 0] @ Q.T
        AW = W @ A.T
        slack = 1e-9 * np.maximum(1.0, np.abs(np.where(np.isfinite(lo), lo, np.where(np.isfinite(up), up, 0.0))))
        feasible = np.all((AW >= lo - slack) & (AW <= up + slack), axis=1)
        if not feasible.any():
            return None
        W = W[feasible]
        values = 0.5 * np.einsum("ij,jk,ik->i", W, H, W) + W @ g
        return W[int(np.argmin(values))]

    def _objective(self, z) -> float:
        return float(0.5 * z @ self.H @ z + self.c @ z)

    def _qp(self, H, g, A, lo, up):
        n, m = H.shape[0], A.shape[0]
        key = (n, m)
        if key not in self._solvers:
            shape = {"h": ca.Sparsity.dense(n, n), "a": ca.Sparsity.dense(m, n)}
            self._solvers[key] = ca.conic("node", "highs", shape, {
                "error_on_fail": False, "print_time": False,
                "highs": {"output_flag": False, "primal_feasibility_tolerance": 1e-10,
                          "dual_feasibility_tolerance": 1e-10}})
        solver = self._solvers[key]
        lo, up = np.minimum(lo, up), np.maximum(lo, up)      # a slightly crossed pair: equal within rounding
        out = solver(h=ca.DM(H), g=ca.DM(g), a=ca.DM(A), lba=lo, uba=up, lbx=-np.inf, ubx=np.inf)
        status = solver.stats()["return_status"]
        if status == "Optimal":
            return "ok", np.asarray(out["x"]).ravel()
        return ("unbounded" if status == "Unbounded" else "infeasible"), None

    def violation(self, z) -> np.ndarray:
        """Each decided pair's natural residual ``|mid(z - ub, F, z - lb)|`` at ``z`` (0 where it holds)."""
        F = self.M @ z + self.q
        r = np.abs(np.clip(F, z - self.ub, z - self.lb))
        return r[self.decide]


def _branch_and_bound(mpec: _MPEC, max_nodes: int) -> _Search:
    """Best-first branch and bound over the complementarity pairs (see the module docstring)."""
    start = time.perf_counter()
    lq = _LinearQuadratic(mpec)
    counter = itertools.count()
    heap = [(-np.inf, next(counter), {})]
    best_z, best_value, nodes = None, np.inf, 0
    while heap:
        bound, _, state = heapq.heappop(heap)
        if bound >= best_value - 1e-9 * max(1.0, abs(best_value)):
            continue
        if nodes >= max_nodes:
            return _Search("node limit", best_z, nodes, time.perf_counter() - start)
        nodes += 1
        status, z, bound = lq.solve_node(state)
        if status == "infeasible" or bound >= best_value - 1e-9 * max(1.0, abs(best_value)):
            continue
        open_pairs = [k for k in lq.decide if k not in state]
        if status == "unbounded" and not open_pairs:
            return _Search("unbounded", None, nodes, time.perf_counter() - start)
        if status == "nonconvex" and not open_pairs:
            return _Search("nonconvex piece", best_z, nodes, time.perf_counter() - start)
        if status == "ok":
            violation = lq.violation(z)
            if not violation.size or violation.max() <= PAIR_TOL:
                best_z, best_value = z, bound
                continue
            k = int(lq.decide[int(np.argmax(violation))])
        else:
            k = int(open_pairs[0])
        sides = [s for s, finite in ((LOWER, np.isfinite(lq.lb[k])), (UPPER, np.isfinite(lq.ub[k]))) if finite]
        for s in [*sides, INNER]:
            heapq.heappush(heap, (bound, next(counter), {**state, k: s}))
    return _Search("optimal" if best_z is not None else "infeasible", best_z, nodes, time.perf_counter() - start)


# ---------------------------------------------------------------------- local: Scholtes relaxation
class _ScholtesNLP:
    """``min sign*phi(z)  s.t.  F(z) - s+ + s- = 0,  products <= eps,  c_lo <= c(z) <= c_up`` over ``x = [z; s]``,
    on the block-assembled derivatives of :func:`sharedeq.reformulate.relax` (rows that are identically zero,
    the ``0 = 0`` of a pair with ``F = 0`` and a free variable, are dropped)."""

    def __init__(self, mpec: _MPEC, options):
        nlp = mpec.nlp
        x, eps = nlp.x, nlp.eps
        g_all, jac_all = nlp.jac_g(x, eps)
        keep = [i for i in range(int(g_all.shape[0])) if not ca.SX(g_all[i]).is_zero()]
        self.n_equations = sum(1 for i in keep if i < nlp.n_equations)
        self.keep = keep
        z = x[: nlp.n_z]
        side = ca.substitute(mpec.side, mpec.mcp.z, z)
        g = ca.vertcat(g_all[keep], side)
        jac = ca.vertcat(jac_all[keep, :], ca.jacobian(side, x))
        f = mpec.sign * ca.substitute(mpec.phi, mpec.mcp.z, z)
        sigma = ca.SX.sym("lam_f")
        lam = ca.SX.sym("lam_g", g.shape[0])
        lam_full = ca.SX.zeros(int(g_all.shape[0]))
        lam_full[keep] = lam[: len(keep)]
        hess = nlp.hess_lag(x, eps, 0, lam_full) + ca.triu(ca.hessian(sigma * f + ca.dot(lam[len(keep):], side), x)[0])
        self.problem = {"x": x, "f": f, "g": g, "p": eps}
        self.functions = {"jac_g": ca.Function("mpec_jac_g", [x, eps], [g, jac], ["x", "p"], ["g", "jac_g_x"]),
                          "hess_lag": ca.Function("mpec_hess_l", [x, eps, sigma, lam], [hess],
                                                  ["x", "p", "lam_f", "lam_g"], ["hess_gamma_x_x"])}
        self.side_lo, self.side_up = mpec.side_lo, mpec.side_up
        self.n_products = len(keep) - self.n_equations
        self.user_options = dict(options or {})
        self._solvers = {}

    def solve(self, stage, x0, lbx, ubx, eps, lam_x=None, lam_g=None) -> RawResult:
        if stage not in self._solvers:
            base = {"relax": {**RELAX_OPTIONS, **MPEC_OPTIONS},
                    "warm": {**RELAX_OPTIONS, **WARM_OPTIONS, **MPEC_OPTIONS},
                    "piece": {**POLISH_OPTIONS, "tol": 1e-10, "max_iter": 500}}[stage]
            opts = {"ipopt": {**base, **self.user_options}, "print_time": False, "error_on_fail": False,
                    **self.functions}
            self._solvers[stage] = ca.nlpsol(f"mpec_{stage}", "ipopt", self.problem, opts)
        lbg = np.r_[np.zeros(self.n_equations), np.full(self.n_products, -np.inf), self.side_lo]
        ubg = np.r_[np.zeros(self.n_equations), np.full(self.n_products, eps), self.side_up]
        return run_nlpsol(self._solvers[stage], x0, lbx, ubx, lbg, ubg, eps, lam_x, lam_g)


def _start_points(mcp, starts, seed, extra):
    """The model's values, the branch and bound's best point (if any), then seeded random points in the bounds
    (a one-sided or free component within ``max(1, 2 |z0_k|)`` of its finite bound, or of zero; aggregates
    evaluated from the rest)."""
    z0 = np.clip(mcp.z0, mcp.lb, mcp.ub)
    width = np.maximum(1.0, 2 * np.abs(z0))
    low = np.where(np.isfinite(mcp.lb), mcp.lb, np.where(np.isfinite(mcp.ub), mcp.ub - width, -width / 2))
    high = np.where(np.isfinite(mcp.ub), mcp.ub, low + width)
    rng = np.random.default_rng(seed)
    points = [("initial point", z0)] + [(f"random point {k}", _consistent(mcp, rng.uniform(low, high)))
                                        for k in range(1, starts)]
    return points if extra is None else [points[0], ("branch and bound point", extra), *points[1:]]


def _consistent(mcp, z) -> np.ndarray:
    """``z`` with each aggregate (lifted or implicit column ``y``, whose pair is ``y - h(z) _|_ y free``) set to
    ``h(z)``: one pass per level of nesting."""
    lifted = np.asarray(mcp.lifted, dtype=int)
    for _ in range(lifted.size and lifted.size + 1):
        values = z[lifted] - mcp.evaluate(z)[lifted]
        values[~np.isfinite(values)] = 0.0        # defined through an aggregate not yet set: the next pass
        if np.array_equal(values, z[lifted]):
            break
        z[lifted] = values
    return z


def _local_runs(mpec: _MPEC, starts, seed, options, tol, steps, extra=None) -> list[np.ndarray]:
    """One Scholtes run per start; the points that solve the MCP and the side constraints to ``tol``."""
    solver = _ScholtesNLP(mpec, options)
    found = []
    for label, z0 in _start_points(mpec.mcp, starts, seed, extra):
        z = _local_run(mpec, solver, z0, tol, steps, label)
        if z is not None:
            found.append(z)
    return found


def _local_run(mpec: _MPEC, solver: _ScholtesNLP, z0, tol, steps, label):
    mcp, nlp = mpec.mcp, mpec.nlp
    x = nlp.start(mcp, z0)
    lam_x = lam_g = None
    for eps in MPEC_EPS:
        raw = solver.solve("relax" if lam_x is None else "warm", x, nlp.lbx, nlp.ubx, eps, lam_x, lam_g)
        steps.append(_row(f"MPEC relaxation eps={eps:g} from the {label}", raw, mcp))
        if not np.all(np.isfinite(raw.x)):
            return None
        x, lam_x, lam_g = raw.x, raw.lam_x, raw.lam_g
    lbx, ubx = nlp.active_set_bounds(mcp, x)
    x_piece, value, lam_x = _piece(mpec, solver, x, lbx, ubx, steps, label)
    if x_piece is not None:         # else (a derivative undefined on the piece, say) Newton from the relaxed point
        x = _neighbouring_pieces(mpec, solver, x_piece, lbx, ubx, value, lam_x, steps, label)
    z = x[: nlp.n_z]
    if _mcp_residual(mcp, z) > tol:
        newton = newton_polish(mcp, nlp, x, mcp_tol=tol)
        steps.append({"step": f"newton polish from the {label}", "ipopt_status": newton.status, "iterations": 0,
                      "residual": newton.mcp_residual, "seconds": newton.seconds})
        z = newton.z
    if _mcp_residual(mcp, z) > tol or mpec.side_violation(z) > tol:
        return None
    return z


def _piece(mpec, solver, x, lbx, ubx, steps, label):
    """Optimise over one piece, the active set fixed by the bounds ``lbx``, ``ubx``: ``(x, value, lam_x)``, or
    ``(None, inf, None)`` when Ipopt fails. ``lam_x`` are Ipopt's bound multipliers: a fixed component with
    ``lam_x > 0`` would lower the objective if it could increase, with ``lam_x < 0`` if it could decrease."""
    raw = solver.solve("piece", np.clip(x, lbx, ubx), lbx, ubx, 1.0)
    row = _row(f"piece (active set fixed) from the {label}", raw, mpec.mcp)
    steps.append(row)
    if raw.status not in ("Solve_Succeeded", "Solved_To_Acceptable_Level") or not row["residual"] <= PIECE_TOL:
        return None, np.inf, None
    return raw.x, mpec.sign * mpec.value(raw.x[: mpec.nlp.n_z]), raw.lam_x


def _neighbouring_pieces(mpec, solver, x, lbx, ubx, value, lam_x, steps, label, tries=10):
    """Move a biactive pair (``z_k`` at its bound and its slack zero) to its other piece where the first-order
    test says that helps (the fixed component's bound multiplier points off the bound), the most promising
    first, while the objective improves: a local search towards a point that is stationary over every piece
    meeting there (B-stationary). At most ``tries`` piece solves."""
    nlp, mcp = mpec.nlp, mpec.mcp
    for _ in range(tries):
        z = x[: nlp.n_z]
        moves = []
        for slack_index, bound, up in ((nlp.plus, mcp.lb, 1.0), (nlp.minus, mcp.ub, -1.0)):
            for k in np.flatnonzero(slack_index >= 0):
                s = slack_index[k]
                if abs(z[k] - bound[k]) > 1e-9 * max(1.0, abs(bound[k])) or abs(x[s]) > 1e-9:
                    continue
                fixed = k if lbx[k] == ubx[k] else s        # the component the piece holds at its bound
                gain = (up if fixed == k else 1.0) * lam_x[fixed]
                if gain > 1e-9 * max(1.0, abs(value)):
                    moves.append((gain, k, s, bound[k]))
        if not moves:
            break
        _, k, s, at = max(moves)
        lo, up_ = lbx.copy(), ubx.copy()
        if lo[k] == up_[k]:               # z_k fixed at its bound: free it, fix its slack at zero
            lo[k], up_[k], lo[s], up_[s] = nlp.lbx[k], nlp.ubx[k], 0.0, 0.0
        else:                             # slack fixed at zero: free it, fix z_k at its bound
            lo[k] = up_[k] = at
            lo[s], up_[s] = nlp.lbx[s], nlp.ubx[s]
        x_new, value_new, lam_new = _piece(mpec, solver, x, lo, up_, steps, label)
        if x_new is None or value_new >= value - 1e-9 * max(1.0, abs(value)):
            break
        x, lbx, ubx, value, lam_x = x_new, lo, up_, value_new, lam_new
    return x


def _refine(mpec: _MPEC, z, options, tol, steps) -> np.ndarray:
    """The branch and bound's point (accurate to HiGHS's tolerances) re-optimised over its piece by Ipopt; of the
    two, the better one that solves the MCP to ``tol`` (else the one with the smaller residual)."""
    nlp = mpec.nlp
    x = nlp.start(mpec.mcp, z)
    x[: nlp.n_z] = z
    lbx, ubx = nlp.active_set_bounds(mpec.mcp, x)
    refined, _, _ = _piece(mpec, _ScholtesNLP(mpec, options), x, lbx, ubx, steps, "branch and bound point")
    points = [z] if refined is None else [z, refined[: nlp.n_z]]
    passing = [p for p in points if _mcp_residual(mpec.mcp, p) <= tol and mpec.side_violation(p) <= tol]
    if passing:
        return min(passing, key=lambda p: mpec.sign * mpec.value(p))
    return min(points, key=lambda p: _mcp_residual(mpec.mcp, p))


def _mcp_residual(mcp, z) -> float:
    r = mcp.natural_residual(z)
    return float(np.max(np.abs(r))) if r.size else 0.0


def _row(name, raw, mcp) -> dict:
    x = raw.x
    return {"step": name, "ipopt_status": raw.status, "iterations": raw.iterations,
            "residual": _mcp_residual(mcp, x[: mcp.size]) if np.all(np.isfinite(x)) else np.inf,
            "seconds": raw.seconds}


# ---------------------------------------------------------------------- the answer
def _best_verified(problem, mpec, candidates, steps, timings, mode, weights, tol, scaled_tol, verify):
    """The best candidate that passes every check :func:`sharedeq.solve` applies (a candidate where some agent is
    shown not to be at a best response is passed over); the initial point, not converged, if none does."""
    mcp, nlp = mpec.mcp, mpec.nlp
    order = sorted(candidates, key=lambda z: mpec.sign * mpec.value(z))
    fallback = None
    for z in order or [np.clip(mcp.z0, mcp.lb, mcp.ub)]:
        solution = ExtremeSolution.build(problem, mcp, z, steps, timings, mode, weights, tol, "casadi",
                                         scaled=scaled_residual(mcp, nlp, z), scaled_tol=scaled_tol)
        if solution.converged and mpec.side_violation(z) > tol:
            solution.converged = False
            solution.message = f"side constraints violated by {mpec.side_violation(z):.2e} > tol {tol:g}"
            solution._judge()
        if solution.converged and (verify is True or verify == "auto" and _small_enough(problem, mcp)):
            begin = time.perf_counter()
            solution.verify(max_certified=None if verify is True else VERIFY_MAX_CERTIFIED)
            solution.timings["verify"] = time.perf_counter() - begin
        if solution.converged and solution.status != NOT_AN_EQUILIBRIUM:
            return solution
        if fallback is None or STRENGTH.index(solution.status) < STRENGTH.index(fallback.status):
            fallback = solution
    return fallback


def _small_enough(problem, mcp) -> bool:
    return mcp.size <= VERIFY_MAX_PAIRS and int(mcp.pairs["dense"].sum()) <= VERIFY_MAX_DENSE_ROWS and \
        max((len(a.variables) for a in problem.agents), default=0) <= VERIFY_MAX_AGENT_VARIABLES
