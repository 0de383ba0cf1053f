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
    assert data["status"] == "equilibrium" and data["residual"] < 1e-8 and data["mode"] == "ve"
    assert data["variables"]["x[1]"]["value"] == pytest.approx(21.1448, abs=1e-4)
    assert data["multipliers"]["cons[1]"]["<="]["(shared)"]["value"] == pytest.approx(0.5744, abs=1e-4)
    assert set(data["agents"]) == {"1", "2", "3"}


def test_solve_gne_reports_one_multiplier_per_agent(tmp_path, capsys):
    out = tmp_path / "gne.json"
    assert main(["solve", RIVER, "--mode", "gne", "--json", str(out), "--check"]) == 0
    assert "Best-response check" in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert set(data["multipliers"]) == {"cons[1]", "cons[2]"}
    assert set(data["multipliers"]["cons[1]"]["<="]) == {"1", "2", "3"}
    for agent in ("1", "2", "3"):               # --check results: KKT re-derived and best responses, all ~0
        assert data["checks"]["kkt"][agent]["stationarity"] < 1e-6
        assert abs(data["checks"]["best_response"][agent]["gain"]) < 1e-6


def test_weights_and_errors(capsys):
    assert main(["solve", RIVER, "--mode", "ve", "--weights", "1,2,3"]) == 0
    assert main(["solve", RIVER, "--mode", "ve", "--weights", "1,2"]) == 2
    assert "got 2 numbers for 3 agents" in capsys.readouterr().err
    assert main(["solve", "no/such/file.py"]) == 2


def test_console_script_runs_as_a_module():
    result = subprocess.run([sys.executable, "-m", "sharedeq", "mcp", RIVER, "--mode", "gne"],
                            capture_output=True, text=True, check=True)
    assert "cons[1].m[3]" in result.stdout


# ---------------------------------------------------------------------- bad model files and arguments
GAME = """import pyomo.environ as pyo
import sharedeq as sq


def build_problem(target=1.0):
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2])
    m.share = pyo.Constraint(expr=m.x[1] + m.x[2] <= 1)
    p = sq.EquilibriumProblem(m, name="ffp")
    p.add_agent("p1", objective=(m.x[1] - target) ** 2, variables=m.x[1])
    p.add_agent("p2", objective=(m.x[2] - 0.5) ** 2, variables=m.x[2])
    p.add_shared(m.share)
    return p
"""


def _error(argv, capsys) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.err.startswith("sharedeq: error: ")
    return captured.err


def test_build_problem_that_returns_nothing(tmp_path, capsys):
    model = tmp_path / "forgot.py"
    model.write_text(GAME.replace("    return p\n", ""))
    err = _error(["solve", str(model)], capsys)
    assert "build_problem() returned None, not a sharedeq.EquilibriumProblem" in err


def test_exception_in_the_model_file_shows_the_users_line(tmp_path, capsys):
    model = tmp_path / "broken.py"
    model.write_text(GAME.replace("    m.x = pyo.Var([1, 2])\n", "    m.x = pyo.Var([1, 2])\n    rate = 1 / 0\n"))
    err = _error(["solve", str(model)], capsys)
    assert f"{model} raised ZeroDivisionError: division by zero (line 8 of {model}: rate = 1 / 0)" in err
    model.write_text("def build_problem(:\n")
    assert "raised SyntaxError" in _error(["solve", str(model)], capsys)


