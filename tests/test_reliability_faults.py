"""Faults: writes are atomic, a build or an import killed with SIGKILL at any moment loses
nothing, and a remote endpoint that is down, slow or answers garbage is a one-line error in
bounded time.

The kill tests run the real CLI in a subprocess on a copy of the tiny project of
tests/data/pipeline/root. ``SCGRAPH_TEST_KILL_AT=STAGE[:N]`` (io.kill_point) kills the process
the N-th time it reaches STAGE; timed kills land wherever the process happens to be.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability_fixtures import (
    REPO,
    SCGRAPH,
    Project,
    copy_project,
    fingerprint,
    make_project,
    store_quads,
)

pytestmark = pytest.mark.slow  # see [tool.pytest.ini_options] markers

SAMPLE = REPO / "tests" / "data" / "cordis" / "sample"
CHANGE = ('\nidorg:cnect-c4 a scg:OrganisationalUnit ; rdfs:label "Unit C.4"@en ;\n'
          '    dcterms:description "Unit C.4 of DG CNECT"@en ; scg:unitOf idorg:dg-cnect .\n')


# --------------------------------------------------------------------------- every write is atomic

WRITERS = {"write_text", "write_bytes", "savefig", "to_csv", "write_graphml", "write_gexf",
           "serialize", "dump", "to_file"}
SAFE_SCOPES = ("atomic_path(", "TemporaryDirectory(", "mkstemp(")


IN_MEMORY = {"buf", "None", "io.BytesIO()", "io.StringIO()",
             "stream"}  # a stream the caller gives (standard output), by that name only
#: where each writer takes its destination: (position, keyword)
DESTINATION = {"write_graphml": (1, "path"), "write_gexf": (1, "path"), "savefig": (0, "fname"),
               "to_csv": (0, "path_or_buf"), "dump": (0, "output"), "to_file": (0, "path")}


def _destination(node: ast.Call, name: str) -> str | None:
    """The destination expression of a writer call, or None when it returns what it wrote."""
    if name == "serialize":  # rdflib: serialize(destination=None, ...); pyoxigraph: serialize(input, output=None)
        receiver = ast.unparse(node.func.value) if isinstance(node.func, ast.Attribute) else ""
        position, keyword = (1, "output") if receiver in ("ox", "pyoxigraph") else (0, "destination")
    else:
        position, keyword = DESTINATION.get(name, (0, ""))
    for k in node.keywords:
        if k.arg == keyword:
            return ast.unparse(k.value)
    return ast.unparse(node.args[position]) if len(node.args) > position else None


def _unsafe_writes(path: Path) -> Iterator[str]:
    """Calls that write a file, in functions that write no temporary file first."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    for func in ast.walk(tree):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        body = ast.get_source_segment(source, func) or ""
        for node in ast.walk(func):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            writes = name in WRITERS
            if name == "to_csv" and isinstance(node.func, ast.Name):
                writes = False  # scgraph.results.to_csv returns the text; pandas' is a method
            if name == "open":
                modes = [a.value for a in node.args[1:2] if isinstance(a, ast.Constant)]
                modes += [k.value.value for k in node.keywords
                          if k.arg == "mode" and isinstance(k.value, ast.Constant)]
                writes = any(isinstance(m, str) and set(m) & set("wax+") for m in modes)
            if not writes:
                continue
            target = _destination(node, name)
            if name != "open" and name not in ("write_text", "write_bytes") and (
                    target is None or target in IN_MEMORY):
                continue  # returns the bytes, or writes to a buffer in memory
            if any(scope in body for scope in SAFE_SCOPES):
                continue
            yield f"{path.relative_to(REPO)}:{node.lineno}: {ast.unparse(node)[:80]}"


def test_every_file_output_goes_through_a_temporary_file() -> None:
    found = [w for p in sorted((REPO / "src" / "scgraph").rglob("*.py")) for w in _unsafe_writes(p)]
    assert found == []


