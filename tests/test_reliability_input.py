"""Bad input, through the real CLI: one line naming the file and line (or the parameter), a
non-zero exit code, and every output and the store exactly as they were.

Each case runs ``scgraph`` in a subprocess on a copy of the tiny project of
tests/data/pipeline/root, built beforehand with an embedded Oxigraph store; the build folder's
files and the store's quads are fingerprinted before and after. The table is in
docs/reliability.md.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from reliability_fixtures import BAD, SCGRAPH, Project, copy_project, fingerprint, make_project, store_quads

pytestmark = pytest.mark.slow  # see [tool.pytest.ini_options] markers


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return make_project(tmp_path_factory.mktemp("template"))


@pytest.fixture
def project(built: Project, tmp_path: Path) -> Project:
    return copy_project(built, tmp_path)


@dataclass(frozen=True)
class Case:
    """``kind``: how the fixture reaches the CLI (see :func:`run_case`); ``error``: the whole
    stderr after ``Error: ``, with ``{file}`` for the path the CLI was given."""

    id: str
    kind: str
    fixture: str
    error: str
    env: dict[str, str] = field(default_factory=dict)


CASES = [
    # RDF syntax, through `scgraph build` (a source file of the project)
    Case("turtle-malformed", "source", "turtle_unterminated_string.ttl",
         "{file}:5: bad syntax: newline found in string literal"),
    Case("latin-1", "source", "latin1.ttl", "{file}:3: not UTF-8 (byte 0xe9); save the file as UTF-8"),
    Case("utf-16", "source", "utf16.ttl",
         "{file}:1: UTF-16 text (it starts with a UTF-16 byte-order mark); save the file as UTF-8"),
    Case("invalid-iri", "source", "invalid_iri.ttl",
         "{file}:6: invalid IRI <https://w3id.org/scgraph/id/theme/smart city>: the character ' ' "
         "is not allowed in an IRI"),
    Case("ill-typed-literal", "source", "ill_typed_literal.ttl",
         "{file}:7: ill-typed literal 'twelve': not a valid <http://www.w3.org/2001/XMLSchema#integer>"),
    Case("literal-too-long", "source", "long_literal.ttl",
         "{file}:3: a literal of 157 characters, over the limit of 100; set SCGRAPH_MAX_LITERAL_CHARS "
         "to raise it", env={"SCGRAPH_MAX_LITERAL_CHARS": "100"}),
    # other RDF formats, through `scgraph validate FILE`
    Case("trig-malformed", "validate", "trig_unclosed_graph.trig", "{file}:5: bad syntax: needed '}', found end."),
    Case("json-ld-malformed", "validate", "jsonld_trailing_comma.jsonld", "{file}:4: bad JSON: Expecting value"),
    Case("rdf-xml-malformed", "validate", "rdfxml_mismatched_tag.rdf", "{file}:5: bad XML: mismatched tag"),
    Case("n-triples-malformed", "validate", "ntriples_unterminated.nt", '{file}:3: Invalid line: "open .'),
    Case("rdf-xml-external-entity", "validate", "xxe_external_entity.rdf",
         "{file}:2: <!DOCTYPE> declarations are not accepted in RDF/XML (external entities and entity "
         "expansion are refused); remove the DOCTYPE block"),
    Case("rdf-xml-billion-laughs", "validate", "billion_laughs.rdf",
         "{file}:2: <!DOCTYPE> declarations are not accepted in RDF/XML (external entities and entity "
         "expansion are refused); remove the DOCTYPE block"),
    Case("json-ld-remote-context", "validate", "jsonld_remote_context.jsonld",
         "{file}:2: remote JSON-LD context 'http://127.0.0.1:9/context.jsonld' is not fetched; put the "
         "context inline"),
    Case("missing-file", "validate", "no_such_file.ttl", "{file}: no such file"),
    Case("folder-not-file", "validate", "cordis_good", "{file}: is a folder, not a file"),
    # registry N-Quads, through `scgraph build --registry FILE` (Oxigraph's parser)
    Case("n-quads-malformed", "registry", "nquads_missing_dot.nq",
         "{file}:3: bad syntax: Quads must be followed by a dot"),
    # queries and parameters, through `scgraph query`
    Case("sparql-syntax", "query", "sparql_syntax_error.rq",
         "{file}:5: bad SPARQL: Expected SelectQuery, found 'FILTER'"),
    Case("file-too-large", "query", "string_param.rq",
         "{file}: the file is {size:,} bytes, over the limit of 100 bytes for one input file; set "
         "SCGRAPH_MAX_INPUT_BYTES to raise it", env={"SCGRAPH_MAX_INPUT_BYTES": "100"}),
    Case("param-iri-injection", "param", "org=x> } ; DROP ALL ; #",
         "parameter 'org' must be an IRI (https://... or prefix:name), got 'x> } ; DROP ALL ; #'"),
    Case("param-iri-injection-with-scheme", "param", "org=https://a/b> } ; DROP ALL ; #",
         "parameter 'org' must be an IRI (https://... or prefix:name), got 'https://a/b> } ; DROP ALL ; #'"),
    Case("param-iri-control-character", "param", "org=https://a/b\x01c",
         "parameter 'org' must be an IRI (https://... or prefix:name), got 'https://a/b\\x01c'"),
    Case("param-unknown", "param", "graph=DROP ALL",
         "unknown parameter 'graph' for query 'units_of'; it takes: org"),
    # registry CSV, through `scgraph import cordis DIR --store oxigraph:build/store`
    Case("csv-missing-column", "import", "cordis_missing_column",
         "{file}/project.csv: missing columns acronym (the project table needs id, acronym, title)"),
    Case("csv-missing-column-in-a-later-table", "import", "cordis_missing_column_late",
         "{file}/organization.csv: missing columns role (the organization table needs projectID, "
         "organisationID, name, role)"),
    Case("csv-missing-folder", "import", "no_such_folder",
         "{file}: no such folder (expected a folder of CORDIS CSV tables)"),
    # bad rows: the import fails as a whole unless --skip-invalid (tests/test_reliability_import.py)
    Case("csv-extra-fields", "import", "cordis_extra_fields",
         "{file}/project.csv:2: expected 7 fields, found 8 (use --skip-invalid to import the valid rows)"),
    Case("csv-broken-quoting", "import", "cordis_broken_quoting",
         "{file}/project.csv:3: expected 7 fields, found 4 (use --skip-invalid to import the valid rows)"),
    Case("csv-duplicate-ids", "import", "cordis_duplicate_ids",
         "{file}/project.csv:3: duplicate project id 101000001 (use --skip-invalid to import the valid rows)"),
    Case("csv-empty-rows", "import", "cordis_empty_rows",
         "{file}/project.csv:3: empty row (and 1 more rejected row; use --skip-invalid to import the "
         "valid rows)"),
]


def run_case(case: Case, project: Project) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run ``case`` through the CLI; return the result and the file name the error names."""
    fixture = BAD / case.fixture
    if case.kind == "source":
        target = project.root / "data" / "sources" / case.fixture
        shutil.copy(fixture, target)
        return project.run("build", "-q", "--out", "build", **case.env), str(target)
    if case.kind == "validate":
        return project.run("validate", str(fixture), **case.env), str(fixture)
    if case.kind == "registry":
        return project.run("build", "-q", "--out", "build", "--registry", str(fixture), **case.env), str(fixture)
    if case.kind == "query":
        return project.run("query", str(fixture), "--build-dir", "build", **case.env), str(fixture)
    if case.kind == "param":
        return project.run("query", "units_of", "--param", case.fixture, "--build-dir", "build"), ""
    if case.kind == "import":
        return project.run("import", "cordis", str(fixture), "-q", "--store", "oxigraph:build/store"), str(fixture)
    raise AssertionError(case.kind)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line_nonzero_and_changes_nothing(case: Case, project: Project) -> None:
    before = fingerprint(project)
    result, file = run_case(case, project)
    size = (BAD / case.fixture).stat().st_size if (BAD / case.fixture).is_file() else 0
    expected = case.error.replace("{file}", file).replace("{size:,}", f"{size:,}")
    assert result.stderr == "Error: " + expected + "\n"
    assert result.returncode == 1
    assert fingerprint(project) == before


