"""Scenario sweeps: one equilibrium per parameter point, solved in parallel on Dask, as one tidy DataFrame.

    table = sq.sweep(build_problem, {"K": np.linspace(50, 150, 21)}, mode=["ve", "gne"])

``build_problem(**point)`` builds the problem at each point of the grid (with ``mode=`` too when it takes a
``mode`` argument). The points of each mode are split into contiguous chunks, one Dask task per chunk; inside a
chunk each solve starts from the previous point's solution (its variables' values, matched by name), so
neighbouring points are warm-started where they run in sequence. Every point gives one row, a failed one too
(its status and the error text), never dropped.

From the command line: ``sharedeq sweep MODEL.py --grid K=50:150:21 --mode ve,gne [--workers N]
[--scheduler ADDRESS] [--csv FILE]`` (:func:`add_arguments`, :func:`run_command`).
"""

from __future__ import annotations

import inspect
import itertools
import math
import os
import time
from collections.abc import Mapping

from sharedeq.errors import ModelError, SolverUnavailable

#: The status of a point whose build or solve raised an exception (the ``error`` column says which).
ERROR = "ERROR"
#: Columns of every row besides the parameters and the solution's values.
HEAD_COLUMNS = ("mode", "status", "converged")
TAIL_COLUMNS = ("residual", "scaled_residual", "iterations", "seconds", "warm_started", "error")
MODES = ("ve", "gne", None)


def sweep(build_problem, grid, mode="ve", client=None, warm_start=True, workers=None, chunks=None,
          **solve_options):
    """Solve ``build_problem(**point)`` at every point of ``grid`` in every ``mode``; one row per (point, mode).

    grid: a dict ``name -> values`` (their Cartesian product, the last name varying fastest), or the points
        themselves as a DataFrame or a list of dicts.
    mode: "ve", "gne", None (as declared) or a list of them; passed to ``sharedeq.solve`` and, when
        ``build_problem`` takes a ``mode`` argument, to it as well.
    client: None (a Dask ``LocalCluster`` of ``workers`` processes, default ``min(solves, cores)``, started and
        closed here), a ``dask.distributed.Client`` or a scheduler address (the sweep runs there, unchanged),
        or "serial" (this process, in order; no Dask). ``client=None`` with ``workers=1`` is serial too.
    warm_start: start each solve of a chunk from the previous converged point's variable values (by name).
        Multipliers start from zero as in any solve.
    chunks: contiguous chunks per mode, one task each (default: 1 when serial, else twice the worker threads
        shared among the modes, at most one per point); more chunks balance the load, fewer warm-start more.
    solve_options: passed to :func:`sharedeq.solve` (``tol``, ``options``, ``verify``, ...). A progress bar
        counts the solves on stderr when it is a terminal (``verbose=0`` turns it off: :mod:`sharedeq.progress`).

    Returns a pandas DataFrame with the parameters, ``mode``, ``status`` (the headline, e.g.
    ``EQUILIBRIUM FOUND``, or ``ERROR`` when an exception was raised), ``converged``, every variable
    (``x[1]``), every multiplier (``cons[1].m``; ``cons[1].m[p1]`` for agent ``p1`` in generalized Nash mode),
    every agent's objective (``objective[p1]``, in the agent's own sense), the MCP ``residual`` and
    ``scaled_residual``, ``iterations``, ``seconds`` (build and solve), ``warm_started`` and ``error`` (why the
    point failed; empty when it converged). Values of a point that did not converge are NaN: they are not an
    equilibrium. A solution column whose name is also a parameter's is suffixed `` (solution)``.
    """
    if not callable(build_problem):
        raise ModelError(f"sweep() takes a function build_problem(**parameters) first, got "
                         f"{type(build_problem).__name__}")
    points = grid_points(grid)
    modes = _modes(mode)
    _check_parameters(build_problem, points)
    for name, count in (("workers", workers), ("chunks", chunks)):
        if count is not None and (not isinstance(count, int) or count < 1):
            raise ModelError(f"sweep(): {name} must be a positive whole number, got {count!r}")
    from sharedeq import progress

    serial = client == "serial" or client is None and workers == 1
    solves = len(points) * len(modes)
    with progress.run("sweep", solve_options.get("verbose"), total=solves, unit="solve") as bar:
        if serial:
            tasks = _tasks(build_problem, points, modes, chunks or 1, warm_start, solve_options)
            results = [solve_chunk(*task, on_point=bar.step) for task in tasks]
        else:
            results = _run_on_dask(client, workers, chunks, build_problem, points, modes, warm_start,
                                   {"verbose": 0, **solve_options}, bar.step)    # no bars drawn by workers
    return _table(points, modes, [row for chunk in results for row in chunk])


