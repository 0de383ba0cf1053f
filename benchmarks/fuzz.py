"""Randomised property suite: seeded random games and complementarity problems, each answer checked independently.

Every generator ``gen_xxx(seed, **size) -> Instance`` draws one small instance from ``numpy.random.default_rng(seed)``
(games: 2-5 agents with 1-3 variables each and 0-3 shared linear constraints; LCPs and NCPs of size 2-10), so a
seed reproduces an instance exactly. :func:`run` solves every instance with sharedeq and checks each claimed
equilibrium with code that shares nothing with sharedeq:

* games: every agent's *global* best response to the others, by exact enumeration of the faces of its feasible
  polytope (:func:`qp_global_min`: every agent is a quadratic in at most 3 variables), a feasibility check of
  every constraint and bound, and in mode ``"ve"`` the variational inequality ``F(x*)'(y - x*) >= 0`` for all
  feasible ``y`` (one ``scipy.optimize.linprog``; ``F`` is the pseudo-gradient);
* LCPs and NCPs ``F(z) _|_ z >= 0``: ``z >= 0``, ``F(z) >= 0`` and ``z * F(z) = 0`` in numpy.

A claimed equilibrium (the first line of ``summary()`` starts with ``EQUILIBRIUM FOUND``) that fails its check is
a *silent wrong answer*. The categories, and whether an equilibrium is known to exist:

=====================  ==========================================================================  ===========
category               instances                                                                   exists
=====================  ==========================================================================  ===========
monotone               LQ games with a strongly monotone pseudo-gradient, box bounds, feasible     yes
                       shared constraints
general-lq             convex agents, arbitrary coupling, box bounds, feasible shared (some        yes
                       equalities) and private constraints
nonconvex              as general-lq, one or two agents with an indefinite Hessian                 unknown
infeasible             as general-lq, but the joint constraints have no feasible point             no
unbounded              one agent's objective is unbounded below on its feasible set                no
lcp-monotone           ``M`` positive semidefinite plus skew, ``q`` built around a known solution  yes
lcp-nonmonotone        Gaussian ``M`` and ``q``; existence decided by enumerating all 2^n bases    decided
ncp-known-solution     monotone ``M z + a z^3 + b (exp(z) - 1) + q`` around a known solution       yes
ncp-nonmonotone        ``M z + s sin(z) + d z_k z_(k+1) + q`` with Gaussian ``M``, known solution  yes
=====================  ==========================================================================  ===========

Games run in mode ``"gne"`` for even seeds and ``"ve"`` for odd seeds. Command line (``python -m benchmarks
fuzz``): ``--category general-lq --n 200 --seed 0`` runs a batch (``--category monotone:500,unbounded:100`` sets
the count per category); ``--category general-lq --seed 1234 --show`` prints one instance, sharedeq's summary and
the independent verdict. The batch ends with a repro line for every silent wrong answer, false denial and exception
(exit status 1), then one for every instance with a known equilibrium that was not solved (``UNSOLVED``).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from scipy.linalg import null_space
from scipy.optimize import linprog

import sharedeq as sq
from sharedeq.progress import echo, track

#: Relative tolerance of the independent checks (sharedeq's own MCP tolerance is 1e-8).
CHECK_TOL = 1e-6
#: Ipopt wall-clock limit per Ipopt run, so that one stuck instance cannot stall a batch.
IPOPT_OPTIONS = {"max_wall_time": 30.0}
#: Solved-rate targets of the issue, per category (fraction of instances with a confirmed equilibrium).
TARGETS = {"monotone": 0.995, "lcp-monotone": 0.995, "ncp-known-solution": 0.995, "general-lq": 0.95}


def claimed(solution) -> bool:
    """True when sharedeq claims a verified equilibrium: the headline of ``summary()`` is EQUILIBRIUM FOUND."""
    return headline(solution) == "EQUILIBRIUM FOUND"


def headline(solution) -> str:
    """The status word of ``summary()``'s first line (``EQUILIBRIUM FOUND``, ``NOT CONVERGED``, ...)."""
    return solution.summary().splitlines()[0].split(":")[0].strip()


# ---------------------------------------------------------------------- instance data
@dataclass
class LinearRow:
    """``a @ x  kind  b`` over all game variables; ``agent`` is None for a shared constraint."""

    a: np.ndarray
    b: float
    kind: str  # "<=", ">=" or "=="
    agent: int | None = None

    def violation(self, x) -> float:
        lhs = float(self.a @ x)
        return {"<=": max(lhs - self.b, 0.0), ">=": max(self.b - lhs, 0.0), "==": abs(lhs - self.b)}[self.kind]


