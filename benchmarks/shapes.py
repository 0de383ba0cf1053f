"""Models of other shapes: KKT assembly time, iterations of the default solve, and Ipopt iterations against the
first relaxation parameter.

    python -m benchmarks.shapes kkt transport:10000:ve river:10000:ve      # build_mcp CPU seconds
    python -m benchmarks.shapes iterations transport:1000:ve transport:10000:ve   # the default solve's iterations
    python -m benchmarks.shapes eps transport:1000:ve river:1000:gne       # iterations for each first eps

Each argument is ``family:size:mode`` (families of :mod:`benchmarks.generators`). ``kkt`` times
:func:`sharedeq.build_mcp` alone in CPU seconds (``time.process_time``), which shared machines disturb less
than wall time. ``iterations`` runs the default solve (``verify=False``) in a fresh process per spec and prints
the method that solved it, its iterations (interior point plus Ipopt, if the relaxation ran), the residual and
the stage times. ``eps`` solves with ``verify=False`` and the relaxation ladder started at 1e-2 (the default),
1, 100 and 1e4, and prints the Ipopt iterations (first stage plus polish; ``!`` = not converged) and seconds.
"""

from __future__ import annotations

import argparse
import time
import warnings

from benchmarks.generators import generate

FIRST_EPS = (1e-2, 1.0, 100.0, 1e4)
LADDER = (1e-2, 1e-4, 1e-6, 1e-8, 1e-10)


def _specs(texts):
    for text in texts:
        family, size, mode = text.split(":")
        yield family, int(size), mode


def kkt_seconds(specs) -> None:
    from sharedeq.kkt import build_mcp

    for family, size, mode in specs:
        problem = generate(family, size)
        start = time.process_time()
        mcp = build_mcp(problem, mode=mode)
        print(f"{family:15s} {size:>7d} {mode:4s} kkt_cpu {time.process_time() - start:7.2f} s  pairs {mcp.size}",
              flush=True)


def solve_iterations(specs) -> None:
    """One fresh subprocess per spec (no memory or cache carried over), one line each."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    for spec in specs:
        with context.Pool(1) as pool:
            print(pool.apply(_solve_line, spec), flush=True)


def _solve_line(family, size, mode) -> str:
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    problem = generate(family, size)
    build = time.perf_counter() - start
    solution = problem.solve(mode=mode, verify=False)
    t = solution.timings
    return (f"{family:15s} {size:>7d} {mode:4s} pairs {solution.mcp.size:>8d} {solution.method:15s} "
            f"iterations {solution.iterations:4d} residual {solution.residual:8.1e} {solution.status:14s} "
            f"build {build:6.2f} kkt {t.get('kkt', 0):6.2f} jac+reform {t.get('reformulate', 0):6.2f} "
            f"solve {t.get('solve', 0):6.2f} s")


def first_eps_iterations(specs, max_iter=1500) -> None:
    warnings.simplefilter("ignore")
    for family, size, mode in specs:
        cells = []
        for first in FIRST_EPS:
            ladder = (first,) + tuple(e for e in LADDER if e < first)
            problem = generate(family, size)
            start = time.perf_counter()
            solution = problem.solve(mode=mode, verify=False, eps_schedule=ladder, options={"max_iter": max_iter})
            iterations = int(solution.steps["iterations"].sum())
            cells.append(f"eps0={first:g}: {iterations:4d}{'' if solution.converged else '!'} "
                         f"({time.perf_counter() - start:5.1f} s)")
        print(f"{family:15s} {size:>7d} {mode:4s}", " | ".join(cells), flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["kkt", "iterations", "eps"],
                        help="kkt: build_mcp CPU time; iterations: the default solve; eps: iterations per first eps")
    parser.add_argument("specs", nargs="+", help="family:size:mode, e.g. transport:1000:ve")
    args = parser.parse_args(argv)
    run = {"kkt": kkt_seconds, "iterations": solve_iterations, "eps": first_eps_iterations}[args.what]
    run(list(_specs(args.specs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
