"""Scenario sweeps (sharedeq.sweep): numbers against closed forms, serially and on a real 2-worker LocalCluster.

The game: two players share a capacity C, x1 + x2 <= C, x >= 0, and minimise (x1 - 1)^2 and (x2 - 1/2)^2.
Variational equilibrium (one price lam): x_i = target_i - lam / 2 with x1 + x2 = C while C < 3/2, so
lam = 3/2 - C, x1 = (C + 1/2) / 2, x2 = (C - 1/2) / 2 (for 1/2 <= C <= 3/2); for C >= 3/2, lam = 0 and
x = (1, 1/2). Generalized Nash: for C < 3/2 every x with x1 + x2 = C, x1 <= 1, x2 <= 1/2 is an equilibrium,
priced by each player's own multiplier lam_1 = 2 (1 - x1), lam_2 = 2 (1/2 - x2) (x2 > 0). For C < 0 no point
is feasible.
"""

import math
import textwrap

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest

import sharedeq as sq
from sharedeq.cli import main
from sharedeq.sweep import grid_points, parse_grid

EQUILIBRIUM = "EQUILIBRIUM FOUND"


def build_shared_resource(C=1.0, mode="ve"):
    """The two-player game with capacity C (a None capacity raises, to test a point whose build fails)."""
    if C is None:
        raise ValueError("the capacity C must be a number")
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], domain=pyo.NonNegativeReals, initialize=0.0)
    m.share = pyo.Constraint(expr=m.x[1] + m.x[2] <= C)
    game = sq.EquilibriumProblem(m, name="shared resource")
    game.add_agent("p1", objective=(m.x[1] - 1) ** 2, variables=m.x[1])
    game.add_agent("p2", objective=(m.x[2] - 0.5) ** 2, variables=m.x[2])
    game.add_shared(m.share)
    return game


def ve_closed_form(C):
    lam = max(0.0, 1.5 - C)
    return 1 - lam / 2, 0.5 - lam / 2, lam


def check_ve(table):
    """Every VE row is the closed form: outputs, price, payoffs, status, residual."""
    for _, row in table.iterrows():
        x1, x2, lam = ve_closed_form(row["C"])
        assert row["status"] == EQUILIBRIUM and row["converged"] and row["error"] == ""
        assert row["residual"] <= 1e-8
        assert row["x[1]"] == pytest.approx(x1, abs=1e-7)
        assert row["x[2]"] == pytest.approx(x2, abs=1e-7)
        assert row["share.m"] == pytest.approx(lam, abs=1e-7)
        assert row["objective[p1]"] == pytest.approx((x1 - 1) ** 2, abs=1e-7)
        assert row["objective[p2]"] == pytest.approx((x2 - 0.5) ** 2, abs=1e-7)


def check_gne(table):
    """Every GNE row is on the equilibrium set, each player's KKT conditions with its own multiplier."""
    for _, row in table.iterrows():
        C, x1, x2 = row["C"], row["x[1]"], row["x[2]"]
        lam1, lam2 = row["share.m[p1]"], row["share.m[p2]"]
        assert row["status"] == EQUILIBRIUM and row["converged"]
        assert x1 >= -1e-9 and x2 >= -1e-9 and x1 + x2 <= C + 1e-8
        assert lam1 >= -1e-9 and lam2 >= -1e-9
        assert lam1 * (C - x1 - x2) == pytest.approx(0, abs=1e-7)
        assert lam2 * (C - x1 - x2) == pytest.approx(0, abs=1e-7)
        assert 2 * (x1 - 1) + lam1 == pytest.approx(0, abs=1e-7)       # x1 > 0 at every point tested
        if x2 > 1e-7:
            assert 2 * (x2 - 0.5) + lam2 == pytest.approx(0, abs=1e-7)
        else:
            assert 2 * (x2 - 0.5) + lam2 >= -1e-7                      # at its bound: marginal >= 0
        if C < 1.5:
            assert x1 + x2 == pytest.approx(C, abs=1e-8) and x1 <= 1 + 1e-8 and x2 <= 0.5 + 1e-8


CAPACITIES = [0.5, 0.75, 1.0, 1.25, 1.5, 2.0]


def test_serial_sweep_matches_the_closed_form_in_both_modes():
    table = sq.sweep(build_shared_resource, {"C": CAPACITIES}, mode=["ve", "gne"], client="serial")
    assert list(table["mode"]) == ["ve"] * 6 + ["gne"] * 6
    assert list(table["C"]) == CAPACITIES * 2
    assert list(table.columns[:4]) == ["C", "mode", "status", "converged"]
    check_ve(table[table["mode"] == "ve"])
    check_gne(table[table["mode"] == "gne"])
    # warm start: every point after the first of the chunk starts from its neighbour's solution
    assert list(table["warm_started"]) == [False] + [True] * 5 + [False] + [True] * 5
    assert (table["iterations"] >= 0).all() and (table["seconds"] > 0).all()


