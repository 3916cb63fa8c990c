"""Serialisers: the same Dataset always gives byte-identical files.

Turtle, TriG, N-Triples, N-Quads and JSON-LD, whatever ``PYTHONHASHSEED``: named graphs are
written in IRI order, N-Triples/N-Quads lines are sorted, and blank nodes (the SHACL report has
some) get labels computed from their content. :func:`write_dumps` and :func:`write_validation`
write the files of ``scgraph build``; the release (:mod:`.release`) and the analyses use the rest.
"""

from __future__ import annotations

import gzip
import hashlib
import io as _io
import json
import re
from pathlib import Path

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import RDF, XSD
from rdflib.plugins.serializers.trig import TrigSerializer

from ..assemble import named_graphs, union_graph
from ..files import write_atomic
from ..namespaces import (
    PREFIXES,
    bind_prefixes,
)
from ..validate.report import ValidationReport

DUMPS = {
    "graph": "graph.ttl",
    "graph-inferred": "graph-inferred.ttl",
    "trig": "dataset.trig",
    "nquads": "dataset.nq",
}


def _has_bnodes(g: Graph) -> bool:
    return any(isinstance(s, BNode) or isinstance(o, BNode) for s, _p, o in g)


def stable_bnodes(g: Graph) -> Graph:
    """``g`` with blank nodes relabelled from their content (``g`` itself if it has none)."""
    if not _has_bnodes(g):
        return g
    out = bind_prefixes(Graph())
    for t in to_canonical_graph(g):
        out.add(t)
    return out


def _stable_dataset(ds: Dataset) -> Dataset:
    out = Dataset()
    bind_prefixes(out)
    for name in named_graphs(ds):
        target = out.graph(name)
        for t in stable_bnodes(ds.graph(name)):
            target.add(t)
    return out


def turtle(g: Graph) -> bytes:
    """Deterministic Turtle for ``g``, with scgraph's prefixes."""
    g = stable_bnodes(g)
    bind_prefixes(g)
    return g.serialize(format="turtle", encoding="utf-8")


def trig(ds: Dataset) -> bytes:
    """Deterministic TriG: named graphs in IRI order."""
    ds = _stable_dataset(ds)
    serializer = TrigSerializer(ds)
    serializer.contexts = sorted(
        (c for c in serializer.contexts if len(c) and c.identifier != ds.default_context.identifier),
        key=lambda c: str(c.identifier),
    )
    buf = _io.BytesIO()
    serializer.serialize(buf, encoding="utf-8")
    return buf.getvalue()


def nquads(ds: Dataset) -> bytes:
    """N-Quads of every named graph, lines sorted."""
    ds = _stable_dataset(ds)
    text = ds.serialize(format="nquads", encoding="utf-8").decode("utf-8")
    lines = sorted({line for line in text.split("\n") if line.strip()})  # not splitlines(): U+2028 may sit in a literal
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def ntriples(g: Graph) -> bytes:
    """N-Triples of ``g``, lines sorted."""
    g = stable_bnodes(g)
    text = g.serialize(format="nt", encoding="utf-8").decode("utf-8")
    lines = sorted({line for line in text.split("\n") if line.strip()})  # not splitlines(): U+2028 may sit in a literal
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def write_dumps(ds: Dataset, out_dir: Path | str) -> dict[str, Path]:
    """Write ``graph.ttl``, ``graph-inferred.ttl``, ``dataset.trig`` and ``dataset.nq``.

    ``graph.ttl`` holds the asserted graphs only, ``graph-inferred.ttl`` adds the inferred
    graph; the TriG and N-Quads files keep every named graph apart. Returns name -> path.
    """
    out_dir = Path(out_dir)
    contents = {
        "graph": turtle(union_graph(ds)),
        "graph-inferred": turtle(union_graph(ds, include_inferred=True)),
        "trig": trig(ds),
        "nquads": nquads(ds),
    }
    return {key: write_atomic(out_dir / DUMPS[key], data) for key, data in contents.items()}


def write_validation(report: ValidationReport, out_dir: Path | str) -> dict[str, Path]:
    """Write ``validation.ttl`` (the SHACL report graph) and ``validation.txt`` (its summary)."""
    out_dir = Path(out_dir)
    return {
        "validation": write_atomic(out_dir / "validation.ttl", turtle(report.graph)),
        "validation-summary": write_atomic(out_dir / "validation.txt", report.summary()),
    }


