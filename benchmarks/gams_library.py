"""The GAMS replica library, read and solved: ``python -m benchmarks.gams_library [MODEL ...] [--markdown]``.

Every model in ``cases/gams/`` goes through ``sharedeq.read_gams(path).solve()`` as the file stands (no edits,
no options) and is compared with its independent reference in ``cases/gams/references.json`` (how each was
obtained is recorded there; ``cases/gams/references.py`` recomputes them). One row per model:

* ``read``: ``yes``, or ``no`` and the reader's message (the construct it refused, with line and column);
* ``status``: the Solution's status (``solved``, ``equilibrium``, ...) or ``error`` and the exception;
* ``max diff``: the largest difference from the reference over the compared variables, relative to
  ``max(1, |reference|)``; ``ok`` says whether it is within the model's tolerance;
* ``seconds``: read plus solve, wall clock.

The last lines count the refusals by the construct named, most frequent first.

The files in ``cases/gams/`` are written for sharedeq after the public models (same sets, data, equations and
solve; the text is new, and models with several solves are cut at the one the reference is for). To measure the
reader on the published texts themselves, keep copies outside the repository under the replicas' file names
and pass ``--originals DIR``: those models are then read from ``DIR`` (the first solve of each file is read,
so give only originals whose first solve is the replica's).
"""

from __future__ import annotations

import argparse
import json
import re
import time
import warnings
from collections import Counter
from pathlib import Path

import pandas as pd

LIBRARY = Path(__file__).resolve().parent.parent / "cases" / "gams"
SUCCESS = ("solved", "equilibrium")


def load_references() -> dict:
    """The reference file: model name -> file, kind, provenance, method, tolerance and the reference values."""
    return json.loads((LIBRARY / "references.json").read_text())


def _key(name: str) -> str:
    """A variable's name as compared: lower case, no quotes or blanks (``x('seattle', 'chicago')`` ->
    ``x[seattle,chicago]``)."""
    name = name.lower().replace("'", "").replace('"', "").replace(" ", "")
    return name.replace("(", "[").replace(")", "]")


def compare_any(model, entry: dict) -> tuple[float, list[str]]:
    """:func:`compare` against the entry's reference and, for a game with several equilibria, each of its
    ``other_equilibria``: the closest one counts."""
    return min((compare(model, reference) for reference in [entry["reference"], *entry.get("other_equilibria", [])]),
               key=lambda result: (len(result[1]), result[0]))


def compare(model, reference: dict) -> tuple[float, list[str]]:
    """The largest relative difference ``|value - ref| / max(1, |ref|)`` and the reference names not found."""
    import pyomo.environ as pyo

    values = {_key(v.name): v.value for v in model.component_data_objects(pyo.Var)}
    worst, missing = 0.0, []
    for name, ref in reference.items():
        value = values.get(_key(name))
        if value is None:
            missing.append(name)
            continue
        worst = max(worst, abs(value - ref) / max(1.0, abs(ref)))
    return worst, missing


def run_model(name: str, entry: dict, directory: Path = LIBRARY) -> dict:
    """Read ``directory / file``, solve it and compare with the reference; never raises (a failure is a row)."""
    import sharedeq as sq

    row = {"model": name, "kind": entry["kind"], "source": _source(entry), "read": "no", "status": "",
           "max diff": float("nan"), "ok": False, "seconds": float("nan"), "why": ""}
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gams = sq.read_gams(directory / entry["file"])
    except Exception as exc:    # the row records any failure
        row["why"] = _first_line(exc)
        row["seconds"] = time.perf_counter() - start
        return row
    row["read"] = "yes"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            solution = gams.solve()
            solution.load()
    except Exception as exc:
        row["status"], row["why"] = "error", _first_line(exc)
        row["seconds"] = time.perf_counter() - start
        return row
    row["seconds"] = time.perf_counter() - start
    row["status"] = solution.status
    worst, missing = compare_any(gams.model, entry)
    row["max diff"] = worst
    row["ok"] = solution.status in SUCCESS and not missing and worst <= entry["tol"]
    if missing:
        row["why"] = "no variable named " + ", ".join(missing[:3])
    elif solution.status not in SUCCESS:
        row["why"] = solution.message
    elif not row["ok"]:
        row["why"] = f"a {solution.status} point that differs from the reference by more than {entry['tol']:g}"
    return row


def _source(entry: dict) -> str:
    where = entry["read_from"]
    return where.get("repository", "") + (":" + where["path"] if "path" in where else "") or entry["published"]


def _first_line(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


def construct_of(why: str) -> str:
    """The construct a refusal names, without its file, line, column and the model's own names
    (``GamsError: m.gms: line 25, col 7: table e: 'd(c,h)' is not a number`` -> ``table ..: '..' is not a
    number``), so that the same gap in several models counts once per model under one heading."""
    why = re.sub(r"^\w+: [^:]*: line \d+, col \d+: ", "", why)
    return re.sub(r"'[^']*'", "'..'", re.sub(r"^table \w+:", "table ..:", why))


def table(names=None, originals=None) -> pd.DataFrame:
    """Run the models (all, or those named) and return one row per model; with ``originals`` (a folder), the
    models that have a file of the same name there are read from it (column ``text``: replica or original)."""
    references = load_references()
    rows = []
    for name in names or list(references):
        entry = references[name]
        original = originals is not None and (Path(originals) / entry["file"]).is_file()
        if originals is not None and not original:
            continue
        row = run_model(name, entry, Path(originals) if original else LIBRARY)
        rows.append(row | {"text": "original" if original else "replica"})
    return pd.DataFrame(rows)


def _markdown(frame: pd.DataFrame) -> str:
    """``frame`` as a Markdown table, numbers in short form (pandas' ``to_markdown`` needs tabulate)."""
    def cell(v):
        return f"{v:.1e}" if isinstance(v, float) else str(v).replace("|", "\\|")
    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", help="model names (default: all in cases/gams/references.json)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--originals", metavar="DIR", help="read the published texts kept in DIR instead")
    args = parser.parse_args(argv)
    rows = table(args.models, args.originals)
    shown = rows if args.markdown else rows.drop(columns=["source"]).assign(why=rows["why"].str.slice(0, 100))
    with pd.option_context("display.width", 250, "display.max_colwidth", 90, "display.max_rows", 200):
        print(_markdown(shown) if args.markdown else shown.to_string(index=False))
    read, ok = (rows["read"] == "yes").sum(), rows["ok"].sum()
    print(f"\n{len(rows)} models: {read} read as written, {ok} solved and within tolerance of the reference "
          f"({100 * ok / max(1, len(rows)):.0f} %)")
    refusals = Counter(construct_of(why) for why in rows.loc[~rows["ok"], "why"] if why)
    for construct, count in refusals.most_common():
        print(f"  {count} x {construct}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
