"""The server under load and attack, beyond what test_server*.py already cover (read-only by
default, 413 on a large form/query, one runaway query stopped while another answers, six
path-traversal forms under /static/, labels escaped on a page).

Here: a bounded load test with zero failures (bench/load_test.py), several runaway queries at
once, a chunked body over the limit, traversal in more encodings and on every route, script in
labels and javascript: IRIs on identifier pages and in the question page (in Chromium), and the
default address (loopback only, checked in /proc/net/tcp of a real ``scgraph serve``).
"""

from __future__ import annotations

import http.client
import inspect
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from reliability_fixtures import BAD, REPO, SCGRAPH
from server_fixtures import DATASET, QUERIES, running_server

sys.path.insert(0, str(REPO / "bench"))
import load_test  # noqa: E402

pytestmark = pytest.mark.slow  # see [tool.pytest.ini_options] markers

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o . ?q ?r ?t }"
XSS = BAD / "xss.trig"


@pytest.fixture(scope="module")
def server():
    with running_server() as s:
        yield s


def _raw(url: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=15)
    conn.request("GET", path, headers=headers or {})  # sent as written: no client normalisation
    r = conn.getresponse()
    body = r.read()
    conn.close()
    return r.status, body


# --------------------------------------------------------------------------- load


def test_load_test_has_no_failures() -> None:
    """bench/load_test.py against the real ``scgraph serve``: 4 clients for 3 s, every answer 200."""
    with load_test.serve(None, DATASET, workers=2, queries=QUERIES) as url:
        result = load_test.run_load(url, clients=4, seconds=3.0)
    assert result.failures == 0, result.failure_examples
    assert result.requests > 4 * 3  # at least one request per client and second
    assert 0 < result.p50_ms <= result.p95_ms <= result.max_ms