def grid_points(grid) -> list[dict]:
    """The points of ``grid``: the Cartesian product of a dict of value lists, or a DataFrame's / list's rows."""
    if isinstance(grid, Mapping):
        if not grid:
            raise ModelError("the grid is empty: give at least one parameter and its values, e.g. {'K': [50, 100]}")
        names, values = list(grid), []
        for name in names:
            items = grid[name]
            items = [items] if isinstance(items, str) or not hasattr(items, "__iter__") else list(items)
            if not items:
                raise ModelError(f"grid parameter '{name}' has no values")
            values.append([_plain(v) for v in items])
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]
    if hasattr(grid, "to_dict") and hasattr(grid, "columns"):
        grid = grid.to_dict("records")
    if isinstance(grid, list | tuple):
        if not grid:
            raise ModelError("the grid has no points")
        for k, point in enumerate(grid):
            if not isinstance(point, Mapping):
                raise ModelError(f"grid point {k} is a {type(point).__name__}, not a dict of parameter values")
        return [{name: _plain(v) for name, v in point.items()} for point in grid]
    raise ModelError(f"the grid must be a dict name -> values, a DataFrame or a list of dicts, got "
                     f"{type(grid).__name__}")


def _plain(value):
    """A numpy scalar as the Python number it holds (build_problem sees 50.0, not np.float64(50.0))."""
    return value.item() if hasattr(value, "item") and getattr(value, "ndim", None) == 0 else value


def _modes(mode) -> list:
    modes = list(mode) if isinstance(mode, list | tuple) else [mode]
    for m in modes:
        if m not in MODES:
            raise ModelError(f"unknown mode {m!r}: use 've', 'gne', None or a list of them")
    if not modes or len(set(modes)) < len(modes):
        raise ModelError(f"mode must name each mode once, got {mode!r}")
    return modes


def _check_parameters(build_problem, points) -> None:
    """Every grid parameter is an argument of ``build_problem`` and not a column name the sweep uses."""
    names = list(dict.fromkeys(name for point in points for name in point))
    for name in names:
        if name in HEAD_COLUMNS or name in TAIL_COLUMNS:
            hint = "give the modes as sweep(mode=[...])" if name == "mode" else "rename the parameter"
            raise ModelError(f"grid parameter '{name}' is also a column of the sweep's table: {hint}")
    try:
        parameters = inspect.signature(build_problem).parameters
    except (TypeError, ValueError):
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return
    accepted = [n for n, p in parameters.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    for name in names:
        if name not in accepted:
            raise ModelError(f"grid parameter '{name}': {getattr(build_problem, '__name__', 'build_problem')}() "
                             f"has no parameter '{name}'; it accepts {', '.join(accepted) or 'no arguments'}")


def _takes_mode(build_problem) -> bool:
    try:
        parameters = inspect.signature(build_problem).parameters
    except (TypeError, ValueError):
        return False
    return "mode" in parameters


def _tasks(build_problem, points, modes, chunks_per_mode, warm_start, solve_options) -> list[tuple]:
    """One task per contiguous chunk of each mode's points: (build_problem, mode, [(index, point)], ...)."""
    count = max(1, min(chunks_per_mode, len(points)))
    bounds = [round(k * len(points) / count) for k in range(count + 1)]
    indexed = list(enumerate(points))
    return [(build_problem, mode, indexed[lo:hi], warm_start, solve_options)
            for mode in modes for lo, hi in itertools.pairwise(bounds)]


def solve_chunk(build_problem, mode, points, warm_start=True, solve_options=None, on_point=None) -> list[dict]:
    """Solve the points of one chunk in order, each from the previous converged point's values when
    ``warm_start``; one record per point, ``on_point()`` called after each. A Dask task: it runs on a worker,
    gets ``build_problem`` as cloudpickle bytes, and returns plain data."""
    from sharedeq.problem import EquilibriumProblem
    from sharedeq.solve import solve

    if isinstance(build_problem, bytes):
        import cloudpickle

        build_problem = cloudpickle.loads(build_problem)
    mode_argument = {"mode": mode} if mode is not None and _takes_mode(build_problem) else {}
    start, rows = None, []
    for index, point in points:
        began = time.perf_counter()
        row = {"index": index, "point": point, "mode": mode, "warm_started": False, "values": {}}
        try:
            problem = build_problem(**point, **mode_argument)
            if not isinstance(problem, EquilibriumProblem):
                raise ModelError(f"build_problem({_describe(point)}) returned a {type(problem).__name__}, not a "
                                 f"sharedeq.EquilibriumProblem")
            if warm_start and start:
                row["warm_started"] = _set_values(problem.model, start) > 0
            solution = solve(problem, mode=mode, **(solve_options or {}))
        except Exception as err:    # recorded as the point's outcome; the sweep goes on
            rows.append({**row, "status": ERROR, "converged": False, "error": f"{type(err).__name__}: {err}",
                         "seconds": time.perf_counter() - began})
            if on_point is not None:
                on_point()
            continue
        rows.append({**row, **_record(solution), "seconds": time.perf_counter() - began})
        if on_point is not None:
            on_point()
        if solution.converged:
            start = {var.name: float(z) for var, z in zip(solution.mcp.pyomo_vars, solution.z, strict=True)
                     if var is not None}
    return rows


def _describe(point) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in point.items())


