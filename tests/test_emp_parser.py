"""empinfo parsing, resolution against a Pyomo model, problem building and writing back (no solver needed)."""

from types import SimpleNamespace

import pyomo.environ as pyo
import pytest

from sharedeq import emp
from sharedeq.emp import EmpError, EmpInfo, Name, Token, gams_name, parse_empinfo, to_empinfo, tokenize
from sharedeq.errors import ModelError
from sharedeq.problem import EquilibriumProblem

# The river basin model of the GAMS EMP manual (Haurie & Krawczyk 1997), with the GAMS names.
RIVER_EMPINFO = """\
equilibrium
VIsol cons
min obj('1') x('1') objdef('1') cons
min obj('2') x('2') objdef('2') cons
min obj('3') x('3') objdef('3') cons
"""


def river_basin():
    """Variables obj(i), x(i) >= 0; equations objdef(i), cons(m); data as in the GAMS model."""
    m = pyo.ConcreteModel()
    m.i = pyo.Set(initialize=[1, 2, 3])
    m.m = pyo.Set(initialize=[1, 2])
    K = {1: 100, 2: 100}
    d1, d2 = 3, 0.01
    e = {1: 0.5, 2: 0.25, 3: 0.75}
    c = {(1, 1): 0.1, (1, 2): 0.12, (1, 3): 0.15, (2, 1): 0.01, (2, 2): 0.05, (2, 3): 0.01}
    u = {(1, 1): 6.5, (1, 2): 4.583, (2, 1): 5.0, (2, 2): 6.25, (3, 1): 5.5, (3, 2): 3.75}
    m.obj = pyo.Var(m.i)
    m.x = pyo.Var(m.i, within=pyo.NonNegativeReals)
    m.objdef = pyo.Constraint(m.i, rule=lambda m, i: m.obj[i] == (c[1, i] + c[2, i] * m.x[i]) * m.x[i]
                              - (d1 - d2 * sum(m.x[j] for j in m.i)) * m.x[i])
    m.cons = pyo.Constraint(m.m, rule=lambda m, k: sum(u[i, k] * e[i] * m.x[i] for i in m.i) <= K[k])
    return m


def market():
    """A model exercising every keyword: string and 2-d indices, a sub-block, vi, implicit, dualvar."""
    m = pyo.ConcreteModel()
    m.f = pyo.Set(initialize=["a", "b c"])
    m.t = pyo.Set(initialize=[1, 2])
    m.q = pyo.Var(m.f, m.t, bounds=(0, 10))
    m.p = pyo.Var(m.t)
    m.y = pyo.Var()
    m.u = pyo.Var(within=pyo.NonNegativeReals)
    m.profit = pyo.Objective(m.f, sense=pyo.maximize, rule=lambda m, f: sum(m.p[t] * m.q[f, t] for t in m.t))
    m.cap = pyo.Constraint(m.f, m.t, rule=lambda m, f, t: m.q[f, t] <= 8)
    m.total = pyo.Constraint(expr=sum(m.q.values()) <= 15)
    m.balance = pyo.Constraint(m.t, rule=lambda m, t: m.p[t] == 10 - sum(m.q[f, t] for f in m.f))
    m.defy = pyo.Constraint(expr=m.y == sum(m.q.values()))
    m.b = pyo.Block()
    m.b.z = pyo.Var()
    m.b.cost = pyo.Expression(expr=(m.b.z - m.y) ** 2)
    m.b.g = pyo.Constraint(expr=m.b.z >= 1)
    return m


MARKET_EMPINFO = """\
equilibrium
implicit y defy
VIsol total
firm_a: max profit(a) q(a,1) q(a,2) cap(a,1) cap(a,2) total
'firm b': max profit('b c') q('b c',1) q("b c",2)
    cap('b c',1) cap('b c',2) total
planner: min b.cost b.z b.g
vi balance p
dualvar u b.g
"""


