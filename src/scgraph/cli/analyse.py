"""The ``analyse``, ``plot`` and ``export-graph`` commands. They read the graph like ``scgraph query`` does: the build's own store
(``build/store``) once registry data is built, else ``build/dataset.nq`` if there is one, else
the project assembled and reasoned over in memory; ``--data`` reads other RDF files instead
(TriG or N-Quads keep their named graphs; other files get one each). ``analyse`` of the
build's own store also puts its named graph ``graph:analysis`` into that store.

``analyse`` into the build folder (the default ``--out``, BUILD_DIR/analysis) holds the build
folder's writers' lock for its whole run (:meth:`scgraph.layout.BuildFolder.writing`), reading
included, so that the graph it puts into the store is the analysis of that store: while a
``build``, ``import`` or another ``analyse`` writes the folder, it fails at once, naming that
command. A store that should be there and is not (a link whose generation is gone, registry
files but no store) is an error, never the curated dumps read instead."""

from __future__ import annotations

import contextlib
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..analysis.params import MAX_SHARED, NETWORKS, FigureFormat, FigureKind, Method, Network
from ..layout import STORE_SPECS, BuildFolder, StoreSpec
from .common import default_store, fill_store, progress
from .common import store_spec as check_store

if TYPE_CHECKING:
    from rdflib import Dataset

    from ..analysis.run import AnalysisResult
    from ..store import Store


class ExportChoice(str, Enum):
    """``--format`` of export-graph: each of :class:`~scgraph.analysis.params.ExportFormat`, or all."""

    all = "all"
    graphml = "graphml"
    gexf = "gexf"
    html = "html"


BuildDir = Annotated[Path, typer.Option("--build-dir", help="Folder with dataset.nq from 'scgraph build'; without it the graph is built in memory.")]
Data = Annotated[list[Path] | None, typer.Option("--data", help="Analyse these RDF files instead of the build (TriG/N-Quads keep their named graphs); repeat for several.")]
StoreOpt = Annotated[str | None, typer.Option("--store", callback=check_store, help=f"Where the graph is read with SPARQL: {STORE_SPECS}; default oxigraph:BUILD_DIR/store if the build has one (registry data), else the build's dataset.nq loaded into an in-memory Oxigraph store. sparql:URL names a SPARQL server's query, update and Graph Store endpoints (;dataset=union: it holds scgraph's graphs only, its default graph their union) ('analyse' writes graph:analysis back there; docs/serving.md).", show_default=False)]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress messages.")]
Seed = Annotated[int, typer.Option("--seed", min=0, help="Seed of communities, sampled betweenness, layouts and evaluation splits.")]


def load(build_dir: Path, data: list[Path] | None, quiet: bool) -> Dataset:
    """The dataset to analyse: ``data`` files, else what ``scgraph query`` reads."""
    if not data:
        from .common import load_dataset

        return load_dataset(build_dir, quiet, analysis=False)  # not the last run's results
    from rdflib import Dataset

    from ..assemble import graph_name
    from ..parse import QUAD_FORMATS, guess_format, parse_into

    ds = Dataset()
    for p in data:
        if guess_format(p) in QUAD_FORMATS:
            parse_into(ds, p)
        else:
            parse_into(ds.graph(graph_name("source", p)), p)
    return ds


def store_spec(store: str | None, build_dir: Path, data: list[Path] | None) -> StoreSpec:
    """The store to read: ``store`` if given, else the build's own store (a registry build)
    unless ``--data`` names other files, else an in-memory Oxigraph store."""
    if store:
        return StoreSpec.parse(store)
    return StoreSpec("oxigraph") if data else default_store(build_dir)


def open_loaded(build_dir: Path, data: list[Path] | None, store: str | None, quiet: bool) -> Store:
    """Open ``store`` (see :func:`store_spec`) and load the dataset into it, unless it already
    holds a graph (an Oxigraph folder, a remote endpoint) and no ``--data`` was given."""
    from ..store import SparqlStore, open_query_store

    st = open_query_store(store_spec(store, build_dir, data))
    if isinstance(st, SparqlStore):
        from ..namespaces import ANALYSIS_GRAPH

        st.hidden.add(ANALYSIS_GRAPH)  # not the last run's results
    if data:
        st.load_dataset(load(build_dir, data, quiet))
    elif not (isinstance(st, SparqlStore) or not st.is_empty()):
        fill_store(st, build_dir, quiet, analysis=False)  # not the last run's results
    return st


def _result(st: Store, seed: int, method: str = "adamic-adar", top: int = 20) -> AnalysisResult:
    from ..analysis.run import analyse

    return analyse(st, method=method, top=top, seed=seed)


