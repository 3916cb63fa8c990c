"""The ``scgraph`` command: a thin shell over the pipeline functions.

Exit codes: 0 ok, 1 a user error or non-conformant data (``Error: ...`` on stderr, one line),
2 bad usage.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import sys
from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rdflib import Dataset
from rich.console import Console

from .. import __version__
from .. import catalogue
from .. import parse
from ..assemble import assemble
from ..errors import ScgraphError
from ..build import build as run_build
from ..reason import infer
from ..store import STORE_SPECS, SparqlStore, default_store_spec, open_query_store
from ..validate.shacl import load_shapes, validate_files

app = typer.Typer(
    help="scgraph builds, checks and queries an RDF knowledge graph of the EU's smart-city "
    "projects, initiatives, clusters, cities and meetings.",
    no_args_is_help=True,
    add_completion=False,
)

F = TypeVar("F", bound=Callable[..., Any])


def _err(message: str) -> None:
    typer.echo(f"Error: {message}", err=True)


def user_errors(func: F) -> F:
    """Turn a ScgraphError into ``Error: <message>`` on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ScgraphError as e:
            _err(str(e))
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


@contextlib.contextmanager
def _progress(quiet: bool) -> Iterator[Callable[[str], None] | None]:
    """A rich status line on stderr, or nothing when quiet or stderr is not a terminal."""
    console = Console(stderr=True)
    if quiet or not console.is_terminal:
        yield None
        return
    with console.status("Starting") as status:
        yield lambda message: status.update(message)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"scgraph {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Show the version and exit.")] = False,
) -> None:
    """scgraph builds, checks and queries an RDF knowledge graph of the EU's smart-city
    projects, initiatives, clusters, cities and meetings."""


@app.command()
@user_errors
def build(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the dumps and the validation report to.")] = Path("build"),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    store: Annotated[str | None, typer.Option("--store", help=f"Also build the whole graph into this store ({STORE_SPECS}); default oxigraph:OUT/store once it exists or --registry is given, else none.")] = None,
    registry: Annotated[list[Path] | None, typer.Option("--registry", help="N-Quads file of registry graphs (from 'scgraph import ... --output') to add; repeat for several.")] = None,
    reasoner: Annotated[str, typer.Option("--reasoner", help="Reasoning engine: sparql (fast, default), reasonable or owlrl (the reference); all give the same graph.")] = "sparql",
) -> None:
    """Assemble, reason over, validate and publish the graph (dumps only if it conforms)."""
    with _progress(quiet) as progress:
        result = run_build(out, progress=progress, store=store, registry=registry or (), engine=reasoner)
    if not quiet:
        typer.echo(result.summary(), nl=False)


@app.command("validate")
@user_errors
def validate_cmd(
    files: Annotated[list[Path], typer.Argument(help="RDF files to check (Turtle, TriG, N-Triples, ...).", show_default=False)],
    shapes: Annotated[Path | None, typer.Option("--shapes", help="SHACL shapes file (default: ontology/shapes.ttl).")] = None,
) -> None:
    """Check RDF files against the SHACL shapes, with the ontology and reference data loaded.

    Prints the report; exits with 1 when there are violations (warnings do not fail).
    """
    shapes_graph = load_shapes(shapes) if shapes is not None else None
    report = validate_files(files, shapes=shapes_graph)
    typer.echo(report.summary(), nl=False)
    if not report.conforms:
        raise typer.Exit(1)


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


def _load_dataset(build_dir: Path, quiet: bool, *, analysis: bool = True) -> Dataset:
    """The built dataset (else assembled and reasoned over), with the named graph of
    'scgraph analyse' (BUILD_DIR/analysis/analysis.trig) when there is one and ``analysis``."""
    from ..analysis.rdf import add_analysis_graph

    dump = build_dir / "dataset.nq"
    if dump.is_file():
        ds = Dataset()
        parse.parse_into(ds, dump)
    else:
        with _progress(quiet) as progress:
            if progress:
                progress("Assembling and reasoning (no dataset.nq in the build folder)")
            ds = infer(assemble())
    if analysis:
        add_analysis_graph(ds, build_dir)
    return ds


