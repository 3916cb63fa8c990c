"""The analyst's question page in headless Chromium (Debian's chromium driven by Playwright):
the SPARQL editor, forms from the questions' headers, the state in the URL (shared links, back
and forward), paging and sorting, every download format, each view, and identifier pages.

The server runs over tests/data/server/dataset.trig plus a generated graph (260 meetings with
dates, an amount, inferred statements), with the server's test questions plus three written
here (one with a parameter, one CONSTRUCT, one of dates). Set SCGRAPH_SCREENSHOTS=DIR to keep
a screenshot of each step.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
from server_fixtures import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DATASET,
    QUERIES,
    playwright_or_skip,
    running_server,
)

pytestmark = pytest.mark.slow  # see [tool.pytest.ini_options] markers

playwright_api = playwright_or_skip()
ARGS = CHROMIUM_ARGS
SCREENSHOTS = Path(os.environ["SCGRAPH_SCREENSHOTS"]) if os.environ.get("SCGRAPH_SCREENSHOTS") else None
ID = "https://w3id.org/scgraph/id/"
MEETINGS = 260

EXTRA = """
<graph/source/meetings> {
%s
}
<graph/source/fixture> {
  <id/project/alpha> scg:euContribution <id/amount/eur/1234567> .
  <id/amount/eur/1234567> a scg:MonetaryAmount ; scg:value "1234567"^^xsd:decimal ; scg:currency "EUR" ;
      scg:statedIn <id/source/fixture> .
  <id/city/porto> scg:cityCountry <id/country/pt> .
  <id/country/pt> a scg:Country ; rdfs:label "Portugal"@en .
}
<graph/metadata> {
  <graph/source/fixture> dcterms:title "The fixture's source"@en .
}
<graph/inferred> {
  <id/city/porto> a scg:Place ; scg:involvedIn <id/project/alpha> .
  <id/project/alpha> scg:hasTheme <theme/data-sharing> .
}
"""

EXTRA_QUERIES = {
    "projects_in_city.rq": """# title: The projects of a city
# description: Every project that involves the given city.
# params: city: iri
PREFIX scg: <https://w3id.org/scgraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?project ?label WHERE { ?project scg:involvesCity ?city ; rdfs:label ?label } ORDER BY ?label
""",
    "project_graph.rq": """# title: Projects and cities as a graph
# description: The projects and their cities, as RDF.
# params: none
PREFIX scg: <https://w3id.org/scgraph/ontology#>
CONSTRUCT { ?project scg:involvesCity ?city } WHERE { ?project scg:involvesCity ?city }
""",
    "meetings.rq": """# title: Meetings
