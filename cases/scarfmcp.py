"""Scarf's activity analysis example -- GAMS model library SCARFMCP (SEQ=132).

Source
------
GAMS Model Library, model SCARFMCP, "Scarf's Activity Analysis Example" (SEQ=132),
https://www.gams.com/latest/gamslib_ml/libhtml/gamslib_scarfmcp.html; from H. Scarf, T. Hansen, "The Computation
of Economic Equilibria", Yale University Press, 1973. Data provenance: the complete GAMS source (sets, tables,
equations, bounds, starting point) as found in a public copy on GitHub (``MonicaCT/SalariesBolivia``,
``scarfmcp.gms``; a second copy that ``$include``s ``scarfdata.inc`` has identical equations). Component names
follow the GAMS source: sets ``c`` (6 commodities), ``h`` (5 consumers), ``s`` (8 sectors); parameters ``e``,
``d``, ``esub``, ``data``, ``alpha``, ``a``; variables ``p(c)``, ``y(s)``, ``i(h)``; equations ``mkt(c)``,
``profit(s)``, ``income(h)``.

The model (MCP ``scarf / mkt.p, profit.y, income.i /``)::

    mkt(c)..    sum(s, a(c,s) y(s)) + sum(h, e(c,h)) =g= sum(h, i(h) alpha(c,h) p(c)^(-esub(h))
                                                             / sum(cc, alpha(cc,h) p(cc)^(1-esub(h))))   _|_ p(c)
    profit(s).. -sum(c, a(c,s) p(c)) =g= 0                                                                _|_ y(s) >= 0
    income(h).. i(h) =g= sum(c, p(c) e(c,h))                                                             _|_ i(h) >= 0

with ``alpha(c,h) = d(c,h)/sum(cc, d(cc,h))``, ``a(c,s) = data("output",c,s) - data("input",c,s)``,
``p.lo(c) = 1e-5`` for every good some consumer demands (0 for ``capbop``, which nobody consumes), and the
numeraire fixed by ``i.fx('agent1') = 9.1`` (agent1's endowment value at the starting prices p = 1). No consumer
has esub = 1, so only the CES branch of ``mkt`` is needed. Terms with ``alpha(c,h) = 0`` are left out of the sums
(GAMS drops them too; keeping them would evaluate ``0 * 0^(negative)`` at p(capbop) = 0).

``formulation="mcp"`` (default) declares the three complementarity blocks with ``add_vi`` exactly as GAMS does.
``formulation="mopec"`` replaces the closed-form CES demand by the five consumers as optimising agents: consumer
``h`` chooses ``xd(c,h) >= 0`` (goods with alpha > 0) to maximise ``(1/rho_h) sum_c alpha(c,h)^(1/esub(h))
xd(c,h)^rho_h`` (rho_h = 1 - 1/esub(h); a monotone transform of the CES utility whose demand is the GAMS formula)
subject to ``budget(h): sum_c p(c) xd(c,h) <= i(h)``; ``mkt(c)`` then reads ``supply - sum_h xd(c,h) >= 0``.
Both formulations have the same solution in p, y, i.

Reference answer
----------------
Computed here (``tests/reference_solutions.py::scarfmcp_reference``: the MCP written out in numpy, box
Fischer-Burmeister + Levenberg-Marquardt, natural residual 2e-15; 29 of 30 random starts reach the same point, one
stalls, none finds another equilibrium)::

    p:  capeop 1.1324994815  nondurbl 0.5452601627  durable 1.0618849588
        capbop 1.2905350105  skillab  0.8276541227  unsklab 0.2823939600
    y:  d1 0.4634929346  n1 3.9391950568  n2 0.0060229907  c1 0.4382628380   (d2 = n3 = cd = c2 = 0)
    i:  agent1 9.1 (fixed)  agent2 4.3123465512  agent3 9.1680615916  agent4 4.6943370618  agent5 10.0909423730

Unprofitable sectors at these prices (profit(s) > 0 means cost exceeds revenue): d2 0.72810, n3 0.03906,
cd 0.27129, c2 1.30714. No published solution listing was found to compare with (the GAMS library page shows
the model, not its solution). n2 runs at a small but positive level (0.006), so complementarity in ``profit`` is
tight there -- a good test of solver accuracy. Prices are determined only up to scale in theory; fixing
i('agent1') pins the scale.
"""

