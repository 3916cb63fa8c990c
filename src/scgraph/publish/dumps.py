"""The dumps of a release, streamed from an Oxigraph store (issue 15).

Every dump is written from the store's own indexes by Oxigraph's serialisers, so publishing
holds no graph in memory, whatever its size:

- ``dataset.nq``, ``dataset.trig``, ``dataset.jsonld``: every named graph, inferences included
  (:meth:`pyoxigraph.Store.dump`);
- ``graphs/PATH.ttl``: one Turtle file per named graph, ``graph:source/x`` in
  ``graphs/source/x.ttl`` (:func:`graph_file`); ``void.ttl`` names each as its graph's
  ``void:dataDump``;
- ``graph.ttl`` and ``graph.nt``: the asserted graphs merged, each triple once, and
  ``graph-inferred.ttl``/``.nt``: the same with the inferred graph. A triple stated in several
  graphs is written from the first graph (in IRI order) that holds it: the store answers a
  ``FILTER NOT EXISTS`` per triple from its subject-first index, which keeps memory flat where
  ``SELECT DISTINCT`` or ``CONSTRUCT`` would keep every triple seen (about 300 bytes each,
  measured: 700 MB at 2 M triples). One pass writes both formats.
- a gzip copy of each, compressed in a second thread while the next dump is written
  (Oxigraph's serialisers and zlib both let go of the interpreter lock).

Each file is written through a temporary file and a rename (:func:`scgraph.files.atomic_path`)
inside the release's new generation, which is switched in whole at the end.

Oxigraph writes in its index order, which depends only on the data: the same store gives the
same bytes. The ``id:`` and ``graph:`` prefixes are not used in the dumps: their local names hold
``/``, which Turtle would escape (``id:city\\/porto``); full IRIs read better.
"""

from __future__ import annotations

import concurrent.futures
import gzip
import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ..files import atomic_path, write_atomic
from ..namespaces import GRAPH, ID, INFERRED_GRAPH, PREFIXES
from ..store import OxigraphStore

#: The whole-dataset dumps and their formats.
DATASET_DUMPS = {
    "dataset.nq": ox.RdfFormat.N_QUADS,
    "dataset.trig": ox.RdfFormat.TRIG,
    "dataset.jsonld": ox.RdfFormat.JSON_LD,
}
#: The merged dumps (named graphs merged, each triple once).
MERGED_DUMPS = ("graph.ttl", "graph.nt", "graph-inferred.ttl", "graph-inferred.nt")
GRAPHS_DIR = "graphs"
GZIP_LEVEL = 6  # zlib's default: within a few per cent of 9 on these dumps, several times faster
_CHUNK = 1 << 20

#: Prefixes for Turtle and TriG: every scgraph prefix but those of instance IRIs (see above).
DUMP_PREFIXES = {p: str(ns) for p, ns in sorted(PREFIXES.items()) if str(ns) not in (str(ID), str(GRAPH))}

_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def graph_file(name: str) -> str:
    """The release path of the Turtle dump of the named graph ``name``.

    ``https://w3id.org/scgraph/graph/source/web/x`` -> ``graphs/source/web/x.ttl``; a graph
    outside scgraph's graph namespace, or whose path is not plain file names, goes to
    ``graphs/other/SHA256-PREFIX.ttl`` (no IRI can name a file outside ``graphs/``).
    """
    prefix = str(GRAPH)
    if name.startswith(prefix):
        parts = name[len(prefix):].split("/")
        if parts and all(_SEGMENT.match(p) and not p.endswith(".") for p in parts) and len(parts) <= 8:
            return f"{GRAPHS_DIR}/{'/'.join(parts)}.ttl"
    return f"{GRAPHS_DIR}/other/{hashlib.sha256(name.encode()).hexdigest()[:16]}.ttl"


@dataclass(frozen=True)
class FileInfo:
    """A release file: its name (a path relative to the release folder), size and SHA-256."""

    name: str
    size: int
    sha256: str


@dataclass
class DumpStats:
    """What the merged pass counted: distinct triples, in all and per property."""

    triples: int = 0
    asserted: int = 0
    by_property: Counter[str] = field(default_factory=Counter)


