"""Identifier pages: what the graph says of one IRI, as HTML, Turtle or JSON-LD.
"""

from __future__ import annotations

import html
import re
from typing import Any
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


_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
#: Predicates of a thing's full name, preferred for the heading over rdfs:label (which is
#: often an acronym: a project's rdfs:label "SPARCs", its dcterms:title the full name).
_NAME_PREDICATES = ["http://purl.org/dc/terms/title", "https://schema.org/name", "http://xmlns.com/foaf/0.1/name",
                    "http://www.w3.org/2004/02/skos/core#prefLabel", _RDFS_LABEL]
_CURRENCIES = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF"}
#: Parameter names of catalogue questions that differ from the local name of their class.
_PARAM_CLASSES = {"organization": "organisation", "topic": "discussiontopic", "programme": "fundingprogramme"}


def amount_text(value: str, currency: str) -> str:
    """``1234567`` ``EUR`` as ``€ 1,234,567`` (two decimals where the amount has cents)."""
    from decimal import Decimal, InvalidOperation

    try:
        number = Decimal(value)
    except InvalidOperation:
        return f"{currency} {value}".strip()
    text = f"{number:,.0f}" if number == number.to_integral_value() else f"{number:,.2f}"
    return f"{_CURRENCIES.get(currency.upper(), currency)} {text}".strip()


def _name_of(iri: str, rows: list[list[Cell]]) -> str | None:
    """The full name the thing's own statements give it (see :data:`_NAME_PREDICATES`)."""
    best: tuple[int, int, str] | None = None
    for s, p, o, _g in rows:
        if s is None or p is None or o is None or s[1] != iri or o[0] != "literal" or p[1] not in _NAME_PREDICATES:
            continue
        rank = (_NAME_PREDICATES.index(p[1]), 0 if o[2] in ("en", "", None) else 1, o[1])
        if best is None or rank < best:
            best = rank
    return best[2] if best else None


def _source_html(graphs: list[str], labels: dict[str, str], inferred: str,
                 numbers: dict[str, int] | None = None) -> str:
    """The sources of a fact: footnote numbers into the page's list of sources (the source's
    name in the title), or the reasoner."""
    items = []
    for g in sorted(graphs, key=lambda g: (numbers or {}).get(g, 0)):
        if g == inferred:
            items.append('<span class="reasoner">inferred</span>')
        elif numbers is not None and g in numbers:
            name = labels.get(g) or g
            items.append(f'<a href="#source-{numbers[g]}" title="{html.escape(name, quote=True)}">[{numbers[g]}]</a>')
        else:
            items.append(_iri_html(g, labels))
    return " ".join(items)


def _value_html(cell: Cell, labels: dict[str, str], amounts: dict[str, tuple[str, str]]) -> str:
    if cell is not None and cell[0] == "uri" and cell[1] in amounts:
        value, currency = amounts[cell[1]]
        href = local_href(cell[1])
        text = html.escape(amount_text(value, currency))
        return (f'<a class="amount" href="{html.escape(href, quote=True)}">{text}</a>' if href
                else f'<span class="amount">{text}</span>')
    return _cell_html(cell, labels)


def _fact_rows(rows: list[tuple[Cell, Cell, list[str]]], labels: dict[str, str],
               amounts: dict[str, tuple[str, str]], inferred: str, with_source: bool = True,
               numbers: dict[str, int] | None = None) -> str:
    out = []
    for p, o, graphs in rows:
        source = f'<td class="source">{_source_html(graphs, labels, inferred, numbers)}</td>' if with_source else ""
        out.append(f"<tr><td>{_cell_html(p, labels)}</td><td>{_value_html(o, labels, amounts)}</td>{source}</tr>")
    return "".join(out)


