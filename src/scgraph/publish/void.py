"""``void.ttl``: the VoID and DCAT-AP 3.0 description of a release.

The statistics are counted in the store (SPARQL aggregates over its indexes) or on the merged
pass of :mod:`.dumps`, which sees each distinct triple once; nothing is counted in Python
memory that grows with the graph. Each named graph is a ``void:subset`` with its own
``void:dataDump`` (its Turtle file under ``graphs/``); the whole-dataset files are DCAT
distributions, each with size, checksum, media type, format and licence as DCAT-AP wants them.
"""

from __future__ import annotations

import re

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, SKOS, VOID, XSD

from ..namespaces import (
    APACHE_2,
    BASE,
    CATALOG_IRI,
    CC_BY_4,
    CONTACT_IRI,
    CORDIS_DATASET,
    DATASET_IRI,
    DISTRIBUTION,
    EU_ACCESS_RIGHT,
    EU_DATA_THEME,
    EU_FILE_TYPE,
    IANA_MEDIA_TYPE,
    PUBLISHER_IRI,
    SPDX,
    VCARD,
    bind_prefixes,
    short,
    sparql_prologue,
)
from ..store import OxigraphStore
from .dumps import DumpStats, FileInfo
from .serialise import media_type, sha256

#: The whole-dataset dumps, each with a gzip copy.
DUMP_FILES = ["graph.ttl", "graph-inferred.ttl", "graph.nt", "graph-inferred.nt",
              "dataset.nq", "dataset.trig", "dataset.jsonld"]
CODE_FILES = ["ontology.ttl", "shapes.ttl", "ontology.html", "context.jsonld"]  # Apache-2.0
NOTE_FILES = ["void.ttl", "LICENSE.md", "CHANGELOG.md"]

_TITLES = {
    "graph.ttl": "Every asserted statement, named graphs merged, each once (Turtle)",
    "graph-inferred.ttl": "Asserted and OWL RL inferred statements, merged, each once (Turtle)",
    "graph.nt": "Every asserted statement, named graphs merged, each once (N-Triples)",
    "graph-inferred.nt": "Asserted and OWL RL inferred statements, merged, each once (N-Triples)",
    "dataset.nq": "Every named graph, registry and inferences included (N-Quads)",
    "dataset.trig": "Every named graph, registry and inferences included (TriG)",
    "dataset.jsonld": "Every named graph, registry and inferences included (JSON-LD, expanded)",
    "context.jsonld": "A JSON-LD context with scgraph's prefixes, to compact dataset.jsonld",
    "ontology.ttl": "The scgraph ontology, vocabularies and alignments (Turtle)",
    "shapes.ttl": "The SHACL shapes the data is validated against (Turtle)",
    "ontology.html": "Documentation of the ontology for people (HTML)",
}


def _select(store: OxigraphStore, sparql: str) -> list[tuple]:
    return store.query(sparql_prologue() + sparql).rows


#: Distinct subjects, objects and properties: a triple in several graphs counts once all the
#: same. One query each, so that the store holds one set of distinct terms at a time.
VOID_TOTALS = {
    "subjects": "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
    "objects": "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
    "properties": "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
}
VOID_CLASSES = """
SELECT (COUNT(DISTINCT ?c) AS ?classes) (COUNT(DISTINCT ?s) AS ?entities)
WHERE { GRAPH ?g { ?s rdf:type ?c } FILTER isIRI(?s) }
"""
VOID_CLASS_PARTITIONS = """
SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s rdf:type ?c } FILTER isIRI(?c) }
GROUP BY ?c ORDER BY ?c
"""
#: Distinct subjects and objects of one property (``{p}``), asked property by property: the
#: store then holds the distinct terms of one property at a time, not of all at once (at 5x10^4
#: projects that was the largest part of publish's memory).
VOID_PROPERTY_PARTITION = """
SELECT (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?o) AS ?objects)
WHERE {{ GRAPH ?g {{ ?s <{p}> ?o }} }}
"""
#: Triples per named graph (a graph holds each of its triples once).
VOID_GRAPHS = """
SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g
"""
#: The countries the data is about (places, organisations and projects name them by the EU's
#: country authority IRIs): the dataset's spatial coverage.
COUNTRIES = """
SELECT DISTINCT ?c WHERE { GRAPH ?g { ?x ?p ?c } FILTER(isIRI(?c) && STRSTARTS(STR(?c), STR(eucountry:))) }
ORDER BY ?c
"""
#: The time the data is about: from the earliest start to the latest end of anything dated
#: (projects, meetings), as written (a year, a month or a day).
PERIOD = """
SELECT ?first ?last WHERE {
  { SELECT (MIN(SUBSTR(STR(?s), 1, 10)) AS ?first) WHERE { GRAPH ?g { ?x scg:startDate ?s } } }
  { SELECT (MAX(SUBSTR(STR(?e), 1, 10)) AS ?last) WHERE { GRAPH ?h { ?y scg:endDate ?e } } }
}
"""
SOURCE_DOCUMENTS = """
SELECT DISTINCT ?doc WHERE {
  { VALUES ?type { scg:SourceDocument scg:WebPage } GRAPH ?g { ?doc rdf:type ?type } }
  UNION { GRAPH graph:metadata { ?graph prov:wasDerivedFrom ?doc } }
  FILTER isIRI(?doc)
} ORDER BY ?doc
"""


