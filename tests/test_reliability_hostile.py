"""Hostile clients and queries (issue 14, classes 2 to 5), against a real server on 127.0.0.1.

- the endpoint as a proxy: SERVICE, LOAD (http and file:) and, in the CLI, FROM are refused
  before any engine sees the query; a second HTTP server on loopback records every request it
  gets and must get none; an allow-listed SERVICE works;
- queries too deep or too long to parse safely are refused before parsing (400 / ``Error:``);
- one client must not starve the rest: header and body deadlines, a connection cap, a byte cap
  on answers, a light lane that answers ``ASK {}`` within a second while heavy queries run,
  414/431 for oversized request heads, 400 for a bad ``default-graph-uri``;
- a rebuild under a running server: every worker, replacements too, reads one generation;
- ``serve --allow-update`` on the build's own store is refused at start-up.

The server is started in-process with the same uvicorn configuration as ``scgraph serve``
(:func:`scgraph.server.app.uvicorn_config`).
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import uvicorn
from reliability_fixtures import SCGRAPH
from server_fixtures import DATASET, QUERIES

from scgraph import catalogue
from scgraph.errors import QueryError, ServerError
from scgraph.server.app import ServerConfig, create_app, source_from_options, uvicorn_config
from scgraph.server.workers import Source
from scgraph.store import MemoryStore

pytestmark = pytest.mark.slow  # see [tool.pytest.ini_options] markers

HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o . ?q ?r ?t }"
REMOTE_ANSWER = {"head": {"vars": ["x"]},
                 "results": {"bindings": [{"x": {"type": "literal", "value": "from the remote"}}]}}


# =========================================================================== fixtures


class Recorder:
    """A second HTTP server on 127.0.0.1 that records every request and answers SPARQL JSON."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self) -> None:
                recorder.requests.append(f"{self.command} {self.path}")
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                body = json.dumps(REMOTE_ANSWER).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sparql"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def recorder() -> Iterator[Recorder]:
    r = Recorder()
    yield r
    r.close()


@pytest.fixture(autouse=True)
def _clear(request: pytest.FixtureRequest) -> None:
    if "recorder" in request.fixturenames:
        request.getfixturevalue("recorder").requests.clear()


