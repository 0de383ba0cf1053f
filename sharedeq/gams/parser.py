"""GAMS tokens -> statements (an AST): declarations with their data, assignments, equation definitions, models,
solve, ``file``/``put``, ``loop`` and ``if``.

Expressions follow GAMS's precedence, tightest first: ``**``; unary ``-``; ``*`` ``/``; ``+`` ``-``; comparisons
(``<`` ``<=`` ``=`` ``<>`` ``>=`` ``>`` and ``lt le eq ne ge gt``); ``not``; ``and``; ``or`` ``xor``. The dollar
condition ``a$b`` binds tightest of all: it takes the term before it and one term after it. A bracket may be
``()``, ``[]`` or ``{}``. Names are case-insensitive; they are kept as written for messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sharedeq.gams.lexer import Scanner, Token, describe


# --------------------------------------------------------------------------------------------- expressions
@dataclass(frozen=True, slots=True)
class Num:
    value: float


@dataclass(frozen=True, slots=True)
class Index:
    """One position of a reference: a quoted label (``kind`` "label"), a set index (``kind`` "set") with an
    optional lag ``sign * lag`` (an expression: ``x(t-1)``, ``x(t+ord(l))``; ``circular`` for ``++``/``--``), or
    in a domain a set with its indices (``kind`` "subset": ``e(low(n,nn))..``)."""

    kind: str
    value: str
    lag: object = None
    sign: int = 1
    circular: bool = False
    names: tuple[str, ...] = ()

    @property
    def width(self) -> int:
        """How many positions of the key this index fills."""
        return len(self.names) if self.kind == "subset" else 1


@dataclass(frozen=True, slots=True)
class Ref:
    """``name[.attr][(indices)]`` as written; ``indices`` None when no list was given."""

    name: str
    attr: str | None
    indices: tuple[Index, ...] | None
    line: int
    col: int


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple
    line: int
    col: int


@dataclass(frozen=True, slots=True)
class DomainItem:
    """``i`` (iterate set ``i``, binding ``i``) or ``ij(i,j)`` (iterate the tuples of ``ij``, binding i and j)."""

    set: str
    names: tuple[str, ...]
    line: int
    col: int


@dataclass(frozen=True, slots=True)
class Domain:
    items: tuple[DomainItem, ...]
    condition: object = None


@dataclass(frozen=True, slots=True)
class Agg:
    """``sum``, ``prod``, ``smin``, ``smax`` over a domain."""

    op: str
    domain: Domain
    body: object
    line: int
    col: int


@dataclass(frozen=True, slots=True)
class Unary:
    op: str
    operand: object


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: object
    right: object
    line: int
    col: int


@dataclass(frozen=True, slots=True)
class Dollar:
    value: object
    condition: object


# --------------------------------------------------------------------------------------------- statements
@dataclass
class Declaration:
    """A ``Set``, ``Parameter`` (also ``Scalar`` and ``Table``), ``Variable`` or ``Equation`` declaration.

    ``kind``: "set", "parameter", "variable", "equation"; ``domain``: set names ('*' for the universe);
    ``data``: for sets a list of label tuples, for parameters a dict label tuple -> value (None: no data);
    ``vartype``: the variable type ("free", "positive", ...).
    """

    kind: str
    name: str
    domain: tuple[str, ...]
    text: str
    data: object
    line: int
    col: int
    vartype: str | None = None
    singleton: bool = False
    implicit: tuple[int, ...] = ()       # domain positions written 'i<': the data adds their elements


@dataclass
class Alias:
    names: tuple[str, ...]
    line: int
    col: int


@dataclass
class Assignment:
    """``target$condition = expression``; the target's indices are set names (controlled) or labels."""

    target: Ref
    condition: object
    expression: object
    line: int
    col: int


@dataclass
class EquationDefinition:
    name: str
    domain: tuple[Index, ...]
    condition: object
    lhs: object
    relation: str
    rhs: object
    line: int
    col: int


@dataclass
class ModelStatement:
    """``Model name / entries /``: (name, paired variable or None, "+" or "-") in order; the name is an
    equation, another model, or ``all``; "-" takes it out (``/ m1 + e2 - e1 /``)."""

    name: str
    entries: list
    line: int
    col: int


@dataclass
class Solve:
    model: str
    kind: str
    sense: str | None
    objective: str | None
    line: int
    col: int


@dataclass
class FileStatement:
    name: str
    path: str
    line: int
    col: int


