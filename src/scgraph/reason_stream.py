"""Streaming materialisation: the OWL RL rules the ontology uses, over millions of triples.

The ``sparql`` engine (:func:`scgraph.reason.materialise`) runs each rule as a SPARQL query
over the whole store; at registry scale (10^5 projects, 10^7 triples) those queries' index
joins take most of the build. But almost every rule the ontology uses is *local*: what
sub-property, inverse, symmetric, domain, range and sub-class axioms entail from a triple
depends on that triple alone, once the schema is closed (:func:`scgraph.reason.property_closure`,
:func:`scgraph.reason.property_types`). So this engine

1. dumps each asserted graph of the store to N-Triples (in Rust) and reads it once, line by
   line, keeping in memory only the asserted triples whose predicate a rule can derive (so
   that a derived triple that is also asserted is left out, as :func:`scgraph.reason.infer`
   does);
2. reads it again and writes, for every triple, the triples the local rules entail (closed:
   one pass does their work), filtered by :func:`scgraph.reason.keep`'s rules, to an
   N-Triples file that Oxigraph's bulk loader puts into ``graph:inferred``;
3. runs the non-local rules (transitivity) as SPARQL in the store over the few triples they
   concern, expands what they find with the local rules, and repeats to a fixpoint; data with
   equality (``owl:sameAs``, or what functional properties entail) is handed to the ``sparql``
   engine, which implements the equality rules;
4. checks consistency (``owl:Nothing``, disjoint classes, same-and-different) in the store.

``tests/test_reason_engines.py`` proves it gives exactly the graph the other engines give.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import pyoxigraph as ox
from rdflib.namespace import OWL, RDF

from .errors import InconsistencyError
from .namespaces import BASE
from .reason import (
    _EXTERNAL_VOCABULARIES,
    _OUR_VOCABULARIES,
    NOISE_TYPES,
    MaterialiseResult,
    Schema,
    _consistency,
    materialise,
    property_closure,
    property_types,
    read_schema,
    rules,
)

_TYPE = f"<{RDF.type}>"
_SAME_AS = f"<{OWL.sameAs}>"
_VOCABULARY_SUBJECTS = tuple("<" + v for v in (*_OUR_VOCABULARIES, *_EXTERNAL_VOCABULARIES))
_BASE_SUBJECT = "<" + BASE
_NOISE = frozenset(f"<{t}>" for t in NOISE_TYPES)
#: A scratch graph: derived triples the published graph leaves out but transitivity may use.
_HIDDEN = ox.NamedNode("urn:scgraph:reason:hidden")


def _nt(iri: str) -> str:
    return f"<{iri}>"


def _noise_type(c: str) -> bool:
    return c in _NOISE or (c.startswith(f"<{OWL}") and c.endswith("Property>"))


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
        triples (a dump lists a subject's triples together), not once per triple."""
        sco, st, fw = self.super_classes, self.subject_types, self.forward
        bw, ot = self.backward, self.object_types
        current: str | None = None
        types: set[str] = set()
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
                    for c in ot[p]:
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


class _Writer:
    """Sorts derived triples: those :func:`scgraph.reason.keep` keeps and nothing asserts go
    to ``out``; those it drops but a transitive rule may still chain through go to ``hidden``
    (a scratch graph the later passes read, removed at the end); the rest are dropped."""

    def __init__(self, out: TextIO, hidden: TextIO, asserted: set[str], data_subjects: set[str],
                 transitive: set[str]) -> None:
        self.out, self.hidden = out, hidden
        self.asserted, self.data_subjects, self.transitive = asserted, data_subjects, transitive
        self.written = 0
        self.deferred: list[str] = []   # subjects outside BASE: kept only if the data has them
        self.recent: set[str] = set()   # a bounded cache: fewer duplicates for the bulk loader

    def add(self, s: str, p: str, o: str) -> None:
        line = f"{s} {p} {o} .\n"
        if line in self.asserted or line in self.recent:
            return
        if len(self.recent) > 500_000:
            self.recent.clear()
        self.recent.add(line)
        if (not s.startswith("<") or s.startswith(_VOCABULARY_SUBJECTS)
                or (p == _TYPE and _noise_type(o)) or (p == _SAME_AS and s == o)):
            self._drop(p, o, line)
        elif s.startswith(_BASE_SUBJECT):
            self.out.write(line)
            self.written += 1
        else:
            self.deferred.append(line)

    def _drop(self, p: str, o: str, line: str) -> None:
        # Kept for the later passes and the consistency check: transitive links, and the
        # types of things outside the published graph (disjointness, owl:Nothing).
        if p in self.transitive or (p == _TYPE and not _noise_type(o)):
            self.hidden.write(line)

    def finish(self) -> None:
        for line in sorted(set(self.deferred)):
            s, p, o = split_nt(line)
            if s in self.data_subjects:
                self.out.write(line)
                self.written += 1
            else:
                self._drop(p, o, line)
        self.deferred.clear()