@dataclass
class GameData:
    """Agent ``i`` controls ``x[owners[i]]`` and minimises ``0.5 xi' Q[i] xi + xi' C[i] x + c[i]' xi``.

    ``C[i]`` has zero columns at the agent's own variables; bounds ``lo <= x <= hi`` (infinite where absent);
    ``rows`` are the shared (``agent`` None) and private linear constraints.
    """

    owners: list[np.ndarray]
    Q: list[np.ndarray]
    C: list[np.ndarray]
    c: list[np.ndarray]
    lo: np.ndarray
    hi: np.ndarray
    rows: list[LinearRow]

    @property
    def n(self) -> int:
        return len(self.lo)

    def objective(self, i, x) -> float:
        xi = x[self.owners[i]]
        return float(0.5 * xi @ self.Q[i] @ xi + xi @ self.C[i] @ x + self.c[i] @ xi)

    def pseudo_gradient(self, x) -> np.ndarray:
        """``F(x) = (grad_{x_i} f_i(x))_i``, the map of the variational inequality of the game."""
        F = np.zeros(self.n)
        for i, own in enumerate(self.owners):
            F[own] = self.Q[i] @ x[own] + self.C[i] @ x + self.c[i]
        return F

    def build(self, name):
        model = pyo.ConcreteModel()
        bounds = {k: (None if np.isinf(self.lo[k]) else float(self.lo[k]),
                      None if np.isinf(self.hi[k]) else float(self.hi[k])) for k in range(self.n)}
        model.x = pyo.Var(range(self.n), bounds=lambda _, k: bounds[k])
        model.rows = pyo.Constraint(range(len(self.rows)), rule=lambda m, r: _pyomo_row(self.rows[r], m.x))
        problem = sq.EquilibriumProblem(model, name=name)
        for i, own in enumerate(self.owners):
            xi = [model.x[int(k)] for k in own]
            quad = sum(0.5 * float(self.Q[i][a, b]) * xi[a] * xi[b]
                       for a in range(len(own)) for b in range(len(own)) if self.Q[i][a, b] != 0)
            coupling = sum(float(self.C[i][a, k]) * xi[a] * model.x[k]
                           for a in range(len(own)) for k in range(self.n) if self.C[i][a, k] != 0)
            linear = sum(float(self.c[i][a]) * xi[a] for a in range(len(own)))
            private = [model.rows[r] for r, row in enumerate(self.rows) if row.agent == i]
            problem.add_agent(f"p{i + 1}", objective=quad + coupling + linear, variables=xi, constraints=private)
        for r, row in enumerate(self.rows):
            if row.agent is None:
                agents = [f"p{i + 1}" for i, own in enumerate(self.owners) if np.any(row.a[own] != 0)]
                problem.add_shared(model.rows[r], agents=agents)
        return problem, [model.x[k] for k in range(self.n)]

    def describe(self) -> str:
        lines = [f"{len(self.owners)} agents, {self.n} variables, {len(self.rows)} linear constraints"]
        for i, own in enumerate(self.owners):
            lines.append(f"  p{i + 1}: x{list(map(int, own))}  Q={np.round(self.Q[i], 4).tolist()}  "
                         f"C={np.round(self.C[i], 4).tolist()}  c={np.round(self.c[i], 4).tolist()}")
        lines.append(f"  lo={np.round(self.lo, 4).tolist()}  hi={np.round(self.hi, 4).tolist()}")
        for r, row in enumerate(self.rows):
            who = "shared" if row.agent is None else f"private to p{row.agent + 1}"
            lines.append(f"  rows[{r}] ({who}): {np.round(row.a, 4).tolist()} x {row.kind} {row.b:.6g}")
        return "\n".join(lines)


def _pyomo_row(row: LinearRow, x):
    lhs = sum(float(a) * x[k] for k, a in enumerate(row.a) if a != 0)
    return {"<=": lhs <= row.b, ">=": lhs >= row.b, "==": lhs == row.b}[row.kind]


@dataclass
class CPData:
    """``F(z) _|_ z >= 0`` with ``F(z) = M z + q + a z^3 + b (exp(z) - 1) + s sin(z) + d z * z[(k+1) mod n]``."""

    M: np.ndarray
    q: np.ndarray
    cubic: np.ndarray | None = None
    expo: np.ndarray | None = None
    sine: np.ndarray | None = None
    product: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.q)

    def F(self, z) -> np.ndarray:
        out = self.M @ z + self.q
        if self.cubic is not None:
            out = out + self.cubic * z ** 3
        if self.expo is not None:
            out = out + self.expo * (np.exp(z) - 1.0)
        if self.sine is not None:
            out = out + self.sine * np.sin(z)
        if self.product is not None:
            out = out + self.product * z * np.roll(z, -1)
        return out

    def build(self, name):
        model = pyo.ConcreteModel()
        model.z = pyo.Var(range(self.n), domain=pyo.NonNegativeReals)
        problem = sq.EquilibriumProblem(model, name=name)
        for k in range(self.n):
            z = model.z
            expr = sum(float(self.M[k, j]) * z[j] for j in range(self.n) if self.M[k, j] != 0) + float(self.q[k])
            if self.cubic is not None and self.cubic[k]:
                expr = expr + float(self.cubic[k]) * z[k] ** 3
            if self.expo is not None and self.expo[k]:
                expr = expr + float(self.expo[k]) * (pyo.exp(z[k]) - 1.0)
            if self.sine is not None and self.sine[k]:
                expr = expr + float(self.sine[k]) * pyo.sin(z[k])
            if self.product is not None and self.product[k]:
                expr = expr + float(self.product[k]) * z[k] * z[(k + 1) % self.n]
            problem.add_vi(expr, z[k])
        return problem, [model.z[k] for k in range(self.n)]

    def describe(self) -> str:
        parts = [f"n={self.n}", f"M={np.round(self.M, 4).tolist()}", f"q={np.round(self.q, 4).tolist()}"]
        for label in ("cubic", "expo", "sine", "product"):
            value = getattr(self, label)
            if value is not None:
                parts.append(f"{label}={np.round(value, 4).tolist()}")
        return "\n  ".join(parts)


