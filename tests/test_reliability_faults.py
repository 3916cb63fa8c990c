"""Faults: writes are atomic, a build or an import killed with SIGKILL at any moment loses
nothing, and a remote endpoint that is down, slow or answers garbage is a one-line error in
bounded time.

The kill tests run the real CLI in a subprocess on a copy of the tiny project of
tests/data/pipeline/root. ``SCGRAPH_TEST_KILL_AT=STAGE[:N]`` (io.kill_point) kills the process
the N-th time it reaches STAGE; timed kills land wherever the process happens to be.
"""

from __future__ import annotations

import ast
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability_fixtures import (
    REPO,
    SCGRAPH,
    Project,
    copy_project,
    fingerprint,
    make_project,
    store_quads,
)

SAMPLE = REPO / "tests" / "data" / "cordis" / "sample"
CHANGE = ('\nidorg:cnect-c4 a scg:OrganisationalUnit ; rdfs:label "Unit C.4"@en ;\n'
          '    dcterms:description "Unit C.4 of DG CNECT"@en ; scg:unitOf idorg:dg-cnect .\n')


# --------------------------------------------------------------------------- every write is atomic

WRITERS = {"write_text", "write_bytes", "savefig", "to_csv", "write_graphml", "write_gexf",
           "serialize", "dump", "to_file"}
SAFE_SCOPES = ("atomic_path(", "TemporaryDirectory(", "mkstemp(")


IN_MEMORY = {"buf", "None", "io.BytesIO()", "io.StringIO()"}
#: where each writer takes its destination: (position, keyword)
DESTINATION = {"write_graphml": (1, "path"), "write_gexf": (1, "path"), "savefig": (0, "fname"),
               "to_csv": (0, "path_or_buf"), "dump": (0, "output"), "to_file": (0, "path")}


def _destination(node: ast.Call, name: str) -> str | None:
    """The destination expression of a writer call, or None when it returns what it wrote."""
    if name == "serialize":  # rdflib: serialize(destination=None, ...); pyoxigraph: serialize(input, output=None)
        receiver = ast.unparse(node.func.value) if isinstance(node.func, ast.Attribute) else ""
        position, keyword = (1, "output") if receiver in ("ox", "pyoxigraph") else (0, "destination")
    else:
        position, keyword = DESTINATION.get(name, (0, ""))
    for k in node.keywords:
        if k.arg == keyword:
            return ast.unparse(k.value)
    return ast.unparse(node.args[position]) if len(node.args) > position else None


