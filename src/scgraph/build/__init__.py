"""The whole pipeline in one call: assemble -> infer -> validate -> publish.

With a store (``store="oxigraph:PATH"`` or ``"sparql:URL"``) the build also puts the whole graph
there: the curated graphs, the registry graphs (``graph:registry/*``: those already in the
store, kept across builds, plus any N-Quads files given), and an inferred graph computed over
all of them in the store (:func:`scgraph.reason.infer_store`). The registry part is validated
by the SPARQL checks of ``queries/checks`` (:mod:`scgraph.validate.checks`); pySHACL validates the curated
part. An on-disk store is built into a new folder and swapped in only when the build succeeds
(:func:`scgraph.store.replace_store`).

Which store, when none is given: ``oxigraph:OUT/store`` if that exists (registry data was
imported or a store build was made), else none (the in-memory build of the curated data).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Dataset, URIRef

from ..assemble import assemble, named_graphs
from ..validate.checks import merge_reports, run_checks
from ..errors import NotConformant, StoreError
from ..namespaces import GRAPH, INFERRED_GRAPH, short
from ..files import (
    OUTPUTS,
    adopt_real_folder,
    carry_files,
    kill_point,
    link_folder,
    new_generation,
    prune_generations,
    recover_folder,
    replace_files,
    work_folder,
)
from ..publish.serialise import DUMPS, write_dumps, write_validation
from ..reason import FAST_ENGINE, infer, infer_store
from ..store import OxigraphStore, SparqlStore, open_store, replace_store
from .store import build_store, registry_sources
from ..validate.shacl import load_shapes, validate

REGISTRY_PREFIX = str(GRAPH["registry/"])

Progress = Callable[[str], None]


@dataclass
class BuildResult:
    """What a build produced: triples per named graph, validation counts, files, timings."""

    triples: dict[URIRef, int]
    inferred: int
    violations: int
    warnings: int
    outputs: dict[str, Path]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def asserted(self) -> int:
        return sum(n for g, n in self.triples.items() if g != INFERRED_GRAPH)

    def summary(self) -> str:
        """A few lines for people: graphs, triples, validation, files."""
        lines = [f"{len(self.triples)} named graphs, {self.asserted} asserted and "
                 f"{self.inferred} inferred triples",
                 f"validation: {_plural(self.violations, 'violation')}, "
                 f"{_plural(self.warnings, 'warning')}"]
        lines += [f"  {short(g)}: {n}" for g, n in sorted(self.triples.items())]
        lines += [f"wrote {p}" for _k, p in sorted(self.outputs.items())]
        return "\n".join(lines) + "\n"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def build(out_dir: Path | str = Path("build"), *, root: Path | None = None,
          progress: Progress | None = None, store: str | None = None,
          registry: Sequence[Path] = (), engine: str = FAST_ENGINE) -> BuildResult:
    """Assemble, infer, validate and publish the graph of ``root`` into ``out_dir``.

    ``store``: also build the whole graph into this store (see the module docstring; default
    :func:`build_store_spec`). ``registry``: N-Quads/TriG files of registry graphs to add.
    ``engine``: the reasoning engine for the curated dumps (all engines give the same graph).

    The validation report (``validation.ttl``, ``validation.txt``) is always written. The
    dumps are replaced only when the data conforms: on violations the previous dumps stay
    as they were and NotConformant is raised (carrying the report) after the report is written.
    The files of ``out_dir`` change all at once (:func:`write_outputs`).
    """
    out_dir = Path(out_dir)
    say = progress or (lambda _step: None)
    timings: dict[str, float] = {}

    def step(message: str) -> float:
        say(message)
        return time.perf_counter()

    t = step("Assembling the ontology, reference data and sources")
    ds = assemble(root)
    timings["assemble"] = time.perf_counter() - t

    t = step(f"Reasoning (OWL RL, {engine})")
    infer(ds, engine)
    timings["infer"] = time.perf_counter() - t
    recover_folder(out_dir / "store")  # a store a killed switch left moved aside
    registry = [*registry, *imported_registry(out_dir)]
    spec = store if store is not None else build_store_spec(out_dir, registry)

    t = step("Validating against the SHACL shapes")
    shapes = load_shapes((root / "ontology" / "shapes.ttl") if root is not None else None)
    report = validate(ds, shapes)
    timings["validate"] = time.perf_counter() - t

    triples_in_store: dict[URIRef, int] = {}
    new_store: Path | None = None
    if spec is not None and spec != "memory":
        try:
            report, new_store = _build_store(spec, ds, report, registry, timings, say,
                                             triples_in_store, out_dir)
        except NotConformant as e:
            write_outputs(out_dir, e.report, None)
            raise

    t = step(f"Writing the dumps to {out_dir}")
    outputs = write_outputs(out_dir, report, ds if report.conforms else None, store=new_store)
    timings["publish"] = time.perf_counter() - t
    if not report.conforms:
        n = len(report.violations)
        raise NotConformant(
            f"the data has {n} SHACL violation{'s' if n != 1 else ''}; see "
            f"{outputs['validation-summary']} (the previous dumps were kept)",
            report=report,
        )

    triples = triples_in_store or {g: len(ds.graph(g)) for g in named_graphs(ds)}
    return BuildResult(
        triples=triples,
        inferred=triples.get(INFERRED_GRAPH, 0),
        violations=len(report.violations),
        warnings=len(report.warnings),
        outputs=outputs,
        timings=timings,
    )


def write_outputs(out_dir: Path | str, report: object, ds: Dataset | None, *,
                  store: Path | None = None) -> dict[str, Path]:
    """Write the validation report and (with ``ds``) the dumps into ``out_dir``, all at once.

    The files are written into a new generation and switched in together
    (:func:`scgraph.files.replace_files`): a build killed at any moment leaves every file of
    ``out_dir`` old or every file new. Without ``ds`` (the data does not conform) the new
    generation keeps the previous dumps. ``store``: a new generation of the build's own store
    (``OUT/store``), switched in with the files (``OUT/store`` reads through the same switch);
    without it the generation keeps the current store. Returns key -> ``out_dir/NAME``.
    """
    out_dir = Path(out_dir)
    link = out_dir / "store"
    previous = link.resolve() if link.exists() else None
    with replace_files(out_dir) as new:
        written = write_validation(report, new)  # type: ignore[arg-type]
        if ds is not None:
            written.update(write_dumps(ds, new))
        else:
            carry_files(out_dir, new, DUMPS.values())
        if store is not None:
            link_folder(new, "store", store)
        else:
            carry_files(out_dir, new, ["store"])
    if store is not None:
        prune_generations(link, [store, previous])  # the previous store: a reader may have it open
    return {key: out_dir / p.name for key, p in written.items()}


def is_own_store(spec: str, out_dir: Path | str) -> bool:
    """Whether ``spec`` names the build folder's own store."""
    kind, _, arg = spec.partition(":")
    return kind == "oxigraph" and bool(arg) and Path(arg).absolute() == (Path(out_dir) / "store").absolute()


