"""How fast the interactive commands start, side by side with ``python -c "import rdflib"``.

    .venv/bin/python bench/startup.py [--runs 15] [--out docs/performance.md] [--before SRC]

Each command runs ``--runs`` times, the commands interleaved so that a busy machine slows all
of them alike; the table gives the median wall time and its ratio to the median of
``import rdflib`` in the same run. ``--before SRC`` runs each scgraph command a second time in
the same rounds with ``PYTHONPATH=SRC`` (an older checkout's ``src``, e.g. from
``git archive HEAD src | tar -x -C /tmp/before``), for a before/after column measured alike. The section between the ``startup`` markers of
docs/performance.md is replaced (``bench/run.py`` keeps it when it rewrites the page).
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
BEGIN, END = "<!-- startup -->", "<!-- /startup -->"
USER_FILE = REPO / "tests" / "data" / "user_sources" / "my_visit_notes.ttl"

COMMANDS = {
    'python -c "import rdflib" (the floor)': [sys.executable, "-c", "import rdflib"],
    "scgraph --help": [str(BIN / "scgraph"), "--help"],
    "scgraph build --reasoner foo (a usage error)": [str(BIN / "scgraph"), "build", "--reasoner", "foo"],
    "scgraph queries": [str(BIN / "scgraph"), "queries"],
    "scgraph query projects_per_country (curated build)": [str(BIN / "scgraph"), "query", "projects_per_country",
                                                    "--build-dir", "{build}", "-f", "csv"],
    f"scgraph validate (a {len(USER_FILE.read_text().splitlines())}-line source file)": [
        str(BIN / "scgraph"), "validate", str(USER_FILE)],
    "scgraph validate (the same file, cache off)": [str(BIN / "scgraph"), "validate", str(USER_FILE)],
}
#: Environment variables set for one command only.
ENV = {"scgraph validate (the same file, cache off)": {"SCGRAPH_NO_CACHE": "1"}}


def measure(runs: int, build: Path, cache: Path, before: Path | None = None) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    if before is not None:
        times.update({f"{name} [before]": [] for name in COMMANDS if name.startswith("scgraph")})
    # validate's cache (scgraph.validate.cache) in a fresh folder: its first run is the cold one
    env = {**os.environ, "COLUMNS": "100", "SCGRAPH_CACHE_DIR": str(cache)}
    env.pop("SCGRAPH_NO_CACHE", None)
    env.pop("PYTHONPATH", None)
    for _ in range(runs):
        for key, took in times.items():
            name = key.removesuffix(" [before]")
            extra = {"PYTHONPATH": str(before)} if key.endswith("[before]") else {}
            argv = [a.format(build=build) for a in COMMANDS[name]]
            t = time.perf_counter()
            proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  env={**env, **ENV.get(name, {}), **extra}, cwd=REPO)
            took.append(time.perf_counter() - t)
            expected = 2 if "usage error" in name else 0
            if proc.returncode != expected:  # a command that fails is not what is measured
                sys.exit(f"bench/startup.py: {' '.join(argv)} exited {proc.returncode}: "
                         f"{proc.stderr.decode(errors='replace').strip()[:200]}")
    return times


def load_average() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def section(times: dict[str, list[float]], runs: int, load: tuple[float, float], before: bool = False) -> str:
    floor = statistics.median(next(iter(times.values())))
    lines = [BEGIN, "## Interactive commands (median seconds)", "",
             f"`.venv/bin/python bench/startup.py --runs {runs}"
             + (" --before SRC" if before else "") + f"`, {date.today().isoformat()}, "
             f"{os.cpu_count()} cores, load average {load[0]:.2f} at the start and {load[1]:.2f} at the "
             f"end; Python {platform.python_version()}. Median of {runs} runs, the commands interleaved; "
             "the ratio is to `import rdflib` in the same run. `scgraph validate` keeps the parsed shapes, "
             "ontology and reference data in a per-user cache (docs/pipeline.md); the bench gives it a "
             f"fresh folder, so one of its {runs} runs is a cold start and the median is a warm one; "
             "the last row is every run without the cache."
             + (" The before column is the same command run in the same rounds from the source "
                "before the change (SRC), with the same packages." if before else ""), ""]
    if before:
        lines += ["| command | median (s) | ratio to import rdflib | before (s) | before: ratio |",
                  "|---|---:|---:|---:|---:|"]
    else:
        lines += ["| command | median (s) | ratio to import rdflib |", "|---|---:|---:|"]
    for name in COMMANDS:
        m = statistics.median(times[name])
        row = f"| {name} | {m:.3f} | {m / floor:.2f} |"
        if before:
            old = times.get(f"{name} [before]")
            row += f" {statistics.median(old):.3f} | {statistics.median(old) / floor:.2f} |" if old else " | |"
        lines.append(row)
    return "\n".join([*lines, "", END]) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=15)
    p.add_argument("--build", type=Path, default=REPO / "build", help="a curated build folder (scgraph build)")
    p.add_argument("--out", type=Path, default=REPO / "docs" / "performance.md")
    p.add_argument("--before", type=Path, default=None,
                   help="an older checkout's src folder: its commands run alike, for a before column")
    args = p.parse_args()
    if not (args.build / "dataset.nq").is_file():
        sys.exit(f"bench/startup.py: no {args.build / 'dataset.nq'}; run 'scgraph build' first")
    start = load_average()
    with tempfile.TemporaryDirectory(prefix="scgraph-startup-cache-") as cache:
        times = measure(args.runs, args.build, Path(cache), args.before)
    text = section(times, args.runs, (start, load_average()), args.before is not None)
    print(text, end="")
    replace_section(args.out, "startup", text)


if __name__ == "__main__":
    main()
