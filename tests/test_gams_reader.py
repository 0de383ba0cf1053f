"""The GAMS reader: each construct of the subset, the errors (file, line, column), and models solved end to end
against numbers computed independently (linear programming duals, closed forms, scipy)."""

import time
import warnings
from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest
from scipy.optimize import linprog, minimize

import sharedeq as sq
from sharedeq.cli import main
from sharedeq.gams import GamsError, GamsNote, read_gams

HERE = Path(__file__).resolve().parent / "gams"

# The transport data of trnsport.gms / transmcp.gms: plants, markets, cost c = 90 * distance / 1000.
PLANTS, MARKETS = ["seattle", "san-diego"], ["new-york", "chicago", "topeka"]
SUPPLY, DEMAND = np.array([350.0, 600.0]), np.array([325.0, 300.0, 275.0])
COST = 90 * np.array([[2.5, 1.7, 1.8], [2.5, 1.8, 1.4]]) / 1000


def transport_lp():
    """The transport LP solved by scipy: cost and the duals of supply (<= a) and demand (>= b), as prices >= 0."""
    n, m = COST.shape
    a_ub = np.vstack([np.kron(np.eye(n), np.ones(m)), -np.kron(np.ones(n), np.eye(m))])
    result = linprog(COST.ravel(), A_ub=a_ub, b_ub=np.concatenate([SUPPLY, -DEMAND]), method="highs")
    assert result.status == 0
    duals = -result.ineqlin.marginals
    return result.fun, duals[:n], duals[n:]


def read(text, tmp_path, name="model.gms", **kwargs):
    path = tmp_path / name
    path.write_text(text)
    return read_gams(path, **kwargs)


def error(text, tmp_path) -> str:
    with pytest.raises(GamsError) as info:
        read(text, tmp_path)
    assert isinstance(info.value, sq.ModelError)
    return str(info.value)


# ---------------------------------------------------------------------------------------------- whole models
def test_transmcp_prices_are_the_transport_lp_duals():
    cost, supply_duals, demand_duals = transport_lp()
    model = read_gams(HERE / "transmcp.gms")
    assert model.kind == "mcp" and model.problem is None and model.mcp.size == 11
    solution = model.solve()
    assert solution.converged
    m = model.model
    assert [pyo.value(m.p[j]) for j in MARKETS] == pytest.approx(demand_duals, abs=1e-7)
    assert [pyo.value(m.w[i]) for i in PLANTS] == pytest.approx(supply_duals, abs=1e-7)
    shipped = sum(COST[a, b] * pyo.value(m.x[i, j]) for a, i in enumerate(PLANTS) for b, j in enumerate(MARKETS))
    assert shipped == pytest.approx(cost, rel=1e-7)           # the shipments solve the LP (they are not unique)
    assert set(model.mcp.pairs["equation"]) >= {"profit[seattle,new-york]", "supply[seattle]", "fxdemand[topeka]"}


def test_trnsport_lp_reads_as_one_optimising_agent():
    cost, supply_duals, demand_duals = transport_lp()
    model = read_gams(HERE / "trnsport.gms")
    assert model.kind == "nlp" and model.problem.agent_names == ("transport",)
    solution = model.solve()
    assert solution.converged and pyo.value(model.model.z) == pytest.approx(cost, rel=1e-9)
    prices = solution.multipliers.set_index("constraint")["multiplier"]
    assert [prices[f"demand[{j}]"] for j in MARKETS] == pytest.approx(demand_duals, abs=1e-7)
    assert [prices[f"supply[{i}]"] for i in PLANTS] == pytest.approx(supply_duals, abs=1e-7)


def test_cournot_emp_with_visol_matches_the_closed_form():
    """q_i = a - Q - c_i - lambda with Q = cap = 60 (b = 1): lambda = 20, q = (30, 20, 10)."""
    model = read_gams(HERE / "cournot_emp.gms")
    assert model.kind == "emp" and model.mcp is None
    assert model.empinfo.splitlines()[:3] == ["equilibrium", "visol capacity",
                                              "max profit('1') q('1') defprofit('1') capacity"]
    assert model.problem.agent_names == ("1", "2", "3")
    solution = model.solve()
    assert solution.status == "equilibrium"
    assert [pyo.value(model.model.q[k]) for k in "123"] == pytest.approx([30, 20, 10], abs=1e-8)
    assert solution.multipliers.set_index("constraint").loc["capacity", "multiplier"] == pytest.approx(20, abs=1e-8)