@dataclass
class Put:
    """``put``/``putclose``: an optional file switch, then items (str, "/" for a new line, or an expression)."""

    file: str | None
    items: list
    close: bool
    line: int
    col: int


@dataclass(frozen=True)
class Tight:
    """A put item written with width 0 (``i.tl:0``): no blank before or after it."""

    item: object


@dataclass
class Loop:
    domain: Domain
    body: list
    line: int
    col: int


@dataclass
class If:
    condition: object
    then: list
    otherwise: list = field(default_factory=list)
    line: int = 0
    col: int = 0


@dataclass
class Skipped:
    """A statement that does not change the model (``display``, ``option``, ...): kept for a note."""

    word: str
    line: int
    col: int


# --------------------------------------------------------------------------------------------- the parser
AGGREGATES = ("sum", "prod", "smin", "smax", "sand", "sor")
FUNCTIONS = {
    "exp", "log", "log10", "log2", "sqr", "sqrt", "power", "rpower", "abs", "min", "max", "sin", "cos", "tan",
    "arctan", "sign", "round", "floor", "ceil", "mod", "ord", "card", "sameas", "errorf", "cvpower", "vcpower",
    "signpower", "div", "trunc", "ifthen", "uniform", "normal", "uniformint", "diag", "gamma", "loggamma", "fact",
}
CONSTANTS = {"inf": float("inf"), "eps": 0.0, "na": float("nan"), "undf": float("nan"), "yes": 1.0, "no": 0.0,
             "pi": 3.141592653589793}
RELATIONS = {"=e=": "e", "=g=": "g", "=l=": "l", "=n=": "n"}
COMPARISONS = {"<": "lt", "<=": "le", "=": "eq", "==": "eq", "<>": "ne", ">=": "ge", ">": "gt",
               "lt": "lt", "le": "le", "eq": "eq", "ne": "ne", "ge": "ge", "gt": "gt"}
VARTYPES = {"positive": "positive", "negative": "negative", "free": "free", "binary": "binary",
            "integer": "integer", "sos1": "sos1", "sos2": "sos2", "semicont": "semicont", "semiint": "semiint",
            "nonnegative": "positive"}
SKIPPED = {"display", "option", "options", "abort", "execute_unload", "execute_load", "execute", "put_utility",
           "putpage", "puttl", "puthd", "putfmt"}
SOLVE_KINDS = {"emp", "mcp", "nlp", "lp", "qcp", "dnlp", "cns", "mip", "minlp", "miqcp", "rmip", "rminlp", "mpec",
               "rmiqcp", "rmpec", "vi"}


def parse(scanner: Scanner):
    """The statements of the file, in order, parsed one at a time as they are asked for (the reader stops at the
    first ``solve``, so what follows it is never parsed)."""
    parser = _Parser(scanner)
    while scanner.peek().kind != "eof":
        statement = parser.statement()
        if statement is not None:
            yield statement


def _plural(word: str, *stems: str) -> str | None:
    """The stem that ``word`` is (``Sets`` and ``set`` are ``set``), or None."""
    word = word.lower()
    for stem in stems:
        if word == stem or word == stem + "s":
            return stem
    return None


