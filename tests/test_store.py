"""The Store interface: the same answers from rdflib in memory and from Oxigraph."""

from __future__ import annotations

import pytest
from pipeline_fixtures import ROOT
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from scgraph.assemble import assemble
from scgraph.errors import QueryError, StoreError
from scgraph.namespaces import GRAPH, ID, INFERRED_GRAPH, METADATA_GRAPH, ONTOLOGY_GRAPH
from scgraph.reason import infer
from scgraph.store import (
    MemoryStore,
    OxigraphStore,
    QueryResult,
    Store,
    bind_values,
    open_store,
)
from scgraph.terms import from_ox, to_ox

PREFIXES = """PREFIX org: <http://www.w3.org/ns/org#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
UNITS = PREFIXES + """SELECT ?unit ?label WHERE {
  ?unit org:transitiveSubOrganizationOf ?org ; rdfs:label ?label .
} ORDER BY ?unit"""
DS = infer(assemble(ROOT), "sparql")
N_QUADS = sum(1 for _ in DS.quads((None, None, None, None)))


@pytest.fixture(params=["memory", "oxigraph"])
def store(request) -> Store:
    s = open_store(request.param)
    s.load_dataset(DS)
    yield s
    s.close()


def test_is_a_store(store):
    assert isinstance(store, Store)


def test_select_with_bindings_sees_all_named_graphs(store):
    result = store.query(UNITS, {"org": ID["org/ec"]})
    assert result == QueryResult(vars=["unit", "label"], rows=[
        (ID["org/cnect-c3"], Literal("Unit C.3", lang="en")),
        (ID["org/dg-cnect"], Literal("DG CNECT", lang="en")),
    ])
    assert result.kind == "select"


def test_bindings_are_terms_not_text(store):
    tricky = Literal('x" } ; ?s ?p ?o . FILTER("')
    q = PREFIXES + "SELECT ?s WHERE { ?s rdfs:label ?label }"
    assert store.query(q, {"label": tricky}).rows == []


def test_unbound_and_typed_values(store):
    q = PREFIXES + """SELECT ?org (COUNT(?u) AS ?n) ?x WHERE {
      ?u org:transitiveSubOrganizationOf ?org .
      OPTIONAL { ?u <https://example.org/nothing> ?x }
    } GROUP BY ?org ?x"""
    result = store.query(q, {"org": ID["org/ec"]})
    assert result.vars == ["org", "n", "x"]
    assert result.rows == [(ID["org/ec"], Literal(2, datatype=XSD.integer), None)]


def test_unprojected_parameter_is_bound(store):
    q = PREFIXES + "SELECT (COUNT(?u) AS ?n) WHERE { ?u org:transitiveSubOrganizationOf ?org }"
    assert store.query(q, {"org": ID["org/dg-cnect"]}).rows == [(Literal(1, datatype=XSD.integer),)]


def test_plain_literals_stay_plain(store):
    q = "SELECT ?v WHERE { ?g <http://purl.org/dc/terms/identifier> ?v } ORDER BY ?v LIMIT 1"
    assert store.query(q).rows == [(Literal("data/reference/organisations.ttl"),)]


def test_ask(store):
    assert store.query(PREFIXES + 'ASK { ?s rdfs:label "DG CNECT"@en }') == QueryResult(boolean=True)
    assert store.query(PREFIXES + 'ASK { ?s rdfs:label "DG CNECT" }').boolean is False


def test_construct_from_one_named_graph(store):
    result = store.query(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} }}")
    assert result.kind == "graph"
    assert set(result.graph) == set(DS.graph(INFERRED_GRAPH))


def test_named_graphs_and_len(store):
    assert store.named_graphs() == [INFERRED_GRAPH, METADATA_GRAPH, ONTOLOGY_GRAPH,
                                    GRAPH["reference/organisations"], GRAPH["source/unit-chart"]]
    assert len(store) == N_QUADS


def test_bad_sparql_is_a_one_line_query_error(store):
    with pytest.raises(QueryError) as e:
        store.query("SELECT ?x WHERE {\n  ?x ?y ?z ) .\n}")
    assert str(e.value).startswith("bad SPARQL: ")
    assert "\n" not in str(e.value)


def test_oxigraph_on_disk_keeps_the_data(tmp_path):
    s = open_store(f"oxigraph:{tmp_path / 'db'}")
    s.load_dataset(DS)
    s.close()
    again = OxigraphStore(tmp_path / "db")
    assert len(again) == N_QUADS
    again.close()


@pytest.mark.parametrize("spec, message", [
    ("postgres", "unknown store 'postgres'; use memory, oxigraph, oxigraph:PATH or sparql:URL[;update=URL][;store=URL][;dataset=union] (docs/serving.md)"),
    ("sparql:", "missing endpoint URL in 'sparql:'; write sparql:http://HOST:PORT/..."),
    ("sparql:ftp://x/query", "bad SPARQL endpoint URL 'ftp://x/query'; use http://HOST:PORT/..."),
    ("sparql:http://x/query;graphs=1", "bad remote store option 'graphs=1'; use ;update=URL, ;store=URL or ;dataset=union"),
    ("sparql:http://x/query;dataset=all", "bad remote store option 'dataset=all'; use ;update=URL, ;store=URL or ;dataset=union"),
    ("sparql:http://x/query;union", "bad remote store option 'union'; use ;update=URL, ;store=URL or ;dataset=union"),
])
def test_unknown_store_spec(spec, message):
    with pytest.raises(StoreError) as e:
        open_store(spec)
    assert str(e.value) == message


def test_open_store_kinds():
    assert isinstance(open_store("memory"), MemoryStore)
    assert isinstance(open_store("oxigraph"), OxigraphStore)


@pytest.mark.parametrize("term", [
    URIRef("https://w3id.org/scgraph/id/org/ec"),
    Literal("plain"),
    Literal("Brüssel", lang="de"),
    Literal(3, datatype=XSD.integer),
    Literal("2023-05-04", datatype=XSD.date),
])
def test_terms_round_trip_through_oxigraph(term):
    assert from_ox(to_ox(term)) == term


def test_filter_only_parameter_is_bound(store):
    q = PREFIXES + "ASK { ?thing rdfs:label ?l . FILTER (STR(?l) = ?label) }"
    assert store.query(q, {"label": Literal("DG CNECT")}).boolean is True
    assert store.query(q, {"label": Literal("DG")}).boolean is False


@pytest.mark.parametrize("query, expected", [
    ("ASK { ?s ?p ?o }", 'ASK { VALUES (?o) { ("x\\"}") } ?s ?p ?o }'),
    ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
     'CONSTRUCT { ?s ?p ?o } WHERE { VALUES (?o) { ("x\\"}") } ?s ?p ?o }'),
    ("PREFIX a: <http://a/#{>\nSELECT * # {\n{ ?s a:p '{' }",
     "PREFIX a: <http://a/#{>\nSELECT * # {\n{ VALUES (?o) { (\"x\\\"}\") } ?s a:p '{' }"),
])
def test_bind_values_opens_the_where_group(query, expected):
    assert bind_values(query, {"o": Literal('x"}')}).replace("  ", " ") == expected
