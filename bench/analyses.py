"""Benchmark of ``scgraph analyse`` at registry scale: time per step and peak memory.

    python bench/analyses.py --sizes 1000,10000,100000 [--baseline-commit 6017ec1]
                             [--baseline-budget 600] [--baseline-max 10000] [--networkx]
                             [--work DIR] [--out bench/analyses.json]

For each size (number of projects) it generates CORDIS tables (bench/generate_cordis.py),
imports them (``scgraph.importers.cordis.write_cordis_nquads``) and bulk-loads the curated
graph and the registry into an on-disk Oxigraph store (kept in ``--work`` and reused by the
next run: delete the folder to start afresh). Then it runs the analyses (metrics,
communities, brokers, synergy ranking, gaps; no evaluation) on that store, read-only, each
implementation in a process of its own (the current one also makes its output files'
bytes, which ``scgraph analyse`` then writes):

- ``current``: this checkout's ``scgraph.analysis.analyse`` (igraph engine when installed);
  its ``timings`` give the seconds of each step;
- ``networkx``: the same code with ``engine="networkx"`` (pure-Python metrics);
- ``baseline``: the analysis as first committed (``--baseline-commit``, NetworkX only, SPARQL
  with ORDER BY, Python loops over pairs), extracted with ``git archive`` into a temporary
  folder; its steps are timed between its progress messages. It is stopped after
  ``--baseline-budget`` seconds (then reported as not finished).

Peak memory is the child process's maximum resident set size and CPU its user plus system
seconds (``getrusage``; on a shared machine the wall time also counts waiting for a core). Prints a
Markdown table (for docs/analyses.md) and writes the raw numbers to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

#: Coarse steps, the same for every implementation (the baseline only reports these; the
#: current implementation also times its output files, as ``scgraph analyse`` writes them).
STEPS = ("networks", "metrics", "synergies", "gaps", "outputs")
#: The current implementation's fine steps, grouped into the coarse ones.
FINE = {
    "networks": ("sparql to graph", "projections"),
    "metrics": ("components", "communities", "brokers", "betweenness", "pagerank"),
    "synergies": ("synergy ranking",),
    "gaps": ("gaps and summaries",),
    "outputs": ("outputs",),
}


def prepare(n: int, work: Path) -> dict:
    """CORDIS tables, N-Quads and an Oxigraph store of ``n`` projects under ``work/n``."""
    root = work / str(n)
    done = root / "prepared.json"
    if done.exists():
        return json.loads(done.read_text(encoding="utf-8"))
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(REPO / "src"))
    from generate_cordis import generate

    from scgraph.assemble import assemble
    from scgraph.importers.cordis import load_curated, write_cordis_nquads
    from scgraph.store import OxigraphStore

    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    t = time.perf_counter()
    generate(root / "csv", n)
    report = write_cordis_nquads(root / "csv", root / "registry.nq", curated=load_curated())
    store = OxigraphStore(root / "store")
    store.load_dataset(assemble())
    store.bulk_load(root / "registry.nq")
    info = {"projects": n, "quads": len(store), "registry_triples": report.triples,
            "prepare_seconds": time.perf_counter() - t}
    store.close()
    del store
    shutil.rmtree(root / "csv")
    done.write_text(json.dumps(info), encoding="utf-8")
    return info


# --------------------------------------------------------------------------- children


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _cpu() -> float:
    """CPU seconds (user + system) of this process so far: on a shared machine, what the
    analysis cost whatever else ran beside it."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def child_current(store_path: str, engine: str) -> dict:
    sys.path.insert(0, str(REPO / "src"))
    from scgraph.analysis.output_files import outputs
    from scgraph.analysis.run import analyse
    from scgraph.store import OxigraphStore

    store = OxigraphStore(store_path, read_only=True)
    t, c = time.perf_counter(), _cpu()
    r = analyse(store, engine=engine)
    t_out = time.perf_counter()
    files = outputs(r)  # every file's bytes, as write_results makes them
    r.timings["outputs"] = time.perf_counter() - t_out
    total, cpu = time.perf_counter() - t, _cpu() - c
    steps = {k: sum(r.timings.get(f, 0.0) for f in fine) for k, fine in FINE.items()}
    peak = _peak_mib()  # before anything else is built
    del files
    return {"total": total, "cpu": cpu, "steps": steps, "fine": r.timings, "peak_mib": peak,
            "networks": {k: list(r.shape(k)) for k in r.networks}}


