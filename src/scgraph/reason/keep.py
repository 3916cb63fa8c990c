"""The keep rule: which entailed triples go into ``graph:inferred``.

The inferred graph holds instance-level facts only: the types, super-properties, inverses and
transitive closures of the things in the data. Schema-level entailments (about classes and
properties themselves) and OWL RL's bookkeeping (``x owl:sameAs x``, ``x a owl:Thing``) are
left out; they are noise for a reader of the graph. The rule is written here once and rendered
for each engine: :func:`keep` for rdflib triples, :func:`keep_filter_update` as SPARQL, and
:func:`keeps_nt` for N-Triples text (the streaming reasoner).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from ..namespaces import (
    BASE,
    ID,
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

def _using(graphs: Iterable[ox.NamedNode]) -> str:
    return " ".join(f"USING <{g.value}>" for g in graphs)

_OWL = str(OWL)
_RDF_TYPE = f"<{RDF.type}>"
_SAME_AS = f"<{OWL.sameAs}>"


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


def keep_filter_update(target: str, data: Sequence[ox.NamedNode]) -> str:
    """A SPARQL update deleting from ``target`` what :func:`keep` drops."""
    noise = ", ".join(f"<{t}>" for t in sorted(NOISE_TYPES))
    vocab = " || ".join(f'STRSTARTS(STR(?s), "{v}")'
                        for v in (*_OUR_VOCABULARIES, *_EXTERNAL_VOCABULARIES))
    return f"""DELETE {{ GRAPH <{target}> {{ ?s ?p ?o }} }}
{_using(data)} USING NAMED <{target}> WHERE {{
  GRAPH <{target}> {{ ?s ?p ?o }}
  FILTER (!isIRI(?s)
    || (?p = {_SAME_AS} && ?s = ?o)
    || (?p = {_RDF_TYPE} && (?o IN ({noise})
        || (isIRI(?o) && STRSTARTS(STR(?o), "{_OWL}") && STRENDS(STR(?o), "Property"))))
    || {vocab}
    || (!STRSTARTS(STR(?s), "{BASE}")
        && NOT EXISTS {{ ?s ?anyp ?anyo }}))
}}"""


# --------------------------------------------------------------------------- N-Triples text
# The same rule over N-Triples terms (``"<iri>"``, ``"_:b"``, ``'"text"'``), as the streaming
# reasoner (:mod:`.stream`) reads and writes them.

#: :func:`keeps_nt`'s answers: drop it, keep it, or keep it if the subject is in the data.
DROP, KEEP, IF_DATA_SUBJECT = 0, 1, 2

NT_BASE_SUBJECT = "<" + BASE
_NT_ID_SUBJECT = "<" + str(ID)
_NT_VOCABULARY_SUBJECTS = tuple("<" + v for v in (*_OUR_VOCABULARIES, *_EXTERNAL_VOCABULARIES))
_NT_NOISE = frozenset(f"<{t}>" for t in NOISE_TYPES)
_NT_OWL = f"<{OWL}"


def noise_type_nt(o: str) -> bool:
    """Whether ``rdf:type o`` says nothing about a thing of the data."""
    return o in _NT_NOISE or (o.startswith(_NT_OWL) and o.endswith("Property>"))


def keeps_nt(s: str, p: str, o: str) -> int:
    """:func:`keep` for an entailed triple in N-Triples terms: :data:`DROP`, :data:`KEEP`, or
    :data:`IF_DATA_SUBJECT` (a subject outside the project's namespace, kept when the data
    states something of it)."""
    if s.startswith(_NT_ID_SUBJECT):  # the things of the data: no vocabulary lives under id/
        if p == _RDF_TYPE:
            return DROP if noise_type_nt(o) else KEEP
        return DROP if p == _SAME_AS and s == o else KEEP
    if (not s.startswith("<") or s.startswith(_NT_VOCABULARY_SUBJECTS)
            or (p == _RDF_TYPE and noise_type_nt(o)) or (p == _SAME_AS and s == o)):
        return DROP
    return KEEP if s.startswith(NT_BASE_SUBJECT) else IF_DATA_SUBJECT
