"""The mixed complementarity problem (MCP) that the agents' KKT conditions form.

An MCP is a function ``F: R^n -> R^n`` with bounds ``lb <= z <= ub``; ``z`` solves it when for every ``k``

    lb_k < z_k < ub_k  and  F_k(z) = 0,   or   z_k = lb_k  and  F_k(z) >= 0,   or   z_k = ub_k  and  F_k(z) <= 0,

written ``F(z) _|_ lb <= z <= ub``. Each pair carries its provenance: which agent, and which variable,
constraint or aggregate it comes from. Its natural residual ``z - mid(lb, ub, z - F(z))`` is zero exactly at a
solution; its infinity norm is the number reported as the MCP residual.
"""

from __future__ import annotations

import keyword
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import casadi as ca
import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

from sharedeq.errors import ModelError

PAIR_KINDS = ("stationarity", "multiplier", "definition", "vi")


@dataclass(frozen=True)
class Aggregates:
    """Dense subexpressions of ``F`` written as symbols, for the relaxation (:func:`sharedeq.reformulate.relax`).

    ``F(z) = lifted(z, y)`` where ``y = definitions(z)``: ``symbols`` is the SX column ``y``, ``definitions`` its
    value in ``z`` alone and ``lifted`` the MCP's ``F`` written in ``z`` and ``y``. A dense sum that enters a
    nonlinear operation (MCPLIB's film thickness ``H_j``, a sum over the whole grid, cubed in two rows) then
    appears in the Hessian of the relaxation once, through the equation ``y - definitions(z) = 0``, instead of
    making every row's Hessian dense. The MCP itself (``z``, ``F``, the solution) does not change.
    """

    symbols: ca.SX
    definitions: ca.SX
    lifted: ca.SX