def _group(rows: list[tuple[Cell, Cell, Cell]]) -> list[tuple[Cell, Cell, list[str]]]:
    """(property, value, graph) rows as one row per (property, value) with its graphs; types
    first, then names, then the other properties by name."""
    groups: dict[tuple[Cell, Cell], list[str]] = {}
    for p, o, g in rows:
        graphs = groups.setdefault((p, o), [])
        if g is not None and g[1] not in graphs:
            graphs.append(g[1])

    def key(item: tuple[tuple[Cell, Cell], list[str]]) -> tuple[int, str, str]:
        (p, o), _ = item
        pred = p[1] if p is not None else ""
        first = 0 if pred == _RDF_TYPE else 1 if pred in _NAME_PREDICATES else 2
        return (first, pred, o[1] if o is not None else "")

    return [(p, o, sorted(gs)) for (p, o), gs in sorted(groups.items(), key=key)]


def question_links(iri: str, types: set[str], questions: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(href, title) of the catalogue questions with a parameter for a thing of one of ``types``:
    a parameter named after the class (``city`` for scg:City), of type ``iri``."""
    from urllib.parse import urlencode

    names = {t.rsplit("#", 1)[-1].rsplit("/", 1)[-1].lower() for t in types}
    out = []
    for q in questions:
        for p in q.get("params", []):
            pname = str(p["name"]).lower()
            if p["type"] == "iri" and _PARAM_CLASSES.get(pname, pname) in names:
                out.append(("/?" + urlencode({"q": q["name"], p["name"]: iri}), str(q.get("title") or q["name"])))
                break
    return out


def resource_html(iri: str, out_rows: list[list[Cell]], in_rows: list[list[Cell]],
                  labels: dict[str, str], amounts: dict[str, tuple[str, str]] | None = None,
                  questions: list[dict[str, Any]] | None = None) -> str:
    """The HTML page of a thing: its name as the heading; the questions of the catalogue about
    it; the statements its sources make, each with its source (named graph), amounts as
    amounts; the reasoner's statements apart, folded; incoming links; its sources.

    ``amounts``: value and currency of the scg:MonetaryAmount nodes among the values;
    ``questions``: the catalogue as /queries.json gives it (name, title, params).
    """
    from ..namespaces import BASE, short
    from rdflib import URIRef

    amounts = amounts or {}
    inferred = BASE + "graph/inferred"
    label = labels.get(iri)
    name = _name_of(iri, out_rows)
    title = name or label or short(URIRef(iri))
    types = {row[2][1] for row in out_rows if row[0] is not None and row[0][1] == iri and row[1] is not None
             and row[1][1] == _RDF_TYPE and row[2] is not None and row[2][0] == "uri"}
    asserted_types = sorted({row[2][1] for row in out_rows if row[0] is not None and row[0][1] == iri and row[1] is not None
                             and row[1][1] == _RDF_TYPE and row[2] is not None and row[2][0] == "uri"
                             and (row[3] is None or row[3][1] != inferred)})
    sub = []
    if label and label != title:
        sub.append(f'<span class="aka">{html.escape(label)}</span>')
    if asserted_types:
        sub.append('<span class="types">' + ", ".join(_iri_html(t, labels) for t in asserted_types) + "</span>")
    parts = [f"<h1>{html.escape(title)}</h1>"]
    if sub:
        parts.append('<p class="subtitle">' + " · ".join(sub) + "</p>")
    parts.append(f'<p class="iri"><code>{html.escape(iri)}</code> · '
                 f'<a href="?format=turtle">Turtle</a> · <a href="?format=jsonld">JSON-LD</a> · '
                 f'<a href="?format=ntriples">N-Triples</a></p>')
    links = question_links(iri, types, questions or [])
    if links:
        parts.append('<section class="questions"><h2>Questions about it</h2><ul class="questions">')
        parts += [f'<li><a href="{html.escape(h, quote=True)}">{html.escape(t)}</a></li>' for h, t in links]
        parts.append("</ul></section>")

    # every source graph of the page, numbered in order of first use (the thing's own facts first)
    numbers: dict[str, int] = {}
    for row in sorted(out_rows, key=lambda r: r[0] is None or r[0][1] != iri) + in_rows:
        g = row[-1]
        if g is not None and g[1] != inferred and g[1] not in numbers:
            numbers[g[1]] = len(numbers) + 1
    by_subject: dict[str, list[list[Cell]]] = {}
    for row in out_rows:
        first = row[0]
        if first is not None:
            by_subject.setdefault(first[1], []).append(row)
    subjects = ([iri] if iri in by_subject else []) + sorted(x for x in by_subject if x != iri)
    head = '<table class="statements"><thead><tr><th>property</th><th>value</th><th>source</th></tr></thead><tbody>'
    inferred_parts: list[str] = []
    for subject in subjects:
        rows = [(r[1], r[2], r[3]) for r in by_subject[subject]]
        stated = _group([r for r in rows if r[2] is None or r[2][1] != inferred])
        seen = {(p, o) for p, o, _ in stated}
        derived = [r for r in _group([r for r in rows if r[2] is not None and r[2][1] == inferred])
                   if (r[0], r[1]) not in seen]
        if subject != iri:
            fragment = subject.split("#", 1)[1] if "#" in subject else subject
            parts.append(f'<section class="asserted"><h2 id="{html.escape(fragment, quote=True)}">{_iri_html(subject, labels)}</h2>')
        else:
            parts.append('<section class="asserted"><h2>Statements</h2>'
                         '<p class="note">What the sources say; the numbers are the sources (named graphs) '
                         'listed at the end of the page.</p>')
        if stated:
            parts.append(head + _fact_rows(stated, labels, amounts, inferred, numbers=numbers) + "</tbody></table>")
        else:
            parts.append('<p class="note">No source states anything of it directly; see the inferred statements.</p>')
        parts.append("</section>")
        if derived:
            caption = "" if subject == iri else f"<h3>{_iri_html(subject, labels)}</h3>"
            inferred_parts.append(caption + '<table class="statements"><thead><tr><th>property</th><th>value</th>'
                                  "</tr></thead><tbody>" + _fact_rows(derived, labels, amounts, inferred, with_source=False)
                                  + "</tbody></table>")

    in_stated = [r for r in in_rows if r[2] is None or r[2][1] != inferred]
    stated_keys = {(r[0], r[1]) for r in in_stated}
    in_derived = [r for r in in_rows if r[2] is not None and r[2][1] == inferred and (r[0], r[1]) not in stated_keys]
    if in_stated:
        grouped = _group([(r[0], r[1], r[2]) for r in in_stated])
        parts.append(f'<section class="incoming"><h2>Incoming links ({len(grouped)})</h2>')
        parts.append('<table class="statements"><thead><tr><th>subject</th><th>property</th>'
                     "<th>source</th></tr></thead><tbody>")
        for s_cell, p, graphs in grouped:
            parts.append(f"<tr><td>{_cell_html(s_cell, labels)}</td><td>{_cell_html(p, labels)}</td>"
                         f'<td class="source">{_source_html(graphs, labels, inferred, numbers)}</td></tr>')
        parts.append("</tbody></table></section>")
    if in_derived:
        grouped_in = _group([(r[0], r[1], r[2]) for r in in_derived])
        inferred_parts.append("<h3>Incoming links</h3>"
                              '<table class="statements"><thead><tr><th>subject</th><th>property</th></tr></thead><tbody>'
                              + "".join(f"<tr><td>{_cell_html(s_cell, labels)}</td><td>{_cell_html(p, labels)}</td></tr>"
                                        for s_cell, p, _g in grouped_in)
                              + "</tbody></table>")
    if inferred_parts:
        count = sum(part.count("<tr><td>") for part in inferred_parts)
        parts.append(f'<details class="inferred"><summary>Inferred statements ({count}): derived by the '
                     "reasoner from the ontology, not stated by a source</summary>")
        parts += inferred_parts
        parts.append("</details>")

    documents = sorted({row[2][1] for row in out_rows if row[1] is not None and row[1][1] == _STATED_IN
                        and row[2] is not None and row[2][0] == "uri"})
    if numbers or documents:
        parts.append('<h2>Sources</h2><ol class="sources">')
        parts += [f'<li id="source-{n}" value="{n}">{_iri_html(g, labels)}</li>' for g, n in numbers.items()]
        parts.append("</ol>")
        if documents:
            parts.append('<p class="note">Stated in (scg:statedIn):</p><ul class="sources">')
            parts += [f"<li>{_iri_html(d, labels)}</li>" for d in documents]
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
