"""GAMS EMP / GNEP test-set replicas against references computed independently (tests/reference_solutions.py:
hand-written KKT systems solved without sharedeq) and published numbers (docs/reference-numbers.md)."""

import numpy as np
import pytest

import sharedeq as sq
from cases import cournot_shared_cap, electricity_contreras, emp_nash_cournot, internet_switching, scarfmcp, sharedc
from tests import reference_solutions as ref


def _values(sol, var):
    return np.array([sol.value(v) for v in var.values()])


@pytest.mark.parametrize("P", [75.0, 100.0, 150.0, 200.0])
def test_cournot_shared_cap_ve_matches_independent_reference(P):
    problem = cournot_shared_cap.build_problem(P=P)
    sol = problem.solve(mode="ve")
    assert sol.converged, sol.message
    expected = ref.cournot_shared_cap_reference(P)
    np.testing.assert_allclose(_values(sol, problem.model.x), expected["x"], atol=1e-6)
    assert sol.multiplier(problem.model.cap) == pytest.approx(expected["lam"], abs=1e-6)
    published = np.array(cournot_shared_cap.PUBLISHED[P]) if P in cournot_shared_cap.PUBLISHED else None
    if published is not None and published.shape == (5,):
        np.testing.assert_allclose(_values(sol, problem.model.x), published, atol=2e-4)


@pytest.mark.parametrize("P", [75.0, 150.0])
def test_cournot_shared_cap_gne_point_is_in_the_gne_set(P):
    problem = cournot_shared_cap.build_problem(P=P)
    sol = problem.solve(mode="gne")
    assert sol.converged, sol.message
    assert ref.cournot_shared_cap_is_gne(_values(sol, problem.model.x), P)
    assert (sq.kkt_check(problem, sol).max() < 1e-7).all()


@pytest.mark.parametrize("variant", ["A.14", "A.1"])
@pytest.mark.parametrize("mode", ["ve", "gne"])
def test_internet_switching(variant, mode):
    problem = internet_switching.build_problem(variant=variant)
    sol = problem.solve(mode=mode)
    assert sol.converged, sol.message
    np.testing.assert_allclose(_values(sol, problem.model.x), internet_switching.REFERENCE[variant]["x"], atol=1e-7)


def test_electricity_contreras():
    problem = electricity_contreras.build_problem()
    sol = problem.solve()
    assert sol.converged
    np.testing.assert_allclose(_values(sol, problem.model.x), ref.electricity_contreras_reference()["x"], atol=1e-6)
    assert (sq.best_response_check(problem, sol)["gain"] < 1e-6).all()


@pytest.mark.parametrize("formulation", ["agents", "mcp"])
def test_ten_firm_cournot_nash(formulation):
    problem = emp_nash_cournot.build_problem(formulation=formulation, start=1)
    sol = problem.solve()
    assert sol.converged
    np.testing.assert_allclose(_values(sol, problem.model.q), ref.emp_nash_cournot_reference()["q"], atol=1e-7)


@pytest.mark.parametrize("visol", [True, False])
def test_sharedc_harker_and_coal(visol):
    problem = sharedc.build_problem(instance="harker", visol=visol)
    sol = problem.solve()
    assert sol.converged
    x = _values(sol, problem.model.x)
    assert ref.harker_is_gne(x)
    if visol:
        np.testing.assert_allclose(x, [5.0, 9.0], atol=1e-7)
    coal = sharedc.build_problem(instance="coal", visol=visol)
    sol = coal.solve()
    assert sol.converged
    x = np.array([sol.value(coal.model.x[k]) for k in sharedc.REFERENCE["coal"]["x"]])
    if visol:
        np.testing.assert_allclose(x, list(sharedc.REFERENCE["coal"]["x"].values()), rtol=1e-7, atol=1e-4)
        assert sol.multiplier(coal.model.defh) == pytest.approx(sharedc.REFERENCE["coal"]["lam"], rel=1e-6)
    assert (sq.kkt_check(coal, sol).max() < 1e-6).all()


@pytest.mark.parametrize("formulation", ["mcp", "mopec"])
def test_scarfmcp(formulation):
    problem = scarfmcp.build_problem(formulation=formulation)
    sol = problem.solve()
    assert sol.converged
    m = problem.model
    for good, price in scarfmcp.REFERENCE["p"].items():
        assert sol.value(m.p[good]) == pytest.approx(price, abs=1e-7)
    for sector, level in scarfmcp.REFERENCE["y"].items():
        assert sol.value(m.y[sector]) == pytest.approx(level, abs=1e-7)