def replace_store_graph(out_dir: Path | str, name: URIRef, source: Path) -> int:
    """Replace the named graph ``name`` of the build's own store (``OUT/store``) with
    ``source``, a TriG or N-Quads file of that one graph; return its triple count.

    The store in use is never written (a server or a query may read it): a new generation is
    made from it (Oxigraph's backup, hard links to its files), changed, and switched in with
    the build's files, as a build does (:func:`write_outputs`); a kill leaves the old one.
    """
    import pyoxigraph as ox

    out_dir = Path(out_dir)
    link = out_dir / "store"
    previous = link.resolve()
    current = out_dir / OUTPUTS / "current"
    # the build's files, carried into the new generation (none yet: a store imported into
    # before any build, which this switch takes into a generation as a build does)
    names = sorted(p.name for p in current.iterdir() if p.name != "store") if current.is_dir() else []
    with new_generation(link) as new_store:
        new_store.rmdir()  # the backup makes the folder
        old = ox.Store.read_only(str(previous))
        try:
            old.backup(str(new_store))
        finally:
            del old
        store = OxigraphStore(new_store)
        try:
            g = ox.NamedNode(str(name))
            store.store.remove_graph(g)
            store.store.load(path=str(source), format=ox.RdfFormat.from_extension(source.suffix.lstrip("."))
                             or ox.RdfFormat.TRIG)
            store.store.flush()
            count = sum(1 for _ in store.store.quads_for_pattern(None, None, None, g))
        finally:
            store.close()
        kill_point("store-graph")  # a test hook: the new generation is whole, not switched in
        with replace_files(out_dir) as new:
            carry_files(out_dir, new, names)
            link_folder(new, "store", new_store)
    prune_generations(link, [new_store, previous])  # the previous store: a reader may have it open
    return count


def imported_registry(out_dir: Path | str) -> list[Path]:
    """The registry graphs ``scgraph import`` wrote into ``OUT/registry/`` (N-Quads, one graph
    per file), which every build of ``OUT`` includes."""
    folder = Path(out_dir) / "registry"
    return sorted(folder.glob("*.nq")) if folder.is_dir() else []


def build_store_spec(out_dir: Path | str, registry: Sequence[Path] = ()) -> str | None:
    """The store a build writes when none is given: ``oxigraph:OUT/store`` once registry data
    is in play (registry files given, or a store from an import or earlier build exists)."""
    path = Path(out_dir) / "store"
    return f"oxigraph:{path}" if registry or path.exists() else None


def _registry_graphs(store: object) -> list[URIRef]:
    return [g for g in store.named_graphs() if str(g).startswith(REGISTRY_PREFIX)]  # type: ignore[attr-defined]


