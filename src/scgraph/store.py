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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Protocol, TypeGuard, runtime_checkable

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef, Variable
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.term import Node

from . import files, parse
from .layout import StoreSpec, check_store, lost_store
from .errors import QueryError, StoreError
from .namespaces import GRAPH, SD, bind_prefixes
from .sparql_guard import first_keyword, scan
from .terms import QuadLike, from_json, from_ox, graph_id, ox_quad, rdflib_quad, to_ox, write_json_select


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
    return [start for start, _end in _top_level_groups(sparql, unclosed=True)]


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

    def write_select(self, sparql: str, bindings: dict[str, Node], stream: BinaryIO,
                     format: str = "csv") -> QueryResult | None:
        """Write the answer of a SELECT as SPARQL CSV, TSV or JSON (``format``) to ``stream``
        as the store gives the rows (bulk exports stream); return None. CSV and TSV are
        Oxigraph's own writers (no term is made in Python); JSON is
        :func:`scgraph.terms.write_json_select`, indented as ``scgraph query`` prints it (a
        template per row over Oxigraph's terms). An ASK or CONSTRUCT answer is returned as
        :meth:`query` returns it instead. ``stream`` is the caller's (standard output, through
        :class:`scgraph.results.StreamGuard` for CSV and TSV), not a file this writes."""
        try:
            res = self._run(sparql, bindings)
            if isinstance(res, ox.QuerySolutions):
                if format == "json":
                    write_json_select([v.value for v in res.variables], res, stream, indent=2)
                else:
                    res.serialize(stream, format={"csv": ox.QueryResultsFormat.CSV,
                                                  "tsv": ox.QueryResultsFormat.TSV}[format])
                return None
        except (SyntaxError, RuntimeError) as e:
            raise query_error(e) from None
        except BrokenPipeError:  # the reader of the answer went away, not the store
            raise
        except OSError as e:
            raise StoreError(f"cannot read the Oxigraph store: {e}", path=self.path) from None
        return self.query(sparql, bindings)

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
_ACCEPT_GRAPH = f"{_NTRIPLES}, text/turtle;q=0.5"
_RETRY_STATUS = frozenset({429, 502, 503, 504})


def _endpoints(url: str) -> tuple[str, str, str]:
    """The query, update and Graph Store URLs for a spec URL.

    ``http://host/ds/query`` (or ``.../sparql``) gives the siblings ``.../update`` and
    ``.../store``; any other URL is a base with ``/query``, ``/update`` and ``/store`` below it
    (Oxigraph server's layout). ``;update=URL`` and ``;store=URL`` override either.
    """
    query, update, store, _ = _spec(url)
    return query, update, store


def _spec(url: str) -> tuple[str, str, str, bool]:
    """:func:`_endpoints`, and whether the spec says ``;dataset=union`` (:class:`SparqlStore`)."""
    parts = url.split(";")
    base, overrides = parts[0], {}
    for extra in parts[1:]:
        key, sep, value = extra.partition("=")
        if not sep or key not in ("update", "store", "dataset") or (key == "dataset" and value != "union"):
            raise StoreError(f"bad remote store option {extra!r}; use ;update=URL, ;store=URL "
                             "or ;dataset=union")
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
    return (query, overrides.get("update", root + "/update"), overrides.get("store", root + "/store"),
            "dataset" in overrides)


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


#: Virtuoso echoes every default-graph-uri of a query as a header of its answer, one per
#: graph; http.client refuses answers with more than 100 headers.
http.client._MAXHEADERS = max(getattr(http.client, "_MAXHEADERS", 100), 100_000)  # type: ignore[attr-defined]


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


#: The named graph where scgraph records, on a remote endpoint, every named graph it wrote there
#: (one triple ``<G> a sd:NamedGraph`` each): the only graphs it reads, writes, deletes or sends
#: as a query's dataset. It is scgraph's own too (under ``GRAPH``), and never in a dataset.
GRAPHS_INDEX = GRAPH["scgraph-graphs"]
#: The dataset sent while scgraph has no graph on an endpoint (no graph is ever written there):
#: an empty protocol dataset would mean the endpoint's whole dataset.
NO_GRAPH = GRAPH["scgraph-none"]
_OWN_PREFIX = str(GRAPH)
#: Graphs an upload is staged in before it replaces its graph: scgraph's, never in a dataset.
SCRATCH_PREFIX = str(GRAPH["scratch/"])


def is_own_graph(name: object) -> TypeGuard[URIRef]:
    """Whether ``name`` is one of scgraph's named graphs (an IRI under ``GRAPH``) that may hold
    data (not the index, not the empty placeholder)."""
    return (isinstance(name, URIRef) and str(name).startswith(_OWN_PREFIX)
            and name not in (GRAPHS_INDEX, NO_GRAPH))


def _require_own(name: object) -> URIRef:
    if not is_own_graph(name):
        raise StoreError(f"scgraph writes only its own named graphs (IRIs under {_OWN_PREFIX}) "
                         f"on a SPARQL endpoint, not {str(name)[:120]!r}")
    return name  # type: ignore[return-value]


_PROLOGUE_ITEM = re.compile(r"\s*(?:#[^\n]*(?:\n|$)|(?i:PREFIX)\s+[^\s:]*:\s*<[^<>]*>|(?i:BASE)\s*<[^<>]*>)")
_UPDATE_TARGET = re.compile(
    r"(?<![:?$\w])(GRAPH|INTO|TO|WITH|USING(?:\s+NAMED)?|FROM|MOVE|COPY|ADD)\s+(?:SILENT\s+)?"
    r"(?:GRAPH\s+)?(<[^<>\s]*>|[?$]\w+|[^\s{}()<>]+)", re.IGNORECASE)
