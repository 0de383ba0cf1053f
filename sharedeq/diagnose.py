"""Why a solve found no equilibrium, said in the model's own names.

:func:`diagnose` looks for three kinds of cause, cheapest first, and returns one :class:`Finding` per cause:

* **A point that ran away** (from the solver's last point ``z``): components that are not finite, or whose size
  exceeds ``1e8`` (a multiplier that grows without bound is the usual symptom of constraints that cannot hold
  together or of a failing constraint qualification; a variable that does, of an agent without a bound).
* **Infeasibility.** An equilibrium is jointly feasible: every agent's own constraints, the shared constraints,
  the implicit and dualvar definitions and the constraints of each VI hold at once, and each ``vi`` pair
  ``F _|_ y`` outside a VI with constraints needs ``F >= 0`` when ``y`` has only a lower bound, ``F <= 0`` when it
  has only an upper one, ``F = 0`` when it is free. A feasibility
  phase minimises the total violation ``sum_i (p_i + q_i)`` of ``lb_i <= g_i(x) + p_i - q_i <= ub_i``,
  ``p, q >= 0``, over all variables within their bounds. If the least violation exceeds ``tol`` there is no
  feasible point, hence no equilibrium. When every row is linear this is one LP (scipy's HiGHS) and a proof;
  small models (at most :data:`IIS_MAX_ROWS` rows) then get a deletion filter, which returns an irreducible
  infeasible subset of constraints and variable bounds (drop any one member and the rest can hold). Otherwise it
  is an NLP solved locally by Ipopt, which proves nothing for nonconvex constraints and says so. Agents whose
  own (linear) constraints cannot hold for any values of the others' variables are named.
* **Unbounded agents.** With the others fixed at ``z`` (or at the start values), each agent's own problem is
  solved inside the artificial box ``|x - c| <= B (1 + |c|)`` around the point ``c``, for ``B = 1e6`` and
  ``B = 1e8``. If the best response sits on the box and its objective keeps improving as the box grows, the
  agent's problem has no solution: the variables on the box and their direction are named. (A minimiser
  farther than ``1e8 (1 + |c|)`` from the point cannot be told from none.)

Cost: one LP (or NLP) over the whole model, a filter of at most a few hundred small LPs, and four small NLPs per
agent that has a variable without finite bounds, for at most :data:`MAX_AGENT_SOLVES` agents; everything stops
at ``time_limit`` and says what it left out.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import casadi as ca
import numpy as np
from pyomo.core.base.constraint import ConstraintData
from pyomo.core.base.objective import ObjectiveData
from pyomo.core.expr.visitor import identify_variables, replace_expressions
from pyomo.repn import generate_standard_repn
from scipy import sparse
from scipy.optimize import linprog

from sharedeq.errors import ModelError
from sharedeq.translate import Translator

#: A component of the MCP point larger than this in absolute value is reported as diverging.
HUGE = 1e8
#: The deletion filter (irreducible infeasible subset) runs when the feasibility problem has at most this many rows.
IIS_MAX_ROWS = 200
#: At most this many agents are re-solved for unboundedness (and checked for infeasible own constraints).
MAX_AGENT_SOLVES = 50
#: The two artificial box sizes ``B`` of the unboundedness test.
BOXES = (1e6, 1e8)
#: A row that Ipopt leaves violated by at most this much counts as satisfied (its constraint tolerance is 1e-9).
SOLVER_NOISE = 1e-8
#: How many names a message lists before it says "and n more".
LISTED = 5


@dataclass
class Finding:
    """One cause of a failed solve: ``kind`` (infeasible, unbounded, diverging, nonfinite, incomplete), a one-line
    ``message`` in the model's names, the names of the ``components`` involved, and the number behind it
    (``amount``: the least total violation, the objective in the larger box, or the size of the component)."""

    kind: str
    message: str
    components: list[str] = field(default_factory=list)
    amount: float | None = None

    def __str__(self) -> str:
        return self.message


def diagnose(problem, mcp=None, z=None, time_limit=10.0, tol=1e-6) -> list[Finding]:
    """The reasons in ``problem``'s own names why it may have no equilibrium (empty list: none found).

    ``mcp`` and ``z`` are the MCP and the last point of a solve (``solution.mcp``, ``solution.z``); without them
    the agents' problems are examined at the variables' current values. ``tol`` is the least total constraint
    violation that counts as infeasible. Work stops after about ``time_limit`` seconds with an ``incomplete``
    finding that says what was not checked.
    """
    deadline = time.perf_counter() + time_limit
    findings = []
    if mcp is not None and z is not None:
        if np.shape(z) != (mcp.size,):
            raise ModelError(f"diagnose: z has shape {np.shape(z)} but the MCP has {mcp.size} components; pass "
                             f"solution.mcp and solution.z of the same solve")
        findings += point_findings(mcp, z)
    values = _point_values(mcp, z)
    feasibility = FeasibilityProblem(problem)
    findings += feasibility.findings(values, tol, deadline)
    findings += unbounded_agents(problem, values, deadline)
    return findings


# ---------------------------------------------------------------------- the solver's last point
def point_findings(mcp, z) -> list[Finding]:
    """Components of ``z`` (or of ``F(z)``) that are not finite, and components with ``|z| > HUGE``."""
    z = np.asarray(z, float)
    pairs = mcp.pairs
    findings = []
    bad = np.flatnonzero(~np.isfinite(z))
    if bad.size:
        names = [_pair_name(pairs, k) for k in bad]
        findings.append(Finding("nonfinite", f"nonfinite: {_listed(names)} {_is_are(names)} not finite at the "
                                             f"solver's last point", pairs["variable"].iloc[bad].astype(str).tolist()))
    else:
        F = mcp.evaluate(z)
        bad = np.flatnonzero(~np.isfinite(F))
        if bad.size:
            names = pairs["equation"].iloc[bad].astype(str).tolist()
            findings.append(Finding("nonfinite", f"nonfinite: {_listed(names)} cannot be evaluated at the solver's "
                                                 f"last point (a log, root, power or division outside its domain?)",
                                    names))
    huge = np.flatnonzero(np.isfinite(z) & (np.abs(z) > HUGE))
    for k in huge[np.argsort(-np.abs(z[huge]))][:LISTED]:
        kind = pairs["kind"].iloc[k]
        name = pairs["equation" if kind == "multiplier" else "variable"].iloc[k]
        findings.append(Finding("diverging", f"diverging: {_pair_name(pairs, k)} is {z[k]:.1e}; {_why_huge(kind)}",
                                [str(name)], float(z[k])))
    if huge.size > LISTED:
        rest = [str(pairs["variable"].iloc[k]) for k in huge]
        findings.append(Finding("diverging", f"diverging: {huge.size - LISTED} more components exceed {HUGE:.0e} "
                                             f"in absolute value", rest[LISTED:]))
    return findings


def _pair_name(pairs, k) -> str:
    row = pairs.iloc[k]
    agent = f" of agent '{row['agent']}'" if isinstance(row["agent"], str) and row["agent"] != "(shared)" else ""
    if row["kind"] == "multiplier":
        return f"the multiplier of {row['equation']}{agent} ({row['variable']})"
    if row["kind"] == "definition":
        return f"{row['variable']} (defined by {row['equation']})"
    return f"{row['variable']}{agent}"


def _why_huge(kind) -> str:
    if kind == "multiplier":
        return "a multiplier that grows without bound means constraints that cannot hold together or a failing " \
               "constraint qualification"
    return "a variable that grows without bound means an agent without a bound in that direction or an " \
           "equation without a solution"


def _point_values(mcp, z) -> dict[int, float]:
    """``id(var) -> value`` at the MCP point ``z``, else the variables' current values (None as 0, within bounds)."""
    values = {}
    if mcp is not None and z is not None:
        for var, value in zip(mcp.pyomo_vars, np.asarray(z, float), strict=True):
            if var is not None and math.isfinite(value):
                values[id(var)] = float(value)
    return values


