"""Serve: a SPARQL 1.1 endpoint, dereferenceable identifiers and a browser page for analysts.

The web side is a Starlette application (run by uvicorn); queries run in a pool of worker
processes, each holding its own Oxigraph store, so that a slow query never blocks the others
and a runaway one is stopped by ending its process (a fresh worker takes its place). See
docs/serving.md for the URL layout, formats and limits.
"""

from __future__ import annotations

import contextlib
import html
import json
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import pyoxigraph as ox

from .errors import ScgraphError, StoreError

WEB_DIR = Path(__file__).resolve().parent / "web"

#: Result formats: short name -> media type.
SELECT_FORMATS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_FORMATS = {
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
}
FORMAT_ALIASES = {
    "json": "json", "srj": "json", "application/sparql-results+json": "json", "application/json": "json",
    "xml": "xml", "srx": "xml", "application/sparql-results+xml": "xml", "application/xml": "xml",
    "csv": "csv", "text/csv": "csv",
    "tsv": "tsv", "text/tab-separated-values": "tsv",
    "turtle": "turtle", "ttl": "turtle", "text/turtle": "turtle",
    "n3": "turtle", "text/n3": "turtle", "text/rdf+n3": "turtle",  # Turtle is N3
    "ntriples": "ntriples", "nt": "ntriples", "n-triples": "ntriples", "application/n-triples": "ntriples",
    "jsonld": "jsonld", "json-ld": "jsonld", "application/ld+json": "jsonld",
}
_OX_GRAPH_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
                     "jsonld": ox.RdfFormat.JSON_LD}
TRUNCATED_HEADER = "X-SPARQL-Truncated"
MAX_ROWS_HEADER = "X-SPARQL-Max-Rows"


class ServerError(ScgraphError):
    """The server cannot start (no dataset, bad store, bad option)."""


# =========================================================================== negotiation


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """Media ranges of an Accept header with their q-values, best first (stable for ties)."""
    out = []
    for i, part in enumerate((header or "").split(",")):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        q = 1.0
        for f in fields[1:]:
            name, _, value = f.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        out.append((fields[0].lower(), q, i))
    out.sort(key=lambda t: (-t[1], t[2]))
    return [(m, q) for m, q, _i in out if q > 0]


def negotiate(accept: str | None, offers: dict[str, str], aliases: dict[str, str] | None = None) -> str | None:
    """The key of ``offers`` (key -> media type, in server preference order) that ``accept`` likes best.

    No Accept header means the first offer; ``None`` means nothing acceptable (406).
    """
    ranges = parse_accept(accept)
    if not ranges:
        return next(iter(offers))
    aliases = aliases or {}
    for media, _q in ranges:
        if media in aliases and aliases[media] in offers:
            return aliases[media]
        for key, offered in offers.items():
            if media == offered or media == "*/*" or (media.endswith("/*") and offered.startswith(media[:-1])):
                return key
    return None


# =========================================================================== result writers


def _json_term(term: Any) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = term.datatype.value
        return out
    return {"type": "literal", "value": str(term)}


def _xml_term(term: Any) -> str:
    e = html.escape
    if isinstance(term, ox.NamedNode):
        return f"<uri>{e(term.value, quote=False)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{e(term.value, quote=False)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f'<literal xml:lang="{e(term.language)}">{e(term.value, quote=False)}</literal>'
        if term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            return f'<literal datatype="{e(term.datatype.value)}">{e(term.value, quote=False)}</literal>'
        return f"<literal>{e(term.value, quote=False)}</literal>"
    return f"<literal>{e(str(term), quote=False)}</literal>"


def _csv_cell(term: Any) -> str:
    if term is None:
        return ""
    text = f"_:{term.value}" if isinstance(term, ox.BlankNode) else getattr(term, "value", str(term))
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_select(fmt: str, variables: list[str], rows: list[list[Any]]) -> bytes:
    """SPARQL 1.1 results (JSON, XML, CSV or TSV) of a SELECT; unbound cells are None."""
    if fmt == "json":
        doc = {"head": {"vars": variables}, "results": {"bindings": [
            {v: _json_term(t) for v, t in zip(variables, row) if t is not None} for row in rows]}}
        return json.dumps(doc, ensure_ascii=False).encode("utf-8")
    if fmt == "xml":
        parts = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>']
        parts += [f'<variable name="{v}"/>' for v in variables]
        parts.append("</head>\n<results>")
        for row in rows:
            parts.append("<result>" + "".join(
                f'<binding name="{v}">{_xml_term(t)}</binding>' for v, t in zip(variables, row) if t is not None)
                + "</result>")
        parts.append("</results>\n</sparql>\n")
        return "\n".join(parts).encode("utf-8")
    if fmt == "csv":
        lines = [",".join(variables)] + [",".join(_csv_cell(t) for t in row) for row in rows]
        return ("\r\n".join(lines) + "\r\n").encode("utf-8")
    if fmt == "tsv":
        lines = ["\t".join(f"?{v}" for v in variables)]
        lines += ["\t".join("" if t is None else str(t) for t in row) for row in rows]
        return ("\n".join(lines) + "\n").encode("utf-8")
    raise ValueError(fmt)