def analyse_cmd(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder for the results (default: BUILD_DIR/analysis).", show_default=False)] = None,
    method: Annotated[Method, typer.Option("--method", "-m", help="Link-prediction score that ranks the suggested synergies.")] = Method.adamic_adar,
    top: Annotated[int, typer.Option("--top", "-n", help="How many suggested synergies to keep per kind (projects, cities).", min=0)] = 20,
    evaluate: Annotated[bool, typer.Option("--evaluate", help="Also evaluate every score: hide a share of the recorded collaborations and report AUC and precision@k against a random baseline (evaluation.csv/json).")] = False,
    hide: Annotated[float, typer.Option("--hide", help="Share of recorded collaborations hidden in each evaluation split (0 to 1).")] = 0.2,
    splits: Annotated[int, typer.Option("--splits", help="Number of evaluation splits (seeds SEED, SEED+1, ...).", min=1)] = 10,
    k: Annotated[int, typer.Option("--k", help="k of precision@k in the evaluation.", min=1)] = 10,
    max_shared: Annotated[int, typer.Option("--max-shared", help="Leave out shared nodes (a funding programme, a broad field, a big city, a hub organisation) tied to more things than this: each makes a clique of pairs.", min=2)] = MAX_SHARED,
    seed: Seed = 0,
    build_dir: BuildDir = Path("build"),
    data: Data = None,
    store: StoreOpt = None,
    quiet: Quiet = False,
) -> None:
    """Analyse the networks: metrics, communities, brokers, suggested synergies, gaps.

    Metrics and rankings, communities, brokers (articulation points and bridges), suggested
    synergies with the shared neighbours that explain them, coverage and data gaps.

    Writes CSV and JSON files and the RDF results (analysis.ttl, and analysis.trig with the
    named graph graph:analysis) into the --out folder; the same input gives the same bytes.
    """
    from ..errors import AnalysisError

    if not 0 < hide < 1:
        raise AnalysisError(f"--hide must be between 0 and 1, got {hide}")

    out = out or BuildFolder(build_dir).analysis
    writes_build = out.resolve().is_relative_to(build_dir.resolve())
    with BuildFolder(build_dir).writing("analyse") if writes_build else contextlib.nullcontext():
        _analyse(out, method, top, evaluate, hide, splits, k, max_shared, seed, build_dir, data,
                 store, quiet)


def _analyse(out: Path, method: Method, top: int, evaluate: bool, hide: float, splits: int,
             k: int, max_shared: int, seed: int, build_dir: Path, data: list[Path] | None,
             store: str | None, quiet: bool) -> None:
    """:func:`analyse_cmd` once its options are checked (and the build folder locked)."""
    from ..analysis.output_files import write_results
    from ..analysis.run import analyse

    spec = store_spec(store, build_dir, data)
    st = open_loaded(build_dir, data, spec, quiet)
    from ..store import SparqlStore

    if isinstance(st, SparqlStore):  # analyse writes there anyway: a capped answer is computed once
        st.scratch_pages = True
    try:
        with progress(quiet) as say:
            result = analyse(st, method=method.value, top=top, seed=seed, run_evaluation=evaluate,
                             share=hide, splits=splits, k=k, max_shared=max_shared, progress=say)
    finally:
        st.close()
    paths = write_results(result, out)
    stored = _into_build_store(spec, build_dir, out)
    sent = _into_endpoint(spec, out)
    if not quiet:
        for net in NETWORKS:
            nodes, edges = result.shape(net)
            typer.echo(f"{net}: {nodes} nodes, {edges} edges, "
                       f"{len(result.communities[net])} communities, "
                       f"{len(result.articulation_points[net])} articulation points, "
                       f"{len(result.bridges[net])} bridges")
        typer.echo(f"suggested synergies: {sum(len(v) for v in result.suggestions.values())}; "
                   f"coverage gaps: {len(result.coverage_gaps)}; data gaps: {len(result.data_gaps)}")
        for e in result.evaluation:
            caveat = f" ({e.note})" if e.note else ""
            typer.echo(f"evaluation {e.kind} {e.method}: AUC {e.auc:.3f}, precision@{e.k} {e.precision:.3f}{caveat}")
        if evaluate:
            from ..analysis.params import PROJECTED

            evaluated = {e.kind for e in result.evaluation}
            for kind in PROJECTED:
                if kind not in evaluated and result.shape(kind)[0]:
                    typer.echo(f"evaluation {kind}: fewer than 2 recorded collaborations, nothing to evaluate")
        for p in paths.values():
            typer.echo(f"wrote {p}")
        if stored is not None:
            typer.echo(f"wrote graph:analysis ({stored} triples) into {BuildFolder(build_dir).store}")
        if sent is not None:
            typer.echo(f"wrote graph:analysis ({sent} triples) into {spec}")


