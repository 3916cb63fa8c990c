"""The ``scgraph import`` commands (registered in :mod:`scgraph.cli`): one sub-command per
outside format. Each parses its options, calls the importer's API and prints; the guarantees
are the API's (:mod:`scgraph.importers.cordis`, :mod:`scgraph.importers.sink`).

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

An import into a build folder (the default target, an ``--output`` inside BUILD_DIR, or an
on-disk store: the folder its generations live in) holds that folder's writers' lock for its
whole run (:meth:`scgraph.layout.BuildFolder.writing`): while a ``build``, ``import`` or
``analyse`` writes it, the import fails at once, naming that command, and writes nothing.

A ``--filter`` that keeps none of the folder's projects is warned about (stderr, one line);
``--measure`` imports nothing and prints what the filter keeps, rule by rule
(:func:`scgraph.importers.cordis.measure.measure_filter`, docs/filter.md).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated

import typer

from ..errors import RejectedRows
from ..layout import STORE_SPECS, BuildFolder

import_app = typer.Typer(
    help="Import outside data into its own named graph (graph:registry/...).",
    no_args_is_help=True,
    add_completion=False,
)


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
    from ..importers.cordis import empty_filter_warning, format_report, run_import_cordis
    from .common import progress as _progress

    if output is not None and store is not None:
        raise typer.BadParameter("give --store or --output, not both", param_hint="--output")
    if measure:
        _measure(directory, filter, store is not None or output is not None, quiet)
        return
    if output is None and store is None:
        output = BuildFolder(build_dir).registry_file("cordis")
    target = str(output) if output is not None else str(store)
    try:
        with _written(build_dir, store, output), _progress(quiet) as progress:
            report = run_import_cordis(directory, filter, store=store, output=output,
                                       skip_invalid=skip_invalid, progress=progress)
    except RejectedRows as e:
        if not quiet:
            typer.echo(format_report(e.report).rstrip("\n"))  # type: ignore[arg-type]
        raise
    if not quiet:
        typer.echo(format_report(report).rstrip("\n"))
        typer.echo(f"written to {target}")
        warning = empty_filter_warning(report)
        if warning:
            typer.echo(warning, err=True)


def _written(build_dir: Path, store: str | None, output: Path | None) -> AbstractContextManager[None]:
    """The writers' locks an import into ``store`` or ``output`` holds: the folder of an
    on-disk store (where its generations are switched), and BUILD_DIR for a file inside it;
    a file elsewhere is one atomic rename, and a remote or in-memory store is no folder."""
    from ..files import exclusive_all
    from ..layout import StoreSpec

    folders: list[Path] = []
    spec = StoreSpec.parse(store) if store is not None else None
    if spec is not None and spec.path is not None:
        folders.append(spec.path.parent)
    if output is not None and output.resolve().is_relative_to(build_dir.resolve()):
        folders.append(build_dir)
    return exclusive_all(folders, "import cordis")


def _measure(directory: Path, filter: str | None, target_given: bool, quiet: bool) -> None:
    """``--measure``: print what the filter keeps of the folder; nothing is imported."""
    from ..importers.cordis.measure import format_measure, measure_filter
    from ..importers.filters import FilterRules
    from .common import progress as _progress

    if filter is None:
        raise typer.BadParameter("--measure needs --filter", param_hint="--measure")
    if target_given:
        raise typer.BadParameter("--measure writes nothing; leave out --store and --output",
                                 param_hint="--measure")
    rules = FilterRules.named(filter)
    with _progress(quiet) as progress:
        result = measure_filter(directory, rules, progress=progress)
    typer.echo(format_measure(result).rstrip("\n"))
