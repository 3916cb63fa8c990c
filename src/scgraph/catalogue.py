"""The query catalogue: the ``.rq`` files of ``queries/``, their headers and parameters.

A query file starts with ``# key: value`` comment lines::

    # title: Units of an organisation
    # description: Every organisation that is a unit of the given one,
    #   directly or not.
    # params: org: iri, year: integer

``params`` is ``none`` or a comma-separated list of ``name: type``; a type ending in ``?``
(``year: integer?``) makes the parameter optional. Types: ``iri`` and the XSD datatypes in
:data:`PARAM_TYPES`. Parameters are bound as RDF terms, never pasted into the query. Results
are written by :mod:`scgraph.results`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast

from . import resources, sparql_guard
from .errors import QueryError, SourceError
from .inputs import decode_utf8, read_bytes

# Listing the catalogue ('scgraph queries') and reading a query's header need none of rdflib,
# pyoxigraph or the store (files are read by scgraph.inputs, which imports none of them): they are imported inside the functions that run or check a query
# (tests/test_cli_startup.py checks what 'scgraph queries' imports).
if TYPE_CHECKING:
    from rdflib.term import Node

    from .store import QueryResult, Store

#: Parameter types and the local name of their literals' XSD datatype (``None``: an IRI).
PARAM_TYPES: dict[str, str | None] = {
    "iri": None,
    "string": "string",
    "integer": "integer",
    "decimal": "decimal",
    "double": "double",
    "boolean": "boolean",
    "date": "date",
    "datetime": "dateTime",
    "year": "gYear",
}

_KEY_LINE = re.compile(r"^#\s?(\w[\w-]*):\s*(.*?)\s*$")
_CONTINUATION = re.compile(r"^#\s{2,}(\S.*?)\s*$")


@dataclass(frozen=True)
class Param:
    """One declared parameter of a query."""

    name: str
    type: str
    optional: bool = False


@dataclass(frozen=True)
class Query:
    """A stored query: its file stem is its name."""

    name: str
    title: str
    description: str
    params: tuple[Param, ...]
    sparql: str
    path: Path | None = None
    header: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        takes = ", ".join(p.name for p in self.params) or "no parameters"
        raise QueryError(f"unknown parameter {name!r} for query {self.name!r}; it takes: {takes}")


def _parse_params(text: str, path: Path | None, line: int) -> tuple[Param, ...]:
    if text.strip().lower() in ("", "none"):
        return ()
    out = []
    for item in text.split(","):
        name, sep, type_ = (s.strip() for s in item.partition(":"))
        optional = type_.endswith("?")
        type_ = type_.rstrip("?").strip().lower()
        if not sep or not re.fullmatch(r"[A-Za-z_]\w*", name) or type_ not in PARAM_TYPES:
            raise QueryError(
                f"bad parameter {item.strip()!r} in the header; write 'name: type' with type one "
                f"of {', '.join(PARAM_TYPES)}", path=path, line=line)
        out.append(Param(name, type_, optional))
    return tuple(out)


#: The prefix of the catalogue's plumbing: the bulk exports that 'scgraph analyse', 'plot' and
#: 'export-graph' read (one row per node, link or label, unordered). They are listed apart from
#: the analysts' questions.
PLUMBING_PREFIX = "analysis_"


def is_plumbing(name: str) -> bool:
    """Whether the query ``name`` is an analysis export rather than an analyst's question."""
    return name.startswith(PLUMBING_PREFIX)


def split_catalogue(cat: dict[str, Query]) -> tuple[list[str], list[str]]:
    """The names of ``cat``: the analysts' questions, then the analysis exports, each in order."""
    return [n for n in cat if not is_plumbing(n)], [n for n in cat if is_plumbing(n)]


