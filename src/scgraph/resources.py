"""Where the project's own files live: the ontology, the questions and the curated data.

They are package data (``src/scgraph/ontology``, ``queries``, ``data``; the checkout's top-level
``ontology/``, ``queries/`` and ``data/`` are links to them), read through
:mod:`importlib.resources`, so a wheel installed anywhere builds the same graph as the checkout.
``SCGRAPH_HOME`` names another folder with the same three sub-folders (a fork of the curated
data, say); every command that takes ``root`` can also be given one.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from .errors import SourceError

#: The sub-folders a project root holds.
PARTS = ("ontology", "queries", "data")


def package_root() -> Path:
    """The installed package's own folder, which holds ``ontology/``, ``queries/`` and ``data/``.

    scgraph reads its data as files (pySHACL, Oxigraph and rdflib take paths), so the package
    must be installed as a folder, as pip installs a wheel; a zipped package is refused.
    """
    root = files("scgraph")
    if not isinstance(root, Path):
        raise SourceError(f"scgraph is installed as {root!r}, not as a folder; install it with pip")
    return root


def project_root() -> Path:
    """The folder that holds ``ontology/``, ``data/`` and ``queries/``: ``SCGRAPH_HOME`` when it is
    set, else the package's own (:func:`package_root`)."""
    env = os.environ.get("SCGRAPH_HOME")
    root = Path(env) if env else package_root()
    missing = [p for p in ("ontology", "queries") if not (root / p).is_dir()]
    if missing:
        where = f"SCGRAPH_HOME={env}" if env else f"the installed package {root}"
        raise SourceError(f"{where} has no {' and no '.join(m + '/' for m in missing)} folder")
    return root


def ontology_dir() -> Path:
    return project_root() / "ontology"


def data_dir() -> Path:
    return project_root() / "data"


def queries_dir() -> Path:
    return project_root() / "queries"


def checks_dir() -> Path:
    """The SPARQL checks of the registry (one ``.rq`` per shape they mirror)."""
    return queries_dir() / "checks"


def filters_dir() -> Path:
    """The CORDIS import filters (``--filter NAME`` reads ``NAME.toml`` here)."""
    return data_dir() / "filters"


def checkout_root() -> Path:
    """The source checkout (for the developer tools that write ``docs/``); an error when scgraph
    is installed from a wheel."""
    root = package_root().parents[1]
    if not (root / "pyproject.toml").is_file() or not (root / "docs").is_dir():
        raise SourceError(f"{root} is not an scgraph checkout (no pyproject.toml and docs/)")
    return root