def test_model_file_imports_a_module_next_to_it(tmp_path, capsys):
    (tmp_path / "game_data_h.py").write_text("TARGET = 1.0\n")
    model = tmp_path / "with_data.py"
    model.write_text("from game_data_h import TARGET\n" + GAME.replace("target=1.0", "target=TARGET"))
    out = tmp_path / "sol.json"
    assert main(["solve", str(model), "--mode", "ve", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["variables"]["x[1]"]["value"] == pytest.approx(0.75, abs=1e-8)
    assert data["variables"]["x[2]"]["value"] == pytest.approx(0.25, abs=1e-8)
    assert str(tmp_path) not in sys.path                 # the folder is on sys.path only while the file runs


def test_arguments_reach_build_problem_and_unknown_ones_are_named(tmp_path, capsys):
    model = tmp_path / "game.py"
    model.write_text(GAME)
    out = tmp_path / "sol.json"
    # target 2: x1 wants 2, x2 wants 1/2; VE of x1 + x2 <= 1: 2 (x1 - 2) = 2 (x2 - 1/2) -> x1 = 1.25, x2 = -0.25
    assert main(["solve", str(model), "--mode", "ve", "--arg", "target=2.0", "--json", str(out)]) == 0
    assert json.loads(out.read_text())["variables"]["x[1]"]["value"] == pytest.approx(1.25, abs=1e-8)
    err = _error(["solve", str(model), "--arg", "tagret=2"], capsys)
    assert "--arg tagret=...: build_problem() has no parameter 'tagret'; it accepts target" in err
    for bad in ("target", "=2", " =2"):
        assert f"--arg expects key=value, got {bad!r}" in _error(["solve", str(model), "--arg", bad], capsys)
    err = _error(["solve", str(model), "--arg", "target=[1, 2]"], capsys)      # a value build_problem cannot use
    assert f"{model} raised TypeError" in err


def test_model_file_that_is_not_python(tmp_path, capsys):
    model = tmp_path / "river.mod"                 # an AMPL model: neither Python nor GAMS
    model.write_text("var x;\n")
    assert "expected a Python model file (.py)" in _error(["solve", str(model)], capsys)


def test_bad_data_in_the_model_is_an_error_not_a_traceback(tmp_path, capsys):
    model = tmp_path / "kink.py"
    model.write_text(GAME.replace("(m.x[1] - target) ** 2", "abs(m.x[1] - target)"))
    assert "objective of agent 'p1' uses abs()" in _error(["solve", str(model)], capsys)


def test_output_into_a_closed_pipe_keeps_the_json(tmp_path):
    out = tmp_path / "river.json"
    command = f"'{sys.executable}' -m sharedeq solve '{RIVER}' --mode ve --json '{out}' | head -1"
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("EQUILIBRIUM FOUND: river basin")
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr
    assert json.loads(out.read_text())["variables"]["x[1]"]["value"] == pytest.approx(21.1448, abs=1e-4)


def test_version_and_backend_help(capsys):
    from sharedeq import __version__

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.strip() == f"sharedeq {__version__}"
    with pytest.raises(SystemExit):
        main(["solve", "--help"])
    assert "Ipopt bundled with casadi" in capsys.readouterr().out


def test_every_option_has_help_and_help_is_light():
    import argparse

    from sharedeq.cli import _parser

    def undocumented(parser, where):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from undocumented(sub, f"{where} {name}")
            elif not action.help:
                yield f"{where} {'/'.join(action.option_strings) or action.dest}"

    assert list(undocumented(_parser(), "sharedeq")) == []
    code = "import sys; from sharedeq.cli import _parser; _parser(); print(sorted(m for m in ('pandas', 'pyomo', " \
           "'casadi', 'numpy', 'tqdm', 'dask') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"                      # sharedeq --help imports none of the heavy libraries


def test_csv_and_json_go_into_new_folders_and_check_is_recorded(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["solve", RIVER, "--mode", "ve", "--json", str(out / "river.json"), "--csv", str(out / "river"),
                 "--check", "-q"]) == 0
    text = capsys.readouterr().out
    assert f"wrote {out / 'river.json'}" in text and "KKT residuals re-derived with Pyomo" in text
    data = json.loads((out / "river.json").read_text())
    assert data["checks"]["kkt"]["1"]["stationarity"] < 1e-6
    variables = (out / "river" / "variables.csv").read_text().splitlines()
    assert variables[0] == "agent,variable,value,lower,upper,marginal"
    assert variables[1].startswith("1,x[1],21.144") and len(variables) == 4        # x[1..3]; total is auxiliary
    assert (out / "river" / "auxiliaries.csv").exists() and (out / "river" / "best_response.csv").exists()


def test_unexpected_errors_are_one_line_without_traceback(monkeypatch, capsys):
    from sharedeq.problem import EquilibriumProblem

    def broken(self, **options):
        raise RuntimeError("boom")

    monkeypatch.setattr(EquilibriumProblem, "solve", broken)
    assert main(["solve", RIVER]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sharedeq: error: unexpected RuntimeError: boom (in test_cli.py:")
    assert "--traceback" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    with pytest.raises(RuntimeError, match="boom"):
        main(["solve", RIVER, "--traceback"])
