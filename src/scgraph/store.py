"""Where the graph lives: one small interface over an in-memory rdflib Dataset and Oxigraph.

Every later stage reads the graph through :class:`Store`: ``query`` sees the union of all
named graphs as its default graph, and ``GRAPH ?g`` reaches each named graph. Parameters are
passed as RDF terms (``bindings``), never pasted into the query text.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import socket
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import pyoxigraph as ox
from rdflib import Dataset, Graph, Literal, URIRef, Variable
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.term import Node

from . import files, parse
from .layout import StoreSpec, check_store, lost_store
from .errors import QueryError, StoreError
from .namespaces import bind_prefixes
from .terms import QuadLike, from_json, from_ox, graph_id, ox_quad, rdflib_quad, to_ox


@dataclass
class QueryResult:
    """The answer to a query: ``vars``/``rows`` for SELECT, ``boolean`` for ASK,
    ``graph`` for CONSTRUCT and DESCRIBE."""

    vars: list[str] = field(default_factory=list)
    rows: list[tuple[Node | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    graph: Graph | None = None

    @property
    def kind(self) -> str:
        """``"select"``, ``"ask"`` or ``"graph"``."""
        if self.boolean is not None:
            return "ask"
        return "graph" if self.graph is not None else "select"


@runtime_checkable
class Store(Protocol):
    """The interface every stage uses to read the graph."""

    def query(self, sparql: str, bindings: dict[str, Node] | None = None) -> QueryResult: ...

    def load_dataset(self, ds: Dataset) -> None: ...

    def load_quads(self, quads: Iterable[QuadLike]) -> int: ...

    def bulk_load(self, path: Path | str) -> int: ...

    def update(self, sparql: str) -> None: ...

    def named_graphs(self) -> list[URIRef]: ...

    def __len__(self) -> int: ...

    def is_empty(self) -> bool:
        """Whether the store holds no quad (without counting them)."""
        ...

    def close(self) -> None: ...


_OX_POSITION = re.compile(r"^error at (\d+):(\d+)(?:-\d+:\d+)?:\s*")
_PYPARSING_POSITION = re.compile(r",?\s*\(at char \d+\),?\s*\(line:(\d+), col:(\d+)\)")


def query_error(exc: BaseException, where: object | None = None) -> QueryError:
    """A one-line QueryError for a SPARQL syntax or evaluation error, with its line if known."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    line: int | None = None
    for pattern in (_OX_POSITION, _PYPARSING_POSITION):
        m = pattern.search(text)
        if m:
            line = int(m.group(1))
            text = (text[: m.start()] + text[m.end():]).strip()
            break
    if line is not None and where is None:
        text += f" (line {line})"
    return QueryError(f"bad SPARQL: {text[:300]}", path=where, line=line)


# --------------------------------------------------------------------------- rdflib, in memory