@dataclass
class MCP:
    """``F(z) _|_ lb <= z <= ub`` with one row of :attr:`pairs` (provenance) per component.

    ``pairs`` columns: ``kind`` (stationarity: z is an agent's variable and F the derivative of its
    Lagrangian; multiplier: z is a constraint's multiplier and F the constraint's slack; definition: z is an
    aggregate or implicit variable and F its defining equation; vi: a pair the user declared), ``agent``,
    ``variable`` (the name of z), ``equation`` (the name of F), ``side``, ``dense`` (F depends on many
    components of z; such rows are differentiated in reverse mode) and ``same_as`` (the first pair whose F is
    the identical function, e.g. every agent's copy of a shared constraint in generalized Nash mode; itself
    otherwise). ``pyomo_vars`` holds the Pyomo variable of
    each component (None for multipliers and aggregates), ``lifted`` the indices of aggregate components and
    ``outputs`` the agents' objectives as SX, for reporting. ``aggregates`` (optional): dense subexpressions of
    ``F`` that the relaxation may treat as variables (:class:`Aggregates`); ``polynomial_jacobian`` (optional):
    ``(rows, J, linear)``, rows of ``F`` that are polynomials of degree <= 2, their ``dF/dz`` as an SX matrix
    built from the coefficients, which the relaxation uses instead of differentiating those rows, and which of
    them are linear (no second derivatives). ``weight_derivatives`` (optional, from the KKT builder):
    ``(covered, rows, columns, values, weight_columns)``: the rows ``covered`` (the stationarity rows) depend on the
    columns ``weight_columns`` (the multipliers that weight their terms) only through the entries ``(rows,
    columns)`` of ``dF/dz`` whose values are the SX vector ``values`` (repeated entries add up).
    """

    z: ca.SX
    F: ca.SX
    lb: np.ndarray
    ub: np.ndarray
    z0: np.ndarray
    pairs: pd.DataFrame
    outputs: dict = field(default_factory=dict)
    pyomo_vars: list = field(default_factory=list)
    lifted: list = field(default_factory=list)
    aggregates: Aggregates | None = None
    polynomial_jacobian: tuple | None = None
    weight_derivatives: tuple | None = None

    @property
    def size(self) -> int:
        return int(self.z.shape[0])

    def __post_init__(self):
        self._F_fun = None
        self._F_eval = None

    def function(self) -> ca.Function:
        """``z -> F(z)`` as a casadi Function (built once)."""
        if self._F_fun is None:
            self._F_fun = ca.Function("F", [self.z], [ca.densify(self.F)])
        return self._F_fun

    def evaluate(self, z) -> np.ndarray:
        """``F(z)`` as a new numpy vector (through a casadi buffer: no conversion of casadi matrices)."""
        if self._F_eval is None:
            self._F_eval = BufferedFunction(self.function())
        return self._F_eval(np.asarray(z, float))[0].copy()

    def natural_residual(self, z, F=None) -> np.ndarray:
        """``z - mid(lb, ub, z - F(z))``, componentwise; zero exactly at a solution (``F``: ``F(z)`` if known).

        Computed as ``mid(z - ub, F, z - lb)``, the same vector, so that an ``F`` far below the rounding of ``z``
        (a huge multiplier, a variable far out) is not rounded away.
        """
        z = np.asarray(z, float)
        return np.clip(self.evaluate(z) if F is None else F, z - self.ub, z - self.lb)

    @classmethod
    def from_functions(cls, F, lb, ub, z0=None, names=None, equations=None, z=None) -> MCP:
        """The MCP ``F(z) _|_ lb <= z <= ub`` written directly, each pair of kind "vi" (no agents).

        F: a Python callable taking the casadi SX column ``z`` and returning its ``n`` components (an SX column or
            a list of expressions), a casadi Function with one ``n``-vector input and output (an MX Function is
            expanded to SX), or an SX column written in the symbols ``z`` (then pass ``z``).
        lb, ub: the bounds, numbers or length-``n`` vectors (``-inf`` / ``inf``: none).
        z0: the start (default 0), projected on the bounds.
        names, equations: the pairs' variable and equation names (default ``z[k]`` and ``F[k]``).
        ``n`` is read from whichever of ``F`` (a Function), ``z``, ``lb``, ``ub``, ``z0``, ``names`` fixes it.
        """
        n = _plain_size(F, z, {"lb": lb, "ub": ub, "z0": z0, "names": names, "equations": equations})
        names = [f"z[{k}]" for k in range(n)] if names is None else [str(v) for v in names]
        equations = [f"F[{k}]" for k in range(n)] if equations is None else [str(v) for v in equations]
        if len(set(names)) < n:
            raise ModelError(f"names repeat a name: {sorted(v for v in set(names) if names.count(v) > 1)[:5]}")
        lb, ub = _bounds_vector("lb", lb, n, -np.inf, names), _bounds_vector("ub", ub, n, np.inf, names)
        _check_box(lb, ub, names)
        symbols = ca.SX.sym("z", n) if z is None else z
        column = _plain_function(F, symbols, n)
        start = np.zeros(n) if z0 is None else _bounds_vector("z0", z0, n, 0.0, names)
        if not np.all(np.isfinite(start)):
            raise ModelError(f"z0 of {names[int(np.argmin(np.isfinite(start)))]} is not finite")
        return cls(symbols, column, lb, ub, np.clip(start, lb, ub), plain_pairs(names, equations, column, symbols),
                   outputs={"objectives": {}, "objective_vars": {}}, pyomo_vars=[None] * n)

    @classmethod
    def from_pyomo(cls, model) -> MCP:
        """The MCP of a Pyomo model written with ``pyomo.mpec`` Complementarity conditions
        (:func:`mcp_from_pyomo`)."""
        return mcp_from_pyomo(model)

    def jacobian_nnz(self) -> int:
        return int(ca.jacobian_sparsity(self.F, self.z).nnz())

    def summary(self) -> str:
        counts = self.pairs.groupby("kind").size().reindex(list(PAIR_KINDS), fill_value=0)
        parts = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
        return f"MCP with {self.size} pairs ({parts}); {int(self.pairs['dense'].sum())} dense rows"

    def __repr__(self) -> str:
        return f"<{self.summary()}>"

    # ------------------------------------------------------------------ interchange
    def to_pyomo(self) -> pyo.ConcreteModel:
        """A Pyomo model with one ``pyomo.mpec`` Complementarity per pair, indexed by the pair's variable name."""
        from pyomo.mpec import Complementarity, complements

        labels = list(self.pairs["variable"])
        m = pyo.ConcreteModel(name="sharedeq MCP")
        m.z = pyo.Var(labels, dense=True)
        for k, label in enumerate(labels):
            m.z[label].value = float(self.z0[k])
        exprs = sx_to_pyomo(self.F, self.z, [m.z[label] for label in labels])

        def rule(model, label):
            k = index[label]
            z, F, lo, hi = model.z[label], exprs[k], self.lb[k], self.ub[k]
            if np.isneginf(lo) and np.isposinf(hi):
                return complements(F == 0, z)
            if np.isposinf(hi):
                return complements(z >= float(lo), F >= 0)
            if np.isneginf(lo):
                return complements(z <= float(hi), F <= 0)
            return complements(pyo.inequality(float(lo), z, float(hi)), F)

        index = {label: k for k, label in enumerate(labels)}
        m.pairs = Complementarity(labels, rule=rule)
        return m

    def to_gams(self, path=None, model_name="sharedeq_mcp") -> str:
        """The MCP as a GAMS model file (``solve ... using mcp``); written to ``path`` too when one is given.

        One variable and one ``=n=`` equation per pair (GAMS pairs ``F =N= 0`` with the variable's bounds, the
        same convention as :class:`MCP`), named after the pair's variable, sanitised to a GAMS identifier; a
        comment block maps each GAMS name back to the user's name. Bounds become ``.lo``/``.up`` (``Positive
        Variables`` for ``[0, inf)``), ``z0`` the levels ``.l``. Lines stay under GAMS's 255-character limit.
        """
        text = _GamsWriter(self, model_name).text()
        if path is not None:
            Path(path).write_text(text)
        return text

    def gams_names(self) -> list[tuple[str, str]]:
        """``(variable, equation)`` GAMS identifiers of each pair, as :meth:`to_gams` writes them."""
        return _gams_identifiers(list(self.pairs["variable"]))

    def _nl_model(self) -> pyo.ConcreteModel:
        labels = list(self.pairs["variable"])
        m = pyo.ConcreteModel(name="sharedeq MCP")
        m.z = pyo.Var(labels, dense=True)
        for k, label in enumerate(labels):
            lo, hi = self.lb[k], self.ub[k]
            m.z[label].setlb(None if np.isneginf(lo) else float(lo))
            m.z[label].setub(None if np.isposinf(hi) else float(hi))
            m.z[label].value = float(np.clip(self.z0[k], lo, hi))
        exprs = sx_to_pyomo(self.F, self.z, [m.z[label] for label in labels])

        def pair(b, label):
            k = index[label]
            lo, hi = self.lb[k], self.ub[k]
            if np.isneginf(lo) and np.isposinf(hi):
                b.c = pyo.Constraint(expr=exprs[k] == 0)
                return
            b.v = pyo.Var(initialize=0.0)
            b.e = pyo.Constraint(expr=b.v - exprs[k] == 0)
            b.c = pyo.Constraint(expr=b.v >= 0)
            # the marks Pyomo's nl writer reads (as set by the mpec.nl transformation): row 'b.c' is
            # complementary to z[label], whose finite bounds are 1 (lower), 2 (upper) or 3 (both)
            b.c._complementarity = int(np.isfinite(lo)) + 2 * int(np.isfinite(hi))
            b.c._vid = id(m.z[label])

        index = {label: k for k, label in enumerate(labels)}
        m.pairs = pyo.Block(labels, rule=pair)
        return m

    def to_nl(self, path, **io_options) -> Path:
        """Write the MCP as an AMPL ``.nl`` file (for PATH's AMPL driver, ``pathampl``).

        Builds the Pyomo model that Pyomo's ``mpec.nl`` transformation would make of :meth:`to_pyomo` (that
        transformation rejects pairs with two finite bounds in Pyomo 6.10): each bounded pair becomes an ``.nl``
        complementarity constraint ``5 k i`` (k: which bounds of variable ``i`` are finite) on an auxiliary
        variable ``v = F_k(z)``; a pair with a free variable becomes the equation ``F_k(z) = 0``. So the
        header counts ``size + n_cc`` variables and constraints, ``n_cc`` complementarity constraints (the pairs
        with a finite bound) and ``n_cc + n_free`` equations. Linear presolve is off so that no pair is
        substituted away. ``io_options`` go to Pyomo's writer (``symbolic_solver_labels=True`` writes
        ``.row``/``.col`` name files).
        """
        model = self._nl_model()
        options = {"linear_presolve": False, **io_options}
        model.write(str(path), format="nl", io_options=options)
        return Path(path)


class BufferedFunction:
    """Calls a casadi Function on numpy vectors through its buffer: inputs and outputs are numpy arrays bound by
    memoryview, so a call converts nothing (20x faster than a plain call and ``DM.nonzeros()`` on a 200,000-entry
    Jacobian). The outputs are the Function's nonzeros, in casadi's column-major order, overwritten by the next
    call (copy what must survive it)."""

    def __init__(self, function: ca.Function):
        self.buffer, self.call = function.buffer()
        self.outputs = [np.empty(function.nnz_out(i)) for i in range(function.n_out())]
        for i, out in enumerate(self.outputs):
            self.buffer.set_res(i, memoryview(out))
        self.sizes = [function.nnz_in(i) for i in range(function.n_in())]

    def __call__(self, *args) -> list[np.ndarray]:
        inputs = [np.ascontiguousarray(a, dtype=float).ravel() for a in args]
        for i, (a, size) in enumerate(zip(inputs, self.sizes, strict=True)):
            if a.size != size:
                raise ValueError(f"input {i} has {a.size} entries, the function takes {size}")
            self.buffer.set_arg(i, memoryview(a))
        self.call()
        return self.outputs


#: sums of at most this many terms are added term by term (their rounding errors stay far below any tolerance);
#: longer ones blockwise, in blocks of this many (:func:`sx_sum`)
SHORT_SUM = 16


def sx_take(vector: ca.SX, index: np.ndarray) -> ca.SX:
    """``vector[index]`` as a column (casadi reads an empty index list on a 1 x 1 matrix as a structural 0, and
    returns a row when a 1 x 1 matrix is indexed by a list)."""
    if not index.size:
        return ca.SX(0, 1)
    out = vector[index.tolist()]
    return out if out.shape[1] == 1 else out.T