def _value(var, values) -> float:
    """The variable's value in ``values``, else its current value (None as 0) moved into its bounds (cached)."""
    value = values.get(id(var))
    if value is None:
        value = 0.0 if var.value is None else float(var.value)
        lb, ub = var.bounds
        value = values[id(var)] = min(max(value, -math.inf if lb is None else lb), math.inf if ub is None else ub)
    return value


# ---------------------------------------------------------------------- infeasibility
@dataclass
class _Row:
    """``lb <= body <= ub`` (None: no bound) under the user's ``name``; ``agent`` when it is an agent's own."""

    name: str
    body: object
    lb: float | None
    ub: float | None
    agent: str | None = None


class FeasibilityProblem:
    """Every condition an equilibrium must satisfy that involves no multiplier, as rows ``lb <= body <= ub``."""

    def __init__(self, problem):
        self.rows: list[_Row] = []
        seen: set[int] = set()

        def add(con, agent=None, body=None):
            if id(con) not in seen:
                seen.add(id(con))
                self.rows.append(_Row(con.name, con.body if body is None else body, _bound(con.lb), _bound(con.ub),
                                      agent))

        for agent in problem.agents:
            for con in agent.constraints:
                add(con, agent.name)
        for s in problem.shared:
            add(s.constraint)
        for _, con in problem.implicit:
            add(con)
        for _, con in problem.dualvars:
            add(con)
        shadows = {id(pair.parameter): pair.variable for pair in problem.vi_pairs if pair.parameter is not None}
        for block in problem.vi_blocks:         # a QVI's set at the point: each shadow copy is its variable
            for con in block.constraints:
                add(con, body=replace_expressions(con.body, shadows) if shadows else None)
        for number, pair in enumerate(problem.vi_pairs):
            row = _vi_row(pair, number)
            if row is not None:
                self.rows.append(row)
        self.variables = list({id(v): v for row in self.rows for v in _variables(row.body)}.values())
        self.column = {id(v): k for k, v in enumerate(self.variables)}
        self.lb = np.array([-np.inf if v.lb is None else float(v.lb) for v in self.variables])
        self.ub = np.array([np.inf if v.ub is None else float(v.ub) for v in self.variables])
        self.linear = self._linear_rows()

    def findings(self, values, tol, deadline) -> list[Finding]:
        """The infeasibility findings: the whole problem, then agents whose own constraints cannot hold."""
        if not self.rows or np.any(self.lb > self.ub):
            return []  # an empty box is a modelling error that input validation reports
        if time.perf_counter() > deadline:
            return [_incomplete("the feasibility phase (time limit reached)")]
        x0 = np.clip(np.array([_value(v, values) for v in self.variables]), self.lb, self.ub)
        everything = np.ones(len(self.rows), bool)
        if self.linear is None:
            return self._nonlinear_findings(x0, tol, deadline)
        least, amounts = self._least_violation(everything, self.lb, self.ub, deadline)
        if least is None or least <= tol:
            return [] if least is not None else [_incomplete("the feasibility LP (no answer from HiGHS)")]
        violated = _violated(amounts, tol)
        parts = [f"{self.rows[i].name} by {amounts[i]:.3g}" for i in violated]
        where = f"least total violation {least:.3g}: {_listed(parts)}"
        subset = self._irreducible(everything, tol, deadline) if len(self.rows) <= IIS_MAX_ROWS else None
        if subset is not None:
            names = subset[0] + subset[1]
            message = f"{_subset_phrase(*subset)} cannot hold together ({where}); no equilibrium exists"
        else:
            names = [self.rows[i].name for i in violated]
            message = f"the constraints cannot all hold together ({where}); no equilibrium exists"
        findings = [Finding("infeasible", message, names, least)]
        return self._agent_findings(tol, deadline) + findings

    # -------------------------------------------------------------- linear rows: one LP
    def _linear_rows(self):
        """``(A, c)`` with ``body_i = A_i x + c_i`` when every row is linear, else None."""
        rows, cols, coefs, const = [], [], [], []
        for i, row in enumerate(self.rows):
            repn = generate_standard_repn(row.body, compute_values=True, quadratic=False)
            if not repn.is_linear():
                return None
            for var, coef in zip(repn.linear_vars, repn.linear_coefs, strict=True):
                rows.append(i)
                cols.append(self.column[id(var)])
                coefs.append(float(coef))
            const.append(float(repn.constant))
        A = sparse.csr_matrix((coefs, (rows, cols)), shape=(len(self.rows), len(self.variables)))
        return A, np.array(const)

    def _least_violation(self, rows, lb, ub, deadline):
        """``min sum(p + q)`` s.t. ``lo_i <= A_i x + c_i + p_i - q_i <= up_i`` for the rows in the mask ``rows``,
        ``lb <= x <= ub``: the least total violation and each row's part of it (``p_i + q_i``; 0 for rows left
        out), or ``(None, None)`` when HiGHS gives no optimum (time limit)."""
        A, c = self.linear
        selected = np.flatnonzero(rows)
        A = A[selected]
        lo = np.array([-np.inf if self.rows[i].lb is None else self.rows[i].lb for i in selected]) - c[selected]
        up = np.array([np.inf if self.rows[i].ub is None else self.rows[i].ub for i in selected]) - c[selected]
        m, n = A.shape
        elastic = sparse.hstack([A, sparse.eye(m), -sparse.eye(m)]).tocsr()
        eq = lo == up
        upper, lower = ~eq & np.isfinite(up), ~eq & np.isfinite(lo)
        cost = np.r_[np.zeros(n), np.ones(2 * m)]
        bounds = np.c_[np.r_[lb, np.zeros(2 * m)], np.r_[ub, np.full(2 * m, np.inf)]]
        result = linprog(cost, A_ub=sparse.vstack([elastic[upper], -elastic[lower]]),
                         b_ub=np.r_[up[upper], -lo[lower]], A_eq=elastic[eq], b_eq=lo[eq], bounds=bounds,
                         method="highs", options={"time_limit": max(deadline - time.perf_counter(), 0.1)})
        if result.status != 0:
            return None, None
        amounts = np.zeros(len(self.rows))
        amounts[selected] = result.x[n: n + m] + result.x[n + m:]
        return float(result.fun), amounts

    def _irreducible(self, rows, tol, deadline):
        """Deletion filter over the rows ``rows`` (a mask) and the finite variable bounds: ``(constraint names,
        bound names)`` of an irreducible infeasible subset, or None when the time runs out.

        Each member is dropped in turn and kept out when the rest is still infeasible (least violation > tol);
        what remains is infeasible and every proper subset of it is feasible.
        """
        rows = rows.copy()
        for i in np.flatnonzero(rows):
            if time.perf_counter() > deadline:
                return None
            rows[i] = False
            least, _ = self._least_violation(rows, self.lb, self.ub, deadline)
            rows[i] = least is None or least <= tol
        # only the bounds of variables in the remaining rows can matter
        used = np.zeros(len(self.variables), bool)
        used[self.linear[0][np.flatnonzero(rows)].indices] = True
        lb, ub = np.where(used, self.lb, -np.inf), np.where(used, self.ub, np.inf)
        for bound, free in ((lb, -np.inf), (ub, np.inf)):
            for k in np.flatnonzero(np.isfinite(bound)):
                if time.perf_counter() > deadline:
                    return None
                kept, bound[k] = bound[k], free
                least, _ = self._least_violation(rows, lb, ub, deadline)
                if least is None or least <= tol:
                    bound[k] = kept
        names = [self.rows[i].name for i in np.flatnonzero(rows)]
        bounds = [f"{v.name} >= {lo:g}" for v, lo in zip(self.variables, lb, strict=True) if np.isfinite(lo)]
        bounds += [f"{v.name} <= {up:g}" for v, up in zip(self.variables, ub, strict=True) if np.isfinite(up)]
        return names, bounds

    def _agent_findings(self, tol, deadline) -> list[Finding]:
        """Agents whose own constraints alone (all variables free within their bounds) cannot hold."""
        owned: dict[str, list[int]] = {}
        for i, row in enumerate(self.rows):
            if row.agent is not None:
                owned.setdefault(row.agent, []).append(i)
        findings = []
        for count, (agent, indices) in enumerate(owned.items()):
            if count >= MAX_AGENT_SOLVES or time.perf_counter() > deadline:
                findings.append(_incomplete(f"the own constraints of {len(owned) - count} agent(s) (at most "
                                            f"{MAX_AGENT_SOLVES} are checked, within the time limit)"))
                break
            rows = np.zeros(len(self.rows), bool)
            rows[indices] = True
            least, _ = self._least_violation(rows, self.lb, self.ub, deadline)
            if least is None or least <= tol:
                continue
            subset = self._irreducible(rows, tol, deadline) if len(indices) <= IIS_MAX_ROWS else None
            names = subset[0] + subset[1] if subset else [self.rows[i].name for i in indices]
            phrase = _subset_phrase(*subset) if subset else _subset_phrase(names, [])
            findings.append(Finding(
                "infeasible", f"agent '{agent}': its own {phrase} cannot hold together whatever the other agents "
                              f"do (least total violation {least:.3g})", [agent, *names], least))
        return findings

    # -------------------------------------------------------------- nonlinear rows: a local NLP
    def _nonlinear_findings(self, x0, tol, deadline) -> list[Finding]:
        """The elastic problem solved locally by Ipopt; a positive least violation is reported, not proven."""
        syms = [ca.SX.sym(f"x{k}") for k in range(len(self.variables))]
        translate = Translator(lambda var: syms[self.column[id(var)]] if id(var) in self.column else
                               float(var.value), lambda expr, body: body)
        bodies = ca.vertcat(*(ca.SX(translate(row.body)) for row in self.rows))
        m = len(self.rows)
        p, q = ca.SX.sym("p", m), ca.SX.sym("q", m)
        x = ca.vertcat(*syms)
        lo = np.array([-np.inf if r.lb is None else r.lb for r in self.rows])
        up = np.array([np.inf if r.ub is None else r.ub for r in self.rows])
        nlp = {"x": ca.vertcat(x, p, q), "f": ca.sum1(p) + ca.sum1(q), "g": bodies + p - q}
        solver = ca.nlpsol("feasibility", "ipopt", nlp, {"ipopt": _ipopt_options(deadline), "print_time": False,
                                                         "error_on_fail": False})
        out = solver(x0=np.r_[x0, np.zeros(2 * m)], lbx=np.r_[self.lb, np.zeros(2 * m)],
                     ubx=np.r_[self.ub, np.full(2 * m, np.inf)], lbg=lo, ubg=up)
        if not solver.stats()["success"]:
            return [_incomplete(f"the feasibility phase (Ipopt: {solver.stats()['return_status']})")]
        xs = np.asarray(out["x"]).ravel()[: len(syms)]
        body = np.asarray(ca.Function("bodies", [x], [bodies])(xs)).ravel()
        amounts = np.maximum(np.maximum(lo - body, body - up), 0.0)
        amounts[amounts <= SOLVER_NOISE] = 0.0
        least = float(amounts.sum())
        if least <= tol:
            return []
        order = _violated(amounts, tol)
        names = [self.rows[i].name for i in order]
        parts = [f"{self.rows[i].name} by {amounts[i]:.3g}" for i in order]
        return [Finding("infeasible", f"the constraints could not be satisfied together: a local search found least "
                                      f"total violation {least:.3g} ({_listed(parts)}); with nonconvex constraints "
                                      f"this is evidence, not proof, that no equilibrium exists", names, least)]


