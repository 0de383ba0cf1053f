"""Pyomo -> casadi translation: values, work proportional to the expression DAG, and MCPLIB models solved."""

import math

import casadi as ca
import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.core.expr import numeric_expr as ne

import sharedeq as sq
from benchmarks import mcplib
from sharedeq import translate as tr_module
from sharedeq.translate import Translator


def symbols_for(variables):
    """A Translator over one SX symbol per Pyomo variable (fixed ones: their values), counting the callbacks."""
    syms = {id(v): ca.SX.sym(v.name) for v in variables}
    calls = []

    def variable(var):
        calls.append(var.name)
        return float(var.value) if var.fixed else syms[id(var)]

    return Translator(variable, lambda expr, body: body), [syms[id(v)] for v in variables], calls


def evaluate(expr_sx, syms, point):
    return float(ca.Function("f", [ca.vertcat(*syms)], [expr_sx])(point))


def model(n=20):
    m = pyo.ConcreteModel()
    m.I = pyo.RangeSet(1, n)
    m.x = pyo.Var(m.I, initialize=lambda m, i: 0.1 * i)
    return m


def test_a_shared_unnamed_subexpression_is_translated_once(monkeypatch):
    """One unnamed sum object in 20 rows, twice in each: one walk of it, one SX node for it, one variable
    callback per variable; the rows' values are right."""
    m = model()
    shared = sum(pyo.exp(0.1 * i * m.x[i]) for i in m.I)            # a SumExpression, not a LinearExpression
    assert type(shared) is ne.SumExpression
    rows = [shared ** 2 - m.x[i] * shared for i in m.I]
    walks = []
    monkeypatch.setitem(tr_module._EXIT, ne.SumExpression,
                        lambda tr, node, args: walks.append(id(node)) or tr.sum(args))
    translate, syms, calls = symbols_for(list(m.x.values()))
    F = ca.vertcat(*(translate(r) for r in rows))
    assert walks.count(id(shared)) == 1
    assert sorted(calls) == sorted(v.name for v in m.x.values())
    # the shared sum costs its nodes once: the 20 rows add a handful of nodes each
    alone = ca.Function("s", [ca.vertcat(*syms)], [translate(shared)]).n_nodes()
    together = ca.Function("F", [ca.vertcat(*syms)], [F]).n_nodes()
    assert together <= alone + 5 * len(rows)
    point = np.linspace(-1, 1, 20)
    for v, p in zip(m.x.values(), point, strict=True):
        v.value = float(p)
    values = np.asarray(ca.Function("F", [ca.vertcat(*syms)], [F])(point)).ravel()
    assert np.allclose(values, [pyo.value(r) for r in rows], rtol=1e-13)


def test_equal_subexpressions_built_as_separate_objects_share_one_node():
    """``H`` written out again in every row (no Pyomo object shared) still gives one SX node per distinct
    subexpression: ehl_kost in both writings translates to graphs of the same size and the same values, which
    casadi's common-subexpression elimination cannot shrink further."""
    sizes, values = [], []
    for literal in (False, True):
        mcp = sq.mcp_from_pyomo(mcplib.ehl_kost(N=12, literal=literal))
        sizes.append(ca.Function("F", [mcp.z], [mcp.F]).n_nodes())
        assert ca.Function("F", [mcp.z], [ca.cse(mcp.F)]).n_nodes() == sizes[-1]
        values.append(mcp.evaluate(mcp.z0))
    assert sizes[0] == sizes[1]
    assert np.allclose(values[0], values[1], rtol=1e-14, atol=0)
    m = model(2)
    translate, _, _ = symbols_for([m.x[1], m.x[2]])
    first = translate(pyo.exp(m.x[1]) * m.x[2] + 3 * m.x[1])
    second = translate(pyo.exp(m.x[1]) * m.x[2] + 3 * m.x[1])
    assert first.element_hash() == second.element_hash()


def test_expressions_freed_after_translation_never_alias():
    """The memo keeps what it keyed by id alive: temporary expressions translated one after another (Python may
    give a new object a freed object's id) each get their own translation."""
    m = model(3)
    translate, syms, _ = symbols_for(list(m.x.values()))
    point = np.array([0.3, -0.7, 1.9])
    rng = np.random.default_rng(0)
    for _ in range(200):
        a, b = rng.normal(size=2)
        expr_sx = translate(a * m.x[1] * m.x[2] + pyo.sin(b * m.x[3]))
        assert evaluate(expr_sx, syms, point) == pytest.approx(a * point[0] * point[1] + math.sin(b * point[2]),
                                                               rel=1e-13, abs=1e-14)