from __future__ import annotations

import pyomo.environ as pyo

import sharedeq as sq

GOODS = ["capeop", "nondurbl", "durable", "capbop", "skillab", "unsklab"]
AGENTS = ["agent1", "agent2", "agent3", "agent4", "agent5"]
SECTORS = ["d1", "d2", "n1", "n2", "n3", "cd", "c1", "c2"]

E = {  # commodity endowments e(c,h)
    "capbop": [3, 0.1, 2, 1, 6],
    "skillab": [5, 0.1, 6, 0.1, 0.1],
    "unsklab": [0.1, 7, 0.1, 8, 0.5],
    "durable": [1, 2, 1.5, 1, 2],
}
D = {  # reference demands d(c,h)
    "capeop": [4, 0.4, 2, 5, 3],
    "skillab": [0.2, 0, 0.5, 0, 0],
    "unsklab": [0, 0.6, 0, 0.2, 0.2],
    "nondurbl": [2, 4, 2, 5, 4],
    "durable": [3.2, 1, 1.5, 4.5, 2],
}
ESUB = {"agent1": 1.2, "agent2": 1.6, "agent3": 0.8, "agent4": 0.5, "agent5": 0.6}
DATA = {  # activity analysis matrix data(*,c,s): (kind, c) -> values for d1 d2 n1 n2 n3 cd c1 c2
    ("output", "nondurbl"): [0, 0, 6.0, 8.0, 7.0, 0, 0, 0],
    ("output", "durable"): [4.0, 3.5, 0, 0, 0, 0, 0, 0],
    ("output", "capeop"): [4.0, 4.0, 1.6, 1.6, 1.6, 0.9, 7.0, 8.0],
    ("input", "capbop"): [5.3, 5.0, 2.0, 2.0, 2.0, 1.0, 4.0, 5.0],
    ("input", "skillab"): [2.0, 1.0, 2.0, 4.0, 1.0, 0, 3.0, 2.0],
    ("input", "unsklab"): [1.0, 6.0, 3.0, 1.0, 8.0, 0, 1.0, 8.0],
}

REFERENCE = {
    "p": {"capeop": 1.1324994815, "nondurbl": 0.5452601627, "durable": 1.0618849588, "capbop": 1.2905350105,
          "skillab": 0.8276541227, "unsklab": 0.2823939600},
    "y": {"d1": 0.4634929346, "d2": 0.0, "n1": 3.9391950568, "n2": 0.0060229907, "n3": 0.0, "cd": 0.0,
          "c1": 0.4382628380, "c2": 0.0},
    "i": {"agent1": 9.1, "agent2": 4.3123465512, "agent3": 9.1680615916, "agent4": 4.6943370618,
          "agent5": 10.0909423730},
}