def test_warm_start_saves_iterations_and_changes_no_answer():
    grid = {"C": np.linspace(0.5, 2.0, 16)}
    warm = sq.sweep(build_shared_resource, grid, client="serial")
    cold = sq.sweep(build_shared_resource, grid, client="serial", warm_start=False)
    check_ve(warm)
    check_ve(cold)
    assert not cold["warm_started"].any()
    assert warm["iterations"].sum() < cold["iterations"].sum()


def test_failed_points_are_kept_with_their_status_and_error():
    points = [{"C": 1.0}, {"C": -1.0}, {"C": None}, {"C": 1.25}]
    table = sq.sweep(build_shared_resource, points, client="serial")
    assert len(table) == 4
    infeasible, raised = table.iloc[1], table.iloc[2]
    assert infeasible["status"] == "NOT CONVERGED" and not infeasible["converged"]
    assert "cannot hold together" in infeasible["error"]
    assert math.isnan(infeasible["x[1]"]) and math.isnan(infeasible["share.m"])
    assert raised["status"] == "ERROR" and not raised["converged"]
    assert raised["error"] == "ValueError: the capacity C must be a number"
    assert pd.isna(raised["iterations"])
    check_ve(table.iloc[[0, 3]])          # the point after the failures starts from the last converged one
    assert table.iloc[3]["warm_started"]


def test_local_cluster_of_two_workers_gives_the_serial_numbers():
    grid = {"C": [-1.0, *CAPACITIES]}
    table = sq.sweep(build_shared_resource, grid, mode=["ve", "gne"], workers=2, chunks=2)
    assert len(table) == 14 and list(table["C"]) == grid["C"] * 2
    failed = table[table["C"] < 0]
    assert list(failed["status"]) == ["NOT CONVERGED"] * 2 and failed["error"].str.contains("share").all()
    check_ve(table[(table["mode"] == "ve") & (table["C"] > 0)])
    check_gne(table[(table["mode"] == "gne") & (table["C"] > 0)])
    serial = sq.sweep(build_shared_resource, grid, mode="ve", client="serial", chunks=2)
    columns = ["x[1]", "x[2]", "share.m", "objective[p1]", "objective[p2]"]
    ve = table[table["mode"] == "ve"].reset_index(drop=True)
    pd.testing.assert_frame_equal(ve[columns], serial[columns], atol=1e-9)
    assert list(ve["warm_started"]) == list(serial["warm_started"]) == [False, False, True, True, False, True, True]


def test_grid_forms():
    product = grid_points({"a": [1, 2], "b": np.array([0.5, 1.5])})
    assert product == [{"a": 1, "b": 0.5}, {"a": 1, "b": 1.5}, {"a": 2, "b": 0.5}, {"a": 2, "b": 1.5}]
    assert type(product[0]["b"]) is float
    assert grid_points(pd.DataFrame(product)) == product
    assert grid_points(product) == product
    assert grid_points({"C": 1.0, "label": "low"}) == [{"C": 1.0, "label": "low"}]


@pytest.mark.parametrize("call, message", [
    (lambda: sq.sweep(build_shared_resource, {"K": [1, 2]}), "grid parameter 'K': build_shared_resource() has no "
                                                             "parameter 'K'; it accepts C, mode"),
    (lambda: sq.sweep(build_shared_resource, {"C": []}), "grid parameter 'C' has no values"),
    (lambda: sq.sweep(build_shared_resource, {}), "the grid is empty"),
    (lambda: sq.sweep(build_shared_resource, [1.0, 2.0]), "grid point 0 is a float"),
    (lambda: sq.sweep(build_shared_resource, {"C": [1]}, mode="nash"), "unknown mode 'nash'"),
    (lambda: sq.sweep(build_shared_resource, {"mode": ["ve"]}), "give the modes as sweep(mode=[...])"),
    (lambda: sq.sweep("model.py", {"C": [1]}), "sweep() takes a function build_problem"),
    (lambda: sq.sweep(build_shared_resource, {"C": [1]}, client=3), "client must be None, 'serial'"),
    (lambda: sq.sweep(build_shared_resource, {"C": [1]}, workers=0), "workers must be a positive whole number"),
])
def test_bad_input_is_a_model_error(call, message):
    with pytest.raises(sq.ModelError) as err:
        call()
    assert message in str(err.value)


