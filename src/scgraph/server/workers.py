"""The query workers: one process per worker, each with its own Oxigraph store.

A slow query never blocks the others, and a runaway one is stopped by ending its process (a
fresh worker takes its place). :func:`run_query` runs in the worker and returns the answer's
bytes, already serialised and capped.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .answers import Answer, _error, write_answer
from ..errors import ServerError
from .update import DatasetConflict, apply_update
from ..terms import Cell, to_cell



# =========================================================================== worker processes


def _query_message(exc: BaseException) -> str:
    return "bad SPARQL query: " + " ".join(str(exc).split())[:400]


def run_query(store: ox.Store, sparql: str, accept: str | None, fmt: str | None, max_rows: int,
              prefixes: dict[str, str], default_graphs: list[str] | None = None,
              named_graphs: list[str] | None = None, max_bytes: int | None = None,
              base_iri: str | None = None) -> Answer:
    """Evaluate ``sparql`` on ``store`` and write the answer in the negotiated format.

    The default graph is the union of the named graphs, unless ``default_graphs``
    (the protocol's ``default-graph-uri``) names the graphs to merge instead. The answer holds
    at most ``max_rows`` rows (or triples) and, cut at a row, at most ``max_bytes`` bytes: a cut
    answer is a whole document of the first rows, flagged by the truncation headers. Relative
    IRIs resolve against ``base_iri`` (the endpoint's URL).
    """
    options: dict[str, Any] = {"use_default_graph_as_union": not default_graphs, "base_iri": base_iri}
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
    if isinstance(res, ox.QueryBoolean):
        return write_answer("ask", res, [], accept, fmt, max_rows, prefixes, max_bytes)
    if isinstance(res, ox.QueryTriples):
        return write_answer("graph", res, [], accept, fmt, max_rows, prefixes, max_bytes)
    variables = [v.value for v in res.variables]
    n = len(variables)
    return write_answer("select", ([sol[i] for i in range(n)] for sol in res), variables, accept,
                        fmt, max_rows, prefixes, max_bytes)


def run_select(store: ox.Store, sparql: str) -> list[list[Cell]]:
    """Rows of a SELECT as plain tuples (picklable), for the identifier pages."""
    res = store.query(sparql, use_default_graph_as_union=True)
    n = len(res.variables)
    return [[to_cell(sol[i]) for i in range(n)] for sol in res]


@dataclass(frozen=True)
class Source:
    """Where a worker gets its data: an N-Quads/TriG file, an Oxigraph folder, or a SPARQL
    endpoint holding a scgraph build (``endpoint``: the URL of a ``sparql:`` store spec)."""

    dataset: Path | None = None
    store_path: Path | None = None
    writable: bool = False
    extra: tuple[Path, ...] = ()  # more files loaded after the dataset (the analysis graph)
    #: the folder that ``store_path`` named when the server started (its link resolved once),
    #: which every worker opens, replacements too: one generation for the server's lifetime
    generation: Path | None = None
    endpoint: str | None = None


def open_source(source: Source) -> Any:
    """A store with the data of ``source``: an Oxigraph store, or for an endpoint a
    :class:`.remote.RemoteStore` (read-only, every query sent to the endpoint)."""
    if source.endpoint is not None:
        from .remote import open_remote

        return open_remote(source.endpoint)
    if source.store_path is not None:
        path = str(source.generation or source.store_path)
        return ox.Store(path) if source.writable else ox.Store.read_only(path)
    store = ox.Store()
    if source.dataset is not None:
        fmt = ox.RdfFormat.from_extension(source.dataset.suffix.lstrip(".")) or ox.RdfFormat.N_QUADS
        store.bulk_load(path=str(source.dataset), format=fmt)
    for path in source.extra:
        fmt = ox.RdfFormat.from_extension(path.suffix.lstrip(".")) or ox.RdfFormat.N_QUADS
        store.bulk_load(path=str(path), format=fmt)
    return store


def worker_main(conn: Connection, source: Source, updates: list[str | tuple], prefixes: dict[str, str]) -> None:
    """A worker process: open the data, replay the updates, then answer requests until EOF."""
    if source.endpoint is not None:
        remote_main(conn, source, prefixes)
        return
    try:
        store = open_source(source)
        for u in updates:
            apply_update(store, u)
    except BaseException as e:  # noqa: BLE001 - reported to the parent, which fails to start
        conn.send(("failed", f"{type(e).__name__}: {e}"))
        return
    conn.send(("ready", len(store)))

    def handle(kind: str, payload: Any) -> Any:
        if kind == "query":
            sparql, accept, fmt, max_rows, dgs, ngs, max_bytes, base = _query_args(payload)
            return run_query(store, sparql, accept, fmt, max_rows, prefixes, dgs, ngs, max_bytes, base)
        if kind == "select":
            return run_select(store, payload)
        if kind == "update":
            try:
                apply_update(store, payload)
                return Answer(204, "text/plain", b"")
            except (SyntaxError, DatasetConflict) as e:
                return _error(400, "bad SPARQL update: " + " ".join(str(e).split()))
        return _error(500, f"unknown request {kind!r}")

    _answer_requests(conn, handle)


def remote_main(conn: Connection, source: Source, prefixes: dict[str, str]) -> None:
    """A worker in front of a SPARQL endpoint: queries and the pages' SELECTs go to the
    endpoint; updates are refused (the server in front of an endpoint is read-only)."""
    from ..errors import ScgraphError
    from .remote import remote_select, run_remote_query

    store = open_source(source)  # no request yet: the server checked the endpoint at start
    conn.send(("ready", 0))

    def handle(kind: str, payload: Any) -> Any:
        if kind == "query":
            sparql, accept, fmt, max_rows, dgs, ngs, max_bytes, base = _query_args(payload)
            return run_remote_query(store, sparql, accept, fmt, max_rows, prefixes, dgs, ngs, max_bytes, base)
        if kind == "select":
            try:
                return remote_select(store, payload)
            except ScgraphError as e:
                return RemoteFailure(" ".join(str(e).split()))
        if kind == "update":
            return _error(403, "this endpoint is read-only: SPARQL updates are refused")
        return _error(500, f"unknown request {kind!r}")

    _answer_requests(conn, handle)


def _query_args(payload: tuple) -> tuple:  # type: ignore[type-arg]
    """The parts of a "query" request: the query, the accepted media types, the format, the row
    cap, the dataset's default and named graphs, the byte cap and the base IRI (``None`` where
    the request leaves the last two out)."""
    sparql, accept, fmt, max_rows, dgs, ngs, *rest = payload
    return (sparql, accept, fmt, max_rows, dgs, ngs,
            rest[0] if rest else None, rest[1] if len(rest) > 1 else None)


def _answer_requests(conn: Connection, handle: Any) -> None:
    """Answer the server's requests with ``handle(kind, payload)`` until the connection ends; a
    request that fails is answered with a 500, never left without an answer."""
    while True:
        try:
            kind, payload = conn.recv()
        except (EOFError, OSError):
            return
        try:
            conn.send(handle(kind, payload))
        except Exception as e:  # noqa: BLE001 - the worker must answer something
            conn.send(_error(500, f"query failed: {e}"))


@dataclass
class RemoteFailure:
    """What a worker sends back for a page's SELECT when the SPARQL endpoint failed."""

    message: str


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

    def __init__(self, source: Source, updates: list[str | tuple], prefixes: dict[str, str],
                 lane: str = "main") -> None:
        self.lane = lane
        parent, child = socket.socketpair()
        code = "import sys; from scgraph.server.workers import worker_entry; worker_entry(int(sys.argv[1]))"
        self.process = subprocess.Popen([sys.executable, "-c", code, str(child.fileno())],
                                        pass_fds=[child.fileno()], stdin=subprocess.DEVNULL)
        child.close()
        self.conn = Connection(parent.detach())
        self.conn.send((source, list(updates), prefixes))

    def wait_ready(self, timeout: float) -> None:
        try:
            started = self.conn.poll(timeout)
        except OSError:
            started = True  # closed: recv below reports it
        if not started:
            self.kill()
            raise ServerError(f"a query worker did not start within {timeout:.0f} s")
        try:
            status, info = self.conn.recv()
        except (EOFError, OSError):  # ended while starting (the pool was closed meanwhile)
            self.kill()
            raise ServerError("a query worker ended while loading the data") from None
        if status != "ready":
            self.kill()
            raise ServerError(f"cannot load the data: {info}")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)
        self.conn.close()


