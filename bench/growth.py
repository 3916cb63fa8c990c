"""How time, memory and disk grow with the registry, and what 10^6 projects will take: the
measured sizes side by side, and a projection from the growth between the two largest.

    .venv/bin/python bench/growth.py [--sizes 10000,50000,100000,200000] [--work DIR]
                                     [--target 1000000] [--out docs/performance.md]

For each size, one after the other in child processes (``bench/children.py``: wall time and the
child's own peak memory from ``wait4``): synthetic CORDIS tables (``bench/generate_cordis.py``),
``scgraph import cordis``, ``scgraph build`` and ``scgraph analyse`` into a fresh build folder.
The disk is measured after each step: the tables, the imported N-Quads, the store and the whole
build folder. The projection to ``--target`` extends the growth between the two largest sizes in
a straight line (the marginal cost per project there), which is what the measured sizes support:
it is a plan, not a measurement, and the page says so. The section between the ``growth``
markers of docs/performance.md is replaced.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

from children import REPO, folder_bytes, run_child
from sections import replace_section

BIN = Path(sys.executable).parent
COUNT = "import sys, pyoxigraph as ox; print(len(ox.Store.read_only(sys.argv[1])))"
#: The measured columns: (key, heading, unit)
COLUMNS = [
    ("import_s", "import", "s"), ("build_s", "build", "s"), ("analyse_s", "analyse", "s"),
    ("import_mib", "import peak", "MiB"), ("build_mib", "build peak", "MiB"),
    ("analyse_mib", "analyse peak", "MiB"),
    ("csv_bytes", "CSV tables", "B"), ("registry_bytes", "imported N-Quads", "B"),
    ("store_bytes", "store", "B"), ("build_bytes", "build folder", "B"),
]


def measure(size: int, work: Path) -> dict[str, float]:
    data, build = work / f"cordis-{size}", work / f"build-{size}"
    shutil.rmtree(build, ignore_errors=True)
    scgraph = str(BIN / "scgraph")
    t_gen, _, _ = run_child([sys.executable, str(REPO / "bench" / "generate_cordis.py"), str(data),
                             "--projects", str(size)], who="bench/growth.py")
    row: dict[str, float] = {"projects": size, "generate_s": t_gen, "csv_bytes": folder_bytes(data),
                             "load": os.getloadavg()[0]}
    row["import_s"], row["import_mib"], _ = run_child(
        [scgraph, "import", "cordis", str(data), "--build-dir", str(build), "-q"], who="bench/growth.py")
    row["registry_bytes"] = folder_bytes(build / "registry")
    row["build_s"], row["build_mib"], _ = run_child([scgraph, "build", "--out", str(build), "-q"],
                                                    who="bench/growth.py")
    row["store_bytes"] = folder_bytes(build / "store")
    _, _, out = run_child([sys.executable, "-c", COUNT, str(build / "store")], who="bench/growth.py")
    row["quads"] = int(out.strip())
    row["analyse_s"], row["analyse_mib"], _ = run_child(
        [scgraph, "analyse", "--build-dir", str(build), "-q"], who="bench/growth.py")
    row["build_bytes"] = folder_bytes(build)
    print(row, file=sys.stderr, flush=True)
    shutil.rmtree(build, ignore_errors=True)
    shutil.rmtree(data, ignore_errors=True)
    return row


def project(rows: list[dict[str, float]], key: str, target: int) -> float:
    """``key`` at ``target`` projects: the last measured value, plus the growth per project
    between the two largest sizes times the projects still to come."""
    a, b = rows[-2], rows[-1]
    slope = (b[key] - a[key]) / (b["projects"] - a["projects"])
    return b[key] + slope * (target - b["projects"])


def _fmt(value: float, unit: str) -> str:
    if unit == "B":
        return f"{value / 2**30:.2f} GiB" if value >= 2**30 else f"{value / 2**20:.0f} MiB"
    if unit == "MiB":
        return f"{value / 1024:.1f} GiB" if value >= 1024 else f"{value:.0f} MiB"
    return f"{value / 60:.0f} min" if value >= 600 else f"{value:.1f} s"


def section(rows: list[dict[str, float]], command: str, target: int, disk_free: int) -> str:
    heads = " | ".join(h for _, h, _ in COLUMNS)
    lines = ["<!-- growth -->", "## Growth, and the plan for 10^6 projects (issue 18)", "",
             f"`{command}`, {date.today().isoformat()}, {os.cpu_count()} cores, "
             f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.1f} GiB of memory, "
             f"{disk_free / 2**30:.0f} GiB of disk free at the start; Python {platform.python_version()}. "
             "Each command is a child process; memory is its own peak (`wait4`); the load average "
             "is the machine's when the size started.", "",
             f"| projects | quads in the store | load | {heads} |",
             "|" + "---:|" * (3 + len(COLUMNS))]
    for r in rows:
        cells = " | ".join(_fmt(r[k], u) for k, _, u in COLUMNS)
        lines.append(f"| {int(r['projects']):,} | {int(r['quads']):,} | {r['load']:.2f} | {cells} |")
    if len(rows) >= 2:
        a, b = rows[-2], rows[-1]
        scale = {k: (b[k] / a[k]) for k in ("quads", "build_s", "build_mib", "store_bytes")}
        lines += ["", f"From {int(a['projects']):,} to {int(b['projects']):,} projects "
                  f"({b['projects'] / a['projects']:.1f}x), the quads grew {scale['quads']:.2f}x, "
                  f"the build's time {scale['build_s']:.2f}x, its peak memory {scale['build_mib']:.2f}x "
                  f"and the store {scale['store_bytes']:.2f}x.", "",
                  f"### Projected to {target:,} projects", "",
                  f"Each measure at {target:,} projects, extended in a straight line from the two "
                  "largest sizes above (a plan from measured growth, not a measurement):", "",
                  "| measure | projected |", "|---|---:|"]
        projected = {k: project(rows, k, target) for k, _, _ in COLUMNS + [("quads", "", "")]}
        lines.append(f"| quads in the store | {projected['quads'] / 1e6:,.0f} M |")
        for k, h, u in COLUMNS:
            lines.append(f"| {h} | {_fmt(projected[k], u)} |")
        hours = (projected["import_s"] + projected["build_s"] + projected["analyse_s"]) / 3600
        disk = projected["build_bytes"] + projected["csv_bytes"]
        lines += ["", f"Import, build and analyse: about {hours:.1f} hours on this machine; disk for "
                  f"the tables and the build folder: about {disk / 2**30:.0f} GiB "
                  f"({disk_free / 2**30:.0f} GiB were free). Peak memory: the build "
                  f"{_fmt(projected['build_mib'], 'MiB')}, the analyses "
                  f"{_fmt(projected['analyse_mib'], 'MiB')}.", ""]
    lines.append("<!-- /growth -->")
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="10000,50000,100000,200000", help="project counts, comma-separated")
    p.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    p.add_argument("--target", type=int, default=1_000_000, help="the size to project to")
    p.add_argument("--out", type=Path, default=REPO / "docs" / "performance.md")
    args = p.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    command = "python bench/growth.py" + (f" --sizes {args.sizes}" if args.sizes != "10000,50000,100000,200000" else "")
    if args.work is not None:
        args.work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="scgraph-bench-growth-", dir=args.work) as tmp:
        free = shutil.disk_usage(tmp).free
        rows = [measure(size, Path(tmp)) for size in sizes]
    replace_section(args.out, "growth", section(rows, command, args.target, free))


if __name__ == "__main__":
    main()
