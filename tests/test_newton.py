"""The active-set Newton polish: safe LU factorisations, and statuses that say what was achieved."""

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import structural_rank

from sharedeq import newton
from sharedeq.mcp import MCP
from sharedeq.newton import NOT_FINITE, SOLVED, STALLED, newton_polish, sparse_lu
from sharedeq.reformulate import relax

ROOT = Path(__file__).resolve().parents[1]


def kojshin(x):
    """MCPLIB's kojshin (Kojima and Shindo), an NCP ``F(x) _|_ x >= 0`` with the solutions (1, 0, 3, 0) and
    (sqrt(6)/2, 0, 0, 1/2), the second degenerate (x3 = 0 = F3)."""
    return [3 * x[0] ** 2 + 2 * x[0] * x[1] + 2 * x[1] ** 2 + x[2] + 3 * x[3] - 6,
            2 * x[0] ** 2 + x[0] + x[1] ** 2 + 10 * x[2] + 2 * x[3] - 2,
            3 * x[0] ** 2 + x[0] * x[1] + 2 * x[1] ** 2 + 2 * x[2] + 9 * x[3] - 9,
            x[0] ** 2 + 3 * x[1] ** 2 + 2 * x[2] + 3 * x[3] - 3]


def kojshin_mcp():
    return MCP.from_functions(kojshin, 0.0, np.inf, names=["x1", "x2", "x3", "x4"])


def relaxed_point(mcp, nlp, z, at_bound):
    """A relaxed NLP point at ``z`` whose active set is ``at_bound`` (slack 1 there, 0 elsewhere)."""
    x = nlp.start(mcp, np.asarray(z, float))
    has_plus = nlp.plus >= 0
    x[nlp.plus[has_plus]] = np.where(np.asarray(at_bound)[has_plus], 1.0, 0.0)
    return x


@pytest.fixture
def superlu_sees_only_structurally_nonsingular(monkeypatch):
    """Fail the test if SuperLU is ever handed a structurally singular matrix; count its calls."""
    calls = []
    original = newton.spla.splu

    def checked(A, **options):
        calls.append(A.shape)
        assert structural_rank(sp.csc_matrix(A)) == A.shape[0], "SuperLU got a structurally singular matrix"
        return original(A, **options)

    monkeypatch.setattr(newton.spla, "splu", checked)
    return calls


def test_sparse_lu_refuses_what_superlu_cannot_take(superlu_sees_only_structurally_nonsingular):
    calls = superlu_sees_only_structurally_nonsingular
    structurally_singular = sp.csc_matrix([[1.0, 0, 0], [1.0, 0, 0], [0, 2.0, 3.0]])   # columns 2, 3 share row 3
    assert structural_rank(structurally_singular) == 2
    assert sparse_lu(structurally_singular) is None and not calls
    assert sparse_lu(sp.csc_matrix([[1.0, np.nan], [0, 1.0]])) is None and not calls
    assert sparse_lu(sp.csc_matrix((0, 0))) is None and not calls
    assert sparse_lu(sp.csc_matrix(np.ones((2, 3)))) is None and not calls
    assert sparse_lu(sp.csc_matrix([[1.0, 1.0], [1.0, 1.0]])) is None and calls   # numerically singular: tried
    A = sp.csc_matrix([[4.0, 1.0, 0], [1.0, 3.0, 1.0], [0, 1.0, 2.0]])
    assert np.allclose(sparse_lu(A).solve(np.array([5.0, 5.0, 3.0])), [1.0, 1.0, 1.0], atol=1e-14)


def test_structurally_singular_jacobian_gets_the_minimum_norm_step(superlu_sees_only_structurally_nonsingular):
    """A consistent system with a structurally singular J: the step is the least-norm solution pinv(J) (-F)."""
    J = sp.csc_matrix([[1.0, 0, 0], [2.0, 0, 0], [0, 1.0, 1.0]])
    F = np.array([-1.0, -2.0, -4.0])
    dz = newton._step(J, F, 1e-14)
    assert np.allclose(dz, np.linalg.pinv(J.toarray()) @ -F, atol=1e-10)
    assert np.allclose(dz, [1.0, 2.0, 2.0], atol=1e-10)


