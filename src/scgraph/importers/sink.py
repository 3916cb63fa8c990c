"""Where an import goes: one :class:`Sink` per kind of target, every one all or nothing.

An importer produces one named graph as a stream of light triples
(:mod:`scgraph.terms`). A sink consumes the whole stream into a staging area the
target's readers cannot see, then calls the import's ``check`` (which raises to refuse the
import: :class:`~scgraph.errors.RejectedRows`), and only then puts the graph in place. Whatever
raises on the way (a rejected row, a table with a missing column, a full disk, a lost
connection) leaves the target as it was; for the on-disk targets a kill does too.

==============================  ===========================  ==================================
target                          staged in                    put in place by
==============================  ===========================  ==================================
N-Quads file                    a temporary file beside it   a rename (replaces the file)
on-disk Oxigraph store          a new store generation,      switching the store's link
(``oxigraph:PATH``)             other graphs copied over     (replaces the graph)
SPARQL endpoint (``sparql:``)   a scratch graph on the       one ``MOVE`` (replaces the graph)
                                endpoint, streamed
an open ``pyoxigraph.Store``    an in-memory Oxigraph store  the bulk loader (adds to the graph)
an rdflib ``Dataset``           memory (none for a new one)  ``addN`` (adds to the graph)
any other scgraph store         an rdflib Dataset            ``load_dataset`` (adds)
(``memory``, ``oxigraph``)
nothing (a check of the input)  --                           --
==============================  ===========================  ==================================

:func:`sink_for` picks the sink for a target as the CLI and the API name it (a store spec, an
open store, a Dataset, an output path, or None).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

import pyoxigraph as ox
from rdflib import Dataset, Graph, Literal, URIRef

from ..errors import SourceError, StoreError
from ..files import atomic_path
from ..layout import StoreSpec
from ..namespaces import GRAPH
from ..store import OxigraphStore, SparqlStore, copy_graphs, open_store, replace_store
from ..terms import LightTriple as Triple, light_to_nt, light_to_ox, light_to_rdflib

#: Called once the last triple is staged and before anything is put in place; it raises to
#: refuse the import (the target is then left as it was).
Check = Callable[[], None]


@runtime_checkable
class Sink(Protocol):
    """A target of an import."""

    def write(self, graph: str, triples: Iterable[Triple], check: Check | None = None) -> None:
        """Put the named graph ``graph``, made of ``triples``, into the target, all or nothing:
        stage every triple, call ``check``, then put them in place. If anything raises, the
        target is as it was before the call."""
        ...


def scratch_graph(graph: str) -> URIRef:
    """Where a remote import of ``graph`` is uploaded before it replaces the graph (outside
    ``graph:registry/``, so a build never mistakes a leftover for registry data):
    ``graph:registry/cordis`` -> ``graph:scratch/import-cordis``."""
    return GRAPH[f"scratch/import-{graph.rstrip('/').rsplit('/', 1)[-1]}"]


def _rdflib_quads(graph: Graph, triples: Iterable[Triple]) -> Iterator[tuple[URIRef, URIRef, URIRef | Literal, Graph]]:
    for s, p, o in triples:
        yield URIRef(s), URIRef(p), light_to_rdflib(o), graph


def _ox_quads(graph: str, triples: Iterable[Triple]) -> Iterator[ox.Quad]:
    g = ox.NamedNode(graph)
    predicates: dict[str, ox.NamedNode] = {}
    for s, p, o in triples:
        pn = predicates.get(p)
        if pn is None:
            pn = predicates[p] = ox.NamedNode(p)
        yield ox.Quad(ox.NamedNode(s), pn, light_to_ox(o), g)


def _staged_dataset(graph: str, triples: Iterable[Triple]) -> Dataset:
    ds = Dataset()
    g = ds.graph(URIRef(graph))
    g.addN(_rdflib_quads(g, triples))
    return ds


class NullSink:
    """Nothing is kept: the stream is read to its end (every row read, mapped and counted) and
    checked. An import into it is a check of the input."""

    def write(self, graph: str, triples: Iterable[Triple], check: Check | None = None) -> None:
        for _t in triples:
            pass
        if check is not None:
            check()


class NQuadsFileSink:
    """An N-Quads file, replaced as a whole. The stream is written to a temporary file, renamed
    onto a second temporary file when whole, which is renamed onto ``path`` once the check
    passed; folders the write had to make are removed again when it fails."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def write(self, graph: str, triples: Iterable[Triple], check: Check | None = None) -> None:
        if self.path.is_dir():  # checked before anything is read or written
            raise SourceError("is a folder; give --output an N-Quads file", path=self.path)
        if self.path.exists() and not self.path.is_file():
            raise SourceError("is not a regular file; give --output an N-Quads file", path=self.path)
        blocking = next((d for d in self.path.parents if d.exists() and not d.is_dir()), None)
        if blocking is not None:
            raise SourceError(f"{blocking} is a file, not a folder", path=self.path)
        made = [d for d in (self.path.parent, *self.path.parent.parents) if not d.exists()]
        g = f"<{graph}>"
        try:
            with atomic_path(self.path) as staged:
                with atomic_path(staged) as tmp, tmp.open("w", encoding="utf-8", newline="\n") as f:
                    for s, p, o in triples:
                        f.write(f"<{s}> <{p}> {light_to_nt(o)} {g} .\n")
                if check is not None:
                    check()
                _keep_time_if_same(staged, self.path)
        except BaseException:
            _remove_empty(made)
            raise


