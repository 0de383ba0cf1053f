"""Checks of a solution that do not trust the pipeline that produced it.

* :func:`kkt_check` re-derives each agent's KKT conditions from the Pyomo model itself, with Pyomo's own
  reverse-mode differentiation (not casadi, no lifted aggregates), and evaluates them at the solution with the
  reported multipliers.
* :func:`best_response_check` fixes the other agents at the solution and re-solves each agent's own problem
  with Ipopt from several starting points; the gain ``f_i(x*) - min f_i(., x*_{-i})`` must be about zero.
  For convex agents this certifies a Nash equilibrium; for nonconvex ones it is evidence, not proof.
* :func:`second_order_check` is the cheap middle ground: the curvature of each agent's Lagrangian on the
  tangent space of its active constraints, which tells a local minimum from a saddle or maximum that satisfies
  the KKT conditions just as well (a maximiser with a convex objective, say).
"""

from __future__ import annotations

import casadi as ca
import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.common.collections import ComponentMap
from pyomo.core.base.objective import ObjectiveData
from pyomo.core.base.var import VarData
from pyomo.core.expr.calculus.diff_with_pyomo import _diff_map, _LeafToRootVisitor
from pyomo.core.expr.visitor import nonpyomo_leaf_types
from scipy import linalg, sparse
from scipy.sparse.linalg import inv

from sharedeq.errors import ModelError
from sharedeq.translate import Translator


class _Gradient:
    """``d expr / d var`` for one expression: local entries plus ``d expr / d e`` times the gradient of each named
    Expression ``e`` inside (kept unexpanded, so reading one variable's entry costs O(number of such ``e``))."""

    def __init__(self, local: dict[int, float], chained: list):
        self.local = local
        self.chained = chained

    def get(self, var) -> float:
        return self.local.get(id(var), 0.0) + sum(d * g.get(var) for d, g in self.chained)


class _Gradients:
    """Reverse-mode gradients with Pyomo's own differentiation, each named Expression differentiated once.

    ``grad(expr)`` returns the gradient of ``expr`` over all variables. A named Expression met inside ``expr``
    is a leaf whose gradient (computed once, cached) enters by the chain rule, so N objectives that share an
    aggregate cost O(N + size of the aggregate), not O(N^2).
    """

    def __init__(self):
        self.named: dict[int, tuple[float, _Gradient]] = {}

    def grad(self, expr) -> _Gradient:
        if isinstance(expr, VarData):
            return _Gradient({id(expr): 1.0}, [])
        if not hasattr(expr, "is_expression_type") or not expr.is_expression_type():
            return _Gradient({}, [])
        if expr.is_named_expression_type():
            return self._named(expr)[1]
        der = ComponentMap()
        leaves = []
        visitor = _NamedLeafVisitor(ComponentMap(), der, [], self, leaves)
        visitor.dfs_postorder_stack(expr)
        der[expr] = 1.0
        for node in reversed(visitor.expr_list):
            if node.__class__ in _diff_map:
                _diff_map[node.__class__](node, visitor.val_dict, der)
            else:
                raise ModelError(f"kkt_check cannot differentiate {type(node).__name__} in {expr}")
        local = {id(v): float(d) for v, d in der.items() if isinstance(v, VarData)}
        return _Gradient(local, [(float(der[e]), self._named(e)[1]) for e in leaves if der[e]])

    def _named(self, expr) -> tuple[float, _Gradient]:
        """Value and gradient of a named Expression (cached)."""
        if id(expr) not in self.named:
            self.named[id(expr)] = (pyo.value(expr), self.grad(expr.expr))
        return self.named[id(expr)]