def child_baseline(store_path: str) -> dict:
    # sys.path already starts with the baseline's src (set by the parent)
    from scgraph.analysis.run import analyse
    from scgraph.store import OxigraphStore

    store = OxigraphStore(store_path)
    marks: list[tuple[str, float]] = []
    t, c = time.perf_counter(), _cpu()
    r = analyse(store, progress=lambda m: marks.append((m, time.perf_counter())))
    end, cpu = time.perf_counter(), _cpu() - c
    names = {"Building the networks from SPARQL": "networks", "Computing the metrics": "metrics",
             "Suggesting synergies": "synergies", "Looking for gaps": "gaps"}
    steps = {}
    for k, (m, at) in enumerate(marks):
        nxt = marks[k + 1][1] if k + 1 < len(marks) else end
        steps[names.get(m, m)] = nxt - at
    return {"total": end - t, "cpu": cpu, "steps": steps, "peak_mib": _peak_mib(),
            "networks": {k: [g.number_of_nodes(), g.number_of_edges()] for k, g in r.networks.items()}}


def spawn(kind: str, store: Path, budget: float, baseline_src: Path | None = None,
          engine: str = "igraph") -> dict:
    """Run one implementation in a child process; its JSON answer, or why there is none."""
    out = Path(tempfile.mkstemp(suffix=".json")[1])
    cmd = [sys.executable, __file__, "--child", kind, "--store", str(store), "--answer", str(out),
           "--engine", engine]
    env = dict(os.environ)
    if baseline_src is not None:
        env["PYTHONPATH"] = str(baseline_src / "src")
        env["SCGRAPH_HOME"] = str(baseline_src)
    t = time.perf_counter()
    try:
        proc = subprocess.run(cmd, timeout=budget, env=env, capture_output=True, text=True)
    except subprocess.TimeoutExpired:
        return {"finished": False, "why": f"stopped after {budget:.0f} s"}
    finally:
        wall = time.perf_counter() - t
    try:
        if proc.returncode != 0:
            return {"finished": False, "why": proc.stderr.strip().splitlines()[-1][:300], "wall": wall}
        answer = json.loads(out.read_text(encoding="utf-8"))
    finally:
        out.unlink(missing_ok=True)
    return {"finished": True, "wall": wall, **answer}


def extract(commit: str) -> Path:
    """The tree of ``commit`` (src, queries, ontology, data) in a temporary folder."""
    where = Path(tempfile.mkdtemp(prefix="scgraph-baseline-"))
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, "src", "queries",
                              "ontology", "data"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(where)], input=archive, check=True)
    return where


# --------------------------------------------------------------------------- report


def machine() -> str:
    """The machine in one line, from the facts bench/run.py collects."""
    sys.path.insert(0, str(HERE))
    from run import machine as facts

    m = facts()
    return f"{m['cpu']}, {m['cores']} cores, Python {m['python']}"


def _s(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}" if x < 10 else f"{x:.1f}"


