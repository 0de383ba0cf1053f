"""Is each agent at a *global* best response? Convexity proofs and global certificates, agent by agent.

A KKT point of every agent is an equilibrium only if each agent's KKT point is a global minimum of its own
problem, with the other agents' variables fixed at their current values:

    min_{x_i}  f_i(x_i, x*_{-i})   s.t.  g(x_i) <= 0,  h(x_i) = 0,  lb <= x_i <= ub

(its own and its shared constraints, normalised as ``body - ub <= 0`` and ``lb - body <= 0``).

* :func:`agent_convexity` proves or refutes that this is a convex program. A polynomial objective or
  constraint whose symbolic Hessian (casadi) is constant is quadratic, and exact: convex iff the Hessian is
  positive semidefinite on the directions that the affine equalities leave free. Other functions go through
  conservative curvature rules (sums, scaling, convex nondecreasing of convex, ``exp``, ``log``, ``sqrt``,
  ``abs``, powers on a domain whose sign the variable bounds fix, ...). "convex" is said only when proven.
* :func:`certify_agent` turns that into a global certificate. Convex: the KKT point is a global minimum.
  Otherwise, for a small QP (quadratic objective, affine constraints), every set of active constraints is
  enumerated: a QP bounded below on a polyhedron attains its minimum, and (moving along flat directions until
  a constraint binds) at a point that is the unique stationary point of its face, so the best feasible
  stationary point is the global minimum when the feasible set is bounded. A negative-curvature direction in
  the recession cone proves the agent's problem unbounded. A one-variable agent gets an interval branch and
  bound (ranges of ``f``, ``f'`` and the constraints over sub-intervals), which proves or refutes a global
  minimum. Anything else gets a multistart of Ipopt, which can find an improvement but never proves its
  absence ("unproven").
* :func:`certificates` (a dict) and :func:`certify` (a table) do every agent.

Implicit variables that an agent's expressions use are added to its variables with their defining equations,
which describes the same problem when those equations define them uniquely (as ``add_implicit`` declares).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import casadi as ca
import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.core.base.objective import ObjectiveData
from pyomo.repn import generate_standard_repn
from scipy import linalg, optimize

from sharedeq.errors import ModelError
from sharedeq.translate import Translator

CONVEX, NONCONVEX, UNKNOWN = "convex", "nonconvex", "unknown"
GLOBAL, IMPROVABLE, UNPROVEN = "global", "improvable", "unproven"

#: Defaults of ``**limits``: the most active sets to enumerate, the most sub-intervals of a one-variable
#: branch and bound, Ipopt starts, grid points for a one-variable agent, the random seed, and the half-width
#: (relative to ``max(1, |x*|)``) of the box that stands in for an unbounded feasible set.
LIMITS = {"max_active_sets": 2 ** 14, "max_intervals": 2000, "starts": 12, "grid": 1001, "seed": 0, "radius": 1e3}


@dataclass
class Convexity:
    """Whether an agent's own problem is a convex program, and why (in the user's names)."""

    verdict: str
    reason: str


@dataclass
class Certificate:
    """What is known about one agent's best response at the current point.

    ``verdict``: "global" (no feasible response improves by more than ``tol * max(1, |f|)``), "improvable"
    (``response`` is feasible and better by ``gain``; ``inf`` when the problem is unbounded) or "unproven".
    ``gain`` is in the agent's own objective units, ``nan`` when nothing was tried (convex agents).
    """

    agent: str
    convexity: Convexity
    verdict: str
    gain: float
    response: dict = field(default_factory=dict)
    method: str = ""


# ---------------------------------------------------------------------------------------------- the program
@dataclass
class _Program:
    """Agent ``i``'s problem in its own variables ``x`` (casadi symbols), the others fixed at their values."""

    names: list[str]
    x: ca.SX
    objective: ca.SX                        # in minimisation form (a maximising agent's objective negated)
    inequalities: list[tuple[str, ca.SX]]   # (label, g) with g <= 0
    equalities: list[tuple[str, ca.SX]]     # (label, h) with h = 0
    lb: np.ndarray
    ub: np.ndarray
    point: np.ndarray
    implicit: list[str]                     # implicit variables added to x, with their defining equations
    affine: set[str] = field(default_factory=set)   # labels of rows known to be linear (from Pyomo's repn)

    def function(self, exprs) -> ca.Function:
        return ca.Function("certify", [self.x], [ca.vertcat(*(ca.SX(e) for e in exprs)) if exprs else ca.SX(0, 1)])


@dataclass
class _LinearRow:
    """A linear constraint body ``sum_k a_k v_k + c`` (Pyomo's standard repn) and its value at the point."""

    coefficient: dict[int, float]   # id(variable) -> a_k
    variables: set[int]
    value: float

    @staticmethod
    def of(con) -> _LinearRow | None:
        repn = generate_standard_repn(con.body, compute_values=True, quadratic=False)
        if not repn.is_linear() or any(v.value is None for v in repn.linear_vars):
            return None
        coefficient: dict[int, float] = {}
        for var, a in zip(repn.linear_vars, repn.linear_coefs, strict=True):
            coefficient[id(var)] = coefficient.get(id(var), 0.0) + float(a)
        value = float(repn.constant) + sum(float(a) * float(v.value)
                                          for v, a in zip(repn.linear_vars, repn.linear_coefs, strict=True))
        return _LinearRow(coefficient, set(coefficient), value)