@dataclass
class Instance:
    """One random problem: its data, how to build it, and what is known about it.

    ``exists``: an equilibrium is known to exist (True), known not to exist (False), or unknown (None).
    ``monotone``: the issue's 99.5 % target applies (strongly monotone game, monotone LCP or NCP with a solution).
    """

    category: str
    seed: int
    data: GameData | CPData
    exists: bool | None
    monotone: bool = False
    mode: str | None = None
    note: str = ""
    known_solution: np.ndarray | None = field(default=None, repr=False)

    def build(self):
        """``(EquilibriumProblem, variables)``; ``variables[k]`` is the Pyomo variable of ``x[k]`` (or ``z[k]``)."""
        return self.data.build(f"{self.category} seed {self.seed}")

    @property
    def size(self) -> str:
        if isinstance(self.data, CPData):
            return f"n={self.data.n}"
        shared = sum(row.agent is None for row in self.data.rows)
        return f"{len(self.data.owners)}x{'/'.join(str(len(o)) for o in self.data.owners)} m={shared}"


# ---------------------------------------------------------------------- game generators
def _game_mode(seed) -> str:
    return "ve" if seed % 2 else "gne"


def _layout(rng, agents, per_agent):
    """Agent sizes and the index arrays of the variables each agent owns."""
    agents = int(rng.integers(2, 6)) if agents is None else agents
    sizes = rng.integers(1, 4, agents) if per_agent is None else np.full(agents, per_agent)
    starts = np.r_[0, np.cumsum(sizes)]
    return [np.arange(starts[i], starts[i + 1]) for i in range(agents)]


def _box(rng, n):
    lo = -rng.uniform(0.0, 2.0, n)
    return lo, lo + rng.uniform(0.5, 3.0, n)


def _shared_coefficients(rng, owners, n):
    """A row over the variables of a random subset of at least two agents (Gaussian, some entries zero)."""
    chosen = rng.choice(len(owners), size=int(rng.integers(2, len(owners) + 1)), replace=False)
    a = np.zeros(n)
    for i in chosen:
        a[owners[i]] = rng.normal(size=len(owners[i]))
    return a


def _feasible_row(rng, a, x0, kinds, agent=None) -> LinearRow:
    """A constraint with coefficients ``a`` that the point ``x0`` satisfies (tight with probability 0.2)."""
    kind = str(rng.choice(kinds))
    margin = 0.0 if rng.random() < 0.2 else rng.uniform(0.0, 1.0)
    value = float(a @ x0)
    return LinearRow(a, {"<=": value + margin, ">=": value - margin, "==": value}[kind], kind, agent)


def _convex_hessian(rng, size):
    """``B B' (+ 0.1 I)`` with ``B`` of random rank: positive semidefinite, sometimes singular."""
    B = rng.normal(size=(size, int(rng.integers(1, size + 1))))
    return B @ B.T + (0.1 * np.eye(size) if rng.random() < 0.5 else 0.0)


def _coupling(rng, owners, n):
    """Gaussian ``C[i]`` (agent i's gradient depends on every other agent's variables), own columns zero."""
    out = []
    for own in owners:
        C = rng.normal(size=(len(own), n))
        C[:, own] = 0.0
        out.append(C)
    return out


def _general_data(rng, agents=None, per_agent=None, shared=None, kinds=("<=", "<=", ">=", "==")):
    """Convex agents, Gaussian coupling, box bounds, feasible shared and private rows (through a point x0)."""
    owners = _layout(rng, agents, per_agent)
    n = int(sum(len(o) for o in owners))
    lo, hi = _box(rng, n)
    x0 = rng.uniform(lo, hi)
    shared = int(rng.integers(0, 4)) if shared is None else shared
    rows = [_feasible_row(rng, _shared_coefficients(rng, owners, n), x0, kinds) for _ in range(shared)]
    for i, own in enumerate(owners):
        if rng.random() < 0.3:
            a = np.zeros(n)
            a[own] = rng.normal(size=len(own))
            rows.append(_feasible_row(rng, a, x0, ("<=", ">="), agent=i))
    Q = [_convex_hessian(rng, len(own)) for own in owners]
    c = [rng.normal(size=len(own)) for own in owners]
    return GameData(owners, Q, _coupling(rng, owners, n), c, lo, hi, rows)


