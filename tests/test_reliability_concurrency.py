"""Two commands on one build folder at once (issue 14, class 1), with real processes.

- **Writers exclude each other.** ``build``, ``import cordis`` and ``analyse`` hold the build
  folder's writers' lock (``BUILD/.lock``, an advisory ``flock``) for their whole run. Started
  at the same moment, exactly one of two writers runs; the other exits 1 at once with one line
  naming the first (its pid and command), and the folder is what the winner alone makes.
- **No reader loses its generation.** A reader holds the store generation it opened (a shared
  lock on ``GEN/.readers``); no writer prunes it while it does. Readers in a loop while builds
  run one after another never see an error or a different answer.
- **A store that should be there and is not is an error**, for every command, never an
  answer from the curated dumps (which hold no registry data).

Each race runs ``ROUNDS`` times (``SCGRAPH_RACE_ROUNDS``, default 4 for two builds, half that
for each other pair), on a copy of the tiny project with the 100-project CORDIS sample imported.
The writer that takes the lock holds it ``HOLD`` seconds before it starts its work (the test
hook ``SCGRAPH_TEST_HOLD_LOCK``, :func:`scgraph.files.hold_point`): a build of the sample takes
less time than a process's start-up jitter, so without it the second command could find the
folder free again and the race would test the clock, not the lock. Which command wins is
still left to the race.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from reliability_fixtures import REPO, SCGRAPH, Project, copy_project, fingerprint, make_project

from scgraph import files
from scgraph.errors import StoreError
from scgraph.layout import BuildFolder
from scgraph.store import OxigraphStore, open_query_store, replace_store

pytestmark = pytest.mark.slow

ROUNDS = int(os.environ.get("SCGRAPH_RACE_ROUNDS", "4"))
#: seconds the winner of a race holds the writers' lock before it works
HOLD = "2.5"
SAMPLE = REPO / "tests" / "data" / "cordis" / "sample"
QUERIES = REPO / "src" / "scgraph" / "queries"

#: triples per named graph: what every reader must answer, whoever wrote the folder last
COUNT = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g\n"

LOCKED = re.compile(
    r"Error: (?P<folder>\S+): another scgraph command \(pid (?P<pid>\d+), '(?P<command>[a-z ]+)', "
    r"started \d\d:\d\d:\d\d\) is writing this build folder; wait for it or use another "
    r"--out/--build-dir\n")

BUILD = ["build", "-q", "--out", "build"]
IMPORT = ["import", "cordis", str(SAMPLE), "--skip-invalid", "-q", "--build-dir", "build"]
IMPORT_STORE = [*IMPORT, "--store", "oxigraph:build/store"]
ANALYSE = ["analyse", "-q", "--build-dir", "build"]
COMMAND = {"build": "build", "import": "import cordis", "analyse": "analyse"}


# --------------------------------------------------------------------------- fixtures


def _count(project: Project) -> str:
    r = project.run("query", str(project.root / "count.rq"), "-f", "csv", "-q", "--build-dir", "build")
    assert (r.returncode, r.stderr) == (0, ""), r.stderr
    return r.stdout


def _ok(project: Project, *args: str) -> None:
    r = project.run(*args)
    assert (r.returncode, r.stderr) == (0, ""), r.stderr


@dataclass
class Reference:
    """A project in a known state, with its fingerprint and the answer of the count query."""

    project: Project
    fingerprint: dict[str, str]
    count: str


def _stable(fp: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in fp.items() if k != "store -> "}  # the generation's name has a time


def _reference(project: Project) -> Reference:
    return Reference(project, _stable(fingerprint(project)), _count(project))


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """The tiny project (with the analyses' queries) built, the CORDIS sample imported into
    BUILD/registry/ and built into the store."""
    project = make_project(tmp_path_factory.mktemp("registry"))
    for q in QUERIES.glob("analysis_*.rq"):
        shutil.copy(q, project.root / "queries" / q.name)
    (project.root / "count.rq").write_text(COUNT, encoding="utf-8")
    _ok(project, *IMPORT)
    _ok(project, *BUILD)
    return _reference(project)


@pytest.fixture(scope="module")
def analysed(registry: Reference, tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """``registry`` then ``analyse`` (BUILD/analysis, and graph:analysis in the store)."""
    project = copy_project(registry.project, tmp_path_factory.mktemp("analysed"))
    _ok(project, *ANALYSE)
    return _reference(project)


# --------------------------------------------------------------------------- helpers


@dataclass
class Ran:
    name: str
    pid: int
    code: int
    stderr: str


def _race(project: Project, **commands: list[str]) -> list[Ran]:
    """Start the commands at the same moment on ``project``; wait for all of them."""
    procs = {name: subprocess.Popen([*SCGRAPH, *args], cwd=project.root,
                                    env=project.env(SCGRAPH_TEST_HOLD_LOCK=HOLD),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for name, args in commands.items()}
    ran = []
    for name, proc in procs.items():
        _out, err = proc.communicate(timeout=180)
        ran.append(Ran(name, proc.pid, proc.returncode, err))
    return ran


def _one_wins(ran: list[Ran]) -> tuple[Ran, Ran]:
    """Exactly one command ran (exit 0, nothing on stderr); the other exited 1 with one line
    naming it. Returns (winner, loser)."""
    assert sorted(r.code for r in ran) == [0, 1], [(r.name, r.code, r.stderr) for r in ran]
    winner = next(r for r in ran if r.code == 0)
    loser = next(r for r in ran if r.code == 1)
    assert winner.stderr == ""
    m = LOCKED.fullmatch(loser.stderr)
    assert m, loser.stderr
    assert (m["folder"], int(m["pid"]), m["command"]) == ("build", winner.pid, COMMAND[winner.name.rstrip("2")])
    return winner, loser


def _hidden(project: Project) -> list[str]:
    """Hidden entries of the build folder other than the generations of the files and store:
    a lock file left behind, a half-removed generation."""
    return sorted(p.name for p in project.build.iterdir()
                  if p.name.startswith(".") and p.name != ".outputs" and not p.name.startswith(".store.gen-"))


def _consistent(project: Project, ref: Reference) -> None:
    """The store link resolves, readers answer as in ``ref``, and the folder is ``ref``'s."""
    assert project.store.resolve().is_dir()
    assert _stable(fingerprint(project)) == ref.fingerprint
    assert _count(project) == ref.count
    assert _hidden(project) == []
    assert len(files.generations(project.store)) <= 2  # the current one and the previous one


# --------------------------------------------------------------------------- writers


def test_two_builds_at_once_one_runs_the_other_fails_fast(registry: Reference, tmp_path: Path) -> None:
    project = copy_project(registry.project, tmp_path)
    for _ in range(ROUNDS):
        _one_wins(_race(project, build=BUILD, build2=BUILD))
        _consistent(project, registry)


@pytest.mark.parametrize("target", ["registry", "store"])
def test_build_and_import_at_once(registry: Reference, tmp_path: Path, target: str) -> None:
    """``import cordis`` into BUILD/registry/ (default) or into BUILD/store, against a build.
    The loser wrote nothing; run again, it gives the folder both give one after the other."""
    project = copy_project(registry.project, tmp_path)
    importing = IMPORT if target == "registry" else IMPORT_STORE
    _ok(project, *importing)
    _ok(project, *BUILD)
    ref = _reference(project)
    for _ in range(max(1, ROUNDS // 2)):
        before = _stable(fingerprint(project))
        _winner, loser = _one_wins(_race(project, build=BUILD, **{"import": importing}))
        assert _stable(fingerprint(project)) == before  # the same data: the loser changed nothing
        _ok(project, *(BUILD if loser.name == "build" else importing))
        _consistent(project, ref)


def test_build_and_analyse_at_once(analysed: Reference, tmp_path: Path) -> None:
    """``analyse`` (BUILD/analysis and graph:analysis in BUILD/store) against a build: one
    runs; after the loser and one more analyse, the folder is the analysed one."""
    project = copy_project(analysed.project, tmp_path)
    for _ in range(max(1, ROUNDS // 2)):
        _winner, loser = _one_wins(_race(project, build=BUILD, analyse=ANALYSE))
        _ok(project, *(BUILD if loser.name == "build" else ANALYSE))
        _ok(project, *ANALYSE)  # a build drops graph:analysis; the analysis puts it back
        _consistent(project, analysed)


def test_import_and_analyse_at_once(analysed: Reference, tmp_path: Path) -> None:
    project = copy_project(analysed.project, tmp_path)
    for _ in range(max(1, ROUNDS // 2)):
        _one_wins(_race(project, analyse=ANALYSE, **{"import": IMPORT}))
        _consistent(project, analysed)


def test_a_held_lock_fails_a_writer_at_once_and_changes_nothing(registry: Reference, tmp_path: Path) -> None:
    project = copy_project(registry.project, tmp_path)
    before = fingerprint(project)
    with BuildFolder(project.build).writing("analyse") as held:
        assert held.lock.read_text().split("\n")[:2] == [str(os.getpid()), "analyse"]
        for args in (BUILD, IMPORT, IMPORT_STORE, ANALYSE):
            t = time.monotonic()
            r = project.run(*args)
            assert r.returncode == 1 and time.monotonic() - t < 30
            m = LOCKED.fullmatch(r.stderr)
            assert m and (int(m["pid"]), m["command"]) == (os.getpid(), "analyse"), r.stderr
            assert fingerprint(project) == before
    assert not BuildFolder(project.build).lock.exists()  # removed with the lock
    # the API takes the lock itself
    with BuildFolder(project.build).writing("import cordis"):
        from scgraph.pipeline import build

        with pytest.raises(StoreError, match=r"another scgraph command \(pid \d+, 'import cordis'"):
            build(project.build, root=project.root)


def test_a_killed_writer_leaves_no_lock(registry: Reference, tmp_path: Path) -> None:
    """flock is released by the kernel when its process ends, however it ends."""
    project = copy_project(registry.project, tmp_path)
    script = ("import sys, time\nfrom scgraph.layout import BuildFolder\n"
              "with BuildFolder(sys.argv[1]).writing('build'):\n"
              "    print('held', flush=True)\n    time.sleep(600)\n")
    holder = subprocess.Popen([sys.executable, "-c", script, str(project.build)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        r = project.run(*BUILD)
        assert r.returncode == 1 and f"(pid {holder.pid}, 'build', started " in r.stderr
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(30)
    assert BuildFolder(project.build).lock.exists()  # left by the kill, but not held
    _ok(project, *BUILD)
    _consistent(project, registry)


# --------------------------------------------------------------------------- readers


def _answer(path: Path) -> list[tuple[object, ...]]:
    store = open_query_store(BuildFolder(path).default_store())
    try:
        return sorted(store.query(COUNT).rows)
    finally:
        store.close()


def test_a_generation_a_reader_holds_is_not_pruned(registry: Reference, tmp_path: Path) -> None:
    project = copy_project(registry.project, tmp_path)
    expected = _answer(project.build)
    reader = open_query_store(BuildFolder(project.build).default_store())
    assert isinstance(reader, OxigraphStore) and reader._hold is not None
    held = reader._hold.folder
    for _ in range(3):  # a writer keeps only the current and the previous generation
        _ok(project, *BUILD)
    assert project.store.resolve() != held and held.is_dir()
    assert sorted(reader.query(COUNT).rows) == expected
    reader.close()
    _ok(project, *BUILD)  # the next writer prunes it
    assert not held.exists()
    _consistent(project, registry)


def test_replace_store_keeps_a_held_generation(tmp_path: Path) -> None:
    path = tmp_path / "store"
    from rdflib import Literal

    from scgraph.namespaces import GRAPH, ID

    def fill(n: int) -> None:
        with replace_store(path) as s:
            s.load_quads((ID[f"t/{i}"], ID["p"], Literal(i), GRAPH["source/x"]) for i in range(n))

    fill(1)
    reader = OxigraphStore(path, read_only=True)
    first = path.resolve()
    for n in (2, 3, 4):
        fill(n)
    assert first.is_dir() and len(reader) == 1
    assert first in files.generations(path) and len(files.generations(path)) == 3  # + current, previous
    reader.close()
    fill(5)
    assert not first.exists() and len(files.generations(path)) == 2
    assert not list(tmp_path.glob(".store.trash-*"))


def test_readers_while_builds_run_never_fail_nor_answer_otherwise(registry: Reference, tmp_path: Path) -> None:
    """In-process readers (open, query, close, again) and ``scgraph query`` in a loop, while
    builds and imports into the store run one after another."""
    project = copy_project(registry.project, tmp_path)
    expected = _answer(project.build)
    stop = threading.Event()
    answers: list[object] = []
    cli: list[tuple[int, str, str]] = []

    def read_in_process() -> None:
        while not stop.is_set():
            try:
                answers.append(_answer(project.build))
            except Exception as e:  # noqa: BLE001 - recorded, asserted below
                answers.append(e)

    def read_with_the_cli() -> None:
        while not stop.is_set():
            r = project.run("query", str(project.root / "count.rq"), "-f", "csv", "-q", "--build-dir", "build")
            cli.append((r.returncode, r.stdout, r.stderr))

    threads = [threading.Thread(target=read_in_process), threading.Thread(target=read_with_the_cli)]
    for t in threads:
        t.start()
    try:
        for _ in range(max(2, ROUNDS // 2)):
            _ok(project, *BUILD)
            _ok(project, *IMPORT_STORE)
    finally:
        stop.set()
        for t in threads:
            t.join(120)
    assert len(answers) > 10 and cli, (len(answers), len(cli))
    assert [a for a in answers if a != expected] == []
    assert {c for c in cli} == {(0, registry.count, "")}


# --------------------------------------------------------------------------- a store that is not there


def _dangle(project: Project) -> str:
    """Remove the store's generations (as an older scgraph or a hand could); the link stays."""
    gone = os.path.relpath(project.store.resolve(), project.build.resolve())
    for g in files.generations(project.store):
        shutil.rmtree(g)
    assert project.store.is_symlink() and not project.store.exists()
    return gone


READERS = {
    "query": ["query", "organisations", "-q", "--build-dir", "build"],
    "analyse": ["analyse", "-q", "--build-dir", "build", "--out", "elsewhere"],
    "serve": ["serve", "--build-dir", "build", "--port", "0"],
    "build": BUILD,
}


@pytest.mark.parametrize("command", READERS)
def test_a_dangling_store_link_is_an_error(registry: Reference, tmp_path: Path, command: str) -> None:
    project = copy_project(registry.project, tmp_path)
    gone = _dangle(project)
    before = fingerprint(project)
    r = project.run(*READERS[command], timeout=60)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == (
        f"Error: build/store: the store link points to {gone}, which is gone; remove the link and "
        "run 'scgraph build' to rebuild the store from the registry files (build/registry/*.nq; "
        "graphs imported straight into the store must be imported again)\n")
    assert fingerprint(project) == before and not (project.root / "elsewhere").exists()


def test_a_dangling_store_is_rebuilt_from_the_registry_files_once_the_link_is_removed(
        registry: Reference, tmp_path: Path) -> None:
    project = copy_project(registry.project, tmp_path)
    _dangle(project)
    project.store.unlink()
    _ok(project, *BUILD)
    _consistent(project, registry)


@pytest.mark.parametrize("command", ["query", "analyse", "serve"])
def test_registry_files_without_a_store_are_an_error(registry: Reference, tmp_path: Path, command: str) -> None:
    """An import (BUILD/registry/) not yet built: no answer from the curated dumps alone."""
    project = copy_project(registry.project, tmp_path)
    for g in files.generations(project.store):
        shutil.rmtree(g)
    project.store.unlink()
    (project.build / ".outputs" / "current" / "store").unlink()
    before = fingerprint(project)
    r = project.run(*READERS[command], timeout=60)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == ("Error: build/store: no store yet, but build/registry holds imported graphs, "
                        "which only a build puts into the store; run 'scgraph build --out build' first\n")
    assert fingerprint(project) == before and not project.store.exists()


def test_open_query_store_of_a_dangling_link_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "store").symlink_to(".store.gen-gone")
    with pytest.raises(StoreError, match=r"store: the store link points to \.store\.gen-gone, which is gone"):
        open_query_store(f"oxigraph:{tmp_path / 'store'}")
    with pytest.raises(StoreError, match="which is gone"):
        BuildFolder(tmp_path).default_store()
    with pytest.raises(StoreError, match="which is gone"), replace_store(tmp_path / "store"):
        pass
    assert str(BuildFolder(tmp_path / "new").default_store()) == "memory"
