"""``python -m benchmarks.sweep_speedup [--points 200] [--firms 3] [--workers 1,2] [--mode ve]``.

The speed-up of :func:`sharedeq.sweep` from one to more Dask worker processes, and what warm starts save: the
river basin (the 3 firms of ``cases/river_basin.py``, or ``--firms N`` of the generated family) with every
station limit scaled by ``scale``, over ``--points`` values of ``scale`` from 0.5 to 1.5.

Rows: the sweep in this process without Dask (warm-started, then cold), then a LocalCluster of each worker
count (processes, one thread each); medians of ``--repeats`` rounds, each round running every setup in turn.
``start`` is the cluster's start plus importing sharedeq on its workers; ``sweep`` the sweep itself; the
speed-ups divide the serial warm-started time by ``sweep`` and by ``start + sweep``; ``cpu s`` is the CPU time
the solving processes got (this one, or the workers together) and ``cores used`` its ratio to ``sweep s``. The
load average is printed before and after: on a shared machine other work takes cores, and ``cores used`` shows
how much was left.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import time

import numpy as np
import pandas as pd
import pyomo.environ as pyo

import sharedeq as sq


def build_river(scale=1.0, firms=3, mode="ve"):
    """The river basin with every station limit ``K_m`` replaced by ``scale * K_m``."""
    if firms == 3:
        from cases.river_basin import build_problem

        problem = build_problem(mode)
    else:
        from benchmarks.generators import river_annotate, river_model

        problem = river_annotate(river_model(firms))
    for station in problem.model.cons.values():
        station.set_value(station.body <= scale * pyo.value(station.upper))
    return problem


def measure(points: int, firms: int, workers: list[int], mode: str, repeats: int = 3) -> pd.DataFrame:
    """Median over ``repeats`` rounds; each round runs every setup once, in turn, so that a burst of other work
    on the machine falls on all of them alike. The clusters are started once, before the rounds."""
    from contextlib import ExitStack

    from dask.distributed import Client, LocalCluster

    grid = {"scale": np.linspace(0.5, 1.5, points), "firms": [firms]}
    sq.sweep(build_river, {"scale": [1.0], "firms": [firms]}, mode=mode, client="serial")   # imports, first calls
    with ExitStack() as stack:
        setups = [(f"serial, {'warm' if warm else 'cold'} start", 1, 0.0, "serial", warm) for warm in (True, False)]
        for n in workers:
            began = time.perf_counter()
            cluster = stack.enter_context(LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                                       dashboard_address=":0", silence_logs=logging.ERROR))
            client = stack.enter_context(Client(cluster))
            client.run(importlib.import_module, "sharedeq.solve")
            setups.append((f"LocalCluster, {n} worker{'s' if n > 1 else ''}", n, time.perf_counter() - began, client,
                           True))
        rows = []
        for _ in range(repeats):
            for run, n, start, client, warm in setups:
                rows.append({"run": run, "workers": n, "start s": start, **_timed(grid, mode, client, warm)})
    out = pd.DataFrame(rows).groupby(["run", "workers"], sort=False).median().reset_index()
    out[["iterations", "converged"]] = out[["iterations", "converged"]].astype(int)
    serial = out["sweep s"].iloc[0]
    out["speed-up"] = serial / out["sweep s"]
    out["speed-up with start"] = serial / (out["start s"] + out["sweep s"])
    out["cores used"] = out["cpu s"] / out["sweep s"]
    return out


def _timed(grid, mode, client, warm) -> dict:
    """One sweep: wall time, the CPU time of the processes that solved (this one, or the workers), iterations."""
    def cpu():
        return time.process_time() if client == "serial" else sum(client.run(time.process_time).values())

    began, used = time.perf_counter(), cpu()
    table = sq.sweep(build_river, grid, mode=mode, client=client, warm_start=warm)
    seconds = time.perf_counter() - began
    return {"sweep s": seconds, "cpu s": cpu() - used, "iterations": int(table["iterations"].sum()),
            "converged": int(table["converged"].sum())}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sweep_speedup", description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200, help="values of the limit scale, 0.5 to 1.5")
    parser.add_argument("--firms", type=int, default=3, help="3 (cases/river_basin.py) or N generated firms")
    parser.add_argument("--workers", default="1,2", help="worker counts of the LocalClusters, comma separated")
    parser.add_argument("--mode", default="ve", choices=["ve", "gne"])
    parser.add_argument("--repeats", type=int, default=3, help="rounds of every setup; medians are printed")
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} cores; load average before: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    table = measure(args.points, args.firms, [int(w) for w in args.workers.split(",")], args.mode, args.repeats)
    print(f"load average after: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"river basin, {args.firms} firms, {args.points} points, mode {args.mode}, medians of {args.repeats} rounds")
    print(table.to_string(index=False, float_format="{:.2f}".format))


if __name__ == "__main__":
    main()