def test_correct_active_sets_solve_kojshin(superlu_sees_only_structurally_nonsingular):
    mcp = kojshin_mcp()
    nlp = relax(mcp)
    for at_bound, start, solution in (
            ([False, True, False, True], [0.8, 0.0, 2.5, 0.0], [1.0, 0.0, 3.0, 0.0]),
            ([False, True, True, False], [1.0, 0.0, 0.0, 1.0], [math.sqrt(6) / 2, 0.0, 0.0, 0.5])):
        result = newton_polish(mcp, nlp, relaxed_point(mcp, nlp, start, at_bound))
        assert result.solved and result.equations == SOLVED and result.status == "newton: MCP solved"
        assert np.allclose(result.z, solution, atol=1e-13) and result.mcp_residual < 1e-13


def test_wrong_active_set_is_not_called_converged():
    """x1 = x2 = 0 fixed: F3 = F4 = 0 give x = (0, 0, 0, 1) exactly, where F1 = -3 < 0 at x1's bound."""
    mcp = kojshin_mcp()
    nlp = relax(mcp)
    result = newton_polish(mcp, nlp, relaxed_point(mcp, nlp, [0.0, 0.0, 0.5, 0.5], [True, True, False, False]))
    assert result.equations == SOLVED and result.equations_residual < 1e-14
    assert np.allclose(result.z, [0.0, 0.0, 0.0, 1.0], atol=1e-14)
    assert not result.solved and result.wrong_active_set
    assert result.mcp_residual == pytest.approx(3.0, abs=1e-12) and result.worst == "x1"
    assert result.status == ("newton: solved the active-set equations, but the MCP residual is 3.0e+00 at x1 "
                             "(wrong active set)")


def test_non_finite_function_is_reported():
    mcp = MCP.from_functions(lambda z: [z[0] ** 0.5 - 1.0], [-1.0], np.inf)
    nlp = relax(mcp)
    result = newton_polish(mcp, nlp, relaxed_point(mcp, nlp, [-0.5], [False]))
    assert result.equations == NOT_FINITE and not result.solved and math.isinf(result.mcp_residual)
    assert result.status.startswith("newton: F or its Jacobian is not finite")


def test_inconsistent_equations_stall_and_say_so(superlu_sees_only_structurally_nonsingular):
    """z1 + z2 = 1 and z1 + z2 = 2 (free): J is singular, the least-squares steps stop at residual 1/2."""
    mcp = MCP.from_functions(lambda z: [z[0] + z[1] - 1, z[0] + z[1] - 2], -np.inf, np.inf, z0=[0.0, 0.0])
    nlp = relax(mcp)
    result = newton_polish(mcp, nlp, nlp.start(mcp, mcp.z0))
    assert result.equations == STALLED and not result.solved
    assert result.equations_residual == pytest.approx(0.5, abs=1e-9)
    assert result.status.startswith("newton: active-set equations at 5.0e-01 (no further decrease)")


def test_polish_rows_claim_a_solution_only_when_the_mcp_residual_says_so():
    """kojshin from MCPLIB's 6th start (0, 1, 1, 0): the Newton rows say "MCP solved" exactly when it is."""
    import sharedeq as sq

    mcp = MCP.from_functions(kojshin, 0.0, np.inf, z0=[0.0, 1.0, 1.0, 0.0])
    steps = sq.solve(mcp).steps.to_dict("records")
    newton_rows = [s for s in steps if str(s["ipopt_status"]).startswith("newton:")]
    assert newton_rows
    for row in newton_rows:
        assert ("MCP solved" in row["ipopt_status"]) == (row["residual"] <= 1e-8), row


def test_fisher_market_with_structurally_singular_jacobians_does_not_crash():
    """A 60 x 30 market at density 0.5 hands Newton structurally singular Jacobians (before the guard SuperLU
    read uninitialised memory; with glibc's MALLOC_PERTURB_ the process died with SIGSEGV every time)."""
    script = ("from sharedeq.markets.fisher import FisherMarket, solve_fisher_equilibrium, equilibrium_residuals\n"
              "solve_fisher_equilibrium(FisherMarket([[2, 1], [1, 2]], [1, 3]))\n"
              "market = FisherMarket.random(60, 30, 0, density=0.5)\n"
              "r = solve_fisher_equilibrium(market)\n"
              "print(r.success, float(equilibrium_residuals(market, r.prices, r.allocation).max))\n")
    env = {**os.environ, "MALLOC_PERTURB_": "165"}
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "DGEMV" not in run.stderr and "illegal value" not in run.stdout + run.stderr
    success, residual = run.stdout.split()[-2:]
    assert success == "True" and float(residual) < 1e-8
