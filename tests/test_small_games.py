"""Facchinei-Fischer-Piccialli and Harker against their known answers (published values)."""

import numpy as np
import pytest

import sharedeq as sq
from cases.small_games import ffp, harker


def _point(sol, problem):
    return np.array([sol.z[k] for k, v in enumerate(sol.mcp.pyomo_vars) if v is not None])


def test_ffp_variational_equilibrium():
    problem = ffp("ve")
    sol = problem.solve(mode="ve")
    assert sol.converged
    np.testing.assert_allclose(_point(sol, problem), [0.75, 0.25], atol=1e-9)
    assert sol.multiplier(problem.model.share) == pytest.approx(0.5, abs=1e-9)


def test_ffp_generalized_nash_point_lies_on_the_known_segment():
    problem = ffp("gne")
    sol = problem.solve(mode="gne")
    assert sol.converged
    x1, x2 = _point(sol, problem)
    assert 0.5 - 1e-9 <= x1 <= 1 + 1e-9
    assert x1 + x2 == pytest.approx(1.0, abs=1e-9)
    assert (sq.kkt_check(problem, sol).max() < 1e-8).all()
    assert (sq.best_response_check(problem, sol)["gain"].abs() < 1e-8).all()


@pytest.mark.parametrize("r", [(1.0, 3.0), (2.0, 0.5)])
def test_ffp_rosen_weights_closed_form(r):
    lam = 1.0 / (1.0 / r[0] + 1.0 / r[1])
    problem = ffp("ve")
    sol = problem.solve(mode="ve", weights=r)
    np.testing.assert_allclose(_point(sol, problem), [1 - lam / (2 * r[0]), 0.5 - lam / (2 * r[1])], atol=1e-9)
    assert sol.multiplier(problem.model.share) == pytest.approx(lam, abs=1e-9)


def test_harker_variational_equilibrium():
    problem = harker("ve")
    sol = problem.solve(mode="ve")
    assert sol.converged
    np.testing.assert_allclose(_point(sol, problem), [5.0, 9.0], atol=1e-8)
    assert sol.multiplier(problem.model.cap) == pytest.approx(0.0, abs=1e-8)
    assert (sq.best_response_check(problem, sol)["gain"].abs() < 1e-8).all()


def test_harker_generalized_nash_point_is_an_equilibrium():
    problem = harker("gne")
    sol = problem.solve(mode="gne")
    assert sol.converged
    assert (sq.kkt_check(problem, sol).max() < 1e-8).all()
    assert (sq.best_response_check(problem, sol)["gain"].abs() < 1e-8).all()
