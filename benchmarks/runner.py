"""Time benchmark families: one fresh subprocess per run, so that peak memory belongs to that run alone.

A *run* builds one instance (Pyomo model, then annotation), solves it and reports, in seconds: ``build``
(the Pyomo model), ``annotate`` (agents and shared constraints declared on an EquilibriumProblem), ``kkt``
(``solution.timings['kkt']``: translation and KKT assembly), ``derivs`` (``timings['reformulate']``: the
derivative functions, ``dF/dz``, plus the relaxed NLP when the relaxation ran; the column was called
``reform`` before the interior-point method became the default), ``solve`` (``timings['solve']``: the
interior-point method and its Newton polish, plus any Ipopt runs), ``verify`` (``timings['verify']``),
``other`` (the rest of ``problem.solve()``: Solution.build, loading values), ``total``; the method that
solved it (``interior point`` or ``relaxation``), its iterations (``solution.iterations``: all steps), the
MCP residual, and the peak resident memory of the subprocess during the build and solve (``ru_maxrss``, MiB;
includes the ~150 MiB of imported libraries).

The *floor* (issue 10, item 4) is measured in the same subprocess after the solve (its cost is in no timing
above): one sparse LU, with scipy's defaults (``scipy.sparse.linalg.splu``), of the final active-set Newton
matrix, times the iteration count, plus the Pyomo model build. The matrix is the one
:func:`sharedeq.newton.active_set_newton` factorises at the solution ``z``: ``dF/dz``
(:class:`sharedeq.jacobian.MCPJacobian`) restricted to the pairs strictly between their bounds (not within
``1e-9 (1 + |bound|)`` of a finite bound), rows of identical functions in generalized Nash mode
(``pairs['same_as']``) kept once, and when that is not square (or its LU fails) the augmented system
``[[I, J'], [J, -1e-14 I]]``. Columns: ``lu_s`` (median of 3 timings of that LU), ``floor_s`` = ``lu_s *
max(iters, 1) + build + annotate``, ``floor_ratio`` = ``total / floor_s``.

Variants of a run (``--baselines``), all on the same instance in the same invocation:

* ``sharedeq``: ``problem.solve(mode)`` with shared aggregates lifted (``lift="auto"``), the default method
  (``method="auto"``: interior point, the relaxation only as fallback).
* ``relaxation``: the same, with ``method="relaxation"``: the previous default chain (relaxed NLP, Ipopt,
  Newton polish); its total time, iterations and status, ratio relaxation total / sharedeq total.
* ``naive``: the same data with the aggregate written inline in every objective (``inline=True``) and
  ``lift="none"``: the dense, symbolic formulation (default method).
* ``mpec_nlp``: the MCP exported with ``MCP.to_pyomo()`` and handed to Pyomo's ``mpec_nlp`` meta-solver,
  which needs an ``ipopt`` executable; without one the export is timed and the solve reported as ``n/a``.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import resource
import statistics
import time
import traceback
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla

VARIANTS = ("sharedeq", "relaxation", "naive", "mpec_nlp")
TIME_FIELDS = ("build", "annotate", "kkt", "reformulate", "solve", "verify", "other", "total")
FLOOR_FIELDS = ("lu_s", "floor_s", "floor_ratio")
FREE_TOL = 1e-9    # a pair is free when z is not within FREE_TOL (1 + |bound|) of a finite bound
LU_REPEAT = 3
NO_IPOPT = "n/a (no ipopt executable)"


@dataclass(frozen=True)
class RunSpec:
    """One measured run: ``family`` at ``size`` agents with ``m`` shared constraints (or goods)."""

    family: str
    size: int
    mode: str = "ve"
    m: int = 10
    seed: int = 0
    variant: str = "sharedeq"
    ipopt_max_wall: float | None = None  # Ipopt's max_wall_time per Ipopt run (None: no limit)
    max_memory_gb: float | None = None  # resident memory (GiB) above which the parent kills the run


# ---------------------------------------------------------------------------------------------------------------
# inside the subprocess
# ---------------------------------------------------------------------------------------------------------------
def peak_rss_mib() -> float:
    """Peak resident set size of this process in MiB (``ru_maxrss`` is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _build(spec: RunSpec) -> tuple[object, dict]:
    """Build and annotate the instance; the Pyomo build and the annotation are timed separately."""
    from benchmarks.generators import FAMILIES

    fam = FAMILIES[spec.family]
    start = time.perf_counter()
    model = fam.model(spec.size, spec.m, spec.seed, spec.variant == "naive")
    built = time.perf_counter()
    problem = fam.annotate(model)
    return problem, {"build": built - start, "annotate": time.perf_counter() - built}


def _solve(problem, spec: RunSpec) -> tuple[dict, object]:
    """``problem.solve`` with the variant's lifting and method; the timings, method, iterations and residual it
    reports, and the Solution."""
    lift = "none" if spec.variant == "naive" else "auto"
    method = "relaxation" if spec.variant == "relaxation" else "auto"
    options = None if spec.ipopt_max_wall is None else {"max_wall_time": float(spec.ipopt_max_wall)}
    start = time.perf_counter()
    sol = problem.solve(mode=spec.mode, lift=lift, options=options, method=method)
    wall = time.perf_counter() - start
    t = sol.timings
    stages = {key: float(t.get(key, 0.0)) for key in ("kkt", "reformulate", "solve", "verify")}
    return {**stages, "other": wall - sum(stages.values()), "pipeline": wall, "method": sol.method,
            "iterations": sol.iterations, "residual": sol.residual, "converged": sol.converged,
            "status": _status(sol), "mcp_size": sol.mcp.size,
            "ipopt_s": _ipopt_seconds(sol.steps)}, sol


def _ipopt_seconds(steps) -> float:
    """Seconds of the Ipopt runs among ``steps``: the rows named ``relax ...`` or ``polish ...`` (0 if none)."""
    if "seconds" not in steps or "step" not in steps:
        return float("nan")
    ipopt = steps["step"].astype(str).str.startswith(("relax", "polish"))
    return float(steps.loc[ipopt, "seconds"].sum())


def free_pairs(z: np.ndarray, lb: np.ndarray, ub: np.ndarray, tol: float = FREE_TOL) -> np.ndarray:
    """Indices of the pairs strictly between their bounds: not within ``tol (1 + |bound|)`` of a finite one."""
    with np.errstate(invalid="ignore"):
        above = np.isneginf(lb) | (z - lb > tol * (1 + np.abs(lb)))
        below = np.isposinf(ub) | (ub - z > tol * (1 + np.abs(ub)))
    return np.flatnonzero(above & below)


def newton_matrix(mcp, z: np.ndarray) -> tuple[sp.csc_matrix, str]:
    """The final active-set Newton matrix at ``z`` and its kind (``square`` or ``augmented``).

    ``dF/dz`` restricted to the free pairs (columns) and to one row per group of identical functions
    (``pairs['same_as']``, generalized Nash mode); the augmented system ``[[I, J'], [J, -1e-14 I]]`` of
    ``sharedeq.newton._step`` when that is not square.
    """
    from sharedeq.jacobian import MCPJacobian

    z = np.asarray(z, float)
    free = free_pairs(z, np.asarray(mcp.lb, float), np.asarray(mcp.ub, float))
    leader = mcp.pairs["same_as"].to_numpy() if "same_as" in mcp.pairs else np.arange(mcp.size)
    _, first = np.unique(leader[free], return_index=True)
    J = MCPJacobian(mcp).dF_dz(z)[free[first]][:, free].tocsc()
    if J.shape[0] == J.shape[1]:
        return J, "square"
    return _augmented(J), "augmented"


def _augmented(J) -> sp.csc_matrix:
    n_rows, n_free = J.shape
    return sp.bmat([[sp.identity(n_free), J.T], [J, -1e-14 * sp.identity(n_rows)]], format="csc")


def lu_seconds(matrix: sp.csc_matrix, repeat: int = LU_REPEAT) -> tuple[float, sp.csc_matrix, str]:
    """Median seconds of ``scipy.sparse.linalg.splu(matrix.tocsc())`` (scipy's defaults) over ``repeat``
    timings; a square matrix whose LU fails (singular) is replaced by its augmented system, as the Newton step
    does. Returns the seconds, the matrix timed and ``''`` or a note."""
    note = ""
    if matrix.shape[0] == 0:
        return 0.0, matrix, "no free pair"
    try:
        spla.splu(matrix.tocsc())
    except RuntimeError as exc:       # "Factor is exactly singular"
        if matrix.shape[0] != matrix.shape[1] or matrix.shape[0] == 0:
            raise
        matrix, note = _augmented(matrix), f"square LU failed ({exc}); augmented system timed"
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        spla.splu(matrix.tocsc())
        times.append(time.perf_counter() - start)
    return statistics.median(times), matrix, note


def measure_floor(solution, iterations: int, build: float) -> dict:
    """The floor of issue 10 (one LU of the final active-set Newton matrix times the iterations, plus the
    build) for ``solution``; ``build`` = Pyomo model build + annotation."""
    matrix, kind = newton_matrix(solution.mcp, solution.z)
    seconds, timed, note = lu_seconds(matrix)
    if note.startswith("square LU failed"):
        kind = "augmented (square singular)"
    return {"lu_s": seconds, "lu_matrix": f"{kind} {timed.shape[0]}x{timed.shape[1]}, nnz {timed.nnz}",
            "lu_note": note, "floor_s": seconds * max(int(iterations), 1) + build}


def _status(sol) -> str:
    """'converged', or 'not converged' with the Ipopt statuses of the steps (e.g. a wall-time limit)."""
    if sol.converged:
        return sol.status
    return f"{sol.status} ({', '.join(dict.fromkeys(sol.steps['ipopt_status']))})"


def _mpec_nlp(problem, spec: RunSpec) -> dict:
    """Export the MCP to pyomo.mpec and solve with ``mpec_nlp`` if an ``ipopt`` executable exists."""
    import pyomo.environ as pyo

    start = time.perf_counter()
    mcp = problem.mcp(mode=spec.mode)
    kkt = time.perf_counter() - start
    model = mcp.to_pyomo()
    export = time.perf_counter() - start - kkt
    out = {"kkt": kkt, "export": export, "mcp_size": mcp.size, "converged": False}
    if not pyo.SolverFactory("ipopt").available(exception_flag=False):
        return {**out, "status": NO_IPOPT, "pipeline": float("nan")}
    if not list(model.component_data_objects(pyo.Objective)):
        model.feasibility = pyo.Objective(expr=0.0)  # NL files want an objective; the MCP has none
    start = time.perf_counter()
    pyo.SolverFactory("mpec_nlp").solve(model)
    seconds = time.perf_counter() - start
    z = [model.z[label].value for label in mcp.pairs["variable"]]
    residual = float(abs(mcp.natural_residual(z)).max())
    return {**out, "solve": seconds, "pipeline": kkt + export + seconds, "residual": residual,
            "converged": residual <= 1e-8, "status": "mpec_nlp + ipopt"}


def _preload() -> None:
    """Import sharedeq and the market modules up front: library imports are not part of any timing."""
    import importlib

    for name in ("sharedeq", "sharedeq.markets.fisher", "sharedeq.markets.endowment", "pyomo.mpec"):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def measure(spec: RunSpec, floor: bool = True) -> dict:
    """Build, solve and time one run in this process; a dict of plain numbers and strings. For the sharedeq
    variant, the floor (:func:`measure_floor`) after the solve unless ``floor`` is false."""
    _preload()

    problem, times = _build(spec)
    solution = None
    if spec.variant == "mpec_nlp":
        result = _mpec_nlp(problem, spec)
    else:
        result, solution = _solve(problem, spec)
    result.update(times)
    result["total"] = times["build"] + times["annotate"] + result.get("pipeline", float("nan"))
    result["peak_mib"] = peak_rss_mib()       # before the floor's own Jacobian and LU
    if spec.variant == "sharedeq" and floor:
        result.update(measure_floor(solution, result["iterations"], times["build"] + times["annotate"]))
        result["floor_ratio"] = result["total"] / result["floor_s"] if result["floor_s"] > 0 else float("nan")
    return {**asdict(spec), **result}


def _child(spec: RunSpec, conn) -> None:
    os.environ["SHAREDEQ_PROGRESS"] = "0"       # the parent draws the progress line; the run is timed undisturbed
    try:
        conn.send(measure(spec))
    except BaseException as exc:  # report any failure to the parent rather than dying silently
        conn.send({**asdict(spec), "status": f"error: {exc!r}", "traceback": traceback.format_exc(),
                   "peak_mib": peak_rss_mib()})
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------------------------------
# in the parent
# ---------------------------------------------------------------------------------------------------------------
def rss_gib(pid: int) -> float:
    """Current resident memory of process ``pid`` in GiB (from /proc; 0 where that is unavailable)."""
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * resource.getpagesize() / 2**30
    except (OSError, IndexError, ValueError):
        return 0.0


def _wait(proc, receive, spec: RunSpec, timeout: float | None) -> tuple[dict | None, str]:
    """Wait for the child's result, polling once a second for the time and memory limits."""
    deadline = time.perf_counter() + (timeout if timeout is not None else math.inf)
    while time.perf_counter() < deadline:
        if receive.poll(1.0):
            try:
                return receive.recv(), ""
            except EOFError:
                return None, f"crashed (exit code {proc.exitcode})"
        if spec.max_memory_gb is not None and rss_gib(proc.pid) > spec.max_memory_gb:
            return None, f"killed: resident memory above {spec.max_memory_gb:g} GiB"
        if not proc.is_alive() and not receive.poll(0):
            return None, f"crashed (exit code {proc.exitcode})"
    return None, f"timeout after {timeout:g} s"


def run_isolated(spec: RunSpec, timeout: float | None = None) -> dict:
    """:func:`measure` in a fresh spawned subprocess; a timeout, memory overrun or crash becomes a status."""
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(spec, send), daemon=True)
    proc.start()
    send.close()
    result, why = _wait(proc, receive, spec, timeout)
    proc.join(5.0)
    if proc.is_alive():
        proc.terminate()
        proc.join()
    return result if result is not None else {**asdict(spec), "status": why}


