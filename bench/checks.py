"""Benchmark of the registry checks (``queries/checks``, :mod:`scgraph.validate.checks`) on a built store.

    python bench/checks.py STORE [--rev REV] [--budget SECONDS] [--runs N]

STORE is an on-disk Oxigraph store (opened read-only), e.g. the ``store`` folder of
``scgraph import cordis DIR --build-dir B``. Each check is run as ``run_checks`` runs it
(default graph: the asserted graphs; results kept to things of the registry graphs) and its
wall and CPU seconds and number of results are printed, best of ``--runs``. ``--rev`` times
the checks of an earlier commit instead (``git show REV:queries/checks/...``), run as that
commit ran them when its queries carry their own registry filter (``GRAPH ?rg``). Then the
working tree's checks run together, through ``run_checks``. The checks
run in a child process stopped after ``--budget`` seconds (then reported as not finished).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _child(store_path: str, checks_dir: str, runs: int) -> None:
    from scgraph.validate.checks import load_checks, registry_query
    from scgraph.namespaces import INFERRED_GRAPH
    from scgraph.store import OxigraphStore

    store = OxigraphStore(store_path, read_only=True)
    asserted = [g for g in store.named_graphs() if g != INFERRED_GRAPH]
    for check in load_checks(checks_dir):
        # the checks before registry_query filtered the registry things themselves
        sparql = check.sparql if "GRAPH ?rg" in check.sparql else registry_query(check)
        best = None
        for _ in range(runs):
            wall, cpu = time.perf_counter(), time.process_time()
            n = len(store.query(sparql, graphs=asserted).rows)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best = (wall, cpu) if best is None or wall < best[0] else best
        print(json.dumps({"check": check.name, "wall": best[0], "cpu": best[1], "results": n}),
              flush=True)
    if all("GRAPH ?rg" not in c.sparql for c in load_checks(checks_dir)):
        from scgraph.validate.checks import run_checks

        wall, cpu = time.perf_counter(), time.process_time()
        n = len(run_checks(store, load_checks(checks_dir)))
        print(json.dumps({"run_checks": True, "wall": time.perf_counter() - wall,
                          "cpu": time.process_time() - cpu, "results": n}), flush=True)


def _checks_of(rev: str, into: Path) -> None:
    names = subprocess.run(["git", "ls-tree", "--name-only", f"{rev}:queries/checks"], cwd=ROOT,
                           check=True, capture_output=True, text=True).stdout.split()
    for name in names:
        text = subprocess.run(["git", "show", f"{rev}:queries/checks/{name}"], cwd=ROOT,
                              check=True, capture_output=True, text=True).stdout
        (into / name).write_text(text, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store")
    ap.add_argument("--rev", help="time the checks of this commit")
    ap.add_argument("--budget", type=float, default=600.0)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.store, args.child, args.runs)
        return
    with tempfile.TemporaryDirectory() as tmp:
        checks_dir = str(ROOT / "queries" / "checks")
        if args.rev:
            _checks_of(args.rev, Path(tmp))
            checks_dir = tmp
        cmd = [sys.executable, __file__, args.store, "--child", checks_dir, "--runs", str(args.runs)]
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        try:
            out, _ = proc.communicate(timeout=args.budget)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        elapsed = time.perf_counter() - started
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    together = [r for r in rows if r.get("run_checks")]
    rows = [r for r in rows if not r.get("run_checks")]
    label = args.rev or "working tree"
    print(f"checks of {label} on {args.store}")
    print("| check | wall (s) | CPU (s) | results |\n|---|---|---|---|")
    for r in rows:
        print(f"| {r['check']} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['results']} |")
    print(f"| **all** | **{sum(r['wall'] for r in rows):.2f}** | **{sum(r['cpu'] for r in rows):.2f}** "
          f"| {sum(r['results'] for r in rows)} |")
    for r in together:
        print(f"run_checks, all the checks: {r['wall']:.2f} s wall, "
              f"{r['cpu']:.2f} s CPU, {r['results']} results")
    if proc.returncode != 0:
        print(f"NOT FINISHED: stopped after {elapsed:.0f} s (--budget {args.budget:.0f})")


if __name__ == "__main__":
    main()