def build_problem(formulation="mcp", **kwargs) -> sq.EquilibriumProblem:
    """SCARFMCP as in GAMS (``formulation="mcp"``) or with consumers as optimising agents (``"mopec"``)."""
    if formulation not in ("mcp", "mopec"):
        raise ValueError("formulation must be 'mcp' or 'mopec'")
    m = pyo.ConcreteModel(name="scarf")
    m.c = pyo.Set(initialize=GOODS)
    m.h = pyo.Set(initialize=AGENTS)
    m.s = pyo.Set(initialize=SECTORS)
    m.e = pyo.Param(m.c, m.h, initialize={(c, h): v[k] for c, v in E.items() for k, h in enumerate(AGENTS)},
                    default=0.0)
    m.d = pyo.Param(m.c, m.h, initialize={(c, h): v[k] for c, v in D.items() for k, h in enumerate(AGENTS)},
                    default=0.0)
    m.esub = pyo.Param(m.h, initialize=ESUB)
    m.data = pyo.Param(["output", "input"], m.c, m.s, default=0.0, initialize={
        (kind, c, s): v[k] for (kind, c), v in DATA.items() for k, s in enumerate(SECTORS)})
    m.alpha = pyo.Param(m.c, m.h, initialize=lambda m, c, h: m.d[c, h] / sum(m.d[cc, h] for cc in m.c))
    m.a = pyo.Param(m.c, m.s, initialize=lambda m, c, s: m.data["output", c, s] - m.data["input", c, s])

    demanded = {c for c in GOODS if any(pyo.value(m.alpha[c, h]) > 0 for h in AGENTS)}
    m.p = pyo.Var(m.c, initialize=1.0, bounds=lambda m, c: (1e-5 if c in demanded else 0.0, None))
    m.y = pyo.Var(m.s, within=pyo.NonNegativeReals, initialize=1.0)
    m.i = pyo.Var(m.h, within=pyo.NonNegativeReals,
                  initialize=lambda m, h: sum(1.0 * m.e[c, h] for c in m.c))
    m.i["agent1"].fix()  # numeraire: i.fx(h)$(ord(h) eq 1) = i.l(h)

    pairs = [(c, h) for c in GOODS for h in AGENTS if pyo.value(m.alpha[c, h]) > 0]
    supply = {c: sum(m.a[c, s] * m.y[s] for s in m.s) + sum(m.e[c, h] for h in m.h) for c in m.c}

    p = sq.EquilibriumProblem(m, name=f"SCARFMCP ({formulation})")
    if formulation == "mcp":
        def demand(m, c):
            return sum(m.i[h] / sum(m.alpha[cc, h] * m.p[cc] ** (1 - m.esub[h]) for (cc, hh) in pairs if hh == h)
                       * m.alpha[c, h] * m.p[c] ** (-m.esub[h]) for (cc2, h) in pairs if cc2 == c)

        m.mkt = pyo.Constraint(m.c, rule=lambda m, c: supply[c] - demand(m, c) >= 0)
    else:
        m.pairs = pyo.Set(initialize=pairs, dimen=2)

        def xd_init(m, c, h):  # CES demand at p = 1
            return pyo.value(m.i[h]) * pyo.value(m.alpha[c, h])

        m.xd = pyo.Var(m.pairs, within=pyo.NonNegativeReals, initialize=xd_init)

        def utility(m, h):
            rho = 1 - 1 / m.esub[h]
            return (1 / rho) * sum(m.alpha[c, h] ** (1 / m.esub[h]) * m.xd[c, h] ** rho
                                   for (c, hh) in pairs if hh == h)

        m.utility = pyo.Expression(m.h, rule=utility)
        m.budget = pyo.Constraint(m.h, rule=lambda m, h: sum(
            m.p[c] * m.xd[c, hh] for (c, hh) in pairs if hh == h) <= m.i[h])
        m.mkt = pyo.Constraint(m.c, rule=lambda m, c: supply[c] - sum(
            m.xd[cc, h] for (cc, h) in pairs if cc == c) >= 0)
        for h in m.h:
            p.add_agent(h, m.utility[h], [m.xd[c, hh] for (c, hh) in pairs if hh == h],
                        constraints=[m.budget[h]], sense="max")

    m.profit = pyo.Constraint(m.s, rule=lambda m, s: -sum(m.a[c, s] * m.p[c] for c in m.c) >= 0)
    m.income = pyo.Constraint(m.h, rule=lambda m, h: m.i[h] - sum(m.p[c] * m.e[c, h] for c in m.c) >= 0)
    for c in m.c:
        p.add_vi(m.mkt[c], m.p[c])
    for s in m.s:
        p.add_vi(m.profit[s], m.y[s])
    for h in m.h:
        if not m.i[h].fixed:
            p.add_vi(m.income[h], m.i[h])
    m.income["agent1"].deactivate()  # its variable is fixed, so the equation drops out of the square MCP
    return p


if __name__ == "__main__":
    for formulation in ("mcp", "mopec"):
        prob = build_problem(formulation)
        m = prob.model
        sol = prob.solve()
        err = max(abs(sol.value(m.p[c]) - REFERENCE["p"][c]) for c in m.c)
        err = max(err, max(abs(sol.value(m.y[s]) - REFERENCE["y"][s]) for s in m.s))
        print(f"{formulation}: converged={sol.converged} max|(p, y) - reference|={err:.2e}")
        print({c: round(sol.value(m.p[c]), 8) for c in m.c})
        print({s: round(sol.value(m.y[s]), 8) for s in m.s})
