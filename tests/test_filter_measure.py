"""Measuring a registry filter without importing (``scgraph import cordis DIR --filter F --measure``)
and the warning of an import whose filter keeps nothing.

Fixtures: tests/data/cordis/filter_measure/ (nine projects, one kind of evidence each, with the
rules file ``rules.toml`` and the keep-nothing filter ``nothing.toml``), tests/data/cordis/filter/
(the smart-cities fixture of test_importer_cordis.py), and, where the checkout has it, the real
Horizon Europe sample of the shared data folder (all 15,341 projects in its topic, field and
legal-basis tables; docs/filter.md has its measurement).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph
from typer.testing import CliRunner

from scgraph.cli import app
from scgraph.errors import SourceError
from scgraph.importers import FilterRules, import_cordis
from scgraph.importers.cordis.measure import FieldCount, MissedProject, TopicCount, measure_filter

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "cordis"
FIXTURE = DATA / "filter_measure"
RULES = FIXTURE / "rules.toml"
SAMPLE = next((p for p in (ROOT / "shared", ROOT.parent / "shared")
               if (p / "data/cordis/horizon-europe-sample/topics.csv").is_file()), ROOT / "shared"
              ) / "data/cordis/horizon-europe-sample"

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


# --------------------------------------------------------------------------- the library function


def test_measure_names_the_first_rule_of_every_project_of_every_table() -> None:
    m = measure_filter(FIXTURE, FilterRules.load(RULES))
    assert (m.filter, m.source, m.rules, m.related) == (
        "fixture", str(FIXTURE), ("calls", "fields", "words", "never"), ("urban", "mobility"))
    assert m.rows_read == {"euroSciVoc.csv": 4, "legalBasis.csv": 2, "project.csv": 4, "topics.csv": 8}
    assert m.rows_rejected == {"topics.csv": 1}  # project 10's row has two fields: not seen
    assert m.projects == 9  # 1-9: project 6 only in legalBasis.csv
    assert m.kept_by == {1: "calls", 2: "fields", 3: "words", 4: "calls"}  # 4: its subCall
    assert m.rule_counts == {"calls": 2, "fields": 1, "words": 1, "never": 0}
    assert m.rule_matches == {"calls": 2, "fields": 2, "words": 2, "never": 0}
    assert (m.kept, m.project_table, m.in_project_table, m.kept_in_project_table) == (4, "project.csv", 4, 3)
    assert m.topics == [
        TopicCount("OTHER-01", "Other call", projects=4, kept=2, rules=("fields", "words")),
        TopicCount("CITY-01", "City call", projects=1, kept=1, rules=("calls",)),
        TopicCount("CITY-2021-01", "", projects=1, kept=1, rules=("calls",)),  # project column only
    ]
    assert m.related_missed == 3
    assert m.missed_topics == [TopicCount("URBAN-9", "Urban mobility for all", projects=1, kept=0)]
    assert m.missed_fields == [FieldCount("/27/81/30021/499/97328111", "urban horticulture", 1)]
    assert m.missed == [
        MissedProject(5, "topic URBAN-9 (Urban mobility for all)"),
        MissedProject(7, "field urban horticulture (/27/81/30021/499/97328111)"),
        MissedProject(8, "title Mobility of researchers"),
    ]


def test_missed_sample_is_evenly_spaced_and_deterministic() -> None:
    rules = FilterRules.load(RULES)
    assert [p.project for p in measure_filter(FIXTURE, rules, sample=2).missed] == [5, 7]
    assert measure_filter(FIXTURE, rules, sample=0).missed == []
    without = FilterRules(rules.name, rules.rules)  # no related phrases: nothing looks related
    m = measure_filter(FIXTURE, without)
    assert (m.related_missed, m.missed_topics, m.missed_fields, m.missed) == (0, [], [], [])


@pytest.mark.parametrize("folder, rules", [
    (DATA / "filter", FilterRules.named("smart-cities")),
    (FIXTURE, FilterRules.load(RULES)),
], ids=["filter-smart-cities", "filter_measure-fixture"])
def test_measure_keeps_what_the_import_keeps(folder: Path, rules: FilterRules) -> None:
    imported = import_cordis(folder, filter=rules, curated=Graph()).report.kept_by
    m = measure_filter(folder, rules)
    assert imported  # the measurement names the same rule, and keeps no other project of the table
    assert {pid: m.kept_by.get(pid) for pid in imported} == imported
    assert m.kept_in_project_table == len(imported)


def test_related_must_be_a_list_of_phrases(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('related = "urban"\n[[rule]]\nname = "a"\ncodes = ["A-"]\n', encoding="utf-8")
    with pytest.raises(SourceError, match="related: expected a list of phrases"):
        FilterRules.load(path)


# --------------------------------------------------------------------------- the command


def test_measure_option_prints_the_measurement_and_writes_nothing(tmp_path: Path) -> None:
    build = tmp_path / "build"
    result = invoke("import", "cordis", str(FIXTURE), "--filter", str(RULES), "--measure",
                    "--build-dir", str(build))
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == f"""\
Filter fixture measured on {FIXTURE} (nothing imported or written)
  euroSciVoc.csv: 4 rows read
  legalBasis.csv: 2 rows read
  project.csv: 4 rows read
  topics.csv: 8 rows read, 1 rejected