class FakeProblem:
    """Records what problem_from_empinfo asks of EquilibriumProblem and exposes it the same way."""

    def __init__(self, model, name="equilibrium"):
        self.model, self.name = model, name
        self.calls = []
        self.agents, self.shared, self.vi_pairs, self.implicit, self.dualvars = [], [], [], [], []
        self.vi_blocks = []

    def add_agent(self, name, objective, variables, constraints=(), sense=None):
        self.calls.append(("add_agent", name, sense))
        self.agents.append(SimpleNamespace(name=name, objective=objective, sense=sense or "min",
                                           variables=list(variables), constraints=list(constraints)))

    def add_shared(self, constraints, agents=None, variational=False):
        self.calls.append(("add_shared", tuple(agents), variational))
        self.shared += [SimpleNamespace(constraint=c, agents=tuple(agents), variational=variational)
                        for c in constraints]

    def add_vi(self, function, variable, constraints=(), flip=False, statement="vi"):
        self.calls.append(("add_vi",))
        EquilibriumProblem._add_pairs(self, function, variable, None, constraints, flip, statement)

    def add_qvi(self, function, variable, parameter=None, constraints=()):
        self.calls.append(("add_qvi",))
        EquilibriumProblem._add_pairs(self, function, variable, parameter, constraints, False, "qvi")

    def add_implicit(self, variable, constraint):
        self.calls.append(("add_implicit",))
        self.implicit.append((variable, constraint))

    def add_dualvar(self, variable, constraint):
        self.calls.append(("add_dualvar",))
        self.dualvars.append((variable, constraint))


@pytest.fixture(params=["fake", "real"])
def problem_class(request, monkeypatch):
    """Run a test with the recording fake and with the real EquilibriumProblem."""
    cls = FakeProblem if request.param == "fake" else EquilibriumProblem
    monkeypatch.setattr(emp, "EquilibriumProblem", cls)
    return cls


def names(items):
    return [gams_name(item) for item in items]


def structure(problem):
    """Everything that identifies a problem, in GAMS-style names (Pyomo objects cannot be compared with ==)."""
    return {
        "agents": [(a.name, a.sense, gams_name(a.objective), names(a.variables), names(a.constraints))
                   for a in problem.agents],
        "shared": sorted((gams_name(s.constraint), tuple(s.agents), s.variational) for s in problem.shared),
        "vi": [(gams_name(p.function), gams_name(p.variable)) for p in problem.vi_pairs],
        "implicit": [tuple(names(pair)) for pair in problem.implicit],
        "dualvars": [tuple(names(pair)) for pair in problem.dualvars],
    }


def river_structure(variational):
    return {
        "agents": [(str(i), "min", f"obj({i})", [f"x({i})"], [f"objdef({i})"]) for i in (1, 2, 3)],
        "shared": [(f"cons({k})", ("1", "2", "3"), variational) for k in (1, 2)],
        "vi": [], "implicit": [], "dualvars": [],
    }


# ------------------------------------------------------------------------------------------ tokens and syntax
def test_tokens_keep_kind_value_line_and_column():
    tokens = tokenize("equilibrium\n  min obj('1') x[2] b.z\n")
    assert tokens == [
        Token("keyword", "equilibrium", "equilibrium", 1, 1),
        Token("keyword", "min", "min", 2, 3),
        Name("obj('1')", "obj", ("1",), 2, 7),
        Name("x[2]", "x", ("2",), 2, 16),
        Name("b.z", "b.z", None, 2, 21),
    ]


def test_quoted_indices_may_hold_blanks_commas_and_parentheses():
    (name,) = tokenize("""x('a, b' , "c)" ,1 )""")
    assert name.base == "x" and name.indices == ("a, b", "c)", "1")
    assert name.text == """x('a, b' , "c)" ,1 )"""


def test_keywords_are_case_insensitive_and_keep_their_spelling():
    st = parse_empinfo("EQUILIBRIUM\nVisol cons\nMAX obj x\nVI F p\nDualVar u g\nImplicit y h\n").statements
    assert [s.keyword for s in st] == ["equilibrium", "visol", "max", "vi", "dualvar", "implicit"]
    assert [s.word for s in st] == ["EQUILIBRIUM", "Visol", "MAX", "VI", "DualVar", "Implicit"]