class _NamedLeafVisitor(_LeafToRootVisitor):
    """Pyomo's reverse-mode value pass, stopping at named Expressions (their values come from the cache)."""

    def __init__(self, val_dict, der_dict, expr_list, gradients, leaves):
        super().__init__(val_dict, der_dict, expr_list)
        self.gradients = gradients
        self.leaves = leaves

    def visiting_potential_leaf(self, node):
        if node.__class__ not in nonpyomo_leaf_types and node.is_named_expression_type() and node not in self.val_dict:
            self.val_dict[node] = self.gradients._named(node)[0]
            self.der_dict[node] = 0.0
            self.leaves.append(node)
            return True, self.val_dict[node]
        return super().visiting_potential_leaf(node)


def _restrict(grad: _Gradient, own) -> np.ndarray:
    return np.array([grad.get(v) for v in own])


def _implicit_gradients(problem, gradients):
    """For implicit variables y defined by c(y, x) = 0: y and the gradient map of c (used as dy/dx = -c_x / c_y)."""
    return [(var, gradients.grad(con.body)) for var, con in problem.implicit]


def _total_grad(grad: _Gradient, own, implicit) -> np.ndarray:
    """``d expr / d x_own`` with implicit variables eliminated: ``g_x + sum_y g_y * (-c_x / c_y)``."""
    out = _restrict(grad, own)
    for var, c in implicit:
        g_y = grad.get(var)
        if g_y:
            out -= g_y * _restrict(c, own) / c.get(var)
    return out


def _objective_gradient(agent, own, implicit, gradients):
    """The objective's gradient over ``own``; a GAMS objective variable through its defining equality."""
    obj = agent.objective
    objdef = agent.objective_definition()
    if objdef is not None:
        g = gradients.grad(objdef.body)
        return -_restrict(g, own) / g.get(obj), objdef
    expr = obj.expr if isinstance(obj, ObjectiveData) else obj
    return _total_grad(gradients.grad(expr), own, implicit), None


def _multiplier_index(table, dual_vars) -> dict:
    """``(constraint name, agent or '(shared)') -> [(side, multiplier)]``; dualvar constraints keyed by id."""
    index: dict = {}
    for row in table.itertuples():
        index.setdefault((row.constraint, row.agent), []).append((row.side, float(row.multiplier)))
    for con_id, var in dual_vars.items():
        con = var[1]
        side = "==" if con.equality else ("<=" if con.ub is not None else ">=")
        index[con_id] = [(side, float(var[0].value))]
    return index


def _multipliers(index, con, owner, name):
    found = index.get(id(con)) or index.get((name, owner))
    if not found:
        raise ModelError(f"the solution has no multiplier for {con.name} of agent '{owner}'")
    return found


def kkt_check(problem, solution) -> pd.DataFrame:
    """Each agent's KKT residuals (stationarity, complementarity, feasibility), re-derived with Pyomo.

    Cost O(size of the model): every shared constraint and named Expression is evaluated and differentiated
    once, then each agent reads the entries of its own variables.
    """
    solution.load()
    weights = problem.rosen_weights(solution.weights)
    variational = problem.treatment(solution.mode)
    index = _multiplier_index(solution.multipliers, {id(con): (var, con) for var, con in problem.dualvars})
    gradients = _Gradients()
    implicit = _implicit_gradients(problem, gradients)
    shared = {id(s.constraint): (s.constraint.name, pyo.value(s.constraint.body), gradients.grad(s.constraint.body))
              for s in problem.shared}
    shared_of: dict[str, list] = {}
    for s in problem.shared:
        for name in s.agents:
            shared_of.setdefault(name, []).append(s.constraint)
    rows = []
    for agent in problem.agents:
        objective_var = agent.objective if agent.objective_definition() is not None else None
        own = [v for v in agent.variables if not v.fixed and v is not objective_var]
        grad, objdef = _objective_gradient(agent, own, implicit, gradients)
        stat = (-grad if agent.sense == "max" else grad).copy()
        comp = feas = 0.0
        constraints = [(c, agent.name, 1.0, None) for c in agent.constraints if c is not objdef]
        for con in shared_of.get(agent.name, ()):
            shared_v = variational[id(con)]
            constraints.append((con, "(shared)" if shared_v else agent.name,
                                1.0 / weights[agent.name] if shared_v else 1.0, shared[id(con)]))
        for con, owner, scale, evaluated in constraints:
            name, body, g = evaluated or (con.name, pyo.value(con.body), gradients.grad(con.body))
            g = _total_grad(g, own, implicit)
            for side, mult in _multipliers(index, con, owner, name):
                coef = -1.0 if side == ">=" else 1.0
                stat += coef * scale * mult * g
                if side in ("<=", ">="):
                    slack = body - con.lb if side == ">=" else con.ub - body
                    comp = max(comp, min(abs(mult), abs(slack)), max(-mult, 0.0))
                    feas = max(feas, -slack)
                else:
                    feas = max(feas, abs(body - con.ub))
        x = np.array([v.value for v in own])
        lo = np.array([-np.inf if v.lb is None else v.lb for v in own])
        hi = np.array([np.inf if v.ub is None else v.ub for v in own])
        natural = np.abs(np.clip(stat, x - hi, x - lo))
        rows.append({"agent": agent.name, "stationarity": float(natural.max(initial=0.0)),
                     "complementarity": comp, "feasibility": max(feas, 0.0)})
    return pd.DataFrame(rows, columns=["agent", "stationarity", "complementarity", "feasibility"]).set_index("agent")


