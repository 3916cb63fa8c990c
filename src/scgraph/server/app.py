"""Serve: a SPARQL 1.1 endpoint, dereferenceable identifiers and a browser page for analysts.

The web side is a Starlette application (run by uvicorn); queries run in a pool of worker
processes (:mod:`.workers`), each holding its own Oxigraph store, so that a slow query never
blocks the others and a runaway one is stopped by ending its process. Result formats are in
:mod:`.formats`, identifier pages in :mod:`.pages`. See docs/serving.md for the URL layout,
formats and limits.
"""

from __future__ import annotations

import contextlib
import html
import os
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pyoxigraph as ox

from ..layout import BuildFolder, StoreSpec, check_store, lost_store
from ..inputs import require_regular_file
from ..errors import ScgraphError, ServerError, SourceError, StoreError
from .formats import FORMAT_ALIASES, MAX_BYTES_HEADER, MAX_ROWS_HEADER, TRUNCATED_HEADER, negotiate
from .pages import _LABEL_PREDICATES, _NT_IRI, _RESOURCE_FORMATS, _nt_iri, _sparql_string, page_html, resource_html, resource_rdf
from .workers import Answer, Cell, PoolBusy, QueryTimeout, RemoteFailure, Source, WorkerPool

WEB_DIR = Path(__file__).resolve().parent / "web"


# =========================================================================== configuration


@dataclass
class ServerConfig:
    """Options of ``scgraph serve``."""

    source: Source
    allow_update: bool = False
    timeout: float = 30.0
    max_rows: int = 10_000
    max_body: int = 1_000_000
    workers: int = 2
    queries_dir: Path | None = None
    allow_service: tuple[str, ...] = ()  # URL prefixes SERVICE may call; none: federation off
    max_bytes: int = 16 * 1024 * 1024  # largest answer body; longer answers are cut at a row
    light_workers: int = 1  # workers of the light lane (see workers.WorkerPool)
    light_timeout: float = 1.0  # seconds a query may run on the light lane
    header_timeout: float = 10.0  # seconds for a request's line and headers
    body_timeout: float = 30.0  # seconds for a request's body
    max_connections: int = 256  # open connections; more are answered 503 and closed


def _holds_quads(path: Path) -> bool:
    """Whether the Oxigraph folder ``path`` holds a quad, read without opening it for writing
    (a build's store may be read by others; one quad is enough; a count would read every quad)."""
    if not (path.is_dir() and any(path.iterdir())):
        return False
    st = ox.Store.read_only(str(path))
    try:
        return next(iter(st.quads_for_pattern(None, None, None)), None) is not None
    finally:
        del st


#: The generations this server reads, held (readers' lock) for its lifetime, by folder.
_HOLDS: dict[Path, Any] = {}


def _is_build_store(path: Path, folder: BuildFolder) -> bool:
    """Whether ``path`` is the build's own store: ``BUILD/store`` or one of its generations."""
    own = folder.store
    if path.absolute() == own.absolute():
        return True
    real = Path(os.path.realpath(path))
    return (real == Path(os.path.realpath(own)) or
            (real.parent == Path(os.path.realpath(folder.path)) and real.name.startswith(".store.gen-")))


def _hold(path: Path) -> Path:
    """The folder ``path`` names now (a link resolved once), held so that no writer prunes it
    while this server reads it; every worker, replacements too, opens that folder."""
    from ..files import hold_generation

    hold = hold_generation(path)
    _HOLDS.setdefault(hold.folder, hold)
    return Path(hold.folder)


def _pin_file(path: Path) -> Path:
    """``path`` with its links resolved; a file in a generation folder (``.NAME.gen-*``) has
    that folder held like a store's (see :func:`_hold`)."""
    real = Path(os.path.realpath(path))
    if real == Path(os.path.realpath(path.parent)) / path.name:
        return path  # no link to a file: as given
    if ".gen-" in real.parent.name and real.parent.name.startswith("."):
        _hold(real.parent)
    return real


