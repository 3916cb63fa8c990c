"""Infer: OWL RL reasoning over the ontology and the data, into the named graph ``graph:inferred``.

The inferred graph holds instance-level facts only: the types, super-properties, inverses and
transitive closures of the things in the data. Schema-level entailments (about classes and
properties themselves) and OWL RL's bookkeeping (``x owl:sameAs x``, ``x a owl:Thing``) are
left out; they are noise for a reader of the graph.

Three engines give the same inferred graph (``tests/test_reason_engines.py`` proves it on the
curated graph and on a CORDIS-shaped fixture):

- ``owlrl``: the reference, pure Python, every OWL RL rule; slow beyond ~10^4 triples;
- ``reasonable``: a Rust OWL 2 RL reasoner (PyPI ``reasonable``), fed an rdflib Graph;
- ``sparql``: only the rules the ontology uses (sub-class, sub-property, inverse, symmetric,
  transitive, functional, domain, range, ``owl:sameAs``; disjointness, ``owl:Nothing`` and
  ``owl:differentFrom`` checked) as SPARQL ``CONSTRUCT`` queries, their answers bulk-loaded, to a fixpoint inside
  Oxigraph (:func:`materialise`); an ontology using any other OWL construct is refused.
  :func:`infer_store` runs it in place in a store, which is how large graphs are built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import owlrl
import pyoxigraph as ox
from owlrl.Namespaces import ERRNS
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, XSD

from ..assemble import data_graphs, merge
from ..errors import InconsistencyError, ReasoningError, UnsupportedOntology
from ..namespaces import (
    GRAPH,
    INFERRED_GRAPH,
    METADATA_GRAPH,
    ONTOLOGY_GRAPH,
)
from ..terms import from_ox, plain, to_ox
from .keep import check_mode, keep
from .rules import (
    MaterialiseResult,
    Schema,
    _raise_inconsistent,
    _schema,
    lean_rule,
    materialise,
    materialise_endpoint,
)

#: Where the registry graphs are: a lean inferred graph keeps less of what they entail.
REGISTRY_PREFIX = str(GRAPH["registry/"])

def _owlrl_closure(g: Graph) -> Graph:
    """Expand ``g`` in place with owlrl's OWL RL rules; raise on inconsistency."""
    owlrl.DeductiveClosure(
        owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False
    ).expand(g)
    messages = sorted(
        str(m)
        for node in g.subjects(RDF.type, ERRNS.ErrorMessage)
        for m in g.objects(node, ERRNS.error)
    )
    if messages:
        first = messages[0].strip().splitlines()[0] if messages[0].strip() else "unknown"
        more = f" (and {len(messages) - 1} more)" if len(messages) > 1 else ""
        raise InconsistencyError(f"the ontology and data are inconsistent: {first}{more}")
    return g


def _reasonable_closure(g: Graph) -> Graph:
    """The OWL 2 RL closure of ``g`` by the Rust ``reasonable`` reasoner, as a new Graph."""
    try:
        import reasonable  # an optional dependency: only this engine needs it
    except ImportError:
        raise UnsupportedOntology("the 'reasonable' engine is not installed; run "
                                  "pip install 'scgraph[fast]' or use the 'sparql' engine") from None

    r = reasonable.PyReasoner()
    r.from_graph(g)
    out = Graph()
    for t in r.reason():
        out.add(tuple(plain(x) for x in t))  # type: ignore[arg-type]
    _check_consistency(out)
    return out


def _check_consistency(g: Graph) -> None:
    """Raise InconsistencyError for ``owl:Nothing`` members, disjoint types, same-and-different."""
    problems = [f"{x} is a member of owl:Nothing" for x in g.subjects(RDF.type, OWL.Nothing)]
    for c1, c2 in g.subject_objects(OWL.disjointWith):
        for x in set(g.subjects(RDF.type, c1)) & set(g.subjects(RDF.type, c2)):
            problems.append(f"{x} is in the disjoint classes {c1} and {c2}")
    for x, y in g.subject_objects(OWL.differentFrom):
        if x == y or (x, OWL.sameAs, y) in g or (y, OWL.sameAs, x) in g:
            problems.append(f"{x} is both owl:sameAs and owl:differentFrom {y}")
    _raise_inconsistent(sorted(problems))