def write_boolean(fmt: str, value: bool) -> bytes:
    """SPARQL 1.1 results of an ASK query."""
    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}).encode()
    if fmt == "xml":
        return ('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n'
                f"<head/>\n<boolean>{'true' if value else 'false'}</boolean>\n</sparql>\n").encode()
    if fmt == "csv":
        return f"_askResult\r\n{'true' if value else 'false'}\r\n".encode()
    return f"?_askResult\n{'true' if value else 'false'}\n".encode()


# =========================================================================== worker processes


@dataclass
class Answer:
    """What a worker sends back: an HTTP status, a media type, a body, and whether rows were cut."""

    status: int
    media_type: str
    body: bytes
    truncated: bool = False
    headers: dict[str, str] = field(default_factory=dict)


def _error(status: int, message: str) -> Answer:
    return Answer(status, "text/plain; charset=utf-8", (" ".join(message.split()) + "\n").encode())


def _query_message(exc: BaseException) -> str:
    return "bad SPARQL query: " + " ".join(str(exc).split())[:400]


def run_query(store: ox.Store, sparql: str, accept: str | None, fmt: str | None, max_rows: int,
              prefixes: dict[str, str], default_graphs: list[str] | None = None,
              named_graphs: list[str] | None = None) -> Answer:
    """Evaluate ``sparql`` on ``store`` and write the answer in the negotiated format.

    The default graph is the union of the named graphs, unless ``default_graphs``
    (the protocol's ``default-graph-uri``) names the graphs to merge instead.
    """
    options: dict[str, Any] = {"use_default_graph_as_union": not default_graphs}
    if default_graphs:
        options["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
    if named_graphs:
        options["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
    try:
        res = store.query(sparql, **options)
    except SyntaxError as e:
        return _error(400, _query_message(e))
    except (RuntimeError, OSError, ValueError) as e:
        return _error(500, f"query failed: {e}")
    is_graph = isinstance(res, ox.QueryTriples)
    offers = GRAPH_FORMATS if is_graph else SELECT_FORMATS
    if fmt:
        key = FORMAT_ALIASES.get(fmt.lower())
        if is_graph and key == "json":
            key = "jsonld"
        if key not in offers:
            kind = "CONSTRUCT and DESCRIBE" if is_graph else "SELECT and ASK"
            return _error(406, f"format {fmt!r} is not available for {kind} queries; use one of "
                               f"{', '.join(offers)}")
    else:
        key = negotiate(accept, offers, {"application/json": "jsonld" if is_graph else "json",
                                         "text/plain": "ntriples" if is_graph else "tsv"})
        if key is None:
            return _error(406, f"cannot answer in any of the accepted media types {accept!r}; "
                               f"this query's results come as {', '.join(offers.values())}")
    media = offers[key] + ("; charset=utf-8" if key in ("csv", "tsv", "turtle", "ntriples") else "")
    try:
        if isinstance(res, ox.QueryBoolean):
            return Answer(200, media, write_boolean(key, bool(res)))
        if is_graph:
            triples = []
            for t in res:
                if len(triples) == max_rows:
                    return Answer(200, media, _graph_bytes(triples, key, prefixes), truncated=True)
                triples.append(t)
            return Answer(200, media, _graph_bytes(triples, key, prefixes))
        variables = [v.value for v in res.variables]
        rows: list[list[Any]] = []
        truncated = False
        for sol in res:
            if len(rows) == max_rows:
                truncated = True
                break
            rows.append([sol[i] for i in range(len(variables))])
        return Answer(200, media, write_select(key, variables, rows), truncated=truncated)
    except (RuntimeError, OSError, ValueError) as e:
        return _error(500, f"query failed: {e}")


def _graph_bytes(triples: list[Any], key: str, prefixes: dict[str, str]) -> bytes:
    fmt = _OX_GRAPH_FORMATS[key]
    used = prefixes if key != "ntriples" else None
    return ox.serialize(triples, format=fmt, prefixes=used) or b""


Cell = tuple[str, str, str, str] | None  # (kind, value, language, datatype)


def _cell(term: Any) -> Cell:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return ("uri", term.value, "", "")
    if isinstance(term, ox.BlankNode):
        return ("bnode", term.value, "", "")
    if isinstance(term, ox.Literal):
        return ("literal", term.value, term.language or "", term.datatype.value)
    return ("literal", str(term), "", "")


def run_select(store: ox.Store, sparql: str) -> list[list[Cell]]:
    """Rows of a SELECT as plain tuples (picklable), for the identifier pages."""
    res = store.query(sparql, use_default_graph_as_union=True)
    n = len(res.variables)
    return [[_cell(sol[i]) for i in range(n)] for sol in res]


@dataclass(frozen=True)
class Source:
    """Where a worker gets its data: an N-Quads/TriG file, or an Oxigraph folder."""

    dataset: Path | None = None
    store_path: Path | None = None
    writable: bool = False
    extra: tuple[Path, ...] = ()  # more files loaded after the dataset (the analysis graph)


def open_source(source: Source) -> ox.Store:
    """A store with the data of ``source``."""
    if source.store_path is not None:
        path = str(source.store_path)
        return ox.Store(path) if source.writable else ox.Store.read_only(path)
    store = ox.Store()
    if source.dataset is not None:
        fmt = ox.RdfFormat.from_extension(source.dataset.suffix.lstrip(".")) or ox.RdfFormat.N_QUADS
        store.bulk_load(path=str(source.dataset), format=fmt)
    for path in source.extra:
        fmt = ox.RdfFormat.from_extension(path.suffix.lstrip(".")) or ox.RdfFormat.N_QUADS
        store.bulk_load(path=str(path), format=fmt)
    return store


def worker_main(conn: Connection, source: Source, updates: list[str], prefixes: dict[str, str]) -> None:
    """A worker process: open the data, replay the updates, then answer requests until EOF."""
    try:
        store = open_source(source)
        for u in updates:
            store.update(u)
    except BaseException as e:  # noqa: BLE001 - reported to the parent, which fails to start
        conn.send(("failed", f"{type(e).__name__}: {e}"))
        return
    conn.send(("ready", len(store)))
    while True:
        try:
            kind, payload = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if kind == "query":
                sparql, accept, fmt, max_rows, dgs, ngs = payload
                conn.send(run_query(store, sparql, accept, fmt, max_rows, prefixes, dgs, ngs))
            elif kind == "select":
                conn.send(run_select(store, payload))
            elif kind == "update":
                try:
                    store.update(payload)
                    conn.send(Answer(204, "text/plain", b""))
                except SyntaxError as e:
                    conn.send(_error(400, "bad SPARQL update: " + " ".join(str(e).split())))
            else:
                conn.send(_error(500, f"unknown request {kind!r}"))
        except Exception as e:  # noqa: BLE001 - the worker must answer something
            conn.send(_error(500, f"query failed: {e}"))


class QueryTimeout(Exception):
    """A request ran past its time; its worker was ended."""


class PoolBusy(Exception):
    """No worker became free in time."""


def worker_entry(fd: int) -> None:
    """Entry point of a worker process: ``fd`` is its end of a socket pair to the server."""
    conn = Connection(fd)
    source, updates, prefixes = conn.recv()
    worker_main(conn, source, updates, prefixes)


class _Worker:
    """One worker process (a fresh interpreter, so nothing of the server's state is copied)."""

    def __init__(self, source: Source, updates: list[str], prefixes: dict[str, str]) -> None:
        parent, child = socket.socketpair()
        code = "import sys; from scgraph.server import worker_entry; worker_entry(int(sys.argv[1]))"
        self.process = subprocess.Popen([sys.executable, "-c", code, str(child.fileno())],
                                        pass_fds=[child.fileno()], stdin=subprocess.DEVNULL)
        child.close()
        self.conn = Connection(parent.detach())
        self.conn.send((source, list(updates), prefixes))

    def wait_ready(self, timeout: float) -> None:
        if not self.conn.poll(timeout):
            self.kill()
            raise ServerError(f"a query worker did not start within {timeout:.0f} s")
        try:
            status, info = self.conn.recv()
        except EOFError:
            self.kill()
            raise ServerError("a query worker ended while loading the data") from None
        if status != "ready":
            self.kill()
            raise ServerError(f"cannot load the data: {info}")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)
        self.conn.close()


class WorkerPool:
    """Worker processes, each with its own store; each request goes to one idle worker.

    A request that runs past its time ends its worker; a fresh one is started in the
    background (replaying any updates), so the next requests find a full pool again.
    """

    def __init__(self, source: Source, size: int = 2, prefixes: dict[str, str] | None = None,
                 start_timeout: float = 300.0) -> None:
        self.source = source
        self.size = size
        self.prefixes = prefixes or {}
        self.updates: list[str] = []
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._update_lock = threading.Lock()
        self._closed = False
        self.replaced = 0
        self.start_timeout = start_timeout
        workers = [_Worker(source, [], self.prefixes) for _ in range(size)]
        try:
            for w in workers:
                w.wait_ready(start_timeout)
        except ServerError:
            for w in workers:
                w.kill()
            raise
        self._workers = set(workers)
        for w in workers:
            self._idle.put(w)

    def _replace(self, dead: _Worker) -> None:
        dead.kill()
        with self._lock:
            self._workers.discard(dead)
            self.replaced += 1
            if self._closed:
                return
            w = _Worker(self.source, self.updates, self.prefixes)
            self._workers.add(w)

        def ready() -> None:
            try:
                w.wait_ready(self.start_timeout)
            except ServerError:
                with self._lock:
                    self._workers.discard(w)
                return
            self._idle.put(w)

        threading.Thread(target=ready, daemon=True, name="scgraph-worker-start").start()

    def request(self, kind: str, payload: Any, timeout: float) -> Any:
        """Send one request to an idle worker and wait for its answer (blocking)."""
        deadline = time.monotonic() + timeout
        try:
            w = self._idle.get(timeout=timeout)
        except queue.Empty:
            raise PoolBusy() from None
        try:
            w.conn.send((kind, payload))
            if w.conn.poll(max(0.0, deadline - time.monotonic())):
                answer = w.conn.recv()
                self._idle.put(w)
                return answer
        except (EOFError, OSError, BrokenPipeError):
            self._replace(w)
            raise QueryTimeout() from None
        self._replace(w)
        raise QueryTimeout()

    def update(self, sparql: str, timeout: float) -> Answer:
        """Apply an update to every worker's store (one update at a time)."""
        taken: list[_Worker] = []
        self._update_lock.acquire()
        try:
            for _ in range(self.size):
                taken.append(self._idle.get(timeout=timeout))
        except queue.Empty:
            for w in taken:
                self._idle.put(w)
            self._update_lock.release()
            raise PoolBusy() from None
        answers = []
        for w in taken:
            try:
                w.conn.send(("update", sparql))
                if not w.conn.poll(timeout):
                    raise QueryTimeout()
                answers.append(w.conn.recv())
                self._idle.put(w)
            except (QueryTimeout, EOFError, OSError):
                self._replace(w)
        first = answers[0] if answers else _error(503, "the update ran past its time")
        if first.status < 300:
            with self._lock:
                self.updates.append(sparql)
        self._update_lock.release()
        return first

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._workers)
            self._workers.clear()
        for w in workers:
            w.kill()


