"""Start the scgraph server in-process (uvicorn in a thread) on 127.0.0.1 and an ephemeral port."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from scgraph.server.app import ServerConfig, create_app
from scgraph.server.workers import Source

SERVER_DATA = Path(__file__).parent / "data" / "server"
DATASET = SERVER_DATA / "dataset.trig"
QUERIES = SERVER_DATA / "queries"


@dataclass
class Running:
    url: str  # http://127.0.0.1:PORT
    app: object

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"


@contextlib.contextmanager
def running_server(dataset: Path = DATASET, **options: object) -> Iterator[Running]:
    """The server over ``dataset`` (tests/data/server/dataset.trig) with ``options`` for
    ServerConfig."""
    settings: dict[str, object] = {"timeout": 10.0, "max_rows": 1000, "max_body": 20_000,
                                   "workers": 2, "queries_dir": QUERIES}
    settings.update(options)
    config = ServerConfig(Source(dataset=dataset), **settings)  # type: ignore[arg-type]
    app = create_app(config)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield Running(f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        thread.join(15)
        app.state.pool.close()  # type: ignore[attr-defined]


#: Debian's Chromium, driven by Playwright (never 'playwright install'), for the page tests.
CHROMIUM = os.environ.get("SCGRAPH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def playwright_or_skip():
    """Playwright's sync API, or the calling test module skipped, saying why."""
    import shutil

    import pytest

    api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium package (scripts/test.sh does "
                    "this when run as root) or set SCGRAPH_CHROMIUM", allow_module_level=True)
    return api