def _unsafe_writes(path: Path) -> Iterator[str]:
    """Calls that write a file, in functions that write no temporary file first."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    for func in ast.walk(tree):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        body = ast.get_source_segment(source, func) or ""
        for node in ast.walk(func):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            writes = name in WRITERS
            if name == "open":
                modes = [a.value for a in node.args[1:2] if isinstance(a, ast.Constant)]
                modes += [k.value.value for k in node.keywords
                          if k.arg == "mode" and isinstance(k.value, ast.Constant)]
                writes = any(isinstance(m, str) and set(m) & set("wax+") for m in modes)
            if not writes:
                continue
            target = _destination(node, name)
            if name != "open" and name not in ("write_text", "write_bytes") and (
                    target is None or target in IN_MEMORY):
                continue  # returns the bytes, or writes to a buffer in memory
            if any(scope in body for scope in SAFE_SCOPES):
                continue
            yield f"{path.relative_to(REPO)}:{node.lineno}: {ast.unparse(node)[:80]}"


def test_every_file_output_goes_through_a_temporary_file() -> None:
    found = [w for p in sorted((REPO / "src" / "scgraph").rglob("*.py")) for w in _unsafe_writes(p)]
    assert found == []


def test_the_audit_finds_a_direct_write(tmp_path: Path) -> None:
    bad = REPO / "tests" / "data" / "bad_input"  # any folder under the repository
    probe = tmp_path / "probe.py"
    probe.write_text("def f(p):\n    p.write_text('x')\n\ndef g(p):\n    with atomic_path(p) as t:\n"
                     "        t.write_text('x')\n", encoding="utf-8")
    target = bad.parent / "_audit_probe.py"
    target.write_bytes(probe.read_bytes())
    try:
        assert list(_unsafe_writes(target)) == ["tests/data/_audit_probe.py:2: p.write_text('x')"]
    finally:
        target.unlink()


# --------------------------------------------------------------------------- killed builds and imports


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, dict[str, str], dict[str, str]]:
    """A built project (v1) and the fingerprints of v1 and of v2 (one more unit) built whole."""
    v1 = make_project(tmp_path_factory.mktemp("v1"))
    v2 = copy_project(v1, tmp_path_factory.mktemp("v2"))
    _change(v2)
    r = v2.run("build", "-q", "--out", "build")
    assert r.returncode == 0, r.stderr
    return v1, _stable(fingerprint(v1)), _stable(fingerprint(v2))


def _change(project: Project) -> None:
    source = project.root / "data" / "sources" / "unit_chart.ttl"
    source.write_text(source.read_text(encoding="utf-8") + CHANGE, encoding="utf-8")


def _stable(fp: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in fp.items() if k != "store -> "}  # the generation's name has a time


def _assert_old_or_new(fp: dict[str, str], old: dict[str, str], new: dict[str, str]) -> None:
    """Every output whole: each file (and the store as a whole) is exactly its old or new self."""
    fp = _stable(fp)
    assert set(fp) == set(old)
    for key, digest in fp.items():
        assert digest in (old[key], new[key]), f"{key} is neither the old nor the new one"


def _kill_after(project: Project, args: list[str], delay: float, **env: str) -> int:
    proc = subprocess.Popen([*SCGRAPH, *args], cwd=project.root, env=project.env(**env),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        proc.wait(delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    return proc.returncode


# the stages, in the order a build reaches them: the new store is whole but not switched in
# (store.replace_store), then the renames of io.atomic_path (validation report, then dumps)
KILL_POINTS = ["store-switch", "rename:1", "rename:2", "rename:4", "rename:6"]


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_build_killed_at_a_stage_loses_nothing(versions, tmp_path: Path, point: str) -> None:
    v1, old, new = versions
    project = copy_project(v1, tmp_path)
    _change(project)
    code = _kill_after(project, ["build", "-q", "--out", "build"], 120, SCGRAPH_TEST_KILL_AT=point)
    assert code == -signal.SIGKILL
    _assert_old_or_new(fingerprint(project), old, new)
    assert store_quads(project.store)  # readable
    r = project.run("build", "-q", "--out", "build")
    assert (r.returncode, r.stderr) == (0, "")
    assert _stable(fingerprint(project)) == new


@pytest.mark.parametrize("delay", [0.4, 0.9, 1.3, 1.7, 2.2])
def test_a_build_killed_at_any_moment_loses_nothing(versions, tmp_path: Path, delay: float) -> None:
    v1, old, new = versions
    project = copy_project(v1, tmp_path)
    _change(project)
    _kill_after(project, ["build", "-q", "--out", "build"], delay)
    _assert_old_or_new(fingerprint(project), old, new)
    r = project.run("build", "-q", "--out", "build")
    assert (r.returncode, r.stderr) == (0, "")
    assert _stable(fingerprint(project)) == new


@pytest.fixture(scope="module")
def imported(versions, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The store's quads after a whole import of the CORDIS sample into v1's store."""
    project = copy_project(versions[0], tmp_path_factory.mktemp("imported"))
    r = project.run("import", "cordis", str(SAMPLE), "-q", "--store", "oxigraph:build/store")
    assert r.returncode == 0, r.stderr
    return store_quads(project.store)


@pytest.mark.parametrize("delay", [1.0, 2.0, 3.0, 3.6, 4.2])
def test_an_import_killed_at_any_moment_leaves_the_store_whole(versions, imported, tmp_path: Path,
                                                               delay: float) -> None:
    v1, _old, _new = versions
    project = copy_project(v1, tmp_path)
    before = store_quads(project.store)
    _kill_after(project, ["import", "cordis", str(SAMPLE), "-q", "--store", "oxigraph:build/store"], delay)
    after = store_quads(project.store)
    assert after in (before, imported), f"{len(after)} quads: neither before ({len(before)}) nor after ({len(imported)})"
    r = project.run("import", "cordis", str(SAMPLE), "-q", "--store", "oxigraph:build/store")
    assert (r.returncode, r.stderr) == (0, "")
    assert store_quads(project.store) == imported


def test_an_import_to_a_file_killed_before_the_rename_keeps_the_old_file(versions, tmp_path: Path) -> None:
    project = copy_project(versions[0], tmp_path)
    out = project.root / "registry.nq"
    out.write_text("# the previous file\n", encoding="utf-8")
    code = _kill_after(project, ["import", "cordis", str(SAMPLE), "-q", "--output", str(out)], 120,
                       SCGRAPH_TEST_KILL_AT="rename")
    assert code == -signal.SIGKILL
    assert out.read_text(encoding="utf-8") == "# the previous file\n"
    leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith(".registry.nq.")]
    assert len(leftovers) == 1 and leftovers[0].endswith(".tmp")  # hidden, never the output
    r = project.run("import", "cordis", str(SAMPLE), "-q", "--output", str(out))
    assert (r.returncode, r.stderr) == (0, "")
    assert out.read_text(encoding="utf-8").count(" .\n") > 1000


