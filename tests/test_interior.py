"""The interior-point method on the MCP (sharedeq/interior.py) and the Jacobian it runs on (sharedeq/jacobian.py).

Answers are checked against references that share nothing with the method (closed forms, Eisenberg-Gale, the
relaxed NLP's own derivatives, numpy); iteration counts against the size they should not depend on.
"""

import warnings

import casadi as ca
import numpy as np
import pyomo.environ as pyo
import pytest
import scipy.sparse as sp
from pyomo.mpec import Complementarity, complements

import sharedeq as sq
from benchmarks.generators import FAMILIES, cournot_linear_reference, generate
from benchmarks.mcplib import ehl_kost, ehl_kost_numpy, random_lcp
from sharedeq.interior import (
    _Box,
    _corrected_side,
    _Factoriser,
    _Iterate,
    _plain_start,
    _start,
    _start_row_scale,
    interior_point,
)
from sharedeq.jacobian import MCPJacobian
from sharedeq.kkt import build_mcp
from sharedeq.reformulate import relax
from tests.test_errors import infeasible_game


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("mode", ["ve", "gne"])
def test_jacobian_equals_the_relaxations_at_random_points(family, mode):
    mcp = build_mcp(generate(family, 12, m=3, seed=3), mode=mode)
    ours, theirs = MCPJacobian(mcp), relax(mcp)
    rng = np.random.default_rng(0)
    for _ in range(3):
        z = rng.uniform(0.5, 2.0, mcp.size)
        J = ours.dF_dz(z)
        assert J.shape == (mcp.size, mcp.size)
        fixed = mcp.lb == mcp.ub     # the relaxation leaves fixed pairs' rows empty
        difference = (J - theirs.dF_dz(z))[np.flatnonzero(~fixed)]
        assert abs(difference).max() <= 1e-12 * max(1.0, abs(J).max())


@pytest.mark.parametrize("family", ["river", "cournot", "transport", "fisher", "endowment"])
@pytest.mark.parametrize("mode", ["ve", "gne"])
def test_known_derivatives_are_those_casadi_finds(family, mode):
    """Two parts of dF/dz are read off the KKT builder rather than differentiated: the stationarity rows' entries
    in their multipliers' columns (MCP.weight_derivatives) and the rows that are long linear constraints or
    aggregate definitions (MCP.polynomial_jacobian, more than 16 terms: 40 agents). The Jacobian is the same as
    with every row differentiated by casadi, and as the relaxation's (its own derivatives)."""
    mcp = build_mcp(generate(family, 40, m=3, seed=5), mode=mode)
    assert mcp.weight_derivatives is not None
    assert (mcp.polynomial_jacobian is not None) == (family != "transport")     # the ring's links have 2 terms
    rng = np.random.default_rng(1)
    z = rng.uniform(0.5, 2.0, mcp.size)
    J = MCPJacobian(mcp).dF_dz(z)
    mcp.weight_derivatives = mcp.polynomial_jacobian = None
    plain = MCPJacobian(mcp).dF_dz(z)
    assert abs(J - plain).max() <= 1e-13 * max(1.0, abs(plain).max())
    assert abs(J - relax(mcp).dF_dz(z)).max() <= 1e-13 * max(1.0, abs(plain).max())