def _subset_phrase(constraints, bounds) -> str:
    """``constraints a, b with the bounds x[1] >= 0`` (lists shortened)."""
    head = f"constraint{'s' if len(constraints) > 1 else ''} {_listed(constraints)}"
    return head + (f" with the bound{'s' if len(bounds) > 1 else ''} {_listed(bounds)}" if bounds else "")


def _violated(amounts, tol) -> list[int]:
    """Rows violated by more than ``tol`` (else by anything), largest first."""
    order = np.argsort(-amounts)
    return [int(i) for i in order if amounts[i] > tol] or [int(i) for i in order if amounts[i] > 0]


def _bound(value):
    return None if value is None else float(value)


def _variables(expr):
    return identify_variables(expr, include_fixed=False) if hasattr(expr, "is_expression_type") else ()


def _vi_row(pair, number):
    """What a ``vi`` pair ``F _|_ y`` requires of its function ``F`` (:meth:`VIPair.expression`, the MCP's row)
    alone: ``F >= 0`` (y >= lb only), ``<= 0`` (y <= ub only), ``= 0`` (y free); named as in the MCP (the
    constraint, or ``vi[number]``). None when ``F`` alone need not hold anything: ``y`` has both bounds or is
    fixed (the pair is dropped), or the pair belongs to a VI with constraints, whose condition is
    ``F + grad g' mu`` (its constraints ``g`` are rows of their own)."""
    var = pair.variable
    if pair.block is not None or var.fixed or (var.lb is not None and var.ub is not None):
        return None
    name = pair.function.name if isinstance(pair.function, ConstraintData) else f"vi[{number}]"
    lower = 0.0 if var.ub is None else None
    upper = 0.0 if var.lb is None else None
    return _Row(name, pair.expression(), lower, upper)


