"""A bounded load test of ``scgraph serve`` on loopback: a fixed number of clients for a fixed time.

Starts the real server (``scgraph serve`` in a subprocess on 127.0.0.1 and a free port) over a
build folder or a dataset file, runs CLIENTS threads that each send requests back to back for
SECONDS, then stops everything and prints requests, failures, requests per second and the
p50/p95/max latency. A failure is any answer that is not 200 (or a refused, reset or timed-out
request). The request mix cycles through SPARQL queries (JSON and CSV), identifier pages (HTML
and Turtle), the question page and the catalogue.

    .venv/bin/python bench/load_test.py --clients 8 --seconds 10 --build-dir build
    .venv/bin/python bench/load_test.py --url http://127.0.0.1:8000   # a server already running

``--starvation`` measures instead how long a light query (``ASK {}``) waits while the server is
under the two attacks of issue 14: HEAVY queries that hold every main worker, and HALF_OPEN
slow connections that send a request head one byte at a time (slowloris), each alone and both
at once:

    .venv/bin/python bench/load_test.py --starvation --heavy 2 --half-open 50 --dataset tests/data/server/dataset.trig
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
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
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
def serve(build_dir: Path | None, dataset: Path | None, workers: int, queries: Path | None = None,
          options: list[str] | None = None, log: Path | None = None, start_s: float = 120) -> Iterator[str]:
    """``scgraph serve`` in a subprocess; yields its URL once it answers (within ``start_s``
    seconds), stops it after. ``log``: a file for its output (else it is read on failure)."""
    port = _free_port()
    cmd = [str(Path(sys.executable).parent / "scgraph"), "serve", "--port", str(port), "--workers", str(workers),
           *(options or [])]
    if build_dir is not None:
        cmd += ["--build-dir", str(build_dir)]
    if dataset is not None:
        cmd += ["--dataset", str(dataset)]
    if queries is not None:
        cmd += ["--queries", str(queries)]
    with (log.open("ab") if log is not None else nullcontext()) as out:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, text=True,
                                stderr=out if out is not None else subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"scgraph serve stopped: {proc.stderr.read() if proc.stderr else log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/queries.json")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"scgraph serve did not answer within {start_s:g} s")
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


#: A query that runs for many seconds on any graph with a few dozen triples (a 6-way cross join).
HEAVY = ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o . "
         "?q ?r ?t }")


def _probe(parts: Any, timeout: float = 30.0) -> tuple[float, int]:
    """Seconds and status of one ``ASK {}`` on a new connection."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("GET", "/sparql?" + urlencode({"query": "ASK {}"}))
        resp = conn.getresponse()
        resp.read()
        status = resp.status
    except (OSError, http.client.HTTPException):
        status = 0
    finally:
        conn.close()
    return time.perf_counter() - started, status


def run_starvation(url: str, heavy: int = 2, half_open: int = 50, probes: int = 10) -> dict[str, Any]:
    """Latency of a light query (``ASK {}``, ``probes`` times) alone, while ``heavy`` heavy
    queries run, while ``half_open`` slow connections trickle their headers, and with both."""
    parts = urlsplit(url)
    out: dict[str, Any] = {}
    stop = threading.Event()

    def heavy_client() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        try:
            conn.request("GET", "/sparql?" + urlencode({"query": HEAVY}))
            conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            pass
        conn.close()

    def slow_client(sock: socket.socket) -> None:
        head = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 10_000
        for b in head:
            if stop.wait(0.5):
                break
            try:
                sock.send(bytes([b]))
            except OSError:
                break  # the server cut it: what the header deadline is for
        sock.close()

    def measure(label: str) -> None:
        times, statuses = [], []
        for _ in range(probes):
            t, status = _probe(parts)
            times.append(t * 1000)
            statuses.append(status)
            time.sleep(0.05)
        out[label] = {"p50_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1),
                      "statuses": sorted(set(statuses))}

    def with_heavy() -> list[threading.Thread]:
        threads = [threading.Thread(target=heavy_client, daemon=True) for _ in range(heavy)]
        for t in threads:
            t.start()
        time.sleep(0.5)  # let them take the main workers
        return threads

    def with_half_open() -> list[socket.socket]:
        socks = []
        for _ in range(half_open):
            s = socket.create_connection((parts.hostname, parts.port), timeout=5)
            socks.append(s)
            threading.Thread(target=slow_client, args=(s,), daemon=True).start()
        time.sleep(0.5)
        return socks

    measure("alone")
    threads = with_heavy()
    measure(f"{heavy} heavy queries")
    for t in threads:
        t.join(120)
    socks = with_half_open()
    measure(f"{half_open} half-open connections")
    threads = with_heavy()
    measure(f"{heavy} heavy + {half_open} half-open")
    stop.set()
    for t in threads:
        t.join(120)
    for s in socks:
        s.close()
    return out


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
    ap.add_argument("--starvation", action="store_true", help="measure a light query under heavy queries and slow connections instead")
    ap.add_argument("--heavy", type=int, default=2, help="--starvation: heavy queries at once")
    ap.add_argument("--half-open", type=int, default=50, help="--starvation: slow half-open connections")
    ap.add_argument("--timeout", type=float, default=5.0, help="--starvation: the server's --timeout")
    ap.add_argument("--light-workers", type=int, default=1, help="--starvation: the server's --light-workers (0: no light lane)")
    args = ap.parse_args(argv)
    if args.starvation:
        build = args.build_dir if args.build_dir or args.dataset else REPO / "build"
        with serve(build, args.dataset, args.workers, args.queries,
                   ["--timeout", str(args.timeout), "--header-timeout", "10",
                    "--light-workers", str(args.light_workers)]) as url:
            found = run_starvation(url, args.heavy, args.half_open)
        machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, load {os.getloadavg()[0]:.2f}"
        for label, r in found.items():
            print(f"ASK {{}} {label}: p50 {r['p50_ms']} ms, max {r['max_ms']} ms, statuses {r['statuses']}")
        print(machine)
        return 0 if all(r["max_ms"] < 1000 and r["statuses"] == [200] for r in found.values()) else 1
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
