"""The documentation says what the code does: generated pages are up to date, every command
and query is documented, and the README gives the two set-up commands that CI runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scgraph import catalogue, docs

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("page", sorted(docs.PAGES))
def test_generated_page_is_up_to_date(page: str) -> None:
    committed = (ROOT / "docs" / page).read_text(encoding="utf-8")
    assert committed == docs.PAGES[page](), f"run: python -m scgraph.docs ({page} is stale)"


def test_every_command_is_documented() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    names = [" ".join(words) for words in docs.command_names()]
    assert {"build", "validate", "query", "queries"} <= set(names)
    assert [n for n in names if f"## scgraph {n}\n" not in text] == []


def test_every_query_is_documented() -> None:
    text = (ROOT / "docs" / "queries.md").read_text(encoding="utf-8")
    assert [n for n in catalogue.load_catalogue() if f"## `{n}`" not in text] == []


def test_readme_gives_the_two_setup_commands_and_ci_runs_the_second() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.S)
    setup = [b.strip() for b in blocks[:2]]
    assert setup == ["bash scripts/run.sh", "bash scripts/test.sh"]
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
