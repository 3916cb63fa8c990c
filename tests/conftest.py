"""Shared pytest configuration."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "repo_data: runs on the curated data of the repository (deselect with -m 'not repo_data')"
    )
    # scgraph's cache of parsed shapes and reference data (scgraph.validate.cache) goes to a
    # folder of this test run, never the user's ~/.cache; child processes inherit it
    if "SCGRAPH_CACHE_DIR" not in os.environ:
        folder = tempfile.mkdtemp(prefix="scgraph-test-cache-")
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
        os.environ["SCGRAPH_CACHE_DIR"] = folder


@pytest.fixture(scope="session")
def curated_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ``scgraph build`` of the curated data per test process, for tests that only read a
    build folder (query, analyse into another folder, publish elsewhere): copy it before
    changing anything in it."""
    from typer.testing import CliRunner

    from scgraph.cli import app

    out = tmp_path_factory.mktemp("curated") / "build"
    result = CliRunner().invoke(app, ["build", "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return out
