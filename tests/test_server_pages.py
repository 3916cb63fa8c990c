"""Dereferenceable identifiers: every https://w3id.org/scgraph/... IRI served under the
endpoint's own base, by content negotiation (HTML, Turtle, JSON-LD, N-Triples)."""

from __future__ import annotations

import httpx
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS, SKOS
from server_fixtures import running_server

BASE = "https://w3id.org/scgraph/"
ALPHA = URIRef(BASE + "id/project/alpha")
SCG = BASE + "ontology#"


@pytest.fixture(scope="module")
def server():
    with running_server() as s:
        yield s


@pytest.mark.parametrize("accept, fmt, media", [
    ("text/turtle", "turtle", "text/turtle"),
    ("application/ld+json", "json-ld", "application/ld+json"),
    ("application/n-triples", "nt", "application/n-triples"),
])
def test_machines_get_rdf(server, accept, fmt, media):
    r = httpx.get(server.url + "/id/project/alpha", headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["content-type"].startswith(media)
    assert r.headers["vary"].startswith("Accept")
    g = Graph().parse(data=r.text, format=fmt)
    assert g.value(ALPHA, RDFS.label) == Literal("Alpha <b>&amp; co</b>", lang="en")
    assert set(g.objects(ALPHA, URIRef(SCG + "involvesCity"))) == {
        URIRef(BASE + "id/city/porto"), URIRef(BASE + "id/city/tartu")}
    assert len(g) == 5  # type, label, two cities, a theme; no incoming links


def test_format_parameter_overrides_accept(server):
    r = httpx.get(server.url + "/id/city/tartu", params={"format": "turtle"}, headers={"Accept": "text/html"})
    g = Graph().parse(data=r.text, format="turtle")
    # type, label, lat, long of Tartu and the links from alpha and gamma
    assert len(g) == 6
    assert set(g.subjects(URIRef(SCG + "involvesCity"), URIRef(BASE + "id/city/tartu"))) == {
        ALPHA, URIRef(BASE + "id/project/gamma")}


def test_people_get_html_with_escaped_labels_links_and_sources(server):
    r = httpx.get(server.url + "/id/project/alpha", headers={"Accept": "text/html,*/*;q=0.8"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "<h1>Alpha &lt;b&gt;&amp;amp; co&lt;/b&gt;</h1>" in page
    assert "<b>" not in page
    assert '<a href="/id/city/porto">Porto <small>id:city/porto</small></a>' in page
    assert '<a href="/theme/data-sharing">Data sharing <small>theme:data-sharing</small></a>' in page
    assert "<h2>Sources</h2>" in page and 'href="/graph/source/fixture"' in page
    incoming = httpx.get(server.url + "/id/city/brussels", headers={"Accept": "text/html"}).text
    assert "<h2>Incoming links (1)</h2>" in incoming and 'href="/id/project/gamma"' in incoming


def test_theme_and_ontology_pages(server):
    theme = httpx.get(server.url + "/theme/data-sharing", headers={"Accept": "text/turtle"})
    g = Graph().parse(data=theme.text, format="turtle")
    assert g.value(URIRef(BASE + "theme/data-sharing"), SKOS.prefLabel) == Literal("Data sharing", lang="en")
    onto = httpx.get(server.url + "/ontology", headers={"Accept": "text/html"}).text
    for term in ("City", "Project", "involvesCity"):
        assert f'id="{term}"' in onto  # /ontology#City lands on its section
    ttl = Graph().parse(data=httpx.get(server.url + "/ontology?format=ttl").text, format="turtle")
    assert ttl.value(URIRef(SCG + "City"), RDFS.label) == Literal("city", lang="en")


@pytest.mark.parametrize("path", ["/id/project/omega", "/id/city/porto/more", "/nothing", "/id/%3Cscript%3E"])
@pytest.mark.parametrize("accept", ["text/html", "text/turtle"])
def test_unknown_things_are_404(server, path, accept):
    r = httpx.get(server.url + path, headers={"Accept": accept})
    assert r.status_code == 404
    assert "<script>" not in r.text or not r.headers["content-type"].startswith("text/html")
