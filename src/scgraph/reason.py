"""Infer: OWL RL reasoning over the ontology and the data, into the named graph ``graph:inferred``.

The inferred graph holds instance-level facts only: the types, super-properties, inverses and
transitive closures of the things in the data. Schema-level entailments (about classes and
properties themselves) and OWL RL's bookkeeping (``x owl:sameAs x``, ``x a owl:Thing``) are
left out; they are noise for a reader of the graph.
"""

from __future__ import annotations

from collections.abc import Callable

import owlrl
from owlrl.Namespaces import ERRNS
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from .build import data_graphs, merge
from .errors import InconsistencyError
from .namespaces import (
    BASE,
    INFERRED_GRAPH,
    ONTOLOGY_GRAPH,
    ONTOLOGY_IRI,
    PREFIXES,
    SHAPES,
    SHAPES_IRI,
    VOCABULARIES_IRI,
)

#: Types that say nothing about a thing of the data.
NOISE_TYPES = frozenset({
    OWL.Thing, RDFS.Resource, OWL.Class, OWL.NamedIndividual, RDFS.Class, RDF.Property,
    RDFS.Datatype, OWL.Ontology, OWL.Restriction,
})

_OUR_VOCABULARIES = (str(ONTOLOGY_IRI), str(SHAPES_IRI), str(VOCABULARIES_IRI), str(SHAPES))
_EXTERNAL_VOCABULARIES = tuple(
    str(ns) for ns in PREFIXES.values() if not str(ns).startswith(BASE)
)

Engine = Callable[[Graph], Graph]


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


ENGINES: dict[str, Engine] = {"owlrl": _owlrl_closure}


def _is_vocabulary_term(node: URIRef) -> bool:
    s = str(node)
    return s.startswith(_OUR_VOCABULARIES) or s.startswith(_EXTERNAL_VOCABULARIES)


def keep(triple: tuple, data_subjects: set) -> bool:
    """Whether an entailed triple is an instance-level fact worth publishing."""
    s, p, o = triple
    if not isinstance(s, URIRef) or isinstance(s, (BNode, Literal)):
        return False
    if p == OWL.sameAs and s == o:
        return False
    if p == RDF.type and (o in NOISE_TYPES or (
            isinstance(o, URIRef) and str(o).startswith(str(OWL)) and str(o).endswith("Property"))):
        return False
    if _is_vocabulary_term(s):
        return False
    return str(s).startswith(BASE) or s in data_subjects


def infer(ds: Dataset, engine: str = "owlrl") -> Dataset:
    """Put the new instance-level triples of the OWL RL closure into ``graph:inferred``.

    The closure is computed over the ontology graph plus every data graph (not the metadata
    graph, not a previous inferred graph). Returns ``ds``, its inferred graph replaced.
    Raises InconsistencyError when the reasoner finds a contradiction.
    """
    try:
        closure = ENGINES[engine]
    except KeyError:
        raise ValueError(f"unknown reasoning engine {engine!r}; use one of {sorted(ENGINES)}") from None
    names = data_graphs(ds)
    asserted = merge(ds, [ONTOLOGY_GRAPH, *names])
    data_subjects = {s for n in names for s in ds.graph(n).subjects()}
    scratch = Graph()
    for t in asserted:
        scratch.add(t)
    closure(scratch)
    new = [t for t in scratch if t not in asserted and keep(t, data_subjects)]
    ds.remove_graph(INFERRED_GRAPH)
    inferred = ds.graph(INFERRED_GRAPH)
    for t in new:
        inferred.add(t)
    return ds