def _into_build_store(spec: StoreSpec, build_dir: Path, out: Path) -> int | None:
    """After an analysis of the build's own store into BUILD_DIR/analysis, put its named graph
    into that store too (as the in-memory path adds analysis.trig), so that SPARQL users query
    the results next to the registry data; the triple count, or None when not."""
    from ..namespaces import ANALYSIS_GRAPH
    from ..pipeline import replace_store_graph

    folder = BuildFolder(build_dir)
    if not spec.is_store_of(folder) or out.absolute() != folder.analysis.absolute():
        return None
    return replace_store_graph(build_dir, ANALYSIS_GRAPH, folder.analysis_graph)


def _into_endpoint(spec: StoreSpec, out: Path) -> int | None:
    """After an analysis of a ``sparql:`` store, replace its graph ``graph:analysis`` with the
    results (``OUT/analysis.trig``), all or nothing, so that the ``analysis_*`` questions
    answer there; the triple count, or None for another kind of store."""
    if spec.kind != "sparql":
        return None
    import pyoxigraph as ox

    from ..namespaces import ANALYSIS_GRAPH
    from ..store import SparqlStore, open_store
    from ..terms import from_ox

    target = open_store(spec)
    assert isinstance(target, SparqlStore)
    quads = ox.parse(path=str(out / "analysis.trig"), format=ox.RdfFormat.TRIG)
    return target.replace_graph(ANALYSIS_GRAPH, (
        (from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)) for q in quads  # type: ignore[misc]
        if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value == str(ANALYSIS_GRAPH)))


def plot_cmd(
    kind: Annotated[FigureKind, typer.Argument(help="Which figure: network, hierarchy, timeline, heatmap, map, lighthouse-map or lighthouse-network.", show_default=False)],
    format: Annotated[FigureFormat, typer.Option("--format", "-f", help="Image format (svg and pdf are vector).")] = FigureFormat.png,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File to write (default: BUILD_DIR/analysis/figures/KIND.FORMAT).", show_default=False)] = None,
    network: Annotated[Network, typer.Option("--network", help="For the network figure: which network.")] = Network.heterogeneous,
    color: Annotated[str, typer.Option("--color", help="For the network figure: colour nodes by 'kind' or 'community'.")] = "kind",
    labels: Annotated[int, typer.Option("--labels", help="For the network figure: label this many nodes (highest betweenness).", min=0)] = 15,
    seed: Seed = 0,
    build_dir: BuildDir = Path("build"),
    data: Data = None,
    store: StoreOpt = None,
    quiet: Quiet = False,
) -> None:
    """Draw a figure of the analyses as PNG, SVG or PDF.

    KIND is the collaboration network, the initiative -> cluster -> project hierarchy, the
    meeting timeline, the theme x initiative coverage heatmap, or the map of cities and projects.
    """
    from ..analysis import figures as plot

    path = out or BuildFolder(build_dir).figures / f"{kind.value}.{format.value}"
    st = open_loaded(build_dir, data, store, quiet)
    try:
        result = _result(st, seed)
        fig = plot.figure(kind.value, result, st, network=network.value, color=color, labels=labels, seed=seed)
    finally:
        st.close()
    plot.save(fig, path, format.value)
    if not quiet:
        typer.echo(f"wrote {path}")


def export_cmd(
    format: Annotated[ExportChoice, typer.Option("--format", "-f", help="graphml, gexf, html (one self-contained interactive page, works offline) or all.")] = ExportChoice.all,
    network: Annotated[list[Network] | None, typer.Option("--network", help="Networks to export as GraphML/GEXF (default: all four); repeat for several.")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Folder to write to (default: BUILD_DIR/analysis).", show_default=False)] = None,
    seed: Seed = 0,
    build_dir: BuildDir = Path("build"),
    data: Data = None,
    store: StoreOpt = None,
    quiet: Quiet = False,
) -> None:
    """Export the networks as GraphML, GEXF and an offline interactive HTML page.

    Nodes carry their kind, label and metrics; GraphML and GEXF open in Gephi and Cytoscape;
    networks.html is one self-contained page (no outside resources).
    """
    from ..analysis.export import FORMATS, export

    formats = FORMATS if format is ExportChoice.all else (format.value,)
    nets = tuple(n.value for n in network) if network else NETWORKS
    st = open_loaded(build_dir, data, store, quiet)
    try:
        result = _result(st, seed)
    finally:
        st.close()
    paths = export(result, out or BuildFolder(build_dir).analysis, formats=formats, networks=nets, seed=seed)
    if not quiet:
        for p in paths.values():
            typer.echo(f"wrote {p}")