class _Parser:
    def __init__(self, scanner: Scanner):
        self.s = scanner
        self.file_names = set()
        self.declared = set()                   # symbol names: a parameter may be called gamma or sign
        self.implicit = []                      # positions of the last domain written 'i<'
        self.in_put = False

    def error(self, message, token=None):
        return self.s.error(message, token)

    # ------------------------------------------------------------------------------ statements
    def statement(self):
        s = self.s
        if s.accept(";"):
            return None
        token = s.peek()
        if token.kind != "id":
            raise self.error(f"a statement cannot start with {describe(token)}", token)
        word = token.value.lower()
        if word in VARTYPES and s.peek2().kind == "id" and _plural(s.peek2().value, "variable"):
            s.next()
            s.next()
            return self.declarations("variable", token, vartype=VARTYPES[word])
        if word == "singleton" and s.peek2().kind == "id" and _plural(s.peek2().value, "set"):
            s.next()
            s.next()
            return self.declarations("set", token, singleton=True)
        stem = _plural(word, "set", "parameter", "scalar", "variable", "equation", "table", "alias", "model",
                       "file", "acronym")
        if stem is not None and not self.assignment_ahead():
            s.next()
            if stem == "alias":
                return self.alias(token)
            if stem == "table":
                return self.table(token)
            if stem == "model":
                return self.models(token)
            if stem == "file":
                return self.files(token)
            if stem == "acronym":
                raise self.error("acronyms are not supported", token)
            return self.declarations({"scalar": "parameter"}.get(stem, stem), token, scalar=stem == "scalar")
        if word == "solve":
            return self.solve()
        if word in ("put", "putclose"):
            return self.put()
        if word == "loop":
            return self.loop()
        if word == "if":
            return self.if_statement()
        if word in ("embeddedcode", "continueembeddedcode"):
            raise self.error("embedded code is not supported", token)
        if word in ("while", "for", "repeat"):
            raise self.error(f"'{token.text}' statements are not supported (only loop and if)", token)
        if word in SKIPPED:
            self.skip_statement()
            return Skipped(word, token.line, token.col)
        return self.assignment_or_definition()

    def assignment_ahead(self) -> bool:
        """``model.optfile = 1`` or ``set(i) = yes`` style: a keyword-like symbol name followed by '.' or '='."""
        nxt = self.s.peek2()
        return nxt.kind == "op" and nxt.value in (".", "=")

    def skip_statement(self):
        """Skip to the ';' that ends this statement, or to a keyword that starts a line (GAMS lets a keyword
        end a statement: ``option mpec=knitro`` then ``solve ...`` on the next line)."""
        depth, line = 0, self.s.peek().line
        while True:
            ahead = self.s.peek()
            if depth == 0 and ahead.kind == "id" and ahead.line != line and _reserved(ahead.value) and \
                    self.s.first_on_line(ahead):
                return
            token = self.s.next()
            if token.kind == "eof":
                return
            if token.kind == "op" and token.value in ("(", "[", "{"):
                depth += 1
            elif token.kind == "op" and token.value in (")", "]", "}"):
                if depth == 0:
                    self.s.back(token)          # the ')' that ends an enclosing loop
                    return
                depth -= 1
            elif token.kind == "op" and token.value == ";" and depth == 0:
                return

    def keyword_ahead(self) -> bool:
        token = self.s.peek()
        return token.kind == "id" and _reserved(token.value)

    def end_statement(self):
        token = self.s.peek()
        if self.s.at(")") or (token.kind == "id" and _reserved(token.value)):
            return                      # the last statement in a loop body, or one before a keyword, may omit ';'

        self.s.expect(";", "to end the statement")

    # -- declarations
    def declarations(self, kind, keyword, vartype=None, singleton=False, scalar=False):
        s, out = self.s, []
        while not s.at(";") and s.peek().kind != "eof":
            if self.keyword_ahead():
                return out              # GAMS lets a keyword end a declaration statement without ';'
            name = s.ident(f"the name of a {kind}")
            self.declared.add(name.value.lower())
            self.implicit = []
            domain = () if scalar else self.domain_names()
            text = self.explanatory_text(name)
            data = None
            if s.at("/"):
                if kind in ("variable", "equation"):
                    raise self.error(f"data for {kind} {name.text} in its declaration is not supported: assign "
                                     f"attributes (x.lo(i) = ...) instead", name)
                data = self.set_data() if kind == "set" else self.parameter_data(len(domain), name)
                if kind == "parameter" and not domain and data and () not in data:
                    domain = ("*",) * len(next(iter(data)))
            out.append(Declaration(kind, name.text, domain, text, data, name.line, name.col,
                                   vartype, singleton, tuple(self.implicit)))
            s.accept(",")
        self.end_statement()
        return out

    def domain_names(self) -> tuple[str, ...]:
        s = self.s
        self.implicit = []
        if not s.at("(", "["):
            return ()
        close = {"(": ")", "[": "]"}[s.next().value]
        names = []
        while True:
            if s.accept("*"):
                names.append("*")
            else:
                names.append(s.ident("a set name in the domain").text)
                if s.accept("<"):               # p(i<) / a 1, b 2 /: the data defines set i
                    self.implicit.append(len(names) - 1)
            if s.accept(close):
                return tuple(names)
            s.expect(",", "between domain sets")

    def explanatory_text(self, name: Token) -> str:
        char = self.s.inline_char()
        if char is None or char in "/,;":
            return ""
        if char in "=.$":                  # 'p(i) = 1' after a declaration that lacks its ';'
            token = self.s.peek()
            raise self.error(f"expected ';' before '{self.s.line_from(token)}'", token)
        return self.s.rest_of_line("/,;").strip("'\"")

    def set_data(self) -> list[tuple[str, ...]]:
        """``/ a, b 'text', 1*10, a.b, (a,b).c /`` -> label tuples in order."""
        s = self.s
        s.expect("/")
        elements = []
        while not s.at("/"):
            if s.peek().kind == "eof":
                raise self.error("set data without its closing '/'")
            elements.extend(self.label_product("a set element"))
            char = s.inline_char()
            if char is not None and char not in ",/":
                s.rest_of_line(",/")
            s.accept(",")
        s.expect("/")
        return elements

    def label_product(self, what) -> list[tuple[str, ...]]:
        """``a``, ``a*c`` (a range), ``a.b``, ``(a,b).c``: the tuples it stands for."""
        parts = [self.label_group(what)]
        while self.continues_label():
            self.s.skip_char()
            parts.append(self.label_group(what))
        tuples = [()]
        for group in parts:
            tuples = [t + (g,) for t in tuples for g in group]
        return tuples

    def continues_label(self) -> bool:
        """A '.' right after a label joins another part (``a.b``, ``a .b``); ``a .7`` is a label and a number."""
        s = self.s
        if s.inline_char() != ".":
            return False
        dot = s.text.index(".", s.pos)
        after = s.text[dot + 1:dot + 2]
        return dot == s.pos or not (after.isdigit())

    def label_group(self, what) -> list[str]:
        s = self.s
        if s.next_char() == "(":
            s.skip_char()
            group = []
            while not s.accept(")"):
                group.extend(self.label_range(what))
                s.accept(",")
            return group
        return self.label_range(what)

    def label_range(self, what) -> list[str]:
        first = self.s.label(what)
        if self.s.inline_char() != "*":
            return [first.value]
        self.s.skip_char()
        last = self.s.label("the end of the range")
        return _label_range(first, last, self.s)

    def parameter_data(self, dim, name) -> dict:
        """``/ seattle 350, san-diego 600 /`` or ``/ a.b 2.5 /``; a scalar's ``/ 90 /``."""
        s = self.s
        s.expect("/")
        data = {}
        first = s.peek()
        scalar = first.kind == "num" or s.at("-", "+", "/") or str(first.value).lower() in CONSTANTS
        if dim == 0 and scalar:
            if not s.at("/"):
                data[()] = self.signed_number()
            s.expect("/")
            return data
        while not s.at("/"):
            if s.peek().kind == "eof":
                raise self.error(f"the data of {name.text} has no closing '/'")
            start = s.peek()
            keys = self.label_product("a label")
            dim = dim or len(keys[0])          # declared without a domain: as wide as its data
            if any(len(k) != dim for k in keys):
                raise self.error(f"{name.text} has {dim} ind{'ex' if dim == 1 else 'ices'}; this entry has "
                                 f"{len(keys[0])}", start)
            value = self.signed_number()
            for key in keys:
                data[key] = value
            s.accept(",")
        s.expect("/")
        return data

    def signed_number(self) -> float:
        s = self.s
        sign = -1.0 if s.accept("-") else 1.0
        if not sign < 0:
            s.accept("+")
        token = s.next()
        if token.kind == "num":
            return sign * token.value
        if token.kind == "id" and token.value.lower() in CONSTANTS:
            return sign * CONSTANTS[token.value.lower()]
        raise self.error(f"expected a number, found {describe(token)}", token)

    def alias(self, keyword):
        s = self.s
        names = []
        s.expect("(", "after alias")
        while True:
            names.append(s.ident("a set name").text)
            if s.accept(")"):
                break
            s.expect(",")
        while s.accept(","):            # alias (i,j), (k,l);
            more = self.alias(keyword)
            return [Alias(tuple(names), keyword.line, keyword.col), *more]
        self.end_statement()
        return [Alias(tuple(names), keyword.line, keyword.col)]

    def table(self, keyword):
        s = self.s
        name = s.ident("the name of a table")
        domain = self.domain_names()
        if len(domain) < 2:
            raise self.error(f"table {name.text} needs at least two indices", name)
        text = self.explanatory_text(name)
        body, start = s.table_text(RESERVED)
        data = _table_data(body, start, len(domain), name, s)
        return [Declaration("parameter", name.text, domain, text, data, name.line, name.col)]

    def models(self, keyword):
        s, out = self.s, []
        while not s.at(";") and not self.keyword_ahead():
            name = s.ident("the name of a model")
            self.explanatory_text(name)
            s.expect("/", f"before the equations of model {name.text}")
            entries = []
            while not s.at("/"):
                sign = "-" if s.accept("-") else "+"
                s.accept("+")
                equation = s.ident("an equation name").text
                variable = None
                if s.accept("."):
                    variable = s.ident("the variable paired with the equation").text
                entries.append((equation, variable, sign))
                s.accept(",")
            s.expect("/")
            out.append(ModelStatement(name.text, entries, name.line, name.col))
            s.accept(",")
        self.end_statement()
        return out

    def files(self, keyword):
        s, out = self.s, []
        while not s.at(";") and not self.keyword_ahead():
            name = s.ident("the name of a file")
            path = name.text + ".put"
            char = s.inline_char()
            if char not in (None, "/", ",", ";"):
                s.rest_of_line("/,;")
            if s.accept("/"):
                text, _ = s.raw_until("/")
                path = text.strip().strip("'\"")
            out.append(FileStatement(name.text, path, name.line, name.col))
            self.file_names.add(name.value.lower())
            s.accept(",")
        self.end_statement()
        return out

    def solve(self):
        s = self.s
        keyword = s.next()
        model = s.ident("the name of the model to solve")
        kind = sense = objective = None
        while not s.at(";", ")"):
            word = s.ident("'using', 'minimizing' or 'maximizing'")
            lower = word.value.lower()
            if lower in ("using", "use"):
                kind_token = s.ident("a model type (emp, mcp, nlp, ...)")
                kind = kind_token.value.lower()
                if kind not in SOLVE_KINDS:
                    raise self.error(f"unknown model type '{kind_token.text}'", kind_token)
            elif lower in ("minimizing", "minimising", "min", "maximizing", "maximising", "max"):
                sense = "min" if lower.startswith("min") else "max"
                objective = s.ident("the objective variable").text
            elif lower == "scenario":
                raise self.error("solve ... scenario (GUSS) is not supported", word)
            else:
                raise self.error(f"unexpected '{word.text}' in the solve statement", word)
        self.end_statement()
        if kind is None:
            raise self.error("the solve statement says no 'using ...' model type", keyword)
        return Solve(model.text, kind, sense, objective, keyword.line, keyword.col)

    def put(self):
        s = self.s
        keyword = s.next()
        close = keyword.value.lower() == "putclose"
        file, items = None, []
        while not s.at(";", ")"):
            token = s.peek()
            if token.kind == "str":
                items.append(s.next().value)
                if s.at(":"):
                    s.next()
                    width = s.next()
                    if s.accept(":"):
                        s.next()
                    if width.kind == "num" and width.value == 0:
                        items[-1] = Tight(items[-1])
            elif token.kind == "op" and token.value == "/":
                s.next()
                items.append("/")
            elif token.kind == "op" and token.value == ",":
                s.next()
            elif token.kind == "op" and token.value in ("@", "#"):
                raise self.error(f"'{token.value}' positioning in put statements is not supported", token)
            elif token.kind == "id" and not items and file is None and token.value.lower() in self.file_names:
                file = s.next().text          # put FILE ...
            else:
                self.in_put = True
                try:
                    items.append(self.expression())
                finally:
                    self.in_put = False
                if s.accept(":"):                # item:width[:decimals]; width 0 joins it to its neighbours
                    width = s.next()
                    if width.kind != "num":
                        raise self.error(f"expected a field width after ':', found {describe(width)}", width)
                    if s.accept(":"):
                        s.next()
                    if width.value == 0:
                        items[-1] = Tight(items[-1])
        self.end_statement()
        return Put(file, items, close, keyword.line, keyword.col)

    def loop(self):
        s = self.s
        keyword = s.next()
        close = _close_of(s.next(), self)
        domain = self.domain()
        s.expect(",", "after the loop's domain")
        body = self.body(close)
        s.expect(close, "to close the loop")
        self.end_statement()
        return Loop(domain, body, keyword.line, keyword.col)

    def if_statement(self):
        s = self.s
        keyword = s.next()
        close = _close_of(s.next(), self)
        condition = self.expression()
        s.expect(",", "after the condition of 'if'")
        then = self.body(close, stop=("else", "elseif"))
        otherwise = []
        if s.accept("elseif"):
            raise self.error("'elseif' is not supported", keyword)
        if s.accept("else"):
            otherwise = self.body(close)
        s.expect(close, "to close 'if'")
        self.end_statement()
        return If(condition, then, otherwise, keyword.line, keyword.col)

    def body(self, close, stop=()):
        out = []
        while not self.s.at(close, *stop):
            if self.s.peek().kind == "eof":
                raise self.error(f"missing '{close}'")
            statement = self.statement()
            if isinstance(statement, list):
                raise self.error("declarations inside a loop or if are not allowed")
            if statement is not None:
                out.append(statement)
        return out

    def assignment_or_definition(self):
        s = self.s
        head = s.peek()
        target = self.reference(s.next())
        if not isinstance(target, Ref):
            raise self.error(f"expected an assignment or an equation definition, found '{head.text}'", head)
        condition = None
        if s.accept("$"):
            condition = self.dollar_operand()
        if s.at(".."):
            s.next()
            if target.attr is not None:
                raise self.error(f"'{head.text}.{target.attr}' cannot be defined with '..'", head)
            lhs = self.expression()
            token = s.next()
            if token.kind != "op" or token.value not in RELATIONS:
                raise self.error(f"expected =e=, =g=, =l= or =n= in the definition of {target.name}, found "
                                 f"{describe(token)}", token)
            rhs = self.expression()
            self.end_statement()
            return EquationDefinition(target.name, target.indices or (), condition, lhs, RELATIONS[token.value],
                                      rhs, head.line, head.col)
        token = s.peek()
        if not s.accept("="):
            if token.kind == "op" and token.value in RELATIONS:
                raise self.error(f"'{token.text}' outside an equation definition: is '..' missing after "
                                 f"{target.name}?", token)
            raise self.error(f"expected '=' or '..' after {head.text}, found {describe(token)}", token)
        expression = self.expression()
        self.end_statement()
        return Assignment(target, condition, expression, head.line, head.col)

    # ------------------------------------------------------------------------------ expressions
    def expression(self):
        return self.disjunction()

    def disjunction(self):
        left = self.conjunction()
        while self.s.at("or", "xor"):
            token = self.s.next()
            left = Binary(token.value.lower(), left, self.conjunction(), token.line, token.col)
        return left

    def conjunction(self):
        left = self.negation()
        while self.s.at("and"):
            token = self.s.next()
            left = Binary("and", left, self.negation(), token.line, token.col)
        return left

    def negation(self):
        if self.s.accept("not"):
            return Unary("not", self.negation())
        return self.comparison()

    def comparison(self):
        left = self.additive()
        while self.s.peek().kind in ("op", "id") and str(self.s.peek().value).lower() in COMPARISONS:
            token = self.s.next()
            left = Binary(COMPARISONS[token.value.lower()], left, self.additive(), token.line, token.col)
        return left

    def additive(self):
        left = self.multiplicative()
        while self.s.at("+", "-"):
            token = self.s.next()
            left = Binary(token.value, left, self.multiplicative(), token.line, token.col)
        return left

    def multiplicative(self):
        left = self.unary()
        while self.s.at("*") or (self.s.at("/") and not self.in_put):   # in put, '/' is a new line
            token = self.s.next()
            left = Binary(token.value, left, self.unary(), token.line, token.col)
        return left

    def unary(self):
        if self.s.accept("-"):
            return Unary("-", self.unary())
        if self.s.accept("+"):
            return self.unary()
        return self.power()

    def power(self):
        base = self.conditioned()
        if self.s.at("**"):
            token = self.s.next()
            exponent = self.unary()           # 2**-1
            return Binary("**", base, exponent, token.line, token.col)
        return base

    def conditioned(self):
        value = self.primary()
        while self.s.accept("$"):
            value = Dollar(value, self.dollar_operand())
        return value

    def dollar_operand(self):
        if self.s.accept("not"):
            return Unary("not", self.dollar_operand())
        return self.primary()

    def primary(self):
        s = self.s
        token = s.next()
        if token.kind == "num":
            return Num(token.value)
        if token.kind == "op" and token.value in ("(", "[", "{"):
            close = {"(": ")", "[": "]", "{": "}"}[token.value]
            inner = self.expression()
            s.expect(close, f"to close the '{token.value}' on line {token.line}")
            return inner
        if token.kind == "id":
            return self.reference(token)
        if token.kind == "str":
            raise self.error(f"the quoted text {token.text} cannot be a value here", token)
        raise self.error(f"expected a value, found {describe(token)}", token)

    def reference(self, token: Token):
        s = self.s
        lower = token.value.lower()
        if lower in AGGREGATES and s.at("(", "[", "{"):
            close = _close_of(s.next(), self)
            domain = self.domain()
            s.expect(",", f"after the domain of {token.text}")
            body = self.expression()
            s.expect(close, f"to close {token.text}(")
            return Agg(lower, domain, body, token.line, token.col)
        if lower in ("sameas", "diag", "ord") and lower not in self.declared and s.at("(", "[", "{"):
            close = _close_of(s.next(), self)
            args = [self.index()]
            while s.accept(","):
                args.append(self.index())
            s.expect(close, f"to close {token.text}(")
            return Call(lower, tuple(args), token.line, token.col)
        if lower in FUNCTIONS and lower not in self.declared and s.at("(", "[", "{"):
            close = _close_of(s.next(), self)
            args = [self.expression()]
            while s.accept(","):
                args.append(self.expression())
            s.expect(close, f"to close {token.text}(")
            return Call(lower, tuple(args), token.line, token.col)
        if lower in CONSTANTS and lower not in self.declared and not s.at("(", "[", ".", "{"):
            return Num(CONSTANTS[lower])        # a declared symbol (Markusen's variable PI) hides the constant
        attr = None
        if s.peek().kind == "op" and s.peek().value == "." and s.peek2().kind == "id" \
                and s.peek().pos == token.end:
            s.next()
            attr = s.next().value.lower()
        indices = None
        if s.at("(", "["):
            close = _close_of(s.next(), self)
            indices = []
            while True:
                indices.append(self.index())
                if s.accept(close):
                    break
                s.expect(",", "between indices")
            indices = tuple(indices)
        return Ref(token.text, attr, indices, token.line, token.col)

    def index(self) -> Index:
        s = self.s
        token = s.next()
        if token.kind == "str":
            return Index("label", token.value.strip())
        if token.kind == "num" and token.text.isdigit():
            raise self.error(f"the label {token.text} must be quoted in a reference ('{token.text}')", token)
        if token.kind != "id":
            raise self.error(f"expected a set index or a quoted label, found {describe(token)}", token)
        if s.at("(", "["):                   # a set with its indices, in a domain: e(low(n,nn))..
            close = _close_of(s.next(), self)
            names = [s.ident("a set index").text]
            while s.accept(","):
                names.append(s.ident("a set index").text)
            s.expect(close)
            return Index("subset", token.text, names=tuple(names))
        if s.at("+", "-", "++", "--"):
            op = s.next().value
            return Index("set", token.text, lag=self.multiplicative(), sign=1 if op[0] == "+" else -1,
                         circular=len(op) == 2)
        return Index("set", token.text)

    def domain(self) -> Domain:
        """``i``, ``(i,j)``, ``ij(i,j)``, each with an optional ``$condition``."""
        s = self.s
        items = []
        if s.at("(", "[", "{"):
            close = _close_of(s.next(), self)
            while True:
                items.append(self.domain_item())
                if s.accept(close):
                    break
                s.expect(",", "between domain sets")
        else:
            items.append(self.domain_item())
        condition = None
        if s.accept("$"):
            condition = self.dollar_operand()
        return Domain(tuple(items), condition)

    def domain_item(self) -> DomainItem:
        s = self.s
        token = s.ident("a set to iterate over")
        names = (token.text,)
        if s.at("(", "["):
            close = _close_of(s.next(), self)
            names = []
            while True:
                names.append(s.ident("a set index").text)
                if s.accept(close):
                    break
                s.expect(",")
            names = tuple(names)
        return DomainItem(token.text, names, token.line, token.col)