@app.command()
@user_errors
def query(
    name: Annotated[str, typer.Argument(help="Query name from the catalogue (see 'scgraph queries') or path to a .rq file.", show_default=False)],
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="Query parameter as NAME=VALUE; repeat for several.")] = None,
    build_dir: Annotated[Path, typer.Option("--build-dir", help="Folder with dataset.nq from 'scgraph build'; without it the graph is built in memory.")] = Path("build"),
    store: Annotated[str | None, typer.Option("--store", help=f"Where the graph is: {STORE_SPECS}; default oxigraph:BUILD_DIR/store if it exists, else memory.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress messages.")] = False,
) -> None:
    """Run a query of the catalogue (or a .rq file) over the graph and print the answer."""
    params = _params(param or [])
    q = catalogue.get_query(name)
    catalogue.bindings(q, params)  # report bad parameters before loading anything
    catalogue.check_syntax(q)
    st = open_query_store(store or default_store_spec(build_dir))
    try:
        if not isinstance(st, SparqlStore) and not len(st):  # memory or a new embedded store
            st.load_dataset(_load_dataset(build_dir, quiet))
        result = catalogue.run(st, q, params)
    finally:
        st.close()
    if format is Format.table:
        console = Console()
        if console.is_terminal:
            console.print(catalogue.to_table(result, title=q.title or q.name))
        else:
            typer.echo(catalogue.to_text(result), nl=False)
    else:
        typer.echo(catalogue.FORMATTERS[format.value](result), nl=False)


@app.command()
@user_errors
def queries() -> None:
    """List the queries of the catalogue: name and title; the analysts' questions first, then
    the analysis exports that 'scgraph analyse' reads."""
    cat = catalogue.load_catalogue()
    width = max((len(n) for n in cat), default=0)
    questions, plumbing = catalogue.split_catalogue(cat)
    for name in questions:
        typer.echo(f"{name.ljust(width)}  {cat[name].title}".rstrip())
    if plumbing:
        typer.echo("\nAnalysis exports (bulk, unordered; read by 'scgraph analyse', 'plot', 'export-graph'):")
        for name in plumbing:
            typer.echo(f"{name.ljust(width)}  {cat[name].title}".rstrip())


# publish and serve live in serving_cli.py (the publishing-and-serving module)
from .serve import publish_cmd, serve_cmd  # noqa: E402

app.command("publish")(user_errors(publish_cmd))

# import: one sub-command per outside format, in import_cli.py
from .imports import cordis_cmd as _cordis_cmd, import_app  # noqa: E402

import_app.registered_commands.clear()
import_app.command("cordis")(user_errors(_cordis_cmd))
app.add_typer(import_app, name="import")
app.command("serve")(user_errors(serve_cmd))

# analyse, plot and export-graph live in analysis/commands.py (the analysis module)
from .analyse import register as _register_analysis  # noqa: E402

_register_analysis(app, user_errors)


def _unwrapped(text: str) -> str:
    """A docstring with each paragraph on one line, for the help to reflow to the terminal's
    width (rich keeps single line breaks); paragraphs with indented lines or list items keep
    their breaks."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(
        p if any(line.startswith((" ", "-", "*", "\b")) for line in p.split("\n")[1:])
        else " ".join(line.strip() for line in p.split("\n"))
        for p in paragraphs)


for _app in (app, import_app):
    for _info in _app.registered_commands:
        _info.help = _unwrapped(_info.help or inspect.getdoc(_info.callback) or "")


def main() -> None:
    """Entry point of the ``scgraph`` command."""
    try:
        app()
    except ScgraphError as e:  # a command that escaped user_errors
        _err(str(e))
        sys.exit(1)


if __name__ == "__main__":
    main()
