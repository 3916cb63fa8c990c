"""Where the graph lives: one small interface over an in-memory rdflib Dataset and Oxigraph.

Every later stage reads the graph through :class:`Store`: ``query`` sees the union of all
named graphs as its default graph, and ``GRAPH ?g`` reaches each named graph. Parameters are
passed as RDF terms (``bindings``), never pasted into the query text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, Literal, URIRef, Variable
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from .errors import QueryError, StoreError
from .namespaces import bind_prefixes


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

    def named_graphs(self) -> list[URIRef]: ...

    def __len__(self) -> int: ...

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

    def query(self, sparql: str, bindings: dict[str, Node] | None = None) -> QueryResult:
        init = {Variable(k): v for k, v in (bindings or {}).items()}
        try:
            res = self.ds.query(sparql, initBindings=init)
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

    def close(self) -> None:
        self.ds = Dataset(default_union=True)


# --------------------------------------------------------------------------- Oxigraph


def to_ox(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An rdflib term as a pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise QueryError(f"cannot use {term!r} as an RDF term")


def from_ox(term: object) -> Node | None:
    """A pyoxigraph term as an rdflib term (plain literals lose their xsd:string)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        if dt in (str(XSD.string), str(RDF.langString)):
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(dt))
    raise QueryError(f"cannot convert the RDF term {term!r} (RDF-star triple terms are not supported)")


def values_clause(bindings: dict[str, Node]) -> str:
    """A SPARQL ``VALUES`` clause binding each variable to its term (in N-Triples syntax)."""
    names = sorted(bindings)
    for n in names:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n):
            raise QueryError(f"bad parameter name {n!r}")
    terms = " ".join(bindings[n].n3() for n in names)
    return f"VALUES ({' '.join('?' + n for n in names)}) {{ ({terms}) }}"


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

    def __init__(self, path: Path | str | None = None) -> None:
        try:
            self.store = ox.Store(str(path)) if path is not None else ox.Store()
        except OSError as e:
            raise StoreError(f"cannot open the Oxigraph store: {e}", path=path) from None
        self.path = path

    def load_dataset(self, ds: Dataset) -> None:
        data = ds.serialize(format="nquads", encoding="utf-8")
        try:
            self.store.load(data, format=ox.RdfFormat.N_QUADS)
        except (SyntaxError, OSError, ValueError) as e:
            raise StoreError(f"cannot load the dataset into Oxigraph: {e}", path=self.path) from None

    def _run(self, sparql: str, bindings: dict[str, Node]) -> object:
        # Not pyoxigraph's ``substitutions``: they bind only variables of the SELECT
        # projection (SEP-0007) and are ignored silently in some CONSTRUCT queries.
        return self.store.query(bind_values(sparql, bindings), use_default_graph_as_union=True)

    def query(self, sparql: str, bindings: dict[str, Node] | None = None) -> QueryResult:
        try:
            res = self._run(sparql, bindings or {})
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

    def close(self) -> None:
        if self.path is not None:
            self.store.flush()
        self.store = ox.Store()


# --------------------------------------------------------------------------- specs


STORE_SPECS = "memory, oxigraph or oxigraph:PATH"


def open_store(spec: str) -> Store:
    """Open a store from a spec: ``memory``, ``oxigraph`` (in memory) or ``oxigraph:PATH``."""
    kind, _, arg = spec.partition(":")
    if spec == "memory":
        return MemoryStore()
    if kind == "oxigraph":
        return OxigraphStore(Path(arg) if arg else None)
    if kind == "sparql":
        # A later issue adds remote SPARQL 1.1 endpoints here (SparqlStore(url)).
        raise StoreError(f"remote SPARQL endpoints are not supported yet: {spec!r}; use {STORE_SPECS}")
    raise StoreError(f"unknown store {spec!r}; use {STORE_SPECS}")
