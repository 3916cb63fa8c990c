"""Benchmarks: synthetic CORDIS data through the fast stack and the naive baseline.

    python bench/run.py --sizes 1000,10000,100000,1000000 [--baseline-max 10000]
                        [--budget 600] [--runs 5] [--out docs/performance.md]

For each size (number of projects) it generates CORDIS tables (bench/generate_cordis.py) and
measures, in a fresh process per stack and size, the time and the peak resident memory of each
stage:

- fast stack, the commands a user runs: import (``scgraph import cordis DIR --build-dir B``:
  CSV -> ``B/registry/cordis.nq``, streaming), then ``scgraph build --out B`` split into load
  (the store build's one bulk load of the curated graphs, the registry file and the inferred
  graph, with the local rules running inside it), reason (the first pass, transitivity,
  equality and consistency), validate (pySHACL on the curated part + SPARQL checks on the
  registry part) and the rest (dumps of the curated graph, counts),
  each catalogue query (median of ``--runs``), the analyses (``scgraph.analysis``), dump
  (N-Quads of the whole store);
- naive baseline: rdflib in memory (parse the same N-Quads into a Dataset), owlrl, pySHACL on
  everything, each query in rdflib; run only up to ``--baseline-max`` projects and stopped
  after ``--budget`` seconds (what finished by then is reported).

Writes ``docs/performance.md`` (tables, machine, command, ratios) and
``docs/performance-time.png`` (log-log time against size per stage), and the raw numbers in
``bench/results.json``. Peak memory is the process's maximum resident set size
(``getrusage``) after the stage: a running maximum, so a stage's number includes the data
the earlier stages left in memory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "src"))

STAGE_ORDER = ["generate", "import", "load", "reason", "validate", "build", "queries", "analyses", "dump"]


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


class Recorder:
    """Times stages and appends each result to a JSON-lines file as soon as it is known."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def stage(self, name: str, seconds: float, **extra: object) -> None:
        row = {"stage": name, "seconds": seconds, "peak_rss_mib": _rss_mib(), **extra}
        print(f"    {name}: {seconds:.3f} s, {row['peak_rss_mib']:.0f} MiB", file=sys.stderr)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")


def _timed(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t


# --------------------------------------------------------------------------- the two stacks


def run_fast(data: Path, nq: Path, work: Path, rec: Recorder, runs: int) -> None:
    """The fast stack, as a user runs it: ``scgraph import cordis DATA --build-dir B`` (in a
    child process) then ``scgraph build --out B`` (:func:`scgraph.pipeline.build`, in this one):
    the streaming import to ``B/registry/cordis.nq``, then the store build
    (:mod:`scgraph.pipeline.store`: one bulk load with the streaming reasoner inside it), pySHACL
    on the curated part and the SPARQL checks on the registry part."""
    import pyoxigraph as ox

    from scgraph import catalogue
    from scgraph.pipeline import build
    from scgraph.store import OxigraphStore

    out = work / "build"
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "scgraph", "import", "cordis", str(data),
                           "--build-dir", str(out)], capture_output=True, text=True)
    s = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"import failed: {proc.stderr.strip()[-500:]}")
    child_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    import re

    found = re.search(r"([\d,]+) projects, ([\d,]+) organisations, ([\d,]+) participations", proc.stdout)
    if found is None:
        raise SystemExit(f"no import summary in: {proc.stdout[-500:]}")
    projects, orgs, participations = (int(x.replace(",", "")) for x in found.groups())
    triples = re.search(r"([\d,]+) triples in", proc.stdout)
    rec.stage("import", s, import_peak_rss_mib=child_mib, projects=projects, organisations=orgs,
              participations=participations,
              triples=int(triples.group(1).replace(",", "")) if triples else None)

    t = time.perf_counter()
    result = build(out)
    wall = time.perf_counter() - t
    tm = result.timings
    rec.stage("load", tm.get("assemble", 0) + tm.get("store-copy", 0) + tm.get("store-load", 0),
              quads=result.asserted, build_timings={k: round(v, 3) for k, v in tm.items()})
    rec.stage("reason", tm.get("infer", 0) + tm.get("store-infer", 0), inferred=result.inferred)
    rec.stage("validate", tm.get("validate", 0) + tm.get("store-check", 0),
              violations=result.violations)
    rec.stage("build", wall)

    store = OxigraphStore(out / "store", read_only=True)
    _queries(store, catalogue, rec, runs)

    _, s = _timed(store.store.dump, str(work / "dump.nq"), format=ox.RdfFormat.N_QUADS)
    rec.stage("dump", s, bytes=(work / "dump.nq").stat().st_size)
    store.close()
    del store


