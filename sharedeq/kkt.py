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

from sharedeq.errors import ModelError
from sharedeq.mcp import MCP, RowJacobians, disjoint_row_groups, sx_segment_sums, sx_take, wide_rows
from sharedeq.translate import Translator
from sharedeq.validate import validate

INF = float("inf")


def build_mcp(problem, mode=None, weights=None, lift="auto") -> MCP:
    """The MCP of ``problem`` under ``mode`` ("gne", "ve" or None = as declared) and Rosen ``weights``."""
    references = validate(problem)
    builder = _KKTBuilder(problem, mode, weights, lift, references)
    mcp = builder.build()
    mcp.weight_derivatives = builder.weight_derivatives(mcp)
    return mcp


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
class _Request:
    """A function whose gradient enters stationarity rows, weighted per row's owning agent ``o``.

    Row ``k`` (owned by agent ``o``) receives ``(const + sum_p coef_p * scale[o] * z[col_p(o)]) * d expr / d z_k``
    for the rows that the request reaches: the agent's own variables (``agent`` set) or those of every sharing
    agent (``agents``, an array of agent indices). ``col_p`` is one column, or an array aligned with ``agents``
    (generalized Nash: each sharing agent's own multiplier); ``scale`` is indexed by agent.
    """

    expr: object
    agent: int | None = None
    agents: np.ndarray | None = None
    const: float = 0.0
    pieces: tuple = ()
    scale: np.ndarray | None = None


