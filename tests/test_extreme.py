"""Extreme equilibria (``problem.extreme``) against sets of equilibria derived independently.

* The two-player shared-resource game of the README: the generalized Nash equilibria are ``x1 + x2 = 1`` with
  ``x1`` in ``[1/2, 1]``, and player 1's multiplier is ``2 (1 - x1)``, in ``[0, 1]``.
* The river basin (3 firms, 2 shared limits, linear-quadratic): every firm's problem is convex in its output, so
  its best responses are its KKT points, and firm ``i`` (marginal cost minus marginal revenue ``g_i(x)``) is at a
  best response exactly when one of four linear systems holds: ``g_i = 0``; ``x_i = 0, g_i >= 0``; or station
  ``s`` binds and ``g_i <= 0`` (it may then price the station, ``lam_is = -g_i / a_si``). The generalized Nash set
  is the union of the 4^3 polytopes these choices cut from the feasible set; the extremes of a linear objective
  are among their vertices, those of the (concave) total profit among the stationary points of its faces. Both are
  enumerated here in rational arithmetic (``fractions``), without the MCP.
"""

import itertools
from fractions import Fraction

import pyomo.environ as pyo
import pytest

import sharedeq as sq
from cases import river_basin as rb
from sharedeq.extreme import multiplier


def _two_player_game():
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], initialize=0.0)
    m.share = pyo.Constraint(expr=m.x[1] + m.x[2] <= 1)
    game = sq.EquilibriumProblem(m, name="two players, one shared resource")
    game.add_agent("p1", objective=(m.x[1] - 1) ** 2, variables=m.x[1])
    game.add_agent("p2", objective=(m.x[2] - 0.5) ** 2, variables=m.x[2])
    game.add_shared(m.share)
    return game


@pytest.mark.parametrize(("sense", "x1"), [("max", 1.0), ("min", 0.5)])
def test_two_player_game_x1_ranges_over_exactly_one_half_to_one(sense, x1):
    game = _two_player_game()
    sol = game.extreme(game.model.x[1], sense=sense)
    assert sol.status == "equilibrium", sol.summary()
    assert sol.extreme_scope == "global"
    assert sol.extreme_value == pytest.approx(x1, abs=1e-9)
    assert sol.value(game.model.x[1]) + sol.value(game.model.x[2]) == pytest.approx(1.0, abs=1e-9)
    assert (sq.kkt_check(game, sol).max() < 1e-8).all()
    assert (sq.best_response_check(game, sol)["gain"].abs() < 1e-8).all()


@pytest.mark.parametrize(("sense", "x1"), [("max", 1.0), ("min", 0.5)])
def test_two_player_game_local_method_finds_the_same_ends_and_says_local(sense, x1):
    game = _two_player_game()
    sol = game.extreme(game.model.x[1], sense=sense, max_nodes=0, starts=3)
    assert sol.status == "equilibrium", sol.summary()
    assert sol.extreme_scope == "local"
    assert "nonconvex" in sol.extreme_method
    assert sol.extreme_value == pytest.approx(x1, abs=1e-7)


def test_two_player_game_price_of_player_one_ranges_over_zero_to_one():
    game = _two_player_game()
    price = multiplier(game.model.share, "p1")
    high = game.extreme(price, sense="max")
    low = game.extreme(price, sense="min")
    assert (high.extreme_value, low.extreme_value) == (pytest.approx(1.0, abs=1e-9), pytest.approx(0.0, abs=1e-9))
    assert high.multiplier(game.model.share, "p1") == pytest.approx(1.0, abs=1e-9)
    assert high.value(game.model.x[1]) == pytest.approx(0.5, abs=1e-9)      # price 2 (1 - x1)


def test_variational_mode_has_one_point_so_both_extremes_meet():
    game = _two_player_game()
    high = game.extreme(game.model.x[1], mode="ve", sense="max")
    low = game.extreme(game.model.x[1], mode="ve", sense="min")
    assert high.extreme_value == pytest.approx(0.75, abs=1e-9)
    assert low.extreme_value == pytest.approx(0.75, abs=1e-9)


def test_summary_and_json_report_the_extreme():
    game = _two_player_game()
    sol = game.extreme(game.model.x[1], sense="min")
    assert "extreme (min, global): 0.5" in sol.summary()
    assert sol.to_dict()["extreme"]["scope"] == "global"


def test_bad_objectives_are_refused_in_the_models_names():
    game = _two_player_game()
    m = game.model
    with pytest.raises(sq.ModelError, match="share is a constraint"):
        game.extreme(m.share)
    m.stray = pyo.Var()
    with pytest.raises(sq.ModelError, match="stray appears in the objective"):
        game.extreme(m.stray + m.x[1])
    with pytest.raises(sq.ModelError, match="one multiplier per agent"):
        game.extreme(multiplier(m.share))
    with pytest.raises(sq.ModelError, match="sense must be"):
        game.extreme(m.x[1], sense="up")


