"""Reading RDF: every input file parsed with a one-line error naming the file and line.

Sizes are capped (``SCGRAPH_MAX_INPUT_BYTES``, ``SCGRAPH_MAX_LITERAL_CHARS``), XML entity
declarations and remote JSON-LD contexts are refused (no input reaches another host or file),
and IRIs that Turtle would reject are reported where they are.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import warnings
import xml.sax
from collections.abc import Iterable, Iterator
from pathlib import Path

from rdflib import Dataset, Graph, Literal, URIRef

from .errors import SourceError
from .inputs import decode_utf8, max_literal_chars, read_bytes


# --------------------------------------------------------------------------- reading

FORMATS = {
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".nt": "nt",
    ".nq": "nquads",
    ".trig": "trig",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".rdf": "xml",
    ".owl": "xml",
    ".xml": "xml",
}
QUAD_FORMATS = {"trig", "nquads"}

_LINE_RE = re.compile(r"(?:at line|line:?)\s*(\d+)", re.IGNORECASE)


def guess_format(path: Path | str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise SourceError(
            f"unknown RDF file extension {suffix!r}; use one of {', '.join(sorted(FORMATS))}",
            path=path,
        )
    return FORMATS[suffix]


def _first_line(text: str) -> str:
    for line in str(text).splitlines():
        if line.strip():
            return line.strip()
    return str(text).strip()


def _error_line(exc: BaseException) -> int | None:
    if isinstance(exc, json.JSONDecodeError):
        return exc.lineno
    if isinstance(exc, xml.sax.SAXParseException):
        return exc.getLineNumber()
    lines = getattr(exc, "lines", None)  # rdflib's notation3 BadSyntax counts from 0
    if isinstance(lines, int):
        return lines + 1
    m = _LINE_RE.search(str(exc))
    return int(m.group(1)) if m else None


def _error_reason(exc: BaseException) -> str:
    why = getattr(exc, "_why", None)  # BadSyntax keeps the reason apart from the context
    if why:
        return f"bad syntax: {why}"
    if isinstance(exc, json.JSONDecodeError):
        return f"bad JSON: {exc.msg}"
    if isinstance(exc, xml.sax.SAXParseException):
        return f"bad XML: {exc.getMessage()}"
    text = _first_line(str(exc)) or type(exc).__name__
    text = re.sub(r"^at line \d+ of <[^>]*>:\s*", "", text)
    return text[:300]


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


_XML_DECLARATIONS = re.compile(r"<!(DOCTYPE|ENTITY)\b", re.IGNORECASE)


def _refuse_xml_declarations(text: str, path: Path) -> None:
    """No DTD in RDF/XML: entities can read local files (XXE) or expand without bound."""
    m = _XML_DECLARATIONS.search(text)
    if m:
        raise SourceError(f"<!{m.group(1).upper()}> declarations are not accepted in RDF/XML "
                          "(external entities and entity expansion are refused); remove the "
                          "DOCTYPE block", path=path, line=_line_of(text, m.start()))


def _remote_contexts(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "@context":
                for ctx in value if isinstance(value, list) else [value]:
                    if isinstance(ctx, str):
                        yield ctx
                    elif isinstance(ctx, dict):
                        if isinstance(ctx.get("@import"), str):
                            yield ctx["@import"]
                        yield from _remote_contexts(ctx)
            else:
                yield from _remote_contexts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _remote_contexts(item)


#: The deepest nesting of JSON arrays and objects accepted in JSON-LD: ``json`` and rdflib's
#: JSON-LD parser recurse once per level, and Python's stack allows about 1,000.
MAX_NESTING = 100
#: The most prefix declarations one Turtle, TriG or N3 file may hold. rdflib binds each into a
#: namespace trie at a cost that grows with the number bound so far (10^4 took 5 s, 2·10^4
#: 25 s); real files declare a few dozen.
MAX_PREFIXES = 1_000

_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_PREFIX_DECL = re.compile(r"(?:^|(?<=[\s.;}]))(?:@prefix|(?i:prefix))\s+[^\s:<]*:\s*<", re.MULTILINE)


def _refuse_deep_json(text: str, path: Path) -> None:
    """JSON nested deeper than :data:`MAX_NESTING`: refused before ``json.loads`` and rdflib,
    which would recurse until Python's stack runs out."""
    depth = 0
    for m in _JSON_TOKEN.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > MAX_NESTING:
                raise SourceError(f"JSON nested more than {MAX_NESTING} levels deep; flatten it",
                                  path=path, line=_line_of(text, m.start()))
        elif c in "]}":
            depth -= 1


