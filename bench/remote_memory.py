"""The client's peak memory when scgraph builds on a SPARQL server, as the registry grows.

    .venv/bin/python bench/remote_memory.py [--sizes 1000,5000,10000] [--engines oxigraph,virtuoso]
        [--modes client,engine] [--phases] [--work DIR] [--runs RUNS.json] [--out docs/performance.md]

For each size: synthetic CORDIS tables (``bench/generate_cordis.py``) and ``scgraph import
cordis`` into a build folder (its ``registry/cordis.nq``); then, for each engine (Oxigraph
server, ``oxigraph serve`` on 127.0.0.1; Virtuoso, ``tests/virtuoso_fixtures.py``) and each way
of reasoning (``SCGRAPH_REMOTE_REASONING``: ``client``, the inferred graph computed in a scratch
store on the client, the way before issue 16; ``engine``, the rules run as SPARQL updates by the
endpoint), a fresh server and, in child processes, ``scgraph build --store sparql:URL`` and
``scgraph analyse --store sparql:URL``. Each child's wall time and peak resident memory
(``wait4``) are recorded. ``--phases`` adds a child that runs the same build in Python and notes
its peak memory (``VmHWM``) at each progress message: where the peak is reached. The section
between the ``remote-memory`` markers of docs/performance.md is replaced: this run, and the
earlier runs of ``--runs`` (a JSON file this run is added to), in one table.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from children import run_child as _run_child
from sections import replace_section

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO / "tests"))

PHASES = """
import json, sys, time
from scgraph.pipeline import build
seen, last = [], [None, time.perf_counter()]
def hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
STEPS = {"Reasoning": "reasoning", "Reading": "reading the graphs (client)",
         "Loading /": "loading the registry N-Quads", "Loading the": "loading the curated graphs",
         "Checking": "registry checks", "Writing": "writing the dumps"}
def say(message):
    phase = next((v for k, v in STEPS.items() if message.startswith(k)), "assembling and validating")
    if phase != last[0]:
        seen.append([phase, round(hwm(), 1), round(time.perf_counter() - last[1], 1)])
        last[0] = phase
