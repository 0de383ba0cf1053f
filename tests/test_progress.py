"""Progress on stderr and stage logging (sharedeq.progress): shown only when asked or interactive, silent in tests
and when piped, the stages on the logger "sharedeq", and the answer unchanged by watching it."""

import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest

import sharedeq as sq
from sharedeq import progress

RIVER = str(Path(__file__).resolve().parents[1] / "cases" / "river_basin.py")


def ffp():
    """Facchinei-Fischer-Piccialli: the variational equilibrium is (3/4, 1/4) with price 1/2; with p1's target
    ``t`` instead of 1, ``2 (x1 - t) = 2 (x2 - 1/2)`` on ``x1 + x2 = 1`` gives ``x1 = t / 2 + 1/4``."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], initialize=0.0)
    m.t = pyo.Param(mutable=True, initialize=1.0)
    m.share = pyo.Constraint(expr=m.x[1] + m.x[2] <= 1)
    game = sq.EquilibriumProblem(m, name="ffp")
    game.add_agent("p1", objective=(m.x[1] - m.t) ** 2, variables=m.x[1])
    game.add_agent("p2", objective=(m.x[2] - 0.5) ** 2, variables=m.x[2])
    game.add_shared(m.share)
    return game, m


def test_when_a_bar_is_drawn(monkeypatch):
    assert not progress.interactive()                      # in tests: never by default
    assert not progress.interactive(0) and not progress.interactive(False)
    assert progress.interactive(1) and progress.interactive(True)
    assert not progress.interactive(2)                     # Ipopt's own log instead of the bar
    monkeypatch.setenv("SHAREDEQ_PROGRESS", "0")
    assert not progress.interactive(1)                     # the environment switch wins


def test_default_solve_is_silent_and_logs_its_stages(capsys, caplog):
    game, m = ffp()
    with caplog.at_level(logging.INFO, logger="sharedeq"):
        solution = game.solve(mode="ve")
    assert capsys.readouterr().err == ""
    stages = [r.getMessage() for r in caplog.records if r.name == "sharedeq"]
    assert "solve ffp: KKT conditions" in stages and "solve ffp: interior point" in stages
    assert "solve ffp: agent checks" in stages
    assert any(s.startswith("solve ffp: KKT conditions: 3 pairs (") for s in stages)
    assert solution.value(m.x[1]) == pytest.approx(0.75, abs=1e-8)


def test_bar_shows_stage_and_iterations_without_changing_the_answer(capsys, monkeypatch):
    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.setattr(progress, "REDRAW", 0.0)
    game, m = ffp()
    watched = game.solve(mode="ve", verbose=1)
    err = capsys.readouterr().err
    assert "solve ffp: interior point" in err and "iteration 1, residual" in err
    plain = ffp()[0].solve(mode="ve", verbose=0)          # a fresh model: the same start
    assert capsys.readouterr().err == ""
    assert np.array_equal(watched.z, plain.z) and watched.status == plain.status == "equilibrium"
    assert watched.multiplier(m.share) == pytest.approx(0.5, abs=1e-8)


def test_iteration_log_only_at_verbose_2(capfd):
    game, _ = ffp()
    game.solve(mode="ve", verbose=0)
    assert "(interior point)" not in capfd.readouterr().out
    game.solve(mode="ve", verbose=2)
    out = capfd.readouterr().out
    assert "(interior point)" in out and "\n   1 " in out
    game.solve(mode="ve", verbose=2, method="relaxation")
    assert "iter    objective" in capfd.readouterr().out


def test_a_solve_inside_a_tracked_loop_draws_no_bar_of_its_own(capsys, monkeypatch):
    monkeypatch.setattr(progress, "DELAY", 0.0)
    monkeypatch.setattr(progress, "REDRAW", 0.0)
    game, m = ffp()
    values = []
    for target in progress.track([1.0, 2.0], "targets", verbose=1):
        m.t.set_value(target)
        values.append(game.solve(mode="ve").value(m.x[1]))
    err = capsys.readouterr().err
    assert "targets" in err and "2/2" in err and "solve ffp:" not in err
    assert values == pytest.approx([0.75, 1.25], abs=1e-8)


def test_command_line_piped_is_silent_and_verbose_logs(tmp_path):
    piped = subprocess.run([sys.executable, "-m", "sharedeq", "solve", RIVER, "--mode", "ve"],
                           capture_output=True, text=True, check=True)
    assert piped.stderr == "" and piped.stdout.startswith("EQUILIBRIUM FOUND: river basin")
    verbose = subprocess.run([sys.executable, "-m", "sharedeq", "solve", RIVER, "--mode", "ve", "-v"],
                             capture_output=True, text=True, check=True)
    assert "sharedeq: solve river basin: KKT conditions" in verbose.stderr
    assert verbose.stdout == piped.stdout.replace(_timings(piped.stdout), _timings(verbose.stdout))


def _timings(summary: str) -> str:
    return next(line for line in summary.splitlines() if " iterations (" in line)


def test_import_is_light():
    code = "import sys, sharedeq.progress; print('tqdm' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
