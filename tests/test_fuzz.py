"""Randomised property suite (benchmarks/fuzz.py): fixed seeds per category, every claimed equilibrium checked
independently, plus tests of the independent checkers themselves against closed forms.

The bigger run is ``python -m benchmarks fuzz --n 100`` (figures in benchmarks/RESULTS.md).
"""

import numpy as np
import pytest
from scipy.optimize import linprog

from benchmarks.fuzz import (
    GENERATORS,
    TARGETS,
    CPData,
    GameData,
    Instance,
    LinearRow,
    best_response_gap,
    check_cp,
    check_game,
    false_denial,
    lcp_has_solution,
    qp_global_min,
    repro,
    run,
    vi_gap,
)

#: Instances per category in CI (seeds 0 .. n-1); solves that fail honestly are the slow ones (about a second each:
#: the solver tries everything before it gives up), so those categories get fewer seeds.
SEEDS = {"monotone": 30, "general-lq": 30, "lcp-monotone": 30, "ncp-known-solution": 30, "nonconvex": 15,
         "ncp-nonmonotone": 6, "lcp-nonmonotone": 5, "infeasible": 6, "unbounded": 6}


# ---------------------------------------------------------------------- the checkers, against closed forms
def test_qp_global_min_concave_on_an_interval():
    """min -y^2 + 0.6 y on [0, 1]: y = 1, value -0.4 (y = 0 is a local minimum with value 0, y = 0.3 the maximum)."""
    value, y = qp_global_min(np.array([[-2.0]]), np.array([0.6]), np.array([[1.0], [-1.0]]), np.array([1.0, 0.0]))
    assert value == pytest.approx(-0.4)
    assert y == pytest.approx([1.0])


def test_qp_global_min_bilinear_on_a_box():
    """min y1 y2 on [-1, 2]^2 is -2, at (-1, 2) or (2, -1); the saddle (0, 0) is not a minimum."""
    G = np.vstack([np.eye(2), -np.eye(2)])
    value, y = qp_global_min(np.array([[0.0, 1.0], [1.0, 0.0]]), np.zeros(2), G, np.array([2.0, 2.0, 1.0, 1.0]))
    assert value == pytest.approx(-2.0)
    assert sorted(y) == pytest.approx([-1.0, 2.0])


def test_qp_global_min_with_an_equality():
    """min y1^2 + y2^2 subject to y1 + y2 = 1 in [-5, 5]^2: (1/2, 1/2), value 1/2."""
    G = np.vstack([np.eye(2), -np.eye(2)])
    value, y = qp_global_min(2.0 * np.eye(2), np.zeros(2), G, np.full(4, 5.0), np.array([[1.0, 1.0]]), [1.0])
    assert value == pytest.approx(0.5)
    assert y == pytest.approx([0.5, 0.5])


def _two_players(mode):
    """README's game: f1 = (x1 - 1)^2, f2 = (x2 - 1/2)^2, shared x1 + x2 <= 1, boxes [-10, 10].

    Generalized Nash equilibria: x1 in [1/2, 1], x2 = 1 - x1; the variational one is (3/4, 1/4).
    """
    data = GameData(owners=[np.array([0]), np.array([1])], Q=[np.array([[2.0]]), np.array([[2.0]])],
                    C=[np.zeros((1, 2)), np.zeros((1, 2))], c=[np.array([-2.0]), np.array([-1.0])],
                    lo=np.full(2, -10.0), hi=np.full(2, 10.0), rows=[LinearRow(np.array([1.0, 1.0]), 1.0, "<=")])
    return Instance("test", 0, data, exists=True, mode=mode)


def test_game_check_confirms_equilibria_and_rejects_the_rest():
    gne, ve = _two_players("gne"), _two_players("ve")
    assert check_game(ve, np.array([0.75, 0.25])) == (True, "")
    assert check_game(gne, np.array([0.5, 0.5])) == (True, "")
    assert check_game(gne, np.array([0.9, 0.1])) == (True, "")
    ok, why = check_game(ve, np.array([0.5, 0.5]))  # a generalized Nash equilibrium, not the variational one
    assert not ok and "VI gap" in why
    assert vi_gap(ve.data, np.array([0.5, 0.5])) == pytest.approx(9.5)  # F = (-1, 0): y = (10, -9) gives -10
    ok, why = check_game(gne, np.array([0.3, 0.25]))  # p1 gains (0.7^2 - 0.25^2) by moving to 0.75
    assert not ok and "p1 improves" in why
    assert best_response_gap(gne.data, np.array([0.3, 0.25]), 0)[0] == pytest.approx(0.49 - 0.0625)
    ok, why = check_game(gne, np.array([0.8, 0.3]))
    assert not ok and "rows[0] violated" in why