def graph_counts(store: OxigraphStore) -> dict[str, int]:
    """Triples per named graph, counted in the store."""
    return {str(g): int(str(n)) for g, n in _select(store, VOID_GRAPHS)}


def _int(term: object) -> int:
    return int(str(term))


def _fragment(term: URIRef, used: set[str]) -> str:
    """A readable fragment for a partition (``scg-City``), made unique within ``used``."""
    base = re.sub(r"[^A-Za-z0-9_-]+", "-", short(term).strip("<>")).strip("-")
    frag = base
    if frag in used:
        frag = f"{base}-{sha256(str(term).encode())[:8]}"
    used.add(frag)
    return frag


#: DCAT-AP's file-type vocabulary (``dct:format``) for each media type of a release file.
FILE_TYPES = {
    "text/turtle": "RDF_TURTLE",
    "application/n-triples": "RDF_N_TRIPLES",
    "application/n-quads": "RDF_N_QUADS",
    "application/trig": "RDF_TRIG",
    "application/ld+json": "JSON_LD",
    "text/html": "HTML",
    "application/gzip": "GZIP",
}
#: Themes of the dataset (DCAT-AP: the EU data-theme vocabulary) with their English labels there.
THEMES = {"REGI": "Regions and cities", "TECH": "Science and technology"}
KEYWORDS = ("smart cities", "European Union", "research and innovation projects",
            "linked data", "synergies")
TITLE = Literal("scgraph: a knowledge graph of the EU's smart-city projects, initiatives, "
                "clusters, cities and meetings", lang="en")
DESCRIPTION = Literal(
    "Curated, source-traceable RDF about the EU's smart-city initiatives and their synergies, "
    "one named graph per source document, with the projects of the EU's project registry "
    "where they were imported and OWL RL inferences in their own graph.", lang="en")
CORDIS_TITLE = Literal("CORDIS - EU research projects under Horizon Europe (2021-2027)", lang="en")
CORDIS_DESCRIPTION = Literal("CORDIS, the EU's registry of research projects: the projects "
                             "funded under Horizon Europe (2021-2027).", lang="en")


def _day(text: str) -> Literal:
    """A start or end as written: a year, a year and month, or a day."""
    kind = {4: XSD.gYear, 7: XSD.gYearMonth}.get(len(text), XSD.date)
    return Literal(text, datatype=kind)


def _coverage(g: Graph, store: OxigraphStore) -> None:
    """What the data.europa.eu metadata quality assessment looks for beyond DCAT-AP's
    mandatory properties: spatial and temporal coverage (from the data), access rights, a
    contact point and the modification date."""
    d = DATASET_IRI
    for (country,) in _select(store, COUNTRIES):
        g.add((d, DCTERMS.spatial, country))
        g.add((country, RDF.type, DCTERMS.Location))
    rows = _select(store, PERIOD)
    first, last = rows[0] if rows else (None, None)
    if first is not None or last is not None:
        period = URIRef(f"{d}#temporal")
        g.add((d, DCTERMS.temporal, period))
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if first is not None:
            g.add((period, DCAT.startDate, _day(str(first))))
        if last is not None:
            g.add((period, DCAT.endDate, _day(str(last))))
    public = EU_ACCESS_RIGHT["PUBLIC"]
    g.add((d, DCTERMS.accessRights, public))
    g.add((public, RDF.type, DCTERMS.RightsStatement))
    g.add((d, DCAT.contactPoint, CONTACT_IRI))
    g.add((CONTACT_IRI, RDF.type, VCARD.Organization))
    g.add((CONTACT_IRI, RDF.type, VCARD.Kind))
    g.add((CONTACT_IRI, VCARD.fn, Literal("the scgraph developers", lang="en")))
    g.add((CONTACT_IRI, VCARD.hasURL, URIRef(BASE[:-1] if BASE.endswith("/") else BASE)))