def _dualvar_in_values_game():
    """Agent a prices its cap with the multiplier lam (a dualvar), which enters agent b's objective: the values of
    b's stationarity row depend on a weight column, so its derivatives cannot be read off the terms."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var(bounds=(0, 10))
    m.y = pyo.Var(bounds=(0, 10))
    m.lam = pyo.Var(bounds=(0, None))
    m.fa = pyo.Objective(expr=(m.x - 3) ** 2 + m.x * m.y)
    m.fb = pyo.Objective(expr=(m.y - 1) ** 2 - m.lam * m.y * m.x)
    m.cap = pyo.Constraint(expr=m.x ** 2 <= 2)
    for o in (m.fa, m.fb):
        o.deactivate()
    p = sq.EquilibriumProblem(m)
    p.add_agent("a", m.fa, [m.x], [m.cap])
    p.add_agent("b", m.fb, [m.y])
    p.add_dualvar(m.lam, m.cap)
    return p


def test_multiplier_in_an_objective_is_differentiated():
    mcp = build_mcp(_dualvar_in_values_game())
    assert mcp.weight_derivatives is None
    z = np.array([0.7, 1.3, 0.4])
    J = MCPJacobian(mcp).dF_dz(z).toarray()
    step = 1e-7
    numeric = np.column_stack([(mcp.evaluate(z + step * e) - mcp.evaluate(z - step * e)) / (2 * step)
                               for e in np.eye(3)])
    np.testing.assert_allclose(J, numeric, rtol=1e-6, atol=1e-7)


def test_jacobian_with_lifted_aggregates_matches_finite_differences():
    """ehl_kost's film thicknesses are lifted (y = h(z)); the total derivative F_z + F_y h_z against numpy."""
    mcp = sq.mcp_from_pyomo(ehl_kost(20))
    assert mcp.aggregates is not None
    z = np.r_[1.6, np.linspace(0.1, 0.9, 20)]
    J = MCPJacobian(mcp).dF_dz(z).toarray()
    step = 1e-7
    numeric = np.column_stack([(ehl_kost_numpy(z + step * e, 20) - ehl_kost_numpy(z - step * e, 20)) / (2 * step)
                               for e in np.eye(z.size)])
    np.testing.assert_allclose(J, numeric, rtol=1e-5, atol=1e-5 * abs(numeric).max())


