"""Second backend: the same relaxed NLP handed to an ``ipopt`` executable through Pyomo's SolverFactory.

Use it where an ``ipopt`` binary exists (e.g. from ``idaes get-extensions`` on a supported platform) and you
want that build (with HSL linear solvers, say). The NLP is the one :mod:`sharedeq.reformulate` builds; its rows
are rebuilt as Pyomo expressions and written to an ``.nl`` file by Pyomo.
"""

from __future__ import annotations

import time

import numpy as np
import pyomo.environ as pyo

from sharedeq.backends.base import RawResult
from sharedeq.backends.casadi_ipopt import POLISH_OPTIONS, RELAX_OPTIONS, WARM_OPTIONS
from sharedeq.errors import SolverUnavailable
from sharedeq.mcp import sx_to_pyomo
from sharedeq.reformulate import RelaxedNLP


def ipopt_executable_available() -> bool:
    return bool(pyo.SolverFactory("ipopt").available(exception_flag=False))


class PyomoIpopt:
    """Solve a :class:`RelaxedNLP` with ``SolverFactory('ipopt')``."""

    name = "pyomo"

    @staticmethod
    def check_available() -> None:
        """Raise :class:`SolverUnavailable` when there is no ``ipopt`` executable to run."""
        if not ipopt_executable_available():
            raise SolverUnavailable("backend='pyomo' needs an 'ipopt' executable on PATH, and none was found; "
                                    "use the default backend='casadi' (Ipopt bundled with casadi)")

    def __init__(self, nlp: RelaxedNLP, options: dict | None = None, watch=None):
        """``watch`` (the per-iteration Newton test of the casadi backend) is not available here and is ignored."""
        self.check_available()
        self.nlp = nlp
        self.user_options = dict(options or {})
        n, m = int(nlp.x.shape[0]), int(nlp.g.shape[0])
        model = pyo.ConcreteModel()
        model.x = pyo.Var(range(n))
        model.eps = pyo.Param(mutable=True, initialize=1.0)
        variables = [model.x[i] for i in range(n)]
        rows = sx_to_pyomo(nlp.g, nlp.x, variables)
        model.eq = pyo.Constraint(range(nlp.n_equations), rule=lambda mdl, r: rows[r] == 0)
        model.comp = pyo.Constraint(range(nlp.n_equations, m), rule=lambda mdl, r: rows[r] <= mdl.eps)
        model.obj = pyo.Objective(expr=sx_to_pyomo(nlp.f, nlp.x, variables)[0])
        model.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT_EXPORT)
        self.model = model

    def solve(self, stage, x0, lbx, ubx, eps, lam_x0=None, lam_g0=None) -> RawResult:
        base = {"relax": RELAX_OPTIONS, "warm": {**RELAX_OPTIONS, **WARM_OPTIONS}, "polish": POLISH_OPTIONS}[stage]
        options = {k: v for k, v in {**base, **self.user_options}.items() if k != "sb"}
        model = self.model
        model.eps.set_value(eps)
        for i, var in model.x.items():
            var.setlb(None if np.isneginf(lbx[i]) else float(lbx[i]))
            var.setub(None if np.isposinf(ubx[i]) else float(ubx[i]))
            var.set_value(float(np.clip(x0[i], lbx[i], ubx[i])), skip_validation=True)
        start = time.perf_counter()
        result = pyo.SolverFactory("ipopt").solve(model, options=options, load_solutions=False)
        ok = result.solver.termination_condition == pyo.TerminationCondition.optimal
        if len(result.solution):
            model.solutions.load_from(result)
        x = np.array([pyo.value(model.x[i]) for i in range(len(model.x))])
        rows = list(model.eq.values()) + list(model.comp.values())
        lam_g = np.array([model.dual.get(c, 0.0) for c in rows])
        return RawResult(x=x, lam_x=np.zeros_like(x), lam_g=lam_g, status=str(result.solver.termination_condition),
                         success=ok, iterations=0, seconds=time.perf_counter() - start)