def table(results: dict) -> str:
    lines = ["| projects | quads | implementation | networks (s) | metrics (s) | synergies (s) | "
             "gaps (s) | outputs (s) | total (s) | CPU (s) | peak MiB | baseline / this |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for n, entry in results["sizes"].items():
        base = entry.get("baseline", {})
        for impl in ("current", "networkx", "baseline"):
            e = entry.get(impl)
            if e is None:
                continue
            if not e.get("finished"):
                lines.append(f"| {int(n):,} | {entry['quads']:,} | {impl} | {e.get('why', '')} "
                             "| | | | | | | | |")
                continue
            ratio = (f"{base['total'] / e['total']:.1f}×" if base.get("finished") and impl != "baseline"
                     else "")
            steps = e["steps"]
            lines.append(f"| {int(n):,} | {entry['quads']:,} | {impl} | "
                         + " | ".join(_s(steps.get(k)) for k in STEPS)
                         + f" | {_s(e['total'])} | {_s(e.get('cpu'))} | {e['peak_mib']:.0f} | {ratio} |")
    fine = ["", "Steps of the current implementation (s):", "",
            "| projects | " + " | ".join(f for fs in FINE.values() for f in fs) + " |",
            "|---|" + "---|" * sum(len(fs) for fs in FINE.values())]
    for n, entry in results["sizes"].items():
        e = entry.get("current", {})
        if e.get("finished"):
            fine.append(f"| {int(n):,} | " + " | ".join(_s(e["fine"].get(f, 0.0)) for fs in FINE.values()
                                                      for f in fs) + " |")
    nets = ["", "Networks (nodes / edges):", "", "| projects | heterogeneous | project | organisation | city |",
            "|---|---|---|---|---|"]
    for n, entry in results["sizes"].items():
        e = entry.get("current", {})
        if e.get("finished"):
            nets.append(f"| {int(n):,} | " + " | ".join(
                f"{e['networks'][k][0]:,} / {e['networks'][k][1]:,}"
                for k in ("heterogeneous", "project", "organisation", "city")) + " |")
    return "\n".join(lines + fine + nets) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "scgraph-bench-analyses")
    ap.add_argument("--baseline-commit", default="6017ec1")
    ap.add_argument("--baseline-budget", type=float, default=600.0)
    ap.add_argument("--baseline-max", type=int, default=10000, help="Largest size the baseline and networkx runs are tried at.")
    ap.add_argument("--budget", type=float, default=1800.0, help="Time limit of the current implementation.")
    ap.add_argument("--networkx", action="store_true", help="Also run the current code with the networkx engine.")
    ap.add_argument("--out", type=Path, default=HERE / "analyses.json")
    ap.add_argument("--child", choices=["current", "baseline"], help=argparse.SUPPRESS)
    ap.add_argument("--store", help=argparse.SUPPRESS)
    ap.add_argument("--answer", help=argparse.SUPPRESS)
    ap.add_argument("--engine", default="igraph", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        answer = (child_current(args.store, args.engine) if args.child == "current"
                  else child_baseline(args.store))
        Path(args.answer).write_text(json.dumps(answer), encoding="utf-8")
        return

    sizes = [int(x) for x in args.sizes.split(",") if x]
    baseline_src = extract(args.baseline_commit) if args.baseline_commit else None
    results: dict = {"machine": machine(), "command": " ".join(["python", "bench/analyses.py", *sys.argv[1:]]),
                     "baseline_commit": args.baseline_commit, "sizes": {}}
    try:
        for n in sizes:
            info = prepare(n, args.work)
            store = args.work / str(n) / "store"
            entry = dict(info)
            entry["current"] = spawn("current", store, args.budget)
            print(f"{n:>7} current  {entry['current'].get('total', entry['current'].get('why'))}", file=sys.stderr)
            if args.networkx and n <= args.baseline_max:
                entry["networkx"] = spawn("current", store, args.baseline_budget, engine="networkx")
                print(f"{n:>7} networkx {entry['networkx'].get('total', entry['networkx'].get('why'))}",
                      file=sys.stderr)
            if baseline_src is not None and n > args.baseline_max:
                entry["baseline"] = {"finished": False, "why": f"not run (above --baseline-max {args.baseline_max})"}
            elif baseline_src is not None:
                entry["baseline"] = spawn("baseline", store, args.baseline_budget, baseline_src)
                print(f"{n:>7} baseline {entry['baseline'].get('total', entry['baseline'].get('why'))}",
                      file=sys.stderr)
            results["sizes"][str(n)] = entry
            args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    finally:
        if baseline_src is not None:
            shutil.rmtree(baseline_src, ignore_errors=True)
    print(f"Machine: {results['machine']}. Command: `{results['command']}`.\n")
    print(table(results))


if __name__ == "__main__":
    main()
