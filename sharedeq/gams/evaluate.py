"""Running the statements of a GAMS file up to its ``solve``: sets, parameters, assignments, variable
attributes, ``loop``/``if``, and ``put`` files; expressions evaluated to numbers or to Pyomo expressions.

GAMS semantics kept here: labels and names are case-insensitive (the first spelling is kept); a parameter is
sparse with default 0; ``a$c`` is ``a`` where ``c`` is nonzero and 0 elsewhere, and on the left of ``=`` it
leaves the old value where ``c`` is 0; assignments run element by element in set order (so ``p(t) = p(t-1)``
sees the new ``p(t-1)``); a lag that leaves the set (``x(t-1)`` at the first ``t``) makes the reference 0 (a
variable's term is dropped); ``ord(i)`` is the position of ``i`` in the set it runs over, ``card(s)`` the number
of elements (of a parameter: of nonzero values).
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field

from sharedeq.gams.lexer import GamsError, Source
from sharedeq.gams.parser import (
    Agg,
    Alias,
    Assignment,
    Binary,
    Call,
    Declaration,
    Dollar,
    Domain,
    DomainItem,
    EquationDefinition,
    FileStatement,
    If,
    Index,
    Loop,
    ModelStatement,
    Num,
    Put,
    Ref,
    Skipped,
    Solve,
    Tight,
    Unary,
)

VARIABLE_DEFAULTS = {  # type -> (lower, upper)
    "free": (-math.inf, math.inf), "positive": (0.0, math.inf), "negative": (-math.inf, 0.0),
    "binary": (0.0, 1.0), "integer": (0.0, math.inf), "sos1": (0.0, math.inf), "sos2": (0.0, math.inf),
    "semicont": (0.0, math.inf), "semiint": (0.0, math.inf),
}
#: GAMS's own scalars that models set or read (execution errors, the random seed): read as 0, assignments noted.
SYSTEM_SCALARS = ("execerror", "execseed")


@dataclass
class GSet:
    name: str
    domain: tuple[str, ...]
    elements: dict = field(default_factory=dict)        # label tuple -> None, in order
    line: int = 0
    _positions: dict | None = None
    _order: list | None = None

    @property
    def dim(self) -> int:
        return len(self.domain)

    def changed(self):
        self._positions = self._order = None

    def position(self, label) -> int | None:
        """1-based position of a one-dimensional element."""
        if self._positions is None:
            self._positions = {key[0]: k for k, key in enumerate(self.elements, 1)}
        return self._positions.get(label)

    def at(self, position) -> str | None:
        if self._order is None:
            self._order = [key[0] for key in self.elements]
        return self._order[position - 1] if 1 <= position <= len(self._order) else None


@dataclass
class GParameter:
    name: str
    domain: tuple[str, ...]
    values: dict = field(default_factory=dict)
    line: int = 0


@dataclass
class GVariable:
    name: str
    domain: tuple[str, ...]
    vartype: str
    line: int = 0
    attributes: dict = field(default_factory=lambda: {"lo": {}, "up": {}, "l": {}, "m": {}, "scale": {}})
    component: object = None        # the Pyomo Var, made when the model is built

    def bounds(self, key) -> tuple[float, float]:
        lower, upper = VARIABLE_DEFAULTS[self.vartype]
        return self.attributes["lo"].get(key, lower), self.attributes["up"].get(key, upper)

    def level(self, key) -> float:
        return self.attributes["l"].get(key, 0.0)


@dataclass
class GEquation:
    name: str
    domain: tuple[str, ...]
    line: int = 0
    definition: EquationDefinition | None = None        # the first; others define other instances
    definitions: list = field(default_factory=list)


@dataclass
class GModel:
    name: str
    entries: list | str
    line: int = 0
    col: int = 0


class SolveReached(Exception):
    """A solve statement met inside a loop or if: reading stops there."""

    def __init__(self, statement):
        super().__init__(statement)
        self.statement = statement


class Missing(Exception):
    """A reference whose lag leaves its set: the term is 0."""


class Interpreter:
    """Executes statements in order and holds the symbols; :class:`sharedeq.gams.build.ModelBuilder` reads them."""

    def __init__(self, source: Source):
        self.source = source
        self.symbols: dict[str, object] = {}        # lower-case name -> GSet | GParameter | GVariable | ...
        self.aliases: dict[str, str] = {}           # alias (lower) -> set name (lower)
        self.labels: dict[str, str] = {}            # lower-case label -> first spelling
        self.universe: dict[tuple, None] = {}
        self.files: dict[str, str] = {}            # file symbol (lower) -> path as written
        self.written: dict[str, list[str]] = {}    # path -> text put there
        self.current_file: str | None = None
        self.notes: list[str] = []
        self.solves: list[Solve] = []
        self.model_options: dict[str, dict] = {}
        self.variable_mode = None                   # while building: callable(GVariable, key) -> Pyomo var
        self._names: dict[int, tuple] = {}
        self.closed: set[str] = set()               # put files closed by putclose
        self.assigning_levels = False               # in an assignment to .l (random starts are allowed there)
        self.random = None

    # ------------------------------------------------------------------------------ errors
    def error(self, message, node=None, line=None, col=None) -> GamsError:
        if node is not None:
            line, col = getattr(node, "line", line), getattr(node, "col", col)
        return self.source.error(message, line, col)

    # ------------------------------------------------------------------------------ symbols
    def label(self, text: str) -> str:
        """The canonical spelling of a label (GAMS labels are case-insensitive), added to the universe."""
        lower = text.lower()
        found = self.labels.get(lower)
        if found is None:
            self.labels[lower] = found = text
            self.universe[(found,)] = None
        return found

    def known_label(self, text: str) -> str | None:
        return self.labels.get(text.lower())

    def symbol(self, name: str, node=None, kinds=None):
        lower = name.lower()
        lower = self.aliases.get(lower, lower)
        found = self.symbols.get(lower)
        if found is None:
            raise self.error(f"unknown symbol '{name}' (not declared before this line)", node)
        if kinds is not None and not isinstance(found, kinds):
            raise self.error(f"'{name}' is {_kind(found)}, not {' or '.join(_KIND_NAMES[k] for k in kinds)}", node)
        return found

    def set_of(self, name: str, node=None) -> GSet:
        if name == "*":
            return GSet("*", ("*",), self.universe)
        return self.symbol(name, node, (GSet,))

    def declare(self, name: str, value, node):
        lower = name.lower()
        if lower in self.symbols or lower in self.aliases:
            previous = self.symbols.get(lower)
            if isinstance(previous, type(value)) and value.domain in (previous.domain, ()):
                return previous         # a repeated declaration (``Positive Variable x;`` sets x's type)
            raise self.error(f"'{name}' is declared twice (first on line {getattr(previous, 'line', '?')})", node)
        self.symbols[lower] = value
        return value

    # ------------------------------------------------------------------------------ statements
    def run(self, statements, rest=lambda: "") -> Solve | None:
        """Execute the statements up to the first ``solve``; return it (None: the file has no solve).
        ``rest()`` is the text after it, searched for more solve statements (to say that they are not read)."""
        for statement in statements:
            if isinstance(statement, list):
                for item in statement:
                    self.execute(item, {})
                continue
            if isinstance(statement, Loop | If):
                try:
                    self.execute(statement, {})
                except SolveReached as reached:
                    where = f"the {type(statement).__name__.lower()} of line {statement.line}"
                    self.notes.append(f"the solve on line {reached.statement.line} inside {where} is read as it is "
                                      f"first reached; what follows is not")
                    return reached.statement
                continue
            if isinstance(statement, Solve):
                later = len(re.findall(r"(?i)(?:^|;)\s*solve\s", rest()))
                if later:
                    self.notes.append(f"the file has {later + 1} solve statements; the first (line {statement.line}) "
                                      f"is read and what follows it is not")
                return statement
            self.execute(statement, {})
        return None

    def execute(self, statement, env):
        kind = type(statement)
        if kind is Declaration:
            self.declaration(statement)
        elif kind is Alias:
            self.alias(statement)
        elif kind is Assignment:
            self.assign(statement, env)
        elif kind is EquationDefinition:
            self.define(statement)
        elif kind is ModelStatement:
            model = GModel(statement.name, statement.entries, statement.line, statement.col)
            self.declare(statement.name, model, statement)
        elif kind is FileStatement:
            self.declare(statement.name, FileStatement(statement.name, statement.path, statement.line,
                                                       statement.col), statement)
            self.files[statement.name.lower()] = statement.path
        elif kind is Put:
            self.put(statement, env)
        elif kind is Loop:
            for inner in self.domain_envs(statement.domain, env, statement):
                for item in statement.body:
                    self.execute(item, inner)
        elif kind is If:
            branch = statement.then if self.truth(statement.condition, env) else statement.otherwise
            for item in branch:
                self.execute(item, env)
        elif kind is Solve:                    # inside a loop or if: the first one reached is the model read
            raise SolveReached(statement)
        elif kind is Skipped:
            pass
        else:
            raise self.error(f"unsupported statement {kind.__name__}", statement)

    def declaration(self, d: Declaration):
        for name in d.domain:
            if name != "*":
                self.set_of(name, d)
        for position in d.implicit:                  # p(i<) / a 1 /: the labels of the data make set i
            gset = self.set_of(d.domain[position], d)
            labels = d.data if d.kind == "set" else list(d.data or {})
            for key in labels or ():
                gset.elements[(self.label(key[position]),)] = None
            gset.changed()
        if d.kind == "set":
            domain = d.domain or ("*",) * (len(d.data[0]) if d.data else 1)    # no domain: as wide as its data
            gset = self.declare(d.name, GSet(d.name, domain, line=d.line), d)
            if d.data is not None:
                for labels in d.data:
                    key = self.checked_key(labels, gset.domain, d, f"set {d.name}")
                    gset.elements[key] = None
                gset.changed()
        elif d.kind == "parameter":
            parameter = self.declare(d.name, GParameter(d.name, d.domain, line=d.line), d)
            for labels, value in (d.data or {}).items():
                key = self.checked_key(labels, d.domain, d, f"parameter {d.name}")
                parameter.values[key] = value
        elif d.kind == "variable":
            variable = self.declare(d.name, GVariable(d.name, d.domain, d.vartype or "free", d.line), d)
            if d.vartype is not None:
                variable.vartype = d.vartype
        elif d.kind == "equation":
            self.declare(d.name, GEquation(d.name, d.domain, d.line), d)

    def checked_key(self, labels, domain, node, what) -> tuple:
        """Labels as their canonical spelling, each checked against its domain set (GAMS's domain check)."""
        if len(labels) != len(domain):
            raise self.error(f"{what} has {len(domain)} ind{'ex' if len(domain) == 1 else 'ices'}, got "
                             f"{'.'.join(labels)}", node)
        key = tuple(self.label(text) for text in labels)
        for label, name in zip(key, domain, strict=True):
            if name != "*" and (label,) not in self.set_of(name, node).elements and \
                    self.set_of(name, node).dim == 1:
                raise self.error(f"{what}: '{label}' is not an element of set {name} (domain violation)", node)
        return key

    def alias(self, a: Alias):
        """``Alias (i, j)``: one name is a declared set (either may be: GAMS takes both orders), the others are
        new names for it."""
        known = [n for n in a.names if n.lower() in self.symbols or n.lower() in self.aliases]
        if not known:
            raise self.error(f"alias ({', '.join(a.names)}): none of these is a declared set", a)
        target = self.set_of(known[0], a)
        for name in a.names:
            if name == known[0]:
                continue
            lower = name.lower()
            if lower in self.symbols:
                raise self.error(f"alias '{name}' is already a symbol", a)
            self.aliases[lower] = target.name.lower()

    def define(self, definition: EquationDefinition):
        equation = self.symbol(definition.name, definition, (GEquation,))
        partial = [any(index.kind == "label" for index in d.domain) for d in [*equation.definitions, definition]]
        if equation.definitions and not all(partial):     # e('1').. and e('2').. define different instances
            raise self.error(f"equation {definition.name} is defined twice (first on line "
                             f"{equation.definition.line})", definition)
        width = sum(self.width(index) for index in definition.domain)
        if not equation.domain and width:      # declared without a domain: the definition gives it
            equation.domain = tuple(n for index in definition.domain for n in (index.names or (index.value,)))
        if width != len(equation.domain):
            raise self.error(f"equation {definition.name} is declared over {len(equation.domain)} ind"
                             f"{'ex' if len(equation.domain) == 1 else 'ices'} but defined over {width}", definition)
        equation.definition = equation.definition or definition
        equation.definitions.append(definition)

    # -- assignments
    def assign(self, a: Assignment, env):
        target = a.target
        if target.name.lower() in SYSTEM_SCALARS:
            self.notes.append(f"line {a.line}: {target.name} = ... ignored (a GAMS system scalar)")
            return
        symbol = self.symbol(target.name, target)
        attr = target.attr
        if isinstance(symbol, GModel | FileStatement):
            self.model_options.setdefault(target.name.lower(), {})[attr] = self.value(a.expression, env)
            return
        if isinstance(symbol, GEquation):
            self.notes.append(f"line {a.line}: {target.name}.{attr} = ... ignored (equation attributes do not "
                              f"change the model)")
            return
        if isinstance(symbol, GVariable):
            if attr is None:
                raise self.error(f"cannot assign to variable {target.name}: give an attribute (.lo, .up, .l, .fx)",
                                 target)
            if attr not in ("lo", "up", "l", "fx", "m", "scale", "prior"):
                raise self.error(f"the variable attribute .{attr} is not supported", target)
            if attr in ("scale", "prior"):
                self.notes.append(f"line {a.line}: {target.name}.{attr} ignored")
                return
        elif attr is not None:
            raise self.error(f"{_kind(symbol)} {target.name} has no attribute .{attr}", target)
        domain = symbol.domain
        indices = target.indices or ()
        given = sum(self.width(index) for index in indices)
        if given != len(domain):
            raise self.error(f"{target.name} has {len(domain)} ind{'ex' if len(domain) == 1 else 'ices'}; the "
                             f"assignment gives {given}", target)
        items, slots = self.target_slots(indices, env, target)
        for inner in self.domain_envs(Domain(tuple(items)), env, a) if items else [env]:
            key = self.target_key(slots, inner, target)
            if key is None:
                continue
            if a.condition is not None and not self.truth(a.condition, inner):
                continue
            self.assigning_levels = attr == "l"
            try:
                value = self.value(a.expression, inner)
            finally:
                self.assigning_levels = False
            self.store(symbol, attr, key, value, a)

    def store(self, symbol, attr, key, value, node):
        if isinstance(symbol, GParameter):
            if value == 0:
                symbol.values.pop(key, None)
            else:
                symbol.values[key] = value
        elif isinstance(symbol, GSet):
            if value:
                symbol.elements[key] = None
            else:
                symbol.elements.pop(key, None)
            symbol.changed()
        elif attr == "fx":
            for name in ("lo", "up", "l"):
                symbol.attributes[name][key] = value
        else:
            symbol.attributes[attr][key] = value

    # -- iteration
    def domain_envs(self, domain: Domain, env, node):
        """Every binding of the domain's indices (in set order) that satisfies its condition.

        ``i`` binds i to each element of set i; ``ij`` (a set of pairs) binds ij to each pair; ``ij(i,j)`` binds
        i, j and ij, and an index already controlled (``sum(ij(i,j), ...)`` inside a loop over i) restricts the
        pairs to those with that i."""
        choices = []
        for item in domain.items:
            gset = self.set_of(item.set, item)
            if len(item.names) == 1:
                name = item.names[0].lower()
                if name in env:
                    raise self.error(f"the index {item.names[0]} is already controlled here", item)
                if gset.dim > 1:                        # sum(ij, ...): ij stands for its tuples, and binds
                    over = [d.lower() for d in gset.domain]     # its domain's indices (i, j) where it can
                    named = [(k, d) for k, d in enumerate(over) if d != "*" and d not in env and d != name and
                             over.count(d) == 1]
                    sets = {d: self.set_of(d, item) for _, d in named}
                    choices.append([((name, key, gset), *((d, key[k], sets[d]) for k, d in named))
                                    for key in gset.elements])
                else:
                    choices.append([((name, key[0], gset),) for key in gset.elements])
                continue
            if len(item.names) != gset.dim:
                raise self.error(f"set {item.set} has {gset.dim} ind{'ex' if gset.dim == 1 else 'ices'}, "
                                 f"{len(item.names)} given", item)
            sets = [self.set_of(n, item) if n.lower() in self.symbols or n.lower() in self.aliases else gset
                    for n in item.names]
            fixed = {k: env[n.lower()][0] for k, n in enumerate(item.names) if n.lower() in env}
            free = [(k, n.lower()) for k, n in enumerate(item.names) if n.lower() not in env]
            own = item.set.lower()
            bindings = []
            for key in gset.elements:
                if any(key[k] != label for k, label in fixed.items()):
                    continue
                binding = tuple((n, key[k], sets[k]) for k, n in free)
                if own not in env and own not in {n for _, n in free}:
                    binding += ((own, key, gset),)
                bindings.append(binding)
            choices.append(bindings)
        for combination in itertools.product(*choices):
            inner = dict(env)
            for binding in combination:
                for name, label, gset in binding:
                    inner[name] = (label, gset)
            if domain.condition is None or self.truth(domain.condition, inner):
                yield inner

    # ------------------------------------------------------------------------------ expressions
    def truth(self, node, env) -> bool:
        value = self.value(node, env)
        if not isinstance(value, float | int):
            raise self.error("a condition ($, if, ...) cannot depend on a variable's value in the model; use its "
                             "level (.l)", _position(node))
        return value != 0 and not math.isnan(value)

    def value(self, node, env):
        """The number (or, while building equations, the Pyomo expression) that ``node`` stands for."""
        kind = type(node)
        if kind is Num:
            return node.value
        if kind is Binary:
            if node.op in ("+", "-") and type(node.left) is Binary and node.left.op in ("+", "-"):
                return self.chain(node, env)
            if node.op in ("and", "or") and type(node.left) is Binary and node.left.op == node.op:
                return self.logical_chain(node, env)
            return self.binary(node, env)
        if kind is Ref:
            try:
                return self.reference(node, env)
            except Missing:
                return 0.0
        if kind is Unary:
            if node.op == "-":
                return -self.value(node.operand, env)
            return 0.0 if self.truth(node.operand, env) else 1.0
        if kind is Dollar:
            return self.value(node.value, env) if self.truth(node.condition, env) else 0.0
        if kind is Agg:
            return self.aggregate(node, env)
        if kind is Call:
            return self.call(node, env)
        raise self.error(f"cannot evaluate {kind.__name__}")

    def chain(self, node: Binary, env):
        """``a + b - c + ...`` without recursion on its length (a written-out sum may have thousands of terms)."""
        terms = []
        while type(node) is Binary and node.op in ("+", "-"):
            terms.append((node.op, node.right))
            node = node.left
        total = self.value(node, env)
        for op, term in reversed(terms):
            value = self.value(term, env)
            total = total + value if op == "+" else total - value
        return total

    def logical_chain(self, node: Binary, env):
        """``a or b or c ...`` (or ``and``) without recursion on its length, stopping at the first deciding term."""
        op, terms = node.op, []
        while type(node) is Binary and node.op == op:
            terms.append(node.right)
            node = node.left
        terms.append(node)
        deciding = op == "or"                      # a true term decides 'or', a false one 'and'
        for term in reversed(terms):
            if self.truth(term, env) == deciding:
                return 1.0 if deciding else 0.0
        return 0.0 if deciding else 1.0

    def binary(self, node: Binary, env):
        op = node.op
        if op in ("and", "or", "xor"):
            left = self.truth(node.left, env)
            if op == "and":
                return 1.0 if left and self.truth(node.right, env) else 0.0
            if op == "or":
                return 1.0 if left or self.truth(node.right, env) else 0.0
            return 1.0 if left != self.truth(node.right, env) else 0.0
        a, b = self.value(node.left, env), self.value(node.right, env)
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            if (type(a) is float and a == 0) or (type(b) is float and b == 0):
                return 0.0
            return a * b
        if op == "/":
            if type(b) is float and b == 0:
                raise self.error("division by zero", node)
            return a / b
        if op == "**":
            return _power(a, b, self, node)
        if not (isinstance(a, float | int) and isinstance(b, float | int)):
            raise self.error(f"a comparison ({op}) of variables is not allowed in an expression", node)
        return 1.0 if {"lt": a < b, "le": a <= b, "eq": a == b, "ne": a != b, "ge": a >= b, "gt": a > b}[op] else 0.0

    def aggregate(self, node: Agg, env):
        body = node.body
        if node.op == "sum":                    # sum(j, a(j)$c) with c free of j: test c once, not per j
            bound = {n.lower() for item in node.domain.items for n in (*item.names, item.set)}
            while type(body) is Dollar and not (self.names(body.condition) & bound):
                if not self.truth(body.condition, env):
                    return 0.0
                body = body.value
        values = [self.value(body, inner) for inner in self.domain_envs(node.domain, env, node)]
        if node.op == "sum":
            numbers = [v for v in values if type(v) is float or type(v) is int]
            others = [v for v in values if not (type(v) is float or type(v) is int)]
            total = math.fsum(numbers)
            if not others:
                return total
            from pyomo.environ import quicksum

            return quicksum(others) + total if total else quicksum(others)
        if node.op == "prod":
            result = 1.0
            for v in values:
                result = result * v
            return result
        if any(not isinstance(v, float | int) for v in values):
            raise self.error(f"{node.op} over variables is not supported (it is not smooth)", node)
        if node.op == "smin":
            return min(values, default=math.inf)
        if node.op == "smax":
            return max(values, default=-math.inf)
        if node.op == "sand":
            return 1.0 if all(values) else 0.0
        return 1.0 if any(values) else 0.0

    def reference(self, node: Ref, env):
        lower = node.name.lower()
        if lower in SYSTEM_SCALARS and lower not in self.symbols:
            return 0.0
        if lower in env and node.indices is None:
            label, gset = env[lower]
            if node.attr == "val":
                try:
                    return float(label)
                except ValueError:
                    raise self.error(f"{node.name}.val: the label '{label}' is not a number", node) from None
            if node.attr == "ord":
                return float(gset.position(label))
            raise self.error(f"the index {node.name} cannot be used as a number: use ord({node.name}) or "
                             f"{node.name}.val", node)
        symbol = self.symbol(node.name, node)
        key = self.key(node, symbol, env)
        if isinstance(symbol, GParameter):
            if node.attr is not None:
                raise self.error(f"parameter {node.name} has no attribute .{node.attr}", node)
            return symbol.values.get(key, 0.0)
        if isinstance(symbol, GSet):
            return 1.0 if key in symbol.elements else 0.0
        if isinstance(symbol, GVariable):
            attr = node.attr
            if attr is None:
                if self.variable_mode is None:
                    raise self.error(f"variable {node.name} in an assignment: use its level {node.name}.l", node)
                return self.variable_mode(symbol, key, node)
            if attr in ("l", "m", "scale"):
                return symbol.attributes[attr].get(key, 0.0 if attr != "scale" else 1.0)
            if attr == "lo":
                return symbol.bounds(key)[0]
            if attr == "up":
                return symbol.bounds(key)[1]
            raise self.error(f"the variable attribute .{attr} is not supported", node)
        if isinstance(symbol, GEquation):
            if node.attr in ("l", "m"):
                return 0.0
            raise self.error(f"equation {node.name} cannot be used as a value", node)
        raise self.error(f"{_kind(symbol)} {node.name} cannot be used as a value", node)

    def key(self, node: Ref, symbol, env) -> tuple:
        domain = symbol.domain
        indices = node.indices or ()
        if isinstance(symbol, GSet) and not indices and symbol.domain == ("*",):
            raise self.error(f"set {node.name} used without indices", node)
        labels = []
        for index in indices:
            label = self.index_label(index, env, node)
            labels.extend(label) if type(label) is tuple else labels.append(label)
        if len(labels) != len(domain):
            raise self.error(f"{node.name} has {len(domain)} ind{'ex' if len(domain) == 1 else 'ices'}, "
                             f"{len(labels)} given", node)
        return tuple(labels)

    def width(self, index: Index) -> int:
        """How many key positions ``index`` fills: a multi-dimensional set's name fills its dimension."""
        if index.kind == "set" and index.lag is None:
            found = self.symbols.get(self.aliases.get(index.value.lower(), index.value.lower()))
            if isinstance(found, GSet) and found.dim > 1:
                return found.dim
        return index.width

    def index_label(self, index: Index, env, node) -> str:
        if index.kind == "label":
            return self.known_label(index.value) or index.value
        bound = env.get(index.value.lower())
        if bound is None:
            what = "set" if index.value.lower() in self.symbols or index.value.lower() in self.aliases else "name"
            if what == "set":
                raise self.error(f"the set {index.value} is not controlled here (sum over it, or put it in the "
                                 f"equation's or assignment's domain)", node)
            raise self.error(f"'{index.value}' is neither a controlled set nor a quoted label (write "
                             f"'{index.value}' in quotes for a label)", node)
        label, gset = bound
        if index.lag is not None:
            shift = self.value(index.lag, env)
            if not isinstance(shift, float | int) or shift != int(shift):
                raise self.error(f"the lag of {index.value} must be a whole number", node)
            position = gset.position(label)
            if position is None:
                raise Missing
            position += index.sign * int(shift)
            if index.circular:
                position = (position - 1) % len(gset.elements) + 1
            label = gset.at(position)
            if label is None:
                raise Missing
        return label

    def target_slots(self, indices, env, node):
        """The domain items to iterate for a target's indices (an assignment's left side, an equation's domain)
        and, per key position, a fixed label or the index name whose label goes there. An index written twice
        (``e(i,i)..``) is iterated once: the diagonal."""
        items, slots, iterated = [], [], set()
        for index in indices:
            if index.kind == "label":
                slots.append(("label", self.known_label(index.value) or self.label(index.value)))
            elif index.kind == "subset":
                items.append(DomainItem(index.value, index.names, node.line, node.col))
                slots.extend(("name", name.lower()) for name in index.names)
                iterated.update(name.lower() for name in index.names)
            else:
                name = index.value.lower()
                if name not in env and name not in iterated:
                    items.append(DomainItem(index.value, (index.value,), node.line, node.col))
                    iterated.add(name)
                slots.append(("name", name) if index.lag is None else ("lag", index))
        return items, slots

    def target_key(self, slots, env, node) -> tuple | None:
        """The key that ``slots`` (from :meth:`target_slots`) give under ``env``; None where a lag leaves the set."""
        key = []
        for kind, value in slots:
            if kind == "label":
                key.append(value)
            elif kind == "name":
                label = env[value][0]
                key.extend(label) if type(label) is tuple else key.append(label)
            else:
                try:
                    key.append(self.index_label(value, env, node))
                except Missing:
                    return None
        return tuple(key)

    def call(self, node: Call, env):
        name = node.name
        if name in ("ord", "card", "sameas", "diag"):
            return self.set_function(node, env)
        args = [self.value(a, env) for a in node.args]
        numeric = all(isinstance(a, float | int) for a in args)
        arity = _ARITY.get(name)
        if arity is not None and len(args) not in arity:
            raise self.error(f"{name}() takes {' or '.join(map(str, arity))} argument(s), got {len(args)}", node)
        if name in ("uniform", "normal", "uniformint"):
            if not self.assigning_levels:
                raise self.error(f"{name}() draws GAMS's random numbers, which cannot be reproduced here: write the "
                                 f"data out", node)
            return self.random_start(name, args, node)
        if numeric:
            try:
                return float(_NUMERIC[name](*args))
            except (ValueError, ZeroDivisionError, OverflowError) as err:
                raise self.error(f"{name}({', '.join(f'{a:g}' for a in args)}): {err}", node) from None
            except KeyError:
                raise self.error(f"the function {name}() is not supported", node) from None
        symbolic = _SYMBOLIC.get(name)
        if symbolic is None:
            raise self.error(f"the function {name}() of a variable is not supported (only smooth functions and "
                             f"abs, min, max)", node)
        return symbolic(*args)

    def random_start(self, name, args, node) -> float:
        """A random start value (``x.l(i) = uniform(0, 1)``): drawn from Python's generator, seeded, since a start
        does not change the model; GAMS's own numbers differ (noted once)."""
        import random

        if self.random is None:
            self.random = random.Random(0)
            self.notes.append(f"line {node.line}: {name}() for start values draws from a seeded generator, not "
                              f"GAMS's (the starting point differs, the model does not)")
        if len(args) != 2:
            raise self.error(f"{name}() takes 2 arguments", node)
        low, high = args
        if name == "uniform":
            return self.random.uniform(low, high)
        if name == "uniformint":
            return float(self.random.randint(int(low), int(high)))
        return self.random.gauss(low, high)

    def set_function(self, node: Call, env):
        args = node.args
        if node.name == "card":
            ref = args[0]
            if not isinstance(ref, Ref):
                raise self.error("card() takes a set or parameter name", node)
            symbol = self.symbol(ref.name, node)
            if isinstance(symbol, GSet):
                return float(len(symbol.elements))
            if isinstance(symbol, GParameter):
                return float(sum(1 for v in symbol.values.values() if v != 0))
            raise self.error(f"card({ref.name}): not a set or parameter", node)
        if node.name == "ord":
            index = args[0]
            if len(args) != 1 or index.kind != "set" or index.value.lower() not in env:
                raise self.error("ord() takes a controlled set index", node)
            try:
                label = self.index_label(index, env, node)
            except Missing:
                return 0.0
            return float(env[index.value.lower()][1].position(label))
        if len(args) != 2:
            raise self.error(f"{node.name}() takes two arguments", node)
        a, b = (self.label_argument(arg, env, node) for arg in args)
        same = a.lower() == b.lower()
        return 1.0 if same else 0.0

    def label_argument(self, arg, env, node) -> str:
        if isinstance(arg, Ref) and arg.indices is None and arg.attr is None and arg.name.lower() in env:
            return env[arg.name.lower()][0]
        if isinstance(arg, Index):
            return self.index_label(arg, env, node)
        raise self.error("sameas() takes set indices or quoted labels", node)

    def names(self, node) -> frozenset:
        """Every name (symbol or index, lower-case) that an expression mentions; cached per node (the cache
        holds the node, so its id is not reused while the cache lives)."""
        hit = self._names.get(id(node))
        if hit is not None:
            return hit[1]
        kind = type(node)
        if kind is Ref:
            names = {node.name.lower()}
            for index in node.indices or ():
                if index.kind != "label":
                    names.add(index.value.lower())
                if index.lag is not None:
                    names |= self.names(index.lag)
        elif kind is Index:
            names = {node.value.lower()} if node.kind != "label" else set()
        elif kind is Agg:
            names = set(self.names(node.body))
            names |= self.names(node.domain.condition) if node.domain.condition is not None else set()
            names |= {n.lower() for item in node.domain.items for n in (*item.names, item.set)}
        elif kind is Binary:
            names = self.names(node.left) | self.names(node.right)
        elif kind is Dollar:
            names = self.names(node.value) | self.names(node.condition)
        elif kind is Unary:
            names = set(self.names(node.operand))
        elif kind is Call:
            names = set().union(*(self.names(a) for a in node.args))
        else:
            names = set()
        found = frozenset(names)
        self._names[id(node)] = (node, found)
        return found

    # ------------------------------------------------------------------------------ put files
    def put(self, statement: Put, env):
        if statement.file is not None:
            self.current_file = statement.file.lower()
        if self.current_file is None:
            raise self.error("put before any 'file' statement", statement)
        path = self.files.get(self.current_file)
        if path is None:
            raise self.error(f"put to '{statement.file}', which is not a declared file", statement)
        if path in self.closed and not self.model_options.get(self.current_file, {}).get("ap"):
            self.written[path] = []             # a put after putclose starts the file again (unless f.ap = 1)
        self.closed.discard(path)
        chunks = self.written.setdefault(path, [])
        tight_before = False
        for item in statement.items:
            if item == "/":
                chunks.append("\n")
                continue
            tight = isinstance(item, Tight)
            item = item.item if tight else item
            if isinstance(item, str):
                text = item
            elif isinstance(item, Ref) and self.is_model_symbol(item) and item.attr in (None, "tn"):
                text = self.gams_name(item, env)
            elif isinstance(item, Ref) and item.attr in ("tl", "te") and item.name.lower() in env:
                label = env[item.name.lower()][0]        # a set element's label (its text: the label too)
                text = ".".join(label) if type(label) is tuple else label
            else:
                value = self.value(item, env)
                text = f"{value:g}" if isinstance(value, float | int) else str(value)
            if chunks and not (tight or tight_before) and not chunks[-1].endswith(("\n", " ")) and \
                    not text.startswith(" "):
                chunks.append(" ")               # items are written apart (empinfo reads words)
            chunks.append(text)
            tight_before = tight
        if statement.close:
            chunks.append("\n")
            self.closed.add(path)
            self.current_file = None if statement.file is None else self.current_file

    def is_model_symbol(self, ref: Ref) -> bool:
        lower = self.aliases.get(ref.name.lower(), ref.name.lower())
        return isinstance(self.symbols.get(lower), GVariable | GEquation)

    def gams_name(self, ref: Ref, env) -> str:
        """``x('a','b')`` for a put of a variable or equation (empinfo names them this way)."""
        symbol = self.symbol(ref.name, ref)
        if not ref.indices:
            return symbol.name
        key = self.key(ref, symbol, env)
        return f"{symbol.name}({','.join(_quote(k) for k in key)})"


def _quote(label: str) -> str:
    return f"'{label}'" if "'" not in label else f'"{label}"'


def _position(node):
    return node if hasattr(node, "line") else None


_KIND_NAMES = {GSet: "a set", GParameter: "a parameter", GVariable: "a variable", GEquation: "an equation",
               GModel: "a model", FileStatement: "a file"}


def _kind(symbol) -> str:
    return _KIND_NAMES.get(type(symbol), "a symbol")


def _power(a, b, interpreter, node):
    if isinstance(a, float | int) and isinstance(b, float | int):
        if a < 0 and b != int(b):
            raise interpreter.error(f"{a:g}**{b:g}: a negative number to a fractional power", node)
        if a == 0 and b < 0:
            raise interpreter.error("0 to a negative power", node)
        return float(a) ** float(b)
    return a ** b


def _gams_round(x, n=0):
    factor = 10.0 ** n
    return math.floor(abs(x) * factor + 0.5) / factor * (1 if x >= 0 else -1)


def _errorf(x):
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


_ARITY = {"power": (2,), "rpower": (2,), "cvpower": (2,), "vcpower": (2,), "mod": (2,), "div": (2,),
          "round": (1, 2), "ifthen": (3,), "signpower": (2,)}
_NUMERIC = {
    "exp": math.exp, "log": math.log, "log10": math.log10, "log2": math.log2, "sqr": lambda x: x * x,
    "sqrt": math.sqrt, "power": lambda x, n: _power_number(x, n), "rpower": lambda x, n: _power_number(x, n),
    "cvpower": lambda x, n: _power_number(x, n), "vcpower": lambda x, n: _power_number(x, n), "abs": abs,
    "min": min, "max": max, "sin": math.sin, "cos": math.cos, "tan": math.tan, "arctan": math.atan,
    "sign": lambda x: (x > 0) - (x < 0), "round": _gams_round, "floor": math.floor, "ceil": math.ceil,
    "mod": math.fmod, "trunc": math.trunc, "div": lambda a, b: a / b, "errorf": _errorf,
    "ifthen": lambda c, a, b: a if c else b, "signpower": lambda x, n: math.copysign(abs(x) ** n, x),
    "gamma": math.gamma, "loggamma": math.lgamma, "fact": lambda n: math.gamma(n + 1),
}


def _power_number(x, n):
    if x < 0 and n != int(n):
        raise ValueError("a negative number to a fractional power")
    return float(x) ** float(n)


def _min(*args):
    from pyomo.core.expr.numeric_expr import MinExpression

    return MinExpression(tuple(args))


def _max(*args):
    from pyomo.core.expr.numeric_expr import MaxExpression

    return MaxExpression(tuple(args))


def _pyomo(name):
    def apply(*args):
        import pyomo.environ as pyo

        return getattr(pyo, name)(*args)

    return apply


_SYMBOLIC = {
    "exp": _pyomo("exp"), "log": _pyomo("log"), "log10": _pyomo("log10"), "sqrt": _pyomo("sqrt"),
    "sin": _pyomo("sin"), "cos": _pyomo("cos"), "tan": _pyomo("tan"), "arctan": _pyomo("atan"),
    "sqr": lambda x: x ** 2, "power": lambda x, n: x ** n, "rpower": lambda x, n: x ** n,
    "cvpower": lambda x, n: x ** n, "vcpower": lambda x, n: x ** n, "abs": abs, "min": _min, "max": _max,
    "div": lambda a, b: a / b,
}
