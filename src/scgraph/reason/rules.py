"""The ``sparql`` engine: OWL RL rules the ontology uses, as SPARQL over an Oxigraph store.

:func:`read_schema` reads the axioms (sub-class, sub-property, inverse, symmetric, transitive,
functional, domain, range, ``owl:sameAs``); :func:`rules` writes one ``CONSTRUCT`` per rule,
specialised to the schema; :func:`materialise` runs them to a fixpoint, bulk-loading each round's
answers, and checks disjointness, ``owl:Nothing`` and ``owl:differentFrom``. An ontology using
an OWL construct outside :data:`SUPPORTED_OWL` is refused (:class:`~scgraph.errors.UnsupportedOntology`).
The streaming engine (:mod:`.stream`) compiles the same schema into its own rules.
:func:`materialise_endpoint` runs the same rules as SPARQL updates in a SPARQL server (a build
on a ``sparql:`` store), the client sending rules and reading counts only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.namespace import OWL, RDFS

from ..errors import InconsistencyError, UnsupportedOntology
from .keep import _OWL, _RDF_TYPE, _SAME_AS, Lean, keep_filter_update

# --------------------------------------------------------------------------- SPARQL rules in Oxigraph


#: OWL terms the ``sparql`` engine knows: what it implements, checks, or may ignore safely.
SUPPORTED_OWL = frozenset({
    "Class", "ObjectProperty", "DatatypeProperty", "AnnotationProperty", "Ontology",
    "OntologyProperty", "imports", "versionIRI", "versionInfo", "priorVersion",
    "backwardCompatibleWith", "incompatibleWith", "deprecated", "DeprecatedClass",
    "DeprecatedProperty", "NamedIndividual", "Thing", "Nothing", "inverseOf",
    "TransitiveProperty", "SymmetricProperty", "FunctionalProperty",
    "InverseFunctionalProperty", "equivalentClass", "equivalentProperty", "disjointWith",
    "sameAs", "differentFrom",
})
#: OWL RL constructs it does not implement: an ontology or data using one is refused.
UNSUPPORTED_OWL = (
    "Restriction", "onProperty", "someValuesFrom", "allValuesFrom", "hasValue", "hasSelf",
    "maxCardinality", "maxQualifiedCardinality", "minCardinality", "cardinality",
    "qualifiedCardinality", "onClass", "unionOf", "intersectionOf", "complementOf", "oneOf",
    "propertyChainAxiom", "hasKey", "propertyDisjointWith", "AllDisjointClasses",
    "AllDisjointProperties", "AllDifferent", "members", "distinctMembers",
    "AsymmetricProperty", "IrreflexiveProperty", "ReflexiveProperty",
    "NegativePropertyAssertion", "sourceIndividual", "disjointUnionOf",
)

def _raise_inconsistent(messages: Sequence[str]) -> None:
    if messages:
        more = f" (and {len(messages) - 1} more)" if len(messages) > 1 else ""
        raise InconsistencyError(f"the ontology and data are inconsistent: {messages[0]}{more}")


@dataclass
class Schema:
    """The axioms the rules need, closed under sub-class and sub-property transitivity."""

    super_classes: dict[str, set[str]] = field(default_factory=dict)
    super_properties: dict[str, set[str]] = field(default_factory=dict)
    inverse: set[tuple[str, str]] = field(default_factory=set)
    symmetric: set[str] = field(default_factory=set)
    transitive: set[str] = field(default_factory=set)
    functional: set[str] = field(default_factory=set)
    inverse_functional: set[str] = field(default_factory=set)
    domain: set[tuple[str, str]] = field(default_factory=set)
    range: set[tuple[str, str]] = field(default_factory=set)
    disjoint: set[tuple[str, str]] = field(default_factory=set)


@dataclass
class MaterialiseResult:
    """What :func:`materialise` did: passes to the fixpoint and triples inferred."""

    passes: int
    triples: int
    seconds: float = 0.0


def _values(names: str, rows: Iterable[tuple[str, ...]]) -> str:
    body = " ".join("(" + " ".join(f"<{x}>" for x in row) + ")" for row in sorted(rows))
    return f"VALUES ({names}) {{ {body} }}"


def _closure(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """The strict transitive closure of a relation given as successor sets."""
    out: dict[str, set[str]] = {}
    for start in edges:
        seen: set[str] = set()
        todo = list(edges[start])
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(edges.get(n, ()))
        seen.discard(start)
        if seen:
            out[start] = seen
    return out


def _schema(pairs: Callable[[str], list[tuple[str, str]]], typed: Callable[[str], set[str]]) -> Schema:
    """The :class:`Schema` of the axioms that ``pairs`` (the subject-object pairs of a predicate)
    and ``typed`` (the things of an OWL property class) read, from a store or an endpoint."""
    sub_c: dict[str, set[str]] = {}
    sub_p: dict[str, set[str]] = {}
    for a, b in pairs(str(RDFS.subClassOf)):
        sub_c.setdefault(a, set()).add(b)
    for a, b in pairs(_OWL + "equivalentClass"):
        sub_c.setdefault(a, set()).add(b)
        sub_c.setdefault(b, set()).add(a)
    for a, b in pairs(str(RDFS.subPropertyOf)):
        sub_p.setdefault(a, set()).add(b)
    for a, b in pairs(_OWL + "equivalentProperty"):
        sub_p.setdefault(a, set()).add(b)
        sub_p.setdefault(b, set()).add(a)
    inverse = set()
    for a, b in pairs(_OWL + "inverseOf"):
        inverse |= {(a, b), (b, a)}
    disjoint = set()
    for a, b in pairs(_OWL + "disjointWith"):
        disjoint |= {(a, b), (b, a)}
    return Schema(
        super_classes=_closure(sub_c), super_properties=_closure(sub_p), inverse=inverse,
        symmetric=typed("SymmetricProperty"), transitive=typed("TransitiveProperty"),
        functional=typed("FunctionalProperty"), inverse_functional=typed("InverseFunctionalProperty"),
        domain=set(pairs(str(RDFS.domain))), range=set(pairs(str(RDFS.range))), disjoint=disjoint,
    )


def read_schema(store: ox.Store, graphs: Sequence[ox.NamedNode]) -> Schema:
    """Read the axioms of ``graphs``; refuse OWL constructs the rules do not cover."""
    for term in UNSUPPORTED_OWL:
        iri = f"<{_OWL}{term}>"
        if store.query(f"ASK {{ {{ ?s {iri} ?o }} UNION {{ ?s {_RDF_TYPE} {iri} }} }}",
                       default_graph=list(graphs)):
            raise UnsupportedOntology(
                f"the ontology or data uses owl:{term}, which the 'sparql' reasoning engine does "
                "not implement; use the 'owlrl' or 'reasonable' engine")

    def pairs(predicate: str) -> list[tuple[str, str]]:
        res = store.query(f"SELECT ?a ?b WHERE {{ ?a <{predicate}> ?b }}", default_graph=list(graphs))
        return [(r["a"].value, r["b"].value) for r in res
                if not isinstance(r["a"], ox.Literal) and not isinstance(r["b"], ox.Literal)]

    def typed(cls: str) -> set[str]:
        res = store.query(f"SELECT ?a WHERE {{ ?a {_RDF_TYPE} <{_OWL}{cls}> }}", default_graph=list(graphs))
        return {r["a"].value for r in res}

    return _schema(pairs, typed)


def property_closure(schema: Schema) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """Pairs ``(p, q)``: ``x p y`` entails ``x q y`` (forward) or ``y q x`` (backward), closed
    under sub-property, inverse and symmetry, so one pass of two rules does their work."""
    step: dict[tuple[str, bool], set[tuple[str, bool]]] = {}
    props = set(schema.super_properties) | {q for qs in schema.super_properties.values() for q in qs}
    props |= {p for pair in schema.inverse for p in pair} | schema.symmetric
    for p in props:
        for d in (True, False):
            out = {(q, d) for q in schema.super_properties.get(p, ())}
            out |= {(q, not d) for a, q in schema.inverse if a == p}
            if p in schema.symmetric:
                out.add((p, not d))
            step[(p, d)] = out
    forward, backward = set(), set()
    for p in props:
        seen: set[tuple[str, bool]] = set()
        todo = list(step[(p, True)])
        while todo:
            n = todo.pop()
            if n not in seen:
                seen.add(n)
                todo.extend(step.get(n, ()))
        for q, d in seen:
            if d and q != p:
                forward.add((p, q))
            elif not d:
                backward.add((p, q))
    return forward, backward


def property_types(schema: Schema, forward: set[tuple[str, str]],
                   backward: set[tuple[str, str]]) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """Pairs ``(p, c)``: ``x p y`` makes ``x`` (first set) or ``y`` (second) a ``c``: the
    domains and ranges of every property ``p`` entails (the sub-class rule, which runs after
    them in the same pass, adds the super-classes)."""
    dom: dict[str, set[str]] = {}
    rng: dict[str, set[str]] = {}
    for p, c in schema.domain:
        dom.setdefault(p, set()).add(c)
    for p, c in schema.range:
        rng.setdefault(p, set()).add(c)

    subj: set[tuple[str, str]] = set()
    obj: set[tuple[str, str]] = set()
    props = set(dom) | set(rng) | {p for p, _ in forward | backward}
    for p in props:
        as_subject = {p} | {q for a, q in forward if a == p}   # x q y
        as_object = {q for a, q in backward if a == p}           # y q x
        s_classes = set().union(*(dom.get(q, set()) for q in as_subject),
                                *(rng.get(q, set()) for q in as_object))
        o_classes = set().union(*(rng.get(q, set()) for q in as_subject),
                                *(dom.get(q, set()) for q in as_object))
        subj |= {(p, c) for c in s_classes}
        obj |= {(p, c) for c in o_classes}
    return subj, obj


def lean_rule(schema: Schema) -> Lean:
    """The lean rule (:class:`~scgraph.reason.keep.Lean`) of ``schema``: its root classes are
    read from what each property's domains and ranges give the subject and the object."""
    forward, backward = property_closure(schema)
    subject_types, object_types = property_types(schema, forward, backward)
    sup = schema.super_classes
    premises: dict[tuple[int, str], set[str]] = {}
    for side, pairs in ((0, subject_types), (1, object_types)):
        for p, c in pairs:
            premises.setdefault((side, p), set()).update({c, *sup.get(c, ())})
    return Lean.from_premises(premises.values(), sup)