def test_cournot_against_its_closed_form():
    n = 2000
    problem = generate("cournot_linear", n)
    solution = problem.solve(mode="ve", verify=False)
    assert solution.converged and solution.method == "interior point"
    reference = cournot_linear_reference(n)
    np.testing.assert_allclose(solution.multipliers["multiplier"].to_numpy(), reference["prices"], rtol=1e-9)
    q = np.array([solution.value(a.variables[0]) for a in problem.agents])
    np.testing.assert_allclose(q, reference["x"], rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("family, reference", [("fisher", "fisher"), ("households", "households")])
def test_market_prices_against_independent_answers(family, reference):
    """Fisher market prices against Eisenberg-Gale (scipy), households against p_j = sum_i a_ij / W_j."""
    problem = generate(family, 150, m=8, seed=4)
    solution = problem.solve(mode="ve", verify=False)
    assert solution.converged and solution.method == "interior point"
    prices = FAMILIES[reference].reference(150, 8, 4)["prices"]
    np.testing.assert_allclose(solution.multipliers["multiplier"].to_numpy(), prices, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("family, mode", [("transport", "ve"), ("transport", "gne"), ("cournot_linear", "gne"),
                                          ("river", "ve"), ("households", "gne")])
def test_iterations_do_not_grow_with_the_size(family, mode):
    """From 100 to 3,000 agents the iteration count stays within a factor 2 (the relaxation with Ipopt took 30,
    140 and 766 iterations on the ring at 10, 100 and 1,000 carriers)."""
    counts = []
    for n in (100, 3000):
        solution = generate(family, n).solve(mode=mode, verify=False)
        assert solution.converged and solution.method == "interior point", solution.message
        assert sq.kkt_check(solution.problem, solution).to_numpy().max() < 1e-6 if n == 100 else True
        counts.append(solution.iterations)
    assert max(counts) <= 2 * max(min(counts), 5), counts


def test_endgame_takes_full_steps_and_corrects_the_active_set():
    """Once ``mu`` has fallen by POLISH_FROM, a full step is no longer refused for leaving the wide neighbourhood
    (pairs that are settling at a bound drop faster than the mean product: on the 3,000-carrier ring that halved
    every step), and a polish that proved its active set wrong is retried with the pairs that showed it changed.
    Before both: 13 iterations on this ring (17 at 10,000); now 6. The answer is checked pair by pair."""
    problem = generate("transport", 3000)
    mcp = build_mcp(problem, mode="ve")
    result = interior_point(mcp, MCPJacobian(mcp))
    assert result.converged and result.polished and result.iterations <= 8, (result.status, result.iterations)
    z, F = result.z, mcp.evaluate(result.z)
    assert z.min() >= 0 and F.min() >= -1e-8 and np.abs(np.minimum(z, F)).max() <= 1e-8


def test_corrected_side_frees_wrong_signs_and_holds_crossings():
    """A pair held at its lower bound with F < 0 is freed, one held at its upper bound with F > 0 too, a free
    pair below its lower bound is held there, one above its upper bound likewise; the others keep their side."""
    lb, ub = np.array([0.0, 0.0, 0.0, 0.0, 0.0, -np.inf]), np.array([1.0, 1.0, 1.0, 1.0, 1.0, np.inf])
    mcp = sq.MCP.from_functions(lambda z: z, lb, ub)
    box = _Box(mcp)
    side = np.array([-1, 1, 0, 0, -1, 0])
    z = np.array([0.0, 1.0, -0.5, 1.5, 0.0, -7.0])
    F = np.array([-1.0, 2.0, 0.0, 0.0, 3.0, 0.0])
    new, changed = _corrected_side(z, F, side, box)
    assert changed and new.tolist() == [0, 0, -1, 1, -1, 0]
    kept, unchanged = _corrected_side(np.array([0.0, 1.0, 0.5, 0.5, 0.0, -7.0]), np.array([1.0, -1.0, 0, 0, 0, 0]),
                                      np.array([-1, 1, 0, 0, -1, 0]), box)
    assert not unchanged and kept.tolist() == [-1, 1, 0, 0, -1, 0]


def test_start_rows_of_another_scale_do_not_set_the_players_multipliers():
    """A shared constraint over N players is N times a player's row at the start. Mehrotra's start, computed with
    the rows as they are, gave every firm's bound multiplier the constraint's scale (185,000 against stationarity
    rows of size 3 at N = 10,000; 4 steps shorter than 1 % followed, 11 at N = 100,000). On rows brought to one
    scale it does not: the players' multipliers stay on their rows' scale, the constraints' match their rows."""
    problem = generate("river", 3000)
    mcp = build_mcp(problem, mode="ve")
    jacobian = MCPJacobian(mcp)
    box = _Box(mcp)
    z = _plain_start(np.asarray(mcp.z0, float), box)
    F = mcp.evaluate(z)
    rows = _start_row_scale(F, box)
    shared = mcp.pairs["kind"].to_numpy() != "stationarity"
    assert np.all(rows[~shared] == 1.0) and np.all(rows[shared & box.has_l] < 1e-2)
    it = _start(mcp, jacobian, z, F, box, _Factoriser(box, {"factorisations": 0}))
    players = ~shared & box.has_l
    assert np.median(it.v[players]) < 10 * np.median(np.abs(F[players]))
    constraints = shared & box.has_l
    assert 0.1 <= np.max(it.v[constraints]) / np.max(np.abs(it.F[constraints])) <= 10


def test_lcp_solution_checked_in_numpy():
    model = random_lcp(2000, seed=3)
    mcp = sq.mcp_from_pyomo(model)
    result = interior_point(mcp, MCPJacobian(mcp))
    assert result.converged and result.residual <= 1e-8
    z = result.z
    F = mcp.evaluate(z)
    assert z.min() >= 0 and F.min() >= -1e-8 and np.abs(z * F).max() <= 1e-8


def _box_mcp():
    """Every kind of pair at once: a box (both bounds), lower only, upper only, free and fixed, on a monotone
    affine F = M z + q with M = A A' + skew: solution checked by the natural residual computed in numpy."""
    rng = np.random.default_rng(7)
    n = 40
    A = rng.standard_normal((n, n))
    S = rng.standard_normal((n, n))
    M = A @ A.T / n + (S - S.T)
    q = rng.standard_normal(n) * 5
    lb = np.full(n, -np.inf)
    ub = np.full(n, np.inf)
    lb[:10], ub[:10] = -1.0, 1.0               # box
    lb[10:20] = 0.0                            # lower only
    ub[20:30] = 0.5                            # upper only
    lb[35:], ub[35:] = 0.25, 0.25              # fixed; 30-34 free
    return sq.MCP.from_functions(lambda z: ca.mtimes(ca.DM(M), z) + ca.DM(q), lb, ub), M, q


def test_every_kind_of_bound():
    mcp, M, q = _box_mcp()
    result = interior_point(mcp, MCPJacobian(mcp))
    assert result.converged, result.status
    z = result.z
    natural = z - np.clip(z - (M @ z + q), mcp.lb, mcp.ub)
    assert np.abs(natural).max() <= 1e-8
    assert np.all(z >= mcp.lb) and np.all(z <= mcp.ub) and np.all(z[35:] == 0.25)


def test_degenerate_pairs():
    """``z_k = F_k = 0`` at the solution (strict complementarity fails): F(z) = z on z >= 0, and a pair whose
    function vanishes identically next to an ordinary one."""
    mcp = sq.MCP.from_functions(lambda z: [z[0], 0 * z[1], z[2] - 1.0], [0.0] * 3, np.inf)
    result = interior_point(mcp, MCPJacobian(mcp))
    assert result.converged, result.status
    assert result.z[0] == pytest.approx(0, abs=1e-8) and result.z[2] == pytest.approx(1, abs=1e-10)


def test_a_failure_says_why_and_the_relaxation_follows():
    """No equilibrium exists (a shared equality out of reach of the bounds): the interior point stops with its
    reason, then the relaxation is tried; alone (method="interior") it reports the same failure."""
    p, _ = infeasible_game()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alone = p.solve(method="interior")
        chained = p.solve(options={"max_iter": 100})
    assert not alone.converged and list(alone.steps["step"]) == ["interior point"]
    assert alone.steps["ipopt_status"].iloc[0].startswith("interior: ") and "converged" not in \
        alone.steps["ipopt_status"].iloc[0]
    assert alone.summary().startswith("NOT CONVERGED")
    assert not chained.converged and chained.steps["step"].iloc[0] == "interior point"
    assert chained.steps["step"].str.startswith("relax").any()


def test_unknown_method_is_a_clear_error():
    with pytest.raises(sq.ModelError, match="method must be one of"):
        generate("river", 5).solve(method="path")


def test_ordered_factorisation_solves_the_newton_system():
    """The reused fill-reducing order (dense rows and columns last) gives the same solution as a plain LU, on a
    generalized-Nash matrix (every agent's multipliers, aggregate columns) and on the ring."""
    for family in ("river", "transport"):
        mcp = build_mcp(generate(family, 60, seed=1), mode="gne")
        box = _Box(mcp)
        rng = np.random.default_rng(1)
        z = np.where(np.isfinite(mcp.lb), mcp.lb, 0.0) + rng.uniform(0.5, 2.0, mcp.size)
        v = np.where(box.has_l, rng.uniform(0.5, 2.0, mcp.size), 0.0)
        w = np.where(box.has_u, rng.uniform(0.5, 2.0, mcp.size), 0.0)
        it = _Iterate(box, z, v, w, mcp.evaluate(z))
        J = MCPJacobian(mcp).dF_dz(z)
        lu = _Factoriser(box, {"factorisations": 0})(J, it)
        K = J + sp.diags(v / np.where(box.has_l, it.s, 1.0) + w / np.where(box.has_u, it.t, 1.0))
        b = rng.standard_normal(mcp.size)
        x = lu.solve(b)
        assert np.abs(K @ x - b).max() <= 1e-9 * np.abs(b).max()


def test_mcp_from_pyomo_with_a_box():
    """A pyomo.mpec pair with both bounds (a price band): the interior-point method handles the box."""
    m = pyo.ConcreteModel()
    m.p = pyo.Var(bounds=(1.0, 2.0), initialize=1.5)
    m.q = pyo.Var(within=pyo.NonNegativeReals, initialize=0.0)
    m.band = Complementarity(expr=complements(pyo.inequality(1.0, m.p, 2.0), m.p + m.q - 3.0))
    m.supply = Complementarity(expr=complements(m.q >= 0, m.q - m.p + 0.5))
    solution = sq.solve(sq.mcp_from_pyomo(m))
    assert solution.converged and solution.method == "interior point"
    assert solution.value(m.p) == pytest.approx(1.75, abs=1e-9) and solution.value(m.q) == pytest.approx(1.25)