def test_unbounded_objective_is_reported():
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], initialize=0.0)
    m.share = pyo.Constraint(expr=m.x[1] - m.x[2] == 0)
    game = sq.EquilibriumProblem(m, name="a line of equilibria")
    game.add_agent("p1", objective=0 * m.x[1] + m.x[1] - m.x[1], variables=m.x[1])
    game.add_agent("p2", objective=m.x[2] - m.x[2], variables=m.x[2])
    game.add_shared(m.share)
    with pytest.raises(sq.ModelError, match="unbounded above"):
        game.extreme(m.x[1])


# ---------------------------------------------------------------------- the river basin, exactly
def _solve_exact(A, b):
    """The unique solution of ``A x = b`` (square, Fractions), or None when ``A`` is singular."""
    n = len(A)
    M = [list(row) + [rhs] for row, rhs in zip(A, b, strict=True)]
    for col in range(n):
        pivot = next((r for r in range(col, n) if M[r][col] != 0), None)
        if pivot is None:
            return None
        M[col], M[pivot] = M[pivot], M[col]
        for r in range(n):
            if r != col and M[r][col] != 0:
                factor = M[r][col] / M[col][col]
                M[r] = [a - factor * c for a, c in zip(M[r], M[col], strict=True)]
    return [M[r][n] / M[r][r] for r in range(n)]


def _river_data():
    F = Fraction
    a = {(s, i): F(str(rb.U[i, s])) * F(str(rb.E[i])) for i in rb.FIRMS for s in rb.STATIONS}
    c1 = {i: F(str(rb.C[1, i])) for i in rb.FIRMS}
    c2 = {i: F(str(rb.C[2, i])) for i in rb.FIRMS}
    return a, c1, c2, F(str(rb.D1)), F(str(rb.D2)), {s: F(str(rb.K[s])) for s in rb.STATIONS}


def _river_pieces():
    """Each piece of the generalized Nash set as (equalities, inequalities), rows ``(coefs over x, rhs)`` meaning
    ``coefs . x = rhs`` or ``coefs . x <= rhs``."""
    a, c1, c2, d1, d2, K = _river_data()
    firms = list(rb.FIRMS)

    def g(i):        # marginal cost minus marginal revenue of firm i: coefs . x + const
        return [2 * c2[i] + 2 * d2 if j == i else d2 for j in firms], c1[i] - d1

    feasible = [([-1 if j == i else 0 for j in firms], 0) for i in firms] + \
               [([a[s, j] for j in firms], K[s]) for s in rb.STATIONS]
    for modes in itertools.product(["interior", "zero", *rb.STATIONS], repeat=len(firms)):
        eq, ineq = [], list(feasible)
        for i, mode in zip(firms, modes, strict=True):
            coefs, const = g(i)
            if mode == "interior":
                eq.append((coefs, -const))
            elif mode == "zero":
                eq.append(([1 if j == i else 0 for j in firms], 0))
                ineq.append(([-c for c in coefs], const))
            else:
                eq.append(([a[mode, j] for j in firms], K[mode]))
                ineq.append((coefs, -const))
        yield eq, ineq


def _feasible(x, eq, ineq):
    return all(sum(c * v for c, v in zip(coefs, x, strict=True)) == rhs for coefs, rhs in eq) and \
        all(sum(c * v for c, v in zip(coefs, x, strict=True)) <= rhs for coefs, rhs in ineq)


def _river_candidates(hessian, gradient):
    """Every stationary point of ``0.5 x'Hx + g'x`` on an affine hull of a face of a piece (vertices included):
    the extremes of a linear or concave objective over the generalized Nash set are among them."""
    points = set()
    for eq, ineq in _river_pieces():
        eq = list(dict.fromkeys((tuple(coefs), rhs) for coefs, rhs in eq))    # two firms at one station: one row
        for size in range(0, 4):
            for chosen in itertools.combinations(ineq, size):
                rows = eq + list(chosen)
                if len(rows) > 3:
                    continue
                n, m = 3, len(rows)       # KKT system [H A'; A 0] [x; nu] = [-g; b]
                A = [[Fraction(hessian[r][c]) for c in range(n)] + [rows[k][0][r] for k in range(m)]
                     for r in range(n)] + [list(rows[k][0]) + [Fraction(0)] * m for k in range(m)]
                b = [-Fraction(v) for v in gradient] + [rows[k][1] for k in range(m)]
                solution = _solve_exact(A, b)
                if solution is not None and _feasible(solution[:n], eq, ineq):
                    points.add(tuple(solution[:n]))
    return points


