"""The default backend: Ipopt as bundled in casadi's wheel, with sharedeq's block-assembled derivatives.

casadi's PyPI wheel ships Ipopt 3.14 with MUMPS, so ``pip install sharedeq`` gives a working solver with exact
second derivatives on every platform casadi supports; no executable, no ASL, no download.
"""

from __future__ import annotations

import time

import casadi as ca
import numpy as np

from sharedeq.backends.base import RawResult
from sharedeq.reformulate import RelaxedNLP

#: Ipopt settings for the relaxation steps and for the final polish (a square system of equations).
#: ``mumps_pivtol``: MUMPS's default threshold pivoting (1e-6) delays pivots on the degenerate systems of
#: generalized Nash mode, 20x slower per iteration at N = 500; 1e-10 leaves variational mode unchanged.
RELAX_OPTIONS = {"tol": 1e-9, "acceptable_tol": 1e-7, "max_iter": 3000, "mu_strategy": "adaptive",
                 "bound_relax_factor": 0.0, "mumps_pivtol": 1e-10, "print_level": 0, "sb": "yes"}
POLISH_OPTIONS = {"tol": 1e-13, "constr_viol_tol": 1e-13, "max_iter": 200, "bound_relax_factor": 0.0,
                  "print_level": 0, "sb": "yes"}
WARM_OPTIONS = {"warm_start_init_point": "yes", "warm_start_bound_push": 1e-9, "warm_start_mult_bound_push": 1e-9,
                "mu_init": 1e-6}


class _IterationWatch(ca.Callback):
    """Ipopt's iteration callback: hands ``(x, g)`` to ``watch``; a True answer stops Ipopt (User_Requested_Stop)."""

    def __init__(self, watch, nx: int, ng: int):
        ca.Callback.__init__(self)
        self.watch, self.nx, self.ng = watch, nx, ng
        self.construct("sharedeq_watch", {})

    def get_n_in(self):
        return ca.nlpsol_n_out()

    def get_n_out(self):
        return 1

    def get_name_in(self, i):
        return ca.nlpsol_out(i)

    def get_name_out(self, i):
        return "stop"

    def get_sparsity_in(self, i):
        name = ca.nlpsol_out(i)
        size = {"f": 1, "x": self.nx, "lam_x": self.nx, "g": self.ng, "lam_g": self.ng}.get(name)
        return ca.Sparsity.dense(size) if size else ca.Sparsity(0, 0)

    def eval(self, arg):
        return [1 if self.watch(np.asarray(arg[0]).ravel(), np.asarray(arg[2]).ravel()) else 0]


class CasadiIpopt:
    """Solve a :class:`RelaxedNLP` with casadi's Ipopt; one compiled solver per option set, built lazily.

    ``watch``: an optional function ``(x, g) -> bool`` called at every Ipopt iteration of the relaxation stages;
    returning True ends the run early (the solver uses it to stop as soon as a Newton polish succeeds).
    """

    name = "casadi"

    @staticmethod
    def check_available() -> None:
        """casadi's wheel always carries Ipopt."""

    def __init__(self, nlp: RelaxedNLP, options: dict | None = None, watch=None):
        self.nlp = nlp
        self.user_options = dict(options or {})
        self._solvers: dict[str, ca.Function] = {}
        self._watch = None if watch is None else _IterationWatch(watch, int(nlp.x.shape[0]), int(nlp.g.shape[0]))

    def _solver(self, stage: str) -> ca.Function:
        if stage not in self._solvers:
            base = {"relax": RELAX_OPTIONS, "warm": {**RELAX_OPTIONS, **WARM_OPTIONS},
                    "polish": POLISH_OPTIONS}[stage]
            ipopt = {**base, **self.user_options}
            nlp = {"x": self.nlp.x, "f": self.nlp.f, "g": self.nlp.g, "p": self.nlp.eps}
            opts = {"ipopt": ipopt, "print_time": False, "jac_g": self.nlp.jac_g, "hess_lag": self.nlp.hess_lag,
                    "error_on_fail": False}
            if self._watch is not None and stage != "polish":
                opts["iteration_callback"] = self._watch
            self._solvers[stage] = ca.nlpsol(f"sharedeq_{stage}", "ipopt", nlp, opts)
        return self._solvers[stage]

    def solve(self, stage, x0, lbx, ubx, eps, lam_x0=None, lam_g0=None) -> RawResult:
        """One Ipopt run; ``stage`` is 'relax' (cold), 'warm' (warm-started relaxation) or 'polish'."""
        lbg, ubg = self.nlp.bounds_g(eps)
        return run_nlpsol(self._solver(stage), x0, lbx, ubx, lbg, ubg, eps, lam_x0, lam_g0)


def run_nlpsol(solver, x0, lbx, ubx, lbg, ubg, p, lam_x0=None, lam_g0=None) -> RawResult:
    """One call of a casadi ``nlpsol`` (warm-started when ``lam_x0`` is given), read into a :class:`RawResult`."""
    args = {"x0": x0, "lbx": lbx, "ubx": ubx, "lbg": lbg, "ubg": ubg, "p": p}
    if lam_x0 is not None:
        args.update(lam_x0=lam_x0, lam_g0=lam_g0)
    start = time.perf_counter()
    out = solver(**args)
    stats = solver.stats()
    return RawResult(x=np.asarray(out["x"]).ravel(), lam_x=np.asarray(out["lam_x"]).ravel(),
                     lam_g=np.asarray(out["lam_g"]).ravel(), status=stats["return_status"],
                     success=bool(stats["success"]), iterations=int(stats.get("iter_count", 0)),
                     seconds=time.perf_counter() - start)