def test_cp_check_on_a_known_lcp():
    """M = [[2, 1], [1, 2]], q = (-3, 1): z = (1.5, 0), F = (0, 2.5)."""
    data = CPData(np.array([[2.0, 1.0], [1.0, 2.0]]), np.array([-3.0, 1.0]))
    assert check_cp(data, np.array([1.5, 0.0]))[0]
    assert not check_cp(data, np.array([1.5, 0.1]))[0]  # z2 F2 = 0.26
    assert not check_cp(data, np.array([1.0, 0.0]))[0]  # F1 = -1
    assert not check_cp(data, np.array([1.5, -0.01]))[0]


def test_lcp_existence_by_enumeration():
    assert lcp_has_solution(np.array([[1.0]]), np.array([-1.0])) is True  # z = 1
    assert lcp_has_solution(np.array([[-1.0]]), np.array([-1.0])) is False  # F = -z - 1 < 0 for every z >= 0


# ---------------------------------------------------------------------- the generators
@pytest.mark.parametrize("category", sorted(GENERATORS))
def test_generators_are_reproducible(category):
    first, again = GENERATORS[category](7), GENERATORS[category](7)
    assert first.data.describe() == again.data.describe()
    assert first.data.describe() != GENERATORS[category](8).data.describe()


@pytest.mark.parametrize("category", ["lcp-monotone", "ncp-known-solution", "ncp-nonmonotone"])
def test_known_solutions_solve_their_problems(category):
    for seed in range(10):
        instance = GENERATORS[category](seed)
        assert check_cp(instance.data, instance.known_solution) == (True, "")


def _jacobian(F, x, h=1e-6):
    return np.column_stack([(F(x + h * e) - F(x - h * e)) / (2 * h) for e in np.eye(len(x))])


def test_monotone_games_are_strongly_monotone():
    for seed in range(10):
        data = GENERATORS["monotone"](seed).data
        J = _jacobian(data.pseudo_gradient, np.zeros(data.n))
        assert np.linalg.eigvalsh(J + J.T).min() > 1e-3


def _joint_linprog(data):
    ub = [(r.a if r.kind == "<=" else -r.a, r.b if r.kind == "<=" else -r.b) for r in data.rows if r.kind != "=="]
    eq = [(r.a, r.b) for r in data.rows if r.kind == "=="]
    return linprog(np.zeros(data.n), A_ub=np.array([a for a, _ in ub]) if ub else None,
                   b_ub=[b for _, b in ub] if ub else None, A_eq=np.array([a for a, _ in eq]) if eq else None,
                   b_eq=[b for _, b in eq] if eq else None, bounds=np.c_[data.lo, data.hi], method="highs")


def test_infeasible_games_are_infeasible_and_the_others_feasible():
    for seed in range(9):
        assert _joint_linprog(GENERATORS["infeasible"](seed).data).status == 2
        assert _joint_linprog(GENERATORS["general-lq"](seed).data).status == 0


def test_unbounded_games_have_an_agent_without_a_best_response():
    """From any feasible point, some agent improves by more than 100 within the checker's wide box."""
    for seed in range(6):
        data = GENERATORS["unbounded"](seed).data
        x = _joint_linprog(data).x
        assert max(best_response_gap(data, x, i)[0] for i in range(len(data.owners))) > 100.0


# ---------------------------------------------------------------------- the property suite
@pytest.fixture(scope="module")
def results():
    return {category: run([category], n, seed=0) for category, n in SEEDS.items()}


def _failures(frame, mask):
    return "\n".join(f"{repro(r.category, r.seed)}  # {r.status}: {r.detail}" for r in frame[mask].itertuples())


@pytest.mark.parametrize("category", list(SEEDS))
def test_no_silent_wrong_answer(results, category):
    frame = results[category]
    wrong = frame["verdict"] == "WRONG"
    assert not wrong.any(), "claimed equilibria that the independent check rejects:\n" + _failures(frame, wrong)


@pytest.mark.parametrize("category", list(SEEDS))
def test_no_unexpected_exception(results, category):
    frame = results[category]
    crashed = frame["status"] == "EXCEPTION"
    assert not crashed.any(), "exceptions other than ModelError:\n" + _failures(frame, crashed)


@pytest.mark.parametrize("category", list(SEEDS))
def test_no_false_denial(results, category):
    """A status saying NOT AN EQUILIBRIUM is wrong when the returned point passes the independent check."""
    frame = results[category]
    denied = frame.apply(false_denial, axis=1)
    assert not denied.any(), "points denied that are equilibria:\n" + _failures(frame, denied)


@pytest.mark.parametrize("category", ["infeasible", "unbounded"])
def test_no_claim_without_an_equilibrium(results, category):
    frame = results[category]
    assert not frame["claimed"].any(), _failures(frame, frame["claimed"])


@pytest.mark.parametrize("category", sorted(TARGETS))
def test_solved_rate(results, category):
    """At least the issue's target share of instances (all of which have an equilibrium) solved and confirmed."""
    frame = results[category]
    solved = frame["verdict"] == "confirmed"
    assert solved.mean() >= TARGETS[category], "not solved:\n" + _failures(frame, ~solved)