# =========================================================================== configuration


@dataclass
class ServerConfig:
    """Options of ``scgraph serve``."""

    source: Source
    allow_update: bool = False
    timeout: float = 30.0
    max_rows: int = 10_000
    max_body: int = 1_000_000
    workers: int = 2
    queries_dir: Path | None = None


def _holds_quads(path: Path) -> bool:
    """Whether the Oxigraph folder ``path`` holds a quad, read without opening it for writing
    (a build's store may be read by others; one quad is enough, a count of 10^7 takes seconds)."""
    if not (path.is_dir() and any(path.iterdir())):
        return False
    st = ox.Store.read_only(str(path))
    try:
        return next(iter(st.quads_for_pattern(None, None, None)), None) is not None
    finally:
        del st


def source_from_options(store: str | None, build_dir: Path, dataset: Path | None = None,
                        allow_update: bool = False) -> Source:
    """The data source for a store spec (``memory``, ``oxigraph`` or ``oxigraph:PATH``; None:
    the build's own store ``BUILD_DIR/store`` when it has one and no ``dataset`` is given, else
    ``oxigraph``).

    ``memory`` and ``oxigraph`` load ``dataset`` (default ``build_dir/dataset.nq``) into an
    in-memory Oxigraph store per worker; ``oxigraph:PATH`` serves an Oxigraph folder, loading
    the dataset into it first when it is empty.
    """
    from .store import STORE_SPECS, default_store_spec

    data = dataset if dataset is not None else build_dir / "dataset.nq"
    store = store or ("oxigraph" if dataset is not None else default_store_spec(build_dir, fallback="oxigraph"))
    kind, _, arg = store.partition(":")
    if store in ("memory", "oxigraph"):
        if not data.is_file():
            raise ServerError("no such file; run 'scgraph build' first or give --dataset", path=data)
        from .analysis.rdf import analysis_file

        analysis = analysis_file(build_dir)  # the results of 'scgraph analyse', beside the data
        return Source(dataset=data, extra=(analysis,) if dataset is None and analysis.is_file() else ())
    if kind == "oxigraph" and arg:
        path = Path(arg)
        try:
            if not _holds_quads(path):
                if not data.is_file():
                    raise ServerError("the store is empty and there is no dataset to load; run "
                                      "'scgraph build' first", path=data)
                st = ox.Store(str(path))
                fmt = ox.RdfFormat.from_extension(data.suffix.lstrip(".")) or ox.RdfFormat.N_QUADS
                st.bulk_load(path=str(data), format=fmt)
                st.flush()
                del st
        except OSError as e:
            raise StoreError(f"cannot open the Oxigraph store: {e}", path=path) from None
        return Source(store_path=path, writable=allow_update)
    raise ServerError(f"--store {store!r} cannot be served; use {STORE_SPECS}")