def _sparql_closure(g: Graph) -> Graph:
    """The closure of ``g`` by :func:`materialise` in an in-memory Oxigraph store."""
    store = ox.Store()
    src, out = ox.NamedNode("urn:scgraph:asserted"), ox.NamedNode("urn:scgraph:closure")
    store.bulk_extend(ox.Quad(to_ox(s), to_ox(p), to_ox(_opaque(o)), src) for s, p, o in g)  # type: ignore[arg-type]
    materialise(store, schema=[src], data=[src], target=out, keep_filter=False)
    closure = Graph()
    for q in store.quads_for_pattern(None, None, None, out):
        closure.add((from_ox(q.subject), from_ox(q.predicate), _unopaque(from_ox(q.object))))  # type: ignore[arg-type]
    return closure


# Oxigraph stores typed literals in canonical form ("1"^^xsd:positiveInteger comes back as
# "1"^^xsd:integer, "01"^^xsd:integer as "1"), so literals travel through it under an opaque
# datatype and come back exactly as they went in. The rules never look inside literals.
_OPAQUE = "urn:scgraph:datatype:"


def _opaque(term: object) -> object:
    if isinstance(term, Literal) and term.datatype is not None and term.datatype != XSD.string:
        return Literal(str(term), datatype=URIRef(_OPAQUE + str(term.datatype)))
    return term


def _unopaque(term: object) -> object:
    if isinstance(term, Literal) and term.datatype is not None and str(term.datatype).startswith(_OPAQUE):
        return Literal(str(term), datatype=URIRef(str(term.datatype)[len(_OPAQUE):]))
    return term


@dataclass(frozen=True)
class Engine:
    """A reasoning engine: what it computes over an rdflib graph (``closure``: the whole OWL RL
    closure, for :func:`infer`) and in an Oxigraph store (``materialise``: the new triples
    into a target graph, for :func:`infer_store`). An engine offers one or both; all give the
    same inferred graph (``tests/test_reason_engines.py``)."""

    name: str
    closure: Callable[[Graph], Graph] | None = None
    materialise: Callable[..., MaterialiseResult] | None = None


def _stream(store: ox.Store, **kw: object) -> MaterialiseResult:
    from .stream import stream_materialise

    return stream_materialise(store, **kw)  # type: ignore[arg-type]


#: Every engine, by the name ``--reasoner`` and ``engine=`` take.
ENGINES: dict[str, Engine] = {e.name: e for e in (
    Engine("owlrl", closure=_owlrl_closure),          # the reference: every OWL RL rule, pure Python
    Engine("reasonable", closure=_reasonable_closure),  # a Rust OWL 2 RL reasoner (optional)
    Engine("sparql", closure=_sparql_closure, materialise=materialise),  # rules as SPARQL
    Engine("stream", materialise=_stream),            # local rules while streaming, at scale
)}

#: The engines that reason over an rdflib graph (:func:`infer`) and in a store (:func:`infer_store`).
GRAPH_ENGINES = tuple(n for n, e in ENGINES.items() if e.closure is not None)
STORE_ENGINES = tuple(n for n, e in ENGINES.items() if e.materialise is not None)

#: The engine of the curated graph's dumps: the fastest with the same answers.
FAST_ENGINE = "sparql"
#: The engine of :func:`infer_store` and of large builds.
STORE_ENGINE = "stream"


def get_engine(name: str, *, in_store: bool = False) -> Engine:
    """The engine ``name``, able to reason over an rdflib graph (or in a store)."""
    found = ENGINES.get(name)
    able = STORE_ENGINES if in_store else GRAPH_ENGINES
    if found is None or name not in able:
        where = "in a store" if in_store else "over a graph"
        raise ReasoningError(f"unknown reasoning engine {name!r} {where}; use one of {', '.join(able)}")
    return found


