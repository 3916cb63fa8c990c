"""Serving in front of a SPARQL endpoint (``scgraph serve --store sparql:URL``).

Each worker holds a :class:`RemoteStore`: a :class:`scgraph.store.SparqlStore` whose answers
are read as pyoxigraph terms (lexical forms as the engine wrote them, triples in the engine's
order), so the server writes them with the same writers, and to the same bytes, as answers of
the embedded store. Every query goes to the endpoint with scgraph's own graphs as its dataset
(``default-graph-uri``/``named-graph-uri``, see docs/serving.md); before it is sent, the text is
parsed here (a SPARQL 1.1 query, nothing else: no update, no engine extension such as
Virtuoso's ``DEFINE`` pragmas) and refused when it names a graph that is not scgraph's
(``FROM``, ``FROM NAMED``, ``GRAPH <IRI>``) or one of Virtuoso's built-in function namespaces.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

import pyoxigraph as ox

from ..errors import QueryError, ScgraphError, StoreError
from ..namespaces import GRAPH
from ..sparql_guard import _PREFIX_DECL, _TOKEN, _in_name
from ..store import NO_GRAPH, SCRATCH_PREFIX, QueryResult, SparqlStore, is_own_graph
from ..terms import Cell, to_cell
from .answers import _error, write_answer

if TYPE_CHECKING:
    from rdflib import URIRef

_OWN = str(GRAPH)
#: IRIs that name an engine's built-in functions rather than data (Virtuoso's ``bif:`` and
#: ``sql:`` functions, in either spelling): refused, so a query runs nothing but SPARQL.
_ENGINE_FUNCTIONS = ("bif:", "sql:", "http://www.openlinksw.com/schemas/bif#",
                     "http://www.openlinksw.com/schemas/sql#")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_NAME = re.compile(r"((?:[^\W\d][\w\-.]*)?:)((?:[\w\-:]|\.(?=[\w\-:]))*)")


def servable_graph(iri: str) -> bool:
    """Whether ``iri`` is one of scgraph's graphs a request may name (not the index, not the
    placeholder, not a scratch graph)."""
    from rdflib import URIRef

    return is_own_graph(URIRef(iri)) and not iri.startswith(SCRATCH_PREFIX)


def foreign_graphs(text: str, base: str | None = None) -> str | None:
    """Why ``text`` may not go to the endpoint (one line), or None.

    Refused: ``FROM``/``FROM NAMED`` (an engine may let them override the protocol's dataset),
    ``GRAPH`` followed by an IRI or prefixed name that is not one of scgraph's graphs (relative
    IRIs resolved against the query's ``BASE``, else ``base``), and IRIs of an engine's built-in
    functions. Read with :mod:`scgraph.sparql_guard`'s tokenizer (strings, IRIs and comments
    skipped as SPARQL does); a name it cannot resolve is refused."""
    declared: dict[str, str] = {}
    current = base or ""
    tokens = [m for m in _TOKEN.finditer(text) if m.lastgroup not in ("space", "comment")]
    for i, m in enumerate(tokens):
        kind, value = m.lastgroup, m.group()
        if kind == "iri":
            iri = value[1:-1]
            if iri.lower().startswith(_ENGINE_FUNCTIONS) or urljoin(current, iri).lower().startswith(_ENGINE_FUNCTIONS):
                return f"<{iri[:120]}> names an engine's built-in function; this endpoint runs SPARQL 1.1 only"
            continue
        if kind != "word" or _in_name(text, m.start(), m.end()):
            continue
        word = value.upper()
        if word == "PREFIX":
            decl = _PREFIX_DECL.match(text, m.end())
            if decl is not None:
                declared[decl.group(1)] = urljoin(current, decl.group(2))
        elif word == "BASE" and i + 1 < len(tokens) and tokens[i + 1].lastgroup == "iri":
            current = urljoin(current, tokens[i + 1].group()[1:-1])
        elif word == "FROM":
            return ("FROM and FROM NAMED are refused here: the dataset is scgraph's graphs; name "
                    "some of them with the default-graph-uri and named-graph-uri parameters")
        elif word == "GRAPH":
            target = _graph_target(text, m.end(), declared, current)
            if target is not None and not servable_graph(target):
                return (f"GRAPH {target[:160]} is not one of scgraph's graphs (IRIs under {_OWN}); "
                        "this endpoint serves those only")
    return None


def _graph_target(text: str, at: int, declared: dict[str, str], base: str) -> str | None:
    """The graph named after the ``GRAPH`` keyword ending at ``at``: None for a variable, the
    IRI (``<...>`` shown as such) otherwise; a name that cannot be resolved comes back as it is
    written (and is refused)."""
    rest = text[at:]
    stripped = rest.lstrip()
    while stripped.startswith("#"):  # comments between the keyword and its graph
        nl = stripped.find("\n")
        stripped = "" if nl < 0 else stripped[nl:].lstrip()
    if stripped[:1] in ("?", "$"):
        return None
    if stripped.startswith("<"):
        end = stripped.find(">")
        iri = stripped[1:end] if end > 0 else stripped[1:]
        return urljoin(base, iri) if not _SCHEME.match(iri) else iri
    name = _NAME.match(stripped)
    if name is not None and name.group(1) in declared and "\\" not in name.group(2):
        return declared[name.group(1)] + name.group(2)
    return stripped.split(None, 1)[0][:160] if stripped else "(nothing)"


def _blank(value: str) -> ox.BlankNode:
    try:
        return ox.BlankNode(value)
    except ValueError:
        return ox.BlankNode("b" + hashlib.sha1(value.encode("utf-8")).hexdigest()[:24])


def _term(b: dict[str, Any]) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """A SPARQL 1.1 JSON results binding as a pyoxigraph term, lexical form untouched."""
    kind, value = b.get("type"), b.get("value")
    if not isinstance(value, str):
        raise ValueError(f"a binding without a string value: {b!r}")
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return _blank(value)
    if kind in ("literal", "typed-literal"):
        if b.get("xml:lang"):
            return ox.Literal(value, language=b["xml:lang"])
        dt = b.get("datatype")
        return ox.Literal(value, datatype=ox.NamedNode(dt)) if dt else ox.Literal(value)
    raise ValueError(f"unknown term type {kind!r}")


_TRUE = ox.parse_query_results('{"head":{},"boolean":true}', format=ox.QueryResultsFormat.JSON)
_FALSE = ox.parse_query_results('{"head":{},"boolean":false}', format=ox.QueryResultsFormat.JSON)


class RemoteStore(SparqlStore):
    """A :class:`SparqlStore` whose answers hold pyoxigraph terms: rows of ``ox`` terms, the
    boolean as an ``ox.QueryBoolean``, and a CONSTRUCT's triples as a list of ``ox.Triple`` in
    the order the engine sent them (in ``QueryResult.graph``), for the queries of
    :meth:`ask_dataset`; its own requests (the graphs it serves) are read as the base class
    reads them. Read-only use only."""

    _ox = False

    def _result(self, ctype: str, body: bytes) -> QueryResult:
        if not self._ox:
            return super()._result(ctype, body)
        mime = ctype.split(";")[0].strip().lower()
        try:
            if mime in ("application/sparql-results+json", "application/json"):
                doc = json.loads(body.decode("utf-8"))
                if "boolean" in doc:
                    return QueryResult(boolean=_TRUE if doc["boolean"] else _FALSE)  # type: ignore[arg-type]
                names = list(doc["head"]["vars"])
                rows = [tuple(_term(b[n]) if n in b else None for n in names)
                        for b in doc["results"]["bindings"]]
                return QueryResult(vars=names, rows=rows)  # type: ignore[arg-type]
            fmt = {"application/n-triples": ox.RdfFormat.N_TRIPLES, "text/plain": ox.RdfFormat.N_TRIPLES,
                   "text/turtle": ox.RdfFormat.TURTLE}.get(mime)
            if fmt is not None:
                triples = [q.triple for q in ox.parse(body, format=fmt)]
                return QueryResult(graph=triples)  # type: ignore[arg-type]
        except (ValueError, KeyError, TypeError, SyntaxError) as e:
            raise StoreError(f"the SPARQL endpoint {self.query_url} answered something that is "
                             f"not a SPARQL result ({type(e).__name__}: "
                             f"{' '.join(str(e).split())[:120]})") from None
        raise StoreError(f"the SPARQL endpoint {self.query_url} answered with an unexpected "
                         f"content type {ctype!r}")

    def served_graphs(self, recorded: Sequence[URIRef] | None = None) -> list[str]:
        """scgraph's graphs on the endpoint that a query's dataset holds (of ``recorded``, the
        :meth:`own_graphs` already asked for, if given)."""
        own = self.own_graphs() if recorded is None else recorded
        return [str(g) for g in own if servable_graph(str(g)) and g not in self.hidden]

    def ask_dataset(self, text: str, default: Sequence[str] | None = None,
                    named: Sequence[str] | None = None) -> QueryResult:
        """``text`` (checked by :func:`foreign_graphs` first) over scgraph's graphs: ``default``
        (None: all of them) merged as the default graph, ``named`` (None: all) by ``GRAPH``."""
        from rdflib import URIRef

        why = foreign_graphs(text)
        if why is not None:
            raise QueryError(why)
        for g in [*(default or ()), *(named or ())]:
            if not servable_graph(g):
                raise QueryError(f"{g[:160]} is not one of scgraph's graphs (IRIs under {_OWN})")
        recorded = self.own_graphs()
        whole = not default and not named and self._whole_as_default(recorded)  # ;dataset=union
        own = self.served_graphs(recorded)
        d = None if whole else [URIRef(g) for g in (default if default else own)] or [NO_GRAPH]
        n = None if whole else [URIRef(g) for g in (named if named else own)] or [NO_GRAPH]
        self._ox = True
        try:
            return self._query(text, d, n)
        finally:
            self._ox = False


def open_remote(url: str, timeout: float | None = None) -> RemoteStore:
    """The store a worker (or the server, to check the endpoint at start) reads through."""
    from ..store import _env_positive

    read = timeout if timeout is not None else _env_positive("SCGRAPH_SPARQL_TIMEOUT", 60.0)
    return RemoteStore(url, timeout=read, retries=1)


def check_endpoint(url: str) -> int:
    """The number of scgraph graphs the endpoint serves; a one-line error naming ``--store``
    when it cannot be reached or holds none."""
    from ..errors import ServerError

    store = open_remote(url, timeout=30.0)
    try:
        graphs = store.served_graphs()
    except ScgraphError as e:
        raise ServerError(f"--store sparql:{url}: {e}") from None
    if not graphs:
        raise ServerError(f"--store sparql:{url}: the SPARQL endpoint holds none of scgraph's graphs "
                          f"(IRIs under {_OWN}); run 'scgraph build --store sparql:{url}' first")
    return len(graphs)


def remote_select(store: RemoteStore, sparql: str) -> list[list[Cell]]:
    """Rows of one of the server's own SELECTs (identifier pages) as cells."""
    res = store.ask_dataset(sparql)
    return [[to_cell(t) for t in row] for row in res.rows]


