"""Releases: ``scgraph publish`` (docs/serving.md).

A release folder holds every dump format, gzip copies, ontology, shapes, VoID/DCAT, checksums,
HTML documentation, licence notes and a changelog against the previous release; it is written
as a new generation and switched in at once.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date as _date
from datetime import datetime, timezone
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, SKOS, VOID, XSD

from .. import __version__
from .. import parse
from ..files import recover_folder, replace_folder
from ..assemble import union_graph
from ..errors import SourceError
from ..files import write_atomic
from ..namespaces import (
    APACHE_2,
    BASE,
    CATALOG_IRI,
    CC_BY_4,
    CORDIS_DATASET,
    DATASET_IRI,
    DISTRIBUTION,
    EU_DATA_THEME,
    EU_FILE_TYPE,
    IANA_MEDIA_TYPE,
    PUBLISHER_IRI,
    ONTOLOGY_GRAPH,
    SPDX,
    bind_prefixes,
    short,
    sparql_prologue,
)
from .ontodoc import ontology_html
from ..store import OxigraphStore
from ..validate.shacl import load_shapes
from .serialise import context_file, gzip_bytes, jsonld, media_type, nquads, ntriples, sha256, trig, turtle
from ..errors import ReleaseError


# =========================================================================== release
#
# ``scgraph publish``: a release folder with every dump, compressed copies, the ontology and
# shapes, VoID/DCAT, checksums, HTML documentation, licence notes and a changelog.



DUMP_FILES = ["graph.ttl", "graph-inferred.ttl", "graph.nt", "graph-inferred.nt",
              "dataset.nq", "dataset.trig", "dataset.jsonld"]
CODE_FILES = ["ontology.ttl", "shapes.ttl", "ontology.html", "context.jsonld"]  # Apache-2.0
NOTE_FILES = ["void.ttl", "LICENSE.md", "CHANGELOG.md"]
CHECKSUMS = "SHA256SUMS"

_TITLES = {
    "graph.ttl": "Every asserted statement, named graphs merged (Turtle)",
    "graph-inferred.ttl": "Asserted and OWL RL inferred statements, merged (Turtle)",
    "graph.nt": "Every asserted statement, named graphs merged (N-Triples)",
    "graph-inferred.nt": "Asserted and OWL RL inferred statements, merged (N-Triples)",
    "dataset.nq": "Every named graph, inferences included (N-Quads)",
    "dataset.trig": "Every named graph, inferences included (TriG)",
    "dataset.jsonld": "Every named graph, inferences included (JSON-LD, compact IRIs)",
    "context.jsonld": "The JSON-LD context of dataset.jsonld: scgraph's prefixes",
    "ontology.ttl": "The scgraph ontology, vocabularies and alignments (Turtle)",
    "shapes.ttl": "The SHACL shapes the data is validated against (Turtle)",
    "ontology.html": "Documentation of the ontology for people (HTML)",
}


# --------------------------------------------------------------------------- VoID and DCAT


def _select(store: OxigraphStore, sparql: str) -> list[tuple]:
    return store.query(sparql_prologue() + sparql).rows


#: Statistics of the whole dataset over distinct triples of all named graphs.
VOID_TOTALS = """
SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?o) AS ?objects)
       (COUNT(DISTINCT ?p) AS ?properties)
WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }
"""
VOID_CLASSES = """
SELECT (COUNT(DISTINCT ?c) AS ?classes) (COUNT(DISTINCT ?s) AS ?entities)
WHERE { GRAPH ?g { ?s rdf:type ?c } FILTER isIRI(?s) }
"""
VOID_CLASS_PARTITIONS = """
SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s rdf:type ?c } FILTER isIRI(?c) }
GROUP BY ?c ORDER BY ?c
"""
VOID_PROPERTY_PARTITIONS = """
SELECT ?p (COUNT(*) AS ?n) (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?o) AS ?objects)
WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }
GROUP BY ?p ORDER BY ?p
"""
VOID_GRAPHS = """
SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g
"""
SOURCE_DOCUMENTS = """
SELECT DISTINCT ?doc WHERE {
  { VALUES ?type { scg:SourceDocument scg:WebPage } GRAPH ?g { ?doc rdf:type ?type } }
  UNION { GRAPH graph:metadata { ?graph prov:wasDerivedFrom ?doc } }
  FILTER isIRI(?doc)
} ORDER BY ?doc
"""


def _int(term: object) -> int:
    return int(str(term))


def _fragment(term: URIRef, used: set[str]) -> str:
    """A readable fragment for a partition (``scg-City``), made unique within ``used``."""
    base = re.sub(r"[^A-Za-z0-9_-]+", "-", short(term).strip("<>")).strip("-")
    frag = base
    if frag in used:
        frag = f"{base}-{sha256(str(term).encode())[:8]}"
    used.add(frag)
    return frag


@dataclass(frozen=True)
class FileInfo:
    """A release file: its name, size and SHA-256."""

    name: str
    size: int
    sha256: str


#: DCAT-AP's file-type vocabulary (``dct:format``) for each media type of a release file.
FILE_TYPES = {
    "text/turtle": "RDF_TURTLE",
    "application/n-triples": "RDF_N_TRIPLES",
    "application/n-quads": "RDF_N_QUADS",
    "application/trig": "RDF_TRIG",
    "application/ld+json": "JSON_LD",
    "text/html": "HTML",
    "application/gzip": "GZIP",
}
#: Themes of the dataset (DCAT-AP: the EU data-theme vocabulary) with their English labels there.
THEMES = {"REGI": "Regions and cities", "TECH": "Science and technology"}
KEYWORDS = ("smart cities", "European Union", "research and innovation projects",
            "linked data", "synergies")
TITLE = Literal("scgraph: a knowledge graph of the EU's smart-city projects, initiatives, "
                "clusters, cities and meetings", lang="en")
DESCRIPTION = Literal(
    "Curated, source-traceable RDF about the EU's smart-city initiatives and their synergies, "
    "one named graph per source document, with OWL RL inferences in their own graph.", lang="en")
CORDIS_TITLE = Literal("CORDIS - EU research projects under Horizon Europe (2021-2027)", lang="en")
CORDIS_DESCRIPTION = Literal("CORDIS, the EU's registry of research projects: the projects "
                             "funded under Horizon Europe (2021-2027).", lang="en")


def _dcat_ap(g: Graph, version: str, issued: str) -> None:
    """What DCAT-AP 3.0 asks beyond the dataset's own description: a catalogue, a publisher,
    themes and keywords, and the classes its shapes expect of licences, media types, formats,
    checksum algorithms and standards (each typed here: void.ttl is read without the
    vocabularies)."""
    d = DATASET_IRI
    c = CATALOG_IRI
    g.add((c, RDF.type, DCAT.Catalog))
    g.add((c, DCTERMS.title, Literal("scgraph releases", lang="en")))
    g.add((c, DCTERMS.description, Literal(
        f"The scgraph dataset as published in release {version}, with its dumps, ontology "
        "and shapes.", lang="en")))
    g.add((c, DCTERMS.publisher, PUBLISHER_IRI))
    g.add((c, DCTERMS.issued, Literal(issued, datatype=XSD.date)))
    g.add((c, DCTERMS.license, CC_BY_4))
    g.add((c, DCAT.dataset, d))
    g.add((PUBLISHER_IRI, RDF.type, FOAF.Agent))
    g.add((PUBLISHER_IRI, FOAF.name, Literal("the scgraph developers", lang="en")))
    g.add((d, DCTERMS.publisher, PUBLISHER_IRI))
    for theme, label in THEMES.items():
        g.add((d, DCAT.theme, EU_DATA_THEME[theme]))
        g.add((EU_DATA_THEME[theme], RDF.type, SKOS.Concept))
        g.add((EU_DATA_THEME[theme], SKOS.prefLabel, Literal(label, lang="en")))
        g.add((EU_DATA_THEME[theme], SKOS.inScheme, URIRef(str(EU_DATA_THEME)[:-1])))
    for word in KEYWORDS:
        g.add((d, DCAT.keyword, Literal(word, lang="en")))
    for licence in (CC_BY_4, APACHE_2):
        g.add((licence, RDF.type, DCTERMS.LicenseDocument))
    g.add((URIRef(BASE + "shapes"), RDF.type, DCTERMS.Standard))
    g.add((SPDX.checksumAlgorithm_sha256, RDF.type, SPDX.ChecksumAlgorithm))
    # dct:source in DCAT-AP is a dcat:Dataset: the EU registry; documents are prov:wasDerivedFrom.
    g.add((d, DCTERMS.source, CORDIS_DATASET))
    g.add((CORDIS_DATASET, RDF.type, DCAT.Dataset))
    g.add((CORDIS_DATASET, DCTERMS.title, CORDIS_TITLE))
    g.add((CORDIS_DATASET, DCTERMS.description, CORDIS_DESCRIPTION))


def void_graph(store: OxigraphStore, files: list[FileInfo], version: str, issued: str,
               download_base: str = str(DISTRIBUTION)) -> Graph:
    """The VoID and DCAT-AP description of the dataset in ``store`` and of its release ``files``.

    Counts come from SPARQL over the store (:data:`VOID_TOTALS` and the partition queries).
    Each file is downloaded from ``download_base`` + its name (default: its distribution IRI).
    """
    g = bind_prefixes(Graph())
    g.bind("spdx", SPDX)
    g.bind("filetype", EU_FILE_TYPE)
    g.bind("datatheme", EU_DATA_THEME)
    d = DATASET_IRI
    g.add((d, RDF.type, VOID.Dataset))
    g.add((d, RDF.type, DCAT.Dataset))
    g.add((d, DCTERMS.title, TITLE))
    g.add((d, DCTERMS.description, DESCRIPTION))
    g.add((d, DCAT._NS["version"], Literal(version)))
    g.add((d, OWL.versionInfo, Literal(version)))
    g.add((d, DCTERMS.issued, Literal(issued, datatype=XSD.date)))
    g.add((d, DCTERMS.license, CC_BY_4))
    g.add((d, DCTERMS.rights, Literal(
        "Curated data: CC BY 4.0, the scgraph developers. Data from the EU project registry "
        "(CORDIS): CC BY 4.0, © European Union. Ontology, shapes and code: Apache-2.0. "
        "See LICENSE.md.", lang="en")))
    g.add((d, VOID.uriSpace, Literal(BASE)))
    g.add((d, VOID.vocabulary, URIRef(BASE + "ontology")))
    g.add((d, DCTERMS.conformsTo, URIRef(BASE + "shapes")))
    _dcat_ap(g, version, issued)

    (triples, subjects, objects, properties), = _select(store, VOID_TOTALS)
    (classes, entities), = _select(store, VOID_CLASSES)
    for p, v in [(VOID.triples, triples), (VOID.distinctSubjects, subjects),
                 (VOID.distinctObjects, objects), (VOID.properties, properties),
                 (VOID.classes, classes), (VOID.entities, entities)]:
        g.add((d, p, Literal(_int(v), datatype=XSD.integer)))

    used: set[str] = set()
    for c, n in _select(store, VOID_CLASS_PARTITIONS):
        part = URIRef(f"{d}#class-{_fragment(c, used)}")
        g.add((d, VOID.classPartition, part))
        g.add((part, VOID["class"], c))
        g.add((part, VOID.entities, Literal(_int(n), datatype=XSD.integer)))
    for p, n, ns, no in _select(store, VOID_PROPERTY_PARTITIONS):
        part = URIRef(f"{d}#property-{_fragment(p, used)}")
        g.add((d, VOID.propertyPartition, part))
        g.add((part, VOID.property, p))
        g.add((part, VOID.triples, Literal(_int(n), datatype=XSD.integer)))
        g.add((part, VOID.distinctSubjects, Literal(_int(ns), datatype=XSD.integer)))
        g.add((part, VOID.distinctObjects, Literal(_int(no), datatype=XSD.integer)))
    for name, n in _select(store, VOID_GRAPHS):
        g.add((d, VOID.subset, name))
        g.add((name, RDF.type, VOID.Dataset))
        g.add((name, VOID.triples, Literal(_int(n), datatype=XSD.integer)))

    for (doc,) in _select(store, SOURCE_DOCUMENTS):
        g.add((d, PROV.wasDerivedFrom, doc))

    for f in files:
        dist = DISTRIBUTION[f.name]
        g.add((d, DCAT.distribution, dist))
        g.add((dist, RDF.type, DCAT.Distribution))
        g.add((dist, DCTERMS.title, Literal(f.name)))
        inner = f.name[:-3] if f.name.endswith(".gz") else f.name
        if inner in _TITLES:
            g.add((dist, DCTERMS.description, Literal(_TITLES[inner], lang="en")))
        g.add((dist, DCAT.accessURL, URIRef(download_base + f.name)))
        g.add((dist, DCAT.downloadURL, URIRef(download_base + f.name)))
        g.add((dist, DCAT.mediaType, IANA_MEDIA_TYPE[media_type(inner)]))
        g.add((IANA_MEDIA_TYPE[media_type(inner)], RDF.type, DCTERMS.MediaType))
        g.add((dist, DCTERMS.format, EU_FILE_TYPE[FILE_TYPES[media_type(inner)]]))
        g.add((EU_FILE_TYPE[FILE_TYPES[media_type(inner)]], RDF.type, DCTERMS.MediaTypeOrExtent))
        if f.name.endswith(".gz"):
            g.add((dist, DCAT.compressFormat, IANA_MEDIA_TYPE["application/gzip"]))
            g.add((IANA_MEDIA_TYPE["application/gzip"], RDF.type, DCTERMS.MediaType))
        g.add((dist, DCAT.byteSize, Literal(f.size, datatype=XSD.nonNegativeInteger)))
        checksum = URIRef(f"{dist}#sha256")
        g.add((dist, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((checksum, SPDX.checksumValue, Literal(f.sha256, datatype=XSD.hexBinary)))
        g.add((dist, DCTERMS.license, APACHE_2 if inner in CODE_FILES else CC_BY_4))
        if inner in DUMP_FILES:
            g.add((d, VOID.dataDump, dist))
    return g


# --------------------------------------------------------------------------- licence


def license_text(version: str) -> str:
    """``LICENSE.md``: which licence covers which part of the release, with attributions."""
    return f"""# Licences of scgraph release {version}