@pytest.mark.parametrize("n_terms", [2, 16, 17, 40])
def test_linear_rows_short_and_long(n_terms):
    """``sum c_k x_k + c_0`` with coefficients 1, -1, others and a fixed variable, term by term (<= 16) or as one
    sparse product (> 16)."""
    m = model(n_terms + 1)
    m.x[n_terms + 1].fix(2.5)
    coefs = [1.0, -1.0] + [0.5 * k - 3 for k in range(n_terms - 2)]
    expr = sum(c * m.x[i + 1] for i, c in enumerate(coefs)) + 4.0 * m.x[n_terms + 1] - 1.5
    assert type(expr) is ne.LinearExpression
    free = [m.x[i] for i in range(1, n_terms + 1)]
    translate, syms, _ = symbols_for(free)
    point = np.cos(np.arange(n_terms))
    expected = float(np.dot(coefs, point)) + 4.0 * 2.5 - 1.5
    assert evaluate(translate(expr), syms, point) == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("linear", [True, False])
def test_long_sums_are_evaluated_pairwise(linear):
    """A sum of 100,000 terms of about 30, as a ``LinearExpression`` (``sum x_i``) and as a nonlinear sum
    (``sum x_i**2 / 30``), evaluates within 2e-9 of the exactly rounded sum (``math.fsum``); casadi's own ``sum1``
    of the same terms, added term by term, misses by more (2e-8 typical on random terms), which made the cap of a
    100,000-firm game miss a 1e-8 tolerance by rounding alone."""
    n = 100_000
    m = model(n)
    terms = [m.x[i] if linear else m.x[i] ** 2 / 30.0 for i in m.I]
    expr = sum(terms[1:], terms[0]) if not linear else sum(m.x[i] for i in m.I)
    assert (type(expr) is ne.LinearExpression) == linear
    translate, syms, _ = symbols_for(list(m.x.values()))
    ours = translate(expr)
    casadis = ca.sum1(ca.vertcat(*syms) if linear else ca.vertcat(*syms) ** 2 / 30.0)
    for point in (30.0 + np.random.default_rng(1).uniform(-5.0, 5.0, n), np.full(n, 30.1)):
        exact = math.fsum(point if linear else point ** 2 / 30.0)
        assert abs(evaluate(ours, syms, point) - exact) <= 2e-9
    # equal terms: every term-by-term addition rounds the same way, and the errors add up
    assert abs(evaluate(casadis, syms, point) - exact) > 1e-8


def test_segment_sums_match_numpy():
    """:func:`sharedeq.mcp.sx_segment_sums`: sums by segment, in any order, empty segments 0."""
    from sharedeq.mcp import sx_segment_sums

    rng = np.random.default_rng(0)
    for n_terms, n_segments in [(0, 3), (1, 1), (7, 3), (100, 5), (1000, 1), (5, 10)]:
        x = ca.SX.sym("x", n_terms)
        segment = rng.integers(0, n_segments, n_terms)
        out = sx_segment_sums(x, segment, n_segments)
        assert out.shape == (n_segments, 1)
        point = rng.standard_normal(n_terms)
        got = np.asarray(ca.Function("f", [x], [out])(point)).ravel()
        np.testing.assert_allclose(got, np.bincount(segment, weights=point, minlength=n_segments), atol=1e-12)


@pytest.mark.parametrize("name", ["ehl_kost", "ehl_kost_literal", "choi", "kojshin", "obstacle"])
def test_mcplib_functions_match_numpy(name):
    """The translated ``F`` equals the model's formula written in numpy, at the start and at a random point."""
    builder, numpy_F = mcplib.MODELS[name]
    mcp = sq.mcp_from_pyomo(builder())
    rng = np.random.default_rng(1)
    for z in (mcp.z0, np.clip(mcp.z0 + 0.05 * rng.random(mcp.size), mcp.lb, mcp.ub)):
        assert np.allclose(mcp.evaluate(z), numpy_F(z), rtol=1e-12, atol=1e-12)


def test_choi_solved():
    """MCPLIB choi: the natural residual of the independent numpy F is at solver accuracy, brand 8 sits at its
    fixed price 0.199, every price is at least its cost, and a brand priced above cost has zero marginal profit."""
    mcp = sq.mcp_from_pyomo(mcplib.choi())
    solution = sq.solve(mcp)
    p = np.asarray(solution.z)
    F = mcplib.choi_numpy(p)
    assert mcplib.natural_residual(F, p, mcp.lb, mcp.ub) <= 1e-8
    assert p[mcplib.CHOI_FIXED_BRAND - 1] == pytest.approx(0.199, abs=1e-12)
    assert np.all(p >= mcplib.CHOI_C - 1e-12)
    interior = (p > mcplib.CHOI_C + 1e-6) & (np.arange(14) != mcplib.CHOI_FIXED_BRAND - 1)
    assert interior.sum() >= 10 and np.abs(F[interior]).max() <= 1e-8


