"""The CORDIS importer: rows in, things out, on real sample rows and on broken and edge cases.

Fixtures (tests/data/cordis/, made by make_fixtures.py from the real Horizon Europe sample):
sample/ (the comma re-saves plus the `;` full tables cut to the same 100 projects), official/
(five projects in the official `;` format with embedded newlines, `;` in quotes and mojibake),
broken/ (one bad row per kind), curated/ (URBANAGE), filter/ (one project per filter rule).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.namespace import DCTERMS, RDF, RDFS

from scgraph.errors import SourceError
from scgraph.importers import (
    REGISTRY_GRAPH,
    FilterRules,
    RejectedRow,
    format_report,
    import_cordis,
    load_cordis_into_oxigraph,
    run_import_cordis,
    write_cordis_nquads,
)
from scgraph.importers.cordis import load_curated
from scgraph.importers.cordis.tables import SPECS as _SPECS, read_rows
from scgraph.importers.cordis.values import BadValue, parse_amount, parse_date
from scgraph.importers.text import clean_paragraphs, clean_text
from scgraph.namespaces import CORDIS_PROJECT, ID, ROLE, SCG, sparql_prologue

DATA = Path(__file__).parent / "data" / "cordis"
ONTOLOGY = Path(__file__).resolve().parents[1] / "ontology"


@pytest.fixture(scope="module")
def curated() -> Graph:
    return load_curated()


def table(folder: Path, prefix: str) -> list[dict[str, str]]:
    """A fixture table read with the csv module alone (the test's own count of rows in)."""
    path = next(p for p in sorted(folder.glob("*.csv")) if p.stem == prefix or p.stem.startswith(prefix + "_"))
    with path.open(encoding="utf-8", newline="") as f:
        first = f.readline()
        f.seek(0)
        return list(csv.DictReader(f, delimiter=";" if first.count(";") > first.count(",") else ","))


def count(g: Graph, where: str) -> int:
    q = sparql_prologue() + f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}"
    return int(next(iter(g.query(q)))[0])


def assert_isomorphic(a: Graph, b: Graph) -> None:
    if not isomorphic(a, b):
        _both, only_a, only_b = graph_diff(to_isomorphic(a), to_isomorphic(b))
        pytest.fail("graphs differ:\nonly in first:\n" + "\n".join(sorted(only_a.serialize(format="nt").splitlines())[:20])
                    + "\nonly in second:\n" + "\n".join(sorted(only_b.serialize(format="nt").splitlines())[:20]))


# --------------------------------------------------------------------------- rows in, things out


def test_sample_every_valid_row_becomes_one_thing(curated: Graph) -> None:
    folder = DATA / "sample"
    projects, orgs = table(folder, "project"), table(folder, "organization")
    links, topics = table(folder, "webLink"), table(folder, "topics")
    fields, bases = table(folder, "euroSciVoc"), table(folder, "legalBasis")
    result = import_cordis(folder, curated=curated)
    g, report = result.graph, result.report

    assert report.rejected == []
    assert report.rows_read == {"project_df_100.csv": len(projects), "organization_df_100.csv": len(orgs),
                                "webLink_df_100.csv": len(links), "topics.csv": len(topics),
                                "euroSciVoc.csv": len(fields), "legalBasis.csv": len(bases)}
    n_projects = len({r["id"] for r in projects})
    n_orgs = len({r["organisationID"] for r in orgs})
    n_parts = len({(r["projectID"], r["organisationID"]) for r in orgs})
    assert (n_projects, n_orgs, n_parts) == (100, 92, 100)
    assert count(g, "?p a scg:Project") == n_projects == report.projects
    assert count(g, "?o a scg:Organisation") == n_orgs == report.organisations
    assert count(g, "?x a scg:Participation") == n_parts == report.participations
    assert count(g, "?d a scg:Document") == len({r["id"] for r in links}) == report.documents
    assert count(g, "?p scg:coordinator ?o") == sum(r["role"] == "coordinator" for r in orgs)
    assert count(g, "?p scg:callTopic ?t") == len({(r["projectID"], r["topic"]) for r in topics})
    assert count(g, "?p scg:scientificField ?f") == len({(r["projectID"], r["euroSciVocCode"]) for r in fields})
    assert count(g, "?p scg:legalBasis ?b") == len({(r["projectID"], r["legalBasis"]) for r in bases})
    assert count(g, "?p scg:hasPartner ?o") == n_parts
    assert report.triples == len(g)
    # every participation names one organisation and one role; every project one programme
    assert count(g, "?x a scg:Participation ; scg:participant ?o ; scg:participationRole ?r") == n_parts
    assert count(g, "?p scg:fundingProgramme <https://w3id.org/scgraph/id/initiative/horizon-europe>") == n_projects