def sx_sum(terms: ca.SX) -> ca.SX:
    """The sum of a column of terms in blocks of :data:`SHORT_SUM`, then the blocks' sums in blocks, and so on (one
    casadi call a level): rounding errors grow like ``log n``, not ``n``. casadi's own sums (``sum1``, ``dot``, a
    sparse ``mtimes``) add term by term: a sum of 100,000 terms of about 30 then errs by 2e-8 (4e-8 at worst), above
    a 1e-8 tolerance on a row that holds exactly at the solution; blockwise, by at most 2e-9."""
    while terms.shape[0] > 1:
        n = int(terms.shape[0])
        blocks = -(-n // SHORT_SUM)
        padded = ca.vertcat(terms, ca.SX(blocks * SHORT_SUM - n, 1))       # structural zeros: no nodes
        terms = ca.sum1(ca.reshape(padded, SHORT_SUM, blocks)).T
    return terms


def sx_segment_sums(values: ca.SX, segment: np.ndarray, n: int) -> ca.SX:
    """``out[s] = sum of values[k] over segment[k] == s`` (a column of ``n``, 0 where a segment is empty): sums of
    more than :data:`SHORT_SUM` terms by :func:`sx_sum`, the others term by term in one sparse product."""
    segment = np.asarray(segment, dtype=np.int64)
    long = np.bincount(segment, minlength=n)[segment] > SHORT_SUM
    short = np.flatnonzero(~long)
    adding = ca.DM(ca.Sparsity.triplet(n, short.size, segment[short].tolist(), list(range(short.size))), 1.0)
    out = ca.mtimes(adding, sx_take(values, short))
    if long.any():
        where = np.flatnonzero(long)
        where = where[np.argsort(segment[where], kind="stable")]
        rows, first = np.unique(segment[where], return_index=True)
        sums = [sx_sum(sx_take(values, part)) for part in np.split(where, first[1:])]
        out = out + ca.SX(ca.Sparsity.triplet(n, 1, rows.tolist(), [0] * rows.size), ca.vertcat(*sums))
    return ca.densify(out)


def walk_sx(F: ca.SX, z: ca.SX, leaf, const, ops: dict, target: str) -> list:
    """Rebuild each entry of the SX column ``F(z)`` from casadi's instruction list.

    ``leaf(k)`` gives the value of the input ``z[k]``, ``const(c)`` of a constant, ``ops[op](*args)`` of an
    operation; ``target`` names the output language in the error for an operation ``ops`` lacks. Shared by
    :func:`sx_to_pyomo` (Pyomo expressions) and :meth:`MCP.to_gams` (GAMS text).
    """
    fun = ca.Function("F", [z], [F])
    work: dict[int, object] = {}
    out = [const(0.0)] * int(F.shape[0])
    for k in range(fun.n_instructions()):
        op, args, res = fun.instruction_id(k), fun.instruction_input(k), fun.instruction_output(k)
        if op == ca.OP_INPUT:
            work[res[0]] = leaf(args[1])
        elif op == ca.OP_OUTPUT:
            out[res[1]] = work[args[0]]
        elif op == ca.OP_CONST:
            work[res[0]] = const(float(fun.instruction_constant(k)))
        elif op in ops:
            work[res[0]] = ops[op](*(work[a] for a in args))
        else:
            raise ModelError(f"cannot export casadi operation {op} to {target}")
    return out


_PYOMO_OPS = {
    ca.OP_ADD: lambda a, b: a + b, ca.OP_SUB: lambda a, b: a - b, ca.OP_MUL: lambda a, b: a * b,
    ca.OP_DIV: lambda a, b: a / b, ca.OP_POW: lambda a, b: a ** b, ca.OP_CONSTPOW: lambda a, b: a ** b,
    ca.OP_NEG: lambda a: -a, ca.OP_SQ: lambda a: a ** 2, ca.OP_TWICE: lambda a: 2 * a,
    ca.OP_INV: lambda a: 1 / a, ca.OP_EXP: pyo.exp, ca.OP_LOG: pyo.log, ca.OP_SQRT: pyo.sqrt,
    ca.OP_SIN: pyo.sin, ca.OP_COS: pyo.cos, ca.OP_TAN: pyo.tan, ca.OP_TANH: pyo.tanh,
    ca.OP_ASSIGN: lambda a: a, ca.OP_FABS: abs,
}


def sx_to_pyomo(F: ca.SX, z: ca.SX, variables: list) -> list:
    """Rebuild each entry of the SX column ``F(z)`` as a Pyomo expression over ``variables`` (one per z)."""
    return walk_sx(F, z, lambda k: variables[k], lambda c: c, _PYOMO_OPS, "Pyomo")


# ---------------------------------------------------------------------------------------------- plain MCPs
def row_widths(F: ca.SX, z: ca.SX) -> np.ndarray:
    """The number of structural nonzeros of each row of ``dF/dz``."""
    rows = ca.jacobian_sparsity(F, z).get_triplet()[0]
    return np.bincount(np.asarray(rows, dtype=int), minlength=int(F.shape[0]))


def dense_rows(F: ca.SX, z: ca.SX, width=None) -> np.ndarray:
    """Rows of ``F`` with more than ``max(64, 4 sqrt(n))`` structural nonzeros in ``dF/dz`` (differentiated in
    reverse mode by :func:`sharedeq.reformulate.relax`); ``width``: :func:`row_widths` if known."""
    width = row_widths(F, z) if width is None else width
    return width > max(64, int(4 * math.sqrt(int(z.shape[0]))))


#: A row is differentiated alone (reverse mode) when it has more than ``max(WIDE_MIN, WIDE_FACTOR * median)``
#: entries (:func:`wide_rows`), besides the dense rows.
WIDE_MIN, WIDE_FACTOR = 16, 4.0


def wide_rows(width: np.ndarray) -> np.ndarray:
    """Rows much wider than the typical one (a budget over all prices, a market over all buyers): in a forward
    colouring with the others each would cost as many sweeps as it has entries (endowment economy, 100 x 100:
    4.9 s for all rows together, 0.09 + 0.38 s with its 199 wide rows apart)."""
    if not width.size:
        return np.zeros(0, dtype=bool)
    return width > max(WIDE_MIN, WIDE_FACTOR * float(np.median(width)))


def disjoint_row_groups(F: ca.SX, rows: np.ndarray, zy: ca.SX, max_groups: int = 64) -> list[np.ndarray]:
    """``rows`` of ``F`` in groups whose column supports in ``dF/dzy`` do not overlap (greedy, first fit among at
    most ``max_groups`` groups; a row that fits none is a group of its own). casadi's Jacobian of a group then needs
    one reverse sweep; rows that share columns (aggregates over the same outputs) stay one per group."""
    import scipy.sparse as sp  # here, not at import: scipy is loaded only when something is solved

    if rows.size < 2:
        return [rows] if rows.size else []
    colind, row_index = ca.jacobian_sparsity(sx_take(F, rows), zy).get_ccs()
    support = sp.csc_matrix((np.ones(len(row_index), dtype=bool), np.asarray(row_index), np.asarray(colind)),
                            shape=(rows.size, int(zy.shape[0]))).tocsr()
    used = np.zeros((0, support.shape[1]), dtype=bool)
    members: list[list[int]] = []
    alone = []
    for r in range(rows.size):
        columns = support.indices[support.indptr[r]:support.indptr[r + 1]]
        free = np.flatnonzero(~used[:, columns].any(axis=1))
        if free.size:
            g = int(free[0])
        elif len(members) < max_groups:
            used = np.vstack([used, np.zeros((1, support.shape[1]), dtype=bool)])
            members.append([])
            g = len(members) - 1
        else:
            alone.append(int(rows[r]))
            continue
        used[g, columns] = True
        members[g].append(int(rows[r]))
    return [np.array(m, dtype=int) for m in members] + [np.array([k], dtype=int) for k in alone]


class RowJacobians:
    """Jacobians of groups of rows of ``F`` with respect to ``z``, each taken with respect to the symbols the group
    contains only and then placed in its columns, when there are more than ``FEW`` groups (else each directly).
    A casadi Jacobian with respect to all of ``z`` took 44 ms per budget-row group in a Fisher market of 1,000
    buyers x 500 goods; this way the derivative stage went from 11.9 to 6.1 s, though the KKT assembly's calls
    there still take about 31 ms each, for a reason not yet found."""

    FEW = 16

    def __init__(self, z: ca.SX, n_groups: int):
        self.z = z
        self.column_of = None if n_groups <= self.FEW else \
            {z[k].element_hash(): k for k in range(int(z.shape[0]))}

    def __call__(self, rows: ca.SX) -> ca.SX:
        if self.column_of is None:
            return ca.jacobian(rows, self.z)
        found = [self.column_of.get(s.element_hash()) for s in ca.symvar(rows)]
        if any(k is None for k in found):      # a symbol that is not in z (a QVI parameter): no shortcut
            return ca.jacobian(rows, self.z)
        columns = sorted(found)
        if not columns:
            return ca.SX(int(rows.shape[0]), int(self.z.shape[0]))
        return jacobian_in_columns(rows, self.z, np.array(columns, dtype=int))


def jacobian_in_columns(rows: ca.SX, z: ca.SX, columns: np.ndarray) -> ca.SX:
    """``d rows / d z`` taken with respect to ``z[columns]`` only (the other columns left empty), placed in the
    columns of all of ``z``."""
    sub = ca.jacobian(rows, sx_take(z, columns))
    place = ca.DM.triplet(list(range(columns.size)), columns.tolist(), [1.0] * columns.size, columns.size,
                          int(z.shape[0]))
    return ca.mtimes(sub, place)


def plain_pairs(names: list, equations: list, F: ca.SX, z: ca.SX) -> pd.DataFrame:
    """The :attr:`MCP.pairs` table of user-declared pairs: kind "vi", no agent, each its own function."""
    n = len(names)
    width = row_widths(F, z)
    return pd.DataFrame({"kind": ["vi"] * n, "agent": [None] * n, "variable": names, "equation": equations,
                         "side": [""] * n, "dense": dense_rows(F, z, width), "width": width,
                         "same_as": np.arange(n)})


def _plain_size(F, z, vectors: dict) -> int:
    """``n`` as fixed by a Function's input, the symbols ``z`` and the non-scalar arguments, which must agree."""
    sizes = {name: len(value) for name, value in vectors.items() if value is not None and np.ndim(value) > 0}
    if isinstance(F, ca.Function):
        sizes["F's input"] = int(F.numel_in(0)) if F.n_in() == 1 else -1
    if z is not None:
        sizes["z"] = int(z.numel())
    if not sizes:
        raise ModelError("the MCP's size is unknown: give lb, ub, z0 or names as vectors (or F as a casadi Function)")
    if len(set(sizes.values())) > 1 or min(sizes.values()) <= 0:
        raise ModelError("the MCP's sizes disagree: " + ", ".join(f"{k} has {v}" for k, v in sizes.items()))
    return next(iter(sizes.values()))


def _bounds_vector(what: str, value, n: int, default: float, names: list) -> np.ndarray:
    value = default if value is None else value
    try:
        vector = np.broadcast_to(np.asarray(value, dtype=float), (n,)).copy()
    except (TypeError, ValueError) as err:
        raise ModelError(f"{what} must be a number or a vector of {n} numbers: {err}") from None
    if np.isnan(vector).any():
        raise ModelError(f"{what} of {names[int(np.argmax(np.isnan(vector)))]} is NaN")
    return vector


def _check_box(lb: np.ndarray, ub: np.ndarray, names: list) -> None:
    bad = np.flatnonzero((lb > ub) | np.isposinf(lb) | np.isneginf(ub))
    if bad.size:
        k = int(bad[0])
        raise ModelError(f"{names[k]} has empty bounds [{lb[k]:g}, {ub[k]:g}]")


def _plain_function(F, z: ca.SX, n: int) -> ca.SX:
    """``F`` (callable, Function or SX in ``z``) as an SX column of ``n`` rows in the symbols ``z`` only."""
    if not (isinstance(z, ca.SX) and z.is_valid_input() and z.is_column()):
        raise ModelError("z must be a column of casadi SX symbols (ca.SX.sym('z', n))")
    if isinstance(F, ca.Function):
        if F.n_in() != 1 or F.n_out() != 1:
            raise ModelError(f"the casadi Function {F.name()} must have one input z and one output F(z)")
        try:
            F = F if F.is_a("SXFunction") else F.expand()
        except RuntimeError as err:
            raise ModelError(f"cannot expand the casadi Function {F.name()} to SX: {err}") from None
        column = F(ca.reshape(z, F.size_in(0)))
    elif isinstance(F, ca.SX):
        column = F
    elif callable(F):
        column = F(z)
    else:
        raise ModelError(f"F must be a callable, a casadi Function or an SX expression, not {type(F).__name__}")
    if isinstance(column, (list, tuple, np.ndarray)):
        column = ca.vertcat(*(ca.SX(v) if not isinstance(v, ca.SX) else v for v in np.ravel(column)))
    try:
        column = ca.SX(column)
    except (NotImplementedError, TypeError, RuntimeError):
        raise ModelError(f"F(z) must give casadi SX expressions, not {type(column).__name__}") from None
    if column.numel() != n:
        raise ModelError(f"F(z) has {column.numel()} components for {n} variables")
    column = ca.reshape(column, n, 1)
    known = {z[k].element_hash() for k in range(n)}
    stray = [str(s) for s in ca.symvar(column) if s.element_hash() not in known]
    if stray:
        raise ModelError(f"F depends on symbols other than z: {', '.join(stray[:5])}")
    return column


def mcp_from_pyomo(model) -> MCP:
    """The MCP of a Pyomo model whose pairs are ``pyomo.mpec`` Complementarity conditions (its active ones, in
    every block), each pair of kind "vi" named after its variable and its condition.

    Each ``complements(a, b)`` needs one side that is a single variable ``x`` and reads as (``c`` a constant,
    ``g`` an expression; either order of the two sides):

    * ``complements(x >= lo, g >= c)``: both hold and one is tight, the pair ``g - c _|_ lo <= x``; ``x <= hi``
      gives ``c - g _|_ x <= hi`` and ``g <= c`` the slack ``c - g``. The variable side may also be plain ``x``,
      its bound then coming from the Var (exactly one finite bound); Var bounds may not add another bound;
    * ``complements(g == c, x)``: the equation ``g - c = 0`` with ``x`` free (x may have no bounds);
    * ``complements(lo <= x <= hi, g)``, ``complements(x >= lo, g)``, ``complements(x, g)``: ``g _|_ [lo, hi]``
      (``g >= 0`` where ``x = lo``, ``g <= 0`` where ``x = hi``, ``g = 0`` between), intersected with the Var's
      bounds: the GAMS convention ``g =N= 0``.

    Every unfixed variable in a ``g`` must be the variable of exactly one condition. Objectives are ignored; an
    active Constraint outside the conditions is refused (it would be ignored). The start is the variables'
    values (0 where unset), projected on the bounds. When both sides are single variables, the first one not
    already paired by another condition is the pair's variable.
    """
    from pyomo.core.base.var import VarData
    from pyomo.mpec import Complementarity

    conditions = list(model.component_data_objects(Complementarity, active=True, descend_into=(pyo.Block,)))
    if not conditions:
        raise ModelError(f"model {model.name} has no active pyomo.mpec Complementarity condition")
    stray = next(model.component_data_objects(pyo.Constraint, active=True, descend_into=(pyo.Block,)), None)
    if stray is not None:
        raise ModelError(f"constraint {stray.name} is not part of a complementarity pair; an MCP model has only "
                         f"Complementarity conditions (pair it with its variable: complements({stray.name}'s "
                         f"expression, x)), so it would be ignored")
    sides = [(_mpec_side(cc, cc._args[0]), _mpec_side(cc, cc._args[1])) for cc in conditions]
    choice = _mpec_variable_sides(conditions, sides, VarData)
    column: dict[int, int] = {}
    for k, (cc, pair, which) in enumerate(zip(conditions, sides, choice, strict=True)):
        var = pair[which].body
        if id(var) in column:
            raise ModelError(f"{var.name} is the variable of two complementarity conditions: "
                             f"{conditions[column[id(var)]].name} and {cc.name}")
        if not var.is_continuous():
            raise ModelError(f"{var.name} in complementarity {cc.name} is not continuous")
        column[id(var)] = k
    variables = [pair[which].body for pair, which in zip(sides, choice, strict=True)]
    names, equations = [var.name for var in variables], [cc.name for cc in conditions]
    z = ca.vertcat(*(ca.SX.sym(name) for name in names))
    lb, ub = np.empty(len(conditions)), np.empty(len(conditions))
    rows = []
    for k, (cc, pair, which) in enumerate(zip(conditions, sides, choice, strict=True)):
        sign, shift, lb[k], ub[k] = _mpec_pair(cc, pair[which], pair[1 - which])
        rows.append((pair[1 - which].body, sign, shift))
    F, aggregates, jacobian = _mpec_function(conditions, rows, z, column)
    z0 = np.array([0.0 if var.value is None else float(var.value) for var in variables])
    return MCP(z, F, lb, ub, np.clip(z0, lb, ub), plain_pairs(names, equations, F, z),
               outputs={"objectives": {}, "objective_vars": {}}, pyomo_vars=variables, aggregates=aggregates,
               polynomial_jacobian=jacobian)


def _mpec_function(conditions, rows, z: ca.SX, column: dict, polynomial: bool = True, lift: bool = True):
    """``F_k = sign_k (g_k - shift_k)`` for ``rows[k] = (g_k, sign_k, shift_k)``, as one SX column.

    Rows that are polynomials of degree at most 2 in ``z`` with few terms (read off a ``LinearExpression``
    directly, else by Pyomo's quadratic representation, ``pyomo.repn.quadratic``) become

        F = A z + B w + c,    w = the products z_i z_j that occur,

    two sparse products for all of them together, with no symbolic work per term. The other rows (nonlinear,
    dense, or a representation that failed) are translated by :class:`sharedeq.translate.Translator`, which
    reports errors in the model's names; so are all rows with ``polynomial=False``. Once a row of a
    Complementarity component is not such a polynomial, the component's later rows go to the translator
    directly (the rows of one component usually have one shape, and reading a nonlinear row twice costs).

    Returns ``(F, aggregates, jacobian)``: ``F`` in ``z`` alone; with ``lift=True`` the dense aggregates that the
    translator lifted out of nonlinear operations (:class:`Aggregates`; None when there are none); the rows read
    as polynomials and their ``dF/dz`` (:attr:`MCP.polynomial_jacobian`; None when there are none).
    """
    from sharedeq.translate import Translator

    n = len(rows)
    current = [None]

    def leaf(var):
        if var.fixed:
            if var.value is None:
                raise ModelError(f"{var.name} in complementarity {current[0].name} is fixed but has no value")
            return float(var.value)
        k = column.get(id(var))
        if k is None:
            raise ModelError(_unpaired(var, current[0]))
        return z[k]

    translate = Translator(leaf, lambda expr, body: body, lift_aggregates=lift)
    polynomials = _Polynomials(column, max_terms=max(64, int(4 * math.sqrt(n))))
    skipped = set()         # ids of the Complementarity components whose rows go to the translator
    translated = {}
    for k, (cc, (body, sign, shift)) in enumerate(zip(conditions, rows, strict=True)):
        current[0] = cc
        parent = id(cc.parent_component())
        if polynomial and parent not in skipped:
            read = polynomials.add(k, body, sign, shift)
            if read is None:
                skipped.add(parent)
            elif read:
                continue
            else:
                raise ModelError(f"complementarity {cc.name}: {_unpaired(polynomials.unpaired, cc)}")
        try:
            translated[k] = sign * (translate(body) - shift)
        except ModelError as err:
            raise ModelError(f"complementarity {cc.name}: {err}") from None
    F = polynomials.sx(z, n)
    if translated:
        F[list(translated)] = ca.vertcat(*(ca.SX(r) for r in translated.values()))
    F = ca.densify(F)
    jacobian = polynomials.jacobian(z, n) if polynomials.constant else None
    if not translate.aggregates:
        return F, None, jacobian
    symbols, definitions = (list(column) for column in zip(*translate.aggregates, strict=True))
    definitions, (plain,) = ca.substitute_inplace(symbols, definitions, [F], False)
    return plain, Aggregates(ca.vertcat(*symbols), ca.vertcat(*definitions), F), jacobian


def _unpaired(var, cc) -> str:
    return (f"{var.name} appears in complementarity {cc.name} but no condition pairs it with a function; pair it "
            f"(complements(x >= 0, g >= 0)) or fix it")


class _Polynomials:
    """Rows ``F_k = sum_j A_kj z_j + sum_p B_kp w_p + c_k`` (``w_p = z_i z_j``) gathered as sparse triplets."""

    def __init__(self, column: dict, max_terms: int):
        from pyomo.repn.quadratic import QuadraticRepnVisitor
        from pyomo.repn.util import OrderedVarRecorder

        self.index_of, self.max_terms = column, max_terms
        # an ordered recorder: the quadratic visitor of Pyomo 6.10 asks for var_order, which the default lacks
        self.visitor = QuadraticRepnVisitor(subexpression_cache={}, var_recorder=OrderedVarRecorder({}, {}, None))
        self.linear = ([], [], [])          # rows, columns, coefficients of A
        self.products: dict = {}            # (i, j), i <= j -> p
        self.quadratic = ([], [], [])       # rows, p, coefficients of B
        self.constant: dict = {}            # k -> c_k
        self.unpaired = None                # the unpaired variable when add() returns False

    def add(self, k: int, body, sign: float, shift: float):
        """Read ``sign (body - shift)`` as row ``k``: True when read, None when it is not a short polynomial of
        degree 2 (or the representation failed), False when it contains an unfixed variable that no pair owns
        (then :attr:`unpaired`)."""
        terms = _linear_expression_terms(body) if type(body) is LinearExpression else None
        if terms is None:
            terms = self._quadratic_terms(body)
        if terms is None:
            return None
        linear, quadratic, constant = terms
        if len(linear) + len(quadratic) > self.max_terms:
            return None
        rows, cols, coefs = self.linear
        for var, coef in linear:
            j = self.index_of.get(id(var))
            if j is None:
                self.unpaired = var
                return False
            rows.append(k)
            cols.append(j)
            coefs.append(sign * coef)
        for var_i, var_j, coef in quadratic:
            i, j = self.index_of.get(id(var_i)), self.index_of.get(id(var_j))
            if i is None or j is None:
                self.unpaired = var_i if i is None else var_j
                return False
            p = self.products.setdefault((min(i, j), max(i, j)), len(self.products))
            self.quadratic[0].append(k)
            self.quadratic[1].append(p)
            self.quadratic[2].append(sign * coef)
        self.constant[k] = sign * (constant - shift)
        return True

    def _quadratic_terms(self, body):
        """``([(var, coef)], [(var_i, var_j, coef)], constant)`` of ``body`` by Pyomo's quadratic representation,
        or None (nonlinear, or a value that is not a number: an unset fixed variable, a NaN parameter)."""
        if type(body) in (int, float):
            return [], [], float(body)
        try:    # anything the representation cannot read, the translator reads again and explains
            repn = self.visitor.walk_expression(body)
        except Exception:   # noqa: BLE001
            return None
        if repn.nonlinear is not None:
            return None
        var_map = self.visitor.var_map
        values = [repn.constant, *repn.linear.values(), *(repn.quadratic or {}).values()]
        if any(type(v) not in (int, float) for v in values):
            return None
        linear = [(var_map[i], float(c)) for i, c in repn.linear.items()]
        quadratic = [(var_map[i], var_map[j], float(c)) for (i, j), c in (repn.quadratic or {}).items()]
        return linear, quadratic, float(repn.constant)

    def jacobian(self, z: ca.SX, n: int) -> tuple[np.ndarray, ca.SX, np.ndarray]:
        """The rows read, their ``dF/dz = A + B dw/dz``, with ``dw_p/dz_i = z_j`` and ``dw_p/dz_j = z_i`` for
        ``w_p = z_i z_j`` (``2 z_i`` when ``i = j``): no symbolic differentiation; and which of them are linear."""
        n_z = int(z.shape[0])
        rows, cols, coefs = self.linear
        J = ca.SX(_sparse_dm(rows, cols, coefs, (n, n_z)))
        if self.products:
            pairs = np.array(list(self.products), dtype=int)
            i, j = pairs[:, 0], pairs[:, 1]
            off = np.flatnonzero(i != j)
            p = np.r_[np.arange(len(pairs)), off]
            columns = np.r_[i, j[off]]
            values = ca.vertcat(sx_take(z, j) * ca.DM(np.where(i == j, 2.0, 1.0)), sx_take(z, i[off]))
            dw = ca.SX.triplet(p.tolist(), columns.tolist(), values, len(pairs), n_z)
            J = J + ca.mtimes(_sparse_dm(*self.quadratic, (n, len(pairs))), dw)
        read = np.array(sorted(self.constant), dtype=int)
        return read, J[read.tolist(), :], ~np.isin(read, self.quadratic[0])

    def sx(self, z: ca.SX, n: int) -> ca.SX:
        """``A z + B w + c`` (rows not read: structural zeros)."""
        rows, cols, coefs = self.linear
        out = ca.mtimes(_sparse_dm(rows, cols, coefs, (n, int(z.shape[0]))), z)
        if self.products:
            pairs = np.array(list(self.products), dtype=int)
            w = sx_take(z, pairs[:, 0]) * sx_take(z, pairs[:, 1])
            out = out + ca.mtimes(_sparse_dm(*self.quadratic, (n, len(pairs))), w)
        if self.constant:
            out = out + _sparse_dm(list(self.constant), [0] * len(self.constant), list(self.constant.values()), (n, 1))
        return out


def _linear_expression_terms(body):
    """``([(var, coef)], [], constant)`` of a ``LinearExpression`` of plain monomials, numbers and variables
    (fixed variables and parameters at their values), or None (another term, an unset value)."""
    linear, constant = [], 0.0
    for arg in body.args:
        kind = type(arg)
        if kind in (int, float):
            constant += arg
            continue
        if kind is MonomialTermExpression:
            coef, var = arg.args
            coef = coef if type(coef) in (int, float) else pyo.value(coef, exception=False)
            if type(coef) not in (int, float):
                return None
        elif arg.is_variable_type():
            coef, var = 1.0, arg
        else:
            return None
        if var.fixed:
            if type(var.value) not in (int, float):
                return None
            constant += coef * var.value
        elif coef:
            linear.append((var, float(coef)))
    return linear, [], float(constant)


def _sparse_dm(rows, cols, values, shape) -> ca.DM:
    """The casadi sparse matrix with ``values`` at ``(rows, cols)``, repeated positions summed (numpy, not scipy:
    importing scipy through Pyomo costs seconds)."""
    key = np.asarray(cols, dtype=np.int64) * shape[0] + np.asarray(rows, dtype=np.int64)
    positions, slot = np.unique(key, return_inverse=True)       # column-major order, as casadi stores
    data = np.bincount(slot, weights=np.asarray(values, float), minlength=positions.size)
    colind = np.searchsorted(positions // shape[0], np.arange(shape[1] + 1))
    sparsity = ca.Sparsity(shape[0], shape[1], colind.tolist(), (positions % shape[0]).tolist())
    return ca.DM(sparsity, data.tolist())


@dataclass(frozen=True)
class _MpecSide:
    """One side of ``complements(a, b)`` as ``lower <= body <= upper`` (None: no bound); ``equation``: ``==``."""

    lower: float | None
    body: object
    upper: float | None
    equation: bool = False


def _mpec_side(cc, expr) -> _MpecSide:
    """Read ``g >= c``, ``g <= c``, ``g == c``, ``lo <= g <= hi`` or a plain ``g`` (either way round)."""
    from pyomo.core.expr.relational_expr import EqualityExpression, InequalityExpression, RangedExpression

    def cheap_constant(e):
        return isinstance(e, (int, float)) or not e.is_potentially_variable() or (e.is_variable_type() and e.fixed)

    def constant(e):    # is_fixed() walks the expanded tree: asked only when the cheap tests cannot tell
        return cheap_constant(e) or (e.is_expression_type() and e.is_fixed())

    def first_constant(a, b):
        """``b`` when it is constant (the usual ``g >= c``), else ``a`` when it is, else None."""
        if cheap_constant(b) or (not cheap_constant(a) and constant(b)):
            return b
        return a if constant(a) else None

    def number(e):
        v = float(pyo.value(e))
        if math.isnan(v):
            raise ModelError(f"complementarity {cc.name} has the bound {v} in {expr}")
        return None if math.isinf(v) else v

    if isinstance(expr, EqualityExpression):
        a, b = expr.args
        which = first_constant(a, b)
        body, c = (a, b) if which is b else (b, a) if which is a else (a - b, 0.0)
        if number(c) is None:
            raise ModelError(f"complementarity {cc.name}: {expr} has an infinite side")
        return _MpecSide(number(c), body, number(c), True)
    if isinstance(expr, InequalityExpression):    # a <= b
        a, b = expr.args
        which = first_constant(a, b)
        if which is b:
            return _MpecSide(None, a, number(b))
        if which is a:
            return _MpecSide(number(a), b, None)
        return _MpecSide(0.0, b - a, None)
    if isinstance(expr, RangedExpression):
        a, body, b = expr.args
        if not (constant(a) and constant(b)):
            raise ModelError(f"complementarity {cc.name}: the bounds of {expr} must be constants")
        return _MpecSide(number(a), body, number(b))
    if isinstance(expr, (int, float)) or expr is None:
        raise ModelError(f"complementarity {cc.name}: a side is the constant {expr}")
    return _MpecSide(None, expr, None)


def _mpec_variable_sides(conditions, sides, var_type) -> list[int]:
    """Which side (0 or 1) of each condition is its variable: a single unfixed variable, not an equation; when
    both are, the first whose variable no unambiguous condition claims."""

    def is_variable(side):
        return not side.equation and isinstance(side.body, var_type) and not side.body.fixed

    choice, claimed = [], set()
    for cc, pair in zip(conditions, sides, strict=True):
        options = [i for i in (0, 1) if is_variable(pair[i])]
        if not options:
            raise ModelError(f"complementarity {cc.name}: neither side is a single variable (x >= lo, x <= hi, "
                             f"lo <= x <= hi or x): {pair[0].body} and {pair[1].body}")
        choice.append(options if len(options) > 1 else options[0])
        if len(options) == 1:
            claimed.add(id(pair[options[0]].body))
    for k, (pair, options) in enumerate(zip(sides, choice, strict=True)):
        if isinstance(options, list):
            free = [i for i in options if id(pair[i].body) not in claimed]
            choice[k] = free[0] if free else options[0]
            claimed.add(id(pair[choice[k]].body))
    return choice


def _mpec_pair(cc, var_side: _MpecSide, fun_side: _MpecSide) -> tuple[float, float, float, float]:
    """``(sign, shift, lb, ub)`` of the pair ``sign (g - shift) _|_ lb <= x <= ub`` (see :func:`mcp_from_pyomo`)."""
    var = var_side.body
    var_lo = None if var.lb is None or math.isinf(var.lb) else float(var.lb)
    var_hi = None if var.ub is None or math.isinf(var.ub) else float(var.ub)
    lower = max((b for b in (var_side.lower, var_lo) if b is not None), default=None)
    upper = min((b for b in (var_side.upper, var_hi) if b is not None), default=None)
    lb, ub = -np.inf if lower is None else lower, np.inf if upper is None else upper
    if lb > ub:
        raise ModelError(f"complementarity {cc.name}: {var.name} has empty bounds [{lb:g}, {ub:g}]")
    has_lower, has_upper = fun_side.lower is not None, fun_side.upper is not None
    if fun_side.equation:
        if np.isfinite(lb) or np.isfinite(ub):
            raise ModelError(f"complementarity {cc.name} asks for {fun_side.body} == {fun_side.lower:g} but "
                             f"{var.name} has bounds [{lb:g}, {ub:g}]; write complements(lo <= {var.name} <= hi, g) "
                             f"to pair g with a bounded variable")
        return 1.0, fun_side.lower, -np.inf, np.inf
    if has_lower and has_upper:
        raise ModelError(f"complementarity {cc.name}: a ranged function side {fun_side.lower:g} <= g <= "
                         f"{fun_side.upper:g} is not an MCP pair; bound the variable instead: "
                         f"complements(lo <= {var.name} <= hi, g)")
    if not (has_lower or has_upper):
        return 1.0, 0.0, lb, ub
    # one-sided g: x needs exactly one bound, and the Var's bounds may not change the condition's
    if np.isfinite(lb) == np.isfinite(ub) or (var_side.lower, var_side.upper) not in ((None, None), (lower, upper)):
        raise ModelError(f"complementarity {cc.name} pairs a one-sided condition on {fun_side.body} with "
                         f"{var.name}, which then needs exactly one finite bound, the condition's; it has "
                         f"[{lb:g}, {ub:g}] (condition: {var_side.lower}, {var_side.upper})")
    slack_sign, shift = (1.0, fun_side.lower) if has_lower else (-1.0, fun_side.upper)
    return (slack_sign if np.isfinite(lb) else -slack_sign), shift, lb, ub


# ---------------------------------------------------------------------------------------------- GAMS
# precedence of a GAMS term: a sum, a negation, a product or quotient, an atom (name, number, function call)
_SUM, _NEG, _PROD, _ATOM = 1, 2, 3, 4
GAMS_LINE_WIDTH = 200  # GAMS reads lines up to 255 characters (longer only with $onLongLines-like settings)


@dataclass(frozen=True)
class _Term:
    text: str
    prec: int
    value: float | None = None  # the number, for constants


def _par(term: _Term, need: int) -> str:
    return term.text if term.prec >= need else f"({term.text})"


def _right(term: _Term, need: int) -> str:
    """A right operand: parenthesised when it binds looser than ``need`` or starts with a minus sign."""
    return f"({term.text})" if term.prec < need or term.prec == _NEG else term.text


def _gams_const(c: float) -> _Term:
    if not math.isfinite(c):
        raise ModelError(f"cannot write the constant {c} in GAMS")
    if c == int(c) and abs(c) < 1e15:
        text = str(int(c))
    else:
        text = repr(float(c))
    return _Term(text, _NEG if c < 0 else _ATOM, c)


def _gams_add(a: _Term, b: _Term) -> _Term:
    if b.value is not None and b.value < 0:
        return _Term(f"{_par(a, _SUM)} - {_gams_const(-b.value).text}", _SUM)
    return _Term(f"{_par(a, _SUM)} + {_right(b, _SUM)}", _SUM)


def _call(name):
    return lambda *args: _Term(f"{name}({', '.join(a.text for a in args)})", _ATOM)


def _gams_power(a: _Term, b: _Term) -> _Term:
    if b.value is not None and b.value == int(b.value):
        n = int(b.value)
        return _Term(f"sqr({a.text})", _ATOM) if n == 2 else _Term(f"power({a.text}, {n})", _ATOM)
    return _Term(f"rPower({a.text}, {b.text})", _ATOM)


_GAMS_OPS = {
    ca.OP_ADD: lambda a, b: _gams_add(a, b),
    ca.OP_SUB: lambda a, b: _Term(f"{_par(a, _SUM)} - {_right(b, _PROD)}", _SUM),
    ca.OP_MUL: lambda a, b: _Term(f"{_par(a, _PROD)} * {_right(b, _PROD)}", _PROD),
    ca.OP_DIV: lambda a, b: _Term(f"{_par(a, _PROD)} / {_right(b, _ATOM)}", _PROD),
    ca.OP_NEG: lambda a: _Term(f"-{_right(a, _PROD)}", _NEG),
    ca.OP_TWICE: lambda a: _Term(f"2 * {_right(a, _PROD)}", _PROD),
    ca.OP_INV: lambda a: _Term(f"1 / {_right(a, _ATOM)}", _PROD),
    ca.OP_SQ: lambda a: _Term(f"sqr({a.text})", _ATOM),
    ca.OP_POW: _gams_power, ca.OP_CONSTPOW: _gams_power,
    ca.OP_ASSIGN: lambda a: a,
    ca.OP_EXP: _call("exp"), ca.OP_LOG: _call("log"), ca.OP_SQRT: _call("sqrt"), ca.OP_FABS: _call("abs"),
    ca.OP_SIN: _call("sin"), ca.OP_COS: _call("cos"), ca.OP_TAN: _call("tan"), ca.OP_TANH: _call("tanh"),
    ca.OP_SINH: _call("sinh"), ca.OP_COSH: _call("cosh"), ca.OP_ATAN: _call("arctan"),
    ca.OP_ASIN: _call("arcsin"), ca.OP_ACOS: _call("arccos"), ca.OP_SIGN: _call("sign"),
    ca.OP_FMIN: _call("min"), ca.OP_FMAX: _call("max"), ca.OP_FLOOR: _call("floor"), ca.OP_CEIL: _call("ceil"),
}


def sx_to_gams(F: ca.SX, z: ca.SX, names: list) -> list[str]:
    """Each entry of the SX column ``F(z)`` as GAMS text over the identifiers ``names`` (one per z)."""
    terms = walk_sx(F, z, lambda k: _Term(names[k], _ATOM), _gams_const, _GAMS_OPS, "GAMS")
    return [t.text for t in terms]


_GAMS_RESERVED = {
    "abort", "acronym", "acronyms", "alias", "all", "and", "binary", "break", "card", "continue", "diag", "display",
    "do", "else", "elseif", "endfor", "endif", "endloop", "endwhile", "eps", "equation", "equations", "execute",
    "file", "files", "for", "free", "if", "inf", "integer", "loop", "maximizing", "minimizing", "model", "models",
    "na", "negative", "no", "nonnegative", "not", "option", "options", "or", "ord", "parameter", "parameters",
    "positive", "prod", "put", "putclose", "repeat", "scalar", "scalars", "semicont", "semiint", "set", "sets",
    "singleton", "smax", "smin", "solve", "sos1", "sos2", "sum", "system", "table", "then", "until", "using",
    "variable", "variables", "while", "xor", "yes", "undf", "eq", "ne", "lt", "le", "gt", "ge", "mcp",
}


def _gams_ident(text: str, used: set, prefix: str = "") -> str:
    base = prefix + re.sub(r"\W+", "_", text.encode("ascii", "replace").decode()).strip("_")
    if not base or not base[0].isalpha():
        base = "z_" + base
    base = base[:56]
    name, n = base, 1
    while name.lower() in used or name.lower() in _GAMS_RESERVED or keyword.iskeyword(name):
        n += 1
        name = f"{base}_{n}"
    used.add(name.lower())
    return name


def _gams_identifiers(labels: list[str], reserved=("sharedeq_mcp",)) -> list[tuple[str, str]]:
    used = {r.lower() for r in reserved}
    variables = [_gams_ident(str(label), used) for label in labels]
    return [(v, _gams_ident(v, used, "F_")) for v in variables]


def wrap_gams(text: str, width: int = GAMS_LINE_WIDTH, indent: str = "    ") -> list[str]:
    """Split ``text`` at blanks (which GAMS reads as blanks across lines too) into lines of at most ``width``."""
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = indent + word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return lines


def _explanatory(text: str) -> str:
    text = text.replace("\n", " ")[:200]
    for quote in ('"', "'"):
        if quote not in text:
            return f" {quote}{text}{quote}"
    return ""


class _GamsWriter:
    def __init__(self, mcp: MCP, model_name: str):
        self.mcp, self.model_name = mcp, model_name
        labels = [str(v) for v in mcp.pairs["variable"]]
        self.labels = labels
        self.names = _gams_identifiers(labels, reserved=(model_name,))

    def text(self) -> str:
        mcp, names = self.mcp, self.names
        variables = [v for v, _ in names]
        exprs = sx_to_gams(mcp.F, mcp.z, variables)
        out = [f"* MCP written by sharedeq: {mcp.summary()}",
               "* F(z) =n= 0 paired with each variable's bounds (GAMS's MCP convention)",
               "* GAMS variable / equation <- sharedeq pair: kind, agent, variable, equation"]
        rows = mcp.pairs.reset_index(drop=True)
        for (var, eq), (_, row) in zip(names, rows.iterrows(), strict=True):
            agent = "" if row.get("agent") is None or (isinstance(row.get("agent"), float)) else row["agent"]
            comment = f"* {var} / {eq} <- {row['kind']}, {agent}, {row['variable']}, {row['equation']}"
            out += ["* " + line.lstrip() if i else line for i, line in enumerate(wrap_gams(comment.replace("\n", " ")))]
        positive = [k for k in range(mcp.size) if mcp.lb[k] == 0 and np.isposinf(mcp.ub[k])]
        free = [k for k in range(mcp.size) if k not in set(positive)]
        for title, group in (("Variables", free), ("Positive Variables", positive)):
            if group:
                out += ["", title] + [f"    {variables[k]}{_explanatory(self.labels[k])}" for k in group] + [";"]
        out.append("")
        for k in range(mcp.size):
            lo, up = float(mcp.lb[k]), float(mcp.ub[k])
            if k not in set(positive):
                if np.isfinite(lo):
                    out.append(f"{variables[k]}.lo = {_gams_const(lo).text};")
                if np.isfinite(up):
                    out.append(f"{variables[k]}.up = {_gams_const(up).text};")
            level = float(np.clip(mcp.z0[k], lo, up))
            out.append(f"{variables[k]}.l = {_gams_const(level).text};")
        out += ["", "Equations"] + [f"    {eq}" for _, eq in names] + [";", ""]
        for (_, eq), expr in zip(names, exprs, strict=True):
            out += wrap_gams(f"{eq}.. {expr} =n= 0;")
        out.append("")
        out += wrap_gams(f"Model {self.model_name} / " + ", ".join(f"{eq}.{var}" for var, eq in names) + " /;")
        out += ["", f"Solve {self.model_name} using mcp;", ""]
        return "\n".join(out)