def infer(ds: Dataset, engine: str = "owlrl", inferred: str = "full") -> Dataset:
    """Put the new instance-level triples of the OWL RL closure into ``graph:inferred``.

    ``engine`` is one of :data:`ENGINES`; all give the same inferred graph.

    The closure is computed over the ontology graph plus every data graph (not the metadata
    graph, not a previous inferred graph). Returns ``ds``, its inferred graph replaced.
    Raises InconsistencyError when the reasoner finds a contradiction.

    ``inferred="lean"``: what the curated graphs (the data graphs not under
    ``graph:registry/``) entail alone is kept in full; of the rest, only what
    :class:`~scgraph.reason.keep.Lean` keeps (docs/decisions/20261206-lean-registry-entailment.md).
    """
    closure = get_engine(engine).closure
    assert closure is not None
    names = data_graphs(ds)
    new = _inferred(ds, names, closure)
    if check_mode(inferred) == "lean":
        curated = [n for n in names if not str(n).startswith(REGISTRY_PREFIX)]
        if len(curated) < len(names):
            rule = lean_rule(graph_schema(merge(ds, [ONTOLOGY_GRAPH, *names])))
            new = list(set(_inferred(ds, curated, closure)) | {t for t in new if rule.keeps(t)})
    ds.remove_graph(INFERRED_GRAPH)
    target = ds.graph(INFERRED_GRAPH)
    for t in new:
        target.add(t)
    return ds


def _inferred(ds: Dataset, names: Sequence[URIRef], closure: Callable[[Graph], Graph]) -> list:
    """What :func:`infer` puts into ``graph:inferred`` for the data graphs ``names``."""
    asserted = merge(ds, [ONTOLOGY_GRAPH, *names])
    data_subjects = {s for n in names for s in ds.graph(n).subjects()}
    scratch = Graph()
    for t in asserted:
        scratch.add(t)
    result = closure(scratch)
    return [t for t in result if t not in asserted and keep(t, data_subjects)]


def graph_schema(g: Graph) -> Schema:
    """The :class:`~scgraph.reason.rules.Schema` of the axioms an rdflib graph states."""
    from rdflib.term import Literal as _Literal

    def pairs(predicate: str) -> list[tuple[str, str]]:
        return [(str(a), str(b)) for a, b in g.subject_objects(URIRef(predicate))
                if not isinstance(a, _Literal) and not isinstance(b, _Literal)]

    def typed(cls: str) -> set[str]:
        return {str(a) for a in g.subjects(RDF.type, OWL[cls])}

    return _schema(pairs, typed)


