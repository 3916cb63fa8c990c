"""The catalogue and the registry checks on three engines at benchmark scale (issue 16).

    python bench/engines.py [--projects 10000] [--out docs/performance.md] [--keep DIR]

Generates synthetic CORDIS tables (bench/generate_cordis.py), imports them once
(``scgraph import cordis DIR --build-dir B``), then builds and analyses the same graph three
times, each with the commands a user runs, one engine at a time:

- embedded: ``scgraph build --out B`` and ``scgraph analyse --build-dir B`` (Oxigraph on disk);
- Oxigraph server (the ``oxigraph`` wheel's ``oxigraph serve --union-default-graph``, on
  127.0.0.1, holding scgraph's graphs only, so ``;dataset=union``):
  ``scgraph build --out B2 --registry B/registry/cordis.nq --store 'sparql:URL;dataset=union'``
  and ``scgraph analyse --build-dir B2 --store 'sparql:URL;dataset=union'``;
- Virtuoso (Debian's ``virtuoso-t``, a private one on 127.0.0.1, tests/virtuoso_fixtures.py,
  ``ResultSetMaxRows`` 10,000 as in Debian's ini, so answers past it are paged): the same.

Each step is a child process, timed, its peak RSS read with ``os.wait4``. Then, for each engine
in a child process of its own (timed, peak RSS likewise), every catalogue question (its
example parameters, as tests/test_engines_catalogue.py takes them) and every registry check
runs once; the answers are compared with the embedded store's as multisets of canonical rows
(tests/test_engines_catalogue.py ``canonical``: numbers by their canonical lexical form, blank
nodes as one mark). The table goes to docs/performance.md between ``<!-- engines -->`` markers.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "bench"), str(ROOT / "tests")]

from sections import replace_section  # noqa: E402

ENGINES = ("embedded", "oxigraph-server", "virtuoso")
#: Virtuoso's TransactionAfterImageLimit (bytes) for the bench: at its default (50,000,000) one
#: update of the build of 10^4 projects is refused (SR325; docs/serving.md).
AFTER_IMAGE = 1_500_000_000
TITLES = {"embedded": "embedded", "oxigraph-server": "Oxigraph server", "virtuoso": "Virtuoso"}


# --------------------------------------------------------------------------- child processes


def run_child(args: list[str], log: Path, env: dict[str, str] | None = None,
              timeout: float | None = None) -> dict:
    """Run ``args``; its wall time, peak RSS (MiB, ``os.wait4``) and exit status; ended (and
    marked ``stopped``) after ``timeout`` seconds."""
    import threading

    t = time.perf_counter()
    with log.open("ab") as out:
        out.write(f"$ {' '.join(args)}\n".encode())
        out.flush()
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                                env={**os.environ, **(env or {})})
        timer = threading.Timer(timeout, proc.kill) if timeout else None
        if timer is not None:
            timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        if timer is not None:
            timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "peak_mib": usage.ru_maxrss / 1024, "rc": proc.returncode,
            "stopped": bool(timeout and seconds >= timeout)}


def scgraph(*args: str) -> list[str]:
    return [sys.executable, "-m", "scgraph", *args]


def answer_questions(spec: str, out: Path, limit: float, until: float) -> int:
    """In a child: every question and check on ``spec`` not yet in ``out`` (JSON lines, one per
    answer: canonical rows and time, or the error), appended as each ends. Returns 3 when one
    ran past ``limit`` seconds (the engine may still be busy with it: restart it), 4 when the
    clock passed ``until`` (seconds since the epoch) before all were asked, else 0."""
    from test_engines_catalogue import answer, example

    from scgraph import catalogue
    from scgraph.store import open_query_store
    from scgraph.validate import checks

    done = {(d["part"], d["name"]) for d in _lines(out)}
    store = open_query_store(spec)
    todo: list[tuple[str, str, object]] = [("questions", n, q) for n, q in sorted(catalogue.load_catalogue().items())]
    todo += [("checks", c.name, c) for c in checks.load_checks()]
    for part, name, item in todo:
        if (part, name) in done:
            continue
        if time.time() > until:
            return 4
        t = time.perf_counter()
        entry: dict = {"part": part, "name": name}
        try:
            if part == "questions":
                rows = answer(catalogue.run(store, item, example(item)))  # type: ignore[arg-type]
                entry["rows"] = sorted([list(k), v] for k, v in rows.items())
            else:
                found = checks.run_checks(store, [item])  # type: ignore[arg-type,list-item]
                entry["rows"] = sorted(json.dumps([str(x) for x in (v.focus, v.path, v.component, v.value)])
                                       for v in found)
        except Exception as e:  # noqa: BLE001 - an engine's refusal is a result here
            entry["error"] = " ".join(str(e).split())[:300]
        entry["seconds"] = time.perf_counter() - t
        late = "error" in entry and entry["seconds"] >= limit * 0.95
        if late:
            entry["error"] = f"no answer within the bench's limit of {limit:g} s"
        with out.open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
        print(f"{part} {name}: {entry['seconds']:.2f} s", file=sys.stderr, flush=True)
        if late:
            return 3
    return 0


def _todo() -> list[tuple[str, str]]:
    """The questions and checks in the order :func:`answer_questions` asks them."""
    from scgraph import catalogue
    from scgraph.validate import checks

    return ([("questions", n) for n in sorted(catalogue.load_catalogue())]
            + [("checks", c.name) for c in checks.load_checks()])


def run_answers(args: list[str], log: Path, env: dict[str, str], answers: Path, limit: float) -> dict:
    """:func:`run_child` for the answering child, watched: when no answer comes for ``limit``
    seconds (an embedded query cannot be stopped from inside), the child is ended, the question
    it was on is recorded as not answered in time, and the result asks for a restart (rc 3)."""
    t = time.perf_counter()
    with log.open("ab") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                                env={**os.environ, **env})
        seen, since, killed = len(_lines(answers)), time.monotonic(), False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            time.sleep(0.5)
            now = len(_lines(answers))
            if now != seen:
                seen, since = now, time.monotonic()
            elif time.monotonic() - since > limit + 10 and not killed:
                proc.kill()
                killed = True
    rc = 3 if killed else os.waitstatus_to_exitcode(status)
    if killed:
        done = {(d["part"], d["name"]) for d in _lines(answers)}
        pending = [item for item in _todo() if item not in done]
        if pending:
            part, name = pending[0]
            with answers.open("a", encoding="utf-8") as f:
                f.write(json.dumps({"part": part, "name": name, "seconds": limit,
                                    "error": f"no answer within the bench's limit of {limit:g} s "
                                             "(the client was ended)"}) + "\n")
    return {"seconds": time.perf_counter() - t, "peak_mib": usage.ru_maxrss / 1024, "rc": rc}


def _lines(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


# --------------------------------------------------------------------------- one engine


def start_virtuoso(stack: contextlib.ExitStack, db: Path, seconds: int, cost: int = 400) -> str:
    """A private Virtuoso on ``db`` (made or reopened), entered on ``stack``: Debian's settings
    with ``ResultSetMaxRows`` 10,000, ``MaxQueryExecutionTime`` ``seconds`` and
    ``MaxQueryCostEstimationTime`` ``cost`` (400 s as Debian ships it for the questions; the
    build and the analysis need it raised: Virtuoso refuses analysis_mechanisms at 400). Its
    ``sparql:`` spec."""
    import virtuoso_fixtures
    from virtuoso_fixtures import virtuoso_server

    default_ini = virtuoso_fixtures.INI
    virtuoso_fixtures.INI = default_ini.replace("MaxQueryCostEstimationTime = 400",
                                                f"MaxQueryCostEstimationTime = {cost}")
    isql = virtuoso_fixtures.Virtuoso.isql

    def granted_once(self, *statements: str, timeout: float = 120) -> str:
        try:  # a restarted database has its grants already, refused a second time
            return isql(self, *statements, timeout=timeout)
        except RuntimeError as e:
            if "already have role" not in str(e):
                raise
            return isql(self, *statements[1:], timeout=timeout) if statements[1:] else ""

    virtuoso_fixtures.Virtuoso.isql = granted_once  # type: ignore[method-assign]
    try:
        v = stack.enter_context(virtuoso_server(db, max_rows=10_000, max_seconds=seconds, buffers=170_000,
                                                after_image=AFTER_IMAGE))
    finally:
        virtuoso_fixtures.INI = default_ini
        virtuoso_fixtures.Virtuoso.isql = isql  # type: ignore[method-assign]
    base = v.url.rsplit("/", 1)[0]
    return f"sparql:{v.url};update={v.url};store={base}/sparql-graph-crud"


def engine_run(engine: str, work: Path, registry: Path, log: Path, limit: float, budget: float,
               step_limit: float) -> dict:
    """Build, analyse and ask on one engine; what each step took."""
    from reliability_fixtures import OXIGRAPH, oxigraph_server
    from virtuoso_fixtures import VIRTUOSO

    steps: dict = {}
    env = {"SCGRAPH_SPARQL_TIMEOUT": "1800", "SCGRAPH_SPARQL_DEADLINE": "3600"}

    def on(spec: str, out: Path, builds: list[str], restart=None, before_questions=None) -> None:
        steps["build"] = run_child(scgraph("build", "--out", str(out), *builds, "-q"), log, env, step_limit)
        if steps["build"]["rc"] != 0:
            steps["analyse"] = steps["questions"] = {"seconds": None, "peak_mib": 0, "rc": None}
            steps["answers"] = {"questions": {}, "checks": {}}
            return
        extra = [] if spec.startswith("oxigraph:") else ["--store", spec]
        steps["analyse"] = run_child(scgraph("analyse", "--build-dir", str(out), *extra, "-q"), log, env,
                                     step_limit)
        if before_questions is not None:
            spec = before_questions()
        answers = work / f"{engine}.jsonl"
        total = {"seconds": 0.0, "peak_mib": 0.0, "restarts": 0, "out_of_budget": False}
        limited = {"SCGRAPH_SPARQL_TIMEOUT": str(limit), "SCGRAPH_SPARQL_DEADLINE": str(limit)}
        until = time.time() + budget
        while True:
            r = run_answers([sys.executable, __file__, "--answer", spec, str(answers), "--limit", str(limit),
                             "--until", str(until)], log, limited, answers, limit)
            total["out_of_budget"] = r["rc"] == 4
            total["seconds"] += r["seconds"]
            total["peak_mib"] = max(total["peak_mib"], r["peak_mib"])
            if r["rc"] != 3:
                break
            total["restarts"] += 1
            if restart is not None:  # the engine may still be busy with the query: a fresh one
                spec = restart()
        steps["questions"] = total
        found = _lines(answers)
        steps["answers"] = {part: {d["name"]: d for d in found if d["part"] == part}
                            for part in ("questions", "checks")}

    if engine == "embedded":
        out = work / "build"  # the import's build folder: its registry/cordis.nq
        on(f"oxigraph:{out / 'store'}", out, [])
    elif engine == "oxigraph-server":
        if OXIGRAPH is None:
            return {"skipped": "the oxigraph server is not installed"}
        # a server of scgraph's graphs only: its default graph their union, so queries go
        # with no protocol dataset (;dataset=union; docs/serving.md)
        with contextlib.ExitStack() as stack:
            url = stack.enter_context(oxigraph_server(work / "oxigraph-db", "--union-default-graph", start_s=600))

            def restart() -> str:
                stack.close()  # the same database, a fresh server (and port)
                fresh = stack.enter_context(oxigraph_server(work / "oxigraph-db", "--union-default-graph", start_s=600))
                return f"sparql:{fresh};dataset=union"

            spec = f"sparql:{url};dataset=union"
            on(spec, work / "build-oxigraph", ["--registry", str(registry), "--store", spec])
    else:
        if VIRTUOSO is None:
            return {"skipped": "Virtuoso (virtuoso-t) is not installed"}

        def start(seconds: int, cost: int = 400) -> str:
            return start_virtuoso(stack, work / "virtuoso-db", seconds, cost)

        def questions() -> str:
            stack.close()  # the same database, restarted with the questions' time limit, which
            return start(int(limit))  # Virtuoso enforces itself (MaxQueryExecutionTime)

        with contextlib.ExitStack() as stack:
            spec = start(3600, cost=100_000)
            on(spec, work / "build-virtuoso", ["--registry", str(registry), "--store", spec],
               before_questions=questions)
    return steps


# --------------------------------------------------------------------------- report


def _s(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}" if x < 10 else f"{x:.1f}"


def render(results: dict, command: str) -> str:
    from run import machine

    m = machine()
    for e in ENGINES:
        results["engines"].setdefault(e, {"skipped": "not reached: the run was stopped"})
    engines = [e for e in ENGINES if "skipped" not in results["engines"][e]]
    emb = results["engines"]["embedded"]["answers"]
    lines = [
        "<!-- engines -->",
        "## The catalogue on three engines (issue 16)",
        "",
        f"`{command}`, {results['date']}, {m['cores']} cores ({m['cpu']}), load average "
        f"{results['load'][0]:.2f} at the start and {results['load_end'][0]:.2f} at the end; "
        f"Python {m['python']}. {results['projects']:,} synthetic projects "
        f"(bench/generate_cordis.py), imported once with `scgraph import cordis` "
        f"({_s(results['import']['seconds'])} s), then built and analysed on each engine with the "
        "commands a user runs (`scgraph build --store sparql:URL`, `scgraph analyse --store "
        "sparql:URL`; the embedded store: `scgraph build`, `scgraph analyse`), one engine at a "
        "time, the engine on the same machine (127.0.0.1). Oxigraph server runs with "
        "`--union-default-graph` and holds scgraph's graphs only, so its spec is "
        "`sparql:URL;dataset=union` (queries go with no protocol dataset; docs/serving.md). "
        "Virtuoso is Debian's 7.2 with "
        "`ResultSetMaxRows` 10,000 (answers past it are paged) and `TransactionAfterImageLimit` "
        f"{AFTER_IMAGE:,} bytes (at its default, 50,000,000, one update of the build of 10^4 "
        "projects is refused); it builds and analyses with "
        "`MaxQueryCostEstimationTime` raised (at Debian's 400 s it refused a query of the "
        "analysis) and answers the questions with Debian's 400 s. A question gets "
        f"{results['limit']:g} s on each engine (Virtuoso's `MaxQueryExecutionTime`; past it the "
        "client is ended and the next question asked, so on the embedded store and on Oxigraph "
        "server the next questions may run while the engine still works on the abandoned one). "
        "Peak RSS is the scgraph client's (`os.wait4` of each child), not the engine's.",
        "",
        "| engine | build (s) | build peak RSS (MiB) | analyse (s) | analyse peak RSS (MiB) | questions + checks (s) | their peak RSS (MiB) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for e in ENGINES:
        r = results["engines"].get(e, {})
        if "skipped" in r:
            lines.append(f"| {TITLES[e]} | skipped: {r['skipped']} | | | | | |")
            continue
        b, a, q = r["build"], r["analyse"], r["questions"]
        def note(step: dict) -> str:
            return " (stopped)" if step.get("stopped") else "" if step.get("rc") in (0, None) else " (failed)"

        lines.append(f"| {TITLES[e]} | {_s(b['seconds'])}{note(b)} | {b['peak_mib']:.0f} | {_s(a['seconds'])}{note(a)} | "
                     f"{a['peak_mib']:.0f} | {_s(q['seconds'])} | {q['peak_mib']:.0f} |")
    head = "| question | " + " | ".join(f"{TITLES[e]} rows" for e in engines) + " | " + \
        " | ".join(f"{TITLES[e]} = embedded" for e in engines if e != "embedded") + " | " + \
        " | ".join(f"{TITLES[e]} (s)" for e in engines) + " |"
    lines += ["", "Per question (example parameters from the `.rq` headers) and per registry check "
              "(rows: violations): rows on each engine, whether the answer is the embedded store's "
              "(canonical rows compared as multisets, as tests/test_engines_catalogue.py does), "
              "and the time of the one run.", "", head,
              "|---|" + "---:|" * len(engines) + "---|" * (len(engines) - 1) + "---:|" * len(engines)]
    totals = Counter()
    for part, prefix in (("questions", ""), ("checks", "check: ")):
        for name in sorted(emb[part]):
            cells, same, times = [], [], []
            for e in engines:
                got = results["engines"][e]["answers"][part].get(name, {})
                if not got:
                    cells.append("not run")
                    got = {"error": "not run (out of the engine's --budget)"}
                elif "error" in got:
                    cells.append("error")
                else:
                    rows = got.get("rows", [])
                    cells.append(f"{sum(c for _, c in rows) if part == 'questions' else len(rows):,}")
                times.append(_s(got.get("seconds")))
                if e != "embedded" and "error" in emb[part][name]:
                    same.append("– (no embedded answer)")
                    continue
                if e != "embedded":
                    ok = "error" not in got and got.get("rows") == emb[part][name].get("rows")
                    if not got.get("error", "").startswith("not run"):
                        totals[(e, ok)] += 1
                    same.append("yes" if ok else ("–" if got.get("error", "").startswith("not run")
                                                  else "**error**" if "error" in got else "**no**"))
            lines.append(f"| {prefix}{name} | " + " | ".join(cells) + " | " + " | ".join(same) + " | "
                         + " | ".join(times) + " |")
    lines.append("")
    for e in engines:
        if e != "embedded":
            lines.append(f"- {TITLES[e]}: {totals[(e, True)]} of {totals[(e, True)] + totals[(e, False)]} "
                         "answers (of those it gave) equal to the embedded store's.")
    errors = [(e, n, got["error"]) for e in engines for part in ("questions", "checks")
              for n, got in results["engines"][e]["answers"][part].items() if "error" in got]
    for e, n, text in errors:
        lines.append(f"- {TITLES[e]}, `{n}`: {text[:200]}")
    for e in engines:
        q = results["engines"][e]["questions"]
        if q.get("restarts"):
            lines.append(f"- {TITLES[e]}: {q['restarts']} question(s) past the limit (the client ended, the next asked).")
        if q.get("out_of_budget"):
            lines.append(f"- {TITLES[e]}: the questions' budget ({results['budget']:g} s) ran out; "
                         "the rest were not run.")
    if results.get("note"):
        lines += ["", results["note"]]
    lines.append("<!-- /engines -->")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    parser.add_argument("--keep", type=Path, default=None, help="work folder to keep (default: a temporary one, removed)")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw results here")
    parser.add_argument("--limit", type=float, default=120.0,
                        help="seconds one question may take on an engine (default 120)")
    parser.add_argument("--budget", type=float, default=900.0,
                        help="seconds for all the questions and checks on one engine (default 900); "
                             "those not asked by then are reported as not run")
    parser.add_argument("--step-limit", type=float, default=1200.0,
                        help="seconds a build or an analysis may take (default 1200); a build "
                             "stopped or failed leaves the engine without answers")
    parser.add_argument("--until", type=float, default=float("inf"), help=argparse.SUPPRESS)
    parser.add_argument("--answer", nargs=2, metavar=("SPEC", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--from-json", type=Path, default=None,
                        help="write the section from the raw results of an earlier run (--json)")
    parser.add_argument("--resume", type=Path, default=None,
                        help="the raw results (--json) of an earlier run whose work folder was "
                             "kept (--keep, same folder): run again only the engines --engines "
                             "names, on the same data, and keep the others' results")
    parser.add_argument("--engines", default=",".join(ENGINES),
                        help=f"the engines to run, comma-separated (default: {','.join(ENGINES)})")
    parser.add_argument("--note", default="", help="a sentence for the section (how it was run)")
    args = parser.parse_args()
    if args.from_json:
        results = json.loads(args.from_json.read_text("utf-8"))
        replace_section(args.out, "engines", render(results, results["command"]))
        return
    if args.answer:
        sys.exit(answer_questions(args.answer[0], Path(args.answer[1]), args.limit, args.until))
    from generate_cordis import generate

    command = "python bench/engines.py" + (f" --projects {args.projects}" if args.projects != 10_000 else "") \
        + (f" --limit {args.limit:g}" if args.limit != 120.0 else "") \
        + (f" --budget {args.budget:g}" if args.budget != 900.0 else "") \
        + (f" --step-limit {args.step_limit:g}" if args.step_limit != 1200.0 else "")
    chosen = [e for e in ENGINES if e in args.engines.split(",")]
    if args.resume and not args.keep:
        raise SystemExit("--resume needs --keep: the work folder of the run it resumes")
    work = args.keep or Path(tempfile.mkdtemp(prefix="scgraph-engines-"))
    work.mkdir(parents=True, exist_ok=True)
    log = work / "log.txt"
    try:
        if args.resume:  # the same data: the earlier run's import, its embedded build
            results = json.loads(args.resume.read_text("utf-8"))
            command = results["command"]
            results["load_resumed"] = os.getloadavg()
            for engine in chosen:
                results["engines"].pop(engine, None)
                shutil.rmtree(work / {"oxigraph-server": "oxigraph-db", "virtuoso": "virtuoso-db"}
                              .get(engine, "none"), ignore_errors=True)
                with contextlib.suppress(FileNotFoundError):
                    (work / f"{engine}.jsonl").unlink()
        else:
            results = {"projects": args.projects, "date": date.today().isoformat(), "limit": args.limit,
                       "budget": args.budget, "command": command, "load": os.getloadavg(), "engines": {}}
            t = time.perf_counter()
            generate(work / "cordis", args.projects)
            results["generate"] = time.perf_counter() - t
            results["import"] = run_child(scgraph("import", "cordis", str(work / "cordis"), "--build-dir",
                                                  str(work / "build"), "-q"), log)
            if results["import"]["rc"] != 0:
                raise SystemExit(f"the import failed, see {log}")
        if args.note:
            results["note"] = args.note
        registry = work / "build" / "registry" / "cordis.nq"
        for engine in chosen:
            started = time.perf_counter()
            results["engines"][engine] = engine_run(engine, work, registry, log, args.limit, args.budget,
                                                     args.step_limit)
            print(f"{engine}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
            results["load_end"] = os.getloadavg()
            if args.json:  # after each engine: what is done survives a run stopped later
                args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
        replace_section(args.out, "engines", render(results, command))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