build(sys.argv[1], store=sys.argv[2], progress=say)
seen.append(["end", round(hwm(), 1), round(time.perf_counter() - last[1], 1)])
print(json.dumps(seen))
"""


def run_child(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """:func:`children.run_child`, its errors named after this benchmark."""
    return _run_child(argv, who="bench/remote_memory.py", env=env)


@contextlib.contextmanager
def server(engine: str, folder: Path) -> Iterator[tuple[str, int]]:
    """A fresh endpoint of ``engine`` on loopback: its ``sparql:`` spec and its process id."""
    if engine == "oxigraph":
        from reliability_fixtures import oxigraph_server

        with oxigraph_server(folder / "oxdb") as url:
            yield url, _pid_listening(url)
    else:
        from virtuoso_fixtures import virtuoso_server

        with virtuoso_server(folder / "vdb", max_rows=10_000, max_seconds=3600) as v:
            base = v.url.rsplit("/", 1)[0]
            yield f"{v.url};update={v.url};store={base}/sparql-graph-crud", _pid_listening(v.url)


def _pid_listening(url: str) -> int:
    """The process listening on the port of ``url`` (for its memory), or 0 if not found."""
    port = int(url.split(":")[2].split("/")[0])
    inode = ""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as f:
            for line in f.readlines()[1:]:
                parts = line.split()
                if parts[3] == "0A" and int(parts[1].split(":")[1], 16) == port:
                    inode = parts[9]
    if not inode:
        return 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    return int(pid)
    return 0


def server_hwm(pid: int) -> float:
    """The peak resident memory (MiB) of the server process so far (``VmHWM``), 0 if unknown."""
    with contextlib.suppress(OSError), open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure(size: int, engines: list[str], modes: list[str], phases: bool, work: Path) -> list[dict[str, object]]:
    data, build = work / f"cordis-{size}", work / f"build-{size}"
    shutil.rmtree(build, ignore_errors=True)
    run_child([sys.executable, str(REPO / "bench" / "generate_cordis.py"), str(data), "--projects", str(size)])
    scgraph = str(BIN / "scgraph")
    t_import, m_import, _ = run_child([scgraph, "import", "cordis", str(data), "--build-dir", str(build), "-q"])
    quads = sum(1 for _ in (build / "registry" / "cordis.nq").open("rb"))
    rows = []
    for engine in engines:
        for mode in modes:
            env = {k: v for k, v in os.environ.items() if not k.startswith("SCGRAPH_")}
            env["SCGRAPH_REMOTE_REASONING"] = mode
            env["SCGRAPH_SPARQL_DEADLINE"] = "3600"
            env["SCGRAPH_SPARQL_TIMEOUT"] = "3600"
            folder = work / f"{engine}-{mode}-{size}"
            folder.mkdir(parents=True, exist_ok=True)
            with server(engine, folder) as (spec, pid):
                out = work / f"out-{engine}-{mode}-{size}"
                shutil.copytree(build, out)
                t_build, m_build, _ = run_child([scgraph, "build", "--out", str(out), "--store",
                                                 f"sparql:{spec}", "-q"], env)
                server_build = server_hwm(pid)
                t_an, m_an, _ = run_child([scgraph, "analyse", "--build-dir", str(out), "--store",
                                           f"sparql:{spec}", "-q"], env)
                found: object = None
                if phases:
                    _t, _m, text = run_child([sys.executable, "-c", PHASES, str(work / "phases"),
                                              f"sparql:{spec}"], env)
                    found = json.loads(text)
                    shutil.rmtree(work / "phases", ignore_errors=True)
                row = {"projects": size, "quads": quads, "engine": engine, "mode": mode,
                       "import_s": t_import, "import_mib": m_import, "build_s": t_build,
                       "build_mib": m_build, "analyse_s": t_an, "analyse_mib": m_an,
                       "server_build_mib": server_build, "phases": found}
                print(json.dumps(row), file=sys.stderr, flush=True)
                rows.append(row)
                shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(build, ignore_errors=True)
    shutil.rmtree(data, ignore_errors=True)
    return rows


MODE_NAMES = {"client": "before: reasoning on the client", "engine": "after: reasoning in the engine"}


def summary(rows: list[dict]) -> str:  # type: ignore[type-arg]
    """What the table says about the client's peak, in one paragraph."""
    after = sorted((r for r in rows if r["mode"] == "engine" and r["engine"] == "oxigraph"),
                   key=lambda r: r["projects"])
    before = [r for r in rows if r["mode"] == "client" and r["engine"] == "oxigraph"]
    if not after:
        return ""
    first, last = after[0], after[-1]
    low, high = min(r["build_mib"] for r in after), max(r["build_mib"] for r in after)
    text = (f"On Oxigraph server, reasoning in the engine, the build's peak is {low:.0f} to {high:.0f} MiB "
            f"from {first['projects']:,} to {last['projects']:,} projects (registry quads "
            f"x{last['quads'] / first['quads']:.1f}), "
            f"{'below' if high < min(r['import_mib'] for r in after) else 'about'} the import's own peak: the client sends "
            "rules and reads counts, the load streams in chunks of 50,000 triples, and the "
            "registry checks read violations only.")
    if before:
        was = ", ".join(f"{r['build_mib']:.0f} MiB at {r['projects']:,}" for r in before)
        text += (f" Reasoning on the client it was {was} projects, growing with the data (the "
                 "client held a scratch Oxigraph store of every graph and ran the reasoner there).")
    return text + (" The server holds a second copy of the data while it reasons. `analyse` still "
                   "grows: it holds the networks it analyses in memory (not part of this change).")


