"""EquilibriumProblem -> MCP: every agent's KKT conditions in one complementarity system.

This is the only module that differentiates. For agent ``i`` with Lagrangian

    L_i = f_i(x) + sum_c mu_c g_c(x) + sum_s (lam_s / r_i) g_s(x)          (own constraints c, shared s)

the MCP holds, for each variable ``x_k`` that agent ``i`` controls, ``dL_i/dx_k _|_ lb_k <= x_k <= ub_k``; for
each inequality ``g <= 0`` the pair ``-g(x) _|_ mu >= 0``; for each equality ``g = 0`` the pair
``g(x) _|_ mu free``. In generalized Nash mode a shared constraint gets one multiplier per agent
(``lam_{i,s}``); in variational mode one multiplier ``lam_s`` for all (agent ``i`` sees ``lam_s / r_i``).

Sparsity (Kim and Ferris's shared variables). A named ``Expression`` used by two or more agents, an EMP
``implicit`` variable, and the body of a shared constraint priced separately by several agents are *lifted*: they
become one MCP variable ``y = h(x)`` with the pair ``y - h(x) _|_ y free``, and agents differentiate through
``y`` by the chain rule, ``df/dx_k = df/dx_k|_y + sum_a df/dy_a * dh_a/dx_k``. The total gradients ``dh_a/dx``
are computed once per aggregate, so the MCP has O(N) nonzeros where the inlined form has O(N^2).
``lift="none"`` gives the inlined (dense) formulation, for comparison.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import casadi as ca
import numpy as np
import pandas as pd
from pyomo.core.base.constraint import ConstraintData
from pyomo.core.base.objective import ObjectiveData
from pyomo.core.base.var import VarData
from pyomo.core.expr.visitor import StreamBasedExpressionVisitor

from sharedeq.errors import ModelError
from sharedeq.mcp import MCP
from sharedeq.translate import Translator

INF = float("inf")


def build_mcp(problem, mode=None, weights=None, lift="auto") -> MCP:
    """The MCP of ``problem`` under ``mode`` ("gne", "ve" or None = as declared) and Rosen ``weights``."""
    return _KKTBuilder(problem, mode, weights, lift).build()


@dataclass
class _Column:
    kind: str
    agent: str | None
    variable: str
    equation: str
    side: str
    lb: float
    ub: float
    var: VarData | None = None


@dataclass
class _Piece:
    """One normalised side of a constraint: ``coef * body`` enters the Lagrangian with multiplier ``col``."""

    col: int
    coef: float


class _KKTBuilder:
    def __init__(self, problem, mode, weights, lift):
        if lift not in ("auto", "none"):
            raise ModelError(f"lift must be 'auto' or 'none', got {lift!r}")
        self.p = problem
        self.variational = problem.treatment(mode)
        if weights is not None and not any(self.variational.values()):
            raise ModelError("Rosen weights scale a shared multiplier: they need mode='ve' (or constraints "
                             "declared variational); in mode='gne' every agent has its own multiplier")
        self.weights = problem.rosen_weights(weights)
        self.lift = lift
        self.cols: list[_Column] = []
        self.syms: list[ca.SX] = []
        self.rows: dict[int, object] = {}
        self.col_of_var: dict[int, int] = {}
        self.col_of_sym: dict[str, int] = {}
        self.total_grad: dict[int, dict[int, object]] = {}  # lifted column -> {primal column: d y / d z}
        self.lifted_body: dict[int, object] = {}            # lifted column -> its definition h(z)
        self.temp_syms: dict[int, ca.SX] = {}
        self.context = ""
        self.usage = _named_usage(problem)
        self.translate = Translator(self._variable, self._named)
        self.objectives: dict[str, object] = {}
        self.objective_vars: dict[str, tuple[VarData, object]] = {}

    # ------------------------------------------------------------------ columns and symbols
    def _new_column(self, col: _Column) -> int:
        k = len(self.cols)
        sym = ca.SX.sym(f"z{k}")
        self.cols.append(col)
        self.syms.append(sym)
        self.col_of_sym[f"z{k}"] = k
        if col.var is not None:
            self.col_of_var[id(col.var)] = k
        return k

    def _claim(self, var: VarData, col: _Column, owners: dict) -> None:
        """Give ``var`` a column, unless it is fixed (then it is a parameter); reject double ownership."""
        if var.fixed:
            return
        if id(var) in owners:
            raise ModelError(f"{var.name} is controlled by {owners[id(var)]} and by {_who(col)}; "
                             f"every variable must belong to exactly one agent (or pair)")
        if not var.is_continuous():
            raise ModelError(f"{var.name} is not continuous (domain {var.domain}); equilibrium problems "
                             f"need continuous variables")
        owners[id(var)] = _who(col)
        col.var = var
        col.lb = -INF if var.lb is None else float(var.lb)
        col.ub = INF if var.ub is None else float(var.ub)
        self._new_column(col)

    def _variable(self, var: VarData):
        k = self.col_of_var.get(id(var))
        if k is not None:
            return self.syms[k]
        if id(var) in self.temp_syms:
            return self.temp_syms[id(var)]
        if var.fixed:
            if var.value is None:
                raise ModelError(f"{var.name} is fixed but has no value ({self.context})")
            return float(var.value)
        raise ModelError(f"{var.name} appears in {self.context} but no agent controls it and it is not fixed: "
                         f"add it to an agent's variables, pair it with add_vi, or fix it")

    def _named(self, expr, body):
        if self.lift == "none" or not isinstance(body, ca.SX) or len(self.usage.get(id(expr), ())) < 2 \
                or not ca.symvar(body):
            return body
        return self._lift(body, expr.name, f"{expr.name} definition")

    def _lift(self, body, variable, equation) -> ca.SX:
        """A new MCP variable ``y`` with the pair ``y - body _|_ y free``; its total gradient is recorded."""
        k = self._new_column(_Column("definition", None, variable, equation, "==", -INF, INF))
        self.rows[k] = self.syms[k] - body
        self.lifted_body[k] = body
        self.total_grad[k] = self._gradient(body, None)
        return self.syms[k]

    # ------------------------------------------------------------------ differentiation
    def _gradient(self, expr, wanted) -> dict[int, object]:
        """``{k: d expr / d z_k}`` over primal columns ``k`` in ``wanted`` (all if None), by the chain rule."""
        if not isinstance(expr, ca.SX):
            return {}
        direct = [(s, self.col_of_sym[s.name()]) for s in ca.symvar(expr) if s.name() in self.col_of_sym]
        direct = [(s, k) for s, k in direct if wanted is None or k in wanted or k in self.total_grad]
        if not direct:
            return {}
        jac = ca.jacobian(expr, ca.vertcat(*(s for s, _ in direct)))
        out: dict[int, object] = {}
        for j, (_, k) in enumerate(direct):
            d = jac[0, j]
            if k in self.total_grad:
                inner = self.total_grad[k]
                keys = inner.keys() if wanted is None or len(inner) < len(wanted) else \
                    (w for w in wanted if w in inner)
                for w in keys:
                    if wanted is None or w in wanted:
                        out[w] = out.get(w, 0) + d * inner[w]
            else:
                out[k] = out.get(k, 0) + d
        return out

    def _translate(self, expr, context):
        self.context = context
        return self.translate(expr)

    # ------------------------------------------------------------------ constraints
    def _pieces(self, con: ConstraintData, body, agent, variable, equation_agent) -> list[_Piece]:
        """Multiplier columns and complementarity rows for ``lb <= body <= ub`` (``body`` already translated)."""
        lo, up = con.lb, con.ub
        if lo is None and up is None:
            raise ModelError(f"constraint {con.name} has no bound")
        override = self.dual_of.get(id(con))
        if con.equality:
            sides = [("==", float(up), 1.0, -INF, INF)]
        else:
            sides = ([(">=", float(lo), -1.0, 0.0, INF)] if lo is not None else []) + \
                    ([("<=", float(up), 1.0, 0.0, INF)] if up is not None else [])
        if override is not None and len(sides) != 1:
            raise ModelError(f"dualvar {self.cols[override].variable}: constraint {con.name} is ranged; "
                             f"a dual variable needs a one-sided constraint or an equality")
        pieces = []
        for side, bound, coef, mlb, mub in sides:
            suffix = "" if len(sides) == 1 else ("_lo" if side == ">=" else "_up")
            if override is not None:
                k = override
                self.cols[k].lb, self.cols[k].ub, self.cols[k].side = mlb, mub, side
            else:
                k = self._new_column(_Column("multiplier", equation_agent, f"{variable}{suffix}", con.name,
                                             side, mlb, mub))
            self.rows[k] = body - bound if side in ("==", ">=") else bound - body
            pieces.append(_Piece(k, coef))
        return pieces

    # ------------------------------------------------------------------ the build
    def build(self) -> MCP:
        p = self.p
        owners: dict[int, str] = {}
        self.dual_of: dict[int, int] = {}
        own_constraints = {}
        for agent in p.agents:
            objective_var = agent.objective if isinstance(agent.objective, VarData) else None
            for var in agent.variables:
                if var is not objective_var:
                    self._claim(var, _Column("stationarity", agent.name, var.name, f"dL[{agent.name}]/d{var.name}",
                                             "", -INF, INF), owners)
            for con in agent.constraints:
                own_constraints.setdefault(id(con), []).append(agent.name)
        for pair_no, pair in enumerate(p.vi_pairs):
            equation = pair.function.name if isinstance(pair.function, ConstraintData) else f"vi[{pair_no}]"
            self._claim(pair.variable, _Column("vi", None, pair.variable.name, equation, "", -INF, INF), owners)
        for var, con in p.implicit:
            self._claim(var, _Column("definition", None, var.name, con.name, "==", -INF, INF), owners)
        for var, con in p.dualvars:
            self._claim(var, _Column("multiplier", None, var.name, con.name, "", 0.0, INF), owners)
            self.dual_of[id(con)] = self.col_of_var[id(var)]
        self._check_shared(own_constraints)

        for var, con in p.implicit:
            self._implicit(var, con)
        shared = self._shared_constraints()
        for agent in p.agents:
            self._agent(agent, shared)
        for pair_no, pair in enumerate(p.vi_pairs):
            self._vi(pair, pair_no)
        return self._assemble()

    def _check_shared(self, own_constraints):
        for s in self.p.shared:
            if id(s.constraint) in own_constraints:
                raise ModelError(f"{s.constraint.name} is both an own constraint of agent(s) "
                                 f"{own_constraints[id(s.constraint)]} and shared; declare it once")
        for var, con in self.p.dualvars:
            variational = self.variational.get(id(con))
            agents = next((s.agents for s in self.p.shared if s.constraint is con), ())
            if variational is False and len(agents) > 1:
                raise ModelError(f"dualvar {var.name}: {con.name} is shared in generalized Nash mode, so each "
                                 f"agent has its own multiplier; one variable cannot be all of them")

    def _implicit(self, var, con):
        """EMP ``implicit``: ``var`` is defined by the equality ``con``, linear in ``var``."""
        k = self.col_of_var.get(id(var))
        if k is None:
            raise ModelError(f"implicit variable {var.name} is fixed; nothing to define")
        body = self._translate(con.body, f"the definition {con.name} of {var.name}")
        a = ca.jacobian(body, self.syms[k]) if isinstance(body, ca.SX) else ca.SX(0)
        if ca.symvar(a) or float(ca.evalf(a)) == 0.0:
            raise ModelError(f"implicit variable {var.name}: its definition {con.name} must be linear in it "
                             f"with a nonzero coefficient")
        a = float(ca.evalf(a))
        rest = ca.substitute(body, self.syms[k], ca.SX(0))
        self.rows[k] = (body - float(con.ub)) / a
        self.total_grad[k] = self._gradient(-(rest - float(con.ub)) / a, None)

    def _shared_constraints(self) -> dict:
        """Translate each shared constraint once: VE multipliers here, GNE bodies lifted for per-agent pricing."""
        out = {}
        for s in self.p.shared:
            con = s.constraint
            body = self._translate(con.body, f"shared constraint {con.name}")
            entry = {"agents": s.agents, "variational": self.variational[id(con)]}
            if entry["variational"]:
                entry["pieces"] = self._pieces(con, body, None, f"{con.name}.m", None)
                entry["grad"] = self._gradient(body, None)
            else:
                if self.lift == "auto" and len(s.agents) > 1 and isinstance(body, ca.SX) and \
                        len(ca.symvar(body)) > 1:
                    body = self._lift(body, f"{con.name}.body", f"{con.name} body definition")
                entry["body"] = body
            out[id(con)] = entry
        return out

    def _objective(self, agent):
        """The agent's objective as SX in its own sense, and the GAMS-style defining equation if any."""
        obj = agent.objective
        if isinstance(obj, VarData):
            return self._objective_variable(agent, obj)
        expr = obj.expr if isinstance(obj, ObjectiveData) else obj
        return self._translate(expr, f"the objective of agent '{agent.name}'"), None

    def _objective_variable(self, agent, var):
        """GAMS ``min obj`` with ``objdef.. obj =e= expr``: eliminate ``obj`` through its defining equality."""
        self.temp_syms[id(var)] = sym = ca.SX.sym(f"obj_{agent.name}")
        for con in agent.constraints:
            if not con.equality:
                continue
            body = self._translate(con.body, f"{con.name} (agent '{agent.name}')")
            if isinstance(body, ca.SX) and ca.depends_on(body, sym):
                a = ca.jacobian(body, sym)
                if ca.symvar(a) or float(ca.evalf(a)) == 0.0:
                    raise ModelError(f"agent '{agent.name}': {con.name} must define {var.name} linearly")
                f = (float(con.ub) - ca.substitute(body, sym, ca.SX(0))) / float(ca.evalf(a))
                self.objective_vars[agent.name] = (var, f)
                return f, con
        raise ModelError(f"agent '{agent.name}': objective variable {var.name} has no defining equality among "
                         f"the agent's constraints (GAMS: 'min {var.name} ... objdef'); list it in constraints")

    def _agent(self, agent, shared):
        own = [self.col_of_var[id(v)] for v in agent.variables if id(v) in self.col_of_var]
        wanted = set(own)
        f, objdef = self._objective(agent)
        self.objectives[agent.name] = f
        sign = -1.0 if agent.sense == "max" else 1.0
        stat = {k: sign * g for k, g in self._gradient(f, wanted).items()}
        for con in agent.constraints:
            if con is objdef:
                continue
            body = self._translate(con.body, f"constraint {con.name} of agent '{agent.name}'")
            self._check_free_of_objective_vars(body, con)
            grad = self._gradient(body, wanted)
            for piece in self._pieces(con, body, agent.name, f"{con.name}.m", agent.name):
                self._add_multiplier_terms(stat, grad, piece, 1.0)
        for s in self.p.shared_of(agent.name):
            entry = shared[id(s.constraint)]
            if entry["variational"]:
                grad = {k: entry["grad"][k] for k in own if k in entry["grad"]}
                for piece in entry["pieces"]:
                    self._add_multiplier_terms(stat, grad, piece, 1.0 / self.weights[agent.name])
            else:
                con = s.constraint
                grad = self._gradient(entry["body"], wanted)
                for piece in self._pieces(con, entry["body"], agent.name, f"{con.name}.m[{agent.name}]",
                                          agent.name):
                    self._add_multiplier_terms(stat, grad, piece, 1.0)
        for k in own:
            self.rows[k] = stat.get(k, 0)

    def _check_free_of_objective_vars(self, body, con):
        if isinstance(body, ca.SX) and self.temp_syms:
            for _var_id, sym in self.temp_syms.items():
                if ca.depends_on(body, sym):
                    raise ModelError(f"{con.name} uses an objective variable that is eliminated through its "
                                     f"defining equation; only the defining equation may contain it")

    def _add_multiplier_terms(self, stat, grad, piece, scale):
        mult = self.syms[piece.col] * (piece.coef * scale)
        for k, g in grad.items():
            stat[k] = stat.get(k, 0) + mult * g

    def _vi(self, pair, pair_no):
        fn = pair.function
        k = self.col_of_var.get(id(pair.variable))
        if k is None:
            raise ModelError(f"vi pair {pair_no}: its variable {pair.variable.name} is fixed")
        if isinstance(fn, ConstraintData):
            body = self._translate(fn.body, f"vi equation {fn.name}")
            if fn.lb is not None and fn.ub is not None and not fn.equality:
                raise ModelError(f"vi equation {fn.name} is ranged; pair a one-sided or equality constraint")
            self.rows[k] = body - float(fn.ub if fn.lb is None else fn.lb)
        else:
            self.rows[k] = self._translate(fn, f"vi function paired with {pair.variable.name}")

    # ------------------------------------------------------------------ assembly
    def _assemble(self) -> MCP:
        missing = [c for k, c in enumerate(self.cols) if k not in self.rows]
        if missing:
            c = missing[0]
            raise ModelError(f"{c.variable} has no equation: dualvar {c.variable} names {c.equation}, which is "
                             f"not a constraint of any agent")
        n = len(self.cols)
        F = ca.vertcat(*(_as_sx(self.rows[k]) for k in range(n)))
        z = ca.vertcat(*self.syms)
        threshold = max(64, int(4 * math.sqrt(n)))
        dense = [len(ca.symvar(F[k])) > threshold for k in range(n)]
        lb = np.array([c.lb for c in self.cols])
        ub = np.array([c.ub for c in self.cols])
        pairs = pd.DataFrame({
            "kind": [c.kind for c in self.cols], "agent": [c.agent for c in self.cols],
            "variable": [c.variable for c in self.cols], "equation": [c.equation for c in self.cols],
            "side": [c.side for c in self.cols], "dense": dense})
        z0 = self._initial_point(z, lb, ub)
        outputs = {"objectives": self.objectives, "objective_vars": self.objective_vars}
        return MCP(z, F, lb, ub, z0, pairs, outputs, pyomo_vars=[c.var for c in self.cols],
                   lifted=sorted(self.total_grad))

    def _initial_point(self, z, lb, ub):
        """Pyomo's current values (0 where unset), projected on the bounds; aggregates evaluated from them.

        Aggregates may be defined through other aggregates, so their definitions are evaluated repeatedly until
        the values settle (at most one pass per nesting level; the definitions are acyclic).
        """
        z0 = np.array([0.0 if c.var is None or c.var.value is None else float(c.var.value) for c in self.cols])
        z0 = np.clip(z0, lb, ub)
        lifted = sorted(self.lifted_body)
        if lifted:
            h = ca.Function("h", [z], [ca.vertcat(*(_as_sx(self.lifted_body[k]) for k in lifted))])
            for _ in range(len(lifted) + 1):
                values = np.asarray(h(z0)).ravel()
                if np.array_equal(values, z0[lifted]):
                    break
                z0[lifted] = values
        return z0


