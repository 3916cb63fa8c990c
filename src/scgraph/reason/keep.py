"""The keep rule: which entailed triples go into ``graph:inferred``.

The inferred graph holds instance-level facts only: the types, super-properties, inverses and
transitive closures of the things in the data. Schema-level entailments (about classes and
properties themselves) and OWL RL's bookkeeping (``x owl:sameAs x``, ``x a owl:Thing``) are
left out; they are noise for a reader of the graph. The rule is written here once and rendered
for each engine: :func:`keep` for rdflib triples, :func:`keep_filter_update` as SPARQL, and
:func:`keeps_nt` for N-Triples text (the streaming reasoner).

The lean rule (:class:`Lean`, ``scgraph build --inferred lean``, the default) keeps less of
what the registry graphs entail: only the facts in scgraph's own vocabulary; it too is written
once and rendered for rdflib (:meth:`Lean.keeps`), N-Triples text (:meth:`Lean.nt`) and SPARQL
(:meth:`Lean.filter_update`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from ..errors import ReasoningError
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


# --------------------------------------------------------------------------- the lean rule
# docs/decisions/20261206-lean-registry-entailment.md: of what reasoning derives from the
# registry graphs, ``graph:inferred`` keeps (``lean``, the build's default) only the facts in
# scgraph's own vocabulary; the copies into the standard vocabularies are left to a query-time
# rewrite over the ontology graph (docs/ontology.md). The curated graphs' entailments are kept
# in full. ``full`` keeps everything, as before.

#: The values of ``--inferred``: what ``graph:inferred`` holds of the registry's entailments.
INFERRED_MODES = ("lean", "full")
#: scgraph's own vocabulary: the ``scg:`` namespace.
SCG_NS = BASE + "ontology#"
_NT_SCG = "<" + SCG_NS


def check_mode(inferred: str) -> str:
    """``inferred`` if it is one of :data:`INFERRED_MODES`, else a ReasoningError."""
    if inferred not in INFERRED_MODES:
        raise ReasoningError(f"unknown --inferred {inferred!r}; use one of {', '.join(INFERRED_MODES)}")
    return inferred


@dataclass(frozen=True)
class Lean:
    """The lean rule for one ontology: an entailed triple is kept when its predicate is an
    ``scg:`` property, or it is ``x rdf:type c`` and ``c`` is an ``scg:`` class or one of
    :attr:`roots`.

    ``roots``: the standard classes a domain or range gives a thing directly with no ``scg:``
    class of the same premise below them (``x scg:announcedIn y`` makes ``x`` a
    ``schema:Event`` and nothing else): the query-time rewrite ``rdf:type/rdfs:subClassOf*``
    could not find them again from an ``scg:`` type, so they are kept. Every other type in a
    standard vocabulary follows, through ``rdfs:subClassOf*``, from a type that is kept or
    asserted; every other property triple from an asserted one, through
    ``rdfs:subPropertyOf*`` and ``owl:inverseOf`` (and ``+`` for a transitive property)."""

    roots: frozenset[str]

    @classmethod
    def from_premises(cls, premises: Iterable[set[str]], super_classes: Mapping[str, set[str]]) -> Lean:
        """The rule whose roots are those of ``premises``: the classes (closed upwards) that
        one triple gives one thing by the domains and ranges
        (:func:`scgraph.reason.rules.lean_rule` reads them from the schema)."""
        sup = super_classes
        roots: set[str] = set()
        for classes in premises:
            for k in classes:
                if k.startswith(SCG_NS):
                    continue
                # below k: an scg: class of the premise, or a strictly lower standard one
                if not any(t != k and k in sup.get(t, ()) and (t.startswith(SCG_NS) or t not in sup.get(k, ()))
                           for t in classes):
                    roots.add(k)
        return cls(frozenset(roots))

    def keeps(self, triple: tuple) -> bool:
        """Whether the lean graph keeps the entailed rdflib ``triple``."""
        _s, p, o = triple
        if str(p).startswith(SCG_NS):
            return True
        return p == RDF.type and isinstance(o, URIRef) and (str(o).startswith(SCG_NS) or str(o) in self.roots)

    def nt(self) -> Callable[[str, str], bool]:
        """:meth:`keeps` over N-Triples terms: ``keeps(p, o)``."""
        roots = frozenset(f"<{r}>" for r in self.roots)
        scg, rdf_type = _NT_SCG, _RDF_TYPE

        def keeps(p: str, o: str) -> bool:
            return p.startswith(scg) or (p == rdf_type and (o.startswith(scg) or o in roots))
        return keeps

    def filter_update(self, target: str, curated: str | None) -> str:
        """A SPARQL update deleting from ``target`` what the lean rule drops, except what the
        graph ``curated`` (the curated graphs' entailments, kept in full) states."""
        roots = ", ".join(f"<{r}>" for r in sorted(self.roots))
        is_root = f" || ?o IN ({roots})" if roots else ""
        keep_curated = (f"\n  FILTER NOT EXISTS {{ GRAPH <{curated}> {{ ?s ?p ?o }} }}"
                        if curated else "")
        return f"""DELETE {{ GRAPH <{target}> {{ ?s ?p ?o }} }} WHERE {{
  GRAPH <{target}> {{ ?s ?p ?o }}
  FILTER (!STRSTARTS(STR(?p), "{SCG_NS}")
    && (?p != {_RDF_TYPE} || !isIRI(?o) || !(STRSTARTS(STR(?o), "{SCG_NS}"){is_root})))\
{keep_curated}
}}"""