def source_from_options(store: str | None, build_dir: Path, dataset: Path | None = None,
                        allow_update: bool = False) -> Source:
    """The data source for a store spec (``memory``, ``oxigraph``, ``oxigraph:PATH`` or
    ``sparql:URL``; None: the build's own store ``BUILD_DIR/store`` when it has one and no
    ``dataset`` is given, else ``oxigraph``).

    ``memory`` and ``oxigraph`` load ``dataset`` (default ``build_dir/dataset.nq``) into an
    in-memory Oxigraph store per worker; ``oxigraph:PATH`` serves an Oxigraph folder, loading
    the dataset into it first when it is empty; ``sparql:URL`` serves what a SPARQL endpoint
    holds of scgraph's graphs, read-only (checked to answer and to hold them).
    """
    if store and StoreSpec.parse(store).kind == "sparql":
        from .remote import check_endpoint

        if allow_update:
            raise ServerError("--allow-update is refused with a sparql: store: the server in front "
                              "of a SPARQL endpoint is read-only; update the endpoint itself "
                              "('scgraph build/import --store sparql:URL')")
        if dataset is not None:
            raise ServerError("--dataset cannot be served with a sparql: store: the endpoint holds "
                              "the data; leave out one of --dataset and --store")
        url = StoreSpec.parse(store).arg
        check_endpoint(url)
        return Source(endpoint=url)
    folder = BuildFolder.of(build_dir)
    data = dataset if dataset is not None else folder.dataset
    spec = (StoreSpec.parse(store) if store
            else StoreSpec("oxigraph") if dataset is not None else folder.default_store("oxigraph"))
    if spec.kind in ("memory", "oxigraph") and spec.path is None:
        if data.exists() and not data.is_file():
            try:
                require_regular_file(data)  # a FIFO or a device: named, never read
            except SourceError as e:
                raise ServerError(e.message, path=data) from None
        if not data.is_file():
            raise ServerError("no such file; run 'scgraph build' first or give --dataset", path=data)
        analysis = folder.analysis_graph  # the results of 'scgraph analyse', beside the data
        extra = (analysis,) if dataset is None and analysis.is_file() else ()
        # links into generations (build/dataset.nq -> .outputs/current/...) resolved once, so
        # that a worker started after a rebuild loads the same files as the others
        return Source(dataset=_pin_file(data), extra=tuple(_pin_file(p) for p in extra))
    if spec.path is not None:
        path = spec.path
        if lost_store(path):
            check_store(path)  # a link to a generation that is gone: one line, never an empty store
        if allow_update and _is_build_store(path, folder):
            raise ServerError(
                "--allow-update is refused on the build's own store: the next 'scgraph build' "
                "replaces that store, and every update made here would vanish; serve a copy "
                "(--store oxigraph:COPY) or the dataset in memory (--dataset FILE) instead",
                path=path)
        try:
            if not _holds_quads(path):
                if not data.is_file():
                    raise ServerError("the store is empty and there is no dataset to load; run "
                                      "'scgraph build' first", path=data)
                st = ox.Store(str(path))
                fmt = ox.RdfFormat.from_extension(data.suffix.lstrip(".")) or ox.RdfFormat.N_QUADS
                st.bulk_load(path=str(data), format=fmt)
                st.flush()
                del st
        except OSError as e:
            raise StoreError(f"cannot open the Oxigraph store: {e}", path=path) from None
        return Source(store_path=path, writable=allow_update,
                      generation=None if allow_update else _hold(path))
    raise ServerError(f"--store {str(spec)!r} cannot be served; use memory, oxigraph or oxigraph:PATH")


# =========================================================================== the application


def create_app(config: ServerConfig, pool: WorkerPool | None = None) -> Any:
    """The Starlette application; it starts its worker pool unless one is given."""
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    from ..namespaces import PREFIXES

    prefixes = {p: str(ns) for p, ns in PREFIXES.items()}
    if config.source.endpoint is not None and (config.allow_update or config.allow_service):
        raise ServerError("--allow-update and --allow-service are refused with a sparql: store: "
                          "the server in front of a SPARQL endpoint is read-only and sends no "
                          "SERVICE call to the engine")
    if config.allow_update and config.source.store_path is not None:
        config.workers, config.light_workers = 1, 0  # one writer for an on-disk store
    pool = pool or WorkerPool(config.source, config.workers, prefixes, light=config.light_workers,
                              light_timeout=config.light_timeout)
    handlers = Handlers(config, pool)
    routes = [
        Route("/sparql", handlers.sparql, methods=["GET", "POST"]),
        Route("/", handlers.index, methods=["GET"]),
        Route("/queries.json", handlers.catalogue, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=WEB_DIR, follow_symlink=False), name="static"),
        Route("/{path:path}", handlers.resource, methods=["GET"]),
    ]
    middleware = [Middleware(
        CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["*"], expose_headers=[TRUNCATED_HEADER, MAX_ROWS_HEADER, MAX_BYTES_HEADER, "Content-Type"],
        max_age=86400)]
    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        yield
        pool.close()

    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.pool = pool
    app.state.config = config
    return app


