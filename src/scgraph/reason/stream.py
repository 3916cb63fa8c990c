"""Streaming materialisation: the OWL RL rules the ontology uses, over millions of triples.

The ``sparql`` engine (:func:`scgraph.reason.rules.materialise`) runs each rule as a SPARQL
query over the whole store, whose index joins grow with the store. But almost every rule the
ontology uses is *local*: what sub-property, inverse, symmetric, domain, range and sub-class
axioms entail from a triple depends on that triple alone, once the schema is closed
(:func:`scgraph.reason.rules.property_closure`, :func:`scgraph.reason.rules.property_types`).
So this engine

1. dumps each asserted graph of the store to N-Triples (in Rust) and reads it once, line by
   line, keeping in memory only the asserted triples whose predicate a rule can derive (so
   that a derived triple that is also asserted is left out, as :func:`scgraph.reason.infer`
   does);
2. reads it again and writes, for every triple, the triples the local rules entail (closed:
   one pass does their work), filtered by :func:`scgraph.reason.keep.keep`'s rules, to an
   N-Triples file that Oxigraph's bulk loader puts into ``graph:inferred``;
3. runs the non-local rules (transitivity) over the few triples they concern, read from the
   store one property at a time and closed in Python (:func:`transitive_step`: the SPARQL
   property path it replaces looked each triple up once per graph), expands what they find
   with the local rules, and repeats to a fixpoint; data with equality (``owl:sameAs``, or
   what functional properties entail: one grouped scan per property) is handed to the
   ``sparql`` engine, which implements the equality rules;
4. checks consistency (``owl:Nothing``, disjoint classes, same-and-different) in the store.

``tests/test_reason_engines.py`` proves it gives exactly the graph the other engines give.

For a lean graph (:class:`scgraph.reason.keep.Lean`) the rules' tables are cut to the heads
the lean rule keeps plus those the later steps read (transitive, functional and equality
properties, the classes of the consistency check), which go to the scratch graph: less Python
per triple, a smaller asserted set, and an ``scg:`` fact reached only through a standard step
(``x ex:wingOf y`` with ``ex:wingOf`` below a standard property below an ``scg:`` one, or a
transitive chain of a standard property) still found.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import tempfile
import time
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pyoxigraph as ox
from rdflib.namespace import OWL, RDF, RDFS

from ..errors import InconsistencyError, StoreError
from .keep import DROP, KEEP, NT_BASE_SUBJECT, Lean, check_mode, keeps_nt, noise_type_nt
from .rules import (
    MaterialiseResult,
    Schema,
    _consistency,
    lean_rule,
    materialise,
    property_closure,
    property_types,
    read_schema,
)

_TYPE = f"<{RDF.type}>"
_SAME_AS = f"<{OWL.sameAs}>"
#: A scratch graph: derived triples the published graph leaves out but transitivity may use.
_HIDDEN = ox.NamedNode("urn:scgraph:reason:hidden")
#: A scratch graph: the curated graphs' entailments, which a lean graph keeps in full.
CURATED = ox.NamedNode("urn:scgraph:reason:curated")
#: Predicates that state schema or equality.
_SCHEMA_PREDICATES = frozenset(f"<{p}>" for p in (
    RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range, OWL.inverseOf,
    OWL.equivalentClass, OWL.equivalentProperty, OWL.disjointWith, OWL.sameAs,
    OWL.differentFrom))


#: How many (object, class) pairs :meth:`LocalRules.expand_all` remembers at most.
_TYPED_MAX = 250_000


def _nt(iri: str) -> str:
    return f"<{iri}>"


@dataclass(frozen=True)
class LocalRules:
    """The local rules as lookup tables over N-Triples terms (``"<iri>"``), closed: the
    consequences of a triple's consequences are among its own consequences."""

    forward: dict[str, tuple[str, ...]]        # x p y  =>  x q y
    backward: dict[str, tuple[str, ...]]       # x p y  =>  y q x  (y not a literal)
    subject_types: dict[str, tuple[str, ...]]  # x p y  =>  x a c
    object_types: dict[str, tuple[str, ...]]   # x p y  =>  y a c  (y not a literal)
    super_classes: dict[str, tuple[str, ...]]  # x a c  =>  x a d

    @classmethod
    def from_schema(cls, schema: Schema) -> LocalRules:
        forward, backward = property_closure(schema)
        subject_types, object_types = property_types(schema, forward, backward)
        sco = schema.super_classes

        def up(classes: Iterable[str]) -> set[str]:
            out = set()
            for c in classes:
                out.add(c)
                out |= sco.get(c, set())
            return out

        def table(pairs: Iterable[tuple[str, str]], close: bool = False) -> dict[str, tuple[str, ...]]:
            grouped: dict[str, set[str]] = {}
            for a, b in pairs:
                grouped.setdefault(a, set()).add(b)
            return {_nt(a): tuple(sorted(_nt(x) for x in (up(bs) if close else bs)))
                    for a, bs in grouped.items()}

        return cls(forward=table(forward), backward=table(backward),
                   subject_types=table(subject_types, close=True),
                   object_types=table(object_types, close=True),
                   super_classes={_nt(c): tuple(sorted(_nt(d) for d in ds)) for c, ds in sco.items()})

    def restricted(self, predicate: Callable[[str], bool], cls: Callable[[str], bool]) -> LocalRules:
        """The same rules deriving only the triples whose predicate (or, for ``rdf:type``,
        class) passes the test: the tables are closed, so what they still derive is what
        they derived before, less the heads left out."""
        def props(table: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
            out = {p: tuple(q for q in qs if predicate(q)) for p, qs in table.items()}
            return {p: qs for p, qs in out.items() if qs}

        def classes(table: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
            out = {p: tuple(c for c in cs if cls(c)) for p, cs in table.items()}
            return {p: cs for p, cs in out.items() if cs}

        return LocalRules(forward=props(self.forward), backward=props(self.backward),
                          subject_types=classes(self.subject_types),
                          object_types=classes(self.object_types),
                          super_classes=classes(self.super_classes))

    def head_predicates(self) -> set[str]:
        """The predicates the rules can derive."""
        out = {q for qs in self.forward.values() for q in qs}
        out |= {q for qs in self.backward.values() for q in qs}
        if self.subject_types or self.object_types or self.super_classes:
            out.add(_TYPE)
        return out

    def expand(self, s: str, p: str, o: str) -> Iterator[tuple[str, str, str]]:
        """What the local rules entail from the triple ``s p o`` (N-Triples terms)."""
        literal = o.startswith('"')
        if p == _TYPE:
            for d in self.super_classes.get(o, ()):
                yield s, _TYPE, d
        for q in self.forward.get(p, ()):
            yield s, q, o
        for c in self.subject_types.get(p, ()):
            yield s, _TYPE, c
        if not literal:
            for q in self.backward.get(p, ()):
                yield o, q, s
            for c in self.object_types.get(p, ()):
                yield o, _TYPE, c


    def expand_all(self, triples: Iterable[tuple[str, str, str]]) -> Iterator[tuple[str, str, str]]:
        """What the local rules entail from every triple of ``triples``: the same as
        :meth:`expand` on each, but the types of a subject are given once per run of its
        triples (a dump lists a subject's triples together), and the types a range gives an
        object once in all, not once per triple."""
        sco, st, fw = self.super_classes, self.subject_types, self.forward
        bw, ot = self.backward, self.object_types
        current: str | None = None
        types: set[str] = set()
        # (object, class) given once while remembered: a shared object (an organisation in
        # hundreds of participations) is met many times. Two generations of at most
        # _TYPED_MAX pairs each (a pair met in the old one moves to the new one), so a
        # frequent object is remembered and memory stays bounded; a pair forgotten is only
        # written again (the bulk loader keeps one copy). A set of every pair held about
        # 1.8x10^6 of them at 5x10^4 projects, most of objects met once or twice (amounts).
        typed: set[tuple[str, str]] = set()
        older: set[tuple[str, str]] = set()
        for s, p, o in triples:
            if s != current:
                if current is not None:
                    for c in types:
                        yield current, _TYPE, c
                current, types = s, set()
            if p == _TYPE and o in sco:
                types.update(sco[o])
            if p in st:
                types.update(st[p])
            if p in fw:
                for q in fw[p]:
                    yield s, q, o
            if o[0] != '"':
                if p in bw:
                    for q in bw[p]:
                        yield o, q, s
                if p in ot:
                    if len(typed) > _TYPED_MAX:
                        older, typed = typed, set()
                    for c in ot[p]:
                        key = (o, c)
                        if key not in typed:
                            typed.add(key)
                            if key not in older:
                                yield o, _TYPE, c
        if current is not None:
            for c in types:
                yield current, _TYPE, c


def split_nt(line: str) -> tuple[str, str, str]:
    """Subject, predicate and object of an N-Triples line as Oxigraph writes it."""
    s, p, rest = line.split(" ", 2)
    return s, p, rest[:-3] if rest.endswith(" .\n") else rest.rstrip("\n").rstrip(" .")


def _read(path: Path) -> Iterator[tuple[str, str, str]]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield split_nt(line)


class NotOneGraph(ValueError):
    """An N-Quads file that is not one named graph written line by line as Oxigraph writes it."""


@dataclass(frozen=True)
class Source:
    """A graph to reason over, in a file: N-Triples as Oxigraph dumps a graph, or N-Quads of
    that one graph (as the CORDIS importer writes it, line for line what Oxigraph writes)."""

    graph: str      # the graph's IRI
    path: Path
    quads: bool     # N-Quads (every line ends with `` <graph> .``) or N-Triples
    data: bool      # a data graph (its subjects count for :func:`scgraph.reason.keep.keep`)

    def triples(self) -> Iterator[tuple[str, str, str]]:
        if not self.quads:
            yield from _read(self.path)
            return
        for _line, t in self.quads_and_triples():
            yield t

    def quads_and_triples(self) -> Iterator[tuple[str, tuple[str, str, str]]]:
        """Each line of the file as an N-Quads line of the graph, with its triple."""
        if self.quads:
            suffix = f" <{self.graph}> .\n"
            cut = len(suffix)
            with self.path.open(encoding="utf-8") as f:
                for n, line in enumerate(f, start=1):
                    if not line.endswith(suffix):
                        if not line.strip():
                            continue
                        raise NotOneGraph(f"{self.path}:{n}: not a triple of <{self.graph}>")
                    s, p, o = line[:-cut].split(" ", 2)
                    yield line, (s, p, o)
            return
        tail = f" <{self.graph}> .\n"
        for t in _read(self.path):
            yield f"{t[0]} {t[1]} {t[2]}{tail}", t

    def quad_lines(self) -> Iterator[bytes]:
        """The file as N-Quads (for one bulk load of everything)."""
        with self.path.open("rb") as f:
            if self.quads:
                yield from f
                return
            tail = f" <{self.graph}> .\n".encode()
            for line in f:
                if line.strip():
                    yield line.rstrip()[:-1].rstrip() + tail


def single_graph(path: Path) -> str | None:
    """The graph IRI of an N-Quads file whose first line is a triple of one named graph."""
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                head = line.rstrip().removesuffix(" .")
                iri = head.rsplit(" ", 1)[-1]
                return iri[1:-1] if iri.startswith("<") and iri.endswith(">") else None
    return None


class LinesReader(io.RawIOBase):
    """A binary file object over an iterator of byte chunks (for ``Store.bulk_load(input=...)``)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[no-untyped-def]
        want = len(b)
        if not self._buffer:
            parts, size = [], 0
            for chunk in self._chunks:
                parts.append(chunk)
                size += len(chunk)
                if size >= want:
                    break
            self._buffer = b"".join(parts)
        n = min(want, len(self._buffer))
        b[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def bulk_load_lines(store: ox.Store, chunks: Iterable[bytes], *, lenient: bool = False) -> None:
    """One bulk load of N-Quads lines: much faster than several loads into the same store."""
    store.bulk_load(input=io.BufferedReader(LinesReader(chunks), 1 << 20),
                    format=ox.RdfFormat.N_QUADS, lenient=lenient)


class _Sink(Protocol):
    def write(self, text: str, /) -> object: ...


class _Writer:
    """Sorts derived triples: those :func:`scgraph.reason.keep.keep` keeps and nothing asserts go
    to ``out`` (as N-Quads of ``target``); those it drops but a transitive rule or the
    consistency check may still need go to ``hidden`` (N-Quads of a scratch graph, removed
    at the end); the rest are dropped.

    ``asserted`` holds ``"s p o"`` (N-Triples terms, one space apart): the key of a triple,
    which the N-Quads line of the triple extends.

    ``lean``: the lean rule (:meth:`scgraph.reason.keep.Lean.nt`), for a lean graph: a triple
    it drops goes to ``hidden`` if ``aside`` (what transitivity, equality and consistency read)
    says so, else nowhere."""

    def __init__(self, out: _Sink, hidden: _Sink, asserted: Container[str], data_subjects: set[str],
                 transitive: set[str], target: str,
                 lean: Callable[[str, str], bool] | None = None,
                 aside: Callable[[str, str], bool] | None = None) -> None:
        self.out, self.hidden = out.write, hidden.write
        self.asserted, self.data_subjects, self.transitive = asserted, data_subjects, transitive
        self.lean, self.aside = lean, aside
        self.out_tail, self.hidden_tail = f" <{target}> .\n", f" <{_HIDDEN.value}> .\n"
        self.written = self.hidden_written = 0
        self.deferred: list[tuple[str, str, str]] = []  # subjects outside BASE: kept only if the data has them
        self.recent: set[str] = set()   # a bounded cache: fewer duplicates for the bulk loader

    def add(self, s: str, p: str, o: str) -> None:
        key = f"{s} {p} {o}"
        recent = self.recent
        if key in self.asserted or key in recent:
            return
        if len(recent) > 500_000:
            recent.clear()
        recent.add(key)
        verdict = keeps_nt(s, p, o)
        if verdict != DROP and self.lean is not None and not self.lean(p, o):
            if self.aside is not None and self.aside(p, o):
                self.hidden(f"{key}{self.hidden_tail}")
                self.hidden_written += 1
            return
        if verdict == KEEP:
            self.out(key + self.out_tail)
            self.written += 1
        elif verdict == DROP:
            self._drop(s, p, o)
        else:
            self.deferred.append((s, p, o))

    def _drop(self, s: str, p: str, o: str) -> None:
        # Kept for the later passes and the consistency check: transitive links, and the
        # types of things outside the published graph (disjointness, owl:Nothing).
        if p in self.transitive or (p == _TYPE and not noise_type_nt(o)):
            self.hidden(f"{s} {p} {o}{self.hidden_tail}")
            self.hidden_written += 1

    def finish(self) -> None:
        for s, p, o in sorted(set(self.deferred)):
            if s in self.data_subjects:
                self.out(f"{s} {p} {o}{self.out_tail}")
                self.written += 1
            else:
                self._drop(s, p, o)
        self.deferred.clear()


class StoreAsserted:
    """``"s p o" in self``: whether the triple (N-Triples terms, one space apart) is in one of
    ``graphs`` of ``store``. What :class:`StreamReasoner` asks once the asserted triples are
    loaded, instead of holding them in a set while the bulk loader needs the memory
    (docs/decisions/20261206-floor-cpu-bound.md, peak memory): the passes after the load derive
    a few thousand triples, each looked up in the store."""

    def __init__(self, store: ox.Store, graphs: Iterable[ox.NamedNode]) -> None:
        self.store, self.graphs = store, set(graphs)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        t = next(iter(ox.parse(input=f"{key} .\n".encode("utf-8"), format=ox.RdfFormat.N_TRIPLES)))
        return any(q.graph_name in self.graphs
                   for q in self.store.quads_for_pattern(t.subject, t.predicate, t.object, None))


class _Lines:
    """A text sink that keeps what is written, for :meth:`StreamReasoner.stream`."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.write = self.parts.append

    def take(self) -> bytes:
        out = "".join(self.parts).encode("utf-8")
        self.parts.clear()
        return out


class StreamReasoner:
    """The streaming engine's steps, for callers that hold the graphs as files
    (:func:`stream_materialise` for a store; the pipeline's store build)."""

    def __init__(self, ax: Schema, target: ox.NamedNode,
                 progress: Callable[[str], None] | None = None, inferred: str = "full") -> None:
        self.ax, self.target = ax, target
        self.say = progress or (lambda _m: None)
        self.local = LocalRules.from_schema(ax)
        self.transitive = {_nt(p) for p in ax.transitive}
        #: the lean rule over N-Triples terms (None: the full graph), and what it drops that
        #: the later steps still read (the scratch graph keeps it): the triples of transitive,
        #: functional and equality properties, the types the consistency check asks for
        self.lean: Callable[[str, str], bool] | None = None
        self.aside: Callable[[str, str], bool] | None = None
        if check_mode(inferred) == "lean":
            rule = lean_rule(ax)
            self.lean = keeps = rule.nt()
            read = {*self.transitive, *(_nt(p) for p in (*ax.functional, *ax.inverse_functional)),
                    _SAME_AS, _nt(str(OWL.differentFrom))}
            checked = {_nt(c) for pair in ax.disjoint for c in pair} | {_nt(str(OWL.Nothing))}

            def aside(p: str, o: str) -> bool:
                return p in read or (p == _TYPE and o in checked)

            self.aside = aside
            # derive only what is kept or read later: less Python per triple, a smaller
            # asserted set (only the predicates the rules still derive)
            self.local = self.local.restricted(
                lambda q: keeps(q, "") or q in read,
                lambda c: keeps(_TYPE, c) or c in checked)
        #: ``"s p o"`` of the asserted triples a rule could derive again (a set while the
        #: sources are read; :class:`StoreAsserted` once they are in the store)
        self.asserted: set[str] | StoreAsserted = set()
        self.data_subjects: set[str] = set()
        self.schema_graphs: set[str] = set()  # data graphs that state schema (see read)
        self.passes = 0
        #: seconds of :meth:`close`'s steps: ``reason-transitivity``, ``reason-consistency``
        self.timings: dict[str, float] = {}

    def read(self, sources: Sequence[Source]) -> None:
        """First pass: the asserted triples a rule could derive again, the subjects of the
        data outside ``BASE`` (what :func:`scgraph.reason.keep.keep` keeps), and the data graphs
        that state schema or equality (``schema_graphs``: a caller that read the axioms
        elsewhere must then reason the general way)."""
        heads = self.local.head_predicates()
        owl = f"<{OWL}"
        asserted = self.asserted
        assert isinstance(asserted, set), "the sources are read before they are loaded"
        for src in sources:
            states_schema = False
            for s, p, o in src.triples():
                if p in heads:
                    asserted.add(f"{s} {p} {o}")
                if src.data and not s.startswith(NT_BASE_SUBJECT):
                    self.data_subjects.add(s)
                if p in _SCHEMA_PREDICATES or (p == _TYPE and o.startswith(owl)):
                    states_schema = True
            if states_schema and src.data:
                self.schema_graphs.add(src.graph)

    def derive(self, triples: Iterable[tuple[str, str, str]], out: Path, hidden: Path, *,
               derived: bool = False) -> tuple[int, int]:
        """Write what the local rules entail from ``triples`` (and, if ``derived``, those
        triples themselves) to ``out`` and ``hidden`` as N-Quads; return how many triples were
        read and how many written to ``out``."""
        self.passes += 1
        with out.open("w", encoding="utf-8") as o_f, hidden.open("w", encoding="utf-8") as h_f:
            writer = _Writer(o_f, h_f, self.asserted, self.data_subjects, self.transitive,
                             self.target.value, self.lean, self.aside)
            add = writer.add
            seen = list(triples) if derived else None
            if seen is not None:
                for t in seen:
                    add(*t)
            counter = _Count(seen if seen is not None else triples)
            for t in self.local.expand_all(counter):
                add(*t)
            writer.finish()
        self.say(f"Reasoning: pass {self.passes}, {writer.written:,} inferred triples "
                 f"({writer.hidden_written:,} kept aside for transitivity and consistency)")
        return counter.n, writer.written

    def stream(self, sources: Sequence[Source], echo: Sequence[Source] = ()) -> Iterator[bytes]:
        """N-Quads for one bulk load: the lines of the ``echo`` sources (a subset of
        ``sources``), and what the local rules entail from ``sources`` (as :meth:`derive`
        writes it), interleaved, so that the reasoning runs while the loader indexes."""
        self.passes += 1
        sink = _Lines()
        writer = _Writer(sink, sink, self.asserted, self.data_subjects, self.transitive,
                         self.target.value, self.lean, self.aside)
        echoed = {id(src) for src in echo}
        parts = sink.parts

        def feed() -> Iterator[tuple[str, str, str]]:
            for src in sources:
                if id(src) in echoed:
                    for line, t in src.quads_and_triples():
                        parts.append(line)
                        yield t
                else:
                    yield from src.triples()

        add = writer.add
        for t in self.local.expand_all(feed()):
            add(*t)
            if len(parts) > 8192:
                yield sink.take()
        writer.finish()
        yield sink.take()
        self.say(f"Reasoning: pass {self.passes}, {writer.written:,} inferred triples "
                 f"({writer.hidden_written:,} kept aside for transitivity and consistency)")

    def close(self, store: ox.Store, graphs: Sequence[ox.NamedNode], tmp: Path,
              max_passes: int = 50) -> bool:
        """With the first pass loaded in ``store`` (``target`` and the scratch graph): run
        transitivity to a fixpoint, then check equality and consistency; the scratch graph is
        removed. False when the data needs the equality rules (nothing checked then)."""
        union = [*graphs, self.target, _HIDDEN]
        trp = sorted(self.ax.transitive)
        clock = time.perf_counter()
        try:
            while trp:
                if self.passes >= max_passes:
                    raise InconsistencyError(f"reasoning did not reach a fixpoint in {max_passes} passes")
                n = self.passes + 1

                def found(n: int = n) -> Iterator[tuple[str, str, str]]:
                    for p in trp:
                        self.say(f"Reasoning: pass {n}, rule prp-trp <{p}>")
                        yield from transitive_step(store, p, union)

                out, hidden = tmp / f"pass-{n}.nq", tmp / f"hidden-{n}.nq"
                read, _written = self.derive(found(), out, hidden, derived=True)
                if read == 0:
                    break
                bulk_load_lines(store, file_lines(out, hidden), lenient=True)
            self.timings["reason-transitivity"] = time.perf_counter() - clock
            clock = time.perf_counter()
            self.say("Reasoning: checking equality and consistency")
            if _needs_equality(store, self.ax, union):
                return False
            _consistency(store, self.ax, union)
            self.timings["reason-consistency"] = time.perf_counter() - clock
            return True
        finally:
            if _HIDDEN in store.named_graphs():
                store.remove_graph(_HIDDEN)


class _Count:
    """Counts what passes through an iterable."""

    def __init__(self, items: Iterable[tuple[str, str, str]]) -> None:
        self.items, self.n = items, 0

    def __iter__(self) -> Iterator[tuple[str, str, str]]:
        for t in self.items:
            self.n += 1
            yield t


def file_blocks(*paths: Path, size: int = 1 << 20) -> Iterator[bytes]:
    """The bytes of the files, one after the other, in blocks (no Python per line); a file
    that does not end its last line is given one."""
    for path in paths:
        last = b"\n"
        with path.open("rb") as f:
            while block := f.read(size):
                last = block[-1:]
                yield block
        if last != b"\n":
            yield b"\n"


def file_lines(*paths: Path) -> Iterator[bytes]:
    """The lines of the files, one after the other, as bytes."""
    for path in paths:
        with path.open("rb") as f:
            yield from f


def stream_materialise(store: ox.Store, *, schema: Sequence[ox.NamedNode],
                       data: Sequence[ox.NamedNode], target: ox.NamedNode,
                       progress: Callable[[str], None] | None = None,
                       max_passes: int = 50,
                       dumps: Mapping[str, Path] | None = None,
                       inferred: str = "full",
                       registry: Callable[[str], bool] | None = None) -> MaterialiseResult:
    """Put into ``target`` (cleared first) what the ontology's rules entail from ``schema`` +
    ``data`` and is not asserted there, filtered as :func:`scgraph.reason.keep.keep` filters:
    the graph :func:`scgraph.reason.rules.materialise` makes, much faster at scale.

    ``dumps``: graph IRI -> an N-Triples file of that graph as Oxigraph dumped it (read
    instead of dumping the graph again; left in place).

    ``inferred="lean"``: the entailments of the curated data graphs (those ``registry``, a
    test of a graph IRI, says are not registry graphs; default: not under ``graph:registry/``)
    in full, and of what the registry graphs add only what
    :class:`scgraph.reason.keep.Lean` keeps."""
    if check_mode(inferred) == "lean":
        return _stream_lean(store, schema=schema, data=data, target=target, progress=progress,
                            max_passes=max_passes, dumps=dumps, registry=registry)
    return _stream(store, schema=schema, data=data, target=target, progress=progress,
                   max_passes=max_passes, dumps=dumps)


def _stream_lean(store: ox.Store, *, schema: Sequence[ox.NamedNode], data: Sequence[ox.NamedNode],
                 target: ox.NamedNode, progress: Callable[[str], None] | None, max_passes: int,
                 dumps: Mapping[str, Path] | None,
                 registry: Callable[[str], bool] | None) -> MaterialiseResult:
    """:func:`stream_materialise`'s lean graph: the curated graphs reasoned over first, in full
    (the graph they alone entail), then everything with the lean rule, added to it."""
    from ..namespaces import GRAPH

    started = time.perf_counter()
    prefix = str(GRAPH["registry/"])
    is_registry = registry or (lambda g: g.startswith(prefix))
    curated = [g for g in data if not is_registry(g.value)]
    first = _stream(store, schema=schema, data=curated, target=target, progress=progress,
                    max_passes=max_passes, dumps=dumps)
    if len(curated) == len(data):
        return first
    with curated_copy(store, target):
        result = _stream(store, schema=schema, data=data, target=target, progress=progress,
                         max_passes=max_passes, dumps=dumps, inferred="lean", clear=False)
    result.passes += first.passes
    result.seconds = time.perf_counter() - started
    return result


def _stream(store: ox.Store, *, schema: Sequence[ox.NamedNode], data: Sequence[ox.NamedNode],
            target: ox.NamedNode, progress: Callable[[str], None] | None, max_passes: int,
            dumps: Mapping[str, Path] | None, inferred: str = "full",
            clear: bool = True) -> MaterialiseResult:
    """:func:`stream_materialise` of one mode; ``clear`` False (lean) adds to ``target``,
    which holds the curated graphs' entailments, also in :data:`CURATED`."""
    started = time.perf_counter()
    say = progress or (lambda _m: None)
    for g in (target, _HIDDEN) if clear else (_HIDDEN,):
        if g in store.named_graphs():  # removing a graph that is not there still costs a scan
            store.remove_graph(g)
    graphs = list(dict.fromkeys([*schema, *data]))
    ax = read_schema(store, graphs)
    reasoner = StreamReasoner(ax, target, progress, inferred)
    data_names = {g.value for g in data}
    given = dict(dumps or {})
    with tempfile.TemporaryDirectory(prefix="scgraph-reason-") as tmp:
        sources = []
        for i, g in enumerate(graphs):
            path = Path(given.get(g.value) or Path(tmp) / f"graph-{i}.nt")
            if g.value not in given:
                say(f"Reasoning: reading {g.value}")
                store.dump(str(path), format=ox.RdfFormat.N_TRIPLES, from_graph=g)
            sources.append(Source(g.value, path, quads=False, data=g.value in data_names))
        reasoner.read(sources)
        say("Reasoning: local rules")
        out, hidden = Path(tmp) / "pass-1.nq", Path(tmp) / "hidden-1.nq"
        reasoner.derive((t for src in sources for t in src.triples()), out, hidden)
        bulk_load_lines(store, file_lines(out, hidden), lenient=True)
        closed = reasoner.close(store, graphs, Path(tmp), max_passes)
    if not closed:
        say("Reasoning: equality in the data, using the 'sparql' engine")
        result = materialise(store, schema=schema, data=data, target=target, progress=progress)
        if reasoner.lean is None:
            return result
        lean_in_store(store, lean_rule(ax), target, CURATED)
    size = _count(store, target)
    return MaterialiseResult(passes=reasoner.passes, triples=size,
                             seconds=time.perf_counter() - started)


@contextlib.contextmanager
def curated_copy(store: ox.Store, target: ox.NamedNode) -> Iterator[ox.NamedNode]:
    """A copy of ``target`` (the curated graphs' entailments, reasoned first) in the scratch
    graph :data:`CURATED` for the block, which the lean rule spares; removed after it."""
    if CURATED in store.named_graphs():
        store.remove_graph(CURATED)
    store.update(f"ADD <{target.value}> TO <{CURATED.value}>")
    try:
        yield CURATED
    finally:
        store.remove_graph(CURATED)


def lean_in_store(store: ox.Store, rule: Lean, target: ox.NamedNode, curated: ox.NamedNode) -> None:
    """Make the full inferred graph ``target`` lean: the graph ``curated`` (the curated graphs'
    entailments) added, then what :class:`~scgraph.reason.keep.Lean` drops deleted, except
    what ``curated`` states."""
    store.update(f"ADD <{curated.value}> TO <{target.value}>")
    store.update(rule.filter_update(target.value, curated.value))


def transitive_step(store: ox.Store, p: str, graphs: Sequence[ox.NamedNode]) -> Iterator[tuple[str, str, str]]:
    """What rule ``prp-trp`` for the transitive property ``p`` adds to the union of ``graphs``:
    ``x p z`` for every ``x p y . y p+ z`` not already there (each once, sorted). The same as
    the SPARQL ``CONSTRUCT { ?x p ?z } WHERE { ?x p ?y . ?y p+ ?z FILTER NOT EXISTS { ?x p ?z } }``
    over those graphs, computed in Python from one scan of ``p``'s triples (few: the links
    between places, organisations, events): in Oxigraph that query looks each joined triple
    up once per graph of the default graph, a seek per graph per solution."""
    names = set(graphs)
    succ: dict[str, set[str]] = {}
    for q in store.quads_for_pattern(None, ox.NamedNode(p), None, None):
        if q.graph_name in names:
            succ.setdefault(str(q.subject), set()).add(str(q.object))
    new: set[tuple[str, str]] = set()
    for x, direct in succ.items():
        seen: set[str] = set()
        todo = [z for y in direct for z in succ.get(y, ())]
        while todo:
            z = todo.pop()
            if z in seen:
                continue
            seen.add(z)
            todo.extend(succ.get(z, ()))
        new.update((x, z) for z in seen - direct)
    term = f"<{p}>"
    for x, z in sorted(new):
        yield x, term, z


def _needs_equality(store: ox.Store, ax: Schema, graphs: Sequence[ox.NamedNode]) -> bool:
    """Whether the equality rules can fire on the closure in ``graphs``: ``owl:sameAs`` between
    two things, two values of a functional or two subjects of an inverse-functional property
    (the closure holds every super-property and inverse triple, so asking for ``p`` itself
    covers what its sub-properties and inverses entail).

    Each property is one scan grouped by hashing (``GROUP BY ... HAVING COUNT(DISTINCT) > 1``),
    not a self-join: Oxigraph evaluates the second pattern of ``?x p ?a . ?x p ?b`` once per
    solution of the first, one seek per graph of the default graph each time (77 s for
    ``scg:country`` at 5x10^4 projects, 0.3 s grouped;
    docs/decisions/20261206-registry-build-against-the-floor.md)."""
    dg = list(graphs)
    if store.query(f"ASK {{ ?x {_SAME_AS} ?y FILTER (?x != ?y) }}", default_graph=dg):
        return True
    for p in sorted(ax.functional):
        if store.query(f"ASK {{ {{ SELECT ?x WHERE {{ ?x <{p}> ?a FILTER (!isLiteral(?a)) }} "
                       "GROUP BY ?x HAVING (COUNT(DISTINCT ?a) > 1) } }", default_graph=dg):
            return True
    for p in sorted(ax.inverse_functional):
        if store.query(f"ASK {{ {{ SELECT ?y WHERE {{ ?a <{p}> ?y }} "
                       "GROUP BY ?y HAVING (COUNT(DISTINCT ?a) > 1) } }", default_graph=dg):
            return True
    return False


def _count(store: ox.Store, graph: ox.NamedNode) -> int:
    res = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph.value}> {{ ?s ?p ?o }} }}")
    return int(next(iter(res))["n"].value)