def median_run(runs: list[dict]) -> dict:
    """The field-wise median of repeated runs (numbers), the first run's value otherwise; ``repeat`` = count."""
    out = dict(runs[0])
    for key in runs[0]:
        numbers = [r.get(key) for r in runs]
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in numbers):
            out[key] = statistics.median(numbers)
    out["repeat"] = len(runs)
    return out


def run_spec(spec: RunSpec, repeat: int = 1, timeout: float | None = None, log=print) -> dict:
    """Run ``spec`` ``repeat`` times (each in its own subprocess) and return the median."""
    runs = []
    for k in range(repeat):
        result = run_isolated(spec, timeout)
        runs.append(result)
        log(f"  {spec.family} {spec.variant} n={spec.size} mode={spec.mode} [{k + 1}/{repeat}]: "
            f"{result.get('status')}, total {result.get('total', float('nan')):.2f} s")
        if "total" not in result:
            break
    return median_run(runs)


# ---------------------------------------------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------------------------------------------
def main_table(results: list[dict]) -> pd.DataFrame:
    """One row per size of the sharedeq variant: stage times (s), method, iterations, the floor (``lu_s``,
    ``floor_s``, ``floor_ratio`` = total / floor), residual, peak memory (MiB); with baselines in the same run,
    ``relax_ratio`` and ``naive_total_ratio`` (their total time / sharedeq's)."""
    rows = [r for r in results if r["variant"] == "sharedeq"]
    cols = ["size", "mcp_size", *TIME_FIELDS, "method", "iterations", *FLOOR_FIELDS, "residual", "peak_mib",
            "repeat", "status"]
    frame = pd.DataFrame([{c: r.get(c) for c in cols} for r in rows])
    by = {(r["size"], r["variant"]): r for r in results}
    for variant, column in (("relaxation", "relax_ratio"), ("naive", "naive_total_ratio")):
        if any(r["variant"] == variant for r in results):     # total time ratios, baseline / sharedeq
            frame[column] = [_ratio(by.get((r["size"], variant), {}).get("total"), r.get("total")) for r in rows]
    return frame.rename(columns={"reformulate": "derivs", "iterations": "iters", "mcp_size": "mcp"})


