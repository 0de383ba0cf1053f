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

import sys
import types

from sharedeq.errors import ModelError as ModelError
from sharedeq.errors import SolverUnavailable as SolverUnavailable

# Public names and the modules that define them. They are imported on first use (PEP 562), so that
# ``import sharedeq`` and ``sharedeq --help`` do not pay for Pyomo, casadi, pandas and scipy up front.
_EXPORTS = {
    "Certificate": "certify", "certify": "certify", "certify_agent": "certify", "vi_checks": "certify",
    "Bilevel": "bilevel", "ExtremeSolution": "extreme", "multiplier": "extreme",
    "Finding": "diagnose", "diagnose": "diagnose",
    "EmpError": "emp", "EmpInfo": "emp", "gams_name": "emp", "parse_empinfo": "emp", "problem_from_empinfo": "emp",
    "resolve_empinfo": "emp", "to_empinfo": "emp",
    "compare": "compare",
    "GamsModel": "gams", "read_gams": "gams",
    "build_mcp": "kkt",
    "MCP": "mcp", "mcp_from_pyomo": "mcp",
    "Agent": "problem", "EquilibriumProblem": "problem", "SharedConstraint": "problem", "VIPair": "problem",
    "Solution": "solution",
    "solve": "solve",
    "sweep": "sweep",
    "best_response_check": "verify", "kkt_check": "verify", "second_order_check": "verify",
}
__all__ = sorted([*_EXPORTS, "ModelError", "SolverUnavailable"])
__version__ = "0.2.0"


class _Package(types.ModuleType):
    """Importing a submodule binds it on its package: ``import sharedeq.solve`` would replace the function
    ``sharedeq.solve`` by the module of the same name (likewise ``certify`` and ``diagnose``). Keep the functions."""

    def __setattr__(self, name, value):
        if isinstance(value, types.ModuleType) and _EXPORTS.get(name) == name:
            return
        super().__setattr__(name, value)

    def __reduce__(self):
        """Pickled by name, as a plain module is: a function shipped by value to a Dask worker (``sq.sweep``) may
        refer to ``sharedeq``, and the standard reducers do not recognise this subclass of ModuleType."""
        from importlib import import_module

        return import_module, (self.__name__,)


sys.modules[__name__].__class__ = _Package


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sharedeq' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"sharedeq.{module}"), name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