def test_runaway_queries_are_stopped_and_the_server_recovers() -> None:
    """Four runaway queries at once on two workers: every one is answered 503 in bounded time
    and the server answers normally afterwards."""
    with running_server(timeout=1.0, workers=2) as s:
        answers: list[tuple[int, float]] = []

        def slow() -> None:
            t = time.monotonic()
            r = httpx.get(s.sparql, params={"query": SLOW}, timeout=60)
            answers.append((r.status_code, time.monotonic() - t))

        threads = [threading.Thread(target=slow) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert [code for code, _ in answers] == [503] * 4
        assert max(seconds for _, seconds in answers) < 15
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            r = httpx.get(s.sparql, params={"query": "ASK {}", "format": "json"}, timeout=30)
            if r.status_code == 200:
                break
            time.sleep(0.2)
        assert r.status_code == 200 and r.json()["boolean"] is True


# --------------------------------------------------------------------------- large requests


def test_chunked_body_over_the_limit_is_413(server) -> None:
    """No Content-Length to trust: the body is counted as it arrives."""
    def chunks():
        yield b"query=" + b"%23" * 10_000
        yield b"%23" * 10_000

    r = httpx.post(server.sparql, content=chunks(),
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 413


def test_lying_content_length_is_413(server) -> None:
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                  b"Content-Length: 999999999\r\n\r\nASK {}")
        head = s.recv(200)
    assert head.startswith(b"HTTP/1.1 413 ")


def test_huge_header_is_refused(server) -> None:
    try:
        status, _ = _raw(server.url, "/queries.json", {"X-Big": "a" * 200_000})
    except ConnectionError:
        return  # uvicorn closed the connection: refused too
    assert status in (400, 431)


# --------------------------------------------------------------------------- path traversal


TRAVERSALS = [
    "/static/..%5cserver.py", "/static/%5c..%5c..%5cpyproject.toml", "/static/..\\server.py",
    "/static/%252e%252e/server.py", "/static/%2e%2e%2fserver.py", "/static/.%2e/server.py",
    "/static/%c0%ae%c0%ae/server.py", "/static/%2fetc%2fpasswd", "/static/%2F..%2F..%2Fetc%2Fpasswd",
    "/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/id/..%2f..%2f..%2fetc%2fpasswd",
    "/id/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "//etc/passwd", "/static//etc/passwd", "/static/C:%5cWindows%5cwin.ini",
    "/static/app.js%00.png", "/file:///etc/passwd",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_no_file_outside_the_web_folder(server, path: str) -> None:
    status, body = _raw(server.url, path)
    assert status in (400, 404)
    for secret in (b"root:", b"import ", b"[project]", b"[fonts]"):
        assert secret not in body


# --------------------------------------------------------------------------- script in the data


@pytest.fixture(scope="module")
def xss_server():
    with _server_over(XSS) as s:
        yield s


def _server_over(dataset: Path):
    """running_server over another dataset file."""
    import contextlib

    import uvicorn

    from scgraph.server.app import ServerConfig, create_app
    from scgraph.server.workers import Source

    @contextlib.contextmanager
    def run():
        config = ServerConfig(Source(dataset=dataset), timeout=10.0, max_rows=1000, max_body=20_000,
                              workers=1, queries_dir=QUERIES)
        app = create_app(config)
        srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
        thread = threading.Thread(target=srv.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not srv.started:
            assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
            time.sleep(0.02)
        port = srv.servers[0].sockets[0].getsockname()[1]
        try:
            yield type("Running", (), {"url": f"http://127.0.0.1:{port}",
                                       "sparql": f"http://127.0.0.1:{port}/sparql"})()
        finally:
            srv.should_exit = True
            thread.join(15)
            app.state.pool.close()

    return run()


def _no_markup_from_data(page: str) -> None:
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    # a javascript: IRI may be shown as text; it is never a link
    assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", page, re.IGNORECASE)


def test_identifier_page_escapes_labels_and_links_no_script(xss_server) -> None:
    r = httpx.get(xss_server.url + "/id/project/evil", headers={"Accept": "text/html"})
    assert r.status_code == 200
    page = r.text
    _no_markup_from_data(page)
    assert "<h1>&lt;script&gt;alert(&#x27;label&#x27;)&lt;/script&gt;</h1>" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;/title&gt;&lt;script&gt;alert(&#x27;city&#x27;)&lt;/script&gt;" in page
    assert '<span class="iri">&lt;javascript:alert(document.cookie)&gt;</span>' in page


def test_not_found_page_escapes_the_path(xss_server) -> None:
    r = httpx.get(xss_server.url + "/id/%3Cscript%3Ealert(1)%3C%2Fscript%3E", headers={"Accept": "text/html"})
    assert r.status_code == 404
    _no_markup_from_data(r.text)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text


def test_question_page_inserts_text_never_html() -> None:
    """app.js builds every node with createElement and textContent, never from HTML strings,
    and never turns a non-http(s) IRI into a link."""
    js = (REPO / "src" / "scgraph" / "server" / "web" / "app.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                 "setTimeout(\"", "javascript:"):
        assert sink not in js, sink
    assert "return /^https?:\\/\\//i.test(iri) ? iri : null;" in js


CHROMIUM = os.environ.get("SCGRAPH_CHROMIUM", "/usr/bin/chromium")


def test_question_page_shows_script_labels_as_text(xss_server) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    query = ("SELECT ?thing ?label ?city WHERE { ?thing <http://www.w3.org/2000/01/rdf-schema#label> ?label . "
             "OPTIONAL { ?thing <https://w3id.org/scgraph/ontology#involvesCity> ?city } } ORDER BY ?thing ?city")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
        try:
            page = browser.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(xss_server.url + "/")
            page.wait_for_selector(".CodeMirror")  # YASGUI's editor is ready
            page.evaluate("q => window.scgraph.editor.set(q)", query)
            page.click("#run")
            page.wait_for_selector("#results")
            rows = page.eval_on_selector_all("#results tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))")
            hrefs = page.eval_on_selector_all("#results a", "as => as.map(a => a.getAttribute('href'))")
            scripts = page.eval_on_selector_all("#results script, #results img", "xs => xs.length")
        finally:
            browser.close()
    assert dialogs == [] and scripts == 0
    assert rows[0] == ["thing", "label", "city"]
    labels = {r[1] for r in rows[1:]}
    assert labels == {"<script>alert('label')</script>", "</title><script>alert('city')</script>"}
    assert not any(h and h.lower().startswith("javascript:") for h in hrefs)
    assert "/id/project/evil" in hrefs


# --------------------------------------------------------------------------- where it listens


def test_serve_listens_on_loopback_by_default(tmp_path: Path) -> None:
    from scgraph.cli.serve import serve_cmd

    default = inspect.signature(serve_cmd).parameters["host"].default
    assert default == "127.0.0.1"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([*SCGRAPH, "serve", "--port", str(port), "--dataset", str(DATASET), "--workers", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        listening: set[str] = set()
        while time.monotonic() < deadline and not listening:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            listening = _listening_addresses(port)
            time.sleep(0.2)
        assert listening == {"127.0.0.1"}
    finally:
        proc.terminate()
        proc.wait(15)


def _listening_addresses(port: int) -> set[str]:
    """The local addresses of the sockets listening on ``port`` (from /proc/net/tcp and tcp6)."""
    out: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            addr, port_hex = fields[1].split(":")
            if int(port_hex, 16) == port and fields[3] == "0A":  # LISTEN
                if len(addr) == 8:
                    out.add(socket.inet_ntop(socket.AF_INET, bytes.fromhex(addr)[::-1]))
                else:
                    raw = b"".join(bytes.fromhex(addr[i:i + 8])[::-1] for i in range(0, 32, 8))
                    out.add(socket.inet_ntop(socket.AF_INET6, raw))
    return out


def test_load_test_script_runs_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    r = subprocess.run([sys.executable, str(REPO / "bench" / "load_test.py"), "--clients", "2", "--seconds", "1",
                        "--dataset", str(DATASET), "--queries", str(QUERIES), "--json", str(out)],
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(out.read_text())
    assert doc["failures"] == 0 and doc["clients"] == 2 and doc["requests"] > 0
    assert re.fullmatch(r"\d+ requests from 2 clients in [\d.]+ s \([\d.]+/s\), 0 failed; latency p50 [\d.]+ ms, "
                        r"p95 [\d.]+ ms, max [\d.]+ ms \(.*\)\n", r.stdout)
