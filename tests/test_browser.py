"""The question page in headless Chromium (Debian's chromium driven by Playwright): pick a
question, run it, read the table, switch views, download the CSV."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from server_fixtures import CHROMIUM, CHROMIUM_ARGS, playwright_or_skip, running_server

pytestmark = pytest.mark.slow  # see [tool.pytest.ini_options] markers

playwright_api = playwright_or_skip()
ARGS = CHROMIUM_ARGS
SCREENSHOTS = Path(os.environ.get("SCGRAPH_SCREENSHOTS", "")) if os.environ.get("SCGRAPH_SCREENSHOTS") else None


@pytest.fixture(scope="module")
def page():
    with running_server() as server, playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 900})
        pg = context.new_page()
        outside: list[str] = []
        pg.on("request", lambda r: outside.append(r.url) if not r.url.startswith((server.url, "blob:", "data:")) else None)
        pg.goto(server.url + "/")
        pg.wait_for_selector("#question option[value='projects_per_city']", state="attached")
        pg.server_url = server.url  # type: ignore[attr-defined]
        pg.outside = outside  # type: ignore[attr-defined]
        yield pg
        browser.close()


def table(pg) -> list[list[str]]:
    return pg.eval_on_selector_all("#results tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))")


def shot(pg, name: str) -> None:
    if SCREENSHOTS is not None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_pick_run_table_chart_and_csv(page, tmp_path):
    page.select_option("#question", "projects_per_city")
    assert page.text_content("#title") == "Projects per city"
    assert page.text_content("#description") == "How many projects involve each city, most first."
    assert "COUNT(DISTINCT ?project)" in page.evaluate("window.scgraph.editor.get()")  # YASGUI's editor
    page.click("#run")
    page.wait_for_selector("#results")
    assert table(page) == [["name", "projects"], ["Porto", "3"], ["Tartu", "2"], ["Brussels", "1"]]
    # the status line is written once the names are fetched, which may come after the table
    page.wait_for_function("document.querySelector('#status').textContent !== 'Running…'")
    assert page.text_content("#status").startswith("3 rows in ")
    assert page.is_enabled(".tabs button[data-view='bars']")
    assert not page.is_enabled(".tabs button[data-view='map']")
    page.click(".tabs button[data-view='bars']")
    assert page.locator("#view-bars rect.bar").count() == 3
    shot(page, "bars")
    with page.expect_download() as info:
        page.click("#csv")
    download = info.value
    assert download.suggested_filename == "projects_per_city.csv"
    path = tmp_path / "answer.csv"
    download.save_as(path)
    assert path.read_bytes() == b"name,projects\r\nPorto,3\r\nTartu,2\r\nBrussels,1\r\n"


def test_map_view_and_links_to_identifier_pages(page):
    page.select_option("#question", "city_coordinates")
    page.click("#run")
    page.wait_for_function("document.querySelector('#status').textContent.startsWith('3 rows')")
    rows = table(page)
    assert rows[0] == ["city", "name", "lat", "long"]
    assert [r[1] for r in rows[1:]] == ["Brussels", "Porto", "Tartu"]
    assert page.get_attribute("#results tbody tr:first-child a", "href") == "/id/city/brussels"
    page.click(".tabs button[data-view='map']")
    # the outlines load before the points are drawn: wait for them, then count exactly
    page.wait_for_function("document.querySelectorAll('#view-map circle.point').length > 0")
    assert page.locator("#view-map circle.point").count() == 3
    shot(page, "map")
    page.click(".tabs button[data-view='table']")
    page.click("#results tbody tr:first-child a")
    page.wait_for_selector("h1")
    assert page.text_content("h1") == "Brussels"
    assert page.url == page.server_url + "/id/city/brussels"  # type: ignore[attr-defined]
    shot(page, "identifier_page")
    page.go_back()
    page.wait_for_selector("#question option[value='projects_per_city']", state="attached")


def test_network_view_and_errors(page):
    page.select_option("#question", "project_cities")
    page.click("#run")
    page.wait_for_function("document.querySelector('#status').textContent.startsWith('6 rows')")
    page.click(".tabs button[data-view='network']")
    assert page.locator("#view-network circle.node").count() == 6  # 3 projects, 3 cities
    assert page.locator("#view-network line.edge").count() == 6
    shot(page, "network")
    page.evaluate("window.scgraph.editor.set('SELECT ?x WHERE { ?x')")
    page.click("#run")
    page.wait_for_selector("#status.error")
    assert page.text_content("#status").startswith("Error 400: bad SPARQL query:")
    assert page.outside == []  # type: ignore[attr-defined]  # nothing fetched from elsewhere
