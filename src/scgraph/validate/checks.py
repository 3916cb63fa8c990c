"""Targeted SPARQL checks: the SHACL rules that matter for registry data, as SELECT queries.

pySHACL validates the curated part of the graph (thousands of triples), but it evaluates the
shapes in Python over an rdflib copy of the graph, which does not scale to the registry's
millions of triples. The registry part is checked instead by the queries of
``queries/checks/*.rq``: each states, as a SELECT, the same rules as a shape of
``ontology/shapes.ttl`` (its header names the shape) and returns one row per violation with
``?focus ?path ?component ?value``, exactly what pySHACL would report for that shape
(``tests/test_checks.py`` compares the two on a broken registry fixture). They run in the store
over the union of the asserted graphs, as pySHACL sees the data: no graph:inferred, classes
followed up rdfs:subClassOf.

Speed: a check reads each predicate it needs in one scan and joins by hashing, never with a
lookup per focus node. Oxigraph evaluates a triple pattern, a property path or FILTER (NOT)
EXISTS next to bound variables once per solution, one RocksDB seek per graph of the default
graph each time, so a check written that way costs one seek per focus node; these scan each
predicate once and join by hashing (times: ``bench/checks.py``,
docs/decisions/20261205-sparql-checks-for-the-registry.md). sh:minCount/sh:maxCount: one
GROUP BY over the rows of the class and of the paths; sh:class: MINUS of the instances;
value rules: a filtered scan. Sub-selects keep Oxigraph from turning these joins into
per-solution loops, and the few violators are then tested for the target class one by one.
:func:`run_checks` keeps the violations about things of the registry graphs, again testing
only the violators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from .. import resources
from ..catalogue import load_query
from ..errors import QueryError
from ..namespaces import GRAPH, INFERRED_GRAPH, PREFIXES, bind_prefixes
from ..store import Store
from .report import ValidationReport, ValidationResult


@dataclass(frozen=True)
class Check:
    """One check: its file stem, title, the shape it mirrors and its SPARQL."""

    name: str
    title: str
    shape: URIRef
    sparql: str


def _iri(text: str) -> URIRef:
    prefix, _, local = text.strip().partition(":")
    if prefix in PREFIXES:
        return URIRef(str(PREFIXES[prefix]) + local)
    return URIRef(text.strip().strip("<>"))


#: The named graphs whose things the checks report on (pySHACL validates the others).
REGISTRY_PREFIX = str(GRAPH["registry/"])

_SELECT = re.compile(r"^SELECT\s+\?focus\s+\?path\s+\?component\s+\?value\s+WHERE\s*\{",
                     re.IGNORECASE | re.MULTILINE)


def load_checks(directory: Path | str | None = None) -> list[Check]:
    """The checks of ``directory`` (default ``queries/checks``), by name.

    Each must be a query ``SELECT ?focus ?path ?component ?value WHERE {`` (at the start of a
    line) naming its shape in a ``# shape:`` header line; anything else raises QueryError.
    """
    directory = Path(directory) if directory is not None else resources.checks_dir()
    out = []
    for p in sorted(directory.glob("*.rq")):
        q = load_query(p)
        if not q.header.get("shape", "").strip():
            raise QueryError("a check names the shape it mirrors in a '# shape:' header line", path=p)
        if _SELECT.search(q.sparql) is None:
            raise QueryError("a check is a query 'SELECT ?focus ?path ?component ?value WHERE {' "
                             "at the start of a line", path=p)
        out.append(Check(p.stem, q.title, _iri(q.header["shape"]), q.sparql))
    return out


def registry_query(check: Check) -> str:
    """The query of ``check`` with its results kept to things described in the registry graphs.

    The check becomes a sub-select grouped by all four variables (as DISTINCT would), because a
    filter above a GROUP BY is applied to the groups: the registry test then runs once per
    violation. Above a DISTINCT, Oxigraph would push it down to every focus node.
    """
    start = _SELECT.search(check.sparql)
    if start is None:
        raise QueryError(f"check {check.name!r} is not a query 'SELECT ?focus ?path ?component ?value WHERE {{'")
    prologue, body = check.sparql[:start.start()], check.sparql[start.start():]
    return (f"{prologue}SELECT ?focus ?path ?component ?value WHERE {{\n"
            f"  {{\n{body.rstrip()}\n  GROUP BY ?focus ?path ?component ?value\n  }}\n"
            f"  FILTER EXISTS {{ GRAPH ?registryGraph {{ ?focus ?registryP ?registryO }}\n"
            f"    FILTER (STRSTARTS(STR(?registryGraph), \"{REGISTRY_PREFIX}\")) }}\n}}\n")


def run_checks(store: Store, checks: list[Check] | None = None) -> list[ValidationResult]:
    """Every violation the checks find about things of the registry graphs of ``store``,
    sorted as pySHACL results are."""
    named = store.named_graphs()
    if not any(str(g).startswith(REGISTRY_PREFIX) for g in named):
        return []
    asserted = [g for g in named if g != INFERRED_GRAPH]
    results = set()
    for check in checks if checks is not None else load_checks():
        res = store.query(registry_query(check), graphs=asserted)  # type: ignore[call-arg]
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