def stream_materialise(store: ox.Store, *, schema: Sequence[ox.NamedNode],
                       data: Sequence[ox.NamedNode], target: ox.NamedNode,
                       progress: Callable[[str], None] | None = None,
                       max_passes: int = 50,
                       dumps: Mapping[str, Path] | None = None) -> MaterialiseResult:
    """Put into ``target`` (cleared first) what the ontology's rules entail from ``schema`` +
    ``data`` and is not asserted there, filtered as :func:`scgraph.reason.keep` filters: the
    graph :func:`scgraph.reason.materialise` makes, much faster at scale.

    ``dumps``: graph IRI -> an N-Triples file of that graph as Oxigraph dumped it (read
    instead of dumping the graph again; left in place)."""
    started = time.perf_counter()
    say = progress or (lambda _m: None)
    for g in (target, _HIDDEN):
        if g in store.named_graphs():  # removing a graph that is not there still costs a scan
            store.remove_graph(g)
    graphs = list(dict.fromkeys([*schema, *data]))
    ax = read_schema(store, graphs)
    local = LocalRules.from_schema(ax)
    heads = local.head_predicates()
    transitive = {_nt(p) for p in ax.transitive}
    data_names = {g.value for g in data}
    union = [*graphs, target, _HIDDEN]
    passes = 1
    try:
        with tempfile.TemporaryDirectory(prefix="scgraph-reason-") as tmp:
            given = dict(dumps or {})
            files: list[tuple[bool, Path]] = []
            for i, g in enumerate(graphs):
                if g.value in given:
                    files.append((g.value in data_names, Path(given[g.value])))
                    continue
                say(f"Reasoning: reading {g.value}")
                path = Path(tmp) / f"graph-{i}.nt"
                store.dump(str(path), format=ox.RdfFormat.N_TRIPLES, from_graph=g)
                files.append((g.value in data_names, path))
            asserted: set[str] = set()
            data_subjects: set[str] = set()
            for is_data, path in files:
                for s, p, o in _read(path):
                    if p in heads:
                        asserted.add(f"{s} {p} {o} .\n")
                    if is_data and not s.startswith(_BASE_SUBJECT):
                        data_subjects.add(s)

            def run_pass(n: int, triples: Iterable[tuple[str, str, str]], *, derived: bool) -> int:
                out_path, hidden_path = Path(tmp) / f"pass-{n}.nt", Path(tmp) / f"hidden-{n}.nt"
                with out_path.open("w", encoding="utf-8") as out, \
                        hidden_path.open("w", encoding="utf-8") as hidden:
                    writer = _Writer(out, hidden, asserted, data_subjects, transitive)
                    seen = list(triples) if derived else None
                    add = writer.add
                    if seen is not None:
                        for t in seen:
                            add(*t)
                    for t in local.expand_all(seen if seen is not None else triples):
                        add(*t)
                    writer.finish()
                say(f"Reasoning: pass {n}, loading {writer.written:,} inferred triples")
                store.bulk_load(path=str(out_path), format=ox.RdfFormat.N_TRIPLES, to_graph=target)
                store.bulk_load(path=str(hidden_path), format=ox.RdfFormat.N_TRIPLES, to_graph=_HIDDEN)
                return len(seen) if seen is not None else writer.written

            def asserted_triples() -> Iterator[tuple[str, str, str]]:
                for _is_data, path in files:
                    yield from _read(path)
                    if path.parent == Path(tmp):
                        os.unlink(path)

            say("Reasoning: local rules")
            run_pass(1, asserted_triples(), derived=False)
            # Transitivity: SPARQL over the triples of each transitive property, its answers
            # expanded by the local rules, to a fixpoint.
            trp = [(name, head, body) for name, head, body in rules(ax, False)
                   if name.startswith("prp-trp ")]
            while trp:
                passes += 1
                if passes > max_passes:
                    raise InconsistencyError(f"reasoning did not reach a fixpoint in {max_passes} passes")

                def found(n: int = passes) -> Iterator[tuple[str, str, str]]:
                    for name, head, body in trp:
                        say(f"Reasoning: pass {n}, rule {name}")
                        query = f"CONSTRUCT {{ {head} }} WHERE {{ {body} FILTER NOT EXISTS {{ {head} }} }}"
                        for t in store.query(query, default_graph=union):
                            yield str(t.subject), str(t.predicate), str(t.object)

                if run_pass(passes, found(), derived=True) == 0:
                    break
        say("Reasoning: checking equality and consistency")
        if _needs_equality(store, ax, union):
            say("Reasoning: equality in the data, using the 'sparql' engine")
            store.remove_graph(_HIDDEN)
            return materialise(store, schema=schema, data=data, target=target, progress=progress)
        _consistency(store, ax, [*graphs, target, _HIDDEN])
    finally:
        store.remove_graph(_HIDDEN)
    size = _count(store, target)
    return MaterialiseResult(passes=passes, triples=size, seconds=time.perf_counter() - started)


def _needs_equality(store: ox.Store, ax: Schema, graphs: Sequence[ox.NamedNode]) -> bool:
    """Whether the equality rules can fire on the closure in ``graphs``: ``owl:sameAs`` between
    two things, two values of a functional or two subjects of an inverse-functional property
    (the closure holds every super-property and inverse triple, so asking for ``p`` itself
    covers what its sub-properties and inverses entail)."""
    dg = list(graphs)
    if store.query(f"ASK {{ ?x {_SAME_AS} ?y FILTER (?x != ?y) }}", default_graph=dg):
        return True
    for p in sorted(ax.functional):
        if store.query(f"ASK {{ ?x <{p}> ?a . ?x <{p}> ?b FILTER (?a != ?b && !isLiteral(?a) && !isLiteral(?b)) }}",
                       default_graph=dg):
            return True
    for p in sorted(ax.inverse_functional):
        if store.query(f"ASK {{ ?a <{p}> ?y . ?b <{p}> ?y FILTER (?a != ?b) }}", default_graph=dg):
            return True
    return False


def _count(store: ox.Store, graph: ox.NamedNode) -> int:
    res = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph.value}> {{ ?s ?p ?o }} }}")
    return int(next(iter(res))["n"].value)
