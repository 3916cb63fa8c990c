"""scgraph: a knowledge graph of the EU's smart-city projects, initiatives and their synergies.

The package is a pipeline of small stages (see docs/pipeline.md)::

    import -> assemble (build) -> infer (reason) -> validate -> publish -> use

Each stage is a function on rdflib objects that a notebook can call; ``scgraph.cli`` is a
thin shell over them.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("scgraph")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