def _dcat_ap(g: Graph, version: str, issued: str) -> None:
    """What DCAT-AP 3.0 asks beyond the dataset's own description: a catalogue, a publisher,
    themes and keywords, and the classes its shapes expect of licences, media types, formats,
    checksum algorithms and standards (each typed here: void.ttl is read without the
    vocabularies)."""
    d = DATASET_IRI
    c = CATALOG_IRI
    g.add((c, RDF.type, DCAT.Catalog))
    g.add((c, DCTERMS.title, Literal("scgraph releases", lang="en")))
    g.add((c, DCTERMS.description, Literal(
        f"The scgraph dataset as published in release {version}, with its dumps, ontology "
        "and shapes.", lang="en")))
    g.add((c, DCTERMS.publisher, PUBLISHER_IRI))
    g.add((c, DCTERMS.issued, Literal(issued, datatype=XSD.date)))
    g.add((c, DCTERMS.license, CC_BY_4))
    g.add((c, DCAT.dataset, d))
    g.add((PUBLISHER_IRI, RDF.type, FOAF.Agent))
    g.add((PUBLISHER_IRI, FOAF.name, Literal("the scgraph developers", lang="en")))
    g.add((d, DCTERMS.publisher, PUBLISHER_IRI))
    for theme, label in THEMES.items():
        g.add((d, DCAT.theme, EU_DATA_THEME[theme]))
        g.add((EU_DATA_THEME[theme], RDF.type, SKOS.Concept))
        g.add((EU_DATA_THEME[theme], SKOS.prefLabel, Literal(label, lang="en")))
        g.add((EU_DATA_THEME[theme], SKOS.inScheme, URIRef(str(EU_DATA_THEME)[:-1])))
    for word in KEYWORDS:
        g.add((d, DCAT.keyword, Literal(word, lang="en")))
    for licence in (CC_BY_4, APACHE_2):
        g.add((licence, RDF.type, DCTERMS.LicenseDocument))
    g.add((URIRef(BASE + "shapes"), RDF.type, DCTERMS.Standard))
    g.add((SPDX.checksumAlgorithm_sha256, RDF.type, SPDX.ChecksumAlgorithm))
    # dct:source in DCAT-AP is a dcat:Dataset: the EU registry; documents are prov:wasDerivedFrom.
    g.add((d, DCTERMS.source, CORDIS_DATASET))
    g.add((CORDIS_DATASET, RDF.type, DCAT.Dataset))
    g.add((CORDIS_DATASET, DCTERMS.title, CORDIS_TITLE))
    g.add((CORDIS_DATASET, DCTERMS.description, CORDIS_DESCRIPTION))


def _count(n: int) -> Literal:
    return Literal(n, datatype=XSD.integer)