_UPDATE_ALL = re.compile(r"\b(?:DROP|CLEAR)\s+(?:SILENT\s+)?(?:ALL|NAMED|DEFAULT)\b", re.IGNORECASE)


def _split_prologue(text: str) -> tuple[str, str]:
    """``text`` cut after its prologue (comments, ``PREFIX`` and ``BASE`` declarations)."""
    pos = 0
    while True:
        m = _PROLOGUE_ITEM.match(text, pos)
        if m is None or m.end() == pos:
            return text[:pos], text[pos:]
        pos = m.end()


def _top_level_groups(sparql: str, *, unclosed: bool = False) -> list[tuple[int, int]]:
    """(open, close) offsets of the top-level ``{ }`` groups (outside comments, strings, IRIs);
    with ``unclosed``, a group the text leaves open too (its close: the end of the text)."""
    out: list[tuple[int, int]] = []
    depth, i, start = 0, 0, 0
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
                start = i
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                out.append((start, i))
        i += 1
    if unclosed and depth > 0:
        out.append((start, len(sparql)))
    return out


#: A solution modifier that cuts an answer.
_LIMIT = re.compile(r"\b(?:LIMIT|OFFSET)\b", re.IGNORECASE)


def paged_query(text: str, variables: Sequence[str]) -> tuple[str, str] | None:
    """``text`` (a SELECT) as ``(prologue, ordered)``: the same query ordered on every projected
    variable (after its own ORDER BY keys, if any), for paging with an outer OFFSET/LIMIT; None
    when it cannot be paged (not a SELECT, a trailing VALUES block)."""
    prologue, body = _split_prologue(text)
    if not re.match(r"\s*SELECT\b", body, re.IGNORECASE) or not variables:
        return None
    groups = _top_level_groups(body)
    if not groups:
        return None
    before_last = body[groups[-2][1] + 1 if len(groups) > 1 else 0: groups[-1][0]]
    if re.search(r"\bVALUES\b", before_last, re.IGNORECASE) and len(groups) > 1:
        return None  # a trailing VALUES block: its braces are the last group
    end = groups[-1][1] + 1
    tail = _strip_comments(body[end:])
    keys = " ".join(f"?{v}" for v in variables)
    limit = _LIMIT.search(tail)
    cut = limit.start() if limit else len(tail)
    order = "" if re.search(r"\bORDER\s+BY\b", tail, re.IGNORECASE) else " ORDER BY"
    return prologue, f"{body[:end]}{tail[:cut]}{order} {keys} {tail[cut:]}"


def _modifiers(text: str) -> str | None:
    """What follows the WHERE group of the query ``text`` (its solution modifiers), comments
    left out; None when it has no group."""
    _, body = _split_prologue(text)
    groups = _top_level_groups(body)
    return _strip_comments(body[groups[-1][1] + 1:]) if groups else None


def _own_limit(text: str) -> bool:
    """Whether the SELECT ``text`` has a LIMIT or an OFFSET of its own (after its WHERE group)."""
    tail = _modifiers(text)
    return tail is not None and _LIMIT.search(tail) is not None


def order_keys(text: str, variables: Sequence[str]) -> str | None:
    """The keys of ``text``'s own top-level ``ORDER BY`` ('' when it has none), or None when
    they read a variable the query does not project (so they cannot be applied to its rows)."""
    tail = _modifiers(text)
    if tail is None:
        return None
    order = re.search(r"\bORDER\s+BY\b", tail, re.IGNORECASE)
    if order is None:
        return ""
    end = _LIMIT.search(tail[order.end():])
    keys = tail[order.end(): order.end() + end.start() if end else len(tail)].strip()
    if any(v not in variables for v in re.findall(r"[?$](\w+)", keys)):
        return None
    return keys


#: The predicates of an answer written to a scratch graph to be read in pages
#: (:meth:`SparqlStore._scratch_pages`): one row mark, one predicate per projected variable.
_ROW = str(GRAPH["scratch/answer#"])


#: Virtuoso's refusals that a setting of the engine lifts, and the advice scgraph adds.
_ENGINE_LIMITS = (
    ("SR325", ("; Virtuoso caps the changes of one transaction (TransactionAfterImageLimit "
               "in [Parameters] of virtuoso.ini, 50,000,000 bytes unless set): raise it for "
               "updates of this size")),
    ("exceeds the limit of", ("; that is Virtuoso's estimate, not a measure: raise "
                              "MaxQueryCostEstimationTime in [SPARQL] of virtuoso.ini to run it")),
)


def _engine_advice(text: str) -> str:
    """What to change on the engine, for a refusal :data:`_ENGINE_LIMITS` knows ('' if none)."""
    return next((advice for mark, advice in _ENGINE_LIMITS if mark in text), "")


def _cap_advice(cap: int | None, url: str) -> str:
    said = f"at {cap:,} rows" if cap else "below the answer's size"
    return (f"the SPARQL endpoint {url} caps answers {said} and this answer reached the cap, so "
            "it is incomplete; raise the cap (Virtuoso: ResultSetMaxRows in the [SPARQL] section "
            "of virtuoso.ini), or ask a SELECT without a trailing VALUES block, which scgraph reads "
            "in pages")


