"""The registry build against the engine's own floor (issue 18): how long ``scgraph import
cordis`` + ``scgraph build`` take, and how much memory, next to Oxigraph loading the same
registry quads and nothing else.

    .venv/bin/python bench/build_floor.py [--sizes 10000,50000] [--inferred lean,full] [--work DIR] [--out docs/performance.md]

For each size: synthetic CORDIS tables (``bench/generate_cordis.py``), then, one child process
after the other, interleaved:

1. ``scgraph import cordis DATA --build-dir BUILD`` (writes ``BUILD/registry/cordis.nq``);
2. the floor, twice: ``oxigraph load --location EMPTY --file BUILD/registry/cordis.nq`` (the
   console script of pyoxigraph's own CLI) and ``pyoxigraph.Store(EMPTY).bulk_load`` of the
   same file, each into a new empty folder;
3. ``scgraph import cordis DATA --store oxigraph:EMPTY``: the same import written straight into
   an empty on-disk store by the bulk loader, with no file between them and nothing else (no
   curated graphs, no reasoning, no checks): the least that any import + build made of this
   importer and this store can take;
4. ``scgraph build --out BUILD --inferred MODE`` for each mode of ``--inferred`` (default:
   ``lean`` then ``full``, each on its own copy of the imported build folder; the real CLI, run
   so that its ``BuildResult.timings``, the build's own stage timings, are written to a JSON
   file).

Each child's wall time and peak resident memory are taken with ``os.wait4``. The ratio is
(import + build) over the ``oxigraph load`` floor of the same run. The section between the
``build-floor`` markers of docs/performance.md is replaced (``bench/sections.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from children import run_child_cpu as _run_child
from sections import replace_section

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BEGIN, END = "<!-- build-floor -->", "<!-- /build-floor -->"
MiB = 1024  # ru_maxrss is in KiB on Linux

PY_FLOOR = """
import sys, pyoxigraph as ox
store = ox.Store(sys.argv[1])
store.bulk_load(path=sys.argv[2], format=ox.RdfFormat.N_QUADS)
store.flush()
print(len(store))
"""

#: ``scgraph build ARGS`` through the real CLI, its BuildResult's timings and counts written
#: to the JSON file ``argv[1]``.
BUILD = """
import json, sys
import scgraph.pipeline as pipeline
real, timings_file = pipeline.build, sys.argv[1]
def build(*args, **kwargs):
    result = real(*args, **kwargs)
    with open(timings_file, "w") as f:
        json.dump({"timings": result.timings, "asserted": result.asserted,
                   "inferred": result.inferred}, f)
    return result
