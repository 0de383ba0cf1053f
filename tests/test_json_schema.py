"""The JSON layout (``sharedeq.solution/1``): solutions of several models validated against ``SCHEMA``, their numbers
against closed forms, the CSV tables and the notebook view, and docs/output.md documenting every field."""

import json
import re
from pathlib import Path

import pandas as pd
import pyomo.environ as pyo
import pytest

import sharedeq as sq
from sharedeq.solution import SCHEMA, SCHEMA_VERSION, fit_table
from sharedeq.verify import best_response_check, kkt_check

ROOT = Path(__file__).resolve().parents[1]
TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def validate(data, schema, where="$"):
    """A small JSON-Schema check (type, enum, required, properties, additionalProperties, items)."""
    if "enum" in schema:
        assert data in schema["enum"], f"{where}: {data!r} not in {schema['enum']}"
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        assert any(_is(data, kind) for kind in kinds), f"{where}: {data!r} is not {kinds}"
    if isinstance(data, str) and "number" in (kinds or []) and "string" in kinds:
        assert data in ("inf", "-inf"), f"{where}: a number written as the string {data!r}"
    if isinstance(data, dict):
        for key in schema.get("required", []):
            assert key in data, f"{where}: missing {key!r}"
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, value in data.items():
            if key in properties:
                validate(value, properties[key], f"{where}.{key}")
            elif extra is False:
                raise AssertionError(f"{where}: unexpected field {key!r}")
            elif isinstance(extra, dict):
                validate(value, extra, f"{where}[{key!r}]")
    if isinstance(data, list) and "items" in schema:
        for k, item in enumerate(data):
            validate(item, schema["items"], f"{where}[{k}]")


def _is(value, kind) -> bool:
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, TYPES[kind])


def _round_trip(solution) -> dict:
    data = json.loads(json.dumps(solution.to_dict(), allow_nan=False))   # strict JSON: no NaN or Infinity
    validate(data, SCHEMA)
    assert data["schema"] == SCHEMA_VERSION == "sharedeq.solution/1"
    return data


