"""Targeted SPARQL checks: the SHACL rules that matter for registry data, as SELECT queries.

pySHACL validates the curated part of the graph (thousands of triples) in seconds but would
take hours over millions of registry triples. The registry part is checked instead by the
queries of ``queries/checks/*.rq``: each states, as a SELECT, the same rules as a shape of
``ontology/shapes.ttl`` (its header names the shape) and returns one row per violation with
``?focus ?path ?component ?value``, exactly what pySHACL would report for that shape
(``tests/test_checks.py`` compares the two on a broken registry fixture). They run in the store,
over the union of the asserted graphs (as pySHACL sees the data: no graph:inferred, classes
followed up rdfs:subClassOf), on the things of the registry graphs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from . import io
from .catalogue import parse_query
from .namespaces import INFERRED_GRAPH, PREFIXES, bind_prefixes
from .store import Store
from .validate import ValidationReport, ValidationResult


@dataclass(frozen=True)
class Check:
    """One check: its file stem, title, the shape it mirrors and its SPARQL."""

    name: str
    title: str
    shape: URIRef
    sparql: str


def checks_dir() -> Path:
    return io.queries_dir() / "checks"


def _iri(text: str) -> URIRef:
    prefix, _, local = text.strip().partition(":")
    if prefix in PREFIXES:
        return URIRef(str(PREFIXES[prefix]) + local)
    return URIRef(text.strip().strip("<>"))


def load_checks(directory: Path | str | None = None) -> list[Check]:
    """The checks of ``directory`` (default ``queries/checks``), by name."""
    directory = Path(directory) if directory is not None else checks_dir()
    out = []
    for p in sorted(directory.glob("*.rq")):
        q = parse_query(io.decode_utf8(io.read_bytes(p), p), p.stem, p)
        out.append(Check(p.stem, q.title, _iri(q.header.get("shape", "")), q.sparql))
    return out


def run_checks(store: Store, checks: list[Check] | None = None) -> list[ValidationResult]:
    """Every violation the checks find in ``store``, sorted as pySHACL results are."""
    asserted = [g for g in store.named_graphs() if g != INFERRED_GRAPH]
    results = set()
    for check in checks if checks is not None else load_checks():
        res = store.query(check.sparql, graphs=asserted)  # type: ignore[call-arg]
        for row in res.rows:
            values = dict(zip(res.vars, row))
            results.add(ValidationResult(
                focus=values["focus"], path=values.get("path"), severity=SH.Violation,  # type: ignore[arg-type]
                component=values["component"], message=check.title,  # type: ignore[arg-type]
                source_shape=check.shape, value=values.get("value")))
    return sorted(results, key=ValidationResult.sort_key)


def merge_reports(curated: ValidationReport, registry: list[ValidationResult]) -> ValidationReport:
    """The curated report (pySHACL) plus the registry results of the checks, as one report."""
    results = sorted([*curated.results, *registry], key=ValidationResult.sort_key)
    conforms = not any(r.severity == SH.Violation for r in results)
    graph = bind_prefixes(Graph())
    for t in curated.graph:
        graph.add(t)
    report = next(graph.subjects(RDF.type, SH.ValidationReport), None) or BNode()
    graph.add((report, RDF.type, SH.ValidationReport))
    graph.set((report, SH.conforms, Literal(conforms)))
    for r in registry:
        node = BNode()
        graph.add((report, SH.result, node))
        graph.add((node, RDF.type, SH.ValidationResult))
        graph.add((node, SH.focusNode, r.focus))
        if r.path is not None:
            graph.add((node, SH.resultPath, r.path))
        graph.add((node, SH.resultSeverity, r.severity))
        graph.add((node, SH.sourceConstraintComponent, r.component))
        graph.add((node, SH.sourceShape, r.source_shape))
        graph.add((node, SH.resultMessage, Literal(r.message)))
        if r.value is not None:
            graph.add((node, SH.value, r.value))
    return ValidationReport(conforms=conforms, results=results, graph=graph)
