"""The W3C SPARQL 1.1 Protocol tests (../shared/standards/sparql11-protocol-tests/manifest.ttl)
against the endpoint on 127.0.0.1, read-only and with updates allowed.

The manifest's cases are prose in RDF (request: method, path, headers, body; response: status
class, media type class, ASK answer); each becomes one test here, read from the manifest itself.
``/sparql/`` in a path is the endpoint's ``/sparql``. Cases and deviations: docs/serving.md,
"Conformance".
"""

from __future__ import annotations

import http.client
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDFS
from server_fixtures import running_server


STANDARDS = Path(__file__).resolve().parents[2] / "shared" / "standards"
if not STANDARDS.is_dir():
    STANDARDS = Path("/work/shared/standards")
PROTOCOL = STANDARDS / "sparql11-protocol-tests"
MANIFEST = PROTOCOL / "manifest.ttl"
pytestmark = pytest.mark.skipif(not MANIFEST.is_file(), reason="W3C protocol tests not present")

BASE = "http://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/manifest#"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"

BOOLEAN_TYPES = {"application/sparql-results+json", "application/sparql-results+xml"}
TABULAR_TYPES = BOOLEAN_TYPES | {"text/csv", "text/tab-separated-values"}
RDF_TYPES = {"application/rdf+xml", "text/turtle", "application/n-triples", "application/ld+json"}


def _manifest() -> tuple[Graph, list[URIRef]]:
    g = Graph()
    if MANIFEST.is_file():
        g.parse(MANIFEST, format="turtle", publicID=BASE.rstrip("#").rsplit("/", 1)[0] + "/manifest.ttl")
        manifest = next(g.subjects(MF.entries, None))
        return g, list(Collection(g, g.value(manifest, MF.entries)))
    return g, []


GRAPH, ENTRIES = _manifest()
NAMES = {str(e).rsplit("#", 1)[1]: e for e in ENTRIES}
QUERY_CASES = [n for n in NAMES if not n.startswith("update_")]
UPDATE_CASES = [n for n in NAMES if n.startswith("update_")]


def _requests(case: URIRef) -> list[dict]:
    action = GRAPH.value(case, MF.action)
    out = []
    for req in Collection(GRAPH, GRAPH.value(action, HT.requests)):
        headers = {}
        hs = GRAPH.value(req, HT.headers)
        if hs is not None:
            for h in Collection(GRAPH, hs):
                headers[str(GRAPH.value(h, HT.fieldName))] = str(GRAPH.value(h, HT.fieldValue))
        body = GRAPH.value(req, HT.body)
        data = None
        if body is not None:
            enc = str(GRAPH.value(body, CNT.characterEncoding) or "UTF-8")
            data = str(GRAPH.value(body, CNT.chars)).encode(enc.lower())
        resp = GRAPH.value(req, HT.resp)
        statuses = {str(s).removeprefix(HTS)[0] for s in GRAPH.objects(resp, MF.expectedStatus)}
        boolean = GRAPH.value(resp, MF.expectedBoolean)
        fmt = GRAPH.value(resp, MF.expectedFormat)
        out.append({"method": str(GRAPH.value(req, HT.methodName)),
                    "path": str(GRAPH.value(req, HT.absolutePath)), "headers": headers, "body": data,
                    "statuses": statuses, "boolean": None if boolean is None else boolean.toPython(),
                    "format": None if fmt is None else str(fmt)})
    return out


def _send(url: str, req: dict) -> tuple[int, str, bytes]:
    """One request as the manifest writes it (raw HTTP: no client adds a content type)."""
    parts = urlsplit(url)
    path = req["path"]
    assert path.startswith("/sparql/")
    path = "/sparql" + path[len("/sparql"):].removeprefix("/")
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        headers = dict(req["headers"])
        if req["body"] is not None:
            headers["Content-Length"] = str(len(req["body"]))
        conn.request(req["method"], path, body=req["body"], headers=headers)
        r = conn.getresponse()
        return r.status, (r.getheader("content-type") or "").split(";")[0].strip(), r.read()
    finally:
        conn.close()


def _boolean(ctype: str, body: bytes) -> bool:
    if ctype == "application/sparql-results+json":
        return json.loads(body)["boolean"]
    root = ET.fromstring(body)
    return root.find("{http://www.w3.org/2005/sparql-results#}boolean").text.strip() == "true"


def _check(url: str, case: str) -> None:
    for i, req in enumerate(_requests(NAMES[case])):
        status, ctype, body = _send(url, req)
        assert str(status)[0] in req["statuses"], (case, i, status, body[:300])
        if req["format"] == "boolean":
            assert ctype in BOOLEAN_TYPES, (case, ctype)
        elif req["format"] == "tabular":
            assert ctype in TABULAR_TYPES, (case, ctype)
        elif req["format"] == "RDF":
            assert ctype in RDF_TYPES, (case, ctype)
        if req["boolean"] is not None:
            assert _boolean(ctype, body) is req["boolean"], (case, i, body[:300])


