"""Bilevel problems: a leader optimises over the equilibria of followers who take its decision as given.

    min_{x, y}  F(x, y)   s.t.   G(x, y) <= 0                      (the leader's objective and constraints)
                                 y is an equilibrium of the followers' game given x

Each follower ``j`` solves ``min_{y_j} f_j(x, y_j, y_-j)`` s.t. its constraints (and the shared ones) with the
leader's ``x`` as parameters; one follower gives a classic bilevel program, several a Stackelberg game over a
Nash game (a multi-leader-follower problem with one leader). The followers' KKT conditions replace the lower
level (optimistic formulation: among several follower equilibria the leader gets the one it prefers), which
is exact when every follower's problem is convex in its own variables, and the result is the MPEC that
:func:`sharedeq.extreme.extreme` solves: the leader's variables join the MCP as pairs ``0 _|_ lb <= x <= ub``
(any ``x`` in its bounds), the leader's constraints are its side constraints. Branch and bound proves a global
optimum when the followers' KKT system is affine and the leader's objective quadratic, convex or concave on each
piece (``extreme_scope = "global"``); otherwise the answer is a local optimum from ``starts`` points ("local").
"""

from __future__ import annotations

import pyomo.environ as pyo
from pyomo.core.base.objective import ObjectiveData

from sharedeq.errors import ModelError
from sharedeq.problem import EquilibriumProblem, _constraint_list, _var_list


class Bilevel:
    """A leader (:meth:`set_leader`) over a game of followers (:meth:`add_follower`, :meth:`add_shared`)."""

    def __init__(self, model, name=None):
        self.model = model
        self.name = str(name) if name is not None else (getattr(model, "name", None) or "bilevel")
        self.followers = EquilibriumProblem(model, name=self.name)
        self.leader = None

    def set_leader(self, objective, variables, constraints=(), sense="min") -> None:
        """The leader: ``objective`` (a Pyomo expression or Objective, in any of the model's variables and in
        multipliers named with :func:`sharedeq.extreme.multiplier`) minimised or maximised over ``variables``,
        subject to ``constraints`` (which may contain the followers' variables too)."""
        if sense not in ("min", "max"):
            raise ModelError(f"leader: sense must be 'min' or 'max', got {sense!r}")
        if isinstance(objective, pyo.Objective) and not objective.is_indexed():
            objective = objective[None]
        if isinstance(objective, ObjectiveData):
            declared = "max" if objective.sense == pyo.maximize else "min"
            if declared != sense:
                raise ModelError(f"leader: sense='{sense}' contradicts Objective {objective.name}, which is declared "
                                 f"to {declared}imize; pass sense='{declared}'")
            objective = objective.expr
        leader_vars = _var_list(variables, "variables of the leader")
        if not leader_vars:
            raise ModelError("the leader controls no variables: pass variables=... (a Var or a list)")
        self.leader = (objective, leader_vars, _constraint_list(constraints, "constraints of the leader"), sense)

    def add_follower(self, name, objective, variables, constraints=(), sense="min"):
        """A follower, declared as :meth:`EquilibriumProblem.add_agent` declares an agent; the leader's variables
        are parameters of its problem."""
        return self.followers.add_agent(name, objective, variables, constraints, sense)

    def add_shared(self, constraints, agents=None) -> None:
        """Constraints shared by followers (``agents``: their names; None: every follower), each with its own
        multiplier (generalized Nash; ``solve(mode="ve")`` gives them one common multiplier)."""
        self.followers.add_shared(constraints, agents)

    def problem(self) -> EquilibriumProblem:
        """The followers' game with the leader's variables as pairs ``0 _|_ x`` (free within their bounds)."""
        if self.leader is None:
            raise ModelError(f"bilevel '{self.name}': no leader; call set_leader(objective, variables) first")
        if not self.followers.agents:
            raise ModelError(f"bilevel '{self.name}': no followers; call add_follower(...) first")
        _, leader_vars, _, _ = self.leader
        owner = {id(v): a.name for a in self.followers.agents for v in a.variables}
        for var in leader_vars:
            if id(var) in owner:
                raise ModelError(f"{var.name} is a variable of the leader and of follower '{owner[id(var)]}'; "
                                 f"each variable belongs to one of them")
        game = EquilibriumProblem(self.model, name=self.name)
        for agent in self.followers.agents:
            game.add_agent(agent.name, agent.objective, agent.variables, agent.constraints, agent.sense)
        for shared in self.followers.shared:
            game.add_shared(shared.constraint, shared.declared_agents, shared.variational)
        free = [v for v in leader_vars if not v.fixed]
        if free:
            game.add_vi([0] * len(free), free)
        return game

    def solve(self, starts=8, seed=0, **options):
        """The leader's optimum over the followers' equilibria: an :class:`~sharedeq.extreme.ExtremeSolution`
        (the followers' checks as in :func:`sharedeq.solve`, plus ``extreme_value``, the leader's objective,
        and ``extreme_scope``). ``options``: those of :func:`sharedeq.extreme.extreme` (``mode`` defaults to
        the followers' shared constraints as declared)."""
        from sharedeq.extreme import extreme

        objective, _, constraints, sense = self.leader if self.leader is not None else (None, None, (), "min")
        game = self.problem()
        options.setdefault("mode", None)
        return extreme(game, objective, sense=sense, starts=starts, seed=seed, constraints=constraints, **options)