LOCAL_MIN = "local min (positive definite)"
DEGENERATE = "degenerate (semidefinite, e.g. LP)"
SADDLE = "saddle/maximum: not a best response"
UNDECIDED = "undecided (too many weakly active constraints to search the critical cone)"
UNDEFINED = "undecided (a second derivative is not finite at the point)"


def second_order_check(problem, solution, tol=1e-6) -> pd.DataFrame:
    """Each agent's curvature at the solution: is it a local minimum of its own problem, or only a KKT point?

    ``H_i`` is the Hessian of agent ``i``'s Lagrangian (objective in minimisation form plus its multipliers, in
    the solve's mode and Rosen weights, times its constraints) over its own variables, total through aggregates
    and implicit variables. It is the derivative of the agent's stationarity rows of the MCP (the first-order
    conditions that :func:`kkt_check` re-derives), ``d/dx (F_S + F_Sy dy/dx)`` with ``dy/dx = -R_y^-1 R_x``
    from the definition rows ``R``. ``Z`` spans the null space of the gradients of the strongly active
    constraints (multiplier > tol) and fixes the strongly active bounds; the smallest eigenvalue ``e`` of
    ``Z' H_i Z`` decides: ``e > tol s`` local min (``s = max(1, |H_i|_max)``); otherwise the critical cone, which
    also keeps the weakly active constraints from being violated, is searched (:func:`_curvature`): negative
    curvature on it is a saddle or maximum (with the improving direction in ``direction``), none is a local min or
    degenerate (``move``: the direction as ``{MCP column: component}``). ``hessian_min_eigenvalue``: the smallest
    eigenvalue of ``H_i / s`` on the directions the agent's equalities leave free, which decides convexity when
    the agent's rows are affine (:func:`quadratic_agents`). Cost: one sparse Jacobian of the MCP (as
    for the solve) and one dense eigenproblem per agent of its own size: O(nnz + sum_i n_i^3).
    """
    mcp, z, F = solution.mcp, np.asarray(solution.z, float), np.asarray(solution.F, float)
    pairs = mcp.pairs
    kind = pairs["kind"].to_numpy()
    agent_col = pairs["agent"].to_numpy()
    side = pairs["side"].to_numpy()
    J = _mcp_jacobian(mcp, z, np.flatnonzero(kind != "vi"))
    defs = np.flatnonzero(kind == "definition")
    dy = sparse.csc_matrix((0, mcp.size))
    if defs.size:
        J_def = J[defs].tocsc()
        dy = -(sparse.csc_matrix(inv(J_def[:, defs].tocsc()).reshape(defs.size, defs.size)) @ J_def)
    blocks = _AgentBlocks(J, defs, dy)
    equation = pairs["equation"].to_numpy()
    columns: dict[str, list[int]] = {}
    multipliers: dict[str, list[int]] = {}
    unowned: dict[str, list[int]] = {}
    for k, (kd, who) in enumerate(zip(kind, agent_col, strict=True)):
        if kd == "stationarity":
            columns.setdefault(who, []).append(k)
        elif kd == "multiplier" and isinstance(who, str):
            multipliers.setdefault(who, []).append(k)
        elif kd == "multiplier":
            unowned.setdefault(equation[k], []).append(k)
    shared_of: dict[str, list] = {}
    for s in problem.shared:
        name_of_constraint = s.constraint.name      # Pyomo builds names on each call: once per constraint
        for name in s.agents:
            shared_of.setdefault(name, []).append(name_of_constraint)
    rows = []
    for agent in problem.agents:
        own = np.array(columns.get(agent.name, []), dtype=int)
        names = [c.name for c in agent.constraints] + shared_of.get(agent.name, [])
        cons = np.array(multipliers.get(agent.name, []) + [k for n in names for k in unowned.get(n, [])], dtype=int)
        block = blocks(np.r_[own, cons], own)
        row = _curvature(block[: own.size], block[own.size:], z[own], F[own], mcp.lb[own], mcp.ub[own], z[cons],
                         F[cons], side[cons], tol)
        d = row["direction"]
        row["move"] = None if d is None else dict(zip(own.tolist(), (d / np.abs(d).max()).tolist(), strict=True))
        row["direction"] = _describe_direction(d, pairs["variable"].to_numpy()[own])
        rows.append({"agent": agent.name, **row})
    columns = ["agent", "variables", "active", "free_dimension", "min_eigenvalue", "verdict", "direction", "move",
               "hessian_min_eigenvalue"]
    return pd.DataFrame(rows, columns=columns).set_index("agent")