def _program(problem, agent, rows=None, held=None) -> _Program:
    """Translate the agent's objective, own and shared constraints and bounds to casadi (see module docstring).

    ``rows`` caches the linear form of each constraint (id -> :class:`_LinearRow` or None) across agents, so
    that a shared row over N agents' variables costs O(N) once, not once per agent. ``held`` maps ``id(var)`` to
    the value a variable stands for instead of its own (a QVI's shadow copy: its variable's value).
    """
    rows = {} if rows is None else rows
    held = {} if held is None else held
    # a GAMS objective variable defined by an equality is eliminated; one without (``objective=m.u``) is a variable
    objective_var = agent.objective if agent.objective_definition() is not None else None
    own = [v for v in agent.variables if not v.fixed and v is not objective_var]
    syms = {id(v): ca.SX.sym(f"x{k}") for k, v in enumerate(own)}
    implicit_of = {id(var): (var, con) for var, con in problem.implicit if not var.fixed}
    pending: list = []
    n_own = len(own)
    obj_sym = ca.SX.sym("objective") if objective_var is not None else None

    def variable(var):
        if id(var) in syms:
            return syms[id(var)]
        if obj_sym is not None and var is objective_var:
            return obj_sym
        if id(var) in implicit_of:
            syms[id(var)] = ca.SX.sym(f"y{len(syms)}")
            own.append(var)
            pending.append(implicit_of[id(var)][1])
            return syms[id(var)]
        if id(var) in held:
            return held[id(var)]
        if var.value is None:
            raise ModelError(f"{var.name} has no value; certifying agent '{agent.name}' needs a point "
                             f"(call solution.load() or set the variables' values)")
        return float(var.value)

    translate = Translator(variable, lambda expr, body: body)
    constraints = list(agent.constraints) + [s.constraint for s in problem.shared_of(agent.name)]
    special = set(implicit_of) | ({id(objective_var)} if objective_var is not None else set())
    linear_ids, bodies = set(), []
    for con in constraints:
        if id(con) not in rows:
            rows[id(con)] = _LinearRow.of(con)
        row = rows[id(con)]
        if row is None or row.variables & (special | set(held)):
            bodies.append((con, translate(con.body)))
            continue
        mine = [v for v in own if id(v) in row.coefficient]
        a = np.array([row.coefficient[id(v)] for v in mine])
        const = row.value - float(a @ np.array([float(v.value) for v in mine])) if mine else row.value
        body = ca.dot(ca.DM(a), ca.vertcat(*(syms[id(v)] for v in mine))) + const if mine else const
        bodies.append((con, body))
        linear_ids.add(id(con))
    if objective_var is not None:
        f, objdef = _eliminate_objective_variable(agent, objective_var, obj_sym, bodies)
        bodies = [(con, body) for con, body in bodies if con is not objdef]
    else:
        obj = agent.objective
        f = translate(obj.expr if isinstance(obj, ObjectiveData) else obj)
    while pending:
        con = pending.pop(0)
        bodies.append((con, translate(con.body)))
    inequalities, equalities, affine = [], [], set()
    for con, body in bodies:
        if con.equality:
            equalities.append((con.name, ca.SX(body) - float(pyo.value(con.upper))))
            labels = [con.name]
        else:
            labels = []
            if con.has_lb():
                labels.append(f"{con.name} (>=)")
                inequalities.append((labels[-1], float(pyo.value(con.lower)) - ca.SX(body)))
            if con.has_ub():
                labels.append(f"{con.name} (<=)")
                inequalities.append((labels[-1], ca.SX(body) - float(pyo.value(con.upper))))
        if id(con) in linear_ids:
            affine.update(labels)
    for var in own:
        if var.value is None:
            raise ModelError(f"{var.name} (agent '{agent.name}') has no value; certifying needs a point "
                             f"(call solution.load() or set the variables' values)")
    sign = -1.0 if agent.sense == "max" else 1.0
    return _Program(
        names=[v.name for v in own], x=ca.vertcat(*(syms[id(v)] for v in own)), objective=sign * ca.SX(f),
        inequalities=inequalities, equalities=equalities,
        lb=np.array([-np.inf if v.lb is None else float(v.lb) for v in own]),
        ub=np.array([np.inf if v.ub is None else float(v.ub) for v in own]),
        point=np.array([float(v.value) for v in own]), implicit=[v.name for v in own[n_own:]], affine=affine)


def _eliminate_objective_variable(agent, var, sym, bodies):
    """GAMS ``min obj`` with ``objdef.. obj =e= expr``: the objective is ``expr``, solved from the equality."""
    for con, body in bodies:
        if con.equality and isinstance(body, ca.SX) and ca.depends_on(body, sym):
            slope = ca.jacobian(body, sym)
            if ca.symvar(slope) or float(ca.evalf(slope)) == 0.0:
                raise ModelError(f"agent '{agent.name}': {con.name} must define {var.name} linearly")
            f = (float(pyo.value(con.upper)) - ca.substitute(body, sym, ca.SX(0))) / float(ca.evalf(slope))
            for other, other_body in bodies:
                if other is not con and isinstance(other_body, ca.SX) and ca.depends_on(other_body, sym):
                    raise ModelError(f"{other.name} uses the objective variable {var.name} of agent "
                                     f"'{agent.name}'; only its defining equation {con.name} may contain it")
            return f, con
    raise ModelError(f"agent '{agent.name}': objective variable {var.name} has no defining equality among the "
                     f"agent's constraints (GAMS: 'min {var.name} ... objdef'); list it in constraints")


# ---------------------------------------------------------------------------------------------- curvature
@dataclass(frozen=True)
class _Shape:
    """What is proven about one subexpression on the box ``lb <= x <= ub``: convex, concave (both: affine),
    its range ``[lo, hi]``, whether it is a polynomial, and its value when it is a constant."""

    convex: bool
    concave: bool
    lo: float
    hi: float
    polynomial: bool
    value: float | None = None


_NOTHING = _Shape(False, False, -np.inf, np.inf, False)


def _constant(v) -> _Shape:
    v = float(v)
    return _Shape(True, True, v, v, True, v) if math.isfinite(v) else _NOTHING


def _range(lo, hi) -> tuple[float, float]:
    """An interval as Python floats (whose arithmetic overflows to inf quietly), NaN ends widened to inf."""
    lo, hi = float(lo), float(hi)
    return (-np.inf if math.isnan(lo) else lo), (np.inf if math.isnan(hi) else hi)


def _end_product(v) -> float:
    """An end product with NaN from ``0 * inf`` read as 0 (the limit for a closed interval end at 0)."""
    return 0.0 if math.isnan(v) else float(v)


def _pw(v, p) -> float:
    """``v ** p`` for an interval end: inf on overflow, NaN (widened by :func:`_range`) off the domain."""
    with np.errstate(all="ignore"):
        return float(np.power(float(v), float(p)))


def _add(a, b) -> _Shape:
    if a.value is not None and b.value is not None:
        return _constant(a.value + b.value)
    return _Shape(a.convex and b.convex, a.concave and b.concave, *_range(a.lo + b.lo, a.hi + b.hi),
                  a.polynomial and b.polynomial)


def _scale(a, c) -> _Shape:
    if c == 0 or a.value is not None:
        return _constant(c * (a.value or 0.0))
    with np.errstate(invalid="ignore"):
        lo, hi = sorted((_end_product(c * a.lo), _end_product(c * a.hi)))
    return _Shape(a.convex if c > 0 else a.concave, a.concave if c > 0 else a.convex, *_range(lo, hi),
                  a.polynomial)


def _compose(a, convex, concave, lo, hi, polynomial=False) -> _Shape:
    """``h(a)`` for a scalar ``h`` that is convex/concave on ``a``'s range, monotone as ``a``'s range shows.

    ``convex``/``concave`` are (is it, nondecreasing there, nonincreasing there) triples for ``h``.
    """
    affine = a.convex and a.concave

    def holds(rule, inner_same, inner_opposite):
        is_it, up, down = rule
        return is_it and (affine or (up and inner_same) or (down and inner_opposite))

    return _Shape(holds(convex, a.convex, a.concave), holds(concave, a.concave, a.convex), *_range(lo, hi),
                  polynomial and a.polynomial)


