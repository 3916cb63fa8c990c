"""Paths and helpers shared by the pipeline tests (fixtures under tests/data/pipeline/)."""

from __future__ import annotations

import difflib
from pathlib import Path

from rdflib import Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

PIPELINE = Path(__file__).parent / "data" / "pipeline"
ROOT = PIPELINE / "root"  # a tiny project: ontology/, data/, queries/
USER = PIPELINE / "user"
SOURCES = PIPELINE / "sources"
EXPECTED = PIPELINE / "expected"
REPO = Path(__file__).resolve().parents[1]


def load_turtle(path: Path) -> Graph:
    g = Graph()
    g.parse(path, format="turtle")
    return g


def assert_isomorphic(actual: Graph, expected: Graph) -> None:
    """Assert two graphs are isomorphic, showing the triples in only one of them if not."""
    if isomorphic(actual, expected):
        return
    _both, only_actual, only_expected = graph_diff(to_isomorphic(actual), to_isomorphic(expected))
    diff = "\n".join(difflib.unified_diff(
        sorted(only_expected.serialize(format="nt").splitlines()),
        sorted(only_actual.serialize(format="nt").splitlines()),
        "expected", "actual", lineterm=""))
    raise AssertionError(f"graphs differ:\n{diff}")
