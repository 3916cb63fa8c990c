"""A bounded load test of ``scgraph serve`` on loopback: a fixed number of clients for a fixed time.

Starts the real server (``scgraph serve`` in a subprocess on 127.0.0.1 and a free port) over a
build folder or a dataset file, runs CLIENTS threads that each send requests back to back for
SECONDS, then stops everything and prints requests, failures, requests per second and the
p50/p95/max latency. A failure is any answer that is not 200 (or a refused, reset or timed-out
request). The request mix cycles through SPARQL queries (JSON and CSV), identifier pages (HTML
and Turtle), the question page and the catalogue.

    .venv/bin/python bench/load_test.py --clients 8 --seconds 10 --build-dir build
    .venv/bin/python bench/load_test.py --url http://127.0.0.1:8000   # a server already running
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

REPO = Path(__file__).resolve().parents[1]
PREFIXES = ("PREFIX scg: <https://w3id.org/scgraph/ontology#>\n"
            "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n")

#: (method, path, headers): what each client sends, in turn
MIX: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "/sparql?" + urlencode({"query": PREFIXES + "SELECT ?c (COUNT(?s) AS ?n) WHERE { ?s a ?c } "
                                    "GROUP BY ?c ORDER BY DESC(?n) ?c LIMIT 20", "format": "json"}), {}),
    ("GET", "/sparql?" + urlencode({"query": PREFIXES + "SELECT ?s ?l WHERE { ?s rdfs:label ?l } "
                                    "ORDER BY ?s LIMIT 100", "format": "csv"}), {}),
    ("GET", "/sparql?" + urlencode({"query": "ASK { ?s ?p ?o }"}), {"Accept": "application/sparql-results+json"}),
    ("GET", "/queries.json", {}),
    ("GET", "/", {}),
]


@dataclass
class Result:
    clients: int
    seconds: float
    requests: int
    failures: int
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    max_ms: float
    failure_examples: list[str]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(build_dir: Path | None, dataset: Path | None, workers: int, queries: Path | None = None) -> Iterator[str]:
    """``scgraph serve`` in a subprocess; yields its URL once it answers, stops it after."""
    port = _free_port()
    cmd = [str(Path(sys.executable).parent / "scgraph"), "serve", "--port", str(port), "--workers", str(workers)]
    if build_dir is not None:
        cmd += ["--build-dir", str(build_dir)]
    if dataset is not None:
        cmd += ["--dataset", str(dataset)]
    if queries is not None:
        cmd += ["--queries", str(queries)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"scgraph serve stopped: {proc.stderr.read() if proc.stderr else ''}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/queries.json")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("scgraph serve did not answer within 120 s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def resource_paths(url: str, n: int = 20) -> list[str]:
    """Paths of a few identifier pages of the served graph (the first ``n`` scgraph subjects)."""
    q = ("SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(STRSTARTS(STR(?s), \"https://w3id.org/scgraph/id/\")) } "
         f"ORDER BY ?s LIMIT {n}")
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request("GET", "/sparql?" + urlencode({"query": q, "format": "json"}))
    doc = json.loads(conn.getresponse().read())
    conn.close()
    return ["/" + b["s"]["value"].removeprefix("https://w3id.org/scgraph/")
            for b in doc["results"]["bindings"]]


def run_load(url: str, clients: int = 8, seconds: float = 10.0, timeout: float = 30.0) -> Result:
    """``clients`` threads send the request mix for ``seconds``; latencies of every request."""
    parts = urlsplit(url)
    mix = list(MIX)
    for path in resource_paths(url)[:10]:
        mix.append(("GET", path, {"Accept": "text/html"}))
        mix.append(("GET", path, {"Accept": "text/turtle"}))
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(k: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        i = k
        mine: list[float] = []
        bad: list[str] = []
        while time.monotonic() < stop_at:
            method, path, headers = mix[i % len(mix)]
            i += 1
            started = time.perf_counter()
            try:
                conn.request(method, path, headers=headers)
                resp = conn.getresponse()
                resp.read()
                if resp.status != 200:
                    bad.append(f"{resp.status} {method} {path[:80]}")
            except (OSError, http.client.HTTPException) as e:
                bad.append(f"{type(e).__name__} {method} {path[:80]}")
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
            mine.append(time.perf_counter() - started)
        conn.close()
        with lock:
            latencies.extend(mine)
            failures.extend(bad)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + timeout + 10)
    elapsed = time.monotonic() - started
    ms = sorted(x * 1000 for x in latencies)
    quantiles = statistics.quantiles(ms, n=100) if len(ms) >= 2 else ms * 99 or [0.0] * 99
    return Result(clients=clients, seconds=round(elapsed, 2), requests=len(ms), failures=len(failures),
                  requests_per_second=round(len(ms) / elapsed, 1) if elapsed else 0.0,
                  p50_ms=round(quantiles[49], 1), p95_ms=round(quantiles[94], 1),
                  max_ms=round(ms[-1], 1) if ms else 0.0, failure_examples=sorted(set(failures))[:10])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2, help="query worker processes of the server")
    ap.add_argument("--build-dir", type=Path, default=None, help="build folder to serve (default: build)")
    ap.add_argument("--dataset", type=Path, default=None, help="N-Quads or TriG file to serve instead")
    ap.add_argument("--queries", type=Path, default=None, help="folder of .rq files for the question page")
    ap.add_argument("--url", default=None, help="load a server already running here instead")
    ap.add_argument("--json", type=Path, default=None, help="also write the result as JSON to this file")
    args = ap.parse_args(argv)
    if args.url:
        result = run_load(args.url, args.clients, args.seconds)
    else:
        build = args.build_dir if args.build_dir or args.dataset else REPO / "build"
        with serve(build, args.dataset, args.workers, args.queries) as url:
            result = run_load(url, args.clients, args.seconds)
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    print(f"{result.requests} requests from {result.clients} clients in {result.seconds} s "
          f"({result.requests_per_second}/s), {result.failures} failed; latency p50 {result.p50_ms} ms, "
          f"p95 {result.p95_ms} ms, max {result.max_ms} ms ({machine})")
    for f in result.failure_examples:
        print(f"  failed: {f}")
    if args.json:
        from scgraph.files import write_atomic

        write_atomic(args.json, json.dumps({**asdict(result), "machine": machine}, indent=2) + "\n")
    return 1 if result.failures else 0


if __name__ == "__main__":
    sys.exit(main())