class MemoryStore:
    """An rdflib Dataset in memory; the default graph is the union of the named graphs."""

    def __init__(self) -> None:
        self.ds = Dataset(default_union=True)
        bind_prefixes(self.ds)

    def load_dataset(self, ds: Dataset) -> None:
        for s, p, o, g in ds.quads((None, None, None, None)):
            name = g.identifier if isinstance(g, Graph) else g
            if name is None or name == DATASET_DEFAULT_GRAPH_ID:
                continue
            self.ds.graph(name).add((s, p, o))

    def load_quads(self, quads: Iterable[QuadLike]) -> int:
        """Add quads (rdflib tuples or pyoxigraph Quads) to their named graphs; return the count."""
        n = 0
        graphs: dict[Node, Graph] = {}
        for q in quads:
            s, p, o, g = rdflib_quad(q)
            target = graphs.get(g)
            if target is None:
                target = graphs[g] = self.ds.graph(g)
            target.add((s, p, o))
            n += 1
        return n

    def bulk_load(self, path: Path | str) -> int:
        """Load an N-Quads or TriG file (any RDF file for its default graph); return quads read."""
        before = len(self)
        parse.parse_into(self.ds, path)
        return len(self) - before

    def update(self, sparql: str) -> None:
        try:
            self.ds.update(sparql)
        except Exception as e:
            raise query_error(e) from None

    def query(self, sparql: str, bindings: dict[str, Node] | None = None, *,
              graphs: Iterable[URIRef] | None = None) -> QueryResult:
        """Run ``sparql``; ``graphs`` (if given) replace the union of all named graphs as the
        default graph (the other stores take it too)."""
        init = {Variable(k): v for k, v in (bindings or {}).items()}
        try:
            target: Graph = self.ds
            if graphs is not None:
                target = bind_prefixes(Graph())
                for name in graphs:
                    for t in self.ds.graph(name):
                        target.add(t)
            res = target.query(sparql, initBindings=init)
            if res.type == "ASK":
                return QueryResult(boolean=bool(res.askAnswer))
            if res.type in ("CONSTRUCT", "DESCRIBE"):
                g = bind_prefixes(Graph())
                for t in res.graph or ():  # type: ignore[union-attr]
                    g.add(t)
                return QueryResult(graph=g)
            names = [str(v) for v in (res.vars or [])]
            rows = [tuple(row[i] for i in range(len(names))) for row in res]  # type: ignore[index]
        except QueryError:
            raise
        except Exception as e:  # rdflib raises pyparsing and evaluation errors alike
            raise query_error(e) from None
        return QueryResult(vars=names, rows=rows)

    def named_graphs(self) -> list[URIRef]:
        return sorted(
            c.identifier for c in self.ds.graphs()
            if isinstance(c.identifier, URIRef) and c.identifier != DATASET_DEFAULT_GRAPH_ID and len(c)
        )

    def __len__(self) -> int:
        return sum(1 for _ in self.ds.quads((None, None, None, None)))

    def is_empty(self) -> bool:
        return next(iter(self.ds.quads((None, None, None, None))), None) is None

    def close(self) -> None:
        self.ds = Dataset(default_union=True)


# --------------------------------------------------------------------------- Oxigraph


def values_clause(bindings: dict[str, Node]) -> str:
    """A SPARQL ``VALUES`` clause binding each variable to its term (in N-Triples syntax)."""
    names = sorted(bindings)
    for n in names:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n):
            raise QueryError(f"bad parameter name {n!r}")
    terms = " ".join(_bindable(n, bindings[n]) for n in names)
    return f"VALUES ({' '.join('?' + n for n in names)}) {{ ({terms}) }}"


_LANG_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")


def _bindable(name: str, term: Node) -> str:
    """``term`` in SPARQL syntax, or a QueryError if it cannot be written as one term."""
    iri = term if isinstance(term, URIRef) else getattr(term, "datatype", None)
    if isinstance(term, URIRef) or (isinstance(term, Literal) and iri is not None):
        if not _IRIREF.fullmatch(f"<{iri}>"):
            raise QueryError(f"parameter {name!r}: {str(iri)[:60]!r} is not a valid IRI")
    if isinstance(term, Literal) and term.language and not _LANG_TAG.fullmatch(term.language):
        raise QueryError(f"parameter {name!r}: {term.language[:30]!r} is not a language tag")
    if not isinstance(term, (URIRef, Literal)):
        raise QueryError(f"parameter {name!r}: only IRIs and literals can be bound")
    return term.n3()


_IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
_STRING = re.compile(
    r"'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|"(?:[^"\\\n]|\\.)*"'
)
_CONSTRUCT_TEMPLATE = re.compile(r"\bCONSTRUCT\s*$", re.IGNORECASE)


def _top_level_braces(sparql: str) -> list[int]:
    """Offsets of the ``{`` that open top-level groups (outside comments, strings, IRIs)."""
    out: list[int] = []
    depth, i = 0, 0
    while i < len(sparql):
        c = sparql[i]
        if c == "#":
            nl = sparql.find("\n", i)
            i = len(sparql) if nl < 0 else nl
            continue
        m = _STRING.match(sparql, i) if c in "'\"" else _IRIREF.match(sparql, i) if c == "<" else None
        if m:
            i = m.end()
            continue
        if c == "{":
            if depth == 0:
                out.append(i)
            depth += 1
        elif c == "}":
            depth -= 1
        i += 1
    return out


def bind_values(sparql: str, bindings: dict[str, Node]) -> str:
    """``sparql`` with a ``VALUES`` block for ``bindings`` opening its WHERE group.

    For stores that cannot pre-bind variables (Oxigraph, remote endpoints). The values are
    rdflib terms serialised in N-Triples syntax, so no caller text reaches the query; the
    filters, aggregates and projection of the WHERE group all see them.
    """
    if not bindings:
        return sparql
    braces = _top_level_braces(sparql)
    where = 0
    if braces and _CONSTRUCT_TEMPLATE.search(_strip_comments(sparql[: braces[0]])):
        where = 1  # CONSTRUCT { template } WHERE { ... }
    if len(braces) <= where:
        raise QueryError("cannot bind parameters: the query has no WHERE group")
    at = braces[where] + 1
    return f"{sparql[:at]} {values_clause(bindings)} {sparql[at:]}"


def _strip_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] if not _IRIREF.search(line) else line
                     for line in text.splitlines()).rstrip()


