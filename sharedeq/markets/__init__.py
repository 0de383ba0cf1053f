"""Market equilibria: linear Fisher markets (Eisenberg-Gale, DPSV, max-flow certificate)."""

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
    fisher_tables,
    max_flow_certificate,
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
    "fisher_tables",
    "max_flow_certificate",
]