COURNOT_GNE = (HERE / "cournot_emp.gms").read_text().split("file emp")[0] + """
$onecho > %emp.info%
equilibrium
max profit('1') q('1') defprofit('1') capacity
max profit('2') q('2') defprofit('2') capacity
max profit('3') q('3') defprofit('3') capacity
$offecho
$onecho > jams.opt
SharedEqu
$offecho
$echo tolerance 1e-9 > path.opt
cournot.optfile = 1;
solve cournot using emp;
"""


def test_cournot_gne_from_onecho_with_jams_shared_equ(tmp_path):
    """Without VIsol each firm prices the capacity itself: a generalized Nash equilibrium, one of a continuum.
    Each firm's own first-order condition is checked: a - Q - q_i - c_i <= lambda_i (lambda_i >= 0, Q = 60),
    with equality where q_i > 0."""
    with pytest.warns(GamsNote, match="path.opt: tolerance ignored"):
        model = read(COURNOT_GNE, tmp_path)
    assert model.options == {"SharedEqu": True}
    solution = model.solve()
    assert solution.converged
    q = np.array([pyo.value(model.model.q[k]) for k in "123"])
    assert q.sum() == pytest.approx(60, abs=1e-7)
    own = solution.multipliers.set_index("agent")["multiplier"]
    for k, (quantity, cost) in enumerate(zip(q, (10, 20, 30), strict=True), 1):
        assert own[str(k)] >= -1e-9 and 120 - 60 - quantity - cost <= own[str(k)] + 1e-7
        if quantity > 1e-6:
            assert 120 - 60 - quantity - cost == pytest.approx(own[str(k)], abs=1e-6)


def test_empinfo_beside_the_model_and_passed_in(tmp_path):
    text = COURNOT_GNE.split("$onecho")[0] + "solve cournot using emp;\n"
    (tmp_path / "empinfo.txt").write_text("equilibrium\nvisol capacity\n" + "\n".join(
        f"max profit('{k}') q('{k}') defprofit('{k}') capacity" for k in "123"))
    model = read(text, tmp_path)
    assert model.solve().multipliers.set_index("constraint").loc["capacity", "multiplier"] == pytest.approx(20)
    only_one = "\n".join(["equilibrium", "max profit('1') q('1') defprofit('1') capacity",
                          "max profit('2') q('2') defprofit('2')", "max profit('3') q('3') defprofit('3')"])
    alone = read(text, tmp_path, name="alone.gms", empinfo=only_one)       # the argument wins over empinfo.txt
    assert [s.agents for s in alone.problem.shared] == []
    assert [c.name for c in alone.problem.agent("1").constraints] == ["defprofit['1']", "capacity"]


def test_emp_without_empinfo_is_an_error(tmp_path):
    text = COURNOT_GNE.split("$onecho")[0] + "solve cournot using emp;\n"
    folder = tmp_path / "bare"
    folder.mkdir()
    message = error_in(text, folder)
    assert "no empinfo found" in message and "line" in message


def error_in(text, folder) -> str:
    with pytest.raises(GamsError) as info:
        read(text, folder)
    return str(info.value)


# ---------------------------------------------------------------------------------------------- constructs
def test_constructs_data_assignments_and_attributes():
    model = read_gams(HERE / "constructs.gms")
    sets, p = model.sets, model.parameters
    assert sets["t"] == ["t1", "t2", "t3", "t4"]                           # $set n 4, / t1*t%n% /
    assert sets["k"] == ["1", "2", "3"] and sets["r"] == ["north", "south east"]
    assert sets["rk"] == [("north", "1"), ("north", "2"), ("south east", "3")]
    assert sets["tt"] == ["t2", "t3", "t4"]                                 # tt(t)$(ord(t) > 1) = yes
    assert p["g"] == 3.0                                                    # $if not set scale $set scale 2
    assert p["lagged"] == {"t2": 1.0, "t3": 2.0, "t4": -3.0}               # a(t-1): 0 at t1 (not stored)
    assert p["cumul"] == {"t1": 10.0, "t2": 2.0, "t3": -1.0, "t4": -1.0}   # in order, then cumul('t1') = 10
    assert p["big"] == {"t1": 8.0, "t2": 11.0, "t3": 13.0, "t4": 21.0}     # max, power, sqr, exp, log
    assert p["small"] == -3 + 4 + 6 + 100                                   # smin, smax, prod(k.val), if/else
    assert p["card_t"] == 4 + 3 + 3
    assert p["rsum"] == {"north": 1 + 2 + 3, "south east": 6.0}            # sum over rk, loop with sameas
    assert p["w"] == {("north", "1"): 1, ("north", "2"): 2, ("south east", "2"): 4, ("north", "3"): 5,
                      ("south east", "3"): 6}                               # table with a '+' block
    m = model.model
    assert (m.x["t1"].lb, m.x["t1"].ub, m.x["t1"].value) == (None, 10, 2)  # 'positive' there is text
    assert m.x["t2"].lb == 1 and m.x["t4"].fixed and m.x["t4"].value == 3  # x.lo(t)$tt(t), x.fx('t4')
    assert m.z.ub == 0 and m.z.lb is None                                   # negative variable
    assert sorted(m.link.keys()) == ["t1", "t2", "t3"]                     # link(t)$(ord(t) < card(t))