class _KKTBuilder:
    def __init__(self, problem, mode, weights, lift, references):
        if lift not in ("auto", "none"):
            raise ModelError(f"lift must be 'auto' or 'none', got {lift!r}")
        self.p = problem
        self.variational = problem.treatment(mode)
        if weights is not None and not any(self.variational.values()):
            raise ModelError("Rosen weights scale a shared multiplier: they need mode='ve' (or constraints "
                             "declared variational); in mode='gne' every agent has its own multiplier")
        self.weights = problem.rosen_weights(weights)
        self.lift = lift
        # the columns, field by field (a multiplier block extends each list at once, no record per column)
        self.col_kind: list[str] = []
        self.col_agent: list = []
        self.col_variable: list[str] = []
        self.col_equation: list[str] = []
        self.col_side: list[str] = []
        self.col_lb: list[float] = []
        self.col_ub: list[float] = []
        self.col_var: list = []
        self.var_cols: list[tuple[int, VarData]] = []       # (column, Pyomo variable) of the claimed columns
        self.syms: list = []                                # column -> its own symbol (None inside a block)
        self.z_parts: list[ca.SX] = []                      # z, in column order: single symbols and blocks
        self.owner: list[int] = []                          # column -> agent index (stationarity), else -1
        self.rows: dict[int, object] = {}
        self.row_blocks: list[tuple[np.ndarray, object]] = []   # (columns, their common F): multipliers
        self.linear_rows: dict[int, tuple] = {}             # id(row SX) -> (row, columns, coefficients) of dF/dz
        self.col_of_var: dict[int, int] = {}
        self.expand: dict[int, object] = {}                 # lifted/implicit column -> the h(z) it stands for
        self.lifted_body: dict[int, object] = {}            # lifted column -> its definition h(z)
        self.temp_syms: dict[int, ca.SX] = {}
        self.context = ""
        self.agent_index = {a.name: i for i, a in enumerate(problem.agents)}
        self.lifted_named = _aggregates(references)
        self.translate = Translator(self._variable, self._named)
        self.objectives: dict[str, object] = {}
        self.objective_vars: dict[str, tuple[VarData, object]] = {}
        self.requests: list[_Request] = []
        self.same_as: list[np.ndarray] = []                # pairs with the identical function (first leads)
        self.n_owners = len(problem.agents) + len(problem.vi_blocks)    # agents, then VIs with constraints
        self.vi_terms: dict[int, object] = {}               # column of a VI with constraints -> its F_k
        self.shadows: dict[int, tuple[ca.SX, VarData]] = {}  # QVI parameter -> (its symbol, the variable)

    # ------------------------------------------------------------------ columns and symbols
    def _new_column(self, col: _Column, owner: int = -1) -> int:
        k = len(self.col_kind)
        self.col_kind.append(col.kind)
        self.col_agent.append(col.agent)
        self.col_variable.append(col.variable)
        self.col_equation.append(col.equation)
        self.col_side.append(col.side)
        self.col_lb.append(col.lb)
        self.col_ub.append(col.ub)
        self.col_var.append(col.var)
        sym = ca.SX.sym(f"z{k}")
        self.syms.append(sym)
        self.z_parts.append(sym)
        self.owner.append(owner)
        if col.var is not None:
            self.col_of_var[id(col.var)] = k
            self.var_cols.append((k, col.var))
        return k

    def _claim(self, var: VarData, col: _Column, owners: dict, owner: int = -1) -> None:
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
        self._new_column(col, owner)

    def _variable(self, var: VarData):
        k = self.col_of_var.get(id(var))
        if k is not None:
            return self.syms[k]
        if id(var) in self.temp_syms:
            return self.temp_syms[id(var)]
        if id(var) in self.shadows:
            return self.shadows[id(var)][0]
        if var.fixed:
            if var.value is None:
                raise ModelError(f"{var.name} is fixed but has no value ({self.context})")
            return float(var.value)
        raise ModelError(f"{var.name} appears in {self.context} but no agent controls it and it is not fixed: "
                         f"add it to an agent's variables, pair it with add_vi, or fix it")

    def _named(self, expr, body):
        if self.lift == "none" or id(expr) not in self.lifted_named or not isinstance(body, ca.SX) \
                or body.is_constant():
            return body
        return self._lift(body, expr.name, f"{expr.name} definition")

    def _linear_form(self, body):
        """``(columns, coefficients)`` of ``body`` if the translator read it as a long linear row in the MCP's
        columns, else None."""
        form = self.translate.linear_forms.get(id(body))
        if form is None:
            return None
        cols = [self.col_of_var.get(id(var)) for var in form[2]]
        if any(k is None for k in cols):      # an objective variable or a QVI parameter: not a column
            return None
        coefs = np.array(form[1])
        nonzero = coefs != 0.0                # casadi drops 0 * x: so does the form
        return np.array(cols, dtype=int)[nonzero], coefs[nonzero]

    def _linear_row(self, row, body, sign, extra=()) -> None:
        """Record ``row = sign * body + (1 at the columns extra) + const`` when ``body`` is a known linear row."""
        form = self._linear_form(body)
        if form is not None:
            cols, coefs = form
            self.linear_rows[id(row)] = (row, np.r_[np.array(extra, dtype=int), cols],
                                         np.r_[np.ones(len(extra)), sign * coefs])

    def _lift(self, body, variable, equation) -> ca.SX:
        """A new MCP variable ``y`` with the pair ``y - body _|_ y free``; agents differentiate through it."""
        k = self._new_column(_Column("definition", None, variable, equation, "==", -INF, INF))
        self.rows[k] = self.syms[k] - body
        self._linear_row(self.rows[k], body, -1.0, (k,))
        self.lifted_body[k] = body
        self.expand[k] = body
        return self.syms[k]

    def _translate(self, expr, context):
        self.context = context
        return self.translate(expr)

    # ------------------------------------------------------------------ constraints
    def _sides(self, con: ConstraintData, body) -> list[tuple]:
        """``(side, coef, lb, ub, row)`` for each side of ``lb <= body <= ub``; ``row >= 0`` is the pair's F."""
        lo, up = con.lb, con.ub
        if lo is None and up is None:
            raise ModelError(f"constraint {con.name} has no bound")
        minus = self.translate.binary            # SX.binary: casadi's operator dispatch costs ~40 us a call
        if con.equality:
            sides = [("==", 1.0, -INF, INF, minus(ca.OP_SUB, body, float(up)))]
        else:
            sides = ([(">=", -1.0, 0.0, INF, minus(ca.OP_SUB, body, float(lo)))] if lo is not None else []) + \
                    ([("<=", 1.0, 0.0, INF, minus(ca.OP_SUB, float(up), body))] if up is not None else [])
        for side in sides:
            self._linear_row(side[4], body, -1.0 if side[0] == "<=" else 1.0)
        return sides

    def _pieces(self, con: ConstraintData, sides, agents, variables, equation: str) -> np.ndarray:
        """Multiplier columns ``cols[side, q]``: one per side of ``con`` (named ``equation``) and per agent
        ``agents[q]`` (the column's ``agent``; ``variables[q]`` its name), agent-major, created as one block of
        symbols; or the user's dualvar. Every column of a side is paired with that side's row (one function for all
        of them)."""
        override = self.dual_of.get(id(con))
        if override is not None:
            if len(sides) != 1:
                raise ModelError(f"dualvar {self.col_variable[override]}: constraint {equation} is ranged; "
                                 f"a dual variable needs a one-sided constraint or an equality")
            side, _, mlb, mub, row = sides[0]
            self.col_lb[override], self.col_ub[override], self.col_side[override] = mlb, mub, side
            cols = np.full((1, len(agents)), override)
        else:
            n_sides, n_agents = len(sides), len(agents)
            count, k = n_sides * n_agents, len(self.col_kind)
            suffixes = [""] if n_sides == 1 else ["_lo" if side[0] == ">=" else "_up" for side in sides]
            self.col_kind.extend(["multiplier"] * count)
            self.col_agent.extend(agents if n_sides == 1 else [a for a in agents for _ in range(n_sides)])
            self.col_variable.extend([v + suffix for v in variables for suffix in suffixes])
            self.col_equation.extend([equation] * count)
            self.col_side.extend([side[0] for side in sides] * n_agents)
            self.col_lb.extend([side[2] for side in sides] * n_agents)
            self.col_ub.extend([side[3] for side in sides] * n_agents)
            self.col_var.extend([None] * count)
            self.syms.extend([None] * count)
            self.owner.extend([-1] * count)
            self.z_parts.append(ca.SX.sym(f"z{k}", count))
            cols = (k + np.arange(count)).reshape(n_agents, n_sides).T
        for p_no, side in enumerate(sides):
            self.row_blocks.append((cols[p_no], side[4]))
        return cols

    # ------------------------------------------------------------------ the build
    def build(self) -> MCP:
        p = self.p
        owners: dict[int, str] = {}
        self.dual_of: dict[int, int] = {}
        own_constraints = {}
        for i, agent in enumerate(p.agents):
            objective_var = agent.objective if agent.objective_definition() is not None else None
            for var in agent.variables:
                if var is not objective_var:
                    name = var.name                  # Pyomo builds the name on every access (6 us)
                    self._claim(var, _Column("stationarity", agent.name, name, f"dL[{agent.name}]/d{name}",
                                             "", -INF, INF), owners, owner=i)
            for con in agent.constraints:
                own_constraints.setdefault(id(con), []).append(agent.name)
        n_agents = len(p.agents)
        for pair_no, pair in enumerate(p.vi_pairs):
            equation = pair.function.name if isinstance(pair.function, ConstraintData) else f"vi[{pair_no}]"
            owner = -1 if pair.block is None else n_agents + pair.block
            self._claim(pair.variable, _Column("vi", None, pair.variable.name, equation, "", -INF, INF), owners,
                        owner=owner)
            if pair.parameter is not None:
                self.shadows[id(pair.parameter)] = (ca.SX.sym(f"shadow_{pair.parameter.name}"), pair.variable)
        for var, con in p.implicit:
            self._claim(var, _Column("definition", None, var.name, con.name, "==", -INF, INF), owners)
        for var, con in p.dualvars:
            self._claim(var, _Column("multiplier", None, var.name, con.name, "", 0.0, INF), owners)
            self.dual_of[id(con)] = self.col_of_var[id(var)]
        self._check_shared(own_constraints)

        for var, con in p.implicit:
            self._implicit(var, con)
        self._shared_constraints()
        for i, agent in enumerate(p.agents):
            self._agent(i, agent)
        for pair_no, pair in enumerate(p.vi_pairs):
            self._vi(pair, pair_no)
        for b, block in enumerate(p.vi_blocks):
            self._vi_constraints(n_agents + b, block)
        return self._assemble()

    def weight_derivatives(self, mcp):
        """The stationarity rows' derivatives w.r.t. the multiplier columns that weight them, known without
        differentiating (:meth:`_Stationarity.rows`): ``(covered rows, rows, columns, SX values, weight columns)``,
        or None where a VI's function or a QVI's parameter could also depend on those columns. The covered rows
        (every stationarity row) depend on the weight columns through these entries only."""
        known = self.stationarity.weight_derivatives
        if known is None or self.shadows:
            return None
        if self.vi_terms and ca.depends_on(ca.vertcat(*(_as_sx(t) for t in self.vi_terms.values())),
                                           sx_take(mcp.z, known[3])):
            return None
        return (np.flatnonzero(np.array(self.owner) >= 0), *known)

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
        self.expand[k] = -(rest - float(con.ub)) / a

    def _shared_constraints(self) -> None:
        """Each shared constraint once: one multiplier (VE) or one per sharing agent (GNE, body lifted).

        A request reaches its sharing agents only (an index array), so N constraints shared by a few neighbours
        each cost O(N), not O(N^2)."""
        def several_symbols(expr, budget=256):
            """``len(symvar(expr)) > 1``, by a walk that stops at the second symbol (symvar walks all of a large
            expression: 0.05 s for a cap over 30,000 firms); symvar past ``budget`` nodes."""
            seen, stack = set(), [expr]
            for _ in range(budget):
                if not stack:
                    return False
                e = stack.pop()
                if e.is_symbolic():
                    seen.add(e.element_hash())
                    if len(seen) > 1:
                        return True
                elif not e.is_constant():
                    stack.extend(e.dep(i) for i in range(e.n_dep()))
            return len(ca.symvar(expr)) > 1

        scale = np.ones(self.n_owners)          # one array for every variational request: agent o sees lam / r_o
        scale[:len(self.p.agents)] = [1.0 / self.weights[a.name] for a in self.p.agents]
        for s in self.p.shared:
            con = s.constraint
            name = con.name
            body = self._translate(con.body, f"shared constraint {name}")
            members = np.array([self.agent_index[a] for a in s.agents], dtype=int)
            if self.variational[id(con)]:
                sides = self._sides(con, body)
                cols = self._pieces(con, sides, [None], [f"{name}.m"], name)
                self.requests.append(_Request(body, agents=members, scale=scale, pieces=_single(cols, sides)))
                continue
            if self.lift == "auto" and len(s.agents) > 1 and isinstance(body, ca.SX) and several_symbols(body):
                body = self._lift(body, f"{name}.body", f"{name} body definition")
            sides = self._sides(con, body)
            agents = list(s.agents)
            cols = self._pieces(con, sides, agents, [f"{name}.m[{a}]" for a in agents], name)
            self.same_as.extend(cols)          # every sharing agent's pair has the same function: one group
            self.requests.append(_Request(body, agents=members,
                                          pieces=tuple((cols[p_no], side[1]) for p_no, side in enumerate(sides))))

    def _objective(self, agent):
        """The agent's objective as SX in its own sense, and the GAMS-style defining equation if any."""
        obj = agent.objective
        objdef = agent.objective_definition()
        if objdef is not None:
            return self._objective_variable(agent, obj, objdef), objdef
        expr = obj.expr if isinstance(obj, ObjectiveData) else obj
        return self._translate(expr, f"the objective of agent '{agent.name}'"), None

    def _objective_variable(self, agent, var, con):
        """GAMS ``min obj`` with ``objdef.. obj =e= expr``: eliminate ``obj`` through its defining equality."""
        self.temp_syms[id(var)] = sym = ca.SX.sym(f"obj_{agent.name}")
        body = self._translate(con.body, f"{con.name} (agent '{agent.name}')")
        a = ca.jacobian(body, sym) if isinstance(body, ca.SX) else ca.SX(0)
        if ca.symvar(a) or float(ca.evalf(a)) == 0.0:
            raise ModelError(f"agent '{agent.name}': {con.name} must define {var.name} linearly")
        f = (float(con.ub) - ca.substitute(body, sym, ca.SX(0))) / float(ca.evalf(a))
        self.objective_vars[agent.name] = (var, f)
        return f

    def _agent(self, i, agent):
        """Agent ``i``'s objective and own constraints, as gradient requests on its own variables."""
        f, objdef = self._objective(agent)
        self.objectives[agent.name] = f
        self.requests.append(_Request(f, agent=i, const=-1.0 if agent.sense == "max" else 1.0))
        for con in agent.constraints:
            if con is objdef:
                continue
            name = con.name
            body = self._translate(con.body, f"constraint {name} of agent '{agent.name}'")
            self._check_free_of_objective_vars(body, con)
            sides = self._sides(con, body)
            cols = self._pieces(con, sides, [agent.name], [f"{name}.m"], name)
            self.requests.append(_Request(body, agent=i, pieces=_single(cols, sides)))

    def _check_free_of_objective_vars(self, body, con):
        if isinstance(body, ca.SX) and self.temp_syms:
            for _var_id, sym in self.temp_syms.items():
                if ca.depends_on(body, sym):
                    raise ModelError(f"{con.name} uses an objective variable that is eliminated through its "
                                     f"defining equation; only the defining equation may contain it")

    def _vi(self, pair, pair_no):
        """``F _|_ variable``; a pair whose variable is fixed is dropped with its function (as GAMS does)."""
        k = self.col_of_var.get(id(pair.variable))
        if k is None:
            return
        where = pair.function.name if isinstance(pair.function, ConstraintData) else f"pair {pair_no}"
        expr = pair.expression()
        F = self._translate(expr, f"vi function {where} paired with {pair.variable.name}")
        if pair.block is None:
            self.rows[k] = F
        else:
            self.vi_terms[k] = F

    def _vi_constraints(self, owner, block):
        """The constraints ``g`` of a VI: ``grad_x g' mu`` joins the rows of the VI's own variables ``x`` only."""
        for con in block.constraints:
            name = con.name
            body = self._translate(con.body, f"constraint {name} of a {block.statement}")
            sides = self._sides(con, body)
            cols = self._pieces(con, sides, ["(vi)"], [f"{name}.m"], name)
            self.requests.append(_Request(body, agent=owner, pieces=_single(cols, sides)))

    # ------------------------------------------------------------------ assembly
    def _assemble(self) -> MCP:
        n = len(self.col_kind)
        # the pairs whose F is not a stationarity row, as (column, index of its function among the distinct ones):
        # the columns of a multiplier block share one function, so this is index arithmetic, not one SX per pair
        functions, distinct = [], {}             # the distinct functions; id of one -> its index

        def function_index(row) -> int:
            if id(row) not in distinct:
                distinct[id(row)] = len(functions)
                functions.append(row)
            return distinct[id(row)]

        other = [np.fromiter(self.rows, dtype=int, count=len(self.rows))]
        which = [np.array([function_index(r) for r in self.rows.values()], dtype=int)]
        for cols, row in self.row_blocks:
            other.append(cols)
            which.append(np.full(cols.size, function_index(row)))
        other, which = np.concatenate(other).astype(int), np.concatenate(which)
        if other.size:                          # a dualvar's constraint met twice: the last function stands
            _, last = np.unique(other[::-1], return_index=True)
            other, which = other[other.size - 1 - last], which[other.size - 1 - last]
        has_row = np.zeros(n, dtype=bool)
        has_row[other] = True
        has_row[list(self.vi_terms)] = True
        missing = [k for k in np.flatnonzero(~has_row) if self.col_kind[k] != "stationarity"]
        if missing:
            variable, equation = self.col_variable[missing[0]], self.col_equation[missing[0]]
            raise ModelError(f"{variable} has no equation: dualvar {variable} names {equation}, which is "
                             f"not a constraint of any agent")
        z = ca.vertcat(*self.z_parts)
        self.stationarity = builder = _Stationarity(z, np.array(self.owner, dtype=int), self.expand,
                                                    self._linear_form)
        stationarity, threshold = builder.rows(self.requests), builder.threshold
        stat_rows = np.flatnonzero(np.array(self.owner) >= 0)
        width = np.zeros(n, dtype=int)          # entries of each row of dF/dz
        if stat_rows.size:
            width[stat_rows] = np.bincount(ca.jacobian_sparsity(stationarity[stat_rows.tolist()], z).get_triplet()[0],
                                           minlength=stat_rows.size)
        F = stationarity
        for k, term in self.vi_terms.items():
            F[k] = F[k] + term
        if other.size:
            stack = ca.vertcat(*(_as_sx(f) for f in functions))
            where = np.arange(n)
            where[other] = n + which
            F = sx_take(ca.vertcat(F, stack), where)
            # how many variables each distinct function depends on: one sparsity pattern for all (a symvar per row
            # cost 0.09 s per aggregate definition at N = 10,000)
            counts = np.bincount(ca.jacobian_sparsity(stack, z).get_triplet()[0], minlength=len(functions))
            width[other] = counts[which]
        dense = width > threshold
        if self.shadows:       # a QVI parameter takes its variable's value once every derivative is taken
            shadow = [sym for sym, _ in self.shadows.values()]
            target = [self._variable(var) for _, var in self.shadows.values()]
            F = ca.substitute(F, ca.vertcat(*shadow), ca.vertcat(*(_as_sx(t) for t in target)))
        lb = np.array(self.col_lb, dtype=float)
        ub = np.array(self.col_ub, dtype=float)
        same_as = np.arange(n)
        for group in self.same_as:
            if group.size:
                same_as[group] = group[0]
        pairs = pd.DataFrame({
            "kind": self.col_kind, "agent": self.col_agent, "variable": self.col_variable,
            "equation": self.col_equation, "side": self.col_side, "dense": dense, "width": width,
            "same_as": same_as})
        z0 = self._initial_point(z, lb, ub)
        # "shadows": (QVI parameter, its variable) pairs; a solution gives the parameter its variable's value
        outputs = {"objectives": self.objectives, "objective_vars": self.objective_vars,
                   "shadows": [(pair.parameter, pair.variable) for pair in self.p.vi_pairs
                               if pair.parameter is not None]}
        return MCP(z, F, lb, ub, z0, pairs, outputs, pyomo_vars=list(self.col_var), lifted=sorted(self.expand),
                   polynomial_jacobian=self._linear_jacobian(other, which, functions, same_as, n))

    def _linear_jacobian(self, other, which, functions, same_as, n):
        """:attr:`MCP.polynomial_jacobian` of the pairs (first of their kind) whose F is a long linear row (a
        multiplier's slack ``K - u'x``, an aggregate's definition ``y - sum x``): ``(rows, dF/dz, all linear)``
        from the coefficients, so that no one differentiates them (each was one reverse sweep over all of z)."""
        import scipy.sparse as sp  # here, not at import: scipy is loaded only when something is solved

        if not other.size or not self.linear_rows:
            return None
        known = np.array([id(f) in self.linear_rows for f in functions])
        chosen = np.flatnonzero((same_as[other] == other) & known[which])
        if not chosen.size:
            return None
        forms = [self.linear_rows[id(functions[which[c]])] for c in chosen]
        row_of_entry = np.concatenate([np.full(form[1].size, r) for r, form in enumerate(forms)])
        J = sp.csc_matrix((np.concatenate([form[2] for form in forms]),
                           (row_of_entry, np.concatenate([form[1] for form in forms]))), shape=(chosen.size, n))
        J.sum_duplicates()
        jacobian = ca.SX(ca.DM(ca.Sparsity(chosen.size, n, J.indptr.tolist(), J.indices.tolist()), J.data))
        return other[chosen], jacobian, np.ones(chosen.size, dtype=bool)

    def _initial_point(self, z, lb, ub):
        """Pyomo's current values (0 where unset), projected on the bounds; aggregates evaluated from them.

        Aggregates may be defined through other aggregates, so their definitions are evaluated repeatedly until
        the values settle (at most one pass per nesting level; the definitions are acyclic).
        """
        z0 = np.zeros(len(self.col_kind))
        for k, var in self.var_cols:
            if var.value is not None:
                z0[k] = float(var.value)
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


