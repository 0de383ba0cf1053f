"""Where the time goes: the solving chain run piece by piece on one benchmark instance.

``python -m benchmarks.profile river --size 10000 --mode ve [--cprofile 30] [--verify]`` prints

1. the pipeline's pieces, timed directly: Pyomo build, annotation, ``build_mcp`` (KKT), ``relax``
   (reformulation), ``nlpsol`` construction (one per Ipopt stage), every Ipopt run, ``Solution.build`` and the
   result tables (``variables``, ``multipliers``, ``residuals``, ``objective_values``, ``summary``, ``to_dict``,
   and with ``--verify`` ``kkt_check``);
2. *exclusive* times inside ``build_mcp`` and ``relax`` from light instrumentation (timers wrapped around the
   translator, the KKT builder's methods, and the casadi calls those modules make; each second is counted
   once, in the innermost timed call);
3. casadi's ``solver.stats()`` per Ipopt run: wall time in Ipopt's callbacks (``t_wall_nlp_*``) and in Ipopt
   itself (the call's wall time minus the callbacks: linear algebra, MUMPS);
4. with ``--cprofile K``: the K top functions by own time under cProfile (which inflates Python-heavy code
   roughly threefold, so read it for *where*, and the instrumented table for *how much*).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import functools
import pstats
import time

import pandas as pd

from benchmarks.generators import FAMILIES
from benchmarks.runner import peak_rss_mib


class Stopwatch:
    """Exclusive wall time per label: time spent inside a nested timed call is charged to the inner label."""

    def __init__(self):
        self.own: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._stack: list[list] = []

    def wrap(self, label: str, fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            frame = [label, time.perf_counter(), 0.0]  # label, start, time of nested timed calls
            self._stack.append(frame)
            try:
                return fn(*args, **kwargs)
            finally:
                self._stack.pop()
                elapsed = time.perf_counter() - frame[1]
                self.own[label] = self.own.get(label, 0.0) + elapsed - frame[2]
                self.calls[label] = self.calls.get(label, 0) + 1
                if self._stack:
                    self._stack[-1][2] += elapsed

        return timed

    def table(self, total: float | None = None) -> pd.DataFrame:
        frame = pd.DataFrame({"seconds": self.own, "calls": self.calls}).sort_values("seconds", ascending=False)
        if total is not None:
            frame.loc["(untimed remainder)"] = [total - frame["seconds"].sum(), 0]
        frame.index.name = "piece (exclusive)"
        return frame


class _TimedCasadi:
    """Stands in for the ``casadi`` module inside one sharedeq module: named functions are timed."""

    def __init__(self, module, names, stopwatch, prefix):
        self._module = module
        self._timed = {n: stopwatch.wrap(f"{prefix}casadi.{n}", getattr(module, n)) for n in names}

    def __getattr__(self, name):
        return self._timed.get(name) or getattr(self._module, name)


KKT_METHODS = ("_pieces", "_claim", "_assemble", "_initial_point", "_shared_constraints", "_agent", "_lift", "build")
STATIONARITY_METHODS = ("_direct", "_total_gradients", "_chain", "_own_terms", "_shared_terms", "_weighted", "rows")
KKT_CASADI = ("jacobian", "jacobian_sparsity", "symvar", "vertcat", "mtimes", "Function", "substitute",
              "depends_on")
RELAX_CASADI = ("jacobian", "hessian", "Function", "vertcat", "dot", "triu", "sum1")


@contextlib.contextmanager
def instrumented(stopwatch: Stopwatch):
    """Patch timers into sharedeq.kkt, sharedeq.translate and sharedeq.reformulate; restore them on exit."""
    import casadi

    from sharedeq import kkt, problem, reformulate, translate

    patches = [(kkt._KKTBuilder, name, f"kkt.{name}") for name in KKT_METHODS]
    patches += [(kkt._Stationarity, name, f"kkt.stationarity.{name}") for name in STATIONARITY_METHODS]
    patches += [(translate.Translator, "__call__", "translate (Translator.__call__)"),
                (problem.EquilibriumProblem, "shared_of", "problem.shared_of"),
                (kkt, "_aggregates", "kkt._aggregates"), (kkt, "validate", "validate")]
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in patches]
    saved += [(kkt, "ca", kkt.ca), (reformulate, "ca", reformulate.ca)]
    try:
        for owner, name, label in patches:
            setattr(owner, name, stopwatch.wrap(label, getattr(owner, name)))
        kkt.ca = _TimedCasadi(casadi, KKT_CASADI, stopwatch, "kkt: ")
        reformulate.ca = _TimedCasadi(casadi, RELAX_CASADI, stopwatch, "relax: ")
        yield stopwatch
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


class _RecordingIpopt:
    """A CasadiIpopt that keeps ``solver.stats()`` of every run."""

    def __init__(self, engine):
        self.engine = engine
        self.name = engine.name
        self.stats: list[dict] = []

    def solve(self, stage, *args, **kwargs):
        raw = self.engine.solve(stage, *args, **kwargs)
        stats = self.engine._solver(stage).stats()
        self.stats.append({"stage": stage, "iterations": raw.iterations, "status": raw.status, "wall": raw.seconds,
                           **{k: v for k, v in stats.items() if k.startswith(("t_wall", "n_call"))}})
        return raw


def ipopt_table(stats: list[dict]) -> pd.DataFrame:
    """Per Ipopt run: wall time of the call, time in each callback, and the rest (Ipopt itself: MUMPS etc.)."""
    frame = pd.DataFrame(stats)
    callbacks = [c for c in frame.columns if c.startswith("t_wall_nlp_") and frame[c].any()]
    frame["ipopt_own"] = frame["wall"] - frame[callbacks].sum(axis=1)
    keep = ["stage", "iterations", "status", "wall", *callbacks, "ipopt_own"]
    keep += [c for c in frame.columns if c.startswith("n_call_nlp_") and frame[c].any()]
    return frame[keep]


def _timed(pieces: dict, label: str, fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    pieces[label] = time.perf_counter() - start
    return out


def breakdown(family: str, n: int, mode: str = "ve", m: int = 10, seed: int = 0, verify: bool = False,
              method: str = "interior") -> dict:
    """Run the chain piece by piece (instrumented); returns tables of pieces, exclusive times and Ipopt stats.

    method: "interior" (the default chain: MCPJacobian, then the interior-point method) or "relaxation" (the
    relaxed NLP and Ipopt's tightening loop with the Newton polish)."""
    from sharedeq.kkt import build_mcp
    from sharedeq.solution import Solution

    fam, pieces, kkt_watch, relax_watch = FAMILIES[family], {}, Stopwatch(), Stopwatch()
    model = _timed(pieces, "Pyomo build", fam.model, n, m, seed, False)
    problem = _timed(pieces, "annotate", fam.annotate, model)
    with instrumented(kkt_watch):
        mcp = _timed(pieces, "build_mcp (KKT)", build_mcp, problem, mode=mode)
    if method == "interior":
        steps, z, stats, backend = _interior_chain(mcp, pieces)
    else:
        with instrumented(relax_watch):
            steps, z, stats, backend = _relaxation_chain(mcp, pieces)
    sol = _timed(pieces, "Solution.build", Solution.build, problem, mcp, z, steps, {"kkt": 0, "reformulate": 0,
                 "solve": 0}, mode, None, 1e-8, backend)
    for table in ("variables", "multipliers", "residuals", "objective_values"):
        _timed(pieces, f"Solution.{table}", getattr, sol, table)
    _timed(pieces, "Solution.summary()", sol.summary)
    _timed(pieces, "Solution.to_dict()", sol.to_dict)
    if verify:
        from sharedeq.verify import kkt_check

        _timed(pieces, "kkt_check", kkt_check, problem, sol)
        _timed(pieces, "second-order check", sol.check_second_order)
    frame = pd.DataFrame({"seconds": pieces})
    frame.index.name = "piece"
    relax_total = pieces.get("relax (reformulate)")
    return {"pieces": frame, "kkt": kkt_watch.table(pieces["build_mcp (KKT)"]),
            "relax": relax_watch.table(relax_total) if relax_total is not None else None,
            "ipopt": ipopt_table(stats) if method == "relaxation" else pd.DataFrame(stats),
            "solution": sol, "peak_mib": peak_rss_mib(), "mcp": mcp}


def _interior_chain(mcp, pieces):
    """MCPJacobian and the interior-point method, the factorisation and Jacobian calls timed apart."""
    from sharedeq import interior
    from sharedeq.jacobian import MCPJacobian
    from sharedeq.solution import SCALED_TOL
    from sharedeq.solve import _Acceptance, _interior_step

    jacobian = _timed(pieces, "MCPJacobian (derivatives)", MCPJacobian, mcp)
    inner = Stopwatch()
    saved = (jacobian.dF_dz, mcp.evaluate, interior.sparse_lu)
    jacobian.dF_dz = inner.wrap("dF/dz", jacobian.dF_dz)
    mcp.evaluate = inner.wrap("F(z)", mcp.evaluate)
    interior.sparse_lu = inner.wrap("sparse LU (order + factorise)", interior.sparse_lu)
    try:
        result = _timed(pieces, "interior point (with polish)", interior.interior_point, mcp, jacobian,
                        accept=_Acceptance(mcp, jacobian, 1e-8, SCALED_TOL))
    finally:
        jacobian.dF_dz, mcp.evaluate, interior.sparse_lu = saved
    stats = [{"piece": k, "seconds": v, "calls": inner.calls[k]} for k, v in inner.own.items()]
    stats.append({"piece": "iterations", "seconds": float("nan"), "calls": result.iterations})
    return [_interior_step(result)], result.z, stats, "interior point"


def _relaxation_chain(mcp, pieces):
    """The relaxed NLP, one nlpsol per stage, Ipopt's tightening loop with the Newton polish."""
    from sharedeq.backends.casadi_ipopt import CasadiIpopt
    from sharedeq.reformulate import relax
    from sharedeq.solution import SCALED_TOL
    from sharedeq.solve import EPS_SCHEDULE, NEWTON_FROM, _Acceptance, _tighten_and_polish

    nlp = _timed(pieces, "relax (reformulate)", relax, mcp)
    engine = CasadiIpopt(nlp)
    for stage in ("relax", "warm"):
        _timed(pieces, f"nlpsol construction ({stage})", engine._solver, stage)
    recorder = _RecordingIpopt(engine)
    accept = _Acceptance(mcp, nlp, 1e-8, SCALED_TOL)
    steps, z = _timed(pieces, "Ipopt runs + Newton polish", _tighten_and_polish, mcp, nlp, recorder, accept,
                      EPS_SCHEDULE, True, NEWTON_FROM)
    return steps, z, recorder.stats, "casadi"


def hotspots(fn, *args, top: int = 30, **kwargs) -> pd.DataFrame:
    """cProfile ``fn(*args, **kwargs)``; the ``top`` functions by own time, with file:line and cumulative time."""
    profiler = cProfile.Profile()
    profiler.runcall(fn, *args, **kwargs)
    stats = pstats.Stats(profiler).stats
    rows = [{"function": f"{path.split('site-packages/')[-1].split('/work/main/')[-1]}:{line}({name})",
             "calls": calls, "tottime": tot, "cumtime": cum}
            for (path, line, name), (_, calls, tot, cum, _) in stats.items()]
    return pd.DataFrame(rows).sort_values("tottime", ascending=False).head(top).reset_index(drop=True)


def _profiled_chain(family, n, mode, m, seed):
    """Build, KKT, relax and one cold Ipopt run: the part of the chain cProfile is asked about."""
    from sharedeq.backends.casadi_ipopt import CasadiIpopt
    from sharedeq.kkt import build_mcp
    from sharedeq.reformulate import relax

    fam = FAMILIES[family]
    problem = fam.annotate(fam.model(n, m, seed, False))
    mcp = build_mcp(problem, mode=mode)
    nlp = relax(mcp)
    CasadiIpopt(nlp).solve("relax", nlp.start(mcp, mcp.z0), nlp.lbx, nlp.ubx, 1e-2)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__.splitlines()[0])
    parser.add_argument("family", choices=list(FAMILIES))
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--mode", choices=["ve", "gne"], default="ve")
    parser.add_argument("--m", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--method", choices=["interior", "relaxation"], default="interior",
                        help="the chain to time: the default (interior point) or the relaxation with Ipopt")
    parser.add_argument("--verify", action="store_true", help="also time sharedeq.kkt_check and the second-order check")
    parser.add_argument("--cprofile", type=int, default=0, metavar="K", help="print the K top cProfile entries")
    args = parser.parse_args(argv)
    out = breakdown(args.family, args.size, args.mode, args.m, args.seed, args.verify, args.method)
    sol = out["solution"]
    with pd.option_context("display.width", 200, "display.max_columns", 30, "display.float_format",
                           "{:.4g}".format, "display.max_colwidth", 90):
        print(f"== {args.family} n={args.size} m={args.m} mode={args.mode}: {out['mcp'].summary()}; "
              f"{sol.status}, residual {sol.residual:.2e}; peak RSS {out['peak_mib']:.0f} MiB ==")
        print(out["pieces"].to_string(), end="\n\n")
        print("inside build_mcp:", out["kkt"].to_string(), sep="\n", end="\n\n")
        if out["relax"] is not None:
            print("inside relax:", out["relax"].to_string(), sep="\n", end="\n\n")
            print("Ipopt runs (casadi solver.stats()):", out["ipopt"].to_string(index=False), sep="\n", end="\n\n")
        else:
            print("inside the interior point:", out["ipopt"].to_string(index=False), sep="\n", end="\n\n")
        if args.cprofile:
            table = hotspots(_profiled_chain, args.family, args.size, args.mode, args.m, args.seed,
                             top=args.cprofile)
            print("cProfile, build + KKT + relax + one cold Ipopt run, top by own time:", table.to_string(),
                  sep="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