# =========================================================================== the application


def create_app(config: ServerConfig, pool: WorkerPool | None = None) -> Any:
    """The Starlette application; it starts its worker pool unless one is given."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    from .namespaces import PREFIXES

    prefixes = {p: str(ns) for p, ns in PREFIXES.items()}
    if config.allow_update and config.source.store_path is not None and config.workers != 1:
        config.workers = 1  # one writer for an on-disk store
    pool = pool or WorkerPool(config.source, config.workers, prefixes)
    handlers = Handlers(config, pool)
    routes = [
        Route("/sparql", handlers.sparql, methods=["GET", "POST"]),
        Route("/", handlers.index, methods=["GET"]),
        Route("/queries.json", handlers.catalogue, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=WEB_DIR, follow_symlink=False), name="static"),
        Route("/{path:path}", handlers.resource, methods=["GET"]),
    ]
    middleware = [Middleware(
        CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["*"], expose_headers=[TRUNCATED_HEADER, MAX_ROWS_HEADER, "Content-Type"],
        max_age=86400)]
    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        yield
        pool.close()

    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.pool = pool
    app.state.config = config
    return app


def serve(config: ServerConfig, host: str = "127.0.0.1", port: int = 8000,
          on_ready: Callable[[str], None] | None = None) -> None:
    """Start the workers and run the server until interrupted."""
    import uvicorn

    app = create_app(config)
    if on_ready is not None:
        on_ready(f"http://{host}:{port}/")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def percent_path(path: str) -> str:
    """``path`` with every character that is not safe in a URL path percent-encoded."""
    return quote(path, safe="/#:@!$&'()*+,;=-._~%")


def form_fields(body: bytes) -> dict[str, list[str]]:
    """The fields of an ``application/x-www-form-urlencoded`` body."""
    return parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def is_update_text(sparql: str) -> bool:
    """Whether ``sparql`` reads as a SPARQL Update (for a clearer error when sent as a query)."""
    text = re.sub(r"#[^\n]*", "", sparql)
    text = re.sub(r"(?i)\b(PREFIX\s+\S*:\s*<[^>]*>|BASE\s*<[^>]*>)", "", text)
    return bool(re.match(r"\s*(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b", text, re.I))


# =========================================================================== HTTP handlers

_RESOURCE_FORMATS = {"html": "text/html", "turtle": "text/turtle", "jsonld": "application/ld+json",
                     "ntriples": "application/n-triples"}
_LABEL_PREDICATES = [
    "http://www.w3.org/2004/02/skos/core#prefLabel", "http://www.w3.org/2000/01/rdf-schema#label",
    "https://schema.org/name", "http://xmlns.com/foaf/0.1/name", "http://purl.org/dc/terms/title",
]
_STATED_IN = "https://w3id.org/scgraph/ontology#statedIn"
_NT_IRI = re.compile(r'^[^<>"{}|^`\\\x00-\x20]*$')


def _nt_iri(iri: str) -> str:
    if not _NT_IRI.match(iri):
        raise ValueError(iri)
    return f"<{iri}>"


def _sparql_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'


class Handlers:
    """The endpoint's request handlers (Starlette endpoints) over one worker pool."""

    def __init__(self, config: ServerConfig, pool: WorkerPool) -> None:
        self.config = config
        self.pool = pool
        self._graphs: list[str] | None = None

    # ------------------------------------------------------------------ helpers

    async def _call(self, kind: str, payload: Any) -> Any:
        import anyio

        return await anyio.to_thread.run_sync(self.pool.request, kind, payload, self.config.timeout)

    def _text(self, status: int, message: str, headers: dict[str, str] | None = None) -> Any:
        from starlette.responses import PlainTextResponse

        return PlainTextResponse(" ".join(message.split()) + "\n", status_code=status, headers=headers)

    async def _body(self, request: Any) -> bytes | None:
        """The request body, or None when it is larger than ``max_body``."""
        limit = self.config.max_body
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            return None
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self) -> Any:
        return self._text(413, f"the request is larger than the limit of {self.config.max_body} bytes")

    # ------------------------------------------------------------------ /sparql

    async def sparql(self, request: Any) -> Any:
        """SPARQL 1.1 Protocol: query by GET or POST, update by POST, service description by GET."""
        params: dict[str, list[str]] = {}
        for key, value in request.query_params.multi_items():
            params.setdefault(key, []).append(value)
        if len(str(request.url.query)) > self.config.max_body:
            return self._too_large()
        direct: tuple[str, str] | None = None
        if request.method == "POST":
            body = await self._body(request)
            if body is None:
                return self._too_large()
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype == "application/x-www-form-urlencoded":
                for key, values in form_fields(body).items():
                    params.setdefault(key, []).extend(values)
            elif ctype in ("application/sparql-query", "application/sparql-update"):
                try:
                    text = body.decode("utf-8")
                except UnicodeDecodeError:
                    return self._text(400, "the request body is not UTF-8")
                direct = ("query" if ctype.endswith("query") else "update", text)
            else:
                return self._text(415, f"unsupported content type {ctype!r}; send "
                                       "application/x-www-form-urlencoded, application/sparql-query "
                                       "or application/sparql-update")
        queries = params.get("query", []) + ([direct[1]] if direct and direct[0] == "query" else [])
        updates = params.get("update", []) + ([direct[1]] if direct and direct[0] == "update" else [])
        if len(queries) + len(updates) > 1:
            return self._text(400, "give exactly one query or one update per request")
        if updates:
            return await self._update(request, updates[0])
        if not queries:
            return self._service_description(request)
        query = queries[0]
        if is_update_text(query):
            if not self.config.allow_update:
                return self._text(403, "this endpoint is read-only: SPARQL updates are refused")
            return self._text(400, "this is a SPARQL update; send it in the 'update' parameter or as "
                                   "application/sparql-update")
        fmt = (params.get("format") or params.get("output") or [None])[0]
        payload = (query, request.headers.get("accept"), fmt, self.config.max_rows,
                   params.get("default-graph-uri") or None, params.get("named-graph-uri") or None)
        try:
            answer: Answer = await self._call("query", payload)
        except QueryTimeout:
            return self._text(503, f"the query ran past the time limit of {self.config.timeout:g} s "
                                   "and was stopped")
        except PoolBusy:
            return self._text(503, f"every query worker stayed busy for {self.config.timeout:g} s; "
                                   "try again later")
        return self._answer(answer)

    def _answer(self, answer: Answer) -> Any:
        from starlette.responses import Response

        headers = {"Vary": "Accept", **answer.headers}
        if answer.truncated:
            headers[TRUNCATED_HEADER] = "true"
            headers[MAX_ROWS_HEADER] = str(self.config.max_rows)
        return Response(answer.body, status_code=answer.status, headers=headers, media_type=answer.media_type)

    async def _update(self, request: Any, update: str) -> Any:
        import anyio

        if not self.config.allow_update:
            return self._text(403, "this endpoint is read-only: SPARQL updates are refused "
                                   "(start 'scgraph serve --allow-update' to accept them)")
        if request.method != "POST":
            return self._text(405, "send SPARQL updates with POST", headers={"Allow": "POST"})
        try:
            answer = await anyio.to_thread.run_sync(self.pool.update, update, self.config.timeout)
        except PoolBusy:
            return self._text(503, "the query workers stayed busy; try the update again later")
        self._graphs = None
        return self._answer(answer)

    def _service_description(self, request: Any) -> Any:
        from starlette.responses import RedirectResponse, Response

        key = negotiate(request.headers.get("accept"),
                        {"turtle": "text/turtle", "jsonld": "application/ld+json",
                         "ntriples": "application/n-triples", "html": "text/html"})
        if key == "html":
            return RedirectResponse("/", status_code=303)
        key = key or "turtle"
        endpoint = str(request.url.replace(query=""))
        sd = "http://www.w3.org/ns/sparql-service-description#"
        formats = "http://www.w3.org/ns/formats/"
        lines = [
            f"@prefix sd: <{sd}> .", f"@prefix formats: <{formats}> .", "",
            f"<{endpoint}> a sd:Service ;",
            f"    sd:endpoint <{endpoint}> ;",
            "    sd:supportedLanguage sd:SPARQL11Query" + (", sd:SPARQL11Update" if self.config.allow_update else "") + " ;",
            "    sd:feature sd:UnionDefaultGraph, sd:BasicFederatedQuery ;",
            "    sd:resultFormat formats:SPARQL_Results_JSON, formats:SPARQL_Results_XML, "
            "formats:SPARQL_Results_CSV, formats:SPARQL_Results_TSV, formats:Turtle, "
            "formats:N-Triples, formats:JSON-LD ;",
            "    sd:defaultDataset [ a sd:Dataset ; sd:defaultGraph [ a sd:Graph ] ] .",
        ]
        data = ("\n".join(lines) + "\n").encode()
        if key != "turtle":
            media = {"jsonld": ox.RdfFormat.JSON_LD, "ntriples": ox.RdfFormat.N_TRIPLES}[key]
            data = ox.serialize(ox.parse(data, format=ox.RdfFormat.TURTLE), format=media) or b""
        return Response(data, media_type=_RESOURCE_FORMATS[key], headers={"Vary": "Accept"})

    # ------------------------------------------------------------------ the browser page

    async def index(self, request: Any) -> Any:
        from starlette.responses import FileResponse

        return FileResponse(WEB_DIR / "index.html", media_type="text/html")

    async def catalogue(self, request: Any) -> Any:
        from starlette.responses import JSONResponse

        from .catalogue import load_catalogue
        from .namespaces import PREFIXES

        try:
            cat = load_catalogue(self.config.queries_dir)
        except ScgraphError as e:
            return self._text(500, f"cannot read the query catalogue: {e}")
        return JSONResponse({
            "prefixes": {p: str(ns) for p, ns in PREFIXES.items()},
            "queries": [
                {"name": q.name, "title": q.title, "description": q.description,
                 "params": [{"name": p.name, "type": p.type, "optional": p.optional} for p in q.params],
                 "sparql": q.sparql}
                for q in cat.values()]})

    # ------------------------------------------------------------------ identifier pages

    async def resource(self, request: Any) -> Any:
        """Dereference ``https://w3id.org/scgraph/<path>``: HTML, Turtle, JSON-LD or N-Triples."""
        from .namespaces import BASE

        path = request.path_params["path"]
        fmt = request.query_params.get("format")
        if fmt:
            key = FORMAT_ALIASES.get(fmt.lower(), fmt.lower())
            key = "jsonld" if key == "json" else key
            if key not in _RESOURCE_FORMATS:
                return self._text(406, f"format {fmt!r} is not available; use one of {', '.join(_RESOURCE_FORMATS)}")
        else:
            key = negotiate(request.headers.get("accept"), _RESOURCE_FORMATS,
                            {"application/json": "jsonld", "text/plain": "ntriples"})
            if key is None:
                return self._text(406, "identifier pages come as " + ", ".join(_RESOURCE_FORMATS.values()))
        iri = BASE + path
        try:
            subject = _nt_iri(iri)
        except ValueError:
            return self._not_found(key, iri)
        hash_children = "/" not in path.strip("/")  # /ontology, /shapes: documents of hash terms
        out_query = (f"SELECT ?s ?p ?o ?g WHERE {{ {{ GRAPH ?g {{ {subject} ?p ?o }} BIND({subject} AS ?s) }}"
                     + (f" UNION {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?s), {_sparql_string(iri + '#')})) }}"
                        if hash_children else "")
                     + "} ORDER BY ?s ?p ?o ?g LIMIT 20000")
        in_query = f"SELECT ?s ?p ?g WHERE {{ GRAPH ?g {{ ?s ?p {subject} }} }} ORDER BY ?s ?p ?g LIMIT 2000"
        try:
            out_rows = await self._call("select", out_query)
            in_rows = await self._call("select", in_query)
        except (QueryTimeout, PoolBusy):
            return self._text(503, "the server is busy; try again later")
        if not out_rows and not in_rows:
            return self._not_found(key, iri)
        if key == "html":
            labels = await self._labels(out_rows, in_rows)
            page = resource_html(iri, out_rows, in_rows, labels)
            return self._resource_response(page.encode("utf-8"), "text/html; charset=utf-8")
        data = resource_rdf(iri, out_rows, in_rows, key)
        media = _RESOURCE_FORMATS[key] + ("; charset=utf-8" if key != "jsonld" else "")
        return self._resource_response(data, media)

    def _resource_response(self, data: bytes, media: str) -> Any:
        from starlette.responses import Response

        return Response(data, media_type=media, headers={"Vary": "Accept"})

    def _not_found(self, key: str, iri: str) -> Any:
        from starlette.responses import HTMLResponse

        if key == "html":
            return HTMLResponse(page_html("Not found", f"<h1>Not found</h1><p>The graph says nothing about "
                                          f"<code>{html.escape(iri)}</code>.</p>"), status_code=404)
        return self._text(404, f"the graph says nothing about <{iri}>")

    async def _labels(self, out_rows: list[list[Cell]], in_rows: list[list[Cell]]) -> dict[str, str]:
        iris = sorted({c[1] for row in out_rows + in_rows for c in row if c is not None and c[0] == "uri"})
        if not iris:
            return {}
        labels: dict[str, tuple[int, str]] = {}
        for start in range(0, len(iris), 400):
            chunk = [_nt_iri(i) for i in iris[start:start + 400] if _NT_IRI.match(i)]
            preds = " ".join(f"<{p}>" for p in _LABEL_PREDICATES)
            q = (f"SELECT ?x ?p ?l WHERE {{ VALUES ?x {{ {' '.join(chunk)} }} VALUES ?p {{ {preds} }} "
                 "?x ?p ?l FILTER(isLiteral(?l)) }")
            try:
                rows = await self._call("select", q)
            except (QueryTimeout, PoolBusy):
                return {}
            for x, p, lit in rows:
                if x is None or p is None or lit is None:
                    continue
                rank = _LABEL_PREDICATES.index(p[1]) * 2 + (0 if lit[2] in ("en", "") else 1)
                best = labels.get(x[1])
                if best is None or (rank, lit[1]) < best:
                    labels[x[1]] = (rank, lit[1])
        return {k: v[1] for k, v in labels.items()}


