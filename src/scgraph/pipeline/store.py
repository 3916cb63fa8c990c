"""Build the whole graph into a new on-disk Oxigraph store, from files, with one bulk load.

Oxigraph's bulk loader is fast on one big input and much slower on several loads into the
same store (each new load's files are merged with the earlier ones'). So the store build
reasons first, from files, and loads once:

1. the curated graphs (an rdflib Dataset, small) are written out by an in-memory Oxigraph
   store, one N-Triples file per graph, as Oxigraph serialises them;
2. the registry graphs come as files too: the N-Quads an import wrote (one graph per file,
   read line by line: the CORDIS importer writes exactly what Oxigraph writes, which
   ``tests/test_store_build.py`` checks), other RDF files through a scratch in-memory store,
   and the registry graphs of the previous store (those no file replaces) dumped from it;
3. :func:`scgraph.reason.stream.load_and_infer` writes the streaming reasoner's local
   consequences to a file, bulk-loads everything once (the registry files read in blocks),
   then runs transitivity, equality and consistency in the store.

The result is the store :func:`scgraph.reason.infer_store` would make from the same graphs.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset

from ..errors import SourceError, StoreError
from ..inputs import require_regular_file
from ..parse import guess_format
from ..namespaces import GRAPH, INFERRED_GRAPH, METADATA_GRAPH, ONTOLOGY_GRAPH
from ..reason.rules import read_schema
from ..reason.stream import NotOneGraph, Source, load_and_infer, single_graph
from ..store import OxigraphStore

REGISTRY_PREFIX = str(GRAPH["registry/"])
Progress = Callable[[str], None]

@dataclass
class StoreBuild:
    """What :func:`build_store` did."""

    passes: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    general: bool = False  # True when it fell back to loading first and reasoning in the store


#: Formats without graph names: what they hold would land in no registry graph.
TRIPLE_FORMATS = ("turtle", "nt", "xml", "n3", "json-ld")


def check_registry_file(path: Path) -> None:
    """A registry file names its graphs: N-Quads or TriG (as 'scgraph import --output' writes
    them). A Turtle or N-Triples file holds none, and its triples would be in no graph of the
    build: a one-line StoreError, not a silent drop."""
    try:
        fmt = guess_format(path)
    except SourceError as e:
        raise StoreError(e.message, path=path) from None
    if fmt in TRIPLE_FORMATS:
        raise StoreError(f"a registry file names its graphs (N-Quads or TriG, as 'scgraph import "
                         f"--output' writes them); this {fmt} file has no graph names. Add your own "
                         "data to a build with 'scgraph build --add FILE'", path=path)


def registry_sources(files: Sequence[Path], old: OxigraphStore | None, tmp: Path,
                     say: Progress) -> list[Source]:
    """The registry graphs as :class:`Source` files: ``files`` (N-Quads of one graph read as
    they are; any other RDF through a scratch store) and the registry graphs of ``old`` that
    no file provides."""
    sources: list[Source] = []
    scratch: OxigraphStore | None = None
    for path in files:
        path = Path(path)
        try:
            require_regular_file(path)  # a FIFO or a device is refused before it is read
        except SourceError as e:
            raise StoreError(e.message, path=path) from None
        graph = single_graph(path) if path.suffix == ".nq" else None
        if graph is not None and _is_one_graph(path, graph):
            sources.append(Source(graph, path, quads=True, data=True))
            continue
        check_registry_file(path)
        say(f"Reading {path}")
        scratch = scratch or OxigraphStore()
        scratch.bulk_load(path)  # reports a bad file as a one-line StoreError
        outside = sum(1 for _ in scratch.store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
        if outside:
            raise StoreError(f"{outside} triples of this file are in no named graph; a registry "
                             "file puts every triple in a graph (graph:registry/NAME)", path=path)
    if scratch is not None:
        for g in sorted(n.value for n in scratch.store.named_graphs() if isinstance(n, ox.NamedNode)):
            sources.append(Source(g, dump_graph(scratch.store, g, tmp), quads=False, data=True))
    given = {s.graph for s in sources}
    if old is not None:
        for g in sorted(str(n) for n in old.named_graphs()
                        if str(n).startswith(REGISTRY_PREFIX) and str(n) not in given):
            say(f"Copying {g} from the previous store")
            sources.append(Source(g, dump_graph(old.store, g, tmp), quads=False, data=True))
    return sources


def dump_graph(store: ox.Store, graph: str | None, folder: Path) -> Path:
    """Dump one named graph (N-Triples), or the whole store (N-Quads) for ``graph`` None, to a
    new temporary file in ``folder``; return its path."""
    fd, name = tempfile.mkstemp(dir=folder, suffix=".nt" if graph else ".nq")
    os.close(fd)
    if graph is None:
        store.dump(name, format=ox.RdfFormat.N_QUADS)
    else:
        store.dump(name, format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
    return Path(name)


def _is_one_graph(path: Path, graph: str) -> bool:
    suffix = f" <{graph}> .\n"
    with path.open(encoding="utf-8") as f:
        return all(line.endswith(suffix) or not line.strip() for line in f)


def build_store(new: OxigraphStore, ds: Dataset, registry: Sequence[Source], tmp: Path,
                say: Progress, inferred: str = "full") -> StoreBuild:
    """Put ``ds`` (the curated graphs, its inferred graph: what they entail, in full), the
    ``registry`` graphs and the inferred graph into the empty store ``new``. ``inferred``:
    ``full``, or ``lean`` (of what the registry adds, only what
    :class:`scgraph.reason.keep.Lean` keeps)."""
    result = StoreBuild()
    t = time.perf_counter()
    say("Writing the curated graphs out")
    mem = OxigraphStore()
    mem.load_dataset(ds)
    curated_nq = dump_graph(mem.store, None, tmp)
    fixed = {str(ONTOLOGY_GRAPH), str(INFERRED_GRAPH), str(METADATA_GRAPH)}
    curated: list[Source] = []
    for g in sorted(n.value for n in mem.store.named_graphs() if isinstance(n, ox.NamedNode)):
        if g in (str(INFERRED_GRAPH), str(METADATA_GRAPH)):
            continue
        curated.append(Source(g, dump_graph(mem.store, g, tmp), quads=False, data=g not in fixed))
    schema_graph = ox.NamedNode(str(ONTOLOGY_GRAPH))
    graphs = [schema_graph, *(ox.NamedNode(s.graph) for s in [*curated, *registry]
                              if s.graph != str(ONTOLOGY_GRAPH))]
    graphs = list(dict.fromkeys(graphs))
    ax = read_schema(mem.store, [ox.NamedNode(s.graph) for s in curated])
    result.timings["store-prepare"] = time.perf_counter() - t

    loaded = load_and_infer(new.store, curated_nq, curated, registry, schema=ax, graphs=graphs,
                            target=ox.NamedNode(str(INFERRED_GRAPH)), tmp=tmp, say=say,
                            inferred=inferred)
    result.timings.update(loaded.timings)
    result.passes, result.general = loaded.passes, loaded.general
    return result


__all__ = ["NotOneGraph", "StoreBuild", "build_store", "registry_sources"]
