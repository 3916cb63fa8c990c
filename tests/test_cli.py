"""The scgraph command: outputs, exit codes (0 ok, 1 user error, 2 usage) and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from pipeline_fixtures import PIPELINE, REPO, ROOT, USER
from typer.testing import CliRunner

from scgraph import __version__
from scgraph.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def fixture_project(monkeypatch, tmp_path):
    monkeypatch.setenv("SCGRAPH_HOME", str(ROOT))
    monkeypatch.chdir(tmp_path)


def invoke(*args: str):
    return runner.invoke(app, list(args))


@pytest.mark.parametrize("command", [[], ["build"], ["validate"], ["query"], ["queries"]])
def test_help(command):
    result = invoke(*command, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.stdout


def test_top_help_explains_the_tool():
    assert "knowledge graph" in invoke("--help").stdout


def test_version():
    result = invoke("--version")
    assert (result.exit_code, result.stdout) == (0, f"scgraph {__version__}\n")


def test_queries():
    result = invoke("queries")
    assert (result.exit_code, result.stdout) == (0, (
        "has_label      Has a label\n"
        "organisations  Organisations\n"
        "units_of       Units of an organisation\n"))


def test_query_table_without_a_build():
    result = invoke("query", "units_of", "--param", "org=id:org/ec")
    assert (result.exit_code, result.stdout) == (0, (
        "unit             label\n"
        "---------------  -------------\n"
        'id:org/dg-cnect  "DG CNECT"@en\n'
        'id:org/cnect-c3  "Unit C.3"@en\n'))
    # no build: the answer says which graph it comes from, in one line on stderr
    assert result.stderr.startswith("Note: no build in build (no dataset.nq): answering from the curated graph of ")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_query_csv_from_the_build(tmp_path, store):
    assert invoke("build", "--out", "out", "--quiet").exit_code == 0
    result = invoke("query", "units_of", "-p", "org=id:org/dg-cnect", "--format", "csv",
                    "--build-dir", "out", "--store", store)
    assert (result.exit_code, result.stdout) == (
        0, "unit,label\nhttps://w3id.org/scgraph/id/org/cnect-c3,Unit C.3\n")  # CliRunner turns CRLF to LF


def test_query_json_ask():
    result = invoke("query", "has_label", "-p", "thing=id:org/ec", "-p", "label=European Commission",
                    "-f", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"head": {}, "boolean": True}


def test_query_file_path():
    result = invoke("query", str(ROOT / "queries" / "organisations.rq"), "-f", "tsv")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == "?org\t?label"
    assert len(result.stdout.splitlines()) == 4


@pytest.mark.parametrize("args, message", [
    (["query", "nope"], "unknown query 'nope'; run 'scgraph queries' to list the queries"),
    (["query", "units_of", "-p", "who=id:org/ec"], "unknown parameter 'who' for query 'units_of'; it takes: org"),
    (["query", "units_of"], "missing parameter 'org' (iri) for query 'units_of'"),
    (["query", str(PIPELINE / "broken_query.rq")],
     f"{PIPELINE / 'broken_query.rq'}:5: bad SPARQL: Expected SelectQuery, found ')'"),
    (["validate", str(USER / "malformed.ttl")],
     f"{USER / 'malformed.ttl'}:4: bad syntax: expected '.' or '}}' or ']' at end of statement"),
    (["validate", "missing.ttl"], "missing.ttl: no such file"),
    (["validate", str(USER / "good_unit.ttl"), "--shapes", str(PIPELINE / "broken_shapes.ttl")],
     f"{PIPELINE / 'broken_shapes.ttl'}:5: cannot load the shapes: bad syntax: expected '.' or '}}' or ']' at end of statement"),
])
def test_user_errors_are_one_line(args, message):
    result = invoke(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"Error: {message}\n")


@pytest.mark.parametrize("args", [
    ["query", "units_of", "--format", "xml"],
    ["query", "units_of", "--param", "org"],
    ["validate"],
    ["frobnicate"],
])
def test_usage_errors_exit_2(args):
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stdout == "" and result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1


@pytest.mark.parametrize("args, message", [
    (["query", "units_of", "-p", "org=id:org/ec", "--store", "nowhere"],
     "Invalid value for '--store': unknown store 'nowhere'; use memory, oxigraph, oxigraph:PATH or "
     "sparql:URL[;update=URL][;store=URL][;dataset=union] (docs/serving.md) (see 'scgraph query --help')"),
    (["build", "--store", "sparql:"],
     "Invalid value for '--store': missing endpoint URL in 'sparql:'; write sparql:http://HOST:PORT/... "
     "(see 'scgraph build --help')"),
    (["build", "--reasoner", "foo"],
     "Invalid value for '--reasoner': 'foo' is not one of 'sparql', 'reasonable', 'owlrl'. "
     "(see 'scgraph build --help')"),
])
def test_bad_choices_are_one_line_usage_errors_before_any_work(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a build that started would write build/ here
    result = invoke(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"Error: {message}\n")
    assert list(tmp_path.iterdir()) == []


def test_validate_conforming_file():
    result = invoke("validate", str(USER / "good_unit.ttl"))
    assert (result.exit_code, result.stdout) == (0, "Conforms: yes (0 violations, 0 warnings, 0 infos)\n")


def test_validate_violations_exit_1_with_the_summary():
    result = invoke("validate", str(USER / "bad_unit.ttl"))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == "Conforms: no (3 violations, 2 warnings, 0 infos)"
    assert len(result.stdout.splitlines()) == 6


def test_build(tmp_path):
    result = invoke("build", "--out", "out")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:2] == [
        "5 named graphs, 50 asserted and 16 inferred triples", "validation: 0 violations, 1 warning"]
    assert (tmp_path / "out" / "dataset.nq").is_file()
    assert invoke("build", "--out", "out2", "--quiet").stdout == ""


def test_console_script_error_has_no_traceback(tmp_path):
    env = {**os.environ, "SCGRAPH_HOME": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "scgraph", "query", "nope"],
                          capture_output=True, text=True, env=env)
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        1, "", "Error: unknown query 'nope'; run 'scgraph queries' to list the queries\n")


@pytest.mark.repo_data
def test_build_on_the_real_repository(tmp_path, monkeypatch):
    """Smoke test on the curated data (filter out with ``-m 'not repo_data'``)."""
    monkeypatch.setenv("SCGRAPH_HOME", str(REPO))
    result = invoke("build", "--out", str(tmp_path / "build"), "--quiet")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "build" / "graph.ttl").stat().st_size > 0


def test_queries_lists_the_questions_then_the_plumbing(monkeypatch):
    """On the real catalogue: the analysts' questions first, then the analyses' bulk exports
    under their own heading."""
    monkeypatch.setenv("SCGRAPH_HOME", str(REPO))
    result = invoke("queries")
    assert result.exit_code == 0, result.output
    questions, heading, plumbing = result.stdout.partition(
        "\nAnalysis exports (bulk, unordered; read by 'scgraph analyse', 'plot', 'export-graph'):\n")
    assert heading
    names = [line.split()[0] for line in questions.splitlines() if line.strip()]
    exports = [line.split()[0] for line in plumbing.splitlines() if line.strip()]
    assert len(names) == 32 and not any(n.startswith("analysis_") for n in names)
    assert names[:2] == ["acted_on_behalf", "cities_in_several_projects"]
    assert exports and all(n.startswith("analysis_") for n in exports)
    assert "analysis_city_roles" in exports