def gen_monotone(seed, agents=None, per_agent=None, shared=None) -> Instance:
    """A game whose pseudo-gradient ``M x + c`` has ``M = P + K`` (``P`` positive definite, ``K`` skew with zero
    diagonal blocks), so it is strongly monotone; box bounds and feasible ``<=`` shared constraints."""
    rng = np.random.default_rng(seed)
    data = _general_data(rng, agents, per_agent, shared, kinds=("<=",))
    data.rows = [row for row in data.rows if row.agent is None]
    n = data.n
    B = rng.normal(size=(n, int(rng.integers(1, n + 1))))
    P = B @ B.T + rng.uniform(0.1, 1.0) * np.eye(n)
    K = rng.normal(size=(n, n)) * rng.uniform(0.0, 1.5)
    K = K - K.T
    for own in data.owners:
        K[np.ix_(own, own)] = 0.0
    M = P + K
    data.Q = [M[np.ix_(own, own)] for own in data.owners]
    data.C = []
    for own in data.owners:
        C = M[own].copy()
        C[:, own] = 0.0
        data.C.append(C)
    return Instance("monotone", seed, data, exists=True, monotone=True, mode=_game_mode(seed))


def gen_general_lq(seed, agents=None, per_agent=None, shared=None) -> Instance:
    """Convex quadratic agents (Hessians ``B B'``, sometimes singular) with Gaussian coupling; box bounds and
    feasible shared and private constraints make the joint feasible set compact, convex and nonempty, so an
    equilibrium (a variational one, hence a generalized Nash one) exists."""
    rng = np.random.default_rng(seed)
    return Instance("general-lq", seed, _general_data(rng, agents, per_agent, shared), exists=True,
                    mode=_game_mode(seed))


def gen_nonconvex(seed, agents=None, per_agent=None, shared=None) -> Instance:
    """As :func:`gen_general_lq`, but one or two agents have an indefinite (or negative definite) Hessian."""
    rng = np.random.default_rng(seed)
    data = _general_data(rng, agents, per_agent, shared)
    bad = rng.choice(len(data.owners), size=int(rng.integers(1, 3)), replace=False)
    for i in bad:
        size = len(data.owners[i])
        V = np.linalg.qr(rng.normal(size=(size, size)))[0]
        eig = rng.normal(size=size) * 2.0
        eig[0] = -abs(eig[0]) - 0.2
        data.Q[i] = V @ np.diag(eig) @ V.T
    return Instance("nonconvex", seed, data, exists=None, mode=_game_mode(seed),
                    note=f"non-convex agents {[f'p{i + 1}' for i in sorted(bad)]}")


def _box_range(a, lo, hi):
    """``(min, max)`` of ``a @ x`` over the box ``lo <= x <= hi``."""
    return float(np.sum(np.minimum(a * lo, a * hi))), float(np.sum(np.maximum(a * lo, a * hi)))


def gen_infeasible(seed, agents=None, per_agent=None, shared=None) -> Instance:
    """As :func:`gen_general_lq` plus constraints that no point satisfies: a shared row beyond the box, a private
    row beyond the agent's box, or two shared rows that contradict each other."""
    rng = np.random.default_rng(seed)
    data = _general_data(rng, agents, per_agent, shared)
    variant = ("shared beyond the box", "private beyond the box", "contradicting shared rows")[seed % 3]
    gap = rng.uniform(0.1, 1.0)
    if variant == "private beyond the box":
        i = int(rng.integers(len(data.owners)))
        a = np.zeros(data.n)
        a[data.owners[i]] = rng.normal(size=len(data.owners[i]))
        low, _ = _box_range(a, data.lo, data.hi)
        data.rows.append(LinearRow(a, low - gap, "<=", agent=i))
    else:
        a = _shared_coefficients(rng, data.owners, data.n)
        low, high = _box_range(a, data.lo, data.hi)
        if variant == "shared beyond the box":
            data.rows.append(LinearRow(a, high + gap, ">=") if rng.random() < 0.5 else LinearRow(a, low - gap, "<="))
        else:
            middle = rng.uniform(low, high)
            data.rows += [LinearRow(a, middle, "<="), LinearRow(a, middle + gap, ">=")]
    return Instance("infeasible", seed, data, exists=False, mode=_game_mode(seed), note=variant)


def gen_unbounded(seed, agents=None, per_agent=None, shared=None) -> Instance:
    """As :func:`gen_general_lq`, but one variable ``x[k]`` of one agent has no (or only a lower) bound, appears
    in no constraint, and the agent's objective decreases without bound along it: linearly (free variable, no
    quadratic or coupling term in ``x[k]``), linearly on a half-line, or quadratically (negative curvature)."""
    rng = np.random.default_rng(seed)
    data = _general_data(rng, agents, per_agent, shared)
    variant = ("linear, free", "linear, half-line", "concave, free")[seed % 3]
    i = int(rng.integers(len(data.owners)))
    own = data.owners[i]
    local = int(rng.integers(len(own)))
    k = int(own[local])
    for row in data.rows:
        row.a[k] = 0.0
    data.rows = [row for row in data.rows if np.any(row.a)]
    data.lo[k], data.hi[k] = -np.inf, np.inf
    if variant.startswith("linear"):
        data.Q[i][local, :] = data.Q[i][:, local] = 0.0
        data.C[i][local, :] = 0.0
        data.c[i][local] = rng.choice([-1.0, 1.0]) * rng.uniform(0.2, 2.0)
        if variant == "linear, half-line":
            data.c[i][local] = -abs(data.c[i][local])
            data.lo[k] = -rng.uniform(0.0, 2.0)
    else:
        data.Q[i][local, :] = data.Q[i][:, local] = 0.0
        data.Q[i][local, local] = -rng.uniform(0.2, 2.0)
    return Instance("unbounded", seed, data, exists=False, mode=_game_mode(seed),
                    note=f"{variant}: x[{k}] of p{i + 1}")