# =========================================================================== identifier pages

_XSD = "http://www.w3.org/2001/XMLSchema#"


def local_href(iri: str) -> str:
    """Where the endpoint serves ``iri``: a path under ``/`` for scgraph IRIs, else the IRI."""
    from .namespaces import BASE

    if iri.startswith(BASE):
        return "/" + percent_path(iri[len(BASE):])
    return iri if re.match(r"https?://", iri, re.IGNORECASE) else ""  # no javascript:, data:, ...


def _iri_html(iri: str, labels: dict[str, str]) -> str:
    from .namespaces import short
    from rdflib import URIRef

    name = short(URIRef(iri))
    label = labels.get(iri)
    text = f"{html.escape(label)} <small>{html.escape(name)}</small>" if label else html.escape(name)
    href = local_href(iri)
    if not href:
        return f'<span class="iri">{text}</span>'
    return f'<a href="{html.escape(href, quote=True)}">{text}</a>'


def _cell_html(cell: Cell, labels: dict[str, str]) -> str:
    if cell is None:
        return ""
    kind, value, lang, datatype = cell
    if kind == "uri":
        return _iri_html(value, labels)
    if kind == "bnode":
        return f"<code>_:{html.escape(value)}</code>"
    extra = ""
    if lang:
        extra = f' <small class="lang">@{html.escape(lang)}</small>'
    elif datatype and datatype != _XSD + "string":
        dt = "xsd:" + datatype[len(_XSD):] if datatype.startswith(_XSD) else datatype
        extra = f' <small class="dt">{html.escape(dt)}</small>'
    return f'<span class="literal">{html.escape(value)}</span>{extra}'


