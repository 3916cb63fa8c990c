"""The endpoint's result formats: content negotiation and the graph writers (the SPARQL results
writers are :func:`scgraph.terms.write_select` and :func:`scgraph.terms.write_boolean`).
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox


#: Result formats: short name -> media type.
SELECT_FORMATS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_FORMATS = {
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}
FORMAT_ALIASES = {
    "json": "json", "srj": "json", "application/sparql-results+json": "json", "application/json": "json",
    "xml": "xml", "srx": "xml", "application/sparql-results+xml": "xml", "application/xml": "xml",
    "csv": "csv", "text/csv": "csv",
    "tsv": "tsv", "text/tab-separated-values": "tsv",
    "turtle": "turtle", "ttl": "turtle", "text/turtle": "turtle",
    "n3": "turtle", "text/n3": "turtle", "text/rdf+n3": "turtle",  # Turtle is N3
    "ntriples": "ntriples", "nt": "ntriples", "n-triples": "ntriples", "application/n-triples": "ntriples",
    "jsonld": "jsonld", "json-ld": "jsonld", "application/ld+json": "jsonld",
    "rdfxml": "rdfxml", "rdf": "rdfxml", "rdf/xml": "rdfxml", "application/rdf+xml": "rdfxml",
}
_OX_GRAPH_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
                     "jsonld": ox.RdfFormat.JSON_LD, "rdfxml": ox.RdfFormat.RDF_XML}
TRUNCATED_HEADER = "X-SPARQL-Truncated"
MAX_ROWS_HEADER = "X-SPARQL-Max-Rows"
MAX_BYTES_HEADER = "X-SPARQL-Max-Bytes"  # an answer cut at --max-bytes (with X-SPARQL-Truncated)


# =========================================================================== negotiation


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """Media ranges of an Accept header with their q-values, best first (stable for ties)."""
    out = []
    for i, part in enumerate((header or "").split(",")):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        q = 1.0
        for f in fields[1:]:
            name, _, value = f.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        out.append((fields[0].lower(), q, i))
    out.sort(key=lambda t: (-t[1], t[2]))
    return [(m, q) for m, q, _i in out if q > 0]


def negotiate(accept: str | None, offers: dict[str, str], aliases: dict[str, str] | None = None) -> str | None:
    """The key of ``offers`` (key -> media type, in server preference order) that ``accept`` likes best.

    No Accept header means the first offer; ``None`` means nothing acceptable (406).
    """
    ranges = parse_accept(accept)
    if not ranges:
        return next(iter(offers))
    aliases = aliases or {}
    for media, _q in ranges:
        if media in aliases and aliases[media] in offers:
            return aliases[media]
        for key, offered in offers.items():
            if media == offered or media == "*/*" or (media.endswith("/*") and offered.startswith(media[:-1])):
                return key
    return None


# =========================================================================== graph writers


def _graph_bytes(triples: list[Any], key: str, prefixes: dict[str, str]) -> bytes:
    fmt = _OX_GRAPH_FORMATS[key]
    used = prefixes if key != "ntriples" else None
    return ox.serialize(triples, format=fmt, prefixes=used) or b""