def _refuse_many_prefixes(text: str, path: Path) -> None:
    """More than :data:`MAX_PREFIXES` prefix declarations: refused before rdflib binds them."""
    for n, m in enumerate(_PREFIX_DECL.finditer(text), start=1):
        if n > MAX_PREFIXES:
            raise SourceError(f"more than {MAX_PREFIXES:,} prefix declarations; declare only "
                              "the prefixes the file uses", path=path,
                              line=_line_of(text, m.start()))


def _refuse_remote_contexts(text: str, path: Path) -> None:
    """JSON-LD ``@context`` must be inline: rdflib would fetch a remote one from the network."""
    _refuse_deep_json(text, path)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise SourceError(f"bad JSON: {e.msg}", path=path, line=e.lineno) from None
    except RecursionError:  # pragma: no cover - _refuse_deep_json stops it first
        raise SourceError(f"JSON nested more than {MAX_NESTING} levels deep; flatten it",
                          path=path) from None
    for ctx in _remote_contexts(doc):
        needle = json.dumps(ctx)
        at = text.find(needle)
        raise SourceError(f"remote JSON-LD context {ctx!r} is not fetched; put the context inline",
                          path=path, line=_line_of(text, at) if at >= 0 else None)


#: What an IRI may not contain (RFC 3987 and the IRIREF production of Turtle and SPARQL).
_BAD_IRI_CHAR = re.compile(r'[\x00-\x20<>"{}|^`\\\x7f]')
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def iri_problem(iri: str) -> str | None:
    """Why ``iri`` is not an absolute IRI that N-Triples and SPARQL can carry, or None."""
    if not _SCHEME.match(iri):
        return "no scheme (an absolute IRI starts like https:)"
    m = _BAD_IRI_CHAR.search(iri)
    if m:
        return f"the character {m.group()!r} is not allowed in an IRI"
    import pyoxigraph as ox

    try:
        ox.NamedNode(iri)  # RFC 3987, as strict as the store that will hold it
    except ValueError as e:
        return " ".join(str(e).split())[:120]
    return None


def _find_line(text: str, *needles: str) -> int | None:
    """The first line (not a comment line) holding the first of ``needles`` found."""
    lines = text.splitlines()
    for needle in needles:
        if needle:
            for number, line in enumerate(lines, start=1):
                if needle in line and not line.lstrip().startswith("#"):
                    return number
    return None


def _check_terms(terms: Iterable[object], text: str, path: Path) -> None:
    """Refuse invalid IRIs, ill-typed literals and literals over :func:`max_literal_chars`."""
    longest = max_literal_chars()
    seen: set[object] = set()
    for t in terms:
        if t in seen:
            continue
        seen.add(t)
        if isinstance(t, URIRef):
            why = iri_problem(str(t))
            if why:
                raise SourceError(f"invalid IRI <{t}>: {why}", path=path,
                                  line=_find_line(text, str(t), str(t).rsplit("/", 1)[-1]))
        elif isinstance(t, Literal):
            if len(t) > longest:
                raise SourceError(f"a literal of {len(t):,} characters, over the limit of "
                                  f"{longest:,}; set SCGRAPH_MAX_LITERAL_CHARS to raise it",
                                  path=path, line=_find_line(text, str(t)[:200]))
            if t.ill_typed:
                assert t.datatype is not None
                raise SourceError(f"ill-typed literal {str(t)!r}: not a valid <{t.datatype}>",
                                  path=path, line=_find_line(text, f'"{t}"^^', f'"{t}"', str(t)))
            if t.datatype is not None and iri_problem(str(t.datatype)):
                raise SourceError(f"invalid datatype IRI <{t.datatype}>: "
                                  f"{iri_problem(str(t.datatype))}", path=path,
                                  line=_find_line(text, str(t.datatype)))


