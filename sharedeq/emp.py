"""GAMS EMP ``empinfo`` annotations for Pyomo models: parse, resolve, build a problem, write them back.

An empinfo text says who owns what, in the model's own names (GAMS EMP manual, "EMP Syntax for Equilibrium
Problems", "Variational Inequalities", "Quasi-Variational Inequalities", "Embedded Complementarity Systems",
"Bilevel Programs")::

    equilibrium
    VIsol cons
    min obj('1') x('1') objdef('1') cons
    min obj('2') x('2') objdef('2') cons

Grammar (a keyword starts a new statement, so a statement may span lines; commas separate like blanks)::

    empinfo   = { statement } ;
    statement = "equilibrium"
              | [ label ":" ] ( "min" | "max" ) objective { variable | "*" } { equation | "*" }
              | "vi" { function variable | variable | equation }          (pairs, zero functions, constraints)
              | "qvi" { function variable [ variable ] | variable | equation }   (the 2nd variable: a shadow)
              | "dualequ" equation variable { equation variable }
              | ( "visol" | "sharedequ" ) equation { equation }
              | ( "dualvar" | "implicit" ) variable equation { variable equation }
              | "bilevel" variable { variable } ;                        (then the followers' min/max)
    name      = [ "-" ] ident { "." ident } [ "(" index { "," index } ")" | "[" index { "," index } "]" ] ;
    index     = "'" chars "'" | '"' chars '"' | unquoted ;              ("*", quoted or not: any label)
    label     = ident | "'" chars "'" | '"' chars '"' ;
    comment   = a line whose first non-blank character is "*" ;

Keywords are case-insensitive (``VIsol``, ``visol``). Whether a name is a variable, an equation, an
objective or an expression is decided by the model, as in GAMS: after ``min``/``max`` come the objective, then
the agent's variables, then its equations. A name without indices stands for every element of an indexed
component; indices are matched against the component's index values by their text (``x(1)``, ``x('1')`` and
``x[1]`` all find the key ``1``), and ``*`` matches every label in its position (``cons('1',*)``); a bare ``*``
in an agent's list stands for every variable (or, after its equations, every equation) left over. An equation
listed by several agents is shared among them; ``VIsol`` gives it one multiplier, ``sharedequ`` one per agent
(the default). The optional ``label:`` before ``min``/``max`` (ReSHOP syntax) names the agent; without it an
agent is named by its objective's index (``obj(2)`` -> ``"2"``) when all objectives are elements of one
component, else by the objective's name. An agent owns its objective variable: one that an equality among the
agent's equations contains is eliminated through it (``objdef``), any other is a variable the agent chooses
(``max x optcons``). The ``bilevel`` leader takes the model's active Objective, the variables after ``bilevel``,
the active equations no statement names, and the unclaimed variables of that objective and those equations.

In a ``vi`` (or ``qvi``) an equation or expression followed by a variable is a pair; a variable with no function
before it has the zero function, and so does a variable that appears in the VI's constraints but nowhere in the
empinfo (JAMS's rule, GAMS EMP library model ``zerofunc``); an equation not followed by a variable is a
constraint of the VI, differentiated with respect to the VI's own variables only. ``-e`` flips equation ``e``
(``f =l= b`` becomes ``-f =g= -b``): it negates a pair's equality function and changes nothing else. Without
``equilibrium`` and without ``min``/``max``, the model's single active Objective is one agent owning everything
the empinfo leaves (GAMS's long-form solve, where ``dualequ H y`` peels ``H`` and ``y`` off the optimiser).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import pyomo.environ as pyo
from pyomo.common.collections import ComponentMap, ComponentSet
from pyomo.core.base.constraint import ConstraintData
from pyomo.core.base.indexed_component_slice import IndexedComponent_slice
from pyomo.core.base.var import VarData
from pyomo.core.expr.visitor import identify_variables

from sharedeq.errors import ModelError
from sharedeq.problem import EquilibriumProblem

KEYWORDS = ("equilibrium", "min", "max", "vi", "qvi", "dualequ", "visol", "sharedequ", "dualvar", "implicit",
            "bilevel")
# keywords of the EMP language outside equilibrium problems, and what they belong to
_UNSUPPORTED = {
    "modeltype": "the reformulation of a single model (modeltype)", "adjustequ": "soft constraints",
    "disjunction": "disjunctive programming", "default": "disjunctive programming",
    "randvar": "stochastic programming", "jrandvar": "stochastic programming", "stage": "stochastic programming",
    "chance": "stochastic programming", "expcost": "stochastic programming", "ovf": "optimal value functions",
}
_AGENT_KEYWORDS = ("min", "max")
_VI_KEYWORDS = ("vi", "qvi", "dualequ")

# keyword -> (fewest names, names come in pairs, what the keyword needs)
_NEEDS = {
    "min": (2, False, "an objective followed by the agent's variables and equations"),
    "max": (2, False, "an objective followed by the agent's variables and equations"),
    "vi": (2, False, "function-variable pairs, then the VI's constraints, e.g. 'vi F x g'"),
    "qvi": (2, False, "function-variable pairs, each with its shadow parameter, then constraints: 'qvi F y x g'"),
    "dualequ": (2, True, "pairs of an equation and a variable, e.g. 'dualequ H y'"),
    "sharedequ": (1, False, "the names of shared equations"),
    "bilevel": (1, False, "the leader's variables, then the followers' 'min'/'max' statements"),
    "visol": (1, False, "the names of shared equations"),
    "dualvar": (2, True, "pairs of a variable and an equation, e.g. 'dualvar u g'"),
    "implicit": (2, True, "pairs of a variable and its defining equation, e.g. 'implicit y defy'"),
}

_KINDS = {
    pyo.Var: "variable", pyo.Constraint: "equation", pyo.Objective: "objective", pyo.Expression: "expression",
}

_IDENT = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*"
_QUOTED = r"'[^']*'|\"[^\"]*\""
_LEXEME = re.compile(
    rf"(?P<space>[\s,]+)|(?P<label>{_IDENT}|{_QUOTED})\s*:|(?P<flip>-)?(?P<name>{_IDENT})(?P<open>\s*[(\[])?"
    rf"|(?P<other>.)"
)
_INDEX_BODY = re.compile(r"(?:'[^']*'|\"[^\"]*\"|[^'\"()\[\]])*")
_BARE_INDEX = r"[^,'\"\s()\[\]]+"
_INDEX = re.compile(rf"\s*(?:'([^']*)'|\"([^\"]*)\"|({_BARE_INDEX}))\s*")
_CLOSE = {"(": ")", "[": "]"}
_BAD_CHARACTER = {
    "-": "'-' (a flipped equation) must be followed directly by an equation's name, e.g. -cons",
}


class EmpError(ModelError):
    """An empinfo text that cannot be parsed or does not fit the model; the message says line and column."""

    def __init__(self, message, line=None, col=None, source=None):
        self.line, self.col = line, col
        if line is not None:
            message = f"empinfo line {line}, col {col}: {message}"
            if source is not None:
                message += f"\n    {source}\n    {' ' * (col - 1)}^"
        super().__init__(message)


# ---------------------------------------------------------------------------------------------- parsing
@dataclass(frozen=True)
class Token:
    """A keyword (``value`` lower-cased) or an agent label (``value`` unquoted), where it was written."""

    kind: str
    value: str
    text: str
    line: int
    col: int


@dataclass(frozen=True)
class Name:
    """A model name as written: ``base`` component name, ``indices`` as text (None: no index list given; ``*``
    is a wildcard), ``flip`` when written ``-name`` (a flipped equation)."""

    text: str
    base: str
    indices: tuple[str, ...] | None
    line: int
    col: int
    flip: bool = False


@dataclass(frozen=True)
class Statement:
    """One keyword with its names; ``word`` is the keyword as written, ``label`` the agent label if any."""

    keyword: str
    word: str
    args: tuple[Name, ...]
    line: int
    col: int
    label: str | None = None


@dataclass(frozen=True)
class EmpAnnotation:
    """A parsed empinfo text: its statements in order, and the text (for error messages)."""

    statements: tuple[Statement, ...]
    text: str


def _fail(lines, node, message):
    raise EmpError(message, node.line, node.col, lines[node.line - 1])


def tokenize(text: str) -> list[Token | Name]:
    """Split empinfo text into keywords, labels and names, skipping blank and ``*`` comment lines."""
    lines = text.splitlines()
    tokens = []
    for number, line in enumerate(lines, 1):
        if not line.lstrip().startswith("*"):
            tokens.extend(_line_tokens(line, number))
    return tokens


def _line_tokens(line, number):
    pos = 0
    while pos < len(line):
        m = _LEXEME.match(line, pos)
        col = pos + 1
        pos = m.end()
        if m.group("label") is not None:
            label = m.group("label")
            yield Token("label", label[1:-1] if label[0] in "'\"" else label, label, number, col)
        elif m.group("name") is not None:
            token, pos = _name_token(line, number, col, m)
            yield token
        elif m.group("other") == "*":
            yield Name("*", "*", None, number, col)
        elif m.group("other") is not None:
            char = m.group("other")
            raise EmpError(_bad_character(char), number, col, line)


def _bad_character(char) -> str:
    if char.isdigit():
        return ("a name must start with a letter (for a zero function list the variable alone in the vi "
                "statement: 'vi F x z g' pairs z with the zero function)")
    return _BAD_CHARACTER.get(char, f"unexpected character {char!r}")


def _name_token(line, number, col, m):
    """A keyword token, or a Name with its index list parsed; returns (token, position after it)."""
    base = m.group("name")
    flip = m.group("flip") is not None
    start = col + flip                         # where the name itself starts
    if m.group("open") is None:
        word = base.lower()
        if word in KEYWORDS:
            if flip:
                raise EmpError(f"'-' flips an equation; '{base}' is a keyword", number, col, line)
            return Token("keyword", word, base, number, col), m.end()
        if word in _UNSUPPORTED and not flip:
            raise EmpError(f"the GAMS EMP keyword '{base}' belongs to {_UNSUPPORTED[word]}, outside equilibrium "
                           f"problems; sharedeq reads the equilibrium part of empinfo only", number, col, line)
        return Name(base, base, None, number, col, flip), m.end()
    opening = m.group("open").strip()
    close = _INDEX_BODY.match(line, m.end()).end()
    if close >= len(line) or line[close] != _CLOSE[opening]:
        raise EmpError(f"'{opening}' after '{base}' is not closed by '{_CLOSE[opening]}' on this line",
                       number, col, line)
    indices = _split_indices(line[m.end():close], number, col, line)
    return Name(line[start - 1:close + 1], base, indices, number, col, flip), close + 1


def _split_indices(body, number, col, line):
    indices, pos = [], 0
    while True:
        m = _INDEX.match(body, pos)
        if m is None:
            raise EmpError("malformed index list: expected labels separated by commas", number, col, line)
        indices.append(next(g for g in m.groups() if g is not None))
        pos = m.end()
        if pos == len(body):
            return tuple(indices)
        if body[pos] != ",":
            raise EmpError("malformed index list: expected ',' between labels", number, col, line)
        pos += 1


def parse_empinfo(text: str) -> EmpAnnotation:
    """Parse empinfo text into statements; checks syntax only (:func:`resolve_empinfo` resolves names)."""
    lines = text.splitlines()
    groups, label = [], None
    for token in tokenize(text):
        if label is not None and not (isinstance(token, Token) and token.value in _AGENT_KEYWORDS):
            _fail(lines, label, f"the label '{label.text}:' must be followed by min or max")
        if isinstance(token, Name):
            if not groups:
                _fail(lines, token, f"'{token.text}' comes before any keyword; a statement starts with "
                                    f"one of {', '.join(KEYWORDS)}")
            groups[-1][2].append(token)
        elif token.kind == "label":
            label = token
        else:
            groups.append((token, label, []))
            label = None
    if label is not None:
        _fail(lines, label, f"the label '{label.text}:' must be followed by min or max")
    statements = tuple(_statement(lines, *group) for group in groups)
    for st in statements[1:]:
        if st.keyword == "equilibrium":
            _fail(lines, st, "'equilibrium' must be the first statement, and appear once")
    return EmpAnnotation(statements, text)


def _statement(lines, keyword, label, args):
    need = _NEEDS.get(keyword.value)
    if need is None and args:
        _fail(lines, args[0], f"'{keyword.text}' takes no names; '{args[0].text}' must follow a keyword")
    if need is not None and (len(args) < need[0] or (need[1] and len(args) % 2)):
        _fail(lines, keyword, f"'{keyword.text}' needs {need[2]}")
    return Statement(keyword.value, keyword.text, tuple(args), keyword.line, keyword.col,
                     None if label is None else label.value)


# ---------------------------------------------------------------------------------------------- resolution
@dataclass
class Ref:
    """A resolved name: its kind (variable, equation, objective, expression), component and elements."""

    name: Name
    kind: str
    component: object
    items: list
    whole: bool


@dataclass
class AgentSpec:
    """An agent as the empinfo declares it; ``constraints`` are its own (not shared) equations."""

    name: str
    sense: str
    objective: object
    variables: list
    constraints: list
    statement: Statement


@dataclass
class SharedSpec:
    """An equation listed by several agents; ``variational`` if named in ``VIsol``."""

    constraint: object
    agents: tuple[str, ...]
    variational: bool


@dataclass
class ViSpec:
    """A ``vi``, ``qvi`` or ``dualequ`` statement: ``(function or None, variable, flip, parameter or None)``
    pairs (None: the zero function; parameter: a QVI shadow variable) and the VI's constraints."""

    keyword: str
    pairs: list[tuple]
    constraints: list
    statement: Statement


