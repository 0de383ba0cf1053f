"""Errors that sharedeq raises for bad input, phrased in the names the user wrote."""


class ModelError(ValueError):
    """The equilibrium problem as declared cannot be solved: the message says what and where.

    Raised for modelling mistakes (a variable owned by two agents, an agent without an objective, an unknown
    mode, an expression the backend cannot translate, ...). It names Pyomo components as the user wrote them
    (``x[2]``, ``cons[1]``) and says what to change.
    """


class SolverUnavailable(RuntimeError):
    """The requested solver route is not installed on this machine (e.g. no ``ipopt`` executable)."""