def run_analyses(work: Path, rec: Recorder) -> None:
    """The analyses (another process, read-only on the store the fast stack built)."""
    from scgraph.store import OxigraphStore

    store = OxigraphStore(work / "build" / "store", read_only=True)
    _analyses(store, rec)


def run_baseline(data: Path, nq: Path, work: Path, rec: Recorder, runs: int) -> None:
    """The naive stack: the same importer writing N-Quads, then rdflib in memory, owlrl,
    pySHACL over everything."""
    from rdflib import Dataset

    from scgraph import catalogue
    from scgraph.assemble import assemble
    from scgraph.importers.cordis import load_curated, write_cordis_nquads
    from scgraph.reason import infer
    from scgraph.store import MemoryStore
    from scgraph.validate.shacl import validate

    _, s = _timed(write_cordis_nquads, data, nq, curated=load_curated())
    rec.stage("import", s)
    t = time.perf_counter()
    ds = assemble()
    registry = Dataset()
    registry.parse(nq, format="nquads")
    for q in registry.quads((None, None, None, None)):
        ds.add(q)
    del registry
    rec.stage("load", time.perf_counter() - t, quads=sum(1 for _ in ds.quads((None, None, None, None))))

    _, s = _timed(infer, ds, "owlrl")
    rec.stage("reason", s)

    _, s = _timed(validate, ds)
    rec.stage("validate", s)

    store = MemoryStore()
    store.ds = ds  # the Dataset itself, not a copy
    _queries(store, catalogue, rec, runs)


def _queries(store, catalogue, rec: Recorder, runs: int) -> None:
    total = 0.0
    for name, q in catalogue.load_catalogue().items():
        times = []
        rows = 0
        try:
            for _ in range(runs):
                res, s = _timed(catalogue.run, store, q)
                times.append(s)
                rows = len(res.rows)
        except Exception as e:  # a store that cannot answer: reported, not hidden
            rec.stage(f"query:{name}", float("nan"), error=f"{type(e).__name__}: {str(e)[:200]}")
            total = float("nan")
            continue
        med = statistics.median(times)
        total += med
        rec.stage(f"query:{name}", med, rows=rows, runs=runs)
    rec.stage("queries", total)


def _analyses(store, rec: Recorder) -> None:
    try:
        from scgraph.analysis.run import analyse
    except ImportError:
        return
    try:
        _, s = _timed(analyse, store)
        rec.stage("analyses", s)
    except Exception as e:  # report, don't hide: the analysis is another engineer's, in progress
        rec.stage("analyses", float("nan"), error=f"{type(e).__name__}: {str(e)[:200]}")


# --------------------------------------------------------------------------- one size, one stack


def child(args: argparse.Namespace) -> None:
    """Run one stack at one size (in its own process) and record to ``args.record``."""
    rec = Recorder(Path(args.record))
    work = Path(args.work)
    if args.stack == "fast":
        run_fast(Path(args.data), Path(args.nq), work, rec, args.runs)
    elif args.stack == "analyses":
        run_analyses(work, rec)
    else:
        run_baseline(Path(args.data), Path(args.nq), work, rec, args.runs)


