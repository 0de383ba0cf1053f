"""Rosen-weight sweeps and the sampler of normalised equilibria, against closed forms.

Two-player game of the README (Facchinei, Fischer and Piccialli): f1 = (x1 - 1)^2, f2 = (x2 - 1/2)^2, shared
x1 + x2 <= 1. With Rosen weights r, agent i's multiplier is lam_i = lam / r_i; stationarity 2 (x1 - 1) + lam_1 = 0,
2 (x2 - 1/2) + lam_2 = 0 and the active constraint x1 + x2 = 1 give lam_1 + lam_2 = 1. So with agent 1's share
s = lam_1 / (lam_1 + lam_2) = (1/r1) / (1/r1 + 1/r2) of the price, the normalised equilibrium is

    x1 = 1 - s/2,  x2 = s/2,  lam_1 = s,  lam_2 = 1 - s,

which runs over the open segment of GNEs x1 in (1/2, 1), x2 = 1 - x1 (s = 1/2: the VE (0.75, 0.25)).
"""

import numpy as np
import pyomo.environ as pyo
import pytest

import sharedeq as sq
from cases.river_basin import D1, D2, FIRMS, STATIONS, VE_OUTPUT, C, E, K, U
from cases.river_basin import build_problem as river
from cases.small_games import ffp
from sharedeq.gneset import rosen_sweep, sample_gne


def closed_form(s):
    return {"p1.x": 1 - s / 2, "p2.x": s / 2, "share.m[p1]": s, "share.m[p2]": 1 - s,
            "payoff[p1]": -(s / 2) ** 2, "payoff[p2]": -((1 - s) / 2) ** 2}


def test_rosen_sweep_hits_the_closed_form_normalised_equilibria():
    table = rosen_sweep(ffp(), points=11)
    assert len(table) == 11 and set(table["path"]) == {"p1"}        # two agents: one path covers every weighting
    np.testing.assert_allclose(table["share"], np.arange(1, 12) / 12)
    assert (table["status"] == "equilibrium").all()
    for _, row in table.iterrows():
        expected = closed_form(row["share"])
        np.testing.assert_allclose([row[k] for k in expected], list(expected.values()), atol=1e-9)
    middle = table[np.isclose(table["share"], 0.5)].iloc[0]
    assert middle["p1.x"] == pytest.approx(0.75, abs=1e-9) and middle["p2.x"] == pytest.approx(0.25, abs=1e-9)


def test_samples_lie_on_the_gne_set_and_spread_over_it():
    problem = ffp()
    table = sample_gne(problem, samples=50, seed=0)
    assert len(table) == 50 and (table["status"] == "equilibrium").all()
    x1, x2 = table["p1.x"].to_numpy(), table["p2.x"].to_numpy()
    np.testing.assert_allclose(x1 + x2, 1.0, atol=1e-9)               # on the set: the constraint binds ...
    assert ((x1 > 0.5 - 1e-9) & (x1 < 1 + 1e-9)).all()                # ... with x1 in [1/2, 1]
    shares = np.array([s[0] for s in table["shares"]])
    np.testing.assert_allclose(x1, 1 - shares / 2, atol=1e-9)         # each sample is its weighting's equilibrium
    np.testing.assert_allclose(table["share.m[p1]"], shares, atol=1e-9)
    assert x1.min() < 0.55 and x1.max() > 0.95                        # spread over the whole segment
    counts, _ = np.histogram(x1, bins=5, range=(0.5, 1.0))            # and into every fifth of it
    assert counts.min() >= 3
    again = sample_gne(problem, samples=50, seed=0)
    np.testing.assert_allclose(again["p1.x"], table["p1.x"])          # seeded: the same draw


