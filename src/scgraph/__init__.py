"""scgraph: a knowledge graph of the EU's smart-city projects, initiatives and their synergies.

The package is a pipeline of stages, one module or sub-package each, in this order (docs/pipeline.md;
no stage imports a later one, ``tests/test_architecture.py``)::

    importers -> assemble -> reason -> validate -> publish -> build -> analysis, server

below them the foundation every stage shares (errors, namespaces, resources, files, parse,
terms, layout, store, catalogue), above them the command line (``scgraph.cli``). Each stage is
a function on rdflib or pyoxigraph objects that a notebook can call.
"""

from __future__ import annotations

from typing import Any

__all__ = ["__version__"]


def __getattr__(name: str) -> Any:
    # The version is looked up on first use: importlib.metadata scans every installed
    # distribution, which a command that does not print the version should not pay for.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("scgraph")
        except PackageNotFoundError:  # running from a source tree that was not installed
            value = "0.0.0"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
