"""Network analyses of the graph: projections from SPARQL results to NetworkX, metrics,
suggested synergies and their evaluation, coverage and data gaps, exports.

A notebook calls :func:`analyse` on a Store and :func:`write_results` for the files;
``scgraph analyse``, ``scgraph plot`` and ``scgraph export-graph`` do the same from the shell.
"""

from __future__ import annotations

from .networks import heterogeneous_graph, projection
from .outputs import outputs, write_results
from .run import AnalysisResult, analyse
from .synergies import METHODS, evaluate, suggest

__all__ = ["METHODS", "AnalysisResult", "analyse", "evaluate", "heterogeneous_graph", "outputs",
           "projection", "suggest", "write_results"]
