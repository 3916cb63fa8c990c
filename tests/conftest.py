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


#: The test files that take longest (a minute or more on the 2-core CI machine), longest first.
#: They are collected first and scripts/test.sh passes ``--no-loadscope-reorder``, so that
#: ``--dist loadfile`` hands them out first and the short files fill in around them (xdist would
#: order files by their number of tests, and a long file of few tests, started last, would run
#: on one worker while the other idles). Only the order changes; a file missing here runs after
#: these, in name order. Measured with ``bash scripts/test.sh --durations=70``.
LONGEST_FIRST = (
    "test_store_build.py", "test_store_virtuoso.py", "test_validate_cache.py",
    "test_engines_catalogue.py", "test_reliability_concurrency.py", "test_reason_engines.py",
    "test_serve_remote.py", "test_reliability_faults.py", "test_shapes.py",
    "test_release_store.py", "test_inferred_lean.py", "test_remote_reason.py", "test_queries.py",
    "test_exports_csv.py", "test_store_remote.py", "test_cli_sources.py",
)


def pytest_collection_modifyitems(session, config, items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: file order kept


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
