"""Where RDF terms and SPARQL results cross between libraries: rdflib, pyoxigraph, text and JSON.

Every conversion of a term from one library to another, and every SPARQL results writer
(JSON, XML, CSV, TSV), lives here and nowhere else:

- :func:`to_ox` / :func:`from_ox`: rdflib terms to pyoxigraph terms and back;
- :func:`from_json`: a term of a SPARQL JSON results document as an rdflib term;
- :func:`to_cell` / :func:`from_cell`: any term as a :data:`Cell`, the plain picklable tuple
  the endpoint's workers hand to its pages, and back to rdflib;
- :func:`rdflib_quad` / :func:`ox_quad`: quads either way;
- :func:`display`: a term for people (prefixed IRI, literal text);
- :func:`write_select` / :func:`write_boolean`: SPARQL 1.1 query results, for rows of
  rdflib terms, pyoxigraph terms or cells alike.

A foundation module: it imports nothing from scgraph but :mod:`scgraph.errors` and
:mod:`scgraph.namespaces`.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Iterator, Sequence
from json.encoder import encode_basestring  # type: ignore[attr-defined]
from typing import Any, BinaryIO, NamedTuple

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.term import Node

from .errors import QueryError
from .namespaces import short

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

#: A quad as rdflib terms ``(s, p, o, graph)`` or as a pyoxigraph Quad.
QuadLike = tuple[Node, Node, Node, Node] | ox.Quad

#: A term as a plain tuple ``(kind, value, language, datatype)`` (picklable, library-free):
#: kind is ``uri``, ``bnode``, ``literal`` or ``triple`` (an RDF 1.2 triple term, its
#: N-Triples text as value); ``""`` for no language or datatype. ``None``: unbound.
Cell = tuple[str, str, str, str] | None


# =========================================================================== rdflib <-> pyoxigraph


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
        if dt in (_XSD_STRING, _RDF_LANG_STRING):
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(dt))
    raise QueryError(f"cannot convert the RDF term {term!r} (RDF-star triple terms are not supported)")


def plain(term: object) -> object:
    """``"x"^^xsd:string`` as the plain literal ``"x"`` (as rdflib and Oxigraph read them);
    any other term as it is."""
    if isinstance(term, Literal) and term.datatype is not None and str(term.datatype) == _XSD_STRING:
        return Literal(str(term))
    return term


def from_json(t: dict) -> Node:
    """A term of a SPARQL 1.1 JSON results document (``{"type": ..., "value": ...}``) as an
    rdflib term; a ValueError if it is not one."""
    kind, value = t.get("type"), t.get("value")
    if not isinstance(value, str):
        raise ValueError(f"a binding without a string value: {t!r}")
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if kind in ("literal", "typed-literal"):
        if "xml:lang" in t:
            return Literal(value, lang=t["xml:lang"])
        dt = t.get("datatype")
        if dt is None or dt == _XSD_STRING:
            return Literal(value)
        return Literal(value, datatype=URIRef(dt))
    raise ValueError(f"unknown term type {kind!r}")


# =========================================================================== cells


def to_cell(term: object) -> Cell:
    """A pyoxigraph or rdflib term (or a cell, or None) as a :data:`Cell`.

    Values, language tags and datatypes are kept as the library gives them (a pyoxigraph
    plain literal has the datatype xsd:string, an rdflib one ``""``).
    """
    if term is None or isinstance(term, tuple):
        return term  # type: ignore[return-value]
    if isinstance(term, ox.NamedNode):
        return ("uri", term.value, "", "")
    if isinstance(term, ox.BlankNode):
        return ("bnode", term.value, "", "")
    if isinstance(term, ox.Literal):
        return ("literal", term.value, term.language or "", term.datatype.value)
    if isinstance(term, URIRef):
        return ("uri", str(term), "", "")
    if isinstance(term, BNode):
        return ("bnode", str(term), "", "")
    if isinstance(term, Literal):
        return ("literal", str(term), term.language or "",
                "" if term.datatype is None else str(term.datatype))
    return ("triple", str(term), "", "")


def from_cell(cell: Cell) -> Node:
    """A (bound) :data:`Cell` as an rdflib term (plain literals without xsd:string)."""
    assert cell is not None
    kind, value, lang, datatype = cell
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if lang:
        return Literal(value, lang=lang)
    if datatype and datatype != _XSD_STRING:
        return Literal(value, datatype=URIRef(datatype))
    return Literal(value)


# =========================================================================== quads


def graph_id(g: object) -> Node:
    """The name of a graph given as an rdflib Graph or as its name."""
    return g.identifier if isinstance(g, Graph) else g  # type: ignore[return-value]


def rdflib_quad(q: QuadLike) -> tuple[Node, Node, Node, Node]:
    """A quad as rdflib terms (pyoxigraph's default graph as rdflib's default graph id)."""
    if isinstance(q, ox.Quad):
        return (from_ox(q.subject), from_ox(q.predicate), from_ox(q.object),  # type: ignore[return-value]
                from_ox(q.graph_name) if not isinstance(q.graph_name, ox.DefaultGraph)
                else DATASET_DEFAULT_GRAPH_ID)
    s, p, o, g = q
    return s, p, o, graph_id(g)


def ox_quad(q: QuadLike) -> ox.Quad:
    """A quad as a pyoxigraph Quad (rdflib's default graph id as the default graph)."""
    if isinstance(q, ox.Quad):
        return q
    s, p, o, g = q
    g = graph_id(g)
    graph = ox.DefaultGraph() if g is None or g == DATASET_DEFAULT_GRAPH_ID else to_ox(g)
    return ox.Quad(to_ox(s), to_ox(p), to_ox(o), graph)  # type: ignore[arg-type]


# =========================================================================== text


def display(term: Node | None) -> str:
    """A term for people: prefixed IRI, literal text (with its language tag, as YASGUI shows
    it: ``"Bruxelles"@fr``), empty when unbound."""
    if term is None:
        return ""
    if isinstance(term, Literal):
        return f'"{term}"@{term.language}' if term.language else str(term)
    if isinstance(term, BNode):
        return f"_:{term}"
    return short(term)


_NT_ESCAPES = {ord("\b"): "\\b", ord("\t"): "\\t", ord("\n"): "\\n", ord("\f"): "\\f", ord("\r"): "\\r",
               ord('"'): '\\"', ord("\\"): "\\\\", 0x7F: "\\u007F",
               **{c: f"\\u{c:04X}" for c in range(0x20) if c not in (8, 9, 10, 12, 13)}}


def nt_term(cell: Cell) -> str:
    """A cell in N-Triples syntax, escaped as Oxigraph writes terms (empty when unbound)."""
    if cell is None:
        return ""
    kind, value, lang, datatype = cell
    if kind == "uri":
        return f"<{value}>"
    if kind == "bnode":
        return f"_:{value}"
    if kind != "literal":
        return value
    text = '"' + value.translate(_NT_ESCAPES) + '"'
    if lang:
        return f"{text}@{lang}"
    if datatype and datatype != _XSD_STRING:
        return f"{text}^^<{datatype}>"
    return text


# =========================================================================== SPARQL results


def _xml_term(cell: tuple[str, str, str, str]) -> str:
    e = html.escape
    kind, value, lang, datatype = cell
    if kind == "uri":
        return f"<uri>{e(value, quote=False)}</uri>"
    if kind == "bnode":
        return f"<bnode>{e(value, quote=False)}</bnode>"
    if lang:
        return f'<literal xml:lang="{e(lang)}">{e(value, quote=False)}</literal>'
    if datatype and datatype != _XSD_STRING:
        return f'<literal datatype="{e(datatype)}">{e(value, quote=False)}</literal>'
    return f"<literal>{e(value, quote=False)}</literal>"


def _csv_field(cell: Cell) -> str:
    if cell is None:
        return ""
    text = f"_:{cell[1]}" if cell[0] == "bnode" else cell[1]
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_line(fields: list[str]) -> str:
    # A row of one empty field is written "" (as Python's csv module does), not as a blank line.
    return '""' if fields == [""] else ",".join(fields)


def write_select(fmt: str, variables: Sequence[str], rows: Iterable[Sequence[Any]], *,
                 indent: int | None = None) -> bytes:
    """SPARQL 1.1 results of a SELECT in ``fmt`` (``json``, ``xml``, ``csv`` or ``tsv``).

    ``rows`` hold rdflib terms, pyoxigraph terms or cells; None is unbound. ``indent``
    pretty-prints JSON (with a final newline). CSV: full IRIs, literal values, CRLF line ends;
    TSV: ``?var`` header, terms in N-Triples syntax.

    Written here rather than by pyoxigraph's ``QuerySolutions.serialize``, which fits none of
    the callers: the endpoint cuts answers at ``max_rows`` (pyoxigraph writes every solution of
    its iterator, and a ``QuerySolutions`` cannot be made from the rows kept), the catalogue's
    rows are rdflib terms from any store, and the bytes differ where the tests pin them:
    pyoxigraph's TSV abbreviates numbers and booleans (``3``, not
    ``"3"^^<http://www.w3.org/2001/XMLSchema#integer>``, tests/test_server.py and
    tests/test_catalogue.py), and its CSV leaves an IRI with a comma unquoted
    (tests/test_catalogue.py). The terms of TSV are escaped as Oxigraph writes them.
    """
    if fmt == "json":
        return "".join(json_select(variables, rows, indent)).encode("utf-8")
    cells = [[to_cell(t) for t in row] for row in rows]
    if fmt == "xml":
        parts = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>']
        parts += [f'<variable name="{v}"/>' for v in variables]
        parts.append("</head>\n<results>")
        for row in cells:
            parts.append("<result>" + "".join(
                f'<binding name="{v}">{_xml_term(c)}</binding>' for v, c in zip(variables, row) if c is not None)
                + "</result>")
        parts.append("</results>\n</sparql>\n")
        return "\n".join(parts).encode("utf-8")
    if fmt == "csv":
        lines = [_csv_line([_csv_field(c) for c in row]) for row in cells]
        return "".join(line + "\r\n" for line in [",".join(variables), *lines]).encode("utf-8")
    if fmt == "tsv":
        lines = ["\t".join(f"?{v}" for v in variables)]
        lines += ["\t".join(nt_term(c) for c in row) for row in cells]
        return ("\n".join(lines) + "\n").encode("utf-8")
    raise ValueError(fmt)


#: pyoxigraph's results formats by short name.
RESULTS_FORMATS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
                   "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}


def write_boolean(fmt: str, value: bool | ox.QueryBoolean, *, indent: int | None = None) -> bytes:
    """SPARQL 1.1 results of an ASK query in ``fmt`` (``json``, ``xml``, ``csv`` or ``tsv``).

    A pyoxigraph ``QueryBoolean`` is written by pyoxigraph's own serialiser in JSON and XML
    (unless ``indent`` asks for pretty JSON). CSV and TSV are written here, with Jena's
    ``_askResult`` header line: pyoxigraph writes a bare ``true``, not a table.
    """
    if isinstance(value, ox.QueryBoolean):
        if fmt in ("json", "xml") and indent is None:
            return value.serialize(format=RESULTS_FORMATS[fmt])  # type: ignore[return-value]
        value = bool(value)
    word = "true" if value else "false"
    if fmt == "json":
        return _json_bytes({"head": {}, "boolean": value}, indent)
    if fmt == "xml":
        return ('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n'
                f"<head/>\n<boolean>{word}</boolean>\n</sparql>\n").encode()
    if fmt == "csv":
        return f"_askResult\r\n{word}\r\n".encode()
    return f"?_askResult\n{word}\n".encode()


def json_select(variables: Sequence[str], rows: Iterable[Sequence[Any]],
                indent: int | None = None) -> Iterator[str]:
    """The text of :func:`write_select`'s JSON, in pieces as ``rows`` are read (a bulk export
    streams): the bytes ``json.dumps(doc, ensure_ascii=False, indent=indent)`` gives for the
    whole document (tests/test_results_formats.py), with no document held. A piece per row,
    written with a template for the layout (``json.dumps`` with an indent runs its pure-Python
    encoder: several times the cost of a row read from the store)."""
    head = json.dumps({"head": {"vars": list(variables)}}, ensure_ascii=False, indent=indent)
    if indent is None:
        pad = ["", "", "", "", "", ""]
        comma = ", "
    else:
        pad = ["\n" + " " * (indent * depth) for depth in range(6)]
        comma = ","
    keys = [encode_basestring(v) + ": " for v in variables]
    term_sep = comma + pad[5]
    term_end = pad[4] + "}"
    key_sep = comma + pad[4]
    row_start = "{" + pad[4]
    row_end = pad[3] + "}"
    yield head[: -len(pad[0]) - 1] + comma + pad[1] + '"results": {' + pad[2] + '"bindings": ['
    uri = "{" + pad[5] + '"type": "uri"' + term_sep + '"value": '
    bnode = "{" + pad[5] + '"type": "bnode"' + term_sep + '"value": '
    literal = "{" + pad[5] + '"type": "literal"' + term_sep + '"value": '
    lang_key, datatype_key = term_sep + '"xml:lang": ', term_sep + '"datatype": '
    named, ox_literal = ox.NamedNode, ox.Literal  # a store's terms, the bulk case, without to_cell
    sep = pad[3]
    for row in rows:
        parts = []
        for key, term in zip(keys, row):
            if term is None:
                continue
            if type(term) is named:
                parts.append(key + uri + encode_basestring(term.value) + term_end)
                continue
            if type(term) is ox_literal:
                value, lang, datatype = term.value, term.language, term.datatype.value
                kind = "literal"
            else:
                cell = to_cell(term)
                assert cell is not None  # None was skipped above
                kind, value, lang, datatype = cell
            text = (uri if kind == "uri" else bnode if kind == "bnode" else literal) + encode_basestring(value)
            if kind not in ("uri", "bnode"):
                if lang:
                    text += lang_key + encode_basestring(lang)
                elif datatype and datatype != _XSD_STRING:
                    text += datatype_key + encode_basestring(datatype)
            parts.append(key + text + term_end)
        yield sep + (row_start + key_sep.join(parts) + row_end if parts else "{}")
        sep = comma + pad[3]
    end = "]" if sep == pad[3] else pad[2] + "]"  # an empty list closes where it opens
    yield end + pad[1] + "}" + pad[0] + "}" + ("\n" if indent is not None else "")


def write_json_select(variables: Sequence[str], rows: Iterable[Sequence[Any]], out: BinaryIO,
                      indent: int | None = None, batch: int = 512) -> None:
    """:func:`json_select` written to ``out`` as UTF-8, ``batch`` rows at a time."""
    pieces: list[str] = []
    for piece in json_select(variables, rows, indent):
        pieces.append(piece)
        if len(pieces) >= batch:
            out.write("".join(pieces).encode("utf-8"))
            pieces.clear()
    out.write("".join(pieces).encode("utf-8"))


def _json_bytes(doc: dict, indent: int | None) -> bytes:
    text = json.dumps(doc, ensure_ascii=False, indent=indent)
    return (text + "\n" if indent is not None else text).encode("utf-8")


# --------------------------------------------------------------------------- light terms
# What importers stream: IRIs as ``str``, literals as :class:`Lit`. Importers produce millions
# of triples; plain strings and one named tuple cost a fraction of rdflib or Oxigraph terms, and
# each import sink (:mod:`scgraph.importers.sink`) converts them once, with these functions.

class Lit(NamedTuple):
    """A literal as the generator produces it; sinks turn it into their own literal type."""

    value: str
    datatype: str | None = None
    lang: str | None = None


LightTerm = str | Lit  # an IRI (str) or a literal
LightTriple = tuple[str, str, LightTerm]


def light_to_rdflib(term: LightTerm) -> URIRef | Literal:
    if isinstance(term, Lit):
        return Literal(term.value, datatype=URIRef(term.datatype) if term.datatype else None,
                       lang=term.lang)
    return URIRef(term)


def light_to_ox(term: LightTerm) -> ox.NamedNode | ox.Literal:
    if isinstance(term, Lit):
        if term.lang:
            return ox.Literal(term.value, language=term.lang)
        if term.datatype:
            return ox.Literal(term.value, datatype=ox.NamedNode(term.datatype))
        return ox.Literal(term.value)
    return ox.NamedNode(term)


def _nq_escape(value: str) -> str:
    return (value.replace("\\", "\\\\").replace('"', '\\"')
            .replace("\n", "\\n").replace("\r", "\\r"))


def light_to_nt(term: LightTerm) -> str:
    if isinstance(term, Lit):
        if term.lang:
            return f'"{_nq_escape(term.value)}"@{term.lang}'
        if term.datatype:
            return f'"{_nq_escape(term.value)}"^^<{term.datatype}>'
        return f'"{_nq_escape(term.value)}"'
    return f"<{term}>"
