"""sq.compare on the two-player game of the README, against its closed form, and `sharedeq compare`.

f1 = (x1 - 1)^2, f2 = (x2 - 1/2)^2, shared x1 + x2 <= 1. GNE set: x1 in [1/2, 1], x2 = 1 - x1. On it the payoffs
are -(1 - x1)^2 and -(x1 - 1/2)^2 and the welfare W(x1) = -(1 - x1)^2 - (x1 - 1/2)^2 is concave with its maximum
-1/8 at x1 = 3/4 (the VE) and its minimum -1/4 at both ends. So the price of anarchy is (-1/4) / (-1/8) = 2 (total
cost twice the best) and the price of stability is 1 (the VE is the best GNE).
"""

import dataclasses
from pathlib import Path

import matplotlib
import numpy as np
import pytest

import sharedeq as sq
from cases.small_games import ffp
from sharedeq.cli import main

FFP_FILE = str(Path(__file__).resolve().parents[1] / "cases" / "small_games.py")

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def comparison():
    return sq.compare(ffp(), samples=12, seed=0)


def test_rows_match_the_closed_form(comparison):
    t = comparison.table
    expected = {                       # label: (x1, payoff p1, payoff p2)
        "VE": (0.75, -1 / 16, -1 / 16),
        "best for p1": (1.0, 0.0, -1 / 4), "worst for p1": (0.5, -1 / 4, 0.0),
        "best for p2": (0.5, -1 / 4, 0.0), "worst for p2": (1.0, 0.0, -1 / 4),
        "best welfare": (0.75, -1 / 16, -1 / 16),
    }
    for label, (x1, u1, u2) in expected.items():
        row = t.loc[label]
        assert row["status"] == "equilibrium", label
        np.testing.assert_allclose([row["p1.x"], row["p2.x"], row["payoff[p1]"], row["payoff[p2]"]],
                                   [x1, 1 - x1, u1, u2], atol=1e-7, err_msg=label)
    assert t.at["worst welfare", "welfare"] == pytest.approx(-0.25, abs=1e-7)
    assert t.at["worst welfare", "p1.x"] == pytest.approx(0.5, abs=1e-7) or \
        t.at["worst welfare", "p1.x"] == pytest.approx(1.0, abs=1e-7)
    assert t.at["VE", "share.m[p1]"] == pytest.approx(0.5) and t.at["VE", "share.m[p2]"] == pytest.approx(0.5)
    assert t.at["best for p1", "share.m[p1]"] == pytest.approx(0.0, abs=1e-7)   # p1 prices nothing at its best
    assert t.at["best welfare", "scope"] == "global"


def test_welfare_measures(comparison):
    assert comparison.best_welfare == pytest.approx(-0.125, abs=1e-9)
    assert comparison.worst_welfare == pytest.approx(-0.25, abs=1e-7)
    assert comparison.price_of_anarchy == pytest.approx(2.0, abs=1e-6)
    assert comparison.price_of_stability == pytest.approx(1.0, abs=1e-9)
    t = comparison.table
    np.testing.assert_allclose(t["welfare"].iloc[:7], t[["payoff[p1]", "payoff[p2]"]].iloc[:7].sum(axis=1))
    assert t.at["VE", "loss"] == pytest.approx(1.0) and t.at["worst for p1", "loss"] == pytest.approx(2.0, abs=1e-6)


def test_sample_ranges_lie_inside_the_set(comparison):
    t = comparison.table
    assert t.at["samples (min)", "p1.x"] >= 0.5 - 1e-9 and t.at["samples (max)", "p1.x"] <= 1 + 1e-9
    assert t.at["samples (max)", "welfare"] <= comparison.best_welfare + 1e-12
    assert t.at["samples (min)", "status"] == "12 of 12 counted"


def test_summary_and_plots(comparison, tmp_path):
    text = comparison.summary()
    assert "price of anarchy 2 " in text and "price of stability 1 " in text
    assert text.splitlines()[0].startswith("Equilibria of Facchinei-Fischer-Piccialli: VE equilibrium")
    fig = comparison.plot_set(path=tmp_path / "set.png")
    assert (tmp_path / "set.png").read_bytes()[:4] == b"\x89PNG"
    assert [a.get_xlabel() for a in fig.axes] == ["p1.x"]
    comparison.plot_payoffs(path=tmp_path / "payoffs.svg")
    assert b"<svg" in (tmp_path / "payoffs.svg").read_bytes()[:400]
    with pytest.raises(sq.ModelError, match="'x9' is not a variable"):
        comparison.plot_set(["p1.x", "x9"])
    with pytest.raises(sq.ModelError, match="two or three"):
        comparison.plot_set(["p1.x"])


def test_cli(tmp_path, capsys):
    code = main(["compare", FFP_FILE, "--samples", "4", "--starts", "2", "--csv",
                 str(tmp_path / "t.csv"), "--plot-set", str(tmp_path / "s.png")])
    out = capsys.readouterr().out
    assert code == 0 and "price of anarchy 2 " in out
    assert (tmp_path / "t.csv").read_text().splitlines()[0].startswith(",kind,status,scope,welfare,loss")
    assert (tmp_path / "s.png").exists()
    assert main(["compare", FFP_FILE, "--agents", "p3"]) == 2
    assert "no agent named 'p3'" in capsys.readouterr().err


def test_a_failed_extreme_is_kept_and_not_counted(monkeypatch):
    problem = ffp()
    real = type(problem).extreme

    def failing_best_welfare(self, objective, sense="max", **options):
        solution = real(self, objective, sense=sense, **options)
        if sense == "max" and "p1.x" in str(objective) and "p2.x" in str(objective):     # the welfare
            return dataclasses.replace(solution, converged=False, status="not converged")
        return solution

    monkeypatch.setattr(type(problem), "extreme", failing_best_welfare)
    comparison = sq.compare(problem, samples=4, starts=2)
    row = comparison.table.loc["best welfare"]
    assert row["status"] == "not converged" and row["scope"] == "" and np.isnan(row["welfare"])
    assert comparison.best_welfare == pytest.approx(-0.125, abs=1e-9)     # the VE is still found
    assert "best welfare extreme failed (not converged)" in comparison.summary()