def rule_constructs(schema: Schema, same_as: bool,
                    only: set[str] | None = None) -> list[tuple[str, str]]:
    """The same rules as ``CONSTRUCT`` queries (for the bulk loader): ``(rule name, query)``."""
    return [(name, f"CONSTRUCT {{ {head} }} WHERE {{ {body} FILTER NOT EXISTS {{ {head} }} }}")
            for name, head, body in rules(schema, same_as, only)]


def rules(schema: Schema, same_as: bool, only: set[str] | None = None) -> list[tuple[str, str, str]]:
    """The rules of one pass, in order: ``(name, head, body)`` as SPARQL patterns.

    ``only``: the predicates of the triples new since the last pass (semi-naive evaluation:
    the rules that cannot use them are left out); None for a full pass.
    """
    out: list[tuple[str, str, str]] = []

    def add(name: str, head: str, body: str) -> None:
        out.append((name, head, body))

    forward, backward = property_closure(schema)
    subject_types, object_types = property_types(schema, forward, backward)
    transitive, functional = schema.transitive, schema.functional
    inverse_functional = schema.inverse_functional
    sco = {(c, d) for c, ds in schema.super_classes.items() for d in ds}
    if only is not None:
        forward = {(p, q) for p, q in forward if p in only}
        backward = {(p, q) for p, q in backward if p in only}
        reach = set(only) | {q for _p, q in forward | backward}
        transitive = {p for p in transitive if p in reach}
        functional = {p for p in functional if p in reach}
        inverse_functional = {p for p in inverse_functional if p in reach}
        subject_types = {(p, c) for p, c in subject_types if p in reach}
        object_types = {(p, c) for p, c in object_types if p in reach}
        classes = {c for _p, c in subject_types | object_types}
        sco = {(c, d) for c, d in sco if c in classes}
    if forward:
        add("prp-spo1+inv", "?x ?q ?y", f"{_values('?p ?q', forward)} ?x ?p ?y .")
    if backward:
        add("prp-inv+spo1", "?y ?q ?x", f"{_values('?p ?q', backward)} ?x ?p ?y . FILTER (!isLiteral(?y))")
    for p in sorted(transitive):
        add(f"prp-trp <{p}>", f"?x <{p}> ?z", f"?x <{p}> ?y . ?y <{p}>+ ?z .")
    if subject_types:
        add("prp-dom", f"?x {_RDF_TYPE} ?c", f"{_values('?p ?c', subject_types)} ?x ?p ?y .")
    if object_types:
        add("prp-rng", f"?y {_RDF_TYPE} ?c",
            f"{_values('?p ?c', object_types)} ?x ?p ?y . FILTER (!isLiteral(?y))")
    if sco:
        add("cax-sco", f"?x {_RDF_TYPE} ?d", f"{_values('?c ?d', sco)} ?x {_RDF_TYPE} ?c .")
    if functional:
        add("prp-fp", f"?y1 {_SAME_AS} ?y2",
            f"{_values('?p', [(p,) for p in functional])} ?x ?p ?y1 . ?x ?p ?y2 . "
            "FILTER (?y1 != ?y2 && !isLiteral(?y1) && !isLiteral(?y2))")
    if inverse_functional:
        add("prp-ifp", f"?x1 {_SAME_AS} ?x2",
            f"{_values('?p', [(p,) for p in inverse_functional])} ?x1 ?p ?y . ?x2 ?p ?y . "
            "FILTER (?x1 != ?x2)")
    if same_as:
        add("eq-sym", f"?y {_SAME_AS} ?x", f"?x {_SAME_AS} ?y . FILTER (!isLiteral(?y))")
        add("eq-trans", f"?x {_SAME_AS} ?z", f"?x {_SAME_AS} ?y . ?y {_SAME_AS}+ ?z .")
        add("eq-rep-s", "?s2 ?p ?o", f"?s {_SAME_AS} ?s2 . ?s ?p ?o . FILTER (?s != ?s2)")
        add("eq-rep-p", "?s ?p2 ?o", f"?p {_SAME_AS} ?p2 . ?s ?p ?o . FILTER (?p != ?p2)")
        add("eq-rep-o", "?s ?p ?o2", f"?o {_SAME_AS} ?o2 . ?s ?p ?o . FILTER (?o != ?o2)")
    return out


