"""Solver routes for the relaxed NLP: one module per route, chosen by name."""

from sharedeq.errors import ModelError


def get_backend(name):
    """The backend class called ``name``: 'casadi' (default, Ipopt from casadi's wheel) or 'pyomo'."""
    if name == "casadi":
        from sharedeq.backends.casadi_ipopt import CasadiIpopt

        return CasadiIpopt
    if name == "pyomo":
        from sharedeq.backends.pyomo_ipopt import PyomoIpopt

        return PyomoIpopt
    raise ModelError(f"unknown backend {name!r}: use 'casadi' (Ipopt bundled with casadi) or 'pyomo' "
                     f"(an ipopt executable through Pyomo's SolverFactory)")
