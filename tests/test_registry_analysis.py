"""The analyses of a registry build: once `scgraph import cordis` and `scgraph build` have made
the build's own store, `analyse`, `plot`, `export-graph`, `query` and `serve` read that store
(the registry included), and `analyse` puts its graph:analysis into the store through a new
store generation switched with the build's files (never writing the store others read)."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest
from registry_fixtures import OFFICIAL, SCGRAPH
from registry_fixtures import ok as _ok
from registry_fixtures import registry_build as make_registry_build

from scgraph.namespaces import ANALYSIS_GRAPH, ID

pytestmark = [pytest.mark.slow, pytest.mark.repo_data]

@pytest.fixture(scope="module")
def registry_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build folder with the official CORDIS fixture imported and built (so with a store)."""
    return make_registry_build(tmp_path_factory.mktemp("registry") / "build")


@pytest.fixture
def build(registry_build: Path, tmp_path: Path) -> Path:
    """A private copy of the registry build (generations and links come along)."""
    copy = tmp_path / "build"
    shutil.copytree(registry_build, copy, symlinks=True)
    return copy


def _quads(store: Path) -> set[str]:
    st = ox.Store.read_only(str(store))
    try:
        return {str(q) for q in st}
    finally:
        del st


def _files(build: Path) -> dict[str, str]:
    """SHA-256 of each file the build switched in (dumps and reports)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(build.iterdir()) if p.is_file() and p.suffix in (".nq", ".trig", ".ttl", ".txt")}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _registry_projects() -> set[str]:
    with (OFFICIAL / "project.csv").open(encoding="utf-8", newline="") as f:
        return {str(ID[f"project/cordis-{r['id']}"]) for r in csv.DictReader(f, delimiter=";")}


def test_analyse_reads_the_registry_from_the_build_store(build: Path) -> None:
    curated = build.parent / "curated"
    _ok("analyse", "--build-dir", str(build), "--store", "oxigraph", "-o", str(curated), "-q")
    _ok("analyse", "--build-dir", str(build), "-q")

    def projects(folder: Path) -> set[str]:
        return {r["node"] for r in _rows(folder / "metrics.csv") if r["network"] == "project"}

    # the store holds dataset.nq's graphs and the registry: its project network is the curated
    # one plus the five projects of the fixture's project.csv
    registry = _registry_projects()
    assert len(registry) == 5 and not registry & projects(curated)
    assert projects(build / "analysis") == projects(curated) | registry
    # the two projects of the Max Planck society in Munich under one ERC call rank first
    top = _rows(build / "analysis" / "synergies.csv")[0]
    assert (top["kind"], top["label_a"], top["label_b"]) == ("project", "IRASTRO", "mw-atlas")
    # (largest contribution first: Munich, a lighthouse city of Smarter Together in the curated
    # data, is tied to more things than the Max Planck society, so it weighs less)
    assert top["shared"] == "ERC SYNERGY GRANTS; MAX-PLANCK-GESELLSCHAFT ZUR FORDERUNG DER WISSENSCHAFTEN EV; Munich"
    with (OFFICIAL / "organization.csv").open(encoding="utf-8", newline="") as f:
        mpg = {r["projectAcronym"] for r in csv.DictReader(f, delimiter=";") if r["shortName"] == "MPG"}
    assert mpg == {"IRASTRO", "mw-atlas"}


def test_analyse_puts_its_graph_into_a_new_store_generation(build: Path) -> None:
    before_quads, before_files = _quads(build / "store"), _files(build)
    before_store = (build / "store").resolve()
    reader = ox.Store.read_only(str(build / "store"))  # someone reading the store meanwhile
    out = _ok("analyse", "--build-dir", str(build))
    analysis = ox.Store()
    analysis.load(path=str(build / "analysis" / "analysis.trig"), format=ox.RdfFormat.TRIG)
    added = {str(q) for q in analysis}
    assert added and all(q.graph_name == ox.NamedNode(str(ANALYSIS_GRAPH)) for q in analysis)
    assert f"wrote graph:analysis ({len(added)} triples) into {build / 'store'}\n" in out
    # the store is the old one plus the analysis graph, in a new generation; the files are the same
    assert _quads(build / "store") == before_quads | added
    assert (build / "store").resolve() != before_store and _files(build) == before_files
    assert len(reader) == len(before_quads)  # the store being read was not touched, nor removed
    del reader
    # a second run replaces the graph (here with fewer suggestions), it does not add to it
    _ok("analyse", "--build-dir", str(build), "--top", "1", "-q")
    again = ox.Store()
    again.load(path=str(build / "analysis" / "analysis.trig"), format=ox.RdfFormat.TRIG)
    assert _quads(build / "store") == before_quads | {str(q) for q in again}
    # one generation for readers of the previous one, none left over
    assert len(list(build.glob(".store.gen-*"))) == 2


def test_the_store_answers_the_analysis_questions(build: Path) -> None:
    _ok("analyse", "--build-dir", str(build), "-q")
    suggested = [(r["a"], r["b"], r["rank"]) for r in _rows(build / "analysis" / "synergies.csv")]
    out = _ok("query", "analysis_suggested_synergies", "--build-dir", str(build), "-f", "csv", "-q")
    rows = list(csv.DictReader(out.splitlines()))
    assert sorted((r["a"], r["b"], r["rank"]) for r in rows) == sorted(suggested)
    assert len(suggested) == 40  # the top 20 of projects and of cities


def test_analyse_elsewhere_leaves_the_store_alone(build: Path, tmp_path: Path) -> None:
    before = _quads(build / "store")
    out = _ok("analyse", "--build-dir", str(build), "-o", str(tmp_path / "elsewhere"))
    assert "into" not in out and _quads(build / "store") == before
    assert (tmp_path / "elsewhere" / "analysis.trig").is_file()


def test_analyse_repeats_byte_for_byte_over_its_own_results(build: Path, tmp_path: Path) -> None:
    _ok("analyse", "--build-dir", str(build), "-q")  # now graph:analysis is in the store it reads
    first = {p.name: p.read_bytes() for p in (build / "analysis").iterdir() if p.is_file()}
    _ok("analyse", "--build-dir", str(build), "-q")
    assert {p.name: p.read_bytes() for p in (build / "analysis").iterdir() if p.is_file()} == first


def test_plot_and_export_read_the_build_store(build: Path) -> None:
    _ok("export-graph", "--build-dir", str(build), "-f", "graphml", "--network", "project",
        "-o", str(build / "analysis"), "-q")
    text = (build / "analysis" / "project.graphml").read_text(encoding="utf-8")
    assert all(f'"{p}"' in text for p in _registry_projects())


def test_serve_defaults_to_the_build_store_and_opens_it_read_only(build: Path) -> None:
    from scgraph.server.app import source_from_options

    writer = ox.Store(str(build / "store"))  # a writer holds the lock: another writer would fail
    try:
        source = source_from_options(None, build)
    finally:
        del writer
    assert source.store_path == build / "store" and not source.writable
    # with --dataset, that file is served in memory
    assert source_from_options(None, build, build / "dataset.nq").store_path is None


def test_an_analyse_killed_before_the_switch_leaves_the_store(build: Path) -> None:
    before_quads, before_files = _quads(build / "store"), _files(build)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCGRAPH_")}
    r = subprocess.run([SCGRAPH, "analyse", "--build-dir", str(build), "-q"], capture_output=True,
                       env={**env, "SCGRAPH_TEST_KILL_AT": "store-graph"}, timeout=300)
    assert r.returncode == -signal.SIGKILL
    assert _quads(build / "store") == before_quads and _files(build) == before_files
    r = subprocess.run([SCGRAPH, "analyse", "--build-dir", str(build), "-q"], capture_output=True,
                       text=True, env=env, timeout=300)
    assert (r.returncode, r.stderr) == (0, "")
    assert _quads(build / "store") > before_quads
    assert len(list(build.glob(".store.gen-*"))) == 2


def test_analyse_of_a_store_imported_into_before_any_build(tmp_path: Path) -> None:
    """`import --store oxigraph:BUILD/store` with no build yet: the store has no generation of
    files to switch with; analyse takes it into one, as a build would."""
    build = tmp_path / "build"
    _ok("import", "cordis", str(OFFICIAL), "--store", f"oxigraph:{build / 'store'}", "-q")
    before = _quads(build / "store")
    _ok("analyse", "--build-dir", str(build), "-q")
    assert os.readlink(build / "store") == ".outputs/current/store"
    added = _quads(build / "store") - before
    assert added and all(q.endswith(f"<{ANALYSIS_GRAPH}>") for q in added)
    assert _quads(build / "store") >= before
    # the registry alone: its five projects are the project network
    assert {r["node"] for r in _rows(build / "analysis" / "metrics.csv") if r["network"] == "project"} \
        <= _registry_projects()