def test_constructs_nlp_solution_against_scipy():
    model = read_gams(HERE / "constructs.gms")
    solution = model.solve()
    assert solution.converged

    def objective(v):
        x1, x2, x3, y1, y2, y3, z = v
        return (x1 - 1) ** 2 + (x2 - 2) ** 2 + (x3 + 3) ** 2 + 9 + y1 ** 2 + y2 ** 2 + y3 ** 2 + (z + 1) ** 2

    links = [{"type": "ineq", "fun": lambda v, k=k: v[3 + k] - ((v[k + 1] if k < 2 else 3.0) - v[k])}
             for k in range(3)]
    bounds = [(None, 10), (1, 10), (1, 10), (None, None), (None, None), (None, None), (None, 0)]
    reference = minimize(objective, np.full(7, 0.5), bounds=bounds, constraints=links, method="SLSQP",
                         options={"ftol": 1e-12})
    assert pyo.value(model.model.obj) == pytest.approx(reference.fun, abs=1e-6)


def test_comments_and_control_options(tmp_path):
    text = """$title Comments
$eolcom //
$onEolCom
* star in column 1
$ontext
Set junk / a /;
$offtext
Set i / a, b /;  // end-of-line comment
Scalar s / 2 /;  // another
Parameter p(i);
p(i) = s;
display p;
option limrow = 0;
Variable x(i), obj;
Equation e(i), def;
e(i).. x(i) =e= p(i);
def.. obj =e= sum(i, x(i));
Model m / e, def /;
solve m using nlp minimizing obj;
solve m using nlp maximizing obj;
"""
    with pytest.warns(GamsNote, match="2 solve statements"):
        model = read(text, tmp_path)
    assert model.title == "Comments" and model.parameters["p"] == {"a": 2.0, "b": 2.0}
    assert model.problem.agent("m").sense == "min"


def test_data_without_a_domain_is_as_wide_as_its_labels(tmp_path):
    model = read("""Set pairs / a.x, b.y /;
Parameter p / a 1, b 2 /, q / 3 /; Scalar t; t = p('b') + q + card(pairs);
Variable z; Equation e; e.. z =e= sqr(z - t); Model m / e /; solve m using mcp;
""", tmp_path)
    assert model.parameters["p"] == {"a": 1.0, "b": 2.0} and model.parameters["t"] == 7.0
    assert model.sets["pairs"] == [("a", "x"), ("b", "y")]


def test_labels_are_case_insensitive_and_keep_their_first_spelling(tmp_path):
    model = read("""Set i / Seattle, 'San Diego' /;
Parameter a(i) / seattle 1, 'SAN DIEGO' 2 /;
Scalar tot; tot = sum(I, A(i)) + a('SEATTLE');
VARIABLE X(i), Obj; EQUATION Def;
def.. obj =e= sum(i, sqr(x(i) - a(i)));
model m / def /; solve m using nlp minimizing obj;
""", tmp_path)
    assert model.sets["i"] == ["Seattle", "San Diego"] and model.parameters["tot"] == 4.0
    assert {v.name for v in model.model.X.values()} == {"X[Seattle]", "X[San Diego]"}


def test_mcp_pairs_follow_the_bound_side(tmp_path):
    """=l= with a nonnegative variable is written rhs - lhs _|_ x >= 0; with an upper bound the opposite."""
    model = read("""Positive Variable x; Negative Variable y; Variable u;
Equation ex, ey, eu;
ex.. 2 - x =l= x;
ey.. -y =g= 3;
eu.. u =e= 1 + x;
Model m / ex.x, ey.y, eu.u /;
solve m using mcp;
""", tmp_path)
    assert model.mcp.evaluate(np.zeros(3)) == pytest.approx([2 * 0 - 2, 3 + 0, 0 - 1 - 0])
    assert model.solve().converged
    m = model.model
    assert (pyo.value(m.x), pyo.value(m.y), pyo.value(m.u)) == pytest.approx((1.0, -3.0, 2.0), abs=1e-8)


