"""Importers: one module per outside format, each turning files into quads of its own named graph.

Shared by every importer: :mod:`.text` (cleaning outside text), :mod:`.terms` (the light terms
importers stream), :mod:`.sink` (where an import goes, all or nothing) and :mod:`.filters`
(rules that pick the projects of a field). One package per format: :mod:`.cordis`.
"""

from __future__ import annotations

from .cordis import (
    REGISTRY_GRAPH,
    ImportReport,
    ImportResult,
    RejectedRow,
    format_report,
    import_cordis,
    import_into,
    iter_cordis_quads,
    load_cordis_into_oxigraph,
    run_import_cordis,
    write_cordis_nquads,
)
from .filters import FilterRules
from .sink import Sink, sink_for

__all__ = [
    "REGISTRY_GRAPH",
    "FilterRules",
    "ImportReport",
    "ImportResult",
    "RejectedRow",
    "Sink",
    "format_report",
    "import_cordis",
    "import_into",
    "iter_cordis_quads",
    "load_cordis_into_oxigraph",
    "run_import_cordis",
    "sink_for",
    "write_cordis_nquads",
]
