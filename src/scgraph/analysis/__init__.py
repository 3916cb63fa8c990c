"""Network analyses of the graph: projections from SPARQL results to NetworkX, metrics,
suggested synergies and their evaluation, coverage and data gaps, figures and exports.

A notebook calls :func:`analyse` on a Store and :func:`write_results` for the files;
``scgraph analyse``, ``scgraph plot`` and ``scgraph export-graph`` do the same from the shell.
The names below are imported on first use, so that ``scgraph.analysis.params`` (what the CLI
needs to declare its options) loads without NetworkX, SciPy or igraph.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "METHODS": "params",
    "AnalysisResult": "run",
    "analyse": "run",
    "evaluate": "synergies",
    "suggest": "synergies",
    "heterogeneous_graph": "networks",
    "projection": "networks",
    "outputs": "output_files",
    "write_results": "output_files",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{home}", __name__), name)
