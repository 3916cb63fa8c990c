"""Assemble: load the ontology, the reference data and the source files into one Dataset.

Each input gets its own named graph (``namespaces.GRAPH``):

- ``graph:ontology``: every ``ontology/*.ttl`` except the SHACL shapes (``*shapes*.ttl``);
- ``graph:reference/<stem>``: each ``data/reference/<stem>.ttl``;
- ``graph:source/<stem>``: each ``data/sources/<stem>.ttl`` (underscores become hyphens), one
  per source document (a seed file, :data:`SOURCE_TYPES`);
- ``graph:source/web/<stem>``: each ``data/sources/web/<stem>.ttl``, one per web page read;
- ``graph:metadata``: one description per named graph (title, file as ``dcterms:identifier``,
  triple count).

Every thing a source file describes gets ``scg:statedIn <its source document>`` in that
source's graph (:data:`PROVENANCE_UPDATE`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, VOID, XSD

from . import parse, resources
from .errors import SourceError
from .namespaces import (
    GRAPH,
    INFERRED_GRAPH,
    METADATA_GRAPH,
    ONTOLOGY_GRAPH,
    ONTOLOGY_IRI,
    SCG,
    bind_prefixes,
)

SHAPES_FILE = "shapes.ttl"


def is_shapes_file(path: Path) -> bool:
    """Whether an ``ontology/`` file holds SHACL shapes (``shapes.ttl``, ``analysis_shapes.ttl``)."""
    return "shapes" in path.stem


# (graph, title, relative file paths, source documents) for the metadata graph
_Described = list[tuple[URIRef, "Literal | str", list[str], list[URIRef]]]
SOURCE_GRAPH_PREFIX = str(GRAPH["source/"])
REFERENCE_GRAPH_PREFIX = str(GRAPH["reference/"])

#: Adds ``?s scg:statedIn ?doc`` to each source graph for every IRI subject ?s it describes,
#: except the source document itself and the ontology's own terms.
PROVENANCE_UPDATE = f"""\
PREFIX scg: <{SCG._NS}>
PREFIX rdf: <{RDF._NS}>
INSERT {{ GRAPH ?g {{ ?s scg:statedIn ?doc }} }}
WHERE {{
  VALUES ?docType {{ scg:SourceDocument scg:WebPage }}
  GRAPH ?g {{
    ?doc rdf:type ?docType .
    ?s ?p ?o .
  }}
  FILTER (STRSTARTS(STR(?g), "{SOURCE_GRAPH_PREFIX}"))
  FILTER (isIRI(?s) && ?s != ?doc && !STRSTARTS(STR(?s), "{ONTOLOGY_IRI}"))
}}
"""


#: The classes a source file's one document may have (typed explicitly, before reasoning).
SOURCE_TYPES = (SCG.SourceDocument, SCG.WebPage)


def graph_name(kind: str, path: Path) -> URIRef:
    """The named-graph IRI of a reference (``kind="reference"``) or source file; a file in a
    sub-folder of ``data/sources/`` (``web/``) gets that folder in its name."""
    stem = path.stem.replace("_", "-")
    if kind == "source" and path.parent.name == "web":
        stem = f"web/{stem}"
    return GRAPH[f"{kind}/{stem}"]


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _ttl_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.ttl")) if folder.is_dir() else []


def _load(ds: Dataset, name: URIRef, paths: Sequence[Path]) -> Graph:
    g = ds.graph(name)
    for p in paths:
        parse.parse_into(g, p)
    return g


def _check_source_document(g: Graph, path: Path) -> URIRef:
    docs = sorted({d for t in SOURCE_TYPES for d in g.subjects(RDF.type, t)})
    if len(docs) != 1 or not isinstance(docs[0], URIRef):
        raise SourceError(
            f"declares {len(docs)} scg:SourceDocument; a source file declares exactly one "
            "(an IRI, typed scg:SourceDocument, or scg:WebPage for a web page)",
            path=path,
        )
    return docs[0]


def _title(g: Graph, node: URIRef) -> Literal | None:
    for p in (DCTERMS.title, RDFS.label):
        values = sorted(g.objects(node, p))
        if values:
            return values[0]  # type: ignore[return-value]
    return None


def _describe(meta: Graph, name: URIRef, title: Literal | str, files: Iterable[str],
              count: int, derived_from: Iterable[URIRef] = ()) -> None:
    meta.add((name, RDF.type, VOID.Dataset))
    meta.add((name, DCTERMS.title, title if isinstance(title, Literal) else Literal(title, lang="en")))
    meta.add((name, VOID.triples, Literal(count, datatype=XSD.integer)))
    # The file a graph was loaded from, as a path relative to the project: an identifier of it
    # within the project, not dcterms:source (whose value is the IRI of a source, scgsh:LinkValueShape).
    for f in files:
        meta.add((name, DCTERMS.identifier, Literal(f)))
    for d in derived_from:
        meta.add((name, PROV.wasDerivedFrom, d))


def load_base(ds: Dataset, root: Path) -> _Described:
    """Load the ontology and reference graphs of ``root`` into ``ds``; return their descriptions."""
    ontology_files = [p for p in _ttl_files(root / "ontology") if not is_shapes_file(p)]
    _load(ds, ONTOLOGY_GRAPH, ontology_files)
    described: _Described = [(ONTOLOGY_GRAPH, "scgraph ontology, vocabularies and alignments",
                              [_relative(p, root) for p in ontology_files], [])]
    for p in _ttl_files(root / "data" / "reference"):
        name = graph_name("reference", p)
        _load(ds, name, [p])
        described.append((name, f"Reference data: {p.stem}", [_relative(p, root)], []))
    return described


def add_provenance(ds: Dataset) -> None:
    """Add to ``ds`` what :data:`PROVENANCE_UPDATE` adds, in one pass over each source graph.

    rdflib's SPARQL engine evaluates the update by joining every source graph with every
    other; this pass is linear in the triples, and tested equal to the update
    (tests/test_build.py).
    """
    source_types = set(SOURCE_TYPES)
    ontology = str(ONTOLOGY_IRI)
    for ctx in list(ds.graphs()):
        name = ctx.identifier
        if not isinstance(name, URIRef) or not str(name).startswith(SOURCE_GRAPH_PREFIX):
            continue
        docs = {s for s, _p, o in ctx.triples((None, RDF.type, None)) if o in source_types}
        if not docs:
            continue
        subjects = {s for s in ctx.subjects() if isinstance(s, URIRef) and not str(s).startswith(ontology)}
        for doc in docs:
            for s in subjects - {doc}:
                ctx.add((s, SCG.statedIn, doc))


def assemble(root: Path | None = None, *, extra: Sequence[Path] = ()) -> Dataset:
    """Load the project under ``root`` (default: :func:`resources.project_root`) into a Dataset.

    ``extra`` files are loaded as further source files (each needs its own
    ``scg:SourceDocument``). A file that does not parse raises a one-line SourceError.
    """
    root = Path(root) if root is not None else resources.project_root()
    ds = Dataset()
    bind_prefixes(ds)
    described = load_base(ds, root)
    source_files = (_ttl_files(root / "data" / "sources") + _ttl_files(root / "data" / "sources" / "web")
                    + [Path(p) for p in extra])

    seen: dict[URIRef, Path] = {}
    for p in source_files:
        name = graph_name("source", p)
        if name in seen:
            raise SourceError(f"has the same graph name <{name}> as {seen[name]}", path=p)
        seen[name] = p
        g = _load(ds, name, [p])
        doc = _check_source_document(g, p)
        title = _title(g, doc) or f"Source: {p.stem}"
        described.append((name, title, [_relative(p, root)], [doc]))

    add_provenance(ds)

    meta = ds.graph(METADATA_GRAPH)
    for name, title, files, derived in described:
        _describe(meta, name, title, files, len(ds.graph(name)), derived)
    return ds


# --------------------------------------------------------------------------- graphs of a Dataset


def named_graphs(ds: Dataset) -> list[URIRef]:
    """The IRIs of the non-empty named graphs of ``ds``, sorted."""
    names = {c.identifier for c in ds.graphs() if isinstance(c.identifier, URIRef) and len(c)}
    names.discard(URIRef("urn:x-rdflib:default"))
    return sorted(names)


def data_graphs(ds: Dataset) -> list[URIRef]:
    """The asserted data graphs: every named graph but ontology, metadata and inferred."""
    fixed = {ONTOLOGY_GRAPH, METADATA_GRAPH, INFERRED_GRAPH}
    return [n for n in named_graphs(ds) if n not in fixed]


def merge(ds: Dataset, names: Iterable[URIRef]) -> Graph:
    """The named graphs ``names`` of ``ds`` merged into one fresh Graph."""
    out = bind_prefixes(Graph())
    for n in names:
        for t in ds.graph(n):
            out.add(t)
    return out


def union_graph(ds: Dataset, include_inferred: bool = False) -> Graph:
    """All named graphs of ``ds`` merged into one Graph; the inferred graph only if asked."""
    names = [n for n in named_graphs(ds) if include_inferred or n != INFERRED_GRAPH]
    return merge(ds, names)
