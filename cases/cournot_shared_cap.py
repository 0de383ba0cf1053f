"""Five-firm Cournot oligopoly with a shared production cap -- Facchinei & Kanzow test problem A.16.

Source
------
F. Facchinei, C. Kanzow, "Penalty methods for the solution of generalized Nash equilibrium problems (with complete
test problems)", Sapienza/Wuerzburg technical report, Feb. 2009 (SIAM J. Optim. 20 (2010) 2228-2253), Appendix,
problem A.16; data from F.H. Murphy, H.D. Sherali, A.L. Soyster, "A mathematical programming approach for
determining oligopolistic market equilibrium", Math. Programming 24 (1982) 92-106. The same c, K, beta appear in
MacMPEC's ``gnash1*.dat`` (Facchinei, Jiang & Qi 1996, problem 8; copy in Pyomo ``examples/mpec/macmpec``).

Firm ``i`` (i = 1..5) chooses its output ``x_i >= 0`` and minimises cost minus revenue::

    theta_i(x) = c_i x_i + beta_i/(beta_i+1) K_i^(-1/beta_i) x_i^((beta_i+1)/beta_i) - p(S) x_i,
    p(S) = 5000^(1/gamma) S^(-1/gamma),   S = x_1 + ... + x_5,

    c = (10, 8, 6, 4, 2),  K = (5, 5, 5, 5, 5),  beta = (1.2, 1.1, 1.0, 0.9, 0.8),  gamma = 1.1,

subject to the shared (jointly convex) cap ``x_1 + ... + x_5 <= P`` with ``P`` in {75, 100, 150, 200}.

Data provenance: the formulas and numbers above as transcribed in several public re-implementations of the FK
test set (e.g. the JAX ``gnep_solver`` ``ProblemA16`` classes on GitHub); they agree with each other and the
c, K, beta with MacMPEC. FK also give
each firm a box ``0 <= x_i <= u``; the transcriptions disagree on ``u`` (100 or P) and it never binds, so only
``x_i >= 0`` is imposed here.

Reference answer (variational equilibrium, one common multiplier ``lam`` for the cap)
------------------------------------------------------------------------------------
computed here (``tests/reference_solutions.py::cournot_shared_cap_reference``, natural residual < 1e-14)::

    P=75 : x = (10.40384808, 13.03588333, 15.40739053, 17.38154966, 18.77132840)  lam = 27.92856495
    P=100: x = (14.05008564, 17.79838527, 20.90718989, 23.11143355, 24.13290564)  lam = 18.19567165
    P=150: x = (23.58869133, 28.68432319, 32.02150451, 33.28726523, 32.41821574)  lam =  7.12706849
    P=200: x = (35.78533238, 40.74895795, 42.80248160, 41.96638306, 38.69684500)  lam =  0.46709957

Published (FK 2009 tables, as transcribed): P=75 (10.403965, 13.035817, 15.407354, 17.381556, 18.771308),
P=100 (14.050088, 17.798379, 20.907187, 23.111429, 24.132916), P=150 (23.588799, 28.684248, 32.021533,
33.287258, 32.418182), P=200 (35.785329, 40.748959, 42.802485, 41.966381, 38.696846). They agree with the VE to
1.2e-4 (P=75), 1e-5 (P=100), 1.1e-4 (P=150), 3e-6 (P=200): the published points are the VE computed to FK's
stopping tolerance. Without the cap the Nash equilibrium is x = (36.93251, 41.81814, 43.70658, 42.65924,
39.17895), S = 204.2954 (computed here); the often-quoted Murphy et al. values (36.912, 41.842, 43.705, 42.665,
39.182), S = 204.306, differ by up to 0.024 (rounded / less accurate original). The cap binds for every P listed.

Facts worth knowing: the *generalized* Nash equilibria (own multiplier per firm) form a continuum: every
``x >= 0`` with ``sum(x) = P`` and ``d theta_i/d x_i <= 0`` for each producing firm is one
(``tests/reference_solutions.py::cournot_shared_cap_is_gne``). The VE is unique (F is strictly monotone here).
The players' problems are convex; ``p(S)`` is undefined at S = 0, so start away from zero.
"""