## Curated data — CC BY 4.0

The statements curated by the scgraph project (the reference data and the graphs of the
source documents in `dataset.*` and `graph*.*`) are licensed under the Creative Commons
Attribution 4.0 International licence (CC BY 4.0,
<https://creativecommons.org/licenses/by/4.0/>). Attribute them as: "scgraph, the scgraph
developers, release {version}, CC BY 4.0". Each named graph `graph:source/...` names the source
document its statements come from; those documents remain their authors' works.

## Data from the EU project registry (CORDIS) — CC BY 4.0, © European Union

Statements imported from CORDIS, the EU's registry of research projects
(<{CORDIS_DATASET}>), are
© European Union, licensed under CC BY 4.0 under the Commission's reuse policy (Decision
2011/833/EU). Attribute them as: "© European Union, CORDIS, CC BY 4.0; changes: converted to
RDF and filtered by the scgraph project".

## Ontology, shapes, documentation and code — Apache-2.0

`ontology.ttl`, `shapes.ttl`, `ontology.html`, `context.jsonld` and the scgraph software are
licensed under the Apache License, Version 2.0 (<https://www.apache.org/licenses/LICENSE-2.0>).

`void.ttl` states these licences per file in machine-readable form (`dcterms:license`).
"""


# --------------------------------------------------------------------------- changelog


def quads_by_graph(nquads_bytes: bytes) -> dict[str, set[tuple[str, str, str]]]:
    """The triples of each named graph of an N-Quads document, as N-Triples term strings."""
    out: dict[str, set[tuple[str, str, str]]] = {}
    for q in ox.parse(nquads_bytes, format=ox.RdfFormat.N_QUADS):
        out.setdefault(str(q.graph_name), set()).add((str(q.subject), str(q.predicate), str(q.object)))
    return out


def _things(triples: set[tuple[str, str, str]]) -> set[str]:
    return {s for s, _p, _o in triples if s.startswith("<")}


@dataclass
class GraphChange:
    """What changed in one named graph between two releases."""

    graph: str
    triples_added: int
    triples_removed: int
    things_added: list[str]
    things_removed: list[str]


def compare(old: bytes, new: bytes) -> list[GraphChange]:
    """Per named graph: triples and things (IRI subjects) added and removed from ``old`` to ``new``."""
    a, b = quads_by_graph(old), quads_by_graph(new)
    changes = []
    for name in sorted(set(a) | set(b)):
        ta, tb = a.get(name, set()), b.get(name, set())
        if ta == tb:
            continue
        changes.append(GraphChange(name, len(tb - ta), len(ta - tb),
                                   sorted(_things(tb) - _things(ta)), sorted(_things(ta) - _things(tb))))
    return changes


def _short_nt(term: str) -> str:
    return short(URIRef(term[1:-1])) if term.startswith("<") else term


def changelog_section(version: str, issued: str, changes: list[GraphChange] | None,
                      previous: tuple[str, str] | None, counts: dict[str, int]) -> str:
    """One ``## version (date)`` section of CHANGELOG.md."""
    lines = [f"## {version} ({issued})", ""]
    if previous is None or changes is None:
        lines += ["First release: there is no previous release to compare with.", "",
                  "| named graph | triples |", "|---|---:|"]
        lines += [f"| {_short_nt(g)} | {n} |" for g, n in sorted(counts.items())]
        return "\n".join(lines) + "\n"
    lines += [f"Compared with release {previous[0]} ({previous[1]}).", ""]
    if not changes:
        lines += ["No statement was added or removed.", ""]
        return "\n".join(lines)
    lines += ["| named graph | triples added | triples removed | things added | things removed |",
              "|---|---:|---:|---:|---:|"]
    lines += [f"| {_short_nt(c.graph)} | {c.triples_added} | {c.triples_removed} | "
              f"{len(c.things_added)} | {len(c.things_removed)} |" for c in changes]
    for c in changes:
        if c.things_added or c.things_removed:
            lines += ["", f"### {_short_nt(c.graph)}", ""]
            lines += [f"- added {_short_nt(t)}" for t in c.things_added]
            lines += [f"- removed {_short_nt(t)}" for t in c.things_removed]
    return "\n".join(lines) + "\n"


CHANGELOG_HEADER = "# Changelog of the scgraph dataset\n\n"


@dataclass(frozen=True)
class PreviousRelease:
    """What publish needs from an earlier release folder."""

    version: str
    issued: str
    nquads: bytes
    changelog: str


def read_previous(folder: Path) -> PreviousRelease | None:
    """The release in ``folder`` (its dataset.nq, void.ttl and CHANGELOG.md), or None if there is none."""
    nq, void = folder / "dataset.nq", folder / "void.ttl"
    if not nq.is_file() or not void.is_file():
        return None
    g = Graph()
    parse.parse_into(g, void)
    version = g.value(DATASET_IRI, DCAT._NS["version"])
    issued = g.value(DATASET_IRI, DCTERMS.issued)
    if version is None or issued is None:
        raise ReleaseError("the previous release's void.ttl has no dcat:version or dcterms:issued "
                           "for the dataset", path=void)
    log = folder / "CHANGELOG.md"
    return PreviousRelease(str(version), str(issued), parse.read_bytes(nq),
                           log.read_text("utf-8") if log.is_file() else "")


def changelog(version: str, issued: str, nquads_bytes: bytes, previous: PreviousRelease | None) -> str:
    """CHANGELOG.md: a new section for this release on top of the previous release's sections.

    Publishing the same version with the same data again keeps the previous changelog as is,
    so a rerun gives the same bytes.
    """
    counts = {g: len(t) for g, t in quads_by_graph(nquads_bytes).items()}
    if previous is None:
        return CHANGELOG_HEADER + changelog_section(version, issued, None, None, counts)
    if previous.version == version and previous.nquads == nquads_bytes and previous.changelog:
        return previous.changelog
    changes = compare(previous.nquads, nquads_bytes)
    section = changelog_section(version, issued, changes, (previous.version, previous.issued), counts)
    older = previous.changelog[len(CHANGELOG_HEADER):] if previous.changelog.startswith(CHANGELOG_HEADER) else ""
    kept = [s for s in re.split(r"(?m)^(?=## )", older) if s.strip()
            and not (s.startswith(f"## {version} ") and previous.version == version)]
    return CHANGELOG_HEADER + section + "".join("\n" + s.rstrip("\n") + "\n" for s in kept)


# --------------------------------------------------------------------------- publish


@dataclass
class Release:
    """A written release: its folder, version, date and files (name -> path)."""

    out_dir: Path
    version: str
    issued: str
    files: dict[str, Path] = field(default_factory=dict)
    changes: list[GraphChange] | None = None
    previous: str | None = None

    def summary(self) -> str:
        lines = [f"scgraph release {self.version} ({self.issued}): {len(self.files)} files in {self.out_dir}"]
        if self.previous is None:
            lines.append("first release (no previous release to compare with)")
        elif not self.changes:
            lines.append(f"no change since {self.previous}")
        else:
            added = sum(c.triples_added for c in self.changes)
            removed = sum(c.triples_removed for c in self.changes)
            lines.append(f"since {self.previous}: {added} triples added, {removed} removed "
                         f"in {len(self.changes)} named graphs")
        return "\n".join(lines) + "\n"


_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]*$")