class OxigraphStore:
    """An embedded Oxigraph store, in memory (``path=None``) or on disk at ``path``."""

    def __init__(self, path: Path | str | None = None, *, read_only: bool = False) -> None:
        # Read-only on disk: the generation the link names now is opened and held (its
        # readers' lock, shared) until close(), so that no writer prunes it meanwhile.
        self._hold: files.GenerationHold | None = None
        try:
            if path is None:
                self.store = ox.Store()
            elif read_only:
                if not Path(path).is_dir():
                    raise StoreError("no Oxigraph store here; build one with "
                                     f"'scgraph build --store oxigraph:{path}'", path=path)
                self._hold = files.hold_generation(path)
                self.store = ox.Store.read_only(str(self._hold.folder))
            else:
                self.store = ox.Store(str(path))
        except OSError as e:
            if self._hold is not None:
                self._hold.release()
            raise StoreError(f"cannot open the Oxigraph store: {' '.join(str(e).split())[:200]}",
                             path=path) from None
        self.path = path
        self.read_only = read_only

    def load_dataset(self, ds: Dataset) -> None:
        quads = (q for q in ds.quads((None, None, None, None))
                 if q[3] is not None and graph_id(q[3]) != DATASET_DEFAULT_GRAPH_ID)
        self.load_quads(quads)

    def load_quads(self, quads: Iterable[QuadLike]) -> int:
        """Add quads with Oxigraph's bulk loader (not one transaction); return the count."""
        counter = _Counter(ox_quad(q) for q in quads)
        try:
            self.store.bulk_extend(counter)
        except (SyntaxError, OSError, ValueError) as e:
            raise StoreError(f"cannot load the quads into Oxigraph: {e}", path=self.path) from None
        return counter.n

    def bulk_load(self, path: Path | str) -> int:
        """Load an RDF file (N-Quads, TriG, Turtle, ...) with Oxigraph's bulk loader."""
        path = Path(path)
        fmt = _OX_FORMATS.get(parse.guess_format(path))
        if fmt is None:
            raise StoreError(f"Oxigraph cannot bulk-load this format ({path.suffix})", path=path)
        if not path.is_file():
            raise StoreError("no such file", path=path)
        before = len(self.store)
        try:
            self.store.bulk_load(path=str(path), format=fmt)
        except SyntaxError as e:
            raise _syntax_error(e, path) from None
        except (OSError, ValueError) as e:
            raise StoreError(f"cannot bulk-load the file: {e}", path=path) from None
        return len(self.store) - before

    def update(self, sparql: str) -> None:
        try:
            self.store.update(sparql)
        except (SyntaxError, RuntimeError) as e:
            raise query_error(e) from None
        except OSError as e:
            raise StoreError(f"cannot write the Oxigraph store: {e}", path=self.path) from None

    def _run(self, sparql: str, bindings: dict[str, Node],
             graphs: Iterable[URIRef] | None = None) -> object:
        # Not pyoxigraph's ``substitutions``: they bind only variables of the SELECT
        # projection (SEP-0007) and are ignored silently in some CONSTRUCT queries.
        if graphs is not None:
            return self.store.query(bind_values(sparql, bindings),
                                    default_graph=[ox.NamedNode(str(g)) for g in graphs])
        return self.store.query(bind_values(sparql, bindings), use_default_graph_as_union=True)

    def query(self, sparql: str, bindings: dict[str, Node] | None = None, *,
              graphs: Iterable[URIRef] | None = None) -> QueryResult:
        try:
            res = self._run(sparql, bindings or {}, graphs)
            if isinstance(res, ox.QueryBoolean):
                return QueryResult(boolean=bool(res))
            if isinstance(res, ox.QueryTriples):
                g = bind_prefixes(Graph())
                for t in res:
                    g.add((from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)))  # type: ignore[arg-type]
                return QueryResult(graph=g)
            names = [v.value for v in res.variables]
            rows = [tuple(from_ox(sol[v]) for v in res.variables) for sol in res]
        except (SyntaxError, RuntimeError) as e:
            raise query_error(e) from None
        except OSError as e:
            raise StoreError(f"cannot read the Oxigraph store: {e}", path=self.path) from None
        return QueryResult(vars=names, rows=rows)

    def named_graphs(self) -> list[URIRef]:
        return sorted(URIRef(g.value) for g in self.store.named_graphs() if isinstance(g, ox.NamedNode))

    def __len__(self) -> int:
        return len(self.store)

    def is_empty(self) -> bool:
        return next(iter(self.store.quads_for_pattern(None, None, None, None)), None) is None

    def close(self) -> None:
        if self.path is not None and not self.read_only:
            self.store.flush()
        self.store = ox.Store()
        if self._hold is not None:  # after the store is let go
            self._hold.release()