def test_statements_span_lines_and_comments_and_blank_lines_are_skipped():
    text = ("* GAMS comment\nequilibrium\n\nmin obj(1)\n   x(1)\n  * indented comment\n   objdef(1), cons\n"
            "min obj(2) x(2)")
    statements = parse_empinfo(text).statements
    assert [(s.keyword, s.line, s.col) for s in statements] == [("equilibrium", 2, 1), ("min", 4, 1), ("min", 8, 1)]
    assert [(n.text, n.line, n.col) for n in statements[1].args] == [
        ("obj(1)", 4, 5), ("x(1)", 5, 4), ("objdef(1)", 7, 4), ("cons", 7, 15)]


def test_agent_labels_bare_or_quoted():
    statements = parse_empinfo("firm1: min obj x\n'firm 2' : max obj2 y\nmin obj3 z").statements
    assert [s.label for s in statements] == ["firm1", "firm 2", None]


@pytest.mark.parametrize("text, line, col, message", [
    ("min obj(1) - cons", 1, 12, "must be followed directly by an equation's name"),
    ("vi 0 x", 1, 4, "zero function"),
    ("min obj(1 x", 1, 5, "not closed"),
    ("min obj[1) x", 1, 5, "not closed"),
    ("min obj(1,) x", 1, 5, "malformed index list"),
    ("min obj('a' b) x", 1, 5, "expected ','"),
    ("x(1)\nmin obj x", 1, 1, "before any keyword"),
    ("equilibrium x", 1, 13, "takes no names"),
    ("min obj x\nequilibrium", 2, 1, "first statement"),
    ("equilibrium\n\nmin", 3, 1, "'min' needs an objective"),
    ("equilibrium\nvi F", 2, 1, "function-variable pairs"),
    ("VIsol\nmin obj x", 1, 1, "shared equations"),
    ("dualvar u g v", 1, 1, "pairs of a variable and an equation"),
    ("implicit y", 1, 1, "defining equation"),
    ("equilibrium\n  disjunction b x", 2, 3, "'disjunction' belongs to disjunctive programming"),
    ("randvar d normal 1 2", 1, 1, "'randvar' belongs to stochastic programming"),
    ("min obj x\nmodeltype mcp", 2, 1, "outside equilibrium problems"),
    ("min obj x\n ovf", 2, 2, "optimal value functions"),
    ("equilibrium\n-vi F x", 2, 1, "'-' flips an equation; 'vi' is a keyword"),
    ("firm: vi F p", 1, 1, "must be followed by min or max"),
    ("min obj x\nfirm:", 2, 1, "must be followed by min or max"),
    ("min obj x; cons", 1, 10, "unexpected character ';'"),
])
def test_syntax_errors_say_line_and_column(text, line, col, message):
    with pytest.raises(EmpError, match=message) as info:
        parse_empinfo(text)
    assert (info.value.line, info.value.col) == (line, col)
    assert f"empinfo line {line}, col {col}" in str(info.value)


# ------------------------------------------------------------------------------------------ river basin
@pytest.mark.parametrize("visol", [True, False])
def test_river_basin_gams_empinfo(problem_class, visol):
    text = RIVER_EMPINFO if visol else RIVER_EMPINFO.replace("VIsol cons\n", "")
    m = river_basin()
    p = emp.problem_from_empinfo(m, text, name="river basin")
    assert isinstance(p, problem_class) and p.model is m and p.name == "river basin"
    assert structure(p) == river_structure(visol)
    assert p.agents[0].objective is m.obj[1] and p.agents[0].variables[0] is m.x[1]


def test_river_basin_calls(monkeypatch):
    monkeypatch.setattr(emp, "EquilibriumProblem", FakeProblem)
    p = emp.problem_from_empinfo(river_basin(), RIVER_EMPINFO)
    assert p.calls == [("add_agent", "1", "min"), ("add_agent", "2", "min"), ("add_agent", "3", "min"),
                       ("add_shared", ("1", "2", "3"), True), ("add_shared", ("1", "2", "3"), True)]