#: Rules whose conclusions can feed the other rules again (the rest are closed in one pass).
_GENERATIVE = frozenset({"prp-trp", "prp-fp", "prp-ifp", "eq-sym", "eq-trans", "eq-rep-s",
                         "eq-rep-p", "eq-rep-o"})


def _count(store: ox.Store, graph: ox.NamedNode) -> int:
    res = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph.value}> {{ ?s ?p ?o }} }}")
    return int(next(iter(res))["n"].value)


def _consistency(store: ox.Store, schema: Schema, graphs: Sequence[ox.NamedNode]) -> None:
    dg = list(graphs)
    problems = [f"{r['x'].value} is a member of owl:Nothing" for r in store.query(
        f"SELECT ?x WHERE {{ ?x {_RDF_TYPE} <{OWL.Nothing}> }} ORDER BY ?x LIMIT 10", default_graph=dg)]
    if schema.disjoint:
        problems += [f"{r['x'].value} is in the disjoint classes {r['c1'].value} and {r['c2'].value}"
                     for r in store.query(
                         f"SELECT ?x ?c1 ?c2 WHERE {{ {_values('?c1 ?c2', schema.disjoint)} "
                         f"?x {_RDF_TYPE} ?c1 . ?x {_RDF_TYPE} ?c2 }} ORDER BY ?x ?c1 ?c2 LIMIT 10",
                         default_graph=dg)]
    problems += [f"{r['x'].value} is both owl:sameAs and owl:differentFrom {r['y'].value}"
                 for r in store.query(
                     f"SELECT ?x ?y WHERE {{ ?x <{OWL.differentFrom}> ?y . "
                     f"FILTER (?x = ?y || EXISTS {{ ?x {_SAME_AS} ?y }} || EXISTS {{ ?y {_SAME_AS} ?x }}) }} "
                     "ORDER BY ?x ?y LIMIT 10", default_graph=dg)]
    _raise_inconsistent(sorted(problems))


