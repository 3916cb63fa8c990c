"""``scgraph serve`` in front of each engine, on the data of an engines run (issue 16).

    python bench/serve_engines.py --keep DIR --json FILE [--limit 120] [--out docs/performance.md]

``DIR`` and ``FILE`` are the work folder and the raw results of ``bench/engines.py --keep DIR
--json FILE``: its import, its embedded build and the databases its Oxigraph server and
Virtuoso were built and analysed into. For each engine in turn (a child process for the
server, on 127.0.0.1): the engine is started on its database (Oxigraph server with
``--union-default-graph``, so ``;dataset=union``; Virtuoso with Debian's limits and
``ResultSetMaxRows`` 10,000), then ``scgraph serve`` in front of it (``--build-dir DIR/build``
for the embedded store), with no cut of its own on rows or bytes; every catalogue question
(the example parameters, as the engines bench takes them) is asked through ``/sparql`` and its
rows are compared, as canonical rows in a multiset, with the embedded store's answer in
``FILE``. The section between the ``serve-engines`` markers of docs/performance.md is replaced.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "tests")]

from engines import ENGINES, TITLES, start_virtuoso  # noqa: E402
from sections import replace_section  # noqa: E402


def serving(args: list[str], limit: float, log: Path):
    """``scgraph serve ARGS`` (2 workers, no cut of its own on rows or bytes) until it answers;
    its base URL (bench/load_test.py's ``serve``)."""
    from load_test import serve

    return serve(None, None, 2, options=["--light-workers", "0", "--timeout", str(limit),
                                         "--max-rows", str(10**9), "--max-bytes", str(2**31), *args],
                 log=log, start_s=300)


def ask_all(url: str, limit: float) -> dict[str, dict]:
    """Every catalogue question through ``url``/sparql: canonical rows (or the error) and time."""
    from rdflib import URIRef
    from test_engines_catalogue import canonical, example

    from scgraph import catalogue
    from scgraph.store import bind_values
    from scgraph.terms import from_json

    out: dict[str, dict] = {}
    for name, query in sorted(catalogue.load_catalogue().items()):
        text = bind_values(query.sparql, {k: URIRef(v) for k, v in example(query).items()})
        req = urllib.request.Request(url + "/sparql", data=urllib.parse.urlencode([("query", text)]).encode(),
                                     headers={"Accept": "application/sparql-results+json",
                                              "Content-Type": "application/x-www-form-urlencoded"})
        t = time.perf_counter()
        entry: dict = {}
        try:
            with urllib.request.urlopen(req, timeout=limit + 30) as resp:
                doc = json.loads(resp.read())
            names = doc["head"]["vars"]
            rows = Counter(tuple(canonical(from_json(b[n]) if n in b else None) for n in names)
                           for b in doc["results"]["bindings"])
            entry["rows"] = sorted([list(k), v] for k, v in rows.items())
        except urllib.error.HTTPError as e:
            entry["error"] = f"HTTP {e.code}: {' '.join(e.read().decode('utf-8', 'replace').split())[:200]}"
        except (OSError, ValueError, KeyError) as e:
            entry["error"] = " ".join(str(e).split())[:200] or type(e).__name__
        entry["seconds"] = time.perf_counter() - t
        out[name] = entry
        print(f"{name}: {entry['seconds']:.2f} s{' ' + entry['error'] if 'error' in entry else ''}",
              file=sys.stderr, flush=True)
    return out


def run(work: Path, limit: float, log: Path) -> dict[str, dict]:
    from reliability_fixtures import OXIGRAPH, oxigraph_server
    from virtuoso_fixtures import VIRTUOSO

    served: dict[str, dict] = {}
    for engine in ENGINES:
        t = time.perf_counter()
        with contextlib.ExitStack() as stack:
            if engine == "embedded":
                args = ["--build-dir", str(work / "build")]
            elif engine == "oxigraph-server":
                if OXIGRAPH is None:
                    served[engine] = {"skipped": "the oxigraph server is not installed"}
                    continue
                url = stack.enter_context(oxigraph_server(work / "oxigraph-db", "--union-default-graph",
                                                          start_s=600))
                args = ["--store", f"sparql:{url};dataset=union"]
            else:
                if VIRTUOSO is None:
                    served[engine] = {"skipped": "Virtuoso (virtuoso-t) is not installed"}
                    continue
                args = ["--store", start_virtuoso(stack, work / "virtuoso-db", int(limit))]
            url = stack.enter_context(serving(args, limit, log))
            served[engine] = {"answers": ask_all(url, limit)}
        served[engine]["seconds"] = time.perf_counter() - t
    return served


def render(results: dict, served: dict[str, dict], command: str, load: tuple[float, float]) -> str:
    emb = results["engines"]["embedded"]["answers"]["questions"]
    engines = [e for e in ENGINES if "skipped" not in served.get(e, {"skipped": ""})]
    lines = ["<!-- serve-engines -->", "## `scgraph serve` in front of each engine (issue 16)", "",
             f"`{command}`, {date.today().isoformat()}, {os.cpu_count()} cores, load average "
             f"{load[0]:.2f} at the start and {load[1]:.2f} at the end; on the data of the engines "
             "run above ({:,} projects). `scgraph serve` (2 workers, no cut of its own on rows or "
             "bytes) runs in front of each engine on 127.0.0.1, and every catalogue question is "
             "asked through its `/sparql`; the rows are compared, as canonical rows in a multiset, "
             "with the embedded store's answer of the engines run.".format(results["projects"]), "",
             "| question | rows | " + " | ".join(f"served by {TITLES[e]} = embedded store" for e in engines)
             + " | " + " | ".join(f"{TITLES[e]} (s)" for e in engines) + " |",
             "|---|---:|" + "---|" * len(engines) + "---:|" * len(engines)]
    equal = Counter()
    for name in sorted(emb):
        want = emb[name].get("rows")
        cells, times = [], []
        for e in engines:
            got = served[e]["answers"].get(name, {})
            ok = "rows" in got and got["rows"] == want
            equal[e] += ok
            cells.append("yes" if ok else f"**{got.get('error', 'differs')[:60]}**")
            times.append(f"{got.get('seconds', 0):.2f}")
        n = sum(v for _k, v in want) if want is not None else 0
        lines.append(f"| {name} | {n:,} | " + " | ".join(cells) + " | " + " | ".join(times) + " |")
    lines.append("")
    for e in engines:
        lines.append(f"- {TITLES[e]}: {equal[e]} of {len(emb)} served answers equal to the embedded "
                     f"store's; the engine started and every question asked in {served[e]['seconds']:.0f} s.")
    for e in ENGINES:
        if "skipped" in served.get(e, {}):
            lines.append(f"- {TITLES[e]}: skipped ({served[e]['skipped']}).")
    lines.append("<!-- /serve-engines -->")
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--keep", type=Path, required=True, help="the work folder of bench/engines.py --keep")
    p.add_argument("--json", type=Path, required=True, help="the raw results of bench/engines.py --json")
    p.add_argument("--limit", type=float, default=120.0, help="seconds a question may take (default 120)")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    args = p.parse_args()
    results = json.loads(args.json.read_text("utf-8"))
    load = os.getloadavg()[0]
    served = run(args.keep, args.limit, args.keep / "serve-log.txt")
    command = "python bench/serve_engines.py --keep DIR --json FILE" + (
        f" --limit {args.limit:g}" if args.limit != 120.0 else "")
    replace_section(args.out, "serve-engines", render(results, served, command, (load, os.getloadavg()[0])))


if __name__ == "__main__":
    main()