def quadratic_agents(mcp) -> set[str]:
    """Agents whose KKT rows are affine in every agent's variables and the lifted aggregates (taken together).

    Then each such agent's objective is quadratic and its constraints affine in its own variables (through the
    aggregates, whose definitions are affine too), so the Hessian block of :func:`second_order_check` is the same
    at every point and decides convexity exactly. One sparsity-based test of second-order dependence for the whole
    MCP (``casadi.which_depends``), O(size of F); conservative: a row nonlinear in two agents' variables at once
    flags both (their certificates then decide).
    """
    kind = mcp.pairs["kind"].to_numpy()
    variables = np.flatnonzero((kind == "stationarity") | (kind == "definition"))
    rows = np.flatnonzero(kind != "vi")
    if not variables.size or not rows.size:
        return set()
    nonlinear = np.array(ca.which_depends(mcp.F[rows.tolist()], mcp.z[variables.tolist()], 2, False), dtype=bool)
    if nonlinear[kind[variables] == "definition"].any():
        return set()
    agent = mcp.pairs["agent"].to_numpy()[variables]
    flagged = set(agent[nonlinear])
    return {a for a in set(agent[kind[variables] == "stationarity"]) if a not in flagged}


def _describe_direction(d, names, terms=4) -> str:
    """An improving direction in the user's names, largest components first: ``"x[1] -1, x[2] +0.25"``."""
    if d is None:
        return ""
    d = d / np.abs(d).max()
    order = [k for k in np.argsort(-np.abs(d)) if abs(d[k]) > 1e-6][:terms]
    more = ", ..." if np.count_nonzero(np.abs(d) > 1e-6) > terms else ""
    return ", ".join(f"{names[k]} {d[k]:+.3g}" for k in order) + more