def test_unquoted_and_pyomo_style_indices_find_integer_keys(problem_class):
    text = "equilibrium\nvisol cons(1) cons[2]\nmin obj(1) x(1) objdef(1) cons\n" \
           "min obj[2] x[2] objdef(\"2\") cons\nmin obj( 3 ) x('3') objdef[3] cons(1), cons(2)\n"
    assert structure(emp.problem_from_empinfo(river_basin(), text)) == river_structure(True)


def test_string_keys_two_dimensions_sub_blocks_and_every_keyword(problem_class):
    m = market()
    p = emp.problem_from_empinfo(m, MARKET_EMPINFO)
    assert structure(p) == {
        "agents": [
            ("firm_a", "max", "profit('a')", ["q('a',1)", "q('a',2)"], ["cap('a',1)", "cap('a',2)"]),
            ("firm b", "max", "profit('b c')", ["q('b c',1)", "q('b c',2)"], ["cap('b c',1)", "cap('b c',2)"]),
            ("planner", "min", "b.cost", ["b.z"], ["b.g"]),
        ],
        "shared": [("total", ("firm_a", "firm b"), True)],
        "vi": [("balance(1)", "p(1)"), ("balance(2)", "p(2)")],
        "implicit": [("y", "defy")],
        "dualvars": [("u", "b.g")],
    }


def test_implicit_variable_and_its_equation_listed_by_agents_belong_to_no_agent():
    m = market()
    text = "equilibrium\nimplicit y defy\nmax profit(a) q(a,1) y defy\nmax profit('b c') q('b c',1) y defy\n"
    p = emp.problem_from_empinfo(m, text)
    assert [names(a.variables) for a in p.agents] == [["q('a',1)"], ["q('b c',1)"]]
    assert [a.constraints for a in p.agents] == [[], []] and p.shared == []
    assert names(p.implicit[0]) == ["y", "defy"]


def test_default_agent_names_are_objective_names_when_objectives_differ():
    m = market()
    spec = emp.resolve_empinfo(m, "min b.cost b.z\nmax profit(a) q(a,1)")
    assert [a.name for a in spec.agents] == ["b.cost", "profit('a')"]


def test_component_names_and_labels_fall_back_to_case_insensitive_matches():
    m = market()
    spec = emp.resolve_empinfo(m, "max PROFIT(A) Q(A,1)\nvi BALANCE P")
    assert names([spec.agents[0].objective, *spec.agents[0].variables]) == ["profit('a')", "q('a',1)"]
    assert len(spec.vi_pairs) == 2


def test_ambiguous_index_text():
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, "1"])
    m.o = pyo.Var()
    with pytest.raises(EmpError, match="ambiguous"):
        emp.resolve_empinfo(m, "min o x(1)")