def parse_query(text: str, name: str, path: Path | None = None) -> Query:
    """Read a query's header; the SPARQL text is the whole file (comments included)."""
    header: dict[str, str] = {}
    lines: dict[str, int] = {}
    last: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#"):
            break
        cont = _CONTINUATION.match(line)
        key = _KEY_LINE.match(line)
        if cont and last is not None:
            header[last] += " " + cont.group(1)
        elif key:
            last = key.group(1).lower()
            header[last] = key.group(2)
            lines[last] = number
        else:
            last = None
    params = _parse_params(header.get("params", "none"), path, lines.get("params", 1))
    return Query(name=name, title=header.get("title", ""), description=header.get("description", ""),
                 params=params, sparql=text, path=path, header=header)


def load_query(path: Path | str) -> Query:
    """Load one ``.rq`` file."""
    path = Path(path)
    return parse_query(decode_utf8(read_bytes(path), path), path.stem, path)


def load_catalogue(directory: Path | str | None = None) -> dict[str, Query]:
    """Every ``.rq`` file of ``directory`` (default ``queries/``), by name, sorted."""
    directory = Path(directory) if directory is not None else resources.queries_dir()
    return {p.stem: load_query(p) for p in sorted(directory.glob("*.rq"))}


def get_query(name_or_path: str | Path, directory: Path | str | None = None) -> Query:
    """A query of the catalogue by name, or any ``.rq`` file by path."""
    text = str(name_or_path)
    if text.endswith(".rq") or "/" in text or Path(text).is_file():
        try:
            return load_query(text)
        except SourceError as e:
            raise QueryError(e.message, path=e.path, line=e.line) from None
    catalogue = load_catalogue(directory)
    if text not in catalogue:
        raise QueryError(f"unknown query {text!r}; run 'scgraph queries' to list the queries")
    return catalogue[text]


# --------------------------------------------------------------------------- running


def to_term(value: str, type_: str, name: str = "value") -> Node:
    """A parameter value as an RDF term: an IRI for ``iri``, else a literal of its datatype.

    IRIs may be written in full, in angle brackets, or with a scgraph prefix (``id:city/porto``).
    """
    from rdflib import Literal, URIRef
    from rdflib.namespace import XSD

    from . import parse
    from .namespaces import PREFIXES

    if type_ == "iri":
        v = value.strip()
        if v.startswith("<") and v.endswith(">"):
            v = v[1:-1]
        prefix, sep, local = v.partition(":")
        if sep and prefix in PREFIXES and not local.startswith("//"):
            return URIRef(str(PREFIXES[prefix]) + local)
        if len(v) > len(v.split(":", 1)[0]) + 1 and parse.iri_problem(v) is None:  # strict: no
            return URIRef(v)  # space, control character, <>"{}|^`\\ can reach the query
        raise QueryError(f"parameter {name!r} must be an IRI (https://... or prefix:name), got {value!r}")
    xsd_name = PARAM_TYPES.get(type_)
    if xsd_name is None or type_ not in PARAM_TYPES:
        raise QueryError(f"parameter {name!r} has unknown type {type_!r}")
    datatype = getattr(XSD, xsd_name)
    if datatype == XSD.string:
        return Literal(value)
    if datatype == XSD.boolean:
        if value.lower() not in ("true", "false", "1", "0"):
            raise QueryError(f"parameter {name!r} must be true or false, got {value!r}")
        return Literal(value.lower() in ("true", "1"))
    lit = Literal(value, datatype=datatype)
    if lit.ill_typed:
        raise QueryError(f"parameter {name!r} must be of type {type_}, got {value!r}")
    return lit


def bindings(query: Query, params: dict[str, str]) -> dict[str, Node]:
    """Check ``params`` against the query's declared parameters and convert them to terms."""
    out: dict[str, Node] = {}
    for name, value in params.items():
        out[name] = to_term(value, query.param(name).type, name)
    for p in query.params:
        if p.name not in out and not p.optional:
            raise QueryError(f"missing parameter {p.name!r} ({p.type}) for query {query.name!r}")
    return out