def test_sample_values_are_typed_and_sourced(curated: Graph) -> None:
    g = import_cordis(DATA / "sample", curated=curated).graph
    doe = ID["project/cordis-101116741"]
    assert g.value(doe, RDFS.label) == Literal("DOE")
    assert g.value(doe, SCG.startDate) == Literal("2024-02-01", datatype=URIRef("http://www.w3.org/2001/XMLSchema#date"))
    total = g.value(doe, SCG.totalCost)
    assert total == ID["amount/eur/1499998"]
    assert str(g.value(total, SCG.value)) == "1499998" and str(g.value(total, SCG.currency)) == "EUR"
    # one value node per distinct amount, shared: the coordinator's EU contribution, net EU
    # contribution and total cost (1499998.0, 1499998.0, 1499998 in the table) are that node
    part = ID["participation/cordis-101116741-999981634"]
    assert {g.value(part, p) for p in (SCG.euContribution, SCG.netEuContribution, SCG.totalCost)} == {total}
    assert len(list(g.triples((total, None, None)))) == 3
    amounts = set(g.subjects(RDF.type, SCG.MonetaryAmount))
    links = {o for p in (SCG.euContribution, SCG.netEuContribution, SCG.totalCost) for o in g.objects(None, p)}
    assert amounts == links and len(amounts) < sum(1 for p in (SCG.euContribution, SCG.netEuContribution, SCG.totalCost)
                                                   for _ in g.triples((None, p, None)))
    assert g.value(doe, DCTERMS.source) == CORDIS_PROJECT["101116741"]
    part = ID["participation/cordis-101116741-999981634"]
    assert g.value(part, SCG.participationRole) == ROLE["coordinator"]
    assert (doe, SCG.coordinator, ID["org/cordis-999981634"]) in g
    wur = ID["org/cordis-999981634"]
    assert g.value(wur, SCG.basedIn) == ID["city/wageningen-nl"]
    assert str(g.value(wur, SCG.sme)) == "false"
    # every typed thing under id/ has a source, and no blank node anywhere
    assert count(g, "?s a ?c FILTER(?c != skos:Concept && ?c != scg:MonetaryAmount && ?c != scg:Participation"
                    " && ?c != scg:Geometry) FILTER NOT EXISTS { ?s dcterms:source ?src }") == 0
    assert count(g, "?s ?p ?o FILTER(isBlank(?s) || isBlank(?o))") == 0


def test_importer_uses_only_terms_the_ontology_defines(curated: Graph) -> None:
    onto = Graph()
    for p in ONTOLOGY.glob("*.ttl"):
        onto.parse(p)
    g = import_cordis(DATA / "official", curated=curated).graph
    ns = str(SCG._NS)
    used = {t for s, p, o in g for t in (p, o) if isinstance(t, URIRef) and str(t).startswith(ns)}
    assert sorted(str(t) for t in used if (t, RDF.type, None) not in onto) == []


# --------------------------------------------------------------------------- format, dialects


def test_official_format_with_newlines_semicolons_and_mojibake(curated: Graph) -> None:
    folder = DATA / "official"
    result = import_cordis(folder, curated=curated)
    g, report = result.graph, result.report
    assert report.rejected == []
    assert report.rows_read["project.csv"] == len(table(folder, "project")) == 5
    astro = ID["project/cordis-101163161"]
    abstract = str(g.value(astro, DCTERMS.abstract))
    assert "\n\n" in abstract and "dense; star-forming" in abstract
    assert str(g.value(ID["project/cordis-101166905"], DCTERMS.title)).endswith("; a map of the sky")
    assert str(g.value(ID["org/cordis-999997736"], RDFS.label)) == "AARHUS UNIVERSITET – ÅRHUS"
    assert g.value(ID["org/cordis-999990267"], SCG.basedIn) == ID["city/munich-de"]  # "MÃ¼nchen"


def test_official_record_lines_are_where_records_start(tmp_path: Path) -> None:
    lines = [line for line, _row in read_rows(DATA / "broken" / "project.csv", _SPECS["project"])]
    assert lines == [2, 3, 4, 5, 6, 10, 11, 14, 15]  # the multi-line record starts on 11