# ------------------------------------------------------------------------------------------ resolution errors
@pytest.mark.parametrize("text, line, col, message", [
    ("min obj(1) xx(1)", 1, 12, "unknown name 'xx'.*did you mean 'x'"),
    ("min obj(1) x(1,2)", 1, 12, "'x' takes 1 index; 'x\\(1,2\\)' gives 2"),
    ("min obj(4) x(4)", 1, 5, "\\(4\\) is not an index of 'obj'"),
    ("min obj(1) x(1) cons(1) cons(3)", 1, 25, "not an index of 'cons'"),
    ("min obj(1) x(1)\nmin obj(2)\n  x(2) x(1)", 3, 8, "'x\\(1\\)' is already claimed by the agent 'min obj\\(1\\)' "
                                                  "\\(line 1, col 12\\)"),
    ("min obj(1) x\nmin obj(2) x(2)", 2, 12, "'x\\(2\\)' is already claimed"),
    ("min obj(1) x(1)\nmin obj(1) x(2)", 2, 5, "'obj\\(1\\)' is already claimed"),
    ("min obj(1) x(1)\nvi objdef(2) x(1)", 2, 14, "already claimed by the agent"),
    ("min obj(1) x(1)\ndualvar x(1) cons(1)", 2, 9, "already claimed"),
    ("VIsol cons\nmin obj(1) x(1) objdef(1) cons\nmin obj(2) x(2) objdef(2)", 1, 7,
     "'cons\\(1\\)' is not a shared equation: it is listed by 1 agent"),
    ("VIsol objdef(3)\nmin obj(1) x(1) objdef(1)\nmin obj(2) x(2) objdef(2)", 1, 7, "listed by 0 agent"),
    ("VIsol x\nmin obj(1) x(1)", 1, 7, "VIsol: expected an equation here, but 'x' is a variable"),
    ("min obj x(1)", 1, 5, "must be one element, 'obj' has 3"),
    ("min cons(1) x(1)", 1, 5, "objective of 'min': expected a variable or an objective or an expression"),
    ("min obj(1) x(1) cons x(2)", 1, 22, "variable 'x\\(2\\)' comes after the equations"),
    ("min obj(1) i", 1, 12, "'i' is a Set"),
    ("min obj(1) objdef(1)", 1, 1, "controls no variables"),
    ("vi objdef(1) cons(1)", 1, 1, "'vi' names no variable"),
    ("vi objdef(1) *", 1, 14, "a bare '\\*' .* may only follow the objective"),
    ("min * x(1)", 1, 5, "'\\*' cannot be the objective"),
    ("min obj(1) *\nmin obj(2) *", 2, 12, "'\\*' for the variables of two agents \\(also line 1\\)"),
    ("min obj(1) -x(1)", 1, 12, "'-' flips an equation, but 'x\\(1\\)' is a variable"),
    ("min -obj(1) x(1)", 1, 5, "'-' flips an equation"),
    ("dualequ x(1) objdef(1)", 1, 9, "dualequ: expected an equation here"),
    ("vi cons(*) x(1) objdef(1)", 1, 12, "cannot pair 'cons\\(\\*\\)' \\(2 elements\\)"),
    ("vi objdef(1) x('*')", 1, 14, "cannot pair 'objdef\\(1\\)' \\(1 elements\\) with 'x\\('\\*'\\)' \\(3"),
    ("min obj(1) x(1) objdef('7')", 1, 17, "\\(7\\) is not an index of 'objdef'"),
    ("VIsol cons\nsharedequ cons\nmin obj(1) x(1) cons\nmin obj(2) x(2) cons", 2, 11, "both VIsol"),
    ("qvi objdef(1) x(1) x(1)", 1, 20, "already claimed"),
    ("vi cons x", 1, 9, "cannot pair 'cons' \\(2 elements\\) with 'x' \\(3 elements\\)"),
    ("dualvar x(1) obj(1)", 1, 14, "dualvar: expected an equation here"),
    ("min obj(1) x(1)\nfirm: min obj(2) x(2)\nfirm: min obj(3) x(3)", 3, 7, "'firm' is used twice"),
    ("min obj(1) x(1)\n'1': min obj(2) x(2)", 2, 6, "'1' is used twice"),
])
def test_resolution_errors_name_what_and_where(text, line, col, message):
    with pytest.raises(EmpError, match=message) as info:
        emp.resolve_empinfo(river_basin(), text)
    assert (info.value.line, info.value.col) == (line, col)
    assert isinstance(info.value, ModelError)
    assert text.splitlines()[line - 1] in str(info.value)


def test_scalar_component_with_indices():
    m = market()
    with pytest.raises(EmpError, match="'y' is not indexed"):
        emp.resolve_empinfo(m, "min b.cost b.z\nimplicit y(1) defy")


def test_an_empinfo_without_agents_is_refused():
    with pytest.raises(EmpError, match="no agent"):
        emp.resolve_empinfo(river_basin(), "equilibrium\n* nothing yet\n")


# ------------------------------------------------------------------------------------------ writing back
@pytest.mark.parametrize("visol", [True, False])
def test_river_basin_written_back_in_gams_names(problem_class, visol):
    text = RIVER_EMPINFO if visol else RIVER_EMPINFO.replace("VIsol cons\n", "")
    p = emp.problem_from_empinfo(river_basin(), text)
    assert to_empinfo(p) == text.replace("'", "")


