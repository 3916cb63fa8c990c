"""Identifier pages: what the graph says of one IRI, as HTML, Turtle or JSON-LD.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

from ..terms import Cell, from_cell

def percent_path(path: str) -> str:
    """``path`` with every character that is not safe in a URL path percent-encoded."""
    return quote(path, safe="/#:@!$&'()*+,;=-._~%")




# =========================================================================== HTTP handlers

_RESOURCE_FORMATS = {"html": "text/html", "turtle": "text/turtle", "jsonld": "application/ld+json",
                     "ntriples": "application/n-triples"}
_LABEL_PREDICATES = [
    "http://www.w3.org/2004/02/skos/core#prefLabel", "http://www.w3.org/2000/01/rdf-schema#label",
    "https://schema.org/name", "http://xmlns.com/foaf/0.1/name", "http://purl.org/dc/terms/title",
]
_STATED_IN = "https://w3id.org/scgraph/ontology#statedIn"
_NT_IRI = re.compile(r'^[^<>"{}|^`\\\x00-\x20]*$')


def _nt_iri(iri: str) -> str:
    if not _NT_IRI.match(iri):
        raise ValueError(iri)
    return f"<{iri}>"


def _sparql_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'


# =========================================================================== identifier pages

_XSD = "http://www.w3.org/2001/XMLSchema#"


def local_href(iri: str) -> str:
    """Where the endpoint serves ``iri``: a path under ``/`` for scgraph IRIs, else the IRI."""
    from ..namespaces import BASE

    if iri.startswith(BASE):
        return "/" + percent_path(iri[len(BASE):])
    return iri if re.match(r"https?://", iri, re.IGNORECASE) else ""  # no javascript:, data:, ...


def _iri_html(iri: str, labels: dict[str, str]) -> str:
    from ..namespaces import short
    from rdflib import URIRef

    name = short(URIRef(iri))
    label = labels.get(iri)
    text = f"{html.escape(label)} <small>{html.escape(name)}</small>" if label else html.escape(name)
    href = local_href(iri)
    if not href:
        return f'<span class="iri">{text}</span>'
    return f'<a href="{html.escape(href, quote=True)}">{text}</a>'


def _cell_html(cell: Cell, labels: dict[str, str]) -> str:
    if cell is None:
        return ""
    kind, value, lang, datatype = cell
    if kind == "uri":
        return _iri_html(value, labels)
    if kind == "bnode":
        return f"<code>_:{html.escape(value)}</code>"
    extra = ""
    if lang:
        extra = f' <small class="lang">@{html.escape(lang)}</small>'
    elif datatype and datatype != _XSD + "string":
        dt = "xsd:" + datatype[len(_XSD):] if datatype.startswith(_XSD) else datatype
        extra = f' <small class="dt">{html.escape(dt)}</small>'
    return f'<span class="literal">{html.escape(value)}</span>{extra}'


def page_html(title: str, body: str) -> str:
    """A page of the endpoint with its header and style sheet."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)} · scgraph</title>\n"
            "<link rel=\"stylesheet\" href=\"/static/style.css\">\n</head>\n<body class=\"page\">\n"
            "<header class=\"top\"><a class=\"brand\" href=\"/\">scgraph</a>"
            "<nav><a href=\"/\">Questions</a><a href=\"/ontology\">Ontology</a>"
            "<a href=\"/sparql\">SPARQL endpoint</a></nav></header>\n"
            f"<main>\n{body}\n</main>\n</body>\n</html>\n")


def resource_html(iri: str, out_rows: list[list[Cell]], in_rows: list[list[Cell]],
                  labels: dict[str, str]) -> str:
    """The HTML page of a thing: its statements (with their graphs), incoming links, sources."""
    from ..namespaces import short
    from rdflib import URIRef

    title = labels.get(iri) or short(URIRef(iri))
    parts = [f"<h1>{html.escape(title)}</h1>",
             f'<p class="iri"><code>{html.escape(iri)}</code> · '
             f'<a href="?format=turtle">Turtle</a> · <a href="?format=jsonld">JSON-LD</a> · '
             f'<a href="?format=ntriples">N-Triples</a></p>']
    by_subject: dict[str, list[list[Cell]]] = {}
    for row in out_rows:
        s = row[0]
        if s is not None:
            by_subject.setdefault(s[1], []).append(row)
    subjects = ([iri] if iri in by_subject else []) + sorted(s for s in by_subject if s != iri)
    for s in subjects:
        rows = by_subject[s]
        if s != iri:
            fragment = s.split("#", 1)[1] if "#" in s else s
            parts.append(f'<h2 id="{html.escape(fragment, quote=True)}">{_iri_html(s, labels)}</h2>')
        else:
            parts.append("<h2>Statements</h2>")
        parts.append('<table class="statements"><thead><tr><th>property</th><th>value</th>'
                     "<th>named graph</th></tr></thead><tbody>")
        for _s, p, o, g in rows:
            parts.append(f"<tr><td>{_cell_html(p, labels)}</td><td>{_cell_html(o, labels)}</td>"
                         f"<td>{_cell_html(g, labels)}</td></tr>")
        parts.append("</tbody></table>")
    if in_rows:
        parts.append(f"<h2>Incoming links ({len(in_rows)})</h2>")
        parts.append('<table class="statements"><thead><tr><th>subject</th><th>property</th>'
                     "<th>named graph</th></tr></thead><tbody>")
        for s_cell, p, g in in_rows:
            parts.append(f"<tr><td>{_cell_html(s_cell, labels)}</td><td>{_cell_html(p, labels)}</td>"
                         f"<td>{_cell_html(g, labels)}</td></tr>")
        parts.append("</tbody></table>")
    graphs = sorted({row[3][1] for row in out_rows if row[3] is not None and row[0] is not None
                     and row[0][1] == iri})
    documents = sorted({row[2][1] for row in out_rows if row[1] is not None and row[1][1] == _STATED_IN
                        and row[2] is not None and row[2][0] == "uri"})
    if graphs or documents:
        parts.append("<h2>Sources</h2><ul class=\"sources\">")
        parts += [f"<li>stated in {_iri_html(d, labels)}</li>" for d in documents]
        parts += [f"<li>named graph {_iri_html(g, labels)}</li>" for g in graphs]
        parts.append("</ul>")
    return page_html(title, "\n".join(parts))


def resource_rdf(iri: str, out_rows: list[list[Cell]], in_rows: list[list[Cell]], key: str) -> bytes:
    """The statements about a thing and the links to it, as Turtle, JSON-LD or N-Triples."""
    from rdflib import Graph, URIRef

    from ..namespaces import bind_prefixes
    from ..publish.serialise import graph_jsonld, ntriples, turtle

    g = bind_prefixes(Graph())
    for s, p, o, _g in out_rows:
        g.add((from_cell(s), from_cell(p), from_cell(o)))
    for s, p, _g in in_rows:
        g.add((from_cell(s), from_cell(p), URIRef(iri)))
    if key == "turtle":
        return turtle(g)
    if key == "jsonld":
        return graph_jsonld(g)
    return ntriples(g)