def infer_store(store: object, *, data: Sequence[URIRef] | None = None,
                progress: Callable[[str], None] | None = None,
                engine: str = STORE_ENGINE, dumps: Mapping[str, Path] | None = None,
                inferred: str = "full") -> MaterialiseResult:
    """Put the inferred graph into ``graph:inferred`` of a store, in place.

    ``store``: an :class:`~scgraph.store.OxigraphStore` or a ``pyoxigraph.Store`` holding the
    ontology graph and the data graphs (default: every named graph but ontology, metadata and
    inferred), or a :class:`~scgraph.store.SparqlStore` (the rules run there as SPARQL updates:
    :func:`_infer_remote`). The result is the graph
    :func:`infer` makes from the same data. ``engine``: one that reasons in a store
    (``stream``, ``sparql``). ``dumps``: graph IRI -> an N-Triples file Oxigraph wrote of that
    graph (the ``stream`` engine reads it instead of dumping the graph again). ``inferred``:
    ``full`` or ``lean`` (as :func:`infer`: the curated graphs are the data graphs not under
    ``graph:registry/``).
    """
    from ..store import SparqlStore

    materialise_with = get_engine(engine, in_store=True).materialise
    assert materialise_with is not None
    check_mode(inferred)
    if isinstance(store, SparqlStore):
        return _infer_remote(store, data, progress, engine, inferred)
    target_store: ox.Store = getattr(store, "store", store)  # type: ignore[assignment]
    fixed = {str(ONTOLOGY_GRAPH), str(INFERRED_GRAPH), str(METADATA_GRAPH)}
    if data is None:
        names = sorted(g.value for g in target_store.named_graphs()
                       if isinstance(g, ox.NamedNode) and g.value not in fixed
                       and not g.value.startswith("urn:scgraph:"))
    else:
        names = [str(n) for n in data]
    schema, graphs = ox.NamedNode(str(ONTOLOGY_GRAPH)), [ox.NamedNode(n) for n in names]
    target = ox.NamedNode(str(INFERRED_GRAPH))
    if engine == "stream":
        return materialise_with(target_store, schema=[schema], data=graphs, target=target,
                                progress=progress, dumps=dumps, inferred=inferred)
    if inferred == "lean":
        materialise_with = _lean_materialise(materialise_with)
    if getattr(store, "path", None) is None:
        return materialise_with(target_store, schema=[schema], data=graphs, target=target,
                                progress=progress)
    # On disk, the rules' many index lookups are an order of magnitude slower than in memory:
    # reason in an in-memory copy and bulk-load the inferred graph back.
    import tempfile
    import time

    started = time.perf_counter()
    scratch = ox.Store()
    with tempfile.TemporaryDirectory(prefix="scgraph-reason-") as tmp:
        for g in [schema, *graphs]:
            path = f"{tmp}/graph.nt"
            target_store.dump(path, format=ox.RdfFormat.N_TRIPLES, from_graph=g)
            scratch.bulk_load(path=path, format=ox.RdfFormat.N_TRIPLES, to_graph=g)
        result = materialise_with(scratch, schema=[schema], data=graphs, target=target, progress=progress)
        path = f"{tmp}/inferred.nt"
        scratch.dump(path, format=ox.RdfFormat.N_TRIPLES, from_graph=target)
        del scratch
        target_store.remove_graph(target)
        target_store.bulk_load(path=path, format=ox.RdfFormat.N_TRIPLES, to_graph=target)
    result.seconds = time.perf_counter() - started
    return result


def _lean_materialise(full: Callable[..., MaterialiseResult]) -> Callable[..., MaterialiseResult]:
    """An in-store engine's ``materialise`` giving the lean graph: the curated data graphs
    reasoned over alone first (kept in a scratch graph), then everything, then the lean rule
    (:func:`scgraph.reason.stream.lean_in_store`)."""
    def lean(store: ox.Store, *, schema: Sequence[ox.NamedNode], data: Sequence[ox.NamedNode],
             target: ox.NamedNode, progress: Callable[[str], None] | None = None) -> MaterialiseResult:
        from .rules import read_schema
        from .stream import curated_copy, lean_in_store

        curated = [g for g in data if not g.value.startswith(REGISTRY_PREFIX)]
        first = full(store, schema=schema, data=curated, target=target, progress=progress)
        if len(curated) == len(data):
            return first
        with curated_copy(store, target) as kept:
            result = full(store, schema=schema, data=data, target=target, progress=progress)
            lean_in_store(store, lean_rule(read_schema(store, [*schema, *data])), target, kept)
        result.triples = sum(1 for _ in store.quads_for_pattern(None, None, None, target))
        return result
    return lean