def _spawn(stack: str, data: Path, nq: Path, work: Path, record: Path, runs: int,
           budget: float) -> bool:
    """Run one stack in a child process; False when it ran past ``budget`` seconds."""
    cmd = [sys.executable, __file__, "--child", stack, "--data", str(data), "--nq", str(nq),
           "--work", str(work), "--record", str(record), "--runs", str(runs)]
    try:
        subprocess.run(cmd, timeout=budget)
        return True
    except subprocess.TimeoutExpired:
        return False


def _read(record: Path) -> list[dict]:
    if not record.exists():
        return []
    return [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines() if line]


def measure(sizes: list[int], baseline_max: int, budget: float, runs: int, keep: Path | None,
            baseline_budget: float | None = None, analyses_budget: float = 300.0) -> dict:
    from generate_cordis import generate

    results: dict = {"sizes": {}}
    for n in sizes:
        root = Path(tempfile.mkdtemp(prefix=f"scgraph-bench-{n}-"))
        try:
            data = root / "cordis"
            t = time.perf_counter()
            counts = generate(data, n)
            gen = time.perf_counter() - t
            nq = root / "registry.nq"
            entry: dict = {"generate": {"seconds": gen, **{k: v for k, v in counts.items()}},
                           "load": {"start": os.getloadavg()}}
            for stack in ("fast", "baseline"):
                if stack == "baseline" and n > baseline_max:
                    entry[stack] = {"skipped": f"above --baseline-max {baseline_max}"}
                    continue
                work = root / stack
                work.mkdir()
                record = root / f"{stack}.jsonl"
                started = time.perf_counter()
                limit = budget if stack == "fast" or baseline_budget is None else baseline_budget
                finished = _spawn(stack, data, nq, work, record, runs if n < 10**6 else max(1, runs // 2), limit)
                entry[stack] = {"finished": finished, "wall": time.perf_counter() - started,
                                "stages": _read(record)}
                print(f"{n:>9} projects  {stack:<8} {'done' if finished else 'STOPPED'} in "
                      f"{entry[stack]['wall']:.1f} s", file=sys.stderr)
                if stack == "fast" and finished and analyses_budget > 0:
                    arec = root / "analyses.jsonl"
                    t = time.perf_counter()
                    done = _spawn("analyses", data, nq, work, arec, runs, analyses_budget)
                    rows = _read(arec) or [{"stage": "analyses", "seconds": float("nan"),
                                            "error": f"stopped after {time.perf_counter() - t:.0f} s "
                                                     "(--analyses-budget)" if not done else "no result"}]
                    entry[stack]["stages"] += rows
            entry["load"]["end"] = os.getloadavg()
            results["sizes"][str(n)] = entry
        finally:
            if keep is None:
                shutil.rmtree(root, ignore_errors=True)
    return results


# --------------------------------------------------------------------------- report


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        kib = int(next(l for l in Path("/proc/meminfo").read_text().splitlines()
                       if l.startswith("MemTotal")).split()[1])
        mem = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    libs = {}
    for lib in ("rdflib", "pyoxigraph", "owlrl", "pyshacl", "reasonable", "networkx", "matplotlib"):
        try:
            libs[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            libs[lib] = "not installed"
    return {"cpu": cpu, "cores": str(os.cpu_count()), "memory": mem,
            "python": platform.python_version(), "os": platform.platform(),
            "libraries": ", ".join(f"{k} {v}" for k, v in libs.items())}


def _stage_map(entry: dict, stack: str) -> dict[str, dict]:
    return {r["stage"]: r for r in entry.get(stack, {}).get("stages", [])}


def _fmt_s(x: float | None) -> str:
    if x is None:
        return "–"
    if x != x:  # NaN
        return "error"
    return f"{x:.3f}" if x < 1 else f"{x:.1f}"


def render(results: dict, command: str) -> str:
    m = results["machine"]
    lines = ["# Performance", "",
             "Measured by `bench/run.py` (synthetic CORDIS data from `bench/generate_cordis.py`); "
             "regenerate this page with:", "", f"    {command}", "",
             f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']} RAM; Python {m['python']} "
             f"on {m['os']}.", f"Libraries: {m['libraries']}.", "",
             f"Run on {results['date']}, {results['total_seconds']:.0f} s in all. Times in seconds; "
             "queries are the median of several runs; memory is the peak resident set size of the "
             "process (MiB) after the stage, a running maximum. The baseline is rdflib in memory "
             "with owlrl and pySHACL over everything; `–` where it was not run or did not finish "
             "within the time budget.", "",
             "## Stages", ""]
    header = "| projects | triples | stage | fast (s) | fast peak MiB | baseline (s) | baseline peak MiB | baseline / fast |"
    lines += [header, "|" + "---|" * 8]
    for n, entry in _by_size(results):
        fast, base = _stage_map(entry, "fast"), _stage_map(entry, "baseline")
        triples = fast.get("load", {}).get("quads", "")
        gen = entry["generate"]["seconds"]
        lines.append(f"| {int(n):,} | {triples:,} | generate | {_fmt_s(gen)} | | | | |" if triples
                     else f"| {int(n):,} | | generate | {_fmt_s(gen)} | | | | |")
        for stage in STAGE_ORDER[1:]:
            f, b = fast.get(stage), base.get(stage)
            if f is None and b is None:
                continue
            fs, bs = (f or {}).get("seconds"), (b or {}).get("seconds")
            ratio = _ratio(bs / fs) if fs and bs and fs == fs and bs == bs else ""
            fm = f"{f['peak_rss_mib']:.0f}" if f and 'peak_rss_mib' in f else "–"
            bm = f"{b['peak_rss_mib']:.0f}" if b and 'peak_rss_mib' in b else "–"
            lines.append(f"| {int(n):,} | | {stage} | {_fmt_s(fs)} | {fm} | {_fmt_s(bs)} | {bm} | {ratio} |")
        fe, be = _end_to_end(fast), _end_to_end(base)
        ok = entry.get("baseline", {}).get("finished")
        ratio = _ratio(be / fe) if ok and fe and be else ""
        fast_ok = entry.get("fast", {}).get("finished")
        lines.append(f"| {int(n):,} | | **end to end** (import → build + queries) | "
                     f"**{_fmt_s(fe) if fast_ok else 'stopped'}** "
                     f"| | {_fmt_s(be) if ok else ('stopped' if 'finished' in entry.get('baseline', {}) else '–')} | | {ratio} |")
    lines += ["", "## Catalogue queries (median seconds)", ""]
    names = sorted({r["stage"][6:] for e in results["sizes"].values()
                    for r in e.get("fast", {}).get("stages", []) if r["stage"].startswith("query:")})
    sizes = [n for n, _ in _by_size(results)]
    lines.append("| query | " + " | ".join(f"{int(n):,} fast | {int(n):,} baseline" for n in sizes) + " |")
    lines.append("|---|" + "---|---|" * len(sizes))
    for q in names:
        cells = []
        for n in sizes:
            f = _stage_map(results["sizes"][n], "fast").get(f"query:{q}", {}).get("seconds")
            b = _stage_map(results["sizes"][n], "baseline").get(f"query:{q}", {}).get("seconds")
            cells += [_fmt_s(f), _fmt_s(b)]
        lines.append(f"| {q} | " + " | ".join(cells) + " |")
    lines += ["", "![time against size per stage](performance-time.png)", ""]
    lines += targets(results)
    lines += NOTES
    return "\n".join(lines) + "\n"


def _ratio(r: float) -> str:
    """A ratio of times: one decimal below 10 (0.5× where the baseline is faster)."""
    return f"{r:.1f}×" if r < 10 else f"{r:.0f}×"


def _by_size(results: dict) -> list[tuple[str, dict]]:
    """The measured sizes in increasing order (the JSON file sorts its keys as text)."""
    return sorted(results["sizes"].items(), key=lambda item: int(item[0]))


def targets(results: dict) -> list[str]:
    """The targets of issue 4, each with what this run measured (met, not met, or not measured)."""
    out = ["## Targets (issue 4), as measured in this run", ""]
    for n, entry in _by_size(results):
        fast = _stage_map(entry, "fast")
        if "import" in fast and "build" in fast:
            took = fast["import"]["seconds"] + fast["build"]["seconds"]
            peak = max([r.get("peak_rss_mib", 0) for r in fast.values()]
                       + [fast["import"].get("import_peak_rss_mib", 0)])
            verdict = "under" if took < 180 and peak < 4096 else "NOT under"
            parts = fast["import"].get("participations", 0)
            out.append(f"- {int(n):,} projects ({parts:,} participations): `scgraph import cordis` + "
                       f"`scgraph build` {took:.0f} s, peak memory {peak:.0f} MiB: {verdict} the "
                       "3 min / 4 GiB target.")
        qs = {r["stage"][6:]: r["seconds"] for r in entry.get("fast", {}).get("stages", [])
              if r["stage"].startswith("query:")}
        if qs:
            worst = max(qs, key=lambda k: qs[k])
            out.append(f"- {int(n):,} projects: slowest catalogue query {worst} {qs[worst]:.3f} s median "
                       f"({'all under' if qs[worst] < 1 else 'NOT all under'} 1 s).")
        if not entry.get("fast", {}).get("finished", True):
            done = [k for k in STAGE_ORDER if k in fast]
            out.append(f"- {int(n):,} projects: the fast stack did NOT finish within its budget "
                       f"({entry['fast']['wall']:.0f} s); stages done: {', '.join(done)} "
                       f"({sum(fast[k]['seconds'] for k in done):.0f} s); it was stopped in the next "
                       "stage. Import and build did NOT meet the 3 min target at this size.")
        if "analyses" in fast:
            a = fast["analyses"]
            if "error" in a:
                out.append(f"- {int(n):,} projects: analyses: {a['error']}.")
            else:
                out.append(f"- {int(n):,} projects: analyses {_fmt_s(a['seconds'])} s.")
        base = entry.get("baseline", {})
        fe, be = _end_to_end(fast), _end_to_end(_stage_map(entry, "baseline"))
        if base.get("finished") and fe and be:
            out.append(f"- {int(n):,} projects: end to end {be / fe:.0f}× faster than the baseline.")
        elif "finished" in base and fe and entry.get("fast", {}).get("finished"):
            done = sum(r["seconds"] for r in base.get("stages", []) if r["seconds"] == r["seconds"]
                       and not r["stage"].startswith("query:"))
            out.append(f"- {int(n):,} projects: the baseline did not finish within its budget "
                       f"({base.get('wall', 0):.0f} s; stages done: "
                       f"{', '.join(r['stage'] for r in base.get('stages', []) if not r['stage'].startswith('query:')) or 'none'}"
                       f", {done:.0f} s); the ratio is at least {base.get('wall', 0) / fe:.1f}×.")
    return out + [""]


NOTES = [
    "## How the fast stack works", "",
    "- **Import** (`scgraph import cordis DIR`) streams the CSV tables through the importer into "
    "`build/registry/cordis.nq` (N-Quads written line for line as Oxigraph writes them; a "
    "temporary file renamed only when every row was good).",
    "- **Build** (`scgraph build`, `scgraph.pipeline.store`): the curated graphs are assembled with "
    "rdflib and validated with pySHACL (a fixed few seconds), written out by an in-memory "
    "Oxigraph store, and then one bulk load fills a new generation of the on-disk store "
    "`build/store` with the curated graphs, the registry file and the inferred graph together "
    "(Oxigraph's bulk loader is much faster on one input than on several loads into one store).",
    "- **Reason**: the streaming engine (`scgraph.reason.stream`). The ontology's sub-property, "
    "inverse, symmetric, domain, range and sub-class axioms are closed first, so what they entail "
    "from a triple depends on that triple alone. A first pass over the files notes what is "
    "asserted; during the bulk load each registry line is followed by what it entails (a "
    "subject's types once per run of its triples, an object's range types once), minus what is "
    "asserted and what `reason.keep` drops, so the reasoning runs while the loader's threads "
    "index. Transitivity then reads the few triples of each transitive property once and closes "
    "them in Python (`transitive_step`), its answers expanded the same way, to a fixpoint; "
    "equality (`owl:sameAs`, two values of a functional property: one grouped scan per "
    "property) and consistency are checked in the store, and data with equality, or "
    "registry data stating schema, is reasoned the general way (`sparql` engine). "
    "`tests/test_reason_engines.py` proves that `owlrl` (the reference), `reasonable`, `sparql` "
    "and `stream` give the same inferred graph (curated graph, curated graph plus a CORDIS "
    "import, transitive chains through links the published graph leaves out, equality cases); "
    "`tests/test_store_build.py` that the store build makes the store that loading everything "
    "and reasoning in the store makes.",
    "- In the table, **load** is the store build's preparation and its one bulk load (with the "
    "reasoning that runs inside it), **reason** the first pass, transitivity and the equality "
    "and consistency checks, **validate** pySHACL on the curated part plus the SPARQL checks of "
    "`queries/checks/*.rq` on the registry part (`scgraph.validate.checks`; `tests/test_checks.py` shows "
    "they report exactly what pySHACL reports for those shapes on a broken registry fixture), "
    "and **build** the whole `scgraph build` (those three, the curated graph's dumps and the "
    "per-graph counts).",
    "- **Queries** run in the built on-disk store; the baseline runs them in rdflib. "
    "`analysis_edges`, `analysis_nodes` and `analysis_labels` are the analyses' bulk exports (one "
    "row per link, node or label of the whole network: 10^5 to 10^6 rows at registry scale); "
    "their time grows with the rows they return, at about 20 µs a row, so they are the three "
    "catalogue queries that take more than 1 s from 10^4 projects on. Every question of the "
    "catalogue stays at a few milliseconds at every size.",
    "- **The baseline** runs the same importer (to N-Quads), then parses everything into an rdflib "
    "Dataset, runs owlrl and pySHACL over everything, and the queries in rdflib. Where it does "
    "not finish within its budget, the ratio is a lower bound: the time it had used when stopped "
    "against the fast stack's whole run.",
    "- **The ratio at 10^5** is not measured: the baseline's reasoning alone (owlrl) takes minutes "
    "at 10^3 projects and grows faster than linearly, and pySHACL over everything about as long "
    "again; it was run only at 10^3 here (in an earlier run at 10^4, owlrl had not finished "
    "after 300 s). At 10^3 the fast stack is the end-to-end ratio above faster, and hundreds of "
    "times faster at reasoning; the fast stack's own times grow about linearly with size.",
    "- **The machine is shared** and its speed varies from run to run: the same import and "
    "build of 5×10^4 projects took 128 s in a run on 2026-11-23 and 174 s in one on 2026-12-02, "
    "with the same code on that path. Compare the stacks within one run, not across runs; the "
    "load average at the start and end of each size is in `bench/results.json` (`load`, from "
    "runs after 2026-12-02).",
    "- **10^6 projects** are not run here: the section \"Growth, and the plan for 10^6 "
    "projects\" below projects them from measured sizes up to 2x10^5 (`python "
    "bench/growth.py`); `python bench/run.py --sizes 1000000` runs them where there is time "
    "and disk.",
    "",
]


def _end_to_end(stages: dict[str, dict]) -> float | None:
    """Import, build (load + reason + validate) and the catalogue queries, in seconds."""
    keys = ["import", "build", "queries"] if "build" in stages else [
        "import", "load", "reason", "validate", "queries"]
    vals = [stages[k]["seconds"] for k in keys if k in stages]
    if len(vals) < len(keys) or any(v != v for v in vals):
        return None  # a stage missing (stopped) or failed
    return sum(vals)


def plot(results: dict, path: Path) -> None:
    import io as _io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from scgraph.files import write_atomic

    fig, ax = plt.subplots(figsize=(8, 5))
    sizes = [int(n) for n, _ in _by_size(results)]
    for stack, style in (("fast", "-o"), ("baseline", "--s")):
        for stage in ["import", "load", "reason", "validate", "queries", "analyses", "dump"]:
            xs, ys = [], []
            for n in sizes:
                r = _stage_map(results["sizes"][str(n)], stack).get(stage)
                if r and r["seconds"] == r["seconds"] and r["seconds"] > 0:
                    xs.append(n)
                    ys.append(r["seconds"])
            if xs:
                ax.plot(xs, ys, style, label=f"{stage} ({stack})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("projects")
    ax.set_ylabel("seconds")
    ax.set_title("scgraph: time per stage against size (log-log)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    buf = _io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    plt.close(fig)
    write_atomic(path, buf.getvalue())


def keep_sections(path: Path, page: str) -> str:
    """``page`` with the sections other benchmarks wrote into ``path`` between their markers
    (``<!-- NAME -->`` ... ``<!-- /NAME -->``, e.g. bench/startup.py's) kept at its end."""
    import re

    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    kept = [m.group(0) for m in re.finditer(r"(?ms)^<!-- ([\w-]+) -->$.*?^<!-- /\1 -->$", old)]
    return page.rstrip("\n") + "".join(f"\n\n{k}" for k in kept) + ("\n" if kept else "")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1000,10000,100000")
    p.add_argument("--baseline-max", type=int, default=10_000)
    p.add_argument("--budget", type=float, default=600.0, help="seconds per stack and size")
    p.add_argument("--baseline-budget", type=float, default=None, help="seconds for the baseline (default --budget)")
    p.add_argument("--runs", type=int, default=5, help="runs per query (median)")
    p.add_argument("--out", type=Path, default=REPO / "docs" / "performance.md")
    p.add_argument("--json", type=Path, default=HERE / "results.json")
    p.add_argument("--keep", type=Path, default=None, help=argparse.SUPPRESS)
    p.add_argument("--render-only", action="store_true", help="rewrite the page and plot from --json")
    p.add_argument("--analyses-budget", type=float, default=300.0, help="seconds for the analyses (0: skip)")
    p.add_argument("--child", choices=["fast", "baseline", "analyses"], help=argparse.SUPPRESS)
    for hidden in ("--data", "--nq", "--work", "--record"):
        p.add_argument(hidden, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        args.stack = args.child
        child(args)
        return

    from scgraph.files import write_atomic

    if args.render_only:
        results = json.loads(args.json.read_text(encoding="utf-8"))
        write_atomic(args.out, keep_sections(args.out, render(results, results["command"])))
        plot(results, args.out.with_name("performance-time.png"))
        return
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    command = "python bench/run.py " + " ".join(sys.argv[1:])
    started = time.perf_counter()
    results = measure(sizes, args.baseline_max, args.budget, args.runs, args.keep, args.baseline_budget,
                      args.analyses_budget)
    results["machine"] = machine()
    results["date"] = time.strftime("%Y-%m-%d")
    results["total_seconds"] = time.perf_counter() - started
    results["command"] = command
    write_atomic(args.json, json.dumps(results, indent=1, sort_keys=True) + "\n")
    write_atomic(args.out, keep_sections(args.out, render(results, command)))
    plot(results, args.out.with_name("performance-time.png"))
    print(f"wrote {args.out}, {args.out.with_name('performance-time.png')} and {args.json}", file=sys.stderr)


if __name__ == "__main__":
    main()
