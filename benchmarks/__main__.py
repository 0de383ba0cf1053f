"""``python -m benchmarks FAMILY [FAMILY ...] --sizes 1000,10000 --mode ve|gne [--baselines] [--json FILE]``.

``python -m benchmarks --report FILE`` prints the tables of a saved ``--json`` file again.
``python -m benchmarks fuzz [--category C] [--n N] [--seed S] [--show]`` runs the randomised property suite
(:mod:`benchmarks.fuzz`).

Each size runs in a fresh subprocess (peak memory per run); sizes up to ``--repeat-max-size`` are repeated
``--repeat`` times and the median is reported. One table per family and mode: stage times (``derivs`` is
``timings['reformulate']``, the derivative functions plus the relaxed NLP if it ran), method, iterations, the
floor (one scipy LU of the final active-set Newton matrix times the iterations plus the build) and ``total /
floor``, and, with ``--baselines``, the ratios of the baselines' total times to sharedeq's; then the KKT and
total time growth between consecutive sizes, then (with ``--baselines``) the details of the baselines run on
the same instances in the same invocation: ``method="relaxation"`` (the previous default chain, Ipopt), the
naive dense formulation and pyomo.mpec's ``mpec_nlp``, with ratios baseline time / sharedeq time.
:mod:`benchmarks.runner` defines every column.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, replace
from pathlib import Path

from benchmarks.generators import FAMILIES
from benchmarks.runner import RunSpec, format_report, run_spec
from sharedeq.progress import echo, track


def _ints(text: str) -> list[int]:
    return [int(float(s)) for s in text.split(",") if s.strip()]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("families", nargs="*", help=f"benchmark families: {', '.join(FAMILIES)} or 'all'")
    parser.add_argument("--sizes", type=_ints, default=[1000, 2000], help="comma-separated N (agents)")
    parser.add_argument("--mode", default="ve", help="ve, gne, or both comma-separated")
    parser.add_argument("--m", type=int, default=10, help="shared constraints (river, cournot) or goods")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=1, help="repeats of small sizes (median reported)")
    parser.add_argument("--repeat-max-size", type=int, default=2000, help="largest size that is repeated")
    parser.add_argument("--baselines", action="store_true",
                        help="also run method='relaxation' (Ipopt), the naive and the mpec_nlp routes")
    parser.add_argument("--baseline-repeat", type=int, default=1,
                        help="repeats of the relaxation and naive baselines")
    parser.add_argument("--naive-max", type=int, default=1000,
                        help="largest size for the naive dense baseline (it is O(N^2) in time and memory)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per run before it is killed")
    parser.add_argument("--ipopt-max-wall", type=float, default=None,
                        help="Ipopt max_wall_time per Ipopt run: a slow solve ends 'not converged' with timings")
    parser.add_argument("--max-memory-gb", type=float, default=None,
                        help="resident memory (GiB) above which a run is killed: an exploding run fails alone")
    parser.add_argument("--json", help="write every run (medians of repeats) to this JSON file")
    parser.add_argument("--report", metavar="FILE", help="print the tables of a --json file instead of running")
    args = parser.parse_args(argv)
    if not args.families and not args.report:
        parser.error("name at least one family (or --report FILE)")
    if args.families == ["all"]:
        args.families = list(FAMILIES)
    unknown = [f for f in args.families if f not in FAMILIES]
    if unknown:
        parser.error(f"unknown families {unknown}; choose from {list(FAMILIES)}")
    args.modes = [m.strip() for m in args.mode.split(",")]
    if any(m not in ("ve", "gne") for m in args.modes):
        parser.error("--mode must be ve, gne or ve,gne")
    return args


def _specs(family: str, mode: str, args) -> list[tuple[RunSpec, int]]:
    """(spec, repeat) for every run of one family and mode, sharedeq first at each size."""
    out = []
    for size in args.sizes:
        repeat = args.repeat if size <= args.repeat_max_size else 1
        base = RunSpec(family, size, mode, args.m, args.seed, "sharedeq", args.ipopt_max_wall, args.max_memory_gb)
        out.append((base, repeat))
        if args.baselines:
            baseline_repeat = min(repeat, args.baseline_repeat)
            out.append((replace(base, variant="relaxation"), baseline_repeat))
            if size <= args.naive_max:
                out.append((replace(base, variant="naive"), baseline_repeat))
            out.append((replace(base, variant="mpec_nlp"), 1))
    return out


def report(path: str) -> None:
    """Print the tables of a results file written with ``--json``, one per family and mode."""
    with open(path) as fh:
        results = json.load(fh)
    groups: dict = {}
    for r in results:
        groups.setdefault((r["family"], r["mode"]), []).append(r)
    for (family, mode), rows in groups.items():
        print(format_report(family, mode, rows), end="\n\n")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["fuzz"]:
        from benchmarks.fuzz import main as fuzz_main

        return fuzz_main(argv[1:])
    args = parse_args(argv)
    if args.report:
        report(args.report)
        return 0
    everything = []
    for family in args.families:
        for mode in args.modes:
            results = []
            for spec, repeat in track(_specs(family, mode, args), f"{family} {mode}", unit="size",
                                      label=lambda run: f"{run[0].variant} n = {run[0].size}"):
                results.append(run_spec(spec, repeat, args.timeout, log=echo))
            if args.baselines:
                results += [{**asdict(RunSpec(family, s, mode, args.m, args.seed, "naive")),
                             "status": f"skipped (size > --naive-max {args.naive_max})"}
                            for s in args.sizes if s > args.naive_max]
            print(format_report(family, mode, results), end="\n\n", flush=True)
            everything += results
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        with open(args.json, "w") as fh:
            json.dump(everything, fh, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