def _set_values(model, values) -> int:
    """Set the model's free variables named in ``values`` to those values; returns how many were set."""
    import pyomo.environ as pyo

    count = 0
    for var in model.component_data_objects(pyo.Var, descend_into=True):
        value = values.get(var.name)
        if value is not None and not var.fixed:
            var.set_value(value, skip_validation=True)
            count += 1
    return count


def _record(solution) -> dict:
    """A solution as plain data: status headline, residuals, and (when converged) its values by name."""
    from sharedeq.solution import HEADLINES

    out = {"status": HEADLINES[solution.status], "converged": bool(solution.converged),
           "residual": float(solution.residual), "scaled_residual": float(solution.scaled_residual),
           "iterations": int(solution.iterations), "values": {}, "error": ""}
    if not solution.converged:
        out["error"] = "; ".join([solution.message] + [f"diagnosis: {f.message}" for f in solution.diagnosis])
        return out
    variables = solution.variables
    variables = variables[variables["agent"] != "(definition)"]     # lifted aggregates: internal
    multipliers = solution.multipliers
    out["values"] = {
        "variable": dict(zip(variables["variable"], variables["value"].astype(float), strict=True)),
        "multiplier": dict(zip(multipliers["name"], multipliers["multiplier"].astype(float), strict=True)),
        "objective": {f"objective[{agent}]": float(v) for agent, v in solution.objective_values.items()}}
    return out


def _run_on_dask(client, workers, chunks, build_problem, points, modes, warm_start, solve_options, on_point) -> list:
    """Submit one task per chunk to ``client`` (a LocalCluster of ``workers`` processes when None); a chunk whose
    task failed (a worker that died) comes back as one failed record per point. ``on_point()`` is called once
    per point of each chunk as the chunk comes back."""
    try:
        import cloudpickle
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as err:
        raise SolverUnavailable("sweep() runs on Dask, which is not installed: pip install 'dask[distributed]', "
                                "or pass client='serial' to solve the points one after another here") from err
    import logging

    cluster = own_client = None
    try:
        if client is None:
            solves = len(points) * len(modes)
            workers = workers or min(solves, os.cpu_count() or 1)
            try:
                cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", silence_logs=logging.ERROR)
            except RuntimeError as err:
                raise RuntimeError(f"sweep(): the local Dask workers did not start ({err}). A program that starts "
                                   f"them must be a file whose top level is guarded by if __name__ == '__main__': "
                                   f"(not stdin); client='serial' runs without Dask") from err
            client = own_client = Client(cluster)
        elif isinstance(client, str):
            client = own_client = Client(client)
        elif not isinstance(client, Client):
            raise ModelError(f"client must be None, 'serial', a dask.distributed.Client or a scheduler address, "
                             f"got {type(client).__name__}")
        threads = sum(client.nthreads().values()) or 1
        per_mode = chunks or math.ceil(2 * threads / len(modes))
        shipped = cloudpickle.dumps(build_problem)   # by value where cloudpickle would (a model file, __main__)
        tasks = _tasks(shipped, points, modes, per_mode, warm_start, solve_options)
        futures = {client.submit(solve_chunk, *task, pure=False): task for task in tasks}
        results = []
        for future in as_completed(futures):
            task = futures[future]
            try:
                results.append(future.result())
            except Exception as err:
                results.append([{"index": index, "point": point, "mode": task[1], "status": ERROR,
                                 "converged": False, "warm_started": False, "values": {},
                                 "error": f"{type(err).__name__}: {err}"} for index, point in task[2]])
            for _ in task[2]:
                on_point()
        return results
    finally:
        if own_client is not None:
            own_client.close()
        if cluster is not None:
            cluster.close()