def _load_and_check(target: object, ds: object, report: object, registry: Sequence[Path],
                    timings: dict[str, float], say: Progress) -> object:
    t = time.perf_counter()
    say("Loading the curated graphs into the store")
    target.load_dataset(ds)  # type: ignore[attr-defined]
    for path in registry:
        say(f"Loading {path}")
        target.bulk_load(path)  # type: ignore[attr-defined]
    timings["store-load"] = time.perf_counter() - t
    t = time.perf_counter()
    if isinstance(target, OxigraphStore):
        infer_store(target, progress=say)
    else:
        _infer_remote(target)  # type: ignore[arg-type]
    timings["store-infer"] = time.perf_counter() - t
    t = time.perf_counter()
    say("Checking the registry graphs (queries/checks)")
    merged = merge_reports(report, run_checks(target))  # type: ignore[arg-type]
    timings["store-check"] = time.perf_counter() - t
    return merged


def _infer_remote(store: SparqlStore) -> None:
    """Reason in a scratch embedded store and PUT the inferred graph to the endpoint."""
    import pyoxigraph as ox

    from ..store import from_ox

    scratch = OxigraphStore()
    for g in store.named_graphs():
        if g != INFERRED_GRAPH:
            scratch.load_quads((s, p, o, g) for s, p, o in store.get_graph(g))
    infer_store(scratch)
    inferred = scratch.store.quads_for_pattern(None, None, None, ox.NamedNode(str(INFERRED_GRAPH)))
    store.put_graph(INFERRED_GRAPH, ((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object))
                                     for q in inferred))  # type: ignore[misc]


def _build_store(spec: str, ds: object, report: object, registry: Sequence[Path],
                 timings: dict[str, float], say: Progress, counts: dict[URIRef, int],
                 out_dir: Path) -> tuple[object, Path | None]:
    """Put the whole graph into the store of ``spec``; return the merged validation report and,
    for the build folder's own store (``OUT/store``), the new store generation, which
    :func:`write_outputs` switches in together with the files (other stores are switched here)."""
    kind, _, arg = spec.partition(":")
    if kind == "oxigraph" and arg:
        path = Path(arg)
        own = is_own_store(spec, out_dir)
        if own:
            adopt_real_folder(path)
        generation = new_generation(path) if own else replace_store(path)
        with generation as new, work_folder(path) as tmp:
            store = OxigraphStore(new) if own else new
            try:
                merged = _fill_store(store, path, ds, report, registry, Path(tmp), timings, say, counts)  # type: ignore[arg-type]
                if own:
                    store.store.flush()  # type: ignore[attr-defined]
            finally:
                if own:
                    store.close()  # type: ignore[attr-defined]
        if own:
            kill_point("store-built")  # a test hook: the new store is whole, not switched in
            return merged, new  # type: ignore[return-value]
        return merged, None
    target = open_store(spec)
    if not isinstance(target, SparqlStore):
        raise StoreError(f"a build cannot write to {spec!r}; use oxigraph:PATH or sparql:URL")
    for g in target.named_graphs():
        if not str(g).startswith(REGISTRY_PREFIX):
            target.delete_graph(g)
    merged = _load_and_check(target, ds, report, registry, timings, say)
    counts.update(_counts(target))
    return merged, None


def _fill_store(new: OxigraphStore, path: Path, ds: object, report: object,
                registry: Sequence[Path], tmp: Path, timings: dict[str, float], say: Progress,
                counts: dict[URIRef, int]) -> object:
    """Build the whole graph into the empty store ``new`` (the previous store at ``path``
    gives the registry graphs no file replaces), check it and count it."""
    t = time.perf_counter()
    old = OxigraphStore(path, read_only=True) if path.exists() else None
    try:
        sources = registry_sources(registry, old, tmp, say)
    finally:
        if old is not None:
            old.close()
    timings["store-copy"] = time.perf_counter() - t
    built = build_store(new, ds, sources, tmp, say)  # type: ignore[arg-type]
    timings.update({k: timings.get(k, 0.0) + v for k, v in built.timings.items()})
    t = time.perf_counter()
    say("Checking the registry graphs (queries/checks)")
    merged = merge_reports(report, run_checks(new))  # type: ignore[arg-type]
    timings["store-check"] = time.perf_counter() - t
    if not merged.conforms:  # type: ignore[attr-defined]
        raise _not_conformant(merged)
    t = time.perf_counter()
    counts.update(_counts(new))
    timings["store-count"] = time.perf_counter() - t
    return merged


def _counts(store: object) -> dict[URIRef, int]:
    res = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")  # type: ignore[attr-defined]
    return {g: int(n) for g, n in res.rows}


def _not_conformant(report: object) -> NotConformant:
    n = len(report.violations)  # type: ignore[attr-defined]
    return NotConformant(f"the data has {n} SHACL violation{'s' if n != 1 else ''} "
                         "(the previous store was kept)", report=report)