class _AgentBlocks:
    """``B = J[rows, cols] + J[rows, defs] dy[:, cols]`` for one agent, with O(its nonzeros) numpy work."""

    def __init__(self, J, defs, dy):
        self.J = J.tocsc()
        self.J_y = J.tocsr()[:, defs].tocsr()
        self.dy = dy.tocsc()
        self.where = np.full(J.shape[0], -1)
        self.def_pos = np.full(len(defs), -1)

    def __call__(self, rows, cols) -> np.ndarray:
        block = np.zeros((rows.size, cols.size))
        if not cols.size:
            return block
        self.where[rows] = np.arange(rows.size)
        j, r, v = _gather(self.J, cols)
        i = self.where[r]
        block[i[i >= 0], j[i >= 0]] += v[i >= 0]
        j, d, w = _gather(self.dy, cols)
        if d.size:
            used = np.unique(d)
            self.def_pos[used] = np.arange(used.size)
            Y = np.zeros((used.size, cols.size))
            np.add.at(Y, (self.def_pos[d], j), w)
            i, d, v = _gather(self.J_y, rows)
            keep = self.def_pos[d] >= 0
            A = np.zeros((rows.size, used.size))
            np.add.at(A, (i[keep], self.def_pos[d[keep]]), v[keep])
            block += A @ Y
            self.def_pos[used] = -1
        self.where[rows] = -1
        return block


def _gather(mat, major):
    """Entries of the rows (CSR) or columns (CSC) ``major`` of ``mat``: (position in ``major``, minor, value)."""
    start = mat.indptr[major]
    count = mat.indptr[major + 1] - start
    position = np.repeat(np.arange(major.size), count)
    k = np.repeat(start - np.cumsum(count) + count, count) + np.arange(count.sum())
    return position, mat.indices[k], mat.data[k]


def _mcp_jacobian(mcp, z, rows):
    """``dF/dz`` at ``z`` (rows ``rows``, others zero) as scipy CSR, dense rows in reverse mode as in the solve."""
    dense = mcp.pairs["dense"].to_numpy()[rows]
    blocks, order = [], []
    for part in (rows[~dense], rows[dense]):
        if part.size:
            jac = ca.Function("second_order_jac", [mcp.z], [ca.jacobian(mcp.F[part.tolist()], mcp.z)])(z)
            colind, row = jac.sparsity().get_ccs()
            blocks.append(sparse.csc_matrix((np.array(jac.nonzeros()), row, colind), shape=jac.shape))
            order.append(part)
    J = sparse.vstack(blocks).tocsr() if blocks else sparse.csr_matrix((0, mcp.size))
    perm = sparse.csr_matrix((np.ones(len(rows)), (np.concatenate(order) if order else rows, np.arange(len(rows)))),
                             shape=(mcp.size, len(rows)))
    return (perm @ J).tocsr()


def _curvature(H, A, x, marginal, lb, ub, mult, slack, side, tol) -> dict:
    """Second-order conditions of one agent at a KKT point, on its critical cone.

    ``H``: the Hessian of its Lagrangian; ``A``: the derivatives of its constraints' slacks ``F`` (``F >= 0`` for
    an inequality, ``F = 0`` for an equality), so a feasible direction ``d`` has ``A_k d >= 0`` on an active
    inequality. The critical cone ``C`` holds the directions that keep the strongly active constraints and bounds
    (positive multiplier or marginal) and the equalities at zero and do not leave the weakly active ones (active,
    zero multiplier). ``d' H d < 0`` for some ``d`` in ``C`` means the point is not a local minimum of the agent's
    problem (second-order necessary conditions fail: moving along ``d`` lowers the objective); ``d' H d > 0`` on
    ``C \\ {0}`` makes it a strict local minimum (sufficient conditions). With ``w`` weakly active rows, ``C`` is
    searched face by face (:func:`_cone_curvature`, ``2^w`` faces, ``w <= MAX_WEAK``); beyond that the verdict is
    undecided.
    """
    if not (np.all(np.isfinite(H)) and np.all(np.isfinite(A))):
        return {"variables": len(x), "active": 0, "free_dimension": 0, "min_eigenvalue": float("nan"),
                "direction": None, "hessian_min_eigenvalue": float("nan"), "verdict": UNDEFINED}
    H = 0.5 * (H + H.T)
    scale = max(1.0, float(np.abs(H).max(initial=0.0)))
    equality = side == "=="
    active = equality | (slack <= tol)
    strong = equality | (mult > tol)
    at_lb, at_ub = x - lb <= tol, ub - x <= tol
    fixed = (lb == ub) | (at_lb & (marginal > tol)) | (at_ub & (marginal < -tol))
    low, dim = _reduced_min_eig(H, A[strong], fixed)
    convex_low, _ = _reduced_min_eig(H, A[equality], lb == ub)
    out = {"variables": len(x), "active": int(strong.sum() + fixed.sum()), "free_dimension": dim,
           "min_eigenvalue": low, "direction": None, "hessian_min_eigenvalue": convex_low / scale}
    if dim == 0 or low > tol * scale:
        return {**out, "verdict": LOCAL_MIN}
    weak_rows = A[active & ~strong]
    lower, upper = at_lb & ~fixed, at_ub & ~fixed
    eye = np.eye(len(x))
    weak = np.vstack([weak_rows, eye[lower], -eye[upper]])
    if weak.shape[0] > MAX_WEAK:
        verdict = DEGENERATE if low >= -tol * scale else UNDECIDED
        return {**out, "verdict": verdict}
    cone_low, direction = _cone_curvature(H, A[strong], fixed, weak, tol * scale)
    if cone_low < -tol * scale:
        return {**out, "min_eigenvalue": cone_low, "verdict": SADDLE, "direction": direction}
    return {**out, "min_eigenvalue": cone_low, "verdict": LOCAL_MIN if cone_low > tol * scale else DEGENERATE}


