"""The GAMS EMP manual's shared-constraint example ``sharedc`` (Kim & Ferris), with two concrete instances.

Source
------
GAMS documentation, EMP chapter "Equilibrium Problems with Shared Constraints" (UG_EMP_SharedConstraints), whose
examples are taken from Y. Kim, M.C. Ferris, "Solving equilibrium problems using extended mathematical
programming", Math. Programming Computation 11 (2019) 457-501 (arXiv:1806.02255, 2017/2018). The manual states the
problem only abstractly: agent ``i`` solves ``min_x(i) f_i(x)  s.t.  g_i(x) <= 0,  h(x) <= 0`` with ``h``
shared, in GAMS as::

    variables obj(i), x(i);
    equations deff(i), defg(i), defh;
    model sharedc / deff, defg, defh /;
    * annotations: 'min', obj(i), x(i), deff(i), defg(i), defh   per agent   [+ 'visol defh' for the VE]

Honesty note: the manual gives **no functions or data** for ``f_i``, ``g_i``, ``h`` and no public GAMS file with
them was found. This module keeps the manual's structure and names exactly (``obj``, ``x``, ``deff``, ``defg``,
``defh``; ``visol`` = ``variational=True``) and fills it with two publicly documented instances:

``instance="harker"`` (default) -- P.T. Harker, "Generalized Nash games and quasi-variational inequalities",
    European J. Oper. Res. 54 (1991) 81-94; also the first example of Facchinei & Kanzow, 4OR 5 (2007) 173-210,
    and (as the lower level of) MacMPEC ``nash1`` (Facchinei, Jiang & Qi 1996, problem 9; Pyomo
    ``examples/mpec/macmpec/nash1.py``, which confirms the coefficients)::

        f_1 = x1^2 + 8/3 x1 x2 - 34 x1,        f_2 = x2^2 + 5/4 x1 x2 - 24.25 x2,
        defg(i): x(i) <= 10  (and x(i) >= 0 as a bound),      defh: x1 + x2 <= 15.

``instance="coal"`` -- the coal market with a shared coal-yard limit from S.A. Gabriel et al., "Complementarity
    Modeling in Energy Markets", Springer 2013, Sec. 3.4.3, as used by the GAMS test-library model ``emp25`` (Kim &
    Dirkse 2016, "small equilibrium model with shared constraints": ``defobj(i)``, ``defyardlimit``). 3 firms
    ``i``, 2 technologies ``b``; firm i controls x(i,b)::

        f_i = sum_b C(i,b) x(i,b) - (alpha - beta sum_{i',b'} x(i',b')) sum_b x(i,b)
        C = [[0.55, 0.81], [0.62, 1.25], [0.78, 1.35]],  K = [[21000, 16000], [17000, 22000], [18000, 14000]]
        alpha = 2.5,  beta = 0.0000166666667,  defg(i,b): x(i,b) <= K(i,b),  defh: sum x <= L = 60000
    Data provenance: C, K, alpha, beta from the EMP ports of Gabriel et al.'s examples (GitHub
    ``boxblox/energy_markets_gams_emp``, files ``3_4_3_*.gms``); L = 60000 and the names from a public rendering of
    the GAMS test-library file ``emp25.gms``. (emp25 itself states capacities as variable bounds.)

Reference answers (computed here, ``tests/reference_solutions.py``)
-------------------------------------------------------------------
harker: VE (``visol``, one multiplier) x = (5, 9), lam = 0 -- the shared constraint is slack (x1 + x2 = 14).
    GNE set (own multipliers): {(5, 9)} U {(t, 15 - t) : 9 <= t <= 10} -- a continuum; on the segment
    lam_1 = 2t/3 - 6, lam_2 = 0.75 t - 5.75 (>= 0 exactly for t >= 9). Published: Harker (1991) and FK (2007)
    give the same sets. Rosen weights (agent i's multiplier lam / r_i): (5, 9) with lam = 0 is a weighted VE for
    *every* r, and a segment point (t, 15 - t), 9 < t < 10, is a second one when r_1/r_2 = (0.75t - 5.75)/(2t/3 - 6)
    (e.g. r = (4.125, 1) and (9.5, 5.5), lam = 1.375) -- weighted VEs need not be unique (weighted F not monotone).
coal: VE x = [[21000, 4000], [17000, 0], [18000, 0]], S = 60000 (yard limit binds), price 1.5,
    lam = 0.27333333 (= -(0.81 - 2.5 + beta*(60000 + 25000)) from firm i1's interior b2; 41/150 if beta=1/60000),
    firm objectives (-22710.0, -14960.0, -12960.0). Two independent computations agree: the MCP, and the
    minimiser of the potential sum C x - alpha S + beta/2 (S^2 + sum_i v_i^2) (linear demand => potential game)
    with Ipopt. Without the yard limit the Cournot-Nash outcome is x = [[21000, 12200], [17000, 0], [18000, 0]],
    S = 68200, so the limit binds. No published numbers for this exact instance were found (Gabriel et al.'s
    Table 3.4 concerns the *allocation* variants 3.4.3.1-3, not this joint limit).
    GNE set: a continuum, e.g. x(i2,b1) = 16000, x(i1,b2) = 5000 (rest as above) is a GNE with own multipliers
    lam = (0.25667, 0.61333, any value in [0, 0.42]) -- the VE is the one with equal multipliers.
"""

