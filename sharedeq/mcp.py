"""The mixed complementarity problem (MCP) that the agents' KKT conditions form.

An MCP is a function ``F: R^n -> R^n`` with bounds ``lb <= z <= ub``; ``z`` solves it when for every ``k``

    lb_k < z_k < ub_k  and  F_k(z) = 0,   or   z_k = lb_k  and  F_k(z) >= 0,   or   z_k = ub_k  and  F_k(z) <= 0,

written ``F(z) _|_ lb <= z <= ub``. Each pair carries its provenance: which agent, and which variable,
constraint or aggregate it comes from. Its natural residual ``z - mid(lb, ub, z - F(z))`` is zero exactly at a
solution; its infinity norm is the number reported as the MCP residual.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import casadi as ca
import numpy as np
import pandas as pd
import pyomo.environ as pyo

from sharedeq.errors import ModelError

PAIR_KINDS = ("stationarity", "multiplier", "definition", "vi")


@dataclass
class MCP:
    """``F(z) _|_ lb <= z <= ub`` with one row of :attr:`pairs` (provenance) per component.

    ``pairs`` columns: ``kind`` (stationarity: z is an agent's variable and F the derivative of its
    Lagrangian; multiplier: z is a constraint's multiplier and F the constraint's slack; definition: z is an
    aggregate or implicit variable and F its defining equation; vi: a pair the user declared), ``agent``,
    ``variable`` (the name of z), ``equation`` (the name of F), ``side`` and ``dense`` (F depends on many
    components of z; such rows are differentiated in reverse mode). ``pyomo_vars`` holds the Pyomo variable of
    each component (None for multipliers and aggregates), ``lifted`` the indices of aggregate components and
    ``outputs`` the agents' objectives as SX, for reporting.
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

    @property
    def size(self) -> int:
        return int(self.z.shape[0])

    def __post_init__(self):
        self._F_fun = None

    def function(self) -> ca.Function:
        """``z -> F(z)`` as a casadi Function (built once)."""
        if self._F_fun is None:
            self._F_fun = ca.Function("F", [self.z], [self.F])
        return self._F_fun

    def evaluate(self, z) -> np.ndarray:
        return np.asarray(self.function()(np.asarray(z, float))).ravel()

    def natural_residual(self, z) -> np.ndarray:
        """``z - mid(lb, ub, z - F(z))``, componentwise; zero exactly at a solution."""
        z = np.asarray(z, float)
        return z - np.clip(z - self.evaluate(z), self.lb, self.ub)

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
            return complements(float(lo) <= z <= float(hi), F)

        index = {label: k for k, label in enumerate(labels)}
        m.pairs = Complementarity(labels, rule=rule)
        return m


def sx_to_pyomo(F: ca.SX, z: ca.SX, variables: list) -> list:
    """Rebuild each entry of the SX column ``F(z)`` as a Pyomo expression over ``variables`` (one per z)."""
    ops = {
        ca.OP_ADD: lambda a, b: a + b, ca.OP_SUB: lambda a, b: a - b, ca.OP_MUL: lambda a, b: a * b,
        ca.OP_DIV: lambda a, b: a / b, ca.OP_POW: lambda a, b: a ** b, ca.OP_CONSTPOW: lambda a, b: a ** b,
        ca.OP_NEG: lambda a: -a, ca.OP_SQ: lambda a: a ** 2, ca.OP_TWICE: lambda a: 2 * a,
        ca.OP_INV: lambda a: 1 / a, ca.OP_EXP: pyo.exp, ca.OP_LOG: pyo.log, ca.OP_SQRT: pyo.sqrt,
        ca.OP_SIN: pyo.sin, ca.OP_COS: pyo.cos, ca.OP_TAN: pyo.tan, ca.OP_TANH: pyo.tanh,
        ca.OP_ASSIGN: lambda a: a, ca.OP_FABS: abs,
    }
    fun = ca.Function("F", [z], [F])
    work: dict[int, object] = {}
    out = [0.0] * int(F.shape[0])
    for k in range(fun.n_instructions()):
        op, args, res = fun.instruction_id(k), fun.instruction_input(k), fun.instruction_output(k)
        if op == ca.OP_INPUT:
            work[res[0]] = variables[args[1]]
        elif op == ca.OP_OUTPUT:
            out[res[1]] = work[args[0]]
        elif op == ca.OP_CONST:
            work[res[0]] = float(fun.instruction_constant(k))
        elif op in ops:
            work[res[0]] = ops[op](*(work[a] for a in args))
        else:
            raise ModelError(f"cannot export casadi operation {op} to Pyomo")
    return out