#: The most weakly active constraints and bounds whose faces the critical-cone search enumerates (2^MAX_WEAK).
MAX_WEAK = 10


def _cone_curvature(H, A_strong, fixed, weak, tol) -> tuple[float, np.ndarray | None]:
    """``min d' H d`` over unit ``d`` in the cone ``{A_strong d = 0, d_fixed = 0, weak d >= 0}``, face by face.

    The minimiser lies in the relative interior of some face (a subset ``S`` of the weak rows held at zero) and is
    an eigenvector of ``H`` reduced to that face; so each face's eigenvectors that satisfy the other weak rows are
    the candidates. Returns the smallest value found and its direction (None when it is not negative).
    """
    free = np.flatnonzero(~fixed)
    best, direction = np.inf, None
    n_weak = weak.shape[0]
    for mask in range(1 << n_weak):
        held = np.array([(mask >> j) & 1 for j in range(n_weak)], dtype=bool)
        rows = np.vstack([A_strong, weak[held]])[:, free]
        Z = linalg.null_space(rows, rcond=1e-10) if rows.shape[0] else np.eye(free.size)
        if Z.shape[1] == 0:
            continue
        values, vectors = linalg.eigh(Z.T @ H[np.ix_(free, free)] @ Z)
        for value, v in zip(values, vectors.T, strict=True):
            if value >= best:
                break
            d = np.zeros(H.shape[0])
            d[free] = Z @ v
            for candidate in (d, -d):
                if np.all(weak[~held] @ candidate >= -1e-9):
                    best, direction = float(value), candidate
                    break
    return best, (direction if best < -tol else None)


def _reduced_min_eig(H, A, fixed) -> tuple[float, int]:
    """``min eig(Z' H Z)`` with ``Z`` a basis of ``{d : A d = 0, d_k = 0 for fixed k}``; NaN when ``Z`` is empty."""
    free = np.flatnonzero(~fixed)
    if free.size == 1:          # one free variable (most agents of large games): no factorisation needed
        if np.any(A[:, free] != 0):
            return float("nan"), 0
        return float(H[free[0], free[0]]), 1
    Z = linalg.null_space(A[:, free], rcond=1e-10) if A.shape[0] else np.eye(free.size)
    if Z.shape[1] == 0:
        return float("nan"), 0
    reduced = Z.T @ H[np.ix_(free, free)] @ Z
    return float(linalg.eigvalsh(reduced, subset_by_index=[0, 0])[0]), int(Z.shape[1])


