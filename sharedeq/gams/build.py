"""The model a GAMS ``solve`` statement names -> a Pyomo model, and its MCP or equilibrium problem.

Every equation of the model is generated over its domain (with its ``$`` condition) using the data at the solve
statement. A variable becomes a Pyomo ``Var`` indexed by the label tuples that the equations use (as in GAMS, an
instance that no equation mentions is not in the model): bounds from its type and ``.lo``/``.up``/``.fx``, start
from ``.l``, fixed where ``lo == up``. A one-dimensional index is the label itself (``x['seattle']``), a longer one
the tuple of labels (``x['seattle', 'new-york']``).

* ``using mcp``: each pair ``e.x`` is a ``pyomo.mpec`` complementarity ``F _|_ lb <= x <= ub`` named like the
  equation. ``F`` is written so that the equation's inequality holds on the side of the variable's finite bound:
  ``lhs - rhs`` for ``=g=`` with a lower bound (``=l=``: ``rhs - lhs``), the opposite for an upper bound, and
  ``lhs - rhs`` for ``=e=`` with a free variable and ``=n=``; a pair whose variable is fixed is dropped (GAMS
  does the same).
* ``using emp``: equations become constraints and the empinfo text makes the agents
  (:func:`sharedeq.problem_from_empinfo`).
* ``using nlp`` (also ``lp``, ``qcp``, ``dnlp``): one agent, named after the model, optimising the objective
  variable over every other variable of the model.
"""

from __future__ import annotations

import math

import pyomo.environ as pyo

from sharedeq.gams.evaluate import GEquation, GModel, GVariable, Interpreter
from sharedeq.gams.parser import Domain, Solve

_INTEGER = ("binary", "integer", "sos1", "sos2", "semicont", "semiint")