class _Stationarity:
    """All stationarity rows at once: ``dL_o/dz_k`` for every column ``k`` owned by agent ``o``.

    Gradients come from a few casadi Jacobians (the functions stacked and differentiated together in forward
    mode, each dense function on its own in reverse mode), the chain rule through the lifted columns is applied
    with index arithmetic on their total gradients (all computed together), and the weighted terms are summed
    into rows by one sparse product. Cost: O(total size of the expressions), with no per-agent or per-constraint
    casadi call: a call on the whole ``z`` costs O(len(z)), so one per row would make the assembly quadratic.
    """

    def __init__(self, z: ca.SX, owner: np.ndarray, expand: dict, linear_form=lambda expr: None):
        self.z = z
        self.linear_form = linear_form            # expr -> (columns, coefficients) of a known linear row, or None
        self.n = int(z.shape[0])
        self.owner = owner
        self.n_owners = int(owner.max(initial=-1)) + 1
        self.expand = expand
        self.expandable = np.zeros(self.n, dtype=bool)
        self.expandable[list(expand)] = True
        self.threshold = max(64, int(4 * math.sqrt(self.n)))   # a row with more nonzeros is dense
        self.z_ext = ca.vertcat(z, ca.SX(0))                  # z with a structural 0 at index n (no column)
        self._gradients = None                                 # (start, cols, owners, values) of every h_a
        self._differentiated = np.zeros(self.n, dtype=bool)   # the columns some differentiated function reads

    # -------------------------------------------------------------- gradients
    def _direct(self, exprs, batch: bool):
        """Jacobian entries of ``exprs`` w.r.t. ``z``: (expression index, column, SX vector of values)."""
        idx = [i for i, e in enumerate(exprs) if isinstance(e, ca.SX) and not e.is_constant()]
        rows, cols, vals = [], [], []
        known = {i: form for i in idx if (form := self.linear_form(exprs[i])) is not None}
        if known:                              # long linear rows: the gradient is their coefficients
            rows += [np.full(form[0].size, i) for i, form in known.items()]
            cols += [form[0] for form in known.values()]
            vals.append(ca.SX(ca.DM(np.concatenate([form[1] for form in known.values()]))))
            idx = [i for i in idx if i not in known]

        def take(jac, which):
            r, c = jac.sparsity().get_triplet()
            rows.append(np.asarray(which, dtype=int)[np.asarray(r, dtype=int)])
            cols.append(np.asarray(c, dtype=int))
            vals.append(ca.vec(jac.nz[:]))

        groups = [[i] for i in idx]
        if batch and len(idx) > 1:
            stack = ca.vertcat(*(exprs[i] for i in idx))
            counts = np.bincount(ca.jacobian_sparsity(stack, self.z).get_triplet()[0], minlength=len(idx))
            apart = (counts > self.threshold) | wide_rows(counts)
            local = np.flatnonzero(~apart)
            if local.size:
                take(ca.jacobian(stack[local.tolist()], self.z), np.asarray(idx)[local])
            # the dense and wide ones alone, or together where their columns do not overlap (one reverse sweep)
            groups = [np.asarray(idx)[g].tolist() for g in disjoint_row_groups(stack, np.flatnonzero(apart), self.z)]
        differentiate = RowJacobians(self.z, len(groups))
        for group in groups:
            take(differentiate(ca.vertcat(*(exprs[i] for i in group))), group)
        if not rows:
            return np.zeros(0, int), np.zeros(0, int), ca.SX(0, 1)
        cols = np.concatenate(cols)
        self._differentiated[cols] = True
        return np.concatenate(rows), cols, ca.vertcat(*vals)

    def _total_gradients(self):
        """``d h_a / d z`` over non-lifted columns for every lifted column ``a``, by the chain rule, as one table:
        entries ``start[a]:start[a + 1]`` of (cols, keys, values), sorted by ``key = a * n_owners + owner``."""
        if self._gradients is not None:
            return self._gradients
        lifted = np.array(sorted(self.expand), dtype=int)
        fid, cols, vals = self._direct([self.expand[int(a)] for a in lifted], batch=True)
        fid = lifted[fid] if fid.size else fid
        resolved: dict[int, tuple] = {}

        def resolve(a, visiting):             # a definition that reads other lifted columns (rare): recurse
            if a in resolved:
                return resolved[a]
            if a in visiting:
                raise ModelError("the implicit or aggregate definitions are cyclic")
            mine = np.flatnonzero(fid == a)
            plain_entries = mine[~self.expandable[cols[mine]]]
            out_c, out_v = [cols[plain_entries]], [sx_take(vals, plain_entries)]
            for e in mine[self.expandable[cols[mine]]]:
                inner_c, inner_v = resolve(int(cols[e]), visiting | {a})
                out_c.append(inner_c)
                out_v.append(vals[int(e)] * inner_v)
            resolved[a] = (np.concatenate(out_c), ca.vertcat(*out_v))
            return resolved[a]

        nested = np.unique(fid[self.expandable[cols]]) if cols.size else np.zeros(0, int)
        for a in nested:
            resolve(int(a), frozenset())
        plain = ~np.isin(fid, nested)            # definitions over plain columns only: taken as they are
        parts_a, parts_c, parts_v = [fid[plain]], [cols[plain]], [sx_take(vals, np.flatnonzero(plain))]
        for a in nested:
            c, v = resolved[int(a)]
            parts_a.append(np.full(c.size, a))
            parts_c.append(c)
            parts_v.append(v)
        a_all, c_all = np.concatenate(parts_a), np.concatenate(parts_c)
        v_all = ca.vertcat(*parts_v)
        order = np.lexsort((self.owner[c_all], a_all))
        start = np.zeros(self.n + 1, dtype=int)
        np.add.at(start, a_all + 1, 1)
        start = np.cumsum(start)
        key = a_all[order].astype(np.int64) * max(self.n_owners, 1) + self.owner[c_all[order]]
        self._gradients = (start, c_all[order], key, sx_take(v_all, order))
        return self._gradients

    def _chain(self, fid, cols, vals):
        """Entries ``(function fid, column, value)`` with those at lifted columns replaced by ``value`` times the
        lifted column's total gradient."""
        via = np.flatnonzero(self.expandable[cols])
        if not via.size:
            return fid, cols, vals
        start, g_cols, _, g_vals = self._total_gradients()
        count = start[cols[via] + 1] - start[cols[via]]
        t = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count) + np.repeat(start[cols[via]], count)
        e = np.repeat(via, count)
        keep = np.flatnonzero(~self.expandable[cols])
        return (np.concatenate([fid[keep], fid[e]]), np.concatenate([cols[keep], g_cols[t]]),
                ca.vertcat(sx_take(vals, keep), sx_take(vals, e) * sx_take(g_vals, t)))

    # -------------------------------------------------------------- the rows
    def rows(self, requests) -> ca.SX:
        """The n-vector whose stationarity entries are the agents' Lagrangian derivatives (0 elsewhere).

        Each term is ``weight * value`` with ``weight = const + sum_p coef_p z[col_p]`` (the multipliers that price a
        constraint, or 1 for an objective). When no value depends on those weight columns, their derivatives are
        known without differentiating: ``d row / d z[col_p] = sum of coef_p * value`` over the row's terms; they
        are kept as :attr:`weight_derivatives` (rows, columns, SX values) for :class:`~sharedeq.jacobian.MCPJacobian`,
        else that is None."""
        self.weight_derivatives = None
        terms = [self._own_terms([r for r in requests if r.agent is not None]),
                 self._shared_terms([r for r in requests if r.agent is None])]
        terms = [t for t in terms if t[0].size]
        if not terms:
            return ca.SX.zeros(self.n, 1)
        target = np.concatenate([t[0] for t in terms])
        const = np.concatenate([t[1] for t in terms])
        n_pieces = max(t[2].shape[1] for t in terms)
        coefs = np.vstack([np.pad(t[2], ((0, 0), (0, n_pieces - t[2].shape[1]))) for t in terms])
        cols = np.vstack([np.pad(t[3], ((0, 0), (0, n_pieces - t[3].shape[1])), constant_values=-1) for t in terms])
        values = ca.vertcat(*(t[4] for t in terms))
        weights = self._weighted(const, coefs, cols)
        self._derivatives_of_weights(target, coefs, cols, values)
        return sx_segment_sums(weights * values, target, self.n)

    def _derivatives_of_weights(self, target, coefs, cols, values) -> None:
        """:attr:`weight_derivatives` (see :meth:`rows`), when the values do not depend on the weight columns (a
        value is a derivative of a function that does not read them: no differentiated function reads them)."""
        used = cols >= 0
        weight_columns = np.unique(cols[used])
        if not weight_columns.size or self._differentiated[weight_columns].any():
            return
        term, piece = np.nonzero(used)
        self.weight_derivatives = (target[term], cols[term, piece],
                                   ca.DM(coefs[term, piece]) * sx_take(values, term), weight_columns)

    def _weighted(self, const, coefs, cols) -> ca.SX:
        """``const + sum_p coefs[:, p] * z[cols[:, p]]`` for each term (a column < 0 contributes nothing)."""
        out = ca.DM(const)
        for p in range(coefs.shape[1]):
            col = np.where(cols[:, p] >= 0, cols[:, p], self.n)
            out = out + ca.DM(coefs[:, p]) * self.z_ext[col.tolist()]
        return out

    def _own_terms(self, requests):
        """Objectives and own constraints: entries on the requesting agent's own columns, chain rule grouped."""
        if not requests:
            return (np.zeros(0, int),)
        agent_of = np.array([r.agent for r in requests])
        fid, cols, vals = self._direct([r.expr for r in requests], batch=True)
        direct = np.flatnonzero(~self.expandable[cols] & (self.owner[cols] == agent_of[fid]))
        parts_f, parts_k, parts_v = [fid[direct]], [cols[direct]], [sx_take(vals, direct)]
        via = np.flatnonzero(self.expandable[cols])
        if via.size:                            # through lifted columns: only the entries on the agent's own
            _, g_cols, g_key, g_vals = self._total_gradients()
            wanted = cols[via].astype(np.int64) * max(self.n_owners, 1) + agent_of[fid[via]]
            lo, hi = np.searchsorted(g_key, wanted, "left"), np.searchsorted(g_key, wanted, "right")
            count = hi - lo
            t = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count) + np.repeat(lo, count)
            e = np.repeat(via, count)
            parts_f.append(fid[e])
            parts_k.append(g_cols[t])
            parts_v.append(sx_take(vals, e) * sx_take(g_vals, t))
        fid, target = np.concatenate(parts_f), np.concatenate(parts_k)
        n_pieces = max(len(r.pieces) for r in requests)
        coef, col = np.zeros((len(requests), n_pieces)), np.full((len(requests), n_pieces), -1)
        for r_no, r in enumerate(requests):
            for p_no, (c, k) in enumerate(r.pieces):
                col[r_no, p_no], coef[r_no, p_no] = c, k
        const = np.array([r.const for r in requests])
        return target, const[fid], coef[fid], col[fid], ca.vertcat(*parts_v)

    def _shared_terms(self, requests):
        """Shared constraints: entries on the columns of each constraint's sharing agents, weighted by the
        multiplier that agent prices it with."""
        if not requests:
            return (np.zeros(0, int),)
        fid, cols, vals = self._chain(*self._direct([r.expr for r in requests], batch=True))
        # (request, sharing agent) pairs, flattened; the per-pair multiplier columns and coefficients
        sizes = np.array([r.agents.size for r in requests])
        pair_req = np.repeat(np.arange(len(requests)), sizes)
        pair_agent = np.concatenate([r.agents for r in requests])
        n_pieces = max(len(r.pieces) for r in requests)
        pair_col, pair_coef = np.full((pair_req.size, n_pieces), -1), np.zeros((pair_req.size, n_pieces))
        offset = np.r_[0, np.cumsum(sizes)]
        for r_no, r in enumerate(requests):
            span = slice(offset[r_no], offset[r_no + 1])
            scale = r.scale[r.agents] if r.scale is not None else 1.0
            for p_no, (c, k) in enumerate(r.pieces):
                pair_col[span, p_no] = c
                pair_coef[span, p_no] = k * scale
        # keep the entries on a sharing agent's column, and find that (request, agent) pair
        agent = self.owner[cols]
        width = max(self.n_owners, 1)
        keys = pair_req.astype(np.int64) * width + pair_agent
        order = np.argsort(keys, kind="stable")
        entry = fid.astype(np.int64) * width + np.maximum(agent, 0)
        pos = np.minimum(np.searchsorted(keys[order], entry), keys.size - 1)
        keep = np.flatnonzero((agent >= 0) & (keys[order][pos] == entry))
        which = order[pos[keep]]
        return cols[keep], np.zeros(keep.size), pair_coef[which], pair_col[which], sx_take(vals, keep)