def _keep_time_if_same(new: Path, old: Path) -> None:
    """Give ``new`` the modification time of ``old`` when their bytes are the same: an import
    that changes nothing leaves the file as the last build saw it, so read commands do not say
    the store is older than the import (:meth:`scgraph.layout.BuildFolder.imports_not_built`)."""
    import filecmp
    import os

    if old.is_file() and filecmp.cmp(new, old, shallow=False):
        st = old.stat()
        os.utime(new, ns=(st.st_atime_ns, st.st_mtime_ns))


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders a failed write made, innermost first (each left alone if something
    else wrote into it)."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


class OxigraphGenerationSink:
    """The on-disk Oxigraph store at ``path`` (``oxigraph:PATH``): the graph is imported into a
    new generation of the store, with every other graph of the current one copied over, which
    replaces the store only when the import succeeded (:func:`scgraph.store.replace_store`).
    Rejected rows, a failure or a kill leave the store as it was (Oxigraph's bulk loader is not
    atomic; the switch is)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def write(self, graph: str, triples: Iterable[Triple], check: Check | None = None) -> None:
        name = URIRef(graph)
        with replace_store(self.path) as new:
            if self.path.exists():
                old = OxigraphStore(self.path, read_only=True)
                try:
                    copy_graphs(old, new, [g for g in old.named_graphs() if g != name])
                finally:
                    old.close()
            new.store.bulk_extend(_ox_quads(graph, triples))
            if check is not None:
                check()


class OxigraphSink:
    """An open Oxigraph store (``pyoxigraph.Store``, or the ``store`` of an
    :class:`~scgraph.store.OxigraphStore`): staged in an in-memory store, then added to the
    graph with the bulk loader."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    def write(self, graph: str, triples: Iterable[Triple], check: Check | None = None) -> None:
        staged = ox.Store()
        staged.bulk_extend(_ox_quads(graph, triples))
        if check is not None:
            check()
        self.store.bulk_extend(staged)


class DatasetSink:
    """An rdflib Dataset: the graph is added to its named graph ``graph``. A sink made without
    a Dataset makes a new one (:attr:`dataset`) and fills it as the stream comes (nobody else
    sees it); a given Dataset gets the triples only once the check passed."""

    def __init__(self, dataset: Dataset | None = None) -> None:
        self._own = dataset is None
        self.dataset = Dataset() if dataset is None else dataset

    def write(self, graph: str, triples: Iterable[Triple], check: Check | None = None) -> None:
        target = self.dataset.graph(URIRef(graph))
        if self._own:
            target.addN(_rdflib_quads(target, triples))
            if check is not None:
                check()
            return
        staged = list(_rdflib_quads(target, triples))
        if check is not None:
            check()
        target.addN(staged)