class ModelBuilder:
    """Builds the Pyomo model of one solve statement from the interpreter's symbols."""

    def __init__(self, interpreter: Interpreter, solve: Solve, name: str):
        self.it = interpreter
        self.solve = solve
        self.model = pyo.ConcreteModel(name=name)
        self.instances: dict[tuple[str, tuple], object] = {}       # (variable, key) -> VarData
        self.rows: dict[str, dict] = {}                             # equation -> {key: (lhs, relation, rhs)}

    # ------------------------------------------------------------------------------ equations
    def equations(self) -> list[tuple[GEquation, GVariable | None, object]]:
        """The model's (equation, paired variable, model-entry node) list, in the model statement's order."""
        model = self.it.symbol(self.solve.model, self.solve, (GModel,))
        out, seen = [], set()
        self._collect(model, out, seen)
        if not out:
            raise self.it.error(f"model {model.name} has no equations", self.solve)
        return out

    def _collect(self, model: GModel, out, seen):
        """Add ``model``'s equations to ``out`` in order: ``all``, other models, ``e`` or ``e.x``; "-" removes."""
        for name, variable_name, sign in model.entries:
            if name.lower() == "all" and name.lower() not in self.it.symbols:
                found = [(e, None) for e in self.it.symbols.values() if isinstance(e, GEquation) and e.definitions]
            else:
                symbol = self.it.symbol(name, model)
                if isinstance(symbol, GModel):
                    inner, inner_seen = [], set()
                    self._collect(symbol, inner, inner_seen)
                    found = [(e, v) for e, v, _ in inner]
                elif isinstance(symbol, GEquation):
                    if not symbol.definitions and sign == "+":
                        raise self.it.error(f"model {model.name}: equation {symbol.name} is declared but never "
                                            f"defined (no '{symbol.name}..' statement)", model)
                    variable = None if variable_name is None else \
                        self.it.symbol(variable_name, model, (GVariable,))
                    found = [(symbol, variable)]
                else:
                    raise self.it.error(f"model {model.name}: '{name}' is not an equation", model)
            for equation, variable in found:
                key = equation.name.lower()
                if sign == "-":
                    out[:] = [entry for entry in out if entry[0] is not equation]
                    seen.discard(key)
                elif key not in seen:
                    seen.add(key)
                    out.append((equation, variable, model))

    def generate(self, equation: GEquation) -> dict:
        """``key -> (lhs, relation, rhs)`` Pyomo expressions for every instance of ``equation``."""
        it, rows, where = self.it, {}, {}
        for definition in equation.definitions:
            items, slots = it.target_slots(definition.domain, {}, definition)
            for env in it.domain_envs(Domain(tuple(items), definition.condition), {}, definition):
                key = it.target_key(slots, env, definition)
                if key is None:
                    continue
                if key in rows:
                    raise it.error(f"{_instance(equation, key)} is defined twice (also on line {where[key]})",
                                   definition)
                lhs = it.value(definition.lhs, env)
                rhs = it.value(definition.rhs, env)
                rows[key], where[key] = (lhs, definition.relation, rhs), definition.line
        return rows

    # ------------------------------------------------------------------------------ variables
    def variable(self, symbol: GVariable, key: tuple, node):
        found = self.instances.get((symbol.name, key))
        if found is not None:
            return found
        if symbol.vartype in _INTEGER:
            raise self.it.error(f"variable {symbol.name} is {symbol.vartype} (declared on line {symbol.line}): "
                                f"discrete variables are not supported, equilibrium models here are continuous",
                                node)
        for label, set_name in zip(key, symbol.domain, strict=True):
            if set_name != "*" and (label,) not in self.it.set_of(set_name).elements:
                raise self.it.error(f"{symbol.name}({','.join(key)}): '{label}' is not an element of set "
                                    f"{set_name} (domain violation)", node)
        if symbol.component is None:
            component = pyo.Var(pyo.Any, dense=False) if symbol.domain else pyo.Var()
            self.model.add_component(self.component_name(symbol.name), component)
            symbol.component = component
        var = symbol.component[_pyomo_key(key)] if symbol.domain else symbol.component
        lower, upper = symbol.bounds(key)
        if lower > upper:
            raise self.it.error(f"{symbol.name}({','.join(key)}) has lower bound {lower:g} above its upper bound "
                                f"{upper:g}", node)
        var.setlb(None if lower == -math.inf else lower)
        var.setub(None if upper == math.inf else upper)
        level = min(max(symbol.level(key), lower), upper)
        var.set_value(level, skip_validation=True)
        if lower == upper:
            var.fix(lower)
        self.instances[(symbol.name, key)] = var
        return var

    def build_rows(self, equations):
        """Generate every equation's instances (the variables they use are created on the way)."""
        self.it.variable_mode = self.variable
        try:
            for equation, _, _ in equations:
                self.rows[equation.name] = self.generate(equation)
        finally:
            self.it.variable_mode = None

    # ------------------------------------------------------------------------------ Pyomo components
    def constraints(self, equations, allow_n=False):
        """Each equation as a Pyomo Constraint. ``=n=`` (no relation: a function) is read as ``lhs - rhs == 0``
        where ``allow_n`` (an EMP model, whose ``vi`` statements pair such functions with variables)."""
        for equation, _, _ in equations:
            rows = {}
            for key, (lhs, relation, rhs) in self.rows[equation.name].items():
                if relation == "n" and not allow_n:
                    raise self.it.error(f"equation {equation.name} is =n=, which only MCP and EMP models can use",
                                        equation.definition)
                expression = self.relation(lhs, "e" if relation == "n" else relation, rhs, equation, key)
                if expression is not None:
                    rows[key] = expression
            self.add(equation, rows, lambda rows, key: pyo.Constraint(expr=rows[key]),
                     lambda rows: pyo.Constraint(list(map(_pyomo_key, rows)),
                                                 rule=lambda m, *k: rows[k]))

    def relation(self, lhs, relation, rhs, equation, key):
        """``lhs rel rhs`` as a Pyomo relation; None for an instance without variables that holds (GAMS drops it)."""
        body = lhs - rhs
        if isinstance(body, float | int):
            holds = {"e": abs(body) <= 1e-12, "g": body >= -1e-12, "l": body <= 1e-12}[relation]
            if not holds:
                raise self.it.error(f"equation {_instance(equation, key)} has no variables and does not hold "
                                    f"({lhs:g} {_RELATION_TEXT[relation]} {rhs:g})", equation.definition)
            return None
        return {"e": lambda: body == 0, "g": lambda: body >= 0, "l": lambda: body <= 0}[relation]()

    def complementarities(self, equations):
        """The MCP pairs as ``pyomo.mpec`` Complementarity components (see the module docstring).

        Equations without a variable (``/all/``, or a bare name in the model list) must be ``=e=``: they are
        matched in order with the model's unfixed variables that no pair names, which must be free and as many
        (for an equation and a free variable the pairing does not change the problem).
        """
        from pyomo.mpec import Complementarity, complements

        pairs = {equation.name: {} for equation, _, _ in equations}
        unpaired = []
        self.it.variable_mode = self.variable
        try:
            for equation, variable, model in equations:
                for key, (lhs, relation, rhs) in self.rows[equation.name].items():
                    if variable is None:
                        unpaired.append((equation, key, lhs, relation, rhs))
                        continue
                    var = self.variable(variable, self.pair_key(equation, variable, key, model), equation.definition)
                    if not var.fixed:
                        pairs[equation.name][key] = (var, self.mcp_function(lhs, relation, rhs, var, equation, key))
        finally:
            self.it.variable_mode = None
        if unpaired:
            self.match(unpaired, pairs)
        taken = {id(var) for rows in pairs.values() for var, _ in rows.values()}
        stray = next((v for v in self.instances.values() if id(v) not in taken and not v.fixed), None)
        if stray is not None:
            model = equations[0][2]
            raise self.it.error(f"model {model.name}: the variable {stray.name} appears in its equations but no "
                                f"pair names it; pair it with an equation (e.{stray.name.split('[')[0]}) or fix it "
                                f"(.fx)", model)
        for equation, _, _ in equations:
            rows = {key: complements(var, function) if not _free(var) else complements(function == 0, var)
                    for key, (var, function) in _with_variables(pairs[equation.name]).items()}
            self.add(equation, rows, lambda rows, key: Complementarity(expr=rows[key]),
                     lambda rows: Complementarity(list(map(_pyomo_key, rows)), rule=lambda m, *k: rows[k]))

    def match(self, unpaired, pairs):
        """Pair equations that the model lists without a variable with the unpaired free variables, in order."""
        taken = {id(var) for rows in pairs.values() for var, _ in rows.values()}
        variables = [v for v in self.instances.values() if id(v) not in taken and not v.fixed]
        for equation, key, _, relation, _ in unpaired:
            if relation != "e":
                raise self.it.error(f"{_instance(equation, key)} is =({relation})= and the model pairs it with no "
                                    f"variable: an MCP model names the variable of an inequality "
                                    f"({equation.name}.x)", equation.definition)
        bounded = [v for v in variables if not _free(v)]
        if bounded:
            raise self.it.error(f"{len(unpaired)} equation(s) are not paired with a variable, and {bounded[0].name} "
                                f"(bounded) is not paired with an equation: pair them in the model statement "
                                f"(e.x)", unpaired[0][0].definition)
        if len(variables) != len(unpaired):
            raise self.it.error(f"{len(unpaired)} equation instance(s) are not paired with a variable but "
                                f"{len(variables)} free variable(s) are left to pair them with",
                                unpaired[0][0].definition)
        for (equation, key, lhs, _, rhs), var in zip(unpaired, variables, strict=True):
            pairs[equation.name][key] = (var, lhs - rhs)

    def pair_key(self, equation, variable, key, model) -> tuple:
        if len(variable.domain) != len(equation.domain):
            raise self.it.error(f"model {model.name}: {equation.name}.{variable.name} pairs an equation over "
                                f"{len(equation.domain)} ind{'ex' if len(equation.domain) == 1 else 'ices'} with a "
                                f"variable over {len(variable.domain)}", model)
        return key

    def mcp_function(self, lhs, relation, rhs, var, equation, key):
        body = lhs - rhs
        lower, upper = var.lb, var.ub
        if relation in ("e", "n") or (lower is not None and upper is not None):
            return body                       # an equation, or a boxed variable: GAMS reads the pair as =n=
        if lower is None and upper is None:
            raise self.it.error(f"{_instance(equation, key)} is =({relation})= but its variable {var.name} is free: "
                                f"an inequality pairs with a bounded variable (use =e= or =n=)", equation.definition)
        return body if (relation == "g") == (lower is not None) else -body

    def component_name(self, name: str) -> str:
        """The GAMS name, or (noted) ``name_`` where the Pyomo model already has that attribute (``values``)."""
        free = _component_name(self.model, name)
        if free != name:
            self.it.notes.append(f"{name} is called {free} in the Pyomo model ({name} is a Pyomo block attribute)")
        return free

    def add(self, equation, rows, scalar, indexed):
        if not rows:
            self.it.notes.append(f"equation {equation.name} has no instances (its domain or condition is empty)")
            return
        if not equation.domain:
            component = scalar(rows, ())
        else:
            component = indexed(rows)
        self.model.add_component(self.component_name(equation.name), component)


_RELATION_TEXT = {"e": "=", "g": ">=", "l": "<="}


def _with_variables(pairs: dict) -> dict:
    """A pair whose function is a constant (its terms all dropped by $ conditions) keeps it as ``c + 0*x``, a
    Pyomo expression, which a complementarity condition needs."""
    return {key: (var, function + 0 * var if isinstance(function, float | int) else function)
            for key, (var, function) in pairs.items()}


def _free(var) -> bool:
    return var.lb is None and var.ub is None


def _instance(equation, key) -> str:
    return equation.name + (f"({','.join(key)})" if key else "")


def _pyomo_key(key: tuple):
    return key[0] if len(key) == 1 else key


def _component_name(model, name: str) -> str:
    """``name`` unless the Pyomo block already has an attribute of that name (then ``name_``)."""
    while hasattr(model, name):
        name += "_"
    return name