# ---------------------------------------------------------------------- LCP and NCP generators
def _lcp_size(rng, size):
    return int(rng.integers(2, 11)) if size is None else size


def _monotone_matrix(rng, n):
    """``B B' + K``: positive semidefinite symmetric part of random rank, skew part of random scale."""
    B = rng.normal(size=(n, int(rng.integers(1, n + 1))))
    K = rng.normal(size=(n, n)) * rng.uniform(0.0, 1.0)
    return B @ B.T + (K - K.T)


def _complementary_pair(rng, n):
    """``(z*, w*)``, both >= 0 with ``z* w* = 0``; some indices have both zero (degenerate)."""
    support = rng.random(n) < 0.5
    z = np.where(support, rng.uniform(0.1, 2.0, n), 0.0)
    w = np.where(support | (rng.random(n) < 0.2), 0.0, rng.uniform(0.1, 2.0, n))
    return z, w


def gen_lcp_monotone(seed, size=None) -> Instance:
    """``M z + q _|_ z >= 0`` with monotone ``M`` and ``q = w* - M z*`` for a complementary pair ``(z*, w*)``."""
    rng = np.random.default_rng(seed)
    n = _lcp_size(rng, size)
    M = _monotone_matrix(rng, n)
    z, w = _complementary_pair(rng, n)
    return Instance("lcp-monotone", seed, CPData(M, w - M @ z), exists=True, monotone=True, known_solution=z)


def lcp_has_solution(M, q) -> bool | None:
    """Decide whether ``M z + q _|_ z >= 0`` has a solution by trying every basis (``z_S`` solves
    ``M_SS z_S = -q_S``, ``z_S >= 0``, ``w = M z + q >= 0``); None when a singular basis leaves it open."""
    n = len(q)
    undecided = False
    for mask in range(2 ** n):
        S = np.array([(mask >> k) & 1 == 1 for k in range(n)])
        z = np.zeros(n)
        if S.any():
            try:
                z[S] = np.linalg.solve(M[np.ix_(S, S)], -q[S])
            except np.linalg.LinAlgError:
                undecided = True
                continue
        if z.min() >= -1e-12 and (M @ z + q).min() >= -1e-9:
            return True
    return None if undecided else False


def gen_lcp_nonmonotone(seed, size=None) -> Instance:
    """Gaussian ``M`` (symmetric part indefinite) and ``q``; whether a solution exists is decided exactly."""
    rng = np.random.default_rng(seed)
    n = _lcp_size(rng, size)
    M = rng.normal(size=(n, n))
    lowest = np.linalg.eigvalsh(M + M.T).min()
    if lowest >= 0:
        M -= (lowest / 2 + 0.5) * np.eye(n)
    q = 2.0 * rng.normal(size=n)
    return Instance("lcp-nonmonotone", seed, CPData(M, q), exists=lcp_has_solution(M, q))


def gen_ncp_known_solution(seed, size=None) -> Instance:
    """Monotone ``F(z) = M z + a z^3 + b (exp(z) - 1) + q`` (``M`` monotone, ``a, b >= 0``) with ``q`` chosen
    so that a random complementary pair ``(z*, F(z*))`` solves it."""
    rng = np.random.default_rng(seed)
    n = _lcp_size(rng, size)
    data = CPData(_monotone_matrix(rng, n), np.zeros(n), cubic=rng.uniform(0.0, 1.0, n) * (rng.random(n) < 0.7),
                  expo=rng.uniform(0.0, 1.0, n) * (rng.random(n) < 0.5))
    z, w = _complementary_pair(rng, n)
    data.q = w - data.F(z)
    return Instance("ncp-known-solution", seed, data, exists=True, monotone=True, known_solution=z)


def gen_ncp_nonmonotone(seed, size=None) -> Instance:
    """Non-monotone ``F(z) = M z + s sin(z) + d z_k z_(k+1) + q`` (Gaussian ``M``) around a known solution."""
    rng = np.random.default_rng(seed)
    n = _lcp_size(rng, size)
    data = CPData(rng.normal(size=(n, n)), np.zeros(n), sine=rng.uniform(-2.0, 2.0, n),
                  product=rng.uniform(-1.0, 1.0, n) * (rng.random(n) < 0.5))
    z, w = _complementary_pair(rng, n)
    data.q = w - data.F(z)
    return Instance("ncp-nonmonotone", seed, data, exists=True, known_solution=z)


GENERATORS: dict[str, Callable[..., Instance]] = {
    "monotone": gen_monotone, "general-lq": gen_general_lq, "nonconvex": gen_nonconvex,
    "infeasible": gen_infeasible, "unbounded": gen_unbounded, "lcp-monotone": gen_lcp_monotone,
    "lcp-nonmonotone": gen_lcp_nonmonotone, "ncp-known-solution": gen_ncp_known_solution,
    "ncp-nonmonotone": gen_ncp_nonmonotone,
}