def _even_power(a, p) -> _Shape:
    """``a**p`` for an even ``p >= 2``: convex, monotone where ``a`` keeps its sign."""
    lo = 0.0 if a.lo < 0 < a.hi else _pw(min(abs(a.lo), abs(a.hi)), p)
    hi = _pw(max(abs(a.lo), abs(a.hi)), p)
    return _compose(a, (True, a.lo >= 0, a.hi <= 0), (False, False, False), lo, hi, polynomial=True)


def _power(a, p) -> _Shape:
    """``a**p`` for a constant ``p``."""
    if p == 0:
        return _constant(1.0)
    if p == 1:
        return a
    if a.value is not None:
        return _constant(_pw(a.value, p))
    integer = float(p).is_integer()
    if integer and p > 0 and int(p) % 2 == 0:
        return _even_power(a, p)
    if integer and p > 0:           # odd: convex where a >= 0, concave where a <= 0, increasing
        return _compose(a, (a.lo >= 0, True, False), (a.hi <= 0, True, False), _pw(a.lo, p), _pw(a.hi, p), True)
    if p > 1 and a.lo >= 0:
        return _compose(a, (True, True, False), (False, False, False), _pw(a.lo, p), _pw(a.hi, p))
    if 0 < p < 1 and a.lo >= 0:
        return _compose(a, (False, False, False), (True, True, False), _pw(a.lo, p), _pw(a.hi, p))
    if p < 0 and a.lo > 0:
        return _compose(a, (True, False, True), (False, False, False), _pw(a.hi, p), _pw(a.lo, p))
    return _Shape(False, False, -np.inf, np.inf, False)


def _reciprocal(a, c=1.0) -> _Shape:
    """``c / a``: ``1/t`` is convex decreasing for ``t > 0``, concave decreasing for ``t < 0``."""
    if a.value is not None:
        return _constant(c / a.value)
    if a.lo > 0:
        return _scale(_compose(a, (True, False, True), (False, False, False), 1 / a.hi, 1 / a.lo), c)
    if a.hi < 0:
        return _scale(_compose(a, (False, False, False), (True, False, True), 1 / a.hi, 1 / a.lo), c)
    return _NOTHING


def _multiply(a, b) -> _Shape:
    if a.value is not None:
        return _scale(b, a.value)
    if b.value is not None:
        return _scale(a, b.value)
    with np.errstate(invalid="ignore"):
        products = np.array([_end_product(p) for p in (a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi)])
    return _Shape(False, False, float(products.min()), float(products.max()), a.polynomial and b.polynomial)


def _divide(a, b) -> _Shape:
    if b.value is not None and b.value != 0:
        return _scale(a, 1.0 / b.value)
    if a.value is not None:
        return _reciprocal(b, a.value)
    if b.lo > 0 or b.hi < 0:        # a range only: a * (1 / b)
        return _multiply(a, _reciprocal(b))
    return _NOTHING


def _unary(op, a) -> _Shape:
    if op == ca.OP_NEG:
        return _scale(a, -1.0)
    if op == ca.OP_TWICE:
        return _scale(a, 2.0)
    if op == ca.OP_SQ:
        return _even_power(a, 2)
    if op == ca.OP_INV:
        return _reciprocal(a)
    up = (True, True, False)
    if op == ca.OP_EXP:
        return _compose(a, up, (False, False, False), *(math.exp(v) if v < 709 else np.inf for v in (a.lo, a.hi)))
    if op in (ca.OP_LOG, ca.OP_SQRT) and a.lo >= 0:    # concave nondecreasing on their domain
        fn = math.log if op == ca.OP_LOG else math.sqrt
        lo = fn(a.lo) if a.lo > 0 else (-np.inf if op == ca.OP_LOG else 0.0)
        hi = fn(a.hi) if 0 < a.hi < np.inf else (np.inf if a.hi == np.inf else lo)
        return _compose(a, (False, False, False), up, lo, hi)
    if op in (ca.OP_SIN, ca.OP_COS):
        return _Shape(False, False, *_sine_range(a.lo + (math.pi / 2 if op == ca.OP_COS else 0.0), a.hi + (
            math.pi / 2 if op == ca.OP_COS else 0.0)), False)
    if op in (ca.OP_ATAN, ca.OP_TANH):     # increasing
        fn = math.atan if op == ca.OP_ATAN else math.tanh
        return _Shape(False, False, fn(a.lo), fn(a.hi), False)
    if op in (ca.OP_FABS, ca.OP_COSH):
        fn = abs if op == ca.OP_FABS else np.cosh
        lo = fn(0.0) if a.lo < 0 < a.hi else min(fn(a.lo), fn(a.hi))
        return _compose(a, (True, a.lo >= 0, a.hi <= 0), (False, False, False), lo, max(fn(a.lo), fn(a.hi)))
    return _NOTHING


