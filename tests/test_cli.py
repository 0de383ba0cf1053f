"""The ``sharedeq`` command: solve a case file, print the summary, write JSON keyed by the user's names."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sharedeq.cli import main

RIVER = str(Path(__file__).resolve().parents[1] / "cases" / "river_basin.py")


def test_solve_ve_prints_summary_and_writes_json(tmp_path, capsys):
    out = tmp_path / "sol.json"
    assert main(["solve", RIVER, "--mode", "ve", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("EQUILIBRIUM FOUND: river basin (mode ve")
    data = json.loads(out.read_text())
    assert data["status"] == "converged" and data["residual"] < 1e-8
    assert data["variables"]["x[1]"] == pytest.approx(21.1448, abs=1e-4)
    assert data["multipliers"]["(shared)"]["cons[1]"] == pytest.approx(0.5744, abs=1e-4)
    assert set(data["objectives"]) == {"1", "2", "3"}


def test_solve_gne_reports_one_multiplier_per_agent(tmp_path, capsys):
    out = tmp_path / "gne.json"
    assert main(["solve", RIVER, "--mode", "gne", "--json", str(out), "--check"]) == 0
    assert "Best-response check" in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert set(data["multipliers"]) == {"1", "2", "3"}
    assert set(data["multipliers"]["2"]) == {"cons[1]", "cons[2]"}


def test_weights_and_errors(capsys):
    assert main(["solve", RIVER, "--mode", "ve", "--weights", "1,2,3"]) == 0
    assert main(["solve", RIVER, "--mode", "ve", "--weights", "1,2"]) == 2
    assert "got 2 numbers for 3 agents" in capsys.readouterr().err
    assert main(["solve", "no/such/file.py"]) == 2


def test_console_script_runs_as_a_module():
    result = subprocess.run([sys.executable, "-m", "sharedeq", "mcp", RIVER, "--mode", "gne"],
                            capture_output=True, text=True, check=True)
    assert "cons[1].m[3]" in result.stdout