def _syntax(text: str, base: str | None) -> str | None:
    """Why ``text`` is not a SPARQL 1.1 query as Oxigraph reads it (one line), or None: parsed
    against an empty store, never evaluated past what parsing needs."""
    try:
        res = ox.Store().query(text, base_iri=base)
    except SyntaxError as e:
        return "bad SPARQL query: " + " ".join(str(e).split())[:400]
    except (RuntimeError, OSError, ValueError) as e:  # e.g. a SERVICE call: refused before here
        return "bad SPARQL query: " + " ".join(str(e).split())[:400]
    del res
    return None


_RELATIVE = re.compile(r"<(?![A-Za-z][A-Za-z0-9+.\-]*:)[^<>\"{}|^`\\\x00-\x20]*>")


def run_remote_query(store: RemoteStore, sparql: str, accept: str | None, fmt: str | None,
                     max_rows: int, prefixes: dict[str, str], default_graphs: list[str] | None = None,
                     named_graphs: list[str] | None = None, max_bytes: int | None = None,
                     base_iri: str | None = None) -> Any:
    """:func:`.workers.run_query` for a SPARQL endpoint: the query checked here (syntax, graphs),
    sent with scgraph's graphs as its dataset, and written as the embedded store's answers are.
    An endpoint that cannot be reached, or fails, is a 502; a query it refuses a 400."""

    why = _syntax(sparql, base_iri) or foreign_graphs(sparql, base_iri)
    if why is not None:
        return _error(400, why)
    text = sparql
    if base_iri and _RELATIVE.search(_strip_strings(sparql)):
        text = f"BASE <{base_iri}>\n{sparql}"  # relative IRIs resolve as on the embedded store
    try:
        res = store.ask_dataset(text, default_graphs, named_graphs)
    except QueryError as e:
        return _error(400, f"the SPARQL engine behind this endpoint refused the query: {e}")
    except ScgraphError as e:
        if "answered HTTP" in str(e):  # the engine failed on this query (Virtuoso: HTTP 500)
            return _error(502, f"the SPARQL engine behind this endpoint failed on the query: {e}")
        return _error(502, f"the SPARQL engine behind this endpoint did not answer: {e}")
    if res.boolean is not None:
        return write_answer("ask", res.boolean, [], accept, fmt, max_rows, prefixes, max_bytes)
    if res.graph is not None:
        return write_answer("graph", res.graph, [], accept, fmt, max_rows, prefixes, max_bytes)
    return write_answer("select", res.rows, res.vars, accept, fmt, max_rows, prefixes, max_bytes)


def _strip_strings(text: str) -> str:
    """``text`` with its comments and strings blanked (IRIs kept)."""
    return "".join(" " if m.lastgroup in ("comment", "string") else m.group()
                   for m in _TOKEN.finditer(text))
