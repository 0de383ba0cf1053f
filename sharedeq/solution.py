"""The answer, per agent, in the user's names: values, multipliers, objectives, residuals, what happened.

Multiplier convention (the one place it is stated): every agent minimises (a ``max`` agent is negated), every
constraint is normalised to ``g(x) <= 0`` (a ``>=`` constraint ``body >= lb`` as ``lb - body <= 0``) or
``h(x) = 0``, and the Lagrangian is ``f + lam' g + mu' h``. So the multiplier of an active inequality is
nonnegative whatever its direction, and an equality's multiplier is the derivative of the Lagrangian with
respect to ``body - rhs``. A ranged constraint reports its two sides separately (``cons.m_lo``, ``cons.m_up``).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from functools import cached_property

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
    second_order: pd.DataFrame | None = field(default=None, repr=False)
    certificates: dict | None = field(default=None, repr=False)
    checks: pd.DataFrame | None = field(default=None, repr=False)
    diagnosis: list = field(default_factory=list, repr=False)   # sharedeq.diagnose.Finding, when not converged
    skipped_certificates: int = field(default=0, repr=False)    # agents left without a certificate (cost cap)
    _loaded: bool = field(default=False, repr=False)

    @classmethod
    def build(cls, problem, mcp, z, steps, timings, mode, weights, tol, backend, scaled=(0.0, -1, 1.0),
              scaled_tol=SCALED_TOL) -> Solution:
        """Judge the point ``z``: converged when the natural residual ``r = z - mid(lb, ub, z - F(z))`` is at most
        ``tol`` and so is its scaled form ``max_k |r_k| max(1, |dF/dz_k|_inf)`` (at most ``scaled_tol``).

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
                  weights, backend, tol, scaled_residual)
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

    @property
    def iterations(self) -> int:
        return self.timings["iterations"]

    # ------------------------------------------------------------------ values
    def load(self) -> None:
        """Write the solution into the Pyomo model's variables (done automatically when converged)."""
        for k, var in enumerate(self.mcp.pyomo_vars):
            if var is not None:
                var.set_value(float(self.z[k]), skip_validation=True)
        for var, value in self.objective_variable_values.items():
            var.set_value(value, skip_validation=True)
        self._loaded = True

    @cached_property
    def _column_of(self) -> dict[int, int]:
        return {id(v): k for k, v in enumerate(self.mcp.pyomo_vars) if v is not None}

    def value(self, var) -> float:
        """The value of a Pyomo variable (an agent's, a vi pair's, an implicit or objective variable).

        On a solve that did not converge this warns (:class:`NotConvergedWarning`): the number is the best point
        found, not an equilibrium.
        """
        if not self.converged:
            warnings.warn(f"{var.name}: this solve did not converge ({self.message}); the value is from the best "
                          f"point found, not from an equilibrium", NotConvergedWarning, stacklevel=2)
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
        """Primal values: agent, variable, value, bounds, and the marginal (dL/dx for an agent's variable)."""
        t = self._table
        t = t[t["kind"].isin(["stationarity", "vi", "definition"])]
        out = pd.DataFrame({"agent": t["agent"].fillna("(" + t["kind"] + ")"), "variable": t["variable"],
                            "value": t["value"], "lower": t["lower"], "upper": t["upper"], "marginal": t["F"]})
        return out.reset_index(drop=True)

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
        """The first line of :meth:`summary`: the status in capitals, the problem, mode and backend."""
        name = "MCP" if self.problem is None else self.problem.name
        return f"{HEADLINES[self.status]}: {name} (mode {self.mode or 'as declared'}, backend {self.backend})"

    def explanation(self) -> list[str]:
        """The lines under the headline: what was shown, agent by agent where it matters, and what to do."""
        lines = [self.message] + [f"diagnosis: {finding.message}" for finding in self.diagnosis]
        if self.status == NOT_CONVERGED:
            tried = ", ".join(f"{n} x{c}" if c > 1 else n for n, c in _tried(self.steps).items())
            lines.append(f"tried: {tried} (table 'What was tried' below; solution.steps)")
        elif self.status == NOT_VERIFIED:
            lines.append("the agents' second-order and best-response checks were skipped for size; call "
                         "solution.verify() to run them")
        elif self.checks is not None:
            shown = self.checks[self.checks["verdict"] != GLOBAL_BEST]
            for name, row in shown.head(5).iterrows():
                lines.append(f"agent '{name}': {row['verdict']}: {row['reason']}")
            if len(shown) > 5:
                lines.append(f"... and {len(shown) - 5} more agents (solution.checks)")
        return lines

    def summary(self) -> str:
        """A readable report; the first line says what this point is (see docs/statuses.md)."""
        lines = [self.headline] + [f"  {line}" for line in self.explanation()]
        lines += [f"  {self.mcp.summary()}; {self.iterations} Ipopt iterations; "
                  f"KKT {self.timings.get('kkt', 0.0):.3f} s, solve {self.timings.get('solve', 0.0):.3f} s", ""]
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
        with pd.option_context("display.width", 120, "display.max_rows", 60, "display.max_colwidth", 60,
                               "display.float_format", "{:.6g}".format):
            for title, table in sections:
                if len(table):
                    lines += [title, table.to_string(na_rep=""), ""]
        return "\n".join(lines).rstrip()

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict:
        """Status, values keyed by the user's names, multipliers keyed by agent and constraint, residuals."""
        mult: dict = {}
        for row in self.multipliers.itertuples():
            key = row.name if row.side not in ("<=", ">=", "==") or row.name.endswith(("_lo", "_up")) \
                else row.constraint
            mult.setdefault(row.agent, {})[key] = float(row.multiplier)
        values = {row.variable: float(row.value) for row in self.variables.itertuples()}
        values.update({var.name: v for var, v in self.objective_variable_values.items()})
        plain = self.problem is None
        checks = None if self.checks is None else {
            a: {k: _json_number(v) for k, v in row.items()} for a, row in self.checks.astype(object).iterrows()}
        return {
            "problem": "MCP" if plain else self.problem.name, "status": self.status, "headline": self.headline,
            "converged": self.converged, "verified": self.verified, "message": self.message,
            "diagnosis": [{"kind": f.kind, "message": f.message, "components": list(f.components)}
                          for f in self.diagnosis], "mode": self.mode, "residual": _json_number(self.residual),
            "scaled_residual": _json_number(self.scaled_residual), "variables": values, "multipliers": mult,
            "objectives": {} if plain else {a: float(v) for a, v in self.objective_values.items()},
            "residuals": {} if plain else {a: {k: float(v) for k, v in row.items()}
                                          for a, row in self.residuals.iterrows()},
            "iterations": self.iterations,
            "second_order": None if self.second_order is None else dict(self.second_order["verdict"]),
            "checks": checks,
            "timings": {k: float(v) for k, v in self.timings.items()},
        }

    def to_json(self, path) -> None:
        with open(path, "w") as fh:
            json.dump(self.to_dict(), fh, indent=2)


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
