"""The built graph, read as a consumer who knows only the standard vocabularies would.

Each test asks the union of the asserted and inferred graphs a question in schema.org, ORG,
FOAF, PROV-O, DCTERMS, WGS84 or EURIO terms only, and checks the exact answer against the
sources.
"""

from __future__ import annotations

import pytest
from rdflib import Graph

from scgraph.assemble import assemble, union_graph
from scgraph.reason import infer
from scgraph.validate.shacl import validate

pytestmark = [pytest.mark.slow, pytest.mark.repo_data]

PREFIXES = """
PREFIX schema: <https://schema.org/>
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX wgs84: <http://www.w3.org/2003/01/geo/wgs84_pos#>
PREFIX geo: <http://www.opengis.net/ont/geosparql#>
PREFIX eurio: <http://data.europa.eu/s66#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX id: <https://w3id.org/scgraph/id/>
"""
ID = "https://w3id.org/scgraph/id/"


@pytest.fixture(scope="module")
def dataset():
    return infer(assemble())  # raises InconsistencyError if OWL RL finds a contradiction


@pytest.fixture(scope="module")
def graph(dataset) -> Graph:
    return union_graph(dataset, include_inferred=True)


def ask(g: Graph, query: str) -> list[tuple[str, ...]]:
    return sorted(tuple("" if v is None else str(v).removeprefix(ID) for v in row) for row in g.query(PREFIXES + query))


def test_curated_data_conforms_to_the_shapes(dataset) -> None:
    report = validate(dataset)
    assert [r.line() for r in report.violations] == []
    assert report.conforms


def test_events_with_start_place_and_the_event_before(graph) -> None:
    rows = ask(graph, """
        SELECT ?e ?start ?place ?before WHERE {
          ?e a schema:Event ; schema:location ?place .
          FILTER NOT EXISTS {  # top-level events: parts of no other event (a series is no event here)
            ?e schema:superEvent ?parent . FILTER NOT EXISTS { ?parent a schema:EventSeries } }
          OPTIONAL { ?e schema:startDate ?start }
          OPTIONAL { ?e prov:wasInformedBy ?before }
        }""")
    assert rows == [
        ("meeting/2017-06-20-eip-scc-action-clusters-meeting", "2017-06-20", "venue/hotel-metropole-brussels", ""),
        ("meeting/2023-06-06-second-cluster-meeting-smart-communities", "2023-06-06T09:00:00+02:00", "city/brussels",
         "meeting/2022-06-first-cluster-meeting-smart-communities"),
        ("meeting/connectedineurope-paris-on-site-meeting", "", "city/paris", ""),
        ("meeting/smart-city-expo-world-congress-barcelona", "", "city/barcelona", ""),
        # the start of the Forum is the web page's (data/sources/web/menafn_un_habitat_announces_wuf12.ttl)
        ("meeting/world-urban-forum-cairo", "2024-11-04", "city/cairo", ""),
    ]


def test_sub_events_reach_their_top_event(graph) -> None:
    rows = ask(graph, """
        SELECT (COUNT(DISTINCT ?sub) AS ?n) WHERE {
          <https://w3id.org/scgraph/id/meeting/2021-smart-cities-marketplace-forum> schema:subEvent ?sub }""")
    assert rows == [("1",)]  # day 2; its six meetings are sub-events of day 2
    rows = ask(graph, """
        SELECT ?sub WHERE { ?sub schema:superEvent <https://w3id.org/scgraph/id/meeting/2021-smart-cities-marketplace-forum/day-2> }""")
    assert [r[0].rsplit("/", 1)[1] for r in rows] == [f"action-cluster-{i}" for i in range(1, 7)]


def test_organisations_and_their_parents(graph) -> None:
    rows = ask(graph, "SELECT ?o ?parent WHERE { ?o a org:Organization ; org:transitiveSubOrganizationOf ?parent }")
    assert rows == [
        ("org/dg-cnect", "org/european-commission"),
        ("org/technologies-for-smart-communities-unit", "org/dg-cnect"),
        ("org/technologies-for-smart-communities-unit", "org/european-commission"),
    ]


def test_people_and_affiliations(graph) -> None:
    rows = ask(graph, "SELECT ?p ?org WHERE { ?p a foaf:Person ; schema:affiliation ?org }")
    assert rows == [("person/cristina-martinez", "org/technologies-for-smart-communities-unit")]


def test_projects_in_schema_foaf_and_eurio(graph) -> None:
    rows = ask(graph, "SELECT ?p WHERE { ?p a schema:Project , foaf:Project , eurio:Project }")
    lighthouse = ["atelier", "cityxchange", "growsmarter", "iris", "making-city", "matchup",
                  "mysmartlife", "pocityf", "remourban", "replicate", "response", "ruggedised",
                  "sharing-cities", "smartencity", "smarter-together", "sparcs", "stardust", "triangulum"]
    seeds = ["connectedineurope", "digineb-eu", "ds4sscc", "go-li-eu", "urbanage", "varcities"]
    assert [r[0] for r in rows] == sorted(f"project/{p}" for p in lighthouse + seeds)


def test_places_with_coordinates(graph) -> None:
    rows = ask(graph, "SELECT ?p ?lat ?long ?wkt WHERE { ?p a schema:Place ; wgs84:lat ?lat ; wgs84:long ?long ; geo:hasGeometry/geo:asWKT ?wkt }")
    # the four cities of the seeds (data/reference/places.ttl) and 121 of the 124 cities of the
    # web pages (data/reference/web_references.ttl): the gazetteer does not know the other three
    assert len(rows) == 125
    assert [(r[0], r[1], r[2]) for r in rows if "-" not in r[0].removeprefix("city/")] == [
        ("city/barcelona", "41.38879", "2.15899"), ("city/brussels", "50.85045", "4.34878"),
        ("city/cairo", "30.06263", "31.24967"), ("city/paris", "48.85341", "2.3488")]
    assert ("city/manchester-gb", "53.48095", "-2.23743") in [(r[0], r[1], r[2]) for r in rows]
    assert all(r[3] == f"POINT({r[2]} {r[1]})" for r in rows)
    without = ask(graph, "SELECT ?p WHERE { ?p a schema:City . FILTER NOT EXISTS { ?p wgs84:lat ?x } }")
    assert without == [("city/kadikoy-tr",), ("city/tepebasi-tr",), ("city/voru-ee",)]


def test_every_thing_has_a_source(graph) -> None:
    """Every described thing under id/ (except sub-nodes) carries dcterms:source."""
    rows = ask(graph, """
        SELECT ?s WHERE {
          ?s rdfs:label ?l .
          FILTER(STRSTARTS(STR(?s), "https://w3id.org/scgraph/id/"))
          FILTER(!REGEX(STR(?s), "/(agenda|topic|role|geometry|amount)/?[^/]*$"))
          FILTER NOT EXISTS { ?s dcterms:source ?src }
          FILTER NOT EXISTS { ?s a <https://w3id.org/scgraph/ontology#SourceDocument> }
        }""")
    assert rows == []


def test_source_of_the_opening_statement(graph) -> None:
    rows = ask(graph, "SELECT ?src WHERE { <https://w3id.org/scgraph/id/person/cristina-martinez> prov:wasDerivedFrom ?src }")
    assert rows == [("source/urbanage-second-cluster-meeting-report",)]