# --------------------------------------------------------------------------- quads


_OX_FORMATS = {
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "nt": ox.RdfFormat.N_TRIPLES,
    "turtle": ox.RdfFormat.TURTLE,
    "xml": ox.RdfFormat.RDF_XML,
}


_OX_PARSE_ERROR = re.compile(r"^Parser error at line (\d+) column \d+: (.*?)(?: \([^()]*, line \d+\))?$")


def _syntax_error(exc: BaseException, path: Path) -> StoreError:
    """A one-line StoreError naming the file and line of an Oxigraph parser error."""
    text = " ".join(str(exc).split())
    m = _OX_PARSE_ERROR.match(text)
    if m:
        return StoreError(f"bad syntax: {m.group(2)[:300]}", path=path, line=int(m.group(1)))
    return StoreError(f"bad syntax: {text[:300]}", path=path)


class _Counter:
    """Counts the items of an iterator as they pass."""

    def __init__(self, items: Iterable[ox.Quad]) -> None:
        self._it = iter(items)
        self.n = 0

    def __iter__(self) -> Iterator[ox.Quad]:
        return self

    def __next__(self) -> ox.Quad:
        item = next(self._it)
        self.n += 1
        return item


# --------------------------------------------------------------------------- remote SPARQL 1.1


_RESULTS_JSON = "application/sparql-results+json"
_NTRIPLES = "application/n-triples"
_ACCEPT_QUERY = f"{_RESULTS_JSON}, {_NTRIPLES};q=0.9, text/turtle;q=0.5"
_RETRY_STATUS = frozenset({429, 502, 503, 504})


def _endpoints(url: str) -> tuple[str, str, str]:
    """The query, update and Graph Store URLs for a spec URL.

    ``http://host/ds/query`` (or ``.../sparql``) gives the siblings ``.../update`` and
    ``.../store``; any other URL is a base with ``/query``, ``/update`` and ``/store`` below it
    (Oxigraph server's layout). ``;update=URL`` and ``;store=URL`` override either.
    """
    parts = url.split(";")
    base, overrides = parts[0], {}
    for extra in parts[1:]:
        key, sep, value = extra.partition("=")
        if not sep or key not in ("update", "store"):
            raise StoreError(f"bad remote store option {extra!r}; use ;update=URL or ;store=URL")
        overrides[key] = value
    parsed = urllib.parse.urlparse(base)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise StoreError(f"bad SPARQL endpoint URL {base!r}; use http://HOST:PORT/...")
    stem, _, last = base.rstrip("/").rpartition("/")
    if last in ("query", "sparql") and stem.count("/") >= 2:
        query, root = base, stem
    else:
        root = base.rstrip("/")
        query = root + "/query"
    return query, overrides.get("update", root + "/update"), overrides.get("store", root + "/store")


