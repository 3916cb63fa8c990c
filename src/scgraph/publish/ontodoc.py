"""HTML documentation of the ontology, generated from the ontology graph.

One self-contained page (inline style, no script, nothing fetched): the ontology's metadata,
then its classes, object properties, datatype properties and SKOS concept schemes, each
term with its label, IRI, definition, super- and sub-terms, domains and ranges. Every text
taken from the graph is HTML-escaped; terms are sorted, so the same graph gives the same bytes.

pyLODE was the first choice, but its last release that installs on Python 3.11 (3.4.1) fails
on import (it reads a ``pyproject.toml`` that its wheel does not ship); see docs/serving.md.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from ..namespaces import BASE, ONTOLOGY_IRI, short

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;margin:2rem auto;
padding:0 1rem;line-height:1.5;color:#1d2330}
h1{font-size:1.8rem;margin-bottom:.2rem}h2{border-bottom:2px solid #2b5f9e;padding-bottom:.2rem;
margin-top:2.5rem}h3{margin:1.8rem 0 .3rem;font-size:1.15rem}code{font-size:.9em;color:#2b5f9e}
.term{border-left:3px solid #d6e0ef;padding-left:.8rem}.iri{color:#57606a;font-size:.85em}
dl{display:grid;grid-template-columns:10rem 1fr;gap:.2rem .8rem;margin:.4rem 0}dt{font-weight:600}
dd{margin:0}nav ul{columns:3;font-size:.9rem}a{color:#1f4f86}
"""

_LABELS = (SKOS.prefLabel, RDFS.label, DCTERMS.title)
_DEFINITIONS = (SKOS.definition, RDFS.comment, DCTERMS.description)


def _sorted(nodes: Iterable[Node]) -> list[Node]:
    return sorted(set(nodes), key=lambda n: (type(n).__name__, str(n)))


def _en(g: Graph, s: Node, predicates: tuple[URIRef, ...]) -> str | None:
    for p in predicates:
        values = [o for o in g.objects(s, p) if isinstance(o, Literal)]
        if values:
            best = sorted(values, key=lambda o: (o.language not in ("en", None), o.language or "", str(o)))
            return str(best[0])
    return None


def _anchor(term: URIRef) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in short(term))


def _link(g: Graph, term: Node, local: set[URIRef]) -> str:
    if not isinstance(term, URIRef):
        return html.escape(str(term))
    label = html.escape(short(term))
    if term in local:
        return f'<a href="#{_anchor(term)}"><code>{label}</code></a>'
    return f'<a href="{html.escape(str(term), quote=True)}"><code>{label}</code></a>'


def _row(name: str, values: list[str]) -> str:
    return f"<dt>{html.escape(name)}</dt><dd>{', '.join(values)}</dd>" if values else ""


def _term(g: Graph, term: URIRef, local: set[URIRef], extra: list[tuple[str, list[str]]]) -> str:
    label = _en(g, term, _LABELS) or short(term)
    definition = _en(g, term, _DEFINITIONS)
    parts = [f'<section class="term" id="{_anchor(term)}">',
             f"<h3>{html.escape(label)}</h3>",
             f'<div class="iri"><code>{html.escape(str(term))}</code></div>']
    if definition:
        parts.append(f"<p>{html.escape(definition)}</p>")
    rows = "".join(_row(n, v) for n, v in extra)
    if rows:
        parts.append(f"<dl>{rows}</dl>")
    parts.append("</section>")
    return "\n".join(parts)


def _links(g: Graph, nodes: Iterable[Node], local: set[URIRef]) -> list[str]:
    return [_link(g, n, local) for n in _sorted(nodes) if isinstance(n, URIRef)]


def _own(terms: Iterable[Node]) -> list[URIRef]:
    return [t for t in _sorted(terms) if isinstance(t, URIRef) and str(t).startswith(BASE)]


