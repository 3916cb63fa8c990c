"""``CHANGELOG.md``: what changed in each named graph since the previous release.

The comparison runs in a scratch on-disk Oxigraph store, so its memory does not grow with the
graph: the previous release's ``dataset.nq`` is bulk-loaded there once, and each named graph
that changed is loaded beside it from the new release's Turtle file and compared with SPARQL
(``FILTER NOT EXISTS`` per triple). A graph whose Turtle file has the same SHA-256 as in the
previous release (both list it in ``SHA256SUMS``) is unchanged and not read at all: the dumps
depend only on the data. Blank nodes cannot be matched across releases; scgraph's data has
none.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, VOID

from .. import inputs, parse
from ..errors import ReleaseError
from ..namespaces import DATASET_IRI, short
from ..store import OxigraphStore

CHECKSUMS = "SHA256SUMS"
CHANGELOG_HEADER = "# Changelog of the scgraph dataset\n\n"
#: At most this many things added or removed are listed per graph; the counts are exact.
LISTED = 200
_NEW = ox.NamedNode("urn:x-scgraph:changelog:new")
_OLD = ox.NamedNode("urn:x-scgraph:changelog:old")


@dataclass
class GraphChange:
    """What changed in one named graph between two releases (``graph`` in N-Triples form)."""

    graph: str
    triples_added: int
    triples_removed: int
    things_added: list[str]
    things_removed: list[str]
    things_added_count: int = -1
    things_removed_count: int = -1

    def __post_init__(self) -> None:
        if self.things_added_count < 0:
            self.things_added_count = len(self.things_added)
        if self.things_removed_count < 0:
            self.things_removed_count = len(self.things_removed)


@dataclass(frozen=True)
class PreviousRelease:
    """What publish needs from an earlier release folder (nothing of it is read into memory
    but its notes)."""

    folder: Path
    version: str
    issued: str
    changelog: str
    sums: dict[str, str]  # release path -> SHA-256, from SHA256SUMS
    graph_dumps: dict[str, str]  # named graph IRI -> release path of its Turtle file

    @property
    def dataset(self) -> Path:
        return self.folder / "dataset.nq"


def read_sums(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text("utf-8").splitlines():
        digest, sep, name = line.partition("  ")
        if sep:
            out[name] = digest
    return out


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
    dumps = {}
    for subset in g.objects(DATASET_IRI, VOID.subset):
        for dump in g.objects(subset, VOID.dataDump):
            name = str(dump).rsplit("/graphs/", 1)
            if len(name) == 2 and name[1].endswith(".ttl"):
                dumps[str(subset)] = "graphs/" + name[1]
    log = folder / "CHANGELOG.md"
    return PreviousRelease(folder, str(version), str(issued),
                           log.read_text("utf-8") if log.is_file() else "",
                           read_sums(folder / CHECKSUMS), dumps)


def _count(store: ox.Store, sparql: str) -> int:
    for row in store.query(sparql):  # type: ignore[union-attr]
        return int(row[0].value)  # type: ignore[index]
    return 0


def _things(store: ox.Store, inner: ox.NamedNode, outer: ox.NamedNode) -> tuple[list[str], int]:
    """IRI subjects of ``inner`` that are no subject of ``outer``: the first :data:`LISTED`, and how many."""
    where = f"GRAPH {inner} {{ ?s ?p ?o }} FILTER isIRI(?s) FILTER NOT EXISTS {{ GRAPH {outer} {{ ?s ?x ?y }} }}"
    n = _count(store, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {where} }}")
    rows = store.query(f"SELECT DISTINCT ?s WHERE {{ {where} }} ORDER BY ?s LIMIT {LISTED}")
    return [str(r[0]) for r in rows], n  # type: ignore[index,union-attr]


def _diff(store: ox.Store, old: ox.NamedNode, new: ox.NamedNode, name: str) -> GraphChange | None:
    added = _count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {new} {{ ?s ?p ?o }} "
                          f"FILTER NOT EXISTS {{ GRAPH {old} {{ ?s ?p ?o }} }} }}")
    removed = _count(store, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {old} {{ ?s ?p ?o }} "
                            f"FILTER NOT EXISTS {{ GRAPH {new} {{ ?s ?p ?o }} }} }}")
    if not added and not removed:
        return None
    things_added, n_added = _things(store, new, old)
    things_removed, n_removed = _things(store, old, new)
    return GraphChange(f"<{name}>", added, removed, things_added, things_removed, n_added, n_removed)


def compare(previous: PreviousRelease, folder: Path, graph_dumps: dict[str, str],
            sums: dict[str, str]) -> list[GraphChange]:
    """Per named graph: triples and things (IRI subjects) added and removed since ``previous``.

    ``folder`` holds the new release's graph dumps (``graph_dumps``: IRI -> path) with their
    checksums ``sums``."""
    names = sorted(set(previous.graph_dumps) | set(graph_dumps))
    unchanged = {g for g in names if g in previous.graph_dumps and g in graph_dumps
                 and previous.sums.get(previous.graph_dumps[g]) is not None
                 and previous.sums.get(previous.graph_dumps[g]) == sums.get(graph_dumps[g])}
    todo = [g for g in names if g not in unchanged]
    if not todo and previous.graph_dumps:
        return []
    changes: list[GraphChange] = []
    with tempfile.TemporaryDirectory(prefix=".changelog-", dir=folder.parent) as tmp:
        scratch = OxigraphStore(Path(tmp) / "store")
        store = scratch.store
        try:
            if not previous.graph_dumps:  # a release from before graph dumps: its graphs from its dataset
                scratch.bulk_load(previous.dataset)
                todo = sorted(set(graph_dumps) | {g.value for g in store.named_graphs()
                                                  if isinstance(g, ox.NamedNode)})
            for name in todo:
                store.clear_graph(_NEW)
                if name in graph_dumps:
                    _load(store, folder / graph_dumps[name], _NEW)
                old = ox.NamedNode(name)
                if previous.graph_dumps:
                    old = _OLD
                    store.clear_graph(_OLD)
                    if name in previous.graph_dumps:
                        _load(store, previous.folder / previous.graph_dumps[name], _OLD)
                change = _diff(store, old, _NEW, name)
                if change is not None:
                    changes.append(change)
        finally:
            del store  # the last reference but the scratch's own: RocksDB closes with it
            scratch.close()
    return changes


def _load(store: ox.Store, path: Path, graph: ox.NamedNode) -> None:
    try:
        inputs.require_regular_file(path)
        store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=graph)
    except SyntaxError as e:
        raise ReleaseError(f"cannot read a graph dump: {' '.join(str(e).split())[:200]}", path=path) from None
    except OSError as e:
        raise ReleaseError(f"cannot read a graph dump: {e.strerror or e}", path=path) from None


def _short_nt(term: str) -> str:
    return short(URIRef(term[1:-1])) if term.startswith("<") else term


def changelog_section(version: str, issued: str, changes: list[GraphChange] | None,
                      previous: tuple[str, str] | None, counts: dict[str, int]) -> str:
    """One ``## version (date)`` section of CHANGELOG.md."""
    lines = [f"## {version} ({issued})", ""]
    if previous is None or changes is None:
        lines += ["First release: there is no previous release to compare with.", "",
                  "| named graph | triples |", "|---|---:|"]
        lines += [f"| {_short_nt(f'<{g}>')} | {n} |" for g, n in sorted(counts.items())]
        return "\n".join(lines) + "\n"
    lines += [f"Compared with release {previous[0]} ({previous[1]}).", ""]
    if not changes:
        lines += ["No statement was added or removed.", ""]
        return "\n".join(lines)
    lines += ["| named graph | triples added | triples removed | things added | things removed |",
              "|---|---:|---:|---:|---:|"]
    lines += [f"| {_short_nt(c.graph)} | {c.triples_added} | {c.triples_removed} | "
              f"{c.things_added_count} | {c.things_removed_count} |" for c in changes]
    for c in changes:
        if c.things_added or c.things_removed:
            lines += ["", f"### {_short_nt(c.graph)}", ""]
            lines += [f"- added {_short_nt(t)}" for t in c.things_added]
            if c.things_added_count > len(c.things_added):
                lines.append(f"- and {c.things_added_count - len(c.things_added)} more added")
            lines += [f"- removed {_short_nt(t)}" for t in c.things_removed]
            if c.things_removed_count > len(c.things_removed):
                lines.append(f"- and {c.things_removed_count - len(c.things_removed)} more removed")
    return "\n".join(lines) + "\n"


def changelog(version: str, issued: str, counts: dict[str, int], dataset_sha256: str,
              previous: PreviousRelease | None, changes: list[GraphChange] | None) -> str:
    """CHANGELOG.md: a new section for this release on top of the previous release's sections.

    Publishing the same version with the same data again keeps the previous changelog as is,
    so a rerun gives the same bytes.
    """
    if previous is None:
        return CHANGELOG_HEADER + changelog_section(version, issued, None, None, counts)
    if (previous.version == version and previous.sums.get("dataset.nq") == dataset_sha256
            and previous.changelog):
        return previous.changelog
    section = changelog_section(version, issued, changes, (previous.version, previous.issued), counts)
    older = previous.changelog[len(CHANGELOG_HEADER):] if previous.changelog.startswith(CHANGELOG_HEADER) else ""
    kept = [s for s in re.split(r"(?m)^(?=## )", older) if s.strip()
            and not (s.startswith(f"## {version} ") and previous.version == version)]
    return CHANGELOG_HEADER + section + "".join("\n" + s.rstrip("\n") + "\n" for s in kept)

