"""Checks on SPARQL text made before any engine parses or evaluates it.

Both engines we run follow a query out of the process: Oxigraph and rdflib evaluate
``SERVICE <IRI>`` by an HTTP request to that IRI, ``LOAD <IRI>`` reads any IRI (``file:`` too),
and rdflib also fetches every ``FROM``/``FROM NAMED``/``USING`` IRI. And both parsers are
recursive: pyoxigraph's overflows the C stack (the process dies) at a few thousand nested
``{``, and its time grows exponentially with nested ``[ ... ]`` blank nodes. So the text is
read once here, by a tokenizer that skips strings, IRIs and comments as SPARQL does, and is
refused (a :class:`~scgraph.errors.QueryError`, one line) when it:

- holds the keyword ``SERVICE`` (any case) whose endpoint is not on the allow-list, or whose
  endpoint is a variable;
- holds the keyword ``LOAD`` and loading is not allowed (it never is for the server);
- holds ``FROM`` or ``USING`` where the engine fetches dataset IRIs (rdflib);
- nests brackets deeper than :data:`MAX_DEPTH` (``[`` deeper than :data:`MAX_BLANK_DEPTH`);
- declares more than :data:`MAX_PREFIXES` prefixes or is longer than :data:`MAX_CHARS`.

A word counts as a keyword unless it is a variable (``?service``), part of a prefixed name
(``ex:service``, ``service:x``) or inside a string, IRI or comment. Where SPARQL's lexer and
this one could disagree (``ex:a-service``, ``"x"@service``), the word is taken as the keyword:
the check errs towards refusing, never towards letting a request out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .errors import QueryError

#: Deepest nesting of ``{``, ``(`` and ``[`` together (real queries stay under 30;
#: pyoxigraph's parser dies of a stack overflow near 3,000 nested ``{``).
MAX_DEPTH = 200
#: Deepest nesting of ``[ ... ]`` blank nodes (pyoxigraph takes ~0.05 s at 45, minutes at 500).
MAX_BLANK_DEPTH = 32
#: Most ``PREFIX``/``BASE`` declarations.
MAX_PREFIXES = 1000
#: Longest query or update, in characters.
MAX_CHARS = 4_000_000

_TOKEN = re.compile(
    r"(?P<comment>\#[^\n]*)"
    r"|(?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r'|"(?:[^"\\\n\r]|\\.)*")'
    r'|(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)'
    r"|(?P<escape>\\[_~.\-!$&'()*+,;=/?\#@%])"
    r"|(?P<word>[^\W\d]\w*)"
    r"|(?P<open>[{(\[])"
    r"|(?P<close>[})\]])"
    r"|(?P<space>\s+)"
    r"|(?P<other>[^\#'\"<\\{}()\[\]\w\s]+|.)",
    re.DOTALL,
)


@dataclass
class Scan:
    """What :func:`scan` found in a text."""

    services: list[str | None] = field(default_factory=list)  # endpoint IRIs; None: not known
    loads: int = 0
    dataset_clauses: int = 0  # FROM, FROM NAMED, USING
    depth: int = 0
    blank_depth: int = 0
    prefixes: int = 0


_PREFIX_DECL = re.compile(r'\s*((?:[^\W\d][\w\-.]*)?:)\s*<([^<>"{}|^`\\\x00-\x20]*)>')
_SERVICE_ARG = re.compile(r'\s*(?:(?i:SILENT)\s*)?(?:<([^<>"{}|^`\\\x00-\x20]*)>|((?:[^\W\d][\w\-.]*)?:)([\w\-.:]*))')


def scan(text: str) -> Scan:
    """Read ``text`` as SPARQL tokens (without parsing it) and report what :func:`check` needs."""
    out = Scan()
    declared: dict[str, str] = {}
    stack: list[str] = []
    blank = 0
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "open":
            stack.append(m.group())
            if m.group() == "[":
                blank += 1
                out.blank_depth = max(out.blank_depth, blank)
            out.depth = max(out.depth, len(stack))
            continue
        if kind == "close":
            if stack and stack.pop() == "[":
                blank -= 1
            continue
        if kind != "word" or _in_name(text, m.start(), m.end()):
            continue
        word = m.group().upper()
        if word == "SERVICE":
            out.services.append(_endpoint(text, m.end(), declared))
        elif word == "LOAD":
            out.loads += 1
        elif word in ("FROM", "USING"):
            out.dataset_clauses += 1
        elif word in ("PREFIX", "BASE"):
            out.prefixes += 1
            decl = _PREFIX_DECL.match(text, m.end()) if word == "PREFIX" else None
            if decl is not None:
                declared[decl.group(1)] = decl.group(2)
    return out


def first_keyword(text: str) -> str:
    """The first keyword after the prologue (``PREFIX``/``BASE`` declarations), upper case:
    ``SELECT``, ``INSERT``, ...; "" when there is none. Linear in the text."""
    skip = False
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("comment", "space"):
            continue
        if skip:
            skip = kind != "iri"
            continue
        if kind != "word":
            return ""
        word = m.group().upper()
        if word in ("PREFIX", "BASE"):
            skip = True
            continue
        return word
    return ""


def _in_name(text: str, start: int, end: int) -> bool:
    """Whether the word at ``text[start:end]`` is a variable or part of a prefixed name."""
    return (start > 0 and text[start - 1] in "?$:") or text.startswith(":", end)


def _endpoint(text: str, at: int, declared: dict[str, str]) -> str | None:
    """The IRI named by the SERVICE whose keyword ends at ``at``; None when it is a variable or
    cannot be read here (an escape in a prefixed name, an undeclared prefix, a comment)."""
    arg = _SERVICE_ARG.match(text, at)
    if arg is None:
        return None
    if arg.group(1) is not None:
        return arg.group(1)
    local = arg.group(3)
    if local.endswith(".") or arg.group(2) not in declared:
        return None
    return declared[arg.group(2)] + local


def allowed(iri: str, prefixes: Iterable[str]) -> bool:
    """Whether ``iri`` is under one of the URL ``prefixes`` (same scheme, host and port; the
    path starting with the prefix's path), so ``http://a.example`` never allows
    ``http://a.example.evil.org``."""
    try:
        target = urlsplit(iri)
        tport = target.port
    except ValueError:
        return False
    if target.username is not None or target.password is not None or not target.hostname:
        return False
    for prefix in prefixes:
        try:
            p = urlsplit(prefix)
            pport = p.port
        except ValueError:
            continue
        if ((p.scheme.lower(), p.hostname, pport) == (target.scheme.lower(), target.hostname, tport)
                and target.path.startswith(p.path) and (p.query == "" or target.query.startswith(p.query))):
            return True
    return False


_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _codepoint(m: re.Match[str]) -> str:
    code = int(m.group(1) or m.group(2), 16)
    return chr(code) if code <= 0x10FFFF else m.group()


def check(text: str, *, allow_service: Iterable[str] = (), allow_load: bool = False,
          fetches_dataset: bool = False, what: str = "query") -> Scan:
    """Refuse ``text`` (a QueryError) when an engine would leave the process for it, or when it
    is too deep or too long to parse safely; return the scan otherwise.

    ``allow_service``: URL prefixes a ``SERVICE`` may name. ``allow_load``: whether ``LOAD`` is
    accepted. ``fetches_dataset``: the engine fetches ``FROM``/``USING`` IRIs (rdflib).
    """
    if len(text) > MAX_CHARS:
        raise QueryError(f"the {what} is {len(text):,} characters long, over the limit of "
                         f"{MAX_CHARS:,}")
    found = scan(text)
    if _CODEPOINT.search(text):
        # SPARQL reads \uXXXX and \UXXXXXXXX before parsing (rdflib does, everywhere; Oxigraph
        # in strings and IRIs): what either reading finds counts
        other = scan(_CODEPOINT.sub(_codepoint, text))
        found = Scan(services=found.services + other.services, loads=found.loads + other.loads,
                     dataset_clauses=found.dataset_clauses + other.dataset_clauses,
                     depth=max(found.depth, other.depth), blank_depth=max(found.blank_depth, other.blank_depth),
                     prefixes=max(found.prefixes, other.prefixes))
    if found.depth > MAX_DEPTH:
        raise QueryError(f"the {what} nests brackets {found.depth:,} deep, over the limit of "
                         f"{MAX_DEPTH}; write it with fewer nested groups")
    if found.blank_depth > MAX_BLANK_DEPTH:
        raise QueryError(f"the {what} nests blank nodes [ ... ] {found.blank_depth:,} deep, over the "
                         f"limit of {MAX_BLANK_DEPTH}")
    if found.prefixes > MAX_PREFIXES:
        raise QueryError(f"the {what} declares {found.prefixes:,} prefixes, over the limit of "
                         f"{MAX_PREFIXES:,}")
    prefixes = list(allow_service)
    for iri in found.services:
        if iri is None:
            raise QueryError("SERVICE with an endpoint that is a variable or cannot be read is "
                             "refused: federated queries may only name an allowed endpoint")
        if not allowed(iri, prefixes):
            raise QueryError(f"SERVICE <{iri}> is refused: federated queries are off "
                             + ("(allow an endpoint with --allow-service URL_PREFIX)" if not prefixes
                                else "(not under an allowed --allow-service prefix)"))
    if found.loads and not allow_load:
        raise QueryError("LOAD is refused: this endpoint does not load documents from IRIs "
                         "(http, file or any other)")
    if found.dataset_clauses and fetches_dataset:
        raise QueryError("FROM, FROM NAMED and USING are refused by the in-memory (rdflib) store, "
                         "which would fetch their IRIs; use GRAPH, or --store oxigraph")
    return found