pipeline.build = build
from scgraph.cli import main
sys.argv = ["scgraph", *sys.argv[2:]]
sys.exit(main())
"""


def run_child(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float, str]:
    """:func:`children.run_child_cpu` (wall s, peak MiB, CPU s, output), its errors named after
    this benchmark."""
    return _run_child(argv, who="bench/build_floor.py", env=env)


def measure(size: int, work: Path, modes: list[str]) -> dict[str, Any]:
    data, build = work / f"cordis-{size}", work / f"build-{size}"
    for p in (data, build):
        shutil.rmtree(p, ignore_errors=True)
    load = {"start": os.getloadavg()[0]}
    run_child([sys.executable, str(REPO / "bench" / "generate_cordis.py"), str(data), "--projects", str(size)])
    scgraph = str(BIN / "scgraph")
    t_import, m_import, c_import, _ = run_child([scgraph, "import", "cordis", str(data), "--build-dir", str(build), "-q"])
    nq = build / "registry" / "cordis.nq"
    quads_file = sum(1 for _ in nq.open("rb"))
    empty = work / "floor-store"
    shutil.rmtree(empty, ignore_errors=True)
    assert not empty.exists(), empty
    t_cli, m_cli, c_cli, _ = run_child([str(BIN / "oxigraph"), "load", "--location", str(empty), "--file", str(nq)])
    shutil.rmtree(empty, ignore_errors=True)
    t_py, m_py, c_py, out = run_child([sys.executable, "-c", PY_FLOOR, str(empty), str(nq)])
    floor_quads = int(out.strip())
    shutil.rmtree(empty, ignore_errors=True)
    # an import into oxigraph:PATH makes PATH a link to a store generation beside it: a folder of
    # its own, removed whole, so that no later floor loads into what it left
    into = work / f"import-into-{size}"
    t_into, m_into, c_into, _ = run_child([scgraph, "import", "cordis", str(data), "--store", f"oxigraph:{into / 'store'}", "-q"])
    shutil.rmtree(into)
    timings_file = work / "timings.json"
    builds: dict[str, dict[str, Any]] = {}
    for mode in modes:
        copy = work / f"build-{size}-{mode}"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(build, copy)  # the imported registry file, nothing built yet
        started = os.getloadavg()[0]
        t_build, m_build, c_build, _ = run_child([sys.executable, "-c", BUILD, str(timings_file), "build", "--out",
                                         str(copy), "-q", "--inferred", mode])
        built = json.loads(timings_file.read_text())
        builds[mode] = {"store_quads": built["asserted"] + built["inferred"], "inferred": built["inferred"],
                        "build_s": t_build, "build_mib": m_build, "build_cpu_s": c_build,
                        "stages": built["timings"],
                        "load": {"start": started, "end": os.getloadavg()[0]}}
        shutil.rmtree(copy, ignore_errors=True)
    load["end"] = os.getloadavg()[0]
    row: dict[str, Any] = {
        "projects": size, "registry_lines": quads_file, "registry_quads": floor_quads,
        "import_s": t_import, "import_mib": m_import, "import_cpu_s": c_import, "oxigraph_load_s": t_cli,
        "oxigraph_load_mib": m_cli, "oxigraph_load_cpu_s": c_cli, "bulk_load_s": t_py,
        "bulk_load_mib": m_py, "bulk_load_cpu_s": c_py,
        "import_into_store_s": t_into, "import_into_store_mib": m_into, "import_into_store_cpu_s": c_into,
        "builds": builds, "load": load}
    print(json.dumps(row), file=sys.stderr, flush=True)
    shutil.rmtree(build, ignore_errors=True)
    shutil.rmtree(data, ignore_errors=True)
    return row


#: The build's stages as the table shows them: (label, timing keys summed).
STAGES = [
    ("curated: assemble, reason, pySHACL", ("assemble", "infer", "validate")),
    ("registry sources, curated graphs written out", ("store-copy", "store-prepare")),
    ("first pass of the stream reasoner", ("reason-read",)),
    ("local rules, to a file", ("reason-derive",)),
    ("the bulk load", ("store-load",)),
    ("transitivity", ("reason-transitivity",)),
    ("equality and consistency", ("reason-consistency",)),
    ("registry checks (queries/checks)", ("store-check",)),
    ("triples per graph", ("store-count",)),
    ("curated dumps", ("publish",)),
]


def _builds(r: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The builds of a row: by ``--inferred`` mode (a row saved before the option: ``full``)."""
    if "builds" in r:
        return r["builds"]
    return {"full": {k: r[k] for k in ("store_quads", "inferred", "build_s", "build_mib", "stages")}}