def serve(config: ServerConfig, host: str = "127.0.0.1", port: int = 8000,
          on_ready: Callable[[str], None] | None = None) -> None:
    """Start the workers and run the server until interrupted."""
    import uvicorn

    app = create_app(config)
    if on_ready is not None:
        on_ready(f"http://{host}:{port}/")
    uvicorn.Server(uvicorn_config(app, config, host, port)).run()


def uvicorn_config(app: Any, config: ServerConfig, host: str, port: int, **options: Any) -> Any:
    """uvicorn's configuration for ``app``: the guarded protocol of :mod:`.http` with the
    header deadline, connection cap and URL limit of ``config``."""
    from .http import uvicorn_config as make

    return make(app, host, port, header_timeout=config.header_timeout,
                max_connections=config.max_connections, max_line=config.max_body + 8192, **options)


def form_fields(body: bytes) -> dict[str, list[str]]:
    """The fields of an ``application/x-www-form-urlencoded`` body."""
    return parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def is_update_text(sparql: str) -> bool:
    """Whether ``sparql`` reads as a SPARQL Update (for a clearer error when sent as a query)."""
    from ..sparql_guard import first_keyword

    return first_keyword(sparql) in {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY",
                                     "MOVE", "ADD", "WITH"}


def _servable(iri: str) -> bool:
    from .remote import servable_graph

    return servable_graph(iri)


class _SlowBody(Exception):
    """A request body that did not arrive in time."""