# ---------------------------------------------------------------------- independent checks
def qp_global_min(Q, g, G, h, E=None, e=None, tol=1e-7):
    """Global ``min 0.5 y'Qy + g'y`` subject to ``G y <= h``, ``E y = e`` over a *bounded* polytope, any ``Q``.

    Enumerates every set ``S`` of at most ``len(g)`` inequalities taken as equalities: on the affine set they
    define (with ``E y = e``), ``f`` has one stationary point when its reduced Hessian ``Z'QZ`` is positive
    definite (kept if feasible); otherwise the minimum over that face lies on a smaller face, which another
    ``S`` covers. The global minimum lies in the relative interior of some face, so the least value found is it.
    Returns ``(value, y)``, or ``(inf, None)`` when no feasible candidate exists.
    """
    n = len(g)
    E = np.zeros((0, n)) if E is None else np.asarray(E, float).reshape(-1, n)
    e = np.zeros(0) if e is None else np.asarray(e, float)
    scale = 1.0 + np.abs(Q).max(initial=0.0)
    best, arg = np.inf, None
    for k in range(n + 1):
        for S in itertools.combinations(range(len(h)), k):
            N, r = np.vstack([E, G[list(S)]]), np.r_[e, h[list(S)]]
            if len(r):
                y0 = np.linalg.lstsq(N, r, rcond=None)[0]
                if np.abs(N @ y0 - r).max() > 1e-9 * (1.0 + np.abs(r).max()):
                    continue
                Z = null_space(N)
            else:
                y0, Z = np.zeros(n), np.eye(n)
            if Z.shape[1]:
                H = Z.T @ Q @ Z
                if np.linalg.eigvalsh(H).min() <= 1e-10 * scale:
                    continue
                y = y0 - Z @ np.linalg.solve(H, Z.T @ (Q @ y0 + g))
            else:
                y = y0
            if (G @ y - h).max(initial=-1.0) <= tol * (1.0 + np.abs(h).max(initial=0.0)) and \
                    np.abs(E @ y - e).max(initial=0.0) <= tol * (1.0 + np.abs(e).max(initial=0.0)):
                value = 0.5 * y @ Q @ y + g @ y
                if value < best:
                    best, arg = float(value), y
    return best, arg


def best_response_gap(data: GameData, x, i) -> tuple[float, np.ndarray | None]:
    """``f_i(x) - min_y f_i(y, x_-i)`` over agent ``i``'s feasible set given the others (exact, global).

    Infinite bounds are replaced by a box ``1000 (1 + |x|_inf)`` wide, far enough that an objective unbounded
    below shows a large gap.
    """
    own = data.owners[i]
    others = x.copy()
    others[own] = 0.0
    wide = 1e3 * (1.0 + np.abs(x).max())
    lo, hi = np.maximum(data.lo[own], x[own] - wide), np.minimum(data.hi[own], x[own] + wide)
    size = len(own)
    G, h, E, e = [np.eye(size), -np.eye(size)], [hi, -lo], [], []
    for row in data.rows:
        a = row.a[own]
        if not np.any(a) or (row.agent is not None and row.agent != i):
            continue
        rhs = row.b - float(row.a @ others)
        if row.kind == "==":
            E.append(a[None, :])
            e.append([rhs])
        else:
            sign = 1.0 if row.kind == "<=" else -1.0
            G.append(sign * a[None, :])
            h.append([sign * rhs])
    g = data.C[i] @ others + data.c[i]
    best, y = qp_global_min(data.Q[i], g, np.vstack(G), np.concatenate(h), np.vstack(E) if E else None,
                            np.concatenate(e) if e else None)
    xi = x[own]
    return float(0.5 * xi @ data.Q[i] @ xi + g @ xi - best), y


def vi_gap(data: GameData, x) -> float:
    """``F(x)'x - min_{y feasible} F(x)'y`` (one linprog; inf if unbounded): zero exactly at a variational
    equilibrium, since the constraints are linear."""
    F = data.pseudo_gradient(x)
    ub = [(r.a if r.kind == "<=" else -r.a, r.b if r.kind == "<=" else -r.b) for r in data.rows if r.kind != "=="]
    eq = [(r.a, r.b) for r in data.rows if r.kind == "=="]
    result = linprog(F, A_ub=np.array([a for a, _ in ub]) if ub else None, b_ub=[b for _, b in ub] if ub else None,
                     A_eq=np.array([a for a, _ in eq]) if eq else None, b_eq=[b for _, b in eq] if eq else None,
                     bounds=np.c_[data.lo, data.hi], method="highs")
    if result.status == 3:
        return np.inf
    if result.status != 0:
        raise RuntimeError(f"linprog failed on the VI check: {result.message}")
    return float(F @ x - result.fun)