class _HashingWriter:
    """A binary file that hashes what is written to it."""

    def __init__(self, path: Path) -> None:
        self.file = path.open("wb")
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.file.write(data)
        self.hash.update(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        self.file.flush()

    def close(self) -> None:
        self.file.close()


def gzip_file(path: Path, target: Path) -> tuple[FileInfo, FileInfo]:
    """Compress ``path`` into ``target`` deterministically (no name, modification time 0);
    return the infos of both, read and written in one pass each."""
    h = hashlib.sha256()
    size = 0
    with atomic_path(target) as tmp:
        out = _HashingWriter(tmp)
        try:
            with path.open("rb") as f, gzip.GzipFile(filename="", mode="wb", fileobj=out,  # type: ignore[arg-type]
                                                     compresslevel=GZIP_LEVEL, mtime=0) as gz:
                while chunk := f.read(_CHUNK):
                    h.update(chunk)
                    size += len(chunk)
                    gz.write(chunk)
        finally:
            out.close()
    return FileInfo("", size, h.hexdigest()), FileInfo("", out.size, out.hash.hexdigest())


def _values(iris: list[str]) -> str:
    return " ".join(f"<{i}>" for i in iris)


def merged_query(inferred: str) -> str:
    """Each triple of the asserted graphs once, from the first graph in IRI order that holds it."""
    return f"""SELECT ?s ?p ?o WHERE {{
  GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{inferred}>)
  FILTER NOT EXISTS {{ GRAPH ?h {{ ?s ?p ?o }} FILTER(?h != <{inferred}> && STR(?h) < STR(?g)) }}
}}"""


def inferred_only_query(inferred: str) -> str:
    """The triples of the inferred graph no asserted graph holds."""
    return f"""SELECT ?s ?p ?o WHERE {{
  GRAPH <{inferred}> {{ ?s ?p ?o }}
  FILTER NOT EXISTS {{ GRAPH ?h {{ ?s ?p ?o }} FILTER(?h != <{inferred}>) }}
}}"""


class DumpWriter:
    """Writes the dumps of one store into a release folder and gathers their infos.

    Use as a context manager: the gzip copies are made in a second thread and waited for on
    exit (an error in one is raised there)."""

    def __init__(self, store: OxigraphStore, folder: Path) -> None:
        self.store = store.store
        self.folder = folder
        self.infos: dict[str, FileInfo] = {}
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="gzip")
        self._jobs: list[concurrent.futures.Future[None]] = []

    def __enter__(self) -> DumpWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            for job in self._jobs:
                if exc[0] is None:
                    job.result()
                else:
                    job.cancel()
        finally:
            self._pool.shutdown(wait=True)

    def _path(self, name: str) -> Path:
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def _written(self, name: str) -> None:
        """Record ``name`` (written) and queue its gzip copy, which also hashes it."""
        path = self.folder / name

        def job() -> None:
            plain, packed = gzip_file(path, self.folder / f"{name}.gz")
            self.infos[name] = FileInfo(name, plain.size, plain.sha256)
            self.infos[f"{name}.gz"] = FileInfo(f"{name}.gz", packed.size, packed.sha256)

        self._jobs.append(self._pool.submit(job))

    def add(self, name: str, data: bytes) -> None:
        """A small file made in memory (ontology, shapes, notes), not compressed."""
        write_atomic(self._path(name), data)
        self.infos[name] = FileInfo(name, len(data), hashlib.sha256(data).hexdigest())

    def dataset_dumps(self) -> None:
        for name, fmt in DATASET_DUMPS.items():
            with atomic_path(self._path(name)) as tmp:
                self.store.dump(str(tmp), fmt, prefixes=DUMP_PREFIXES)
            self._written(name)

    def graph_dumps(self, graphs: list[str]) -> dict[str, str]:
        """One Turtle file per named graph; returns graph IRI -> release path."""
        paths: dict[str, str] = {}
        for g in graphs:
            name = graph_file(g)
            with atomic_path(self._path(name)) as tmp:
                self.store.dump(str(tmp), ox.RdfFormat.TURTLE, from_graph=ox.NamedNode(g),
                                prefixes=DUMP_PREFIXES)
            self._written(name)
            paths[g] = name
        return paths

    def merged_dumps(self, inferred: str = str(INFERRED_GRAPH)) -> DumpStats:
        """``graph.ttl``/``.nt`` (asserted) and ``graph-inferred.ttl``/``.nt`` (with the
        inferred graph): the inferred files are the asserted ones followed by what only the
        inferred graph holds (Turtle allows prefix directives anywhere)."""
        stats = DumpStats()
        self._merged_pair("graph", merged_query(inferred), stats)
        stats.asserted = stats.triples
        self._merged_pair("graph-extra", inferred_only_query(inferred), stats)
        for ext in ("ttl", "nt"):
            with atomic_path(self._path(f"graph-inferred.{ext}")) as tmp, tmp.open("wb") as out:
                for part in (f"graph.{ext}", f"graph-extra.{ext}"):
                    with (self.folder / part).open("rb") as f:
                        while chunk := f.read(_CHUNK):
                            out.write(chunk)
            (self.folder / f"graph-extra.{ext}").unlink()
        for name in MERGED_DUMPS:
            self._written(name)
        return stats

    def _merged_pair(self, stem: str, query: str, stats: DumpStats) -> None:
        with atomic_path(self._path(f"{stem}.nt")) as nt_tmp, atomic_path(self._path(f"{stem}.ttl")) as ttl_tmp, \
                nt_tmp.open("wb") as nt, ttl_tmp.open("wb") as ttl:
            write = nt.write
            count = stats.by_property

            def triples() -> Iterator[ox.Triple]:
                for s, p, o in self.store.query(query):  # type: ignore[misc,union-attr]
                    t = ox.Triple(s, p, o)
                    write(f"{t} .\n".encode())
                    count[p.value] += 1
                    yield t

            ox.serialize(triples(), ttl, ox.RdfFormat.TURTLE, prefixes=DUMP_PREFIXES)
        stats.triples = sum(stats.by_property.values())