# ---------------------------------------------------------------------- unbounded agents
@dataclass
class AgentNLP:
    """One agent's own problem with the others fixed, as a casadi Ipopt solver.

    ``variables`` are its own variables (then its objective variable when an equality defines it, and the
    implicit variables; these are determined by equations and get no artificial box); ``decision`` marks the
    first group. ``sign`` is -1 for a maximising agent (the NLP always minimises ``sign * f``).
    """

    agent: object
    variables: list
    decision: np.ndarray
    solver: object
    lbx: np.ndarray
    ubx: np.ndarray
    lbg: np.ndarray
    ubg: np.ndarray
    sign: float


class AgentProblems:
    """The agents' own problems ``min_{x_i} f_i(x_i, x_-i)`` s.t. their own, shared and implicit constraints, with
    every other variable fixed at ``values`` (``id(var) -> value``; else its current value).

    Expressions are translated once, over one casadi symbol per variable (a named Expression once for all
    agents); agent ``i``'s problem then substitutes the fixed values for the other symbols in casadi's C++, so
    N agents sharing a constraint over N variables cost O(N) Python work, not O(N^2).
    """

    def __init__(self, problem, values):
        self.problem, self.values = problem, values
        self.symbols: dict[int, ca.SX] = {}
        self.order: list = []
        self.translated: dict[int, ca.SX] = {}
        self.translate = Translator(self._symbol, lambda expr, body: body)

    def _symbol(self, var):
        if var.fixed:
            return _value(var, self.values)
        sym = self.symbols.get(id(var))
        if sym is None:
            sym = self.symbols[id(var)] = ca.SX.sym(f"v{len(self.order)}")
            self.order.append(var)
        return sym

    def _constraint(self, con) -> ca.SX:
        if id(con) not in self.translated:
            self.translated[id(con)] = ca.SX(self.translate(con.body))
        return self.translated[id(con)]

    def nlp(self, agent, ipopt=None) -> AgentNLP:
        """Agent ``agent``'s problem as an Ipopt solver (options ``ipopt``)."""
        objective_var = agent.objective if agent.objective_definition() is not None else None
        decision = [v for v in agent.variables if not v.fixed and v is not objective_var]
        extra = [objective_var] if objective_var is not None and not objective_var.fixed else []
        variables = decision + extra + [var for var, _ in self.problem.implicit if not var.fixed]
        obj = agent.objective
        f = ca.SX(self.translate(obj.expr if isinstance(obj, ObjectiveData) else obj))
        cons = list(agent.constraints) + [s.constraint for s in self.problem.shared_of(agent.name)]
        cons += [con for _, con in self.problem.implicit]
        exprs = ca.vertcat(f, *(self._constraint(c) for c in cons))
        x = ca.vertcat(*(self._symbol(v) for v in variables))
        own = {id(v) for v in variables}
        others = [v for v in self.order if id(v) not in own]
        if others:
            exprs = ca.substitute(exprs, ca.vertcat(*(self.symbols[id(v)] for v in others)),
                                  ca.SX(ca.DM([_value(v, self.values) for v in others])))
        sign = -1.0 if agent.sense == "max" else 1.0
        solver = ca.nlpsol(f"agent_{agent.name}", "ipopt", {"x": x, "f": sign * exprs[0], "g": exprs[1:]},
                           {"ipopt": ipopt or {}, "print_time": False, "error_on_fail": False})
        return AgentNLP(agent, variables, np.arange(len(variables)) < len(decision), solver,
                        np.array([-np.inf if v.lb is None else float(v.lb) for v in variables]),
                        np.array([np.inf if v.ub is None else float(v.ub) for v in variables]),
                        np.array([-np.inf if c.lb is None else float(c.lb) for c in cons]),
                        np.array([np.inf if c.ub is None else float(c.ub) for c in cons]), sign)


