"""An import is all or nothing: a rejected row fails it with one line naming the file and line,
exit code 1, and every store and file exactly as it was, whatever the target; --skip-invalid
imports the valid rows and reports the rest (exit 0).

Runs the real CLI in a subprocess on a copy of the tiny project of tests/data/pipeline/root,
built with an embedded store into which a good CORDIS folder was imported beforehand. A remote
target is Oxigraph's own SPARQL server on loopback.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from reliability_fixtures import (
    BAD,
    OXIGRAPH,
    REPO,
    Project,
    copy_project,
    fingerprint,
    make_project,
    oxigraph_server,
)

pytestmark = pytest.mark.slow  # see [tool.pytest.ini_options] markers

BROKEN = REPO / "tests" / "data" / "cordis" / "broken"  # 16 bad rows among 23, of every kind
GOOD = BAD / "cordis_good"
REGISTRY = "https://w3id.org/scgraph/graph/registry/cordis"
SCRATCH = "https://w3id.org/scgraph/graph/scratch/import-cordis"
BROKEN_ERROR = (f"Error: {BROKEN}/project.csv:3: duplicate project id 900001 (and 15 more rejected rows; "
                "use --skip-invalid to import the valid rows)\n")

#: how each target is named on the command line (run in the project folder)
TARGETS = {
    "default": ["--build-dir", "build"],
    "oxigraph": ["--store", "oxigraph:build/store"],
    "output": ["--output", "build/registry.nq"],
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The tiny project built with an import of cordis_good in each target: the default file
    build/registry/cordis.nq, the store build/store and the N-Quads file build/registry.nq."""
    project = make_project(tmp_path_factory.mktemp("template"))
    for args in (TARGETS["default"], TARGETS["oxigraph"], TARGETS["output"]):
        r = project.run("import", "cordis", str(GOOD), "-q", *args)
        assert (r.returncode, r.stderr) == (0, "")
    return project


@pytest.fixture(scope="module")
def valid_rows(template: Project, tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """The triples of the valid rows of BROKEN: an import with --skip-invalid to a new file."""
    out = tmp_path_factory.mktemp("valid") / "broken.nq"
    r = template.run("import", "cordis", str(BROKEN), "-q", "--skip-invalid", "--output", str(out))
    assert (r.returncode, r.stderr) == (0, "")
    triples = _triples(ox.parse(path=str(out), format=ox.RdfFormat.N_QUADS))
    rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    projects = {t.split()[0] for t in triples if t.split()[1] == rdf_type and "/project/cordis-" in t.split()[0]}
    assert projects == {f"<https://w3id.org/scgraph/id/project/cordis-{i}>" for i in (900001, 900004, 900006)}
    return triples


@pytest.fixture
def project(template: Project, tmp_path: Path) -> Project:
    return copy_project(template, tmp_path)


def _triples(quads: object) -> set[str]:
    return {f"{q.subject} {q.predicate} {q.object}" for q in quads}  # type: ignore[attr-defined]


def _graph(store_path: Path, graph: str) -> set[str]:
    store = ox.Store.read_only(str(store_path))
    return _triples(store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))


def _others(store_path: Path) -> set[str]:
    """Every quad of the store outside graph:registry/cordis."""
    store = ox.Store.read_only(str(store_path))
    return {str(q) for q in store if q.graph_name != ox.NamedNode(REGISTRY)}


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_a_rejected_row_fails_the_import_and_changes_nothing(project: Project, target: str) -> None:
    before = fingerprint(project)
    r = project.run("import", "cordis", str(BROKEN), "-q", *TARGETS[target])
    assert (r.returncode, r.stdout, r.stderr) == (1, "", BROKEN_ERROR)
    assert fingerprint(project) == before  # the files' bytes, the store's quads and generation
    hidden = sorted(p.name for p in project.build.iterdir() if p.name.startswith("."))
    assert all(n == ".outputs" or n.startswith(".store.gen-") for n in hidden), hidden  # no temporary files


@pytest.mark.parametrize("fixture, error", [
    ("cordis_duplicate_ids", "project.csv:3: duplicate project id 101000001 (use --skip-invalid to "
                             "import the valid rows)"),
    ("cordis_empty_rows", "project.csv:3: empty row (and 1 more rejected row; use --skip-invalid to "
                          "import the valid rows)"),
])
def test_a_rejected_row_leaves_an_output_file_alone(project: Project, fixture: str, error: str) -> None:
    out = project.build / "registry.nq"
    before = out.read_bytes()
    r = project.run("import", "cordis", str(BAD / fixture), "-q", "--output", str(out))
    assert (r.returncode, r.stderr) == (1, f"Error: {BAD / fixture}/{error}\n")
    assert out.read_bytes() == before