@pytest.fixture(scope="module")
def river_vertices():
    return _river_candidates([[0] * 3] * 3, [0, 0, 0])


@pytest.fixture(scope="module")
def river_problem():
    return rb.build_problem("gne")


@pytest.mark.parametrize("firm", rb.FIRMS)
@pytest.mark.parametrize("sense", ["max", "min"])
def test_river_basin_output_extremes_match_the_exact_generalized_nash_set(river_problem, river_vertices, firm,
                                                                         sense):
    exact = (max if sense == "max" else min)(float(x[firm - 1]) for x in river_vertices)
    sol = river_problem.extreme(river_problem.model.x[firm], sense=sense)
    assert sol.status == "equilibrium", sol.summary()
    assert sol.extreme_scope == "global"
    assert sol.extreme_value == pytest.approx(exact, rel=1e-7, abs=1e-7)
    assert (sq.kkt_check(river_problem, sol).max() < 1e-7).all()


def _welfare_terms():
    """Total profit ``-sum_i cost_i`` as ``0.5 x'Hx + g'x`` (exact)."""
    a, c1, c2, d1, d2, K = _river_data()
    firms = list(rb.FIRMS)
    H = [[-(2 * c2[i] + 2 * d2) if i == j else -2 * d2 for j in firms] for i in firms]
    g = [d1 - c1[i] for i in firms]
    return H, g


@pytest.mark.parametrize("sense", ["max", "min"])
def test_river_basin_total_profit_extremes_match_the_exact_set(sense):
    H, g = _welfare_terms()
    candidates = _river_candidates([[-v for v in row] for row in H], [-v for v in g]) if sense == "max" \
        else _river_candidates([[0] * 3] * 3, [0, 0, 0])

    def welfare(x):
        return sum(g[i] * x[i] for i in range(3)) + sum(H[i][j] * x[i] * x[j] for i in range(3)
                                                       for j in range(3)) / 2

    exact = float((max if sense == "max" else min)(welfare(x) for x in candidates))
    problem = rb.build_problem("gne")         # the model's start values as built (the first start)
    profit = -sum(problem.model.cost[i].expr for i in rb.FIRMS)
    sol = problem.extreme(profit, sense=sense)
    assert sol.status == "equilibrium", sol.summary()
    assert sol.extreme_value == pytest.approx(exact, rel=1e-8)
    # maximising a concave profit: a convex QP on every piece; minimising it: a concave one, bounded by its vertices
    assert sol.extreme_scope == "global"


def test_river_basin_variational_equilibrium_lies_inside_the_generalized_nash_range(river_problem, river_vertices):
    low = min(float(x[0]) for x in river_vertices)
    high = max(float(x[0]) for x in river_vertices)
    assert low < rb.VE_OUTPUT[1] < high


# ---------------------------------------------------------------------- a nonlinear game: Cournot with a shared cap
def test_cournot_shared_cap_output_range_matches_the_one_dimensional_root():
    """Cournot firms (benchmarks.generators, N = 5, one shared capacity cap) with a cap that binds: every firm
    ``i`` with ``x_i > 0`` needs ``g_i(x_i) = c_i + K_i^(-1/b_i) x_i^(1/b_i) - p(cap) - x_i p'(cap) <= 0`` (the cap
    holds it back), one with ``x_i = 0`` nothing more, so firm 1's output ranges over ``[0, r_1]`` with
    ``g_1(r_1) = 0`` (found by brentq here), since the others' roots add up to more than the cap. Nonlinear price:
    the local method, and its scope says so."""
    from scipy.optimize import brentq

    from benchmarks.generators import GAMMA, cournot_data, generate

    data = cournot_data(5, 1, 0)
    cap = data.cap[0]
    price = (data.A / cap) ** (1 / GAMMA)
    slope = -price / (GAMMA * cap)

    def g(x, i):
        return data.c[i] + data.K[i] ** (-1 / data.beta[i]) * x ** (1 / data.beta[i]) - price - x * slope

    roots = [brentq(g, 1e-12, 1e4, args=(i,), xtol=1e-14) for i in range(5)]
    assert sum(roots[1:]) > cap > roots[0]
    problem = generate("cournot", 5, m=1)
    high = problem.extreme(problem.model.x[1], sense="max")
    assert high.converged and high.status != "not an equilibrium", high.summary()
    assert high.extreme_scope == "local"
    assert high.extreme_value == pytest.approx(roots[0], rel=1e-8)
    low = problem.extreme(problem.model.x[1], sense="min")
    assert low.converged and low.status != "not an equilibrium", low.summary()
    assert low.extreme_value == pytest.approx(0.0, abs=1e-8)