#: The issue's end-to-end targets on a 2-core machine: (family, mode, size) -> (seconds, GiB); residual < 1e-6.
TARGETS = {("river", "ve", 10_000): (30.0, None), ("river", "gne", 10_000): (120.0, None),
           ("river", "ve", 100_000): (300.0, 8.0)}


def target_table(family: str, mode: str, results: list[dict]) -> pd.DataFrame:
    """For each size with a target: the limits, what was measured, and met or missed (by what factor)."""
    out = []
    for r in results:
        limit = TARGETS.get((family, mode, r["size"]))
        if r["variant"] != "sharedeq" or limit is None:
            continue
        seconds, gib = limit
        total, peak = r.get("total", math.inf), r.get("peak_mib", math.nan) / 1024
        ok_res = r.get("residual", math.inf) < 1e-6
        verdict = "met" if total <= seconds and ok_res and (gib is None or peak <= gib) else \
            f"missed: {total / seconds:.2g}x the time" if ok_res else "missed: residual"
        out.append({"size": r["size"], "limit_s": seconds, "total_s": total, "limit_gib": gib, "peak_gib": peak,
                    "residual": r.get("residual"), "verdict": verdict})
    return pd.DataFrame(out)


def growth_table(results: list[dict], field: str = "kkt") -> pd.DataFrame:
    """Growth of ``field`` between consecutive sizes.

    ``per_doubling`` = ``(t2 / t1) ** (1 / log2(n2 / n1))`` (2.0 for linear time, 4.0 for quadratic);
    ``normalised`` = ``(t2 / t1) / (n2 / n1)`` (1.0 for linear time).
    """
    rows = sorted((r for r in results if r["variant"] == "sharedeq" and field in r), key=lambda r: r["size"])
    out = []
    for a, b in zip(rows, rows[1:], strict=False):
        size_ratio, time_ratio = b["size"] / a["size"], b[field] / a[field]
        out.append({"from": a["size"], "to": b["size"], f"{field}_ratio": time_ratio,
                    "per_doubling": time_ratio ** (1 / math.log2(size_ratio)),
                    "normalised": time_ratio / size_ratio})
    return pd.DataFrame(out)


