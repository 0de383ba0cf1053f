"""Market equilibria: linear Fisher markets (sharedeq problem, Eisenberg-Gale, DPSV, max-flow certificate)."""

from .fisher import (
    DPSVError,
    EquilibriumResiduals,
    FisherMarket,
    FisherResult,
    FisherTables,
    FlowCertificate,
    dpsv,
    eisenberg_gale,
    equilibrium_residuals,
    fisher_problem,
    fisher_tables,
    max_flow_certificate,
    solve_fisher_equilibrium,
)

__all__ = [
    "DPSVError",
    "EquilibriumResiduals",
    "FisherMarket",
    "FisherResult",
    "FisherTables",
    "FlowCertificate",
    "dpsv",
    "eisenberg_gale",
    "equilibrium_residuals",
    "fisher_problem",
    "fisher_tables",
    "max_flow_certificate",
    "solve_fisher_equilibrium",
]
