"""SparqlStore against a real SPARQL 1.1 server: Oxigraph's, started on loopback by the test.

The ``oxigraph`` wheel (a test extra) installs the server as the ``oxigraph`` script next to
the Python interpreter. Load, query, update, the Graph Store protocol, and the same catalogue
answers (every ``queries/*.rq`` as CSV) as the embedded and in-memory stores, with scgraph's
graphs sent as each query's dataset and with ``;dataset=union`` (the endpoint's own default
graph, on a server started with ``--union-default-graph``).
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.parse
import urllib.request

import pytest
from pipeline_fixtures import ROOT
from reliability_fixtures import OXIGRAPH, oxigraph_server
from rdflib import Literal, URIRef

from scgraph import catalogue, results
from scgraph.assemble import assemble
from scgraph.errors import QueryError, StoreError
from scgraph.namespaces import GRAPH, ID, INFERRED_GRAPH
from scgraph.pipeline import build
from scgraph.reason import infer
from scgraph.store import MemoryStore, OxigraphStore, QueryResult, SparqlStore, open_store

pytestmark = [pytest.mark.slow, pytest.mark.skipif(OXIGRAPH is None, reason="the oxigraph server (pip install oxigraph) is not installed")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """An Oxigraph server on 127.0.0.1 with an on-disk store; yields its base URL."""
    with oxigraph_server(tmp_path / "db") as url:
        yield url


@pytest.fixture
def union_server(tmp_path):
    """The same, its default graph the union of its named graphs (``--union-default-graph``)."""
    with oxigraph_server(tmp_path / "db", "--union-default-graph") as url:
        yield url


DS = infer(assemble(ROOT), "sparql")


def test_load_query_and_named_graphs(server):
    store = open_store(f"sparql:{server}")
    assert isinstance(store, SparqlStore)
    store.load_dataset(DS)
    memory = MemoryStore()
    memory.load_dataset(DS)
    assert store.named_graphs() == memory.named_graphs()
    assert len(store) == len(memory)
    q = """PREFIX org: <http://www.w3.org/ns/org#>
    SELECT ?unit ?org WHERE { ?unit org:transitiveSubOrganizationOf ?org } ORDER BY ?unit ?org"""
    assert store.query(q) == memory.query(q)
    assert store.query(q, {"org": ID["org/ec"]}).rows == memory.query(q, {"org": ID["org/ec"]}).rows
    construct = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} }}"
    assert set(store.query(construct).graph) == set(DS.graph(INFERRED_GRAPH))
    assert store.query("ASK { ?s ?p ?o }") == QueryResult(boolean=True)


@pytest.mark.repo_data
def test_the_catalogue_answers_the_same_on_all_three_stores(union_server):
    """On the server, once with scgraph's graphs sent as the dataset, once with none
    (``;dataset=union``)."""
    ds = infer(assemble(), "sparql")
    remote = SparqlStore(union_server)
    remote.load_dataset(ds)
    stores = {"memory": MemoryStore(), "oxigraph": OxigraphStore()}
    for s in stores.values():
        s.load_dataset(ds)
    stores["sparql"] = remote
    stores["union"] = union = SparqlStore(f"{union_server};dataset=union")
    queries = catalogue.load_catalogue()
    assert len(queries) >= 8
    nonempty = 0
    for name, q in queries.items():
        params = {p.name: EXAMPLE_PARAMS[p.type] for p in q.params if not p.optional}
        answers = {kind: results.to_csv(catalogue.run(s, q, params)) for kind, s in stores.items()}
        if not _ordered(q.sparql):  # no ORDER BY: the same rows, in any order
            answers = {k: "\r\n".join([v.split("\r\n")[0], *sorted(v.split("\r\n")[1:])])
                       for k, v in answers.items()}
        assert answers["sparql"] == answers["union"] == answers["memory"] == answers["oxigraph"], name
        nonempty += answers["memory"].count("\r\n") > 1
    assert nonempty >= len(queries) // 2  # the answers compared are not all empty
    assert union._union_checked is True  # the union store did query with no dataset


def _raw_update(url: str, update: str) -> None:
    """An update sent past scgraph: another user of the endpoint."""
    req = urllib.request.Request(f"{url}/update", data=urllib.parse.urlencode({"update": update}).encode(),
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    urllib.request.urlopen(req, timeout=10).close()


UNIT = "https://w3id.org/scgraph/ontology#OrganisationalUnit"


def _count_units(store: SparqlStore | MemoryStore) -> int:
    return int(store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?u a <{UNIT}> }}").rows[0][0])


def _count_triples(store: SparqlStore) -> int:
    return int(store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").rows[0][0])


def test_dataset_union_reads_the_default_graph_and_leaves_out_scratch_graphs(union_server):
    SparqlStore(union_server).load_dataset(DS)
    explicit = SparqlStore(union_server)
    expected = _count_units(explicit)
    assert expected == 2
    union = SparqlStore(f"{union_server};dataset=union")
    assert _count_units(union) == expected and union._union_checked is True
    # the one difference, documented: the default graph holds scgraph's record of its graphs
    recorded = len(explicit.own_graphs())
    assert _count_triples(union) == _count_triples(explicit) + recorded + 1
    # a build's scratch graph (recorded, under graph:scratch/): a query then sends the dataset
    scratch = GRAPH["scratch/test"]
    union.update(f"INSERT DATA {{ GRAPH <{scratch}> {{ <{ID['org/ghost']}> a <{UNIT}> }} }}")
    assert _count_units(union) == _count_units(explicit) == expected
    union.delete_graph(scratch)
    # a graph left out (as analyse leaves out its last results): the dataset is sent
    holding = {g for _s, _p, _o, g in DS.quads((None, None, URIRef(UNIT), None))}
    union.hidden.update(holding)
    assert _count_units(union) == 0


def test_dataset_union_on_data_loaded_without_scgraph(union_server, tmp_path):
    """Graphs loaded by the engine's own loader (no record of scgraph's graphs yet) are found
    by name, and the check holds."""
    chart = GRAPH["source/unit-chart"]
    body = "".join(f"<{s}> <{p}> {o.n3()} .\n" for s, p, o in DS.graph(chart))
    assert body
    req = urllib.request.Request(f"{union_server}/store?graph={urllib.parse.quote(str(chart), safe='')}",
                                 data=body.encode(), method="POST", headers={"Content-Type": "application/n-triples"})
    urllib.request.urlopen(req, timeout=10).close()
    union = SparqlStore(f"{union_server};dataset=union")
    assert _count_units(union) == _count_units(SparqlStore(union_server)) > 0
    assert union._union_checked is True


def test_dataset_union_in_scgraph_serve(union_server):
    """``scgraph serve --store 'sparql:URL;dataset=union'`` asks through the same check."""
    from scgraph.server.remote import open_remote

    SparqlStore(union_server).load_dataset(DS)
    explicit, union = open_remote(union_server), open_remote(f"{union_server};dataset=union")
    q = f"SELECT ?u WHERE {{ ?u a <{UNIT}> }} ORDER BY ?u"
    assert union.ask_dataset(q).rows == explicit.ask_dataset(q).rows and len(explicit.ask_dataset(q).rows) == 2
    assert union._union_checked is True and explicit._union_checked is None
    # a request naming its graphs gets them as its dataset, union or not
    g = [str(g) for g in explicit.own_graphs() if "reference" not in str(g)][:1]
    assert union.ask_dataset(q, default=g).rows == explicit.ask_dataset(q, default=g).rows


def test_dataset_union_refuses_an_endpoint_holding_another_graph(union_server):
    SparqlStore(union_server).load_dataset(DS)
    _raw_update(union_server, 'INSERT DATA { GRAPH <https://example.org/theirs> { '
                '<https://example.org/x> a <https://w3id.org/scgraph/ontology#OrganisationalUnit> } }')
    with pytest.raises(StoreError, match=r"holds graphs that are not scgraph's \(<https://example.org/theirs>\)"):
        _count_units(SparqlStore(f"{union_server};dataset=union"))
    # without the option the other graph never reaches an answer
    assert _count_units(SparqlStore(union_server)) == 2


def test_dataset_union_refuses_a_default_graph_that_is_not_the_union(server):
    SparqlStore(server).load_dataset(DS)
    with pytest.raises(StoreError, match="default graph is not the union of its named graphs"):
        _count_units(SparqlStore(f"{server};dataset=union"))


def _ordered(sparql: str) -> bool:
    return any("ORDER BY" in line.split("#", 1)[0].upper() for line in sparql.splitlines())


#: A value per parameter type for queries that take parameters.
EXAMPLE_PARAMS = {"iri": "id:org/ec", "string": "Brussels", "integer": "2021", "year": "2021",
                  "date": "2021-01-01", "datetime": "2021-01-01T00:00:00", "decimal": "1",
                  "double": "1", "boolean": "true"}


def test_update_and_graph_store_protocol(server):
    store = SparqlStore(server)
    g = GRAPH["source/x"]
    a, b = ID["org/a"], ID["org/b"]
    store.update(f'INSERT DATA {{ GRAPH <{g}> {{ <{a}> <{ID["p"]}> "one" }} }}')
    assert set(store.get_graph(g)) == {(a, ID["p"], Literal("one"))}
    assert store.post_graph(g, [(b, ID["p"], Literal("two"))]) == 1
    assert len(store.get_graph(g)) == 2
    store.put_graph(g, [(b, ID["p"], Literal("three", lang="en"))])
    assert set(store.get_graph(g)) == {(b, ID["p"], Literal("three", lang="en"))}
    assert store.named_graphs() == [g]
    store.delete_graph(g)
    assert store.named_graphs() == []
    assert len(store.get_graph(g)) == 0
    store.delete_graph(g)  # deleting a missing graph is not an error


def test_load_quads_in_chunks_and_bulk_load(server, tmp_path):
    store = SparqlStore(server, chunk=7)
    quads = [(ID[f"thing/{i}"], ID["p"], Literal(i), GRAPH[f"registry/{i % 2}"]) for i in range(20)]
    assert store.load_quads(quads) == 20
    assert len(store) == 20
    nq = tmp_path / "more.nq"
    nq.write_text(f'<{ID["x"]}> <{ID["p"]}> "x" <{GRAPH["registry/2"]}> .\n', encoding="utf-8")
    assert store.bulk_load(nq) == 1
    assert store.named_graphs() == [GRAPH["registry/0"], GRAPH["registry/1"], GRAPH["registry/2"]]


def test_bad_query_is_a_one_line_query_error(server):
    with pytest.raises(QueryError) as e:
        SparqlStore(server).query("SELECT ?x WHERE {\n ?x ?y ?z ) }")
    assert str(e.value).startswith("bad SPARQL: ")
    assert "\n" not in str(e.value)


def test_build_into_a_remote_store_keeps_registry_graphs(server, tmp_path):
    store = SparqlStore(server)
    registry = GRAPH["registry/test"]
    store.post_graph(registry, [(ID["project/x"], ID["p"], Literal("kept"))])
    store.post_graph(GRAPH["source/stale"], [(ID["x"], ID["p"], Literal("stale"))])
    result = build(tmp_path / "out", root=ROOT, store=f"sparql:{server}")
    names = store.named_graphs()
    assert registry in names and GRAPH["source/stale"] not in names
    assert set(store.get_graph(INFERRED_GRAPH)) == set(DS.graph(INFERRED_GRAPH))
    assert result.triples[registry] == 1


# --------------------------------------------------------------------------- failures


def test_a_down_endpoint_is_a_clear_error_within_bounded_time():
    port = _free_port()  # nothing listens there
    started = time.monotonic()
    with pytest.raises(StoreError) as e:
        SparqlStore(f"http://127.0.0.1:{port}", timeout=1, retries=2).query("ASK {}")
    assert time.monotonic() - started < 5
    assert str(e.value) == (f"cannot reach the SPARQL endpoint http://127.0.0.1:{port}/query: "
                            "Connection refused (tried 3 times)")


def _silent_server(answer: bytes | None):
    """A socket on loopback that answers every request with ``answer`` (or never answers)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    stop = threading.Event()

    def serve() -> None:
        sock.settimeout(0.1)
        conns = []
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            conns.append(conn)
            if answer is not None:
                conn.recv(65536)
                conn.sendall(answer)
                conn.close()
        for c in conns:
            c.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return sock, stop, thread


