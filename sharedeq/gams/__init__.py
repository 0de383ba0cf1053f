"""Read GAMS models as they are: ``sharedeq.read_gams("transmcp.gms").solve()``, no GAMS needed.

The pipeline, one module per step:

| step | module | what it does |
|---|---|---|
| compile-time | :mod:`sharedeq.gams.lexer` | ``$`` control options, comments, ``%name%``, ``$onecho``; the scanner |
| parse | :mod:`sharedeq.gams.parser` | statements and expressions as an AST |
| run | :mod:`sharedeq.gams.evaluate` | sets, parameters, assignments, attributes, loops, put files up to ``solve`` |
| build | :mod:`sharedeq.gams.build` | the solved model's equations as Pyomo constraints or MCP pairs |

The subset read is that of equilibrium models (see :func:`read_gams`); anything else is refused with a
:class:`GamsError` (a :class:`sharedeq.ModelError`) naming the file, line and column.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from sharedeq.gams.lexer import GamsError

__all__ = ["GamsError", "GamsModel", "GamsNote", "read_gams"]

_EMP_FILES = ("%emp.info%", "emp.info", "empinfo.txt", "empinfo.dat")
_NLP_KINDS = ("nlp", "lp", "qcp", "dnlp")


class GamsNote(UserWarning):
    """Something in a GAMS file that was read but does not change the model (an option file, a later solve)."""


@dataclass
class GamsModel:
    """A GAMS model as read: the Pyomo ``model``, its ``kind`` ("emp", "mcp" or "nlp"), the
    :class:`~sharedeq.EquilibriumProblem` (emp, nlp) or :class:`~sharedeq.MCP` (mcp), what was noted, and the data
    at the solve statement: ``sets`` (name -> elements, a label or a tuple of labels) and ``parameters`` (name ->
    {element: value}, a scalar's value as a float), keyed like the Pyomo components."""

    path: str | None
    kind: str
    model: object
    problem: object = None
    mcp: object = None
    empinfo: str | None = None
    title: str | None = None
    model_name: str = ""
    options: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    sets: dict = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)

    def solve(self, **options):
        """Solve with :func:`sharedeq.solve` (an MCP) or ``problem.solve`` (emp, nlp); returns a Solution."""
        if self.mcp is not None:
            from sharedeq.solve import solve

            return solve(self.mcp, **options)
        return self.problem.solve(**options)

    def __repr__(self) -> str:
        where = Path(self.path).name if self.path else "text"
        return f"GamsModel({where}: model {self.model_name}, using {self.kind})"