@dataclass
class Loaded:
    """What :func:`load_and_infer` did: reasoning passes in the store, and whether it fell back
    to loading first and reasoning in the store (the registry states schema or equality)."""

    passes: int
    general: bool
    #: seconds: ``store-load`` (the bulk load; with ``SCGRAPH_STREAM_LOAD=interleaved``, the
    #: local rules streamed into it) and ``store-infer`` (reading the sources before, the
    #: local rules to a file, the passes in the store after), and the parts of the latter:
    #: ``reason-read`` (the first pass), ``reason-derive`` (the local rules to a file),
    #: ``reason-transitivity``, ``reason-consistency``
    timings: dict[str, float]


#: Derive first, to a file, then one bulk load reading the registry files in blocks: on the
#: shared 2-core machine at 10^4 projects (lean) the load took 16.0-17.6 s this way against
#: 30.3-30.4 s with the reasoning interleaved (docs/decisions/
#: 20261206-lean-registry-entailment.md). ``SCGRAPH_STREAM_LOAD=interleaved`` measures the other.
_SERIAL_LOAD = os.environ.get("SCGRAPH_STREAM_LOAD", "serial") != "interleaved"


def load_and_infer(store: ox.Store, curated_nq: Path, curated: Sequence[Source],
                   registry: Sequence[Source], *, schema: Schema, graphs: Sequence[ox.NamedNode],
                   target: ox.NamedNode, tmp: Path, say: Callable[[str], None],
                   inferred: str = "full") -> Loaded:
    """Fill the empty ``store`` with one bulk load, with what the local rules derive.

    The local rules' consequences of the curated and registry triples are written to a file
    first; then one bulk load reads ``curated_nq`` (every curated graph, as Oxigraph dumped
    it), the registry files in blocks and that file (``SCGRAPH_STREAM_LOAD=interleaved``: each
    registry line followed by what the rules derive from it, the reasoning in this thread while
    the loader's threads index, as before 2026-12-06); then transitivity, equality and
    consistency run in the store (:meth:`StreamReasoner.close`). A registry that states schema or equality
    is loaded as it is and reasoned over in the store with the ``sparql`` engine.

    ``inferred="lean"``: ``curated_nq``'s inferred graph (the curated graphs' entailments) is
    kept whole; of what the reasoner adds, only what :class:`~scgraph.reason.keep.Lean` keeps
    is written (:class:`StreamReasoner`)."""
    clock = time.perf_counter()
    derive = 0.0
    reasoner = StreamReasoner(schema, target, say, inferred)
    reasoner.read([*curated, *registry])
    general = bool(reasoner.schema_graphs & {s.graph for s in registry})
    read, clock = time.perf_counter() - clock, time.perf_counter()
    say("Reasoning (local rules) and loading everything into the store")
    parts: list[Iterator[bytes]] = [file_lines(curated_nq)]
    if general:
        parts += [s.quad_lines() for s in registry]
    elif _SERIAL_LOAD:
        # the derived triples first, to a file; then the loader reads the registry files as
        # they are, in blocks, and that file: no Python per asserted line while it loads
        derived = tmp / "derived.nq"
        with derived.open("wb") as f:
            for chunk in reasoner.stream([*curated, *registry]):
                f.write(chunk)
        # the loader needs the memory more: from here the asserted triples are asked of the
        # store they are loaded into (the passes after the load derive few triples)
        reasoner.asserted = StoreAsserted(store, [ox.NamedNode(s.graph) for s in [*curated, *registry]])
        gc.collect()  # what the curated part left in reference cycles (rdflib graphs), too
        derive, clock = time.perf_counter() - clock, time.perf_counter()
        parts += [file_blocks(s.path) if s.quads else s.quad_lines() for s in registry]
        parts.append(file_blocks(derived))
    else:
        parts.append(reasoner.stream([*curated, *registry], echo=registry))
    try:
        bulk_load_lines(store, (chunk for part in parts for chunk in part))
    except SyntaxError as e:
        raise StoreError(f"cannot load the registry files: {e}") from None
    load, clock = time.perf_counter() - clock, time.perf_counter()
    closed = not general and reasoner.close(store, graphs, tmp)
    if not closed:
        say("Reasoning in the store (the registry states schema or equality)")
        if reasoner.lean is not None:
            # what the target holds now (the curated graphs' entailments; and what the lean
            # rule kept of the stream's) stays: lean_in_store adds it back
            if CURATED in store.named_graphs():
                store.remove_graph(CURATED)
            store.update(f"ADD <{target.value}> TO <{CURATED.value}>")
        materialise(store, schema=[graphs[0]], data=graphs[1:], target=target, progress=say)
        if reasoner.lean is not None:
            lean_in_store(store, lean_rule(read_schema(store, graphs)), target, CURATED)
            store.remove_graph(CURATED)
    timings = {"store-load": load, "store-infer": read + derive + time.perf_counter() - clock,
               "reason-read": read, "reason-derive": derive, **reasoner.timings}
    return Loaded(passes=reasoner.passes, general=not closed, timings=timings)