def release_date(value: str | None) -> str:
    """``value`` checked as YYYY-MM-DD; default: ``SOURCE_DATE_EPOCH`` if set, else today (UTC)."""
    if value is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        if not epoch:
            return datetime.now(tz=timezone.utc).date().isoformat()
        try:
            if not (epoch.isascii() and epoch.isdigit() and len(epoch) <= 12):
                raise ValueError
            return datetime.fromtimestamp(int(epoch), tz=timezone.utc).date().isoformat()
        except (ValueError, OverflowError, OSError):
            raise ReleaseError("SOURCE_DATE_EPOCH must be a whole number of seconds since "
                               f"1970-01-01 (as 'date +%s' prints), got {epoch[:40]!r}") from None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return _date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    raise ReleaseError(f"--date must be a day as YYYY-MM-DD, got {value!r}")


def load_dataset_file(path: Path) -> Dataset:
    """The dataset of ``build/dataset.nq`` (or any N-Quads/TriG file)."""
    if not path.is_file():
        raise ReleaseError("no such file; run 'scgraph build' first", path=path)
    ds = Dataset()
    bind_prefixes(ds)
    parse.parse_into(ds, path)
    return ds


def release_files(ds: Dataset, shapes: Graph, version: str, issued: str,
                  previous: PreviousRelease | None) -> dict[str, bytes]:
    """Every file of a release, by name, computed in memory (nothing is written)."""
    ontology_graph = ds.graph(ONTOLOGY_GRAPH)
    nq = nquads(ds)
    dumps = {
        "graph.ttl": turtle(union_graph(ds)),
        "graph-inferred.ttl": turtle(union_graph(ds, include_inferred=True)),
        "graph.nt": ntriples(union_graph(ds)),
        "graph-inferred.nt": ntriples(union_graph(ds, include_inferred=True)),
        "dataset.nq": nq,
        "dataset.trig": trig(ds),
        "dataset.jsonld": jsonld(ds),
    }
    files: dict[str, bytes] = dict(dumps)
    files.update({f"{name}.gz": gzip_bytes(data) for name, data in dumps.items()})
    files["ontology.ttl"] = turtle(ontology_graph)
    files["shapes.ttl"] = turtle(shapes)
    files["ontology.html"] = ontology_html(ontology_graph, version=version).encode("utf-8")
    files["context.jsonld"] = context_file()

    store = OxigraphStore()
    try:
        store.store.load(nq, format=ox.RdfFormat.N_QUADS)
        infos = [FileInfo(n, len(b), sha256(b)) for n, b in sorted(files.items())]
        files["void.ttl"] = turtle(void_graph(store, infos, version, issued))
    finally:
        store.close()
    files["LICENSE.md"] = license_text(version).encode("utf-8")
    files["CHANGELOG.md"] = changelog(version, issued, nq, previous).encode("utf-8")
    files[CHECKSUMS] = "".join(f"{sha256(b)}  {n}\n" for n, b in sorted(files.items())).encode()
    return files