def page_html(title: str, body: str) -> str:
    """A page of the endpoint with its header and style sheet."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)} · scgraph</title>\n"
            "<link rel=\"stylesheet\" href=\"/static/style.css\">\n</head>\n<body class=\"page\">\n"
            "<header class=\"top\"><a class=\"brand\" href=\"/\">scgraph</a>"
            "<nav><a href=\"/\">Questions</a><a href=\"/ontology\">Ontology</a>"
            "<a href=\"/sparql\">SPARQL endpoint</a></nav></header>\n"
            f"<main>\n{body}\n</main>\n</body>\n</html>\n")


def resource_html(iri: str, out_rows: list[list[Cell]], in_rows: list[list[Cell]],
                  labels: dict[str, str]) -> str:
    """The HTML page of a thing: its statements (with their graphs), incoming links, sources."""
    from .namespaces import short
    from rdflib import URIRef

    title = labels.get(iri) or short(URIRef(iri))
    parts = [f"<h1>{html.escape(title)}</h1>",
             f'<p class="iri"><code>{html.escape(iri)}</code> · '
             f'<a href="?format=turtle">Turtle</a> · <a href="?format=jsonld">JSON-LD</a> · '
             f'<a href="?format=ntriples">N-Triples</a></p>']
    by_subject: dict[str, list[list[Cell]]] = {}
    for row in out_rows:
        s = row[0]
        if s is not None:
            by_subject.setdefault(s[1], []).append(row)
    subjects = ([iri] if iri in by_subject else []) + sorted(s for s in by_subject if s != iri)
    for s in subjects:
        rows = by_subject[s]
        if s != iri:
            fragment = s.split("#", 1)[1] if "#" in s else s
            parts.append(f'<h2 id="{html.escape(fragment, quote=True)}">{_iri_html(s, labels)}</h2>')
        else:
            parts.append("<h2>Statements</h2>")
        parts.append('<table class="statements"><thead><tr><th>property</th><th>value</th>'
                     "<th>named graph</th></tr></thead><tbody>")
        for _s, p, o, g in rows:
            parts.append(f"<tr><td>{_cell_html(p, labels)}</td><td>{_cell_html(o, labels)}</td>"
                         f"<td>{_cell_html(g, labels)}</td></tr>")
        parts.append("</tbody></table>")
    if in_rows:
        parts.append(f"<h2>Incoming links ({len(in_rows)})</h2>")
        parts.append('<table class="statements"><thead><tr><th>subject</th><th>property</th>'
                     "<th>named graph</th></tr></thead><tbody>")
        for s_cell, p, g in in_rows:
            parts.append(f"<tr><td>{_cell_html(s_cell, labels)}</td><td>{_cell_html(p, labels)}</td>"
                         f"<td>{_cell_html(g, labels)}</td></tr>")
        parts.append("</tbody></table>")
    graphs = sorted({row[3][1] for row in out_rows if row[3] is not None and row[0] is not None
                     and row[0][1] == iri})
    documents = sorted({row[2][1] for row in out_rows if row[1] is not None and row[1][1] == _STATED_IN
                        and row[2] is not None and row[2][0] == "uri"})
    if graphs or documents:
        parts.append("<h2>Sources</h2><ul class=\"sources\">")
        parts += [f"<li>stated in {_iri_html(d, labels)}</li>" for d in documents]
        parts += [f"<li>named graph {_iri_html(g, labels)}</li>" for g in graphs]
        parts.append("</ul>")
    return page_html(title, "\n".join(parts))


def _rdflib_term(cell: Cell) -> Any:
    from rdflib import BNode, Literal, URIRef

    assert cell is not None
    kind, value, lang, datatype = cell
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if lang:
        return Literal(value, lang=lang)
    if datatype and datatype != _XSD + "string":
        return Literal(value, datatype=URIRef(datatype))
    return Literal(value)


def resource_rdf(iri: str, out_rows: list[list[Cell]], in_rows: list[list[Cell]], key: str) -> bytes:
    """The statements about a thing and the links to it, as Turtle, JSON-LD or N-Triples."""
    from rdflib import Graph, URIRef

    from .namespaces import bind_prefixes
    from .publish import graph_jsonld, ntriples, turtle

    g = bind_prefixes(Graph())
    for s, p, o, _g in out_rows:
        g.add((_rdflib_term(s), _rdflib_term(p), _rdflib_term(o)))
    for s, p, _g in in_rows:
        g.add((_rdflib_term(s), _rdflib_term(p), URIRef(iri)))
    if key == "turtle":
        return turtle(g)
    if key == "jsonld":
        return graph_jsonld(g)
    return ntriples(g)
