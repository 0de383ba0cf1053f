"""The ``sharedeq`` command.

    sharedeq solve cases/river_basin.py --mode ve [--weights 1,2,3] [--json out/river.json] [--csv out/river] [--check]
    sharedeq mcp cases/river_basin.py --mode gne          # print the MCP's pairs
    sharedeq solve cases/river_basin.py --emp cases/river_basin.emp.txt   # agents from GAMS empinfo text
    sharedeq export cases/river_basin.py --mode ve --gams out/river.gms   # the MCP for GAMS/PATH (or --nl)

A model file is a Python module that defines ``build_problem(**kwargs)`` returning an
:class:`~sharedeq.EquilibriumProblem` (the case-module convention). ``--arg key=value`` passes keyword
arguments to it; ``mode`` is passed too when ``build_problem`` accepts it. With ``--emp FILE`` the agents come
from the empinfo text in FILE instead, applied to the Pyomo model that the module's ``build_model(**kwargs)``
returns (or, without one, to ``build_problem(**kwargs).model``).

Output: the summary on stdout (tables cut to the terminal's width), progress on stderr when it is a terminal
(``-q`` none, ``-v`` the stages as log lines, ``-vv`` also Ipopt's log), the files where ``--json``/``--csv``
say (folders are created). Exit status 0 converged (or written), 1 not converged, 2 bad input; an error is one
line on stderr (``--traceback`` shows where an unexpected one came from).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib.util
import inspect
import logging
import os
import sys
import traceback
from pathlib import Path

from sharedeq import progress
from sharedeq.errors import ModelError, SolverUnavailable

BUILDER = "build_problem"
MODEL_BUILDER = "build_model"


def load_builder(path):
    """The module at ``path`` and its ``build_problem`` (a clear error when it has none)."""
    with _user_code(path):
        module = load_module(path)
    build = getattr(module, BUILDER, None)
    if build is None:
        raise ModelError(f"{path} defines no {BUILDER}(): a model file must define {BUILDER}(**kwargs) "
                         f"returning a sharedeq.EquilibriumProblem")
    return module, build


def load_problem(path, kwargs=None, mode=None):
    """Import the module at ``path`` and call its ``build_problem(**kwargs)``; it must return an EquilibriumProblem."""
    from sharedeq.problem import EquilibriumProblem

    with _user_code(path):
        _, build = load_builder(path)
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
        if not sep or not key.strip():
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
        p.add_argument("model", help="a Python file defining build_problem(**kwargs) (or build_model with --emp), "
                                      "or a GAMS model file (.gms)")
        p.add_argument("--emp", metavar="FILE", help="GAMS empinfo text declaring the agents of build_model()")
        p.add_argument("--mode", choices=["gne", "ve"], help="generalized Nash or variational (default: as declared)")
        p.add_argument("--weights", help="Rosen weights, comma separated, one per agent (ve only)")
        p.add_argument("--arg", action="append", metavar="KEY=VALUE",
                       help="keyword argument for build_problem (repeatable; VALUE is a Python literal, else a string)")
        p.add_argument("--traceback", action="store_true", help="on an unexpected error, show the full traceback")
        talk = p.add_mutually_exclusive_group()
        talk.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
        talk.add_argument("-v", "--verbose", action="count", default=0,
                          help="log each stage on stderr; -vv also Ipopt's iteration log (on stdout)")
        if name == "solve":
            p.add_argument("--json", metavar="FILE", help="write the solution as JSON (layout: docs/output.md)")
            p.add_argument("--csv", metavar="DIR", help="write the tables (variables, multipliers, agents, checks, "
                                                        "...) as CSV files into DIR")
            p.add_argument("--backend", default="casadi", choices=["casadi", "pyomo"],
                           help="casadi: Ipopt bundled with casadi, exact derivatives (default); pyomo: the MCP as "
                                "a Pyomo model solved by an ipopt executable on PATH")
            p.add_argument("--check", action="store_true", help="also re-derive each agent's KKT residuals with "
                                                                "Pyomo and re-solve each agent alone (best response)")
        if name == "export":
            p.add_argument("--gams", metavar="FILE", help="write a GAMS MCP model file")
            p.add_argument("--nl", metavar="FILE", help="write an AMPL .nl file (complementarity for PATH)")
    from sharedeq.sweep import add_arguments as add_sweep_arguments

    add_sweep_arguments(sub.add_parser("sweep", help="solve a model file at every point of a parameter grid (Dask)"))
    from sharedeq.compare import add_arguments as add_compare_arguments

    add_compare_arguments(sub.add_parser("compare", help="the VE, the extreme GNEs and sampled equilibria, compared"))
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
    except KeyboardInterrupt:
        print("sharedeq: interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        if getattr(args, "traceback", False):
            raise
        print(f"sharedeq: error: unexpected {type(err).__name__}: {err} (in {_origin(err)}; --traceback shows "
              f"the whole traceback)", file=sys.stderr)
        return 2


def _origin(err) -> str:
    """Where ``err`` was raised: ``file:line`` of the innermost frame."""
    frames = traceback.extract_tb(err.__traceback__)
    return f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "unknown place"


def _verbosity(args):
    """The solve's ``verbose`` for -q/-v/-vv, with stage logging on stderr from -v on."""
    if getattr(args, "quiet", False):
        return 0
    level = getattr(args, "verbose", 0)
    logger = logging.getLogger("sharedeq")
    if level and not any(isinstance(h, _EchoHandler) for h in logger.handlers):
        handler = _EchoHandler()
        handler.setFormatter(logging.Formatter("sharedeq: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    return 2 if level >= 2 else None


class _EchoHandler(logging.Handler):
    """Log records on stderr, above the progress line when one is drawn."""

    def emit(self, record):
        progress.echo(self.format(record))


def _run(args) -> int:
    if args.command == "sweep":
        from sharedeq.sweep import run_command as run_sweep

        return run_sweep(args)
    if args.command == "compare":
        from sharedeq.compare import run_command as run_compare

        return run_compare(args)
    if args.command == "export" and not (args.gams or args.nl):
        raise ModelError("export needs --gams FILE or --nl FILE (or both)")
    verbose = _verbosity(args)
    with progress.run(f"sharedeq {args.command}", verbose) as run:
        run.stage(f"reading {args.model}")
        problem = _load(args)
        if args.command in ("mcp", "export"):
            run.stage("KKT conditions")
            mcp = problem.mcp(mode=args.mode, weights=_weights(args.weights))
            return _print_mcp(mcp, args)
        run.stage("solving")
        solution = problem.solve(mode=args.mode, weights=_weights(args.weights), backend=args.backend,
                                 verbose=verbose)
        if args.check and solution.converged:
            from sharedeq.verify import best_response_check, kkt_check

            run.stage("--check: KKT residuals re-derived with Pyomo")
            solution.kkt_residuals = kkt_check(problem, solution)
            run.stage("--check: each agent's best response")
            solution.best_response = best_response_check(problem, solution)
        run.stage("writing")
        written = _write(solution, args)  # before the long summary: a reader that stops early loses no file
    print(solution.summary())
    if args.check and not solution.converged:
        print("\n--check: not run, the solve did not converge (there is no KKT point to check)")
    if written:
        print("\n" + "\n".join(f"wrote {what}" for what in written))
    sys.stdout.flush()
    return 0 if solution.converged else 1


def _load(args):
    """The problem (or the MCP of a GAMS MCP model) that the model file and ``--emp``/``--arg`` describe."""
    if args.model.lower().endswith(".gms"):                 # a GAMS model, read as it is
        from sharedeq.gams import command_target

        return command_target(args.model, args.emp, args.mode, args.weights, getattr(args, "check", False),
                              defines=_kwargs(args.arg))
    if args.emp:
        return load_emp_problem(args.model, args.emp, _kwargs(args.arg), args.mode)
    return load_problem(args.model, _kwargs(args.arg), args.mode)


def _print_mcp(mcp, args) -> int:
    """``sharedeq mcp`` (the pairs) and ``sharedeq export`` (the files)."""
    print(mcp.summary())
    if args.command == "mcp":
        print(mcp.pairs.to_string())
    for path in (args.gams, args.nl) if args.command == "export" else ():
        if path:
            _folder(Path(path).parent)
    if args.command == "export" and args.gams:
        mcp.to_gams(args.gams)
        print(f"wrote {args.gams}")
    if args.command == "export" and args.nl:
        mcp.to_nl(args.nl)
        print(f"wrote {args.nl}")
    sys.stdout.flush()
    return 0


def _write(solution, args) -> list[str]:
    """The files that ``--json FILE`` and ``--csv DIR`` ask for (their folders created); what was written."""
    written = []
    if args.json:
        path = Path(args.json)
        _folder(path.parent)
        solution.to_json(path)
        written.append(str(path))
    if args.csv:
        _folder(Path(args.csv))
        paths = solution.to_csv(args.csv)
        written.append(f"{len(paths)} tables to {args.csv}: {', '.join(p.name for p in paths)}")
    return written


def _folder(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ModelError(f"cannot create the output folder {path}: {err.strerror}") from err


if __name__ == "__main__":
    sys.exit(main())
