"""The answers the server's workers send back: an HTTP status, a media type and a body written
in the negotiated format, cut at the row and byte limits. Shared by the embedded store's workers
(:mod:`.workers`) and those in front of a SPARQL endpoint (:mod:`.remote`), so that the same
terms give the same bytes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..terms import write_boolean, write_select
from .formats import (FORMAT_ALIASES, GRAPH_FORMATS, MAX_BYTES_HEADER, SELECT_FORMATS, TRUNCATED_HEADER,
                      _graph_bytes, negotiate)


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


def write_answer(kind: str, res: Any, variables: list[str], accept: str | None, fmt: str | None,
                 max_rows: int, prefixes: dict[str, str], max_bytes: int | None = None) -> Answer:
    """An answer in the negotiated format: ``kind`` ``"ask"`` (``res`` a boolean), ``"graph"``
    (``res`` iterates over triples) or ``"select"`` (``res`` iterates over rows of terms, one
    per variable of ``variables``), cut at ``max_rows`` rows and ``max_bytes`` bytes.

    Shared by the embedded store's answers and those of a SPARQL endpoint
    (:mod:`.remote`), so that the same terms give the same bytes."""
    is_graph = kind == "graph"
    offers = GRAPH_FORMATS if is_graph else SELECT_FORMATS
    if fmt:
        key = FORMAT_ALIASES.get(fmt.lower())
        if is_graph and key in ("json", "xml"):
            key = "jsonld" if key == "json" else "rdfxml"
        if key not in offers:
            what = "CONSTRUCT and DESCRIBE" if is_graph else "SELECT and ASK"
            return _error(406, f"format {fmt!r} is not available for {what} queries; use one of "
                               f"{', '.join(offers)}")
    else:
        key = negotiate(accept, offers, {"application/json": "jsonld" if is_graph else "json",
                                         "text/plain": "ntriples" if is_graph else "tsv",
                                         "application/xml": "rdfxml" if is_graph else "xml"})
        if key is None:
            return _error(406, f"cannot answer in any of the accepted media types {accept!r}; "
                               f"this query's results come as {', '.join(offers.values())}")
    media = offers[key] + ("; charset=utf-8" if key in ("csv", "tsv", "turtle", "ntriples") else "")
    try:
        if kind == "ask":
            return Answer(200, media, write_boolean(key, res))
        budget = max_bytes if max_bytes is not None else 1 << 62
        if is_graph:
            triples, truncated, over = _take(res, max_rows, budget, lambda t: len(str(t)) + 8)
            return _capped(200, media, triples, lambda ts: _graph_bytes(ts, key, prefixes),
                           truncated, over, budget)
        rows, truncated, over = _take(
            res, max_rows, budget, lambda row: sum(len(str(c)) + 16 for c in row if c is not None) + 8)
        return _capped(200, media, rows, lambda rs: write_select(key, variables, rs), truncated,
                       over, budget)
    except (RuntimeError, OSError, ValueError) as e:
        return _error(500, f"query failed: {e}")


def _take(items: Any, max_rows: int, budget: int, size_of: Any) -> tuple[list[Any], bool, bool]:
    """The first ``max_rows`` of ``items`` whose estimated size (``size_of`` each) stays within
    ``budget`` bytes; whether the row cap cut them, and whether the byte budget did."""
    taken: list[Any] = []
    size = 0
    for item in items:
        if len(taken) == max_rows:
            return taken, True, False
        size += size_of(item)
        if size > budget:
            return taken, False, True
        taken.append(item)
    return taken, False, False

def _capped(status: int, media: str, rows: list[Any], write: Any, truncated: bool, over: bool,
            budget: int) -> Answer:
    """The answer for ``rows`` written by ``write``, with rows dropped from the end until the
    bytes fit in ``budget`` (the size estimate made while reading the rows is close, not exact)."""
    body = write(rows)
    while len(body) > budget and rows:
        over = True
        rows = rows[:max(0, min(len(rows) - 1, int(len(rows) * budget / len(body) * 0.95)))]
        body = write(rows)
    if over:
        return Answer(status, media, body, headers={TRUNCATED_HEADER: "true", MAX_BYTES_HEADER: str(budget)})
    return Answer(status, media, body, truncated=truncated)