def section(runs: list[dict[str, object]]) -> str:
    """The page's section: each run's command and machine load, then one table of every row."""
    lines = ["<!-- remote-memory -->", "## The client's memory when building on a SPARQL server (issue 16)", "",
             "Synthetic CORDIS tables (`bench/generate_cordis.py`) imported to N-Quads (`scgraph "
             "import cordis`), then, against a fresh server on 127.0.0.1 for each row, `scgraph build "
             "--store sparql:URL` (loads the curated graphs and the N-Quads, reasons, runs the "
             "registry checks, counts) and `scgraph analyse --store sparql:URL`, each a child "
             "process whose peak resident memory is its own (`wait4`). `before` is the earlier way "
             "of reasoning (every graph downloaded into a scratch Oxigraph store on the client, "
             "reasoned there, the inferred graph uploaded; still there as "
             "`SCGRAPH_REMOTE_REASONING=client`), `after` the rules run as SPARQL updates by the "
             "endpoint. The server's own peak (`VmHWM` after the build) is shown for scale. The "
             "machine (2 cores) was shared with other jobs: times are noisy, peaks are not.", "",
             "Runs:", ""]
    for run in runs:
        load = run["load"]
        lines.append(f"- `{run['command']}`, {run['date']}, {run['cores']} cores, load average "
                     f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the start; "  # type: ignore[index]
                     f"Python {run['python']}")
    lines += ["", "| engine | projects | registry quads | reasoning | import peak (MiB) | build (s) | "
              "build peak (MiB) | analyse (s) | analyse peak (MiB) | server peak (MiB) |",
              "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|"]
    rows = [r for run in runs for r in run["rows"]]  # type: ignore[attr-defined]
    rows.sort(key=lambda r: (r["engine"], r["projects"], r["mode"]))
    for r in rows:
        lines.append(
            f"| {r['engine']} | {r['projects']:,} | {r['quads']:,} | {MODE_NAMES[str(r['mode'])]} | "
            f"{r['import_mib']:.0f} | {r['build_s']:.1f} | {r['build_mib']:.0f} | "
            f"{r['analyse_s']:.1f} | {r['analyse_mib']:.0f} | {r['server_build_mib']:.0f} |")
    lines += ["", summary(rows)]
    staged = [r for r in rows if r.get("phases")]
    if staged:
        lines += ["", "Where the build's peak is reached (`--phases`, the same build run again in "
                  "Python: each step, with the seconds since the start and the peak so far when it "
                  "starts; `end`: the whole build's peak):", ""]
        for r in staged:
            steps = "; ".join(f"{p} at {s:.0f} s, {m:.0f} MiB" for p, m, s in r["phases"])
            lines.append(f"- {r['engine']}, {r['projects']:,} projects, {r['mode']}: {steps}")
    lines.append("<!-- /remote-memory -->")
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1000,5000,10000", help="project counts, comma-separated")
    p.add_argument("--engines", default="oxigraph", help="oxigraph, virtuoso or both, comma-separated")
    p.add_argument("--modes", default="client,engine", help="client (before), engine (after), or both")
    p.add_argument("--phases", action="store_true", help="also note the build's peak memory per step")
    p.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    p.add_argument("--runs", type=Path, default=None,
                   help="JSON file of earlier runs to show with this one (this run is added to it)")
    p.add_argument("--out", type=Path, default=REPO / "docs" / "performance.md")
    p.add_argument("--render", action="store_true", help="measure nothing: write the section of --runs")
    args = p.parse_args()
    if args.render:
        replace_section(args.out, "remote-memory", section(json.loads(args.runs.read_text())))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    engines, modes = args.engines.split(","), args.modes.split(",")
    load = os.getloadavg()
    command = "python bench/remote_memory.py " + " ".join(sys.argv[1:])
    with tempfile.TemporaryDirectory(prefix="scgraph-bench-remote-", dir=args.work) as tmp:
        rows = [r for size in sizes for r in measure(size, engines, modes, args.phases, Path(tmp))]
    run = {"command": command.strip(), "date": date.today().isoformat(), "cores": os.cpu_count(),
           "load": list(load), "python": platform.python_version(), "rows": rows}
    runs = json.loads(args.runs.read_text()) if args.runs is not None and args.runs.is_file() else []
    runs.append(run)
    if args.runs is not None:
        args.runs.write_text(json.dumps(runs, indent=1) + "\n")
    replace_section(args.out, "remote-memory", section(runs))


if __name__ == "__main__":
    main()