class Handlers:
    """The endpoint's request handlers (Starlette endpoints) over one worker pool."""

    def __init__(self, config: ServerConfig, pool: WorkerPool) -> None:
        self.config = config
        self.pool = pool
        self._graphs: list[str] | None = None

    # ------------------------------------------------------------------ helpers

    async def _call(self, kind: str, payload: Any) -> Any:
        import anyio

        return await anyio.to_thread.run_sync(self.pool.request, kind, payload, self.config.timeout)

    def _text(self, status: int, message: str, headers: dict[str, str] | None = None) -> Any:
        from starlette.responses import PlainTextResponse

        return PlainTextResponse(" ".join(message.split()) + "\n", status_code=status, headers=headers)

    async def _body(self, request: Any) -> bytes | None:
        """The request body, or None when it is larger than ``max_body``; :class:`_SlowBody`
        when it did not arrive within ``body_timeout`` seconds."""
        import anyio

        limit = self.config.max_body
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            return None
        chunks, size = [], 0
        with anyio.move_on_after(self.config.body_timeout) as scope:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    return None
                chunks.append(chunk)
        if scope.cancelled_caught:
            raise _SlowBody()
        return b"".join(chunks)

    def _refused(self, text: str, what: str) -> Any:
        """A 400 answer when :func:`scgraph.sparql_guard.check` refuses ``text`` (federation off
        the allow-list, LOAD, nesting too deep to parse safely), checked before any worker
        parses it; else None."""
        from ..sparql_guard import check

        try:
            check(text, allow_service=self.config.allow_service, allow_load=False, what=what)
        except ScgraphError as e:
            return self._text(400, str(e))
        return None

    def _too_large(self) -> Any:
        return self._text(413, f"the request is larger than the limit of {self.config.max_body} bytes")

    # ------------------------------------------------------------------ /sparql

    async def sparql(self, request: Any) -> Any:
        """SPARQL 1.1 Protocol: query by GET or POST, update by POST, service description by GET."""
        params: dict[str, list[str]] = {}
        for key, value in request.query_params.multi_items():
            params.setdefault(key, []).append(value)
        if len(str(request.url.query)) > self.config.max_body:
            return self._too_large()
        direct: tuple[str, str] | None = None
        if request.method == "POST":
            try:
                body = await self._body(request)
            except _SlowBody:
                return self._text(408, f"the request body did not arrive within "
                                       f"{self.config.body_timeout:g} s", headers={"Connection": "close"})
            if body is None:
                return self._too_large()
            ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype == "application/x-www-form-urlencoded":
                for key, values in form_fields(body).items():
                    params.setdefault(key, []).extend(values)
            elif ctype in ("application/sparql-query", "application/sparql-update"):
                try:
                    text = body.decode("utf-8")
                except UnicodeDecodeError:
                    return self._text(400, "the request body is not UTF-8")
                direct = ("query" if ctype.endswith("query") else "update", text)
            else:
                return self._text(415, f"unsupported content type {ctype!r}; send "
                                       "application/x-www-form-urlencoded, application/sparql-query "
                                       "or application/sparql-update")
        queries = params.get("query", []) + ([direct[1]] if direct and direct[0] == "query" else [])
        updates = params.get("update", []) + ([direct[1]] if direct and direct[0] == "update" else [])
        if len(queries) + len(updates) > 1:
            return self._text(400, "give exactly one query or one update per request")
        if updates:
            return await self._update(request, updates[0], params)
        if not queries:
            if request.method == "POST":  # a form POST must hold a query or an update
                return self._text(400, "the request holds neither a 'query' nor an 'update'")
            return self._service_description(request)
        query = queries[0]
        if is_update_text(query):
            if not self.config.allow_update:
                return self._text(403, "this endpoint is read-only: SPARQL updates are refused")
            return self._text(400, "this is a SPARQL update; send it in the 'update' parameter or as "
                                   "application/sparql-update")
        refused = self._refused(query, "query")
        if refused is not None:
            return refused
        for key in ("default-graph-uri", "named-graph-uri"):
            for value in params.get(key, []):
                try:
                    ox.NamedNode(value)
                except ValueError:
                    return self._text(400, f"{key} {value[:200]!r} is not an absolute IRI")
                if self.config.source.endpoint is not None and not _servable(value):
                    return self._text(400, f"{key} {value[:200]!r} is not one of scgraph's graphs "
                                           "(IRIs under https://w3id.org/scgraph/graph/); this "
                                           "endpoint serves those only")
        fmt = (params.get("format") or params.get("output") or [None])[0]
        payload = (query, request.headers.get("accept"), fmt, self.config.max_rows,
                   params.get("default-graph-uri") or None, params.get("named-graph-uri") or None,
                   self.config.max_bytes, self._base(request))
        try:
            answer: Answer = await self._call("query", payload)
        except QueryTimeout:
            return self._text(503, f"the query ran past the time limit of {self.config.timeout:g} s "
                                   "and was stopped")
        except PoolBusy:
            return self._text(503, f"every query worker stayed busy for {self.config.timeout:g} s; "
                                   "try again later")
        return self._answer(answer)

    def _answer(self, answer: Answer) -> Any:
        from starlette.responses import Response

        headers = {"Vary": "Accept", **answer.headers}
        if answer.truncated:
            headers[TRUNCATED_HEADER] = "true"
            headers[MAX_ROWS_HEADER] = str(self.config.max_rows)
        return Response(answer.body, status_code=answer.status, headers=headers, media_type=answer.media_type)

    def _base(self, request: Any) -> str:
        """The base IRI of relative IRIs in queries and updates: the endpoint's URL."""
        return str(request.url.replace(query="", fragment=""))

    async def _update(self, request: Any, update: str, params: dict[str, list[str]]) -> Any:
        import anyio

        from .update import operations

        if not self.config.allow_update:
            if self.config.source.endpoint is not None:
                return self._text(403, "this endpoint is read-only: SPARQL updates are refused "
                                       "(it serves a SPARQL engine's data, which scgraph build, "
                                       "import and analyse update)")
            return self._text(403, "this endpoint is read-only: SPARQL updates are refused "
                                   "(start 'scgraph serve --allow-update' to accept them)")
        if request.method != "POST":
            return self._text(405, "send SPARQL updates with POST", headers={"Allow": "POST"})
        refused = self._refused(update, "update")
        if refused is not None:
            return refused
        using, named = params.get("using-graph-uri", []), params.get("using-named-graph-uri", [])
        for key, values in (("using-graph-uri", using), ("using-named-graph-uri", named)):
            for value in values:
                try:
                    ox.NamedNode(value)
                except ValueError:
                    return self._text(400, f"{key} {value[:200]!r} is not an absolute IRI")
        if (using or named) and any(op.dataset for op in operations(update)):
            return self._text(400, "the update names its dataset with USING or WITH and the request "
                                   "with using-graph-uri or using-named-graph-uri; give only one")
        payload = (update, self._base(request), using, named)
        try:
            answer = await anyio.to_thread.run_sync(self.pool.update, payload, self.config.timeout)
        except PoolBusy:
            return self._text(503, "the query workers stayed busy; try the update again later")
        self._graphs = None
        return self._answer(answer)

    def _service_description(self, request: Any) -> Any:
        from starlette.responses import RedirectResponse, Response

        key = negotiate(request.headers.get("accept"),
                        {"turtle": "text/turtle", "jsonld": "application/ld+json",
                         "ntriples": "application/n-triples", "html": "text/html"})
        if key == "html":
            return RedirectResponse("/", status_code=303)
        key = key or "turtle"
        endpoint = str(request.url.replace(query=""))
        sd = "http://www.w3.org/ns/sparql-service-description#"
        formats = "http://www.w3.org/ns/formats/"
        lines = [
            f"@prefix sd: <{sd}> .", f"@prefix formats: <{formats}> .", "",
            f"<{endpoint}> a sd:Service ;",
            f"    sd:endpoint <{endpoint}> ;",
            "    sd:supportedLanguage sd:SPARQL11Query" + (", sd:SPARQL11Update" if self.config.allow_update else "") + " ;",
            "    sd:feature sd:UnionDefaultGraph" + (", sd:BasicFederatedQuery" if self.config.allow_service else "") + " ;",
            "    sd:resultFormat formats:SPARQL_Results_JSON, formats:SPARQL_Results_XML, "
            "formats:SPARQL_Results_CSV, formats:SPARQL_Results_TSV, formats:Turtle, "
            "formats:N-Triples, formats:JSON-LD, formats:RDF_XML ;",
            "    sd:defaultDataset [ a sd:Dataset ; sd:defaultGraph [ a sd:Graph ] ] .",
        ]
        data = ("\n".join(lines) + "\n").encode()
        if key != "turtle":
            media = {"jsonld": ox.RdfFormat.JSON_LD, "ntriples": ox.RdfFormat.N_TRIPLES}[key]
            data = ox.serialize(ox.parse(data, format=ox.RdfFormat.TURTLE), format=media) or b""
        return Response(data, media_type=_RESOURCE_FORMATS[key], headers={"Vary": "Accept"})

    # ------------------------------------------------------------------ the browser page

    async def index(self, request: Any) -> Any:
        from starlette.responses import FileResponse

        return FileResponse(WEB_DIR / "index.html", media_type="text/html")

    async def catalogue(self, request: Any) -> Any:
        from starlette.responses import JSONResponse

        from ..catalogue import load_catalogue
        from ..namespaces import PREFIXES

        try:
            cat = load_catalogue(self.config.queries_dir)
        except ScgraphError as e:
            return self._text(500, f"cannot read the query catalogue: {e}")
        return JSONResponse({
            "prefixes": {p: str(ns) for p, ns in PREFIXES.items()},
            "queries": [
                {"name": q.name, "title": q.title, "description": q.description,
                 "params": [{"name": p.name, "type": p.type, "optional": p.optional} for p in q.params],
                 "sparql": q.sparql}
                for q in cat.values()]})

    # ------------------------------------------------------------------ identifier pages

    async def resource(self, request: Any) -> Any:
        """Dereference ``https://w3id.org/scgraph/<path>``: HTML, Turtle, JSON-LD or N-Triples."""
        from ..namespaces import BASE

        path = request.path_params["path"]
        fmt = request.query_params.get("format")
        if fmt:
            key = FORMAT_ALIASES.get(fmt.lower(), fmt.lower())
            key = "jsonld" if key == "json" else key
            if key not in _RESOURCE_FORMATS:
                return self._text(406, f"format {fmt!r} is not available; use one of {', '.join(_RESOURCE_FORMATS)}")
        else:
            key = negotiate(request.headers.get("accept"), _RESOURCE_FORMATS,
                            {"application/json": "jsonld", "text/plain": "ntriples"})
            if key is None:
                return self._text(406, "identifier pages come as " + ", ".join(_RESOURCE_FORMATS.values()))
        iri = BASE + path
        try:
            subject = _nt_iri(iri)
        except ValueError:
            return self._not_found(key, iri)
        hash_children = "/" not in path.strip("/")  # /ontology, /shapes: documents of hash terms
        # Virtuoso sorts at most 10,000 rows for an ORDER BY with LIMIT (MaxSortedTopRows)
        limit = 10_000 if self.config.source.endpoint is not None else 20_000
        out_query = (f"SELECT ?s ?p ?o ?g WHERE {{ {{ GRAPH ?g {{ {subject} ?p ?o }} BIND({subject} AS ?s) }}"
                     + (f" UNION {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?s), {_sparql_string(iri + '#')})) }}"
                        if hash_children else "")
                     + f"}} ORDER BY ?s ?p ?o ?g LIMIT {limit}")
        in_query = f"SELECT ?s ?p ?g WHERE {{ GRAPH ?g {{ ?s ?p {subject} }} }} ORDER BY ?s ?p ?g LIMIT 2000"
        try:
            out_rows = await self._call("select", out_query)
            in_rows = await self._call("select", in_query)
        except (QueryTimeout, PoolBusy):
            return self._text(503, "the server is busy; try again later")
        for rows in (out_rows, in_rows):
            if isinstance(rows, RemoteFailure):
                return self._text(502, f"the SPARQL engine behind this server did not answer: {rows.message}")
        if not out_rows and not in_rows:
            return self._not_found(key, iri)
        if key == "html":
            labels = await self._labels(out_rows, in_rows)
            amounts = await self._amounts(out_rows)
            page = resource_html(iri, out_rows, in_rows, labels, amounts=amounts, questions=self._questions())
            return self._resource_response(page.encode("utf-8"), "text/html; charset=utf-8")
        data = resource_rdf(iri, out_rows, in_rows, key)
        media = _RESOURCE_FORMATS[key] + ("; charset=utf-8" if key != "jsonld" else "")
        return self._resource_response(data, media)

    def _resource_response(self, data: bytes, media: str) -> Any:
        from starlette.responses import Response

        return Response(data, media_type=media, headers={"Vary": "Accept"})

    def _not_found(self, key: str, iri: str) -> Any:
        from starlette.responses import HTMLResponse

        if key == "html":
            return HTMLResponse(page_html("Not found", f"<h1>Not found</h1><p>The graph says nothing about "
                                          f"<code>{html.escape(iri)}</code>.</p>"), status_code=404)
        return self._text(404, f"the graph says nothing about <{iri}>")

    async def _labels(self, out_rows: list[list[Cell]], in_rows: list[list[Cell]]) -> dict[str, str]:
        iris = sorted({c[1] for row in out_rows + in_rows for c in row if c is not None and c[0] == "uri"})
        if not iris:
            return {}
        labels: dict[str, tuple[int, str]] = {}
        for start in range(0, len(iris), 400):
            chunk = [_nt_iri(i) for i in iris[start:start + 400] if _NT_IRI.match(i)]
            preds = " ".join(f"<{p}>" for p in _LABEL_PREDICATES)
            q = (f"SELECT ?x ?p ?l WHERE {{ VALUES ?x {{ {' '.join(chunk)} }} VALUES ?p {{ {preds} }} "
                 "?x ?p ?l FILTER(isLiteral(?l)) }")
            try:
                rows = await self._call("select", q)
            except (QueryTimeout, PoolBusy):
                return {}
            if isinstance(rows, RemoteFailure):
                return {}
            for x, p, lit in rows:
                if x is None or p is None or lit is None:
                    continue
                rank = _LABEL_PREDICATES.index(p[1]) * 2 + (0 if lit[2] in ("en", "") else 1)
                best = labels.get(x[1])
                if best is None or (rank, lit[1]) < best:
                    labels[x[1]] = (rank, lit[1])
        return {k: v[1] for k, v in labels.items()}

    async def _amounts(self, out_rows: list[list[Cell]]) -> dict[str, tuple[str, str]]:
        """Value and currency of the amounts (``scg:value``, ``scg:currency``) among the values
        of ``out_rows``, for identifier pages to show them as amounts."""
        from ..namespaces import SCG

        iris = sorted({row[2][1] for row in out_rows if row[2] is not None and row[2][0] == "uri"
                       and _NT_IRI.match(row[2][1])})[:400]
        if not iris:
            return {}
        q = (f"SELECT ?x (SAMPLE(?v) AS ?value) (SAMPLE(?c) AS ?currency) WHERE {{ "
             f"VALUES ?x {{ {' '.join(_nt_iri(i) for i in iris)} }} "
             f"?x <{SCG.value}> ?v . OPTIONAL {{ ?x <{SCG.currency}> ?c }} }} GROUP BY ?x")
        try:
            rows = await self._call("select", q)
        except (QueryTimeout, PoolBusy):
            return {}
        if isinstance(rows, RemoteFailure):
            return {}
        return {x[1]: (v[1], c[1] if c is not None else "") for x, v, c in rows if x is not None and v is not None}

    def _questions(self) -> list[dict[str, Any]]:
        """The catalogue's questions (name, title, params) for links from identifier pages."""
        from ..catalogue import load_catalogue

        try:
            cat = load_catalogue(self.config.queries_dir)
        except ScgraphError:
            return []
        return [{"name": q.name, "title": q.title,
                 "params": [{"name": p.name, "type": p.type} for p in q.params]} for q in cat.values()]