def materialise(store: ox.Store, *, schema: Sequence[ox.NamedNode], data: Sequence[ox.NamedNode],
                target: ox.NamedNode, keep_filter: bool = True, max_passes: int = 50,
                progress: Callable[[str], None] | None = None) -> MaterialiseResult:
    """Run the rules the ontology uses as SPARQL CONSTRUCT queries in ``store`` (answers bulk-loaded) until nothing changes.

    Reads ``schema`` + ``data`` graphs (plus ``target``), inserts what follows into ``target``
    (cleared first), checks consistency, and with ``keep_filter`` deletes from ``target`` what
    :func:`keep` would drop, so ``target`` holds exactly the graph ``infer`` makes.
    """
    import time

    started = time.perf_counter()
    store.remove_graph(target)
    graphs = list(dict.fromkeys([*schema, *data]))
    ax = read_schema(store, graphs)
    passes, size = 0, 0
    only: set[str] | None = None
    while True:
        passes += 1
        if passes > max_passes:
            raise InconsistencyError(f"reasoning did not reach a fixpoint in {max_passes} passes")
        same_as = bool(store.query(f"ASK {{ ?x {_SAME_AS} ?y FILTER (?x != ?y) }}",
                                   default_graph=[*graphs, target]))
        generated = False
        grew: set[str] = set()
        for name, query in rule_constructs(ax, same_as, None if same_as else only):
            if progress:
                progress(f"Reasoning: pass {passes}, rule {name}")
            generative = name.split()[0] in _GENERATIVE
            before = _count(store, target) if generative else 0
            # A read-only CONSTRUCT streamed into the bulk loader: far faster on disk than an
            # INSERT update (one big transaction). The query reads a snapshot of the store.
            found = store.query(query, default_graph=[*graphs, target])
            store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, target) for t in found
                              if not isinstance(t.subject, ox.Literal))
            if generative and _count(store, target) != before:
                generated = True
                grew.add(name.split()[1][1:-1] if name.startswith("prp-trp ") else "*")
        only = None if "*" in grew else grew  # the next pass looks only at what grew
        new_size = _count(store, target)
        # The sub-property, inverse, domain, range and sub-class rules are closed in one pass
        # (their schema is closed beforehand); only transitivity and equality feed back.
        if new_size == size or not generated:
            size = new_size
            break
        size = new_size
    _consistency(store, ax, [*graphs, target])
    if keep_filter:
        store.update(keep_filter_update(target.value, data))
        size = _count(store, target)
    return MaterialiseResult(passes=passes, triples=size, seconds=time.perf_counter() - started)