def unbounded_agents(problem, values, deadline) -> list[Finding]:
    """Agents whose own problem (others fixed at ``values``) keeps improving as an artificial box grows.

    An agent whose variables all have finite bounds cannot be unbounded and is not re-solved.
    """
    candidates = [a for a in problem.agents if any(
        not v.fixed and (v.lb is None or v.ub is None) for v in a.variables)]
    problems = AgentProblems(problem, values)
    findings = []
    for count, agent in enumerate(candidates):
        if count >= MAX_AGENT_SOLVES or time.perf_counter() > deadline:
            findings.append(_incomplete(f"unboundedness of {len(candidates) - count} agent(s) with unbounded "
                                        f"variables (at most {MAX_AGENT_SOLVES} are re-solved, within the time "
                                        f"limit)"))
            break
        finding = _unbounded(problems.nlp(agent, _ipopt_options(deadline)), values)
        if finding is not None:
            findings.append(finding)
    return findings


def _unbounded(nlp, values) -> Finding | None:
    """An ``unbounded`` finding when the agent's best response runs into both artificial boxes and its
    objective improves from the small box to the large one; None otherwise (or when Ipopt fails)."""
    agent = nlp.agent
    center = np.array([_value(v, values) for v in nlp.variables])
    rng = np.random.default_rng(0)
    starts = [center, center + rng.uniform(-1.0, 1.0, center.size) * (1.0 + np.abs(center))]
    objectives = []
    for size in BOXES:
        reach = size * (1.0 + np.abs(center))
        lbx = np.where(nlp.decision, np.maximum(nlp.lbx, center - reach), nlp.lbx)
        ubx = np.where(nlp.decision, np.minimum(nlp.ubx, center + reach), nlp.ubx)
        best = None
        for start in starts:
            out = nlp.solver(x0=np.clip(start, lbx, ubx), lbx=lbx, ubx=ubx, lbg=nlp.lbg, ubg=nlp.ubg)
            if nlp.solver.stats()["success"] and (best is None or float(out["f"]) < best[0]):
                best = (float(out["f"]), np.asarray(out["x"]).ravel())
        if best is None:
            return None
        objectives.append(best[0])
        starts = [best[1], starts[1]]
    (f_small, f_large), x = objectives, best[1]
    on_box = nlp.decision & ((np.isclose(x, lbx, rtol=1e-6) & (lbx > nlp.lbx)) |
                             (np.isclose(x, ubx, rtol=1e-6) & (ubx < nlp.ubx)))
    if not on_box.any() or f_large >= f_small - 1e-4 * max(1.0, abs(f_small)):
        return None
    runaway = [f"{nlp.variables[k].name} -> {'+' if x[k] > center[k] else '-'}inf" for k in np.flatnonzero(on_box)]
    verb = "raises" if nlp.sign < 0 else "lowers"
    f_small, f_large = nlp.sign * f_small, nlp.sign * f_large
    return Finding("unbounded", f"agent '{agent.name}' is unbounded: with the others fixed, {_listed(runaway)} "
                                f"{verb} its objective without limit (objective {f_small:.3g} in a box of size "
                                f"{BOXES[0]:.0e} around the point, {f_large:.3g} in one of {BOXES[1]:.0e})",
                   [agent.name, *(nlp.variables[k].name for k in np.flatnonzero(on_box))], f_large)


# ---------------------------------------------------------------------- helpers
def _ipopt_options(deadline) -> dict:
    return {"print_level": 0, "sb": "yes", "tol": 1e-9, "constr_viol_tol": 1e-9, "max_iter": 1000,
            "bound_relax_factor": 0.0, "max_cpu_time": max(deadline - time.perf_counter(), 0.5)}


def _incomplete(what) -> Finding:
    return Finding("incomplete", f"not checked: {what}", [])


def _listed(names) -> str:
    names = list(names)
    shown = ", ".join(str(n) for n in names[:LISTED])
    return shown + (f" and {len(names) - LISTED} more" if len(names) > LISTED else "")


def _is_are(names) -> str:
    return "is" if len(names) == 1 else "are"