def baseline_table(results: list[dict]) -> pd.DataFrame:
    """Per size: sharedeq vs the previous default chain (``relaxation``), the naive dense formulation and
    pyomo.mpec's mpec_nlp; ratios baseline / sharedeq.

    ``relaxation`` is compared on the total (build to solution: the build is the same, the methods differ);
    naive and mpec_nlp on the pipeline (``problem.solve`` wall time: KKT, derivatives, solve, verify, Solution)
    and naive also on the total with the Pyomo build.
    """
    by = {(r["size"], r["variant"]): r for r in results}
    out = []
    for size in sorted({r["size"] for r in results}):
        ours = by.get((size, "sharedeq"), {})
        relax = by.get((size, "relaxation"), {})
        naive = by.get((size, "naive"), {})
        mpec = by.get((size, "mpec_nlp"), {})
        row = {"size": size, "sharedeq_total_s": ours.get("total"), "relax_total_s": relax.get("total"),
               "relax_iters": relax.get("iterations"), "relax_ipopt_s": relax.get("ipopt_s"),
               "relax_status": relax.get("status", "not run"),
               "relax_ratio": _ratio(relax.get("total"), ours.get("total"))}
        row.update({"sharedeq_s": ours.get("pipeline"), "naive_s": naive.get("pipeline"),
               "naive_kkt_s": naive.get("kkt"), "naive_derivs_s": naive.get("reformulate"),
               "naive_solve_s": naive.get("solve"), "naive_status": naive.get("status", "not run")})
        row["naive_ratio"] = _ratio(naive.get("pipeline"), ours.get("pipeline"))
        row["naive_total_ratio"] = _ratio(naive.get("total"), ours.get("total"))
        row["naive_peak_mib"] = naive.get("peak_mib")
        row["mpec_export_s"] = mpec.get("export")
        row["mpec_nlp"] = mpec.get("status", "not run") if mpec.get("status") != "mpec_nlp + ipopt" \
            else f"{mpec['pipeline']:.2f} s (ratio {_ratio(mpec['pipeline'], ours.get('pipeline')):.2f})"
        out.append(row)
    return pd.DataFrame(out)


def _ratio(a, b):
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or b == 0:
        return float("nan")
    return a / b


def format_report(family: str, mode: str, results: list[dict]) -> str:
    """The tables for one family and mode as text."""
    fmt = {"display.width": 250, "display.max_columns": 60, "display.float_format": "{:.4g}".format}
    lines = [f"== {family}, mode {mode} =="]
    with pd.option_context(*(x for kv in fmt.items() for x in kv)):
        lines.append(main_table(results).to_string(index=False))
        growth = growth_table(results, "kkt")
        if len(growth):
            lines += ["", "KKT time growth between consecutive sizes (linear: per_doubling 2, normalised 1):",
                      growth.to_string(index=False)]
            total = growth_table(results, "total")
            lines += ["", "total time growth:", total.to_string(index=False)]
        targets = target_table(family, mode, results)
        if len(targets):
            lines += ["", "targets (end to end, residual < 1e-6):", targets.to_string(index=False)]
        if any(r["variant"] != "sharedeq" for r in results):
            lines += ["", "baselines (ratio = baseline time / sharedeq time):",
                      baseline_table(results).to_string(index=False)]
    return "\n".join(lines)
