"""The answer, per agent, in the user's names: values, multipliers, objectives, residuals, what happened.

Multiplier convention (the one place it is stated): every agent minimises (a ``max`` agent is negated), every
constraint is normalised to ``g(x) <= 0`` (a ``>=`` constraint ``body >= lb`` as ``lb - body <= 0``) or
``h(x) = 0``, and the Lagrangian is ``f + lam' g + mu' h``. So the multiplier of an active inequality is
nonnegative whatever its direction, and an equality's multiplier is the derivative of the Lagrangian with
respect to ``body - rhs``. A ranged constraint reports its two sides separately (``cons.m_lo``, ``cons.m_up``).
"""

from __future__ import annotations

import html
import json
import shutil
import sys
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import casadi as ca
import numpy as np
import pandas as pd
from pyomo.common.collections import ComponentMap

from sharedeq.errors import ModelError

# What a solve showed, from the most to the least; docs/statuses.md says what each guarantees and what to do next.
EQUILIBRIUM = "equilibrium"              # every agent at a best response, proven (convex, or a global certificate)
LOCAL_EQUILIBRIUM = "local equilibrium"  # every agent at a strict local best response; some not proven global
UNDECIDED = "undecided"                  # a KKT point whose second-order or global checks decided nothing
NOT_VERIFIED = "not verified"            # a KKT point; the agent checks were skipped (size) or not run
NOT_AN_EQUILIBRIUM = "not an equilibrium"  # a KKT point where some agent can do better
NOT_CONVERGED = "not converged"          # no point satisfying the complementarity conditions to tolerance
MCP_SOLVED = "solved"                    # a plain MCP (no agents): the complementarity system holds
#: Statuses from the strongest claim to the weakest.
STRENGTH = [EQUILIBRIUM, MCP_SOLVED, LOCAL_EQUILIBRIUM, UNDECIDED, NOT_VERIFIED, NOT_AN_EQUILIBRIUM, NOT_CONVERGED]
HEADLINES = {EQUILIBRIUM: "EQUILIBRIUM FOUND", LOCAL_EQUILIBRIUM: "LOCAL EQUILIBRIUM",
             UNDECIDED: "KKT POINT, EQUILIBRIUM UNDECIDED", NOT_VERIFIED: "KKT POINT, NOT VERIFIED",
             NOT_AN_EQUILIBRIUM: "KKT POINT, NOT AN EQUILIBRIUM", NOT_CONVERGED: "NOT CONVERGED",
             MCP_SOLVED: "MCP SOLVED"}

# Per-agent verdicts of Solution.verify (the ``verdict`` column of ``solution.checks``)
GLOBAL_BEST = "best response (proven)"
LOCAL_BEST = "local best response (not proven global)"
NOT_BEST = "not a best response"
AGENT_UNDECIDED = "undecided"


class NotConvergedWarning(UserWarning):
    """Numbers were read from a solve that did not converge."""


#: Relative tolerance of the agents' certificates (:func:`sharedeq.certify.certify_agent`).
CERTIFY_TOL = 1e-7

#: The scaled-residual test (see :meth:`Solution.build`): a point whose residual, measured in the units of F, is
#: above this is not accepted even when its plain residual is below ``tol``.
SCALED_TOL = 1e-6

#: Rows shown per table in :meth:`Solution.summary` (the first and last half).
SUMMARY_ROWS = 40

#: Where to find what a cut table left out (the note under it).
WHOLE_TABLES = "all: --csv DIR or --json FILE; solution.to_csv(DIR)"