def check_syntax(query: Query, allow_service: Iterable[str] = ()) -> None:
    """Raise a QueryError naming the file and line if the SPARQL does not parse, or if
    :func:`scgraph.sparql_guard.check` refuses it (federation off the allow-list, ``LOAD``,
    nesting too deep to parse safely).

    Nothing remote is ever contacted: the guard runs first, and a query with an allowed
    ``SERVICE`` is checked by rdflib's parser alone (Oxigraph's check evaluates the query on an
    empty store, which would call the service). Otherwise Oxigraph decides; rdflib's parser,
    which points at the offending line more precisely, words the error when it fails too.
    """
    import pyoxigraph as ox

    from .store import query_error

    where = query.path or query.name
    try:
        found = sparql_guard.check(query.sparql, allow_service=allow_service)
    except QueryError as e:
        raise QueryError(str(e), path=where) from None
    if found.services:
        # rdflib's SPARQL parser takes about 0.1 s to import: only where it is used
        from rdflib.plugins.sparql.parser import parseQuery

        try:
            parseQuery(query.sparql)
        except Exception as rdflib_error:  # noqa: BLE001 - pyparsing's ParseException, RecursionError
            raise query_error(rdflib_error, where=where) from None
        return
    try:
        ox.Store().query(query.sparql)
    except SyntaxError as e:
        from rdflib.plugins.sparql.parser import parseQuery  # it words the error

        try:
            parseQuery(query.sparql)
        except Exception as rdflib_error:  # pyparsing's ParseException
            raise query_error(rdflib_error, where=where) from None
        raise query_error(e, where=where) from None


def _checked(store: Store, query: Query, params: dict[str, str] | None,
             allow_service: Iterable[str]) -> dict[str, Node]:
    from .store import MemoryStore

    bound = bindings(query, params or {})
    check_syntax(query, allow_service)
    try:
        sparql_guard.check(query.sparql, allow_service=allow_service,
                           fetches_dataset=isinstance(store, MemoryStore))
    except QueryError as e:
        raise QueryError(str(e), path=query.path or query.name) from None
    return bound


def run(store: Store, query: Query, params: dict[str, str] | None = None,
        allow_service: Iterable[str] = ()) -> QueryResult:
    """Run a catalogue query on ``store`` with ``params`` (strings, converted to terms).

    ``SERVICE`` is refused unless its endpoint is under one of ``allow_service``; on the
    in-memory store (rdflib, which fetches them) ``FROM`` and ``FROM NAMED`` are refused too.
    """
    return store.query(query.sparql, _checked(store, query, params, allow_service))


def run_streamed(store: Store, query: Query, out: BinaryIO, format: str = "csv",
                 params: dict[str, str] | None = None, allow_service: Iterable[str] = ()) -> QueryResult | None:
    """:func:`run`, with the answer of a SELECT on an embedded Oxigraph store written to ``out``
    as the store gives the rows (``format``: CSV or TSV by Oxigraph itself, through
    :class:`scgraph.results.StreamGuard`; JSON by :func:`scgraph.terms.write_json_select`): the
    bytes :func:`scgraph.results.to_csv`, :func:`~scgraph.results.to_tsv` or
    :func:`~scgraph.results.to_json` write for the answer (tests/test_exports_csv.py), literals
    in the store's lexical form; returns None then. Any other store or query form: the
    :class:`QueryResult`, for the caller to format."""
    from .store import OxigraphStore

    bound = _checked(store, query, params, allow_service)
    if not isinstance(store, OxigraphStore):
        return store.query(query.sparql, bound)
    from .results import GUARDS, CommaInIri, finish_csv

    if format == "json":  # scgraph's own writer: nothing to check
        return store.write_select(query.sparql, bound, out, format)
    guard = GUARDS[format](out)
    try:
        # a stream with write(): all Oxigraph's writer needs
        result = store.write_select(query.sparql, bound, cast("BinaryIO", guard), format)
    except CommaInIri:  # rare: scgraph's own CSV for the rest, from the query run again
        finish_csv(guard, store.query(query.sparql, bound))
        return None
    if result is None:
        guard.close()
    return result


def run_csv(store: Store, query: Query, out: BinaryIO, params: dict[str, str] | None = None,
            allow_service: Iterable[str] = ()) -> QueryResult | None:
    """:func:`run_streamed` as CSV."""
    return run_streamed(store, query, out, "csv", params, allow_service)