RESERVED = {"set", "sets", "parameter", "parameters", "scalar", "scalars", "table", "variable", "variables",
            "equation", "equations", "model", "models", "alias", "positive", "negative", "free", "binary",
            "integer", "solve", "display", "loop", "if", "option", "options", "file", "files", "put", "putclose",
            "singleton", "acronym", "acronyms", "abort", "while", "for", "repeat", "sum", "prod", "smin", "smax"}


def _reserved(word: str) -> bool:
    return word.lower() in RESERVED


def _close_of(token: Token, parser) -> str:
    closes = {"(": ")", "[": "]", "{": "}"}
    if token.kind != "op" or token.value not in closes:
        raise parser.error(f"expected '(', found {describe(token)}", token)
    return closes[token.value]


def _label_range(first: Token, last: Token, scanner: Scanner) -> list[str]:
    """``1*10``, ``a1*a10``, ``t01*t12``: same prefix, numbers counting up, zero padding kept; ``a*d``: letters."""
    import re

    x, y = first.value, last.value
    if len(x) == len(y) and x[:-1] == y[:-1] and x[-1:].isalpha() and y[-1:].isalpha() and x[-1] <= y[-1]:
        return [x[:-1] + chr(c) for c in range(ord(x[-1]), ord(y[-1]) + 1)]
    a = re.fullmatch(r"(.*?)(\d+)", first.value)
    b = re.fullmatch(r"(.*?)(\d+)", last.value)
    if not a or not b or a.group(1).lower() != b.group(1).lower() or int(a.group(2)) > int(b.group(2)):
        raise scanner.source.error(f"'{first.value}*{last.value}' is not a range of labels ending in increasing "
                                   f"numbers", first.line, first.col)
    width = len(a.group(2)) if a.group(2).startswith("0") else 0
    return [f"{a.group(1)}{k:0{width}d}" for k in range(int(a.group(2)), int(b.group(2)) + 1)]


