"""``scgraph query`` and ``scgraph queries``: the catalogue of questions, from the shell."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from ..layout import STORE_SPECS, StoreSpec
from .common import default_store, fill_store, store_spec


class Format(str, Enum):
    table = "table"
    csv = "csv"
    tsv = "tsv"
    json = "json"


def _params(values: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values:
        name, sep, value = v.partition("=")
        if not sep or not name.strip():
            raise typer.BadParameter(f"{v!r} is not NAME=VALUE", param_hint="--param")
        out[name.strip()] = value
    return out


def query_cmd(
    name: Annotated[str, typer.Argument(help="Query name from the catalogue (see 'scgraph queries') or path to a .rq file.", show_default=False)],
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format: a text table, or SPARQL 1.1 results in CSV, TSV or JSON. From an embedded Oxigraph store, csv, tsv and json stream: they are written as the store gives the rows (bulk exports), literals in the store's lexical form as 'scgraph serve' writes them (the table shows rdflib's: a double 1.5E3 as 1500.0, a time's Z as +00:00).")] = Format.table,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="Query parameter as NAME=VALUE; repeat for several.")] = None,
    build_dir: Annotated[Path, typer.Option("--build-dir", help="Folder with dataset.nq from 'scgraph build'; without it the graph is built in memory.")] = Path("build"),
    store: Annotated[str | None, typer.Option("--store", callback=store_spec, help=f"Where the graph is: {STORE_SPECS}; default oxigraph:BUILD_DIR/store if it exists, else BUILD_DIR/dataset.nq loaded into an in-memory Oxigraph store (memory: into rdflib).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress messages.")] = False,
    wide: Annotated[bool, typer.Option("--wide", "-w", help="Table format in a terminal: show every value whole, in a table as wide as its values (for a pager: | less -S), instead of cutting values at the terminal's width with an ellipsis.")] = False,
    allow_service: Annotated[list[str] | None, typer.Option("--allow-service", help="Let SERVICE call endpoints under this URL prefix (scheme, host and port must match; repeat for several). Federated queries are refused by default.", show_default=False)] = None,
) -> None:
    """Run a query of the catalogue (or a .rq file) over the graph and print the answer."""
    from .. import catalogue
    from ..store import SparqlStore, open_query_store

    params = _params(param or [])
    q = catalogue.get_query(name)
    catalogue.bindings(q, params)  # report bad parameters before loading anything
    allowed = tuple(allow_service or ())
    catalogue.check_syntax(q, allowed)  # refuses SERVICE off the allow-list; contacts nothing
    # the build's own store once it has one, else the build's dataset in an in-memory Oxigraph
    st = open_query_store(StoreSpec.parse(store) if store else default_store(build_dir))
    try:
        if not isinstance(st, SparqlStore) and st.is_empty():  # memory or a new embedded store
            fill_store(st, build_dir, quiet)
        if format is not Format.table:  # bulk exports: written as the store gives the rows
            import sys  # (CSV and TSV by Oxigraph, through scgraph.results.StreamGuard)

            sys.stdout.flush()
            result = catalogue.run_streamed(st, q, sys.stdout.buffer, format.value, params, allowed)
            if result is None:
                sys.stdout.buffer.flush()
                return
        else:
            result = catalogue.run(st, q, params, allowed)
    finally:
        st.close()
    from .. import results  # rdflib terms and rich: only for an answer formatted here

    if format is Format.table:
        import shutil
        import sys

        if sys.stdout.isatty():
            width = shutil.get_terminal_size().columns
            typer.echo(results.to_terminal(result, width, title=q.title or q.name, wide=wide), nl=False)
        else:
            typer.echo(results.to_text(result), nl=False)
    else:
        typer.echo(results.FORMATTERS[format.value](result), nl=False)


def queries_cmd() -> None:
    """List the queries of the catalogue: name and title; the analysts' questions first, then
    the analysis exports that 'scgraph analyse' reads."""
    from .. import catalogue

    cat = catalogue.load_catalogue()
    width = max((len(n) for n in cat), default=0)
    questions, plumbing = catalogue.split_catalogue(cat)
    for name in questions:
        typer.echo(f"{name.ljust(width)}  {cat[name].title}".rstrip())
    if plumbing:
        typer.echo("\nAnalysis exports (bulk, unordered; read by 'scgraph analyse', 'plot', 'export-graph'):")
        for name in plumbing:
            typer.echo(f"{name.ljust(width)}  {cat[name].title}".rstrip())