@pytest.mark.parametrize("model, text", [(river_basin, RIVER_EMPINFO), (market, MARKET_EMPINFO)])
def test_round_trip_gives_the_same_problem(problem_class, model, text):
    m = model()
    p = emp.problem_from_empinfo(m, text)
    written = to_empinfo(p)
    again = emp.problem_from_empinfo(m, written)
    assert structure(again) == structure(p)
    assert to_empinfo(again) == written


def test_round_trip_of_a_problem_built_in_python():
    m = river_basin()
    p = EquilibriumProblem(m, name="by hand")
    for i in m.i:
        p.add_agent(f"firm {i}", m.obj[i], [m.x[i]], [m.objdef[i]])
    p.add_shared(m.cons[2], variational=True)
    p.add_shared(m.cons[1], agents=["firm 1", "firm 2"])
    written = to_empinfo(p)
    assert written.splitlines()[1:3] == ["VIsol cons(2)", "'firm 1': min obj(1) x(1) objdef(1) cons(2) cons(1)"]
    assert structure(emp.problem_from_empinfo(m, written)) == structure(p)


def test_whole_components_are_written_once_only_when_complete_and_in_order():
    m = river_basin()
    p = FakeProblem(m)
    p.add_agent("1", m.obj[1], [m.x[3], m.x[1], m.x[2]], [m.objdef[1], m.objdef[2], m.objdef[3], m.cons[1]])
    p.add_vi(m.objdef[1], m.x[1])
    p.add_dualvar(m.obj[2], m.cons[2])
    assert to_empinfo(p).splitlines()[1:] == ["min obj(1) x(3) x(1) x(2) objdef cons(1)", "vi objdef(1) x(1)",
                                              "dualvar obj(2) cons(2)"]


def test_unnamed_expressions_cannot_be_written():
    m = river_basin()
    p = EquilibriumProblem(m)
    p.add_agent("1", m.x[1] ** 2, m.x[1])
    with pytest.raises(EmpError, match="not a named Pyomo component"):
        to_empinfo(p)
    p = FakeProblem(m)
    p.add_agent("1", m.obj[1], [m.x[1]])
    p.add_vi(m.x[2] - 1, m.x[2])
    with pytest.raises(EmpError, match="not a named Pyomo component"):
        to_empinfo(p)


def test_labels_are_quoted_as_needed():
    m = market()
    m.s = pyo.Var(["it's"])
    assert gams_name(m.s["it's"]) == 's("it\'s")' and gams_name(m.q["b c", 2]) == "q('b c',2)"


# ------------------------------------------------------------------------------------------ EmpInfo builder
def test_builder_writes_the_gams_put_loop_text_and_builds_the_same_problem(problem_class):
    m = river_basin()
    info = EmpInfo(m)
    info.equilibrium()
    info.visol(m.cons)
    for i in m.i:
        info.min(m.obj[i], m.x[i], m.objdef[i], m.cons)
    assert str(info) == RIVER_EMPINFO.replace("'", "")
    p = info.problem("river basin")
    assert p.name == "river basin" and structure(p) == river_structure(True)


def test_builder_takes_strings_lists_labels_and_pairs(problem_class):
    m = market()
    info = EmpInfo(m).equilibrium().implicit(m.y, m.defy).visol("total")
    info.max(m.profit["a"], [m.q["a", 1], m.q["a", 2]], m.cap["a", :], m.total, name="firm_a")
    info.max(m.profit["b c"], m.q["b c", 1], m.q["b c", 2], m.cap["b c", 1], m.cap["b c", 2], "total",
             name="firm b")
    info.min(m.b.cost, m.b.z, m.b.g, name="planner").vi(m.balance, m.p).dualvar(m.u, m.b.g)
    assert structure(info.problem()) == structure(emp.problem_from_empinfo(m, MARKET_EMPINFO))


def test_builder_refuses_components_of_another_model():
    with pytest.raises(EmpError, match="another model"):
        EmpInfo(river_basin()).min(market().y)