MODEL_FILE = '''
import pyomo.environ as pyo
import sharedeq as sq


def build_problem(C=1.0, scale=1.0):
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], domain=pyo.NonNegativeReals, initialize=0.0)
    m.share = pyo.Constraint(expr=m.x[1] + m.x[2] <= C)
    game = sq.EquilibriumProblem(m, name="shared resource")
    game.add_agent("p1", objective=scale * (m.x[1] - 1) ** 2, variables=m.x[1])
    game.add_agent("p2", objective=scale * (m.x[2] - 0.5) ** 2, variables=m.x[2])
    game.add_shared(m.share)
    return game
'''


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "resource_model.py"     # a folder that Dask workers cannot import from
    path.write_text(textwrap.dedent(MODEL_FILE))
    return path


def test_parse_grid():
    assert parse_grid(["K=50:150:3", "N=1,2,5", "name=a,'b c'"]) == \
        {"K": [50.0, 100.0, 150.0], "N": [1, 2, 5], "name": ["a", "b c"]}
    for bad, message in (["K"], "expects NAME=start:stop:count"), (["K=1:2"], "two numbers and a whole count"), \
            (["K=1:2:0"], "a whole count of at least 1"), (["K=1,2", "K=3"], "gives 'K' twice"):
        with pytest.raises(sq.ModelError, match=message):
            parse_grid(bad)


def test_cli_serial_sweep_writes_the_csv(model_file, tmp_path, capsys):
    out = tmp_path / "new folder" / "sweep.csv"
    code = main(["sweep", str(model_file), "--grid", "C=0.5:1.5:3", "--arg", "scale=2", "--mode", "ve,gne",
                 "--workers", "1", "--csv", str(out)])
    assert code == 0
    table = pd.read_csv(out)
    assert table["error"].isna().all()          # no error text: empty fields
    table["error"] = ""
    assert list(table["C"]) == [0.5, 1.0, 1.5] * 2
    check_ve(table[table["mode"] == "ve"].assign(**{"objective[p1]": lambda t: t["objective[p1]"] / 2,
                                                     "objective[p2]": lambda t: t["objective[p2]"] / 2,
                                                     "share.m": lambda t: t["share.m"] / 2}))
    check_gne(table[table["mode"] == "gne"].assign(**{"share.m[p1]": lambda t: t["share.m[p1]"] / 2,
                                                       "share.m[p2]": lambda t: t["share.m[p2]"] / 2}))
    printed = capsys.readouterr().out
    assert "6 solves (3 points x 2 modes)" in printed and "6 EQUILIBRIUM FOUND" in printed


def test_cli_on_a_scheduler_address_reports_a_failed_point(model_file, capsys):
    """The model file goes to the workers by value: they cannot import it from its temporary folder."""
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        code = main(["sweep", str(model_file), "--grid", "C=-1,1", "--scheduler", cluster.scheduler_address])
    printed = capsys.readouterr().out
    assert code == 1
    assert "s on tcp://" in printed and "1 EQUILIBRIUM FOUND, 1 NOT CONVERGED" in printed
    assert "failed: C=-1 (ve): NOT CONVERGED" in printed and "cannot hold together" in printed


@pytest.mark.parametrize("argv, message", [
    (["--grid", "K=1,2"], "grid parameter 'K': build_problem() has no parameter 'K'; it accepts C, scale"),
    (["--grid", "C=1", "--mode", "nash"], "--mode expects ve, gne or ve,gne"),
    (["--grid", "C=1", "--arg", "C=2"], "'C' is given by both --grid and --arg"),
    (["--grid", "C=1", "--workers", "0"], "--workers must be at least 1"),
])
def test_cli_bad_input_exits_2_with_a_message(model_file, capsys, argv, message):
    assert main(["sweep", str(model_file), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_speedup_benchmark_serial_rows_run_the_river_basin():
    """benchmarks/sweep_speedup.py without clusters: its builder at scale 1 is the published river-basin VE."""
    from benchmarks.sweep_speedup import build_river, measure

    table = measure(points=3, firms=3, workers=[], mode="ve", repeats=1)
    assert list(table["run"]) == ["serial, warm start", "serial, cold start"]
    assert (table["converged"] == 3).all()
    row = sq.sweep(build_river, {"scale": [1.0]}, client="serial").iloc[0]
    assert [row["x[1]"], row["x[2]"], row["x[3]"]] == pytest.approx([21.1448, 16.0279, 2.7260], abs=1e-4)
    assert row["cons[1].m"] == pytest.approx(0.5744, abs=1e-4)