def check_game(instance: Instance, x) -> tuple[bool, str]:
    """Feasibility of every bound and row, each agent's global best response, and (mode ve) the VI."""
    data = instance.data
    scale = 1.0 + np.abs(x).max()
    bound_violation = max(np.max(data.lo - x, initial=0.0), np.max(x - data.hi, initial=0.0))
    if bound_violation > CHECK_TOL * scale:
        return False, f"bound violated by {bound_violation:.3g}"
    for r, row in enumerate(data.rows):
        if row.violation(x) > CHECK_TOL * (1.0 + np.abs(row.a).sum() * scale):
            return False, f"rows[{r}] violated by {row.violation(x):.3g}"
    for i in range(len(data.owners)):
        gap, better = best_response_gap(data, x, i)
        if gap > CHECK_TOL * (1.0 + abs(data.objective(i, x))):
            return False, (f"p{i + 1} improves by {gap:.3g} (objective {data.objective(i, x):.6g}) by moving to "
                           f"{np.round(better, 6).tolist()}")
    if instance.mode == "ve":
        gap = vi_gap(data, x)
        if gap > CHECK_TOL * (1.0 + np.abs(data.pseudo_gradient(x)).sum() * scale):
            return False, f"a generalized Nash equilibrium but not a variational one: VI gap {gap:.3g}"
    return True, ""


def check_cp(data: CPData, z) -> tuple[bool, str]:
    """``z >= 0``, ``F(z) >= 0`` and ``z * F(z) = 0`` to :data:`CHECK_TOL` (relative to the sizes involved)."""
    F = data.F(z)
    scale = 1.0 + np.abs(data.q).max() + np.abs(F).max()
    worst = {"z >= 0": -z.min(), "F(z) >= 0": -F.min() / scale,
             "z * F(z) = 0": np.abs(z * F).max() / (scale * (1.0 + np.abs(z).max()))}
    name, value = max(worst.items(), key=lambda kv: kv[1])
    return (True, "") if value <= CHECK_TOL else (False, f"{name} fails by {value:.3g} (z={np.round(z, 6).tolist()})")


def check(instance: Instance, values) -> tuple[bool, str]:
    values = np.asarray(values, float)
    if isinstance(instance.data, CPData):
        return check_cp(instance.data, values)
    return check_game(instance, values)