def _to_comma_dialect(src: Path, dst: Path) -> None:
    """Re-save the `;` tables as pandas does: `,`, True/False, amounts as floats."""
    dst.mkdir()
    for path in sorted(src.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f, delimiter=";")
            header, rows = reader.fieldnames or [], list(reader)
        for r in rows:
            for k, v in r.items():
                if v in ("true", "false"):
                    r[k] = v.capitalize()
                elif k in ("totalCost", "ecMaxContribution") and v.isdigit():
                    r[k] = v + ".0"
        with (dst / f"{path.stem}_df_100.csv").open("w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, header, delimiter=",", lineterminator="\n")
            w.writeheader()
            w.writerows(rows)


def test_comma_and_semicolon_dialects_give_isomorphic_graphs(tmp_path: Path, curated: Graph) -> None:
    _to_comma_dialect(DATA / "official", tmp_path / "comma")
    semicolon = import_cordis(DATA / "official", curated=curated)
    comma = import_cordis(tmp_path / "comma", curated=curated)
    assert comma.report.rejected == []
    assert_isomorphic(semicolon.graph, comma.graph)


# --------------------------------------------------------------------------- broken rows


BROKEN = [
    RejectedRow("project.csv", 3, "duplicate project id 900001"),
    RejectedRow("project.csv", 4, "bad startDate '2024-13-01' (expected YYYY-MM-DD)"),
    RejectedRow("project.csv", 5, "missing id"),
    RejectedRow("project.csv", 6, "non-numeric id 'ABC'"),
    RejectedRow("project.csv", 7, "expected 16 fields, found 5"),
    RejectedRow("project.csv", 8, "empty row"),
    RejectedRow("project.csv", 9, "empty row"),
    RejectedRow("project.csv", 10, "bad totalCost '12x' (expected a number)"),
    RejectedRow("project.csv", 14, "endDate 2023-12-31 before startDate 2024-01-01"),
    RejectedRow("organization.csv", 3, "duplicate participation of organisation 1001 in project 900001"),
    RejectedRow("organization.csv", 4, "missing organisationID"),
    RejectedRow("organization.csv", 5, "unknown project 900002 (not in the project table, or its row was rejected)"),
    RejectedRow("organization.csv", 6, "unknown role 'leader'"),
    RejectedRow("organization.csv", 7, "bad SME 'maybe' (expected true or false)"),
    RejectedRow("topics.csv", 3, "missing projectID"),
    RejectedRow("topics.csv", 4, "missing topic"),
]


def test_broken_rows_are_rejected_with_file_line_and_reason(curated: Graph) -> None:
    result = import_cordis(DATA / "broken", curated=curated)
    g, report = result.graph, result.report
    assert report.rejected == BROKEN
    assert report.missing_tables == ["euroSciVoc", "legalBasis", "webLink"]
    assert {str(p) for p in g.subjects(RDF.type, SCG.Project)} == {
        str(ID[f"project/cordis-{n}"]) for n in (900001, 900004, 900006)}
    assert (report.projects, report.organisations, report.participations) == (3, 2, 3)
    # the most recently updated row of organisation 1001 wins; the older one is a conflict
    assert str(g.value(ID["org/cordis-1001"], RDFS.label)) == "ORGANISATION A"
    assert report.organisation_conflicts == 1
    assert str(g.value(ID["project/cordis-900004"], DCTERMS.abstract)) == 'First line;\nsecond line with "quotes";\nthird line.'
    total = g.value(ID["project/cordis-900006"], SCG.totalCost)
    assert str(g.value(total, SCG.value)) == "500000.5"  # "500000,50"
    # an out-of-range geolocation gives no coordinates; a city not in the gazetteer none either
    assert g.value(ID["org/cordis-1004"], URIRef("http://www.w3.org/2003/01/geo/wgs84_pos#lat")) is None
    assert report.unreconciled_cities == [("Noain (Valle de Elorz)", "ES")]


def test_format_report_groups_reasons(curated: Graph) -> None:
    text = format_report(import_cordis(DATA / "broken", curated=curated).report, max_reasons=3)
    lines = text.splitlines()
    assert lines[0] == f"CORDIS import of {DATA / 'broken'}"
    assert "  project.csv: 12 rows read, 9 rejected" in lines
    assert "  organization.csv: 8 rows read, 5 rejected" in lines
    assert "  tables not found (optional): euroSciVoc, legalBasis, webLink" in lines
    assert "16 rows rejected:" in lines
    assert "  2 x project.csv: empty row (first at line 8)" in lines
    assert "  … and 12 more kinds" in lines
    assert lines[-1].startswith("152 triples in ")


def test_missing_project_table_is_one_line_source_error(tmp_path: Path) -> None:
    (tmp_path / "topics.csv").write_text("projectID;topic;title\n1;X;Y\n", encoding="utf-8")
    with pytest.raises(SourceError) as e:
        import_cordis(tmp_path)
    assert str(e.value) == f"{tmp_path}: no project table (project.csv or project_*.csv)"


def test_missing_required_columns_is_one_line_source_error(tmp_path: Path) -> None:
    (tmp_path / "project.csv").write_text("id;acronym;startDate\n1;X;2020-01-01\n", encoding="utf-8")
    with pytest.raises(SourceError) as e:
        import_cordis(tmp_path)
    assert str(e.value) == (f"{tmp_path / 'project.csv'}: missing columns title "
                            "(the project table needs id, acronym, title)")


# --------------------------------------------------------------------------- idempotence, curated


def test_importing_twice_changes_nothing(curated: Graph) -> None:
    ds = Dataset()
    first = import_cordis(DATA / "sample", curated=curated, dataset=ds)
    once = Graph()
    once += first.graph
    import_cordis(DATA / "sample", curated=curated, dataset=ds)
    assert len(ds.graph(REGISTRY_GRAPH)) == len(once)
    assert_isomorphic(ds.graph(REGISTRY_GRAPH), once)
    assert {str(c.identifier) for c in ds.graphs() if len(c)} == {str(REGISTRY_GRAPH)}


def test_curated_project_is_one_node_linked_to_its_record(curated: Graph) -> None:
    result = import_cordis(DATA / "curated", curated=curated)
    g = result.graph
    urbanage = ID["project/urbanage"]
    assert result.report.curated_projects == {101004590: str(urbanage)}
    assert (urbanage, RDF.type, SCG.Project) in g
    assert not any(str(t).endswith("cordis-101004590") for t in g.all_nodes())
    assert (urbanage, SCG.coordinator, ID["org/cordis-2001"]) in g
    assert g.value(urbanage, SCG.fundingProgramme) == ID["initiative/horizon-2020"]
    # the curated data names it: the registry adds no second label
    assert g.value(urbanage, RDFS.label) is None
    both = Graph()
    both += curated
    both += g
    assert count(both, '?p scg:identifier "101004590"') == 1
    assert count(both, "?p schema:sameAs cordis:101004590") == 1
    # curated cities and countries are linked to, not described again
    assert g.value(ID["org/cordis-2001"], SCG.basedIn) == ID["city/brussels"]
    assert g.value(ID["org/cordis-2002"], SCG.basedIn) == ID["city/brussels"]
    assert not list(g.triples((ID["city/brussels"], None, None)))
    assert not list(g.triples((ID["country/be"], None, None)))


# --------------------------------------------------------------------------- filter


def test_filter_keeps_exactly_the_matching_projects_and_says_why(curated: Graph) -> None:
    rules = FilterRules.named("smart-cities")
    result = import_cordis(DATA / "filter", filter=rules, curated=curated)
    assert result.report.kept_by == {
        910001: "h2020-smart-cities-and-communities-calls",
        910002: "h2020-lc-sc3-smart-cities-and-communities",
        910003: "horizon-europe-cities-mission",  # from topics.csv only
        910004: "smart-communities-calls",
        910005: "euroscivoc-urban-fields",  # from euroSciVoc.csv only
        910006: "smart-city-keywords",
        910008: "h2020-smart-cities-and-communities-calls",  # call rule before keywords
    }
    g = result.graph
    assert {str(p) for p in g.subjects(RDF.type, SCG.Project)} == {
        str(ID[f"project/cordis-{n}"]) for n in result.report.kept_by}
    assert result.report.rows_filtered == {"project.csv": 1, "topics.csv": 1, "euroSciVoc.csv": 1,
                                           "organization.csv": 1}
    assert result.report.rejected == []
    assert (ID["org/cordis-3002"], None, None) not in g  # only a partner of the left-out project
    assert "kept by rule: euroscivoc-urban-fields 1, " in format_report(result.report)


def test_without_filter_everything_is_imported(curated: Graph) -> None:
    result = import_cordis(DATA / "filter", curated=curated)
    assert result.report.projects == 8 and result.report.kept_by == {}


@pytest.mark.parametrize("row, topics, fields, expected", [
    ({"topics": "SCC-01-2014"}, [], [], "h2020-smart-cities-and-communities-calls"),
    ({"masterCall": "H2020-SCC-2016-2017"}, [], [], "h2020-smart-cities-and-communities-calls"),
    ({}, ["LC-SC3-SCC-1-2018-2019-2020"], [], "h2020-lc-sc3-smart-cities-and-communities"),
    ({"subCall": "HORIZON-MISS-2022-CIT-01"}, [], [], "horizon-europe-cities-mission"),
    ({}, ["HORIZON-MISS-2022-CIT-IBA"], [], "horizon-europe-cities-mission"),
    ({}, ["DIGITAL-2021-CLOUD-AI-01-PREP-SMART-COMM"], [], "smart-communities-calls"),
    ({}, [], [("/29/99/549", "urban studies")], "euroscivoc-urban-fields"),
    ({}, [], [("/99/1", "Urban Planning")], "euroscivoc-urban-fields"),
    ({"title": "An urban data platform for all"}, [], [], "smart-city-keywords"),
    ({"objective": "We build digital twins of cities."}, [], [], "smart-city-keywords"),
    ({"title": "SMART-CITY services"}, [], [], "smart-city-keywords"),
    ({"title": "Smartcityscape", "topics": "HORIZON-MISSION-2021"}, ["HORIZON-MISS-2021-OCEAN-01"],
     [("/25/77/9444", "civil")], None),
])
def test_filter_rules_match(row: dict[str, str], topics: list[str], fields: list[tuple[str, str]],
                            expected: str | None) -> None:
    assert FilterRules.named("smart-cities").matches(row, topics, fields) == expected


def test_unknown_filter_names_the_known_ones() -> None:
    with pytest.raises(SourceError, match="unknown filter 'smart-towns'; known filters: smart-cities"):
        FilterRules.named("smart-towns")


# --------------------------------------------------------------------------- sinks, entry point


def test_nquads_and_oxigraph_sinks_give_the_same_graph(tmp_path: Path, curated: Graph) -> None:
    expected = import_cordis(DATA / "official", curated=curated).graph
    report = write_cordis_nquads(DATA / "official", tmp_path / "cordis.nq", curated=curated)
    ds = Dataset()
    ds.parse(tmp_path / "cordis.nq", format="nquads")
    assert report.triples == len(expected)
    assert_isomorphic(ds.graph(REGISTRY_GRAPH), expected)

    store = ox.Store()
    load_cordis_into_oxigraph(DATA / "official", store, curated=curated)
    dumped = Dataset()
    dumped.parse(data=store.dump(format=ox.RdfFormat.N_QUADS).decode(), format="nquads")
    assert_isomorphic(dumped.graph(REGISTRY_GRAPH), expected)


def test_run_import_cordis_with_filter_into_store_and_file(tmp_path: Path) -> None:
    report = run_import_cordis(DATA / "filter", "smart-cities", output=tmp_path / "out.nq")
    assert len(report.kept_by) == 7 and (tmp_path / "out.nq").stat().st_size > 0
    ds = Dataset()
    run_import_cordis(DATA / "filter", None, store=ds)
    assert len(set(ds.graph(REGISTRY_GRAPH).subjects(RDF.type, SCG.Project))) == 8
    dry = run_import_cordis(DATA / "filter", None)
    assert dry.projects == 8 and dry.triples == len(ds.graph(REGISTRY_GRAPH))


# --------------------------------------------------------------------------- values


def test_clean_text_repairs_mojibake_controls_and_forms() -> None:
    assert clean_text("MÃ¼nchen") == "München"
    assert clean_text("UNIVERSITÃ‰ DE LIÃˆGE") == "UNIVERSITÉ DE LIÈGE"
    assert clean_text("Caf\u0065\u0301 \x00 du\tport\r\n ") == "Café du port"
    assert clean_text("K\udcf8benhavn") == "København"  # a stray cp1252 byte (surrogateescape)
    assert clean_text("it’s “quoted”") == "it’s “quoted”"  # curly quotes are not damage
    assert clean_paragraphs("One.\r\n\r\n\r\n  Two  words.\x07") == "One.\n\nTwo words."


def test_amounts_and_dates() -> None:
    assert [parse_amount(v, "x") for v in ("1499998", "1499998.0", "1.234,5", "1,234.5", "0", "")] == [
        "1499998", "1499998", "1234.5", "1234.5", "0", None]
    with pytest.raises(BadValue, match="bad x '-5'"):
        parse_amount("-5", "x")
    assert parse_date("2024-02-01 00:00:00", "d").value == "2024-02-01"
    with pytest.raises(BadValue, match="bad d '2024-02-30'"):
        parse_date("2024-02-30", "d")


def test_synthetic_generator_output_imports_without_rejections(tmp_path: Path, curated: Graph) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "generate_cordis", Path(__file__).resolve().parents[1] / "bench" / "generate_cordis.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    counts = gen.generate(tmp_path / "a", 60, seed=7)
    gen.generate(tmp_path / "b", 60, seed=7)
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
               for f in ("project.csv", "organization.csv", "webLink.csv"))
    report = import_cordis(tmp_path / "a", curated=curated).report
    assert report.rejected == []
    assert (report.projects, report.participations) == (counts["project"], counts["organization"])