class _Opened:
    """A store given as a spec is opened when the graph is ready, and closed again; an open
    store is used as it is."""

    def __init__(self, store: object) -> None:
        self.spec = store if isinstance(store, StoreSpec) else None
        self.store = None if self.spec is not None else store

    @contextlib.contextmanager
    def open(self) -> Iterator[object]:
        if self.spec is None:
            yield self.store
            return
        store = open_store(self.spec)
        try:
            yield store
        finally:
            store.close()


class SparqlSink(_Opened):
    """A SPARQL 1.1 endpoint (a ``sparql:URL`` spec or an open
    :class:`~scgraph.store.SparqlStore`). The stream is uploaded as it comes, in chunks, to a
    scratch graph (:func:`scratch_graph`: scgraph's, recorded, never in a query's dataset), so
    the client holds one chunk at a time; once the check passed one ``MOVE`` replaces the graph.
    A failed upload or a refused check drops the scratch graph and leaves the old one.

    The ``MOVE`` is the one step that can outlast the client's wait. When its answer does not
    come, the sink looks at the endpoint until the outcome is known
    (:meth:`~scgraph.store.SparqlStore.replace_graph`): the
    scratch graph gone and the graph holding the uploaded count is success; the scratch graph
    still whole after ``settle_s`` seconds is a one-line error saying that the old graph is still
    in place and how to tell if the ``MOVE`` completes later."""

    def __init__(self, store: StoreSpec | SparqlStore, scratch: URIRef | None = None,
                 settle_s: float | None = None) -> None:
        super().__init__(store)
        self.scratch = scratch
        self.settle_s = settle_s

    def write(self, graph: str, triples: Iterable[Triple], check: Check | None = None) -> None:
        with self.open() as target:
            assert isinstance(target, SparqlStore)
            target.replace_graph(URIRef(graph), ((URIRef(s), URIRef(p), light_to_rdflib(o))
                                                 for s, p, o in triples),
                                 check=check, scratch=self.scratch or scratch_graph(graph),
                                 settle_s=self.settle_s)


class StoreSink(_Opened):
    """Any other scgraph store (a ``memory`` or in-memory ``oxigraph`` spec, or an open store
    with ``load_dataset``): staged in an rdflib Dataset, loaded once the check passed."""

    def write(self, graph: str, triples: Iterable[Triple], check: Check | None = None) -> None:
        staged = _staged_dataset(graph, triples)
        if check is not None:
            check()
        with self.open() as target:
            target.load_dataset(staged)  # type: ignore[attr-defined]


def sink_for(store: object | None = None, output: Path | str | None = None) -> Sink:
    """The sink of a target as the CLI and the API name it.

    Args:
        store: a store spec (``memory``, ``oxigraph``, ``oxigraph:PATH``, ``sparql:URL``, a str
            or a :class:`~scgraph.layout.StoreSpec`; opened when the graph is ready and closed
            again), an open scgraph store, a ``pyoxigraph.Store``, an rdflib ``Dataset`` or a
            :class:`Sink`; None with no ``output``: :class:`NullSink`.
        output: an N-Quads file to write the graph to (instead of a store).
    """
    if output is not None:
        if store is not None:
            raise StoreError("give a store or an output file, not both")
        return NQuadsFileSink(output)
    if store is None:
        return NullSink()
    if isinstance(store, Sink):
        return store
    if isinstance(store, (str, StoreSpec)):
        spec = StoreSpec.parse(store)
        if spec.path is not None:
            return OxigraphGenerationSink(spec.path)
        return SparqlSink(spec) if spec.kind == "sparql" else StoreSink(spec)
    if isinstance(store, Dataset):
        return DatasetSink(store)
    if isinstance(store, ox.Store):
        return OxigraphSink(store)
    if isinstance(store, OxigraphStore):
        return OxigraphSink(store.store)
    if isinstance(store, SparqlStore):
        return SparqlSink(store)
    if hasattr(store, "load_dataset"):
        return StoreSink(store)
    raise TypeError(f"cannot import into {store!r}: expected a store spec, a store, a Dataset or a Sink")
