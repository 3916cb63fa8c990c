"""The SPARQL endpoint with real clients: SPARQLWrapper, rdflib's SPARQLStore, httpx and raw
HTTP, against the server running on 127.0.0.1 over tests/data/server/dataset.trig."""

from __future__ import annotations

import http.client
import threading
import time
import xml.etree.ElementTree as ET

import httpx
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from server_fixtures import running_server
from SPARQLWrapper import CSV, JSON, N3, TSV, XML, SPARQLWrapper, TURTLE
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

ID = "https://w3id.org/scgraph/id/"
PER_CITY = """PREFIX scg: <https://w3id.org/scgraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?name (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p scg:involvesCity ?c . ?c rdfs:label ?name }
GROUP BY ?name ORDER BY DESC(?n) ?name"""
EXPECTED = [("Porto", 3), ("Tartu", 2), ("Brussels", 1)]
CONSTRUCT = """PREFIX scg: <https://w3id.org/scgraph/ontology#>
CONSTRUCT { ?p scg:involvesCity <https://w3id.org/scgraph/id/city/tartu> }
WHERE { ?p scg:involvesCity <https://w3id.org/scgraph/id/city/tartu> }"""
TARTU_PROJECTS = {URIRef(ID + "project/alpha"), URIRef(ID + "project/gamma")}
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o . ?q ?r ?t }"


@pytest.fixture(scope="module")
def server():
    with running_server(max_rows=5) as s:
        yield s


def wrapper(server, query: str, fmt: str, method: str = "GET") -> SPARQLWrapper:
    w = SPARQLWrapper(server.sparql)
    w.setQuery(query)
    w.setReturnFormat(fmt)
    w.setMethod(method)
    return w


# --------------------------------------------------------------------------- result formats


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_json(server, method):
    doc = wrapper(server, PER_CITY, JSON, method).query().convert()
    assert doc["head"]["vars"] == ["name", "n"]
    rows = [(b["name"]["value"], int(b["n"]["value"])) for b in doc["results"]["bindings"]]
    assert rows == EXPECTED
    assert doc["results"]["bindings"][0]["name"]["xml:lang"] == "en"


def test_sparqlwrapper_xml(server):
    tree = wrapper(server, PER_CITY, XML).query().convert()
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    rows = [(r.find("r:binding[@name='name']/r:literal", ns).text,
             int(r.find("r:binding[@name='n']/r:literal", ns).text))
            for r in tree.getElementsByTagNameNS and ET.fromstring(tree.toxml()).iterfind(".//r:result", ns)]
    assert rows == EXPECTED


def test_sparqlwrapper_csv_and_tsv(server):
    text = wrapper(server, PER_CITY, CSV).query().convert().decode()
    assert text == "name,n\r\nPorto,3\r\nTartu,2\r\nBrussels,1\r\n"
    tsv = wrapper(server, PER_CITY, TSV).query().convert().decode()
    assert tsv.splitlines() == [
        "?name\t?n", *(f'"{c}"@en\t"{n}"^^<http://www.w3.org/2001/XMLSchema#integer>' for c, n in EXPECTED)]


def test_ask(server):
    w = wrapper(server, "ASK { <https://w3id.org/scgraph/id/city/porto> ?p ?o }", JSON)
    assert w.query().convert() == {"head": {}, "boolean": True}


@pytest.mark.parametrize("fmt, rdflib_format", [(TURTLE, "turtle"), (N3, "turtle")])
def test_construct_by_sparqlwrapper(server, fmt, rdflib_format):
    g = wrapper(server, CONSTRUCT, fmt).query().convert()
    if isinstance(g, bytes):
        g = Graph().parse(data=g, format=rdflib_format)
    assert set(g.subjects()) == TARTU_PROJECTS and len(g) == 2


@pytest.mark.parametrize("fmt, media, rdflib_format", [
    ("turtle", "text/turtle", "turtle"), ("ntriples", "application/n-triples", "nt"),
    ("jsonld", "application/ld+json", "json-ld")])
def test_construct_formats_by_parameter(server, fmt, media, rdflib_format):
    r = httpx.get(server.sparql, params={"query": CONSTRUCT, "format": fmt})
    assert r.status_code == 200 and r.headers["content-type"].startswith(media)
    g = Graph().parse(data=r.text, format=rdflib_format)
    assert set(g.subjects()) == TARTU_PROJECTS and len(g) == 2


