"""Checks of a solution that do not trust the pipeline that produced it.

* :func:`kkt_check` re-derives each agent's KKT conditions from the Pyomo model itself, with Pyomo's own
  reverse-mode differentiation (not casadi, no lifted aggregates), and evaluates them at the solution with the
  reported multipliers.
* :func:`best_response_check` fixes the other agents at the solution and re-solves each agent's own problem
  with Ipopt from several starting points; the gain ``f_i(x*) - min f_i(., x*_{-i})`` must be about zero.
  For convex agents this certifies a Nash equilibrium; for nonconvex ones it is evidence, not proof.
"""

from __future__ import annotations

import casadi as ca
import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.core.base.objective import ObjectiveData
from pyomo.core.base.var import VarData
from pyomo.core.expr.calculus.derivatives import Modes, differentiate

from sharedeq.errors import ModelError
from sharedeq.translate import Translator


def _grad(expr, wrt) -> np.ndarray:
    if not hasattr(expr, "is_expression_type") and not isinstance(expr, VarData):
        return np.zeros(len(wrt))
    return np.array([float(g) for g in differentiate(expr, wrt_list=wrt, mode=Modes.reverse_numeric)])


def _implicit_chain(problem, own):
    """For implicit variables y defined by c(y, x) = 0: ``dy/dx_own = -(dc/dx_own) / (dc/dy)``."""
    chain = {}
    for var, con in problem.implicit:
        g = _grad(con.body, [var, *own])
        chain[id(var)] = (var, -g[1:] / g[0])
    return chain


def _total_grad(expr, own, chain) -> np.ndarray:
    if not chain:
        return _grad(expr, own)
    ys = [var for var, _ in chain.values()]
    g = _grad(expr, [*own, *ys])
    out = g[: len(own)].copy()
    for j, (_, dy) in enumerate(chain.values()):
        out += g[len(own) + j] * dy
    return out


def _objective_gradient(agent, own, chain):
    obj = agent.objective
    if isinstance(obj, VarData):
        objdef = next(c for c in agent.constraints if c.equality and any(
            v is obj for v in pyo.expr.identify_variables(c.body)))
        g = _grad(objdef.body, [obj, *own])
        return -g[1:] / g[0], objdef
    expr = obj.expr if isinstance(obj, ObjectiveData) else obj
    return _total_grad(expr, own, chain), None


def kkt_check(problem, solution) -> pd.DataFrame:
    """Each agent's KKT residuals (stationarity, complementarity, feasibility), re-derived with Pyomo."""
    solution.load()
    table = solution.multipliers
    weights = problem.rosen_weights(solution.weights)
    variational = problem.treatment(solution.mode)
    dual_vars = {id(con): var for var, con in problem.dualvars}
    rows = []
    for agent in problem.agents:
        own = [v for v in agent.variables if not v.fixed and v is not agent.objective]
        chain = _implicit_chain(problem, own)
        grad, objdef = _objective_gradient(agent, own, chain)
        stat = (-grad if agent.sense == "max" else grad).copy()
        comp = feas = 0.0
        constraints = [(c, agent.name, 1.0) for c in agent.constraints if c is not objdef]
        for s in problem.shared_of(agent.name):
            shared_v = variational[id(s.constraint)]
            constraints.append((s.constraint, "(shared)" if shared_v else agent.name,
                                1.0 / weights[agent.name] if shared_v else 1.0))
        for con, owner, scale in constraints:
            body = pyo.value(con.body)
            g = _total_grad(con.body, own, chain)
            for side, mult in _multipliers(table, con, owner, dual_vars):
                coef = -1.0 if side == ">=" else 1.0
                stat += coef * scale * mult * g
                if side in ("<=", ">="):
                    slack = body - con.lb if side == ">=" else con.ub - body
                    comp = max(comp, min(abs(mult), abs(slack)), max(-mult, 0.0))
                    feas = max(feas, -slack)
                else:
                    feas = max(feas, abs(body - con.ub))
        x = np.array([v.value for v in own])
        lo = np.array([-np.inf if v.lb is None else v.lb for v in own])
        hi = np.array([np.inf if v.ub is None else v.ub for v in own])
        natural = np.abs(x - np.clip(x - stat, lo, hi))
        rows.append({"agent": agent.name, "stationarity": float(natural.max(initial=0.0)),
                     "complementarity": comp, "feasibility": max(feas, 0.0)})
    return pd.DataFrame(rows).set_index("agent")


