"""Importers: one module per outside format, each turning files into quads of its own named graph."""

from __future__ import annotations

from .cordis import (
    REGISTRY_GRAPH,
    ImportReport,
    ImportResult,
    RejectedRow,
    format_report,
    import_cordis,
    iter_cordis_quads,
    load_cordis_into_oxigraph,
    run_import_cordis,
    write_cordis_nquads,
)
from .filters import FilterRules

__all__ = [
    "REGISTRY_GRAPH",
    "FilterRules",
    "ImportReport",
    "ImportResult",
    "RejectedRow",
    "format_report",
    "import_cordis",
    "iter_cordis_quads",
    "load_cordis_into_oxigraph",
    "run_import_cordis",
    "write_cordis_nquads",
]