from __future__ import annotations

import pyomo.environ as pyo

import sharedeq as sq

COAL_C = {("i1", "b1"): 0.55, ("i1", "b2"): 0.81, ("i2", "b1"): 0.62, ("i2", "b2"): 1.25, ("i3", "b1"): 0.78,
          ("i3", "b2"): 1.35}
COAL_K = {("i1", "b1"): 21000.0, ("i1", "b2"): 16000.0, ("i2", "b1"): 17000.0, ("i2", "b2"): 22000.0,
          ("i3", "b1"): 18000.0, ("i3", "b2"): 14000.0}

REFERENCE = {
    "harker": {"x": {1: 5.0, 2: 9.0}, "lam": 0.0},
    "coal": {"x": {("i1", "b1"): 21000.0, ("i1", "b2"): 4000.0, ("i2", "b1"): 17000.0, ("i2", "b2"): 0.0,
                   ("i3", "b1"): 18000.0, ("i3", "b2"): 0.0}, "lam": 0.2733333305},
}


def _harker(m):
    m.i = pyo.Set(initialize=[1, 2])
    m.obj = pyo.Var(m.i)
    m.x = pyo.Var(m.i, within=pyo.NonNegativeReals, initialize=1.0)
    f = {1: m.x[1] ** 2 + 8 / 3 * m.x[1] * m.x[2] - 34 * m.x[1],
         2: m.x[2] ** 2 + 5 / 4 * m.x[1] * m.x[2] - 24.25 * m.x[2]}
    m.deff = pyo.Constraint(m.i, rule=lambda m, i: m.obj[i] == f[i])
    m.defg = pyo.Constraint(m.i, rule=lambda m, i: m.x[i] <= 10)
    m.defh = pyo.Constraint(expr=m.x[1] + m.x[2] <= 15)
    return {i: ([m.x[i]], [m.deff[i], m.defg[i]]) for i in m.i}


def _coal(m, L):
    m.i = pyo.Set(initialize=["i1", "i2", "i3"])
    m.b = pyo.Set(initialize=["b1", "b2"])
    m.C = pyo.Param(m.i, m.b, initialize=COAL_C)
    m.K = pyo.Param(m.i, m.b, initialize=COAL_K)
    m.alpha = pyo.Param(initialize=2.5)
    m.beta = pyo.Param(initialize=0.0000166666667)
    m.L = pyo.Param(initialize=float(L), mutable=True)
    m.obj = pyo.Var(m.i)
    m.x = pyo.Var(m.i, m.b, within=pyo.NonNegativeReals, initialize=5000.0)
    m.S = pyo.Expression(expr=sum(m.x[i, b] for i in m.i for b in m.b))
    m.deff = pyo.Constraint(m.i, rule=lambda m, i: m.obj[i] == sum(
        m.C[i, b] * m.x[i, b] - (m.alpha - m.beta * m.S) * m.x[i, b] for b in m.b))
    m.defg = pyo.Constraint(m.i, m.b, rule=lambda m, i, b: m.x[i, b] <= m.K[i, b])
    m.defh = pyo.Constraint(expr=m.S <= m.L)
    return {i: ([m.x[i, b] for b in m.b], [m.deff[i]] + [m.defg[i, b] for b in m.b]) for i in m.i}


def build_problem(instance="harker", visol=False, L=60000.0, **kwargs) -> sq.EquilibriumProblem:
    """``sharedc`` with ``instance`` "harker" or "coal"; ``visol=True`` is the manual's ``visol defh``."""
    m = pyo.ConcreteModel(name="sharedc")
    if instance == "harker":
        agents = _harker(m)
    elif instance == "coal":
        agents = _coal(m, L)
    else:
        raise ValueError("instance must be 'harker' or 'coal'")
    p = sq.EquilibriumProblem(m, name=f"sharedc ({instance})")
    for i, (variables, constraints) in agents.items():
        p.add_agent(str(i), m.obj[i], variables, constraints=constraints, sense="min")
    p.add_shared(m.defh, variational=visol)
    return p


if __name__ == "__main__":
    for instance in ("harker", "coal"):
        prob = build_problem(instance)
        m = prob.model
        for mode in ("ve", "gne"):
            sol = prob.solve(mode=mode)
            x = {k: round(sol.value(m.x[k]), 6) for k in m.x}
            print(f"{instance} mode={mode}: converged={sol.converged} x={x}")
            if mode == "ve":
                print(f"    multiplier(defh)={sol.multiplier(m.defh):.8f}; reference {REFERENCE[instance]}")
        print(sq.best_response_check(prob, sol))