def test_every_fixture_is_used() -> None:
    used = {c.fixture for c in CASES if c.kind != "param"} | {
        "wrong_datatype.ttl", "wrong_datatype_shapes.ttl", "string_param.rq", "cordis_good",
        "cordis_extra_fields", "cordis_broken_quoting", "cordis_duplicate_ids", "cordis_empty_rows",
        "cordis_mojibake", "xss.trig"}
    assert {p.name for p in BAD.iterdir()} == used - {"no_such_file.ttl", "no_such_folder"}


# --------------------------------------------------------------------------- not errors, but exact


def test_wrong_datatype_is_a_shacl_violation_not_a_parse_error(project: Project) -> None:
    """A well-formed literal of the wrong datatype parses; the shapes report it (exit 1)."""
    before = fingerprint(project)
    r = project.run("validate", str(BAD / "wrong_datatype.ttl"), "--shapes", str(BAD / "wrong_datatype_shapes.ttl"))
    assert (r.returncode, r.stderr) == (1, "")
    assert r.stdout == (
        "Conforms: no (1 violation, 0 warnings, 0 infos)\n"
        "violation: <https://example.org/place> wgs84:lat: a latitude is an xsd:decimal "
        "[sh:DatatypeConstraintComponent] (value: \"50.85\"^^<http://www.w3.org/2001/XMLSchema#double>)\n")
    assert fingerprint(project) == before