@contextlib.contextmanager
def serving(source: Source | None = None, **options: object) -> Iterator[tuple[str, object]]:
    """The real server (the configuration of ``scgraph serve``) on 127.0.0.1 and a free port."""
    settings: dict[str, object] = {"timeout": 10.0, "max_rows": 100_000, "max_body": 4_000_000,
                                   "workers": 2, "queries_dir": QUERIES, "header_timeout": 1.0,
                                   "body_timeout": 1.0}
    settings.update(options)
    config = ServerConfig(source or Source(dataset=DATASET), **settings)  # type: ignore[arg-type]
    app = create_app(config)
    server = uvicorn.Server(uvicorn_config(app, config, "127.0.0.1", 0, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(15)
        app.state.pool.close()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serving() as (url, _app):
        yield url


@pytest.fixture(scope="module")
def updatable() -> Iterator[str]:
    with serving(allow_update=True) as (url, _app):
        yield url


def _one_line(r: httpx.Response) -> str:
    assert r.text.endswith("\n") and r.text.count("\n") == 1, r.text
    return r.text.strip()


def _send(url: str, how: str, text: str, **params: str) -> httpx.Response:
    if how == "GET":
        return httpx.get(url + "/sparql", params={"query": text, **params}, timeout=30)
    if how == "form":
        return httpx.post(url + "/sparql", data={"query": text, **params}, timeout=30)
    return httpx.post(url + "/sparql", content=text.encode(), timeout=30,
                      headers={"Content-Type": "application/sparql-query"})


# =========================================================================== class 2: a proxy


SERVICE_FORMS = {
    "plain": "SELECT * WHERE {{ SERVICE <{u}> {{ ?x ?p ?o }} }}",
    "lower case, SILENT": "select * where {{ service silent <{u}> {{ ?x ?p ?o }} }}",
    "prefixed name": "PREFIX r: <{base}> SELECT * WHERE {{ SeRvIcE r:sparql {{ ?x ?p ?o }} }}",
    "in a subquery": "SELECT * WHERE {{ {{ SELECT ?x WHERE {{ SERVICE <{u}> {{ ?x ?p ?o }} }} }} }}",
    "in OPTIONAL after a comment": "SELECT * WHERE {{ ?s ?p ?o # SERVICE\n OPTIONAL {{ SERVICE <{u}> {{ ?x ?p ?o }} }} }}",
    "after an escaped name": "PREFIX e: <http://e/> SELECT * WHERE {{ ?s e:a\\# SERVICE <{u}> {{ ?x ?p ?o }} }}",
    "after a dot": "SELECT * WHERE {{ ?s ?p ?o.SERVICE <{u}> {{ ?x ?p ?o }} }}",
    "ASK": "ASK {{ SERVICE <{u}> {{ ?x ?p ?o }} }}",
    "variable endpoint": "SELECT * WHERE {{ VALUES ?e {{ <{u}> }} SERVICE ?e {{ ?x ?p ?o }} }}",
    "file: IRI": "SELECT * WHERE {{ SERVICE <file:///etc/passwd> {{ ?x ?p ?o }} }}",
}


def _form(name: str, recorder: Recorder) -> str:
    return SERVICE_FORMS[name].format(u=recorder.url, base=recorder.url.removesuffix("sparql"))


@pytest.mark.parametrize("how", ["GET", "form", "body"])
@pytest.mark.parametrize("name", sorted(SERVICE_FORMS))
def test_service_is_refused_and_nothing_is_sent(server: str, recorder: Recorder, name: str, how: str) -> None:
    r = _send(server, how, _form(name, recorder))
    assert r.status_code == 400
    assert "SERVICE" in _one_line(r) and "refused" in r.text
    assert recorder.requests == []


def test_words_that_only_look_like_service_pass(server: str, recorder: Recorder) -> None:
    q = ("PREFIX service: <http://e/> SELECT ?service WHERE { BIND('SERVICE <http://x/>' AS ?service) "
         "FILTER(?service != <http://e/service/LOAD>) } # LOAD <http://y>")
    r = _send(server, "GET", q)
    assert r.status_code == 200, r.text
    assert recorder.requests == []


UPDATES = {
    "LOAD http": "LOAD <{u}>",
    "LOAD SILENT http INTO GRAPH": "LOAD SILENT <{u}> INTO GRAPH <http://e/g>",
    "LOAD file": "LOAD <file:///etc/passwd>",
    "LOAD file, lower case": "load <file:///etc/hostname> into graph <http://e/g>",
    "SERVICE in WHERE": "INSERT {{ ?x <http://e/p> ?o }} WHERE {{ SERVICE <{u}> {{ ?x ?p ?o }} }}",
    "LOAD after a DROP": "DROP SILENT GRAPH <http://e/g> ; LOAD <{u}>",
}


@pytest.mark.parametrize("name", sorted(UPDATES))
def test_load_is_refused_on_the_update_endpoint(updatable: str, recorder: Recorder, name: str) -> None:
    r = httpx.post(updatable + "/sparql", data={"update": UPDATES[name].format(u=recorder.url)}, timeout=30)
    assert r.status_code == 400
    assert ("LOAD is refused" in _one_line(r)) or ("SERVICE" in r.text)
    assert recorder.requests == []
    ok = httpx.post(updatable + "/sparql", data={"update": "INSERT DATA { <http://e/a> <http://e/b> 1 }"})
    assert ok.status_code == 204  # updates as such still work


def test_load_on_the_read_only_endpoint_is_403(server: str, recorder: Recorder) -> None:
    r = httpx.post(server + "/sparql", data={"update": f"LOAD <{recorder.url}>"})
    assert r.status_code == 403
    assert recorder.requests == []


def test_an_allow_listed_service_works(recorder: Recorder) -> None:
    with serving(allow_service=(recorder.url.removesuffix("sparql"),), light_workers=0) as (url, _app):
        r = _send(url, "GET", f"SELECT ?x WHERE {{ SERVICE <{recorder.url}> {{ ?x ?p ?o }} }}")
        assert r.status_code == 200, r.text
        assert [b["x"]["value"] for b in r.json()["results"]["bindings"]] == ["from the remote"]
        assert len(recorder.requests) == 1
        other = recorder.url.replace("127.0.0.1", "localhost")  # another host: still refused
        r = _send(url, "GET", f"SELECT ?x WHERE {{ SERVICE <{other}> {{ ?x ?p ?o }} }}")
        assert r.status_code == 400 and "not under an allowed" in r.text
        assert len(recorder.requests) == 1


def _rq(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "q.rq"
    path.write_text("# title: hostile\n# params: none\n" + text + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "store"
    st = ox.Store(str(path))
    st.add(ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"), ox.Literal("o"),
                   ox.NamedNode("http://e/g")))
    st.flush()
    del st
    return path


@pytest.mark.parametrize("name", ["plain", "lower case, SILENT", "prefixed name", "variable endpoint", "ASK"])
def test_cli_query_refuses_service_and_sends_nothing(tmp_path: Path, tiny_store: Path, recorder: Recorder,
                                                     name: str) -> None:
    r = subprocess.run([*SCGRAPH, "query", str(_rq(tmp_path, _form(name, recorder))), "--store",
                        f"oxigraph:{tiny_store}", "-f", "csv"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("Error: ") and "SERVICE" in r.stderr
    assert recorder.requests == []


def test_cli_query_with_an_allowed_service(tmp_path: Path, tiny_store: Path, recorder: Recorder) -> None:
    r = subprocess.run([*SCGRAPH, "query", str(_rq(tmp_path, _form("plain", recorder))), "--store",
                        f"oxigraph:{tiny_store}", "-f", "csv", "--allow-service", recorder.url],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "from the remote" in r.stdout
    assert len(recorder.requests) == 1  # the query itself; the syntax check sent nothing


@pytest.mark.parametrize("allow", [(), ("ALLOWED",)])
def test_the_syntax_check_contacts_nothing(recorder: Recorder, allow: tuple[str, ...]) -> None:
    q = catalogue.Query(name="q", title="", description="", params=(), sparql=_form("plain", recorder))
    allowed = tuple(recorder.url if a == "ALLOWED" else a for a in allow)
    if allowed:
        catalogue.check_syntax(q, allowed)  # parses, runs nothing
    else:
        with pytest.raises(QueryError, match="SERVICE .* is refused"):
            catalogue.check_syntax(q)
    assert recorder.requests == []


@pytest.mark.parametrize("clause", ["FROM <{u}>", "FROM NAMED <{u}>", "FROM <file:///etc/passwd>"])
def test_the_memory_store_refuses_from(recorder: Recorder, clause: str) -> None:
    q = catalogue.Query(name="q", sparql=f"SELECT * {clause.format(u=recorder.url)} WHERE {{ ?s ?p ?o }}",
                        title="", description="", params=())
    with pytest.raises(QueryError, match="FROM, FROM NAMED and USING are refused"):
        catalogue.run(MemoryStore(), q)
    assert recorder.requests == []


# =========================================================================== too deep, too long


DEEP = {
    "10^5 braces": "SELECT * WHERE " + "{" * 100_000 + "}" * 100_000,
    "10^5 parentheses": "SELECT * WHERE { FILTER(" + "(" * 100_000 + "1" + ")" * 100_000 + ") }",
    "500 nested blank nodes": "SELECT * WHERE { ?s ?p " + "[ ?p " * 500 + "1" + " ]" * 500 + " }",
    "10^5 prefixes": "".join(f"PREFIX p{i}: <http://e/{i}#>\n" for i in range(100_000)) + "ASK {}",
    "unbalanced 10^5 braces": "SELECT * WHERE " + "{" * 100_000,
}


@pytest.mark.parametrize("name", sorted(DEEP))
def test_deep_queries_are_refused_before_parsing(server: str, name: str) -> None:
    started = time.monotonic()
    r = _send(server, "body", DEEP[name])
    assert r.status_code == 400, r.text[:200]
    assert "over the limit" in _one_line(r)
    assert time.monotonic() - started < 5
    assert _send(server, "GET", "ASK {}").status_code == 200  # every worker still there


@pytest.mark.parametrize("name", ["10^5 braces", "500 nested blank nodes", "10^5 prefixes"])
def test_cli_refuses_deep_queries(tmp_path: Path, tiny_store: Path, name: str) -> None:
    r = subprocess.run([*SCGRAPH, "query", str(_rq(tmp_path, DEEP[name])), "--store", f"oxigraph:{tiny_store}"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, (r.returncode, r.stderr[-300:])
    assert r.stderr.count("\n") == 1 and "over the limit" in r.stderr


# =========================================================================== starving the others


def _raw(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    with contextlib.suppress(OSError):
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_slow_headers_are_cut_at_the_deadline(server: str) -> None:
    """slowloris: the head sent one byte at a time is cut after --header-timeout (1 s here)."""
    sock = _raw(server)
    started = time.monotonic()
    head = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100
    closed = None
    for b in head:
        try:
            sock.send(bytes([b]))
        except OSError:
            closed = time.monotonic() - started
            break
        time.sleep(0.05)
        sock.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            data = sock.recv(4096)
            if data or data == b"":
                closed = time.monotonic() - started
                assert data.startswith(b"HTTP/1.1 408 ") or data == b""
                break
        sock.setblocking(True)
    sock.close()
    assert closed is not None and closed < 3


def test_a_silent_connection_is_closed(server: str) -> None:
    sock = _raw(server)
    started = time.monotonic()
    data = _read_all(sock)
    assert data.startswith(b"HTTP/1.1 408 ")
    assert time.monotonic() - started < 3


def test_a_slow_body_gets_408(server: str) -> None:
    sock = _raw(server)
    sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                 b"Content-Length: 100\r\n\r\nASK")
    started = time.monotonic()
    data = _read_all(sock)
    assert data.startswith(b"HTTP/1.1 408 "), data[:100]
    assert time.monotonic() - started < 4


def test_connections_over_the_cap_get_503_and_the_server_recovers() -> None:
    with serving(max_connections=10, header_timeout=30.0) as (url, _app):
        held = [_raw(url) for _ in range(10)]
        time.sleep(0.2)
        extra = _raw(url)
        assert _read_all(extra).startswith(b"HTTP/1.1 503 ")
        for s in held:
            s.close()
        time.sleep(0.3)
        assert httpx.get(url + "/sparql", params={"query": "ASK {}"}).status_code == 200


def test_answers_are_capped_in_bytes() -> None:
    """A 791-byte query used to return 64 MiB; now at most --max-bytes, cut at a whole row."""
    values = " ".join(str(i) for i in range(200))
    long = "x" * 500
    select = (f"SELECT ?v WHERE {{ VALUES ?a {{ {values} }} VALUES ?b {{ {values} }} "
              f"BIND(CONCAT('{long}', STR(?a), '-', STR(?b)) AS ?v) }}")
    construct = (f"CONSTRUCT {{ ?s <http://e/p> ?v }} WHERE {{ VALUES ?a {{ {values} }} VALUES ?b {{ {values} }} "
                 f"BIND(IRI(CONCAT('http://e/', STR(?a), '-', STR(?b))) AS ?s) BIND(CONCAT('{long}', STR(?b)) AS ?v) }}")
    cap = 65536
    with serving(max_bytes=cap, light_workers=0) as (url, _app):
        for q, fmt in [(select, "json"), (select, "csv"), (select, "tsv"), (select, "xml"),
                       (construct, "turtle"), (construct, "ntriples"), (construct, "jsonld")]:
            r = httpx.get(url + "/sparql", params={"query": q, "format": fmt}, timeout=60)
            assert r.status_code == 200, r.text[:200]
            assert 0 < len(r.content) <= cap, (fmt, len(r.content))
            assert r.headers["X-SPARQL-Truncated"] == "true"
            assert r.headers["X-SPARQL-Max-Bytes"] == str(cap)
            if fmt == "json":
                assert len(json.loads(r.content)["results"]["bindings"]) > 50  # a whole document
            if fmt == "jsonld":
                json.loads(r.content)
        small = httpx.get(url + "/sparql", params={"query": "SELECT ?x WHERE { VALUES ?x { 1 2 } }"})
        assert "X-SPARQL-Truncated" not in small.headers


def test_a_light_query_is_answered_while_heavy_ones_run() -> None:
    """Two heavy queries hold both main workers; ASK {} is answered from the light lane within
    1 s; a heavy query that lands on the light lane is moved off it."""
    with serving(timeout=6.0) as (url, app):
        results: list[int] = []

        def heavy() -> None:
            results.append(httpx.get(url + "/sparql", params={"query": HEAVY}, timeout=60).status_code)

        threads = [threading.Thread(target=heavy) for _ in range(2)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        waits = []
        for _ in range(5):
            started = time.monotonic()
            r = httpx.get(url + "/sparql", params={"query": "ASK {}"}, timeout=30)
            waits.append(time.monotonic() - started)
            assert r.status_code == 200
        assert max(waits) < 1.0, waits
        third = httpx.get(url + "/sparql", params={"query": HEAVY}, timeout=60)  # light lane, then main
        for t in threads:
            t.join(60)
        assert app.state.pool.light_evictions >= 1  # type: ignore[attr-defined]
        assert third.status_code == 503 and results == [503, 503]
        print(f"ASK {{}} while 2 heavy queries run: max {max(waits) * 1000:.0f} ms")


def test_a_light_query_with_50_half_open_connections(server: str) -> None:
    socks = [_raw(server) for _ in range(50)]
    for s in socks:
        s.sendall(b"GET /sparql?query=ASK HTTP/1.1\r\nHost: x\r\n")  # never finished
    started = time.monotonic()
    r = httpx.get(server + "/sparql", params={"query": "ASK {}"}, timeout=30)
    waited = time.monotonic() - started
    assert r.status_code == 200 and waited < 1.0
    time.sleep(1.5)  # the header deadline (1 s) has closed them all
    assert all(_read_all(s).startswith(b"HTTP/1.1 408 ") for s in socks)
    for s in socks:
        s.close()


def test_a_url_over_the_limit_is_414_and_headers_431(server: str) -> None:
    sock = _raw(server)
    with contextlib.suppress(OSError):
        sock.sendall(b"GET /sparql?query=" + b"A" * (4_000_000 + 9000) + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert _read_all(sock).startswith(b"HTTP/1.1 414 ")
    sock.close()
    sock = _raw(server)
    with contextlib.suppress(OSError):
        sock.sendall(b"GET /sparql HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n")
    assert _read_all(sock).startswith(b"HTTP/1.1 431 ")
    sock.close()
    assert httpx.get(server + "/sparql", params={"query": "ASK {}"}).status_code == 200


@pytest.mark.parametrize("key", ["default-graph-uri", "named-graph-uri"])
@pytest.mark.parametrize("value", ["not an iri", "http://a b/", "", "<http://e/g>", "relative/path"])
def test_a_bad_graph_uri_is_400(server: str, key: str, value: str) -> None:
    r = httpx.get(server + "/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1", key: value})
    assert r.status_code == 400
    assert key in _one_line(r)


# =========================================================================== a rebuild under a server


def _generation(folder: Path, name: str, label: str) -> Path:
    path = folder / name
    st = ox.Store(str(path))
    st.add(ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/version"), ox.Literal(label),
                   ox.NamedNode("http://e/g")))
    st.flush()
    del st
    return path


def test_a_server_answers_from_one_generation_after_a_rebuild(tmp_path: Path) -> None:
    build = tmp_path / "build"
    build.mkdir()
    _generation(build, ".store.gen-1", "old")
    _generation(build, ".store.gen-2", "new")
    os.symlink(".store.gen-1", build / "store")
    source = source_from_options(f"oxigraph:{build / 'store'}", build)
    with serving(source, timeout=2.0) as (url, app):
        q = {"query": "SELECT ?v WHERE { ?s <http://e/version> ?v }", "format": "csv"}
        assert httpx.get(url + "/sparql", params=q).text.split() == ["v", "old"]
        tmp = build / "store.tmp"
        os.symlink(".store.gen-2", tmp)
        os.replace(tmp, build / "store")  # what a build's switch does
        pool = app.state.pool  # type: ignore[attr-defined]
        for _ in range(3):  # end every worker (as a runaway query does): replacements open the store
            pool._replace(pool._take(("main", "light"), time.monotonic() + 10))
        deadline = time.monotonic() + 30
        while (pool._free["main"].qsize(), pool._free["light"].qsize()) != (2, 1):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert pool.replaced == 3
        answers = {httpx.get(url + "/sparql", params=q).text for _ in range(20)}
        assert answers == {"v\r\nold\r\n"}


# =========================================================================== updates that vanish


def test_allow_update_on_the_build_store_is_refused(tmp_path: Path) -> None:
    build = tmp_path / "build"
    build.mkdir()
    _generation(build, ".store.gen-1", "old")
    os.symlink(".store.gen-1", build / "store")
    (build / "dataset.nq").write_text('<http://e/s> <http://e/p> "o" <http://e/g> .\n')
    for store in (None, f"oxigraph:{build / 'store'}", f"oxigraph:{build / '.store.gen-1'}"):
        with pytest.raises(ServerError, match="refused on the build's own store"):
            source_from_options(store, build, allow_update=True)
    # a copy elsewhere and the dataset in memory stay updatable
    copy = _generation(tmp_path, "copy", "copy")
    assert source_from_options(f"oxigraph:{copy}", build, allow_update=True).writable
    assert source_from_options(None, build, build / "dataset.nq", allow_update=True).dataset is not None
    r = subprocess.run([*SCGRAPH, "serve", "--build-dir", str(build), "--allow-update", "--port", "0"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("Error: ")
    assert "next 'scgraph build' replaces that store" in r.stderr


def test_bench_starvation_measures_the_light_lane() -> None:
    """bench/load_test.py --starvation against the real ``scgraph serve`` (2 heavy, 50 half-open)."""
    import sys

    from reliability_fixtures import REPO

    sys.path.insert(0, str(REPO / "bench"))
    import load_test

    with load_test.serve(None, DATASET, 2, QUERIES, ["--timeout", "4", "--header-timeout", "10"]) as url:
        found = load_test.run_starvation(url, heavy=2, half_open=50, probes=5)
    for label, r in found.items():
        assert r["statuses"] == [200] and r["max_ms"] < 1000, (label, r)


def test_query_text_encodings_do_not_matter(server: str, recorder: Recorder) -> None:
    """SERVICE spelt with a codepoint escape (rdflib reads it as SERVICE) is refused too."""
    q = "SELECT * WHERE { \\u0053ERVICE <" + recorder.url + "> { ?x ?p ?o } }"
    r = _send(server, "GET", q)
    assert r.status_code == 400
    assert "SERVICE" in _one_line(r)
    assert recorder.requests == []
    cq = catalogue.Query(name="q", sparql=q, title="", description="", params=())
    with pytest.raises(QueryError, match="SERVICE"):
        catalogue.run(MemoryStore(), cq)  # rdflib reads the escape as S: refused before it runs
    assert recorder.requests == []


def test_an_in_memory_server_loads_one_generation_of_the_dataset(tmp_path: Path) -> None:
    """build/dataset.nq is a link into a generation of files: replacements load the same one."""
    build = tmp_path / "build"
    for gen, label in ((".current.gen-1", "old"), (".current.gen-2", "new")):
        (build / gen).mkdir(parents=True)
        (build / gen / "dataset.nq").write_text(f'<http://e/s> <http://e/version> "{label}" <http://e/g> .\n')
    os.symlink(".current.gen-1/dataset.nq", build / "dataset.nq")
    source = source_from_options("oxigraph", build)
    assert source.dataset == build.resolve() / ".current.gen-1" / "dataset.nq"
    with serving(source, timeout=2.0) as (url, app):
        tmp = build / "dataset.tmp"
        os.symlink(".current.gen-2/dataset.nq", tmp)
        os.replace(tmp, build / "dataset.nq")
        pool = app.state.pool  # type: ignore[attr-defined]
        for _ in range(3):
            pool._replace(pool._take(("main", "light"), time.monotonic() + 10))
        deadline = time.monotonic() + 30
        while (pool._free["main"].qsize(), pool._free["light"].qsize()) != (2, 1):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        q = {"query": "SELECT ?v WHERE { ?s <http://e/version> ?v }", "format": "csv"}
        assert {httpx.get(url + "/sparql", params=q).text for _ in range(20)} == {"v\r\nold\r\n"}
