"""Every question of the catalogue returns its expected answer on the built graph, the same
on the in-memory and the embedded Oxigraph store, and on a build with the sample registry.

The expected answers are CSV files in ``tests/data/queries/`` (the curated graph) and
``tests/data/queries/registry/`` (the curated graph plus the Horizon Europe sample of
``tests/data/cordis/sample`` imported and built as a user does), one per question, checked by
hand against the sources (see the comment lines in the tests below). A question that takes
parameters is asked with the example of :data:`PARAMS`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from scgraph import catalogue, results
from scgraph.assemble import assemble
from scgraph.cli import app
from scgraph.reason import infer
from scgraph.store import MemoryStore, OxigraphStore

pytestmark = pytest.mark.slow  # see [tool.pytest.ini_options] markers

EXPECTED = Path(__file__).parent / "data" / "queries"
QUERIES = catalogue.load_catalogue()
# The analysts' questions; the analyses' bulk exports (analysis_*) have their own tests.
QUESTIONS = sorted(catalogue.split_catalogue(QUERIES)[0])
SAMPLE = Path(__file__).parent / "data" / "cordis" / "sample"
ID = "https://w3id.org/scgraph/id/"
# The example each parametrised question is asked with (the same as in its description).
PARAMS: dict[str, dict[str, str]] = {
    "city_partners": {"city": ID + "city/leipzig-de"},
    "initiative_members": {"initiative": ID + "initiative/scc-lighthouse-projects"},
    "initiatives_shared": {"a": ID + "initiative/new-european-bauhaus",
                           "b": ID + "initiative/data-space-smart-communities"},
    "lighthouse_follower_links": {"country": ID + "country/de"},
    "meeting_participants": {"meeting": ID + "meeting/2023-06-06-second-cluster-meeting-smart-communities"},
    "organisation_partners": {"organisation": ID + "org/eurocities"},
    "project_cities": {"project": ID + "project/triangulum"},
    "project_sources": {"project": ID + "project/triangulum"},
    "projects_in_city": {"city": ID + "city/leipzig-de"},
}
runner = CliRunner()


@pytest.fixture(scope="module")
def dataset():
    return infer(assemble(), "sparql")


@pytest.fixture(scope="module")
def stores(dataset):
    memory, oxigraph = MemoryStore(), OxigraphStore()
    memory.load_dataset(dataset)
    oxigraph.load_dataset(dataset)
    yield {"memory": memory, "oxigraph": oxigraph}
    memory.close()
    oxigraph.close()


def answer(store, name: str) -> str:
    return results.to_csv(catalogue.run(store, QUERIES[name], PARAMS.get(name)))


@pytest.fixture(scope="module")
def registry_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build folder with the sample registry imported (its valid rows) and built."""
    build = tmp_path_factory.mktemp("registry") / "build"
    for args in (["import", "cordis", str(SAMPLE), "--skip-invalid", "--build-dir", str(build), "-q"],
                 ["build", "--out", str(build), "-q"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    return build


def test_every_question_has_an_expected_answer() -> None:
    assert sorted(p.stem for p in EXPECTED.glob("*.csv")) == QUESTIONS
    assert sorted(p.stem for p in (EXPECTED / "registry").glob("*.csv")) == QUESTIONS
    assert len(QUESTIONS) >= 30
    required = {n for n in QUESTIONS if any(not p.optional for p in QUERIES[n].params)}
    assert required <= set(PARAMS) <= {n for n in QUESTIONS if QUERIES[n].params}


@pytest.mark.parametrize("name", QUESTIONS)
def test_question_answer_with_the_registry(registry_build: Path, name: str) -> None:
    args = ["query", name, "--build-dir", str(registry_build), "-f", "csv", "-q"]
    for key, value in PARAMS.get(name, {}).items():
        args += ["--param", f"{key}={value}"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    expected = (EXPECTED / "registry" / f"{name}.csv").read_bytes().decode("utf-8")
    assert result.output == expected


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_query_has_title_and_description(name: str) -> None:
    q = QUERIES[name]
    assert q.title and q.description and q.title != q.description


@pytest.mark.parametrize("store_name", ["memory", "oxigraph"])
@pytest.mark.parametrize("name", QUESTIONS)
def test_question_answer(stores, name: str, store_name: str) -> None:
    expected = (EXPECTED / f"{name}.csv").read_bytes().decode("utf-8")  # keep the CRLF of SPARQL CSV
    assert answer(stores[store_name], name) == expected


def _rows(stores, name):
    return [line.split(",") for line in answer(stores["memory"], name).splitlines()[1:]]


def test_second_cluster_meeting_declares_18_reports_1(stores) -> None:
    # Source 001 reports "URBANAGE joined 17 other Smart City projects": 18 declared, one
    # named. Source 000 only invites digiNEB.eu and lists DS4SSCC, Go Li.eu and digiNEB.eu on
    # a draft agenda, which does not make them participants (meeting_participants lists them
    # as invited or planned).
    result = catalogue.run(stores["memory"], QUERIES["second_cluster_meeting_participants"])
    rows = [dict(zip(result.vars, r)) for r in result.rows]
    assert [(str(r["kind"]), str(r["participantLabel"]), int(r["declaredProjects"]), int(r["namedProjects"]),
             str(r["organiserLabel"]), str(r["openerLabel"])) for r in rows] == [
        ("project", "URBANAGE", 18, 1, "European Commission", "Cristina Martinez")]
    named = catalogue.run(stores["memory"], QUERIES["meeting_participants"], PARAMS["meeting_participants"])
    strength = {(str(dict(zip(named.vars, r))["label"]), str(dict(zip(named.vars, r))["strength"]))
                for r in named.rows}
    assert {label for label, st in strength if st in ("5 invited only", "6 planned only")} == {
        "DS4SSCC", "Go Li.eu", "digiNEB.eu", "European Commission"}
    assert ("URBANAGE", "4 attended") in strength


def test_agenda_has_nine_items_in_time_order(stores) -> None:
    result = catalogue.run(stores["memory"], QUERIES["second_cluster_meeting_agenda"])
    items = {}
    for row in result.rows:
        r = dict(zip(result.vars, row))
        items[int(r["order"])] = (r["start"].toPython(), r["end"].toPython())
    assert sorted(items) == list(range(1, 10))
    starts = [items[i][0] for i in sorted(items)]
    assert starts == sorted(starts)
    assert all(items[i][1] == items[i + 1][0] for i in range(1, 9))  # back to back, 9:00-12:45