def _as_sx(value) -> ca.SX:
    return value if isinstance(value, ca.SX) else ca.SX(float(value))


def _who(col: _Column) -> str:
    if col.kind == "stationarity":
        return f"agent '{col.agent}'"
    return {"vi": "a vi pair", "definition": f"the implicit definition {col.equation}",
            "multiplier": f"dualvar of {col.equation}"}[col.kind]


class _NamedRefs(StreamBasedExpressionVisitor):
    """Collect the named Expressions that an expression references directly (without entering them)."""

    def __init__(self):
        super().__init__()
        self.found = []

    def beforeChild(self, node, child, child_idx):
        if getattr(child, "is_named_expression_type", lambda: False)():
            self.found.append(child)
            return False, None
        return True, None

    def collect(self, expr):
        self.found = []
        if getattr(expr, "is_named_expression_type", lambda: False)():
            return [expr]
        if getattr(expr, "is_expression_type", lambda: False)():
            self.walk_expression(expr)
        return self.found


def _named_usage(problem) -> dict[int, set]:
    """``id(named Expression) -> set of consumers`` (agents, shared constraints, pairs, enclosing Expressions).

    A named Expression with two or more consumers is an aggregate and gets lifted.
    """
    visitor = _NamedRefs()
    usage: dict[int, set] = {}
    todo = []

    def record(expr, consumer):
        for named in visitor.collect(expr):
            if id(named) not in usage:
                usage[id(named)] = set()
                todo.append(named)
            usage[id(named)].add(consumer)

    for agent in problem.agents:
        obj = agent.objective
        record(obj.expr if isinstance(obj, ObjectiveData) else obj, ("agent", agent.name))
        for con in agent.constraints:
            record(con.body, ("agent", agent.name))
    for s in problem.shared:
        record(s.constraint.body, ("shared", id(s.constraint)))
    for n, pair in enumerate(problem.vi_pairs):
        fn = pair.function
        record(fn.body if isinstance(fn, ConstraintData) else fn, ("vi", n))
    for _var, con in problem.implicit:
        record(con.body, ("implicit", id(con)))
    while todo:
        named = todo.pop()
        if named.expr is not None:
            record(named.expr, ("expression", id(named)))
    return usage