class _Free:
    """The idle workers of one lane (``qsize`` as a queue has it)."""

    def __init__(self) -> None:
        self.items: list[_Worker] = []

    def qsize(self) -> int:
        return len(self.items)


class WorkerPool:
    """Worker processes, each with its own store; each request goes to one idle worker.

    ``size`` workers take any request. ``light`` more workers form a light lane: a request
    that finds every main worker busy runs there, and if it is still running after
    ``light_timeout`` seconds that worker is ended (and replaced) and the request waits for a
    main worker with the time it has left. So a quick query is answered at once while heavy
    ones hold every main worker, and a heavy query never holds the light lane for long.

    A request that runs past its time ends its worker; a fresh one is started in the
    background (replaying any updates), so the next requests find a full pool again.
    """

    def __init__(self, source: Source, size: int = 2, prefixes: dict[str, str] | None = None,
                 start_timeout: float = 300.0, light: int = 0, light_timeout: float = 1.0) -> None:
        self.source = source
        self.size = size
        self.light = light
        self.light_timeout = light_timeout
        self.prefixes = prefixes or {}
        self.updates: list[str | tuple] = []
        self._free = {"main": _Free(), "light": _Free()}
        self._idle = self._free["main"]
        self._cond = threading.Condition()
        self._lock = threading.Lock()
        self._update_lock = threading.Lock()
        self._closed = False
        self.replaced = 0
        self.light_answers = 0  # requests answered on the light lane
        self.light_evictions = 0  # requests too heavy for it, moved to the main lane
        self.start_timeout = start_timeout
        workers = ([_Worker(source, [], self.prefixes, "main") for _ in range(size)]
                   + [_Worker(source, [], self.prefixes, "light") for _ in range(light)])
        try:
            for w in workers:
                w.wait_ready(start_timeout)
        except ServerError:
            for w in workers:
                w.kill()
            raise
        self._workers = set(workers)
        for w in workers:
            self._put(w)

    def _put(self, w: _Worker) -> None:
        with self._cond:
            self._free[w.lane].items.append(w)
            self._cond.notify_all()

    def _take(self, lanes: tuple[str, ...], deadline: float) -> _Worker:
        """An idle worker of the first of ``lanes`` that has one, waiting until ``deadline``."""
        with self._cond:
            while True:
                for lane in lanes:
                    if self._free[lane].items:
                        return self._free[lane].items.pop()
                left = deadline - time.monotonic()
                if left <= 0:
                    raise PoolBusy()
                self._cond.wait(left)

    def _replace(self, dead: _Worker) -> None:
        dead.kill()
        with self._lock:
            self._workers.discard(dead)
            self.replaced += 1
            if self._closed:
                return
            w = _Worker(self.source, self.updates, self.prefixes, dead.lane)
            self._workers.add(w)

        def ready() -> None:
            try:
                w.wait_ready(self.start_timeout)
            except ServerError:
                with self._lock:
                    self._workers.discard(w)
                return
            self._put(w)

        threading.Thread(target=ready, daemon=True, name="scgraph-worker-start").start()

    def _ask(self, w: _Worker, kind: str, payload: Any, deadline: float) -> Any:
        try:
            w.conn.send((kind, payload))
            if w.conn.poll(max(0.0, deadline - time.monotonic())):
                answer = w.conn.recv()
                self._put(w)
                return answer
        except (EOFError, OSError, BrokenPipeError):
            self._replace(w)
            raise QueryTimeout() from None
        self._replace(w)
        raise QueryTimeout()

    def request(self, kind: str, payload: Any, timeout: float) -> Any:
        """Send one request to an idle worker and wait for its answer (blocking)."""
        deadline = time.monotonic() + timeout
        lanes: tuple[str, ...] = ("main", "light") if self.light else ("main",)
        w = self._take(lanes, deadline)
        if w.lane == "light":
            light_deadline = min(deadline, time.monotonic() + self.light_timeout)
            try:
                answer = self._ask(w, kind, payload, light_deadline)
                self.light_answers += 1
                return answer
            except QueryTimeout:
                if time.monotonic() >= deadline:
                    raise
                self.light_evictions += 1
            w = self._take(("main",), deadline)  # too heavy for the light lane
        return self._ask(w, kind, payload, deadline)

    def update(self, sparql: str | tuple, timeout: float) -> Answer:
        """Apply an update to every worker's store (one update at a time): the text, or the
        payload of :func:`.update.apply_update`."""
        taken: list[_Worker] = []
        deadline = time.monotonic() + timeout
        self._update_lock.acquire()
        try:
            for _ in range(self.size + self.light):
                taken.append(self._take(("main", "light"), deadline))
        except PoolBusy:
            for w in taken:
                self._put(w)
            self._update_lock.release()
            raise
        answers = []
        for w in taken:
            try:
                w.conn.send(("update", sparql))
                if not w.conn.poll(timeout):
                    raise QueryTimeout()
                answers.append(w.conn.recv())
                self._put(w)
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