# --------------------------------------------------------------------------- SPARQL rules in an endpoint
# The same rules, run by a SPARQL server (a :class:`~scgraph.store.SparqlStore`) as updates: the
# client sends the rules and reads counts, never the data.


class SparqlEndpoint(Protocol):
    """What :func:`materialise_endpoint` needs of a store (:class:`~scgraph.store.SparqlStore`)."""

    def query(self, sparql: str, bindings: None = None, *, graphs: Iterable[URIRef] | None = None) -> Any: ...

    def update(self, sparql: str, *, timeout: float | None = None, using: Sequence[URIRef] | None = None,
               using_named: Sequence[URIRef] | None = None) -> None: ...

    def graph_size(self, name: URIRef) -> int: ...

    def delete_graph(self, name: URIRef) -> None: ...


def read_schema_endpoint(store: SparqlEndpoint, graphs: Sequence[URIRef]) -> Schema:
    """:func:`read_schema` over an endpoint's ``graphs`` (their union as the default graph)."""
    for term in UNSUPPORTED_OWL:
        iri = f"<{_OWL}{term}>"
        if store.query(f"ASK {{ {{ ?s {iri} ?o }} UNION {{ ?s {_RDF_TYPE} {iri} }} }}", graphs=graphs).boolean:
            raise UnsupportedOntology(
                f"the ontology or data uses owl:{term}, which the 'sparql' reasoning engine does "
                "not implement; use the 'owlrl' or 'reasonable' engine")

    def pairs(predicate: str) -> list[tuple[str, str]]:
        res = store.query(f"SELECT ?a ?b WHERE {{ ?a <{predicate}> ?b }}", graphs=graphs)
        return [(str(a), str(b)) for a, b in res.rows
                if a is not None and b is not None and not isinstance(a, Literal) and not isinstance(b, Literal)]

    def typed(cls: str) -> set[str]:
        res = store.query(f"SELECT ?a WHERE {{ ?a {_RDF_TYPE} <{_OWL}{cls}> }}", graphs=graphs)
        return {str(a) for (a,) in res.rows if a is not None}

    return _schema(pairs, typed)


