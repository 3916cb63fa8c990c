"""scgraph on a shared server engine: Virtuoso (a private one on loopback, from
``tests/virtuoso_fixtures.py``) and Oxigraph server, each test on both.

- only scgraph's own graphs are touched: another dataset on the endpoint (and Virtuoso's system
  graphs) is byte-identical after a build and an import, never in an answer, and does not
  change any catalogue answer;
- an answer cut at the engine's row cap (Virtuoso's ``ResultSetMaxRows``) is read again in
  pages, or refused with a one-line error: never returned incomplete;
- an import whose final ``MOVE`` outlasts the client's wait is reported as what it became.

One server per engine (and per row cap) serves the module, emptied of every graph the tests
write before each test (:func:`_reset`).
"""

from __future__ import annotations

import hashlib
import http.server
import socketserver
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pipeline_fixtures import ROOT
from reliability_fixtures import OXIGRAPH, oxigraph_server
from rdflib import Literal, URIRef
from virtuoso_fixtures import SKIP_REASON, VIRTUOSO, virtuoso_server

from scgraph import catalogue, results
from scgraph.assemble import assemble
from scgraph.errors import QueryError, ScgraphError, StoreError
from scgraph.importers.sink import SparqlSink, scratch_graph
from scgraph.namespaces import GRAPH, ID, INFERRED_GRAPH, METADATA_GRAPH, ONTOLOGY_GRAPH
from scgraph.pipeline import build
from scgraph.reason import infer
from scgraph.store import GRAPHS_INDEX, SparqlStore
from scgraph.terms import Lit

pytestmark = [pytest.mark.slow]

THEIRS = "http://example.org/theirs"
P = "http://example.org/p"