def best_response_check(problem, solution, agents=None, starts=3, seed=0, options=None) -> pd.DataFrame:
    """Re-solve each agent's problem with the others fixed at ``solution``; report the possible gain.

    Columns: objective at the solution, best objective found, gain (improvement in the agent's own sense,
    ~0 at an equilibrium), the Ipopt status of the best start. ``agents`` limits the check to some agents. A
    problem without agents (complementarity pairs only) gives an empty table.
    """
    solution.load()
    rng = np.random.default_rng(seed)
    rows = []
    names = problem.agent_names if agents is None else [str(a) for a in agents]
    for name in names:
        agent = problem.agent(name)
        rows.append(_best_response(problem, solution, agent, starts, rng, options or {}))
    columns = ["agent", "objective", "best_response", "gain", "status"]
    return pd.DataFrame(rows, columns=columns).set_index("agent")


def _best_response(problem, solution, agent, starts, rng, options):
    own = [v for v in agent.variables if not v.fixed]
    if isinstance(agent.objective, VarData) and not any(v is agent.objective for v in own):
        own.append(agent.objective)
    own += [var for var, _ in problem.implicit if not var.fixed]
    syms = {id(v): ca.SX.sym(f"x{k}") for k, v in enumerate(own)}

    def variable(var):
        if id(var) in syms:
            return syms[id(var)]
        if var.value is None:
            raise ModelError(f"{var.name} has no value; best_response_check needs a solved model")
        return float(var.value)

    translate = Translator(variable, lambda expr, body: body)
    obj = agent.objective
    f = translate(obj.expr if isinstance(obj, ObjectiveData) else obj)
    sign = -1.0 if agent.sense == "max" else 1.0
    cons = list(agent.constraints) + [s.constraint for s in problem.shared_of(agent.name)]
    cons += [con for _, con in problem.implicit]
    g = [translate(c.body) for c in cons]
    lbg = [-np.inf if c.lb is None else c.lb for c in cons]
    ubg = [np.inf if c.ub is None else c.ub for c in cons]
    x = ca.vertcat(*(syms[id(v)] for v in own))
    nlp = {"x": x, "f": sign * ca.SX(f), "g": ca.vertcat(*(ca.SX(e) for e in g)) if g else ca.SX(0, 1)}
    ipopt = {"print_level": 0, "sb": "yes", "tol": 1e-12, "constr_viol_tol": 1e-12, "bound_relax_factor": 0.0,
             "max_iter": 1000, **options}
    solver = ca.nlpsol("best_response", "ipopt", nlp, {"ipopt": ipopt, "print_time": False,
                                                       "error_on_fail": False})
    lbx = np.array([-np.inf if v.lb is None else v.lb for v in own])
    ubx = np.array([np.inf if v.ub is None else v.ub for v in own])
    x_star = np.array([float(v.value) for v in own])
    f_star = float(ca.Function("f", [x], [ca.SX(f)])(x_star))
    best, status = f_star * sign, "equilibrium point"
    for start in _starts(x_star, lbx, ubx, starts, rng):
        out = solver(x0=start, lbx=lbx, ubx=ubx, lbg=lbg, ubg=ubg)
        stats = solver.stats()
        if stats["success"] and float(out["f"]) < best:
            best, status = float(out["f"]), stats["return_status"]
    return {"agent": agent.name, "objective": f_star, "best_response": sign * best,
            "gain": f_star * sign - best, "status": status}


def _starts(x_star, lbx, ubx, count, rng):
    """The solution itself, then points spread over the bounds (or around the solution where unbounded)."""
    yield x_star
    scale = np.maximum(1.0, np.abs(x_star))
    for _ in range(max(count - 1, 0)):
        lo = np.where(np.isfinite(lbx), lbx, x_star - scale)
        hi = np.where(np.isfinite(ubx), ubx, x_star + scale)
        yield lo + rng.uniform(0.05, 0.95, size=x_star.size) * (hi - lo)