def read_gams(path=None, text=None, empinfo=None, defines=None) -> GamsModel:
    """Read the GAMS model in the file ``path`` (or the string ``text``) up to its first ``solve`` statement.

    The subset read (anything else is a :class:`GamsError` naming the file, line and column):

    * data: ``Set`` (ranges ``1*10``, ``t01*t12``, ``a*d``; several dimensions, ``(a,b).c``; quoted labels;
      explanatory text; subsets; ``Singleton Set``), ``Alias``, ``Parameter``/``Scalar`` with ``/ data /``,
      ``Table`` (continuation blocks ``+``), assignments with ``$`` conditions on either side, ``sum``, ``prod``,
      ``smin``, ``smax``, ``ord``, ``card``, ``sameas``, lags ``t-1``, ``t+ord(l)``, ``t--1``, set assignments
      (``yes``/``no``), ``loop``, ``if``/``else``, the common functions;
    * the model: ``Variable`` types (``positive``, ``negative``, ``free``; discrete types refused where used),
      ``.lo``, ``.up``, ``.l``, ``.fx``; ``Equation`` definitions (``=e=``, ``=g=``, ``=l=``, ``=n=``, domains
      with ``$`` conditions or subsets, instance by instance); ``Model`` with ``/all/``, equation lists or MCP
      pairs ``e.x``; ``solve ... using emp|mcp|nlp|lp|qcp|dnlp [minimizing|maximizing obj]``;
    * around it: ``*`` and ``$ontext`` comments, ``$eolcom``/``$inlinecom``, ``$title``, ``$set``/``%name%``,
      ``$if``/``$ifi`` (``set``, ``A == B``), ``$eval``, ``$macro``, ``$include``, ``$exit``, ``$onecho``/``$echo``,
      ``file``/``put``/``putclose`` (the empinfo); ``display``, ``option``, ``abort`` and listing options are
      skipped; solver option files are ignored with a note except JAMS's ``SharedEqu``.

    The empinfo text comes from ``empinfo`` if given, else from what the file writes to ``%emp.info%`` (``put``
    or ``$onecho``), else from ``empinfo.txt`` beside the file. ``defines`` sets ``%name%`` values (as
    ``gams --name=value``). Notes (what was read but changes nothing) are warned as :class:`GamsNote` and kept
    in ``notes``.
    """
    from sharedeq.gams.build import ModelBuilder
    from sharedeq.gams.evaluate import Interpreter
    from sharedeq.gams.lexer import Scanner, preprocess
    from sharedeq.gams.parser import parse

    if text is None:
        if path is None:
            raise GamsError("read_gams needs a path or text")
        file = Path(path)
        if not file.is_file():
            raise GamsError(f"no such GAMS file: {path}")
        text = file.read_text(encoding="utf-8-sig", errors="replace")
    source = preprocess(text, None if path is None else str(path), defines)
    interpreter = Interpreter(source)
    scanner = Scanner(source)
    solve = interpreter.run(parse(scanner), lambda: scanner.text[scanner.pos:])
    if solve is None:
        raise GamsError("the file has no solve statement, so it names no model to read", path=path)
    kind = _kind(solve, interpreter)
    name = source.title or (Path(path).stem if path else solve.model)
    builder = ModelBuilder(interpreter, solve, name)
    equations = builder.equations()
    builder.build_rows(equations)
    result = GamsModel(None if path is None else str(path), kind, builder.model, title=source.title,
                       model_name=solve.model)
    files = _written_files(source, interpreter)
    result.options = _option_files(files, result.notes)
    if kind == "mcp":
        from sharedeq.mcp import mcp_from_pyomo

        builder.complementarities(equations)
        result.mcp = mcp_from_pyomo(builder.model)
    else:
        builder.constraints(equations, allow_n=kind == "emp")
        if kind == "emp":
            result.empinfo = empinfo if empinfo is not None else _empinfo(files, path, solve, interpreter)
        if kind == "emp" and result.empinfo is not None:
            from sharedeq.emp import problem_from_empinfo

            if solve.sense is not None:
                _add_solve_objective(builder, solve, interpreter)
            result.problem = problem_from_empinfo(builder.model, result.empinfo, name=name)
            _note_shared(result)
        else:
            result.kind = "nlp"
            result.problem = _single_agent(builder, solve, interpreter, name)
    _note_unused(files, result.notes)
    result.notes = [*source.notes, *interpreter.notes, *result.notes]
    result.sets, result.parameters = _data(interpreter)
    for note in result.notes:
        warnings.warn(note, GamsNote, stacklevel=2)
    return result


def command_target(path, emp=None, mode=None, weights=None, check=False, defines=None):
    """What ``sharedeq solve|mcp|export MODEL.gms`` works on: the EquilibriumProblem of an emp or nlp model, or
    for an MCP model an object with the problem's ``mcp(...)`` and ``solve(...)``. ``emp``: an empinfo file that
    replaces the model's own; ``defines``: ``%name%`` values (``--arg n=10`` as ``gams --n=10``). An MCP has no
    agents, so ``--mode``, ``--weights`` and ``--check`` are refused."""
    empinfo = None
    if emp is not None:
        if not Path(emp).is_file():
            raise GamsError(f"no such empinfo file: {emp}")
        empinfo = Path(emp).read_text(encoding="utf-8-sig", errors="replace")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GamsNote)
        read = read_gams(path, empinfo=empinfo, defines=defines)
    for note in read.notes:
        print(f"note: {note}", file=sys.stderr)
    if read.mcp is None:
        return read.problem
    given = [flag for flag, value in (("--mode", mode), ("--weights", weights), ("--check", check)) if value]
    if given:
        raise GamsError(f"{', '.join(given)}: {Path(path).name} is an MCP model (solve ... using mcp), which has no "
                        f"agents")
    return _McpCommand(read.mcp)


@dataclass
class _McpCommand:
    """An MCP model behind the interface the command uses on a problem."""

    pairs: object

    def mcp(self, mode=None, weights=None):
        return self.pairs

    def solve(self, mode=None, weights=None, **options):
        from sharedeq.solve import solve

        return solve(self.pairs, **options)


def _data(interpreter) -> tuple[dict, dict]:
    from sharedeq.gams.build import _pyomo_key
    from sharedeq.gams.evaluate import GParameter, GSet

    sets, parameters = {}, {}
    for symbol in interpreter.symbols.values():
        if isinstance(symbol, GSet):
            sets[symbol.name] = [_pyomo_key(key) for key in symbol.elements]
        elif isinstance(symbol, GParameter) and not symbol.domain:
            parameters[symbol.name] = symbol.values.get((), 0.0)
        elif isinstance(symbol, GParameter):
            parameters[symbol.name] = {_pyomo_key(key): value for key, value in symbol.values.items()}
    return sets, parameters


