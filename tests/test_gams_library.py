"""The GAMS replica library (``cases/gams/``): each model read as written, solved, and compared with its
independent reference (``cases/gams/references.json``: a closed form, scipy's linprog duals, or the model's
equations written again in numpy and solved by scipy; see ``cases/gams/references.py``).

A model passes when ``read_gams(path).solve()`` reports ``solved``/``equilibrium``, its kind is the one the
file's solve statement names, and every reference variable is within the model's tolerance (relative to
``max(1, |reference|)``, 1e-6 for most, 1e-5 where the reference itself is only that accurate); for a game
with several equilibria (``other_equilibria`` in the entry, each derived in ``other_derivation``), any of
them. Models the reader or the solver cannot handle yet are ``xfail`` with the reason.
"""

from __future__ import annotations

import warnings

import pytest

from benchmarks.gams_library import LIBRARY, compare_any, load_references

REFERENCES = load_references()

KNOWN_FAILURES: dict[str, str] = {}   # model -> why it cannot pass yet (xfail, strict)


def _cases():
    for name in REFERENCES:
        marks = [pytest.mark.xfail(reason=KNOWN_FAILURES[name], strict=True)] if name in KNOWN_FAILURES else []
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", list(_cases()))
def test_replica_matches_reference(name):
    import sharedeq as sq

    entry = REFERENCES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gams = sq.read_gams(LIBRARY / entry["file"])
        assert gams.kind == entry["kind"]
        solution = gams.solve()
    assert solution.status in ("solved", "equilibrium"), solution.message
    solution.load()
    worst, missing = compare_any(gams.model, entry)
    assert not missing
    assert worst <= entry["tol"]


def test_every_model_has_a_file_and_provenance():
    for name, entry in REFERENCES.items():
        assert (LIBRARY / entry["file"]).is_file(), name
        assert entry["published"] and entry["read_from"] and entry["method"], name
        assert entry["reference"], name