def test_mcp_fixed_variables_drop_their_pairs(tmp_path):
    model = read("""Set i / 1*3 /; Positive Variable x(i); Equation e(i);
e(i).. x(i) - ord(i) =g= 0;
x.fx('2') = 5;
Model m / e.x /; solve m using mcp;
""", tmp_path)
    assert model.mcp.size == 2
    model.solve()
    assert [pyo.value(model.model.x[k]) for k in "123"] == pytest.approx([1, 5, 3])


# ---------------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize(("text", "expected"), [
    ("Set i / a /;\nParameter p(i);\np(i) = q(i);\n", "line 3, col 8: unknown symbol 'q'"),
    ("Set i / a /;\nBinary Variable b(i);\nVariable z; Equation e;\ne.. z =e= sum(i, b(i));\nModel m /e/;\n"
     "solve m using nlp minimizing z;\n", "line 4, col 18: variable b is binary"),
    ("$include other.gms\n", "line 1, col 1: $include: no file other.gms"),
    ("Scalar s / 1 /;\nwhile(s < 3, s = s + 1);\n", "line 2, col 1: 'while' statements are not supported"),
    ("Set i / a /, j / b /;\nParameter p(i);\np(i) = sum(i, 1) + card(j) + j.val;\n", "already controlled"),
    ("Set i / a /, j / b /;\nParameter p(i), q(j);\np(i) = q(j);\n", "line 3, col 8: the set j is not controlled"),
    ("Set i / a, b /;\nParameter p(i) / a 1, c 2 /;\n", "line 2, col 11: parameter p: 'c' is not an element"),
    ("Set i / a /;\n", "no solve statement"),
    ("Set i / a /, j / b, c /;\nTable t(i,j)\n     b     c\n a      3 ;\n", "line 4, col 9: table t: the number '3' "
                                                                          "is not under one column label"),
    ("$ontext\nSet i;\n", "line 1: $ontext without $offtext"),
    ("$gdxin data.gdx\n", "$gdxin (data from GDX files) is not supported"),
    ("Positive Variable x, y; Equation e;\ne.. x - y =g= 1;\nModel m / e.x /;\nsolve m using mcp;\n",
     "line 3, col 7: model m: the variable y appears in its equations but no pair names it"),
    ("Variable x; Equation e;\ne.. x =g= 1;\nModel m / e.x /;\nsolve m using mcp;\n",
     "line 2, col 1: e is =(g)= but its variable x is free"),
    ("Variable x; Equation e;\ne x =e= 1;\n", "line 2, col 3: expected '=' or '..' after e, found 'x'"),
    ("Set i / a /;\nParameter p(i)\np(i) = 1;\n", "line 3, col 6: expected ';' before '= 1;'"),
    ("Variable x; Equation e;\ne.. x =e= 1;\nModel m / e /;\nsolve m using mip minimizing x;\n",
     "'solve ... using mip' is not supported"),
    ("Scalar s; s = uniform(0, 1);\n", "uniform() draws GAMS's random numbers"),
    ("Variable x, z; Equation e;\ne.. z =e= x;\nModel m / e /;\nsolve m using nlp minimizing z;\n"
     "Parameter p; p = x;\n", None),
    ("Variable x; Scalar p; p = x;\n", "line 1, col 27: variable x in an assignment: use its level x.l"),
    ("Set i / a /;\nVariable x(i); Equation e(i);\ne(i).. x(i) =e= 1;\ne(i).. x(i) =e= 2;\n",
     "line 4, col 1: equation e is defined twice (first on line 3)"),
    ("Set t / 1*3 /;\nParameter p(t); p(t) = 1 / (ord(t) - 2);\n", "line 2, col 26: division by zero"),
])
def test_errors_name_the_line_and_the_construct(text, expected, tmp_path):
    if expected is None:                    # statements after the first solve are not run
        assert read(text, tmp_path).kind == "nlp"
        return
    message = error(text, tmp_path)
    assert expected in message
    assert message.startswith("model.gms")


def test_error_shows_the_source_line_with_a_caret(tmp_path):
    message = error("Set i / a /;\nParameter p(i);\np(i) = q(i);\n", tmp_path)
    assert message.splitlines()[1:] == ["    p(i) = q(i);", "           ^"]