def _table_data(body: str, start: int, dim: int, name: Token, scanner: Scanner) -> dict:
    """A table's data: column labels in a header line (a line starting with ``+`` starts a new block of columns),
    then rows of a label and numbers; each number belongs to the column label it lies (at least partly) under."""
    first_line = scanner.line_of(start)
    data, header = {}, None
    for offset, raw in enumerate(body.split("\n")[1:], 1):    # [0]: the rest of the declaration line
        number, text = first_line + offset, raw.expandtabs(8)
        if not text.strip():
            continue
        if header is None or text.lstrip().startswith("+"):
            text = text.replace("+", " ", 1) if text.lstrip().startswith("+") else text
            header = [(begin, end, _split_label(word)) for begin, end, word in _cells(text, labels_only=True)]
            continue
        cells = _cells(text)
        rows = _label_tuples(cells[0][2])
        for begin, end, word in cells[1:]:
            column = _column(header, begin, end)
            if column is None:
                raise scanner.source.error(f"table {name.text}: the number '{word}' is not under one column label",
                                           number, begin + 1)
            for row in rows:
                key = row + column
                if len(key) != dim:
                    raise scanner.source.error(f"table {name.text} has {dim} indices; row and column give "
                                               f"{len(key)}", number, begin + 1)
                data[key] = _table_number(word, name, scanner, number, begin)
    return data