def rule_inserts(schema: Schema, same_as: bool, target: str,
                 only: set[str] | None = None) -> list[tuple[str, str]]:
    """The rules as SPARQL ``INSERT`` updates into ``target``: ``(rule name, update)``; each
    reads the update's dataset (the asserted graphs and ``target``) and adds what is new."""
    return [(name, f"INSERT {{ GRAPH <{target}> {{ {head} }} }}\nWHERE {{ {body} FILTER NOT EXISTS {{ {head} }} }}")
            for name, head, body in rules(schema, same_as, only)]


def keep_filter_endpoint(target: str) -> str:
    """:func:`~scgraph.reason.keep.keep_filter_update` for an endpoint: the same ``DELETE``,
    its dataset (the data graphs, ``target`` by name) sent with the update, not in ``USING``."""
    text = keep_filter_update(target, [])
    using = f"USING NAMED <{target}> "
    assert using in text
    return text.replace(using, "")


def _consistency_endpoint(store: SparqlEndpoint, schema: Schema, graphs: Sequence[URIRef]) -> None:
    """:func:`_consistency` over an endpoint's ``graphs``."""
    def rows(text: str) -> list[tuple[str, ...]]:
        return [tuple(str(x) for x in r) for r in store.query(text, graphs=graphs).rows]

    problems = [f"{x} is a member of owl:Nothing" for (x,) in rows(
        f"SELECT ?x WHERE {{ ?x {_RDF_TYPE} <{OWL.Nothing}> }} ORDER BY ?x LIMIT 10")]
    if schema.disjoint:
        problems += [f"{x} is in the disjoint classes {c1} and {c2}" for x, c1, c2 in rows(
            f"SELECT ?x ?c1 ?c2 WHERE {{ {_values('?c1 ?c2', schema.disjoint)} "
            f"?x {_RDF_TYPE} ?c1 . ?x {_RDF_TYPE} ?c2 }} ORDER BY ?x ?c1 ?c2 LIMIT 10")]
    problems += [f"{x} is both owl:sameAs and owl:differentFrom {y}" for x, y in rows(
        f"SELECT ?x ?y WHERE {{ ?x <{OWL.differentFrom}> ?y . "
        f"FILTER (?x = ?y || EXISTS {{ ?x {_SAME_AS} ?y }} || EXISTS {{ ?y {_SAME_AS} ?x }}) }} "
        "ORDER BY ?x ?y LIMIT 10")]
    _raise_inconsistent(sorted(problems))


