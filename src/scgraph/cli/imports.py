"""The ``scgraph import`` commands (registered in ``cli.py``): one sub-command per outside format.

An import is all or nothing. By default a table row the importer rejects (wrong number of
fields, broken quoting, an empty row, a duplicate id, a bad value, an unknown project) fails the
whole import: exit 1, one line naming the file and line of the first such row, and every store
and file left exactly as it was. ``--skip-invalid`` imports the valid rows and reports the rest.
Nothing reaches the target before the rows are known to be good:

- the default target, ``BUILD_DIR/registry/cordis.nq`` (which every ``scgraph build`` of
  BUILD_DIR includes), and ``--output FILE`` are written to a temporary file, renamed onto
  the target only on success;
- an on-disk Oxigraph store (``--store oxigraph:PATH``) is imported into a new store
  generation, switched in only on success (:func:`scgraph.store.replace_store`);
- any other store (``sparql:URL``, ``memory``) gets the graph only after the whole folder was
  read into memory; a SPARQL endpoint gets it in a scratch graph first, then one
  ``MOVE`` replaces ``graph:registry/cordis``, so a failed upload leaves the old graph.

A ``--filter`` that keeps none of the folder's projects is warned about (stderr, one line);
``--measure`` imports nothing and prints what the filter keeps, rule by rule
(:func:`scgraph.importers.filters.measure_filter`, docs/filter.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..namespaces import GRAPH
from ..store import STORE_SPECS
from ..errors import RejectedRows

import_app = typer.Typer(
    help="Import outside data into its own named graph (graph:registry/...).",
    no_args_is_help=True,
    add_completion=False,
)

#: Where an import to a SPARQL endpoint is uploaded before it replaces graph:registry/cordis
#: (outside graph:registry/, so a build never mistakes a leftover for registry data).
SCRATCH_GRAPH = GRAPH["scratch/import-cordis"]


def check_rows(directory: Path | str, report: object, skip_invalid: bool) -> None:
    """Raise :class:`RejectedRows` when the import rejected a row, unless ``skip_invalid``."""
    if report.rejected and not skip_invalid:  # type: ignore[attr-defined]
        raise RejectedRows(directory, report)


def cordis_cmd(
    directory: Annotated[Path, typer.Argument(help="Folder of a CORDIS bulk export: project.csv, organization.csv, topics.csv, euroSciVoc.csv, legalBasis.csv, webLink.csv (';'- or ','-separated).", show_default=False)],
    filter: Annotated[str | None, typer.Option("--filter", help="Keep only the projects a rule file matches: a name from data/filters/ (smart-cities) or a .toml path; default: everything.")] = None,
    store: Annotated[str | None, typer.Option("--store", help=f"Import into this store instead of a file: {STORE_SPECS}; a build of BUILD_DIR keeps the registry graphs of BUILD_DIR/store.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the graph to this N-Quads file (default: BUILD_DIR/registry/cordis.nq, which every 'scgraph build' of BUILD_DIR includes).")] = None,
    build_dir: Annotated[Path, typer.Option("--build-dir", help="Build folder whose registry/ folder receives the graph by default.")] = Path("build"),
    skip_invalid: Annotated[bool, typer.Option("--skip-invalid", help="Import the valid rows and report the rejected ones; without it a rejected row fails the import and nothing is written.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    measure: Annotated[bool, typer.Option("--measure", help="Import nothing: measure the --filter on the folder (projects seen, kept per rule, the call topics taken, a sample of related-looking projects left out; docs/filter.md) and print the measurement.")] = False,
) -> None:
    """Import the EU project registry (CORDIS) tables into the graph:registry/cordis graph.

    Writes BUILD_DIR/registry/cordis.nq (N-Quads); 'scgraph build' then builds it, with the
    curated graphs and the inferences, into the Oxigraph store BUILD_DIR/store. Streams the tables (memory does not grow with their size), reconciles organisations by
    their registry id and cities by name and country (GeoNames), links the projects of the
    curated sources to their registry records, and prints rows read, rows rejected with their
    reasons, things and triples written, and the time taken. A rejected row fails the import
    (exit 1, its file and line, nothing written) unless --skip-invalid is given. A filter that
    keeps no project is warned about on stderr.
    """
    from . import _progress
    from ..importers.cordis import format_report

    if output is not None and store is not None:
        raise typer.BadParameter("give --store or --output, not both", param_hint="--output")
    if measure:
        _measure(directory, filter, store is not None or output is not None, quiet)
        return
    made: list[Path] = []
    if output is None and store is None:
        output = build_dir / "registry" / "cordis.nq"
        made = [d for d in (output.parent, *output.parent.parents) if not d.exists()]
        output.parent.mkdir(parents=True, exist_ok=True)
    target = str(output) if output is not None else str(store)
    try:
        with _progress(quiet) as progress:
            report = import_cordis_to(directory, filter, target if output is None else None,
                                      output=output, skip_invalid=skip_invalid, progress=progress)
    except RejectedRows as e:
        if not quiet:
            typer.echo(format_report(e.report).rstrip("\n"))  # type: ignore[arg-type]
        _remove_empty(made)
        raise
    except BaseException:
        _remove_empty(made)
        raise
    if not quiet:
        typer.echo(format_report(report).rstrip("\n"))
        typer.echo(f"written to {target}")
        warning = empty_filter_warning(report)
        if warning:
            typer.echo(warning, err=True)


def empty_filter_warning(report: object) -> str | None:
    """The warning line for an import whose filter kept no project, else None."""
    name = report.filter  # type: ignore[attr-defined]
    if not name or report.kept_by:  # type: ignore[attr-defined]
        return None
    file = report.tables.get("project", "project.csv")  # type: ignore[attr-defined]
    seen = report.rows_filtered.get(file, 0)  # type: ignore[attr-defined]
    return (f"warning: filter {name} kept none of the {seen:,} projects of {file} "
            "(--measure shows what its rules match)")


def _measure(directory: Path, filter: str | None, target_given: bool, quiet: bool) -> None:
    """``--measure``: print what the filter keeps of the folder; nothing is imported."""
    from . import _progress
    from ..importers.filters import FilterRules, format_measure, measure_filter

    if filter is None:
        raise typer.BadParameter("--measure needs --filter", param_hint="--measure")
    if target_given:
        raise typer.BadParameter("--measure writes nothing; leave out --store and --output",
                                 param_hint="--measure")
    rules = FilterRules.named(filter)
    with _progress(quiet) as progress:
        result = measure_filter(directory, rules, progress=progress)
    typer.echo(format_measure(result).rstrip("\n"))


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders a failed import made, innermost first (each left alone if something
    else wrote into it)."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def import_cordis_to(directory: Path, filter: str | None, store: str | None, *,
                     output: Path | None = None, skip_invalid: bool = False,
                     progress: object = None) -> object:
    """Import a CORDIS folder into the store ``store`` (a spec) or the N-Quads file ``output``,
    all or nothing (see the module docstring). Returns the import report."""
    from ..importers.cordis import run_import_cordis

    if output is not None:
        return _import_to_file(directory, filter, output, skip_invalid, progress)
    kind, _, arg = (store or "").partition(":")
    if kind == "oxigraph" and arg:
        return _import_into_new_generation(directory, filter, Path(arg), skip_invalid, progress)
    from rdflib import Dataset

    scratch = Dataset()
    report = run_import_cordis(directory, filter, store=scratch, progress=progress)  # type: ignore[arg-type]
    check_rows(directory, report, skip_invalid)
    _write_to_store(str(store), scratch)
    return report


def _import_to_file(directory: Path, filter: str | None, output: Path, skip_invalid: bool,
                    progress: object) -> object:
    """Write to a temporary file next to ``output``; rename it onto ``output`` only when every
    row was good (or ``skip_invalid``)."""
    from ..importers.cordis import run_import_cordis
    from ..files import atomic_path

    with atomic_path(output) as tmp:
        report = run_import_cordis(directory, filter, output=tmp, progress=progress)  # type: ignore[arg-type]
        check_rows(directory, report, skip_invalid)
    return report


def _import_into_new_generation(directory: Path, filter: str | None, path: Path,
                                skip_invalid: bool, progress: object) -> object:
    """Import into a new generation of the store at ``path``, with every other graph of the
    current one copied over, and switch to it only when the import succeeded: rejected rows,
    a failure or a kill leave the store as it was (Oxigraph's bulk loader is not atomic)."""
    from ..importers.cordis import REGISTRY_GRAPH, run_import_cordis
    from ..store import OxigraphStore, copy_graphs, replace_store

    with replace_store(path) as new:
        if path.exists():
            old = OxigraphStore(path, read_only=True)
            try:
                keep = [g for g in old.named_graphs() if g != REGISTRY_GRAPH]
                copy_graphs(old, new, keep)
            finally:
                old.close()
        report = run_import_cordis(directory, filter, store=new, progress=progress)  # type: ignore[arg-type]
        check_rows(directory, report, skip_invalid)
        return report


def _write_to_store(spec: str, ds: object) -> None:
    """Put the imported graph into the store of ``spec``. A SPARQL endpoint gets it in
    :data:`SCRATCH_GRAPH` first; one ``MOVE`` then replaces graph:registry/cordis."""
    from ..importers.cordis import REGISTRY_GRAPH
    from ..store import SparqlStore, open_store

    target = open_store(spec)
    try:
        if not isinstance(target, SparqlStore):
            target.load_dataset(ds)  # type: ignore[arg-type]
            return
        graph = ds.graph(REGISTRY_GRAPH)  # type: ignore[attr-defined]
        target.delete_graph(SCRATCH_GRAPH)  # a leftover of a failed upload (a build drops it too)
        if len(graph):
            target.post_graph(SCRATCH_GRAPH, graph)
            target.update(f"MOVE SILENT <{SCRATCH_GRAPH}> TO <{REGISTRY_GRAPH}>")
        else:
            target.update(f"DROP SILENT GRAPH <{REGISTRY_GRAPH}>")
    finally:
        target.close()


import_app.command("cordis")(cordis_cmd)
