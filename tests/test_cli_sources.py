"""The CLI never answers from another graph than the one asked for without saying so (issue 17):
with no build it says it assembles the curated graph in memory; after an import that no build
has taken in yet, it says the store is older than the import."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scgraph.cli import app

pytestmark = [pytest.mark.slow, pytest.mark.repo_data]  # three builds (about 20 s each)

OFFICIAL = Path(__file__).parent / "data" / "cordis" / "official"
runner = CliRunner()


def _run(*args: str):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_a_query_after_an_import_not_yet_built_says_so(tmp_path):
    build = tmp_path / "build"
    _run("import", "cordis", str(OFFICIAL), "--build-dir", str(build), "-q")
    _run("build", "--out", str(build), "-q")
    quiet = _run("query", "projects_per_country", "--build-dir", str(build), "-f", "csv")
    assert quiet.stderr == ""  # the store holds the import: nothing to say
    _run("import", "cordis", str(OFFICIAL), "--build-dir", str(build), "-q")  # the same data again
    assert _run("query", "projects_per_country", "--build-dir", str(build), "-f", "csv").stderr == ""
    registry = build / "registry" / "cordis.nq"
    earlier = registry.stat().st_mtime - 5  # the store as if built before the last import
    os.utime((build / "store").resolve(), (earlier, earlier))
    noted = _run("query", "projects_per_country", "--build-dir", str(build), "-f", "csv", "-q")
    assert noted.stderr == (f"Note: {registry} was imported after {build / 'store'} was built; the "
                            f"answers leave it out until 'scgraph build --out {build}'\n")
    assert noted.stdout == quiet.stdout
    _run("build", "--out", str(build), "-q")
    assert _run("query", "projects_per_country", "--build-dir", str(build), "-f", "csv").stderr == ""


def test_a_query_with_a_build_says_nothing(curated_build):
    build = curated_build
    result = _run("query", "projects_per_country", "--build-dir", str(build), "-f", "csv")
    assert result.stderr == "" and result.stdout.startswith("country,countryLabel,")
