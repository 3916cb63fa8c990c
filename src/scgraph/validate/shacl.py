"""Validate with SHACL: data against the shapes (``ontology/shapes.ttl``) with pySHACL.

SHACL-SPARQL constraints run (pySHACL's ``advanced`` mode), and the ontology is mixed into the
data graph so that class targets follow ``rdfs:subClassOf``.

``scgraph validate`` (:func:`validate_files`) is interactive, so it does no work whose results
it would throw away: the parsed shapes, ontology and reference data come from a per-user cache
(:mod:`.cache`), and only the file's own things are validated against the shapes that target
them (:func:`_only_these_targets`), which gives exactly the results about them that validating
everything gives.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from pathlib import Path

from rdflib import BNode, Dataset, Graph, Literal
from rdflib.namespace import RDF, SH
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.processor import SPARQLProcessor
from rdflib.term import Node

from .. import parse, resources, sparql_guard
from ..assemble import add_provenance, data_graphs, graph_name, is_shapes_file, load_base, merge, named_graphs
from ..errors import QueryError, ShapesError, SourceError
from ..namespaces import ONTOLOGY_GRAPH, bind_prefixes
from . import cache
from .report import ValidationReport, ValidationResult

_PREPARED_LOCK = threading.Lock()
_PREPARED_USERS = 0


@contextmanager
def _prepared_queries() -> Iterator[None]:
    """While open, rdflib parses each distinct SPARQL query text once.

    pySHACL sends a SHACL-SPARQL constraint's text to rdflib once per focus node, and rdflib
    parses it every time, so parsing grows with the focus nodes and dominates validation.
    Parsing once and evaluating the prepared query with each focus node's
    bindings is rdflib's own documented use of ``prepareQuery``; the answers are the same.
    """
    global _PREPARED_USERS
    original = SPARQLProcessor.query
    cache: dict[tuple, object] = {}

    def query(self, strOrQuery, initBindings=None, initNs=None, base=None, DEBUG=False):  # type: ignore[no-untyped-def]
        if isinstance(strOrQuery, str):
            key = (strOrQuery, base, tuple(sorted((k, str(v)) for k, v in (initNs or {}).items())))
            prepared = cache.get(key)
            if prepared is None:
                prepared = cache[key] = translateQuery(parseQuery(strOrQuery), base, initNs)
            strOrQuery = prepared
        return original(self, strOrQuery, initBindings, initNs, base, DEBUG)

    with _PREPARED_LOCK:
        _PREPARED_USERS += 1
        if _PREPARED_USERS == 1:
            SPARQLProcessor.query = query  # type: ignore[method-assign]
    try:
        yield
    finally:
        with _PREPARED_LOCK:
            _PREPARED_USERS -= 1
            if _PREPARED_USERS == 0:
                SPARQLProcessor.query = original  # type: ignore[method-assign]


# --------------------------------------------------------------------------- shapes


def load_shapes(path: Path | str | None = None) -> Graph:
    """Parse the shapes file (default: every ``ontology/*shapes*.ttl``); problems raise ShapesError."""
    paths = [Path(path)] if path is not None else sorted(resources.ontology_dir().glob("*shapes*.ttl"))

    def build() -> Graph:
        g = Graph()
        try:
            for p in paths:
                parse.parse_into(g, p)
        except SourceError as e:
            raise ShapesError(f"cannot load the shapes: {e.message}", path=e.path, line=e.line) from None
        _guard_sparql(g, paths)
        return bind_prefixes(g)

    # the prefixes are kept: pySHACL writes the shapes graph's prefixed names into messages
    return cache.cached_graph("shapes", paths, build, keep_namespaces=True)


def load_base_graph(root: Path) -> Graph:
    """The ontology and the reference data of ``root`` (:func:`scgraph.assemble.load_base`) merged
    into one fresh Graph, from the cache when it holds them."""
    files = [p for p in sorted((root / "ontology").glob("*.ttl")) if not is_shapes_file(p)]
    reference = root / "data" / "reference"
    files += sorted(reference.glob("*.ttl")) if reference.is_dir() else []

    def build() -> Graph:
        ds = Dataset()
        load_base(ds, root)
        return merge(ds, named_graphs(ds))

    return cache.cached_graph("base", files, build)


def _guard_sparql(g: Graph, paths: Sequence[Path]) -> None:
    """Refuse SHACL-SPARQL text that would make pySHACL (rdflib's engine) leave the process:
    ``SERVICE``, ``LOAD``, ``FROM``/``USING`` IRIs it would fetch, or nesting too deep to parse
    (:func:`scgraph.sparql_guard.check`)."""
    where = paths[0] if len(paths) == 1 else None
    for prop in (SH.select, SH.ask, SH.construct, SH.update):
        for text in g.objects(None, prop):
            try:
                sparql_guard.check(str(text), fetches_dataset=True, what="SHACL-SPARQL constraint")
            except QueryError as e:
                raise ShapesError(f"cannot load the shapes: {e.message}", path=where) from None


# --------------------------------------------------------------------------- validation


def _results(report: Graph) -> list[ValidationResult]:
    out = []
    for node in report.subjects(RDF.type, SH.ValidationResult):
        if (None, SH.detail, node) in report:
            continue  # a nested detail of another result
        message = report.value(node, SH.resultMessage)
        out.append(ValidationResult(
            focus=report.value(node, SH.focusNode),
            path=report.value(node, SH.resultPath),
            severity=report.value(node, SH.resultSeverity),
            component=report.value(node, SH.sourceConstraintComponent),
            message=" ".join(str(message).split()) if message is not None else "",
            source_shape=report.value(node, SH.sourceShape),
            value=report.value(node, SH.value),
        ))
    return sorted(out, key=ValidationResult.sort_key)


def _subtree(g: Graph, node: Node, out: Graph) -> None:
    """Copy ``node``'s triples into ``out``, following blank nodes (its CBD)."""
    for p, o in g.predicate_objects(node):
        out.add((node, p, o))
        if isinstance(o, BNode):
            _subtree(g, o, out)


def _report_graph(report: Graph, keep: set[Node], conforms: bool) -> Graph:
    """A report graph with only the top-level results in ``keep`` and our conformance."""
    out = bind_prefixes(Graph())
    root = BNode()
    out.add((root, RDF.type, SH.ValidationReport))
    out.add((root, SH.conforms, Literal(conforms)))
    for r in keep:
        out.add((root, SH.result, r))
        _subtree(report, r, out)
    return out


def validate(data: Graph | Dataset, shapes: Graph | None = None, ontology: Graph | None = None,
             inference: str = "none", *, focus: Iterable[Node] | None = None) -> ValidationReport:
    """Validate ``data`` against ``shapes`` (default: :func:`load_shapes`).

    A Dataset is validated as the union of its data graphs, with its ontology graph as
    ``ontology`` unless one is given. The ontology (axioms and vocabularies) is added to the
    data, so class targets follow ``rdfs:subClassOf`` and ``sh:class`` sees concept types. ``focus`` limits the report to results about those nodes.
    """
    if isinstance(data, Dataset):
        if ontology is None:
            ontology = merge(data, [ONTOLOGY_GRAPH])
        data = merge(data, data_graphs(data))
    if shapes is None:
        shapes = load_shapes()
    # The whole ontology graph goes into a scratch copy of the data, not through pySHACL's
    # ont_graph, which copies class and property axioms only: sh:class must also see the
    # types of the vocabularies' concepts (a theme is an scg:Theme).
    scratch = Graph()
    for g in (data, ontology) if ontology is not None else (data,):
        for t in g:
            scratch.add(t)
    shapes_key = cache.entry_key(shapes)
    if focus is None and shapes_key is not None:
        digest = cache.data_digest(scratch)
        if digest is not None:  # the same data and shapes: the report of the last validation
            return _report(cache.cached_report(shapes_key, inference, digest,
                                               lambda: _validate_scratch(scratch, shapes, inference, None).graph))
    return _validate_scratch(scratch, shapes, inference, focus)


def _report(graph: Graph) -> ValidationReport:
    """The report of a report graph (its conformance set from its results: only violations
    make data not conform)."""
    results = _results(graph)
    conforms = not any(r.severity == SH.Violation for r in results)
    graph.set((next(graph.subjects(RDF.type, SH.ValidationReport)), SH.conforms, Literal(conforms)))
    return ValidationReport(conforms=conforms, results=results, graph=graph)


#: The nodes that the shapes' own targets are cut down to, while a validation runs with them.
_TOP_LEVEL_FOCUS: ContextVar[frozenset[Node] | None] = ContextVar("scgraph_top_level_focus", default=None)
_TARGETS_LOCK = threading.Lock()
_TARGETS_WRAPPED = False


@contextmanager
def _only_these_targets(nodes: Iterable[Node]) -> Iterator[None]:
    """While open (in this thread or task), each shape validates only those of its target nodes
    that are in ``nodes``.

    pySHACL asks a shape for its target nodes (``Shape.focus_nodes``) only for the shapes it
    starts from; a shape reached through another (``sh:node``, ``sh:property``, ``sh:or``, ...)
    is given its value nodes, which stay whole. Every top-level result names the target node its
    shape started from as ``sh:focusNode``, and what is found about one node does not depend on
    which other nodes are validated, so the results about ``nodes`` are exactly those of a
    validation of every target. (pySHACL's own ``focus_nodes`` option is not that: it also cuts
    the value nodes of nested shapes, and loses their violations.) SHACL rules also ask for
    target nodes, so a caller with rules (``sh:rule``) must not use this. The wrapper of
    ``Shape.focus_nodes`` is installed once; outside this context it changes nothing.
    """
    global _TARGETS_WRAPPED
    with _TARGETS_LOCK:
        if not _TARGETS_WRAPPED:
            from pyshacl.shape import Shape

            original = Shape.focus_nodes

            def focus_nodes(self, data_graph, debug=False):  # type: ignore[no-untyped-def]
                found = original(self, data_graph, debug=debug)
                only = _TOP_LEVEL_FOCUS.get()
                return found if only is None else {n for n in found if n in only}

            Shape.focus_nodes = focus_nodes  # type: ignore[method-assign]
            _TARGETS_WRAPPED = True
    token = _TOP_LEVEL_FOCUS.set(frozenset(nodes))
    try:
        yield
    finally:
        _TOP_LEVEL_FOCUS.reset(token)


def _validate_scratch(scratch: Graph, shapes: Graph, inference: str, focus: Iterable[Node] | None,
                      *, restrict: bool = True) -> ValidationReport:
    """Run pySHACL on ``scratch`` (which it may change) and keep the results about ``focus``.

    With ``restrict`` (and no SHACL rules in ``shapes``), only the shapes' targets in ``focus``
    are validated (:func:`_only_these_targets`); the results are the same either way.
    """
    import pyshacl

    focus_set = set(focus) if focus is not None else None
    narrow = (_only_these_targets(focus_set)
              if restrict and focus_set is not None and (None, SH.rule, None) not in shapes
              else nullcontext())
    try:
        with _prepared_queries(), narrow:
            _, report, _ = pyshacl.validate(
                scratch, shacl_graph=shapes, inference=inference,
                advanced=True, allow_warnings=True, allow_infos=True, inplace=True,
            )
    except Exception as e:  # pySHACL raises its own errors for broken shapes
        text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ShapesError(f"the shapes cannot be used: {text}") from None
    assert isinstance(report, Graph)
    nodes = []
    for node in report.subjects(RDF.type, SH.ValidationResult):
        if (None, SH.detail, node) in report:
            continue
        if focus_set is None or report.value(node, SH.focusNode) in focus_set:
            nodes.append(node)
    return _report(_report_graph(report, set(nodes), conforms=True))


def validate_files(paths: Sequence[Path | str], *, shapes: Graph | None = None,
                   root: Path | None = None) -> ValidationReport:
    """Validate user files, with the project's ontology and reference data loaded alongside.

    Each file is read like a source file (its things get ``scg:statedIn`` its source
    document, if it declares one). Only results about subjects of the files are reported.
    """
    root = Path(root) if root is not None else resources.project_root()
    if shapes is None:
        shapes = load_shapes(root / "ontology" / "shapes.ttl")
    ds = Dataset()
    user_graphs = []
    for p in paths:
        name = graph_name("source", Path(p))
        g = Graph()
        parse.parse_into(g, p)
        target = ds.graph(name)
        for t in g:
            target.add(t)
        user_graphs.append(name)
    # add_provenance looks at each source graph alone, so the reference graphs need not be there
    add_provenance(ds)
    subjects = {s for n in user_graphs for s in ds.graph(n).subjects()}
    # validate(ds) would merge the data graphs and the ontology into a scratch graph: the same
    # union, with the ontology and reference data parsed once per user (load_base_graph)
    scratch = load_base_graph(root)
    for n in user_graphs:
        for t in ds.graph(n):
            scratch.add(t)
    return _validate_scratch(scratch, shapes, "none", subjects)