def test_the_report_is_printed_when_an_import_fails(project: Project) -> None:
    r = project.run("import", "cordis", str(BROKEN), "--build-dir", "build")
    assert (r.returncode, r.stderr) == (1, BROKEN_ERROR)
    lines = r.stdout.splitlines()
    assert lines[0] == f"CORDIS import of {BROKEN}"
    assert "16 rows rejected:" in lines
    assert "  1 x project.csv: duplicate project id 900001 (first at line 3)" in lines
    assert not any(line.startswith("written to") for line in lines)


def test_skip_invalid_imports_the_valid_rows_into_the_store(project: Project, valid_rows: set[str]) -> None:
    others = _others(project.store)
    assert _graph(project.store, REGISTRY)  # cordis_good, replaced below
    r = project.run("import", "cordis", str(BROKEN), "-q", "--skip-invalid", *TARGETS["oxigraph"])
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    assert _graph(project.store, REGISTRY) == valid_rows
    assert _others(project.store) == others


def test_skip_invalid_imports_the_valid_rows_into_the_default_file(project: Project,
                                                                  valid_rows: set[str]) -> None:
    default = project.build / "registry" / "cordis.nq"
    assert default.read_bytes()  # cordis_good, replaced below
    r = project.run("import", "cordis", str(BROKEN), "-q", "--skip-invalid", *TARGETS["default"])
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    assert _triples(ox.parse(path=str(default), format=ox.RdfFormat.N_QUADS)) == valid_rows


def test_a_failed_first_import_leaves_no_folder_behind(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    r = project.run("import", "cordis", str(BROKEN), "-q", "--build-dir", "fresh/build")
    assert (r.returncode, r.stderr) == (1, BROKEN_ERROR)
    assert not (project.root / "fresh").exists()


def test_skip_invalid_writes_the_valid_rows_to_a_file(project: Project, valid_rows: set[str]) -> None:
    out = project.build / "registry.nq"
    r = project.run("import", "cordis", str(BROKEN), "--skip-invalid", "--output", str(out))
    assert (r.returncode, r.stderr) == (0, "")
    assert "16 rows rejected:" in r.stdout.splitlines() and r.stdout.endswith(f"written to {out}\n")
    assert _triples(ox.parse(path=str(out), format=ox.RdfFormat.N_QUADS)) == valid_rows


@pytest.mark.skipif(OXIGRAPH is None, reason="the oxigraph server (pip install oxigraph) is not installed")
def test_an_import_to_a_sparql_endpoint_is_all_or_nothing(project: Project, valid_rows: set[str],
                                                          tmp_path: Path) -> None:
    """Nothing is sent when a row is rejected; with --skip-invalid the valid rows replace
    graph:registry/cordis through a scratch graph and one MOVE."""
    from scgraph.store import SparqlStore

    def quads(url: str) -> dict[str, set[str]]:
        store = SparqlStore(url, timeout=10)
        rows = store.query("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }").rows
        out: dict[str, set[str]] = {}
        for s, p, o, g in rows:
            out.setdefault(str(g), set()).add(f"{s.n3()} {p.n3()} {o.n3()}")  # type: ignore[union-attr]
        return out

    with oxigraph_server(tmp_path / "db") as url:
        spec = f"sparql:{url}"
        r = project.run("import", "cordis", str(GOOD), "-q", "--store", spec)
        assert (r.returncode, r.stderr) == (0, "")
        before = quads(url)
        assert set(before) == {REGISTRY} and len(before[REGISTRY]) > 10

        r = project.run("import", "cordis", str(BROKEN), "-q", "--store", spec)
        assert (r.returncode, r.stderr) == (1, BROKEN_ERROR)
        assert quads(url) == before

        r = project.run("import", "cordis", str(BROKEN), "-q", "--skip-invalid", "--store", spec)
        assert (r.returncode, r.stderr) == (0, "")
        after = quads(url)
        assert set(after) == {REGISTRY}  # the scratch graph is gone, moved onto the registry graph
        assert len(after[REGISTRY]) == len(valid_rows)
        assert before[REGISTRY] - after[REGISTRY]  # replaced, not added to