def void_graph(store: OxigraphStore, stats: DumpStats, files: list[FileInfo],
               graph_dumps: dict[str, str], version: str, issued: str,
               download_base: str = str(DISTRIBUTION)) -> Graph:
    """The VoID and DCAT-AP description of the dataset in ``store`` and of its release ``files``.

    ``stats``: the distinct triples the merged dumps counted; ``graph_dumps``: each named
    graph's Turtle file. Each file is downloaded from ``download_base`` + its name (default:
    its distribution IRI).
    """
    g = bind_prefixes(Graph())
    g.bind("spdx", SPDX)
    g.bind("filetype", EU_FILE_TYPE)
    g.bind("datatheme", EU_DATA_THEME)
    g.bind("vcard", VCARD)
    d = DATASET_IRI
    g.add((d, RDF.type, VOID.Dataset))
    g.add((d, RDF.type, DCAT.Dataset))
    g.add((d, DCTERMS.title, TITLE))
    g.add((d, DCTERMS.description, DESCRIPTION))
    g.add((d, DCAT._NS["version"], Literal(version)))
    g.add((d, OWL.versionInfo, Literal(version)))
    g.add((d, DCTERMS.issued, Literal(issued, datatype=XSD.date)))
    g.add((d, DCTERMS.modified, Literal(issued, datatype=XSD.date)))
    g.add((d, DCTERMS.license, CC_BY_4))
    g.add((d, DCTERMS.rights, Literal(
        "Curated data: CC BY 4.0, the scgraph developers. Data from the EU project registry "
        "(CORDIS): CC BY 4.0, © European Union. Ontology, shapes and code: Apache-2.0. "
        "See LICENSE.md.", lang="en")))
    g.add((d, VOID.uriSpace, Literal(BASE)))
    g.add((d, VOID.vocabulary, URIRef(BASE + "ontology")))
    g.add((d, DCTERMS.conformsTo, URIRef(BASE + "shapes")))
    _dcat_ap(g, version, issued)
    _coverage(g, store)

    subjects, objects, properties = (_select(store, VOID_TOTALS[k])[0][0]
                                     for k in ("subjects", "objects", "properties"))
    (classes, entities), = _select(store, VOID_CLASSES)
    for p, v in [(VOID.triples, stats.triples), (VOID.distinctSubjects, _int(subjects)),
                 (VOID.distinctObjects, _int(objects)), (VOID.properties, _int(properties)),
                 (VOID.classes, _int(classes)), (VOID.entities, _int(entities))]:
        g.add((d, p, _count(v)))

    used: set[str] = set()
    for c, n in _select(store, VOID_CLASS_PARTITIONS):
        part = URIRef(f"{d}#class-{_fragment(c, used)}")
        g.add((d, VOID.classPartition, part))
        g.add((part, VOID["class"], c))
        g.add((part, VOID.entities, _count(_int(n))))
    for name in sorted(stats.by_property):
        p = URIRef(name)
        (ns, no), = _select(store, VOID_PROPERTY_PARTITION.format(p=name))
        part = URIRef(f"{d}#property-{_fragment(p, used)}")
        g.add((d, VOID.propertyPartition, part))
        g.add((part, VOID.property, p))
        g.add((part, VOID.triples, _count(stats.by_property[str(p)])))
        g.add((part, VOID.distinctSubjects, _count(_int(ns))))
        g.add((part, VOID.distinctObjects, _count(_int(no))))
    for name, n in graph_counts(store).items():
        graph = URIRef(name)
        g.add((d, VOID.subset, graph))
        g.add((graph, RDF.type, VOID.Dataset))
        g.add((graph, VOID.triples, _count(n)))
        if name in graph_dumps:
            for dump in (graph_dumps[name], graph_dumps[name] + ".gz"):
                g.add((graph, VOID.dataDump, URIRef(download_base + dump)))

    for (doc,) in _select(store, SOURCE_DOCUMENTS):
        g.add((d, PROV.wasDerivedFrom, doc))

    for f in files:
        _distribution(g, f, download_base)
    return g


def _distribution(g: Graph, f: FileInfo, download_base: str) -> None:
    d = DATASET_IRI
    dist = DISTRIBUTION[f.name]
    g.add((d, DCAT.distribution, dist))
    g.add((dist, RDF.type, DCAT.Distribution))
    g.add((dist, DCTERMS.title, Literal(f.name)))
    inner = f.name[:-3] if f.name.endswith(".gz") else f.name
    if inner in _TITLES:
        g.add((dist, DCTERMS.description, Literal(_TITLES[inner], lang="en")))
    g.add((dist, DCAT.accessURL, URIRef(download_base + f.name)))
    g.add((dist, DCAT.downloadURL, URIRef(download_base + f.name)))
    g.add((dist, DCAT.mediaType, IANA_MEDIA_TYPE[media_type(inner)]))
    g.add((IANA_MEDIA_TYPE[media_type(inner)], RDF.type, DCTERMS.MediaType))
    g.add((dist, DCTERMS.format, EU_FILE_TYPE[FILE_TYPES[media_type(inner)]]))
    g.add((EU_FILE_TYPE[FILE_TYPES[media_type(inner)]], RDF.type, DCTERMS.MediaTypeOrExtent))
    if f.name.endswith(".gz"):
        g.add((dist, DCAT.compressFormat, IANA_MEDIA_TYPE["application/gzip"]))
        g.add((IANA_MEDIA_TYPE["application/gzip"], RDF.type, DCTERMS.MediaType))
    g.add((dist, DCAT.byteSize, Literal(f.size, datatype=XSD.nonNegativeInteger)))
    checksum = URIRef(f"{dist}#sha256")
    g.add((dist, SPDX.checksum, checksum))
    g.add((checksum, RDF.type, SPDX.Checksum))
    g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    g.add((checksum, SPDX.checksumValue, Literal(f.sha256, datatype=XSD.hexBinary)))
    g.add((dist, DCTERMS.license, APACHE_2 if inner in CODE_FILES else CC_BY_4))
    if inner in DUMP_FILES:
        g.add((d, VOID.dataDump, dist))