# ---------------------------------------------------------------------------------------------- command line
def test_command_line_solves_and_lists_gams_models(capsys):
    assert main(["solve", str(HERE / "cournot_emp.gms")]) == 0
    assert capsys.readouterr().out.startswith("EQUILIBRIUM FOUND: Cournot oligopoly")
    assert main(["mcp", str(HERE / "transmcp.gms")]) == 0
    assert "profit[seattle,new-york]" in capsys.readouterr().out
    assert main(["solve", str(HERE / "transmcp.gms"), "--mode", "ve"]) == 2
    assert "is an MCP model" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------- scale
def test_reading_ten_thousand_equation_instances_takes_seconds(tmp_path):
    text = """Set i / 1*100 /, j / 1*100 /;
Parameter c(i,j); c(i,j) = 1 + mod(ord(i)*ord(j), 7);
Positive Variable x(i,j); Variable obj;
Equation cap(i,j), def;
cap(i,j).. x(i,j) =l= c(i,j);
def.. obj =e= sum((i,j), sqr(x(i,j) - 2*c(i,j)));
Model m / all /; solve m using nlp minimizing obj;
"""
    start = time.perf_counter()
    model = read(text, tmp_path)
    elapsed = time.perf_counter() - start
    assert len(model.model.cap) == 10_000 and len(model.model.x) == 10_000
    assert elapsed < 30, f"reading took {elapsed:.1f} s"