def test_the_audit_finds_a_direct_write(tmp_path: Path) -> None:
    bad = REPO / "tests" / "data" / "bad_input"  # any folder under the repository
    probe = tmp_path / "probe.py"
    probe.write_text("def f(p):\n    p.write_text('x')\n\ndef g(p):\n    with atomic_path(p) as t:\n"
                     "        t.write_text('x')\n", encoding="utf-8")
    target = bad.parent / "_audit_probe.py"
    target.write_bytes(probe.read_bytes())
    try:
        assert list(_unsafe_writes(target)) == ["tests/data/_audit_probe.py:2: p.write_text('x')"]
    finally:
        target.unlink()


# --------------------------------------------------------------------------- killed builds and imports


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, dict[str, str], dict[str, str]]:
    """A built project (v1) and the fingerprints of v1 and of v2 (one more unit) built whole."""
    v1 = make_project(tmp_path_factory.mktemp("v1"))
    v2 = copy_project(v1, tmp_path_factory.mktemp("v2"))
    _change(v2)
    r = v2.run("build", "-q", "--out", "build")
    assert r.returncode == 0, r.stderr
    return v1, _stable(fingerprint(v1)), _stable(fingerprint(v2))


def _change(project: Project) -> None:
    source = project.root / "data" / "sources" / "unit_chart.ttl"
    source.write_text(source.read_text(encoding="utf-8") + CHANGE, encoding="utf-8")


def _stable(fp: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in fp.items() if k != "store -> "}  # the generation's name has a time


def _files(fp: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in fp.items() if not k.startswith("store ")}


def _assert_old_or_new(fp: dict[str, str], old: dict[str, str], new: dict[str, str]) -> None:
    """The files of the build folder and its store are all old or all new (the build's store
    is linked from the generation of the files: one switch changes both)."""
    fp = _stable(fp)
    files = _files(fp)
    assert files in (_files(old), _files(new)), (
        f"a mix: new {sorted(k for k in files if files[k] == new.get(k) != old.get(k))}, "
        f"old {sorted(k for k in files if files[k] == old.get(k) != new.get(k))}, "
        f"neither {sorted(k for k in files if files[k] not in (old.get(k), new.get(k)))}, "
        f"missing {sorted(set(_files(old)) - set(files))}")
    if "store quads" in old:
        expected = old if files == _files(old) else new
        assert fp["store quads"] == expected["store quads"], "the store and the files disagree"