def materialise_endpoint(store: SparqlEndpoint, *, schema: URIRef, data: Sequence[URIRef], target: URIRef,
                         union: URIRef | None = None, max_passes: int = 50,
                         progress: Callable[[str], None] | None = None,
                         timeout: float | None = None, inferred: str = "full",
                         curated: URIRef | None = None) -> MaterialiseResult:
    """:func:`materialise` run by a SPARQL endpoint: the rules as ``INSERT`` updates into
    ``target`` (emptied first; a scratch graph of scgraph's), each reading only ``schema``,
    ``data`` and ``target``, to a fixpoint; consistency checked; then the keep rule as one
    ``DELETE``, so ``target`` holds exactly the graph :func:`~scgraph.reason.infer` makes. The
    client holds the schema and counts, never the data. ``union``: a scratch graph the data
    graphs are first copied into (``ADD``, one graph at a time) and read from instead, so that
    each rule reads three graphs, not every data graph (an engine looks a pattern up in each
    graph of the dataset); dropped at the end. ``timeout``: seconds to wait for each update's
    answer.

    ``inferred="lean"``: ``curated`` is a graph of the endpoint holding the curated graphs'
    entailments (:func:`scgraph.reason._infer_remote` reasons it first, into a scratch graph);
    it is added to ``target``, and what :class:`~scgraph.reason.keep.Lean` drops is deleted
    from ``target`` except what ``curated`` states."""
    import time

    from .keep import check_mode

    if check_mode(inferred) == "lean" and curated is None:
        raise ValueError("a lean inferred graph needs the graph of the curated entailments")
    started = time.perf_counter()
    store.delete_graph(target)
    if union is not None:
        store.delete_graph(union)
        for g in data:
            if progress:
                progress(f"Reasoning: copying {g} into {union}")
            store.update(f"ADD SILENT <{g}> TO <{union}>", timeout=timeout)
        data = [union]
    try:
        return _materialise_endpoint(store, schema, data, target, max_passes, progress, timeout, started,
                                     curated if inferred == "lean" else None)
    finally:
        if union is not None:
            store.delete_graph(union)


def _materialise_endpoint(store: SparqlEndpoint, schema: URIRef, data: Sequence[URIRef], target: URIRef,
                          max_passes: int, progress: Callable[[str], None] | None,
                          timeout: float | None, started: float,
                          curated: URIRef | None = None) -> MaterialiseResult:
    import time

    graphs = list(dict.fromkeys([schema, *data]))
    reads = [*graphs, target]
    ax = read_schema_endpoint(store, graphs)
    passes, size = 0, 0
    only: set[str] | None = None
    while True:
        passes += 1
        if passes > max_passes:
            raise InconsistencyError(f"reasoning did not reach a fixpoint in {max_passes} passes")
        same_as = bool(store.query(f"ASK {{ ?x {_SAME_AS} ?y FILTER (?x != ?y) }}", graphs=reads).boolean)
        generated = False
        grew: set[str] = set()
        for name, update in rule_inserts(ax, same_as, str(target), None if same_as else only):
            if progress:
                progress(f"Reasoning: pass {passes}, rule {name}")
            generative = name.split()[0] in _GENERATIVE
            before = store.graph_size(target) if generative else 0
            store.update(update, using=reads, using_named=[], timeout=timeout)
            if generative and store.graph_size(target) != before:
                generated = True
                grew.add(name.split()[1][1:-1] if name.startswith("prp-trp ") else "*")
        only = None if "*" in grew else grew
        new_size = store.graph_size(target)
        if new_size == size or not generated:
            size = new_size
            break
        size = new_size
    _consistency_endpoint(store, ax, reads)
    if progress:
        progress("Reasoning: keeping instance-level facts")
    store.update(keep_filter_endpoint(str(target)), using=list(data), using_named=[target], timeout=timeout)
    if curated is not None:
        if progress:
            progress("Reasoning: keeping the registry's entailments in scgraph's vocabulary (lean)")
        store.update(f"ADD <{curated}> TO <{target}>", timeout=timeout)
        store.update(lean_rule(ax).filter_update(str(target), str(curated)),
                     using=[], using_named=[target, curated], timeout=timeout)
    size = store.graph_size(target)
    return MaterialiseResult(passes=passes, triples=size, seconds=time.perf_counter() - started)
