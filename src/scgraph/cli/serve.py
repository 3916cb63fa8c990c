"""The ``scgraph publish`` and ``scgraph serve`` commands (registered in ``cli.py``)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import typer

from ..layout import BuildFolder, StoreSpec


def publish_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="Release folder to write.")] = Path("build/release"),
    build_dir: Annotated[Path, typer.Option("--build-dir", help="Build folder to publish: its store (BUILD_DIR/store) if it has one, else its dataset.nq and analysis graph.")] = Path("build"),
    previous: Annotated[Path | None, typer.Option("--previous", help="Earlier release folder to compare with for the changelog (default: the release already in --out, if any).")] = None,
    date: Annotated[str | None, typer.Option("--date", help="Release date, YYYY-MM-DD (default: $SOURCE_DATE_EPOCH, else today in UTC).")] = None,
    version: Annotated[str | None, typer.Option("--version", help="Release version (default: the installed scgraph version).")] = None,
    shapes: Annotated[Path | None, typer.Option("--shapes", help="SHACL shapes file to publish (default: ontology/shapes.ttl).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Write a release of everything the build holds: registry data, inferences and the
    analysis graph included, as 'scgraph query' sees it.

    Dumps of the whole dataset (N-Quads, TriG, JSON-LD), of the named graphs merged (Turtle,
    N-Triples; asserted, and with the inferences) and of each named graph (graphs/*.ttl), each
    with a gzip copy, streamed from the store; ontology and shapes; VoID/DCAT-AP (void.ttl);
    SHA256SUMS; HTML docs; LICENSE.md; and CHANGELOG.md per named graph against the previous
    release. The same build, version and date give byte-identical files.
    """
    from ..publish.release import publish
    from ..store import OxigraphStore, open_query_store

    folder = BuildFolder(build_dir)
    inside = out.absolute().is_relative_to(folder.path.absolute())
    # a release inside the build folder is one of its writers: not while a build runs
    with folder.writing("publish") if inside else contextlib.nullcontext():
        # what 'scgraph query' answers from: the build's own store once it has one (registry
        # data, inferences and the analysis graph in it), else its dataset.nq and analysis graph
        spec = folder.default_store("oxigraph")
        if spec.path is None:
            release = publish(out, dataset=folder.dataset, analysis=folder.analysis_graph,
                              shapes=shapes, version=version, issued=date, previous=previous)
        else:
            st = open_query_store(spec)
            try:
                assert isinstance(st, OxigraphStore)
                release = publish(out, store=st, shapes=shapes, version=version, issued=date,
                                  previous=previous)
            finally:
                st.close()
    if not quiet:
        typer.echo(release.summary(), nl=False)


def serve_cmd(
    host: Annotated[str, typer.Option("--host", help="Address to listen on (keep 127.0.0.1 unless you mean to share it).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.", min=0, max=65535)] = 8000,
    store: Annotated[str | None, typer.Option("--store", help="Where the served graph lives: memory, oxigraph, oxigraph:PATH or sparql:URL (memory and oxigraph: an in-memory Oxigraph store per worker, loaded from BUILD_DIR/dataset.nq; sparql:URL: a SPARQL endpoint holding a 'scgraph build --store sparql:URL', served read-only, each query sent to it over scgraph's own graphs only, docs/serving.md); default oxigraph:BUILD_DIR/store if the build has one (registry data), else oxigraph.", show_default=False)] = None,
    build_dir: Annotated[Path, typer.Option("--build-dir", help="Folder with dataset.nq from 'scgraph build'.")] = Path("build"),
    dataset: Annotated[Path | None, typer.Option("--dataset", help="N-Quads or TriG file to serve instead of BUILD_DIR/dataset.nq.")] = None,
    queries: Annotated[Path | None, typer.Option("--queries", help="Folder of .rq files for the question page (default: queries/).")] = None,
    allow_update: Annotated[bool, typer.Option("--allow-update", help="Accept SPARQL updates (refused with 403 by default).")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds a query may run before it is stopped (503).", min=0.1)] = 30.0,
    max_rows: Annotated[int, typer.Option("--max-rows", help="Most result rows (or triples) returned; longer answers are cut and flagged with the X-SPARQL-Truncated header.", min=1)] = 10_000,
    max_body: Annotated[int, typer.Option("--max-body", help="Largest request (body or query string) in bytes; larger ones get 413.", min=1)] = 1_000_000,
    workers: Annotated[int, typer.Option("--workers", help="Query worker processes (queries run in parallel, one per worker).", min=1)] = 2,
    light_workers: Annotated[int, typer.Option("--light-workers", help="More workers kept for quick queries: a query that finds every worker busy runs there, and moves to wait for a main worker if it is not done within --light-timeout.", min=0)] = 1,
    light_timeout: Annotated[float, typer.Option("--light-timeout", help="Seconds a query may run on a light worker.", min=0.05)] = 1.0,
    max_bytes: Annotated[int, typer.Option("--max-bytes", help="Largest answer body in bytes; longer answers are cut at a row and flagged with X-SPARQL-Truncated and X-SPARQL-Max-Bytes.", min=1024)] = 16 * 1024 * 1024,
    header_timeout: Annotated[float, typer.Option("--header-timeout", help="Seconds a client has to send a request's line and headers (408 after).", min=0.1)] = 10.0,
    body_timeout: Annotated[float, typer.Option("--body-timeout", help="Seconds a client has to send a request's body (408 after).", min=0.1)] = 30.0,
    max_connections: Annotated[int, typer.Option("--max-connections", help="Most open connections; more are answered 503 and closed.", min=1)] = 256,
    allow_service: Annotated[list[str] | None, typer.Option("--allow-service", help="Let SERVICE call endpoints under this URL prefix (scheme, host and port must match; repeat for several). Federated queries are refused (400) by default; LOAD always is.", show_default=False)] = None,
) -> None:
    """Serve the built graph: a read-only SPARQL 1.1 endpoint at /sparql, a page per identifier
    (/id/..., /ontology, /theme/...) and a question page for analysts at /."""
    from ..errors import StoreError
    from ..server.app import ServerConfig, serve, source_from_options

    remote = store is not None and StoreSpec.parse(store).kind == "sparql"
    if remote and allow_service:
        raise StoreError("--allow-service is refused with a sparql: store: the server sends no "
                         "SERVICE call to the engine behind it")
    if not remote and store is None and dataset is None:
        from .common import default_store

        default_store(build_dir)  # says so when the build's store is older than an import
    source = source_from_options(store, build_dir, dataset, allow_update)
    config = ServerConfig(source, allow_update=allow_update, timeout=timeout, max_rows=max_rows,
                          max_body=max_body, workers=workers, queries_dir=queries,
                          allow_service=tuple(allow_service or ()), max_bytes=max_bytes,
                          light_workers=light_workers, light_timeout=light_timeout,
                          header_timeout=header_timeout, body_timeout=body_timeout,
                          max_connections=max_connections)
    serve(config, host, port, on_ready=lambda url: typer.echo(
        f"scgraph serving {url} (SPARQL endpoint: {url}sparql); press Ctrl+C to stop", err=True))