# ---------------------------------------------------------------------- runner
def run_instance(instance: Instance) -> dict:
    """Solve one instance and check the point it returns; never raises (a failure is a row of the result).

    ``verdict``: ``confirmed`` or ``WRONG`` for a claimed equilibrium, ``n.a.`` otherwise. ``point``: what the
    independent check says of the returned point whatever the status (``equilibrium`` / ``not``), so that a
    status denying an equilibrium at a point that is one (``KKT POINT, NOT AN EQUILIBRIUM``) shows up too.
    """
    row = {"category": instance.category, "seed": instance.seed, "mode": instance.mode or "", "size": instance.size,
           "exists": instance.exists, "monotone": instance.monotone, "status": "", "claimed": False,
           "converged": False, "residual": np.nan, "seconds": np.nan, "verdict": "n.a.", "point": "",
           "detail": instance.note}
    start = time.perf_counter()
    try:
        problem, variables = instance.build()
        solution = problem.solve(mode=instance.mode, options=IPOPT_OPTIONS)
        row["seconds"] = time.perf_counter() - start
        row.update(status=headline(solution), claimed=claimed(solution), converged=bool(solution.converged),
                   residual=float(solution.residual))
    except sq.ModelError as err:
        row.update(seconds=time.perf_counter() - start, status="MODEL ERROR", detail=str(err).splitlines()[0])
        return row
    except Exception as err:  # noqa: BLE001 - any other exception is a bug to report, with its seed
        row.update(seconds=time.perf_counter() - start, status="EXCEPTION",
                   detail=f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
        return row
    ok, why = check(instance, returned_values(solution, variables))
    row["point"] = "equilibrium" if ok else "not"
    if row["claimed"]:
        row["verdict"] = "confirmed" if ok else "WRONG"
    if not ok and (row["claimed"] or row["converged"]):
        row["detail"] = f"{instance.note}; {why}" if instance.note else why
    return row


def returned_values(solution, variables) -> np.ndarray:
    """The values of ``variables`` in the returned point (without the warning a non-converged solve gives)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.array([solution.value(v) for v in variables])


def false_denial(row) -> bool:
    """A status that says the returned point is not an equilibrium when the independent check finds it is one."""
    return "NOT AN EQUILIBRIUM" in row["status"] and row["point"] == "equilibrium"


def run(categories=None, n=100, seed=0, log=None) -> pd.DataFrame:
    """Solve ``n`` instances per category (seeds ``seed .. seed + n - 1``); one row per instance.

    ``categories``: names, or a dict ``{name: instances}`` that overrides ``n`` per category.
    """
    rows = []
    counts = categories if isinstance(categories, dict) else dict.fromkeys(categories or GENERATORS, n)
    jobs = [(category, s) for category, count in counts.items() for s in range(seed, seed + count)]
    for category, s in track(jobs, "fuzz", unit="instance", label=lambda job: f"{job[0]} seed {job[1]}"):
        rows.append(run_instance(GENERATORS[category](s)))
        kind = failure_kind(rows[-1])
        if log is not None and kind:
            log(f"{kind}: {repro(category, s)}  # {rows[-1]['detail']}")
    return pd.DataFrame(rows)


def failure_kind(row) -> str:
    """``WRONG`` (a claimed equilibrium that is not one), ``FALSE DENIAL``, ``EXCEPTION``, or '' (no failure)."""
    if row["verdict"] == "WRONG":
        return "WRONG"
    if false_denial(row):
        return "FALSE DENIAL"
    return "EXCEPTION" if row["status"] == "EXCEPTION" else ""


def repro(category, seed) -> str:
    """The one-line command that re-runs one instance and shows everything about it."""
    return f"python -m benchmarks fuzz --category {category} --seed {seed} --show"


def summarize(results: pd.DataFrame) -> pd.DataFrame:
    """Per category: instances, claimed, confirmed, silent wrong, solved % (of instances with a known
    equilibrium), the target, honest failures (no claim, no exception), model errors, exceptions, seconds."""
    out = []
    for category, group in results.groupby("category", sort=False):
        known = group[group["exists"] == True]  # noqa: E712 - exists is True, False or None
        confirmed = group["verdict"] == "confirmed"
        out.append({
            "category": category, "instances": len(group), "claimed": int(group["claimed"].sum()),
            "confirmed": int(confirmed.sum()), "silent wrong": int((group["verdict"] == "WRONG").sum()),
            "with equilibrium": len(known),
            "solved %": 100.0 * confirmed[known.index].mean() if len(known) else np.nan,
            "target %": 100.0 * TARGETS[category] if category in TARGETS else np.nan,
            "false denials": int(group.apply(false_denial, axis=1).sum()),
            "honest failures": int((~group["claimed"] & ~group["status"].isin(["MODEL ERROR", "EXCEPTION"])).sum()),
            "model errors": int((group["status"] == "MODEL ERROR").sum()),
            "exceptions": int((group["status"] == "EXCEPTION").sum()),
            "median s": float(group["seconds"].median()), "max s": float(group["seconds"].max()),
        })
    return pd.DataFrame(out).set_index("category")


def status_counts(results: pd.DataFrame) -> pd.DataFrame:
    """How many instances of each category ended in each headline status."""
    return results.groupby(["category", "status"], sort=False).size().unstack(fill_value=0)


# ---------------------------------------------------------------------- command line
def show(category, seed) -> int:
    """Print one instance, sharedeq's summary and the independent verdict."""
    instance = GENERATORS[category](seed)
    print(f"{category} seed {seed}: mode {instance.mode or '-'}, equilibrium exists: {instance.exists}; "
          f"{instance.note or ''}\n  {instance.data.describe()}")
    if instance.known_solution is not None:
        print(f"  known solution z* = {np.round(instance.known_solution, 6).tolist()}")
    problem, variables = instance.build()
    try:
        solution = problem.solve(mode=instance.mode, options=IPOPT_OPTIONS)
    except sq.ModelError as err:
        print(f"ModelError: {err}")
        return 0
    except Exception:  # noqa: BLE001 - shown in full for the bug report
        traceback.print_exc()
        return 1
    print(solution.summary())
    values = returned_values(solution, variables)
    print(f"\nvalues: {np.round(values, 8).tolist()}")
    ok, why = check(instance, values)
    if claimed(solution):
        print("independent check: " + ("confirmed" if ok else f"WRONG: {why}"))
        return 0 if ok else 1
    print(f"not claimed; the independent check of the returned point says: {'an equilibrium' if ok else why}")
    return 1 if ok and "NOT AN EQUILIBRIUM" in headline(solution) else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--category", default="all",
                        help=f"comma-separated categories, each optionally with its own count (general-lq:200), "
                             f"or 'all': {', '.join(GENERATORS)}")
    parser.add_argument("--n", type=int, default=None, help="instances per category (default 100; 1 with --show)")
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument("--show", action="store_true", help="print one instance (--seed), its solve and check")
    parser.add_argument("--csv", help="write one row per instance to this CSV file")
    args = parser.parse_args(argv)
    default = args.n or (1 if args.show else 100)
    items = list(GENERATORS) if args.category == "all" else [c.strip() for c in args.category.split(",")]
    counts = {item.partition(":")[0]: int(item.partition(":")[2] or default) for item in items}
    unknown = [c for c in counts if c not in GENERATORS]
    if unknown:
        parser.error(f"unknown categories {unknown}; choose from {list(GENERATORS)}")
    if args.show:
        return max(show(c, s) for c, count in counts.items() for s in range(args.seed, args.seed + count))
    start = time.perf_counter()
    results = run(counts, seed=args.seed, log=echo)
    if args.csv:
        results.to_csv(args.csv, index=False)
    with pd.option_context("display.width", 160, "display.max_columns", 20, "display.float_format", "{:.4g}".format):
        print(summarize(results).to_string(na_rep=""))
        print()
        print(status_counts(results).to_string())
    kinds = results.apply(failure_kind, axis=1) if len(results) else pd.Series(dtype=str)
    failures = results[kinds != ""]
    for (_, row), kind in zip(failures.iterrows(), kinds[kinds != ""], strict=True):
        print(f"{kind}: {repro(row['category'], row['seed'])}  # {row['detail']}")
    unsolved = results[(results["exists"] == True) & (results["verdict"] != "confirmed")]  # noqa: E712
    for row in unsolved.itertuples():
        print(f"UNSOLVED: {repro(row.category, row.seed)}  # {row.status}, residual {row.residual:.2g}, {row.size}")
    print(f"\n{len(results)} instances in {time.perf_counter() - start:.1f} s")
    return 1 if len(failures) else 0


if __name__ == "__main__":
    sys.exit(main())