def _sine_range(lo, hi) -> tuple[float, float]:
    """The range of ``sin`` on ``[lo, hi]``: the end values, and +-1 where a peak or trough lies inside."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi - lo >= 2 * math.pi:
        return -1.0, 1.0
    low, high = min(math.sin(lo), math.sin(hi)), max(math.sin(lo), math.sin(hi))
    if math.ceil((lo - math.pi / 2) / (2 * math.pi)) <= (hi - math.pi / 2) / (2 * math.pi):
        high = 1.0
    if math.ceil((lo + math.pi / 2) / (2 * math.pi)) <= (hi + math.pi / 2) / (2 * math.pi):
        low = -1.0
    return low, high


def _binary(op, a, b) -> _Shape:
    if op == ca.OP_ADD:
        return _add(a, b)
    if op == ca.OP_SUB:
        return _add(a, _scale(b, -1.0))
    if op == ca.OP_MUL:
        return _multiply(a, b)
    if op == ca.OP_DIV:
        return _divide(a, b)
    if op in (ca.OP_POW, ca.OP_CONSTPOW) and b.value is not None:
        return _power(a, b.value)
    if op in (ca.OP_FMAX, ca.OP_FMIN):     # max of convex functions is convex (nondecreasing in each)
        big = op == ca.OP_FMAX
        return _Shape(big and a.convex and b.convex, (not big) and a.concave and b.concave,
                      (max if big else min)(a.lo, b.lo), (max if big else min)(a.hi, b.hi), False)
    return _NOTHING


def _shape(fn: ca.Function, lb, ub) -> _Shape:
    """Propagate :class:`_Shape` through the instructions of ``fn`` (one input ``x``, one scalar output)."""
    registers: dict[int, _Shape] = {}
    with np.errstate(all="ignore"):
        return _propagate(fn, registers, lb, ub)


def _propagate(fn, registers, lb, ub) -> _Shape:
    for k in range(fn.n_instructions()):
        op, args, out = fn.instruction_id(k), fn.instruction_input(k), fn.instruction_output(k)
        if op == ca.OP_OUTPUT:
            return registers[args[0]]
        if op == ca.OP_CONST:
            node = _constant(float(fn.instruction_constant(k)))
        elif op == ca.OP_INPUT:
            node = _Shape(True, True, float(lb[args[1]]), float(ub[args[1]]), True)
        elif op == ca.OP_ASSIGN:
            node = registers[args[0]]
        elif op == ca.OP_MUL and args[0] == args[1]:
            node = _even_power(registers[args[0]], 2)
        elif len(args) == 1:
            node = _unary(op, registers[args[0]])
        elif len(args) == 2:
            node = _binary(op, registers[args[0]], registers[args[1]])
        else:
            node = _NOTHING
        registers[out[0]] = node
    return _NOTHING


@dataclass
class _Curvature:
    """One function of the program: its shape and, when it is quadratic, its constant Hessian, kept on the
    variables the function depends on (``support``, indices into ``x``): a row of a large program touches few
    variables, and n x n matrices for every row would cost O(rows n^2) memory."""

    label: str
    expr: ca.SX
    shape: _Shape
    hessian: np.ndarray | None
    support: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))


def _curvature(program, label, expr) -> _Curvature:
    if label in program.affine:
        return _Curvature(label, expr, _Shape(True, True, -np.inf, np.inf, True), np.zeros((0, 0)))
    fn = program.function([expr])
    shape = _shape(fn, program.lb, program.ub)
    hessian, support = None, np.zeros(0, dtype=int)
    if shape.polynomial:
        expr = ca.SX(expr)
        support = np.flatnonzero(ca.which_depends(expr, program.x, 1, False)) if program.x.numel() else support
        H = ca.hessian(expr, program.x[support.tolist()])[0] if support.size else ca.SX(0, 0)
        if not ca.symvar(H):
            hessian = np.array(ca.evalf(H), dtype=float).reshape(support.size, support.size)
    return _Curvature(label, expr, shape, hessian, support)


def _free_directions(program, equalities) -> np.ndarray:
    """A basis of the directions that the affine equalities and the fixed variables (lb == ub) leave free."""
    n = program.x.numel()
    rows = [np.eye(n)[k] for k in np.flatnonzero(program.lb == program.ub)]
    rows += [_gradient(program, c.expr) for c in equalities]
    return linalg.null_space(np.array(rows)) if rows else np.eye(n)


def _gradient(program, expr) -> np.ndarray:
    """The gradient of an affine ``expr`` (constant)."""
    g = ca.Function("gradient", [program.x], [ca.gradient(ca.SX(expr), program.x)])(np.zeros(program.x.numel()))
    return np.array(g, dtype=float).ravel()


def _min_eigenvalue(c, program, affine, free) -> float:
    """``min eig(Z' H Z)`` for the Hessian ``H`` of ``c`` (on its support) and an orthonormal basis ``Z`` of the
    free directions (:func:`_free_directions`, computed once, into the list ``free``, when first needed).
    ``min eig(H)`` is returned instead when it is not negative: a lower bound of ``min eig(Z' H Z)`` (Cauchy
    interlacing; ``H`` on all of ``x`` only adds zero eigenvalues) that decides convexity without the projection."""
    low = float(linalg.eigvalsh(c.hessian, subset_by_index=[0, 0])[0])
    if low >= 0.0:
        return 0.0
    if not free:
        free.append(_free_directions(program, affine))
    Z = free[0][c.support]
    return float(linalg.eigvalsh(Z.T @ c.hessian @ Z, subset_by_index=[0, 0])[0]) if Z.shape[1] else 0.0


def _analyse(program, tol):
    """Curvature of every function and the :class:`Convexity` verdict; also whether the program is a QP."""
    objective = _curvature(program, "objective", program.objective)
    inequalities = [_curvature(program, label, g) for label, g in program.inequalities]
    equalities = [_curvature(program, label, h) for label, h in program.equalities]
    affine = [c for c in equalities if c.hessian is not None and not c.hessian.any()]
    free: list = []
    proven_nonconvex, not_proven = [], []
    for c in [objective, *inequalities]:
        if c.hessian is not None:
            low = _min_eigenvalue(c, program, affine, free) if c.hessian.any() else 0.0
            if low < -tol * max(1.0, float(np.abs(c.hessian).max(initial=0.0))):
                proven_nonconvex.append(f"{c.label}: Hessian eigenvalue {low:.3g} < 0")
        elif not c.shape.convex:
            not_proven.append(f"{c.label}: not quadratic, and no curvature rule proves it convex")
    not_proven += [f"equality {c.label} is not affine" for c in equalities if not any(c is a for a in affine)]
    linear = all(c.hessian is not None and not c.hessian.any() for c in inequalities) and len(affine) == len(
        equalities)
    is_qp = objective.hessian is not None and linear
    if proven_nonconvex and len(affine) == len(equalities):    # exact on the affine set (implicit ones included)
        return Convexity(NONCONVEX, "; ".join(proven_nonconvex)), is_qp
    if proven_nonconvex or not_proven:
        reasons = proven_nonconvex + not_proven
        if program.implicit:
            reasons.append(f"implicit variable(s) {', '.join(program.implicit)} with their defining equations")
        return Convexity(UNKNOWN, "; ".join(reasons)), is_qp
    return Convexity(CONVEX, _convex_reason(objective, inequalities, equalities)), is_qp


def _convex_reason(objective, inequalities, equalities) -> str:
    """Why the program is convex, e.g. 'quadratic objective, Hessian eigenvalues >= 0; linear constraints'."""
    if objective.hessian is None:
        what = "objective convex by curvature rules"
    elif objective.hessian.any():
        what = "quadratic objective, Hessian eigenvalues >= 0"
    else:
        what = "linear objective"
    curved = [c.label for c in inequalities if c.hessian is None or c.hessian.any()]
    if not curved:
        return f"{what}; linear constraints" if inequalities or equalities else f"{what}; bounds only"
    others = "; the others linear" if len(curved) < len(inequalities) or equalities else ""
    return f"{what}; convex constraints {', '.join(curved)}{others}"


def agent_convexity(problem, agent, tol=1e-7) -> Convexity:
    """Is ``agent``'s own problem, min f_i(x_i, x_-i) s.t. its own and shared constraints, with every other
    agent's variables fixed at their current values, a convex program in x_i?

    Quadratic functions are decided exactly (eigenvalues of the Hessian on the directions left free by the
    affine equalities, ``>= -tol * max(1, |H|_max)``); other functions by conservative curvature rules.
    """
    agent = problem.agent(agent.name if hasattr(agent, "name") else agent)
    return _analyse(_program(problem, agent), tol)[0]


# ---------------------------------------------------------------------------------------------- QP enumeration
@dataclass
class _QP:
    """``min 0.5 x'Qx + c'x + f0  s.t.  E x = e,  G x <= h`` (bounds included as rows of ``G``)."""

    Q: np.ndarray
    c: np.ndarray
    f0: float
    E: np.ndarray
    e: np.ndarray
    G: np.ndarray
    h: np.ndarray
    groups: list[list[int]]     # rows of G that cannot be active together (two sides of one bound)

    def value(self, x) -> np.ndarray:
        return 0.5 * np.einsum("...i,ij,...j->...", x, self.Q, x) + x @ self.c + self.f0

    def feasible(self, x, tol=1e-9) -> np.ndarray:
        """Each row holds to ``tol (1 + |rhs|)`` plus rounding, ``1e-12 |row| |x|`` (NaN is infeasible)."""
        with np.errstate(all="ignore"):
            slack_G = tol * (1.0 + np.abs(self.h)) + 1e-12 * (np.abs(x) @ np.abs(self.G).T)
            slack_E = tol * (1.0 + np.abs(self.e)) + 1e-12 * (np.abs(x) @ np.abs(self.E).T)
            ok = (x @ self.G.T - self.h <= slack_G).all(axis=-1)
            return ok & (np.abs(x @ self.E.T - self.e) <= slack_E).all(axis=-1) & np.isfinite(x).all(axis=-1)

    def free_dimension(self) -> int:
        return self.Q.shape[0] - (np.linalg.matrix_rank(self.E) if self.E.size else 0)

    def count(self) -> int:
        """The number of active sets :meth:`minimum` enumerates (at most ``free_dimension`` active rows)."""
        poly = np.array([1.0])
        for group in self.groups:
            poly = np.convolve(poly, [1.0, float(len(group))])
        return int(poly[: self.free_dimension() + 1].sum())

    def minimum(self) -> tuple[float, np.ndarray | None]:
        """The least value over the feasible stationary points of every face (each set of active rows)."""
        free = self.free_dimension()
        E, e = _independent_rows(self.E, self.e)
        best, best_x = np.inf, None
        for k in range(free + 1):
            active = [rows for chosen in itertools.combinations(self.groups, k)
                      for rows in itertools.product(*chosen)]
            if not active:
                continue
            active = np.array(active, dtype=int).reshape(len(active), k)
            x = self._stationary_points(E, e, active)
            ok = self.feasible(x)
            if ok.any():
                values = self.value(x[ok])
                j = int(np.argmin(values))
                if values[j] < best:
                    best, best_x = float(values[j]), x[ok][j]
        return best, best_x

    def _stationary_points(self, E, e, active) -> np.ndarray:
        """Solve ``[Q A'; A 0] [x; y] = [-c; b]`` for every active set at once (see :func:`_solve_batch`)."""
        n, r, (count, k) = self.Q.shape[0], E.shape[0], active.shape
        size = n + r + k
        K = np.zeros((count, size, size))
        K[:, :n, :n] = self.Q
        K[:, n:n + r, :n] = E
        K[:, :n, n:n + r] = E.T
        A = self.G[active]
        K[:, n + r:, :n] = A
        K[:, :n, n + r:] = A.transpose(0, 2, 1)
        rhs = np.concatenate([np.broadcast_to(-self.c, (count, n)), np.broadcast_to(e, (count, r)),
                              self.h[active]], axis=1)
        return _solve_batch(K, rhs[..., None])[:, :n, 0]


def _solve_batch(K, rhs) -> np.ndarray:
    """``K^-1 rhs`` for a stack of systems by LU; a singular one gets its least-squares solution instead.

    Any point is a valid candidate (it is checked for feasibility and valued as it is); what matters is that
    the nonsingular faces get their exact stationary points, which LU gives.
    """
    try:
        return np.linalg.solve(K, rhs)
    except np.linalg.LinAlgError:
        if len(K) == 1:
            return np.linalg.pinv(K, rcond=1e-12) @ rhs
        half = len(K) // 2
        return np.concatenate([_solve_batch(K[:half], rhs[:half]), _solve_batch(K[half:], rhs[half:])])


def _independent_rows(E, e):
    if not E.size:
        return E, e
    _, R, pivots = linalg.qr(E.T, pivoting=True, mode="economic")
    rank = int((np.abs(np.diag(R)) > 1e-10 * max(1.0, np.abs(R).max())).sum())
    keep = np.sort(pivots[:rank])
    return E[keep], e[keep]


def _qp(program, lb, ub) -> _QP:
    """The QP data of a program whose objective is quadratic and whose constraints are affine."""
    n = program.x.numel()
    zero = np.zeros(n)
    Q = np.array(ca.evalf(ca.hessian(program.objective, program.x)[0]), dtype=float).reshape(n, n)
    c = _gradient(program, program.objective)
    f0 = float(program.function([program.objective])(zero))

    def rows(items):
        if not items:
            return np.zeros((0, n)), np.zeros(0)
        A = np.array([_gradient(program, expr) for _, expr in items])
        return A, -np.array(program.function([expr for _, expr in items])(zero), dtype=float).ravel()

    E, e = rows(program.equalities)
    G, h = rows(program.inequalities)
    groups = [[k] for k in range(G.shape[0])]
    fixed = lb == ub
    E = np.vstack([E, np.eye(n)[fixed]])
    e = np.concatenate([e, lb[fixed]])
    bound_rows, bound_rhs = [], []
    for k in np.flatnonzero(~fixed):
        group = []
        for coef, bound in ((-1.0, lb[k]), (1.0, ub[k])):
            if np.isfinite(bound):
                group.append(G.shape[0] + len(bound_rows))
                bound_rows.append(coef * np.eye(n)[k])
                bound_rhs.append(coef * bound)
        if group:
            groups.append(group)
    if bound_rows:
        G, h = np.vstack([G, bound_rows]), np.concatenate([h, bound_rhs])
    return _QP(Q, c, f0, E, e, G, h, groups)


def _bounded(qp) -> bool:
    """Is the feasible polyhedron shown bounded? (both bounds on every variable, or an LP per coordinate)"""
    n = qp.Q.shape[0]
    boxed_variables = {int(np.flatnonzero(qp.G[rows[0]])[0]) for rows in qp.groups if len(rows) == 2}
    if len(boxed_variables) == n:       # groups of two rows are the two bounds of one variable
        return True
    for k in range(n):
        for direction in (1.0, -1.0):
            res = optimize.linprog(direction * np.eye(n)[k], A_ub=qp.G if qp.G.size else None,
                                   b_ub=qp.h if qp.G.size else None, A_eq=qp.E if qp.E.size else None,
                                   b_eq=qp.e if qp.E.size else None, bounds=(None, None), method="highs")
            if res.status != 0:     # unbounded, or not shown bounded (the caller then claims less)
                return False
    return True


def _recession_qp(qp) -> _QP:
    """``min d'Qd / 2`` over the recession cone ``E d = 0, G d <= 0`` cut by ``-1 <= d <= 1``."""
    n = qp.Q.shape[0]
    m = qp.G.shape[0]
    G = np.vstack([qp.G, np.eye(n), -np.eye(n)])
    h = np.concatenate([np.zeros(m), np.ones(2 * n)])
    groups = qp.groups + [[m + k, m + n + k] for k in range(n)]
    return _QP(qp.Q, np.zeros(n), 0.0, qp.E, np.zeros(qp.E.shape[0]), G, h, groups)


# ---------------------------------------------------------------------------------------------- certificates
def _check_limits(limits) -> dict:
    unknown = sorted(set(limits) - set(LIMITS))
    if unknown:
        raise ModelError(f"unknown certify limit(s) {unknown}; known: {sorted(LIMITS)}")
    return {**LIMITS, **limits}


def certify_agent(problem, agent, tol=1e-7, gap=0.0, **limits) -> Certificate:
    """Is ``agent`` (name or Agent) at a global best response at the current values of the model's variables?

    Convex program: "global", meaning that a KKT point of the agent is a global minimum (whether the point is
    one is for the solve and ``kkt_check`` to say; nothing is re-solved here, gain nan). A QP with at most
    ``max_active_sets`` active sets: exact enumeration. Otherwise a multistart of Ipopt (``starts`` starts; a
    ``grid`` of points for a one-variable agent). ``gain`` is ``f(x*) - f(best response)`` in the agent's own
    sense; "improvable" means ``gain > tol * max(1, |f(x*)|)``. ``gap``: the first-order optimality gap of the
    point in objective units (``sum |r_k| max(1, |x_k|)`` over the agent's KKT rows, from the solve); a convex
    agent whose gap is above the threshold is re-solved once from the point. ``limits``: see :data:`LIMITS`.
    """
    return _certify_agent(problem, agent, tol, {}, limits, gap)


def _certify_agent(problem, agent, tol, rows, limits, gap=0.0) -> Certificate:
    """:func:`certify_agent` with a cache of linear rows (see :func:`_program`)."""
    limits = _check_limits(limits)
    agent = problem.agent(agent.name if hasattr(agent, "name") else agent)
    program = _program(problem, agent, rows)
    convexity, is_qp = _analyse(program, tol)
    f_star = float(program.function([program.objective])(program.point))
    threshold = tol * max(1.0, abs(f_star))
    if convexity.verdict == CONVEX:
        if gap <= threshold:
            return Certificate(agent.name, convexity, GLOBAL, float("nan"), {}, "convex: KKT suffices")
        # an approximate KKT point far out on an unbounded set can be far from optimal (min 1/x on x >= 1 at
        # x = 6e4 has gradient 3e-10): one local solve of the convex program from the point decides
        local = _multistart(agent, program, convexity, f_star, threshold, {**limits, "starts": 1})
        if local.verdict == IMPROVABLE:
            return local
        return Certificate(agent.name, convexity, GLOBAL, local.gain, {},
                           f"convex: first-order gap {gap:.1e}, confirmed by a local solve from the point")
    if is_qp:
        certificate = _enumerate(agent, program, convexity, f_star, threshold, {**limits, "tol": tol})
        if certificate is not None:
            return certificate
    if program.x.numel() == 1:
        certificate = _branch_and_bound(agent, program, convexity, f_star, threshold, limits)
        if certificate is not None and certificate.verdict != UNPROVEN:
            return certificate
    return _multistart(agent, program, convexity, f_star, threshold, limits)


def _certificate(agent, program, convexity, gain, x, threshold, method, proven) -> Certificate:
    if x is None:       # no feasible point at all: nothing is shown
        return Certificate(agent.name, convexity, UNPROVEN, float("nan"), {}, f"{method}: no feasible point found")
    if gain > threshold:
        response = dict(zip(program.names, map(float, x), strict=True))
        return Certificate(agent.name, convexity, IMPROVABLE, float(gain), response, method)
    return Certificate(agent.name, convexity, GLOBAL if proven else UNPROVEN, max(float(gain), 0.0), {}, method)


def _enumerate(agent, program, convexity, f_star, threshold, limits) -> Certificate | None:
    """Exact global minimum of a small QP by its active sets (see the module docstring); None if too many."""
    qp = _qp(program, program.lb, program.ub)
    limit = limits["max_active_sets"]
    if _bounded(qp):
        if qp.count() > limit:
            return None
        best, x = qp.minimum()
        method = f"exact QP enumeration ({qp.count()} active sets)"
        return _certificate(agent, program, convexity, f_star - best, x, threshold, method, proven=True)
    cone = _recession_qp(qp)
    radius = limits["radius"] * max(1.0, float(np.abs(program.point).max(initial=0.0)))
    boxed = _qp(program, np.where(np.isfinite(program.lb), program.lb, program.point - radius),
                np.where(np.isfinite(program.ub), program.ub, program.point + radius))
    if cone.count() + boxed.count() > limit:
        return None
    method = f"exact QP enumeration ({cone.count() + boxed.count()} active sets)"
    curvature, d = cone.minimum()
    if curvature < -limits['tol'] * max(1.0, float(np.abs(qp.Q).max())):
        x = _along_ray(qp, program.point, d, f_star, threshold)
        response = dict(zip(program.names, map(float, x), strict=True))
        return Certificate(agent.name, convexity, IMPROVABLE, float("inf"), response,
                           f"{method}: feasible set unbounded along a direction of negative curvature")
    best, x = boxed.minimum()
    return _certificate(agent, program, convexity, f_star - best, x, threshold,
                        f"{method} on |x - x*| <= {radius:.3g} (feasible set unbounded)", proven=False)


def _along_ray(qp, point, d, f_star, threshold) -> np.ndarray:
    """A feasible point ``x* + t d`` (``d`` a recession direction with ``d'Qd < 0``) better than ``x*``."""
    t = max(1.0, float(np.abs(point).max(initial=0.0)))
    for _ in range(200):
        if qp.value(point + t * d) <= f_star - max(1.0, threshold):
            break
        t *= 2.0
    return point + t * d


_SMOOTH = {ca.OP_ASSIGN, ca.OP_ADD, ca.OP_SUB, ca.OP_MUL, ca.OP_DIV, ca.OP_NEG, ca.OP_SQ, ca.OP_TWICE, ca.OP_POW,
           ca.OP_CONSTPOW, ca.OP_SQRT, ca.OP_EXP, ca.OP_LOG, ca.OP_SIN, ca.OP_COS, ca.OP_TAN, ca.OP_ATAN, ca.OP_SINH,
           ca.OP_COSH, ca.OP_TANH, ca.OP_INV, ca.OP_CONST, ca.OP_INPUT, ca.OP_OUTPUT}


def _smooth(fn: ca.Function) -> bool:
    """Only operations that are differentiable wherever they are defined (no abs, min, max, floor, if_else)."""
    return all(fn.instruction_id(k) in _SMOOTH for k in range(fn.n_instructions()))


def _feasibility(program):
    """``feasible(x)``: every constraint and bound holds to ``1e-9 max(1, |x|)``."""
    g = [expr for _, expr in program.inequalities] + [expr for _, expr in program.equalities]
    n_ineq = len(program.inequalities)
    constraints = program.function(g)

    def feasible(x) -> bool:
        x = np.atleast_1d(np.asarray(x, dtype=float))
        values = np.array(constraints(x), dtype=float).ravel()
        tol = 1e-9 * max(1.0, float(np.abs(x).max(initial=0.0)))
        return bool((values[:n_ineq] <= tol).all() and (np.abs(values[n_ineq:]) <= tol).all()
                    and (x >= program.lb - tol).all() and (x <= program.ub + tol).all())

    return feasible


def _interval(program) -> tuple[float, float]:
    """The bounds of a one-variable program, tightened by its linear rows ``a x + b <= 0`` (or ``= 0``)."""
    lo, hi = float(program.lb[0]), float(program.ub[0])
    for rows, equal in ((program.inequalities, False), (program.equalities, True)):
        for label, expr in rows:
            if label not in program.affine:
                continue
            a, b = _gradient(program, expr)[0], float(program.function([expr])(0.0))
            if a > 0 or (equal and a < 0):
                hi = min(hi, -b / a)
            if a < 0 or (equal and a > 0):
                lo = max(lo, -b / a)
    return lo, hi


def _branch_and_bound(agent, program, convexity, f_star, threshold, limits) -> Certificate | None:
    """Global minimum of a one-variable program by interval branch and bound.

    A sub-interval is dropped when the ranges of :class:`_Shape` show that ``f`` cannot go below
    ``best - threshold`` there (``best``: the least feasible value seen, ``f(x*)`` at first) or that some
    constraint fails everywhere in it; feasible midpoints and end points lower ``best``. For a smooth ``f`` the
    range of ``f'`` adds a bound: ``f`` at the finite end where ``f`` is monotone, else the mean-value bound.
    An unbounded interval is split at fast-growing distances, so that a tail where ``f`` is monotone is dropped
    at once. When every sub-interval is dropped, no feasible point beats ``best`` by more than ``threshold``:
    "global" if ``best = f(x*)``, else "improvable". (The ranges are computed in round-to-nearest arithmetic:
    errors ~1e-16 relative, far below ``threshold``.) None when the interval is empty.
    """
    lo, hi = _interval(program)
    if not lo <= hi:
        return None
    objective = program.function([program.objective])
    slope = program.function([ca.gradient(program.objective, program.x)]) if _smooth(objective) else None
    inequalities = [program.function([g]) for _, g in program.inequalities]
    equalities = [program.function([h]) for _, h in program.equalities]
    feasible = _feasibility(program)
    best, best_x = f_star, program.point
    for x in (lo, hi):
        value = float(objective(x)) if math.isfinite(x) else np.nan
        if value < best - threshold and feasible(x):
            best, best_x = value, np.array([x])

    def lower_bound(a, b) -> float:
        """A lower bound of f on [a, b]: its range, and for a smooth f the monotone or mean-value bound."""
        box = (np.array([a]), np.array([b]))
        low = _shape(objective, *box).lo
        if slope is None or low >= best - threshold:
            return low
        d = _shape(slope, *box)
        if d.lo >= 0 and math.isfinite(a):          # nondecreasing: least at a
            candidate = float(objective(a))
        elif d.hi <= 0 and math.isfinite(b):        # nonincreasing: least at b
            candidate = float(objective(b))
        elif math.isfinite(b - a):                  # f(x) >= f(m) - max|f'| |x - m|
            candidate = float(objective(0.5 * (a + b))) - max(-d.lo, d.hi) * 0.5 * (b - a)
        else:
            return low
        return low if math.isnan(candidate) else max(low, candidate)

    def excluded(a, b) -> bool:
        if lower_bound(a, b) >= best - threshold:
            return True
        box = (np.array([a]), np.array([b]))
        if any(_shape(g, *box).lo > 0 for g in inequalities):
            return True
        return any(h.lo > 0 or h.hi < 0 for h in (_shape(fn, *box) for fn in equalities))

    stack, count, unresolved = [(lo, hi)], 0, 0
    while stack:
        a, b = stack.pop()
        count += 1
        if excluded(a, b):
            continue
        mid = _split(a, b, float(program.point[0]))
        value = float(objective(mid))
        if value < best - threshold and feasible(mid):
            best, best_x = value, np.array([mid])
        if count >= limits["max_intervals"]:
            method = f"interval branch and bound (stopped after {count} intervals)"
            return _certificate(agent, program, convexity, f_star - best, best_x, threshold, method, proven=False)
        if b - a <= 1e-12 * max(1.0, abs(a), abs(b)) < np.inf:
            unresolved += 1         # too narrow to split: the others are still searched
            continue
        stack += [(a, mid), (mid, b)]
    method = f"interval branch and bound ({count} intervals" + (f", {unresolved} unresolved)" if unresolved else ")")
    return _certificate(agent, program, convexity, f_star - best, best_x, threshold, method, proven=not unresolved)


def _split(a, b, point) -> float:
    """Where to split [a, b]: the midpoint; on an unbounded side, 256 times as far out (from the point if both).

    Ranges over a tail [M, inf) are loose until M is large; growing M fast reaches a provably monotone tail in
    few steps (the MCPLIB nash firms: 171 intervals, against 1115 when doubling)."""
    if math.isfinite(a) and math.isfinite(b):
        return 0.5 * (a + b)
    if math.isfinite(a):
        return a + 255.0 * max(1.0, abs(a))
    if math.isfinite(b):
        return b - 255.0 * max(1.0, abs(b))
    return point


def _multistart(agent, program, convexity, f_star, threshold, limits) -> Certificate:
    """Ipopt from the point, box corners, random points (and the best points of a grid for one variable)."""
    n = program.x.numel()
    g = [expr for _, expr in program.inequalities] + [expr for _, expr in program.equalities]
    n_ineq = len(program.inequalities)
    objective = program.function([program.objective])
    feasible = _feasibility(program)
    rng = np.random.default_rng(limits["seed"])
    scale = np.maximum(1.0, np.abs(program.point))
    lo = np.where(np.isfinite(program.lb), program.lb, program.point - 10 * scale)
    hi = np.where(np.isfinite(program.ub), program.ub, program.point + 10 * scale)

    best, best_x = f_star, program.point
    starts = [program.point]
    grid_note = ""
    if n == 1:
        grid = np.linspace(lo[0], hi[0], limits["grid"])[None, :]
        values = np.array(objective.map(grid.shape[1])(grid), dtype=float).ravel()
        order = [k for k in np.argsort(values) if feasible(grid[:, k])]
        if order and values[order[0]] < best:
            best, best_x = float(values[order[0]]), grid[:, order[0]]
        starts += [grid[:, k] for k in order[:3]]
        grid_note = f", grid of {limits['grid']}"
    corners = list(itertools.product(*zip(lo, hi, strict=True))) if 2 ** n < limits["starts"] else []
    starts += [np.array(c) for c in corners]
    starts += [lo + rng.uniform(0.0, 1.0, n) * (hi - lo) for _ in range(max(limits["starts"] - len(starts), 0))]
    nlp = {"x": program.x, "f": program.objective, "g": ca.vertcat(*(ca.SX(e) for e in g)) if g else ca.SX(0, 1)}
    ipopt = {"print_level": 0, "sb": "yes", "tol": 1e-10, "constr_viol_tol": 1e-10, "bound_relax_factor": 0.0,
             "max_iter": 500}
    solver = ca.nlpsol("certify", "ipopt", nlp, {"ipopt": ipopt, "print_time": False, "error_on_fail": False})
    lbg, ubg = [-np.inf] * n_ineq + [0.0] * (len(g) - n_ineq), [0.0] * len(g)
    for start in starts:
        x = np.array(solver(x0=start, lbx=program.lb, ubx=program.ub, lbg=lbg, ubg=ubg)["x"], dtype=float).ravel()
        value = float(objective(x))
        if np.isfinite(value) and value < best and feasible(x):
            best, best_x = value, x
    method = f"multistart ({len(starts)} starts{grid_note})"
    return _certificate(agent, program, convexity, f_star - best, best_x, threshold, method, proven=False)


def certificates(problem, agents=None, tol=1e-7, gaps=None, **limits) -> dict[str, Certificate]:
    """:func:`certify_agent` for each agent (all by default), ``{agent name: Certificate}``.

    Cheaper than calling :func:`certify_agent` agent by agent: each linear constraint is read once for all the
    agents that share it. ``gaps``: ``{agent name: first-order gap}`` (see :func:`certify_agent`).
    """
    names = problem.agent_names if agents is None else [str(a) for a in agents]
    linear_rows: dict = {}
    gaps = gaps or {}
    return {name: _certify_agent(problem, name, tol, linear_rows, limits, gaps.get(name, 0.0)) for name in names}


def certify(problem, agents=None, tol=1e-7, **limits) -> pd.DataFrame:
    """:func:`certificates` as a table: one row per agent, indexed by agent.

    Columns: convexity, reason, verdict, gain, method, response.
    """
    rows = [{"agent": cert.agent, "convexity": cert.convexity.verdict, "reason": cert.convexity.reason,
             "verdict": cert.verdict, "gain": cert.gain, "method": cert.method, "response": cert.response}
            for cert in certificates(problem, agents, tol, **limits).values()]
    columns = ["agent", "convexity", "reason", "verdict", "gain", "method", "response"]
    return pd.DataFrame(rows, columns=columns).set_index("agent")


# ---------------------------------------------------------------------------------------------- VIs with constraints
VI_SOLUTION = "VI solution (convex set)"
VI_KKT_POINT = "KKT point (set not proven convex)"


def vi_label(problem, block) -> str:
    """The name of VI block ``block`` (an index into ``problem.vi_blocks``) in tables: its keyword and its
    variables, e.g. ``(vi: x[1], x[2])``."""
    names = [pair.variable.name for pair in problem.vi_pairs if pair.block == block]
    shown = ", ".join(names[:3]) + (f", ... ({len(names)} variables)" if len(names) > 3 else "")
    return f"({problem.vi_blocks[block].statement}: {shown})"


def vi_convexity(problem, block, tol=1e-7) -> Convexity:
    """Is the set ``K = {x : g(x, others) <= 0, h(x, others) = 0, lb <= x <= ub}`` of VI block ``block`` (an
    index into ``problem.vi_blocks``) convex in the VI's own variables ``x``, the others (and a QVI's shadow
    copies, held at their variables' values) fixed at their current values?

    "convex" is proven as for an agent's feasible set (:func:`agent_convexity` with a zero objective): each
    inequality ``g <= 0`` convex in ``x``, each equality ``h = 0`` affine. Then a KKT point (``F(x) + grad g' mu
    + grad h' nu`` complementary to the bounds of ``x``, ``0 <= mu _|_ g(x) <= 0``) solves the VI, with no
    constraint qualification needed: for ``v`` in ``K``, ``F(x)'(v - x) >= -mu' grad g (v - x) - nu' grad h
    (v - x) >= mu' (g(x) - g(v)) >= 0``. For a QVI this is the VI on ``K(x)`` with the shadow copies at the point,
    so a KKT point solves the QVI. (The converse, a solution being a KKT point, needs a constraint qualification.)
    Curved functions prove nothing about the set either way (``x1 x2 >= 1`` on ``x >= 0`` is convex), so the
    verdict is then "unknown", never "nonconvex".
    """
    from sharedeq.problem import Agent

    members = [pair for pair in problem.vi_pairs if pair.block == block]
    label = vi_label(problem, block)
    pseudo = Agent(label, 0, "min", [pair.variable for pair in members], list(problem.vi_blocks[block].constraints))
    held = {id(pair.parameter): _value_of(pair.variable) for pair in members if pair.parameter is not None}
    convexity, _ = _analyse(_program(problem, pseudo, held=held), tol)
    copies = [pair.parameter.name for pair in members if pair.parameter is not None]
    shadows = f", with the shadow copies {', '.join(copies)} at the point" if copies else ""
    if convexity.verdict == CONVEX:
        return Convexity(CONVEX, convexity.reason.removeprefix("linear objective; ") + shadows)
    return Convexity(UNKNOWN, f"{convexity.reason}{shadows} (the set may still be convex, but that is not shown)")


def vi_checks(problem, tol=1e-7) -> pd.DataFrame:
    """One row per VI with constraints (``problem.vi_blocks`` that have constraints; a VI on its variables' box
    alone is solved by any point of its pairs), indexed by :func:`vi_label`: ``convexity`` and its ``reason``
    (:func:`vi_convexity`), and ``verdict``: :data:`VI_SOLUTION` when the set is proven convex (a KKT point of
    the VI is a solution of it), else :data:`VI_KKT_POINT`. Uses the variables' current values (the point)."""
    rows = []
    for b, block in enumerate(problem.vi_blocks):
        if not block.constraints:
            continue
        convexity = vi_convexity(problem, b, tol)
        verdict = VI_SOLUTION if convexity.verdict == CONVEX else VI_KKT_POINT
        rows.append({"vi": vi_label(problem, b), "convexity": convexity.verdict, "verdict": verdict,
                     "reason": convexity.reason})
    return pd.DataFrame(rows, columns=["vi", "convexity", "verdict", "reason"]).set_index("vi")


def _value_of(var) -> float:
    if var.value is None:
        raise ModelError(f"{var.name} has no value; checking its VI needs a point (call solution.load())")
    return float(var.value)