def section(rows: list[dict[str, Any]], command: str) -> str:
    lines = [BEGIN, "## The registry build against the engine's floor (issue 18)", "",
             f"`{command}`, {date.today().isoformat()}, {os.cpu_count()} cores (shared), "
             f"{platform.machine()}, Python {platform.python_version()}. Each command is a child "
             "process, one after the other: import, the two floors, the import straight into an empty "
             "store, then the build once per "
             "`--inferred` mode (`lean`, the default, then `full`), each on its own copy of the "
             "imported folder; wall time and the "
             "child's own peak resident memory (`wait4`). The floor is Oxigraph loading the "
             "registry quads the import wrote (`BUILD/registry/cordis.nq`) into an empty store "
             "and doing nothing else: `oxigraph load --location EMPTY --file cordis.nq` (the "
             "ratio's denominator) and `pyoxigraph.Store(EMPTY).bulk_load` of the same file. The "
             "build stores the curated graphs, the registry graphs and the inferred graph "
             "(`lean`: of the registry's entailments only those in scgraph's vocabulary, "
             "docs/decisions/20261206-lean-registry-entailment.md). Load "
             "average (1 min) at the start and the end of each build in the last column: the "
             "machine is shared, compare within a size.", "",
             "| projects | registry quads | `--inferred` | quads stored by the build | floor: `oxigraph load` (s) "
             "| floor peak (MiB) | `Store.bulk_load` (s) | its peak (MiB) | import (s) | import peak "
             "(MiB) | build (s) | build peak (MiB) | (import + build) / floor | load average |",
             "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    columns: list[tuple[str, str, dict[str, Any]]] = []
    for r in rows:
        for mode, b in _builds(r).items():
            columns.append((f"{r['projects']:,} {mode}", mode, b))
            ratio = (float(r["import_s"]) + float(b["build_s"])) / float(r["oxigraph_load_s"])
            load = b.get("load", r["load"])
            lines.append(
                f"| {r['projects']:,} | {r['registry_quads']:,} | {mode} | {b['store_quads']:,} | "
                f"{r['oxigraph_load_s']:.1f} | {r['oxigraph_load_mib']:.0f} | {r['bulk_load_s']:.1f} | "
                f"{r['bulk_load_mib']:.0f} | {r['import_s']:.1f} | {r['import_mib']:.0f} | "
                f"{b['build_s']:.1f} | {b['build_mib']:.0f} | {ratio:.2f}x | "
                f"{load['start']:.2f} -> {load['end']:.2f} |")
    lines += ["", "The build's own stages (`BuildResult.timings`, seconds):", "",
              "| stage | " + " | ".join(label for label, _m, _b in columns) + " |",
              "|---|" + "---:|" * len(columns)]
    for label, keys in STAGES:
        cells = [f"{sum(float(b['stages'].get(k, 0.0)) for k in keys):.1f}" for _l, _m, b in columns]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("")
    for r in rows:
        floor = float(r["oxigraph_load_s"])
        if "import_into_store_s" in r:
            into = float(r["import_into_store_s"])
            lines.append(
                f"At {r['projects']:,} projects the same import written straight into an empty store "
                f"(`scgraph import cordis DATA --store oxigraph:EMPTY`: no file in between, no curated "
                f"graphs, no reasoning, no checks) took {into:.1f} s, **{into / floor:.2f}x the floor**, "
                f"with {float(r['import_into_store_cpu_s']):.1f} s of CPU time "
                f"({float(r['import_into_store_cpu_s']) / into:.2f} cores busy) and a peak of "
                f"{float(r['import_into_store_mib']):.0f} MiB: the least an import + build made of this "
                "importer and this store can take.")
            lines.append("")
        for mode, b in _builds(r).items():
            load_s = float(b["stages"].get("store-load", 0.0))
            lines.append(
                f"At {r['projects']:,} projects ({mode}) the import alone takes "
                f"{float(r['import_s']) / floor:.2f}x the floor and the build's bulk load "
                f"{load_s / floor:.2f}x, for {int(b['store_quads']) / int(r['registry_quads']):.2f}x "
                f"the quads ({b['inferred']:,} of them inferred); the build's peak is "
                f"{float(b['build_mib']) - float(r['oxigraph_load_mib']):.0f} MiB above the floor's.")
            if "build_cpu_s" in b and "import_cpu_s" in r:
                cores = os.cpu_count() or 1
                cpu = float(r["import_cpu_s"]) + float(b["build_cpu_s"])
                lines.append(
                    f"CPU time (user + system): the floor {float(r['oxigraph_load_cpu_s']):.1f} s in "
                    f"{floor:.1f} s of wall time ({float(r['oxigraph_load_cpu_s']) / floor:.2f} cores busy), "
                    f"the import {float(r['import_cpu_s']):.1f} s, the build {float(b['build_cpu_s']):.1f} s; "
                    f"import + build is {cpu / float(r['oxigraph_load_cpu_s']):.2f}x the floor's CPU time. "
                    f"On {cores} cores, even with every part overlapped, import + build cannot take "
                    f"less than {cpu / cores:.1f} s: {cpu / cores / floor:.2f}x the floor's wall time.")
            lines.append("")
    lines.append(END)
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="10000,50000", help="project counts, comma-separated")
    p.add_argument("--inferred", default="lean,full",
                   help="the builds' --inferred modes, comma-separated, each built in the same run")
    p.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    p.add_argument("--out", type=Path, default=REPO / "docs" / "performance.md")
    p.add_argument("--json", type=Path, default=None, help="also write the rows to this file")
    p.add_argument("--render", type=Path, default=None,
                   help="measure nothing: write the section from the rows a run saved with --json")
    args = p.parse_args()
    if args.render is not None:
        replace_section(args.out, "build-floor", section(json.loads(args.render.read_text()),
                                                         "python bench/build_floor.py"))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    modes = [m for m in args.inferred.split(",") if m]
    command = ("python bench/build_floor.py" + (f" --sizes {args.sizes}" if args.sizes != "10000,50000" else "")
               + (f" --inferred {args.inferred}" if args.inferred != "lean,full" else ""))
    with tempfile.TemporaryDirectory(prefix="scgraph-bench-floor-", dir=args.work) as tmp:
        rows = [measure(size, Path(tmp), modes) for size in sizes]
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1))
    replace_section(args.out, "build-floor", section(rows, command))


if __name__ == "__main__":
    main()