def _release_folder(out_dir: Path) -> Path:
    """``out_dir``, or the folder it links to when that link was not made by publish."""
    recover_folder(out_dir)
    if out_dir.is_symlink() and not os.readlink(out_dir).startswith(f".{out_dir.name}.gen-"):
        return out_dir.resolve()
    return out_dir


def _check_release_folder(out_dir: Path, files: dict[str, bytes]) -> None:
    """Refuse a real folder that holds files other than a release's: switching the release in
    as a whole would drop them."""
    if out_dir.is_symlink() or not out_dir.is_dir():
        return
    known = set(files)
    sums = out_dir / CHECKSUMS
    if sums.is_file():  # the files of the release already there
        known |= {line.split("  ", 1)[-1] for line in sums.read_text("utf-8").splitlines()}
    other = sorted(p.name for p in out_dir.iterdir()
                   if p.name not in known and not (p.name.startswith(".") and p.name.endswith(".tmp")))
    if other:
        shown = ", ".join(other[:5]) + (f" and {len(other) - 5} more" if len(other) > 5 else "")
        raise ReleaseError(f"the folder holds files that are not part of a release ({shown}); "
                           "publish into an empty or new folder", path=out_dir)


def publish(out_dir: Path | str = Path("build/release"), *, dataset: Path | str = Path("build/dataset.nq"),
            shapes: Path | str | None = None, version: str | None = None, issued: str | None = None,
            previous: Path | str | None = None) -> Release:
    """Write a release of ``dataset`` (default ``build/dataset.nq``) into ``out_dir``.

    ``previous`` is the folder of the release to compare with (default: ``out_dir`` itself,
    read before anything is overwritten). The release is written into a new folder and
    ``out_dir`` (a symbolic link) is switched to it at once (:func:`scgraph.files.replace_folder`):
    a failure or a kill at any moment leaves the previous release whole, never a mix.
    """
    given = Path(out_dir)
    if given.exists() and not given.is_dir():  # never turn build/graph.ttl into a folder
        raise ReleaseError("is a file, not a release folder; give --out a new folder, an empty "
                           "one or an earlier release", path=given)
    if given.parent.exists() and not given.parent.is_dir():
        raise ReleaseError(f"{given.parent} is a file, not a folder", path=given)
    out_dir = _release_folder(given)
    version = version or __version__
    if not _VERSION.match(version):
        raise ReleaseError(f"--version must be letters, digits, '.', '+', '_' or '-', got {version!r}")
    issued = release_date(issued)
    prev_dir = Path(previous) if previous is not None else out_dir
    if previous is not None and not prev_dir.is_dir():
        raise ReleaseError("no such folder for --previous", path=prev_dir)
    try:
        prev = read_previous(prev_dir)
    except SourceError as e:
        raise ReleaseError(f"cannot read the previous release: {e.message}", path=e.path, line=e.line) from None
    if previous is not None and prev is None:
        raise ReleaseError("not a release folder (no dataset.nq and void.ttl)", path=prev_dir)
    ds = load_dataset_file(Path(dataset))
    files = release_files(ds, load_shapes(shapes), version, issued, prev)
    _check_release_folder(out_dir, files)
    with replace_folder(out_dir, stage="release-switch") as new:
        for name, data in sorted(files.items()):
            write_atomic(new / name, data)
    written = {name: out_dir / name for name in sorted(files)}
    changes = None if prev is None else compare(prev.nquads, files["dataset.nq"])
    return Release(out_dir, version, issued, written, changes,
                   None if prev is None else f"{prev.version} ({prev.issued})")