class _Quiet(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False


@contextlib.contextmanager
def _quiet_rdflib() -> Iterator[None]:
    """rdflib logs bad IRIs and literals (with tracebacks) while parsing; we report them once."""
    logger = logging.getLogger("rdflib.term")
    quiet = _Quiet()
    logger.addFilter(quiet)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            yield
    finally:
        logger.removeFilter(quiet)


def _oxigraph_line(text: str, fmt: str) -> int | None:
    """Oxigraph's position of a syntax error in N-Triples/N-Quads (rdflib gives none)."""
    import pyoxigraph as ox

    ox_fmt = {"nt": ox.RdfFormat.N_TRIPLES, "nquads": ox.RdfFormat.N_QUADS}.get(fmt)
    if ox_fmt is None:
        return None
    try:
        for _q in ox.parse(text.encode("utf-8"), format=ox_fmt):
            pass
    except SyntaxError as e:
        return e.lineno
    return None


def parse_into(target: Graph | Dataset, path: Path | str, format: str | None = None,
               publicID: str | None = None) -> None:
    """Parse one RDF file into ``target``; a syntax error becomes a one-line SourceError.

    ``target`` is left as it was when parsing fails: the file is parsed into a scratch graph
    first and only then merged. Besides syntax errors, refused with file and line: files over
    :func:`max_input_bytes`, text that is not UTF-8, DTDs in RDF/XML (no entity is ever
    expanded), remote JSON-LD contexts (nothing is fetched), invalid IRIs, ill-typed literals
    and literals over :func:`max_literal_chars`.
    """
    path = Path(path)
    data = read_bytes(path)  # first: a missing file or a folder says so, whatever its name
    fmt = format or guess_format(path)
    text = decode_utf8(data, path)
    if fmt in ("xml", "trix"):
        _refuse_xml_declarations(text, path)
    elif fmt == "json-ld":
        _refuse_remote_contexts(text, path)
    elif fmt in ("turtle", "trig", "n3"):
        _refuse_many_prefixes(text, path)
    scratch: Graph | Dataset = Dataset() if fmt in QUAD_FORMATS else Graph()
    try:
        with _quiet_rdflib():
            scratch.parse(data=text, format=fmt, publicID=publicID or path.resolve().as_uri())
    except Exception as e:  # rdflib raises many unrelated types for bad syntax
        line = _error_line(e) or _oxigraph_line(text, fmt)
        raise SourceError(_error_reason(e), path=path, line=line) from None
    triples = (q[:3] for q in scratch.quads((None, None, None, None))) \
        if isinstance(scratch, Dataset) else iter(scratch)
    _check_terms((t for triple in triples for t in triple), text, path)
    if isinstance(scratch, Dataset):
        if isinstance(target, Dataset):
            for q in scratch.quads((None, None, None, None)):
                target.add(q)
        else:
            for s, p, o, _g in scratch.quads((None, None, None, None)):
                target.add((s, p, o))
    else:
        if isinstance(target, Dataset):
            target.default_graph += scratch  # type: ignore[attr-defined]
        else:
            target += scratch


def load_graph(*paths: Path | str) -> Graph:
    """Parse one or more RDF files into a fresh graph."""
    g = Graph()
    for p in paths:
        parse_into(g, p)
    return g