def _dataset(tmp: Path) -> Path:
    """data1..3.nt in the named graphs the manifest's ut:graphData gives them."""
    lines = []
    for case in ENTRIES:
        for gd in GRAPH.objects(case, UT.graphData):
            name, file = str(GRAPH.value(gd, RDFS.label)), PROTOCOL / Path(str(GRAPH.value(gd, UT.graph))).name
            for line in file.read_text().splitlines():
                if line.strip():
                    lines.append(line.rstrip().removesuffix(".").rstrip() + f" <{name}> .")
    out = tmp / "protocol.nq"
    out.write_text("\n".join(sorted(set(lines))) + "\n")
    return out


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return _dataset(tmp_path_factory.mktemp("protocol"))


def serving(data: Path, **options):
    """``scgraph serve --dataset DATA`` in-process (tests/server_fixtures.py, another dataset)."""
    return running_server(dataset=data, queries_dir=None, **options)


@pytest.fixture(scope="module")
def readonly(data):
    with serving(data, workers=1) as s:
        yield s


@pytest.fixture(scope="module")
def updatable(data):
    with serving(data, workers=1, allow_update=True) as s:
        yield s


def test_manifest_read():
    assert len(NAMES) == 34
    assert all(_requests(NAMES[n]) for n in NAMES)


@pytest.mark.parametrize("case", QUERY_CASES)
def test_read_only(readonly, case):
    _check(readonly.url, case)


@pytest.mark.parametrize("case", UPDATE_CASES)
def test_read_only_refuses_updates(readonly, case):
    """A read-only endpoint answers every update case 403 (it offers no update operation)."""
    req = _requests(NAMES[case])[0]
    status, _ctype, _body = _send(readonly.url, req)
    assert status == 403


@pytest.mark.parametrize("case", QUERY_CASES + UPDATE_CASES)
def test_updates_allowed(updatable, case):
    _check(updatable.url, case)


def test_update_where_sees_union_default_graph(updatable):
    """Without using-graph-uri an update's WHERE reads the union default graph, as queries do."""
    def post(ctype: str, text: str) -> tuple[int, str, bytes]:
        return _send(updatable.url, {"method": "POST", "path": "/sparql/", "headers": {"content-type": ctype},
                                     "body": text.encode()})
    assert post("application/sparql-update", "DROP ALL ; INSERT DATA { GRAPH <http://e/g1> { <http://e/a> a <http://e/T> } } ;"
                " INSERT { GRAPH <http://e/out> { ?s a <http://e/U> } } WHERE { ?s a <http://e/T> }")[0] == 204
    _status, ctype, body = post("application/sparql-query", "ASK { GRAPH <http://e/out> { <http://e/a> a <http://e/U> } }")
    assert _boolean(ctype, body) is True
    assert post("application/sparql-update", "DELETE { GRAPH ?g { ?s a <http://e/T> } } WHERE { GRAPH ?g { ?s a <http://e/T> } }")[0] == 204
    _status, ctype, body = post("application/sparql-query", "ASK { ?s a <http://e/T> }")
    assert _boolean(ctype, body) is False


def test_relative_iri_in_query_resolves_against_endpoint(readonly):
    req = {"method": "POST", "path": "/sparql/", "headers": {"content-type": "application/sparql-query",
                                                              "accept": "application/sparql-results+json"},
           "body": b"SELECT (<thing> AS ?x) {}"}
    status, _ctype, body = _send(readonly.url, req)
    assert status == 200
    assert json.loads(body)["results"]["bindings"][0]["x"]["value"] == readonly.sparql.rsplit("/", 1)[0] + "/thing"


@pytest.mark.parametrize("query", ["CONSTRUCT { <http://e/s> <http://e/p> 1 } WHERE {}", "DESCRIBE <http://e/s>"])
def test_rdf_xml_for_graphs(readonly, query):
    from rdflib import Graph as G

    req = {"method": "POST", "path": "/sparql/", "headers": {"content-type": "application/sparql-query",
                                                              "accept": "application/rdf+xml"},
           "body": query.encode()}
    status, ctype, body = _send(readonly.url, req)
    assert (status, ctype) == (200, "application/rdf+xml")
    g = G().parse(data=body, format="xml")
    assert len(g) == (1 if query.startswith("CONSTRUCT") else 0)


def test_form_post_without_query_is_400(readonly):
    req = {"method": "POST", "path": "/sparql/", "headers": {"content-type": "application/x-www-form-urlencoded"},
           "body": b"default-graph-uri=http%3A%2F%2Fe%2Fg"}
    assert _send(readonly.url, req)[0] == 400