class SparqlStore:
    """Any SPARQL 1.1 endpoint, through the Query, Update and Graph Store HTTP protocols,
    sharing it with other data.

    scgraph touches only its own named graphs there: IRIs under ``GRAPH``, each recorded in
    :data:`GRAPHS_INDEX` when first written. Queries get those graphs (and no other) as their
    dataset: their union as the default graph (``default-graph-uri``) and each by ``GRAPH``
    (``named-graph-uri``), as with the other stores; ``FROM`` clauses, which an engine may let
    override the protocol's dataset, are refused. An answer cut at the endpoint's row cap
    (Virtuoso's ``X-SPARQL-MaxRows``) is read again in pages, or refused with a one-line error:
    never returned incomplete. Idempotent requests are retried a bounded number of times on a
    refused connection or a 429/5xx answer; every failure becomes a one-line StoreError.
    """

    def __init__(self, url: str, *, timeout: float = 60.0, retries: int = 2,
                 chunk: int = 50_000, deadline: float | None = None,
                 max_bytes: int | None = None) -> None:
        self.url = url
        self.query_url, self.update_url, self.store_url, self.union = _spec(url)
        #: with ``;dataset=union``: whether this endpoint was seen to hold scgraph's graphs only,
        #: its default graph their union (None: not asked yet; :meth:`_whole_as_default`)
        self._union_checked: bool | None = None
        self.timeout = timeout
        self.retries = retries
        self.chunk = chunk
        #: seconds one request may take in all; bytes one answer may have
        self.deadline = deadline if deadline is not None else max(
            _env_positive("SCGRAPH_SPARQL_DEADLINE", SPARQL_DEADLINE), timeout)
        self.max_bytes = max_bytes if max_bytes is not None else int(
            _env_positive("SCGRAPH_SPARQL_MAX_BYTES", SPARQL_MAX_BYTES))
        #: the endpoint's row cap once seen (``X-SPARQL-MaxRows``), and the most rows seen whole
        self.max_rows: int | None = None
        self._whole_upto = 0
        self._recorded: set[URIRef] = set()
        self._loaded = False
        self._unindexed: list[URIRef] | None = None  # graphs found by name where no index is
        #: scgraph's graphs left out of every query's dataset (as an analysis leaves out the
        #: results of the last one)
        self.hidden: set[URIRef] = set()
        #: whether an answer over the endpoint's row cap is written once to a scratch graph and
        #: read from there (:meth:`_scratch_pages`): for the commands that write anyway (build,
        #: analyse); a reading command pages the query itself unless the user lets it write
        #: its scratch graphs too (``SCGRAPH_SPARQL_SCRATCH=1``)
        self.scratch_pages = os.environ.get("SCGRAPH_SPARQL_SCRATCH", "").strip() == "1"

    # ------------------------------------------------------------------ HTTP

    def _request(self, method: str, url: str, *, data: bytes | None = None,
                 headers: dict[str, str] | None = None, idempotent: bool = True,
                 ok_missing: bool = False, timeout: float | None = None
                 ) -> tuple[int, str, bytes, dict[str, str]]:
        attempts = 1 + (self.retries if idempotent else 0)
        read_timeout = self.timeout if timeout is None else timeout
        deadline = max(self.deadline, read_timeout)
        last = ""
        for attempt in range(attempts):
            if attempt:
                time.sleep(min(0.25 * 2 ** (attempt - 1), 2.0))
            req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
            watch = _Watch()
            timer = threading.Timer(deadline, watch.fire)  # the total deadline
            timer.daemon = True
            timer.start()
            try:
                with _watched_opener(watch).open(req, timeout=read_timeout) as resp:
                    body = _read_capped(resp, self.max_bytes)
                    if watch.expired:  # the shut-down socket read as the end of the body
                        raise TimeoutError
                    found = {k.lower(): v for k, v in resp.headers.items()}
                    return resp.status, resp.headers.get("Content-Type", ""), body, found
            except _AnswerTooLarge:
                raise StoreError(f"the answer of the SPARQL endpoint {url} is over "
                                 f"{self.max_bytes:,} bytes; set SCGRAPH_SPARQL_MAX_BYTES to "
                                 "raise the limit") from None
            except urllib.error.HTTPError as e:
                if watch.expired:
                    raise self._late(url, deadline) from None
                text = e.read().decode("utf-8", "replace")[:100_000]
                if e.code == 404 and ok_missing:
                    return 404, "", b"", {}
                if e.code in _RETRY_STATUS:
                    last = f"HTTP {e.code} {e.reason}"
                    continue
                if e.code == 400:
                    raise query_error(RuntimeError(text or e.reason)) from None
                first = " ".join(text.split())[:200]
                raise StoreError(f"the SPARQL endpoint {url} answered HTTP {e.code} {e.reason}"
                                 + (f": {first}" if first else "") + _engine_advice(text)) from None
            except (TimeoutError, socket.timeout):
                if watch.expired:
                    raise self._late(url, deadline) from None
                last = f"no answer within {read_timeout:g} s"
            except urllib.error.URLError as e:
                if watch.expired:
                    raise self._late(url, deadline) from None
                reason = e.reason
                if isinstance(reason, (TimeoutError, socket.timeout)):
                    last = f"no answer within {read_timeout:g} s"
                else:
                    last = str(getattr(reason, "strerror", None) or reason)
            except (ConnectionError, OSError, http.client.HTTPException) as e:
                if watch.expired:
                    raise self._late(url, deadline) from None
                last = str(getattr(e, "strerror", None) or e) or type(e).__name__
            finally:
                timer.cancel()
        tries = f" (tried {attempts} times)" if attempts > 1 else ""
        raise StoreError(f"cannot reach the SPARQL endpoint {url}: {last}{tries}")

    def _late(self, url: str, deadline: float | None = None) -> StoreError:
        return StoreError(f"the SPARQL endpoint {url} did not answer in full within "
                          f"{deadline or self.deadline:g} s; set SCGRAPH_SPARQL_DEADLINE to raise the limit")

    def _graph_store_url(self, graph: Node) -> str:
        return f"{self.store_url}?{urllib.parse.urlencode({'graph': str(graph)})}"

    # ------------------------------------------------------------------ own graphs

    def own_graphs(self) -> list[URIRef]:
        """The named graphs scgraph recorded on this endpoint (:data:`GRAPHS_INDEX`), sorted.

        An endpoint whose index was never written (data loaded by the engine's own bulk
        loader, a read-only endpoint, an scgraph without an index) is asked once per store
        object for the graphs under ``GRAPH``, by name only (never another graph's data); the
        first write records them."""
        res = self._query(f"SELECT ?g ?t WHERE {{ GRAPH <{GRAPHS_INDEX}> {{ ?g a ?t }} }}",
                          [NO_GRAPH], [GRAPHS_INDEX])
        found: list[URIRef] = sorted({g for g, t in res.rows if t == SD.NamedGraph and is_own_graph(g)})
        self._loaded = True
        if any(g == GRAPHS_INDEX and t == SD.Dataset for g, t in res.rows):
            self._unindexed = None
            self._recorded.update(found)
            return found
        if self._unindexed is None:
            scan_ = self._query(f'SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} '
                                f'FILTER(STRSTARTS(STR(?g), "{_OWN_PREFIX}")) }}', None, None)
            self._unindexed = sorted({g for (g,) in scan_.rows if is_own_graph(g)})
        return sorted(set(self._unindexed) | set(found))

    def _record(self, graphs: Iterable[URIRef], *, first: bool = False) -> None:
        new = [g for g in graphs if g not in self._recorded]
        if not new and not first:
            return
        lines = "".join(f"<{g}> a <{SD.NamedGraph}> .\n" for g in new)
        if first or not self._recorded:
            lines += f"<{GRAPHS_INDEX}> a <{SD.Dataset}> .\n"
        self._update(f"INSERT DATA {{ GRAPH <{GRAPHS_INDEX}> {{\n{lines}}} }}")
        self._recorded.update(new)

    def _forget(self, graph: URIRef) -> None:
        self._update(f"DELETE DATA {{ GRAPH <{GRAPHS_INDEX}> {{ <{graph}> a <{SD.NamedGraph}> }} }}")
        self._recorded.discard(graph)

    def _claim(self, graph: object) -> URIRef:
        """``graph``, checked to be scgraph's own and recorded before anything is written to it."""
        name = _require_own(graph)
        if not self._loaded:
            self.own_graphs()
        if self._unindexed is not None:  # the first write: the index is made, with what is there
            self._record([*self._unindexed, name], first=True)
            self._unindexed = None
        elif name not in self._recorded:
            self._record([name])
        return name

    # ------------------------------------------------------------------ Store

    def query(self, sparql: str, bindings: dict[str, Node] | None = None, *,
              graphs: Iterable[URIRef] | None = None) -> QueryResult:
        """Run ``sparql`` over scgraph's own graphs (``graphs``, if given, as the default graph)."""
        text = bind_values(sparql, bindings or {})
        if scan(text).dataset_clauses:
            raise QueryError("FROM and FROM NAMED are refused on a sparql: store: scgraph queries "
                             "its own graphs only, and sends them as the dataset")
        recorded = self.own_graphs()
        if graphs is None and self._whole_as_default(recorded):
            return self._query(text, None, None)
        own = [g for g in recorded if not str(g).startswith(SCRATCH_PREFIX) and g not in self.hidden]
        default = own if graphs is None else [_require_own(g) for g in graphs]
        return self._query(text, default, own)

    def _whole_as_default(self, recorded: Sequence[URIRef]) -> bool:
        """Whether a query over all of scgraph's graphs may go with no protocol dataset (the
        endpoint's own), as ``;dataset=union`` asks: only when that dataset is exactly
        scgraph's (its default graph their union, ``GRAPH ?g`` ranging over them), which is
        asked once per store object (its named graphs; a triple of one of scgraph's graphs in
        its default graph); and never while a graph a query must not see is there (a build's
        scratch graph, a graph :attr:`hidden`). An endpoint holding another graph, or whose
        default graph is not the union, is an error: the option is the user's promise.

        Oxigraph server evaluates each pattern once per graph of a protocol dataset, so a
        question over the ~120 graphs of a build runs tens of times slower with the dataset
        sent than on the union default graph (docs/serving.md)."""
        if not self.union or any(str(g).startswith(SCRATCH_PREFIX) or g in self.hidden for g in recorded):
            return False
        if self._union_checked is None:
            if not recorded:  # nothing of scgraph's yet: the explicit (empty) dataset
                return False
            res = self._query("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }", None, None)
            mine = {*recorded, GRAPHS_INDEX}
            others = sorted(str(g) for (g,) in res.rows if g not in mine)
            if others:
                more = f" and {len(others) - 3} more" if len(others) > 3 else ""
                raise StoreError(f"the SPARQL endpoint {self.query_url} holds graphs that are not "
                                 f"scgraph's ({', '.join(f'<{g}>' for g in others[:3])}{more}): "
                                 ";dataset=union would merge them into every answer; leave it out")
            # a triple of one of scgraph's graphs must be in the default graph
            sample = next((rows[0] for g in recorded[:5] if (rows := self._query(
                f"SELECT ?s ?p ?o WHERE {{ GRAPH <{g}> {{ ?s ?p ?o FILTER(isIRI(?s) && isIRI(?o)) }} }} LIMIT 1",
                [NO_GRAPH], [g]).rows)), None)
            if sample is None:
                return False  # nothing to compare the default graph with yet
            if not self._query(f"ASK {{ <{sample[0]}> <{sample[1]}> <{sample[2]}> }}", None, None).boolean:
                raise StoreError(f"the SPARQL endpoint {self.query_url} was named with ;dataset=union "
                                 "but its default graph is not the union of its named graphs "
                                 "(Oxigraph: serve --union-default-graph); leave the option out")
            self._union_checked = True
        return True

    def _query(self, text: str, default: Sequence[URIRef] | None,
               named: Sequence[URIRef] | None) -> QueryResult:
        """``text`` with this protocol dataset (None: the endpoint's own), whole or refused."""
        form: list[tuple[str, str]] = []
        if default is not None:
            form += [("default-graph-uri", str(g)) for g in (default or [NO_GRAPH])]
        if named is not None:
            form += [("named-graph-uri", str(g)) for g in (named or [NO_GRAPH])]
        result, cap = self._post_query(text, form)
        if result.kind == "select" and cap is not None and len(result.rows) >= cap:
            return self._paged(text, result.vars, cap, form, result.rows)
        if result.kind == "graph" and result.graph is not None and len(result.graph):
            if self._maybe_capped(len(result.graph)):
                raise StoreError(_cap_advice(self.max_rows, self.query_url))
        return result

    def _post_query(self, text: str, form: list[tuple[str, str]]) -> tuple[QueryResult, int | None]:
        # the form decides the media type asked for: Virtuoso answers a CONSTRUCT that accepts
        # JSON with a table of ?s ?p ?o, which would read as a SELECT
        graph = first_keyword(text) in ("CONSTRUCT", "DESCRIBE")
        _, ctype, body, headers = self._request(
            "POST", self.query_url, data=urllib.parse.urlencode([("query", text), *form]).encode("utf-8"),
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Accept": _ACCEPT_GRAPH if graph else _RESULTS_JSON})
        if "x-sql-state" in headers:  # Virtuoso's "anytime" answer: what it found in time
            raise StoreError(f"the SPARQL endpoint {self.query_url} answered with a partial result "
                             f"({' '.join(headers.get('x-sql-message', headers['x-sql-state']).split())[:160]}); "
                             "raise its time limit (Virtuoso: MaxQueryExecutionTime in [SPARQL])")
        cap = headers.get("x-sparql-maxrows", "").strip()
        if cap.isdigit():
            self.max_rows = int(cap)
        return self._result(ctype, body), (int(cap) if cap.isdigit() else None)

    def _paged(self, text: str, variables: list[str], cap: int,
               form: list[tuple[str, str]], first: Sequence[tuple[Node | None, ...]]) -> QueryResult:
        """All rows of a SELECT whose answer was cut at ``cap``, read in pages below the cap,
        ordered on every projected variable (the order of the query's own ORDER BY first).
        ``first``: the rows of the cut answer, which must all be among the rows read (else a
        StoreError: the engine answered the ordered query otherwise)."""
        split = paged_query(text, variables)
        if split is None:
            raise StoreError(_cap_advice(cap, self.query_url))
        rows = self._scratch_pages(text, split, variables, cap, form) if self.scratch_pages else None
        if rows is None:
            rows = []
            for page in self._pages(split, variables, cap, form):
                rows.extend(page)
        # the pages are the query ordered: an engine that orders it wrongly (Virtuoso 7.2 shifts
        # the columns of some ordered unions of sub-selects) gives other rows
        kept = {r for r in first if not any(isinstance(x, BNode) for x in r)}
        if not _own_limit(text) and not kept <= set(rows):
            raise StoreError(f"the SPARQL endpoint {self.query_url} gave other rows for this "
                             f"query in pages than in its first, cut answer (of {cap:,} rows): the "
                             "engine orders this query wrongly; raise its row cap "
                             "(Virtuoso: ResultSetMaxRows) to read it whole")
        return QueryResult(vars=variables, rows=rows)

    def _scratch_pages(self, text: str, split: tuple[str, str], variables: list[str], cap: int,
                       form: list[tuple[str, str]]) -> list[tuple[Node | None, ...]] | None:
        """The rows of a capped SELECT computed once: written by one ``INSERT`` (a fresh blank
        node per row) into a scratch graph of scgraph's, read back in pages of that small graph
        in the query's own order, the graph dropped after. Paging the query itself evaluates it
        once per page (Virtuoso at 10^4 projects: an export of 87,898 rows in 9 pages). None
        where this cannot be done (the query's order reads a variable it does not project, the
        dataset is the endpoint's own, the endpoint refuses the update): page the query then."""
        keys = order_keys(text, variables)
        default = [URIRef(g) for k, g in form if k == "default-graph-uri"]
        named = [URIRef(g) for k, g in form if k == "named-graph-uri"]
        mark = "scgraph_row"
        if keys is None or not default or mark in variables:
            return None
        prologue, ordered = split
        scratch = GRAPH[f"scratch/answer-{os.getpid()}-{threading.get_ident()}-{time.time_ns()}"]
        values = "".join(f" ; <{_ROW}v{i}> ?{v}" for i, v in enumerate(variables))
        insert = (f"{prologue}\nINSERT {{ GRAPH <{scratch}> {{ _:row <{_ROW}row> <{_ROW}row>{values} }} }}\n"
                  f"WHERE {{ {{ {ordered} }} }}")
        self._claim(scratch)
        try:
            try:
                self._update(insert, using=True, dataset=(default, named))
            except StoreError:
                return None
            count = self._query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{scratch}> {{ ?r <{_ROW}row> ?m }} }}",
                                [NO_GRAPH], [scratch])
            expected = _count(count)
            optional = " ".join(f"OPTIONAL {{ ?{mark} <{_ROW}v{i}> ?{v} }}" for i, v in enumerate(variables))
            read = (f"SELECT {' '.join(f'?{v}' for v in variables)} WHERE {{ GRAPH <{scratch}> "
                    f"{{ ?{mark} <{_ROW}row> <{_ROW}row> {optional} }} }} "
                    f"ORDER BY {keys} {' '.join(f'?{v}' for v in variables)} ?{mark}")
            rows: list[tuple[Node | None, ...]] = []
            for page in self._pages(("", read), variables, cap, [("default-graph-uri", str(NO_GRAPH)),
                                                                 ("named-graph-uri", str(scratch))]):
                rows.extend(page)
            if len(rows) != expected:
                raise StoreError(f"the SPARQL endpoint {self.query_url} gave {len(rows):,} of the "
                                 f"{expected:,} rows of an answer it wrote; it changed while read")
            return rows
        finally:
            with contextlib.suppress(StoreError):
                self.delete_graph(scratch)

    def _pages(self, split: tuple[str, str], variables: list[str], cap: int,
               form: list[tuple[str, str]]) -> Iterator[list[tuple[Node | None, ...]]]:
        """The rows of ``split`` (:func:`paged_query`), one page of ``cap - 1`` rows at a time."""
        prologue, ordered = split
        size = max(1, cap - 1)
        offset = 0
        projection = " ".join(f"?{v}" for v in variables)
        while True:
            page = f"{prologue}\nSELECT {projection} WHERE {{ {{ {ordered} }} }} OFFSET {offset} LIMIT {size}"
            res, seen = self._post_query(page, form)
            if seen is not None or res.vars != variables:
                raise StoreError(_cap_advice(cap, self.query_url))
            yield res.rows
            if len(res.rows) < size:
                return
            offset += size

    def dump_graph(self, name: URIRef, path: Path | str) -> int:
        """Write one of scgraph's graphs to ``path`` as N-Triples, streamed to the file (the
        client holds one buffer, or one page, at a time); return the triple count.

        A Graph Store GET first; when the triples it gave are not the graph's ``COUNT`` (Virtuoso
        cuts a GET at its row cap without a word), paged SELECTs instead."""
        name = _require_own(name)
        expected = self.graph_size(name)
        with files.atomic_path(path) as tmp:  # whole or not there
            n = self._dump_graph(name, tmp, expected)
        return n

    def _dump_graph(self, name: URIRef, path: Path, expected: int) -> int:
        got = -1
        with contextlib.suppress(StoreError):
            with path.open("wb") as out:
                self._download(self._graph_store_url(name), out)
            got = _count_triples(path)
        if got == expected:
            return got
        if self.max_rows is None:
            self._maybe_capped(min(expected, 99_999))  # learns a cap below 100,000 rows
        cap = max(2, min(self.max_rows or 100_000, 100_000))
        text = f"SELECT ?s ?p ?o WHERE {{ GRAPH <{name}> {{ ?s ?p ?o }} }}"
        split = paged_query(text, ["s", "p", "o"])
        assert split is not None
        n = 0
        with path.open("w", encoding="utf-8") as f:
            for page in self._pages(split, ["s", "p", "o"], cap, [("default-graph-uri", str(NO_GRAPH)),
                                                                   ("named-graph-uri", str(name))]):
                f.writelines(_nt_line(s, p, o) for s, p, o in page)  # type: ignore[arg-type]
                n += len(page)
        if n != expected:
            raise StoreError(f"the SPARQL endpoint {self.query_url} gave {n:,} of the {expected:,} "
                             f"triples of <{name}>; it changed while read, or caps answers")
        return n

    def _download(self, url: str, out: BinaryIO) -> None:
        """GET ``url`` (N-Triples) into the file ``out``, streamed, within the store's deadline."""
        req = urllib.request.Request(url, method="GET", headers={"Accept": _NTRIPLES})
        watch = _Watch()
        timer = threading.Timer(self.deadline, watch.fire)
        timer.daemon = True
        timer.start()
        try:
            with _watched_opener(watch).open(req, timeout=self.timeout) as resp:
                while chunk := resp.read1(1 << 16):
                    out.write(chunk)
            if watch.expired:
                raise self._late(url)
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return
            raise StoreError(f"the Graph Store {url} answered HTTP {e.code} {e.reason}") from None
        except (OSError, http.client.HTTPException) as e:
            raise StoreError(f"cannot read the Graph Store {url}: {e}") from None
        finally:
            timer.cancel()

    def _maybe_capped(self, n: int) -> bool:
        """Whether an answer of ``n`` triples (a CONSTRUCT, which Virtuoso cuts without saying
        so) may have been cut: asked once per size with a SELECT of ``n + 1`` generated rows."""
        if self.max_rows is not None:
            return n >= self.max_rows
        if n < self._whole_upto:
            return False
        digits = max(1, len(str(n + 1)))
        values = " ".join(f"VALUES ?d{i} {{ 0 1 2 3 4 5 6 7 8 9 }}" for i in range(digits))
        probe = f"SELECT ?d0 WHERE {{ {values} }} LIMIT {n + 1}"
        res, cap = self._post_query(probe, [("default-graph-uri", str(NO_GRAPH))])
        if cap is not None:
            return n >= cap
        if len(res.rows) <= n:
            return True
        self._whole_upto = n + 1
        return False

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

    def update(self, sparql: str, *, timeout: float | None = None,
               using: Sequence[URIRef] | None = None, using_named: Sequence[URIRef] | None = None) -> None:
        """Run a SPARQL update that names its graphs by full IRI, each one of scgraph's own
        (recorded first); its WHERE reads only scgraph's graphs (``using-graph-uri``,
        ``using-named-graph-uri``: all of them, or ``using`` as the default graph and
        ``using_named`` as the named graphs, each one of scgraph's). ``DROP``/``CLEAR`` of
        ``ALL``, ``NAMED`` or ``DEFAULT`` are refused. ``timeout``: seconds to wait for the
        answer (default: the store's)."""
        if scan(sparql).loads:
            raise StoreError("LOAD is refused on a sparql: store: the engine would fetch the URL")
        if _UPDATE_ALL.search(sparql):
            raise StoreError("DROP/CLEAR ALL, NAMED or DEFAULT are refused on a sparql: store: "
                             "they would reach graphs that are not scgraph's")
        targets: list[URIRef] = []
        reads = False
        bare = _STRING.sub('""', _strip_comments(sparql))  # no keyword inside a literal
        for m in _UPDATE_TARGET.finditer(bare):
            word, arg = m.group(1).upper(), m.group(2)
            if word.startswith(("USING", "FROM")):
                raise StoreError("USING and FROM are refused in updates on a sparql: store: "
                                 "scgraph sends its own graphs as the update's dataset")
            if arg[0] in "?$" and word == "GRAPH":
                reads = True
                continue
            if not arg.startswith("<"):
                raise StoreError(f"write graph names in full (<...>) in updates on a sparql: "
                                 f"store, not {arg[:60]!r}")
            targets.append(_require_own(URIRef(arg[1:-1])))
        dataset = None
        if using is not None or using_named is not None:
            dataset = ([_require_own(g) for g in using or ()], [_require_own(g) for g in using_named or ()])
        for g in targets:
            self._claim(g)
        self._update(sparql, using=reads or bool(re.search(r"\bWHERE\b", sparql, re.IGNORECASE)),
                     timeout=timeout, dataset=dataset)

    def _update(self, sparql: str, *, using: bool = False, timeout: float | None = None,
                dataset: tuple[list[URIRef], list[URIRef]] | None = None) -> None:
        form: list[tuple[str, str]] = [("update", sparql)]
        own = self.own_graphs() if using and dataset is None else []
        if using and not (dataset is None and self._whole_as_default(own)):
            default, named = dataset if dataset is not None else (own, own)
            form += [("using-graph-uri", str(g)) for g in (default or [NO_GRAPH])]
            form += [("using-named-graph-uri", str(g)) for g in (named or [NO_GRAPH])]
        _, _, _, headers = self._request("POST", self.update_url, data=urllib.parse.urlencode(form).encode("utf-8"),
                                         headers={"Content-Type": "application/x-www-form-urlencoded"},
                                         idempotent=False, timeout=timeout)
        if "x-sql-state" in headers:  # Virtuoso's "anytime" answer: the update ran on a partial result
            raise StoreError(f"the SPARQL endpoint {self.update_url} ran the update on a partial result "
                             f"({' '.join(headers.get('x-sql-message', headers['x-sql-state']).split())[:160]}); "
                             "raise its time limit (Virtuoso: MaxQueryExecutionTime in [SPARQL])")

    def named_graphs(self) -> list[URIRef]:
        """scgraph's graphs on the endpoint that hold triples, sorted."""
        own = self.own_graphs()
        if not own:
            return []
        values = " ".join(f"<{g}>" for g in own)
        res = self._query(f"SELECT ?g WHERE {{ VALUES ?g {{ {values} }} "
                          "FILTER EXISTS { GRAPH ?g { ?s ?p ?o } } }", [NO_GRAPH], own)
        return sorted(r[0] for r in res.rows if isinstance(r[0], URIRef))

    def __len__(self) -> int:
        own = self.own_graphs()
        res = self._query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }", [NO_GRAPH], own)
        return _count(res)

    def graph_size(self, name: URIRef) -> int:
        """Triples in one of scgraph's graphs (0 if it has none)."""
        res = self._query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{_require_own(name)}> {{ ?s ?p ?o }} }}",
                          [NO_GRAPH], [name])
        return _count(res)

    def is_empty(self) -> bool:
        return not self.query("ASK { GRAPH ?g { ?s ?p ?o } }").boolean

    def close(self) -> None:
        """Nothing to release: every request opens and closes its own connection."""

    # ------------------------------------------------------------------ Graph Store protocol

    def get_graph(self, name: URIRef) -> Graph:
        """The triples of one of scgraph's graphs (empty if the endpoint does not have it), read
        with a SELECT that is paged past the endpoint's row cap (a Graph Store GET is cut at the
        cap without a word on Virtuoso)."""
        g = bind_prefixes(Graph())
        res = self._query(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{_require_own(name)}> {{ ?s ?p ?o }} }}",
                          [NO_GRAPH], [name])
        for s, p, o in res.rows:
            g.add((s, p, o))  # type: ignore[arg-type]
        return g

    def put_graph(self, name: URIRef, triples: Iterable[tuple[Node, Node, Node]]) -> None:
        """Replace one named graph with ``triples`` (Graph Store PUT, idempotent)."""
        name = self._claim(name)
        data = "".join(_nt_line(s, p, o) for s, p, o in triples).encode("utf-8")
        self._request("PUT", self._graph_store_url(name), data=data,
                      headers={"Content-Type": _NTRIPLES})

    def post_graph(self, name: URIRef, triples: Iterable[tuple[Node, Node, Node]]) -> int:
        """Add ``triples`` to one named graph (Graph Store POST, in chunks); return the count."""
        name = self._claim(name)
        n = 0
        for lines in _chunks((_nt_line(s, p, o) for s, p, o in triples), self.chunk):
            self._post_lines(name, lines)
            n += len(lines)
        return n

    def delete_graph(self, name: URIRef) -> None:
        """Remove one of scgraph's graphs (Graph Store DELETE; a missing graph is not an
        error) and its record."""
        name = _require_own(name)
        self._request("DELETE", self._graph_store_url(name), ok_missing=True)
        if self._unindexed is not None and name in self._unindexed:
            self._unindexed.remove(name)
        self._forget(name)

    def replace_graph(self, name: URIRef, triples: Iterable[tuple[Node, Node, Node]], *,
                      check: Callable[[], None] | None = None, scratch: URIRef | None = None,
                      settle_s: float | None = None) -> int:
        """Replace one of scgraph's graphs with ``triples``, all or nothing; return the count.

        The triples are uploaded as they come, in chunks, to ``scratch`` (default
        ``graph:scratch/NAME``: scgraph's, never in a query's dataset); ``check`` (which raises
        to refuse) runs once all are there; then one ``MOVE`` replaces the graph. A failure
        before the ``MOVE`` drops the scratch graph and leaves the old graph. When the answer
        to the ``MOVE`` does not come in time, the endpoint is looked at until the outcome is
        known (:meth:`_settle`): success, or a one-line error saying the old graph is still in
        place (and how to tell whether the ``MOVE`` completes later)."""
        name = _require_own(name)
        scratch = scratch or GRAPH[f"scratch/{str(name)[len(_OWN_PREFIX):].replace('/', '-')}"]
        self.delete_graph(scratch)  # a leftover of a failed upload
        try:
            n = self.post_graph(scratch, triples)
            if check is not None:
                check()
        except BaseException:
            with contextlib.suppress(Exception):
                self.delete_graph(scratch)
            raise
        return self.move_graph(scratch, name, n, settle_s=settle_s)

    def move_graph(self, scratch: URIRef, name: URIRef, n: int, *, settle_s: float | None = None) -> int:
        """Put the ``n`` triples of ``scratch`` in place of ``name`` with one ``MOVE`` (``n`` 0:
        drop both); a ``MOVE`` whose answer does not come in time is settled as
        :meth:`replace_graph` says. Returns ``n``."""
        scratch, name = _require_own(scratch), _require_own(name)
        if not n:
            self.delete_graph(scratch)
            self.update(f"DROP SILENT GRAPH <{name}>")
            return 0
        try:
            self.update(f"MOVE SILENT <{scratch}> TO <{name}>", timeout=max(self.timeout, self.deadline))
        except StoreError as e:
            self._settle(scratch, name, n, e, settle_s)
        with contextlib.suppress(StoreError):
            self.delete_graph(scratch)  # forgets it (the MOVE left it empty)
        return n

    def _settle(self, scratch: URIRef, name: URIRef, n: int, error: StoreError,
                settle_s: float | None) -> None:
        """After a ``MOVE`` whose answer did not come: return if it took effect (``scratch``
        empty, ``name`` holding ``n`` triples); else, once ``settle_s`` seconds have passed
        (default: the store's timeout, at least 10 s), a one-line StoreError."""
        wait = settle_s if settle_s is not None else max(self.timeout, 10.0)
        until = time.monotonic() + wait
        while True:
            try:
                left, now = self.graph_size(scratch), self.graph_size(name)
            except StoreError:
                left, now = -1, -1
            if left == 0 and now == n:
                return
            if time.monotonic() >= until:
                break
            time.sleep(min(2.0, max(0.1, wait / 20)))
        state = (f"<{name}> is unchanged so far and the upload waits in <{scratch}>; if that "
                 "graph empties later, the MOVE took effect; run the import again to be sure"
                 if left == n else f"the state of <{name}> could not be read; run it again")
        raise StoreError(f"the endpoint did not confirm that it put the import in place "
                         f"({error.message}); {state}") from None

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
            buf = buffers.get(g)
            if buf is None:
                self._claim(g)
                buf = buffers[g] = []
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


def _count(res: QueryResult) -> int:
    """The number in the first cell of a COUNT answer (0 when unbound)."""
    cell = res.rows[0][0] if res.rows else None
    return int(str(cell)) if cell is not None else 0


def _count_triples(path: Path) -> int:
    """The triples of an N-Triples file (-1 if it does not parse)."""
    try:
        return sum(1 for _ in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES))
    except (SyntaxError, OSError, ValueError):
        return -1


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