9 projects seen, 4 kept (44.4%)
an import keeps 3 of them: only the 4 projects of project.csv can be imported
  rule       kept  matched
  calls         2        2
  fields        1        2
  words         1        2
  never         0        0
call topics of the kept projects (3; kept/projects, topic, title, rules):
  2/4  OTHER-01  Other call  [fields, words]
  1/1  CITY-01  City call  [calls]
  1/1  CITY-2021-01  -  [calls]
left out but related-looking (urban, mobility): 3 projects
  topics with projects left out (1; left out/projects, topic, title):
    1/1  URBAN-9  Urban mobility for all
  fields of projects left out (1; projects, field):
    1  urban horticulture (/27/81/30021/499/97328111)
  a sample of 3 projects left out (id, first hint):
    5  topic URBAN-9 (Urban mobility for all)
    7  field urban horticulture (/27/81/30021/499/97328111)
    8  title Mobility of researchers
"""
    assert not build.exists()


def test_measure_of_a_filter_that_keeps_nothing_warns() -> None:
    result = invoke("import", "cordis", str(FIXTURE), "--filter", str(FIXTURE / "nothing.toml"), "--measure")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[5:8] == [
        "9 projects seen, 0 kept (0.0%)",
        "warning: filter nothing keeps none of the 9 projects",
        "an import keeps 0 of them: only the 4 projects of project.csv can be imported",
    ]


@pytest.mark.parametrize("args, message", [
    ([], "--measure needs --filter"),
    (["--filter", "smart-cities", "--output", "x.nq"], "--measure writes nothing; leave out --store and --output"),
])
def test_measure_usage_errors(args: list[str], message: str) -> None:
    result = invoke("import", "cordis", str(FIXTURE), "--measure", *args)
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.replace("│", " ").split())


def test_import_warns_when_the_filter_keeps_no_project(tmp_path: Path) -> None:
    out = tmp_path / "out.nq"
    result = invoke("import", "cordis", str(FIXTURE), "--filter", str(FIXTURE / "nothing.toml"),
                    "--skip-invalid", "--output", str(out))
    assert result.exit_code == 0
    assert result.stderr == ("warning: filter nothing kept none of the 4 projects of project.csv "
                             "(--measure shows what its rules match)\n")
    lines = result.stdout.splitlines()
    assert lines[0] == f"CORDIS import of {FIXTURE} (filter nothing)"
    assert lines[-1] == f"written to {out}"
    assert out.read_text(encoding="utf-8") == ""


def test_quiet_import_prints_no_warning(tmp_path: Path) -> None:
    result = invoke("import", "cordis", str(FIXTURE), "--filter", str(FIXTURE / "nothing.toml"),
                    "--skip-invalid", "--output", str(tmp_path / "out.nq"), "--quiet")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_import_whose_filter_keeps_projects_does_not_warn(tmp_path: Path) -> None:
    result = invoke("import", "cordis", str(DATA / "filter"), "--filter", "smart-cities",
                    "--output", str(tmp_path / "out.nq"))
    assert (result.exit_code, result.stderr) == (0, "")
    assert "kept by rule: " in result.stdout


# --------------------------------------------------------------------------- the real sample

needs_sample = pytest.mark.skipif(not (SAMPLE / "topics.csv").is_file(),
                                  reason="the shared Horizon Europe sample is not in this checkout")


@needs_sample
def test_smart_cities_on_the_horizon_europe_sample() -> None:
    """The numbers of docs/filter.md: change them together with data/filters/smart_cities.toml."""
    m = measure_filter(SAMPLE, FilterRules.named("smart-cities"))
    assert m.rows_read == {"euroSciVoc.csv": 38_789, "legalBasis.csv": 20_512,
                           "project_df_100.csv": 100, "topics.csv": 15_341}
    assert m.rows_rejected == {}
    assert m.projects == 15_341
    assert m.rule_counts == {
        "h2020-smart-cities-and-communities-calls": 0,
        "h2020-lc-sc3-smart-cities-and-communities": 0,
        "horizon-europe-cities-mission": 30,
        "smart-communities-calls": 0,
        "horizon-europe-positive-energy-districts": 3,
        "horizon-europe-driving-urban-transitions": 1,
        "horizon-europe-urban-mobility": 5,
        "euroscivoc-urban-fields": 51,
        "smart-city-keywords": 0,
    }
    assert m.rule_matches["euroscivoc-urban-fields"] == 55
    assert (m.kept, m.in_project_table, m.kept_in_project_table) == (90, 100, 0)
    assert (len(m.topics), m.related_missed, len(m.missed_topics)) == (52, 179, 76)
    taken = {t.code: (t.kept, t.projects) for t in m.topics if not t.rules == ("euroscivoc-urban-fields",)}
    assert taken == {
        "HORIZON-MISS-2021-CIT-01-01": (1, 1), "HORIZON-MISS-2021-CIT-01-02": (1, 1),
        "HORIZON-MISS-2021-CIT-02-01": (3, 3), "HORIZON-MISS-2021-CIT-02-02": (2, 2),
        "HORIZON-MISS-2021-CIT-02-04": (2, 2), "HORIZON-MISS-2021-CIT-02-05": (1, 1),
        "HORIZON-MISS-2022-CIT-01-01": (4, 4), "HORIZON-MISS-2022-CIT-IBA": (1, 1),
        "HORIZON-MISS-2022-CIT-SGA": (1, 1), "HORIZON-MISS-2023-CIT-01-01": (2, 2),
        "HORIZON-MISS-2023-CIT-01-02": (3, 3), "HORIZON-MISS-2023-CIT-02-01": (2, 2),
        "HORIZON-MISS-2023-CIT-SGA-01": (1, 1), "HORIZON-MISS-2024-CIT-IBA": (1, 1),
        "HORIZON-MISS-2023-CLIMA-CITIES-01-01": (5, 5),
        "HORIZON-CL5-2023-D4-01-03": (3, 3), "HORIZON-CL5-2021-D2-01-16": (1, 1),
        "HORIZON-CL5-2022-D2-01-11": (1, 1), "HORIZON-CL5-2022-D6-02-02": (2, 2),
        "HORIZON-ER-JU-2022-ExplR-01": (1, 1), "HORIZON-EIT-2023-25-KIC-EITURBANMOBILITY": (1, 1),
    }


@needs_sample
def test_import_of_the_sample_warns_that_its_first_100_projects_are_all_left_out(tmp_path: Path) -> None:
    result = invoke("import", "cordis", str(SAMPLE), "--filter", "smart-cities",
                    "--output", str(tmp_path / "out.nq"))
    assert (result.exit_code, result.stderr) == (0, (
        "warning: filter smart-cities kept none of the 100 projects of project_df_100.csv "
        "(--measure shows what its rules match)\n"))