def ranged_game():
    """p1 minimises u with u = (x1 - 3)^2 (a GAMS-style objective variable), p2 minimises (x2 - 3)^2, both under
    the ranged shared constraint 0 <= x1 + x2 <= 2. Variational equilibrium: x = (1, 1), price of the upper side
    2 (3 - 1) = 4, the lower side 0, u = 4."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], bounds=(0, 5), initialize=0.0)
    m.u = pyo.Var()
    m.objdef = pyo.Constraint(expr=m.u == (m.x[1] - 3) ** 2)
    m.line = pyo.Constraint(expr=pyo.inequality(0, m.x[1] + m.x[2], 2))
    game = sq.EquilibriumProblem(m, name="ranged")
    game.add_agent("p1", objective=m.u, variables=[m.x[1], m.u], constraints=[m.objdef])
    game.add_agent("p2", objective=(m.x[2] - 3) ** 2, variables=m.x[2])
    game.add_shared(m.line, variational=True)
    return game, m


def test_ranged_shared_constraint_keyed_by_constraint_side_and_agent():
    game, m = ranged_game()
    solution = game.solve()                          # mode as declared: variational
    data = _round_trip(solution)
    assert data["status"] == "equilibrium" and data["mode"] == "ve"
    assert data["weights"] == {"p1": 1.0, "p2": 1.0}
    assert data["shared_constraints"] == {"line": {"agents": ["p1", "p2"], "mode": "ve"}}
    line = data["multipliers"]["line"]
    assert set(line) == {"<=", ">="} and set(line["<="]) == {"(shared)"}
    assert line["<="]["(shared)"]["value"] == pytest.approx(4.0, abs=1e-7)
    assert line[">="]["(shared)"]["value"] == pytest.approx(0.0, abs=1e-7)
    assert line[">="]["(shared)"]["slack"] == pytest.approx(2.0, abs=1e-7)      # x1 + x2 - 0
    x1 = data["variables"]["x[1]"]
    assert x1 == {"owner": "p1", "role": "agent", "value": pytest.approx(1.0, abs=1e-7), "lower": 0.0,
                  "upper": 5.0, "marginal": pytest.approx(0.0, abs=1e-7)}
    u = data["variables"]["u"]
    assert u["owner"] == "p1" and u["role"] == "objective" and u["value"] == pytest.approx(4.0, abs=1e-7)
    assert u["lower"] is None and u["upper"] is None
    assert data["agents"]["p1"]["objective"] == pytest.approx(4.0, abs=1e-7)
    assert data["agents"]["p2"] == {"sense": "min", "objective": pytest.approx(4.0, abs=1e-7),
                                    "variables": ["x[2]"], "residuals": pytest.approx(
                                        {"stationarity": 0.0, "complementarity": 0.0, "feasibility": 0.0},
                                        abs=1e-8)}
    assert data["checks"]["agents"]["p1"]["verdict"] == "best response (proven)"
    assert data["checks"]["kkt"] is None and data["checks"]["best_response"] is None    # not run


def test_river_basin_aggregates_are_auxiliaries_and_checks_are_recorded():
    from cases.river_basin import build_problem

    problem = build_problem()
    solution = problem.solve(mode="gne")
    solution.kkt_residuals = kkt_check(problem, solution)
    solution.best_response = best_response_check(problem, solution)
    data = _round_trip(solution)
    assert set(data["variables"]) == {"x[1]", "x[2]", "x[3]"}
    assert {"total", "cons[1].body", "cons[2].body"} <= set(data["auxiliaries"])
    total = sum(data["variables"][f"x[{i}]"]["value"] for i in (1, 2, 3))
    assert data["auxiliaries"]["total"]["value"] == pytest.approx(total, abs=1e-8)
    assert data["mode"] == "gne" and data["weights"] is None
    # generalized Nash: one multiplier of cons[1] per agent, the constraint active (slack 0)
    assert set(data["multipliers"]["cons[1]"]["<="]) == {"1", "2", "3"}
    assert all(abs(m["slack"]) < 1e-8 for m in data["multipliers"]["cons[1]"]["<="].values())
    for agent in ("1", "2", "3"):
        assert data["checks"]["kkt"][agent]["stationarity"] < 1e-6
        assert abs(data["checks"]["best_response"][agent]["gain"]) < 1e-6
        assert data["checks"]["second_order"][agent]["verdict"].startswith("local min")
    assert data["steps"] and data["timings"]["kkt"] >= 0 and data["iterations"] == solution.iterations


def test_not_converged_and_plain_mcp_are_valid_too():
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], bounds=(0, 1))
    m.need = pyo.Constraint(expr=m.x[1] + m.x[2] >= 5)             # cannot hold: at most 2
    game = sq.EquilibriumProblem(m, name="infeasible")
    game.add_agent("a", objective=m.x[1] ** 2, variables=m.x[1])
    game.add_agent("b", objective=m.x[2] ** 2, variables=m.x[2])
    game.add_shared(m.need)
    failed = _round_trip(game.solve(mode="ve"))
    assert failed["status"] == "not converged" and not failed["converged"] and failed["diagnosis"]
    assert failed["residual"] > 1e-8 and failed["checks"]["agents"] is None

    game, _ = ranged_game()
    plain = _round_trip(sq.solve(game.mcp(mode="ve")))
    assert plain["problem"] == "MCP" and plain["status"] == "solved" and plain["mode"] is None
    assert plain["agents"] == {} and plain["variables"]["x[2]"]["value"] == pytest.approx(1.0, abs=1e-7)


def test_vi_with_constraints_has_its_check_and_roles():
    """VI(K, F) with F(x) = x - (1, 1/2) on K = {x1 + x2 <= 1}: the projection of (1, 1/2) onto K, (3/4, 1/4);
    x - (1, 1/2) + mu (1, 1) = 0 gives the constraint's multiplier mu = 1/4."""
    m = pyo.ConcreteModel()
    m.x = pyo.Var([1, 2], initialize=0.0)
    m.k = pyo.Constraint(expr=m.x[1] + m.x[2] <= 1)
    problem = sq.EquilibriumProblem(m, name="projection")
    problem.add_vi([m.x[1] - 1, m.x[2] - 0.5], [m.x[1], m.x[2]], constraints=[m.k])
    data = _round_trip(problem.solve())
    assert data["status"] == "equilibrium" and data["agents"] == {}
    for name, value in {"x[1]": 0.75, "x[2]": 0.25}.items():
        assert data["variables"][name]["role"] == "vi" and data["variables"][name]["owner"] is None
        assert data["variables"][name]["value"] == pytest.approx(value, abs=1e-8)
    (vi,) = data["checks"]["vi"].values()
    assert vi["verdict"] and vi["convexity"] == "convex"
    (side,) = data["multipliers"]["k"].values()
    assert [m["value"] for m in side.values()] == pytest.approx([0.25], abs=1e-8)