def ontology_html(g: Graph, version: str | None = None) -> str:
    """The documentation page of the ontology in ``g`` (the ``graph:ontology`` named graph)."""
    classes = _own(g.subjects(RDF.type, OWL.Class))
    object_props = _own(g.subjects(RDF.type, OWL.ObjectProperty))
    data_props = _own(g.subjects(RDF.type, OWL.DatatypeProperty))
    schemes = _own(g.subjects(RDF.type, SKOS.ConceptScheme))
    local = set(classes) | set(object_props) | set(data_props) | set(schemes)
    concepts = {s: _own(g.subjects(SKOS.inScheme, s)) for s in schemes}
    for cs in concepts.values():
        local |= set(cs)

    title = _en(g, ONTOLOGY_IRI, (DCTERMS.title, RDFS.label)) or "scgraph ontology"
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{html.escape(title)}</title>", f"<style>{_STYLE}</style>", "</head>", "<body>",
           f"<h1>{html.escape(title)}</h1>",
           f'<p class="iri">IRI: <code>{html.escape(str(ONTOLOGY_IRI))}</code></p>']
    meta = [
        ("Version", [html.escape(v) for v in ([version] if version else [])]
         or [html.escape(str(o)) for o in _sorted(g.objects(ONTOLOGY_IRI, OWL.versionInfo))]),
        ("Licence", _links(g, g.objects(ONTOLOGY_IRI, DCTERMS.license), local)),
        ("Creator", [html.escape(str(o)) for o in _sorted(g.objects(ONTOLOGY_IRI, DCTERMS.creator))]),
        ("Modified", [html.escape(str(o)) for o in _sorted(g.objects(ONTOLOGY_IRI, DCTERMS.modified))]),
        ("Imports", _links(g, g.objects(ONTOLOGY_IRI, OWL.imports), local)),
    ]
    rows = "".join(_row(n, v) for n, v in meta)
    if rows:
        out.append(f"<dl>{rows}</dl>")
    description = _en(g, ONTOLOGY_IRI, (DCTERMS.description, RDFS.comment))
    if description:
        out.append(f"<p>{html.escape(description)}</p>")

    sections = [("classes", "Classes", classes), ("object-properties", "Object properties", object_props),
                ("datatype-properties", "Datatype properties", data_props),
                ("schemes", "Concept schemes", schemes)]
    out.append("<nav><h2>Contents</h2>")
    for key, name, terms in sections:
        if terms:
            out.append(f'<h4><a href="#{key}">{name}</a> ({len(terms)})</h4><ul>')
            out += [f'<li>{_link(g, t, local)}</li>' for t in terms]
            out.append("</ul>")
    out.append("</nav>")

    if classes:
        out.append('<h2 id="classes">Classes</h2>')
        for c in classes:
            out.append(_term(g, c, local, [
                ("Subclass of", _links(g, g.objects(c, RDFS.subClassOf), local)),
                ("Superclass of", _links(g, g.subjects(RDFS.subClassOf, c), local)),
                ("Equivalent to", _links(g, g.objects(c, OWL.equivalentClass), local)),
                ("Disjoint with", _links(g, g.objects(c, OWL.disjointWith), local)),
                ("Domain of", _links(g, g.subjects(RDFS.domain, c), local)),
                ("Range of", _links(g, g.subjects(RDFS.range, c), local)),
            ]))
    for key, name, terms in sections[1:3]:
        if not terms:
            continue
        out.append(f'<h2 id="{key}">{name}</h2>')
        for p in terms:
            characteristics = [short(t) for t in _sorted(g.objects(p, RDF.type))
                               if t in (OWL.TransitiveProperty, OWL.SymmetricProperty,
                                        OWL.FunctionalProperty, OWL.InverseFunctionalProperty)]
            out.append(_term(g, p, local, [
                ("Subproperty of", _links(g, g.objects(p, RDFS.subPropertyOf), local)),
                ("Domain", _links(g, g.objects(p, RDFS.domain), local)),
                ("Range", _links(g, g.objects(p, RDFS.range), local)),
                ("Inverse of", _links(g, list(g.objects(p, OWL.inverseOf)) + list(g.subjects(OWL.inverseOf, p)), local)),
                ("Characteristics", [html.escape(c) for c in characteristics]),
            ]))
    if schemes:
        out.append('<h2 id="schemes">Concept schemes</h2>')
        for s in schemes:
            out.append(_term(g, s, local, [("Concepts", [_link(g, c, local) for c in concepts[s]])]))
            for c in concepts[s]:
                out.append(_term(g, c, local, [
                    ("Broader", _links(g, g.objects(c, SKOS.broader), local)),
                    ("Narrower", _links(g, g.objects(c, SKOS.narrower), local)),
                    ("Related", _links(g, g.objects(c, SKOS.related), local)),
                ]))
    out += ["</body>", "</html>", ""]
    return "\n".join(out)
