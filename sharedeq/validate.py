"""Checks of a declared problem before anything is differentiated: mistakes that would crash or mislead the solve.

:func:`validate` raises one :class:`~sharedeq.ModelError` that lists every problem found, each in the user's
names:

* an empty problem; an agent all of whose variables are fixed; an agent whose objective does not depend on any
  variable it controls (through named Expressions, and through the defining equality of a GAMS-style objective
  variable);
* a variable with lower bound above upper bound, a bound, start value or fixed value that is not a finite
  number, a constraint bound that is not finite, a NaN or infinity in an expression (a mutable Param by name,
  an immutable one through the model's Params with such a value, since Pyomo folds it into a number);
* a nonsmooth function (``abs``, ``min``, ``max``, ``Expr_if``, ``floor``, ``ceil``) of a variable that
  an agent differentiates: agent ``i``'s KKT conditions need the first derivatives of its objective and
  constraints with respect to its own variables (and through implicit variables), which these functions lack at
  their kinks, so the error says how to reformulate. Of other agents' variables only, or in a ``vi`` function,
  they are a parameter of the agent's problem and are accepted. The constraints of a VI (``add_vi(...,
  constraints=...)``, ``add_qvi``) are differentiated in the VI's own variables, and checked likewise.

Cost: each expression is walked once, each named Expression once however many agents use it, and the variable
set of a named Expression is computed once; an agent's dependence test then costs O(its variables times the named
Expressions in its objective). O(model size) overall.
"""

from __future__ import annotations

import math

import pyomo.environ as pyo
from pyomo.core.base.constraint import ConstraintData
from pyomo.core.base.objective import ObjectiveData
from pyomo.core.base.var import VarData
from pyomo.core.expr import numeric_expr as ne
from pyomo.core.expr.numvalue import native_numeric_types
from pyomo.core.expr.visitor import identify_variables

from sharedeq.errors import ModelError

MAX_LISTED = 20          # problems spelled out in one error; the rest are counted

_REFORMULATE = {
    "abs": "abs(x): split x = xp - xn with xp, xn >= 0 and use xp + xn, or a smooth approximation such as "
           "sqrt(x**2 + eps**2)",
    "max": "max(a, b): an auxiliary variable t >= a, t >= b (when t is pushed down), or a smooth approximation",
    "min": "min(a, b): an auxiliary variable t <= a, t <= b (when t is pushed up), or a smooth approximation",
    "Expr_if": "Expr_if: one model per branch, or a smooth blend of the branches",
    "floor": "floor() is piecewise constant: fix the integer part, or use a continuous model",
    "ceil": "ceil() is piecewise constant: fix the integer part, or use a continuous model",
}
_NONSMOOTH_NODES = {ne.AbsExpression: "abs", ne.MaxExpression: "max", ne.MinExpression: "min",
                    ne.Expr_ifExpression: "Expr_if"}
_NONSMOOTH_UNARY = {"floor", "ceil"}
_SUSPECT_NODES = set(_NONSMOOTH_NODES) | {ne.UnaryFunctionExpression}


def validate(problem) -> References:
    """Raise a ModelError listing every problem found in ``problem`` as declared (see the module docstring); else
    the named Expressions that each part of the problem references (what the KKT builder needs to decide which
    ones to lift, without walking the expressions again)."""
    checker = _Checker(problem)
    found = checker.run()
    if not found:
        return References(checker.consumers, {key: (checker.named_objects[key], walked.named)
                                              for key, walked in checker.named_walks.items()})
    if len(found) == 1:
        raise ModelError(found[0])
    listed = "\n".join(f"  - {text}" for text in found[:MAX_LISTED])
    more = f"\n  ... and {len(found) - MAX_LISTED} more" if len(found) > MAX_LISTED else ""
    raise ModelError(f"{len(found)} problems in '{problem.name}':\n{listed}{more}")


class References:
    """The named Expressions met in the walks: ``consumers`` maps each consumer, ``("agent", name)`` (objective and
    own constraints), ``("shared", id(constraint))``, ``("vi", pair number)`` or ``("implicit", id(constraint))``,
    to the named Expressions it references directly; ``inner`` maps ``id(named Expression)`` to ``(the
    Expression, the named Expressions its body references directly)``."""

    def __init__(self, consumers: dict, inner: dict):
        self.consumers = consumers
        self.inner = inner