def _table(points, modes, rows):
    """The tidy frame: rows in mode order, then grid order; columns: parameters, mode, status, converged,
    variables, multipliers, objectives, then residuals, iterations, seconds, warm_started and error."""
    import pandas as pd

    order = {m: k for k, m in enumerate(modes)}
    rows = sorted(rows, key=lambda r: (order[r["mode"]], r["index"]))
    parameters = list(dict.fromkeys(name for point in points for name in point))
    values = [{name: v for part in row["values"].values() for name, v in part.items()} for row in rows]
    value_columns = list(dict.fromkeys(name for kind in ("variable", "multiplier", "objective")
                                       for row in rows for name in row["values"].get(kind, {})))
    rename = {c: f"{c} (solution)" for c in value_columns if c in parameters}
    records = []
    for row, row_values in zip(rows, values, strict=True):
        record = {**row["point"], **{c: row.get(c) for c in HEAD_COLUMNS}}
        record.update({rename.get(c, c): row_values.get(c, math.nan) for c in value_columns})
        record.update({c: row.get(c, math.nan) for c in TAIL_COLUMNS})
        records.append(record)
    columns = parameters + list(HEAD_COLUMNS) + [rename.get(c, c) for c in value_columns] + list(TAIL_COLUMNS)
    table = pd.DataFrame.from_records(records, columns=columns)
    table["iterations"] = table["iterations"].astype("Int64")       # missing where an exception was raised
    return table


