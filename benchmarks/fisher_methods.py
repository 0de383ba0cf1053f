"""Linear Fisher markets: Eisenberg-Gale (a), the sharedeq equilibrium problem (b) and DPSV (c) compared.

Every run uses ``FisherMarket.random(n, m, seed, density)`` and happens in a forked process, so that its peak
memory can be read: ``peak MiB`` is the child's peak resident set size (``ru_maxrss``) minus its size at the
start, i.e. what the method itself allocated, C++ (Ipopt, casadi) included. Times are wall-clock medians over
``--repeat`` runs and include building the model. ``max rel dp`` is ``max_j |p_j - ref_j| / ref_j`` against
DPSV's exact prices where (c) ran at that size, else against (a); ``residual`` is
:func:`sharedeq.markets.fisher.equilibrium_residuals` (clearing, budgets, MBB; relative). ``x (a)`` is the time
relative to (a) at the same size.

Run ``python -m benchmarks.fisher_methods --sizes 50x20 200x50 1000x500 --sharedeq 50x20 200x50 --dpsv 50x20``.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import statistics
import time

import numpy as np
import pandas as pd

from sharedeq.markets.fisher import FisherMarket, dpsv, eisenberg_gale, equilibrium_residuals, solve_fisher_equilibrium
from sharedeq.progress import track

METHODS = {"eisenberg_gale": eisenberg_gale, "sharedeq": solve_fisher_equilibrium, "dpsv": dpsv}


def _rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def _child(method, market, conn) -> None:
    """Run one method; send (seconds, iterations, prices, residual, success, peak KiB above the start)."""
    os.environ["SHAREDEQ_PROGRESS"] = "0"       # the parent draws the progress line; the run is timed undisturbed
    start_rss = _rss_kib()
    start = time.perf_counter()
    result = METHODS[method](market)
    seconds = time.perf_counter() - start
    prices = np.asarray(result.prices, dtype=float)
    residual = float(equilibrium_residuals(market, result.prices, result.allocation).max)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start_rss
    conn.send((seconds, result.iterations, prices, residual, result.success, peak))
    conn.close()


def run_once(method: str, market: FisherMarket) -> tuple:
    """One run of ``method`` in a forked process (Linux: ``ru_maxrss`` in KiB)."""
    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(method, market, send))
    process.start()
    send.close()
    out = receive.recv()
    process.join()
    return out


def parse_size(text: str) -> tuple[int, int]:
    n, m = text.lower().split("x")
    return int(n), int(m)


def compare(sizes, sharedeq_sizes, dpsv_sizes, density=0.1, seed=0, repeat=3) -> pd.DataFrame:
    """One row per (size, method): median seconds and peak memory, iterations, price error, residual."""
    warm_up = FisherMarket([[2, 1], [1, 2]], [1, 3])
    for method in METHODS.values():  # load Ipopt and casadi's plugins once, before forking
        method(warm_up)
    rows = []
    for size in track(sizes, "Fisher markets", unit="size"):
        n, m = parse_size(size)
        market = FisherMarket.random(n, m, seed, density=density)
        methods = ["eisenberg_gale"] + [k for k, s in (("sharedeq", sharedeq_sizes), ("dpsv", dpsv_sizes)) if size in s]
        results = {}
        for method in methods:
            runs = [run_once(method, market) for _ in range(repeat)]
            results[method] = (statistics.median(r[0] for r in runs), runs[-1][1], runs[-1][2], runs[-1][3],
                               all(r[4] for r in runs), statistics.median(r[5] for r in runs) / 1024)
        reference = "dpsv" if "dpsv" in results else "eisenberg_gale"
        ref = results[reference][2]
        for method, (seconds, iterations, prices, residual, success, peak) in results.items():
            rows.append({"size": size, "nnz(U)": int(np.count_nonzero(market.utilities)), "method": method,
                         "seconds": seconds, "x (a)": seconds / results["eisenberg_gale"][0],
                         "iterations": iterations, "reference": reference,
                         "max rel dp": float(np.max(np.abs(prices - ref) / ref)), "residual": residual,
                         "peak MiB": peak, "success": success})
    return pd.DataFrame(rows)


def main(argv=None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["50x20", "200x50", "1000x500"],
                        help="buyers x goods; (a) runs on all of them")
    parser.add_argument("--sharedeq", nargs="*", default=["50x20", "200x50"], help="sizes on which (b) runs too")
    parser.add_argument("--dpsv", nargs="*", default=["50x20"], help="sizes on which (c) runs too")
    parser.add_argument("--density", type=float, default=0.1, help="share of u_ij > 0")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3, help="runs per method and size (medians reported)")
    args = parser.parse_args(argv)
    table = compare(args.sizes, args.sharedeq, args.dpsv, args.density, args.seed, args.repeat)
    print(f"linear Fisher markets, density {args.density}, seed {args.seed}, medians of {args.repeat} run(s)")
    with pd.option_context("display.width", 160, "display.float_format", "{:.3g}".format):
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