# description: Every meeting with its date, oldest first.
# params: none
PREFIX scg: <https://w3id.org/scgraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?meeting ?label ?date ?attendees WHERE {
  ?meeting a scg:Meeting ; rdfs:label ?label ; scg:date ?date ; scg:attendees ?attendees
} ORDER BY ?date ?label
""",
}


def make_data(folder: Path) -> tuple[Path, Path]:
    """The dataset and the questions folder of these tests, written into ``folder``."""
    meetings = "\n".join(
        f'  <id/meeting/m{i:03d}> a scg:Meeting ; rdfs:label "Meeting {i:03d}"@en ; '
        f'scg:date "{2015 + i % 9}-{1 + i % 12:02d}-{1 + i % 28:02d}"^^xsd:date ; scg:attendees {(i * 37) % 101} .'
        for i in range(MEETINGS))
    text = DATASET.read_text(encoding="utf-8").replace(
        "@prefix xsd:", "@prefix dcterms: <http://purl.org/dc/terms/> .\n@prefix xsd:")
    dataset = folder / "dataset.trig"
    dataset.write_text(text + EXTRA % meetings, encoding="utf-8")
    queries = folder / "queries"
    queries.mkdir(exist_ok=True)
    for rq in QUERIES.glob("*.rq"):
        shutil.copy(rq, queries / rq.name)
    for name, body in EXTRA_QUERIES.items():
        (queries / name).write_text(body, encoding="utf-8")
    return dataset, queries


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    dataset, queries = make_data(tmp_path_factory.mktemp("workbench"))
    with running_server(dataset=dataset, queries_dir=queries) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(server, browser):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    outside: list[str] = []
    errors: list[str] = []
    pg.on("request", lambda r: outside.append(r.url) if not r.url.startswith((server.url, "blob:", "data:")) else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.server_url = server.url  # type: ignore[attr-defined]
    yield pg
    context.close()
    assert outside == [], f"requests left the host: {outside}"  # nothing fetched from elsewhere
    assert errors == [], f"script errors: {errors}"


def open_page(pg, path: str = "/") -> None:
    pg.goto(pg.server_url + path)
    pg.wait_for_selector("body[data-ready]")
    pg.wait_for_function("!document.querySelector('#run').disabled")


def wait_rows(pg, n: int) -> None:
    label = f"{n:,} row" if n == 1 else f"{n:,} rows"
    pg.wait_for_function(f"document.querySelector('#status').textContent.startsWith({json.dumps(label + ' in')})")


def table(pg) -> list[list[str]]:
    return pg.eval_on_selector_all("#results tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent))")


def query_text(pg) -> str:
    return pg.evaluate("window.scgraph.editor.get()")


def shot(pg, name: str) -> None:
    if SCREENSHOTS is not None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(SCREENSHOTS / f"workbench_{name}.png"), full_page=True)


# --------------------------------------------------------------------- the editor


def test_editor_highlights_completes_and_marks_errors(page):
    open_page(page)
    assert page.locator("#editor .CodeMirror").count() == 1  # YASGUI's editor, vendored
    page.evaluate("window.scgraph.editor.set('PREFIX scg: <https://w3id.org/scgraph/ontology#>\\nSELECT * WHERE { ?x a scg:Ci')")
    assert page.locator("#editor .cm-keyword").count() >= 2  # PREFIX, SELECT, WHERE highlighted
    page.click("#editor .CodeMirror-line >> nth=1")
    page.keyboard.press("End")
    page.keyboard.press("Control+Space")
    page.wait_for_selector(".CodeMirror-hints li")
    hints = page.eval_on_selector_all(".CodeMirror-hints li", "xs => xs.map(x => x.textContent)")
    assert any(h.startswith("scg:City") and "city" in h for h in hints), hints  # from the ontology, with its label
    page.keyboard.press("Enter")
    assert "?x a scg:City" in query_text(page)
    shot(page, "completion")
    # a prefix of the project's is declared on its own when used
    page.evaluate("window.scgraph.editor.set('SELECT * WHERE { ?x ')")
    page.click("#editor .CodeMirror-line >> nth=0")
    page.keyboard.press("End")
    page.keyboard.type("rdfs:")
    page.wait_for_function("window.scgraph.editor.get().includes('PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>')")
    # the server's error position is marked in place
    page.evaluate("window.scgraph.editor.set('SELECT ?x WHERE {\\n  ?x ?y }')")
    page.click("#run")
    page.wait_for_selector("#status.error")
    assert page.text_content("#status").startswith("Error 400: bad SPARQL query:")
    assert page.locator("#editor .server-error-line").count() == 1
    assert page.locator("#editor .server-error").count() == 1
    shot(page, "error")


# --------------------------------------------------------------------- forms and the URL


def test_form_from_the_header_choices_from_the_graph_and_run_on_open(page):
    open_page(page, "/?q=projects_in_city")
    assert page.text_content("#title") == "The projects of a city"
    assert "Choose city" in page.text_content("#status")
    page.wait_for_selector("#param-city option[value='https://w3id.org/scgraph/id/city/tartu']", state="attached")
    names = page.eval_on_selector_all("#param-city option", "xs => xs.map(x => x.textContent)")
    assert names[1:] == ["Brussels", "Porto", "Tartu"]  # the graph's cities, by name
    page.select_option("#param-city", ID + "city/tartu")  # a change runs the question
    wait_rows(page, 2)
    assert table(page) == [["project", "label"], ["Alpha <b>&amp; co</b>", "Alpha <b>&amp; co</b>"], ["Gamma", "Gamma"]]
    assert "VALUES (?city) { (<https://w3id.org/scgraph/id/city/tartu>) }" in query_text(page)
    assert page.url.endswith("/?q=projects_in_city&city=" + quote(ID + "city/tartu", safe=""))
    shot(page, "form")
    # the same link, opened afresh, runs on open
    page.goto(page.url)
    page.wait_for_selector("body[data-ready]")
    wait_rows(page, 2)
    assert page.input_value("#param-city") == ID + "city/tartu"


def test_shared_url_round_trip_and_back_forward(page, browser):
    open_page(page, "/?q=city_coordinates&view=map")
    wait_rows(page, 3)
    question_url = page.url
    assert page.get_attribute(".tabs button[data-view='map']", "class") == "active"
    page.wait_for_selector("#view-map circle.point")  # drawn after the rows arrive
    assert page.locator("#view-map circle.point").count() == 3
    # an edited query travels as text, with its view
    page.evaluate("window.scgraph.editor.set(window.scgraph.editor.get().replace('ORDER BY ?name', 'ORDER BY DESC(?name)'))")
    assert page.is_visible("#edited")
    page.click("#run")
    wait_rows(page, 3)
    page.click(".tabs button[data-view='table']")
    edited_url = page.url
    assert "?query=" in edited_url and "view=" not in edited_url
    assert [r[1] for r in table(page)[1:]] == ["Tartu", "Porto", "Brussels"]
    page.go_back()  # the edited query on the map
    page.wait_for_selector("#view-map.active circle.point")
    assert "DESC(?name)" in query_text(page) and "view=map" in page.url
    page.go_back()  # the question as it was opened
    page.wait_for_function("!window.scgraph.editor.get().includes('DESC')")
    page.wait_for_selector("#view-map.active circle.point")
    assert page.url == question_url and not page.is_visible("#edited")
    page.go_forward()
    page.wait_for_function("window.scgraph.editor.get().includes('DESC')")
    # the link, opened in a fresh browser context, reproduces the same answer and view
    other = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    other.server_url = page.server_url
    other.goto(edited_url)
    other.wait_for_selector("body[data-ready]")
    wait_rows(other, 3)
    assert [r[1] for r in table(other)[1:]] == ["Tartu", "Porto", "Brussels"]
    assert other.get_attribute(".tabs button[data-view='table']", "class") == "active"
    assert "DESC(?name)" in query_text(other)
    shot(other, "shared_link")
    other.context.close()


# --------------------------------------------------------------------- the table


def test_paging_and_sorting(page):
    open_page(page, "/?q=meetings")
    wait_rows(page, MEETINGS)
    assert len(table(page)) == 101  # the heading and the first 100 rows
    assert page.text_content(".pager .range").startswith(f"rows 1–100 of {MEETINGS}")
    page.click(".pager .next >> nth=0")
    assert page.text_content(".pager .range").startswith(f"rows 101–200 of {MEETINGS}")
    assert "page=2" in page.url
    page.click("th button.sort[data-col='attendees']")  # ascending, numerically
    values = [int(r[3]) for r in table(page)[1:]]
    assert values == sorted(values) and values[0] == 0
    assert "sort=attendees" in page.url and "page=" not in page.url
    page.click("th button.sort[data-col='attendees']")  # descending
    assert int(table(page)[1][3]) == 100
    assert page.get_attribute("th[aria-sort='descending'] button", "data-col") == "attendees"
    shot(page, "paging_sorting")
    page.goto(page.url)  # the sort is part of the link
    page.wait_for_selector("body[data-ready]")
    wait_rows(page, MEETINGS)
    assert int(table(page)[1][3]) == 100


def test_iris_link_to_identifier_pages_labelled_by_name(page):
    open_page(page, "/?q=project_cities")
    wait_rows(page, 6)
    first = page.locator("#results tbody tr:first-child a").first
    assert first.text_content() == "Alpha <b>&amp; co</b>"  # the name, not id:project/alpha
    assert first.get_attribute("href") == "/id/project/alpha"


# --------------------------------------------------------------------- downloads


@pytest.mark.parametrize("question, fmt, filename, start", [
    ("projects_per_city", "csv", "projects_per_city.csv", b"name,projects\r\nPorto,3\r\n"),
    ("projects_per_city", "tsv", "projects_per_city.tsv", b"?name\t?projects\n"),
    ("projects_per_city", "json", "projects_per_city.srj.json", b"{"),
    ("project_graph", "turtle", "project_graph.ttl", b"@prefix"),
    ("project_graph", "ntriples", "project_graph.nt", b"<https://w3id.org/scgraph/id/project/"),
    ("project_graph", "rdfxml", "project_graph.rdf", b"<?xml"),
])
def test_downloads(page, tmp_path, question, fmt, filename, start):
    open_page(page, f"/?q={question}")
    page.wait_for_function("document.querySelector('#status').textContent.includes(' rows in')")
    button = page.locator(f"#downloads button[data-format='{fmt}']")
    assert button.is_enabled()
    other = "turtle" if fmt in ("csv", "tsv", "json") else "csv"
    assert not page.locator(f"#downloads button[data-format='{other}']").is_enabled()
    with page.expect_download() as info:
        button.click()
    assert info.value.suggested_filename == filename
    path = tmp_path / filename
    info.value.save_as(path)
    data = path.read_bytes()
    assert data.startswith(start), data[:200]
    if fmt == "json":
        assert len(json.loads(data)["results"]["bindings"]) == 3
    if fmt == "ntriples":
        assert len(data.splitlines()) == 6


# --------------------------------------------------------------------- views


def test_bar_chart_view(page):
    open_page(page, "/?q=projects_per_city&view=bars")
    wait_rows(page, 3)
    page.wait_for_selector("#view-bars.active rect.bar")  # drawn after the rows arrive
    assert page.locator("#view-bars.active rect.bar").count() == 3
    assert page.text_content("#view-bars .caption") == "projects by name"
    assert page.eval_on_selector("#view-bars svg text", "t => t.firstChild.nodeValue") == "Porto"
    # coordinates are not amounts: no bar chart of latitude by city, and the page says why
    open_page(page, "/?q=city_coordinates")
    wait_rows(page, 3)
    assert not page.is_enabled(".tabs button[data-view='bars']")
    assert "bar chart (no column holds numbers in every row)" in page.text_content("#why")
    shot(page, "bars")


def test_map_view_over_shipped_outlines(page):
    open_page(page, "/?q=city_coordinates&view=map")
    wait_rows(page, 3)
    page.wait_for_selector("#view-map path.country")
    assert page.locator("#view-map path.country").count() > 100  # Natural Earth, from the package
    page.wait_for_selector("#view-map circle.point")  # drawn after the rows arrive
    assert page.locator("#view-map circle.point").count() == 3
    assert sorted(page.eval_on_selector_all("#view-map text.place", "xs => xs.map(x => x.textContent)")) == ["Brussels", "Porto", "Tartu"]
    assert page.get_attribute("#view-map a", "href").startswith("/id/city/")
    shot(page, "map")


def test_network_view_labelled_by_name(page):
    open_page(page, "/?q=project_cities&view=network")
    wait_rows(page, 6)
    page.wait_for_selector("#view-network circle.node")  # drawn after the rows arrive
    assert page.locator("#view-network circle.node").count() == 6
    page.wait_for_selector("#view-network line.edge")  # drawn after the rows arrive
    assert page.locator("#view-network line.edge").count() == 6
    labels = page.eval_on_selector_all("#view-network text", "xs => xs.map(x => x.textContent)")
    assert "Porto" in labels and "Gamma" in labels
    assert not any(label.startswith("id:") for label in labels)
    shot(page, "network")


def test_network_of_a_construct_answer(page):
    open_page(page, "/?q=project_graph&view=network")
    wait_rows(page, 6)
    page.wait_for_selector("#view-network circle.node")  # drawn after the rows arrive
    assert page.locator("#view-network circle.node").count() == 6
    assert "subject → object" in page.text_content("#view-network .caption")


def test_timeline_view(page):
    open_page(page, "/?q=meetings&view=timeline")
    wait_rows(page, MEETINGS)
    assert page.locator("#view-timeline circle.event").count() == MEETINGS
    years = page.eval_on_selector_all("#view-timeline text.year", "xs => xs.map(x => x.textContent)")
    assert years[0] == "2015" and "2023" in years
    assert not page.is_enabled(".tabs button[data-view='map']")
    assert "map (it needs a lat" in page.text_content("#why")
    shot(page, "timeline")


# --------------------------------------------------------------------- identifier pages


def test_identifier_page_structure(page):
    page.goto(page.server_url + "/id/project/alpha")
    assert page.text_content("h1") == "Alpha <b>&amp; co</b>"  # the name, escaped once
    assert page.locator("h1 script, h1 b").count() == 0
    asserted = page.locator("section.asserted table.statements tbody tr")
    assert asserted.count() >= 4
    assert page.locator("section.asserted").first.is_visible()
    # amounts as amounts, with their source
    amount = page.locator("section.asserted .amount").first
    assert amount.text_content() == "€ 1,234,567"
    # each fact with its source
    assert page.locator("section.asserted td.source a[title=\"The fixture's source\"]").count() == asserted.count()
    assert page.text_content("ol.sources li#source-1") .startswith("The fixture's source")
    # inferred statements apart, hidden until asked for, and never repeating an asserted one
    inferred = page.locator("details.inferred")
    assert inferred.count() == 1 and inferred.get_attribute("open") is None
    assert "involves city" not in inferred.text_content() or page.locator("details.inferred tbody tr").count() == 0
    shot(page, "identifier_project")
    page.goto(page.server_url + "/id/city/porto")
    assert page.text_content("h1") == "Porto"
    links = page.eval_on_selector_all("ul.questions a", "xs => xs.map(x => x.getAttribute('href'))")
    assert "/?q=projects_in_city&city=" + quote(ID + "city/porto", safe="") in links
    page.click("details.inferred summary")
    assert page.locator("details.inferred tbody tr").count() >= 1
    assert "Place" in page.text_content("details.inferred")
    shot(page, "identifier_city")
    page.click("ul.questions a[href*='projects_in_city']")
    page.wait_for_selector("body[data-ready]")
    wait_rows(page, 3)