def test_a_slow_endpoint_times_out_with_a_clear_error():
    sock, stop, thread = _silent_server(None)
    port = sock.getsockname()[1]
    try:
        started = time.monotonic()
        with pytest.raises(StoreError) as e:
            SparqlStore(f"http://127.0.0.1:{port}", timeout=0.3, retries=1).query("ASK {}")
        assert time.monotonic() - started < 3
        assert str(e.value) == (f"cannot reach the SPARQL endpoint http://127.0.0.1:{port}/query: "
                                "no answer within 0.3 s (tried 2 times)")
    finally:
        stop.set()
        thread.join()
        sock.close()


def test_garbage_answers_are_a_clear_error():
    body = b"<html>not a result</html>"
    answer = (b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
              b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    sock, stop, thread = _silent_server(answer)
    port = sock.getsockname()[1]
    try:
        with pytest.raises(StoreError) as e:
            SparqlStore(f"http://127.0.0.1:{port}", timeout=2).query("ASK {}")
        assert str(e.value).startswith(f"the SPARQL endpoint http://127.0.0.1:{port}/query answered "
                                       "something that is not a SPARQL result (JSONDecodeError")
    finally:
        stop.set()
        thread.join()
        sock.close()


@pytest.mark.parametrize("url, expected", [
    ("http://h:7878", ("http://h:7878/query", "http://h:7878/update", "http://h:7878/store")),
    ("http://h:3030/ds/query", ("http://h:3030/ds/query", "http://h:3030/ds/update", "http://h:3030/ds/store")),
    ("http://h/sparql;update=http://h/u;store=http://h/data",
     ("http://h/sparql", "http://h/u", "http://h/data")),
    ("http://h:7878;dataset=union", ("http://h:7878/query", "http://h:7878/update", "http://h:7878/store")),
])
def test_endpoint_urls(url, expected):
    s = SparqlStore(url)
    assert (s.query_url, s.update_url, s.store_url) == expected
    assert s.union == url.endswith(";dataset=union")


@pytest.mark.parametrize("text, projected, keys", [
    ("SELECT ?a ?b WHERE { ?a ?p ?b }", "a b", ""),
    ("PREFIX x: <http://x/>\n# ORDER BY ?z\nSELECT ?a ?b WHERE { ?a x:p ?b } ORDER BY DESC(?b) ?a LIMIT 5",
     "a b", "DESC(?b) ?a"),
    ("SELECT ?a (COUNT(*) AS ?n) WHERE { ?a ?p ?b } GROUP BY ?a HAVING(COUNT(*) > 1) ORDER BY ?n OFFSET 3",
     "a n", "?n"),
    ("SELECT ?a WHERE { { SELECT ?a WHERE { ?a ?p ?b } ORDER BY ?b } }", "a", ""),
    ("SELECT ?a WHERE { ?a ?p ?b } ORDER BY LCASE(STR(?b))", "a", None),
    ("SELECT ?a WHERE { ?a ?p ?b } ORDER BY $b", "a", None),
])
def test_order_keys_of_a_query(text, projected, keys):
    """The query's own order, to apply to its rows read back from a scratch graph; None when
    it reads a variable the rows do not hold."""
    from scgraph.store import order_keys

    assert order_keys(text, projected.split()) == keys



def test_serve_of_a_sparql_store_that_does_not_answer_is_one_line(tmp_path):
    """'scgraph serve --store sparql:URL' serves what the endpoint holds (tests/test_serve_remote.py);
    an endpoint that does not answer stops it at start with one line naming the option."""
    import subprocess
    import sys
    from pathlib import Path

    scgraph = str(Path(sys.executable).parent / "scgraph")
    proc = subprocess.run([scgraph, "serve", "--store", "sparql:http://127.0.0.1:9/sparql",
                           "--build-dir", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr == ("Error: --store sparql:http://127.0.0.1:9/sparql: cannot reach the SPARQL "
                           "endpoint http://127.0.0.1:9/sparql: Connection refused (tried 2 times)\n")
    help_text = subprocess.run([scgraph, "serve", "--help"], capture_output=True, text=True,
                               timeout=60, env={"COLUMNS": "200", "PATH": ""}).stdout
    assert "sparql:URL: a SPARQL endpoint holding a 'scgraph build --store sparql:URL'" in " ".join(help_text.split())