from __future__ import annotations

import pyomo.environ as pyo

import sharedeq as sq

C = {1: 10.0, 2: 8.0, 3: 6.0, 4: 4.0, 5: 2.0}
K = {i: 5.0 for i in C}
BETA = {1: 1.2, 2: 1.1, 3: 1.0, 4: 0.9, 5: 0.8}
GAMMA = 1.1

# computed here (tests/reference_solutions.py); variational equilibrium and its common multiplier
REFERENCE_VE = {
    75.0: ((10.4038480755, 13.0358833302, 15.4073905313, 17.3815496618, 18.7713284011), 27.9285649471),
    100.0: ((14.0500856434, 17.7983852739, 20.9071898907, 23.1114335513, 24.1329056407), 18.1956716509),
    150.0: ((23.5886913326, 28.6843231880, 32.0215045136, 33.2872652277, 32.4182157381), 7.1270684901),
    200.0: ((35.7853323800, 40.7489579497, 42.8024816046, 41.9663830613, 38.6968450044), 0.4670995718),
}
# published (FK 2009 tables)
PUBLISHED = {
    75.0: (10.403965, 13.035817, 15.407354, 17.381556, 18.771308),
    100.0: (14.050088, 17.798379, 20.907187, 23.111429, 24.132916),
    150.0: (23.588799, 28.684248, 32.021533, 33.287258, 32.418182),
    200.0: (35.785329, 40.748959, 42.802485, 41.966381, 38.696846),
}


def build_problem(P=75.0, variational=False, **kwargs) -> sq.EquilibriumProblem:
    """FK A.16 with cap ``P`` (None: no cap, a plain Nash game). ``variational`` marks the cap as VIsol."""
    m = pyo.ConcreteModel(name="cournot_shared_cap")
    m.i = pyo.Set(initialize=sorted(C))
    m.c = pyo.Param(m.i, initialize=C)
    m.K = pyo.Param(m.i, initialize=K)
    m.beta = pyo.Param(m.i, initialize=BETA)
    m.gamma = pyo.Param(initialize=GAMMA)
    start = (P if P is not None else 200.0) / len(C)
    m.x = pyo.Var(m.i, within=pyo.NonNegativeReals, initialize=start)

    m.S = pyo.Expression(expr=sum(m.x[i] for i in m.i))
    m.price = pyo.Expression(expr=5000.0 ** (1 / m.gamma) * m.S ** (-1 / m.gamma))

    def cost(m, i):
        b = m.beta[i]
        return m.c[i] * m.x[i] + b / (b + 1) * m.K[i] ** (-1 / b) * m.x[i] ** ((b + 1) / b)

    m.cost = pyo.Expression(m.i, rule=cost)
    m.theta = pyo.Expression(m.i, rule=lambda m, i: m.cost[i] - m.price * m.x[i])

    p = sq.EquilibriumProblem(m, name=f"FK A.16 Cournot, cap P={P}")
    for i in m.i:
        p.add_agent(f"firm{i}", m.theta[i], m.x[i], sense="min")
    if P is not None:
        m.P = pyo.Param(initialize=float(P), mutable=True)
        m.cap = pyo.Constraint(expr=m.S <= m.P)
        p.add_shared(m.cap, variational=variational)
    return p


if __name__ == "__main__":
    for P in (75.0, 100.0, 150.0, 200.0):
        prob = build_problem(P)
        m = prob.model
        for mode in ("ve", "gne"):
            sol = prob.solve(mode=mode)
            x = [sol.value(m.x[i]) for i in m.i]
            print(f"P={P:g} mode={mode}: converged={sol.converged} x={[round(v, 6) for v in x]} "
                  f"sum={sum(x):.6f}")
            if mode == "ve":
                ref_x, ref_lam = REFERENCE_VE[P]
                print(f"    reference VE x={ref_x} lam={ref_lam}; multiplier={sol.multiplier(m.cap):.8f}")
        print(sq.best_response_check(prob, sol))