class _Walked:
    """What one walk of an expression found: the variables and named Expressions it references directly, and its
    nonsmooth nodes as ``(function name, ids of the free variables below the node)``."""

    def __init__(self, variables, named, kinks):
        self.variables = variables
        self.named = named
        self.kinks = kinks


class _Checker:
    def __init__(self, problem):
        self.p = problem
        self.found: dict[str, None] = {}                  # messages in order, without repeats
        self.named_walks: dict[int, _Walked] = {}
        self.named_objects: dict[int, object] = {}          # id -> the named Expression (kept alive)
        self.consumers: dict[tuple, list] = {}              # see References
        self.named_vars: dict[int, frozenset] = {}
        self.named_kinks: dict[int, list] = {}
        self.nonfinite_params: list[str] | None = None
        self.owner = {id(v): a.name for a in problem.agents for v in a.variables}
        self.implicit = {id(var) for var, _ in problem.implicit}

    def run(self) -> list[str]:
        p = self.p
        if not p.agents and not p.vi_pairs:
            return [f"problem '{p.name}' is empty: declare agents with add_agent (or pairs with add_vi) "
                    f"before solving"]
        for var in self._declared_variables():
            self._variable(var)
        for agent in p.agents:
            self._agent(agent)
        for s in p.shared:
            if not s.agents:
                self.add(f"shared constraint {s.constraint.name} is shared with no agent")
            where = f"shared constraint {s.constraint.name}"
            sharing = set(s.agents)
            walked = self._constraint(s.constraint, where)
            self._consumes(("shared", id(s.constraint)), walked)
            self._kinks(walked, where,
                        lambda k, sharing=sharing: k in self.implicit or self.owner.get(k) in sharing,
                        "a sharing agent controls")
        for n, pair in enumerate(p.vi_pairs):
            fn = pair.function
            if isinstance(fn, ConstraintData):
                walked = self._constraint(fn, f"vi equation {fn.name}")
            else:
                walked = self._walk(fn, f"the vi function paired with {pair.variable.name} (pair {n})")
            self._consumes(("vi", n), walked)
        for b, block in enumerate(p.vi_blocks):
            self._vi_block(b, block)
        for var, con in p.implicit:
            where = f"the definition {con.name} of {var.name}"
            walked = self._constraint(con, where)
            self._consumes(("implicit", id(con)), walked)
            self._kinks(walked, where, lambda k: k in self.owner or k in self.implicit,
                        "an agent controls")
        return list(self.found)

    def add(self, text):
        self.found.setdefault(text, None)

    def _consumes(self, consumer: tuple, walked: _Walked) -> None:
        self.consumers.setdefault(consumer, []).extend(walked.named)

    # ------------------------------------------------------------------ variables
    def _declared_variables(self):
        seen = set()
        groups = [a.variables for a in self.p.agents] + [[pair.variable] for pair in self.p.vi_pairs]
        groups += [[var for var, _ in self.p.implicit], [var for var, _ in self.p.dualvars]]
        groups += [[a.objective] for a in self.p.agents if isinstance(a.objective, VarData)]
        for group in groups:
            for var in group:
                if id(var) not in seen:
                    seen.add(id(var))
                    yield var

    def _variable(self, var: VarData):
        """Bounds finite where given and ordered; the value finite (a start value, or the value if fixed)."""
        try:
            lb, ub = var.lb, var.ub
        except ValueError:
            self.add(f"variable {var.name} has a bound that is not a finite number (lower {_text(var.lower)}, "
                     f"upper {_text(var.upper)})")
            lb = ub = None
        if lb is not None and ub is not None and lb > ub:
            self.add(f"variable {var.name} has lower bound {lb} > upper bound {ub}")
        self._value(var)

    def _value(self, var: VarData):
        value = var.value
        if value is None or _finite(value):
            return
        if var.fixed:
            self.add(f"variable {var.name} is fixed at {value}; a fixed variable needs a finite value")
        else:
            self.add(f"variable {var.name} starts at {value} ({var.name}.value); give it a finite start value "
                     f"or None")

    # ------------------------------------------------------------------ agents
    def _agent(self, agent):
        objdef = agent.objective_definition()
        objective_var = agent.objective if objdef is not None else None
        own = [v for v in agent.variables if v is not objective_var and not v.fixed]
        if not own:
            names = _names(v for v in agent.variables if v is not objective_var)
            self.add(f"agent '{agent.name}': every variable it controls is fixed ({names}); unfix one, or remove "
                     f"the agent")
        obj = agent.objective
        if isinstance(obj, VarData) and objdef is None and not any(v is obj for v in agent.variables):
            self.add(f"agent '{agent.name}': objective variable {obj.name} is not one of its variables and no "
                     f"equality among its constraints defines it (GAMS 'min {obj.name}' with 'objdef'): pass the "
                     f"defining equality in constraints=..., or {obj.name} in variables=... to minimise it itself")
            return
        where = f"the objective of agent '{agent.name}'" if not isinstance(obj, ObjectiveData) else \
            f"objective {obj.name} (agent '{agent.name}')"
        mine = {id(v) for v in own} | self.implicit
        walked = self._walk(obj.expr if isinstance(obj, ObjectiveData) else obj, where)
        consumer = ("agent", agent.name)
        self._consumes(consumer, walked)
        self._kinks(walked, where, mine.__contains__, "it controls")
        for con in agent.constraints:
            con_where = f"constraint {con.name} (agent '{agent.name}')"
            defining = self._constraint(con, con_where)
            self._consumes(consumer, defining)
            self._kinks(defining, con_where, mine.__contains__, "it controls")
            if con is objdef:
                walked = defining
        if own and not self._depends_on(walked, own, exclude=objective_var):
            how = f" (through its definition {objdef.name})" if objdef is not None else ""
            self.add(f"agent '{agent.name}': {_describe_objective(obj)}{how} does not depend on any of its "
                     f"variables {_names(own)}; an agent must optimise over what it controls (check the objective "
                     f"and variables passed to add_agent)")

    def _vi_block(self, b, block):
        """A VI's constraints ``g`` enter its rows as ``grad_x g' mu``: differentiated in the VI's own variables
        ``x`` (and through implicit variables), not in others' or in a QVI's shadow copies."""
        own = [pair.variable for pair in self.p.vi_pairs if pair.block == b and not pair.variable.fixed]
        mine = {id(v) for v in own} | self.implicit
        for con in block.constraints:
            where = f"constraint {con.name} (the {block.statement} in {_names(own)})"
            self._kinks(self._constraint(con, where), where, mine.__contains__, "the VI controls")

    def _depends_on(self, walked: _Walked, own, exclude) -> bool:
        ids = {id(v) for v in own}
        if any(id(v) in ids and v is not exclude for v in walked.variables):
            return True
        return any(id(v) in self._named_variables(e) for e in walked.named for v in own)

    def _named_variables(self, expr) -> frozenset:
        """Ids of the variables in named Expression ``expr``, nested ones included (computed once per Expression)."""
        key = id(expr)
        if key not in self.named_vars:
            self.named_vars[key] = frozenset()                  # a cycle would otherwise recurse forever
            walked = self.named_walks[key]
            ids = {id(v) for v in walked.variables}
            for inner in walked.named:
                ids |= self._named_variables(inner)
            self.named_vars[key] = frozenset(ids)
        return self.named_vars[key]

    # ------------------------------------------------------------------ nonsmooth functions
    def _kinks(self, walked: _Walked, where: str, differentiated, whose: str):
        """Report each nonsmooth function in ``walked`` (named Expressions included) of a differentiated variable."""
        for function, ids, inside in self._all_kinks(walked):
            if any(differentiated(k) for k in ids):
                place = f"Expression {inside}, used in {where}," if inside else where
                self.add(f"{place} uses {function}() of a variable {whose}; it is not differentiable where it "
                         f"switches, and the KKT conditions need derivatives. Reformulate: {_REFORMULATE[function]}")

    def _all_kinks(self, walked: _Walked) -> list:
        """``(function, variable ids, None)`` of ``walked`` plus ``(..., Expression name)`` of its named ones."""
        out = [(function, ids, None) for function, ids in walked.kinks]
        for named in walked.named:
            out += self._named_kinks(named)
        return out

    def _named_kinks(self, expr) -> list:
        key = id(expr)
        if key not in self.named_kinks:
            self.named_kinks[key] = []                          # a cycle would otherwise recurse forever
            walked = self.named_walks[key]
            found = [(function, ids, expr.name) for function, ids in walked.kinks]
            for inner in walked.named:
                found += self._named_kinks(inner)
            self.named_kinks[key] = found
        return self.named_kinks[key]

    # ------------------------------------------------------------------ constraints and expressions
    def _constraint(self, con: ConstraintData, where: str) -> _Walked:
        try:
            _ = (con.lb, con.ub)
        except ValueError:
            self.add(f"{where} has a bound that is not a finite number (lower {_text(con.lower)}, "
                     f"upper {_text(con.upper)})")
        return self._walk(con.body, where)

    def _walk(self, expr, where: str) -> _Walked:
        """Walk ``expr`` once (named Expressions once each, wherever met); record what cannot be solved."""
        walked = self._walk_one(expr, where)
        todo = [e for e in walked.named if id(e) not in self.named_walks]
        while todo:
            named = todo.pop()
            if id(named) in self.named_walks:
                continue
            inner = self._walk_one(named.expr, f"Expression {named.name} (used in {where})")
            self.named_walks[id(named)] = inner
            self.named_objects[id(named)] = named
            todo.extend(e for e in inner.named if id(e) not in self.named_walks)
        return walked

    def _walk_one(self, expr, where: str) -> _Walked:
        """Direct variables and named Expressions of ``expr``, without entering the named ones."""
        variables, named, kinks = [], [], []
        stack = [expr]
        while stack:
            node = stack.pop()
            if type(node) in native_numeric_types:
                if not _finite(node):
                    self._nonfinite_number(node, where)
            elif node is None:
                self.add(f"{where} has no expression (it is None)")
            elif node.is_expression_type():
                if node.is_named_expression_type():
                    named.append(node)
                    continue
                if type(node) in _SUSPECT_NODES:
                    kinks += _kink(node)
                stack.extend(node.args)
            elif node.is_variable_type():
                variables.append(node)
                if node.fixed:
                    self._value(node)
            elif node.is_parameter_type():
                value = pyo.value(node, exception=False)
                if value is not None and not _finite(value):
                    self.add(f"Param {node.name} = {value} appears in {where}; parameters must be finite numbers")
        return _Walked(variables, named, kinks)

    def _nonfinite_number(self, number, where):
        if self.nonfinite_params is None:
            self.nonfinite_params = _nonfinite_params(self.p.model)
        source = f" (Params with such values: {', '.join(self.nonfinite_params[:5])})" if self.nonfinite_params \
            else ""
        self.add(f"{where} contains the number {number}{source}; data must be finite numbers")