def river_kkt_violation(row) -> float:
    """Largest violation of the river firms' KKT conditions, each with its own multipliers (numpy only)."""
    x = np.array([row[f"x[{i}]"] for i in FIRMS])
    lam = np.array([[row[f"cons[{m}].m[{i}]"] for m in STATIONS] for i in FIRMS])
    u = np.array([[U[i, m] for m in STATIONS] for i in FIRMS])
    e = np.array([E[i] for i in FIRMS])
    c1, c2 = np.array([C[1, i] for i in FIRMS]), np.array([C[2, i] for i in FIRMS])
    grad = c1 + 2 * c2 * x - D1 + D2 * x.sum() + D2 * x + (lam * u).sum(axis=1) * e
    slack = np.array([K[m] for m in STATIONS]) - (u * e[:, None] * x[:, None]).sum(axis=0)
    return max(np.abs(np.minimum(x, grad)).max(), np.abs(np.minimum(slack[:, None], lam.T)).max(), -lam.min(),
               -x.min(), -slack.min())


def test_river_sweep_passes_through_the_published_ve_and_every_row_is_a_gne():
    table = rosen_sweep(river(), points=5, agents=["2"])             # shares 1/6 .. 5/6; 2/6 is the VE
    assert len(table) == 5 and (table["status"] == "equilibrium").all()
    ve = table[np.isclose(table["share"], 1 / 3)].iloc[0]
    for i, x in VE_OUTPUT.items():
        assert ve[f"x[{i}]"] == pytest.approx(x, abs=1e-4)
    for _, row in table.iterrows():
        assert river_kkt_violation(row) < 1e-8
        prices = np.array([row[f"cons[1].m[{a}]"] for a in "123"])
        shares = np.array([(1 - row["share"]) / 2, row["share"], (1 - row["share"]) / 2])
        np.testing.assert_allclose(prices, prices.sum() * shares, rtol=1e-9)   # lam_i = lam s_i


def test_failed_rows_are_kept_with_their_status():
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], bounds=(1, None), initialize=1.0)
    m.share = pyo.Constraint(expr=m.x[1] + m.x[2] <= 1)             # cannot hold with x >= 1
    problem = sq.EquilibriumProblem(m, name="infeasible")
    problem.add_agent("p1", (m.x[1] - 1) ** 2, m.x[1])
    problem.add_agent("p2", (m.x[2] - 1) ** 2, m.x[2])
    problem.add_shared(m.share)
    table = sample_gne(problem, samples=3, seed=1)
    assert len(table) == 3 and (table["status"] == "not converged").all()
    assert table["x[1]"].isna().all() and (table["residual"] > 1e-8).all()


def test_model_values_are_restored():
    problem = ffp()
    problem.model.p1.x.set_value(0.3)
    sample_gne(problem, samples=2)
    assert problem.model.p1.x.value == 0.3


def test_bad_input_is_refused_in_the_users_terms():
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2])
    plain = sq.EquilibriumProblem(m, name="no sharing")
    plain.add_agent("p1", (m.x[1] - 1) ** 2, m.x[1])
    plain.add_agent("p2", (m.x[2] - 1) ** 2, m.x[2])
    with pytest.raises(sq.ModelError, match="no shared constraints"):
        sample_gne(plain)
    with pytest.raises(sq.ModelError, match="positive whole number"):
        rosen_sweep(ffp(), points=0)
    with pytest.raises(sq.ModelError, match="weights"):
        sample_gne(ffp(), samples=2, weights=[1, 2])
    with pytest.raises(sq.ModelError, match="no agent named 'p3'"):
        rosen_sweep(ffp(), agents=["p3"])


def test_payoff_is_the_objective_of_a_maximising_agent_and_minus_that_of_a_minimising_one():
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], initialize=0.0)
    m.share = pyo.Constraint(expr=m.x[1] + m.x[2] <= 1)
    problem = sq.EquilibriumProblem(m, name="FFP, player 1 maximising")
    problem.add_agent("p1", -((m.x[1] - 1) ** 2), m.x[1], sense="max")
    problem.add_agent("p2", (m.x[2] - 0.5) ** 2, m.x[2])
    problem.add_shared(m.share)
    table = rosen_sweep(problem, points=3)
    for _, row in table.iterrows():
        expected = closed_form(row["share"])
        assert row["payoff[p1]"] == pytest.approx(expected["payoff[p1]"], abs=1e-9)
        assert row["payoff[p2]"] == pytest.approx(expected["payoff[p2]"], abs=1e-9)
        assert row["x[1]"] == pytest.approx(expected["p1.x"], abs=1e-9)