def _multipliers(table, con, owner, dual_vars):
    if id(con) in dual_vars:
        var = dual_vars[id(con)]
        side = "==" if con.equality else ("<=" if con.ub is not None else ">=")
        return [(side, float(var.value))]
    rows = table[(table["constraint"] == con.name) & (table["agent"] == owner)]
    if rows.empty:
        raise ModelError(f"the solution has no multiplier for {con.name} of agent '{owner}'")
    return [(r.side, float(r.multiplier)) for r in rows.itertuples()]


def best_response_check(problem, solution, agents=None, starts=3, seed=0, options=None) -> pd.DataFrame:
    """Re-solve each agent's problem with the others fixed at ``solution``; report the possible gain.

    Columns: objective at the solution, best objective found, gain (improvement in the agent's own sense,
    ~0 at an equilibrium), the Ipopt status of the best start. ``agents`` limits the check to some agents.
    """
    solution.load()
    rng = np.random.default_rng(seed)
    rows = []
    names = problem.agent_names if agents is None else [str(a) for a in agents]
    for name in names:
        agent = problem.agent(name)
        rows.append(_best_response(problem, solution, agent, starts, rng, options or {}))
    return pd.DataFrame(rows).set_index("agent")


def _best_response(problem, solution, agent, starts, rng, options):
    own = [v for v in agent.variables if not v.fixed]
    if isinstance(agent.objective, VarData) and not any(v is agent.objective for v in own):
        own.append(agent.objective)
    own += [var for var, _ in problem.implicit if not var.fixed]
    syms = {id(v): ca.SX.sym(f"x{k}") for k, v in enumerate(own)}

    def variable(var):
        if id(var) in syms:
            return syms[id(var)]
        if var.value is None:
            raise ModelError(f"{var.name} has no value; best_response_check needs a solved model")
        return float(var.value)

    translate = Translator(variable, lambda expr, body: body)
    obj = agent.objective
    f = translate(obj.expr if isinstance(obj, ObjectiveData) else obj)
    sign = -1.0 if agent.sense == "max" else 1.0
    cons = list(agent.constraints) + [s.constraint for s in problem.shared_of(agent.name)]
    cons += [con for _, con in problem.implicit]
    g = [translate(c.body) for c in cons]
    lbg = [-np.inf if c.lb is None else c.lb for c in cons]
    ubg = [np.inf if c.ub is None else c.ub for c in cons]
    x = ca.vertcat(*(syms[id(v)] for v in own))
    nlp = {"x": x, "f": sign * ca.SX(f), "g": ca.vertcat(*(ca.SX(e) for e in g)) if g else ca.SX(0, 1)}
    ipopt = {"print_level": 0, "sb": "yes", "tol": 1e-12, "constr_viol_tol": 1e-12, "bound_relax_factor": 0.0,
             "max_iter": 1000, **options}
    solver = ca.nlpsol("best_response", "ipopt", nlp, {"ipopt": ipopt, "print_time": False,
                                                       "error_on_fail": False})
    lbx = np.array([-np.inf if v.lb is None else v.lb for v in own])
    ubx = np.array([np.inf if v.ub is None else v.ub for v in own])
    x_star = np.array([float(v.value) for v in own])
    f_star = float(ca.Function("f", [x], [ca.SX(f)])(x_star))
    best, status = f_star * sign, "equilibrium point"
    for start in _starts(x_star, lbx, ubx, starts, rng):
        out = solver(x0=start, lbx=lbx, ubx=ubx, lbg=lbg, ubg=ubg)
        stats = solver.stats()
        if stats["success"] and float(out["f"]) < best:
            best, status = float(out["f"]), stats["return_status"]
    return {"agent": agent.name, "objective": f_star, "best_response": sign * best,
            "gain": f_star * sign - best, "status": status}


def _starts(x_star, lbx, ubx, count, rng):
    """The solution itself, then points spread over the bounds (or around the solution where unbounded)."""
    yield x_star
    scale = np.maximum(1.0, np.abs(x_star))
    for _ in range(max(count - 1, 0)):
        lo = np.where(np.isfinite(lbx), lbx, x_star - scale)
        hi = np.where(np.isfinite(ubx), ubx, x_star + scale)
        yield lo + rng.uniform(0.05, 0.95, size=x_star.size) * (hi - lo)