# --------------------------------------------------------------------------- remote endpoints


class FakeEndpoint:
    """A socket on 127.0.0.1 that answers each request with ``answer`` (bytes), closes the
    connection without a word (``b""``) or never answers (None)."""

    def __init__(self, answer: bytes | None) -> None:
        self.answer = answer
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.requests = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        held = []
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.requests += 1
            if self.answer is None:
                held.append(conn)  # keep it open, say nothing
                continue
            conn.settimeout(2)
            try:
                conn.recv(65536)
                if self.answer:
                    conn.sendall(self.answer)
            except OSError:
                pass
            conn.close()
        for c in held:
            c.close()

    def __enter__(self) -> FakeEndpoint:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _http(status: str, ctype: str, body: bytes) -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode() + body


HTML = _http("200 OK", "text/html; charset=utf-8", b"<html><body>Welcome to nginx!</body></html>")


@pytest.fixture
def project(versions, tmp_path: Path) -> Project:
    return copy_project(versions[0], tmp_path)


def _query_remote(project: Project, url: str, **env: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    r = project.run("query", "organisations", "--store", f"sparql:{url}", "-f", "csv", **env)
    return r, time.monotonic() - started


def test_remote_endpoint_that_answers_html(project: Project) -> None:
    with FakeEndpoint(HTML) as fake:
        r, seconds = _query_remote(project, fake.url)
    assert r.returncode == 1 and seconds < 30
    assert r.stderr == (f"Error: the SPARQL endpoint {fake.url}/query answered with an unexpected "
                        "content type 'text/html; charset=utf-8'\n")


def test_remote_endpoint_that_closes_the_connection(project: Project) -> None:
    with FakeEndpoint(b"") as fake:
        r, seconds = _query_remote(project, fake.url)
    assert r.returncode == 1 and seconds < 30
    assert r.stderr == (f"Error: cannot reach the SPARQL endpoint {fake.url}/query: Remote end closed "
                        "connection without response (tried 3 times)\n")
    assert fake.requests == 3  # a query is safe to retry: 1 + 2 retries


def test_remote_endpoint_that_is_down(project: Project) -> None:
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
    r, seconds = _query_remote(project, f"http://127.0.0.1:{port}")
    assert r.returncode == 1 and seconds < 30
    assert r.stderr == (f"Error: cannot reach the SPARQL endpoint http://127.0.0.1:{port}/query: "
                        "Connection refused (tried 3 times)\n")


def test_remote_endpoint_that_never_answers(project: Project) -> None:
    with FakeEndpoint(None) as fake:
        r, seconds = _query_remote(project, fake.url, SCGRAPH_SPARQL_TIMEOUT="0.5")
    assert r.returncode == 1
    assert 1.5 <= seconds < 20  # three tries of 0.5 s and two short back-offs, plus start-up
    assert r.stderr == (f"Error: cannot reach the SPARQL endpoint {fake.url}/query: no answer within "
                        "0.5 s (tried 3 times)\n")


def test_updates_are_never_retried() -> None:
    from scgraph.errors import StoreError
    from scgraph.store import SparqlStore

    with FakeEndpoint(b"") as fake:
        with pytest.raises(StoreError) as e:
            SparqlStore(fake.url, timeout=2, retries=2).update("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    assert fake.requests == 1  # an update may have been applied: it is not sent twice
    assert str(e.value) == (f"cannot reach the SPARQL endpoint {fake.url}/update: Remote end closed "
                            "connection without response")


def test_a_busy_endpoint_is_retried_and_then_answers() -> None:
    from scgraph.store import SparqlStore

    graphs = b'{"head": {"vars": ["g"]}, "results": {"bindings": [{"g": {"type": "uri", "value": "urn:g"}}]}}'
    answers = [_http("503 Service Unavailable", "text/plain", b"busy"),
               _http("200 OK", "application/sparql-results+json", graphs)]
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]

    def serve() -> None:
        for answer in answers:
            conn, _ = sock.accept()
            conn.recv(65536)
            conn.sendall(answer)
            conn.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        store = SparqlStore(f"http://127.0.0.1:{port}", timeout=5, retries=2)
        assert [str(g) for g in store.named_graphs()] == ["urn:g"]  # a read: retried after the 503
    finally:
        t.join(5)
        sock.close()


def test_no_subprocess_left_behind() -> None:
    """The kill tests reap what they start (a zombie would show as a child here)."""
    children = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children")
    if not children.exists():
        pytest.skip("no /proc children list on this system")
    assert children.read_text().split() == []
