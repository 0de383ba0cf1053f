"""Solver routes: casadi's bundled Ipopt (default) and an ipopt executable through Pyomo's SolverFactory."""

import pytest

import sharedeq as sq
from cases.small_games import ffp
from sharedeq.backends.pyomo_ipopt import ipopt_executable_available


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(sq.ModelError, match="unknown backend 'path'"):
        ffp().solve(backend="path")


@pytest.mark.skipif(ipopt_executable_available(), reason="an ipopt executable exists here")
def test_pyomo_backend_without_executable_says_what_to_do():
    with pytest.raises(sq.SolverUnavailable, match="needs an 'ipopt' executable on PATH"):
        ffp().solve(backend="pyomo")


@pytest.mark.skipif(not ipopt_executable_available(),
                    reason="no ipopt executable on this machine (pip wheels ship none for Linux)")
def test_pyomo_backend_solves_with_an_ipopt_executable():
    sol = ffp().solve(mode="ve", backend="pyomo")
    assert sol.converged and sol.residual < 1e-8


def test_ipopt_options_pass_through():
    sol = ffp().solve(mode="ve", options={"max_iter": 0}, method="relaxation")
    relaxations = sol.steps[sol.steps["step"].str.startswith("relax")]
    assert len(relaxations) and (relaxations["ipopt_status"] == "Maximum_Iterations_Exceeded").all()
    assert (relaxations["iterations"] == 0).all()
