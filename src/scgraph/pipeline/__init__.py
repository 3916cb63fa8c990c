"""The whole pipeline in one call: assemble -> infer -> validate -> publish.

With a store (``store="oxigraph:PATH"`` or ``"sparql:URL"``) the build also puts the whole graph
there: the curated graphs, the registry graphs (``graph:registry/*``: those already in the
store, kept across builds, plus any N-Quads files given), and an inferred graph computed over
all of them in the store. The registry part is validated by the SPARQL checks of
``queries/checks`` (:mod:`scgraph.validate.checks`); pySHACL validates the curated part. Each kind
of store is one target (:mod:`.targets`); an on-disk store is built into a new generation and
switched in only when the build succeeds.

Which store, when none is given: ``oxigraph:OUT/store`` if that exists (registry data was
imported or a store build was made), else none (the in-memory build of the curated data).

A build holds the build folder's writers' lock (:meth:`~scgraph.layout.BuildFolder.writing`,
``OUT/.lock``) for its whole run, and that of the folder of another on-disk store it writes: a
second ``build``, ``import`` or ``analyse`` of the same folder fails at once, naming it, and
changes nothing. A store link whose generation is gone is an error, not a new store without the
registry graphs it held (:func:`scgraph.layout.check_store`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Dataset, URIRef

from .. import inputs, parse
from ..assemble import assemble, named_graphs
from ..layout import BuildFolder, StoreSpec, check_store, lost_store
from ..errors import NotConformant
from ..namespaces import GRAPH, INFERRED_GRAPH, short
from ..files import (
    OUTPUTS,
    carry_files,
    exclusive_all,
    kill_point,
    link_folder,
    new_generation,
    prune_generations,
    recover_folder,
    replace_files,
)
from ..publish.serialise import DUMPS, write_dumps, write_validation
from ..reason import FAST_ENGINE, get_engine, infer
from ..reason.keep import check_mode
from ..store import OxigraphStore
from .store import check_registry_file
from .targets import target_for
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
          registry: Sequence[Path] = (), engine: str = FAST_ENGINE,
          extra: Sequence[Path] = (), inferred: str = "lean") -> BuildResult:
    """Assemble, infer, validate and publish the graph of ``root`` into ``out_dir``.

    ``store``: also build the whole graph into this store (see the module docstring; default
    :meth:`~scgraph.layout.BuildFolder.build_store`). ``registry``: N-Quads/TriG files of registry graphs to add.
    ``engine``: the reasoning engine for the curated dumps (all engines give the same graph).
    ``extra``: the user's own source files, built, reasoned over and validated as the curated
    sources are (:func:`scgraph.assemble.assemble`). ``inferred``: what the store's
    ``graph:inferred`` holds of what the registry graphs entail: ``lean`` (the default: the
    triples in scgraph's own vocabulary, :class:`scgraph.reason.keep.Lean`; the standard
    vocabularies' copies at query time, docs/ontology.md) or ``full`` (every entailment); the
    curated graphs' entailments are kept in full either way, and the dumps hold only those.

    The validation report (``validation.ttl``, ``validation.txt``) is always written. The
    dumps are replaced only when the data conforms: on violations the previous dumps stay
    as they were and NotConformant is raised (carrying the report) after the report is written.
    The files of ``out_dir`` change all at once (:func:`write_outputs`).

    The build holds the writers' lock of ``out_dir`` (and of the folder of an on-disk
    ``store`` elsewhere) throughout; another command writing it is a StoreError at once. When
    ``OUT/store`` is a link whose generation is gone, the build stops with a StoreError rather
    than build a store without the registry graphs the lost one held: the registry files
    (``OUT/registry/*.nq``) rebuild it once the link is removed, but graphs imported straight
    into the store (``import --store``) exist nowhere else, and only the user knows whether
    there were any.
    """
    folder = BuildFolder.of(out_dir)
    get_engine(engine)  # every option is checked before any work: the engine, the store
    check_mode(inferred)
    spec = StoreSpec.parse(store) if store is not None else None
    if spec is not None and spec.kind != "memory":
        target_for(spec, folder)  # a store a build cannot write
    for path in registry:
        check_registry_file(path)  # Turtle given as registry graphs, before any work
    for path in extra:
        parse.guess_format(path)  # an unknown extension, a missing file, before any work
        inputs.require_regular_file(path)
    folders = [folder.path] + ([spec.path.parent] if spec is not None and spec.path is not None else [])
    with exclusive_all(folders, "build"):
        return _build(folder, root=root, progress=progress, spec=spec, registry=registry, engine=engine,
                      extra=extra, inferred=inferred)


def _build(folder: BuildFolder, *, root: Path | None, progress: Progress | None,
           spec: StoreSpec | None, registry: Sequence[Path], engine: str,
           extra: Sequence[Path] = (), inferred: str = "lean") -> BuildResult:
    """:func:`build`, with the build folder's writers' lock held."""
    out_dir = folder.path
    say = progress or (lambda _step: None)
    timings: dict[str, float] = {}

    def step(message: str) -> float:
        say(message)
        return time.perf_counter()

    recover_folder(folder.store)  # a store a killed switch left moved aside
    registry = [*registry, *folder.registry_files()]
    if spec is None:
        spec = folder.build_store(bool(registry))
    if spec is not None and spec.path is not None and lost_store(spec.path):
        check_store(spec.path)  # a link whose generation is gone: its registry graphs with it
    target = target_for(spec, folder) if spec is not None and spec.kind != "memory" else None

    t = step("Assembling the ontology, reference data and sources")
    ds = assemble(root, extra=extra)
    timings["assemble"] = time.perf_counter() - t

    t = step(f"Reasoning (OWL RL, {engine})")
    infer(ds, engine)
    timings["infer"] = time.perf_counter() - t

    t = step("Validating against the SHACL shapes")
    shapes = load_shapes((root / "ontology" / "shapes.ttl") if root is not None else None)
    report = validate(ds, shapes)
    timings["validate"] = time.perf_counter() - t

    triples_in_store: dict[URIRef, int] = {}
    new_store: Path | None = None
    if target is not None:
        try:
            filled = target.fill(ds, report, registry, timings, say, inferred)
        except NotConformant as e:
            write_outputs(out_dir, e.report, None)
            raise
        report, triples_in_store, new_store = filled.report, filled.counts, filled.new_store

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
    link = BuildFolder(out_dir).store
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


def replace_store_graph(out_dir: Path | str, name: URIRef, source: Path) -> int:
    """Replace the named graph ``name`` of the build's own store (``OUT/store``) with
    ``source``, a TriG or N-Quads file of that one graph; return its triple count.

    The store in use is never written (a server or a query may read it): a new generation is
    made from it (Oxigraph's backup, hard links to its files), changed, and switched in with
    the build's files, as a build does (:func:`write_outputs`); a kill leaves the old one.
    The caller holds the build folder's writers' lock (as ``scgraph analyse`` does).
    """
    import pyoxigraph as ox

    out_dir = Path(out_dir)
    link = BuildFolder(out_dir).store
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