def _infer_remote(store: object, data: Sequence[URIRef] | None,
                  progress: Callable[[str], None] | None, engine: str,
                  inferred: str = "full") -> MaterialiseResult:
    """Reason over a remote store's graphs (scgraph's own only) in the engine: the rules run as
    SPARQL updates by the endpoint into the scratch graph ``graph:scratch/inferred``, which one
    ``MOVE`` puts in place of ``graph:inferred`` (:func:`~.rules.materialise_endpoint`). The
    client sends rules and reads counts; its memory does not grow with the data.

    ``SCGRAPH_REMOTE_REASONING=client`` reasons the earlier way instead, for an engine whose
    SPARQL Update cannot: every graph downloaded into a scratch Oxigraph store on the client,
    reasoned there by ``engine``, the inferred graph uploaded (:func:`_infer_remote_client`)."""
    import os

    from ..store import SCRATCH_PREFIX, SparqlStore

    assert isinstance(store, SparqlStore)
    mode = os.environ.get("SCGRAPH_REMOTE_REASONING", "engine").strip() or "engine"
    if mode == "client":
        return _infer_remote_client(store, data, progress, engine, inferred)
    if mode != "engine":
        raise ReasoningError(f"SCGRAPH_REMOTE_REASONING is {mode!r}; use 'engine' or 'client'")
    fixed = {ONTOLOGY_GRAPH, INFERRED_GRAPH, METADATA_GRAPH}
    names = list(data) if data is not None else [
        g for g in store.named_graphs() if g not in fixed and not str(g).startswith(SCRATCH_PREFIX)]
    scratch = GRAPH["scratch/inferred"]
    curated = GRAPH["scratch/inferred-curated"]
    timeout = max(store.timeout, store.deadline)
    lean = check_mode(inferred) == "lean" and any(str(g).startswith(REGISTRY_PREFIX) for g in names)
    try:
        if lean:  # the curated graphs' entailments, in full, first
            materialise_endpoint(store, schema=ONTOLOGY_GRAPH, target=curated,
                                 data=[g for g in names if not str(g).startswith(REGISTRY_PREFIX)],
                                 union=GRAPH["scratch/inferred-data"], progress=progress, timeout=timeout)
        result = materialise_endpoint(store, schema=ONTOLOGY_GRAPH, data=names, target=scratch,
                                      union=GRAPH["scratch/inferred-data"], progress=progress,
                                      timeout=timeout, inferred="lean" if lean else "full",
                                      curated=curated if lean else None)
    except BaseException:
        import contextlib

        from ..errors import StoreError

        with contextlib.suppress(StoreError):
            store.delete_graph(scratch)
        if lean:
            with contextlib.suppress(StoreError):
                store.delete_graph(curated)
        raise
    if lean:
        store.delete_graph(curated)
    store.move_graph(scratch, INFERRED_GRAPH, result.triples)
    return result


def _infer_remote_client(store: object, data: Sequence[URIRef] | None,
                         progress: Callable[[str], None] | None, engine: str,
                         inferred: str = "full") -> MaterialiseResult:
    """Reason over a remote store's graphs (scgraph's own only) in a scratch Oxigraph store on
    disk: each graph is streamed to an N-Triples file and bulk-loaded, the inferred graph is
    streamed back, replacing ``graph:inferred`` all or nothing
    (:meth:`~scgraph.store.SparqlStore.replace_graph`). The client holds Oxigraph's caches and
    the reasoner's state, never a whole graph in Python objects."""
    import tempfile

    from ..store import OxigraphStore

    # the scratch store's background threads may still be removing files when it closes
    with tempfile.TemporaryDirectory(prefix="scgraph-remote-reason-", ignore_cleanup_errors=True) as tmp:
        scratch = OxigraphStore(f"{tmp}/store")
        try:
            for g in store.named_graphs():  # type: ignore[attr-defined]
                if g == INFERRED_GRAPH:
                    continue
                if progress:
                    progress(f"Reading {g}")
                path = f"{tmp}/graph.nt"
                store.dump_graph(g, path)  # type: ignore[attr-defined]
                scratch.store.bulk_load(path=path, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(str(g)))
            result = infer_store(scratch, data=data, progress=progress, engine=engine, inferred=inferred)
            quads = scratch.store.quads_for_pattern(None, None, None, ox.NamedNode(str(INFERRED_GRAPH)))
            store.replace_graph(INFERRED_GRAPH, ((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object))  # type: ignore[attr-defined]
                                                 for q in quads))
        finally:
            scratch.close()
    return result