def test_notes_are_warnings_and_listed(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = read("$echo hello > notes.txt\nVariable x, z; Equation e;\ne.. z =e= sqr(x);\nModel m / e /;\n"
                     "solve m using nlp minimizing z;\n", tmp_path)
    assert model.notes == ["the file notes.txt written by the model is not used"]
    assert [str(w.message) for w in caught if w.category is GamsNote] == model.notes


# ---------------------------------------------------------------------------------------------- more of the language
def test_mathiesen_mopec_matches_the_published_equilibrium():
    """Mathiesen (1987): y = 3, p = (6, 1, 5), x = (3, 2, 0); by hand: income 5 + 3*5 = 20, x1 = 0.9*20/6."""
    model = read_gams(HERE / "mathiesen_mopec.gms")
    solution = model.solve()
    assert solution.converged
    m = model.model
    assert pyo.value(m.y) == pytest.approx(3, abs=1e-7)
    assert [pyo.value(m.p[k]) for k in "123"] == pytest.approx([6, 1, 5], abs=1e-7)
    assert [pyo.value(m.x[k]) for k in "123"] == pytest.approx([3, 2, 0], abs=1e-7)


def test_solve_objective_with_a_dualvar_only_empinfo(tmp_path):
    """PIES style: min 2x s.t. x >= 10 - p with p the price of that constraint: p = 2, x = 8."""
    model = read("""Positive Variables x, p; Variable cost;
Equations defcost, demand;
defcost.. cost =e= 2*x;
demand..  x =g= 10 - p;
Model pies / defcost, demand /;
file info / '%emp.info%' /;
putclose info 'dualvar p demand';
solve pies using emp minimizing cost;
""", tmp_path)
    assert model.solve().converged
    assert (pyo.value(model.model.x), pyo.value(model.model.p)) == pytest.approx((8, 2), abs=1e-7)


def test_macros_exit_conditionals_and_keywords_ending_statements(tmp_path):
    model = read("""$if not set n $set n 3
$if %n% == 3 $set size small
$ifi SMALL == %size% $eval twice %n%*2
$macro sq(a) ((a)*(a))
$macro plus(a, b) (a + b)
Set i / 1*%twice% /
Parameter p(i), q;
p(i) = sq(ord(i)) + plus(1, 0);
q = card(i)
option limrow = 0
Variable y, z; Equation e; e.. z =e= sqr(y - q);
Model m / e /;
solve m using nlp minimizing z;
$exit
this is not GAMS;
""", tmp_path)
    assert model.sets["i"] == ["1", "2", "3", "4", "5", "6"]
    assert model.parameters["p"] == {str(k): k * k + 1 for k in range(1, 7)}
    assert model.parameters["q"] == 6


def test_lags_subset_domains_and_ranges(tmp_path):
    model = read("""Set t / t1*t4 /, l / a*c /, n / 1*3 /;
Alias (n, nn);
Set low(n,nn); low(n,nn)$(ord(n) < ord(nn)) = yes;
Parameter back(t), around(t), shifted(t), k / 2 /;
back(t) = ord(t-k);
around(t) = ord(t--1);
shifted(t+1) = ord(t);
Variable x(n,nn), z; Equation e(n,nn), def;
e(low(n,nn)).. x(n,nn) =e= ord(nn) - ord(n);
def.. z =e= sum((n,nn)$low(n,nn), sqr(x(n,nn)));
Model m / all /; solve m using nlp minimizing z;
""", tmp_path)
    assert model.sets["l"] == ["a", "b", "c"]
    assert model.parameters["back"] == {"t3": 1.0, "t4": 2.0}
    assert model.parameters["around"] == {"t1": 4.0, "t2": 1.0, "t3": 2.0, "t4": 3.0}
    assert model.parameters["shifted"] == {"t2": 1.0, "t3": 2.0, "t4": 3.0}
    assert sorted(model.model.e.keys()) == [("1", "2"), ("1", "3"), ("2", "3")]


def test_include_reads_the_file_beside_the_model_and_errors_name_it(tmp_path):
    (tmp_path / "data.inc").write_text("* the data\nSet i / a, b /;\nParameter p(i) / a 1, b 2 /;\n")
    model = read("$title With data\n$include data.inc\nScalar s; s = sum(i, p(i));\n"
                 "Variable z; Equation e; e.. z =e= sqr(z - s);\nModel m / e /; solve m using mcp;\n", tmp_path)
    assert model.parameters["s"] == 3
    (tmp_path / "bad.inc").write_text("Set i / a /;\nParameter p(i) / b 1 /;\n")
    message = error_in("Scalar x;\n$include bad.inc\n", tmp_path)
    assert message.startswith("bad.inc: line 2, col 11: parameter p: 'b' is not an element of set i")


def test_tuple_sets_per_instance_definitions_and_loose_tables(tmp_path):
    model = read("""Set n / a, b, c /; Alias (n, np);
Set arc(n,np) / a.b, b.c, a.c /;
Parameter flow(n,np), gamma(n);
flow(arc) = 1;
gamma(n) = sum(arc(n,np), flow(arc));
Table cap(n,np) 'numbers between two labels belong to the nearer one'
          b     c
   a    2         3
   b           4 ;
Variable x(n,np), obj(n); Positive Variable y;
Equation defobj(n), link(n,np);
defobj('a').. obj('a') =e= sqr(y - 1);
defobj('b').. obj('b') =e= sqr(y - 2);
link(arc).. x(arc) =e= cap(arc);
Model m / all /; solve m using nlp minimizing y;
""", tmp_path)
    assert model.parameters["flow"] == {("a", "b"): 1, ("b", "c"): 1, ("a", "c"): 1}
    assert model.parameters["gamma"] == {"a": 2, "b": 1}
    assert model.parameters["cap"] == {("a", "b"): 2, ("a", "c"): 3, ("b", "c"): 4}
    assert sorted(model.model.defobj.keys()) == ["a", "b"]
    assert sorted(model.model.link.keys()) == [("a", "b"), ("a", "c"), ("b", "c")]


def test_alias_in_either_order(tmp_path):
    model = read("""Set i / a, b /; Alias (j, i);
Parameter p(i,j); p(i,j)$(not sameas(i,j)) = 1;
Variable z; Equation e; e.. z =e= sqr(z - sum((i,j), p(i,j)));
Model m / e /; solve m using mcp;
""", tmp_path)
    assert model.parameters["p"] == {("a", "b"): 1.0, ("b", "a"): 1.0}


def test_put_writes_names_labels_and_tight_fields(tmp_path):
    model = read("""Set i / 1*2 /;
Variable obj(i); Positive Variable x(i); Equation def(i);
def(i).. obj(i) =e= sqr(x(i) - ord(i));
Model m / def /;
file f / '%emp.info%' /; put f 'equilibrium' /;
loop(i, put 'min obj(':0 i.tl:0 ')', x(i), def(i) /);
putclose f;
solve m using emp;
""", tmp_path)
    assert model.empinfo == "equilibrium\nmin obj(1) x('1') def('1')\nmin obj(2) x('2') def('2')\n\n"
    model.solve()
    assert [pyo.value(model.model.x[k]) for k in "12"] == pytest.approx([1, 2], abs=1e-8)


def test_a_condition_free_of_the_sum_index_is_tested_once_with_the_same_result(tmp_path):
    model = read("""Set i / 1*3 /, j / 1*2 /;
Parameter a(i) / 1 1, 2 2, 3 3 /, on(j) / 2 1 /, s(j), t(j);
s(j) = sum(i, a(i)$on(j));
t(j) = sum(i, (a(i)$(ord(i) > 1))$on(j));
Variable z; Equation e; e.. z =e= sqr(z - 1);
Model m / e /; solve m using mcp;
""", tmp_path)
    assert model.parameters["s"] == {"2": 6.0} and model.parameters["t"] == {"2": 5.0}


def test_implicit_sets_and_model_algebra(tmp_path):
    model = read("""Set i;
Parameter c(i<) / a 1, b 2 /;
Variable x(i), z; Equation e1(i), e2, e3;
e1(i).. x(i) =e= c(i);
e2.. z =e= sum(i, sqr(x(i)));
e3.. z =e= 0;
Model base / e1, e3 /;
Model m / base + e2 - e3 /;
solve m using nlp minimizing z;
""", tmp_path)
    assert model.sets["i"] == ["a", "b"]
    assert {c.name for c in model.model.component_objects(pyo.Constraint)} == {"e1", "e2"}


def test_a_solve_inside_a_loop_and_put_files_rewritten_after_putclose(tmp_path):
    with pytest.warns(GamsNote, match="inside the loop of line 6"):
        model = read("""Set k / up, down /; Scalar sense;
Variable x, obj; Equation def;
def.. obj =e= sqr(x - 3);
Model m / def /;
file info / '%emp.info%' /;
loop(k,
   putclose info 'min obj x def' /;
   putclose info 'equilibrium' / 'min obj x def' /;
   solve m using emp;
);
""", tmp_path)
    assert model.empinfo == "equilibrium\nmin obj x def\n\n"
    model.solve()
    assert pyo.value(model.model.x) == pytest.approx(3)


def test_ifthen_blocks(tmp_path):
    model = read("""$set mode ve
$ifThen.m %mode% == gne
Scalar chosen / 1 /;
$elseIf.m %mode% == ve
Scalar chosen / 2 /;
$  ifThenI VE == NOPE
Scalar nested / 1 /;
$  else
Scalar nested / 2 /;
$  endIf
$else.m
Scalar chosen / 3 /;
$endIf.m
Variable z; Equation e; e.. z =e= sqr(z - chosen - nested);
Model m / e /; solve m using mcp;
""", tmp_path)
    assert (model.parameters["chosen"], model.parameters["nested"]) == (2.0, 2.0)
    assert "line 1, col 1: $ifThen without $endIf" in error_in("$ifThen a == a\nSet i;\n", tmp_path)


def test_command_line_defines_and_empinfo_file(tmp_path, capsys):
    model = tmp_path / "firms.gms"
    text = (HERE / "cournot_emp.gms").read_text().replace("/ 1*3 /", "/ 1*%n% /")
    text = text.replace("Set i firms", "$if not set n $set n 3\nSet i firms")
    model.write_text(text.replace("/ 1 10, 2 20, 3 30 /;", "; c(i) = 10*ord(i);"))
    (tmp_path / "two.txt").write_text("equilibrium\nvisol capacity\n" + "\n".join(
        f"max profit('{k}') q('{k}') defprofit('{k}') capacity" for k in "12"))
    out = tmp_path / "sol.json"
    assert main(["solve", str(model), "--arg", "n=2", "--emp", str(tmp_path / "two.txt"), "--json", str(out)]) == 0
    import json

    data = json.loads(out.read_text())
    # two firms, costs 10 and 20, Q = 60: q_i = 120 - 60 - c_i - lambda with q1 + q2 = 60: lambda = 15
    assert [data["variables"][f"q['{k}']"]["value"] for k in "12"] == pytest.approx([35, 25], abs=1e-7)


def test_random_numbers_only_for_start_values(tmp_path):
    text = """Set i / 1*3 /; Variable x(i), z; Equation e;
e.. z =e= sum(i, sqr(x(i) - ord(i)));
x.l(i) = uniform(0, 1);
Model m / e /; solve m using nlp minimizing z;
"""
    with pytest.warns(GamsNote, match="seeded generator"):
        model = read(text, tmp_path)
    assert all(0 <= model.model.x[k].value <= 1 for k in "123")
    assert "uniform() draws GAMS's random numbers" in error("Scalar s; s = uniform(0, 1);\n", tmp_path)


def test_batinclude_passes_its_arguments(tmp_path):
    (tmp_path / "square.gms").write_text("Parameter %1(%2); %1(%2) = sqr(ord(%2));\n")
    model = read("Set i / a, b /;\n$batInclude square.gms sq i\nVariable z; Equation e; e.. z =e= sqr(z - 1);\n"
                 "Model m / e /; solve m using mcp;\n", tmp_path)
    assert model.parameters["sq"] == {"a": 1.0, "b": 4.0}


def test_mcp_with_n_equations_and_boxed_variables(tmp_path):
    """x - 2 =n= 0 with 0 <= x <= 1: x = 1 (F = -1 <= 0 at the upper bound); y - 0.5 with the same box: 0.5."""
    model = read("""$setglobal top 1
Variable x, y; Equation ex, ey;
x.lo = 0; x.up = %top%; y.lo = 0; y.up = %top%;
ex.. x - 2 =n= 0;
ey.. y - 0.5 =g= 0;
Model box / ex.x, ey.y /;
solve box using mcp;
""", tmp_path)
    assert model.solve().converged
    assert (pyo.value(model.model.x), pyo.value(model.model.y)) == pytest.approx((1.0, 0.5), abs=1e-8)


def test_a_tuple_set_controls_its_domain_indices(tmp_path):
    model = read("""Set n / 1*3 /; Alias (n, nn);
Set low(n,nn); low(n,nn)$(ord(n) < ord(nn)) = yes;
Parameter cnt, gap(n,nn); cnt = sum(low, 1); gap(low) = ord(nn) - ord(n);
Variable dist(n,nn), z; Equation defd(n,nn), obj;
defd(low).. dist(low) =e= ord(nn);
obj.. z =e= sum(low, sqr(dist(low)));
Model m / all /; solve m using nlp minimizing z;
""", tmp_path)
    assert model.parameters["cnt"] == 3
    assert model.parameters["gap"] == {("1", "2"): 1.0, ("1", "3"): 2.0, ("2", "3"): 1.0}
    assert sorted(model.model.defd.keys()) == [("1", "2"), ("1", "3"), ("2", "3")]


def test_a_table_ended_by_the_next_declaration(tmp_path):
    model = read("""Set i / a, b /, j / x, y /;
Table t(i,j) 'no semicolon'
        x    y
   a    1    2
   b    3
Table u(i,j)
        x    y
   a    5
;
Variable z; Equation e; e.. z =e= sqr(z - sum((i,j), t(i,j) + u(i,j)));
Model m / e /; solve m using mcp;
""", tmp_path)
    assert model.parameters["t"] == {("a", "x"): 1, ("a", "y"): 2, ("b", "x"): 3}
    assert model.parameters["u"] == {("a", "x"): 5}


def test_an_index_written_twice_is_the_diagonal(tmp_path):
    model = read("""Set i / a, b /;
Parameter d(i,i); d(i,i) = 1;
Variable x(i,i), z; Equation e(i,i), obj;
e(i,i).. x(i,i) =e= 2;
obj.. z =e= sum(i, sqr(x(i,i)));
Model m / all /; solve m using nlp minimizing z;
""", tmp_path)
    assert model.parameters["d"] == {("a", "a"): 1.0, ("b", "b"): 1.0}
    assert sorted(model.model.e.keys()) == [("a", "a"), ("b", "b")]


def test_sharedeqs_own_gams_export_reads_back(tmp_path):
    """transmcp -> MCP -> mcp.to_gams -> read_gams: the same prices (the writer and the reader agree on GAMS)."""
    _, _, demand_duals = transport_lp()
    written = tmp_path / "again.gms"
    read_gams(HERE / "transmcp.gms").mcp.to_gams(written)
    again = read_gams(written)
    assert again.kind == "mcp" and again.mcp.size == 11 and again.solve().converged
    prices = [pyo.value(again.model.component(f"p_{j.replace('-', '_')}")) for j in MARKETS]
    assert prices == pytest.approx(demand_duals, abs=1e-7)


def test_a_declared_symbol_hides_the_constant_pi():
    """Markusen's M63 declares a variable PI: it must not be read as 3.14159 (a wrong model solved as 'solved')."""
    gams = sq.read_gams(text="Positive Variable PI, X; Equation e; e.. X =g= PI; Model m / e.X /; PI.fx = 2;\n"
                             "solve m using mcp;")
    assert gams.solve().value(gams.model.X) == pytest.approx(2.0, abs=1e-9)
    gams = sq.read_gams(text="Scalar r; r = pi; Positive Variable X; Equation e; e.. X =g= r; Model m / e.X /;\n"
                             "solve m using mcp;")
    assert gams.solve().value(gams.model.X) == pytest.approx(3.141592653589793, abs=1e-9)