# ---------------------------------------------------------------------------------------------- command line
def add_arguments(parser) -> None:
    """The options of ``sharedeq sweep``."""
    parser.add_argument("model", help="a Python file defining build_problem(**kwargs)")
    parser.add_argument("--grid", action="append", required=True, metavar="NAME=VALUES",
                        help="a keyword argument of build_problem and its values: start:stop:count (count evenly "
                             "spaced values, both ends included) or a list 1,2,5; repeat for a Cartesian product")
    parser.add_argument("--mode", default="ve", help="ve, gne, or both as ve,gne (default: ve)")
    parser.add_argument("--arg", action="append", metavar="KEY=VALUE",
                        help="a keyword argument for build_problem that is the same at every point")
    parser.add_argument("--workers", type=int, metavar="N",
                        help="local worker processes (default: one per core, at most one per solve); 1 solves "
                             "the points in this process, without Dask")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run on this Dask scheduler (e.g. tcp://10.0.0.5:8786) instead of local processes")
    parser.add_argument("--chunks", type=int, metavar="N",
                        help="contiguous chunks of the grid per mode, one task each (default: twice the workers)")
    parser.add_argument("--no-warm-start", action="store_true",
                        help="start every solve from the model's initial values, not from the previous point")
    parser.add_argument("--csv", metavar="FILE", help="write the table (one row per point and mode) as CSV")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar on stderr")


def run_command(args) -> int:
    """``sharedeq sweep``: exit status 0 when every point converged, 1 when some did not, 2 for bad input."""
    import functools
    import shutil
    import sys

    import pandas as pd

    grid = parse_grid(args.grid)
    modes = [m.strip() for m in args.mode.split(",")]
    if any(m not in ("ve", "gne") for m in modes):
        raise ModelError(f"--mode expects ve, gne or ve,gne, got {args.mode!r}")
    fixed = {}
    for item in args.arg or []:
        key, sep, text = item.partition("=")
        if not sep:
            raise ModelError(f"--arg expects key=value, got {item!r}")
        fixed[key.strip()] = _literal(text)
    both = sorted(set(fixed) & set(grid))
    if both:
        raise ModelError(f"'{both[0]}' is given by both --grid and --arg; keep one")
    for option in ("workers", "chunks"):
        if getattr(args, option) is not None and getattr(args, option) < 1:
            raise ModelError(f"--{option} must be at least 1, got {getattr(args, option)}")
    client = args.scheduler or ("serial" if args.workers == 1 else None)
    build = _model_builder(args.model, by_value=client != "serial")
    builder = functools.partial(build, **fixed) if fixed else build
    began = time.perf_counter()
    table = sweep(builder, grid, mode=modes, client=client, warm_start=not args.no_warm_start,
                  workers=args.workers, chunks=args.chunks, **({"verbose": 0} if args.quiet else {}))
    seconds = time.perf_counter() - began
    if args.csv:
        from pathlib import Path

        Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.csv, index=False)
    from sharedeq.solution import HEADLINES, STRENGTH

    found = table["status"].value_counts()
    counts = ", ".join(f"{found[s]} {s}" for s in [*(HEADLINES[s] for s in STRENGTH), ERROR] if s in found)
    where = f"on {args.scheduler}" if args.scheduler else "in this process" if client == "serial" else \
        "on local worker processes"
    print(f"sweep of {args.model}: {len(table)} solves ({len(table) // len(modes)} points x {len(modes)} "
          f"mode{'s' if len(modes) > 1 else ''}) in {seconds:.1f} s {where}: {counts}")
    shown = table.drop(columns=["scaled_residual", "warm_started", "error"])
    width = shutil.get_terminal_size((120, 24)).columns
    with pd.option_context("display.width", width, "display.max_columns", 12, "display.max_rows", 60,
                           "display.float_format", "{:.6g}".format):
        print(shown.to_string(max_cols=12, max_rows=60))
    if len(shown.columns) > 12:
        print(f"({len(table.columns)} columns in all{f': {args.csv}' if args.csv else '; --csv FILE writes them'})")
    failed = table[~table["converged"]]
    for _, row in failed.iterrows():
        point = ", ".join(f"{name}={row[name]}" for name in grid)
        print(f"failed: {point} ({row['mode']}): {row['status']}: {row['error']}")
    if args.csv:
        print(f"wrote {args.csv}")
    sys.stdout.flush()
    return 0 if failed.empty else 1


def parse_grid(items) -> dict:
    """``["K=50:150:21", "N=1,2,5"]`` -> ``{"K": [50.0, 55.0, ..., 150.0], "N": [1, 2, 5]}``."""
    import numpy as np

    grid = {}
    for item in items:
        name, sep, spec = item.partition("=")
        name = name.strip()
        if not sep or not name or not spec.strip():
            raise ModelError(f"--grid expects NAME=start:stop:count or NAME=v1,v2,..., got {item!r}")
        if name in grid:
            raise ModelError(f"--grid gives '{name}' twice")
        if ":" in spec:
            parts = spec.split(":")
            try:
                start, stop, count = float(parts[0]), float(parts[1]), int(parts[2])
                if len(parts) != 3 or count < 1:
                    raise ValueError
            except (ValueError, IndexError):
                raise ModelError(f"--grid {item!r}: start:stop:count needs two numbers and a whole count of at "
                                 f"least 1, e.g. {name}=50:150:21") from None
            grid[name] = [float(v) for v in np.linspace(start, stop, count)]
        else:
            grid[name] = [_literal(text) for text in spec.split(",")]
    return grid


def _literal(text):
    """A command-line value as Python reads it (``2`` an int, ``2.5`` a float, ``'a'`` or ``a`` a string)."""
    import ast

    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        return text.strip()


def _model_builder(path, by_value=True):
    """The ``build_problem`` of the model file at ``path``; ``by_value``: shipped to Dask workers by value, so
    that they need not be able to import the file."""
    from sharedeq.cli import load_builder

    module, build = load_builder(path)
    if by_value and getattr(build, "__module__", None) == module.__name__:
        try:
            import cloudpickle
        except ImportError:     # no Dask either: sweep() says so
            return build
        cloudpickle.register_pickle_by_value(module)
    return build