@dataclass
class Endpoint:
    """A running engine: the scgraph spec of its endpoint and raw access to it."""

    engine: str
    spec: str  # what goes after sparql:
    query_url: str
    update_url: str
    server: object | None = None  # the Virtuoso, for SQL

    def store(self, **kw) -> SparqlStore:
        return SparqlStore(self.spec, **kw)

    def raw_update(self, text: str) -> None:
        data = urllib.parse.urlencode({"update": text}).encode()
        req = urllib.request.Request(self.update_url, data=data, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            resp.read()

    def raw_rows(self, text: str) -> list[tuple[str, ...]]:
        """A SELECT over the endpoint's whole dataset (no protocol dataset), as N-Triples-ish text."""
        import json
        data = urllib.parse.urlencode({"query": text}).encode()
        req = urllib.request.Request(self.query_url, data=data, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/sparql-results+json"})
        with urllib.request.urlopen(req, timeout=120) as resp:
            doc = json.loads(resp.read())
        out = []
        for b in doc["results"]["bindings"]:
            out.append(tuple(f"{b[v]['type']}|{b[v]['value']}|{b[v].get('datatype', '')}|"
                             f"{b[v].get('xml:lang', '')}" if v in b else "" for v in doc["head"]["vars"]))
        return sorted(out)

    def foreign(self) -> dict[str, tuple[int, str]]:
        """Every graph outside scgraph's namespace: its triple count and a SHA-256 of its
        triples (Virtuoso's system graphs included)."""
        graphs = [g for (g,) in self.raw_rows("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")]
        out = {}
        for g in graphs:
            iri = g.split("|")[1]
            if iri.startswith(str(GRAPH)):
                continue
            rows = self.raw_rows(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}")
            out[iri] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
        return out


def _oxigraph(tmp: Path) -> Iterator[Endpoint]:
    if OXIGRAPH is None:
        pytest.skip("the oxigraph server (pip install oxigraph) is not installed")
    with oxigraph_server(tmp / "oxdb") as url:
        yield Endpoint("oxigraph", url, f"{url}/query", f"{url}/update")


def _virtuoso(tmp: Path, max_rows: int = 100_000) -> Iterator[Endpoint]:
    if VIRTUOSO is None:
        pytest.skip(SKIP_REASON)
    with virtuoso_server(tmp / "vdb", max_rows=max_rows) as v:
        base = v.url.rsplit("/", 1)[0]
        spec = f"{v.url};update={v.url};store={base}/sparql-graph-crud"
        yield Endpoint("virtuoso", spec, v.url, v.url, v)


def _reset(ep: Endpoint) -> Endpoint:
    """``ep`` as a fresh server has it: every graph a test wrote (scgraph's, the index among
    them, and the other datasets under ``THEIRS``) emptied in one update (a ``DROP`` per graph
    takes Virtuoso most of a second); the engine's own graphs kept."""
    ep.raw_update(f'DELETE {{ GRAPH ?g {{ ?s ?p ?o }} }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} '
                  f'FILTER (STRSTARTS(STR(?g), "{GRAPH}") || STRSTARTS(STR(?g), "{THEIRS}")) }}')
    left = ep.raw_rows("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert not [g for (g,) in left if g.split("|")[1].startswith((str(GRAPH), THEIRS))]
    return ep


# One server per engine (and per row cap) for the module, emptied before each test: a
# Virtuoso takes seconds to start.


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def _server(request, tmp_path_factory) -> Iterator[Endpoint]:
    tmp = tmp_path_factory.mktemp(request.param)
    yield from (_oxigraph if request.param == "oxigraph" else _virtuoso)(tmp)


@pytest.fixture
def endpoint(_server) -> Endpoint:
    return _reset(_server)


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def _capped_server(request, tmp_path_factory) -> Iterator[Endpoint]:
    tmp = tmp_path_factory.mktemp(f"capped-{request.param}")
    if request.param == "oxigraph":
        yield from _oxigraph(tmp)
    else:
        yield from _virtuoso(tmp, max_rows=100)


@pytest.fixture
def capped(_capped_server) -> Endpoint:
    """An endpoint whose answers are capped at 100 rows where the engine has a cap (Virtuoso)."""
    return _reset(_capped_server)


def _theirs(ep: Endpoint, n: int = 30, graph: str = THEIRS) -> None:
    """Another dataset on the endpoint, loaded first, that looks like scgraph data."""
    lines = " ".join(f'<{ID[f"org/theirs-{i}"]}> <{P}> "secret {i}" .' for i in range(n))
    ep.raw_update(f"INSERT DATA {{ GRAPH <{graph}> {{ {lines} }} }}")


# --------------------------------------------------------------------------- own graphs only


def test_build_and_import_leave_another_dataset_byte_identical(endpoint, tmp_path):
    _theirs(endpoint)
    # a graph under scgraph's namespace that scgraph did not write is adopted as scgraph's
    before = endpoint.foreign()
    assert before[THEIRS][0] == 30
    if endpoint.engine == "virtuoso":
        assert "http://www.openlinksw.com/schemas/virtrdf#" in before
    build(tmp_path / "out", root=ROOT, store=f"sparql:{endpoint.spec}")
    store = endpoint.store()
    SparqlSink(store).write(str(GRAPH["registry/test"]),
                            [(str(ID[f"project/{i}"]), P, Lit(str(i))) for i in range(5)])
    assert endpoint.foreign() == before
    names = store.named_graphs()
    assert names and all(str(g).startswith(str(GRAPH)) for g in names)
    assert GRAPH["registry/test"] in names and GRAPHS_INDEX not in names
    # their data is in no answer, by the default graph or by GRAPH
    assert store.query(f"SELECT ?s WHERE {{ ?s <{P}> ?o FILTER(STRSTARTS(?o, 'secret')) }}").rows == []
    assert store.query(f"SELECT ?s WHERE {{ GRAPH <{THEIRS}> {{ ?s ?p ?o }} }}").rows == []
    graphs = {r[0] for r in store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }").rows}
    assert graphs == set(names)
    with pytest.raises(QueryError, match="FROM and FROM NAMED are refused"):
        store.query(f"SELECT ?s FROM <{THEIRS}> WHERE {{ ?s ?p ?o }}")


def test_scgraph_refuses_to_write_or_drop_other_graphs(endpoint):
    _theirs(endpoint)
    before = endpoint.foreign()
    store = endpoint.store()
    for call in (lambda: store.post_graph(URIRef(THEIRS), [(ID["a"], ID["p"], Literal("x"))]),
                 lambda: store.put_graph(URIRef(THEIRS), []),
                 lambda: store.delete_graph(URIRef(THEIRS)),
                 lambda: store.update(f"DROP GRAPH <{THEIRS}>"),
                 lambda: store.update("DROP SILENT ALL"),
                 lambda: store.update("CLEAR DEFAULT"),
                 lambda: store.update(f"LOAD <{THEIRS}> INTO GRAPH <{GRAPH['registry/x']}>"),
                 lambda: store.update(f"INSERT DATA {{ GRAPH graph:x {{ <urn:a> <urn:b> 'c' }} }}"),
                 lambda: store.update(f"INSERT DATA {{ GRAPH <{THEIRS}> {{ <urn:a> <urn:b> 'c' }} }}"),
                 lambda: store.load_quads([(ID["a"], ID["p"], Literal("x"), URIRef(THEIRS))])):
        with pytest.raises(StoreError) as e:
            call()
        assert "\n" not in str(e.value)
    assert endpoint.foreign() == before


def test_an_update_reads_only_scgraph_graphs(endpoint):
    _theirs(endpoint)
    store = endpoint.store()
    store.post_graph(GRAPH["registry/a"], [(ID["a"], ID["p"], Literal("mine"))])
    copy = GRAPH["registry/copy"]
    store.update(f"INSERT {{ GRAPH <{copy}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}")
    store.update(f"INSERT {{ GRAPH <{copy}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}")
    assert set(store.get_graph(copy)) == {(ID["a"], ID["p"], Literal("mine"))}


@pytest.mark.repo_data
def test_another_dataset_changes_no_catalogue_answer(endpoint):
    ds = infer(assemble(), "sparql")
    store = endpoint.store()
    store.load_dataset(ds)

    def answers() -> dict[str, str]:
        out = {}
        for name, q in catalogue.load_catalogue().items():
            params = {p.name: EXAMPLE_PARAMS[p.type] for p in q.params if not p.optional}
            try:
                out[name] = results.to_csv(catalogue.run(store, q, params))
            except ScgraphError as e:  # an engine's own failure is compared too
                out[name] = f"error: {type(e).__name__}"  # messages hold cost estimates
        return out

    alone = {k: _sorted(v) for k, v in answers().items()}  # rows without ORDER BY: any order
    # the same registry and ontology triples again, in someone else's graphs
    for g in list(ds.graphs())[:6]:
        if isinstance(g.identifier, URIRef) and len(g):
            lines = " ".join(f"{s.n3()} {p.n3()} {o.n3()} ." for s, p, o in list(g)[:500])
            endpoint.raw_update(f"INSERT DATA {{ GRAPH <{THEIRS}/{len(lines)}> {{ {lines} }} }}")
    assert {k: _sorted(v) for k, v in answers().items()} == alone
    # that ``alone`` is the embedded store's answer: tests/test_store_remote.py (Oxigraph
    # server, the same data and parameters) and tests/test_engines_catalogue.py (Virtuoso)


def _ordered(sparql: str) -> bool:
    return any("ORDER BY" in line.split("#", 1)[0].upper() for line in sparql.splitlines())


def _sorted(csv: str) -> str:
    head, *rows = csv.split("\r\n")
    return "\r\n".join([head, *sorted(rows)])


EXAMPLE_PARAMS = {"iri": "id:org/ec", "string": "Brussels", "integer": "2021", "year": "2021",
                  "date": "2021-01-01", "datetime": "2021-01-01T00:00:00", "decimal": "1",
                  "double": "1", "boolean": "true"}


def test_graphs_loaded_without_scgraph_are_adopted_by_name(endpoint):
    """Data under scgraph's namespace loaded by other means (the engine's bulk loader) is found
    once, recorded, and answered from; another dataset is not."""
    _theirs(endpoint)
    _theirs(endpoint, 7, str(GRAPH["registry/bulk"]))
    store = endpoint.store()
    assert store.named_graphs() == [GRAPH["registry/bulk"]]
    assert len(store) == 7
    index = f"SELECT ?g WHERE {{ GRAPH <{GRAPHS_INDEX}> {{ ?g a ?t }} }}"
    assert endpoint.raw_rows(index) == []  # reading writes nothing (a read-only endpoint works)
    store.post_graph(GRAPH["registry/more"], [(ID["a"], ID["p"], Literal("x"))])
    assert {r[0].split("|")[1] for r in endpoint.raw_rows(index)} == {
        str(GRAPHS_INDEX), str(GRAPH["registry/bulk"]), str(GRAPH["registry/more"])}
    assert endpoint.store().named_graphs() == [GRAPH["registry/bulk"], GRAPH["registry/more"]]


# --------------------------------------------------------------------------- row caps


N = 250  # more rows than the cap (100 on Virtuoso here)


def _many(store: SparqlStore) -> None:
    store.post_graph(GRAPH["registry/many"],
                     [(ID[f"project/{i:03d}"], ID["p"], Literal(i)) for i in range(N)])


@pytest.mark.parametrize("scratch", [False, True], ids=["query-paged", "scratch-paged"])
def test_capped_answers_are_paged_whole(capped, tmp_path, scratch):
    """Read in pages of the query (any store), or computed once into a scratch graph and read
    in pages of that (``scratch_pages``: build and analyse), the rows are the same, in the
    query's order."""
    store = capped.store()
    store.scratch_pages = scratch
    found: list[bool] = []
    scratch_pages = store._scratch_pages

    def spy(*args):
        rows = scratch_pages(*args)
        found.append(rows is not None)
        return rows

    store._scratch_pages = spy  # type: ignore[method-assign]
    _many(store)
    rows = store.query(f"SELECT ?s ?o WHERE {{ ?s <{ID['p']}> ?o }}").rows
    assert sorted(int(o) for _, o in rows) == list(range(N))
    ordered = store.query(f"PREFIX x: <{ID}>\n# a comment\nSELECT ?o WHERE {{ ?s x:p ?o }} ORDER BY DESC(?o)").rows
    assert [int(o) for (o,) in ordered] == list(range(N - 1, -1, -1))
    limited = store.query(f"SELECT ?o WHERE {{ ?s <{ID['p']}> ?o }} ORDER BY ?o LIMIT 120 OFFSET 5").rows
    assert [int(o) for (o,) in limited] == list(range(5, 125))
    grouped = store.query(f"SELECT ?s (COUNT(*) AS ?n) WHERE {{ ?s <{ID['p']}> ?o }} GROUP BY ?s").rows
    assert len(grouped) == N and {int(n) for _, n in grouped} == {1}
    unbound = store.query(f"SELECT ?s ?x WHERE {{ ?s <{ID['p']}> ?o OPTIONAL {{ ?s <{ID['q']}> ?x }} }}").rows
    assert len(unbound) == N and {x for _, x in unbound} == {None}
    if capped.engine == "virtuoso":
        assert found == ([True] * 5 if scratch else [])
    # an order on a variable the query does not project: the query itself is paged
    by_hidden = store.query(f"SELECT ?s WHERE {{ ?s <{ID['p']}> ?o }} ORDER BY DESC(?o)").rows
    assert [str(s) for (s,) in by_hidden] == [str(ID[f"project/{i:03d}"]) for i in range(N - 1, -1, -1)]
    if capped.engine == "virtuoso" and scratch:
        assert found[-1] is False
    assert not [g for g in store.own_graphs() if "/scratch/" in str(g)]
    assert len(store.get_graph(GRAPH["registry/many"])) == N
    # a graph streamed to a file: the Graph Store GET, cut at the cap on Virtuoso, is not trusted
    dump = tmp_path / "many.nt"
    assert store.dump_graph(GRAPH["registry/many"], dump) == N
    assert sorted(dump.read_text().splitlines()) == sorted(
        f'<{ID[f"project/{i:03d}"]}> <{ID["p"]}> "{i}"^^<http://www.w3.org/2001/XMLSchema#integer> .'
        for i in range(N))
    if capped.engine == "virtuoso":
        assert store.max_rows == 100


def test_reading_commands_write_scratch_graphs_only_when_allowed(monkeypatch):
    """build and analyse set ``scratch_pages``; a reading command has it only with
    ``SCGRAPH_SPARQL_SCRATCH=1`` (the user's leave to write scgraph's scratch graphs)."""
    monkeypatch.delenv("SCGRAPH_SPARQL_SCRATCH", raising=False)
    assert SparqlStore("http://127.0.0.1:9/sparql").scratch_pages is False
    monkeypatch.setenv("SCGRAPH_SPARQL_SCRATCH", "1")
    assert SparqlStore("http://127.0.0.1:9/sparql").scratch_pages is True
    monkeypatch.setenv("SCGRAPH_SPARQL_SCRATCH", "yes")
    assert SparqlStore("http://127.0.0.1:9/sparql").scratch_pages is False


@pytest.mark.parametrize("scratch", [False, True], ids=["query-paged", "scratch-paged"])
def test_pages_that_differ_from_the_cut_answer_are_an_error(capped, scratch, monkeypatch):
    """An engine that answers the ordered query (the pages) otherwise than the query itself
    gives rows the cut answer does not hold: a one-line StoreError, never those rows. Virtuoso
    7.2 did so at 10^4 projects: an ordered union of sub-selects came back with its columns
    shifted (a graph IRI as ``?source``). Here the pages' columns are swapped on their way in."""
    store = capped.store()
    store.scratch_pages = scratch
    _many(store)
    text = f"SELECT ?s ?o WHERE {{ ?s <{ID['p']}> ?o }}"
    pages = store._pages

    def swapped(*args):
        for page in pages(*args):
            yield [(o, s) for s, o in page]

    monkeypatch.setattr(store, "_pages", swapped)
    if capped.engine == "oxigraph":  # no cap: one whole answer, no pages
        assert len(store.query(text).rows) == N
        return
    with pytest.raises(StoreError) as e:
        store.query(text)
    assert "gave other rows for this query in pages than in its first, cut answer (of 100 rows)" in str(e.value)
    assert "ResultSetMaxRows" in str(e.value) and "\n" not in str(e.value)
    assert not [g for g in store.own_graphs() if "/scratch/" in str(g)]


def test_a_capped_answer_that_cannot_be_paged_is_an_error(capped):
    store = capped.store()
    _many(store)
    construct = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s <{ID['p']}> ?o BIND(<{ID['p']}> AS ?p) }}"
    trailing = f"SELECT ?s ?p WHERE {{ ?s ?p ?o }} VALUES ?p {{ <{ID['p']}> }}"
    if capped.engine == "oxigraph":  # no cap: whole answers
        assert len(store.query(construct).graph) == N
        assert len(store.query(trailing).rows) == N
        return
    for text in (construct, trailing):
        with pytest.raises(StoreError) as e:
            store.query(text)
        assert "caps answers at 100 rows" in str(e.value)
        assert "ResultSetMaxRows" in str(e.value) and "\n" not in str(e.value)
    small = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o FILTER(?o < 10) }}"
    assert len(store.query(small).graph) == 10