#: The most bytes one answer of a remote endpoint may have (``SCGRAPH_SPARQL_MAX_BYTES``).
SPARQL_MAX_BYTES = 1 << 30
#: The most seconds one request to a remote endpoint may take in all, connection, headers and
#: body together (``SCGRAPH_SPARQL_DEADLINE``): the per-read timeout alone never ends an
#: endpoint that trickles a byte a second.
SPARQL_DEADLINE = 600.0


def _env_positive(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < float("inf"):
        raise StoreError(f"{name} must be a positive number, got {text!r}")
    return value


class _Watch:
    """The socket of one request, shut down by a timer at the request's total deadline."""

    def __init__(self) -> None:
        self.sock: socket.socket | None = None
        self.expired = False

    def fire(self) -> None:
        self.expired = True
        sock = self.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes a read blocked on a trickling server


def _watched_opener(watch: _Watch) -> urllib.request.OpenerDirector:
    """A urllib opener whose connections tell ``watch`` their socket."""
    def watched(base: type[http.client.HTTPConnection]) -> type[http.client.HTTPConnection]:
        class Connection(base):  # type: ignore[valid-type,misc]
            def connect(self) -> None:
                super().connect()
                watch.sock = self.sock

        return Connection

    class HTTP(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(watched(http.client.HTTPConnection), req)

    class HTTPS(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(watched(http.client.HTTPSConnection), req,
                                context=getattr(self, "_context", None))

    return urllib.request.build_opener(HTTP(), HTTPS())


class _AnswerTooLarge(Exception):
    pass


def _read_capped(resp: object, limit: int) -> bytes:
    """The body of ``resp``, read as it comes (``read1``), refused past ``limit`` bytes."""
    length = getattr(resp, "headers", {}).get("Content-Length")
    if length and length.isdigit() and int(length) > limit:
        raise _AnswerTooLarge
    parts: list[bytes] = []
    total = 0
    while True:
        chunk = resp.read1(1 << 16)  # type: ignore[attr-defined]
        if not chunk:
            return b"".join(parts)
        total += len(chunk)
        if total > limit:
            raise _AnswerTooLarge
        parts.append(chunk)


class SparqlStore:
    """Any SPARQL 1.1 endpoint, through the Query, Update and Graph Store HTTP protocols.

    Queries see the union of the named graphs as their default graph (the protocol's
    ``default-graph-uri`` for each of them), and each one by ``GRAPH``, as with the other
    stores. Idempotent requests are retried a bounded number of times on a refused
    connection or a 429/5xx answer; every failure becomes a one-line StoreError.
    """

    def __init__(self, url: str, *, timeout: float = 60.0, retries: int = 2,
                 chunk: int = 200_000, deadline: float | None = None,
                 max_bytes: int | None = None) -> None:
        self.url = url
        self.query_url, self.update_url, self.store_url = _endpoints(url)
        self.timeout = timeout
        self.retries = retries
        self.chunk = chunk
        #: seconds one request may take in all; bytes one answer may have
        self.deadline = deadline if deadline is not None else max(
            _env_positive("SCGRAPH_SPARQL_DEADLINE", SPARQL_DEADLINE), timeout)
        self.max_bytes = max_bytes if max_bytes is not None else int(
            _env_positive("SCGRAPH_SPARQL_MAX_BYTES", SPARQL_MAX_BYTES))

    # ------------------------------------------------------------------ HTTP

    def _request(self, method: str, url: str, *, data: bytes | None = None,
                 headers: dict[str, str] | None = None, idempotent: bool = True,
                 ok_missing: bool = False) -> tuple[int, str, bytes]:
        attempts = 1 + (self.retries if idempotent else 0)
        last = ""
        for attempt in range(attempts):
            if attempt:
                time.sleep(min(0.25 * 2 ** (attempt - 1), 2.0))
            req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
            watch = _Watch()
            timer = threading.Timer(self.deadline, watch.fire)  # the total deadline
            timer.daemon = True
            timer.start()
            try:
                with _watched_opener(watch).open(req, timeout=self.timeout) as resp:
                    body = _read_capped(resp, self.max_bytes)
                    if watch.expired:  # the shut-down socket read as the end of the body
                        raise TimeoutError
                    return resp.status, resp.headers.get("Content-Type", ""), body
            except _AnswerTooLarge:
                raise StoreError(f"the answer of the SPARQL endpoint {url} is over "
                                 f"{self.max_bytes:,} bytes; set SCGRAPH_SPARQL_MAX_BYTES to "
                                 "raise the limit") from None
            except urllib.error.HTTPError as e:
                if watch.expired:
                    raise self._late(url) from None
                text = e.read().decode("utf-8", "replace")[:100_000]
                if e.code == 404 and ok_missing:
                    return 404, "", b""
                if e.code in _RETRY_STATUS:
                    last = f"HTTP {e.code} {e.reason}"
                    continue
                if e.code == 400:
                    raise query_error(RuntimeError(text or e.reason)) from None
                first = " ".join(text.split())[:200]
                raise StoreError(f"the SPARQL endpoint {url} answered HTTP {e.code} {e.reason}"
                                 + (f": {first}" if first else "")) from None
            except (TimeoutError, socket.timeout):
                if watch.expired:
                    raise self._late(url) from None
                last = f"no answer within {self.timeout:g} s"
            except urllib.error.URLError as e:
                if watch.expired:
                    raise self._late(url) from None
                reason = e.reason
                if isinstance(reason, (TimeoutError, socket.timeout)):
                    last = f"no answer within {self.timeout:g} s"
                else:
                    last = str(getattr(reason, "strerror", None) or reason)
            except (ConnectionError, OSError, http.client.HTTPException) as e:
                if watch.expired:
                    raise self._late(url) from None
                last = str(getattr(e, "strerror", None) or e) or type(e).__name__
            finally:
                timer.cancel()
        tries = f" (tried {attempts} times)" if attempts > 1 else ""
        raise StoreError(f"cannot reach the SPARQL endpoint {url}: {last}{tries}")

    def _late(self, url: str) -> StoreError:
        return StoreError(f"the SPARQL endpoint {url} did not answer in full within "
                          f"{self.deadline:g} s; set SCGRAPH_SPARQL_DEADLINE to raise the limit")

    def _graph_store_url(self, graph: Node) -> str:
        return f"{self.store_url}?{urllib.parse.urlencode({'graph': str(graph)})}"

    # ------------------------------------------------------------------ Store

    def query(self, sparql: str, bindings: dict[str, Node] | None = None, *,
              graphs: Iterable[URIRef] | None = None) -> QueryResult:
        text = bind_values(sparql, bindings or {})
        form: list[tuple[str, str]] = [("query", text)]
        named = self.named_graphs()
        default = named if graphs is None else list(graphs)
        form += [("default-graph-uri", str(g)) for g in default]
        form += [("named-graph-uri", str(g)) for g in named]
        _, ctype, body = self._request(
            "POST", self.query_url, data=urllib.parse.urlencode(form).encode("utf-8"),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": _ACCEPT_QUERY})
        return self._result(ctype, body)

    def _select(self, sparql: str) -> QueryResult:
        """A query on the endpoint's own dataset (no default-graph-uri)."""
        _, ctype, body = self._request(
            "POST", self.query_url, data=urllib.parse.urlencode({"query": sparql}).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": _RESULTS_JSON})
        return self._result(ctype, body)

    def _result(self, ctype: str, body: bytes) -> QueryResult:
        mime = ctype.split(";")[0].strip().lower()
        try:
            if mime in (_RESULTS_JSON, "application/json"):
                doc = json.loads(body.decode("utf-8"))
                if "boolean" in doc:
                    return QueryResult(boolean=bool(doc["boolean"]))
                names = list(doc["head"]["vars"])
                rows = [tuple(from_json(b[n]) if n in b else None for n in names)
                        for b in doc["results"]["bindings"]]
                return QueryResult(vars=names, rows=rows)
            if mime in (_NTRIPLES, "text/turtle", "text/plain"):
                g = bind_prefixes(Graph())
                g.parse(data=body.decode("utf-8"), format="nt" if mime != "text/turtle" else "turtle")
                return QueryResult(graph=g)
        except Exception as e:  # JSON, KeyError, rdflib parser errors: all mean garbage
            raise StoreError(f"the SPARQL endpoint {self.query_url} answered something that is "
                             f"not a SPARQL result ({type(e).__name__}: "
                             f"{' '.join(str(e).split())[:120]})") from None
        raise StoreError(f"the SPARQL endpoint {self.query_url} answered with an unexpected "
                         f"content type {ctype!r}")

    def update(self, sparql: str) -> None:
        self._request("POST", self.update_url, data=sparql.encode("utf-8"),
                      headers={"Content-Type": "application/sparql-update"}, idempotent=False)

    def named_graphs(self) -> list[URIRef]:
        res = self._select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return sorted(r[0] for r in res.rows if isinstance(r[0], URIRef))

    def __len__(self) -> int:
        res = self._select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        return int(res.rows[0][0]) if res.rows and res.rows[0][0] is not None else 0  # type: ignore[arg-type]

    def is_empty(self) -> bool:
        return not self.query("ASK { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }").boolean

    def close(self) -> None:
        """Nothing to release: every request opens and closes its own connection."""

    # ------------------------------------------------------------------ Graph Store protocol

    def get_graph(self, name: URIRef) -> Graph:
        """The triples of one named graph (empty if the endpoint does not have it)."""
        status, _, body = self._request("GET", self._graph_store_url(name),
                                        headers={"Accept": _NTRIPLES}, ok_missing=True)
        g = bind_prefixes(Graph())
        if status != 404 and body:
            try:
                g.parse(data=body.decode("utf-8"), format="nt")
            except Exception as e:
                raise StoreError(f"the Graph Store {self.store_url} answered something that is "
                                 f"not N-Triples: {' '.join(str(e).split())[:120]}") from None
        return g

    def put_graph(self, name: URIRef, triples: Iterable[tuple[Node, Node, Node]]) -> None:
        """Replace one named graph with ``triples`` (Graph Store PUT, idempotent)."""
        data = "".join(_nt_line(s, p, o) for s, p, o in triples).encode("utf-8")
        self._request("PUT", self._graph_store_url(name), data=data,
                      headers={"Content-Type": _NTRIPLES})

    def post_graph(self, name: URIRef, triples: Iterable[tuple[Node, Node, Node]]) -> int:
        """Add ``triples`` to one named graph (Graph Store POST, in chunks); return the count."""
        n = 0
        for lines in _chunks((_nt_line(s, p, o) for s, p, o in triples), self.chunk):
            self._request("POST", self._graph_store_url(name), data="".join(lines).encode("utf-8"),
                          headers={"Content-Type": _NTRIPLES}, idempotent=False)
            n += len(lines)
        return n

    def delete_graph(self, name: URIRef) -> None:
        """Remove one named graph (Graph Store DELETE; a missing graph is not an error)."""
        self._request("DELETE", self._graph_store_url(name), ok_missing=True)

    # ------------------------------------------------------------------ loading

    def load_dataset(self, ds: Dataset) -> None:
        for c in ds.graphs():
            name = c.identifier
            if isinstance(name, URIRef) and name != DATASET_DEFAULT_GRAPH_ID and len(c):
                self.post_graph(name, c)

    def load_quads(self, quads: Iterable[QuadLike]) -> int:
        """POST the quads to their named graphs, buffering up to ``chunk`` triples per graph."""
        buffers: dict[Node, list[str]] = {}
        n = 0
        for q in quads:
            s, p, o, g = rdflib_quad(q)
            if g is None or g == DATASET_DEFAULT_GRAPH_ID:
                raise StoreError("a remote store takes quads in named graphs only")
            buf = buffers.setdefault(g, [])
            buf.append(_nt_line(s, p, o))
            n += 1
            if len(buf) >= self.chunk:
                self._post_lines(g, buf)
                buf.clear()
        for g, buf in buffers.items():
            if buf:
                self._post_lines(g, buf)
        return n

    def _post_lines(self, graph: Node, lines: list[str]) -> None:
        self._request("POST", self._graph_store_url(graph), data="".join(lines).encode("utf-8"),
                      headers={"Content-Type": _NTRIPLES}, idempotent=False)

    def bulk_load(self, path: Path | str) -> int:
        """Stream an N-Quads or TriG file to the endpoint, one Graph Store POST per graph chunk."""
        path = Path(path)
        fmt = _OX_FORMATS.get(parse.guess_format(path))
        if fmt not in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
            raise StoreError("a remote store bulk-loads N-Quads or TriG files only", path=path)
        if not path.is_file():
            raise StoreError("no such file", path=path)
        try:
            return self.load_quads(ox.parse(path=str(path), format=fmt))
        except SyntaxError as e:
            raise _syntax_error(e, path) from None


def _nt_line(s: Node, p: Node, o: Node) -> str:
    """One N-Triples line (Oxigraph writes the terms: rdflib's n3() may use long strings)."""
    return f"{to_ox(s)} {to_ox(p)} {to_ox(o)} .\n"


def _chunks(items: Iterable[str], size: int) -> Iterator[list[str]]:
    buf: list[str] = []
    for item in items:
        buf.append(item)
        if len(buf) >= size:
            yield buf
            buf = []
    if buf:
        yield buf


# --------------------------------------------------------------------------- persistent stores

#: Generations of a persistent store live next to it as ``.NAME.gen-*`` folders; ``NAME`` is a
#: symbolic link to the current one, replaced atomically (:func:`scgraph.files.replace_folder`).


def store_generations(path: Path) -> list[Path]:
    """The generation folders of the persistent store ``path`` (current, previous, leftovers)."""
    return files.generations(path)


def copy_graphs(old: OxigraphStore, new: OxigraphStore, graphs: Iterable[URIRef]) -> None:
    """Copy the named ``graphs`` of ``old`` into ``new`` through N-Triples files (all in Rust)."""
    for g in graphs:
        fd, tmp = tempfile.mkstemp(suffix=".nt")
        os.close(fd)
        try:
            old.store.dump(tmp, format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(str(g)))
            new.store.bulk_load(path=tmp, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(str(g)))
        finally:
            os.unlink(tmp)


@contextlib.contextmanager
def replace_store(path: Path | str) -> Iterator[OxigraphStore]:
    """Build a new on-disk Oxigraph store and make it the one at ``path`` if the block succeeds.

    The new store is written to a fresh folder next to ``path``; on success ``path`` (a
    symbolic link) is pointed at it with one atomic rename, so a build that fails or is killed
    leaves the previous store at ``path`` whole and readable. The previous generation is kept
    (a reader may still have it open) and older ones, and leftovers of killed builds, removed.
    A real folder at ``path`` (not made by this function) is moved aside to a generation first.
    A link whose generation is gone is an error (:func:`scgraph.layout.check_store`): the
    caller would copy nothing from it and lose its graphs without a word. Hold the writers'
    lock of the folder around it (:func:`scgraph.files.exclusive`); readers are safe without.
    """
    path = Path(path)
    if lost_store(path):
        check_store(path)
    with files.replace_folder(path, stage="store-switch", keep_previous=True) as new_dir:
        store = OxigraphStore(new_dir)
        try:
            yield store
            store.store.flush()
        finally:
            store.close()


# --------------------------------------------------------------------------- specs



def open_store(spec: str | StoreSpec, *, timeout: float | None = None) -> Store:
    """Open a store from a spec (:class:`~scgraph.layout.StoreSpec`: ``memory``, ``oxigraph``,
    ``oxigraph:PATH`` or ``sparql:URL``; see :func:`_endpoints` for the URL forms)."""
    spec = StoreSpec.parse(spec)
    if spec.kind == "memory":
        return MemoryStore()
    if spec.kind == "oxigraph":
        return OxigraphStore(spec.path)
    return SparqlStore(spec.arg, timeout=timeout if timeout is not None else _env_positive("SCGRAPH_SPARQL_TIMEOUT", 60.0))


def open_query_store(spec: str | StoreSpec) -> Store:
    """Open a store for reading: an on-disk Oxigraph store read-only (so a server or another
    reader may hold it too), anything else as :func:`open_store` does. A store path that does
    not exist, or a link to a generation that is gone, is an error: a reader never answers
    from an empty store in place of the one it was asked for."""
    spec = StoreSpec.parse(spec)
    if spec.path is not None:
        check_store(spec.path)  # a link whose generation is gone, registry files but no store
        return OxigraphStore(spec.path, read_only=True)  # holds its generation until close()
    return open_store(spec)