def _kill_after(project: Project, args: list[str], delay: float, **env: str) -> int:
    proc = subprocess.Popen([*SCGRAPH, *args], cwd=project.root, env=project.env(**env),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        proc.wait(delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    return proc.returncode


def _old_layout(project: Project) -> None:
    """Turn the build folder into the layout of scgraph before generations of files: real
    files, and the store a link straight to its own generation."""
    store = project.build / "store"
    generation = os.path.relpath(os.path.realpath(store), project.build)
    for p in project.build.iterdir():
        if p.is_symlink() and p.name != "store":
            data = p.read_bytes()
            p.unlink()
            p.write_bytes(data)
    store.unlink()
    store.symlink_to(generation)
    shutil.rmtree(project.build / ".outputs")


def _hidden_leftovers(project: Project) -> list[str]:
    """Generations and temporary files in the build folder other than the current ones."""
    outputs = project.build / ".outputs"
    current = os.readlink(outputs / "current") if outputs.exists() else None
    return sorted(p.name for p in outputs.iterdir() if p.name not in ("current", current)) + sorted(
        p.name for p in project.build.iterdir() if p.name.startswith(".") and p.name != ".outputs"
        and not p.name.startswith(".store.gen-"))


# the stages, in the order a build reaches them: the new store generation is whole but not
# linked in, the renames of io.atomic_path into the new generation of the files (validation
# report, then the four dumps), then the switch of that generation, which links the new store
# too (io.replace_files)
KILL_POINTS = ["store-built", "rename:1", "rename:4", "rename:6", "outputs-switch"]


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_build_killed_at_a_stage_loses_nothing(versions, tmp_path: Path, point: str) -> None:
    v1, old, new = versions
    project = copy_project(v1, tmp_path)
    _change(project)
    code = _kill_after(project, ["build", "-q", "--out", "build"], 120, SCGRAPH_TEST_KILL_AT=point)
    assert code == -signal.SIGKILL
    fp = fingerprint(project)
    _assert_old_or_new(fp, old, new)
    assert _files(fp) == _files(old)  # every kill point is before the switch of the files
    assert store_quads(project.store)  # readable
    r = project.run("build", "-q", "--out", "build")
    assert (r.returncode, r.stderr) == (0, "")
    assert _stable(fingerprint(project)) == new
    assert _hidden_leftovers(project) == []  # the killed run's generation is cleaned up


@pytest.mark.parametrize("delay", [0.4, 0.9, 1.3, 1.7, 2.2])
def test_a_build_killed_at_any_moment_loses_nothing(versions, tmp_path: Path, delay: float) -> None:
    v1, old, new = versions
    project = copy_project(v1, tmp_path)
    _change(project)
    _kill_after(project, ["build", "-q", "--out", "build"], delay)
    _assert_old_or_new(fingerprint(project), old, new)
    r = project.run("build", "-q", "--out", "build")
    assert (r.returncode, r.stderr) == (0, "")
    assert _stable(fingerprint(project)) == new
    assert _hidden_leftovers(project) == []  # scratch folders of the killed run too


# the first build after an upgrade finds real files: they are taken into a generation (adopt),
# each replaced by its link, then the new generation is switched in
MIGRATION_POINTS = ["outputs-adopt", "outputs-link:4", "outputs-switch"]


@pytest.mark.parametrize("point", MIGRATION_POINTS)
def test_a_build_over_real_files_killed_at_a_stage_loses_nothing(versions, tmp_path: Path, point: str) -> None:
    v1, old, new = versions
    project = copy_project(v1, tmp_path)
    _old_layout(project)
    assert _stable(fingerprint(project)) == old and (project.build / "graph.ttl").is_symlink() is False
    _change(project)
    code = _kill_after(project, ["build", "-q", "--out", "build"], 120, SCGRAPH_TEST_KILL_AT=point)
    assert code == -signal.SIGKILL
    fp = fingerprint(project)
    _assert_old_or_new(fp, old, new)
    assert _files(fp) == _files(old)
    r = project.run("build", "-q", "--out", "build")
    assert (r.returncode, r.stderr) == (0, "")
    assert _stable(fingerprint(project)) == new
    assert all(os.readlink(project.build / n) == f".outputs/current/{n}" for n in _files(new))
    assert _hidden_leftovers(project) == []


@pytest.mark.parametrize("point", ["outputs-link:1", "outputs-switch"])
def test_a_first_build_killed_at_a_stage_leaves_no_files(versions, tmp_path: Path, point: str) -> None:
    """Into a new folder: a kill leaves no output file at all (links to files of a generation
    not yet switched in do not count: they read as no file)."""
    _v1, _old, new = versions
    project = copy_project(versions[0], tmp_path)
    shutil.rmtree(project.build)
    _change(project)
    args = ["build", "-q", "--out", "build", "--store", "oxigraph:build/store"]
    code = _kill_after(project, args, 120, SCGRAPH_TEST_KILL_AT=point)
    assert code == -signal.SIGKILL
    assert _files(fingerprint(project)) == {}
    r = project.run(*args)
    assert (r.returncode, r.stderr) == (0, "")
    assert _stable(fingerprint(project)) == new


@pytest.fixture(scope="module")
def nonconformant(versions, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The fingerprint after a non-conformant build of v1 plus a nameless unit, run whole."""
    project = copy_project(versions[0], tmp_path_factory.mktemp("nonconformant"))
    _break(project)
    r = project.run("build", "-q", "--out", "build")
    assert r.returncode == 1 and r.stderr.startswith("Error: the data has 1 SHACL violation")
    return _stable(fingerprint(project))


def _break(project: Project) -> None:
    shutil.copy(REPO / "tests" / "data" / "pipeline" / "sources" / "nameless_unit.ttl",
                project.root / "data" / "sources")


def test_a_non_conformant_build_switches_the_report_and_keeps_the_dumps(versions, nonconformant) -> None:
    _v1, old, _new = versions
    changed = {k for k in _files(old) if nonconformant[k] != old[k]}
    assert changed == {"validation.ttl", "validation.txt"}
    assert nonconformant["store quads"] == old["store quads"]


@pytest.mark.parametrize("point", ["rename:2", "outputs-switch"])
def test_a_non_conformant_build_killed_at_a_stage_loses_nothing(versions, nonconformant, tmp_path: Path,
                                                                point: str) -> None:
    v1, old, _new = versions
    project = copy_project(v1, tmp_path)
    _break(project)
    code = _kill_after(project, ["build", "-q", "--out", "build"], 120, SCGRAPH_TEST_KILL_AT=point)
    assert code == -signal.SIGKILL
    _assert_old_or_new(fingerprint(project), old, nonconformant)
    r = project.run("build", "-q", "--out", "build")
    assert r.returncode == 1
    assert _stable(fingerprint(project)) == nonconformant


# --------------------------------------------------------------------------- killed publish


PUBLISH = ["publish", "--build-dir", "build", "--date", "2026-02-01", "--version", "2.0.0"]


@pytest.fixture(scope="module")
def releases(versions, tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, dict[str, str], dict[str, str]]:
    """v1 with release 1.0.0, then v2 built: the fingerprints before and after publishing 2.0.0."""
    project = copy_project(versions[0], tmp_path_factory.mktemp("released"))
    r = project.run("publish", "--build-dir", "build", "--date", "2026-01-01", "--version", "1.0.0")
    assert r.returncode == 0, r.stderr
    _change(project)
    assert project.run("build", "-q", "--out", "build").returncode == 0
    whole = copy_project(project, tmp_path_factory.mktemp("published"))
    assert whole.run(*PUBLISH).returncode == 0
    old, new = _stable(fingerprint(project)), _stable(fingerprint(whole))
    assert {k for k in new if new[k] != old.get(k)} >= {"release/dataset.nq", "release/CHANGELOG.md"}
    return project, old, new


@pytest.mark.parametrize("point", ["rename:1", "rename:12", "release-switch"])
def test_a_publish_killed_at_a_stage_keeps_the_whole_old_release(releases, tmp_path: Path, point: str) -> None:
    template, old, new = releases
    project = copy_project(template, tmp_path)
    code = _kill_after(project, PUBLISH, 120, SCGRAPH_TEST_KILL_AT=point)
    assert code == -signal.SIGKILL
    assert _stable(fingerprint(project)) == old
    r = project.run(*PUBLISH)
    assert (r.returncode, r.stderr) == (0, "")
    assert _stable(fingerprint(project)) == new
    assert [p.name for p in project.build.glob(".release.gen-*")] == [os.readlink(project.build / "release")]


def test_a_publish_over_a_real_folder_keeps_it_until_the_switch(releases, tmp_path: Path) -> None:
    """A release folder of the layout before generations is swapped for a link in one atomic
    exchange (renameat2), so a kill just before it leaves the whole folder in place."""
    template, old, new = releases
    project = copy_project(template, tmp_path)
    release = project.build / "release"
    real = project.build / "real-release"
    shutil.copytree(release, real)
    release.unlink()
    for p in project.build.glob(".release.gen-*"):
        shutil.rmtree(p)
    real.rename(release)
    assert _stable(fingerprint(project)) == old
    code = _kill_after(project, PUBLISH, 120, SCGRAPH_TEST_KILL_AT="release-switch")
    assert code == -signal.SIGKILL
    assert _stable(fingerprint(project)) == old and not release.is_symlink()
    r = project.run(*PUBLISH)
    assert (r.returncode, r.stderr) == (0, "")
    assert _stable(fingerprint(project)) == new
    assert "Compared with release 1.0.0 (2026-01-01)." in (release / "CHANGELOG.md").read_text("utf-8")
    assert release.is_symlink() and [p.name for p in project.build.glob(".release.gen-*")] == [
        os.readlink(release)]  # the real folder, then a generation, is removed after the switch


def test_a_killed_swap_of_a_real_folder_is_repaired(tmp_path: Path) -> None:
    """Where there is no renameat2, a folder is renamed aside before the link is made; a kill
    between the two leaves no folder, and the next run puts the one aside back first."""
    from scgraph.files import generations, recover_folder, replace_folder

    path = tmp_path / "release"
    aside = tmp_path / ".release.gen-old-x1"
    aside.mkdir()
    (aside / "dataset.nq").write_text("old\n", encoding="utf-8")
    recover_folder(path)
    assert path.is_symlink() and (path / "dataset.nq").read_text(encoding="utf-8") == "old\n"
    with replace_folder(path, stage="test") as new:
        assert (path / "dataset.nq").read_text(encoding="utf-8") == "old\n"
        (new / "dataset.nq").write_text("new\n", encoding="utf-8")
    assert (path / "dataset.nq").read_text(encoding="utf-8") == "new\n"
    assert [p.name for p in generations(path)] == [os.readlink(path)]


def test_scratch_folders_of_killed_runs_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    """The store build's scratch folder is hidden next to the store and removed when the build
    ends; the next build removes one a killed build left (its process is gone), never one of a
    build still running."""
    from scgraph.files import work_folder

    gone = subprocess.Popen(["true"])  # a process that has ended: its id is free
    gone.wait()
    stale = tmp_path / f".store.work-{gone.pid}-abc"
    live = tmp_path / f".store.work-{os.getpid()}-def"
    for folder in (stale, live):
        folder.mkdir()
        (folder / "part.nt").write_text("<a:s> <a:p> <a:o> .\n", encoding="utf-8")
    with work_folder(tmp_path / "store") as scratch:
        assert scratch.parent == tmp_path and scratch.name.startswith(f".store.work-{os.getpid()}-")
        (scratch / "part.nt").write_text("", encoding="utf-8")
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, scratch.name])
    assert sorted(p.name for p in tmp_path.iterdir()) == [live.name]


def test_a_publish_refuses_a_folder_with_other_files(versions, tmp_path: Path) -> None:
    project = copy_project(versions[0], tmp_path)
    (project.build / "release").mkdir()
    (project.build / "release" / "notes.txt").write_text("mine\n", encoding="utf-8")
    before = fingerprint(project)
    r = project.run(*PUBLISH)
    assert r.returncode == 1
    assert r.stderr == ("Error: build/release: the folder holds files that are not part "
                        "of a release (notes.txt); publish into an empty or new folder\n")
    assert fingerprint(project) == before


@pytest.fixture(scope="module")
def imported(versions, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The store's quads after a whole import of the CORDIS sample into v1's store."""
    project = copy_project(versions[0], tmp_path_factory.mktemp("imported"))
    r = project.run("import", "cordis", str(SAMPLE), "-q", "--store", "oxigraph:build/store")
    assert r.returncode == 0, r.stderr
    return store_quads(project.store)


@pytest.mark.parametrize("delay", [1.0, 2.0, 3.0, 4.2])
def test_an_import_killed_at_any_moment_leaves_the_store_whole(versions, imported, tmp_path: Path,
                                                               delay: float) -> None:
    v1, _old, _new = versions
    project = copy_project(v1, tmp_path)
    before = store_quads(project.store)
    _kill_after(project, ["import", "cordis", str(SAMPLE), "-q", "--store", "oxigraph:build/store"], delay)
    after = store_quads(project.store)
    assert after in (before, imported), f"{len(after)} quads: neither before ({len(before)}) nor after ({len(imported)})"
    r = project.run("import", "cordis", str(SAMPLE), "-q", "--store", "oxigraph:build/store")
    assert (r.returncode, r.stderr) == (0, "")
    assert store_quads(project.store) == imported


def test_an_import_killed_before_the_store_switch_leaves_the_store_as_it_was(versions, imported,
                                                                              tmp_path: Path) -> None:
    project = copy_project(versions[0], tmp_path)
    before = fingerprint(project)
    args = ["import", "cordis", str(SAMPLE), "-q", "--store", "oxigraph:build/store"]
    code = _kill_after(project, args, 120, SCGRAPH_TEST_KILL_AT="store-switch")
    assert code == -signal.SIGKILL
    assert fingerprint(project) == before
    r = project.run(*args)
    assert (r.returncode, r.stderr) == (0, "")
    assert store_quads(project.store) == imported


@pytest.fixture(scope="module")
def imported_file(versions, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The N-Quads of a whole import of the CORDIS sample to a file."""
    project = copy_project(versions[0], tmp_path_factory.mktemp("imported_file"))
    r = project.run("import", "cordis", str(SAMPLE), "-q", "--output", "registry.nq")
    assert (r.returncode, r.stderr) == (0, "")
    return (project.root / "registry.nq").read_bytes()


# the import writes a temporary file (renamed onto a second temporary file by the importer,
# rename:1), which is renamed onto the output only when every row was good (rename:2)
@pytest.mark.parametrize("point", ["rename:1", "rename:2"])
def test_an_import_to_a_file_killed_before_the_rename_keeps_the_old_file(versions, imported_file, tmp_path: Path,
                                                                         point: str) -> None:
    project = copy_project(versions[0], tmp_path)
    out = project.root / "registry.nq"
    out.write_text("# the previous file\n", encoding="utf-8")
    code = _kill_after(project, ["import", "cordis", str(SAMPLE), "-q", "--output", str(out)], 120,
                       SCGRAPH_TEST_KILL_AT=point)
    assert code == -signal.SIGKILL
    assert out.read_text(encoding="utf-8") == "# the previous file\n"
    leftovers = [p.name for p in out.parent.iterdir() if "registry.nq." in p.name]
    assert leftovers and all(n.startswith(".") and n.endswith(".tmp") for n in leftovers)  # hidden
    r = project.run("import", "cordis", str(SAMPLE), "-q", "--output", str(out))
    assert (r.returncode, r.stderr) == (0, "")
    assert out.read_bytes() == imported_file and imported_file.count(b" .\n") > 7000


# --------------------------------------------------------------------------- remote endpoints


class FakeEndpoint:
    """A socket on 127.0.0.1 that answers each request with ``answer`` (bytes), closes the
    connection without a word (``b""``) or never answers (None)."""

    def __init__(self, answer: bytes | None) -> None:
        self.answer = answer
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.requests = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        held = []
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.requests += 1
            if self.answer is None:
                held.append(conn)  # keep it open, say nothing
                continue
            conn.settimeout(2)
            try:
                conn.recv(65536)
                if self.answer:
                    conn.sendall(self.answer)
            except OSError:
                pass
            conn.close()
        for c in held:
            c.close()

    def __enter__(self) -> FakeEndpoint:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _http(status: str, ctype: str, body: bytes) -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode() + body


HTML = _http("200 OK", "text/html; charset=utf-8", b"<html><body>Welcome to nginx!</body></html>")


@pytest.fixture
def project(versions, tmp_path: Path) -> Project:
    return copy_project(versions[0], tmp_path)


def _query_remote(project: Project, url: str, **env: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    r = project.run("query", "organisations", "--store", f"sparql:{url}", "-f", "csv", **env)
    return r, time.monotonic() - started


def test_remote_endpoint_that_answers_html(project: Project) -> None:
    with FakeEndpoint(HTML) as fake:
        r, seconds = _query_remote(project, fake.url)
    assert r.returncode == 1 and seconds < 30
    assert r.stderr == (f"Error: the SPARQL endpoint {fake.url}/query answered with an unexpected "
                        "content type 'text/html; charset=utf-8'\n")


def test_remote_endpoint_that_closes_the_connection(project: Project) -> None:
    with FakeEndpoint(b"") as fake:
        r, seconds = _query_remote(project, fake.url)
    assert r.returncode == 1 and seconds < 30
    assert r.stderr == (f"Error: cannot reach the SPARQL endpoint {fake.url}/query: Remote end closed "
                        "connection without response (tried 3 times)\n")
    assert fake.requests == 3  # a query is safe to retry: 1 + 2 retries


def test_remote_endpoint_that_is_down(project: Project) -> None:
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
    r, seconds = _query_remote(project, f"http://127.0.0.1:{port}")
    assert r.returncode == 1 and seconds < 30
    assert r.stderr == (f"Error: cannot reach the SPARQL endpoint http://127.0.0.1:{port}/query: "
                        "Connection refused (tried 3 times)\n")


def test_remote_endpoint_that_never_answers(project: Project) -> None:
    with FakeEndpoint(None) as fake:
        r, seconds = _query_remote(project, fake.url, SCGRAPH_SPARQL_TIMEOUT="0.5")
    assert r.returncode == 1
    assert 1.5 <= seconds < 20  # three tries of 0.5 s and two short back-offs, plus start-up
    assert r.stderr == (f"Error: cannot reach the SPARQL endpoint {fake.url}/query: no answer within "
                        "0.5 s (tried 3 times)\n")


def test_updates_are_never_retried() -> None:
    from scgraph.errors import StoreError
    from scgraph.store import SparqlStore

    with FakeEndpoint(b"") as fake:
        with pytest.raises(StoreError) as e:
            SparqlStore(fake.url, timeout=2, retries=2).update("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    assert fake.requests == 1  # an update may have been applied: it is not sent twice
    assert str(e.value) == (f"cannot reach the SPARQL endpoint {fake.url}/update: Remote end closed "
                            "connection without response")


def test_a_busy_endpoint_is_retried_and_then_answers() -> None:
    from scgraph.store import SparqlStore

    from scgraph.namespaces import GRAPH, SD
    from scgraph.store import GRAPHS_INDEX

    # the answer to scgraph's first read: its record of the graphs it owns on the endpoint
    rows = [(GRAPH["registry/g"], SD.NamedGraph), (GRAPHS_INDEX, SD.Dataset)]
    graphs = json.dumps({"head": {"vars": ["g", "t"]}, "results": {"bindings": [
        {"g": {"type": "uri", "value": str(g)}, "t": {"type": "uri", "value": str(t)}}
        for g, t in rows]}}).encode()
    answers = [_http("503 Service Unavailable", "text/plain", b"busy"),
               _http("200 OK", "application/sparql-results+json", graphs)]
    sock = socket.create_server(("127.0.0.1", 0))
    port = sock.getsockname()[1]

    def serve() -> None:
        for answer in answers:
            conn, _ = sock.accept()
            conn.recv(65536)
            conn.sendall(answer)
            conn.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        store = SparqlStore(f"http://127.0.0.1:{port}", timeout=5, retries=2)
        assert store.own_graphs() == [GRAPH["registry/g"]]  # a read: retried after the 503
    finally:
        t.join(5)
        sock.close()


def test_no_subprocess_left_behind() -> None:
    """The kill tests reap what they start (a zombie would show as a child here)."""
    children = Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children")
    if not children.exists():
        pytest.skip("no /proc children list on this system")
    assert children.read_text().split() == []