#: Release file -> (media type, licence). Dumps come first; ``.gz`` copies are added to them.
MEDIA_TYPES = {
    ".ttl": "text/turtle",
    ".nt": "application/n-triples",
    ".nq": "application/n-quads",
    ".trig": "application/trig",
    ".jsonld": "application/ld+json",
    ".html": "text/html",
    ".gz": "application/gzip",
}


def media_type(name: str) -> str:
    """The IANA media type of a release file, from its last extension."""
    return MEDIA_TYPES[Path(name).suffix]


def gzip_bytes(data: bytes) -> bytes:
    """Deterministic gzip: modification time 0, no file name in the header."""
    return gzip.compress(data, compresslevel=9, mtime=0)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- JSON-LD


def jsonld_context() -> dict[str, str]:
    """The JSON-LD context of the release: every scgraph prefix, sorted."""
    return {p: str(ns) for p, ns in sorted(PREFIXES.items())}


def context_file() -> bytes:
    """``context.jsonld``: the published context, ``{"@context": {...}}``."""
    return (json.dumps({"@context": jsonld_context()}, indent=2, ensure_ascii=False) + "\n").encode()


_NAMESPACES = sorted(((str(ns), p) for p, ns in PREFIXES.items()), key=lambda t: -len(t[0]))
_LOCAL = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-./#%~]*$")


def compact_iri(iri: str) -> str:
    """``prefix:local`` for an IRI under one of the project's prefixes, else the IRI itself.

    The local part must not start with ``//`` (it would read as an absolute IRI) and uses only
    unreserved characters, so that every JSON-LD processor expands it back to the same IRI.
    """
    for ns, prefix in _NAMESPACES:
        if iri.startswith(ns):
            local = iri[len(ns):]
            if local and _LOCAL.match(local) and not local.startswith("//"):
                return f"{prefix}:{local}"
    return iri


def _jsonld_node_id(term: object) -> str:
    return f"_:{term}" if isinstance(term, BNode) else compact_iri(str(term))


def _jsonld_value(term: object) -> object:
    if isinstance(term, Literal):
        if term.language:
            return {"@value": str(term), "@language": term.language}
        if term.datatype is None or term.datatype == XSD.string:
            return str(term)
        return {"@value": str(term), "@type": compact_iri(str(term.datatype))}
    return {"@id": _jsonld_node_id(term)}


def _sort_key(term: object) -> tuple[int, str, str]:
    if isinstance(term, Literal):
        return (2, str(term), f"{term.language or ''}|{term.datatype or ''}")
    return (0 if isinstance(term, URIRef) else 1, str(term), "")


def _jsonld_nodes(g: Graph) -> list[dict[str, object]]:
    nodes = []
    for s in sorted(set(g.subjects()), key=_sort_key):
        node: dict[str, object] = {"@id": _jsonld_node_id(s)}
        types = sorted((o for o in g.objects(s, RDF.type) if isinstance(o, URIRef)), key=str)
        if types:
            node["@type"] = [compact_iri(str(t)) for t in types]
        props: dict[str, list[object]] = {}
        for p, o in g.predicate_objects(s):
            if p == RDF.type and isinstance(o, URIRef):
                continue
            props.setdefault(str(p), []).append(o)
        for p in sorted(props):
            node[compact_iri(p)] = [_jsonld_value(o) for o in sorted(props[p], key=_sort_key)]
        nodes.append(node)
    return nodes


def jsonld(ds: Dataset) -> bytes:
    """Deterministic JSON-LD of every named graph, with the release context inlined.

    Nodes and values are sorted; IRIs are compact (``id:city/porto``); typed literals keep
    their lexical form (``{"@value": "3", "@type": "xsd:integer"}``) so they round-trip exactly.
    """
    ds = _stable_dataset(ds)
    graphs = [{"@id": compact_iri(str(name)), "@graph": _jsonld_nodes(ds.graph(name))}
              for name in named_graphs(ds)]
    doc = {"@context": jsonld_context(), "@graph": graphs}
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def graph_jsonld(g: Graph) -> bytes:
    """Deterministic JSON-LD of one graph (a default graph), with the release context inlined."""
    doc = {"@context": jsonld_context(), "@graph": _jsonld_nodes(stable_bnodes(g))}
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