@pytest.mark.parametrize("accept, media", [
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"), ("text/tab-separated-values", "text/tab-separated-values"),
    ("text/html, */*;q=0.1", "application/sparql-results+json"),
])
def test_select_content_negotiation(server, accept, media):
    r = httpx.get(server.sparql, params={"query": PER_CITY}, headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["content-type"].split(";")[0] == media
    assert r.headers["vary"].startswith("Accept")


def test_post_direct_and_form(server):
    direct = httpx.post(server.sparql, content=PER_CITY, params={"format": "csv"},
                        headers={"Content-Type": "application/sparql-query"})
    form = httpx.post(server.sparql, data={"query": PER_CITY, "format": "csv"})
    assert direct.text == form.text == "name,n\r\nPorto,3\r\nTartu,2\r\nBrussels,1\r\n"


def test_default_graph_uri_limits_the_default_graph(server):
    q = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    one = httpx.get(server.sparql, params={"query": q, "format": "csv",
                                           "default-graph-uri": "https://w3id.org/scgraph/graph/reference/places"})
    assert one.text == "n\r\n12\r\n"


def test_rdflib_sparqlstore(server):
    g = Graph(store=SPARQLStore(server.sparql, returnFormat="json"))
    rows = [(str(r[0]), int(r[1])) for r in g.query(PER_CITY)]
    assert rows == EXPECTED
    assert g.value(URIRef(ID + "city/porto"), RDFS.label) == Literal("Porto", lang="en")


# --------------------------------------------------------------------------- errors and limits


def test_malformed_query_is_400_with_one_line(server):
    r = httpx.get(server.sparql, params={"query": "SELECT ?x WHERE { ?x"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/plain")
    assert r.text.startswith("bad SPARQL query: ") and r.text.count("\n") == 1
    with pytest.raises(QueryBadFormed):
        wrapper(server, "SELEKT * WHERE {}", JSON).query()


@pytest.mark.parametrize("request_kwargs", [
    {"method": "POST", "data": {"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}},
    {"method": "POST", "content": "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
     "headers": {"Content-Type": "application/sparql-update"}},
    {"method": "GET", "params": {"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}},
    {"method": "GET", "params": {"query": "PREFIX x: <urn:x> INSERT DATA { <urn:a> <urn:b> <urn:c> }"}},
], ids=["form", "direct", "get", "as-query"])
def test_updates_are_refused(server, request_kwargs):
    r = httpx.request(url=server.sparql, **request_kwargs)
    assert r.status_code == 403 and "read-only" in r.text
    count = httpx.get(server.sparql, params={"query": "ASK { <urn:a> ?p ?o }", "format": "json"})
    assert count.json()["boolean"] is False


def test_wrong_format_and_content_type(server):
    r = httpx.get(server.sparql, params={"query": PER_CITY, "format": "turtle"})
    assert r.status_code == 406 and "SELECT" in r.text
    r = httpx.get(server.sparql, params={"query": PER_CITY}, headers={"Accept": "image/png"})
    assert r.status_code == 406
    r = httpx.post(server.sparql, content=b"x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415


def test_rows_are_capped_with_a_header(server):
    r = httpx.get(server.sparql, params={"query": "SELECT * WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o",
                                         "format": "csv"})
    assert r.status_code == 200
    assert r.headers["x-sparql-truncated"] == "true" and r.headers["x-sparql-max-rows"] == "5"
    assert len(r.text.strip().split("\r\n")) == 1 + 5
    small = httpx.get(server.sparql, params={"query": PER_CITY, "format": "csv"})
    assert "x-sparql-truncated" not in small.headers


def test_oversized_request_is_413(server):
    big = "# " + "x" * 30_000 + "\nASK {}"
    assert httpx.post(server.sparql, data={"query": big}).status_code == 413
    assert httpx.post(server.sparql, content=big, headers={"Content-Type": "application/sparql-query"}).status_code == 413
    assert httpx.get(server.sparql, params={"query": big}).status_code == 413
    assert httpx.post(server.sparql, data={"query": "ASK {}"}).status_code == 200


def test_cors(server):
    r = httpx.get(server.sparql, params={"query": "ASK {}"}, headers={"Origin": "https://yasgui.example"})
    assert r.headers["access-control-allow-origin"] == "*"
    assert "X-SPARQL-Truncated" in r.headers["access-control-expose-headers"]
    pre = httpx.options(server.sparql, headers={
        "Origin": "https://yasgui.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == "*"
    assert "POST" in pre.headers["access-control-allow-methods"]
    assert "content-type" in pre.headers["access-control-allow-headers"].lower()


def test_service_description(server):
    r = httpx.get(server.sparql, headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    g = Graph().parse(data=r.text, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    service = URIRef(server.sparql)
    assert (service, URIRef(sd + "endpoint"), service) in g
    assert (service, URIRef(sd + "supportedLanguage"), URIRef(sd + "SPARQL11Query")) in g
    assert (service, URIRef(sd + "supportedLanguage"), URIRef(sd + "SPARQL11Update")) not in g
    browser = httpx.get(server.sparql, headers={"Accept": "text/html"})
    assert browser.status_code == 303 and browser.headers["location"] == "/"


def test_catalogue_json(server):
    doc = httpx.get(server.url + "/queries.json").json()
    assert [q["name"] for q in doc["queries"]] == ["city_coordinates", "project_cities", "projects_per_city"]
    assert doc["queries"][2]["title"] == "Projects per city"
    assert doc["prefixes"]["id"] == ID


# --------------------------------------------------------------------------- timeouts


def test_slow_query_is_stopped_while_a_fast_one_answers():
    with running_server(timeout=1.5, workers=2) as s:
        slow: dict[str, object] = {}

        def run_slow() -> None:
            t = time.monotonic()
            r = httpx.get(s.sparql, params={"query": SLOW}, timeout=30)
            slow.update(status=r.status_code, text=r.text, seconds=time.monotonic() - t)

        th = threading.Thread(target=run_slow)
        th.start()
        time.sleep(0.3)
        t = time.monotonic()
        fast = httpx.get(s.sparql, params={"query": PER_CITY, "format": "csv"}, timeout=30)
        fast_seconds = time.monotonic() - t
        th.join(30)
        assert fast.status_code == 200 and fast.text.startswith("name,n\r\nPorto,3")
        assert fast_seconds < 1.2  # answered while the slow query still ran
        assert slow["status"] == 503 and "time limit of 1.5 s" in str(slow["text"])
        assert 1.4 < float(slow["seconds"]) < 10  # type: ignore[arg-type]
        # the stopped worker was replaced: both workers answer again
        deadline = time.monotonic() + 20
        while s.app.state.pool._idle.qsize() < 2 and time.monotonic() < deadline:  # type: ignore[attr-defined]
            time.sleep(0.1)
        assert s.app.state.pool.replaced == 1  # type: ignore[attr-defined]
        answers = [httpx.get(s.sparql, params={"query": "ASK {}", "format": "json"}).json()["boolean"]
                   for _ in range(4)]
        assert answers == [True] * 4


def test_allow_update_applies_to_every_worker():
    with running_server(allow_update=True, workers=2) as s:
        r = httpx.post(s.sparql, data={"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"})
        assert r.status_code == 204
        assert httpx.get(s.sparql, params={"update": "CLEAR ALL"}).status_code == 405
        asks = {httpx.get(s.sparql, params={"query": "ASK { <urn:a> <urn:b> <urn:c> }",
                                           "format": "json"}).json()["boolean"] for _ in range(6)}
        assert asks == {True}


# --------------------------------------------------------------------------- static files


@pytest.mark.parametrize("path", [
    "/static/../server.py", "/static/%2e%2e/server.py", "/static/..%2fserver.py",
    "/static/%2e%2e%2f%2e%2e%2fpublish.py", "/static/../../../../etc/passwd", "/static//etc/passwd",
])
def test_path_traversal_is_refused(server, path):
    host, port = server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.request("GET", path)  # raw: no client-side normalisation of ".."
    r = conn.getresponse()
    body = r.read()
    conn.close()
    assert r.status == 404
    assert b"import" not in body and b"root:" not in body


def test_static_files_are_served(server):
    for name, media in [("app.js", "javascript"), ("style.css", "text/css")]:
        r = httpx.get(f"{server.url}/static/{name}")
        assert r.status_code == 200 and media in r.headers["content-type"]
    page = httpx.get(server.url + "/")
    assert page.status_code == 200 and '<script src="/static/app.js"' in page.text
    assert "http://" not in page.text and "https://" not in page.text  # nothing from elsewhere
