"""How fast the analysis exports come out of a registry build, against the store's own row rate.

    .venv/bin/python bench/exports.py --build-dir BUILD [--runs 3] [--out docs/performance.md]
    .venv/bin/python bench/exports.py --projects 10000      # generates, imports and builds first

For ``analysis_edges``, ``analysis_nodes`` and ``analysis_labels``, interleaved ``--runs`` times:
the floor (the same SPARQL through pyoxigraph, each row read, no term made in Python), ``scgraph
query NAME -f csv`` (a child process, start-up included: Oxigraph writes the CSV as it reads the
rows) and the catalogue's rdflib answer (:func:`scgraph.catalogue.run`, which makes a term per
cell: what the CSV path did before it streamed). Microseconds per row, median of the runs. The
section between the ``exports`` markers of docs/performance.md is replaced.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sections import replace_section

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BEGIN, END = "<!-- exports -->", "<!-- /exports -->"
EXPORTS = ("analysis_edges", "analysis_nodes", "analysis_labels")


def make_build(projects: int, work: Path) -> Path:
    data, build = work / "cordis", work / "build"
    subprocess.run([sys.executable, str(REPO / "bench" / "generate_cordis.py"), str(data),
                    "--projects", str(projects)], check=True, capture_output=True)
    for argv in (["import", "cordis", str(data), "--build-dir", str(build), "-q"], ["build", "--out", str(build), "-q"]):
        subprocess.run([str(BIN / "scgraph"), *argv], check=True, capture_output=True)
    return build


def measure(build: Path, runs: int) -> dict[str, dict[str, object]]:
    from scgraph import catalogue
    from scgraph.store import OxigraphStore

    store = OxigraphStore(build / "store", read_only=True)
    out: dict[str, dict[str, object]] = {}
    try:
        for name in EXPORTS:
            q = catalogue.get_query(name)
            floor, cli, terms = [], [], []
            rows = 0
            for _ in range(runs):
                t = time.perf_counter()
                rows = sum(1 for _ in store.store.query(q.sparql, use_default_graph_as_union=True))  # type: ignore[union-attr]
                floor.append(time.perf_counter() - t)
                t = time.perf_counter()
                proc = subprocess.run([str(BIN / "scgraph"), "query", name, "--build-dir", str(build), "-f", "csv"],
                                      capture_output=True, check=True)
                cli.append(time.perf_counter() - t)
                assert proc.stdout.count(b"\r\n") == rows + 1, name
                t = time.perf_counter()
                catalogue.run(store, q)
                terms.append(time.perf_counter() - t)
            out[name] = {"rows": rows, "floor": statistics.median(floor), "cli": statistics.median(cli),
                         "terms": statistics.median(terms)}
            print(name, out[name], file=sys.stderr, flush=True)
    finally:
        store.close()
    return out


def section(res: dict[str, dict[str, object]], command: str, load: float, quads: int) -> str:
    lines = [BEGIN, "## Bulk exports (issue 18)", "",
             f"`{command}`, {date.today().isoformat()}, {os.cpu_count()} cores, load average "
             f"{load:.2f} at the start; Python {platform.python_version()}; a registry build of "
             f"{quads:,} quads. Microseconds per row, median of the runs, interleaved. The floor is "
             "the store's own row rate: the SPARQL through pyoxigraph, every row read, no term made "
             "in Python. `scgraph query -f csv` is a whole child process (start-up included); the "
             "rdflib answer is what `scgraph query` did for every format before CSV streamed.", "",
             "| export | rows | floor: store (µs/row) | `scgraph query -f csv` (µs/row) | ratio | "
             "rdflib terms, in process (µs/row) | ratio |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, r in res.items():
        n = int(r["rows"])  # type: ignore[call-overload]
        f, c, t = (float(r[k]) * 1e6 / n for k in ("floor", "cli", "terms"))  # type: ignore[arg-type]
        lines.append(f"| {name} | {n:,} | {f:.1f} | {c:.1f} | {c / f:.2f}x | {t:.1f} | {t / f:.2f}x |")
    lines += ["", "The child process's start-up (about 0.3 s, see the interactive commands above) is "
              "part of its time: at these sizes it is most of the difference to the floor.", END]
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build-dir", type=Path, default=None, help="a build with a store (registry imported)")
    p.add_argument("--projects", type=int, default=10000, help="without --build-dir: generate this many")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--out", type=Path, default=REPO / "docs" / "performance.md")
    args = p.parse_args()
    load = os.getloadavg()[0]
    import pyoxigraph as ox

    with tempfile.TemporaryDirectory(prefix="scgraph-bench-exports-") as tmp:
        build = args.build_dir or make_build(args.projects, Path(tmp))
        st = ox.Store.read_only(str(build / "store"))
        quads = len(st)
        del st
        res = measure(build, args.runs)
    command = "python bench/exports.py " + (f"--build-dir BUILD ({args.build_dir.name})" if args.build_dir
                                            else f"--projects {args.projects}") + f" --runs {args.runs}"
    replace_section(args.out, "exports", section(res, command, load, quads))


if __name__ == "__main__":
    main()
