"""Declaring an equilibrium problem: agents, ownership, shared constraints and complementarity pairs.

An :class:`EquilibriumProblem` annotates an ordinary Pyomo model, the way GAMS EMP's ``empinfo`` file annotates a
GAMS model. Agent ``i`` solves

    min_{x_i}  f_i(x_i, x_{-i})   s.t.  g_i(x_i, x_{-i}) <= 0,  h_i(x_i, x_{-i}) = 0,   lb_i <= x_i <= ub_i

where some constraints are *shared*: they appear in the problems of several agents. In generalized Nash mode
(``"gne"``) every agent has its own multiplier for a shared constraint; in variational mode (``"ve"``, EMP's
``VIsol``) all agents use one multiplier ``lam`` (with Rosen weights ``r``, agent ``i``'s multiplier is
``lam / r_i``). Complementarity pairs ``F(x) _|_ y`` (EMP ``vi``), implicit variables defined by an equation
(EMP ``implicit``) and variables that are the multiplier of a constraint (EMP ``dualvar``) complete the picture.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyomo.environ as pyo
from pyomo.core.base.block import BlockData
from pyomo.core.base.component import Component, ComponentData
from pyomo.core.base.constraint import ConstraintData
from pyomo.core.base.expression import ExpressionData
from pyomo.core.base.objective import ObjectiveData
from pyomo.core.base.var import VarData
from pyomo.core.expr.visitor import identify_variables

from sharedeq.errors import ModelError

MODES = ("gne", "ve")


@dataclass
class Agent:
    """One optimising agent: its objective (as given), sense, the variables it controls, its own constraints."""

    name: str
    objective: object
    sense: str
    variables: list[VarData]
    constraints: list[ConstraintData]

    def objective_definition(self) -> ConstraintData | None:
        """The equality among the agent's constraints that contains its objective variable (GAMS ``objdef``).

        None when the objective is not a variable, or is a variable that no equality of the agent contains: then
        the variable is an ordinary linear objective (minimise ``u`` over the agent's feasible set).
        """
        if not isinstance(self.objective, VarData):
            return None
        return next((c for c in self.constraints if c.equality and
                     any(v is self.objective for v in identify_variables(c.body))), None)


@dataclass
class SharedConstraint:
    """A constraint in the problems of several agents; ``variational`` means one common multiplier (VIsol).

    ``declared_agents`` is the tuple of agent names given to :meth:`EquilibriumProblem.add_shared`, or None for
    every agent of ``problem``; :attr:`agents` resolves it when read, so an agent declared later shares too.
    """

    constraint: ConstraintData
    declared_agents: tuple[str, ...] | None
    variational: bool = False
    problem: EquilibriumProblem | None = field(default=None, repr=False, compare=False)

    @property
    def agents(self) -> tuple[str, ...]:
        """The names of the agents whose problems contain the constraint."""
        if self.declared_agents is not None:
            return self.declared_agents
        return self.problem.agent_names if self.problem is not None else ()


@dataclass
class VIPair:
    """A complementarity pair ``F(x) _|_ variable`` with the variable kept within its bounds (EMP ``vi``).

    ``function`` is a Pyomo expression, a constraint, or 0 (the zero function: the variable is only held by its
    bounds and the constraints of its VI). ``flip`` negates it (EMP ``-F``). ``parameter`` is a QVI's shadow
    copy of the variable (EMP ``qvi F y x``): it stands for the variable's value but is never differentiated.
    ``block`` indexes :attr:`EquilibriumProblem.vi_blocks` when the pair belongs to a VI with constraints.
    """

    function: object
    variable: VarData
    flip: bool = False
    parameter: VarData | None = None
    block: int | None = None

    def expression(self):
        """``F`` as a Pyomo expression (or 0), in the orientation the pair's variable needs.

        An equality ``body == rhs`` gives ``body - rhs`` (GAMS ``=e=``/``=n=``: left minus right side). An
        inequality is oriented by the variable's bounds, so that ``F`` has the sign its bound asks for exactly
        when the inequality holds (GAMS's ``=g=`` with a lower bound, ``=l=`` with an upper bound): a variable
        with only a lower bound gets ``body - lb`` (or ``ub - body``), one with only an upper bound
        ``body - ub`` (or ``lb - body``); a free or doubly bounded one gets ``body - bound``. ``flip`` negates
        the result of an equality or an expression; it leaves an inequality's orientation unchanged.
        """
        fn, var = self.function, self.variable
        if not isinstance(fn, ConstraintData):
            return -fn if self.flip else fn
        lo, up = fn.lower, fn.upper
        if fn.equality:
            return -(fn.body - up) if self.flip else fn.body - up
        if lo is not None and up is not None:
            raise ModelError(f"vi equation {fn.name} is ranged; pair a one-sided or equality constraint")
        lower_only = var.lb is not None and var.ub is None
        upper_only = var.ub is not None and var.lb is None
        if lo is not None:
            return lo - fn.body if upper_only else fn.body - lo
        return up - fn.body if lower_only else fn.body - up


@dataclass
class VIBlock:
    """A VI with constraints (EMP ``vi F x g``, ``qvi F y x g``, ``dualequ H y``): its pairs' variables ``x``
    solve ``F(x)'(v - x) >= 0`` for every ``v`` in ``K = {v : constraints hold}``, where the constraints may
    depend on other agents' variables (a QVI): they are differentiated with respect to ``x`` only. ``statement``
    is the EMP keyword it was declared with (``to_empinfo`` writes it back)."""

    constraints: list[ConstraintData]
    statement: str = "vi"


@dataclass
class EquilibriumProblem:
    """A Pyomo model annotated with agents, shared constraints and complementarity pairs.

    Build it with :meth:`add_agent` (or :meth:`add_agent_block`), :meth:`add_shared`, :meth:`add_vi`,
    :meth:`add_implicit` and :meth:`add_dualvar`, then call :meth:`solve`.
    """

    model: pyo.ConcreteModel
    name: str = "equilibrium"
    agents: list[Agent] = field(default_factory=list)
    shared: list[SharedConstraint] = field(default_factory=list)
    vi_pairs: list[VIPair] = field(default_factory=list)
    vi_blocks: list[VIBlock] = field(default_factory=list)
    implicit: list[tuple[VarData, ConstraintData]] = field(default_factory=list)
    dualvars: list[tuple[VarData, ConstraintData]] = field(default_factory=list)
    _by_name: dict[str, Agent] = field(default_factory=dict, init=False, repr=False, compare=False)
    _shared_by_agent: dict[str, list[SharedConstraint]] | None = field(default=None, init=False, repr=False,
                                                                        compare=False)
    _shared_by_id: dict[int, SharedConstraint] = field(default_factory=dict, init=False, repr=False, compare=False)

    # ------------------------------------------------------------------ declaring
    def add_agent(self, name, objective, variables, constraints=(), sense=None) -> Agent:
        """Declare agent ``name`` minimising (or maximising) ``objective`` over ``variables``.

        ``objective`` is an Objective, a named Expression, a Pyomo expression, or a variable defined by an
        equality among ``constraints`` (GAMS style ``min obj(i)`` with ``objdef(i)``).
        """
        name = str(name)
        if name in self._by_name:
            raise ModelError(f"agent '{name}' is declared twice; agent names must be unique")
        objective, declared_sense = _single_objective(objective, name)
        sense = _sense(sense if sense is not None else declared_sense, name)
        if isinstance(objective, ObjectiveData) and sense != declared_sense:
            raise ModelError(f"agent '{name}': sense='{sense}' contradicts Objective {objective.name}, which is "
                             f"declared to {declared_sense}imize; drop sense=... or change the Objective's sense")
        agent = Agent(name, objective, sense, _var_list(variables, f"variables of agent '{name}'"),
                      _constraint_list(constraints, f"constraints of agent '{name}'"))
        if not agent.variables:
            raise ModelError(f"agent '{name}' controls no variables: pass variables=... (a Var or a list)")
        self.agents.append(agent)
        self._by_name[name] = agent
        self._shared_by_agent = None
        return agent

    def add_agent_block(self, block, name=None, sense=None, objective=None) -> Agent:
        """Declare the agent that a Pyomo block describes: its objective, its Vars, its active Constraints.

        The objective is ``objective`` when given (an Objective, expression or Var, or the name of a component
        of the block), else the block's one active Objective, else its one Objective even if deactivated (the
        usual way to keep one objective per agent in a model that has a planner's objective active). Vars and
        Constraints of sub-blocks count; constraints that are declared shared are not the agent's own.
        """
        if not isinstance(block, BlockData):
            raise ModelError(f"add_agent_block: expected a Pyomo block, got {_describe(block)}; for an indexed "
                             f"Block use add_agents")
        name = str(name if name is not None else block.local_name)
        objective = _block_objective(block, name, objective)
        variables = list(block.component_data_objects(pyo.Var, descend_into=True))
        constraints = list(block.component_data_objects(pyo.Constraint, active=True, descend_into=True))
        return self.add_agent(name, objective, variables, constraints, sense)

    def add_agents(self, blocks, sense=None, objective=None) -> list[Agent]:
        """Declare one agent per block of an indexed Block (or any iterable of blocks), named like the block
        (``firm[1]``, ``firm[2]``, ...). ``objective`` is None (each block's own, see :meth:`add_agent_block`),
        the name of a component of every block, or a function ``block -> objective``."""
        if isinstance(blocks, pyo.Block) and blocks.is_indexed():
            items = list(blocks.values())
        elif isinstance(blocks, BlockData):
            items = [blocks]
        else:
            items = list(_as_iterable(blocks))
        if not items:
            raise ModelError("add_agents: no blocks given (an empty indexed Block?)")
        wrong = next((item for item in items if not isinstance(item, BlockData)), None)
        if wrong is not None:          # checked first, so that no agent of the call is declared
            raise ModelError(f"add_agents: expected Pyomo blocks, got {_describe(wrong)}")
        return [self.add_agent_block(b, sense=sense, objective=objective(b) if callable(objective) else objective)
                for b in items]

    def add_shared(self, constraints, agents=None, variational=False) -> None:
        """Share ``constraints`` among ``agents`` (names; None means every agent, including those declared later).

        ``variational=True`` gives the constraint one common multiplier (EMP ``VIsol``); otherwise every agent
        prices it with its own multiplier. A solve's ``mode`` argument overrides this for all constraints.
        """
        names = None if agents is None else tuple(str(a) for a in _as_iterable(agents))
        if names is not None:
            if not names:
                raise ModelError("add_shared: agents=[] shares the constraint with nobody; pass agent names, or "
                                 "agents=None for every agent")
            unknown = [a for a in names if a not in self._by_name]
            if unknown:
                raise ModelError(f"add_shared: unknown agent(s) {unknown}; known agents: {list(self.agent_names)}")
        for con in _constraint_list(constraints, "shared constraints"):
            existing = self._shared_entry(con)
            if existing is not None:
                if existing.declared_agents is not None:
                    existing.declared_agents = None if names is None else \
                        tuple(dict.fromkeys(existing.declared_agents + names))
                existing.variational = existing.variational or bool(variational)
            else:
                self.shared.append(SharedConstraint(con, names, bool(variational), problem=self))
                self._shared_by_id[id(con)] = self.shared[-1]
        self._shared_by_agent = None

    def add_vi(self, function, variable, constraints=(), flip=False, statement="vi") -> None:
        """Add complementarity pairs ``function _|_ variable`` (each variable kept within its bounds).

        ``function`` is a Pyomo expression, a constraint (see :meth:`VIPair.expression` for its sign), or None or
        0 (the zero function); ``function`` and ``variable`` may be equally long lists (``flip`` then one bool or
        one per pair). With ``constraints`` the pairs form one VI with constraints (GAMS ``vi F x g``): find
        ``x`` in ``K = {x : g(x, others) holds}`` with ``F(x)'(v - x) >= 0`` for all ``v`` in ``K``, whose KKT
        conditions ``F(x) + grad_x g(x)' mu _|_ x``, ``g _|_ mu`` join the MCP. ``statement`` is the EMP keyword
        the pairs came from (``"vi"`` or ``"dualequ"``), kept for :func:`sharedeq.to_empinfo`.
        """
        self._add_pairs(function, variable, None, constraints, flip, statement)

    def add_qvi(self, function, variable, parameter=None, constraints=()) -> None:
        """A quasi-variational inequality (GAMS ``qvi F y x g``): :meth:`add_vi` whose ``constraints`` may
        contain ``parameter``, a shadow copy of ``variable`` (one per variable, or None): it takes the
        variable's value but is held constant when the KKT conditions differentiate, so ``K(y)`` moves with
        ``y``."""
        self._add_pairs(function, variable, parameter, constraints, False, "qvi")

    def _add_pairs(self, function, variable, parameter, constraints, flip, statement) -> None:
        functions = list(function) if isinstance(function, (list, tuple)) else [function]
        functions = [0 if fn is None else fn for fn in functions]
        variables = _var_list(variable, f"{statement} variables")
        if len(functions) == 1 and isinstance(functions[0], (pyo.Constraint, pyo.Expression)) and \
                functions[0].is_indexed():
            component = functions[0]
            if isinstance(variable, pyo.Var) and variable.is_indexed():     # two components pair by index
                if set(component.keys()) != set(variable.keys()):
                    raise ModelError(f"{statement}: {component.name} and {variable.name} have different indices; "
                                     f"pair them element by element")
                functions = [component[key] for key in variable.keys()]
            else:
                functions = list(component.values())
        if len(functions) != len(variables):
            raise ModelError(f"{statement}: {len(functions)} functions for {len(variables)} variables; give one "
                             f"function (or None, the zero function) per variable")
        flips = list(flip) if isinstance(flip, (list, tuple)) else [bool(flip)] * len(variables)
        params = [None] * len(variables) if parameter is None else [
            None if v is None else _var_list(v, f"{statement} parameter", single=True)[0]
            for v in (parameter if isinstance(parameter, (list, tuple)) else _var_list(parameter, "parameter"))]
        if len(flips) != len(variables) or len(params) != len(variables):
            raise ModelError(f"{statement}: give one flip and one parameter per variable ({len(variables)})")
        for fn in functions:
            if isinstance(fn, ConstraintData) and fn.lower is None and fn.upper is None:
                raise ModelError(f"{statement}: constraint {fn.name} has no bound")
        cons = _constraint_list(constraints, f"constraints of the {statement}")
        block = None
        if cons or statement != "vi" or any(p is not None for p in params):
            block = len(self.vi_blocks)
            self.vi_blocks.append(VIBlock(cons, statement))
        self.vi_pairs.extend(VIPair(fn, var, f, p, block)
                             for fn, var, f, p in zip(functions, variables, flips, params, strict=True))

    def add_implicit(self, variable, constraint) -> None:
        """Declare ``variable`` as defined implicitly by the equality ``constraint`` (EMP ``implicit``)."""
        (var,) = _var_list(variable, "add_implicit variable", single=True)
        (con,) = _constraint_list(constraint, "add_implicit constraint", single=True)
        if not con.equality:
            raise ModelError(f"add_implicit: {con.name} must be an equality defining {var.name}")
        self.implicit.append((var, con))

    def add_dualvar(self, variable, constraint) -> None:
        """Use ``variable`` as the multiplier of ``constraint`` (EMP ``dualvar``)."""
        (var,) = _var_list(variable, "add_dualvar variable", single=True)
        (con,) = _constraint_list(constraint, "add_dualvar constraint", single=True)
        self.dualvars.append((var, con))

    # ------------------------------------------------------------------ queries
    @property
    def agent_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.agents)

    def agent(self, name) -> Agent:
        agent = self._by_name.get(str(name))
        if agent is not None:
            return agent
        raise ModelError(f"no agent named '{name}'; agents are {list(self.agent_names)}")

    def _shared_entry(self, con):
        """The entry of ``con`` in ``shared``, or None; by an id index (a scan per ``add_shared`` made declaring
        100,000 links of a network take 140 s), rebuilt when ``shared`` was changed from outside."""
        entry = self._shared_by_id.get(id(con))
        if entry is not None and entry.constraint is con:
            return entry
        if len(self._shared_by_id) != len(self.shared) or entry is not None:
            self._shared_by_id = {id(s.constraint): s for s in self.shared}
            entry = self._shared_by_id.get(id(con))
        return entry

    def shared_of(self, agent_name) -> list[SharedConstraint]:
        """The shared constraints in agent ``agent_name``'s problem, in declaration order.

        The agent -> constraints index is built in one pass over ``shared`` and kept until the next
        ``add_agent`` / ``add_shared`` (so asking for every agent costs O(total size), not O(N^2)).
        """
        if self._shared_by_agent is None:
            index: dict[str, list[SharedConstraint]] = {}
            for s in self.shared:
                for a in s.agents:
                    index.setdefault(a, []).append(s)
            self._shared_by_agent = index
        return list(self._shared_by_agent.get(str(agent_name), ()))

    def treatment(self, mode=None) -> dict[int, bool]:
        """Map ``id(constraint) -> variational?`` for every shared constraint under ``mode``."""
        if mode is not None and mode not in MODES:
            raise ModelError(f"unknown mode {mode!r}: use 'gne' (one multiplier per agent) or 've' "
                             f"(one shared multiplier), or None for the per-constraint declaration")
        return {id(s.constraint): (s.variational if mode is None else mode == "ve") for s in self.shared}

    def rosen_weights(self, weights) -> dict[str, float]:
        """Validate Rosen weights (one positive number per agent) and key them by agent name."""
        if weights is None:
            return {a: 1.0 for a in self.agent_names}
        if isinstance(weights, dict):
            missing = [a for a in self.agent_names if a not in {str(k) for k in weights}]
            if missing:
                raise ModelError(f"Rosen weights are missing for agent(s) {missing}")
            values = {str(k): v for k, v in weights.items()}
        else:
            weights = list(weights)
            if len(weights) != len(self.agents):
                raise ModelError(f"Rosen weights: got {len(weights)} numbers for {len(self.agents)} agents "
                                 f"{list(self.agent_names)}")
            values = dict(zip(self.agent_names, weights, strict=True))
        bad = {a: w for a, w in values.items() if not _positive_number(w)}
        if bad:
            raise ModelError(f"Rosen weights must be positive finite numbers; got {bad}")
        return {a: float(w) for a, w in values.items()}

    # ------------------------------------------------------------------ pipeline entry points
    def mcp(self, mode=None, weights=None, lift="auto"):
        """The mixed complementarity problem formed by every agent's KKT conditions (see :mod:`sharedeq.kkt`)."""
        from sharedeq.kkt import build_mcp

        return build_mcp(self, mode=mode, weights=weights, lift=lift)

    def solve(self, mode=None, weights=None, backend="casadi", options=None, **kwargs):
        """Solve for an equilibrium; see :func:`sharedeq.solve.solve` for the arguments."""
        from sharedeq.solve import solve

        return solve(self, mode=mode, weights=weights, backend=backend, options=options, **kwargs)

    def extreme(self, objective, mode="gne", sense="max", starts=8, seed=0, **solve_options):
        """The equilibrium that maximises (or minimises) ``objective``; see :func:`sharedeq.extreme.extreme`."""
        from sharedeq.extreme import extreme

        return extreme(self, objective, mode=mode, sense=sense, starts=starts, seed=seed, **solve_options)


# ---------------------------------------------------------------------- argument normalisation
def _as_iterable(obj):
    """``obj`` itself if it is a plain collection, else ``[obj]`` (a Pyomo component counts as one item)."""
    if isinstance(obj, (str, bytes, Component, ComponentData)) or not isinstance(obj, Iterable):
        return [obj]
    return obj


def _var_list(obj, what, single=False) -> list[VarData]:
    """Flatten Var components, VarData and iterables of them into a list of VarData."""
    out = []
    for item in _as_iterable(obj):
        if isinstance(item, VarData):
            out.append(item)
        elif isinstance(item, pyo.Var):
            out.extend(item.values())
        elif _as_iterable(item) is item:
            out.extend(_var_list(item, what))
        else:
            raise ModelError(f"{what}: expected Pyomo variables, got {_describe(item)}")
    if single and len(out) != 1:
        raise ModelError(f"{what}: expected one variable, got {len(out)}")
    return out


def _constraint_list(obj, what, single=False) -> list[ConstraintData]:
    """Flatten Constraint components, ConstraintData and iterables of them into a list of ConstraintData."""
    out = []
    for item in _as_iterable(obj):
        if isinstance(item, ConstraintData):
            out.append(item)
        elif isinstance(item, pyo.Constraint):
            out.extend(item.values())
        elif _as_iterable(item) is item:
            out.extend(_constraint_list(item, what))
        else:
            raise ModelError(f"{what}: expected Pyomo constraints, got {_describe(item)}")
    if single and len(out) != 1:
        raise ModelError(f"{what}: expected one constraint, got {len(out)}")
    return out


def _single_objective(objective, agent):
    """Return (objective, sense) from whatever the user passed; reject none or several."""
    if objective is None:
        raise ModelError(f"agent '{agent}' has no objective: pass objective=...")
    if isinstance(objective, pyo.Objective) and objective.is_indexed():
        items = list(objective.values())
        if len(items) != 1:
            raise ModelError(f"agent '{agent}' has {len(items)} objectives ({', '.join(o.name for o in items)}); "
                             f"an agent needs exactly one")
        objective = items[0]
    if isinstance(objective, (list, tuple)):
        raise ModelError(f"agent '{agent}' has {len(objective)} objectives; an agent needs exactly one")
    if isinstance(objective, pyo.Var) and objective.is_indexed():
        raise ModelError(f"agent '{agent}': objective variable {objective.name} is indexed; pick one element")
    if isinstance(objective, ObjectiveData):
        return objective, "max" if objective.sense == pyo.maximize else "min"
    if isinstance(objective, (VarData, ExpressionData)) or hasattr(objective, "is_expression_type"):
        return objective, "min"
    if isinstance(objective, (int, float)):
        raise ModelError(f"agent '{agent}': the objective is the constant {objective}; it must depend on the "
                         f"agent's variables")
    raise ModelError(f"agent '{agent}': cannot use {_describe(objective)} as an objective")


def _block_objective(block, agent, objective):
    """The objective of the agent that ``block`` describes (see :meth:`EquilibriumProblem.add_agent_block`)."""
    if isinstance(objective, str):
        found = block.component(objective)
        if found is None:
            raise ModelError(f"agent '{agent}': block {block.name} has no component named {objective!r}")
        return found
    if objective is not None:
        return objective
    objectives = list(block.component_data_objects(pyo.Objective, descend_into=True))
    if not objectives:
        raise ModelError(f"agent '{agent}' (block {block.name}) has no Objective; pass objective=... (an Objective, "
                         f"an expression, or the name of a component of the block)")
    active = [o for o in objectives if o.active]
    if len(active) == 1 or (not active and len(objectives) == 1):
        return (active or objectives)[0]
    found = ", ".join(f"{o.name}{'' if o.active else ' (deactivated)'}" for o in objectives)
    raise ModelError(f"agent '{agent}' (block {block.name}): cannot tell which objective is the agent's; found "
                     f"{len(objectives)} Objectives ({found}); pass objective=... (an Objective or its name)")


def _positive_number(w) -> bool:
    try:
        return math.isfinite(float(w)) and float(w) > 0
    except (TypeError, ValueError):
        return False


def _sense(sense, agent) -> str:
    s = {"min": "min", "minimize": "min", pyo.minimize: "min", "max": "max", "maximize": "max",
         pyo.maximize: "max"}.get(sense)
    if s is None:
        raise ModelError(f"agent '{agent}': sense must be 'min' or 'max', got {sense!r}")
    return s


def _describe(item) -> str:
    name = getattr(item, "name", None)
    return f"{type(item).__name__} {name}" if name else repr(item)
