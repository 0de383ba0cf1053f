"""The answer, per agent, in the user's names: values, multipliers, objectives, residuals, what happened.

Multiplier convention (the one place it is stated): every agent minimises (a ``max`` agent is negated), every
constraint is normalised to ``g(x) <= 0`` (a ``>=`` constraint ``body >= lb`` as ``lb - body <= 0``) or
``h(x) = 0``, and the Lagrangian is ``f + lam' g + mu' h``. So the multiplier of an active inequality is
nonnegative whatever its direction, and an equality's multiplier is the derivative of the Lagrangian with
respect to ``body - rhs``. A ranged constraint reports its two sides separately (``cons.m_lo``, ``cons.m_up``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property

import casadi as ca
import numpy as np
import pandas as pd
from pyomo.common.collections import ComponentMap

from sharedeq.errors import ModelError


@dataclass
class Solution:
    """The result of :func:`sharedeq.solve`; tables are pandas DataFrames, names are the model's names."""

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
    second_order: pd.DataFrame | None = field(default=None, repr=False)
    _loaded: bool = field(default=False, repr=False)

    @classmethod
    def build(cls, problem, mcp, z, steps, timings, mode, weights, tol, backend) -> Solution:
        F = mcp.evaluate(z)
        r = z - np.clip(z - F, mcp.lb, mcp.ub)
        residual = float(np.max(np.abs(r))) if r.size else 0.0
        steps = pd.DataFrame(steps)
        converged = residual <= tol
        if converged:
            status, message = "converged", f"equilibrium found: MCP residual {residual:.2e} <= tol {tol:g}"
        else:
            tried = "; ".join(f"{s.step}: {s.ipopt_status}, residual {s.residual:.2e}" for s in steps.itertuples())
            status = "not converged"
            message = (f"no equilibrium to tol {tol:g}: best MCP residual {residual:.2e} "
                       f"(worst pair: {mcp.pairs['variable'].iloc[int(np.argmax(np.abs(r)))]}). Tried: {tried}")
        timings = {**timings, "iterations": int(steps["iterations"].sum()) if len(steps) else 0}
        sol = cls(problem, mcp, np.asarray(z), F, converged, status, message, residual, steps, timings, mode,
                  weights, backend, tol)
        if converged:
            sol.load()
        return sol

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
        """The value of a Pyomo variable (an agent's, a vi pair's, an implicit or objective variable)."""
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
        pairs["residual"] = np.abs(self.z - np.clip(self.z - self.F, self.mcp.lb, self.mcp.ub))
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

    # ------------------------------------------------------------------ second order
    def check_second_order(self, tol=1e-6) -> pd.DataFrame:
        """Each agent's curvature (:func:`sharedeq.verify.second_order_check`), kept for :meth:`summary`."""
        from sharedeq.verify import second_order_check

        self.second_order = second_order_check(self.problem, self, tol)
        return self.second_order

    @property
    def not_best_responses(self) -> list[str]:
        """Agents at a saddle or maximum of their own problem (negative curvature); empty until checked."""
        from sharedeq.verify import SADDLE

        if self.second_order is None:
            return []
        return [str(a) for a in self.second_order.index[self.second_order["verdict"] == SADDLE]]

    # ------------------------------------------------------------------ reporting
    def summary(self) -> str:
        """A readable report; the first line says whether this is an equilibrium.

        A converged solve whose second-order check (:meth:`check_second_order`) found an agent with negative
        curvature is a KKT point, not an equilibrium, and the first line says so.
        """
        bad = self.not_best_responses if self.converged else []
        head = "NOT CONVERGED: this is not a verified equilibrium" if not self.converged else \
            "KKT POINT, NOT AN EQUILIBRIUM" if bad else "EQUILIBRIUM FOUND"
        mode = self.mode or "as declared"
        message = self.message if not bad else \
            f"KKT point: MCP residual {self.residual:.2e} <= tol {self.tol:g}, but the second-order check fails"
        lines = [f"{head}: {self.problem.name} (mode {mode}, backend {self.backend})", f"  {message}"]
        for name in bad[:5]:
            low = self.second_order.at[name, "min_eigenvalue"]
            lines.append(f"  agent '{name}' has negative curvature (smallest reduced-Hessian eigenvalue {low:.3g}): "
                         f"a saddle or maximum of its own problem, not a best response")
        if len(bad) > 5:
            lines.append(f"  ... and {len(bad) - 5} more agents with negative curvature")
        lines += [f"  {self.mcp.summary()}; {self.iterations} Ipopt iterations; "
                  f"KKT {self.timings['kkt']:.3f} s, solve {self.timings['solve']:.3f} s", ""]
        agents = pd.concat([self.objective_values, self.residuals], axis=1)
        sections = [("Agents (objective and KKT residuals)", agents), ("Variables", self.variables),
                    ("Multipliers", self.multipliers)]
        if self.second_order is not None:
            sections.append(("Second-order check (each agent's Lagrangian on its active constraints)",
                             self.second_order))
        if not self.converged:
            sections.insert(0, ("What was tried", self.steps))
        with pd.option_context("display.width", 120, "display.max_rows", 60, "display.float_format",
                               "{:.6g}".format):
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
        return {
            "problem": self.problem.name, "status": self.status, "converged": self.converged,
            "message": self.message, "mode": self.mode, "residual": self.residual,
            "variables": values, "multipliers": mult,
            "objectives": {a: float(v) for a, v in self.objective_values.items()},
            "residuals": {a: {k: float(v) for k, v in row.items()} for a, row in self.residuals.iterrows()},
            "iterations": self.iterations,
            "second_order": None if self.second_order is None else dict(self.second_order["verdict"]),
            "timings": {k: float(v) for k, v in self.timings.items()},
        }

    def to_json(self, path) -> None:
        with open(path, "w") as fh:
            json.dump(self.to_dict(), fh, indent=2)
