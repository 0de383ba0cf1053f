"""``sharedeq solve MODEL.py --emp FILE`` and ``sharedeq export``: empinfo text from a file, MCP files out."""

import json
from pathlib import Path

import pytest

from sharedeq.cli import main

CASES = Path(__file__).resolve().parents[1] / "cases"
RIVER = str(CASES / "river_basin.py")
EMP = str(CASES / "river_basin.emp.txt")


def test_emp_solve_gives_the_published_variational_equilibrium(tmp_path, capsys):
    out = tmp_path / "sol.json"
    assert main(["solve", RIVER, "--emp", EMP, "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("EQUILIBRIUM FOUND: river basin")
    data = json.loads(out.read_text())
    assert data["status"] == "equilibrium" and data["residual"] < 1e-8
    for i, x in {1: 21.1448, 2: 16.0279, 3: 2.7260}.items():
        assert data["variables"][f"x[{i}]"]["value"] == pytest.approx(x, abs=1e-4)
    assert data["multipliers"]["cons[1]"]["<="]["(shared)"]["value"] == pytest.approx(0.5744, abs=1e-4)
    assert data["multipliers"]["cons[2]"]["<="]["(shared)"]["value"] == pytest.approx(0.0, abs=1e-4)
    assert set(data["agents"]) == {"1", "2", "3"}
    # the mode the annotation declared (VIsol), not null; Rosen weights 1 as none were given
    assert data["mode"] == "ve" and data["weights"] == {"1": 1.0, "2": 1.0, "3": 1.0}
    assert "(mode ve (as declared)" in text


def test_emp_gne_mode_gives_each_agent_its_multipliers(tmp_path, capsys):
    out = tmp_path / "gne.json"
    assert main(["solve", RIVER, "--emp", EMP, "--mode", "gne", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["mode"] == "gne" and data["weights"] is None
    assert set(data["multipliers"]["cons[1]"]["<="]) == {"1", "2", "3"}


def test_emp_with_build_problem_only(tmp_path, capsys):
    module = tmp_path / "game.py"
    module.write_text(
        "import pyomo.environ as pyo\nimport sharedeq as sq\n\n"
        "def build_problem():\n"
        "    m = pyo.ConcreteModel()\n"
        "    m.x = pyo.Var([1, 2], initialize=0.0)\n"
        "    m.f = pyo.Objective([1, 2], rule=lambda m, i: (m.x[i] - (1.0 if i == 1 else 0.5)) ** 2)\n"
        "    m.share = pyo.Constraint(expr=m.x[1] + m.x[2] <= 1)\n"
        "    return sq.EquilibriumProblem(m)\n")
    emp = tmp_path / "game.emp.txt"
    emp.write_text("equilibrium\nVIsol share\nmin f(1) x(1) share\nmin f(2) x(2) share\n")
    out = tmp_path / "sol.json"
    assert main(["solve", str(module), "--emp", str(emp), "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["variables"]["x[1]"]["value"] == pytest.approx(0.75, abs=1e-6)
    assert data["multipliers"]["share"]["<="]["(shared)"]["value"] == pytest.approx(0.5, abs=1e-6)


@pytest.mark.parametrize("emp", [[], ["--emp", EMP]], ids=["build_problem", "emp"])
def test_export_writes_gams_and_nl(tmp_path, capsys, emp):
    gms, nl = tmp_path / "river.gms", tmp_path / "river.nl"
    assert main(["export", RIVER, *emp, "--mode", "ve", "--gams", str(gms), "--nl", str(nl)]) == 0
    assert f"wrote {gms}" in capsys.readouterr().out
    text = gms.read_text()
    assert text.rstrip().endswith("Solve sharedeq_mcp using mcp;") and "F_cons_1_m.cons_1_m" in text
    assert nl.read_text().startswith("g3 ")


def test_export_needs_an_output(capsys):
    assert main(["export", RIVER]) == 2
    assert "--gams FILE or --nl FILE" in capsys.readouterr().err


def test_bad_annotation_exits_2_with_line_and_column(tmp_path, capsys):
    bad = tmp_path / "bad.emp.txt"
    bad.write_text("equilibrium\nVIsol cons\nmin cost('1') y('1') cons\n")
    assert main(["solve", RIVER, "--emp", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sharedeq: error: empinfo line 3, col 15:") and "'y'" in err
    bad.write_text("equilibrium\nbilevel x\n")
    assert main(["export", RIVER, "--emp", str(bad), "--gams", str(tmp_path / "x.gms")]) == 2
    assert "empinfo line 2, col 1" in capsys.readouterr().err
    assert not (tmp_path / "x.gms").exists()
    assert main(["solve", RIVER, "--emp", str(tmp_path / "missing.txt")]) == 2
    assert "no such empinfo file" in capsys.readouterr().err


def test_module_without_builders_is_an_error(tmp_path, capsys):
    module = tmp_path / "empty.py"
    module.write_text("x = 1\n")
    assert main(["solve", str(module), "--emp", EMP]) == 2
    assert "defines neither build_model() nor build_problem()" in capsys.readouterr().err
