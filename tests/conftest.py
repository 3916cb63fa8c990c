"""Shared pytest configuration."""

from __future__ import annotations


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "repo_data: runs on the curated data of the repository (deselect with -m 'not repo_data')"
    )