@dataclass
class BilevelSpec:
    """``bilevel``: the leader (the model's active Objective; the variables after ``bilevel`` and the unclaimed ones
    of that objective and of its constraints; the model's other active constraints); the ``min``/``max`` agents
    are its followers."""

    objective: object
    sense: str
    variables: list
    constraints: list


@dataclass
class EmpSpec:
    """An empinfo resolved against a model: everything :class:`EquilibriumProblem` needs, as Pyomo objects."""

    model: object
    agents: list[AgentSpec]
    shared: list[SharedSpec]
    vis: list[ViSpec]
    implicit: list[tuple]
    dualvars: list[tuple]
    bilevel: BilevelSpec | None = None

    @property
    def vi_pairs(self) -> list[tuple]:
        """Every (function, variable) pair of every VI, in order (function None: the zero function)."""
        return [pair[:2] for vi in self.vis for pair in vi.pairs]


def resolve_empinfo(model, annotation) -> EmpSpec:
    """Resolve empinfo text (or a parsed :class:`EmpAnnotation`) against the Pyomo ``model``."""
    if isinstance(annotation, str):
        annotation = parse_empinfo(annotation)
    return _Resolver(model, annotation).spec()


class _Resolver:
    """Turns names into Pyomo objects and statements into agents, pairs and shared equations."""

    def __init__(self, model, annotation):
        self.model = model
        self.statements = annotation.statements
        self.lines = annotation.text.splitlines()
        self.claims = ComponentMap()
        self.wildcards: list[tuple] = []                  # (agent, "variables" | "equations", the '*' Name)
        self.tables = ComponentMap()
        self.components = None

    def fail(self, node, message):
        _fail(self.lines, node, message)

    def of(self, *keywords):
        return [st for st in self.statements if st.keyword in keywords]

    def spec(self) -> EmpSpec:
        implicit = self.pairs(self.of("implicit"))
        skip_vars = ComponentSet(v for v, _ in implicit)
        skip_cons = ComponentSet(c for _, c in implicit)
        leader = self.leader_variables()
        agents = [self.agent(st, skip_vars, skip_cons) for st in self.of(*_AGENT_KEYWORDS)]
        vis = [self.vi(st) for st in self.of(*_VI_KEYWORDS)]
        dualvars = self.pairs(self.of("dualvar"))
        taken = ComponentSet(skip_cons)
        taken.update(c for vi in vis for c in vi.constraints)
        taken.update(f for vi in vis for f, *_ in vi.pairs if isinstance(f, ConstraintData))
        taken.update(c for a in agents for c in a.constraints)
        self.fill_wildcards(taken)
        bilevel = None
        if leader is not None:
            bilevel = self.leader(leader, taken)
        elif not agents and not self.of("equilibrium"):
            agents = self.long_form(taken)
        self.zero_functions(vis)
        if not agents and not any(vi.pairs for vi in vis):
            raise EmpError("the empinfo declares no agent ('min' or 'max') and no 'vi' pair, and the model has no "
                           "single active Objective to make one agent of")
        self.name_agents(agents)
        undefined = [a for a in agents if isinstance(a.objective, VarData) and not _defines(a.constraints, a.objective)]
        shared = self.share(agents)
        self.own_objectives(agents, undefined, taken)
        return EmpSpec(self.model, agents, shared, vis, implicit, dualvars, bilevel)

    # -------------------------------------------------------------------------------- names
    def ref(self, name: Name) -> Ref:
        if name.base == "*":
            self.fail(name, "a bare '*' (all remaining variables or equations) may only follow the objective of "
                            "'min' or 'max'; for a slice of a component use a wildcard index, x('1',*)")
        component = self.component(name)
        kind = _KINDS.get(component.ctype)
        if kind is None:
            self.fail(name, f"'{name.base}' is a {component.ctype.__name__}, not a variable, equation, "
                            f"objective or expression")
        return Ref(name, kind, component, self.items(component, name),
                   name.indices is None and component.is_indexed())

    def component(self, name: Name):
        found = self.model.find_component(name.base)
        if found is not None:
            return found
        if self.components is None:
            self.components = list(self.model.component_objects(descend_into=True))
        folded = [c for c in self.components if c.name.lower() == name.base.lower()]
        if len(folded) == 1:
            return folded[0]
        close = difflib.get_close_matches(name.base, [c.name for c in self.components], n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        self.fail(name, f"unknown name '{name.base}': the model has no such component{hint}")

    def items(self, component, name: Name) -> list:
        if name.indices is None:
            return list(component.values())
        if not component.is_indexed():
            self.fail(name, f"'{name.base}' is not indexed, so '{name.text}' cannot have indices")
        dim = component.dim()
        if dim is not None and dim != len(name.indices):
            self.fail(name, f"'{name.base}' takes {dim} ind{'ex' if dim == 1 else 'ices'}; "
                            f"'{name.text}' gives {len(name.indices)}")
        if "*" in name.indices:
            return [component[k] for k in self.wildcard_keys(component, name)]
        return [component[self.key(component, name)]]

    def wildcard_keys(self, component, name: Name) -> list:
        """The keys that match ``name``'s labels where it gives one (exactly, else ignoring case); ``*`` matches
        any label (GAMS's universal set), quoted or not."""
        fixed = [(p, s, s.lower()) for p, s in enumerate(name.indices) if s != "*"]
        keys = []
        for key in component.keys():
            text = [str(k) for k in _flat(key)]
            if all(text[p] == s or text[p].lower() == low for p, s, low in fixed):
                keys.append(key)
        if not keys:
            self.fail(name, f"'{name.text}' matches no element of '{name.base}'")
        return keys

    def key(self, component, name: Name):
        if component not in self.tables:
            self.tables[component] = _key_tables(component)
        exact, folded = self.tables[component]
        hits = exact.get(name.indices) or folded.get(tuple(s.lower() for s in name.indices), [])
        if len(hits) > 1:
            self.fail(name, f"'{name.text}' is ambiguous: it matches the keys {', '.join(map(repr, hits))}")
        if not hits:
            sample = ", ".join(_index_text(k) for k in list(component.keys())[:3])
            self.fail(name, f"'{name.text}': ({','.join(name.indices)}) is not an index of '{name.base}' (its "
                            f"indices are e.g. {sample or 'none'})")
        return hits[0]

    def expect(self, ref: Ref, kinds, context):
        if ref.kind not in kinds:
            self.fail(ref.name, f"{context}: expected {' or '.join(_article(k) for k in kinds)} here, "
                                f"but '{ref.name.text}' is {_article(ref.kind)}")

    def claim(self, item, owner, name: Name):
        if item in self.claims:
            other, where = self.claims[item]
            self.fail(name, f"'{gams_name(item)}' is already claimed by {other} (line {where.line}, col "
                            f"{where.col}); each variable has one owner")
        self.claims[item] = (owner, name)

    # -------------------------------------------------------------------------------- statements
    def agent(self, st: Statement, skip_vars, skip_cons) -> AgentSpec:
        if st.args[0].base == "*":
            self.fail(st.args[0], f"'*' cannot be the objective of '{st.word}'")
        owner = f"the agent '{st.word} {st.args[0].text}'"
        objective = self.objective(self.ref(st.args[0]), st)
        self.claim(objective, owner, st.args[0])
        variables, equations, seen_equation = [], ComponentSet(), False
        spec = AgentSpec(st.label, st.keyword, objective, variables, [], st)
        for name in st.args[1:]:
            if name.base == "*":
                self.wildcards.append((spec, "equations" if seen_equation else "variables", name))
                continue
            ref = self.ref(name)
            self.expect(ref, ("variable", "equation"), owner)
            self.no_flip(ref)
            if ref.kind == "equation":
                seen_equation = True
                equations.update(c for c in ref.items if c not in skip_cons)
                continue
            if seen_equation:
                self.fail(ref.name, f"variable '{ref.name.text}' comes after the equations of {owner}; list "
                                    f"the agent's variables first, then its equations")
            for var in ref.items:
                if var not in skip_vars:
                    self.claim(var, owner, ref.name)
                    variables.append(var)
        spec.constraints = list(equations)
        return spec

    def own_objectives(self, agents, undefined, taken):
        """JAMS's rule for an objective variable (EMP library simpequil2, ``max x optcons``): the agent owns it
        (it was claimed with the objective); one that no equality among the agent's equations defines (the
        agents ``undefined``) is one of the agent's decision variables, optimised directly, unless an equality
        that no statement names contains it (a forgotten ``objdef``: an error). Then every agent must control
        some variable."""
        unnamed = None
        for agent in agents:
            objective = agent.objective
            if any(a is agent for a in undefined):
                if unnamed is None:
                    unnamed = [c for c in self.model.component_data_objects(pyo.Constraint, active=True,
                                                                            descend_into=True) if c not in taken]
                definition = next((c for c in unnamed if _defines([c], objective)), None)
                if definition is not None:
                    self.fail(agent.statement.args[0], f"the objective variable '{gams_name(objective)}' is defined "
                                                       f"by '{gams_name(definition)}', which no statement lists; "
                                                       f"list it among the agent's equations")
                if not any(v is objective for v in agent.variables):
                    agent.variables.insert(0, objective)
            if not agent.variables:
                self.fail(agent.statement, f"the agent '{agent.statement.word} {agent.statement.args[0].text}' "
                                           f"controls no variables: list them after the objective")

    def fill_wildcards(self, taken):
        """A bare ``*`` in an agent's list (GAMS test library emp13, ``min z * objDef ss``): among the variables,
        every unfixed variable of the model's active constraints and objectives that nothing else claims; among
        the equations, every active constraint that no statement names."""
        if not self.wildcards:
            return
        constraints = list(self.model.component_data_objects(pyo.Constraint, active=True, descend_into=True))
        objectives = self.model.component_data_objects(pyo.Objective, active=True, descend_into=True)
        free = ComponentSet()
        for expr in [o.expr for o in objectives] + [c.body for c in constraints]:
            free.update(v for v in identify_variables(expr, include_fixed=False) if v not in self.claims)
        unnamed = [c for c in constraints if c not in taken]
        seen = {}
        for spec, what, name in self.wildcards:
            if what in seen:
                self.fail(name, f"'*' for the {what} of two agents (also line {seen[what].line}): only one agent "
                                f"can take all remaining {what}")
            seen[what] = name
            if what == "variables":
                for var in free:
                    self.claims[var] = (f"the '*' of the agent on line {spec.statement.line}", name)
                spec.variables.extend(free)
                if not spec.variables:
                    self.fail(name, "'*' finds no variable that is not fixed or claimed already")
            else:
                own = ComponentSet(spec.constraints)
                spec.constraints.extend(c for c in unnamed if c not in own)

    def no_flip(self, ref: Ref):
        """``-name`` flips an equation (and only an equation: GAMS's ``-e``)."""
        if ref.name.flip and ref.kind != "equation":
            self.fail(ref.name, f"'-' flips an equation, but '{ref.name.text}' is {_article(ref.kind)}")

    def objective(self, ref: Ref, st: Statement):
        self.no_flip(ref)
        self.expect(ref, ("variable", "objective", "expression"), f"the objective of '{st.word}'")
        if len(ref.items) != 1:
            example = gams_name(ref.items[0]) if ref.items else f"{ref.name.base}(...)"
            self.fail(ref.name, f"the objective of '{st.word}' must be one element, '{ref.name.text}' has "
                                f"{len(ref.items)}; give its index, e.g. '{example}'")
        return ref.items[0]

    def vi(self, st: Statement) -> ViSpec:
        """``vi``/``qvi``/``dualequ``: an equation or expression followed by a variable is a pair (in ``qvi`` a
        second variable after it is the pair's shadow parameter); a variable alone has the zero function; an
        equation not followed by a variable is a constraint of the VI (GAMS's ``vi F x g``)."""
        refs = [self.ref(n) for n in st.args]
        pairs, constraints, k = [], [], 0
        while k < len(refs):
            ref = refs[k]
            self.no_flip(ref)
            after = refs[k + 1] if k + 1 < len(refs) else None
            if ref.kind == "variable":
                if st.keyword == "dualequ":
                    self.fail(ref.name, f"dualequ: expected an equation here (pairs 'dualequ H y'), but "
                                        f"'{ref.name.text}' is a variable")
                for var in ref.items:
                    self.claim(var, f"'{st.word}'", ref.name)
                    pairs.append((None, var, False, None))
                k += 1
                continue
            self.expect(ref, ("equation", "expression"), st.word)
            if after is None or after.kind != "variable":
                if ref.kind == "expression" or st.keyword == "dualequ":
                    self.fail(ref.name, f"{st.word}: '{ref.name.text}' is not followed by its variable")
                constraints.extend(ref.items)
                k += 1
                continue
            matched = self.pair(ref, after)
            k += 2
            for _, var in matched:
                self.claim(var, f"'{st.word}'", after.name)
            shadows = [None] * len(matched)
            if st.keyword == "qvi" and k < len(refs) and refs[k].kind == "variable":
                shadows = [x for _, x in self.pair(after, refs[k])]
                for x in shadows:
                    self.claim(x, f"'{st.word}' as the shadow parameter", refs[k].name)
                k += 1
            pairs += [(function, var, ref.name.flip, shadow)
                      for (function, var), shadow in zip(matched, shadows, strict=True)]
        if not pairs:
            self.fail(st, f"'{st.word}' names no variable: pair each function with its variable ('{st.word} F x')")
        return ViSpec(st.keyword, pairs, constraints, st)

    def zero_functions(self, vis):
        """JAMS's rule for unmatched variables: one that appears in a VI's constraints but nowhere in the empinfo
        is a variable of that VI with the zero function (GAMS EMP library model zerofunc)."""
        for vi in vis:
            for con in vi.constraints:
                for var in identify_variables(con.body, include_fixed=False):
                    if var not in self.claims:
                        self.claims[var] = (f"the '{vi.statement.word}' on line {vi.statement.line}", vi.statement)
                        vi.pairs.append((None, var, False, None))

    def long_form(self, taken) -> list[AgentSpec]:
        """No ``equilibrium`` and no agent: GAMS's long-form solve, one agent that minimises (or maximises) the
        model's single active Objective over every variable and active constraint the empinfo does not claim
        (``dualequ H y`` peels H and y off it)."""
        objectives = list(self.model.component_data_objects(pyo.Objective, active=True, descend_into=True))
        if len(objectives) != 1:
            return []
        objective = objectives[0]
        constraints = [c for c in self.model.component_data_objects(pyo.Constraint, active=True, descend_into=True)
                       if c not in taken]
        variables = ComponentSet()
        for expr in [objective.expr] + [c.body for c in constraints]:
            variables.update(v for v in identify_variables(expr, include_fixed=False) if v not in self.claims)
        st = Statement("min" if objective.sense == pyo.minimize else "max", "min", (), 1, 1)
        for var in variables:
            self.claims[var] = (f"the agent of Objective {objective.name}", st)
        return [AgentSpec(None, st.keyword, objective, list(variables), constraints, st)]

    def leader_variables(self):
        """The variables after ``bilevel`` (claimed by the leader), or None without a ``bilevel`` statement."""
        statements = self.of("bilevel")
        if not statements:
            return None
        if len(statements) > 1:
            self.fail(statements[1], "'bilevel' may appear once")
        variables = []
        for ref in map(self.ref, statements[0].args):
            self.expect(ref, ("variable",), statements[0].word)
            for var in ref.items:
                self.claim(var, "the bilevel leader", ref.name)
                variables.append(var)
        return variables

    def leader(self, variables, taken) -> BilevelSpec:
        """GAMS's upper level: every active equation no statement names, and the variables nothing else claims in
        those equations and in the model's active Objective (Bard's ``objout``, defined by ``defout``)."""
        objectives = list(self.model.component_data_objects(pyo.Objective, active=True, descend_into=True))
        if len(objectives) != 1:
            self.fail(self.of("bilevel")[0], f"bilevel: the leader's objective is the model's active Objective; "
                                             f"the model has {len(objectives)}")
        constraints = [c for c in self.model.component_data_objects(pyo.Constraint, active=True, descend_into=True)
                       if c not in taken]
        for expr in [objectives[0].expr] + [c.body for c in constraints]:
            for var in identify_variables(expr, include_fixed=False):
                if var not in self.claims:
                    self.claims[var] = ("the bilevel leader", self.of("bilevel")[0])
                    variables.append(var)
        sense = "min" if objectives[0].sense == pyo.minimize else "max"
        return BilevelSpec(objectives[0], sense, variables, constraints)

    def pairs(self, statements) -> list[tuple]:
        """(variable, equation) pairs of ``dualvar`` or ``implicit`` statements; claims the variables."""
        pairs = []
        for st in statements:
            refs = [self.ref(n) for n in st.args]
            for var, con in zip(refs[::2], refs[1::2], strict=True):
                self.expect(var, ("variable",), st.word)
                self.expect(con, ("equation",), st.word)
                for v, c in self.pair(var, con):
                    self.claim(v, f"'{st.word}'", var.name)
                    pairs.append((v, c))
        return pairs

    def pair(self, left: Ref, right: Ref) -> list[tuple]:
        """Pair two names element by element: whole components by index, or one element each."""
        if left.whole and right.whole and set(left.component.keys()) == set(right.component.keys()):
            return [(left.component[k], right.component[k]) for k in left.component.keys()]
        if len(left.items) == 1 == len(right.items):
            return [(left.items[0], right.items[0])]
        self.fail(right.name, f"cannot pair '{left.name.text}' ({len(left.items)} elements) with "
                              f"'{right.name.text}' ({len(right.items)} elements): give one element each, or "
                              f"two whole components over the same indices")

    def name_agents(self, agents):
        defaults = _default_names([a.objective for a in agents])
        seen = {}
        for agent, default in zip(agents, defaults, strict=True):
            agent.name = agent.name if agent.name is not None else default
            if agent.name in seen:
                self.fail(agent.statement, f"the agent name '{agent.name}' is used twice (also on line "
                                           f"{seen[agent.name].line}); label the agents 'name: min ...'")
            seen[agent.name] = agent.statement

    def share(self, agents) -> list[SharedSpec]:
        """Split equations listed by several agents off the agents' own lists; apply ``VIsol``."""
        owners = ComponentMap()
        for agent in agents:
            for con in agent.constraints:
                owners.setdefault(con, []).append(agent.name)
        declared = ComponentMap()
        for st in self.of("visol", "sharedequ"):
            for ref in map(self.ref, st.args):
                self.expect(ref, ("equation",), st.word)
                for con in ref.items:
                    if len(owners.get(con, ())) < 2:
                        self.fail(ref.name, f"{st.word}: '{gams_name(con)}' is not a shared equation: it is "
                                            f"listed by {len(owners.get(con, ()))} agent(s), a shared one by "
                                            f"several")
                    if con in declared and declared[con] != st.keyword:
                        self.fail(ref.name, f"'{gams_name(con)}' is declared both VIsol (one multiplier) and "
                                            f"sharedequ (one per agent)")
                    declared[con] = st.keyword
        visol = ComponentSet(c for c, keyword in declared.items() if keyword == "visol")
        for agent in agents:
            agent.constraints = [c for c in agent.constraints if len(owners[c]) == 1]
        return [SharedSpec(c, tuple(names), c in visol) for c, names in owners.items() if len(names) > 1]


def _defines(constraints, var) -> bool:
    """Whether an equality among ``constraints`` contains ``var`` (GAMS ``objdef.. obj =e= ...``)."""
    return any(c.equality and any(v is var for v in identify_variables(c.body)) for c in constraints)


def _key_tables(component):
    """Index text -> keys, exact and lower-cased: ``("1",)`` finds the key ``1`` and the key ``"1"``."""
    exact, folded = {}, {}
    for key in component.keys():
        text = tuple(str(k) for k in _flat(key))
        exact.setdefault(text, []).append(key)
        folded.setdefault(tuple(s.lower() for s in text), []).append(key)
    return exact, folded


def _flat(key) -> tuple:
    return key if isinstance(key, tuple) else (key,)


def _article(kind: str) -> str:
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def _index_text(key) -> str:
    return ",".join(str(k) for k in _flat(key))


def _default_names(objectives) -> list[str]:
    """Agent names from objectives: their indices if all are elements of one indexed component, else names."""
    parents = ComponentSet(_component(o) for o in objectives)
    if len(parents) == 1 and next(iter(parents)).is_indexed():
        return [_index_text(o.index()) for o in objectives]
    return [gams_name(o) for o in objectives]


# ---------------------------------------------------------------------------------------------- building
def problem_from_empinfo(model, text, name=None):
    """Build an :class:`EquilibriumProblem` on ``model`` from GAMS empinfo ``text``.

    Each ``min``/``max`` statement becomes an agent (a variable objective is passed as is: GAMS ``obj(i)``
    defined by ``objdef(i)``); equations listed by several agents are shared among them, variationally if named
    in ``VIsol``; ``vi``/``dualequ`` and ``qvi`` statements become :meth:`~EquilibriumProblem.add_vi` and
    :meth:`~EquilibriumProblem.add_qvi`, ``dualvar`` and ``implicit`` pairs
    :meth:`~EquilibriumProblem.add_dualvar` and :meth:`~EquilibriumProblem.add_implicit`. An ``implicit``
    variable (and its defining equation) listed by agents is left out of their lists: it belongs to no agent.
    Without ``equilibrium`` and without agents, the model's single active Objective is one agent that owns
    everything the empinfo leaves (GAMS's long-form solve). With ``bilevel`` the result is a
    ``sharedeq.Bilevel`` (leader: the model's active Objective; followers: the ``min``/``max`` agents).
    """
    spec = resolve_empinfo(model, text)
    if spec.bilevel is not None:
        return _bilevel(spec, name)
    problem = EquilibriumProblem(model) if name is None else EquilibriumProblem(model, name=name)
    for agent in spec.agents:
        problem.add_agent(agent.name, agent.objective, agent.variables, agent.constraints, sense=agent.sense)
    for shared in spec.shared:
        problem.add_shared([shared.constraint], agents=list(shared.agents), variational=shared.variational)
    for vi in spec.vis:
        functions, variables, flips, shadows = (list(column) for column in zip(*vi.pairs, strict=True))
        if vi.keyword == "qvi":
            problem.add_qvi(functions, variables, shadows, constraints=vi.constraints)
        else:
            problem.add_vi(functions, variables, constraints=vi.constraints, flip=flips, statement=vi.keyword)
    for variable, constraint in spec.implicit:
        problem.add_implicit(variable, constraint)
    for variable, constraint in spec.dualvars:
        problem.add_dualvar(variable, constraint)
    return problem


def _bilevel(spec, name):
    """A ``sharedeq.Bilevel`` from a resolved ``bilevel`` empinfo (the leader and its followers)."""
    leader = spec.bilevel
    try:
        from sharedeq.bilevel import Bilevel
    except ImportError:
        raise EmpError("bilevel needs sharedeq.Bilevel, which this installation does not have") from None
    if spec.vis or spec.implicit or spec.dualvars:
        raise EmpError("bilevel: vi, qvi, dualequ, implicit and dualvar statements are not supported with bilevel")
    bilevel = Bilevel(spec.model, name=name)
    bilevel.set_leader(leader.objective, leader.variables, leader.constraints, sense=leader.sense)
    for agent in spec.agents:
        bilevel.add_follower(agent.name, agent.objective, agent.variables, agent.constraints, sense=agent.sense)
    for shared in spec.shared:
        bilevel.add_shared([shared.constraint], agents=list(shared.agents))
    return bilevel


# ---------------------------------------------------------------------------------------------- writing
def gams_name(obj) -> str:
    """The GAMS-style name of a Pyomo component or element: ``x``, ``x(1)``, ``x('a',2)``, ``b.y(3)``."""
    component = _component(obj)
    if not re.fullmatch(_IDENT, component.name):
        raise EmpError(f"the component name '{component.name}' cannot be written in empinfo (only "
                       f"identifiers and dotted sub-block names)")
    if obj is component:
        return component.name
    return f"{component.name}({','.join(_gams_index(k) for k in _flat(obj.index()))})"


def _component(obj):
    """The component ``obj`` belongs to; an EmpError for an unnamed expression."""
    if not hasattr(obj, "parent_component"):
        raise EmpError(f"{obj} is not a named Pyomo component, so empinfo cannot name it; make it an "
                       f"Objective, Expression or Constraint component")
    return obj.parent_component()


def _gams_index(key) -> str:
    text = str(key)
    if not isinstance(key, str) and re.fullmatch(_BARE_INDEX, text):
        return text
    return _quote(text)


def _quote(text: str) -> str:
    quote = "'" if "'" not in text else '"'
    if quote in text:
        raise EmpError(f"the label {text!r} holds both quote characters and cannot be written in empinfo")
    return f"{quote}{text}{quote}"


def _compress(items) -> list[str]:
    """Names of ``items``; a whole indexed component is one name where its elements are in order."""
    return _group_words([(False, (item,)) for item in items])


def _group_words(rows) -> list[str]:
    """Words for rows ``(flip, objects)`` of equal arity: a run of rows that runs through whole indexed components
    element by element, in their order and with one flip, is written once as the components' names.

    Each check stops at the first element that does not fit, so a model of N single elements costs O(N)."""
    words, k = [], 0
    while k < len(rows):
        flip, objects = rows[k]
        components = [_component(o) for o in objects]
        n = _whole_run(components, rows, k)
        names = [gams_name(o) for o in (components if n else objects)]
        words += [("-" if flip else "") + names[0], *names[1:]]
        k += n or 1
    return words


def _whole_run(components, rows, k) -> int:
    """The length of the whole-component run that starts at row ``k``, or 0."""
    first = components[0]
    if not all(c.is_indexed() for c in components) or len(first) > len(rows) - k:
        return 0
    if any(len(c) != len(first) for c in components):
        return 0
    flip = rows[k][0]
    for j, key in enumerate(first.keys()):
        row_flip, objects = rows[k + j]
        if row_flip != flip or any(key not in c or objects[i] is not c[key] for i, c in enumerate(components)):
            return 0
    return len(first)


def _vi_words(pairs) -> list[str]:
    """A VI's pairs: zero-function variables first (alone), then ``[-]F x [shadow]`` groups."""
    zero = [p.variable for p in pairs if _is_zero(p.function)]
    paired = [(p.flip, (p.function, p.variable) + ((p.parameter,) if p.parameter is not None else ()))
              for p in pairs if not _is_zero(p.function)]
    return _compress(zero) + _group_words(paired)


def _is_zero(function) -> bool:
    return function is None or (isinstance(function, (int, float)) and function == 0)


def to_empinfo(problem) -> str:
    """Write ``problem`` as GAMS empinfo text; :func:`problem_from_empinfo` reads it back as the same problem.

    Objectives, vi functions and pair members must be named Pyomo objects (a variable, an Objective, a named
    Expression, a Constraint). Agents are labelled (``name: min ...``) when their names differ from the names
    the empinfo would give them. Linear in the size of the problem. A ``sharedeq.Bilevel`` is written as
    ``bilevel`` with the leader's variables, then its followers (its objective must be the model's active
    Objective and its constraints the model's other active constraints, which is what the text implies).
    """
    if hasattr(problem, "followers") and hasattr(problem, "leader"):
        if problem.leader is None:
            raise EmpError("bilevel: no leader to write; call set_leader first")
        followers = to_empinfo(problem.followers).splitlines()[1:]
        return "\n".join([" ".join(["bilevel", *_compress(problem.leader[1])]), *followers]) + "\n"
    agents = problem.agents
    labelled = _default_names([a.objective for a in agents]) != [a.name for a in agents]
    lines = ["equilibrium"]
    if problem.implicit:
        lines.append(" ".join(["implicit", *_compress_pairs(problem.implicit)]))
    variational = [s.constraint for s in problem.shared if s.variational]
    if variational:
        lines.append(" ".join(["VIsol", *_compress(variational)]))
    shared_of: dict[str, list] = {}
    for s in problem.shared:
        for name in s.agents:
            shared_of.setdefault(name, []).append(s.constraint)
    for agent in agents:
        own = ComponentSet(agent.constraints)
        equations = list(agent.constraints) + [c for c in shared_of.get(agent.name, ()) if c not in own]
        variables = [v for v in agent.variables if v is not agent.objective]     # the agent owns its objective
        words = [agent.sense, gams_name(agent.objective), *_compress(variables), *_compress(equations)]
        lines.append((f"{_label(agent.name)}: " if labelled else "") + " ".join(words))
    blocks: dict = {}
    for pair in problem.vi_pairs:
        blocks.setdefault(getattr(pair, "block", None), []).append(pair)
    if None in blocks:
        lines.append(" ".join(["vi", *_vi_words(blocks.pop(None))]))
    for number, pairs in blocks.items():
        block = problem.vi_blocks[number]
        statement = block.statement if block.statement != "dualequ" or not block.constraints else "vi"
        lines.append(" ".join([statement, *_vi_words(pairs), *_compress(block.constraints)]))
    if problem.dualvars:
        lines.append(" ".join(["dualvar", *_compress_pairs(problem.dualvars)]))
    return "\n".join(lines) + "\n"


def _compress_pairs(pairs) -> list[str]:
    return _group_words([(False, tuple(pair)) for pair in pairs])


def _label(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z_]\w*", name) else _quote(name)


# ---------------------------------------------------------------------------------------------- builder
class EmpInfo:
    """Write empinfo annotations from Python the way a GAMS ``put`` loop writes ``emp.info``.

    The river basin model of the GAMS EMP manual, side by side::

        GAMS                                          Python (sq = sharedeq)
        File empinfo / '%emp.info%' /;                emp = sq.EmpInfo(m)
        put empinfo 'equilibrium' /;                  emp.equilibrium()
        put 'VIsol cons' /;                           emp.visol(m.cons)
        loop(i,                                       for i in m.i:
          put 'min', obj(i), x(i), objdef(i),             emp.min(m.obj[i], m.x[i], m.objdef[i], m.cons)
              'cons' /;
        );
        putclose empinfo;                             p = emp.problem("river basin")
        solve m_shared using emp;                     sol = p.solve()

    Arguments are Pyomo components or elements (written by :func:`gams_name`), strings (written as is), or
    lists or slices (``m.x[i, :]``) of these. ``str(emp)`` is the empinfo text; :meth:`problem` builds the
    problem from it.
    """

    def __init__(self, model):
        self.model = model
        self.lines: list[str] = []

    def equilibrium(self) -> EmpInfo:
        return self._put("equilibrium")

    def visol(self, *equations) -> EmpInfo:
        return self._put("VIsol", *equations)

    def min(self, objective, *names, name=None) -> EmpInfo:
        """An agent minimising ``objective`` over the variables, subject to the equations, in ``names``."""
        return self._put("min", objective, *names, label=name)

    def max(self, objective, *names, name=None) -> EmpInfo:
        """An agent maximising ``objective``; see :meth:`min`."""
        return self._put("max", objective, *names, label=name)

    def sharedequ(self, *equations) -> EmpInfo:
        """Shared equations that each sharing agent prices with its own multiplier."""
        return self._put("sharedequ", *equations)

    def vi(self, *names) -> EmpInfo:
        """Function-variable pairs, then the VI's constraints: ``emp.vi(m.F, m.p, m.g)`` is ``vi F p g``."""
        return self._put("vi", *names)

    def qvi(self, *names) -> EmpInfo:
        """Function-variable-shadow triples, then constraints: ``emp.qvi(m.F, m.y, m.x, m.g)``."""
        return self._put("qvi", *names)

    def dualequ(self, *pairs) -> EmpInfo:
        """Equation-variable pairs: ``emp.dualequ(m.H, m.y)`` is ``dualequ H y``."""
        return self._put("dualequ", *pairs)

    def bilevel(self, *variables) -> EmpInfo:
        """The leader's variables; the ``min``/``max`` statements that follow are its followers."""
        return self._put("bilevel", *variables)

    def dualvar(self, *pairs) -> EmpInfo:
        """Variable-equation pairs: the variable is the multiplier of the equation."""
        return self._put("dualvar", *pairs)

    def implicit(self, *pairs) -> EmpInfo:
        """Variable-equation pairs: the variable is defined by the equation and belongs to no agent."""
        return self._put("implicit", *pairs)

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def __str__(self) -> str:
        return self.text

    def problem(self, name=None) -> EquilibriumProblem:
        """The :class:`EquilibriumProblem` these annotations declare."""
        return problem_from_empinfo(self.model, self.text, name)

    def _put(self, keyword, *items, label=None) -> EmpInfo:
        words = [keyword, *(self._word(item) for item in _flatten(items))]
        self.lines.append((f"{_label(str(label))}: " if label is not None else "") + " ".join(words))
        return self

    def _word(self, item) -> str:
        if isinstance(item, str):
            return item
        if hasattr(item, "model") and item.model() is not self.model:
            raise EmpError(f"{getattr(item, 'name', item)} belongs to another model than this EmpInfo's")
        return gams_name(item)


def _flatten(items):
    for item in items:
        if isinstance(item, (list, tuple, IndexedComponent_slice)):
            yield from _flatten(item)
        else:
            yield item