def _single(cols, sides) -> tuple:
    """:attr:`_Request.pieces` of a constraint with one multiplier column per side (``cols[side, 0]``)."""
    return tuple((int(cols[p_no, 0]), side[1]) for p_no, side in enumerate(sides))


def _as_sx(value) -> ca.SX:
    return value if isinstance(value, ca.SX) else ca.SX(float(value))


def _who(col: _Column) -> str:
    if col.kind == "stationarity":
        return f"agent '{col.agent}'"
    return {"vi": "a vi pair", "definition": f"the implicit definition {col.equation}",
            "multiplier": f"dualvar of {col.equation}"}[col.kind]


def _named_usage(references) -> dict[int, set]:
    """``id(named Expression) -> set of consumers`` (agents, shared constraints, pairs, enclosing Expressions), from
    the walks of :func:`~sharedeq.validate.validate`. See :func:`_aggregates` for which of them are lifted."""
    usage: dict[int, set] = {}
    for consumer, named in references.consumers.items():
        for expr in named:
            usage.setdefault(id(expr), set()).add(consumer)
    for key, (expr, named) in references.inner.items():
        usage.setdefault(key, set())
        if expr.expr is not None:
            for inner in named:
                usage.setdefault(id(inner), set()).add(("expression", key))
    return usage


def _aggregates(references) -> set[int]:
    """Ids of the named Expressions to lift: those that two or more consumers reach, directly or through other
    named Expressions (an inner sum used only inside a lifted price is still an aggregate: inlining it would put
    the whole sum into every agent's derivative of the price)."""
    usage = _named_usage(references)
    reach: dict[int, set] = {}

    def roots(key, seen=()):
        if key not in reach:
            out: set = set()
            for consumer in usage.get(key, ()):
                if consumer[0] == "expression" and consumer[1] not in seen:
                    out |= roots(consumer[1], seen + (key,))
                else:
                    out.add(consumer)
                if len(out) >= 2:
                    break
            reach[key] = out
        return reach[key]

    return {key for key in usage if len(roots(key)) >= 2}