@dataclass
class Solution:
    """The result of :func:`sharedeq.solve`; tables are pandas DataFrames, names are the model's names.

    ``status`` says what was shown (one of the constants above; ``summary()``'s first line is its headline),
    ``converged`` only that the complementarity system holds to tolerance (first order), and ``checks`` how each
    agent was judged.
    """

    problem: object
    mcp: object
    z: np.ndarray
    F: np.ndarray
    converged: bool
    status: str
    message: str
    residual: float
    steps: pd.DataFrame
    timings: dict
    mode: str | None = None
    weights: object = None
    backend: str = "casadi"
    tol: float = 1e-8
    scaled_residual: float = 0.0
    scaled_tol: float = SCALED_TOL
    second_order: pd.DataFrame | None = field(default=None, repr=False)
    certificates: dict | None = field(default=None, repr=False)
    checks: pd.DataFrame | None = field(default=None, repr=False)
    diagnosis: list = field(default_factory=list, repr=False)   # sharedeq.diagnose.Finding, when not converged
    skipped_certificates: int = field(default=0, repr=False)    # agents left without a certificate (cost cap)
    kkt_residuals: pd.DataFrame | None = field(default=None, repr=False)  # sharedeq.kkt_check, when run
    best_response: pd.DataFrame | None = field(default=None, repr=False)  # sharedeq.best_response_check, when run
    vi_checks: pd.DataFrame | None = field(default=None, repr=False)     # sharedeq.certify.vi_checks, when run
    _loaded: bool = field(default=False, repr=False)

    @classmethod
    def build(cls, problem, mcp, z, steps, timings, mode, weights, tol, backend, scaled=(0.0, -1, 1.0),
              scaled_tol=SCALED_TOL) -> Solution:
        """Judge the point ``z``: converged when the natural residual ``r = z - mid(lb, ub, z - F(z))`` is at most
        ``tol`` and so is its scaled form ``max_k |r_k| max(1, |dF/dz_k|_inf)`` (at most ``scaled_tol``), where
        the factor applies to pairs at or past a bound (for the others ``r_k = F_k`` is already in F's units).

        The scaled form measures the residual in the units of ``F``: moving ``z_k`` by ``r_k`` (onto where its
        pair holds) moves ``F`` by up to ``|dF/dz_k| |r_k|``. It rejects boundary points whose tiny absolute
        residual hides exploding multipliers (a price of 4e-10 that a multiplier of 2.5e9 turns into an error of
        1 in a consumer's first-order condition). ``scaled``: (value, pair, column norm) from the solver.
        """
        F = mcp.evaluate(z)
        r = mcp.natural_residual(z, F)
        residual = float(np.max(np.abs(r))) if r.size else 0.0
        steps = pd.DataFrame(steps)
        scaled_residual, scaled_pair, column = scaled
        converged = residual <= tol and scaled_residual <= scaled_tol
        if converged:
            message = f"MCP residual {residual:.2e} <= tol {tol:g} (scaled {scaled_residual:.1e})"
        elif residual <= tol:
            name = mcp.pairs["variable"].iloc[scaled_pair]
            message = (f"rejected: MCP residual {residual:.2e} <= tol {tol:g}, but the scaled residual is "
                       f"{scaled_residual:.2e} > {scaled_tol:g}: {name} is {abs(r[scaled_pair]):.1e} from where its "
                       f"pair holds, and F moves by up to {column:.1e} per unit of {name}: the residual is small "
                       f"in z but not in F (at a boundary point, a sign of an exploding multiplier)")
        else:
            worst = int(np.argmax(np.abs(r)))
            message = (f"best MCP residual {residual:.2e} > tol {tol:g} (worst pair: "
                       f"{_pair_label(mcp.pairs.iloc[worst])})")
        timings = {**timings, "iterations": int(steps["iterations"].sum()) if len(steps) else 0}
        sol = cls(problem, mcp, np.asarray(z), F, converged, NOT_CONVERGED, message, residual, steps, timings, mode,
                  weights, backend, tol, scaled_residual, scaled_tol)
        sol._judge()
        if converged:
            sol.load()
        return sol

    # ------------------------------------------------------------------ verdicts
    def verify(self, certify=True, tol=1e-6, max_certified=None) -> pd.DataFrame:
        """Decide, agent by agent, whether this KKT point is an equilibrium; returns :attr:`checks`.

        Second-order conditions on each agent's critical cone (:func:`sharedeq.verify.second_order_check`), then
        (``certify``) a proof that the agent's problem is convex, or else a global best-response certificate
        (:func:`sharedeq.certify.certify_agent`: exact for small nonconvex QPs, multistart evidence otherwise).
        Cost: one MCP Jacobian and a small dense eigenproblem per agent, plus the certificates: none for convex
        quadratic agents, milliseconds to a second for the others; ``max_certified`` caps how many of those are
        certified (the rest are judged on the second-order check alone, and say so).
        """
        if not self.converged:
            raise ModelError(f"this solve did not converge ({self.message}); there is no KKT point to verify")
        from sharedeq.verify import second_order_check

        self.second_order = second_order_check(self.problem, self, tol)
        self.skipped_certificates = 0
        if certify and self.problem is not None:
            self.load()
            self.certificates = self._certificates(tol, max_certified)
        if self.problem is not None and any(block.constraints for block in self.problem.vi_blocks):
            from sharedeq.certify import vi_checks

            self.load()
            self.vi_checks = vi_checks(self.problem, CERTIFY_TOL)
        self._judge()
        return self.checks

    def _certificates(self, tol, max_certified=None) -> dict:
        """Each agent's certificate: convex quadratic agents straight from the MCP (:func:`quadratic_agents` and
        their constant Hessian blocks, O(N) in all), the others by :func:`sharedeq.certify.certificates` (None for
        all of them when there are more than ``max_certified``)."""
        from sharedeq.certify import CONVEX, GLOBAL, Certificate, Convexity, certificates
        from sharedeq.verify import quadratic_agents

        gaps = self.first_order_gaps()
        objectives = self.objective_values
        out = {}
        for name in quadratic_agents(self.mcp):
            if self.second_order.at[name, "hessian_min_eigenvalue"] >= -tol and \
                    gaps[name] <= CERTIFY_TOL * max(1.0, abs(objectives[name])):
                reason = "quadratic objective and affine constraints in its variables; Hessian eigenvalues >= 0"
                out[name] = Certificate(name, Convexity(CONVEX, reason), GLOBAL, float("nan"), {},
                                        "convex: KKT suffices")
        rest = [a for a in self.problem.agent_names if a not in out]
        if max_certified is not None and len(rest) > max_certified:
            self.skipped_certificates = len(rest)
            return out
        out.update(certificates(self.problem, agents=rest, tol=CERTIFY_TOL, gaps=gaps) if rest else {})
        return {a: out[a] for a in self.problem.agent_names}

    def first_order_gaps(self) -> dict[str, float]:
        """Per agent, what its objective could still move to first order: ``sum_k |F_k| d_k`` over its KKT pairs
        (its variables, its own multipliers, and the common multipliers of the constraints it shares).

        ``d_k`` is the distance from ``z_k`` to the bound that ``-F_k`` points to (``F_k > 0``: the lower), at most
        ``max(1, |z_k|)``: a complementarity product for a pair near its bound, ``|F_k| |z_k|`` for an interior
        one. Unlike the natural residual this does not vanish when ``F_k`` is below the rounding of ``z_k`` (min
        1/x on x >= 1 stops at x = 6.5e5 with gradient -2.4e-12: natural residual exactly 0, gap 1.5e-6). A
        convex agent whose gap exceeds the certificate's threshold is re-solved from the point
        (:func:`sharedeq.certify.certify_agent`).
        """
        t = self._table
        z, F = t["value"].to_numpy(), t["F"].to_numpy()
        toward = np.where(F > 0, t["lower"].to_numpy(), t["upper"].to_numpy())
        distance = np.minimum(np.abs(z - toward), np.maximum(1.0, np.abs(z)))
        weighted = np.abs(F) * distance
        gaps = {a: 0.0 for a in self.problem.agent_names}
        for agent, value in zip(t["agent"], weighted, strict=True):
            if isinstance(agent, str) and agent in gaps:
                gaps[agent] += float(value)
        common = t["agent"].isna().to_numpy() & (t["kind"] == "multiplier").to_numpy()
        by_equation: dict = {}
        for equation, value in zip(t["equation"][common], weighted[common], strict=True):
            by_equation[equation] = by_equation.get(equation, 0.0) + float(value)
        for s in self.problem.shared:
            common_gap = by_equation.get(s.constraint.name, 0.0)
            for agent in s.agents:
                gaps[agent] += common_gap
        return gaps

    def check_second_order(self, tol=1e-6) -> pd.DataFrame:
        """Each agent's curvature (:func:`sharedeq.verify.second_order_check`), kept for :attr:`status`."""
        from sharedeq.verify import second_order_check

        self.second_order = second_order_check(self.problem, self, tol)
        self._judge()
        return self.second_order

    @property
    def verified(self) -> bool:
        """True only when every agent was shown to be at a best response (status ``equilibrium``)."""
        return self.status == EQUILIBRIUM

    @property
    def not_best_responses(self) -> list[str]:
        """Agents shown not to be at a best response (negative curvature, or a better response found)."""
        if self.checks is None:
            return []
        return [str(a) for a in self.checks.index[self.checks["verdict"] == NOT_BEST]]

    def _judge(self) -> None:
        """Set :attr:`checks` and :attr:`status` from what was checked (the weakest agent verdict decides)."""
        self.checks = None
        if not self.converged:
            self.status = NOT_CONVERGED
            return
        agents = [] if self.problem is None else self.problem.agents
        if self.problem is None:
            self.status = MCP_SOLVED
        elif not agents:
            self.status = EQUILIBRIUM       # only complementarity pairs: their solution is the equilibrium
        elif self.second_order is None and self.certificates is None:
            self.status = NOT_VERIFIED
        else:
            skipped = f"the {self.skipped_certificates} agents that need one exceed the automatic limit; " \
                      f"solution.verify() runs them" if self.skipped_certificates else "none was run"
            second_order = None if self.second_order is None else self.second_order.to_dict("index")
            rows = [_agent_verdict(a.name, second_order, self.certificates, skipped) for a in agents]
            self.checks = pd.DataFrame(rows).set_index("agent")
            verdicts = set(self.checks["verdict"])
            self.status = NOT_AN_EQUILIBRIUM if NOT_BEST in verdicts else UNDECIDED if AGENT_UNDECIDED in verdicts \
                else LOCAL_EQUILIBRIUM if LOCAL_BEST in verdicts else EQUILIBRIUM
        if self.problem is not None:
            self.status = max(self.status, self._vi_status(), key=STRENGTH.index)

    def _vi_status(self) -> str:
        """What the VIs with constraints allow the status to claim: a KKT point of a VI solves it when its set is
        proven convex (:func:`sharedeq.certify.vi_convexity`); otherwise it is only a KKT point (undecided), and
        unchecked it is not verified. A VI on its variables' box alone needs no check."""
        if not any(block.constraints for block in self.problem.vi_blocks):
            return EQUILIBRIUM
        if self.vi_checks is None:
            return NOT_VERIFIED
        from sharedeq.certify import VI_SOLUTION

        return EQUILIBRIUM if (self.vi_checks["verdict"] == VI_SOLUTION).all() else UNDECIDED

    @property
    def iterations(self) -> int:
        return self.timings["iterations"]

    @property
    def method(self) -> str:
        """How the point was computed: "interior point" (:mod:`sharedeq.interior`) or "relaxation" (Ipopt)."""
        return "interior point" if self.backend == "interior point" else "relaxation"

    # ------------------------------------------------------------------ values
    def load(self) -> None:
        """Write the solution into the Pyomo model's variables (done automatically when converged)."""
        for k, var in enumerate(self.mcp.pyomo_vars):
            if var is not None:
                var.set_value(float(self.z[k]), skip_validation=True)
        for var, value in self.objective_variable_values.items():
            var.set_value(value, skip_validation=True)
        for parameter, var in self.mcp.outputs.get("shadows", ()):
            parameter.set_value(var.value, skip_validation=True)      # a QVI's shadow copy: GAMS's x.l = y.l
        self._loaded = True

    @cached_property
    def _column_of(self) -> dict[int, int]:
        return {id(v): k for k, v in enumerate(self.mcp.pyomo_vars) if v is not None}

    def value(self, var) -> float:
        """The value of a Pyomo variable (an agent's, a vi pair's, an implicit or objective variable; a QVI's
        shadow copy takes the value of the variable it stands for).

        On a solve that did not converge this warns (:class:`NotConvergedWarning`): the number is the best point
        found, not an equilibrium.
        """
        if not self.converged:
            warnings.warn(f"{var.name}: this solve did not converge ({self.message}); the value is from the best "
                          f"point found, not from an equilibrium", NotConvergedWarning, stacklevel=2)
        var = next((v for p, v in self.mcp.outputs.get("shadows", ()) if p is var), var)
        k = self._column_of.get(id(var))
        if k is not None:
            return float(self.z[k])
        if var in self.objective_variable_values:
            return self.objective_variable_values[var]
        if var.fixed:
            return float(var.value)
        raise ModelError(f"{var.name} is not a variable of this equilibrium problem")

    def multiplier(self, constraint, agent=None, side=None) -> float:
        """The multiplier of ``constraint`` (for a generalized-Nash shared constraint, name the ``agent``)."""
        table = self.multipliers
        rows = table[table["constraint"] == constraint.name]
        if agent is not None:
            rows = rows[rows["agent"] == str(agent)]
        if side is not None:
            rows = rows[rows["side"] == side]
        if len(rows) != 1:
            if rows.empty:
                raise ModelError(f"no multiplier for {constraint.name}" + (f" of agent '{agent}'" if agent else ""))
            raise ModelError(f"{constraint.name} has {len(rows)} multipliers ({', '.join(rows['name'])}); "
                             f"pass agent=... or side=...")
        return float(rows["multiplier"].iloc[0])

    @cached_property
    def objective_variable_values(self) -> ComponentMap:
        """GAMS-style objective variables (``obj(i)`` defined by ``objdef(i)``) and their values."""
        out = ComponentMap()
        z = self.mcp.z
        for var, f in self.mcp.outputs["objective_vars"].values():
            out[var] = float(ca.Function("f", [z], [f])(self.z))
        return out

    @cached_property
    def objective_values(self) -> pd.Series:
        """Each agent's objective at the solution, in the agent's own sense (max agents not negated)."""
        objectives = self.mcp.outputs["objectives"]
        names = list(objectives)
        fun = ca.Function("objectives", [self.mcp.z], [ca.vertcat(*(ca.SX(objectives[a]) for a in names))])
        values = np.asarray(fun(self.z)).ravel()
        return pd.Series(values, index=pd.Index(names, name="agent"), name="objective")

    # ------------------------------------------------------------------ tables
    @cached_property
    def _table(self) -> pd.DataFrame:
        pairs = self.mcp.pairs.copy()
        pairs["value"] = self.z
        pairs["F"] = self.F
        pairs["lower"] = self.mcp.lb
        pairs["upper"] = self.mcp.ub
        pairs["residual"] = np.abs(self.mcp.natural_residual(self.z, self.F))
        return pairs

    @cached_property
    def variables(self) -> pd.DataFrame:
        """The model's variables: agent, variable, value, bounds, and the marginal (dL/dx for an agent's variable).

        ``agent`` is '(vi)' for a vi pair's variable and '(definition)' for an implicit variable; the aggregates
        that sharedeq introduced (``total``, ``cons[1].body``) are in :attr:`auxiliaries` instead.
        """
        t = self._table
        t = t[t["kind"].isin(["stationarity", "vi", "definition"]).to_numpy() & ~self._lifted]
        out = pd.DataFrame({"agent": t["agent"].fillna("(" + t["kind"] + ")"), "variable": t["variable"],
                            "value": t["value"], "lower": t["lower"], "upper": t["upper"], "marginal": t["F"]})
        return out.reset_index(drop=True)

    @cached_property
    def auxiliaries(self) -> pd.DataFrame:
        """The aggregates sharedeq introduced (a named Expression such as ``total``, a shared constraint's body
        ``cons[1].body``): value, the definition ``y = h(z)`` they stand for, and its residual ``|y - h(z)|``."""
        t = self._table[self._lifted]
        out = pd.DataFrame({"variable": t["variable"], "definition": t["equation"], "value": t["value"],
                            "residual": t["F"].abs()})
        return out.reset_index(drop=True)

    @cached_property
    def _lifted(self) -> np.ndarray:
        """Mask of the MCP's components that are lifted aggregates (no Pyomo variable of the user's)."""
        mask = np.zeros(self.mcp.size, dtype=bool)
        mask[list(self.mcp.lifted)] = True
        return mask

    @cached_property
    def multipliers(self) -> pd.DataFrame:
        """Constraint multipliers: constraint, agent ('(shared)' for one common multiplier), side, value, slack."""
        t = self._table
        t = t[t["kind"] == "multiplier"]
        out = pd.DataFrame({"constraint": t["equation"], "agent": t["agent"].fillna("(shared)"),
                            "side": t["side"], "name": t["variable"], "multiplier": t["value"],
                            "slack": t["F"]})
        return out.reset_index(drop=True)

    @cached_property
    def residuals(self) -> pd.DataFrame:
        """Per agent: stationarity (KKT of its own problem), complementarity and feasibility of its constraints.

        Rows '(shared)', '(vi)' and '(definition)' hold the pairs that belong to no single agent.
        """
        t = self._table.copy()
        t["owner"] = t["agent"].fillna("(" + t["kind"].replace({"multiplier": "shared"}) + ")")
        ineq = t["side"].isin(["<=", ">="])
        mult = t["kind"] == "multiplier"
        t["stationarity"] = np.where(t["kind"] == "stationarity", t["residual"], 0.0)
        t["feasibility"] = np.where(mult & ineq, np.maximum(-t["F"], 0.0),
                                    np.where(mult | (t["kind"] == "definition"), np.abs(t["F"]), 0.0))
        t["complementarity"] = np.where(mult & ineq, np.minimum(np.abs(t["value"]), np.abs(t["F"])), 0.0)
        t["vi"] = np.where(t["kind"] == "vi", t["residual"], 0.0)
        order = list(dict.fromkeys(t["owner"]))
        out = t.groupby("owner")[["stationarity", "complementarity", "feasibility", "vi"]].max().reindex(order)
        if not (t["kind"] == "vi").any():
            out = out.drop(columns="vi")
        out.index.name = "agent"
        return out

    # ------------------------------------------------------------------ reporting
    @property
    def headline(self) -> str:
        """The first line of :meth:`summary`: the status in capitals, the problem, mode and method (the interior-point
        method, or the relaxation and the backend that ran Ipopt)."""
        name = "MCP" if self.problem is None else self.problem.name
        mode = self.mode_used or "as declared"
        mode = f"{mode} (as declared)" if self.mode is None and self.mode_used is not None else mode
        how = "interior point" if self.method == "interior point" else f"relaxation, backend {self.backend}"
        return f"{HEADLINES[self.status]}: {name} (mode {mode}, {how})"

    @property
    def mode_used(self) -> str | None:
        """How the shared constraints were solved: 've' (one common multiplier each), 'gne' (one per agent),
        'mixed' (as declared, some of each), or the ``mode`` asked for when there is no shared constraint."""
        if self.problem is None or not self.problem.shared:
            return self.mode
        treated = set(self.problem.treatment(self.mode).values())
        return "mixed" if len(treated) > 1 else "ve" if True in treated else "gne"

    @property
    def weights_used(self) -> dict | None:
        """The Rosen weights by agent (1 when none were given) when some shared constraint is variational."""
        if self.problem is None or not any(self.problem.treatment(self.mode).values()):
            return None
        return self.problem.rosen_weights(self.weights)

    def explanation(self) -> list[str]:
        """The lines under the headline: what was shown, agent by agent where it matters, and what to do."""
        lines = [self.message] + [f"diagnosis: {finding.message}" for finding in self.diagnosis]
        if self.status == NOT_CONVERGED:
            tried = ", ".join(f"{n} x{c}" if c > 1 else n for n, c in _tried(self.steps).items())
            lines.append(f"tried: {tried} (table 'What was tried' below; solution.steps)")
        elif self.status == NOT_VERIFIED:
            what = "the agents' second-order and best-response checks were" if self.problem.agents else \
                "the check that each VI's set is convex was"
            lines.append(f"{what} skipped for size (or verify=False); call solution.verify()")
        elif self.checks is not None:
            shown = self.checks[self.checks["verdict"] != GLOBAL_BEST]
            for name, row in shown.head(5).iterrows():
                lines.append(f"agent '{name}': {row['verdict']}: {row['reason']}")
            if len(shown) > 5:
                lines.append(f"... and {len(shown) - 5} more agents (solution.checks)")
        if self.status != NOT_CONVERGED and self.vi_checks is not None:
            from sharedeq.certify import VI_SOLUTION

            for name, row in self.vi_checks[self.vi_checks["verdict"] != VI_SOLUTION].head(5).iterrows():
                lines.append(f"{name}: {row['verdict']}: {row['reason']}")
        return lines

    def _sections(self) -> list[tuple[str, pd.DataFrame]]:
        """The tables of :meth:`summary` and of the notebook view, with their titles."""
        sections = []
        if self.status == NOT_CONVERGED:
            sections.append(("What was tried", self.steps))
        if self.problem is not None:
            agents = pd.concat([self.objective_values, self.residuals], axis=1)
            sections.append(("Agents (objective and KKT residuals)", agents))
        sections += [("Variables", self.variables), ("Multipliers", self.multipliers)]
        if self.checks is not None:
            sections.append(("Agent checks (second order on the critical cone; convexity or global certificate)",
                             self.checks.drop(columns="reason")))
        if self.vi_checks is not None:
            sections.append(("VI checks (a KKT point solves a VI whose set is convex)",
                             self.vi_checks.drop(columns="reason")))
        if self.kkt_residuals is not None:
            sections.append(("KKT residuals re-derived with Pyomo (kkt_check)", self.kkt_residuals))
        if self.best_response is not None:
            sections.append(("Best-response check (gain = how much each agent could improve alone)",
                             self.best_response))
        return [(title, table) for title, table in sections if len(table)]

    def summary(self, width: int | None = None, max_rows: int = SUMMARY_ROWS) -> str:
        """A readable report; the first line says what this point is (see docs/statuses.md).

        Each table is cut to ``width`` characters (default: the terminal's width, 120 when not a terminal) and
        ``max_rows`` rows, with a note saying what was left out; :meth:`to_csv` and :meth:`to_json` write all.
        """
        lines = [self.headline] + [f"  {line}" for line in self.explanation()]
        lines += [f"  {self.mcp.summary()}; {self.iterations} iterations ({self.method}); "
                  f"KKT {self.timings.get('kkt', 0.0):.3f} s, solve {self.timings.get('solve', 0.0):.3f} s", ""]
        with pd.option_context("display.max_colwidth", 60, "display.float_format", "{:.6g}".format):
            for title, table in self._sections():
                lines += [title, fit_table(table, width, max_rows), ""]
        return "\n".join(lines).rstrip()

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        """The notebook view: the headline, the lines under it, and the tables (at most 40 rows and 20 columns
        each; :meth:`to_csv` writes all)."""
        parts = [f"<p><b>{html.escape(self.headline)}</b></p>",
                 "<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in self.explanation()) + "</ul>"]
        for title, table in self._sections():
            parts.append(f"<p><i>{html.escape(title)}</i></p>")
            parts.append(table.to_html(max_rows=40, max_cols=20, na_rep="", float_format="{:.6g}".format))
        return "\n".join(parts)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the solution by file name (what :meth:`to_csv` writes); tables not computed are absent.

        variables, auxiliaries, multipliers, agents (objective and KKT residuals, plus rows for the pairs of no
        single agent), checks (each agent's verdict and its reason), vi_checks (each VI with constraints),
        second_order, kkt (:func:`kkt_check`),
        best_response (:func:`best_response_check`), steps (what the solver did).
        """
        out = {"variables": self.variables, "auxiliaries": self.auxiliaries, "multipliers": self.multipliers}
        if self.problem is not None:
            out["agents"] = pd.concat([self.objective_values, self.residuals], axis=1).rename_axis("agent")
        optional = {"checks": self.checks, "vi_checks": self.vi_checks, "kkt": self.kkt_residuals,
                    "best_response": self.best_response,
                    "second_order": None if self.second_order is None else
                    self.second_order.drop(columns=["move"], errors="ignore")}
        out.update({name: table for name, table in optional.items() if table is not None})
        out["steps"] = self.steps
        return {name: table for name, table in out.items() if name != "auxiliaries" or len(table)}

    def to_csv(self, directory) -> list[Path]:
        """Write :meth:`tables` as CSV files (``variables.csv``, ``multipliers.csv``, ...) into ``directory``
        (created if needed); returns the paths written."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for name, table in self.tables().items():
            path = directory / f"{name}.csv"
            named_index = table.index.name is not None
            table.to_csv(path, index=named_index)
            written.append(path)
        return written

    def to_dict(self) -> dict:
        """The solution as JSON-ready data in the layout :data:`SCHEMA` describes (version :data:`SCHEMA_VERSION`;
        docs/output.md documents every field)."""
        plain = self.problem is None
        weights = self.weights_used
        variational = {} if plain else self.problem.treatment(self.mode)
        shared = {} if plain else {
            s.constraint.name: {"agents": list(s.agents), "mode": "ve" if variational[id(s.constraint)] else "gne"}
            for s in self.problem.shared}
        return {
            "schema": SCHEMA_VERSION, "sharedeq_version": _version(),
            "problem": "MCP" if plain else self.problem.name, "status": self.status, "headline": self.headline,
            "converged": self.converged, "verified": self.verified, "message": self.message,
            "diagnosis": [{"kind": f.kind, "message": f.message, "components": [str(c) for c in f.components]}
                          for f in self.diagnosis],
            "mode": self.mode_used, "shared_constraints": shared,
            "weights": None if weights is None else {a: float(w) for a, w in weights.items()},
            "backend": self.backend, "tolerances": {"residual": self.tol, "scaled_residual": self.scaled_tol},
            "residual": _json_number(float(self.residual)),
            "scaled_residual": _json_number(float(self.scaled_residual)), "iterations": self.iterations,
            "timings": {k: float(v) for k, v in self.timings.items() if k != "iterations"},
            "steps": _records(self.steps),
            "variables": self._variables_dict(), "auxiliaries": {
                row.variable: {"definition": row.definition, "value": _json_number(float(row.value)),
                               "residual": _json_number(float(row.residual))} for row in self.auxiliaries.itertuples()},
            "multipliers": self._multipliers_dict(),
            "agents": {} if plain else self._agents_dict(),
            "pair_residuals": {} if plain else _keyed(self.residuals[~self.residuals.index.isin(
                self.problem.agent_names)]),
            "checks": {"agents": _keyed(self.checks), "second_order": _keyed(
                None if self.second_order is None else self.second_order.drop(columns=["move"], errors="ignore")),
                "vi": _keyed(self.vi_checks), "kkt": _keyed(self.kkt_residuals),
                "best_response": _keyed(self.best_response)},
        }

    def _variables_dict(self) -> dict:
        """``variables`` of :meth:`to_dict`: each model variable's owner, role, value, bounds and marginal."""
        t = self._table[~self._lifted & (self._table["kind"] != "multiplier").to_numpy()]
        out = {}
        for kind, agent, name, value, lower, upper, F in zip(t["kind"], t["agent"], t["variable"], t["value"],
                                                              t["lower"], t["upper"], t["F"], strict=True):
            out[name] = {"owner": agent if isinstance(agent, str) else None, "role": _ROLES[kind],
                         "value": _json_number(float(value)), "lower": _bound(lower), "upper": _bound(upper),
                         "marginal": _json_number(float(F)) if kind in ("stationarity", "vi") else None}
        for agent, (var, _) in self.mcp.outputs["objective_vars"].items():
            out[var.name] = {"owner": agent, "role": "objective",
                             "value": _json_number(self.objective_variable_values[var]),
                             "lower": _bound(var.lb), "upper": _bound(var.ub), "marginal": None}
        return out

    def _multipliers_dict(self) -> dict:
        """``multipliers`` of :meth:`to_dict`: constraint -> side -> agent (or '(shared)') -> name, value, slack."""
        out: dict = {}
        for row in self.multipliers.itertuples():
            out.setdefault(row.constraint, {}).setdefault(row.side, {})[row.agent] = {
                "name": row.name, "value": _json_number(float(row.multiplier)),
                "slack": _json_number(float(row.slack))}
        return out

    def _agents_dict(self) -> dict:
        """``agents`` of :meth:`to_dict`: each agent's sense, objective value, variables and KKT residuals."""
        residuals = self.residuals.to_dict("index")
        objectives = self.objective_values.to_dict()
        owned: dict = {}
        for agent, name in zip(self.variables["agent"], self.variables["variable"], strict=True):
            owned.setdefault(agent, []).append(name)
        return {a.name: {"sense": a.sense, "objective": _json_number(float(objectives[a.name])),
                         "variables": owned.get(a.name, []),
                         "residuals": {k: _json_number(float(v)) for k, v in residuals[a.name].items()}}
                for a in self.problem.agents}

    def to_json(self, path) -> None:
        """Write :meth:`to_dict` to ``path`` (docs/output.md describes the file)."""
        with open(path, "w") as fh:
            json.dump(self.to_dict(), fh, indent=2)


def terminal_width(default: int = 120) -> int:
    """The width of the terminal that stdout writes to, or ``default`` when stdout is not a terminal."""
    if not getattr(sys.stdout, "isatty", lambda: False)():
        return default
    return shutil.get_terminal_size((default, 24)).columns


def fit_table(table: pd.DataFrame, width: int | None = None, max_rows: int = SUMMARY_ROWS,
              whole=WHOLE_TABLES) -> str:
    """``table`` as text at most ``width`` characters wide (default: the terminal's, 120 when not a terminal) and
    ``max_rows`` rows: the middle rows and columns that do not fit are replaced by ``...``, and a note says how
    much was left out and where to find it (``whole``)."""
    width = width or terminal_width()
    rows = max_rows if len(table) > max_rows else None

    def render(columns):
        return table.to_string(na_rep="", max_rows=rows, min_rows=rows, max_cols=columns)

    def fits(text):
        return max(map(len, text.splitlines()), default=0) <= width

    n_columns = len(table.columns)
    text = render(None)
    shown = n_columns
    if not fits(text):
        low, high = 1, n_columns - 1              # the most columns that fit, by bisection (at least one)
        while low < high:
            middle = (low + high + 1) // 2
            low, high = (middle, high) if fits(render(middle)) else (low, middle - 1)
        shown, text = low, render(low)
    if rows is None and shown == n_columns:
        return text
    cut = [f"{rows} of {len(table):,} rows"] if rows else []
    cut += [f"{shown} of {n_columns} columns"] if shown < n_columns else []
    return f"{text}\n[showing {' and '.join(cut)}; {whole}]"


def _json_number(value):
    """NaN (nothing measured) as null and an infinite gain (an unbounded agent) as the string "inf": valid JSON."""
    if isinstance(value, float) and not np.isfinite(value):
        return None if np.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def _pair_label(row) -> str:
    """A pair in the user's words: ``x[2] (agent 'p1')``, ``cons[1].m (shared)``."""
    owner = row["agent"] if isinstance(row["agent"], str) else None
    where = f"agent '{owner}'" if owner else {"multiplier": "shared", "vi": "vi pair",
                                               "definition": "definition"}.get(row["kind"], row["kind"])
    return f"{row['variable']} ({where})"


def _tried(steps: pd.DataFrame) -> dict:
    """What the solver tried, by kind of step (``relax eps=0.01`` and ``relax eps=0.0001`` are one kind)."""
    kinds: dict = {}
    for name in steps.get("step", []):
        kind = str(name).split(" eps=")[0].split(" (")[0].split(" from ")[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def _agent_verdict(name, second_order, certificates, skipped) -> dict:
    """One agent's row of ``solution.checks``: second order, convexity, global certificate, verdict, reason."""
    from sharedeq.verify import LOCAL_MIN, SADDLE

    so = second_order[name] if second_order is not None else None
    cert = certificates.get(name) if certificates is not None else None
    row = {"agent": name, "second_order": None if so is None else so["verdict"],
           "convexity": None if cert is None else cert.convexity.verdict,
           "certificate": None if cert is None else cert.verdict,
           "gain": float("nan") if cert is None else cert.gain, "method": None if cert is None else cert.method}
    if so is not None and so["verdict"] == SADDLE:
        return {**row, "verdict": NOT_BEST, "reason": f"negative curvature (eigenvalue {so['min_eigenvalue']:.3g}) "
                                                     f"along {so['direction']}: moving that way improves it"}
    if cert is not None and cert.verdict == "improvable":
        better = ", ".join(f"{k} = {v:.6g}" for k, v in list(cert.response.items())[:4])
        return {**row, "verdict": NOT_BEST, "reason": f"a feasible response is better by {cert.gain:.3g} "
                                                     f"({better}; {cert.method})"}
    if cert is not None and cert.verdict == "global":
        return {**row, "verdict": GLOBAL_BEST, "reason": cert.method}
    why = f"{cert.convexity.reason}; {cert.method} found nothing better" if cert is not None else \
        f"no global certificate: {skipped}"
    if so is not None and so["verdict"] == LOCAL_MIN:
        return {**row, "verdict": LOCAL_BEST, "reason": f"strict local minimum; {why}"}
    detail = "second-order conditions undecided" if so is None else so["verdict"]
    return {**row, "verdict": AGENT_UNDECIDED, "reason": f"{detail}; {why}"}


def _bound(value):
    """A variable bound in JSON: the number, or null for none (an infinite bound)."""
    return None if value is None or not np.isfinite(value) else float(value)


def _records(table: pd.DataFrame) -> list[dict]:
    return [{k: _json_value(v) for k, v in row.items()} for row in table.to_dict("records")]


def _keyed(table: pd.DataFrame | None) -> dict | None:
    """A table indexed by agent as ``{agent: {column: value}}`` (None stays None)."""
    if table is None:
        return None
    return {str(index): {k: _json_value(v) for k, v in row.items()} for index, row in table.to_dict("index").items()}


def _json_value(value):
    """A table cell as JSON: numpy scalars as Python numbers, non-finite floats per :func:`_json_number`."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return _json_number(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def _version() -> str:
    from sharedeq import __version__

    return __version__


_ROLES = {"stationarity": "agent", "vi": "vi", "definition": "implicit"}


# ---------------------------------------------------------------------- the JSON layout
#: The layout written by :meth:`Solution.to_dict` and ``sharedeq solve --json``; it changes only with this name.
SCHEMA_VERSION = "sharedeq.solution/1"


def _number(description):
    return {"type": ["number", "string", "null"], "description": description + " (null: not measured; "
            "\"inf\" or \"-inf\": infinite)"}


def _table_of(description, columns=None):
    """Agent (or group) -> row of a table; ``columns`` when they are fixed."""
    row = {"type": "object", "description": "one row: column -> value"}
    if columns:
        row.update(properties=columns, required=list(columns), additionalProperties=True)
    return {"type": ["object", "null"], "description": description, "additionalProperties": row}


_RESIDUALS = {"stationarity": _number("the agent's KKT stationarity residual (natural residual, max norm)"),
              "complementarity": _number("the largest min(|multiplier|, |slack|) of its inequalities"),
              "feasibility": _number("the largest violation of its constraints")}

#: A JSON-Schema description of the layout (types, required fields, a description of each); the tests validate
#: solutions of several models against it and check that docs/output.md documents every field.
SCHEMA = {
    "type": "object",
    "description": "a solution of an equilibrium problem or an MCP, written by Solution.to_dict / --json",
    "required": ["schema", "sharedeq_version", "problem", "status", "headline", "converged", "verified", "message",
                 "diagnosis", "mode", "shared_constraints", "weights", "backend", "tolerances", "residual",
                 "scaled_residual", "iterations", "timings", "steps", "variables", "auxiliaries", "multipliers",
                 "agents", "pair_residuals", "checks"],
    "additionalProperties": False,
    "properties": {
        "schema": {"enum": [SCHEMA_VERSION], "description": "the layout's name and version"},
        "sharedeq_version": {"type": "string", "description": "the sharedeq version that wrote the file"},
        "problem": {"type": "string", "description": "the problem's name ('MCP' for a plain MCP)"},
        "status": {"enum": STRENGTH, "description": "what was shown (docs/statuses.md)"},
        "headline": {"type": "string", "description": "the first line of the summary"},
        "converged": {"type": "boolean", "description": "the complementarity system holds to tolerance"},
        "verified": {"type": "boolean", "description": "every agent proven at a best response"},
        "message": {"type": "string", "description": "the residual test, or why the point was rejected"},
        "diagnosis": {"type": "array", "description": "why a solve failed, in the model's terms",
                      "items": {"type": "object", "required": ["kind", "message", "components"],
                                "properties": {"kind": {"type": "string", "description": "the kind of finding"},
                                               "message": {"type": "string", "description": "the finding"},
                                               "components": {"type": "array", "items": {"type": "string"},
                                                              "description": "the model's names involved"}}}},
        "mode": {"enum": ["ve", "gne", "mixed", None],
                 "description": "how the shared constraints were solved: ve (one common multiplier), gne (one per "
                                "agent), mixed (as declared, some of each); null for a plain MCP"},
        "shared_constraints": {"type": "object", "description": "each shared constraint: its agents and mode",
                               "additionalProperties": {
                                   "type": "object", "required": ["agents", "mode"],
                                   "properties": {"agents": {"type": "array", "items": {"type": "string"},
                                                             "description": "the agents sharing it"},
                                                  "mode": {"enum": ["ve", "gne"],
                                                           "description": "its mode in this solve"}}}},
        "weights": {"type": ["object", "null"], "additionalProperties": {"type": "number"},
                    "description": "Rosen weights by agent (1 when none were given); null when nothing is ve"},
        "backend": {"type": "string", "description": "the NLP solver route (casadi or pyomo)"},
        "tolerances": {"type": "object", "required": ["residual", "scaled_residual"],
                       "description": "the acceptance test",
                       "properties": {"residual": {"type": "number", "description": "MCP residual tolerance"},
                                      "scaled_residual": {"type": "number",
                                                          "description": "scaled residual tolerance"}}},
        "residual": _number("the MCP's natural residual, max norm"),
        "scaled_residual": _number("the residual in the units of F"),
        "iterations": {"type": "integer",
                       "description": "iterations of the interior-point method and Ipopt, all steps"},
        "timings": {"type": "object", "additionalProperties": {"type": "number"},
                    "description": "seconds by stage: kkt, reformulate, solve, verify"},
        "steps": {"type": "array", "description": "what the solver did, one entry per step",
                  "items": {"type": "object", "required": ["step", "ipopt_status", "iterations", "residual",
                                                           "seconds"],
                            "properties": {"step": {"type": "string", "description": "the step"},
                                           "ipopt_status": {"type": "string", "description": "its outcome"},
                                           "iterations": {"type": "integer",
                                                          "description": "iterations (interior point or Ipopt)"},
                                           "residual": _number("MCP residual after it"),
                                           "seconds": {"type": "number", "description": "its time"}}}},
        "variables": {
            "type": "object", "description": "the model's variables by name",
            "additionalProperties": {
                "type": "object", "required": ["owner", "role", "value", "lower", "upper", "marginal"],
                "additionalProperties": False,
                "properties": {
                    "owner": {"type": ["string", "null"], "description": "the agent that controls it"},
                    "role": {"enum": ["agent", "vi", "implicit", "objective"],
                             "description": "an agent's decision, a vi pair's variable, an implicit variable, or "
                                            "an objective variable"},
                    "value": _number("its value"),
                    "lower": {"type": ["number", "null"], "description": "lower bound (null: none)"},
                    "upper": {"type": ["number", "null"], "description": "upper bound (null: none)"},
                    "marginal": _number("dL/dx for an agent's variable, F for a vi pair's; null otherwise")}}},
        "auxiliaries": {
            "type": "object", "description": "the aggregates sharedeq introduced (total, cons[1].body)",
            "additionalProperties": {
                "type": "object", "required": ["definition", "value", "residual"],
                "properties": {"definition": {"type": "string", "description": "the equation it stands for"},
                               "value": _number("its value"),
                               "residual": _number("|y - h(z)| of its definition")}}},
        "multipliers": {
            "type": "object", "description": "constraint -> side (<=, >=, ==) -> agent or (shared) -> multiplier",
            "additionalProperties": {"type": "object", "additionalProperties": {
                "type": "object", "additionalProperties": {
                    "type": "object", "required": ["name", "value", "slack"],
                    "properties": {"name": {"type": "string", "description": "the multiplier's name in the MCP"},
                                   "value": _number("the multiplier (>= 0 for an inequality)"),
                                   "slack": _number("the constraint's slack (its value for an equality)")}}}}},
        "agents": {
            "type": "object", "description": "each agent",
            "additionalProperties": {
                "type": "object", "required": ["sense", "objective", "variables", "residuals"],
                "properties": {"sense": {"enum": ["min", "max"], "description": "minimises or maximises"},
                               "objective": _number("its objective at the solution, in its own sense"),
                               "variables": {"type": "array", "items": {"type": "string"},
                                             "description": "the variables it controls"},
                               "residuals": {"type": "object", "properties": _RESIDUALS,
                                             "required": list(_RESIDUALS),
                                             "description": "its KKT residuals"}}}},
        "pair_residuals": _table_of("residuals of the pairs of no single agent: (shared), (vi), (definition)",
                                    _RESIDUALS),
        "checks": {
            "type": "object", "required": ["agents", "second_order", "vi", "kkt", "best_response"],
            "description": "the checks that were run (null: not run)",
            "properties": {
                "agents": _table_of("each agent's verdict (Solution.checks)", {
                    "second_order": {"type": ["string", "null"], "description": "second-order verdict"},
                    "convexity": {"type": ["string", "null"], "description": "convexity verdict"},
                    "certificate": {"type": ["string", "null"], "description": "global certificate verdict"},
                    "gain": _number("how much a better response gains"),
                    "method": {"type": ["string", "null"], "description": "how it was certified"},
                    "verdict": {"type": "string", "description": "best response (proven), ..."},
                    "reason": {"type": "string", "description": "why"}}),
                "second_order": _table_of("second-order conditions on each agent's critical cone", {
                    "verdict": {"type": "string", "description": "local min, degenerate, saddle, undecided"},
                    "min_eigenvalue": _number("smallest curvature on the critical cone")}),
                "vi": _table_of("each VI with constraints: is its set convex (Solution.vi_checks)", {
                    "convexity": {"type": "string", "description": "convexity verdict of its set"},
                    "verdict": {"type": "string", "description": "VI solution or only a KKT point"},
                    "reason": {"type": "string", "description": "why"}}),
                "kkt": _table_of("KKT residuals re-derived with Pyomo (kkt_check; --check)", _RESIDUALS),
                "best_response": _table_of("each agent re-solved alone (best_response_check; --check)", {
                    "gain": _number("how much it could improve alone")})}},
    },
}