def test_csv_tables_hold_the_same_numbers(tmp_path):
    game, _ = ranged_game()
    solution = game.solve(mode="ve")
    written = solution.to_csv(tmp_path / "out")
    assert {p.name for p in written} >= {"variables.csv", "multipliers.csv", "agents.csv", "checks.csv",
                                         "steps.csv"}
    variables = pd.read_csv(tmp_path / "out" / "variables.csv")
    assert variables.set_index("variable").at["x[1]", "value"] == pytest.approx(1.0, abs=1e-7)
    multipliers = pd.read_csv(tmp_path / "out" / "multipliers.csv")
    upper = multipliers[(multipliers["constraint"] == "line") & (multipliers["side"] == "<=")]
    assert upper["multiplier"].item() == pytest.approx(4.0, abs=1e-7)
    agents = pd.read_csv(tmp_path / "out" / "agents.csv", index_col="agent")
    assert agents.at["p2", "objective"] == pytest.approx(4.0, abs=1e-7)


def test_notebook_view_shows_status_and_variables():
    game, _ = ranged_game()
    page = game.solve(mode="ve")._repr_html_()
    assert page.startswith("<p><b>EQUILIBRIUM FOUND: ranged (mode ve, interior point)</b></p>")
    assert "<table" in page and "x[1]" in page and "line.m_up" in page


def test_wide_tables_are_cut_to_the_width_with_a_pointer():
    wide = pd.DataFrame([[k * 1.5 + j for j in range(60)] for k in range(100)],
                        columns=[f"good {j}" for j in range(60)])
    text = fit_table(wide, width=100, max_rows=10)
    lines = text.splitlines()
    assert max(len(line) for line in lines[:-1]) <= 100 and "good 59" in lines[0]      # last column kept
    assert lines[-1].startswith("[showing 10 of 100 rows and ") and "--csv DIR or --json FILE" in lines[-1]
    shown = int(re.search(r"and (\d+) of 60 columns", lines[-1]).group(1))
    assert 2 <= shown < 60
    narrow = pd.DataFrame({"a": [1.0, 2.0]})
    assert fit_table(narrow, width=100) == narrow.to_string()                          # nothing to cut, no note


def test_docs_document_every_field():
    text = (ROOT / "docs" / "output.md").read_text()
    assert SCHEMA_VERSION in text
    missing = [path for path in _field_paths(SCHEMA) if f"`{path}`" not in text]
    assert not missing, f"docs/output.md does not document {missing}"


def _field_paths(schema, prefix=""):
    """Dotted names of every named field (``variables.*.owner``: a field of each entry of a keyed object)."""
    for name, sub in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        yield path
        yield from _field_paths(sub, f"{path}.")
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        yield from _field_paths(extra, f"{prefix}*." if prefix else "*.")
    if "items" in schema:
        yield from _field_paths(schema["items"], f"{prefix.rstrip('.')}[].")