def _kink(node) -> list:
    """``[(function, ids of the free variables below node)]`` if ``node`` is a nonsmooth function, else ``[]``."""
    function = _NONSMOOTH_NODES.get(type(node))
    if function is None and node.getname() in _NONSMOOTH_UNARY:
        function = node.getname()
    if function is None:
        return []
    return [(function, frozenset(id(v) for v in identify_variables(node) if not v.fixed))]


def _nonfinite_params(model) -> list[str]:
    """``name = value`` of every Param entry of ``model`` that is NaN or infinite (Pyomo folds immutable ones)."""
    out = []
    for param in model.component_objects(pyo.Param, descend_into=True):
        for index in param:
            value = pyo.value(param[index], exception=False)
            if type(value) in native_numeric_types and not _finite(value):
                out.append(f"{param.name}{_index_text(index)} = {value}")
    return out


def _index_text(index) -> str:
    if index is None:
        return ""
    return f"[{','.join(map(str, index))}]" if isinstance(index, tuple) else f"[{index}]"


def _finite(value) -> bool:
    try:
        return math.isfinite(value)
    except TypeError:
        return True


def _text(bound) -> str:
    return "none" if bound is None else str(bound)


def _names(variables, limit=5) -> str:
    names = [v.name for v in variables]
    return ", ".join(names[:limit]) + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def _describe_objective(obj) -> str:
    if isinstance(obj, ObjectiveData):
        return f"its objective {obj.name}"
    if isinstance(obj, VarData):
        return f"its objective variable {obj.name}"
    if getattr(obj, "is_named_expression_type", lambda: False)():
        return f"its objective Expression {obj.name}"
    return f"its objective {obj}"
