"""Time benchmark families: one fresh subprocess per run, so that peak memory belongs to that run alone.

A *run* builds one instance (Pyomo model, then annotation), solves it and reports, in seconds: ``build``
(the Pyomo model), ``annotate`` (agents and shared constraints declared on an EquilibriumProblem), ``kkt``
(``solution.timings['kkt']``: translation and KKT assembly), ``reformulate`` (``timings['reformulate']``:
relaxed NLP and its derivative functions), ``solve`` (``timings['solve']``: nlpsol construction and the Ipopt
runs), ``other`` (the rest of ``problem.solve()``: Solution.build, loading values), ``total``; Ipopt
iterations, the MCP residual, and the peak resident memory of the subprocess (``ru_maxrss``, MiB; includes
the ~150 MiB of imported libraries).

Variants of a run (``--baselines``):

* ``sharedeq``: ``problem.solve(mode)`` with shared aggregates lifted (``lift="auto"``).
* ``naive``: the same data with the aggregate written inline in every objective (``inline=True``) and
  ``lift="none"``: the dense, symbolic formulation.
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

import pandas as pd

VARIANTS = ("sharedeq", "naive", "mpec_nlp")
TIME_FIELDS = ("build", "annotate", "kkt", "reformulate", "solve", "other", "total")
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


def _solve(problem, spec: RunSpec) -> dict:
    """``problem.solve`` with the variant's lifting; the timings, iterations and residual it reports."""
    lift = "none" if spec.variant == "naive" else "auto"
    options = None if spec.ipopt_max_wall is None else {"max_wall_time": float(spec.ipopt_max_wall)}
    start = time.perf_counter()
    sol = problem.solve(mode=spec.mode, lift=lift, options=options)
    wall = time.perf_counter() - start
    t = sol.timings
    return {"kkt": t["kkt"], "reformulate": t["reformulate"], "solve": t["solve"],
            "other": wall - t["kkt"] - t["reformulate"] - t["solve"], "pipeline": wall,
            "iterations": sol.iterations, "residual": sol.residual, "converged": sol.converged,
            "status": _status(sol), "mcp_size": sol.mcp.size}


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


def measure(spec: RunSpec) -> dict:
    """Build, solve and time one run in this process; a dict of plain numbers and strings."""
    _preload()

    problem, times = _build(spec)
    result = _mpec_nlp(problem, spec) if spec.variant == "mpec_nlp" else _solve(problem, spec)
    result.update(times)
    result["total"] = times["build"] + times["annotate"] + result.get("pipeline", float("nan"))
    result["peak_mib"] = peak_rss_mib()
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
    """One row per size of the sharedeq variant: times (s), iterations, residual, peak memory (MiB)."""
    rows = [r for r in results if r["variant"] == "sharedeq"]
    cols = ["size", "mcp_size", *TIME_FIELDS, "iterations", "residual", "peak_mib", "repeat", "status"]
    frame = pd.DataFrame([{c: r.get(c) for c in cols} for r in rows])
    return frame.rename(columns={"reformulate": "reform", "iterations": "iters", "mcp_size": "mcp"})


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
    """Per size: sharedeq vs the naive dense formulation vs pyomo.mpec's mpec_nlp; ratios baseline / sharedeq.

    Times compared are the pipeline (``problem.solve`` wall time: KKT, reformulation, Ipopt, Solution) and the
    total with the Pyomo build.
    """
    by = {(r["size"], r["variant"]): r for r in results}
    out = []
    for size in sorted({r["size"] for r in results}):
        ours = by.get((size, "sharedeq"), {})
        naive = by.get((size, "naive"), {})
        mpec = by.get((size, "mpec_nlp"), {})
        row = {"size": size, "sharedeq_s": ours.get("pipeline"), "naive_s": naive.get("pipeline"),
               "naive_kkt_s": naive.get("kkt"), "naive_reform_s": naive.get("reformulate"),
               "naive_solve_s": naive.get("solve"), "naive_status": naive.get("status", "not run")}
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
    fmt = {"display.width": 200, "display.max_columns": 40, "display.float_format": "{:.4g}".format}
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
