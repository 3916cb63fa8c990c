"""The ontology parses, every scg: term is labelled, defined and aligned, and the Python
namespace lists exactly the terms the ontology defines."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.namespace import SKOS

from scgraph.namespaces import BASE, ONTOLOGY_IRI, SCG

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "ontology"
SCG_NS = str(SCG._NS)
STANDARD_NAMESPACES = (
    "https://schema.org/",
    "http://www.w3.org/ns/org#",
    "http://xmlns.com/foaf/0.1/",
    "http://www.w3.org/2004/02/skos/core#",
    "http://purl.org/dc/terms/",
    "http://www.w3.org/ns/prov#",
    "http://www.w3.org/ns/dcat#",
    "http://www.opengis.net/ont/geosparql#",
    "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "http://data.europa.eu/s66#",
)


ONTOLOGY_MODULES = sorted(p for p in ONTOLOGY.glob("*.ttl") if "shapes" not in p.name)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    """The ontology with all its modules (vocabularies, alignments, registry terms)."""
    g = Graph()
    for p in ONTOLOGY_MODULES:
        g.parse(p)
    return g


def scg_terms(g: Graph) -> set[URIRef]:
    return {s for s in g.subjects() if isinstance(s, URIRef) and str(s).startswith(SCG_NS)}


@pytest.mark.parametrize("path", sorted(ONTOLOGY.glob("*.ttl")), ids=lambda p: p.name)
def test_every_ontology_file_parses(path: Path) -> None:
    assert len(Graph().parse(path)) > 0


def test_header_has_version_licence_creator_description(ontology: Graph) -> None:
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in ontology
    for p in ("versionIRI", "versionInfo"):
        assert ontology.value(ONTOLOGY_IRI, OWL[p]) is not None, p
    for p in ("license", "creator", "description", "title"):
        assert ontology.value(ONTOLOGY_IRI, URIRef("http://purl.org/dc/terms/" + p)) is not None, p
    assert str(ontology.value(ONTOLOGY_IRI, OWL.versionIRI)).startswith(BASE + "ontology/")


def test_every_term_is_labelled_and_defined(ontology: Graph) -> None:
    missing = sorted(
        str(t)
        for t in scg_terms(ontology)
        if ontology.value(t, RDFS.label) is None
        or (ontology.value(t, SKOS.definition) is None and ontology.value(t, RDFS.comment) is None)
    )
    assert missing == []


def test_every_term_is_declared_as_class_or_property(ontology: Graph) -> None:
    kinds = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty}
    undeclared = sorted(str(t) for t in scg_terms(ontology) if not set(ontology.objects(t, RDF.type)) & kinds)
    assert undeclared == []


def test_every_class_reaches_a_standard_vocabulary(ontology: Graph) -> None:
    """Each scg: class is (transitively) a sub-class of a standard term, so consumers find it."""

    def reaches_standard(c: URIRef, prop: URIRef) -> bool:
        return any(str(sup).startswith(STANDARD_NAMESPACES) for sup in ontology.transitive_objects(c, prop))

    classes = [t for t in scg_terms(ontology) if (t, RDF.type, OWL.Class) in ontology]
    assert len(classes) >= 40
    assert sorted(str(c) for c in classes if not reaches_standard(c, RDFS.subClassOf)) == []


# Properties with no standard counterpart: each is scgraph's own bookkeeping.
EXPECTED_UNALIGNED = {
    "amount",  # the generic parent of scg:totalCost and scg:euContribution
    "netEuContribution",  # registry amounts and flags without a standard term
    "sme",
    "euContribution",  # the EU's share of a cost: EURIO models it on grants, not projects
    "declaredCityCount",  # what a source declares but does not name
    "declaredMeetingCount",
    "declaredMemberCount",
    "memberKind",
    "declaredParticipantCount",
    "issuedNotAfter",  # bounds on an undated source's date
    "issuedNotBefore",
    "participantKind",
    "participationRole",
    "seedFile",  # where a source's text lies, and its checksum
    "sha256",
    "status",
}


def test_object_properties_are_aligned_or_scg_specific(ontology: Graph) -> None:
    """Properties with no standard super-property are the few that have no standard equivalent."""
    unaligned = set()
    for t in scg_terms(ontology):
        if (t, RDF.type, OWL.ObjectProperty) in ontology or (t, RDF.type, OWL.DatatypeProperty) in ontology:
            sups = set(ontology.transitive_objects(t, RDFS.subPropertyOf)) - {t}
            inverse = ontology.value(t, OWL.inverseOf) or ontology.value(predicate=OWL.inverseOf, object=t)
            if not any(str(s).startswith(STANDARD_NAMESPACES) for s in sups) and inverse is None:
                unaligned.add(str(t)[len(SCG_NS):])
    assert unaligned == EXPECTED_UNALIGNED


def test_namespace_class_lists_exactly_the_ontology_terms(ontology: Graph) -> None:
    declared = {name for name in SCG.__annotations__}
    defined = {str(t)[len(SCG_NS):] for t in scg_terms(ontology)}
    assert declared == defined


def test_unknown_term_fails() -> None:
    with pytest.raises(AttributeError):
        SCG.Projet  # noqa: B018