def _column(header, begin, end) -> tuple | None:
    """The label of the column a number in [begin, end) belongs to: the one it overlaps, else (between two
    labels) the nearer one; None if that is not clear."""
    overlapping = [h for h in header if h[0] < end and begin < h[1]]
    if len(overlapping) == 1:
        return overlapping[0][2]
    if overlapping:
        return None
    gaps = sorted((max(h[0] - end, begin - h[1]), k) for k, h in enumerate(header))
    if not gaps or (len(gaps) > 1 and gaps[0][0] == gaps[1][0]):
        return None
    return header[gaps[0][1]][2]


def _label_tuples(text: str) -> list[tuple[str, ...]]:
    """A row label as key tuples: ``a.b`` one, ``(a,b).c`` two (``(a,b).c`` is a.c and b.c)."""
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "." and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    tuples = [()]
    for part in parts:
        group = part[1:-1].split(",") if part.startswith("(") and part.endswith(")") else [part]
        tuples = [t + (g.strip().strip("'\""),) for t in tuples for g in group]
    return tuples


def _table_number(word, name, scanner, line, begin) -> float:
    if _is_number(word):
        return float(word)
    lower = word.lower().lstrip("+-")
    if lower not in CONSTANTS:
        raise scanner.source.error(f"table {name.text}: '{word}' is not a number", line, begin + 1)
    return CONSTANTS[lower] * (-1 if word.startswith("-") else 1)


def _cells(text: str, labels_only=False) -> list[tuple[int, int, str]]:
    """The blank-separated words of a table line with their columns; a dotted label written with blanks
    (``input .capbop``) is joined into one word (in the row label; in a header, anywhere)."""
    import re

    out = []
    for m in re.finditer(r"(?:'[^']*'|\"[^\"]*\"|[^\s'\"])+", text):
        word = m.group(0)
        dotted = out and (out[-1][2].endswith(".") or (word.startswith(".") and not _is_number(word)))
        if dotted and (labels_only or len(out) == 1):
            out[-1] = (out[-1][0], m.end(), out[-1][2] + word)
        else:
            out.append((m.start(), m.end(), word))
    return out


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


def _split_label(text: str) -> tuple[str, ...]:
    return tuple(part.strip("'\"") for part in text.split("."))
