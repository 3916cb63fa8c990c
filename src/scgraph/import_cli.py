"""The ``scgraph import`` commands (registered in ``cli.py``): one sub-command per outside format."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .store import STORE_SPECS

import_app = typer.Typer(
    help="Import outside data into its own named graph (graph:registry/...).",
    no_args_is_help=True,
    add_completion=False,
)


def cordis_cmd(
    directory: Annotated[Path, typer.Argument(help="Folder of a CORDIS bulk export: project.csv, organization.csv, topics.csv, euroSciVoc.csv, legalBasis.csv, webLink.csv (';'- or ','-separated).", show_default=False)],
    filter: Annotated[str | None, typer.Option("--filter", help="Keep only the projects a rule file matches: a name from data/filters/ (smart-cities) or a .toml path; default: everything.")] = None,
    store: Annotated[str | None, typer.Option("--store", help=f"Where the imported graph goes: {STORE_SPECS} (default: oxigraph:BUILD_DIR/store, which 'scgraph build' then includes).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the graph to this N-Quads file instead of a store (for 'scgraph build --registry FILE').")] = None,
    build_dir: Annotated[Path, typer.Option("--build-dir", help="Build folder whose store is the default target.")] = Path("build"),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Import the EU project registry (CORDIS) tables into the graph:registry/cordis graph.

    Streams the tables (memory does not grow with their size), reconciles organisations by
    their registry id and cities by name and country (GeoNames), links the projects of the
    curated sources to their registry records, and prints rows read, rows rejected with their
    reasons, things and triples written, and the time taken.
    """
    from .cli import _progress
    from .importers.cordis import format_report, run_import_cordis

    if output is not None and store is not None:
        raise typer.BadParameter("give --store or --output, not both", param_hint="--output")
    target = None if output is not None else (store or f"oxigraph:{build_dir / 'store'}")
    with _progress(quiet) as progress:
        if output is None and store is None:
            report = _import_into_new_generation(directory, filter, build_dir / "store", progress)
        else:
            report = run_import_cordis(directory, filter, store=target, output=output, progress=progress)
    if not quiet:
        typer.echo(format_report(report).rstrip("\n"))
        typer.echo(f"written to {output if output is not None else target}")


def _import_into_new_generation(directory: Path, filter: str | None, path: Path, progress):
    """Import into a new generation of the build's store, with every other graph of the
    current one copied over, and switch to it only when the import succeeded: a failed or
    killed import leaves the store as it was (Oxigraph's bulk loader is not atomic)."""
    from .importers.cordis import run_import_cordis
    from .namespaces import GRAPH
    from .store import OxigraphStore, copy_graphs, replace_store

    with replace_store(path) as new:
        if path.exists():
            old = OxigraphStore(path, read_only=True)
            try:
                keep = [g for g in old.named_graphs() if g != GRAPH["registry/cordis"]]
                copy_graphs(old, new, keep)
            finally:
                old.close()
        return run_import_cordis(directory, filter, store=new, progress=progress)


import_app.command("cordis")(cordis_cmd)
