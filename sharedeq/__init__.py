"""sharedeq: generalized Nash equilibria with shared constraints, and the MCPs they form, on Pyomo.

Declare agents on a Pyomo model, say which constraints they share and in which mode, and solve with Ipopt
(bundled with casadi) through a complementarity reformulation; no PATH solver needed::

    problem = sharedeq.EquilibriumProblem(model)
    problem.add_agent("1", objective=model.obj1, variables=model.x[1])
    ...
    problem.add_shared(model.cap)
    solution = problem.solve(mode="ve")
    print(solution.summary())
"""

from sharedeq.certify import Certificate, certify, certify_agent
from sharedeq.diagnose import Finding, diagnose
from sharedeq.emp import EmpError, EmpInfo, gams_name, parse_empinfo, problem_from_empinfo, resolve_empinfo, to_empinfo
from sharedeq.errors import ModelError, SolverUnavailable
from sharedeq.kkt import build_mcp
from sharedeq.mcp import MCP
from sharedeq.problem import Agent, EquilibriumProblem, SharedConstraint, VIPair
from sharedeq.solution import Solution
from sharedeq.solve import solve
from sharedeq.verify import best_response_check, kkt_check, second_order_check

__all__ = [
    "Agent", "Certificate", "EmpError", "EmpInfo", "EquilibriumProblem", "Finding", "MCP", "ModelError",
    "SharedConstraint", "Solution", "SolverUnavailable", "certify", "certify_agent", "diagnose",
    "VIPair", "best_response_check", "build_mcp", "gams_name", "kkt_check",
    "parse_empinfo", "problem_from_empinfo", "resolve_empinfo", "second_order_check", "solve", "to_empinfo",
]
__version__ = "0.1.0"