@pytest.mark.parametrize("store", ["memory", "oxigraph"])
def test_string_parameters_are_bound_as_literals(project: Project, store: str) -> None:
    """A quote-and-brace string reaches the query as one literal: no rows, nothing dropped;
    the same query with a real label finds the unit."""
    before = fingerprint(project)
    spec = "memory" if store == "memory" else "oxigraph:build/store"
    query = str(BAD / "string_param.rq")
    evil = project.run("query", query, "-f", "csv", "--store", spec, "--param", 'label=x" } ; DROP ALL ; #')
    assert (evil.returncode, evil.stdout, evil.stderr) == (0, "org\n", "")
    good = project.run("query", query, "-f", "csv", "--store", spec, "--param", "label=Unit C.3")
    assert (good.returncode, good.stderr) == (0, "")
    assert good.stdout == "org\nhttps://w3id.org/scgraph/id/org/cnect-c3\n"  # CRLF read as text
    assert fingerprint(project) == before


def test_unreadable_file(project: Project) -> None:
    """chmod 000 means nothing to root (CAP_DAC_OVERRIDE), so as root the build runs under
    setpriv with the two capabilities that bypass file permissions dropped."""
    target = project.root / "data" / "sources" / "unit_chart.ttl"
    before = fingerprint(project)
    os.chmod(target, 0)
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv (util-linux): cannot make a file unreadable")
        caps = "-dac_override,-dac_read_search"
        prefix = [setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}", "--"]
    try:
        r = subprocess.run([*prefix, *SCGRAPH, "build", "-q", "--out", "build"], cwd=project.root,
                           env=project.env(), capture_output=True, text=True, timeout=120)
    finally:
        os.chmod(target, stat.S_IRUSR | stat.S_IWUSR)
    assert r.stderr == f"Error: {target}: cannot read the file (permission denied)\n"
    assert r.returncode == 1
    assert fingerprint(project) == before


# --------------------------------------------------------------------------- registry rows


@pytest.mark.parametrize("fixture, rejected", [
    ("cordis_extra_fields", "  1 x project.csv: expected 7 fields, found 8 (first at line 2)"),
    ("cordis_broken_quoting", "  1 x project.csv: expected 7 fields, found 4 (first at line 3)"),
    ("cordis_duplicate_ids", "  1 x project.csv: duplicate project id 101000001 (first at line 3)"),
    ("cordis_empty_rows", "  2 x project.csv: empty row (first at line 3)"),
])
def test_bad_registry_rows_are_rejected_with_file_and_line(project: Project, fixture: str, rejected: str) -> None:
    """With --skip-invalid each bad row is left out and reported with its line; the good rows
    are imported (exit 0)."""
    out = project.root / "registry.nq"
    r = project.run("import", "cordis", str(BAD / fixture), "--skip-invalid", "--output", str(out))
    assert (r.returncode, r.stderr) == (0, "")
    lines = r.stdout.splitlines()
    assert rejected in lines
    assert lines[lines.index(rejected) - 1].endswith(" rows rejected:")
    kept = {"cordis_extra_fields": {"101000002"}, "cordis_broken_quoting": {"101000001"},
            "cordis_duplicate_ids": {"101000001"}, "cordis_empty_rows": {"101000001", "101000002"}}[fixture]
    text = out.read_text(encoding="utf-8")
    assert {pid for pid in ("101000001", "101000002", "101000003")
            if f"<https://w3id.org/scgraph/id/project/cordis-{pid}> " in text} == kept


def test_mis_encoded_registry_text_is_repaired(project: Project) -> None:
    """Mojibake (UTF-8 read as Latin-1 and saved again) and a stray Latin-1 byte are repaired."""
    out = project.root / "registry.nq"
    r = project.run("import", "cordis", str(BAD / "cordis_mojibake"), "--output", str(out), "-q")
    assert (r.returncode, r.stderr, r.stdout) == (0, "", "")
    text = out.read_text(encoding="utf-8")
    assert '"Smart München"' in text and '"Café project"' in text
    assert "Ã" not in text and "\udce9" not in text


def test_a_good_import_after_bad_ones_reaches_the_store(project: Project) -> None:
    """The store refused nothing for good: the next correct import succeeds."""
    assert project.run("import", "cordis", str(BAD / "cordis_missing_column_late"), "-q",
                       "--store", "oxigraph:build/store").returncode == 1
    r = project.run("import", "cordis", str(BAD / "cordis_good"), "-q", "--store", "oxigraph:build/store")
    assert (r.returncode, r.stderr) == (0, "")
    quads = store_quads(project.store)
    assert any("project/cordis-101000002" in q and "registry/cordis" in q for q in quads)