@pytest.fixture(params=["oxigraph", "virtuoso"])
def tiny_cap(request, tmp_path) -> Iterator[Endpoint]:
    """An endpoint capped at 10 rows where the engine has a cap: below the tiny project's graphs."""
    if request.param == "oxigraph":
        yield from _oxigraph(tmp_path)
    else:
        yield from _virtuoso(tmp_path, max_rows=10)


def test_a_build_on_a_capped_endpoint_reasons_and_counts_over_every_triple(tiny_cap, tmp_path):
    result = build(tmp_path / "out", root=ROOT, store=f"sparql:{tiny_cap.spec}")
    store = tiny_cap.store()
    ds = infer(assemble(ROOT))
    assert len(ds.graph(INFERRED_GRAPH)) > 10 and len(ds.graph(ONTOLOGY_GRAPH)) > 10  # over the cap
    assert set(store.get_graph(INFERRED_GRAPH)) == set(ds.graph(INFERRED_GRAPH))
    for g in ds.graphs():
        if len(g) and g.identifier != METADATA_GRAPH:
            assert result.triples[g.identifier] == len(g), g.identifier
    if tiny_cap.engine == "virtuoso":
        assert store.get_graph(ONTOLOGY_GRAPH) and store.max_rows == 10


# --------------------------------------------------------------------------- the final MOVE


