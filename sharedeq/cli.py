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
import contextlib
import importlib.util
import inspect
import os
import sys
import traceback
from pathlib import Path

from sharedeq.errors import ModelError, SolverUnavailable

BUILDER = "build_problem"
MODEL_BUILDER = "build_model"


def load_problem(path, kwargs=None, mode=None):
    """Import the module at ``path`` and call its ``build_problem(**kwargs)``; it must return an EquilibriumProblem."""
    from sharedeq.problem import EquilibriumProblem

    with _user_code(path):
        module = load_module(path)
        build = getattr(module, BUILDER, None)
        if build is None:
            raise ModelError(f"{path} defines no {BUILDER}(): a model file must define {BUILDER}(**kwargs) "
                             f"returning a sharedeq.EquilibriumProblem")
        problem = build(**_arguments(build, kwargs, mode))
    if not isinstance(problem, EquilibriumProblem):
        raise ModelError(f"{path}: {BUILDER}() returned {_kind(problem)}, not a sharedeq.EquilibriumProblem "
                         f"(does it end with 'return problem'?)")
    return problem


def load_emp_problem(path, emp_path, kwargs=None, mode=None):
    """The problem that the empinfo text in ``emp_path`` declares on the module's Pyomo model."""
    import pyomo.environ as pyo

    from sharedeq.emp import problem_from_empinfo

    emp_path = Path(emp_path)
    if not emp_path.is_file():
        raise ModelError(f"no such empinfo file: {emp_path}")
    with _user_code(path):
        module = load_module(path)
        build = getattr(module, MODEL_BUILDER, None)
        if build is not None:
            model = build(**_arguments(build, kwargs, None))
            what = f"{MODEL_BUILDER}()"
        elif getattr(module, BUILDER, None) is not None:
            build = getattr(module, BUILDER)
            model = getattr(build(**_arguments(build, kwargs, mode)), "model", None)
            what = f"{BUILDER}().model"
        else:
            raise ModelError(f"{path} defines neither {MODEL_BUILDER}() nor {BUILDER}(): with --emp a model file "
                             f"must define {MODEL_BUILDER}(**kwargs) returning a Pyomo ConcreteModel")
    if not isinstance(model, pyo.Block):
        raise ModelError(f"{path}: {what} is {_kind(model)}, not a Pyomo model")
    name = getattr(model, "name", None)
    name = None if name in (None, "unknown") else name
    return problem_from_empinfo(model, emp_path.read_text(), name=name)


def load_module(path):
    """Import the Python file at ``path`` as a module (its folder must be importable: see :func:`_user_code`)."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"no such model file: {path}")
    if path.suffix != ".py":
        raise ModelError(f"{path}: expected a Python model file (.py)")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(path.stem, module)
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def _user_code(path):
    """Run the model file's code with its folder first on ``sys.path`` (as ``python FILE`` does); report an
    exception it raises as a ModelError with the user's exception and the line of their file it came from."""
    folder = str(Path(path).resolve().parent)
    sys.path.insert(0, folder)
    try:
        yield
    except (ModelError, SolverUnavailable):
        raise
    except Exception as err:
        raise ModelError(f"{path} raised {type(err).__name__}: {err}{_where(err, path)}") from err
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(folder)


def _where(err, path) -> str:
    """`` (line N of FILE: source)`` for the innermost frame of the user's file in ``err``'s traceback."""
    target = Path(path).resolve()
    if isinstance(err, SyntaxError) and err.filename and Path(err.filename).resolve() == target:
        return f" (line {err.lineno} of {path})"
    frames = [f for f in traceback.extract_tb(err.__traceback__) if Path(f.filename).resolve() == target]
    if not frames:
        return ""
    frame = frames[-1]
    return f" (line {frame.lineno} of {path}: {frame.line})" if frame.line else f" (line {frame.lineno} of {path})"


def _arguments(build, kwargs, mode) -> dict:
    """``kwargs`` checked against ``build``'s signature, plus ``mode`` when ``build`` takes it."""
    kwargs = dict(kwargs or {})
    parameters = inspect.signature(build).parameters
    open_ended = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    accepted = [n for n, p in parameters.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    unknown = [k for k in kwargs if k not in accepted]
    if unknown and not open_ended:
        raise ModelError(f"--arg {unknown[0]}=...: {build.__name__}() has no parameter '{unknown[0]}'; it accepts "
                         f"{', '.join(accepted) if accepted else 'no arguments'}")
    if mode is not None and "mode" in parameters:
        kwargs.setdefault("mode", mode)
    return kwargs


def _kind(value) -> str:
    return "None" if value is None else f"a {type(value).__name__}"


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
    from sharedeq import __version__

    parser = argparse.ArgumentParser(prog="sharedeq", description="Equilibrium problems with shared constraints")
    parser.add_argument("--version", action="version", version=f"sharedeq {__version__}")
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
            p.add_argument("--backend", default="casadi", choices=["casadi", "pyomo"],
                           help="casadi: Ipopt bundled with casadi, exact derivatives (default); pyomo: the MCP as "
                                "a Pyomo model solved by an ipopt executable on PATH")
            p.add_argument("--check", action="store_true", help="also run the best-response check")
        if name == "export":
            p.add_argument("--gams", metavar="FILE", help="write a GAMS MCP model file")
            p.add_argument("--nl", metavar="FILE", help="write an AMPL .nl file (complementarity for PATH)")
    return parser


def main(argv=None) -> int:
    """Run the command; exit status 0 (converged or written), 1 (not converged), 2 (bad input)."""
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except (ModelError, SolverUnavailable) as err:
        print(f"sharedeq: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader (``| head``) closed the pipe: send what is left to devnull so that Python's exit flush
        # does not fail again, as the signal module's documentation recommends.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _run(args) -> int:
    if args.command == "export" and not (args.gams or args.nl):
        raise ModelError("export needs --gams FILE or --nl FILE (or both)")
    if args.emp:
        problem = load_emp_problem(args.model, args.emp, _kwargs(args.arg), args.mode)
    else:
        problem = load_problem(args.model, _kwargs(args.arg), args.mode)
    if args.command in ("mcp", "export"):
        mcp = problem.mcp(mode=args.mode, weights=_weights(args.weights))
        print(mcp.summary())
        if args.command == "mcp":
            print(mcp.pairs.to_string())
        if args.command == "export" and args.gams:
            mcp.to_gams(args.gams)
            print(f"wrote {args.gams}")
        if args.command == "export" and args.nl:
            mcp.to_nl(args.nl)
            print(f"wrote {args.nl}")
        sys.stdout.flush()
        return 0
    solution = problem.solve(mode=args.mode, weights=_weights(args.weights), backend=args.backend)
    if args.json:                     # before the long summary: a reader that stops early loses no file
        solution.to_json(args.json)
    print(solution.summary())
    if args.check:
        from sharedeq.verify import best_response_check

        print("\nBest-response check (gain = how much each agent could improve alone)")
        print(best_response_check(problem, solution).to_string())
    if args.json:
        print(f"\nwrote {args.json}")
    sys.stdout.flush()
    return 0 if solution.converged else 1


if __name__ == "__main__":
    sys.exit(main())
