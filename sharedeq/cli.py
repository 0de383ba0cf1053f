"""The ``sharedeq`` command.

    sharedeq solve cases/river_basin.py --mode ve [--weights 1,2,3] [--json out.json] [--check]
    sharedeq mcp cases/river_basin.py --mode gne          # print the MCP's pairs
    sharedeq solve cases/river_basin.py --emp cases/river_basin.emp.txt   # agents from GAMS empinfo text
    sharedeq export cases/river_basin.py --mode ve --gams river.gms       # the MCP for GAMS/PATH (or --nl)

A model file is a Python module that defines ``build_problem(**kwargs)`` returning an
:class:`~sharedeq.EquilibriumProblem` (the case-module convention). ``--arg key=value`` passes keyword
arguments to it; ``mode`` is passed too when ``build_problem`` accepts it. With ``--emp FILE`` the agents come
from the empinfo text in FILE instead, applied to the Pyomo model that the module's ``build_model(**kwargs)``
returns (or, without one, to ``build_problem(**kwargs).model``).
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import inspect
import sys
from pathlib import Path

from sharedeq.errors import ModelError, SolverUnavailable

BUILDER = "build_problem"
MODEL_BUILDER = "build_model"


def load_problem(path, kwargs=None, mode=None):
    """Import the module at ``path`` and call its ``build_problem(**kwargs)``."""
    module = load_module(path)
    build = getattr(module, BUILDER, None)
    if build is None:
        raise ModelError(f"{path} defines no {BUILDER}(): a model file must define {BUILDER}(**kwargs) returning "
                         f"a sharedeq.EquilibriumProblem")
    kwargs = dict(kwargs or {})
    if mode is not None and "mode" in inspect.signature(build).parameters:
        kwargs.setdefault("mode", mode)
    return build(**kwargs)


def load_emp_problem(path, emp_path, kwargs=None, mode=None):
    """The problem that the empinfo text in ``emp_path`` declares on the module's Pyomo model."""
    from sharedeq.emp import problem_from_empinfo

    emp_path = Path(emp_path)
    if not emp_path.is_file():
        raise ModelError(f"no such empinfo file: {emp_path}")
    module = load_module(path)
    kwargs = dict(kwargs or {})
    build = getattr(module, MODEL_BUILDER, None)
    if build is not None:
        model = build(**kwargs)
    elif getattr(module, BUILDER, None) is not None:
        build = getattr(module, BUILDER)
        if mode is not None and "mode" in inspect.signature(build).parameters:
            kwargs.setdefault("mode", mode)
        model = build(**kwargs).model
    else:
        raise ModelError(f"{path} defines neither {MODEL_BUILDER}() nor {BUILDER}(): with --emp a model file must "
                         f"define {MODEL_BUILDER}(**kwargs) returning a Pyomo ConcreteModel")
    name = getattr(model, "name", None)
    name = None if name in (None, "unknown") else name
    return problem_from_empinfo(model, emp_path.read_text(), name=name)


def load_module(path):
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"no such model file: {path}")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(path.stem, module)
    spec.loader.exec_module(module)
    return module


def _kwargs(pairs):
    out = {}
    for item in pairs or []:
        key, sep, text = item.partition("=")
        if not sep:
            raise ModelError(f"--arg expects key=value, got {item!r}")
        try:
            out[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            out[key] = text
    return out


def _weights(text):
    if text is None:
        return None
    try:
        return [float(w) for w in text.split(",")]
    except ValueError as err:
        raise ModelError(f"--weights expects numbers separated by commas, got {text!r}") from err


def _parser():
    parser = argparse.ArgumentParser(prog="sharedeq", description="Equilibrium problems with shared constraints")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("solve", "solve a model file and print the summary"),
                       ("mcp", "print the complementarity pairs of a model file"),
                       ("export", "write the MCP of a model file for GAMS (--gams) or AMPL/PATH (--nl)")):
        p = sub.add_parser(name, help=text)
        p.add_argument("model", help="a Python file defining build_problem(**kwargs) (or build_model with --emp)")
        p.add_argument("--emp", metavar="FILE", help="GAMS empinfo text declaring the agents of build_model()")
        p.add_argument("--mode", choices=["gne", "ve"], help="generalized Nash or variational (default: as declared)")
        p.add_argument("--weights", help="Rosen weights, comma separated, one per agent (ve only)")
        p.add_argument("--arg", action="append", metavar="KEY=VALUE", help="keyword argument for build_problem")
        if name == "solve":
            p.add_argument("--json", metavar="FILE", help="write the solution as JSON")
            p.add_argument("--backend", default="casadi", choices=["casadi", "pyomo"])
            p.add_argument("--check", action="store_true", help="also run the best-response check")
        if name == "export":
            p.add_argument("--gams", metavar="FILE", help="write a GAMS MCP model file")
            p.add_argument("--nl", metavar="FILE", help="write an AMPL .nl file (complementarity for PATH)")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "export" and not (args.gams or args.nl):
            raise ModelError("export needs --gams FILE or --nl FILE (or both)")
        if args.emp:
            problem = load_emp_problem(args.model, args.emp, _kwargs(args.arg), args.mode)
        else:
            problem = load_problem(args.model, _kwargs(args.arg), args.mode)
        if args.command in ("mcp", "export"):
            mcp = problem.mcp(mode=args.mode, weights=_weights(args.weights))
            if args.command == "mcp":
                print(mcp.summary())
                print(mcp.pairs.to_string())
                return 0
            print(mcp.summary())
            if args.gams:
                mcp.to_gams(args.gams)
                print(f"wrote {args.gams}")
            if args.nl:
                mcp.to_nl(args.nl)
                print(f"wrote {args.nl}")
            return 0
        solution = problem.solve(mode=args.mode, weights=_weights(args.weights), backend=args.backend)
    except (ModelError, SolverUnavailable) as err:
        print(f"sharedeq: error: {err}", file=sys.stderr)
        return 2
    print(solution.summary())
    if args.check:
        from sharedeq.verify import best_response_check

        print("\nBest-response check (gain = how much each agent could improve alone)")
        print(best_response_check(problem, solution).to_string())
    if args.json:
        solution.to_json(args.json)
        print(f"\nwrote {args.json}")
    return 0 if solution.converged else 1


if __name__ == "__main__":
    sys.exit(main())