class _Proxy:
    """A loopback HTTP proxy to ``target`` that holds back the answer to an update holding
    ``MOVE`` for ``delay`` seconds: after forwarding it (``forward``), or instead of it."""

    def __init__(self, target: str, delay: float, forward: bool) -> None:
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _do(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                moving = body is not None and b"MOVE" in body
                if moving and not forward:
                    time.sleep(delay)
                    return
                url = target + self.path
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                req = urllib.request.Request(url, data=body, method=self.command, headers=headers)
                try:
                    with urllib.request.urlopen(req, timeout=60) as resp:
                        status, rh, data = resp.status, resp.headers, resp.read()
                except urllib.error.HTTPError as e:
                    status, rh, data = e.code, e.headers, e.read()
                if moving:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    for k, v in rh.items():
                        if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                            self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

            do_GET = do_POST = do_PUT = do_DELETE = _do

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        proxy.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _proxied(ep: Endpoint, proxy: _Proxy) -> str:
    return ep.spec.replace(_origin(ep), proxy.url)


def _origin(ep: Endpoint) -> str:
    parts = urllib.parse.urlsplit(ep.query_url)
    return f"{parts.scheme}://{parts.netloc}"


def test_a_move_answered_late_that_took_effect_is_a_success(endpoint):
    graph = GRAPH["registry/late"]
    endpoint.store().post_graph(graph, [(ID["old"], ID["p"], Literal("old"))])
    proxy = _Proxy(_origin(endpoint), delay=3.0, forward=True)
    try:
        store = SparqlStore(_proxied(endpoint, proxy), timeout=1.0, deadline=1.0, retries=0)
        SparqlSink(store, settle_s=10).write(str(graph), [(str(ID[f"n/{i}"]), P, Lit(str(i))) for i in range(12)])
    finally:
        proxy.close()
    store = endpoint.store()
    assert len(store.get_graph(graph)) == 12
    assert scratch_graph(str(graph)) not in store.own_graphs()


def test_a_move_that_never_ran_is_an_error_and_the_old_graph_stays(endpoint):
    graph = GRAPH["registry/late"]
    endpoint.store().post_graph(graph, [(ID["old"], ID["p"], Literal("old"))])
    proxy = _Proxy(_origin(endpoint), delay=3.0, forward=False)
    try:
        store = SparqlStore(_proxied(endpoint, proxy), timeout=1.0, deadline=1.0, retries=0)
        with pytest.raises(StoreError) as e:
            SparqlSink(store, settle_s=1.5).write(str(graph), [(str(ID[f"n/{i}"]), P, Lit(str(i))) for i in range(12)])
    finally:
        proxy.close()
    text = str(e.value)
    assert text.startswith("the endpoint did not confirm that it put the import in place")
    assert f"<{graph}> is unchanged so far" in text and "\n" not in text
    assert set(endpoint.store().get_graph(graph)) == {(ID["old"], ID["p"], Literal("old"))}


def test_a_refused_import_drops_its_scratch_graph(endpoint):
    graph = GRAPH["registry/refused"]
    store = endpoint.store()
    store.post_graph(graph, [(ID["old"], ID["p"], Literal("old"))])

    def refuse() -> None:
        raise StoreError("refused")

    with pytest.raises(StoreError, match="refused"):
        SparqlSink(store).write(str(graph), [(str(ID["n"]), P, Lit("new"))], refuse)
    assert store.named_graphs() == [graph]
    assert scratch_graph(str(graph)) not in store.own_graphs()


# --------------------------------------------------------------------------- analyse


# test_serve_remote.py builds and analyses on both engines and checks what analyse writes back
# (test_analyse_wrote_its_graph_into_the_engine) and every analysis question there.


# --------------------------------------------------------------------------- Virtuoso's own limits


def test_an_update_over_virtuosos_transaction_limit_names_the_setting(tmp_path):
    """Virtuoso refuses an update that changes more than ``TransactionAfterImageLimit`` bytes
    (50,000,000 unless set: one reasoning update of a build of 10^4 projects went past it,
    SR325); scgraph's error says which setting to raise, and nothing of the update is kept."""
    if VIRTUOSO is None:
        pytest.skip(SKIP_REASON)
    with virtuoso_server(tmp_path / "vdb", after_image=200_000) as v:
        base = v.url.rsplit("/", 1)[0]
        store = SparqlStore(f"{v.url};update={v.url};store={base}/sparql-graph-crud")
        digits = " ".join(f"VALUES ?d{i} {{ 0 1 2 3 4 5 6 7 8 9 }}" for i in range(4))
        target = GRAPH["test/big-update"]
        with pytest.raises(StoreError) as e:  # 10,000 new triples in one transaction
            store.update(f'INSERT {{ GRAPH <{target}> {{ ?s <{P}> "a value long enough to count" }} }} '
                         f'WHERE {{ {digits} BIND (IRI(CONCAT("{ID}n/", STR(?d0), STR(?d1), '
                         'STR(?d2), STR(?d3))) AS ?s) }')
        assert "SR325" in str(e.value) and "TransactionAfterImageLimit" in str(e.value)
        assert "\n" not in str(e.value)
        assert store.graph_size(target) == 0
        store.update(f'INSERT DATA {{ GRAPH <{target}> {{ <{ID["n/1"]}> <{P}> "one" }} }}')
        assert store.graph_size(target) == 1  # a small update still goes through