def _kind(solve, interpreter) -> str:
    kind = solve.kind
    if kind in ("emp", "mcp"):
        return kind
    if kind in _NLP_KINDS:
        if solve.sense is None:
            raise interpreter.error(f"solve {solve.model} using {kind} needs 'minimizing' or 'maximizing' and an "
                                    f"objective variable", solve)
        return "nlp"
    raise interpreter.error(f"'solve ... using {kind}' is not supported: only emp, mcp and nlp/lp/qcp/dnlp models",
                            solve)


def _written_files(source, interpreter) -> dict[str, str]:
    """Files the model writes: ``$onecho``/``$echo`` text and ``put`` output, by the path as written."""
    files = dict(source.echoes)             # written when the file is compiled, so before any put
    for path, chunks in interpreter.written.items():
        files[path] = "".join(chunks)
    return files


def _empinfo(files, path, solve, interpreter) -> str | None:
    for name in files:
        if name.lower() in _EMP_FILES or name.lower().endswith(("/emp.info", "\\emp.info")):
            return files.pop(name)
    if path is not None:
        for name in ("empinfo.txt", "emp.info"):
            beside = Path(path).parent / name
            if beside.is_file():
                return beside.read_text(encoding="utf-8-sig", errors="replace")
    if solve.sense is None:
        raise interpreter.error(f"solve {solve.model} using emp: no empinfo found (nothing written to %emp.info% "
                                f"and no empinfo.txt beside the model)", solve)
    return None


def _option_files(files, notes) -> dict:
    """Solver option files (``*.opt``): JAMS's ``SharedEqu`` is read, the rest noted and ignored."""
    options = {}
    for name in list(files):
        if not name.lower().endswith(".opt"):
            continue
        text = files.pop(name)
        words = [line.split()[0].lower() for line in text.splitlines() if line.strip() and line.split()[0][0] != "*"]
        if "sharedequ" in words:
            options["SharedEqu"] = True
            words.remove("sharedequ")
        if words:
            notes.append(f"option file {name}: {', '.join(words)} ignored (solver options do not change the model)")
    return options


def _note_unused(files, notes):
    for name in files:
        notes.append(f"the file {name} written by the model is not used")


def _note_shared(result):
    shared = [s for s in getattr(result.problem, "shared", ()) if not s.variational]
    if shared and not result.options.get("SharedEqu"):
        result.notes.append(f"{len(shared)} equation(s) shared by several agents without VIsol and without JAMS's "
                            f"SharedEqu option: read as shared constraints with one multiplier per agent "
                            f"(generalized Nash), as JAMS does with SharedEqu")


def _add_solve_objective(builder, solve, interpreter) -> None:
    """``solve m using emp min obj``: ``obj`` becomes the model's active Objective. :mod:`sharedeq.emp` uses it
    as GAMS/JAMS do: the leader of a ``bilevel`` empinfo, or the one agent of an empinfo without agents (e.g.
    only ``dualvar p dembal``: PIES), owning every variable and equation the empinfo does not claim."""
    import pyomo.environ as pyo

    from sharedeq.gams.build import _component_name

    objective = _objective_variable(builder, solve, interpreter)
    sense = pyo.minimize if solve.sense == "min" else pyo.maximize
    builder.model.add_component(_component_name(builder.model, f"{solve.model}_objective"),
                                pyo.Objective(expr=objective, sense=sense))


def _objective_variable(builder, solve, interpreter):
    from sharedeq.gams.evaluate import GVariable

    objective = interpreter.symbol(solve.objective, solve, (GVariable,))
    if objective.domain:
        raise interpreter.error(f"the objective {objective.name} must be a scalar variable", solve)
    var = builder.instances.get((objective.name, ()))
    if var is None:
        raise interpreter.error(f"the objective variable {objective.name} appears in no equation of model "
                                f"{solve.model}", solve)
    return var


def _single_agent(builder, solve, interpreter, name):
    """``solve m using nlp minimizing z``: one agent optimising ``z`` over the model's other variables."""
    import pyomo.environ as pyo
    from pyomo.core.expr.visitor import identify_variables

    from sharedeq.problem import EquilibriumProblem

    var = _objective_variable(builder, solve, interpreter)
    constraints = list(builder.model.component_data_objects(pyo.Constraint, active=True))
    defined = any(c.equality and any(v is var for v in identify_variables(c.body)) for c in constraints)
    # an objective variable that no equation defines (an epigraph: e.g. |x + 3| <= theta) is a decision variable
    variables = [v for v in builder.instances.values() if (v is not var or not defined) and not v.fixed]
    problem = EquilibriumProblem(builder.model, name=name)
    problem.add_agent(solve.model, objective=var, variables=variables, constraints=constraints, sense=solve.sense)
    return problem