def test_kojshin_solved_to_a_known_solution():
    mcp = sq.mcp_from_pyomo(mcplib.kojshin())
    x = np.asarray(sq.solve(mcp).z)
    known = np.array([[1.0, 0.0, 3.0, 0.0], [math.sqrt(6) / 2, 0.0, 0.0, 0.5]])
    assert np.abs(known - x).max(axis=1).min() <= 1e-8
    assert mcplib.natural_residual(mcplib.kojshin_numpy(x), x, mcp.lb, mcp.ub) <= 1e-10


def test_ehl_kost_small_grid_solved():
    """ehl_kost on a 30-point grid: the pressures solve the numpy-written MCP, integrate to the load
    (``psum``: ``(2 dx / pi) sum w p = 1``) and vanish past the outlet."""
    n = 30
    mcp = sq.mcp_from_pyomo(mcplib.ehl_kost(N=n))
    z = np.asarray(sq.solve(mcp).z)
    assert mcplib.natural_residual(mcplib.ehl_kost_numpy(z, N=n), z, mcp.lb, mcp.ub) <= 1e-8
    dx = 5.0 / n
    w = np.ones(n)
    w[-1] = 0.5
    assert 2 * dx / math.pi * np.dot(w, z[1:]) == pytest.approx(1.0, abs=1e-8)
    assert np.all(z[1:] >= 0) and z[-1] == pytest.approx(0.0, abs=1e-8)


def test_an_aggregate_shared_unnamed_by_all_objectives_is_one_node():
    """The river game with total output written into every objective as one unnamed sum (``inline=True``,
    nothing lifted): the sum is translated once, so ``F`` has O(N) nodes (about 25 a pair; translated per
    objective it had 5,169 for these 63 pairs), and the equilibrium equals the one of the named, lifted form."""
    from benchmarks.generators import generate

    inline_problem = generate("river", 60, 3, inline=True)
    mcp = inline_problem.mcp(mode="ve", lift="none")
    assert ca.Function("F", [mcp.z], [mcp.F]).n_nodes() <= 30 * mcp.size
    named = generate("river", 60, 3).solve(mode="ve", verify=False)
    inline = inline_problem.solve(mode="ve", lift="none", verify=False)
    assert named.converged and inline.converged
    x_named = named.variables.set_index("variable")["value"]
    x_inline = inline.variables.set_index("variable")["value"]
    assert len(x_inline) == 60 and np.allclose(x_named.loc[x_inline.index], x_inline, atol=1e-7)


def test_dense_aggregates_in_nonlinear_operations_are_lifted():
    """With ``lift_aggregates``: a long sum S (and H = 1 + S/2, a linear combination of it) becomes a symbol where
    it enters a nonlinear operation (H**3, x1*H, exp(S)), once each however often it is used, and stays a sum
    where it is used linearly (3*H - S); substituting the definitions gives back the same values."""
    m = model(20)
    S = sum(m.x[i] for i in m.I)
    H = 1 + S / 2
    exprs = [H ** 3 + (3 * H - S), m.x[1] * H + pyo.exp(S), H ** 3]
    syms = {id(v): ca.SX.sym(v.name) for v in m.x.values()}
    lifting = Translator(lambda v: syms[id(v)], lambda expr, body: body, lift_aggregates=True)
    out = ca.vertcat(*(lifting(e) for e in exprs))
    assert len(lifting.aggregates) == 2            # H and S (H**3 twice and x1*H share H's symbol)
    y, h = (ca.vertcat(*c) for c in zip(*lifting.aggregates, strict=True))
    x = ca.vertcat(*syms.values())
    assert ca.depends_on(out[0], y[0]) and not ca.depends_on(out[0], y[1])
    plain = ca.substitute(out, y, h)
    point = np.linspace(0.1, 0.5, 20)
    s = point.sum()
    expected = [(1 + s / 2) ** 3 + (3 * (1 + s / 2) - s), point[0] * (1 + s / 2) + math.exp(s), (1 + s / 2) ** 3]
    assert np.allclose(np.asarray(ca.Function("f", [x], [plain])(point)).ravel(), expected, rtol=1e-14)
    # rows 0 and 2 depend on the 20 variables through y_H only nonlinearly: the Hessian of sum(out) in (x, y)
    # has no x-x block
    hessian = ca.hessian(ca.sum1(out[[0, 2]]), ca.vertcat(x, y))[0]
    assert hessian[:20, :20].nnz() == 0
